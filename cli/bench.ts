/**
 * `dmasim bench`: the published comparison (the same as `deno task bench`):
 * the cover letter's runs, simulated IOPS next to the published ones.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { enumArg, fixed, intArg, type Io, makeTable, RunFailure, setupCommand, STDIO } from "./common.ts";
import { type PublishedRow, runPublishedComparison } from "./engine.ts";
import { csvField, toJson } from "./format.ts";

/** Output formats of `dmasim bench`. */
export const FORMATS = ["table", "csv", "json"] as const;
const COLUMNS: (keyof PublishedRow)[] = [
  "mode",
  "buffers",
  "drives",
  "simIops",
  "publishedIops",
  "diffPct",
  "cpuNsPerIo",
  "p99Ns",
];

/** Format the comparison rows as a table, CSV or JSON. */
export function formatComparison(rows: PublishedRow[], format: (typeof FORMATS)[number]): string {
  const picked = rows.map((r) => Object.fromEntries(COLUMNS.map((c) => [c, r[c]])));
  if (format === "json") return toJson({ rows: picked });
  if (format === "csv") {
    return [COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => csvField(r[c])).join(","))].join("\n") +
      "\n";
  }
  const t = makeTable([
    "IOMMU",
    "buffers",
    "drives",
    "sim IOPS",
    "published",
    "diff",
    "CPU ns/IO",
    "p99 lat",
  ]);
  for (const r of rows) {
    t.push([
      r.mode,
      r.buffers,
      String(r.drives),
      `${fixed(r.simIops / 1e6, 3)}M`,
      `${fixed(r.publishedIops / 1e6, 3)}M`,
      `${r.diffPct >= 0 ? "+" : ""}${fixed(r.diffPct, 1)}%`,
      fixed(r.cpuNsPerIo, 1),
      `${fixed(r.p99Ns / 1000, 1)} us`,
    ]);
  }
  return "dmabuf read/write: simulated vs published IOPS (the v3 cover letter's t/io_uring runs)\n" +
    t.toString() + "\n";
}

/**
 * The `bench` command.
 *
 * @example
 * ```ts
 * import { benchCommand } from "./bench.ts";
 * await benchCommand().parseAsync(["--format", "csv"], { from: "user" });
 * ```
 */
export function benchCommand(io: Io = STDIO): Command {
  const cmd = new Command("bench")
    .summary("the published comparison (same as deno task bench)")
    .description(
      "Run the published comparison: the dmabuf read/write cover letter's runs (IOMMU strict, lazy and " +
        "passthrough; registered buffers vs dma-buf; one and two drives), simulated IOPS next to the " +
        "published IOPS, with CPU ns per I/O and p99 completion latency.",
    )
    .option("--format <fmt>", "output format: table|csv|json", enumArg("--format", FORMATS), "table")
    .option("--ios <n>", "measured I/Os per run (default: the benchmark's own)", intArg("--ios", 1, 1e12))
    .option("--seed <n>", "PRNG seed", intArg("--seed", 0, 2 ** 32 - 1), 1)
    .addHelpText(
      "after",
      `
Examples:
  dmasim bench
  dmasim bench --format csv > published.csv
  dmasim bench --ios 100000                   shorter runs
  dmasim bench --format json | jq '.rows[] | select(.mode=="strict")'`,
    );
  setupCommand(cmd);
  cmd.action(async (opts) => {
    let rows: PublishedRow[];
    try {
      rows = await runPublishedComparison(opts.ios, opts.seed);
    } catch (e) {
      throw new RunFailure(`run failed: ${e instanceof Error ? e.message : e}`);
    }
    io.out(formatComparison(rows, opts.format));
  });
  return cmd as unknown as Command;
}
