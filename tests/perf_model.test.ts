// The performance model: the published numbers reproduced, and the
// mechanisms behind them (each test changes one mechanism and checks the
// direction and size of the effect), determinism and flat memory.
import assert from "node:assert/strict";
import { runUring } from "../src/workload.ts";
import { PUBLISHED, publishedProfile } from "../src/published.ts";
import { OPTANE_P5800X } from "../src/profiles.ts";
import { w } from "../src/internal.ts";
import type { UringJob } from "../src/workload_types.ts";

const base: UringJob = {
  bs: 512,
  depth: 128,
  submitBatch: 32,
  completeBatch: 32,
  polled: true,
  ios: 150_000,
};

Deno.test("runUring reproduces the published IOPS within 5% in every mode, one and two drives", () => {
  for (const pub of PUBLISHED) {
    for (const buffers of ["fixed", "dmabuf"] as const) {
      const r = runUring({
        ...base,
        profile: publishedProfile(pub.drives),
        devices: Array.from({ length: pub.drives }, (_, i) => `nvme${i}n1`),
        iommu: pub.mode,
        buffers,
        ios: 300_000,
      });
      const want = pub[buffers];
      const diff = Math.abs(r.iops - want) / want;
      assert.ok(
        diff <= 0.05,
        `${pub.mode} ${buffers} x${pub.drives}: ${r.iops.toFixed(0)} vs ${want} (${
          (diff * 100).toFixed(1)
        }%)`,
      );
      assert.equal(r.errors, 0);
    }
  }
});

Deno.test("runUring: a slower IOTLB invalidation lowers strict IOPS of registered buffers, not of dma-buf", () => {
  const run = (inval: number, buffers: "fixed" | "dmabuf") =>
    runUring({
      ...base,
      profile: { base: "optane-p5800x", iommu: { ...OPTANE_P5800X.iommu, inval_latency_ns: inval } },
      iommu: "strict",
      buffers,
    }).iops;
  const fast = run(1150, "fixed");
  const slow = run(3000, "fixed");
  assert.ok(slow < fast * 0.6, `registered: ${fast} -> ${slow}`);
  // Per I/O the strict cost grows by exactly the added invalidation time.
  const dNs = 1e9 / slow - 1e9 / fast;
  assert.ok(Math.abs(dNs - 1850) < 60, `added ${dNs.toFixed(0)} ns per I/O`);
  const dmFast = run(1150, "dmabuf");
  const dmSlow = run(3000, "dmabuf");
  assert.ok(Math.abs(dmSlow - dmFast) / dmFast < 0.001, `dma-buf: ${dmFast} -> ${dmSlow}`);
});

Deno.test("runUring: more cores do not lift strict registered IOPS past the shared invalidation queue; lazy scales", () => {
  const fastDrive = { ...OPTANE_P5800X.devices[0], iops_max: 50_000_000, channels: 1024 };
  const profile = { base: "optane-p5800x", cpu: { cores: 4, ghz: 3 }, devices: [fastDrive] };
  const strict1 = runUring({ ...base, profile, iommu: "strict", buffers: "fixed", threads: 1 }).iops;
  const strict4 = runUring({ ...base, profile, iommu: "strict", buffers: "fixed", threads: 4 }).iops;
  const unitCeiling = 1e9 / OPTANE_P5800X.iommu.inval_latency_ns;
  assert.ok(
    strict4 <= unitCeiling * 1.01,
    `strict x4 ${strict4.toFixed(0)} > ceiling ${unitCeiling.toFixed(0)}`,
  );
  assert.ok(strict4 < strict1 * 1.6, `strict: x1 ${strict1.toFixed(0)}, x4 ${strict4.toFixed(0)}`);
  const lazy1 = runUring({ ...base, profile, iommu: "lazy", buffers: "fixed", threads: 1 }).iops;
  const lazy4 = runUring({ ...base, profile, iommu: "lazy", buffers: "fixed", threads: 4 }).iops;
  assert.ok(lazy4 > lazy1 * 3.3, `lazy: x1 ${lazy1.toFixed(0)}, x4 ${lazy4.toFixed(0)}`);
});

Deno.test("runUring: a larger device ceiling shows up in passthrough", () => {
  const big = { base: "optane-p5800x", devices: [{ ...OPTANE_P5800X.devices[0], iops_max: 8_000_000 }] };
  const small = runUring({ ...base, iommu: "passthrough", buffers: "dmabuf" }).iops;
  const large = runUring({ ...base, profile: big, iommu: "passthrough", buffers: "dmabuf" }).iops;
  assert.ok(small < 5.1e6 && small > 4.9e6, `stock ${small}`);
  assert.ok(large > small * 1.15, `ceiling 8M: ${large}`);
});

