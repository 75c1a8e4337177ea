// dmasim's own binary interface (not kernel uAPI: that is uapi.ts): the
// set-up structs TypeScript writes into the scratch area and passes to an
// export by pointer, and the indices results are read by. The one definition:
// tools/gen_abi.ts generates the TypeScript side (src/abi.generated.ts: each
// constant, each `index` section as an object of names, each struct's layout
// and field types) and abi_table.generated.ts (the compiled module's view of
// the same, for tests/abi.test.ts). Keep this file to `export const NAME: type
// = constant expression;` lines, `@unmanaged export class` structs of
// `field: type;` lines, and comments. A section comment starting with
// `index NAME` makes its NAME_* constants one TypeScript object `NAME`
// (camelCase keys, or snake_case when the header says so).
//
// Struct fields are laid out in order at their natural alignment, as the
// compiler lays out an @unmanaged class; field names carry their unit last.
// An export taking a struct also takes its size in bytes and fails named
// invariant INV_ABI_STRUCT when it differs (a module and a TypeScript side
// generated from different definitions).

// struct storage_config: storage_init's configuration (src/system.ts fills it
// from the profile's iommu, nvme and memory sections).
// @ts-ignore: decorator
@unmanaged export class storage_config {
  /** IOMMU mode (IOMMU_MODE_*). */
  iommu_mode: i32;
  /** IOTLB entries (iommu.iotlb_entries). */
  iotlb_entries: u32;
  /** IOTLB associativity (iommu.iotlb_ways; 0 is taken as 1). */
  iotlb_ways: u32;
  /** A page-table walk that misses the paging-structure caches, ns. */
  walk_ns: u32;
  /** A walk that hits them, ns. */
  walk_cached_ns: u32;
  /** Invalidation queue round trip, ns. */
  inval_latency_ns: u32;
  /** Flush-queue entries per CPU (lazy mode; 0 is taken as 1). */
  fq_size: u32;
  /** Flush-queue timer, ns. */
  fq_timeout_ns: u32;
  /** NVMe controllers (profile devices). */
  nctrls: i32;
  /** Queue depth of each NVMe I/O queue. */
  queue_depth: u32;
  /** The controllers support SGLs. */
  sgl_supported: bool;
  /** nvme-pci's sgl_threshold: SGLs when the average segment is at least this, bytes (0: never). */
  sgl_threshold_bytes: u32;
  /** PRP/SGL list pages in the driver's DMA pool. */
  pool_pages_max: u32;
  /** max_sectors_kb as a sysfs write (clamped to max_hw_sectors_kb), KiB. */
  max_sectors_kb: u32;
  /** The controllers' MDTS (log2 of pages; 0: no limit). */
  mdts: u32;
  /** max_segments asked for (only lowers the driver's). */
  max_segments: u32;
  /** The queue's dma_alignment, bytes. */
  dma_alignment_bytes: u32;
  /** Move real bytes (a functional run) instead of timing only. */
  functional: bool;
  /** Host memory bandwidth, MB/s. */
  host_mem_mbps: u32;
  /** The IOMMU's address width, bits (39, 48, 57). */
  aperture_bits: u32;
  /** IOMMU hardware (IOMMU_KIND_*). */
  iommu_kind: i32;
  /** Invalidation wait (sync) latency, ns. */
  sync_latency_ns: u32;
  /** One invalidation command through the queue, ns. */
  cmd_ns: u32;
  /** The hardware invalidates ranges (else page by page). */
  range_inval: bool;
  /** Most pages one range invalidation covers (0 is taken as 1). */
  max_inval_pages: u32;
  /** The devices use ATS (device TLBs to invalidate too). */
  ats: bool;
  /** One ATC invalidation, ns. */
  atc_inval_ns: u32;
}

// struct nvme_ctrl_config: nvme_ctrl_setup's description of one controller,
// its SSD and its PCIe link (a profile device and the profile's pcie section).
// @ts-ignore: decorator
@unmanaged export class nvme_ctrl_config {
  /** Logical block size, bytes. */
  lba_bytes: u32;
  /** Namespace capacity, logical blocks. */
  capacity_lbas: u64;
  /** The controller's command ceiling, IOPS. */
  iops_max: u32;
  /** Media read latency, ns. */
  read_latency_ns: u32;
  /** Media write latency, ns. */
  write_latency_ns: u32;
  /** Latency jitter: a uniform extra in [0, this], ns. */
  latency_jitter_ns: u32;
  /** Media bandwidth, MB/s. */
  media_mbps: u32;
  /** Internal parallelism: media channels. */
  channels: u32;
  /** PCIe generation of the drive's link. */
  pcie_gen: i32;
  /** PCIe lanes. */
  pcie_lanes: u32;
  /** PCIe max payload, bytes. */
  max_payload_bytes: u32;
  /** Per-TLP overhead, bytes. */
  tlp_overhead_bytes: u32;
  /** The IOMMU unit the drive sits behind. */
  iommu_unit: i32;
  /** The drive's random stream (jitter, media errors). */
  seed: u64;
  /** Media errors per million commands. */
  media_error_ppm: u32;
}

