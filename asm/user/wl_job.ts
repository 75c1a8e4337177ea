// fio-style per-thread job state for the workload loop (workload.ts): each
// thread is one fio job with its own depth, batches, read/write mix, block
// sizes, offset range and I/O count, and keeps fio's own statistics — taken
// in user space as fio takes them (io_u start at prep, issue at submit,
// completion at reap): slat, clat and lat per direction, a clat histogram,
// and the IO depths / submit / complete distributions (fio's io_u_map).
//
// An I/O in flight is identified by a tag (its SQE user_data): a per-thread
// slot holding its prep time, issue time, length and direction.

import {
  JOB_LAT_MAX, JOB_LAT_MIN, JOB_LAT_SUM, JOB_LAT_SUM_SQ, JOB_MAP_BUCKETS, JOB_MAP_WORDS, JOB_SAMPLE_BYTES,
  JOB_SAMPLE_CLAT_SUM, JOB_SAMPLE_IOS, JOB_SAMPLE_WORDS, JOB_STAT_BYTES, JOB_STAT_CLAT, JOB_STAT_ERRORS, JOB_STAT_IOS,
  JOB_STAT_LAT, JOB_STAT_SLAT, JOB_STAT_WORDS, JOB_ERRLOG_DIR, JOB_ERRLOG_ERRNO, JOB_ERRLOG_MAX, JOB_ERRLOG_OFFSET,
  JOB_ERRORS_FIRST, JOB_ERRORS_TOTAL, JOB_VERIFY_LOGGED, JOB_VERIFY_READ_BACK,
  DIST_NORMAL, DIST_PARETO, DIST_RANDOM, DIST_ZIPF, DIST_ZONED,
} from "../sim/abi";
import { CORES_MAX } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import { hist_index, HIST_BUCKETS } from "../sim/stats";
import { fail, SIM_ERR_INVARIANT } from "../sim/errors";
import * as u from "../sim/uapi";

export const DIR_READ: i32 = 0;
export const DIR_WRITE: i32 = 1;
const THREADS_MAX: i32 = CORES_MAX;
/** Block-size split entries per thread and direction (fio's bssplit). */
export const BSS_MAX: i32 = 64;
/** Tags per thread: at most the ring's entries are in flight. */
const TAGS_MAX: u32 = 4096;
const TAG_BYTES: usize = 32; // prep ns, issue ns, len u32, dir u32, offset (for fio's io_u error line)

// Per thread: the job's parameters.
export const jt_depth = new StaticArray<u32>(THREADS_MAX);
export const jt_bsub = new StaticArray<u32>(THREADS_MAX);
export const jt_bcomp = new StaticArray<u32>(THREADS_MAX);
export const jt_mix = new StaticArray<u32>(THREADS_MAX); // reads per 10000 I/Os
export const jt_random = new StaticArray<bool>(THREADS_MAX);
export const jt_off = new StaticArray<u64>(THREADS_MAX); // start of the offset range, bytes
export const jt_range = new StaticArray<u64>(THREADS_MAX); // length of the offset range, bytes
export const jt_target = new StaticArray<u64>(THREADS_MAX); // I/Os to issue (0: until the run ends)
export const jt_issued = new StaticArray<u64>(THREADS_MAX);
export const jt_end_ns = new StaticArray<u64>(THREADS_MAX); // when the thread's last I/O was reaped
// Per (thread, direction): block-size split, cumulative shares per 10000.
const bss_n = new StaticArray<i32>(THREADS_MAX * 2);
const bss_bs = new StaticArray<u32>(THREADS_MAX * 2 * BSS_MAX);
const bss_cum = new StaticArray<u32>(THREADS_MAX * 2 * BSS_MAX);
const bss_min = new StaticArray<u32>(THREADS_MAX * 2);
export const jt_seq = new StaticArray<u64>(THREADS_MAX * 2); // sequential cursor per direction, bytes

// Tags, statistics and histograms are laid out by job_alloc for the threads in use.
let tags: usize = 0;
let free_stack: usize = 0; // u16 per tag
const free_n = new StaticArray<u32>(THREADS_MAX);
let nthreads: i32 = 0;
let stats: usize = 0; // STAT_WORDS f64 per (thread, dir)
let hists: usize = 0; // HIST_BUCKETS u64 per (thread, dir)
let depth_maps: usize = 0; // MAP_WORDS u64 per thread: IO depths, submit, complete
/** Statistic words per (thread, direction). */
// The words' indices are defined once in sim/abi.ts (JOB_STAT_*, JOB_MAP_*,
// JOB_SAMPLE_*), which TypeScript reads them by; these are their local names.
export const STAT_WORDS: i32 = JOB_STAT_WORDS;
export const ST_IOS: i32 = JOB_STAT_IOS;
export const ST_BYTES: i32 = JOB_STAT_BYTES;
export const ST_ERRORS: i32 = JOB_STAT_ERRORS;
export const ST_CLAT: i32 = JOB_STAT_CLAT; // sum, sum of squares, min, max (JOB_LAT_*)
export const ST_SLAT: i32 = JOB_STAT_SLAT;
export const ST_LAT: i32 = JOB_STAT_LAT;
/** Buckets of each io_u_map (fio: 1, 2, 4, 8, 16, 32, >=64 for depths; 0, 4, 8, 16, 32, 64, >=64 for batches). */
export const MAP_BUCKETS: i32 = JOB_MAP_BUCKETS;
const MAP_WORDS: i32 = JOB_MAP_WORDS;
/** Job-sample words per (thread, direction): I/Os, bytes, clat sum. */
export const JS_WORDS: i32 = JOB_SAMPLE_WORDS;

/**
 * Whether fio's per-thread statistics are kept (slat, clat and lat sums, the
 * clat histogram, the io_u maps, per-sample sums): only a run with fio jobs
 * (job_set from wl_thread_job) reports them, so a t/io_uring run skips this
 * per-I/O work. Cleared by job_stats_set(false) at each workload set-up.
 */
export let job_stats: bool = false;

/** Keep fio's per-thread statistics (a run with fio jobs) or not. */
export function job_stats_set(on: bool): void {
  job_stats = on;
}

/** Set thread `t`'s job: depth, batches, read share, offsets and how many I/Os it issues. */
export function job_set(
  t: i32, depth: u32, sbatch: u32, cbatch: u32, mix: u32, rnd: bool, off: u64, range: u64, target: u64,
): void {
  unchecked((jt_depth[t] = depth));
  unchecked((jt_bsub[t] = sbatch));
  unchecked((jt_bcomp[t] = cbatch));
  unchecked((jt_mix[t] = mix));
  unchecked((jt_random[t] = rnd));
  unchecked((jt_off[t] = off));
  unchecked((jt_range[t] = range));
  unchecked((jt_target[t] = target));
}

/** Entry `i` of thread `t`'s block-size split for `dir`: `bs` bytes up to cumulative share `cum` / 10000. */
export function job_set_bs(t: i32, dir: i32, i: i32, bs: u32, cum: u32): void {
  if (i < 0 || i >= BSS_MAX) fail(SIM_ERR_INVARIANT, <i64>i);
  const k = t * 2 + dir;
  unchecked((bss_bs[k * BSS_MAX + i] = bs));
  unchecked((bss_cum[k * BSS_MAX + i] = cum));
  unchecked((bss_n[k] = i + 1));
  if (i == 0 || bs < unchecked(bss_min[k])) unchecked((bss_min[k] = bs));
}

/** Reset thread `t`'s progress (a new run). */
export function job_reset(t: i32): void {
  unchecked((jt_issued[t] = 0));
  unchecked((jt_end_ns[t] = 0));
  unchecked((jt_seq[t * 2] = 0));
  unchecked((jt_seq[t * 2 + 1] = 0));
}

/** How many block sizes `dir` has (1: no draw needed). */
// @ts-ignore: decorator
@inline export function bs_count(t: i32, dir: i32): i32 {
  return unchecked(bss_n[t * 2 + dir]);
}
/** Block size of entry `i`. */
// @ts-ignore: decorator
@inline export function bs_entry(t: i32, dir: i32, i: i32): u32 {
  return unchecked(bss_bs[(t * 2 + dir) * BSS_MAX + i]);
}
/** Cumulative share of entry `i`, per 10000. */
// @ts-ignore: decorator
@inline export function bs_cum(t: i32, dir: i32, i: i32): u32 {
  return unchecked(bss_cum[(t * 2 + dir) * BSS_MAX + i]);
}
/** Smallest block size of `dir`: random offsets are aligned to it (fio's blockalign default). */
// @ts-ignore: decorator
@inline export function bs_min(t: i32, dir: i32): u32 {
  return unchecked(bss_min[t * 2 + dir]);
}

