// Crypto properties of the identity area: each sends encryption cases (kinds
// in docs/spec/encryption-cases.md) built from fast-check values and checks
// the outcome against the rule, computing expected values from the spec's
// formulas with node:crypto (identity-kit-crypto.ts) where the rule fixes them.
import fc from "fast-check";
import { ErrorCode, LinkingPayload, PreKeyMessage, RatchetMessage, SenderKeyDistribution, SenderKeyMessage, DeviceCertificate } from "@kabar/protocol";
import { createCipheriv, scryptSync } from "node:crypto";
import { defineProperty, type PropertyContext } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import type { CryptoCaseFields } from "../../targets/target-types.js";
import { describeCaseOutcome, expectCompleted, expectOutput, expectRejected, hex, runCase, unhex } from "./expect-case.js";
import {
  certificateBody, certificateBytes, concat, deviceListBody, ed25519FromSeed, ed25519Sign, fingerprint, hkdfSha256, hmacSha256,
  LOW_ORDER_POINTS, sha256, sha512, signedCertificate, signedDeviceList, testRngStream, u32be, utf8, x25519, x25519Public, type Ed25519Key,
} from "./identity-kit-crypto.js";
import "./identity-wycheproof.js";
import "./identity-vector-properties.js";

type Ctx = PropertyContext<"crypto">;
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const seed32 = bytes(32);

// ---------------------------------------------------------------- ENC-KEY-002

function aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return concat(body, cipher.getAuthTag());
}

defineProperty({
  id: "crypto.key.primitives",
  rules: ["ENC-KEY-002"],
  mode: "crypto",
  profile: "core",
  numRuns: 12,
  description:
    "X25519, Ed25519, SHA-256, SHA-512, HMAC-SHA256, HKDF-SHA256, AES-256-GCM (16-byte tag) and scrypt agree with node:crypto on generated inputs, a forged AES-GCM tag is DECRYPT_FAILED, and ML-KEM-768 keygen/encaps/decaps are deterministic and agree with each other.",
  run: (context) =>
    fc.asyncProperty(
      fc.record({
        a: seed32, b: seed32, edSeed: seed32, message: fc.uint8Array({ maxLength: 80 }), key: fc.uint8Array({ minLength: 1, maxLength: 80 }),
        salt: fc.uint8Array({ maxLength: 40 }), info: fc.uint8Array({ maxLength: 40 }), length: fc.integer({ min: 1, max: 200 }),
        aesKey: seed32, nonce: bytes(12), aad: fc.uint8Array({ maxLength: 40 }), flip: fc.nat(),
        kemSeed: bytes(64), kemRandom: seed32,
      }),
      async (v) => {
        const rule = "ENC-KEY-002";
        const x = await expectCompleted(context, rule, "primitive.x25519", { privateKey: hex(v.a), publicKey: hex(x25519Public(v.b)) }, "X25519 of two generated keys");
        expectOutput(rule, x, "publicKey", hex(x25519Public(v.a)), "X25519 public key of the private key");
        expectOutput(rule, x, "shared", hex(x25519(v.a, x25519Public(v.b)) ?? new Uint8Array(0)), "X25519 shared secret");
        const ed = ed25519FromSeed(v.edSeed);
        const signed = await expectCompleted(context, rule, "primitive.ed25519_sign", { seed: hex(v.edSeed), message: hex(v.message) }, "Ed25519 signature");
        expectOutput(rule, signed, "publicKey", hex(ed.publicKey), "Ed25519 public key of the seed");
        expectOutput(rule, signed, "signature", hex(ed25519Sign(ed, v.message)), "Ed25519 signature (deterministic, RFC 8032)");
        const good = ed25519Sign(ed, v.message);
        const verified = await expectCompleted(context, rule, "primitive.ed25519_verify", { publicKey: hex(ed.publicKey), message: hex(v.message), signature: hex(good) }, "Ed25519 verify of a good signature");
        expectOutput(rule, verified, "valid", true, "Ed25519 verify of a good signature");
        const bad = new Uint8Array(good);
        bad[v.flip % 64]! ^= 1 << (v.flip % 8);
        const refused = await expectCompleted(context, rule, "primitive.ed25519_verify", { publicKey: hex(ed.publicKey), message: hex(v.message), signature: hex(bad) }, "Ed25519 verify of a flipped signature");
        expectOutput(rule, refused, "valid", false, "Ed25519 verify of a signature with one bit flipped");
        expectOutput(rule, await expectCompleted(context, rule, "primitive.sha256", { message: hex(v.message) }, "SHA-256"), "digest", hex(sha256(v.message)), "SHA-256");
        expectOutput(rule, await expectCompleted(context, rule, "primitive.sha512", { message: hex(v.message) }, "SHA-512"), "digest", hex(sha512(v.message)), "SHA-512");
        expectOutput(rule, await expectCompleted(context, rule, "primitive.hmac_sha256", { key: hex(v.key), message: hex(v.message) }, "HMAC-SHA256"), "mac", hex(hmacSha256(v.key, v.message)), "HMAC-SHA256");
        const okm = await expectCompleted(context, rule, "primitive.hkdf_sha256", { ikm: hex(v.key), salt: hex(v.salt), info: hex(v.info), length: v.length }, "HKDF-SHA256");
        expectOutput(rule, okm, "okm", hex(hkdfSha256(v.key, v.salt, v.info, v.length)), "HKDF-SHA256 (RFC 5869; an empty salt is 32 zero bytes)");
        const sealed = aesGcmSeal(v.aesKey, v.nonce, v.message, v.aad);
        const seal = await expectCompleted(context, rule, "primitive.aes256gcm_seal", { key: hex(v.aesKey), nonce: hex(v.nonce), plaintext: hex(v.message), aad: hex(v.aad) }, "AES-256-GCM seal");
        expectOutput(rule, seal, "sealed", hex(sealed), "AES-256-GCM ciphertext || 16-byte tag");
        const opened = await expectCompleted(context, rule, "primitive.aes256gcm_open", { key: hex(v.aesKey), nonce: hex(v.nonce), sealed: hex(sealed), aad: hex(v.aad) }, "AES-256-GCM open");
        expectOutput(rule, opened, "plaintext", hex(v.message), "AES-256-GCM open");
        const forged = new Uint8Array(sealed);
        forged[sealed.length - 1 - (v.flip % 16)]! ^= 0x80;
        await expectRejected(context, rule, "primitive.aes256gcm_open", { key: hex(v.aesKey), nonce: hex(v.nonce), sealed: hex(forged), aad: hex(v.aad) }, [ErrorCode.DECRYPT_FAILED], "AES-256-GCM open with a flipped tag bit");
        const scrypt = await expectCompleted(context, rule, "primitive.scrypt", { password: hex(v.key), salt: hex(v.salt), logN: 4, r: 8, p: 1, length: 32 }, "scrypt N=16");
        expectOutput(rule, scrypt, "key", hex(new Uint8Array(scryptSync(v.key, v.salt, 32, { N: 16, r: 8, p: 1 }))), "scrypt (RFC 7914)");
        // ML-KEM-768: exact values are checked against Wycheproof; here the
        // three operations must be deterministic and agree with each other.
        const keys = await expectCompleted(context, rule, "primitive.mlkem768_keygen", { seed: hex(v.kemSeed) }, "ML-KEM-768 keygen");
        const ek = unhex(keys.encapsulationKey), dk = unhex(keys.decapsulationKey);
        if (ek.length !== 1184 || dk.length !== 2400) throw new RuleViolation(rule, `ML-KEM-768 keygen returned keys of ${ek.length} and ${dk.length} bytes, expected 1184 and 2400`);
        const again = await expectCompleted(context, rule, "primitive.mlkem768_keygen", { seed: hex(v.kemSeed) }, "ML-KEM-768 keygen again");
        expectOutput(rule, again, "encapsulationKey", keys.encapsulationKey, "ML-KEM-768 keygen is a function of the seed");
        const enc = await expectCompleted(context, rule, "primitive.mlkem768_encaps", { encapsulationKey: hex(ek), randomness: hex(v.kemRandom) }, "ML-KEM-768 encaps");
        if (unhex(enc.ciphertext).length !== 1088 || unhex(enc.sharedSecret).length !== 32) throw new RuleViolation(rule, "ML-KEM-768 ciphertext must be 1088 bytes and the secret 32");
        const dec = await expectCompleted(context, rule, "primitive.mlkem768_decaps", { decapsulationKey: hex(dk), ciphertext: enc.ciphertext as string }, "ML-KEM-768 decaps");
        expectOutput(rule, dec, "sharedSecret", enc.sharedSecret, "ML-KEM-768 decaps recovers the encapsulated secret");
      },
    ),
});

