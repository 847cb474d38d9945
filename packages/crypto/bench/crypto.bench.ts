// Crypto benchmark: pairwise messaging with the state serialized after every
// message, session setup, the attachment stream beside raw AES-256-GCM, and
// the raw primitives, all measured in one process so ratios are meaningful.
// Run alone: npx tsx --conditions=@kabar/source packages/crypto/bench/crypto.bench.ts
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { measure, printTable, type BenchRow } from "../../../scripts/bench-kit.js";
import {
  AttachmentDecryptor, AttachmentEncryptor, createAccountIdentity, createDeviceKeys, createKemPreKey, createSignedPreKey,
  decryptPairwise, deterministicRandom, encryptPairwise, initiateSession, issueDeviceCertificate, NodeCryptoProvider, serializeSession,
  signDeviceList, verifyDeviceCertificate, verifyDeviceList, type AttachmentPointer, type LocalDevice, type PreKeyLookup, type SessionState, type VerifiedDevice,
} from "../src/index.js";

/** One benchmark result. */
export interface BenchTableRow {
  /** What was measured. */
  readonly name: string;
  /** Operations (or messages) per second. */
  readonly opsPerSec?: number;
  /** Megabytes (2^20 bytes) per second. */
  readonly mbPerSec?: number;
  /** How to read the row. */
  readonly note?: string;
}

/** The rows of one run. */
export type BenchTable = BenchTableRow[];

const provider = new NodeCryptoProvider();
const MiB = 1024 * 1024;

function device(deviceId: number) {
  const account = createAccountIdentity(provider);
  const keys = createDeviceKeys(provider, deviceId);
  const certificate = issueDeviceCertificate(provider, account, keys);
  const verified: VerifiedDevice = verifyDeviceCertificate(provider, certificate, account.keyPair.publicKey);
  const local: LocalDevice = { accountId: account.accountId, keys };
  const spk = createSignedPreKey(provider, keys, 1);
  const kem = createKemPreKey(provider, keys, 2, true);
  const lookup: PreKeyLookup = { signedPreKey: () => spk.record, kemPreKey: () => kem.record, oneTimePreKey: () => undefined };
  const bundle = { certificate, signedPrekey: spk.published, kemPrekey: kem.published, oneTimePrekey: undefined };
  // Clients hold the verified device list of every peer account.
  const list = verifyDeviceList(provider, signDeviceList(provider, account, 1n, [certificate]), account.keyPair.publicKey);
  return { account, local, verified, lookup, bundle, list };
}

type Device = ReturnType<typeof device>;

function setup(alice: Device, bob: Device): { a: SessionState; b: SessionState } {
  const started = initiateSession(provider, { local: alice.local, bundle: bob.bundle, remoteIdentityKey: bob.account.keyPair.publicKey, remoteDeviceList: bob.list });
  const first = encryptPairwise(provider, started, new Uint8Array(200));
  const accepted = decryptPairwise(provider, { local: bob.local, session: undefined, sender: alice.verified, preKeys: bob.lookup }, first.message);
  return { a: first.session, b: accepted.session };
}

function messaging(alice: Device, bob: Device, alternate: boolean): () => void {
  let { a, b } = setup(alice, bob);
  const reply = encryptPairwise(provider, b, new Uint8Array(200));
  b = reply.session;
  a = decryptPairwise(provider, { local: alice.local, session: a, sender: bob.verified, preKeys: alice.lookup }, reply.message).session;
  const body = provider.randomBytes(200);
  let turn = 0;
  let sink = 0;
  return () => {
    const fromA = !alternate || turn++ % 2 === 0;
    if (fromA) {
      const out = encryptPairwise(provider, a, body);
      a = out.session;
      sink += serializeSession(a).length;
      b = decryptPairwise(provider, { local: bob.local, session: b, sender: alice.verified, preKeys: bob.lookup }, out.message).session;
      sink += serializeSession(b).length;
    } else {
      const out = encryptPairwise(provider, b, body);
      b = out.session;
      sink += serializeSession(b).length;
      a = decryptPairwise(provider, { local: alice.local, session: a, sender: bob.verified, preKeys: alice.lookup }, out.message).session;
      sink += serializeSession(a).length;
    }
    if (sink < 0) throw new Error("unreachable");
  };
}