Deno.test("runUring: dma-buf costs less CPU per I/O than registered buffers in every mode, passthrough included", () => {
  for (const iommu of ["strict", "lazy", "passthrough"] as const) {
    const reg = runUring({ ...base, iommu, buffers: "fixed" });
    const dm = runUring({ ...base, iommu, buffers: "dmabuf" });
    assert.ok(
      dm.cpuNsPerIo < reg.cpuNsPerIo,
      `${iommu}: dma-buf ${dm.cpuNsPerIo} vs registered ${reg.cpuNsPerIo}`,
    );
    assert.equal(dm.cpuNsPerIoByLayer.dma, 0, "no per-I/O DMA mapping with dma-buf");
    assert.ok(reg.cpuNsPerIoByLayer.dma > 0);
  }
});

Deno.test("runUring: strict registered buffers pay one invalidation per I/O, dma-buf none", () => {
  const reg = runUring({ ...base, iommu: "strict", buffers: "fixed", ios: 50_000 });
  assert.ok(
    Math.abs(reg.iommu.invalidations - reg.ios) <= 200,
    `invalidations ${reg.iommu.invalidations} for ${reg.ios}`,
  );
  assert.ok(Math.abs(reg.iommu.maps - reg.ios) <= 200);
  const dm = runUring({ ...base, iommu: "strict", buffers: "dmabuf", ios: 50_000 });
  assert.equal(dm.iommu.invalidations, 0);
  assert.equal(dm.iommu.maps, 0);
  const lazy = runUring({ ...base, iommu: "lazy", buffers: "fixed", ios: 50_000 });
  // One global flush per 256 queued unmaps.
  assert.ok(Math.abs(lazy.iommu.fq_flushes - lazy.ios / 256) <= 3, `flushes ${lazy.iommu.fq_flushes}`);
});

Deno.test("runUring reports latency percentiles in order, samples per simulated second, device utilisation", () => {
  const r = runUring({ ...base, iommu: "strict", buffers: "fixed", ios: undefined, runtimeNs: 2.2e9 });
  const p = Object.values(r.latency.percentiles);
  for (let i = 1; i < p.length; i++) assert.ok(p[i] >= p[i - 1]);
  assert.ok(r.latency.minNs <= p[0] && p[p.length - 1] <= r.latency.maxNs);
  assert.equal(r.samples.length, 2);
  for (const s of r.samples) assert.ok(Math.abs(s.iops - r.iops) / r.iops < 0.02);
  assert.ok(Math.abs(r.simNs - 2.2e9) < 1e6);
  assert.ok(
    r.devices[0].ctrlUtil > 0.05 && r.devices[0].ctrlUtil < 0.2,
    `device util ${r.devices[0].ctrlUtil}`,
  );
  assert.ok(r.cpuUtil[0] > 0.99);
});

Deno.test("runUring with interrupts charges IRQ time and sleeps instead of spinning", () => {
  const r = runUring({ ...base, iommu: "passthrough", buffers: "dmabuf", polled: false, ios: 50_000 });
  assert.ok(r.cpuNsPerIoByLayer.irq > 0);
  assert.equal(r.cpuNsPerIoByLayer.spin, 0);
  assert.equal(r.cpuNsPerIoByLayer.poll, 0);
  assert.ok(r.iops > 0 && r.errors === 0);
});

Deno.test("runUring is deterministic: same job and seed, same numbers", () => {
  const strip = (r: ReturnType<typeof runUring>) => {
    const { wallS: _a, simIosPerWallS: _b, realTimeRatio: _c, ...rest } = r;
    return JSON.stringify(rest);
  };
  const a = runUring({ ...base, iommu: "lazy", buffers: "fixed", seed: 7, ios: 30_000 });
  const b = runUring({ ...base, iommu: "lazy", buffers: "fixed", seed: 7, ios: 30_000 });
  assert.equal(strip(a), strip(b));
  const c = runUring({ ...base, iommu: "lazy", buffers: "fixed", seed: 8, ios: 30_000 });
  assert.notEqual(strip(a), strip(c));
});

Deno.test("runUring keeps memory flat: ten times the I/Os use no more arena, events or requests", () => {
  runUring({ ...base, iommu: "lazy", buffers: "fixed", ios: 100_000 });
  const small = {
    arena: w.mem_used(),
    events: w.events_max_seen(),
    reqs: w.reqs_max_seen(),
    backed: w.phys_backed_pages(),
  };
  runUring({ ...base, iommu: "lazy", buffers: "fixed", ios: 1_000_000 });
  const large = {
    arena: w.mem_used(),
    events: w.events_max_seen(),
    reqs: w.reqs_max_seen(),
    backed: w.phys_backed_pages(),
  };
  assert.deepEqual(large, small);
});

