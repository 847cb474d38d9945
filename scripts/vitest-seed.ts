// Seeds every fast-check property in a test file from one seed and prints it,
// so any failure can be replayed: FC_SEED=<seed> npm test.
import fc from "fast-check";

const fromEnv = process.env.FC_SEED;
const seed = fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : (Date.now() ^ (Math.random() * 0x100000000)) | 0;
if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${fromEnv}`);
const numRuns = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : undefined;
fc.configureGlobal({ seed, ...(numRuns !== undefined ? { numRuns } : {}) });
const file = (globalThis as { __vitest_worker__?: { filepath?: string } }).__vitest_worker__?.filepath ?? "";
console.log(`fast-check seed ${seed}${file ? ` for ${file.split("/").slice(-3).join("/")}` : ""} (replay: FC_SEED=${seed})`);
