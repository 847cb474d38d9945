// PAY: invoices, pre-checkout, payments at most once per idempotency key,
// provider-signed receipts (docs/spec/payments.md). The kit pays with the
// test provider example-pay, whose receipt key is public, and plays the
// merchant by answering the PreCheckoutQueryPush on its own connection.
import fc from "fast-check";
import { AccountUpdate, ErrorCode, PaymentReceipt, type Invoice } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { randomBytesOf } from "../../wire-client/keys.js";
import { answerQueries, chargeableToken, declinedToken, EXAMPLE_PAY, receiptBody, receiptSignatureValid } from "../../wire-client/payments.js";
import type { WireConnection } from "../../wire-client/wire-connection.js";
import { readWholeLog, type WireWorld } from "../../wire-client/wire-world.js";
import { check, expectOk, expectRejected, hex, inWorld, sameBytes } from "./support.js";

const receiptHex = (receipt: PaymentReceipt | undefined): string => (receipt === undefined ? "none" : hex(PaymentReceipt.encode(receipt).finish()));

function invoiceOf(merchantAccountId: Uint8Array, amounts: readonly bigint[], overrides: Partial<Invoice> = {}): Invoice {
  return {
    invoiceId: randomBytesOf(16), merchantAccountId, title: "Kit order", description: "conformance", currency: "EUR",
    prices: amounts.map((amount, i) => ({ label: `line ${i}`, amount })), providerId: EXAMPLE_PAY, payload: new Uint8Array([7]),
    expiresAtMs: BigInt(Date.now() + 3_600_000), ...overrides,
  };
}

async function merchantAndPayer(world: WireWorld): Promise<{ merchant: WireConnection; merchantId: Uint8Array; payer: WireConnection; payerId: Uint8Array }> {
  const m = await world.account();
  const p = await world.account();
  return { merchant: m.connections[0]!, merchantId: m.account.accountId, payer: p.connections[0]!, payerId: p.account.accountId };
}

/** Invalid variants of an invoice, each breaking one PAY-INVOICE-001 bound. */
const INVALID: readonly [string, (base: Invoice, other: Uint8Array) => Partial<Invoice>][] = [
  ["lower-case currency", () => ({ currency: "eur" })],
  ["four-letter currency", () => ({ currency: "EURO" })],
  ["no prices", () => ({ prices: [] })],
  ["33 prices", () => ({ prices: Array.from({ length: 33 }, () => ({ label: "x", amount: 1n })) })],
  ["a 65-byte label", () => ({ prices: [{ label: "x".repeat(65), amount: 1n }] })],
  ["a zero total", () => ({ prices: [{ label: "free", amount: 0n }] })],
  ["an empty title", () => ({ title: "" })],
  ["a 65-byte title", () => ({ title: "t".repeat(65) })],
  ["a 1,025-byte description", () => ({ description: "d".repeat(1025) })],
  ["a 129-byte payload", () => ({ payload: new Uint8Array(129) })],
  ["an unknown provider", () => ({ providerId: "no-such-provider" })],
  ["an expiry in the past", () => ({ expiresAtMs: BigInt(Date.now() - 1000) })],
  ["another account as merchant", (_b, other) => ({ merchantAccountId: other })],
  ["a 15-byte invoice id", () => ({ invoiceId: randomBytesOf(15) })],
];

