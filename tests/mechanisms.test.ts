// Mechanisms held by their effects off the calibration points (docs/predictions.md):
// out-of-order device completion, shared resources served in simulated-time
// order, the IOMMU kinds' invalidation queues, and the metrics that let a user
// check a run against Little's law.
import assert from "node:assert/strict";
import { runUring } from "../src/workload.ts";
import { OPTANE_P5800X, PCIE5_NAND } from "../src/profiles.ts";
import type { UringJob } from "../src/workload_types.ts";

/** The PCIe 5.0 NAND drive with `jitter_ns` of uniform media-latency jitter. */
const nand = (jitter_ns: number) => ({
  base: "pcie5-nand",
  devices: [{ ...PCIE5_NAND.devices[0], latency_jitter_ns: jitter_ns }],
});

/** A drive that never binds (the IOMMU and the cores do), on a machine of `cores` cores. */
const fastMachine = (cores: number, iommu: Record<string, unknown> = {}) => ({
  base: "optane-p5800x",
  cpu: { cores, ghz: 3 },
  iommu: { ...OPTANE_P5800X.iommu, ...iommu },
  devices: [{ ...OPTANE_P5800X.devices[0], iops_max: 50_000_000, channels: 1024 }],
});

const qd = (depth: number): Partial<UringJob> => ({
  depth,
  submitBatch: Math.min(32, depth),
  completeBatch: Math.min(32, depth),
});

Deno.test("runUring with 0-100 µs media jitter: QD128 reaches what Little's law allows from QD1 latencies (out-of-order completion)", () => {
  const job: UringJob = { profile: nand(100_000), iommu: "passthrough", bs: 4096, buffers: "fixed" };
  const one = runUring({ ...job, ...qd(1), ios: 20_000 });
  const many = runUring({ ...job, ...qd(128), ios: 200_000 });
  // The drive is far from its 2.8 M ceiling: a slow media read must not hold
  // the completions of faster ones behind it, so latency hardly grows with depth.
  assert.ok(
    many.latency.meanNs < one.latency.meanNs * 1.12,
    `mean latency QD1 ${one.latency.meanNs.toFixed(0)} ns, QD128 ${many.latency.meanNs.toFixed(0)} ns`,
  );
  // Little's law with the QD1 latency and the I/Os QD128 keeps in flight (t/io_uring's
  // batches of 32 keep fewer than 128 in flight on average).
  const little = (many.inflightMean * 1e9) / one.latency.meanNs;
  assert.ok(
    many.iops > little * 0.9,
    `QD128 ${many.iops.toFixed(0)} IOPS, Little's law ${little.toFixed(0)}`,
  );
  // The fastest I/Os stay fast: p1 near the QD1 p1 (a fast read completes when it is ready).
  const p1 = (r: typeof one) => r.latency.percentiles["1.000000"];
  assert.ok(p1(many) < p1(one) + 10_000, `p1 QD1 ${p1(one)} ns, QD128 ${p1(many)} ns`);
});

Deno.test("runUring: 20 µs of jitter costs QD128 only what it adds to the mean latency", () => {
  const job: UringJob = { profile: nand(0), iommu: "passthrough", bs: 4096, buffers: "fixed", ...qd(128) };
  const still = runUring({ ...job, ios: 200_000 });
  const jit = runUring({ ...job, profile: nand(20_000), ios: 200_000 });
  // Out of order, IOPS falls as the mean latency rises (+10 µs on ~85 µs), no more.
  const expected = still.iops * (still.latency.meanNs / jit.latency.meanNs);
  assert.ok(jit.iops > expected * 0.93, `jitter: ${jit.iops.toFixed(0)} vs ${expected.toFixed(0)}`);
  assert.ok(
    jit.latency.meanNs < still.latency.meanNs + 14_000,
    `${still.latency.meanNs} -> ${jit.latency.meanNs}`,
  );
});

Deno.test("runUring strict on unloaded cores: the invalidation queue with descriptors pending is never idle", () => {
  // Four or more cores keep it fed (two leave gaps while both prepare their next batch).
  for (const threads of [4, 8]) {
    const r = runUring({
      profile: fastMachine(8),
      iommu: "strict",
      bs: 512,
      buffers: "fixed",
      threads,
      ios: 150_000,
    });
    const q = r.invalQueues[0];
    assert.ok(q.busyFrac > 0.97, `${threads} cores: queue busy ${(q.busyFrac * 100).toFixed(1)}%`);
    // The ceiling is the hardware's: one invalidation plus its wait descriptor per I/O.
    const ceiling = 1e9 / (OPTANE_P5800X.iommu.inval_latency_ns + OPTANE_P5800X.iommu.sync_latency_ns);
    assert.ok(
      r.iops > ceiling * 0.97,
      `${threads} cores: ${r.iops.toFixed(0)} vs ceiling ${ceiling.toFixed(0)}`,
    );
  }
});

