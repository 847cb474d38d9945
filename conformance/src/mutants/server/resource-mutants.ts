// Server mutants of authorization, the identity directory (device lists,
// prekeys), files and the wire error rules: the reference server with one
// behaviour broken, through its storage port (mutant-server.ts) or, when
// the broken check sits before the store, through its request layer
// (resource-mutant-server.ts).
import {
  DeviceCertificate, DeviceCertificateBody, DeviceListBody, ErrorCode, Invoice, SignedDeviceList, decodeMessage, isKabarError,
  type ClientRequest, type ProtocolError,
} from "@kabar/protocol";
import type { DeviceKeys, HandleResult, ServerStore, Session } from "@kabar/server";
import { randomBytes } from "node:crypto";
import { defineMutant } from "../../registry/mutant-registry.js";
import { startMutantServer, type StoreWrapper } from "./mutant-server.js";
import { bodyOf, errorCodeOf, startCoreMutantServer, type CoreMutantOptions } from "./resource-mutant-server.js";

type Args<K extends keyof ServerStore> = ServerStore[K] extends (...args: infer A) => unknown ? A : never;
type Out<K extends keyof ServerStore> = ServerStore[K] extends (...args: never[]) => infer R ? R : never;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

function storeMutant(id: string, breaks: string[], description: string, wrapper: StoreWrapper): void {
  defineMutant({ id, breaks, target: "server", description, create: () => startMutantServer(id, wrapper) });
}

function coreMutant(id: string, breaks: string[], description: string, options: CoreMutantOptions): void {
  defineMutant({ id, breaks, target: "server", description, create: () => startCoreMutantServer(id, options) });
}

function answer(request: ClientRequest, result: NonNullable<HandleResult["response"]["result"]>): HandleResult {
  return { response: { requestId: request.requestId, result }, pushes: [] };
}

function errorResult(request: ClientRequest, error: ProtocolError): HandleResult {
  return answer(request, { $case: "error", value: error });
}

function caught(error: unknown): ProtocolError {
  if (isKabarError(error)) return { code: error.code, message: error.message, retryAfterMs: error.retryAfterMs ?? 0, rule: error.rule ?? "", recipientsMismatch: undefined };
  throw error;
}

// ---------------------------------------------------------------- directory

coreMutant("server.directory-forged-list-accepted", ["SERVER-DEVICES-001"],
  "Stores a published device list whose list or certificate signature does not verify instead of rejecting it (SIGNATURE_INVALID / CERTIFICATE_INVALID): the signatures are not checked.",
  {
    wrap: ({ handle, store, core }) => async (session: Session, request: ClientRequest) => {
      const result = await handle(session, request);
      const publish = bodyOf(request, "publishDeviceList");
      const code = errorCodeOf(result);
      if (publish?.deviceList === undefined || session.device === undefined || (code !== ErrorCode.SIGNATURE_INVALID && code !== ErrorCode.CERTIFICATE_INVALID)) return result;
      try {
        const list: SignedDeviceList = publish.deviceList;
        const body = decodeMessage(DeviceListBody, list.body);
        const devices: DeviceKeys[] = body.devices.map((certificate) => {
          const c = decodeMessage(DeviceCertificateBody, certificate.body);
          return { deviceId: c.deviceId, signingKey: c.deviceSigningKey, identityKey: c.deviceIdentityKey, certificate: DeviceCertificate.encode(certificate).finish() };
        });
        const committed = await store.publishDeviceList({ accountId: session.device.accountId, deviceList: { body: list.body, signature: list.signature, version: body.version }, devices, nowMs: core.clock.nowMs() });
        const { removedDeviceIds: _removed, ...value } = committed.response;
        return answer(request, { $case: "publishDeviceList", value });
      } catch (error) {
        return errorResult(request, caught(error));
      }
    },
  });

