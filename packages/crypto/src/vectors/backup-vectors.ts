// Published vectors for the key backup (ENC-BACKUP-*): explicit secret,
// account, salt and nonce; the blob; and rejection cases.
import { isKabarError, errorCodeName } from "@kabar/protocol";
import { NodeCryptoProvider } from "../provider/node-provider.js";
import { deterministicRandom } from "../provider/deterministic-random.js";
import { concatBytes } from "../encoding/bytes.js";
import { backupMasterKey, openBackup, sealBackup } from "../backup/key-backup.js";
import { formatRecoverySecret } from "../backup/recovery-secret.js";
import { hex, seedOf, unhex, type VectorFile, type VectorTest } from "./vector-format.js";

type Attack = "none" | "wrongSecret" | "otherAccount" | "flipCiphertextByte" | "expectNewerVersion";
const CASES: { comment: string; attack: Attack }[] = [
  { comment: "valid backup with two entries", attack: "none" },
  { comment: "wrong recovery secret", attack: "wrongSecret" },
  { comment: "blob presented for another account", attack: "otherAccount" },
  { comment: "one ciphertext byte flipped", attack: "flipCiphertextByte" },
  { comment: "rolled back: caller expects a newer version", attack: "expectNewerVersion" },
];

export function blobOf(inputs: Record<string, unknown>): Uint8Array {
  const provider = new NodeCryptoProvider({ random: (n) => (n === 16 ? unhex(inputs.salt) : unhex(inputs.nonce)) });
  const master = backupMasterKey(provider, unhex(inputs.secret), unhex(inputs.accountId));
  const entries = new Map(Object.entries(inputs.entries as Record<string, string>).map(([k, v]) => [k, unhex(v)]));
  return sealBackup(provider, master, unhex(inputs.accountId), BigInt(Number(inputs.backupVersion)), entries);
}

export function open(inputs: Record<string, unknown>, blob: Uint8Array, masterCache: Map<string, Uint8Array>): string {
  const provider = new NodeCryptoProvider();
  const attack = inputs.attack as Attack;
  const secret = attack === "wrongSecret" ? unhex(inputs.wrongSecret) : unhex(inputs.secret);
  const accountId = attack === "otherAccount" ? new Uint8Array(32).fill(0xee) : unhex(inputs.accountId);
  const cacheKey = hex(concatBytes(secret, accountId));
  const master = masterCache.get(cacheKey) ?? backupMasterKey(provider, secret, accountId);
  masterCache.set(cacheKey, master);
  const bytes = attack === "flipCiphertextByte" ? blob.map((b, i) => (i === 45 ? b ^ 1 : b)) : blob;
  try {
    const expected = attack === "expectNewerVersion" ? BigInt(Number(inputs.backupVersion) + 1) : undefined;
    const { entries } = openBackup(provider, master, accountId, bytes, expected);
    return `ok:${JSON.stringify(Object.fromEntries([...entries].map(([k, v]) => [k, hex(v)])))}`;
  } catch (error) {
    if (!isKabarError(error)) throw error;
    return `error:${errorCodeName(error.code)}`;
  }
}

/** Generates the backup vector file (scrypt N=2^15: about 0.1 s per distinct secret). */
export function generateBackupVectors(): VectorFile {
  const random = deterministicRandom(seedOf("kabar-v1 vectors backup"));
  const secret = random(32);
  const base = {
    secret: hex(secret), secretText: formatRecoverySecret(secret), wrongSecret: hex(random(32)), accountId: hex(random(32)),
    backupVersion: 3, salt: hex(random(16)), nonce: hex(random(12)), entries: { "conversation/a": hex(random(32)), "conversation/b": hex(random(48)) },
  };
  const cache = new Map<string, Uint8Array>();
  const tests: VectorTest[] = CASES.map((c, index) => {
    const inputs = { ...base, attack: c.attack };
    const blob = blobOf(inputs);
    const result = open(inputs, blob, cache);
    return {
      tcId: index + 1, comment: c.comment, rule: c.attack === "expectNewerVersion" ? "ENC-BACKUP-005" : "ENC-BACKUP-004",
      inputs, outputs: { blob: hex(blob) }, result: result.startsWith("ok") ? "valid" : "invalid", ...(result.startsWith("ok") ? {} : { errorCode: result.slice(6) }),
    };
  });
  return {
    algorithm: "kabar-v1 key backup (scrypt, HKDF, AES-256-GCM, HMAC-SHA256)", version: "1",
    notes: "salt and nonce are the blob's random fields. `blob` is the sealed backup; apply `attack` when opening (otherAccount uses account id 0xee*32; flipCiphertextByte flips byte 45).",
    testGroups: [{ type: "KeyBackup", tests }],
  };
}

/** Checks every backup vector: the blob reproduces and opens (or fails) as listed. */
export function checkBackupVectors(file: VectorFile): string[] {
  const failures: string[] = [];
  const cache = new Map<string, Uint8Array>();
  for (const t of file.testGroups.flatMap((g) => g.tests)) {
    const blob = unhex((t.outputs as { blob: string }).blob);
    if (hex(blobOf(t.inputs)) !== hex(blob)) failures.push(`backup tcId ${t.tcId} blob`);
    const result = open(t.inputs, blob, cache);
    if (t.result === "valid" ? !result.startsWith("ok") : result !== `error:${t.errorCode}`) failures.push(`backup tcId ${t.tcId}`);
  }
  return failures;
}
