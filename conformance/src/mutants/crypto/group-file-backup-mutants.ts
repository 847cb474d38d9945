// Crypto mutants of this area: the reference encryption cases with one
// behaviour broken — a primitive wrapped (one info string, one salt, a
// signature check), an input or output rewritten around the reference kind,
// or, where the reference cannot be bent from outside, the kit's model of
// the kind with one behaviour changed (sender-key receive, attachment chunking,
// backup sealing).
import { CRYPTO_CASE_HANDLERS, type CaseFields, type CryptoCaseHandler, type CryptoProvider } from "@kabar/crypto";
import { ErrorCode, errorCodeName, KabarError } from "@kabar/protocol";
import {
  aeadOpen, aeadSeal, backupBlob, CHUNK, chainStep, concat, decodeChain, edSign, edVerify, encodeChain, encodeEntries, hkdf, hmac, senderHeader,
  senderMessageKeys, senderSigned, sha256, u32be, u64be, u8, type ModelChain,
} from "../../suites/crypto/group-file-backup-model.js";
import { cryptoMutant } from "./define-crypto-mutant.js";

const reference = (kind: string): CryptoCaseHandler => CRYPTO_CASE_HANDLERS[kind]!;
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (v: unknown): Uint8Array => new Uint8Array(Buffer.from(typeof v === "string" ? v : "", "hex"));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const startsWith = (data: Uint8Array, prefix: Uint8Array): boolean => data.length >= prefix.length && Buffer.compare(data.subarray(0, prefix.length), prefix) === 0;

/** A provider with some primitives replaced (the rest delegate to `provider`). */
function wrap(provider: CryptoProvider, overrides: Partial<CryptoProvider>): CryptoProvider {
  return Object.assign(Object.create(provider) as CryptoProvider, overrides);
}

// ---------------------------------------------------------------- sender keys

const SENDER_CONTEXT = text("kabar-v1 sender-key");

cryptoMutant(
  "crypto.senderkey-wrong-message-info", ["ENC-SENDERKEY-001"],
  "Derives sender-key AEAD keys with the ratchet's info \"kabar-v1 ratchet message-keys\" instead of \"kabar-v1 sender-key message-keys\".",
  {},
  (p) => wrap(p, {
    hkdfSha256: (ikm, salt, info, length) => p.hkdfSha256(ikm, salt, Buffer.from(info).toString() === "kabar-v1 sender-key message-keys" ? text("kabar-v1 ratchet message-keys") : info, length),
  }),
);

cryptoMutant(
  "crypto.senderkey-fixed-signing-key", ["ENC-SENDERKEY-001", "ENC-SENDERKEY-005"],
  "Every new sender-key chain (and every rotation) gets the same Ed25519 signing key instead of a fresh key pair.",
  {},
  (p) => wrap(p, { ed25519GenerateKeyPair: () => p.ed25519KeyPairFromSeed(new Uint8Array(32).fill(0x5a)) }),
);

cryptoMutant(
  "crypto.senderkey-signature-without-context", ["ENC-SENDERKEY-002"],
  "Signs and verifies sender-key messages over header || ciphertext without the \"kabar-v1 sender-key\" context prefix.",
  {
    "sender-key.encrypt": async (inputs, provider) => {
      const out = await reference("sender-key.encrypt")(inputs, provider);
      const chain = decodeChain(unhex(inputs.chain)) as ModelChain;
      const header = senderHeader(chain, chain.iteration);
      return { ...out, signature: hex(edSign(chain.signingPrivate!, concat(header, unhex(out.ciphertext)))) };
    },
  },
  (p) => wrap(p, { ed25519Verify: (key, message, signature) => p.ed25519Verify(key, startsWith(message, SENDER_CONTEXT) ? message.subarray(SENDER_CONTEXT.length) : message, signature) }),
);

cryptoMutant(
  "crypto.senderkey-unverified-signature", ["ENC-SENDERKEY-002"],
  "Accepts any signature on a sender-key message (the Ed25519 check for the \"kabar-v1 sender-key\" context always passes).",
  {},
  (p) => wrap(p, { ed25519Verify: (key, message, signature) => startsWith(message, SENDER_CONTEXT) || p.ed25519Verify(key, message, signature) }),
);

/** Pads or cuts a hex field to `length` bytes. */
const fit = (value: unknown, length: number): string => { const b = new Uint8Array(length); b.set(unhex(value).subarray(0, length)); return hex(b); };