// struct wl_config: wl_setup's job-wide parameters of the t/io_uring loop.
// @ts-ignore: decorator
@unmanaged export class wl_config {
  /** Threads, one core and one ring each. */
  threads: i32;
  /** I/Os in flight per thread. */
  depth: u32;
  /** SQEs submitted per io_uring_enter. */
  submit_batch: u32;
  /** CQEs reaped per pass. */
  complete_batch: u32;
  /** Block size, bytes. */
  block_bytes: u32;
  /** The I/O opcode (IORING_OP_*; its read/write twin is derived). */
  opcode: u8;
  /** Registered files. */
  fixed_files: bool;
  /** Random offsets (else sequential). */
  random: bool;
  /** Offset range, blocks. */
  range_blocks: f64;
  /** Buffer kind (BUF_KIND_*). */
  buf_kind: i32;
  /** Warm-up I/Os before statistics. */
  warmup_ios: f64;
  /** Measured I/Os to stop after (0: none). */
  ios: f64;
  /** Measured runtime to stop after (0: none), ns. */
  runtime_ns: f64;
  /** Per-sample interval, ns. */
  sample_ns: f64;
  /** The threads' random streams' seed. */
  seed: f64;
}

// struct wl_thread_config: wl_thread_job's per-thread job (a fio job's
// thread): its depths, read share, offsets and I/O count.
// @ts-ignore: decorator
@unmanaged export class wl_thread_config {
  /** I/Os in flight. */
  depth: u32;
  /** SQEs submitted per io_uring_enter. */
  submit_batch: u32;
  /** CQEs reaped per pass. */
  complete_batch: u32;
  /** Share of reads, per 10,000 I/Os. */
  read_per_10000: u32;
  /** Random offsets (else sequential). */
  random: bool;
  /** Start of the thread's range on the file, bytes. */
  offset_bytes: f64;
  /** Length of the range, bytes. */
  range_bytes: f64;
  /** I/Os to issue (0: no limit). */
  ios: f64;
}

// struct wl_pace_config: wl_thread_pace's pacing of one thread, as fio's
// options set it.
// @ts-ignore: decorator
@unmanaged export class wl_pace_config {
  /** startdelay, ns. */
  start_delay_ns: f64;
  /** rate for reads (rate_iops × the smallest block size), bytes per second. */
  rate_read_bps: f64;
  /** rate for writes, bytes per second. */
  rate_write_bps: f64;
  /** rate_process=poisson (else linear). */
  poisson: bool;
  /** Wait for the I/Os in flight before a rate sleep (inline submission). */
  quiesce: bool;
  /** thinktime, µs. */
  think_us: f64;
  /** thinktime_spin, µs. */
  think_spin_us: f64;
  /** thinktime_blocks. */
  think_blocks: f64;
  /** thinktime_blocks_type=issue (else complete). */
  think_issue: bool;
  /** rate_min for reads, bytes per second. */
  rate_min_read_bps: f64;
  /** rate_min for writes, bytes per second. */
  rate_min_write_bps: f64;
  /** rate_iops_min for reads. */
  rate_min_read_iops: f64;
  /** rate_iops_min for writes. */
  rate_min_write_iops: f64;
  /** exitall: 0 none, 1 its group, 2 every thread. */
  exitall: i32;
  /** The thread's exit group. */
  exit_group: i32;
  /** The poisson generator's seed. */
  seed: f64;
  /** When the thread stops issuing after its start (0: never), ns. */
  deadline_rel_ns: f64;
  /** The thread's fio job. */
  job_id: i32;
  /** The fio job it waits for (wait_for; -1: none). */
  wait_job: i32;
}

// struct wl_offsets_config: wl_thread_offsets' offsets beyond plain
// sequential or uniform (fio's rw=…:N, rw_sequencer, random_distribution).
// @ts-ignore: decorator
@unmanaged export class wl_offsets_config {
  /** Bytes between sequential I/Os (rw=read:N; may be negative). */
  seq_add_bytes: f64;
  /** A new random offset every this many I/Os (rw=randread:N). */
  seq_nr: i32;
  /** rw_sequencer=identical: the same offset again instead of the next. */
  identical: bool;
  /** random_distribution (DIST_*). */
  dist: i32;
  /** The distribution's parameter (theta, h, or deviation %). */
  dist_param: f64;
  /** The hot set's center, a fraction of the range (-1: none). */
  center: f64;
  /** Blocks the distribution spans. */
  nranges: f64;
  /** The distribution's seed. */
  seed: f64;
}

// struct wl_verify_config: wl_thread_verify's fio verify settings (verify=,
// verify_interval, verify_offset, verify_fatal, do_verify) for a thread that
// writes, and how much of its writes the thread logs to read back.
// @ts-ignore: decorator
@unmanaged export class wl_verify_config {
  /** fio's verify type (asm/user/verify.ts VERIFY_*; verify.h's numbers). */
  type: i32;
  /** verify_interval: a header every this many bytes of a block (0: one per block). */
  interval_bytes: u32;
  /** verify_offset: the header is swapped to this offset in its interval (0: at the start). */
  header_offset_bytes: u32;
  /** verify_fatal: stop at the first bad interval. */
  fatal: bool;
  /** do_verify: read the writes back once they are done. */
  do_verify: bool;
  /** Check the header's numberio (fio: a writing job with one block size, not time_based). */
  check_numberio: bool;
  /** fio's thread number (td->thread_number, from 1 over the whole fio run): the header's thread field. */
  thread_number: u32;
  /** Writes the thread logs at most (its I/O count). */
  pieces_max: u32;
  /** The thread's buffers (one per SQ slot): each I/O in flight owns one until it is reaped, as fio's io_u does. */
  buffers: u32;
  /** verify_backlog: read back a batch once this many writes are not yet verified (0: all after the writes). */
  backlog: u32;
  /** verify_backlog_batch: reads per batch (0: the backlog). */
  backlog_batch: u32;
  /** Blocks of the thread's random map (random writes; 0: sequential). */
  map_blocks: f64;
  /** The verify seeds' generator seed. */
  seed: f64;
}

