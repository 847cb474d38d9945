import { describe, expect, it } from "vitest";
import { DeviceCertificate, DeviceCertificateBody, DeviceListBody, ErrorCode, SignedDeviceList } from "@kabar/protocol";
import { accountIdOf, createAccountIdentity, createDeviceKeys } from "../src/identity/account-identity.js";
import { issueDeviceCertificate, verifyDeviceCertificate } from "../src/identity/device-certificate.js";
import { requireListedDevice, signDeviceList, verifyDeviceList } from "../src/identity/device-list.js";
import { fingerprintDigits, safetyNumber } from "../src/identity/safety-number.js";
import { createLinkingPayload, verifyLinkingPayload } from "../src/identity/linking.js";
import { concatBytes, utf8 } from "../src/encoding/bytes.js";
import { expectKabarError, provider } from "./fixtures.js";

const account = createAccountIdentity(provider);
const certs = [3, 1, 2].map((id) => issueDeviceCertificate(provider, account, createDeviceKeys(provider, id), 1000));

describe("identity", () => {
  it("ENC-ID-001: account id is SHA-256 of the identity key", () => {
    expect(account.accountId).toEqual(provider.sha256(account.keyPair.publicKey));
    expect(accountIdOf(provider, account.keyPair.publicKey)).toEqual(account.accountId);
  });

  it("ENC-ID-002: certificates verify; tampered body or signature fail; other identity is UNTRUSTED_IDENTITY", () => {
    const device = verifyDeviceCertificate(provider, certs[0], account.keyPair.publicKey);
    expect(device.deviceId).toBe(3);
    const body = new Uint8Array(certs[0]!.body); body[body.length - 1]! ^= 1;
    expectKabarError(() => verifyDeviceCertificate(provider, { ...certs[0]!, body }, account.keyPair.publicKey), ErrorCode.SIGNATURE_INVALID);
    const signature = new Uint8Array(certs[0]!.signature); signature[0]! ^= 1;
    expectKabarError(() => verifyDeviceCertificate(provider, { ...certs[0]!, signature }, account.keyPair.publicKey), ErrorCode.SIGNATURE_INVALID);
    const other = createAccountIdentity(provider);
    expectKabarError(() => verifyDeviceCertificate(provider, certs[0], other.keyPair.publicKey), ErrorCode.UNTRUSTED_IDENTITY);
  });

  it("ENC-ID-002: a validly signed certificate with a wrong account id or device id 0 is CERTIFICATE_INVALID", () => {
    const sign = (fields: Partial<DeviceCertificateBody>) => {
      const body = DeviceCertificateBody.encode(DeviceCertificateBody.fromPartial({
        accountId: account.accountId, accountIdentityKey: account.keyPair.publicKey, deviceId: 1,
        deviceSigningKey: new Uint8Array(32), deviceIdentityKey: new Uint8Array(32), ...fields,
      })).finish();
      return DeviceCertificate.fromPartial({ body, signature: provider.ed25519Sign(account.keyPair, concatBytes(utf8("kabar-v1 device-certificate"), body)) });
    };
    expectKabarError(() => verifyDeviceCertificate(provider, sign({ accountId: new Uint8Array(32) }), account.keyPair.publicKey), ErrorCode.CERTIFICATE_INVALID);
    expectKabarError(() => verifyDeviceCertificate(provider, sign({ deviceId: 0 }), account.keyPair.publicKey), ErrorCode.CERTIFICATE_INVALID);
  });

  it("ENC-ID-003: device lists sort devices, verify, and reject forged or oversized lists", () => {
    const list = signDeviceList(provider, account, 1n, certs);
    const verified = verifyDeviceList(provider, list, account.keyPair.publicKey);
    expect(verified.devices.map((d) => d.deviceId)).toEqual([1, 2, 3]);
    expect(requireListedDevice(verified, 2).deviceId).toBe(2);
    expectKabarError(() => requireListedDevice(verified, 4), ErrorCode.DEVICE_UNTRUSTED);
    const forged = { ...list, body: new Uint8Array([...list.body, 0x20, 0x02]) };
    expectKabarError(() => verifyDeviceList(provider, forged, account.keyPair.publicKey), ErrorCode.SIGNATURE_INVALID);
    const signRaw = (body: DeviceListBody) => {
      const bytes = DeviceListBody.encode(body).finish();
      return SignedDeviceList.fromPartial({ body: bytes, signature: provider.ed25519Sign(account.keyPair, concatBytes(utf8("kabar-v1 device-list"), bytes)) });
    };
    const duplicated = signRaw(DeviceListBody.fromPartial({ accountId: account.accountId, version: 2n, devices: [certs[1]!, certs[1]!] }));
    expectKabarError(() => verifyDeviceList(provider, duplicated, account.keyPair.publicKey), ErrorCode.CERTIFICATE_INVALID);
    const many = Array.from({ length: 17 }, (_, i) => issueDeviceCertificate(provider, account, createDeviceKeys(provider, i + 1)));
    expectKabarError(() => verifyDeviceList(provider, signRaw(DeviceListBody.fromPartial({ accountId: account.accountId, version: 2n, devices: many })), account.keyPair.publicKey), ErrorCode.DEVICE_LIMIT);
    const wrongAccount = signRaw(DeviceListBody.fromPartial({ accountId: new Uint8Array(32), version: 2n, devices: [] }));
    expectKabarError(() => verifyDeviceList(provider, wrongAccount, account.keyPair.publicKey), ErrorCode.CERTIFICATE_INVALID);
  });

  it("ENC-ID-004: device list versions never go backwards and one version names one body", () => {
    const v1 = signDeviceList(provider, account, 1n, certs.slice(0, 1));
    const v2 = signDeviceList(provider, account, 2n, certs);
    const seen = { version: 2n, body: v2.body };
    expect(verifyDeviceList(provider, v2, account.keyPair.publicKey, seen).version).toBe(2n);
    expectKabarError(() => verifyDeviceList(provider, v1, account.keyPair.publicKey, seen), ErrorCode.DEVICE_LIST_STALE);
    const fork = signDeviceList(provider, account, 2n, certs.slice(0, 2));
    expectKabarError(() => verifyDeviceList(provider, fork, account.keyPair.publicKey, seen), ErrorCode.DEVICE_LIST_STALE);
  });

  it("ENC-ID-005: safety numbers are 60 digits, symmetric, and change with either key", () => {
    const other = createAccountIdentity(provider);
    const n = safetyNumber(provider, account.keyPair.publicKey, other.keyPair.publicKey);
    expect(n).toMatch(/^\d{60}$/);
    expect(safetyNumber(provider, other.keyPair.publicKey, account.keyPair.publicKey)).toBe(n);
    expect(n).toContain(fingerprintDigits(provider, other.keyPair.publicKey));
    const third = createAccountIdentity(provider);
    expect(safetyNumber(provider, account.keyPair.publicKey, third.keyPair.publicKey)).not.toBe(n);
  });

  it("ENC-ID-006: a linking payload proves possession of both keys; swapped keys or short nonces fail", () => {
    const keys = createDeviceKeys(provider, 5);
    const payload = createLinkingPayload(provider, keys);
    expect(verifyLinkingPayload(provider, payload)).toBe(payload);
    const other = createDeviceKeys(provider, 6);
    expectKabarError(() => verifyLinkingPayload(provider, { ...payload, deviceIdentityKey: other.identity.publicKey }), ErrorCode.SIGNATURE_INVALID);
    expectKabarError(() => verifyLinkingPayload(provider, { ...payload, nonce: payload.nonce.subarray(1) }), ErrorCode.KEY_INVALID);
  });
});