cryptoMutant(
  "crypto.senderkey-distribution-any-length", ["ENC-SENDERKEY-003"],
  "Accepts a SenderKeyDistribution whose ids or keys have the wrong length, zero-padding or cutting them instead of rejecting with KEY_INVALID.",
  {
    "sender-key.accept-distribution": (inputs, provider) => reference("sender-key.accept-distribution")({
      ...inputs, conversation_id: fit(inputs.conversation_id, 16), distribution_id: fit(inputs.distribution_id, 16), chain_key: fit(inputs.chain_key, 32), signing_key: fit(inputs.signing_key, 32),
    }, provider),
  },
);

/** Options of the model receiver: each changes one behaviour of ENC-SENDERKEY-004. */
interface ReceiveFlaws {
  /** Largest accepted jump (the rule: 2,000). */
  readonly maxJump?: number;
  /** Keep the chain advanced by a message whose AEAD fails. */
  readonly keepOnFailure?: boolean;
  /** Evict the newest skipped keys instead of the oldest. */
  readonly evictNewest?: boolean;
}

/** The kit's model of sender-key.receive (ENC-SENDERKEY-002/004/005), with one flaw. */
function modelReceive(flaws: ReceiveFlaws): CryptoCaseHandler {
  return (inputs: CaseFields) => {
    const parsed = decodeChain(unhex(inputs.chain));
    if (typeof parsed === "string") throw new KabarError(ErrorCode.KEY_INVALID, "chain does not decode");
    let chain: ModelChain = parsed;
    const results: CaseFields[] = [];
    for (const item of inputs.messages as readonly CaseFields[]) {
      const iteration = Number(item.iteration);
      const ciphertext = unhex(item.ciphertext);
      try {
        if (item.distribution_id !== hex(chain.distributionId)) throw new KabarError(ErrorCode.SENDER_KEY_NOT_FOUND, "unknown distribution");
        const header = senderHeader(chain, iteration);
        if (!edVerify(chain.signingPublic, senderSigned(header, ciphertext), unhex(item.signature))) throw new KabarError(ErrorCode.SIGNATURE_INVALID, "bad signature");
        if (iteration > 0xfffffffe) throw new KabarError(ErrorCode.COUNTER_EXHAUSTED, "exhausted");
        const open = (messageKey: Uint8Array): Uint8Array => {
          const { key, nonce } = senderMessageKeys(messageKey);
          const plaintext = aeadOpen(key, nonce, ciphertext, header);
          if (plaintext === undefined) throw new KabarError(ErrorCode.DECRYPT_FAILED, "does not decrypt");
          return plaintext;
        };
        if (iteration < chain.iteration) {
          const index = chain.skipped.findIndex((s) => s.iteration === iteration);
          if (index < 0) throw new KabarError(ErrorCode.DUPLICATE_MESSAGE, "already received");
          const plaintext = open(chain.skipped[index]!.messageKey);
          chain = { ...chain, skipped: chain.skipped.filter((_, i) => i !== index) };
          results.push({ plaintext: hex(plaintext) });
          continue;
        }
        if (iteration - chain.iteration > (flaws.maxJump ?? 2000)) throw new KabarError(ErrorCode.MESSAGE_TOO_FAR_AHEAD, "too far ahead");
        let ck = chain.chainKey;
        const added = [];
        for (let i = chain.iteration; i < iteration; i++) { const step = chainStep(ck); added.push({ iteration: i, messageKey: step.messageKey }); ck = step.chainKey; }
        const step = chainStep(ck);
        let skipped = [...chain.skipped, ...added];
        if (skipped.length > 2000) skipped = flaws.evictNewest === true ? skipped.slice(0, 2000) : skipped.slice(skipped.length - 2000);
        const next = { ...chain, chainKey: step.chainKey, iteration: iteration + 1, skipped };
        if (flaws.keepOnFailure === true) chain = next;
        const plaintext = open(step.messageKey);
        chain = next;
        results.push({ plaintext: hex(plaintext) });
      } catch (error) {
        if (!(error instanceof KabarError)) throw error;
        results.push({ rejected: errorCodeName(error.code) });
      }
    }
    return { chain: hex(encodeChain(chain)), results };
  };
}

cryptoMutant(
  "crypto.senderkey-jump-bound-2001", ["ENC-SENDERKEY-004"],
  "Accepts a sender-key message 2,001 iterations ahead of the chain (off by one in the MESSAGE_TOO_FAR_AHEAD bound).",
  { "sender-key.receive": modelReceive({ maxJump: 2001 }) },
);

cryptoMutant(
  "crypto.senderkey-keeps-chain-after-decrypt-failure", ["ENC-SENDERKEY-004"],
  "Keeps the advanced chain and the skipped keys derived for a validly signed message whose AEAD fails, instead of leaving the chain unchanged.",
  { "sender-key.receive": modelReceive({ keepOnFailure: true }) },
);

