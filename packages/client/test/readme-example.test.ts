// The README shows the two-accounts example in full; this keeps that copy
// identical to the file the example test runs, so the README never rots.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

it("README.md carries examples/two-accounts.ts verbatim", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const file = readFileSync(new URL("../examples/two-accounts.ts", import.meta.url), "utf8");
  const block = /<!-- example:two-accounts -->\n```ts\n([\s\S]*?)```\n<!-- \/example:two-accounts -->/.exec(readme);
  expect(block, "README.md lacks the example:two-accounts block").not.toBeNull();
  expect(block![1]).toBe(file);
});
