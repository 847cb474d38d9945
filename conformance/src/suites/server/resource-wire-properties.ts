// WIRE-FIELD-001 against a server: every request field whose schema comment
// documents a byte length (the table in ../codec/field-constraints.ts),
// sent with another length inside an otherwise valid request, is rejected
// with FRAME_FIELD_INVALID (or the more specific code the spec documents
// for it) and changes nothing the caller observes.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { ConversationKind, errorCodeName } from "@kabar/protocol";
import type { Profile } from "../../rules/rule.js";
import { defineProperty } from "../../registry/property-registry.js";
import { KitAccount, randomBytesOf } from "../../wire-client/keys.js";
import { EXAMPLE_PAY } from "../../wire-client/payments.js";
import type { WireConnection } from "../../wire-client/wire-connection.js";
import type { WireWorld } from "../../wire-client/wire-world.js";
import { FIELD_CONSTRAINTS, type FieldConstraint } from "../codec/field-constraints.js";
import { expectRejected, expectUnchanged, idBytes, inWorld, observeAll } from "./support.js";

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());

/** What a request builder can use: two accounts sharing a conversation, and per profile an upload, a blob or an invoice. */
interface Scene {
  readonly world: WireWorld;
  readonly alice: KitAccount;
  readonly a: WireConnection;
  readonly bob: KitAccount;
  readonly conversationId: Uint8Array;
  uploadId?: Uint8Array;
  blobId?: Uint8Array;
  invoiceId?: Uint8Array;
}

type Outcome = Awaited<ReturnType<WireConnection["attempt"]>>;

/** Sends a valid request of the field's message with the field set to `v`. */
type Builder = (s: Scene, v: Uint8Array) => Promise<Outcome>;

const none = { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: [], lastResortKemPrekey: undefined };

const BUILDERS: Record<string, { profile: Profile; build: Builder }> = {
  "Authenticate.account_id": {
    profile: "core",
    build: async (s, v) => {
      const { connection, challenge } = await s.world.connectHello("field-auth");
      return connection.attempt("authenticate", { accountId: v, deviceId: 1, signature: s.alice.authSignature(challenge, 1) });
    },
  },
  "RegisterAccountRequest.identity_key": {
    profile: "core",
    build: async (s, v) => {
      const { connection } = await s.world.connectHello("field-register");
      const fresh = new KitAccount();
      return connection.attempt("registerAccount", { identityKey: v, deviceList: fresh.deviceList({ deviceIds: [1], version: 1n }) });
    },
  },
  "GetDeviceListRequest.account_id": { profile: "core", build: (s, v) => s.a.attempt("getDeviceList", { accountId: v }) },
  "SignedPreKey.public_key": { profile: "core", build: (s, v) => s.a.attempt("uploadPrekeys", { ...none, signedPrekey: s.alice.signedPreKey(1, 5, v) }) },
  "OneTimePreKey.public_key": { profile: "core", build: (s, v) => s.a.attempt("uploadPrekeys", { ...none, oneTimePrekeys: [{ id: 5, publicKey: v }] }) },
  "KemPreKey.public_key": { profile: "core", build: (s, v) => s.a.attempt("uploadPrekeys", { ...none, kemPrekeys: [s.alice.kemPreKey(1, 5, false, v)] }) },
  "CreateConversationRequest.conversation_id": { profile: "core", build: (s, v) => s.a.attempt("createConversation", { conversationId: v, kind: ConversationKind.GROUP, memberAccountIds: [s.bob.accountId] }) },
  "CreateConversationRequest.member_account_ids": { profile: "core", build: (s, v) => s.a.attempt("createConversation", { conversationId: randomBytesOf(16), kind: ConversationKind.GROUP, memberAccountIds: [s.bob.accountId, v] }) },
  "ChangeMembersRequest.conversation_id": { profile: "core", build: (s, v) => s.a.attempt("changeMembers", { conversationId: v, addAccountIds: [], removeAccountIds: [s.bob.accountId], clientRequestId: idBytes(1, 61) }) },
  "ChangeMembersRequest.add_account_ids": { profile: "core", build: (s, v) => s.a.attempt("changeMembers", { conversationId: s.conversationId, addAccountIds: [v], removeAccountIds: [], clientRequestId: idBytes(2, 61) }) },
  "ChangeMembersRequest.remove_account_ids": { profile: "core", build: (s, v) => s.a.attempt("changeMembers", { conversationId: s.conversationId, addAccountIds: [], removeAccountIds: [v], clientRequestId: idBytes(3, 61) }) },
  "ChangeMembersRequest.client_request_id": { profile: "core", build: (s, v) => s.a.attempt("changeMembers", { conversationId: s.conversationId, addAccountIds: [], removeAccountIds: [s.bob.accountId], clientRequestId: v }) },
  "GetConversationRequest.conversation_id": { profile: "core", build: (s, v) => s.a.attempt("getConversation", { conversationId: v }) },
  "SendMessageRequest.conversation_id": { profile: "core", build: (s, v) => s.a.attempt("sendMessage", { conversationId: v, clientMessageId: idBytes(4, 61), ciphertext: new Uint8Array([1]), epoch: 0n }) },
  "SendMessageRequest.client_message_id": { profile: "core", build: (s, v) => s.a.attempt("sendMessage", { conversationId: s.conversationId, clientMessageId: v, ciphertext: new Uint8Array([1]), epoch: 0n }) },
  "SendToDevicesRequest.client_message_id": { profile: "core", build: (s, v) => s.a.attempt("sendToDevices", { clientMessageId: v, accountId: s.bob.accountId, deviceListVersion: 0n, messages: [{ deviceId: 1, ciphertext: new Uint8Array([1]) }] }) },
  "SendToDevicesRequest.account_id": { profile: "core", build: (s, v) => s.a.attempt("sendToDevices", { clientMessageId: idBytes(5, 61), accountId: v, deviceListVersion: 0n, messages: [{ deviceId: 1, ciphertext: new Uint8Array([1]) }] }) },
  "CreateUploadRequest.digest": { profile: "files", build: (s, v) => s.a.attempt("createUpload", { size: 10n, digest: v, conversationId: new Uint8Array(0), clientRequestId: idBytes(6, 61) }) },
  "CreateUploadRequest.conversation_id": { profile: "files", build: (s, v) => s.a.attempt("createUpload", { size: 10n, digest: sha256(new Uint8Array(10)), conversationId: v, clientRequestId: idBytes(7, 61) }) },
  "CreateUploadRequest.client_request_id": { profile: "files", build: (s, v) => s.a.attempt("createUpload", { size: 10n, digest: sha256(new Uint8Array(10)), conversationId: new Uint8Array(0), clientRequestId: v }) },
  "UploadPartRequest.upload_id": { profile: "files", build: (s, v) => s.a.attempt("uploadPart", { uploadId: v, partIndex: 0, data: new Uint8Array(10) }) },
  "GetUploadRequest.upload_id": { profile: "files", build: (s, v) => s.a.attempt("getUpload", { uploadId: v }) },
  "CompleteUploadRequest.upload_id": { profile: "files", build: (s, v) => s.a.attempt("completeUpload", { uploadId: v }) },
  "DownloadRangeRequest.blob_id": { profile: "files", build: (s, v) => s.a.attempt("downloadRange", { blobId: v, offset: 0n, length: 1 }) },
  "Invoice.invoice_id": { profile: "payments", build: (s, v) => s.a.attempt("publishInvoice", { invoice: invoiceOf(s.alice.accountId, { invoiceId: v }) }) },
  "Invoice.merchant_account_id": { profile: "payments", build: (s, v) => s.a.attempt("publishInvoice", { invoice: invoiceOf(v, {}) }) },
  "PayInvoiceRequest.idempotency_key": { profile: "payments", build: (s, v) => s.a.attempt("payInvoice", { idempotencyKey: v, invoiceId: s.invoiceId!, providerToken: new TextEncoder().encode("tok_kit_field") }) },
  "PayInvoiceRequest.invoice_id": { profile: "payments", build: (s, v) => s.a.attempt("payInvoice", { idempotencyKey: idBytes(8, 61), invoiceId: v, providerToken: new TextEncoder().encode("tok_kit_field") }) },
};

