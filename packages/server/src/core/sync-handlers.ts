import { createHash } from "node:crypto";
import {
  ACCOUNT_ID_BYTES, ConversationKind, ErrorCode, MAX_DEVICE_MESSAGE_BYTES, MAX_DEVICES_PER_ACCOUNT, MAX_INBOX_FETCH, RANDOM_ID_BYTES,
  type AckInboxRequest, type AckInboxResponse, type ChangeMembersRequest, type ChangeMembersResponse, type CreateConversationRequest,
  type CreateConversationResponse, type FetchInboxRequest, type FetchInboxResponse, type GetConversationRequest,
  type GetConversationResponse, type GetDifferenceRequest, type GetDifferenceResponse, type GetStateResponse, type SendMessageRequest,
  type SendMessageResponse, type SendToDevicesRequest, type SendToDevicesResponse,
} from "@kabar/protocol";
import type { Caller, CoreContext, PushEffect } from "./context.js";
import { fail, invalidField, notFound } from "./fail.js";
import type { Handled } from "./identity-handlers.js";
import type { LogDelivery } from "../store/server-store.js";

/** Room left in a frame for everything around the updates or entries. */
const FRAME_MARGIN = 4096;

function checkId(id: Uint8Array, length: number, field: string): void {
  if (id.length !== length) throw invalidField(`${field} must be ${length} bytes`);
}

function toPushes(deliveries: readonly LogDelivery[]): PushEffect[] {
  return deliveries.map((d) => ({ kind: "update", accountId: d.accountId, update: d.update }));
}

/** CreateConversation: direct = exactly one other account; group = up to the member limit (SYNC-CONV-001). */
export async function createConversation(ctx: CoreContext, caller: Caller, request: CreateConversationRequest): Promise<Handled<CreateConversationResponse>> {
  checkId(request.conversationId, RANDOM_ID_BYTES, "conversation_id");
  const others = new Map<string, Uint8Array>();
  for (const id of request.memberAccountIds) {
    checkId(id, ACCOUNT_ID_BYTES, "member_account_ids[]");
    if (Buffer.compare(id, caller.accountId) !== 0) others.set(Buffer.from(id).toString("hex"), id);
  }
  if (others.size !== request.memberAccountIds.length) throw invalidField("members must be distinct and exclude the caller", "SYNC-CONV-001");
  if (request.kind === ConversationKind.DIRECT) {
    if (others.size !== 1) throw invalidField("a direct conversation has exactly one other member", "SYNC-CONV-001");
  } else if (request.kind === ConversationKind.GROUP) {
    if (others.size === 0) throw invalidField("a group has at least two members", "SYNC-CONV-001");
    if (others.size + 1 > ctx.limits.maxGroupMembers) throw fail(ErrorCode.TOO_MANY_RECIPIENTS, "too many members", "SYNC-CONV-001");
  } else {
    throw invalidField("kind must be DIRECT or GROUP", "SYNC-CONV-001");
  }
  const committed = await ctx.store.createConversation({
    conversationId: request.conversationId, kind: request.kind, creator: caller.accountId,
    members: [caller.accountId, ...others.values()], nowMs: ctx.clock.nowMs(),
  });
  return { body: committed.response, pushes: toPushes(committed.deliveries) };
}

/** ChangeMembers: any member adds, a member removes itself, the creator removes others (SYNC-CONV-005). */
export async function changeMembers(ctx: CoreContext, caller: Caller, request: ChangeMembersRequest): Promise<Handled<ChangeMembersResponse>> {
  checkId(request.conversationId, RANDOM_ID_BYTES, "conversation_id");
  checkId(request.clientRequestId, RANDOM_ID_BYTES, "client_request_id");
  if (request.addAccountIds.length + request.removeAccountIds.length > ctx.limits.maxGroupMembers) {
    throw fail(ErrorCode.TOO_MANY_RECIPIENTS, "too many accounts in one change");
  }
  for (const id of [...request.addAccountIds, ...request.removeAccountIds]) checkId(id, ACCOUNT_ID_BYTES, "account id");
  const digest = createHash("sha256");
  digest.update(request.conversationId);
  for (const id of request.addAccountIds) digest.update("+").update(id);
  for (const id of request.removeAccountIds) digest.update("-").update(id);
  const committed = await ctx.store.changeMembers({
    conversationId: request.conversationId, actor: caller.accountId, add: request.addAccountIds, remove: request.removeAccountIds,
    clientRequestId: request.clientRequestId, requestDigest: new Uint8Array(digest.digest()), maxMembers: ctx.limits.maxGroupMembers,
    nowMs: ctx.clock.nowMs(),
  });
  return { body: committed.response, pushes: toPushes(committed.deliveries) };
}

/** GetConversation: members only; others get NOT_FOUND (AUTHZ-ACCESS-001). */
export async function getConversation(ctx: CoreContext, caller: Caller, request: GetConversationRequest): Promise<Handled<GetConversationResponse>> {
  checkId(request.conversationId, RANDOM_ID_BYTES, "conversation_id");
  return { body: { conversation: await ctx.store.getConversation(request.conversationId, caller.accountId) } };
}

