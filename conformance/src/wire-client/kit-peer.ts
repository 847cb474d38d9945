// A kit device that speaks end to end like a real client: an account with
// real key pairs (Ed25519 identity, per device Ed25519 signing and X25519
// identity keys, docs/spec/encryption.md ENC-ID-*), registered over the
// wire with real prekeys, that starts pairwise sessions with other devices
// (ENC-X3DH-*) and encrypts sender-key messages (ENC-SENDERKEY-*) with
// @kabar/crypto. The client-mode properties use it as a peer the client
// under test cannot tell from another client: honest or hostile.
import {
  createAccountIdentity, createDeviceKeys, createKemPreKey, createOneTimePreKey, createSenderKeyChain, createSignedPreKey, encryptPairwise,
  initiateSession, issueDeviceCertificate, NodeCryptoProvider, senderKeyDistribution, senderKeyEncrypt, signDeviceList, verifyDeviceList,
  type AccountIdentity, type CryptoProvider, type DeviceKeys, type SenderKeyChain, type SessionState,
} from "@kabar/crypto";
import { Content, DeviceCertificateBody, decodeMessage, DeviceListBody, type SenderKeyDistribution } from "@kabar/protocol";
import { CONTEXT, u32be } from "./keys.js";
import type { WireConnection } from "./wire-connection.js";
import type { WireWorld } from "./wire-world.js";

type Body = NonNullable<Content["body"]>;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** A registered peer account with one device (id 1) and an authenticated connection. */
export class KitPeer {
  readonly provider: CryptoProvider = new NodeCryptoProvider();
  readonly identity: AccountIdentity;
  readonly device: DeviceKeys;
  /** Pairwise sessions by `${accountHex}:${deviceId}`. */
  readonly #sessions = new Map<string, SessionState>();
  #connection: WireConnection | undefined;

  private constructor() {
    this.identity = createAccountIdentity(this.provider);
    this.device = createDeviceKeys(this.provider, 1);
  }

  /** The account id (32 bytes). */
  get accountId(): Uint8Array {
    return this.identity.accountId;
  }

  /** The authenticated connection of device 1. */
  get connection(): WireConnection {
    if (this.#connection === undefined) throw new Error("the kit peer is not registered");
    return this.#connection;
  }

  /** Registers a new account on `world`'s server with device 1 and uploads its prekeys (one-time keys: `oneTime`). */
  static async register(world: WireWorld, label = "peer", oneTime = 2): Promise<KitPeer> {
    const peer = new KitPeer();
    const p = peer.provider;
    const certificate = issueDeviceCertificate(p, peer.identity, peer.device, 1);
    const { connection, challenge } = await world.connectHello(`${label}/1`);
    await connection.call("registerAccount", { identityKey: peer.identity.keyPair.publicKey, deviceList: signDeviceList(p, peer.identity, 1n, [certificate], 1) });
    const signature = p.ed25519Sign(peer.device.signing, Buffer.concat([CONTEXT.auth, challenge, peer.accountId, u32be(1)]));
    await connection.call("authenticate", { accountId: peer.accountId, deviceId: 1, signature });
    await connection.call("uploadPrekeys", {
      signedPrekey: createSignedPreKey(p, peer.device, 1).published,
      kemPrekeys: [],
      oneTimePrekeys: Array.from({ length: oneTime }, (_, i) => createOneTimePreKey(p, i + 1).published),
      lastResortKemPrekey: createKemPreKey(p, peer.device, 1000, true).published,
    });
    peer.#connection = connection;
    return peer;
  }

  /**
   * Starts (or reuses) pairwise sessions with every device of `accountId`:
   * fetches its signed device list (trusting the identity key that signed
   * its certificates, as on first contact), claims one bundle per device
   * and runs the key agreement. Returns the list version and device ids.
   */
  async sessionsWith(accountId: Uint8Array): Promise<{ version: bigint; deviceIds: number[] }> {
    const p = this.provider;
    const { deviceList } = await this.connection.call("getDeviceList", { accountId });
    if (deviceList === undefined) throw new Error(`the server serves no device list of account ${hex(accountId)}`);
    const body = decodeMessage(DeviceListBody, deviceList.body);
    const first = body.devices[0];
    if (first === undefined) throw new Error(`the device list of account ${hex(accountId)} names no device`);
    const identityKey = decodeMessage(DeviceCertificateBody, first.body).accountIdentityKey;
    const list = verifyDeviceList(p, deviceList, identityKey);
    const missing = list.devices.map((d) => d.deviceId).filter((id) => !this.#sessions.has(`${hex(accountId)}:${id}`));
    if (missing.length > 0) {
      const { bundles } = await this.connection.call("claimPrekeys", { accountId, deviceIds: missing });
      for (const bundle of bundles) {
        const session = initiateSession(p, { local: { accountId: this.accountId, keys: this.device }, bundle, remoteIdentityKey: identityKey, remoteDeviceList: list });
        this.#sessions.set(`${hex(accountId)}:${session.remote.deviceId}`, session);
      }
    }
    return { version: list.version, deviceIds: list.devices.map((d) => d.deviceId).filter((id) => this.#sessions.has(`${hex(accountId)}:${id}`)) };
  }

  /** Sends `body` as a Content over pairwise sessions to every device of `accountId` (SendToDevices); returns the devices reached. */
  async sendPairwise(accountId: Uint8Array, body: Body): Promise<number[]> {
    const { version, deviceIds } = await this.sessionsWith(accountId);
    if (deviceIds.length === 0) throw new Error(`no device of account ${hex(accountId)} has prekeys to start a session with`);
    const content = this.content(body);
    const plaintext = Content.encode(content).finish();
    const messages = deviceIds.map((deviceId) => {
      const key = `${hex(accountId)}:${deviceId}`;
      const out = encryptPairwise(this.provider, this.#sessions.get(key)!, plaintext);
      this.#sessions.set(key, out.session);
      return { deviceId, ciphertext: out.message };
    });
    await this.connection.call("sendToDevices", { clientMessageId: content.messageId, accountId, messages, deviceListVersion: version });
    return deviceIds;
  }

  /** A new sending chain of device 1 in a conversation. */
  newChain(conversationId: Uint8Array): SenderKeyChain {
    return createSenderKeyChain(this.provider, conversationId, { accountId: this.accountId, deviceId: 1 });
  }

  /** The distribution of a chain in its current state. */
  distribution(chain: SenderKeyChain): SenderKeyDistribution {
    return senderKeyDistribution(chain);
  }

  /** Sends a text into a conversation under `chain` (SendMessage); returns the advanced chain. */
  async sendText(conversationId: Uint8Array, chain: SenderKeyChain, text: string, epoch = 0n): Promise<SenderKeyChain> {
    const content = this.content({ $case: "text", value: { body: text, replyTo: new Uint8Array(0) } });
    const out = senderKeyEncrypt(this.provider, chain, Content.encode(content).finish());
    await this.connection.call("sendMessage", { conversationId, clientMessageId: content.messageId, ciphertext: out.message, epoch });
    return out.chain;
  }

  private content(body: Body): Content {
    return { messageId: this.provider.randomBytes(16), sentAtMs: BigInt(Date.now()), body, padding: new Uint8Array(0) };
  }
}
