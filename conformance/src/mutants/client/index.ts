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
  { flag: "ignores-gaps", breaks: ["CLIENT-APPLY-003", "CLIENT-APPLY-004"], description: "Applies a pushed update after a gap at once instead of fetching the difference first, so the skipped updates are never applied." },
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
  { flag: "no-history-handover", breaks: ["CLIENT-HISTORY-001"], description: "Approves a new device without handing it the history keys, so it cannot read earlier messages." },
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
