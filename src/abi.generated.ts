/**
 * dmasim's own binary interface (set-up structs, result indices), generated from
 * asm/sim/abi.ts (the one definition): do not edit; run `deno task gen:abi`.
 *
 * @module
 */

/** A struct field's AssemblyScript type. */
export type FieldType = "bool" | "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "u64" | "i64" | "f64";
/** One field of a struct as the compiled module lays it out. */
export interface StructField<T> {
  /** The TypeScript name. */
  key: keyof T & string;
  /** The name in asm/sim/abi.ts. */
  field: string;
  /** Byte offset. */
  offset: number;
  /** AssemblyScript type. */
  type: FieldType;
}
/** A struct passed to the module by pointer: its name, size in bytes and fields. */
export interface StructLayout<T> {
  /** The class name in asm/sim/abi.ts. */
  name: string;
  /** Bytes. */
  size: number;
  /** In offset order. */
  fields: readonly StructField<T>[];
}

/** struct storage_config: storage_init's configuration (src/system.ts fills it from the profile's iommu, nvme and memory sections). */
export interface StorageConfig {
  /** IOMMU mode: 0 strict, 1 lazy, 2 passthrough (src/profile.ts IOMMU_MODES order). */
  iommuMode: number;
  /** IOTLB entries (iommu.iotlb_entries). */
  iotlbEntries: number;
  /** IOTLB associativity (iommu.iotlb_ways; 0 is taken as 1). */
  iotlbWays: number;
  /** A page-table walk that misses the paging-structure caches, ns. */
  walkNs: number;
  /** A walk that hits them, ns. */
  walkCachedNs: number;
  /** Invalidation queue round trip, ns. */
  invalLatencyNs: number;
  /** Flush-queue entries per CPU (lazy mode; 0 is taken as 1). */
  fqSize: number;
  /** Flush-queue timer, ns. */
  fqTimeoutNs: number;
  /** NVMe controllers (profile devices). */
  nctrls: number;
  /** Queue depth of each NVMe I/O queue. */
  queueDepth: number;
  /** The controllers support SGLs. */
  sglSupported: boolean;
  /** nvme-pci's sgl_threshold: SGLs when the average segment is at least this, bytes (0: never). */
  sglThresholdBytes: number;
  /** PRP/SGL list pages in the driver's DMA pool. */
  poolPagesMax: number;
  /** max_sectors_kb as a sysfs write (clamped to max_hw_sectors_kb), KiB. */
  maxSectorsKb: number;
  /** The controllers' MDTS (log2 of pages; 0: no limit). */
  mdts: number;
  /** max_segments asked for (only lowers the driver's). */
  maxSegments: number;
  /** The queue's dma_alignment, bytes. */
  dmaAlignmentBytes: number;
  /** Move real bytes (a functional run) instead of timing only. */
  functional: boolean;
  /** Host memory bandwidth, MB/s. */
  hostMemMbps: number;
  /** The IOMMU's address width, bits (39, 48, 57). */
  apertureBits: number;
  /** IOMMU hardware: 0 VT-d, 1 SMMUv3, 2 AMD-Vi (src/profile.ts IOMMU_KINDS order). */
  iommuKind: number;
  /** Invalidation wait (sync) latency, ns. */
  syncLatencyNs: number;
  /** One invalidation command through the queue, ns. */
  cmdNs: number;
  /** The hardware invalidates ranges (else page by page). */
  rangeInval: boolean;
  /** Most pages one range invalidation covers (0 is taken as 1). */
  maxInvalPages: number;
  /** The devices use ATS (device TLBs to invalidate too). */
  ats: boolean;
  /** One ATC invalidation, ns. */
  atcInvalNs: number;
}
/** Layout of struct storage_config. */
export const STORAGE_CONFIG: StructLayout<StorageConfig> = {
  name: "storage_config",
  size: 108,
  fields: [
    { key: "iommuMode", field: "iommu_mode", offset: 0, type: "i32" },
    { key: "iotlbEntries", field: "iotlb_entries", offset: 4, type: "u32" },
    { key: "iotlbWays", field: "iotlb_ways", offset: 8, type: "u32" },
    { key: "walkNs", field: "walk_ns", offset: 12, type: "u32" },
    { key: "walkCachedNs", field: "walk_cached_ns", offset: 16, type: "u32" },
    { key: "invalLatencyNs", field: "inval_latency_ns", offset: 20, type: "u32" },
    { key: "fqSize", field: "fq_size", offset: 24, type: "u32" },
    { key: "fqTimeoutNs", field: "fq_timeout_ns", offset: 28, type: "u32" },
    { key: "nctrls", field: "nctrls", offset: 32, type: "i32" },
    { key: "queueDepth", field: "queue_depth", offset: 36, type: "u32" },
    { key: "sglSupported", field: "sgl_supported", offset: 40, type: "bool" },
    { key: "sglThresholdBytes", field: "sgl_threshold_bytes", offset: 44, type: "u32" },
    { key: "poolPagesMax", field: "pool_pages_max", offset: 48, type: "u32" },
    { key: "maxSectorsKb", field: "max_sectors_kb", offset: 52, type: "u32" },
    { key: "mdts", field: "mdts", offset: 56, type: "u32" },
    { key: "maxSegments", field: "max_segments", offset: 60, type: "u32" },
    { key: "dmaAlignmentBytes", field: "dma_alignment_bytes", offset: 64, type: "u32" },
    { key: "functional", field: "functional", offset: 68, type: "bool" },
    { key: "hostMemMbps", field: "host_mem_mbps", offset: 72, type: "u32" },
    { key: "apertureBits", field: "aperture_bits", offset: 76, type: "u32" },
    { key: "iommuKind", field: "iommu_kind", offset: 80, type: "i32" },
    { key: "syncLatencyNs", field: "sync_latency_ns", offset: 84, type: "u32" },
    { key: "cmdNs", field: "cmd_ns", offset: 88, type: "u32" },
    { key: "rangeInval", field: "range_inval", offset: 92, type: "bool" },
    { key: "maxInvalPages", field: "max_inval_pages", offset: 96, type: "u32" },
    { key: "ats", field: "ats", offset: 100, type: "bool" },
    { key: "atcInvalNs", field: "atc_inval_ns", offset: 104, type: "u32" },
  ],
};

