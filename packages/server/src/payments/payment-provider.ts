import { createHash, createPrivateKey, createPublicKey, sign } from "node:crypto";

// The payment provider port. The server hands the provider the payer's
// opaque token (obtained by the payer's app from the provider directly; never
// a card number, PAY-PRIVACY-001) with an idempotency key, and has the
// provider sign the receipt it returns to the payer (PAY-RECEIPT-001).

/** Domain-separation prefix of receipt signatures: `"kabar-v1 payment-receipt" || body` (PAY-RECEIPT-001). */
export const RECEIPT_CONTEXT: Uint8Array = new TextEncoder().encode("kabar-v1 payment-receipt");

/** What the server asks a provider to charge. */
export interface ChargeRequest {
  /** The opaque token the payer's app obtained from the provider; never logged or stored by the server. */
  readonly providerToken: Uint8Array;
  /** Amount in the currency's minor units. */
  readonly amount: bigint;
  /** ISO 4217 code, three upper-case letters. */
  readonly currency: string;
  /** Unique per payer and PayInvoice idempotency key; the provider charges at most once per key (PAY-IDEMPOTENCY-001). */
  readonly idempotencyKey: string;
}

/** A provider's answer to a charge. */
export type ChargeResult =
  | {
    /** The charge went through. */
    readonly ok: true;
    /** The provider's own reference of the charge, at most 128 bytes; the same for a repeated idempotency key. */
    readonly chargeId: string;
  }
  | {
    /** The provider refused; nothing was charged. */
    readonly ok: false;
    /** Why, for the payer (no card data). */
    readonly reason: string;
  };

/** A payment provider the server can charge through. */
export interface PaymentProvider {
  /** The id invoices name in `provider_id`, for example "example-pay". */
  readonly id: string;
  /** The provider's Ed25519 public key (32 bytes) that verifies its receipts; published so clients can check receipts. */
  readonly publicKey: Uint8Array;
  /** Charges once per idempotency key; a repeated key returns the first result without charging again. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** The provider's Ed25519 signature over {@link RECEIPT_CONTEXT} followed by the serialized PaymentReceiptBody (64 bytes). */
  signReceipt(body: Uint8Array): Promise<Uint8Array>;
}

/** The id of the built-in test provider. */
export const EXAMPLE_PAY_ID = "example-pay";

/** The public seed of example-pay's default key: SHA-256 of this text, so anyone (the conformance kit included) can derive its public key. */
export const EXAMPLE_PAY_SEED_TEXT = "kabar-v1 example-pay test key";

/** Options of {@link exampleProvider}. */
export interface ExampleProviderOptions {
  /** 32-byte Ed25519 seed of the receipt key. Default SHA-256 of {@link EXAMPLE_PAY_SEED_TEXT}. */
  readonly seed?: Uint8Array;
  /** The provider id. Default {@link EXAMPLE_PAY_ID}. */
  readonly id?: string;
}

/** The built-in provider with its charge counter, for tests. */
export interface ExampleProvider extends PaymentProvider {
  /** Charges actually made (repeated idempotency keys not counted). */
  readonly charges: number;
}

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * The deterministic test provider `example-pay`: a token whose UTF-8 text
 * starts with `tok_decline` is declined, any other token starting with
 * `tok_` is charged, anything else is declined as not a token. Charges are
 * idempotent by key and their ids derive from the key. Receipts are signed
 * with an Ed25519 key from a seed (by default a public one: for testing
 * only, never for real money).
 */
export function exampleProvider(options: ExampleProviderOptions = {}): ExampleProvider {
  const seed = options.seed ?? new Uint8Array(createHash("sha256").update(EXAMPLE_PAY_SEED_TEXT).digest());
  if (seed.length !== 32) throw new RangeError("the example-pay seed is 32 bytes");
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  const done = new Map<string, string>();
  let charges = 0;
  return {
    id: options.id ?? EXAMPLE_PAY_ID,
    publicKey,
    get charges() {
      return charges;
    },
    async charge(request) {
      const prior = done.get(request.idempotencyKey);
      if (prior !== undefined) return { ok: true, chargeId: prior };
      const token = Buffer.from(request.providerToken).toString("utf8");
      if (!token.startsWith("tok_")) return { ok: false, reason: "not an example-pay token" };
      if (token.startsWith("tok_decline")) return { ok: false, reason: "declined by example-pay" };
      charges++;
      const chargeId = `ex_${createHash("sha256").update(request.idempotencyKey).digest("hex").slice(0, 24)}`;
      done.set(request.idempotencyKey, chargeId);
      return { ok: true, chargeId };
    },
    async signReceipt(body) {
      return new Uint8Array(sign(null, Buffer.concat([RECEIPT_CONTEXT, body]), privateKey));
    },
  };
}
