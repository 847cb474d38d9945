// One WebSocket connection of a simulated device: frames, request-id
// correlation, pushes, close codes, and a wire transcript for evidence.
import { WebSocket } from "ws";
import { decodeFrame, encodeFrame, errorCodeName, type ClientRequest, type ErrorCode, type ProtocolError, type ServerPush, type ServerResponse } from "@kabar/protocol";
import type { Transcript } from "../adapter/transcript.js";

/** The body of a client request. */
export type RequestBody = NonNullable<ClientRequest["body"]>;
/** The result of a server response. */
export type ResponseResult = NonNullable<ServerResponse["result"]>;
/** The body of a server push. */
export type PushBody = NonNullable<ServerPush["body"]>;
/** The request kinds. */
export type RequestCase = RequestBody["$case"];
/** The value of request kind `C`. */
export type RequestValue<C extends RequestCase> = Extract<RequestBody, { $case: C }>["value"];
/** The success value answering request kind `C` (the result case has the same name). */
export type ResultValue<C extends RequestCase> = Extract<ResponseResult, { $case: C }>["value"];

/** A request answered with a ProtocolError. */
export class WireCallError extends Error {
  readonly code: ErrorCode;
  readonly error: ProtocolError;
  constructor(operation: string, error: ProtocolError) {
    super(`${operation} -> ${errorCodeName(error.code)}${error.message ? `: ${error.message}` : ""}`);
    this.name = "WireCallError";
    this.code = error.code;
    this.error = error;
  }
}

/** Narrows to a {@link WireCallError}. */
export function isWireCallError(value: unknown, code?: ErrorCode): value is WireCallError {
  return value instanceof WireCallError && (code === undefined || value.code === code);
}

/** The connection closed before the response arrived. */
export class ConnectionClosedError extends Error {
  constructor(operation: string, readonly closeCode: number) {
    super(`${operation}: the connection closed (code ${closeCode}) before a response arrived`);
    this.name = "ConnectionClosedError";
  }
}

/** Options of {@link WireConnection.open}. */
export interface WireConnectionOptions {
  /** Where to record frames; omitted means no transcript. */
  readonly transcript?: Transcript | undefined;
  /** Label for transcript entries, for example `alice/2`. */
  readonly label?: string;
  /** How long a request may take before it fails (ms). Default 10,000. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function summarize(value: unknown): unknown {
  // Transcripts show structure, not kilobytes of key or ciphertext bytes.
  if (value instanceof Uint8Array) return value.length <= 16 ? Buffer.from(value).toString("hex") : `<${value.length} bytes ${Buffer.from(value.subarray(0, 8)).toString("hex")}…>`;
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.length > 8 ? [...value.slice(0, 8).map(summarize), `…${value.length - 8} more`] : value.map(summarize);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record.$case === "string" && "value" in record) return { [record.$case]: summarize(record.value) };
    return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined).map(([k, v]) => [k, summarize(v)]));
  }
  return value;
}

/** A WebSocket connection speaking Kabar frames. */
export class WireConnection {
  readonly socket: WebSocket;
  /** Every push received, in order. */
  readonly pushes: PushBody[] = [];
  /** Responses whose request id matched no outstanding request. */
  readonly strayResponses: ServerResponse[] = [];
  /** Resolves with the close code and reason once the connection closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  #open = true;
  #closeCode = 0;
  #nextId = 1n;
  readonly #waiting = new Map<bigint, { resolve: (r: ServerResponse) => void; reject: (e: Error) => void; op: string }>();
  #pushWaiters: { match: (p: PushBody) => boolean; resolve: (p: PushBody) => void }[] = [];
  #pushListeners = new Set<(p: PushBody) => void>();
  readonly #options: WireConnectionOptions;

  private constructor(socket: WebSocket, options: WireConnectionOptions) {
    this.socket = socket;
    this.#options = options;
    this.closed = new Promise((resolve) => {
      socket.on("close", (code, reason) => {
        this.#open = false;
        this.#closeCode = code;
        this.#note("wire-in", { close: code, reason: reason.toString() });
        for (const [, waiter] of this.#waiting) waiter.reject(new ConnectionClosedError(waiter.op, code));
        this.#waiting.clear();
        resolve({ code, reason: reason.toString() });
      });
    });
    socket.on("error", () => undefined);
    socket.on("message", (data, isBinary) => {
      if (!isBinary) {
        this.#note("wire-in", { text: String(data).slice(0, 200) });
        return;
      }
      let frame;
      try {
        frame = decodeFrame(new Uint8Array(data as Buffer));
      } catch (error) {
        this.#note("wire-in", { undecodable: (error as Error).message });
        return;
      }
      const kind = frame.kind;
      if (kind?.$case === "response") {
        this.#note("wire-in", { response: kind.value.requestId.toString(), result: summarize(kind.value.result) });
        const waiter = this.#waiting.get(kind.value.requestId);
        if (waiter !== undefined) {
          this.#waiting.delete(kind.value.requestId);
          waiter.resolve(kind.value);
        } else this.strayResponses.push(kind.value);
      } else if (kind?.$case === "push" && kind.value.body !== undefined) {
        const push = kind.value.body;
        this.#note("wire-in", { push: summarize(push) });
        this.pushes.push(push);
        const hits = this.#pushWaiters.filter((w) => w.match(push));
        this.#pushWaiters = this.#pushWaiters.filter((w) => !hits.includes(w));
        for (const hit of hits) hit.resolve(push);
        for (const listener of this.#pushListeners) listener(push);
      }
    });
  }

  /** Opens a connection to `url`. */
  static async open(url: string, options: WireConnectionOptions = {}): Promise<WireConnection> {
    const socket = new WebSocket(url, { maxPayload: 8 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
      socket.once("close", (code) => reject(new Error(`connection to ${url} closed during open (${code})`)));
    });
    const connection = new WireConnection(socket, options);
    connection.#note("note", `connected to ${url}`);
    return connection;
  }

