// Shared set-up for the client-behaviour properties: a fresh adapter state
// pointed at the kit's server (or an adversary in front of it), people with
// devices, and helpers to read what each device shows.
import type { AdapterVisibleMessage } from "@kabar/protocol";
import type { AdapterClient } from "../../../adapter/adapter-client.js";
import type { Transcript } from "../../../adapter/transcript.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import type { ClientTarget } from "../../../targets/target-types.js";
import { honest, startAdversary, type Adversary } from "../../../adversary/adversary.js";

/** One account and its devices, by adapter handle. */
export interface Person {
  /** The account handle. */
  readonly account: string;
  /** Device handles, first device first. */
  readonly devices: string[];
}

/** A healthy adapter, reset onto `url` (default: the kit's server). */
export async function freshAdapter(target: ClientTarget, url?: string, seed = 0n): Promise<AdapterClient> {
  const adapter = await target.healthyAdapter();
  await adapter.call("reset", { serverUrl: url ?? (await target.serverUrl()), seed });
  return adapter;
}

/** Registers an account. */
export async function person(adapter: AdapterClient, label: string): Promise<Person> {
  const created = await adapter.call("createAccount", { label });
  return { account: created.account, devices: [created.device] };
}

/** What {@link aliceAndBob} sets up. */
export interface AliceAndBob {
  /** The adapter, freshly reset. */
  readonly adapter: AdapterClient;
  /** The first person; she created the conversation. */
  readonly alice: Person;
  /** The second person. */
  readonly bob: Person;
  /** The conversation handle. */
  readonly conversation: string;
}

/**
 * The usual opening of a client property: a fresh adapter on `url`, two
 * people with one device each, and a conversation Alice created with Bob
 * (`kind` 1 direct, 2 group).
 */
export async function aliceAndBob(target: ClientTarget, url?: string, kind = 1): Promise<AliceAndBob> {
  const adapter = await freshAdapter(target, url);
  const alice = await person(adapter, "alice");
  const bob = await person(adapter, "bob");
  const { conversation } = await adapter.call("createConversation", { device: alice.devices[0]!, kind, members: [bob.account] });
  return { adapter, alice, bob, conversation };
}

/** Links and approves one more device for `who`. */
export async function linkDevice(adapter: AdapterClient, who: Person): Promise<string> {
  const linked = await adapter.call("linkDevice", { account: who.account, approverDevice: who.devices[0]!, approve: true });
  if (linked.device === "") throw new RuleViolation("CLIENT-LINK-001", "an approved link returned no device");
  who.devices.push(linked.device);
  return linked.device;
}

/** The messages a device shows in one conversation (none when it does not show the conversation). */
export async function shownMessages(adapter: AdapterClient, device: string, conversation: string): Promise<AdapterVisibleMessage[]> {
  const state = await adapter.call("getVisibleState", { device });
  return state.conversations.find((c) => c.conversation === conversation)?.messages ?? [];
}

/** The texts a device shows, in order. */
export async function shownTexts(adapter: AdapterClient, device: string, conversation: string): Promise<string[]> {
  return (await shownMessages(adapter, device, conversation)).map((m) => m.text);
}

/** SyncNow on every device, `rounds` times (keys may arrive in one round and the messages they open in the next). */
export async function syncAll(adapter: AdapterClient, devices: readonly string[], rounds = 2): Promise<void> {
  for (let round = 0; round < rounds; round++) for (const device of devices) await adapter.call("syncNow", { device });
}

/** Polls `check` (without syncing) until it returns undefined, or returns its last complaint after `ms`. */
export async function within(ms: number, check: () => Promise<string | undefined>): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const complaint = await check();
    if (complaint === undefined || Date.now() > deadline) return complaint;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The digests of every device, hex. */
export async function digests(adapter: AdapterClient, devices: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const device of devices) out.push(Buffer.from((await adapter.call("getStateDigest", { device })).sha256).toString("hex"));
  return out;
}

/** Notes a line in the transcript. */
export function note(transcript: Transcript, text: string): void {
  transcript.add("note", text);
}

/** Runs `body` with an honest adversary in front of the kit's server (scripts change it later) and closes it afterwards. */
export async function withAdversary<T>(target: ClientTarget, body: (adversary: Adversary) => Promise<T>): Promise<T> {
  const adversary = await startAdversary(await target.serverUrl(), honest);
  try {
    return await body(adversary);
  } finally {
    await adversary.close();
  }
}
