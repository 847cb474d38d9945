// Crypto mutants, one module per area.
import "./identity-mutants.js";
import "./key-agreement-mutants.js";
import "./ratchet-mutants.js";
import "./group-file-backup-mutants.js";