/** struct nvme_ctrl_config: nvme_ctrl_setup's description of one controller, its SSD and its PCIe link (a profile device and the profile's pcie section). */
export interface NvmeCtrlConfig {
  /** Logical block size, bytes. */
  lbaBytes: number;
  /** Namespace capacity, logical blocks. */
  capacityLbas: bigint;
  /** The controller's command ceiling, IOPS. */
  iopsMax: number;
  /** Media read latency, ns. */
  readLatencyNs: number;
  /** Media write latency, ns. */
  writeLatencyNs: number;
  /** Latency jitter: a uniform extra in [0, this], ns. */
  latencyJitterNs: number;
  /** Media bandwidth, MB/s. */
  mediaMbps: number;
  /** Internal parallelism: media channels. */
  channels: number;
  /** PCIe generation of the drive's link. */
  pcieGen: number;
  /** PCIe lanes. */
  pcieLanes: number;
  /** PCIe max payload, bytes. */
  maxPayloadBytes: number;
  /** Per-TLP overhead, bytes. */
  tlpOverheadBytes: number;
  /** The IOMMU unit the drive sits behind. */
  iommuUnit: number;
  /** The drive's random stream (jitter, media errors). */
  seed: bigint;
  /** Media errors per million commands. */
  mediaErrorPpm: number;
}
/** Layout of struct nvme_ctrl_config. */
export const NVME_CTRL_CONFIG: StructLayout<NvmeCtrlConfig> = {
  name: "nvme_ctrl_config",
  size: 76,
  fields: [
    { key: "lbaBytes", field: "lba_bytes", offset: 0, type: "u32" },
    { key: "capacityLbas", field: "capacity_lbas", offset: 8, type: "u64" },
    { key: "iopsMax", field: "iops_max", offset: 16, type: "u32" },
    { key: "readLatencyNs", field: "read_latency_ns", offset: 20, type: "u32" },
    { key: "writeLatencyNs", field: "write_latency_ns", offset: 24, type: "u32" },
    { key: "latencyJitterNs", field: "latency_jitter_ns", offset: 28, type: "u32" },
    { key: "mediaMbps", field: "media_mbps", offset: 32, type: "u32" },
    { key: "channels", field: "channels", offset: 36, type: "u32" },
    { key: "pcieGen", field: "pcie_gen", offset: 40, type: "i32" },
    { key: "pcieLanes", field: "pcie_lanes", offset: 44, type: "u32" },
    { key: "maxPayloadBytes", field: "max_payload_bytes", offset: 48, type: "u32" },
    { key: "tlpOverheadBytes", field: "tlp_overhead_bytes", offset: 52, type: "u32" },
    { key: "iommuUnit", field: "iommu_unit", offset: 56, type: "i32" },
    { key: "seed", field: "seed", offset: 64, type: "u64" },
    { key: "mediaErrorPpm", field: "media_error_ppm", offset: 72, type: "u32" },
  ],
};