/** Lay out tags, statistics and histograms for `threads` threads (once per run, after set-up). */
export function job_alloc(threads: i32): void {
  nthreads = threads;
  tags = mem_alloc(<usize>threads * TAGS_MAX * TAG_BYTES, 8, false);
  free_stack = mem_alloc(<usize>threads * TAGS_MAX * 2, 8, false);
  for (let t = 0; t < threads; t++) {
    for (let i: u32 = 0; i < TAGS_MAX; i++) {
      store<u16>(free_stack + (<usize>t * TAGS_MAX + i) * 2, <u16>(TAGS_MAX - 1 - i));
    }
    unchecked((free_n[t] = TAGS_MAX));
  }
  stats = mem_alloc(<usize>threads * 2 * STAT_WORDS * 8, 8, true);
  hists = mem_alloc(<usize>threads * 2 * HIST_BUCKETS * 8, 8, true);
  depth_maps = mem_alloc(<usize>threads * MAP_WORDS * 8, 8, true);
  verify_alloc(threads);
  for (let k = 0; k < threads * 2; k++) {
    store<f64>(stats + (<usize>k * STAT_WORDS + ST_CLAT + 2) * 8, f64.MAX_VALUE);
    store<f64>(stats + (<usize>k * STAT_WORDS + ST_SLAT + 2) * 8, f64.MAX_VALUE);
    store<f64>(stats + (<usize>k * STAT_WORDS + ST_LAT + 2) * 8, f64.MAX_VALUE);
  }
}

/** Take a tag for an I/O of `len` bytes at `off` in `dir` that thread `t` prepares now. */
export function tag_get(t: i32, prep_ns: u64, len: u32, dir: i32, off: u64): u32 {
  const n = unchecked(free_n[t]);
  if (n == 0) fail(SIM_ERR_INVARIANT, <i64>t);
  const tag = <u32>load<u16>(free_stack + (<usize>t * TAGS_MAX + n - 1) * 2);
  unchecked((free_n[t] = n - 1));
  const p = tags + (<usize>t * TAGS_MAX + tag) * TAG_BYTES;
  store<u64>(p, prep_ns);
  store<u32>(p + 16, len);
  store<u32>(p + 20, <u32>dir);
  if (job_stats) {
    // The issue time (tag_issue sets it at submission) and the offset (for
    // the io_u error line) are read only for fio jobs' statistics (tag_put,
    // job_io_error): other runs skip the two stores.
    store<u64>(p + 8, prep_ns);
    store<u64>(p + 24, off);
  }
  return tag;
}

/** The device offset of the I/O behind `tag`. */
// @ts-ignore: decorator
@inline export function tag_off(t: i32, tag: u32): u64 {
  return load<u64>(tags + (<usize>t * TAGS_MAX + tag) * TAG_BYTES + 24);
}

/** Record when the I/O behind `tag` was submitted (io_uring_enter returned). */
// @ts-ignore: decorator
@inline export function tag_issue(t: i32, tag: u32, ns: u64): void {
  store<u64>(tags + (<usize>t * TAGS_MAX + tag) * TAG_BYTES + 8, ns);
}
// @ts-ignore: decorator
@inline export function tag_prep_ns(t: i32, tag: u32): u64 {
  return load<u64>(tags + (<usize>t * TAGS_MAX + tag) * TAG_BYTES);
}
// @ts-ignore: decorator
@inline export function tag_len(t: i32, tag: u32): u32 {
  return load<u32>(tags + (<usize>t * TAGS_MAX + tag) * TAG_BYTES + 16);
}

/** The direction (DIR_READ, DIR_WRITE) of the I/O behind `tag`. */
// @ts-ignore: decorator
@inline export function tag_dir(t: i32, tag: u32): i32 {
  return <i32>load<u32>(tags + (<usize>t * TAGS_MAX + tag) * TAG_BYTES + 20);
}

/**
 * Return a tag; when `count` is set, account the I/O as completed at `done_ns`
 * with result `res`. Inlined into the reap: without fio job statistics (a
 * t/io_uring run) it is a push on the free stack.
 */
// @ts-ignore: decorator
@inline export function tag_put(t: i32, tag: u32, done_ns: u64, res: i32, count: bool): void {
  if (count && job_stats) tag_account(t, tag, done_ns, res);
  const n = unchecked(free_n[t]);
  store<u16>(free_stack + (<usize>t * TAGS_MAX + n) * 2, <u16>tag);
  unchecked((free_n[t] = n + 1));
}

/** fio's per-direction statistics of the I/O behind `tag`, completed at `done_ns` with `res`. */
function tag_account(t: i32, tag: u32, done_ns: u64, res: i32): void {
  const p = tags + (<usize>t * TAGS_MAX + tag) * TAG_BYTES;
  const dir = <i32>load<u32>(p + 20);
  const s = stats + (<usize>(t * 2 + dir) * STAT_WORDS) * 8;
  if (res < 0) {
    store<f64>(s + ST_ERRORS * 8, load<f64>(s + ST_ERRORS * 8) + 1);
    return;
  }
  const prep = load<u64>(p);
  const issue = load<u64>(p + 8);
  store<f64>(s + ST_IOS * 8, load<f64>(s + ST_IOS * 8) + 1);
  store<f64>(s + ST_BYTES * 8, load<f64>(s + ST_BYTES * 8) + <f64>res);
  const clat = done_ns > issue ? done_ns - issue : 0;
  add_lat(s, ST_CLAT, <f64>clat);
  add_lat(s, ST_SLAT, <f64>(issue - prep));
  add_lat(s, ST_LAT, <f64>(done_ns - prep));
  const i = hist_index(clat);
  const h = hists + (<usize>(t * 2 + dir) * HIST_BUCKETS + (i < HIST_BUCKETS ? i : HIST_BUCKETS - 1)) * 8;
  store<u64>(h, load<u64>(h) + 1);
}

function add_lat(s: usize, w: i32, v: f64): void {
  const q = s + <usize>w * 8;
  const sum = q + JOB_LAT_SUM * 8, sum_sq = q + JOB_LAT_SUM_SQ * 8;
  const min = q + JOB_LAT_MIN * 8, max = q + JOB_LAT_MAX * 8;
  store<f64>(sum, load<f64>(sum) + v);
  store<f64>(sum_sq, load<f64>(sum_sq) + v * v);
  if (v < load<f64>(min)) store<f64>(min, v);
  if (v > load<f64>(max)) store<f64>(max, v);
}

/** fio's io_u_map bucket of a depth (1, 2, 4, 8, 16, 32, >=64) or a batch (0, 4, 8, 16, 32, 64, >=64). */
function map_bucket(v: u32, batch: bool): i32 {
  if (batch) {
    if (v == 0) return 0;
    if (v <= 4) return 1;
    if (v <= 8) return 2;
    if (v <= 16) return 3;
    if (v <= 32) return 4;
    if (v <= 64) return 5;
    return 6;
  }
  if (v <= 1) return 0;
  if (v <= 3) return 1;
  if (v <= 7) return 2;
  if (v <= 15) return 3;
  if (v <= 31) return 4;
  if (v <= 63) return 5;
  return 6;
}

/** Count one submission of `n` I/Os at in-flight depth `depth` (fio's io_u_submit and io_u_map). */
export function map_submit(t: i32, n: u32, depth: u32): void {
  const base = depth_maps + <usize>t * MAP_WORDS * 8;
  const d = base + <usize>map_bucket(depth, false) * 8;
  store<u64>(d, load<u64>(d) + <u64>n);
  const s = base + <usize>(MAP_BUCKETS + map_bucket(n, true)) * 8;
  store<u64>(s, load<u64>(s) + 1);
}

