// The servers every integration suite runs against.
import { startTestServer, type TestServer } from "./core-server.js";
import { startRealServer } from "./real-server.js";

/** [name, start] pairs for describe.each. */
export const SERVERS: [string, () => Promise<TestServer>][] = [
  ["reference server over loopback", () => startRealServer()],
  ["in-process ServerCore", () => startTestServer()],
];
