// Imports every built-in suite so their properties and mutants register.
import "./codec/index.js";
import "./server/index.js";
import "./client/index.js";
import "./crypto/index.js";
