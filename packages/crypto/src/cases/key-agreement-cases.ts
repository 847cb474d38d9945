// Encryption cases of the session setup (ENC-X3DH-*) and the serialized
// session (ENC-STATE-001); see case-types.ts. Kinds, inputs and outputs are
// documented in docs/spec/encryption-cases.md. Every random choice of the
// reference (ephemeral and ratchet key pairs, the ML-KEM encapsulation
// message) is an explicit input here, so an implementation's outputs are a
// pure function of the inputs and the kit can recompute them from the
// spec's formulas.
import { decodeMessage, ErrorCode, PairwiseMessage, type PreKeyBundle } from "@kabar/protocol";
import type { CryptoProvider, KemEncapsulation, KeyPair } from "../provider/crypto-provider.js";
import { NodeCryptoProvider } from "../provider/node-provider.js";
import { fail } from "../errors.js";
import type { DeviceKeys } from "../identity/account-identity.js";
import type { VerifiedDevice } from "../identity/device-certificate.js";
import { verifyDeviceList } from "../identity/device-list.js";
import { initiateSession, type LocalDevice, type PreKeyLookup } from "../session/session-cipher.js";
import type { KemPreKeyRecord, PreKeyRecord } from "../session/prekeys.js";
import { deserializeSession, serializeSession } from "../session/session-codec.js";
import { decryptWithRecord, deserializeSessionRecord, encryptWithRecord, serializeSessionRecord } from "../session/session-record.js";
import { caseBytes, caseHex, caseInteger, type CaseFields, type CaseValue, type CryptoCaseHandler } from "./case-types.js";

/** An X25519 or ML-KEM call the case made, in order (the outputs expose the DH values of ENC-X3DH-003). */
interface Recording {
  readonly dh: Uint8Array[];
  readonly hkdf: { readonly info: Uint8Array; readonly length: number; readonly output: Uint8Array }[];
  encapsulation: KemEncapsulation | undefined;
}

/**
 * `base` with the case's explicit randomness: every X25519 key generation
 * takes the next of `x25519Privates` (the last one repeats), and ML-KEM
 * encapsulation uses `kemRandom` as its 32-byte message. Records DH results,
 * HKDF outputs and the encapsulation.
 */
function explicitProvider(base: CryptoProvider, x25519Privates: readonly Uint8Array[], kemRandom: Uint8Array | undefined, recording: Recording): CryptoProvider {
  let next = 0;
  const overrides: Partial<CryptoProvider> = {
    x25519GenerateKeyPair(): KeyPair {
      const key = x25519Privates[Math.min(next++, x25519Privates.length - 1)];
      if (key === undefined) return fail(ErrorCode.FRAME_FIELD_INVALID, "the case needs an X25519 private key input");
      return base.x25519KeyPairFromPrivate(key);
    },
    x25519(keyPair: KeyPair, publicKey: Uint8Array): Uint8Array {
      const shared = base.x25519(keyPair, publicKey);
      recording.dh.push(shared);
      return shared;
    },
    hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      const output = base.hkdfSha256(ikm, salt, info, length);
      recording.hkdf.push({ info, length, output });
      return output;
    },
    mlKemEncapsulate(publicKey: Uint8Array): KemEncapsulation {
      if (kemRandom === undefined) return fail(ErrorCode.FRAME_FIELD_INVALID, "the case needs kemEncapsulationRandom");
      const random = kemRandom;
      // The reference encapsulation with the message m taken from the inputs.
      recording.encapsulation = new NodeCryptoProvider({ random: () => random }).mlKemEncapsulate(publicKey);
      return recording.encapsulation;
    },
    randomBytes(): Uint8Array {
      return fail(ErrorCode.FRAME_FIELD_INVALID, "the case has no further randomness");
    },
  };
  return new Proxy(base, {
    get(target, name) {
      if (Object.hasOwn(overrides, name)) return overrides[name as keyof CryptoProvider];
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const newRecording = (): Recording => ({ dh: [], hkdf: [], encapsulation: undefined });

function optionalBytes(inputs: CaseFields, name: string): Uint8Array | undefined {
  return inputs[name] === undefined || inputs[name] === null ? undefined : caseBytes(inputs, name);
}

function caseU32(inputs: CaseFields, name: string): number {
  const value = caseInteger(inputs, name);
  if (value < 0n || value > 0xffffffffn) fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} must be a u32`);
  return Number(value);
}

function caseList(inputs: CaseFields, name: string): readonly CaseFields[] {
  const value = inputs[name] ?? [];
  if (!Array.isArray(value) || !value.every((v: CaseValue) => typeof v === "object" && v !== null && !Array.isArray(v))) {
    return fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} must be a list of objects`);
  }
  return value as readonly CaseFields[];
}

