// The adapter runner: big-endian framing, crash and timeout evidence,
// stderr in the transcript, restart before the next rule, and a crash
// charged to the rule whose property was running.
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { AdapterClient } from "../src/adapter/adapter-client.js";
import { AdapterProcess } from "../src/adapter/adapter-process.js";
import { handshake } from "../src/adapter/handshake.js";
import { LengthPrefixedReader, encodeLengthPrefixed } from "../src/adapter/length-prefix.js";
import { messageToJson } from "../src/adapter/to-json.js";
import { Transcript } from "../src/adapter/transcript.js";
import { isConformanceError } from "../src/errors.js";
import type { PropertyDefinition } from "../src/registry/property-registry.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { adapterRequestFiles } from "../src/report/write-reports.js";
import { AdapterRequest } from "@kabar/protocol";
import { clientAdapterProvider } from "../src/targets/client-provider.js";
import { adapterCodecProvider } from "../src/targets/codec-providers.js";
import { loadCatalogue } from "../src/rules/catalogue.js";
import { propertyRegistry } from "../src/registry/property-registry.js";
import "../src/suites/all.js";
import { readFileSync } from "node:fs";
import { catalogueOf, fakeAdapterCommand, rule } from "./support.js";
import { validateJsonSchema } from "./json-schema-subset.js";

const started: AdapterProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.close(500)));
});

async function start(mutant?: string, timeoutMs?: number, transcript?: Transcript): Promise<AdapterClient> {
  const process = AdapterProcess.start({ command: await fakeAdapterCommand(mutant), ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, transcript);
  started.push(process);
  return new AdapterClient(process);
}

describe("length-prefixed framing", () => {
  it("is a 4-byte big-endian length, and frames survive any chunking", () => {
    expect([...encodeLengthPrefixed(Uint8Array.of(7, 8, 9))]).toEqual([0, 0, 0, 3, 7, 8, 9]);
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map((f) => encodeLengthPrefixed(f)));
        const reader = new LengthPrefixedReader();
        const got: Uint8Array[] = [];
        for (let pos = 0, i = 0; pos < stream.length; i++) {
          const size = cuts[i % cuts.length]!;
          got.push(...reader.push(stream.subarray(pos, pos + size)));
          pos += size;
        }
        expect(got.map((g) => [...g])).toEqual(frames.map((f) => [...f]));
        expect(reader.pendingBytes).toBe(0);
      }),
    );
  });

  it("refuses an announced length over the limit before reading the body", () => {
    const reader = new LengthPrefixedReader(16);
    expect(() => reader.push(Buffer.from("debug: hi\n"))).toThrow(/announced a frame of \d+ bytes/);
  });
});

describe("adapter process", () => {
  it("performs the handshake and records requests, responses and stderr as JSON", async () => {
    const transcript = new Transcript();
    const client = await start(undefined, undefined, transcript);
    const identity = await handshake(client);
    expect(identity).toMatchObject({ implementation: "fake-client", kind: "client", profiles: ["core"], contractVersion: 1 });
    const entries = transcript.snapshot();
    expect(entries.filter((e) => e.channel === "request").map((e) => Object.keys((e.data as { op: object }).op)[0])).toEqual(["describe", "reset"]);
    expect(entries.some((e) => e.channel === "stderr" && String(e.data).includes("fake-client ready"))).toBe(true);
    expect(messageToJson({ id: 5n, bytes: Uint8Array.of(1, 2), op: { $case: "reset", value: { seed: 0n } } })).toEqual({ id: "5", bytes: "AQI=", op: { reset: { seed: "0" } } });
  });

  it("turns an exit into ADAPTER_CRASHED with the exit code", async () => {
    const client = await start("crash-on-unsupported");
    await handshake(client);
    const error = await client.call("markRead", { device: "x" }).catch((e: unknown) => e);
    expect(isConformanceError(error, "ADAPTER_CRASHED")).toBe(true);
    expect((error as Error).message).toMatch(/^adapter crashed: exit code 3/);
    // Broken for good: later requests fail at once with the same evidence.
    await expect(client.call("describe", {})).rejects.toThrow(/exit code 3/);
  });

  it("turns a missing answer into ADAPTER_TIMEOUT and kills the adapter", async () => {
    const client = await start("hang-on-unsupported", 400);
    await handshake(client);
    const error = await client.call("markRead", { device: "x" }).catch((e: unknown) => e);
    expect(isConformanceError(error, "ADAPTER_TIMEOUT")).toBe(true);
    expect((error as Error).message).toMatch(/^timeout: the adapter did not answer markRead \(request \d+\) within 400 ms/);
  });

  it("answers UNSUPPORTED as ADAPTER_UNSUPPORTED, and a wrong id as ADAPTER_PROTOCOL", async () => {
    const client = await start();
    await handshake(client);
    await expect(client.call("markRead", { device: "x" })).rejects.toSatisfy((e: unknown) => isConformanceError(e, "ADAPTER_UNSUPPORTED"));
    const wrong = await start("wrong-id");
    await handshake(wrong);
    await expect(wrong.call("syncNow", { device: "x" })).rejects.toSatisfy((e: unknown) => isConformanceError(e, "ADAPTER_PROTOCOL"));
  });
});

