// Payments helpers of the kit's device client: the test provider's public
// key (docs/spec/payments.md, "The test provider"), receipt verification,
// and a merchant that answers pre-checkout queries as they arrive.
import { createHash, createPrivateKey, createPublicKey, verify } from "node:crypto";
import { PaymentReceiptBody, type PaymentReceipt, type PreCheckoutQuery } from "@kabar/protocol";
import type { WireConnection } from "./wire-connection.js";

/** The test provider every server certified for `payments` offers. */
export const EXAMPLE_PAY = "example-pay";
/** `"kabar-v1 payment-receipt"`, prefixed to the body a provider signs (PAY-RECEIPT-001). */
export const RECEIPT_CONTEXT = new TextEncoder().encode("kabar-v1 payment-receipt");

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** example-pay's public receipt key: from the seed SHA-256("kabar-v1 example-pay test key"). */
export const EXAMPLE_PAY_PUBLIC_KEY: Uint8Array = (() => {
  const seed = createHash("sha256").update("kabar-v1 example-pay test key").digest();
  const spki = createPublicKey(createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" })).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 32));
})();

/** A token example-pay charges. */
export function chargeableToken(n: number): Uint8Array {
  return new TextEncoder().encode(`tok_kit_${n}_${Math.random().toString(36).slice(2)}`);
}

/** A token example-pay declines. */
export function declinedToken(n: number): Uint8Array {
  return new TextEncoder().encode(`tok_decline_kit_${n}`);
}

/** True when the receipt's signature verifies with `publicKey` over RECEIPT_CONTEXT || body. */
export function receiptSignatureValid(receipt: PaymentReceipt, publicKey: Uint8Array = EXAMPLE_PAY_PUBLIC_KEY): boolean {
  if (receipt.providerSignature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: "der", type: "spki" });
    return verify(null, Buffer.concat([RECEIPT_CONTEXT, receipt.body]), key, receipt.providerSignature);
  } catch {
    return false;
  }
}

/** The receipt's body, or undefined when it does not decode. */
export function receiptBody(receipt: PaymentReceipt): PaymentReceiptBody | undefined {
  try {
    return PaymentReceiptBody.decode(receipt.body);
  } catch {
    return undefined;
  }
}

/** A merchant device answering every pre-checkout query it is pushed with `decide`; `queries` lists them in arrival order. */
export function answerQueries(merchant: WireConnection, decide: (query: PreCheckoutQuery) => { ok: boolean; errorMessage?: string } | undefined): {
  /** The queries received so far. */
  readonly queries: PreCheckoutQuery[];
  /** Stops answering. */
  stop(): void;
} {
  const queries: PreCheckoutQuery[] = [];
  const stop = merchant.onPush((push) => {
    if (push.$case !== "precheckout" || push.value.query === undefined) return;
    const query = push.value.query;
    queries.push(query);
    const answer = decide(query);
    if (answer !== undefined) {
      void merchant.attempt("answerPrecheckout", { queryId: query.queryId, ok: answer.ok, errorMessage: answer.errorMessage ?? "" }).catch(() => undefined);
    }
  });
  return { queries, stop };
}
