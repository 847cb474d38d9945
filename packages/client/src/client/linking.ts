// Linking a new device (CLIENT-LINK-*): the new device shows a
// LinkingPayload (never sent through the server); an existing device
// verifies it, issues the certificate, publishes the new signed device
// list, and returns a LinkApproval that the app carries back to the new
// device over the same local channel.
import {
  issueDeviceCertificate, signDeviceList, type AccountIdentity, type CryptoProvider, type DeviceKeys,
} from "@kabar/crypto";
import { isKabarError, LinkingPayload } from "@kabar/protocol";
import { bytesEqual, concatBytes, utf8 } from "../util/bytes.js";
import { ErrorCode, fail } from "../util/errors.js";
import type { ClientContext } from "./context.js";
import type { BackupPointer } from "./history.js";

const LINKING_CONTEXT = utf8("kabar-v1 linking");
const X25519_TAG = Uint8Array.of(0x02);

/** What an approving device hands back to the new device. */
export interface LinkApproval {
  /** The account id. */
  readonly accountId: Uint8Array;
  /** The account identity public key. */
  readonly accountIdentityKey: Uint8Array;
  /** The account identity private key (Ed25519 seed), so the new device can approve devices too (CLIENT-LINK-002). */
  readonly accountIdentitySeed: Uint8Array | undefined;
  /** The device id assigned to the new device. */
  readonly deviceId: number;
  /** The nonce from the payload, binding the approval to it. */
  readonly nonce: Uint8Array;
  /** The latest key backup the approving device knows, for restoring history with the recovery secret. */
  readonly backup: BackupPointer | undefined;
}

/** The bytes a LinkingPayload signature covers. */
export function linkingSignedBytes(nonce: Uint8Array, identityKey: Uint8Array): Uint8Array {
  return concatBytes(LINKING_CONTEXT, nonce, X25519_TAG, identityKey);
}

/** Creates the payload a new device shows, for device keys created with a placeholder id. */
export function createLinkingPayload(provider: CryptoProvider, keys: DeviceKeys, nonce: Uint8Array): LinkingPayload {
  const signature = provider.ed25519Sign(keys.signing, linkingSignedBytes(nonce, keys.identity.publicKey));
  return { deviceSigningKey: keys.signing.publicKey, deviceIdentityKey: keys.identity.publicKey, nonce, signature };
}

/**
 * Approves a payload: checks its proof of possession (CLIENT-LINK-001),
 * assigns the next device id, signs and publishes the new device list.
 */
export async function approveLinkingPayload(ctx: ClientContext, payload: LinkingPayload): Promise<{ deviceId: number; account: AccountIdentity }> {
  const account = ctx.local.account;
  if (account === undefined) return fail(ErrorCode.DEVICE_UNTRUSTED, "this device does not hold the account identity key", "CLIENT-LINK-002");
  if (payload.deviceSigningKey.length !== 32 || payload.deviceIdentityKey.length !== 32 || payload.nonce.length !== 16) {
    fail(ErrorCode.KEY_INVALID, "linking payload field lengths", "CLIENT-LINK-001");
  }
  // CLIENT-LINK-001: the new device proves it holds both keys it asks to certify.
  if (!ctx.provider.ed25519Verify(payload.deviceSigningKey, linkingSignedBytes(payload.nonce, payload.deviceIdentityKey), payload.signature)) {
    fail(ErrorCode.SIGNATURE_INVALID, "linking payload signature invalid", "CLIENT-LINK-001");
  }
  const list = await ctx.directory.refresh(ctx.local.accountId);
  if (list.devices.some((d) => bytesEqual(d.signingKey, payload.deviceSigningKey))) fail(ErrorCode.KEY_INVALID, "device already linked", "CLIENT-LINK-001");
  // Device ids are never reused within an account (ENC-ID-002): take one above every id seen.
  const highest = Math.max(0, ...list.devices.map((d) => d.deviceId), await highestIssued(ctx));
  // Another device may have issued (and removed) higher ids than this one
  // knows; the server refuses a reused id with CERTIFICATE_INVALID, so step up.
  for (let deviceId = highest + 1; ; deviceId++) {
    const certificate = issueDeviceCertificate(ctx.provider, account, {
      deviceId, signing: { publicKey: payload.deviceSigningKey }, identity: { publicKey: payload.deviceIdentityKey },
    }, ctx.clock.now());
    const signed = signDeviceList(ctx.provider, account, list.version + 1n, [...list.devices.map((d) => d.certificate), certificate], ctx.clock.now());
    try {
      await ctx.link.request("publishDeviceList", { deviceList: signed });
    } catch (error) {
      if (isKabarError(error, ErrorCode.CERTIFICATE_INVALID) && deviceId < highest + 64) continue;
      throw error;
    }
    await ctx.store.setValue("highest-device-id", utf8(String(deviceId)));
    await ctx.directory.accept(ctx.local.accountId, signed);
    return { deviceId, account };
  }
}

async function highestIssued(ctx: ClientContext): Promise<number> {
  const bytes = await ctx.store.getValue("highest-device-id");
  return bytes === undefined ? 0 : Number(new TextDecoder().decode(bytes));
}

/** Removes a device from the account's list (for example a lost phone). */
export async function removeDevice(ctx: ClientContext, deviceId: number): Promise<void> {
  const account = ctx.local.account;
  if (account === undefined) return fail(ErrorCode.DEVICE_UNTRUSTED, "this device does not hold the account identity key", "CLIENT-LINK-002");
  const list = await ctx.directory.refresh(ctx.local.accountId);
  const remaining = list.devices.filter((d) => d.deviceId !== deviceId).map((d) => d.certificate);
  const signed = signDeviceList(ctx.provider, account, list.version + 1n, remaining, ctx.clock.now());
  await ctx.link.request("publishDeviceList", { deviceList: signed });
  await ctx.directory.accept(ctx.local.accountId, signed);
}
