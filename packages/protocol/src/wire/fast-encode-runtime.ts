// Runtime of the fused two-pass encoders that scripts/generate.mjs emits into
// src/gen/fast-encoders.ts. A size pass checks that every value is one the
// fast path handles exactly like the ts-proto encoder (else it bails out and
// encodeMessage uses ts-proto), and records nested message sizes and string
// byte lengths; the write pass then fills one exactly sized Uint8Array, with
// no intermediate buffer, no copy and no payload moves.

const encoder = new TextEncoder();

/** Largest uint64. */
export const U64_MAX = 0xffffffffffffffffn;
const TWO_32 = 4_294_967_296;

/** Bytes of a uint32 varint. */
export function sz32(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes of a uint64 varint (0 <= v < 2^64). */
export function sz64(v: bigint): number {
  const x = Number(v);
  if (x < TWO_32) return sz32(x);
  if (x <= Number.MAX_SAFE_INTEGER) {
    // Exact below 2^53: 5 bytes hold 35 bits, each further byte 7 more.
    let n = 5;
    for (let rest = Math.floor(x / 34_359_738_368); rest > 0; rest = Math.floor(rest / 128)) n++;
    return n;
  }
  let n = 5;
  let rest = v >> 35n;
  while (rest > 0n) {
    n++;
    rest >>= 7n;
  }
  return n;
}

/** UTF-8 length of `s` as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Len(s: string): number {
  const len = s.length;
  let n = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // A surrogate pair: two UTF-16 units, four bytes.
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** Writes a uint32 varint; returns the position after it. */
export function wv32(b: Uint8Array, p: number, v: number): number {
  while (v > 0x7f) {
    b[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[p++] = v;
  return p;
}

/** Writes a negative int32 as its 10-byte sign-extended varint. */
export function wneg(b: Uint8Array, p: number, v: number): number {
  for (let i = 0; i < 9; i++) {
    b[p++] = (v & 0x7f) | 0x80;
    v >>= 7;
  }
  b[p++] = 1;
  return p;
}

/** Writes a uint64 varint (0 <= v < 2^64). */
export function wv64(b: Uint8Array, p: number, v: bigint): number {
  const x = Number(v);
  if (x < TWO_32) return wv32(b, p, x);
  let lo: number;
  let hi: number;
  if (x <= Number.MAX_SAFE_INTEGER) {
    lo = x >>> 0;
    hi = (x - lo) / TWO_32;
  } else {
    lo = Number(v & 0xffffffffn);
    hi = Number(v >> 32n);
  }
  while (hi !== 0 || lo > 0x7f) {
    b[p++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  b[p++] = lo;
  return p;
}

/** Writes `s`, whose UTF-8 length `l` the size pass computed. */
export function wstr(b: Uint8Array, p: number, s: string, l: number): number {
  const len = s.length;
  if (l === len) {
    for (let i = 0; i < len; i++) b[p + i] = s.charCodeAt(i);
    return p + l;
  }
  encoder.encodeInto(s, b.subarray(p, p + l));
  return p + l;
}

/** Copies bytes; a loop beats TypedArray.prototype.set for short arrays. */
export function wbytes(b: Uint8Array, p: number, v: Uint8Array): number {
  const n = v.length;
  if (n < 32) for (let i = 0; i < n; i++) b[p + i] = v[i]!;
  else b.set(v, p);
  return p + n;
}
