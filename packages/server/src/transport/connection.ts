import {
  ErrorCode, KabarError, decodeFrame, encodeFrame, isKabarError, type ClientRequest, type ProtocolError, type ServerResponse,
} from "@kabar/protocol";
import type { WebSocket } from "ws";
import { newSession, type Session } from "../core/context.js";
import type { ServerCore } from "../core/server-core.js";
import { TokenBucket } from "../core/rate-limiter.js";
import { shortId, type Logger } from "../log.js";
import type { ConnectionHub } from "./connection-hub.js";
import { peekRequestId } from "./peek-request-id.js";

/** WebSocket close codes used by the server. */
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_GOING_AWAY = 1001;
/** A newer connection of the same device took over (TRANSPORT-CONN-003). */
export const CLOSE_DISPLACED = 4409;
/** The device was removed from its account's device list (SERVER-DEVICES-005). */
export const CLOSE_DEVICE_REMOVED = 4403;
/** The handshake did not finish in time (TRANSPORT-CONN-005). */
export const CLOSE_HANDSHAKE_TIMEOUT = 4408;

/** What a connection needs from its server. */
export interface ConnectionDeps {
  readonly core: ServerCore;
  readonly hub: ConnectionHub;
  readonly logger: Logger;
  /** Tracks in-flight work so shutdown can wait for it. */
  readonly track: (work: Promise<unknown>) => void;
  /** True once shutdown began: new requests get UNAVAILABLE. */
  readonly shuttingDown: () => boolean;
  /** Log one "request" event per answered request (debug level). */
  readonly logRequests: boolean;
}

let nextConnectionId = 1;

function errorBody(code: ErrorCode, message: string, rule: string, retryAfterMs = 0): ProtocolError {
  return { code, message, retryAfterMs, rule, recipientsMismatch: undefined };
}

/**
 * One WebSocket connection: strict framing, per-connection limits, request
 * correlation, and bounded live pushes.
 */
export class Connection {
  readonly id = nextConnectionId++;
  readonly session: Session = newSession();
  private readonly inFlight = new Set<bigint>();
  private readonly bucket: TokenBucket;
  private readonly handshakeTimer: NodeJS.Timeout;
  private droppingUpdates = false;
  private closed = false;
  private registered: { accountId: Uint8Array; deviceId: number } | undefined;

