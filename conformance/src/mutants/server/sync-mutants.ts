// Server mutants of the sync rules (docs/spec/sync.md): the reference
// server with one sync behaviour broken, through a wrapper of its storage
// port or of its request layer (ServerCore.handle, for checks made before
// the store), on a server started here so it can also offer the log
// fixtures of src/suites/server/sync-log-fixtures.ts (a log near 2^63-1,
// a trimmed log). Mutant ids start with `server.sync-`.
import { randomBytes } from "node:crypto";
import { ConversationKind, ErrorCode, KabarError, MAX_SEQUENCE, isKabarError, type ClientRequest } from "@kabar/protocol";
import type { ServerCore, ServerStore } from "@kabar/server";
import { ConformanceError } from "../../errors.js";
import { defineMutant } from "../../registry/mutant-registry.js";
import type { FixtureServerTarget, LogFixtures } from "../../suites/server/sync-log-fixtures.js";
import { startMutantServer, type InProcessServerTarget, type StoreOverrides } from "./mutant-server.js";

type Args<K extends keyof ServerStore> = ServerStore[K] extends (...args: infer A) => unknown ? A : never;
type Out<K extends keyof ServerStore> = ServerStore[K] extends (...args: never[]) => infer R ? R : never;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** One broken behaviour: store overrides, a request-layer wrapper, or both. */
interface SyncMutation {
  /** Overrides of store methods; `fixtures` reach the unwrapped store. */
  readonly store?: (store: ServerStore, fixtures: LogFixtures) => StoreOverrides;
  /** Replaces methods of the server's request layer after each start. */
  readonly core?: (core: ServerCore) => void;
}

interface SqlTxLike {
  run(sql: string, params: readonly unknown[]): Promise<unknown>;
}

/** The fixtures over the reference's SQL store (its internal driver); undefined on another store. */
function storeFixtures(store: () => ServerStore): LogFixtures {
  const driverOf = () => {
    const driver = (store() as unknown as { driver?: { transaction?: (fn: (tx: SqlTxLike) => Promise<void>) => Promise<void> } }).driver;
    if (typeof driver?.transaction !== "function") throw new ConformanceError("HARNESS", "log fixtures need the reference SQL store");
    return driver as { transaction: (fn: (tx: SqlTxLike) => Promise<void>) => Promise<void> };
  };
  return {
    fastForward: (accountId, seq) =>
      driverOf().transaction(async (tx) => {
        await tx.run("DELETE FROM log WHERE account_id = ?", [accountId]);
        await tx.run("UPDATE accounts SET seq = ?, oldest_seq = ? WHERE account_id = ?", [seq, seq, accountId]);
      }),
    trim: (accountId, upToSeq) => store().trimLog(accountId, upToSeq),
  };
}

/**
 * Starts the reference server in-process with `mutation` (none: the
 * reference itself) in a fresh temporary folder, through startMutantServer;
 * the target offers log fixtures. Exported for the fixture test of the
 * reference.
 */
export async function startSyncServer(name: string, mutation: SyncMutation = {}): Promise<InProcessServerTarget & FixtureServerTarget> {
  let raw: ServerStore | undefined;
  const fixtures = storeFixtures(() => raw!);
  const { core: patchCore } = mutation;
  const target = await startMutantServer(
    `sync-${name}`,
    (store) => {
      raw = store;
      return mutation.store?.(store, fixtures) ?? {};
    },
    // patchCore replaces core.handle itself; hand that replacement back.
    patchCore !== undefined ? { handle: (_handle, { core }) => (patchCore(core), core.handle.bind(core)) } : {},
  );
  // Object.assign keeps the target's url getter (a spread would freeze it).
  return Object.assign(target, { logFixtures: fixtures });
}

function syncMutant(id: string, breaks: string[], description: string, mutation: SyncMutation): void {
  defineMutant({ id, breaks, target: "server", description, create: () => startSyncServer(id, mutation) });
}

/** Wraps ServerCore.handle: `rewrite` may change the request before the core sees it. */
function rewriteRequests(rewrite: (request: ClientRequest, core: ServerCore) => ClientRequest): (core: ServerCore) => void {
  return (core) => {
    const handle = core.handle.bind(core);
    core.handle = (session, request) => handle(session, rewrite(request, core));
  };
}

syncMutant("server.sync-seq-step-two", ["SYNC-LOG-001"],
  "Numbers each account log in steps of two as served (seq 2, 4, 6, ...), leaving a gap before every update.",
  {
    store: (store) => ({
      readLog: (async (...[accountId, afterSeq, limit, maxBytes]: Args<"readLog">): Out<"readLog"> => {
        const read = await store.readLog(accountId, afterSeq / 2n, limit, maxBytes);
        return { updates: read.updates.map((u) => ({ ...u, seq: u.seq * 2n })), seq: read.seq * 2n, oldestSeq: read.oldestSeq * 2n };
      }) as never,
    }),
  });

