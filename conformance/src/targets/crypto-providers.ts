// Providers for crypto mode: the reference encryption cases, a registered
// crypto mutant, or an adapter's crypto_case operation.
import { inProcessCryptoTarget, adapterCrypto } from "../crypto/crypto-targets.js";
import { ConformanceError } from "../errors.js";
import { mutantRegistry } from "../registry/mutant-registry.js";
import { PROFILES } from "../rules/rule.js";
import type { Transcript } from "../adapter/transcript.js";
import { AdapterSession } from "./adapter-session.js";
import type { CryptoTarget, TargetProvider } from "./target-types.js";

// The reference implements every case kind of every profile.
const ALL_PROFILES = [...PROFILES];

function inProcess(target: CryptoTarget, replayTarget: string): TargetProvider<"crypto"> {
  return { mode: "crypto", replayTarget, identity: null, profiles: ALL_PROFILES, acquire: async () => target, close: async () => undefined };
}

/** The reference encryption cases of @kabar/crypto, in-process. */
export function referenceCryptoProvider(): TargetProvider<"crypto"> {
  return inProcess(inProcessCryptoTarget("reference encryption cases (@kabar/crypto)"), "crypto:reference");
}

/** A registered crypto mutant; throws USAGE for an unknown id. */
export async function mutantCryptoProvider(id: string): Promise<TargetProvider<"crypto">> {
  const mutant = mutantRegistry.get(id);
  if (mutant === undefined || mutant.target !== "crypto" || mutant.create === undefined) {
    const known = mutantRegistry.list("crypto").map((m) => m.id).join(", ");
    throw new ConformanceError("USAGE", `no crypto mutant ${id}; known: ${known}`);
  }
  return inProcess((await mutant.create()) as CryptoTarget, `crypto:mutant:${id}`);
}

/** An adapter's crypto_case operation; performs the handshake first. */
export async function adapterCryptoProvider(command: string, timeoutMs?: number, profiles?: readonly (typeof PROFILES)[number][]): Promise<TargetProvider<"crypto">> {
  const session = new AdapterSession({ command, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  const identity = await session.start();
  return {
    mode: "crypto",
    replayTarget: `crypto:adapter:${command}`,
    identity,
    profiles: profiles !== undefined ? identity.profiles.filter((p) => profiles.includes(p)) : identity.profiles,
    acquire: async (transcript: Transcript) => adapterCrypto(session, transcript),
    close: () => session.close(),
  };
}
