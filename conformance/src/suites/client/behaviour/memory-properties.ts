// CLIENT-FILES-001: a client encrypts, uploads, downloads and decrypts
// documents as streams. Through the adapter's optional generated documents
// (AdapterSendDocumentRequest.generated_size, AdapterFetchDocumentRequest.digest_only;
// docs/spec/conformance.md) Alice's device sends one 256 MiB document and
// Bob's device fetches it back as a digest, while the kit measures the peak
// resident memory (VmHWM, reset through /proc/<pid>/clear_refs) of the
// adapter's process tree: a client that holds the document grows by at least
// its size, a streaming one stays near its garbage collector's slack.
import fc from "fast-check";
import { ConformanceError } from "../../../errors.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import { generatedDigest, processTreeMemory, resetPeakMemory } from "../../memory/process-memory.js";
import { aliceAndBob } from "./client-world.js";

/** The size of the document moved through the client. */
const DOCUMENT_BYTES = 256 * 1024 * 1024;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

defineProperty({
  id: "client.files.memory-independent-of-size",
  rules: ["CLIENT-FILES-001"],
  mode: "client",
  profile: "files",
  description: "Sending a generated 256 MiB document from one device and fetching it on another (as a digest) grows the peak resident memory of the adapter's processes by less than half the document size (Linux; needs the adapter's generated_size and digest_only).",
  numRuns: 1,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.noShrink(fc.nat(1_000_000)), async (seed) => {
      const { adapter, alice, bob, conversation } = await aliceAndBob(target);
      const pid = target.pid?.();
      if (pid === undefined) throw new ConformanceError("HARNESS", "CLIENT-FILES-001 measures the adapter's memory and needs its process id");
      const expected = generatedDigest(seed, DOCUMENT_BYTES);
      const before = resetPeakMemory(pid);
      if (before === undefined) throw new ConformanceError("HARNESS", "CLIENT-FILES-001 needs Linux /proc (VmHWM, clear_refs) to measure the adapter's memory");
      // An adapter without generated documents answers UNSUPPORTED (ERROR): the rule cannot be measured through frames of at most 16 MiB.
      const sent = await adapter.call("sendDocument", { device: alice.devices[0]!, conversation, content: new Uint8Array(0), fileName: "large.bin", mediaType: "application/octet-stream", generatedSize: BigInt(DOCUMENT_BYTES), generatedSeed: seed });
      await adapter.call("syncNow", { device: bob.devices[0]! });
      const fetched = await adapter.call("fetchDocument", { device: bob.devices[0]!, conversation, message: sent.message, digestOnly: true });
      const peak = processTreeMemory(pid)!.peak;
      const growth = peak - before;
      transcript.add("note", `adapter memory: ${before} bytes resident before, peak ${peak} bytes while moving ${DOCUMENT_BYTES} bytes`);
      if (hex(sent.sha256) !== hex(expected)) throw new ConformanceError("HARNESS", `the adapter sent a document with SHA-256 ${hex(sent.sha256)}, not the generated document's ${hex(expected)} (generated_size ignored?)`);
      if (fetched.content.length > 0 || hex(fetched.sha256) !== hex(expected)) throw new RuleViolation("CLIENT-FILES-001", `Bob's device fetched ${fetched.content.length} content bytes with SHA-256 ${hex(fetched.sha256)}; expected only the digest ${hex(expected)}`);
      if (growth >= DOCUMENT_BYTES / 2) throw new RuleViolation("CLIENT-FILES-001", `moving a ${DOCUMENT_BYTES / 1048576} MiB document raised the adapter's peak resident memory by ${(growth / 1048576).toFixed(1)} MiB (from ${(before / 1048576).toFixed(1)} MiB to ${(peak / 1048576).toFixed(1)} MiB), at least half the document size`);
    }),
});
