/**
 * fio's JSON output (`--output-format=json` and `json+`): every key fio 3.33
 * prints for the same job, in fio's order, with fio's field names;
 * dmasim's own figures under each job's `"dmasim"` key and its version in
 * `"dmasim version"`. Times are the simulated clock's (it starts at the
 * epoch), so the output is deterministic.
 *
 * @module
 */
import { toJson } from "../format.ts";
import { VERSION_STRING } from "../version.ts";
import type { FioRun } from "./run.ts";
import { type DirReport, type EntryReport, LAT_THRESHOLDS, percents } from "./report.ts";
import { diskStats } from "./disk.ts";

/** The fio release whose output dmasim reproduces. */
export const FIO_VERSION = "fio-3.33";
const DEPTH_KEYS = ["1", "2", "4", "8", "16", "32", ">=64"];
const BATCH_KEYS = ["0", "4", "8", "16", "32", "64", ">=64"];

function lat(s: DirReport["clat"]): Record<string, number> {
  return { min: s.min, max: s.max, mean: s.mean, stddev: s.stddev, N: s.N };
}

function dirJson(d: DirReport, plus: boolean): Record<string, unknown> {
  const clat: Record<string, unknown> = lat(d.clat);
  if (d.clat.N > 0) clat.percentile = d.percentiles;
  if (plus && d.clat.N > 0) clat.bins = Object.fromEntries(d.bins.map(([v, c]) => [String(v), c]));
  const bw = summary(d.bwSamples);
  const iops = summary(d.iopsSamples);
  return {
    io_bytes: d.ioBytes,
    io_kbytes: d.ioKbytes,
    bw_bytes: d.bwBytes,
    bw: d.bwKiB,
    iops: d.iops,
    runtime: d.runtimeMs,
    total_ios: d.totalIos,
    short_ios: 0,
    drop_ios: 0,
    slat_ns: lat(d.slat),
    clat_ns: clat,
    lat_ns: lat(d.lat),
    bw_min: bw.min,
    bw_max: bw.max,
    bw_agg: d.bwAggPct,
    bw_mean: bw.mean,
    bw_dev: bw.dev,
    bw_samples: bw.n,
    iops_min: iops.min,
    iops_max: iops.max,
    iops_mean: iops.mean,
    iops_stddev: iops.dev,
    iops_samples: iops.n,
  };
}

/** min, max (integers, as fio), mean, sample stddev and count of a sample list. */
export function summary(xs: number[]): { min: number; max: number; mean: number; dev: number; n: number } {
  const n = xs.length;
  if (n === 0) return { min: 0, max: 0, mean: 0, dev: 0, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const dev = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { min: Math.min(...xs), max: Math.max(...xs), mean, dev, n };
}

function keyed(keys: string[], values: number[]): Record<string, number> {
  return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}

/** fio's latency distribution objects from the entry's buckets. */
function latencyJson(e: EntryReport): Record<string, Record<string, number>> {
  const pct = percents(e.latNs);
  const labels = LAT_THRESHOLDS.map(String);
  return {
    latency_ns: keyed(labels, pct.slice(0, 10)),
    latency_us: keyed(labels, pct.slice(10, 20)),
    latency_ms: keyed([...labels, "2000", ">=2000"], pct.slice(20, 32)),
  };
}

function entryJson(run: FioRun, e: EntryReport, plus: boolean, timing: boolean): Record<string, unknown> {
  const r = run.result;
  const o = e.opts;
  const zero = { min: 0, max: 0, mean: 0, stddev: 0, N: 0 };
  const dm: Record<string, unknown> = {
    profile: run.machine.profileName,
    iommu: run.machine.iommu,
    buffers: r.job.buffers,
    ioengine: o.ioengine,
    notes: run.machine.notes,
    threads: r.job.threads,
    members: e.members,
    sim_ns: r.simNs,
    iops: r.iops,
    bw_bytes: r.bwBytesPerS,
    errors: r.errors,
    cpu_util: r.cpuUtil,
    cpu_ns_per_io: r.cpuNsPerIo,
    cpu_ns_per_io_by_layer: r.cpuNsPerIoByLayer,
    devices: r.devices,
    iommu_counters: r.iommu,
    dmabuf_counters: r.dmabuf,
    // blk-mq's requeues of what nvme-pci could not map, and nvme's retries of failed commands.
    block_counters: r.block,
    security: r.security,
    io_uring_enter_calls: r.calls,
  };
  if (timing) {
    dm.timing = { wallS: r.wallS, simIosPerWallS: r.simIosPerWallS, realTimeRatio: r.realTimeRatio };
  }
  const trim = dirJson(emptyDir(), false);
  return {
    jobname: o.name,
    groupid: e.groupid,
    error: e.error,
    eta: 0,
    elapsed: Math.ceil(e.runtimeMs / 1000),
    "job options": o.own,
    read: dirJson(e.dirs[0], plus),
    write: dirJson(e.dirs[1], plus),
    trim,
    sync: { total_ios: 0, lat_ns: zero },
    job_runtime: e.runtimeMs,
    usr_cpu: e.usr,
    sys_cpu: e.sys,
    ctx: 0,
    majf: 0,
    minf: 0,
    iodepth_level: keyed(DEPTH_KEYS, percents(e.maps.slice(0, 7))),
    iodepth_submit: keyed(BATCH_KEYS, percents(e.maps.slice(7, 14))),
    iodepth_complete: keyed(BATCH_KEYS, percents(e.maps.slice(14, 21))),
    ...latencyJson(e),
    // stat.c prints these only when continue_on_error is set.
    ...(e.continueOnError !== 0 ? { total_err: e.totalErr, first_error: e.firstError } : {}),
    latency_depth: o.iodepth,
    latency_target: 0,
    latency_percentile: 100.0,
    latency_window: 0,
    dmasim: dm,
  };
}

/** A direction with no I/O (trim: dmasim issues none). */
export function emptyDir(): DirReport {
  const z = { min: 0, max: 0, mean: 0, stddev: 0, N: 0 };
  return {
    runtimeMs: 0,
    ioBytes: 0,
    ioKbytes: 0,
    bwBytes: 0,
    bwKiB: 0,
    iops: 0,
    iopsInt: 0,
    totalIos: 0,
    errors: 0,
    slat: z,
    clat: z,
    lat: z,
    percentiles: {},
    bins: [],
    bwSamples: [],
    iopsSamples: [],
    bwAggPct: 0,
  };
}

/** fio's JSON report of finished runs (json+ adds the clat histogram bins). */
export function fioJson(
  runs: FioRun[],
  globals: Record<string, string>,
  plus: boolean,
  timing = false,
): string {
  const jobs = runs.flatMap((run) => run.entries.map((e) => entryJson(run, e, plus, timing)));
  return toJson({
    "fio version": FIO_VERSION,
    "dmasim version": VERSION_STRING,
    timestamp: 0,
    timestamp_ms: 0,
    time: "Thu Jan  1 00:00:00 1970",
    "global options": globals,
    jobs,
    disk_util: diskStats(runs).map((d) => ({
      name: d.name,
      read_ios: d.readIos,
      write_ios: d.writeIos,
      read_merges: 0,
      write_merges: 0,
      read_ticks: d.readTicks,
      write_ticks: d.writeTicks,
      in_queue: d.readTicks + d.writeTicks,
      util: d.utilPct,
    })),
  });
}
