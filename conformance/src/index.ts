// @kabar/conformance: the public surface. Everything exported is listed here.
//
// Suites plug in through the registries: a module calls defineProperty (and
// defineMutant) at import time, and is imported from src/suites/<mode>/index.ts.

// Registration API for suites.
export { defineProperty, propertyRegistry, PropertyRegistry, type PropertyContext, type PropertyDefinition } from "./registry/property-registry.js";
export { defineMutant, mutantRegistry, MutantRegistry, type MutantDefinition } from "./registry/mutant-registry.js";
export { RuleViolation, isRuleViolation, expectRule } from "./registry/rule-violation.js";

// Targets and how the kit reaches them.
export type { ClientTarget, CodecTarget, DecodeLimits, DecodeOutcome, ServerTarget, TargetMode, TargetProvider, TargetsByMode } from "./targets/target-types.js";
export { clientAdapterProvider, type ClientAdapterOptions } from "./targets/client-provider.js";
export { adapterCodecProvider, mutantCodecProvider, referenceCodecProvider } from "./targets/codec-providers.js";
export { adapterServerProvider, commandServerProvider, inProcessServerProvider, mutantServerProvider, urlServerProvider, DEFAULT_SERVER_START_TIMEOUT_MS } from "./targets/server-providers.js";
export { AdapterSession } from "./targets/adapter-session.js";
export { referenceCodec, referenceDecode, FRAME_TYPE } from "./codec/reference-codec.js";

// The adapter runner.
export { AdapterProcess, DEFAULT_ADAPTER_STARTUP_TIMEOUT_MS, DEFAULT_ADAPTER_TIMEOUT_MS, type AdapterProcessOptions } from "./adapter/adapter-process.js";
export { AdapterClient, AdapterRefusal, isAdapterRefusal, type AdapterOp, type AdapterOpInput, type AdapterOpName, type AdapterOpOutput } from "./adapter/adapter-client.js";
export { handshake, type ImplementationIdentity } from "./adapter/handshake.js";
export { LengthPrefixedReader, MAX_ADAPTER_FRAME_BYTES, encodeLengthPrefixed } from "./adapter/length-prefix.js";
export { Transcript, type TranscriptChannel, type TranscriptEntry } from "./adapter/transcript.js";
export { messageToJson, type Json } from "./adapter/to-json.js";
export { canonicalStateEncoding, canonicalVisibleState, stateDigest } from "./adapter/state-digest.js";

// Generators shared with the suites (valid and malformed wire messages).
export { WIRE_MESSAGE_TYPES, messageBytes, messageDepth, nestedField, shapesOf, validField, validMessage, validRequestId, type EncodedField, type EncodedMessage, type ValidMessageOptions } from "./generators/valid-messages.js";
export {
  anyWireType, duplicateFieldInput, invalidFieldNumberInput, invalidUtf8Input, lengthOutOfBoundsInput, truncatedInput, unknownFieldsInput,
  varintOverflowInput, wrongWireTypeInput, type MalformedInput,
} from "./generators/malformed-messages.js";
export { concatBytes, lengthDelimited, samplePayload, tag, varint, varintField, zigzag, type WireType } from "./generators/wire-writer.js";

// Fault injection between simulated devices and a server (server suite).
export { passEverything, startFaultProxy, type FaultAction, type FaultPolicy, type FaultProxy, type FrameEvent, type ProxyDirection } from "./proxy/fault-proxy.js";
export { WebSocketFrameSplitter, buildWebSocketFrame, type RawFrame } from "./proxy/websocket-frames.js";

// Static vectors for SDK authors' own tests.
export { buildWireVectors, type WireVector, type WireVectorFile } from "./vectors/wire-vectors.js";

// Rules and the catalogue.
export { PROFILES, RULE_ID_PATTERN, isProfile, ruleAnchor, type CatalogueRule, type Level, type Profile, type SpecRule } from "./rules/rule.js";
export { parseChapterRules, parseSpecRules, type SpecRuleProblem } from "./rules/parse-spec-rules.js";
export { DEFAULT_BACKLOG_URL, DEFAULT_CATALOGUE_URL, loadBacklog, loadCatalogue, type CatalogueBacklog, type RuleCatalogue } from "./rules/catalogue.js";
export { checkCatalogue, type CatalogueCheckInput } from "./rules/check-catalogue.js";
export { compileRuleGlob, isWildcard, matchesAnyGlob } from "./rules/rule-glob.js";

// Running, verdicts, expected failures, replay.
export { runConformance, type RunConformanceOptions } from "./runner/run-conformance.js";
export { checkProperty, type CheckPropertyOptions } from "./runner/check-property.js";
export { VERDICTS, brokenVerdict, isFailing, type Verdict } from "./runner/verdict.js";
export { deriveSeed, freshSeed } from "./runner/derive-seed.js";
export { decodeReplayToken, encodeReplayToken, replayCommand, type ReplayToken } from "./runner/replay-token.js";
export {
  MAX_WILDCARD_MATCHES, loadExpectedFailures, parseExpectedFailures, resolveExpectedFailures,
  type ExpectedFailureEntry, type ExpectedFailures, type ResolvedExpectedFailures,
} from "./expected-failures/expected-failures.js";

// Reports.
export type { ConformanceReport, PropertyEvidence, RuleResult, VerdictCounts } from "./report/report-types.js";
export { renderJunit } from "./report/render-junit.js";
export { renderHtml, ruleDocsUrl, type HtmlOptions } from "./report/render-html.js";
export { adapterRequestFiles, updatedExpectedFailures, writeReports } from "./report/write-reports.js";
export { progressPrinter, type ProgressStream } from "./report/progress.js";

// Errors and versions.
export { ConformanceError, isConformanceError, type ConformanceErrorCode } from "./errors.js";
export { ADAPTER_CONTRACT_VERSION, KIT_NAME, KIT_VERSION, REPORT_VERSION } from "./version.js";

// The built-in suites (codec, server, client); the CLI loads them itself.
export { loadBuiltInSuites } from "./suites/load-built-in-suites.js";
