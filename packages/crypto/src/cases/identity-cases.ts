// Encryption cases of the identity area (see case-types.ts; kinds, inputs and
// outputs are documented in docs/spec/encryption-cases.md): the primitives
// (ENC-KEY-*), certificates, device lists, linking and safety numbers
// (ENC-ID-*), the version gate of every ciphertext type (ENC-VERSION-001),
// the test RNG and the published vectors (ENC-VECTOR-*).
import { DeviceCertificate, LinkingPayload, SignedDeviceList, decodeMessage } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { NodeCryptoProvider } from "../provider/node-provider.js";
import { deterministicRandom } from "../provider/deterministic-random.js";
import { ErrorCode, fail } from "../errors.js";
import { accountIdOf } from "../identity/account-identity.js";
import { verifyDeviceCertificate } from "../identity/device-certificate.js";
import { requireListedDevice, verifyDeviceList, type SeenDeviceList } from "../identity/device-list.js";
import { verifyLinkingPayload } from "../identity/linking.js";
import { safetyNumber } from "../identity/safety-number.js";
import { caseBytes, caseHex, caseInteger, type CaseFields, type CryptoCaseHandler } from "./case-types.js";
import { identityVectorCases } from "./identity-vector-cases.js";

/** The optional byte-string input `name`, or undefined when absent. */
function optionalBytes(inputs: CaseFields, name: string): Uint8Array | undefined {
  return inputs[name] === undefined || inputs[name] === null ? undefined : caseBytes(inputs, name);
}

