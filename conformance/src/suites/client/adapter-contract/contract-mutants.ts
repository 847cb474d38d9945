// Adapter-contract mutants: the fake client adapter with one contract rule
// broken. They run as programs; `fakeClientAdapterCommand` builds the
// command line, under tsx when the kit runs from its TypeScript sources.
import { fileURLToPath } from "node:url";
import { defineMutant } from "../../../registry/mutant-registry.js";
import { clientAdapterProvider } from "../../../targets/client-provider.js";
import { Transcript } from "../../../adapter/transcript.js";

/** The command that runs the fake client adapter, optionally broken by `mutant`. */
export function fakeClientAdapterCommand(mutant?: string): string {
  const fromSource = import.meta.url.endsWith(".ts");
  const script = fileURLToPath(new URL(`./fake-client-adapter.${fromSource ? "ts" : "js"}`, import.meta.url));
  const runner = fromSource ? `"${process.execPath}" --conditions=@kabar/source --import tsx` : `"${process.execPath}"`;
  return `${runner} "${script}"${mutant !== undefined ? ` --break ${mutant}` : ""}`;
}

function contractMutant(id: string, breaks: string, description: string, timeoutMs?: number): void {
  defineMutant({
    id: `contract.${id}`,
    breaks: [breaks],
    target: "client",
    description,
    create: async () => {
      const provider = await clientAdapterProvider({ command: fakeClientAdapterCommand(id), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      return provider.acquire(new Transcript());
    },
  });
}

contractMutant("stdout-noise", "CONF-ADAPTER-001", "Prints a debug line to stdout, between frames.");
contractMutant("wrong-id", "CONF-ADAPTER-003", "Answers requests after the handshake with the wrong id.");
contractMutant("hang-on-unsupported", "CONF-ADAPTER-004", "Never answers an operation it does not implement.", 1_000);
contractMutant("describe-changes", "CONF-ADAPTER-005", "Reports a different version on every Describe.");
contractMutant("crash-on-unsupported", "CONF-ADAPTER-006", "Exits when asked for an operation it does not implement.");
contractMutant("ignores-eof", "CONF-ADAPTER-008", "Keeps running after its stdin closes.");
contractMutant("reset-keeps-state", "CONF-ADAPTER-007", "Keeps accounts and devices across Reset.");
contractMutant("empty-handles", "CONF-HANDLE-001", "Names new devices with an empty handle.");
contractMutant("unsorted-members", "CONF-STATE-001", "Lists conversation members in descending order.");
contractMutant("digest-of-json", "CONF-DIGEST-001", "Hashes a JSON rendering of the visible state instead of its canonical encoding.");
contractMutant("oversized-frame", "CONF-ADAPTER-002", "Answers GetVisibleState for a conversation with messages with a frame longer than 16 MiB.");