// ---------------------------------------------------------------------------
// Result indices: what each reader export takes, by name. The switch in the
// export uses these names; TypeScript reads results by the generated objects
// (src/abi.generated.ts; src/workload/stat_index.ts re-exports them).

// index ST: stat_get(i): completion statistics over the measurement window.
/** Successful I/Os measured. */
export const ST_IOS: i32 = 0;
/** Bytes they moved. */
export const ST_BYTES: i32 = 1;
/** Failed I/Os measured. */
export const ST_ERRORS: i32 = 2;
/** Sum of completion latencies, ns. */
export const ST_LAT_SUM_NS: i32 = 3;
/** Largest completion latency, ns. */
export const ST_LAT_MAX_NS: i32 = 4;
/** Smallest completion latency, ns (0 with no I/O). */
export const ST_LAT_MIN_NS: i32 = 5;
/** Buckets in the latency histogram. */
export const ST_HIST_BUCKETS: i32 = 6;
/** Sum of squared completion latencies, ns². */
export const ST_LAT_SQ_SUM: i32 = 7;

// index WL_STAT: wl_stat(i): the workload loop's state.
/** I/Os completed, warm-up included. */
export const WL_STAT_IOS: i32 = 0;
/** Bytes completed, warm-up included. */
export const WL_STAT_BYTES: i32 = 1;
/** Failed I/Os, warm-up included. */
export const WL_STAT_ERRORS: i32 = 2;
/** io_uring_enter calls. */
export const WL_STAT_CALLS: i32 = 3;
/** Start of the measurement window, simulated ns. */
export const WL_STAT_T0_NS: i32 = 4;
/** End of the measurement window, simulated ns. */
export const WL_STAT_T1_NS: i32 = 5;
/** io_uring_enter calls when the window opened. */
export const WL_STAT_CALLS_AT_START: i32 = 6;
/** 1 once the run has finished. */
export const WL_STAT_FINISHED: i32 = 7;
/** Per-second samples taken. */
export const WL_STAT_SAMPLES: i32 = 8;
/** 1 while the measurement window is open. */
export const WL_STAT_MEASURING: i32 = 9;
/** io_uring_enter calls when the window closed. */
export const WL_STAT_CALLS_AT_END: i32 = 10;

// index SAMPLE: one per-second sample: 64-bit words at these indices
// (wl_sample_ptr, wl_sample_words words a sample), then per core its busy ns
// at SAMPLE_CORE_BUSY + SAMPLE_CORE_WORDS × core and its spin ns after it.
/** Simulated time of the sample, ns. */
export const SAMPLE_T_NS: i32 = 0;
/** Measured I/Os so far. */
export const SAMPLE_IOS: i32 = 1;
/** Bytes so far. */
export const SAMPLE_BYTES: i32 = 2;
/** io_uring_enter calls so far. */
export const SAMPLE_CALLS: i32 = 3;
/** SQEs submitted so far. */
export const SAMPLE_SUBMITTED: i32 = 4;
/** CQEs reaped so far. */
export const SAMPLE_REAPED: i32 = 5;
/** Core 0's busy ns; core c's at this + SAMPLE_CORE_WORDS × c. */
export const SAMPLE_CORE_BUSY: i32 = 6;
/** Words per core: busy ns, spin ns. */
export const SAMPLE_CORE_WORDS: i32 = 2;

// index SNAP: snap_get(group, i): the counter groups snapshotted when the
// measurement window opened.
/** IOMMU counters, i as iommu_counter takes it. */
export const SNAP_IOMMU: i32 = 0;
/** dma-buf counters, i as dmabuf_counter takes it. */
export const SNAP_DMABUF: i32 = 1;
/** Per drive d: i = d × SNAP_CTRL_WORDS + SNAP_CTRL_*. */
export const SNAP_CTRL: i32 = 2;
/** Per IOMMU unit u: i = u × IOMMU_UNIT_STAT_WORDS + IOMMU_UNIT_STAT_*. */
export const SNAP_IOMMU_UNIT: i32 = 3;

// index SNAP_CTRL: per drive in the SNAP_CTRL group.
/** Commands processed. */
export const SNAP_CTRL_CMDS: i32 = 0;
/** Controller busy time, ns. */
export const SNAP_CTRL_BUSY_NS: i32 = 1;
/** Link busy time, ns. */
export const SNAP_CTRL_LINK_BUSY_NS: i32 = 2;
/** Words per drive. */
export const SNAP_CTRL_WORDS: i32 = 3;

// index IOMMU_UNIT_STAT: iommu_unit_stat(unit, i): one IOMMU unit's
// invalidation queue (also per unit in the SNAP_IOMMU_UNIT group).
/** Time the queue was busy, ns. */
export const IOMMU_UNIT_STAT_BUSY_NS: i32 = 0;
/** Commands through the queue. */
export const IOMMU_UNIT_STAT_COMMANDS: i32 = 1;
/** Waits (syncs) issued. */
export const IOMMU_UNIT_STAT_SYNCS: i32 = 2;
/** Invalidations outstanding at each sync, summed. */
export const IOMMU_UNIT_STAT_BATCHED: i32 = 3;
/** Words per unit. */
export const IOMMU_UNIT_STAT_WORDS: i32 = 4;

