#!/usr/bin/env node
// Bin shim: runs the reference client's conformance adapter (main.ts) from
// its TypeScript sources with tsx, passing stdio straight through so the
// kit's length-prefixed frames reach it untouched. Arguments are forwarded
// (--server ws://..., --mutant <id> for the kit's own tests).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const child = spawn(process.execPath, ["--conditions=@kabar/source", "--import", "tsx", main, ...process.argv.slice(2)], { stdio: "inherit" });
child.on("exit", (code, signal) => process.exit(signal !== null ? 1 : (code ?? 1)));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
