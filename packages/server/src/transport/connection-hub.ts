import { encodeFrame, type ServerPush } from "@kabar/protocol";
import type { PushEffect } from "../core/context.js";
import type { Connection } from "./connection.js";

const key = (accountId: Uint8Array): string => Buffer.from(accountId).toString("hex");

function pushFrame(body: ServerPush["body"]): Uint8Array {
  return encodeFrame({ kind: { $case: "push", value: { body } } });
}

/**
 * Authenticated connections by account and device. One connection per
 * device: a newer one displaces the older (TRANSPORT-CONN-003). Pushes are
 * encoded once and written to every target connection.
 */
export class ConnectionHub {
  private readonly byAccount = new Map<string, Map<number, Connection>>();
  /** Each registered connection's announcement number to other gateways, when announced. */
  private readonly announced = new WeakMap<Connection, Promise<bigint | undefined>>();

  /**
   * Called for each newly registered connection when other gateways share
   * the database: announces it and resolves with its order (undefined when
   * the announcement failed).
   */
  onRegister: ((accountId: Uint8Array, deviceId: number) => Promise<bigint | undefined>) | undefined;

  /** Registers an authenticated connection, displacing an older one of the same device. */
  register(connection: Connection, accountId: Uint8Array, deviceId: number): void {
    let devices = this.byAccount.get(key(accountId));
    if (devices === undefined) {
      devices = new Map();
      this.byAccount.set(key(accountId), devices);
    }
    const older = devices.get(deviceId);
    devices.set(deviceId, connection);
    if (older !== undefined && older !== connection) older.displace();
    if (this.onRegister !== undefined) this.announced.set(connection, this.onRegister(accountId, deviceId));
  }

  /** Forgets a connection if it is still the registered one for its device. */
  unregister(connection: Connection, accountId: Uint8Array, deviceId: number): void {
    const devices = this.byAccount.get(key(accountId));
    if (devices?.get(deviceId) === connection) {
      devices.delete(deviceId);
      if (devices.size === 0) this.byAccount.delete(key(accountId));
    }
  }

  /**
   * Another gateway announced a connection of this device with the given
   * order: the one here is displaced unless it is newer (TRANSPORT-CONN-003).
   */
  async displaceOlder(accountId: Uint8Array, deviceId: number, order: bigint): Promise<void> {
    const connection = this.byAccount.get(key(accountId))?.get(deviceId);
    if (connection === undefined) return;
    const own = await this.announced.get(connection);
    if (own !== undefined && own > order) return;
    if (this.byAccount.get(key(accountId))?.get(deviceId) === connection) connection.displace();
  }

  /** True when a device of the account is connected here. */
  hasAccount(accountId: Uint8Array): boolean {
    return this.byAccount.has(key(accountId));
  }

  /** True when this device is connected here. */
  hasDevice(accountId: Uint8Array, deviceId: number): boolean {
    return this.byAccount.get(key(accountId))?.has(deviceId) ?? false;
  }

  /** Number of authenticated connections. */
  get size(): number {
    let n = 0;
    for (const devices of this.byAccount.values()) n += devices.size;
    return n;
  }

  /** Delivers committed effects to connected devices (SYNC-PUSH-001). */
  deliver(effects: readonly PushEffect[]): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case "update": {
          const devices = this.byAccount.get(key(effect.accountId));
          if (devices === undefined) break;
          const frame = pushFrame({ $case: "update", value: { update: effect.update } });
          for (const connection of devices.values()) connection.pushUpdate(frame, effect.update.seq);
          break;
        }
        case "inbox": {
          const connection = this.byAccount.get(key(effect.accountId))?.get(effect.deviceId);
          connection?.pushOther(pushFrame({ $case: "inbox", value: { entry: effect.entry } }));
          break;
        }
        case "devicesRemoved": {
          const devices = this.byAccount.get(key(effect.accountId));
          for (const deviceId of effect.deviceIds) devices?.get(deviceId)?.revoke();
          break;
        }
        case "deviceList": {
          const frame = pushFrame({ $case: "deviceList", value: { deviceList: effect.deviceList } });
          for (const accountId of effect.accountIds) {
            for (const connection of this.byAccount.get(key(accountId))?.values() ?? []) connection.pushOther(frame);
          }
          break;
        }
        case "precheckout": {
          const frame = pushFrame({ $case: "precheckout", value: { query: effect.query } });
          for (const connection of this.byAccount.get(key(effect.accountId))?.values() ?? []) connection.pushOther(frame);
          break;
        }
      }
    }
  }
}
