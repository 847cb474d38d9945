// The kit's device client: plays many devices of many accounts against a
// server under test over WebSocket.
export * from "./keys.js";
export * from "./wire-connection.js";
export * from "./wire-world.js";
export * from "./payments.js";
