/**
 * The one place the CLI imports the simulator from: the public module
 * (mod.ts) and nothing beneath it (cli/fio/'s job and report files still name
 * the fio thread types of src/workload_types.ts, which mod.ts does not export).
 *
 * @module
 */
export { ProfileError, PROFILES, resolveProfile, runPublishedComparison, runUring } from "../mod.ts";
export type {
  BufferKind,
  IommuMode,
  Profile,
  PublishedRow,
  RunResult,
  RunSample,
  TraceRecord,
  UringJob,
} from "../mod.ts";