Deno.test("runUring rejects bad jobs naming the field", () => {
  assert.throws(() => runUring({ ...base, threads: 2 }), /threads: expected an integer 1\.\.1/);
  assert.throws(() => runUring({ ...base, bs: 100 }), /bs: must be a multiple/);
  assert.throws(() => runUring({ ...base, devices: ["nvme9n1"] }), /devices: unknown device/);
  assert.throws(
    () => runUring({ ...base, buffers: "dmabuf", bs: 1 << 20, depth: 128 }),
    /buffers: a udmabuf is at most 64 MiB/,
  );
});

Deno.test("runUring with GPU dma-bufs: through a switch no translation, through the host bridge the IOMMU", () => {
  const sw = runUring({ ...base, iommu: "strict", buffers: "dmabuf", dmabufMemory: "gpu", ios: 20_000 });
  assert.equal(sw.iommu.iotlb_hits + sw.iommu.iotlb_misses, 0);
  assert.equal(sw.errors, 0);
  const hb = runUring({
    ...base,
    profile: { base: "optane-p5800x", gpus: [{ name: "gpu0", vram_mib: 1024, p2p: "host_bridge" }] },
    iommu: "strict",
    buffers: "dmabuf",
    dmabufMemory: "gpu",
    ios: 20_000,
  });
  assert.ok(hb.iommu.iotlb_hits + hb.iommu.iotlb_misses >= hb.ios, "every transfer translated");
  assert.equal(hb.iommu.invalidations, 0, "the map is long-lived: no per-I/O invalidation");
  assert.throws(
    () =>
      runUring({
        ...base,
        buffers: "dmabuf",
        dmabufMemory: "gpu",
        profile: { base: "optane-p5800x", gpus: [] },
      }),
    /dmabufMemory: the profile has no GPU/,
  );
});

Deno.test("runUring bounce vs peer-to-peer: a copy per I/O costs CPU and latency, and doubles host-memory traffic", () => {
  const job = { ...base, iommu: "passthrough" as const, ios: 30_000 };
  const p2p4k = runUring({ ...job, bs: 4096, buffers: "dmabuf", dmabufMemory: "gpu" });
  const bounce4k = runUring({ ...job, bs: 4096, buffers: "bounce" });
  // Small blocks: the copy launch makes the bounce path CPU-bound.
  assert.ok(bounce4k.iops < p2p4k.iops * 0.4, `4 KiB: bounce ${bounce4k.iops} vs P2P ${p2p4k.iops}`);
  const launch = OPTANE_P5800X.costs_ns.gpu_copy_launch;
  assert.ok(
    bounce4k.cpuNsPerIoByLayer.app - p2p4k.cpuNsPerIoByLayer.app >= launch,
    "the launch is paid per I/O",
  );
  // Peer-to-peer never touches host memory; the bounce moves every byte through it twice.
  assert.equal(p2p4k.memory.hostMemBytes, 0);
  assert.equal(p2p4k.memory.gpuCopies, 0);
  assert.ok(p2p4k.memory.gpuLinkBytes > 0);
  assert.ok(bounce4k.memory.gpuCopies > 0);
  // Into host RAM from the drive, out of it to the GPU (reads still being copied at the end make the difference).
  const link = bounce4k.memory.gpuLinkBytes;
  assert.ok(
    bounce4k.memory.hostMemBytes >= 2 * link && bounce4k.memory.hostMemBytes <= 2 * link + 128 * 4096,
  );
  // Large blocks: both saturate the drive's link; the bounce adds the copy to every I/O's latency.
  const p2pBig = runUring({ ...job, bs: 128 << 10, buffers: "dmabuf", dmabufMemory: "gpu", ios: 5_000 });
  const bounceBig = runUring({ ...job, bs: 128 << 10, buffers: "bounce", ios: 5_000 });
  assert.ok(Math.abs(bounceBig.bwBytesPerS - p2pBig.bwBytesPerS) / p2pBig.bwBytesPerS < 0.03);
  // At queue depth 1 (no queueing) each bounced I/O waits for its copy: set-up plus 128 KiB over the GPU's link.
  const qd1 = { ...job, bs: 128 << 10, depth: 1, submitBatch: 1, completeBatch: 1, ios: 2_000 };
  const p2p1 = runUring({ ...qd1, buffers: "dmabuf", dmabufMemory: "gpu" });
  const bounce1 = runUring({ ...qd1, buffers: "bounce" });
  const copyNs = OPTANE_P5800X.gpus[0].copy_latency_ns + (128 << 10) / 31.5;
  const added = bounce1.latency.meanNs - p2p1.latency.meanNs;
  assert.ok(
    added > copyNs * 0.9 && added < copyNs * 1.5,
    `QD1: the bounce adds ${added} ns, a copy is ~${copyNs}`,
  );
  assert.equal(bounceBig.errors, 0);
});

