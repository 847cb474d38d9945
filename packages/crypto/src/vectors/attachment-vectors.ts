// Published vectors for the attachment cipher (ENC-ATTACH-*): explicit key and
// file id, a patterned plaintext, the ciphertext digest, and each attack as a
// mutation of that ciphertext with its required error code.
import { isKabarError, errorCodeName } from "@kabar/protocol";
import { NodeCryptoProvider } from "../provider/node-provider.js";
import { deterministicRandom } from "../provider/deterministic-random.js";
import { decryptAttachment, encryptAttachment } from "../attachment/attachment-buffer.js";
import { ATTACHMENT_CHUNK_SIZE, ATTACHMENT_HEADER_SIZE, ATTACHMENT_TAG_SIZE } from "../attachment/attachment-format.js";
import { hex, seedOf, unhex, type VectorFile, type VectorTest } from "./vector-format.js";

const C = ATTACHMENT_CHUNK_SIZE + ATTACHMENT_TAG_SIZE;
const H = ATTACHMENT_HEADER_SIZE;
type Mutation = "none" | "truncateAtChunkBoundary" | "truncateMidChunk" | "appendByte" | "swapChunks0And1" | "chunk1FromOtherFile" | "flipBodyByte" | "sizeMinusOne";
interface Case { comment: string; rule: string; size: number; mutation: Mutation }
const TWO_PLUS = 2 * ATTACHMENT_CHUNK_SIZE + 1;
const CASES: Case[] = [
  { comment: "empty file", rule: "ENC-ATTACH-002", size: 0, mutation: "none" },
  { comment: "one short chunk", rule: "ENC-ATTACH-002", size: 100, mutation: "none" },
  { comment: "exactly one full chunk", rule: "ENC-ATTACH-002", size: ATTACHMENT_CHUNK_SIZE, mutation: "none" },
  { comment: "three chunks, last of one byte", rule: "ENC-ATTACH-002", size: TWO_PLUS, mutation: "none" },
  { comment: "truncated at a chunk boundary", rule: "ENC-ATTACH-005", size: TWO_PLUS, mutation: "truncateAtChunkBoundary" },
  { comment: "truncated inside the last chunk", rule: "ENC-ATTACH-005", size: TWO_PLUS, mutation: "truncateMidChunk" },
  { comment: "extended after the final chunk", rule: "ENC-ATTACH-005", size: TWO_PLUS, mutation: "appendByte" },
  { comment: "chunks 0 and 1 swapped", rule: "ENC-ATTACH-005", size: TWO_PLUS, mutation: "swapChunks0And1" },
  { comment: "chunk 1 taken from another file under the same key", rule: "ENC-ATTACH-005", size: TWO_PLUS, mutation: "chunk1FromOtherFile" },
  { comment: "one body byte flipped", rule: "ENC-ATTACH-005", size: TWO_PLUS, mutation: "flipBodyByte" },
  { comment: "pointer size one less than the real size", rule: "ENC-ATTACH-005", size: 100, mutation: "sizeMinusOne" },
];

const pattern = (size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => i % 251);

async function encrypt(key: Uint8Array, fileId: Uint8Array, size: number) {
  return encryptAttachment(new NodeCryptoProvider({ random: () => new Uint8Array(fileId) }), pattern(size), key);
}

export async function run(inputs: Record<string, unknown>): Promise<{ digest: string; result: string }> {
  const key = unhex(inputs.key), size = Number(inputs.size), mutation = inputs.mutation as Mutation;
  const { ciphertext, pointer } = await encrypt(key, unhex(inputs.fileId), size);
  let bytes = ciphertext;
  let claimed = pointer;
  if (mutation === "truncateAtChunkBoundary") bytes = ciphertext.subarray(0, H + 2 * C);
  if (mutation === "truncateMidChunk") bytes = ciphertext.subarray(0, ciphertext.length - 1);
  if (mutation === "appendByte") bytes = new Uint8Array([...ciphertext, 0]);
  if (mutation === "swapChunks0And1") { bytes = new Uint8Array(ciphertext); bytes.set(ciphertext.subarray(H + C, H + 2 * C), H); bytes.set(ciphertext.subarray(H, H + C), H + C); }
  if (mutation === "chunk1FromOtherFile") {
    const other = await encrypt(key, unhex(inputs.otherFileId), size);
    bytes = new Uint8Array(ciphertext); bytes.set(other.ciphertext.subarray(H + C, H + 2 * C), H + C);
  }
  if (mutation === "flipBodyByte") { bytes = new Uint8Array(ciphertext); bytes[H + 7]! ^= 1; }
  if (mutation === "sizeMinusOne") claimed = { ...pointer, size: size - 1 };
  try {
    const plaintext = await decryptAttachment(new NodeCryptoProvider(), bytes, claimed);
    return { digest: hex(pointer.digest), result: hex(plaintext) === hex(pattern(size)) ? "ok" : "error:WRONG_PLAINTEXT" };
  } catch (error) {
    if (!isKabarError(error)) throw error;
    return { digest: hex(pointer.digest), result: `error:${errorCodeName(error.code)}` };
  }
}

/** Generates the attachment vector file. */
export async function generateAttachmentVectors(): Promise<VectorFile> {
  const random = deterministicRandom(seedOf("kabar-v1 vectors attachment"));
  const key = hex(random(32));
  const tests: VectorTest[] = [];
  for (const [index, c] of CASES.entries()) {
    const inputs = { key, fileId: hex(random(16)), otherFileId: hex(random(16)), size: c.size, mutation: c.mutation };
    const { digest, result } = await run(inputs);
    const smallCiphertext = c.size <= 100 && c.mutation === "none" ? { ciphertext: hex((await encrypt(unhex(key), unhex(inputs.fileId), c.size)).ciphertext) } : {};
    tests.push({
      tcId: index + 1, comment: c.comment, rule: c.rule, inputs, outputs: { digest, ...smallCiphertext },
      result: result === "ok" ? "valid" : "invalid", ...(result === "ok" ? {} : { errorCode: result.slice(6) }),
    });
  }
  return {
    algorithm: "kabar-v1 attachment stream (AES-256-GCM, 64 KiB chunks)", version: "1",
    notes: "Plaintext byte i is i mod 251. Encrypt with `key` and `fileId`, check `digest` (SHA-256 of the whole ciphertext), then apply `mutation` and decrypt against the pointer {key, size, digest}; invalid cases must fail with errorCode.",
    testGroups: [{ type: "AttachmentStream", tests }],
  };
}

/** Checks every attachment vector. */
export async function checkAttachmentVectors(file: VectorFile): Promise<string[]> {
  const failures: string[] = [];
  for (const t of file.testGroups.flatMap((g) => g.tests)) {
    const { digest, result } = await run(t.inputs);
    const expected = t.result === "valid" ? "ok" : `error:${t.errorCode}`;
    if (digest !== (t.outputs as { digest: string }).digest || result !== expected) failures.push(`attachment tcId ${t.tcId}`);
  }
  return failures;
}
