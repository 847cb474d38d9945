import { createPublicKey, verify } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ErrorCode, PaymentReceipt, PaymentReceiptBody, type ClientRequest, type Invoice, type PreCheckoutQuery, type ServerResponse,
} from "@kabar/protocol";
import {
  EXAMPLE_PAY_ID, RECEIPT_CONTEXT, ServerCore, exampleProvider, newSession, openPostgresStore, openSqliteStore, startServer, type PaymentProvider,
  type ServerLimits, type ServerStore, type Session,
} from "@kabar/server";
import { CallError, TestClock, rejects } from "./support/core-harness.js";
import { randomId, TestAccount } from "./support/keys.js";
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from "./support/postgres.js";
import { TestClient } from "./support/ws-client.js";

const pgReason = await postgresUnavailable();
if (pgReason !== undefined) console.log(`SKIP payments on PostgreSQL: ${pgReason}`);
const BACKENDS = [
  { name: "sqlite", skip: false },
  { name: "postgres", skip: pgReason !== undefined },
] as const;

type Body = NonNullable<ClientRequest["body"]>;
type Result = NonNullable<ServerResponse["result"]>;
type ResultOf<C extends Body["$case"]> = Extract<Result, { $case: C }>["value"];
type MerchantMode = "ok" | "decline" | "silent";

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const token = (text = `tok_${Math.random().toString(36).slice(2)}`): Uint8Array => new TextEncoder().encode(text);

function verifyReceipt(receipt: PaymentReceipt, publicKey: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
  return verify(null, Buffer.concat([RECEIPT_CONTEXT, receipt.body]), key, receipt.providerSignature);
}

/** example-pay with every charge() call counted (retries included). */
function countingProvider(): PaymentProvider & { calls: number; readonly charges: number } {
  const inner = exampleProvider();
  const counted = {
    id: inner.id, publicKey: inner.publicKey, calls: 0,
    get charges() {
      return inner.charges;
    },
    charge: (request: Parameters<PaymentProvider["charge"]>[0]) => {
      counted.calls++;
      return inner.charge(request);
    },
    signReceipt: (body: Uint8Array) => inner.signReceipt(body),
  };
  return counted;
}

let nextRequestId = 1n;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

let backend: "sqlite" | "postgres" = "sqlite";

async function setup(limits: Partial<ServerLimits> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "kabar-pay-"));
  const schema = uniqueSchema("kabar_pay");
  const store: ServerStore = backend === "sqlite"
    ? openSqliteStore({ dataDir: join(dir, "db") })
    : await openPostgresStore({ connectionString: POSTGRES_URL, schema, notifyCommits: false });
  const clock = new TestClock();
  const provider = countingProvider();
  const core = new ServerCore({ store, blobs: join(dir, "blobs"), clock, limits, paymentProviders: [provider], onInternalError: (e) => console.error(e) });
  const queries: PreCheckoutQuery[] = [];
  let mode: MerchantMode = "ok";
  let merchantSession: Session | undefined;
  const call = async <C extends Body["$case"]>(session: Session, $case: C, value: Extract<Body, { $case: C }>["value"]): Promise<ResultOf<C>> => {
    const { response } = await core.handle(session, { requestId: nextRequestId++, body: { $case, value } } as ClientRequest);
    const result = response.result!;
    if (result.$case === "error") throw new CallError(result.value.code, result.value.rule, result.value);
    return result.value as never;
  };
  core.onLivePush = (effects) => {
    for (const effect of effects) {
      if (effect.kind !== "precheckout") continue;
      queries.push(effect.query);
      if (mode === "silent" || merchantSession === undefined) continue;
      const ok = mode === "ok";
      void call(merchantSession, "answerPrecheckout", { queryId: effect.query.queryId, ok, errorMessage: ok ? "" : "out of stock" });
    }
  };
  const connect = async (account: TestAccount): Promise<Session> => {
    const register = newSession();
    await call(register, "hello", { versions: [1], clientName: "test" });
    await call(register, "registerAccount", { identityKey: account.identity.publicKey, deviceList: account.deviceList() });
    const session = newSession();
    const ack = await call(session, "hello", { versions: [1], clientName: "test" });
    await call(session, "authenticate", { accountId: account.accountId, deviceId: 1, signature: account.authSignature(ack.challenge, 1) });
    return session;
  };
  const merchant = new TestAccount();
  const payer = new TestAccount();
  merchantSession = await connect(merchant);
  const payerSession = await connect(payer);
  cleanups.push(async () => {
    await store.close();
    if (backend === "postgres") await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });
  const invoice = (overrides: Partial<Invoice> = {}): Invoice => ({
    invoiceId: randomId(), merchantAccountId: merchant.accountId, title: "Coffee beans", description: "1 kg", currency: "EUR",
    prices: [{ label: "beans", amount: 1800n }, { label: "shipping", amount: 450n }], providerId: EXAMPLE_PAY_ID, payload: new Uint8Array([1, 2]),
    expiresAtMs: BigInt(clock.now + 3_600_000), ...overrides,
  });
  const publish = async (overrides: Partial<Invoice> = {}) => {
    const inv = invoice(overrides);
    const { totalAmount } = await call(merchantSession!, "publishInvoice", { invoice: inv });
    return { inv, totalAmount };
  };
  const pay = (invoiceId: Uint8Array, key = randomId(), providerToken = token()) =>
    call(payerSession, "payInvoice", { idempotencyKey: key, invoiceId, providerToken });
  return {
    core, store, clock, provider, queries, call, merchant, payer, merchantSession, payerSession, invoice, publish, pay,
    setMode: (m: MerchantMode) => void (mode = m),
  };
}