/** A small non-negative integer input (lengths, counts). */
function smallInteger(inputs: CaseFields, name: string): number {
  const value = caseInteger(inputs, name);
  if (value < 0n || value > 1_000_000n) fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} out of range`);
  return Number(value);
}

/** Decodes a protobuf input the kit built; an undecodable one is the code the rule names. */
function decodeInput<T>(codec: Parameters<typeof decodeMessage<T>>[0], bytes: Uint8Array, code: ErrorCode, what: string): T {
  try {
    return decodeMessage(codec, bytes);
  } catch {
    return fail(code, `${what} does not decode`);
  }
}

const primitiveCases: Record<string, CryptoCaseHandler> = {
  // ENC-KEY-002, ENC-KEY-003: raw X25519; an all-zero result is KEY_INVALID.
  "primitive.x25519": (inputs, provider) => {
    const keyPair = provider.x25519KeyPairFromPrivate(caseBytes(inputs, "privateKey"));
    return { publicKey: caseHex(keyPair.publicKey), shared: caseHex(provider.x25519(keyPair, caseBytes(inputs, "publicKey"))) };
  },
  "primitive.ed25519_sign": (inputs, provider) => {
    const keyPair = provider.ed25519KeyPairFromSeed(caseBytes(inputs, "seed"));
    return { publicKey: caseHex(keyPair.publicKey), signature: caseHex(provider.ed25519Sign(keyPair, caseBytes(inputs, "message"))) };
  },
  "primitive.ed25519_verify": (inputs, provider) => ({
    valid: provider.ed25519Verify(caseBytes(inputs, "publicKey"), caseBytes(inputs, "message"), caseBytes(inputs, "signature")),
  }),
  "primitive.sha256": (inputs, provider) => ({ digest: caseHex(provider.sha256(caseBytes(inputs, "message"))) }),
  "primitive.sha512": (inputs, provider) => ({ digest: caseHex(provider.sha512(caseBytes(inputs, "message"))) }),
  "primitive.hmac_sha256": (inputs, provider) => ({ mac: caseHex(provider.hmacSha256(caseBytes(inputs, "key"), caseBytes(inputs, "message"))) }),
  "primitive.hkdf_sha256": (inputs, provider) => ({
    okm: caseHex(provider.hkdfSha256(caseBytes(inputs, "ikm"), caseBytes(inputs, "salt"), caseBytes(inputs, "info"), smallInteger(inputs, "length"))),
  }),
  "primitive.aes256gcm_seal": (inputs, provider) => ({
    sealed: caseHex(provider.aeadSeal(caseBytes(inputs, "key"), caseBytes(inputs, "nonce"), caseBytes(inputs, "plaintext"), caseBytes(inputs, "aad"))),
  }),
  "primitive.aes256gcm_open": (inputs, provider) => ({
    plaintext: caseHex(provider.aeadOpen(caseBytes(inputs, "key"), caseBytes(inputs, "nonce"), caseBytes(inputs, "sealed"), caseBytes(inputs, "aad"))),
  }),
  "primitive.mlkem768_keygen": (inputs, provider) => {
    const keyPair = provider.mlKemKeyPairFromSeed(caseBytes(inputs, "seed"));
    return { encapsulationKey: caseHex(keyPair.publicKey), decapsulationKey: caseHex(keyPair.secretKey) };
  },
  "primitive.mlkem768_encaps": (inputs) => {
    // The encapsulation randomness m is an input, so the provider's random
    // source is replaced for this one call.
    const randomness = caseBytes(inputs, "randomness");
    if (randomness.length !== 32) fail(ErrorCode.KEY_INVALID, "ML-KEM-768 encapsulation randomness must be 32 bytes", "ENC-KEY-001");
    const encapsulation = new NodeCryptoProvider({ random: () => new Uint8Array(randomness) }).mlKemEncapsulate(caseBytes(inputs, "encapsulationKey"));
    return { ciphertext: caseHex(encapsulation.cipherText), sharedSecret: caseHex(encapsulation.sharedSecret) };
  },
  "primitive.mlkem768_decaps": (inputs, provider) => ({
    sharedSecret: caseHex(provider.mlKemDecapsulate(caseBytes(inputs, "ciphertext"), caseBytes(inputs, "decapsulationKey"))),
  }),
  "primitive.scrypt": (inputs, provider) => {
    const logN = smallInteger(inputs, "logN");
    if (logN < 1 || logN > 16) fail(ErrorCode.FRAME_FIELD_INVALID, "case input logN out of range");
    const params = { N: 2 ** logN, r: smallInteger(inputs, "r"), p: smallInteger(inputs, "p") };
    return { key: caseHex(provider.scrypt(caseBytes(inputs, "password"), caseBytes(inputs, "salt"), params, smallInteger(inputs, "length"))) };
  },
};

function verifiedDeviceFields(device: { deviceId: number; signingKey: Uint8Array; identityKey: Uint8Array }): CaseFields {
  return { deviceId: device.deviceId, signingKey: caseHex(device.signingKey), identityKey: caseHex(device.identityKey) };
}

/** Runs one device list through verification against what the receiver remembers. */
function acceptList(provider: CryptoProvider, bytes: Uint8Array, trustedIdentityKey: Uint8Array, previous: SeenDeviceList | undefined) {
  const list = decodeInput(SignedDeviceList, bytes, ErrorCode.CERTIFICATE_INVALID, "signed device list");
  return verifyDeviceList(provider, list, trustedIdentityKey, previous);
}

const identityKinds: Record<string, CryptoCaseHandler> = {
  // ENC-ID-001
  "identity.account_id": (inputs, provider) => ({ accountId: caseHex(accountIdOf(provider, caseBytes(inputs, "identityKey"))) }),
  // ENC-ID-001, ENC-ID-002
  "identity.verify_certificate": (inputs, provider) => {
    const certificate = decodeInput(DeviceCertificate, caseBytes(inputs, "certificate"), ErrorCode.CERTIFICATE_INVALID, "device certificate");
    const device = verifyDeviceCertificate(provider, certificate, caseBytes(inputs, "trustedIdentityKey"));
    return { accountId: caseHex(device.accountId), ...verifiedDeviceFields(device) };
  },
  // ENC-ID-001, ENC-ID-003 (and ENC-ID-004 when a previous list is given)
  "identity.verify_device_list": (inputs, provider) => {
    const previousBody = optionalBytes(inputs, "previousBody");
    const previous = previousBody === undefined ? undefined : { version: caseInteger(inputs, "previousVersion"), body: previousBody };
    const list = acceptList(provider, caseBytes(inputs, "list"), caseBytes(inputs, "trustedIdentityKey"), previous);
    if (inputs.deviceId !== undefined) {
      // ENC-ID-003: keys are shared with, and messages accepted from, listed devices only.
      const deviceId = Number(caseInteger(inputs, "deviceId"));
      requireListedDevice(list, deviceId, optionalBytes(inputs, "deviceIdentityKey"));
    }
    return { accountId: caseHex(list.accountId), version: list.version.toString(), devices: list.devices.map(verifiedDeviceFields) };
  },
  // ENC-ID-004: the receiver's memory across a sequence of lists.
  "identity.device_list_sequence": (inputs, provider) => {
    const trusted = caseBytes(inputs, "trustedIdentityKey");
    const lists = inputs.lists;
    if (!Array.isArray(lists)) return fail(ErrorCode.FRAME_FIELD_INVALID, "case input lists must be an array");
    let seen: SeenDeviceList | undefined;
    const verdicts: string[] = [];
    lists.forEach((_, index) => {
      const bytes = caseBytes({ list: (lists as readonly unknown[])[index] as string }, "list");
      try {
        const list = acceptList(provider, bytes, trusted, seen);
        if (seen === undefined || list.version >= seen.version) seen = { version: list.version, body: list.signed.body };
        verdicts.push("accepted");
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code !== "number") throw error;
        verdicts.push(`rejected:${ErrorCode[code] ?? code}`);
      }
    });
    return { verdicts, version: seen === undefined ? "0" : seen.version.toString() };
  },
  // ENC-ID-005
  "identity.safety_number": (inputs, provider) => {
    return { safetyNumber: safetyNumber(provider, caseBytes(inputs, "identityKeyA"), caseBytes(inputs, "identityKeyB")) };
  },
  // ENC-ID-006
  "identity.verify_linking_payload": (inputs, provider) => {
    const payload = LinkingPayload.fromPartial({
      deviceSigningKey: caseBytes(inputs, "deviceSigningKey"), deviceIdentityKey: caseBytes(inputs, "deviceIdentityKey"),
      nonce: caseBytes(inputs, "nonce"), signature: caseBytes(inputs, "signature"),
    });
    verifyLinkingPayload(provider, payload);
    return { accepted: true };
  },
  // ENC-VECTOR-001: the test-only random source, read in pieces.
  test_rng: (inputs) => {
    const lengths = inputs.lengths;
    if (!Array.isArray(lengths)) return fail(ErrorCode.FRAME_FIELD_INVALID, "case input lengths must be an array");
    const random = deterministicRandom(caseBytes(inputs, "seed"));
    return { outputs: lengths.map((_, i) => caseHex(random(smallInteger({ n: (lengths as readonly unknown[])[i] as number }, "n")))) };
  },
};

/** The case kinds of this area, by name. */
export const identityCases: Readonly<Record<string, CryptoCaseHandler>> = {
  ...primitiveCases,
  ...identityKinds,
  ...identityVectorCases,
};

