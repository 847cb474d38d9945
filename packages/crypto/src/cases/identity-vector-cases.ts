// Encryption cases of the identity area, second part: replaying the
// published vectors (ENC-VECTOR-002), the hybrid key agreement with any
// X25519 position given as a bare public key (ENC-KEY-003), and the version
// gate of every ciphertext type (ENC-VERSION-001).
import {
  PairwiseMessage, PreKeyMessage, RatchetMessage, SenderKeyDistribution, decodeMessage, isKabarError,
} from "@kabar/protocol";
import type { CryptoProvider, KeyPair } from "../provider/crypto-provider.js";
import { NodeCryptoProvider } from "../provider/node-provider.js";
import { ErrorCode, fail } from "../errors.js";
import { deriveSessionKey, initiatorSecrets, responderSecrets, sessionAssociatedData } from "../session/pqxdh.js";
import { decryptPairwise } from "../session/session-cipher.js";
import { acceptSenderKeyDistribution, senderKeyDecrypt } from "../senderkey/sender-key-cipher.js";
import type { SenderKeyChain } from "../senderkey/sender-key-state.js";
import { decryptAttachment, encryptAttachment } from "../attachment/attachment-buffer.js";
import { ATTACHMENT_HEADER_SIZE, ATTACHMENT_TAG_SIZE } from "../attachment/attachment-format.js";
import { establishVectorPair, vectorReceive, vectorSend, type VectorParty } from "../vectors/vector-parties.js";
import { play as playRatchet, type Step } from "../vectors/ratchet-vectors.js";
import { play as playSenderKey, type Scenario as SenderKeyScenario } from "../vectors/sender-key-vectors.js";
import { run as runAttachment } from "../vectors/attachment-vectors.js";
import { blobOf as backupBlobOf, open as openBackupVector } from "../vectors/backup-vectors.js";
import { seedOf } from "../vectors/vector-format.js";
import { caseBytes, caseHex, caseInteger, caseString, type CaseFields, type CryptoCaseHandler } from "./case-types.js";

const has = (inputs: CaseFields, name: string): boolean => inputs[name] !== undefined && inputs[name] !== null;