/** This device from `localAccountId`, `localDeviceId`, `localIdentityPrivate` (the signing key plays no part in a session). */
function localDevice(provider: CryptoProvider, inputs: CaseFields): LocalDevice {
  const keys: DeviceKeys = {
    deviceId: caseU32(inputs, "localDeviceId"),
    signing: { privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) },
    identity: provider.x25519KeyPairFromPrivate(caseBytes(inputs, "localIdentityPrivate")),
  };
  return { accountId: caseBytes(inputs, "localAccountId"), keys };
}

/**
 * `x3dh.initiate` (ENC-X3DH-001..005): verifies a prekey bundle under the
 * trusted account identity key (and the verified device list, when given)
 * and starts a session with explicit ephemeral, ratchet and encapsulation
 * randomness. Outputs every value of the agreement and the serialized session.
 */
const initiate: CryptoCaseHandler = (inputs, baseProvider) => {
  const recording = newRecording();
  const provider = explicitProvider(baseProvider, [caseBytes(inputs, "baseKeyPrivate"), caseBytes(inputs, "ratchetPrivate")], caseBytes(inputs, "kemEncapsulationRandom"), recording);
  const local = localDevice(provider, inputs);
  const remoteIdentityKey = caseBytes(inputs, "remoteIdentityKey");
  const oneTimePreKey = optionalBytes(inputs, "oneTimePreKey");
  const bundle: PreKeyBundle = {
    certificate: { body: caseBytes(inputs, "certificateBody"), signature: caseBytes(inputs, "certificateSignature") },
    signedPrekey: { id: caseU32(inputs, "signedPreKeyId"), publicKey: caseBytes(inputs, "signedPreKey"), signature: caseBytes(inputs, "signedPreKeySignature") },
    kemPrekey: { id: caseU32(inputs, "kemPreKeyId"), publicKey: caseBytes(inputs, "kemPreKey"), signature: caseBytes(inputs, "kemPreKeySignature"), lastResort: false },
    oneTimePrekey: oneTimePreKey === undefined ? undefined : { id: caseU32(inputs, "oneTimePreKeyId"), publicKey: oneTimePreKey },
  };
  const listBody = optionalBytes(inputs, "deviceListBody");
  const remoteDeviceList = listBody === undefined ? undefined
    : verifyDeviceList(provider, { body: listBody, signature: caseBytes(inputs, "deviceListSignature") }, remoteIdentityKey);
  const session = initiateSession(provider, { local, bundle, remoteIdentityKey, ...(remoteDeviceList !== undefined ? { remoteDeviceList } : {}) });
  const withOneTime = oneTimePreKey !== undefined;
  const [dh1, dh2, dh3] = recording.dh;
  const dh4 = withOneTime ? recording.dh[3] : undefined;
  // SK is the agreement's one 32-byte HKDF output; KDF_RK outputs 64 bytes.
  const sessionKey = recording.hkdf.find((call) => call.length === 32)?.output;
  if (dh1 === undefined || dh2 === undefined || dh3 === undefined || sessionKey === undefined || recording.encapsulation === undefined) {
    return fail(ErrorCode.INTERNAL, "session setup did not run the agreement");
  }
  return {
    dh1: caseHex(dh1), dh2: caseHex(dh2), dh3: caseHex(dh3), dh4: dh4 === undefined ? null : caseHex(dh4),
    kemCiphertext: caseHex(recording.encapsulation.cipherText), kemSharedSecret: caseHex(recording.encapsulation.sharedSecret),
    associatedData: caseHex(session.associatedData), sessionKey: caseHex(sessionKey), baseKey: caseHex(session.baseKey),
    rootKey: caseHex(session.rootKey), sendingChainKey: caseHex(session.sendingChainKey ?? new Uint8Array(0)),
    session: caseHex(serializeSession(session)),
  };
};

/** `x3dh.encrypt` (ENC-X3DH-006, ENC-X3DH-010): encrypts with the current session of a serialized record. */
const encrypt: CryptoCaseHandler = (inputs, provider) => {
  const record = deserializeSessionRecord(caseBytes(inputs, "record"));
  const out = encryptWithRecord(provider, record, caseBytes(inputs, "plaintext"));
  return { message: caseHex(out.message), record: caseHex(serializeSessionRecord(out.record)) };
};

/**
 * `x3dh.decrypt` (ENC-X3DH-006..010): decrypts PairwiseMessage bytes from the
 * trusted sender device with a serialized session record and an explicit
 * prekey store; outputs the plaintext and the new record and store.
 */
