import { describe, expect, it } from "vitest";
import { ErrorCode, isKabarError } from "@kabar/protocol";
import { NodeCryptoProvider } from "../src/provider/node-provider.js";
import { hex, loadWycheproof, toHex, WYCHEPROOF_AVAILABLE } from "./wycheproof.js";

const provider = new NodeCryptoProvider();

function expectKabar(fn: () => unknown, code: ErrorCode): void {
  let thrown: unknown;
  try { fn(); } catch (error) { thrown = error; }
  expect(isKabarError(thrown, code), String(thrown)).toBe(true);
}

describe.skipIf(!WYCHEPROOF_AVAILABLE)("Wycheproof primitives (ENC-KEY-002)", () => {
  it("ENC-KEY-002: X25519: valid and acceptable match; zero shared secrets rejected with KEY_INVALID (ENC-KEY-003)", () => {
    const file = loadWycheproof("x25519_test.json");
    if (!file) return;
    let checked = 0;
    for (const group of file.testGroups) for (const t of group.tests) {
      const pair = provider.x25519KeyPairFromPrivate(hex(t.private));
      if ((t.flags ?? []).includes("ZeroSharedSecret")) {
        expectKabar(() => provider.x25519(pair, hex(t.public)), ErrorCode.KEY_INVALID);
      } else if (t.result === "invalid") {
        expect(() => provider.x25519(pair, hex(t.public))).toThrow();
      } else {
        expect(toHex(provider.x25519(pair, hex(t.public))), `tcId ${t.tcId}`).toBe(t.shared);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });

  it("ENC-KEY-002: Ed25519: valid signatures verify, invalid ones are rejected", () => {
    const file = loadWycheproof("ed25519_test.json");
    if (!file) return;
    for (const group of file.testGroups) {
      const pk = hex((group.publicKey as { pk: string }).pk);
      for (const t of group.tests) {
        expect(provider.ed25519Verify(pk, hex(t.msg), hex(t.sig)), `tcId ${t.tcId}`).toBe(t.result === "valid");
      }
    }
  });

  it("ENC-KEY-002: HKDF-SHA256 matches valid vectors and refuses oversize outputs", () => {
    const file = loadWycheproof("hkdf_sha256_test.json");
    if (!file) return;
    for (const group of file.testGroups) for (const t of group.tests) {
      const run = () => provider.hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), Number(t.size));
      if (t.result === "invalid") expectKabar(run, ErrorCode.KEY_INVALID);
      else expect(toHex(run()), `tcId ${t.tcId}`).toBe(t.okm);
    }
  });

  it("ENC-KEY-002: HMAC-SHA256 matches valid vectors; invalid (truncated/modified) tags do not match", () => {
    const file = loadWycheproof("hmac_sha256_test.json");
    if (!file) return;
    for (const group of file.testGroups) for (const t of group.tests) {
      const tagBytes = Number(group.tagSize) / 8;
      const mac = toHex(provider.hmacSha256(hex(t.key), hex(t.msg)).subarray(0, tagBytes));
      expect(mac === t.tag, `tcId ${t.tcId}`).toBe(t.result === "valid");
    }
  });

  it("ENC-KEY-002: AES-256-GCM (12-byte iv, 16-byte tag): seal matches, open accepts valid and rejects invalid with DECRYPT_FAILED", () => {
    const file = loadWycheproof("aes_gcm_test.json");
    if (!file) return;
    let checked = 0;
    for (const group of file.testGroups) {
      if (group.keySize !== 256 || group.ivSize !== 96 || group.tagSize !== 128) continue;
      for (const t of group.tests) {
        const key = hex(t.key), iv = hex(t.iv), aad = hex(t.aad);
        const sealed = new Uint8Array([...hex(t.ct), ...hex(t.tag)]);
        if (t.result === "valid") {
          expect(toHex(provider.aeadSeal(key, iv, hex(t.msg), aad)), `tcId ${t.tcId}`).toBe(`${t.ct}${t.tag}`);
          expect(toHex(provider.aeadOpen(key, iv, sealed, aad))).toBe(t.msg);
        } else {
          expectKabar(() => provider.aeadOpen(key, iv, sealed, aad), ErrorCode.DECRYPT_FAILED);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("ENC-KEY-001/002: ML-KEM-768 keygen+decapsulation: valid match, malformed seeds and ciphertexts rejected with KEY_INVALID", () => {
    const file = loadWycheproof("mlkem_768_test.json");
    if (!file) return;
    for (const group of file.testGroups) for (const t of group.tests) {
      const run = () => {
        const pair = provider.mlKemKeyPairFromSeed(hex(t.seed));
        if (t.ek !== undefined) expect(toHex(pair.publicKey)).toBe(t.ek);
        return provider.mlKemDecapsulate(hex(t.c), pair.secretKey);
      };
      if (t.result === "invalid") expectKabar(run, ErrorCode.KEY_INVALID);
      else expect(toHex(run()), `tcId ${t.tcId}`).toBe(t.K);
    }
  });

  it("ENC-KEY-001/002: ML-KEM-768 encapsulation: valid match with fixed m, non-canonical keys rejected with KEY_INVALID", () => {
    const file = loadWycheproof("mlkem_768_encaps_test.json");
    if (!file) return;
    for (const group of file.testGroups) for (const t of group.tests) {
      const seeded = new NodeCryptoProvider({ random: () => hex(t.m) });
      const run = () => seeded.mlKemEncapsulate(hex(t.ek));
      if (t.result === "invalid") expectKabar(run, ErrorCode.KEY_INVALID);
      else {
        const out = run();
        expect(toHex(out.cipherText), `tcId ${t.tcId}`).toBe(t.c);
        expect(toHex(out.sharedSecret)).toBe(t.K);
      }
    }
  });
});

describe("CSPRNG and key lengths", () => {
  it("ENC-KEY-001: keys of the wrong length are KEY_INVALID", () => {
    const pair = provider.x25519GenerateKeyPair();
    expectKabar(() => provider.x25519(pair, new Uint8Array(31)), ErrorCode.KEY_INVALID);
    expectKabar(() => provider.x25519KeyPairFromPrivate(new Uint8Array(33)), ErrorCode.KEY_INVALID);
    expectKabar(() => provider.mlKemEncapsulate(new Uint8Array(1183)), ErrorCode.KEY_INVALID);
    expectKabar(() => provider.mlKemKeyPairFromSeed(new Uint8Array(32)), ErrorCode.KEY_INVALID);
    expect(provider.ed25519Verify(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64))).toBe(false);
  });

  it("returns fresh bytes of the requested length", () => {
    const a = provider.randomBytes(32), b = provider.randomBytes(32);
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(b));
  });
});