for (const b of BACKENDS) describe.skipIf(b.skip)(`payments (core, ${b.name})`, () => {
  beforeEach(() => void (backend = b.name));
  it("PAY-INVOICE-001 PAY-PRECHECKOUT-001 PAY-RECEIPT-001 happy path: query to the merchant, one charge, a provider-signed receipt", async () => {
    const t = await setup();
    const { inv, totalAmount } = await t.publish();
    expect(totalAmount).toBe(2250n);
    const { receipt } = await t.pay(inv.invoiceId);
    expect(t.queries).toHaveLength(1);
    const q = t.queries[0]!;
    expect(Buffer.from(q.payerAccountId).equals(Buffer.from(t.payer.accountId))).toBe(true);
    expect(q.totalAmount).toBe(2250n);
    expect(q.currency).toBe("EUR");
    expect(q.deadlineMs).toBe(BigInt(t.clock.now + 10_000));
    expect(verifyReceipt(receipt!, t.provider.publicKey)).toBe(true);
    expect(verifyReceipt(receipt!, exampleProvider().publicKey)).toBe(true);
    const body = PaymentReceiptBody.decode(receipt!.body);
    expect(Buffer.from(body.invoiceId).equals(Buffer.from(inv.invoiceId))).toBe(true);
    expect(Buffer.from(body.payerAccountId).equals(Buffer.from(t.payer.accountId))).toBe(true);
    expect(Buffer.from(body.merchantAccountId).equals(Buffer.from(t.merchant.accountId))).toBe(true);
    expect([body.currency, body.totalAmount, body.providerId]).toEqual(["EUR", 2250n, EXAMPLE_PAY_ID]);
    expect(body.providerChargeId).toMatch(/^ex_/);
    // A tampered body no longer verifies.
    const tampered = { ...receipt!, body: PaymentReceiptBody.encode({ ...body, totalAmount: 1n }).finish() };
    expect(verifyReceipt(tampered, t.provider.publicKey)).toBe(false);
    expect(t.provider.charges).toBe(1);
    // Paid: another payment of it is INVOICE_UNAVAILABLE and changes nothing.
    const snap = await t.store.snapshot();
    await rejects(t.pay(inv.invoiceId), ErrorCode.INVOICE_UNAVAILABLE);
    expect(await t.store.snapshot()).toEqual(snap);
    expect(t.provider.calls).toBe(1);
  });

  it("PAY-IDEMPOTENCY-001 a retry returns the identical receipt; concurrent retries charge once", async () => {
    const t = await setup();
    const { inv } = await t.publish();
    const key = randomId();
    const tok = token();
    const results = await Promise.all(Array.from({ length: 6 }, () => t.pay(inv.invoiceId, key, tok)));
    const first = PaymentReceipt.encode(results[0]!.receipt!).finish();
    for (const r of results) expect(Buffer.from(PaymentReceipt.encode(r.receipt!).finish()).equals(Buffer.from(first))).toBe(true);
    const again = await t.pay(inv.invoiceId, key, tok);
    expect(Buffer.from(PaymentReceipt.encode(again.receipt!).finish()).equals(Buffer.from(first))).toBe(true);
    expect(t.provider.calls).toBe(1);
    expect(t.provider.charges).toBe(1);
    expect(t.queries).toHaveLength(1);
  });

  it("PAY-IDEMPOTENCY-002 the same key with other parameters is IDEMPOTENCY_CONFLICT, also while the first is in flight", async () => {
    const t = await setup();
    const { inv } = await t.publish();
    const other = await t.publish();
    const key = randomId();
    const tok = token();
    const [a, b] = await Promise.allSettled([t.pay(inv.invoiceId, key, tok), t.pay(inv.invoiceId, key, token())]);
    expect(a.status).toBe("fulfilled");
    expect(b.status === "rejected" && (b.reason as CallError).code).toBe(ErrorCode.IDEMPOTENCY_CONFLICT);
    const snap = await t.store.snapshot();
    await rejects(t.pay(inv.invoiceId, key, token()), ErrorCode.IDEMPOTENCY_CONFLICT);
    await rejects(t.pay(other.inv.invoiceId, key, tok), ErrorCode.IDEMPOTENCY_CONFLICT);
    expect(await t.store.snapshot()).toEqual(snap);
    expect(t.provider.calls).toBe(1);
  });

  it("PAY-PRECHECKOUT-001 no answer before the deadline is PRECHECKOUT_TIMEOUT: nothing charged or stored, the key stays usable", async () => {
    const t = await setup({ precheckoutTimeoutMs: 150 });
    const { inv } = await t.publish();
    t.setMode("silent");
    const snap = await t.store.snapshot();
    const key = randomId();
    const tok = token();
    await rejects(t.pay(inv.invoiceId, key, tok), ErrorCode.PRECHECKOUT_TIMEOUT);
    expect(t.provider.calls).toBe(0);
    expect(await t.store.snapshot()).toEqual(snap);
    // A late answer finds no query.
    await rejects(t.call(t.merchantSession!, "answerPrecheckout", { queryId: t.queries[0]!.queryId, ok: true, errorMessage: "" }), ErrorCode.NOT_FOUND);
    t.setMode("ok");
    const { receipt } = await t.pay(inv.invoiceId, key, tok);
    expect(verifyReceipt(receipt!, t.provider.publicKey)).toBe(true);
    expect(t.provider.charges).toBe(1);
  });

  it("PAY-PRECHECKOUT-001 a declined query is PRECHECKOUT_DECLINED; a provider decline is PAYMENT_FAILED; neither charges or stores", async () => {
    const t = await setup();
    const { inv } = await t.publish();
    const snap = await t.store.snapshot();
    t.setMode("decline");
    const declined = await rejects(t.pay(inv.invoiceId), ErrorCode.PRECHECKOUT_DECLINED);
    expect(declined.error.message).toBe("out of stock");
    expect(t.provider.calls).toBe(0);
    t.setMode("ok");
    await rejects(t.pay(inv.invoiceId, randomId(), token("tok_decline_insufficient_funds")), ErrorCode.PAYMENT_FAILED);
    expect(t.provider.charges).toBe(0);
    expect(await t.store.snapshot()).toEqual(snap);
    // Still payable afterwards.
    await t.pay(inv.invoiceId);
    expect(t.provider.charges).toBe(1);
  });

  it("PAY-INVOICE-003 expired and unknown invoices are INVOICE_UNAVAILABLE without a query or charge", async () => {
    const t = await setup();
    const { inv } = await t.publish({ expiresAtMs: BigInt(t.clock.now + 1000) });
    t.clock.advance(1000);
    const snap = await t.store.snapshot();
    await rejects(t.pay(inv.invoiceId), ErrorCode.INVOICE_UNAVAILABLE);
    await rejects(t.pay(randomId()), ErrorCode.INVOICE_UNAVAILABLE);
    expect(await t.store.snapshot()).toEqual(snap);
    expect(t.queries).toHaveLength(0);
    expect(t.provider.calls).toBe(0);
  });

  it("PAY-INVOICE-001 PAY-INVOICE-002 invalid invoices are rejected before anything is stored; a republish replays", async () => {
    const t = await setup();
    const snap = await t.store.snapshot();
    const bad: Partial<Invoice>[] = [
      { currency: "eur" }, { currency: "EURO" }, { currency: "E1R" }, { prices: [] },
      { prices: Array.from({ length: 33 }, () => ({ label: "x", amount: 1n })) }, { prices: [{ label: "x".repeat(65), amount: 1n }] },
      { prices: [{ label: "free", amount: 0n }] }, { prices: [{ label: "a", amount: 2n ** 63n }, { label: "b", amount: 2n ** 63n }] },
      { title: "" }, { title: "t".repeat(65) }, { description: "d".repeat(1025) }, { payload: new Uint8Array(129) },
      { providerId: "no-such-pay" }, { expiresAtMs: BigInt(t.clock.now) }, { invoiceId: randomId(15) },
      { merchantAccountId: t.payer.accountId },
    ];
    for (const overrides of bad) {
      await rejects(t.call(t.merchantSession!, "publishInvoice", { invoice: t.invoice(overrides) }), ErrorCode.FRAME_FIELD_INVALID);
    }
    expect(await t.store.snapshot()).toEqual(snap);
    const { inv } = await t.publish();
    await t.call(t.merchantSession!, "publishInvoice", { invoice: inv });
    const after = await t.store.snapshot();
    await rejects(t.call(t.merchantSession!, "publishInvoice", { invoice: { ...inv, title: "Other" } }), ErrorCode.IDEMPOTENCY_CONFLICT);
    expect(await t.store.snapshot()).toEqual(after);
  });

  it("PAY-PRECHECKOUT-002 only the invoice's merchant can answer its query", async () => {
    const t = await setup({ precheckoutTimeoutMs: 300 });
    const { inv } = await t.publish();
    t.setMode("silent");
    const paying = t.pay(inv.invoiceId);
    await new Promise((r) => setTimeout(r, 50));
    const q = t.queries[0]!;
    await rejects(t.call(t.payerSession, "answerPrecheckout", { queryId: q.queryId, ok: true, errorMessage: "" }), ErrorCode.NOT_FOUND);
    await rejects(t.call(t.merchantSession!, "answerPrecheckout", { queryId: randomId(), ok: true, errorMessage: "" }), ErrorCode.NOT_FOUND);
    await t.call(t.merchantSession!, "answerPrecheckout", { queryId: q.queryId, ok: true, errorMessage: "" });
    await paying;
    expect(t.provider.charges).toBe(1);
  });

  it("PAY-PRIVACY-001 PAY-PRIVACY-002 the provider token is never stored; a card number is refused", async () => {
    const t = await setup();
    const { inv } = await t.publish();
    const secret = "tok_secret_9f8e7d6c5b4a";
    await t.pay(inv.invoiceId, randomId(), token(secret));
    const dump = JSON.stringify(await t.store.snapshot());
    expect(dump).not.toContain(Buffer.from(secret).toString("hex"));
    expect(dump).not.toContain(secret);
    const other = await t.publish();
    const snap = await t.store.snapshot();
    const pan = await rejects(t.pay(other.inv.invoiceId, randomId(), token("4111 1111 1111 1111")), ErrorCode.FRAME_FIELD_INVALID);
    expect(pan.rule).toBe("PAY-PRIVACY-002");
    expect(await t.store.snapshot()).toEqual(snap);
    expect(t.provider.calls).toBe(1);
  });

  it("WIRE-FRAME-004 payments are FRAME_UNKNOWN_BODY when no provider is configured", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-pay-off-"));
    const store = openSqliteStore({ dataDir: join(dir, "db") });
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const core = new ServerCore({ store, blobs: join(dir, "blobs"), paymentProviders: [] });
    const session = newSession();
    const account = new TestAccount();
    const run = (body: Body) => core.handle(session, { requestId: nextRequestId++, body } as ClientRequest);
    const ack = (await run({ $case: "hello", value: { versions: [1], clientName: "t" } })).response.result as Extract<Result, { $case: "hello" }>;
    await run({ $case: "registerAccount", value: { identityKey: account.identity.publicKey, deviceList: account.deviceList() } });
    await run({ $case: "authenticate", value: { accountId: account.accountId, deviceId: 1, signature: account.authSignature(ack.value.challenge, 1) } });
    const { response } = await run({ $case: "payInvoice", value: { idempotencyKey: randomId(), invoiceId: randomId(), providerToken: token() } });
    expect(response.result?.$case === "error" && response.result.value.code).toBe(ErrorCode.FRAME_UNKNOWN_BODY);
  });
});

