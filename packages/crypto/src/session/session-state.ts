// The pairwise session state. It is immutable: every operation returns a new
// state and leaves its input untouched, which is how a failed decryption
// leaves the stored session byte-identical (ENC-RATCHET-006).
import type { KeyPair } from "../provider/crypto-provider.js";

/** The ciphertext version this implementation speaks (ENC-VERSION-001). */
export const CIPHERTEXT_VERSION = 1;
/** Most message keys derived ahead in one chain by one message (ENC-RATCHET-007). */
export const MAX_SKIP = 2000;
/** Most skipped message keys kept per session; the oldest is evicted first (ENC-RATCHET-008). */
export const MAX_SKIPPED_KEYS = 2000;
/** Most receiving chains kept per session (ENC-RATCHET-008). */
export const MAX_RECEIVING_CHAINS = 5;
/** Highest usable message counter; 2^32-1 is never used (ENC-RATCHET-009). */
export const MAX_COUNTER = 0xfffffffe;

/** One party of a session as bound into the associated data. */
export interface SessionParty {
  /** Account id, 32 bytes. */
  readonly accountId: Uint8Array;
  /** Device id. */
  readonly deviceId: number;
  /** Device X25519 identity key, 32 bytes. */
  readonly identityKey: Uint8Array;
}

/** A receiving chain, identified by the remote ratchet public key. */
export interface ReceivingChain {
  /** The remote ratchet public key. */
  readonly ratchetKey: Uint8Array;
  /** The chain key for message `index`. */
  readonly chainKey: Uint8Array;
  /** The next counter this chain expects. */
  readonly index: number;
}

/** A message key kept for a message that has not arrived yet. */
export interface SkippedKey {
  /** The remote ratchet key of its chain. */
  readonly ratchetKey: Uint8Array;
  /** Its counter in that chain. */
  readonly counter: number;
  /** The 32-byte message key. */
  readonly messageKey: Uint8Array;
}

/** Fields of the PreKeyMessage an initiator repeats until it hears back (ENC-X3DH-006). */
export interface PendingPreKey {
  /** Recipient's signed prekey id. */
  readonly signedPreKeyId: number;
  /** Recipient's KEM prekey id. */
  readonly kemPreKeyId: number;
  /** Recipient's one-time prekey id, when one was used. */
  readonly oneTimePreKeyId: number | undefined;
  /** ML-KEM ciphertext. */
  readonly kemCiphertext: Uint8Array;
}

/** A pairwise double-ratchet session. */
export interface SessionState {
  /** State layout version. */
  readonly version: number;
  /** This device. */
  readonly local: SessionParty;
  /** The peer device. */
  readonly remote: SessionParty;
  /** The session associated data (ENC-X3DH-005), prefix of every message AD. */
  readonly associatedData: Uint8Array;
  /** The initiator's ephemeral key: identifies the session's PreKeyMessages. */
  readonly baseKey: Uint8Array;
  /** The root key. */
  readonly rootKey: Uint8Array;
  /** Our current ratchet key pair. */
  readonly sendingRatchet: KeyPair;
  /** Our sending chain key, absent until the first DH step on the responder. */
  readonly sendingChainKey: Uint8Array | undefined;
  /** Next sending counter. */
  readonly sendingIndex: number;
  /** Length of our previous sending chain. */
  readonly previousCounter: number;
  /** Receiving chains, oldest first. */
  readonly receivingChains: readonly ReceivingChain[];
  /** Skipped message keys, oldest first. */
  readonly skipped: readonly SkippedKey[];
  /** Set on the initiator until the first reply arrives. */
  readonly pendingPreKey: PendingPreKey | undefined;
}
