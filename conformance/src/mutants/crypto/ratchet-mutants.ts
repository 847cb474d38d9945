// Crypto mutants of the double ratchet: the reference ratchet.* cases with
// one behaviour changed, either in the primitives the cases run on (a
// provider wrapper) or around one decryption (a wrapper over the reference
// ratchet.decrypt that edits the session it returns, through the public
// ENC-STATE-001 codec). Each one is an implementation bug the ENC-RATCHET
// properties must catch.
import {
  CRYPTO_CASE_HANDLERS, deserializeSession, serializeSession,
  type CaseFields, type CaseValue, type CryptoCaseHandler, type CryptoProvider, type SessionState, type SkippedKey,
} from "@kabar/crypto";
import { decodeMessage, ErrorCode, errorCodeName, isKabarError, KabarError, PairwiseMessage, type RatchetMessage } from "@kabar/protocol";
import { cryptoMutant } from "./define-crypto-mutant.js";

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
const bytesOf = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, "hex"));
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A provider that replaces some primitives and forwards the rest to `provider`. */
function overriding(provider: CryptoProvider, overrides: Partial<CryptoProvider>): CryptoProvider {
  return new Proxy(provider, {
    get(target, key) {
      if (Object.hasOwn(overrides, key)) return (overrides as Record<PropertyKey, unknown>)[key];
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The outcome of delivering one message to a stored session: the session to store, and the plaintext or the rejection. */
interface Delivery {
  readonly state: string | null;
  readonly plaintext?: string;
  readonly error?: ErrorCode;
}

type Deliver = (provider: CryptoProvider, state: string | null, message: string) => Promise<Delivery>;

const referenceDecrypt = CRYPTO_CASE_HANDLERS["ratchet.decrypt"]!;
const referenceEncrypt = CRYPTO_CASE_HANDLERS["ratchet.encrypt"]!;

/** The reference: the stored session changes only when the message decrypts. */
const reference: Deliver = async (provider, state, message) => {
  try {
    const out = await referenceDecrypt({ state, message }, provider);
    return { state: out.state as string, plaintext: out.plaintext as string };
  } catch (error) {
    if (!isKabarError(error)) throw error;
    return { state, error: error.code };
  }
};

/** ratchet.decrypt and ratchet.receive over `deliver`. */
function decryptCases(deliver: Deliver): Record<string, CryptoCaseHandler> {
  return {
    "ratchet.decrypt": async (inputs, provider) => {
      const out = await deliver(provider, inputs.state as string | null, inputs.message as string);
      if (out.error !== undefined) throw new KabarError(out.error, "message rejected");
      return { plaintext: out.plaintext!, state: out.state };
    },
    "ratchet.receive": async (inputs, provider) => {
      let state = inputs.state as string | null;
      const results: CaseValue[] = [];
      for (const message of inputs.messages as readonly string[]) {
        const out = await deliver(provider, state, message);
        state = out.state;
        results.push(out.error !== undefined ? { error: errorCodeName(out.error) } : { plaintext: out.plaintext! });
      }
      return { results, state };
    },
  };
}

/** The ratchet message in PairwiseMessage hex, or undefined when it does not decode. */
function ratchetOf(message: string): RatchetMessage | undefined {
  try {
    const wire = decodeMessage(PairwiseMessage, bytesOf(message));
    return wire.kind?.$case === "ratchet" ? wire.kind.value : undefined;
  } catch {
    return undefined;
  }
}

/** A mutant that edits the session the reference stores after a successful decryption. */
function afterSuccess(edit: (before: SessionState, after: SessionState, message: RatchetMessage) => SessionState): Deliver {
  return async (provider, state, message) => {
    const out = await reference(provider, state, message);
    const header = ratchetOf(message);
    if (out.error !== undefined || state === null || out.state === null || header === undefined) return out;
    return { ...out, state: hexOf(serializeSession(edit(deserializeSession(bytesOf(state)), deserializeSession(bytesOf(out.state)), header))) };
  };
}

/** Steps `chain` from its index to `until` (exclusive), collecting skipped keys. */
function stepChain(provider: CryptoProvider, chain: SessionState["receivingChains"][number], until: number): { chain: SessionState["receivingChains"][number]; skipped: SkippedKey[] } {
  let chainKey = chain.chainKey;
  const skipped: SkippedKey[] = [];
  for (let counter = chain.index; counter < until; counter++) {
    skipped.push({ ratchetKey: chain.ratchetKey, counter, messageKey: provider.hmacSha256(chainKey, Uint8Array.of(1)) });
    chainKey = provider.hmacSha256(chainKey, Uint8Array.of(2));
  }
  return { chain: { ratchetKey: chain.ratchetKey, chainKey, index: until }, skipped };
}

const skippedId = (k: SkippedKey): string => `${hexOf(k.ratchetKey)}:${k.counter}`;

cryptoMutant(
  "crypto.ratchet-dh-step-keeps-prev-counter",
  ["ENC-RATCHET-001"],
  "On a DH ratchet step the receiver keeps its previous-chain length instead of setting it to its old sending counter.",
  decryptCases(afterSuccess((before, after) => (same(before.sendingRatchet.publicKey, after.sendingRatchet.publicKey) ? after : { ...after, previousCounter: before.previousCounter }))),
);

cryptoMutant(
  "crypto.ratchet-message-keys-wrong-info",
  ["ENC-RATCHET-002"],
  "Derives the AEAD key and nonce of a ratchet message with HKDF info \"kabar-v1 ratchet message-key\" (one letter short).",
  {},
  (provider) => {
    const info = "kabar-v1 ratchet message-keys";
    return overriding(provider, {
      hkdfSha256: (ikm, salt, infoBytes, length) => provider.hkdfSha256(ikm, salt, new TextDecoder().decode(infoBytes) === info ? utf8("kabar-v1 ratchet message-key") : infoBytes, length),
    });
  },
);

cryptoMutant(
  "crypto.ratchet-ad-without-session-ad",
  ["ENC-RATCHET-003"],
  "Seals and opens ratchet messages with the 45-byte header alone as associated data, leaving out the session AD (no binding of the parties).",
  {},
  (provider) => overriding(provider, {
    aeadSeal: (key, nonce, plaintext, aad) => provider.aeadSeal(key, nonce, plaintext, aad.length > 45 ? aad.subarray(aad.length - 45) : aad),
    aeadOpen: (key, nonce, sealed, aad) => provider.aeadOpen(key, nonce, sealed, aad.length > 45 ? aad.subarray(aad.length - 45) : aad),
  }),
);

cryptoMutant(
  "crypto.ratchet-lenient-envelope-decoding",
  ["ENC-RATCHET-004"],
  "Decodes the PairwiseMessage envelope with the lenient protobuf decoder (last duplicate wins, fields of the wrong wire type skipped) instead of the strict one.",
  decryptCases(async (provider, state, message) => {
    let canonical = message;
    try {
      canonical = hexOf(PairwiseMessage.encode(PairwiseMessage.decode(bytesOf(message))).finish());
    } catch {
      // undecodable even leniently: the reference rejects it
    }
    return reference(provider, state, canonical);
  }),
);

cryptoMutant(
  "crypto.ratchet-duplicate-as-decrypt-failed",
  ["ENC-RATCHET-005"],
  "Rejects a message below its chain's next counter (a replay) with DECRYPT_FAILED instead of DUPLICATE_MESSAGE.",
  decryptCases(async (provider, state, message) => {
    const out = await reference(provider, state, message);
    return out.error === ErrorCode.DUPLICATE_MESSAGE ? { ...out, error: ErrorCode.DECRYPT_FAILED } : out;
  }),
);

cryptoMutant(
  "crypto.ratchet-chain-advanced-before-auth",
  ["ENC-RATCHET-006"],
  "Advances a known receiving chain (and stores the skipped keys) before the AEAD tag is checked, so a forged message moves the stored session.",
  decryptCases(async (provider, state, message) => {
    const out = await reference(provider, state, message);
    const header = ratchetOf(message);
    if (out.error !== ErrorCode.DECRYPT_FAILED || state === null || header === undefined) return out;
    const session = deserializeSession(bytesOf(state));
    const at = session.receivingChains.findIndex((c) => same(c.ratchetKey, header.ratchetKey));
    const chain = session.receivingChains[at];
    if (chain === undefined || header.counter < chain.index || header.counter - chain.index > 2000) return out;
    const stepped = stepChain(provider, chain, header.counter + 1);
    const chains = [...session.receivingChains];
    chains[at] = stepped.chain;
    const skipped = [...session.skipped, ...stepped.skipped.slice(0, -1)].slice(-2000);
    return { ...out, state: hexOf(serializeSession({ ...session, receivingChains: chains, skipped })) };
  }),
);

cryptoMutant(
  "crypto.ratchet-max-skip-off-by-one",
  ["ENC-RATCHET-007"],
  "Lets a message on a known chain skip 2,001 message keys (the MAX_SKIP bound checked with >= 2002).",
  decryptCases(async (provider, state, message) => {
    const header = ratchetOf(message);
    if (state === null || header === undefined) return reference(provider, state, message);
    const session = deserializeSession(bytesOf(state));
    const at = session.receivingChains.findIndex((c) => same(c.ratchetKey, header.ratchetKey));
    const chain = session.receivingChains[at];
    if (chain === undefined || header.counter - chain.index !== 2001) return reference(provider, state, message);
    // Derive the one extra key first, then let the reference do the allowed 2,000.
    const stepped = stepChain(provider, chain, chain.index + 1);
    const chains = [...session.receivingChains];
    chains[at] = stepped.chain;
    return reference(provider, hexOf(serializeSession({ ...session, receivingChains: chains, skipped: [...session.skipped, ...stepped.skipped].slice(-2000) })), message);
  }),
);

cryptoMutant(
  "crypto.ratchet-dh-before-header-checks",
  ["ENC-RATCHET-007", "ENC-RATCHET-009"],
  "Computes the DH with a message's new ratchet key before checking its counters against MAX_SKIP and 2^32-1, so a forged header costs a DH (and a low-order key is reported as KEY_INVALID).",
  decryptCases(async (provider, state, message) => {
    const header = ratchetOf(message);
    if (state !== null && header !== undefined && header.ratchetKey.length === 32) {
      const session = deserializeSession(bytesOf(state));
      const known = session.receivingChains.some((c) => same(c.ratchetKey, header.ratchetKey)) || session.skipped.some((k) => same(k.ratchetKey, header.ratchetKey));
      if (!known) {
        try {
          provider.x25519(session.sendingRatchet, header.ratchetKey);
        } catch (error) {
          if (isKabarError(error)) return { state, error: error.code };
          throw error;
        }
      }
    }
    return reference(provider, state, message);
  }),
);

cryptoMutant(
  "crypto.ratchet-keeps-six-chains",
  ["ENC-RATCHET-008"],
  "Keeps six receiving chains instead of five: the oldest chain is dropped one DH step late.",
  decryptCases(afterSuccess((before, after) => {
    const dropped = before.receivingChains.filter((c) => !after.receivingChains.some((d) => same(c.ratchetKey, d.ratchetKey)));
    return dropped.length === 0 || after.receivingChains.length >= 6 ? after : { ...after, receivingChains: [...dropped.slice(-1), ...after.receivingChains] };
  })),
);

cryptoMutant(
  "crypto.ratchet-skipped-keys-unbounded",
  ["ENC-RATCHET-008"],
  "Never evicts skipped message keys: the session keeps every skipped key beyond 2,000.",
  decryptCases(afterSuccess((before, after, header) => {
    const kept = new Set(after.skipped.map(skippedId));
    const used = `${hexOf(header.ratchetKey)}:${header.counter}`;
    const evicted = before.skipped.filter((k) => !kept.has(skippedId(k)) && skippedId(k) !== used);
    return evicted.length === 0 ? after : { ...after, skipped: [...evicted, ...after.skipped] };
  })),
);

cryptoMutant(
  "crypto.ratchet-retired-chain-drops-skipped",
  ["ENC-RATCHET-008"],
  "Deletes the skipped keys of a receiving chain when the chain is retired (the sixth chain arrives), so a late message of that chain no longer decrypts.",
  decryptCases(afterSuccess((before, after) => {
    const retired = before.receivingChains.filter((c) => !after.receivingChains.some((d) => same(c.ratchetKey, d.ratchetKey)));
    if (retired.length === 0) return after;
    return { ...after, skipped: after.skipped.filter((k) => !retired.some((c) => same(c.ratchetKey, k.ratchetKey))) };
  })),
);

cryptoMutant(
  "crypto.ratchet-sending-counter-wraps",
  ["ENC-RATCHET-009"],
  "A sender whose next counter is 2^32-1 wraps it to 0 and sends, instead of failing with COUNTER_EXHAUSTED.",
  {
    "ratchet.encrypt": async (inputs: CaseFields, provider: CryptoProvider) => {
      if (typeof inputs.state !== "string") return referenceEncrypt(inputs, provider);
      const session = deserializeSession(bytesOf(inputs.state));
      if (session.sendingIndex !== 0xffffffff) return referenceEncrypt(inputs, provider);
      return referenceEncrypt({ ...inputs, state: hexOf(serializeSession({ ...session, sendingIndex: 0 })) }, provider);
    },
  },
);

cryptoMutant(
  "crypto.ratchet-skipped-key-kept-after-use",
  ["ENC-RATCHET-010"],
  "Keeps a skipped message key after it decrypted its message, so a later copy of the session can decrypt the message again.",
  decryptCases(afterSuccess((before, after, header) => {
    const used = before.skipped.find((k) => k.counter === header.counter && same(k.ratchetKey, header.ratchetKey));
    return used === undefined ? after : { ...after, skipped: [...after.skipped, used] };
  })),
);

cryptoMutant(
  "crypto.ratchet-constant-ratchet-key",
  ["ENC-RATCHET-011"],
  "Generates every new ratchet key pair from the same fixed private key instead of fresh randomness.",
  {},
  (provider) => {
    const fixed = provider.x25519KeyPairFromPrivate(new Uint8Array(32).fill(0x42));
    return overriding(provider, { x25519GenerateKeyPair: () => fixed });
  },
);
