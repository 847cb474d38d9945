// Payments on the client side (docs/spec/payments.md, profile payments):
// the kit plays the merchant with its own wire client on the kit's server
// (publishes invoices, answers the pre-checkout queries), the adapter's
// device pays them through the adversary, and the adversary alters the
// receipt the server returns: a flipped signature or body bit, or a body
// re-signed with example-pay's key (its seed is public, docs/spec/payments.md)
// that names another invoice, another payer or another total. A client must
// show only the untouched receipt as paid and report every other one as
// RECEIPT_INVALID (PAY-RECEIPT-002).
import { createHash, createPrivateKey, sign } from "node:crypto";
import fc from "fast-check";
import { AdapterErrorKind, encodeMessage, ErrorCode, Invoice, PaymentReceipt, PaymentReceiptBody, type Frame } from "@kabar/protocol";
import { isAdapterRefusal } from "../../../adapter/adapter-client.js";
import { honest, startAdversary } from "../../../adversary/adversary.js";
import { ConformanceError } from "../../../errors.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import { randomBytesOf } from "../../../wire-client/keys.js";
import { answerQueries, EXAMPLE_PAY, RECEIPT_CONTEXT, receiptBody, receiptSignatureValid } from "../../../wire-client/payments.js";
import { WireWorld } from "../../../wire-client/wire-world.js";
import { freshAdapter, person } from "./client-world.js";

const RULE = "PAY-RECEIPT-002";
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** True when `shown` (a serialized PaymentReceipt from the adapter) is `given`: same body, same signature. */
function sameReceipt(shown: Uint8Array, given: PaymentReceipt): boolean {
  try {
    const decoded = PaymentReceipt.decode(shown);
    return hex(decoded.body) === hex(given.body) && hex(decoded.providerSignature) === hex(given.providerSignature);
  } catch {
    return false;
  }
}

/** example-pay's signing key: its seed is public, so the kit can sign receipt bodies of its choosing. */
const EXAMPLE_PAY_SIGNING_KEY = createPrivateKey({
  key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), createHash("sha256").update("kabar-v1 example-pay test key").digest()]),
  format: "der",
  type: "pkcs8",
});

/** A receipt over `body` with a valid example-pay signature. */
function signedByExamplePay(body: Uint8Array): PaymentReceipt {
  return { body, providerSignature: new Uint8Array(sign(null, Buffer.concat([RECEIPT_CONTEXT, body]), EXAMPLE_PAY_SIGNING_KEY)) };
}

/** What the adversary does to one payment's receipt. */
type Tamper =
  | { readonly kind: "intact" }
  | { readonly kind: "signature-bit"; readonly at: number; readonly bit: number }
  | { readonly kind: "body-bit"; readonly at: number; readonly bit: number }
  | { readonly kind: "other-invoice"; readonly invoiceId: Uint8Array }
  | { readonly kind: "other-payer" }
  | { readonly kind: "other-total"; readonly delta: bigint };

type TamperKind = Tamper["kind"];
const KINDS: readonly TamperKind[] = ["intact", "signature-bit", "body-bit", "other-invoice", "other-payer", "other-total"];

/** The receipt `tamper` makes of `receipt`; `merchant` is the account named as payer by "other-payer". */
function tampered(receipt: PaymentReceipt, tamper: Tamper, merchant: Uint8Array): PaymentReceipt {
  const flip = (bytes: Uint8Array, at: number, bit: number): Uint8Array => {
    const out = Uint8Array.from(bytes);
    if (out.length > 0) out[at % out.length]! ^= 1 << bit;
    return out;
  };
  if (tamper.kind === "intact") return receipt;
  if (tamper.kind === "signature-bit") return { ...receipt, providerSignature: flip(receipt.providerSignature, tamper.at, tamper.bit) };
  if (tamper.kind === "body-bit") return { ...receipt, body: flip(receipt.body, tamper.at, tamper.bit) };
  const body = receiptBody(receipt);
  if (body === undefined) throw new ConformanceError("HARNESS", "the kit's server returned a receipt whose body does not decode");
  if (tamper.kind === "other-invoice") return signedByExamplePay(encodeMessage(PaymentReceiptBody, { ...body, invoiceId: tamper.invoiceId }));
  if (tamper.kind === "other-payer") return signedByExamplePay(encodeMessage(PaymentReceiptBody, { ...body, payerAccountId: merchant }));
  return signedByExamplePay(encodeMessage(PaymentReceiptBody, { ...body, totalAmount: body.totalAmount + tamper.delta }));
}

