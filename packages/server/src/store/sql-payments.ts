import { ErrorCode } from "@kabar/protocol";
import { fail, notFound } from "../core/fail.js";
import { big, bytes, num, type SqlTx } from "./sql-driver.js";
import type { InvoiceRecord, PaymentClaim, PreCheckoutRecord, ServerStore } from "./server-store.js";

type Input<K extends keyof ServerStore> = ServerStore[K] extends (input: infer I, ...rest: never[]) => unknown ? I : never;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
const PENDING = 0;
const PAID = 1;

/** Registers an invoice; a repeat with the same merchant and bytes is a no-op (PAY-INVOICE-002). */
export async function publishInvoice(tx: SqlTx, input: Input<"publishInvoice">): Promise<void> {
  const existing = (await tx.all("SELECT merchant, invoice FROM invoices WHERE invoice_id = ?", [input.invoiceId]))[0];
  if (existing !== undefined) {
    if (sameBytes(bytes(existing.merchant), input.merchant) && sameBytes(bytes(existing.invoice), input.invoice)) return;
    throw fail(ErrorCode.IDEMPOTENCY_CONFLICT, "an invoice with this id exists with other contents", "PAY-INVOICE-002");
  }
  await tx.run(
    "INSERT INTO invoices (invoice_id, merchant, invoice, total_amount, currency, provider_id, expires_at_ms, paid) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
    [input.invoiceId, input.merchant, input.invoice, input.totalAmount, input.currency, input.providerId, input.expiresAtMs],
  );
}

/** Reads an invoice. */
export async function getInvoice(tx: SqlTx, invoiceId: Uint8Array, lock = ""): Promise<InvoiceRecord | undefined> {
  const row = (await tx.all(`SELECT * FROM invoices WHERE invoice_id = ?${lock}`, [invoiceId]))[0];
  if (row === undefined) return undefined;
  return {
    invoiceId: bytes(row.invoice_id), merchant: bytes(row.merchant), invoice: bytes(row.invoice), totalAmount: big(row.total_amount),
    currency: String(row.currency), providerId: String(row.provider_id), expiresAtMs: big(row.expires_at_ms), paid: num(row.paid) === 1,
  };
}

/** Claims (payer, idempotency key) for an invoice (PAY-IDEMPOTENCY-001, PAY-INVOICE-003). */
export async function beginPayment(tx: SqlTx, input: Input<"beginPayment">, lock: string): Promise<PaymentClaim> {
  // The invoice row lock serializes claims of one invoice on PostgreSQL.
  const invoice = await getInvoice(tx, input.invoiceId, lock);
  const prior = (await tx.all(`SELECT * FROM payments WHERE payer = ? AND idempotency_key = ?${lock}`, [input.payer, input.idempotencyKey]))[0];
  if (prior !== undefined) {
    if (!sameBytes(bytes(prior.request_digest), input.requestDigest)) {
      throw fail(ErrorCode.IDEMPOTENCY_CONFLICT, "idempotency_key was used with other parameters", "PAY-IDEMPOTENCY-002");
    }
    return num(prior.status) === PAID ? { kind: "paid", receipt: bytes(prior.receipt) } : { kind: "pending" };
  }
  const unavailable = () => fail(ErrorCode.INVOICE_UNAVAILABLE, "the invoice cannot be paid (unknown, expired or paid)", "PAY-INVOICE-003");
  if (invoice === undefined || invoice.paid || invoice.expiresAtMs <= BigInt(input.nowMs)) throw unavailable();
  const busy = await tx.all("SELECT 1 AS one FROM payments WHERE invoice_id = ?", [input.invoiceId]);
  if (busy.length > 0) throw unavailable();
  await tx.run(
    "INSERT INTO payments (payer, idempotency_key, request_digest, invoice_id, status, receipt, created_ms) VALUES (?, ?, ?, ?, ?, NULL, ?)",
    [input.payer, input.idempotencyKey, input.requestDigest, input.invoiceId, PENDING, input.nowMs],
  );
  return { kind: "new" };
}

/** Completes a pending payment; a completed one keeps its first receipt. */
export async function finishPayment(tx: SqlTx, input: Input<"finishPayment">, lock: string): Promise<Uint8Array> {
  const row = (await tx.all(`SELECT * FROM payments WHERE payer = ? AND idempotency_key = ?${lock}`, [input.payer, input.idempotencyKey]))[0];
  if (row === undefined) throw notFound("payment");
  if (input.queryId !== undefined) await tx.run("DELETE FROM precheckout_queries WHERE query_id = ?", [input.queryId]);
  if (num(row.status) === PAID) return bytes(row.receipt);
  await tx.run("UPDATE payments SET status = ?, receipt = ? WHERE payer = ? AND idempotency_key = ?", [PAID, input.receipt, input.payer, input.idempotencyKey]);
  await tx.run("UPDATE invoices SET paid = 1 WHERE invoice_id = ?", [bytes(row.invoice_id)]);
  return input.receipt;
}

/** Drops a pending payment that failed, and its query. */
export async function abortPayment(tx: SqlTx, input: Input<"abortPayment">): Promise<void> {
  await tx.run("DELETE FROM payments WHERE payer = ? AND idempotency_key = ? AND status = ?", [input.payer, input.idempotencyKey, PENDING]);
  if (input.queryId !== undefined) await tx.run("DELETE FROM precheckout_queries WHERE query_id = ?", [input.queryId]);
}

/** Records a pre-checkout query. */
export async function createPreCheckout(tx: SqlTx, input: Input<"createPreCheckout">): Promise<void> {
  await tx.run(
    "INSERT INTO precheckout_queries (query_id, invoice_id, payer, merchant, deadline_ms, answer, error_message) VALUES (?, ?, ?, ?, ?, 0, '')",
    [input.queryId, input.invoiceId, input.payer, input.merchant, input.deadlineMs],
  );
}

/** Stores the merchant's answer (PAY-PRECHECKOUT-002). */
export async function answerPreCheckout(tx: SqlTx, input: Input<"answerPreCheckout">, lock: string): Promise<void> {
  const row = (await tx.all(`SELECT merchant, deadline_ms, answer FROM precheckout_queries WHERE query_id = ?${lock}`, [input.queryId]))[0];
  // Another merchant's query and an unknown one answer alike (AUTHZ-ACCESS-001).
  if (row === undefined || !sameBytes(bytes(row.merchant), input.merchant)) throw notFound("pre-checkout query");
  if (num(row.answer) !== 0) return;
  if (big(row.deadline_ms) < BigInt(input.nowMs)) throw fail(ErrorCode.PRECHECKOUT_TIMEOUT, "the pre-checkout deadline passed", "PAY-PRECHECKOUT-001");
  await tx.run("UPDATE precheckout_queries SET answer = ?, error_message = ? WHERE query_id = ?", [input.ok ? 1 : 2, input.errorMessage, input.queryId]);
}

/** Reads a query's answer. */
export async function getPreCheckout(tx: SqlTx, queryId: Uint8Array): Promise<PreCheckoutRecord | undefined> {
  const row = (await tx.all("SELECT answer, error_message FROM precheckout_queries WHERE query_id = ?", [queryId]))[0];
  if (row === undefined) return undefined;
  const answer = num(row.answer);
  return { answer: answer === 0 ? undefined : { ok: answer === 1, errorMessage: String(row.error_message) } };
}
