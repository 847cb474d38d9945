// The real side of the model-based suite: a reference server over loopback,
// several accounts with several devices, one group conversation.
import { join } from "node:path";
import { KabarClient } from "../../src/client/kabar-client.js";
import type { MessageRecord } from "../../src/conversation/conversation-model.js";
import type { ClientStore } from "../../src/store/client-store.js";
import { MemoryClientStore } from "../../src/store/memory-store.js";
import { SqliteClientStore } from "../../src/store/sqlite-store.js";
import { clientOptions, linkDevice, registerClient } from "../support/clients.js";
import type { TestServer } from "../support/core-server.js";
import type { View } from "./model.js";

/** One device: its client and how to reopen its store. */
export interface WorldDevice {
  client: KabarClient;
  readonly reopenStore: () => ClientStore;
  /** True once removed from its account. */
  removed?: boolean;
}

/** The real system under test. */
export interface World {
  readonly server: TestServer;
  readonly devices: WorldDevice[][];
  readonly conversation: string;
  readonly accountIds: string[];
  /** Decryption failures seen by any device, for diagnostics. */
  readonly failures: string[];
}

function watch(failures: string[], label: string, client: KabarClient): KabarClient {
  client.on("decryptFailed", (e) => failures.push(`${label} ${e.source}#${e.seq} ${e.error.codeName} ${e.error.message}`));
  client.on("sendStalled", (e) => failures.push(`${label} send stalled: ${(e.error as Error | undefined)?.message}`));
  return client;
}

/** Builds accounts (device counts per account) and a group with all of them. */
export async function buildWorld(server: TestServer, deviceCounts: readonly number[], dir: string): Promise<World> {
  storeDir = dir;
  const devices: WorldDevice[][] = [];
  const failures: string[] = [];
  let n = 0;
  for (const count of deviceCounts) {
    const row: WorldDevice[] = [];
    for (let d = 0; d < count; d++) {
      // Alternate stores so both implementations run under the model.
      const path = join(dir, `device-${n++}.db`);
      const memory = new MemoryClientStore();
      const reopenStore = n % 2 === 0 ? () => new SqliteClientStore(path) : () => memory;
      const client = d === 0 ? await registerClient(server, reopenStore()) : await linkDevice(server, row[0]!.client, reopenStore());
      row.push({ client: watch(failures, `${devices.length}:${d}`, client), reopenStore });
    }
    devices.push(row);
  }
  const accountIds = devices.map((row) => row[0]!.client.accountId);
  const conversation = await devices[0]![0]!.client.createConversation("group", accountIds.slice(1));
  return { server, devices, conversation, accountIds, failures };
}

/** What a device shows, in the model's terms. */
export async function actualView(world: World, client: KabarClient): Promise<View> {
  const index = (account: string) => world.accountIds.indexOf(account);
  const messages = await client.messages(world.conversation);
  const conversation = await client.conversation(world.conversation);
  return {
    messages: messages.map((m: MessageRecord) => ({
      id: m.messageId, sender: index(m.sender), text: m.text, deleted: m.deleteSeq > 0,
      reactions: Object.values(m.reactions).filter((r) => r.present).map((r) => `${index(r.account)}:${r.emoji}`).sort(),
    })),
    read: Object.fromEntries(Object.entries(conversation?.readMarkers ?? {}).map(([account, marker]) => [index(account), marker.messageId])),
  };
}

let storeDir = "";
let linked = 0;

/** Links a new device to an account through its device 0; returns its index. */
export async function linkNewDevice(world: World, account: number): Promise<number> {
  const path = join(storeDir, `linked-${linked++}.db`);
  const reopenStore = () => new SqliteClientStore(path);
  const client = await linkDevice(world.server, world.devices[account]![0]!.client, reopenStore());
  world.devices[account]!.push({ client: watch(world.failures, `${account}:${world.devices[account]!.length}`, client), reopenStore });
  return world.devices[account]!.length - 1;
}

/** Removes a device from its account (device 0 signs the new list) and closes it. */
export async function removeWorldDevice(world: World, account: number, device: number): Promise<void> {
  const entry = world.devices[account]![device]!;
  await world.devices[account]![0]!.client.removeDevice(entry.client.deviceId);
  entry.removed = true;
  await entry.client.close();
}

/** Reopens a device from its store (a process restart). */
export async function restartDevice(world: World, account: number, device: number): Promise<void> {
  const entry = world.devices[account]![device]!;
  await entry.client.close();
  entry.client = watch(world.failures, `${account}:${device}`, await KabarClient.open(clientOptions(world.server, entry.reopenStore())));
}

/** Closes every client. */
export async function closeWorld(world: World): Promise<void> {
  for (const row of world.devices) for (const d of row) if (!d.removed) await d.client.close();
}
