/**
 * The workload runner: t/io_uring's submitter loop over a simulated
 * machine. Set-up (rings, files, buffers, dma-bufs) goes through the same
 * uAPI a program uses; the loop itself runs inside Wasm. Every number in the
 * result comes out of the simulation.
 *
 * @module
 */
import { guard, w } from "./wasm.ts";
import { DMABUF_COUNTERS, IOMMU_COUNTERS, System } from "./system.ts";
import {
  F_SEAL_SHRINK,
  IORING_OP_NOP,
  IORING_OP_READ,
  IORING_OP_READ_FIXED,
  IORING_OP_WRITE,
  IORING_OP_WRITE_FIXED,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_IOPOLL,
  MFD_ALLOW_SEALING,
  O_DIRECT,
  O_RDWR,
} from "./constants.ts";
import {
  ioUringQueueInitParams,
  registerBufferDmabuf,
  registerBuffers,
  registerBuffersSparse,
  registerFiles,
} from "./liburing.ts";
import type { LatencyStats, RunResult, RunSample, UringJob } from "./workload_types.ts";
import { applyThreadJobs, checkThreadJobs, readThreadResults } from "./workload_fio.ts";
import { securityReport } from "./security.ts";

export type * from "./workload_types.ts";

/** CPU layers, in asm order (engine.ts LAYER_*). */
export const LAYER_NAMES = [
  "app",
  "io_uring",
  "block",
  "nvme",
  "dma",
  "iommu_wait",
  "dmabuf",
  "poll",
  "irq",
  "spin",
] as const;

/** fio's default completion-latency percentiles. */
export const PERCENTILES = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

/** A bad job description (a usage error: the CLI exits 2). */
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

function intIn(field: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new JobError(field, `expected an integer ${min}..${max}, got ${v}`);
  }
  return v;
}

function latencyStats(): LatencyStats {
  const n = w.stat_get(0);
  const buckets = w.stat_get(6);
  const percentiles: Record<string, number> = {};
  if (n === 0) {
    for (const p of PERCENTILES) percentiles[p.toFixed(6)] = 0;
    return { minNs: 0, maxNs: 0, meanNs: 0, stddevNs: 0, percentiles, buckets: emptyBuckets() };
  }
  const targets = PERCENTILES.map((p) => Math.ceil((p / 100) * n));
  let acc = 0;
  let k = 0;
  for (let i = 0; i < buckets && k < targets.length; i++) {
    acc += Number(w.hist_get(i));
    while (k < targets.length && acc >= targets[k]) {
      const lo = Number(w.hist_lower(i));
      const hi = Number(w.hist_lower(i + 1));
      // The bucket's middle, kept within what was observed (a bucket is up to 3% wide).
      const mid = Math.round((lo + Math.max(lo, hi - 1)) / 2);
      percentiles[PERCENTILES[k].toFixed(6)] = Math.min(Math.max(mid, w.stat_get(5)), w.stat_get(4));
      k++;
    }
  }
  const mean = w.stat_get(3) / n;
  return {
    minNs: w.stat_get(5),
    maxNs: w.stat_get(4),
    meanNs: mean,
    // The sample standard deviation, as fio reports it (n - 1).
    stddevNs: n > 1 ? Math.sqrt(Math.max(0, (w.stat_get(7) - n * mean * mean) / (n - 1))) : 0,
    percentiles,
    buckets: fioBuckets(n, buckets),
  };
}

/** fio's latency bucket bounds (stat.c): ns and µs up to 1000, ms up to 2000 then ">=2000". */
const FIO_BOUNDS = [2, 4, 10, 20, 50, 100, 250, 500, 750, 1000];
const FIO_BOUNDS_MS = [...FIO_BOUNDS, 2000];

function emptyBuckets(): LatencyStats["buckets"] {
  const z = (b: number[]) => Object.fromEntries(b.map((x) => [String(x), 0]));
  return { ns: z(FIO_BOUNDS), us: z(FIO_BOUNDS), ms: { ...z(FIO_BOUNDS_MS), ">=2000": 0 } };
}