// ---------------------------------------------------------------- ENC-KEY-001

/** A valid ML-KEM-768 encapsulation key with one coefficient raised to >= q (FIPS 203 modulus check). */
function nonCanonical(ek: Uint8Array, index: number, value: number): Uint8Array {
  const out = new Uint8Array(ek);
  // Coefficient pairs are packed in 3 bytes: c0 = b0 | (b1 & 0x0f) << 8, c1 = b1 >> 4 | b2 << 4.
  const pair = 3 * (index >> 1);
  if (index % 2 === 0) {
    out[pair] = value & 0xff;
    out[pair + 1] = (out[pair + 1]! & 0xf0) | (value >> 8);
  } else {
    out[pair + 1] = (out[pair + 1]! & 0x0f) | ((value & 0x0f) << 4);
    out[pair + 2] = value >> 4;
  }
  return out;
}

const wrongLength = (valid: number) => fc.integer({ min: 0, max: valid + 40 }).filter((n) => n !== valid);

defineProperty({
  id: "crypto.key.lengths-and-tags",
  rules: ["ENC-KEY-001"],
  mode: "crypto",
  profile: "core",
  numRuns: 12,
  description:
    "An X25519 key of the wrong length, an ML-KEM-768 encapsulation key of the wrong length or failing the FIPS 203 modulus check are KEY_INVALID; a linking signature over the untagged identity key is refused, over the tagged one accepted.",
  run: (context) =>
    fc.asyncProperty(seed32, seed32, wrongLength(32), wrongLength(1184), bytes(64), fc.integer({ min: 3329, max: 4095 }), fc.nat(255), seed32, bytes(16), async (a, b, badX, badKem, kemSeed, coefficient, index, edSeed, nonce) => {
      const rule = "ENC-KEY-001";
      const pub = x25519Public(b);
      const resized = new Uint8Array(badX);
      resized.set(pub.subarray(0, Math.min(32, badX)));
      await expectRejected(context, rule, "primitive.x25519", { privateKey: hex(a), publicKey: hex(resized) }, [ErrorCode.KEY_INVALID], `X25519 with a ${badX}-byte public key`);
      await expectRejected(context, rule, "primitive.x25519", { privateKey: hex(resized), publicKey: hex(pub) }, [ErrorCode.KEY_INVALID], `X25519 with a ${badX}-byte private key`);
      const keys = await expectCompleted(context, rule, "primitive.mlkem768_keygen", { seed: hex(kemSeed) }, "ML-KEM-768 keygen");
      const ek = unhex(keys.encapsulationKey);
      const ekResized = new Uint8Array(badKem);
      ekResized.set(ek.subarray(0, Math.min(1184, badKem)));
      await expectRejected(context, rule, "primitive.mlkem768_encaps", { encapsulationKey: hex(ekResized), randomness: hex(a) }, [ErrorCode.KEY_INVALID], `ML-KEM-768 encapsulation to a ${badKem}-byte key`);
      await expectRejected(context, rule, "primitive.mlkem768_encaps", { encapsulationKey: hex(nonCanonical(ek, index, coefficient)), randomness: hex(a) }, [ErrorCode.KEY_INVALID], `ML-KEM-768 encapsulation to a key whose coefficient ${index} is ${coefficient} >= q`);
      await expectCompleted(context, rule, "primitive.mlkem768_encaps", { encapsulationKey: hex(ek), randomness: hex(a) }, "ML-KEM-768 encapsulation to the canonical key");
      // Type tags inside signatures: the linking signature covers 0x02 || identity key.
      const signer = ed25519FromSeed(edSeed);
      const fields = { deviceSigningKey: hex(signer.publicKey), deviceIdentityKey: hex(pub), nonce: hex(nonce) };
      const untagged = ed25519Sign(signer, concat(utf8("kabar-v1 linking"), nonce, pub));
      await expectRejected(context, rule, "identity.verify_linking_payload", { ...fields, signature: hex(untagged) }, [ErrorCode.SIGNATURE_INVALID], "linking payload signed over the identity key without its 0x02 tag");
      const wrongTag = ed25519Sign(signer, concat(utf8("kabar-v1 linking"), nonce, Uint8Array.of(0x01), pub));
      await expectRejected(context, rule, "identity.verify_linking_payload", { ...fields, signature: hex(wrongTag) }, [ErrorCode.SIGNATURE_INVALID], "linking payload signed over the identity key with the Ed25519 tag 0x01");
      const tagged = ed25519Sign(signer, concat(utf8("kabar-v1 linking"), nonce, Uint8Array.of(0x02), pub));
      await expectCompleted(context, rule, "identity.verify_linking_payload", { ...fields, signature: hex(tagged) }, "linking payload signed over 0x02 || identity key");
    }),
});

