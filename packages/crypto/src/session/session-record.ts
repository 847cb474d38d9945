// A peer's session record: the current session plus a few previous ones
// (ENC-X3DH-010). Keeping previous sessions is what lets two devices that
// started sessions with each other at the same time converge on one: each
// side keeps trying the older session until one of them decrypts, and that
// one becomes current.
import { decodeMessage, isKabarError, PairwiseMessage } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { ByteReader, ByteWriter } from "../encoding/binary.js";
import { bytesEqual } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";
import { decryptPairwise, encryptPairwise, type DecryptPairwiseParams, type DecryptPairwiseResult } from "./session-cipher.js";
import { deserializeSession, serializeSession } from "./session-codec.js";
import type { SessionState } from "./session-state.js";

/** Most previous sessions kept per peer device (ENC-X3DH-010). */
export const MAX_PREVIOUS_SESSIONS = 5;

/** The sessions held with one peer device, newest first. */
export interface SessionRecord {
  /** The session used for sending. */
  readonly current: SessionState | undefined;
  /** Older sessions still accepted for receiving, newest first. */
  readonly previous: readonly SessionState[];
}

/** An empty record. */
export const EMPTY_SESSION_RECORD: SessionRecord = { current: undefined, previous: [] };

function promote(record: SessionRecord, session: SessionState, replaced: SessionState | undefined): SessionRecord {
  const rest = [record.current, ...record.previous].filter((s): s is SessionState => s !== undefined && s !== replaced);
  return { current: session, previous: rest.slice(0, MAX_PREVIOUS_SESSIONS) };
}

/** Encrypts with the current session. */
export function encryptWithRecord(provider: CryptoProvider, record: SessionRecord, plaintext: Uint8Array): {
  /** The record with the advanced current session; store it before sending. */
  record: SessionRecord;
  /** The serialized PairwiseMessage to send. */
  message: Uint8Array;
} {
  if (record.current === undefined) fail(ErrorCode.SESSION_NOT_FOUND, "no session with this device", "ENC-X3DH-010");
  const out = encryptPairwise(provider, record.current, plaintext);
  return { record: { current: out.session, previous: record.previous }, message: out.message };
}

/**
 * Decrypts with the record: a PreKeyMessage goes to the session with its base
 * key or starts a new one; a ratchet message is tried on the current session
 * and, when it does not authenticate there, on each previous session. The
 * session that decrypts becomes current; on failure the record is unchanged
 * and the current session's error is thrown (ENC-X3DH-010).
 */
export function decryptWithRecord(
  provider: CryptoProvider, params: Omit<DecryptPairwiseParams, "session"> & { readonly record: SessionRecord }, bytes: Uint8Array,
): DecryptPairwiseResult & {
  /** The record with the session that decrypted promoted to current. */
  readonly record: SessionRecord;
} {
  let wire: PairwiseMessage;
  try {
    wire = decodeMessage(PairwiseMessage, bytes);
  } catch {
    return fail(ErrorCode.DECRYPT_FAILED, "pairwise message does not decode", "ENC-RATCHET-004");
  }
  const { record } = params;
  const all = [record.current, ...record.previous].filter((s): s is SessionState => s !== undefined);
  if (wire.kind?.$case === "prekey") {
    const baseKey = wire.kind.value.baseKey;
    const owner = all.find((s) => bytesEqual(s.baseKey, baseKey));
    const out = decryptPairwise(provider, { ...params, session: owner }, bytes);
    return { ...out, record: promote(record, out.session, owner) };
  }
  let firstError: unknown;
  for (const session of all) {
    try {
      const out = decryptPairwise(provider, { ...params, session }, bytes);
      return { ...out, record: promote(record, out.session, session) };
    } catch (error) {
      firstError ??= error;
      // Only "does not authenticate here" moves on to an older session.
      if (!isKabarError(error, ErrorCode.DECRYPT_FAILED)) break;
    }
  }
  if (firstError !== undefined) throw firstError;
  return fail(ErrorCode.SESSION_NOT_FOUND, "no session with the sender", "ENC-RATCHET-005");
}

/** Serializes a record (ENC-STATE-001): u8(1) || u8(count) || count × (u32be(len) || session). */
export function serializeSessionRecord(record: SessionRecord): Uint8Array {
  const all = [record.current, ...record.previous].filter((s): s is SessionState => s !== undefined);
  const w = new ByteWriter().u8(1).u8(record.current === undefined ? 0 : 1).u8(all.length);
  for (const session of all) w.varBytes(serializeSession(session));
  return w.finish();
}

/** Restores a record from {@link serializeSessionRecord} bytes; KEY_INVALID on malformed input. */
export function deserializeSessionRecord(bytes: Uint8Array): SessionRecord {
  const r = new ByteReader(bytes);
  if (r.u8() !== 1) fail(ErrorCode.KEY_INVALID, "unknown session record format", "ENC-STATE-001");
  const hasCurrent = r.u8() === 1;
  const count = r.u8();
  if (count > MAX_PREVIOUS_SESSIONS + 1 || (hasCurrent && count === 0)) fail(ErrorCode.KEY_INVALID, "bad session record count", "ENC-STATE-001");
  const sessions: SessionState[] = [];
  for (let i = 0; i < count; i++) sessions.push(deserializeSession(r.varBytes()));
  r.end();
  return hasCurrent ? { current: sessions[0], previous: sessions.slice(1) } : { current: undefined, previous: sessions };
}