Deno.test("runUring bounced writes: GPU → host copy first, then the write from host buffers", () => {
  const job = { ...base, iommu: "passthrough" as const, write: true, ios: 20_000 };
  const p2p4k = runUring({ ...job, bs: 4096, buffers: "dmabuf", dmabufMemory: "gpu" });
  const bounce4k = runUring({ ...job, bs: 4096, buffers: "bounce" });
  assert.equal(bounce4k.errors, 0);
  assert.ok(bounce4k.ios >= 20_000);
  // A launch per write on the CPU: small bounced writes are CPU-bound.
  assert.ok(bounce4k.iops < p2p4k.iops * 0.4, `4 KiB: bounce ${bounce4k.iops} vs P2P ${p2p4k.iops}`);
  const launch = OPTANE_P5800X.costs_ns.gpu_copy_launch;
  assert.ok(
    bounce4k.cpuNsPerIoByLayer.app - p2p4k.cpuNsPerIoByLayer.app >= launch,
    "the launch is paid per write",
  );
  // One copy per write; every byte crosses the GPU's link once and host memory twice
  // (written by the copy engine, read by the drive).
  assert.equal(p2p4k.memory.hostMemBytes, 0);
  assert.ok(bounce4k.memory.gpuCopies >= bounce4k.ios);
  const link = bounce4k.memory.gpuLinkBytes;
  assert.ok(
    bounce4k.memory.hostMemBytes >= 2 * link - 128 * 4096 && bounce4k.memory.hostMemBytes <= 2 * link,
    `host memory ${bounce4k.memory.hostMemBytes} vs link ${link}`,
  );
  // At queue depth 1 each bounced write waits for its copy before the drive sees it.
  const qd1 = { ...job, bs: 128 << 10, depth: 1, submitBatch: 1, completeBatch: 1, ios: 2_000 };
  const p2p1 = runUring({ ...qd1, buffers: "dmabuf", dmabufMemory: "gpu" });
  const bounce1 = runUring({ ...qd1, buffers: "bounce" });
  const copyNs = OPTANE_P5800X.gpus[0].copy_latency_ns + (128 << 10) / 31.5;
  const added = bounce1.latency.meanNs - p2p1.latency.meanNs;
  assert.ok(
    added > copyNs * 0.9 && added < copyNs * 1.5,
    `QD1: the bounce adds ${added} ns, a copy is ~${copyNs}`,
  );
  // A mixed job bounces both ways: reads copy to the GPU after the drive, writes from it before.
  const half = {
    depth: 32,
    submitBatch: 8,
    completeBatch: 8,
    readPer10000: 5000,
    random: true,
    offsetBytes: 0,
    rangeBytes: 1 << 30,
    ios: 10_000,
    bsRead: [[4096, 10000]] as [number, number][],
    bsWrite: [[4096, 10000]] as [number, number][],
  };
  const mixed = runUring({
    ...base,
    ios: undefined,
    warmupIos: 0,
    iommu: "passthrough",
    bs: 4096,
    buffers: "bounce",
    fioThreads: [half],
  });
  const [th] = mixed.fioThreads!;
  assert.equal(mixed.errors, 0);
  assert.equal(th.read.ios + th.write.ios, 10_000);
  assert.ok(th.read.ios > 4_000 && th.write.ios > 4_000, `${th.read.ios} reads, ${th.write.ios} writes`);
  assert.equal(mixed.memory.gpuCopies, 10_000, "one copy per I/O, whichever way");
  // Same inputs, same result (wall-clock fields apart).
  const strip = (r: ReturnType<typeof runUring>) => {
    const { wallS: _a, simIosPerWallS: _b, realTimeRatio: _c, ...rest } = r;
    return JSON.stringify(rest);
  };
  assert.equal(strip(runUring({ ...job, bs: 4096, buffers: "bounce" })), strip(bounce4k));
});

Deno.test("runUring lazy: one flush frees what every CPU queued before it (one invalidation per domain, not per CPU)", () => {
  const fastDrive = { ...OPTANE_P5800X.devices[0], iops_max: 50_000_000, channels: 1024 };
  const profile = { base: "optane-p5800x", cpu: { cores: 4, ghz: 3 }, devices: [fastDrive] };
  const r = runUring({ ...base, profile, iommu: "lazy", buffers: "fixed", threads: 4, ios: 200_000 });
  const perInval = r.iommu.unmaps / r.iommu.invalidations;
  // Each CPU's queue holds 255; a flush triggered by one CPU covers every CPU's queued entries.
  assert.ok(perInval > 600, `${perInval.toFixed(0)} unmaps per invalidation`);
});
