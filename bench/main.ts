/**
 * The main job (`deno task bench`): the published comparison reproduced by
 * mechanism, then how fast the simulator runs — the ring core's NOP rate, the
 * headline scenario, strict mode, 64 cores × 8 drives — as min / median of
 * several runs, then memory staying flat. `deno task bench --runs N` sets
 * the number of runs (default 5). The real kernel's NOP rate on the same
 * machine: `deno task bench:kernel`.
 *
 * Imports only the public module, except bench/crossings.ts, which counts
 * Wasm boundary crossings through the one documented internal entry
 * (src/internal.ts).
 *
 * @module
 */
import Table from "cli-table3";
import { runPublishedComparison, runUring, System } from "../mod.ts";
import { measureSpeed, minMedian, speedScenarios } from "./speed.ts";
import { countCrossings, formatCrossings } from "./crossings.ts";

const fmtIops = (x: number) => x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} K`;

const rows = runPublishedComparison();
const table = new Table({
  head: ["IOMMU", "buffers", "drives", "simulated IOPS", "published IOPS", "diff", "CPU ns/IO", "p99 lat"],
  style: { head: [], border: [] },
});
for (const r of rows) {
  table.push([
    r.mode,
    r.buffers === "fixed" ? "registered" : "dma-buf",
    r.drives,
    fmtIops(r.simIops),
    fmtIops(r.publishedIops),
    `${r.diffPct >= 0 ? "+" : ""}${r.diffPct.toFixed(1)}%`,
    r.cpuNsPerIo.toFixed(1),
    `${(r.p99Ns / 1000).toFixed(1)} µs`,
  ]);
}
console.log(
  "dmasim: dmabuf-backed io_uring reads vs registered buffers (t/io_uring, 512 B random, QD128, polled)",
);
console.log(table.toString());

const dm = rows.find((r) => r.mode === "passthrough" && r.buffers === "dmabuf" && r.drives === 1)!.result;
let ios = 0;
let wall = 0;
let sim = 0;
for (const r of rows) {
  ios += r.result.simIosPerWallS * r.result.wallS;
  wall += r.result.wallS;
  sim += r.result.realTimeRatio * r.result.wallS;
}
console.log(
  `\nwhole comparison: ${(ios / wall / 1e6).toFixed(2)} M simulated I/Os per wall second, ` +
    `${(sim / wall).toFixed(2)}x real time (${wall.toFixed(2)} s wall); ` +
    `5.01 MIOPS dma-buf row: ${(dm.simIosPerWallS / 1e6).toFixed(2)} M/s, ${
      dm.realTimeRatio.toFixed(2)
    }x real time`,
);

const runsArg = Deno.args.indexOf("--runs");
const runs = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) {
  throw new Error(`--runs: expected a positive integer, got ${Deno.args[runsArg + 1]}`);
}
const speed = measureSpeed(speedScenarios(), runs);
const speedTable = new Table({
  head: ["scenario", "work per wall second (min / median)", "x real time (min / median)"],
  style: { head: [], border: [] },
});
const fmtM = (x: number) => `${(x / 1e6).toFixed(2)} M`;
for (const r of speed) {
  const p = minMedian(r.perWallS);
  const t = r.realTime.length ? minMedian(r.realTime) : undefined;
  speedTable.push([
    r.scenario.name,
    `${fmtM(p.min)} / ${fmtM(p.median)} ${r.scenario.unit}`,
    t ? `${t.min.toFixed(3)} / ${t.median.toFixed(3)}` : "-",
  ]);
}
const median = (name: string) =>
  minMedian(speed.find((r) => r.scenario.name.startsWith(name))!.perWallS).median;
const one = median("lazy, registered buffers, 1 core");
const many = median("lazy, registered buffers, 64 cores");
const nops = median("ring core");
const head = median("headline");
console.log(`\nsimulator speed (one core of this machine, ${runs} runs each, alternating):`);
console.log(speedTable.toString());
console.log(
  `  64 cores x 8 drives vs 1 core x 1 drive (lazy, registered): ${
    (many / one).toFixed(2)
  }x the per-I/O speed; ` +
    `headline vs ring core: ${(head / nops).toFixed(2)}x the NOP rate (medians)`,
);

// Memory stays flat: a run a hundred times longer uses no more memory.
const flat = (ios: number) => {
  const r = runUring({ profile: "optane-p5800x", iommu: "passthrough", buffers: "dmabuf", bs: 512, ios });
  return {
    ios: r.ios,
    rssMiB: Deno.memoryUsage().rss / 2 ** 20,
    // The machine's linear memory: laid out once, never grown (a fresh System shows its size).
    arenaMiB: new System().view.byteLength / 2 ** 20,
    wallS: r.wallS,
  };
};
const m1 = flat(1_000_000);
const m100 = flat(100_000_000);
console.log(
  "\nmemory stays flat (5.01 MIOPS dma-buf scenario, 1 M then 100 M I/Os; the Wasm memory is address space " +
    "laid out once, RSS what is resident):",
);
for (const m of [m1, m100]) {
  console.log(
    `  ${(m.ios / 1e6).toFixed(0).padStart(3)} M I/Os: RSS ${m.rssMiB.toFixed(0)} MiB, Wasm memory ` +
      `${m.arenaMiB.toFixed(1)} MiB (${m.wallS.toFixed(1)} s wall, ${
        (m.ios / m.wallS / 1e6).toFixed(2)
      } M I/Os/s)`,
  );
}

// The Wasm boundary is crossed per batch or per control event, never per I/O (docs/engine.md).
console.log("\nWasm boundary crossings (TS → Wasm calls; the module imports nothing, so none go back):");
for (const line of formatCrossings(countCrossings())) console.log(line);
