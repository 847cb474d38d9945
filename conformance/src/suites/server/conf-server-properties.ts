// The server-target contract (docs/spec/conformance.md, CONF-SERVER-*): the
// URL a server names (its --cmd listening line, or a server adapter's
// StartServer/RestartServer answer) accepts connections at once, and a
// restart, graceful or a crash, keeps what the server acknowledged before it.
import fc from "fast-check";
import { ConversationKind } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { inWorld } from "./support.js";

const json = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v));

defineProperty({
  id: "conf.server.accepts-at-named-url",
  rules: ["CONF-SERVER-001", "CONF-SERVER-002"],
  mode: "server",
  profile: "core",
  numRuns: 2,
  description:
    "The URL the server was announced at accepts a connection and a Hello at once (no retry); right after a restart (graceful or a crash) the returned URL does too, and an account and conversation acknowledged before the restart are still there, with the same log.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.boolean(), async (crash) =>
      inWorld(target, transcript, async (world) => {
        // Charged to both rules: which of --cmd or a server adapter named the URL is not visible here.
        const reach = async (url: string, when: string) => {
          try {
            const { connection } = await world.connectHello(`probe ${when}`, url);
            await connection.close();
          } catch (error) {
            throw new Error(`${when}, the announced URL ${url} did not accept a connection and a Hello: ${(error as Error).message}`);
          }
        };
        await reach(target.url, "before any restart");
        const { account, connections } = await world.account();
        const other = (await world.account()).account;
        await world.conversation(connections[0]!, [other], ConversationKind.DIRECT);
        const before = json((await readWholeLog(connections[0]!)).updates);
        const url = await target.restart({ crash });
        world.url = url;
        await reach(url, `right after a restart (crash: ${crash})`);
        let after: string;
        try {
          after = json((await readWholeLog(await world.login(account))).updates);
        } catch (error) {
          throw new RuleViolation("CONF-SERVER-002", `after a restart (crash: ${crash}) the account registered before it cannot log in: ${(error as Error).message}`);
        }
        if (after !== before) throw new RuleViolation("CONF-SERVER-002", `after a restart (crash: ${crash}) the account's log differs from the one acknowledged before it`);
      })),
});
