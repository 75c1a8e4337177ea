/**
 * `dmasim sweep`: run a grid over any workload or profile parameter (e.g.
 * depth × IOMMU mode × buffer kind), write the results as CSV and JSON, and
 * plot a chosen metric against a chosen parameter as SVG (vega-lite, one
 * line per series: each combination of the other parameters).
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import {
  checkOutputPath,
  enumArg,
  fixed,
  intArg,
  type Io,
  loadProfile,
  makeProgress,
  makeTable,
  parseBool,
  parseDurationNs,
  parseEnum,
  parseIntIn,
  RunFailure,
  setupCommand,
  STDIO,
  UsageError,
  ValueError,
  writeOutputFile,
} from "./common.ts";
import { ProfileError, resolveProfile, type UringJob } from "./engine.ts";
import { csvField, fmtNum, toJson } from "./format.ts";
import {
  addUringOptions,
  BUFFER_KINDS,
  buildUringJob,
  cliRunError,
  IOMMU_MODES,
  URING_FIELD_FLAGS,
  type UringFlags,
} from "./uring.ts";
import { runPool } from "./pool.ts";
import { METRICS, runSweepPoint } from "./sweep_run.ts";
import {
  encodeNumber,
  joinShards,
  parseShard,
  parseShardFile,
  type Shard,
  SHARD_FORMAT,
  type ShardFile,
  shardFileName,
  shardIndices,
  shardText,
  sweepFingerprint,
} from "./sweep_shard.ts";
import { VERSION } from "./version.ts";
export { METRICS } from "./sweep_run.ts";

/** A value a parameter takes: what the job gets, and how it is shown. */
export interface ParamValue {
  /** Shown in CSV, JSON, legends. */
  label: string;
  /** The value itself (number, boolean, string or a profile). */
  value: number | boolean | string | Record<string, unknown>;
}

/** A swept parameter. */
export interface SweepParam {
  /** Its name as given (`depth`, `iommu`, `profile.iommu.inval_latency_ns`). */
  name: string;
  /** Values in the order given. */
  values: ParamValue[];
}

/** UringJob fields a sweep can set. */
export type JobField = Exclude<keyof UringJob, "onSample" | "onProgress" | "trace" | "profile" | "devices">;

const INT = (min: number, max: number, units = false) => (t: string) =>
  parseIntIn(t, min, max, units ? 0 : false);

/** Workload parameters a sweep can vary (UringJob fields), with their parsers. */
export const JOB_PARAMS: Record<
  string,
  { field: JobField; parse: (t: string) => number | boolean | string }
> = {
  depth: { field: "depth", parse: INT(1, 32768) },
  threads: { field: "threads", parse: INT(1, 64) },
  submitBatch: { field: "submitBatch", parse: INT(1, 32768) },
  completeBatch: { field: "completeBatch", parse: INT(1, 32768) },
  bs: { field: "bs", parse: INT(1, 1 << 24, true) },
  polled: { field: "polled", parse: parseBool },
  fixedFiles: { field: "fixedFiles", parse: parseBool },
  buffers: { field: "buffers", parse: (t) => parseEnum(t, BUFFER_KINDS) },
  dmabufMemory: { field: "dmabufMemory", parse: (t) => parseEnum(t, ["host", "gpu"] as const) },
  iommu: { field: "iommu", parse: (t) => parseEnum(t, IOMMU_MODES) },
  direct: { field: "direct", parse: parseBool },
  random: { field: "random", parse: parseBool },
  write: { field: "write", parse: parseBool },
  rangeBytes: { field: "rangeBytes", parse: INT(512, 2 ** 52, true) },
  noop: { field: "noop", parse: parseBool },
  runtimeNs: {
    field: "runtimeNs",
    parse: (t) => {
      const ns = parseDurationNs(t, "ns");
      if (ns === null || ns <= 0) throw new ValueError("a duration in ns, or with a unit (10ms, 1s)", t);
      return ns;
    },
  },
  ios: { field: "ios", parse: INT(1, 1e12) },
  warmupIos: { field: "warmupIos", parse: INT(0, 1e9) },
  seed: { field: "seed", parse: INT(0, 2 ** 32 - 1) },
  functional: { field: "functional", parse: parseBool },
};

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let o: Record<string, unknown> = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const next = o[path[i]];
    if (typeof next !== "object" || next === null) {
      throw new ProfileError(path.slice(0, i + 1).join("."), "no such section");
    }
    o = next as Record<string, unknown>;
  }
  o[path[path.length - 1]] = value;
}