async function streamMbPerSec(total: number, backgroundDigest: boolean): Promise<{ encrypt: number; decrypt: number }> {
  const block = Buffer.from(provider.randomBytes(MiB));
  const source = () => {
    let sent = 0;
    return new Readable({ read() { if (sent >= total) this.push(null); else { sent += block.length; this.push(block); } } });
  };
  // Timed run: ciphertext goes to a discarding sink, as it would to a socket.
  let start = performance.now();
  await pipeline(source(), new AttachmentEncryptor(provider, undefined, { backgroundDigest }), new Writable({ write(_c, _e, done) { done(); } }));
  const encrypt = total / MiB / ((performance.now() - start) / 1000);
  // Untimed run that keeps the ciphertext to replay it into the decryptor.
  const encryptor = new AttachmentEncryptor(provider);
  const parts: Buffer[] = [];
  await pipeline(source(), encryptor, new Writable({ write(chunk: Buffer, _e, done) { parts.push(chunk); done(); } }));
  const pointer: AttachmentPointer = encryptor.pointer();
  let index = 0;
  start = performance.now();
  await pipeline(new Readable({ read() { this.push(index < parts.length ? parts[index++] : null); } }), new AttachmentDecryptor(provider, pointer, { backgroundDigest }), new Writable({ write(_c, _e, done) { done(); } }));
  const decrypt = total / MiB / ((performance.now() - start) / 1000);
  return { encrypt, decrypt };
}

/**
 * Encrypts into a decryptor in one pipeline (no ciphertext kept), for the
 * 1 GiB run. A first, untimed pass with the same seeded file id yields the
 * pointer the decryptor needs up front.
 */
async function chainedMbPerSec(total: number): Promise<number> {
  const block = Buffer.from(provider.randomBytes(MiB));
  const key = provider.randomBytes(32);
  const source = () => {
    let sent = 0;
    return new Readable({ read() { if (sent >= total) this.push(null); else { sent += block.length; this.push(block); } } });
  };
  const seeded = () => new NodeCryptoProvider({ random: deterministicRandom(new Uint8Array(32)) });
  const first = new AttachmentEncryptor(seeded(), key, { backgroundDigest: true });
  await pipeline(source(), first, new Writable({ write(_c, _e, done) { done(); } }));
  const start = performance.now();
  await pipeline(source(), new AttachmentEncryptor(seeded(), key, { backgroundDigest: true }), new AttachmentDecryptor(provider, first.pointer(), { backgroundDigest: true }), new Writable({ write(_c, _e, done) { done(); } }));
  return total / MiB / ((performance.now() - start) / 1000);
}

