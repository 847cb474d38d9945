// This device's keys as persisted in the store. The account identity private
// key is optional: a device that holds it can approve new devices and
// publish device lists (the reference client hands it to linked devices so
// that any device can do so once the phone is gone, CLIENT-LINK-002).
import type { AccountIdentity, DeviceKeys, KeyPair } from "@kabar/crypto";
import type { ClientStore } from "../store/client-store.js";
import { fromHex, toHex } from "../util/bytes.js";

/** This device's identity. */
export interface LocalIdentity {
  /** The account id (SHA-256 of the identity key). */
  readonly accountId: Uint8Array;
  /** The account identity public key. */
  readonly accountIdentityKey: Uint8Array;
  /** The account identity key pair, when this device holds it. */
  readonly account: AccountIdentity | undefined;
  /** This device's keys. */
  readonly device: DeviceKeys;
}

const KEY = "local-identity";
const pair = (p: KeyPair) => ({ privateKey: toHex(p.privateKey), publicKey: toHex(p.publicKey) });
const unpair = (p: { privateKey: string; publicKey: string }): KeyPair => ({ privateKey: fromHex(p.privateKey), publicKey: fromHex(p.publicKey) });

/** Persists the local identity. */
export async function saveLocalIdentity(store: ClientStore, identity: LocalIdentity): Promise<void> {
  const json = {
    accountId: toHex(identity.accountId),
    accountIdentityKey: toHex(identity.accountIdentityKey),
    account: identity.account === undefined ? undefined : pair(identity.account.keyPair),
    deviceId: identity.device.deviceId,
    signing: pair(identity.device.signing),
    identity: pair(identity.device.identity),
  };
  await store.setValue(KEY, new TextEncoder().encode(JSON.stringify(json)));
}

/** Loads the local identity, or undefined for a fresh store. */
export async function loadLocalIdentity(store: ClientStore): Promise<LocalIdentity | undefined> {
  const bytes = await store.getValue(KEY);
  if (bytes === undefined) return undefined;
  const json = JSON.parse(new TextDecoder().decode(bytes)) as {
    accountId: string; accountIdentityKey: string; account?: { privateKey: string; publicKey: string }; deviceId: number;
    signing: { privateKey: string; publicKey: string }; identity: { privateKey: string; publicKey: string };
  };
  const accountId = fromHex(json.accountId);
  return {
    accountId,
    accountIdentityKey: fromHex(json.accountIdentityKey),
    account: json.account === undefined ? undefined : { keyPair: unpair(json.account), accountId },
    device: { deviceId: json.deviceId, signing: unpair(json.signing), identity: unpair(json.identity) },
  };
}