/** Count one reap of `n` completions (fio's io_u_complete). */
export function map_complete(t: i32, n: u32): void {
  const c = depth_maps + <usize>(t * MAP_WORDS + 2 * MAP_BUCKETS + map_bucket(n, true)) * 8;
  store<u64>(c, load<u64>(c) + 1);
}

/** Write the job-sample words of every (thread, dir) at `p`: I/Os, bytes, clat sum. */
export function job_sample(p: usize): void {
  for (let k = 0; k < nthreads * 2; k++) {
    const s = stats + <usize>k * STAT_WORDS * 8;
    const q = p + <usize>k * JS_WORDS * 8;
    store<f64>(q + JOB_SAMPLE_IOS * 8, load<f64>(s + ST_IOS * 8));
    store<f64>(q + JOB_SAMPLE_BYTES * 8, load<f64>(s + ST_BYTES * 8));
    store<f64>(q + JOB_SAMPLE_CLAT_SUM * 8, load<f64>(s + (ST_CLAT + JOB_LAT_SUM) * 8));
  }
}

/** Statistic word `w` of (thread `t`, `dir`); min words read 0 when nothing was recorded. */
export function wl_job_stat(t: i32, dir: i32, w: i32): f64 {
  const v = load<f64>(stats + (<usize>(t * 2 + dir) * STAT_WORDS + w) * 8);
  return v == f64.MAX_VALUE ? 0 : v;
}
/** Bucket `i` of (thread `t`, `dir`)'s clat histogram (stats.ts's buckets). */
export function wl_job_hist(t: i32, dir: i32, i: u32): f64 {
  return <f64>load<u64>(hists + (<usize>(t * 2 + dir) * HIST_BUCKETS + i) * 8);
}
/** Word `i` of thread `t`'s io_u maps: IO depths 0..6, submit 7..13, complete 14..20. */
export function wl_job_map(t: i32, i: i32): f64 {
  return <f64>load<u64>(depth_maps + <usize>(t * MAP_WORDS + i) * 8);
}
/** When thread `t` reaped its last I/O (0 if it ran to the end of the run). */
export function wl_job_end(t: i32): f64 {
  return <f64>unchecked(jt_end_ns[t]);
}

// Pacing: fio's rate / rate_iops / rate_process, thinktime*, startdelay,
// rate_min / rate_iops_min and exitall, per thread. A thread with none of
// them keeps jt_paced false and the loop takes none of these branches.
export const jt_paced = new StaticArray<bool>(THREADS_MAX);
/** When the thread starts (startdelay), ns; fio's td->epoch, which rate times are relative to. */
export const jt_start_ns = new StaticArray<u64>(THREADS_MAX);
/** Per (thread, dir): rate in bytes/s (fio's rate_bps; 0: none), the smallest block size for poisson's IOPS. */
export const jt_rate_bps = new StaticArray<u64>(THREADS_MAX * 2);
/** rate_process=poisson. */
export const jt_poisson = new StaticArray<bool>(THREADS_MAX);
/** io_submit_mode=inline: the thread waits for its I/Os before sleeping for the rate (io_u_quiesce). */
export const jt_quiesce_rate = new StaticArray<bool>(THREADS_MAX);
/** Per (thread, dir): fio's rate_io_issue_bytes, last_usec (poisson) and rate_next_io_time (us since start). */
export const jt_rate_bytes = new StaticArray<u64>(THREADS_MAX * 2);
export const jt_last_us = new StaticArray<u64>(THREADS_MAX * 2);
export const jt_next_us = new StaticArray<u64>(THREADS_MAX * 2);
/** The poisson process's own generator state (fio's poisson_state), so offsets stay as without it. */
export const jt_prng = new StaticArray<u64>(THREADS_MAX);
/** A direction drawn but held back by the rate, kept for when the thread may issue (-1: none). */
export const jt_pending_dir = new StaticArray<i32>(THREADS_MAX);
/** thinktime (us), thinktime_spin (us), thinktime_blocks, thinktime_blocks_type=issue, last_thinktime_blocks. */
export const jt_think_us = new StaticArray<u64>(THREADS_MAX);
export const jt_think_spin_us = new StaticArray<u64>(THREADS_MAX);
export const jt_think_blocks = new StaticArray<u64>(THREADS_MAX);
export const jt_think_issue = new StaticArray<bool>(THREADS_MAX);
export const jt_think_last = new StaticArray<u64>(THREADS_MAX);
/** Per (thread, dir): rate_min (bytes/s) and rate_iops_min, and the last check's bytes, blocks and time. */
export const jt_ratemin_bps = new StaticArray<u64>(THREADS_MAX * 2);
export const jt_ratemin_iops = new StaticArray<u64>(THREADS_MAX * 2);
export const jt_rc_bytes = new StaticArray<u64>(THREADS_MAX * 2);
export const jt_rc_blocks = new StaticArray<u64>(THREADS_MAX * 2);
export const jt_rc_ns = new StaticArray<u64>(THREADS_MAX * 2);
/** The thread stops issuing (terminated by exitall, or its rate_min was not met) and ends when drained. */
export const jt_stop = new StaticArray<bool>(THREADS_MAX);
/** fio's error for the thread (5: EIO from check_min_rate), 0 if none. */
export const jt_error = new StaticArray<i32>(THREADS_MAX);
/** exitall: 0 none, 1 group (threads of the same exit group), 2 stonewall / all (every thread of the run). */
export const jt_exitall = new StaticArray<i32>(THREADS_MAX);
export const jt_exit_group = new StaticArray<i32>(THREADS_MAX);
/** When the thread stops issuing (its start + ramp + runtime), ns; 0: the run's runtime. */
export const jt_deadline_ns = new StaticArray<u64>(THREADS_MAX);
/** The deadline relative to the thread's start (0: none), for threads that start when another job ends. */
export const jt_deadline_rel = new StaticArray<u64>(THREADS_MAX);
/** fio's job of each thread (numjobs clones share it), and the job it waits for (wait_for; -1: none). */
export const jt_job_id = new StaticArray<i32>(THREADS_MAX);
export const jt_wait_job = new StaticArray<i32>(THREADS_MAX);
/** iodepth_low (the thread reaps down to it once its queue is full; 0: iodepth) and iodepth_batch_complete_max (0: all ready). */
export const jt_depth_low = new StaticArray<u32>(THREADS_MAX);
export const jt_bcmax = new StaticArray<u32>(THREADS_MAX);

/** Set thread `t`'s pacing (all zero: none). Times in us as fio keeps them; startdelay in ns. */
export function job_set_pace(
  t: i32, start_ns: u64, rate_r: u64, rate_w: u64, poisson: bool, quiesce: bool,
  think_us: u64, think_spin_us: u64, think_blocks: u64, think_issue: bool,
  min_r: u64, min_w: u64, min_iops_r: u64, min_iops_w: u64, exitall: i32, exit_group: i32, seed: u64,
  deadline_rel: u64, job_id: i32, wait_job: i32,
): void {
  unchecked((jt_deadline_rel[t] = deadline_rel));
  unchecked((jt_deadline_ns[t] = deadline_rel > 0 ? start_ns + deadline_rel : 0));
  unchecked((jt_job_id[t] = job_id));
  unchecked((jt_wait_job[t] = wait_job));
  unchecked((jt_start_ns[t] = start_ns));
  unchecked((jt_rate_bps[t * 2] = rate_r));
  unchecked((jt_rate_bps[t * 2 + 1] = rate_w));
  unchecked((jt_poisson[t] = poisson));
  unchecked((jt_quiesce_rate[t] = quiesce));
  unchecked((jt_think_us[t] = think_us));
  unchecked((jt_think_spin_us[t] = think_spin_us));
  unchecked((jt_think_blocks[t] = think_blocks < 1 ? 1 : think_blocks));
  unchecked((jt_think_issue[t] = think_issue));
  unchecked((jt_ratemin_bps[t * 2] = min_r));
  unchecked((jt_ratemin_bps[t * 2 + 1] = min_w));
  unchecked((jt_ratemin_iops[t * 2] = min_iops_r));
  unchecked((jt_ratemin_iops[t * 2 + 1] = min_iops_w));
  unchecked((jt_exitall[t] = exitall));
  unchecked((jt_exit_group[t] = exit_group));
  unchecked((jt_prng[t] = (seed + 7) * 0x9E3779B97F4A7C15 ^ (<u64>t * 0xD1B54A32D192ED03 + 3)));
  unchecked((jt_paced[t] = rate_r > 0 || rate_w > 0 || think_us > 0 || min_r > 0 || min_w > 0 ||
    min_iops_r > 0 || min_iops_w > 0 || deadline_rel > 0 || wait_job >= 0));
}

