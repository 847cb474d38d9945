// Pairwise sessions at the wire level: starting a session from a prekey bundle,
// and turning plaintexts into PairwiseMessage bytes and back.
import { decodeMessage, PairwiseMessage, type PreKeyBundle, type PreKeyMessage } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { bytesEqual } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";
import type { DeviceKeys } from "../identity/account-identity.js";
import { verifyDeviceCertificate, type VerifiedDevice } from "../identity/device-certificate.js";
import { requireListedDevice, type VerifiedDeviceList } from "../identity/device-list.js";
import { deriveSessionKey, initiatorSecrets, responderSecrets, sessionAssociatedData } from "./pqxdh.js";
import { verifyKemPreKey, verifySignedPreKey, type KemPreKeyRecord, type PreKeyRecord } from "./prekeys.js";
import { ratchetDecrypt, ratchetEncrypt } from "./ratchet.js";
import { kdfRoot } from "./ratchet-kdf.js";
import { CIPHERTEXT_VERSION, type SessionParty, type SessionState } from "./session-state.js";
import { dh } from "./dh.js";

/** This device, as a session party with its private keys. */
export interface LocalDevice {
  /** The account id. */
  readonly accountId: Uint8Array;
  /** The device keys. */
  readonly keys: DeviceKeys;
}

/** Where a responder finds the private halves of its prekeys. */
export interface PreKeyLookup {
  /** The signed prekey with this id, if held. */
  signedPreKey(id: number): PreKeyRecord | undefined;
  /** The KEM prekey with this id, if held. */
  kemPreKey(id: number): KemPreKeyRecord | undefined;
  /** The one-time prekey with this id, if not consumed yet. */
  oneTimePreKey(id: number): PreKeyRecord | undefined;
  /**
   * True when a session start with this base key was already accepted while the
   * signed prekey it used is held (ENC-X3DH-009). Optional; without it a
   * replayed start that used no one-time prekey is accepted again.
   */
  baseKeySeen?(baseKey: Uint8Array): boolean;
}

/** What starting a session needs (ENC-X3DH-002). */
export interface InitiateSessionParams {
  /** This device. */
  readonly local: LocalDevice;
  /** The bundle claimed from the server. */
  readonly bundle: PreKeyBundle;
  /** The remote account identity key the user trusts. */
  readonly remoteIdentityKey: Uint8Array;
  /** The remote account's verified device list; when given the device must be in it. */
  readonly remoteDeviceList?: VerifiedDeviceList;
}

const party = (local: LocalDevice): SessionParty => ({ accountId: local.accountId, deviceId: local.keys.deviceId, identityKey: local.keys.identity.publicKey });

/**
 * ENC-X3DH-002: the bundle's device, verified. A certificate byte-identical to
 * one in the verified device list was already checked under the same identity
 * key, so its signature is not verified twice.
 */
function bundleDevice(provider: CryptoProvider, params: InitiateSessionParams): VerifiedDevice {
  const { bundle, remoteDeviceList: list } = params;
  const certificate = bundle.certificate;
  const listed = list === undefined || certificate === undefined ? undefined : list.devices.find((entry) =>
    bytesEqual(entry.certificate.body, certificate.body) && bytesEqual(entry.certificate.signature, certificate.signature));
  if (listed !== undefined && bytesEqual(listed.accountIdentityKey, params.remoteIdentityKey)) return listed;
  const device = verifyDeviceCertificate(provider, certificate, params.remoteIdentityKey);
  if (list !== undefined) requireListedDevice(list, device.deviceId, device.identityKey);
  return device;
}

/**
 * Starts a session from a prekey bundle (ENC-X3DH-002..004). Verifies the
 * certificate, the device list membership and both prekey signatures before
 * any key is used. The returned session sends PreKeyMessages until the first reply.
 */
