// Encryption cases of this area (see case-types.ts; kinds, inputs and
// outputs are documented in docs/spec/encryption-cases.md): sender keys
// (ENC-SENDERKEY-*, ENC-STATE-002), attachments (ENC-ATTACH-*) and the key
// backup (ENC-BACKUP-*).
import { errorCodeName, isKabarError, SenderKeyMessage } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { ErrorCode, fail } from "../errors.js";
import { acceptSenderKeyDistribution, createSenderKeyChain, senderKeyDecrypt, senderKeyEncrypt } from "../senderkey/sender-key-cipher.js";
import { deserializeSenderKeyChain, serializeSenderKeyChain, type SenderKeyChain } from "../senderkey/sender-key-state.js";
import { decryptAttachment, encryptAttachment } from "../attachment/attachment-buffer.js";
import { createRecoverySecret, formatRecoverySecret, parseRecoverySecret } from "../backup/recovery-secret.js";
import { backupMasterKey, openBackup, sealBackup } from "../backup/key-backup.js";
import { caseBytes, caseHex, caseInteger, caseString, type CaseFields, type CaseValue, type CryptoCaseHandler } from "./case-types.js";

/** A provider whose next randomBytes calls return `values` in order (explicit ids, salts and nonces of a case). */
function scriptedRandom(provider: CryptoProvider, values: readonly Uint8Array[]): CryptoProvider {
  const queue = [...values];
  const scripted = Object.create(provider) as CryptoProvider & { randomBytes: CryptoProvider["randomBytes"] };
  scripted.randomBytes = (length: number) => {
    const next = queue.shift();
    if (next === undefined) return provider.randomBytes(length);
    if (next.length !== length) fail(ErrorCode.FRAME_FIELD_INVALID, "case input has the wrong length");
    return new Uint8Array(next);
  };
  return scripted;
}

function caseU32(inputs: CaseFields, name: string): number {
  const value = caseInteger(inputs, name);
  if (value < 0n || value > 0xffffffffn) fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} must be a u32`);
  return Number(value);
}

function caseU64(inputs: CaseFields, name: string): bigint {
  const value = caseInteger(inputs, name);
  if (value < 0n || value >= 1n << 64n) fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} must be a u64`);
  return value;
}

function caseObject(value: CaseValue | undefined, what: string): CaseFields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${what} must be an object`);
  return value as CaseFields;
}

function caseArray(inputs: CaseFields, name: string): readonly CaseValue[] {
  const value = inputs[name];
  if (!Array.isArray(value)) fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} must be an array`);
  return value as readonly CaseValue[];
}

const chainOutput = (chain: SenderKeyChain): string => caseHex(serializeSenderKeyChain(chain));

/** The backup entries of a case, [{id, value}], as a map; a repeated id is the kit's fault. */
function caseEntries(inputs: CaseFields): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const item of caseArray(inputs, "entries")) {
    const entry = caseObject(item, "entries[]");
    const id = caseString(entry, "id");
    if (out.has(id)) fail(ErrorCode.FRAME_FIELD_INVALID, "case input entries repeats an id");
    out.set(id, caseBytes(entry, "value"));
  }
  return out;
}

