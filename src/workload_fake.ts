/**
 * A stand-in for the workload runner (`src/workload.ts`) while the engine is
 * being written: {@link runUring} with the real signature, producing
 * plausible, deterministic numbers derived from the job and its profile
 * (a back-of-envelope cost model, not the simulation), per-second samples,
 * progress callbacks and trace records. Also a fake
 * {@link runPublishedComparison} standing in for `bench/published.ts`.
 *
 * Nothing here is a result: it exists so the CLI can be built and tested.
 * The CLI imports it in one place only (`cli/engine.ts`).
 *
 * @module
 */
import type { IommuMode, Profile } from "./profile.ts";
import { resolveProfile } from "./profiles.ts";
import type { BufferKind, RunResult, RunSample, TraceRecord, UringJob } from "./workload_types.ts";

/** xorshift32: a small seeded PRNG, so that the same seed gives the same numbers. */
function prng(seed: number): () => number {
  let s = (seed >>> 0) ^ 0x9e3779b9;
  if (s === 0) s = 0x6d2b79f5;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** fio's default percentile list, keyed as fio keys them. */
const PERCENTILES = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

/** Most trace records a run keeps (UringJob.trace). */
const TRACE_RECORDS_MAX = 100_000;

interface CostSplit {
  byLayer: Record<string, number>;
  total: number;
}

/** A bad job (as `src/workload.ts`'s JobError): names the job field; the CLI exits 2. */
export class JobError extends Error {
  /** The job field at fault. */
  readonly field: string;
  /** Create the error naming `field`. */
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "JobError";
    this.field = field;
  }
}

/** Per-I/O CPU cost by layer for a job on a profile, ns (the fake's model). */
function costPerIo(job: ResolvedJob, p: Profile): CostSplit {
  const c = p.costs_ns;
  const sb = Math.max(1, Math.min(job.submitBatch, job.depth));
  const cb = Math.max(1, Math.min(job.completeBatch, job.depth));
  const l: Record<string, number> = {
    app: c.app_prep + c.app_reap + c.app_per_io,
    io_uring: c.enter / sb + c.sqe + c.cqe,
    block: 0,
    nvme: 0,
    dma: 0,
    iommu_wait: 0,
    dmabuf: 0,
    poll: 0,
    irq: 0,
  };
  if (job.noop) {
    l.io_uring += c.nop;
  } else {
    l.io_uring += c.rw_prep + (job.buffers === "plain" ? 0 : c.import_fixed);
    if (!job.fixedFiles) l.io_uring += 20;
    l.block = c.bio + c.blk_mq + c.blk_complete;
    l.nvme = c.nvme_cmd + c.doorbell / sb + c.nvme_complete + c.prp_entry * Math.ceil(job.bs / 4096);
    const pages = Math.ceil(job.bs / 4096);
    if (job.buffers === "plain") l.app += c.import_user_page * pages;
    if (job.buffers === "dmabuf") {
      l.dmabuf = c.token_lookup + c.token_ref_get + c.token_ref_put;
    } else if (job.iommu === "passthrough") {
      l.dma = c.dma_map_direct + c.dma_unmap_direct;
    } else {
      l.dma = c.iommu_map + c.iommu_unmap + c.iova_alloc_cache + c.iova_free_cache +
        (c.pte_write + c.pte_clear) * pages;
      if (job.iommu === "strict") {
        l.dma += c.inv_submit;
        l.iommu_wait = p.iommu.inval_latency_ns;
      } else {
        l.dma += c.fq_add + c.fq_free_entry + (c.inv_submit + p.iommu.inval_latency_ns) / p.iommu.fq_size;
      }
    }
    if (job.polled) l.poll = c.poll * 2 / cb;
    else l.irq = c.irq / cb;
    if (!job.direct) l.block += 400 + 60 * pages; // page cache copy
  }
  const total = Object.values(l).reduce((a, b) => a + b, 0);
  return { byLayer: l, total };
}

type ResolvedJob = RunResult["job"];

