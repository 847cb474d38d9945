// The adapter-contract properties (docs/spec/conformance.md, CONF-*).
import "./contract-properties.js";
import "./contract-mutants.js";
