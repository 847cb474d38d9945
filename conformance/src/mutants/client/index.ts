// Client mutants: the reference client's adapter (packages/client/adapter)
// started with `--mutant <id>`, which changes one behaviour at the
// adapter/SDK boundary (see packages/client/adapter/adapter-mutants.ts).
// They exist only in this repository; test/client-kill-matrix.test.ts runs
// the client suite against each, scoped to the rules it breaks.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Transcript } from "../../adapter/transcript.js";
import { ConformanceError } from "../../errors.js";
import { defineMutant } from "../../registry/mutant-registry.js";
import { clientAdapterProvider } from "../../targets/client-provider.js";

/** The command line of the reference client adapter (from its TypeScript sources), optionally broken by `mutant`. */
export function referenceClientAdapterCommand(mutant?: string): string {
  // Same depth from src/ and dist/: conformance/{src,dist}/mutants/client/.
  const main = fileURLToPath(new URL("../../../../packages/client/adapter/main.ts", import.meta.url));
  if (!existsSync(main)) throw new ConformanceError("HARNESS", `the reference client adapter is not in this checkout (${main})`);
  return `"${process.execPath}" --conditions=@kabar/source --import tsx "${main}"${mutant !== undefined ? ` --mutant ${mutant}` : ""}`;
}

