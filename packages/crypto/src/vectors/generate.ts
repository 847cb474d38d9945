// Builds every published vector file (ENC-VECTOR-001; checked by ENC-VECTOR-002). The output is a pure
// function of fixed seeds, so regenerating must reproduce the committed files.
import { checkAttachmentVectors, generateAttachmentVectors } from "./attachment-vectors.js";
import { checkBackupVectors, generateBackupVectors } from "./backup-vectors.js";
import { checkKeyAgreementVectors, generateKeyAgreementVectors } from "./key-agreement-vectors.js";
import { checkRatchetVectors, generateRatchetVectors } from "./ratchet-vectors.js";
import { checkSenderKeyVectors, generateSenderKeyVectors } from "./sender-key-vectors.js";
import type { VectorFile } from "./vector-format.js";

/** The vector files by file name. */
export async function generateVectorFiles(): Promise<Record<string, VectorFile>> {
  return {
    "key-agreement.json": generateKeyAgreementVectors(),
    "ratchet.json": generateRatchetVectors(),
    "sender-key.json": generateSenderKeyVectors(),
    "attachment.json": await generateAttachmentVectors(),
    "backup.json": generateBackupVectors(),
  };
}

/** Serializes a vector file exactly as committed. */
export function formatVectorFile(file: VectorFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Checks each file against this implementation; returns failure descriptions. */
export async function checkVectorFiles(files: Record<string, VectorFile>): Promise<string[]> {
  const failures: string[] = [];
  const need = (name: string): VectorFile => {
    const file = files[name];
    if (file === undefined) throw new Error(`missing vector file ${name}`);
    return file;
  };
  failures.push(...checkKeyAgreementVectors(need("key-agreement.json")));
  failures.push(...checkRatchetVectors(need("ratchet.json")));
  failures.push(...checkSenderKeyVectors(need("sender-key.json")));
  failures.push(...(await checkAttachmentVectors(need("attachment.json"))));
  failures.push(...checkBackupVectors(need("backup.json")));
  return failures;
}
