// Runs an adapter program and exchanges AdapterRequest/AdapterResponse frames
// with it over stdin/stdout. One process serves many rules (one spawn per
// test is too slow); when it crashes, times out or breaks the framing it is
// marked broken, the failure is charged to the request in flight, and the
// session restarts it before the next rule.
import { spawn, type ChildProcess } from "node:child_process";
import { AdapterRequest, AdapterResponse, decodeMessage, encodeMessage } from "@kabar/protocol";
import { ConformanceError } from "../errors.js";
import { LengthPrefixedReader, MAX_ADAPTER_FRAME_BYTES, encodeLengthPrefixed } from "./length-prefix.js";
import { messageToJson } from "./to-json.js";
import type { Transcript } from "./transcript.js";

/** How to run an adapter. */
export interface AdapterProcessOptions {
  /** The command line, run through the shell, for example `python3 adapter.py --verbose`. */
  readonly command: string;
  /** Per-request timeout in milliseconds; default 10,000 (CONF-ADAPTER-004). */
  readonly timeoutMs?: number;
  /** Time allowed for the first answer, which includes the adapter's start-up; default 30,000. */
  readonly startupTimeoutMs?: number;
  /** Largest frame accepted from the adapter; default 16 MiB. */
  readonly maxFrameBytes?: number;
  /** Working directory of the adapter. */
  readonly cwd?: string;
}

/** Default per-request timeout. */
export const DEFAULT_ADAPTER_TIMEOUT_MS = 10_000;
/** Time allowed for a generated document's send or digest-only fetch (CLIENT-FILES-001 moves 256 MiB; docs/spec/conformance.md). */
export const LARGE_DOCUMENT_TIMEOUT_MS = 120_000;

function isLargeDocumentOp(op: NonNullable<AdapterRequest["op"]>): boolean {
  return (op.$case === "sendDocument" && op.value.generatedSize > 0n) || (op.$case === "fetchDocument" && op.value.digestOnly);
}

/** Default time for the first answer: runtimes such as the JVM start slowly. */
export const DEFAULT_ADAPTER_STARTUP_TIMEOUT_MS = 30_000;

// Adapters run in their own process group, so a Ctrl-C of the kit does not
// reach them; kill whatever is still running when the kit exits.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

interface Pending {
  readonly id: bigint;
  readonly op: string;
  readonly resolve: (response: AdapterResponse) => void;
  readonly reject: (error: ConformanceError) => void;
  readonly timer: NodeJS.Timeout;
}

/** A running adapter program. */
export class AdapterProcess {
  readonly #options: AdapterProcessOptions;
  readonly #child: ChildProcess;
  readonly #reader: LengthPrefixedReader;
  readonly #pending: Pending[] = [];
  readonly #exited: Promise<void>;
  #nextId = 1n;
  #failure: ConformanceError | undefined;
  #stderrTail = "";
  /** Where exchanges and stderr are recorded; the runner swaps it per rule. */
  transcript: Transcript | undefined;

