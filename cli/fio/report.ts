/**
 * fio's figures from a finished run: one report entry per job thread, or
 * per reporting group with `group_reporting`, each direction with fio's
 * integer arithmetic (stat.c) over the whole-millisecond runtime, its
 * slat/clat/lat, clat percentiles and histogram, 500 ms bandwidth and IOPS
 * samples, latency distribution and IO depth maps.
 *
 * @module
 */
import type { RunResult } from "../engine.ts";
import { type FioThreadResult, type LatSums, PERCENTILES, type ThreadDirStats } from "../engine.ts";
import { stats } from "../format.ts";
import type { FioMachine } from "./machine.ts";
import type { FioJobOpts } from "./job.ts";
import { cStrerror, EILSEQ, SYNC_ENGINES, verrorOf } from "./errors.ts";

/** fio's figures for one direction of a finished job (stat.c, with fio's integer arithmetic). */
export interface FioRates {
  /** Runtime, whole milliseconds (whole microseconds rounded up, as fio does; at least 1). */
  runtimeMs: number;
  /** Bytes moved. */
  ioBytes: number;
  /** `io_bytes >> 10`. */
  ioKbytes: number;
  /** `1000 * io_bytes / runtime`, integer bytes/s. */
  bwBytes: number;
  /** `bw_bytes / 1024`, integer KiB/s. */
  bwKiB: number;
  /** `1000.0 * total_ios / runtime` (JSON `iops`, a double). */
  iops: number;
  /** `1000 * total_ios / runtime`, integer (the text report's `IOPS=`). */
  iopsInt: number;
}

/**
 * IOPS and bandwidth as fio derives them from the runtime it prints: whole
 * milliseconds rounded up as fio's backend.c does.
 *
 * @example
 * ```ts
 * import { fioRates } from "./report.ts";
 * console.log(fioRates(2000, 512, 3_516_000)); // runtimeMs 4, iops 500000, bwBytes 256000000, …
 * ```
 */
export function fioRates(ios: number, bs: number, simNs: number): FioRates {
  return ratesOfBytes(ios, ios * bs, Math.max(1, Math.floor((Math.floor(simNs / 1e3) + 999) / 1e3)));
}

function ratesOfBytes(ios: number, ioBytes: number, runtimeMs: number): FioRates {
  const rt = BigInt(Math.max(1, runtimeMs));
  const bwBytes = Number((BigInt(ioBytes) * 1000n) / rt);
  return {
    runtimeMs,
    ioBytes,
    ioKbytes: Math.floor(ioBytes / 1024),
    bwBytes,
    bwKiB: Math.floor(bwBytes / 1024),
    iops: (1000 * ios) / Math.max(1, runtimeMs),
    iopsInt: Number((BigInt(ios) * 1000n) / rt),
  };
}

/** min, max, mean, stddev, N of a latency, ns (fio's sample standard deviation). */
export interface LatStat {
  /** Smallest. */
  min: number;
  /** Largest. */
  max: number;
  /** Mean. */
  mean: number;
  /** Sample standard deviation. */
  stddev: number;
  /** Samples. */
  N: number;
}

/** One direction of a report entry. */
export interface DirReport extends FioRates {
  /** I/Os issued: completed and failed (fio's total_io_u). */
  totalIos: number;
  /** Failed I/Os (in totalIos; not in the bytes or latencies). */
  errors: number;
  /** Submission latency. */
  slat: LatStat;
  /** Completion latency. */
  clat: LatStat;
  /** Total latency. */
  lat: LatStat;
  /** clat percentiles, fio's keys ("99.000000") → ns. */
  percentiles: Record<string, number>;
  /** clat histogram: [ns, count] (json+ bins). */
  bins: [number, number][];
  /** bw samples, KiB/s per 500 ms window (per thread, all members). */
  bwSamples: number[];
  /** IOPS samples. */
  iopsSamples: number[];
  /** This entry's share of its group's bandwidth in this direction, percent (bw_agg). */
  bwAggPct: number;
}

/** One entry of fio's report: a job thread, or a whole group with group_reporting. */
export interface EntryReport {
  /** The (first) job's options. */
  opts: FioJobOpts;
  /** Reporting group id. */
  groupid: number;
  /** Threads reported together. */
  members: number[];
  /** read, write. */
  dirs: [DirReport, DirReport];
  /** User and system CPU percent. */
  usr: number;
  /** System CPU percent. */
  sys: number;
  /** io_u maps summed over members: IO depths, submit, complete. */
  maps: number[];
  /** clat of both directions bucketed like fio's io_u_lat (ns → count). */
  latNs: number[];
  /** Runtime, ms (the longest member's, from its start). */
  runtimeMs: number;
  /** fio's error number for the entry (ts->error: a failed I/O's errno, EIO for a rate_min not met), 0 if none. */
  error: number;
  /** fio's ts->verror for it (`file:io_u.c:1876, func=io_u error, error=…`; "" for a non-fatal first error). */
  verror: string;
  /** dmasim's one line saying why a thread of the entry stopped with an error, or "". */
  errorText: string;
  /** Whether a thread of the entry stopped with an error (fio's td->error: the run exits 1). */
  fatal: boolean;
  /** continue_on_error's bits (fio prints total_err and first_error when they are not 0). */
  continueOnError: number;
  /** fio's total_err_count over the entry's threads. */
  totalErr: number;
  /** fio's first_error. */
  firstError: number;
}

