// The wire shape of every kabar.v1 message in the first release of protocol
// version 1: field number -> name, declared kind, wire type, repeated, message
// type, oneof. Frozen: later releases may only add to it (WIRE-COMPAT-001).
// test/resource-wire-compat.test.ts checks the current schema against it and
// the codec property wire.compat.baseline-round-trip checks implementations.
// Generated once from @kabar/protocol's MESSAGE_SHAPES; never regenerate it.
import type { FieldShape } from "@kabar/protocol";

/** kabar.v1 field shapes as released in v1, by fully qualified message name and field number. */
export const BASELINE_V1: Readonly<Record<string, Readonly<Record<number, FieldShape>>>> = {
  "kabar.v1.AccountUpdate": {
    1: { n: "seq", k: "uint64", w: 0 },
    2: { n: "count", k: "uint32", w: 0 },
    3: { n: "server_time_ms", k: "uint64", w: 0 },
    4: { n: "message", k: "message", w: 2, m: "kabar.v1.ConversationMessage", o: "kind" },
    5: { n: "conversation", k: "message", w: 2, m: "kabar.v1.ConversationUpdate", o: "kind" },
    6: { n: "device_list", k: "message", w: 2, m: "kabar.v1.DeviceListChanged", o: "kind" },
  },
  "kabar.v1.AckInboxRequest": {
    1: { n: "up_to_seq", k: "uint64", w: 0 },
  },
  "kabar.v1.AckInboxResponse": {
    1: { n: "acked_seq", k: "uint64", w: 0 },
  },
  "kabar.v1.AnswerPreCheckoutRequest": {
    1: { n: "query_id", k: "bytes", w: 2 },
    2: { n: "ok", k: "bool", w: 0 },
    3: { n: "error_message", k: "string", w: 2 },
  },
  "kabar.v1.AnswerPreCheckoutResponse": {
  },
  "kabar.v1.Authenticate": {
    1: { n: "account_id", k: "bytes", w: 2 },
    2: { n: "device_id", k: "uint32", w: 0 },
    3: { n: "signature", k: "bytes", w: 2 },
  },
  "kabar.v1.AuthenticateResponse": {
    1: { n: "seq", k: "uint64", w: 0 },
    2: { n: "inbox_seq", k: "uint64", w: 0 },
    3: { n: "inbox_acked_seq", k: "uint64", w: 0 },
  },
  "kabar.v1.ChangeMembersRequest": {
    1: { n: "conversation_id", k: "bytes", w: 2 },
    2: { n: "add_account_ids", k: "bytes", w: 2, r: true },
    3: { n: "remove_account_ids", k: "bytes", w: 2, r: true },
    4: { n: "client_request_id", k: "bytes", w: 2 },
  },
  "kabar.v1.ChangeMembersResponse": {
    1: { n: "conversation", k: "message", w: 2, m: "kabar.v1.ConversationUpdate" },
    2: { n: "seq", k: "uint64", w: 0 },
  },
  "kabar.v1.ClaimPreKeysRequest": {
    1: { n: "account_id", k: "bytes", w: 2 },
    2: { n: "device_ids", k: "uint32", w: 0, r: true },
  },
  "kabar.v1.ClaimPreKeysResponse": {
    1: { n: "bundles", k: "message", w: 2, r: true, m: "kabar.v1.PreKeyBundle" },
  },
  "kabar.v1.ClientRequest": {
    1: { n: "request_id", k: "uint64", w: 0 },
    2: { n: "hello", k: "message", w: 2, m: "kabar.v1.Hello", o: "body" },
    3: { n: "authenticate", k: "message", w: 2, m: "kabar.v1.Authenticate", o: "body" },
    4: { n: "ping", k: "message", w: 2, m: "kabar.v1.Ping", o: "body" },
    5: { n: "register_account", k: "message", w: 2, m: "kabar.v1.RegisterAccountRequest", o: "body" },
    6: { n: "publish_device_list", k: "message", w: 2, m: "kabar.v1.PublishDeviceListRequest", o: "body" },
    7: { n: "get_device_list", k: "message", w: 2, m: "kabar.v1.GetDeviceListRequest", o: "body" },
    8: { n: "upload_prekeys", k: "message", w: 2, m: "kabar.v1.UploadPreKeysRequest", o: "body" },
    9: { n: "claim_prekeys", k: "message", w: 2, m: "kabar.v1.ClaimPreKeysRequest", o: "body" },
    10: { n: "create_conversation", k: "message", w: 2, m: "kabar.v1.CreateConversationRequest", o: "body" },
    11: { n: "change_members", k: "message", w: 2, m: "kabar.v1.ChangeMembersRequest", o: "body" },
    12: { n: "get_conversation", k: "message", w: 2, m: "kabar.v1.GetConversationRequest", o: "body" },
    13: { n: "send_message", k: "message", w: 2, m: "kabar.v1.SendMessageRequest", o: "body" },
    14: { n: "send_to_devices", k: "message", w: 2, m: "kabar.v1.SendToDevicesRequest", o: "body" },
    15: { n: "get_state", k: "message", w: 2, m: "kabar.v1.GetStateRequest", o: "body" },
    16: { n: "get_difference", k: "message", w: 2, m: "kabar.v1.GetDifferenceRequest", o: "body" },
    17: { n: "fetch_inbox", k: "message", w: 2, m: "kabar.v1.FetchInboxRequest", o: "body" },
    18: { n: "ack_inbox", k: "message", w: 2, m: "kabar.v1.AckInboxRequest", o: "body" },
    19: { n: "create_upload", k: "message", w: 2, m: "kabar.v1.CreateUploadRequest", o: "body" },
    20: { n: "upload_part", k: "message", w: 2, m: "kabar.v1.UploadPartRequest", o: "body" },
    21: { n: "get_upload", k: "message", w: 2, m: "kabar.v1.GetUploadRequest", o: "body" },
    22: { n: "complete_upload", k: "message", w: 2, m: "kabar.v1.CompleteUploadRequest", o: "body" },
    23: { n: "download_range", k: "message", w: 2, m: "kabar.v1.DownloadRangeRequest", o: "body" },
    24: { n: "publish_invoice", k: "message", w: 2, m: "kabar.v1.PublishInvoiceRequest", o: "body" },
    25: { n: "answer_precheckout", k: "message", w: 2, m: "kabar.v1.AnswerPreCheckoutRequest", o: "body" },
    26: { n: "pay_invoice", k: "message", w: 2, m: "kabar.v1.PayInvoiceRequest", o: "body" },
  },
  "kabar.v1.CompleteUploadRequest": {
    1: { n: "upload_id", k: "bytes", w: 2 },
  },
  "kabar.v1.CompleteUploadResponse": {
    1: { n: "blob_id", k: "bytes", w: 2 },
    2: { n: "size", k: "uint64", w: 0 },
  },
  "kabar.v1.ConnectionLimits": {
    1: { n: "max_frame_bytes", k: "uint32", w: 0 },
    2: { n: "max_in_flight", k: "uint32", w: 0 },
    3: { n: "requests_per_second", k: "uint32", w: 0 },
    4: { n: "max_message_bytes", k: "uint32", w: 0 },
    5: { n: "max_difference_limit", k: "uint32", w: 0 },
  },
  "kabar.v1.Content": {
    1: { n: "message_id", k: "bytes", w: 2 },
    2: { n: "sent_at_ms", k: "uint64", w: 0 },
    3: { n: "text", k: "message", w: 2, m: "kabar.v1.Text", o: "body" },
    4: { n: "document", k: "message", w: 2, m: "kabar.v1.DocumentPointer", o: "body" },
    5: { n: "edit", k: "message", w: 2, m: "kabar.v1.Edit", o: "body" },
    6: { n: "delete", k: "message", w: 2, m: "kabar.v1.Delete", o: "body" },
    7: { n: "reaction", k: "message", w: 2, m: "kabar.v1.Reaction", o: "body" },
    8: { n: "receipt", k: "message", w: 2, m: "kabar.v1.Receipt", o: "body" },
    9: { n: "membership", k: "message", w: 2, m: "kabar.v1.MembershipChange", o: "body" },
    10: { n: "history_keys", k: "message", w: 2, m: "kabar.v1.HistoryKeyShare", o: "body" },
    11: { n: "sender_key", k: "message", w: 2, m: "kabar.v1.SenderKeyDistribution", o: "body" },
    12: { n: "invoice", k: "message", w: 2, m: "kabar.v1.Invoice", o: "body" },
    13: { n: "payment_receipt", k: "message", w: 2, m: "kabar.v1.PaymentReceipt", o: "body" },
    15: { n: "padding", k: "bytes", w: 2 },
  },
  "kabar.v1.ConversationMessage": {
    1: { n: "conversation_id", k: "bytes", w: 2 },
    2: { n: "sender_account_id", k: "bytes", w: 2 },
    3: { n: "sender_device_id", k: "uint32", w: 0 },
    4: { n: "client_message_id", k: "bytes", w: 2 },
    5: { n: "ciphertext", k: "bytes", w: 2 },
  },
  "kabar.v1.ConversationUpdate": {
    1: { n: "conversation_id", k: "bytes", w: 2 },
    2: { n: "kind", k: "enum", w: 0 },
    3: { n: "actor_account_id", k: "bytes", w: 2 },
    4: { n: "member_account_ids", k: "bytes", w: 2, r: true },
    5: { n: "added_account_ids", k: "bytes", w: 2, r: true },
    6: { n: "removed_account_ids", k: "bytes", w: 2, r: true },
    7: { n: "epoch", k: "uint64", w: 0 },
  },
  "kabar.v1.CreateConversationRequest": {
    1: { n: "conversation_id", k: "bytes", w: 2 },
    2: { n: "kind", k: "enum", w: 0 },
    3: { n: "member_account_ids", k: "bytes", w: 2, r: true },
  },
  "kabar.v1.CreateConversationResponse": {
    1: { n: "conversation", k: "message", w: 2, m: "kabar.v1.ConversationUpdate" },
    2: { n: "seq", k: "uint64", w: 0 },
  },
  "kabar.v1.CreateUploadRequest": {
    1: { n: "size", k: "uint64", w: 0 },
    2: { n: "digest", k: "bytes", w: 2 },
    3: { n: "conversation_id", k: "bytes", w: 2 },
    4: { n: "client_request_id", k: "bytes", w: 2 },
  },
  "kabar.v1.CreateUploadResponse": {
    1: { n: "upload", k: "message", w: 2, m: "kabar.v1.UploadSession" },
  },
  "kabar.v1.Delete": {
    1: { n: "target_message_id", k: "bytes", w: 2 },
  },
  "kabar.v1.DeviceCertificate": {
    1: { n: "body", k: "bytes", w: 2 },
    2: { n: "signature", k: "bytes", w: 2 },
  },
  "kabar.v1.DeviceCertificateBody": {
    1: { n: "account_id", k: "bytes", w: 2 },
    2: { n: "account_identity_key", k: "bytes", w: 2 },
    3: { n: "device_id", k: "uint32", w: 0 },
    4: { n: "device_signing_key", k: "bytes", w: 2 },
    5: { n: "device_identity_key", k: "bytes", w: 2 },
    6: { n: "issued_at_ms", k: "uint64", w: 0 },
  },
  "kabar.v1.DeviceCiphertext": {
    1: { n: "device_id", k: "uint32", w: 0 },
    2: { n: "ciphertext", k: "bytes", w: 2 },
  },
  "kabar.v1.DeviceListBody": {
    1: { n: "account_id", k: "bytes", w: 2 },
    2: { n: "version", k: "uint64", w: 0 },
    3: { n: "devices", k: "message", w: 2, r: true, m: "kabar.v1.DeviceCertificate" },
    4: { n: "issued_at_ms", k: "uint64", w: 0 },
  },
  "kabar.v1.DeviceListChanged": {
    1: { n: "account_id", k: "bytes", w: 2 },
    2: { n: "version", k: "uint64", w: 0 },
  },
  "kabar.v1.DeviceListPush": {
    1: { n: "device_list", k: "message", w: 2, m: "kabar.v1.SignedDeviceList" },
  },
  "kabar.v1.Difference": {
    1: { n: "updates", k: "message", w: 2, r: true, m: "kabar.v1.AccountUpdate" },
    2: { n: "seq", k: "uint64", w: 0 },
  },
  "kabar.v1.DifferenceEmpty": {
    1: { n: "seq", k: "uint64", w: 0 },
  },
  "kabar.v1.DifferenceSlice": {
    1: { n: "updates", k: "message", w: 2, r: true, m: "kabar.v1.AccountUpdate" },
    2: { n: "seq", k: "uint64", w: 0 },
  },
  "kabar.v1.DifferenceTooLong": {
    1: { n: "seq", k: "uint64", w: 0 },
    2: { n: "oldest_seq", k: "uint64", w: 0 },
  },
  "kabar.v1.Displaced": {
    1: { n: "server_time_ms", k: "uint64", w: 0 },
  },
  "kabar.v1.DocumentPointer": {
    1: { n: "blob_id", k: "bytes", w: 2 },
    2: { n: "key", k: "bytes", w: 2 },
    3: { n: "digest", k: "bytes", w: 2 },
    4: { n: "size", k: "uint64", w: 0 },
    5: { n: "chunk_size", k: "uint32", w: 0 },
    6: { n: "media_type", k: "string", w: 2 },
    7: { n: "file_name", k: "string", w: 2 },
    8: { n: "ciphertext_size", k: "uint64", w: 0 },
  },
  "kabar.v1.DownloadRangeRequest": {
    1: { n: "blob_id", k: "bytes", w: 2 },
    2: { n: "offset", k: "uint64", w: 0 },
    3: { n: "length", k: "uint32", w: 0 },
  },
  "kabar.v1.DownloadRangeResponse": {
    1: { n: "data", k: "bytes", w: 2 },
    2: { n: "size", k: "uint64", w: 0 },
    3: { n: "digest", k: "bytes", w: 2 },
  },
  "kabar.v1.Edit": {
    1: { n: "target_message_id", k: "bytes", w: 2 },
    2: { n: "body", k: "string", w: 2 },
  },
  "kabar.v1.FetchInboxRequest": {
    1: { n: "after_seq", k: "uint64", w: 0 },
    2: { n: "limit", k: "uint32", w: 0 },
  },
  "kabar.v1.FetchInboxResponse": {
    1: { n: "entries", k: "message", w: 2, r: true, m: "kabar.v1.InboxEntry" },
    2: { n: "more", k: "bool", w: 0 },
  },
  "kabar.v1.FileLimits": {
    1: { n: "part_size", k: "uint32", w: 0 },
    2: { n: "max_parts", k: "uint32", w: 0 },
    3: { n: "max_file_bytes", k: "uint64", w: 0 },
    4: { n: "max_range_bytes", k: "uint32", w: 0 },
    5: { n: "account_quota_bytes", k: "uint64", w: 0 },
    6: { n: "upload_ttl_seconds", k: "uint32", w: 0 },
  },
  "kabar.v1.Frame": {
    1: { n: "request", k: "message", w: 2, m: "kabar.v1.ClientRequest", o: "kind" },
    2: { n: "response", k: "message", w: 2, m: "kabar.v1.ServerResponse", o: "kind" },
    3: { n: "push", k: "message", w: 2, m: "kabar.v1.ServerPush", o: "kind" },
  },
  "kabar.v1.GetConversationRequest": {
    1: { n: "conversation_id", k: "bytes", w: 2 },
  },
  "kabar.v1.GetConversationResponse": {
    1: { n: "conversation", k: "message", w: 2, m: "kabar.v1.ConversationUpdate" },
  },
  "kabar.v1.GetDeviceListRequest": {
    1: { n: "account_id", k: "bytes", w: 2 },
  },
  "kabar.v1.GetDeviceListResponse": {
    1: { n: "device_list", k: "message", w: 2, m: "kabar.v1.SignedDeviceList" },
  },
  "kabar.v1.GetDifferenceRequest": {
    1: { n: "seq", k: "uint64", w: 0 },
    2: { n: "limit", k: "uint32", w: 0 },
  },
  "kabar.v1.GetDifferenceResponse": {
    1: { n: "empty", k: "message", w: 2, m: "kabar.v1.DifferenceEmpty", o: "result" },
    2: { n: "difference", k: "message", w: 2, m: "kabar.v1.Difference", o: "result" },
    3: { n: "slice", k: "message", w: 2, m: "kabar.v1.DifferenceSlice", o: "result" },
    4: { n: "too_long", k: "message", w: 2, m: "kabar.v1.DifferenceTooLong", o: "result" },
  },
  "kabar.v1.GetStateRequest": {
  },
  "kabar.v1.GetStateResponse": {
    1: { n: "state", k: "message", w: 2, m: "kabar.v1.SyncState" },
  },
  "kabar.v1.GetUploadRequest": {
    1: { n: "upload_id", k: "bytes", w: 2 },
  },
  "kabar.v1.GetUploadResponse": {
    1: { n: "upload", k: "message", w: 2, m: "kabar.v1.UploadSession" },
    2: { n: "missing_parts", k: "uint32", w: 0, r: true },
  },
  "kabar.v1.Hello": {
    1: { n: "versions", k: "uint32", w: 0, r: true },
    2: { n: "client_name", k: "string", w: 2 },
  },
  "kabar.v1.HelloAck": {
    1: { n: "version", k: "uint32", w: 0 },
    2: { n: "challenge", k: "bytes", w: 2 },
    3: { n: "server_time_ms", k: "uint64", w: 0 },
    4: { n: "limits", k: "message", w: 2, m: "kabar.v1.ConnectionLimits" },
    5: { n: "file_limits", k: "message", w: 2, m: "kabar.v1.FileLimits" },
  },
  "kabar.v1.HistoryKey": {
    1: { n: "conversation_id", k: "bytes", w: 2 },
    2: { n: "sender_account_id", k: "bytes", w: 2 },
    3: { n: "sender_device_id", k: "uint32", w: 0 },
    4: { n: "chain", k: "message", w: 2, m: "kabar.v1.SenderKeyDistribution" },
  },
  "kabar.v1.HistoryKeyShare": {
    1: { n: "keys", k: "message", w: 2, r: true, m: "kabar.v1.HistoryKey" },
    2: { n: "complete", k: "bool", w: 0 },
  },
  "kabar.v1.InboxEntry": {
    1: { n: "inbox_seq", k: "uint64", w: 0 },
    2: { n: "sender_account_id", k: "bytes", w: 2 },
    3: { n: "sender_device_id", k: "uint32", w: 0 },
    4: { n: "client_message_id", k: "bytes", w: 2 },
    5: { n: "ciphertext", k: "bytes", w: 2 },
    6: { n: "server_time_ms", k: "uint64", w: 0 },
  },
  "kabar.v1.InboxPush": {
    1: { n: "entry", k: "message", w: 2, m: "kabar.v1.InboxEntry" },
  },
  "kabar.v1.Invoice": {
    1: { n: "invoice_id", k: "bytes", w: 2 },
    2: { n: "merchant_account_id", k: "bytes", w: 2 },
    3: { n: "title", k: "string", w: 2 },
    4: { n: "description", k: "string", w: 2 },
    5: { n: "currency", k: "string", w: 2 },
    6: { n: "prices", k: "message", w: 2, r: true, m: "kabar.v1.LabeledPrice" },
    7: { n: "provider_id", k: "string", w: 2 },
    8: { n: "payload", k: "bytes", w: 2 },
    9: { n: "expires_at_ms", k: "uint64", w: 0 },
  },
  "kabar.v1.KemPreKey": {
    1: { n: "id", k: "uint32", w: 0 },
    2: { n: "public_key", k: "bytes", w: 2 },
    3: { n: "signature", k: "bytes", w: 2 },
    4: { n: "last_resort", k: "bool", w: 0 },
  },
  "kabar.v1.LabeledPrice": {
    1: { n: "label", k: "string", w: 2 },
    2: { n: "amount", k: "uint64", w: 0 },
  },
  "kabar.v1.LinkingPayload": {
    1: { n: "device_signing_key", k: "bytes", w: 2 },
    2: { n: "device_identity_key", k: "bytes", w: 2 },
    3: { n: "nonce", k: "bytes", w: 2 },
    4: { n: "signature", k: "bytes", w: 2 },
  },
  "kabar.v1.MembershipChange": {
    1: { n: "added_account_ids", k: "bytes", w: 2, r: true },
    2: { n: "removed_account_ids", k: "bytes", w: 2, r: true },
    3: { n: "title", k: "string", w: 2 },
  },
  "kabar.v1.OneTimePreKey": {
    1: { n: "id", k: "uint32", w: 0 },
    2: { n: "public_key", k: "bytes", w: 2 },
  },
  "kabar.v1.PairwiseMessage": {
    1: { n: "prekey", k: "message", w: 2, m: "kabar.v1.PreKeyMessage", o: "kind" },
    2: { n: "ratchet", k: "message", w: 2, m: "kabar.v1.RatchetMessage", o: "kind" },
  },
  "kabar.v1.PayInvoiceRequest": {
    1: { n: "idempotency_key", k: "bytes", w: 2 },
    2: { n: "invoice_id", k: "bytes", w: 2 },
    3: { n: "provider_token", k: "bytes", w: 2 },
  },
  "kabar.v1.PayInvoiceResponse": {
    1: { n: "receipt", k: "message", w: 2, m: "kabar.v1.PaymentReceipt" },
  },
  "kabar.v1.PaymentReceipt": {
    1: { n: "body", k: "bytes", w: 2 },
    2: { n: "provider_signature", k: "bytes", w: 2 },
  },
  "kabar.v1.PaymentReceiptBody": {
    1: { n: "receipt_id", k: "bytes", w: 2 },
    2: { n: "invoice_id", k: "bytes", w: 2 },
    3: { n: "payer_account_id", k: "bytes", w: 2 },
    4: { n: "merchant_account_id", k: "bytes", w: 2 },
    5: { n: "currency", k: "string", w: 2 },
    6: { n: "total_amount", k: "uint64", w: 0 },
    7: { n: "provider_id", k: "string", w: 2 },
    8: { n: "provider_charge_id", k: "string", w: 2 },
    9: { n: "paid_at_ms", k: "uint64", w: 0 },
  },
  "kabar.v1.Ping": {
    1: { n: "nonce", k: "uint64", w: 0 },
  },
  "kabar.v1.Pong": {
    1: { n: "nonce", k: "uint64", w: 0 },
  },
  "kabar.v1.PreCheckoutQuery": {
    1: { n: "query_id", k: "bytes", w: 2 },
    2: { n: "invoice_id", k: "bytes", w: 2 },
    3: { n: "payer_account_id", k: "bytes", w: 2 },
    4: { n: "currency", k: "string", w: 2 },
    5: { n: "total_amount", k: "uint64", w: 0 },
    6: { n: "deadline_ms", k: "uint64", w: 0 },
  },
  "kabar.v1.PreCheckoutQueryPush": {
    1: { n: "query", k: "message", w: 2, m: "kabar.v1.PreCheckoutQuery" },
  },
  "kabar.v1.PreKeyBundle": {
    1: { n: "certificate", k: "message", w: 2, m: "kabar.v1.DeviceCertificate" },
    2: { n: "signed_prekey", k: "message", w: 2, m: "kabar.v1.SignedPreKey" },
    3: { n: "kem_prekey", k: "message", w: 2, m: "kabar.v1.KemPreKey" },
    4: { n: "one_time_prekey", k: "message", w: 2, m: "kabar.v1.OneTimePreKey" },
  },
  "kabar.v1.PreKeyMessage": {
    1: { n: "version", k: "uint32", w: 0 },
    2: { n: "sender_account_id", k: "bytes", w: 2 },
    3: { n: "sender_device_id", k: "uint32", w: 0 },
    4: { n: "sender_identity_key", k: "bytes", w: 2 },
    5: { n: "signed_prekey_id", k: "uint32", w: 0 },
    6: { n: "kem_prekey_id", k: "uint32", w: 0 },
    7: { n: "one_time_prekey_id", k: "uint32", w: 0, o: "_one_time_prekey_id" },
    8: { n: "base_key", k: "bytes", w: 2 },
    9: { n: "kem_ciphertext", k: "bytes", w: 2 },
    10: { n: "message", k: "message", w: 2, m: "kabar.v1.RatchetMessage" },
  },
  "kabar.v1.ProtocolError": {
    1: { n: "code", k: "enum", w: 0 },
    2: { n: "message", k: "string", w: 2 },
    3: { n: "retry_after_ms", k: "uint32", w: 0 },
    4: { n: "rule", k: "string", w: 2 },
    5: { n: "recipients_mismatch", k: "message", w: 2, m: "kabar.v1.RecipientsMismatch" },
  },
  "kabar.v1.PublishDeviceListRequest": {
    1: { n: "device_list", k: "message", w: 2, m: "kabar.v1.SignedDeviceList" },
  },
  "kabar.v1.PublishDeviceListResponse": {
    1: { n: "version", k: "uint64", w: 0 },
    2: { n: "seq", k: "uint64", w: 0 },
  },
  "kabar.v1.PublishInvoiceRequest": {
    1: { n: "invoice", k: "message", w: 2, m: "kabar.v1.Invoice" },
  },
  "kabar.v1.PublishInvoiceResponse": {
    1: { n: "total_amount", k: "uint64", w: 0 },
  },
  "kabar.v1.RatchetMessage": {
    1: { n: "version", k: "uint32", w: 0 },
    2: { n: "ratchet_key", k: "bytes", w: 2 },
    3: { n: "counter", k: "uint32", w: 0 },
    4: { n: "previous_counter", k: "uint32", w: 0 },
    5: { n: "ciphertext", k: "bytes", w: 2 },
  },
  "kabar.v1.Reaction": {
    1: { n: "target_message_id", k: "bytes", w: 2 },
    2: { n: "emoji", k: "string", w: 2 },
    3: { n: "remove", k: "bool", w: 0 },
  },
  "kabar.v1.Receipt": {
    1: { n: "kind", k: "enum", w: 0 },
    2: { n: "target_message_ids", k: "bytes", w: 2, r: true },
  },
  "kabar.v1.RecipientsMismatch": {
    1: { n: "missing_device_ids", k: "uint32", w: 0, r: true },
    2: { n: "extra_device_ids", k: "uint32", w: 0, r: true },
    3: { n: "device_list_version", k: "uint64", w: 0 },
  },
  "kabar.v1.RegisterAccountRequest": {
    1: { n: "identity_key", k: "bytes", w: 2 },
    2: { n: "device_list", k: "message", w: 2, m: "kabar.v1.SignedDeviceList" },
  },
  "kabar.v1.RegisterAccountResponse": {
    1: { n: "account_id", k: "bytes", w: 2 },
  },
  "kabar.v1.SendMessageRequest": {
    1: { n: "conversation_id", k: "bytes", w: 2 },
    2: { n: "client_message_id", k: "bytes", w: 2 },
    3: { n: "ciphertext", k: "bytes", w: 2 },
    4: { n: "epoch", k: "uint64", w: 0 },
  },
  "kabar.v1.SendMessageResponse": {
    1: { n: "seq", k: "uint64", w: 0 },
    2: { n: "server_time_ms", k: "uint64", w: 0 },
  },
  "kabar.v1.SendToDevicesRequest": {
    1: { n: "client_message_id", k: "bytes", w: 2 },
    2: { n: "account_id", k: "bytes", w: 2 },
    3: { n: "messages", k: "message", w: 2, r: true, m: "kabar.v1.DeviceCiphertext" },
    4: { n: "device_list_version", k: "uint64", w: 0 },
  },
  "kabar.v1.SendToDevicesResponse": {
    1: { n: "server_time_ms", k: "uint64", w: 0 },
  },
  "kabar.v1.SenderKeyDistribution": {
    1: { n: "version", k: "uint32", w: 0 },
    2: { n: "conversation_id", k: "bytes", w: 2 },
    3: { n: "distribution_id", k: "bytes", w: 2 },
    4: { n: "iteration", k: "uint32", w: 0 },
    5: { n: "chain_key", k: "bytes", w: 2 },
    6: { n: "signing_key", k: "bytes", w: 2 },
  },
  "kabar.v1.SenderKeyMessage": {
    1: { n: "version", k: "uint32", w: 0 },
    2: { n: "distribution_id", k: "bytes", w: 2 },
    3: { n: "iteration", k: "uint32", w: 0 },
    4: { n: "ciphertext", k: "bytes", w: 2 },
    5: { n: "signature", k: "bytes", w: 2 },
  },
  "kabar.v1.ServerPush": {
    1: { n: "update", k: "message", w: 2, m: "kabar.v1.UpdatePush", o: "body" },
    2: { n: "inbox", k: "message", w: 2, m: "kabar.v1.InboxPush", o: "body" },
    3: { n: "too_long", k: "message", w: 2, m: "kabar.v1.UpdatesTooLong", o: "body" },
    4: { n: "displaced", k: "message", w: 2, m: "kabar.v1.Displaced", o: "body" },
    5: { n: "error", k: "message", w: 2, m: "kabar.v1.ProtocolError", o: "body" },
    6: { n: "device_list", k: "message", w: 2, m: "kabar.v1.DeviceListPush", o: "body" },
    7: { n: "precheckout", k: "message", w: 2, m: "kabar.v1.PreCheckoutQueryPush", o: "body" },
  },
  "kabar.v1.ServerResponse": {
    1: { n: "request_id", k: "uint64", w: 0 },
    2: { n: "error", k: "message", w: 2, m: "kabar.v1.ProtocolError", o: "result" },
    3: { n: "hello", k: "message", w: 2, m: "kabar.v1.HelloAck", o: "result" },
    4: { n: "authenticate", k: "message", w: 2, m: "kabar.v1.AuthenticateResponse", o: "result" },
    5: { n: "pong", k: "message", w: 2, m: "kabar.v1.Pong", o: "result" },
    6: { n: "register_account", k: "message", w: 2, m: "kabar.v1.RegisterAccountResponse", o: "result" },
    7: { n: "publish_device_list", k: "message", w: 2, m: "kabar.v1.PublishDeviceListResponse", o: "result" },
    8: { n: "get_device_list", k: "message", w: 2, m: "kabar.v1.GetDeviceListResponse", o: "result" },
    9: { n: "upload_prekeys", k: "message", w: 2, m: "kabar.v1.UploadPreKeysResponse", o: "result" },
    10: { n: "claim_prekeys", k: "message", w: 2, m: "kabar.v1.ClaimPreKeysResponse", o: "result" },
    11: { n: "create_conversation", k: "message", w: 2, m: "kabar.v1.CreateConversationResponse", o: "result" },
    12: { n: "change_members", k: "message", w: 2, m: "kabar.v1.ChangeMembersResponse", o: "result" },
    13: { n: "get_conversation", k: "message", w: 2, m: "kabar.v1.GetConversationResponse", o: "result" },
    14: { n: "send_message", k: "message", w: 2, m: "kabar.v1.SendMessageResponse", o: "result" },
    15: { n: "send_to_devices", k: "message", w: 2, m: "kabar.v1.SendToDevicesResponse", o: "result" },
    16: { n: "get_state", k: "message", w: 2, m: "kabar.v1.GetStateResponse", o: "result" },
    17: { n: "get_difference", k: "message", w: 2, m: "kabar.v1.GetDifferenceResponse", o: "result" },
    18: { n: "fetch_inbox", k: "message", w: 2, m: "kabar.v1.FetchInboxResponse", o: "result" },
    19: { n: "ack_inbox", k: "message", w: 2, m: "kabar.v1.AckInboxResponse", o: "result" },
    20: { n: "create_upload", k: "message", w: 2, m: "kabar.v1.CreateUploadResponse", o: "result" },
    21: { n: "upload_part", k: "message", w: 2, m: "kabar.v1.UploadPartResponse", o: "result" },
    22: { n: "get_upload", k: "message", w: 2, m: "kabar.v1.GetUploadResponse", o: "result" },
    23: { n: "complete_upload", k: "message", w: 2, m: "kabar.v1.CompleteUploadResponse", o: "result" },
    24: { n: "download_range", k: "message", w: 2, m: "kabar.v1.DownloadRangeResponse", o: "result" },
    25: { n: "publish_invoice", k: "message", w: 2, m: "kabar.v1.PublishInvoiceResponse", o: "result" },
    26: { n: "answer_precheckout", k: "message", w: 2, m: "kabar.v1.AnswerPreCheckoutResponse", o: "result" },
    27: { n: "pay_invoice", k: "message", w: 2, m: "kabar.v1.PayInvoiceResponse", o: "result" },
  },
  "kabar.v1.SignedDeviceList": {
    1: { n: "body", k: "bytes", w: 2 },
    2: { n: "signature", k: "bytes", w: 2 },
  },
  "kabar.v1.SignedPreKey": {
    1: { n: "id", k: "uint32", w: 0 },
    2: { n: "public_key", k: "bytes", w: 2 },
    3: { n: "signature", k: "bytes", w: 2 },
  },
  "kabar.v1.SyncState": {
    1: { n: "seq", k: "uint64", w: 0 },
    2: { n: "inbox_seq", k: "uint64", w: 0 },
  },
  "kabar.v1.Text": {
    1: { n: "body", k: "string", w: 2 },
    2: { n: "reply_to", k: "bytes", w: 2 },
  },
  "kabar.v1.UpdatePush": {
    1: { n: "update", k: "message", w: 2, m: "kabar.v1.AccountUpdate" },
  },
  "kabar.v1.UpdatesTooLong": {
    1: { n: "seq", k: "uint64", w: 0 },
  },
  "kabar.v1.UploadPartRequest": {
    1: { n: "upload_id", k: "bytes", w: 2 },
    2: { n: "part_index", k: "uint32", w: 0 },
    3: { n: "data", k: "bytes", w: 2 },
  },
  "kabar.v1.UploadPartResponse": {
    1: { n: "missing_count", k: "uint32", w: 0 },
  },
  "kabar.v1.UploadPreKeysRequest": {
    1: { n: "signed_prekey", k: "message", w: 2, m: "kabar.v1.SignedPreKey" },
    2: { n: "kem_prekeys", k: "message", w: 2, r: true, m: "kabar.v1.KemPreKey" },
    3: { n: "one_time_prekeys", k: "message", w: 2, r: true, m: "kabar.v1.OneTimePreKey" },
    4: { n: "last_resort_kem_prekey", k: "message", w: 2, m: "kabar.v1.KemPreKey" },
  },
  "kabar.v1.UploadPreKeysResponse": {
    1: { n: "one_time_prekeys", k: "uint32", w: 0 },
    2: { n: "kem_prekeys", k: "uint32", w: 0 },
  },
  "kabar.v1.UploadSession": {
    1: { n: "upload_id", k: "bytes", w: 2 },
    2: { n: "part_size", k: "uint32", w: 0 },
    3: { n: "part_count", k: "uint32", w: 0 },
    4: { n: "expires_at_ms", k: "uint64", w: 0 },
  },
};
