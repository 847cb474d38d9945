// Published vectors for sender-key chains (ENC-SENDERKEY-*): explicit chain
// key and signing seed, messages as wire bytes, deliveries with results.
import { isKabarError, errorCodeName, SenderKeyMessage } from "@kabar/protocol";
import { NodeCryptoProvider } from "../provider/node-provider.js";
import { deterministicRandom } from "../provider/deterministic-random.js";
import { acceptSenderKeyDistribution, senderKeyDecrypt, senderKeyEncrypt } from "../senderkey/sender-key-cipher.js";
import type { SenderKeyChain } from "../senderkey/sender-key-state.js";
import { hex, seedOf, unhex, type VectorFile, type VectorTest } from "./vector-format.js";

export interface Scenario { comment: string; rule: string; sends: number; deliver: { message: number; mutate?: "flipCiphertext" | "iteration+1" }[] }
const SCENARIOS: Scenario[] = [
  { comment: "in-order chain steps", rule: "ENC-SENDERKEY-001", sends: 3, deliver: [{ message: 0 }, { message: 1 }, { message: 2 }] },
  { comment: "out-of-order with skipped keys", rule: "ENC-SENDERKEY-004", sends: 3, deliver: [{ message: 2 }, { message: 0 }, { message: 1 }] },
  { comment: "replay", rule: "ENC-SENDERKEY-004", sends: 1, deliver: [{ message: 0 }, { message: 0 }] },
  { comment: "tampered ciphertext", rule: "ENC-SENDERKEY-002", sends: 1, deliver: [{ message: 0, mutate: "flipCiphertext" }] },
  { comment: "iteration changed under the signature", rule: "ENC-SENDERKEY-002", sends: 1, deliver: [{ message: 0, mutate: "iteration+1" }] },
];

function mutate(wire: Uint8Array, how: string | undefined): Uint8Array {
  if (how === undefined) return wire;
  const m = SenderKeyMessage.decode(wire);
  if (how === "flipCiphertext") m.ciphertext = m.ciphertext.map((b, i) => (i === 0 ? b ^ 1 : b));
  else m.iteration += 1;
  return SenderKeyMessage.encode(m).finish();
}

function chainFrom(inputs: Record<string, string | number>, withPrivate: boolean): SenderKeyChain {
  const provider = new NodeCryptoProvider();
  const signing = provider.ed25519KeyPairFromSeed(unhex(inputs.signingSeed));
  const sender = { accountId: unhex(inputs.senderAccountId), deviceId: Number(inputs.senderDeviceId) };
  const chain = acceptSenderKeyDistribution({
    version: 1, conversationId: unhex(inputs.conversationId), distributionId: unhex(inputs.distributionId),
    iteration: Number(inputs.iteration), chainKey: unhex(inputs.chainKey), signingKey: signing.publicKey,
  }, sender);
  return withPrivate ? { ...chain, signingPrivateKey: signing.privateKey } : chain;
}

export function play(inputs: Record<string, string | number>, scenario: Pick<Scenario, "sends" | "deliver">, recorded?: string[]): { wires: string[]; results: string[] } {
  const provider = new NodeCryptoProvider();
  let own = chainFrom(inputs, true);
  let theirs = chainFrom(inputs, false);
  const wires: string[] = [];
  for (let i = 0; i < scenario.sends; i++) {
    const out = senderKeyEncrypt(provider, own, new TextEncoder().encode(`group message ${i}`));
    own = out.chain;
    wires.push(hex(out.message));
  }
  const results = scenario.deliver.map(({ message, mutate: how }) => {
    try {
      const out = senderKeyDecrypt(provider, () => theirs, mutate(unhex((recorded ?? wires)[message]), how));
      theirs = out.chain;
      return `ok:${new TextDecoder().decode(out.plaintext)}`;
    } catch (error) {
      if (!isKabarError(error)) throw error;
      return `error:${errorCodeName(error.code)}`;
    }
  });
  return { wires, results };
}

/** Generates the sender-key vector file. */
export function generateSenderKeyVectors(): VectorFile {
  const random = deterministicRandom(seedOf("kabar-v1 vectors sender-key"));
  const tests: VectorTest[] = SCENARIOS.map((scenario, index) => {
    const inputs = {
      conversationId: hex(random(16)), distributionId: hex(random(16)), senderAccountId: hex(random(32)), senderDeviceId: 3,
      iteration: index * 7, chainKey: hex(random(32)), signingSeed: hex(random(32)),
    };
    const { wires, results } = play(inputs, scenario);
    const failed = results.find((r) => r.startsWith("error:"));
    return {
      tcId: index + 1, comment: scenario.comment, rule: scenario.rule, inputs: { ...inputs, deliver: scenario.deliver, wires },
      outputs: { results }, result: failed ? "invalid" : "valid", ...(failed ? { errorCode: failed.slice(6) } : {}),
    };
  });
  return {
    algorithm: "kabar-v1 sender keys (HMAC chain, AES-256-GCM, Ed25519)", version: "1",
    notes: "The chain starts at `iteration` with `chainKey`; signingSeed is the Ed25519 seed of the chain signing key. Plaintext of message i is 'group message i'. `wires` are SenderKeyMessage bytes.",
    testGroups: [{ type: "SenderKeyChain", tests }],
  };
}

/** Checks every sender-key vector. */
export function checkSenderKeyVectors(file: VectorFile): string[] {
  const failures: string[] = [];
  for (const t of file.testGroups.flatMap((g) => g.tests)) {
    const inputs = t.inputs as Record<string, string | number> & { deliver: Scenario["deliver"]; wires: string[] };
    const played = play(inputs, { sends: inputs.wires.length, deliver: inputs.deliver }, inputs.wires);
    if (JSON.stringify(played.results) !== JSON.stringify((t.outputs as { results: string[] }).results)) failures.push(`sender-key tcId ${t.tcId}`);
    if (JSON.stringify(played.wires) !== JSON.stringify(inputs.wires)) failures.push(`sender-key tcId ${t.tcId} wires`);
  }
  return failures;
}
