/**
 * fio's normal output (stat.c show_thread_status_normal, show_run_stats,
 * show_disk_util): the header before the run, then per entry the
 * direction blocks, latency distribution, cpu, IO depths and issued lines,
 * then the run status groups and disk stats — fio's layout line by line.
 *
 * @module
 */
import { fixed, num2str } from "../common.ts";
import { fmtLatLine, fmtPercentileBlock } from "../format.ts";
import type { FioJobOpts } from "./job.ts";
import { type DirReport, type EntryReport, LAT_THRESHOLDS, percents } from "./report.ts";
import type { FioRun } from "./run.ts";
import { FIO_VERSION, summary } from "./json.ts";
import { cStrerror } from "./errors.ts";
import { diskStats } from "./disk.ts";

/** The simulated clock's date, where fio prints the wall clock's. */
export const SIM_DATE = "Thu Jan  1 00:00:00 1970";

function bsRange(sizes: number[]): string {
  return `${Math.min(...sizes)}B-${Math.max(...sizes)}B`;
}

function jobLine(o: FioJobOpts, group: number): string {
  const rd = o.bssplit ? o.bssplit.read.map(([b]) => b) : o.bsRange ?? [o.bsRead];
  const wr = o.bssplit ? o.bssplit.write.map(([b]) => b) : o.bsRange ?? [o.bsWrite];
  return `${o.name}: (g=${group}): rw=${o.rw}, bs=(R) ${bsRange(rd)}, (W) ${bsRange(wr)}, (T) ${
    bsRange(rd)
  }, ` +
    `ioengine=${o.ioengine}, iodepth=${o.iodepth}`;
}

/** fio's header before the run: a line per job (`...` for its clones), the version, `Starting N processes`. */
export function fioHeader(groups: FioJobOpts[][]): string {
  const lines: string[] = [];
  groups.forEach((g, gi) => {
    for (const o of g) {
      lines.push(jobLine(o, gi));
      if (o.numjobs > 1) lines.push("...");
    }
  });
  lines.push(FIO_VERSION);
  const jobs = groups.flat();
  const n = jobs.reduce((a, j) => a + j.numjobs, 0);
  const word = jobs.every((j) => j.thread) ? "thread" : "process";
  lines.push(`Starting ${n} ${n === 1 ? word : word === "thread" ? "threads" : "processes"}`);
  return lines.join("\n") + "\n";
}

function bwPair(bytesPerS: number): string {
  return `${num2str(bytesPerS, 1024, "B/s")} (${num2str(bytesPerS, 1000, "B/s")})`;
}

function latLine(name: string, s: DirReport["clat"]): string {
  return fmtLatLine(name, { minNs: s.min, maxNs: s.max, meanNs: s.mean, stddevNs: s.stddev }, "    ");
}

function dirBlock(name: string, d: DirReport): string[] {
  // fio 3.33 adds the write direction's zone resets (none: dmasim's drives are not zoned).
  const zones = name === "write" ? "; 0 zone resets" : "";
  const out = [
    `  ${name}: IOPS=${num2str(d.iopsInt)}, BW=${bwPair(d.bwBytes)}(${
      num2str(d.ioBytes, 1024, "B")
    }/${d.runtimeMs}msec)${zones}`,
    // stat.c prints a latency only when it has samples: sync engines take no slat (io_u_queued is not called).
    ...(d.slat.N > 0 ? [latLine("slat", d.slat)] : []),
    latLine("clat", d.clat),
    latLine(" lat", d.lat),
    ...fmtPercentileBlock("clat percentiles", d.percentiles, "    "),
  ];
  const bw = summary(d.bwSamples);
  const iops = summary(d.iopsSamples);
  if (bw.n > 0) {
    out.push(
      `   bw (  KiB/s): min=${bw.min}, max=${bw.max}, per=${fixed(d.bwAggPct, 2)}%, avg=${
        fixed(bw.mean, 2)
      }, ` +
        `stdev=${fixed(bw.dev, 2)}, samples=${bw.n}`,
      `   iops        : min=${iops.min}, max=${iops.max}, avg=${fixed(iops.mean, 2)}, stdev=${
        fixed(iops.dev, 2)
      }, samples=${iops.n}`,
    );
  }
  return out;
}

