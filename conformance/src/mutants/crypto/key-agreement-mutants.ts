// Crypto mutants of the session setup (ENC-X3DH-*) and the serialized
// session (ENC-STATE-001): the reference encryption cases with one kind
// replaced, or one primitive wrapped, so that exactly one behaviour breaks.
import {
  CRYPTO_CASE_HANDLERS, deserializeSession, deserializeSessionRecord, serializeSession, serializeSessionRecord,
  type CaseFields, type CryptoCaseHandler, type CryptoProvider, type KeyPair,
} from "@kabar/crypto";
import { decodeMessage, DeviceCertificateBody, isKabarError, PairwiseMessage } from "@kabar/protocol";
import { cryptoMutant } from "./define-crypto-mutant.js";

const reference = (kind: string): CryptoCaseHandler => {
  const handler = CRYPTO_CASE_HANDLERS[kind];
  if (handler === undefined) throw new Error(`no reference case kind ${kind}`);
  return handler;
};

/** `base` with some primitives replaced. */
function overrideProvider(base: CryptoProvider, overrides: Partial<CryptoProvider>): CryptoProvider {
  return new Proxy(base, {
    get(target, name) {
      if (Object.hasOwn(overrides, name)) return overrides[name as keyof CryptoProvider];
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");
const fromHex = (value: unknown): Uint8Array => new Uint8Array(Buffer.from(typeof value === "string" ? value : "", "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

cryptoMutant(
  "crypto.x3dh-signed-prekey-signature-unchecked",
  ["ENC-X3DH-001"],
  "The initiator accepts any signature on a signed prekey (the verification for the \"kabar-v1 signed-prekey\" context always succeeds).",
  {},
  (provider) => overrideProvider(provider, {
    ed25519Verify: (publicKey, message, signature) => text(message).startsWith("kabar-v1 signed-prekey") || provider.ed25519Verify(publicKey, message, signature),
  }),
);

cryptoMutant(
  "crypto.x3dh-device-list-ignored",
  ["ENC-X3DH-002"],
  "The initiator checks the bundle's certificate but never the account's verified device list.",
  {
    "x3dh.initiate": (inputs, provider) => {
      const { deviceListBody: _body, deviceListSignature: _signature, ...rest } = inputs;
      return reference("x3dh.initiate")(rest, provider);
    },
  },
);

cryptoMutant(
  "crypto.x3dh-dh1-with-identity-key",
  ["ENC-X3DH-003"],
  "The initiator computes DH1 against the responder's identity key instead of its signed prekey (DH(IK_A, IK_B)).",
  {
    "x3dh.initiate": (inputs, provider) => {
      let responderIdentity: Uint8Array | undefined;
      try {
        responderIdentity = decodeMessage(DeviceCertificateBody, fromHex(inputs.certificateBody)).deviceIdentityKey;
      } catch {
        responderIdentity = undefined;
      }
      const localIdentity = provider.x25519KeyPairFromPrivate(fromHex(inputs.localIdentityPrivate)).publicKey;
      const signedPreKey = fromHex(inputs.signedPreKey);
      const wrapped = overrideProvider(provider, {
        x25519: (keyPair: KeyPair, publicKey: Uint8Array) =>
          provider.x25519(keyPair, responderIdentity !== undefined && same(keyPair.publicKey, localIdentity) && same(publicKey, signedPreKey) ? responderIdentity : publicKey),
      });
      return reference("x3dh.initiate")(inputs, wrapped);
    },
  },
);

cryptoMutant(
  "crypto.x3dh-session-key-without-filler",
  ["ENC-X3DH-004"],
  "SK is derived without the 32 0xFF filler bytes in front of DH1 (HKDF input keying material DH1 || ... || SS).",
  {},
  (provider) => overrideProvider(provider, {
    hkdfSha256: (ikm, salt, info, length) =>
      provider.hkdfSha256(text(info).startsWith("kabar-v1 pqxdh") && ikm.length > 32 && ikm.subarray(0, 32).every((b) => b === 0xff) ? ikm.subarray(32) : ikm, salt, info, length),
  }),
);

const PQXDH_INFO = "kabar-v1 pqxdh".length;
const PARTY = 32 + 4 + 33;
/** u32be(version) || B || A instead of u32be(version) || A || B. */
const swapParties = (ad: Uint8Array): Uint8Array =>
  ad.length === 4 + 2 * PARTY ? Uint8Array.from([...ad.subarray(0, 4), ...ad.subarray(4 + PARTY), ...ad.subarray(4, 4 + PARTY)]) : ad;

cryptoMutant(
  "crypto.x3dh-associated-data-parties-swapped",
  ["ENC-X3DH-005"],
  "The session associated data lists the responder before the initiator, consistently in SK and in every message AD.",
  {
    "x3dh.initiate": async (inputs, provider) => {
      const wrapped = overrideProvider(provider, {
        hkdfSha256: (ikm, salt, info, length) => {
          if (!text(info).startsWith("kabar-v1 pqxdh") || info.length !== PQXDH_INFO + 4 + 2 * PARTY + 32) return provider.hkdfSha256(ikm, salt, info, length);
          const ad = swapParties(info.subarray(PQXDH_INFO, PQXDH_INFO + 4 + 2 * PARTY));
          return provider.hkdfSha256(ikm, salt, Uint8Array.from([...info.subarray(0, PQXDH_INFO), ...ad, ...info.subarray(PQXDH_INFO + ad.length)]), length);
        },
      });
      const out = await reference("x3dh.initiate")(inputs, wrapped);
      const session = deserializeSession(fromHex(out.session));
      const associatedData = swapParties(session.associatedData);
      return { ...out, associatedData: toHex(associatedData), session: toHex(serializeSession({ ...session, associatedData })) };
    },
  },
);

cryptoMutant(
  "crypto.x3dh-prekey-message-only-first",
  ["ENC-X3DH-006"],
  "The initiator wraps only its first message in a PreKeyMessage and sends plain ratchet messages after it, before any reply.",
  {
    "x3dh.encrypt": async (inputs, provider) => {
      const out = await reference("x3dh.encrypt")(inputs, provider);
      const record = deserializeSessionRecord(fromHex(out.record));
      if (record.current === undefined) return out;
      return { ...out, record: toHex(serializeSessionRecord({ ...record, current: { ...record.current, pendingPreKey: undefined } })) };
    },
  },
);

cryptoMutant(
  "crypto.x3dh-one-time-prekey-kept",
  ["ENC-X3DH-007"],
  "The responder never deletes a one-time prekey after a session start used it.",
  {
    "x3dh.decrypt": async (inputs, provider) => ({ ...(await reference("x3dh.decrypt")(inputs, provider)), oneTimePreKeys: inputs.oneTimePreKeys ?? [] }),
  },
);

cryptoMutant(
  "crypto.x3dh-prekey-sender-self-asserted",
  ["ENC-X3DH-008"],
  "The responder takes a PreKeyMessage's sender account, device and identity key from the message instead of checking them against the trusted sender.",
  {
    "x3dh.decrypt": (inputs, provider) => {
      let claimed: CaseFields = {};
      try {
        const wire = decodeMessage(PairwiseMessage, fromHex(inputs.message));
        if (wire.kind?.$case === "prekey") {
          const m = wire.kind.value;
          claimed = { senderAccountId: toHex(m.senderAccountId), senderDeviceId: m.senderDeviceId, senderIdentityKey: toHex(m.senderIdentityKey) };
        }
      } catch {
        claimed = {};
      }
      return reference("x3dh.decrypt")({ ...inputs, ...claimed }, provider);
    },
  },
);

cryptoMutant(
  "crypto.state-session-trailing-bytes-ignored",
  ["ENC-STATE-001"],
  "The session decoder ignores up to 64 trailing bytes after a complete session instead of rejecting them with KEY_INVALID.",
  {
    "state.session-roundtrip": async (inputs, provider) => {
      try {
        return await reference("state.session-roundtrip")(inputs, provider);
      } catch (error) {
        if (!isKabarError(error)) throw error;
        const bytes = fromHex(inputs.session);
        for (let cut = 1; cut <= 64 && cut < bytes.length; cut++) {
          try {
            return { session: toHex(serializeSession(deserializeSession(bytes.subarray(0, bytes.length - cut)))) };
          } catch {
            // not a complete session at this length either
          }
        }
        throw error;
      }
    },
  },
);

cryptoMutant(
  "crypto.x3dh-accepted-base-keys-forgotten",
  ["ENC-X3DH-009"],
  "The responder does not remember the base keys of the session starts it accepted, so a replayed start without a one-time prekey resets the session.",
  {
    "x3dh.decrypt": async (inputs, provider) => ({ ...(await reference("x3dh.decrypt")(inputs, provider)), seenBaseKeys: inputs.seenBaseKeys ?? [] }),
  },
);

cryptoMutant(
  "crypto.x3dh-ratchet-message-current-session-only",
  ["ENC-X3DH-010"],
  "The receiver tries a ratchet message on the current session only, never on the previous sessions of the record.",
  {
    "x3dh.decrypt": async (inputs, provider) => {
      let ratchet = false;
      try {
        ratchet = decodeMessage(PairwiseMessage, fromHex(inputs.message)).kind?.$case === "ratchet";
      } catch {
        ratchet = false;
      }
      const record = deserializeSessionRecord(fromHex(inputs.record));
      if (!ratchet || record.current === undefined) return reference("x3dh.decrypt")(inputs, provider);
      const out = await reference("x3dh.decrypt")({ ...inputs, record: toHex(serializeSessionRecord({ current: record.current, previous: [] })) }, provider);
      const after = deserializeSessionRecord(fromHex(out.record));
      return { ...out, record: toHex(serializeSessionRecord({ current: after.current, previous: record.previous })) };
    },
  },
);
