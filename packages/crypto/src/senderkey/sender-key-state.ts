// Sender-key chain state (ENC-SENDERKEY-001) and its byte layout
// (ENC-STATE-002). One chain per (conversation, sending device, distribution).
import type { KeyPair } from "../provider/crypto-provider.js";
import { ByteReader, ByteWriter } from "../encoding/binary.js";
import { ErrorCode, fail } from "../errors.js";

/** Most iterations a receiver derives ahead for one message (ENC-SENDERKEY-004). */
export const MAX_SENDER_KEY_JUMP = 2000;
/** Most skipped sender-key message keys kept per chain, oldest evicted first (ENC-SENDERKEY-004). */
export const MAX_SENDER_KEY_SKIPPED = 2000;
/** Highest usable iteration (ENC-SENDERKEY-004). */
export const MAX_ITERATION = 0xfffffffe;

/** The device that owns a chain. */
export interface SenderAddress {
  /** Account id, 32 bytes. */
  readonly accountId: Uint8Array;
  /** Device id. */
  readonly deviceId: number;
}

/** A sender-key chain as its owner or a receiver holds it. */
export interface SenderKeyChain {
  /** Conversation id, 16 bytes. */
  readonly conversationId: Uint8Array;
  /** Distribution id, 16 bytes; new on every rotation. */
  readonly distributionId: Uint8Array;
  /** The sending device. */
  readonly sender: SenderAddress;
  /** Chain key for `iteration`. */
  readonly chainKey: Uint8Array;
  /** Next iteration. */
  readonly iteration: number;
  /** The chain's Ed25519 public signing key. */
  readonly signingKey: Uint8Array;
  /** The private signing key: set only on the owner's chain. */
  readonly signingPrivateKey: Uint8Array | undefined;
  /** Receiver-side skipped keys, oldest first. */
  readonly skipped: readonly {
    /** The chain iteration the key decrypts. */
    readonly iteration: number;
    /** The message key kept for that iteration (32 bytes). */
    readonly messageKey: Uint8Array;
  }[];
}

/** The owner's signing key pair of a chain. */
export function chainSigningKeyPair(chain: SenderKeyChain): KeyPair {
  if (chain.signingPrivateKey === undefined) fail(ErrorCode.SENDER_KEY_NOT_FOUND, "not the owner of this sender-key chain", "ENC-SENDERKEY-001");
  return { privateKey: chain.signingPrivateKey, publicKey: chain.signingKey };
}

const FORMAT = 1;

/** Serializes a sender-key chain (ENC-STATE-002). Contains secrets. */
export function serializeSenderKeyChain(chain: SenderKeyChain): Uint8Array {
  const w = new ByteWriter().u8(FORMAT).bytes(chain.conversationId).bytes(chain.distributionId)
    .bytes(chain.sender.accountId).u32(chain.sender.deviceId).bytes(chain.chainKey).u32(chain.iteration).bytes(chain.signingKey);
  if (chain.signingPrivateKey === undefined) w.u8(0);
  else w.u8(1).bytes(chain.signingPrivateKey);
  w.u16(chain.skipped.length);
  for (const entry of chain.skipped) w.u32(entry.iteration).bytes(entry.messageKey);
  return w.finish();
}

/** Restores a chain from {@link serializeSenderKeyChain} bytes; KEY_INVALID on malformed input. */
export function deserializeSenderKeyChain(bytes: Uint8Array): SenderKeyChain {
  const r = new ByteReader(bytes);
  if (r.u8() !== FORMAT) fail(ErrorCode.KEY_INVALID, "unknown sender-key format", "ENC-STATE-002");
  const conversationId = r.bytes(16);
  const distributionId = r.bytes(16);
  const sender = { accountId: r.bytes(32), deviceId: r.u32() };
  const chainKey = r.bytes(32);
  const iteration = r.u32();
  const signingKey = r.bytes(32);
  const hasPrivate = r.u8();
  // Only 0 and 1 round-trip exactly (ENC-STATE-002 under ENC-STATE-001 strictness).
  if (hasPrivate > 1) fail(ErrorCode.KEY_INVALID, "sender-key private flag must be 0 or 1", "ENC-STATE-002");
  const signingPrivateKey = hasPrivate === 1 ? r.bytes(32) : undefined;
  const count = r.u16();
  if (count > MAX_SENDER_KEY_SKIPPED) fail(ErrorCode.KEY_INVALID, "too many skipped sender keys", "ENC-STATE-002");
  const skipped = [];
  for (let i = 0; i < count; i++) skipped.push({ iteration: r.u32(), messageKey: r.bytes(32) });
  r.end();
  return { conversationId, distributionId, sender, chainKey, iteration, signingKey, signingPrivateKey, skipped };
}
