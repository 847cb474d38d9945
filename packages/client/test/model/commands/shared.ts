// What the commands share: sequencing a sent event in the model, and
// waiting until a device's outbox is empty (the server has sequenced it).
import { expect } from "vitest";
import type { KabarClient } from "../../../src/client/kabar-client.js";
import { eventually } from "../../support/clients.js";
import type { Model, ModelEvent } from "../model.js";
import type { World } from "../world.js";

/** The device key of the model. */
export const key = (account: number, device: number) => `${account}:${device}`;

/** True when the device exists (linked, not removed) in the model. */
export const exists = (m: Model, account: number, device: number) => m.devices.has(key(account, device));

/** True when the device exists and is online in the model. */
export const online = (m: Model, account: number, device: number) => m.devices.get(key(account, device))?.online === true;

/** True when every device is online. */
export const allOnline = (m: Model) => [...m.devices.values()].every((d) => d.online);

/** Waits until a client has nothing left to send. */
export async function drained(client: KabarClient, failures: readonly string[] = []): Promise<void> {
  await eventually(async () => expect(await client.outboxSize(), failures.join("; ")).toBe(0), 15_000);
}

/** Records an event the server has sequenced. */
export function sequenced(m: Model, event: ModelEvent): void {
  m.log.push({ event, members: new Set(m.members) });
}

/** The client of a device. */
export const clientOf = (w: World, account: number, device: number) => w.devices[account]![device]!.client;