  #note(channel: "wire-in" | "wire-out" | "note", data: unknown): void {
    const label = this.#options.label;
    this.#options.transcript?.add(channel, label === undefined ? data : { [label]: data });
  }

  /** Whether the socket is open. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** The close code once closed (0 while open). */
  get closeCode(): number {
    return this.#closeCode;
  }

  /** A fresh request id. */
  nextRequestId(): bigint {
    return this.#nextId++;
  }

  /** Sends a request and resolves with the raw response. */
  request<C extends RequestCase>($case: C, value: RequestValue<C>, requestId: bigint = this.nextRequestId()): Promise<ServerResponse> {
    const request = { requestId, body: { $case, value } } as ClientRequest;
    return this.sendFrameBytes(encodeFrame({ kind: { $case: "request", value: request } }, { maxFrameBytes: 64 * 1024 * 1024 }), requestId, $case, summarize(value));
  }

  /** Sends already-encoded frame bytes that carry `requestId`, and resolves with its response. */
  sendFrameBytes(bytes: Uint8Array, requestId: bigint, op = "raw", shown: unknown = `<${bytes.length} bytes>`): Promise<ServerResponse> {
    if (!this.#open) return Promise.reject(new ConnectionClosedError(op, this.#closeCode));
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const promise = new Promise<ServerResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(requestId);
        reject(new Error(`${op}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(requestId, {
        op,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
    this.#note("wire-out", { request: requestId.toString(), [op]: shown });
    this.socket.send(bytes);
    return promise;
  }

  /** Sends bytes (or text) with no response expected. */
  sendRaw(data: Uint8Array | string): void {
    this.#note("wire-out", typeof data === "string" ? { text: data.slice(0, 200) } : { raw: summarize(data) });
    this.socket.send(data);
  }

  /** Sends a request; resolves with its result or throws {@link WireCallError}. */
  async call<C extends RequestCase>($case: C, value: RequestValue<C>): Promise<ResultValue<C>> {
    const response = await this.request($case, value);
    const result = response.result;
    if (result === undefined) throw new Error(`${$case}: empty response`);
    if (result.$case === "error") throw new WireCallError($case, result.value);
    if (result.$case !== $case) throw new Error(`${$case}: answered with ${result.$case}`);
    return result.value as ResultValue<C>;
  }

  /** Like {@link call}, but returns the ProtocolError instead of throwing it. */
  async attempt<C extends RequestCase>($case: C, value: RequestValue<C>): Promise<{ ok: true; value: ResultValue<C> } | { ok: false; error: ProtocolError }> {
    try {
      const result: ResultValue<C> = (await this.call($case, value)) as ResultValue<C>;
      return { ok: true, value: result };
    } catch (error) {
      if (error instanceof WireCallError) return { ok: false, error: error.error };
      throw error;
    }
  }

  /** Calls `listener` with every push received from now on (a merchant answering pre-checkout queries); returns the unsubscribe function. */
  onPush(listener: (p: PushBody) => void): () => void {
    this.#pushListeners.add(listener);
    return () => this.#pushListeners.delete(listener);
  }

  /** The first push, already received or future, that matches; rejects after `timeoutMs`. */
  nextPush(match: (p: PushBody) => boolean, timeoutMs = 3_000): Promise<PushBody> {
    const seen = this.pushes.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (p: PushBody) => (clearTimeout(timer), resolve(p)) };
      const timer = setTimeout(() => {
        this.#pushWaiters = this.#pushWaiters.filter((w) => w !== waiter);
        reject(new Error(`no matching push within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pushWaiters.push(waiter);
    });
  }

  /** Closes the connection and waits for the close. */
  async close(): Promise<void> {
    if (this.#open) {
      this.socket.close();
      const timer = setTimeout(() => this.socket.terminate(), 2_000);
      await this.closed;
      clearTimeout(timer);
    }
  }
}
