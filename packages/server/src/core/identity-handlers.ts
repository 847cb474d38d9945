import {
  ACCOUNT_ID_BYTES, ErrorCode, MAX_DEVICES_PER_ACCOUNT, MAX_PREKEYS_PER_UPLOAD, type ClaimPreKeysRequest, type ClaimPreKeysResponse,
  type GetDeviceListRequest, type GetDeviceListResponse, type KemPreKey, type PublishDeviceListRequest, type PublishDeviceListResponse,
  type RegisterAccountRequest, type RegisterAccountResponse, type UploadPreKeysRequest, type UploadPreKeysResponse,
} from "@kabar/protocol";
import type { Caller, CoreContext, PushEffect } from "./context.js";
import { accountIdOf, verifyDeviceList } from "./device-list.js";
import { fail, invalidField, notFound } from "./fail.js";
import { MLKEM768_KEY_BYTES, checkEd25519, checkX25519 } from "./keys.js";
import { CONTEXT, u32be, verifyEd25519 } from "./signatures.js";

const TAG_X25519 = new Uint8Array([0x02]);
const TAG_MLKEM = new Uint8Array([0x03]);

/** Result of a handler: the response body and what to push after it. */
export interface Handled<T> {
  readonly body: T;
  readonly pushes?: readonly PushEffect[];
}

function checkAccountId(id: Uint8Array): void {
  if (id.length !== ACCOUNT_ID_BYTES) throw invalidField("account_id must be 32 bytes");
}

/** RegisterAccount: a verified version-1 list naming exactly one device (SERVER-DEVICES-001). */
export async function registerAccount(ctx: CoreContext, request: RegisterAccountRequest): Promise<Handled<RegisterAccountResponse>> {
  checkEd25519(request.identityKey, "identity key");
  const accountId = accountIdOf(request.identityKey);
  const verified = verifyDeviceList(request.deviceList, request.identityKey, accountId);
  if (verified.stored.version !== 1n) throw invalidField("the first device list has version 1");
  if (verified.devices.length !== 1) throw invalidField("the first device list names exactly one device");
  await ctx.store.createAccount({
    accountId, identityKey: request.identityKey, deviceList: verified.stored, device: verified.devices[0]!, nowMs: ctx.clock.nowMs(),
  });
  return { body: { accountId } };
}

/** PublishDeviceList: strictly newer version, every certificate verified, stored verbatim. */
export async function publishDeviceList(ctx: CoreContext, caller: Caller, request: PublishDeviceListRequest): Promise<Handled<PublishDeviceListResponse>> {
  const account = await ctx.store.getAccount(caller.accountId);
  if (account === undefined) throw notFound("account");
  const verified = verifyDeviceList(request.deviceList, account.identityKey, caller.accountId);
  if (verified.devices.length > MAX_DEVICES_PER_ACCOUNT) throw fail(ErrorCode.DEVICE_LIMIT, "too many devices");
  const committed = await ctx.store.publishDeviceList({
    accountId: caller.accountId, deviceList: verified.stored, devices: verified.devices, nowMs: ctx.clock.nowMs(),
  });
  const pushes: PushEffect[] = committed.deliveries.map((d) => ({ kind: "update", accountId: d.accountId, update: d.update }));
  pushes.push({ kind: "deviceList", accountIds: committed.deliveries.map((d) => d.accountId), deviceList: request.deviceList! });
  const { removedDeviceIds, ...body } = committed.response;
  if (removedDeviceIds.length > 0) pushes.push({ kind: "devicesRemoved", accountId: caller.accountId, deviceIds: removedDeviceIds });
  return { body, pushes };
}

/** GetDeviceList: any account's list, byte for byte as published. */
export async function getDeviceList(ctx: CoreContext, request: GetDeviceListRequest): Promise<Handled<GetDeviceListResponse>> {
  checkAccountId(request.accountId);
  const account = await ctx.store.getAccount(request.accountId);
  if (account === undefined) throw notFound("account");
  return { body: { deviceList: { body: account.deviceList.body, signature: account.deviceList.signature } } };
}