/** `<name>Private` as an X25519 key pair, or `<name>Public` as a bare public key (no private half). */
function position(provider: CryptoProvider, inputs: CaseFields, name: string): { pair: KeyPair | undefined; publicKey: Uint8Array } | undefined {
  if (has(inputs, `${name}Private`)) {
    const pair = provider.x25519KeyPairFromPrivate(caseBytes(inputs, `${name}Private`));
    return { pair, publicKey: pair.publicKey };
  }
  if (has(inputs, `${name}Public`)) return { pair: undefined, publicKey: caseBytes(inputs, `${name}Public`) };
  return undefined;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${what} missing`);
  return value;
}

/**
 * The hybrid agreement of the key-agreement vectors (ENC-X3DH-003..005):
 * the initiator side runs when both its private keys are given, the
 * responder side when its identity and signed-prekey privates are; both
 * must agree when both run. Every X25519 result goes through the provider,
 * so an all-zero one is KEY_INVALID (ENC-KEY-003).
 */
function keyAgreement(inputs: CaseFields, provider: CryptoProvider): CaseFields {
  const initiatorIdentity = required(position(provider, inputs, "initiatorIdentity"), "initiatorIdentity");
  const ephemeral = required(position(provider, inputs, "initiatorEphemeral"), "initiatorEphemeral");
  const responderIdentity = required(position(provider, inputs, "responderIdentity"), "responderIdentity");
  const signedPreKey = required(position(provider, inputs, "responderSignedPreKey"), "responderSignedPreKey");
  const oneTime = position(provider, inputs, "responderOneTimePreKey");
  const kem = provider.mlKemKeyPairFromSeed(caseBytes(inputs, "responderKemSeed"));
  const randomness = caseBytes(inputs, "kemEncapsulationRandom");
  if (randomness.length !== 32) fail(ErrorCode.KEY_INVALID, "ML-KEM-768 encapsulation randomness must be 32 bytes", "ENC-KEY-001");
  const encapsulation = new NodeCryptoProvider({ random: () => new Uint8Array(randomness) }).mlKemEncapsulate(kem.publicKey);
  const ad = sessionAssociatedData(
    { accountId: caseBytes(inputs, "initiatorAccountId"), deviceId: Number(caseInteger(inputs, "initiatorDeviceId")), identityKey: initiatorIdentity.publicKey },
    { accountId: caseBytes(inputs, "responderAccountId"), deviceId: Number(caseInteger(inputs, "responderDeviceId")), identityKey: responderIdentity.publicKey },
  );
  const publics = { baseKey: ephemeral.publicKey, signedPreKey: signedPreKey.publicKey, kemPreKey: kem.publicKey, kemCiphertext: encapsulation.cipherText, oneTimePreKey: oneTime?.publicKey };
  let initiatorKey: Uint8Array | undefined;
  let responderKey: Uint8Array | undefined;
  if (initiatorIdentity.pair !== undefined && ephemeral.pair !== undefined) {
    const secrets = initiatorSecrets(provider, initiatorIdentity.pair, ephemeral.pair, { identityKey: responderIdentity.publicKey, signedPreKey: signedPreKey.publicKey, oneTimePreKey: oneTime?.publicKey }, encapsulation.sharedSecret);
    initiatorKey = deriveSessionKey(provider, secrets, ad, publics);
  }
  if (responderIdentity.pair !== undefined && signedPreKey.pair !== undefined && (oneTime === undefined || oneTime.pair !== undefined)) {
    const decapsulated = provider.mlKemDecapsulate(encapsulation.cipherText, kem.secretKey);
    const secrets = responderSecrets(provider, responderIdentity.pair, signedPreKey.pair, oneTime?.pair, { identityKey: initiatorIdentity.publicKey, baseKey: ephemeral.publicKey }, decapsulated);
    responderKey = deriveSessionKey(provider, secrets, ad, publics);
  }
  const sessionKey = initiatorKey ?? responderKey;
  if (sessionKey === undefined) return fail(ErrorCode.FRAME_FIELD_INVALID, "case inputs leave neither side computable");
  if (initiatorKey !== undefined && responderKey !== undefined && caseHex(initiatorKey) !== caseHex(responderKey)) fail(ErrorCode.DECRYPT_FAILED, "initiator and responder disagree");
  return { associatedData: caseHex(ad), kemCiphertext: caseHex(encapsulation.cipherText), kemSharedSecret: caseHex(encapsulation.sharedSecret), sessionKey: caseHex(sessionKey) };
}

/** Rejects with the code named `error:<CODE>` by a vector helper's result string. */
function rejectWith(result: string): never {
  const name = result.slice("error:".length);
  const code = (ErrorCode as unknown as Record<string, number | undefined>)[name];
  return fail(code ?? ErrorCode.DECRYPT_FAILED, "vector case rejected");
}

// scrypt master keys by (secret, account id): a pure function, cached so the
// backup vectors cost one scrypt per distinct secret.
const backupMasterKeys = new Map<string, Uint8Array>();

const vectorCases: Record<string, CryptoCaseHandler> = {
  // ENC-VECTOR-002, group KeyAgreement; ENC-KEY-003.
  "vector.key_agreement": keyAgreement,
  // ENC-VECTOR-002, group RatchetConversation (ENC-VECTOR-001: fresh wires).
  "vector.ratchet_conversation": (inputs) => {
    const steps = inputs.steps as unknown as Step[];
    const wires = inputs.wires as unknown as (string | null)[];
    if (!Array.isArray(steps) || !Array.isArray(wires)) fail(ErrorCode.FRAME_FIELD_INVALID, "case inputs steps and wires must be arrays");
    const played = playRatchet(caseBytes(inputs, "seed"), steps, wires);
    return { results: played.results, wires: played.wires };
  },
  // ENC-VECTOR-002, group SenderKeyChain.
  "vector.sender_key_chain": (inputs) => {
    const deliver = inputs.deliver as unknown as SenderKeyScenario["deliver"];
    const wires = inputs.wires as unknown as string[];
    if (!Array.isArray(deliver) || !Array.isArray(wires)) fail(ErrorCode.FRAME_FIELD_INVALID, "case inputs deliver and wires must be arrays");
    const played = playSenderKey(inputs as Record<string, string | number>, { sends: wires.length, deliver }, wires);
    return { results: played.results, wires: played.wires };
  },
  // ENC-VECTOR-002, group AttachmentStream: completes for an intact file, rejects with the code otherwise.
  "vector.attachment_stream": async (inputs): Promise<CaseFields> => {
    const { digest, result } = await runAttachment(inputs as Record<string, unknown>);
    if (result !== "ok") rejectWith(result);
    // Small intact files also return the whole ciphertext (plaintext byte i is i mod 251).
    const size = Number(caseInteger(inputs, "size"));
    if (size > 4096 || inputs.mutation !== "none") return { digest };
    const fileId = caseBytes(inputs, "fileId");
    const plaintext = Uint8Array.from({ length: size }, (_, i) => i % 251);
    const { ciphertext } = await encryptAttachment(new NodeCryptoProvider({ random: () => new Uint8Array(fileId) }), plaintext, caseBytes(inputs, "key"));
    return { digest, ciphertext: caseHex(ciphertext) };
  },
  // ENC-VECTOR-002, group KeyBackup: completes when the (attacked) blob opens, rejects with the code otherwise.
  "vector.key_backup": (inputs) => {
    const blob = backupBlobOf(inputs as Record<string, unknown>);
    if (backupMasterKeys.size > 16) backupMasterKeys.clear();
    const result = openBackupVector(inputs as Record<string, unknown>, blob, backupMasterKeys);
    if (!result.startsWith("ok")) rejectWith(result);
    return { blob: caseHex(blob) };
  },
};

// ENC-VERSION-001: one receiver context, built once from a fixed seed: B holds
// an answered session with A (so ratchet messages reach the ratchet), its
// prekeys, and a sender-key chain of A's.
interface VersionContext { a: VectorParty; b: VectorParty; chain: SenderKeyChain }
let versionContext: VersionContext | undefined;
function context(): VersionContext {
  if (versionContext === undefined) {
    const { provider, a, b } = establishVectorPair(seedOf("kabar-v1 cases version"));
    vectorReceive(provider, b, a, vectorSend(provider, a, new Uint8Array([1])));
    const chain = acceptSenderKeyDistribution({
      version: 1, conversationId: new Uint8Array(16).fill(1), distributionId: new Uint8Array(16).fill(2), iteration: 0,
      chainKey: new Uint8Array(32).fill(3), signingKey: a.verified.signingKey,
    }, { accountId: a.verified.accountId, deviceId: a.verified.deviceId });
    versionContext = { a, b, chain };
  }
  return versionContext;
}

const versionCases: Record<string, CryptoCaseHandler> = {
  // Runs `message` through the receiving path of `messageType` in a context
  // whose keys do not match it: a version-1 message then fails later (or
  // completes), any other version must fail with
  // CIPHERTEXT_VERSION_UNSUPPORTED first.
  "version.open": async (inputs, provider) => {
    const type = caseString(inputs, "messageType");
    const bytes = caseBytes(inputs, "message");
    const { a, b, chain } = context();
    const receive = (wire: Uint8Array) => decryptPairwise(provider, { local: b.local, session: b.session, sender: a.verified, preKeys: b.lookup }, wire);
    switch (type) {
      case "PreKeyMessage": {
        const message = decodeInput(PreKeyMessage, bytes);
        receive(PairwiseMessage.encode({ kind: { $case: "prekey", value: message } }).finish());
        return { accepted: true };
      }
      case "RatchetMessage": {
        const message = decodeInput(RatchetMessage, bytes);
        receive(PairwiseMessage.encode({ kind: { $case: "ratchet", value: message } }).finish());
        return { accepted: true };
      }
      case "SenderKeyMessage":
        senderKeyDecrypt(provider, () => chain, bytes);
        return { accepted: true };
      case "SenderKeyDistribution":
        acceptSenderKeyDistribution(decodeInput(SenderKeyDistribution, bytes), { accountId: a.verified.accountId, deviceId: a.verified.deviceId });
        return { accepted: true };
      case "Attachment": {
        const size = Math.max(0, bytes.length - ATTACHMENT_HEADER_SIZE - ATTACHMENT_TAG_SIZE);
        await decryptAttachment(provider, bytes, { key: new Uint8Array(32).fill(7), size, digest: provider.sha256(bytes) });
        return { accepted: true };
      }
      default:
        return fail(ErrorCode.FRAME_FIELD_INVALID, "unknown message type");
    }
  },
};

function decodeInput<T>(codec: Parameters<typeof decodeMessage<T>>[0], bytes: Uint8Array): T {
  try {
    return decodeMessage(codec, bytes);
  } catch (error) {
    if (isKabarError(error)) return fail(ErrorCode.DECRYPT_FAILED, "message does not decode");
    throw error;
  }
}

/** The identity area's vector and version kinds. */
export const identityVectorCases: Readonly<Record<string, CryptoCaseHandler>> = { ...vectorCases, ...versionCases };

