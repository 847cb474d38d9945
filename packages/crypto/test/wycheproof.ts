// Loads Wycheproof files from the shared folder at test time; they are never
// copied into the repository. A missing folder prints a SKIP line.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

export const WYCHEPROOF_DIR = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../../shared/vectors/wycheproof");

export interface WycheproofTest { tcId: number; comment?: string; flags?: string[]; result: "valid" | "invalid" | "acceptable"; [field: string]: unknown }
export interface WycheproofGroup { tests: WycheproofTest[]; [field: string]: unknown }
export interface WycheproofFile { algorithm: string; testGroups: WycheproofGroup[] }

/** Returns the parsed file, or undefined (after printing SKIP) when the folder is missing. */
export function loadWycheproof(name: string): WycheproofFile | undefined {
  const path = resolve(WYCHEPROOF_DIR, name);
  if (!existsSync(path)) {
    console.log(`SKIP: Wycheproof vectors not found at ${path}`);
    return undefined;
  }
  return JSON.parse(readFileSync(path, "utf8")) as WycheproofFile;
}

/** True when the shared Wycheproof folder exists; prints a SKIP line once when it does not. */
export const WYCHEPROOF_AVAILABLE = ((): boolean => {
  const present = existsSync(WYCHEPROOF_DIR);
  if (!present) console.log(`SKIP: Wycheproof vectors not found at ${WYCHEPROOF_DIR}; primitive vector tests are skipped`);
  return present;
})();

export const hex = (text: unknown): Uint8Array => new Uint8Array(Buffer.from(String(text), "hex"));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