/** SendMessage: sender from the session (AUTHZ-ACCESS-003, TRANSPORT-AUTH-004), stored once, fanned out (SYNC-SEND-001..003). */
export async function sendMessage(ctx: CoreContext, caller: Caller, request: SendMessageRequest): Promise<Handled<SendMessageResponse>> {
  checkId(request.conversationId, RANDOM_ID_BYTES, "conversation_id");
  checkId(request.clientMessageId, RANDOM_ID_BYTES, "client_message_id");
  // SYNC-SEND-005; the ciphertext itself is never inspected (SYNC-SEND-006).
  if (request.ciphertext.length === 0) throw invalidField("ciphertext must not be empty");
  if (request.ciphertext.length > ctx.limits.maxMessageBytes) throw fail(ErrorCode.MESSAGE_TOO_LARGE, `ciphertext exceeds ${ctx.limits.maxMessageBytes} bytes`);
  const committed = await ctx.store.sendMessage({
    conversationId: request.conversationId, sender: caller.accountId, senderDeviceId: caller.deviceId,
    clientMessageId: request.clientMessageId, ciphertext: request.ciphertext, epoch: request.epoch, nowMs: ctx.clock.nowMs(),
  });
  return { body: committed.response, pushes: toPushes(committed.deliveries) };
}

/** SendToDevices: one ciphertext per current device, atomically (SYNC-INBOX-002). */
export async function sendToDevices(ctx: CoreContext, caller: Caller, request: SendToDevicesRequest): Promise<Handled<SendToDevicesResponse>> {
  checkId(request.clientMessageId, RANDOM_ID_BYTES, "client_message_id");
  checkId(request.accountId, ACCOUNT_ID_BYTES, "account_id");
  if (request.messages.length > MAX_DEVICES_PER_ACCOUNT) throw fail(ErrorCode.TOO_MANY_RECIPIENTS, "at most 16 device ciphertexts");
  const seen = new Set<number>();
  const digest = createHash("sha256").update(request.accountId);
  for (const message of [...request.messages].sort((a, b) => a.deviceId - b.deviceId)) {
    if (seen.has(message.deviceId)) throw invalidField(`device ${message.deviceId} addressed twice`);
    seen.add(message.deviceId);
    if (message.ciphertext.length === 0) throw invalidField("ciphertext must not be empty");
    if (message.ciphertext.length > MAX_DEVICE_MESSAGE_BYTES) throw fail(ErrorCode.MESSAGE_TOO_LARGE, "device ciphertext too large");
    const length = Buffer.alloc(8);
    length.writeUInt32BE(message.deviceId, 0);
    length.writeUInt32BE(message.ciphertext.length, 4);
    digest.update(length).update(message.ciphertext);
  }
  const committed = await ctx.store.sendToDevices({
    sender: caller.accountId, senderDeviceId: caller.deviceId, clientMessageId: request.clientMessageId, recipient: request.accountId,
    messages: request.messages, deviceListVersion: request.deviceListVersion, requestDigest: new Uint8Array(digest.digest()),
    nowMs: ctx.clock.nowMs(),
  });
  const pushes: PushEffect[] = committed.deliveries.map((d) => ({ kind: "inbox", accountId: d.accountId, deviceId: d.deviceId, entry: d.entry }));
  return { body: committed.response, pushes };
}

/** GetState: the account log's seq and the device inbox's seq. */
export async function getState(ctx: CoreContext, caller: Caller): Promise<Handled<GetStateResponse>> {
  const account = await ctx.store.getAccount(caller.accountId);
  const device = (await ctx.store.listDevices(caller.accountId)).find((d) => d.deviceId === caller.deviceId);
  if (account === undefined || device === undefined) throw notFound("account");
  return { body: { state: { seq: account.seq, inboxSeq: device.inboxSeq } } };
}

/** GetDifference: empty, difference, slice or too long (SYNC-DIFF-001..004). */
export async function getDifference(ctx: CoreContext, caller: Caller, request: GetDifferenceRequest): Promise<Handled<GetDifferenceResponse>> {
  const limit = request.limit === 0 ? ctx.limits.defaultDifferenceLimit : request.limit;
  if (limit > ctx.limits.maxDifferenceLimit) throw invalidField(`limit must be 1..${ctx.limits.maxDifferenceLimit}`, "SYNC-DIFF-002");
  const read = await ctx.store.readLog(caller.accountId, request.seq, limit, ctx.limits.maxFrameBytes - FRAME_MARGIN);
  if (request.seq > read.seq) throw fail(ErrorCode.SEQUENCE_INVALID, `seq ${request.seq} is ahead of the log (${read.seq})`, "SYNC-DIFF-004");
  if (request.seq === read.seq) return { body: { result: { $case: "empty", value: { seq: read.seq } } } };
  // SYNC-DIFF-003: updates before the retention point are gone.
  if (request.seq < read.oldestSeq || read.updates.length === 0) {
    return { body: { result: { $case: "tooLong", value: { seq: read.seq, oldestSeq: read.oldestSeq } } } };
  }
  const last = read.updates[read.updates.length - 1]!.seq;
  if (last === read.seq) return { body: { result: { $case: "difference", value: { updates: read.updates, seq: last } } } };
  return { body: { result: { $case: "slice", value: { updates: read.updates, seq: last } } } };
}

/** FetchInbox: the calling device's own inbox only (AUTHZ-ACCESS-002). */
export async function fetchInbox(ctx: CoreContext, caller: Caller, request: FetchInboxRequest): Promise<Handled<FetchInboxResponse>> {
  const limit = request.limit === 0 ? 100 : request.limit;
  if (limit > MAX_INBOX_FETCH) throw invalidField(`limit must be 1..${MAX_INBOX_FETCH}`);
  const read = await ctx.store.readInbox(caller.accountId, caller.deviceId, request.afterSeq, limit, ctx.limits.maxFrameBytes - FRAME_MARGIN);
  return { body: read };
}

/** AckInbox: deletes the caller's entries up to a seq (SYNC-INBOX-003). */
export async function ackInbox(ctx: CoreContext, caller: Caller, request: AckInboxRequest): Promise<Handled<AckInboxResponse>> {
  return { body: { ackedSeq: await ctx.store.ackInbox(caller.accountId, caller.deviceId, request.upToSeq) } };
}
