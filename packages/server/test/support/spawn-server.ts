// Spawns the real kabar-server process (TypeScript sources through tsx) and
// reads the port from its first JSON line.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export interface SpawnedServer {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly exited: Promise<number | null>;
}

export async function spawnServer(args: readonly string[]): Promise<SpawnedServer> {
  const child = spawn(process.execPath, ["--conditions=@kabar/source", "--import", "tsx", cli, "--port", "0", "--quiet", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const listening = await new Promise<{ port: number; url: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    lines.on("line", (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; port?: number; url?: string };
        if (event.event === "listening") {
          clearTimeout(timer);
          resolve({ port: event.port!, url: event.url! });
        }
      } catch {
        // Not JSON: ignore.
      }
    });
    child.on("exit", () => reject(new Error(`server exited: ${stderr}`)));
  });
  return { child, ...listening, exited };
}
