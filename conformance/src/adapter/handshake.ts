// The first exchange with every adapter process: Describe, checked, then
// Reset. The identity it returns goes into the report; the declared profiles
// decide which rules may be skipped.
import { AdapterKind, AdapterProfile } from "@kabar/protocol";
import { ConformanceError } from "../errors.js";
import type { Profile } from "../rules/rule.js";
import { ADAPTER_CONTRACT_VERSION } from "../version.js";
import type { AdapterClient } from "./adapter-client.js";

/** Who the implementation under test is, as its adapter describes it. */
export interface ImplementationIdentity {
  /** Implementation name. */
  readonly implementation: string;
  /** Implementation version. */
  readonly version: string;
  /** The spec version it targets. */
  readonly specVersion: string;
  /** Client or server. */
  readonly kind: "client" | "server";
  /** Declared profiles, `core` first. */
  readonly profiles: readonly Profile[];
  /** The adapter-contract version it speaks. */
  readonly contractVersion: number;
}

const PROFILE_NAMES: Readonly<Record<number, Profile>> = {
  [AdapterProfile.CORE]: "core",
  [AdapterProfile.GROUPS]: "groups",
  [AdapterProfile.FILES]: "files",
  [AdapterProfile.HISTORY]: "history",
  [AdapterProfile.PAYMENTS]: "payments",
};

/** Sends Describe and Reset; throws ADAPTER_PROTOCOL when the description breaks CONF-ADAPTER-005. */
export async function handshake(client: AdapterClient, reset: { serverUrl?: string; seed?: number } = {}): Promise<ImplementationIdentity> {
  const described = await client.call("describe", { contractVersion: ADAPTER_CONTRACT_VERSION });
  const problems: string[] = [];
  if (described.implementation.trim() === "") problems.push("implementation name is empty");
  if (described.contractVersion !== ADAPTER_CONTRACT_VERSION) problems.push(`contract_version is ${described.contractVersion}, the kit speaks ${ADAPTER_CONTRACT_VERSION}`);
  if (described.kind !== AdapterKind.CLIENT && described.kind !== AdapterKind.SERVER) problems.push("kind is neither CLIENT nor SERVER");
  const profiles: Profile[] = [];
  for (const value of described.profiles) {
    const name = PROFILE_NAMES[value];
    if (name === undefined) problems.push(`unknown profile value ${value}`);
    else if (!profiles.includes(name)) profiles.push(name);
  }
  if (!profiles.includes("core")) problems.push("profiles do not include CORE");
  if (problems.length > 0) throw new ConformanceError("ADAPTER_PROTOCOL", `invalid Describe answer (CONF-ADAPTER-005): ${problems.join("; ")}`);
  await client.call("reset", { serverUrl: reset.serverUrl ?? "", seed: BigInt(reset.seed ?? 0) });
  return {
    implementation: described.implementation,
    version: described.version,
    specVersion: described.specVersion,
    kind: described.kind === AdapterKind.SERVER ? "server" : "client",
    profiles: profiles.sort((a, b) => PROFILE_ORDER.indexOf(a) - PROFILE_ORDER.indexOf(b)),
    contractVersion: described.contractVersion,
  };
}

const PROFILE_ORDER: readonly Profile[] = ["core", "groups", "files", "history", "payments"];
