import type { AccountUpdate, InboxEntry, PreCheckoutQuery, SignedDeviceList } from "@kabar/protocol";
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
  /** The authenticated device, once Authenticate succeeded; undefined before (requests other than Hello, Ping and RegisterAccount then fail with AUTH_REQUIRED). */
  device: {
    /** The 32-byte account id the device signed the challenge for. */
    readonly accountId: Uint8Array;
    /** The device's id within that account (1-based, as in the signed device list). */
    readonly deviceId: number;
  } | undefined;
}

/** A fresh session for a new connection. */
export function newSession(): Session {
  return { version: undefined, challenge: undefined, challengeIssuedMs: 0, device: undefined };
}

/**
 * Something to push to connected devices after a commit. The transport
 * delivers these only after the response that caused them was sent
 * (SYNC-PUSH-002); a device that is offline simply misses the push and
 * catches up with GetDifference or FetchInbox.
 */
export type PushEffect =
  | {
    /** A committed update of one account's log, pushed to every connected device of that account. */
    readonly kind: "update";
    /** The 32-byte id of the account whose log gained the update. */
    readonly accountId: Uint8Array;
    /** The update as stored, with its sequence number in that account's log. */
    readonly update: AccountUpdate;
  }
  | {
    /** A new entry in one device's inbox, pushed to that device only. */
    readonly kind: "inbox";
    /** The 32-byte id of the recipient account. */
    readonly accountId: Uint8Array;
    /** The recipient device within that account. */
    readonly deviceId: number;
    /** The stored inbox entry, with its per-device inbox sequence number. */
    readonly entry: InboxEntry;
  }
  | {
    /** A newly published signed device list, pushed to every connected device of the listed accounts. */
    readonly kind: "deviceList";
    /** The 32-byte ids of the accounts to notify: the owner and every account sharing a conversation with it. */
    readonly accountIds: readonly Uint8Array[];
    /** The signed list exactly as published. */
    readonly deviceList: SignedDeviceList;
  }
  | {
    /** Devices dropped from their account's list: their connections end (SERVER-DEVICES-005). */
    readonly kind: "devicesRemoved";
    /** The 32-byte id of the account that removed the devices. */
    readonly accountId: Uint8Array;
    /** The removed device ids; their open connections get a fatal AUTH_FAILED push and close with code 4403 (`CLOSE_DEVICE_REMOVED`). */
    readonly deviceIds: readonly number[];
  }
  | {
    /** A pre-checkout query for a merchant, pushed to every connected device of its account while the payment waits (PAY-PRECHECKOUT-001). */
    readonly kind: "precheckout";
    /** The 32-byte id of the merchant's account. */
    readonly accountId: Uint8Array;
    /** The query to answer with AnswerPreCheckout before its deadline. */
    readonly query: PreCheckoutQuery;
  };

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
