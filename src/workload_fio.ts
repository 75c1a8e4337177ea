/**
 * fio jobs on the workload loop: each thread runs its own job (depth,
 * batches, read/write mix, block-size split, offset range, I/O count) and
 * keeps fio's own statistics, taken in user space as fio takes them — slat
 * from prep to io_uring_enter's return, clat from there to the reap, lat
 * both — per direction, with a clat histogram and fio's IO depth, submit and
 * complete distributions. `runUring` calls {@link applyThreadJobs} at set-up
 * and {@link readThreadResults} after the run.
 *
 * @module
 */
import { structArg, w } from "./wasm.ts";
import {
  JOB_ERRLOG,
  JOB_ERRLOG_MAX,
  JOB_ERRORS,
  JOB_LAT,
  JOB_MAP,
  JOB_SAMPLE,
  JOB_STAT,
  JOB_VERIFY,
  VERIFY_FAILURE,
  VERIFY_FAILURE_MAX,
  WL_OFFSETS_CONFIG,
  WL_PACE_CONFIG,
  WL_THREAD_CONFIG,
  WL_VERIFY_CONFIG,
} from "./abi.generated.ts";
import { ST } from "./workload/stat_index.ts";
import type {
  FioThreadJob,
  FioThreadOffsets,
  FioThreadPace,
  FioThreadResult,
  FioThreadVerify,
  LatSums,
  ThreadDirStats,
  VerifyFailureRecord,
} from "./workload_types.ts";

/** Block-size split entries per thread and direction (asm/wl_job.ts BSS_MAX). */
export const BSS_MAX = 64;
/** I/O tags per thread (asm/wl_job.ts TAGS_MAX): the deepest queue a thread can keep. */
export const TAGS_MAX = 4096;
const DIRS = [0, 1] as const;

/**
 * Check the per-thread jobs against the drive and return the largest block
 * size; `fail` throws the runner's job error naming the field.
 */
export function checkThreadJobs(
  jobs: FioThreadJob[],
  capacityBytes: number,
  lbaBytes: number,
  fail: (field: string, message: string) => never,
): number {
  let maxBs = 0;
  jobs.forEach((j, t) => {
    const f = (x: string) => `fioThreads[${t}].${x}`;
    if (!(j.depth >= 1 && j.depth <= TAGS_MAX)) fail(f("depth"), `expected 1..${TAGS_MAX}`);
    for (const d of DIRS) {
      const split = d === 0 ? j.bsRead : j.bsWrite;
      if (split.length < 1 || split.length > BSS_MAX) {
        fail(f("bs"), `expected 1..${BSS_MAX} block sizes`);
      }
      for (const [bs] of split) {
        if (!Number.isInteger(bs) || bs < 1 || bs % lbaBytes !== 0 || bs > j.rangeBytes) {
          fail(f("bs"), `${bs} must be a multiple of the ${lbaBytes}-byte LBA size and fit the range`);
        }
        maxBs = Math.max(maxBs, bs);
      }
    }
    if (j.offsetBytes < 0 || j.offsetBytes + j.rangeBytes > capacityBytes) {
      fail(f("offsetBytes"), `offset + size must be within the drive (${capacityBytes} bytes)`);
    }
  });
  return maxBs;
}

/**
 * Hand each thread its job (call after wl_setup, before wl_start); `seed`
 * seeds the poisson rate's and the offset distribution's draws.
 */
export function applyThreadJobs(jobs: FioThreadJob[], seed: number): void {
  jobs.forEach((j, t) => {
    w.wl_thread_job(
      t,
      structArg(WL_THREAD_CONFIG, {
        depth: j.depth,
        submitBatch: Math.min(Math.max(1, j.submitBatch), j.depth),
        completeBatch: Math.min(Math.max(1, j.completeBatch), j.depth),
        readPer10000: j.readPer10000,
        random: j.random,
        offsetBytes: j.offsetBytes,
        rangeBytes: j.rangeBytes,
        ios: j.ios,
      }),
      WL_THREAD_CONFIG.size,
    );
    for (const d of DIRS) {
      (d === 0 ? j.bsRead : j.bsWrite).forEach(([bs, cum], i) => w.wl_thread_bs(t, d, i, bs, cum));
    }
    if (j.depthLow !== undefined || j.completeMax !== undefined) {
      w.wl_thread_depths(t, j.depthLow ?? 0, j.completeMax ?? 0);
    }
    if (j.errors) {
      w.wl_thread_errors(t, j.errors.continueMask, j.errors.retryCapIos);
      j.errors.ignore.forEach((list, type) =>
        list?.forEach((e, i) => w.wl_thread_ignore_error(t, type, i, e))
      );
    }
    if (j.verify) applyThreadVerify(t, j, j.verify, seed);
    if (j.offsets) applyThreadOffsets(t, j.offsets, seed);
    if (j.pace) applyThreadPace(t, j.pace, seed);
  });
}

