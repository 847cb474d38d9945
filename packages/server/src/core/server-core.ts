import {
  CHALLENGE_BYTES, ErrorCode, SUPPORTED_VERSIONS, isKabarError, type ClientRequest, type Hello, type ProtocolError,
  type ServerResponse, type Authenticate,
} from "@kabar/protocol";
import { directoryBlobFiles, type BlobFiles } from "../blobs/blob-files.js";
import type { ServerStore } from "../store/server-store.js";
import type { CoreContext, PushEffect, Session } from "./context.js";
import { fail } from "./fail.js";
import * as files from "./file-handlers.js";
import * as identity from "./identity-handlers.js";
import { exampleProvider, type PaymentProvider } from "../payments/payment-provider.js";
import { PaymentsHub } from "./payment-handlers.js";
import { resolveLimits, type ServerLimits } from "./limits.js";
import { systemClock, systemRandom, type Clock, type Random } from "./ports.js";
import { KeyedLimiter } from "./rate-limiter.js";
import { CONTEXT, u32be, verifyEd25519 } from "./signatures.js";
import * as sync from "./sync-handlers.js";

/** Options of {@link ServerCore}. */
export interface ServerCoreOptions {
  /** Where accounts, logs, inboxes, prekeys and upload records live; every write is one durable transaction of this store. */
  readonly store: ServerStore;
  /** Where blob bytes go: a directory path (used through {@link directoryBlobFiles}) or a BlobFiles implementation. */
  readonly blobs: string | BlobFiles;
  /** Time source for challenge expiry, rate limits, upload expiry and server timestamps. Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Source of Hello challenges and upload ids; must be cryptographically secure outside tests. Default {@link systemRandom}. */
  readonly random?: Random;
  /** Limits overriding {@link DEFAULT_LIMITS}; unlisted ones keep their default. */
  readonly limits?: Partial<ServerLimits>;
  /** Called with every unexpected fault (anything not a KabarError); the client sees only INTERNAL. Default: ignored. */
  readonly onInternalError?: (error: unknown) => void;
  /** Payment providers invoices may name (profile "payments"). Default: only the test provider {@link exampleProvider} ("example-pay"); pass [] to turn payments off. */
  readonly paymentProviders?: readonly PaymentProvider[];
}

/** A handled request: the response, then what to push once it is sent. */
export interface HandleResult {
  /** The answer to send, carrying the request's id; a ProtocolError result when the request was rejected. */
  readonly response: ServerResponse;
  /** Deliveries caused by the committed write, to hand to connected devices after the response went out (SYNC-PUSH-002); empty for reads, rejections and idempotent replays. */
  readonly pushes: readonly PushEffect[];
}

type Result = NonNullable<ServerResponse["result"]>;

/**
 * The transport-independent request layer: one call per request, given the
 * connection's session. Rejections become ProtocolError responses carrying
 * the KabarError's code and rule; a rejected request never changed stored
 * state (WIRE-ERROR-001) because every write is one store transaction.
 */
export class ServerCore {
  private readonly ctx: CoreContext;
  private readonly onInternalError: (error: unknown) => void;
  private readonly payments: PaymentsHub | undefined;
  /** The providers invoices may name, with the public keys that verify their receipts (PAY-RECEIPT-001). */
  readonly paymentProviders: readonly PaymentProvider[];

  /**
   * Delivers pushes while a request is still in flight: the pre-checkout
   * query a payment waits on (PAY-PRECHECKOUT-001). The WebSocket server
   * sets it to its connection hub; by default such pushes go nowhere (and
   * the payment times out).
   */
  onLivePush: (effects: readonly PushEffect[]) => void = () => undefined;

  constructor(options: ServerCoreOptions) {
    const clock = options.clock ?? systemClock;
    const limits = resolveLimits(options.limits);
    this.ctx = {
      store: options.store,
      blobs: typeof options.blobs === "string" ? directoryBlobFiles(options.blobs) : options.blobs,
      clock,
      random: options.random ?? systemRandom,
      limits,
      claimLimiter: new KeyedLimiter(limits.claimsPerMinute / 60, limits.claimsPerMinute, clock),
      completing: new Map(),
    };
    this.onInternalError = options.onInternalError ?? (() => undefined);
    this.paymentProviders = options.paymentProviders ?? [exampleProvider()];
    this.payments = this.paymentProviders.length === 0
      ? undefined
      : new PaymentsHub(this.ctx, { providers: this.paymentProviders, livePush: (effects) => this.onLivePush(effects) });
  }

  /** The enforced limits: the defaults with the constructor's overrides applied. The transport reads its frame, rate and buffer bounds from here. */
  get limits(): ServerLimits {
    return this.ctx.limits;
  }

  /** The clock the core uses; the transport uses it for rate limiting and push timestamps so tests control all time at once. */
  get clock(): Clock {
    return this.ctx.clock;
  }

