// ENC-KEY-002, ENC-KEY-003: the primitive case kinds against the Wycheproof
// vectors (C2SP/wycheproof testvectors_v1), read at run time from the folder
// beside the project (never copied into the repository): by default
// ../shared/vectors/wycheproof from the repository root, or
// $KABAR_WYCHEPROOF_DIR. Without the folder the property says so in the
// transcript and passes on the generated cases of crypto.key.primitives.
import fc from "fast-check";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ErrorCode } from "@kabar/protocol";
import { defineProperty, type PropertyContext } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import type { CryptoCaseFields, CryptoCaseOutcome } from "../../targets/target-types.js";
import { describeCaseOutcome } from "./expect-case.js";

interface WycheproofTest { readonly tcId: number; readonly result: "valid" | "invalid" | "acceptable"; readonly [field: string]: unknown }
interface WycheproofGroup { readonly tests: readonly WycheproofTest[]; readonly [field: string]: unknown }
interface WycheproofFile { readonly testGroups: readonly WycheproofGroup[] }

/** The Wycheproof folder: $KABAR_WYCHEPROOF_DIR, else ../shared/vectors/wycheproof beside the repository root. */
export function wycheproofDir(): string {
  const configured = process.env.KABAR_WYCHEPROOF_DIR;
  if (configured !== undefined && configured !== "") return resolve(configured);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "docs", "spec", "encryption.md"))) return resolve(dir, "..", "shared", "vectors", "wycheproof");
    dir = dirname(dir);
  }
  return resolve(process.cwd(), "..", "shared", "vectors", "wycheproof");
}

function load(dir: string, name: string): WycheproofFile | undefined {
  const path = join(dir, name);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as WycheproofFile) : undefined;
}

const str = (value: unknown): string => (typeof value === "string" ? value.toLowerCase() : "");
const isZero = (h: string): boolean => /^(00)+$/.test(h);

/** One Wycheproof test turned into case runs and a check of their outcomes. */
type Check = (run: (kind: string, inputs: CryptoCaseFields) => Promise<CryptoCaseOutcome>, t: WycheproofTest, group: WycheproofGroup) => Promise<string | undefined>;

const completed = (o: CryptoCaseOutcome): o is Extract<CryptoCaseOutcome, { kind: "completed" }> => o.kind === "completed";
const outcomeText = describeCaseOutcome;

