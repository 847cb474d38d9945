// The published vector file shape (Wycheproof-like), shared by generator and checker.

/** One test case. */
export interface VectorTest {
  /** Test case id, unique within the file. */
  readonly tcId: number;
  /** What the case exercises. */
  readonly comment: string;
  /** The spec rule the case checks. */
  readonly rule: string;
  /** Inputs, byte strings in lowercase hex. */
  readonly inputs: Record<string, unknown>;
  /** Expected outputs for valid cases. */
  readonly outputs: Record<string, unknown>;
  /** Whether the implementation must accept. */
  readonly result: "valid" | "invalid";
  /** The KabarError code name an invalid case must produce. */
  readonly errorCode?: string;
}

/** One vector file. */
export interface VectorFile {
  /** The construction. */
  readonly algorithm: string;
  /** Vector format and protocol version. */
  readonly version: string;
  /** Free-form notes for implementers. */
  readonly notes: string;
  /** Groups of cases. */
  readonly testGroups: readonly {
    /** What the group's tests exercise, for example "ratchet-step". */
    readonly type: string;
    /** The test cases of the group. */
    readonly tests: readonly VectorTest[];
  }[];
}

/** Lowercase hex of bytes. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
/** Bytes of lowercase hex. */
export const unhex = (text: unknown): Uint8Array => new Uint8Array(Buffer.from(String(text), "hex"));
/** A fixed seed from a label, so each file's randomness is independent. */
export const seedOf = (label: string): Uint8Array => new Uint8Array(Buffer.from(label.padEnd(32, ".").slice(0, 32), "utf8"));
