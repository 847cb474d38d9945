// The breaking-change gate (`npm run breaking`) must be able to fail: each
// wire- or JSON-incompatible edit below, applied to a copy of proto/, makes
// `buf breaking` reject it, while the untouched copy passes.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const repo = new URL("../../../", import.meta.url).pathname;
const buf = join(repo, "node_modules/.bin/buf");
const work: string[] = [];
afterAll(() => work.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function breakingAfter(file: string, from: string, to: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "kabar-breaking-"));
  work.push(dir);
  cpSync(join(repo, "proto"), join(dir, "proto"), { recursive: true });
  cpSync(join(repo, "buf.yaml"), join(dir, "buf.yaml"));
  const path = join(dir, "proto/kabar/v1", file);
  const text = readFileSync(path, "utf8");
  if (from !== "" && !text.includes(from)) throw new Error(`${file} no longer contains ${from}`);
  writeFileSync(path, text.replace(from, to));
  const run = spawnSync(buf, ["breaking", "--against", repo], { cwd: dir, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("WIRE-COMPAT-001: buf breaking guards the wire and JSON meaning of proto/", () => {
  it("passes an unchanged copy", () => {
    const result = breakingAfter("envelope.proto", "", "");
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  const edits: Array<[string, string, string, string]> = [
    ["a field's type changes", "envelope.proto", "uint32 counter = 3;", "uint64 counter = 3;"],
    ["a field is renumbered", "envelope.proto", "uint32 previous_counter = 4;", "uint32 previous_counter = 6;"],
    ["a field is renamed (JSON name changes)", "sync.proto", "uint64 inbox_seq = 2;\n}", "uint64 inbox_sequence = 2;\n}"],
    ["an error code is removed", "errors.proto", "  ERROR_CODE_DEVICE_DISPLACED = 205;\n", ""],
  ];
  for (const [what, file, from, to] of edits) {
    it(`fails when ${what}`, () => {
      const result = breakingAfter(file, from, to);
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/proto\/kabar\/v1\//);
    });
  }
});