  /**
   * Deletes incomplete uploads whose expiry (created + `uploadTtlSeconds`)
   * has passed, with their stored parts. Returns how many were deleted.
   * The WebSocket server calls this periodically.
   */
  collectExpiredUploads(): Promise<number> {
    return files.collectExpiredUploads(this.ctx);
  }

  /** Handles one request on one session. Never throws. */
  async handle(session: Session, request: ClientRequest): Promise<HandleResult> {
    try {
      const { result, pushes } = await this.dispatch(session, request);
      return { response: { requestId: request.requestId, result }, pushes: pushes ?? [] };
    } catch (error) {
      return { response: { requestId: request.requestId, result: { $case: "error", value: this.toProtocolError(error) } }, pushes: [] };
    }
  }

  /** Maps any thrown value to the ProtocolError sent on the wire. */
  toProtocolError(error: unknown): ProtocolError {
    if (isKabarError(error)) {
      return {
        code: error.code,
        message: error.message.slice(0, 512),
        retryAfterMs: error.retryAfterMs ?? 0,
        rule: error.rule ?? "",
        recipientsMismatch: (error as { recipientsMismatch?: ProtocolError["recipientsMismatch"] }).recipientsMismatch,
      };
    }
    this.onInternalError(error);
    return { code: ErrorCode.INTERNAL, message: "internal error", retryAfterMs: 0, rule: "", recipientsMismatch: undefined };
  }

  private async dispatch(session: Session, request: ClientRequest): Promise<{ result: Result; pushes?: readonly PushEffect[] | undefined }> {
    const body = request.body;
    if (body === undefined) throw fail(ErrorCode.FRAME_UNKNOWN_BODY, "the request has no body", "WIRE-FRAME-004");
    if (body.$case === "hello") return { result: { $case: "hello", value: this.hello(session, body.value) } };
    // TRANSPORT-HELLO-003: nothing but Hello before the Hello exchange.
    if (session.version === undefined) throw fail(ErrorCode.HELLO_REQUIRED, "send Hello first", "TRANSPORT-HELLO-003");
    const ctx = this.ctx;
    switch (body.$case) {
      case "ping":
        return { result: { $case: "pong", value: { nonce: body.value.nonce } } };
      case "authenticate":
        return { result: { $case: "authenticate", value: await this.authenticate(session, body.value) } };
      case "registerAccount": {
        const handled = await identity.registerAccount(ctx, body.value);
        return { result: { $case: "registerAccount", value: handled.body } };
      }
      default:
        break;
    }
    const caller = session.device;
    if (caller === undefined) throw fail(ErrorCode.AUTH_REQUIRED, "authenticate first", "TRANSPORT-AUTH-003");
    switch (body.$case) {
      case "publishDeviceList": {
        const h = await identity.publishDeviceList(ctx, caller, body.value);
        return { result: { $case: "publishDeviceList", value: h.body }, pushes: h.pushes };
      }
      case "getDeviceList":
        return { result: { $case: "getDeviceList", value: (await identity.getDeviceList(ctx, body.value)).body } };
      case "uploadPrekeys":
        return { result: { $case: "uploadPrekeys", value: (await identity.uploadPreKeys(ctx, caller, body.value)).body } };
      case "claimPrekeys":
        return { result: { $case: "claimPrekeys", value: (await identity.claimPreKeys(ctx, caller, body.value)).body } };
      case "createConversation": {
        const h = await sync.createConversation(ctx, caller, body.value);
        return { result: { $case: "createConversation", value: h.body }, pushes: h.pushes };
      }
      case "changeMembers": {
        const h = await sync.changeMembers(ctx, caller, body.value);
        return { result: { $case: "changeMembers", value: h.body }, pushes: h.pushes };
      }
      case "getConversation":
        return { result: { $case: "getConversation", value: (await sync.getConversation(ctx, caller, body.value)).body } };
      case "sendMessage": {
        const h = await sync.sendMessage(ctx, caller, body.value);
        return { result: { $case: "sendMessage", value: h.body }, pushes: h.pushes };
      }
      case "sendToDevices": {
        const h = await sync.sendToDevices(ctx, caller, body.value);
        return { result: { $case: "sendToDevices", value: h.body }, pushes: h.pushes };
      }
      case "getState":
        return { result: { $case: "getState", value: (await sync.getState(ctx, caller)).body } };
      case "getDifference":
        return { result: { $case: "getDifference", value: (await sync.getDifference(ctx, caller, body.value)).body } };
      case "fetchInbox":
        return { result: { $case: "fetchInbox", value: (await sync.fetchInbox(ctx, caller, body.value)).body } };
      case "ackInbox":
        return { result: { $case: "ackInbox", value: (await sync.ackInbox(ctx, caller, body.value)).body } };
      case "createUpload":
        return { result: { $case: "createUpload", value: (await files.createUpload(ctx, caller, body.value)).body } };
      case "uploadPart":
        return { result: { $case: "uploadPart", value: (await files.uploadPart(ctx, caller, body.value)).body } };
      case "getUpload":
        return { result: { $case: "getUpload", value: (await files.getUpload(ctx, caller, body.value)).body } };
      case "completeUpload":
        return { result: { $case: "completeUpload", value: (await files.completeUpload(ctx, caller, body.value)).body } };
      case "downloadRange":
        return { result: { $case: "downloadRange", value: (await files.downloadRange(ctx, caller, body.value)).body } };
      case "publishInvoice":
        if (this.payments === undefined) break;
        return { result: { $case: "publishInvoice", value: (await this.payments.publishInvoice(caller, body.value)).body } };
      case "answerPrecheckout":
        if (this.payments === undefined) break;
        return { result: { $case: "answerPrecheckout", value: (await this.payments.answerPreCheckout(caller, body.value)).body } };
      case "payInvoice":
        if (this.payments === undefined) break;
        return { result: { $case: "payInvoice", value: (await this.payments.payInvoice(caller, body.value)).body } };
      default:
        break;
    }
    // Payments without a provider configured, and anything unknown.
    throw fail(ErrorCode.FRAME_UNKNOWN_BODY, `${body.$case} is not supported by this server`, "WIRE-FRAME-004");
  }

