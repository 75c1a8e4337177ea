/**
 * fio's "Disk stats" / `disk_util` per drive, from the model: I/Os are the
 * drive's commands (split into reads and writes as the jobs issued them),
 * ticks the completion latencies in milliseconds, and util the drive
 * controller's busy fraction over the simulated time.
 *
 * @module
 */
import type { FioRun } from "./run.ts";

/** One drive's figures. */
export interface DiskStat {
  /** Drive name (e.g. nvme0n1). */
  name: string;
  /** Read commands. */
  readIos: number;
  /** Write commands. */
  writeIos: number;
  /** Read ticks, ms. */
  readTicks: number;
  /** Write ticks, ms. */
  writeTicks: number;
  /** Busy percent. */
  utilPct: number;
}

/** Disk figures over all runs, per drive in first-use order. */
export function diskStats(runs: FioRun[]): DiskStat[] {
  const by = new Map<string, DiskStat & { busyNs: number; ns: number }>();
  for (const run of runs) {
    const r = run.result;
    const ts = r.fioThreads ?? [];
    const rd = ts.reduce((a, t) => a + t.read.ios, 0);
    const wr = ts.reduce((a, t) => a + t.write.ios, 0);
    const rdClat = ts.reduce((a, t) => a + t.read.clat.sum, 0);
    const wrClat = ts.reduce((a, t) => a + t.write.clat.sum, 0);
    const share = 1 / Math.max(1, r.devices.length);
    for (const d of r.devices) {
      const cmds = Math.round((d.iops * r.simNs) / 1e9);
      const readShare = rd + wr > 0 ? rd / (rd + wr) : 0;
      const s = by.get(d.name) ??
        { name: d.name, readIos: 0, writeIos: 0, readTicks: 0, writeTicks: 0, utilPct: 0, busyNs: 0, ns: 0 };
      s.readIos += Math.round(cmds * readShare);
      s.writeIos += cmds - Math.round(cmds * readShare);
      s.readTicks += Math.round((rdClat * share) / 1e6);
      s.writeTicks += Math.round((wrClat * share) / 1e6);
      s.busyNs += d.ctrlUtil * r.simNs;
      s.ns += r.simNs;
      by.set(d.name, s);
    }
  }
  return [...by.values()].map(({ busyNs, ns, ...s }) => ({
    ...s,
    utilPct: ns > 0 ? (100 * busyNs) / ns : 0,
  }));
}
