/**
 * The one place the CLI imports the simulation engine from: the workload
 * runner and the published comparison.
 *
 * @module
 */
export { runUring } from "../src/workload.ts";
export { type PublishedRow, runPublishedComparison } from "../src/published.ts";
export type { BufferKind, RunResult, RunSample, TraceRecord, UringJob } from "../src/workload_types.ts";
