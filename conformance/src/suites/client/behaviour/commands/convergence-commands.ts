// The commands of the convergence property. Each acts on one device of the
// model (device index modulo 3) and on a committed message (index modulo
// the number of messages); `check` keeps only what a user could do.
import type fc from "fast-check";
import { checkConverged, type ConvergenceModel, type ConvergenceReal, type ModelMessage } from "../convergence-model.js";

type Command = fc.AsyncCommand<ConvergenceModel, ConvergenceReal>;
const device = (model: ConvergenceModel, index: number): number => index % model.deviceAccount.length;
const target = (model: ConvergenceModel, index: number): ModelMessage => model.order[index % model.order.length]!;

/** Sends a text (queued when the device is offline). */
export class SendCommand implements Command {
  constructor(readonly device: number, readonly text: string) {}
  check(): boolean {
    return true;
  }
  async run(model: ConvergenceModel, real: ConvergenceReal): Promise<void> {
    const d = device(model, this.device);
    const sent = await real.adapter.call("sendText", { device: real.devices[d]!, conversation: real.conversation, text: this.text });
    const message: ModelMessage = { id: sent.message, sender: model.deviceAccount[d]!, text: this.text, edited: false, deleted: false, reactions: new Set(), offline: model.offline[d]! };
    if (model.offline[d]) model.pending[d]!.push(message);
    else model.order.push(message);
  }
  toString(): string {
    return `send(d${this.device % 3}, ${JSON.stringify(this.text)})`;
  }
}

/** Base of the commands that act on a shown message: the device syncs first so it shows it. */
abstract class OnMessage implements Command {
  constructor(readonly device: number, readonly message: number) {}
  check(model: Readonly<ConvergenceModel>): boolean {
    return model.order.length > 0 && !model.offline[device(model as ConvergenceModel, this.device)] && this.allowed(model as ConvergenceModel);
  }
  protected abstract allowed(model: ConvergenceModel): boolean;
  protected abstract act(model: ConvergenceModel, real: ConvergenceReal, d: number, m: ModelMessage): Promise<void>;
  async run(model: ConvergenceModel, real: ConvergenceReal): Promise<void> {
    const d = device(model, this.device);
    await real.adapter.call("syncNow", { device: real.devices[d]! });
    await this.act(model, real, d, target(model, this.message));
  }
  abstract toString(): string;
}

/** Edits one of the device's account's messages. */
export class EditCommand extends OnMessage {
  constructor(d: number, m: number, readonly text: string) {
    super(d, m);
  }
  protected allowed(model: ConvergenceModel): boolean {
    const m = target(model, this.message);
    return m.sender === model.deviceAccount[device(model, this.device)] && !m.deleted;
  }
  protected async act(_model: ConvergenceModel, real: ConvergenceReal, d: number, m: ModelMessage): Promise<void> {
    await real.adapter.call("editText", { device: real.devices[d]!, conversation: real.conversation, message: m.id, text: this.text });
    m.text = this.text;
    m.edited = true;
  }
  toString(): string {
    return `edit(d${this.device % 3}, #${this.message}, ${JSON.stringify(this.text)})`;
  }
}

/** Tries to edit another account's message: every device must ignore it (CLIENT-AUTH-001). */
export class ForeignEditCommand extends OnMessage {
  protected allowed(model: ConvergenceModel): boolean {
    const m = target(model, this.message);
    return m.sender !== model.deviceAccount[device(model, this.device)] && !m.deleted;
  }
  protected async act(_model: ConvergenceModel, real: ConvergenceReal, d: number, m: ModelMessage): Promise<void> {
    await real.adapter.call("editText", { device: real.devices[d]!, conversation: real.conversation, message: m.id, text: "forged edit" }).catch(() => undefined);
  }
  toString(): string {
    return `foreignEdit(d${this.device % 3}, #${this.message})`;
  }
}

/** Deletes one of the device's account's messages. */
export class DeleteCommand extends OnMessage {
  protected allowed(model: ConvergenceModel): boolean {
    const m = target(model, this.message);
    return m.sender === model.deviceAccount[device(model, this.device)] && !m.deleted;
  }
  protected async act(_model: ConvergenceModel, real: ConvergenceReal, d: number, m: ModelMessage): Promise<void> {
    await real.adapter.call("deleteMessage", { device: real.devices[d]!, conversation: real.conversation, message: m.id });
    m.deleted = true;
  }
  toString(): string {
    return `delete(d${this.device % 3}, #${this.message})`;
  }
}

/** Adds or removes the device's account's reaction. */
export class ReactCommand extends OnMessage {
  constructor(d: number, m: number, readonly emoji: string, readonly remove: boolean) {
    super(d, m);
  }
  protected allowed(model: ConvergenceModel): boolean {
    return !target(model, this.message).deleted;
  }
  protected async act(model: ConvergenceModel, real: ConvergenceReal, d: number, m: ModelMessage): Promise<void> {
    await real.adapter.call("react", { device: real.devices[d]!, conversation: real.conversation, message: m.id, emoji: this.emoji, remove: this.remove });
    const key = `${model.deviceAccount[d]}\u0000${this.emoji}`;
    if (this.remove) m.reactions.delete(key);
    else m.reactions.add(key);
  }
  toString(): string {
    return `${this.remove ? "unreact" : "react"}(d${this.device % 3}, #${this.message}, ${this.emoji})`;
  }
}

/** Marks a message (and everything before it) read. */
export class MarkReadCommand extends OnMessage {
  protected allowed(): boolean {
    return true;
  }
  protected async act(model: ConvergenceModel, real: ConvergenceReal, d: number, m: ModelMessage): Promise<void> {
    await real.adapter.call("markRead", { device: real.devices[d]!, conversation: real.conversation, message: m.id });
    const account = model.deviceAccount[d]!;
    const index = model.order.indexOf(m);
    // The marker moves forward only (CLIENT-ORDER-001: last writer by sequence, per message position).
    if ((model.readUpTo.get(account) ?? -1) < index) model.readUpTo.set(account, index);
  }
  toString(): string {
    return `markRead(d${this.device % 3}, #${this.message})`;
  }
}

/** Takes a device offline or brings it back (its queued sends then commit, in order). */
export class ToggleOnlineCommand implements Command {
  constructor(readonly device: number) {}
  check(): boolean {
    return true;
  }
  async run(model: ConvergenceModel, real: ConvergenceReal): Promise<void> {
    const d = device(model, this.device);
    const handle = real.devices[d]!;
    if (model.offline[d]) {
      await real.adapter.call("goOnline", { device: handle });
      await real.adapter.call("syncNow", { device: handle });
      model.offline[d] = false;
      model.order.push(...model.pending[d]!.splice(0));
    } else {
      await real.adapter.call("goOffline", { device: handle });
      model.offline[d] = true;
    }
  }
  toString(): string {
    return `toggleOnline(d${this.device % 3})`;
  }
}

/** Syncs every device and compares them all with the model. */
export class CheckConvergedCommand implements Command {
  check(): boolean {
    return true;
  }
  run(model: ConvergenceModel, real: ConvergenceReal): Promise<void> {
    return checkConverged(model, real);
  }
  toString(): string {
    return "checkConverged()";
  }
}
