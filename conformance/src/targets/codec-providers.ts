// Providers for codec mode: the reference decoder, a registered codec
// mutant, or an adapter's decode operation.
import { adapterCodec } from "../codec/adapter-codec.js";
import { referenceCodec } from "../codec/reference-codec.js";
import { ConformanceError } from "../errors.js";
import { mutantRegistry } from "../registry/mutant-registry.js";
import { PROFILES } from "../rules/rule.js";
import type { Transcript } from "../adapter/transcript.js";
import { AdapterSession } from "./adapter-session.js";
import type { CodecTarget, TargetProvider } from "./target-types.js";

// An in-process decoder implements the whole wire format, which every
// profile shares; only core rules exist for it, so declaring all is honest.
const ALL_PROFILES = [...PROFILES];

function inProcess(target: CodecTarget, replayTarget: string): TargetProvider<"codec"> {
  return {
    mode: "codec",
    replayTarget,
    identity: null,
    profiles: ALL_PROFILES,
    acquire: async () => target,
    close: async () => undefined,
  };
}

/** The reference decoder of @kabar/protocol. */
export function referenceCodecProvider(): TargetProvider<"codec"> {
  return inProcess(referenceCodec, "codec:reference");
}

/** A registered codec mutant; throws USAGE for an unknown id. */
export async function mutantCodecProvider(id: string): Promise<TargetProvider<"codec">> {
  const mutant = mutantRegistry.get(id);
  if (mutant === undefined || mutant.target !== "codec" || mutant.create === undefined) {
    const known = mutantRegistry.list("codec").map((m) => m.id).join(", ");
    throw new ConformanceError("USAGE", `no codec mutant ${id}; known: ${known}`);
  }
  return inProcess((await mutant.create()) as CodecTarget, `codec:mutant:${id}`);
}

/** An adapter's decode operation; performs the handshake first. */
export async function adapterCodecProvider(command: string, timeoutMs?: number): Promise<TargetProvider<"codec">> {
  const session = new AdapterSession({ command, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  const identity = await session.start();
  return {
    mode: "codec",
    replayTarget: `codec:adapter:${command}`,
    identity,
    profiles: identity.profiles,
    acquire: async (transcript: Transcript) => adapterCodec(session, transcript),
    close: () => session.close(),
  };
}
