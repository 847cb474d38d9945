// Writes conformance/vectors/wire-decode.json from the kit's generators.
//   node --conditions=@kabar/source --import tsx conformance/scripts/generate-wire-vectors.ts
// test/vectors.test.ts fails when the file is not what this writes.
import { mkdirSync, writeFileSync } from "node:fs";
import { buildWireVectors } from "../src/vectors/wire-vectors.js";
import { KIT_VERSION } from "../src/version.js";

const dir = new URL("../vectors/", import.meta.url);
mkdirSync(dir, { recursive: true });
const file = buildWireVectors({ generatorVersion: KIT_VERSION });
writeFileSync(new URL("wire-decode.json", dir), `${JSON.stringify(file, null, 2)}\n`);
console.log(`vectors: ${file.numberOfTests} wire-decoding vectors written`);
