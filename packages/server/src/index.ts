// @kabar/server: the public surface. Everything exported is listed here.

/** The transport-independent request layer and its session state. */
export { ServerCore, type ServerCoreOptions, type HandleResult } from "./core/server-core.js";
export { newSession, type Session, type PushEffect } from "./core/context.js";
/** Limits, their defaults and the clock/random ports. */
export { DEFAULT_LIMITS, resolveLimits, type ServerLimits } from "./core/limits.js";
export { systemClock, systemRandom, type Clock, type Random } from "./core/ports.js";
/** The storage port and its two implementations. */
export type {
  ServerStore, Committed, RemoteCommit, AccountRecord, DeviceRecord, DeviceKeys, StoredDeviceList, LogDelivery, InboxDelivery, UploadRecord, BlobRecord,
  InvoiceRecord, PaymentClaim, PreCheckoutRecord,
} from "./store/server-store.js";
/** Payments: the provider port and the built-in test provider. */
export {
  exampleProvider, EXAMPLE_PAY_ID, EXAMPLE_PAY_SEED_TEXT, RECEIPT_CONTEXT,
  type PaymentProvider, type ChargeRequest, type ChargeResult, type ExampleProvider, type ExampleProviderOptions,
} from "./payments/payment-provider.js";
export { openSqliteStore, openPostgresStore, type SqliteStoreOptions, type PostgresStoreOptions } from "./store/sql-server-store.js";
export type { SqliteFsyncMode } from "./store/sqlite-driver.js";
/** Blob bytes on disk. */
export { directoryBlobFiles, type BlobFiles } from "./blobs/blob-files.js";
/** The WebSocket server. */
export { startServer, type StartServerOptions, type RunningServer } from "./transport/start-server.js";
export { CLOSE_DISPLACED, CLOSE_HANDSHAKE_TIMEOUT, CLOSE_DEVICE_REMOVED } from "./transport/connection.js";
/** Structured logging. */
export { jsonLogger, silentLogger, type Logger, type LogFields, type LogSink } from "./log.js";
