/**
 * fio's log files (write_bw_log, write_lat_log, write_iops_log with
 * log_avg_msec): `msec, value, direction, 0, 0` lines per averaging
 * window and direction, one file per job thread (`NAME_bw.N.log`, N from
 * 1) or per name with per_job_logs=0 — what fio2gnuplot and
 * fio_generate_plots read. Values: bw in KiB/s, IOPS, and the window's
 * mean clat in ns. write_lat_log writes the `_clat` log only: slat and lat
 * are not sampled per window (see docs/fio.md).
 *
 * @module
 */
import { UsageError } from "../common.ts";
import type { FioThreadResult } from "../engine.ts";
import type { FioJobOpts } from "./job.ts";
import type { FioRun } from "./run.ts";

/** A log file: its path and content. */
export interface LogFile {
  /** Path. */
  path: string;
  /** Lines. */
  text: string;
}

/** Refuse per-I/O logs (log_avg_msec=0, fio's default): every I/O's entry is not modelled. */
export function checkLogOptions(o: FioJobOpts): void {
  if ((o.logs.bw || o.logs.lat || o.logs.iops) && o.logs.avgMsec === 0) {
    const at = o.optionWhere.write_bw_log ?? o.optionWhere.write_lat_log ?? o.optionWhere.write_iops_log;
    throw new UsageError(
      `${at}: job "${o.name}": not modelled: per-I/O log entries (log_avg_msec=0); set log_avg_msec=N for averaged logs`,
    );
  }
}

type Kind = "bw" | "iops" | "clat";

function lines(t: FioThreadResult, kind: Kind): string[] {
  const out: string[] = [];
  for (let i = 1; i < t.samples.length; i++) {
    const a = t.samples[i - 1];
    const b = t.samples[i];
    const dt = (b.tNs - a.tNs) / 1e9;
    if (dt <= 0 || (t.endNs !== null && b.tNs > t.endNs)) continue;
    const ms = Math.round(b.tNs / 1e6);
    for (const d of [0, 1]) {
      const ios = b.dirs[d][0] - a.dirs[d][0];
      if (ios === 0) continue;
      const v = kind === "bw"
        ? Math.floor((b.dirs[d][1] - a.dirs[d][1]) / 1024 / dt)
        : kind === "iops"
        ? Math.floor(ios / dt)
        : Math.round((b.dirs[d][2] - a.dirs[d][2]) / ios);
      out.push(`${ms}, ${v}, ${d}, 0, 0`);
    }
  }
  return out;
}

/** The log files of finished runs. */
export function fioLogs(runs: FioRun[]): LogFile[] {
  const files = new Map<string, string[]>();
  let n = 0;
  for (const run of runs) {
    run.machine.threads.forEach((th, t) => {
      n++;
      const o = th.opts;
      const want: [string | undefined, Kind[]][] = [
        [o.logs.bw, ["bw"]],
        [o.logs.iops, ["iops"]],
        [o.logs.lat, ["clat"]],
      ];
      for (const [prefix, kinds] of want) {
        if (!prefix) continue;
        for (const k of kinds) {
          const path = o.logs.perJob ? `${prefix}_${k}.${n}.log` : `${prefix}_${k}.log`;
          files.set(path, [...(files.get(path) ?? []), ...lines(run.result.fioThreads![t], k)]);
        }
      }
    });
  }
  return [...files.entries()].map(([path, l]) => ({ path, text: l.length ? l.join("\n") + "\n" : "" }));
}
