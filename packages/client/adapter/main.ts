// The reference client's conformance adapter as a program: reads
// u32be(length) || AdapterRequest frames from stdin, answers each, in order,
// with one u32be(length) || AdapterResponse frame on stdout
// (CONF-ADAPTER-001..003). Diagnostics go to stderr only.
//
//   node --import tsx --conditions=@kabar/source packages/client/adapter/main.ts [--server ws://...] [--mutant <id>]
//
// The server URL normally comes from the kit in every Reset; --server (or
// KABAR_SERVER_URL) is the fallback. --mutant is for the kit's own tests.
import { AdapterRequest, AdapterResponse, decodeMessage, encodeMessage } from "@kabar/protocol";
import { CLIENT_ADAPTER_MUTANTS, type ClientAdapterMutant } from "./adapter-mutants.js";
import { KabarClientAdapter } from "./kabar-client-adapter.js";

const MAX_FRAME = 16 * 1024 * 1024;

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

// Anything printed by a dependency must not corrupt the framing on stdout.
console.log = (...args: unknown[]) => console.error(...args);
console.info = console.log;

const mutant = argument("--mutant");
if (mutant !== undefined && !(mutant in CLIENT_ADAPTER_MUTANTS)) {
  process.stderr.write(`unknown --mutant ${mutant}; known: ${Object.keys(CLIENT_ADAPTER_MUTANTS).join(", ")}\n`);
  process.exit(2);
}
const serverUrl = argument("--server") ?? process.env.KABAR_SERVER_URL;
const adapter = new KabarClientAdapter({ ...(serverUrl !== undefined ? { serverUrl } : {}), ...(mutant !== undefined ? { mutant: mutant as ClientAdapterMutant } : {}) });

let buffer = Buffer.alloc(0);
let queue: Promise<void> = Promise.resolve();

function write(response: AdapterResponse): void {
  const body = encodeMessage(AdapterResponse, response);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  process.stdout.write(Buffer.concat([header, body]));
}

process.stdin.on("data", (chunk: Buffer) => {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 4) {
    const length = buffer.readUInt32BE(0);
    if (length > MAX_FRAME) {
      process.stderr.write(`request frame of ${length} bytes announced; exiting\n`);
      process.exit(2);
    }
    if (buffer.length < 4 + length) break;
    const frame = buffer.subarray(4, 4 + length);
    buffer = buffer.subarray(4 + length);
    let request: AdapterRequest;
    try {
      request = decodeMessage(AdapterRequest, frame);
    } catch (error) {
      process.stderr.write(`undecodable request: ${(error as Error).message}\n`);
      continue;
    }
    // Requests are answered strictly in arrival order.
    queue = queue.then(async () => {
      if (request.op === undefined) {
        write({ id: request.id, result: { $case: "error", value: { kind: 2, message: "request without an operation", code: 0 } } });
        return;
      }
      write({ id: request.id, result: await adapter.handle(request.op) });
    });
  }
});

process.stdin.on("end", () => {
  // CONF-ADAPTER-008: exit promptly once the kit closes stdin.
  setTimeout(() => process.exit(0), 1_000).unref();
  void adapter.closeAll().finally(() => process.exit(0));
});
process.on("unhandledRejection", (error) => process.stderr.write(`unhandled rejection: ${String(error)}\n`));
process.stderr.write(`kabar-client-js adapter ready${mutant !== undefined ? ` (mutant: ${mutant})` : ""}\n`);
