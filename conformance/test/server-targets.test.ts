// Server targets: a command the kit starts must announce its URL as its
// first stdout line; restart starts it again; a bad first line or an early
// exit is SERVER_START_FAILED; --url without --restart-cmd cannot restart.
import { describe, expect, it } from "vitest";
import { Transcript } from "../src/adapter/transcript.js";
import { isConformanceError } from "../src/errors.js";
import { commandServerProvider, urlServerProvider } from "../src/targets/server-providers.js";

const node = JSON.stringify(process.execPath);
const fakeServer = (line: string) => `${node} -e ${JSON.stringify(`console.log(${JSON.stringify(line)}); console.error("pid " + process.pid); setInterval(() => {}, 1000)`)}`;

describe("server targets", () => {
  it("start a command, read its listening line, restart it and stop it", async () => {
    const provider = await commandServerProvider({ command: fakeServer('{"event":"listening","url":"ws://127.0.0.1:4567"}'), profiles: ["core"] });
    try {
      const transcript = new Transcript();
      const target = await provider.acquire(transcript);
      expect(target.url).toBe("ws://127.0.0.1:4567");
      expect(await target.restart({ crash: true })).toBe("ws://127.0.0.1:4567");
      await new Promise((r) => setTimeout(r, 100));
      expect(transcript.snapshot().filter((e) => e.channel === "stderr").length).toBeGreaterThanOrEqual(1);
    } finally {
      await provider.close();
    }
  });

  it("refuse a server whose first line is not the listening event, or that exits first", async () => {
    const bad = await commandServerProvider({ command: fakeServer("Server started!"), profiles: ["core"] }).catch((e: unknown) => e);
    expect(isConformanceError(bad, "SERVER_START_FAILED")).toBe(true);
    expect(String((bad as Error).message)).toMatch(/first stdout line is not/);
    const gone = await commandServerProvider({ command: "exit 4", profiles: ["core"] }).catch((e: unknown) => e);
    expect(String((gone as Error).message)).toMatch(/exited \(exit code 4\) before listening/);
  });

  it("a --url server restarts only through --restart-cmd; without one a restarting property is a harness ERROR", async () => {
    const target = await urlServerProvider({ url: "ws://127.0.0.1:1", profiles: ["core"] }).acquire(new Transcript());
    await expect(target.restart()).rejects.toSatisfy((e: unknown) => isConformanceError(e, "HARNESS"));
    const restartable = await urlServerProvider({ url: "ws://127.0.0.1:1", restartCommand: "true", profiles: ["core"] }).acquire(new Transcript());
    expect(await restartable.restart()).toBe("ws://127.0.0.1:1");
  });
});
