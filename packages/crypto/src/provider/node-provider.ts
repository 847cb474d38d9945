// The default provider over node:crypto (OpenSSL), plus @noble/post-quantum
// for ML-KEM-768 which Node 20 lacks. Raw keys are imported as JWK, not DER:
// DER/PKCS#8 import is several times slower, and KeyObjects for private keys are
// cached per key array so a long-lived ratchet or signing key is imported once.
import {
  createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey,
  diffieHellman, randomBytes as nodeRandomBytes, scryptSync, sign, verify, type KeyObject,
} from "node:crypto";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { ErrorCode, fail } from "../errors.js";
import type { CryptoProvider, IncrementalHash, KemEncapsulation, KemKeyPair, KeyPair, RandomSource, ScryptParams } from "./crypto-provider.js";
import { createBackgroundSha256 } from "./background-hash.js";

/** Options for {@link NodeCryptoProvider}. */
export interface NodeCryptoProviderOptions {
  /** Replaces the OS CSPRNG, for deterministic vectors and tests only. */
  readonly random?: RandomSource;
}

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64url");
const fromB64u = (text: string | undefined): Uint8Array => new Uint8Array(Buffer.from(text ?? "", "base64url"));
const view = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
const EMPTY = new Uint8Array(0);

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) fail(ErrorCode.KEY_INVALID, `${what} must be ${length} bytes`, "ENC-KEY-001");
}

/**
 * {@link CryptoProvider} backed by node:crypto and @noble/post-quantum.
 * AES-256-GCM is the AEAD (hardware AES-NI/VAES; see ENC-KEY-002).
 */
export class NodeCryptoProvider implements CryptoProvider {
  private readonly random: RandomSource;
  private readonly privateKeys = new WeakMap<Uint8Array, KeyObject>();

  constructor(options: NodeCryptoProviderOptions = {}) {
    this.random = options.random ?? ((length) => new Uint8Array(nodeRandomBytes(length)));
  }

  randomBytes(length: number): Uint8Array {
    return this.random(length);
  }

  private privateKeyObject(curve: "X25519" | "Ed25519", privateKey: Uint8Array, publicKey: Uint8Array | undefined): KeyObject {
    let key = this.privateKeys.get(privateKey);
    if (key === undefined) {
      checkLength(privateKey, 32, `${curve} private key`);
      // JWK requires "x"; OpenSSL recomputes the public key from "d" and ignores
      // it, so a placeholder is safe when the public key is not known yet.
      key = createPrivateKey({ key: { kty: "OKP", crv: curve, d: b64u(privateKey), x: b64u(publicKey ?? privateKey) }, format: "jwk" });
      this.privateKeys.set(privateKey, key);
    }
    return key;
  }

  private keyPairFrom(curve: "X25519" | "Ed25519", privateKey: Uint8Array): KeyPair {
    const owned = new Uint8Array(privateKey);
    const key = this.privateKeyObject(curve, owned, undefined);
    const publicKey = fromB64u(createPublicKey(key).export({ format: "jwk" }).x);
    return { privateKey: owned, publicKey };
  }

  x25519GenerateKeyPair(): KeyPair {
    return this.keyPairFrom("X25519", this.random(32));
  }

  x25519KeyPairFromPrivate(privateKey: Uint8Array): KeyPair {
    checkLength(privateKey, 32, "X25519 private key");
    return this.keyPairFrom("X25519", privateKey);
  }

