// Device certificates (ENC-ID-002): the account identity key signs a body that
// is carried serialized, so the signature covers exactly the received bytes.
import { decodeMessage, DeviceCertificate, DeviceCertificateBody } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { bytesEqual, concatBytes, utf8 } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";
import { accountIdOf, checkDeviceId, type AccountIdentity, type DeviceKeys } from "./account-identity.js";

const CERTIFICATE_CONTEXT = utf8("kabar-v1 device-certificate");
/** Largest accepted serialized certificate body. */
export const MAX_CERTIFICATE_BODY = 512;

/** A certificate whose signature and fields were checked. */
export interface VerifiedDevice {
  /** The account the device belongs to. */
  readonly accountId: Uint8Array;
  /** The account identity key that signed the certificate. */
  readonly accountIdentityKey: Uint8Array;
  /** The device id. */
  readonly deviceId: number;
  /** The device's Ed25519 signing key. */
  readonly signingKey: Uint8Array;
  /** The device's X25519 identity key. */
  readonly identityKey: Uint8Array;
  /** The certificate as received. */
  readonly certificate: DeviceCertificate;
}

/** Issues a certificate for a device, signed by the account identity key (ENC-ID-002). */
export function issueDeviceCertificate(
  provider: CryptoProvider, account: AccountIdentity, device: Pick<DeviceKeys, "deviceId"> & { signing: { publicKey: Uint8Array }; identity: { publicKey: Uint8Array } }, issuedAtMs = 0,
): DeviceCertificate {
  checkDeviceId(device.deviceId, ErrorCode.KEY_INVALID);
  const body = DeviceCertificateBody.encode(DeviceCertificateBody.fromPartial({
    accountId: account.accountId,
    accountIdentityKey: account.keyPair.publicKey,
    deviceId: device.deviceId,
    deviceSigningKey: device.signing.publicKey,
    deviceIdentityKey: device.identity.publicKey,
    issuedAtMs: BigInt(issuedAtMs),
  })).finish();
  const signature = provider.ed25519Sign(account.keyPair, concatBytes(CERTIFICATE_CONTEXT, body));
  return DeviceCertificate.fromPartial({ body, signature });
}

/**
 * Verifies a certificate against the account identity key the caller trusts
 * (ENC-ID-002). Throws UNTRUSTED_IDENTITY when it names another identity key,
 * SIGNATURE_INVALID for a bad signature, CERTIFICATE_INVALID for malformed fields.
 */
export function verifyDeviceCertificate(provider: CryptoProvider, certificate: DeviceCertificate | undefined, trustedIdentityKey: Uint8Array): VerifiedDevice {
  if (certificate === undefined || !(certificate.body instanceof Uint8Array)) return fail(ErrorCode.CERTIFICATE_INVALID, "certificate missing", "ENC-ID-002");
  if (certificate.body.length > MAX_CERTIFICATE_BODY) fail(ErrorCode.CERTIFICATE_INVALID, "certificate body too large", "ENC-ID-002");
  let body: DeviceCertificateBody;
  try {
    body = decodeMessage(DeviceCertificateBody, certificate.body);
  } catch {
    return fail(ErrorCode.CERTIFICATE_INVALID, "certificate body does not decode", "ENC-ID-002");
  }
  if (body.accountIdentityKey.length !== 32) fail(ErrorCode.CERTIFICATE_INVALID, "certificate identity key length", "ENC-ID-002");
  // Identity trust is checked first, as in X3DH: a different key is a trust
  // question for the user, not a malformed certificate.
  if (!bytesEqual(body.accountIdentityKey, trustedIdentityKey)) fail(ErrorCode.UNTRUSTED_IDENTITY, "certificate signed by an untrusted identity key", "ENC-ID-002");
  if (!provider.ed25519Verify(trustedIdentityKey, concatBytes(CERTIFICATE_CONTEXT, certificate.body), certificate.signature)) {
    fail(ErrorCode.SIGNATURE_INVALID, "certificate signature invalid", "ENC-ID-002");
  }
  if (!bytesEqual(body.accountId, accountIdOf(provider, trustedIdentityKey))) fail(ErrorCode.CERTIFICATE_INVALID, "certificate account id mismatch", "ENC-ID-001");
  checkDeviceId(body.deviceId);
  if (body.deviceSigningKey.length !== 32 || body.deviceIdentityKey.length !== 32) fail(ErrorCode.CERTIFICATE_INVALID, "certificate device key length", "ENC-ID-002");
  return {
    accountId: body.accountId, accountIdentityKey: body.accountIdentityKey, deviceId: body.deviceId,
    signingKey: body.deviceSigningKey, identityKey: body.deviceIdentityKey, certificate,
  };
}
