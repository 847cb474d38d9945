// Server mutants of the transport chapter (TRANSPORT-*, WIRE-FRAME-001):
// the reference server with one connection-level behaviour broken, through
// its request layer (a wrapper of core.handle that sees each request with
// its session), its options, its store, or a frame middleman in front of it.
import { DeviceListBody, MAX_REQUEST_ID, SUPPORTED_VERSIONS, decodeFrame, decodeMessage, type Frame } from "@kabar/protocol";
import type { HandleResult, ServerStore } from "@kabar/server";
import { framePayload } from "../../adversary/adversary.js";
import type { FaultPolicy } from "../../proxy/fault-proxy.js";
import { buildWebSocketFrame, type RawFrame } from "../../proxy/websocket-frames.js";
import { defineMutant } from "../../registry/mutant-registry.js";
import { startMutantServer, type HandleWrapper, type MutantServerOptions, type StoreWrapper } from "./mutant-server.js";

type Args<K extends keyof ServerStore> = ServerStore[K] extends (...args: infer A) => unknown ? A : never;

function transportMutant(id: string, breaks: string[], description: string, options: MutantServerOptions, wrapper?: StoreWrapper): void {
  defineMutant({ id, breaks, target: "server", description, create: () => startMutantServer(id, wrapper, options) });
}

/** Rewrites the HelloAck of a successful Hello. */
function rewriteHelloAck(change: (ack: Extract<NonNullable<HandleResult["response"]["result"]>, { $case: "hello" }>["value"]) => void): HandleWrapper {
  return (handle) => async (session, request) => {
    const out = await handle(session, request);
    const result = out.response.result;
    if (result?.$case === "hello") change(result.value);
    return out;
  };
}

function decodeRaw(raw: RawFrame): Frame | undefined {
  try {
    return decodeFrame(framePayload(raw));
  } catch {
    return undefined;
  }
}

transportMutant("server.transport-second-hello-accepted", ["TRANSPORT-HELLO-001"],
  "A second Hello on a connection starts the handshake over (new HelloAck and challenge) instead of being rejected with FRAME_FIELD_INVALID.",
  {
    handle: (handle) => (session, request) => {
      if (request.body?.$case === "hello" && session.version !== undefined) {
        session.version = undefined;
        session.challenge = undefined;
      }
      return handle(session, request);
    },
  });

transportMutant("server.transport-version-fallback", ["TRANSPORT-HELLO-002"],
  "A Hello listing no version the server speaks is answered with version 1 instead of VERSION_UNSUPPORTED.",
  {
    handle: (handle) => (session, request) => {
      const body = request.body;
      if (body?.$case === "hello" && !body.value.versions.some((v) => SUPPORTED_VERSIONS.includes(v))) {
        return handle(session, { ...request, body: { $case: "hello", value: { ...body.value, versions: [...body.value.versions, 1] } } });
      }
      return handle(session, request);
    },
  });

transportMutant("server.transport-implicit-hello", ["TRANSPORT-HELLO-003"],
  "A request before Hello is taken as an implicit Hello for version 1 and handled, instead of being answered with HELLO_REQUIRED.",
  {
    handle: (handle) => (session, request) => {
      if (request.body?.$case !== "hello" && session.version === undefined) session.version = 1;
      return handle(session, request);
    },
  });

transportMutant("server.transport-advertised-limit-not-enforced", ["TRANSPORT-HELLO-004"],
  "HelloAck advertises half the max_message_bytes the server enforces, so a message above the advertised limit is accepted.",
  { handle: rewriteHelloAck((ack) => ack.limits !== undefined && (ack.limits.maxMessageBytes = Math.floor(ack.limits.maxMessageBytes / 2))) });

const REUSED_CHALLENGE = Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 11) & 0xff);
transportMutant("server.transport-challenge-reused", ["TRANSPORT-AUTH-001"],
  "Every HelloAck carries the same challenge (generated once at startup) instead of a fresh random one per connection.",
  {
    handle: (handle) => async (session, request) => {
      const out = await handle(session, request);
      const result = out.response.result;
      if (result?.$case === "hello") {
        session.challenge = REUSED_CHALLENGE.slice();
        result.value.challenge = REUSED_CHALLENGE.slice();
      }
      return out;
    },
  });

transportMutant("server.transport-removed-device-authenticates", ["TRANSPORT-AUTH-002"],
  "Authentication looks a device up among every device the account ever had, so a device removed from the current list still authenticates.",
  {},
  (store) => ({
    listDevices: (async (...args: Args<"listDevices">) => (await store.listDevices(...args)).map((d) => ({ ...d, current: true }))) as never,
  }));

transportMutant("server.transport-unauthenticated-acts", ["TRANSPORT-AUTH-003"],
  "A connection that said Hello but never authenticated is served as the device that authenticated last on the server (a session shared across connections) instead of getting AUTH_REQUIRED.",
  {
    handle: (handle) => {
      let last: { accountId: Uint8Array; deviceId: number } | undefined;
      return async (session, request) => {
        const op = request.body?.$case;
        const exempt = op === "hello" || op === "ping" || op === "registerAccount" || op === "authenticate";
        if (!exempt && session.version !== undefined && session.device === undefined && last !== undefined) {
          return handle({ ...session, device: last }, request);
        }
        const out = await handle(session, request);
        if (op === "authenticate" && session.device !== undefined) last = session.device;
        return out;
      };
    },
  });

