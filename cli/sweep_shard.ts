/**
 * Sharded sweeps: `dmasim sweep --shard I/N` runs every N-th grid point
 * starting at I and writes a shard file; `dmasim sweep merge` checks that the
 * shard files are the N slices of one sweep and joins them. A batch system
 * (a Slurm array job, a Kubernetes Indexed Job) does the distribution; dmasim
 * ships no scheduler of its own.
 *
 * A shard file holds everything the outputs need — the sweep's definition
 * (as shown in its JSON), the parameter values, and each row with its grid
 * index and every metric bit for bit (non-finite numbers and -0 as strings,
 * which JSON has no numbers for) — plus a fingerprint of the whole sweep
 * (base job, profile, parameters, plot settings, dmasim version), so shards
 * of different sweeps are refused instead of being merged into a wrong table.
 *
 * @module
 */
import { UsageError } from "./common.ts";
import { toJson } from "./format.ts";
import { VERSION } from "./version.ts";

/** The `format` field of a shard file (bumped if the layout changes). */
export const SHARD_FORMAT = "dmasim-sweep-shard/1";

/** Which slice of the grid a run does: points `i` with `i % count === index`. */
export interface Shard {
  /** 0-based shard index, 0 ≤ index < count. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** Shards at most: more would leave most of them empty for the 10,000-point grid limit. */
export const SHARDS_MAX = 10_000;

/**
 * Parse `--shard I/N` (0 ≤ I < N ≤ {@link SHARDS_MAX}). The index is 0-based,
 * as `SLURM_ARRAY_TASK_ID` (with `--array=0-(N-1)`) and Kubernetes's
 * `JOB_COMPLETION_INDEX` are. Throws a {@link UsageError} naming the option.
 *
 * @example
 * ```ts
 * import { parseShard } from "./sweep_shard.ts";
 * parseShard("3/8"); // { index: 3, count: 8 }
 * ```
 */
export function parseShard(text: string): Shard {
  const where = "option --shard";
  const m = /^\s*(\d*)\s*\/\s*(\d*)\s*$/.exec(text);
  if (!m) {
    throw new UsageError(
      `${where}: expected I/N, the 0-based shard index and the shard count (e.g. 0/4), got ${
        JSON.stringify(text)
      }`,
    );
  }
  if (m[1] === "") {
    throw new UsageError(
      `${where}: the shard index before "/" is empty in ${
        JSON.stringify(text)
      } (is SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX set?)`,
    );
  }
  if (m[2] === "") {
    throw new UsageError(`${where}: the shard count after "/" is empty in ${JSON.stringify(text)}`);
  }
  const count = Number(m[2]);
  const index = Number(m[1]);
  if (!Number.isSafeInteger(count) || count < 1 || count > SHARDS_MAX) {
    throw new UsageError(`${where}: expected a shard count 1..${SHARDS_MAX}, got ${JSON.stringify(m[2])}`);
  }
  if (!Number.isSafeInteger(index) || index >= count) {
    throw new UsageError(
      `${where}: expected a shard index 0..${count - 1} (0-based), got ${JSON.stringify(m[1])}`,
    );
  }
  return { index, count };
}

/**
 * The grid indices of a shard: every `count`-th point from `index` — spread
 * over the grid rather than a block, so that shards take about the same time
 * when cost varies along a parameter (the first parameter varies slowest).
 */
export function shardIndices(points: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let i = shard.index; i < points; i += shard.count) out.push(i);
  return out;
}

/** A parameter in a shard file: its name and values (primitive values kept; a profile object as null). */
export interface ShardParam {
  /** The parameter's name. */
  name: string;
  /** Its values in order. */
  values: { label: string; value: number | boolean | string | null }[];
}

/** A row in a shard file. */
export interface ShardRow {
  /** Grid index of the point. */
  index: number;
  /** Parameter labels by name. */
  params: Record<string, string>;
  /** Metrics by name, encoded by {@link encodeNumber}. */
  metrics: Record<string, number | string>;
}

/** What a shard file holds. */
export interface ShardFile {
  /** {@link SHARD_FORMAT}. */
  format: string;
  /** dmasim version that ran it. */
  version: string;
  /** Fingerprint of the sweep (see {@link sweepFingerprint}). */
  fingerprint: string;
  /** This shard. */
  shard: Shard;
  /** Grid points in the whole sweep. */
  points: number;
  /** The sweep as its outputs show it. */
  sweep: {
    /** The x-axis parameter. */
    x: string;
    /** The plotted metric. */
    metric: string;
    /** --x-scale. */
    xScale: "auto" | "linear" | "log";
    /** The base job as the JSON output shows it. */
    base: Record<string, unknown>;
    /** The parameters. */
    params: ShardParam[];
  };
  /** This shard's rows, in grid order. */
  rows: ShardRow[];
}

/** A number as a shard file keeps it: finite numbers as they are, NaN, ±Infinity and -0 as strings. */
export function encodeNumber(v: number): number | string {
  if (Number.isFinite(v) && !Object.is(v, -0)) return v;
  return Object.is(v, -0) ? "-0" : String(v);
}

/** The inverse of {@link encodeNumber}; undefined when `v` is neither. */
export function decodeNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (v === "-0") return -0;
  return undefined;
}