function invoiceOf(merchantAccountId: Uint8Array, overrides: { invoiceId?: Uint8Array }) {
  return {
    invoiceId: overrides.invoiceId ?? randomBytesOf(16), merchantAccountId, title: "Kit order", description: "", currency: "EUR",
    prices: [{ label: "one", amount: 5n }], providerId: EXAMPLE_PAY, payload: new Uint8Array(0), expiresAtMs: BigInt(Date.now() + 3_600_000),
  };
}

/** A wrong length for `c`: any length from 0 to twice the documented one, except the documented one (and 0 when empty is allowed). */
function wrongLength(c: FieldConstraint): fc.Arbitrary<number> {
  return fc.integer({ min: c.emptyAllowed === true ? 1 : 0, max: Math.max(c.bytes * 2, 40) }).filter((n) => n !== c.bytes);
}

async function scene(world: WireWorld, profile: Profile): Promise<Scene> {
  const alice = await world.account();
  const bob = await world.account();
  const a = alice.connections[0]!;
  const { conversationId } = await world.conversation(a, [bob.account]);
  const s: Scene = { world, alice: alice.account, a, bob: bob.account, conversationId };
  if (profile === "payments") {
    const invoice = invoiceOf(bob.account.accountId, {});
    await bob.connections[0]!.call("publishInvoice", { invoice });
    s.invoiceId = invoice.invoiceId;
  }
  return s;
}

function fieldProperty(profile: Profile, numRuns: number): void {
  const entries = FIELD_CONSTRAINTS.filter((c) => BUILDERS[`${c.message}.${c.field}`]?.profile === profile);
  defineProperty({
    id: `server.wire.field-lengths${profile === "core" ? "" : `-${profile}`}`,
    rules: ["WIRE-FIELD-001"],
    mode: "server",
    profile,
    description: `Each request field (${profile} profile) whose schema comment documents a byte length, sent with another length in an otherwise valid request, is rejected with FRAME_FIELD_INVALID (or the more specific code the spec documents) and changes nothing the caller observes. Fields: ${entries.map((c) => `${c.message}.${c.field}`).join(", ")}.`,
    numRuns,
    run: ({ target, transcript }) =>
      fc.asyncProperty(fc.constantFrom(...entries).chain((c) => fc.tuple(fc.constant(c), wrongLength(c), fc.nat(255))), ([c, length, fill]) =>
        inWorld(target, transcript, async (world) => {
          const s = await scene(world, profile);
          const before = await observeAll([s.a]);
          const value = Uint8Array.from({ length }, (_, i) => (fill + i * 37) & 0xff);
          const outcome = await BUILDERS[`${c.message}.${c.field}`]!.build(s, value);
          expectRejected("WIRE-FIELD-001", outcome, c.code, `${c.message}.${c.field} of ${length} bytes (documented: ${c.bytes}${c.each === true ? " each" : ""}; expected ${errorCodeName(c.code)}${c.codeRule !== undefined ? ` by ${c.codeRule}` : ""})`);
          await expectUnchanged("WIRE-FIELD-001", [s.a], before, `${c.message}.${c.field} of ${length} bytes`);
        }),
      ),
  });
}

fieldProperty("core", 15);
fieldProperty("files", 6);
fieldProperty("payments", 5);
