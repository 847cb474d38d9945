import { describe, expect, it } from "vitest";
import { ErrorCode, KabarError, SendMessageRequest, type InboxEntry } from "@kabar/protocol";
import { MemoryClientStore } from "../src/store/memory-store.js";
import { InboxConsumer, type InboxSource } from "../src/sync/inbox-consumer.js";
import { Outbox } from "../src/sync/outbox.js";

const entry = (inboxSeq: bigint): InboxEntry => ({
  inboxSeq, senderAccountId: new Uint8Array(32), senderDeviceId: 1, clientMessageId: new Uint8Array(16), ciphertext: Uint8Array.of(Number(inboxSeq)), serverTimeMs: 0n,
});

function inboxServer(count: number) {
  const entries = Array.from({ length: count }, (_, i) => entry(BigInt(i + 1)));
  const acks: bigint[] = [];
  const source: InboxSource = {
    async fetchInbox(after, limit) {
      const rest = entries.filter((e) => e.inboxSeq > after);
      return { entries: rest.slice(0, limit), more: rest.length > limit };
    },
    async ackInbox(upTo) {
      acks.push(upTo);
    },
  };
  return { source, acks };
}

describe("inbox consumer", () => {
  it("CLIENT-INBOX-001 acknowledges only what was processed and persisted, page by page", async () => {
    const { source, acks } = inboxServer(5);
    const handled: bigint[] = [];
    let saved = 0n;
    const consumer = new InboxConsumer(0n, source, { handle: async (e) => void handled.push(e.inboxSeq), saveInboxSeq: async (s) => void (saved = s) }, 2);
    await consumer.drain();
    expect(handled).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(saved).toBe(5n);
    expect(acks).toEqual([2n, 4n, 5n]);
  });

  it("CLIENT-INBOX-002 does not consume an entry whose processing failed for a transient reason", async () => {
    const { source, acks } = inboxServer(3);
    const handled: bigint[] = [];
    let fail = true;
    const consumer = new InboxConsumer(0n, source, {
      handle: async (e) => {
        if (e.inboxSeq === 2n && fail) throw new KabarError(ErrorCode.UNAVAILABLE, "dropped");
        handled.push(e.inboxSeq);
      },
      saveInboxSeq: async () => undefined,
    });
    await expect(consumer.drain()).rejects.toThrow();
    expect(consumer.seq).toBe(1n);
    expect(acks).toEqual([]);
    fail = false;
    await consumer.drain();
    expect(handled).toEqual([1n, 2n, 3n]);
    expect(acks).toEqual([3n]);
  });

  it("CLIENT-DEDUP-002 ignores pushed entries at or below the processed inbox seq", async () => {
    const { source } = inboxServer(2);
    const handled: bigint[] = [];
    const consumer = new InboxConsumer(0n, source, { handle: async (e) => void handled.push(e.inboxSeq), saveInboxSeq: async () => undefined });
    await consumer.receive(entry(1n));
    await consumer.receive(entry(1n));
    await consumer.receive(entry(2n));
    expect(handled).toEqual([1n, 2n]);
  });
});

describe("outbox", () => {
  const request = (n: number) => SendMessageRequest.encode({ conversationId: new Uint8Array(16), clientMessageId: new Uint8Array(16).fill(n), ciphertext: Uint8Array.of(n), epoch: 1n }).finish();

  it("CLIENT-SEND-001 retries the byte-identical request with the same client message id, in order", async () => {
    const store = new MemoryClientStore();
    const seen: string[] = [];
    let down = 2;
    const outbox = new Outbox(store, {
      async sendMessage(r) {
        seen.push(`${r.clientMessageId[0]}:${r.ciphertext[0]}`);
        if (down-- > 0) throw new KabarError(ErrorCode.UNAVAILABLE, "dropped");
        return { seq: 1n };
      },
      async sendToDevices() {},
    }, { onRejected: async () => undefined });
    await outbox.enqueue({ id: "a", kind: "message", request: request(1) });
    await outbox.enqueue({ id: "b", kind: "message", request: request(2) });
    expect(await outbox.flush()).toBe(false);
    expect(await outbox.flush()).toBe(false);
    expect(await outbox.flush()).toBe(true);
    // The first entry blocks the second until it went through: FIFO.
    expect(seen).toEqual(["1:1", "1:1", "1:1", "2:2"]);
  });

  it("CLIENT-SEND-002 replaces a request rejected with RECIPIENTS_MISMATCH and keeps its id", async () => {
    const store = new MemoryClientStore();
    const seen: number[] = [];
    const outbox = new Outbox(store, {
      async sendMessage(r) {
        seen.push(r.ciphertext[0]!);
        if (r.ciphertext[0] === 1) throw new KabarError(ErrorCode.RECIPIENTS_MISMATCH, "epoch moved");
        return { seq: 1n };
      },
      async sendToDevices() {},
    }, { onRejected: async (e) => ({ ...e, request: request(9) }) });
    await outbox.enqueue({ id: "a", kind: "message", request: request(1) });
    expect(await outbox.flush()).toBe(true);
    expect(seen).toEqual([1, 9]);
  });
});
