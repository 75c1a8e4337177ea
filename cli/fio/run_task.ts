/**
 * One fio run on a simulated machine: its engine job to its result. Kept
 * apart from the command so that a pool worker (worker.ts) loads only the
 * engine.
 *
 * @module
 */
import { type RunResult, runUring, type UringJob } from "../engine.ts";

/** Run one stonewall-separated run's engine job, reporting progress in [0, 1]. */
export function runFioMachine(job: UringJob, progress: (fraction: number) => void): RunResult {
  return runUring({ ...job, onProgress: progress });
}