defineProperty({
  id: "server.payments.invoices",
  rules: ["PAY-INVOICE-001", "PAY-INVOICE-002", "PAY-INVOICE-003"],
  mode: "server",
  profile: "payments",
  description: "An invoice breaking one bound is FRAME_FIELD_INVALID and stays unpayable (INVOICE_UNAVAILABLE); a valid one answers its total; republishing it identically succeeds, with other contents is IDEMPOTENCY_CONFLICT; an unknown invoice is INVOICE_UNAVAILABLE.",
  numRuns: 6,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.nat(INVALID.length - 1), fc.array(fc.bigInt({ min: 0n, max: 100_000n }), { minLength: 1, maxLength: 5 }), (which, amounts) =>
      inWorld(target, transcript, async (world) => {
        const { merchant, merchantId, payer, payerId } = await merchantAndPayer(world);
        const [what, change] = INVALID[which]!;
        const bad = invoiceOf(merchantId, [5n], {});
        const badInvoice = { ...bad, ...change(bad, payerId) };
        expectRejected("PAY-INVOICE-001", await merchant.attempt("publishInvoice", { invoice: badInvoice }), ErrorCode.FRAME_FIELD_INVALID, `an invoice with ${what}`);
        if (badInvoice.invoiceId.length === 16) {
          expectRejected("PAY-INVOICE-001", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: badInvoice.invoiceId, providerToken: chargeableToken(which) }),
            ErrorCode.INVOICE_UNAVAILABLE, `paying a rejected invoice (${what}): it was stored`);
        }
        const total = amounts.reduce((a, b) => a + b, 0n);
        const good = invoiceOf(merchantId, total === 0n ? [...amounts, 1n] : amounts);
        const expected = good.prices.reduce((a, p) => a + p.amount, 0n);
        const published = expectOk<"publishInvoice">("PAY-INVOICE-001", await merchant.attempt("publishInvoice", { invoice: good }), "a valid invoice");
        check("PAY-INVOICE-001", published.totalAmount === expected, `total ${published.totalAmount}, the prices sum to ${expected}`);
        expectOk<"publishInvoice">("PAY-INVOICE-002", await merchant.attempt("publishInvoice", { invoice: good }), "republishing the identical invoice");
        expectRejected("PAY-INVOICE-002", await merchant.attempt("publishInvoice", { invoice: { ...good, title: "changed" } }), ErrorCode.IDEMPOTENCY_CONFLICT, "republishing the invoice id with another title");
        expectRejected("PAY-INVOICE-003", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: randomBytesOf(16), providerToken: chargeableToken(1) }),
          ErrorCode.INVOICE_UNAVAILABLE, "paying an unknown invoice");
      }),
    ),
});

defineProperty({
  id: "server.payments.pay-once",
  rules: ["PAY-PRECHECKOUT-001", "PAY-PRECHECKOUT-002", "PAY-IDEMPOTENCY-001", "PAY-RECEIPT-001", "PAY-INVOICE-003"],
  mode: "server",
  profile: "payments",
  description: "Paying sends the merchant one pre-checkout query (only the merchant may answer it); after its ok the payer gets a receipt signed by example-pay naming the invoice, payer, merchant and total; concurrent and later retries with the same key return the byte-identical receipt with no new query; another key on the paid invoice is INVOICE_UNAVAILABLE.",
  numRuns: 5,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.array(fc.bigInt({ min: 1n, max: 1_000_000n }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 2 }), (amounts, concurrent, later) =>
      inWorld(target, transcript, async (world) => {
        const { merchant, merchantId, payer, payerId } = await merchantAndPayer(world);
        const invoice = invoiceOf(merchantId, amounts);
        const total = amounts.reduce((a, b) => a + b, 0n);
        await merchant.call("publishInvoice", { invoice });
        const intruderChecks: Promise<unknown>[] = [];
        const answering = answerQueries(merchant, (query) => {
          // PAY-PRECHECKOUT-002: the payer answering the merchant's query gets NOT_FOUND.
          // Settled (never rejected) promises: a violation is rethrown below, after the payments.
          intruderChecks.push(payer.attempt("answerPrecheckout", { queryId: query.queryId, ok: true, errorMessage: "" }).then((o) => {
            expectRejected("PAY-PRECHECKOUT-002", o, ErrorCode.NOT_FOUND, "the payer answering the merchant's pre-checkout query");
          }).then(() => undefined, (error: unknown) => error));
          return { ok: true };
        });
        try {
          const key = randomBytesOf(16);
          const token = chargeableToken(concurrent);
          const pay = () => payer.attempt("payInvoice", { idempotencyKey: key, invoiceId: invoice.invoiceId, providerToken: token });
          const first = await Promise.all(Array.from({ length: concurrent }, pay));
          const results = [...first];
          for (let i = 0; i < later; i++) results.push(await pay());
          const intruderError = (await Promise.all(intruderChecks)).find((e) => e !== undefined);
          if (intruderError !== undefined) throw intruderError;
          const receipts = results.map((r, i) => expectOk<"payInvoice">(i < concurrent ? "PAY-PRECHECKOUT-001" : "PAY-IDEMPOTENCY-001", r, `payment attempt ${i + 1} with one idempotency key`).receipt);
          check("PAY-PRECHECKOUT-001", answering.queries.length >= 1, "the merchant got no pre-checkout query before the charge");
          const q = answering.queries[0]!;
          check("PAY-PRECHECKOUT-001", sameBytes(q.invoiceId, invoice.invoiceId) && sameBytes(q.payerAccountId, payerId) && q.totalAmount === total && q.currency === invoice.currency,
            `the query names invoice ${hex(q.invoiceId)}, payer ${hex(q.payerAccountId)}, ${q.totalAmount} ${q.currency}; expected ${hex(invoice.invoiceId)}, ${hex(payerId)}, ${total} ${invoice.currency}`);
          const now = BigInt(Date.now());
          check("PAY-PRECHECKOUT-001", q.deadlineMs <= now + 11_000n && q.deadlineMs > now - 60_000n, `the query's deadline ${q.deadlineMs} is not within 10 s of ${now}`);
          const distinct = new Set(receipts.map(receiptHex));
          check("PAY-IDEMPOTENCY-001", distinct.size === 1, `${results.length} payments with one idempotency key (${concurrent} concurrent) returned ${distinct.size} different receipts`);
          check("PAY-IDEMPOTENCY-001", answering.queries.length === 1, `${answering.queries.length} pre-checkout queries for one idempotency key: the payment was run again`);
          const receipt = receipts[0]!;
          check("PAY-RECEIPT-001", receipt !== undefined && receiptSignatureValid(receipt), "the receipt's provider signature does not verify with example-pay's key");
          const body = receiptBody(receipt);
          check("PAY-RECEIPT-001", body !== undefined && sameBytes(body.invoiceId, invoice.invoiceId) && sameBytes(body.payerAccountId, payerId) && sameBytes(body.merchantAccountId, merchantId) &&
            body.totalAmount === total && body.currency === invoice.currency && body.providerId === EXAMPLE_PAY, "the receipt body does not name this invoice, payer, merchant, total and provider");
          expectRejected("PAY-INVOICE-003", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: invoice.invoiceId, providerToken: chargeableToken(9) }),
            ErrorCode.INVOICE_UNAVAILABLE, "paying a paid invoice under another key");
        } finally {
          answering.stop();
        }
      }),
    ),
});