  constructor(private readonly socket: WebSocket, private readonly deps: ConnectionDeps) {
    const limits = deps.core.limits;
    this.bucket = new TokenBucket(limits.requestsPerSecond, limits.requestBurst, deps.core.clock);
    // TRANSPORT-CONN-005: a connection that never authenticates is closed,
    // so idle or slowloris sockets cannot pile up.
    this.handshakeTimer = setTimeout(() => {
      if (this.session.device === undefined) this.fatal(errorBody(ErrorCode.AUTH_REQUIRED, "handshake deadline passed", "TRANSPORT-CONN-005"), CLOSE_HANDSHAKE_TIMEOUT);
    }, limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    socket.on("message", (data, isBinary) => this.onMessage(data as Buffer | Buffer[] | ArrayBuffer, isBinary));
    socket.on("close", () => this.onClose());
    socket.on("error", () => undefined);
    deps.logger.log("connection.open", { connection: this.id });
  }

  private onMessage(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      // WIRE-FRAME-001: frames travel in binary messages only.
      this.fatal(errorBody(ErrorCode.FRAME_UNKNOWN_BODY, "text WebSocket messages are not frames", "WIRE-FRAME-001"), CLOSE_UNSUPPORTED_DATA);
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    let request: ClientRequest;
    try {
      const frame = decodeFrame(bytes, { maxFrameBytes: this.deps.core.limits.maxFrameBytes });
      if (frame.kind?.$case !== "request") throw new KabarError(ErrorCode.FRAME_UNKNOWN_BODY, "clients send requests only", { rule: "WIRE-FRAME-004" });
      request = frame.kind.value;
    } catch (error) {
      const body = isKabarError(error)
        ? errorBody(error.code, error.message, error.rule ?? "")
        : errorBody(ErrorCode.FRAME_TRUNCATED, "undecodable frame", "WIRE-DECODE-001");
      const requestId = peekRequestId(bytes);
      this.deps.logger.log("frame.rejected", { connection: this.id, code: ErrorCode[body.code], answered: requestId !== undefined });
      // TRANSPORT-CONN-002: answer the request when its id is readable; else the stream is unusable.
      if (requestId !== undefined) this.respond({ requestId, result: { $case: "error", value: body } });
      else this.fatal(body, CLOSE_PROTOCOL_ERROR);
      return;
    }
    this.onRequest(request);
  }

  private onRequest(request: ClientRequest): void {
    const limits = this.deps.core.limits;
    const reject = (body: ProtocolError): void => this.respond({ requestId: request.requestId, result: { $case: "error", value: body } });
    if (this.deps.shuttingDown()) return reject(errorBody(ErrorCode.UNAVAILABLE, "server shutting down", "TRANSPORT-CONN-006", 1000));
    if (this.inFlight.has(request.requestId)) return reject(errorBody(ErrorCode.REQUEST_ID_REUSED, "request id in flight", "WIRE-FRAME-003"));
    if (this.inFlight.size >= limits.maxInFlight) {
      return reject(errorBody(ErrorCode.TOO_MANY_IN_FLIGHT, `at most ${limits.maxInFlight} requests in flight`, "TRANSPORT-CONN-001"));
    }
    const wait = this.bucket.take();
    if (wait > 0) return reject(errorBody(ErrorCode.RATE_LIMITED, "request rate exceeded", "TRANSPORT-CONN-001", wait));
    this.inFlight.add(request.requestId);
    const started = this.deps.logRequests ? performance.now() : 0;
    const work = this.deps.core.handle(this.session, request).then(({ response, pushes }) => {
      this.inFlight.delete(request.requestId);
      const result = response.result;
      // Per-request lines are debug level: off unless logRequests is set.
      // Failures other than the caller's own mistakes are logged by the core.
      if (this.deps.logRequests) {
        this.deps.logger.log("request", {
          connection: this.id,
          op: request.body?.$case,
          ok: result?.$case !== "error",
          code: result?.$case === "error" ? ErrorCode[result.value.code] : undefined,
          ms: Math.round((performance.now() - started) * 100) / 100,
        });
      }
      // SYNC-PUSH-002: the response goes out before the pushes it caused.
      this.respond(response);
      if (this.session.device !== undefined && this.registered === undefined && !this.closed) {
        clearTimeout(this.handshakeTimer);
        this.registered = this.session.device;
        this.deps.logger.log("connection.authenticated", { connection: this.id, account: shortId(this.registered.accountId), device: this.registered.deviceId });
        this.deps.hub.register(this, this.registered.accountId, this.registered.deviceId);
      }
      this.deps.hub.deliver(pushes);
    });
    this.deps.track(work);
  }

  private corked = false;

  private send(bytes: Uint8Array): void {
    if (this.closed) return;
    // A group commit answers many requests at once; corking the TCP socket
    // until the current microtask cascade ends turns their frames into one
    // write syscall. process.nextTick (not setImmediate): the frames must
    // leave before the store starts its next batch, whose COMMIT may block
    // the event loop on fsync.
    const tcp = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (tcp !== undefined && !this.corked) {
      this.corked = true;
      tcp.cork();
      process.nextTick(() => {
        this.corked = false;
        tcp.uncork();
      });
    }
    this.socket.send(bytes, { binary: true });
  }

  private respond(response: ServerResponse): void {
    this.send(encodeFrame({ kind: { $case: "response", value: response } }));
  }

  /**
   * A live update. When the socket's send buffer is over its bound the
   * update is dropped and the client told once with UpdatesTooLong; it
   * fetches what it missed with GetDifference (TRANSPORT-CONN-004).
   */
  pushUpdate(frame: Uint8Array, seq: bigint): void {
    if (this.closed) return;
    const limit = this.deps.core.limits.maxBufferedBytes;
    if (this.socket.bufferedAmount > limit) {
      if (!this.droppingUpdates) {
        this.droppingUpdates = true;
        this.deps.logger.log("push.dropped", { connection: this.id, buffered: this.socket.bufferedAmount });
        this.send(encodeFrame({ kind: { $case: "push", value: { body: { $case: "tooLong", value: { seq } } } } }));
      }
      return;
    }
    if (this.droppingUpdates && this.socket.bufferedAmount > limit / 2) return;
    this.droppingUpdates = false;
    this.send(frame);
  }

  /** Inbox and device-list pushes: dropped the same way (the client refetches on reconnect or UpdatesTooLong). */
  pushOther(frame: Uint8Array): void {
    if (this.closed || this.socket.bufferedAmount > this.deps.core.limits.maxBufferedBytes) return;
    this.send(frame);
  }

  /** Called by the hub when a newer connection authenticated as this device. */
  displace(): void {
    if (this.closed) return;
    this.registered = undefined;
    this.deps.logger.log("connection.displaced", { connection: this.id });
    this.send(encodeFrame({ kind: { $case: "push", value: { body: { $case: "displaced", value: { serverTimeMs: BigInt(this.deps.core.clock.nowMs()) } } } } }));
    this.close(CLOSE_DISPLACED, "displaced");
  }

  /** The device was removed from its account's list: its session ends (SERVER-DEVICES-005). */
  revoke(): void {
    this.fatal(errorBody(ErrorCode.AUTH_FAILED, "the device was removed from the account's device list", "SERVER-DEVICES-005"), CLOSE_DEVICE_REMOVED);
  }

  /** Sends a fatal error push, then closes. */
  fatal(error: ProtocolError, code: number): void {
    if (this.closed) return;
    this.send(encodeFrame({ kind: { $case: "push", value: { body: { $case: "error", value: error } } } }));
    this.close(code, ErrorCode[error.code] ?? "error");
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close(code, reason);
    this.cleanup();
  }

  private onClose(): void {
    this.closed = true;
    this.cleanup();
  }

  private cleaned = false;
  private cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    clearTimeout(this.handshakeTimer);
    if (this.registered !== undefined) this.deps.hub.unregister(this, this.registered.accountId, this.registered.deviceId);
    this.deps.logger.log("connection.close", { connection: this.id });
  }
}
