/**
 * What the model predicts off its calibration points (docs/predictions.md):
 * the built-in machines that were not calibrated, under t/io_uring with
 * 4 KiB random reads at QD16 and QD128 (batches of min(32, QD), polled),
 * strict / lazy / passthrough, registered buffers vs a dma-buf, on 1 core,
 * 8 cores and every core. Prints Markdown tables.
 *
 * Run: `npx -y deno@2.9.6 run --allow-read --allow-env bench/predictions.ts [ios]`
 *
 * @module
 */
import { resolveProfile, runUring } from "../mod.ts";

const ios = Number(Deno.args[0] ?? 200_000);
const fmt = (x: number) => x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} K`;

for (const name of ["gen4-tlc-nand", "grace-smmuv3", "epyc-amdvi"]) {
  const p = resolveProfile(name);
  const devices = p.devices.map((d) => d.name);
  console.log(`\n#### ${name} (${p.description})\n`);
  console.log(
    "| QD | cores | IOMMU | registered IOPS | dma-buf IOPS | registered mean lat | dma-buf mean lat | inval. queue busy (registered) | batch |",
  );
  console.log(
    "| -- | ----- | ----- | --------------- | ------------ | ------------------- | ---------------- | ------------------------------ | ----- |",
  );
  for (const depth of [16, 128]) {
    for (const threads of [...new Set([1, 8, p.cpu.cores])]) {
      for (const iommu of ["strict", "lazy", "passthrough"] as const) {
        const run = (buffers: "fixed" | "dmabuf") =>
          runUring({
            profile: name,
            iommu,
            bs: 4096,
            depth,
            submitBatch: Math.min(32, depth),
            completeBatch: Math.min(32, depth),
            threads,
            devices,
            buffers,
            ios,
          });
        const reg = run("fixed");
        const dm = run("dmabuf");
        const q = reg.invalQueues[0];
        console.log(
          `| ${depth} | ${threads} | ${iommu} | ${fmt(reg.iops)} | ${fmt(dm.iops)} | ${
            (reg.latency.meanNs / 1e3).toFixed(1)
          } µs | ${(dm.latency.meanNs / 1e3).toFixed(1)} µs | ${
            iommu === "strict" ? `${(q.busyFrac * 100).toFixed(0)}%` : "–"
          } | ${iommu === "strict" ? q.batchMean.toFixed(2) : "–"} |`,
        );
      }
    }
  }
}
