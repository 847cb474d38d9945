// The agreement digest of a visible state (CONF-DIGEST-001): SHA-256 over a
// canonical protobuf encoding, so two devices, or two implementations, can
// be compared without the kit seeing their internals. Canonical means: no
// events (they are device-local notices), every list in its documented
// order, fields in number order, defaults omitted, no unknown fields, which
// is exactly what the generated encoder writes for a normalised value.
import { createHash } from "node:crypto";
import { AdapterVisibleState, encodeMessage, type AdapterVisibleConversation } from "@kabar/protocol";

const byString = (a: string, b: string): number => (Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));

/** The state with events dropped and every list in canonical order (message order is kept: it is display order). */
export function canonicalVisibleState(state: AdapterVisibleState): AdapterVisibleState {
  const conversations: AdapterVisibleConversation[] = state.conversations
    .map((c) => ({
      conversation: c.conversation,
      members: [...c.members].sort(byString),
      messages: c.messages.map((m) => ({
        ...m,
        reactions: [...m.reactions].sort((x, y) => byString(x.account, y.account) || byString(x.emoji, y.emoji)),
      })),
      readMarkers: [...c.readMarkers].sort((x, y) => byString(x.account, y.account)),
      title: c.title,
    }))
    .sort((x, y) => byString(x.conversation, y.conversation));
  return { conversations, events: [] };
}

/** The canonical encoding of a visible state. */
export function canonicalStateEncoding(state: AdapterVisibleState): Uint8Array {
  return encodeMessage(AdapterVisibleState, canonicalVisibleState(state));
}

/** SHA-256 of the canonical encoding. */
export function stateDigest(state: AdapterVisibleState): Uint8Array {
  return new Uint8Array(createHash("sha256").update(canonicalStateEncoding(state)).digest());
}