/** The receipt a to-client frame carries as the answer to PayInvoice, if any. */
function paidReceipt(frame: Frame): PaymentReceipt | undefined {
  const kind = frame.kind;
  if (kind?.$case !== "response" || kind.value.result?.$case !== "payInvoice") return undefined;
  return kind.value.result.value.receipt;
}

/** The frame with its PayInvoice receipt replaced. */
function withReceipt(frame: Frame, receipt: PaymentReceipt): Frame {
  const kind = frame.kind;
  if (kind?.$case !== "response") return frame;
  return { kind: { $case: "response", value: { ...kind.value, result: { $case: "payInvoice", value: { receipt } } } } };
}

const tamperArb: Record<TamperKind, fc.Arbitrary<Tamper>> = {
  "intact": fc.constant({ kind: "intact" }),
  "signature-bit": fc.record({ kind: fc.constant("signature-bit" as const), at: fc.nat(63), bit: fc.nat(7) }),
  "body-bit": fc.record({ kind: fc.constant("body-bit" as const), at: fc.nat(), bit: fc.nat(7) }),
  "other-invoice": fc.record({ kind: fc.constant("other-invoice" as const), invoiceId: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  "other-payer": fc.constant({ kind: "other-payer" }),
  "other-total": fc.record({ kind: fc.constant("other-total" as const), delta: fc.bigInt({ min: 1n, max: 1_000n }) }),
};

/** One payment of a case: what the adversary does to its receipt and the invoice's prices. */
const paymentArb = (kind: TamperKind) => fc.record({ tamper: tamperArb[kind], amounts: fc.array(fc.bigInt({ min: 1n, max: 1_000_000n }), { minLength: 1, maxLength: 3 }) });

/** Every tamper kind once per case, in a generated order, so each case checks the signature and each field the body must name. */
const planArb = fc.shuffledSubarray([...KINDS], { minLength: KINDS.length, maxLength: KINDS.length }).chain((order) => fc.tuple(...order.map(paymentArb)));

defineProperty({
  id: "client.payments.receipt-verified",
  rules: [RULE],
  mode: "client",
  profile: "payments",
  numRuns: 4,
  description:
    "A device pays invoices the kit published (the kit answers the pre-checkout queries); the adversary forwards the server's receipt untouched, with a flipped signature or body bit, or re-signed with example-pay's key over a body naming another invoice, payer or total. The untouched receipt is shown as paid (PayInvoice answers it); every other one is refused with RECEIPT_INVALID.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(planArb, async (plan) => {
      const serverUrl = await target.serverUrl();
      const adversary = await startAdversary(serverUrl, honest);
      const world = new WireWorld(serverUrl, transcript);
      world.requestTimeoutMs = 20_000;
      try {
        const adapter = await freshAdapter(target, adversary.url);
        const payer = await person(adapter, "payer");
        const { account: merchantAccount, connections } = await world.account();
        const merchant = connections[0]!;
        const merchantId = merchantAccount.accountId;
        const answering = answerQueries(merchant, () => ({ ok: true }));
        // Per invoice (hex id): what to do to its receipt, and what the server returned and the adversary forwarded.
        const tampers = new Map<string, Tamper>();
        const served = new Map<string, { original: PaymentReceipt; forwarded: PaymentReceipt }>();
        adversary.setScript((e) => {
          if (e.direction !== "to-client" || e.account !== payer.account) return undefined;
          const receipt = paidReceipt(e.frame);
          const body = receipt === undefined ? undefined : receiptBody(receipt);
          if (receipt === undefined || body === undefined) return undefined;
          const id = hex(body.invoiceId);
          const tamper = tampers.get(id);
          if (tamper === undefined) return undefined;
          const forwarded = tampered(receipt, tamper, merchantId);
          served.set(id, { original: receipt, forwarded });
          return [withReceipt(e.frame, forwarded)];
        });
        try {
          for (const [index, { tamper, amounts }] of plan.entries()) {
            const invoice: Invoice = {
              invoiceId: randomBytesOf(16), merchantAccountId: merchantId, title: `Kit order ${index}`, description: "conformance", currency: "EUR",
              prices: amounts.map((amount, i) => ({ label: `line ${i}`, amount })), providerId: EXAMPLE_PAY, payload: new Uint8Array(0),
              expiresAtMs: BigInt(Date.now() + 3_600_000),
            };
            await merchant.call("publishInvoice", { invoice });
            const id = hex(invoice.invoiceId);
            tampers.set(id, tamper);
            transcript.add("note", `payment ${index + 1}: invoice ${id} of ${amounts.reduce((a, b) => a + b, 0n)} EUR, receipt ${JSON.stringify(tamper, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? hex(v) : v))}`);
            let outcome: { paid: Uint8Array } | { refused: { kind: AdapterErrorKind; code: ErrorCode; message: string } };
            try {
              outcome = { paid: (await adapter.call("payInvoice", { device: payer.devices[0]!, invoice: encodeMessage(Invoice, invoice), providerToken: new TextEncoder().encode(`tok_kit_${index}`) })).receipt };
            } catch (error) {
              if (!isAdapterRefusal(error)) throw error;
              outcome = { refused: { kind: error.kind, code: error.code, message: error.message } };
            }
            const seen = served.get(id);
            if (seen === undefined) {
              if ("refused" in outcome && outcome.refused.code === ErrorCode.PRECHECKOUT_TIMEOUT) {
                throw new ConformanceError("HARNESS", `payment ${index + 1}: the kit's merchant did not answer the pre-checkout query in time`);
              }
              // The server never answered this payment with a receipt: the device did not pay it as asked.
              const why = "refused" in outcome ? outcome.refused.message : "it answered PayInvoice without a receipt having been returned";
              throw new RuleViolation(RULE, `payment ${index + 1}: no receipt for invoice ${id} reached the device (${why})`);
            }
            if (!receiptSignatureValid(seen.original) || receiptBody(seen.original) === undefined) {
              throw new ConformanceError("HARNESS", `the kit's server returned a receipt for invoice ${id} that does not verify with example-pay's key`);
            }
            if (tamper.kind === "intact") {
              if ("refused" in outcome) throw new RuleViolation(RULE, `payment ${index + 1}: the server's genuine receipt was refused (${outcome.refused.message})`);
              if (!sameReceipt(outcome.paid, seen.forwarded)) throw new RuleViolation(RULE, `payment ${index + 1}: the device shows a receipt other than the one it was given`);
            } else if (!("refused" in outcome)) {
              throw new RuleViolation(RULE, `payment ${index + 1}: a receipt with ${tamper.kind} was shown as paid instead of reported as RECEIPT_INVALID`);
            } else if (outcome.refused.kind !== AdapterErrorKind.OPERATION_FAILED || outcome.refused.code !== ErrorCode.RECEIPT_INVALID) {
              throw new RuleViolation(RULE, `payment ${index + 1}: a receipt with ${tamper.kind} was refused, but not as RECEIPT_INVALID (${outcome.refused.message})`);
            }
          }
        } finally {
          answering.stop();
        }
      } finally {
        await world.close();
        await adversary.close();
      }
    }),
});
