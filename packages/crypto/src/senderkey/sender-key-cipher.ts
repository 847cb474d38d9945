// Sender keys (ENC-SENDERKEY-001..006): a conversation message is encrypted
// once with the sending device's chain and signed with the chain's key, so
// members cannot forge each other's messages.
import { decodeMessage, SenderKeyDistribution, SenderKeyMessage } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { concatBytes, u32be, utf8 } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";
import { chainStep, messageCipherKeys } from "../session/ratchet-kdf.js";
import { CIPHERTEXT_VERSION } from "../session/session-state.js";
import {
  chainSigningKeyPair, MAX_ITERATION, MAX_SENDER_KEY_JUMP, MAX_SENDER_KEY_SKIPPED, type SenderAddress, type SenderKeyChain,
} from "./sender-key-state.js";

const MESSAGE_INFO = utf8("kabar-v1 sender-key message-keys");
const SIGNATURE_CONTEXT = utf8("kabar-v1 sender-key");

/**
 * ENC-SENDERKEY-002: canonical header, 76 bytes: u32be(version) || conversation_id(16) ||
 * distribution_id(16) || sender account_id(32) || u32be(sender device_id) || u32be(iteration).
 */
export function senderKeyHeader(chain: Pick<SenderKeyChain, "conversationId" | "distributionId" | "sender">, iteration: number, version = CIPHERTEXT_VERSION): Uint8Array {
  return concatBytes(u32be(version), chain.conversationId, chain.distributionId, chain.sender.accountId, u32be(chain.sender.deviceId), u32be(iteration));
}

/** Creates a fresh sending chain with a new distribution id (ENC-SENDERKEY-001, rotation ENC-SENDERKEY-005). */
export function createSenderKeyChain(provider: CryptoProvider, conversationId: Uint8Array, sender: SenderAddress): SenderKeyChain {
  if (conversationId.length !== 16) fail(ErrorCode.KEY_INVALID, "conversation id must be 16 bytes", "ENC-SENDERKEY-001");
  const signing = provider.ed25519GenerateKeyPair();
  return {
    conversationId: new Uint8Array(conversationId), distributionId: provider.randomBytes(16), sender, chainKey: provider.randomBytes(32),
    iteration: 0, signingKey: signing.publicKey, signingPrivateKey: signing.privateKey, skipped: [],
  };
}

/** The distribution message for a chain, to be sent over pairwise sessions only (ENC-SENDERKEY-003). */
export function senderKeyDistribution(chain: SenderKeyChain): SenderKeyDistribution {
  return {
    version: CIPHERTEXT_VERSION, conversationId: chain.conversationId, distributionId: chain.distributionId,
    iteration: chain.iteration, chainKey: chain.chainKey, signingKey: chain.signingKey,
  };
}

/** Builds a receiver chain from a distribution that arrived over a pairwise session from `sender` (ENC-SENDERKEY-003). */
export function acceptSenderKeyDistribution(distribution: SenderKeyDistribution, sender: SenderAddress): SenderKeyChain {
  if (distribution.version !== CIPHERTEXT_VERSION) fail(ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED, "unsupported distribution version", "ENC-VERSION-001");
  if (distribution.conversationId.length !== 16 || distribution.distributionId.length !== 16 || distribution.chainKey.length !== 32 || distribution.signingKey.length !== 32) {
    fail(ErrorCode.KEY_INVALID, "sender-key distribution field lengths", "ENC-SENDERKEY-003");
  }
  if (distribution.iteration > MAX_ITERATION) fail(ErrorCode.COUNTER_EXHAUSTED, "distribution iteration exhausted", "ENC-SENDERKEY-004");
  return {
    conversationId: distribution.conversationId, distributionId: distribution.distributionId, sender, chainKey: distribution.chainKey,
    iteration: distribution.iteration, signingKey: distribution.signingKey, signingPrivateKey: undefined, skipped: [],
  };
}

/** Encrypts and signs one conversation message; returns SenderKeyMessage bytes and the advanced chain. */
export function senderKeyEncrypt(provider: CryptoProvider, chain: SenderKeyChain, plaintext: Uint8Array): {
  /** The chain advanced by one iteration; store it before sending. */
  chain: SenderKeyChain;
  /** The serialized SenderKeyMessage to send. */
  message: Uint8Array;
} {
  const signing = chainSigningKeyPair(chain);
  if (chain.iteration > MAX_ITERATION) fail(ErrorCode.COUNTER_EXHAUSTED, "sender-key iteration exhausted", "ENC-SENDERKEY-004");
  const step = chainStep(provider, chain.chainKey);
  const header = senderKeyHeader(chain, chain.iteration);
  const { key, nonce } = messageCipherKeys(provider, step.messageKey, MESSAGE_INFO);
  const ciphertext = provider.aeadSeal(key, nonce, plaintext, header);
  const signature = provider.ed25519Sign(signing, concatBytes(SIGNATURE_CONTEXT, header, ciphertext));
  const message = SenderKeyMessage.encode({ version: CIPHERTEXT_VERSION, distributionId: chain.distributionId, iteration: chain.iteration, ciphertext, signature }).finish();
  return { chain: { ...chain, chainKey: step.chainKey, iteration: chain.iteration + 1 }, message };
}

