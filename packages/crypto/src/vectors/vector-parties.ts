// Deterministic two-device setup shared by the ratchet vector generator and
// checker: the same seed yields the same keys, session and ratchet key pairs.
import { NodeCryptoProvider } from "../provider/node-provider.js";
import { deterministicRandom } from "../provider/deterministic-random.js";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { createAccountIdentity, createDeviceKeys } from "../identity/account-identity.js";
import { issueDeviceCertificate, verifyDeviceCertificate, type VerifiedDevice } from "../identity/device-certificate.js";
import { createKemPreKey, createOneTimePreKey, createSignedPreKey } from "../session/prekeys.js";
import { decryptPairwise, encryptPairwise, initiateSession, type LocalDevice, type PreKeyLookup } from "../session/session-cipher.js";
import type { SessionState } from "../session/session-state.js";

/** One side of a deterministic conversation. */
export interface VectorParty {
  readonly local: LocalDevice;
  readonly verified: VerifiedDevice;
  readonly lookup: PreKeyLookup;
  session: SessionState | undefined;
}

/** Two parties with a freshly initiated (not yet answered) session from `seed`. */
export function establishVectorPair(seed: Uint8Array): { provider: CryptoProvider; a: VectorParty; b: VectorParty } {
  const provider = new NodeCryptoProvider({ random: deterministicRandom(seed) });
  const make = (deviceId: number) => {
    const account = createAccountIdentity(provider);
    const keys = createDeviceKeys(provider, deviceId);
    const certificate = issueDeviceCertificate(provider, account, keys);
    return { account, keys, certificate, verified: verifyDeviceCertificate(provider, certificate, account.keyPair.publicKey) };
  };
  const alice = make(1), bob = make(2);
  const spk = createSignedPreKey(provider, bob.keys, 1001);
  const kem = createKemPreKey(provider, bob.keys, 2002, true);
  const otk = createOneTimePreKey(provider, 3003);
  const oneTime = new Map([[otk.record.id, otk.record]]);
  const bLookup: PreKeyLookup = {
    signedPreKey: (id) => (id === spk.record.id ? spk.record : undefined),
    kemPreKey: (id) => (id === kem.record.id ? kem.record : undefined),
    oneTimePreKey: (id) => oneTime.get(id),
  };
  const none: PreKeyLookup = { signedPreKey: () => undefined, kemPreKey: () => undefined, oneTimePreKey: () => undefined };
  const aLocal = { accountId: alice.account.accountId, keys: alice.keys };
  const session = initiateSession(provider, {
    local: aLocal, remoteIdentityKey: bob.account.keyPair.publicKey,
    bundle: { certificate: bob.certificate, signedPrekey: spk.published, kemPrekey: kem.published, oneTimePrekey: otk.published },
  });
  return {
    provider,
    a: { local: aLocal, verified: alice.verified, lookup: none, session },
    b: { local: { accountId: bob.account.accountId, keys: bob.keys }, verified: bob.verified, lookup: bLookup, session: undefined },
  };
}

/** Encrypts from one party, updating its session. */
export function vectorSend(provider: CryptoProvider, from: VectorParty, plaintext: Uint8Array): Uint8Array {
  const out = encryptPairwise(provider, from.session!, plaintext);
  from.session = out.session;
  return out.message;
}

/** Decrypts at one party, updating its session only on success. */
export function vectorReceive(provider: CryptoProvider, to: VectorParty, from: VectorParty, wire: Uint8Array): Uint8Array {
  const out = decryptPairwise(provider, { local: to.local, session: to.session, sender: from.verified, preKeys: to.lookup }, wire);
  to.session = out.session;
  return out.plaintext;
}
