// Server mutants: the reference server with exactly one behaviour broken,
// each through a wrapper of its storage port. The server kill test runs the
// server suite against each and requires the rules it breaks to fail.
import { ErrorCode, KabarError, isKabarError, type PreKeyBundle } from "@kabar/protocol";
import type { ServerStore } from "@kabar/server";
import { randomBytes } from "node:crypto";
import { defineMutant } from "../../registry/mutant-registry.js";
import { startMutantServer, type StoreWrapper } from "./mutant-server.js";

type Args<K extends keyof ServerStore> = ServerStore[K] extends (...args: infer A) => unknown ? A : never;
type Out<K extends keyof ServerStore> = ServerStore[K] extends (...args: never[]) => infer R ? R : never;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

function serverMutant(id: string, breaks: string[], description: string, wrapper: StoreWrapper): void {
  defineMutant({ id, breaks, target: "server", description, create: () => startMutantServer(id, wrapper) });
}

serverMutant("server.prekey-handed-out-twice", ["SERVER-PREKEY-001"],
  "Every second claim of an account's prekeys returns the previous claim's bundles again instead of claiming new keys.",
  (store) => {
    const last = new Map<string, Promise<PreKeyBundle[]>>();
    const calls = new Map<string, number>();
    return {
      claimPreKeys: ((...[accountId, deviceIds]: Args<"claimPreKeys">): Out<"claimPreKeys"> => {
        const key = hex(accountId);
        const n = (calls.get(key) ?? 0) + 1;
        calls.set(key, n);
        const previous = last.get(key);
        if (n % 2 === 0 && previous !== undefined) return previous;
        const bundles = store.claimPreKeys(accountId, deviceIds);
        last.set(key, bundles);
        return bundles;
      }) as never,
    };
  });

serverMutant("server.difference-off-by-one", ["SYNC-DIFF-001"],
  "GetDifference after seq n starts at update n instead of n + 1, repeating an update the client has.",
  (store) => ({
    readLog: ((...[accountId, afterSeq, limit, maxBytes]: Args<"readLog">) => store.readLog(accountId, afterSeq > 0n ? afterSeq - 1n : afterSeq, limit, maxBytes)) as never,
  }));

serverMutant("server.ack-before-commit", ["SYNC-LOG-002"],
  "Acknowledges a SendMessage at once and commits it a few seconds later (write-behind), so a crash loses acknowledged sends.",
  (store, hooks) => {
    const pending: Args<"sendMessage">[0][] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = async () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      for (const input of pending.splice(0)) await store.sendMessage(input).catch(() => undefined);
    };
    hooks.onCrash = () => {
      if (timer !== undefined) clearTimeout(timer);
      pending.length = 0;
    };
    hooks.onStop = flush;
    return {
      sendMessage: (async (input: Args<"sendMessage">[0]): Out<"sendMessage"> => {
        const account = await store.getAccount(input.sender);
        const already = pending.filter((p) => hex(p.sender) === hex(input.sender)).length;
        pending.push(input);
        timer ??= setTimeout(() => void flush(), 5_000);
        return { response: { seq: (account?.seq ?? 0n) + BigInt(already) + 1n, serverTimeMs: BigInt(input.nowMs) }, deliveries: [] };
      }) as never,
    };
  });

serverMutant("server.send-not-idempotent", ["SYNC-SEND-002"],
  "Stores a retried SendMessage (same client message id and bytes) again under a new id instead of returning the first response.",
  (store) => ({
    sendMessage: (async (input: Args<"sendMessage">[0]): Out<"sendMessage"> => {
      const first = await store.sendMessage(input);
      if (first.deliveries.length > 0) return first;
      return store.sendMessage({ ...input, clientMessageId: new Uint8Array(randomBytes(16)) });
    }) as never,
  }));

serverMutant("server.idempotency-conflict-ignored", ["SYNC-SEND-003"],
  "Stores a SendMessage that reuses a client message id with other bytes instead of rejecting it with IDEMPOTENCY_CONFLICT.",
  (store) => ({
    sendMessage: (async (input: Args<"sendMessage">[0]): Out<"sendMessage"> => {
      try {
        return await store.sendMessage(input);
      } catch (error) {
        if (!isKabarError(error, ErrorCode.IDEMPOTENCY_CONFLICT)) throw error;
        return store.sendMessage({ ...input, clientMessageId: new Uint8Array(randomBytes(16)) });
      }
    }) as never,
  }));