const decrypt: CryptoCaseHandler = (inputs, baseProvider) => {
  const recording = newRecording();
  const provider = explicitProvider(baseProvider, [caseBytes(inputs, "ratchetPrivate")], undefined, recording);
  const local = localDevice(provider, inputs);
  const senderIdentityKey = caseBytes(inputs, "senderIdentityKey");
  const sender: VerifiedDevice = {
    accountId: caseBytes(inputs, "senderAccountId"), accountIdentityKey: new Uint8Array(32), deviceId: caseU32(inputs, "senderDeviceId"),
    signingKey: new Uint8Array(32), identityKey: senderIdentityKey, certificate: { body: new Uint8Array(0), signature: new Uint8Array(0) },
  };
  const x25519Record = (entry: CaseFields): PreKeyRecord => ({ id: caseU32(entry, "id"), keyPair: provider.x25519KeyPairFromPrivate(caseBytes(entry, "private")) });
  const signedEntries = caseList(inputs, "signedPreKeys");
  const kemEntries = caseList(inputs, "kemPreKeys");
  const oneTimeEntries = caseList(inputs, "oneTimePreKeys");
  const seen = caseList(inputs, "seenBaseKeys").map((entry) => ({ baseKey: caseBytes(entry, "baseKey"), signedPreKeyId: caseU32(entry, "signedPreKeyId") }));
  const find = (entries: readonly CaseFields[], id: number) => entries.find((entry) => caseU32(entry, "id") === id);
  const lookup: PreKeyLookup = {
    signedPreKey: (id) => { const e = find(signedEntries, id); return e === undefined ? undefined : x25519Record(e); },
    kemPreKey: (id): KemPreKeyRecord | undefined => {
      const e = find(kemEntries, id);
      return e === undefined ? undefined : { id, keyPair: provider.mlKemKeyPairFromSeed(caseBytes(e, "seed")), lastResort: e.lastResort === true };
    },
    oneTimePreKey: (id) => { const e = find(oneTimeEntries, id); return e === undefined ? undefined : x25519Record(e); },
    // ENC-X3DH-009: starts remembered while their signed prekey is held.
    baseKeySeen: (baseKey) => seen.some((s) => find(signedEntries, s.signedPreKeyId) !== undefined && Buffer.from(s.baseKey).equals(baseKey)),
  };
  const record = deserializeSessionRecord(caseBytes(inputs, "record"));
  const message = caseBytes(inputs, "message");
  const out = decryptWithRecord(provider, { local, sender, preKeys: lookup, record }, message);
  const consumed = out.consumedOneTimePreKeyId;
  const accepted = out.acceptedBaseKey;
  const seenOut: CaseValue[] = seen.map((s) => ({ baseKey: caseHex(s.baseKey), signedPreKeyId: s.signedPreKeyId }));
  if (accepted !== undefined) {
    seenOut.push({ baseKey: caseHex(accepted), signedPreKeyId: signedPreKeyIdOf(message) });
  }
  return {
    plaintext: caseHex(out.plaintext),
    record: caseHex(serializeSessionRecord(out.record)),
    // ENC-X3DH-007: the one-time prekey the start used is gone from the store.
    oneTimePreKeys: oneTimeEntries.filter((entry) => consumed === undefined || caseU32(entry, "id") !== consumed),
    seenBaseKeys: seenOut,
  };
};

function signedPreKeyIdOf(message: Uint8Array): number {
  // Only reached after a PreKeyMessage was accepted, so it decodes.
  const decoded = decodeMessage(PairwiseMessage, message);
  return decoded.kind?.$case === "prekey" ? decoded.kind.value.signedPrekeyId : 0;
}

/** `state.session-roundtrip` (ENC-STATE-001): decodes a serialized session and encodes it again. */
const sessionRoundtrip: CryptoCaseHandler = (inputs) => ({ session: caseHex(serializeSession(deserializeSession(caseBytes(inputs, "session")))) });

/** `state.record-roundtrip` (ENC-STATE-001, ENC-X3DH-010): decodes a serialized session record and encodes it again. */
const recordRoundtrip: CryptoCaseHandler = (inputs) => ({ record: caseHex(serializeSessionRecord(deserializeSessionRecord(caseBytes(inputs, "record")))) });

/** The case kinds of this area, by name. */
export const keyAgreementCases: Readonly<Record<string, CryptoCaseHandler>> = {
  "x3dh.initiate": initiate,
  "x3dh.encrypt": encrypt,
  "x3dh.decrypt": decrypt,
  "state.session-roundtrip": sessionRoundtrip,
  "state.record-roundtrip": recordRoundtrip,
};