/** The case kinds of this area, by name. */
export const groupFileBackupCases: Readonly<Record<string, CryptoCaseHandler>> = {
  // ENC-SENDERKEY-001, ENC-SENDERKEY-005, ENC-STATE-002: a fresh owner chain.
  "sender-key.create": (inputs, provider) => {
    const chain = createSenderKeyChain(provider, caseBytes(inputs, "conversation_id"), { accountId: caseBytes(inputs, "account_id"), deviceId: caseU32(inputs, "device_id") });
    return { chain: chainOutput(chain) };
  },

  // ENC-STATE-002: decode then encode a serialized chain.
  "state.sender-key-roundtrip": (inputs) => ({ chain: chainOutput(deserializeSenderKeyChain(caseBytes(inputs, "chain"))) }),

  // ENC-SENDERKEY-001, ENC-SENDERKEY-002: encrypt and sign one message with an owner chain.
  "sender-key.encrypt": (inputs, provider) => {
    const chain = deserializeSenderKeyChain(caseBytes(inputs, "chain"));
    const { chain: next, message } = senderKeyEncrypt(provider, chain, caseBytes(inputs, "plaintext"));
    const decoded = SenderKeyMessage.decode(message);
    return {
      chain: chainOutput(next), distribution_id: caseHex(decoded.distributionId), iteration: decoded.iteration,
      ciphertext: caseHex(decoded.ciphertext), signature: caseHex(decoded.signature),
    };
  },

  // ENC-SENDERKEY-002, -004, -005: a receiver chain takes messages in order;
  // each one decrypts or is rejected (its code), the chain carrying over.
  "sender-key.receive": (inputs, provider) => {
    let chain = deserializeSenderKeyChain(caseBytes(inputs, "chain"));
    const results: CaseFields[] = [];
    for (const item of caseArray(inputs, "messages")) {
      const fields = caseObject(item, "messages[]");
      const message = SenderKeyMessage.encode({
        version: 1, distributionId: caseBytes(fields, "distribution_id"), iteration: caseU32(fields, "iteration"),
        ciphertext: caseBytes(fields, "ciphertext"), signature: caseBytes(fields, "signature"),
      }).finish();
      const current = chain;
      try {
        const out = senderKeyDecrypt(provider, (id) => (Buffer.compare(id, current.distributionId) === 0 ? current : undefined), message);
        chain = out.chain;
        results.push({ plaintext: caseHex(out.plaintext) });
      } catch (error) {
        if (!isKabarError(error)) throw error;
        results.push({ rejected: errorCodeName(error.code) });
      }
    }
    return { chain: chainOutput(chain), results };
  },

  // ENC-SENDERKEY-003: a receiver chain from a distribution that arrived over
  // the pairwise session with (sender_account_id, sender_device_id).
  "sender-key.accept-distribution": (inputs) => {
    const chain = acceptSenderKeyDistribution({
      version: caseU32(inputs, "version"), conversationId: caseBytes(inputs, "conversation_id"), distributionId: caseBytes(inputs, "distribution_id"),
      iteration: caseU32(inputs, "iteration"), chainKey: caseBytes(inputs, "chain_key"), signingKey: caseBytes(inputs, "signing_key"),
    }, { accountId: caseBytes(inputs, "sender_account_id"), deviceId: caseU32(inputs, "sender_device_id") });
    return { chain: chainOutput(chain) };
  },

  // ENC-ATTACH-001..004: encrypt a whole file; key and file id are random unless given.
  "attachment.encrypt": async (inputs, provider) => {
    const key = inputs.key === undefined ? undefined : caseBytes(inputs, "key");
    const fileId = inputs.file_id === undefined ? provider.randomBytes(16) : caseBytes(inputs, "file_id");
    if (fileId.length !== 16) fail(ErrorCode.FRAME_FIELD_INVALID, "case input file_id must be 16 bytes");
    const keyBytes = key ?? provider.randomBytes(32);
    const { ciphertext, pointer } = await encryptAttachment(scriptedRandom(provider, [fileId]), caseBytes({ plaintext: inputs.plaintext ?? "" }, "plaintext"), keyBytes);
    return { key: caseHex(pointer.key), file_id: caseHex(fileId), ciphertext: caseHex(ciphertext), size: pointer.size, digest: caseHex(pointer.digest) };
  },

  // ENC-ATTACH-005, ENC-ATTACH-006: decrypt a whole file against its pointer.
  "attachment.decrypt": async (inputs, provider) => {
    const size = caseInteger(inputs, "size");
    if (size < 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) fail(ErrorCode.FRAME_FIELD_INVALID, "case input size out of range");
    const plaintext = await decryptAttachment(provider, caseBytes(inputs, "ciphertext"), { key: caseBytes(inputs, "key"), size: Number(size), digest: caseBytes(inputs, "digest") });
    return { plaintext: caseHex(plaintext) };
  },

  // ENC-BACKUP-001: a fresh recovery secret and its display form.
  "backup.secret-create": (_inputs, provider) => {
    const secret = createRecoverySecret(provider);
    return { secret: caseHex(secret), text: formatRecoverySecret(secret) };
  },

  // ENC-BACKUP-001: the display form of a secret.
  "backup.secret-format": (inputs) => ({ text: formatRecoverySecret(caseBytes(inputs, "secret")) }),

  // ENC-BACKUP-001: parse what a user typed.
  "backup.secret-parse": (inputs) => ({ secret: caseHex(parseRecoverySecret(caseString(inputs, "text"))) }),

  // ENC-BACKUP-002: the scrypt master key.
  "backup.master-key": (inputs, provider) => ({ master: caseHex(backupMasterKey(provider, caseBytes(inputs, "secret"), caseBytes(inputs, "account_id"))) }),

  // ENC-BACKUP-002, ENC-BACKUP-003: seal entries with an explicit salt and nonce.
  "backup.seal": (inputs, provider) => {
    const salt = caseBytes(inputs, "salt");
    const nonce = caseBytes(inputs, "nonce");
    if (salt.length !== 16 || nonce.length !== 12) fail(ErrorCode.FRAME_FIELD_INVALID, "case inputs salt and nonce must be 16 and 12 bytes");
    const blob = sealBackup(scriptedRandom(provider, [salt, nonce]), caseBytes(inputs, "master"), caseBytes(inputs, "account_id"), caseU64(inputs, "version"), caseEntries(inputs));
    return { blob: caseHex(blob) };
  },

  // ENC-BACKUP-004, ENC-BACKUP-005: open a blob, optionally knowing the latest version written.
  "backup.open": (inputs, provider) => {
    const expected = inputs.expected_version === undefined ? undefined : caseU64(inputs, "expected_version");
    const { version, entries } = openBackup(provider, caseBytes(inputs, "master"), caseBytes(inputs, "account_id"), caseBytes(inputs, "blob"), expected);
    const sorted = [...entries].map(([id, value]) => ({ id, bytes: Buffer.from(id, "utf8"), value })).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    return { version: version.toString(), entries: sorted.map((e) => ({ id: e.id, value: caseHex(e.value) })) };
  },
};
