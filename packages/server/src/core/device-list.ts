import { createHash } from "node:crypto";
import {
  ACCOUNT_ID_BYTES, DeviceCertificate, DeviceCertificateBody, DeviceListBody, ErrorCode, KabarError, MAX_DEVICES_PER_ACCOUNT,
  decodeMessage, type SignedDeviceList,
} from "@kabar/protocol";
import type { DeviceKeys, StoredDeviceList } from "../store/server-store.js";
import { fail, invalidField } from "./fail.js";
import { checkEd25519, checkX25519 } from "./keys.js";
import { CONTEXT, verifyEd25519 } from "./signatures.js";

const MAX_LIST_BODY_BYTES = 16_384;
const MAX_CERTIFICATE_BODY_BYTES = 512;
const MAX_DEVICE_ID = 0x7fffffff;

/** A device list that verified against an identity key. */
export interface VerifiedDeviceList {
  readonly stored: StoredDeviceList;
  readonly devices: DeviceKeys[];
}

/** account_id = SHA-256(identity key) (ENC-ID-001). */
export function accountIdOf(identityKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(identityKey).digest());
}

function decodeStrict<T>(codec: Parameters<typeof decodeMessage<T>>[0], bytes: Uint8Array, code: ErrorCode, what: string): T {
  try {
    return decodeMessage(codec, bytes);
  } catch (error) {
    throw new KabarError(code, `${what} does not decode`, { cause: error });
  }
}

/**
 * Verifies a signed device list exactly as received: the list signature by
 * the identity key over "kabar-v1 device-list" || body (ENC-ID-003), each
 * certificate's signature over "kabar-v1 device-certificate" || body
 * (ENC-ID-002), and that everything names the same account. Keys are
 * extracted from the verified bytes; the server keeps the list verbatim,
 * so it can serve but never forge one (SERVER-DEVICES-001).
 */
export function verifyDeviceList(list: SignedDeviceList | undefined, identityKey: Uint8Array, accountId: Uint8Array): VerifiedDeviceList {
  if (list === undefined) throw invalidField("device_list is required");
  if (list.body.length > MAX_LIST_BODY_BYTES) throw invalidField("device list body exceeds 16 KiB");
  if (!verifyEd25519(identityKey, list.signature, CONTEXT.deviceList, list.body)) {
    throw fail(ErrorCode.SIGNATURE_INVALID, "device list signature does not verify", "SERVER-DEVICES-001");
  }
  const body = decodeStrict(DeviceListBody, list.body, ErrorCode.SIGNATURE_INVALID, "device list body");
  if (body.accountId.length !== ACCOUNT_ID_BYTES || Buffer.compare(body.accountId, accountId) !== 0) {
    throw fail(ErrorCode.SIGNATURE_INVALID, "device list names another account", "SERVER-DEVICES-001");
  }
  if (body.version < 1n) throw invalidField("device list version starts at 1");
  if (body.devices.length === 0) throw invalidField("a device list names at least one device");
  if (body.devices.length > MAX_DEVICES_PER_ACCOUNT) throw fail(ErrorCode.DEVICE_LIMIT, `at most ${MAX_DEVICES_PER_ACCOUNT} devices`);
  const devices: DeviceKeys[] = [];
  let previous = 0;
  for (const certificate of body.devices) {
    const device = verifyCertificate(certificate, identityKey, accountId);
    if (device.deviceId <= previous) throw fail(ErrorCode.CERTIFICATE_INVALID, "devices must be in increasing device_id order, each once");
    previous = device.deviceId;
    devices.push(device);
  }
  return { stored: { body: list.body, signature: list.signature, version: body.version }, devices };
}

function verifyCertificate(certificate: DeviceCertificate, identityKey: Uint8Array, accountId: Uint8Array): DeviceKeys {
  const bad = (why: string): KabarError => fail(ErrorCode.CERTIFICATE_INVALID, `device certificate ${why}`, "SERVER-DEVICES-001");
  if (certificate.body.length > MAX_CERTIFICATE_BODY_BYTES) throw bad("body exceeds 512 bytes");
  if (!verifyEd25519(identityKey, certificate.signature, CONTEXT.deviceCertificate, certificate.body)) throw bad("signature does not verify");
  const body = decodeStrict(DeviceCertificateBody, certificate.body, ErrorCode.CERTIFICATE_INVALID, "device certificate body");
  if (Buffer.compare(body.accountId, accountId) !== 0) throw bad("names another account");
  if (Buffer.compare(body.accountIdentityKey, identityKey) !== 0) throw bad("names another identity key");
  if (body.deviceId < 1 || body.deviceId > MAX_DEVICE_ID) throw bad("has a device id outside 1..2^31-1");
  try {
    checkEd25519(body.deviceSigningKey, "device signing key");
    checkX25519(body.deviceIdentityKey, "device identity key");
  } catch {
    throw bad("carries an invalid key");
  }
  return {
    deviceId: body.deviceId,
    signingKey: body.deviceSigningKey,
    identityKey: body.deviceIdentityKey,
    certificate: DeviceCertificate.encode(certificate).finish(),
  };
}