/** struct wl_config: wl_setup's job-wide parameters of the t/io_uring loop. */
export interface WlConfig {
  /** Threads, one core and one ring each. */
  threads: number;
  /** I/Os in flight per thread. */
  depth: number;
  /** SQEs submitted per io_uring_enter. */
  submitBatch: number;
  /** CQEs reaped per pass. */
  completeBatch: number;
  /** Block size, bytes. */
  blockBytes: number;
  /** The I/O opcode (IORING_OP_*; its read/write twin is derived). */
  opcode: number;
  /** Registered files. */
  fixedFiles: boolean;
  /** Random offsets (else sequential). */
  random: boolean;
  /** Offset range, blocks. */
  rangeBlocks: number;
  /** Buffer kind: 0 plain, 1 fixed, 2 dma-buf, 3 bounce. */
  bufKind: number;
  /** Warm-up I/Os before statistics. */
  warmupIos: number;
  /** Measured I/Os to stop after (0: none). */
  ios: number;
  /** Measured runtime to stop after (0: none), ns. */
  runtimeNs: number;
  /** Per-sample interval, ns. */
  sampleNs: number;
  /** The threads' random streams' seed. */
  seed: number;
}
/** Layout of struct wl_config. */
export const WL_CONFIG: StructLayout<WlConfig> = {
  name: "wl_config",
  size: 80,
  fields: [
    { key: "threads", field: "threads", offset: 0, type: "i32" },
    { key: "depth", field: "depth", offset: 4, type: "u32" },
    { key: "submitBatch", field: "submit_batch", offset: 8, type: "u32" },
    { key: "completeBatch", field: "complete_batch", offset: 12, type: "u32" },
    { key: "blockBytes", field: "block_bytes", offset: 16, type: "u32" },
    { key: "opcode", field: "opcode", offset: 20, type: "u8" },
    { key: "fixedFiles", field: "fixed_files", offset: 21, type: "bool" },
    { key: "random", field: "random", offset: 22, type: "bool" },
    { key: "rangeBlocks", field: "range_blocks", offset: 24, type: "f64" },
    { key: "bufKind", field: "buf_kind", offset: 32, type: "i32" },
    { key: "warmupIos", field: "warmup_ios", offset: 40, type: "f64" },
    { key: "ios", field: "ios", offset: 48, type: "f64" },
    { key: "runtimeNs", field: "runtime_ns", offset: 56, type: "f64" },
    { key: "sampleNs", field: "sample_ns", offset: 64, type: "f64" },
    { key: "seed", field: "seed", offset: 72, type: "f64" },
  ],
};

/** struct wl_thread_config: wl_thread_job's per-thread job (a fio job's thread): its depths, read share, offsets and I/O count. */
export interface WlThreadConfig {
  /** I/Os in flight. */
  depth: number;
  /** SQEs submitted per io_uring_enter. */
  submitBatch: number;
  /** CQEs reaped per pass. */
  completeBatch: number;
  /** Share of reads, per 10,000 I/Os. */
  readPer10000: number;
  /** Random offsets (else sequential). */
  random: boolean;
  /** Start of the thread's range on the file, bytes. */
  offsetBytes: number;
  /** Length of the range, bytes. */
  rangeBytes: number;
  /** I/Os to issue (0: no limit). */
  ios: number;
}
/** Layout of struct wl_thread_config. */
export const WL_THREAD_CONFIG: StructLayout<WlThreadConfig> = {
  name: "wl_thread_config",
  size: 48,
  fields: [
    { key: "depth", field: "depth", offset: 0, type: "u32" },
    { key: "submitBatch", field: "submit_batch", offset: 4, type: "u32" },
    { key: "completeBatch", field: "complete_batch", offset: 8, type: "u32" },
    { key: "readPer10000", field: "read_per_10000", offset: 12, type: "u32" },
    { key: "random", field: "random", offset: 16, type: "bool" },
    { key: "offsetBytes", field: "offset_bytes", offset: 24, type: "f64" },
    { key: "rangeBytes", field: "range_bytes", offset: 32, type: "f64" },
    { key: "ios", field: "ios", offset: 40, type: "f64" },
  ],
};

