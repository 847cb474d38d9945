// Test-only broken variants of the reference client adapter, for the
// conformance kit's kill matrix (`--mutant <id>`). Each changes exactly one
// behaviour at the adapter/SDK boundary: a prototype patch of an exported
// SDK class, a wrapped crypto provider, or a change in how the adapter maps
// or drives the SDK. The SDK sources are not modified. Never use these
// outside the kit's tests: each one makes the client unsafe on purpose.
import { backupMasterKey, NodeCryptoProvider, openBackup, parseRecoverySecret, type CryptoProvider } from "@kabar/crypto";
import { AsyncLocalStorage } from "node:async_hooks";
import { Content, DeviceListBody, decodeFrame, encodeFrame, ErrorCode, HistoryKey, isKabarError, KabarError, MAX_RANGE_BYTES, type AccountUpdate } from "@kabar/protocol";
import { DeviceDirectory, KabarClient, MemoryClientStore, ReconnectingLink, SyncEngine, systemRandom, wsSocketFactory, type Random, type SocketFactory } from "../src/index.js";
import { classify } from "../src/sync/sync-engine.js";
import { InboxConsumer } from "../src/sync/inbox-consumer.js";
import { backupPointer } from "../src/client/history.js";
import { downloadBlob } from "../src/files/blob-download.js";
import { Sender } from "../src/client/sender.js";
import { Receiver } from "../src/client/receiver.js";
import { PairwiseSessions } from "../src/session/pairwise-sessions.js";
import { SenderKeyManager } from "../src/session/sender-key-manager.js";
import { ReceiptVerifier } from "../src/payments/receipts.js";

/** The mutants the adapter knows, with the rules each one breaks. */
export const CLIENT_ADAPTER_MUTANTS = {
  "ignores-gaps": "Applies a pushed update after a gap at once instead of fetching the difference first (the skipped updates are never fetched).",
  "shows-replay-twice": "Shows a message again when its update is pushed a second time (no duplicate check on replays).",
  "orders-by-message-id": "Shows a conversation's messages ordered by message id instead of by server sequence.",
  "accepts-unsigned-device": "Accepts device lists and certificates whose signatures do not verify.",
  "keeps-corrupt-document": "Returns the bytes a document download produced even when its authentication or digest check failed.",
  "drops-offline-sends": "Silently discards messages sent while the device is offline instead of queueing them.",
  "no-history-handover": "Approves new devices without handing them the history keys.",
  "hides-device-changes": "Does not tell the user when a contact's signed device set changes.",
  "ignores-too-long": "Ignores UpdatesTooLong pushes (the socket drops them before the SDK sees them).",
  "keeps-chain-after-removal": "Keeps its sender-key chain when a group member is removed (rotation is a no-op).",
  "reuses-auth-signature": "Authenticates every new connection of a device with the signature of its first connection.",
  "trusts-content-message-id": "Shows a conversation message whose decrypted Content.message_id differs from its client_message_id, under the server's id, instead of ignoring it.",
  "stalls-on-undecryptable": "Treats an inbox entry it cannot decrypt as a transient failure, so it is never acknowledged and blocks the entries behind it.",
  "reapplies-duplicate-updates": "Applies a pushed update whose seq is at most the local seq again instead of ignoring it.",
  "reprocesses-inbox-entries": "Processes an inbox entry again when it is served with an inbox seq at most the highest one processed.",
  "forgets-local-seq": "Applies a pushed update without advancing (or persisting) its local seq; only a fetched difference moves it.",
  "skips-difference-tail": "Drops the last update of every non-empty difference, yet moves its local seq to the difference's seq.",
  "no-sync-on-reconnect": "After a reconnect drains the inbox and flushes the outbox but does not fetch the log difference (SyncNow still does).",
  "acks-inbox-before-processing": "Acknowledges each page of inbox entries as soon as it is fetched, before processing them.",
  "accepts-older-device-list": "Accepts a device list whose version is lower than the one it holds for that account (it forgets the newer one first).",
  "drops-on-mismatch": "Gives a conversation message up when the server rejects it with RECIPIENTS_MISMATCH instead of catching up and re-encrypting it.",
  "skips-own-certificate-check": "Opens a newly linked device even when the account's signed list does not certify its keys.",
  "skips-link-signature-check": "Certifies the keys of a linking payload whose signature does not verify.",
  "accepts-foreign-edits": "Applies an Edit or Delete sent by another account than the sender of its target message.",
  "backup-not-sealed-with-secret": "Seals (and opens) its key backup under a master key derived from the account id alone, not from the recovery secret.",
  "restore-accepts-tampered-backup": "Restores a key backup without checking its HMAC (it recomputes the tag over what it downloaded before opening it).",
  "backup-in-conversation": "Uploads its key backup into the conversation it last sent to (readable by its members) instead of as an account-only blob.",
  "fixed-backoff": "Waits the full ceiling min(max, base * 2^attempt) before each reconnection attempt: exponential backoff without jitter.",
  "no-backoff-reset": "Never resets the reconnect attempt count after a successful authentication, so later outages start at the longest waits.",
  "skips-receipt-signature": "Shows a payment as done without verifying its receipt's provider signature (the body checks stay).",
  "trusts-receipt-body": "Verifies a receipt's provider signature but not that its body names the invoice, payer and total paid.",
  "accepts-foreign-history-share": "Imports the history keys of a HistoryKeyShare from any account, not only from its own account's devices.",
} as const;