// ---------------------------------------------------------------- ENC-KEY-003

const POSITIONS = ["responderIdentity", "responderSignedPreKey", "responderOneTimePreKey", "initiatorIdentity", "initiatorEphemeral"] as const;

/** Key-agreement inputs with every X25519 position given by its private key. */
function agreementInputs(keys: readonly Uint8Array[], kemSeed: Uint8Array): Record<string, string | number> {
  return {
    initiatorAccountId: hex(sha256(keys[0]!)), initiatorDeviceId: 1, initiatorIdentityPrivate: hex(keys[0]!), initiatorEphemeralPrivate: hex(keys[1]!),
    responderAccountId: hex(sha256(keys[2]!)), responderDeviceId: 2, responderIdentityPrivate: hex(keys[2]!),
    responderSignedPreKeyPrivate: hex(keys[3]!), responderOneTimePreKeyPrivate: hex(keys[4]!),
    responderKemSeed: hex(kemSeed), kemEncapsulationRandom: hex(keys[5]!),
  };
}

defineProperty({
  id: "crypto.key.low-order-rejected",
  rules: ["ENC-KEY-003"],
  mode: "crypto",
  profile: "core",
  numRuns: 10,
  description:
    "X25519 with any low-order public key (all-zero result) is KEY_INVALID, as a bare primitive, in the identity, signed-prekey, one-time-prekey and base-key positions of the session key agreement, and as the new ratchet key of a session's ratchet message; the same agreement with ordinary keys completes.",
  run: (context) =>
    fc.asyncProperty(fc.array(seed32, { minLength: 6, maxLength: 6 }), bytes(64), fc.constantFrom(...LOW_ORDER_POINTS), fc.constantFrom(...POSITIONS), async (keys, kemSeed, point, slot) => {
      const rule = "ENC-KEY-003";
      await expectRejected(context, rule, "primitive.x25519", { privateKey: hex(keys[0]!), publicKey: point }, [ErrorCode.KEY_INVALID], `X25519 with the low-order public key ${point}`);
      const inputs = agreementInputs(keys, kemSeed);
      await expectCompleted(context, rule, "vector.key_agreement", inputs, "key agreement with ordinary keys");
      // The low-order point replaces one position: the side holding the
      // other private keys must refuse it.
      const attacked: Record<string, string | number> = { ...inputs, [`${slot}Public`]: point };
      delete attacked[`${slot}Private`];
      await expectRejected(context, rule, "vector.key_agreement", attacked, [ErrorCode.KEY_INVALID], `key agreement with the low-order point ${point} as ${slot}`);
      // The ratchet-key position: a ratchet message of an established session under a new, low-order ratchet key.
      const ratchet = RatchetMessage.encode(RatchetMessage.fromPartial({ version: 1, ratchetKey: unhex(point), counter: keys[0]![0]! % 8, previousCounter: 0, ciphertext: keys[1]! })).finish();
      await expectRejected(context, rule, "version.open", { messageType: "RatchetMessage", message: hex(ratchet) }, [ErrorCode.KEY_INVALID], `ratchet message whose new ratchet key is the low-order point ${point}`);
    }),
});

// ---------------------------------------------------------------- ENC-ID-001/002

interface AccountFixture { account: Ed25519Key; accountId: Uint8Array; spec: { accountId: Uint8Array; accountIdentityKey: Uint8Array; deviceId: number; deviceSigningKey: Uint8Array; deviceIdentityKey: Uint8Array; issuedAtMs: bigint } }
const accountFixture = fc.record({ seed: seed32, deviceId: fc.integer({ min: 1, max: 0x7fffffff }), signing: seed32, identity: seed32, issuedAt: fc.bigInt({ min: 0n, max: 2n ** 48n }) }).map(({ seed, deviceId, signing, identity, issuedAt }): AccountFixture => {
  const account = ed25519FromSeed(seed);
  const accountId = sha256(account.publicKey);
  return { account, accountId, spec: { accountId, accountIdentityKey: account.publicKey, deviceId, deviceSigningKey: ed25519FromSeed(signing).publicKey, deviceIdentityKey: x25519Public(identity), issuedAtMs: issuedAt } };
});

