/**
 * Report formatting shared by the subcommands: fio's latency lines and
 * percentile blocks, per-interval sample statistics, CSV.
 *
 * @module
 */
import { fixed, num2str } from "./common.ts";
import type { RunSample } from "./engine.ts";

/** Percentile entries sorted by percentile: [percent, value ns]. */
export function sortedPercentiles(p: Record<string, number>): [number, number][] {
  return Object.entries(p)
    .map(([k, v]) => [Number(k), v] as [number, number])
    .filter(([k]) => Number.isFinite(k))
    .sort((a, b) => a[0] - b[0]);
}

/**
 * fio's unit for a percentile block (stat.c `show_clat_percentiles`, also
 * t/io_uring's): usec when the smallest value > 2000 ns and the largest
 * > 99999 ns, msec when the smallest > 2000000 and the largest > 99999999;
 * `scale` is how many times each value is divided by 1000, rounding up.
 */
export function percentileUnit(minv: number, maxv: number): { unit: string; scale: number; div: number } {
  if (minv > 2_000_000 && maxv > 99_999_999) return { unit: "msec", scale: 2, div: 1e6 };
  if (minv > 2000 && maxv > 99_999) return { unit: "usec", scale: 1, div: 1e3 };
  return { unit: "nsec", scale: 0, div: 1 };
}

/**
 * fio's percentile block: `    clat percentiles (usec):` then lines of
 * ` 99.00th=[  123]` entries, as fio's stat.c `show_clat_percentiles` (and
 * t/io_uring's) print them: `precision` decimals (fio 2, t/io_uring 4),
 * `(80 - 7) / (precision + 10 + width)` entries a line, values converted to
 * a coarser unit rounded up (`(v + 999) / 1000`).
 *
 * @example
 * ```ts
 * import { fmtPercentileBlock } from "./format.ts";
 * console.log(fmtPercentileBlock("clat percentiles", { "50.000000": 5000 }, "    ").join("\n"));
 * //     clat percentiles (nsec):
 * //      | 50.00th=[ 5000]
 * ```
 */
export function fmtPercentileBlock(
  title: string,
  p: Record<string, number>,
  indent: string,
  precision = 2,
): string[] {
  const list = sortedPercentiles(p).map(([k, v]) => [k, Math.round(v)] as [number, number]);
  if (list.length === 0) return [];
  const values = list.map(([, v]) => v);
  const minv = Math.min(...values);
  const maxv = Math.max(...values);
  const { unit, scale, div } = percentileUnit(minv, maxv);
  // time_width = max(5, (int)(log10(maxv / divisor) + 1)), integer division.
  const width = Math.max(5, String(Math.floor(maxv / div)).length);
  const perLine = Math.max(1, Math.floor((80 - 7) / (precision + 10 + width)));
  const vals = list.map(([k, v]) => {
    let x = v;
    for (let i = 0; i < scale; i++) x = Math.floor((x + 999) / 1000);
    return [k, x] as [number, number];
  });
  const lines = [`${indent}${title} (${unit}):`];
  for (let i = 0; i < vals.length; i += perLine) {
    const row = vals.slice(i, i + perLine).map(([k, v]) =>
      ` ${fixed(k, precision).padStart(precision + 3)}th=[${String(v).padStart(width)}]`
    );
    lines.push(`${indent} |${row.join(",")}${i + perLine < vals.length ? "," : ""}`);
  }
  return lines;
}

/**
 * fio's latency summary line (stat.c `display_lat`):
 * `clat (usec): min=…, max=…, avg=…, stdev=…`. The unit is msec when
 * min > 2000000 ns, max > 99999999 ns and stdev > 1000000 ns; else usec when
 * min > 2000, max > 99999 and stdev > 1000 (stat.h `nsec_to_msec`,
 * `nsec_to_usec`); else nsec. min and max are divided as integers (truncated).
 */
export function fmtLatLine(
  name: string,
  s: { minNs: number; maxNs: number; meanNs: number; stddevNs?: number },
  indent: string,
): string {
  const min = Math.round(s.minNs);
  const max = Math.round(s.maxNs);
  const dev = s.stddevNs ?? 0;
  let div = 1;
  let unit = "nsec";
  if (min > 2_000_000 && max > 99_999_999 && dev > 1_000_000) [div, unit] = [1e6, "msec"];
  else if (min > 2000 && max > 99_999 && dev > 1000) [div, unit] = [1e3, "usec"];
  const parts = [
    `min=${num2str(Math.floor(min / div), 1000, "", 6)}`,
    `max=${num2str(Math.floor(max / div), 1000, "", 6)}`,
    `avg=${fixed(s.meanNs / div, 2).padStart(5)}`,
    `stdev=${fixed(dev / div, 2).padStart(5)}`,
  ];
  return `${indent}${name} (${unit}): ${parts.join(", ")}`;
}

/** min, max, mean, sample standard deviation of a list (fio's per-interval bw/iops statistics). */
export function stats(xs: number[]): { min: number; max: number; mean: number; dev: number; n: number } {
  const n = xs.length;
  if (n === 0) return { min: 0, max: 0, mean: 0, dev: 0, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const varc = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { min: Math.min(...xs), max: Math.max(...xs), mean, dev: Math.sqrt(varc), n };
}

/** Per-interval IOPS and bandwidth (KiB/s) statistics from the engine's samples. */
export function sampleStats(
  samples: RunSample[],
): { iops: ReturnType<typeof stats>; bwKiB: ReturnType<typeof stats> } {
  return {
    iops: stats(samples.map((s) => s.iops)),
    bwKiB: stats(samples.map((s) => s.bwBytesPerS / 1024)),
  };
}

/** Quote a CSV field when needed (RFC 4180). */
export function csvField(v: unknown): string {
  const s = typeof v === "number" ? fmtNum(v) : String(v ?? "");
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A number for CSV/JSON-ish text: integers as is, others with up to 6 significant decimals. */
export function fmtNum(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(12)));
}

/** Stable JSON: two-space indent, trailing newline. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, null, 2) + "\n";
}
