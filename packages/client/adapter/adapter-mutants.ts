// Test-only broken variants of the reference client adapter, for the
// conformance kit's kill matrix (`--mutant <id>`). Each changes exactly one
// behaviour at the adapter/SDK boundary: a prototype patch of an exported
// SDK class, a wrapped crypto provider, or a change in how the adapter maps
// or drives the SDK. The SDK sources are not modified. Never use these
// outside the kit's tests: each one makes the client unsafe on purpose.
import { NodeCryptoProvider, type CryptoProvider } from "@kabar/crypto";
import { AsyncLocalStorage } from "node:async_hooks";
import { Content, decodeFrame, encodeFrame, ErrorCode, isKabarError, KabarError, type AccountUpdate } from "@kabar/protocol";
import { SyncEngine, wsSocketFactory, type SocketFactory } from "../src/index.js";
import { Receiver } from "../src/client/receiver.js";
import { PairwiseSessions } from "../src/session/pairwise-sessions.js";
import { SenderKeyManager } from "../src/session/sender-key-manager.js";

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
  return provider;
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
