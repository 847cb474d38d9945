// Turns a command line, or a replay token's target string, into a target
// provider.
import { ConformanceError } from "../errors.js";
import type { Profile } from "../rules/rule.js";
import { clientAdapterProvider } from "../targets/client-provider.js";
import { adapterCryptoProvider, mutantCryptoProvider, referenceCryptoProvider } from "../targets/crypto-providers.js";
import { adapterCodecProvider, mutantCodecProvider, referenceCodecProvider } from "../targets/codec-providers.js";
import { adapterServerProvider, commandServerProvider, mutantServerProvider, urlServerProvider } from "../targets/server-providers.js";
import type { TargetProvider } from "../targets/target-types.js";
import type { CliCommand } from "./parse-args.js";

/** The provider a run command asks for. */
export async function providerForCommand(cli: CliCommand): Promise<TargetProvider> {
  const profiles: readonly Profile[] = cli.profiles ?? ["core"];
  switch (cli.command) {
    case "codec":
      if (cli.mutant !== undefined) return mutantCodecProvider(cli.mutant);
      if (cli.adapter !== undefined) return adapterCodecProvider(cli.adapter, cli.timeoutMs);
      return referenceCodecProvider();
    case "crypto":
      if (cli.mutant !== undefined) return mutantCryptoProvider(cli.mutant);
      if (cli.adapter !== undefined) return adapterCryptoProvider(cli.adapter, cli.timeoutMs, cli.profiles);
      return referenceCryptoProvider();
    case "client":
      return clientAdapterProvider({ command: cli.adapter!, timeoutMs: cli.timeoutMs, profiles: cli.profiles });
    case "server":
      if (cli.url !== undefined) return urlServerProvider({ url: cli.url, restartCommand: cli.restartCmd, profiles });
      if (cli.cmd !== undefined) return commandServerProvider({ command: cli.cmd, profiles });
      return adapterServerProvider({ command: cli.adapter!, timeoutMs: cli.timeoutMs, profiles: cli.profiles });
    default:
      throw new ConformanceError("USAGE", `${cli.command} does not run a target`);
  }
}

/** The provider a replay token's target string names. */
export async function providerForReplayTarget(target: string, options: { restartCmd?: string; timeoutMs?: number; profiles?: readonly Profile[] } = {}): Promise<TargetProvider> {
  const [mode, kind, ...rest] = target.split(":");
  const value = rest.join(":");
  if (mode === "codec" && kind === "reference") return referenceCodecProvider();
  if (mode === "codec" && kind === "mutant") return mutantCodecProvider(value);
  if (mode === "codec" && kind === "adapter") return adapterCodecProvider(value, options.timeoutMs);
  if (mode === "crypto" && kind === "reference") return referenceCryptoProvider();
  if (mode === "crypto" && kind === "mutant") return mutantCryptoProvider(value);
  if (mode === "crypto" && kind === "adapter") return adapterCryptoProvider(value, options.timeoutMs, options.profiles);
  if (mode === "client") return clientAdapterProvider({ command: [kind, ...rest].join(":"), timeoutMs: options.timeoutMs });
  if (mode === "server" && kind === "url") return urlServerProvider({ url: value, restartCommand: options.restartCmd, profiles: options.profiles ?? ["core"] });
  if (mode === "server" && kind === "cmd") return commandServerProvider({ command: value, profiles: options.profiles ?? ["core"] });
  if (mode === "server" && kind === "mutant") return mutantServerProvider(value, options.profiles);
  if (mode === "server" && kind === "adapter") return adapterServerProvider({ command: value, timeoutMs: options.timeoutMs });
  throw new ConformanceError("REPLAY_TOKEN_INVALID", `unknown replay target ${target}`);
}