coreMutant("server.directory-prekey-signature-unchecked", ["SERVER-PREKEY-002"],
  "Stores uploaded prekeys whose signature by the device signing key does not verify instead of rejecting the upload with SIGNATURE_INVALID.",
  {
    wrap: ({ handle, store, core }) => async (session: Session, request: ClientRequest) => {
      const result = await handle(session, request);
      const upload = bodyOf(request, "uploadPrekeys");
      if (upload === undefined || session.device === undefined || errorCodeOf(result) !== ErrorCode.SIGNATURE_INVALID) return result;
      try {
        const counts = await store.uploadPreKeys({
          accountId: session.device.accountId, deviceId: session.device.deviceId, signedPreKey: upload.signedPrekey, kemPreKeys: upload.kemPrekeys,
          oneTimePreKeys: upload.oneTimePrekeys, lastResortKemPreKey: upload.lastResortKemPrekey, maxStored: core.limits.maxStoredPreKeys,
        });
        return answer(request, { $case: "uploadPrekeys", value: { oneTimePrekeys: counts.oneTimePreKeys, kemPrekeys: counts.kemPreKeys } });
      } catch (error) {
        return errorResult(request, caught(error));
      }
    },
  });

storeMutant("server.directory-removed-device-stays-connected", ["SERVER-DEVICES-005"],
  "Drops a device from the stored list but does not report it as removed, so its open connections are never ended (no AUTH_FAILED push, no close 4403).",
  (store) => ({
    publishDeviceList: (async (input: Args<"publishDeviceList">[0]): Out<"publishDeviceList"> => {
      const committed = await store.publishDeviceList(input);
      return { ...committed, response: { ...committed.response, removedDeviceIds: [] } };
    }) as never,
  }));

storeMutant("server.directory-prekey-limit-ignored", ["SERVER-PREKEY-004"],
  "Stores uploads beyond MAX_STORED_PREKEYS one-time prekeys per device (the stored maximum is multiplied by 100) instead of rejecting them with PREKEY_LIMIT.",
  (store) => ({
    uploadPreKeys: ((input: Args<"uploadPreKeys">[0]) => store.uploadPreKeys({ ...input, maxStored: input.maxStored * 100 })) as never,
  }));

coreMutant("server.directory-claims-unlimited", ["SERVER-PREKEY-005"],
  "Does not rate-limit prekey claims (a limit of a million bundles a minute), so one account can drain another's one-time prekeys.",
  { limits: { claimsPerMinute: 1_000_000 } });

coreMutant("server.directory-content-decoded", ["SERVER-NOPLAIN-001"],
  "Parses every SendMessage and SendToDevices ciphertext as a protobuf message and rejects one that does not decode with FRAME_FIELD_INVALID: the server inspects end-to-end content.",
  {
    wrap: ({ handle }) => async (session: Session, request: ClientRequest) => {
      const send = bodyOf(request, "sendMessage");
      const direct = bodyOf(request, "sendToDevices");
      const ciphertexts = send !== undefined ? [send.ciphertext] : direct !== undefined ? direct.messages.map((m) => m.ciphertext) : [];
      for (const ciphertext of ciphertexts) {
        try {
          decodeMessage(DeviceListBody, ciphertext);
        } catch {
          return errorResult(request, { code: ErrorCode.FRAME_FIELD_INVALID, message: "the content does not parse", retryAfterMs: 0, rule: "", recipientsMismatch: undefined });
        }
      }
      return handle(session, request);
    },
  });

// ---------------------------------------------------------------- authorization

coreMutant("server.authz-membership-readable-by-outsider", ["AUTHZ-ACCESS-004"],
  "Answers GetConversation for any authenticated account, also one that is not a member: the membership is read as its creator sees it.",
  {
    wrap: ({ handle, store }) => {
      const creators = new Map<string, Uint8Array>();
      return async (session: Session, request: ClientRequest) => {
        const result = await handle(session, request);
        const create = bodyOf(request, "createConversation");
        if (create !== undefined && session.device !== undefined && errorCodeOf(result) === undefined) creators.set(hex(create.conversationId), session.device.accountId);
        const get = bodyOf(request, "getConversation");
        const creator = get === undefined ? undefined : creators.get(hex(get.conversationId));
        if (get === undefined || creator === undefined || errorCodeOf(result) !== ErrorCode.NOT_FOUND) return result;
        return answer(request, { $case: "getConversation", value: { conversation: await store.getConversation(get.conversationId, creator) } });
      };
    },
  });