  private constructor(options: AdapterProcessOptions, transcript: Transcript | undefined) {
    this.#options = options;
    this.transcript = transcript;
    this.#reader = new LengthPrefixedReader(options.maxFrameBytes ?? MAX_ADAPTER_FRAME_BYTES);
    // detached: the adapter gets its own process group, so a kill reaches
    // the shell and everything it started.
    this.#child = spawn(options.command, { shell: true, detached: true, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    running.add(this.#child);
    this.#exited = new Promise((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.once("exit", () => running.delete(this.#child));
    this.#child.stdout!.on("data", (chunk: Buffer) => this.#onStdout(chunk));
    this.#child.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.#stderrTail = (this.#stderrTail + text).slice(-2_000);
      this.transcript?.add("stderr", text);
    });
    this.#child.stdin!.on("error", () => undefined); // EPIPE after a crash; the exit handler reports it
    this.#child.once("error", (error) => this.#fail(new ConformanceError("ADAPTER_CRASHED", `adapter crashed: cannot run "${options.command}": ${error.message}`)));
    this.#child.once("exit", (code, signal) => {
      const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      const tail = this.#stderrTail.trim();
      this.#fail(new ConformanceError("ADAPTER_CRASHED", `adapter crashed: ${how}${tail ? `; stderr ends: ${tail.slice(-300)}` : ""}`));
    });
  }

  /** Starts the adapter program. */
  static start(options: AdapterProcessOptions, transcript?: Transcript): AdapterProcess {
    return new AdapterProcess(options, transcript);
  }

  /** The failure that broke the process, if any: it must be restarted before further use. */
  get failure(): ConformanceError | undefined {
    return this.#failure;
  }

  /** The process id, for diagnostics. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Sends one request (the id is assigned here) and resolves with the
   * response. Rejects with ADAPTER_CRASHED, ADAPTER_TIMEOUT or
   * ADAPTER_PROTOCOL; an AdapterError result is returned, not thrown.
   */
  request(op: NonNullable<AdapterRequest["op"]>): Promise<AdapterResponse> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const message = AdapterRequest.fromPartial({ id, op } as AdapterRequest);
    const frame = encodeLengthPrefixed(encodeMessage(AdapterRequest, message));
    this.transcript?.add("request", messageToJson(message), frame);
    const perRequest = this.#options.timeoutMs ?? DEFAULT_ADAPTER_TIMEOUT_MS;
    const timeoutMs = id === 1n ? Math.max(perRequest, this.#options.startupTimeoutMs ?? DEFAULT_ADAPTER_STARTUP_TIMEOUT_MS) : isLargeDocumentOp(op) ? Math.max(perRequest, LARGE_DOCUMENT_TIMEOUT_MS) : perRequest;
    return new Promise<AdapterResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(new ConformanceError("ADAPTER_TIMEOUT", `timeout: the adapter did not answer ${op.$case} (request ${id}) within ${timeoutMs} ms`));
        this.#kill();
      }, timeoutMs);
      this.#pending.push({ id, op: op.$case, resolve, reject, timer });
      this.#child.stdin!.write(frame);
    });
  }

  /** Closes stdin and resolves true if the adapter exits within `withinMs` (CONF-ADAPTER-008); never kills it. */
  async closeStdinAndWait(withinMs: number): Promise<boolean> {
    this.#fail(new ConformanceError("HARNESS", "adapter stdin closed by the kit"));
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return true;
    this.#child.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)));
    const exited = await Promise.race([this.#exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return exited;
  }

  /** Closes stdin (the adapter should exit), then kills the process group after `graceMs`. */
  async close(graceMs = 2_000): Promise<void> {
    this.#fail(new ConformanceError("HARNESS", "adapter closed by the kit"));
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#kill(), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  #onStdout(chunk: Buffer): void {
    let frames: Uint8Array[];
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      this.#fail(error as ConformanceError);
      this.#kill();
      return;
    }
    for (const frame of frames) {
      let response: AdapterResponse;
      try {
        response = decodeMessage(AdapterResponse, frame);
      } catch (error) {
        this.#fail(new ConformanceError("ADAPTER_PROTOCOL", `adapter sent an undecodable AdapterResponse: ${(error as Error).message}`));
        this.#kill();
        return;
      }
      this.transcript?.add("response", messageToJson(response));
      const head = this.#pending.shift();
      if (head === undefined || head.id !== response.id) {
        this.#fail(new ConformanceError("ADAPTER_PROTOCOL", head === undefined ? `adapter sent response ${response.id} to no request` : `adapter answered request ${head.id} with id ${response.id}`));
        if (head !== undefined) head.reject(this.#failure!);
        this.#kill();
        return;
      }
      clearTimeout(head.timer);
      head.resolve(response);
    }
  }

  #fail(error: ConformanceError): void {
    if (this.#failure === undefined) {
      this.#failure = error;
      if (error.code !== "HARNESS") this.transcript?.add("note", error.message);
    }
    for (const pending of this.#pending.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(this.#failure);
    }
  }

  #kill(): void {
    if (this.#child.pid === undefined || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    try {
      process.kill(-this.#child.pid, "SIGKILL");
    } catch {
      this.#child.kill("SIGKILL");
    }
  }
}
