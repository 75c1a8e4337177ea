/**
 * fio's option values: sizes with `kb_base`, percentages, times, booleans,
 * per-direction block sizes (`bs=4k,8k`), ranges (`bsrange=4k-16k`) and
 * splits (`bssplit=4k/60:64k/40,8k/100`).
 *
 * @module
 */
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
        const ns = parseDurationNs(e.value, "s");
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