export function initiateSession(provider: CryptoProvider, params: InitiateSessionParams): SessionState {
  const { bundle, local } = params;
  const device = bundleDevice(provider, params);
  const signedPreKey = verifySignedPreKey(provider, device.signingKey, bundle.signedPrekey);
  const kemPreKey = verifyKemPreKey(provider, device.signingKey, bundle.kemPrekey);
  const oneTime = bundle.oneTimePrekey;
  if (oneTime !== undefined && oneTime.publicKey.length !== 32) fail(ErrorCode.KEY_INVALID, "one-time prekey must be 32 bytes", "ENC-X3DH-001");

  const ephemeral = provider.x25519GenerateKeyPair();
  const encapsulation = provider.mlKemEncapsulate(kemPreKey.publicKey);
  const secrets = initiatorSecrets(provider, local.keys.identity, ephemeral, { identityKey: device.identityKey, signedPreKey: signedPreKey.publicKey, oneTimePreKey: oneTime?.publicKey }, encapsulation.sharedSecret);
  const remote: SessionParty = { accountId: device.accountId, deviceId: device.deviceId, identityKey: device.identityKey };
  const associatedData = sessionAssociatedData(party(local), remote);
  const rootKey = deriveSessionKey(provider, secrets, associatedData, {
    baseKey: ephemeral.publicKey, signedPreKey: signedPreKey.publicKey, kemPreKey: kemPreKey.publicKey,
    kemCiphertext: encapsulation.cipherText, oneTimePreKey: oneTime?.publicKey,
  });
  const sendingRatchet = provider.x25519GenerateKeyPair();
  const sending = kdfRoot(provider, rootKey, dh(provider, sendingRatchet, signedPreKey.publicKey));
  return {
    version: 1, local: party(local), remote, associatedData, baseKey: ephemeral.publicKey,
    rootKey: sending.rootKey, sendingRatchet, sendingChainKey: sending.chainKey, sendingIndex: 0, previousCounter: 0,
    receivingChains: [], skipped: [],
    pendingPreKey: { signedPreKeyId: signedPreKey.id, kemPreKeyId: kemPreKey.id, oneTimePreKeyId: oneTime?.id, kemCiphertext: encapsulation.cipherText },
  };
}

/** Encrypts a plaintext into PairwiseMessage bytes (a PreKeyMessage until the first reply, ENC-X3DH-006). */
export function encryptPairwise(provider: CryptoProvider, session: SessionState, plaintext: Uint8Array): {
  /** The advanced session state; store it before sending. */
  session: SessionState;
  /** The serialized PairwiseMessage to send. */
  message: Uint8Array;
} {
  const { state, message } = ratchetEncrypt(provider, session, plaintext);
  const pending = session.pendingPreKey;
  const wire: PairwiseMessage = pending === undefined
    ? { kind: { $case: "ratchet", value: message } }
    : {
      kind: {
        $case: "prekey",
        value: {
          version: CIPHERTEXT_VERSION, senderAccountId: session.local.accountId, senderDeviceId: session.local.deviceId,
          senderIdentityKey: session.local.identityKey, signedPrekeyId: pending.signedPreKeyId, kemPrekeyId: pending.kemPreKeyId,
          oneTimePrekeyId: pending.oneTimePreKeyId, baseKey: session.baseKey, kemCiphertext: pending.kemCiphertext, message,
        },
      },
    };
  return { session: state, message: PairwiseMessage.encode(wire).finish() };
}

/** What decrypting a pairwise message needs. */
export interface DecryptPairwiseParams {
  /** This device. */
  readonly local: LocalDevice;
  /** The current session with the sender, if any. */
  readonly session: SessionState | undefined;
  /** The sender device as the caller trusts it (from the sender's verified device list). */
  readonly sender: VerifiedDevice;
  /** Prekey private halves; needed for PreKeyMessages. */
  readonly preKeys: PreKeyLookup;
}

/** The result of a successful decryption. */
export interface DecryptPairwiseResult {
  /** The session to store (a new object; the input is never modified). */
  readonly session: SessionState;
  /** The plaintext. */
  readonly plaintext: Uint8Array;
  /** A one-time prekey the caller must now delete (ENC-X3DH-007). */
  readonly consumedOneTimePreKeyId: number | undefined;
  /** The base key of a session start just accepted, for the caller to remember (ENC-X3DH-009). */
  readonly acceptedBaseKey: Uint8Array | undefined;
}

function decodePairwise(bytes: Uint8Array): PairwiseMessage {
  try {
    // Strict decoding (wire.md): no overrunning length prefixes, no repeated
    // singular fields, so one ciphertext has exactly one reading.
    return decodeMessage(PairwiseMessage, bytes);
  } catch {
    return fail(ErrorCode.DECRYPT_FAILED, "pairwise message does not decode", "ENC-RATCHET-004");
  }
}

/** Decrypts PairwiseMessage bytes. Throws KabarError on any failure; the input session is never modified (ENC-RATCHET-006). */
export function decryptPairwise(provider: CryptoProvider, params: DecryptPairwiseParams, bytes: Uint8Array): DecryptPairwiseResult {
  const wire = decodePairwise(bytes);
  if (wire.kind?.$case === "ratchet") {
    if (params.session === undefined) fail(ErrorCode.SESSION_NOT_FOUND, "no session with the sender", "ENC-RATCHET-005");
    checkSessionPeer(params.session, params.sender);
    const out = ratchetDecrypt(provider, params.session, wire.kind.value);
    return { session: out.state, plaintext: out.plaintext, consumedOneTimePreKeyId: undefined, acceptedBaseKey: undefined };
  }
  if (wire.kind?.$case !== "prekey") return fail(ErrorCode.DECRYPT_FAILED, "pairwise message has no body", "ENC-RATCHET-004");
  return acceptPreKeyMessage(provider, params, wire.kind.value);
}

