// Everything one client instance wires together, passed to the modules that
// implement its features so each stays one concern.
import type { CryptoProvider } from "@kabar/crypto";
import type { DeviceDirectory } from "../identity/device-directory.js";
import type { LocalIdentity } from "../identity/local-identity.js";
import type { PreKeyVault } from "../identity/prekey-vault.js";
import type { PairwiseSessions } from "../session/pairwise-sessions.js";
import type { SenderKeyManager } from "../session/sender-key-manager.js";
import type { ClientStore } from "../store/client-store.js";
import type { InboxConsumer } from "../sync/inbox-consumer.js";
import type { Outbox } from "../sync/outbox.js";
import type { SyncEngine } from "../sync/sync-engine.js";
import type { ReconnectingLink } from "../transport/reconnecting-link.js";
import type { Clock, Random } from "../util/ports.js";
import type { TypedEmitter } from "./events.js";

/** The wiring of one client. */
export interface ClientContext {
  readonly provider: CryptoProvider;
  readonly store: ClientStore;
  readonly local: LocalIdentity;
  readonly link: ReconnectingLink;
  readonly directory: DeviceDirectory;
  readonly vault: PreKeyVault;
  readonly sessions: PairwiseSessions;
  readonly senderKeys: SenderKeyManager;
  readonly engine: SyncEngine;
  readonly inbox: InboxConsumer;
  readonly outbox: Outbox;
  readonly events: TypedEmitter;
  readonly clock: Clock;
  readonly random: Random;
}
