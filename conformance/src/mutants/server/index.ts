import "./server-mutants.js";
import "./payment-mutants.js";