defineProperty({
  id: "server.payments.idempotency-conflict",
  rules: ["PAY-IDEMPOTENCY-002"],
  mode: "server",
  profile: "payments",
  description: "Reusing a completed payment's idempotency key with another token or another invoice is IDEMPOTENCY_CONFLICT, and the first receipt is still returned for the original request.",
  numRuns: 4,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.boolean(), (otherInvoice) =>
      inWorld(target, transcript, async (world) => {
        const { merchant, merchantId, payer } = await merchantAndPayer(world);
        const a = invoiceOf(merchantId, [300n]);
        const b = invoiceOf(merchantId, [400n]);
        await merchant.call("publishInvoice", { invoice: a });
        await merchant.call("publishInvoice", { invoice: b });
        const answering = answerQueries(merchant, () => ({ ok: true }));
        try {
          const key = randomBytesOf(16);
          const token = chargeableToken(2);
          const first = expectOk<"payInvoice">("PAY-IDEMPOTENCY-002", await payer.attempt("payInvoice", { idempotencyKey: key, invoiceId: a.invoiceId, providerToken: token }), "the first payment");
          const changed = otherInvoice ? { idempotencyKey: key, invoiceId: b.invoiceId, providerToken: token } : { idempotencyKey: key, invoiceId: a.invoiceId, providerToken: chargeableToken(3) };
          expectRejected("PAY-IDEMPOTENCY-002", await payer.attempt("payInvoice", changed), ErrorCode.IDEMPOTENCY_CONFLICT, `reusing the key with another ${otherInvoice ? "invoice" : "token"}`);
          const again = expectOk<"payInvoice">("PAY-IDEMPOTENCY-002", await payer.attempt("payInvoice", { idempotencyKey: key, invoiceId: a.invoiceId, providerToken: token }), "repeating the first payment after a conflict");
          check("PAY-IDEMPOTENCY-002", receiptHex(again.receipt) === receiptHex(first.receipt), "after a conflicting reuse the key no longer returns the first receipt");
        } finally {
          answering.stop();
        }
      }),
    ),
});

