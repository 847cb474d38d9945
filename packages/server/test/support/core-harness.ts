// Drives ServerCore directly, without sockets: sessions, requests, pushes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, errorCodeName, type ClientRequest, type ServerResponse } from "@kabar/protocol";
import { ServerCore, newSession, openSqliteStore, type PushEffect, type ServerLimits, type ServerStore, type Session } from "@kabar/server";
import { randomId, TestAccount } from "./keys.js";

type Body = NonNullable<ClientRequest["body"]>;
type Result = NonNullable<ServerResponse["result"]>;
type ResultOf<C extends Body["$case"]> = Extract<Result, { $case: C }>["value"];

/** A controllable clock. */
export class TestClock {
  constructor(public now = 1_700_000_000_000) {}
  nowMs = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export class CallError extends Error {
  constructor(readonly code: ErrorCode, readonly rule: string, readonly error: NonNullable<Extract<Result, { $case: "error" }>["value"]>) {
    super(`${errorCodeName(code)} (${rule}): ${error.message}`);
  }
}

export interface Harness {
  readonly core: ServerCore;
  readonly store: ServerStore;
  readonly clock: TestClock;
  readonly pushes: PushEffect[];
  /** The SQLite data folder when the harness opened its own store. */
  readonly dataDir: string;
  call<C extends Body["$case"]>(session: Session, $case: C, value: Extract<Body, { $case: C }>["value"]): Promise<ResultOf<C>>;
  /** Hello + register (when new) + authenticate. */
  connect(account: TestAccount, deviceId?: number): Promise<Session>;
  register(account: TestAccount): Promise<void>;
  close(): Promise<void>;
}

let nextRequestId = 1n;

export async function makeHarness(options: { store?: ServerStore; limits?: Partial<ServerLimits> } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "kabar-core-"));
  const store = options.store ?? openSqliteStore({ dataDir: join(dir, "db") });
  const clock = new TestClock();
  const core = new ServerCore({ store, blobs: join(dir, "blobs"), clock, limits: options.limits ?? {}, onInternalError: (e) => console.error(e) });
  const pushes: PushEffect[] = [];
  const harness: Harness = {
    core, store, clock, pushes, dataDir: join(dir, "db"),
    async call(session, $case, value) {
      const request = { requestId: nextRequestId++, body: { $case, value } } as ClientRequest;
      const { response, pushes: produced } = await core.handle(session, request);
      pushes.push(...produced);
      const result = response.result!;
      if (result.$case === "error") throw new CallError(result.value.code, result.value.rule, result.value);
      if (result.$case !== $case) throw new Error(`expected ${$case}, got ${result.$case}`);
      return result.value as never;
    },
    async register(account) {
      const session = newSession();
      await harness.call(session, "hello", { versions: [1], clientName: "test" });
      await harness.call(session, "registerAccount", { identityKey: account.identity.publicKey, deviceList: account.deviceList() });
    },
    async connect(account, deviceId = 1) {
      if ((await store.getAccount(account.accountId)) === undefined) await harness.register(account);
      const session = newSession();
      const ack = await harness.call(session, "hello", { versions: [1], clientName: "test" });
      await harness.call(session, "authenticate", { accountId: account.accountId, deviceId, signature: account.authSignature(ack.challenge, deviceId) });
      return session;
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Expects a call to fail with a code; returns the error for more checks. */
export async function rejects(promise: Promise<unknown>, code: ErrorCode): Promise<CallError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CallError) {
      if (error.code !== code) throw new Error(`expected ${errorCodeName(code)}, got ${error.message}`);
      return error;
    }
    throw error;
  }
  throw new Error(`expected ${errorCodeName(code)}, but the call succeeded`);
}

export { randomId, TestAccount };