transportMutant("server.transport-acting-account-from-request", ["TRANSPORT-AUTH-004"],
  "PublishDeviceList acts for the account named inside the submitted list (DeviceListBody.account_id) instead of the connection's authenticated account.",
  {
    handle: (handle) => (session, request) => {
      const body = request.body;
      if (body?.$case === "publishDeviceList" && session.device !== undefined && body.value.deviceList !== undefined) {
        try {
          const named = decodeMessage(DeviceListBody, body.value.deviceList.body).accountId;
          if (named.length === 32) return handle({ ...session, device: { accountId: named, deviceId: session.device.deviceId } }, request);
        } catch {
          // An undecodable list: handled as usual.
        }
      }
      return handle(session, request);
    },
  });

transportMutant("server.transport-rate-not-enforced", ["TRANSPORT-CONN-001"],
  "HelloAck advertises 50 requests per second but the connection's rate limiter allows a million, so requests beyond the advertised rate are served.",
  {
    limits: { requestsPerSecond: 1_000_000, requestBurst: 1_000_000 },
    handle: rewriteHelloAck((ack) => ack.limits !== undefined && (ack.limits.requestsPerSecond = 50)),
  });

function readVarint(bytes: Uint8Array, offset: number): [bigint, number] | undefined {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return undefined;
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return [value, offset + i + 1];
  }
  return undefined;
}

/** Whether a frame's request id can be read (Frame.request, then ClientRequest.request_id in range). */
function requestIdReadable(bytes: Uint8Array): boolean {
  const tag = readVarint(bytes, 0);
  if (tag === undefined || tag[0] !== 10n) return false;
  const length = readVarint(bytes, tag[1]);
  const inner = length === undefined ? undefined : readVarint(bytes, length[1]);
  const id = inner === undefined || inner[0] !== 8n ? undefined : readVarint(bytes, inner[1]);
  return id !== undefined && id[0] >= 1n && id[0] <= MAX_REQUEST_ID;
}

transportMutant("server.transport-malformed-frame-cuts", ["TRANSPORT-CONN-002"],
  "A frame that fails strict decoding cuts the connection even when its request id can be read, instead of being answered on that id.",
  {
    middleman: ({ direction, frame }) =>
      direction === "to-server" && frame.opcode === 2 && decodeRaw(frame) === undefined && requestIdReadable(framePayload(frame)) ? { kind: "disconnect" } : { kind: "pass" },
  });

transportMutant("server.transport-displaced-silently", ["TRANSPORT-CONN-003"],
  "A displaced connection is closed with 4409 but never gets the Displaced push.",
  {
    middleman: ({ direction, frame }) => {
      const kind = direction === "to-client" ? decodeRaw(frame)?.kind : undefined;
      return kind?.$case === "push" && kind.value.body?.$case === "displaced" ? { kind: "drop" } : { kind: "pass" };
    },
  });

const TEXT_AS_BINARY: FaultPolicy = ({ direction, frame }) => {
  if (direction !== "to-server" || frame.opcode !== 1) return { kind: "pass" };
  return { kind: "replace", frames: [buildWebSocketFrame(2, framePayload(frame), Uint8Array.of(1, 2, 3, 4))] };
};
transportMutant("server.transport-text-as-binary", ["WIRE-FRAME-001"],
  "Text WebSocket messages are decoded as frames like binary ones instead of being rejected with FRAME_UNKNOWN_BODY.",
  { middleman: TEXT_AS_BINARY });

transportMutant("server.transport-logs-ciphertext", ["TRANSPORT-LOG-001"],
  "Debug request logging writes each SendMessage's ciphertext (hex) and each Authenticate's signature into the log line.",
  {
    logRequests: true,
    handle: (handle, { logger }) => (session, request) => {
      const body = request.body;
      if (body?.$case === "sendMessage") logger.log("request.body", { op: "sendMessage", ciphertext: Buffer.from(body.value.ciphertext).toString("hex") });
      if (body?.$case === "authenticate") logger.log("request.body", { op: "authenticate", signature: Buffer.from(body.value.signature).toString("hex") });
      return handle(session, request);
    },
  });

transportMutant("server.transport-pushes-shed-silently", ["TRANSPORT-CONN-004"],
  "Sheds every third live update push (load shedding) without an UpdatesTooLong, so a device misses updates without being told to fetch them.",
  {
    handle: (handle) => {
      let updates = 0;
      return async (session, request) => {
        const out = await handle(session, request);
        return { ...out, pushes: out.pushes.filter((p) => p.kind !== "update" || ++updates % 3 !== 0) };
      };
    },
  });

transportMutant("server.transport-in-flight-not-enforced", ["TRANSPORT-CONN-001"],
  "HelloAck advertises half the max_in_flight the connection enforces, so requests beyond the advertised bound are served.",
  { handle: rewriteHelloAck((ack) => ack.limits !== undefined && (ack.limits.maxInFlight = Math.floor(ack.limits.maxInFlight / 2))) });
