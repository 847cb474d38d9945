// The model of the convergence property: three devices (two of account 0,
// one of account 1) in one direct conversation. The model keeps the
// messages in server-sequence order (the order the kit's sequential
// operations commit them in), each one's text, edit and delete state,
// reactions and the read markers; offline sends join the order when their
// device comes back online.
import type { AdapterVisibleMessage } from "@kabar/protocol";
import type { AdapterClient } from "../../../adapter/adapter-client.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import { digests, syncAll } from "./client-world.js";

/** One message as the model knows it. */
export interface ModelMessage {
  /** The adapter's handle, once sent. */
  id: string;
  /** Index of the sending account. */
  readonly sender: number;
  /** Current text. */
  text: string;
  /** Edited by its sender. */
  edited: boolean;
  /** Deleted by its sender. */
  deleted: boolean;
  /** Present reactions: `${account index}\u0000${emoji}`. */
  readonly reactions: Set<string>;
  /** Sent while its device was offline. */
  readonly offline: boolean;
}

/** The model. */
export interface ConvergenceModel {
  /** Which account each device belongs to. */
  readonly deviceAccount: readonly number[];
  /** Which devices are offline. */
  readonly offline: boolean[];
  /** Committed messages in server order. */
  readonly order: ModelMessage[];
  /** Messages queued on offline devices, per device. */
  readonly pending: ModelMessage[][];
  /** Read marker per account index: index into `order`. */
  readonly readUpTo: Map<number, number>;
}

/** The real side. */
export interface ConvergenceReal {
  readonly adapter: AdapterClient;
  readonly accounts: readonly string[];
  readonly devices: readonly string[];
  readonly conversation: string;
}

/** A fresh model for 2 accounts and 3 devices (0, 1 of account 0; 2 of account 1). */
export function emptyConvergenceModel(): ConvergenceModel {
  return { deviceAccount: [0, 0, 1], offline: [false, false, false], order: [], pending: [[], [], []], readUpTo: new Map() };
}

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/** What every device must show for the model. */
export function expectedMessages(model: ConvergenceModel, real: ConvergenceReal): AdapterVisibleMessage[] {
  return model.order.map((m) => ({
    message: m.id, sender: real.accounts[m.sender]!, text: m.deleted ? "" : m.text, edited: m.edited && !m.deleted, deleted: m.deleted,
    reactions: m.deleted ? [] : [...m.reactions].map((key) => {
      const [account, emoji] = key.split("\u0000");
      return { account: real.accounts[Number(account)]!, emoji: emoji! };
    }).sort((a, b) => byBytes(a.account, b.account) || byBytes(a.emoji, b.emoji)),
    documentSha256: new Uint8Array(0),
  }));
}

const render = (m: AdapterVisibleMessage): string =>
  `${m.message.slice(0, 8)}:${JSON.stringify(m.text)}${m.edited ? " edited" : ""}${m.deleted ? " deleted" : ""}${m.reactions.length > 0 ? ` [${m.reactions.map((r) => `${r.account.slice(0, 6)}${r.emoji}`).join(",")}]` : ""}`;

/**
 * Brings every device online, syncs them all, and compares what each shows
 * with the model; charges the rule a difference breaks.
 */
export async function checkConverged(model: ConvergenceModel, real: ConvergenceReal): Promise<void> {
  for (let d = 0; d < real.devices.length; d++) {
    if (!model.offline[d]) continue;
    await real.adapter.call("goOnline", { device: real.devices[d]! });
    await real.adapter.call("syncNow", { device: real.devices[d]! });
    model.offline[d] = false;
    model.order.push(...model.pending[d]!.splice(0));
  }
  await syncAll(real.adapter, real.devices);
  const expected = expectedMessages(model, real);
  const expectedMarkers = [...model.readUpTo].map(([account, index]) => ({ account: real.accounts[account]!, message: model.order[index]!.id }))
    .sort((a, b) => byBytes(a.account, b.account));
  for (const device of real.devices) {
    const state = await real.adapter.call("getVisibleState", { device });
    const conversation = state.conversations.find((c) => c.conversation === real.conversation);
    const shown = conversation?.messages ?? [];
    const ids = shown.map((m) => m.message);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate !== undefined) throw new RuleViolation("CLIENT-DEDUP-003", `device ${device} shows message ${duplicate} twice: ${shown.map(render).join(" | ")}`);
    const missing = model.order.filter((m) => !ids.includes(m.id));
    if (missing.some((m) => m.offline)) {
      throw new RuleViolation("CLIENT-SEND-001", `device ${device} never shows ${missing.filter((m) => m.offline).map((m) => JSON.stringify(m.text)).join(", ")}, sent while its device was offline`);
    }
    if (missing.length > 0) throw new RuleViolation("CLIENT-APPLY-002", `device ${device} is missing ${missing.map((m) => `${m.id.slice(0, 8)} ${JSON.stringify(m.text)}`).join(", ")} after SyncNow`);
    const extra = ids.filter((id) => !model.order.some((m) => m.id === id));
    if (extra.length > 0) throw new RuleViolation("CLIENT-DEDUP-003", `device ${device} shows messages nobody sent: ${extra.join(", ")}`);
    if (ids.join() !== expected.map((m) => m.message).join()) {
      throw new RuleViolation("CLIENT-ORDER-001", `device ${device} shows ${shown.map(render).join(" | ")}; in server order: ${expected.map(render).join(" | ")}`);
    }
    for (let i = 0; i < expected.length; i++) {
      const want = render(expected[i]!);
      const got = render(shown[i]!);
      if (want === got) continue;
      const model_ = model.order[i]!;
      const foreignEdit = !model_.edited && shown[i]!.edited;
      throw new RuleViolation(foreignEdit ? "CLIENT-AUTH-001" : "CLIENT-ORDER-001", `device ${device} shows ${got}, expected ${want}`);
    }
    const markers = (conversation?.readMarkers ?? []).map((r) => `${r.account.slice(0, 8)}@${r.message.slice(0, 8)}`).join(",");
    const wantMarkers = expectedMarkers.map((r) => `${r.account.slice(0, 8)}@${r.message.slice(0, 8)}`).join(",");
    if (markers !== wantMarkers) throw new RuleViolation("CLIENT-ORDER-001", `device ${device} shows read markers ${markers || "(none)"}, expected ${wantMarkers || "(none)"}`);
  }
  const all = await digests(real.adapter, real.devices);
  if (new Set(all).size !== 1) throw new RuleViolation("CLIENT-ORDER-001", `devices disagree after SyncNow: digests ${all.map((d) => d.slice(0, 12)).join(", ")}`);
}
