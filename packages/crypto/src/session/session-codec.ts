// ENC-STATE-001: the versioned byte layout of a pairwise session. Fixed-width
// fields, big-endian; a decoder rejects unknown formats, out-of-bound counts
// and trailing bytes, so a corrupted store cannot yield a half-valid session.
import { ByteReader, ByteWriter } from "../encoding/binary.js";
import { ErrorCode, fail } from "../errors.js";
import { MAX_RECEIVING_CHAINS, MAX_SKIPPED_KEYS, type SessionParty, type SessionState } from "./session-state.js";

/** Format byte of the session layout. */
export const SESSION_FORMAT = 1;

function writeParty(w: ByteWriter, party: SessionParty): void {
  w.bytes(party.accountId).u32(party.deviceId).bytes(party.identityKey);
}

function readParty(r: ByteReader): SessionParty {
  return { accountId: r.bytes(32), deviceId: r.u32(), identityKey: r.bytes(32) };
}

/** Serializes a session (ENC-STATE-001). The bytes contain secrets: store them as such. */
export function serializeSession(state: SessionState): Uint8Array {
  const w = new ByteWriter().u8(SESSION_FORMAT).u8(state.version);
  writeParty(w, state.local);
  writeParty(w, state.remote);
  w.varBytes(state.associatedData).bytes(state.baseKey).bytes(state.rootKey);
  w.bytes(state.sendingRatchet.privateKey).bytes(state.sendingRatchet.publicKey);
  if (state.sendingChainKey === undefined) w.u8(0);
  else w.u8(1).bytes(state.sendingChainKey);
  w.u32(state.sendingIndex).u32(state.previousCounter);
  w.u8(state.receivingChains.length);
  for (const chain of state.receivingChains) w.bytes(chain.ratchetKey).bytes(chain.chainKey).u32(chain.index);
  w.u16(state.skipped.length);
  for (const key of state.skipped) w.bytes(key.ratchetKey).u32(key.counter).bytes(key.messageKey);
  const pending = state.pendingPreKey;
  if (pending === undefined) w.u8(0);
  else {
    w.u8(1).u32(pending.signedPreKeyId).u32(pending.kemPreKeyId);
    if (pending.oneTimePreKeyId === undefined) w.u8(0);
    else w.u8(1).u32(pending.oneTimePreKeyId);
    w.bytes(pending.kemCiphertext);
  }
  return w.finish();
}

/** Restores a session from {@link serializeSession} bytes; throws KEY_INVALID on malformed input (ENC-STATE-001). */
export function deserializeSession(bytes: Uint8Array): SessionState {
  const r = new ByteReader(bytes);
  if (r.u8() !== SESSION_FORMAT) fail(ErrorCode.KEY_INVALID, "unknown session format", "ENC-STATE-001");
  const version = r.u8();
  const local = readParty(r);
  const remote = readParty(r);
  const associatedData = r.varBytes();
  const baseKey = r.bytes(32);
  const rootKey = r.bytes(32);
  const sendingRatchet = { privateKey: r.bytes(32), publicKey: r.bytes(32) };
  const sendingChainKey = r.u8() === 1 ? r.bytes(32) : undefined;
  const sendingIndex = r.u32();
  const previousCounter = r.u32();
  const chainCount = r.u8();
  if (chainCount > MAX_RECEIVING_CHAINS) fail(ErrorCode.KEY_INVALID, "too many receiving chains", "ENC-STATE-001");
  const receivingChains = [];
  for (let i = 0; i < chainCount; i++) receivingChains.push({ ratchetKey: r.bytes(32), chainKey: r.bytes(32), index: r.u32() });
  const skippedCount = r.u16();
  if (skippedCount > MAX_SKIPPED_KEYS) fail(ErrorCode.KEY_INVALID, "too many skipped keys", "ENC-STATE-001");
  const skipped = [];
  for (let i = 0; i < skippedCount; i++) skipped.push({ ratchetKey: r.bytes(32), counter: r.u32(), messageKey: r.bytes(32) });
  let pendingPreKey;
  if (r.u8() === 1) {
    const signedPreKeyId = r.u32();
    const kemPreKeyId = r.u32();
    const oneTimePreKeyId = r.u8() === 1 ? r.u32() : undefined;
    pendingPreKey = { signedPreKeyId, kemPreKeyId, oneTimePreKeyId, kemCiphertext: r.bytes(1088) };
  }
  r.end();
  return {
    version, local, remote, associatedData, baseKey, rootKey, sendingRatchet, sendingChainKey, sendingIndex, previousCounter,
    receivingChains, skipped, pendingPreKey,
  };
}