serverMutant("server.fan-out-skips-own-account", ["SYNC-SEND-001"],
  "Leaves a message out of the sender's own account log as read by its devices, so the sender's other devices never get it.",
  (store) => ({
    readLog: (async (...[accountId, afterSeq, limit, maxBytes]: Args<"readLog">): Out<"readLog"> => {
      const read = await store.readLog(accountId, afterSeq, limit, maxBytes);
      return { ...read, updates: read.updates.filter((u) => !(u.kind?.$case === "message" && hex(u.kind.value.senderAccountId) === hex(accountId))) };
    }) as never,
  }));

serverMutant("server.not-found-distinguishable", ["AUTHZ-ACCESS-001"],
  "Answers an outsider naming an existing conversation with a NOT_FOUND whose message differs from the one for a missing conversation.",
  (store) => {
    const known = new Set<string>();
    const tell = (conversationId: Uint8Array) => (error: unknown): never => {
      if (isKabarError(error, ErrorCode.NOT_FOUND) && known.has(hex(conversationId))) throw new KabarError(ErrorCode.NOT_FOUND, "not a member of this conversation", { rule: "AUTHZ-ACCESS-001" });
      throw error;
    };
    return {
      createConversation: (async (input: Args<"createConversation">[0]): Out<"createConversation"> => {
        const result = await store.createConversation(input);
        known.add(hex(input.conversationId));
        return result;
      }) as never,
      getConversation: ((...[conversationId, caller]: Args<"getConversation">) => store.getConversation(conversationId, caller).catch(tell(conversationId))) as never,
      sendMessage: ((input: Args<"sendMessage">[0]) => store.sendMessage(input).catch(tell(input.conversationId))) as never,
      changeMembers: ((input: Args<"changeMembers">[0]) => store.changeMembers(input).catch(tell(input.conversationId))) as never,
    };
  });

serverMutant("server.stale-device-list-accepted", ["SERVER-DEVICES-002"],
  "Answers a device list whose version is not greater than the stored one with success (keeping the stored one) instead of DEVICE_LIST_STALE.",
  (store) => ({
    publishDeviceList: (async (input: Args<"publishDeviceList">[0]): Out<"publishDeviceList"> => {
      try {
        return await store.publishDeviceList(input);
      } catch (error) {
        if (!isKabarError(error, ErrorCode.DEVICE_LIST_STALE)) throw error;
        const account = await store.getAccount(input.accountId);
        return { response: { version: account?.deviceList.version ?? 0n, seq: account?.seq ?? 0n, removedDeviceIds: [] }, deliveries: [] };
      }
    }) as never,
  }));

serverMutant("server.ack-beyond-latest-accepted", ["SYNC-INBOX-003"],
  "Accepts an inbox acknowledgement above the latest entry instead of rejecting it with ACK_INVALID.",
  (store) => ({
    ackInbox: (async (...[accountId, deviceId, upToSeq]: Args<"ackInbox">): Out<"ackInbox"> => {
      try {
        return await store.ackInbox(accountId, deviceId, upToSeq);
      } catch (error) {
        if (!isKabarError(error, ErrorCode.ACK_INVALID)) throw error;
        return upToSeq;
      }
    }) as never,
  }));

serverMutant("server.send-acknowledged-with-stale-seq", ["SYNC-SEND-001"],
  "Answers SendMessage with the sender's log seq before the update instead of the update's own seq.",
  (store) => ({
    sendMessage: (async (input: Args<"sendMessage">[0]): Out<"sendMessage"> => {
      const result = await store.sendMessage(input);
      return { ...result, response: { ...result.response, seq: result.response.seq - 1n } };
    }) as never,
  }));

serverMutant("server.upload-forgets-last-part", ["FILES-UPLOAD-004"],
  "Reports the highest stored part of an upload as missing in GetUpload.",
  (store) => ({
    getUpload: (async (...[uploadId, accountId]: Args<"getUpload">): Out<"getUpload"> => {
      const record = await store.getUpload(uploadId, accountId);
      if (record === undefined || record.parts.size === 0 || record.blobId !== undefined) return record;
      const parts = new Map(record.parts);
      parts.delete(Math.max(...parts.keys()));
      return { ...record, parts };
    }) as never,
  }));

serverMutant("server.create-conversation-not-idempotent", ["SYNC-CONV-002"],
  "Answers a retried CreateConversation (same id, kind and members) with CONVERSATION_EXISTS instead of the first response.",
  (store) => ({
    createConversation: (async (input: Args<"createConversation">[0]): Out<"createConversation"> => {
      const result = await store.createConversation(input);
      if (result.deliveries.length === 0) throw new KabarError(ErrorCode.CONVERSATION_EXISTS, "conversation exists", { rule: "SYNC-CONV-002" });
      return result;
    }) as never,
  }));
