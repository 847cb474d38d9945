// Client behaviour (docs/spec/client.md and the client side of
// docs/spec/encryption.md) against the reference server the kit starts,
// honest and adversarial.
import "./convergence-properties.js";
import "./adversary-properties.js";
import "../../../mutants/client/index.js";
import "./trust-properties.js";
import "./sync-properties.js";
import "./resume-properties.js";
import "./device-list-properties.js";
import "./should-properties.js";
import "./history-properties.js";
import "./payment-properties.js";
import "./foreign-share-properties.js";
import "./memory-properties.js";
