// Double ratchet encrypt/decrypt over immutable SessionState. Decryption
// computes every new value on the side and builds the next state only after
// the AEAD tag verified, so any failure leaves the input state untouched
// (ENC-RATCHET-006).
import { RatchetMessage } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { bytesEqual, concatBytes } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";
import { chainStep, encodeRatchetHeader, kdfRoot, messageCipherKeys, type RatchetHeader } from "./ratchet-kdf.js";
import { dh } from "./dh.js";
import {
  CIPHERTEXT_VERSION, MAX_COUNTER, MAX_RECEIVING_CHAINS, MAX_SKIP, MAX_SKIPPED_KEYS,
  type ReceivingChain, type SessionState, type SkippedKey,
} from "./session-state.js";

function seal(provider: CryptoProvider, state: SessionState, messageKey: Uint8Array, header: RatchetHeader, plaintext: Uint8Array): Uint8Array {
  const { key, nonce } = messageCipherKeys(provider, messageKey);
  return provider.aeadSeal(key, nonce, plaintext, concatBytes(state.associatedData, encodeRatchetHeader(header)));
}

function open(provider: CryptoProvider, state: SessionState, messageKey: Uint8Array, header: RatchetHeader, sealed: Uint8Array): Uint8Array {
  const { key, nonce } = messageCipherKeys(provider, messageKey);
  // ENC-RATCHET-004: a tag failure anywhere is DECRYPT_FAILED.
  return provider.aeadOpen(key, nonce, sealed, concatBytes(state.associatedData, encodeRatchetHeader(header)));
}

/** Encrypts one message; returns the RatchetMessage and the next state. */
export function ratchetEncrypt(provider: CryptoProvider, state: SessionState, plaintext: Uint8Array): { state: SessionState; message: RatchetMessage } {
  if (state.sendingChainKey === undefined) fail(ErrorCode.SESSION_NOT_FOUND, "session cannot send before its first reply", "ENC-RATCHET-005");
  // ENC-RATCHET-009: never wrap a counter.
  if (state.sendingIndex > MAX_COUNTER) fail(ErrorCode.COUNTER_EXHAUSTED, "sending counter exhausted", "ENC-RATCHET-009");
  const step = chainStep(provider, state.sendingChainKey);
  const header: RatchetHeader = { version: CIPHERTEXT_VERSION, ratchetKey: state.sendingRatchet.publicKey, counter: state.sendingIndex, previousCounter: state.previousCounter };
  const ciphertext = seal(provider, state, step.messageKey, header, plaintext);
  return {
    state: { ...state, sendingChainKey: step.chainKey, sendingIndex: state.sendingIndex + 1 },
    message: { version: header.version, ratchetKey: header.ratchetKey, counter: header.counter, previousCounter: header.previousCounter, ciphertext },
  };
}

/** Checks version, key length and counters before any key is derived (ENC-VERSION-001, ENC-RATCHET-009). */
function checkHeader(message: RatchetMessage): RatchetHeader {
  if (message.version !== CIPHERTEXT_VERSION) fail(ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED, "unsupported ciphertext version", "ENC-VERSION-001");
  if (!(message.ratchetKey instanceof Uint8Array) || message.ratchetKey.length !== 32) fail(ErrorCode.DECRYPT_FAILED, "ratchet key must be 32 bytes", "ENC-RATCHET-003");
  if (!(message.ciphertext instanceof Uint8Array) || message.ciphertext.length < 16) fail(ErrorCode.DECRYPT_FAILED, "ciphertext shorter than the tag", "ENC-RATCHET-004");
  if (message.counter > MAX_COUNTER) fail(ErrorCode.COUNTER_EXHAUSTED, "message counter out of range", "ENC-RATCHET-009");
  return { version: message.version, ratchetKey: message.ratchetKey, counter: message.counter, previousCounter: message.previousCounter };
}

/** Derives keys from `chain.index` up to `until` (exclusive) as skipped keys; bounded by MAX_SKIP (ENC-RATCHET-007). */
function skipTo(provider: CryptoProvider, chain: ReceivingChain, until: number, into: SkippedKey[]): ReceivingChain {
  if (until <= chain.index) return chain;
  if (until - chain.index > MAX_SKIP) fail(ErrorCode.MESSAGE_TOO_FAR_AHEAD, "message counter too far ahead", "ENC-RATCHET-007");
  let chainKey = chain.chainKey;
  for (let counter = chain.index; counter < until; counter++) {
    const step = chainStep(provider, chainKey);
    into.push({ ratchetKey: chain.ratchetKey, counter, messageKey: step.messageKey });
    chainKey = step.chainKey;
  }
  return { ratchetKey: chain.ratchetKey, chainKey, index: until };
}

