// The primitive port. Everything above it is pure protocol logic that takes a
// provider, so a platform (WebCrypto, a hardware keystore, a test double with a
// seeded RNG) can swap primitives without touching the constructions.

/** A source of random bytes. The default is the operating system CSPRNG. */
export type RandomSource = (length: number) => Uint8Array;

/** A raw key pair: 32-byte private scalar or seed and 32-byte public key. */
export interface KeyPair {
  /** The private key: the X25519 scalar or the Ed25519 seed, 32 bytes. */
  readonly privateKey: Uint8Array;
  /** The public key, 32 bytes. */
  readonly publicKey: Uint8Array;
}

/** An ML-KEM-768 key pair: 1184-byte encapsulation key and 2400-byte decapsulation key. */
export interface KemKeyPair {
  /** The encapsulation (public) key, 1184 bytes. */
  readonly publicKey: Uint8Array;
  /** The decapsulation (secret) key, 2400 bytes, in the FIPS 203 expanded form. */
  readonly secretKey: Uint8Array;
}

/** The result of an ML-KEM-768 encapsulation. */
export interface KemEncapsulation {
  /** The ciphertext, 1088 bytes. */
  readonly cipherText: Uint8Array;
  /** The shared secret, 32 bytes. */
  readonly sharedSecret: Uint8Array;
}

/** scrypt cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/** An incremental SHA-256. */
export interface IncrementalHash {
  /**
   * Absorbs bytes. The bytes may be copied; the caller may reuse its buffer at
   * once. Returns a promise only when the caller should wait before feeding
   * more (back-pressure of a background hash), otherwise undefined.
   */
  update(data: Uint8Array): Promise<void> | undefined;
  /** Finishes and returns the 32-byte digest. */
  digest(): Promise<Uint8Array>;
  /** Abandons the hash and frees what it holds (for example after a stream error). */
  abort(): void;
}

/**
 * The cryptographic primitives Kabar needs (docs/spec/encryption.md, ENC-KEY-002).
 * Implementations validate lengths and throw KabarError KEY_INVALID for malformed
 * keys; AEAD open throws KabarError DECRYPT_FAILED. Nothing here ever puts key
 * bytes into an error message.
 */
export interface CryptoProvider {
  /** Returns `length` random bytes from the provider's random source. */
  randomBytes(length: number): Uint8Array;

  /** Generates an X25519 key pair from 32 random bytes. */
  x25519GenerateKeyPair(): KeyPair;
  /** Derives the X25519 key pair for a 32-byte private scalar. */
  x25519KeyPairFromPrivate(privateKey: Uint8Array): KeyPair;
  /**
   * Raw X25519. Throws KEY_INVALID when the shared secret is all zero (low-order
   * public key); protocols rely on this (ENC-KEY-003).
   */
  x25519(keyPair: KeyPair, publicKey: Uint8Array): Uint8Array;

  /** Generates an Ed25519 key pair from a 32-byte random seed. */
  ed25519GenerateKeyPair(): KeyPair;
  /** Derives the Ed25519 key pair for a 32-byte seed. */
  ed25519KeyPairFromSeed(seed: Uint8Array): KeyPair;
  /** Signs a message (pure Ed25519, RFC 8032). Returns 64 bytes. */
  ed25519Sign(keyPair: KeyPair, message: Uint8Array): Uint8Array;
  /** Verifies a pure Ed25519 signature; false for any malformed input. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  /** SHA-256 digest. */
  sha256(data: Uint8Array): Uint8Array;
  /** Starts an incremental SHA-256 on the calling thread. */
  sha256Incremental(): IncrementalHash;
  /**
   * Starts an incremental SHA-256 computed off the calling thread, when the
   * platform can, so a stream can encrypt and hash on two cores. Optional.
   */
  sha256Background?(): IncrementalHash;
  /** SHA-512 digest. */
  sha512(data: Uint8Array): Uint8Array;
  /** HMAC-SHA256. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-SHA256 (RFC 5869) extract-then-expand; length at most 255*32. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  /** AES-256-GCM seal with a 12-byte nonce; returns ciphertext || 16-byte tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** AES-256-GCM open; throws KabarError DECRYPT_FAILED when authentication fails. */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;

  /** Generates an ML-KEM-768 key pair from 64 random bytes (d || z). */
  mlKemGenerateKeyPair(): KemKeyPair;
  /** Derives the ML-KEM-768 key pair for a 64-byte seed (d || z). */
  mlKemKeyPairFromSeed(seed: Uint8Array): KemKeyPair;
  /** Encapsulates to an ML-KEM-768 encapsulation key with 32 random bytes. */
  mlKemEncapsulate(publicKey: Uint8Array): KemEncapsulation;
  /** Decapsulates an ML-KEM-768 ciphertext (implicit rejection on tamper). */
  mlKemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;

  /** scrypt key derivation (RFC 7914). */
  scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams, length: number): Uint8Array;
}
