// Server mutants of the payments profile: the reference server with one
// payment behaviour broken through its storage port.
import { ErrorCode, isKabarError } from "@kabar/protocol";
import type { ServerStore } from "@kabar/server";
import { randomBytes } from "node:crypto";
import { defineMutant } from "../../registry/mutant-registry.js";
import { startMutantServer, type StoreWrapper } from "./mutant-server.js";

type Args<K extends keyof ServerStore> = ServerStore[K] extends (...args: infer A) => unknown ? A : never;
type Out<K extends keyof ServerStore> = ServerStore[K] extends (...args: never[]) => infer R ? R : never;

function serverMutant(id: string, breaks: string[], description: string, wrapper: StoreWrapper): void {
  defineMutant({ id, breaks, target: "server", description, create: () => startMutantServer(id, wrapper) });
}

serverMutant("server.payment-charged-twice", ["PAY-IDEMPOTENCY-001"],
  "Forgets a completed payment when its idempotency key comes again: the retry runs the pre-checkout and the charge a second time and returns a new receipt.",
  (store) => ({
    beginPayment: (async (input: Args<"beginPayment">[0]): Out<"beginPayment"> => {
      const claim = await store.beginPayment(input);
      return claim.kind === "paid" ? { kind: "new" } : claim;
    }) as never,
    finishPayment: (async (input: Args<"finishPayment">[0]): Out<"finishPayment"> => {
      await store.finishPayment(input);
      return input.receipt;
    }) as never,
  }));

serverMutant("server.precheckout-answer-ignored", ["PAY-PRECHECKOUT-001"],
  "Reads every pre-checkout answer as ok, so an order the merchant declined is charged anyway.",
  (store) => ({
    getPreCheckout: (async (queryId: Args<"getPreCheckout">[0]): Out<"getPreCheckout"> => {
      const query = await store.getPreCheckout(queryId);
      return query?.answer === undefined ? query : { answer: { ok: true, errorMessage: "" } };
    }) as never,
  }));

serverMutant("server.payment-conflict-ignored", ["PAY-IDEMPOTENCY-002"],
  "Treats an idempotency key reused with other parameters as a new payment under a fresh key instead of rejecting it with IDEMPOTENCY_CONFLICT.",
  (store) => {
    const renamed = new Map<string, Uint8Array>();
    const keyOf = (payer: Uint8Array, key: Uint8Array) => `${Buffer.from(payer).toString("hex")}:${Buffer.from(key).toString("hex")}:`;
    return {
      beginPayment: (async (input: Args<"beginPayment">[0]): Out<"beginPayment"> => {
        try {
          return await store.beginPayment(input);
        } catch (error) {
          if (!isKabarError(error, ErrorCode.IDEMPOTENCY_CONFLICT)) throw error;
          const fresh = new Uint8Array(randomBytes(16));
          renamed.set(keyOf(input.payer, input.idempotencyKey) + Buffer.from(input.requestDigest).toString("hex"), fresh);
          return store.beginPayment({ ...input, idempotencyKey: fresh });
        }
      }) as never,
      finishPayment: ((input: Args<"finishPayment">[0]) => {
        const fresh = [...renamed.entries()].find(([k]) => k.startsWith(keyOf(input.payer, input.idempotencyKey)))?.[1];
        return store.finishPayment(fresh === undefined ? input : { ...input, idempotencyKey: fresh });
      }) as never,
      abortPayment: ((input: Args<"abortPayment">[0]) => {
        const fresh = [...renamed.entries()].find(([k]) => k.startsWith(keyOf(input.payer, input.idempotencyKey)))?.[1];
        return store.abortPayment(fresh === undefined ? input : { ...input, idempotencyKey: fresh });
      }) as never,
    };
  });

serverMutant("server.expired-invoice-payable", ["PAY-INVOICE-003"],
  "Checks invoice expiry against the Unix epoch instead of the current time, so expired invoices can still be paid.",
  (store) => ({
    beginPayment: ((input: Args<"beginPayment">[0]) => store.beginPayment({ ...input, nowMs: 0 })) as never,
  }));

serverMutant("server.invoice-overwrite-accepted", ["PAY-INVOICE-002"],
  "Answers a republished invoice id with other contents as a success (keeping the first) instead of IDEMPOTENCY_CONFLICT.",
  (store) => ({
    publishInvoice: (async (input: Args<"publishInvoice">[0]): Out<"publishInvoice"> => {
      try {
        await store.publishInvoice(input);
      } catch (error) {
        if (!isKabarError(error, ErrorCode.IDEMPOTENCY_CONFLICT)) throw error;
      }
    }) as never,
  }));

serverMutant("server.precheckout-answer-by-anyone", ["PAY-PRECHECKOUT-002"],
  "Acknowledges an AnswerPreCheckout from an account that is not the query's merchant (ignoring it) instead of answering NOT_FOUND.",
  (store) => ({
    answerPreCheckout: (async (input: Args<"answerPreCheckout">[0]): Out<"answerPreCheckout"> => {
      try {
        await store.answerPreCheckout(input);
      } catch (error) {
        if (!isKabarError(error, ErrorCode.NOT_FOUND)) throw error;
      }
    }) as never,
  }));

serverMutant("server.receipt-signature-broken", ["PAY-RECEIPT-001"],
  "Returns receipts whose provider signature has one bit flipped, so they no longer verify with the provider's key.",
  (store) => {
    const flip = (receipt: Uint8Array): Uint8Array => {
      const out = new Uint8Array(receipt);
      // The signature is the last field: flip a bit of its last byte.
      out[out.length - 1] = out[out.length - 1]! ^ 0x01;
      return out;
    };
    return {
      beginPayment: (async (input: Args<"beginPayment">[0]): Out<"beginPayment"> => {
        const claim = await store.beginPayment(input);
        return claim.kind === "paid" ? { kind: "paid", receipt: flip(claim.receipt) } : claim;
      }) as never,
      finishPayment: (async (input: Args<"finishPayment">[0]) => flip(await store.finishPayment(input))) as never,
    };
  });
