// Generates the schema reference page (markdown) from proto/ with protobufjs
// reflection: every message with its fields (number, type, label) and every
// enum with its values, each with its doc comment. Rule ids in comments link
// to their anchors in the spec chapters.
import { relative } from "node:path";
import protobuf from "protobufjs";
import { collectTypes, fullName, loadSchemaRoot, PROTO_ROOT } from "../proto-schema.mjs";
import { pageSlugger } from "./slug.mjs";
import { RULE_ID_GLOBAL } from "./rules.mjs";

/**
 * Text safe inside a markdown table cell (or paragraph): one line, `|` escaped,
 * and outside `code spans` no raw HTML (`<`, `>`, `&` become entities).
 */
export function escapeCell(text) {
  return text
    .replace(/\s*\n\s*/g, " ")
    .trim()
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")))
    .join("")
    .replace(/\|/g, "\\|");
}

/**
 * @param {object} options
 * @param {(id: string) => string | undefined} options.ruleLink markdown link target for a rule id, or undefined if the spec does not define it
 * @returns {{ markdown: string, messages: number, fields: number, enums: number, values: number, ruleRefs: Map<string, string[]>, unresolved: Map<string, string[]> }}
 */
export function schemaReference({ ruleLink }) {
  const root = loadSchemaRoot();
  const { messages, enums } = collectTypes(root);
  const slug = pageSlugger();
  const ruleRefs = new Map();
  const unresolved = new Map();
  const note = (map, id, where) => map.set(id, [...(map.get(id) ?? []), where]);

  const prose = (comment, where) =>
    escapeCell(comment ?? "").replace(RULE_ID_GLOBAL, (id) => {
      const target = ruleLink(id);
      note(target ? ruleRefs : unresolved, id, where);
      return target ? `[${id}](${target})` : id;
    });

  // Headings: the short name where it is unique, the full name where it is not.
  const all = [...messages, ...enums];
  const shortCount = new Map();
  for (const t of all) shortCount.set(t.name, (shortCount.get(t.name) ?? 0) + 1);
  const headingText = (t) => {
    const rel = fullName(t).slice(packageOf(t).length + 1);
    return shortCount.get(t.name) > 1 ? fullName(t) : rel;
  };

  // Group by file, in file order; assign anchors in the order the headings appear.
  const files = new Map();
  for (const t of all) {
    const file = relative(PROTO_ROOT, t.filename);
    if (!files.has(file)) files.set(file, { messages: [], enums: [] });
    files.get(file)[t instanceof protobuf.Enum ? "enums" : "messages"].push(t);
  }
  const sortedFiles = [...files.keys()].sort();
  const anchors = new Map();
  const fileAnchors = new Map();
  slug("Schema reference");
  slug("Contents");
  for (const file of sortedFiles) {
    fileAnchors.set(file, slug(file));
    for (const t of [...files.get(file).messages, ...files.get(file).enums]) anchors.set(t, slug(headingText(t)));
  }

  const typeCell = (field) => {
    const resolved = field.resolvedType;
    const name = resolved ? `[${headingText(resolved)}](#${anchors.get(resolved)})` : `\`${field.type}\``;
    if (field.map) return `map<\`${field.keyType}\`, ${name}>`.replace(/</g, "&lt;").replace(/>/g, "&gt;");
    return name;
  };
  // The label goes with the type: `repeated bytes`, `optional uint32`, `Hello` in oneof `body`.
  const labelCell = (field) => {
    if (field.map) return "";
    if (field.repeated) return "repeated ";
    if (field.options?.proto3_optional) return "optional ";
    return "";
  };
  const oneofNote = (field) => (field.partOf && !field.options?.proto3_optional ? `<br>oneof \`${field.partOf.name}\`` : "");

  let fieldCount = 0;
  let valueCount = 0;
  const out = [];
  out.push("---", "title: Schema reference", "group: Reference", "---", "");
  out.push("# Schema reference", "");
  out.push(
    "Every message and enum of the wire schemas in `proto/`, generated from the `.proto` files and their doc comments " +
      "when the site is built. Field numbers and types are normative; the doc comments name the limits and, in parentheses, " +
      "the spec rules that govern a field (each links to the rule). A type without a label is a plain proto3 field " +
      "(absent means the default value); _repeated_ and _map_ fields hold any number of values; _optional_ has explicit presence; " +
      "_oneof_ names the group of which at most one member is set.",
    "",
  );
  out.push(`${messages.length} messages and ${enums.length} enums in ${sortedFiles.length} files.`, "");
  out.push("## Contents", "");
  for (const file of sortedFiles) {
    const { messages: ms, enums: es } = files.get(file);
    const names = [...ms, ...es].map((t) => `[${headingText(t)}](#${anchors.get(t)})`).join(", ");
    out.push(`- [${file}](#${fileAnchors.get(file)}): ${names}`);
  }
  out.push("");

  for (const file of sortedFiles) {
    const { messages: ms, enums: es } = files.get(file);
    const pkg = packageOf(ms[0] ?? es[0]);
    out.push(`## ${file}`, "", `Package \`${pkg}\`.`, "");
    for (const t of ms) {
      const name = fullName(t);
      out.push(`### ${headingText(t)}`, "", `Message \`${name}\`.`, "", prose(t.comment, name) || "_Undocumented._", "");
      const fields = [...t.fieldsArray].sort((a, b) => a.id - b.id);
      if (fields.length === 0) {
        out.push("No fields.", "");
      } else {
        out.push("| # | Field | Type | Description |", "|---:|---|---|---|");
        for (const f of fields) {
          fieldCount++;
          out.push(`| ${f.id} | \`${f.name}\` | ${labelCell(f)}${typeCell(f)}${oneofNote(f)} | ${prose(f.comment, `${name}.${f.name}`)} |`);
        }
        out.push("");
      }
      const oneofs = t.oneofsArray.filter((o) => !o.fieldsArray.every((f) => f.options?.proto3_optional));
      for (const o of oneofs) {
        out.push(`Oneof \`${o.name}\`: ${prose(o.comment, `${name}.${o.name}`) || "_undocumented_"} Members: ${o.fieldsArray.map((f) => `\`${f.name}\``).join(", ")}.`, "");
      }
      if (t.reserved?.length) {
        const reserved = t.reserved.map((r) => (Array.isArray(r) ? (r[0] === r[1] ? `${r[0]}` : `${r[0]}–${r[1]}`) : `\`${r}\``));
        out.push(`Reserved: ${reserved.join(", ")}.`, "");
      }
    }
    for (const e of es) {
      const name = fullName(e);
      out.push(`### ${headingText(e)}`, "", `Enum \`${name}\`.`, "", prose(e.comment, name) || "_Undocumented._", "");
      out.push("| Value | Number | Description |", "|---|---:|---|");
      for (const [valueName, number] of Object.entries(e.values)) {
        valueCount++;
        out.push(`| \`${valueName}\` | ${number} | ${prose(e.comments[valueName], `${name}.${valueName}`)} |`);
      }
      out.push("");
    }
  }
  if (unresolved.size) {
    out.push("## Rules not yet in the spec", "");
    out.push("These rule ids appear in schema comments but no chapter of `docs/spec/` defines them yet:", "");
    for (const [id, where] of [...unresolved].sort(([a], [b]) => a.localeCompare(b))) out.push(`- ${id}: ${where.map((w) => `\`${w}\``).join(", ")}`);
    out.push("");
  }
  return { markdown: out.join("\n"), messages: messages.length, fields: fieldCount, enums: enums.length, values: valueCount, ruleRefs, unresolved };
}

function packageOf(t) {
  let ns = t.parent;
  while (ns && ns instanceof protobuf.Type) ns = ns.parent;
  return ns ? fullName(ns) : "";
}
