// Versions the kit stamps on every report. The kit version comes from the
// package manifest so a release never reports a stale number; src/ and dist/
// both sit one level below it.
import { readFileSync } from "node:fs";

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string; version: string };

/** The npm name of the kit. */
export const KIT_NAME: string = manifest.name;
/** The kit's version, from its package manifest. */
export const KIT_VERSION: string = manifest.version;
/** Version of the JSON report schema; bumped on any incompatible change. */
export const REPORT_VERSION = 1;
/** The adapter-contract version this kit speaks (`proto/kabar/conformance/v1`). */
export const ADAPTER_CONTRACT_VERSION = 1;
