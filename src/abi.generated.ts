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
/** How many counters each counter group has.: iommu_counter's counters. */
export const IOMMU_COUNTER_NR = 12;
/** How many counters each counter group has.: dmabuf_counter's counters. */
export const DMABUF_COUNTER_NR = 9;
/** How many layers there are.: CPU layers. */
export const CPU_LAYERS = 10;
/** How many layers there are.: Exposure kinds. */
export const EXPOSURE_KINDS = 3;
/** How many verify failures are kept.: Failures kept for fio's messages (every one is counted). */
export const VERIFY_FAILURE_MAX = 64;
/** How many fatal errors a thread keeps.: Logged fatal errors kept per thread. */
export const JOB_ERRLOG_MAX = 16;
/** How many named invariants there are (INV_NONE included). */
export const INV_COUNT = 21;
/** How many there are (set_cost ignores ids past it). */
export const COST_COUNT = 48;
/** stat_get(i): completion statistics over the measurement window. */
export const ST = {
  /** Successful I/Os measured. */
  ios: 0,
  /** Bytes they moved. */
  bytes: 1,
  /** Failed I/Os measured. */
  errors: 2,
  /** Sum of completion latencies, ns. */
  latSumNs: 3,
  /** Largest completion latency, ns. */
  latMaxNs: 4,
  /** Smallest completion latency, ns (0 with no I/O). */
  latMinNs: 5,
  /** Buckets in the latency histogram. */
  histBuckets: 6,
  /** Sum of squared completion latencies, ns². */
  latSqSum: 7,
} as const;
/** wl_stat(i): the workload loop's state. */
export const WL_STAT = {
  /** I/Os completed, warm-up included. */
  ios: 0,
  /** Bytes completed, warm-up included. */
  bytes: 1,
  /** Failed I/Os, warm-up included. */
  errors: 2,
  /** io_uring_enter calls. */
  calls: 3,
  /** Start of the measurement window, simulated ns. */
  t0Ns: 4,
  /** End of the measurement window, simulated ns. */
  t1Ns: 5,
  /** io_uring_enter calls when the window opened. */
  callsAtStart: 6,
  /** 1 once the run has finished. */
  finished: 7,
  /** Per-second samples taken. */
  samples: 8,
  /** 1 while the measurement window is open. */
  measuring: 9,
  /** io_uring_enter calls when the window closed. */
  callsAtEnd: 10,
} as const;
/** one per-second sample: 64-bit words at these indices (wl_sample_ptr, wl_sample_words words a sample), then per core its busy ns at SAMPLE_CORE_BUSY + SAMPLE_CORE_WORDS × core and its spin ns after it. */
export const SAMPLE = {
  /** Simulated time of the sample, ns. */
  tNs: 0,
  /** Measured I/Os so far. */
  ios: 1,
  /** Bytes so far. */
  bytes: 2,
  /** io_uring_enter calls so far. */
  calls: 3,
  /** SQEs submitted so far. */
  submitted: 4,
  /** CQEs reaped so far. */
  reaped: 5,
  /** Core 0's busy ns; core c's at this + SAMPLE_CORE_WORDS × c. */
  coreBusy: 6,
  /** Words per core: busy ns, spin ns. */
  coreWords: 2,
} as const;
/** snap_get(group, i): the counter groups snapshotted when the measurement window opened. */
export const SNAP = {
  /** IOMMU counters, i as iommu_counter takes it. */
  iommu: 0,
  /** dma-buf counters, i as dmabuf_counter takes it. */
  dmabuf: 1,
  /** Per drive d: i = d × SNAP_CTRL_WORDS + SNAP_CTRL_*. */
  ctrl: 2,
  /** Per IOMMU unit u: i = u × IOMMU_UNIT_STAT_WORDS + IOMMU_UNIT_STAT_*. */
  iommuUnit: 3,
} as const;
/** per drive in the SNAP_CTRL group. */
export const SNAP_CTRL = {
  /** Commands processed. */
  cmds: 0,
  /** Controller busy time, ns. */
  busyNs: 1,
  /** Link busy time, ns. */
  linkBusyNs: 2,
  /** Words per drive. */
  words: 3,
} as const;
/** iommu_unit_stat(unit, i): one IOMMU unit's invalidation queue (also per unit in the SNAP_IOMMU_UNIT group). */
export const IOMMU_UNIT_STAT = {
  /** Time the queue was busy, ns. */
  busyNs: 0,
  /** Commands through the queue. */
  commands: 1,
  /** Waits (syncs) issued. */
  syncs: 2,
  /** Invalidations outstanding at each sync, summed. */
  batched: 3,
  /** Words per unit. */
  words: 4,
} as const;
/** nvme_window_stat(drive, i): the drive's occupancy and latency over the measurement window. */
export const NVME_WINDOW = {
  /** Commands in flight integrated over time, command·ns. */
  occupancyAreaNs: 0,
  /** Sum of command latencies, ns. */
  latencySumNs: 1,
  /** Commands completed. */
  commands: 2,
} as const;
/** gpu_counter(i): GPU copies and host-memory traffic. */
export const GPU_COUNTER = {
  /** GPU copies. */
  copies: 0,
  /** Bytes through host memory. */
  hostMemBytes: 1,
  /** Bytes over GPU 0's link; GPU g's at this + g. */
  linkBytes: 2,
} as const;
/** swiotlb_counter(i): shadow buffers of untrusted devices. */
export const SWIOTLB_COUNTER = {
  /** Requests bounced. */
  bounces: 0,
  /** Bytes copied. */
  copiedBytes: 1,
  /** Padding bytes zeroed. */
  paddingBytes: 2,
} as const;
/** blk_queue_limit(i): the block queue limits in force. */
export const QUEUE_LIMIT = {
  /** max_hw_sectors_kb. */
  maxHwSectorsKb: 0,
  /** max_sectors_kb. */
  maxSectorsKb: 1,
  /** max_segments. */
  maxSegments: 2,
  /** dma_alignment, bytes. */
  dmaAlignment: 3,
} as const;
/** blk_mq_counter(i): requests blk-mq kept because the driver lacked DMA resources (BLK_STS_RESOURCE), and nvme's retries. */
export const BLK_MQ_COUNTER = {
  /** Requeues: each BLK_STS_RESOURCE return. */
  requeues: 0,
  /** Queue runs after BLK_MQ_RESOURCE_DELAY that found requests waiting. */
  resourceDelayRuns: 1,
  /** Reruns by a freed request (SCHED_RESTART). */
  restarts: 2,
  /** Requests waiting on dispatch lists now. */
  waiting: 3,
  /** Retries: commands nvme requeued after failing without DNR (nvme_retry_req → blk_mq_requeue_request). */
  retries: 4,
} as const;
/** iommu_counter(i): IOMMU counters (their names are System.iommuCounters()'s and a run result's keys). */
export const IOMMU_COUNTER = {
  /** Mappings made. */
  maps: 0,
  /** Mappings removed. */
  unmaps: 1,
  /** IOTLB invalidations. */
  invalidations: 2,
  /** IOTLB hits. */
  iotlb_hits: 3,
  /** IOTLB misses. */
  iotlb_misses: 4,
  /** Page-table walks. */
  walks: 5,
  /** Translation faults. */
  faults: 6,
  /** Translations through a stale IOTLB entry. */
  stale_hits: 7,
  /** Flush-queue flushes. */
  fq_flushes: 8,
  /** IOVAs from the per-CPU caches. */
  iova_cache_hits: 9,
  /** IOVAs from the tree. */
  iova_tree_allocs: 10,
  /** Page-table entries written. */
  pte_writes: 11,
} as const;
/** dmabuf_counter(i): dma-buf counters (their names are System.dmabufCounters()'s and a run result's keys). */
export const DMABUF_COUNTER = {
  /** Maps created. */
  maps_created: 0,
  /** Maps freed. */
  maps_freed: 1,
  /** Live maps killed by move_notify. */
  invalidations: 2,
  /** Requests parked to wait for a map (handed to io-wq). */
  waits: 3,
  /** Maps made again after an invalidation. */
  remaps: 4,
  /** Requests failed with -EAGAIN (RWF_NOWAIT, no live map). */
  eagain: 5,
  /** Fences signalled. */
  fences_signalled: 6,
  /** Migrations done. */
  migrations: 7,
  /** Migrations that failed. */
  migrations_failed: 8,
} as const;
/** stacked_stat(dev, member, i): a stacked device and its members. */
export const STACKED_STAT = {
  /** Clones sent to the member. */
  clones: 0,
  /** 1 when the member is Faulty (md raid1). */
  faulty: 1,
  /** Requests pending on the member. */
  pending: 2,
  /** 1 when the array is broken (MD_BROKEN; member ignored). */
  broken: 3,
  /** The device's size, bytes (member ignored). */
  sizeBytes: 4,
  /** The member's drive index. */
  member: 5,
  /** raid1d read retries (member ignored). */
  readRetries: 6,
} as const;
/** wl_job_stat(thread, dir, word): a fio thread's statistic words per direction; each latency is four words from its base (JOB_LAT_*). */
export const JOB_STAT = {
  /** I/Os. */
  ios: 0,
  /** Bytes. */
  bytes: 1,
  /** Errors. */
  errors: 2,
  /** Completion latency (clat), ns. */
  clat: 3,
  /** Submission latency (slat), ns. */
  slat: 7,
  /** Total latency (lat), ns. */
  lat: 11,
  /** Words per (thread, direction). */
  words: 16,
} as const;
/** a latency's four words, from its JOB_STAT_* base. */
export const JOB_LAT = {
  /** Sum, ns. */
  sum: 0,
  /** Sum of squares, ns². */
  sumSq: 1,
  /** Smallest, ns (0 when nothing was recorded). */
  min: 2,
  /** Largest, ns. */
  max: 3,
} as const;
/** wl_job_sample(sample, thread, dir, word): a fio thread's words in each per-second sample. */
export const JOB_SAMPLE = {
  /** I/Os. */
  ios: 0,
  /** Bytes. */
  bytes: 1,
  /** Completion latency sum, ns. */
  clatSum: 2,
  /** Words per (thread, direction). */
  words: 3,
} as const;
/** wl_job_map(thread, i): a fio thread's io_u maps, each of JOB_MAP_BUCKETS buckets (fio: 1, 2, 4, 8, 16, 32, >=64 for depths; 0, 4, 8, 16, 32, 64, >=64 for batches). */
export const JOB_MAP = {
  /** IO depths. */
  depth: 0,
  /** Submit batches. */
  submit: 7,
  /** Complete batches. */
  complete: 14,
  /** Buckets per map. */
  buckets: 7,
  /** Words per thread. */
  words: 21,
} as const;
/** the kind of a mapping exposure_get(kind, …) reports on. */
export const EXPOSURE_KIND = {
  /** A per-I/O mapping (dma_map_sg / dma_unmap_sg). */
  streaming: 0,
  /** A dma-buf map (the attachment's sg_table). */
  dmabuf: 1,
  /** A per-I/O mapping of swiotlb bounce pages (untrusted device). */
  shadow: 2,
} as const;
/** exposure_get(kind, i, t): exposure figures of a kind at time t (ranges still waiting for a flush count up to t). */
export const EXPOSURE = {
  /** Unmaps. */
  unmaps: 0,
  /** Pages unmapped. */
  unmappedPages: 1,
  /** Unmaps whose IOTLB invalidation was deferred (stale ranges). */
  staleRanges: 2,
  /** Pages left reachable after their unmap. */
  stalePages: 3,
  /** IOTLB entries left stale. */
  staleIotlb: 4,
  /** The longest stale window, ns. */
  windowMax: 5,
  /** Σ stale pages × time, page·ns. */
  stalePageNs: 6,
  /** Σ stale range windows, ns. */
  staleRangeNs: 7,
  /** Stale ranges still open at t. */
  open: 8,
  /** Pages mapped now. */
  mappedNow: 9,
  /** Most pages mapped at once. */
  mappedMax: 10,
  /** Σ mapped pages × time up to t, page·ns. */
  mappedPageNs: 11,
  /** Sub-page maps (streaming kind only). */
  subMaps: 12,
  /** Bytes mapped beyond the I/O by sub-page maps (streaming kind only). */
  subBytes: 13,
  /** Σ those bytes × time up to t, byte·ns (streaming kind only). */
  subByteNs: 14,
  /** Most pages of both kinds mapped at once (any kind). */
  mappedAllMax: 15,
} as const;
/** the CPU layers a core's time is charged to (core_layer_ns(core, layer); a run result's cpuNsPerIoByLayer keys). */
export const CPU_LAYER = {
  /** The program itself. */
  app: 0,
  /** io_uring. */
  io_uring: 1,
  /** The block layer. */
  block: 2,
  /** nvme-pci. */
  nvme: 3,
  /** dma-direct / IOMMU map and unmap. */
  dma: 4,
  /** Spinning for a synchronous invalidation. */
  iommu_wait: 5,
  /** dma-buf maps, fences and tokens. */
  dmabuf: 6,
  /** Spinning on the completion queue. */
  poll: 7,
  /** Interrupt handling. */
  irq: 8,
  /** Polling with nothing to find: CPU use that does no work. */
  spin: 9,
} as const;
/** a trace record's kind byte. */
export const TRACE_KIND = {
  /** io stage: SQE consumed → command queued. */
  submit: 1,
  /** io stage: DMA map. */
  map: 2,
  /** io stage: command + PRP/SGL set-up. */
  command: 3,
  /** io stage: controller + media + link. */
  device: 4,
  /** io stage: CQE posted → request completed. */
  complete: 5,
  /** io stage: DMA unmap. */
  unmap: 6,
  /** cpu: io_uring_enter. */
  cpuEnter: 10,
  /** cpu: spinning on the CQ. */
  cpuPoll: 11,
  /** cpu: interrupt handling. */
  cpuIrq: 12,
  /** cpu: waiting for an IOTLB invalidation. */
  cpuInvwait: 13,
  /** IOMMU unit: one invalidation. */
  inval: 20,
  /** counter: requests in flight on a ring. */
  cntInflight: 30,
  /** counter: IOTLB misses so far. */
  cntIotlbMiss: 31,
} as const;
/** wl_job_errors(thread, i): a fio thread's error counts. */
export const JOB_ERRORS = {
  /** fio's total_err_count: errors it went on past and the fatal one. */
  total: 0,
  /** fio's first_error (an errno; 0 none). */
  first: 1,
  /** Fatal errors logged (the first JOB_ERRLOG_MAX are kept). */
  logged: 2,
} as const;
/** wl_job_errlog(thread, entry, i): one logged fatal error (fio's io_u error line). */
export const JOB_ERRLOG = {
  /** The errno. */
  errno: 0,
  /** The direction: 0 read, 1 write. */
  dir: 1,
  /** The I/O's offset, bytes. */
  offset: 2,
  /** The I/O's length, bytes. */
  len: 3,
} as const;
/** wl_job_verify(thread, i): a fio thread's verify progress. */
export const JOB_VERIFY = {
  /** Writes logged to read back. */
  logged: 0,
  /** Writes read back so far. */
  readBack: 1,
  /** When it began reading back, ns (0: never). */
  startNs: 2,
} as const;
/** wl_verify_failure(entry, i, hi): one failure a verify check logged (for fio's messages), a 64-bit word each. */
export const VERIFY_FAILURE = {
  /** The thread. */
  thread: 0,
  /** What failed (asm/user/verify.ts's kinds). */
  kind: 1,
  /** The header's number in its block. */
  hdrNum: 2,
  /** The header's length, bytes. */
  hdrLen: 3,
  /** The value found. */
  got: 4,
  /** The value wanted. */
  want: 5,
  /** A kind's extra detail. */
  extra: 6,
  /** The block's offset, bytes. */
  offset: 7,
  /** The block's length, bytes. */
  len: 8,
  /** Bytes of each checksum kept (wl_verify_failure_sum). */
  sumLen: 9,
  /** The verify type. */
  type: 10,
  /** Words per failure. */
  words: 11,
} as const;
/** sim_abort_where(i): where the last failed assertion was (debug build). */
export const SIM_ABORT = {
  /** Its message (an AssemblyScript string pointer). */
  msg: 0,
  /** Its file (an AssemblyScript string pointer). */
  file: 1,
  /** Its line. */
  line: 2,
} as const;
/** iommu.mode (storage_config.iommu_mode). */
export const IOMMU_MODE = {
  /** iommu.strict=1: unmap invalidates the IOTLB at once. */
  strict: 0,
  /** iommu.strict=0: unmapped IOVAs wait on a flush queue. */
  lazy: 1,
  /** iommu=pt: no translation (dma-direct). */
  passthrough: 2,
} as const;
/** iommu.kind (storage_config.iommu_kind; the profile spells amd_vi "amd-vi"). */
export const IOMMU_KIND = {
  /** Intel VT-d: queued invalidation, descriptors processed in order. */
  vtd: 0,
  /** Arm SMMUv3: command queue with CMD_SYNC. */
  smmuv3: 1,
  /** AMD-Vi: command buffer with COMPLETION_WAIT. */
  amd_vi: 2,
} as const;
/** devices[].untrusted (nvme_set_untrusted). */
export const UNTRUSTED = {
  /** A trusted device: no bounce buffers. */
  no: 0,
  /** Untrusted as the kernel treats it: bounce what does not fill whole granules (dma-iommu.c). */
  yes: 1,
  /** Bounce every request (a proposal). */
  all: 2,
} as const;
/** stacked[].kind (stacked_setup). */
export const STACKED_KIND = {
  /** dm-linear: the members concatenated. */
  linear: 0,
  /** dm-stripe: RAID 0 over the members in chunks. */
  striped: 1,
  /** md raid1: every member a mirror. */
  raid1: 2,
} as const;
/** random_distribution, fio's offset generators (wl_offsets_config.dist). */
export const DIST = {
  /** Uniform random offsets (fio's default). */
  random: 0,
  /** zipf:THETA (lib/zipf.c). */
  zipf: 1,
  /** pareto:H (lib/zipf.c pareto). */
  pareto: 2,
  /** normal:DEV (lib/gauss.c). */
  normal: 3,
  /** zoned:ACCESS/SIZE:… (fio's zone split). */
  zoned: 4,
} as const;
/** a job's buffers (wl_config.buf_kind). */
export const BUF_KIND = {
  /** Plain user memory, pinned per I/O. */
  plain: 0,
  /** Registered (fixed) buffers. */
  fixed: 1,
  /** A registered dma-buf. */
  dmabuf: 2,
  /** Host buffers bounced to or from GPU memory. */
  bounce: 3,
} as const;
/** sim_error codes: a limit of the simulated machine was passed. */
export const SIM_ERR = {
  /** arena exhausted (machine memory limits too small for this run) */
  arena: 1,
  /** event queue full (EVENTS_MAX) */
  events: 2,
  /** request table full (REQS_MAX) */
  reqs: 3,
  /** CQ overflow list full (OVERFLOW_MAX) */
  overflow: 4,
  /** simulated physical memory backing exhausted (memory.backing_mib) */
  phys: 5,
  /** media backing exhausted (memory.media_mib) */
  media: 6,
  /** IOVA space or allocator table exhausted */
  iova: 7,
  /** NVMe command table full */
  cmds: 8,
  /** internal invariant broken */
  invariant: 9,
  /** dma-buf map table full */
  maps: 10,
  /** assertion failed */
  assert: 11,
  /** machine too large: memory.backing_mib + media_mib (and host_mib) do not fit the 1 GiB arena (MiB asked) */
  machineSize: 12,
  /** simulated time past the engine's clock (2^44 ns, about 4.9 hours; ns asked) */
  clock: 13,
  /** blk-mq dispatch lists full (REQUEUED_MAX requests waiting for DMA resources) */
  requeued: 14,
} as const;
/** SIM_ERR's messages by value (each constant's doc in asm/sim/abi.ts). */
export const SIM_ERR_MESSAGES: Readonly<Record<number, string>> = {
  1: "arena exhausted (machine memory limits too small for this run)",
  2: "event queue full (EVENTS_MAX)",
  3: "request table full (REQS_MAX)",
  4: "CQ overflow list full (OVERFLOW_MAX)",
  5: "simulated physical memory backing exhausted (memory.backing_mib)",
  6: "media backing exhausted (memory.media_mib)",
  7: "IOVA space or allocator table exhausted",
  8: "NVMe command table full",
  9: "internal invariant broken",
  10: "dma-buf map table full",
  11: "assertion failed",
  12:
    "machine too large: memory.backing_mib + media_mib (and host_mib) do not fit the 1 GiB arena (MiB asked)",
  13: "simulated time past the engine's clock (2^44 ns, about 4.9 hours; ns asked)",
  14: "blk-mq dispatch lists full (REQUEUED_MAX requests waiting for DMA resources)",
};
/** sim_invariant: which named invariant broke (SIM_ERR_INVARIANT's detail). */
export const INV = {
  /** unnamed */
  none: 0,
  /** link chain longer than REQS_MAX (io_fail_links) */
  linkChain: 1,
  /** defer list longer than REQS_MAX (io_queue_deferred) */
  deferList: 2,
  /** io_uring_exit waited through 100 M events */
  exitWait: 3,
  /** io_cqring_wait past its iteration bound */
  cqWait: 4,
  /** io_iopoll_check past its iteration bound */
  iopollWait: 5,
  /** buffered copy past 1 M page steps */
  bufferedCopy: 6,
  /** dma-buf request fed more than 2^20 pages */
  dmabufFeed: 7,
  /** failing parked requests walked more than 2^20 */
  parkedFail: 8,
  /** issuing parked requests walked more than 2^20 */
  parkedIssue: 9,
  /** controller fetched more SQEs than the queue holds */
  sqFetch: 10,
  /** driver reaped more CQEs than the queue holds */
  cqReap: 11,
  /** blk_feed past 1 M split steps */
  bioFeed: 12,
  /** link chain longer than REQS_MAX (chain_len) */
  chainLen: 13,
  /** event of no known kind */
  eventKind: 14,
  /** upward hook called before machine set-up registered it */
  hookUnset: 15,
  /** iommu_unmap of an unmapped PTE */
  unmapUnmapped: 16,
  /** free_iova of a range the IOVA tree does not hold */
  freeUnallocated: 17,
  /** set-up struct of another size than the module's (src/abi.generated.ts and the module disagree) */
  abiStruct: 18,
  /** a blk-mq queue run walked more than REQUEUED_MAX requests */
  requeueRun: 19,
  /** task work ran more passes than REQS_MAX (tw_run_all, tw_run_local) */
  twPasses: 20,
} as const;
/** INV's messages by value (each constant's doc in asm/sim/abi.ts). */
export const INV_MESSAGES: Readonly<Record<number, string>> = {
  0: "unnamed",
  1: "link chain longer than REQS_MAX (io_fail_links)",
  2: "defer list longer than REQS_MAX (io_queue_deferred)",
  3: "io_uring_exit waited through 100 M events",
  4: "io_cqring_wait past its iteration bound",
  5: "io_iopoll_check past its iteration bound",
  6: "buffered copy past 1 M page steps",
  7: "dma-buf request fed more than 2^20 pages",
  8: "failing parked requests walked more than 2^20",
  9: "issuing parked requests walked more than 2^20",
  10: "controller fetched more SQEs than the queue holds",
  11: "driver reaped more CQEs than the queue holds",
  12: "blk_feed past 1 M split steps",
  13: "link chain longer than REQS_MAX (chain_len)",
  14: "event of no known kind",
  15: "upward hook called before machine set-up registered it",
  16: "iommu_unmap of an unmapped PTE",
  17: "free_iova of a range the IOVA tree does not hold",
  18: "set-up struct of another size than the module's (src/abi.generated.ts and the module disagree)",
  19: "a blk-mq queue run walked more than REQUEUED_MAX requests",
  20: "task work ran more passes than REQS_MAX (tw_run_all, tw_run_local)",
};
/** set_cost(id, ns): per-step CPU costs, keyed by the profile's costs_ns field names (src/profile.ts COST_FIELDS documents each). */
export const COST = {
  /** io_uring_enter syscall entry + exit. */
  enter: 0,
  /** Fetch one SQE and io_init_req. */
  sqe: 1,
  /** Issue an IORING_OP_NOP. */
  nop: 2,
  /** Post one CQE (io_req_complete_post / flush). */
  cqe: 3,
  /** The program preparing one SQE. */
  app_prep: 4,
  /** The program reading one CQE. */
  app_reap: 5,
  /** io_prep_rw + io_rw_init_file + kiocb setup. */
  rw_prep: 6,
  /** io_import_fixed: bvec iterator over a registered buffer. */
  import_fixed: 7,
  /** Per page pinned for a plain buffer (gup fast + bvec). */
  import_user_page: 8,
  /** Bio alloc + submit_bio. */
  bio: 9,
  /** Each extra bio from a split. */
  bio_split: 10,
  /** Blk-mq request alloc + dispatch. */
  blk_mq: 11,
  /** nvme_queue_rq: build the command. */
  nvme_cmd: 12,
  /** One PRP entry written. */
  prp_entry: 13,
  /** dma_pool_alloc for one PRP list page. */
  prp_list_alloc: 14,
  /** One SGL descriptor written. */
  sgl_desc: 15,
  /** SQ tail doorbell MMIO write. */
  doorbell: 16,
  /** One pass over the NVMe CQ (io_do_iopoll / nvme_poll). */
  poll: 17,
  /** Per completion: nvme_pci_complete_rq. */
  nvme_complete: 18,
  /** blk_mq_end_request + bio_endio + io_uring rw complete. */
  blk_complete: 19,
  /** Interrupt entry/exit (interrupt-driven completions). */
  irq: 20,
  /** dma_map_* with no translation (dma-direct), per command. */
  dma_map_direct: 21,
  /** dma_unmap_* with no translation, per command. */
  dma_unmap_direct: 22,
  /** iommu_dma_map_*: fixed part per call. */
  iommu_map: 23,
  /** iommu_dma_unmap_*: fixed part per call. */
  iommu_unmap: 24,
  /** IOVA from the per-CPU magazine. */
  iova_alloc_cache: 25,
  /** IOVA from the tree: fixed part. */
  iova_alloc_tree: 26,
  /** IOVA tree: per node visited. */
  iova_tree_node: 27,
  /** IOVA back to the magazine. */
  iova_free_cache: 28,
  /** IOVA back to the tree. */
  iova_free_tree: 29,
  /** One IOMMU PTE written (incl. cache flush). */
  pte_write: 30,
  /** One IOMMU PTE cleared. */
  pte_clear: 31,
  /** Allocate a page-table page. */
  pt_page_alloc: 32,
  /** Queue an IOTLB invalidation + wait descriptor. */
  inv_submit: 33,
  /** Lazy: add an IOVA to the per-CPU flush queue. */
  fq_add: 34,
  /** Lazy: free one flush-queue entry after the flush. */
  fq_free_entry: 35,
  /** Dma-buf: look up the live map (RCU). */
  token_lookup: 36,
  /** Dma-buf: take a reference on the map. */
  token_ref_get: 37,
  /** Dma-buf: drop the reference. */
  token_ref_put: 38,
  /** Dma-buf: map creation, per 4 KiB page flattened. */
  dmabuf_map_page: 39,
  /** Dma-buf: map creation, fixed part. */
  dmabuf_map_base: 40,
  /** Publish / signal a fence. */
  fence: 41,
  /** Hand a request to an io-wq worker. */
  worker_punt: 42,
  /** The workload's own per-I/O work (offset generation). */
  app_per_io: 43,
  /** Launch a host-to-GPU copy (bounce path). */
  gpu_copy_launch: 44,
  /** swiotlb_tbl_map_single: find and take bounce slots. */
  swiotlb_map: 45,
  /** A core copying 1 KiB (swiotlb_bounce). */
  memcpy_kb: 46,
  /** A stacking driver's clone: bio_alloc_clone + target map + submit_bio_noacct. */
  bio_clone: 47,
} as const;