/** Thread `t`'s fio verify settings and pattern (`j`'s I/O count and error settings bound the writes it logs). */
function applyThreadVerify(t: number, j: FioThreadJob, v: FioThreadVerify, seed: number): void {
  w.wl_thread_verify(
    t,
    structArg(WL_VERIFY_CONFIG, {
      type: v.type,
      intervalBytes: v.intervalBytes,
      headerOffsetBytes: v.headerOffsetBytes,
      fatal: v.fatal,
      doVerify: v.doVerify,
      checkNumberio: v.checkNumberio,
      threadNumber: v.threadNumber,
      // Every write is logged: the I/O count bounds them, or the size limit when failed writes are made up.
      piecesMax: Math.max(j.ios, j.errors ? Math.min(j.errors.retryCapIos, 2 ** 32 - 1) : 0),
      mapBlocks: v.mapBlocks,
      buffers: v.buffers,
      backlog: v.backlog,
      backlogBatch: v.backlogBatch,
      seed,
    }),
    WL_VERIFY_CONFIG.size,
  );
  v.pattern.forEach((b, i) => w.wl_thread_verify_pattern(t, i, b));
  if (v.corrupt) w.wl_thread_verify_corrupt(t, v.corrupt[0], v.corrupt[1]);
}

/** Thread `t`'s offsets beyond plain sequential or uniform (rw=…:N, rw_sequencer, random_distribution). */
function applyThreadOffsets(t: number, o: FioThreadOffsets, seed: number): void {
  w.wl_thread_offsets(
    t,
    structArg(WL_OFFSETS_CONFIG, {
      seqAddBytes: o.seqAdd,
      seqNr: o.seqNr,
      identical: o.identical,
      dist: o.dist,
      distParam: o.param,
      center: o.center,
      nranges: o.nranges,
      seed,
    }),
    WL_OFFSETS_CONFIG.size,
  );
  o.zones?.forEach((z, d) => z.forEach(([prev, end], v) => w.wl_thread_zone(t, d, v, prev, end)));
}

/** Thread `t`'s pacing: startdelay, rate, thinktime, rate_min, exitall, wait_for and its deadline. */
function applyThreadPace(t: number, p: FioThreadPace, seed: number): void {
  w.wl_thread_pace(
    t,
    structArg(WL_PACE_CONFIG, {
      startDelayNs: p.startDelayNs,
      rateReadBps: p.rateBps[0],
      rateWriteBps: p.rateBps[1],
      poisson: p.poisson,
      quiesce: p.quiesce,
      thinkUs: p.thinkUs,
      thinkSpinUs: p.thinkSpinUs,
      thinkBlocks: p.thinkBlocks,
      thinkIssue: p.thinkIssue,
      rateMinReadBps: p.rateMinBps[0],
      rateMinWriteBps: p.rateMinBps[1],
      rateMinReadIops: p.rateIopsMin[0],
      rateMinWriteIops: p.rateIopsMin[1],
      exitall: p.exitall,
      exitGroup: p.exitGroup,
      seed,
      deadlineRelNs: p.deadlineRelNs,
      jobId: p.jobId,
      waitJob: p.waitJob,
    }),
    WL_PACE_CONFIG.size,
  );
}

function latSums(t: number, d: number, word: number): LatSums {
  return {
    sum: w.wl_job_stat(t, d, word + JOB_LAT.sum),
    sumSq: w.wl_job_stat(t, d, word + JOB_LAT.sumSq),
    min: w.wl_job_stat(t, d, word + JOB_LAT.min),
    max: w.wl_job_stat(t, d, word + JOB_LAT.max),
  };
}

