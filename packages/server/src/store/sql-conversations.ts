import {
  ChangeMembersResponse, ConversationKind, ConversationUpdate, CreateConversationResponse, ErrorCode, type SendMessageResponse,
} from "@kabar/protocol";
import { fail, invalidField, notFound } from "../core/fail.js";
import { appendLogMany } from "./sql-log.js";
import { big, bytes, num, type SqlTx } from "./sql-driver.js";
import type { Committed, LogDelivery, ServerStore } from "./server-store.js";

type Input<K extends keyof ServerStore> = ServerStore[K] extends (input: infer I, ...rest: never[]) => unknown ? I : never;

const hex = (id: Uint8Array): string => Buffer.from(id).toString("hex");
const sortIds = (ids: Iterable<Uint8Array>): Uint8Array[] => [...ids].sort((a, b) => Buffer.compare(a, b));
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

async function members(tx: SqlTx, conversationId: Uint8Array): Promise<Uint8Array[]> {
  const rows = await tx.all("SELECT account_id FROM members WHERE conversation_id = ? ORDER BY account_id", [conversationId]);
  return sortIds(rows.map((row) => bytes(row.account_id)));
}

/** Membership gates every conversation operation (AUTHZ-ACCESS-004). */
async function isMember(tx: SqlTx, conversationId: Uint8Array, accountId: Uint8Array): Promise<boolean> {
  return (await tx.all("SELECT 1 AS one FROM members WHERE conversation_id = ? AND account_id = ?", [conversationId, accountId])).length > 0;
}

async function requireAccounts(tx: SqlTx, ids: readonly Uint8Array[]): Promise<void> {
  for (const id of ids) {
    if ((await tx.all("SELECT 1 AS one FROM accounts WHERE account_id = ?", [id])).length === 0) throw notFound("account");
  }
}

/** Appends one update to several logs (SYNC-LOG-004) in increasing account order (no deadlocks on PostgreSQL). */
async function fanOut(tx: SqlTx, accounts: readonly Uint8Array[], update: ConversationUpdate, nowMs: number): Promise<LogDelivery[]> {
  const sorted = sortIds(accounts);
  const updates = await appendLogMany(tx, sorted, { kind: "conversation", update }, nowMs);
  return sorted.map((accountId, i) => ({ accountId, update: updates[i]! }));
}

/** Creates a conversation; the same id with the same kind and members replays the first response. */
export async function createConversation(tx: SqlTx, input: Input<"createConversation">): Promise<Committed<CreateConversationResponse>> {
  const memberIds = sortIds(input.members);
  const existing = (await tx.all("SELECT * FROM conversations WHERE conversation_id = ?", [input.conversationId]))[0];
  if (existing !== undefined) {
    const stored = CreateConversationResponse.decode(bytes(existing.create_response));
    const first = stored.conversation!;
    const same = sameBytes(first.actorAccountId, input.creator) && first.kind === input.kind &&
      first.memberAccountIds.length === memberIds.length && first.memberAccountIds.every((id, i) => sameBytes(id, memberIds[i]!));
    if (!same) throw fail(ErrorCode.CONVERSATION_EXISTS, "a conversation with this id exists with other members", "SYNC-CONV-002");
    return { response: stored, deliveries: [] };
  }
  await requireAccounts(tx, memberIds);
  const update: ConversationUpdate = {
    conversationId: input.conversationId,
    kind: input.kind,
    actorAccountId: input.creator,
    memberAccountIds: memberIds,
    addedAccountIds: memberIds,
    removedAccountIds: [],
    epoch: 1n,
  };
  for (const id of memberIds) await tx.run("INSERT INTO members (conversation_id, account_id) VALUES (?, ?)", [input.conversationId, id]);
  const deliveries = await fanOut(tx, memberIds, update, input.nowMs);
  const seq = deliveries.find((d) => sameBytes(d.accountId, input.creator))!.update.seq;
  const response: CreateConversationResponse = { conversation: update, seq };
  await tx.run("INSERT INTO conversations (conversation_id, kind, creator, epoch, latest, create_response) VALUES (?, ?, ?, 1, ?, ?)", [
    input.conversationId, input.kind, input.creator, ConversationUpdate.encode(update).finish(), CreateConversationResponse.encode(response).finish(),
  ]);
  return { response, deliveries };
}