/** Clear thread `t`'s pacing state (a new run; job_set_pace sets it again). */
export function job_reset_pace(t: i32): void {
  unchecked((jt_paced[t] = false));
  unchecked((jt_offmode[t] = false));
  unchecked((jt_start_ns[t] = 0));
  unchecked((jt_pending_dir[t] = -1));
  unchecked((jt_think_last[t] = 0));
  unchecked((jt_think_us[t] = 0));
  unchecked((jt_stop[t] = false));
  unchecked((jt_error[t] = 0));
  unchecked((jt_exitall[t] = 0));
  unchecked((jt_exit_group[t] = 0));
  unchecked((jt_deadline_ns[t] = 0));
  unchecked((jt_deadline_rel[t] = 0));
  unchecked((jt_job_id[t] = 0));
  unchecked((jt_wait_job[t] = -1));
  unchecked((jt_depth_low[t] = 0));
  unchecked((jt_bcmax[t] = 0));
  for (let d = 0; d < 2; d++) {
    const k = t * 2 + d;
    unchecked((jt_rate_bps[k] = 0));
    unchecked((jt_rate_bytes[k] = 0));
    unchecked((jt_last_us[k] = 0));
    unchecked((jt_next_us[k] = 0));
    unchecked((jt_ratemin_bps[k] = 0));
    unchecked((jt_ratemin_iops[k] = 0));
    unchecked((jt_rc_bytes[k] = 0));
    unchecked((jt_rc_blocks[k] = 0));
    unchecked((jt_rc_ns[k] = 0));
  }
}

/**
 * fio's usec_for_io (backend.c): after an I/O of `len` bytes is issued in
 * `dir`, the time (us since the thread's start) before which the next one
 * may not be: linear, issued bytes over the rate; poisson, the last time
 * plus an exponential gap with the rate's mean, `(1e6 / iops) * -ln(U)`.
 */
export function pace_issued(t: i32, dir: i32, len: u32, minbs: u32): void {
  const k = t * 2 + dir;
  const bps = unchecked(jt_rate_bps[k]);
  unchecked((jt_rate_bytes[k] += <u64>len));
  if (bps == 0) return;
  if (unchecked(jt_poisson[t])) {
    let iops = bps / <u64>minbs;
    if (iops == 0) iops = 1;
    let x = unchecked(jt_prng[t]);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    unchecked((jt_prng[t] = x));
    // U in (0, 1]: fio's __rand_0_1 can return 0, whose log would stall the job forever.
    const u01 = (<f64>((x * 0x2545F4914F6CDD1D) >> 11) + 1.0) / 9007199254740992.0;
    const val = <u64>(<f64>(<u64>1000000 / iops) * -Math.log(u01));
    unchecked((jt_last_us[k] += val));
    unchecked((jt_next_us[k] = unchecked(jt_last_us[k])));
  } else {
    const bytes = unchecked(jt_rate_bytes[k]);
    unchecked((jt_next_us[k] = (bytes % bps) * 1000000 / bps + (bytes / bps) * 1000000));
  }
}

/** Statistic word `w` of (thread `t`, `dir`) (measured I/Os and bytes, for rate_min). */
export function job_stat_word(t: i32, dir: i32, w: i32): f64 {
  return load<f64>(stats + (<usize>(t * 2 + dir) * STAT_WORDS + w) * 8);
}
/** When thread `t` started, ns (startdelay, or when the job it waited for ended). */
export function wl_job_start(t: i32): f64 {
  return <f64>unchecked(jt_start_ns[t]);
}
/** fio's error for thread `t` (0: none). */
export function wl_job_error(t: i32): i32 {
  return unchecked(jt_error[t]);
}

// Offsets beyond plain sequential and uniform random: fio's rw=…:N
// (ddir_seq_nr for random jobs, ddir_seq_add for sequential ones) with
// rw_sequencer, and random_distribution (zipf, pareto, normal, zoned). A
// thread with none of them keeps jt_offmode false and the loop's own
// offset code runs as before.
export const jt_offmode = new StaticArray<bool>(THREADS_MAX);
const jt_seq_add = new StaticArray<i64>(THREADS_MAX); // bytes added to the next sequential offset
const jt_seq_nr = new StaticArray<u32>(THREADS_MAX); // a new random offset every N I/Os (1: every I/O)
const jt_seq_left = new StaticArray<u32>(THREADS_MAX); // fio's td->ddir_seq_nr countdown
const jt_seq_ident = new StaticArray<bool>(THREADS_MAX); // rw_sequencer=identical
const jt_last_start = new StaticArray<u64>(THREADS_MAX * 2); // fio's f->last_start per direction
const jt_dist = new StaticArray<i32>(THREADS_MAX); // DIST_*
const jt_dist_n = new StaticArray<u64>(THREADS_MAX); // nranges: blocks of the smallest block size
const jt_dist_f = new StaticArray<f64>(THREADS_MAX); // zipf theta, pareto's power
const jt_zetan = new StaticArray<f64>(THREADS_MAX);
const jt_zeta2 = new StaticArray<f64>(THREADS_MAX);
const jt_gauss_dev = new StaticArray<u64>(THREADS_MAX); // normal: stddev in blocks
const jt_rand_off = new StaticArray<u64>(THREADS_MAX);
const jt_drng = new StaticArray<u64>(THREADS_MAX); // the distribution's own generator (fio's zipf/gauss state)
const jt_gauss_center = new StaticArray<bool>(THREADS_MAX);
// zoned: for each v in 1..100 (per thread and direction) the zone's start and end, percent of the range.
const zone_prev = new StaticArray<u8>(THREADS_MAX * 2 * 100);
const zone_end = new StaticArray<u8>(THREADS_MAX * 2 * 100);
/** zipf_update caps the zeta sum at this many terms (lib/zipf.c ZIPF_MAX_GEN). */
const ZIPF_MAX_GEN: u64 = 10_000_000;
/** hash.h GOLDEN_RATIO_64, fio's __hash_u64 multiplier that scatters the hot blocks over the range. */
const GOLDEN_RATIO_64: u64 = 0x61C8864680B583EB;
const FRAND32_MAX: f64 = 4294967295.0;
// The last zipf set-up, reused by threads with the same one (the sum takes up to 10M terms).
let zipf_last_n: u64 = 0;
let zipf_last_theta: f64 = 0;
let zipf_last_zetan: f64 = 0;

/** The distribution generator's next 32-bit value (fio's __rand of a 32-bit tausworthe). */
function drand(t: i32): u32 {
  let x = unchecked(jt_drng[t]);
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  unchecked((jt_drng[t] = x));
  return <u32>((x * 0x2545F4914F6CDD1D) >> 32);
}

/**
 * Thread `t`'s offset options: `seq_add` bytes (rw=read:N), a new random
 * offset every `seq_nr` I/Os (rw=randread:N) with `ident` (rw_sequencer=
 * identical), and a distribution `dist` with its parameter (zipf theta,
 * pareto h, normal's deviation in percent) and `center` (0..1, -1: none)
 * over `nranges` blocks; `seed` seeds its generator.
 */