defineProperty({
  id: "server.payments.declines",
  rules: ["PAY-PRECHECKOUT-001", "PAY-RECEIPT-001"],
  mode: "server",
  profile: "payments",
  description: "A merchant declining the query is PRECHECKOUT_DECLINED with its message; a token the provider declines is PAYMENT_FAILED; after either, the same key and invoice still pay normally (nothing was charged or kept).",
  numRuns: 4,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.boolean(), fc.string({ minLength: 1, maxLength: 40 }), (merchantDeclines, message) =>
      inWorld(target, transcript, async (world) => {
        const { merchant, merchantId, payer } = await merchantAndPayer(world);
        const invoice = invoiceOf(merchantId, [1234n]);
        await merchant.call("publishInvoice", { invoice });
        let decline = merchantDeclines;
        const answering = answerQueries(merchant, () => (decline ? { ok: false, errorMessage: message } : { ok: true }));
        try {
          const key = randomBytesOf(16);
          const token = chargeableToken(4);
          if (merchantDeclines) {
            const error = expectRejected("PAY-PRECHECKOUT-001", await payer.attempt("payInvoice", { idempotencyKey: key, invoiceId: invoice.invoiceId, providerToken: token }),
              ErrorCode.PRECHECKOUT_DECLINED, "paying when the merchant declines the pre-checkout query");
            check("PAY-PRECHECKOUT-001", error.message === message, `PRECHECKOUT_DECLINED carries "${error.message}", the merchant said "${message}"`);
          } else {
            expectRejected("PAY-RECEIPT-001", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: invoice.invoiceId, providerToken: declinedToken(4) }),
              ErrorCode.PAYMENT_FAILED, "paying with a token example-pay declines");
          }
          decline = false;
          const paid = expectOk<"payInvoice">(merchantDeclines ? "PAY-PRECHECKOUT-001" : "PAY-RECEIPT-001",
            await payer.attempt("payInvoice", { idempotencyKey: key, invoiceId: invoice.invoiceId, providerToken: token }), "paying after the failed attempt");
          check("PAY-RECEIPT-001", paid.receipt !== undefined && receiptSignatureValid(paid.receipt), "the receipt does not verify");
        } finally {
          answering.stop();
        }
      }),
    ),
});

defineProperty({
  id: "server.payments.precheckout-timeout",
  rules: ["PAY-PRECHECKOUT-001", "PAY-PRECHECKOUT-002"],
  mode: "server",
  profile: "payments",
  description: "A merchant that never answers makes the payment fail with PRECHECKOUT_TIMEOUT once the query's deadline (at most 10 s) passed; an answer after it is PRECHECKOUT_TIMEOUT or NOT_FOUND; the same key then pays normally (nothing was charged or kept). Waits out one deadline.",
  numRuns: 1,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constant(0), () =>
      inWorld(target, transcript, async (world) => {
        world.requestTimeoutMs = 20_000;
        const { merchant, merchantId, payer } = await merchantAndPayer(world);
        const invoice = invoiceOf(merchantId, [999n]);
        await merchant.call("publishInvoice", { invoice });
        let silent = true;
        const answering = answerQueries(merchant, () => (silent ? undefined : { ok: true }));
        try {
          const key = randomBytesOf(16);
          const token = chargeableToken(5);
          const started = Date.now();
          expectRejected("PAY-PRECHECKOUT-001", await payer.attempt("payInvoice", { idempotencyKey: key, invoiceId: invoice.invoiceId, providerToken: token }),
            ErrorCode.PRECHECKOUT_TIMEOUT, "paying while the merchant never answers");
          const waited = Date.now() - started;
          check("PAY-PRECHECKOUT-001", waited <= 12_000, `PRECHECKOUT_TIMEOUT came after ${waited} ms, the deadline is at most 10 s`);
          const q = answering.queries[0];
          check("PAY-PRECHECKOUT-001", q !== undefined, "the payment timed out without a pre-checkout query to the merchant");
          check("PAY-PRECHECKOUT-001", BigInt(Date.now()) + 1_000n >= q.deadlineMs, `PRECHECKOUT_TIMEOUT before the query's deadline ${q.deadlineMs}`);
          expectRejected("PAY-PRECHECKOUT-002", await merchant.attempt("answerPrecheckout", { queryId: q.queryId, ok: true, errorMessage: "" }),
            [ErrorCode.PRECHECKOUT_TIMEOUT, ErrorCode.NOT_FOUND], "answering after the deadline");
          silent = false;
          const paid = expectOk<"payInvoice">("PAY-PRECHECKOUT-001", await payer.attempt("payInvoice", { idempotencyKey: key, invoiceId: invoice.invoiceId, providerToken: token }),
            "paying again with the same key after the timeout");
          check("PAY-PRECHECKOUT-001", paid.receipt !== undefined && receiptSignatureValid(paid.receipt), "the receipt does not verify");
        } finally {
          answering.stop();
        }
      }),
    ),
});

