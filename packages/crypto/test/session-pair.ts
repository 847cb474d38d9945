// A helper that sets up an established session pair and moves messages.
import { decryptPairwise, encryptPairwise, initiateSession } from "../src/session/session-cipher.js";
import type { SessionState } from "../src/session/session-state.js";
import type { CryptoProvider } from "../src/provider/crypto-provider.js";
import { makeDevice, provider as defaultProvider, text, type TestDevice } from "./fixtures.js";

export interface Party { device: TestDevice; session: SessionState | undefined }

export class SessionPair {
  readonly a: Party;
  readonly b: Party;
  constructor(readonly provider: CryptoProvider = defaultProvider, handshake = true) {
    const alice = makeDevice(provider, 1), bob = makeDevice(provider, 2);
    this.a = { device: alice, session: initiateSession(provider, { local: alice.local, bundle: bob.bundle(), remoteIdentityKey: bob.account.keyPair.publicKey }) };
    this.b = { device: bob, session: undefined };
    if (handshake) {
      this.receive(this.b, this.a, this.send(this.a, text("hello")));
      this.receive(this.a, this.b, this.send(this.b, text("hi")));
    }
  }

  peer(p: Party): Party { return p === this.a ? this.b : this.a; }

  send(from: Party, plaintext: Uint8Array): Uint8Array {
    const out = encryptPairwise(this.provider, from.session!, plaintext);
    from.session = out.session;
    return out.message;
  }

  receive(to: Party, from: Party, message: Uint8Array): Uint8Array {
    const out = decryptPairwise(this.provider, { local: to.device.local, session: to.session, sender: from.device.verified, preKeys: to.device.lookup }, message);
    if (out.consumedOneTimePreKeyId !== undefined) to.device.oneTime.delete(out.consumedOneTimePreKeyId);
    to.session = out.session;
    return out.plaintext;
  }
}