export function job_set_offsets(
  t: i32, seq_add: i64, seq_nr: u32, ident: bool, dist: i32, param: f64, center: f64, nranges: u64, seed: u64,
): void {
  unchecked((jt_seq_add[t] = seq_add));
  unchecked((jt_seq_nr[t] = seq_nr < 1 ? 1 : seq_nr));
  unchecked((jt_seq_left[t] = seq_nr < 1 ? 1 : seq_nr));
  unchecked((jt_seq_ident[t] = ident));
  unchecked((jt_last_start[t * 2] = u64.MAX_VALUE));
  unchecked((jt_last_start[t * 2 + 1] = u64.MAX_VALUE));
  unchecked((jt_dist[t] = dist));
  unchecked((jt_dist_n[t] = nranges < 1 ? 1 : nranges));
  unchecked((jt_drng[t] = (seed + 11) * 0x9E3779B97F4A7C15 ^ (<u64>t * 0x94D049BB133111EB + 5)));
  // shared_rand_init: the hot set starts at a random block, or at the center asked for.
  const n = unchecked(jt_dist_n[t]);
  unchecked((jt_rand_off[t] = <u64>drand(t)));
  if (center >= 0) unchecked((jt_rand_off[t] = <u64>(<f64>n * center)));
  if (dist == DIST_ZIPF) {
    unchecked((jt_dist_f[t] = param));
    unchecked((jt_zeta2[t] = Math.pow(1.0, param) + Math.pow(0.5, param)));
    if (n != zipf_last_n || param != zipf_last_theta) {
      const to_gen = n < ZIPF_MAX_GEN ? n : ZIPF_MAX_GEN;
      let zetan: f64 = 0;
      for (let i: u64 = 0; i < to_gen; i++) zetan += Math.pow(1.0 / <f64>(i + 1), param);
      zipf_last_n = n;
      zipf_last_theta = param;
      zipf_last_zetan = zetan;
    }
    unchecked((jt_zetan[t] = zipf_last_zetan));
  } else if (dist == DIST_PARETO) {
    unchecked((jt_dist_f[t] = Math.log(param) / Math.log(1.0 - param)));
  } else if (dist == DIST_NORMAL) {
    // gauss_init: the deviation in blocks, at most half the range; centered at `center` if given.
    let dev: u64 = param != 0 ? <u64>Math.ceil(<f64>n * param / 100.0) : 0;
    if (dev > n / 2) dev = n / 2;
    unchecked((jt_gauss_dev[t] = dev));
    unchecked((jt_gauss_center[t] = center >= 0));
    unchecked((jt_rand_off[t] = center >= 0 ? <u64>(<i64>(<f64>n * (center - 0.5))) : 0));
  }
  unchecked((jt_offmode[t] = seq_add != 0 || seq_nr > 1 || dist != DIST_RANDOM));
}

/** Zoned distribution of thread `t`, `dir`: for v = 1..100 (index v - 1), the zone from `prev` to `end` percent. */
export function job_set_zone(t: i32, dir: i32, v: i32, prev: u8, end: u8): void {
  unchecked((zone_prev[(t * 2 + dir) * 100 + v] = prev));
  unchecked((zone_end[(t * 2 + dir) * 100 + v] = end));
}

/** A uniform block in [0, n) from the distribution's generator (n ≥ 1). */
// @ts-ignore: decorator
@inline function uniform_block(t: i32, n: u64): u64 {
  return ((<u64>drand(t) << 32) | <u64>drand(t)) % n;
}

/** The next random block of thread `t` (lib/zipf.c zipf_next / pareto_next, lib/gauss.c gauss_next, zoned). */
function dist_block(t: i32, dir: i32, lastb: u64): u64 {
  const n = unchecked(jt_dist_n[t]);
  const d = unchecked(jt_dist[t]);
  if (d == DIST_ZIPF) {
    const theta = unchecked(jt_dist_f[t]);
    const zetan = unchecked(jt_zetan[t]);
    const alpha = 1.0 / (1.0 - theta);
    const eta = (1.0 - Math.pow(2.0 / <f64>n, 1.0 - theta)) / (1.0 - unchecked(jt_zeta2[t]) / zetan);
    const rand_uni = <f64>drand(t) / FRAND32_MAX;
    const rand_z = rand_uni * zetan;
    let val: u64;
    if (rand_z < 1.0) val = 1;
    else if (rand_z < 1.0 + Math.pow(0.5, theta)) val = 2;
    else val = 1 + <u64>(<f64>n * Math.pow(eta * rand_uni - eta + 1.0, alpha));
    val--;
    return (val * GOLDEN_RATIO_64 + unchecked(jt_rand_off[t])) % n;
  }
  if (d == DIST_PARETO) {
    const r = <f64>drand(t) / FRAND32_MAX;
    const v = <u64>(<f64>(n - 1) * Math.pow(r, unchecked(jt_dist_f[t])));
    return (v * GOLDEN_RATIO_64 + unchecked(jt_rand_off[t])) % n;
  }
  if (d == DIST_NORMAL) {
    // GAUSS_ITERS = 12 uniform draws averaged, then a deviation.
    let sum: u64 = 0;
    for (let i = 0; i < 12; i++) sum += <u64>drand(t) % (n + 1);
    sum = (sum + 11) / 12;
    const sd = unchecked(jt_gauss_dev[t]);
    if (sd > 0) {
      const r = drand(t);
      let dev = <i64>(<f64>sd * (<f64>r / (FRAND32_MAX + 1.0))) - <i64>(sd / 2);
      while (<i64>sum + dev >= <i64>n) dev /= 2;
      sum = <u64>(<i64>sum + dev);
    }
    return (sum * GOLDEN_RATIO_64 + unchecked(jt_rand_off[t])) % n;
  }
  if (d == DIST_ZONED) {
    // __get_next_rand_offset_zoned: v in 1..100 picks a zone, then a uniform block within it.
    const v = <i32>(uniform_block(t, 100));
    const k = (t * 2 + dir) * 100 + v;
    const prev = <u64>unchecked(zone_prev[k]);
    const end = <u64>unchecked(zone_end[k]);
    const start = prev * lastb / 100;
    const span = lastb * (end - prev) / 100;
    return start + uniform_block(t, span < 1 ? 1 : span);
  }
  return uniform_block(t, lastb);
}

/**
 * The offset (from the range's start) of thread `t`'s next I/O of `len`
 * bytes in `dir` when jt_offmode is set (io_u.c get_next_offset): every
 * seq_nr-th I/O of a random job draws a block from the distribution, the
 * others follow on from the last (rw_sequencer=sequential) or repeat it
 * (identical); sequential jobs step by len + seq_add, wrapping at the ends.
 */
export function job_offset(t: i32, dir: i32, len: u32, random: bool): u64 {
  const k = t * 2 + dir;
  const range = unchecked(jt_range[t]);
  const align = <u64>bs_min(t, dir);
  let hit = true;
  const nr = unchecked(jt_seq_nr[t]);
  if (nr > 1) {
    const left = unchecked(jt_seq_left[t]) - 1;
    if (left == 0) unchecked((jt_seq_left[t] = nr));
    else {
      unchecked((jt_seq_left[t] = left));
      hit = false;
    }
  }
  let off: u64;
  if (hit && random) {
    off = dist_block(t, dir, (range - <u64>len) / align + 1) * align;
  } else if (!hit && unchecked(jt_seq_ident[t])) {
    const last = unchecked(jt_last_start[k]);
    off = last == u64.MAX_VALUE ? 0 : last;
  } else {
    // get_next_seq_offset, relative to the range's start.
    let cur = unchecked(jt_seq[k]);
    const add = unchecked(jt_seq_add[t]);
    if (cur == 0 && add < 0 && unchecked(jt_off[t]) != 0) cur = range;
    off = cur;
    if (off != 0 && add != 0) {
      off = <u64>(<i64>off + add);
      // Beyond the end: forwards wraps to the start, backwards to the end.
      if (off >= range) off = add > 0 ? 0 : <u64>(<i64>range + add);
    }
  }
  if (off + <u64>len > range) off = random && hit ? (range - <u64>len) / align * align : 0;
  unchecked((jt_last_start[k] = off));
  unchecked((jt_seq[k] = off + <u64>len));
  return off;
}

/** Thread `t`'s next offset as its loop draws it (jt_offmode threads), for tests of the distributions. */
export function wl_job_offset_next(t: i32, dir: i32, len: u32, random: bool): f64 {
  return <f64>job_offset(t, dir, len, random);
}

