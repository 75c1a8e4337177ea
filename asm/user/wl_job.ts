// fio-style per-thread job state for the workload loop (workload.ts): each
// thread is one fio job with its own depth, batches, read/write mix, block
// sizes, offset range and I/O count, and keeps fio's own statistics — taken
// in user space as fio takes them (io_u start at prep, issue at submit,
// completion at reap): slat, clat and lat per direction, a clat histogram,
// and the IO depths / submit / complete distributions (fio's io_u_map).
//
// An I/O in flight is identified by a tag (its SQE user_data): a per-thread
// slot holding its prep time, issue time, length and direction.

import { CORES_MAX } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import { hist_index, HIST_BUCKETS } from "../sim/stats";
import { fail, SIM_ERR_INVARIANT } from "../sim/errors";

export const DIR_READ: i32 = 0;
export const DIR_WRITE: i32 = 1;
const THREADS_MAX: i32 = CORES_MAX;
/** Block-size split entries per thread and direction (fio's bssplit). */
export const BSS_MAX: i32 = 64;
/** Tags per thread: at most the ring's entries are in flight. */
const TAGS_MAX: u32 = 4096;
const TAG_BYTES: usize = 24; // prep ns, issue ns, len u32, dir u32

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
export const STAT_WORDS: i32 = 16;
export const ST_IOS: i32 = 0;
export const ST_BYTES: i32 = 1;
export const ST_ERRORS: i32 = 2;
export const ST_CLAT: i32 = 3; // sum, sum of squares, min, max
export const ST_SLAT: i32 = 7;
export const ST_LAT: i32 = 11;
/** Buckets of each io_u_map (fio: 1, 2, 4, 8, 16, 32, >=64 for depths; 0, 4, 8, 16, 32, 64, >=64 for batches). */
export const MAP_BUCKETS: i32 = 7;
const MAP_WORDS: i32 = 3 * MAP_BUCKETS;
/** Job-sample words per (thread, direction): I/Os, bytes, clat sum. */
export const JS_WORDS: i32 = 3;

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
  for (let k = 0; k < threads * 2; k++) {
    store<f64>(stats + (<usize>k * STAT_WORDS + ST_CLAT + 2) * 8, f64.MAX_VALUE);
    store<f64>(stats + (<usize>k * STAT_WORDS + ST_SLAT + 2) * 8, f64.MAX_VALUE);
    store<f64>(stats + (<usize>k * STAT_WORDS + ST_LAT + 2) * 8, f64.MAX_VALUE);
  }
}

/** Take a tag for an I/O thread `t` prepares now. */
export function tag_get(t: i32, prep_ns: u64, len: u32, dir: i32): u32 {
  const n = unchecked(free_n[t]);
  if (n == 0) fail(SIM_ERR_INVARIANT, <i64>t);
  const tag = <u32>load<u16>(free_stack + (<usize>t * TAGS_MAX + n - 1) * 2);
  unchecked((free_n[t] = n - 1));
  const p = tags + (<usize>t * TAGS_MAX + tag) * TAG_BYTES;
  store<u64>(p, prep_ns);
  store<u64>(p + 8, prep_ns);
  store<u32>(p + 16, len);
  store<u32>(p + 20, <u32>dir);
  return tag;
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

/** Return a tag; when `count` is set, account the I/O as completed at `done_ns` with result `res`. */
export function tag_put(t: i32, tag: u32, done_ns: u64, res: i32, count: bool): void {
  const p = tags + (<usize>t * TAGS_MAX + tag) * TAG_BYTES;
  if (count && job_stats) {
    const dir = <i32>load<u32>(p + 20);
    const s = stats + (<usize>(t * 2 + dir) * STAT_WORDS) * 8;
    if (res < 0) store<f64>(s + ST_ERRORS * 8, load<f64>(s + ST_ERRORS * 8) + 1);
    else {
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
  }
  const n = unchecked(free_n[t]);
  store<u16>(free_stack + (<usize>t * TAGS_MAX + n) * 2, <u16>tag);
  unchecked((free_n[t] = n + 1));
}

function add_lat(s: usize, w: i32, v: f64): void {
  const q = s + <usize>w * 8;
  store<f64>(q, load<f64>(q) + v);
  store<f64>(q + 8, load<f64>(q + 8) + v * v);
  if (v < load<f64>(q + 16)) store<f64>(q + 16, v);
  if (v > load<f64>(q + 24)) store<f64>(q + 24, v);
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
    store<f64>(p + <usize>k * JS_WORDS * 8, load<f64>(s + ST_IOS * 8));
    store<f64>(p + <usize>(k * JS_WORDS + 1) * 8, load<f64>(s + ST_BYTES * 8));
    store<f64>(p + <usize>(k * JS_WORDS + 2) * 8, load<f64>(s + ST_CLAT * 8));
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
