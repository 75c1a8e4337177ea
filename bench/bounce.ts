/**
 * Peer-to-peer against the bounce path, both ways (docs/lsfmm.md, "Bounced
 * writes"): t/io_uring random reads or writes of 4 KiB and 128 KiB at QD128
 * (batches of 32, polled, passthrough) on the default profile, into or out of
 * GPU 0's memory — by a dma-buf of VRAM reached peer-to-peer, or through
 * registered host buffers and a copy on the GPU's copy engine (after each
 * read, before each write). Prints a Markdown table.
 *
 * Run: `npx -y deno@2.9.6 run --allow-read --allow-env bench/bounce.ts [ios]`
 *
 * @module
 */
import { runUring } from "../mod.ts";

const ios = Number(Deno.args[0] ?? 100_000);
const fmt = (x: number) => x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} K`;
const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;

console.log(
  "| I/O | size | path | IOPS | GB/s | CPU ns/IO | mean latency | host-memory bytes per byte moved |",
);
console.log(
  "| --- | ---- | ---- | ---- | ---- | --------- | ------------ | -------------------------------- |",
);
for (const write of [false, true]) {
  for (const bs of [4096, 128 << 10]) {
    for (const path of ["P2P (dma-buf of VRAM)", "bounce (host buffers + copy)"]) {
      const p2p = path.startsWith("P2P");
      const r = runUring({
        bs,
        depth: 128,
        submitBatch: 32,
        completeBatch: 32,
        polled: true,
        iommu: "passthrough",
        write,
        buffers: p2p ? "dmabuf" : "bounce",
        ...(p2p ? { dmabufMemory: "gpu" as const } : {}),
        ios: bs > 4096 ? Math.ceil(ios / 10) : ios,
      });
      const moved = r.memory.gpuLinkBytes;
      console.log(
        `| ${write ? "write" : "read"} | ${bs >> 10} KiB | ${path} | ${fmt(r.iops)} | ${
          (r.bwBytesPerS / 1e9).toFixed(2)
        } | ${r.cpuNsPerIo.toFixed(0)} | ${us(r.latency.meanNs)} | ${
          (r.memory.hostMemBytes / moved).toFixed(2)
        } |`,
      );
    }
  }
}
