// Published vectors for the hybrid key agreement (ENC-X3DH-003..005) with
// every private input explicit, so another implementation can recompute them.
import { NodeCryptoProvider } from "../provider/node-provider.js";
import { deterministicRandom } from "../provider/deterministic-random.js";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { isKabarError, errorCodeName } from "@kabar/protocol";
import { deriveSessionKey, initiatorSecrets, responderSecrets, sessionAssociatedData } from "../session/pqxdh.js";
import { hex, seedOf, unhex, type VectorFile, type VectorTest } from "./vector-format.js";

interface Case { comment: string; oneTime: "none" | "valid" | "low-order" | "spk-low-order" }
const CASES: Case[] = [
  { comment: "with one-time prekey", oneTime: "valid" },
  { comment: "without one-time prekey", oneTime: "none" },
  { comment: "one-time prekey is the all-zero (low-order) point", oneTime: "low-order" },
  { comment: "signed prekey is a low-order point (order 8)", oneTime: "spk-low-order" },
];
// A point of order 8 on Curve25519 (its shared secret with any scalar is zero).
const ORDER_8 = "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800";

function compute(provider: CryptoProvider, inputs: Record<string, unknown>): Record<string, string> {
  const kp = (name: string) => provider.x25519KeyPairFromPrivate(unhex(inputs[name]));
  const initiator = { accountId: unhex(inputs.initiatorAccountId), deviceId: Number(inputs.initiatorDeviceId), identity: kp("initiatorIdentityPrivate") };
  const responderIdentity = kp("responderIdentityPrivate");
  const signedPreKey = inputs.responderSignedPreKeyPrivate !== undefined ? kp("responderSignedPreKeyPrivate") : undefined;
  const spkPublic = signedPreKey?.publicKey ?? unhex(inputs.responderSignedPreKeyPublic);
  const oneTime = inputs.responderOneTimePreKeyPrivate !== undefined ? kp("responderOneTimePreKeyPrivate") : undefined;
  const otpkPublic = oneTime?.publicKey ?? (inputs.responderOneTimePreKeyPublic !== undefined ? unhex(inputs.responderOneTimePreKeyPublic) : undefined);
  const ephemeral = kp("initiatorEphemeralPrivate");
  const kem = provider.mlKemKeyPairFromSeed(unhex(inputs.responderKemSeed));
  const encapsulator = new NodeCryptoProvider({ random: () => unhex(inputs.kemEncapsulationRandom) });
  const encapsulation = encapsulator.mlKemEncapsulate(kem.publicKey);
  const ad = sessionAssociatedData(
    { accountId: initiator.accountId, deviceId: initiator.deviceId, identityKey: initiator.identity.publicKey },
    { accountId: unhex(inputs.responderAccountId), deviceId: Number(inputs.responderDeviceId), identityKey: responderIdentity.publicKey },
  );
  const publics = { baseKey: ephemeral.publicKey, signedPreKey: spkPublic, kemPreKey: kem.publicKey, kemCiphertext: encapsulation.cipherText, oneTimePreKey: otpkPublic };
  const sk = deriveSessionKey(provider, initiatorSecrets(provider, initiator.identity, ephemeral, { identityKey: responderIdentity.publicKey, signedPreKey: spkPublic, oneTimePreKey: otpkPublic }, encapsulation.sharedSecret), ad, publics);
  if (signedPreKey !== undefined) {
    const decapsulated = provider.mlKemDecapsulate(encapsulation.cipherText, kem.secretKey);
    const responderSk = deriveSessionKey(provider, responderSecrets(provider, responderIdentity, signedPreKey, oneTime, { identityKey: initiator.identity.publicKey, baseKey: ephemeral.publicKey }, decapsulated), ad, publics);
    if (hex(responderSk) !== hex(sk)) throw new Error("responder and initiator disagree");
  }
  return { associatedData: hex(ad), kemCiphertext: hex(encapsulation.cipherText), kemSharedSecret: hex(encapsulation.sharedSecret), sessionKey: hex(sk) };
}

function run(provider: CryptoProvider, inputs: Record<string, unknown>): { outputs: Record<string, string>; errorCode?: string } {
  try {
    return { outputs: compute(provider, inputs) };
  } catch (error) {
    if (!isKabarError(error)) throw error;
    return { outputs: {}, errorCode: errorCodeName(error.code) };
  }
}

/** Generates the key-agreement vector file. */
export function generateKeyAgreementVectors(): VectorFile {
  const random = deterministicRandom(seedOf("kabar-v1 vectors key-agreement"));
  const provider = new NodeCryptoProvider();
  const tests: VectorTest[] = CASES.map((c, index) => {
    const inputs: Record<string, unknown> = {
      initiatorAccountId: hex(random(32)), initiatorDeviceId: 1, initiatorIdentityPrivate: hex(random(32)), initiatorEphemeralPrivate: hex(random(32)),
      responderAccountId: hex(random(32)), responderDeviceId: 2, responderIdentityPrivate: hex(random(32)),
      responderKemSeed: hex(random(64)), kemEncapsulationRandom: hex(random(32)),
    };
    if (c.oneTime === "spk-low-order") inputs.responderSignedPreKeyPublic = ORDER_8;
    else inputs.responderSignedPreKeyPrivate = hex(random(32));
    if (c.oneTime === "valid") inputs.responderOneTimePreKeyPrivate = hex(random(32));
    if (c.oneTime === "low-order") inputs.responderOneTimePreKeyPublic = hex(new Uint8Array(32));
    const { outputs, errorCode } = run(provider, inputs);
    return { tcId: index + 1, comment: c.comment, rule: errorCode ? "ENC-KEY-003" : "ENC-X3DH-004", inputs, outputs, result: errorCode ? "invalid" : "valid", ...(errorCode ? { errorCode } : {}) };
  });
  return {
    algorithm: "kabar-v1 PQXDH (X25519 + ML-KEM-768)", version: "1",
    notes: "Private X25519 keys are raw scalars (clamped by X25519). responderKemSeed is the 64-byte ML-KEM-768 keygen seed d||z; kemEncapsulationRandom is the 32-byte encapsulation message m. sessionKey is SK (ENC-X3DH-004).",
    testGroups: [{ type: "KeyAgreement", tests }],
  };
}

/** Checks every key-agreement vector against this implementation; returns failures. */
export function checkKeyAgreementVectors(file: VectorFile): string[] {
  const provider = new NodeCryptoProvider();
  const failures: string[] = [];
  for (const t of file.testGroups.flatMap((g) => g.tests)) {
    const { outputs, errorCode } = run(provider, t.inputs);
    if (t.result === "invalid" ? errorCode !== t.errorCode : JSON.stringify(outputs) !== JSON.stringify(t.outputs)) failures.push(`key-agreement tcId ${t.tcId}`);
  }
  return failures;
}
