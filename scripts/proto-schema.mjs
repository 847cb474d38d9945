// Loads every .proto under proto/ with protobufjs reflection. Shared by the
// code generator, the schema reference and the tests' value generators.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import protobuf from "protobufjs";

export const PROTO_ROOT = new URL("../proto/", import.meta.url).pathname;

/** Every .proto file below proto/, relative to it, sorted. */
export function protoFiles(dir = PROTO_ROOT) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...protoFiles(path));
    else if (name.endsWith(".proto")) out.push(relative(PROTO_ROOT, path));
  }
  return out;
}

/** A resolved protobufjs root holding every schema, with doc comments. */
export function loadSchemaRoot() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_ROOT, target.startsWith(PROTO_ROOT) ? relative(PROTO_ROOT, target) : target);
  root.loadSync(protoFiles(), { keepCase: true, alternateCommentMode: true });
  root.resolveAll();
  return root;
}

/** Every message type and enum in the root, in declaration order per file. */
export function collectTypes(root) {
  const messages = [];
  const enums = [];
  const walk = (ns) => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) {
        messages.push(nested);
        walk(nested);
      } else if (nested instanceof protobuf.Enum) enums.push(nested);
      else if (nested instanceof protobuf.Namespace) walk(nested);
    }
  };
  walk(root);
  return { messages, enums };
}

/** The fully qualified name without the leading dot. */
export function fullName(reflected) {
  return reflected.fullName.replace(/^\./, "");
}