/** Each mutant: the adapter flag, the rules it breaks, what it does. */
export const CLIENT_MUTANTS: readonly { readonly flag: string; readonly breaks: readonly string[]; readonly description: string }[] = [
  { flag: "ignores-gaps", breaks: ["CLIENT-APPLY-003", "CLIENT-APPLY-004", "SYNC-APPLY-003"], description: "Applies a pushed update after a gap at once instead of fetching the difference first, so the skipped updates are never applied." },
  { flag: "shows-replay-twice", breaks: ["CLIENT-DEDUP-003"], description: "Shows a message a second time when the server pushes its update again." },
  { flag: "orders-by-message-id", breaks: ["CLIENT-ORDER-001"], description: "Orders a conversation's messages by message id instead of by server sequence." },
  { flag: "accepts-unsigned-device", breaks: ["CLIENT-TRUST-001"], description: "Accepts device lists and certificates whose signatures do not verify, so it sends keys to devices the account never signed." },
  { flag: "keeps-corrupt-document", breaks: ["ENC-ATTACH-005"], description: "Returns what a document download produced even when a chunk failed authentication or the digest did not match." },
  { flag: "drops-offline-sends", breaks: ["CLIENT-SEND-001"], description: "Discards texts sent while the device is offline instead of queueing them." },
  { flag: "hides-device-changes", breaks: ["CLIENT-TRUST-002"], description: "Does not surface a contact's new device to the user (no device-added notice)." },
  { flag: "ignores-too-long", breaks: ["CLIENT-APPLY-005"], description: "Ignores UpdatesTooLong pushes instead of fetching the difference." },
  { flag: "keeps-chain-after-removal", breaks: ["CLIENT-GROUP-001"], description: "Keeps its sender-key chain after a group member is removed instead of replacing it before the next send." },
  { flag: "reuses-auth-signature", breaks: ["CLIENT-CONN-002"], description: "Authenticates every new connection with the signature of the device's first connection instead of signing the new challenge." },
  { flag: "trusts-content-message-id", breaks: ["CLIENT-DEDUP-004"], description: "Shows a conversation message whose decrypted Content.message_id differs from the client_message_id the server deduplicated it under, instead of ignoring it." },
  { flag: "stalls-on-undecryptable", breaks: ["CLIENT-INBOX-002"], description: "Treats an inbox entry it cannot decrypt as a transient failure: it is never acknowledged and blocks the entries behind it." },
  { flag: "reapplies-duplicate-updates", breaks: ["CLIENT-DEDUP-001", "SYNC-APPLY-002"], description: "Applies a pushed update whose seq is at most its local seq again instead of ignoring it." },
  { flag: "reprocesses-inbox-entries", breaks: ["CLIENT-DEDUP-002"], description: "Processes an inbox entry again when it is served with an inbox seq at most the highest one it processed." },
  { flag: "forgets-local-seq", breaks: ["SYNC-APPLY-001", "CLIENT-APPLY-001"], description: "Applies a pushed update without setting its local seq to the update's seq (only fetched differences move it)." },
  { flag: "skips-difference-tail", breaks: ["CLIENT-APPLY-002"], description: "Never applies the last update of a fetched difference, yet moves its local seq past it." },
  { flag: "no-sync-on-reconnect", breaks: ["CLIENT-APPLY-006", "TRANSPORT-CONN-007"], description: "After a reconnect drains the inbox and sends its queue but does not fetch the log difference from its local seq." },
  { flag: "acks-inbox-before-processing", breaks: ["CLIENT-INBOX-001"], description: "Acknowledges a page of inbox entries as soon as it is fetched, before processing them, so a transient failure loses them." },
  { flag: "accepts-older-device-list", breaks: ["CLIENT-TRUST-003"], description: "Accepts a device list whose version is lower than one it accepted for the same account." },
  { flag: "drops-on-mismatch", breaks: ["CLIENT-SEND-002"], description: "Gives a conversation message up on RECIPIENTS_MISMATCH instead of catching up and re-encrypting it under the same client message id." },
  { flag: "skips-own-certificate-check", breaks: ["CLIENT-LINK-003"], description: "Uses a newly linked device although the account's signed list does not certify its keys." },
  { flag: "skips-link-signature-check", breaks: ["CLIENT-LINK-001"], description: "Certifies the keys of a linking payload whose signature does not verify." },
  { flag: "accepts-foreign-edits", breaks: ["CLIENT-AUTH-001"], description: "Applies an Edit or Delete whose sender account differs from the sender of the target message." },
  { flag: "no-history-handover", breaks: ["CLIENT-HISTORY-001"], description: "Approves a new device without handing it the history keys, so it cannot read earlier messages." },
  { flag: "fixed-backoff", breaks: ["CLIENT-CONN-001"], description: "Waits the full ceiling min(max, base * 2^attempt) before each reconnection attempt: exponential backoff without jitter." },
  { flag: "no-backoff-reset", breaks: ["CLIENT-CONN-001"], description: "Keeps counting reconnection attempts across successful authentications, so every later outage starts at the longest waits." },
  { flag: "backup-not-sealed-with-secret", breaks: ["CLIENT-HISTORY-003"], description: "Seals its key backup under a master key derived from the account id alone instead of from the recovery secret." },
  { flag: "restore-accepts-tampered-backup", breaks: ["CLIENT-HISTORY-003"], description: "Restores a key backup without checking its HMAC, so a blob tampered with on the server is used." },
  { flag: "backup-in-conversation", breaks: ["CLIENT-HISTORY-003"], description: "Uploads its key backup into the conversation it last sent to instead of as an account-only blob (empty conversation id)." },
  { flag: "skips-receipt-signature", breaks: ["PAY-RECEIPT-002"], description: "Shows a payment as done without verifying the receipt's provider signature, so a receipt with a forged or altered signature is accepted." },
  { flag: "trusts-receipt-body", breaks: ["PAY-RECEIPT-002"], description: "Verifies a receipt's provider signature but not that its body names the invoice, payer and total it paid." },
  { flag: "accepts-foreign-history-share", breaks: ["CLIENT-HISTORY-002"], description: "Imports the history keys of a HistoryKeyShare sent by a device of another account, as if one of its own devices had sent it." },
];

for (const mutant of CLIENT_MUTANTS) {
  defineMutant({
    id: `client.${mutant.flag}`,
    breaks: mutant.breaks,
    target: "client",
    description: mutant.description,
    create: async () => (await clientAdapterProvider({ command: referenceClientAdapterCommand(mutant.flag) })).acquire(new Transcript()),
  });
}
