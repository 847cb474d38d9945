// Server mutants that only a race shows: the reference with one check made
// non-atomic, so sequential requests behave and concurrent ones do not. The
// scheduler properties in src/suites/server/race-properties.ts catch them.
import type { ServerStore } from "@kabar/server";
import { randomBytes } from "node:crypto";
import { defineMutant } from "../../registry/mutant-registry.js";
import { startMutantServer } from "./mutant-server.js";

type SendInput = Parameters<ServerStore["sendMessage"]>[0];

defineMutant({
  id: "server.race-idempotency-check-then-insert",
  breaks: ["SYNC-SEND-002"],
  target: "server",
  description:
    "Checks a client message id and stores the message in two steps, so a copy of a send that arrives while the first is still in flight is stored again under a new id; sequential retries still get the first response.",
  create: () =>
    startMutantServer("race-idempotency", (store) => {
      const inFlight = new Set<string>();
      return {
        sendMessage: (async (input: SendInput) => {
          const key = `${Buffer.from(input.sender).toString("hex")}:${Buffer.from(input.clientMessageId).toString("hex")}`;
          if (inFlight.has(key)) return store.sendMessage({ ...input, clientMessageId: new Uint8Array(randomBytes(16)) });
          inFlight.add(key);
          try {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return await store.sendMessage(input);
          } finally {
            inFlight.delete(key);
          }
        }) as never,
      };
    }),
});