storeMutant("server.authz-inbox-of-first-device", ["AUTHZ-ACCESS-002"],
  "FetchInbox reads the inbox of the account's device 1 whichever device of the account asks, so a device reads another device's inbox.",
  (store) => ({
    readInbox: ((...[accountId, _deviceId, afterSeq, limit, maxBytes]: Args<"readInbox">) => store.readInbox(accountId, 1, afterSeq, limit, maxBytes)) as never,
  }));

// ---------------------------------------------------------------- files

storeMutant("server.files-create-not-idempotent", ["FILES-UPLOAD-001"],
  "Opens a new upload for every CreateUpload, also when the client_request_id repeats, instead of returning the first upload.",
  (store) => ({
    createUpload: ((input: Args<"createUpload">[0]) => store.createUpload({ ...input, clientRequestId: new Uint8Array(randomBytes(16)) })) as never,
  }));

storeMutant("server.files-quota-ignored", ["FILES-UPLOAD-003"],
  "Checks uploads against a quota a thousand times the advertised account_quota_bytes, so an account stores more than its quota.",
  (store) => ({
    createUpload: ((input: Args<"createUpload">[0]) => store.createUpload({ ...input, quotaBytes: input.quotaBytes * 1000n })) as never,
  }));

coreMutant("server.files-part-conflict-accepted", ["FILES-UPLOAD-002"],
  "Answers a part repeated with other bytes as a success (keeping the first bytes) instead of PART_CONFLICT.",
  {
    wrap: ({ handle, store }) => async (session: Session, request: ClientRequest) => {
      const result = await handle(session, request);
      const part = bodyOf(request, "uploadPart");
      if (part === undefined || session.device === undefined || errorCodeOf(result) !== ErrorCode.PART_CONFLICT) return result;
      const upload = await store.getUpload(part.uploadId, session.device.accountId);
      const missing = upload === undefined ? 0 : Array.from({ length: upload.session.partCount }, (_, i) => i).filter((i) => !upload.parts.has(i)).length;
      return answer(request, { $case: "uploadPart", value: { missingCount: missing } });
    },
  });

// ---------------------------------------------------------------- payments

coreMutant("server.pay-invalid-invoice-stored", ["PAY-INVOICE-001"],
  "Stores an invoice that breaks a PublishInvoice bound (currency, prices, title, payload, provider, expiry, merchant or id) and answers its total instead of rejecting it with FRAME_FIELD_INVALID.",
  {
    wrap: ({ handle, store }) => async (session: Session, request: ClientRequest) => {
      const result = await handle(session, request);
      const publish = bodyOf(request, "publishInvoice");
      if (publish?.invoice === undefined || session.device === undefined || errorCodeOf(result) !== ErrorCode.FRAME_FIELD_INVALID) return result;
      const invoice = publish.invoice;
      const total = invoice.prices.reduce((a, p) => a + p.amount, 0n);
      try {
        await store.publishInvoice({
          invoiceId: invoice.invoiceId, merchant: session.device.accountId, invoice: Invoice.encode(invoice).finish(), totalAmount: total,
          currency: invoice.currency, providerId: invoice.providerId, expiresAtMs: invoice.expiresAtMs,
        });
      } catch (error) {
        return errorResult(request, caught(error));
      }
      return answer(request, { $case: "publishInvoice", value: { totalAmount: total } });
    },
  });

// ---------------------------------------------------------------- wire errors

coreMutant("server.wire-error-after-write", ["WIRE-ERROR-001"],
  "Stores the first max_message_bytes of an oversized SendMessage ciphertext and then answers MESSAGE_TOO_LARGE: the rejected request changed stored state.",
  {
    wrap: ({ handle, core }) => async (session: Session, request: ClientRequest) => {
      const result = await handle(session, request);
      const send = bodyOf(request, "sendMessage");
      if (send === undefined || errorCodeOf(result) !== ErrorCode.MESSAGE_TOO_LARGE) return result;
      await handle(session, { ...request, body: { $case: "sendMessage", value: { ...send, ciphertext: send.ciphertext.subarray(0, core.limits.maxMessageBytes) } } });
      return result;
    },
  });