// fio's I/O error handling (td_error.c, backend.c break_on_this_error,
// io_u.c io_completed / __io_u_log_error): an error of a type the thread's
// continue_on_error covers, whose errno is in that type's ignore list (by
// default EIO and EILSEQ, __NON_FATAL_ERR), is counted and the thread goes
// on; any other error stops the thread (td->error), which then reaps what
// it has in flight and ends. Types: 0 read, 1 write, 2 verify (EILSEQ).
export const ERROR_TYPE_READ_BIT: i32 = 0;
export const ERROR_TYPE_WRITE_BIT: i32 = 1;
export const ERROR_TYPE_VERIFY_BIT: i32 = 2;
/** Errnos per ignore_error list (fio grows its lists without bound; 16 covers every errno the model returns). */
export const IGNORE_MAX: i32 = 16;
/** Fatal errors logged per thread (fio logs each one; the first 16 are kept for its io_u error lines). */
export const ERRLOG_MAX: i32 = JOB_ERRLOG_MAX;
/** fio's continue_on_error bits per thread (ERROR_TYPE_*_BIT). */
const jt_coe = new StaticArray<u32>(THREADS_MAX);
/** Per (thread, type): the ignore_error list's length, -1 for fio's default list (EIO, EILSEQ). */
const jt_ign_n = new StaticArray<i32>(THREADS_MAX * 3);
const jt_ign = new StaticArray<i32>(THREADS_MAX * 3 * IGNORE_MAX);
/** fio's total_err_count and first_error. */
const jt_err_total = new StaticArray<u64>(THREADS_MAX);
const jt_err_first = new StaticArray<i32>(THREADS_MAX);
/**
 * How far a thread's I/O count may grow to make up for failed I/Os it went
 * on past: fio's number_ios counts completed I/Os (td->io_blocks), while
 * its size= limit counts issued bytes, errors included (io_issue_bytes).
 */
const jt_retry_cap = new StaticArray<u64>(THREADS_MAX);
/** Fatal errors logged: count, and per entry errno << 8 | direction, offset, length. */
const jt_errlog_n = new StaticArray<u32>(THREADS_MAX);
const errlog = new StaticArray<u64>(THREADS_MAX * ERRLOG_MAX * 3);

/** Clear thread `t`'s error state (a new run): no continue_on_error, default ignore lists. */
export function job_reset_errors(t: i32): void {
  unchecked((jt_coe[t] = 0));
  for (let k = 0; k < 3; k++) unchecked((jt_ign_n[t * 3 + k] = -1));
  unchecked((jt_err_total[t] = 0));
  unchecked((jt_err_first[t] = 0));
  unchecked((jt_retry_cap[t] = 0));
  unchecked((jt_errlog_n[t] = 0));
}

/** Thread `t`'s continue_on_error bits and the I/O count its failed I/Os may raise its own to. */
export function job_set_errors(t: i32, coe: u32, retry_cap: u64): void {
  unchecked((jt_coe[t] = coe));
  unchecked((jt_retry_cap[t] = retry_cap));
}

/** Entry `i` of thread `t`'s ignore_error list for `type` (the list then has i + 1 entries). */
export function job_set_ignore(t: i32, type: i32, i: i32, err: i32): void {
  if (type < 0 || type > 2 || i < 0 || i >= IGNORE_MAX) fail(SIM_ERR_INVARIANT, <i64>i);
  unchecked((jt_ign[(t * 3 + type) * IGNORE_MAX + i] = err));
  unchecked((jt_ign_n[t * 3 + type] = i + 1));
}

/** td_non_fatal_error: `type` is continued on and `err` is in its ignore list. */
function non_fatal(t: i32, type: i32, err: i32): bool {
  if ((unchecked(jt_coe[t]) & (1 << type)) == 0) return false;
  const n = unchecked(jt_ign_n[t * 3 + type]);
  if (n < 0) return err == u.EIO || err == u.EILSEQ;
  for (let i = 0; i < n; i++) if (unchecked(jt_ign[(t * 3 + type) * IGNORE_MAX + i]) == err) return true;
  return false;
}

/**
 * An I/O of thread `t` in `dir` at `off`, `len` bytes, failed with `err`
 * (a positive errno): count it (update_error_count, when continue_on_error
 * covers its type), and go on if it is not fatal; otherwise log it
 * (io_u_log_error), set the thread's error (td_verror, first only) and stop
 * the thread: it issues nothing more and ends when its I/Os are reaped.
 */
export function job_io_error(t: i32, dir: i32, off: u64, len: u32, err: i32): void {
  const type = err == u.EILSEQ ? ERROR_TYPE_VERIFY_BIT : dir == DIR_READ ? ERROR_TYPE_READ_BIT : ERROR_TYPE_WRITE_BIT;
  if ((unchecked(jt_coe[t]) & (1 << type)) != 0) {
    unchecked((jt_err_total[t] += 1));
    if (unchecked(jt_err_total[t]) == 1) unchecked((jt_err_first[t] = err));
  }
  if (non_fatal(t, type, err)) {
    // The failed I/O does not count toward number_ios: one more is issued, up to the size limit.
    const target = unchecked(jt_target[t]);
    if (target > 0 && target < unchecked(jt_retry_cap[t])) unchecked((jt_target[t] = target + 1));
    return;
  }
  const n = unchecked(jt_errlog_n[t]);
  if (n < <u32>ERRLOG_MAX) {
    const e = (t * ERRLOG_MAX + <i32>n) * 3;
    unchecked((errlog[e] = (<u64>err << 8) | <u64>dir));
    unchecked((errlog[e + 1] = off));
    unchecked((errlog[e + 2] = <u64>len));
  }
  unchecked((jt_errlog_n[t] = n + 1));
  if (unchecked(jt_error[t]) == 0) unchecked((jt_error[t] = err));
  unchecked((jt_stop[t] = true));
  unchecked((jt_paced[t] = true));
}

/** Thread `t`'s error words (JOB_ERRORS_*): total_err_count, first_error, fatal errors logged. */
export function wl_job_errors(t: i32, w: i32): f64 {
  if (w == JOB_ERRORS_TOTAL) return <f64>unchecked(jt_err_total[t]);
  if (w == JOB_ERRORS_FIRST) return <f64>unchecked(jt_err_first[t]);
  return <f64>unchecked(jt_errlog_n[t]); // JOB_ERRORS_LOGGED
}

/** Word `w` (JOB_ERRLOG_*: errno, direction, offset, length) of thread `t`'s logged fatal error `i`. */
export function wl_job_errlog(t: i32, i: i32, w: i32): f64 {
  const e = (t * ERRLOG_MAX + i) * 3;
  if (w == JOB_ERRLOG_ERRNO) return <f64>(unchecked(errlog[e]) >> 8);
  if (w == JOB_ERRLOG_DIR) return <f64>(unchecked(errlog[e]) & 0xff);
  if (w == JOB_ERRLOG_OFFSET) return <f64>unchecked(errlog[e + 1]);
  return <f64>unchecked(errlog[e + 2]); // JOB_ERRLOG_LEN
}

