// The conversation reducer: folds decrypted contents into message records.
// Every field is last-writer-wins by log sequence number, so applying the
// same contents in any order (for example when a message is decrypted late,
// after its edit) gives the same state on every device (CLIENT-ORDER-001).
import type { ConversationUpdate, Content } from "@kabar/protocol";
import { ConversationKind, ReceiptKind } from "@kabar/protocol";
import { compareBytes, toHex } from "../util/bytes.js";
import type { ConversationRecord, DocumentRecord, MessageRecord } from "./conversation-model.js";

/** The records the reducer reads and writes. */
export interface ConversationRecords {
  /** Reads a conversation. */
  getConversation(id: string): Promise<ConversationRecord | undefined>;
  /** Writes a conversation. */
  putConversation(conversation: ConversationRecord): Promise<void>;
  /** Reads a message. */
  getMessage(conversationId: string, messageId: string): Promise<MessageRecord | undefined>;
  /** Writes a message. */
  putMessage(message: MessageRecord): Promise<void>;
}

/** Where a content came from in the log. */
export interface ContentOrigin {
  /** Conversation id, hex. */
  readonly conversationId: string;
  /** Log seq of the update that carried the content. */
  readonly seq: number;
  /** Sending account, hex. */
  readonly sender: string;
  /** Sending device. */
  readonly senderDevice: number;
}

/** What applying a content changed, for events. */
export type AppliedChange =
  | {
    /** A new message. */
    readonly kind: "message";
    /** The message after the change. */
    readonly message: MessageRecord;
  }
  | {
    /** A message's text was replaced. */
    readonly kind: "edit";
    /** The message after the change. */
    readonly message: MessageRecord;
  }
  | {
    /** A message was deleted. */
    readonly kind: "delete";
    /** The message after the change. */
    readonly message: MessageRecord;
  }
  | {
    /** A reaction changed. */
    readonly kind: "reaction";
    /** The message after the change. */
    readonly message: MessageRecord;
    /** The reacting account, hex. */
    readonly account: string;
    /** The emoji. */
    readonly emoji: string;
    /** True when the reaction is now present. */
    readonly present: boolean;
  }
  | {
    /** A receipt was applied. */
    readonly kind: "receipt";
    /** The reading account, hex. */
    readonly reader: string;
    /** The acknowledged message ids, hex. */
    readonly messageIds: readonly string[];
    /** True for a read receipt, false for a delivery receipt. */
    readonly read: boolean;
  }
  | {
    /** Nothing changed. */
    readonly kind: "ignored";
    /** Why, for logs. */
    readonly reason: string;
  };

/** The result of {@link applyMembership}. */
export interface MembershipResult {
  /** The conversation after the update. */
  readonly record: ConversationRecord;
  /** False when the update was already applied. */
  readonly changed: boolean;
}

function placeholder(conversationId: string, messageId: string, sender: string): MessageRecord {
  return {
    conversationId, messageId, seq: 0, sender, senderDevice: 0, sentAtMs: 0, text: undefined, replyTo: "", document: undefined,
    editSeq: 0, deleteSeq: 0, reactions: {},
  };
}

