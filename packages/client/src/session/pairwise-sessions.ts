// One pairwise session per remote device. Sessions are created from claimed
// prekey bundles only for devices in the account's verified list, and every
// decryption failure leaves the stored session untouched.
import {
  decryptPairwise, deserializeSession, encryptPairwise, initiateSession, serializeSession, type CryptoProvider, type SessionState,
  type VerifiedDevice,
} from "@kabar/crypto";
import { isKabarError, PairwiseMessage, type ClaimPreKeysResponse, type DeviceCiphertext } from "@kabar/protocol";
import type { DeviceDirectory } from "../identity/device-directory.js";
import type { LocalIdentity } from "../identity/local-identity.js";
import type { PreKeyVault } from "../identity/prekey-vault.js";
import type { ClientStore } from "../store/client-store.js";
import { bytesEqual, toHex } from "../util/bytes.js";
import { ErrorCode, fail, KabarError } from "../util/errors.js";

/** ClaimPreKeys on the wire. */
export interface BundleSource {
  /** Claims one bundle per listed device. */
  claimPreKeys(accountId: Uint8Array, deviceIds: readonly number[]): Promise<ClaimPreKeysResponse>;
}

const peerKey = (accountId: Uint8Array, deviceId: number) => `${toHex(accountId)}:${deviceId}`;

/** Sessions kept per peer: the current one first, then older ones that may still receive. */
const MAX_SESSIONS_PER_PEER = 5;