syncMutant("server.sync-removal-unlogged-for-removed", ["SYNC-LOG-004"],
  "Leaves a membership change out of the logs of the accounts it removes (as read), so a removed member never learns of its removal.",
  {
    store: (store) => ({
      readLog: (async (...args: Args<"readLog">): Out<"readLog"> => {
        const read = await store.readLog(...args);
        const reader = hex(args[0]);
        return { ...read, updates: read.updates.filter((u) => !(u.kind?.$case === "conversation" && u.kind.value.removedAccountIds.some((id) => hex(id) === reader))) };
      }) as never,
    }),
  });

syncMutant("server.sync-no-push-to-own-account", ["SYNC-PUSH-001"],
  "Pushes a message to the other members' devices but not to the sending account's own connected devices.",
  {
    store: (store) => ({
      sendMessage: (async (input: Args<"sendMessage">[0]): Out<"sendMessage"> => {
        const committed = await store.sendMessage(input);
        return { ...committed, deliveries: committed.deliveries.filter((d) => hex(d.accountId) !== hex(input.sender)) };
      }) as never,
    }),
  });

syncMutant("server.sync-ciphertext-cut-at-256", ["SYNC-NOPLAIN-001"],
  "Serves log ciphertexts cut to their first 256 bytes (as if read from a fixed-width column).",
  {
    store: (store) => ({
      readLog: (async (...args: Args<"readLog">): Out<"readLog"> => {
        const read = await store.readLog(...args);
        return {
          ...read,
          updates: read.updates.map((u) => (u.kind?.$case === "message" ? { ...u, kind: { $case: "message" as const, value: { ...u.kind.value, ciphertext: u.kind.value.ciphertext.slice(0, 256) } } } : u)),
        };
      }) as never,
    }),
  });

syncMutant("server.sync-oversized-ciphertext-truncated", ["SYNC-SEND-005"],
  "Accepts a SendMessage ciphertext above max_message_bytes, storing its first max_message_bytes bytes, instead of MESSAGE_TOO_LARGE.",
  {
    core: rewriteRequests((request, core) => {
      const body = request.body;
      if (body?.$case !== "sendMessage" || body.value.ciphertext.length <= core.limits.maxMessageBytes) return request;
      return { ...request, body: { $case: "sendMessage", value: { ...body.value, ciphertext: body.value.ciphertext.slice(0, core.limits.maxMessageBytes) } } };
    }),
  });

/** True when `bytes` are well-formed UTF-8 without control characters other than tab and newlines. */
function looksLikeText(bytes: Uint8Array): boolean {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
  } catch {
    return false;
  }
}

syncMutant("server.sync-plaintext-filter", ["SYNC-SEND-006"],
  "Inspects ciphertexts and rejects one that decodes as printable UTF-8 text with FRAME_FIELD_INVALID (a 'plaintext leak' filter).",
  {
    store: (store) => ({
      sendMessage: (async (input: Args<"sendMessage">[0]): Out<"sendMessage"> => {
        if (looksLikeText(input.ciphertext)) throw new KabarError(ErrorCode.FRAME_FIELD_INVALID, "ciphertext looks like plaintext");
        return store.sendMessage(input);
      }) as never,
    }),
  });

syncMutant("server.sync-epoch-ignored", ["SYNC-SEND-004"],
  "Ignores SendMessage.epoch, accepting a send made for another membership epoch.",
  {
    store: (store) => ({
      sendMessage: ((input: Args<"sendMessage">[0]) => store.sendMessage({ ...input, epoch: 0n })) as never,
    }),
  });

syncMutant("server.sync-empty-change-accepted", ["SYNC-CONV-003"],
  "Answers a membership change it must refuse as FRAME_FIELD_INVALID (one adding and removing nobody, or one of a direct conversation) with success and the unchanged membership.",
  {
    store: (store) => ({
      changeMembers: (async (input: Args<"changeMembers">[0]): Out<"changeMembers"> => {
        try {
          return await store.changeMembers(input);
        } catch (error) {
          if (!isKabarError(error, ErrorCode.FRAME_FIELD_INVALID)) throw error;
          const conversation = await store.getConversation(input.conversationId, input.actor);
          const account = await store.getAccount(input.actor);
          return { response: { conversation, seq: account?.seq ?? 0n }, deliveries: [] };
        }
      }) as never,
    }),
  });

