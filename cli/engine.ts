/**
 * The one place the CLI imports the simulator from: the public module
 * (mod.ts) and nothing beneath it.
 *
 * @module
 */
export {
  deviceCapacityBytes,
  DIST,
  PERCENTILES,
  ProfileError,
  PROFILES,
  resolveProfile,
  runPublishedComparison,
  runUring,
} from "../mod.ts";
export type {
  BufferKind,
  FioThreadErrors,
  FioThreadJob,
  FioThreadOffsets,
  FioThreadPace,
  FioThreadResult,
  IommuMode,
  LatSums,
  Profile,
  PublishedRow,
  RunResult,
  RunSample,
  ThreadDirStats,
  TraceRecord,
  UringJob,
  VerifyFailureRecord,
} from "../mod.ts";
