// Asks for the difference after a point of the log and checks the answer
// against the model: empty, whole difference, or a contiguous slice.
import type fc from "fast-check";
import { ErrorCode, errorCodeName, type AccountUpdate } from "@kabar/protocol";
import { check, expectRejected, hex } from "../support.js";
import type { DifferenceModel, DifferenceReal } from "./difference-model.js";

/** Where the requested seq lies: `back` updates before the current seq, or past it. */
export type DifferencePoint = { readonly kind: "back"; readonly back: number } | { readonly kind: "ahead"; readonly ahead: number };

/** The requested limit: a small one, 0 (the default), or above the advertised maximum. */
export type DifferenceLimit = { readonly kind: "small"; readonly limit: number } | { readonly kind: "default" } | { readonly kind: "over"; readonly by: number };

function keyOf(update: AccountUpdate): string {
  return update.kind?.$case === "message" ? hex(update.kind.value.clientMessageId) : (update.kind?.$case ?? "none");
}

/** GetDifference{seq, limit}. */
export class GetDifferenceCommand implements fc.AsyncCommand<DifferenceModel, DifferenceReal> {
  constructor(readonly point: DifferencePoint, readonly limit: DifferenceLimit) {}
  check(): boolean {
    return true;
  }
  async run(model: DifferenceModel, real: DifferenceReal): Promise<void> {
    const seq = this.point.kind === "ahead" ? model.seq + BigInt(this.point.ahead) : model.seq - BigInt(Math.min(this.point.back, Number(model.seq)));
    const limit = this.limit.kind === "small" ? this.limit.limit : this.limit.kind === "default" ? 0 : model.maxLimit + this.limit.by;
    const outcome = await real.connection.attempt("getDifference", { seq, limit });
    const what = `GetDifference{seq ${seq}, limit ${limit}} with the log at ${model.seq}`;
    if (this.limit.kind === "over") {
      expectRejected("SYNC-DIFF-002", outcome, ErrorCode.FRAME_FIELD_INVALID, `${what} (above max_difference_limit ${model.maxLimit})`);
      return;
    }
    if (this.point.kind === "ahead") {
      expectRejected("SYNC-DIFF-004", outcome, ErrorCode.SEQUENCE_INVALID, what);
      return;
    }
    check("SYNC-DIFF-001", outcome.ok, () => `${what}: ${outcome.ok ? "" : errorCodeName(outcome.error.code)}`);
    const result = outcome.value.result;
    const pending = model.updates.filter((u) => u.seq > seq);
    const effective = limit === 0 ? 100 : limit;
    if (pending.length === 0) {
      check("SYNC-DIFF-001", result?.$case === "empty" && result.value.seq === model.seq, () => `${what}: expected DifferenceEmpty{seq ${model.seq}}, got ${result?.$case} seq ${result && "seq" in result.value ? result.value.seq : "?"}`);
      return;
    }
    check("SYNC-DIFF-001", result?.$case === "difference" || result?.$case === "slice", `${what}: expected Difference or DifferenceSlice, got ${result?.$case}`);
    const got = result.value.updates;
    const expectedPrefix = pending.slice(0, got.length);
    check("SYNC-DIFF-001", got.length > 0, `${what}: ${result.$case} with no updates while ${pending.length} are pending`);
    check("SYNC-DIFF-001", got.every((u, i) => u.seq === expectedPrefix[i]?.seq && keyOf(u) === expectedPrefix[i]?.key),
      () => `${what}: got updates [${got.map((u) => u.seq).join(", ")}], the log after ${seq} is [${pending.map((u) => u.seq).join(", ")}]`);
    if (result.$case === "difference") {
      check("SYNC-DIFF-001", got.length === pending.length && result.value.seq === model.seq, `${what}: Difference with ${got.length} of ${pending.length} pending updates, seq ${result.value.seq}`);
      check("SYNC-DIFF-002", got.length <= effective, `${what}: Difference with ${got.length} updates above the limit ${effective}`);
    } else {
      check("SYNC-DIFF-001", got.length < pending.length, `${what}: DifferenceSlice carrying every pending update`);
      check("SYNC-DIFF-002", got.length <= effective, `${what}: slice of ${got.length} updates above the limit ${effective}`);
      check("SYNC-DIFF-001", result.value.seq === got.at(-1)!.seq, `${what}: slice seq ${result.value.seq} is not its last update's ${got.at(-1)!.seq}`);
      // A slice shorter than the limit is allowed only when the frame limit required it (SYNC-DIFF-005); the kit's updates are small.
      check("SYNC-DIFF-001", got.length === Math.min(effective, pending.length), `${what}: slice of ${got.length} small updates, limit ${effective}`);
    }
  }
  toString(): string {
    const at = this.point.kind === "back" ? `current-${this.point.back}` : `current+${this.point.ahead}`;
    const limit = this.limit.kind === "small" ? String(this.limit.limit) : this.limit.kind === "default" ? "0" : `max+${this.limit.by}`;
    return `getDifference(${at}, limit ${limit})`;
  }
}
