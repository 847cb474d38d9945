import { describe, expect, it } from "vitest";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createHash } from "node:crypto";
import { ErrorCode, isKabarError, errorCodeName } from "@kabar/protocol";
import { decryptAttachment, encryptAttachment } from "../src/attachment/attachment-buffer.js";
import { AttachmentDecryptor, AttachmentEncryptor } from "../src/attachment/attachment-stream.js";
import { ATTACHMENT_CHUNK_SIZE, ATTACHMENT_HEADER_SIZE, ATTACHMENT_TAG_SIZE, ciphertextSize } from "../src/attachment/attachment-format.js";
import { provider } from "./fixtures.js";
import { NodeCryptoProvider } from "../src/provider/node-provider.js";
import { deterministicRandom } from "../src/provider/deterministic-random.js";

const C = ATTACHMENT_CHUNK_SIZE + ATTACHMENT_TAG_SIZE;
const H = ATTACHMENT_HEADER_SIZE;

async function expectReject(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  let thrown: unknown;
  try { await promise; } catch (error) { thrown = error; }
  expect(isKabarError(thrown), String(thrown)).toBe(true);
  expect(errorCodeName((thrown as { code: ErrorCode }).code)).toBe(errorCodeName(code));
}

const random = (n: number) => provider.randomBytes(n);

