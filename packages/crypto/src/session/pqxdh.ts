// Hybrid X25519 + ML-KEM-768 session agreement (ENC-X3DH-002..005), after
// Signal's PQXDH. Both sides compute the same session associated data and the
// same root key; the KDF info binds both identities, every public input and
// the version, so no unknown-key-share, key-type confusion or downgrade.
import type { CryptoProvider, KeyPair } from "../provider/crypto-provider.js";
import { concatBytes, u32be, utf8 } from "../encoding/bytes.js";
import { KeyTag, taggedKey } from "../identity/key-tags.js";
import { CIPHERTEXT_VERSION, type SessionParty } from "./session-state.js";
import { dh } from "./dh.js";

const PQXDH_INFO = utf8("kabar-v1 pqxdh");
const PQXDH_TRANSCRIPT = utf8("kabar-v1 pqxdh transcript");
const FILLER = new Uint8Array(32).fill(0xff);
const ZERO_SALT = new Uint8Array(32);
/** Length of the session associated data (ENC-X3DH-005). */
export const SESSION_AD_LENGTH = 4 + 2 * (32 + 4 + 33);

/**
 * ENC-X3DH-005: session AD = u32be(version) || initiator || responder, each party
 * encoded as account_id(32) || u32be(device_id) || 0x02 || identity_key(32); 142 bytes.
 */
export function sessionAssociatedData(initiator: SessionParty, responder: SessionParty, version = CIPHERTEXT_VERSION): Uint8Array {
  const party = (p: SessionParty) => concatBytes(p.accountId, u32be(p.deviceId), taggedKey(KeyTag.X25519, p.identityKey));
  return concatBytes(u32be(version), party(initiator), party(responder));
}

/** The public values of one agreement. */
export interface AgreementPublics {
  /** Initiator ephemeral key EK_A. */
  readonly baseKey: Uint8Array;
  /** Responder signed prekey SPK_B. */
  readonly signedPreKey: Uint8Array;
  /** Responder KEM prekey PQPK_B. */
  readonly kemPreKey: Uint8Array;
  /** ML-KEM ciphertext CT. */
  readonly kemCiphertext: Uint8Array;
  /** Responder one-time prekey OPK_B, when used. */
  readonly oneTimePreKey: Uint8Array | undefined;
}

/**
 * ENC-X3DH-004: SK = HKDF-SHA256(salt = 0^32,
 *   ikm = 0xFF*32 || DH1 || DH2 || DH3 || [DH4] || SS,
 *   info = "kabar-v1 pqxdh" || session AD || SHA-256(transcript), 32)
 * with transcript = "kabar-v1 pqxdh transcript" || 0x02||EK_A || 0x02||SPK_B ||
 *   0x03||PQPK_B || CT || (0x02||OPK_B when used).
 */
export function deriveSessionKey(provider: CryptoProvider, secrets: readonly Uint8Array[], associatedData: Uint8Array, publics: AgreementPublics): Uint8Array {
  const transcript = concatBytes(
    PQXDH_TRANSCRIPT,
    taggedKey(KeyTag.X25519, publics.baseKey),
    taggedKey(KeyTag.X25519, publics.signedPreKey),
    taggedKey(KeyTag.ML_KEM_768, publics.kemPreKey),
    publics.kemCiphertext,
    publics.oneTimePreKey === undefined ? new Uint8Array(0) : taggedKey(KeyTag.X25519, publics.oneTimePreKey),
  );
  const info = concatBytes(PQXDH_INFO, associatedData, provider.sha256(transcript));
  return provider.hkdfSha256(concatBytes(FILLER, ...secrets), ZERO_SALT, info, 32);
}

/** Initiator side: DH1..DH4 and the KEM secret (ENC-X3DH-003). */
export function initiatorSecrets(
  provider: CryptoProvider, identity: KeyPair, ephemeral: KeyPair, remote: { identityKey: Uint8Array; signedPreKey: Uint8Array; oneTimePreKey: Uint8Array | undefined }, kemSharedSecret: Uint8Array,
): Uint8Array[] {
  const secrets = [
    dh(provider, identity, remote.signedPreKey),
    dh(provider, ephemeral, remote.identityKey),
    dh(provider, ephemeral, remote.signedPreKey),
  ];
  if (remote.oneTimePreKey !== undefined) secrets.push(dh(provider, ephemeral, remote.oneTimePreKey));
  secrets.push(kemSharedSecret);
  return secrets;
}

/** Responder side: the same secrets from the private halves (ENC-X3DH-003). */
export function responderSecrets(
  provider: CryptoProvider, identity: KeyPair, signedPreKey: KeyPair, oneTimePreKey: KeyPair | undefined, remote: { identityKey: Uint8Array; baseKey: Uint8Array }, kemSharedSecret: Uint8Array,
): Uint8Array[] {
  const secrets = [
    dh(provider, signedPreKey, remote.identityKey),
    dh(provider, identity, remote.baseKey),
    dh(provider, signedPreKey, remote.baseKey),
  ];
  if (oneTimePreKey !== undefined) secrets.push(dh(provider, oneTimePreKey, remote.baseKey));
  secrets.push(kemSharedSecret);
  return secrets;
}
