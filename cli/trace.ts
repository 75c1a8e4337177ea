/**
 * `dmasim trace`: a short t/io_uring run written as a Chrome trace-event
 * JSON file, loadable in the Perfetto UI (https://ui.perfetto.dev) and
 * chrome://tracing: each I/O as an async slice through its stages (submit,
 * map, command, device, complete, unmap) on its drive's track, CPU work per
 * core, IOMMU invalidations per IOMMU unit, and counters (queue depth, IOTLB
 * misses).
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import {
  checkOutputPath,
  type Io,
  makeProgress,
  RunFailure,
  setupCommand,
  STDIO,
  streamOf,
  writeOrStream,
  writeOutputFile,
} from "./common.ts";
import type { RunResult, TraceRecord } from "./engine.ts";
import { addUringOptions, buildUringJob, runJob, type UringFlags } from "./uring.ts";
import { VERSION } from "./version.ts";

/** One Chrome trace event (the fields dmasim writes). */
export interface TraceEvent {
  /** Name. */
  name: string;
  /** Phase: M metadata, X complete, b/e async begin/end, C counter. */
  ph: "M" | "X" | "b" | "e" | "C";
  /** Timestamp, µs (float). */
  ts: number;
  /** Process id: the track group. */
  pid: number;
  /** Thread id: the track. */
  tid: number;
  /** Category. */
  cat?: string;
  /** Duration, µs (X only). */
  dur?: number;
  /** Async id (b/e). */
  id?: number;
  /** Arguments. */
  args?: Record<string, unknown>;
}

/** Track groups (trace-event `pid`s). */
export const PID_CPU = 1;
/** IOMMU units. */
export const PID_IOMMU = 2;
/** Counters. */
export const PID_COUNTERS = 3;
/** Drives: PID_DEVICE_BASE + device index. */
export const PID_DEVICE_BASE = 10;

/** The order of an I/O's stages (`TraceRecord.name` for kind "io"). */
export const IO_STAGES = ["submit", "map", "command", "device", "complete", "unmap"];

const us = (ns: number) => ns / 1000;

interface Sortable {
  ev: TraceEvent;
  /**
   * [0 metadata | 1 timed, ts]. The sort is stable, so events at equal ts keep the order they were
   * made in: each I/O's begin/end events are made in nesting order, each track's slices in nesting order.
   */
  key: [number, number];
}

/**
 * Make proper nesting of complete ("X") slices on one track: a slice that
 * starts inside another but would end after it is cut at the outer slice's
 * end (the format and Perfetto require slices on a thread to nest).
 * Returns the number of slices cut.
 */
export function nestSlices(events: TraceEvent[]): number {
  events.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const stack: number[] = [];
  let cut = 0;
  for (const e of events) {
    while (stack.length && e.ts >= stack[stack.length - 1]) stack.pop();
    if (stack.length && e.ts + e.dur! > stack[stack.length - 1]) {
      e.dur = stack[stack.length - 1] - e.ts;
      cut++;
    }
    stack.push(e.ts + e.dur!);
  }
  return cut;
}

/** One piece of an I/O's stage on its track: [bNs, eNs), siblings in time order. */
export interface StagePiece {
  /** The stage (`IO_STAGES`). */
  name: string;
  /** Start, ns. */
  bNs: number;
  /** End, ns. */
  eNs: number;
}

/**
 * Lay an I/O's stages (sorted by start) out as non-overlapping siblings. The
 * kernel's stages nest: the block layer's submit (blk_mq_submit_bio) encloses
 * nvme_queue_rq's DMA map and command set-up, so the model records submit
 * with a span that contains map and command. Laying them end to end would
 * squeeze map and command to nothing (they would start where submit ends);
 * instead an enclosing stage is cut where the enclosed one starts and resumes,
 * under its own name, after it — `submit | map | command | submit` — so every
 * stage shows the time the model charged to it, and slices stay two deep.
 *
 * @example
 * ```ts
 * import { stagePieces } from "./trace.ts";
 * const p = stagePieces([
 *   { kind: "io", name: "submit", tNs: 0, durNs: 100, track: 0, value: 1 },
 *   { kind: "io", name: "map", tNs: 20, durNs: 30, track: 0, value: 1 },
 * ]);
 * console.log(p.map((x) => `${x.name} ${x.bNs}-${x.eNs}`)); // ["submit 0-20", "map 20-50", "submit 50-100"]
 * ```
 */