/** ENC-RATCHET-008: append skipped keys, evicting the oldest beyond the bound. */
function mergeSkipped(existing: readonly SkippedKey[], added: readonly SkippedKey[], removeIndex = -1): readonly SkippedKey[] {
  if (added.length === 0 && removeIndex < 0) return existing;
  const kept = removeIndex < 0 ? existing : [...existing.slice(0, removeIndex), ...existing.slice(removeIndex + 1)];
  const merged = added.length === 0 ? kept : [...kept, ...added];
  return merged.length > MAX_SKIPPED_KEYS ? merged.slice(merged.length - MAX_SKIPPED_KEYS) : merged;
}

/** Decrypts one RatchetMessage; returns the plaintext and the next state. */
export function ratchetDecrypt(provider: CryptoProvider, state: SessionState, message: RatchetMessage): { state: SessionState; plaintext: Uint8Array } {
  const header = checkHeader(message);
  // Skipped keys first: they outlive the (at most five) receiving chains.
  const skippedIndex = state.skipped.findIndex((entry) => entry.counter === header.counter && bytesEqual(entry.ratchetKey, header.ratchetKey));
  if (skippedIndex >= 0) {
    const plaintext = open(provider, state, state.skipped[skippedIndex]!.messageKey, header, message.ciphertext);
    // ENC-RATCHET-010: the used message key is deleted in the committed state.
    return { plaintext, state: { ...state, skipped: mergeSkipped(state.skipped, [], skippedIndex), pendingPreKey: undefined } };
  }
  const chainIndex = state.receivingChains.findIndex((chain) => bytesEqual(chain.ratchetKey, header.ratchetKey));
  if (chainIndex >= 0) {
    const chain = state.receivingChains[chainIndex]!;
    // ENC-RATCHET-005: below the chain index with no skipped key: already read (or evicted).
    if (header.counter < chain.index) fail(ErrorCode.DUPLICATE_MESSAGE, "message already received", "ENC-RATCHET-005");
    const added: SkippedKey[] = [];
    const advanced = skipTo(provider, chain, header.counter, added);
    const step = chainStep(provider, advanced.chainKey);
    const plaintext = open(provider, state, step.messageKey, header, message.ciphertext);
    const chains = [...state.receivingChains];
    chains[chainIndex] = { ratchetKey: chain.ratchetKey, chainKey: step.chainKey, index: header.counter + 1 };
    return { plaintext, state: { ...state, receivingChains: chains, skipped: mergeSkipped(state.skipped, added), pendingPreKey: undefined } };
  }
  // A new remote ratchet key: a DH ratchet step. Bounds first, so a forged
  // header costs no DH and no derivation.
  if (header.counter > MAX_SKIP) fail(ErrorCode.MESSAGE_TOO_FAR_AHEAD, "message counter too far ahead", "ENC-RATCHET-007");
  const added: SkippedKey[] = [];
  const current = state.receivingChains[state.receivingChains.length - 1];
  // Keys left in the finished chain, up to previous_counter, become skipped keys.
  const finished = current === undefined ? undefined : skipTo(provider, current, header.previousCounter, added);
  const received = kdfRoot(provider, state.rootKey, dh(provider, state.sendingRatchet, header.ratchetKey));
  const fresh = skipTo(provider, { ratchetKey: header.ratchetKey, chainKey: received.chainKey, index: 0 }, header.counter, added);
  const step = chainStep(provider, fresh.chainKey);
  const plaintext = open(provider, state, step.messageKey, header, message.ciphertext);
  // Authenticated: now take the DH step (ENC-RATCHET-001) with fresh
  // randomness, which is what heals a stolen state (ENC-RATCHET-011).
  const sendingRatchet = provider.x25519GenerateKeyPair();
  const sending = kdfRoot(provider, received.rootKey, dh(provider, sendingRatchet, header.ratchetKey));
  const chains = [...state.receivingChains];
  if (finished !== undefined) chains[chains.length - 1] = finished;
  chains.push({ ratchetKey: header.ratchetKey, chainKey: step.chainKey, index: header.counter + 1 });
  return {
    plaintext,
    state: {
      ...state,
      rootKey: sending.rootKey,
      sendingRatchet,
      sendingChainKey: sending.chainKey,
      previousCounter: state.sendingIndex,
      sendingIndex: 0,
      receivingChains: chains.length > MAX_RECEIVING_CHAINS ? chains.slice(chains.length - MAX_RECEIVING_CHAINS) : chains,
      skipped: mergeSkipped(state.skipped, added),
      pendingPreKey: undefined,
    },
  };
}
