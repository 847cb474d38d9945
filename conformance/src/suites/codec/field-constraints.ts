// WIRE-FIELD-001 made machine-readable: the byte lengths the schema
// comments of proto/kabar/v1/*.proto document for request fields ("The
// conversation (16 bytes)", "16 random bytes", "32 bytes each", "X25519
// public key, 32 bytes"). test/resource-field-constraints.test.ts derives
// the same facts from the .proto comments and fails when this table and
// the schema disagree, so the table cannot drift from the schema.

import { ErrorCode } from "@kabar/protocol";

/** One documented length of a bytes field of a request (or of a message nested in one). */
export interface FieldConstraint {
  /** The protobuf message that declares the field. */
  readonly message: string;
  /** The field's name in the .proto file. */
  readonly field: string;
  /** The only length the comment allows. */
  readonly bytes: number;
  /** The field is repeated and the length applies to each element. */
  readonly each?: boolean;
  /** An empty value is also allowed (the comment says "or empty" / "empty keeps …"). */
  readonly emptyAllowed?: boolean;
  /** The code a wrong length gets: FRAME_FIELD_INVALID unless the spec documents a more specific one. */
  readonly code: ErrorCode;
  /** Where the more specific code is documented, if any. */
  readonly codeRule?: string;
}

const F = ErrorCode.FRAME_FIELD_INVALID;

/** The documented lengths of request fields (kabar.v1). */
export const FIELD_CONSTRAINTS: readonly FieldConstraint[] = [
  { message: "Authenticate", field: "account_id", bytes: 32, code: ErrorCode.AUTH_FAILED, codeRule: "TRANSPORT-AUTH-002" },
  { message: "RegisterAccountRequest", field: "identity_key", bytes: 32, code: ErrorCode.KEY_INVALID, codeRule: "ENC-KEY-001" },
  { message: "GetDeviceListRequest", field: "account_id", bytes: 32, code: F },
  { message: "SignedPreKey", field: "public_key", bytes: 32, code: ErrorCode.KEY_INVALID, codeRule: "SERVER-PREKEY-002" },
  { message: "OneTimePreKey", field: "public_key", bytes: 32, code: ErrorCode.KEY_INVALID, codeRule: "SERVER-PREKEY-002" },
  { message: "KemPreKey", field: "public_key", bytes: 1184, code: ErrorCode.KEY_INVALID, codeRule: "SERVER-PREKEY-002" },
  { message: "CreateConversationRequest", field: "conversation_id", bytes: 16, code: F },
  { message: "CreateConversationRequest", field: "member_account_ids", bytes: 32, each: true, code: F },
  { message: "ChangeMembersRequest", field: "conversation_id", bytes: 16, code: F },
  { message: "ChangeMembersRequest", field: "add_account_ids", bytes: 32, each: true, code: F },
  { message: "ChangeMembersRequest", field: "remove_account_ids", bytes: 32, each: true, code: F },
  { message: "ChangeMembersRequest", field: "client_request_id", bytes: 16, code: F },
  { message: "GetConversationRequest", field: "conversation_id", bytes: 16, code: F },
  { message: "SendMessageRequest", field: "conversation_id", bytes: 16, code: F },
  { message: "SendMessageRequest", field: "client_message_id", bytes: 16, code: F },
  { message: "SendToDevicesRequest", field: "client_message_id", bytes: 16, code: F },
  { message: "SendToDevicesRequest", field: "account_id", bytes: 32, code: F },
  { message: "CreateUploadRequest", field: "digest", bytes: 32, code: F },
  { message: "CreateUploadRequest", field: "conversation_id", bytes: 16, emptyAllowed: true, code: F },
  { message: "CreateUploadRequest", field: "client_request_id", bytes: 16, code: F },
  { message: "UploadPartRequest", field: "upload_id", bytes: 16, code: F },
  { message: "GetUploadRequest", field: "upload_id", bytes: 16, code: F },
  { message: "CompleteUploadRequest", field: "upload_id", bytes: 16, code: F },
  { message: "DownloadRangeRequest", field: "blob_id", bytes: 16, code: F },
  { message: "Invoice", field: "invoice_id", bytes: 16, code: F },
  { message: "Invoice", field: "merchant_account_id", bytes: 32, code: F },
  { message: "PayInvoiceRequest", field: "idempotency_key", bytes: 16, code: F },
  { message: "PayInvoiceRequest", field: "invoice_id", bytes: 16, code: F },
];

/**
 * The lengths a .proto file's comments document for bytes fields:
 * `message -> field -> { bytes, each }`. A comment documents a length when it
 * says "N random bytes", "(N bytes)", "(N bytes each)", "(…, N bytes)" or
 * ends "…, N bytes." (as in "X25519 public key, 32 bytes."). Signatures
 * ("(64 bytes, ENC-…)") count too; callers filter what they check.
 */
export function documentedLengths(protoSource: string): Map<string, Map<string, { bytes: number; each: boolean; emptyAllowed: boolean }>> {
  const out = new Map<string, Map<string, { bytes: number; each: boolean; emptyAllowed: boolean }>>();
  let message: string | undefined;
  let comment: string[] = [];
  for (const raw of protoSource.split("\n")) {
    const line = raw.trim();
    const opened = /^message (\w+) \{/.exec(line);
    if (opened !== null) {
      message = opened[1];
      comment = [];
      continue;
    }
    if (line.startsWith("//")) {
      comment.push(line.slice(2).trim());
      continue;
    }
    const field = /^(repeated )?bytes (\w+) = \d+;/.exec(line);
    if (field !== null && message !== undefined) {
      const text = comment.join(" ");
      const m = /(\d[\d,]*) random bytes/.exec(text) ?? /\((?:[^()]*, )?(\d[\d,]*) bytes( each)?[,)]/.exec(text) ?? /, (\d[\d,]*) bytes\./.exec(text);
      if (m !== null) {
        const fields = out.get(message) ?? new Map();
        fields.set(field[2]!, { bytes: Number(m[1]!.replace(/,/g, "")), each: field[1] !== undefined, emptyAllowed: /\bempty\b/.test(text) });
        out.set(message, fields);
      }
    }
    if (!line.startsWith("//")) comment = [];
  }
  return out;
}