cryptoMutant(
  "crypto.senderkey-evicts-newest-skipped", ["ENC-SENDERKEY-004"],
  "Past 2,000 skipped keys, drops the newest instead of the oldest.",
  { "sender-key.receive": modelReceive({ evictNewest: true }) },
);

cryptoMutant(
  "crypto.senderkey-ignores-distribution-id", ["ENC-SENDERKEY-005"],
  "Decrypts a sender-key message with the sender's chain whatever its distribution id, so messages under a rotated-away or unknown distribution are not rejected with SENDER_KEY_NOT_FOUND.",
  {
    "sender-key.receive": (inputs, provider) => {
      const distribution = hex(unhex(inputs.chain).subarray(17, 33));
      const messages = (inputs.messages as readonly CaseFields[]).map((m) => ({ ...m, distribution_id: distribution }));
      return reference("sender-key.receive")({ ...inputs, messages }, provider);
    },
  },
);

/** Cuts a serialized chain to the length its fields declare (a decoder that ignores trailing bytes). */
function withoutTrailing(value: unknown): unknown {
  const b = unhex(value);
  if (b.length < 140) return value;
  const flagAt = 137;
  const countAt = flagAt + 1 + (b[flagAt] === 1 ? 32 : 0);
  if (b.length < countAt + 2) return value;
  const length = countAt + 2 + 36 * ((b[countAt]! << 8) | b[countAt + 1]!);
  return b.length > length ? hex(b.subarray(0, length)) : value;
}

const tolerantChain = (kind: string): CryptoCaseHandler => (inputs, provider) => reference(kind)({ ...inputs, chain: withoutTrailing(inputs.chain) as string }, provider);

cryptoMutant(
  "crypto.senderkey-state-accepts-trailing-bytes", ["ENC-STATE-002"],
  "Decodes a serialized sender-key chain that has bytes after its last skipped key instead of rejecting it with KEY_INVALID.",
  { "state.sender-key-roundtrip": tolerantChain("state.sender-key-roundtrip"), "sender-key.encrypt": tolerantChain("sender-key.encrypt"), "sender-key.receive": tolerantChain("sender-key.receive") },
);

// ---------------------------------------------------------------- attachments

cryptoMutant(
  "crypto.attachment-wrong-file-key-info", ["ENC-ATTACH-001"],
  "Derives K_file with info \"kabar-v1 attachments\" instead of \"kabar-v1 attachment\".",
  {},
  (p) => wrap(p, { hkdfSha256: (ikm, salt, info, length) => p.hkdfSha256(ikm, salt, Buffer.from(info).toString() === "kabar-v1 attachment" ? text("kabar-v1 attachments") : info, length) }),
);

/** Options of the model attachment encryptor: each changes one behaviour. */
interface ChunkFlaws {
  /** Seal a full final chunk as non-last and add an empty last chunk (a file of 64 KiB gets two chunks). */
  readonly emptyChunkAfterExactMultiple?: boolean;
  /** Nonce u32be(0) || u64be(i) for every chunk, the last one included. */
  readonly nonceWithoutLastFlag?: boolean;
}

/** The kit's model of attachment.encrypt with explicit key and file id, with one flaw. */
function modelAttachmentEncrypt(flaws: ChunkFlaws): CryptoCaseHandler {
  return async (inputs, provider) => {
    if (inputs.key === undefined || inputs.file_id === undefined) return reference("attachment.encrypt")(inputs, provider);
    const key = unhex(inputs.key), fileId = unhex(inputs.file_id), plaintext = unhex(inputs.plaintext);
    const header = concat(u32be(1), fileId);
    const fileKey = hkdf(fileId, key, "kabar-v1 attachment", 32);
    const chunks = flaws.emptyChunkAfterExactMultiple === true ? Math.floor(plaintext.length / CHUNK) + 1 : Math.max(1, Math.ceil(plaintext.length / CHUNK));
    const parts = [header];
    for (let i = 0; i < chunks; i++) {
      const last = i === chunks - 1 ? 1 : 0;
      const nonce = concat(u32be(flaws.nonceWithoutLastFlag === true ? 0 : last), u64be(i));
      parts.push(aeadSeal(fileKey, nonce, plaintext.subarray(i * CHUNK, Math.min(plaintext.length, (i + 1) * CHUNK)), concat(header, u64be(i), u8(last))));
    }
    const ciphertext = concat(...parts);
    return { key: hex(key), file_id: hex(fileId), ciphertext: hex(ciphertext), size: plaintext.length, digest: hex(sha256(ciphertext)) };
  };
}

