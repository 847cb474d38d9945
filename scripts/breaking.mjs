// Runs `buf breaking` on proto/ against the last commit on main, so a change
// that alters wire meaning (a renumbered field, a changed type, a removed
// value) fails before it lands. With no main branch or no schema on it yet,
// there is nothing to compare against and it says so.
import { execFileSync, spawnSync } from "node:child_process";

const repo = new URL("..", import.meta.url).pathname;
const against = process.env.KABAR_BREAKING_AGAINST ?? "main";
const hasBaseline = spawnSync("git", ["cat-file", "-e", `${against}:proto`], { cwd: repo }).status === 0;
if (!hasBaseline) {
  console.log(`breaking: SKIP — ${against} has no proto/ to compare against yet`);
  process.exit(0);
}
const ref = /^[0-9a-f]{7,40}$/.test(against) ? `ref=${against}` : `branch=${against}`;
try {
  execFileSync("npx", ["buf", "breaking", "--against", `.git#${ref}`], { cwd: repo, stdio: "inherit" });
  console.log(`breaking ok: proto/ is wire-compatible with ${against}`);
} catch {
  console.error(`breaking FAILED: proto/ changes wire meaning relative to ${against} (see above).`);
  process.exit(1);
}
