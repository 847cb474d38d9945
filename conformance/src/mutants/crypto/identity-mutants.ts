// Crypto mutants of the identity area: the reference encryption cases with
// one behaviour broken, through a primitive wrapper or one replaced kind.
import { createHmac } from "node:crypto";
import {
  CRYPTO_CASE_HANDLERS, caseBytes, caseHex, caseInteger, verifyDeviceList, type CaseFields, type CryptoCaseHandler, type CryptoProvider, type SeenDeviceList,
} from "@kabar/crypto";
import {
  DeviceCertificate, DeviceCertificateBody, ErrorCode, KabarError, PreKeyMessage, RatchetMessage, SenderKeyDistribution, SenderKeyMessage,
  SignedDeviceList, isKabarError,
} from "@kabar/protocol";
import { cryptoMutant } from "./define-crypto-mutant.js";

/** The reference handler of `kind`. */
function reference(kind: string): CryptoCaseHandler {
  const handler = CRYPTO_CASE_HANDLERS[kind];
  if (handler === undefined) throw new Error(`no reference case kind ${kind}`);
  return handler;
}

/** A provider that forwards everything to `base` except the methods in `changes`. */
function overriding(base: CryptoProvider, changes: Partial<CryptoProvider>): CryptoProvider {
  return new Proxy(base, {
    get(target, property, receiver) {
      if (Object.hasOwn(changes, property)) return (changes as Record<string | symbol, unknown>)[property];
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const startsWith = (bytes: Uint8Array, prefix: string): boolean => Buffer.from(bytes.subarray(0, prefix.length)).toString("latin1") === prefix;

cryptoMutant(
  "crypto.key-x25519-length-unchecked",
  ["ENC-KEY-001"],
  "X25519 pads or truncates a public key of the wrong length to 32 bytes instead of rejecting it with KEY_INVALID.",
  {},
  (provider) => overriding(provider, {
    x25519: (keyPair, publicKey) => {
      const fixed = new Uint8Array(32);
      fixed.set(publicKey.subarray(0, 32));
      return provider.x25519(keyPair, fixed);
    },
  }),
);

cryptoMutant(
  "crypto.key-hkdf-counter-from-zero",
  ["ENC-KEY-002"],
  "HKDF-SHA256 expand numbers its blocks from 0 instead of 1 (not RFC 5869).",
  {},
  (provider) => overriding(provider, {
    hkdfSha256: (ikm, salt, info, length) => {
      const prk = createHmac("sha256", salt.length === 0 ? new Uint8Array(32) : salt).update(ikm).digest();
      const out = new Uint8Array(length);
      let previous = new Uint8Array(0);
      for (let offset = 0, i = 0; offset < length; i++, offset += 32) {
        previous = new Uint8Array(createHmac("sha256", prk).update(previous).update(info).update(Uint8Array.of(i)).digest());
        out.set(previous.subarray(0, Math.min(32, length - offset)), offset);
      }
      return out;
    },
  }),
);

cryptoMutant(
  "crypto.key-low-order-accepted",
  ["ENC-KEY-003"],
  "X25519 returns the all-zero shared secret of a low-order public key instead of rejecting it with KEY_INVALID.",
  {},
  (provider) => overriding(provider, {
    x25519: (keyPair, publicKey) => {
      try {
        return provider.x25519(keyPair, publicKey);
      } catch (error) {
        if (isKabarError(error, ErrorCode.KEY_INVALID) && publicKey.length === 32) return new Uint8Array(32);
        throw error;
      }
    },
  }),
);

cryptoMutant(
  "crypto.id-account-id-unchecked",
  ["ENC-ID-001"],
  "Certificate verification takes the certificate's account_id on trust instead of comparing it with SHA-256 of the trusted identity key.",
  {
    "identity.verify_certificate": (inputs, provider) => {
      let claimed: Uint8Array | undefined;
      try {
        claimed = DeviceCertificateBody.decode(DeviceCertificate.decode(caseBytes(inputs, "certificate")).body).accountId;
      } catch {
        claimed = undefined;
      }
      const trusted = caseHex(caseBytes(inputs, "trustedIdentityKey"));
      const lenient = overriding(provider, { sha256: (data) => (claimed !== undefined && caseHex(data) === trusted ? claimed : provider.sha256(data)) });
      return reference("identity.verify_certificate")(inputs, lenient);
    },
  },
);

cryptoMutant(
  "crypto.id-certificate-signature-unchecked",
  ["ENC-ID-002"],
  "Device certificate signatures are never checked: every signature over \"kabar-v1 device-certificate\" || body verifies.",
  {},
  (provider) => overriding(provider, {
    ed25519Verify: (publicKey, message, signature) => startsWith(message, "kabar-v1 device-certificate") || provider.ed25519Verify(publicKey, message, signature),
  }),
);

cryptoMutant(
  "crypto.id-device-list-signature-unchecked",
  ["ENC-ID-003"],
  "Device list signatures are never checked: every signature over \"kabar-v1 device-list\" || body verifies.",
  {},
  (provider) => overriding(provider, {
    ed25519Verify: (publicKey, message, signature) => startsWith(message, "kabar-v1 device-list") || provider.ed25519Verify(publicKey, message, signature),
  }),
);

cryptoMutant(
  "crypto.id-device-list-version-only",
  ["ENC-ID-004"],
  "The receiver remembers only the highest device-list version, not its body, so a second list with the same version and other bytes is accepted.",
  {
    "identity.device_list_sequence": (inputs, provider) => {
      const trusted = caseBytes(inputs, "trustedIdentityKey");
      const lists = Array.isArray(inputs.lists) ? (inputs.lists as readonly string[]) : [];
      let highest: bigint | undefined;
      const verdicts: string[] = [];
      for (const text of lists) {
        const signed = SignedDeviceList.decode(caseBytes({ list: text }, "list"));
        // The remembered "body" is whatever arrives now: only the version is compared.
        const previous: SeenDeviceList | undefined = highest === undefined ? undefined : { version: highest, body: signed.body };
        try {
          const list = verifyDeviceList(provider, signed, trusted, previous);
          if (highest === undefined || list.version > highest) highest = list.version;
          verdicts.push("accepted");
        } catch (error) {
          if (!isKabarError(error)) throw error;
          verdicts.push(`rejected:${ErrorCode[error.code]}`);
        }
      }
      return { verdicts, version: (highest ?? 0n).toString() } satisfies CaseFields;
    },
  },
);

cryptoMutant(
  "crypto.id-linking-signature-unchecked",
  ["ENC-ID-006"],
  "The approving device does not check the linking payload's proof of possession: every signature over \"kabar-v1 linking\" || ... verifies.",
  {},
  (provider) => overriding(provider, {
    ed25519Verify: (publicKey, message, signature) => startsWith(message, "kabar-v1 linking") || provider.ed25519Verify(publicKey, message, signature),
  }),
);

/** Re-encodes `bytes` of `type` with version 1, whatever version it carried. */
function asVersion1(type: string, bytes: Uint8Array): Uint8Array {
  try {
    switch (type) {
      case "PreKeyMessage": return PreKeyMessage.encode({ ...PreKeyMessage.decode(bytes), version: 1 }).finish();
      case "RatchetMessage": return RatchetMessage.encode({ ...RatchetMessage.decode(bytes), version: 1 }).finish();
      case "SenderKeyMessage": return SenderKeyMessage.encode({ ...SenderKeyMessage.decode(bytes), version: 1 }).finish();
      case "SenderKeyDistribution": return SenderKeyDistribution.encode({ ...SenderKeyDistribution.decode(bytes), version: 1 }).finish();
      case "Attachment": { const out = new Uint8Array(bytes); if (out.length >= 4) out.set([0, 0, 0, 1]); return out; }
      default: return bytes;
    }
  } catch {
    return bytes;
  }
}

cryptoMutant(
  "crypto.version-field-ignored",
  ["ENC-VERSION-001"],
  "Receivers ignore the version field of every ciphertext type and process any version as version 1.",
  {
    "version.open": (inputs, provider) => {
      const type = typeof inputs.messageType === "string" ? inputs.messageType : "";
      return reference("version.open")({ ...inputs, message: caseHex(asVersion1(type, caseBytes(inputs, "message"))) }, provider);
    },
  },
);

cryptoMutant(
  "crypto.state-error-names-key",
  ["ENC-STATE-003"],
  "A failed AES-GCM open puts the key it tried into the error message.",
  {},
  (provider) => overriding(provider, {
    aeadOpen: (key, nonce, sealed, aad) => {
      try {
        return provider.aeadOpen(key, nonce, sealed, aad);
      } catch (error) {
        if (isKabarError(error)) throw new KabarError(error.code, `${error.message} (key ${caseHex(key)})`);
        throw error;
      }
    },
  }),
);

cryptoMutant(
  "crypto.vector-rng-counter-little-endian",
  ["ENC-VECTOR-001"],
  "The test RNG encodes its block counter little-endian (u64le) instead of u64be.",
  {
    test_rng: (inputs) => {
      const seed = caseBytes(inputs, "seed");
      const lengths = Array.isArray(inputs.lengths) ? (inputs.lengths as readonly number[]) : [];
      let counter = 0n;
      let pool = new Uint8Array(0);
      const read = (length: number): Uint8Array => {
        const out = new Uint8Array(length);
        for (let filled = 0; filled < length;) {
          if (pool.length === 0) {
            const block = new Uint8Array(8);
            new DataView(block.buffer).setBigUint64(0, counter++, true);
            pool = new Uint8Array(createHmac("sha256", seed).update("kabar-v1 test-rng").update(block).digest());
          }
          const take = Math.min(pool.length, length - filled);
          out.set(pool.subarray(0, take), filled);
          pool = pool.subarray(take);
          filled += take;
        }
        return out;
      };
      return { outputs: lengths.map((n) => caseHex(read(Number(caseInteger({ n }, "n"))))) };
    },
  },
);

cryptoMutant(
  "crypto.vector-pqxdh-transcript-dropped",
  ["ENC-VECTOR-002"],
  "The session key's HKDF info omits SHA-256 of the PQXDH transcript, so the published key-agreement vectors no longer reproduce.",
  {},
  (provider) => overriding(provider, {
    hkdfSha256: (ikm, salt, info, length) => provider.hkdfSha256(ikm, salt, startsWith(info, "kabar-v1 pqxdh") && info.length > 32 + 14 ? info.subarray(0, info.length - 32) : info, length),
  }),
);