defineProperty({
  id: "crypto.identity.account-id",
  rules: ["ENC-ID-001"],
  mode: "crypto",
  profile: "core",
  numRuns: 20,
  description:
    "account_id is SHA-256 of the raw identity key; a correctly signed certificate or device list naming another account id is CERTIFICATE_INVALID.",
  run: (context) =>
    fc.asyncProperty(accountFixture, seed32, fc.boolean(), async (f, otherId, tagged) => {
      const rule = "ENC-ID-001";
      const out = await expectCompleted(context, rule, "identity.account_id", { identityKey: hex(f.account.publicKey) }, "account id of an identity key");
      expectOutput(rule, out, "accountId", hex(f.accountId), "account_id = SHA-256(identity key)");
      const good = signedCertificate(f.account, certificateBody(f.spec));
      const verified = await expectCompleted(context, rule, "identity.verify_certificate", { certificate: hex(certificateBytes(good)), trustedIdentityKey: hex(f.account.publicKey) }, "certificate with the right account id");
      expectOutput(rule, verified, "accountId", hex(f.accountId), "verified certificate's account id");
      // Another account id: random bytes, or the tagged-key digest (a tag where the rule says none).
      const wrong = tagged ? sha256(concat(Uint8Array.of(0x01), f.account.publicKey)) : otherId;
      const bad = signedCertificate(f.account, certificateBody({ ...f.spec, accountId: wrong }));
      await expectRejected(context, rule, "identity.verify_certificate", { certificate: hex(certificateBytes(bad)), trustedIdentityKey: hex(f.account.publicKey) }, [ErrorCode.CERTIFICATE_INVALID], "certificate whose account_id is not SHA-256 of the identity key");
      const list = signedDeviceList(f.account, deviceListBody(wrong, 1n, [good]));
      await expectRejected(context, rule, "identity.verify_device_list", { list: hex(list), trustedIdentityKey: hex(f.account.publicKey) }, [ErrorCode.CERTIFICATE_INVALID], "device list whose account_id is not SHA-256 of the identity key");
    }),
});

const CERTIFICATE_FAULTS = ["none", "otherTrustedKey", "signatureBitFlipped", "bodyChangedAfterSigning", "otherContext", "deviceIdOutOfRange", "signingKeyLength", "identityKeyLength", "undecodableBody", "bodyOver512"] as const;

defineProperty({
  id: "crypto.identity.certificate",
  rules: ["ENC-ID-002"],
  mode: "crypto",
  profile: "core",
  numRuns: 40,
  description:
    "A device certificate signed by the trusted identity key over \"kabar-v1 device-certificate\" || body verifies and yields its fields; another identity key is UNTRUSTED_IDENTITY, a bad signature SIGNATURE_INVALID, a device id outside 1..2^31-1, a device key of the wrong length, an undecodable or over-512-byte body CERTIFICATE_INVALID.",
  run: (context) =>
    fc.asyncProperty(
      accountFixture, fc.constantFrom(...CERTIFICATE_FAULTS), seed32, fc.nat(), fc.oneof(fc.constant(0), fc.integer({ min: 0x80000000, max: 0xffffffff })), wrongLength(32).filter((n) => n > 0),
      async (f, fault, otherSeed, flip, badId, badLength) => {
        const rule = "ENC-ID-002";
        const trusted = fault === "otherTrustedKey" ? ed25519FromSeed(otherSeed).publicKey : f.account.publicKey;
        if (fault === "otherTrustedKey" && hex(trusted) === hex(f.account.publicKey)) return;
        let body = certificateBody(f.spec);
        let certificate: DeviceCertificate;
        let expect: ErrorCode | undefined;
        const resized = (key: Uint8Array) => { const out = new Uint8Array(badLength); out.set(key.subarray(0, Math.min(32, badLength))); return out; };
        switch (fault) {
          case "none": case "otherTrustedKey":
            certificate = signedCertificate(f.account, body);
            expect = fault === "none" ? undefined : ErrorCode.UNTRUSTED_IDENTITY;
            break;
          case "signatureBitFlipped": {
            certificate = signedCertificate(f.account, body);
            const signature = new Uint8Array(certificate.signature);
            signature[flip % 64]! ^= 1 << (flip % 8);
            certificate = { ...certificate, signature };
            expect = ErrorCode.SIGNATURE_INVALID;
            break;
          }
          case "bodyChangedAfterSigning": {
            certificate = signedCertificate(f.account, body);
            // Flip a bit of the device identity key: the body still decodes.
            const changed = certificateBody({ ...f.spec, deviceIdentityKey: f.spec.deviceIdentityKey.map((b, i) => (i === flip % 32 ? b ^ 1 : b)) });
            certificate = { ...certificate, body: changed };
            expect = ErrorCode.SIGNATURE_INVALID;
            break;
          }
          case "otherContext":
            certificate = signedCertificate(f.account, body, "kabar-v1 device-list");
            expect = ErrorCode.SIGNATURE_INVALID;
            break;
          case "deviceIdOutOfRange":
            body = certificateBody({ ...f.spec, deviceId: badId });
            certificate = signedCertificate(f.account, body);
            expect = ErrorCode.CERTIFICATE_INVALID;
            break;
          case "signingKeyLength":
            certificate = signedCertificate(f.account, certificateBody({ ...f.spec, deviceSigningKey: resized(f.spec.deviceSigningKey) }));
            expect = ErrorCode.CERTIFICATE_INVALID;
            break;
          case "identityKeyLength":
            certificate = signedCertificate(f.account, certificateBody({ ...f.spec, deviceIdentityKey: resized(f.spec.deviceIdentityKey) }));
            expect = ErrorCode.CERTIFICATE_INVALID;
            break;
          case "undecodableBody":
            // The body cut inside a length-delimited field, signed as it is.
            certificate = signedCertificate(f.account, body.subarray(0, 2 + 32 + 2 + 10));
            expect = ErrorCode.CERTIFICATE_INVALID;
            break;
          case "bodyOver512":
            certificate = signedCertificate(f.account, certificateBody({ ...f.spec, deviceSigningKey: new Uint8Array(520).fill(flip & 0xff) }));
            expect = ErrorCode.CERTIFICATE_INVALID;
            break;
        }
        const inputs = { certificate: hex(certificateBytes(certificate)), trustedIdentityKey: hex(trusted) };
        if (expect !== undefined) {
          await expectRejected(context, rule, "identity.verify_certificate", inputs, [expect], `certificate with fault ${fault}`);
          return;
        }
        const out = await expectCompleted(context, rule, "identity.verify_certificate", inputs, "a valid certificate");
        expectOutput(rule, out, "deviceId", f.spec.deviceId, "verified device id");
        expectOutput(rule, out, "signingKey", hex(f.spec.deviceSigningKey), "verified device signing key");
        expectOutput(rule, out, "identityKey", hex(f.spec.deviceIdentityKey), "verified device identity key");
      },
    ),
});

