/**
 * The workload runner: t/io_uring's submitter loop over a simulated
 * machine. Set-up (rings, files, buffers, dma-bufs) goes through the same
 * uAPI a program uses; the loop itself runs inside Wasm. Every number in the
 * result comes out of the simulation.
 *
 * One concern per file under `workload/`: the job checked and resolved
 * (job.ts), the machine set up (setup.ts), the run driven (run.ts), the
 * results read out (results.ts, latency.ts), and the names of the Wasm side's statistics
 * (stat_index.ts).
 *
 * @module
 */
import { System } from "./system.ts";
import type { RunResult, UringJob } from "./workload_types.ts";
import { resolveJob } from "./workload/job.ts";
import { setUpMachine } from "./workload/setup.ts";
import { runToEnd } from "./workload/run.ts";
import { collectResult, SampleReader } from "./workload/results.ts";

export type * from "./workload_types.ts";
export { JobError } from "./workload/job.ts";
export { LAYER_NAMES } from "./workload/results.ts";
export { PERCENTILES } from "./workload/latency.ts";

/**
 * Run a t/io_uring-like job and return its results.
 *
 * @example
 * ```ts
 * import { runUring } from "./workload.ts";
 * const r = runUring({ profile: "optane-p5800x", iommu: "lazy", bs: 512, buffers: "dmabuf", ios: 200_000 });
 * console.log(Math.round(r.iops / 1e3), "KIOPS");
 * ```
 */
export function runUring(job: UringJob): RunResult {
  // The machine first: its profile is checked before the job is checked against it.
  const sys = new System({
    profile: job.profile ?? "optane-p5800x",
    iommu: job.iommu,
    functional: job.functional ?? false,
    seed: job.seed ?? 1,
  });
  const resolved = resolveJob(job, sys);
  const ringIds = setUpMachine(sys, resolved);
  // Per-second samples reach job.onSample as the run records them, not at its end, so a piped
  // `dmasim uring -r 1h` prints t/io_uring's line each simulated second as t/io_uring does.
  const samples = new SampleReader(sys, resolved.threads, job.onSample);
  const wallS = runToEnd(sys, resolved, job, () => samples.take());
  return collectResult(sys, resolved, job, ringIds, wallS, samples);
}
