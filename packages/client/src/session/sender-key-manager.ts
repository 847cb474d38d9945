// Sender-key chains: this device's sending chain per conversation, the
// receiving chains of every member device, and the first state of every
// chain (kept as a history key for new devices and the key backup).
import {
  acceptSenderKeyDistribution, createSenderKeyChain, deserializeSenderKeyChain, parseSenderKeyMessage, senderKeyDecrypt,
  senderKeyDistribution, senderKeyEncrypt, serializeSenderKeyChain, type CryptoProvider, type SenderAddress, type SenderKeyChain,
} from "@kabar/crypto";
import { SenderKeyDistribution, type HistoryKey } from "@kabar/protocol";
import type { ChainKey, ClientStore } from "../store/client-store.js";
import { fromHex, toHex } from "../util/bytes.js";
import { ErrorCode, fail } from "../util/errors.js";

const address = (sender: SenderAddress) => `${toHex(sender.accountId)}:${sender.deviceId}`;
const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const dec = <T>(bytes: Uint8Array): T => JSON.parse(new TextDecoder().decode(bytes)) as T;

/** Devices (`${accountHex}:${deviceId}`) a sending chain was distributed to. */
interface DistributedSet {
  readonly distributionId: string;
  readonly devices: string[];
}

/** Sender-key state of one device. */
export class SenderKeyManager {
  constructor(private readonly provider: CryptoProvider, private readonly store: ClientStore, private readonly self: SenderAddress) {}

  private sendingKey(conversationId: string): ChainKey {
    return { role: "sending", conversationId, sender: address(this.self), distributionId: "" };
  }

  /**
   * The sending chain for a conversation and the devices that still need
   * its distribution. A chain that reached a device no longer among
   * `targets` is replaced first: removed members and removed devices never
   * get keys for what is sent next (CLIENT-GROUP-001, ENC-SENDERKEY-005).
   */
  async prepare(conversationId: Uint8Array, targets: readonly string[]): Promise<{ chain: SenderKeyChain; missing: string[] }> {
    const conv = toHex(conversationId);
    let chain = await this.loadSending(conv);
    let distributed = await this.loadDistributed(conv);
    const rotationDue = (await this.store.getValue(`sk-rotate:${conv}`)) !== undefined;
    if (chain !== undefined && (rotationDue || distributed.devices.some((d) => !targets.includes(d)))) chain = undefined;
    if (chain === undefined) {
      chain = createSenderKeyChain(this.provider, conversationId, this.self);
      await this.store.storeChain(this.sendingKey(conv), serializeSenderKeyChain(chain));
      // Our own devices read our messages from the log too, this one included.
      await this.acceptDistribution(senderKeyDistribution(chain), this.self);
      distributed = { distributionId: toHex(chain.distributionId), devices: [] };
      await this.store.setValue(`sk-dist:${conv}`, enc(distributed));
      await this.store.setValue(`sk-rotate:${conv}`, undefined);
    }
    return { chain, missing: targets.filter((t) => !distributed.devices.includes(t)) };
  }

  /** Records that a chain's distribution was queued for these devices. */
  async markDistributed(conversationId: Uint8Array, devices: readonly string[]): Promise<void> {
    const conv = toHex(conversationId);
    const current = await this.loadDistributed(conv);
    await this.store.setValue(`sk-dist:${conv}`, enc({ ...current, devices: [...new Set([...current.devices, ...devices])] }));
  }

  /** Marks every device of an account as lacking the current chain (its distribution was lost). */
  async forgetDistributed(conversationId: Uint8Array, account: string): Promise<void> {
    const conv = toHex(conversationId);
    const current = await this.loadDistributed(conv);
    await this.store.setValue(`sk-dist:${conv}`, enc({ ...current, devices: current.devices.filter((d) => !d.startsWith(`${account}:`)) }));
  }

  /**
   * Marks the sending chain for replacement: the next {@link prepare} starts
   * a new one. A flag rather than a delete, because a send may be between
   * prepare and encrypt right now; it finishes with the old chain and the
   * server's epoch check sends it back for re-encryption.
   */
  async rotate(conversationId: Uint8Array): Promise<void> {
    await this.store.setValue(`sk-rotate:${toHex(conversationId)}`, Uint8Array.of(1));
  }