// ---------------------------------------------------------------- ENC-ID-003

const LIST_FAULTS = ["none", "signatureBitFlipped", "otherContext", "over16Devices", "idsDescending", "idRepeated", "certificateBadSignature", "certificateOtherAccount", "bodyOver16KiB", "deviceNotListed", "listedDeviceOtherKey"] as const;

/** `count` certificates of one account with increasing device ids from `firstId`. */
function certificates(f: AccountFixture, count: number, firstId: number, step: number): DeviceCertificate[] {
  return Array.from({ length: count }, (_, i) => signedCertificate(f.account, certificateBody({ ...f.spec, deviceId: firstId + i * step, deviceIdentityKey: sha256(concat(f.spec.deviceIdentityKey, u32be(i))) })));
}

defineProperty({
  id: "crypto.identity.device-list",
  rules: ["ENC-ID-003"],
  mode: "crypto",
  profile: "core",
  numRuns: 30,
  description:
    "A device list signed over \"kabar-v1 device-list\" || body verifies; a bad signature is SIGNATURE_INVALID, more than 16 devices or a body over 16 KiB (even unsigned) DEVICE_LIMIT, device ids not strictly increasing or a certificate failing ENC-ID-002 CERTIFICATE_INVALID, and a device absent from the list (or listed with another key) DEVICE_UNTRUSTED.",
  run: (context) =>
    fc.asyncProperty(accountFixture, fc.constantFrom(...LIST_FAULTS), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1000 }), fc.nat(), seed32, async (f, fault, count, firstId, flip, otherSeed) => {
      const rule = "ENC-ID-003";
      const trusted = hex(f.account.publicKey);
      const n = fault === "idsDescending" || fault === "idRepeated" ? Math.max(2, count) : count;
      let devices = certificates(f, fault === "over16Devices" ? 17 + (flip % 3) : n, firstId, 1 + (flip % 5));
      if (fault === "idsDescending") devices = [...devices].reverse();
      if (fault === "idRepeated") devices = [devices[0]!, ...devices.slice(0, -1)].map((c, i) => (i === 1 ? devices[0]! : c));
      if (fault === "certificateBadSignature") devices = devices.map((c, i) => (i === flip % devices.length ? { ...c, signature: c.signature.map((b, j) => (j === 0 ? b ^ 1 : b)) } : c));
      if (fault === "certificateOtherAccount") {
        const other = ed25519FromSeed(otherSeed);
        if (hex(other.publicKey) === trusted) return;
        const i = flip % devices.length;
        devices[i] = signedCertificate(other, certificateBody({ ...f.spec, accountId: sha256(other.publicKey), accountIdentityKey: other.publicKey, deviceId: firstId + i * (1 + (flip % 5)) }));
      }
      let list: Uint8Array;
      const body = deviceListBody(f.accountId, 1n, devices);
      if (fault === "signatureBitFlipped") {
        list = signedDeviceList(f.account, body);
        list[list.length - 1 - (flip % 64)]! ^= 1 << (flip % 8);
      } else if (fault === "otherContext") {
        list = signedDeviceList(f.account, body, "kabar-v1 device-certificate");
      } else if (fault === "bodyOver16KiB") {
        // A body over 16 KiB (one oversized entry) with a garbage signature: the size is checked first.
        const big = deviceListBody(f.accountId, 1n, [...devices, { body: new Uint8Array(16 * 1024).fill(0x41), signature: new Uint8Array(64) }]);
        list = signedDeviceList(f.account, big);
        list[list.length - 1]! ^= 1;
      } else {
        list = signedDeviceList(f.account, body);
      }
      const inputs: CryptoCaseFields = { list: hex(list), trustedIdentityKey: trusted };
      const expected: Partial<Record<(typeof LIST_FAULTS)[number], ErrorCode>> = {
        signatureBitFlipped: ErrorCode.SIGNATURE_INVALID, otherContext: ErrorCode.SIGNATURE_INVALID, over16Devices: ErrorCode.DEVICE_LIMIT,
        idsDescending: ErrorCode.CERTIFICATE_INVALID, idRepeated: ErrorCode.CERTIFICATE_INVALID, certificateBadSignature: ErrorCode.CERTIFICATE_INVALID,
        certificateOtherAccount: ErrorCode.CERTIFICATE_INVALID, bodyOver16KiB: ErrorCode.DEVICE_LIMIT,
      };
      const code = expected[fault];
      if (code !== undefined) {
        await expectRejected(context, rule, "identity.verify_device_list", inputs, [code], `device list of ${devices.length} devices with fault ${fault}`);
        return;
      }
      // The same list with one signature bit flipped must fail.
      const forged = new Uint8Array(list);
      forged[forged.length - 1 - (flip % 64)]! ^= 1 << (flip % 8);
      await expectRejected(context, rule, "identity.verify_device_list", { ...inputs, list: hex(forged) }, [ErrorCode.SIGNATURE_INVALID], "valid device list with one signature bit flipped");
      const step = 1 + (flip % 5);
      const ids = devices.map((_, i) => firstId + i * step);
      const out = await expectCompleted(context, rule, "identity.verify_device_list", inputs, `valid device list of ${devices.length} devices`);
      expectOutput(rule, out, "version", "1", "verified list version");
      const listed = Array.isArray(out.devices) ? (out.devices as readonly { deviceId?: unknown }[]).map((d) => d.deviceId) : [];
      if (JSON.stringify(listed) !== JSON.stringify(ids)) throw new RuleViolation(rule, `verified list names devices ${JSON.stringify(listed)}, expected ${JSON.stringify(ids)}`);
      const pick = flip % devices.length;
      const pickedKey = hex(sha256(concat(f.spec.deviceIdentityKey, u32be(pick))));
      if (fault === "deviceNotListed") {
        await expectRejected(context, rule, "identity.verify_device_list", { ...inputs, deviceId: ids[ids.length - 1]! + 1, deviceIdentityKey: pickedKey }, [ErrorCode.DEVICE_UNTRUSTED], "a device id absent from the verified list");
      } else if (fault === "listedDeviceOtherKey") {
        await expectRejected(context, rule, "identity.verify_device_list", { ...inputs, deviceId: ids[pick]!, deviceIdentityKey: hex(sha256(unhex(pickedKey))) }, [ErrorCode.DEVICE_UNTRUSTED], "a listed device id with another identity key");
      } else {
        await expectCompleted(context, rule, "identity.verify_device_list", { ...inputs, deviceId: ids[pick]!, deviceIdentityKey: pickedKey }, "a listed device with its identity key");
      }
    }),
});