/** struct wl_pace_config: wl_thread_pace's pacing of one thread, as fio's options set it. */
export interface WlPaceConfig {
  /** startdelay, ns. */
  startDelayNs: number;
  /** rate for reads (rate_iops × the smallest block size), bytes per second. */
  rateReadBps: number;
  /** rate for writes, bytes per second. */
  rateWriteBps: number;
  /** rate_process=poisson (else linear). */
  poisson: boolean;
  /** Wait for the I/Os in flight before a rate sleep (inline submission). */
  quiesce: boolean;
  /** thinktime, µs. */
  thinkUs: number;
  /** thinktime_spin, µs. */
  thinkSpinUs: number;
  /** thinktime_blocks. */
  thinkBlocks: number;
  /** thinktime_blocks_type=issue (else complete). */
  thinkIssue: boolean;
  /** rate_min for reads, bytes per second. */
  rateMinReadBps: number;
  /** rate_min for writes, bytes per second. */
  rateMinWriteBps: number;
  /** rate_iops_min for reads. */
  rateMinReadIops: number;
  /** rate_iops_min for writes. */
  rateMinWriteIops: number;
  /** exitall: 0 none, 1 its group, 2 every thread. */
  exitall: number;
  /** The thread's exit group. */
  exitGroup: number;
  /** The poisson generator's seed. */
  seed: number;
  /** When the thread stops issuing after its start (0: never), ns. */
  deadlineRelNs: number;
  /** The thread's fio job. */
  jobId: number;
  /** The fio job it waits for (wait_for; -1: none). */
  waitJob: number;
}
/** Layout of struct wl_pace_config. */
export const WL_PACE_CONFIG: StructLayout<WlPaceConfig> = {
  name: "wl_pace_config",
  size: 128,
  fields: [
    { key: "startDelayNs", field: "start_delay_ns", offset: 0, type: "f64" },
    { key: "rateReadBps", field: "rate_read_bps", offset: 8, type: "f64" },
    { key: "rateWriteBps", field: "rate_write_bps", offset: 16, type: "f64" },
    { key: "poisson", field: "poisson", offset: 24, type: "bool" },
    { key: "quiesce", field: "quiesce", offset: 25, type: "bool" },
    { key: "thinkUs", field: "think_us", offset: 32, type: "f64" },
    { key: "thinkSpinUs", field: "think_spin_us", offset: 40, type: "f64" },
    { key: "thinkBlocks", field: "think_blocks", offset: 48, type: "f64" },
    { key: "thinkIssue", field: "think_issue", offset: 56, type: "bool" },
    { key: "rateMinReadBps", field: "rate_min_read_bps", offset: 64, type: "f64" },
    { key: "rateMinWriteBps", field: "rate_min_write_bps", offset: 72, type: "f64" },
    { key: "rateMinReadIops", field: "rate_min_read_iops", offset: 80, type: "f64" },
    { key: "rateMinWriteIops", field: "rate_min_write_iops", offset: 88, type: "f64" },
    { key: "exitall", field: "exitall", offset: 96, type: "i32" },
    { key: "exitGroup", field: "exit_group", offset: 100, type: "i32" },
    { key: "seed", field: "seed", offset: 104, type: "f64" },
    { key: "deadlineRelNs", field: "deadline_rel_ns", offset: 112, type: "f64" },
    { key: "jobId", field: "job_id", offset: 120, type: "i32" },
    { key: "waitJob", field: "wait_job", offset: 124, type: "i32" },
  ],
};

