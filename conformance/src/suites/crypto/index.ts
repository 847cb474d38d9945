// The crypto suite: properties with mode "crypto" that run encryption cases
// (adapter op crypto_case) against an implementation and check the ENC
// rules; the crypto mutants that prove they can fail register from
// src/mutants/crypto/.
import "./identity-properties.js";
import "./key-agreement-properties.js";
import "./ratchet-properties.js";
import "./group-file-backup-properties.js";
import "../../mutants/crypto/index.js";
