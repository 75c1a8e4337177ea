/**
 * fio's option values: sizes with `kb_base`, percentages, times, booleans,
 * per-direction block sizes (`bs=4k,8k`), ranges (`bsrange=4k-16k`) and
 * splits (`bssplit=4k/60:64k/40,8k/100`).
 *
 * @module
 */
import { DIST } from "../engine.ts";
import {
  parseBool,
  parseDurationNs,
  parseEnum,
  parseIntIn,
  parseSize,
  UsageError,
  ValueError,
} from "../common.ts";
import type { FioEntry } from "./parse.ts";
import type { FioOptSpec, FioValue } from "./options.ts";

/** A block-size split: [bytes, percent] entries. */
export type BsSplit = [number, number][];

const BS_MAX = 1 << 24;

function size(text: string, at: string, what: string, kbBase: 1000 | 1024): number {
  const v = parseSize(text, kbBase);
  if (v === null || v < 1 || v > BS_MAX) {
    throw new UsageError(`${at}: option ${what}: expected a size 1..16m, got ${JSON.stringify(text)}`);
  }
  return v;
}

/** `bs=R[,W[,T]]`: read and write block sizes (an empty field keeps the read size). */
export function parseBsList(text: string, at: string, kbBase: 1000 | 1024): [number, number] {
  const parts = text.split(",");
  const r = size(parts[0], at, "bs", kbBase);
  const wr = parts.length > 1 && parts[1].trim() !== "" ? size(parts[1], at, "bs", kbBase) : r;
  return [r, wr];
}

/**
 * A per-direction value list as fio takes it (`rate=1m,500k`): read, write
 * (and trim, ignored); one value without a comma sets every direction, an
 * empty field leaves its direction unset (0). Sizes take `kb_base` suffixes
 * when `units` is set.
 */
export function parseDirList(
  text: string,
  at: string,
  opt: string,
  kbBase: 0 | 1000 | 1024,
  units: boolean,
): [number, number] {
  const parts = text.split(",");
  if (parts.length > 3) {
    throw new UsageError(`${at}: option ${opt}: expected READ[,WRITE[,TRIM]], got ${JSON.stringify(text)}`);
  }
  const one = (t: string): number => {
    if (t.trim() === "") return 0;
    try {
      return parseIntIn(t, 0, 2 ** 52, units ? kbBase : false);
    } catch (err) {
      if (err instanceof ValueError) throw new UsageError(`${at}: option ${opt}: ${err.message}`);
      throw err;
    }
  };
  const r = one(parts[0]);
  return parts.length === 1 ? [r, r] : [r, one(parts[1])];
}

/** A random_distribution as fio parses it (str_random_distribution_cb). */
export interface FioDistribution {
  /** 0 random, 1 zipf, 2 pareto, 3 normal, 4 zoned. */
  kind: (typeof DIST)[keyof typeof DIST];
  /** zipf theta, pareto h, normal's deviation (percent). */
  param: number;
  /** Center 0..1, or -1. */
  center: number;
  /** zoned: [access percent, size percent] per zone, read and write. */
  zones?: [[number, number][], [number, number][]];
}

function zonedSplit(text: string, at: string): [number, number][] {
  const zones = text.split(":").filter((z) => z.trim() !== "").map((z) => {
    const m = /^\s*(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)?\s*$/.exec(z);
    if (!m) {
      throw new UsageError(
        `${at}: option random_distribution: zone ${JSON.stringify(z)}: expected ACCESS%/SIZE%`,
      );
    }
    return [Number(m[1]), m[2] === undefined ? NaN : Number(m[2])] as [number, number];
  });
  // A zone without a size takes what is left of the range (fio: "20/").
  const given = zones.filter(([, s]) => !Number.isNaN(s)).reduce((a, [, s]) => a + s, 0);
  const open = zones.filter(([, s]) => Number.isNaN(s)).length;
  const out = zones.map(([a, s]) =>
    [a, Number.isNaN(s) ? (100 - given) / Math.max(1, open) : s] as [number, number]
  );
  const acc = out.reduce((a, [x]) => a + x, 0);
  const size = out.reduce((a, [, x]) => a + x, 0);
  if (Math.abs(acc - 100) > 1e-9 || Math.abs(size - 100) > 1e-9 || out.some(([a, s]) => a <= 0 || s <= 0)) {
    throw new UsageError(
      `${at}: option random_distribution: zoned access and size percentages must each add up to 100, got ${acc} and ${size}`,
    );
  }
  return out;
}

