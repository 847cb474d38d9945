import "./server-mutants.js";
import "./payment-mutants.js";
import "./transport-mutants.js";
import "./sync-mutants.js";
import "./resource-mutants.js";
import "./race-mutants.js";
import "./conf-mutants.js";