defineProperty({
  id: "server.payments.expiry",
  rules: ["PAY-INVOICE-003"],
  mode: "server",
  profile: "payments",
  description: "An invoice whose expires_at_ms passed is INVOICE_UNAVAILABLE, with no pre-checkout query. Waits 1.5 s for the expiry.",
  numRuns: 1,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constant(0), () =>
      inWorld(target, transcript, async (world) => {
        const { merchant, merchantId, payer } = await merchantAndPayer(world);
        const invoice = invoiceOf(merchantId, [10n], { expiresAtMs: BigInt(Date.now() + 1_000) });
        await merchant.call("publishInvoice", { invoice });
        await new Promise((done) => setTimeout(done, 1_500));
        const answering = answerQueries(merchant, () => ({ ok: true }));
        try {
          expectRejected("PAY-INVOICE-003", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: invoice.invoiceId, providerToken: chargeableToken(6) }),
            ErrorCode.INVOICE_UNAVAILABLE, "paying an expired invoice");
          check("PAY-INVOICE-003", answering.queries.length === 0, "paying an expired invoice sent the merchant a pre-checkout query");
        } finally {
          answering.stop();
        }
      }),
    ),
});

defineProperty({
  id: "server.payments.card-number-refused",
  rules: ["PAY-PRIVACY-002"],
  mode: "server",
  profile: "payments",
  description: "A provider_token that is a card number (Luhn-valid digits) is FRAME_FIELD_INVALID without a pre-checkout query, and the invoice stays payable.",
  numRuns: 3,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom("4111111111111111", "4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005"), (pan) =>
      inWorld(target, transcript, async (world) => {
        const { merchant, merchantId, payer } = await merchantAndPayer(world);
        const invoice = invoiceOf(merchantId, [10n]);
        await merchant.call("publishInvoice", { invoice });
        const answering = answerQueries(merchant, () => ({ ok: true }));
        try {
          expectRejected("PAY-PRIVACY-002", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: invoice.invoiceId, providerToken: new TextEncoder().encode(pan) }),
            ErrorCode.FRAME_FIELD_INVALID, `paying with the card number ${pan} as token`);
          check("PAY-PRIVACY-002", answering.queries.length === 0, "a card number as token reached the pre-checkout step");
          expectOk<"payInvoice">("PAY-PRIVACY-002", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: invoice.invoiceId, providerToken: chargeableToken(7) }),
            "paying the invoice with a real token afterwards");
        } finally {
          answering.stop();
        }
      }),
    ),
});

/** Where `haystack` shows `token`: raw, hex or base64. */
function showsToken(haystack: Uint8Array, token: Uint8Array): string | undefined {
  const bytes = Buffer.from(haystack);
  const t = Buffer.from(token);
  if (bytes.indexOf(t) >= 0) return "raw";
  const text = bytes.toString("latin1");
  if (text.toLowerCase().includes(t.toString("hex"))) return "hex";
  if (text.includes(t.toString("base64").replace(/=+$/, "")) || text.includes(t.toString("base64url"))) return "base64";
  return undefined;
}

