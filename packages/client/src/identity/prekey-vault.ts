// The private halves of this device's prekeys, and the batches it uploads.
// One-time keys are deleted from the store as soon as a session consumed
// them (ENC-X3DH-007), so a replayed PreKeyMessage cannot reopen a session.
import {
  createKemPreKey, createOneTimePreKey, createSignedPreKey, type CryptoProvider, type DeviceKeys, type KemPreKeyRecord,
  type PreKeyLookup, type PreKeyRecord,
} from "@kabar/crypto";
import type { UploadPreKeysRequest } from "@kabar/protocol";
import type { ClientStore } from "../store/client-store.js";
import { fromHex, toHex } from "../util/bytes.js";

const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const dec = <T>(bytes: Uint8Array): T => JSON.parse(new TextDecoder().decode(bytes)) as T;
type PairJson = { id: number; privateKey: string; publicKey: string };
type KemJson = { id: number; secretKey: string; publicKey: string; lastResort: boolean };

/** Stores and looks up prekey private halves. */
export class PreKeyVault {
  constructor(private readonly store: ClientStore, private readonly provider: CryptoProvider) {}

  /** Creates a full upload: a signed prekey, a last-resort KEM key, and `count` one-time keys of each kind. */
  async createUpload(device: DeviceKeys, count: number): Promise<UploadPreKeysRequest> {
    const next = await this.nextId();
    const signed = createSignedPreKey(this.provider, device, next);
    const lastResort = createKemPreKey(this.provider, device, next + 1, true);
    await this.putPair("signed", signed.record);
    await this.putKem(lastResort.record);
    const kem = [];
    const oneTime = [];
    for (let i = 0; i < count; i++) {
      const k = createKemPreKey(this.provider, device, next + 2 + 2 * i);
      const o = createOneTimePreKey(this.provider, next + 3 + 2 * i);
      await this.putKem(k.record);
      await this.putPair("otk", o.record);
      kem.push(k.published);
      oneTime.push(o.published);
    }
    await this.store.setValue("prekey-next-id", enc(next + 2 + 2 * count));
    return { signedPrekey: signed.published, lastResortKemPrekey: lastResort.published, kemPrekeys: kem, oneTimePrekeys: oneTime };
  }

  /** A synchronous lookup over the prekeys a PreKeyMessage names, loaded ahead of decryption. */
  async lookupFor(ids: { signed: number; kem: number; oneTime: number | undefined }): Promise<PreKeyLookup> {
    const signed = await this.getPair("signed", ids.signed);
    const kem = await this.getKem(ids.kem);
    const oneTime = ids.oneTime === undefined ? undefined : await this.getPair("otk", ids.oneTime);
    return {
      signedPreKey: (id) => (id === ids.signed ? signed : undefined),
      kemPreKey: (id) => (id === ids.kem ? kem : undefined),
      oneTimePreKey: (id) => (id === ids.oneTime ? oneTime : undefined),
    };
  }

  /** Deletes a consumed one-time key (and a consumed one-time KEM key). */
  async consume(oneTimeId: number | undefined, kemId: number): Promise<void> {
    if (oneTimeId !== undefined) await this.store.setValue(`prekey:otk:${oneTimeId}`, undefined);
    const kem = await this.getKem(kemId);
    if (kem !== undefined && !kem.lastResort) await this.store.setValue(`prekey:kem:${kemId}`, undefined);
  }

  private async nextId(): Promise<number> {
    const bytes = await this.store.getValue("prekey-next-id");
    return bytes === undefined ? 1 : dec<number>(bytes);
  }

  private async putPair(kind: string, record: PreKeyRecord): Promise<void> {
    const json: PairJson = { id: record.id, privateKey: toHex(record.keyPair.privateKey), publicKey: toHex(record.keyPair.publicKey) };
    await this.store.setValue(`prekey:${kind}:${record.id}`, enc(json));
  }

  private async getPair(kind: string, id: number): Promise<PreKeyRecord | undefined> {
    const bytes = await this.store.getValue(`prekey:${kind}:${id}`);
    if (bytes === undefined) return undefined;
    const json = dec<PairJson>(bytes);
    return { id: json.id, keyPair: { privateKey: fromHex(json.privateKey), publicKey: fromHex(json.publicKey) } };
  }

  private async putKem(record: KemPreKeyRecord): Promise<void> {
    const json: KemJson = { id: record.id, secretKey: toHex(record.keyPair.secretKey), publicKey: toHex(record.keyPair.publicKey), lastResort: record.lastResort };
    await this.store.setValue(`prekey:kem:${record.id}`, enc(json));
  }

  private async getKem(id: number): Promise<KemPreKeyRecord | undefined> {
    const bytes = await this.store.getValue(`prekey:kem:${id}`);
    if (bytes === undefined) return undefined;
    const json = dec<KemJson>(bytes);
    return { id: json.id, keyPair: { secretKey: fromHex(json.secretKey), publicKey: fromHex(json.publicKey) }, lastResort: json.lastResort };
  }
}
