/**
 * One point of a sweep: run the job and reduce its result to the sweep's
 * metrics. Kept apart from the command so that a worker (cli/sweep_worker.ts)
 * loads only the engine, not the CLI.
 *
 * @module
 */
import { type RunResult, runUring, type UringJob } from "./engine.ts";

/** Metrics every sweep row has (CSV columns, and what --metric may name besides `iommu.*`, `dmabuf.*`, `cpu.*`). */
export const METRICS: Record<string, (r: RunResult) => number> = {
  iops: (r) => r.iops,
  bw_bytes: (r) => r.bwBytesPerS,
  bw_mib: (r) => r.bwBytesPerS / 1048576,
  cpu_ns_per_io: (r) => r.cpuNsPerIo,
  cpu_util: (r) => {
    const used = r.cpuUtil.slice(0, r.job.threads);
    return used.reduce((a, b) => a + b, 0) / Math.max(1, used.length);
  },
  lat_min_ns: (r) => r.latency.minNs,
  lat_mean_ns: (r) => r.latency.meanNs,
  lat_max_ns: (r) => r.latency.maxNs,
  lat_p50_ns: (r) => r.latency.percentiles["50.000000"] ?? NaN,
  lat_p90_ns: (r) => r.latency.percentiles["90.000000"] ?? NaN,
  lat_p99_ns: (r) => r.latency.percentiles["99.000000"] ?? NaN,
  lat_p999_ns: (r) => r.latency.percentiles["99.900000"] ?? NaN,
  ios: (r) => r.ios,
  errors: (r) => r.errors,
  sim_ns: (r) => r.simNs,
  calls: (r) => r.calls,
  reachable_bytes_mean: (r) => r.security.reachableBytesMean,
  mapped_bytes_max: (r) => r.security.mappedBytesMax,
  stale_window_ns_max: (r) =>
    Math.max(r.security.staleAfterUnmap.windowNsMax, r.security.staleAfterMoveNotify.windowNsMax),
  stale_bytes: (r) => r.security.staleAfterUnmap.staleBytes + r.security.staleAfterMoveNotify.staleBytes,
  subpage_bytes: (r) => r.security.subPage.bytesBeyondIo,
};

/** Counters of a result as `iommu.*`, `dmabuf.*`, `cpu.*` (CPU ns per I/O by layer) metrics. */
export function extraMetrics(r: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.cpuNsPerIoByLayer)) out[`cpu.${k}`] = v;
  for (const [k, v] of Object.entries(r.iommu)) out[`iommu.${k}`] = v;
  for (const [k, v] of Object.entries(r.dmabuf)) out[`dmabuf.${k}`] = v;
  return out;
}

/** A result's metrics: {@link METRICS} in their order, then {@link extraMetrics}. */
export function metricsOf(r: RunResult): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [m, fn] of Object.entries(METRICS)) metrics[m] = fn(r);
  Object.assign(metrics, extraMetrics(r));
  return metrics;
}

/**
 * Run one grid point's job (plain data: no callbacks) and return its metrics.
 * The same function runs in this thread (`--jobs 1`) and in each worker, so
 * a point's numbers do not depend on where it ran.
 *
 * @example
 * ```ts
 * import { runSweepPoint } from "./sweep_run.ts";
 * const m = runSweepPoint({ bs: 512, ios: 2000 }, () => {});
 * console.log(m.iops > 0); // true
 * ```
 */
export function runSweepPoint(job: UringJob, progress: (fraction: number) => void): Record<string, number> {
  return metricsOf(runUring({ ...job, onProgress: progress }));
}
