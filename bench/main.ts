/**
 * The main job (`deno task bench`): the published comparison reproduced by
 * mechanism, then how fast the simulator ran, then the ring core's NOP rate.
 *
 * @module
 */
import Table from "cli-table3";
import { runPublishedComparison } from "./published.ts";
import { benchNop } from "./nop.ts";
import { runUring } from "../src/workload.ts";
import { w } from "../src/wasm.ts";

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
console.log("\nsimulator speed (one core of this machine):");
console.log(
  `  5.01 MIOPS dma-buf scenario: ${
    (dm.simIosPerWallS / 1e6).toFixed(2)
  } M simulated I/Os per wall second, ` +
    `${dm.realTimeRatio.toFixed(2)}x real time`,
);
console.log(
  `  whole comparison: ${(ios / wall / 1e6).toFixed(2)} M simulated I/Os per wall second, ` +
    `${(sim / wall).toFixed(2)}x real time (${wall.toFixed(2)} s wall)`,
);
const nop = benchNop();
console.log(
  `  ring core: ${
    (nop.nopsPerS / 1e6).toFixed(2)
  } M NOPs per wall second through TypeScript (Linux: ~15 M/s/core)`,
);

// Memory stays flat: a run a hundred times longer uses no more memory.
const flat = (ios: number) => {
  const r = runUring({ profile: "optane-p5800x", iommu: "passthrough", buffers: "dmabuf", bs: 512, ios });
  return {
    ios: r.ios,
    rssMiB: Deno.memoryUsage().rss / 2 ** 20,
    arenaMiB: w.mem_used() / 2 ** 20,
    wallS: r.wallS,
  };
};
const m1 = flat(1_000_000);
const m100 = flat(100_000_000);
console.log(
  "\nmemory stays flat (5.01 MIOPS dma-buf scenario, 1 M then 100 M I/Os; the arena is address space laid out " +
    "once, RSS what is resident):",
);
for (const m of [m1, m100]) {
  console.log(
    `  ${(m.ios / 1e6).toFixed(0).padStart(3)} M I/Os: RSS ${m.rssMiB.toFixed(0)} MiB, simulator arena ` +
      `${m.arenaMiB.toFixed(1)} MiB (${m.wallS.toFixed(1)} s wall, ${
        (m.ios / m.wallS / 1e6).toFixed(2)
      } M I/Os/s)`,
  );
}