describe("attachment cipher", () => {
  it("ENC-ATTACH-001/002/003/004: round-trips sizes around chunk boundaries, including empty", async () => {
    for (const size of [0, 1, ATTACHMENT_CHUNK_SIZE - 1, ATTACHMENT_CHUNK_SIZE, ATTACHMENT_CHUNK_SIZE + 1, 3 * ATTACHMENT_CHUNK_SIZE]) {
      const plaintext = random(size);
      const { ciphertext, pointer } = await encryptAttachment(provider, plaintext);
      expect(ciphertext.length).toBe(ciphertextSize(size));
      expect(pointer.size).toBe(size);
      expect(pointer.digest).toEqual(new Uint8Array(createHash("sha256").update(ciphertext).digest()));
      expect(Buffer.from(await decryptAttachment(provider, ciphertext, pointer)).equals(Buffer.from(plaintext))).toBe(true);
    }
  });

  it("ENC-ATTACH-005: truncation at a chunk boundary or mid-chunk is ATTACHMENT_TRUNCATED", async () => {
    const { ciphertext, pointer } = await encryptAttachment(provider, random(3 * ATTACHMENT_CHUNK_SIZE));
    await expectReject(decryptAttachment(provider, ciphertext.subarray(0, H + 2 * C), pointer), ErrorCode.ATTACHMENT_TRUNCATED);
    await expectReject(decryptAttachment(provider, ciphertext.subarray(0, ciphertext.length - 1), pointer), ErrorCode.ATTACHMENT_TRUNCATED);
  });

  it("ENC-ATTACH-005: extension after the final chunk is ATTACHMENT_MALFORMED", async () => {
    const { ciphertext, pointer } = await encryptAttachment(provider, random(ATTACHMENT_CHUNK_SIZE + 5));
    await expectReject(decryptAttachment(provider, new Uint8Array([...ciphertext, 0]), pointer), ErrorCode.ATTACHMENT_MALFORMED);
    // A sender-side lie about the size: the last chunk is then read as non-final.
    await expectReject(decryptAttachment(provider, ciphertext, { ...pointer, size: pointer.size - 5 }), ErrorCode.ATTACHMENT_MALFORMED);
  });

  it("ENC-ATTACH-005: reordered chunks and chunks swapped between files fail with DECRYPT_FAILED", async () => {
    const a = await encryptAttachment(provider, random(3 * ATTACHMENT_CHUNK_SIZE));
    const key = a.pointer.key;
    const b = await encryptAttachment(provider, random(3 * ATTACHMENT_CHUNK_SIZE), key);
    const reordered = new Uint8Array(a.ciphertext);
    reordered.set(a.ciphertext.subarray(H + C, H + 2 * C), H);
    reordered.set(a.ciphertext.subarray(H, H + C), H + C);
    await expectReject(decryptAttachment(provider, reordered, a.pointer), ErrorCode.DECRYPT_FAILED);
    const swapped = new Uint8Array(a.ciphertext);
    swapped.set(b.ciphertext.subarray(H + C, H + 2 * C), H + C);
    await expectReject(decryptAttachment(provider, swapped, a.pointer), ErrorCode.DECRYPT_FAILED);
    const flipped = new Uint8Array(a.ciphertext); flipped[H + 5]! ^= 1;
    await expectReject(decryptAttachment(provider, flipped, a.pointer), ErrorCode.DECRYPT_FAILED);
  });

  it("ENC-ATTACH-006: a digest mismatch is DECRYPT_FAILED even when every chunk authenticates", async () => {
    const { ciphertext, pointer } = await encryptAttachment(provider, random(10));
    await expectReject(decryptAttachment(provider, ciphertext, { ...pointer, digest: new Uint8Array(32) }), ErrorCode.DECRYPT_FAILED);
    const header = new Uint8Array(ciphertext); header[3] = 2;
    await expectReject(decryptAttachment(provider, header, pointer), ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED);
  });

  it("ENC-ATTACH-004/006: background and inline digests agree; a truncated stream with a background digest still fails cleanly", async () => {
    const plaintext = random(3 * 1024 * 1024 + 17);
    const key = random(32);
    const run = async (backgroundDigest: boolean) => {
      const encryptor = new AttachmentEncryptor(new NodeCryptoProvider({ random: deterministicRandom(new Uint8Array(32)) }), key, { backgroundDigest });
      const parts: Buffer[] = [];
      await pipeline(Readable.from([Buffer.from(plaintext)]), encryptor, new Writable({ write(chunk: Buffer, _e, done) { parts.push(chunk); done(); } }));
      return { pointer: encryptor.pointer(), ciphertext: Buffer.concat(parts) };
    };
    const inline = await run(false), background = await run(true);
    expect(background.pointer.digest).toEqual(inline.pointer.digest);
    const decrypt = (bytes: Uint8Array) => pipeline(Readable.from([Buffer.from(bytes)]), new AttachmentDecryptor(provider, inline.pointer, { backgroundDigest: true }), new Writable({ write(_c, _e, done) { done(); } }));
    await decrypt(inline.ciphertext);
    await expectReject(decrypt(inline.ciphertext.subarray(0, 2 * 1024 * 1024)), ErrorCode.ATTACHMENT_TRUNCATED);
    await expectReject(decrypt(new Uint8Array([...inline.ciphertext.subarray(0, 100), ...inline.ciphertext.subarray(100).map((b, i) => (i === 5 ? b ^ 1 : b))])), ErrorCode.DECRYPT_FAILED);
  });

  it("ENC-ATTACH-002: a 64 MiB stream encrypts and decrypts in constant memory", async () => {
    const total = 64 * 1024 * 1024;
    const block = random(1024 * 1024);
    let produced = 0;
    const source = () => new Readable({ read() { if (produced >= total) { this.push(null); return; } produced += block.length; this.push(Buffer.from(block)); } });
    const plainHash = createHash("sha256");
    for (let i = 0; i < total / block.length; i++) plainHash.update(block);
    const encryptor = new AttachmentEncryptor(provider, undefined, { backgroundDigest: true });
    const cipherParts: Buffer[] = [];
    const heapBefore = process.memoryUsage().heapUsed;
    await pipeline(source(), encryptor, new Writable({ write(chunk: Buffer, _e, done) { cipherParts.push(chunk); done(); } }));
    const pointer = encryptor.pointer();
    expect(pointer.size).toBe(total);
    let index = 0;
    const replay = new Readable({ read() { this.push(index < cipherParts.length ? cipherParts[index++] : null); } });
    const outHash = createHash("sha256");
    await pipeline(replay, new AttachmentDecryptor(provider, pointer, { backgroundDigest: true }), new Writable({ write(chunk: Buffer, _e, done) { outHash.update(chunk); done(); } }));
    expect(outHash.digest("hex")).toBe(plainHash.digest("hex"));
    // Stream state is bounded: the transforms hold one staging chunk each.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });
});