function checkSessionPeer(session: SessionState, sender: VerifiedDevice): void {
  if (!bytesEqual(session.remote.accountId, sender.accountId) || session.remote.deviceId !== sender.deviceId) {
    fail(ErrorCode.WRONG_RECIPIENT, "session belongs to another peer", "ENC-X3DH-008");
  }
  if (!bytesEqual(session.remote.identityKey, sender.identityKey)) fail(ErrorCode.UNTRUSTED_IDENTITY, "peer identity key changed", "ENC-X3DH-008");
}

function acceptPreKeyMessage(provider: CryptoProvider, params: DecryptPairwiseParams, message: PreKeyMessage): DecryptPairwiseResult {
  if (message.version !== CIPHERTEXT_VERSION) fail(ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED, "unsupported ciphertext version", "ENC-VERSION-001");
  if (message.message === undefined) fail(ErrorCode.DECRYPT_FAILED, "prekey message without body", "ENC-X3DH-006");
  const { sender, local } = params;
  // ENC-X3DH-008: the claimed sender must be the device the caller trusts.
  if (!bytesEqual(message.senderAccountId, sender.accountId) || message.senderDeviceId !== sender.deviceId) {
    fail(ErrorCode.DEVICE_UNTRUSTED, "prekey message sender does not match the trusted device", "ENC-X3DH-008");
  }
  if (!bytesEqual(message.senderIdentityKey, sender.identityKey)) fail(ErrorCode.UNTRUSTED_IDENTITY, "prekey message identity key not trusted", "ENC-X3DH-008");
  if (message.baseKey.length !== 32 || message.kemCiphertext.length !== 1088) fail(ErrorCode.DECRYPT_FAILED, "prekey message key lengths", "ENC-X3DH-006");
  // ENC-X3DH-006: a repeated PreKeyMessage of the current session is a normal ratchet message.
  if (params.session !== undefined && bytesEqual(params.session.baseKey, message.baseKey)) {
    checkSessionPeer(params.session, sender);
    const out = ratchetDecrypt(provider, params.session, message.message);
    return { session: out.state, plaintext: out.plaintext, consumedOneTimePreKeyId: undefined, acceptedBaseKey: undefined };
  }
  // ENC-X3DH-009: a replayed session start (for example one without a one-time prekey).
  if (params.preKeys.baseKeySeen?.(message.baseKey) === true) fail(ErrorCode.DUPLICATE_MESSAGE, "session start already accepted", "ENC-X3DH-009");
  const signedPreKey = params.preKeys.signedPreKey(message.signedPrekeyId);
  const kemPreKey = params.preKeys.kemPreKey(message.kemPrekeyId);
  // ENC-X3DH-008: prekeys this device never issued mean the message was built for another device.
  if (signedPreKey === undefined || kemPreKey === undefined) return fail(ErrorCode.WRONG_RECIPIENT, "prekey message names prekeys this device does not hold", "ENC-X3DH-008");
  let oneTime: PreKeyRecord | undefined;
  if (message.oneTimePrekeyId !== undefined) {
    oneTime = params.preKeys.oneTimePreKey(message.oneTimePrekeyId);
    // ENC-X3DH-007: a consumed one-time prekey means a replayed session start.
    if (oneTime === undefined) fail(ErrorCode.DUPLICATE_MESSAGE, "one-time prekey already used", "ENC-X3DH-007");
  }
  const kemSecret = provider.mlKemDecapsulate(message.kemCiphertext, kemPreKey.keyPair.secretKey);
  const secrets = responderSecrets(provider, local.keys.identity, signedPreKey.keyPair, oneTime?.keyPair, { identityKey: sender.identityKey, baseKey: message.baseKey }, kemSecret);
  const remote: SessionParty = { accountId: sender.accountId, deviceId: sender.deviceId, identityKey: sender.identityKey };
  const associatedData = sessionAssociatedData(remote, party(local));
  const rootKey = deriveSessionKey(provider, secrets, associatedData, {
    baseKey: message.baseKey, signedPreKey: signedPreKey.keyPair.publicKey, kemPreKey: kemPreKey.keyPair.publicKey,
    kemCiphertext: message.kemCiphertext, oneTimePreKey: oneTime?.keyPair.publicKey,
  });
  const fresh: SessionState = {
    version: 1, local: party(local), remote, associatedData, baseKey: message.baseKey, rootKey,
    sendingRatchet: signedPreKey.keyPair, sendingChainKey: undefined, sendingIndex: 0, previousCounter: 0,
    receivingChains: [], skipped: [], pendingPreKey: undefined,
  };
  const out = ratchetDecrypt(provider, fresh, message.message);
  return { session: out.state, plaintext: out.plaintext, consumedOneTimePreKeyId: oneTime?.id, acceptedBaseKey: message.baseKey };
}