/** The histogram folded into fio's buckets, as percentages of the `n` I/Os. */
function fioBuckets(n: number, hbuckets: number): LatencyStats["buckets"] {
  const out = emptyBuckets();
  if (n === 0) return out;
  const place = (ns: number): [keyof LatencyStats["buckets"], string] => {
    if (ns < 1000) return ["ns", String(FIO_BOUNDS.find((b) => ns < b) ?? 1000)];
    if (ns < 1_000_000) return ["us", String(FIO_BOUNDS.find((b) => ns / 1000 < b) ?? 1000)];
    const ms = ns / 1e6;
    const b = FIO_BOUNDS_MS.find((x) => ms < x);
    return ["ms", b === undefined ? ">=2000" : String(b)];
  };
  for (let i = 0; i < hbuckets; i++) {
    const c = Number(w.hist_get(i));
    if (c === 0) continue;
    // A histogram bucket is placed by its lower bound (it is < 3.2% wide).
    const [unit, key] = place(Number(w.hist_lower(i)));
    out[unit][key] += (c / n) * 100;
  }
  return out;
}

/**
 * Run a t/io_uring-like job and return its results.
 *
 * @example
 * ```ts
 * import { runUring } from "./workload.ts";
 * const r = runUring({ profile: "optane-p5800x", iommu: "lazy", bs: 512, buffers: "dmabuf", ios: 200_000 });
 * console.log(Math.round(r.iops / 1e3), "KIOPS");
 * ```
 */
