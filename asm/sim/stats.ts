// Run statistics kept in Wasm: completions, bytes, errors, and a log-linear
// completion-latency histogram (32 sub-buckets per power of two: < 3.2 %
// relative error), read back by TypeScript for percentiles.

import { RINGS_MAX } from "./limits";

const SUB_BITS: u32 = 5;
const SUB: u32 = 1 << SUB_BITS;
export const HIST_BUCKETS: u32 = 64 * SUB;
export const hist = new StaticArray<u64>(HIST_BUCKETS);

export let st_ios: u64 = 0;
export let st_bytes: u64 = 0;
export let st_errors: u64 = 0;
export let st_lat_sum_ns: u64 = 0;
/** Sum of squared latencies (f64: squares of long latencies overflow u64). */
export let st_lat_sq_sum: f64 = 0;
export let st_lat_max_ns: u64 = 0;
export let st_lat_min_ns: u64 = u64.MAX_VALUE;
/** Stop counting after this many completions (0: no limit), and when the last counted one was posted. */
export let st_limit: u64 = 0;
export let st_last_ns: u64 = 0;
export function stats_set_limit(n: u64): void {
  st_limit = n;
}

/** When set, the workload records completions itself (end to end) and the completion path does not. */
export let stats_by_app: bool = false;
export function set_stats_by_app(v: bool): void {
  stats_by_app = v;
}

/** Completions are counted only at or after this time (warm-up cut). */
export let st_from_ns: u64 = 0;

export function stats_reset(from_ns: u64): void {
  for (let i: u32 = 0; i < HIST_BUCKETS; i++) unchecked((hist[i] = 0));
  st_ios = 0;
  st_bytes = 0;
  st_errors = 0;
  st_lat_sum_ns = 0;
  st_lat_sq_sum = 0;
  st_lat_max_ns = 0;
  st_lat_min_ns = u64.MAX_VALUE;
  st_from_ns = from_ns;
  st_limit = 0;
  for (let r = 0; r < RINGS_MAX; r++) {
    unchecked((r_open_sum[r] = unchecked(r_open[r]) * from_ns));
    unchecked((r_closed[r] = 0));
  }
  st_last_ns = from_ns;
}

// @ts-ignore: decorator
@inline export function hist_index(v: u64): u32 {
  if (v < <u64>SUB) return <u32>v;
  const msb = 63 - <u32>clz(v);
  const shift = msb - SUB_BITS;
  return (shift + 1) * SUB + <u32>((v >> shift) & (SUB - 1));
}

/** Lowest value that falls into bucket `i` (inverse of hist_index). */
export function hist_lower(i: u32): u64 {
  if (i < SUB) return <u64>i;
  const shift = i / SUB - 1;
  return (<u64>(SUB | (i & (SUB - 1)))) << shift;
}

/**
 * Record a completion in the measurement window: successes count as I/Os
 * with their latency; failures only as errors (they finish early and would
 * flatter IOPS and latency).
 */
// Inlined: one per completion, on the hot path.
// @ts-ignore: decorator
@inline export function stats_complete(submit_ns: u64, done_ns: u64, res: i32): void {
  if (done_ns < st_from_ns) return;
  // A run of N I/Os measures exactly N, not the rest of the batch they ended in.
  if (st_limit != 0 && st_ios + st_errors >= st_limit) return;
  st_last_ns = done_ns;
  if (res < 0) {
    st_errors++;
    return;
  }
  st_ios++;
  st_bytes += <u64>res;
  const lat = done_ns > submit_ns ? done_ns - submit_ns : 0;
  st_lat_sum_ns += lat;
  st_lat_sq_sum += <f64>lat * <f64>lat;
  if (lat > st_lat_max_ns) st_lat_max_ns = lat;
  if (lat < st_lat_min_ns) st_lat_min_ns = lat;
  const i = hist_index(lat);
  unchecked((hist[i < HIST_BUCKETS ? i : HIST_BUCKETS - 1] += 1));
}

// Time-weighted requests in flight per ring (submitted to io_uring, not yet
// completed), over the measurement window: area = closed + open x t_end -
// open_sum, each open request contributing max(submit, window start) to
// open_sum. Mean in flight = area / window; by Little's law it must equal
// IOPS x mean latency, which a user can check (nothing here computes one from
// the other).
const r_open = new StaticArray<u64>(RINGS_MAX);
const r_open_sum = new StaticArray<u64>(RINGS_MAX);
const r_closed = new StaticArray<u64>(RINGS_MAX);
const r_area_end = new StaticArray<f64>(RINGS_MAX);

/** A new machine: no request is in flight on any ring. */
export function stats_rings_clear(): void {
  for (let r = 0; r < RINGS_MAX; r++) {
    unchecked((r_open[r] = 0));
    unchecked((r_open_sum[r] = 0));
    unchecked((r_closed[r] = 0));
    unchecked((r_area_end[r] = 0));
  }
}

/** Ring `ring` submitted a request at `t`. */
// @ts-ignore: decorator
@inline export function stats_ring_submit(ring: i32, t: u64): void {
  unchecked((r_open[ring] += 1));
  unchecked((r_open_sum[ring] += t > st_from_ns ? t : st_from_ns));
}

/** A request of ring `ring` submitted at `submit` completed at `done`. */
// @ts-ignore: decorator
@inline export function stats_ring_done(ring: i32, submit: u64, done: u64): void {
  const s = submit > st_from_ns ? submit : st_from_ns;
  unchecked((r_open[ring] -= 1));
  unchecked((r_open_sum[ring] -= s));
  if (done > s) unchecked((r_closed[ring] += done - s));
}

/** The window closes at `t1`: keep each ring's in-flight area (request-ns). */
export function stats_rings_end(t1: u64): void {
  for (let r = 0; r < RINGS_MAX; r++) {
    unchecked((r_area_end[r] = <f64>unchecked(r_closed[r]) + <f64>unchecked(r_open[r]) * <f64>t1 -
      <f64>unchecked(r_open_sum[r])));
  }
}

/** In-flight area of ring `ring` over the last closed window, request-ns. */
export function stats_ring_area(ring: i32): f64 {
  return ring >= 0 && ring < RINGS_MAX ? unchecked(r_area_end[ring]) : 0;
}

export function hist_get(i: u32): u64 {
  return i < HIST_BUCKETS ? unchecked(hist[i]) : 0;
}
