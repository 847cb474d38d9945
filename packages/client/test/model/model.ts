// The model of the model-based suite: one group conversation, its ordered
// event log as the server sequences it, who was a member at each event, and
// the view each account must converge to.

/** One sequenced conversation event. */
export type ModelEvent =
  | { kind: "text"; id: string; sender: number; text: string }
  | { kind: "edit"; target: string; sender: number; text: string }
  | { kind: "delete"; target: string; sender: number }
  | { kind: "react"; target: string; sender: number; emoji: string; remove: boolean }
  | { kind: "read"; target: string; sender: number };

/** A queued (offline) send of one device. */
export interface Queued {
  readonly event: ModelEvent;
}

/** The whole model. */
export interface Model {
  /** Account indexes currently in the group (account 0 created it and stays). */
  members: Set<number>;
  /** Events in server order, each with the member set when it was sequenced. */
  log: { event: ModelEvent; members: ReadonlySet<number> }[];
  /** Per device ("a:d"): online or not, and what it queued while offline. */
  devices: Map<string, { online: boolean; queue: Queued[] }>;
  /** Accounts and their device counts. */
  readonly accounts: readonly number[];
}

/** What an account sees. */
export interface View {
  messages: { id: string; sender: number; text: string | undefined; deleted: boolean; reactions: string[] }[];
  read: Record<number, string>;
}

/** The view an account must converge to: every event sequenced while it was a member. */
export function expectedView(model: Model, account: number): View {
  const messages = new Map<string, { id: string; sender: number; text: string | undefined; deleted: boolean; reactions: Map<string, boolean>; order: number }>();
  const read: Record<number, { id: string; order: number }> = {};
  model.log.forEach(({ event, members }, order) => {
    if (!members.has(account)) return;
    if (event.kind === "text") messages.set(event.id, { id: event.id, sender: event.sender, text: event.text, deleted: false, reactions: new Map(), order });
    const target = event.kind === "text" ? undefined : messages.get(event.target);
    if (target === undefined) return;
    if (event.kind === "edit" && target.sender === event.sender && !target.deleted) target.text = event.text;
    if (event.kind === "delete" && target.sender === event.sender) {
      target.deleted = true;
      target.text = undefined;
    }
    if (event.kind === "react") target.reactions.set(`${event.sender}:${event.emoji}`, !event.remove);
    if (event.kind === "read" && (read[event.sender] === undefined || target.order > read[event.sender]!.order)) read[event.sender] = { id: target.id, order: target.order };
  });
  return {
    messages: [...messages.values()].map((m) => ({
      id: m.id, sender: m.sender, text: m.text, deleted: m.deleted,
      reactions: [...m.reactions].filter(([, present]) => present).map(([key]) => key).sort(),
    })),
    read: Object.fromEntries(Object.entries(read).map(([k, v]) => [k, v.id])),
  };
}

/** Messages an account may act on (visible, and for edits and deletes its own and not deleted). */
export function visibleTargets(model: Model, account: number, own: boolean): string[] {
  return expectedView(model, account).messages.filter((m) => !m.deleted && (!own || m.sender === account)).map((m) => m.id);
}