export function runUring(job: UringJob): RunResult {
  const sys = new System({
    profile: job.profile ?? "optane-p5800x",
    iommu: job.iommu,
    functional: job.functional ?? false,
    seed: job.seed ?? 1,
  });
  const p = sys.profile;
  const threads = intIn("threads", job.threads ?? 1, 1, p.cpu.cores);
  const depth = intIn("depth", job.depth ?? 128, 1, 4096);
  const submitBatch = intIn("submitBatch", job.submitBatch ?? 32, 1, depth);
  const completeBatch = intIn("completeBatch", job.completeBatch ?? 32, 1, depth);
  const bs = intIn("bs", job.bs ?? 4096, 1, 1 << 24);
  const polled = job.polled ?? true;
  const fixedFiles = job.fixedFiles ?? true;
  const buffers = job.buffers ?? "fixed";
  if (!["plain", "fixed", "dmabuf", "bounce"].includes(buffers)) {
    throw new JobError("buffers", `expected plain|fixed|dmabuf|bounce, got ${buffers}`);
  }
  const dmabufMemory = job.dmabufMemory ?? "host";
  if (dmabufMemory !== "host" && dmabufMemory !== "gpu") {
    throw new JobError("dmabufMemory", `expected host|gpu, got ${dmabufMemory}`);
  }
  if (dmabufMemory === "gpu" && p.gpus.length === 0) {
    throw new JobError("dmabufMemory", "the profile has no GPU");
  }
  const direct = job.direct ?? true;
  const random = job.random ?? true;
  const write = job.write ?? false;
  if (buffers === "bounce") {
    if (p.gpus.length === 0) throw new JobError("buffers", "bounce needs a GPU in the profile");
    if (write) throw new JobError("write", "the bounce path models reads (device to GPU) only");
  }
  const noop = job.noop ?? false;
  const seed = intIn("seed", job.seed ?? 1, 0, 2 ** 31);
  const devNames = job.devices?.length ? job.devices : [p.devices[0].name];
  const devs = devNames.map((n) => {
    const i = sys.deviceIndex(n);
    if (i < 0) {
      throw new JobError(
        "devices",
        `unknown device "${n}"; profile has ${p.devices.map((d) => d.name).join(", ")}`,
      );
    }
    return i;
  });
  const lba = Math.max(...devs.map((d) => p.devices[d].lba_bytes));
  if (!noop && direct && bs % lba !== 0) {
    throw new JobError("bs", `must be a multiple of the ${lba}-byte LBA size with O_DIRECT`);
  }
  if (polled && !direct && !noop) throw new JobError("polled", "polled I/O needs O_DIRECT");
  const capacity = Math.min(...devs.map((d) => sys.deviceBytes(d)));
  const rangeBytes = job.rangeBytes ?? capacity;
  if (!Number.isFinite(rangeBytes) || rangeBytes < bs || rangeBytes > capacity) {
    throw new JobError("rangeBytes", `expected ${bs}..${capacity} bytes, got ${rangeBytes}`);
  }
  const runtimeNs = job.runtimeNs ?? null;
  let ios = job.ios ?? null;
  const fio = job.fioThreads;
  if (fio) {
    const fail = (field: string, message: string): never => {
      throw new JobError(field, message);
    };
    if (fio.length !== threads) fail("fioThreads", `expected one job per thread (${threads})`);
    if (checkThreadJobs(fio, capacity, lba, fail) !== bs) {
      fail("bs", "must be the largest of fioThreads' block sizes");
    }
    if (runtimeNs === null && fio.some((f) => f.ios === 0)) {
      fail("fioThreads", "every job needs ios without runtimeNs");
    }
  }
  if (runtimeNs === null && ios === null && !fio) ios = 1_000_000;
  if (runtimeNs !== null && (!(runtimeNs > 0) || !Number.isFinite(runtimeNs))) {
    throw new JobError("runtimeNs", `expected a positive number, got ${runtimeNs}`);
  }
  if (ios !== null) intIn("ios", ios, 1, 1e12);
  const warmupIos = intIn("warmupIos", job.warmupIos ?? depth * threads, 0, 1e12);
  // t/io_uring has a buffer per SQ slot: the ring's entries, depth rounded up to a power of two.
  const nbufs = 2 ** Math.ceil(Math.log2(depth));
  if (buffers === "dmabuf" && dmabufMemory === "host" && nbufs * bs > 64 << 20) {
    throw new JobError("buffers", `a udmabuf is at most 64 MiB; a buffer per SQ slot is ${nbufs * bs} bytes`);
  }

  const op = noop
    ? IORING_OP_NOP
    : buffers === "plain"
    ? (write ? IORING_OP_WRITE : IORING_OP_READ)
    : (write ? IORING_OP_WRITE_FIXED : IORING_OP_READ_FIXED);
  const bufKind = { plain: 0, fixed: 1, dmabuf: 2, bounce: 3 }[buffers];
  const die = (what: string, ret: number): never => {
    throw new Error(`set-up failed: ${what} returned ${ret}`);
  };

  guard(() =>
    w.wl_setup(
      threads,
      depth,
      submitBatch,
      completeBatch,
      bs,
      op,
      fixedFiles ? 1 : 0,
      random ? 1 : 0,
      Math.floor(rangeBytes / bs),
      bufKind,
      warmupIos,
      ios ?? 0,
      runtimeNs ?? 0,
      job.sampleNs ?? 1e9,
      seed,
    )
  );
  // Files to threads as t/io_uring assigns them: each file to threads_per_f
  // threads (one more for the first threads_rem files), round robin.
  const threadDevs: number[][] = Array.from({ length: threads }, () => []);
  {
    const perF = Math.max(1, Math.floor(threads / devs.length));
    let rem = threads >= devs.length ? threads - perF * devs.length : 0;
    let j = 0;
    for (const d of devs) {
      const limit = perF + (rem > 0 ? 1 : 0);
      for (let k = 0; k < limit; k++) threadDevs[(j + k) % threads].push(d);
      rem--;
      j += limit;
    }
  }
  const ringIds: number[] = [];
  for (let t = 0; t < threads; t++) {
    // t/io_uring asks for a CQ the size of the SQ.
    const ring = ioUringQueueInitParams(sys, depth, {
      flags: (polled ? IORING_SETUP_IOPOLL : 0) | IORING_SETUP_CQSIZE,
      cqEntries: depth,
      cpu: t,
    });
    if (typeof ring === "number") die("io_uring_setup", ring);
    const r = ring as Exclude<typeof ring, number>;
    const fds = threadDevs[t].map((d) => {
      const fd = sys.open(p.devices[d].name, O_RDWR | (direct ? O_DIRECT : 0));
      return fd < 0 ? die("open", fd) : fd;
    });
    if (fixedFiles) {
      const ret = registerFiles(r, fds);
      if (ret < 0) die("io_uring_register_files", ret);
    }
    let base = 0;
    if (buffers !== "dmabuf") {
      base = sys.mmapAnon(nbufs * bs);
      if (base < 0) die("mmap", base);
      if (buffers !== "plain") {
        const ret = registerBuffers(
          r,
          Array.from({ length: nbufs }, (_, i) => ({ iovBase: base + i * bs, iovLen: bs })),
        );
        if (ret < 0) die("io_uring_register_buffers", ret);
      }
    } else {
      const size = Math.ceil((nbufs * bs) / 4096) * 4096;
      let dmabuf: number;
      if (dmabufMemory === "gpu") {
        dmabuf = sys.gpuDmabufCreate(0, size);
        if (dmabuf < 0) die("GPU dma-buf", dmabuf);
      } else {
        const mfd = sys.memfdCreate(MFD_ALLOW_SEALING);
        let r0 = sys.ftruncate(mfd, size);
        if (r0 < 0) die("ftruncate", r0);
        r0 = sys.fcntlAddSeals(mfd, F_SEAL_SHRINK);
        if (r0 < 0) die("F_ADD_SEALS", r0);
        dmabuf = sys.udmabufCreate(mfd, 0, size);
        if (dmabuf < 0) die("UDMABUF_CREATE", dmabuf);
      }
      const ret = registerBuffersSparse(r, fds.length);
      if (ret < 0) die("io_uring_register_buffers_sparse", ret);
      fds.forEach((fd, i) => {
        const rr = registerBufferDmabuf(r, i, dmabuf, fd);
        if (rr < 0) die("register dma-buf", rr);
      });
    }
    w.wl_thread(t, r.id, base);
    ringIds.push(r.id);
    fds.forEach((fd, i) => w.wl_thread_file(t, fixedFiles ? i : fd, i));
  }
  if (fio) applyThreadJobs(fio);
  if (job.trace) w.trace_start();

  const wall0 = performance.now();
  guard(() => w.wl_start());
  const expect = ios ?? (fio && runtimeNs === null ? fio.reduce((a, f) => a + f.ios, 0) : 0);
  for (let guardN = 0;; guardN++) {
    const st = guard(() => w.wl_run(200_000));
    if (st === 1) break;
    if (st === -1) throw new Error("simulation stalled: no event left before the run finished");
    if (job.onProgress) {
      const measured = w.stat_get(0) + w.stat_get(2);
      const frac = expect > 0
        ? measured / expect
        : w.wl_stat(9)
        ? (sys.coreTimeNs(0) - w.wl_stat(4)) / (runtimeNs ?? 1)
        : 0;
      job.onProgress(Math.min(1, frac));
    }
  }
  const wallS = (performance.now() - wall0) / 1000;
  if (job.trace) w.trace_stop();

  // Results over the measurement window.
  const t0 = w.wl_stat(4);
  const t1 = w.wl_stat(5);
  const simNs = Math.max(1, t1 - t0);
  const measured = w.stat_get(0);
  const cpuUtil: number[] = [];
  let busyWork = 0;
  const layers = Object.fromEntries(LAYER_NAMES.map((n) => [n, 0])) as Record<string, number>;
  for (let c = 0; c < threads; c++) {
    const busy = w.wl_end_busy(c) - w.wl_snap_busy(c);
    cpuUtil.push(Math.min(1, busy / simNs));
    LAYER_NAMES.forEach((n, l) => {
      layers[n] += w.wl_end_layer(c, l) - w.wl_snap_layer(c, l);
    });
  }
  for (const n of LAYER_NAMES) if (n !== "spin") busyWork += layers[n];
  const perIo = (x: number) => (measured > 0 ? x / measured : 0);
  const iommu = Object.fromEntries(IOMMU_COUNTERS.map((n, i) => [n, w.iommu_counter(i) - w.snap_get(0, i)]));
  const dmabuf = Object.fromEntries(
    DMABUF_COUNTERS.map((n, i) => [n, w.dmabuf_counter(i) - w.snap_get(1, i)]),
  );
  const devices = devs.map((d) => ({
    name: p.devices[d].name,
    iops: ((w.nvme_ctrl_cmds(d) - w.snap_get(2, d * 3)) / simNs) * 1e9,
    ctrlUtil: Math.min(1, (w.nvme_ctrl_busy_ns(d) - w.snap_get(2, d * 3 + 1)) / simNs),
    linkUtil: Math.min(1, (w.nvme_link_busy_ns(d) - w.snap_get(2, d * 3 + 2)) / simNs),
    occupancyMean: w.nvme_window_stat(d, 0) / simNs,
    latencyMeanNs: w.nvme_window_stat(d, 2) > 0 ? w.nvme_window_stat(d, 1) / w.nvme_window_stat(d, 2) : 0,
  }));
  const rings = ringIds.map((id) => ({ inflightMean: w.stats_ring_area(id) / simNs }));
  // Every IOMMU unit the drives sit behind (one per profile; units beyond are idle).
  const invalQueues = Array.from({ length: p.iommu.units }, (_, u) => {
    const d = (k: number) => w.iommu_unit_stat(u, k) - w.snap_get(3, u * 4 + k);
    const syncs = d(2);
    return {
      unit: u,
      busyFrac: Math.min(1, d(0) / simNs),
      commands: d(1),
      syncs,
      batchMean: syncs > 0 ? d(3) / syncs : 0,
    };
  });

  const samples: RunSample[] = [];
  const ns = w.wl_stat(8);
  const words = w.wl_sample_words();
  const sp = w.wl_sample_ptr();
  const v = sys.view;
  const rd = (i: number, k: number) => Number(v.getBigUint64(sp + 8 * (i * words + k), true));
  for (let i = 1; i < ns; i++) {
    const dt = rd(i, 0) - rd(i - 1, 0);
    if (dt <= 0) continue;
    const dios = rd(i, 1) - rd(i - 1, 1);
    const dcalls = rd(i, 3) - rd(i - 1, 3);
    const dsub = rd(i, 4) - rd(i - 1, 4);
    const dreap = rd(i, 5) - rd(i - 1, 5);
    const s: RunSample = {
      tNs: rd(i, 0) - t0,
      iops: (dios / dt) * 1e9,
      bwBytesPerS: ((rd(i, 2) - rd(i - 1, 2)) / dt) * 1e9,
      cpuUtil: Array.from(
        { length: threads },
        (_, c) => Math.min(1, (rd(i, 6 + 2 * c) - rd(i - 1, 6 + 2 * c)) / dt),
      ),
      callsPerS: (dcalls / dt) * 1e9,
      iosPerCall: dcalls > 0 ? dreap / dcalls : 0,
      submittedPerCall: dcalls > 0 ? dsub / dcalls : 0,
    };
    samples.push(s);
    job.onSample?.(s);
  }

  const calls = w.wl_stat(10) - w.wl_stat(6);
  const result: RunResult = {
    job: {
      profile: p.name,
      iommu: p.iommu.mode,
      devices: devs.map((d) => p.devices[d].name),
      threads,
      depth,
      submitBatch,
      completeBatch,
      bs,
      polled,
      fixedFiles,
      buffers,
      dmabufMemory,
      direct,
      random,
      write,
      rangeBytes,
      noop,
      runtimeNs,
      ios,
      warmupIos,
      seed,
      functional: job.functional ?? false,
    },
    ios: measured,
    errors: w.stat_get(2),
    simNs,
    iops: (measured / simNs) * 1e9,
    bwBytesPerS: (w.stat_get(1) / simNs) * 1e9,
    cpuUtil,
    cpuNsPerIo: perIo(busyWork),
    cpuNsPerIoByLayer: Object.fromEntries(LAYER_NAMES.map((n) => [n, perIo(layers[n])])),
    latency: latencyStats(),
    iommu,
    devices,
    inflightMean: rings.reduce((a, r) => a + r.inflightMean, 0),
    rings,
    invalQueues,
    dmabuf,
    memory: { gpuCopies: w.gpu_counter(0), hostMemBytes: w.gpu_counter(1), gpuLinkBytes: w.gpu_counter(2) },
    security: securityReport(
      p,
      Math.max(...Array.from({ length: p.cpu.cores }, (_, c) => sys.coreTimeNs(c))),
    ),
    calls,
    samples,
    wallS,
    simIosPerWallS: wallS > 0 ? w.wl_stat(0) / wallS : 0,
    realTimeRatio: wallS > 0
      ? (Math.max(...Array.from({ length: threads }, (_, c) => sys.coreTimeNs(c))) / 1e9) / wallS
      : 0,
  };
  if (job.trace) {
    result.trace = readTrace(sys);
    result.traceDropped = w.trace_dropped();
  }
  if (fio) result.fioThreads = readThreadResults(threads, t0, Array.from({ length: ns }, (_, i) => rd(i, 0)));
  return result;
}

