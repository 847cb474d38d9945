import { AccountUpdate, ConversationMessage, ConversationUpdate, DeviceListChanged, ErrorCode, MAX_SEQUENCE } from "@kabar/protocol";
import { fail } from "../core/fail.js";
import { big, bytes, num, type SqlRow, type SqlTx, type SqlValue } from "./sql-driver.js";

/** Log row kinds. */
export const LOG_MESSAGE = 1;
export const LOG_CONVERSATION = 2;
export const LOG_DEVICE_LIST = 3;

/** What one log append stores: a message reference or an encoded payload. */
export type LogContent =
  | { readonly kind: "message"; readonly message: ConversationMessage }
  | { readonly kind: "conversation"; readonly update: ConversationUpdate }
  | { readonly kind: "deviceList"; readonly changed: DeviceListChanged };

/** Log rows inserted by one statement; 7 parameters each stays far below both databases' parameter limits. */
const INSERT_CHUNK = 256;

/**
 * Appends the same content to one or more accounts' logs (SYNC-LOG-004)
 * and returns the updates in the order of `accountIds`, which must be
 * distinct and in increasing byte order. Each account's counter row update
 * takes its row lock (PostgreSQL) or runs under the single writer (SQLite),
 * so sequence numbers are allocated without gaps or reuse (SYNC-LOG-001);
 * taking them in increasing account order means concurrent fan-outs on
 * PostgreSQL cannot deadlock. The log rows are written by one multi-row
 * INSERT (per 256 accounts) instead of one INSERT each.
 */
export async function appendLogMany(tx: SqlTx, accountIds: readonly Uint8Array[], content: LogContent, nowMs: number): Promise<AccountUpdate[]> {
  if (accountIds.length === 0) return [];
  const seqs: bigint[] = [];
  for (const id of accountIds) {
    const rows = await tx.all("UPDATE accounts SET seq = seq + 1 WHERE account_id = ? AND seq < ? RETURNING seq", [id, MAX_SEQUENCE]);
    if (rows.length === 0) throw logFull();
    seqs.push(big(rows[0]!.seq));
  }
  let kind: number;
  let payload: Uint8Array | null = null;
  let sender: Uint8Array | null = null;
  let cmid: Uint8Array | null = null;
  switch (content.kind) {
    case "message":
      kind = LOG_MESSAGE;
      sender = content.message.senderAccountId;
      cmid = content.message.clientMessageId;
      break;
    case "conversation":
      kind = LOG_CONVERSATION;
      payload = ConversationUpdate.encode(content.update).finish();
      break;
    case "deviceList":
      kind = LOG_DEVICE_LIST;
      payload = DeviceListChanged.encode(content.changed).finish();
      break;
  }
  for (let i = 0; i < accountIds.length; i += INSERT_CHUNK) {
    const count = Math.min(INSERT_CHUNK, accountIds.length - i);
    const params: SqlValue[] = [];
    for (let j = i; j < i + count; j++) params.push(accountIds[j]!, seqs[j]!, nowMs, kind, payload, sender, cmid);
    await tx.run(
      `INSERT INTO log (account_id, seq, time_ms, kind, payload, msg_sender, msg_cmid) VALUES ${Array(count).fill("(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      params,
    );
  }
  const updateKind = toKind(content);
  const serverTimeMs = BigInt(nowMs);
  return seqs.map((seq) => ({ seq, count: 1, serverTimeMs, kind: updateKind }));
}

/** SYNC-LOG-003: a log at the top of its range refuses further updates rather than wrapping around. */
function logFull(): Error {
  return fail(ErrorCode.SEQUENCE_INVALID, "account log is at its maximum sequence number", "SYNC-LOG-003");
}

function toKind(content: LogContent): AccountUpdate["kind"] {
  switch (content.kind) {
    case "message":
      return { $case: "message", value: content.message };
    case "conversation":
      return { $case: "conversation", value: content.update };
    case "deviceList":
      return { $case: "deviceList", value: content.changed };
  }
}

/** The SELECT that reads log rows joined with their stored message. */
export const LOG_SELECT = `SELECT l.seq, l.time_ms, l.kind, l.payload, m.conversation_id, m.sender_account_id, m.sender_device_id,
  m.client_message_id, m.ciphertext FROM log l LEFT JOIN messages m
  ON m.sender_account_id = l.msg_sender AND m.client_message_id = l.msg_cmid`;

/** Rebuilds an AccountUpdate from a LOG_SELECT row; ciphertexts come back byte for byte (SYNC-NOPLAIN-001, SERVER-NOPLAIN-001). */
export function rowToUpdate(row: SqlRow): AccountUpdate {
  const base = { seq: big(row.seq), count: 1, serverTimeMs: big(row.time_ms) };
  switch (num(row.kind)) {
    case LOG_MESSAGE:
      return {
        ...base,
        kind: {
          $case: "message",
          value: {
            conversationId: bytes(row.conversation_id),
            senderAccountId: bytes(row.sender_account_id),
            senderDeviceId: num(row.sender_device_id),
            clientMessageId: bytes(row.client_message_id),
            ciphertext: bytes(row.ciphertext),
          },
        },
      };
    case LOG_CONVERSATION:
      return { ...base, kind: { $case: "conversation", value: ConversationUpdate.decode(bytes(row.payload)) } };
    default:
      return { ...base, kind: { $case: "deviceList", value: DeviceListChanged.decode(bytes(row.payload)) } };
  }
}
