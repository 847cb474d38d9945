import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, isKabarError } from "@kabar/protocol";
import { KabarClient } from "../src/client/kabar-client.js";
import { SqliteClientStore } from "../src/store/sqlite-store.js";
import type { TestServer } from "./support/core-server.js";
import { clientOptions, eventually, linkDevice, registerClient } from "./support/clients.js";
import { SERVERS } from "./support/servers.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe.each(SERVERS)("%s", (_name, start) => {
  let server: TestServer;
  let dir: string;
  const clients: KabarClient[] = [];
  beforeEach(async () => {
    server = await start();
    dir = mkdtempSync(join(tmpdir(), "kabar-history-"));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const track = (c: KabarClient) => (clients.push(c), c);
  const texts = async (c: KabarClient, conv: string) => (await c.messages(conv)).map((m) => m.text);

  it("CLIENT-HISTORY-001 CLIENT-LINK-003 a newly linked device reads the whole history through the handover", async () => {
    const alice = track(await registerClient(server));
    const bob = track(await registerClient(server));
    const conv = await alice.createConversation("group", [bob.accountId]);
    await alice.sendText(conv, "before link 1");
    await bob.sendText(conv, "before link 2");
    await eventually(async () => expect(await texts(alice, conv)).toEqual(["before link 1", "before link 2"]));
    // No explicit handover call: the new device announces itself and the approver reacts.
    const request = await KabarClient.requestLink(clientOptions(server));
    const laptop = track(await request.complete(await alice.approveLink(request.payload)));
    await eventually(async () => expect(await texts(laptop, conv)).toEqual(["before link 1", "before link 2"]));
    expect(await laptop.pendingDecryption()).toBe(0);
  });

  it("CLIENT-HISTORY-003 CLIENT-LINK-002 the phone is dead: the second device carries on, a third restores the history from the backup", async () => {
    const phoneStore = new SqliteClientStore(join(dir, "phone.db"));
    const phone = await KabarClient.register(clientOptions(server, phoneStore));
    const bob = track(await registerClient(server));
    const conv = await phone.createConversation("group", [bob.accountId]);
    await phone.sendText(conv, "from the phone");
    await bob.sendText(conv, "hi phone");
    const laptop = track(await linkDevice(server, phone, new SqliteClientStore(join(dir, "laptop.db"))));
    await laptop.sendText(conv, "from the laptop");
    await eventually(async () => expect(await texts(phone, conv)).toEqual(["from the phone", "hi phone", "from the laptop"]));
    const { recoverySecret } = await phone.enableBackup();

    // The phone is destroyed: process gone, store gone.
    await phone.close();
    rmSync(join(dir, "phone.db"), { force: true });
    await laptop.removeDevice(phone.deviceId);

    // The laptop keeps sending and receiving.
    await laptop.sendText(conv, "phone is gone");
    await bob.sendText(conv, "still here");
    const history = ["from the phone", "hi phone", "from the laptop", "phone is gone", "still here"];
    await eventually(async () => expect(await texts(laptop, conv)).toEqual(history));
    await eventually(async () => expect(await texts(bob, conv)).toEqual(history));

    // A third device is linked afterwards and restores history from the backup.
    await laptop.enableBackup(recoverySecret);
    const request = await KabarClient.requestLink(clientOptions(server, new SqliteClientStore(join(dir, "tablet.db"))));
    const approval = await laptop.approveLink(request.payload, { shareHistory: false });
    const tablet = track(await request.complete(approval));
    expect(approval.backup).toBeDefined();
    await tablet.sync();
    await expect(tablet.restoreFromBackup("AAAA ".repeat(13))).rejects.toSatisfy((e) => isKabarError(e, ErrorCode.BACKUP_INVALID));
    expect(await tablet.restoreFromBackup(recoverySecret)).toBeGreaterThan(0);
    await eventually(async () => expect(await texts(tablet, conv)).toEqual(history));
    await bob.sendText(conv, "hello tablet");
    await eventually(async () => expect((await texts(tablet, conv)).at(-1)).toBe("hello tablet"));
    expect(await tablet.pendingDecryption()).toBe(0);
  });

  it("CLIENT-HISTORY-002 ignores history keys sent by another account", async () => {
    const alice = track(await registerClient(server));
    const bob = track(await registerClient(server));
    const carol = track(await registerClient(server));
    const secret = await bob.createConversation("direct", [carol.accountId]);
    await bob.sendText(secret, "not for alice");
    const shared = await alice.createConversation("direct", [bob.accountId]);
    await alice.sendText(shared, "hi");
    await eventually(async () => expect(await texts(bob, shared)).toEqual(["hi"]));
    const internals = (c: KabarClient) => c as unknown as { sender: { queueToAccount: Function }; ctx: { senderKeys: { historyKeys(): Promise<unknown[]> }; store: { listChains: Function }; outbox: { flush(): Promise<boolean> } } };
    const keys = await internals(bob).ctx.senderKeys.historyKeys();
    expect(keys.length).toBeGreaterThan(0);
    let imported = 0;
    alice.on("historyImported", (e) => (imported += e.keys));
    await internals(bob).sender.queueToAccount(Buffer.from(alice.accountId, "hex"), { $case: "historyKeys", value: { keys, complete: true } });
    await internals(bob).ctx.outbox.flush();
    await bob.sendText(shared, "after the share");
    await eventually(async () => expect(await texts(alice, shared)).toEqual(["hi", "after the share"]));
    await alice.sync();
    expect(imported).toBe(0);
    expect(await internals(alice).ctx.store.listChains("history", secret)).toEqual([]);
  });

  it("CLIENT-TRUST-001 a device the account did not sign never receives a key", async () => {
    const alice = track(await registerClient(server));
    const bob = track(await registerClient(server));
    const conv = await alice.createConversation("direct", [bob.accountId]);
    await alice.sendText(conv, "first");
    await eventually(async () => expect(await texts(bob, conv)).toEqual(["first"]));
    const rejected: string[] = [];
    alice.on("untrustedDeviceList", (e) => rejected.push(e.error.codeName));
    // A forged list for bob (signed by another identity) is refused and the old list stays.
    const mallory = track(await registerClient(server));
    const forged = await (mallory as unknown as { ctx: { link: { request: Function } } }).ctx.link.request("getDeviceList", { accountId: Buffer.from(mallory.accountId, "hex") });
    const directory = (alice as unknown as { ctx: { directory: { accept: Function; get: Function } } }).ctx.directory;
    await expect(directory.accept(Buffer.from(bob.accountId, "hex"), forged.deviceList)).rejects.toThrow();
    expect(rejected.length).toBe(1);
    const list = await directory.get(Buffer.from(bob.accountId, "hex"));
    expect(list.devices.map((d: { deviceId: number }) => d.deviceId)).toEqual([1]);
    await alice.sendText(conv, "second");
    await eventually(async () => expect(await texts(bob, conv)).toEqual(["first", "second"]));
  });
});
