// One-shot attachment helpers over whole buffers, same format as the streams;
// used for small files, test vectors and tests.
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { AttachmentDecryptor, AttachmentEncryptor } from "./attachment-stream.js";
import type { AttachmentPointer } from "./attachment-format.js";

async function run(source: Uint8Array, transform: AttachmentEncryptor | AttachmentDecryptor): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  await pipeline(Readable.from([Buffer.from(source)]), transform, new Writable({ write(chunk: Buffer, _e, done) { parts.push(chunk); done(); } }));
  return new Uint8Array(Buffer.concat(parts));
}

/** Encrypts a whole buffer; returns the ciphertext and its pointer (ENC-ATTACH-001..004). */
export async function encryptAttachment(provider: CryptoProvider, plaintext: Uint8Array, key?: Uint8Array): Promise<{
  /** The whole attachment ciphertext to upload. */
  ciphertext: Uint8Array;
  /** Key, digest and sizes to send end to end in a DocumentPointer. */
  pointer: AttachmentPointer;
}> {
  const encryptor = new AttachmentEncryptor(provider, key);
  const ciphertext = await run(plaintext, encryptor);
  return { ciphertext, pointer: encryptor.pointer() };
}

/** Decrypts a whole ciphertext; rejects with a KabarError on any failure (ENC-ATTACH-005, ENC-ATTACH-006). */
export async function decryptAttachment(provider: CryptoProvider, ciphertext: Uint8Array, pointer: AttachmentPointer): Promise<Uint8Array> {
  return run(ciphertext, new AttachmentDecryptor(provider, pointer));
}
