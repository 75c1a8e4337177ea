/**
 * Running a set-up workload: the t/io_uring loop runs inside Wasm; this side
 * drives it in slices of events (one boundary crossing per slice, never per
 * I/O), reports progress between slices, and times the run on the wall clock.
 *
 * @module
 */
import { w } from "../wasm.ts";
import type { System } from "../system.ts";
import type { UringJob } from "../workload_types.ts";
import type { ResolvedJob } from "./job.ts";
import { BLK_MQ_COUNTER, ST, WL_STAT } from "./stat_index.ts";

/** Events per call into the loop: large enough to amortise the crossing, small enough for a live progress bar. */
const EVENTS_PER_SLICE = 200_000;

/** `wl_run`'s answers (asm/user/workload.ts): the run finished, or nothing is left to run. */
const WL_RUN_FINISHED = 1;
const WL_RUN_STALLED = -1;

/**
 * Run the workload set up on `sys` to its end, calling `afterSlice` after each slice of events (where
 * per-second samples are read out as they are recorded); returns the wall-clock seconds it took.
 */
export function runToEnd(sys: System, job: ResolvedJob, userJob: UringJob, afterSlice: () => void): number {
  if (userJob.trace) w.trace_start();
  const wall0 = performance.now();
  w.wl_start();
  for (;;) {
    const st = w.wl_run(EVENTS_PER_SLICE);
    afterSlice();
    if (st === WL_RUN_FINISHED) break;
    if (st === WL_RUN_STALLED) {
      throw new Error(
        "simulation stalled: no event left before the run finished" +
          (w.blk_mq_counter(BLK_MQ_COUNTER.waiting) > 0
            ? ` (${
              w.blk_mq_counter(BLK_MQ_COUNTER.waiting)
            } requests wait on blk-mq dispatch lists for IOVA ` +
              "space or PRP pool blocks nothing will free: the kernel would retry them every 3 ms for ever)"
            : ""),
      );
    }
    if (userJob.onProgress) userJob.onProgress(Math.min(1, progress(sys, job)));
  }
  const wallS = (performance.now() - wall0) / 1000;
  if (userJob.trace) w.trace_stop();
  return wallS;
}

/** How far the run is: I/Os done of the count, or simulated time of the runtime once measuring. */
function progress(sys: System, job: ResolvedJob): number {
  const expect = job.ios ?? (job.fio && job.runtimeNs === null ? job.fio.reduce((a, f) => a + f.ios, 0) : 0);
  const measured = w.stat_get(ST.ios) + w.stat_get(ST.errors);
  return expect > 0
    ? measured / expect
    : w.wl_stat(WL_STAT.measuring)
    ? (sys.coreTimeNs(0) - w.wl_stat(WL_STAT.t0Ns)) / (job.runtimeNs ?? 1)
    : 0;
}