// index NVME_WINDOW: nvme_window_stat(drive, i): the drive's occupancy and
// latency over the measurement window.
/** Commands in flight integrated over time, command·ns. */
export const NVME_WINDOW_OCCUPANCY_AREA_NS: i32 = 0;
/** Sum of command latencies, ns. */
export const NVME_WINDOW_LATENCY_SUM_NS: i32 = 1;
/** Commands completed. */
export const NVME_WINDOW_COMMANDS: i32 = 2;

// index GPU_COUNTER: gpu_counter(i): GPU copies and host-memory traffic.
/** GPU copies. */
export const GPU_COUNTER_COPIES: i32 = 0;
/** Bytes through host memory. */
export const GPU_COUNTER_HOST_MEM_BYTES: i32 = 1;
/** Bytes over GPU 0's link; GPU g's at this + g. */
export const GPU_COUNTER_LINK_BYTES: i32 = 2;

// index SWIOTLB_COUNTER: swiotlb_counter(i): shadow buffers of untrusted devices.
/** Requests bounced. */
export const SWIOTLB_COUNTER_BOUNCES: i32 = 0;
/** Bytes copied. */
export const SWIOTLB_COUNTER_COPIED_BYTES: i32 = 1;
/** Padding bytes zeroed. */
export const SWIOTLB_COUNTER_PADDING_BYTES: i32 = 2;

// index QUEUE_LIMIT: blk_queue_limit(i): the block queue limits in force.
/** max_hw_sectors_kb. */
export const QUEUE_LIMIT_MAX_HW_SECTORS_KB: i32 = 0;
/** max_sectors_kb. */
export const QUEUE_LIMIT_MAX_SECTORS_KB: i32 = 1;
/** max_segments. */
export const QUEUE_LIMIT_MAX_SEGMENTS: i32 = 2;
/** dma_alignment, bytes. */
export const QUEUE_LIMIT_DMA_ALIGNMENT: i32 = 3;

// index BLK_MQ_COUNTER: blk_mq_counter(i): requests blk-mq kept because the
// driver lacked DMA resources (BLK_STS_RESOURCE), and nvme's retries.
/** Requeues: each BLK_STS_RESOURCE return. */
export const BLK_MQ_COUNTER_REQUEUES: i32 = 0;
/** Queue runs after BLK_MQ_RESOURCE_DELAY that found requests waiting. */
export const BLK_MQ_COUNTER_RESOURCE_DELAY_RUNS: i32 = 1;
/** Reruns by a freed request (SCHED_RESTART). */
export const BLK_MQ_COUNTER_RESTARTS: i32 = 2;
/** Requests waiting on dispatch lists now. */
export const BLK_MQ_COUNTER_WAITING: i32 = 3;
/** Retries: commands nvme requeued after failing without DNR (nvme_retry_req → blk_mq_requeue_request). */
export const BLK_MQ_COUNTER_RETRIES: i32 = 4;

// index IOMMU_COUNTER (snake_case keys): iommu_counter(i): IOMMU counters
// (their names are System.iommuCounters()'s and a run result's keys).
/** Mappings made. */
export const IOMMU_COUNTER_MAPS: i32 = 0;
/** Mappings removed. */
export const IOMMU_COUNTER_UNMAPS: i32 = 1;
/** IOTLB invalidations. */
export const IOMMU_COUNTER_INVALIDATIONS: i32 = 2;
/** IOTLB hits. */
export const IOMMU_COUNTER_IOTLB_HITS: i32 = 3;
/** IOTLB misses. */
export const IOMMU_COUNTER_IOTLB_MISSES: i32 = 4;
/** Page-table walks. */
export const IOMMU_COUNTER_WALKS: i32 = 5;
/** Translation faults. */
export const IOMMU_COUNTER_FAULTS: i32 = 6;
/** Translations through a stale IOTLB entry. */
export const IOMMU_COUNTER_STALE_HITS: i32 = 7;
/** Flush-queue flushes. */
export const IOMMU_COUNTER_FQ_FLUSHES: i32 = 8;
/** IOVAs from the per-CPU caches. */
export const IOMMU_COUNTER_IOVA_CACHE_HITS: i32 = 9;
/** IOVAs from the tree. */
export const IOMMU_COUNTER_IOVA_TREE_ALLOCS: i32 = 10;
/** Page-table entries written. */
export const IOMMU_COUNTER_PTE_WRITES: i32 = 11;