/** Runs every measurement and returns the rows. */
export async function run(): Promise<BenchTable> {
  const alice = device(1), bob = device(2);
  const rows: BenchTableRow[] = [];
  rows.push({ name: "1:1 one-way encrypt+decrypt, 200 B", opsPerSec: measure(messaging(alice, bob, false), 1500), note: "msgs/s; both states serialized after every message; goal >= 12,000" });
  rows.push({ name: "1:1 alternating encrypt+decrypt, 200 B", opsPerSec: measure(messaging(alice, bob, true), 1500), note: "msgs/s; a DH ratchet step on every message" });
  rows.push({ name: "session setup (initiate + first message + accept)", opsPerSec: measure(() => setup(alice, bob), 1500), note: "ops/s, both sides, no one-time prekey, peer device list already verified; goal >= 700" });
  rows.push({ name: "  initiator only (2 prekey signatures, 4 DH, ML-KEM encaps)", opsPerSec: measure(() => initiateSession(provider, { local: alice.local, bundle: bob.bundle, remoteIdentityKey: bob.account.keyPair.publicKey, remoteDeviceList: bob.list }), 800) });
  const aead = provider.randomBytes(MiB), key = provider.randomBytes(32), nonce = provider.randomBytes(12), empty = new Uint8Array(0);
  const rawAead = measure(() => provider.aeadSeal(key, nonce, aead, empty), 800);
  const sha = measure(() => provider.sha256(aead), 800);
  // Best of two runs each: the streams are long, but the machine is shared.
  const best = async (backgroundDigest: boolean) => {
    const [one, two] = [await streamMbPerSec(256 * MiB, backgroundDigest), await streamMbPerSec(256 * MiB, backgroundDigest)];
    return { encrypt: Math.max(one.encrypt, two.encrypt), decrypt: Math.max(one.decrypt, two.decrypt) };
  };
  const stream = await best(true);
  const inline = await best(false);
  rows.push({ name: "raw AES-256-GCM seal, 1 MiB buffers", mbPerSec: rawAead });
  rows.push({ name: "raw SHA-256, 1 MiB buffers", mbPerSec: sha, note: "the attachment digest is over the whole ciphertext" });
  const ceiling = 1 / (1 / rawAead + 1 / sha);
  rows.push({ name: "ceiling: AEAD then SHA-256 on one core", mbPerSec: ceiling, note: `${((ceiling / rawAead) * 100).toFixed(0)}% of raw AEAD: the best a single-threaded stream can do` });
  const pct = (v: number) => `${((v / rawAead) * 100).toFixed(0)}% of raw AEAD`;
  rows.push({ name: "attachment encrypt stream, 256 MiB, background digest", mbPerSec: stream.encrypt, note: `${pct(stream.encrypt)}; goal >= 70%; SHA-256 on a worker thread` });
  rows.push({ name: "attachment decrypt stream, 256 MiB, background digest", mbPerSec: stream.decrypt, note: pct(stream.decrypt) });
  rows.push({ name: "attachment encrypt stream, 256 MiB, inline digest", mbPerSec: inline.encrypt, note: `${pct(inline.encrypt)}; one core` });
  rows.push({ name: "attachment decrypt stream, 256 MiB, inline digest", mbPerSec: inline.decrypt, note: pct(inline.decrypt) });
  const bigMiB = Number(process.env.KABAR_BENCH_ATTACHMENT_MIB ?? 0);
  if (bigMiB > 0) rows.push({ name: `attachment encrypt->decrypt chained, ${bigMiB} MiB`, mbPerSec: await chainedMbPerSec(bigMiB * MiB), note: "constant memory; both directions in one pipeline" });
  const x = provider.x25519GenerateKeyPair(), y = provider.x25519GenerateKeyPair();
  rows.push({ name: "raw X25519 DH", opsPerSec: measure(() => provider.x25519(x, y.publicKey), 400) });
  rows.push({ name: "raw X25519 key generation", opsPerSec: measure(() => provider.x25519GenerateKeyPair(), 400) });
  const ed = provider.ed25519GenerateKeyPair(), msg = provider.randomBytes(200), sig = provider.ed25519Sign(ed, msg);
  rows.push({ name: "raw Ed25519 sign, 200 B", opsPerSec: measure(() => provider.ed25519Sign(ed, msg), 400) });
  rows.push({ name: "raw Ed25519 verify, 200 B", opsPerSec: measure(() => provider.ed25519Verify(ed.publicKey, msg, sig), 400) });
  const kem = provider.mlKemGenerateKeyPair(), enc = provider.mlKemEncapsulate(kem.publicKey);
  rows.push({ name: "raw ML-KEM-768 encapsulate", opsPerSec: measure(() => provider.mlKemEncapsulate(kem.publicKey), 400), note: "@noble/post-quantum (pure JS)" });
  rows.push({ name: "raw ML-KEM-768 decapsulate", opsPerSec: measure(() => provider.mlKemDecapsulate(enc.cipherText, kem.secretKey), 400) });
  return rows;
}

/** Maps rows onto the repository's shared table printer. */
export function toBenchRows(table: BenchTable): BenchRow[] {
  return table.map((row) => ({
    group: "crypto", name: row.name, value: row.mbPerSec ?? row.opsPerSec ?? 0, unit: row.mbPerSec !== undefined ? "MB/s" : "ops/s", ...(row.note ? { note: row.note } : {}),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) printTable(toBenchRows(await run()));
