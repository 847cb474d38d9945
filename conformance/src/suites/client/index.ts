// The client suite: properties with mode "client" that drive a client
// implementation through its adapter (ClientTarget.adapter.call) and compare
// what its users see (getVisibleState, getStateDigest). The client-suite
// authors add one module per spec chapter here and import it below, plus
// the adapter-contract properties in ./adapter-contract.
import "./adapter-contract/index.js";
import "./behaviour/index.js";