// index DMABUF_COUNTER (snake_case keys): dmabuf_counter(i): dma-buf counters
// (their names are System.dmabufCounters()'s and a run result's keys).
/** Maps created. */
export const DMABUF_COUNTER_MAPS_CREATED: i32 = 0;
/** Maps freed. */
export const DMABUF_COUNTER_MAPS_FREED: i32 = 1;
/** Live maps killed by move_notify. */
export const DMABUF_COUNTER_INVALIDATIONS: i32 = 2;
/** Requests parked to wait for a map (handed to io-wq). */
export const DMABUF_COUNTER_WAITS: i32 = 3;
/** Maps made again after an invalidation. */
export const DMABUF_COUNTER_REMAPS: i32 = 4;
/** Requests failed with -EAGAIN (RWF_NOWAIT, no live map). */
export const DMABUF_COUNTER_EAGAIN: i32 = 5;
/** Fences signalled. */
export const DMABUF_COUNTER_FENCES_SIGNALLED: i32 = 6;
/** Migrations done. */
export const DMABUF_COUNTER_MIGRATIONS: i32 = 7;
/** Migrations that failed. */
export const DMABUF_COUNTER_MIGRATIONS_FAILED: i32 = 8;

// index STACKED_STAT: stacked_stat(dev, member, i): a stacked device and its members.
/** Clones sent to the member. */
export const STACKED_STAT_CLONES: i32 = 0;
/** 1 when the member is Faulty (md raid1). */
export const STACKED_STAT_FAULTY: i32 = 1;
/** Requests pending on the member. */
export const STACKED_STAT_PENDING: i32 = 2;
/** 1 when the array is broken (MD_BROKEN; member ignored). */
export const STACKED_STAT_BROKEN: i32 = 3;
/** The device's size, bytes (member ignored). */
export const STACKED_STAT_SIZE_BYTES: i32 = 4;
/** The member's drive index. */
export const STACKED_STAT_MEMBER: i32 = 5;
/** raid1d read retries (member ignored). */
export const STACKED_STAT_READ_RETRIES: i32 = 6;

// index JOB_STAT: wl_job_stat(thread, dir, word): a fio thread's statistic
// words per direction; each latency is four words from its base (JOB_LAT_*).
/** I/Os. */
export const JOB_STAT_IOS: i32 = 0;
/** Bytes. */
export const JOB_STAT_BYTES: i32 = 1;
/** Errors. */
export const JOB_STAT_ERRORS: i32 = 2;
/** Completion latency (clat), ns. */
export const JOB_STAT_CLAT: i32 = 3;
/** Submission latency (slat), ns. */
export const JOB_STAT_SLAT: i32 = 7;
/** Total latency (lat), ns. */
export const JOB_STAT_LAT: i32 = 11;
/** Words per (thread, direction). */
export const JOB_STAT_WORDS: i32 = 16;

// index JOB_LAT: a latency's four words, from its JOB_STAT_* base.
/** Sum, ns. */
export const JOB_LAT_SUM: i32 = 0;
/** Sum of squares, ns². */
export const JOB_LAT_SUM_SQ: i32 = 1;
/** Smallest, ns (0 when nothing was recorded). */
export const JOB_LAT_MIN: i32 = 2;
/** Largest, ns. */
export const JOB_LAT_MAX: i32 = 3;

// index JOB_SAMPLE: wl_job_sample(sample, thread, dir, word): a fio thread's
// words in each per-second sample.
/** I/Os. */
export const JOB_SAMPLE_IOS: i32 = 0;
/** Bytes. */
export const JOB_SAMPLE_BYTES: i32 = 1;
/** Completion latency sum, ns. */
export const JOB_SAMPLE_CLAT_SUM: i32 = 2;
/** Words per (thread, direction). */
export const JOB_SAMPLE_WORDS: i32 = 3;

// index JOB_MAP: wl_job_map(thread, i): a fio thread's io_u maps, each of
// JOB_MAP_BUCKETS buckets (fio: 1, 2, 4, 8, 16, 32, >=64 for depths; 0, 4, 8,
// 16, 32, 64, >=64 for batches).
/** IO depths. */
export const JOB_MAP_DEPTH: i32 = 0;
/** Submit batches. */
export const JOB_MAP_SUBMIT: i32 = 7;
/** Complete batches. */
export const JOB_MAP_COMPLETE: i32 = 14;
/** Buckets per map. */
export const JOB_MAP_BUCKETS: i32 = 7;
/** Words per thread. */
export const JOB_MAP_WORDS: i32 = 21;

// How many counters each counter group has.
/** iommu_counter's counters. */
export const IOMMU_COUNTER_NR: i32 = IOMMU_COUNTER_PTE_WRITES + 1;
/** dmabuf_counter's counters. */
export const DMABUF_COUNTER_NR: i32 = DMABUF_COUNTER_MIGRATIONS_FAILED + 1;

// index EXPOSURE_KIND: the kind of a mapping exposure_get(kind, …) reports on.
/** A per-I/O mapping (dma_map_sg / dma_unmap_sg). */
export const EXPOSURE_KIND_STREAMING: i32 = 0;
/** A dma-buf map (the attachment's sg_table). */
export const EXPOSURE_KIND_DMABUF: i32 = 1;
/** A per-I/O mapping of swiotlb bounce pages (untrusted device). */
export const EXPOSURE_KIND_SHADOW: i32 = 2;

