// ENC-VECTOR-001, ENC-VECTOR-002: every published vector of
// packages/crypto/vectors/ (shipped in the @kabar/crypto package) replayed
// through the vector case kinds: valid cases produce the listed outputs,
// invalid ones the listed error code, and scripted conversations re-encrypt
// to the committed wire bytes from their seeds.
import fc from "fast-check";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { errorCodeName } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import type { CryptoCaseFields } from "../../targets/target-types.js";
import { describeCaseOutcome, runCase } from "./expect-case.js";

interface VectorTest { tcId: number; comment: string; inputs: CryptoCaseFields; outputs: CryptoCaseFields; result: "valid" | "invalid"; errorCode?: string }
interface VectorFile { testGroups: { type: string; tests: VectorTest[] }[] }

/** The case kind replaying each group type, and whether it reports errors inside `results` (scripted groups) or rejects. */
const GROUP_KINDS: Readonly<Record<string, { kind: string; scripted: boolean }>> = {
  KeyAgreement: { kind: "vector.key_agreement", scripted: false },
  RatchetConversation: { kind: "vector.ratchet_conversation", scripted: true },
  SenderKeyChain: { kind: "vector.sender_key_chain", scripted: true },
  AttachmentStream: { kind: "vector.attachment_stream", scripted: false },
  KeyBackup: { kind: "vector.key_backup", scripted: false },
};

export const VECTOR_FILES = ["key-agreement.json", "ratchet.json", "sender-key.json", "attachment.json", "backup.json"] as const;

/** The published vectors folder of @kabar/crypto: beside its package.json. */
export function vectorsDir(): string {
  const starts: string[] = [];
  try {
    starts.push(dirname(fileURLToPath(import.meta.resolve("@kabar/crypto"))));
  } catch {
    // import.meta.resolve is unavailable in some loaders; fall back to the repository layout.
  }
  starts.push(dirname(fileURLToPath(import.meta.url)));
  for (const start of starts) {
    let dir = start;
    for (let i = 0; i < 8; i++) {
      const pkg = join(dir, "package.json");
      if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "@kabar/crypto") return join(dir, "vectors");
      if (existsSync(join(dir, "packages", "crypto", "vectors"))) return join(dir, "packages", "crypto", "vectors");
      dir = dirname(dir);
    }
  }
  throw new Error("cannot find the published vectors of @kabar/crypto");
}

function loadVectors(): Record<string, VectorFile> {
  const dir = vectorsDir();
  return Object.fromEntries(VECTOR_FILES.map((name) => [name, JSON.parse(readFileSync(join(dir, name), "utf8")) as VectorFile]));
}

defineProperty({
  id: "crypto.vectors.published",
  rules: ["ENC-VECTOR-002", "ENC-VECTOR-001"],
  mode: "crypto",
  profile: "core",
  numRuns: 1,
  description:
    "Every published vector (key agreement, ratchet, sender keys, attachments, backup) replays as listed: valid cases give the listed outputs, invalid ones the listed errorCode; scripted conversations re-encrypted from their seeds reproduce the committed wire bytes (ENC-VECTOR-001).",
  run: (context) =>
    fc.asyncProperty(fc.constant(null), async () => {
      const files = loadVectors();
      let count = 0;
      for (const [name, file] of Object.entries(files)) {
        for (const group of file.testGroups) {
          const spec = GROUP_KINDS[group.type];
          if (spec === undefined) throw new RuleViolation("ENC-VECTOR-002", `${name}: no case kind for vector group type ${group.type}`);
          for (const t of group.tests) {
            count++;
            const where = `${name} tcId ${t.tcId} (${t.comment})`;
            const outcome = await runCase(context, spec.kind, t.inputs);
            if (spec.scripted) {
              if (outcome.kind !== "completed") throw new RuleViolation("ENC-VECTOR-002", `${where}: ${describeCaseOutcome(outcome)}; expected the delivery results`);
              const got = JSON.stringify(outcome.outputs.results), want = JSON.stringify(t.outputs.results);
              if (got !== want) throw new RuleViolation("ENC-VECTOR-002", `${where}: results ${got?.slice(0, 300)}, expected ${want.slice(0, 300)}`);
              if (t.result === "invalid" && !(t.outputs.results as string[]).includes(`error:${t.errorCode}`)) throw new RuleViolation("ENC-VECTOR-002", `${where}: the file lists ${t.errorCode} but no delivery fails with it`);
              // ENC-VECTOR-001: the seed determines every message byte.
              if (JSON.stringify(outcome.outputs.wires) !== JSON.stringify(t.inputs.wires)) throw new RuleViolation("ENC-VECTOR-001", `${where}: messages re-encrypted from the seed differ from the committed wire bytes`);
              continue;
            }
            if (t.result === "invalid") {
              if (outcome.kind !== "rejected" || errorCodeName(outcome.code) !== t.errorCode) throw new RuleViolation("ENC-VECTOR-002", `${where}: ${describeCaseOutcome(outcome)}; expected rejection with ${t.errorCode}`);
              continue;
            }
            if (outcome.kind !== "completed") throw new RuleViolation("ENC-VECTOR-002", `${where}: ${describeCaseOutcome(outcome)}; expected the listed outputs`);
            for (const [field, value] of Object.entries(t.outputs)) {
              if (JSON.stringify(outcome.outputs[field]) !== JSON.stringify(value)) {
                throw new RuleViolation("ENC-VECTOR-002", `${where}: output ${field} is ${JSON.stringify(outcome.outputs[field])?.slice(0, 120)}, expected ${JSON.stringify(value).slice(0, 120)}`);
              }
            }
          }
        }
      }
      context.transcript.add("note", `${count} published vectors replayed`);
    }),
});