/** `random_distribution=random|zipf:θ[:center]|pareto:h[:center]|normal:σ[:center]|zoned:A/S:…[,…]`. */
export function parseDistribution(text: string, at: string): FioDistribution {
  const t = text.trim();
  const bad = (why: string): never => {
    throw new UsageError(`${at}: option random_distribution: ${JSON.stringify(text)}: ${why}`);
  };
  if (t === "random") return { kind: DIST.random, param: 0, center: -1 };
  const [name, rest] = t.split(/:(.*)/s);
  if (name === "zoned") {
    const [r, w] = (rest ?? "").split(",");
    const read = zonedSplit(r, at);
    return {
      kind: DIST.zoned,
      param: 0,
      center: -1,
      zones: [read, w !== undefined && w.trim() !== "" ? zonedSplit(w, at) : read],
    };
  }
  const kinds: Record<string, (typeof DIST)[keyof typeof DIST]> = {
    zipf: DIST.zipf,
    pareto: DIST.pareto,
    normal: DIST.normal,
  };
  if (!(name in kinds)) {
    if (name === "zoned_abs" || name === "gauss") {
      bad("not modelled (dmasim: random, zipf, pareto, normal, zoned)");
    }
    bad("expected random, zipf:THETA, pareto:H, normal:DEV or zoned:ACCESS/SIZE:…");
  }
  const parts = (rest ?? "").split(":");
  const param = parts[0] === "" ? (name === "normal" ? 0 : NaN) : Number(parts[0]);
  const center = parts.length > 1 ? Number(parts[1]) : -1;
  if (!Number.isFinite(param)) bad("needs its parameter (zipf:1.2, pareto:0.3, normal:5)");
  if (name === "zipf" && (param <= 0 || param === 1)) bad("zipf theta must be above 0 and not 1");
  if (name === "pareto" && !(param > 0 && param < 1)) bad("pareto h must be between 0 and 1");
  if (name === "normal" && !(param >= 0 && param <= 100)) bad("normal deviation must be 0..100 percent");
  if (parts.length > 1 && !(center >= 0 && center <= 1)) bad("the center must be 0..1");
  return { kind: kinds[name], param, center };
}

/** `bsrange=min-max` (one range for both directions, or `R,W`). */
export function parseRange(text: string, at: string, kbBase: 1000 | 1024): [number, number] {
  const first = text.split(",")[0];
  const m = /^([^-]+)-([^-]+)$/.exec(first.trim());
  if (!m) throw new UsageError(`${at}: option bsrange: expected MIN-MAX, got ${JSON.stringify(text)}`);
  const lo = size(m[1], at, "bsrange", kbBase);
  const hi = size(m[2], at, "bsrange", kbBase);
  if (hi < lo) throw new UsageError(`${at}: option bsrange: ${JSON.stringify(text)}: max below min`);
  return [lo, hi];
}

function parseSplit(text: string, at: string, kbBase: 1000 | 1024): BsSplit {
  const entries = text.split(":").filter((x) => x.trim() !== "").map((e) => {
    const [b, p] = e.split("/");
    const pct = p === undefined || p.trim() === "" ? NaN : Number(p);
    if (p !== undefined && p.trim() !== "" && !(pct >= 0 && pct <= 100)) {
      throw new UsageError(`${at}: option bssplit: ${JSON.stringify(e)}: expected SIZE/PERCENT`);
    }
    return [size(b, at, "bssplit", kbBase), pct] as [number, number];
  });
  // Entries without a percentage share what is left equally (fio's rule).
  const given = entries.filter(([, p]) => !Number.isNaN(p)).reduce((a, [, p]) => a + p, 0);
  const open = entries.filter(([, p]) => Number.isNaN(p)).length;
  if (given > 100 || (open === 0 && Math.abs(given - 100) > 1e-9)) {
    throw new UsageError(`${at}: option bssplit: percentages add up to ${given}, expected 100`);
  }
  return entries.map(([b, p]) => [b, Number.isNaN(p) ? (100 - given) / open : p]);
}

/** `bssplit=READSPLIT[,WRITESPLIT]` (one split for both directions when there is no comma). */
export function parseBssplit(
  text: string,
  at: string,
  kbBase: 1000 | 1024,
): { read: BsSplit; write: BsSplit } {
  const parts = text.split(",");
  const read = parseSplit(parts[0], at, kbBase);
  const write = parts.length > 1 && parts[1].trim() !== "" ? parseSplit(parts[1], at, kbBase) : read;
  return { read, write };
}

function sizeOrPct(text: string, spec: FioOptSpec, kbBase: 1000 | 1024): FioValue {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (pct) {
    const v = Number(pct[1]);
    if (v <= 0 && spec.min! > 0 || v > 100) throw new ValueError("a percentage 0..100", text);
    return `${v}%`;
  }
  return parseIntIn(text, spec.min!, spec.max!, kbBase);
}

/** An entry's value, parsed as its option says; errors name `file:line` and the option. */
export function typedValue(e: FioEntry, spec: FioOptSpec, kbBase: 1000 | 1024): FioValue {
  const where = `${e.file}:${e.line}: option ${e.key}`;
  try {
    if (e.value === null) {
      if (spec.kind === "bool") return true;
      throw new UsageError(`${where}: needs a value (${e.key}=…)`);
    }
    switch (spec.kind) {
      case "bool":
        return parseBool(e.value);
      case "int":
        return parseIntIn(e.value, spec.min!, spec.max!);
      case "size":
        return parseIntIn(e.value, spec.min!, spec.max!, kbBase);
      case "sizepct":
        return sizeOrPct(e.value, spec, kbBase);
      case "time": {
        const ns = parseDurationNs(e.value, spec.unit ?? "s");
        if (ns === null || ns < spec.min! || ns > spec.max!) {
          throw new ValueError("a time like 30, 10s, 500ms, 2m (seconds if no unit)", e.value);
        }
        return ns;
      }
      case "enum":
        return parseEnum(e.value, spec.values!);
      case "str":
        return e.value;
    }
  } catch (err) {
    if (err instanceof ValueError) throw new UsageError(`${where}: ${err.message}`);
    throw err;
  }
}
