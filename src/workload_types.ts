/**
 * The workload runner's interface: a t/io_uring-like job and its results.
 * The CLI (`cli/`), `bench/` and tests use these types; `src/workload.ts`
 * implements {@link RunUring}.
 *
 * @module
 */
import type { IommuMode } from "./profile.ts";
import type { SecurityReport } from "./security.ts";
import type { DIST } from "./abi.generated.ts";

/** A random_distribution generator, a value of {@link DIST}. */
export type DistKind = (typeof DIST)[keyof typeof DIST];

/**
 * Buffer kinds a workload can use: plain user memory, registered (fixed)
 * buffers, a dma-buf, or "bounce": reads into registered host buffers, each
 * then copied to GPU 0 by its copy engine (the path peer-to-peer avoids).
 */
export type BufferKind = "plain" | "fixed" | "dmabuf" | "bounce";

/** A t/io_uring-style job: one thread per core, each with its own ring. */
export interface UringJob {
  /** Built-in profile name, a profile object, or `{ base, ...overrides }`. */
  profile?: string | Record<string, unknown>;
  /** Override the profile's IOMMU mode. */
  iommu?: IommuMode;
  /** Device names to use (profile `devices[].name`), e.g. ["nvme0n1"]. Default: the first. */
  devices?: string[];
  /** Threads (-n), each on its own core, each with its own ring. Default 1. */
  threads?: number;
  /** Queue depth per thread (-d). Default 128. */
  depth?: number;
  /** Submit batch (-s). Default 32. */
  submitBatch?: number;
  /** Complete batch (-c). Default 32. */
  completeBatch?: number;
  /** Block size in bytes (-b). Default 4096. */
  bs?: number;
  /** Polled completions (-p, IORING_SETUP_IOPOLL). Default true. */
  polled?: boolean;
  /** Registered files (-F). Default true. */
  fixedFiles?: boolean;
  /** Buffer kind: plain, registered (fixed, -B1), dma-buf, or bounce (to GPU 0 via host RAM). Default "fixed". */
  buffers?: BufferKind;
  /**
   * Where a dma-buf's memory lives (buffers "dmabuf"): "host" (a udmabuf over
   * host RAM, the published setup) or "gpu" (GPU 0's VRAM: peer-to-peer
   * reads, through a switch or the host bridge as the profile says). Default "host".
   */
  dmabufMemory?: "host" | "gpu";
  /** O_DIRECT (-O). Default true. */
  direct?: boolean;
  /** Random offsets (-R). Default true. */
  random?: boolean;
  /** Writes instead of reads. Default false. */
  write?: boolean;
  /** Offset range in bytes from the start of each device. Default: the whole device. */
  rangeBytes?: number;
  /** NOPs instead of I/O (-N). Default false. */
  noop?: boolean;
  /** Stop after this much simulated time, ns (-r, in seconds, on the CLI). */
  runtimeNs?: number;
  /** Stop after this many I/Os in total (dmasim's --ios). */
  ios?: number;
  /** Warm-up: I/Os before statistics start. Default: depth * threads. */
  warmupIos?: number;
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Move real bytes (functional run) instead of timing only. Default false. */
  functional?: boolean;
  /** Called with each per-second sample as it is produced (simulated seconds). */
  onSample?: (s: RunSample) => void;
  /** Called with progress in [0, 1] now and then (for a progress bar). */
  onProgress?: (fraction: number) => void;
  /** Record a trace (keep runs short: at most ~100k records are kept). */
  trace?: boolean;
  /** Sampling interval, simulated ns (default 1 s, as t/io_uring prints). */
  sampleNs?: number;
  /** fio's ramp_time, ns: statistics start when the threads reach it (instead of after warmupIos). */
  rampNs?: number;
  /**
   * One fio job per thread (length = threads): each thread's own depth,
   * batches, mix, block sizes, range and I/O count, with fio's statistics in
   * {@link RunResult.fioThreads}. `bs` must then be the largest block size.
   */
  fioThreads?: FioThreadJob[];
}

