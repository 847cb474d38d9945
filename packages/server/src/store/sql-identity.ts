import { DeviceCertificate, ErrorCode, type KemPreKey, type PreKeyBundle } from "@kabar/protocol";
import { fail, notFound } from "../core/fail.js";
import { appendLogMany } from "./sql-log.js";
import { big, bytes, num, type SqlRow, type SqlTx } from "./sql-driver.js";
import type { AccountRecord, Committed, DeviceKeys, DeviceRecord, LogDelivery, ServerStore, StoredDeviceList } from "./server-store.js";

type Input<K extends keyof ServerStore> = ServerStore[K] extends (input: infer I, ...rest: never[]) => unknown ? I : never;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** Inserts an account and its first device. */
export async function createAccount(tx: SqlTx, input: Input<"createAccount">): Promise<void> {
  const inserted = await tx.run(
    `INSERT INTO accounts (account_id, identity_key, list_body, list_signature, list_version, seq, oldest_seq, created_ms)
     VALUES (?, ?, ?, ?, ?, 0, 0, ?) ON CONFLICT DO NOTHING`,
    [input.accountId, input.identityKey, input.deviceList.body, input.deviceList.signature, input.deviceList.version, input.nowMs],
  );
  if (inserted === 0) throw fail(ErrorCode.ACCOUNT_EXISTS, "an account with this identity key exists");
  await insertDevice(tx, input.accountId, input.device);
}

async function insertDevice(tx: SqlTx, accountId: Uint8Array, device: DeviceKeys): Promise<void> {
  await tx.run(
    `INSERT INTO devices (account_id, device_id, signing_key, identity_key, certificate, is_current, inbox_seq, acked_seq)
     VALUES (?, ?, ?, ?, ?, 1, 0, 0)`,
    [accountId, device.deviceId, device.signingKey, device.identityKey, device.certificate],
  );
}

/** Reads an account. */
export async function getAccount(tx: SqlTx, accountId: Uint8Array, lock = ""): Promise<AccountRecord | undefined> {
  const rows = await tx.all(`SELECT * FROM accounts WHERE account_id = ?${lock}`, [accountId]);
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    accountId: bytes(row.account_id),
    identityKey: bytes(row.identity_key),
    deviceList: { body: bytes(row.list_body), signature: bytes(row.list_signature), version: big(row.list_version) },
    seq: big(row.seq),
    oldestSeq: big(row.oldest_seq),
  };
}

function rowToDevice(row: SqlRow): DeviceRecord {
  return {
    deviceId: num(row.device_id),
    signingKey: bytes(row.signing_key),
    identityKey: bytes(row.identity_key),
    certificate: bytes(row.certificate),
    current: num(row.is_current) === 1,
    inboxSeq: big(row.inbox_seq),
    ackedSeq: big(row.acked_seq),
  };
}

/** Every device of an account, current or removed. */
export async function listDevices(tx: SqlTx, accountId: Uint8Array): Promise<DeviceRecord[]> {
  const rows = await tx.all("SELECT * FROM devices WHERE account_id = ? ORDER BY device_id", [accountId]);
  return rows.map(rowToDevice);
}

/** Accounts sharing at least one conversation with the account, itself included, sorted (SYNC-LOG-004). */
export async function contactsOf(tx: SqlTx, accountId: Uint8Array): Promise<Uint8Array[]> {
  const rows = await tx.all(
    `SELECT DISTINCT other.account_id AS account_id FROM members mine JOIN members other
     ON other.conversation_id = mine.conversation_id WHERE mine.account_id = ?`,
    [accountId],
  );
  const all = [accountId, ...rows.map((row) => bytes(row.account_id))];
  const unique = new Map(all.map((id) => [Buffer.from(id).toString("hex"), id]));
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, id]) => id);
}

