// Client-mode properties of the adapter contract itself, model-based: random
// sequences of contract operations, with Reset in the setup of every case
// (fast-check runs setup for each case and each shrink step).
import fc from "fast-check";
import { AdapterVisibleState } from "@kabar/protocol";
import { AdapterClient } from "../../../adapter/adapter-client.js";
import { AdapterProcess } from "../../../adapter/adapter-process.js";
import { handshake } from "../../../adapter/handshake.js";
import { MAX_ADAPTER_FRAME_BYTES } from "../../../adapter/length-prefix.js";
import { isConformanceError } from "../../../errors.js";
import { stateDigest } from "../../../adapter/state-digest.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import type { ClientTarget } from "../../../targets/target-types.js";
import { AnyOpCommand, CLIENT_OPS } from "./commands/any-op-command.js";
import { CreateAccountCommand } from "./commands/create-account-command.js";
import { DescribeCommand } from "./commands/describe-command.js";
import { ResetCommand } from "./commands/reset-command.js";
import { UseStaleHandleCommand } from "./commands/use-stale-handle-command.js";
import { startKitServer } from "../../../targets/kit-server.js";
import { emptyContractModel, type ContractModel, type ContractReal } from "./contract-model.js";

const label = fc.constantFrom("alice", "bob", "carol", "dave");
const seed = fc.nat({ max: 1_000 });

async function setup(target: ClientTarget): Promise<{ model: ContractModel; real: ContractReal }> {
  const adapter = await target.healthyAdapter();
  // Name the server every time: an earlier property may have left the adapter on a proxy it has since closed.
  await adapter.call("reset", { serverUrl: await target.serverUrl(), seed: 0n });
  return { model: emptyContractModel(), real: { adapter } };
}

defineProperty({
  id: "conf.adapter.request-response",
  rules: ["CONF-ADAPTER-001", "CONF-ADAPTER-003", "CONF-ADAPTER-004", "CONF-ADAPTER-005", "CONF-ADAPTER-006"],
  mode: "client",
  profile: "core",
  numRuns: 30,
  description: "Any sequence of Describe, Reset and other operations naming unknown handles gets one well-framed response per request with the request's id and case (or an error), identical Describe answers, and no crash or hang.",
  run: ({ target, replayPath }) =>
    fc.asyncProperty(
      fc.commands(
        [
          fc.constant(new DescribeCommand()),
          seed.map((s) => new ResetCommand(s)),
          fc.tuple(fc.constantFrom(...CLIENT_OPS), fc.constantFrom("no-such-handle", "", "0123456789abcdef")).map(([op, h]) => new AnyOpCommand(op, h)),
        ],
        { maxCommands: 12, ...(replayPath !== undefined ? { replayPath } : {}) },
      ),
      async (commands) => fc.asyncModelRun(() => setup(target), commands),
    ),
});

defineProperty({
  id: "conf.adapter.reset-forgets-handles",
  rules: ["CONF-ADAPTER-007", "CONF-HANDLE-001"],
  mode: "client",
  profile: "core",
  numRuns: 20,
  description: "Accounts get non-empty handles, and after Reset every device handle issued before it is answered with UNKNOWN_HANDLE.",
  run: ({ target, replayPath }) =>
    fc.asyncProperty(
      fc.commands(
        [
          label.map((l) => new CreateAccountCommand(l)),
          seed.map((s) => new ResetCommand(s)),
          fc.nat({ max: 7 }).map((n) => new UseStaleHandleCommand(n)),
        ],
        { maxCommands: 10, ...(replayPath !== undefined ? { replayPath } : {}) },
      ),
      async (commands) => fc.asyncModelRun(() => setup(target), commands),
    ),
});

defineProperty({
  id: "conf.digest.matches-visible-state",
  rules: ["CONF-DIGEST-001", "CONF-STATE-001"],
  mode: "client",
  profile: "core",
  numRuns: 10,
  description: "After accounts exchange messages in a direct conversation, GetStateDigest is the SHA-256 of the canonical encoding of GetVisibleState, whose lists are in the documented order.",
  run: ({ target }) =>
    fc.asyncProperty(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 4 }), async (texts) => {
      const adapter = await target.healthyAdapter();
      await adapter.call("reset", { serverUrl: await target.serverUrl(), seed: 0n });
      const alice = await adapter.call("createAccount", { label: "alice" });
      const bob = await adapter.call("createAccount", { label: "bob" });
      const { conversation } = await adapter.call("createConversation", { device: alice.device, kind: 1, members: [bob.account] });
      for (const text of texts) await adapter.call("sendText", { device: alice.device, conversation, text });
      for (const device of [alice.device, bob.device]) {
        await adapter.call("syncNow", { device });
        const visible = await adapter.call("getVisibleState", { device });
        const digest = await adapter.call("getStateDigest", { device });
        checkOrder(visible);
        const expected = Buffer.from(stateDigest(visible)).toString("hex");
        const got = Buffer.from(digest.sha256).toString("hex");
        if (got !== expected) throw new RuleViolation("CONF-DIGEST-001", `device ${device}: digest ${got}, but the canonical encoding of its visible state hashes to ${expected}`);
      }
    }),
});