/** One thread's fio job (src/workload_fio.ts). */
export interface FioThreadJob {
  /** iodepth. */
  depth: number;
  /** iodepth_batch_submit (clamped to 1..depth). */
  submitBatch: number;
  /** iodepth_batch_complete_min (clamped to 1..depth). */
  completeBatch: number;
  /** Reads per 10000 I/Os (10000: reads only, 0: writes only). */
  readPer10000: number;
  /** Random offsets (else sequential per direction). */
  random: boolean;
  /** Start of the offset range, bytes. */
  offsetBytes: number;
  /** Length of the offset range, bytes. */
  rangeBytes: number;
  /** I/Os the thread issues before it stops (0: until the run's runtime ends). */
  ios: number;
  /** Read block sizes: [bytes, cumulative share per 10000], the last share 10000. */
  bsRead: [number, number][];
  /** Write block sizes, as bsRead. */
  bsWrite: [number, number][];
  /** Pacing (fio's rate, thinktime, startdelay, rate_min, exitall); none when absent. */
  pace?: FioThreadPace;
  /** Offsets other than plain sequential or uniform random (rw=…:N, random_distribution); none when absent. */
  offsets?: FioThreadOffsets;
  /** iodepth_low: once the queue is full, reap down to this many in flight before filling it (default: depth). */
  depthLow?: number;
  /** iodepth_batch_complete_max: CQEs reaped at most per reap (default: every ready one). */
  completeMax?: number;
  /** fio's error handling (continue_on_error, ignore_error); without it the first failed I/O stops the thread. */
  errors?: FioThreadErrors;
  /** fio's verify: headers in the written blocks, read back and checked after the writes (a functional run). */
  verify?: FioThreadVerify;
}

/** A verify failure the loop logged (asm/user/verify.ts vlog), in the order found. */
export interface VerifyFailureRecord {
  /** Thread. */
  thread: number;
  /** VF_* kind: 1 magic, 2 length, 3 seed, 4 offset, 5 numberio, 6 header crc, 7 checksum, 8 pattern. */
  kind: number;
  /** Header number in the block. */
  hdrNum: number;
  /** Header (interval) length. */
  hdrLen: number;
  /** Value found. */
  got: bigint;
  /** Value wanted. */
  want: bigint;
  /** Pattern: the bad byte's offset in the interval's data. */
  extra: number;
  /** The block's offset (io_u->verify_offset). */
  offset: number;
  /** The block's length (io_u->buflen). */
  len: number;
  /** verify type. */
  type: number;
  /** Expected checksum bytes. */
  good: number[];
  /** Received checksum bytes. */
  bad: number[];
}

/** One fio thread's verify (asm/user/wl_job.ts job_set_verify; fio's verify=, verify_* options). */
export interface FioThreadVerify {
  /** verify.h's type number (5 crc32c, 2 md5, 15 xxhash, …). */
  type: number;
  /** verify_interval, bytes (fio's fixed-up value). */
  intervalBytes: number;
  /** verify_offset, bytes. */
  headerOffsetBytes: number;
  /** verify_fatal. */
  fatal: boolean;
  /** do_verify. */
  doVerify: boolean;
  /** Whether the header's numberio is checked (one write block size). */
  checkNumberio: boolean;
  /** fio's thread number (from 1 over the whole fio run). */
  threadNumber: number;
  /** verify_pattern bytes (empty: random data). */
  pattern: number[];
  /** Blocks of the random map (random writes), 0 for sequential ones. */
  mapBlocks: number;
  /** The thread's buffers (a power of two at least the run's deepest queue, as the loop lays them out). */
  buffers: number;
  /** verify_backlog (0: read back after all writes). */
  backlog: number;
  /** verify_backlog_batch (0: the backlog). */
  backlogBatch: number;
  /** A test hook: [N, BYTE] flips byte BYTE of the N-th write (from 1) after its checksum is computed. */
  corrupt?: [number, number];
}

/**
 * One fio thread's error handling (asm/user/wl_job.ts job_io_error, after
 * fio's td_error.c): which error types it goes on past, and which errnos.
 */