function resolveJob(job: UringJob, p: Profile): ResolvedJob {
  const devices = job.devices && job.devices.length > 0 ? job.devices : [p.devices[0].name];
  for (const d of devices) {
    if (!p.devices.some((x) => x.name === d)) throw new JobError("devices", `unknown device "${d}"`);
  }
  const depth = job.depth ?? 128;
  const threads = job.threads ?? 1;
  if (!Number.isInteger(depth) || depth < 1 || depth > 4096) {
    throw new JobError("depth", `expected an integer 1..4096, got ${depth}`);
  }
  if (!Number.isInteger(threads) || threads < 1 || threads > p.cpu.cores) {
    throw new JobError("threads", `expected an integer 1..${p.cpu.cores}, got ${threads}`);
  }
  const lba = Math.max(...devices.map((n) => p.devices.find((d) => d.name === n)!.lba_bytes));
  if (!job.noop && (job.direct ?? true) && (job.bs ?? 4096) % lba !== 0) {
    throw new JobError("bs", `must be a multiple of the ${lba}-byte LBA size with O_DIRECT`);
  }
  if ((job.polled ?? true) && !(job.direct ?? true) && !job.noop) {
    throw new JobError("polled", "polled I/O needs O_DIRECT");
  }
  return {
    profile: p.name,
    iommu: job.iommu ?? p.iommu.mode,
    devices,
    threads,
    depth,
    submitBatch: job.submitBatch ?? 32,
    completeBatch: job.completeBatch ?? 32,
    bs: job.bs ?? 4096,
    polled: job.polled ?? true,
    fixedFiles: job.fixedFiles ?? true,
    buffers: job.buffers ?? "fixed",
    direct: job.direct ?? true,
    random: job.random ?? true,
    write: job.write ?? false,
    rangeBytes: job.rangeBytes ?? p.devices[0].capacity_gib * 2 ** 30,
    noop: job.noop ?? false,
    runtimeNs: job.runtimeNs ?? null,
    ios: job.ios ?? null,
    warmupIos: job.warmupIos ?? depth * threads,
    seed: job.seed ?? 1,
    functional: job.functional ?? false,
  };
}

/**
 * Fake runner with the signature of `src/workload.ts`'s `runUring`.
 * Deterministic: the same job gives the same result (except the wall-clock
 * fields `wallS`, `simIosPerWallS`, `realTimeRatio`).
 *
 * @example
 * ```ts
 * import { runUring } from "./workload_fake.ts";
 * const r = runUring({ iommu: "strict", bs: 512, ios: 10_000 });
 * console.log(r.iops > 0); // true
 * ```
 */