function checkOrder(state: AdapterVisibleState): void {
  const sorted = (list: readonly string[]): boolean => list.every((v, i) => i === 0 || Buffer.compare(Buffer.from(list[i - 1]!), Buffer.from(v)) <= 0);
  if (!sorted(state.conversations.map((c) => c.conversation))) throw new RuleViolation("CONF-STATE-001", "conversations are not sorted by handle");
  for (const c of state.conversations) {
    if (!sorted(c.members)) throw new RuleViolation("CONF-STATE-001", `members of ${c.conversation} are not sorted`);
    if (!sorted(c.readMarkers.map((r) => r.account))) throw new RuleViolation("CONF-STATE-001", `read markers of ${c.conversation} are not sorted by account`);
    for (const m of c.messages) {
      if (!sorted(m.reactions.map((r) => `${r.account}\u0000${r.emoji}`))) throw new RuleViolation("CONF-STATE-001", `reactions of ${m.message} are not sorted`);
    }
  }
}

defineProperty({
  id: "conf.adapter.exits-on-eof",
  rules: ["CONF-ADAPTER-008"],
  mode: "client",
  profile: "core",
  numRuns: 1,
  description: "A freshly started adapter, after its handshake, exits within 2 seconds of its stdin being closed.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constant(null), async () => {
      const process = AdapterProcess.start({ command: target.command }, transcript);
      try {
        await handshake(new AdapterClient(process));
        const exited = await process.closeStdinAndWait(2_000);
        if (!exited) throw new RuleViolation("CONF-ADAPTER-008", "the adapter was still running 2 s after its stdin closed");
      } finally {
        await process.close(0);
      }
    }),
});

defineProperty({
  id: "conf.adapter.seeded-reset-is-deterministic",
  rules: ["CONF-ADAPTER-009"],
  mode: "client",
  profile: "core",
  numRuns: 5,
  description: "The same operations after Reset with the same seed, each time against a fresh server (so the same identities can register again), return the same handles and the same state digest.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 3 }), async (resetSeed, texts) => {
      const adapter = await target.healthyAdapter();
      const script = async (): Promise<string> => {
        const server = await startKitServer();
        try {
          return await scriptOn(server.url);
        } finally {
          await adapter.call("reset", { serverUrl: await target.serverUrl(), seed: 0n }).catch(() => undefined);
          await server.close();
        }
      };
      const scriptOn = async (serverUrl: string): Promise<string> => {
        await adapter.call("reset", { serverUrl, seed: BigInt(resetSeed) });
        const a = await adapter.call("createAccount", { label: "alice" });
        const b = await adapter.call("createAccount", { label: "bob" });
        const { conversation } = await adapter.call("createConversation", { device: a.device, kind: 1, members: [b.account] });
        const sent = [];
        for (const text of texts) sent.push((await adapter.call("sendText", { device: a.device, conversation, text })).message);
        const digest = await adapter.call("getStateDigest", { device: a.device });
        return JSON.stringify({ a, b, conversation, sent, digest: Buffer.from(digest.sha256).toString("hex") });
      };
      const first = await script();
      const second = await script();
      if (first !== second) throw new RuleViolation("CONF-ADAPTER-009", `the same script after reset(seed=${resetSeed}) gave ${second}, first ${first}`);
    }),
});

defineProperty({
  id: "conf.adapter.frame-limit",
  rules: ["CONF-ADAPTER-002"],
  mode: "client",
  profile: "core",
  numRuns: 3,
  description: "Ordinary operations (accounts, a conversation, texts of up to 64 KiB, visible state and digest of each device) are answered in frames of at most 16 MiB; the kit rejects a longer announced length as a broken adapter.",
  run: ({ target }) =>
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 65_536 }), { minLength: 1, maxLength: 3 }), fc.nat({ max: 25 }), async (lengths, letter) => {
      const adapter = await target.healthyAdapter();
      try {
        await adapter.call("reset", { serverUrl: await target.serverUrl(), seed: 0n });
        const alice = await adapter.call("createAccount", { label: "alice" });
        const bob = await adapter.call("createAccount", { label: "bob" });
        const { conversation } = await adapter.call("createConversation", { device: alice.device, kind: 1, members: [bob.account] });
        for (const length of lengths) await adapter.call("sendText", { device: alice.device, conversation, text: String.fromCharCode(97 + letter).repeat(length) });
        for (const device of [alice.device, bob.device]) {
          await adapter.call("syncNow", { device });
          await adapter.call("getVisibleState", { device });
          await adapter.call("getStateDigest", { device });
        }
      } catch (error) {
        if (isConformanceError(error, "ADAPTER_PROTOCOL") && /announced a frame/.test((error as Error).message)) {
          throw new RuleViolation("CONF-ADAPTER-002", `the adapter sent a frame over the ${MAX_ADAPTER_FRAME_BYTES}-byte limit: ${(error as Error).message}`);
        }
        throw error;
      }
    }),
});
