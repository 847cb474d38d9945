// One authenticated protocol connection: Hello, challenge-response
// authentication, request/response correlation by request id with a
// per-request timeout, and dispatch of server pushes.
import {
  ClientRequest, ConnectionLimits, decodeFrame, encodeFrame, ErrorCode, FileLimits, KabarError, MAX_FRAME_BYTES,
  SUPPORTED_VERSIONS, type AuthenticateResponse, type HelloAck, type ServerPush, type ServerResponse,
} from "@kabar/protocol";
import type { CryptoProvider, KeyPair } from "@kabar/crypto";
import { fail, fromProtocolError } from "../util/errors.js";
import { systemClock, type Clock, type TimerHandle } from "../util/ports.js";
import { signChallenge } from "./auth.js";
import type { Socket, SocketFactory } from "./socket.js";

/** Any request body. */
export type RequestBody = NonNullable<ClientRequest["body"]>;
/** The case name of a request body. */
export type RequestCase = RequestBody["$case"];
/** Any response result, errors included. */
export type ResultUnion = NonNullable<ServerResponse["result"]>;
/** The response case that answers a request case (a Ping is answered by a Pong). */
export type ResponseCaseOf<C extends RequestCase> = C extends "ping" ? "pong" : C;
/** Every result value by response case. */
export type ResultsByCase = { [R in ResultUnion as R["$case"]]: R["value"] };
/** Every request value by request case. */
export type RequestsByCase = { [B in RequestBody as B["$case"]]: B["value"] };
/** The typed result of a request case. */
export type ResultOf<C extends RequestCase> = ResultsByCase[ResponseCaseOf<C> & keyof ResultsByCase];
/** The typed value of a request case. */
export type ValueOf<C extends RequestCase> = RequestsByCase[C];

/** What authenticating needs: which device, and its signing key. */
export interface DeviceCredentials {
  /** The account id (32 bytes). */
  readonly accountId: Uint8Array;
  /** The device id. */
  readonly deviceId: number;
  /** The device's Ed25519 signing key pair. */
  readonly signing: KeyPair;
}

/** Options of {@link Connection.open}. */
export interface ConnectionOptions {
  /** Opens sockets; the default dials a real WebSocket. */
  readonly socketFactory: SocketFactory;
  /** Time source for request timeouts. */
  readonly clock?: Clock;
  /** Per-request timeout, milliseconds (default 15 s). */
  readonly requestTimeoutMs?: number;
  /** Reported to the server's logs. */
  readonly clientName?: string;
}

interface Pending {
  readonly resolve: (result: ResultUnion) => void;
  readonly reject: (error: Error) => void;
  readonly timer: TimerHandle;
}

/** A connection after Hello; call {@link Connection.authenticate} before account requests. */
export class Connection {
  private nextId = 1n;
  private readonly pending = new Map<bigint, Pending>();
  private readonly pushHandlers: ((push: ServerPush) => void)[] = [];
  private readonly closeHandlers: ((error: KabarError) => void)[] = [];
  private closedWith: KabarError | undefined;
  private helloAck: HelloAck | undefined;

  private constructor(private readonly socket: Socket, private readonly clock: Clock, private readonly timeoutMs: number) {
    socket.onMessage((bytes) => this.receive(bytes));
    socket.onClose((error) => this.shutdown(new KabarError(ErrorCode.UNAVAILABLE, "connection closed", error ? { cause: error } : {})));
  }

