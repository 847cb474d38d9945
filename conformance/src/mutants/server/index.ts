import "./server-mutants.js";
