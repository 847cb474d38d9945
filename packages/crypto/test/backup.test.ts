import { describe, expect, it } from "vitest";
import { ErrorCode } from "@kabar/protocol";
import { createRecoverySecret, formatRecoverySecret, parseRecoverySecret } from "../src/backup/recovery-secret.js";
import { backupMasterKey, openBackup, sealBackup } from "../src/backup/key-backup.js";
import { expectKabarError, provider } from "./fixtures.js";

const accountId = new Uint8Array(32).fill(3);
const entries = new Map([["conv-1/dist-a", new Uint8Array([1, 2, 3])], ["conv-2/dist-b", new Uint8Array(64).fill(9)]]);

describe("key backup", () => {
  it("ENC-BACKUP-001: recovery secrets format as 13 groups of base32 and parse back exactly", () => {
    const secret = createRecoverySecret(provider);
    const text = formatRecoverySecret(secret);
    expect(text).toMatch(/^([A-Z2-7]{4} ){12}[A-Z2-7]{4}$/);
    expect(parseRecoverySecret(text.toLowerCase())).toEqual(secret);
    expectKabarError(() => parseRecoverySecret(text.slice(0, -1)), ErrorCode.BACKUP_INVALID);
    expectKabarError(() => parseRecoverySecret(text.replace(/.$/, "1")), ErrorCode.BACKUP_INVALID);
  });

  it("ENC-BACKUP-002/003/004/005: round-trips; wrong secret, account, version or any flipped byte is BACKUP_INVALID", () => {
    const secret = createRecoverySecret(provider);
    const master = backupMasterKey(provider, secret, accountId);
    const blob = sealBackup(provider, master, accountId, 5n, entries);
    const opened = openBackup(provider, master, accountId, blob, 5n);
    expect(opened.version).toBe(5n);
    expect(opened.entries).toEqual(entries);
    const wrong = backupMasterKey(provider, createRecoverySecret(provider), accountId);
    expectKabarError(() => openBackup(provider, wrong, accountId, blob), ErrorCode.BACKUP_INVALID);
    expectKabarError(() => openBackup(provider, master, new Uint8Array(32), blob), ErrorCode.BACKUP_INVALID);
    expectKabarError(() => openBackup(provider, master, accountId, blob, 6n), ErrorCode.BACKUP_INVALID);
    for (let i = 0; i < blob.length; i += 7) {
      const bad = new Uint8Array(blob); bad[i]! ^= 1;
      expectKabarError(() => openBackup(provider, master, accountId, bad), ErrorCode.BACKUP_INVALID);
    }
  });
});