export interface FioThreadErrors {
  /** continue_on_error bits: 1 read, 2 write, 4 verify. */
  continueMask: number;
  /** ignore_error lists per type [read, write, verify]; null keeps fio's default (EIO, EILSEQ). */
  ignore: [number[] | null, number[] | null, number[] | null];
  /** The I/O count failed I/Os may raise `ios` to (the size= limit; number_ios counts completed I/Os). */
  retryCapIos: number;
}

/** A failed I/O that stopped a fio thread, as fio's io_u error line names it. */
export interface FioIoError {
  /** Positive errno. */
  errno: number;
  /** 0 read, 1 write. */
  dir: number;
  /** Device offset, bytes. */
  offset: number;
  /** Length, bytes. */
  len: number;
}

/** One fio thread's offset options (asm/user/wl_job.ts job_set_offsets). */
export interface FioThreadOffsets {
  /** Bytes added between sequential I/Os (rw=read:N; negative: backwards). */
  seqAdd: number;
  /** A new random offset every seqNr I/Os (rw=randread:N; 1: every I/O). */
  seqNr: number;
  /** rw_sequencer=identical: the I/Os between repeat the last offset (else they follow on from it). */
  identical: boolean;
  /** random_distribution: a value of {@link DIST} (src/abi.generated.ts). */
  dist: DistKind;
  /** zipf theta, pareto h, or normal's deviation in percent of the range. */
  param: number;
  /** The distribution's center, 0..1 (-1: fio's default). */
  center: number;
  /** Blocks the distribution spans: the range over the smallest block size, rounded up. */
  nranges: number;
  /** zoned: per direction [read, write], for v = 1..100 the zone's [start, end] percent of the range. */
  zones?: [[number, number][], [number, number][]];
}

/** One fio thread's pacing, as fio's options give it (asm/user/wl_job.ts job_set_pace). */
export interface FioThreadPace {
  /** startdelay, ns: the thread starts then, and rate times count from it. */
  startDelayNs: number;
  /** rate per direction [read, write], bytes/s (rate_iops × the smallest block size); 0: none. */
  rateBps: [number, number];
  /** rate_process=poisson (else linear). */
  poisson: boolean;
  /** Wait for the I/Os in flight before a rate sleep (io_submit_mode=inline: io_u_quiesce). */
  quiesce: boolean;
  /** thinktime, us (0: none). */
  thinkUs: number;
  /** thinktime_spin, us (spent busy, part of thinktime). */
  thinkSpinUs: number;
  /** thinktime_blocks. */
  thinkBlocks: number;
  /** thinktime_blocks_type=issue (else complete). */
  thinkIssue: boolean;
  /** rate_min per direction, bytes/s (0: none). */
  rateMinBps: [number, number];
  /** rate_iops_min per direction (0: none). */
  rateIopsMin: [number, number];
  /** exitall: 0 none, 1 the thread's exit group (exit_what=group), 2 every thread of the run. */
  exitall: 0 | 1 | 2;
  /** The thread's exit group (its reporting group). */
  exitGroup: number;
  /** When the thread stops issuing, ns after its own start (ramp + runtime); 0: none. */
  deadlineRelNs: number;
  /** The thread's fio job, as an index in the run (numjobs clones share it). */
  jobId: number;
  /** The job this thread waits for (wait_for): it starts when all that job's threads have ended; -1: none. */
  waitJob: number;
}

/** Sums of a latency over a direction's I/Os, ns. */
export interface LatSums {
  /** Sum. */
  sum: number;
  /** Sum of squares. */
  sumSq: number;
  /** Smallest (0 if none). */
  min: number;
  /** Largest. */
  max: number;
}

/** One direction of one fio thread's I/Os, as fio counts them (at reap). */
export interface ThreadDirStats {
  /** Completed I/Os. */
  ios: number;
  /** Bytes. */
  bytes: number;
  /** Failed I/Os. */
  errors: number;
  /** Submission latency: prep to io_uring_enter's return. */
  slat: LatSums;
  /** Completion latency: submission to reap. */
  clat: LatSums;
  /** Total latency: prep to reap. */
  lat: LatSums;
  /** clat histogram: [bucket's lowest ns, count], non-empty buckets only. */
  clatHist: [number, number][];
}