cryptoMutant(
  "crypto.attachment-empty-chunk-after-exact-multiple", ["ENC-ATTACH-002"],
  "A file whose size is a positive multiple of 65,536 gets an extra empty last chunk (its full final chunk is sealed as not last).",
  { "attachment.encrypt": modelAttachmentEncrypt({ emptyChunkAfterExactMultiple: true }) },
);

cryptoMutant(
  "crypto.attachment-nonce-without-last-flag", ["ENC-ATTACH-003"],
  "Uses the nonce u32be(0) || u64be(i) for the final chunk too (the last flag stays only in the AD).",
  { "attachment.encrypt": modelAttachmentEncrypt({ nonceWithoutLastFlag: true }) },
);

cryptoMutant(
  "crypto.attachment-digest-without-header", ["ENC-ATTACH-004"],
  "The pointer's digest is SHA-256 over the chunks only, without the 20-byte header.",
  {
    "attachment.encrypt": async (inputs, provider) => {
      const out = await reference("attachment.encrypt")(inputs, provider);
      return { ...out, digest: hex(sha256(unhex(out.ciphertext).subarray(20))) };
    },
  },
);

cryptoMutant(
  "crypto.attachment-skips-digest-check", ["ENC-ATTACH-006"],
  "Does not compare the ciphertext's SHA-256 with the pointer's digest.",
  { "attachment.decrypt": (inputs, provider) => reference("attachment.decrypt")({ ...inputs, digest: hex(sha256(unhex(inputs.ciphertext))) }, provider) },
);

// ---------------------------------------------------------------- key backup

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

cryptoMutant(
  "crypto.backup-secret-ignores-padding-bits", ["ENC-BACKUP-001"],
  "Parses a recovery secret whose 4 trailing bits are not zero (they are silently dropped), so one secret has several spellings.",
  {
    "backup.secret-parse": (inputs, provider) => {
      const clean = String(inputs.text).toUpperCase().replace(/[\s-]/g, "");
      const last = BASE32.indexOf(clean[51] ?? "");
      const fixed = clean.length === 52 && last >= 0 ? clean.slice(0, 51) + BASE32[last & 0x10] : inputs.text;
      return reference("backup.secret-parse")({ text: fixed as string }, provider);
    },
  },
);

cryptoMutant(
  "crypto.backup-scrypt-salt-without-account", ["ENC-BACKUP-002"],
  "Uses the scrypt salt \"kabar-v1 backup scrypt\" without the account id.",
  {},
  (p) => wrap(p, { scrypt: (password, salt, params, length) => p.scrypt(password, startsWith(salt, text("kabar-v1 backup scrypt")) ? salt.subarray(0, 22) : salt, params, length) }),
);

cryptoMutant(
  "crypto.backup-entries-utf16-order", ["ENC-BACKUP-003"],
  "Sorts backup entries by JavaScript string (UTF-16) order instead of the byte order of the UTF-8 ids.",
  {
    "backup.seal": (inputs) => {
      const entries = (inputs.entries as readonly CaseFields[]).map((e) => ({ name: String(e.id), value: unhex(e.value) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => ({ id: text(e.name), value: e.value }));
      const parts = { version: BigInt(String(inputs.version)), salt: unhex(inputs.salt), nonce: unhex(inputs.nonce) };
      return { blob: hex(backupBlob(unhex(inputs.master), unhex(inputs.account_id), parts, encodeEntries(entries))) };
    },
  },
);

cryptoMutant(
  "crypto.backup-open-skips-hmac", ["ENC-BACKUP-004"],
  "Opens a backup blob without checking its trailing HMAC (only the AEAD protects it).",
  {
    "backup.open": (inputs, provider) => {
      const blob = unhex(inputs.blob);
      if (blob.length < 4 + 8 + 16 + 12 + 16 + 32) return reference("backup.open")(inputs, provider);
      const body = blob.subarray(0, blob.length - 32);
      const mac = hkdf(blob.subarray(12, 28), unhex(inputs.master), "kabar-v1 backup mac", 32);
      return reference("backup.open")({ ...inputs, blob: hex(concat(body, hmac(mac, concat(unhex(inputs.account_id), body)))) }, provider);
    },
  },
);

cryptoMutant(
  "crypto.backup-ignores-expected-version", ["ENC-BACKUP-005"],
  "Opens a backup blob of any version even when the latest version written is known (rollback).",
  { "backup.open": (inputs, provider) => { const { expected_version: _ignored, ...rest } = inputs; return reference("backup.open")(rest, provider); } },
);
