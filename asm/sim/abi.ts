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
  /** IOMMU mode: 0 strict, 1 lazy, 2 passthrough (src/profile.ts IOMMU_MODES order). */
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
  /** IOMMU hardware: 0 VT-d, 1 SMMUv3, 2 AMD-Vi (src/profile.ts IOMMU_KINDS order). */
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
  /** Buffer kind: 0 plain, 1 fixed, 2 dma-buf, 3 bounce. */
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
  /** random_distribution: 0 random, 1 zipf, 2 pareto, 3 normal, 4 zoned. */
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