// index EXPOSURE: exposure_get(kind, i, t): exposure figures of a kind at
// time t (ranges still waiting for a flush count up to t).
/** Unmaps. */
export const EXPOSURE_UNMAPS: i32 = 0;
/** Pages unmapped. */
export const EXPOSURE_UNMAPPED_PAGES: i32 = 1;
/** Unmaps whose IOTLB invalidation was deferred (stale ranges). */
export const EXPOSURE_STALE_RANGES: i32 = 2;
/** Pages left reachable after their unmap. */
export const EXPOSURE_STALE_PAGES: i32 = 3;
/** IOTLB entries left stale. */
export const EXPOSURE_STALE_IOTLB: i32 = 4;
/** The longest stale window, ns. */
export const EXPOSURE_WINDOW_MAX: i32 = 5;
/** Σ stale pages × time, page·ns. */
export const EXPOSURE_STALE_PAGE_NS: i32 = 6;
/** Σ stale range windows, ns. */
export const EXPOSURE_STALE_RANGE_NS: i32 = 7;
/** Stale ranges still open at t. */
export const EXPOSURE_OPEN: i32 = 8;
/** Pages mapped now. */
export const EXPOSURE_MAPPED_NOW: i32 = 9;
/** Most pages mapped at once. */
export const EXPOSURE_MAPPED_MAX: i32 = 10;
/** Σ mapped pages × time up to t, page·ns. */
export const EXPOSURE_MAPPED_PAGE_NS: i32 = 11;
/** Sub-page maps (streaming kind only). */
export const EXPOSURE_SUB_MAPS: i32 = 12;
/** Bytes mapped beyond the I/O by sub-page maps (streaming kind only). */
export const EXPOSURE_SUB_BYTES: i32 = 13;
/** Σ those bytes × time up to t, byte·ns (streaming kind only). */
export const EXPOSURE_SUB_BYTE_NS: i32 = 14;
/** Most pages of both kinds mapped at once (any kind). */
export const EXPOSURE_MAPPED_ALL_MAX: i32 = 15;

// index CPU_LAYER (snake_case keys): the CPU layers a core's time is charged to
// (core_layer_ns(core, layer); a run result's cpuNsPerIoByLayer keys).
/** The program itself. */
export const CPU_LAYER_APP: i32 = 0;
/** io_uring. */
export const CPU_LAYER_IO_URING: i32 = 1;
/** The block layer. */
export const CPU_LAYER_BLOCK: i32 = 2;
/** nvme-pci. */
export const CPU_LAYER_NVME: i32 = 3;
/** dma-direct / IOMMU map and unmap. */
export const CPU_LAYER_DMA: i32 = 4;
/** Spinning for a synchronous invalidation. */
export const CPU_LAYER_IOMMU_WAIT: i32 = 5;
/** dma-buf maps, fences and tokens. */
export const CPU_LAYER_DMABUF: i32 = 6;
/** Spinning on the completion queue. */
export const CPU_LAYER_POLL: i32 = 7;
/** Interrupt handling. */
export const CPU_LAYER_IRQ: i32 = 8;
/** Polling with nothing to find: CPU use that does no work. */
export const CPU_LAYER_SPIN: i32 = 9;

// index TRACE_KIND: a trace record's kind byte.
/** io stage: SQE consumed → command queued. */
export const TRACE_KIND_SUBMIT: u8 = 1;
/** io stage: DMA map. */
export const TRACE_KIND_MAP: u8 = 2;
/** io stage: command + PRP/SGL set-up. */
export const TRACE_KIND_COMMAND: u8 = 3;
/** io stage: controller + media + link. */
export const TRACE_KIND_DEVICE: u8 = 4;
/** io stage: CQE posted → request completed. */
export const TRACE_KIND_COMPLETE: u8 = 5;
/** io stage: DMA unmap. */
export const TRACE_KIND_UNMAP: u8 = 6;
/** cpu: io_uring_enter. */
export const TRACE_KIND_CPU_ENTER: u8 = 10;
/** cpu: spinning on the CQ. */
export const TRACE_KIND_CPU_POLL: u8 = 11;
/** cpu: interrupt handling. */
export const TRACE_KIND_CPU_IRQ: u8 = 12;
/** cpu: waiting for an IOTLB invalidation. */
export const TRACE_KIND_CPU_INVWAIT: u8 = 13;
/** IOMMU unit: one invalidation. */
export const TRACE_KIND_INVAL: u8 = 20;
/** counter: requests in flight on a ring. */
export const TRACE_KIND_CNT_INFLIGHT: u8 = 30;
/** counter: IOTLB misses so far. */
export const TRACE_KIND_CNT_IOTLB_MISS: u8 = 31;

// struct trace_entry: one record of the trace buffer (trace_buf(), trace_count() of them).
// @ts-ignore: decorator
@unmanaged export class trace_entry {
  /** When it started, ns. */
  t_ns: u64;
  /** How long it lasted, ns. */
  dur_ns: u64;
  /** A counter's value, or the request's tag. */
  value: u32;
  /** The track: a core, a ring, an IOMMU unit. */
  track: u16;
  /** TRACE_KIND_*. */
  kind: u8;
  /** Padding. */
  pad: u8;
  /** Unused: entries are 32 bytes apart. */
  reserved: u64;
}

// How many layers there are.
/** CPU layers. */
export const CPU_LAYERS: i32 = CPU_LAYER_SPIN + 1;
/** Exposure kinds. */
export const EXPOSURE_KINDS: i32 = EXPOSURE_KIND_SHADOW + 1;

// index JOB_ERRORS: wl_job_errors(thread, i): a fio thread's error counts.
/** fio's total_err_count: errors it went on past and the fatal one. */
export const JOB_ERRORS_TOTAL: i32 = 0;
/** fio's first_error (an errno; 0 none). */
export const JOB_ERRORS_FIRST: i32 = 1;
/** Fatal errors logged (the first JOB_ERRLOG_MAX are kept). */
export const JOB_ERRORS_LOGGED: i32 = 2;

