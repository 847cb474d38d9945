import { readdirSync, existsSync } from "node:fs";
import { defineConfig } from "vitest/config";

// One vitest project per workspace package, plus one for the docs site. Tests import sibling packages by
// name; the "@kabar/source" export condition points those imports at the
// TypeScript sources, so tests never need a prior build.
const packageDirs = [
  ...readdirSync("packages", { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `packages/${entry.name}`),
  "conformance",
  "docs",
].filter((dir) => existsSync(`${dir}/test`));

export default defineConfig({
  test: {
    projects: packageDirs.map((dir) => ({
      resolve: { conditions: ["@kabar/source"] },
      ssr: { resolve: { conditions: ["@kabar/source"] } },
      test: {
        name: dir.split("/").pop(),
        root: dir,
        include: ["test/**/*.test.ts"],
        setupFiles: [new URL("./scripts/vitest-seed.ts", import.meta.url).pathname],
        testTimeout: 60_000,
        hookTimeout: 60_000,
      },
    })),
  },
});
