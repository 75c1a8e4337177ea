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

/** Pick fio's display unit for latencies whose largest value is `maxNs`. */
export function latUnit(maxNs: number): { unit: string; div: number } {
  if (maxNs >= 10_000_000_000) return { unit: "msec", div: 1e6 };
  if (maxNs >= 10_000_000) return { unit: "usec", div: 1e3 };
  return { unit: "nsec", div: 1 };
}

/**
 * fio's `clat percentiles (usec):` block: four entries a line, each
 * ` 99.00th=[  123]`, the unit chosen so values stay within five digits.
 *
 * @example
 * ```ts
 * import { fmtPercentileBlock } from "./format.ts";
 * console.log(fmtPercentileBlock("clat percentiles", { "50.000000": 5000 }, "    ").join("\n"));
 * //     clat percentiles (nsec):
 * //      | 50.00th=[ 5000]
 * ```
 */
export function fmtPercentileBlock(title: string, p: Record<string, number>, indent: string): string[] {
  const list = sortedPercentiles(p);
  if (list.length === 0) return [];
  const max = Math.max(...list.map(([, v]) => v));
  let div = 1;
  let unit = "nsec";
  if (max >= 10_000) [div, unit] = [1e3, "usec"];
  if (max >= 10_000_000) [div, unit] = [1e6, "msec"];
  const vals = list.map(([k, v]) => [k, Math.round(v / div)] as [number, number]);
  const width = Math.max(5, ...vals.map(([, v]) => String(v).length));
  const lines = [`${indent}${title} (${unit}):`];
  for (let i = 0; i < vals.length; i += 4) {
    const row = vals.slice(i, i + 4).map(([k, v]) =>
      ` ${fixed(k, 2).padStart(5)}th=[${String(v).padStart(width)}]`
    );
    lines.push(`${indent} |${row.join(",")}${i + 4 < vals.length ? "," : ""}`);
  }
  return lines;
}

/**
 * fio's latency summary line: `clat (nsec): min=…, max=…, avg=…[, stdev=…]`.
 * dmasim's engine reports no standard deviation yet; it is printed when given.
 */
export function fmtLatLine(
  name: string,
  s: { minNs: number; maxNs: number; meanNs: number; stddevNs?: number },
  indent: string,
): string {
  const { unit, div } = latUnit(s.minNs);
  const parts = [
    `min=${num2str(Math.round(s.minNs / div), 1000, "", 6)}`,
    `max=${num2str(Math.round(s.maxNs / div), 1000, "", 6)}`,
    `avg=${fixed(s.meanNs / div, 2)}`,
  ];
  if (s.stddevNs !== undefined) parts.push(`stdev=${fixed(s.stddevNs / div, 2)}`);
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
