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

serverMutant("server.inbox-numbered-from-two", ["SYNC-INBOX-001"],
  "Reports every inbox entry with an inbox_seq one above the stored one, so a device's inbox starts at 2.",
  (store) => ({
    readInbox: (async (...args: Args<"readInbox">): Out<"readInbox"> => {
      const read = await store.readInbox(...args);
      return { ...read, entries: read.entries.map((e) => ({ ...e, inboxSeq: e.inboxSeq + 1n })) };
    }) as never,
  }));

serverMutant("server.recipients-mismatch-unlisted", ["SYNC-INBOX-002"],
  "Rejects a SendToDevices that misses a device with RECIPIENTS_MISMATCH but without listing the missing and extra device ids.",
  (store) => ({
    sendToDevices: (async (input: Args<"sendToDevices">[0]): Out<"sendToDevices"> => {
      try {
        return await store.sendToDevices(input);
      } catch (error) {
        if (!isKabarError(error, ErrorCode.RECIPIENTS_MISMATCH)) throw error;
        throw new KabarError(ErrorCode.RECIPIENTS_MISMATCH, "the ciphertexts do not match the recipient's current devices", { rule: "SYNC-INBOX-002" });
      }
    }) as never,
  }));

serverMutant("server.inbox-fetch-drops-newest", ["SYNC-INBOX-004"],
  "Leaves the newest unacknowledged entry out of an inbox fetch that has two or more, without reporting more.",
  (store) => ({
    readInbox: (async (...args: Args<"readInbox">): Out<"readInbox"> => {
      const read = await store.readInbox(...args);
      return read.entries.length < 2 || read.more ? read : { ...read, entries: read.entries.slice(0, -1) };
    }) as never,
  }));

serverMutant("server.difference-ahead-accepted", ["SYNC-DIFF-004"],
  "Answers GetDifference from a seq ahead of the log as if the log were there, instead of SEQUENCE_INVALID.",
  (store) => ({
    readLog: (async (...[accountId, afterSeq, limit, maxBytes]: Args<"readLog">): Out<"readLog"> => {
      const read = await store.readLog(accountId, afterSeq, limit, maxBytes);
      return afterSeq > read.seq ? { ...read, seq: afterSeq } : read;
    }) as never,
  }));

serverMutant("server.reused-device-id-accepted", ["SERVER-DEVICES-003"],
  "Answers a device list that reuses a device id with other keys (or brings one back) with success, keeping the stored list, instead of CERTIFICATE_INVALID.",
  (store) => ({
    publishDeviceList: (async (input: Args<"publishDeviceList">[0]): Out<"publishDeviceList"> => {
      try {
        return await store.publishDeviceList(input);
      } catch (error) {
        if (!isKabarError(error, ErrorCode.CERTIFICATE_INVALID)) throw error;
        const account = await store.getAccount(input.accountId);
        return { response: { version: input.deviceList.version, seq: account?.seq ?? 0n, removedDeviceIds: [] }, deliveries: [] };
      }
    }) as never,
  }));

serverMutant("server.device-list-change-unlogged", ["SERVER-DEVICES-004"],
  "Leaves DeviceListChanged updates out of the logs as read, so an accepted device list never reaches the account's or its partners' devices.",
  (store) => ({
    readLog: (async (...args: Args<"readLog">): Out<"readLog"> => {
      const read = await store.readLog(...args);
      return { ...read, updates: read.updates.filter((u) => u.kind?.$case !== "deviceList") };
    }) as never,
  }));

serverMutant("server.reused-prekey-id-accepted", ["SERVER-PREKEY-003"],
  "Answers a prekey upload that reuses an id with another key with success (storing nothing of it) instead of KEY_INVALID.",
  (store) => ({
    uploadPreKeys: (async (input: Args<"uploadPreKeys">[0]): Out<"uploadPreKeys"> => {
      try {
        return await store.uploadPreKeys(input);
      } catch (error) {
        if (!isKabarError(error, ErrorCode.KEY_INVALID)) throw error;
        return store.uploadPreKeys({ ...input, signedPreKey: undefined, kemPreKeys: [], oneTimePreKeys: [], lastResortKemPreKey: undefined });
      }
    }) as never,
  }));

serverMutant("server.blob-readable-by-anyone", ["FILES-ACCESS-001"],
  "Lets any account read a blob, as if it were the uploader.",
  (store) => {
    const uploader = new Map<string, Uint8Array>();
    return {
      completeUpload: (async (...args: Args<"completeUpload">): Out<"completeUpload"> => {
        const blob = await store.completeUpload(...args);
        uploader.set(hex(blob.blobId), blob.accountId);
        return blob;
      }) as never,
      getReadableBlob: (async (...[blobId, accountId]: Args<"getReadableBlob">): Out<"getReadableBlob"> => {
        const blob = await store.getReadableBlob(blobId, accountId);
        const owner = uploader.get(hex(blobId));
        return blob ?? (owner === undefined ? undefined : store.getReadableBlob(blobId, owner));
      }) as never,
    };
  });

serverMutant("server.difference-limit-plus-one", ["SYNC-DIFF-002"],
  "Reads one update more than the GetDifference limit allows, so a slice carries limit + 1 updates.",
  (store) => ({
    readLog: ((...[accountId, afterSeq, limit, maxBytes]: Args<"readLog">) => store.readLog(accountId, afterSeq, limit + 1, maxBytes)) as never,
  }));

serverMutant("server.message-from-first-device", ["AUTHZ-ACCESS-003"],
  "Records every message as sent by the sender's device 1 instead of the authenticated device.",
  (store) => ({
    sendMessage: ((input: Args<"sendMessage">[0]) => store.sendMessage({ ...input, senderDeviceId: 1 })) as never,
  }));

serverMutant("server.blob-size-off-by-one", ["FILES-DOWNLOAD-001"],
  "Reports a blob one byte longer than uploaded in DownloadRange.",
  (store) => ({
    getReadableBlob: (async (...args: Args<"getReadableBlob">): Out<"getReadableBlob"> => {
      const blob = await store.getReadableBlob(...args);
      return blob === undefined ? undefined : { ...blob, size: blob.size + 1n };
    }) as never,
  }));

serverMutant("server.upload-completion-forgotten", ["FILES-UPLOAD-005"],
  "Forgets that an upload was completed, so completing it again does not return the first blob.",
  (store) => ({
    getUpload: (async (...args: Args<"getUpload">): Out<"getUpload"> => {
      const record = await store.getUpload(...args);
      if (record === undefined || record.blobId === undefined) return record;
      const { blobId: _completed, ...rest } = record;
      return rest as typeof record;
    }) as never,
  }));

serverMutant("server.unknown-member-dropped", ["SYNC-CONV-001"],
  "Creates a conversation naming an unknown account without that account instead of rejecting it with NOT_FOUND.",
  (store) => ({
    createConversation: (async (input: Args<"createConversation">[0]): Out<"createConversation"> => {
      try {
        return await store.createConversation(input);
      } catch (error) {
        if (!isKabarError(error, ErrorCode.NOT_FOUND)) throw error;
        const known = [];
        for (const member of input.members) if ((await store.getAccount(member)) !== undefined) known.push(member);
        return store.createConversation({ ...input, members: known });
      }
    }) as never,
  }));