/** Adds and removes group members; see conversations.proto for who may do what. */
export async function changeMembers(tx: SqlTx, input: Input<"changeMembers">, lock: string): Promise<Committed<ChangeMembersResponse>> {
  const replay = (await tx.all("SELECT request_digest, response FROM member_changes WHERE actor = ? AND client_request_id = ?", [input.actor, input.clientRequestId]))[0];
  if (replay !== undefined) {
    if (!sameBytes(bytes(replay.request_digest), input.requestDigest)) {
      throw fail(ErrorCode.IDEMPOTENCY_CONFLICT, "client_request_id was used for another change", "SYNC-CONV-004");
    }
    return { response: ChangeMembersResponse.decode(bytes(replay.response)), deliveries: [] };
  }
  const conversation = (await tx.all(`SELECT * FROM conversations WHERE conversation_id = ?${lock}`, [input.conversationId]))[0];
  if (conversation === undefined || !(await isMember(tx, input.conversationId, input.actor))) throw notFound("conversation");
  if (num(conversation.kind) !== ConversationKind.GROUP) throw invalidField("members of a direct conversation never change", "SYNC-CONV-003");
  const before = await members(tx, input.conversationId);
  const current = new Map(before.map((id) => [hex(id), id]));
  const added = sortIds(input.add.filter((id) => !current.has(hex(id))));
  const removed = sortIds(input.remove.filter((id) => current.has(hex(id))));
  const creator = bytes(conversation.creator);
  for (const id of removed) {
    // SYNC-CONV-005: a member may remove itself; only the creator removes others.
    if (!sameBytes(id, input.actor) && !sameBytes(creator, input.actor)) throw notFound("conversation");
  }
  if (added.length === 0 && removed.length === 0) throw invalidField("the change adds and removes nobody", "SYNC-CONV-003");
  await requireAccounts(tx, added);
  for (const id of added) current.set(hex(id), id);
  for (const id of removed) current.delete(hex(id));
  if (current.size > input.maxMembers) throw fail(ErrorCode.TOO_MANY_RECIPIENTS, `a group has at most ${input.maxMembers} members`, "SYNC-CONV-001");
  const epoch = big(conversation.epoch) + 1n;
  const update: ConversationUpdate = {
    conversationId: input.conversationId,
    kind: ConversationKind.GROUP,
    actorAccountId: input.actor,
    memberAccountIds: sortIds(current.values()),
    addedAccountIds: added,
    removedAccountIds: removed,
    epoch,
  };
  for (const id of added) await tx.run("INSERT INTO members (conversation_id, account_id) VALUES (?, ?)", [input.conversationId, id]);
  for (const id of removed) await tx.run("DELETE FROM members WHERE conversation_id = ? AND account_id = ?", [input.conversationId, id]);
  await tx.run("UPDATE conversations SET epoch = ?, latest = ? WHERE conversation_id = ?", [epoch, ConversationUpdate.encode(update).finish(), input.conversationId]);
  // Everyone who was a member before or after learns of the change.
  const audience = new Map([...before, ...added].map((id) => [hex(id), id]));
  const deliveries = await fanOut(tx, [...audience.values()], update, input.nowMs);
  const own = deliveries.find((d) => sameBytes(d.accountId, input.actor) && current.has(hex(input.actor)));
  const response: ChangeMembersResponse = { conversation: update, seq: own?.update.seq ?? 0n };
  await tx.run("INSERT INTO member_changes (actor, client_request_id, request_digest, response) VALUES (?, ?, ?, ?)", [
    input.actor, input.clientRequestId, input.requestDigest, ChangeMembersResponse.encode(response).finish(),
  ]);
  return { response, deliveries };
}

/** The latest conversation update, for members only. */
export async function getConversation(tx: SqlTx, conversationId: Uint8Array, caller: Uint8Array): Promise<ConversationUpdate> {
  const row = (await tx.all("SELECT latest FROM conversations WHERE conversation_id = ?", [conversationId]))[0];
  if (row === undefined || !(await isMember(tx, conversationId, caller))) throw notFound("conversation");
  return ConversationUpdate.decode(bytes(row.latest));
}

/**
 * Stores a message once and appends a reference to it to the log of every
 * member account (SYNC-SEND-001). A retry with the same client message id
 * and bytes returns the stored response (SYNC-SEND-002); other bytes are an
 * IDEMPOTENCY_CONFLICT (SYNC-SEND-003).
 */
export async function sendMessage(tx: SqlTx, input: Input<"sendMessage">, lock: string): Promise<Committed<SendMessageResponse>> {
  const prior = (await tx.all("SELECT * FROM messages WHERE sender_account_id = ? AND client_message_id = ?", [input.sender, input.clientMessageId]))[0];
  if (prior !== undefined) {
    if (!sameBytes(bytes(prior.conversation_id), input.conversationId) || !sameBytes(bytes(prior.ciphertext), input.ciphertext)) {
      throw fail(ErrorCode.IDEMPOTENCY_CONFLICT, "client_message_id was used for other content", "SYNC-SEND-003");
    }
    return { response: { seq: big(prior.sender_seq), serverTimeMs: big(prior.time_ms) }, deliveries: [] };
  }
  // The latest ConversationUpdate lists the members, sorted: it is written
  // in the same transaction as every change of the members table, so one
  // row read replaces the membership query.
  const conversation = (await tx.all(`SELECT epoch, latest FROM conversations WHERE conversation_id = ?${lock}`, [input.conversationId]))[0];
  const memberIds = conversation === undefined ? [] : ConversationUpdate.decode(bytes(conversation.latest)).memberAccountIds;
  // AUTHZ-ACCESS-004: only members send; non-members and unknown ids look alike.
  if (conversation === undefined || !memberIds.some((id) => sameBytes(id, input.sender))) throw notFound("conversation");
  const epoch = big(conversation.epoch);
  if (input.epoch !== 0n && input.epoch !== epoch) {
    throw fail(ErrorCode.RECIPIENTS_MISMATCH, `membership epoch is ${epoch}, not ${input.epoch}`, "SYNC-SEND-004");
  }
  const message = {
    conversationId: input.conversationId,
    senderAccountId: input.sender,
    senderDeviceId: input.senderDeviceId,
    clientMessageId: input.clientMessageId,
    ciphertext: input.ciphertext,
  };
  const deliveries: LogDelivery[] = [];
  let senderSeq = 0n;
  const updates = await appendLogMany(tx, memberIds, { kind: "message", message }, input.nowMs);
  memberIds.forEach((accountId, i) => {
    const update = updates[i]!;
    if (sameBytes(accountId, input.sender)) senderSeq = update.seq;
    deliveries.push({ accountId, update });
  });
  await tx.run(
    `INSERT INTO messages (sender_account_id, client_message_id, conversation_id, sender_device_id, ciphertext, sender_seq, time_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [input.sender, input.clientMessageId, input.conversationId, input.senderDeviceId, input.ciphertext, senderSeq, input.nowMs],
  );
  return { response: { seq: senderSeq, serverTimeMs: BigInt(input.nowMs) }, deliveries };
}