function getPath(obj: unknown, path: string[]): unknown {
  let o = obj;
  for (const k of path) {
    if (typeof o !== "object" || o === null) return undefined;
    o = (o as Record<string, unknown>)[k];
  }
  return o;
}

/**
 * Parse one `--param name=v1,v2,…`: a workload field ({@link JOB_PARAMS}),
 * `profile=NAME|FILE,…`, or a profile field by dotted path
 * (`profile.iommu.inval_latency_ns=500,1000`, `profile.devices.0.iops_max=…`),
 * checked against the base profile's schema.
 *
 * @example
 * ```ts
 * import { parseParam } from "./sweep.ts";
 * import { resolveProfile } from "../src/profiles.ts";
 * const p = parseParam("depth=1,4,16", resolveProfile("optane-p5800x"));
 * console.log(p.values.map((v) => v.value)); // [1, 4, 16]
 * ```
 */
export function parseParam(text: string, base: Record<string, unknown>): SweepParam {
  const eq = text.indexOf("=");
  const where = `option --param ${JSON.stringify(text)}`;
  if (eq <= 0) throw new UsageError(`${where}: expected NAME=V1,V2,… (e.g. depth=1,16,128)`);
  const name = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).split(",").map((s) => s.trim());
  if (raw.length === 0 || raw.some((s) => s === "")) {
    throw new UsageError(`${where}: empty value in the list`);
  }
  const wrap = <T>(f: () => T, v: string): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ValueError) {
        throw new UsageError(`option --param ${name}: value ${JSON.stringify(v)}: ${e.message}`);
      }
      if (e instanceof ProfileError) {
        throw new UsageError(`option --param ${name}: value ${JSON.stringify(v)}: ${e.message}`);
      }
      throw e;
    }
  };
  if (JOB_PARAMS[name]) {
    const spec = JOB_PARAMS[name];
    return {
      name,
      values: raw.map((v) => {
        const value = wrap(() => spec.parse(v), v);
        return { label: typeof value === "boolean" ? (value ? "1" : "0") : String(value), value };
      }),
    };
  }
  if (name === "profile") {
    return {
      name,
      values: raw.map((v) => ({
        label: v,
        value: loadProfile(v, `option --param profile`).profile as never,
      })),
    };
  }
  if (name.startsWith("profile.")) return profileFieldParam(name, raw, base, wrap);
  throw new UsageError(
    `option --param: unknown parameter ${JSON.stringify(name)} (workload: ${
      Object.keys(JOB_PARAMS).join(", ")
    }; profile=NAME,…; profile.<field path>)`,
  );
}

/**
 * A `profile.<path>` parameter: each value typed as the base profile's field is (number, boolean or
 * string) and checked by validating the profile it makes, so a bad value is a usage error before any
 * run; `wrap` turns a value's error into one naming the parameter.
 */