describe("runner with an adapter", () => {
  it("charges a crash to the running rule and restarts the adapter before the next one", async () => {
    const provider = await clientAdapterProvider({ command: await fakeAdapterCommand("crash-on-unsupported") });
    const crashes: PropertyDefinition<"client"> = {
      id: "t.crashes", rules: ["T-CRASH-001"], mode: "client", profile: "core", description: "calls an operation the mutant crashes on", numRuns: 5,
      run: ({ target }) => fc.asyncProperty(fc.constant(0), async () => {
        await (await target.healthyAdapter()).call("markRead", { device: "x" });
      }),
    };
    const describes: PropertyDefinition<"client"> = {
      id: "t.describes", rules: ["T-AFTER-001"], mode: "client", profile: "core", description: "only describes", numRuns: 3,
      run: ({ target }) => fc.asyncProperty(fc.constant(0), async () => {
        await target.adapter.call("describe", { contractVersion: 1 });
      }),
    };
    try {
      const report = await runConformance({ provider, catalogue: catalogueOf(rule("T-CRASH-001"), rule("T-AFTER-001")), properties: [crashes, describes], seed: 9 });
      const [crash, after] = report.rules;
      expect(crash!.verdict).toBe("FAIL");
      expect(crash!.properties[0]!.message).toMatch(/^adapter crashed: exit code 3/);
      expect(crash!.properties[0]!.transcript!.some((t) => t.channel === "note" && String(t.data).startsWith("adapter crashed"))).toBe(true);
      expect(after!.verdict).toBe("PASS");
      expect(report.implementation).toMatchObject({ implementation: "fake-client" });
      // The failing case's exact request frames, after a Describe, for piping into the adapter.
      const [[name, bytes]] = adapterRequestFiles(report) as [[string, Uint8Array]];
      expect(name).toBe("adapter-requests/T-CRASH-001--t.crashes.bin");
      const frames = new LengthPrefixedReader().push(bytes).map((f) => AdapterRequest.decode(f).op?.$case);
      expect(frames).toEqual(["describe", "reset", "markRead"]);
      const schema = JSON.parse(readFileSync(new URL("../schema/report-v1.schema.json", import.meta.url), "utf8"));
      expect(validateJsonSchema(schema, JSON.parse(JSON.stringify(report)))).toEqual([]);
    } finally {
      await provider.close();
    }
  });
});

describe("codec mode through an adapter", () => {
  it("runs the WIRE properties against an adapter's decode operation", async () => {
    const provider = await adapterCodecProvider(await fakeAdapterCommand());
    try {
      const report = await runConformance({ provider, catalogue: loadCatalogue(), properties: propertyRegistry.list("codec"), seed: 4, numRuns: 15, ruleGlobs: ["WIRE-*"] });
      expect(report.target).toMatch(/^codec:adapter:/);
      expect(report.rules.filter((r) => r.verdict !== "PASS" && r.verdict !== "NOT-COVERED").map((r) => `${r.id} ${r.verdict}`)).toEqual([]);
      expect(report.summary.counts.PASS).toBe(14);
    } finally {
      await provider.close();
    }
  });
});

