// Helpers to create clients against a test server with fast backoff.
import { KabarClient } from "../../src/client/kabar-client.js";
import { MemoryClientStore } from "../../src/store/memory-store.js";
import type { ClientStore } from "../../src/store/client-store.js";
import type { TestServer } from "./core-server.js";

/** Options for a test client. */
export function clientOptions(server: Pick<TestServer, "url" | "socketFactory">, store: ClientStore = new MemoryClientStore()) {
  return { url: server.url, socketFactory: server.socketFactory, store, backoff: { baseMs: 5, maxMs: 50 }, requestTimeoutMs: 20_000, preKeyBatch: 5 };
}

/** Registers an account. */
export function registerClient(server: Pick<TestServer, "url" | "socketFactory">, store?: ClientStore): Promise<KabarClient> {
  return KabarClient.register(clientOptions(server, store));
}

/** Links a new device to the account of `approver` and completes the history handover. */
export async function linkDevice(server: Pick<TestServer, "url" | "socketFactory">, approver: KabarClient, store?: ClientStore, shareHistory = true): Promise<KabarClient> {
  const request = await KabarClient.requestLink(clientOptions(server, store));
  const approval = await approver.approveLink(request.payload, { shareHistory });
  const device = await request.complete(approval);
  if (shareHistory) await approver.completePendingHandovers();
  return device;
}

/** Waits until `check` passes (polling), or throws after `ms`. */
export async function eventually(check: () => Promise<void> | void, ms = 10_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() - start > ms) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
