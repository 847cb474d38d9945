// Log messages that arrived before the sender-key chain that decrypts them
// (the distribution travels through the inbox, history keys through a
// handover or a backup). They are kept, by seq, and retried whenever new
// keys arrive; applying them late is safe because the conversation reducer
// orders by log seq (CLIENT-ORDER-001).
import { AccountUpdate } from "@kabar/protocol";
import type { ClientStore } from "../store/client-store.js";

const INDEX = "parked-index";

/** The parked-message list of one device. */
export class ParkedMessages {
  constructor(private readonly store: ClientStore) {}

  private async index(): Promise<string[]> {
    const bytes = await this.store.getValue(INDEX);
    return bytes === undefined ? [] : (JSON.parse(new TextDecoder().decode(bytes)) as string[]);
  }

  private async saveIndex(index: string[]): Promise<void> {
    await this.store.setValue(INDEX, new TextEncoder().encode(JSON.stringify(index)));
  }

  /** Parks an update. */
  async park(update: AccountUpdate): Promise<void> {
    const id = update.seq.toString();
    const index = await this.index();
    if (index.includes(id)) return;
    await this.store.setValue(`parked:${id}`, AccountUpdate.encode(update).finish());
    await this.saveIndex([...index, id]);
  }

  /** Every parked update in seq order. */
  async list(): Promise<AccountUpdate[]> {
    const out: AccountUpdate[] = [];
    for (const id of await this.index()) {
      const bytes = await this.store.getValue(`parked:${id}`);
      if (bytes !== undefined) out.push(AccountUpdate.decode(bytes));
    }
    return out.sort((a, b) => (a.seq < b.seq ? -1 : 1));
  }

  /** Removes an update once applied. */
  async remove(seq: bigint): Promise<void> {
    const id = seq.toString();
    await this.store.setValue(`parked:${id}`, undefined);
    await this.saveIndex((await this.index()).filter((x) => x !== id));
  }

  /** How many are parked. */
  async count(): Promise<number> {
    return (await this.index()).length;
  }
}