const TRACE_KINDS: Record<number, [RunResultTraceKind, string]> = {
  1: ["io", "submit"],
  2: ["io", "map"],
  3: ["io", "command"],
  4: ["io", "device"],
  5: ["io", "complete"],
  6: ["io", "unmap"],
  10: ["cpu", "io_uring_enter"],
  11: ["cpu", "poll"],
  12: ["cpu", "irq"],
  13: ["cpu", "iotlb_inval_wait"],
  20: ["inval", "iotlb_invalidation"],
  30: ["counter", "inflight"],
  31: ["counter", "iotlb_misses"],
};
type RunResultTraceKind = "io" | "cpu" | "inval" | "counter";

function readTrace(sys: System): NonNullable<RunResult["trace"]> {
  const n = w.trace_count();
  const base = w.trace_buf();
  const v = sys.view;
  const out: NonNullable<RunResult["trace"]> = [];
  for (let i = 0; i < n; i++) {
    const p = base + 32 * i;
    const kind = v.getUint8(p + 22);
    const k = TRACE_KINDS[kind];
    if (!k) continue;
    out.push({
      kind: k[0],
      tNs: Number(v.getBigUint64(p, true)),
      durNs: Number(v.getBigUint64(p + 8, true)),
      track: v.getUint16(p + 20, true),
      name: k[1],
      value: v.getUint32(p + 16, true),
    });
  }
  return out;
}