  /** Opens a socket and exchanges Hello (TRANSPORT-HELLO-001). */
  static async open(url: string, options: ConnectionOptions): Promise<Connection> {
    const socket = await options.socketFactory(url);
    const connection = new Connection(socket, options.clock ?? systemClock, options.requestTimeoutMs ?? 15_000);
    try {
      const ack = await connection.request("hello", { versions: [...SUPPORTED_VERSIONS], clientName: options.clientName ?? "kabar-client-ts" });
      if (!SUPPORTED_VERSIONS.includes(ack.version)) fail(ErrorCode.VERSION_UNSUPPORTED, "server chose a version this client does not speak", "TRANSPORT-HELLO-001");
      connection.helloAck = ack;
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** The server's connection limits, from HelloAck. */
  get limits(): ConnectionLimits | undefined {
    return this.helloAck?.limits;
  }

  /** The server's file limits, from HelloAck. */
  get fileLimits(): FileLimits | undefined {
    return this.helloAck?.fileLimits;
  }

  /** True once the socket closed. */
  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Authenticates as a device by signing the Hello challenge (TRANSPORT-AUTH-002). */
  async authenticate(provider: CryptoProvider, device: DeviceCredentials): Promise<AuthenticateResponse> {
    const challenge = this.helloAck?.challenge;
    if (challenge === undefined) return fail(ErrorCode.HELLO_REQUIRED, "authenticate before hello");
    const signature = signChallenge(provider, device.signing, challenge, device.accountId, device.deviceId);
    return this.request("authenticate", { accountId: device.accountId, deviceId: device.deviceId, signature });
  }

  /** Sends a request and resolves with its typed result; rejects with a KabarError on error, timeout or close. */
  request<C extends RequestCase>(kind: C, value: ValueOf<C>, timeoutMs = this.timeoutMs): Promise<ResultOf<C>> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const requestId = this.nextId++;
    const frame = encodeFrame(
      { kind: { $case: "request", value: { requestId, body: { $case: kind, value } as RequestBody } } },
      { maxFrameBytes: this.limits?.maxFrameBytes || MAX_FRAME_BYTES },
    );
    return new Promise<unknown>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(requestId);
        reject(new KabarError(ErrorCode.UNAVAILABLE, "request timed out"));
      }, timeoutMs);
      const expected = kind === "ping" ? "pong" : kind;
      this.pending.set(requestId, {
        timer,
        reject,
        resolve: (result) => {
          if (result.$case === "error") return reject(fromProtocolError(result.value));
          if (result.$case !== expected) return reject(new KabarError(ErrorCode.FRAME_FIELD_INVALID, "response does not match the request"));
          resolve(result.value);
        },
      });
      try {
        this.socket.send(frame);
      } catch (error) {
        this.pending.delete(requestId);
        timer.cancel();
        reject(new KabarError(ErrorCode.UNAVAILABLE, "send failed", { cause: error }));
        // A socket that cannot send is gone, whether or not its close event has fired yet.
        this.close();
      }
    }) as Promise<ResultOf<C>>;
  }

  /** Registers a push handler. */
  onPush(handler: (push: ServerPush) => void): void {
    this.pushHandlers.push(handler);
  }

  /** Registers a handler that runs once when the connection closes. */
  onClose(handler: (error: KabarError) => void): void {
    if (this.closedWith !== undefined) handler(this.closedWith);
    else this.closeHandlers.push(handler);
  }

  /** Closes the connection; pending requests reject with UNAVAILABLE. */
  close(): void {
    this.socket.close();
    this.shutdown(new KabarError(ErrorCode.UNAVAILABLE, "connection closed by the client"));
  }

  private receive(bytes: Uint8Array): void {
    let frame;
    try {
      frame = decodeFrame(bytes);
    } catch {
      // An undecodable frame means the peer and we disagree on the wire; the
      // only safe move is to drop the connection and resync on reconnect.
      this.close();
      return;
    }
    const kind = frame.kind;
    if (kind?.$case === "response") {
      const entry = this.pending.get(kind.value.requestId);
      if (entry === undefined || kind.value.result === undefined) return;
      this.pending.delete(kind.value.requestId);
      entry.timer.cancel();
      entry.resolve(kind.value.result);
    } else if (kind?.$case === "push") {
      for (const handler of this.pushHandlers) handler(kind.value);
    }
  }

  private shutdown(error: KabarError): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = error;
    for (const [, entry] of this.pending) {
      entry.timer.cancel();
      entry.reject(error);
    }
    this.pending.clear();
    for (const handler of this.closeHandlers) handler(error);
  }
}
