// Shared test fixtures: accounts, devices, prekeys and a prekey lookup.
import { expect } from "vitest";
import { errorCodeName, isKabarError, type ErrorCode, type KabarError, type PreKeyBundle } from "@kabar/protocol";
import { NodeCryptoProvider } from "../src/provider/node-provider.js";
import type { CryptoProvider } from "../src/provider/crypto-provider.js";
import { createAccountIdentity, createDeviceKeys, type AccountIdentity } from "../src/identity/account-identity.js";
import { issueDeviceCertificate, verifyDeviceCertificate, type VerifiedDevice } from "../src/identity/device-certificate.js";
import { createKemPreKey, createOneTimePreKey, createSignedPreKey, type KemPreKeyRecord, type PreKeyRecord } from "../src/session/prekeys.js";
import type { LocalDevice, PreKeyLookup } from "../src/session/session-cipher.js";

export const provider = new NodeCryptoProvider();

export interface TestDevice {
  account: AccountIdentity;
  local: LocalDevice;
  verified: VerifiedDevice;
  signed: Map<number, PreKeyRecord>;
  kem: Map<number, KemPreKeyRecord>;
  oneTime: Map<number, PreKeyRecord>;
  lookup: PreKeyLookup;
  bundle: (withOneTime?: boolean) => PreKeyBundle;
}

export function makeDevice(p: CryptoProvider = provider, deviceId = 1, account = createAccountIdentity(p)): TestDevice {
  const keys = createDeviceKeys(p, deviceId);
  const certificate = issueDeviceCertificate(p, account, keys, 1_700_000_000_000);
  const verified = verifyDeviceCertificate(p, certificate, account.keyPair.publicKey);
  const spk = createSignedPreKey(p, keys, 7);
  const kpk = createKemPreKey(p, keys, 9, true);
  const signed = new Map([[7, spk.record]]);
  const kem = new Map([[9, kpk.record]]);
  const oneTime = new Map<number, PreKeyRecord>();
  const published = new Map<number, ReturnType<typeof createOneTimePreKey>["published"]>();
  let nextOneTime = 100;
  return {
    account, verified, signed, kem, oneTime,
    local: { accountId: account.accountId, keys },
    lookup: { signedPreKey: (id) => signed.get(id), kemPreKey: (id) => kem.get(id), oneTimePreKey: (id) => oneTime.get(id) },
    bundle: (withOneTime = true) => {
      let otpk;
      if (withOneTime) {
        const created = createOneTimePreKey(p, nextOneTime++);
        oneTime.set(created.record.id, created.record);
        published.set(created.record.id, created.published);
        otpk = created.published;
      }
      return { certificate, signedPrekey: spk.published, kemPrekey: kpk.published, oneTimePrekey: otpk };
    },
  };
}

export function expectKabarError(fn: () => unknown, code: ErrorCode): KabarError {
  let thrown: unknown;
  try { fn(); } catch (error) { thrown = error; }
  expect(isKabarError(thrown), `expected KabarError ${errorCodeName(code)}, got ${String(thrown)}`).toBe(true);
  expect(errorCodeName((thrown as KabarError).code)).toBe(errorCodeName(code));
  return thrown as KabarError;
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);