// index JOB_ERRLOG: wl_job_errlog(thread, entry, i): one logged fatal error
// (fio's io_u error line).
/** The errno. */
export const JOB_ERRLOG_ERRNO: i32 = 0;
/** The direction: 0 read, 1 write. */
export const JOB_ERRLOG_DIR: i32 = 1;
/** The I/O's offset, bytes. */
export const JOB_ERRLOG_OFFSET: i32 = 2;
/** The I/O's length, bytes. */
export const JOB_ERRLOG_LEN: i32 = 3;

// index JOB_VERIFY: wl_job_verify(thread, i): a fio thread's verify progress.
/** Writes logged to read back. */
export const JOB_VERIFY_LOGGED: i32 = 0;
/** Writes read back so far. */
export const JOB_VERIFY_READ_BACK: i32 = 1;
/** When it began reading back, ns (0: never). */
export const JOB_VERIFY_START_NS: i32 = 2;

// index VERIFY_FAILURE: wl_verify_failure(entry, i, hi): one failure a verify
// check logged (for fio's messages), a 64-bit word each.
/** The thread. */
export const VERIFY_FAILURE_THREAD: i32 = 0;
/** What failed (asm/user/verify.ts's kinds). */
export const VERIFY_FAILURE_KIND: i32 = 1;
/** The header's number in its block. */
export const VERIFY_FAILURE_HDR_NUM: i32 = 2;
/** The header's length, bytes. */
export const VERIFY_FAILURE_HDR_LEN: i32 = 3;
/** The value found. */
export const VERIFY_FAILURE_GOT: i32 = 4;
/** The value wanted. */
export const VERIFY_FAILURE_WANT: i32 = 5;
/** A kind's extra detail. */
export const VERIFY_FAILURE_EXTRA: i32 = 6;
/** The block's offset, bytes. */
export const VERIFY_FAILURE_OFFSET: i32 = 7;
/** The block's length, bytes. */
export const VERIFY_FAILURE_LEN: i32 = 8;
/** Bytes of each checksum kept (wl_verify_failure_sum). */
export const VERIFY_FAILURE_SUM_LEN: i32 = 9;
/** The verify type. */
export const VERIFY_FAILURE_TYPE: i32 = 10;
/** Words per failure. */
export const VERIFY_FAILURE_WORDS: i32 = 11;

// How many verify failures are kept.
/** Failures kept for fio's messages (every one is counted). */
export const VERIFY_FAILURE_MAX: i32 = 64;

// How many fatal errors a thread keeps.
/** Logged fatal errors kept per thread. */
export const JOB_ERRLOG_MAX: i32 = 16;

// index SIM_ABORT: sim_abort_where(i): where the last failed assertion was (debug build).
/** Its message (an AssemblyScript string pointer). */
export const SIM_ABORT_MSG: i32 = 0;
/** Its file (an AssemblyScript string pointer). */
export const SIM_ABORT_FILE: i32 = 1;
/** Its line. */
export const SIM_ABORT_LINE: i32 = 2;

// ---------------------------------------------------------------------------
// Configuration enums: a profile's or a job's choice as the module numbers it.

// index IOMMU_MODE (snake_case keys): iommu.mode (storage_config.iommu_mode).
/** iommu.strict=1: unmap invalidates the IOTLB at once. */
export const IOMMU_MODE_STRICT: i32 = 0;
/** iommu.strict=0: unmapped IOVAs wait on a flush queue. */
export const IOMMU_MODE_LAZY: i32 = 1;
/** iommu=pt: no translation (dma-direct). */
export const IOMMU_MODE_PASSTHROUGH: i32 = 2;

// index IOMMU_KIND (snake_case keys): iommu.kind (storage_config.iommu_kind;
// the profile spells amd_vi "amd-vi").
/** Intel VT-d: queued invalidation, descriptors processed in order. */
export const IOMMU_KIND_VTD: i32 = 0;
/** Arm SMMUv3: command queue with CMD_SYNC. */
export const IOMMU_KIND_SMMUV3: i32 = 1;
/** AMD-Vi: command buffer with COMPLETION_WAIT. */
export const IOMMU_KIND_AMD_VI: i32 = 2;

// index UNTRUSTED (snake_case keys): devices[].untrusted (nvme_set_untrusted).
/** A trusted device: no bounce buffers. */
export const UNTRUSTED_NO: i32 = 0;
/** Untrusted as the kernel treats it: bounce what does not fill whole granules (dma-iommu.c). */
export const UNTRUSTED_YES: i32 = 1;
/** Bounce every request (a proposal). */
export const UNTRUSTED_ALL: i32 = 2;

// index STACKED_KIND (snake_case keys): stacked[].kind (stacked_setup).
/** dm-linear: the members concatenated. */
export const STACKED_KIND_LINEAR: i32 = 0;
/** dm-stripe: RAID 0 over the members in chunks. */
export const STACKED_KIND_STRIPED: i32 = 1;
/** md raid1: every member a mirror. */
export const STACKED_KIND_RAID1: i32 = 2;

