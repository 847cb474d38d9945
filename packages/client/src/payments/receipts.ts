// Payment receipts (docs/spec/payments.md): a payment is done only when the
// receipt the server returns carries a valid signature of the invoice's
// provider, made with the provider's published key, over a body naming the
// invoice, the payer and the total this client paid (PAY-RECEIPT-002).
// Anything else is RECEIPT_INVALID.
import type { CryptoProvider } from "@kabar/crypto";
import { decodeMessage, PaymentReceiptBody, type Invoice, type PaymentReceipt } from "@kabar/protocol";
import { bytesEqual, concatBytes, utf8 } from "../util/bytes.js";
import { ErrorCode, fail } from "../util/errors.js";

const RULE = "PAY-RECEIPT-002";
const SIGNATURE_BYTES = 64;

/** `"kabar-v1 payment-receipt"`: the context a provider signs in front of the receipt body (PAY-RECEIPT-001). */
export const RECEIPT_SIGNATURE_CONTEXT: Uint8Array = utf8("kabar-v1 payment-receipt");

/**
 * The published Ed25519 receipt keys (32 bytes each) of the payment
 * providers a client accepts, by provider id, for example
 * `{ "example-pay": key }`. Kabar has no in-protocol key distribution for
 * providers: an app ships the keys of the providers it supports.
 */
export type PaymentProviderKeys = Readonly<Record<string, Uint8Array>>;

/** The payment a receipt must name: the invoice paid and the paying account. */
export interface ExpectedPayment {
  /** The invoice this client paid (its id, provider and prices). */
  readonly invoice: Invoice;
  /** The paying account, 32 bytes: this client's own account. */
  readonly payerAccountId: Uint8Array;
}

/** A payment shown as done: the verified receipt and its decoded body. */
export interface PaidInvoice {
  /** The receipt as the server returned it. */
  readonly receipt: PaymentReceipt;
  /** Its body, checked to name the invoice, payer and total paid. */
  readonly body: PaymentReceiptBody;
}

/** An invoice's total: the sum of its prices, in minor units. */
export function invoiceTotal(invoice: Invoice): bigint {
  return invoice.prices.reduce((sum, price) => sum + price.amount, 0n);
}

/**
 * The receipt key of the test provider `example-pay`, whose seed is public
 * (`SHA-256("kabar-v1 example-pay test key")`, docs/spec/payments.md): anyone
 * can forge its receipts, so only tests and conformance runs may trust it.
 */
export function examplePayReceiptKey(provider: CryptoProvider): Uint8Array {
  return provider.ed25519KeyPairFromSeed(provider.sha256(utf8("kabar-v1 example-pay test key"))).publicKey;
}

/** Verifies payment receipts against the published keys of the providers a client accepts (PAY-RECEIPT-002). */
export class ReceiptVerifier {
  /**
   * @param provider - the crypto primitives (Ed25519 verification).
   * @param keys - the published receipt keys of the accepted providers, by provider id.
   */
  constructor(private readonly provider: CryptoProvider, private readonly keys: PaymentProviderKeys) {}

  /** The published receipt key of `providerId`, or undefined when this client does not accept that provider. */
  keyOf(providerId: string): Uint8Array | undefined {
    return Object.hasOwn(this.keys, providerId) ? this.keys[providerId] : undefined;
  }

  /**
   * Returns the receipt's body when the receipt is the provider's proof of
   * exactly `expected`: the signature verifies with the published key of the
   * invoice's provider, and the body names the invoice, payer, total,
   * currency, merchant and provider. Throws a `KabarError` with code `RECEIPT_INVALID`
   * otherwise.
   */
  verify(receipt: PaymentReceipt | undefined, expected: ExpectedPayment): PaymentReceiptBody {
    const key = this.keyOf(expected.invoice.providerId);
    if (key === undefined) return fail(ErrorCode.RECEIPT_INVALID, "no published receipt key is known for the invoice's provider", RULE);
    if (receipt === undefined) return fail(ErrorCode.RECEIPT_INVALID, "the payment was answered without a receipt", RULE);
    if (!this.signatureValid(key, receipt)) return fail(ErrorCode.RECEIPT_INVALID, "the receipt's provider signature does not verify", RULE);
    let body: PaymentReceiptBody;
    try {
      body = decodeMessage(PaymentReceiptBody, receipt.body);
    } catch {
      return fail(ErrorCode.RECEIPT_INVALID, "the receipt body does not decode", RULE);
    }
    if (!this.namesPayment(body, expected)) return fail(ErrorCode.RECEIPT_INVALID, "the receipt does not name the invoice, payer and total paid", RULE);
    return body;
  }

  /** The provider's Ed25519 signature over the context and the body. */
  private signatureValid(key: Uint8Array, receipt: PaymentReceipt): boolean {
    if (receipt.providerSignature.length !== SIGNATURE_BYTES) return false;
    return this.provider.ed25519Verify(key, concatBytes(RECEIPT_SIGNATURE_CONTEXT, receipt.body), receipt.providerSignature);
  }

  /** The body names this invoice, this payer, the invoice's total and currency, its merchant and its provider. */
  private namesPayment(body: PaymentReceiptBody, expected: ExpectedPayment): boolean {
    const { invoice } = expected;
    return bytesEqual(body.invoiceId, invoice.invoiceId) && bytesEqual(body.payerAccountId, expected.payerAccountId) && body.totalAmount === invoiceTotal(invoice)
      && body.currency === invoice.currency && body.providerId === invoice.providerId && bytesEqual(body.merchantAccountId, invoice.merchantAccountId);
  }
}
