// Command-line parsing for kabar-conformance. Kept separate from running so
// tests can check the parser without starting anything.
import { parseArgs } from "node:util";
import { ConformanceError } from "../errors.js";
import { isProfile, type Profile } from "../rules/rule.js";

/** What the command line asks for. */
export interface CliCommand {
  /** The subcommand. */
  readonly command: "server" | "client" | "codec" | "crypto" | "replay" | "list" | "help" | "version";
  /** server: the URL of a running server. */
  readonly url?: string;
  /** server: command that restarts the server at --url. */
  readonly restartCmd?: string;
  /** server: command the kit starts. */
  readonly cmd?: string;
  /** client, server or codec: the adapter command. */
  readonly adapter?: string;
  /** codec or crypto: a mutant to run against instead of the reference. */
  readonly mutant?: string;
  /** Profiles to certify. */
  readonly profiles?: readonly Profile[];
  /** Runs per property. */
  readonly runs?: number;
  /** Run seed. */
  readonly seed?: number;
  /** Rule-id globs. */
  readonly rules: readonly string[];
  /** Count NON-STRICT as failure. */
  readonly strict: boolean;
  /** Expected-failures file. */
  readonly expectedFailures?: string;
  /** List rules instead of running. */
  readonly list: boolean;
  /** Report directory. */
  readonly out?: string;
  /** Adapter request timeout in milliseconds. */
  readonly timeoutMs?: number;
  /** Base URL of the published spec for report links. */
  readonly docsBase?: string;
  /** Alternative catalogue file. */
  readonly catalogue?: string;
  /** list: only this mode's properties. */
  readonly listMode?: "server" | "client" | "codec" | "crypto";
  /** replay: the token. */
  readonly token?: string;
}

/** The usage text. */
export const USAGE = `kabar-conformance: certify a Kabar implementation against the spec's rules

usage:
  kabar-conformance server --url ws://HOST:PORT [--restart-cmd "CMD"] [options]
  kabar-conformance server --cmd "CMD"          (CMD prints {"event":"listening","url":"ws://..."} first)
  kabar-conformance server --adapter "CMD"      (a server adapter: StartServer / RestartServer)
  kabar-conformance client --adapter "CMD"      (a client adapter, see docs/spec/conformance.md)
  kabar-conformance codec [--mutant ID | --adapter "CMD"]   (decoder rules; default: the reference decoder)
  kabar-conformance crypto [--mutant ID | --adapter "CMD"]  (encryption rules through crypto_case; default: the reference, @kabar/crypto)
  kabar-conformance replay TOKEN                (re-run one failing case from a report)
  kabar-conformance list [server|client|codec|crypto]  (rules with level, profile and property ids; same as --list)

options:
  --profile P[,P]           profiles to certify (core, groups, files, history, payments);
                            adapters: default what Describe declares; --url/--cmd: default core
  --runs N                  runs per property (default: each property's own, 100)
  --seed N                  run seed (default: random, printed)
  --rule GLOB               only rules matching GLOB (repeatable; * and ? wildcards; !GLOB excludes)
  --strict                  count NON-STRICT (broken SHOULD) as failure
  --expected-failures FILE  rules known to fail: "RULE-ID  # issue link" per line
  --out DIR                 write report.json, junit.xml, report.html, expected-failures.updated.txt
  --timeout MS              adapter request timeout (default 10000)
  --docs-base URL           docs site root for rule links in report.html (default ../site)
  --list                    list the rules instead of running them
  --help, --version

exit status: 0 no failure, 1 failures, 2 the kit could not run`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new ConformanceError("USAGE", `--${name} needs an integer, got ${value}`);
  return n;
}

/** Parses argv (without node and script). Throws USAGE. */
export function parseCli(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: "string" }, "restart-cmd": { type: "string" }, cmd: { type: "string" }, adapter: { type: "string" },
        mutant: { type: "string" }, profile: { type: "string", multiple: true }, runs: { type: "string" }, seed: { type: "string" },
        rule: { type: "string", multiple: true }, strict: { type: "boolean" }, "expected-failures": { type: "string" },
        list: { type: "boolean" }, out: { type: "string" }, timeout: { type: "string" }, "docs-base": { type: "string" },
        catalogue: { type: "string" }, help: { type: "boolean", short: "h" }, version: { type: "boolean" },
      },
    });
  } catch (error) {
    throw new ConformanceError("USAGE", (error as Error).message);
  }
  const { values, positionals } = parsed;
  const [first, second] = positionals;
  const profiles = values.profile?.flatMap((p) => p.split(",")).map((p) => p.trim()).filter((p) => p !== "");
  for (const p of profiles ?? []) if (!isProfile(p)) throw new ConformanceError("USAGE", `unknown profile ${p}`);
  const base = {
    url: values.url, restartCmd: values["restart-cmd"], cmd: values.cmd, adapter: values.adapter, mutant: values.mutant,
    profiles: profiles as Profile[] | undefined, runs: integer("runs", values.runs), seed: integer("seed", values.seed),
    rules: values.rule ?? [], strict: values.strict ?? false, expectedFailures: values["expected-failures"], list: values.list ?? false,
    out: values.out, timeoutMs: integer("timeout", values.timeout), docsBase: values["docs-base"], catalogue: values.catalogue,
  };
  if (values.help === true) return { ...base, command: "help" };
  if (values.version === true) return { ...base, command: "version" };
  if (first === undefined) {
    if (base.list) return { ...base, command: "list" };
    throw new ConformanceError("USAGE", "missing command: server, client, codec, crypto, replay or list");
  }
  if (first === "replay") {
    if (second === undefined) throw new ConformanceError("USAGE", "replay needs a token");
    return { ...base, command: "replay", token: second };
  }
  if (first === "list") {
    if (second !== undefined && second !== "server" && second !== "client" && second !== "codec" && second !== "crypto") throw new ConformanceError("USAGE", `list takes server, client, codec or crypto, not ${second}`);
    return { ...base, command: "list", list: true, ...(second !== undefined ? { listMode: second } : {}) };
  }
  if (first !== "server" && first !== "client" && first !== "codec" && first !== "crypto") throw new ConformanceError("USAGE", `unknown command ${first}`);
  if (positionals.length > 1) throw new ConformanceError("USAGE", `unexpected argument ${second}`);
  const command: CliCommand = { ...base, command: first };
  if (base.list) return { ...base, command: "list", listMode: first };
  if (first === "server") {
    const ways = [base.url, base.cmd, base.adapter].filter((w) => w !== undefined).length;
    if (ways !== 1) throw new ConformanceError("USAGE", "server needs exactly one of --url, --cmd or --adapter");
    if (base.restartCmd !== undefined && base.url === undefined) throw new ConformanceError("USAGE", "--restart-cmd goes with --url");
  }
  if (first === "client" && base.adapter === undefined) throw new ConformanceError("USAGE", "client needs --adapter");
  if ((first === "codec" || first === "crypto") && base.adapter !== undefined && base.mutant !== undefined) throw new ConformanceError("USAGE", `${first} takes --mutant or --adapter, not both`);
  return command;
}