// ---------------------------------------------------------------- ENC-ID-004

defineProperty({
  id: "crypto.identity.device-list-versions",
  rules: ["ENC-ID-004"],
  mode: "crypto",
  profile: "core",
  numRuns: 30,
  description:
    "Across a sequence of validly signed device lists, a receiver accepts a list unless its version is 0, lower than the highest accepted, or equal to it with different body bytes (DEVICE_LIST_STALE); a repeat of the accepted list is accepted.",
  run: (context) =>
    fc.asyncProperty(accountFixture, fc.array(fc.record({ version: fc.integer({ min: 0, max: 4 }), variant: fc.integer({ min: 0, max: 1 }) }), { minLength: 1, maxLength: 8 }), async (f, sequence) => {
      const rule = "ENC-ID-004";
      const device = signedCertificate(f.account, certificateBody(f.spec));
      const lists = sequence.map(({ version, variant }) => signedDeviceList(f.account, deviceListBody(f.accountId, BigInt(version), [device], BigInt(variant))));
      // The model: highest accepted version and its body.
      let seen: { version: number; variant: number } | undefined;
      const expected = sequence.map(({ version, variant }) => {
        if (version === 0 || (seen !== undefined && (version < seen.version || (version === seen.version && variant !== seen.variant)))) return "rejected:DEVICE_LIST_STALE";
        seen = { version, variant };
        return "accepted";
      });
      const out = await expectCompleted(context, rule, "identity.device_list_sequence", { trustedIdentityKey: hex(f.account.publicKey), lists: lists.map(hex) }, `sequence of lists ${JSON.stringify(sequence)}`);
      expectOutput(rule, out, "verdicts", expected, `verdicts for (version, body variant) ${JSON.stringify(sequence.map((s) => [s.version, s.variant]))}`);
    }),
});

// ---------------------------------------------------------------- ENC-ID-005

defineProperty({
  id: "crypto.identity.safety-number",
  rules: ["ENC-ID-005"],
  mode: "crypto",
  profile: "core",
  numRuns: 4,
  description: "The safety number of two identity keys is both 30-digit fingerprints (5,200 chained SHA-512 over the tagged key), the smaller first.",
  run: (context) =>
    fc.asyncProperty(seed32, seed32, async (a, b) => {
      const rule = "ENC-ID-005";
      const keyA = ed25519FromSeed(a).publicKey, keyB = ed25519FromSeed(b).publicKey;
      const fa = fingerprint(keyA), fb = fingerprint(keyB);
      const out = await expectCompleted(context, rule, "identity.safety_number", { identityKeyA: hex(keyA), identityKeyB: hex(keyB) }, "safety number of two identity keys");
      expectOutput(rule, out, "safetyNumber", fa < fb ? fa + fb : fb + fa, "60-digit safety number");
    }),
});

// ---------------------------------------------------------------- ENC-ID-006

const LINKING_FAULTS = ["none", "signingKeyLength", "identityKeyLength", "nonceLength", "signatureBitFlipped", "otherNonce", "otherSigner", "otherContext"] as const;