function dirStats(t: number, d: number): ThreadDirStats {
  const buckets = w.stat_get(ST.histBuckets);
  const hist: [number, number][] = [];
  for (let i = 0; i < buckets; i++) {
    const n = w.wl_job_hist(t, d, i);
    if (n > 0) hist.push([Number(w.hist_lower(i)), n]);
  }
  return {
    ios: w.wl_job_stat(t, d, JOB_STAT.ios),
    bytes: w.wl_job_stat(t, d, JOB_STAT.bytes),
    errors: w.wl_job_stat(t, d, JOB_STAT.errors),
    clat: latSums(t, d, JOB_STAT.clat),
    slat: latSums(t, d, JOB_STAT.slat),
    lat: latSums(t, d, JOB_STAT.lat),
    clatHist: hist,
  };
}

/**
 * Each thread's statistics, its start and end times, error, maps and
 * samples (times relative to `t0Ns`); `jobs` are the threads' jobs.
 */
export function readThreadResults(
  jobs: FioThreadJob[],
  t0Ns: number,
  sampleTimes: number[],
): FioThreadResult[] {
  const threads = jobs.length;
  const out: FioThreadResult[] = [];
  for (let t = 0; t < threads; t++) {
    const samples = sampleTimes.map((tNs, i) => ({
      tNs: tNs - t0Ns,
      dirs: DIRS.map((d) =>
        [JOB_SAMPLE.ios, JOB_SAMPLE.bytes, JOB_SAMPLE.clatSum].map((k) => w.wl_job_sample(i, t, d, k)) as [
          number,
          number,
          number,
        ]
      ),
    }));
    const end = w.wl_job_end(t);
    const fatal = w.wl_job_errors(t, JOB_ERRORS.logged);
    const vstart = w.wl_job_verify(t, JOB_VERIFY.startNs);
    out.push({
      read: dirStats(t, 0),
      write: dirStats(t, 1),
      maps: Array.from({ length: JOB_MAP.words }, (_, i) => w.wl_job_map(t, i)),
      endNs: end > 0 ? end - t0Ns : null,
      startNs: Math.max(0, w.wl_job_start(t) - t0Ns),
      error: w.wl_job_error(t),
      totalErr: w.wl_job_errors(t, JOB_ERRORS.total),
      firstError: w.wl_job_errors(t, JOB_ERRORS.first),
      fatalErrors: fatal,
      verifyStartNs: vstart > 0 ? vstart - t0Ns : null,
      ioErrors: Array.from({ length: Math.min(fatal, JOB_ERRLOG_MAX) }, (_, i) => ({
        errno: w.wl_job_errlog(t, i, JOB_ERRLOG.errno),
        dir: w.wl_job_errlog(t, i, JOB_ERRLOG.dir),
        offset: w.wl_job_errlog(t, i, JOB_ERRLOG.offset),
        len: w.wl_job_errlog(t, i, JOB_ERRLOG.len),
      })),
      samples,
    });
  }
  return out;
}

/** Failures the verify checks of the last run logged: the first 64, and how many in all. */
export function readVerifyFailures(): { failures: VerifyFailureRecord[]; total: number } {
  const total = w.wl_verify_failures();
  const word = (i: number, k: number) =>
    (BigInt(w.wl_verify_failure(i, k, 1)) << 32n) | BigInt(w.wl_verify_failure(i, k, 0));
  const F = VERIFY_FAILURE;
  const failures = Array.from({ length: Math.min(total, VERIFY_FAILURE_MAX) }, (_, i) => {
    const n = Number(word(i, F.sumLen));
    const sum = (which: number) => Array.from({ length: n }, (_, b) => w.wl_verify_failure_sum(i, which, b));
    return {
      thread: Number(word(i, F.thread)),
      kind: Number(word(i, F.kind)),
      hdrNum: Number(word(i, F.hdrNum)),
      hdrLen: Number(word(i, F.hdrLen)),
      got: word(i, F.got),
      want: word(i, F.want),
      extra: Number(word(i, F.extra)),
      offset: Number(word(i, F.offset)),
      len: Number(word(i, F.len)),
      type: Number(word(i, F.type)),
      good: sum(0),
      bad: sum(1),
    };
  });
  return { failures, total };
}
