// Range downloads of a blob as an async iterator of ciphertext chunks; a
// dropped connection retries the same range after reconnecting (CLIENT-FILES-002).
import { ErrorCode, isKabarError } from "@kabar/protocol";
import type { ReconnectingLink } from "../transport/reconnecting-link.js";

/** Yields a blob's bytes in order, `rangeBytes` per request, prefetching one range ahead. */
export async function* downloadBlob(link: ReconnectingLink, blobId: Uint8Array, size: number, rangeBytes: number, maxRetries = 20): AsyncGenerator<Uint8Array> {
  let retries = 0;
  const fetchRange = async (offset: number): Promise<Uint8Array> => {
    for (;;) {
      try {
        const response = await link.request("downloadRange", { blobId, offset: BigInt(offset), length: Math.min(rangeBytes, size - offset) });
        return response.data;
      } catch (error) {
        const transient = !isKabarError(error) || error.code === ErrorCode.UNAVAILABLE || error.code === ErrorCode.RATE_LIMITED;
        if (!transient || ++retries > maxRetries) throw error;
      }
    }
  };
  let offset = 0;
  let pending = size > 0 ? fetchRange(0) : undefined;
  while (pending !== undefined) {
    const data = await pending;
    offset += data.length;
    if (data.length === 0) throw new Error("empty range");
    pending = offset < size ? fetchRange(offset) : undefined;
    yield data;
  }
}
