// Signed device lists (ENC-ID-003, ENC-ID-004): the only source of truth for
// which devices belong to an account, so a server cannot add one silently.
import { decodeMessage, DeviceCertificate, DeviceListBody, isKabarError, SignedDeviceList } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { bytesEqual, concatBytes, utf8 } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";
import type { AccountIdentity } from "./account-identity.js";
import { verifyDeviceCertificate, type VerifiedDevice } from "./device-certificate.js";

const DEVICE_LIST_CONTEXT = utf8("kabar-v1 device-list");
/** At most this many devices per account (ENC-ID-003). */
export const MAX_DEVICES = 16;
/** Largest accepted serialized device-list body. */
export const MAX_DEVICE_LIST_BODY = 16 * 1024;

/** A device list whose signature, certificates and ordering were checked. */
export interface VerifiedDeviceList {
  /** The account. */
  readonly accountId: Uint8Array;
  /** The list version. */
  readonly version: bigint;
  /** The devices in increasing device id order. */
  readonly devices: readonly VerifiedDevice[];
  /** The list as received; keep it to check the next one against (ENC-ID-004). */
  readonly signed: SignedDeviceList;
}

/** What a receiver remembers of the last list it accepted. */
export interface SeenDeviceList {
  /** The highest version accepted so far. */
  readonly version: bigint;
  /** The body bytes of that version. */
  readonly body: Uint8Array;
}

/** Signs a device list: certificates are sorted by device id (ENC-ID-003). */
export function signDeviceList(
  provider: CryptoProvider, account: AccountIdentity, version: bigint, certificates: readonly DeviceCertificate[], issuedAtMs = 0,
): SignedDeviceList {
  if (version < 1n) fail(ErrorCode.DEVICE_LIST_STALE, "device list version starts at 1", "ENC-ID-004");
  const devices = certificates
    .map((certificate) => ({ certificate, device: verifyDeviceCertificate(provider, certificate, account.keyPair.publicKey) }))
    .sort((a, b) => a.device.deviceId - b.device.deviceId)
    .map((entry) => entry.certificate);
  const body = DeviceListBody.encode(DeviceListBody.fromPartial({ accountId: account.accountId, version, devices, issuedAtMs: BigInt(issuedAtMs) })).finish();
  checkBody(body);
  return SignedDeviceList.fromPartial({ body, signature: provider.ed25519Sign(account.keyPair, concatBytes(DEVICE_LIST_CONTEXT, body)) });
}

function checkBody(body: Uint8Array): void {
  if (body.length > MAX_DEVICE_LIST_BODY) fail(ErrorCode.DEVICE_LIMIT, "device list body too large", "ENC-ID-003");
}

/**
 * Verifies a signed device list (ENC-ID-003) and its version against the last
 * one seen (ENC-ID-004): signature by the trusted identity key, account match,
 * at most 16 devices in strictly increasing device id order, every certificate
 * valid for the same account, version never lower, and one version never
 * naming two different bodies.
 */
export function verifyDeviceList(
  provider: CryptoProvider, list: SignedDeviceList, trustedIdentityKey: Uint8Array, previous?: SeenDeviceList,
): VerifiedDeviceList {
  checkBody(list.body);
  if (!provider.ed25519Verify(trustedIdentityKey, concatBytes(DEVICE_LIST_CONTEXT, list.body), list.signature)) {
    fail(ErrorCode.SIGNATURE_INVALID, "device list signature invalid", "ENC-ID-003");
  }
  let body: DeviceListBody;
  try {
    body = decodeMessage(DeviceListBody, list.body);
  } catch {
    return fail(ErrorCode.CERTIFICATE_INVALID, "device list body does not decode", "ENC-ID-003");
  }
  if (!bytesEqual(body.accountId, provider.sha256(trustedIdentityKey))) fail(ErrorCode.CERTIFICATE_INVALID, "device list account mismatch", "ENC-ID-003");
  if (body.version < 1n) fail(ErrorCode.DEVICE_LIST_STALE, "device list version below 1", "ENC-ID-004");
  if (previous !== undefined) {
    if (body.version < previous.version) fail(ErrorCode.DEVICE_LIST_STALE, "device list version went backwards", "ENC-ID-004");
    if (body.version === previous.version && !bytesEqual(list.body, previous.body)) fail(ErrorCode.DEVICE_LIST_STALE, "two device lists with one version", "ENC-ID-004");
  }
  if (body.devices.length > MAX_DEVICES) fail(ErrorCode.DEVICE_LIMIT, "more than 16 devices", "ENC-ID-003");
  const devices: VerifiedDevice[] = [];
  for (const certificate of body.devices) {
    // ENC-ID-003: a list holding any certificate that fails ENC-ID-002 is
    // itself a malformed list, whatever the certificate's own failure was.
    let device: VerifiedDevice;
    try {
      device = verifyDeviceCertificate(provider, certificate, trustedIdentityKey);
    } catch (error) {
      if (isKabarError(error)) fail(ErrorCode.CERTIFICATE_INVALID, "device list holds an invalid certificate", "ENC-ID-003");
      throw error;
    }
    const last = devices[devices.length - 1];
    if (last !== undefined && device.deviceId <= last.deviceId) fail(ErrorCode.CERTIFICATE_INVALID, "device ids not unique and increasing", "ENC-ID-003");
    devices.push(device);
  }
  return { accountId: body.accountId, version: body.version, devices, signed: list };
}

/** Finds a device in a verified list; throws DEVICE_UNTRUSTED when absent or when its keys differ. */
export function requireListedDevice(list: VerifiedDeviceList, deviceId: number, identityKey?: Uint8Array): VerifiedDevice {
  const device = list.devices.find((entry) => entry.deviceId === deviceId);
  if (device === undefined || (identityKey !== undefined && !bytesEqual(device.identityKey, identityKey))) {
    fail(ErrorCode.DEVICE_UNTRUSTED, "device not in the signed device list", "ENC-ID-003");
  }
  return device;
}