export function runUring(job: UringJob): RunResult {
  const wall0 = performance.now();
  const p = resolveProfile(job.profile ?? "optane-p5800x");
  const j = resolveJob(job, p);
  const rnd = prng(j.seed * 2654435761 + j.depth * 97 + j.bs);
  const cost = costPerIo(j, p);
  const devs = j.devices.map((n) => p.devices.find((d) => d.name === n)!);

  // Throughput: the least of CPU, device, link and queue-depth limits.
  const cpuIops = j.threads * 1e9 / cost.total;
  const laneGBps = [0, 0.25, 0.5, 0.985, 1.969, 3.938, 7.877][p.pcie.gen];
  const linkBytesPerS = laneGBps * 1e9 * p.pcie.lanes;
  const perIoBytes = j.bs + p.pcie.tlp_overhead_bytes * Math.ceil(j.bs / p.pcie.max_payload_bytes);
  const devLatNs = devs.map((d) =>
    (j.write ? d.write_latency_ns : d.read_latency_ns) + d.latency_jitter_ns / 2
  );
  const devIops = j.noop ? Infinity : devs.reduce(
    (s, d, i) =>
      s + Math.min(d.iops_max, linkBytesPerS / perIoBytes, d.channels * d.media_mbps * 1e6 / j.bs) *
        (1 - 0.002 * i),
    0,
  );
  const qdIops = j.noop ? Infinity : j.threads * j.depth * 1e9 / (Math.max(...devLatNs) + cost.total * 2);
  const iops = Math.min(cpuIops, devIops, qdIops) * (0.995 + 0.01 * rnd());

  // Length of the run: runtime, I/O count, or 1 s by default.
  let ios = j.ios ?? Infinity;
  if (j.runtimeNs !== null) ios = Math.min(ios, Math.floor(iops * j.runtimeNs / 1e9));
  if (!Number.isFinite(ios)) ios = Math.floor(iops);
  ios = Math.max(1, ios);
  const simNs = Math.round(ios / iops * 1e9);

  // Errors: a functional run with more plain-buffer bytes in flight than simulated RAM can back.
  const inFlightBytes = j.threads * j.depth * j.bs;
  const backing = p.memory.backing_mib * 2 ** 20;
  const errors = j.functional && j.buffers === "plain" && inFlightBytes > backing
    ? Math.min(ios, Math.ceil(ios * (1 - backing / inFlightBytes)) + 1)
    : 0;

  // Latency: Little's law for the mean, a seeded skewed distribution around it.
  const inflight = j.threads * j.depth;
  const meanNs = j.noop ? cost.total : Math.max(inflight / iops * 1e9, Math.min(...devLatNs) + cost.total);
  const floorNs = j.noop ? cost.total * 0.8 : Math.min(...devLatNs) * 0.8 + cost.total;
  const n = 4096;
  const lats: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(1e-9, rnd());
    lats.push(Math.round(floorNs + (meanNs - floorNs) * -Math.log(u)));
  }
  lats.sort((a, b) => a - b);
  const percentiles: Record<string, number> = {};
  for (const q of PERCENTILES) percentiles[q.toFixed(6)] = lats[Math.min(n - 1, Math.floor(q / 100 * n))];
  const measuredMean = lats.reduce((a, b) => a + b, 0) / n;

  // Per-second samples (whole simulated seconds, then the partial tail).
  const util = Math.min(1, (iops / j.threads) * cost.total / 1e9);
  const coreUtil = (u: number) =>
    Array.from({ length: p.cpu.cores }, (_, c) => (c < j.threads ? (j.polled ? 1 : u) : 0));
  const samples: RunSample[] = [];
  const sb = Math.max(1, Math.min(j.submitBatch, j.depth));
  for (let t = 1e9; t < simNs + 1e9; t += 1e9) {
    const end = Math.min(t, simNs);
    if (end <= t - 1e9) break;
    const wobble = 1 + (rnd() - 0.5) * 0.004;
    const s: RunSample = {
      tNs: end,
      iops: Math.round(iops * wobble),
      bwBytesPerS: Math.round(iops * wobble * (j.noop ? 0 : j.bs)),
      cpuUtil: coreUtil(Math.min(1, util * wobble)),
      callsPerS: Math.round(iops * wobble / sb),
      iosPerCall: sb,
    };
    samples.push(s);
    job.onSample?.(s);
    job.onProgress?.(end / simNs);
  }
  job.onProgress?.(1);

  const pages = Math.ceil(j.bs / 4096);
  const mapped = !j.noop && j.buffers !== "dmabuf" && j.iommu !== "passthrough";
  const iommu: Record<string, number> = {
    maps: mapped ? ios : 0,
    unmaps: mapped ? ios : 0,
    invalidations: mapped ? (j.iommu === "strict" ? ios : Math.ceil(ios / p.iommu.fq_size)) : 0,
    iotlb_misses: j.noop || j.iommu === "passthrough" ? 0 : Math.round(ios * pages * (mapped ? 1 : 0.01)),
    pte_writes: mapped ? ios * pages : 0,
  };
  const dmabuf: Record<string, number> = {
    maps_created: j.buffers === "dmabuf" ? j.threads : 0,
    invalidations: 0,
    waits: 0,
    remaps: 0,
    eagain: 0,
  };
  const totalIos = ios + j.warmupIos;
  const result: RunResult = {
    job: j,
    ios,
    errors,
    simNs,
    iops: ios / simNs * 1e9,
    bwBytesPerS: j.noop ? 0 : ios / simNs * 1e9 * j.bs,
    cpuUtil: coreUtil(util),
    cpuNsPerIo: cost.total,
    cpuNsPerIoByLayer: cost.byLayer,
    latency: { minNs: lats[0], maxNs: Math.round(lats[n - 1] * 1.3), meanNs: measuredMean, percentiles },
    iommu,
    devices: devs.map((d, i) => ({
      name: d.name,
      iops: ios / simNs * 1e9 / devs.length,
      ctrlUtil: Math.min(1, iops / devs.length / d.iops_max) * (1 - 0.001 * i),
      linkUtil: Math.min(1, iops / devs.length * perIoBytes / linkBytesPerS),
    })),
    dmabuf,
    calls: Math.ceil(ios / sb),
    samples,
    wallS: 0,
    simIosPerWallS: 0,
    realTimeRatio: 0,
  };
  if (job.trace) result.trace = fakeTrace(j, p, cost, Math.min(totalIos, 20_000), rnd);
  const wallS = Math.max(1e-6, (performance.now() - wall0) / 1000);
  result.wallS = wallS;
  result.simIosPerWallS = totalIos / wallS;
  result.realTimeRatio = simNs / 1e9 / wallS;
  return result;
}