/** Replaces the device list (SERVER-DEVICES-002) and fans out DeviceListChanged (SERVER-DEVICES-004). */
export async function publishDeviceList(
  tx: SqlTx,
  input: Input<"publishDeviceList">,
  lock: string,
): Promise<Committed<{ version: bigint; seq: bigint; removedDeviceIds: number[] }>> {
  const account = await getAccount(tx, input.accountId, lock);
  if (account === undefined) throw notFound("account");
  if (input.deviceList.version <= account.deviceList.version) {
    throw fail(ErrorCode.DEVICE_LIST_STALE, `device list version must exceed ${account.deviceList.version}`, "SERVER-DEVICES-002");
  }
  const known = new Map((await listDevices(tx, input.accountId)).map((device) => [device.deviceId, device]));
  for (const device of input.devices) {
    const before = known.get(device.deviceId);
    if (before === undefined) continue;
    // A device id names one device forever: no key change, no comeback.
    if (!before.current || !sameBytes(before.signingKey, device.signingKey) || !sameBytes(before.identityKey, device.identityKey)) {
      throw fail(ErrorCode.CERTIFICATE_INVALID, `device id ${device.deviceId} is already used by other keys or was removed`, "SERVER-DEVICES-003");
    }
  }
  const listed = new Set(input.devices.map((device) => device.deviceId));
  const removedDeviceIds: number[] = [];
  for (const device of known.values()) {
    // SERVER-DEVICES-005: a device the new list drops stops authenticating
    // and loses its inbox and prekeys.
    if (device.current && !listed.has(device.deviceId)) {
      removedDeviceIds.push(device.deviceId);
      await tx.run("UPDATE devices SET is_current = 0 WHERE account_id = ? AND device_id = ?", [input.accountId, device.deviceId]);
      await deletePreKeys(tx, input.accountId, device.deviceId);
      await tx.run("DELETE FROM inbox WHERE account_id = ? AND device_id = ?", [input.accountId, device.deviceId]);
    }
  }
  for (const device of input.devices) {
    if (!known.has(device.deviceId)) await insertDevice(tx, input.accountId, device);
    else await tx.run("UPDATE devices SET certificate = ? WHERE account_id = ? AND device_id = ?", [device.certificate, input.accountId, device.deviceId]);
  }
  await tx.run("UPDATE accounts SET list_body = ?, list_signature = ?, list_version = ? WHERE account_id = ?", [
    input.deviceList.body, input.deviceList.signature, input.deviceList.version, input.accountId,
  ]);
  const deliveries: LogDelivery[] = [];
  let ownSeq = 0n;
  const changed = { accountId: input.accountId, version: input.deviceList.version };
  const targets = await contactsOf(tx, input.accountId);
  const updates = await appendLogMany(tx, targets, { kind: "deviceList", changed }, input.nowMs);
  targets.forEach((target, i) => {
    const update = updates[i]!;
    if (sameBytes(target, input.accountId)) ownSeq = update.seq;
    deliveries.push({ accountId: target, update });
  });
  return { response: { version: input.deviceList.version, seq: ownSeq, removedDeviceIds }, deliveries };
}

async function deletePreKeys(tx: SqlTx, accountId: Uint8Array, deviceId: number): Promise<void> {
  for (const table of ["signed_prekeys", "kem_prekeys", "one_time_prekeys"]) {
    await tx.run(`DELETE FROM ${table} WHERE account_id = ? AND device_id = ?`, [accountId, deviceId]);
  }
}

async function countRows(tx: SqlTx, sql: string, params: Array<Uint8Array | number>): Promise<number> {
  return num((await tx.all(sql, params))[0]!.n);
}

/** Stores prekeys for a current device. Identical re-uploads of an id are no-ops. */
export async function uploadPreKeys(tx: SqlTx, input: Input<"uploadPreKeys">, lock: string): Promise<{ oneTimePreKeys: number; kemPreKeys: number }> {
  const { accountId, deviceId } = input;
  const device = await tx.all(`SELECT is_current FROM devices WHERE account_id = ? AND device_id = ?${lock}`, [accountId, deviceId]);
  if (device.length === 0 || num(device[0]!.is_current) !== 1) throw notFound("device");
  if (input.signedPreKey !== undefined) {
    const key = input.signedPreKey;
    await tx.run("DELETE FROM signed_prekeys WHERE account_id = ? AND device_id = ?", [accountId, deviceId]);
    await tx.run("INSERT INTO signed_prekeys (account_id, device_id, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?)", [
      accountId, deviceId, key.id, key.publicKey, key.signature,
    ]);
  }
  if (input.lastResortKemPreKey !== undefined) {
    const key = input.lastResortKemPreKey;
    await tx.run("DELETE FROM kem_prekeys WHERE account_id = ? AND device_id = ? AND last_resort = 1", [accountId, deviceId]);
    await insertKem(tx, accountId, deviceId, key, 1);
  }
  for (const key of input.kemPreKeys) {
    const existing = await tx.all("SELECT public_key FROM kem_prekeys WHERE account_id = ? AND device_id = ? AND last_resort = 0 AND key_id = ?", [
      accountId, deviceId, key.id,
    ]);
    if (existing.length === 0) await insertKem(tx, accountId, deviceId, key, 0);
    else if (!sameBytes(bytes(existing[0]!.public_key), key.publicKey)) throw fail(ErrorCode.KEY_INVALID, `KEM prekey id ${key.id} already holds another key`, "SERVER-PREKEY-003");
  }
  for (const key of input.oneTimePreKeys) {
    const existing = await tx.all("SELECT public_key FROM one_time_prekeys WHERE account_id = ? AND device_id = ? AND key_id = ?", [accountId, deviceId, key.id]);
    if (existing.length === 0) {
      await tx.run("INSERT INTO one_time_prekeys (account_id, device_id, key_id, public_key) VALUES (?, ?, ?, ?)", [accountId, deviceId, key.id, key.publicKey]);
    } else if (!sameBytes(bytes(existing[0]!.public_key), key.publicKey)) {
      throw fail(ErrorCode.KEY_INVALID, `one-time prekey id ${key.id} already holds another key`, "SERVER-PREKEY-003");
    }
  }
  const oneTimePreKeys = await countRows(tx, "SELECT COUNT(*) AS n FROM one_time_prekeys WHERE account_id = ? AND device_id = ?", [accountId, deviceId]);
  const kemPreKeys = await countRows(tx, "SELECT COUNT(*) AS n FROM kem_prekeys WHERE account_id = ? AND device_id = ? AND last_resort = 0", [accountId, deviceId]);
  if (oneTimePreKeys > input.maxStored || kemPreKeys > input.maxStored) {
    throw fail(ErrorCode.PREKEY_LIMIT, `at most ${input.maxStored} one-time prekeys of each kind are stored`, "SERVER-PREKEY-004");
  }
  return { oneTimePreKeys, kemPreKeys };
}

