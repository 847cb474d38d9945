// TRANSPORT: what a server does around the requests: slow readers
// (TRANSPORT-CONN-004), the handshake deadline (CONN-005), graceful
// shutdown (CONN-006), connections per address (CONN-008), the health
// endpoint (HEALTH-001) and what its logs may contain (LOG-001).
import { createHash } from "node:crypto";
import fc from "fast-check";
import { ErrorCode, errorCodeName } from "@kabar/protocol";
import { ConformanceError } from "../../errors.js";
import { defineProperty } from "../../registry/property-registry.js";
import { KitAccount } from "../../wire-client/keys.js";
import { ConnectionClosedError, type WireConnection } from "../../wire-client/wire-connection.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { check, idBytes, inWorld, messagesOf, outcomeText } from "./support.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with the close, or undefined when the connection is still open after `ms`. */
function closedWithin(connection: WireConnection, ms: number): Promise<{ code: number; reason: string } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([connection.closed, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]).finally(() => clearTimeout(timer));
}

/** 32 high-entropy bytes derived from a fast-check value (so replays repeat them, and no biased small arrays). */
function secretBytes(seed: number, label: string, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i * 32 < length; i++) out.set(createHash("sha256").update(`${label}/${seed}/${i}`).digest().subarray(0, Math.min(32, length - i * 32)), i * 32);
  return out;
}

defineProperty({
  id: "server.transport.health",
  rules: ["TRANSPORT-HEALTH-001"],
  mode: "server",
  profile: "core",
  description: "GET /healthz on the server's HTTP port answers 200 with a JSON object whose status is \"ok\", also while connections are open.",
  numRuns: 3,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 0, max: 3 }), (open) =>
      inWorld(target, transcript, async (world) => {
        for (let i = 0; i < open; i++) await world.connectHello(`health-${i}`);
        const url = new URL(target.url);
        url.protocol = url.protocol === "wss:" ? "https:" : "http:";
        url.pathname = "/healthz";
        url.search = "";
        let status = 0;
        let body = "";
        try {
          const response = await fetch(url);
          status = response.status;
          body = await response.text();
        } catch (error) {
          check("TRANSPORT-HEALTH-001", false, `GET ${url.href} failed: ${(error as Error).message}`);
        }
        transcript.add("note", { healthz: status, body: body.slice(0, 300) });
        check("TRANSPORT-HEALTH-001", status === 200, `GET /healthz answered ${status}`);
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          check("TRANSPORT-HEALTH-001", false, `GET /healthz is not JSON: ${body.slice(0, 100)}`);
        }
        check("TRANSPORT-HEALTH-001", typeof json === "object" && json !== null && (json as { status?: unknown }).status === "ok", `GET /healthz has no "status":"ok": ${body.slice(0, 100)}`);
      }),
    ),
});

type IdleState = "no-hello" | "hello-only" | "auth-failed";
/** The handshake deadline the spec names as default, and the grace the kit allows on top. */
const HANDSHAKE_DEADLINE_MS = 10_000;
const HANDSHAKE_GRACE_MS = 5_000;

defineProperty({
  id: "server.transport.handshake-deadline",
  rules: ["TRANSPORT-CONN-005"],
  mode: "server",
  profile: "core",
  description: "Connections that do not authenticate (no Hello, Hello only, or a failed Authenticate) are closed within the default handshake deadline (10 s, plus 5 s grace) with close code 4408 after a ProtocolError push AUTH_REQUIRED; an authenticated one stays open.",
  numRuns: 1,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.uniqueArray(fc.constantFrom<IdleState>("no-hello", "hello-only", "auth-failed"), { minLength: 1, maxLength: 3 }), (states) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const idle: { state: IdleState; connection: WireConnection }[] = [];
        for (const state of states) {
          if (state === "no-hello") idle.push({ state, connection: await world.connect(state) });
          else {
            const { connection } = await world.connectHello(state);
            if (state === "auth-failed") await connection.attempt("authenticate", { accountId: alice.account.accountId, deviceId: 1, signature: new Uint8Array(64) });
            idle.push({ state, connection });
          }
        }
        const closes = await Promise.all(idle.map(({ connection }) => closedWithin(connection, HANDSHAKE_DEADLINE_MS + HANDSHAKE_GRACE_MS)));
        for (const [i, { state, connection }] of idle.entries()) {
          const closed = closes[i];
          check("TRANSPORT-CONN-005", closed !== undefined, `a connection in state ${state} was still open ${(HANDSHAKE_DEADLINE_MS + HANDSHAKE_GRACE_MS) / 1000} s after connecting`);
          check("TRANSPORT-CONN-005", closed.code === 4408, `a connection in state ${state} was closed with ${closed.code}, expected 4408`);
          const pushed = connection.pushes.find((p) => p.$case === "error");
          check("TRANSPORT-CONN-005", pushed?.$case === "error" && pushed.value.code === ErrorCode.AUTH_REQUIRED, `a connection in state ${state} was closed without a ProtocolError push AUTH_REQUIRED`);
        }
        const still = await alice.connections[0]!.attempt("getState", {});
        check("TRANSPORT-CONN-005", still.ok, () => `an authenticated connection did not survive the handshake deadline: ${outcomeText(still)}`);
      }),
    ),
});