export function stagePieces(stages: readonly TraceRecord[]): StagePiece[] {
  const pieces: StagePiece[] = [];
  const open: { name: string; eNs: number }[] = []; // enclosing stages cut by a nested one
  let cursor = stages.length ? stages[0].tNs : 0;
  const resume = (upTo: number) => {
    const top = open[open.length - 1];
    if (upTo > cursor) pieces.push({ name: top.name, bNs: cursor, eNs: upTo });
    cursor = Math.max(cursor, upTo);
  };
  stages.forEach((s, i) => {
    while (open.length && open[open.length - 1].eNs <= s.tNs) resume(open.pop()!.eNs);
    const b = Math.max(s.tNs, cursor); // siblings never overlap
    if (open.length) resume(b); // the enclosing stage's own time between its nested ones
    let e = Math.max(b, s.tNs + Math.max(0, s.durNs));
    if (open.length) e = Math.min(e, open[open.length - 1].eNs);
    const next = stages[i + 1];
    if (next && next.tNs < e) {
      // `next` starts inside this stage: this one is cut there and resumes after it.
      if (next.tNs > b) pieces.push({ name: s.name, bNs: b, eNs: next.tNs });
      else pieces.push({ name: s.name, bNs: b, eNs: b });
      open.push({ name: s.name, eNs: e });
      cursor = Math.max(b, next.tNs);
    } else {
      pieces.push({ name: s.name, bNs: b, eNs: e });
      cursor = e;
    }
  });
  while (open.length) resume(open.pop()!.eNs);
  return pieces;
}

/**
 * The line saying the trace stopped before the run did (the model keeps a
 * fixed number of records and counts the rest), or null when it holds the
 * whole run. Without it a trace that silently ends early would read as a run
 * that went idle.
 */
export function recordingStopped(r: RunResult): string | null {
  const dropped = r.traceDropped ?? 0;
  const recs = r.trace ?? [];
  if (dropped === 0) return null;
  const lastNs = recs.reduce((m, x) => Math.max(m, x.tNs), 0);
  return `trace: recording stopped at ${(lastNs / 1000).toFixed(3)} us simulated of ${
    (r.simNs / 1000).toFixed(3)
  } us: record limit reached (${recs.length} records kept, ${dropped} later ones dropped); use fewer --ios`;
}

/**
 * Turn a traced run's records into Chrome trace-event JSON (object form,
 * `displayTimeUnit` ns, timestamps in µs as the format requires).
 *
 * @example
 * ```ts
 * import { toChromeTrace } from "./trace.ts";
 * import { runUring } from "./engine.ts";
 * const r = runUring({ ios: 100, depth: 16, trace: true });
 * const t = toChromeTrace(r);
 * console.log(t.traceEvents.some((e) => e.ph === "b")); // true
 * ```
 */