/**
 * SHA-256 (hex) of everything that decides a sweep's output: the base job
 * with its profile (a name, or the whole JSON), each parameter's values
 * (profile objects included), the plot settings and the dmasim version.
 */
export async function sweepFingerprint(definition: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify({ version: VERSION, definition }));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The shard file's text (deterministic: same sweep and shard, same bytes). */
export function shardText(file: ShardFile): string {
  return toJson(file);
}

/** The conventional file name of a shard written with `--out PREFIX`. */
export function shardFileName(prefix: string, shard: Shard): string {
  return `${prefix}.shard-${shard.index}-of-${shard.count}.json`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Read and check one shard file; any problem is a {@link UsageError} naming the file and what is wrong. */
export function parseShardFile(text: string, name: string): ShardFile {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `${name}: not a sweep shard file (invalid JSON: ${e instanceof Error ? e.message : e})`,
    );
  }
  const bad = (what: string) => new UsageError(`${name}: not a sweep shard file (${what})`);
  if (!isRecord(o) || o.format !== SHARD_FORMAT) {
    throw bad(`expected "format": "${SHARD_FORMAT}"; write one with dmasim sweep --shard I/N`);
  }
  if (o.version !== VERSION) {
    throw new UsageError(
      `${name}: written by dmasim ${
        JSON.stringify(o.version)
      }, this is ${VERSION}: run every shard with one version`,
    );
  }
  if (typeof o.fingerprint !== "string") throw bad("no fingerprint");
  const sh = o.shard;
  if (
    !isRecord(sh) || !Number.isSafeInteger(sh.count) || !Number.isSafeInteger(sh.index) ||
    (sh.count as number) < 1 || (sh.index as number) < 0 || (sh.index as number) >= (sh.count as number)
  ) throw bad("bad shard");
  if (!Number.isSafeInteger(o.points) || (o.points as number) < 1) throw bad("bad points");
  const sw = o.sweep;
  if (
    !isRecord(sw) || typeof sw.x !== "string" || typeof sw.metric !== "string" ||
    !["auto", "linear", "log"].includes(sw.xScale as string) || !isRecord(sw.base) ||
    !Array.isArray(sw.params)
  ) throw bad("bad sweep");
  for (const p of sw.params as unknown[]) {
    if (!isRecord(p) || typeof p.name !== "string" || !Array.isArray(p.values)) throw bad("bad params");
    for (const v of p.values as unknown[]) {
      if (!isRecord(v) || typeof v.label !== "string") throw bad(`bad values of ${p.name}`);
    }
  }
  const file = o as unknown as ShardFile;
  const want = shardIndices(file.points, file.shard);
  if (!Array.isArray(o.rows) || o.rows.length !== want.length) {
    throw new UsageError(
      `${name}: shard ${file.shard.index}/${file.shard.count} should hold ${want.length} rows, not ${
        Array.isArray(o.rows) ? o.rows.length : "none"
      }`,
    );
  }
  (o.rows as unknown[]).forEach((r, k) => {
    if (!isRecord(r) || r.index !== want[k] || !isRecord(r.params) || !isRecord(r.metrics)) {
      throw bad(`row ${k} is not grid point ${want[k]}`);
    }
    for (const [m, v] of Object.entries(r.metrics)) {
      if (decodeNumber(v) === undefined) throw bad(`row ${k}: metric ${m} is not a number`);
    }
  });
  return file;
}

/**
 * Check that `files` are the `count` shards of one sweep, each once, and
 * return the rows of the whole grid in grid order (metrics decoded).
 * Anything missing, repeated or foreign is a {@link UsageError} naming the file.
 */
export function joinShards(
  files: { name: string; shard: ShardFile }[],
): {
  sweep: ShardFile["sweep"];
  rows: { params: Record<string, string>; metrics: Record<string, number> }[];
} {
  if (files.length === 0) throw new UsageError("at least one shard file is needed");
  const first = files[0];
  const count = first.shard.shard.count;
  const seen = new Map<number, string>();
  for (const { name, shard } of files) {
    if (shard.fingerprint !== first.shard.fingerprint || shard.points !== first.shard.points) {
      throw new UsageError(
        `${name}: a shard of a different sweep than ${first.name} (the --param values, flags or profile differ)`,
      );
    }
    if (shard.shard.count !== count) {
      throw new UsageError(
        `${name}: shard ${shard.shard.index}/${shard.shard.count}, but ${first.name} is one of ${count} shards`,
      );
    }
    const other = seen.get(shard.shard.index);
    if (other !== undefined) {
      throw new UsageError(`${name}: shard ${shard.shard.index}/${count} given twice (also ${other})`);
    }
    seen.set(shard.shard.index, name);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) {
    const list = missing.slice(0, 8).map((i) => `${i}/${count}`).join(", ");
    throw new UsageError(
      `shard${missing.length > 1 ? "s" : ""} ${list}${
        missing.length > 8 ? ", …" : ""
      } missing (${missing.length} of ${count})`,
    );
  }
  const rows: { params: Record<string, string>; metrics: Record<string, number> }[] = new Array(
    first.shard.points,
  );
  for (const { shard } of files) {
    for (const r of shard.rows) {
      rows[r.index] = {
        params: r.params,
        metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, decodeNumber(v)!])),
      };
    }
  }
  return { sweep: first.shard.sweep, rows };
}
