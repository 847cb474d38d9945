// Providers for server mode. The kit reaches a server under test in one of
// three ways: a URL it is already listening on (restarted, if at all, by a
// user-supplied command), a command the kit starts itself (the server prints
// {"event":"listening","url":"ws://..."} as its first stdout line), or a
// server adapter answering StartServer and RestartServer.
import { spawn, exec, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Transcript } from "../adapter/transcript.js";
import { ConformanceError } from "../errors.js";
import type { Profile } from "../rules/rule.js";
import { AdapterSession } from "./adapter-session.js";
import type { ServerTarget, TargetProvider } from "./target-types.js";

/** How long a server may take to print its listening line. */
export const DEFAULT_SERVER_START_TIMEOUT_MS = 30_000;

/** A server already running at `url`; `restartCommand` (run through the shell) restarts it. */
export function urlServerProvider(options: { url: string; restartCommand?: string; profiles: readonly Profile[] }): TargetProvider<"server"> {
  let transcript: Transcript | undefined;
  const target: ServerTarget = {
    url: options.url,
    async restart() {
      if (options.restartCommand === undefined) throw new ConformanceError("HARNESS", "this property restarts the server: pass --restart-cmd or use --cmd");
      await new Promise<void>((resolve, reject) =>
        exec(options.restartCommand!, { timeout: DEFAULT_SERVER_START_TIMEOUT_MS }, (error, stdout, stderr) => {
          transcript?.add("stdout", stdout);
          transcript?.add("stderr", stderr);
          if (error) reject(new ConformanceError("SERVER_START_FAILED", `--restart-cmd failed: ${error.message}`));
          else resolve();
        }),
      );
      return options.url;
    },
  };
  return {
    mode: "server",
    replayTarget: `server:url:${options.url}`,
    identity: null,
    profiles: options.profiles,
    acquire: async (t) => {
      transcript = t;
      return target;
    },
    close: async () => undefined,
  };
}

/** Starts `command`, waits for its listening line, and restarts it on demand or after it died. */
export async function commandServerProvider(options: { command: string; profiles: readonly Profile[]; startTimeoutMs?: number }): Promise<TargetProvider<"server">> {
  let transcript: Transcript | undefined;
  let child: ChildProcess | undefined;
  let url = "";
  let alive = false;
  // The server's log lines (stdout after the listening line, stderr), the most recent kept.
  const logLines: string[] = [];
  const keepLog = (line: string): void => {
    logLines.push(line);
    if (logLines.length > 20_000) logLines.splice(0, logLines.length - 20_000);
  };

  const start = async (): Promise<string> => {
    const proc = spawn(options.command, { shell: true, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    alive = true;
    proc.once("exit", () => {
      alive = false;
    });
    proc.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      transcript?.add("stderr", text);
      for (const line of text.split("\n")) if (line !== "") keepLog(line);
    });
    const lines = createInterface({ input: proc.stdout! });
    return new Promise<string>((resolve, reject) => {
      let first = true;
      const timer = setTimeout(() => reject(new ConformanceError("SERVER_START_FAILED", `the server printed no listening line within ${options.startTimeoutMs ?? DEFAULT_SERVER_START_TIMEOUT_MS} ms`)), options.startTimeoutMs ?? DEFAULT_SERVER_START_TIMEOUT_MS);
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new ConformanceError("SERVER_START_FAILED", `the server exited (${signal ?? `exit code ${code}`}) before listening`));
      });
      lines.on("line", (line) => {
        if (!first) {
          transcript?.add("stdout", line);
          keepLog(line);
          return;
        }
        first = false;
        clearTimeout(timer);
        try {
          const event = JSON.parse(line) as { event?: unknown; url?: unknown };
          if (event.event !== "listening" || typeof event.url !== "string" || !/^wss?:\/\//.test(event.url)) throw new Error("not a listening event");
          url = event.url;
          resolve(url);
        } catch {
          reject(new ConformanceError("SERVER_START_FAILED", `the server's first stdout line is not {"event":"listening","url":"ws://..."}: ${line.slice(0, 200)}`));
        }
      });
    });
  };

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (child === undefined || !alive) return;
    const exited = new Promise<void>((resolve) => child!.once("exit", () => resolve()));
    try {
      process.kill(-child.pid!, signal);
    } catch {
      child.kill(signal);
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child!.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  const target: ServerTarget = {
    get url() {
      return url;
    },
    async restart(restartOptions = {}) {
      await stop(restartOptions.crash === true ? "SIGKILL" : "SIGTERM");
      return start();
    },
    logs: () => [...logLines],
    pid: () => (alive ? child?.pid : undefined),
  };
  return {
    mode: "server",
    replayTarget: `server:cmd:${options.command}`,
    identity: null,
    profiles: options.profiles,
    acquire: async (t) => {
      transcript = t;
      if (!alive) await start();
      return target;
    },
    close: () => stop("SIGTERM"),
  };
}

/** A server behind a server adapter (StartServer / RestartServer). */
export async function adapterServerProvider(options: { command: string; timeoutMs?: number; profiles?: readonly Profile[] }): Promise<TargetProvider<"server">> {
  const session = new AdapterSession({ command: options.command, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
  const identity = await session.start();
  if (identity.kind !== "server") {
    await session.close();
    throw new ConformanceError("USAGE", `the adapter describes a ${identity.kind}; use \`kabar-conformance client --adapter\``);
  }
  let url = (await (await session.client()).call("startServer", {})).url;
  let startedIn = session.starts;
  return {
    mode: "server",
    replayTarget: `server:adapter:${options.command}`,
    identity,
    profiles: options.profiles ?? identity.profiles,
    acquire: async (transcript) => {
      const client = await session.client(transcript);
      // A restarted adapter has forgotten its server: start it again.
      if (session.starts !== startedIn) {
        url = (await client.call("startServer", {})).url;
        startedIn = session.starts;
      }
      return {
        get url() {
          return url;
        },
        async restart(restartOptions = {}) {
          url = (await client.call("restartServer", { crash: restartOptions.crash === true })).url;
          return url;
        },
      };
    },
    close: () => session.close(),
  };
}

/** A server target the kit runs in-process (a server mutant); `close` stops it. */
export function inProcessServerProvider(target: ServerTarget & { close(): Promise<void> }, options: { replayTarget: string; profiles: readonly Profile[] }): TargetProvider<"server"> {
  return {
    mode: "server",
    replayTarget: options.replayTarget,
    identity: null,
    profiles: options.profiles,
    acquire: async () => target,
    close: () => target.close(),
  };
}

/** A registered server mutant (the reference server with one behaviour broken), started in-process. */
export async function mutantServerProvider(id: string, profiles: readonly Profile[] = ["core", "groups", "files"]): Promise<TargetProvider<"server">> {
  const { mutantRegistry } = await import("../registry/mutant-registry.js");
  const mutant = mutantRegistry.get(id);
  if (mutant === undefined || mutant.target !== "server" || mutant.create === undefined) {
    const known = mutantRegistry.list("server").map((m) => m.id).join(", ");
    throw new ConformanceError("USAGE", `no server mutant ${id}; known: ${known}`);
  }
  const target = (await mutant.create()) as ServerTarget & { close?: () => Promise<void> };
  return inProcessServerProvider({ ...target, get url() { return target.url; }, restart: (o) => target.restart(o), close: () => target.close?.() ?? Promise.resolve() }, { replayTarget: `server:mutant:${id}`, profiles });
}
