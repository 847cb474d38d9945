// SHOULD rules of the client that are visible only through time: the
// reconnect backoff (CLIENT-CONN-001). The kit puts a TCP gate between the
// adapter's device and its server; while the gate is shut it records the
// moment of every connection attempt and drops it at once, so the intervals
// between attempts are the client's waits (plus a connection set-up of about
// a millisecond on the loopback). The checks use only what full jitter
// implies without knowing the implementation's base and max, with generous
// margins, and need the adapter to use a test-scale backoff (docs/spec/conformance.md).
import fc from "fast-check";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { AdapterClient } from "../../../adapter/adapter-client.js";
import { ConformanceError } from "../../../errors.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import { freshAdapter } from "./client-world.js";

/** How long the kit waits for the attempts it needs before giving up (ERROR, not FAIL). */
const ATTEMPT_BUDGET_MS = 12_000;

/** A TCP gate in front of the server: open, it relays; shut, it records and drops each connection. */
interface Gate {
  readonly url: string;
  /** Times (performance.now()) of the connections dropped while shut. */
  readonly attempts: number[];
  /** Lets connections through from now on. */
  open(): void;
  /** Drops every connection from now on and cuts the open ones; returns the time of the cut. */
  shut(): number;
  /** Resolves once `count` attempts were recorded in total, false after `ms`. */
  attemptsReached(count: number, ms: number): Promise<boolean>;
  close(): Promise<void>;
}

async function startGate(upstream: string): Promise<Gate> {
  const target = new URL(upstream);
  const port = Number(target.port || 80);
  const sockets = new Set<Socket>();
  const attempts: number[] = [];
  let shut = false;
  let waiter: { count: number; resolve: (ok: boolean) => void } | undefined;
  const server = createServer((client) => {
    if (shut) {
      attempts.push(performance.now());
      client.destroy();
      if (waiter !== undefined && attempts.length >= waiter.count) waiter.resolve(true);
      return;
    }
    const relay = connect(port, target.hostname);
    for (const s of [client, relay]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        relay.destroy();
      });
    }
    client.pipe(relay);
    relay.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${address.port}${target.pathname === "/" ? "" : target.pathname}${target.search}`,
    attempts,
    open: () => {
      shut = false;
    },
    shut: () => {
      shut = true;
      const at = performance.now();
      for (const s of sockets) s.destroy();
      return at;
    },
    attemptsReached: (count, ms) =>
      new Promise<boolean>((resolve) => {
        if (attempts.length >= count) return resolve(true);
        const timer = setTimeout(() => {
          waiter = undefined;
          resolve(false);
        }, ms);
        waiter = {
          count,
          resolve: (ok) => {
            clearTimeout(timer);
            waiter = undefined;
            resolve(ok);
          },
        };
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One outage: shuts the gate, waits for `count` attempts, returns the waits (cut to first attempt, then between attempts), and leaves the gate shut. */
async function outage(gate: Gate, count: number, what: string): Promise<number[]> {
  const before = gate.attempts.length;
  const cut = gate.shut();
  if (!(await gate.attemptsReached(before + count, ATTEMPT_BUDGET_MS))) {
    throw new ConformanceError(
      "HARNESS",
      `CLIENT-CONN-001 cannot be observed: during ${what} the client made ${gate.attempts.length - before} reconnection attempts in ${ATTEMPT_BUDGET_MS / 1000} s, the kit needs ${count}; configure the adapter's clients with a test-scale reconnect backoff (docs/spec/conformance.md, "Reconnect backoff")`,
    );
  }
  const times = [cut, ...gate.attempts.slice(before, before + count)];
  return times.slice(1).map((t, i) => t - times[i]!);
}

/** Lets the device back in and waits until it authenticated and caught up. */
async function reconnect(gate: Gate, adapter: AdapterClient, device: string): Promise<void> {
  gate.open();
  await adapter.call("syncNow", { device });
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (xs: readonly number[]): string => xs.map((x) => x.toFixed(1)).join(", ");

defineProperty({
  id: "client.conn.full-jitter-backoff",
  rules: ["CLIENT-CONN-001"],
  mode: "client",
  profile: "core",
  numRuns: 2,
  description:
    "A TCP gate drops every reconnection attempt of a device for a long outage, then lets it authenticate, then cuts it for several short outages. Full jitter shows as: the late waits of the long outage (past the cap) are not a fixed schedule (not non-decreasing, and the shortest is under half the longest), the waits do not shrink over the outage, and after each successful authentication the first waits are short again (their mean is under half the late mean of the long outage).",
  run: ({ target, transcript }) =>
    fc.asyncProperty(
      fc.integer({ min: 24, max: 28 }),
      fc.integer({ min: 4, max: 6 }),
      async (longCount, shortOutages) => {
        const gate = await startGate(await target.serverUrl());
        try {
          const adapter = await freshAdapter(target, gate.url);
          const { device } = await adapter.call("createAccount", { label: "alice" });
          await adapter.call("syncNow", { device });
          const long = await outage(gate, longCount, "a long outage");
          transcript.add("note", `waits of the long outage (ms): ${ms(long)}`);
          await reconnect(gate, adapter, device);
          const early: number[] = [];
          for (let i = 0; i < shortOutages; i++) {
            const waits = await outage(gate, 3, "a short outage");
            transcript.add("note", `waits of short outage ${i + 1} after a successful authentication (ms): ${ms(waits)}`);
            early.push(...waits);
            await reconnect(gate, adapter, device);
          }
          // Past the middle of the long outage the ceiling is assumed capped (test-scale backoff).
          const late = long.slice(Math.floor(longCount / 2));
          const third = Math.floor(longCount / 3);
          const [first, last] = [long.slice(0, third), long.slice(longCount - third)];
          if (late.every((w, i) => i === 0 || w >= late[i - 1]!)) {
            throw new RuleViolation("CLIENT-CONN-001", `the late waits of a long outage never decrease (${ms(late)} ms): a fixed growing schedule, not a uniformly random wait`);
          }
          if (Math.min(...late) >= 0.5 * Math.max(...late)) {
            throw new RuleViolation("CLIENT-CONN-001", `the late waits of a long outage all lie between ${Math.min(...late).toFixed(1)} and ${Math.max(...late).toFixed(1)} ms (${ms(late)}): no wait near zero, so they are not drawn uniformly from zero to the ceiling (no jitter, or only partial jitter)`);
          }
          if (mean(last) < 0.5 * mean(first)) {
            throw new RuleViolation("CLIENT-CONN-001", `the waits shrink over a long outage: the last ${third} average ${mean(last).toFixed(1)} ms, the first ${third} ${mean(first).toFixed(1)} ms`);
          }
          if (mean(early) >= 0.5 * mean(late)) {
            throw new RuleViolation("CLIENT-CONN-001", `after a successful authentication the first waits of the next outages average ${mean(early).toFixed(1)} ms (${ms(early)}), not under half the ${mean(late).toFixed(1)} ms of the late waits of the long outage before: the attempt count was not reset`);
          }
        } finally {
          await gate.close();
        }
      },
    ),
});
