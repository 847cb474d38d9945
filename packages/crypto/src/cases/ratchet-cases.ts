// Encryption cases of the double ratchet (ENC-RATCHET-*; see case-types.ts;
// kinds, inputs and outputs are documented in docs/spec/encryption-cases.md).
// Sessions travel as their ENC-STATE-001 serialization, so the kit can build
// any state (counters near 2^32-1, full skipped-key stores) and check that a
// failed decryption leaves the stored session byte-identical.
import { decodeMessage, errorCodeName, isKabarError, PairwiseMessage, type RatchetMessage } from "@kabar/protocol";
import { ErrorCode, fail } from "../errors.js";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { ratchetDecrypt, ratchetEncrypt } from "../session/ratchet.js";
import { chainStep, kdfRoot, messageCipherKeys } from "../session/ratchet-kdf.js";
import { deserializeSession, serializeSession } from "../session/session-codec.js";
import type { SessionState } from "../session/session-state.js";
import { caseBytes, caseHex, type CaseFields, type CaseValue, type CryptoCaseHandler } from "./case-types.js";

function bytes32(inputs: CaseFields, name: string): Uint8Array {
  const value = caseBytes(inputs, name);
  if (value.length !== 32) fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} must be 32 bytes`);
  return value;
}

/** The `state` input: a serialized session (KEY_INVALID when malformed), or null for "no session". */
function sessionInput(inputs: CaseFields): SessionState | undefined {
  if (inputs.state === null) return undefined;
  return deserializeSession(caseBytes(inputs, "state"));
}

/** ENC-RATCHET-004: the envelope decodes strictly and carries a ratchet message. */
function ratchetMessageOf(bytes: Uint8Array): RatchetMessage {
  let wire: PairwiseMessage;
  try {
    wire = decodeMessage(PairwiseMessage, bytes);
  } catch {
    return fail(ErrorCode.DECRYPT_FAILED, "pairwise message does not decode", "ENC-RATCHET-004");
  }
  if (wire.kind?.$case === "prekey") return fail(ErrorCode.FRAME_FIELD_INVALID, "ratchet cases take ratchet messages only");
  if (wire.kind?.$case !== "ratchet") return fail(ErrorCode.DECRYPT_FAILED, "pairwise message has no body", "ENC-RATCHET-004");
  return wire.kind.value;
}

/** One receive: the next session and the plaintext; throws on any failure (ENC-RATCHET-005: no session is SESSION_NOT_FOUND). */
function receiveOne(provider: CryptoProvider, session: SessionState | undefined, bytes: Uint8Array): { state: SessionState; plaintext: Uint8Array } {
  const message = ratchetMessageOf(bytes);
  if (session === undefined) fail(ErrorCode.SESSION_NOT_FOUND, "no session with the sender", "ENC-RATCHET-005");
  return ratchetDecrypt(provider, session, message);
}

/** The case kinds of this area, by name. */
export const ratchetCases: Readonly<Record<string, CryptoCaseHandler>> = {
  /** KDF_RK (ENC-RATCHET-001). */
  "ratchet.kdf-rk": (inputs, provider) => {
    const out = kdfRoot(provider, bytes32(inputs, "rootKey"), bytes32(inputs, "dhOutput"));
    return { rootKey: caseHex(out.rootKey), chainKey: caseHex(out.chainKey) };
  },

  /** One symmetric chain step and the message's AEAD key and nonce (ENC-RATCHET-002). */
  "ratchet.chain-step": (inputs, provider) => {
    const step = chainStep(provider, bytes32(inputs, "chainKey"));
    const keys = messageCipherKeys(provider, step.messageKey);
    return { messageKey: caseHex(step.messageKey), nextChainKey: caseHex(step.chainKey), aeadKey: caseHex(keys.key), nonce: caseHex(keys.nonce) };
  },

  /** Encrypts one plaintext with a session: the PairwiseMessage (ratchet kind) and the next session. */
  "ratchet.encrypt": (inputs, provider) => {
    const session = sessionInput(inputs);
    if (session === undefined) fail(ErrorCode.SESSION_NOT_FOUND, "no session with the recipient", "ENC-RATCHET-005");
    const { state, message } = ratchetEncrypt(provider, session, caseBytes(inputs, "plaintext"));
    return { message: caseHex(PairwiseMessage.encode({ kind: { $case: "ratchet", value: message } }).finish()), state: caseHex(serializeSession(state)) };
  },

  /** Decrypts one PairwiseMessage with a session (null: none): the plaintext and the next session, or the rejection. */
  "ratchet.decrypt": (inputs, provider) => {
    const out = receiveOne(provider, sessionInput(inputs), caseBytes(inputs, "message"));
    return { plaintext: caseHex(out.plaintext), state: caseHex(serializeSession(out.state)) };
  },

  /**
   * Receives PairwiseMessages in order into a stored session, storing the
   * next session only when a message decrypts (ENC-RATCHET-006): one result
   * per message ({plaintext} or {error: code name}) and the stored session at
   * the end (null when there was none).
   */
  "ratchet.receive": (inputs, provider) => {
    const messages = inputs.messages;
    if (!Array.isArray(messages)) fail(ErrorCode.FRAME_FIELD_INVALID, "case input messages must be an array");
    let session = sessionInput(inputs);
    const results: CaseValue[] = [];
    for (let i = 0; i < messages.length; i++) {
      const bytes = caseBytes({ message: messages[i] as CaseValue }, "message");
      try {
        const out = receiveOne(provider, session, bytes);
        session = out.state;
        results.push({ plaintext: caseHex(out.plaintext) });
      } catch (error) {
        if (!isKabarError(error)) throw error;
        results.push({ error: errorCodeName(error.code) });
      }
    }
    return { results, state: session === undefined ? null : caseHex(serializeSession(session)) };
  },
};