  /** Encrypts with the sending chain and persists the advanced chain before the ciphertext leaves. */
  async encrypt(conversationId: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const conv = toHex(conversationId);
    const chain = await this.loadSending(conv);
    if (chain === undefined) return fail(ErrorCode.SENDER_KEY_NOT_FOUND, "no sending chain; prepare first");
    const out = senderKeyEncrypt(this.provider, chain, plaintext);
    await this.store.storeChain(this.sendingKey(conv), serializeSenderKeyChain(out.chain));
    return out.message;
  }

  /** The distribution of the current sending chain. */
  distribution(chain: SenderKeyChain): SenderKeyDistribution {
    return senderKeyDistribution(chain);
  }

  /**
   * Stores a receiving chain from a distribution received over a pairwise
   * session from `sender`. An existing chain for the same distribution is
   * kept unless the new state is older (it then decrypts earlier messages).
   * Returns true when something changed.
   */
  async acceptDistribution(distribution: SenderKeyDistribution, sender: SenderAddress): Promise<boolean> {
    const chain = acceptSenderKeyDistribution(distribution, sender);
    const conv = toHex(chain.conversationId);
    const key: ChainKey = { role: "receiving", conversationId: conv, sender: address(sender), distributionId: toHex(chain.distributionId) };
    const history: ChainKey = { ...key, role: "history" };
    const existingHistory = await this.store.loadChain(history);
    if (existingHistory === undefined || SenderKeyDistribution.decode(existingHistory).iteration > distribution.iteration) {
      await this.store.storeChain(history, SenderKeyDistribution.encode(distribution).finish());
    }
    const existing = await this.store.loadChain(key);
    if (existing !== undefined && deserializeSenderKeyChain(existing).iteration <= chain.iteration) return false;
    await this.store.storeChain(key, serializeSenderKeyChain(chain));
    return true;
  }

  /** Decrypts a SenderKeyMessage from a member device; SENDER_KEY_NOT_FOUND when its chain is unknown. */
  async decrypt(conversationId: Uint8Array, sender: SenderAddress, ciphertext: Uint8Array): Promise<Uint8Array> {
    const message = parseSenderKeyMessage(ciphertext);
    const key: ChainKey = { role: "receiving", conversationId: toHex(conversationId), sender: address(sender), distributionId: toHex(message.distributionId) };
    const bytes = await this.store.loadChain(key);
    const chain = bytes === undefined ? undefined : deserializeSenderKeyChain(bytes);
    const out = senderKeyDecrypt(this.provider, () => chain, ciphertext);
    await this.store.storeChain(key, serializeSenderKeyChain(out.chain));
    return out.plaintext;
  }

  /** Every chain's first known state, for a HistoryKeyShare or a backup (CLIENT-HISTORY-001). */
  async historyKeys(): Promise<HistoryKey[]> {
    const out: HistoryKey[] = [];
    for (const { key, chain } of await this.store.listChains("history")) {
      const [account, device] = key.sender.split(":");
      out.push({ conversationId: fromHex(key.conversationId), senderAccountId: fromHex(account!), senderDeviceId: Number(device), chain: SenderKeyDistribution.decode(chain) });
    }
    return out;
  }

  /** Imports history keys from a share or a backup; returns how many chains changed. */
  async importHistory(keys: readonly HistoryKey[]): Promise<number> {
    let changed = 0;
    for (const key of keys) {
      if (key.chain === undefined) continue;
      if (await this.acceptDistribution(key.chain, { accountId: key.senderAccountId, deviceId: key.senderDeviceId })) changed++;
    }
    return changed;
  }

  private async loadSending(conv: string): Promise<SenderKeyChain | undefined> {
    const bytes = await this.store.loadChain(this.sendingKey(conv));
    return bytes === undefined ? undefined : deserializeSenderKeyChain(bytes);
  }

  private async loadDistributed(conv: string): Promise<DistributedSet> {
    const bytes = await this.store.getValue(`sk-dist:${conv}`);
    return bytes === undefined ? { distributionId: "", devices: [] } : dec<DistributedSet>(bytes);
  }
}