defineProperty({
  id: "server.transport.graceful-shutdown",
  rules: ["TRANSPORT-CONN-006"],
  mode: "server",
  profile: "core",
  description: "A graceful restart while sends are in flight closes connections with 1001 (not abruptly), answers what it read with success or an error, and keeps every send it acknowledged.",
  numRuns: 1,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 24 }), (sends) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const c = alice.connections[0]!;
        const pending = Array.from({ length: sends }, (_, n) =>
          c.attempt("sendMessage", { conversationId, clientMessageId: idBytes(n, 61), ciphertext: new Uint8Array([n & 0xff]), epoch: 0n })
            .catch((error: unknown) => {
              if (error instanceof ConnectionClosedError) return undefined;
              throw error;
            }));
        const restarted = target.restart({ crash: false });
        const outcomes = await Promise.all(pending);
        const closed = await c.closed;
        world.url = await restarted;
        check("TRANSPORT-CONN-006", closed.code === 1001, `a graceful shutdown closed the connection with ${closed.code}, expected 1001`);
        for (const o of outcomes) {
          if (o !== undefined && !o.ok) check("TRANSPORT-CONN-006", o.error.code === ErrorCode.UNAVAILABLE, `a send during shutdown was answered ${errorCodeName(o.error.code)}`);
        }
        const acknowledged = new Set(outcomes.flatMap((o, n) => (o !== undefined && o.ok ? [n] : [])));
        const reader = await world.login(bob.account, 1);
        const stored = messagesOf((await readWholeLog(reader)).updates).map((m) => new DataView(m.message.clientMessageId.buffer, m.message.clientMessageId.byteOffset).getUint32(0));
        for (const n of acknowledged) check("TRANSPORT-CONN-006", stored.includes(n), `send ${n} was acknowledged during shutdown but is not stored after the restart`);
        transcript.add("note", `${sends} sends in flight: ${acknowledged.size} acknowledged, ${outcomes.filter((o) => o === undefined).length} unanswered at close`);
      }),
    ),
});

/** The most connections per address the kit opens looking for the bound (docs/spec/transport.md, TRANSPORT-CONN-008). */
const MAX_CONNECTIONS_PER_ADDRESS = 4096;

