// Client benchmark against the reference server over loopback: a document
// end to end (encrypt + resumable upload, then range download + decrypt +
// verify) and text messages end to end, with live memory sampled during the
// document transfer to show it stays constant.
// Run alone: npx tsx --conditions=@kabar/source packages/client/bench/client.bench.ts
// (KABAR_BENCH_DOC_MIB sets the document size, default 100.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "@kabar/server";
import { printTable, type BenchRow } from "../../../scripts/bench-kit.js";
import { KabarClient } from "../src/client/kabar-client.js";
import { MemoryClientStore } from "../src/store/memory-store.js";
import { randomFillSync } from "node:crypto";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { AttachmentEncryptor, NodeCryptoProvider } from "@kabar/crypto";
import { Readable } from "node:stream";
import { digestOf, livePeak } from "../test/support/streams.js";

const MiB = 1024 * 1024;

/** A fast plaintext source: one random MiB repeated, so the bench measures the client, not the generator. */
function source(size: number): Readable {
  const block = randomFillSync(Buffer.allocUnsafe(MiB));
  return Readable.from((function* () {
    for (let sent = 0; sent < size; sent += MiB) yield block.subarray(0, Math.min(MiB, size - sent));
  })(), { objectMode: false });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 2));
}

/** Runs the benchmark; returns the rows. */
export async function run(documentMiB = Number(process.env.KABAR_BENCH_DOC_MIB ?? 100)): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "kabar-client-bench-"));
  const server = await startServer({ port: 0, dataDir: dir, logger: false, });
  const rows: BenchRow[] = [];
  try {
    const options = () => ({ url: server.url, store: new MemoryClientStore() });
    const alice = await KabarClient.register(options());
    const bob = await KabarClient.register(options());
    const conv = await alice.createConversation("direct", [bob.accountId]);
    const size = documentMiB * MiB;

    let id = "";
    let uploadMs = 0;
    const upPeak = await livePeak(async () => {
      const start = performance.now();
      id = await alice.sendDocument(conv, source(size), { fileName: "bench.bin", mediaType: "application/octet-stream" });
      uploadMs = performance.now() - start;
    });
    await until(async () => (await bob.messages(conv)).some((m) => m.messageId === id));
    let downloadMs = 0;
    let received = 0;
    const downPeak = await livePeak(async () => {
      const start = performance.now();
      received = (await digestOf(await bob.openDocument(conv, id))).size;
      downloadMs = performance.now() - start;
    });
    if (received !== size) throw new Error(`document size ${received} != ${size}`);
    const mbps = (ms: number) => size / MiB / (ms / 1000);
    rows.push({ group: "client", name: `document send, ${documentMiB} MiB (encrypt to temp file + upload in 512 KiB parts)`, value: mbps(uploadMs), unit: "MB/s", note: `live buffers peak ${(upPeak / MiB).toFixed(1)} MiB (server in process)` });
    rows.push({ group: "client", name: `document receive, ${documentMiB} MiB (range download + decrypt + verify)`, value: mbps(downloadMs), unit: "MB/s", note: `live buffers peak ${(downPeak / MiB).toFixed(1)} MiB` });
    rows.push({ group: "client", name: `document end to end, ${documentMiB} MiB`, value: size / MiB / ((uploadMs + downloadMs) / 1000), unit: "MB/s", note: `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB for the whole process` });

    // Where the send time goes: the encryption pass alone, same source, same disk.
    const encStart = performance.now();
    await pipeline(source(size), new AttachmentEncryptor(new NodeCryptoProvider()), createWriteStream(join(dir, "encrypt-only.bin")));
    const encMs = performance.now() - encStart;
    rows.push({ group: "client", name: `of which: encrypt to temp file, ${documentMiB} MiB`, value: mbps(encMs), unit: "MB/s", note: `the upload itself then runs at about ${(size / MiB / ((uploadMs - encMs) / 1000)).toFixed(0)} MB/s (4 parts in flight)` });

    const count = 300;
    const start = performance.now();
    for (let i = 0; i < count; i++) await alice.sendText(conv, `message ${i}`);
    await until(async () => (await bob.messages(conv)).length >= count + 1);
    rows.push({ group: "client", name: `text messages end to end, ${count} sequential sends`, value: count / ((performance.now() - start) / 1000), unit: "msg/s", note: "send acknowledged, then applied by the recipient" });
    await alice.close();
    await bob.close();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printTable(await run());
