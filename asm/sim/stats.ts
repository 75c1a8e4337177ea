// Run statistics kept in Wasm: completions, bytes, errors, and a log-linear
// completion-latency histogram (32 sub-buckets per power of two: < 3.2 %
// relative error), read back by TypeScript for percentiles.

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
export function stats_complete(submit_ns: u64, done_ns: u64, res: i32): void {
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

export function hist_get(i: u32): u64 {
  return i < HIST_BUCKETS ? unchecked(hist[i]) : 0;
}
