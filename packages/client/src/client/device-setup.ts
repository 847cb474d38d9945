// Creating a device's identity before its client exists: registering a new
// account (device 1), and the new-device side of linking.
import {
  createAccountIdentity, createDeviceKeys, issueDeviceCertificate, NodeCryptoProvider, signDeviceList, type CryptoProvider, type DeviceKeys,
} from "@kabar/crypto";
import type { LinkingPayload } from "@kabar/protocol";
import { loadLocalIdentity, saveLocalIdentity } from "../identity/local-identity.js";
import { Connection } from "../transport/connection.js";
import { wsSocketFactory } from "../transport/socket.js";
import { bytesEqual } from "../util/bytes.js";
import { ErrorCode, fail } from "../util/errors.js";
import { systemRandom } from "../util/ports.js";
import { createLinkingPayload, type LinkApproval } from "./linking.js";
import type { KabarClientOptions } from "./wiring.js";

async function requireFreshStore(options: KabarClientOptions): Promise<void> {
  if ((await loadLocalIdentity(options.store)) !== undefined) fail(ErrorCode.ACCOUNT_EXISTS, "this store already holds a device");
}

/** Creates the account identity and device 1, registers them, and saves them in the store. */
export async function registerAccount(options: KabarClientOptions): Promise<void> {
  await requireFreshStore(options);
  const provider = options.provider ?? new NodeCryptoProvider();
  const now = (options.clock ?? { now: () => Date.now() }).now();
  const account = createAccountIdentity(provider);
  const device = createDeviceKeys(provider, 1);
  const certificate = issueDeviceCertificate(provider, account, device, now);
  const deviceList = signDeviceList(provider, account, 1n, [certificate], now);
  const connection = await Connection.open(options.url, { socketFactory: options.socketFactory ?? wsSocketFactory, ...(options.clock ? { clock: options.clock } : {}) });
  try {
    await connection.request("registerAccount", { identityKey: account.keyPair.publicKey, deviceList });
  } finally {
    connection.close();
  }
  await saveLocalIdentity(options.store, { accountId: account.accountId, accountIdentityKey: account.keyPair.publicKey, account, device });
}

/** A new device waiting for approval. */
export interface PendingLinkKeys {
  readonly provider: CryptoProvider;
  readonly keys: DeviceKeys;
  readonly payload: LinkingPayload;
}

/** Creates the new device's keys and the payload it shows. */
export async function prepareLink(options: KabarClientOptions): Promise<PendingLinkKeys> {
  await requireFreshStore(options);
  const provider = options.provider ?? new NodeCryptoProvider();
  // The device id is assigned by the approver; keys do not depend on it.
  const keys = createDeviceKeys(provider, 1);
  return { provider, keys, payload: createLinkingPayload(provider, keys, (options.random ?? systemRandom).bytes(16)) };
}

/** Checks an approval against the payload (CLIENT-LINK-001) and saves the linked identity. */
export async function saveLinkedIdentity(options: KabarClientOptions, pending: PendingLinkKeys, approval: LinkApproval): Promise<void> {
  if (!bytesEqual(approval.nonce, pending.payload.nonce)) fail(ErrorCode.SIGNATURE_INVALID, "approval is for another linking payload", "CLIENT-LINK-001");
  const seed = approval.accountIdentitySeed;
  await saveLocalIdentity(options.store, {
    accountId: approval.accountId, accountIdentityKey: approval.accountIdentityKey,
    account: seed === undefined ? undefined : { accountId: approval.accountId, keyPair: pending.provider.ed25519KeyPairFromSeed(seed) },
    device: { ...pending.keys, deviceId: approval.deviceId },
  });
  if (approval.backup !== undefined) await options.store.setValue("backup-pointer", new TextEncoder().encode(JSON.stringify(approval.backup)));
}