/** struct storage_config: storage_init's configuration (src/system.ts fills it from the profile's iommu, nvme and memory sections). */
export interface StorageConfig {
  /** IOMMU mode (IOMMU_MODE_*). */
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
  /** IOMMU hardware (IOMMU_KIND_*). */
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
  /** Buffer kind (BUF_KIND_*). */
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
  /** random_distribution (DIST_*). */
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

/** struct trace_entry: one record of the trace buffer (trace_buf(), trace_count() of them). */
export interface TraceEntry {
  /** When it started, ns. */
  tNs: bigint;
  /** How long it lasted, ns. */
  durNs: bigint;
  /** A counter's value, or the request's tag. */
  value: number;
  /** The track: a core, a ring, an IOMMU unit. */
  track: number;
  /** TRACE_KIND_*. */
  kind: number;
  /** Padding. */
  pad: number;
  /** Unused: entries are 32 bytes apart. */
  reserved: bigint;
}
/** Layout of struct trace_entry. */
export const TRACE_ENTRY: StructLayout<TraceEntry> = {
  name: "trace_entry",
  size: 32,
  fields: [
    { key: "tNs", field: "t_ns", offset: 0, type: "u64" },
    { key: "durNs", field: "dur_ns", offset: 8, type: "u64" },
    { key: "value", field: "value", offset: 16, type: "u32" },
    { key: "track", field: "track", offset: 20, type: "u16" },
    { key: "kind", field: "kind", offset: 22, type: "u8" },
    { key: "pad", field: "pad", offset: 23, type: "u8" },
    { key: "reserved", field: "reserved", offset: 24, type: "u64" },
  ],
};

/** Every constant of asm/sim/abi.ts, in its order (the index abi_value takes), with its value. */
export const ABI_VALUES: readonly (readonly [string, number])[] = [
  ["ST_IOS", 0],
  ["ST_BYTES", 1],
  ["ST_ERRORS", 2],
  ["ST_LAT_SUM_NS", 3],
  ["ST_LAT_MAX_NS", 4],
  ["ST_LAT_MIN_NS", 5],
  ["ST_HIST_BUCKETS", 6],
  ["ST_LAT_SQ_SUM", 7],
  ["WL_STAT_IOS", 0],
  ["WL_STAT_BYTES", 1],
  ["WL_STAT_ERRORS", 2],
  ["WL_STAT_CALLS", 3],
  ["WL_STAT_T0_NS", 4],
  ["WL_STAT_T1_NS", 5],
  ["WL_STAT_CALLS_AT_START", 6],
  ["WL_STAT_FINISHED", 7],
  ["WL_STAT_SAMPLES", 8],
  ["WL_STAT_MEASURING", 9],
  ["WL_STAT_CALLS_AT_END", 10],
  ["SAMPLE_T_NS", 0],
  ["SAMPLE_IOS", 1],
  ["SAMPLE_BYTES", 2],
  ["SAMPLE_CALLS", 3],
  ["SAMPLE_SUBMITTED", 4],
  ["SAMPLE_REAPED", 5],
  ["SAMPLE_CORE_BUSY", 6],
  ["SAMPLE_CORE_WORDS", 2],
  ["SNAP_IOMMU", 0],
  ["SNAP_DMABUF", 1],
  ["SNAP_CTRL", 2],
  ["SNAP_IOMMU_UNIT", 3],
  ["SNAP_CTRL_CMDS", 0],
  ["SNAP_CTRL_BUSY_NS", 1],
  ["SNAP_CTRL_LINK_BUSY_NS", 2],
  ["SNAP_CTRL_WORDS", 3],
  ["IOMMU_UNIT_STAT_BUSY_NS", 0],
  ["IOMMU_UNIT_STAT_COMMANDS", 1],
  ["IOMMU_UNIT_STAT_SYNCS", 2],
  ["IOMMU_UNIT_STAT_BATCHED", 3],
  ["IOMMU_UNIT_STAT_WORDS", 4],
  ["NVME_WINDOW_OCCUPANCY_AREA_NS", 0],
  ["NVME_WINDOW_LATENCY_SUM_NS", 1],
  ["NVME_WINDOW_COMMANDS", 2],
  ["GPU_COUNTER_COPIES", 0],
  ["GPU_COUNTER_HOST_MEM_BYTES", 1],
  ["GPU_COUNTER_LINK_BYTES", 2],
  ["SWIOTLB_COUNTER_BOUNCES", 0],
  ["SWIOTLB_COUNTER_COPIED_BYTES", 1],
  ["SWIOTLB_COUNTER_PADDING_BYTES", 2],
  ["QUEUE_LIMIT_MAX_HW_SECTORS_KB", 0],
  ["QUEUE_LIMIT_MAX_SECTORS_KB", 1],
  ["QUEUE_LIMIT_MAX_SEGMENTS", 2],
  ["QUEUE_LIMIT_DMA_ALIGNMENT", 3],
  ["BLK_MQ_COUNTER_REQUEUES", 0],
  ["BLK_MQ_COUNTER_RESOURCE_DELAY_RUNS", 1],
  ["BLK_MQ_COUNTER_RESTARTS", 2],
  ["BLK_MQ_COUNTER_WAITING", 3],
  ["BLK_MQ_COUNTER_RETRIES", 4],
  ["IOMMU_COUNTER_MAPS", 0],
  ["IOMMU_COUNTER_UNMAPS", 1],
  ["IOMMU_COUNTER_INVALIDATIONS", 2],
  ["IOMMU_COUNTER_IOTLB_HITS", 3],
  ["IOMMU_COUNTER_IOTLB_MISSES", 4],
  ["IOMMU_COUNTER_WALKS", 5],
  ["IOMMU_COUNTER_FAULTS", 6],
  ["IOMMU_COUNTER_STALE_HITS", 7],
  ["IOMMU_COUNTER_FQ_FLUSHES", 8],
  ["IOMMU_COUNTER_IOVA_CACHE_HITS", 9],
  ["IOMMU_COUNTER_IOVA_TREE_ALLOCS", 10],
  ["IOMMU_COUNTER_PTE_WRITES", 11],
  ["DMABUF_COUNTER_MAPS_CREATED", 0],
  ["DMABUF_COUNTER_MAPS_FREED", 1],
  ["DMABUF_COUNTER_INVALIDATIONS", 2],
  ["DMABUF_COUNTER_WAITS", 3],
  ["DMABUF_COUNTER_REMAPS", 4],
  ["DMABUF_COUNTER_EAGAIN", 5],
  ["DMABUF_COUNTER_FENCES_SIGNALLED", 6],
  ["DMABUF_COUNTER_MIGRATIONS", 7],
  ["DMABUF_COUNTER_MIGRATIONS_FAILED", 8],
  ["STACKED_STAT_CLONES", 0],
  ["STACKED_STAT_FAULTY", 1],
  ["STACKED_STAT_PENDING", 2],
  ["STACKED_STAT_BROKEN", 3],
  ["STACKED_STAT_SIZE_BYTES", 4],
  ["STACKED_STAT_MEMBER", 5],
  ["STACKED_STAT_READ_RETRIES", 6],
  ["JOB_STAT_IOS", 0],
  ["JOB_STAT_BYTES", 1],
  ["JOB_STAT_ERRORS", 2],
  ["JOB_STAT_CLAT", 3],
  ["JOB_STAT_SLAT", 7],
  ["JOB_STAT_LAT", 11],
  ["JOB_STAT_WORDS", 16],
  ["JOB_LAT_SUM", 0],
  ["JOB_LAT_SUM_SQ", 1],
  ["JOB_LAT_MIN", 2],
  ["JOB_LAT_MAX", 3],
  ["JOB_SAMPLE_IOS", 0],
  ["JOB_SAMPLE_BYTES", 1],
  ["JOB_SAMPLE_CLAT_SUM", 2],
  ["JOB_SAMPLE_WORDS", 3],
  ["JOB_MAP_DEPTH", 0],
  ["JOB_MAP_SUBMIT", 7],
  ["JOB_MAP_COMPLETE", 14],
  ["JOB_MAP_BUCKETS", 7],
  ["JOB_MAP_WORDS", 21],
  ["IOMMU_COUNTER_NR", 12],
  ["DMABUF_COUNTER_NR", 9],
  ["EXPOSURE_KIND_STREAMING", 0],
  ["EXPOSURE_KIND_DMABUF", 1],
  ["EXPOSURE_KIND_SHADOW", 2],
  ["EXPOSURE_UNMAPS", 0],
  ["EXPOSURE_UNMAPPED_PAGES", 1],
  ["EXPOSURE_STALE_RANGES", 2],
  ["EXPOSURE_STALE_PAGES", 3],
  ["EXPOSURE_STALE_IOTLB", 4],
  ["EXPOSURE_WINDOW_MAX", 5],
  ["EXPOSURE_STALE_PAGE_NS", 6],
  ["EXPOSURE_STALE_RANGE_NS", 7],
  ["EXPOSURE_OPEN", 8],
  ["EXPOSURE_MAPPED_NOW", 9],
  ["EXPOSURE_MAPPED_MAX", 10],
  ["EXPOSURE_MAPPED_PAGE_NS", 11],
  ["EXPOSURE_SUB_MAPS", 12],
  ["EXPOSURE_SUB_BYTES", 13],
  ["EXPOSURE_SUB_BYTE_NS", 14],
  ["EXPOSURE_MAPPED_ALL_MAX", 15],
  ["CPU_LAYER_APP", 0],
  ["CPU_LAYER_IO_URING", 1],
  ["CPU_LAYER_BLOCK", 2],
  ["CPU_LAYER_NVME", 3],
  ["CPU_LAYER_DMA", 4],
  ["CPU_LAYER_IOMMU_WAIT", 5],
  ["CPU_LAYER_DMABUF", 6],
  ["CPU_LAYER_POLL", 7],
  ["CPU_LAYER_IRQ", 8],
  ["CPU_LAYER_SPIN", 9],
  ["TRACE_KIND_SUBMIT", 1],
  ["TRACE_KIND_MAP", 2],
  ["TRACE_KIND_COMMAND", 3],
  ["TRACE_KIND_DEVICE", 4],
  ["TRACE_KIND_COMPLETE", 5],
  ["TRACE_KIND_UNMAP", 6],
  ["TRACE_KIND_CPU_ENTER", 10],
  ["TRACE_KIND_CPU_POLL", 11],
  ["TRACE_KIND_CPU_IRQ", 12],
  ["TRACE_KIND_CPU_INVWAIT", 13],
  ["TRACE_KIND_INVAL", 20],
  ["TRACE_KIND_CNT_INFLIGHT", 30],
  ["TRACE_KIND_CNT_IOTLB_MISS", 31],
  ["CPU_LAYERS", 10],
  ["EXPOSURE_KINDS", 3],
  ["JOB_ERRORS_TOTAL", 0],
  ["JOB_ERRORS_FIRST", 1],
  ["JOB_ERRORS_LOGGED", 2],
  ["JOB_ERRLOG_ERRNO", 0],
  ["JOB_ERRLOG_DIR", 1],
  ["JOB_ERRLOG_OFFSET", 2],
  ["JOB_ERRLOG_LEN", 3],
  ["JOB_VERIFY_LOGGED", 0],
  ["JOB_VERIFY_READ_BACK", 1],
  ["JOB_VERIFY_START_NS", 2],
  ["VERIFY_FAILURE_THREAD", 0],
  ["VERIFY_FAILURE_KIND", 1],
  ["VERIFY_FAILURE_HDR_NUM", 2],
  ["VERIFY_FAILURE_HDR_LEN", 3],
  ["VERIFY_FAILURE_GOT", 4],
  ["VERIFY_FAILURE_WANT", 5],
  ["VERIFY_FAILURE_EXTRA", 6],
  ["VERIFY_FAILURE_OFFSET", 7],
  ["VERIFY_FAILURE_LEN", 8],
  ["VERIFY_FAILURE_SUM_LEN", 9],
  ["VERIFY_FAILURE_TYPE", 10],
  ["VERIFY_FAILURE_WORDS", 11],
  ["VERIFY_FAILURE_MAX", 64],
  ["JOB_ERRLOG_MAX", 16],
  ["SIM_ABORT_MSG", 0],
  ["SIM_ABORT_FILE", 1],
  ["SIM_ABORT_LINE", 2],
  ["IOMMU_MODE_STRICT", 0],
  ["IOMMU_MODE_LAZY", 1],
  ["IOMMU_MODE_PASSTHROUGH", 2],
  ["IOMMU_KIND_VTD", 0],
  ["IOMMU_KIND_SMMUV3", 1],
  ["IOMMU_KIND_AMD_VI", 2],
  ["UNTRUSTED_NO", 0],
  ["UNTRUSTED_YES", 1],
  ["UNTRUSTED_ALL", 2],
  ["STACKED_KIND_LINEAR", 0],
  ["STACKED_KIND_STRIPED", 1],
  ["STACKED_KIND_RAID1", 2],
  ["DIST_RANDOM", 0],
  ["DIST_ZIPF", 1],
  ["DIST_PARETO", 2],
  ["DIST_NORMAL", 3],
  ["DIST_ZONED", 4],
  ["BUF_KIND_PLAIN", 0],
  ["BUF_KIND_FIXED", 1],
  ["BUF_KIND_DMABUF", 2],
  ["BUF_KIND_BOUNCE", 3],
  ["SIM_ERR_ARENA", 1],
  ["SIM_ERR_EVENTS", 2],
  ["SIM_ERR_REQS", 3],
  ["SIM_ERR_OVERFLOW", 4],
  ["SIM_ERR_PHYS", 5],
  ["SIM_ERR_MEDIA", 6],
  ["SIM_ERR_IOVA", 7],
  ["SIM_ERR_CMDS", 8],
  ["SIM_ERR_INVARIANT", 9],
  ["SIM_ERR_MAPS", 10],
  ["SIM_ERR_ASSERT", 11],
  ["SIM_ERR_MACHINE_SIZE", 12],
  ["SIM_ERR_CLOCK", 13],
  ["SIM_ERR_REQUEUED", 14],
  ["INV_NONE", 0],
  ["INV_LINK_CHAIN", 1],
  ["INV_DEFER_LIST", 2],
  ["INV_EXIT_WAIT", 3],
  ["INV_CQ_WAIT", 4],
  ["INV_IOPOLL_WAIT", 5],
  ["INV_BUFFERED_COPY", 6],
  ["INV_DMABUF_FEED", 7],
  ["INV_PARKED_FAIL", 8],
  ["INV_PARKED_ISSUE", 9],
  ["INV_SQ_FETCH", 10],
  ["INV_CQ_REAP", 11],
  ["INV_BIO_FEED", 12],
  ["INV_CHAIN_LEN", 13],
  ["INV_EVENT_KIND", 14],
  ["INV_HOOK_UNSET", 15],
  ["INV_UNMAP_UNMAPPED", 16],
  ["INV_FREE_UNALLOCATED", 17],
  ["INV_ABI_STRUCT", 18],
  ["INV_REQUEUE_RUN", 19],
  ["INV_TW_PASSES", 20],
  ["INV_COUNT", 21],
  ["COST_ENTER", 0],
  ["COST_SQE", 1],
  ["COST_NOP", 2],
  ["COST_CQE", 3],
  ["COST_APP_PREP", 4],
  ["COST_APP_REAP", 5],
  ["COST_RW_PREP", 6],
  ["COST_IMPORT_FIXED", 7],
  ["COST_IMPORT_USER_PAGE", 8],
  ["COST_BIO", 9],
  ["COST_BIO_SPLIT", 10],
  ["COST_BLK_MQ", 11],
  ["COST_NVME_CMD", 12],
  ["COST_PRP_ENTRY", 13],
  ["COST_PRP_LIST_ALLOC", 14],
  ["COST_SGL_DESC", 15],
  ["COST_DOORBELL", 16],
  ["COST_POLL", 17],
  ["COST_NVME_COMPLETE", 18],
  ["COST_BLK_COMPLETE", 19],
  ["COST_IRQ", 20],
  ["COST_DMA_MAP_DIRECT", 21],
  ["COST_DMA_UNMAP_DIRECT", 22],
  ["COST_IOMMU_MAP", 23],
  ["COST_IOMMU_UNMAP", 24],
  ["COST_IOVA_ALLOC_CACHE", 25],
  ["COST_IOVA_ALLOC_TREE", 26],
  ["COST_IOVA_TREE_NODE", 27],
  ["COST_IOVA_FREE_CACHE", 28],
  ["COST_IOVA_FREE_TREE", 29],
  ["COST_PTE_WRITE", 30],
  ["COST_PTE_CLEAR", 31],
  ["COST_PT_PAGE_ALLOC", 32],
  ["COST_INV_SUBMIT", 33],
  ["COST_FQ_ADD", 34],
  ["COST_FQ_FREE_ENTRY", 35],
  ["COST_TOKEN_LOOKUP", 36],
  ["COST_TOKEN_REF_GET", 37],
  ["COST_TOKEN_REF_PUT", 38],
  ["COST_DMABUF_MAP_PAGE", 39],
  ["COST_DMABUF_MAP_BASE", 40],
  ["COST_FENCE", 41],
  ["COST_WORKER_PUNT", 42],
  ["COST_APP_PER_IO", 43],
  ["COST_GPU_COPY_LAUNCH", 44],
  ["COST_SWIOTLB_MAP", 45],
  ["COST_MEMCPY_KB", 46],
  ["COST_BIO_CLONE", 47],
  ["COST_COUNT", 48],
];
/** Every index object above, by its name. */
export const ABI_INDICES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  ST,
  WL_STAT,
  SAMPLE,
  SNAP,
  SNAP_CTRL,
  IOMMU_UNIT_STAT,
  NVME_WINDOW,
  GPU_COUNTER,
  SWIOTLB_COUNTER,
  QUEUE_LIMIT,
  BLK_MQ_COUNTER,
  IOMMU_COUNTER,
  DMABUF_COUNTER,
  STACKED_STAT,
  JOB_STAT,
  JOB_LAT,
  JOB_SAMPLE,
  JOB_MAP,
  EXPOSURE_KIND,
  EXPOSURE,
  CPU_LAYER,
  TRACE_KIND,
  JOB_ERRORS,
  JOB_ERRLOG,
  JOB_VERIFY,
  VERIFY_FAILURE,
  SIM_ABORT,
  IOMMU_MODE,
  IOMMU_KIND,
  UNTRUSTED,
  STACKED_KIND,
  DIST,
  BUF_KIND,
  SIM_ERR,
  INV,
  COST,
};
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
  TRACE_ENTRY,
];