function profileFieldParam(
  name: string,
  raw: string[],
  base: Record<string, unknown>,
  wrap: <T>(f: () => T, v: string) => T,
): SweepParam {
  const path = name.slice("profile.".length).replace(/\[(\d+)\]/g, ".$1").split(".");
  const cur = getPath(base, path);
  if (cur === undefined || (typeof cur === "object" && cur !== null)) {
    throw new UsageError(
      `option --param ${name}: no such profile field (e.g. profile.iommu.inval_latency_ns)`,
    );
  }
  const typedOf = (v: string): unknown => {
    if (typeof cur === "boolean") return parseBool(v);
    if (typeof cur !== "number") return v;
    const n = Number(v);
    if (v === "" || !Number.isFinite(n)) throw new ValueError("a number", v);
    return n;
  };
  return {
    name,
    values: raw.map((v) => {
      const value = wrap(() => {
        const typed = typedOf(v);
        const obj = structuredClone(base);
        setPath(obj, path, typed);
        resolveProfile(obj); // validate now: a bad value is a usage error before any run
        return typed;
      }, v);
      return { label: String(value), value: value as number | boolean | string };
    }),
  };
}

/** Every combination of the parameters' values, first parameter slowest. */
export function grid(params: SweepParam[]): ParamValue[][] {
  let out: ParamValue[][] = [[]];
  for (const p of params) out = out.flatMap((row) => p.values.map((v) => [...row, v]));
  return out;
}

/** Apply one grid point to the base job; `baseProfile` is the full profile object profile fields edit. */
export function jobAt(
  base: UringJob,
  baseProfile: Record<string, unknown>,
  params: SweepParam[],
  point: ParamValue[],
): UringJob {
  const job: UringJob = { ...base };
  let profile: Record<string, unknown> | null = null;
  params.forEach((p, i) => {
    const v = point[i].value;
    if (p.name === "profile") {
      profile = structuredClone(v as Record<string, unknown>);
    } else if (p.name.startsWith("profile.")) {
      profile ??= structuredClone(baseProfile);
      setPath(profile, p.name.slice(8).replace(/\[(\d+)\]/g, ".$1").split("."), v);
    } else {
      (job as Record<string, unknown>)[JOB_PARAMS[p.name].field] = v;
    }
  });
  if (profile) job.profile = profile;
  const depth = job.depth ?? 128;
  job.submitBatch = Math.min(job.submitBatch ?? 32, depth);
  job.completeBatch = Math.min(job.completeBatch ?? 32, depth);
  return job;
}

/** One row of results. */
export interface SweepRow {
  /** Parameter labels by name. */
  params: Record<string, string>;
  /** Metrics by name. */
  metrics: Record<string, number>;
}

/** Results as CSV: parameter columns, then metric columns. */
export function toCsv(params: SweepParam[], rows: SweepRow[]): string {
  const metricNames = rows.length ? Object.keys(rows[0].metrics) : Object.keys(METRICS);
  const head = [...params.map((p) => p.name), ...metricNames].map(csvField).join(",");
  const body = rows.map((r) =>
    [
      ...params.map((p) => csvField(r.params[p.name])),
      ...metricNames.map((m) => csvField(r.metrics[m] ?? "")),
    ].join(",")
  );
  return [head, ...body].join("\n") + "\n";
}

/** The vega-lite spec of `metric` against `x`, one line per series. */
export function plotSpec(
  params: SweepParam[],
  rows: SweepRow[],
  x: string,
  metric: string,
  xScale: "linear" | "log" | "auto",
): Record<string, unknown> {
  const others = params.filter((p) => p.name !== x);
  const xParam = params.find((p) => p.name === x)!;
  const numeric = xParam.values.every((v) => typeof v.value === "number");
  const xs = xParam.values.map((v) => v.value as number);
  const log = numeric && xs.every((v) => v > 0) &&
    (xScale === "log" || (xScale === "auto" && Math.max(...xs) / Math.min(...xs) >= 64));
  const values = rows.map((r) => ({
    x: numeric ? Number(r.params[x]) : r.params[x],
    y: r.metrics[metric],
    series: others.length ? others.map((p) => `${p.name}=${r.params[p.name]}`).join(", ") : metric,
  }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `dmasim sweep: ${metric} vs ${x}`,
    width: 560,
    height: 340,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "x",
        type: numeric ? "quantitative" : "ordinal",
        title: x,
        sort: numeric ? undefined : xParam.values.map((v) => v.label),
        ...(log ? { scale: { type: "log", base: 2 } } : {}),
      },
      y: { field: "y", type: "quantitative", title: metric },
      color: {
        field: "series",
        type: "nominal",
        title: others.map((p) => p.name).join(", ") || "series",
        legend: { labelLimit: 1000 },
      },
    },
  };
}

