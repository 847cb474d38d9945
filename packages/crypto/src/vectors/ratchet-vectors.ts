// Published vectors for the double ratchet (ENC-RATCHET-*): scripted
// conversations from a seed, with the exact wire bytes of every delivered
// message and the expected plaintext or error code.
import { isKabarError, errorCodeName, PairwiseMessage } from "@kabar/protocol";
import { establishVectorPair, vectorReceive, vectorSend } from "./vector-parties.js";
import { hex, seedOf, unhex, type VectorFile, type VectorTest } from "./vector-format.js";

type Side = "a" | "b";
type Mutation = "flipLastByte" | "version2";
/** A scripted step: send (message n is the n-th send) or deliver message n, possibly mutated. */
export type Step = { op: "send"; from: Side; plaintext: string; record?: boolean; count?: number } | { op: "deliver"; message: number; mutate?: Mutation };

interface Scenario { comment: string; rule: string; steps: Step[] }
const send = (from: Side, plaintext: string, record = true): Step => ({ op: "send", from, plaintext, record });
const deliver = (message: number, mutate?: Mutation): Step => ({ op: "deliver", message, ...(mutate ? { mutate } : {}) });
const handshake: Step[] = [send("a", "hello"), deliver(0), send("b", "hi"), deliver(1)];

const SCENARIOS: Scenario[] = [
  { comment: "prekey message, reply with DH step, and in-order messages both ways", rule: "ENC-RATCHET-001", steps: [...handshake, send("a", "a1"), send("a", "a2"), deliver(2), deliver(3), send("b", "b1"), deliver(4)] },
  { comment: "out-of-order delivery within one chain", rule: "ENC-RATCHET-002", steps: [...handshake, send("a", "m0"), send("a", "m1"), send("a", "m2"), deliver(4), deliver(2), deliver(3)] },
  { comment: "late message from a chain before a DH step", rule: "ENC-RATCHET-001", steps: [...handshake, send("a", "old"), send("a", "new"), deliver(3), send("b", "turn"), deliver(4), send("a", "after"), deliver(5), deliver(2)] },
  { comment: "replayed message", rule: "ENC-RATCHET-005", steps: [...handshake, send("a", "once"), deliver(2), deliver(2)] },
  { comment: "tampered tag", rule: "ENC-RATCHET-004", steps: [...handshake, send("a", "x"), deliver(2, "flipLastByte"), deliver(2)] },
  { comment: "unknown ciphertext version", rule: "ENC-VERSION-001", steps: [...handshake, send("a", "x"), deliver(2, "version2")] },
  {
    comment: "counter 2001 ahead of the chain", rule: "ENC-RATCHET-007",
    steps: [...handshake, { op: "send", from: "a", plaintext: "skipped", record: false, count: 2001 }, send("a", "too far"), deliver(2003)],
  },
];

function mutate(wire: Uint8Array, mutation: Mutation | undefined): Uint8Array {
  if (mutation === undefined) return wire;
  if (mutation === "flipLastByte") { const out = new Uint8Array(wire); out[out.length - 1]! ^= 1; return out; }
  const decoded = PairwiseMessage.decode(wire);
  if (decoded.kind?.$case !== "ratchet") throw new Error("version mutation needs a ratchet message");
  return PairwiseMessage.encode({ kind: { $case: "ratchet", value: { ...decoded.kind.value, version: 2 } } }).finish();
}

interface Played { wires: (string | null)[]; results: string[] }

/** Plays a scenario; when `recorded` is given, delivers the recorded wire bytes instead of fresh ones and checks fresh ones match. */
export function play(seed: Uint8Array, steps: readonly Step[], recorded?: readonly (string | null)[]): Played {
  const { provider, a, b } = establishVectorPair(seed);
  const party = { a, b };
  const senders: Side[] = [];
  const fresh: Uint8Array[] = [];
  const results: string[] = [];
  const recordFlags: boolean[] = [];
  for (const step of steps) {
    if (step.op === "send") {
      for (let i = 0; i < (step.count ?? 1); i++) {
        fresh.push(vectorSend(provider, party[step.from], new TextEncoder().encode(step.plaintext)));
        senders.push(step.from);
        recordFlags.push(step.record !== false);
      }
      continue;
    }
    const from = senders[step.message]!;
    const wire = recorded?.[step.message] != null ? unhex(recorded[step.message]) : fresh[step.message]!;
    try {
      results.push(`ok:${new TextDecoder().decode(vectorReceive(provider, party[from === "a" ? "b" : "a"], party[from], mutate(wire, step.mutate)))}`);
    } catch (error) {
      if (!isKabarError(error)) throw error;
      results.push(`error:${errorCodeName(error.code)}`);
    }
  }
  const wires = fresh.map((wire, i) => (recordFlags[i] ? hex(wire) : null));
  return { wires, results };
}

/** Generates the ratchet vector file. */
export function generateRatchetVectors(): VectorFile {
  const tests: VectorTest[] = SCENARIOS.map((scenario, index) => {
    const seed = seedOf(`kabar-v1 vectors ratchet ${index + 1}`);
    const { wires, results } = play(seed, scenario.steps);
    const failed = results.find((r) => r.startsWith("error:"));
    return {
      tcId: index + 1, comment: scenario.comment, rule: scenario.rule,
      inputs: { seed: hex(seed), steps: scenario.steps, wires },
      outputs: { results },
      result: failed ? "invalid" : "valid",
      ...(failed ? { errorCode: failed.slice("error:".length) } : {}),
    };
  });
  return {
    algorithm: "kabar-v1 double ratchet (AES-256-GCM)", version: "1",
    notes: "Each case derives both devices, prekeys and the initiator session from `seed` with the test RNG (ENC-VECTOR-001), then plays `steps`: send the next message (`count` repeats it) / deliver message n (numbered by send order) (optionally mutated). `wires` are the PairwiseMessage bytes of recorded sends; `results` lists per delivery ok:<plaintext> or error:<code>.",
    testGroups: [{ type: "RatchetConversation", tests }],
  };
}

/** Checks every ratchet vector: recorded wire bytes decrypt as listed, and fresh encryption reproduces them. */
export function checkRatchetVectors(file: VectorFile): string[] {
  const failures: string[] = [];
  for (const t of file.testGroups.flatMap((g) => g.tests)) {
    const inputs = t.inputs as { seed: string; steps: Step[]; wires: (string | null)[] };
    const played = play(unhex(inputs.seed), inputs.steps, inputs.wires);
    if (JSON.stringify(played.results) !== JSON.stringify((t.outputs as { results: string[] }).results)) failures.push(`ratchet tcId ${t.tcId} results`);
    if (JSON.stringify(played.wires) !== JSON.stringify(inputs.wires)) failures.push(`ratchet tcId ${t.tcId} wires`);
  }
  return failures;
}
