// A small test-only client: WebSocket, frame codec, request-id correlation.
import { WebSocket } from "ws";
import { decodeFrame, encodeFrame, type ClientRequest, type ServerPush, type ServerResponse } from "@kabar/protocol";
import { CallError } from "./core-harness.js";
import type { TestAccount } from "./keys.js";

type Body = NonNullable<ClientRequest["body"]>;
type Result = NonNullable<ServerResponse["result"]>;
type ResultOf<C extends Body["$case"]> = Extract<Result, { $case: C }>["value"];
type Push = NonNullable<ServerPush["body"]>;

export class TestClient {
  private nextId = 1n;
  private readonly waiting = new Map<bigint, (response: ServerResponse) => void>();
  readonly pushes: Push[] = [];
  private pushWaiters: Array<{ match: (p: Push) => boolean; resolve: (p: Push) => void }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Responses that matched no waiting request. */
  readonly strayResponses: ServerResponse[] = [];

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) =>
      socket.on("close", (code, reason) => {
        // Requests without an answer fail instead of hanging.
        for (const waiter of this.waiting.values()) waiter({ requestId: 0n, result: { $case: "error", value: { code: 0, message: "connection closed", retryAfterMs: 0, rule: "", recipientsMismatch: undefined } } });
        this.waiting.clear();
        resolve({ code, reason: reason.toString() });
      }),
    );
    socket.on("message", (data) => {
      const frame = decodeFrame(new Uint8Array(data as Buffer));
      const kind = frame.kind!;
      if (kind.$case === "response") {
        const waiter = this.waiting.get(kind.value.requestId);
        if (waiter) {
          this.waiting.delete(kind.value.requestId);
          waiter(kind.value);
        } else this.strayResponses.push(kind.value);
      } else if (kind.$case === "push") {
        const push = kind.value.body!;
        this.pushes.push(push);
        const hit = this.pushWaiters.find((w) => w.match(push));
        if (hit) {
          this.pushWaiters = this.pushWaiters.filter((w) => w !== hit);
          hit.resolve(push);
        }
      }
    });
  }

  static async connect(url: string): Promise<TestClient> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new TestClient(socket);
  }

  /** Sends a request and resolves with the raw response. */
  raw<C extends Body["$case"]>($case: C, value: Extract<Body, { $case: C }>["value"], requestId = this.nextId++): Promise<ServerResponse> {
    const request = { requestId, body: { $case, value } } as ClientRequest;
    const promise = new Promise<ServerResponse>((resolve) => this.waiting.set(requestId, resolve));
    this.socket.send(encodeFrame({ kind: { $case: "request", value: request } }));
    return promise;
  }

  /** Sends a request; resolves with the result or throws CallError. */
  async call<C extends Body["$case"]>($case: C, value: Extract<Body, { $case: C }>["value"]): Promise<ResultOf<C>> {
    const response = await this.raw($case, value as never);
    const result = response.result!;
    if (result.$case === "error") throw new CallError(result.value.code, result.value.rule, result.value);
    return result.value as never;
  }

  /** Resolves with the first push (already received or future) matching. */
  nextPush(match: (p: Push) => boolean, timeoutMs = 5000): Promise<Push> {
    const seen = this.pushes.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("push timeout")), timeoutMs);
      this.pushWaiters.push({ match, resolve: (p) => (clearTimeout(timer), resolve(p)) });
    });
  }

  sendBytes(bytes: Uint8Array | string): void {
    this.socket.send(bytes);
  }

  async hello(): Promise<ResultOf<"hello">> {
    return this.call("hello", { versions: [1], clientName: "kabar-test" });
  }

  /** Hello + (optional) register + authenticate. */
  async login(account: TestAccount, deviceId = 1, options: { register?: boolean } = {}): Promise<ResultOf<"authenticate">> {
    const ack = await this.hello();
    if (options.register) await this.call("registerAccount", { identityKey: account.identity.publicKey, deviceList: account.deviceList() });
    return this.call("authenticate", { accountId: account.accountId, deviceId, signature: account.authSignature(ack.challenge, deviceId) });
  }

  close(): void {
    this.socket.close();
  }
}
