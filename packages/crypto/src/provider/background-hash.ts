// SHA-256 on a worker thread, so the attachment stream can encrypt on one
// core while the whole-ciphertext digest (ENC-ATTACH-004) is computed on
// another. One long-lived worker serves every hash; batches of 1 MiB are
// transferred, not copied, and at most four are in flight per hash, so memory
// stays constant. The worker is unreferenced while idle so it never keeps a
// process alive.
import { Worker } from "node:worker_threads";
import type { IncrementalHash } from "./crypto-provider.js";

const BATCH = 1024 * 1024;
const MAX_IN_FLIGHT = 4;
// Inline CommonJS source: no worker file to resolve in source or built layouts.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const hashes = new Map();
parentPort.on("message", (m) => {
  if (m.op === "update") {
    let h = hashes.get(m.id);
    if (h === undefined) { h = createHash("sha256"); hashes.set(m.id, h); }
    h.update(new Uint8Array(m.data, 0, m.length));
    parentPort.postMessage({ op: "ack", id: m.id, data: m.data }, [m.data]);
  } else {
    const h = hashes.get(m.id) || createHash("sha256");
    hashes.delete(m.id);
    const d = h.digest();
    parentPort.postMessage({ op: "digest", id: m.id, digest: new Uint8Array(d) });
  }
});`;

interface Listener { ack(returned: ArrayBuffer): void; digest(value: Uint8Array): void; fail(error: Error): void }

class DigestWorker {
  private worker: Worker | undefined;
  private readonly listeners = new Map<number, Listener>();
  private nextId = 1;

  register(listener: Listener): number {
    const id = this.nextId++;
    this.listeners.set(id, listener);
    this.start().ref();
    return id;
  }

  release(id: number): void {
    this.listeners.delete(id);
    if (this.listeners.size === 0) this.worker?.unref();
  }

  post(message: unknown, transfer?: ArrayBuffer[]): void {
    this.start().postMessage(message, transfer);
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on("message", (m: { op: string; id: number; digest?: Uint8Array; data?: ArrayBuffer }) => {
      const listener = this.listeners.get(m.id);
      if (listener === undefined) return;
      if (m.op === "ack") listener.ack(m.data!);
      else listener.digest(m.digest!);
    });
    worker.on("error", (error) => {
      for (const listener of this.listeners.values()) listener.fail(error);
      this.listeners.clear();
      this.worker = undefined;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

let shared: DigestWorker | undefined;

/** Creates a SHA-256 whose compression runs on the shared digest worker. */
export function createBackgroundSha256(): IncrementalHash {
  shared ??= new DigestWorker();
  const worker = shared;
  // Batches travel to the worker and back (transferred both ways), so a hash
  // allocates at most MAX_IN_FLIGHT + 2 buffers however long the stream is.
  const pool: ArrayBuffer[] = [];
  let batch = new Uint8Array(new ArrayBuffer(BATCH));
  let filled = 0;
  let inFlight = 0;
  // One shared promise for every caller waiting on back-pressure.
  let drained: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let resolveDigest: ((value: Uint8Array) => void) | undefined;
  let rejectDigest: ((error: Error) => void) | undefined;
  const id = worker.register({
    ack(returned) {
      pool.push(returned);
      inFlight--;
      if (inFlight <= MAX_IN_FLIGHT && wake !== undefined) {
        const resolve = wake;
        wake = undefined;
        drained = undefined;
        resolve();
      }
    },
    digest(value) { worker.release(id); resolveDigest?.(value); },
    fail(error) { failure = error; wake?.(); rejectDigest?.(error); },
  });
  const flush = (): void => {
    if (filled === 0) return;
    const full = batch;
    worker.post({ op: "update", id, data: full.buffer, length: filled }, [full.buffer as ArrayBuffer]);
    inFlight++;
    batch = new Uint8Array(pool.pop() ?? new ArrayBuffer(BATCH));
    filled = 0;
  };
  return {
    update(data: Uint8Array): Promise<void> | undefined {
      if (failure !== undefined) throw failure;
      let offset = 0;
      while (offset < data.length) {
        const take = Math.min(BATCH - filled, data.length - offset);
        batch.set(data.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === BATCH) flush();
      }
      if (inFlight <= MAX_IN_FLIGHT) return undefined;
      drained ??= new Promise<void>((resolve) => { wake = resolve; });
      return drained;
    },
    abort(): void {
      worker.post({ op: "digest", id });
      worker.release(id);
    },
    digest(): Promise<Uint8Array> {
      flush();
      return new Promise<Uint8Array>((resolve, reject) => {
        if (failure !== undefined) { reject(failure); return; }
        resolveDigest = resolve;
        rejectDigest = reject;
        worker.post({ op: "digest", id });
      });
    },
  };
}
