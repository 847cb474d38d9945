import type { RemoteCommit, ServerStore } from "../store/server-store.js";
import type { ConnectionHub } from "./connection-hub.js";

const hex = (id: Uint8Array): string => Buffer.from(id).toString("hex");

/**
 * Live pushes for commits made by other gateways sharing the database
 * (SYNC-PUSH-001 across processes). An announcement carries only ids and
 * sequence numbers; when a connection here is concerned, the update or
 * inbox entry is read back from the store and pushed like a local one.
 * Work is chained per account (per device for inboxes), so pushes keep
 * the announcements' commit order.
 */
export class RemotePushes {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ServerStore,
    private readonly hub: ConnectionHub,
    /** Byte budget for one read (frame limit minus envelope). */
    private readonly maxBytes: number,
    private readonly track: (work: Promise<unknown>) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Handles one announced commit; never throws. */
  accept(commit: RemoteCommit): void {
    const { accountId } = commit;
    switch (commit.kind) {
      case "update":
        if (!this.hub.hasAccount(accountId)) return;
        this.enqueue(hex(accountId), async () => {
          const read = await this.store.readLog(accountId, commit.seq - 1n, 1, this.maxBytes);
          const update = read.updates[0];
          if (update?.seq !== commit.seq) return;
          this.hub.deliver([{ kind: "update", accountId, update }]);
          // The local path also pushes the signed list itself to the contacts.
          if (update.kind?.$case === "deviceList") {
            const changed = update.kind.value;
            const owner = await this.store.getAccount(changed.accountId);
            if (owner !== undefined && owner.deviceList.version === changed.version) {
              this.hub.deliver([{ kind: "deviceList", accountIds: [accountId], deviceList: { body: owner.deviceList.body, signature: owner.deviceList.signature } }]);
            }
          }
        });
        return;
      case "inbox":
        if (!this.hub.hasDevice(accountId, commit.deviceId)) return;
        this.enqueue(`${hex(accountId)}:${commit.deviceId}`, async () => {
          const read = await this.store.readInbox(accountId, commit.deviceId, commit.inboxSeq - 1n, 1, this.maxBytes);
          const entry = read.entries[0];
          if (entry?.inboxSeq !== commit.inboxSeq) return;
          this.hub.deliver([{ kind: "inbox", accountId, deviceId: commit.deviceId, entry }]);
        });
        return;
      case "deviceConnected":
        if (!this.hub.hasDevice(accountId, commit.deviceId)) return;
        this.enqueue(`${hex(accountId)}:${commit.deviceId}`, () => this.hub.displaceOlder(accountId, commit.deviceId, commit.order));
        return;
      case "devicesRemoved":
        if (!this.hub.hasAccount(accountId)) return;
        this.enqueue(hex(accountId), async () => {
          // SERVER-DEVICES-005: only devices the stored list really dropped are cut off.
          const devices = await this.store.listDevices(accountId);
          const removed = commit.deviceIds.filter((id) => devices.some((d) => d.deviceId === id && !d.current));
          if (removed.length > 0) this.hub.deliver([{ kind: "devicesRemoved", accountId, deviceIds: removed }]);
        });
        return;
    }
  }

  private enqueue(key: string, work: () => Promise<void>): void {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(work).catch((error: unknown) => this.onError(error));
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    this.track(next);
  }
}