// fio's verify for a thread that writes (verify=, do_verify, verify_interval,
// verify_offset, verify_pattern, verify_fatal): each write's buffer gets
// verify headers (verify.ts verify_fill) and the write is logged as fio's
// io_piece (offset, length, seed, write number); when the thread has issued
// its writes and reaped them it reads every logged piece back, in the order
// written (fio's io_hist_list), and checks it as it is reaped. Random writes
// take offsets through fio's random map (axmap): a block already written in
// this pass is replaced by the next free one, so each is written once and its
// piece is the only one for it, as with fio's default randommap.
/** Bytes of the verify pattern kept per thread (fio's verify_pattern). */
export const VPAT_MAX: i32 = 64;
/** A logged piece: offset u64, seed u64, length u32, write number u32. */
const VPIECE_BYTES: usize = 32; // offset u64, seed u64, length u32 (0: dropped), numberio u32, flags u32, pad
/** A piece's write is still in flight (fio's IP_F_IN_FLIGHT). */
const VP_IN_FLIGHT: u32 = 1;
/** Pieces logged and not read back nor dropped (fio's io_hist_len). */
const jt_vhist = new StaticArray<u32>(THREADS_MAX);
/** verify_backlog (0: none), verify_backlog_batch (0: the backlog), the batch's reads left, the last completed direction. */
const jt_vbacklog = new StaticArray<u32>(THREADS_MAX);
const jt_vbatch = new StaticArray<u32>(THREADS_MAX);
const jt_vbatch_left = new StaticArray<u32>(THREADS_MAX);
const jt_vlast_dir = new StaticArray<i32>(THREADS_MAX);
export const jt_vtype = new StaticArray<i32>(THREADS_MAX); // verify.ts VERIFY_*; 0: none
export const jt_vinterval = new StaticArray<u32>(THREADS_MAX);
export const jt_voffset = new StaticArray<u32>(THREADS_MAX);
export const jt_vfatal = new StaticArray<bool>(THREADS_MAX);
export const jt_vdo = new StaticArray<bool>(THREADS_MAX); // do_verify: read back after writing
export const jt_vcheck_nr = new StaticArray<bool>(THREADS_MAX);
export const jt_vthread = new StaticArray<u32>(THREADS_MAX); // fio's td->thread_number (header field)
export const jt_vpat = new StaticArray<u8>(THREADS_MAX * VPAT_MAX);
export const jt_vpatlen = new StaticArray<u32>(THREADS_MAX);
const jt_vcap = new StaticArray<u32>(THREADS_MAX); // pieces the log holds
const jt_vn = new StaticArray<u32>(THREADS_MAX); // pieces logged
const jt_vcur = new StaticArray<u32>(THREADS_MAX); // next piece to read back
/** The thread is reading its pieces back (fio's TD_VERIFYING). */
export const jt_vphase = new StaticArray<bool>(THREADS_MAX);
/** When the thread began reading back, ns (fio's read runtime of a write job counts from there). */
export const jt_vstart_ns = new StaticArray<u64>(THREADS_MAX);
const jt_vwrites = new StaticArray<u32>(THREADS_MAX); // writes issued: fio's io_issues[DDIR_WRITE], the next numberio
const jt_vrng = new StaticArray<u64>(THREADS_MAX); // the seeds' generator (fio's verify_state)
const jt_vlog = new StaticArray<usize>(THREADS_MAX);
const jt_vmap = new StaticArray<usize>(THREADS_MAX); // random map bitmap, 0: none
const jt_vmap_n = new StaticArray<u64>(THREADS_MAX); // blocks in the map
/** A test hook: thread `t`'s write number jt_vcorrupt_nr - 1 has byte jt_vcorrupt_at flipped after its checksum (0: none). */
export const jt_vcorrupt_nr = new StaticArray<u32>(THREADS_MAX);
export const jt_vcorrupt_at = new StaticArray<u32>(THREADS_MAX);
/** Per tag: the piece a verify read reads back (u32, 0xFFFFFFFF: none), its buffer's index (u32) and address (u64). */
let tag_piece: usize = 0;
const TAG_PIECE_BYTES: usize = 16;

/**
 * Set thread `t`'s verify: type (verify.ts VERIFY_*), interval, header
 * offset, verify_fatal, do_verify, whether numberio is checked, fio's thread
 * number, how many writes to log at most, and blocks of its random map (0:
 * sequential writes need none).
 */
export function job_set_verify(
  t: i32, type: i32, interval: u32, voffset: u32, fatal: bool, do_verify: bool, check_nr: bool, thread: u32,
  cap: u32, map_blocks: u64, seed: u64, buffers: u32, backlog: u32, batch: u32,
): void {
  unchecked((jt_vbufs[t] = buffers));
  unchecked((jt_vbacklog[t] = backlog));
  unchecked((jt_vbatch[t] = batch));
  unchecked((jt_vtype[t] = type));
  unchecked((jt_vinterval[t] = interval));
  unchecked((jt_voffset[t] = voffset));
  unchecked((jt_vfatal[t] = fatal));
  unchecked((jt_vdo[t] = do_verify));
  unchecked((jt_vcheck_nr[t] = check_nr));
  unchecked((jt_vthread[t] = thread));
  unchecked((jt_vcap[t] = cap));
  unchecked((jt_vmap_n[t] = map_blocks));
  unchecked((jt_vrng[t] = (seed + 13) * 0x9E3779B97F4A7C15 ^ (<u64>t * 0xC2B2AE3D27D4EB4F + 7)));
}

/** Byte `i` of thread `t`'s verify pattern (the pattern then has i + 1 bytes). */
export function job_set_verify_pattern(t: i32, i: i32, b: u8): void {
  if (i < 0 || i >= VPAT_MAX) fail(SIM_ERR_INVARIANT, <i64>i);
  unchecked((jt_vpat[t * VPAT_MAX + i] = b));
  unchecked((jt_vpatlen[t] = <u32>(i + 1)));
}

/** Clear thread `t`'s verify state (a new run). */
export function job_reset_verify(t: i32): void {
  unchecked((jt_vtype[t] = 0));
  unchecked((jt_vpatlen[t] = 0));
  unchecked((jt_vcap[t] = 0));
  unchecked((jt_vn[t] = 0));
  unchecked((jt_vcur[t] = 0));
  unchecked((jt_vhist[t] = 0));
  unchecked((jt_vbacklog[t] = 0));
  unchecked((jt_vbatch_left[t] = 0));
  // fio's td->last_ddir starts at 0, DDIR_READ: no batch before a write has completed.
  unchecked((jt_vlast_dir[t] = DIR_READ));
  unchecked((jt_vphase[t] = false));
  unchecked((jt_vwrites[t] = 0));
  unchecked((jt_vlog[t] = 0));
  unchecked((jt_vmap[t] = 0));
  unchecked((jt_vmap_n[t] = 0));
  unchecked((jt_vcorrupt_nr[t] = 0));
}

/**
 * A verifying thread's buffers: t/io_uring's loop uses the buffer of the SQ
 * slot, which a later SQE reuses while the I/O is still in flight (harmless
 * for timing, fatal for data); fio gives each io_u its own buffer until it
 * completes. A verifying thread takes one from this stack per I/O.
 */
const jt_vbufs = new StaticArray<u32>(THREADS_MAX);
const jt_vbuf_stack = new StaticArray<usize>(THREADS_MAX);
const jt_vbuf_n = new StaticArray<u32>(THREADS_MAX);

/** Take a free buffer for the I/O behind `tag` of thread `t`; returns its index. */
export function vbuf_take(t: i32, tag: u32): u32 {
  const n = unchecked(jt_vbuf_n[t]);
  if (n == 0) fail(SIM_ERR_INVARIANT, <i64>t);
  const i = <u32>load<u16>(unchecked(jt_vbuf_stack[t]) + <usize>(n - 1) * 2);
  unchecked((jt_vbuf_n[t] = n - 1));
  store<u32>(tag_piece + (<usize>t * TAGS_MAX + tag) * TAG_PIECE_BYTES + 4, i);
  return i;
}

/** The I/O behind `tag` of thread `t` is reaped: its buffer is free again. */
export function vbuf_put(t: i32, tag: u32): void {
  const i = load<u32>(tag_piece + (<usize>t * TAGS_MAX + tag) * TAG_PIECE_BYTES + 4);
  const n = unchecked(jt_vbuf_n[t]);
  store<u16>(unchecked(jt_vbuf_stack[t]) + <usize>n * 2, <u16>i);
  unchecked((jt_vbuf_n[t] = n + 1));
}

/** Lay out the verify logs and random maps of the threads that verify (from job_alloc). */
function verify_alloc(threads: i32): void {
  tag_piece = mem_alloc(<usize>threads * TAGS_MAX * TAG_PIECE_BYTES, 8, false);
  for (let t = 0; t < threads; t++) {
    if (unchecked(jt_vtype[t]) == 0) continue;
    const nb = unchecked(jt_vbufs[t]);
    unchecked((jt_vbuf_stack[t] = mem_alloc(<usize>nb * 2, 8, false)));
    for (let i: u32 = 0; i < nb; i++) store<u16>(unchecked(jt_vbuf_stack[t]) + <usize>i * 2, <u16>(nb - 1 - i));
    unchecked((jt_vbuf_n[t] = nb));
    unchecked((jt_vlog[t] = mem_alloc(<usize>unchecked(jt_vcap[t]) * VPIECE_BYTES, 8, false)));
    const n = unchecked(jt_vmap_n[t]);
    if (n > 0) unchecked((jt_vmap[t] = mem_alloc(<usize>((n + 63) >> 6) * 8, 8, true)));
  }
}

/** The next verify seed of thread `t` (fio: __rand(&td->verify_state), twice multiplied on 64-bit). */
export function verify_seed(t: i32): u64 {
  let x = unchecked(jt_vrng[t]);
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  unchecked((jt_vrng[t] = x));
  return x * 0x2545F4914F6CDD1D;
}

