// The server suite: properties with mode "server" that drive a server under
// test over WebSocket (ServerTarget.url) with the kit's device client
// (src/wire-client/), optionally restarting it (ServerTarget.restart) to
// check durability. One module per spec area; importing this registers
// them. The server mutants that prove the properties can fail live in
// src/mutants/server/ and register from there.
import "./transport-properties.js";
import "./sync-send-properties.js";
import "./difference-properties.js";
import "./inbox-properties.js";
import "./identity-properties.js";
import "./authz-properties.js";
import "./conversation-properties.js";
import "./files-properties.js";
import "./payments-properties.js";
import "../../mutants/server/index.js";