/** A toy timeline of `ios` I/Os: stages per I/O, CPU work per core, invalidations, counters. */
function fakeTrace(
  j: ResolvedJob,
  p: Profile,
  cost: CostSplit,
  ios: number,
  rnd: () => number,
): TraceRecord[] {
  const out: TraceRecord[] = [];
  const c = p.costs_ns;
  const sb = Math.max(1, Math.min(j.submitBatch, j.depth));
  const inflightBatchesMax = Math.max(1, Math.floor(j.depth / sb));
  const devs = j.devices.map((n) => p.devices.find((d) => d.name === n)!);
  const mapNs = Math.round(cost.byLayer.dma / 2);
  const unmapNs = Math.round(cost.byLayer.dma / 2 + cost.byLayer.iommu_wait);
  const submitNs = Math.round(c.sqe + c.rw_prep + c.import_fixed + c.app_prep + c.dmabuf_map_base * 0);
  const cmdNs = Math.round(c.bio + c.blk_mq + c.nvme_cmd);
  const completeNs = Math.round(c.nvme_complete + c.blk_complete + c.cqe);
  let unitFree = 0;
  let fqCount = 0;
  let misses = 0;
  let seq = 0;
  for (let core = 0; core < j.threads; core++) {
    let cursor = core * 37;
    const inflight: { end: number; ios: { seq: number; dev: number; devEnd: number }[] }[] = [];
    let depth = 0;
    const perCore = Math.ceil(ios / j.threads);
    let issued = 0;
    const reap = () => {
      const b = inflight.shift()!;
      const start = Math.max(cursor, b.end);
      let t = start;
      for (const io of b.ios) {
        out.push({ kind: "io", tNs: t, durNs: completeNs, track: io.dev, name: "complete", value: io.seq });
        t += completeNs;
        if (!j.noop) {
          out.push({ kind: "io", tNs: t, durNs: unmapNs, track: io.dev, name: "unmap", value: io.seq });
          if (j.buffers !== "dmabuf" && j.iommu === "strict") {
            const s = Math.max(unitFree, t + c.inv_submit);
            out.push({
              kind: "inval",
              tNs: s,
              durNs: p.iommu.inval_latency_ns,
              track: 0,
              name: "iotlb_inv",
              value: 1,
            });
            unitFree = s + p.iommu.inval_latency_ns;
          } else if (j.buffers !== "dmabuf" && j.iommu === "lazy" && ++fqCount % p.iommu.fq_size === 0) {
            const s = Math.max(unitFree, t);
            out.push({
              kind: "inval",
              tNs: s,
              durNs: p.iommu.inval_latency_ns,
              track: 0,
              name: "global_inv",
              value: 1,
            });
            unitFree = s + p.iommu.inval_latency_ns;
          }
          t += unmapNs;
        }
      }
      out.push({ kind: "cpu", tNs: start, durNs: t - start, track: core, name: "complete", value: 0 });
      depth -= b.ios.length;
      out.push({ kind: "counter", tNs: t, durNs: 0, track: core, name: "queue_depth", value: depth });
      cursor = t;
    };
    while (issued < perCore && seq < ios) {
      if (inflight.length >= inflightBatchesMax) reap();
      const n = Math.min(sb, perCore - issued, ios - seq);
      const start = cursor;
      let t = start;
      const batch: { seq: number; dev: number; devEnd: number }[] = [];
      let end = 0;
      for (let k = 0; k < n; k++) {
        const dev = seq % devs.length;
        out.push({ kind: "io", tNs: t, durNs: submitNs, track: dev, name: "submit", value: seq });
        t += submitNs;
        if (!j.noop) {
          out.push({ kind: "io", tNs: t, durNs: mapNs, track: dev, name: "map", value: seq });
          t += mapNs;
          if (j.iommu !== "passthrough" && rnd() < 0.3) misses++;
        }
        out.push({ kind: "io", tNs: t, durNs: cmdNs, track: dev, name: "command", value: seq });
        t += cmdNs;
        const d = devs[dev];
        const lat = j.noop ? 0 : Math.round(
          (j.write ? d.write_latency_ns : d.read_latency_ns) +
            rnd() * d.latency_jitter_ns,
        );
        if (!j.noop) out.push({ kind: "io", tNs: t, durNs: lat, track: dev, name: "device", value: seq });
        batch.push({ seq, dev, devEnd: t + lat });
        end = Math.max(end, t + lat);
        seq++;
      }
      t += c.doorbell + c.enter;
      out.push({ kind: "cpu", tNs: start, durNs: t - start, track: core, name: "submit", value: 0 });
      depth += n;
      out.push({ kind: "counter", tNs: t, durNs: 0, track: core, name: "queue_depth", value: depth });
      out.push({ kind: "counter", tNs: t, durNs: 0, track: 0, name: "iotlb_misses", value: misses });
      inflight.push({ end, ios: batch });
      issued += n;
      cursor = t;
    }
    while (inflight.length > 0) reap();
    if (out.length > TRACE_RECORDS_MAX) break;
  }
  return out.slice(0, TRACE_RECORDS_MAX).sort((a, b) => a.tNs - b.tNs);
}