/** fio's `lat (unit)   : 250=11.82%, …` lines: buckets above 0, five a line. */
function latDistLines(e: EntryReport): string[] {
  const pct = percents(e.latNs);
  const out: string[] = [];
  const groups: [string, string[], number][] = [
    ["nsec", LAT_THRESHOLDS.map(String), 0],
    ["usec", LAT_THRESHOLDS.map(String), 10],
    ["msec", [...LAT_THRESHOLDS.map(String), "2000", ">=2000"], 20],
  ];
  for (const [unit, labels, base] of groups) {
    const items = labels.map((l, i) => [l, pct[base + i]] as [string, number]).filter(([, v]) => v > 0);
    for (let i = 0; i < items.length; i += 5) {
      out.push(
        `  lat (${unit})   : ${items.slice(i, i + 5).map(([l, v]) => `${l}=${fixed(v, 2)}%`).join(", ")}`,
      );
    }
  }
  return out;
}

/** fio's io_u distribution: percent, with anything present but under 0.1 shown as 0.1. */
function dist(counts: number[], keys: string[]): string {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c, i) => {
    let v = total > 0 ? (100 * c) / total : 0;
    if (v < 0.1 && c > 0) v = 0.1;
    return `${keys[i]}=${fixed(v, 1)}%`;
  }).join(", ");
}

function entryBlock(e: EntryReport): string[] {
  const [rd, wr] = e.dirs;
  const err = e.error;
  const out = [
    `${e.opts.name}: (groupid=${e.groupid}, jobs=${e.members.length}): err=${String(err).padStart(2)}${
      err !== 0 ? ` (${e.verror})` : ""
    }: pid=0: ${SIM_DATE}`,
  ];
  if (e.opts.description) out.push(`  Description  : [${e.opts.description}]`);
  if (rd.totalIos > 0) out.push(...dirBlock("read", rd));
  if (wr.totalIos > 0) out.push(...dirBlock("write", wr));
  out.push(...latDistLines(e));
  out.push(`  cpu          : usr=${fixed(e.usr, 2)}%, sys=${fixed(e.sys, 2)}%, ctx=0, majf=0, minf=0`);
  out.push(`  IO depths    : ${dist(e.maps.slice(0, 7), ["1", "2", "4", "8", "16", "32", ">=64"])}`);
  const batch = ["0", "4", "8", "16", "32", "64", ">=64"];
  out.push(`     submit    : ${dist(e.maps.slice(7, 14), batch)}`);
  out.push(`     complete  : ${dist(e.maps.slice(14, 21), batch)}`);
  out.push(
    `     issued rwts: total=${rd.totalIos},${wr.totalIos},0,0 short=0,0,0,0 dropped=0,0,0,0`,
  );
  if (e.continueOnError !== 0) {
    out.push(
      `     errors    : total=${e.totalErr}, first_error=${e.firstError}/<${cStrerror(e.firstError)}>`,
    );
  }
  out.push(`     latency   : target=0, window=0, percentile=100.00%, depth=${e.opts.iodepth}`);
  return out;
}

function groupLines(entries: EntryReport[], group: number): string[] {
  const out = [`Run status group ${group} (all jobs):`];
  ([0, 1] as const).forEach((d) => {
    const ds = entries.map((e) => e.dirs[d]).filter((x) => x.totalIos > 0);
    if (ds.length === 0) return;
    const bytes = ds.reduce((a, x) => a + x.ioBytes, 0);
    const maxRun = Math.max(...ds.map((x) => x.runtimeMs));
    const minRun = Math.min(...ds.map((x) => x.runtimeMs));
    const agg = Math.floor((bytes * 1000) / maxRun);
    const lo = Math.min(...ds.map((x) => x.bwBytes));
    const hi = Math.max(...ds.map((x) => x.bwBytes));
    out.push(
      `  ${d === 0 ? " READ" : "WRITE"}: bw=${bwPair(agg)}, ${num2str(lo, 1024, "B/s")}-${
        num2str(hi, 1024, "B/s")
      } (${num2str(lo, 1000, "B/s")}-${num2str(hi, 1000, "B/s")}), io=${num2str(bytes, 1024, "B")} (${
        num2str(bytes, 1000, "B")
      }), run=${minRun}-${maxRun}msec`,
    );
  });
  return out;
}

/** fio's normal output for finished runs: entries, run status groups, disk stats. */
export function fioNormal(runs: FioRun[]): string {
  const out: string[] = [];
  for (const run of runs) for (const e of run.entries) out.push(...entryBlock(e));
  for (const run of runs) {
    for (const g of run.groups) out.push("", ...groupLines(run.entries.filter((e) => e.groupid === g), g));
  }
  out.push("");
  out.push("Disk stats (read/write):");
  for (const d of diskStats(runs)) {
    out.push(
      `  ${d.name}: ios=${d.readIos}/${d.writeIos}, merge=0/0, ticks=${d.readTicks}/${d.writeTicks}, in_queue=${
        d.readTicks + d.writeTicks
      }, util=${fixed(d.utilPct, 2)}%`,
    );
  }
  return out.join("\n") + "\n";
}
