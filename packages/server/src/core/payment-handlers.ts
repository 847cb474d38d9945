import { createHash } from "node:crypto";
import {
  ACCOUNT_ID_BYTES, ErrorCode, Invoice, PaymentReceipt, PaymentReceiptBody, RANDOM_ID_BYTES, type AnswerPreCheckoutRequest,
  type AnswerPreCheckoutResponse, type PayInvoiceRequest, type PayInvoiceResponse, type PreCheckoutQuery, type PublishInvoiceRequest,
  type PublishInvoiceResponse,
} from "@kabar/protocol";
import type { PaymentProvider } from "../payments/payment-provider.js";
import type { Caller, CoreContext, PushEffect } from "./context.js";
import { fail, invalidField } from "./fail.js";
import type { Handled } from "./identity-handlers.js";

// Payments (profile "payments"): invoices registered by merchants, a
// pre-checkout query the merchant answers before the charge, a charge
// through the invoice's provider once per idempotency key, and a
// provider-signed receipt. The provider token is passed to the provider
// and hashed into the idempotency digest; it is never stored or logged
// (PAY-PRIVACY-001).

const MAX_TITLE_BYTES = 64;
const MAX_DESCRIPTION_BYTES = 1024;
const MAX_PRICES = 32;
const MAX_LABEL_BYTES = 64;
const MAX_PAYLOAD_BYTES = 128;
const MAX_TOKEN_BYTES = 2048;
const MAX_ERROR_MESSAGE_BYTES = 255;
/** Totals stay exact in every store and language: below 2^53. */
const MAX_TOTAL = BigInt(Number.MAX_SAFE_INTEGER);
/** How often a waiting payment rereads its query, for answers taken by another gateway. */
const ANSWER_POLL_MS = 250;

const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");
const hex = (id: Uint8Array): string => Buffer.from(id).toString("hex");
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

type Answer = { readonly ok: boolean; readonly errorMessage: string };

