// A codec target backed by an adapter's `decode` operation, so the WIRE
// properties can certify another implementation's decoder without a server.
import type { AdapterSession } from "../targets/adapter-session.js";
import type { Transcript } from "../adapter/transcript.js";
import type { CodecTarget } from "../targets/target-types.js";

/** A codec target that forwards each decode to the adapter of `session`. */
export function adapterCodec(session: AdapterSession, transcript: Transcript): CodecTarget {
  return {
    name: `adapter decoder (${session.identity.implementation} ${session.identity.version})`,
    async decode(typeName, payload, limits = {}) {
      const client = await session.client(transcript);
      const result = await client.call("decode", {
        messageType: typeName,
        payload,
        maxBytes: limits.maxBytes ?? 0,
        maxDepth: limits.maxDepth ?? 0,
      });
      const outcome = result.outcome;
      if (outcome === undefined) return { kind: "crashed", message: "adapter answered decode with neither reencoded nor rejected" };
      return outcome.$case === "rejected" ? { kind: "rejected", code: outcome.value } : { kind: "accepted", reencoded: outcome.value };
    },
  };
}