/** One fio thread's results. */
export interface FioThreadResult {
  /** Reads. */
  read: ThreadDirStats;
  /** Writes. */
  write: ThreadDirStats;
  /** fio's io_u maps: IO depths (1,2,4,8,16,32,>=64), submit and complete (0,4,8,16,32,64,>=64), counts. */
  maps: number[];
  /** When the thread reaped its last I/O, ns from the window's start (null: it ran to the end). */
  endNs: number | null;
  /** When the thread started (startdelay, wait_for), ns from the window's start (0 without either). */
  startNs: number;
  /** fio's error for the thread (td->error: its first fatal I/O error's errno, or EIO when its rate_min was not met), 0 if none. */
  error: number;
  /** fio's total_err_count: errors counted under continue_on_error. */
  totalErr: number;
  /** fio's first_error (0 if none). */
  firstError: number;
  /** The fatal I/O errors, in order (the first 16; `fatalErrors` counts them all). */
  ioErrors: FioIoError[];
  /** Fatal I/O errors in all. */
  fatalErrors: number;
  /** When the thread began reading its writes back (verify), ns from the window's start; null: it did not. */
  verifyStartNs: number | null;
  /** Cumulative [I/Os, bytes, clat sum] per direction at each sample time. */
  samples: { tNs: number; dirs: [number, number, number][] }[];
}

/** One per-interval sample (t/io_uring prints one per second). */
export interface RunSample {
  /** End of the interval, simulated ns. */
  tNs: number;
  /** I/Os completed in the interval per second. */
  iops: number;
  /** Bytes per second in the interval. */
  bwBytesPerS: number;
  /** CPU busy fraction per core in the interval (0..1). */
  cpuUtil: number[];
  /** io_uring_enter calls per second. */
  callsPerS: number;
  /** CQEs reaped per io_uring_enter call (t/io_uring's second IOS/call figure). */
  iosPerCall: number;
  /** SQEs submitted per io_uring_enter call (t/io_uring's first IOS/call figure). */
  submittedPerCall: number;
}

/** Completion-latency statistics, ns. */
export interface LatencyStats {
  /** Minimum. */
  minNs: number;
  /** Maximum. */
  maxNs: number;
  /** Mean. */
  meanNs: number;
  /** Standard deviation. */
  stddevNs: number;
  /** Percentiles keyed like fio ("50.000000", "99.990000"). */
  percentiles: Record<string, number>;
  /**
   * fio's latency buckets: the percentage of I/Os in each, keyed by the
   * bucket's upper bound as fio prints them (`lat (usec): 250=12.5%` is
   * 100 µs ≤ latency < 250 µs); `ms[">=2000"]` holds the rest. Read from the
   * histogram, whose buckets are < 3.2% wide.
   */
  buckets: { ns: Record<string, number>; us: Record<string, number>; ms: Record<string, number> };
}

