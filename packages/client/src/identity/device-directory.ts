// Which devices belong to which account, as the accounts themselves signed
// it. Every key this client sends goes to a device found here, and a device
// is found here only if a list signed by its account identity names it.
import { verifyDeviceList, type CryptoProvider, type VerifiedDevice, type VerifiedDeviceList } from "@kabar/crypto";
import { DeviceCertificateBody, DeviceListBody, SignedDeviceList } from "@kabar/protocol";
import type { ClientStore } from "../store/client-store.js";
import { bytesEqual, toHex } from "../util/bytes.js";
import { ErrorCode, fail, KabarError } from "../util/errors.js";

/** How a device list changed relative to the one seen before. */
export interface DeviceListChange {
  /** The account. */
  readonly accountId: Uint8Array;
  /** The new version. */
  readonly version: bigint;
  /** Devices that are new. */
  readonly added: readonly number[];
  /** Devices that are gone. */
  readonly removed: readonly number[];
  /** Devices whose keys changed under the same id. */
  readonly rekeyed: readonly number[];
  /** True the first time this client sees the account. */
  readonly firstSeen: boolean;
}

/** Where signed lists come from. */
export interface DeviceListSource {
  /** GetDeviceList. */
  getDeviceList(accountId: Uint8Array): Promise<SignedDeviceList>;
}

/** Observers of trust-relevant changes. */
export interface DirectoryObserver {
  /** A verified list with a different device set or keys was accepted (CLIENT-TRUST-002). */
  onChanged(change: DeviceListChange): void;
  /** A served list failed verification and was rejected (CLIENT-TRUST-001). */
  onRejected(accountId: Uint8Array, error: KabarError): void;
}

/**
 * The identity key an account id stands for: account_id = SHA-256(identity
 * key), so the key is self-certifying and can never change for an account id.
 */
function claimedIdentityKey(provider: CryptoProvider, accountId: Uint8Array, list: SignedDeviceList): Uint8Array {
  let body: DeviceListBody;
  try {
    body = DeviceListBody.decode(list.body);
  } catch {
    return fail(ErrorCode.CERTIFICATE_INVALID, "device list body does not decode", "CLIENT-TRUST-001");
  }
  const first = body.devices[0];
  if (first === undefined) return fail(ErrorCode.DEVICE_UNTRUSTED, "device list names no device", "CLIENT-TRUST-001");
  const key = DeviceCertificateBody.decode(first.body).accountIdentityKey;
  if (!bytesEqual(provider.sha256(key), accountId)) fail(ErrorCode.UNTRUSTED_IDENTITY, "device list signed for another identity", "CLIENT-TRUST-001");
  return key;
}

/** Verified device lists with a memory cache over the store. */
export class DeviceDirectory {
  private readonly cache = new Map<string, VerifiedDeviceList>();

  constructor(
    private readonly provider: CryptoProvider, private readonly store: ClientStore,
    private readonly source: DeviceListSource, private readonly observer: DirectoryObserver,
  ) {}

  /** The account's verified list: cached, stored, or fetched. */
  async get(accountId: Uint8Array): Promise<VerifiedDeviceList> {
    const cached = this.cache.get(toHex(accountId));
    if (cached !== undefined) return cached;
    const stored = await this.store.loadDeviceList(toHex(accountId));
    if (stored !== undefined) {
      const signed = SignedDeviceList.decode(stored.signed);
      const list = verifyDeviceList(this.provider, signed, claimedIdentityKey(this.provider, accountId, signed));
      this.cache.set(toHex(accountId), list);
      return list;
    }
    return this.refresh(accountId);
  }

  /** Fetches the account's current list from the server and accepts it. */
  async refresh(accountId: Uint8Array): Promise<VerifiedDeviceList> {
    return this.accept(accountId, await this.source.getDeviceList(accountId));
  }

  /** Finds a device, refreshing the list once when it is not (yet) in it; DEVICE_UNTRUSTED when absent. */
  async device(accountId: Uint8Array, deviceId: number): Promise<VerifiedDevice> {
    let list = await this.get(accountId);
    let device = list.devices.find((d) => d.deviceId === deviceId);
    if (device === undefined) {
      list = await this.refresh(accountId);
      device = list.devices.find((d) => d.deviceId === deviceId);
    }
    // CLIENT-TRUST-001: a device the account did not sign is never trusted.
    if (device === undefined) return fail(ErrorCode.DEVICE_UNTRUSTED, "device not in the account's signed list", "CLIENT-TRUST-001");
    return device;
  }

  /**
   * Verifies a list (signature by the account identity, certificates, version
   * never lower than seen, ENC-ID-003/004) and stores it. A list that fails is
   * reported and rejected; the previous one stays in force.
   */
  async accept(accountId: Uint8Array, signed: SignedDeviceList): Promise<VerifiedDeviceList> {
    const key = toHex(accountId);
    const storedRecord = await this.store.loadDeviceList(key);
    const previous = storedRecord === undefined ? undefined : await this.get(accountId);
    let list: VerifiedDeviceList;
    try {
      const identityKey = claimedIdentityKey(this.provider, accountId, signed);
      list = verifyDeviceList(this.provider, signed, identityKey, previous === undefined ? undefined : { version: previous.version, body: previous.signed.body });
    } catch (error) {
      const kabar = error instanceof KabarError ? error : new KabarError(ErrorCode.CERTIFICATE_INVALID, "device list rejected");
      this.observer.onRejected(accountId, kabar);
      throw kabar;
    }
    if (previous !== undefined && list.version === previous.version) return previous;
    await this.store.storeDeviceList(key, { version: list.version, signed: SignedDeviceList.encode(signed).finish() });
    this.cache.set(key, list);
    const change = diff(accountId, previous, list);
    // CLIENT-TRUST-002: every change of an account's devices is surfaced, never absorbed silently.
    if (change.firstSeen || change.added.length + change.removed.length + change.rekeyed.length > 0) this.observer.onChanged(change);
    return list;
  }
}

function diff(accountId: Uint8Array, before: VerifiedDeviceList | undefined, after: VerifiedDeviceList): DeviceListChange {
  const old = new Map((before?.devices ?? []).map((d) => [d.deviceId, d]));
  const now = new Map(after.devices.map((d) => [d.deviceId, d]));
  return {
    accountId, version: after.version, firstSeen: before === undefined,
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    rekeyed: [...now.values()].filter((d) => {
      const o = old.get(d.deviceId);
      return o !== undefined && (!bytesEqual(o.identityKey, d.identityKey) || !bytesEqual(o.signingKey, d.signingKey));
    }).map((d) => d.deviceId),
  };
}
