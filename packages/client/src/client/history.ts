// History for new devices (CLIENT-HISTORY-001): the sender-key chains that
// decrypt past messages, handed over by an existing device over a pairwise
// session, or sealed into a key backup stored server-side as an
// account-only blob under a key derived from the user's recovery secret.
import {
  backupMasterKey, createRecoverySecret, formatRecoverySecret, openBackup, parseRecoverySecret, sealBackup,
} from "@kabar/crypto";
import { HistoryKey, MAX_RANGE_BYTES } from "@kabar/protocol";
import { downloadBlob } from "../files/blob-download.js";
import { uploadBlob } from "../files/blob-upload.js";
import { concatBytes, fromHex, toHex } from "../util/bytes.js";
import { ErrorCode, fail } from "../util/errors.js";
import type { ClientContext } from "./context.js";
import type { Sender } from "./sender.js";

/** Where the latest backup blob is. */
export interface BackupPointer {
  /** Blob id (hex). */
  readonly blobId: string;
  /** Backup version sealed into the blob. */
  readonly version: string;
  /** Blob size in bytes. */
  readonly size: number;
}

/** Keys per HistoryKeyShare message: keeps each pairwise ciphertext well under 256 KiB. */
const KEYS_PER_SHARE = 500;
const PENDING = "pending-handovers";
const SECRET = "backup-secret";
const POINTER = "backup-pointer";
const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const dec = <T>(bytes: Uint8Array | undefined, fallback: T): T => (bytes === undefined ? fallback : (JSON.parse(new TextDecoder().decode(bytes)) as T));

/** Remembers that a newly approved device should receive history. */
export async function addPendingHandover(ctx: ClientContext, deviceId: number): Promise<void> {
  const pending = dec<number[]>(await ctx.store.getValue(PENDING), []);
  if (!pending.includes(deviceId)) await ctx.store.setValue(PENDING, enc([...pending, deviceId]));
}

/**
 * Sends history keys to approved devices that can now receive them (they
 * uploaded prekeys). Returns the device ids served.
 */
export async function completeHandovers(ctx: ClientContext, sender: Sender): Promise<number[]> {
  const pending = dec<number[]>(await ctx.store.getValue(PENDING), []);
  if (pending.length === 0) return [];
  const list = await ctx.directory.refresh(ctx.local.accountId);
  const ready: number[] = [];
  for (const deviceId of pending) {
    if (!list.devices.some((d) => d.deviceId === deviceId)) continue;
    // Ready once it uploaded prekeys: the session made here carries the share.
    if (await ctx.sessions.ensureSession(ctx.local.accountId, deviceId).catch(() => false)) ready.push(deviceId);
  }
  if (ready.length === 0) return [];
  const keys = await ctx.senderKeys.historyKeys();
  // Own devices share one inbox fan-out: the share goes to every own device,
  // which is harmless (they hold or may hold the same history).
  for (let i = 0; i === 0 || i < keys.length; i += KEYS_PER_SHARE) {
    const chunk = keys.slice(i, i + KEYS_PER_SHARE);
    await sender.queueToAccount(ctx.local.accountId, { $case: "historyKeys", value: { keys: chunk, complete: i + KEYS_PER_SHARE >= keys.length } });
  }
  await ctx.store.setValue(PENDING, enc(pending.filter((id) => !ready.includes(id))));
  await ctx.outbox.flush();
  return ready;
}

/** Enables key backup with a new or given recovery secret; returns the formatted secret. */
export async function enableBackup(ctx: ClientContext, secretText?: string): Promise<string> {
  const secret = secretText === undefined ? createRecoverySecret(ctx.provider) : parseRecoverySecret(secretText);
  await ctx.store.setValue(SECRET, secret);
  return formatRecoverySecret(secret);
}

/** The latest backup pointer this device wrote or learned, if any. */
export async function backupPointer(ctx: ClientContext): Promise<BackupPointer | undefined> {
  return dec<BackupPointer | undefined>(await ctx.store.getValue(POINTER), undefined);
}

/** Seals every history key into a new backup version and uploads it as an account-only blob. */
export async function writeBackup(ctx: ClientContext): Promise<BackupPointer> {
  const secret = await ctx.store.getValue(SECRET);
  if (secret === undefined) return fail(ErrorCode.BACKUP_INVALID, "backup is not enabled on this device", "CLIENT-HISTORY-003");
  const previous = await backupPointer(ctx);
  const version = (previous === undefined ? 0n : BigInt(previous.version)) + 1n;
  const entries = new Map<string, Uint8Array>();
  for (const key of await ctx.senderKeys.historyKeys()) {
    const id = `${toHex(key.conversationId)}/${toHex(key.senderAccountId)}:${key.senderDeviceId}/${toHex(key.chain!.distributionId)}`;
    entries.set(id, HistoryKey.encode(key).finish());
  }
  const master = backupMasterKey(ctx.provider, secret, ctx.local.accountId);
  const blob = sealBackup(ctx.provider, master, ctx.local.accountId, version, entries);
  const { blobId } = await uploadBlob(ctx.link, {
    size: blob.length, digest: ctx.provider.sha256(blob), read: async (offset, length) => blob.subarray(offset, offset + length),
  }, { conversationId: new Uint8Array(0), clientRequestId: ctx.random.bytes(16) });
  const pointer: BackupPointer = { blobId: toHex(blobId), version: version.toString(), size: blob.length };
  await ctx.store.setValue(POINTER, enc(pointer));
  return pointer;
}

/** Restores history keys from a backup blob with the recovery secret; returns how many chains were imported. */
export async function restoreBackup(ctx: ClientContext, secretText: string, pointer: BackupPointer): Promise<number> {
  const secret = parseRecoverySecret(secretText);
  const parts: Uint8Array[] = [];
  for await (const part of downloadBlob(ctx.link, fromHex(pointer.blobId), pointer.size, MAX_RANGE_BYTES)) parts.push(part);
  const master = backupMasterKey(ctx.provider, secret, ctx.local.accountId);
  // ENC-BACKUP-004: any mismatch of secret, account, version or bytes is BACKUP_INVALID.
  const { entries } = openBackup(ctx.provider, master, ctx.local.accountId, concatBytes(...parts), BigInt(pointer.version));
  const keys = [...entries.values()].map((bytes) => HistoryKey.decode(bytes));
  const changed = await ctx.senderKeys.importHistory(keys);
  await ctx.store.setValue(SECRET, secret);
  await ctx.store.setValue(POINTER, enc(pointer));
  return changed;
}