function checkKem(key: KemPreKey, signingKey: Uint8Array, lastResort: boolean): void {
  if (key.publicKey.length !== MLKEM768_KEY_BYTES) throw fail(ErrorCode.KEY_INVALID, `ML-KEM-768 keys are ${MLKEM768_KEY_BYTES} bytes`, "SERVER-PREKEY-002");
  if (key.lastResort !== lastResort) throw invalidField(lastResort ? "last_resort_kem_prekey must set last_resort" : "one-time KEM prekeys must not set last_resort");
  if (!verifyEd25519(signingKey, key.signature, CONTEXT.kemPreKey, u32be(key.id), TAG_MLKEM, key.publicKey)) {
    throw fail(ErrorCode.SIGNATURE_INVALID, `KEM prekey ${key.id} signature does not verify`, "SERVER-PREKEY-002");
  }
}

/** UploadPreKeys: every signature and key checked before anything is stored (SERVER-PREKEY-002). */
export async function uploadPreKeys(ctx: CoreContext, caller: Caller, request: UploadPreKeysRequest): Promise<Handled<UploadPreKeysResponse>> {
  if (request.kemPrekeys.length > MAX_PREKEYS_PER_UPLOAD || request.oneTimePrekeys.length > MAX_PREKEYS_PER_UPLOAD) {
    throw invalidField(`at most ${MAX_PREKEYS_PER_UPLOAD} prekeys of each kind per upload`);
  }
  const device = (await ctx.store.listDevices(caller.accountId)).find((d) => d.deviceId === caller.deviceId && d.current);
  if (device === undefined) throw notFound("device");
  const signed = request.signedPrekey;
  if (signed !== undefined) {
    checkX25519(signed.publicKey, "signed prekey");
    if (!verifyEd25519(device.signingKey, signed.signature, CONTEXT.signedPreKey, u32be(signed.id), TAG_X25519, signed.publicKey)) {
      throw fail(ErrorCode.SIGNATURE_INVALID, "signed prekey signature does not verify", "SERVER-PREKEY-002");
    }
  }
  for (const key of request.kemPrekeys) checkKem(key, device.signingKey, false);
  if (request.lastResortKemPrekey !== undefined) checkKem(request.lastResortKemPrekey, device.signingKey, true);
  const ids = new Set<number>();
  for (const key of request.oneTimePrekeys) {
    checkX25519(key.publicKey, `one-time prekey ${key.id}`);
    if (ids.has(key.id)) throw invalidField(`one-time prekey id ${key.id} appears twice`);
    ids.add(key.id);
  }
  if (new Set(request.kemPrekeys.map((k) => k.id)).size !== request.kemPrekeys.length) throw invalidField("a KEM prekey id appears twice");
  const counts = await ctx.store.uploadPreKeys({
    accountId: caller.accountId,
    deviceId: caller.deviceId,
    signedPreKey: signed,
    kemPreKeys: request.kemPrekeys,
    oneTimePreKeys: request.oneTimePrekeys,
    lastResortKemPreKey: request.lastResortKemPrekey,
    maxStored: ctx.limits.maxStoredPreKeys,
  });
  return { body: { oneTimePrekeys: counts.oneTimePreKeys, kemPrekeys: counts.kemPreKeys } };
}

/** ClaimPreKeys: rate limited per claiming account (SERVER-PREKEY-005), each one-time key once (SERVER-PREKEY-001). */
export async function claimPreKeys(ctx: CoreContext, caller: Caller, request: ClaimPreKeysRequest): Promise<Handled<ClaimPreKeysResponse>> {
  checkAccountId(request.accountId);
  if (request.deviceIds.length > MAX_DEVICES_PER_ACCOUNT) throw fail(ErrorCode.TOO_MANY_RECIPIENTS, "at most 16 devices per claim");
  const cost = Math.max(1, request.deviceIds.length);
  const wait = ctx.claimLimiter.take(Buffer.from(caller.accountId).toString("hex"), cost);
  if (wait > 0) throw fail(ErrorCode.RATE_LIMITED, "too many prekey claims", "SERVER-PREKEY-005", wait);
  const bundles = await ctx.store.claimPreKeys(request.accountId, request.deviceIds);
  if (bundles.length === 0) throw fail(ErrorCode.PREKEYS_UNAVAILABLE, "no device has a signed prekey and a KEM prekey");
  return { body: { bundles } };
}