function latStat(parts: LatSums[], n: number): LatStat {
  if (n === 0) return { min: 0, max: 0, mean: 0, stddev: 0, N: 0 };
  const sum = parts.reduce((a, p) => a + p.sum, 0);
  const sq = parts.reduce((a, p) => a + p.sumSq, 0);
  const mean = sum / n;
  return {
    min: Math.min(...parts.filter((p) => p.max > 0 || p.min > 0).map((p) => p.min)),
    max: Math.max(...parts.map((p) => p.max)),
    mean,
    stddev: n > 1 ? Math.sqrt(Math.max(0, (sq - n * mean * mean) / (n - 1))) : 0,
    N: n,
  };
}

/** Percentiles from a merged histogram: the bucket's middle, kept within min..max (as the t/io_uring report). */
function percentilesOf(bins: [number, number][], n: number, clat: LatStat): Record<string, number> {
  const out: Record<string, number> = {};
  const targets = PERCENTILES.map((p) => Math.ceil((p / 100) * n));
  let acc = 0;
  let k = 0;
  for (const [v, c] of bins) {
    acc += c;
    while (k < targets.length && acc >= targets[k]) {
      out[PERCENTILES[k].toFixed(6)] = Math.min(Math.max(v, clat.min), clat.max);
      k++;
    }
  }
  for (; k < PERCENTILES.length; k++) out[PERCENTILES[k].toFixed(6)] = 0;
  return out;
}

