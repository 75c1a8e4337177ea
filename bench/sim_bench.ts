/**
 * Micro-benchmarks (`deno task microbench`): the ring core and the data path
 * on their own, for tracking the simulator's speed change by change.
 *
 * @module
 */
import { getSqe, ioUringQueueInit, prepNop, reapCqes, submit, System } from "../mod.ts";
import { runUring } from "../src/workload.ts";

const sys = new System();
const ring = ioUringQueueInit(sys, 128, 0);
if (typeof ring === "number") throw new Error(`io_uring_setup: ${ring}`);

Deno.bench("ring: 32 NOPs prepared, submitted and reaped", { group: "ring", baseline: true }, () => {
  for (let i = 0; i < 32; i++) prepNop(getSqe(ring)!);
  submit(ring);
  reapCqes(ring);
});

for (const [iommu, buffers] of [["passthrough", "dmabuf"], ["strict", "fixed"], ["lazy", "fixed"]] as const) {
  Deno.bench(`t/io_uring 512 B, ${iommu}, ${buffers}: 100k I/Os`, { group: "workload" }, () => {
    runUring({ iommu, buffers, bs: 512, ios: 100_000 });
  });
}