defineProperty({
  id: "crypto.identity.linking",
  rules: ["ENC-ID-006"],
  mode: "crypto",
  profile: "core",
  numRuns: 30,
  description:
    "A linking payload whose signing key signed \"kabar-v1 linking\" || nonce || 0x02 || identity key is accepted; a signing or identity key other than 32 bytes or a nonce other than 16 is KEY_INVALID, any other signature SIGNATURE_INVALID.",
  run: (context) =>
    fc.asyncProperty(seed32, seed32, bytes(16), fc.constantFrom(...LINKING_FAULTS), fc.constantFrom(0, 15, 17, 31, 33, 64), fc.nat(), seed32, async (signingSeed, identityPrivate, nonce, fault, badLength, flip, otherSeed) => {
      const rule = "ENC-ID-006";
      const signer = ed25519FromSeed(signingSeed);
      let signingKey = signer.publicKey, identityKey = x25519Public(identityPrivate), sentNonce = nonce;
      const resize = (key: Uint8Array, not: number) => { const n = badLength === not ? not + 1 : badLength; const out = new Uint8Array(n); out.set(key.subarray(0, Math.min(key.length, n))); return out; };
      if (fault === "signingKeyLength") signingKey = resize(signingKey, 32);
      if (fault === "identityKeyLength") identityKey = resize(identityKey, 32);
      if (fault === "nonceLength") sentNonce = resize(nonce, 16);
      const by = fault === "otherSigner" ? ed25519FromSeed(otherSeed) : signer;
      if (fault === "otherSigner" && hex(by.publicKey) === hex(signer.publicKey)) return;
      const signedNonce = fault === "otherNonce" ? nonce.map((b, i) => (i === flip % 16 ? b ^ 1 : b)) : sentNonce;
      let signature = ed25519Sign(by, concat(utf8(fault === "otherContext" ? "kabar-v1 linkinG" : "kabar-v1 linking"), signedNonce, Uint8Array.of(0x02), identityKey));
      if (fault === "signatureBitFlipped") signature = signature.map((b, i) => (i === flip % 64 ? b ^ (1 << (flip % 8)) : b));
      const payload = LinkingPayload.fromPartial({ deviceSigningKey: signingKey, deviceIdentityKey: identityKey, nonce: sentNonce, signature });
      const inputs = { deviceSigningKey: hex(payload.deviceSigningKey), deviceIdentityKey: hex(payload.deviceIdentityKey), nonce: hex(payload.nonce), signature: hex(payload.signature) };
      if (fault === "none") {
        await expectCompleted(context, rule, "identity.verify_linking_payload", inputs, "a valid linking payload");
      } else if (fault === "signingKeyLength" || fault === "identityKeyLength" || fault === "nonceLength") {
        await expectRejected(context, rule, "identity.verify_linking_payload", inputs, [ErrorCode.KEY_INVALID], `linking payload with fault ${fault} (${badLength} bytes)`);
      } else {
        await expectRejected(context, rule, "identity.verify_linking_payload", inputs, [ErrorCode.SIGNATURE_INVALID], `linking payload with fault ${fault}`);
      }
    }),
});

// ---------------------------------------------------------------- ENC-VERSION-001

const MESSAGE_TYPES = ["PreKeyMessage", "RatchetMessage", "SenderKeyMessage", "SenderKeyDistribution", "Attachment"] as const;

/** A message of `type` with `version` and fields from `r` (no key of it matches the receiver). */
function versionedMessage(type: (typeof MESSAGE_TYPES)[number], version: number, r: { a: Uint8Array; b: Uint8Array; kem: Uint8Array; body: Uint8Array; n: number }): Uint8Array {
  const ratchet = { version: 1, ratchetKey: r.a, counter: r.n % 50, previousCounter: 0, ciphertext: r.body };
  switch (type) {
    case "PreKeyMessage":
      return PreKeyMessage.encode(PreKeyMessage.fromPartial({
        version, senderAccountId: r.b, senderDeviceId: 1 + (r.n % 1000), senderIdentityKey: r.a, signedPrekeyId: r.n, kemPrekeyId: r.n + 1,
        baseKey: r.b, kemCiphertext: r.kem, message: ratchet,
      })).finish();
    case "RatchetMessage":
      return RatchetMessage.encode(RatchetMessage.fromPartial({ ...ratchet, version })).finish();
    case "SenderKeyMessage":
      return SenderKeyMessage.encode(SenderKeyMessage.fromPartial({ version, distributionId: r.b.subarray(0, 16), iteration: r.n % 50, ciphertext: r.body, signature: concat(r.a, r.b) })).finish();
    case "SenderKeyDistribution":
      return SenderKeyDistribution.encode(SenderKeyDistribution.fromPartial({ version, conversationId: r.a.subarray(0, 16), distributionId: r.b.subarray(0, 16), iteration: r.n % 50, chainKey: r.a, signingKey: r.b })).finish();
    case "Attachment":
      return concat(u32be(version), r.b.subarray(0, 16), r.body);
  }
}

defineProperty({
  id: "crypto.version.gate",
  rules: ["ENC-VERSION-001"],
  mode: "crypto",
  profile: "core",
  numRuns: 30,
  description:
    "A PreKeyMessage, RatchetMessage, SenderKeyMessage, SenderKeyDistribution or attachment header with a version other than 1 is CIPHERTEXT_VERSION_UNSUPPORTED although its keys match nothing (so before any key is derived); the same message with version 1 is not.",
  run: (context) =>
    fc.asyncProperty(
      fc.constantFrom(...MESSAGE_TYPES),
      fc.oneof(fc.constant(0), fc.constant(2), fc.integer({ min: 2, max: 0xffffffff })),
      fc.record({ a: seed32, b: seed32, kem: bytes(1088), body: fc.uint8Array({ minLength: 16, maxLength: 64 }), n: fc.nat(1_000_000) }),
      async (type, version, r) => {
        const rule = "ENC-VERSION-001";
        await expectRejected(context, rule, "version.open", { messageType: type, message: hex(versionedMessage(type, version, r)) }, [ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED], `${type} with version ${version}`);
        const current = await runCase(context, "version.open", { messageType: type, message: hex(versionedMessage(type, 1, r)) });
        if (current.kind === "rejected" ? current.code === ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED : current.kind !== "completed") {
          throw new RuleViolation(rule, `${type} with version 1: ${describeCaseOutcome(current)}; version 1 must pass the version check`);
        }
      },
    ),
});