// Two devices that start sessions with each other at the same time end up
// with two sessions each. Keeping the previous sessions and promoting the
// one that last decrypted makes both sides settle on the same session.
function encodeSessions(sessions: readonly SessionState[]): Uint8Array {
  const parts = sessions.slice(0, MAX_SESSIONS_PER_PEER).map(serializeSession);
  const out = new Uint8Array(4 + parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, parts.length);
  let offset = 4;
  for (const part of parts) {
    view.setUint32(offset, part.length);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

function decodeSessions(bytes: Uint8Array | undefined): SessionState[] {
  if (bytes === undefined) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SessionState[] = [];
  let offset = 4;
  for (let i = 0; i < view.getUint32(0); i++) {
    const length = view.getUint32(offset);
    out.push(deserializeSession(bytes.subarray(offset + 4, offset + 4 + length)));
    offset += 4 + length;
  }
  return out;
}

/** Pairwise encryption to and from devices. */
export class PairwiseSessions {
  // One chain of work per peer: two encryptions for one peer must not race
  // on the same stored session.
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly provider: CryptoProvider, private readonly store: ClientStore, private readonly local: LocalIdentity,
    private readonly directory: DeviceDirectory, private readonly vault: PreKeyVault, private readonly bundles: BundleSource,
  ) {}

  /**
   * Encrypts one plaintext for every listed device of an account (this
   * device excluded). Returns the ciphertexts and the list version used.
   */
  async encryptForAccount(accountId: Uint8Array, plaintext: Uint8Array, onlyDevices?: readonly number[], retry = true): Promise<{ messages: DeviceCiphertext[]; version: bigint }> {
    const list = await this.directory.get(accountId);
    const self = bytesEqual(accountId, this.local.accountId);
    const targets = list.devices.filter((d) => !(self && d.deviceId === this.local.device.deviceId) && (onlyDevices === undefined || onlyDevices.includes(d.deviceId)));
    const missing: number[] = [];
    for (const device of targets) if ((await this.store.loadSession(peerKey(accountId, device.deviceId))) === undefined) missing.push(device.deviceId);
    if (missing.length > 0) {
      try {
        await this.createSessions(accountId, missing);
      } catch (error) {
        // Our copy of the list names a device the account has removed since:
        // fetch the current list and start over once.
        if (!retry || !isKabarError(error, ErrorCode.NOT_FOUND, ErrorCode.DEVICE_UNTRUSTED)) throw error;
        await this.directory.refresh(accountId);
        return this.encryptForAccount(accountId, plaintext, onlyDevices, false);
      }
    }
    const messages: DeviceCiphertext[] = [];
    for (const device of targets) {
      const ciphertext = await this.encryptTo(device, plaintext);
      if (ciphertext !== undefined) messages.push({ deviceId: device.deviceId, ciphertext });
    }
    return { messages, version: list.version };
  }

  /** Makes sure a session with one device exists (claiming its prekeys if needed); false when it has none to claim. */
  async ensureSession(accountId: Uint8Array, deviceId: number): Promise<boolean> {
    if ((await this.store.loadSession(peerKey(accountId, deviceId))) !== undefined) return true;
    await this.createSessions(accountId, [deviceId]);
    return (await this.store.loadSession(peerKey(accountId, deviceId))) !== undefined;
  }

  private async createSessions(accountId: Uint8Array, deviceIds: number[]): Promise<void> {
    const list = await this.directory.get(accountId);
    const response = await this.bundles.claimPreKeys(accountId, deviceIds);
    for (const bundle of response.bundles) {
      // ENC-X3DH-002 / CLIENT-TRUST-001: certificate verified against the
      // account identity and the device required in the verified list.
      const session = initiateSession(this.provider, {
        local: { accountId: this.local.accountId, keys: this.local.device }, bundle,
        remoteIdentityKey: list.devices[0]!.accountIdentityKey, remoteDeviceList: list,
      });
      const key = peerKey(accountId, session.remote.deviceId);
      await this.store.storeSession(key, encodeSessions([session, ...decodeSessions(await this.store.loadSession(key))]));
    }
  }

  private encryptTo(device: VerifiedDevice, plaintext: Uint8Array): Promise<Uint8Array | undefined> {
    return this.withLock(peerKey(device.accountId, device.deviceId), async () => {
      const key = peerKey(device.accountId, device.deviceId);
      const sessions = decodeSessions(await this.store.loadSession(key));
      const session = sessions[0];
      if (session === undefined) return undefined; // no bundle was available for it
      // A device re-keyed under the same id gets a fresh session, never the old one.
      if (!bytesEqual(session.remote.identityKey, device.identityKey)) {
        await this.store.deleteSession(key);
        return undefined;
      }
      const out = encryptPairwise(this.provider, session, plaintext);
      await this.store.storeSession(key, encodeSessions([out.session, ...sessions.slice(1)]));
      return out.message;
    });
  }

  /** Decrypts a pairwise ciphertext from a device of `senderAccountId`; throws KabarError and changes nothing on failure. */
  async decrypt(senderAccountId: Uint8Array, senderDeviceId: number, ciphertext: Uint8Array): Promise<{ plaintext: Uint8Array; sender: VerifiedDevice }> {
    const sender = await this.directory.device(senderAccountId, senderDeviceId);
    return this.withLock(peerKey(senderAccountId, senderDeviceId), async () => {
      let wire: PairwiseMessage;
      try {
        wire = PairwiseMessage.decode(ciphertext);
      } catch {
        return fail(ErrorCode.DECRYPT_FAILED, "pairwise message does not decode");
      }
      const key = peerKey(senderAccountId, senderDeviceId);
      const sessions = decodeSessions(await this.store.loadSession(key));
      const prekey = wire.kind?.$case === "prekey" ? wire.kind.value : undefined;
      const preKeys = await this.vault.lookupFor({ signed: prekey?.signedPrekeyId ?? -1, kem: prekey?.kemPrekeyId ?? -1, oneTime: prekey?.oneTimePrekeyId });
      const local = { accountId: this.local.accountId, keys: this.local.device };
      // A PreKeyMessage belongs to the session with its base key, or starts a
      // new one; a RatchetMessage is tried against each kept session.
      const candidates: (SessionState | undefined)[] = prekey !== undefined
        ? [sessions.find((s) => bytesEqual(s.baseKey, prekey.baseKey))]
        : sessions;
      let lastError: unknown = new KabarError(ErrorCode.SESSION_NOT_FOUND, "no session with the sender");
      for (const candidate of candidates) {
        try {
          const out = decryptPairwise(this.provider, { local, session: candidate, sender, preKeys }, ciphertext);
          const rest = sessions.filter((s) => s !== candidate && !bytesEqual(s.baseKey, out.session.baseKey));
          await this.store.storeSession(key, encodeSessions([out.session, ...rest]));
          if (prekey !== undefined && out.consumedOneTimePreKeyId !== undefined) await this.vault.consume(out.consumedOneTimePreKeyId, prekey.kemPrekeyId);
          return { plaintext: out.plaintext, sender };
        } catch (error) {
          lastError = error;
        }
      }
      throw lastError;
    });
  }

  private withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.locks.set(key, next.catch(() => undefined));
    return next;
  }
}