const FILES: readonly { file: string; rule: string; select?: (g: WycheproofGroup) => boolean; check: Check }[] = [
  {
    file: "x25519_test.json",
    rule: "ENC-KEY-002",
    check: async (run, t) => {
      const o = await run("primitive.x25519", { privateKey: str(t.private), publicKey: str(t.public) });
      if (isZero(str(t.shared))) {
        // ENC-KEY-003: the protocol refuses what the primitive calls acceptable.
        return o.kind === "rejected" && o.code === ErrorCode.KEY_INVALID ? undefined : `all-zero result must be KEY_INVALID (ENC-KEY-003): ${outcomeText(o)}`;
      }
      return completed(o) && o.outputs.shared === str(t.shared) ? undefined : `expected shared ${str(t.shared)}: ${outcomeText(o)}`;
    },
  },
  {
    file: "ed25519_test.json",
    rule: "ENC-KEY-002",
    check: async (run, t, g) => {
      const o = await run("primitive.ed25519_verify", { publicKey: str((g.publicKey as { pk?: unknown } | undefined)?.pk), message: str(t.msg), signature: str(t.sig) });
      return completed(o) && o.outputs.valid === (t.result === "valid") ? undefined : `expected valid=${t.result === "valid"}: ${outcomeText(o)}`;
    },
  },
  {
    file: "hkdf_sha256_test.json",
    rule: "ENC-KEY-002",
    check: async (run, t) => {
      const o = await run("primitive.hkdf_sha256", { ikm: str(t.ikm), salt: str(t.salt), info: str(t.info), length: Number(t.size) });
      if (t.result === "invalid") return o.kind === "rejected" ? undefined : `expected a rejection: ${outcomeText(o)}`;
      return completed(o) && o.outputs.okm === str(t.okm) ? undefined : `expected okm ${str(t.okm).slice(0, 64)}: ${outcomeText(o)}`;
    },
  },
  {
    file: "hmac_sha256_test.json",
    rule: "ENC-KEY-002",
    check: async (run, t) => {
      const o = await run("primitive.hmac_sha256", { key: str(t.key), message: str(t.msg) });
      if (!completed(o) || typeof o.outputs.mac !== "string") return `expected a MAC: ${outcomeText(o)}`;
      const matches = o.outputs.mac.startsWith(str(t.tag)) && str(t.tag).length > 0;
      return matches === (t.result === "valid") ? undefined : `MAC ${o.outputs.mac} against tag ${str(t.tag)} (${t.result})`;
    },
  },
  {
    file: "aes_gcm_test.json",
    rule: "ENC-KEY-002",
    select: (g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128,
    check: async (run, t) => {
      const sealed = str(t.ct) + str(t.tag);
      const inputs = { key: str(t.key), nonce: str(t.iv), aad: str(t.aad) };
      const opened = await run("primitive.aes256gcm_open", { ...inputs, sealed });
      if (t.result === "invalid") return opened.kind === "rejected" && opened.code === ErrorCode.DECRYPT_FAILED ? undefined : `expected DECRYPT_FAILED: ${outcomeText(opened)}`;
      if (!completed(opened) || opened.outputs.plaintext !== str(t.msg)) return `open: expected ${str(t.msg).slice(0, 64)}: ${outcomeText(opened)}`;
      const seal = await run("primitive.aes256gcm_seal", { ...inputs, plaintext: str(t.msg) });
      return completed(seal) && seal.outputs.sealed === sealed ? undefined : `seal: expected ${sealed.slice(0, 64)}: ${outcomeText(seal)}`;
    },
  },
  {
    file: "mlkem_768_test.json",
    rule: "ENC-KEY-002",
    check: async (run, t) => {
      const keys = await run("primitive.mlkem768_keygen", { seed: str(t.seed) });
      if (!completed(keys)) return t.result === "invalid" && keys.kind === "rejected" ? undefined : `keygen: ${outcomeText(keys)}`;
      if (str(t.ek) !== "" && keys.outputs.encapsulationKey !== str(t.ek)) return `keygen: encapsulation key differs from the vector's`;
      const o = await run("primitive.mlkem768_decaps", { decapsulationKey: String(keys.outputs.decapsulationKey), ciphertext: str(t.c) });
      if (t.result === "invalid") return o.kind === "rejected" ? undefined : `expected decaps to reject: ${outcomeText(o)}`;
      return completed(o) && o.outputs.sharedSecret === str(t.K) ? undefined : `decaps: expected ${str(t.K)}: ${outcomeText(o)}`;
    },
  },
  {
    file: "mlkem_768_encaps_test.json",
    rule: "ENC-KEY-002",
    check: async (run, t) => {
      const o = await run("primitive.mlkem768_encaps", { encapsulationKey: str(t.ek), randomness: str(t.m) });
      // ENC-KEY-001: a key of the wrong length or failing the modulus check is KEY_INVALID.
      if (t.result === "invalid") return o.kind === "rejected" && o.code === ErrorCode.KEY_INVALID ? undefined : `expected KEY_INVALID: ${outcomeText(o)}`;
      return completed(o) && o.outputs.ciphertext === str(t.c) && o.outputs.sharedSecret === str(t.K) ? undefined : `encaps: expected K ${str(t.K)}: ${outcomeText(o)}`;
    },
  },
];

defineProperty({
  id: "crypto.key.wycheproof",
  rules: ["ENC-KEY-002"],
  mode: "crypto",
  profile: "core",
  numRuns: 1,
  description:
    "The primitive kinds pass the Wycheproof vectors for X25519 (all-zero results KEY_INVALID), Ed25519, HKDF-SHA256, HMAC-SHA256, AES-256-GCM with 12-byte nonces and ML-KEM-768 (keygen/decaps and encaps, including the modulus check), when the vector folder is present.",
  run: (context: PropertyContext<"crypto">) =>
    fc.asyncProperty(fc.constant(null), async () => {
      const dir = wycheproofDir();
      if (!existsSync(dir)) {
        context.transcript.add("note", `Wycheproof vectors not found at ${dir} (set KABAR_WYCHEPROOF_DIR); only the generated cases of crypto.key.primitives check ENC-KEY-002`);
        return;
      }
      const run = (kind: string, inputs: CryptoCaseFields) => context.target.runCase(kind, inputs);
      const counts: string[] = [];
      for (const { file, rule, select, check } of FILES) {
        const data = load(dir, file);
        if (data === undefined) {
          counts.push(`${file}: absent`);
          continue;
        }
        let n = 0;
        for (const group of data.testGroups) {
          if (select !== undefined && !select(group)) continue;
          for (const t of group.tests) {
            n++;
            const problem = await check(run, t, group);
            if (problem !== undefined) {
              context.transcript.add("note", { wycheproof: file, tcId: t.tcId, result: t.result, comment: t.comment, problem });
              throw new RuleViolation(rule, `Wycheproof ${file} tcId ${t.tcId} (${t.result}${typeof t.comment === "string" && t.comment !== "" ? `, ${t.comment}` : ""}): ${problem}`);
            }
          }
        }
        counts.push(`${file}: ${n}`);
      }
      context.transcript.add("note", `Wycheproof vectors from ${dir} passed: ${counts.join(", ")}`);
    }),
});

