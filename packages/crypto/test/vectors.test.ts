import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkVectorFiles, formatVectorFile, generateVectorFiles } from "../src/vectors/generate.js";
import type { VectorFile } from "../src/vectors/vector-format.js";

const dir = fileURLToPath(new URL("../vectors/", import.meta.url));
const committed = (): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).filter((n) => n.endsWith(".json")).map((n) => [n, readFileSync(`${dir}${n}`, "utf8")]));

describe("published vectors", () => {
  it("ENC-VECTOR-001: regenerating from the fixed seeds reproduces the committed files exactly", async () => {
    const files = await generateVectorFiles();
    const onDisk = committed();
    expect(Object.keys(onDisk).sort()).toEqual(Object.keys(files).sort());
    for (const [name, file] of Object.entries(files)) {
      expect(formatVectorFile(file), `${name} drifted; run scripts/write-vectors.ts and review the diff`).toBe(onDisk[name]);
    }
  });

  it("ENC-VECTOR-002: this implementation passes every committed vector", async () => {
    const files = Object.fromEntries(Object.entries(committed()).map(([n, text]) => [n, JSON.parse(text) as VectorFile]));
    const total = Object.values(files).reduce((n, f) => n + f.testGroups.reduce((m, g) => m + g.tests.length, 0), 0);
    expect(total).toBeGreaterThanOrEqual(30);
    expect(await checkVectorFiles(files)).toEqual([]);
  });
});
