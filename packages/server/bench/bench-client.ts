// A lean load-generating client for the benchmark: raw frames, request ids,
// a push callback, no buffering of pushes.
import { WebSocket } from "ws";
import { Frame, encodeFrame, type ClientRequest, type ServerPush, type ServerResponse } from "@kabar/protocol";

type Body = NonNullable<ClientRequest["body"]>;
type Result = NonNullable<ServerResponse["result"]>;

export class BenchClient {
  private nextId = 1n;
  private readonly waiting = new Map<bigint, (r: Result) => void>();
  onPush: (push: NonNullable<ServerPush["body"]>) => void = () => undefined;
  onRaw: ((data: Buffer) => void) | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => {
      if (this.onRaw) return this.onRaw(data);
      // The generated (non-strict) decoder keeps the load generator cheap; the
      // server under test still decodes strictly.
      const kind = Frame.decode(data).kind!;
      if (kind.$case === "response") {
        const w = this.waiting.get(kind.value.requestId);
        this.waiting.delete(kind.value.requestId);
        w?.(kind.value.result!);
      } else if (kind.$case === "push") this.onPush(kind.value.body!);
    });
  }

  static async connect(url: string): Promise<BenchClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new BenchClient(socket);
  }

  async call<C extends Body["$case"]>($case: C, value: Extract<Body, { $case: C }>["value"]): Promise<Extract<Result, { $case: C }>["value"]> {
    const requestId = this.nextId++;
    const result = await new Promise<Result>((resolve) => {
      this.waiting.set(requestId, resolve);
      this.socket.send(encodeFrame({ kind: { $case: "request", value: { requestId, body: { $case, value } as Body } } }));
    });
    if (result.$case === "error") throw new Error(`${$case}: ${result.value.message}`);
    return result.value as never;
  }

  /** Fire-and-forget request (the response is ignored). */
  send<C extends Body["$case"]>($case: C, value: Extract<Body, { $case: C }>["value"]): void {
    const requestId = this.nextId++;
    this.socket.send(encodeFrame({ kind: { $case: "request", value: { requestId, body: { $case, value } as Body } } }));
  }

  close(): void {
    this.socket.close();
  }
}