  x25519(keyPair: KeyPair, publicKey: Uint8Array): Uint8Array {
    checkLength(publicKey, 32, "X25519 public key");
    const privateKey = this.privateKeyObject("X25519", keyPair.privateKey, keyPair.publicKey);
    let shared: Uint8Array;
    try {
      const peer = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: b64u(publicKey) }, format: "jwk" });
      shared = new Uint8Array(diffieHellman({ privateKey, publicKey: peer }));
    } catch {
      // OpenSSL refuses an all-zero result (low-order point): ENC-KEY-003.
      return fail(ErrorCode.KEY_INVALID, "X25519 public key is of low order", "ENC-KEY-003");
    }
    let acc = 0;
    for (const byte of shared) acc |= byte;
    if (acc === 0) fail(ErrorCode.KEY_INVALID, "X25519 public key is of low order", "ENC-KEY-003");
    return shared;
  }

  ed25519GenerateKeyPair(): KeyPair {
    return this.keyPairFrom("Ed25519", this.random(32));
  }

  ed25519KeyPairFromSeed(seed: Uint8Array): KeyPair {
    checkLength(seed, 32, "Ed25519 seed");
    return this.keyPairFrom("Ed25519", seed);
  }

  ed25519Sign(keyPair: KeyPair, message: Uint8Array): Uint8Array {
    const key = this.privateKeyObject("Ed25519", keyPair.privateKey, keyPair.publicKey);
    return new Uint8Array(sign(null, view(message), key));
  }

  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
    if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
    try {
      const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64u(publicKey) }, format: "jwk" });
      return verify(null, view(message), key, view(signature));
    } catch {
      return false;
    }
  }

  sha256(data: Uint8Array): Uint8Array {
    return new Uint8Array(createHash("sha256").update(data).digest());
  }

  sha256Incremental(): IncrementalHash {
    const hash = createHash("sha256");
    return {
      update(data: Uint8Array): undefined {
        hash.update(data);
        return undefined;
      },
      digest: async () => new Uint8Array(hash.digest()),
      abort: () => undefined,
    };
  }

  sha256Background(): IncrementalHash {
    return createBackgroundSha256();
  }

  sha512(data: Uint8Array): Uint8Array {
    return new Uint8Array(createHash("sha512").update(data).digest());
  }

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    return new Uint8Array(createHmac("sha256", key).update(data).digest());
  }

  // Built from HMAC rather than hkdfSync: the per-call overhead of hkdfSync
  // dominates for the 32-64 byte outputs the ratchet needs on every message.
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0 || length > 255 * 32) fail(ErrorCode.KEY_INVALID, "HKDF output length out of range");
    const prk = createHmac("sha256", salt.length === 0 ? new Uint8Array(32) : salt).update(ikm).digest();
    const out = new Uint8Array(length);
    let previous: Uint8Array = EMPTY;
    const counter = new Uint8Array(1);
    for (let offset = 0, i = 1; offset < length; i++) {
      counter[0] = i;
      previous = createHmac("sha256", prk).update(previous).update(info).update(counter).digest();
      out.set(previous.subarray(0, Math.min(32, length - offset)), offset);
      offset += 32;
    }
    return out;
  }

  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    checkLength(key, 32, "AES-256-GCM key");
    checkLength(nonce, 12, "AES-256-GCM nonce");
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    cipher.final();
    const out = new Uint8Array(body.length + 16);
    out.set(body, 0);
    out.set(cipher.getAuthTag(), body.length);
    return out;
  }

  aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
    checkLength(key, 32, "AES-256-GCM key");
    checkLength(nonce, 12, "AES-256-GCM nonce");
    if (!(sealed instanceof Uint8Array) || sealed.length < 16) fail(ErrorCode.DECRYPT_FAILED, "ciphertext shorter than the tag");
    const decipher = createDecipheriv("aes-256-gcm", key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const body = decipher.update(sealed.subarray(0, sealed.length - 16));
    try {
      decipher.final();
    } catch {
      body.fill(0);
      return fail(ErrorCode.DECRYPT_FAILED, "authentication failed");
    }
    return new Uint8Array(body.buffer, body.byteOffset, body.length);
  }

  mlKemGenerateKeyPair(): KemKeyPair {
    return this.mlKemKeyPairFromSeed(this.random(64));
  }

  mlKemKeyPairFromSeed(seed: Uint8Array): KemKeyPair {
    checkLength(seed, 64, "ML-KEM-768 seed");
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    return { publicKey, secretKey };
  }

  mlKemEncapsulate(publicKey: Uint8Array): KemEncapsulation {
    checkLength(publicKey, 1184, "ML-KEM-768 encapsulation key");
    try {
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, this.random(32));
      return { cipherText, sharedSecret };
    } catch {
      // FIPS 203 7.2 modulus check: coefficients >= q are a malformed key.
      return fail(ErrorCode.KEY_INVALID, "ML-KEM-768 encapsulation key is not canonical", "ENC-KEY-001");
    }
  }

  mlKemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
    checkLength(cipherText, 1088, "ML-KEM-768 ciphertext");
    checkLength(secretKey, 2400, "ML-KEM-768 decapsulation key");
    try {
      return ml_kem768.decapsulate(cipherText, secretKey);
    } catch {
      return fail(ErrorCode.KEY_INVALID, "ML-KEM-768 decapsulation key is malformed", "ENC-KEY-001");
    }
  }

  scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams, length: number): Uint8Array {
    const maxmem = 256 * params.N * params.r + 1024 * 1024;
    return new Uint8Array(scryptSync(password, salt, length, { N: params.N, r: params.r, p: params.p, maxmem }));
  }
}
