// A set of simulated accounts and devices for one property case: registers
// accounts over the wire, opens authenticated connections per device, and
// closes everything at the end of the case. Each case uses fresh accounts,
// so cases never see each other's state on a long-running server.
import { ConversationKind, type HelloAck, type ConversationUpdate, type GetDifferenceResponse, type AccountUpdate } from "@kabar/protocol";
import type { Transcript } from "../adapter/transcript.js";
import { KitAccount, randomBytesOf } from "./keys.js";
import { WireConnection } from "./wire-connection.js";

/** The protocol version the kit speaks. */
export const KIT_PROTOCOL_VERSIONS = [1];

/** Opens connections for one case and closes them all in {@link WireWorld.close}. */
export class WireWorld {
  readonly #connections = new Set<WireConnection>();
  #accounts = 0;
  /** The last HelloAck received: the server's advertised limits. */
  helloAck: HelloAck | undefined;

  constructor(public url: string, readonly transcript?: Transcript) {}

  /** Request timeout of connections opened from now on (ms); undefined keeps the connection default. Payments raise it past the 10 s pre-checkout deadline. */
  requestTimeoutMs: number | undefined;

  /** A new connection, not yet said Hello. */
  async connect(label?: string, url: string = this.url): Promise<WireConnection> {
    const connection = await WireConnection.open(url, { ...(this.transcript !== undefined ? { transcript: this.transcript } : {}), ...(label !== undefined ? { label } : {}), ...(this.requestTimeoutMs !== undefined ? { timeoutMs: this.requestTimeoutMs } : {}) });
    this.#connections.add(connection);
    void connection.closed.then(() => this.#connections.delete(connection));
    return connection;
  }

  /** A new connection after a successful Hello; returns the HelloAck too. */
  async connectHello(label?: string, url?: string): Promise<{ connection: WireConnection; challenge: Uint8Array; ack: HelloAck }> {
    const connection = await this.connect(label, url);
    const ack = await connection.call("hello", { versions: KIT_PROTOCOL_VERSIONS, clientName: "kabar-conformance" });
    this.helloAck = ack;
    return { connection, challenge: ack.challenge, ack };
  }

  /** An authenticated connection of `account`'s device `deviceId`. */
  async login(account: KitAccount, deviceId = 1, url?: string): Promise<WireConnection> {
    const { connection, challenge } = await this.connectHello(`${this.nameOf(account)}/${deviceId}`, url);
    await connection.call("authenticate", { accountId: account.accountId, deviceId, signature: account.authSignature(challenge, deviceId) });
    return connection;
  }

  readonly #names = new Map<KitAccount, string>();

  /** A short name of `account` for transcripts. */
  nameOf(account: KitAccount): string {
    let name = this.#names.get(account);
    if (name === undefined) {
      name = `acct${this.#names.size + 1}`;
      this.#names.set(account, name);
    }
    return name;
  }

  /**
   * Registers a new account with devices `deviceIds` (the first is
   * registered, the others added by publishing version 2), uploads a signed
   * prekey and a last-resort KEM prekey for each when `prekeys` is set, and
   * returns it with one authenticated connection per device.
   */
  async account(options: { devices?: number; prekeys?: boolean; oneTimePreKeys?: number } = {}): Promise<{ account: KitAccount; connections: WireConnection[] }> {
    const count = options.devices ?? 1;
    const ids = Array.from({ length: count }, (_, i) => i + 1);
    const account = new KitAccount(ids);
    this.nameOf(account);
    this.#accounts++;
    const first = await this.connectHello(`${this.nameOf(account)}/register`);
    await first.connection.call("registerAccount", { identityKey: account.identity.publicKey, deviceList: account.deviceList({ deviceIds: [1], version: 1n }) });
    await first.connection.call("authenticate", { accountId: account.accountId, deviceId: 1, signature: account.authSignature(first.challenge, 1) });
    if (count > 1) await first.connection.call("publishDeviceList", { deviceList: account.deviceList({ version: 2n }) });
    const connections = [first.connection];
    for (const id of ids.slice(1)) connections.push(await this.login(account, id));
    if (options.prekeys === true) {
      for (const [index, id] of ids.entries()) {
        await connections[index]!.call("uploadPrekeys", {
          signedPrekey: account.signedPreKey(id, 1),
          kemPrekeys: [],
          oneTimePrekeys: account.oneTimePreKeys(1, options.oneTimePreKeys ?? 0),
          lastResortKemPrekey: account.kemPreKey(id, 1000, true),
        });
      }
    }
    return { account, connections };
  }

  /** Creates a conversation of `creator` (connection) with `members`, returning its id and the membership. */
  async conversation(creator: WireConnection, members: readonly KitAccount[], kind: ConversationKind = ConversationKind.GROUP): Promise<{ conversationId: Uint8Array; conversation: ConversationUpdate; seq: bigint }> {
    const conversationId = randomBytesOf(16);
    const response = await creator.call("createConversation", { conversationId, kind, memberAccountIds: members.map((m) => m.accountId) });
    return { conversationId, conversation: response.conversation!, seq: response.seq };
  }

  /** Closes every connection of this world. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#connections].map((c) => c.close()));
    this.#connections.clear();
  }
}

/** Every update of the connection's account log after `afterSeq`, following slices; checks nothing. */
export async function readWholeLog(connection: WireConnection, afterSeq = 0n, limit = 0): Promise<{ updates: AccountUpdate[]; seq: bigint; responses: GetDifferenceResponse[] }> {
  const updates: AccountUpdate[] = [];
  const responses: GetDifferenceResponse[] = [];
  let seq = afterSeq;
  for (let guard = 0; guard < 10_000; guard++) {
    const response = await connection.call("getDifference", { seq, limit });
    responses.push(response);
    const result = response.result;
    if (result?.$case === "empty") return { updates, seq: result.value.seq, responses };
    if (result?.$case === "difference") {
      updates.push(...result.value.updates);
      return { updates, seq: result.value.seq, responses };
    }
    if (result?.$case === "slice") {
      updates.push(...result.value.updates);
      if (result.value.seq <= seq) return { updates, seq: result.value.seq, responses };
      seq = result.value.seq;
      continue;
    }
    return { updates, seq, responses };
  }
  return { updates, seq, responses };
}

/** The current log seq and inbox seq of the connection's device. */
export async function syncState(connection: WireConnection): Promise<{ seq: bigint; inboxSeq: bigint }> {
  const state = (await connection.call("getState", {})).state!;
  return { seq: state.seq, inboxSeq: state.inboxSeq };
}