/** A digit string of card-number length passing the Luhn check: refused, never forwarded (PAY-PRIVACY-002). */
function looksLikeCardNumber(token: Uint8Array): boolean {
  const text = Buffer.from(token).toString("latin1").replace(/[ -]/g, "");
  if (!/^\d{12,19}$/.test(text)) return false;
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    let d = text.charCodeAt(text.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** What the payments hub needs besides the handler context. */
export interface PaymentsDeps {
  /** The providers invoices may name, by id. */
  readonly providers: readonly PaymentProvider[];
  /** Delivers pushes now, while the request is still in flight (the pre-checkout query). */
  readonly livePush: (effects: readonly PushEffect[]) => void;
}

/** The payments handlers and their in-process state (waiting queries, payments in flight). */
export class PaymentsHub {
  private readonly providers: ReadonlyMap<string, PaymentProvider>;
  /** Payments in flight by payer and key, so concurrent retries share one charge. */
  private readonly paying = new Map<string, { digest: string; work: Promise<Handled<PayInvoiceResponse>> }>();
  /** Payments waiting for a pre-checkout answer, by query id. */
  private readonly waiting = new Map<string, (answer: Answer) => void>();

  constructor(private readonly ctx: CoreContext, private readonly deps: PaymentsDeps) {
    this.providers = new Map(deps.providers.map((p) => [p.id, p]));
  }

  /** PublishInvoice: the caller is the merchant; every field within its bounds (PAY-INVOICE-001). */
  async publishInvoice(caller: Caller, request: PublishInvoiceRequest): Promise<Handled<PublishInvoiceResponse>> {
    const invoice = request.invoice;
    const bad = (message: string) => invalidField(message, "PAY-INVOICE-001");
    if (invoice === undefined) throw bad("invoice is required");
    if (invoice.invoiceId.length !== RANDOM_ID_BYTES) throw bad(`invoice_id must be ${RANDOM_ID_BYTES} bytes`);
    if (invoice.merchantAccountId.length !== ACCOUNT_ID_BYTES || Buffer.compare(invoice.merchantAccountId, caller.accountId) !== 0) {
      throw bad("merchant_account_id must be the caller's account");
    }
    if (invoice.title.length === 0 || utf8Bytes(invoice.title) > MAX_TITLE_BYTES) throw bad(`title must be 1..${MAX_TITLE_BYTES} bytes`);
    if (utf8Bytes(invoice.description) > MAX_DESCRIPTION_BYTES) throw bad(`description is at most ${MAX_DESCRIPTION_BYTES} bytes`);
    if (!/^[A-Z]{3}$/.test(invoice.currency)) throw bad("currency must be three upper-case letters");
    if (invoice.prices.length === 0 || invoice.prices.length > MAX_PRICES) throw bad(`an invoice has 1..${MAX_PRICES} prices`);
    let total = 0n;
    for (const price of invoice.prices) {
      if (utf8Bytes(price.label) > MAX_LABEL_BYTES) throw bad(`price labels are at most ${MAX_LABEL_BYTES} bytes`);
      total += price.amount;
    }
    if (total < 1n || total > MAX_TOTAL) throw bad(`the total must be 1..${MAX_TOTAL} minor units`);
    if (!this.providers.has(invoice.providerId)) throw bad(`provider ${JSON.stringify(invoice.providerId.slice(0, 64))} is not available on this server`);
    if (invoice.payload.length > MAX_PAYLOAD_BYTES) throw bad(`payload is at most ${MAX_PAYLOAD_BYTES} bytes`);
    if (invoice.expiresAtMs <= BigInt(this.ctx.clock.nowMs())) throw bad("expires_at_ms must be in the future");
    await this.ctx.store.publishInvoice({
      invoiceId: invoice.invoiceId, merchant: caller.accountId, invoice: Invoice.encode(invoice).finish(), totalAmount: total,
      currency: invoice.currency, providerId: invoice.providerId, expiresAtMs: invoice.expiresAtMs,
    });
    return { body: { totalAmount: total } };
  }

  /** AnswerPreCheckout: only the query's merchant, before its deadline (PAY-PRECHECKOUT-002). */
  async answerPreCheckout(caller: Caller, request: AnswerPreCheckoutRequest): Promise<Handled<AnswerPreCheckoutResponse>> {
    if (request.queryId.length !== RANDOM_ID_BYTES) throw invalidField(`query_id must be ${RANDOM_ID_BYTES} bytes`);
    if (utf8Bytes(request.errorMessage) > MAX_ERROR_MESSAGE_BYTES) throw invalidField(`error_message is at most ${MAX_ERROR_MESSAGE_BYTES} bytes`);
    await this.ctx.store.answerPreCheckout({
      queryId: request.queryId, merchant: caller.accountId, ok: request.ok, errorMessage: request.errorMessage, nowMs: this.ctx.clock.nowMs(),
    });
    const stored = await this.ctx.store.getPreCheckout(request.queryId);
    if (stored?.answer !== undefined) this.waiting.get(hex(request.queryId))?.(stored.answer);
    return { body: {} };
  }

  /** PayInvoice: once per (payer, idempotency key), even for concurrent retries (PAY-IDEMPOTENCY-001). */
  async payInvoice(caller: Caller, request: PayInvoiceRequest): Promise<Handled<PayInvoiceResponse>> {
    if (request.idempotencyKey.length !== RANDOM_ID_BYTES) throw invalidField(`idempotency_key must be ${RANDOM_ID_BYTES} bytes`);
    if (request.invoiceId.length !== RANDOM_ID_BYTES) throw invalidField(`invoice_id must be ${RANDOM_ID_BYTES} bytes`);
    if (request.providerToken.length === 0 || request.providerToken.length > MAX_TOKEN_BYTES) {
      throw invalidField(`provider_token must be 1..${MAX_TOKEN_BYTES} bytes`);
    }
    if (looksLikeCardNumber(request.providerToken)) {
      throw invalidField("provider_token must be a provider token, never a card number", "PAY-PRIVACY-002");
    }
    const digest = createHash("sha256").update(request.invoiceId).update(request.providerToken).digest();
    const key = `${hex(caller.accountId)}:${hex(request.idempotencyKey)}`;
    const running = this.paying.get(key);
    if (running !== undefined) {
      if (running.digest !== digest.toString("hex")) {
        throw fail(ErrorCode.IDEMPOTENCY_CONFLICT, "idempotency_key was used with other parameters", "PAY-IDEMPOTENCY-002");
      }
      return running.work;
    }
    const work = this.payOnce(caller, request, new Uint8Array(digest)).finally(() => this.paying.delete(key));
    this.paying.set(key, { digest: digest.toString("hex"), work });
    return work;
  }

  private async payOnce(caller: Caller, request: PayInvoiceRequest, digest: Uint8Array): Promise<Handled<PayInvoiceResponse>> {
    const { store, clock } = this.ctx;
    const claimInput = { payer: caller.accountId, idempotencyKey: request.idempotencyKey, requestDigest: digest, invoiceId: request.invoiceId };
    let claim = await store.beginPayment({ ...claimInput, nowMs: clock.nowMs() });
    // Pending elsewhere (another gateway): wait for it; after a crash it stays
    // pending and is resumed here with the same provider idempotency key.
    const waitUntil = Date.now() + this.ctx.limits.precheckoutTimeoutMs + 5_000;
    while (claim.kind === "pending" && Date.now() < waitUntil) {
      await sleep(ANSWER_POLL_MS);
      claim = await store.beginPayment({ ...claimInput, nowMs: clock.nowMs() });
    }
    if (claim.kind === "paid") return { body: { receipt: PaymentReceipt.decode(claim.receipt) } };
    const invoice = await store.getInvoice(request.invoiceId);
    const provider = invoice === undefined ? undefined : this.providers.get(invoice.providerId);
    let queryId: Uint8Array | undefined;
    const abort = async (error: Error): Promise<never> => {
      await store.abortPayment({ payer: caller.accountId, idempotencyKey: request.idempotencyKey, queryId });
      throw error;
    };
    if (invoice === undefined || provider === undefined) {
      return abort(fail(ErrorCode.PAYMENT_FAILED, "the invoice's provider is not available", "PAY-RECEIPT-001"));
    }
    // PAY-PRECHECKOUT-001: the merchant confirms the order before any charge.
    queryId = this.ctx.random.bytes(RANDOM_ID_BYTES);
    const deadlineMs = clock.nowMs() + this.ctx.limits.precheckoutTimeoutMs;
    const query: PreCheckoutQuery = {
      queryId, invoiceId: invoice.invoiceId, payerAccountId: caller.accountId, currency: invoice.currency, totalAmount: invoice.totalAmount,
      deadlineMs: BigInt(deadlineMs),
    };
    await store.createPreCheckout({ queryId, invoiceId: invoice.invoiceId, payer: caller.accountId, merchant: invoice.merchant, deadlineMs });
    const answer = await this.awaitAnswer(queryId, this.ctx.limits.precheckoutTimeoutMs, () => this.deps.livePush([{ kind: "precheckout", accountId: invoice.merchant, query }]));
    if (answer === undefined) return abort(fail(ErrorCode.PRECHECKOUT_TIMEOUT, "the merchant did not answer the pre-checkout query in time", "PAY-PRECHECKOUT-001"));
    if (!answer.ok) {
      const reason = answer.errorMessage.length > 0 ? answer.errorMessage : "the merchant declined the order";
      return abort(fail(ErrorCode.PRECHECKOUT_DECLINED, reason, "PAY-PRECHECKOUT-001"));
    }
    let charged;
    try {
      charged = await provider.charge({
        providerToken: request.providerToken, amount: invoice.totalAmount, currency: invoice.currency,
        idempotencyKey: `${hex(caller.accountId)}:${hex(request.idempotencyKey)}`,
      });
    } catch {
      return abort(fail(ErrorCode.PAYMENT_FAILED, "the payment provider could not be reached; nothing was charged", "PAY-RECEIPT-001"));
    }
    if (!charged.ok) return abort(fail(ErrorCode.PAYMENT_FAILED, charged.reason.slice(0, 255), "PAY-RECEIPT-001"));
    // PAY-RECEIPT-001: the provider signs the receipt body.
    const body = PaymentReceiptBody.encode({
      receiptId: this.ctx.random.bytes(RANDOM_ID_BYTES), invoiceId: invoice.invoiceId, payerAccountId: caller.accountId,
      merchantAccountId: invoice.merchant, currency: invoice.currency, totalAmount: invoice.totalAmount, providerId: provider.id,
      providerChargeId: charged.chargeId.slice(0, 128), paidAtMs: BigInt(clock.nowMs()),
    }).finish();
    const receipt = PaymentReceipt.encode({ body, providerSignature: await provider.signReceipt(body) }).finish();
    const stored = await store.finishPayment({ payer: caller.accountId, idempotencyKey: request.idempotencyKey, receipt, queryId });
    return { body: { receipt: PaymentReceipt.decode(stored) } };
  }

  /** The merchant's answer, or undefined at the deadline. Registered before `send` so an instant answer is not missed. */
  private async awaitAnswer(queryId: Uint8Array, timeoutMs: number, send: () => void): Promise<Answer | undefined> {
    const id = hex(queryId);
    let settle!: (answer: Answer | undefined) => void;
    const answered = new Promise<Answer | undefined>((done) => (settle = done));
    this.waiting.set(id, (answer) => settle(answer));
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    const poll = setInterval(() => {
      void this.ctx.store.getPreCheckout(queryId).then((q) => q?.answer !== undefined && settle(q.answer), () => undefined);
    }, ANSWER_POLL_MS);
    try {
      send();
      const answer = await answered;
      if (answer !== undefined) return answer;
      // An answer committed just at the deadline still counts.
      return (await this.ctx.store.getPreCheckout(queryId))?.answer;
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      this.waiting.delete(id);
    }
  }
}
