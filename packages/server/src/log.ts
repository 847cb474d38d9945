/** A structured log sink: one JSON object per event, one line each. */
export type LogSink = (line: string) => void;

/** Fields a log event may carry: identifiers, codes, sizes, timings. Never keys, ciphertext or content (TRANSPORT-LOG-001). */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Writes structured events; `event` names what happened. */
export interface Logger {
  /**
   * Records one event. `event` is a short dotted name (`connection.open`,
   * `request`, `internal.error`); `fields` carries identifiers, codes,
   * sizes and timings only, never keys, ciphertext or content
   * (TRANSPORT-LOG-001). Must not throw and should not block: it is called
   * on the request path.
   */
  log(event: string, fields?: LogFields): void;
}

/** A logger writing JSON lines to a sink (stdout by default). */
export function jsonLogger(sink: LogSink = (line) => process.stdout.write(`${line}\n`)): Logger {
  return {
    log(event, fields = {}) {
      sink(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
    },
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { log: () => undefined };

/** A short non-secret form of an id for logs: the first 8 hex digits. */
export function shortId(id: Uint8Array): string {
  return Buffer.from(id.subarray(0, 4)).toString("hex");
}