defineProperty({
  id: "server.transport.connections-per-address",
  rules: ["TRANSPORT-CONN-008"],
  mode: "server",
  profile: "core",
  description: "Opening connections from one address, the server refuses one with close code 1013 before 4096 are open; the connections it accepted keep working.",
  numRuns: 1,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 32, max: 64 }), (batch) =>
      inWorld(target, transcript, async (world) => {
        const accepted: WireConnection[] = [];
        let refused: number | undefined;
        while (refused === undefined && accepted.length < MAX_CONNECTIONS_PER_ADDRESS) {
          type Opened = { readonly connection: WireConnection } | { readonly refused: number };
          const opened = await Promise.all(Array.from({ length: batch }, (): Promise<Opened> =>
            world.connect().then(
              async (c): Promise<Opened> => {
                // A refused connection closes instead of answering.
                const answer = await c.request("ping", { nonce: 1n }).catch((error: unknown) => error);
                return answer instanceof ConnectionClosedError ? { refused: answer.closeCode } : { connection: c };
              },
              (error: unknown): Opened => ({ refused: Number(/closed during open \((\d+)\)/.exec((error as Error).message)?.[1] ?? 1006) }),
            )));
          for (const o of opened) {
            if ("connection" in o) accepted.push(o.connection);
            else refused ??= o.refused;
          }
        }
        transcript.add("note", `${accepted.length} connections accepted${refused === undefined ? "" : `, then one refused with ${refused}`}`);
        check("TRANSPORT-CONN-008", refused !== undefined, `${accepted.length} connections from one address were all accepted`);
        check("TRANSPORT-CONN-008", refused === 1013, `a connection beyond the per-address bound was refused with close code ${refused}, expected 1013`);
        const last = accepted.at(-1);
        if (last !== undefined && last.isOpen) {
          const pong = await last.request("ping", { nonce: 2n }).catch((error: unknown) => error);
          check("TRANSPORT-CONN-008", !(pong instanceof ConnectionClosedError), "an accepted connection was closed when the bound was reached");
        }
      }),
    ),
});

defineProperty({
  id: "server.transport.slow-reader",
  rules: ["TRANSPORT-CONN-004"],
  mode: "server",
  profile: "core",
  description: "A device that stops reading while many large messages arrive: when it resumes, every update it missed as a push is announced by an UpdatesTooLong push (one per dropping episode, never more than the updates missed), and every message is in the stored log.",
  numRuns: 1,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.noShrink(fc.integer({ min: 96, max: 256 })), fc.noShrink(fc.integer({ min: 32_768, max: 65_536 })), (count, size) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const limits = world.helloAck!.limits!;
        const bytes = Math.min(size, limits.maxMessageBytes);
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const reader = bob.connections[0]!;
        const from = (await reader.call("getState", {})).state!.seq;
        reader.socket.pause();
        const writer = alice.connections[0]!;
        const window = Math.max(1, Math.min(limits.maxInFlight, 32));
        for (let n = 0; n < count; n += window) {
          await Promise.all(Array.from({ length: Math.min(window, count - n) }, (_, k) =>
            writer.call("sendMessage", { conversationId, clientMessageId: idBytes(n + k, 71), ciphertext: new Uint8Array(bytes).fill((n + k) & 0xff), epoch: 0n })));
        }
        reader.socket.resume();
        // The answer to this request leaves after every push queued before it.
        await reader.call("getState", {});
        // The pushes in arrival order: an update's seq, or "too-long".
        const stream = reader.pushes.flatMap((p): (bigint | "too-long")[] => (p.$case === "update" && p.value.update !== undefined ? [p.value.update.seq] : p.$case === "tooLong" ? ["too-long"] : []));
        const position = new Map(stream.flatMap((e, i) => (e === "too-long" ? [] : [[e, i] as const])));
        const tooLong = stream.filter((e) => e === "too-long").length;
        const log = (await readWholeLog(reader, from)).updates;
        const missed = log.filter((u) => !position.has(u.seq));
        transcript.add("note", `${count} messages of ${bytes} bytes: ${position.size} pushed, ${missed.length} missed, ${tooLong} UpdatesTooLong`);
        check("TRANSPORT-CONN-004", messagesOf(log).length === count, `${count} messages were sent but ${messagesOf(log).length} are in the reader's log`);
        // Every gap in the pushed updates is announced by an UpdatesTooLong that arrived inside the gap.
        for (const u of missed) {
          const before = log.filter((v) => v.seq < u.seq && position.has(v.seq)).at(-1);
          const after = log.find((v) => v.seq > u.seq && position.has(v.seq));
          const start = before === undefined ? 0 : position.get(before.seq)! + 1;
          const end = after === undefined ? stream.length : position.get(after.seq)!;
          check("TRANSPORT-CONN-004", stream.slice(start, end).includes("too-long"), `update ${u.seq} was never pushed to the slow reader and no UpdatesTooLong came in its place`);
        }
        check("TRANSPORT-CONN-004", tooLong <= missed.length, `${tooLong} UpdatesTooLong pushes for ${missed.length} missed updates`);
      }),
    ),
});

