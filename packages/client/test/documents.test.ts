import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KabarClient } from "../src/client/kabar-client.js";
import type { TestServer } from "./support/core-server.js";
import { SERVERS } from "./support/servers.js";
import { startRealServer } from "./support/real-server.js";
import { digestOf, generated, livePeak } from "./support/streams.js";
import { eventually, linkDevice, registerClient } from "./support/clients.js";

// The child-process variant is the one whose memory figure is the client's alone.
const CHILD = "reference server in a child process";
describe.each([...SERVERS, [CHILD, () => startRealServer({ childProcess: true })] as const])("%s", (_name, start) => {
  let server: TestServer;
  const clients: KabarClient[] = [];
  beforeEach(async () => {
    server = await start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server.close();
  });
  const track = (c: KabarClient) => (clients.push(c), c);

  describe("documents", () => {
    it("CLIENT-FILES-001 CLIENT-FILES-002 round-trips a large document (100 MiB with the server in a child process, 16 MiB in-process) between devices in constant memory, resuming after a dropped connection", async () => {
      const alice = track(await registerClient(server));
      const bob = track(await registerClient(server));
      const bob2 = track(await linkDevice(server, bob));
      const conv = await alice.createConversation("direct", [bob.accountId]);
      const transfer = async (size: number, seed: number) => {
        const expected = await digestOf(generated(size, seed));
        const id = await alice.sendDocument(conv, generated(size, seed), { fileName: "data.bin", mediaType: "application/octet-stream" });
        await eventually(async () => expect((await bob2.messages(conv)).map((m) => m.messageId)).toContain(id));
        const message = (await bob2.messages(conv)).find((m) => m.messageId === id)!;
        expect(message.document).toMatchObject({ fileName: "data.bin", size });
        expect(await digestOf(await bob2.openDocument(conv, id))).toEqual(expected);
        expect(await digestOf(await bob.openDocument(conv, id))).toEqual(expected);
      };
      const interval = _name === CHILD ? 20 : 100;
      const small = await livePeak(() => transfer(8 * 1024 * 1024, 7), interval);
      let parts = 0;
      let dropped = 0;
      server.onRequest = (kind) => {
        if (kind === "uploadPart" && ++parts === 9) return (dropped++, "drop");
        if (kind === "downloadRange" && dropped === 1 && ++parts > 20) return (dropped++, "drop");
        return undefined;
      };
      // The issue asks for 100 MiB; the in-process variants keep 16 MiB for time.
      const size = (_name === CHILD ? 100 : 16) * 1024 * 1024;
      const large = await livePeak(() => transfer(size, 1), interval);
      expect(dropped).toBe(2);
      console.log(`document transfer (${_name}): live buffer peak ${(small / 1048576).toFixed(1)} MiB for 8 MiB, ${(large / 1048576).toFixed(1)} MiB for ${size / 1048576} MiB`);
      // CLIENT-FILES-001: constant memory. Measured where the server runs in
      // another process, so the figure is the client's (plus the test runner):
      // twice the document must not need (anything like) twice the buffers,
      // and never anything like the whole document.
      if (_name === CHILD) {
        // The sampler may miss the short run's peak, hence the floor under `small`.
        // 100 MiB moved through a bounded window: the peak stays a small,
        // size-independent number of part-sized buffers (12.5 MiB measured).
        expect(large).toBeLessThan(Math.max(small, 6 * 1024 * 1024) + 12 * 1024 * 1024);
        expect(large).toBeLessThan(size / 4);
      }
    }, 180_000);

    it("rejects a document whose ciphertext was swapped (digest checked before release)", async () => {
      const alice = track(await registerClient(server));
      const bob = track(await registerClient(server));
      const conv = await alice.createConversation("direct", [bob.accountId]);
      const first = await alice.sendDocument(conv, generated(100_000, 1), { fileName: "a", mediaType: "x/a" });
      const second = await alice.sendDocument(conv, generated(100_000, 2), { fileName: "b", mediaType: "x/b" });
      await eventually(async () => expect((await bob.messages(conv)).length).toBe(2));
      // Point the first message at the second blob: the digest no longer matches.
      const store = (bob as unknown as { ctx: { store: { getMessage: Function; putMessage: Function } } }).ctx.store;
      const a = await store.getMessage(conv, first);
      const b = await store.getMessage(conv, second);
      await store.putMessage({ ...a, document: { ...a.document, blobId: b.document.blobId } });
      await expect(digestOf(await bob.openDocument(conv, first))).rejects.toThrow();
    });
  });
});