defineProperty({
  id: "server.payments.token-not-echoed",
  rules: ["PAY-PRIVACY-001"],
  mode: "server",
  profile: "payments",
  description: "The provider_token never comes back: not in a PAYMENT_FAILED or INVOICE_UNAVAILABLE message, not in the receipt, not in the merchant's pre-checkout query, not in the payer's or merchant's log.",
  numRuns: 4,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.stringMatching(/^[a-z0-9]{8,20}$/), fc.boolean(), (suffix, declined) =>
      inWorld(target, transcript, async (world) => {
        const { merchant, merchantId, payer } = await merchantAndPayer(world);
        const invoice = invoiceOf(merchantId, [4321n]);
        await merchant.call("publishInvoice", { invoice });
        const encode = (s: string) => new TextEncoder().encode(s);
        const bad = encode(`tok_decline_${suffix}`);
        const good = encode(`tok_kit_${suffix}`);
        const answering = answerQueries(merchant, () => ({ ok: true }));
        const seen: [string, Uint8Array][] = [];
        try {
          const unknown = expectRejected("PAY-PRIVACY-001", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: randomBytesOf(16), providerToken: good }),
            ErrorCode.INVOICE_UNAVAILABLE, "paying an unknown invoice");
          seen.push(["the INVOICE_UNAVAILABLE message", encode(unknown.message)]);
          if (declined) {
            const failed = expectRejected("PAY-PRIVACY-001", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: invoice.invoiceId, providerToken: bad }),
              ErrorCode.PAYMENT_FAILED, "paying with a token example-pay declines");
            seen.push(["the PAYMENT_FAILED message", encode(failed.message)]);
          }
          const paid = expectOk<"payInvoice">("PAY-PRIVACY-001", await payer.attempt("payInvoice", { idempotencyKey: randomBytesOf(16), invoiceId: invoice.invoiceId, providerToken: good }), "paying the invoice");
          if (paid.receipt !== undefined) seen.push(["the receipt", PaymentReceipt.encode(paid.receipt).finish()]);
        } finally {
          answering.stop();
        }
        for (const query of answering.queries) seen.push(["the merchant's pre-checkout query", new TextEncoder().encode(JSON.stringify(query, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v)))]);
        for (const [who, connection] of [["payer", payer], ["merchant", merchant]] as const) {
          for (const update of (await readWholeLog(connection)).updates) seen.push([`the ${who}'s log`, AccountUpdate.encode(update).finish()]);
          for (const push of connection.pushes) seen.push([`a push to the ${who}`, new TextEncoder().encode(JSON.stringify(push, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v)))]);
        }
        for (const [where, bytes] of seen) {
          for (const token of declined ? [good, bad] : [good]) {
            const shown = showsToken(bytes, token);
            check("PAY-PRIVACY-001", shown === undefined, () => `${where} carries the provider_token "${new TextDecoder().decode(token)}" (${shown})`);
          }
        }
      }),
    ),
});

defineProperty({
  id: "server.payments.provider-key-per-payer",
  rules: ["PAY-IDEMPOTENCY-003"],
  mode: "server",
  profile: "payments",
  description: "Two payers using the same PayInvoice idempotency key, and one payer using two keys, are charged separately: example-pay derives its charge id from the idempotency key it is given, so distinct (payer, key) pairs must give distinct provider_charge_ids, and a repeat of one pair the same.",
  numRuns: 3,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(1000), (key, otherKey, n) =>
      inWorld(target, transcript, async (world) => {
        const { merchant, merchantId, payer } = await merchantAndPayer(world);
        const second = (await world.account()).connections[0]!;
        const invoices = [invoiceOf(merchantId, [100n]), invoiceOf(merchantId, [200n]), invoiceOf(merchantId, [300n])];
        for (const invoice of invoices) await merchant.call("publishInvoice", { invoice });
        const keyB = sameBytes(key, otherKey) ? Uint8Array.from(otherKey, (b, i) => (i === 0 ? b ^ 1 : b)) : otherKey;
        const answering = answerQueries(merchant, () => ({ ok: true }));
        try {
          const token = (i: number) => new TextEncoder().encode(`tok_kit_${n}_${i}`);
          const pay = async (who: WireConnection, k: Uint8Array, i: number, what: string) => {
            const paid = expectOk<"payInvoice">("PAY-IDEMPOTENCY-003", await who.attempt("payInvoice", { idempotencyKey: k, invoiceId: invoices[i]!.invoiceId, providerToken: token(i) }), what);
            return paid.receipt === undefined ? "" : (receiptBody(paid.receipt)?.providerChargeId ?? "");
          };
          const a = await pay(payer, key, 0, "the first payer's payment");
          const b = await pay(second, key, 1, "the second payer's payment with the same idempotency key");
          const c = await pay(payer, keyB, 2, "the first payer's payment with another key");
          const again = await pay(payer, key, 0, "the first payer repeating its first payment");
          check("PAY-IDEMPOTENCY-003", a !== "" && a !== b && a !== c && b !== c, `provider charge ids "${a}", "${b}", "${c}" of three distinct (payer, key) pairs are not distinct: the provider was given a key that does not derive from both`);
          check("PAY-IDEMPOTENCY-003", again === a, `repeating a payment gave charge id "${again}", the first gave "${a}"`);
        } finally {
          answering.stop();
        }
      }),
    ),
});
