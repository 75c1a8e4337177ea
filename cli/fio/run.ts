/**
 * Running fio jobs: each run (jobs between stonewalls) on a fresh simulated
 * machine, its jobs' threads together; then the report entries per
 * reporting group (one per thread, or one per group with group_reporting).
 * Runs are independent machines: with `--jobs N` they go to the worker pool
 * (cli/pool.ts, as `dmasim sweep --jobs` uses it), results in job-file
 * order, the same bytes as one after another.
 *
 * @module
 */
import type { RunResult } from "../engine.ts";
import { cliRunError } from "../uring.ts";
import type { Progress } from "../common.ts";
import { runPool } from "../pool.ts";
import { ProfileError } from "../engine.ts";
import { runFioMachine } from "./run_task.ts";
import { fioFieldSource, type FioJobOpts, groupJobs } from "./job.ts";
import { type FioMachine, machineOf } from "./machine.ts";
import { type EntryReport, entryReport } from "./report.ts";

/** A finished run: its machine, result and report entries. */
export interface FioRun {
  /** The machine (engine job, threads, notes). */
  machine: FioMachine;
  /** The engine's result. */
  result: RunResult;
  /** Report entries, in fio's order. */
  entries: EntryReport[];
  /** Reporting group ids of this run, in order. */
  groups: number[];
}

/** Build every run's machine first, so bad input fails before any simulation. */
export function planRuns(
  jobs: FioJobOpts[],
  profile?: string,
): { machine: FioMachine; groups: FioJobOpts[][] }[] {
  let first = 0;
  return groupJobs(jobs).map((groups) => {
    const machine = machineOf(groups, profile, first);
    first += machine.threads.length;
    return { machine, groups };
  });
}

function entriesOf(m: FioMachine, r: RunResult, groups: FioJobOpts[][], firstGroup: number): EntryReport[] {
  const out: EntryReport[] = [];
  groups.forEach((g, gi) => {
    const members = m.threads.map((t, i) => (g.includes(t.opts) ? i : -1)).filter((i) => i >= 0);
    if (g.some((o) => o.groupReporting)) out.push(entryReport(m, r, members, firstGroup + gi));
    else for (const t of members) out.push(entryReport(m, r, [t], firstGroup + gi));
  });
  return out;
}

/** How an engine job field is named in a run's job file: the line and option that set it. */
function fieldName(m: FioMachine, field: string): string {
  const t = /^fioThreads\[(\d+)\]/.exec(field);
  const o = m.threads[t ? Number(t[1]) : 0].opts;
  const src = fioFieldSource(o, field);
  return `${src.where}: job "${o.name}": ${src.name}`;
}

/**
 * Run the planned runs on up to `jobs` workers (in this thread when 1), in
 * job-file order; `bar` shows progress over all of them. A failure is the
 * one the first failing run would give run one after another.
 */
export async function runAll(
  plans: { machine: FioMachine; groups: FioJobOpts[][] }[],
  bar: Progress,
  jobs = 1,
): Promise<FioRun[]> {
  const inputs = plans.map((p) => {
    const { onProgress: _p, ...job } = p.machine.job;
    return job;
  });
  const results = await runPool(inputs, {
    worker: new URL("./worker.ts", import.meta.url),
    handler: runFioMachine,
    jobs,
    errorClasses: { ProfileError },
    mapError: (e, i) => cliRunError(e, (field) => fieldName(plans[i].machine, field)),
    onProgress: (p) => bar.update(p.fraction),
  });
  const runs: FioRun[] = [];
  let group = 0;
  plans.forEach((p, i) => {
    const groups = p.groups.map((_, gi) => group + gi);
    runs.push({
      machine: p.machine,
      result: results[i],
      entries: entriesOf(p.machine, results[i], p.groups, group),
      groups,
    });
    group += p.groups.length;
  });
  return runs;
}