export function toChromeTrace(
  r: RunResult,
): { traceEvents: TraceEvent[]; displayTimeUnit: "ns"; otherData: Record<string, unknown> } {
  const recs: TraceRecord[] = r.trace ?? [];
  const out: Sortable[] = [];
  const meta = (
    pid: number,
    tid: number,
    name: "process_name" | "thread_name" | "process_sort_index",
    v: unknown,
  ) =>
    out.push({
      ev: {
        name,
        ph: "M",
        ts: 0,
        pid,
        tid,
        args: name === "process_sort_index" ? { sort_index: v } : { name: v },
      },
      key: [0, 0],
    });

  // Tracks.
  const devices = r.job.devices;
  meta(PID_CPU, 0, "process_name", "CPU");
  meta(PID_CPU, 0, "process_sort_index", 0);
  devices.forEach((d, i) => {
    meta(PID_DEVICE_BASE + i, 0, "process_name", `${d} I/Os`);
    meta(PID_DEVICE_BASE + i, 0, "process_sort_index", 10 + i);
  });
  const cores = new Set<number>();
  const units = new Set<number>();

  // CPU work and invalidations: complete events per track, nested.
  const xByTrack = new Map<string, TraceEvent[]>();
  for (const rec of recs) {
    if (rec.kind !== "cpu" && rec.kind !== "inval") continue;
    const pid = rec.kind === "cpu" ? PID_CPU : PID_IOMMU;
    (rec.kind === "cpu" ? cores : units).add(rec.track);
    const ev: TraceEvent = {
      name: rec.name,
      ph: "X",
      ts: us(rec.tNs),
      dur: us(Math.max(0, rec.durNs)),
      pid,
      tid: rec.track,
      cat: rec.kind === "cpu" ? "cpu" : "iommu",
    };
    if (rec.value) ev.args = { value: rec.value };
    const k = `${pid}/${rec.track}`;
    if (!xByTrack.has(k)) xByTrack.set(k, []);
    xByTrack.get(k)!.push(ev);
  }
  let cut = 0;
  for (const list of xByTrack.values()) {
    cut += nestSlices(list);
    for (const ev of list) out.push({ ev, key: [1, ev.ts] });
  }
  for (const c of [...cores].sort((a, b) => a - b)) meta(PID_CPU, c, "thread_name", `core ${c}`);
  if (units.size) {
    meta(PID_IOMMU, 0, "process_name", "IOMMU");
    meta(PID_IOMMU, 0, "process_sort_index", 1);
    for (const u of [...units].sort((a, b) => a - b)) meta(PID_IOMMU, u, "thread_name", `IOMMU unit ${u}`);
  }

  // I/Os: one async slice per I/O on its drive's track, its stages nested inside, in order. Records
  // are grouped by their sequence number (`value`); should an engine reuse numbers (a tag or ring
  // slot), a stage that does not come after the previous one starts a new I/O.
  const byValue = new Map<number, TraceRecord[]>();
  for (const rec of recs) {
    if (rec.kind !== "io") continue;
    if (!byValue.has(rec.value)) byValue.set(rec.value, []);
    byValue.get(rec.value)!.push(rec);
  }
  const stageRank = (n: string) => {
    const i = IO_STAGES.indexOf(n);
    return i < 0 ? IO_STAGES.length : i;
  };
  const ios: TraceRecord[][] = [];
  for (const list of byValue.values()) {
    list.sort((a, b) => a.tNs - b.tNs || stageRank(a.name) - stageRank(b.name));
    let cur: TraceRecord[] = [];
    for (const rec of list) {
      const last = cur[cur.length - 1];
      if (last && (stageRank(rec.name) <= stageRank(last.name) || rec.track !== last.track)) {
        ios.push(cur);
        cur = [];
      }
      cur.push(rec);
    }
    if (cur.length) ios.push(cur);
  }
  ios.sort((a, b) => a[0].tNs - b[0].tNs || a[0].value - b[0].value);
  const dir = r.job.noop ? "nop" : r.job.write ? "write" : "read";
  ios.forEach((stages, id) => {
    const pid = PID_DEVICE_BASE + stages[0].track;
    const start = stages[0].tNs;
    const pieces = stagePieces(stages);
    const end = Math.max(start, ...pieces.map((p) => p.eNs));
    const name = `${dir} ${r.job.bs} B`;
    const tid = pid;
    out.push({
      ev: { name, ph: "b", ts: us(start), pid, tid, cat: "io", id, args: { seq: stages[0].value } },
      key: [1, us(start)],
    });
    for (const p of pieces) {
      out.push({
        ev: { name: p.name, ph: "b", ts: us(p.bNs), pid, tid, cat: "io", id },
        key: [1, us(p.bNs)],
      });
      out.push({
        ev: { name: p.name, ph: "e", ts: us(p.eNs), pid, tid, cat: "io", id },
        key: [1, us(p.eNs)],
      });
    }
    out.push({ ev: { name, ph: "e", ts: us(end), pid, tid, cat: "io", id }, key: [1, us(end)] });
  });

  // Counters.
  const counterNames = new Set<string>();
  for (const rec of recs) {
    if (rec.kind !== "counter") continue;
    const name = `${rec.name} #${rec.track}`;
    counterNames.add(name);
    out.push({
      ev: {
        name,
        ph: "C",
        ts: us(rec.tNs),
        pid: PID_COUNTERS,
        tid: 0,
        cat: "counter",
        args: { value: rec.value },
      },
      key: [1, us(rec.tNs)],
    });
  }
  if (counterNames.size) {
    meta(PID_COUNTERS, 0, "process_name", "Counters");
    meta(PID_COUNTERS, 0, "process_sort_index", 2);
  }

  out.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1]);
  return {
    traceEvents: out.map((s) => s.ev),
    displayTimeUnit: "ns",
    otherData: {
      generator: `dmasim ${VERSION}`,
      profile: r.job.profile,
      iommu: r.job.iommu,
      buffers: r.job.buffers,
      devices: r.job.devices,
      depth: r.job.depth,
      bs: r.job.bs,
      seed: r.job.seed,
      records: recs.length,
      records_dropped: r.traceDropped ?? 0,
      slices_cut_to_nest: cut,
    },
  };
}

