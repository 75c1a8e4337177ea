/**
 * fio's terse output, version 3 (stat.c show_thread_status_terse_v3_v4):
 * one `;`-separated line per report entry; latencies in microseconds.
 *
 * @module
 */
import { fixed } from "../common.ts";
import type { DirReport, EntryReport } from "./report.ts";
import { percents } from "./report.ts";
import type { FioRun } from "./run.ts";
import { FIO_VERSION, summary } from "./json.ts";
import { diskStats } from "./disk.ts";

const us = (ns: number) => ns / 1e3;
const f6 = (v: number) => fixed(v, 6);

function latFields(s: DirReport["clat"]): string[] {
  return [String(Math.floor(us(s.min))), String(Math.floor(us(s.max))), f6(us(s.mean)), f6(us(s.stddev))];
}

function dirFields(d: DirReport): string[] {
  const pct = Object.entries(d.percentiles).map(([k, v]) => `${k}%=${Math.floor(us(v))}`);
  while (pct.length < 20) pct.push("0%=0");
  const bw = summary(d.bwSamples);
  return [
    String(d.ioKbytes),
    String(d.bwKiB),
    String(Math.floor(d.iops)),
    String(d.runtimeMs),
    ...latFields(d.slat),
    ...latFields(d.clat),
    ...pct,
    ...latFields(d.lat),
    String(bw.min),
    String(bw.max),
    `${f6(d.bwAggPct)}%`,
    f6(bw.mean),
    f6(bw.dev),
  ];
}

function entryLine(e: EntryReport, disks: string[]): string {
  const err = e.error;
  const p = (xs: number[], d: number) => xs.map((v) => `${fixed(v, d)}%`);
  const lat = percents(e.latNs);
  return [
    "3",
    FIO_VERSION,
    e.opts.name,
    String(e.groupid),
    String(err),
    ...dirFields(e.dirs[0]),
    ...dirFields(e.dirs[1]),
    `${f6(e.usr)}%`,
    `${f6(e.sys)}%`,
    "0",
    "0",
    "0",
    ...p(percents(e.maps.slice(0, 7)), 1),
    ...p(lat.slice(10, 20), 2),
    ...p(lat.slice(20, 32), 2),
    ...disks,
    // stat.c appends these only when continue_on_error is set.
    ...(e.continueOnError !== 0 ? [String(e.totalErr), String(e.firstError)] : []),
  ].join(";");
}

/** fio's terse v3 lines for finished runs (the disk fields on each line, as fio does). */
export function fioTerse(runs: FioRun[]): string {
  const disks = diskStats(runs).flatMap((d) => [
    d.name,
    String(d.readIos),
    String(d.writeIos),
    "0",
    "0",
    String(d.readTicks),
    String(d.writeTicks),
    String(d.readTicks + d.writeTicks),
    `${fixed(d.utilPct, 2)}%`,
  ]);
  return runs.flatMap((r) => r.entries.map((e) => entryLine(e, disks) + "\n")).join("");
}