/** Forms a leaked byte string may take in a log line: hex (whole and 12-byte windows), base64, base64url, a Buffer dump, a JSON byte array. */
function leakForms(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes);
  const hexText = buffer.toString("hex");
  const forms = new Set<string>();
  for (let i = 0; i + 12 <= bytes.length; i++) forms.add(hexText.slice(2 * i, 2 * i + 24));
  forms.add(buffer.subarray(0, 12).toString("base64").slice(0, 16));
  forms.add(buffer.subarray(0, 12).toString("base64url").slice(0, 16));
  forms.add([...buffer.subarray(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join(" "));
  forms.add(JSON.stringify([...buffer.subarray(0, 12)]).slice(1, -1));
  return [...forms];
}

defineProperty({
  id: "server.transport.logs-without-secrets",
  rules: ["TRANSPORT-LOG-001"],
  mode: "server",
  profile: "core",
  description: "After registration, authentication, prekey upload and sends of binary and text ciphertexts, no line the server logged contains a key, signature, ciphertext or message text the kit sent (as text, hex, base64 or byte list). Needs the server's logs: targets the kit started (--cmd, mutants).",
  numRuns: 3,
  run: ({ target, transcript }) =>
    // Any leak fails whatever the values: nothing to gain from shrinking them.
    fc.asyncProperty(fc.noShrink(fc.integer({ min: 0, max: 2 ** 31 - 1 })), fc.noShrink(fc.stringMatching(/^[a-z]{6,12}$/)), (seed, word) =>
      inWorld(target, transcript, async (world) => {
        if (target.logs === undefined) throw new ConformanceError("HARNESS", "TRANSPORT-LOG-001 reads the server's logs: run the server with --cmd (its stdout and stderr) so the kit can see them");
        const alice = await world.account({ prekeys: true, oneTimePreKeys: 2 });
        const bob = await world.account();
        const a = alice.account;
        const { connection, challenge } = await world.connectHello("log-auth");
        const authSignature = a.authSignature(challenge, 1);
        await connection.call("authenticate", { accountId: a.accountId, deviceId: 1, signature: authSignature });
        const signedPreKey = a.signedPreKey(1, 2);
        await connection.call("uploadPrekeys", { signedPrekey: signedPreKey, kemPrekeys: [], oneTimePrekeys: [], lastResortKemPrekey: undefined });
        const { conversationId } = await world.conversation(connection, [bob.account]);
        const binary = secretBytes(seed, "ciphertext", 48);
        const text = `kabar secret ${word} ${Buffer.from(secretBytes(seed, "text", 6)).toString("hex")}`;
        await connection.call("sendMessage", { conversationId, clientMessageId: idBytes(seed, 81), ciphertext: binary, epoch: 0n });
        await connection.call("sendMessage", { conversationId, clientMessageId: idBytes(seed, 82), ciphertext: new TextEncoder().encode(text), epoch: 0n });
        const stranger = new KitAccount();
        const third = await world.connectHello("log-bad-auth");
        const badSignature = stranger.authSignature(third.challenge, 1);
        await third.connection.attempt("authenticate", { accountId: stranger.accountId, deviceId: 1, signature: badSignature });
        await world.close();
        // Log lines of a separate process arrive on their own pipe: let them land.
        await sleep(300);
        const secrets: [string, Uint8Array][] = [
          ["the account identity key", a.identity.publicKey], ["an Authenticate signature", authSignature], ["a rejected Authenticate signature", badSignature],
          ["a signed prekey", signedPreKey.publicKey], ["a signed prekey signature", signedPreKey.signature], ["a device list signature", a.deviceList({ deviceIds: [1], version: 1n }).signature],
          ["a ciphertext", binary],
        ];
        const lines = target.logs();
        for (const line of lines) {
          const lower = line.toLowerCase();
          check("TRANSPORT-LOG-001", !line.includes(text) && !line.includes(`secret ${word}`), () => `the log contains message text: ${line.slice(0, 200)}`);
          for (const [what, bytes] of secrets) {
            const form = leakForms(bytes).find((f) => lower.includes(f.toLowerCase()));
            check("TRANSPORT-LOG-001", form === undefined, () => `the log contains ${what} (${form}): ${line.slice(0, 200)}`);
          }
        }
        transcript.add("note", `${lines.length} log lines checked`);
      }),
    ),
});