Deno.test("runUring strict: IOPS with more cores rises with SMMUv3's batching command queue, flat with VT-d's", () => {
  const run = (kind: string, threads: number) =>
    runUring({
      profile: fastMachine(8, { kind }),
      iommu: "strict",
      bs: 512,
      buffers: "fixed",
      threads,
      ios: 150_000,
    });
  const vtd4 = run("vtd", 4);
  const vtd8 = run("vtd", 8);
  assert.ok(vtd8.iops < vtd4.iops * 1.05, `vtd: x4 ${vtd4.iops.toFixed(0)}, x8 ${vtd8.iops.toFixed(0)}`);
  const smmu4 = run("smmuv3", 4);
  const smmu8 = run("smmuv3", 8);
  assert.ok(
    smmu8.iops > smmu4.iops * 1.5,
    `smmuv3: x4 ${smmu4.iops.toFixed(0)}, x8 ${smmu8.iops.toFixed(0)}`,
  );
  // A CMD_SYNC covers what other CPUs queued before it: more than one invalidation per sync.
  assert.ok(smmu8.invalQueues[0].batchMean > 1.5, `batch ${smmu8.invalQueues[0].batchMean}`);
  assert.ok(Math.abs(vtd8.invalQueues[0].batchMean - 1) < 1e-9, `vtd batch ${vtd8.invalQueues[0].batchMean}`);
});

Deno.test("runUring strict: invalidation cost follows the range (per-page TLBIs without SMMUv3 range invalidation)", () => {
  // A PCIe 5.0 x16 link, so 64 KiB reads are not link-bound.
  const run = (iommu: Record<string, unknown>) =>
    runUring({
      profile: { ...fastMachine(1, iommu), pcie: { ...OPTANE_P5800X.pcie, gen: 5, lanes: 16 } },
      iommu: "strict",
      bs: 65536,
      buffers: "fixed",
      ios: 20_000,
    });
  const ranged = run({ kind: "smmuv3", range_inval: true });
  const paged = run({ kind: "smmuv3", range_inval: false });
  // 64 KiB is 16 pages: 16 TLBI commands instead of one, each consumed by the queue.
  assert.ok(
    paged.iops < ranged.iops * 0.95,
    `range ${ranged.iops.toFixed(0)}, per page ${paged.iops.toFixed(0)}`,
  );
  assert.ok(
    Math.abs(paged.invalQueues[0].commands / paged.ios - 17) < 0.5,
    `${paged.invalQueues[0].commands / paged.ios} commands per I/O`,
  );
});

Deno.test("runUring: time-weighted mean in-flight equals IOPS x mean latency within 2% (Little's law), per ring and per drive", () => {
  const jobs: UringJob[] = [
    { profile: nand(100_000), iommu: "passthrough", bs: 4096, buffers: "fixed", ...qd(128), ios: 100_000 },
    { profile: fastMachine(4), iommu: "strict", bs: 512, buffers: "fixed", threads: 4, ios: 100_000 },
    { iommu: "lazy", bs: 512, buffers: "fixed", ios: 100_000 },
    { iommu: "passthrough", bs: 512, buffers: "dmabuf", polled: false, ...qd(16), ios: 50_000 },
  ];
  for (const job of jobs) {
    const r = runUring(job);
    const want = (r.iops * r.latency.meanNs) / 1e9;
    assert.ok(
      Math.abs(r.inflightMean - want) / want < 0.02,
      `${job.iommu}: in flight ${r.inflightMean.toFixed(2)} vs IOPS x latency ${want.toFixed(2)}`,
    );
    let sum = 0;
    for (const ring of r.rings) sum += ring.inflightMean;
    assert.ok(Math.abs(sum - r.inflightMean) < 1e-6 * Math.max(1, sum));
    for (const d of r.devices) {
      const dWant = (d.iops * d.latencyMeanNs) / 1e9;
      assert.ok(
        Math.abs(d.occupancyMean - dWant) / dWant < 0.02,
        `${d.name}: occupancy ${d.occupancyMean.toFixed(2)} vs ${dWant.toFixed(2)}`,
      );
      // The device holds at most what the rings have in flight.
      assert.ok(d.occupancyMean <= r.inflightMean * 1.001);
    }
  }
});

Deno.test("runUring reports fio-style latency buckets that sum to 100% and agree with the percentiles", () => {
  const r = runUring({ profile: nand(100_000), iommu: "passthrough", bs: 4096, ...qd(32), ios: 50_000 });
  const b = r.latency.buckets;
  let total = 0;
  for (const unit of ["ns", "us", "ms"] as const) for (const v of Object.values(b[unit])) total += v;
  assert.ok(Math.abs(total - 100) < 1e-6, `buckets sum to ${total}`);
  // Reads of 81-181 µs: everything is in the 100 / 250 µs buckets of latency_us.
  assert.ok(b.us["100"] + b.us["250"] > 99.9, JSON.stringify(b.us));
  assert.equal(b.ns["1000"], 0);
});