coreMutant("server.wire-error-echoes-input", ["WIRE-ERROR-002"],
  "Appends the offending bytes (keys, signatures, ciphertexts of the request, in hex) to the message of every error it answers, for debugging.",
  {
    wrap: ({ handle }) => async (session: Session, request: ClientRequest) => {
      const result = await handle(session, request);
      const error = result.response.result?.$case === "error" ? result.response.result.value : undefined;
      if (error === undefined || request.body === undefined) return result;
      const bytes: Uint8Array[] = [];
      const collect = (value: unknown, depth: number): void => {
        if (depth > 6 || value === null || typeof value !== "object") return;
        if (value instanceof Uint8Array) {
          if (value.length >= 16) bytes.push(value);
          return;
        }
        for (const v of Object.values(value as Record<string, unknown>)) collect(v, depth + 1);
      };
      collect(request.body.value, 0);
      const detail = bytes.map((b) => hex(b.subarray(0, 48))).join(" ");
      return { ...result, response: { ...result.response, result: { $case: "error", value: { ...error, message: `${error.message} [${detail}]`.slice(0, 2_000) } } } };
    },
  });

coreMutant("server.files-upload-outlives-ttl", ["FILES-UPLOAD-006"],
  "Advertises upload_ttl_seconds 3 in HelloAck but keeps incomplete uploads for an hour: an upload not completed in time is still served and still counts against the quota.",
  {
    limits: { uploadTtlSeconds: 3_600 },
    wrap: ({ handle }) => async (session: Session, request: ClientRequest) => {
      const result = await handle(session, request);
      const ack = result.response.result?.$case === "hello" ? result.response.result.value : undefined;
      if (ack?.fileLimits === undefined) return result;
      return answer(request, { $case: "hello", value: { ...ack, fileLimits: { ...ack.fileLimits, uploadTtlSeconds: 3 } } });
    },
  });

coreMutant("server.pay-token-in-error", ["PAY-PRIVACY-001"],
  "Names the provider_token in the message of a failed PayInvoice (\"payment with token … failed\"), handing the card token back and into any log of responses.",
  {
    wrap: ({ handle }) => async (session: Session, request: ClientRequest) => {
      const result = await handle(session, request);
      const pay = bodyOf(request, "payInvoice");
      const error = result.response.result?.$case === "error" ? result.response.result.value : undefined;
      if (pay === undefined || error === undefined) return result;
      const message = `${error.message} (token ${new TextDecoder().decode(pay.providerToken)})`;
      return errorResult(request, { ...error, message });
    },
  });

coreMutant("server.wire-ids-normalised", ["WIRE-FIELD-001"],
  "Does not check the length of 16-byte ids (conversation, message, request, upload, blob, idempotency ids): an id of another length is cut or zero-padded to 16 bytes and used.",
  {
    wrap: ({ handle }) => {
      const ID_FIELDS = new Set(["conversationId", "clientMessageId", "clientRequestId", "uploadId", "blobId", "idempotencyKey", "invoiceId"]);
      const to16 = (v: Uint8Array): Uint8Array => {
        const out = new Uint8Array(16);
        out.set(v.subarray(0, 16));
        return out;
      };
      const normalise = (value: Record<string, unknown>): Record<string, unknown> =>
        Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ID_FIELDS.has(k) && v instanceof Uint8Array && v.length > 0 && v.length !== 16 ? to16(v) : v]));
      return (session: Session, request: ClientRequest) => {
        const body = request.body;
        if (body === undefined || body.$case === "hello" || body.$case === "authenticate") return handle(session, request);
        const value = normalise(body.value as unknown as Record<string, unknown>);
        const invoice = value.invoice;
        if (invoice !== undefined && invoice !== null && typeof invoice === "object") value.invoice = normalise(invoice as Record<string, unknown>);
        return handle(session, { ...request, body: { ...body, value } as unknown as NonNullable<ClientRequest["body"]> });
      };
    },
  });
