// Key backup (CLIENT-HISTORY-003, with the construction of ENC-BACKUP-002/003):
// every upload of the client is recorded by an adversary in front of the
// kit's server, the backup blob is opened with the kit's own model of the
// backup construction under the recovery secret the client showed, and a
// new device restores it, once from a blob tampered with on its way back
// (in the HMAC tag, and anywhere else) and once intact.
import fc from "fast-check";
import { ErrorCode, type Frame } from "@kabar/protocol";
import { startAdversary, type AdversaryEvent } from "../../../adversary/adversary.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import { aeadOpen, backupMaster, hkdf, hmac } from "../../crypto/group-file-backup-model.js";
import { aliceAndBob, note, shownTexts, syncAll } from "./client-world.js";

const RULE = "CLIENT-HISTORY-003";
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** ENC-BACKUP-001: the 32-byte secret of a displayed recovery secret, or a complaint. */
function parseSecret(text: string): Uint8Array | string {
  const chars = text.replace(/[\s-]/g, "").toUpperCase();
  if (chars.length !== 52 || [...chars].some((c) => !BASE32.includes(c))) return `${JSON.stringify(text)} is not 52 base32 characters`;
  let bits = 0n;
  for (const c of chars) bits = (bits << 5n) | BigInt(BASE32.indexOf(c));
  if ((bits & 0xfn) !== 0n) return "the 4 trailing bits of the recovery secret are not zero";
  bits >>= 4n;
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, bits >>= 8n) out[i] = Number(bits & 0xffn);
  return out;
}

/** ENC-BACKUP-003/004 with the kit's model: the entry count of a blob that opens under `master`, or why it does not. */
function openWithModel(master: Uint8Array, accountId: Uint8Array, blob: Uint8Array): number | string {
  if (blob.length < 4 + 8 + 16 + 12 + 16 + 32 || Buffer.from(blob.subarray(0, 4)).toString("latin1") !== "KBK1") return "it does not start with the KBK1 magic";
  const body = blob.subarray(0, blob.length - 32);
  const salt = blob.subarray(12, 28);
  if (!Buffer.from(hmac(hkdf(salt, master, "kabar-v1 backup mac", 32), cat(accountId, body))).equals(blob.subarray(blob.length - 32))) {
    return "its HMAC does not verify under the key derived from the recovery secret";
  }
  const entries = aeadOpen(hkdf(salt, master, "kabar-v1 backup encryption", 32), blob.subarray(28, 40), body.subarray(40), cat(utf8("KBK1"), accountId, blob.subarray(4, 12)));
  if (entries === undefined) return "its AEAD does not open under the key derived from the recovery secret";
  if (entries.length < 4) return "its entries are truncated";
  return Buffer.from(entries).readUInt32BE(0);
}

interface Upload {
  readonly account: string | undefined;
  readonly conversationId: Uint8Array;
  partSize: number;
  readonly parts: Map<number, Uint8Array>;
}

/** Records uploads (to the server) and flips one byte of downloaded ranges while armed. */
class BackupWatch {
  readonly uploads = new Map<string, Upload>();
  private readonly creating = new Map<string, Upload>();
  private readonly ranges = new Map<string, bigint>();
  /** While set: where to flip a byte of the blob being downloaded, given its size, and with which mask. */
  tamper: { at: (size: number) => number; mask: number } | undefined;
  tampered = 0;

  readonly script = (event: AdversaryEvent): readonly Frame[] | undefined => {
    const kind = event.frame.kind;
    const key = (id: bigint) => `${event.connection}:${id}`;
    if (kind?.$case === "request") {
      const body = kind.value.body;
      if (body?.$case === "createUpload") this.creating.set(key(kind.value.requestId), { account: event.account, conversationId: body.value.conversationId, partSize: 0, parts: new Map() });
      if (body?.$case === "uploadPart") this.uploads.get(hex(body.value.uploadId))?.parts.set(body.value.partIndex, body.value.data);
      if (body?.$case === "downloadRange") this.ranges.set(key(kind.value.requestId), body.value.offset);
      return undefined;
    }
    if (kind?.$case !== "response") return undefined;
    const result = kind.value.result;
    if (result?.$case === "createUpload" && result.value.upload !== undefined) {
      const upload = this.creating.get(key(kind.value.requestId));
      if (upload !== undefined) {
        upload.partSize = result.value.upload.partSize;
        this.uploads.set(hex(result.value.upload.uploadId), upload);
      }
    }
    const offset = this.ranges.get(key(kind.value.requestId));
    if (result?.$case !== "downloadRange" || offset === undefined || this.tamper === undefined) return undefined;
    const at = this.tamper.at(Number(result.value.size)) - Number(offset);
    if (at < 0 || at >= result.value.data.length) return undefined;
    const data = new Uint8Array(result.value.data);
    data[at]! ^= this.tamper.mask;
    this.tampered++;
    return [{ kind: { $case: "response", value: { ...kind.value, result: { $case: "downloadRange", value: { ...result.value, data } } } } }];
  };

  /** Every recorded upload, reassembled. */
  blobs(): { account: string | undefined; conversationId: Uint8Array; bytes: Uint8Array }[] {
    return [...this.uploads.values()].map((u) => ({
      account: u.account, conversationId: u.conversationId,
      bytes: cat(...[...u.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, data]) => data)),
    }));
  }
}