/**
 * The `trace` command.
 *
 * @example
 * ```ts
 * import { traceCommand } from "./trace.ts";
 * await traceCommand().parseAsync(["--ios", "200", "-o", "/tmp/trace.json"], { from: "user" });
 * ```
 */
export function traceCommand(io: Io = STDIO): Command {
  const cmd = new Command("trace")
    .summary("a short run as a Perfetto / Chrome trace-event JSON file")
    .description(
      "Run a short t/io_uring workload (flags as for `dmasim uring`) and write it as Chrome trace-event " +
        "JSON: each I/O an async slice through its stages (submit, map, command, device, complete, unmap) " +
        "on its drive's track; CPU work per core; IOTLB invalidations per IOMMU unit; counters (queue " +
        "depth, IOTLB misses). Open it in https://ui.perfetto.dev or chrome://tracing.",
    )
    .argument("[device...]", "drives to use (profile device names)");
  addUringOptions(cmd, "200 I/Os");
  cmd
    .option(
      "-o, --output <file>",
      "trace file to write ('-' or /dev/stdout for stdout, /dev/stderr)",
      "trace.json",
    )
    .addHelpText(
      "after",
      `
Examples:
  dmasim trace --ios 200 -o trace.json                        then open trace.json in ui.perfetto.dev
  dmasim trace -b 512 --iommu strict --ios 500 -o strict.json  see the invalidations serialise
  dmasim trace -b 512 --iommu strict --buffers dmabuf -o dmabuf.json`,
    );
  setupCommand(cmd);
  cmd.action((devices, opts) => {
    const f = opts as unknown as UringFlags & { output: string };
    const { job } = buildUringJob(f, devices, { ios: 200 });
    checkOutputPath(f.output); // before the run, so a long one is not lost to a bad path
    job.trace = true;
    const bar = makeProgress("trace", f.quiet);
    job.onProgress = (x) => bar.update(x);
    let r: RunResult;
    try {
      r = runJob(job);
    } finally {
      bar.stop();
    }
    if (!r.trace || r.trace.length === 0) throw new RunFailure("the engine returned no trace records");
    const t = toChromeTrace(r);
    const text = JSON.stringify(t) + "\n";
    const count = (ph: string, cat?: string) =>
      t.traceEvents.filter((e) => e.ph === ph && (cat === undefined || e.cat === cat)).length;
    if (streamOf(f.output) !== null) {
      writeOrStream(f.output, text, io);
    } else {
      writeOutputFile(f.output, text);
      const ioCount = new Set(t.traceEvents.filter((e) => e.ph === "b").map((e) => `${e.pid}/${e.id}`)).size;
      io.out(
        `wrote ${f.output}: ${t.traceEvents.length} events: ${ioCount} I/O slices, ${
          count("X", "cpu")
        } CPU slices, ${count("X", "iommu")} invalidations, ${count("C")} counter samples; ${r.ios} I/Os in ${
          (r.simNs / 1000).toFixed(3)
        } us simulated\n` +
          `open it in https://ui.perfetto.dev (or chrome://tracing)\n`,
      );
    }
    const stopped = recordingStopped(r);
    if (stopped) io.err(stopped + "\n");
    if (r.errors > 0) throw new RunFailure(`${r.errors} of ${r.ios + r.errors} I/Os failed`);
  });
  return cmd as unknown as Command;
}