/** A mutant id. */
export type ClientAdapterMutant = keyof typeof CLIENT_ADAPTER_MUTANTS;

/** Message ids a replayed update carried again, per sync engine (for `shows-replay-twice`). */
export const replayedMessages = new WeakMap<SyncEngine, { conversationId: string; messageId: string }[]>();

interface EngineInternals {
  local: bigint;
  sink: { apply(update: AccountUpdate): Promise<void>; saveSeq(seq: bigint): Promise<void> };
  pumping: Promise<void> | undefined;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** Installs the process-wide patches a mutant needs; returns the crypto provider clients must use. */
export function installMutant(mutant: ClientAdapterMutant | undefined): CryptoProvider {
  const provider = new NodeCryptoProvider();
  if (mutant === "ignores-gaps" || mutant === "shows-replay-twice") {
    const original = SyncEngine.prototype.receive;
    SyncEngine.prototype.receive = async function patched(this: SyncEngine, update: AccountUpdate): Promise<void> {
      const engine = this as unknown as EngineInternals;
      await engine.pumping;
      const count = BigInt(Math.max(1, update.count));
      if (mutant === "ignores-gaps" && update.seq > engine.local + count) {
        await engine.sink.apply(update);
        engine.local = update.seq;
        await engine.sink.saveSeq(update.seq);
        return;
      }
      if (mutant === "shows-replay-twice" && update.seq <= engine.local && update.kind?.$case === "message") {
        const list = replayedMessages.get(this) ?? [];
        list.push({ conversationId: hex(update.kind.value.conversationId), messageId: hex(update.kind.value.clientMessageId) });
        replayedMessages.set(this, list);
      }
      return original.call(this, update);
    };
  }
  if (mutant === "keeps-chain-after-removal") {
    // Neither the explicit rotation on removal nor the check that the chain
    // reached no device outside the current targets: the old chain stays.
    SenderKeyManager.prototype.rotate = async () => undefined;
    const prepare = SenderKeyManager.prototype.prepare;
    SenderKeyManager.prototype.prepare = async function patched(this: SenderKeyManager, conversationId: Uint8Array, targets: readonly string[]) {
      const reached = await (this as unknown as { loadDistributed(conv: string): Promise<{ devices: string[] }> }).loadDistributed(hex(conversationId));
      return prepare.call(this, conversationId, [...new Set([...targets, ...reached.devices])]);
    };
  }
  if (mutant === "skips-link-signature-check") {
    const verify = provider.ed25519Verify.bind(provider);
    const prefix = Buffer.from("kabar-v1 linking", "utf8");
    provider.ed25519Verify = (publicKey, message, signature) => Buffer.from(message.subarray(0, prefix.length)).equals(prefix) || verify(publicKey, message, signature);
  }
  if (mutant === "accepts-unsigned-device") {
    const verify = provider.ed25519Verify.bind(provider);
    const prefixes = ["kabar-v1 device-list", "kabar-v1 device-certificate"].map((s) => Buffer.from(s, "utf8"));
    provider.ed25519Verify = (publicKey, message, signature) =>
      prefixes.some((p) => Buffer.from(message.subarray(0, p.length)).equals(p)) || verify(publicKey, message, signature);
  }
  if (mutant === "trusts-content-message-id") {
    // The message id check itself stays; the decrypted content is re-keyed
    // under the id the server deduplicated on, so the check never fires.
    const serverId = new AsyncLocalStorage<Uint8Array>();
    const receiver = Receiver.prototype as unknown as { applyMessage(update: AccountUpdate, mayPark: boolean): Promise<boolean> };
    const applyMessage = receiver.applyMessage;
    receiver.applyMessage = function patched(this: Receiver, update: AccountUpdate, mayPark: boolean) {
      if (update.kind?.$case !== "message") return applyMessage.call(this, update, mayPark);
      return serverId.run(update.kind.value.clientMessageId, () => applyMessage.call(this, update, mayPark));
    };
    const decrypt = SenderKeyManager.prototype.decrypt;
    SenderKeyManager.prototype.decrypt = async function patched(this: SenderKeyManager, ...args: Parameters<typeof decrypt>) {
      const plaintext = await decrypt.apply(this, args);
      const id = serverId.getStore();
      if (id === undefined) return plaintext;
      try {
        return Content.encode({ ...Content.decode(plaintext), messageId: id }).finish();
      } catch {
        return plaintext;
      }
    };
  }
  if (mutant === "stalls-on-undecryptable") {
    const decrypt = PairwiseSessions.prototype.decrypt;
    PairwiseSessions.prototype.decrypt = async function patched(this: PairwiseSessions, ...args: Parameters<typeof decrypt>) {
      try {
        return await decrypt.apply(this, args);
      } catch (error) {
        if (isKabarError(error, ErrorCode.UNAVAILABLE, ErrorCode.RATE_LIMITED, ErrorCode.INTERNAL)) throw error;
        throw new KabarError(ErrorCode.UNAVAILABLE, "inbox entry could not be decrypted; retrying later");
      }
    };
  }
  if (mutant === "reapplies-duplicate-updates") {
    const original = SyncEngine.prototype.receive;
    SyncEngine.prototype.receive = async function patched(this: SyncEngine, update: AccountUpdate): Promise<void> {
      const engine = this as unknown as EngineInternals;
      await engine.pumping;
      if (classify(engine.local, update) === "duplicate") await engine.sink.apply(update);
      return original.call(this, update);
    };
  }
  if (mutant === "forgets-local-seq") {
    // The update is applied, but neither `local` nor the stored seq moves.
    (SyncEngine.prototype as unknown as { apply(update: AccountUpdate): Promise<void> }).apply = async function patched(this: SyncEngine, update: AccountUpdate) {
      await (this as unknown as EngineInternals).sink.apply(update);
    };
  }
  if (mutant === "skips-difference-tail") {
    type Internals = EngineInternals & { source: { getDifference(seq: bigint, limit: number): Promise<import("@kabar/protocol").GetDifferenceResponse> }; limit: number; apply(u: AccountUpdate): Promise<void>; sink: EngineInternals["sink"] & { resync(seq: bigint, oldest: bigint): Promise<void> } };
    (SyncEngine.prototype as unknown as { fetchDifference(): Promise<void> }).fetchDifference = async function patched(this: SyncEngine) {
      const engine = this as unknown as Internals;
      for (;;) {
        const result = (await engine.source.getDifference(engine.local, engine.limit)).result;
        if (result === undefined || result.$case === "empty") return;
        if (result.$case === "tooLong") {
          await engine.sink.resync(result.value.seq, result.value.oldestSeq);
          engine.local = result.value.seq;
          await engine.sink.saveSeq(engine.local);
          return;
        }
        for (const update of result.value.updates.slice(0, -1)) if (classify(engine.local, update) === "apply") await engine.apply(update);
        if (result.value.seq > engine.local) {
          engine.local = result.value.seq;
          await engine.sink.saveSeq(engine.local);
        }
        if (result.$case === "difference") return;
      }
    };
  }
  if (mutant === "reprocesses-inbox-entries") {
    type Internals = { processed: bigint; source: { fetchInbox(after: bigint, limit: number): Promise<import("@kabar/protocol").FetchInboxResponse>; ackInbox(upTo: bigint): Promise<void> }; sink: { handle(e: import("@kabar/protocol").InboxEntry): Promise<void>; saveInboxSeq(seq: bigint): Promise<void> }; limit: number; again: boolean };
    // No check against the highest processed inbox seq: whatever is served is handled.
    InboxConsumer.prototype.receive = function patched(this: InboxConsumer) {
      return this.drain();
    };
    (InboxConsumer.prototype as unknown as { loop(): Promise<void> }).loop = async function patched(this: InboxConsumer) {
      const consumer = this as unknown as Internals;
      do {
        consumer.again = false;
        let more = true;
        while (more) {
          const page = await consumer.source.fetchInbox(consumer.processed, consumer.limit);
          for (const entry of page.entries) {
            await consumer.sink.handle(entry);
            if (entry.inboxSeq > consumer.processed) consumer.processed = entry.inboxSeq;
            await consumer.sink.saveInboxSeq(consumer.processed);
          }
          more = page.more && page.entries.length > 0;
          if (page.entries.length > 0) await consumer.source.ackInbox(consumer.processed);
        }
      } while (consumer.again);
    };
  }
  if (mutant === "acks-inbox-before-processing") {
    type Internals = { processed: bigint; source: { fetchInbox(after: bigint, limit: number): Promise<import("@kabar/protocol").FetchInboxResponse>; ackInbox(upTo: bigint): Promise<void> }; sink: { handle(e: import("@kabar/protocol").InboxEntry): Promise<void>; saveInboxSeq(seq: bigint): Promise<void> }; limit: number; again: boolean };
    (InboxConsumer.prototype as unknown as { loop(): Promise<void> }).loop = async function patched(this: InboxConsumer) {
      const consumer = this as unknown as Internals;
      do {
        consumer.again = false;
        let more = true;
        while (more) {
          const page = await consumer.source.fetchInbox(consumer.processed, consumer.limit);
          const last = page.entries.at(-1);
          if (last !== undefined) await consumer.source.ackInbox(last.inboxSeq);
          for (const entry of page.entries) {
            if (entry.inboxSeq <= consumer.processed) continue;
            await consumer.sink.handle(entry);
            consumer.processed = entry.inboxSeq;
            await consumer.sink.saveInboxSeq(consumer.processed);
          }
          more = page.more && page.entries.length > 0;
        }
      } while (consumer.again);
    };
  }
  if (mutant === "accepts-older-device-list") {
    const accept = DeviceDirectory.prototype.accept;
    DeviceDirectory.prototype.accept = async function patched(this: DeviceDirectory, accountId: Uint8Array, signed: import("@kabar/protocol").SignedDeviceList) {
      const internals = this as unknown as { store: MemoryClientStore; cache: Map<string, unknown> };
      const stored = await internals.store.loadDeviceList(hex(accountId));
      let version: bigint | undefined;
      try {
        version = DeviceListBody.decode(signed.body).version;
      } catch {
        // left to the real check
      }
      if (stored !== undefined && version !== undefined && version < stored.version) {
        // The newer list is forgotten, so the older one looks like the first one seen.
        (internals.store as unknown as { deviceLists: Map<string, unknown> }).deviceLists.delete(hex(accountId));
        internals.cache.delete(hex(accountId));
      }
      return accept.call(this, accountId, signed);
    };
  }
  if (mutant === "drops-on-mismatch") {
    const onRejected = Sender.prototype.onRejected;
    Sender.prototype.onRejected = async function patched(this: Sender, entry, error) {
      if (entry.kind === "message" && isKabarError(error, ErrorCode.RECIPIENTS_MISMATCH)) return undefined;
      return onRejected.call(this, entry, error);
    };
  }
  if (mutant === "no-sync-on-reconnect") {
    type Internals = { ctx: { inbox: { drain(): Promise<void> }; engine: SyncEngine; link: { whenConnected(): Promise<unknown> } }; receiver: { retryParked(): Promise<void> }; flushOutbox(): Promise<void> };
    const client = KabarClient.prototype as unknown as Internals & { onConnected(): Promise<void>; sync(): Promise<void> };
    client.onConnected = async function patched(this: Internals) {
      await this.ctx.inbox.drain();
      await this.receiver.retryParked();
      await this.flushOutbox();
    };
    client.sync = async function patched(this: Internals) {
      await this.ctx.link.whenConnected();
      await this.ctx.inbox.drain();
      await this.ctx.engine.sync();
      await this.receiver.retryParked();
      await this.flushOutbox();
    };
  }
  if (mutant === "accepts-foreign-edits") {
    // The sender check stays; the update is re-attributed to the target's sender before it runs.
    const current = new AsyncLocalStorage<{ receiver: Receiver; update: AccountUpdate }>();
    const receiver = Receiver.prototype as unknown as { applyMessage(update: AccountUpdate, mayPark: boolean): Promise<boolean> };
    const applyMessage = receiver.applyMessage;
    receiver.applyMessage = function patched(this: Receiver, update: AccountUpdate, mayPark: boolean) {
      return current.run({ receiver: this, update }, () => applyMessage.call(this, update, mayPark));
    };
    const decrypt = SenderKeyManager.prototype.decrypt;
    SenderKeyManager.prototype.decrypt = async function patched(this: SenderKeyManager, ...args: Parameters<typeof decrypt>) {
      const plaintext = await decrypt.apply(this, args);
      const here = current.getStore();
      if (here === undefined || here.update.kind?.$case !== "message") return plaintext;
      try {
        const body = Content.decode(plaintext).body;
        if (body?.$case !== "edit" && body?.$case !== "delete") return plaintext;
        const store = (here.receiver as unknown as { ctx: { store: { getMessage(c: string, m: string): Promise<{ sender: string } | undefined> } } }).ctx.store;
        const target = await store.getMessage(hex(here.update.kind.value.conversationId), hex(body.value.targetMessageId));
        if (target !== undefined && target.sender !== "") here.update.kind.value.senderAccountId = Buffer.from(target.sender, "hex");
      } catch {
        // not a content we can read: leave it
      }
      return plaintext;
    };
  }
  if (mutant === "no-backoff-reset") {
    // The link resets its attempt count once a connection authenticates; put the old count back.
    const link = ReconnectingLink.prototype as unknown as { connectOnce(): Promise<void> };
    const connectOnce = link.connectOnce;
    link.connectOnce = async function patched(this: { attempt: number }) {
      const attempt = this.attempt;
      await connectOnce.call(this);
      this.attempt = Math.max(this.attempt, attempt);
    };
  }
  if (mutant === "backup-not-sealed-with-secret") {
    // The backup scrypt gets a password derived from its salt (the account id), never the recovery secret.
    const scrypt = provider.scrypt.bind(provider);
    const prefix = Buffer.from("kabar-v1 backup scrypt", "utf8");
    provider.scrypt = (password, salt, params, length) =>
      scrypt(Buffer.from(salt.subarray(0, prefix.length)).equals(prefix) ? provider.sha256(salt) : password, salt, params, length);
  }
  if (mutant === "backup-in-conversation") {
    // An upload with no conversation (only key backups are) goes into the last conversation this link sent to.
    const lastConversation = new WeakMap<ReconnectingLink, Uint8Array>();
    const request = ReconnectingLink.prototype.request;
    ReconnectingLink.prototype.request = function patched(this: ReconnectingLink, ...args: Parameters<typeof request>) {
      const [kind, value] = args as unknown as [string, { conversationId?: Uint8Array }];
      if (kind === "sendMessage" && value.conversationId !== undefined) lastConversation.set(this, value.conversationId);
      const last = lastConversation.get(this);
      if (kind === "createUpload" && value.conversationId?.length === 0 && last !== undefined) args[1] = { ...value, conversationId: last } as unknown as (typeof args)[1];
      return request.apply(this, args) as ReturnType<typeof request>;
    } as typeof request;
  }
  if (mutant === "restore-accepts-tampered-backup") {
    // Same steps as the SDK's restore, but the downloaded blob's HMAC is recomputed (so never checked) before opening it.
    type Internals = {
      ctx: import("../src/client/context.js").ClientContext;
      receiver: { retryParked(): Promise<void> };
    };
    KabarClient.prototype.restoreFromBackup = async function patched(this: KabarClient, secretText: string) {
      const { ctx, receiver } = this as unknown as Internals;
      const pointer = await backupPointer(ctx);
      if (pointer === undefined) throw new KabarError(ErrorCode.NOT_FOUND, "no backup pointer known");
      const secret = parseRecoverySecret(secretText);
      const parts: Uint8Array[] = [];
      for await (const part of downloadBlob(ctx.link, Buffer.from(pointer.blobId, "hex"), pointer.size, MAX_RANGE_BYTES)) parts.push(part);
      const blob = new Uint8Array(Buffer.concat(parts));
      const accountId = ctx.local.accountId;
      const master = backupMasterKey(ctx.provider, secret, accountId);
      if (blob.length > 60) {
        const mac = ctx.provider.hkdfSha256(master, blob.subarray(12, 28), Buffer.from("kabar-v1 backup mac", "utf8"), 32);
        blob.set(ctx.provider.hmacSha256(mac, Buffer.concat([accountId, blob.subarray(0, blob.length - 32)])), blob.length - 32);
      }
      const { entries } = openBackup(ctx.provider, master, accountId, blob, BigInt(pointer.version));
      const count = await ctx.senderKeys.importHistory([...entries.values()].map((bytes) => HistoryKey.decode(bytes)));
      await receiver.retryParked();
      return count;
    };
  }
  if (mutant === "skips-receipt-signature") {
    const verify = provider.ed25519Verify.bind(provider);
    const prefix = Buffer.from("kabar-v1 payment-receipt", "utf8");
    provider.ed25519Verify = (publicKey, message, signature) => Buffer.from(message.subarray(0, prefix.length)).equals(prefix) || verify(publicKey, message, signature);
  }
  if (mutant === "accepts-foreign-history-share") {
    // A HistoryKeyShare from another account is imported as if one of its own devices had sent it:
    // the receiver's own-account check sees its own account id on such entries (after decryption,
    // which needs the real sender).
    type Internals = { ctx: import("../src/client/context.js").ClientContext; handleUnlocked(entry: import("@kabar/protocol").InboxEntry): Promise<void> };
    const receiver = Receiver.prototype as unknown as Internals;
    const handleUnlocked = receiver.handleUnlocked;
    const decrypt = PairwiseSessions.prototype.decrypt;
    const shares = new AsyncLocalStorage<{ entry: import("@kabar/protocol").InboxEntry; local: Uint8Array }>();
    receiver.handleUnlocked = function patched(this: Internals, entry) {
      const copy = { ...entry };
      return shares.run({ entry: copy, local: this.ctx.local.accountId }, () => handleUnlocked.call(this, copy));
    };
    PairwiseSessions.prototype.decrypt = async function patched(this: PairwiseSessions, ...args: Parameters<typeof decrypt>) {
      const out = await decrypt.apply(this, args);
      const here = shares.getStore();
      try {
        if (here !== undefined && Content.decode(out.plaintext).body?.$case === "historyKeys") here.entry.senderAccountId = here.local;
      } catch {
        // not a content: the receiver reports it
      }
      return out;
    };
  }
  if (mutant === "trusts-receipt-body") {
    (ReceiptVerifier.prototype as unknown as { namesPayment(): boolean }).namesPayment = () => true;
  }
  return provider;
}

/** The random port of a mutant's clients, or undefined for the system's. */
export function randomFor(mutant: ClientAdapterMutant | undefined): Random | undefined {
  // Always the top of the jitter range: every wait is the ceiling itself.
  if (mutant === "fixed-backoff") return { float: () => 0.999_999, bytes: (length) => systemRandom.bytes(length) };
  return undefined;
}

/** The socket factory clients use: the default one, or for `ignores-too-long` one that drops UpdatesTooLong pushes. */
export function socketFactoryFor(mutant: ClientAdapterMutant | undefined): SocketFactory | undefined {
  if (mutant === "reuses-auth-signature") return reusingSignatures();
  if (mutant !== "ignores-too-long") return undefined;
  return async (url) => {
    const socket = await wsSocketFactory(url);
    return {
      send: (bytes) => socket.send(bytes),
      close: () => socket.close(),
      onClose: (handler) => socket.onClose(handler),
      onMessage: (handler) => socket.onMessage((bytes) => {
        let tooLong = false;
        try {
          const kind = decodeFrame(bytes).kind;
          tooLong = kind?.$case === "push" && kind.value.body?.$case === "tooLong";
        } catch {
          // not ours to judge: pass it on
        }
        if (!tooLong) handler(bytes);
      }),
    };
  };
}

/** A socket factory whose sockets replace each Authenticate signature with the device's first one. */
function reusingSignatures(): SocketFactory {
  const first = new Map<string, Uint8Array>();
  return async (url) => {
    const socket = await wsSocketFactory(url);
    return {
      close: () => socket.close(),
      onClose: (handler) => socket.onClose(handler),
      onMessage: (handler) => socket.onMessage(handler),
      send: (bytes) => {
        const frame = decodeFrame(bytes);
        const body = frame.kind?.$case === "request" ? frame.kind.value.body : undefined;
        if (frame.kind?.$case !== "request" || body?.$case !== "authenticate") return socket.send(bytes);
        const key = `${Buffer.from(body.value.accountId).toString("hex")}.${body.value.deviceId}`;
        const signature = first.get(key);
        if (signature === undefined) {
          first.set(key, body.value.signature);
          return socket.send(bytes);
        }
        socket.send(encodeFrame({ kind: { $case: "request", value: { ...frame.kind.value, body: { $case: "authenticate", value: { ...body.value, signature } } } } }));
      },
    };
  };
}
