// Shared helpers of the server suite: one WireWorld per case, checks that
// charge a rule, and the observable state used to prove a rejection changed
// nothing.
import { errorCodeName, type AccountUpdate, type ErrorCode, type ProtocolError } from "@kabar/protocol";
import type { Transcript } from "../../adapter/transcript.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import type { ServerTarget } from "../../targets/target-types.js";
import { readWholeLog, WireWorld } from "../../wire-client/wire-world.js";
import type { ResultValue, RequestCase, WireConnection } from "../../wire-client/wire-connection.js";

/** Runs `body` with a fresh world on the target and closes it afterwards. */
export async function inWorld<T>(target: ServerTarget, transcript: Transcript, body: (world: WireWorld) => Promise<T>): Promise<T> {
  const world = new WireWorld(target.url, transcript);
  try {
    return await body(world);
  } finally {
    await world.close();
  }
}

/** Throws a RuleViolation for `rule` unless `condition` holds. */
export function check(rule: string, condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new RuleViolation(rule, typeof message === "string" ? message : message());
}

/** What a request returned, in one line. */
export function outcomeText(outcome: { ok: true; value: unknown } | { ok: false; error: ProtocolError }): string {
  return outcome.ok ? "success" : `${errorCodeName(outcome.error.code)} (${outcome.error.message})`;
}

/** Expects a rejection with one of `codes`; charges `rule` otherwise; returns the error. */
export function expectRejected(rule: string, outcome: { ok: true; value: unknown } | { ok: false; error: ProtocolError }, codes: ErrorCode | readonly ErrorCode[], what: string): ProtocolError {
  const allowed = Array.isArray(codes) ? codes : [codes as ErrorCode];
  if (outcome.ok) throw new RuleViolation(rule, `${what}: expected ${allowed.map(errorCodeName).join(" or ")}, got success`);
  if (!allowed.includes(outcome.error.code)) throw new RuleViolation(rule, `${what}: expected ${allowed.map(errorCodeName).join(" or ")}, got ${errorCodeName(outcome.error.code)} (${outcome.error.message})`);
  return outcome.error;
}

/** Expects success; charges `rule` otherwise. */
export function expectOk<C extends RequestCase>(rule: string, outcome: { ok: true; value: ResultValue<C> } | { ok: false; error: ProtocolError }, what: string): ResultValue<C> {
  if (!outcome.ok) throw new RuleViolation(rule, `${what}: expected success, got ${errorCodeName(outcome.error.code)} (${outcome.error.message})`);
  return outcome.value;
}

function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v));
}

/** A canonical text of everything one device observes: sync state, whole log, unacknowledged inbox. */
export async function observe(connection: WireConnection): Promise<string> {
  const state = (await connection.call("getState", {})).state;
  const log = await readWholeLog(connection);
  const inbox = await connection.call("fetchInbox", { afterSeq: 0n, limit: 0 });
  return json({ state, log: log.updates.map(stripTime), inbox: inbox.entries });
}

function stripTime(update: AccountUpdate): unknown {
  return update;
}

/** Charges `rule` when what `connections` observe differs from `before`. */
export async function expectUnchanged(rule: string, connections: readonly WireConnection[], before: readonly string[], what: string): Promise<void> {
  for (const [i, connection] of connections.entries()) {
    const after = await observe(connection);
    if (after !== before[i]) throw new RuleViolation(rule, `${what} was rejected but changed what device ${i + 1} observes: before ${before[i]!.slice(0, 300)} after ${after.slice(0, 300)}`);
  }
}

/** Observes each connection. */
export function observeAll(connections: readonly WireConnection[]): Promise<string[]> {
  return Promise.all(connections.map(observe));
}

/** 16 bytes derived from a small integer, for readable client message ids. */
export function idBytes(n: number, salt = 0): Uint8Array {
  const out = new Uint8Array(16);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  new DataView(out.buffer).setUint32(4, salt >>> 0);
  out[15] = 0x4b;
  return out;
}

/** Hex of bytes. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/** The conversation messages of a log. */
export function messagesOf(updates: readonly AccountUpdate[]): { update: AccountUpdate; message: Extract<NonNullable<AccountUpdate["kind"]>, { $case: "message" }>["value"] }[] {
  return updates.flatMap((u) => (u.kind?.$case === "message" ? [{ update: u, message: u.kind.value }] : []));
}

/** Checks that `updates` (a whole log from the start) are numbered by SYNC-LOG-001; charges `rule`. */
export function checkGapFree(rule: string, updates: readonly AccountUpdate[], from = 0n, who = "log"): void {
  let expected = from;
  for (const u of updates) {
    const count = BigInt(u.count === 0 ? 1 : u.count);
    check(rule, u.seq === expected + count, () => `${who}: update after seq ${expected} has seq ${u.seq} (count ${u.count}); expected ${expected + count}`);
    expected = u.seq;
  }
}