/** Decodes a SenderKeyMessage and checks its version; use its distribution id to find the chain. */
export function parseSenderKeyMessage(bytes: Uint8Array): SenderKeyMessage {
  let message: SenderKeyMessage;
  try {
    message = decodeMessage(SenderKeyMessage, bytes);
  } catch {
    return fail(ErrorCode.DECRYPT_FAILED, "sender-key message does not decode", "ENC-SENDERKEY-002");
  }
  if (message.version !== CIPHERTEXT_VERSION) fail(ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED, "unsupported ciphertext version", "ENC-VERSION-001");
  if (message.distributionId.length !== 16) fail(ErrorCode.DECRYPT_FAILED, "distribution id must be 16 bytes", "ENC-SENDERKEY-002");
  return message;
}

/**
 * Decrypts a SenderKeyMessage with the receiver chain `lookup` returns for its
 * distribution id (SENDER_KEY_NOT_FOUND when none). Signature first, then
 * bounds, then AEAD; the input chain is never modified (ENC-SENDERKEY-004).
 */
export function senderKeyDecrypt(
  provider: CryptoProvider, lookup: (distributionId: Uint8Array) => SenderKeyChain | undefined, bytes: Uint8Array,
): {
  /** The chain after this message (skipped keys updated); store it. */
  chain: SenderKeyChain;
  /** The decrypted content bytes. */
  plaintext: Uint8Array;
} {
  const message = parseSenderKeyMessage(bytes);
  const chain = lookup(message.distributionId);
  // ENC-SENDERKEY-005: a rotated-away or never-received distribution is unknown.
  if (chain === undefined) return fail(ErrorCode.SENDER_KEY_NOT_FOUND, "no sender-key chain for this distribution", "ENC-SENDERKEY-005");
  const header = senderKeyHeader(chain, message.iteration);
  if (!provider.ed25519Verify(chain.signingKey, concatBytes(SIGNATURE_CONTEXT, header, message.ciphertext), message.signature)) {
    fail(ErrorCode.SIGNATURE_INVALID, "sender-key message signature invalid", "ENC-SENDERKEY-002");
  }
  if (message.iteration > MAX_ITERATION) fail(ErrorCode.COUNTER_EXHAUSTED, "sender-key iteration exhausted", "ENC-SENDERKEY-004");
  const open = (messageKey: Uint8Array) => {
    const { key, nonce } = messageCipherKeys(provider, messageKey, MESSAGE_INFO);
    return provider.aeadOpen(key, nonce, message.ciphertext, header);
  };
  if (message.iteration < chain.iteration) {
    const index = chain.skipped.findIndex((entry) => entry.iteration === message.iteration);
    if (index < 0) fail(ErrorCode.DUPLICATE_MESSAGE, "sender-key message already received", "ENC-SENDERKEY-004");
    const plaintext = open(chain.skipped[index]!.messageKey);
    return { plaintext, chain: { ...chain, skipped: [...chain.skipped.slice(0, index), ...chain.skipped.slice(index + 1)] } };
  }
  if (message.iteration - chain.iteration > MAX_SENDER_KEY_JUMP) fail(ErrorCode.MESSAGE_TOO_FAR_AHEAD, "sender-key iteration too far ahead", "ENC-SENDERKEY-004");
  const added: { iteration: number; messageKey: Uint8Array }[] = [];
  let chainKey = chain.chainKey;
  for (let iteration = chain.iteration; iteration < message.iteration; iteration++) {
    const step = chainStep(provider, chainKey);
    added.push({ iteration, messageKey: step.messageKey });
    chainKey = step.chainKey;
  }
  const step = chainStep(provider, chainKey);
  const plaintext = open(step.messageKey);
  let skipped = added.length === 0 ? chain.skipped : [...chain.skipped, ...added];
  if (skipped.length > MAX_SENDER_KEY_SKIPPED) skipped = skipped.slice(skipped.length - MAX_SENDER_KEY_SKIPPED);
  return { plaintext, chain: { ...chain, chainKey: step.chainKey, iteration: message.iteration + 1, skipped } };
}
