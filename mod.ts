/**
 * dmasim: a simulator of dmabuf-backed io_uring read/write for Linux.
 *
 * @example
 * ```ts
 * import { getSqe, ioUringQueueInit, prepNop, submitAndWait, System, waitCqe } from "./mod.ts";
 * const sys = new System();
 * const ring = ioUringQueueInit(sys, 8, 0);
 * if (typeof ring !== "number") {
 *   prepNop(getSqe(ring)!);
 *   submitAndWait(ring, 1);
 *   console.log(waitCqe(ring)[1]?.res); // 0
 * }
 * ```
 *
 * @module
 */
export * from "./src/constants.ts";
export * from "./src/liburing.ts";
export { System, type SystemOptions } from "./src/system.ts";
export {
  COST_FIELDS,
  COST_NAMES,
  deviceCapacityBytes,
  type DeviceProfile,
  type FieldSpec,
  type GpuProfile,
  type IommuMode,
  mergeProfile,
  type Profile,
  PROFILE_SCHEMA,
  ProfileError,
  type StackedProfile,
  validateProfile,
} from "./src/profile.ts";
export {
  EPYC_AMDVI,
  GEN4_TLC_NAND,
  GRACE_SMMUV3,
  OPTANE_P5800X,
  PCIE5_NAND,
  PROFILES,
  resolveProfile,
} from "./src/profiles.ts";
export { SimInvariantError, SimLimitError } from "./src/wasm.ts";
export { decodeCommand, inflightCommands, type NvmeCommand, type SglDescriptor } from "./src/nvme_inspect.ts";
export {
  DMABUF_COUNTERS,
  IOMMU_COUNTERS,
  type MmapOptions,
  type StackedInfo,
  type StackedSpec,
} from "./src/system.ts";
export {
  headlineJob,
  PUBLISHED,
  publishedProfile,
  type PublishedRow,
  runPublishedComparison,
} from "./src/published.ts";
export { JobError, LAYER_NAMES, PERCENTILES, runUring } from "./src/workload.ts";
/** random_distribution's generators by name, as FioThreadOffsets.dist takes them. */
export { DIST } from "./src/abi.generated.ts";
export { type SecurityReport, securityReport, type StaleExposure } from "./src/security.ts";
export type {
  BufferKind,
  FioThreadErrors,
  FioThreadJob,
  FioThreadOffsets,
  FioThreadPace,
  FioThreadResult,
  LatencyStats,
  LatSums,
  RunResult,
  RunSample,
  RunUring,
  ThreadDirStats,
  TraceRecord,
  UringJob,
  VerifyFailureRecord,
} from "./src/workload_types.ts";
