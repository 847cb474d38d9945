// Builds the object graph of one client from its options and identity.
import { NodeCryptoProvider, type CryptoProvider } from "@kabar/crypto";
import { DeviceListBody } from "@kabar/protocol";
import { DeviceDirectory } from "../identity/device-directory.js";
import type { LocalIdentity } from "../identity/local-identity.js";
import { PreKeyVault } from "../identity/prekey-vault.js";
import { PairwiseSessions } from "../session/pairwise-sessions.js";
import { SenderKeyManager } from "../session/sender-key-manager.js";
import type { PaymentProviderKeys } from "../payments/receipts.js";
import type { ClientStore } from "../store/client-store.js";
import { InboxConsumer } from "../sync/inbox-consumer.js";
import { Outbox } from "../sync/outbox.js";
import { SyncEngine } from "../sync/sync-engine.js";
import type { BackoffOptions } from "../transport/backoff.js";
import { ReconnectingLink } from "../transport/reconnecting-link.js";
import type { SocketFactory } from "../transport/socket.js";
import { toHex } from "../util/bytes.js";
import { systemClock, systemRandom, type Clock, type Random } from "../util/ports.js";
import type { ClientContext } from "./context.js";
import { TypedEmitter } from "./events.js";
import { Receiver } from "./receiver.js";
import { Sender } from "./sender.js";

/** Options shared by every way of creating a client. */
export interface KabarClientOptions {
  /** The server's WebSocket URL, for example `ws://127.0.0.1:8080`. */
  readonly url: string;
  /** Where this device keeps its state. */
  readonly store: ClientStore;
  /** Crypto primitives (default: Node's native crypto). */
  readonly provider?: CryptoProvider;
  /** Socket factory (default: the `ws` package). */
  readonly socketFactory?: SocketFactory;
  /** Clock port (timeouts, backoff, sent_at). */
  readonly clock?: Clock;
  /** Random port (jitter, ids). */
  readonly random?: Random;
  /** Reconnect backoff. */
  readonly backoff?: BackoffOptions;
  /** Per-request timeout in milliseconds. */
  readonly requestTimeoutMs?: number;
  /** One-time prekeys of each kind uploaded at registration and linking (default 20). */
  readonly preKeyBatch?: number;
  /**
   * The published receipt keys of the payment providers this client pays
   * through, by provider id (default none: paying is refused). See
   * `KabarClient.payInvoice`.
   */
  readonly paymentProviderKeys?: PaymentProviderKeys;
}

/** The wired parts of a client. */
export interface Wired {
  readonly ctx: ClientContext;
  readonly receiver: Receiver;
  readonly sender: Sender;
}

/** Wires a client for a device whose identity is known. */
export async function wire(options: KabarClientOptions, local: LocalIdentity, onConnected: (ctx: ClientContext) => Promise<void>): Promise<Wired> {
  const provider = options.provider ?? new NodeCryptoProvider();
  const store = options.store;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const events = new TypedEmitter();
  const cursor = await store.loadSyncState();
  const receiver = new Receiver(store);
  const sender = new Sender();
  let ctx!: ClientContext;
  const link = new ReconnectingLink({
    url: options.url, provider, clock, random,
    credentials: { accountId: local.accountId, deviceId: local.device.deviceId, signing: local.device.signing },
    ...(options.socketFactory !== undefined ? { socketFactory: options.socketFactory } : {}),
    ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  }, {
    onConnected: async () => {
      events.emit("connection", { connected: true });
      await onConnected(ctx);
    },
    onPush: (push) => {
      const body = push.body;
      const swallow = () => undefined;
      if (body?.$case === "update" && body.value.update !== undefined) void ctx.engine.receive(body.value.update).catch(swallow);
      else if (body?.$case === "inbox" && body.value.entry !== undefined) void ctx.inbox.receive(body.value.entry).catch(swallow);
      else if (body?.$case === "tooLong") void ctx.engine.sync().catch(swallow);
      else if (body?.$case === "deviceList" && body.value.deviceList !== undefined) {
        void ctx.directory.accept(accountOfList(provider, body.value.deviceList.body), body.value.deviceList).catch(swallow);
      }
    },
    onDisplaced: () => events.emit("displaced", {}),
  });
  const directory = new DeviceDirectory(provider, store, { getDeviceList: async (accountId) => (await link.request("getDeviceList", { accountId })).deviceList! }, {
    onChanged: (change) => events.emit("identityChange", change),
    onRejected: (accountId, error) => events.emit("untrustedDeviceList", { accountId: toHex(accountId), error }),
  });
  const vault = new PreKeyVault(store, provider);
  const sessions = new PairwiseSessions(provider, store, local, directory, vault, {
    claimPreKeys: (accountId, deviceIds) => link.request("claimPrekeys", { accountId, deviceIds: [...deviceIds] }),
  });
  const senderKeys = new SenderKeyManager(provider, store, { accountId: local.accountId, deviceId: local.device.deviceId });
  const engine = new SyncEngine(cursor.seq, { getDifference: (seq, limit) => link.request("getDifference", { seq, limit }) }, receiver);
  const inbox = new InboxConsumer(cursor.inboxSeq, {
    fetchInbox: (afterSeq, limit) => link.request("fetchInbox", { afterSeq, limit }),
    ackInbox: async (upToSeq) => void (await link.request("ackInbox", { upToSeq })),
  }, receiver);
  const outbox = new Outbox(store, {
    sendMessage: (request) => link.request("sendMessage", request),
    sendToDevices: async (request) => void (await link.request("sendToDevices", request)),
  }, sender);
  ctx = { provider, store, local, link, directory, vault, sessions, senderKeys, engine, inbox, outbox, events, clock, random };
  receiver.bind(ctx);
  sender.bind(ctx);
  return { ctx, receiver, sender };
}

/** The account a pushed device list claims; the directory verifies the claim. */
function accountOfList(_provider: CryptoProvider, body: Uint8Array): Uint8Array {
  return DeviceListBody.decode(body).accountId;
}