describe("payments over WebSocket", () => {
  it("PAY-PRECHECKOUT-001 PAY-RECEIPT-001 PAY-PRIVACY-001 the merchant's device gets the query push and answers; the token is never logged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-pay-ws-"));
    const logLines: string[] = [];
    const provider = countingProvider();
    const server = await startServer({
      port: 0, dataDir: dir, paymentProviders: [provider], logRequests: true,
      logger: { log: (event, fields) => logLines.push(JSON.stringify({ event, ...fields })) },
    });
    cleanups.push(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const merchant = new TestAccount();
    const payer = new TestAccount();
    const m = await TestClient.connect(server.url);
    await m.login(merchant, 1, { register: true });
    const p = await TestClient.connect(server.url);
    await p.login(payer, 1, { register: true });
    const inv: Invoice = {
      invoiceId: randomId(), merchantAccountId: merchant.accountId, title: "Tea", description: "", currency: "USD",
      prices: [{ label: "tea", amount: 500n }], providerId: EXAMPLE_PAY_ID, payload: new Uint8Array(0), expiresAtMs: BigInt(Date.now() + 60_000),
    };
    expect((await m.call("publishInvoice", { invoice: inv })).totalAmount).toBe(500n);
    const secret = "tok_ws_secret_123456";
    const key = randomId();
    const paying = p.call("payInvoice", { idempotencyKey: key, invoiceId: inv.invoiceId, providerToken: token(secret) });
    const push = await m.nextPush((x) => x.$case === "precheckout");
    if (push.$case !== "precheckout") throw new Error("unreachable");
    expect(Buffer.from(push.value.query!.invoiceId).equals(Buffer.from(inv.invoiceId))).toBe(true);
    await m.call("answerPrecheckout", { queryId: push.value.query!.queryId, ok: true, errorMessage: "" });
    const { receipt } = await paying;
    expect(verifyReceipt(receipt!, provider.publicKey)).toBe(true);
    const again = await p.call("payInvoice", { idempotencyKey: key, invoiceId: inv.invoiceId, providerToken: token(secret) });
    expect(Buffer.from(PaymentReceipt.encode(again.receipt!).finish()).equals(Buffer.from(PaymentReceipt.encode(receipt!).finish()))).toBe(true);
    expect(provider.calls).toBe(1);
    const logs = logLines.join("\n");
    expect(logs).toContain("payInvoice");
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(Buffer.from(secret).toString("hex"));
    m.close();
    p.close();
  });
});
