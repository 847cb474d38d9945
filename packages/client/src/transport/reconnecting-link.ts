// Keeps one authenticated connection alive: reconnects after a drop with
// exponential backoff and full jitter, re-authenticates, and tells the
// client so it can resync (GetDifference, inbox) before trusting pushes.
import type { CryptoProvider } from "@kabar/crypto";
import type { AuthenticateResponse, ServerPush } from "@kabar/protocol";
import { ErrorCode, KabarError } from "../util/errors.js";
import { systemClock, systemRandom, type Clock, type Random, type TimerHandle } from "../util/ports.js";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
import { Connection, type DeviceCredentials, type RequestCase, type ResultOf, type ValueOf } from "./connection.js";
import { wsSocketFactory, type SocketFactory } from "./socket.js";

/** Options of a {@link ReconnectingLink}. */
export interface LinkOptions {
  /** The server URL, for example `ws://127.0.0.1:8080`. */
  readonly url: string;
  /** The crypto provider that signs challenges. */
  readonly provider: CryptoProvider;
  /** The device to authenticate as. */
  readonly credentials: DeviceCredentials;
  /** Socket factory (default: `ws`). */
  readonly socketFactory?: SocketFactory;
  /** Clock port. */
  readonly clock?: Clock;
  /** Random port (jitter). */
  readonly random?: Random;
  /** Backoff parameters. */
  readonly backoff?: BackoffOptions;
  /** Per-request timeout, milliseconds. */
  readonly requestTimeoutMs?: number;
}

/** Callbacks of a link. */
export interface LinkHandlers {
  /** Runs after every successful authentication (resync). */
  onConnected(connection: Connection, state: AuthenticateResponse): Promise<void>;
  /** Every push of the current connection. */
  onPush(push: ServerPush): void;
  /** A newer connection displaced this device (TRANSPORT-CONN-003); the link stops. */
  onDisplaced?(): void;
}

/** An auto-reconnecting authenticated connection. */
export class ReconnectingLink {
  private connection: Connection | undefined;
  private attempt = 0;
  private stopped = true;
  private timer: TimerHandle | undefined;
  private waiters: { resolve: (c: Connection) => void; reject: (e: Error) => void }[] = [];
  private readonly clock: Clock;
  private readonly random: Random;

  constructor(private readonly options: LinkOptions, private readonly handlers: LinkHandlers) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
  }

  /** Starts connecting; resolves after the first successful connection, retrying network failures a few times. */
  async start(attempts = 10): Promise<void> {
    if (this.connected) return;
    this.stopped = false;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        // Only network-level failures are worth another try; a refused
        // authentication or version is final.
        const permanent = error instanceof KabarError && error.code !== ErrorCode.UNAVAILABLE;
        if (permanent || attempt + 1 >= attempts || this.stopped) throw error;
        // The connection came up and dropped during the resync: the close
        // handler already scheduled a reconnect; wait for it instead of
        // opening a second connection beside it.
        if (this.timer !== undefined) {
          await this.whenConnected();
          return;
        }
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, backoffDelay(attempt, () => this.random.float(), this.options.backoff ?? DEFAULT_BACKOFF)));
      }
    }
  }

  /** Stops reconnecting and closes the current connection. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.connection?.close();
    this.connection = undefined;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new KabarError(ErrorCode.UNAVAILABLE, "client stopped"));
  }

  /** Drops the current connection as if the network failed; the link reconnects. */
  dropConnection(): void {
    this.connection?.close();
  }

  /** True while an authenticated connection is up. */
  get connected(): boolean {
    return this.connection !== undefined && !this.connection.closed;
  }

  /** The current connection, waiting for the next one when down. */
  whenConnected(): Promise<Connection> {
    if (this.connection !== undefined && !this.connection.closed) return Promise.resolve(this.connection);
    if (this.stopped) return Promise.reject(new KabarError(ErrorCode.UNAVAILABLE, "client stopped"));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Sends a request on the current connection, waiting for one when down.
   * When the connection drops before the answer, the request is sent again
   * on the next connection (up to `retries` times): every Kabar request is
   * either read-only or idempotent by a client-chosen id, so a repeat is safe.
   */
  async request<C extends RequestCase>(kind: C, value: ValueOf<C>, retries = 20): Promise<ResultOf<C>> {
    for (let attempt = 0; ; attempt++) {
      const connection = await this.whenConnected();
      try {
        const result: unknown = await connection.request(kind, value);
        return result as ResultOf<C>;
      } catch (error) {
        const dropped = error instanceof KabarError && error.code === ErrorCode.UNAVAILABLE;
        if (!dropped || attempt >= retries || this.stopped) throw error;
      }
    }
  }

  private async connectOnce(): Promise<void> {
    const connection = await Connection.open(this.options.url, {
      socketFactory: this.options.socketFactory ?? wsSocketFactory, clock: this.clock,
      ...(this.options.requestTimeoutMs !== undefined ? { requestTimeoutMs: this.options.requestTimeoutMs } : {}),
    });
    try {
      connection.onPush((push) => {
        // Pushes of a connection we already replaced are stale, Displaced included.
        if (this.connection !== connection) return;
        if (push.body?.$case === "displaced") {
          this.stopped = true;
          this.handlers.onDisplaced?.();
        }
        this.handlers.onPush(push);
      });
      // CLIENT-CONN-002: every connection signs its own fresh challenge.
      const state = await connection.authenticate(this.options.provider, this.options.credentials);
      this.connection = connection;
      connection.onClose(() => {
        if (this.connection === connection) this.connection = undefined;
        this.scheduleReconnect();
      });
      this.attempt = 0;
      // Waiters go first: requests that were in flight when the last
      // connection dropped are retried now, and the resync below may need
      // them to finish (an outbox flush waits for its in-flight send).
      for (const waiter of this.waiters.splice(0)) waiter.resolve(connection);
      await this.handlers.onConnected(connection, state);
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer !== undefined) return;
    const delay = backoffDelay(this.attempt++, () => this.random.float(), this.options.backoff ?? DEFAULT_BACKOFF);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.connectOnce().catch((error: unknown) => {
        // Authentication failures are permanent: retrying cannot fix a revoked device.
        if (error instanceof KabarError && error.code === ErrorCode.AUTH_FAILED) {
          this.stop();
          return;
        }
        this.scheduleReconnect();
      });
    }, delay);
  }
}
