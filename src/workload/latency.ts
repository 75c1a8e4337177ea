/**
 * Completion latency of the measurement window, read from the Wasm side's
 * histogram: min, max, mean, fio's sample standard deviation, fio's
 * percentiles, and fio's latency buckets.
 *
 * @module
 */
import { w } from "../wasm.ts";
import type { LatencyStats } from "../workload_types.ts";
import { ST } from "./stat_index.ts";

/** fio's default completion-latency percentiles. */
export const PERCENTILES = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

/** Completion latency: min, max, mean, sample standard deviation and fio's percentiles from the histogram. */
export function latencyStats(): LatencyStats {
  const n = w.stat_get(ST.ios);
  const buckets = w.stat_get(ST.histBuckets);
  const percentiles: Record<string, number> = {};
  if (n === 0) {
    for (const p of PERCENTILES) percentiles[p.toFixed(6)] = 0;
    return { minNs: 0, maxNs: 0, meanNs: 0, stddevNs: 0, percentiles, buckets: emptyBuckets() };
  }
  const targets = PERCENTILES.map((p) => Math.ceil((p / 100) * n));
  let acc = 0;
  let k = 0;
  for (let i = 0; i < buckets && k < targets.length; i++) {
    acc += Number(w.hist_get(i));
    while (k < targets.length && acc >= targets[k]) {
      const lo = Number(w.hist_lower(i));
      const hi = Number(w.hist_lower(i + 1));
      // The bucket's middle, kept within what was observed (a bucket is up to 3% wide).
      const mid = Math.round((lo + Math.max(lo, hi - 1)) / 2);
      percentiles[PERCENTILES[k].toFixed(6)] = Math.min(
        Math.max(mid, w.stat_get(ST.latMinNs)),
        w.stat_get(ST.latMaxNs),
      );
      k++;
    }
  }
  const mean = w.stat_get(ST.latSumNs) / n;
  return {
    minNs: w.stat_get(ST.latMinNs),
    maxNs: w.stat_get(ST.latMaxNs),
    meanNs: mean,
    // The sample standard deviation, as fio reports it (n - 1).
    stddevNs: n > 1 ? Math.sqrt(Math.max(0, (w.stat_get(ST.latSqSum) - n * mean * mean) / (n - 1))) : 0,
    percentiles,
    buckets: fioBuckets(n, buckets),
  };
}

/** fio's latency bucket bounds (stat.c): ns and µs up to 1000, ms up to 2000 then ">=2000". */
const FIO_BOUNDS = [2, 4, 10, 20, 50, 100, 250, 500, 750, 1000];
const FIO_BOUNDS_MS = [...FIO_BOUNDS, 2000];

function emptyBuckets(): LatencyStats["buckets"] {
  const z = (b: number[]) => Object.fromEntries(b.map((x) => [String(x), 0]));
  return { ns: z(FIO_BOUNDS), us: z(FIO_BOUNDS), ms: { ...z(FIO_BOUNDS_MS), ">=2000": 0 } };
}

/** The histogram folded into fio's buckets, as percentages of the `n` I/Os. */
function fioBuckets(n: number, hbuckets: number): LatencyStats["buckets"] {
  const out = emptyBuckets();
  if (n === 0) return out;
  const place = (ns: number): [keyof LatencyStats["buckets"], string] => {
    if (ns < 1000) return ["ns", String(FIO_BOUNDS.find((b) => ns < b) ?? 1000)];
    if (ns < 1_000_000) return ["us", String(FIO_BOUNDS.find((b) => ns / 1000 < b) ?? 1000)];
    const ms = ns / 1e6;
    const b = FIO_BOUNDS_MS.find((x) => ms < x);
    return ["ms", b === undefined ? ">=2000" : String(b)];
  };
  for (let i = 0; i < hbuckets; i++) {
    const c = Number(w.hist_get(i));
    if (c === 0) continue;
    // A histogram bucket is placed by its lower bound (it is < 3.2% wide).
    const [unit, key] = place(Number(w.hist_lower(i)));
    out[unit][key] += (c / n) * 100;
  }
  return out;
}
