// SERVER-NOPLAIN-001: the server has no decryption code path for content.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const srcDir = fileURLToPath(new URL("../src", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

it("SERVER-NOPLAIN-001 SYNC-SEND-006 no server source imports @kabar/crypto or any decryption API", () => {
  const offenders: string[] = [];
  for (const file of files(srcDir).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(file, "utf8");
    if (/from\s+["']@kabar\/crypto/.test(text) || /import\(\s*["']@kabar\/crypto/.test(text)) offenders.push(`${file}: @kabar/crypto`);
    if (/\bcreateDecipheriv\b|\bprivateDecrypt\b|\bdiffieHellman\b|\bcreateDiffieHellman\b|\bcreateECDH\b/.test(text)) offenders.push(`${file}: decryption or key agreement API`);
    if (/Content\.decode|SenderKeyMessage\.decode|PairwiseMessage\.decode/.test(text)) offenders.push(`${file}: decodes end-to-end envelopes`);
  }
  expect(offenders).toEqual([]);
});