async function insertKem(tx: SqlTx, accountId: Uint8Array, deviceId: number, key: KemPreKey, lastResort: number): Promise<void> {
  await tx.run("INSERT INTO kem_prekeys (account_id, device_id, key_id, last_resort, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)", [
    accountId, deviceId, key.id, lastResort, key.publicKey, key.signature,
  ]);
}

/**
 * Claims bundles. The device row is locked first (PostgreSQL), so two
 * concurrent claims for one device serialize and never both take the same
 * one-time key; SQLite runs one writer at a time (SERVER-PREKEY-001).
 */
export async function claimPreKeys(tx: SqlTx, accountId: Uint8Array, deviceIds: readonly number[], lock: string): Promise<PreKeyBundle[]> {
  const devices = (await tx.all(`SELECT * FROM devices WHERE account_id = ? AND is_current = 1 ORDER BY device_id${lock}`, [accountId])).map(rowToDevice);
  if (devices.length === 0) throw notFound("account");
  const byId = new Map(devices.map((device) => [device.deviceId, device]));
  const wanted = deviceIds.length === 0 ? devices : [...new Set(deviceIds)].sort((a, b) => a - b).map((id) => byId.get(id));
  const bundles: PreKeyBundle[] = [];
  for (const device of wanted) {
    if (device === undefined) throw notFound("device");
    const signed = (await tx.all("SELECT * FROM signed_prekeys WHERE account_id = ? AND device_id = ?", [accountId, device.deviceId]))[0];
    const kemRows = await tx.all(
      "SELECT * FROM kem_prekeys WHERE account_id = ? AND device_id = ? ORDER BY last_resort, key_id LIMIT 1",
      [accountId, device.deviceId],
    );
    const kem = kemRows[0];
    if (signed === undefined || kem === undefined) continue;
    if (num(kem.last_resort) === 0) {
      await tx.run("DELETE FROM kem_prekeys WHERE account_id = ? AND device_id = ? AND last_resort = 0 AND key_id = ?", [accountId, device.deviceId, kem.key_id as bigint]);
    }
    const oneTime = (await tx.all("SELECT * FROM one_time_prekeys WHERE account_id = ? AND device_id = ? ORDER BY key_id LIMIT 1", [accountId, device.deviceId]))[0];
    if (oneTime !== undefined) {
      await tx.run("DELETE FROM one_time_prekeys WHERE account_id = ? AND device_id = ? AND key_id = ?", [accountId, device.deviceId, oneTime.key_id as bigint]);
    }
    bundles.push({
      certificate: DeviceCertificate.decode(device.certificate),
      signedPrekey: { id: num(signed.key_id), publicKey: bytes(signed.public_key), signature: bytes(signed.signature) },
      kemPrekey: { id: num(kem.key_id), publicKey: bytes(kem.public_key), signature: bytes(kem.signature), lastResort: num(kem.last_resort) === 1 },
      oneTimePrekey: oneTime === undefined ? undefined : { id: num(oneTime.key_id), publicKey: bytes(oneTime.public_key) },
    });
  }
  return bundles;
}

export type { StoredDeviceList };
