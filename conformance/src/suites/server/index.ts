// The server suite: properties with mode "server" that drive a server under
// test over WebSocket (ServerTarget.url), optionally restarting it
// (ServerTarget.restart) to check durability. The server-suite authors add
// one module per spec chapter here (defineProperty / defineMutant on import)
// and import it below. Until then every server-mode rule is NOT-COVERED.
export {};
