// Stream helpers for document tests and the bench: generated plaintext
// (never held whole), streaming digests, and live-memory sampling.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** A deterministic pseudo-random plaintext stream, generated on the fly (never held whole). */
export function generated(size: number, seed = 1): Readable {
  let produced = 0;
  let state = seed;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(256 * 1024, size - produced);
      const chunk = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        chunk.writeUInt32LE(state, i);
      }
      produced += n;
      this.push(chunk);
    },
  });
}

export async function digestOf(stream: Readable): Promise<{ hex: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hex: hash.digest("hex"), size };
}

// Live (post-GC) buffer memory, sampled while `work` runs.
export async function livePeak(work: () => Promise<void>, intervalMs = 100): Promise<number> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  let peak = 0;
  const base = process.memoryUsage().arrayBuffers;
  const sampler = setInterval(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
  }, intervalMs);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return peak;
}