/** Render a vega-lite spec to SVG headlessly (no canvas). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const vl = await import("vega-lite");
  const vega = await import("vega");
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg.endsWith("\n") ? svg : svg + "\n";
}

/** The default of --jobs: the machine's logical cores. */
function defaultJobs(): number {
  const n = typeof navigator !== "undefined" ? navigator.hardwareConcurrency : 1;
  return Number.isInteger(n) && n > 0 ? n : 1;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * The `sweep` command.
 *
 * @example
 * ```ts
 * import { sweepCommand } from "./sweep.ts";
 * await sweepCommand().parseAsync(
 *   ["--param", "depth=1,16", "--param", "iommu=strict,lazy", "--ios", "2000", "--out", "/tmp/r"],
 *   { from: "user" },
 * );
 * ```
 */
export function sweepCommand(io: Io = STDIO): Command {
  const cmd = new Command("sweep")
    .summary("a grid over workload or profile parameters: CSV, JSON and an SVG plot")
    .description(
      "Run the t/io_uring workload (flags as for `dmasim uring`) at every combination of the --param " +
        "values. Workload parameters: " + Object.keys(JOB_PARAMS).join(", ") + "; " +
        "profile=NAME|FILE,…; any profile field by dotted path: profile.iommu.inval_latency_ns=500,1000, " +
        "profile.costs_ns.enter=…, profile.devices.0.iops_max=…. Metrics: " +
        Object.keys(METRICS).join(", ") +
        ", and cpu.<layer>, iommu.<counter>, dmabuf.<counter>. With --out PREFIX writes PREFIX.csv, " +
        "PREFIX.json and PREFIX.svg (the --metric against --x, one line per combination of the other " +
        "parameters) and prints a table; without it prints CSV (or --format json) on stdout.",
    )
    .argument("[device...]", "drives to use (profile device names)");
  addUringOptions(cmd, "100000 I/Os");
  cmd
    .option(
      "--param <name=values>",
      "a parameter and its comma-separated values (repeat for more)",
      collect,
      [] as string[],
    )
    .option(
      "-j, --jobs <n>",
      `simulations run at once, each on its own worker and simulated machine (1: one at a time, ` +
        `in this process; results are the same bytes either way)`,
      intArg("--jobs", 1, 1024),
      defaultJobs(),
    )
    .option("--metric <name>", "metric to plot", "iops")
    .option("--x <param>", "parameter on the x axis (default: the first --param)")
    .option(
      "--x-scale <scale>",
      "x axis scale: auto|linear|log (auto: log when values span >= 64x)",
      enumArg("--x-scale", ["auto", "linear", "log"] as const),
      "auto",
    )
    .option(
      "--out <prefix>",
      "write PREFIX.csv, PREFIX.json and PREFIX.svg (with --shard: PREFIX.shard-I-of-N.json)",
    )
    .option(
      "--format <fmt>",
      "stdout format without --out: csv|json (with --shard: the shard file)",
      enumArg("--format", ["csv", "json"] as const),
      "csv",
    )
    .option(
      "--shard <I/N>",
      "run only grid points i with i % N == I (I 0-based: 0..N-1) and write a shard file for " +
        "`dmasim sweep merge` (e.g. --shard $SLURM_ARRAY_TASK_ID/8)",
      parseShard,
    )
    .addHelpText("after", SWEEP_EXAMPLES);
  setupCommand(cmd);
  cmd.action((devices, opts) => runSweepCommand(io, devices, opts as unknown as SweepFlags));
  // `sweep merge --out X`: the options after "merge" are merge's own, not the sweep's.
  cmd.enablePositionalOptions();
  cmd.addCommand(mergeCommand(io));
  return cmd as unknown as Command;
}

/** `dmasim sweep`'s help examples. */
const SWEEP_EXAMPLES = `
Examples:
  dmasim sweep --param depth=1,4,16,64,128 --param iommu=strict,lazy,passthrough --param buffers=fixed,dmabuf \\
               --metric iops --x depth -b 512 --out results
  dmasim sweep --param profile.iommu.inval_latency_ns=250,500,1000,2000 --param buffers=fixed,dmabuf \\
               --iommu strict -b 512 --metric cpu_ns_per_io --out inval
  dmasim sweep --param bs=512,4k,64k --metric bw_mib --ios 5000 > bs.csv
  dmasim sweep --param depth=1,16,128 --param iommu=strict,lazy --shard 0/2 --out r   # writes r.shard-0-of-2.json
  dmasim sweep merge r.shard-0-of-2.json r.shard-1-of-2.json --out r                   # r.csv, r.json, r.svg`;

/** The flags `dmasim sweep` takes beyond `dmasim uring`'s. */
interface SweepFlags extends UringFlags {
  param: string[];
  metric: string;
  x?: string;
  xScale: "auto" | "linear" | "log";
  out?: string;
  format: "csv" | "json";
  jobs: number;
  shard?: Shard;
}

/**
 * `dmasim sweep` with its flags parsed: check them (exit 2 naming the flag), run the grid, or one shard
 * of it, and write the outputs.
 */
async function runSweepCommand(io: Io, devices: string[], f: SweepFlags): Promise<void> {
  if (f.param.length === 0) {
    throw new UsageError("option --param: at least one is needed (e.g. --param depth=1,16,128)");
  }
  const { job: base, loaded } = buildUringJob(f, devices, { ios: 100_000 });
  const baseProfile = structuredClone(loaded.profile) as unknown as Record<string, unknown>;
  const params = f.param.map((t) => parseParam(t, baseProfile));
  const names = params.map((p) => p.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`option --param ${dup}: given twice`);
  const x = f.x ?? params[0].name;
  if (!names.includes(x)) {
    throw new UsageError(
      `option --x: ${JSON.stringify(x)} is not one of the --param names (${names.join(", ")})`,
    );
  }
  const metricOk = (m: string) => METRICS[m] !== undefined || /^(cpu|iommu|dmabuf)\.[A-Za-z0-9_]+$/.test(m);
  if (!metricOk(f.metric)) {
    throw new UsageError(
      `option --metric: expected one of ${
        Object.keys(METRICS).join(", ")
      }, cpu.<layer>, iommu.<counter>, dmabuf.<counter>, got ${JSON.stringify(f.metric)}`,
    );
  }
  const points = grid(params);
  if (points.length > 10_000) {
    throw new UsageError(`option --param: ${points.length} grid points; at most 10000`);
  }
  // The output folder is checked before the grid runs, so a long sweep is not lost to a bad --out.
  if (f.out) checkOutputPath(f.shard ? shardFileName(f.out, f.shard) : `${f.out}.csv`);
  const { onProgress: _p, ...baseShown } = base;
  const shown = { ...baseShown, profile: loaded.profile.name };
  if (f.shard) return await runShard(io, f, f.shard, { base, baseProfile, params, points, x, shown });
  const rows = await runGrid(base, baseProfile, params, points, f);
  await writeSweep(io, { x, metric: f.metric, xScale: f.xScale, base: shown, params }, rows, f);
}

/** Shard `shard` of a sweep: run its grid points and write (or print) its shard file for `sweep merge`. */
async function runShard(
  io: Io,
  f: SweepFlags,
  shard: Shard,
  s: {
    base: UringJob;
    baseProfile: Record<string, unknown>;
    params: SweepParam[];
    points: ParamValue[][];
    x: string;
    shown: Record<string, unknown>;
  },
): Promise<void> {
  const { base, baseProfile, params, points, x, shown } = s;
  const indices = shardIndices(points.length, shard);
  const rows = await runGrid(base, baseProfile, params, indices.map((i) => points[i]), f);
  const file: ShardFile = {
    format: SHARD_FORMAT,
    version: VERSION,
    fingerprint: await sweepFingerprint({ base, params, x, metric: f.metric, xScale: f.xScale }),
    shard,
    points: points.length,
    sweep: {
      x,
      metric: f.metric,
      xScale: f.xScale,
      base: shown,
      params: params.map((p) => ({
        name: p.name,
        values: p.values.map((v) => ({
          label: v.label,
          value: typeof v.value === "object" ? null : v.value,
        })),
      })),
    },
    rows: rows.map((r, k) => ({
      index: indices[k],
      params: r.params,
      metrics: Object.fromEntries(Object.entries(r.metrics).map(([m, v]) => [m, encodeNumber(v)])),
    })),
  };
  if (!f.out) {
    io.out(shardText(file));
    return;
  }
  const name = shardFileName(f.out, shard);
  writeOutputFile(name, shardText(file));
  io.out(`wrote ${name} (${rows.length} of ${points.length} points)\n`);
}

/** A sweep as its outputs show it. */
export interface SweepOutline {
  /** The x-axis parameter. */
  x: string;
  /** The plotted metric. */
  metric: string;
  /** --x-scale. */
  xScale: "auto" | "linear" | "log";
  /** The base job as the JSON output shows it (the profile by name). */
  base: Record<string, unknown>;
  /** The parameters. */
  params: SweepParam[];
}

/**
 * Write a sweep's results: with `out`, PREFIX.csv, PREFIX.json and
 * PREFIX.svg and a table on stdout; without, CSV (or JSON) on stdout. The
 * unsharded sweep and `sweep merge` both end here, so they write the same
 * bytes.
 */
export async function writeSweep(
  io: Io,
  s: SweepOutline,
  rows: SweepRow[],
  opts: { out?: string; format: "csv" | "json" },
): Promise<void> {
  const json = toJson({
    x: s.x,
    metric: s.metric,
    base: s.base,
    params: s.params.map((p) => ({ name: p.name, values: p.values.map((v) => v.label) })),
    rows,
  });
  const csv = toCsv(s.params, rows);
  if (!opts.out) {
    io.out(opts.format === "json" ? json : csv);
    return;
  }
  const svg = await renderSvg(plotSpec(s.params, rows, s.x, s.metric, s.xScale));
  writeOutputFile(`${opts.out}.csv`, csv);
  writeOutputFile(`${opts.out}.json`, json);
  writeOutputFile(`${opts.out}.svg`, svg);
  const names = s.params.map((p) => p.name);
  const t = makeTable([...names, s.metric]);
  for (const r of rows) t.push([...names.map((n) => r.params[n]), fmtMetric(r.metrics[s.metric])]);
  io.out(`${t.toString()}\nwrote ${opts.out}.csv, ${opts.out}.json, ${opts.out}.svg (${rows.length} runs)\n`);
}

/**
 * The `sweep merge` command: join the shard files of a sweep run with
 * `--shard I/N` into the outputs the unsharded sweep writes, byte for byte.
 *
 * @example
 * ```ts
 * import { mergeCommand } from "./sweep.ts";
 * await mergeCommand().parseAsync(["r.shard-0-of-2.json", "r.shard-1-of-2.json", "--out", "r"], {
 *   from: "user",
 * });
 * ```
 */
export function mergeCommand(io: Io = STDIO): Command {
  const cmd = new Command("merge")
    .summary("join the shard files of a sharded sweep into its CSV, JSON and SVG")
    .description(
      "Check that the files are the N shards of one sweep (run with `dmasim sweep --shard I/N`, I = 0..N-1), " +
        "each once, and write what the sweep run in one piece writes: with --out PREFIX, PREFIX.csv, " +
        "PREFIX.json, PREFIX.svg and the table; without it, CSV (or --format json) on stdout.",
    )
    .argument("<shard-file...>", "shard files (any order)")
    .option("--out <prefix>", "write PREFIX.csv, PREFIX.json and PREFIX.svg")
    .option(
      "--format <fmt>",
      "stdout format without --out: csv|json",
      enumArg("--format", ["csv", "json"] as const),
      "csv",
    )
    .addHelpText(
      "after",
      `
Examples:
  dmasim sweep merge results.shard-*-of-8.json --out results
  dmasim sweep merge shards/*.json --format json > results.json`,
    );
  setupCommand(cmd);
  cmd.action(async (names, opts) => {
    const files = names.map((name) => {
      let text: string;
      try {
        text = Deno.readTextFileSync(name);
      } catch (e) {
        throw new UsageError(`${name}: cannot read: ${e instanceof Error ? e.message : e}`);
      }
      return { name, shard: parseShardFile(text, name) };
    });
    const { sweep, rows } = joinShards(files);
    const params: SweepParam[] = sweep.params.map((p) => ({
      name: p.name,
      values: p.values.map((v) => ({ label: v.label, value: v.value ?? v.label })),
    }));
    await writeSweep(io, { ...sweep, params }, rows, opts);
  });
  return cmd as unknown as Command;
}

/**
 * Run the grid points on `f.jobs` workers (in this thread when 1) and return
 * the rows in grid order. Whatever the number of jobs, the rows are the same
 * bytes and a failure is the one a serial run stops at: the pool reports the
 * lowest failing point, named as the serial loop names it.
 */
async function runGrid(
  base: UringJob,
  baseProfile: Record<string, unknown>,
  params: SweepParam[],
  points: ParamValue[][],
  f: { jobs: number; quiet?: boolean; metric: string },
): Promise<SweepRow[]> {
  const bar = makeProgress("sweep", f.quiet);
  const rows: SweepRow[] = [];
  const jobs = points.map((pt) => {
    const { onProgress: _p, ...job } = jobAt(base, baseProfile, params, pt);
    return job;
  });
  const at = (i: number) => params.map((p, k) => `${p.name}=${points[i][k].label}`).join(", ");
  try {
    await runPool(jobs, {
      worker: new URL("./sweep_worker.ts", import.meta.url),
      handler: runSweepPoint,
      jobs: f.jobs,
      errorClasses: { ProfileError },
      mapError: (e, i) => {
        const err = cliRunError(e, (field) => {
          const swept = params.find((p) => JOB_PARAMS[p.name]?.field === field);
          return `${swept ? `option --param ${swept.name}` : (URING_FIELD_FLAGS[field] ?? field)} (at ${
            at(i)
          })`;
        });
        // A failed run names its grid point too: in a sweep of a thousand, which one matters.
        return err instanceof RunFailure
          ? new RunFailure(err.message.replace(/^run failed/, `run failed (at ${at(i)})`))
          : err;
      },
      onProgress: (p) =>
        bar.update(
          p.fraction,
          `${p.done}/${p.total} points${
            p.workers > 1 ? `, ${p.running} running on ${p.workers} workers` : ""
          }`,
        ),
      onResult: (metrics, i) => {
        rows.push({
          params: Object.fromEntries(params.map((p, k) => [p.name, points[i][k].label])),
          metrics,
        });
        if (i === 0 && !(f.metric in metrics)) {
          throw new UsageError(
            `option --metric: ${JSON.stringify(f.metric)} is not among the results (${
              Object.keys(metrics).join(", ")
            })`,
          );
        }
      },
    });
  } finally {
    bar.stop();
  }
  return rows;
}

function fmtMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? fixed(v, 0) : fmtNum(Number(v.toPrecision(6)));
}
