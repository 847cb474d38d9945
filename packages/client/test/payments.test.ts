// PAY-RECEIPT-002: a receipt verifies only with a valid signature of the
// invoice's provider over a body naming the invoice, payer and total paid;
// any single change to a genuine receipt is RECEIPT_INVALID. (The client
// paying through a server, with receipts altered in flight, is checked by
// the conformance kit: client.payments.receipt-verified.)
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NodeCryptoProvider } from "@kabar/crypto";
import { ErrorCode, isKabarError, PaymentReceiptBody, type Invoice, type PaymentReceipt } from "@kabar/protocol";
import { examplePayReceiptKey, invoiceTotal, RECEIPT_SIGNATURE_CONTEXT, ReceiptVerifier } from "../src/index.js";

const provider = new NodeCryptoProvider();
const examplePay = provider.ed25519KeyPairFromSeed(provider.sha256(new TextEncoder().encode("kabar-v1 example-pay test key")));
const verifier = new ReceiptVerifier(provider, { "example-pay": examplePayReceiptKey(provider) });

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const invoiceArb = fc.record({
  invoiceId: bytes(16), merchantAccountId: bytes(32), title: fc.constant("order"), description: fc.constant(""), currency: fc.constantFrom("EUR", "USD"),
  prices: fc.array(fc.record({ label: fc.string({ maxLength: 8 }), amount: fc.bigInt({ min: 1n, max: 1n << 40n }) }), { minLength: 1, maxLength: 4 }),
  providerId: fc.constant("example-pay"), payload: fc.constant(new Uint8Array(0)), expiresAtMs: fc.constant(0n),
}) satisfies fc.Arbitrary<Invoice>;

function genuine(invoice: Invoice, payer: Uint8Array, change: Partial<PaymentReceiptBody> = {}): PaymentReceipt {
  const body = PaymentReceiptBody.encode({
    receiptId: new Uint8Array(16).fill(1), invoiceId: invoice.invoiceId, payerAccountId: payer, merchantAccountId: invoice.merchantAccountId, currency: invoice.currency,
    totalAmount: invoiceTotal(invoice), providerId: invoice.providerId, providerChargeId: "ch_1", paidAtMs: 1n, ...change,
  }).finish();
  return { body, providerSignature: provider.ed25519Sign(examplePay, new Uint8Array([...RECEIPT_SIGNATURE_CONTEXT, ...body])) };
}

const invalid = (run: () => unknown): boolean => {
  try {
    run();
    return false;
  } catch (error) {
    return isKabarError(error, ErrorCode.RECEIPT_INVALID);
  }
};

describe("ReceiptVerifier (PAY-RECEIPT-002)", () => {
  it("accepts the provider's receipt for the payment made, with its body", () => {
    fc.assert(fc.property(invoiceArb, bytes(32), (invoice, payer) => {
      const body = verifier.verify(genuine(invoice, payer), { invoice, payerAccountId: payer });
      expect(body.totalAmount).toBe(invoiceTotal(invoice));
    }), { numRuns: 30 });
  });

  it("refuses any single change with RECEIPT_INVALID: a signature or body bit, or a validly signed body naming another payment", () => {
    const changes = fc.oneof(
      fc.record({ kind: fc.constant("signature-bit" as const), at: fc.nat(511) }),
      fc.record({ kind: fc.constant("body-bit" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("field" as const), change: fc.oneof(
        bytes(16).map((invoiceId) => ({ invoiceId })), bytes(32).map((payerAccountId) => ({ payerAccountId })),
        fc.bigInt({ min: 1n, max: 1000n }).map((d) => ({ totalDelta: d })),
      ) }),
    );
    fc.assert(fc.property(invoiceArb, bytes(32), changes, (invoice, payer, change) => {
      let receipt = genuine(invoice, payer);
      if (change.kind === "signature-bit") {
        const signature = Uint8Array.from(receipt.providerSignature);
        signature[change.at >> 3]! ^= 1 << (change.at & 7);
        receipt = { ...receipt, providerSignature: signature };
      } else if (change.kind === "body-bit") {
        const body = Uint8Array.from(receipt.body);
        body[change.at % body.length]! ^= 1 << (change.at % 8);
        receipt = { ...receipt, body };
      } else {
        const c = change.change;
        const field = "totalDelta" in c ? { totalAmount: invoiceTotal(invoice) + c.totalDelta } : c;
        fc.pre(!("invoiceId" in field) || Buffer.compare(field.invoiceId!, invoice.invoiceId) !== 0);
        fc.pre(!("payerAccountId" in field) || Buffer.compare(field.payerAccountId!, payer) !== 0);
        receipt = genuine(invoice, payer, field);
      }
      expect(invalid(() => verifier.verify(receipt, { invoice, payerAccountId: payer }))).toBe(true);
    }), { numRuns: 100 });
  });

  it("refuses a receipt of a provider it has no published key for", () => {
    fc.assert(fc.property(invoiceArb, bytes(32), (invoice, payer) => {
      const other = { ...invoice, providerId: "other-pay" };
      expect(invalid(() => verifier.verify(genuine(other, payer), { invoice: other, payerAccountId: payer }))).toBe(true);
      expect(invalid(() => verifier.verify(undefined, { invoice, payerAccountId: payer }))).toBe(true);
    }), { numRuns: 10 });
  });
});
