/**
 * Micro-benchmarks of the simulator's own speed work (docs/speed.md), for
 * `deno task microbench`: machine set-up (the request and command tables are
 * no longer walked to build their free lists), a short headline run (the
 * event queue, request and command set-up on every I/O), and the 64-core,
 * 8-drive machine against one core and one drive at the same I/O count.
 *
 * @module
 */
import { System } from "../mod.ts";
import { runUring } from "../src/workload.ts";
import { publishedProfile } from "./published.ts";

/** The headline drive eight times over, on a 64-core machine. */
const big = { ...publishedProfile(8), cpu: { cores: 64, ghz: 3.0 } };

Deno.bench("machine set-up: new System() (optane-p5800x)", { group: "setup" }, () => {
  new System({ profile: "optane-p5800x" });
});

const headline = { profile: "optane-p5800x", iommu: "passthrough", buffers: "dmabuf", bs: 512 } as const;

Deno.bench("headline: 512 B dma-buf, passthrough, QD128, polled: 20k I/Os", { group: "headline" }, () => {
  runUring({ ...headline, ios: 20_000 });
});

Deno.bench("scale: 1 core x 1 drive, lazy, registered: 64k I/Os", { group: "scale", baseline: true }, () => {
  runUring({ profile: "optane-p5800x", iommu: "lazy", buffers: "fixed", bs: 512, ios: 65_536 });
});

Deno.bench("scale: 64 cores x 8 drives, lazy, registered: 64k I/Os", { group: "scale" }, () => {
  runUring({
    profile: big,
    iommu: "lazy",
    buffers: "fixed",
    bs: 512,
    ios: 65_536,
    threads: 64,
    devices: Array.from({ length: 8 }, (_, i) => `nvme${i}n1`),
  });
});
