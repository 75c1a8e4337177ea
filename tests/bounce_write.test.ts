// Bounced writes (issue 14 item 6): GPU memory → host buffer → drive, the
// path peer-to-peer avoids, now both ways. Each write starts with a
// device-to-host copy on the GPU's copy engine (over the GPU's link, into
// host memory); only when it has ended is the WRITE_FIXED of that host
// buffer submitted; the drive then reads the host buffer. Latency is end to
// end from the copy's launch.
import assert from "node:assert/strict";
import { OPTANE_P5800X, runUring } from "../mod.ts";

const job = { iommu: "passthrough" as const, write: true, ios: 20_000 };

Deno.test("runUring bounced writes: a copy out of the GPU per write, every byte twice through host memory", () => {
  const r = runUring({ ...job, bs: 65536, buffers: "bounce" });
  assert.equal(r.errors, 0);
  assert.equal(r.job.write, true);
  // Copies are launched ahead of the writes (up to the depth): at least one per write.
  assert.ok(r.memory.gpuCopies >= r.ios && r.memory.gpuCopies <= r.ios + 2 * r.job.depth + r.job.warmupIos);
  // Out of the GPU over its link, into host memory; then the drive reads it from host memory.
  const link = r.memory.gpuLinkBytes;
  assert.equal(link, r.memory.gpuCopies * 65536);
  const written = r.memory.hostMemBytes - link;
  assert.ok(written > 0 && written <= link, `host memory: ${r.memory.hostMemBytes}, link ${link}`);
  assert.ok(link - written <= 2 * r.job.depth * 65536, "only copies whose writes are not done yet differ");
});

Deno.test("runUring bounced writes vs peer-to-peer writes: the copy costs CPU at 4 KiB and latency at 128 KiB", () => {
  const p2p4k = runUring({ ...job, bs: 4096, buffers: "dmabuf", dmabufMemory: "gpu" });
  const bounce4k = runUring({ ...job, bs: 4096, buffers: "bounce" });
  assert.equal(p2p4k.memory.hostMemBytes, 0, "peer-to-peer writes never touch host memory");
  assert.ok(bounce4k.iops < p2p4k.iops * 0.4, `4 KiB: bounce ${bounce4k.iops} vs P2P ${p2p4k.iops}`);
  const launch = OPTANE_P5800X.costs_ns.gpu_copy_launch;
  assert.ok(bounce4k.cpuNsPerIoByLayer.app - p2p4k.cpuNsPerIoByLayer.app >= launch, "a launch per write");
  // At queue depth 1 each write waits for its copy: set-up plus 128 KiB over the GPU's link (~31.5 B/ns).
  const qd1 = { ...job, bs: 128 << 10, depth: 1, submitBatch: 1, completeBatch: 1, ios: 2_000 };
  const p2p1 = runUring({ ...qd1, buffers: "dmabuf", dmabufMemory: "gpu" });
  const bounce1 = runUring({ ...qd1, buffers: "bounce" });
  const copyNs = OPTANE_P5800X.gpus[0].copy_latency_ns + (128 << 10) / 31.5;
  const added = bounce1.latency.meanNs - p2p1.latency.meanNs;
  assert.ok(
    added > copyNs * 0.9 && added < copyNs * 1.5,
    `QD1: the bounce adds ${added} ns, a copy is ~${copyNs}`,
  );
  assert.ok(bounce1.latency.minNs >= copyNs + OPTANE_P5800X.devices[0].write_latency_ns * 0.9);
});

Deno.test("runUring bounced writes are bound by host memory bandwidth when it is scarce; peer-to-peer is not", () => {
  // 4 GB/s of host memory: every bounced byte crosses it twice, so at most ~2 GB/s of writes.
  const profile = { base: "optane-p5800x", memory: { bandwidth_mbps: 4000 } };
  const big = { ...job, profile, bs: 128 << 10, ios: 5_000 };
  const bounce = runUring({ ...big, buffers: "bounce" });
  const p2p = runUring({ ...big, buffers: "dmabuf", dmabufMemory: "gpu" });
  assert.ok(bounce.bwBytesPerS <= 2.05e9, `bounce ${bounce.bwBytesPerS} B/s`);
  assert.ok(bounce.bwBytesPerS >= 1.8e9, `bounce ${bounce.bwBytesPerS} B/s: host memory is the limit`);
  assert.ok(p2p.bwBytesPerS > 2 * bounce.bwBytesPerS, `P2P ${p2p.bwBytesPerS} B/s`);
});