// index DIST (snake_case keys): random_distribution, fio's offset generators (wl_offsets_config.dist).
/** Uniform random offsets (fio's default). */
export const DIST_RANDOM: i32 = 0;
/** zipf:THETA (lib/zipf.c). */
export const DIST_ZIPF: i32 = 1;
/** pareto:H (lib/zipf.c pareto). */
export const DIST_PARETO: i32 = 2;
/** normal:DEV (lib/gauss.c). */
export const DIST_NORMAL: i32 = 3;
/** zoned:ACCESS/SIZE:… (fio's zone split). */
export const DIST_ZONED: i32 = 4;

// index BUF_KIND (snake_case keys): a job's buffers (wl_config.buf_kind).
/** Plain user memory, pinned per I/O. */
export const BUF_KIND_PLAIN: i32 = 0;
/** Registered (fixed) buffers. */
export const BUF_KIND_FIXED: i32 = 1;
/** A registered dma-buf. */
export const BUF_KIND_DMABUF: i32 = 2;
/** Host buffers bounced to or from GPU memory. */
export const BUF_KIND_BOUNCE: i32 = 3;

// ---------------------------------------------------------------------------
// Named simulator errors and invariants (asm/sim/errors.ts raises them). Each
// one's doc is the message TypeScript prints for it (src/wasm.ts SimLimitError,
// SimInvariantError), generated as the index's MESSAGES.

// index SIM_ERR (messages): sim_error codes: a limit of the simulated machine was passed.
/** arena exhausted (machine memory limits too small for this run) */
export const SIM_ERR_ARENA: i32 = 1;
/** event queue full (EVENTS_MAX) */
export const SIM_ERR_EVENTS: i32 = 2;
/** request table full (REQS_MAX) */
export const SIM_ERR_REQS: i32 = 3;
/** CQ overflow list full (OVERFLOW_MAX) */
export const SIM_ERR_OVERFLOW: i32 = 4;
/** simulated physical memory backing exhausted (memory.backing_mib) */
export const SIM_ERR_PHYS: i32 = 5;
/** media backing exhausted (memory.media_mib) */
export const SIM_ERR_MEDIA: i32 = 6;
/** IOVA space or allocator table exhausted */
export const SIM_ERR_IOVA: i32 = 7;
/** NVMe command table full */
export const SIM_ERR_CMDS: i32 = 8;
/** internal invariant broken */
export const SIM_ERR_INVARIANT: i32 = 9;
/** dma-buf map table full */
export const SIM_ERR_MAPS: i32 = 10;
/** assertion failed */
export const SIM_ERR_ASSERT: i32 = 11;
/** machine too large: memory.backing_mib + media_mib (and host_mib) do not fit the 1 GiB arena (MiB asked) */
export const SIM_ERR_MACHINE_SIZE: i32 = 12;
/** simulated time past the engine's clock (2^44 ns, about 4.9 hours; ns asked) */
export const SIM_ERR_CLOCK: i32 = 13;
/** blk-mq dispatch lists full (REQUEUED_MAX requests waiting for DMA resources) */
export const SIM_ERR_REQUEUED: i32 = 14;

// index INV (messages): sim_invariant: which named invariant broke (SIM_ERR_INVARIANT's detail).
/** unnamed */
export const INV_NONE: i32 = 0;
/** link chain longer than REQS_MAX (io_fail_links) */
export const INV_LINK_CHAIN: i32 = 1;
/** defer list longer than REQS_MAX (io_queue_deferred) */
export const INV_DEFER_LIST: i32 = 2;
/** io_uring_exit waited through 100 M events */
export const INV_EXIT_WAIT: i32 = 3;
/** io_cqring_wait past its iteration bound */
export const INV_CQ_WAIT: i32 = 4;
/** io_iopoll_check past its iteration bound */
export const INV_IOPOLL_WAIT: i32 = 5;
/** buffered copy past 1 M page steps */
export const INV_BUFFERED_COPY: i32 = 6;
/** dma-buf request fed more than 2^20 pages */
export const INV_DMABUF_FEED: i32 = 7;
/** failing parked requests walked more than 2^20 */
export const INV_PARKED_FAIL: i32 = 8;
/** issuing parked requests walked more than 2^20 */
export const INV_PARKED_ISSUE: i32 = 9;
/** controller fetched more SQEs than the queue holds */
export const INV_SQ_FETCH: i32 = 10;
/** driver reaped more CQEs than the queue holds */
export const INV_CQ_REAP: i32 = 11;
/** blk_feed past 1 M split steps */
export const INV_BIO_FEED: i32 = 12;
/** link chain longer than REQS_MAX (chain_len) */
export const INV_CHAIN_LEN: i32 = 13;
/** event of no known kind */
export const INV_EVENT_KIND: i32 = 14;
/** upward hook called before machine set-up registered it */
export const INV_HOOK_UNSET: i32 = 15;
/** iommu_unmap of an unmapped PTE */
export const INV_UNMAP_UNMAPPED: i32 = 16;
/** free_iova of a range the IOVA tree does not hold */
export const INV_FREE_UNALLOCATED: i32 = 17;
/** set-up struct of another size than the module's (src/abi.generated.ts and the module disagree) */
export const INV_ABI_STRUCT: i32 = 18;
/** a blk-mq queue run walked more than REQUEUED_MAX requests */
export const INV_REQUEUE_RUN: i32 = 19;
/** task work ran more passes than REQS_MAX (tw_run_all, tw_run_local) */
export const INV_TW_PASSES: i32 = 20;

// How many named invariants there are (INV_NONE included).
export const INV_COUNT: i32 = 21;