/** The first clear bit of `map` in [from, to), or `to`. */
function vmap_find(map: usize, from: u64, to: u64): u64 {
  let i = from;
  while (i < to) {
    const free = ~load<u64>(map + <usize>(i >> 6) * 8) >> (i & 63);
    if (free != 0) {
      const j = i + ctz<u64>(free);
      return j < to ? j : to;
    }
    i = (i | 63) + 1;
  }
  return to;
}

/**
 * fio's random map for thread `t`: block `b` if it is free in this pass,
 * else the next free one after it (axmap_next_free, wrapping); marks it.
 * A full map starts a new pass (fio resets it when a pass ends).
 */
export function vmap_take(t: i32, b: u64): u64 {
  const map = unchecked(jt_vmap[t]);
  const n = unchecked(jt_vmap_n[t]);
  let j = vmap_find(map, b, n);
  if (j == n) {
    j = vmap_find(map, 0, b);
    if (j == b) {
      memory.fill(map, 0, <usize>((n + 63) >> 6) * 8);
      j = b;
    }
  }
  const w = map + <usize>(j >> 6) * 8;
  store<u64>(w, load<u64>(w) | (<u64>1 << (j & 63)));
  return j;
}

/** Log a write of thread `t` (off, len, seed), in flight until it completes; returns its write number (numberio). */
export function verify_log_write(t: i32, off: u64, len: u32, seed: u64): u32 {
  const nr = unchecked(jt_vwrites[t]);
  unchecked((jt_vwrites[t] = nr + 1));
  const n = unchecked(jt_vn[t]);
  if (n >= unchecked(jt_vcap[t])) fail(SIM_ERR_INVARIANT, <i64>n);
  const p = unchecked(jt_vlog[t]) + <usize>n * VPIECE_BYTES;
  store<u64>(p, off);
  store<u64>(p + 8, seed);
  store<u32>(p + 16, len);
  store<u32>(p + 20, nr);
  store<u32>(p + 24, VP_IN_FLIGHT);
  unchecked((jt_vn[t] = n + 1));
  unchecked((jt_vhist[t] += 1));
  return nr;
}

/** Logged write `i` of thread `t` completed: it may be read back now (fio clears IP_F_IN_FLIGHT). */
export function verify_landed(t: i32, i: u32): void {
  store<u32>(unchecked(jt_vlog[t]) + <usize>i * VPIECE_BYTES + 24, 0);
}

/** Logged write `i` of thread `t` failed: fio removes it from the verification list (unlog_io_piece). */
export function verify_drop(t: i32, i: u32): void {
  store<u32>(unchecked(jt_vlog[t]) + <usize>i * VPIECE_BYTES + 16, 0);
  unchecked((jt_vhist[t] -= 1));
}

/** Start thread `t`'s read-back at `now_ns` if it verifies and has not: the pieces left to read (0: none). */
export function verify_begin(t: i32, now_ns: u64): u32 {
  if (unchecked(jt_vtype[t]) == 0 || !unchecked(jt_vdo[t]) || unchecked(jt_vphase[t])) return 0;
  const left = unchecked(jt_vhist[t]);
  if (left == 0) return 0;
  unchecked((jt_vphase[t] = true));
  unchecked((jt_vstart_ns[t] = now_ns));
  return left;
}

/** The oldest piece not read back yet, skipping dropped ones (the head of fio's io_hist_list), or vn. */
function verify_head(t: i32): u32 {
  let i = unchecked(jt_vcur[t]);
  const n = unchecked(jt_vn[t]);
  while (i < n && load<u32>(unchecked(jt_vlog[t]) + <usize>i * VPIECE_BYTES + 16) == 0) i++;
  unchecked((jt_vcur[t] = i));
  return i;
}

/** The next piece thread `t` reads back (get_next_verify); the caller has checked one is left. */
export function verify_next(t: i32): u32 {
  const i = verify_head(t);
  if (i >= unchecked(jt_vn[t])) fail(SIM_ERR_INVARIANT, <i64>i);
  unchecked((jt_vcur[t] = i + 1));
  unchecked((jt_vhist[t] -= 1));
  return i;
}

/**
 * fio's check_get_verify (verify_backlog) for thread `t` about to issue
 * in its write phase: when the pieces not yet read back reach a multiple
 * of the backlog (and the last I/O completed was not a read), a batch of
 * reads of the oldest begins; a piece whose write is still in flight is not
 * read yet (get_next_verify finds nothing, and a write goes instead).
 * Returns the piece to read back, or 0xFFFFFFFF.
 */
export function verify_backlog_next(t: i32): u32 {
  const backlog = unchecked(jt_vbacklog[t]);
  const hist = unchecked(jt_vhist[t]);
  if (backlog == 0 || hist == 0) return 0xFFFFFFFF;
  let get = unchecked(jt_vbatch_left[t]) > 0;
  if (!get && hist % backlog == 0 && unchecked(jt_vlast_dir[t]) != DIR_READ) {
    unchecked((jt_vbatch_left[t] = unchecked(jt_vbatch[t]) > 0 ? unchecked(jt_vbatch[t]) : backlog));
    get = true;
  }
  if (!get) return 0xFFFFFFFF;
  const i = verify_head(t);
  if (i >= unchecked(jt_vn[t]) || load<u32>(unchecked(jt_vlog[t]) + <usize>i * VPIECE_BYTES + 24) != 0) {
    return 0xFFFFFFFF;
  }
  unchecked((jt_vbatch_left[t] -= 1));
  return verify_next(t);
}

/** The direction of thread `t`'s last completed I/O (fio's td->last_ddir, which check_get_verify reads). */
export function verify_completed(t: i32, dir: i32): void {
  unchecked((jt_vlast_dir[t] = dir));
}

/** Piece `i` of thread `t`: its offset. */
export function vpiece_off(t: i32, i: u32): u64 {
  return load<u64>(unchecked(jt_vlog[t]) + <usize>i * VPIECE_BYTES);
}
/** … its seed. */
export function vpiece_seed(t: i32, i: u32): u64 {
  return load<u64>(unchecked(jt_vlog[t]) + <usize>i * VPIECE_BYTES + 8);
}
/** … its length. */
export function vpiece_len(t: i32, i: u32): u32 {
  return load<u32>(unchecked(jt_vlog[t]) + <usize>i * VPIECE_BYTES + 16);
}
/** … its write number. */
export function vpiece_nr(t: i32, i: u32): u32 {
  return load<u32>(unchecked(jt_vlog[t]) + <usize>i * VPIECE_BYTES + 20);
}
/** Remember that `tag` of thread `t` reads piece `i` back (0xFFFFFFFF: an ordinary I/O). */
export function tag_set_piece(t: i32, tag: u32, i: u32): void {
  store<u32>(tag_piece + (<usize>t * TAGS_MAX + tag) * TAG_PIECE_BYTES, i);
}
/** The piece `tag` of thread `t` reads back, or 0xFFFFFFFF. */
export function tag_piece_of(t: i32, tag: u32): u32 {
  return load<u32>(tag_piece + (<usize>t * TAGS_MAX + tag) * TAG_PIECE_BYTES);
}
/** Remember the buffer (user address) the I/O behind `tag` of thread `t` uses. */
export function tag_set_buf(t: i32, tag: u32, va: u64): void {
  store<u64>(tag_piece + (<usize>t * TAGS_MAX + tag) * TAG_PIECE_BYTES + 8, va);
}
/** The buffer the I/O behind `tag` of thread `t` uses. */
export function tag_buf(t: i32, tag: u32): u64 {
  return load<u64>(tag_piece + (<usize>t * TAGS_MAX + tag) * TAG_PIECE_BYTES + 8);
}
/** Thread `t`'s verify words: 0 pieces logged, 1 pieces read back, 2 when it began reading back (ns; 0: never). */
export function wl_job_verify(t: i32, w: i32): f64 {
  if (w == JOB_VERIFY_LOGGED) return <f64>unchecked(jt_vn[t]);
  if (w == JOB_VERIFY_READ_BACK) return <f64>unchecked(jt_vcur[t]);
  return unchecked(jt_vphase[t]) ? <f64>unchecked(jt_vstart_ns[t]) : 0; // JOB_VERIFY_START_NS
}
