// kabar-conformance: the kit's command line. Exit status 0 when nothing
// fails, 1 when the run fails, 2 when the kit could not run.
import { loadCatalogue } from "./rules/catalogue.js";
import { isConformanceError } from "./errors.js";
import { loadExpectedFailures } from "./expected-failures/expected-failures.js";
import { propertyRegistry } from "./registry/property-registry.js";
import { progressPrinter } from "./report/progress.js";
import { writeReports } from "./report/write-reports.js";
import { runConformance } from "./runner/run-conformance.js";
import { freshSeed } from "./runner/derive-seed.js";
import { listRules } from "./cli/list-rules.js";
import { providerForCommand } from "./cli/make-provider.js";
import { USAGE, parseCli } from "./cli/parse-args.js";
import { formatReplay, replay } from "./cli/replay.js";
import { KIT_VERSION } from "./version.js";
import "./suites/all.js";

/** Runs the command line `argv` and resolves with the exit status. */
export async function main(argv: readonly string[], out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  try {
    const cli = parseCli(argv);
    if (cli.command === "help") {
      out.write(`${USAGE}\n`);
      return 0;
    }
    if (cli.command === "version") {
      out.write(`${KIT_VERSION}\n`);
      return 0;
    }
    const catalogue = loadCatalogue(cli.catalogue);
    if (cli.command === "list") {
      out.write(listRules(catalogue, propertyRegistry.list(), { mode: cli.listMode, ruleGlobs: cli.rules }));
      return 0;
    }
    if (cli.command === "replay") {
      const evidence = await replay(cli.token!, { restartCmd: cli.restartCmd, timeoutMs: cli.timeoutMs, profiles: cli.profiles });
      out.write(formatReplay(cli.token!, evidence));
      return evidence.status === "passed" ? 0 : evidence.status === "failed" ? 1 : 2;
    }
    const expectedFailures = cli.expectedFailures !== undefined ? loadExpectedFailures(cli.expectedFailures) : undefined;
    const seed = cli.seed ?? freshSeed();
    const provider = await providerForCommand(cli);
    const progress = progressPrinter(err);
    try {
      if (provider.identity !== null) err.write(`implementation: ${provider.identity.implementation} ${provider.identity.version} (${provider.identity.kind}), profiles ${provider.profiles.join(",")}\n`);
      err.write(`seed ${seed} (replay the whole run with --seed ${seed})\n`);
      const report = await runConformance({
        provider, catalogue, seed, numRuns: cli.runs, ruleGlobs: cli.rules, strict: cli.strict, expectedFailures,
        onStart: progress.onStart, onRule: progress.onRule,
      });
      progress.summary(report);
      if (cli.out !== undefined) for (const file of writeReports(report, cli.out, { docsBase: cli.docsBase })) err.write(`wrote ${file}\n`);
      return report.summary.failed ? 1 : 0;
    } finally {
      await provider.close();
    }
  } catch (error) {
    if (isConformanceError(error)) {
      err.write(`kabar-conformance: ${error.message}\n`);
      if (error.code === "USAGE") err.write("run kabar-conformance --help for usage\n");
      return 2;
    }
    err.write(`kabar-conformance: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