  /** TRANSPORT-HELLO-001/002: the highest common version, or VERSION_UNSUPPORTED. */
  private hello(session: Session, hello: Hello): ReturnType<typeof helloAck> {
    if (session.version !== undefined) throw fail(ErrorCode.FRAME_FIELD_INVALID, "Hello was already exchanged", "TRANSPORT-HELLO-001");
    if (hello.versions.length > 8) throw fail(ErrorCode.FRAME_FIELD_INVALID, "at most 8 versions", "WIRE-FIELD-001");
    if (Buffer.byteLength(hello.clientName, "utf8") > 64) throw fail(ErrorCode.FRAME_FIELD_INVALID, "client_name is at most 64 bytes", "WIRE-FIELD-001");
    const common = hello.versions.filter((v) => SUPPORTED_VERSIONS.includes(v));
    if (common.length === 0) {
      throw fail(ErrorCode.VERSION_UNSUPPORTED, `this server speaks versions ${SUPPORTED_VERSIONS.join(", ")}`, "TRANSPORT-HELLO-002");
    }
    session.version = Math.max(...common);
    // TRANSPORT-AUTH-001: a fresh random challenge per connection.
    session.challenge = this.ctx.random.bytes(CHALLENGE_BYTES);
    session.challengeIssuedMs = this.ctx.clock.nowMs();
    return helloAck(this.ctx, session.version, session.challenge);
  }

  /** TRANSPORT-AUTH-002: device signature over the challenge, device in the current list. */
  private async authenticate(session: Session, auth: Authenticate) {
    if (session.device !== undefined) throw fail(ErrorCode.FRAME_FIELD_INVALID, "already authenticated", "TRANSPORT-AUTH-002");
    const challenge = session.challenge;
    if (challenge === undefined || this.ctx.clock.nowMs() - session.challengeIssuedMs > this.ctx.limits.challengeTtlMs) {
      throw fail(ErrorCode.CHALLENGE_INVALID, "the challenge expired; reconnect", "TRANSPORT-AUTH-001");
    }
    const authFailed = () => fail(ErrorCode.AUTH_FAILED, "authentication failed", "TRANSPORT-AUTH-002");
    if (auth.accountId.length !== 32) throw authFailed();
    const devices = await this.ctx.store.listDevices(auth.accountId);
    const device = devices.find((d) => d.deviceId === auth.deviceId && d.current);
    // Unknown account, removed device and bad signature answer alike.
    if (device === undefined) throw authFailed();
    if (!verifyEd25519(device.signingKey, auth.signature, CONTEXT.auth, challenge, auth.accountId, u32be(auth.deviceId))) throw authFailed();
    const account = await this.ctx.store.getAccount(auth.accountId);
    session.device = { accountId: auth.accountId, deviceId: auth.deviceId };
    return { seq: account?.seq ?? 0n, inboxSeq: device.inboxSeq, inboxAckedSeq: device.ackedSeq };
  }
}

/** The advertised limits are the enforced ones (TRANSPORT-HELLO-004). */
function helloAck(ctx: CoreContext, version: number, challenge: Uint8Array) {
  const l = ctx.limits;
  return {
    version,
    challenge,
    serverTimeMs: BigInt(ctx.clock.nowMs()),
    limits: {
      maxFrameBytes: l.maxFrameBytes,
      maxInFlight: l.maxInFlight,
      requestsPerSecond: l.requestsPerSecond,
      maxMessageBytes: l.maxMessageBytes,
      maxDifferenceLimit: l.maxDifferenceLimit,
    },
    fileLimits: {
      partSize: l.partSize,
      maxParts: l.maxParts,
      maxFileBytes: BigInt(l.maxFileBytes),
      maxRangeBytes: l.maxRangeBytes,
      accountQuotaBytes: BigInt(l.accountQuotaBytes),
      uploadTtlSeconds: l.uploadTtlSeconds,
    },
  };
}
