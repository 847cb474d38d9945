// Resident memory of a process tree on Linux, for the memory rules
// (FILES-UPLOAD-007, CLIENT-FILES-001): VmRSS and VmHWM of the process and
// all its descendants from /proc, and a reset of VmHWM through clear_refs.
import { createCipheriv, createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

function statusField(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** `pid` and its descendants (from /proc/<pid>/stat's parent ids). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      /* gone */
    }
  }
  const tree: number[] = [];
  const visit = (p: number): void => {
    tree.push(p);
    for (const child of parents.get(p) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/** Current and peak resident bytes summed over the tree of `pid`; undefined without /proc. */
export function processTreeMemory(pid: number): { resident: number; peak: number } | undefined {
  if (statusField(pid, "VmRSS") === undefined) return undefined;
  let resident = 0;
  let peak = 0;
  for (const p of processTree(pid)) {
    resident += statusField(p, "VmRSS") ?? 0;
    peak += statusField(p, "VmHWM") ?? 0;
  }
  return { resident, peak };
}

/** Resets the peak (VmHWM) of every process in the tree of `pid` to its current size; returns the resident bytes, or undefined when it cannot. */
export function resetPeakMemory(pid: number): number | undefined {
  const tree = processTree(pid);
  try {
    for (const p of tree) writeFileSync(`/proc/${p}/clear_refs`, "5");
  } catch {
    return undefined;
  }
  return processTreeMemory(pid)?.resident;
}

/** Bytes `offset..offset+length` of the generated file of `seed`: the AES-128-CTR keystream under key SHA-256(seed)[0..16], counter starting at 0. */
export function generatedBytes(seed: number, offset: number, length: number): Uint8Array {
  const key = createHash("sha256").update(`kabar-generated-${seed}`).digest().subarray(0, 16);
  const block = Math.floor(offset / 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(block), 8);
  const cipher = createCipheriv("aes-128-ctr", key, iv);
  const skip = offset - block * 16;
  const out = cipher.update(Buffer.alloc(skip + length));
  return new Uint8Array(out.buffer, out.byteOffset + skip, length);
}

/** SHA-256 of the whole generated document of `seed` and `size`, computed 16 MiB at a time. */
export function generatedDigest(seed: number, size: number): Uint8Array {
  const hash = createHash("sha256");
  const step = 16 * 1024 * 1024;
  for (let offset = 0; offset < size; offset += step) hash.update(generatedBytes(seed, offset, Math.min(step, size - offset)));
  return new Uint8Array(hash.digest());
}
