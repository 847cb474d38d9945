/**
 * `@kabar/crypto`: Kabar's end-to-end cryptography. Primitives sit behind the
 * {@link CryptoProvider} port; everything else is pure protocol logic over it.
 * The normative description is docs/spec/encryption.md (rule ids ENC-*).
 *
 * @packageDocumentation
 */

// Primitive port and providers (ENC-KEY-*)
export type { CryptoProvider, IncrementalHash, KeyPair, KemKeyPair, KemEncapsulation, RandomSource, ScryptParams } from "./provider/crypto-provider.js";
export { NodeCryptoProvider, type NodeCryptoProviderOptions } from "./provider/node-provider.js";
export { deterministicRandom } from "./provider/deterministic-random.js";

// Identity (ENC-ID-*)
export { KeyTag, taggedKey } from "./identity/key-tags.js";
export {
  accountIdOf, createAccountIdentity, createDeviceKeys, MAX_DEVICE_ID, type AccountIdentity, type DeviceKeys,
} from "./identity/account-identity.js";
export { issueDeviceCertificate, verifyDeviceCertificate, type VerifiedDevice } from "./identity/device-certificate.js";
export {
  MAX_DEVICES, requireListedDevice, signDeviceList, verifyDeviceList, type SeenDeviceList, type VerifiedDeviceList,
} from "./identity/device-list.js";
export { fingerprintDigits, safetyNumber, SAFETY_NUMBER_ITERATIONS } from "./identity/safety-number.js";
export { createLinkingPayload, verifyLinkingPayload } from "./identity/linking.js";

// Pairwise sessions (ENC-X3DH-*, ENC-RATCHET-*)
export {
  createKemPreKey, createOneTimePreKey, createSignedPreKey, verifyKemPreKey, verifySignedPreKey,
  type KemPreKeyRecord, type PreKeyRecord,
} from "./session/prekeys.js";
export {
  decryptPairwise, encryptPairwise, initiateSession,
  type DecryptPairwiseParams, type DecryptPairwiseResult, type InitiateSessionParams, type LocalDevice, type PreKeyLookup,
} from "./session/session-cipher.js";
export {
  CIPHERTEXT_VERSION, MAX_COUNTER, MAX_RECEIVING_CHAINS, MAX_SKIP, MAX_SKIPPED_KEYS,
  type PendingPreKey, type ReceivingChain, type SessionParty, type SessionState, type SkippedKey,
} from "./session/session-state.js";
export { deserializeSession, serializeSession } from "./session/session-codec.js";
export {
  decryptWithRecord, deserializeSessionRecord, EMPTY_SESSION_RECORD, encryptWithRecord, MAX_PREVIOUS_SESSIONS, serializeSessionRecord,
  type SessionRecord,
} from "./session/session-record.js";

// Sender keys (ENC-SENDERKEY-*)
export {
  acceptSenderKeyDistribution, createSenderKeyChain, parseSenderKeyMessage, senderKeyDecrypt, senderKeyDistribution, senderKeyEncrypt,
} from "./senderkey/sender-key-cipher.js";
export {
  deserializeSenderKeyChain, MAX_SENDER_KEY_JUMP, MAX_SENDER_KEY_SKIPPED, serializeSenderKeyChain,
  type SenderAddress, type SenderKeyChain,
} from "./senderkey/sender-key-state.js";

// Attachments (ENC-ATTACH-*)
export { AttachmentDecryptor, AttachmentEncryptor, type AttachmentStreamOptions } from "./attachment/attachment-stream.js";
export { decryptAttachment, encryptAttachment } from "./attachment/attachment-buffer.js";
export { ATTACHMENT_CHUNK_SIZE, ciphertextSize, type AttachmentPointer } from "./attachment/attachment-format.js";

// Key backup (ENC-BACKUP-*)
export { createRecoverySecret, formatRecoverySecret, parseRecoverySecret } from "./backup/recovery-secret.js";
export { backupMasterKey, BACKUP_SCRYPT, openBackup, sealBackup, type BackupEntries } from "./backup/key-backup.js";

// Published vectors (ENC-VECTOR-*)
export { checkVectorFiles, formatVectorFile, generateVectorFiles } from "./vectors/generate.js";
export type { VectorFile, VectorTest } from "./vectors/vector-format.js";

// Storage port (ENC-STATE-*)
export { InMemorySessionStore, type PeerAddress, type SessionStore } from "./store/session-store.js";

// Encryption cases for the conformance kit (docs/spec/encryption-cases.md)
export { caseBytes, caseHex, caseInteger, caseString, type CaseFields, type CaseValue, type CryptoCaseHandler } from "./cases/case-types.js";
export { CRYPTO_CASE_HANDLERS, runCryptoCase } from "./cases/run-case.js";