/** A histogram bucket's representative value: the middle of [lower, next lower). */
function mergeBins(dirs: ThreadDirStats[]): [number, number][] {
  const m = new Map<number, number>();
  for (const d of dirs) {
    d.clatHist.forEach(([lo, c]) => {
      // Buckets are 1/32 of their power of two wide (asm/stats.ts): the middle is lower + (width - 1) / 2.
      const mid = lo < 32 ? lo : lo + Math.floor((2 ** (Math.floor(Math.log2(lo)) - 5) - 1) / 2);
      m.set(mid, (m.get(mid) ?? 0) + c);
    });
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

function windowSamples(t: FioThreadResult, d: number): { bw: number[]; iops: number[] } {
  const bw: number[] = [];
  const iops: number[] = [];
  for (let i = 1; i < t.samples.length; i++) {
    const dt = (t.samples[i].tNs - t.samples[i - 1].tNs) / 1e9;
    // Windows before the thread started (startdelay) or after it ended are not its samples.
    if (dt <= 0 || (t.endNs !== null && t.samples[i].tNs > t.endNs) || t.samples[i - 1].tNs < t.startNs) {
      continue;
    }
    const a = t.samples[i - 1].dirs[d];
    const b = t.samples[i].dirs[d];
    bw.push(Math.floor((b[1] - a[1]) / 1024 / dt));
    iops.push(Math.floor((b[0] - a[0]) / dt));
  }
  return { bw, iops };
}

function dirReport(ts: FioThreadResult[], d: 0 | 1, runtimeMs: number, noSlat: boolean): DirReport {
  const parts = ts.map((t) => (d === 0 ? t.read : t.write));
  const n = parts.reduce((a, p) => a + p.ios, 0);
  const bytes = parts.reduce((a, p) => a + p.bytes, 0);
  const clat = latStat(parts.map((p) => p.clat), n);
  const bins = mergeBins(parts);
  const samples = ts.map((t) => windowSamples(t, d));
  // fio's total_io_u counts every I/O issued, failed ones too (IOPS and total_ios); bytes and latencies
  // only the completed ones (io_completed accounts an I/O only without an error).
  const errors = parts.reduce((a, p) => a + p.errors, 0);
  const issued = n + errors;
  return {
    ...ratesOfBytes(issued, bytes, issued > 0 ? runtimeMs : 0),
    runtimeMs: issued > 0 ? runtimeMs : 0,
    totalIos: issued,
    errors,
    slat: noSlat ? latStat([], 0) : latStat(parts.map((p) => p.slat), n),
    clat,
    lat: latStat(parts.map((p) => p.lat), n),
    percentiles: percentilesOf(bins, n, clat),
    bins,
    bwSamples: n > 0 ? samples.flatMap((s) => s.bw) : [],
    iopsSamples: n > 0 ? samples.flatMap((s) => s.iops) : [],
    bwAggPct: n > 0 ? 100 : 0,
  };
}

/** fio's latency thresholds (io_u_lat_n/u/m labels: a value falls under the first label above it). */
export const LAT_THRESHOLDS = [2, 4, 10, 20, 50, 100, 250, 500, 750, 1000];

/** clat counts per fio latency bucket: 10 ns, 10 us, 12 ms buckets (the last ms one is >=2000). */
function latBuckets(bins: [number, number][]): number[] {
  const out = new Array(32).fill(0);
  for (const [ns, c] of bins) {
    let idx: number;
    if (ns < 1000) idx = LAT_THRESHOLDS.findIndex((t) => ns < t);
    else if (ns < 1e6) idx = 10 + LAT_THRESHOLDS.findIndex((t) => Math.floor(ns / 1e3) < t);
    else {
      const ms = Math.floor(ns / 1e6);
      const i = [...LAT_THRESHOLDS, 2000].findIndex((t) => ms < t);
      idx = 20 + (i < 0 ? 11 : i);
    }
    out[idx] += c;
  }
  return out;
}

function cpuOf(r: RunResult, members: number[]): { usr: number; sys: number } {
  const util = members.reduce((a, t) => a + (r.cpuUtil[t] ?? 0), 0) / Math.max(1, members.length);
  const total = r.cpuNsPerIo || 1;
  const app = r.cpuNsPerIoByLayer.app ?? 0;
  return { usr: (util * 100 * app) / total, sys: (util * 100 * (total - app)) / total };
}

/** One report entry for the threads `members` of a run. */
export function entryReport(
  m: FioMachine,
  r: RunResult,
  members: number[],
  groupid: number,
): EntryReport {
  const ts = members.map((t) => r.fioThreads![t]);
  const ms = (ns: number) => Math.max(1, Math.floor((Math.floor(ns / 1e3) + 999) / 1e3));
  // fio keeps a runtime per direction: a verifying job's writes run until its read-back starts, and the
  // read-back's reads from there (update_runtime after do_io and after do_verify).
  const dirMs = (d: 0 | 1) =>
    Math.max(...ts.map((t) => {
      const end = t.endNs ?? r.simNs;
      if (t.verifyStartNs === null) return ms(end - t.startNs);
      return ms(d === 1 ? t.verifyStartNs - t.startNs : end - t.verifyStartNs);
    }));
  const runtimeMs = Math.max(...ts.map((t) => ms((t.endNs ?? r.simNs) - t.startNs)));
  const noSlat = SYNC_ENGINES.includes(m.threads[members[0]].opts.ioengine);
  const dirs: [DirReport, DirReport] = [
    dirReport(ts, 0, dirMs(0), noSlat),
    dirReport(ts, 1, dirMs(1), noSlat),
  ];
  const maps = new Array(21).fill(0);
  for (const t of ts) t.maps.forEach((v, i) => maps[i] += v);
  return {
    opts: m.threads[members[0]].opts,
    groupid,
    members,
    dirs,
    ...cpuOf(r, members),
    maps,
    latNs: latBuckets([...dirs[0].bins, ...dirs[1].bins]),
    runtimeMs,
    ...entryError(m, ts, members),
  };
}

/**
 * fio's error of an entry as stat.c sums it over the entry's threads: the
 * first thread's with an error sets `ts->error` and `ts->verror` — its
 * td->error (a failed I/O that stopped it, or a rate_min not met), or under
 * continue_on_error its first_error with the verror it had (none: a
 * non-fatal error sets no td->verror). total_err sums; first_error is the
 * last thread's.
 */
function entryError(
  m: FioMachine,
  ts: FioThreadResult[],
  members: number[],
): Pick<
  EntryReport,
  "error" | "verror" | "errorText" | "fatal" | "continueOnError" | "totalErr" | "firstError"
> {
  const out = {
    error: 0,
    verror: "",
    errorText: "",
    fatal: ts.some((t) => t.error !== 0),
    continueOnError: m.threads[members[members.length - 1]].opts.continueOnError,
    totalErr: ts.reduce((a, t) => a + t.totalErr, 0),
    firstError: ts[ts.length - 1].firstError,
  };
  for (let i = 0; i < ts.length && out.error === 0; i++) {
    const t = ts[i];
    const o = m.threads[members[i]].opts;
    if (t.error !== 0 && t.fatalErrors > 0) {
      out.error = t.error;
      out.verror = verrorOf(t.error, true, o.ioengine);
      out.errorText = t.error === EILSEQ
        ? `job "${o.name}": verify found a bad block (err=84); continue_on_error=verify lets a job go on past them`
        : `job "${o.name}": stopped at a failed I/O (err=${t.error}: ${cStrerror(t.error)}); ` +
          "continue_on_error= and ignore_error= let a job go on past errors";
    } else if (t.error !== 0) {
      out.error = t.error;
      out.verror = verrorOf(t.error, false, o.ioengine);
      const what = o.rateMin.some((x) => x > 0)
        ? `rate_min=${o.rateMin.filter((x) => x > 0)[0]}B/s`
        : `rate_iops_min=${o.rateIopsMin.filter((x) => x > 0)[0]}`;
      out.errorText = `${o.name}: ${what} not met (check_min_rate)`;
    } else if (o.continueOnError !== 0 && t.firstError !== 0) out.error = t.firstError;
  }
  return out;
}

/** Percent figures of a list of counts (0 when all are 0). */
export function percents(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? (100 * c) / total : 0));
}

/** Sample statistics as fio prints them for bw and iops (min, max, mean, sample stddev, N). */
export function sampleSummary(
  xs: number[],
): { min: number; max: number; mean: number; dev: number; n: number } {
  return stats(xs);
}
