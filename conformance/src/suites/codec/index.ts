// The codec suite: WIRE-* properties that need only a decoder, and the codec
// mutants that prove they can fail. Importing this module registers them.
import "./codec-properties.js";
import "./decode-properties.js";
import "./frame-properties.js";
import "./compat-properties.js";
import "./codec-mutants.js";
import "./compat-mutants.js";
