/**
 * Running fio jobs: each run (jobs between stonewalls) on a fresh simulated
 * machine, its jobs' threads together; then the report entries per
 * reporting group (one per thread, or one per group with group_reporting).
 * Runs go one after another: the sweep worker pool (issue 13) has not
 * landed, so independent runs are not spread over processes yet.
 *
 * @module
 */
import type { RunResult } from "../engine.ts";
import { runJob } from "../uring.ts";
import type { Progress } from "../common.ts";
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
  return groupJobs(jobs).map((groups) => ({ machine: machineOf(groups.flat(), profile), groups }));
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

/** Run the planned runs in order; `bar` shows progress over all of them. */
export function runAll(
  plans: { machine: FioMachine; groups: FioJobOpts[][] }[],
  bar: Progress,
): FioRun[] {
  const runs: FioRun[] = [];
  let group = 0;
  plans.forEach((p, i) => {
    p.machine.job.onProgress = (x) => bar.update((i + x) / plans.length);
    const result = runJob(p.machine.job, (field) => {
      const t = /^fioThreads\[(\d+)\]/.exec(field);
      const o = p.machine.threads[t ? Number(t[1]) : 0].opts;
      const src = fioFieldSource(o, field);
      return `${src.where}: job "${o.name}": ${src.name}`;
    });
    const groups = p.groups.map((_, gi) => group + gi);
    runs.push({ machine: p.machine, result, entries: entriesOf(p.machine, result, p.groups, group), groups });
    group += p.groups.length;
  });
  return runs;
}