syncMutant("server.sync-change-id-conflict-applied", ["SYNC-CONV-004"],
  "Applies a ChangeMembers that reuses a client_request_id for another change as a new change instead of rejecting it with IDEMPOTENCY_CONFLICT.",
  {
    store: (store) => ({
      changeMembers: (async (input: Args<"changeMembers">[0]): Out<"changeMembers"> => {
        try {
          return await store.changeMembers(input);
        } catch (error) {
          if (!isKabarError(error, ErrorCode.IDEMPOTENCY_CONFLICT)) throw error;
          return store.changeMembers({ ...input, clientRequestId: new Uint8Array(randomBytes(16)) });
        }
      }) as never,
    }),
  });

syncMutant("server.sync-only-creator-adds", ["SYNC-CONV-005"],
  "Lets only a group's creator add accounts; another member adding one gets NOT_FOUND.",
  {
    store: (store) => {
      const creators = new Map<string, string>();
      return {
        createConversation: (async (input: Args<"createConversation">[0]): Out<"createConversation"> => {
          const committed = await store.createConversation(input);
          if (input.kind === ConversationKind.GROUP && !creators.has(hex(input.conversationId))) creators.set(hex(input.conversationId), hex(input.creator));
          return committed;
        }) as never,
        changeMembers: (async (input: Args<"changeMembers">[0]): Out<"changeMembers"> => {
          const creator = creators.get(hex(input.conversationId));
          if (creator !== undefined && creator !== hex(input.actor) && input.add.length > 0) {
            const current = new Set((await store.getConversation(input.conversationId, input.actor)).memberAccountIds.map(hex));
            if (input.add.some((id) => !current.has(hex(id)))) throw new KabarError(ErrorCode.NOT_FOUND, "conversation not found");
          }
          return store.changeMembers(input);
        }) as never,
      };
    },
  });

syncMutant("server.sync-log-wraps-around", ["SYNC-LOG-003"],
  "Lets a full account log (seq 2^63-1) wrap around: the next update restarts it at seq 1 instead of SEQUENCE_INVALID.",
  {
    store: (store, fixtures) => ({
      sendMessage: (async (input: Args<"sendMessage">[0]): Out<"sendMessage"> => {
        try {
          return await store.sendMessage(input);
        } catch (error) {
          if (!isKabarError(error, ErrorCode.SEQUENCE_INVALID)) throw error;
          const members = (await store.getConversation(input.conversationId, input.sender)).memberAccountIds;
          for (const id of members) if ((await store.getAccount(id))?.seq === MAX_SEQUENCE) await fixtures.fastForward(id, 0n);
          return store.sendMessage(input);
        }
      }) as never,
    }),
  });

syncMutant("server.sync-trimmed-gap-served", ["SYNC-DIFF-003"],
  "Answers GetDifference from before the oldest kept update with the kept updates (a silent gap) instead of DifferenceTooLong.",
  {
    store: (store) => ({
      readLog: (async (...[accountId, afterSeq, limit, maxBytes]: Args<"readLog">): Out<"readLog"> => {
        const read = await store.readLog(accountId, afterSeq, limit, maxBytes);
        if (afterSeq >= read.oldestSeq) return read;
        return { ...(await store.readLog(accountId, read.oldestSeq, limit, maxBytes)), oldestSeq: 0n };
      }) as never,
    }),
  });

syncMutant("server.sync-difference-budget-too-small", ["SYNC-DIFF-005"],
  "Cuts difference responses at a 32 KiB budget that also applies to the first update, so a pending update larger than that is never returned (DifferenceTooLong instead).",
  {
    store: (store) => ({
      readLog: (async (...[accountId, afterSeq, limit, maxBytes]: Args<"readLog">): Out<"readLog"> => {
        const read = await store.readLog(accountId, afterSeq, limit, maxBytes);
        const updates = [];
        let size = 0;
        for (const u of read.updates) {
          size += 128 + (u.kind?.$case === "message" ? u.kind.value.ciphertext.length : 256);
          if (size > 32 * 1024) break;
          updates.push(u);
        }
        return { ...read, updates };
      }) as never,
    }),
  });

syncMutant("server.sync-push-before-response", ["SYNC-PUSH-002"],
  "Sends the pushes a request caused before its response, also on the requesting connection.",
  {
    core: (core) => {
      const handle = core.handle.bind(core);
      core.handle = async (session, request) => {
        const result = await handle(session, request);
        if (result.pushes.length > 0) core.onLivePush(result.pushes);
        return { ...result, pushes: [] };
      };
    },
  });
