// Fails when regenerating packages/protocol/src/gen from proto/ would change
// anything: a schema edit without a regenerate, or a hand edit of generated
// code. Regenerates into a temporary folder and compares byte for byte.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const repo = new URL("..", import.meta.url).pathname;
const committed = join(repo, "packages/protocol/src/gen");
const fresh = mkdtempSync(join(tmpdir(), "kabar-gen-"));

function listFiles(base, dir = base) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(base, path));
    else out.push(relative(base, path));
  }
  return out.sort();
}

try {
  execFileSync("node", [join(repo, "scripts/generate.mjs"), fresh], { cwd: repo, stdio: ["ignore", "ignore", "inherit"] });
  const want = listFiles(fresh);
  const have = listFiles(committed);
  const problems = [];
  for (const file of want) {
    if (!have.includes(file)) problems.push(`missing: ${file}`);
    else if (!readFileSync(join(fresh, file)).equals(readFileSync(join(committed, file)))) problems.push(`differs: ${file}`);
  }
  for (const file of have) if (!want.includes(file)) problems.push(`not generated: ${file}`);
  if (problems.length > 0) {
    console.error(`check:generated FAILED: packages/protocol/src/gen is not what proto/ generates.\n  ${problems.join("\n  ")}\nRun \`npm run generate\` and commit the result.`);
    process.exit(1);
  }
  console.log(`check:generated ok: ${want.length} generated files match proto/`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