/** One row of the published comparison (`bench/published.ts`'s `runPublishedComparison`). */
export interface PublishedRow {
  /** IOMMU mode. */
  mode: IommuMode;
  /** Buffer kind. */
  buffers: BufferKind;
  /** Number of drives. */
  drives: number;
  /** Simulated IOPS. */
  simIops: number;
  /** Published IOPS (cover letter). */
  publishedIops: number;
  /** (sim - published) / published, percent. */
  diffPct: number;
  /** CPU ns per I/O in the simulation. */
  cpuNsPerIo: number;
  /** p99 completion latency, ns. */
  p99Ns: number;
}

/**
 * Fake published comparison: the cover letter's runs (512 B random reads,
 * QD128, batches of 32, one core) through the fake runner.
 *
 * @example
 * ```ts
 * import { runPublishedComparison } from "./workload_fake.ts";
 * console.log(runPublishedComparison().length); // 8
 * ```
 */
export function runPublishedComparison(ios = 20_000, seed = 1): PublishedRow[] {
  const cases: [IommuMode, BufferKind, number, number][] = [
    ["strict", "fixed", 1, 570_000],
    ["strict", "dmabuf", 1, 5_010_000],
    ["lazy", "fixed", 1, 1_930_000],
    ["lazy", "dmabuf", 1, 5_010_000],
    ["passthrough", "fixed", 1, 5_010_000],
    ["passthrough", "dmabuf", 1, 5_010_000],
    ["passthrough", "fixed", 2, 5_970_000],
    ["passthrough", "dmabuf", 2, 6_130_000],
  ];
  const base = resolveProfile("optane-p5800x");
  const twoDrives = {
    ...base,
    name: "optane-p5800x-x2",
    devices: [base.devices[0], { ...base.devices[0], name: "nvme1n1" }],
  };
  return cases.map(([mode, buffers, drives, published]) => {
    const r = runUring({
      profile: drives === 2 ? twoDrives as unknown as Record<string, unknown> : "optane-p5800x",
      devices: drives === 2 ? ["nvme0n1", "nvme1n1"] : ["nvme0n1"],
      iommu: mode,
      buffers,
      bs: 512,
      ios,
      seed,
    });
    return {
      mode,
      buffers,
      drives,
      simIops: r.iops,
      publishedIops: published,
      diffPct: (r.iops - published) / published * 100,
      cpuNsPerIo: r.cpuNsPerIo,
      p99Ns: r.latency.percentiles["99.000000"],
    };
  });
}
