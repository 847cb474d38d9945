// The tables, written once; BYTES and INT8 become each dialect's type.
// Integers that can grow past 2^31 (sequence numbers, times, sizes) are
// 64-bit in both databases.

const TABLES = `
CREATE TABLE IF NOT EXISTS accounts (
  account_id BYTES PRIMARY KEY,
  identity_key BYTES NOT NULL,
  list_body BYTES NOT NULL,
  list_signature BYTES NOT NULL,
  list_version INT8 NOT NULL,
  seq INT8 NOT NULL,
  oldest_seq INT8 NOT NULL,
  created_ms INT8 NOT NULL
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS devices (
  account_id BYTES NOT NULL,
  device_id INT8 NOT NULL,
  signing_key BYTES NOT NULL,
  identity_key BYTES NOT NULL,
  certificate BYTES NOT NULL,
  is_current INT8 NOT NULL,
  inbox_seq INT8 NOT NULL,
  acked_seq INT8 NOT NULL,
  PRIMARY KEY (account_id, device_id)
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS log (
  account_id BYTES NOT NULL,
  seq INT8 NOT NULL,
  time_ms INT8 NOT NULL,
  kind INT8 NOT NULL,
  payload BYTES,
  msg_sender BYTES,
  msg_cmid BYTES,
  PRIMARY KEY (account_id, seq)
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS messages (
  sender_account_id BYTES NOT NULL,
  client_message_id BYTES NOT NULL,
  conversation_id BYTES NOT NULL,
  sender_device_id INT8 NOT NULL,
  ciphertext BYTES NOT NULL,
  sender_seq INT8 NOT NULL,
  time_ms INT8 NOT NULL,
  PRIMARY KEY (sender_account_id, client_message_id)
);
CREATE TABLE IF NOT EXISTS conversations (
  conversation_id BYTES PRIMARY KEY,
  kind INT8 NOT NULL,
  creator BYTES NOT NULL,
  epoch INT8 NOT NULL,
  latest BYTES NOT NULL,
  create_response BYTES NOT NULL
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS members (
  conversation_id BYTES NOT NULL,
  account_id BYTES NOT NULL,
  PRIMARY KEY (conversation_id, account_id)
) ROWID_CLAUSE;
CREATE INDEX IF NOT EXISTS members_by_account ON members (account_id);
CREATE TABLE IF NOT EXISTS member_changes (
  actor BYTES NOT NULL,
  client_request_id BYTES NOT NULL,
  request_digest BYTES NOT NULL,
  response BYTES NOT NULL,
  PRIMARY KEY (actor, client_request_id)
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS device_sends (
  sender_account_id BYTES NOT NULL,
  client_message_id BYTES NOT NULL,
  request_digest BYTES NOT NULL,
  time_ms INT8 NOT NULL,
  PRIMARY KEY (sender_account_id, client_message_id)
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS inbox (
  account_id BYTES NOT NULL,
  device_id INT8 NOT NULL,
  inbox_seq INT8 NOT NULL,
  sender_account_id BYTES NOT NULL,
  sender_device_id INT8 NOT NULL,
  client_message_id BYTES NOT NULL,
  ciphertext BYTES NOT NULL,
  time_ms INT8 NOT NULL,
  PRIMARY KEY (account_id, device_id, inbox_seq)
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS signed_prekeys (
  account_id BYTES NOT NULL,
  device_id INT8 NOT NULL,
  key_id INT8 NOT NULL,
  public_key BYTES NOT NULL,
  signature BYTES NOT NULL,
  PRIMARY KEY (account_id, device_id)
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS kem_prekeys (
  account_id BYTES NOT NULL,
  device_id INT8 NOT NULL,
  key_id INT8 NOT NULL,
  last_resort INT8 NOT NULL,
  public_key BYTES NOT NULL,
  signature BYTES NOT NULL,
  PRIMARY KEY (account_id, device_id, last_resort, key_id)
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS one_time_prekeys (
  account_id BYTES NOT NULL,
  device_id INT8 NOT NULL,
  key_id INT8 NOT NULL,
  public_key BYTES NOT NULL,
  PRIMARY KEY (account_id, device_id, key_id)
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS uploads (
  upload_id BYTES PRIMARY KEY,
  account_id BYTES NOT NULL,
  client_request_id BYTES NOT NULL,
  conversation_id BYTES NOT NULL,
  size INT8 NOT NULL,
  digest BYTES NOT NULL,
  part_size INT8 NOT NULL,
  part_count INT8 NOT NULL,
  expires_at_ms INT8 NOT NULL,
  blob_id BYTES
) ROWID_CLAUSE;
CREATE UNIQUE INDEX IF NOT EXISTS uploads_by_request ON uploads (account_id, client_request_id);
CREATE TABLE IF NOT EXISTS upload_parts (
  upload_id BYTES NOT NULL,
  part_index INT8 NOT NULL,
  part_digest BYTES NOT NULL,
  PRIMARY KEY (upload_id, part_index)
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS blobs (
  blob_id BYTES PRIMARY KEY,
  account_id BYTES NOT NULL,
  conversation_id BYTES NOT NULL,
  size INT8 NOT NULL,
  digest BYTES NOT NULL
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS invoices (
  invoice_id BYTES PRIMARY KEY,
  merchant BYTES NOT NULL,
  invoice BYTES NOT NULL,
  total_amount INT8 NOT NULL,
  currency TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  expires_at_ms INT8 NOT NULL,
  paid INT8 NOT NULL
) ROWID_CLAUSE;
CREATE TABLE IF NOT EXISTS payments (
  payer BYTES NOT NULL,
  idempotency_key BYTES NOT NULL,
  request_digest BYTES NOT NULL,
  invoice_id BYTES NOT NULL,
  status INT8 NOT NULL,
  receipt BYTES,
  created_ms INT8 NOT NULL,
  PRIMARY KEY (payer, idempotency_key)
) ROWID_CLAUSE;
CREATE INDEX IF NOT EXISTS payments_by_invoice ON payments (invoice_id);
CREATE TABLE IF NOT EXISTS precheckout_queries (
  query_id BYTES PRIMARY KEY,
  invoice_id BYTES NOT NULL,
  payer BYTES NOT NULL,
  merchant BYTES NOT NULL,
  deadline_ms INT8 NOT NULL,
  answer INT8 NOT NULL,
  error_message TEXT NOT NULL
) ROWID_CLAUSE;
`;

/** Every table name, in a stable order (used by snapshots in tests). */
export const TABLE_NAMES = [
  "accounts", "devices", "log", "messages", "conversations", "members", "member_changes",
  "device_sends", "inbox", "signed_prekeys", "kem_prekeys", "one_time_prekeys", "uploads", "upload_parts", "blobs",
  "invoices", "payments", "precheckout_queries",
] as const;

/**
 * The schema DDL for one dialect. SQLite tables are WITHOUT ROWID: rows
 * live in their primary-key b-tree, so an insert dirties one tree instead
 * of a rowid table plus a key index, which halves the WAL written per send.
 */
export function schemaSql(dialect: "sqlite" | "postgres"): string {
  return dialect === "sqlite"
    ? TABLES.replace(/\bBYTES\b/g, "BLOB").replace(/\bINT8\b/g, "INTEGER").replace(/ROWID_CLAUSE/g, "WITHOUT ROWID")
    : TABLES.replace(/\bBYTES\b/g, "BYTEA").replace(/\bINT8\b/g, "BIGINT").replace(/ ROWID_CLAUSE/g, "");
}
