import { ErrorCode, type AccountUpdate, type InboxEntry, type SendToDevicesResponse } from "@kabar/protocol";
import { fail, notFound } from "../core/fail.js";
import { LOG_SELECT, rowToUpdate } from "./sql-log.js";
import { big, bytes, num, type SqlTx } from "./sql-driver.js";
import type { InboxDelivery, ServerStore } from "./server-store.js";

type Input<K extends keyof ServerStore> = ServerStore[K] extends (input: infer I, ...rest: never[]) => unknown ? I : never;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** Bytes an update adds to a response beyond its ciphertext (generous upper bound). */
const UPDATE_OVERHEAD = 128;

/**
 * Stores one inbox entry per recipient device, all or none
 * (SYNC-INBOX-002). The device set must equal the recipient's current
 * devices minus the sending device; otherwise RECIPIENTS_MISMATCH lists
 * what is missing and extra.
 */
export async function sendToDevices(
  tx: SqlTx,
  input: Input<"sendToDevices">,
  lock: string,
): Promise<{ response: SendToDevicesResponse; deliveries: InboxDelivery[] }> {
  const prior = (await tx.all("SELECT * FROM device_sends WHERE sender_account_id = ? AND client_message_id = ?", [input.sender, input.clientMessageId]))[0];
  if (prior !== undefined) {
    if (!sameBytes(bytes(prior.request_digest), input.requestDigest)) {
      throw fail(ErrorCode.IDEMPOTENCY_CONFLICT, "client_message_id was used for other content", "SYNC-SEND-003");
    }
    return { response: { serverTimeMs: big(prior.time_ms) }, deliveries: [] };
  }
  const account = (await tx.all(`SELECT list_version FROM accounts WHERE account_id = ?${lock}`, [input.recipient]))[0];
  if (account === undefined) throw notFound("account");
  const listVersion = big(account.list_version);
  const ownAccount = sameBytes(input.sender, input.recipient);
  const current = (await tx.all("SELECT device_id FROM devices WHERE account_id = ? AND is_current = 1 ORDER BY device_id", [input.recipient]))
    .map((row) => num(row.device_id))
    .filter((id) => !(ownAccount && id === input.senderDeviceId));
  const addressed = new Set(input.messages.map((m) => m.deviceId));
  const missing = current.filter((id) => !addressed.has(id));
  const extra = [...addressed].filter((id) => !current.includes(id)).sort((a, b) => a - b);
  const staleVersion = input.deviceListVersion !== 0n && input.deviceListVersion !== listVersion;
  if (missing.length > 0 || extra.length > 0 || staleVersion) {
    const error = fail(ErrorCode.RECIPIENTS_MISMATCH, "the ciphertexts do not match the recipient's current devices", "SYNC-INBOX-002");
    (error as { recipientsMismatch?: unknown }).recipientsMismatch = { missingDeviceIds: missing, extraDeviceIds: extra, deviceListVersion: listVersion };
    throw error;
  }
  const deliveries: InboxDelivery[] = [];
  for (const message of [...input.messages].sort((a, b) => a.deviceId - b.deviceId)) {
    // SYNC-INBOX-001: each device's inbox has its own gap-free counter.
    const rows = await tx.all("UPDATE devices SET inbox_seq = inbox_seq + 1 WHERE account_id = ? AND device_id = ? RETURNING inbox_seq", [
      input.recipient, message.deviceId,
    ]);
    const inboxSeq = big(rows[0]!.inbox_seq);
    await tx.run(
      `INSERT INTO inbox (account_id, device_id, inbox_seq, sender_account_id, sender_device_id, client_message_id, ciphertext, time_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [input.recipient, message.deviceId, inboxSeq, input.sender, input.senderDeviceId, input.clientMessageId, message.ciphertext, input.nowMs],
    );
    const entry: InboxEntry = {
      inboxSeq,
      senderAccountId: input.sender,
      senderDeviceId: input.senderDeviceId,
      clientMessageId: input.clientMessageId,
      ciphertext: message.ciphertext,
      serverTimeMs: BigInt(input.nowMs),
    };
    deliveries.push({ accountId: input.recipient, deviceId: message.deviceId, entry });
  }
  await tx.run("INSERT INTO device_sends (sender_account_id, client_message_id, request_digest, time_ms) VALUES (?, ?, ?, ?)", [
    input.sender, input.clientMessageId, input.requestDigest, input.nowMs,
  ]);
  return { response: { serverTimeMs: BigInt(input.nowMs) }, deliveries };
}

/** Reads log updates after a seq, bounded by count and approximate bytes. */
export async function readLog(
  tx: SqlTx,
  accountId: Uint8Array,
  afterSeq: bigint,
  limit: number,
  maxBytes: number,
): Promise<{ updates: AccountUpdate[]; seq: bigint; oldestSeq: bigint }> {
  const account = (await tx.all("SELECT seq, oldest_seq FROM accounts WHERE account_id = ?", [accountId]))[0];
  if (account === undefined) throw notFound("account");
  const seq = big(account.seq);
  const oldestSeq = big(account.oldest_seq);
  const updates: AccountUpdate[] = [];
  if (afterSeq >= oldestSeq && afterSeq < seq) {
    const rows = await tx.all(`${LOG_SELECT} WHERE l.account_id = ? AND l.seq > ? ORDER BY l.seq LIMIT ?`, [accountId, afterSeq, limit]);
    let size = 0;
    for (const row of rows) {
      const update = rowToUpdate(row);
      const cost = UPDATE_OVERHEAD + (update.kind?.$case === "message" ? update.kind.value.ciphertext.length : 256);
      // SYNC-DIFF-005: keep every response under the frame limit; at least one update always fits.
      if (updates.length > 0 && size + cost > maxBytes) break;
      size += cost;
      updates.push(update);
    }
  }
  return { updates, seq, oldestSeq };
}

/** Drops log entries up to a seq; readers asking from before it get DifferenceTooLong. */
export async function trimLog(tx: SqlTx, accountId: Uint8Array, upToSeq: bigint): Promise<void> {
  await tx.run("DELETE FROM log WHERE account_id = ? AND seq <= ?", [accountId, upToSeq]);
  await tx.run("UPDATE accounts SET oldest_seq = ? WHERE account_id = ? AND oldest_seq < ?", [upToSeq, accountId, upToSeq]);
}

/** Unacknowledged inbox entries after a seq, in order (SYNC-INBOX-004). */
export async function readInbox(
  tx: SqlTx,
  accountId: Uint8Array,
  deviceId: number,
  afterSeq: bigint,
  limit: number,
  maxBytes: number,
): Promise<{ entries: InboxEntry[]; more: boolean }> {
  const rows = await tx.all("SELECT * FROM inbox WHERE account_id = ? AND device_id = ? AND inbox_seq > ? ORDER BY inbox_seq LIMIT ?", [
    accountId, deviceId, afterSeq, limit + 1,
  ]);
  const entries: InboxEntry[] = [];
  let size = 0;
  for (const row of rows.slice(0, limit)) {
    const ciphertext = bytes(row.ciphertext);
    if (entries.length > 0 && size + ciphertext.length + UPDATE_OVERHEAD > maxBytes) break;
    size += ciphertext.length + UPDATE_OVERHEAD;
    entries.push({
      inboxSeq: big(row.inbox_seq),
      senderAccountId: bytes(row.sender_account_id),
      senderDeviceId: num(row.sender_device_id),
      clientMessageId: bytes(row.client_message_id),
      ciphertext,
      serverTimeMs: big(row.time_ms),
    });
  }
  return { entries, more: rows.length > entries.length };
}

/** Deletes entries up to a seq (SYNC-INBOX-003); never moves the ack point backwards. */
export async function ackInbox(tx: SqlTx, accountId: Uint8Array, deviceId: number, upToSeq: bigint, lock: string): Promise<bigint> {
  const device = (await tx.all(`SELECT inbox_seq, acked_seq FROM devices WHERE account_id = ? AND device_id = ?${lock}`, [accountId, deviceId]))[0];
  if (device === undefined) throw notFound("device");
  if (upToSeq > big(device.inbox_seq)) throw fail(ErrorCode.ACK_INVALID, "ack beyond the inbox's latest sequence number", "SYNC-INBOX-003");
  const acked = big(device.acked_seq);
  if (upToSeq <= acked) return acked;
  await tx.run("DELETE FROM inbox WHERE account_id = ? AND device_id = ? AND inbox_seq <= ?", [accountId, deviceId, upToSeq]);
  await tx.run("UPDATE devices SET acked_seq = ? WHERE account_id = ? AND device_id = ?", [upToSeq, accountId, deviceId]);
  return upToSeq;
}
