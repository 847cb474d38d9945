// Runs every benchmark module (packages/*/bench/*.bench.ts and
// conformance/bench/*.bench.ts), each in its own process so one cannot warm
// up or disturb another, and prints their tables. Ratios inside a table are
// always between rows measured side by side in the same process.
// Usage: npm run bench [-- <filter>]   e.g. npm run bench -- protocol
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const repo = new URL("..", import.meta.url).pathname;
const filter = process.argv[2] ?? "";
const dirs = [...readdirSync(join(repo, "packages")).map((p) => join("packages", p, "bench")), join("conformance", "bench")];
const files = dirs
  .filter((d) => existsSync(join(repo, d)))
  .flatMap((d) => readdirSync(join(repo, d)).filter((f) => f.endsWith(".bench.ts")).map((f) => join(d, f)))
  .filter((f) => f.includes(filter));

if (files.length === 0) {
  console.error(`no benchmark matches "${filter}"`);
  process.exit(1);
}
console.log(`Kabar benchmarks on node ${process.version}, ${new Date().toISOString()}`);
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const run = spawnSync(process.execPath, ["--import", "tsx", "--conditions=@kabar/source", "--expose-gc", file], {
    cwd: repo,
    stdio: "inherit",
  });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