/** Applies one decrypted conversation content. Idempotent for a given (origin, content). */
export async function applyContent(records: ConversationRecords, origin: ContentOrigin, content: Content): Promise<AppliedChange> {
  const body = content.body;
  const conv = origin.conversationId;
  switch (body?.$case) {
    case "text":
    case "document": {
      const id = toHex(content.messageId);
      const existing = await records.getMessage(conv, id);
      // CLIENT-DEDUP-003: a message id is shown once, whatever the log repeats.
      if (existing !== undefined && existing.seq > 0) return { kind: "ignored", reason: "duplicate message id" };
      const document: DocumentRecord | undefined = body.$case === "document" ? {
        blobId: toHex(body.value.blobId), key: toHex(body.value.key), digest: toHex(body.value.digest), size: Number(body.value.size),
        ciphertextSize: Number(body.value.ciphertextSize), mediaType: body.value.mediaType, fileName: body.value.fileName,
      } : undefined;
      // A placeholder holds what arrived before the message (late decryption).
      // Edits and deletes in it count only if they came from the message's
      // own sender (CLIENT-AUTH-001); reactions are anyone's.
      const early = existing ?? placeholder(conv, id, origin.sender);
      const base = early.sender === origin.sender ? early : { ...placeholder(conv, id, origin.sender), reactions: early.reactions };
      const deleted = base.deleteSeq > origin.seq;
      const edited = base.editSeq > origin.seq;
      const message: MessageRecord = {
        ...base, seq: origin.seq, sender: origin.sender, senderDevice: origin.senderDevice, sentAtMs: Number(content.sentAtMs),
        text: deleted ? undefined : edited ? base.text : body.$case === "text" ? body.value.body : undefined,
        replyTo: body.$case === "text" ? toHex(body.value.replyTo) : "",
        document: deleted ? undefined : document,
        editSeq: edited ? base.editSeq : 0, deleteSeq: deleted ? base.deleteSeq : 0, pendingReaders: [],
      };
      await records.putMessage(message);
      // Read receipts that arrived before the message now move the markers.
      for (const reader of early.pendingReaders ?? []) await moveReadMarker(records, conv, reader, id, origin.seq);
      return { kind: "message", message };
    }
    case "edit":
    case "delete": {
      const id = toHex(body.value.targetMessageId);
      const known = (await records.getMessage(conv, id)) ?? placeholder(conv, id, origin.sender);
      // A placeholder made by a reaction or receipt has no sender yet; the
      // editor claims it, and the message itself settles the claim later.
      const target = known.seq === 0 && known.sender === "" ? { ...known, sender: origin.sender } : known;
      // CLIENT-AUTH-001: only the sender of a message edits or deletes it.
      if (target.sender !== origin.sender) return { kind: "ignored", reason: "edit or delete of another sender's message" };
      if (body.$case === "edit") {
        if (target.deleteSeq > 0 || target.editSeq >= origin.seq || (target.seq > origin.seq)) return { kind: "ignored", reason: "stale edit" };
        const message = { ...target, text: body.value.body, editSeq: origin.seq };
        await records.putMessage(message);
        return { kind: "edit", message };
      }
      if (target.deleteSeq > 0 && target.deleteSeq <= origin.seq) return { kind: "ignored", reason: "already deleted" };
      const message = { ...target, text: undefined, document: undefined, deleteSeq: origin.seq };
      await records.putMessage(message);
      return { kind: "delete", message };
    }
    case "reaction": {
      const id = toHex(body.value.targetMessageId);
      const target = (await records.getMessage(conv, id)) ?? placeholder(conv, id, "");
      const key = `${origin.sender}:${body.value.emoji}`;
      const current = target.reactions[key];
      if (current !== undefined && current.seq >= origin.seq) return { kind: "ignored", reason: "stale reaction" };
      const present = !body.value.remove;
      const message = { ...target, reactions: { ...target.reactions, [key]: { account: origin.sender, emoji: body.value.emoji, present, seq: origin.seq } } };
      await records.putMessage(message);
      return { kind: "reaction", message, account: origin.sender, emoji: body.value.emoji, present };
    }
    case "receipt": {
      const ids = body.value.targetMessageIds.map(toHex);
      const read = body.value.kind === ReceiptKind.READ;
      if (read) {
        for (const id of ids) {
          const target = await records.getMessage(conv, id);
          if (target !== undefined && target.seq > 0) await moveReadMarker(records, conv, origin.sender, id, target.seq);
          else {
            // The target is not decrypted yet: remember the reader on a placeholder.
            const base = target ?? placeholder(conv, id, "");
            if (!(base.pendingReaders ?? []).includes(origin.sender)) await records.putMessage({ ...base, pendingReaders: [...(base.pendingReaders ?? []), origin.sender] });
          }
        }
      }
      return { kind: "receipt", reader: origin.sender, messageIds: ids, read };
    }
    default:
      return { kind: "ignored", reason: "content not shown in conversations" };
  }
}

/** Moves a reader's marker forward to a message when it is later in the log than the current one. */
async function moveReadMarker(records: ConversationRecords, conv: string, reader: string, messageId: string, seq: number): Promise<void> {
  const conversation = await records.getConversation(conv);
  if (conversation === undefined) return;
  const current = conversation.readMarkers[reader];
  if (current !== undefined && current.seq >= seq) return;
  await records.putConversation({ ...conversation, readMarkers: { ...conversation.readMarkers, [reader]: { messageId, seq } } });
}

/** Applies a server-visible membership update (idempotent by seq). */
export async function applyMembership(records: ConversationRecords, update: ConversationUpdate, seq: number, self: string): Promise<MembershipResult> {
  const id = toHex(update.conversationId);
  const existing = await records.getConversation(id);
  if (existing !== undefined && existing.membershipSeq >= seq) return { record: existing, changed: false };
  const members = [...update.memberAccountIds].sort(compareBytes).map(toHex);
  const record: ConversationRecord = {
    id, kind: update.kind === ConversationKind.DIRECT ? "direct" : "group", members, epoch: Number(update.epoch),
    membershipSeq: seq, left: !members.includes(self), readMarkers: existing?.readMarkers ?? {},
  };
  await records.putConversation(record);
  return { record, changed: true };
}
