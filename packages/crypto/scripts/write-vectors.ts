// Regenerates packages/crypto/vectors/*.json from fixed seeds:
//   npx tsx --conditions=@kabar/source packages/crypto/scripts/write-vectors.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { formatVectorFile, generateVectorFiles } from "../src/vectors/generate.js";

const dir = fileURLToPath(new URL("../vectors/", import.meta.url));
mkdirSync(dir, { recursive: true });
const files = await generateVectorFiles();
for (const [name, file] of Object.entries(files)) {
  writeFileSync(`${dir}${name}`, formatVectorFile(file));
  console.log(`wrote vectors/${name} (${file.testGroups.reduce((n, g) => n + g.tests.length, 0)} tests)`);
}