// ---------------------------------------------------------------- ENC-STATE-003

/** Every rendering of `secret` an error message must not contain: hex (either case) and base64/base64url of every 12-byte window. */
function leakForms(secret: Uint8Array): string[] {
  const forms: string[] = [];
  for (let i = 0; i + 12 <= secret.length; i += secret.length > 64 ? 12 : 1) {
    const window = Buffer.from(secret.subarray(i, i + 12));
    forms.push(window.toString("hex"), window.toString("hex").toUpperCase());
    if (i % 3 === 0) forms.push(window.toString("base64"), window.toString("base64url"));
  }
  return forms;
}

defineProperty({
  id: "crypto.state.errors-carry-no-secrets",
  rules: ["ENC-STATE-003"],
  mode: "crypto",
  profile: "core",
  numRuns: 10,
  description:
    "The rejection messages of failing primitives, certificates, device lists, linking payloads and ciphertexts contain no key, secret, plaintext or input bytes (as hex or base64).",
  run: (context) =>
    fc.asyncProperty(accountFixture, seed32, bytes(12), fc.uint8Array({ minLength: 16, maxLength: 48 }), fc.constantFrom(...LOW_ORDER_POINTS), bytes(64), async (f, key, nonce, data, point, kemSeed) => {
      const rule = "ENC-STATE-003";
      const certificate = signedCertificate(f.account, certificateBody(f.spec));
      const badCertificate = certificateBytes({ ...certificate, signature: certificate.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) });
      const cases: [string, CryptoCaseFields, ErrorCode, string][] = [
        ["primitive.aes256gcm_open", { key: hex(key), nonce: hex(nonce), sealed: hex(data), aad: hex(f.accountId) }, ErrorCode.DECRYPT_FAILED, "AES-GCM open of garbage"],
        ["primitive.x25519", { privateKey: hex(key), publicKey: point }, ErrorCode.KEY_INVALID, "X25519 with a low-order point"],
        ["primitive.x25519", { privateKey: hex(key), publicKey: hex(data.subarray(0, 31)) }, ErrorCode.KEY_INVALID, "X25519 with a 31-byte key"],
        ["primitive.mlkem768_decaps", { decapsulationKey: hex(concat(kemSeed, kemSeed)), ciphertext: hex(data) }, ErrorCode.KEY_INVALID, "ML-KEM decaps of a short ciphertext"],
        ["identity.verify_certificate", { certificate: hex(badCertificate), trustedIdentityKey: hex(f.account.publicKey) }, ErrorCode.SIGNATURE_INVALID, "certificate with a bad signature"],
        ["identity.verify_device_list", { list: hex(signedDeviceList(f.account, deviceListBody(f.accountId, 0n, [certificate]))), trustedIdentityKey: hex(f.account.publicKey) }, ErrorCode.DEVICE_LIST_STALE, "device list version 0"],
        ["identity.verify_linking_payload", { deviceSigningKey: hex(f.spec.deviceSigningKey), deviceIdentityKey: hex(key), nonce: hex(data.subarray(0, 16)), signature: hex(kemSeed) }, ErrorCode.SIGNATURE_INVALID, "linking payload with a bad signature"],
        ["version.open", { messageType: "RatchetMessage", message: hex(RatchetMessage.encode(RatchetMessage.fromPartial({ version: 1, ratchetKey: key, counter: 0, ciphertext: data })).finish()) }, ErrorCode.DECRYPT_FAILED, "ratchet message under the wrong keys"],
      ];
      for (const [kind, inputs, code, what] of cases) {
        const outcome = await runCase(context, kind, inputs);
        // A different code is another rule's business; only the message is checked here.
        if (outcome.kind !== "rejected") {
          if (code === ErrorCode.DECRYPT_FAILED && kind === "version.open") continue;
          throw new RuleViolation(rule, `${what}: ${describeCaseOutcome(outcome)}; expected a rejection`);
        }
        const secrets = Object.values(inputs).filter((v): v is string => typeof v === "string" && /^[0-9a-f]*$/.test(v) && v.length >= 24).map(unhex);
        for (const secret of secrets) {
          const leaked = leakForms(secret).find((form) => outcome.message.includes(form));
          if (leaked !== undefined) throw new RuleViolation(rule, `${what}: the rejection message ${JSON.stringify(outcome.message.slice(0, 200))} contains input bytes (${leaked})`);
        }
      }
    }),
});

// ---------------------------------------------------------------- ENC-VECTOR-001

defineProperty({
  id: "crypto.vectors.test-rng",
  rules: ["ENC-VECTOR-001"],
  mode: "crypto",
  profile: "core",
  numRuns: 30,
  description: "The test-only random source yields block(i) = HMAC(seed, \"kabar-v1 test-rng\" || u64be(i)) consumed in order across reads of any lengths.",
  run: (context) =>
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 48 }), fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 6 }), async (seed, lengths) => {
      const rule = "ENC-VECTOR-001";
      const stream = testRngStream(seed, lengths.reduce((a, b) => a + b, 0));
      let offset = 0;
      const expected = lengths.map((n) => hex(stream.subarray(offset, (offset += n))));
      const out = await expectCompleted(context, rule, "test_rng", { seed: hex(seed), lengths }, "test RNG reads");
      expectOutput(rule, out, "outputs", expected, `test RNG reads of ${JSON.stringify(lengths)} bytes`);
    }),
});