/** Results of a run. Every number comes out of the simulation. */
export interface RunResult {
  /** The job as resolved (defaults filled). */
  job:
    & Required<
      Omit<
        UringJob,
        | "onSample"
        | "onProgress"
        | "profile"
        | "iommu"
        | "runtimeNs"
        | "ios"
        | "trace"
        | "sampleNs"
        | "fioThreads"
        | "rampNs"
      >
    >
    & {
      profile: string;
      iommu: IommuMode;
      runtimeNs: number | null;
      ios: number | null;
    };
  /** I/Os measured (after warm-up). */
  ios: number;
  /** Errors among them. */
  errors: number;
  /** Simulated measurement window, ns. */
  simNs: number;
  /** I/Os per simulated second. */
  iops: number;
  /** Bytes per simulated second. */
  bwBytesPerS: number;
  /** Per-core CPU utilisation over the window (0..1); idle = 1 - util. */
  cpuUtil: number[];
  /** CPU ns per I/O, total over all cores. */
  cpuNsPerIo: number;
  /** CPU ns per I/O split by layer (app, io_uring, block, nvme, dma, iommu_wait, dmabuf, poll, irq). */
  cpuNsPerIoByLayer: Record<string, number>;
  /** Completion latency. */
  latency: LatencyStats;
  /** IOMMU counters over the window. */
  iommu: Record<string, number>;
  /**
   * Per device: commands fetched per second, busy fraction of its command
   * processor and of its link, time-weighted mean commands inside it (fetched,
   * CQE not yet posted) and their mean time there (fetch to CQE), ns.
   */
  devices: {
    name: string;
    iops: number;
    ctrlUtil: number;
    linkUtil: number;
    occupancyMean: number;
    latencyMeanNs: number;
  }[];
  /** Time-weighted mean I/Os in flight (submitted, not completed) over the window, all rings. */
  inflightMean: number;
  /** Per workload thread's ring: its time-weighted mean I/Os in flight. */
  rings: { inflightMean: number }[];
  /**
   * Per IOMMU unit behind the drives used: its invalidation queue's busy
   * fraction, commands and syncs (wait descriptors, CMD_SYNCs, COMPLETION_WAITs)
   * over the window, and how many invalidation commands a sync waited for on
   * average (1 when each CPU's invalidation is served alone; more when one
   * sync completes others' too).
   */
  invalQueues: { unit: number; busyFrac: number; commands: number; syncs: number; batchMean: number }[];
  /** dma-buf counters over the measurement window (maps created, invalidations, waits, remaps, -EAGAIN). */
  dmabuf: Record<string, number>;
  /** Data movement over the whole run: host-to-GPU copies (bounce), bytes through host memory, bytes over GPU 0's link. */
  memory: { gpuCopies: number; hostMemBytes: number; gpuLinkBytes: number };
  /**
   * blk-mq over the whole run: requests the driver refused for want of IOVA space or a PRP/SGL pool block
   * (BLK_STS_RESOURCE, each a requeue), queue runs after BLK_MQ_RESOURCE_DELAY that found them waiting, and
   * reruns by a freed request (SCHED_RESTART). All 0 unless a resource ran out (docs/lsfmm.md §2). `retries`:
   * commands nvme requeued after a media error without DNR (nvme_retry_req; 0 unless devices[].media_error_dnr
   * is false).
   */
  block: { requeues: number; resourceDelayRuns: number; restarts: number; retries: number };
  /** What the devices could reach that they should not, over the whole run (src/security.ts). */
  security: SecurityReport;
  /** io_uring_enter calls. */
  calls: number;
  /** Per-second samples. */
  samples: RunSample[];
  /** Wall-clock seconds the simulation took. */
  wallS: number;
  /** Simulated I/Os per wall-clock second (all I/Os, warm-up included). */
  simIosPerWallS: number;
  /** Simulated time / wall time. */
  realTimeRatio: number;
  /** Trace records when `job.trace` was set. */
  trace?: TraceRecord[];
  /**
   * Records not kept when `job.trace` was set: the model keeps the first
   * 131072 (asm/sim/trace.ts TRACE_MAX) and counts the rest, so a non-zero
   * value means the trace stops before the run does.
   */
  traceDropped?: number;
  /** Per-thread fio statistics when `job.fioThreads` was set. */
  fioThreads?: FioThreadResult[];
  /** The bad blocks fio jobs' verify found, in order (the first 64), and how many in all; absent when none. */
  fioVerifyFailures?: { failures: VerifyFailureRecord[]; total: number };
}

/** The runner's signature (src/workload.ts: `runUring`). */
export type RunUring = (job: UringJob) => RunResult;

/** One raw trace record from a traced run (`UringJob.trace`), turned into Chrome trace events by the CLI. */
export interface TraceRecord {
  /** What it is: a stage of one I/O, CPU work on a core, an IOTLB invalidation, or a counter sample. */
  kind: "io" | "cpu" | "inval" | "counter";
  /** Start, simulated ns. */
  tNs: number;
  /** Duration, ns (0 for counters). */
  durNs: number;
  /** io: device index; cpu: core; inval: IOMMU unit; counter: core or device. */
  track: number;
  /** io: stage ("submit" | "map" | "command" | "device" | "complete" | "unmap"); cpu: layer; counter: its name. */
  name: string;
  /** io: request sequence number (one async slice per I/O); counter: the value. */
  value: number;
}
export type { IommuMode } from "./profile.ts";