/** struct wl_offsets_config: wl_thread_offsets' offsets beyond plain sequential or uniform (fio's rw=…:N, rw_sequencer, random_distribution). */
export interface WlOffsetsConfig {
  /** Bytes between sequential I/Os (rw=read:N; may be negative). */
  seqAddBytes: number;
  /** A new random offset every this many I/Os (rw=randread:N). */
  seqNr: number;
  /** rw_sequencer=identical: the same offset again instead of the next. */
  identical: boolean;
  /** random_distribution: 0 random, 1 zipf, 2 pareto, 3 normal, 4 zoned. */
  dist: number;
  /** The distribution's parameter (theta, h, or deviation %). */
  distParam: number;
  /** The hot set's center, a fraction of the range (-1: none). */
  center: number;
  /** Blocks the distribution spans. */
  nranges: number;
  /** The distribution's seed. */
  seed: number;
}
/** Layout of struct wl_offsets_config. */
export const WL_OFFSETS_CONFIG: StructLayout<WlOffsetsConfig> = {
  name: "wl_offsets_config",
  size: 56,
  fields: [
    { key: "seqAddBytes", field: "seq_add_bytes", offset: 0, type: "f64" },
    { key: "seqNr", field: "seq_nr", offset: 8, type: "i32" },
    { key: "identical", field: "identical", offset: 12, type: "bool" },
    { key: "dist", field: "dist", offset: 16, type: "i32" },
    { key: "distParam", field: "dist_param", offset: 24, type: "f64" },
    { key: "center", field: "center", offset: 32, type: "f64" },
    { key: "nranges", field: "nranges", offset: 40, type: "f64" },
    { key: "seed", field: "seed", offset: 48, type: "f64" },
  ],
};

/** struct wl_verify_config: wl_thread_verify's fio verify settings (verify=, verify_interval, verify_offset, verify_fatal, do_verify) for a thread that writes, and how much of its writes the thread logs to read back. */
export interface WlVerifyConfig {
  /** fio's verify type (asm/user/verify.ts VERIFY_*; verify.h's numbers). */
  type: number;
  /** verify_interval: a header every this many bytes of a block (0: one per block). */
  intervalBytes: number;
  /** verify_offset: the header is swapped to this offset in its interval (0: at the start). */
  headerOffsetBytes: number;
  /** verify_fatal: stop at the first bad interval. */
  fatal: boolean;
  /** do_verify: read the writes back once they are done. */
  doVerify: boolean;
  /** Check the header's numberio (fio: a writing job with one block size, not time_based). */
  checkNumberio: boolean;
  /** fio's thread number (td->thread_number, from 1 over the whole fio run): the header's thread field. */
  threadNumber: number;
  /** Writes the thread logs at most (its I/O count). */
  piecesMax: number;
  /** The thread's buffers (one per SQ slot): each I/O in flight owns one until it is reaped, as fio's io_u does. */
  buffers: number;
  /** verify_backlog: read back a batch once this many writes are not yet verified (0: all after the writes). */
  backlog: number;
  /** verify_backlog_batch: reads per batch (0: the backlog). */
  backlogBatch: number;
  /** Blocks of the thread's random map (random writes; 0: sequential). */
  mapBlocks: number;
  /** The verify seeds' generator seed. */
  seed: number;
}
/** Layout of struct wl_verify_config. */
export const WL_VERIFY_CONFIG: StructLayout<WlVerifyConfig> = {
  name: "wl_verify_config",
  size: 56,
  fields: [
    { key: "type", field: "type", offset: 0, type: "i32" },
    { key: "intervalBytes", field: "interval_bytes", offset: 4, type: "u32" },
    { key: "headerOffsetBytes", field: "header_offset_bytes", offset: 8, type: "u32" },
    { key: "fatal", field: "fatal", offset: 12, type: "bool" },
    { key: "doVerify", field: "do_verify", offset: 13, type: "bool" },
    { key: "checkNumberio", field: "check_numberio", offset: 14, type: "bool" },
    { key: "threadNumber", field: "thread_number", offset: 16, type: "u32" },
    { key: "piecesMax", field: "pieces_max", offset: 20, type: "u32" },
    { key: "buffers", field: "buffers", offset: 24, type: "u32" },
    { key: "backlog", field: "backlog", offset: 28, type: "u32" },
    { key: "backlogBatch", field: "backlog_batch", offset: 32, type: "u32" },
    { key: "mapBlocks", field: "map_blocks", offset: 40, type: "f64" },
    { key: "seed", field: "seed", offset: 48, type: "f64" },
  ],
};

/** Every constant of asm/sim/abi.ts, in its order (the index abi_value takes), with its value. */
export const ABI_VALUES: readonly (readonly [string, number])[] = [];
/** Every struct, in asm/sim/abi.ts order (the index abi_struct_* take). */
// deno-lint-ignore no-explicit-any
export const ABI_STRUCTS: readonly StructLayout<any>[] = [
  STORAGE_CONFIG,
  NVME_CTRL_CONFIG,
  WL_CONFIG,
  WL_THREAD_CONFIG,
  WL_PACE_CONFIG,
  WL_OFFSETS_CONFIG,
  WL_VERIFY_CONFIG,
];
