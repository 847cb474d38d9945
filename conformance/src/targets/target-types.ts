// What properties are run against. Each mode has one target shape; the server
// and client suites will extend what they need through these interfaces
// rather than reaching into the runner.
import type { ErrorCode } from "@kabar/protocol";
import type { AdapterClient } from "../adapter/adapter-client.js";
import type { ImplementationIdentity } from "../adapter/handshake.js";
import type { Transcript } from "../adapter/transcript.js";
import type { Profile } from "../rules/rule.js";

/** The kinds of implementation the kit certifies. */
export type TargetMode = "server" | "client" | "codec" | "crypto";

/** What a decoder did with one input. */
export type DecodeOutcome =
  /** Accepted; `reencoded` is the decoder's own encoding of what it decoded. */
  | { readonly kind: "accepted"; readonly reencoded: Uint8Array }
  /** Rejected with a protocol error code. */
  | { readonly kind: "rejected"; readonly code: ErrorCode }
  /** Failed some other way (an uncoded exception); never conforming. */
  | { readonly kind: "crashed"; readonly message: string };

/** Limits a decode runs under; unset means the protocol's. */
export interface DecodeLimits {
  /** Largest input in bytes. */
  readonly maxBytes?: number;
  /** Deepest nesting. */
  readonly maxDepth?: number;
}

/** A message decoder under test: the reference, a mutant, or an adapter's. */
export interface CodecTarget {
  /** Human-readable name for reports. */
  readonly name: string;
  /**
   * Decodes `payload` as the fully qualified type `typeName` with strict
   * rules; for `kabar.v1.Frame` the frame checks (WIRE-FRAME-002..004) apply.
   */
  decode(typeName: string, payload: Uint8Array, limits?: DecodeLimits): Promise<DecodeOutcome>;
}

/** A JSON value of encryption-case inputs or outputs; byte strings are lowercase hex. */
export type CryptoCaseValue = string | number | boolean | null | readonly CryptoCaseValue[] | { readonly [name: string]: CryptoCaseValue };

/** The inputs or outputs of one encryption case. */
export type CryptoCaseFields = { readonly [name: string]: CryptoCaseValue };

/** What an implementation did with one encryption case. */
export type CryptoCaseOutcome =
  /** Completed with these outputs. */
  | { readonly kind: "completed"; readonly outputs: CryptoCaseFields }
  /** Rejected with a protocol error code and the implementation's own message. */
  | { readonly kind: "rejected"; readonly code: ErrorCode; readonly message: string }
  /** The implementation does not implement this case kind. */
  | { readonly kind: "unsupported"; readonly message: string }
  /** Failed some other way (an uncoded exception); never conforming. */
  | { readonly kind: "crashed"; readonly message: string };

/** An implementation of the encryption rules under test: the reference, a mutant, or an adapter's `crypto_case`. */
export interface CryptoTarget {
  /** Human-readable name for reports. */
  readonly name: string;
  /** Runs the case `kind` (docs/spec/encryption-cases.md) on `inputs`. */
  runCase(kind: string, inputs: CryptoCaseFields): Promise<CryptoCaseOutcome>;
}

/** A server under test, reachable over WebSocket. */
export interface ServerTarget {
  /** The WebSocket URL it listens on now. */
  readonly url: string;
  /**
   * Restarts it keeping its storage; resolves with the (possibly new) URL.
   * Throws SERVER_START_FAILED when the kit has no way to restart it.
   */
  restart(options?: { readonly crash?: boolean }): Promise<string>;
  /**
   * The server's log lines so far (the most recent ones when there are
   * many), when the kit can see them: a server the kit started (--cmd: its
   * stdout after the listening line, and stderr; in-process mutants: their
   * logger). Absent when the kit cannot read the logs (--url, adapters);
   * properties about logs then report a harness error instead of a verdict.
   */
  logs?(): readonly string[];
  /**
   * The process id of the server the kit started (--cmd), for properties
   * that measure its memory (FILES-UPLOAD-007); absent otherwise.
   */
  pid?(): number | undefined;
}

/** A client implementation driven through its adapter. */
export interface ClientTarget {
  /** Typed calls into the adapter as it was when the rule started. */
  readonly adapter: AdapterClient;
  /**
   * The adapter, restarted first if an earlier case crashed it. Call it in
   * `fc.asyncModelRun`'s setup, which runs for every case including each
   * shrink step, so one crash does not make every later case fail.
   */
  healthyAdapter(): Promise<AdapterClient>;
  /** The adapter command line, for properties that must start their own process (exit on EOF). */
  readonly command: string;
  /** Who the implementation is. */
  readonly identity: ImplementationIdentity;
  /** The URL of the server the kit provides (started on first use); pass it, or a proxy in front of it, in Reset. */
  serverUrl(): Promise<string>;
  /** The adapter's process id, when the kit started it, for properties that measure its memory (CLIENT-FILES-001). */
  pid?(): number | undefined;
}

/** The target type of each mode. */
export interface TargetsByMode {
  /** Server mode. */
  server: ServerTarget;
  /** Client mode. */
  client: ClientTarget;
  /** Codec mode. */
  codec: CodecTarget;
  /** Crypto mode. */
  crypto: CryptoTarget;
}

/** Supplies targets of one mode to the runner and recovers them after a crash. */
export interface TargetProvider<M extends TargetMode = TargetMode> {
  /** The mode. */
  readonly mode: M;
  /** How to reach this target again, recorded in replay tokens (for example `codec:reference`). */
  readonly replayTarget: string;
  /** Identity from Describe, when an adapter is involved. */
  readonly identity: ImplementationIdentity | null;
  /** The profiles the implementation declares. */
  readonly profiles: readonly Profile[];
  /** A ready target; restarts whatever broke during the previous rule. Output goes to `transcript`. */
  acquire(transcript: Transcript): Promise<TargetsByMode[M]>;
  /** Stops everything the provider started. */
  close(): Promise<void>;
}
