import type { AccountUpdate, InboxEntry, SignedDeviceList } from "@kabar/protocol";
import type { BlobFiles } from "../blobs/blob-files.js";
import type { ServerStore } from "../store/server-store.js";
import type { ServerLimits } from "./limits.js";
import type { Clock, Random } from "./ports.js";
import type { KeyedLimiter } from "./rate-limiter.js";

/** A connection's protocol state, owned by the transport, changed only by the core. */
export interface Session {
  /** Chosen protocol version once Hello succeeded. */
  version: number | undefined;
  /** The challenge issued by HelloAck. */
  challenge: Uint8Array | undefined;
  /** When the challenge was issued. */
  challengeIssuedMs: number;
  /** The authenticated device, once Authenticate succeeded. */
  device: { readonly accountId: Uint8Array; readonly deviceId: number } | undefined;
}

/** A fresh session for a new connection. */
export function newSession(): Session {
  return { version: undefined, challenge: undefined, challengeIssuedMs: 0, device: undefined };
}

/** Something to push to connected devices after a commit. */
export type PushEffect =
  | { readonly kind: "update"; readonly accountId: Uint8Array; readonly update: AccountUpdate }
  | { readonly kind: "inbox"; readonly accountId: Uint8Array; readonly deviceId: number; readonly entry: InboxEntry }
  | { readonly kind: "deviceList"; readonly accountIds: readonly Uint8Array[]; readonly deviceList: SignedDeviceList }
  /** Devices dropped from their account's list: their connections end (SERVER-DEVICES-005). */
  | { readonly kind: "devicesRemoved"; readonly accountId: Uint8Array; readonly deviceIds: readonly number[] };

/** What the handlers need: ports and configuration. */
export interface CoreContext {
  readonly store: ServerStore;
  readonly blobs: BlobFiles;
  readonly clock: Clock;
  readonly random: Random;
  readonly limits: ServerLimits;
  readonly claimLimiter: KeyedLimiter;
  /** Upload completions in progress, so concurrent retries share one assembly. */
  readonly completing: Map<string, Promise<unknown>>;
}

/** The authenticated device of a session, or AUTH_REQUIRED. */
export type Caller = NonNullable<Session["device"]>;