const text = fc.string({ minLength: 1, maxLength: 12 });

defineProperty({
  id: "client.history.key-backup",
  rules: [RULE],
  mode: "client",
  profile: "history",
  numRuns: 2,
  description: "The key backup a client writes opens, with the kit's model of the backup construction, under the recovery secret it showed and is uploaded with an empty conversation id; a new device restoring it rejects a blob served with one byte flipped (in the HMAC tag, or anywhere else) with BACKUP_INVALID and shows none of the earlier messages, and with the blob intact shows them all.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(
      fc.array(fc.tuple(fc.boolean(), text), { minLength: 1, maxLength: 3 }),
      fc.record({ tagByte: fc.integer({ min: 0, max: 31 }), tagMask: fc.integer({ min: 1, max: 255 }), bodyFraction: fc.integer({ min: 0, max: 0xffff }), bodyMask: fc.integer({ min: 1, max: 255 }) }),
      async (script, flips) => {
        const watch = new BackupWatch();
        const adversary = await startAdversary(await target.serverUrl(), watch.script);
        try {
          const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url, 2);
          await adapter.call("syncNow", { device: bob.devices[0]! });
          for (const [fromAlice, t] of script) await adapter.call("sendText", { device: fromAlice ? alice.devices[0]! : bob.devices[0]!, conversation, text: t });
          await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
          const expected = script.map(([, t]) => t);

          const { recoverySecret } = await adapter.call("setUpBackup", { device: alice.devices[0]! });
          const secret = parseSecret(recoverySecret);
          if (typeof secret === "string") throw new RuleViolation(RULE, `the recovery secret shown: ${secret}`);
          const accountId = new Uint8Array(Buffer.from(alice.account, "hex"));
          const master = backupMaster(secret, accountId);
          const checkUploads = (when: string): void => {
            const backups = watch.blobs().filter((b) => b.account === alice.account && b.conversationId.length === 0);
            if (backups.length === 0) throw new RuleViolation(RULE, `${when}: the device uploaded no account-only blob (empty conversation id) for its key backup`);
            for (const b of watch.blobs()) {
              if (b.conversationId.length !== 0 && Buffer.from(b.bytes.subarray(0, 4)).toString("latin1") === "KBK1") {
                throw new RuleViolation(RULE, `${when}: a key backup was uploaded into conversation ${hex(b.conversationId)} instead of as an account-only blob`);
              }
            }
            for (const b of backups) {
              const opened = openWithModel(master, accountId, b.bytes);
              if (typeof opened === "string") throw new RuleViolation(RULE, `${when}: the account-only blob of ${b.bytes.length} bytes is not a backup sealed under the recovery secret: ${opened}`);
              if (opened === 0) throw new RuleViolation(RULE, `${when}: the key backup holds no history key although the device decrypted group messages`);
            }
          };
          checkUploads("after SetUpBackup");

          const restore = async (how: string, tamper: BackupWatch["tamper"]): Promise<void> => {
            watch.tamper = tamper;
            watch.tampered = 0;
            const restored = await adapter.call("restoreBackup", { account: alice.account, approverDevice: alice.devices[0]!, recoverySecret });
            watch.tamper = undefined;
            alice.devices.push(restored.device);
            note(transcript, `${how}: device ${restored.device}, rejected ${restored.rejected}, ${watch.tampered} range(s) tampered with`);
            await syncAll(adapter, [restored.device], 1);
            const shown = await shownTexts(adapter, restored.device, conversation);
            if (tamper === undefined) {
              if (restored.rejected !== 0) throw new RuleViolation(RULE, `${how}: the restore of the intact backup was rejected with ${ErrorCode[restored.rejected] ?? restored.rejected}`);
              if (shown.join("\u0000") !== expected.join("\u0000")) {
                throw new RuleViolation(RULE, `${how}: after restoring, the new device shows ${JSON.stringify(shown)}; the history is ${JSON.stringify(expected)}`);
              }
              return;
            }
            if (watch.tampered === 0) throw new RuleViolation(RULE, `${how}: the new device restored without downloading the backup blob`);
            if (restored.rejected !== ErrorCode.BACKUP_INVALID) {
              throw new RuleViolation(RULE, `${how}: a backup that does not authenticate was ${restored.rejected === 0 ? "accepted" : `rejected with ${ErrorCode[restored.rejected] ?? restored.rejected}, not BACKUP_INVALID`}`);
            }
            const leaked = shown.filter((t) => expected.includes(t));
            if (leaked.length > 0) throw new RuleViolation(RULE, `${how}: after rejecting the backup the new device shows ${JSON.stringify(leaked)} from the history`);
          };
          await restore(`backup served with byte ${flips.tagByte} of its HMAC tag flipped`, { at: (size) => size - 32 + flips.tagByte, mask: flips.tagMask });
          await restore(`backup served with one byte before its HMAC tag flipped`, { at: (size) => Math.floor(((size - 32) * flips.bodyFraction) / 0x10000), mask: flips.bodyMask });
          await restore("intact backup", undefined);
          checkUploads("after the restores");
        } finally {
          await adversary.close();
        }
      },
    ),
});
