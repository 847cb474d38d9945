// The server suite: properties with mode "server" that drive a server under
// test over WebSocket (ServerTarget.url) with the kit's device client
// (src/wire-client/), optionally restarting it (ServerTarget.restart) to
// check durability. One module per spec area; importing this registers
// them. The server mutants that prove the properties can fail live in
// src/mutants/server/ and register from there.
import "./transport-properties.js";
import "./transport-operations-properties.js";
import "./sync-send-properties.js";
import "./difference-properties.js";
import "./sync-log-properties.js";
import "./sync-push-properties.js";
import "./inbox-properties.js";
import "./identity-properties.js";
import "./authz-properties.js";
import "./conversation-properties.js";
import "./files-properties.js";
import "./payments-properties.js";
import "./resource-directory-properties.js";
import "./resource-files-properties.js";
import "./resource-wire-properties.js";
import "../../mutants/server/index.js";
import "./race-properties.js";
import "./conf-server-properties.js";
import "./memory-properties.js";
