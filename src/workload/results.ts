/**
 * A finished workload's results, read out of the machine: CPU by core and by
 * layer, latency percentiles, IOMMU / dma-buf / device counters over the
 * measurement window, the per-second samples, and the trace.
 *
 * @module
 */
import { w } from "../wasm.ts";
import { DMABUF_COUNTERS, IOMMU_COUNTERS, type System } from "../system.ts";
import type { RunResult, RunSample, TraceRecord, UringJob } from "../workload_types.ts";
import type { ResolvedJob } from "./job.ts";
import {
  BLK_MQ_COUNTER,
  GPU_COUNTER,
  namesInOrder,
  NVME_WINDOW,
  SAMPLE,
  SNAP,
  SNAP_CTRL,
  SNAP_IOMMU_UNIT,
  ST,
  WL_STAT,
} from "./stat_index.ts";
import { securityReport } from "../security.ts";
import { latencyStats } from "./latency.ts";
import { readThreadResults, readVerifyFailures } from "../workload_fio.ts";
import {
  CPU_LAYER,
  DMABUF_COUNTER,
  IOMMU_COUNTER,
  TRACE_ENTRY,
  TRACE_KIND,
  type TraceEntry,
} from "../abi.generated.ts";

/** CPU layers, in the order of their indices (asm/sim/abi.ts CPU_LAYER_*). */
export const LAYER_NAMES: readonly (keyof typeof CPU_LAYER)[] = namesInOrder(CPU_LAYER);

/** The result of the run just finished on `sys`, which took `wallS` wall-clock seconds. */
export function collectResult(
  sys: System,
  job: ResolvedJob,
  userJob: UringJob,
  ringIds: number[],
  wallS: number,
  sampleReader: SampleReader,
): RunResult {
  const t0 = w.wl_stat(WL_STAT.t0Ns);
  const simNs = Math.max(1, w.wl_stat(WL_STAT.t1Ns) - t0);
  const measured = w.stat_get(ST.ios);
  const { cpuUtil, layers } = cpuByCoreAndLayer(job.threads, simNs);
  let busyWork = 0;
  for (const n of LAYER_NAMES) if (n !== "spin") busyWork += layers[n];
  const perIo = (x: number) => (measured > 0 ? x / measured : 0);
  const { iommu, dmabuf, devices } = windowCounters(sys, job.devs, simNs);
  const rings = ringIds.map((id) => ({ inflightMean: w.stats_ring_area(id) / simNs }));
  const invalQueues = invalidationQueues(sys, simNs);
  sampleReader.take();
  const samples = sampleReader.samples;
  const result: RunResult = {
    job: resolvedJobFields(sys, job, userJob),
    ios: measured,
    errors: w.stat_get(ST.errors),
    simNs,
    iops: (measured / simNs) * 1e9,
    bwBytesPerS: (w.stat_get(ST.bytes) / simNs) * 1e9,
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
    memory: {
      gpuCopies: w.gpu_counter(GPU_COUNTER.copies),
      hostMemBytes: w.gpu_counter(GPU_COUNTER.hostMemBytes),
      gpuLinkBytes: w.gpu_counter(GPU_COUNTER.linkBytes),
    },
    block: {
      requeues: w.blk_mq_counter(BLK_MQ_COUNTER.requeues),
      resourceDelayRuns: w.blk_mq_counter(BLK_MQ_COUNTER.resourceDelayRuns),
      restarts: w.blk_mq_counter(BLK_MQ_COUNTER.restarts),
      retries: w.blk_mq_counter(BLK_MQ_COUNTER.retries),
    },
    security: securityReport(
      sys.profile,
      Math.max(...Array.from({ length: sys.profile.cpu.cores }, (_, c) => sys.coreTimeNs(c))),
    ),
    calls: w.wl_stat(WL_STAT.callsAtEnd) - w.wl_stat(WL_STAT.callsAtStart),
    samples,
    wallS,
    simIosPerWallS: wallS > 0 ? w.wl_stat(WL_STAT.ios) / wallS : 0,
    realTimeRatio: wallS > 0
      ? (Math.max(...Array.from({ length: job.threads }, (_, c) => sys.coreTimeNs(c))) / 1e9) / wallS
      : 0,
  };
  if (userJob.trace) {
    result.trace = readTrace(sys);
    result.traceDropped = w.trace_dropped();
  }
  if (job.fio) {
    result.fioThreads = readThreadResults(job.fio, t0, sampleTimes(sys));
    const verify = readVerifyFailures();
    if (verify.total > 0) result.fioVerifyFailures = verify;
  }
  return result;
}

/** The job as resolved, in the result's field order (the CLI prints it as JSON). */
function resolvedJobFields(sys: System, job: ResolvedJob, userJob: UringJob): RunResult["job"] {
  const p = sys.profile;
  return {
    profile: p.name,
    iommu: p.iommu.mode,
    devices: [...job.devNames],
    threads: job.threads,
    depth: job.depth,
    submitBatch: job.submitBatch,
    completeBatch: job.completeBatch,
    bs: job.bs,
    polled: job.polled,
    fixedFiles: job.fixedFiles,
    buffers: job.buffers,
    dmabufMemory: job.dmabufMemory,
    direct: job.direct,
    random: job.random,
    write: job.write,
    rangeBytes: job.rangeBytes,
    noop: job.noop,
    runtimeNs: job.runtimeNs,
    ios: job.ios,
    warmupIos: job.warmupIos,
    seed: job.seed,
    functional: userJob.functional ?? false,
  };
}

/** Per-core utilisation and per-layer CPU ns (all cores) over the window. */
function cpuByCoreAndLayer(threads: number, simNs: number) {
  const cpuUtil: number[] = [];
  const layers = Object.fromEntries(LAYER_NAMES.map((n) => [n, 0])) as Record<string, number>;
  for (let c = 0; c < threads; c++) {
    const busy = w.wl_end_busy(c) - w.wl_snap_busy(c);
    cpuUtil.push(Math.min(1, busy / simNs));
    for (const n of LAYER_NAMES) {
      layers[n] += w.wl_end_layer(c, CPU_LAYER[n]) - w.wl_snap_layer(c, CPU_LAYER[n]);
    }
  }
  return { cpuUtil, layers };
}

/** IOMMU, dma-buf and per-drive counters over the window: now minus the snapshot taken when it opened. */
function windowCounters(sys: System, devs: number[], simNs: number) {
  const p = sys.profile;
  const iommu = Object.fromEntries(
    IOMMU_COUNTERS.map((
      n,
    ) => [n, w.iommu_counter(IOMMU_COUNTER[n]) - w.snap_get(SNAP.iommu, IOMMU_COUNTER[n])]),
  );
  const dmabuf = Object.fromEntries(
    DMABUF_COUNTERS.map((
      n,
    ) => [n, w.dmabuf_counter(DMABUF_COUNTER[n]) - w.snap_get(SNAP.dmabuf, DMABUF_COUNTER[n])]),
  );
  const ctrl = (d: number, k: number) => w.snap_get(SNAP.ctrl, d * SNAP_CTRL.words + k);
  const devices = devs.map((d) => ({
    name: p.devices[d].name,
    iops: ((w.nvme_ctrl_cmds(d) - ctrl(d, SNAP_CTRL.cmds)) / simNs) * 1e9,
    ctrlUtil: Math.min(1, (w.nvme_ctrl_busy_ns(d) - ctrl(d, SNAP_CTRL.busyNs)) / simNs),
    linkUtil: Math.min(1, (w.nvme_link_busy_ns(d) - ctrl(d, SNAP_CTRL.linkBusyNs)) / simNs),
    occupancyMean: w.nvme_window_stat(d, NVME_WINDOW.occupancyAreaNs) / simNs,
    latencyMeanNs: w.nvme_window_stat(d, NVME_WINDOW.commands) > 0
      ? w.nvme_window_stat(d, NVME_WINDOW.latencySumNs) / w.nvme_window_stat(d, NVME_WINDOW.commands)
      : 0,
  }));
  return { iommu, dmabuf, devices };
}

/** Every IOMMU unit's invalidation queue over the window (one per profile unit; units no drive uses are idle). */
function invalidationQueues(sys: System, simNs: number): RunResult["invalQueues"] {
  return Array.from({ length: sys.profile.iommu.units }, (_, u) => {
    const d = (k: number) =>
      w.iommu_unit_stat(u, k) - w.snap_get(SNAP.iommuUnit, u * SNAP_IOMMU_UNIT.words + k);
    const syncs = d(SNAP_IOMMU_UNIT.syncs);
    return {
      unit: u,
      busyFrac: Math.min(1, d(SNAP_IOMMU_UNIT.busyNs) / simNs),
      commands: d(SNAP_IOMMU_UNIT.commands),
      syncs,
      batchMean: syncs > 0 ? d(SNAP_IOMMU_UNIT.batched) / syncs : 0,
    };
  });
}

/** The simulated time of each per-second sample taken. */
function sampleTimes(sys: System): number[] {
  const words = w.wl_sample_words();
  const sp = w.wl_sample_ptr();
  const v = sys.view;
  return Array.from(
    { length: w.wl_stat(WL_STAT.samples) },
    (_, i) => Number(v.getBigUint64(sp + 8 * (i * words + SAMPLE.tNs), true)),
  );
}

/**
 * The per-second samples as rates over each interval, read out while the run goes on (the Wasm
 * loop records them; this side takes the new ones after each slice) and passed to `onSample` as
 * they are read.
 */
export class SampleReader {
  /** Every sample read so far, in order. */
  readonly samples: RunSample[] = [];
  /** The next sample index to read; sample 0 is the start of the measurement window. */
  #next = 1;

  /** A reader of `sys`'s samples for a run of `threads` threads. */
  constructor(
    private readonly sys: System,
    private readonly threads: number,
    private readonly onSample: UringJob["onSample"],
  ) {}

  /** Read the samples recorded since the last call. */
  take(): void {
    const ns = w.wl_stat(WL_STAT.samples);
    if (this.#next >= ns) return;
    const t0 = w.wl_stat(WL_STAT.t0Ns);
    const words = w.wl_sample_words();
    const sp = w.wl_sample_ptr();
    const v = this.sys.view; // fresh: the module's memory may have grown since the last look
    const rd = (i: number, k: number) => Number(v.getBigUint64(sp + 8 * (i * words + k), true));
    const delta = (i: number, k: number) => rd(i, k) - rd(i - 1, k);
    for (; this.#next < ns; this.#next++) {
      const i = this.#next;
      const dt = delta(i, SAMPLE.tNs);
      if (dt <= 0) continue;
      const dcalls = delta(i, SAMPLE.calls);
      const s: RunSample = {
        tNs: rd(i, SAMPLE.tNs) - t0,
        iops: (delta(i, SAMPLE.ios) / dt) * 1e9,
        bwBytesPerS: (delta(i, SAMPLE.bytes) / dt) * 1e9,
        cpuUtil: Array.from(
          { length: this.threads },
          (_, c) => Math.min(1, delta(i, SAMPLE.coreBusy + SAMPLE.coreWords * c) / dt),
        ),
        callsPerS: (dcalls / dt) * 1e9,
        iosPerCall: dcalls > 0 ? delta(i, SAMPLE.reaped) / dcalls : 0,
        submittedPerCall: dcalls > 0 ? delta(i, SAMPLE.submitted) / dcalls : 0,
      };
      this.samples.push(s);
      this.onSample?.(s);
    }
  }
}

/** Trace record kinds (asm/sim/abi.ts TRACE_KIND_*, the entry's kind byte) as the record's kind and name. */
const TRACE_KINDS: Record<number, [TraceRecord["kind"], string]> = {
  [TRACE_KIND.submit]: ["io", "submit"],
  [TRACE_KIND.map]: ["io", "map"],
  [TRACE_KIND.command]: ["io", "command"],
  [TRACE_KIND.device]: ["io", "device"],
  [TRACE_KIND.complete]: ["io", "complete"],
  [TRACE_KIND.unmap]: ["io", "unmap"],
  [TRACE_KIND.cpuEnter]: ["cpu", "io_uring_enter"],
  [TRACE_KIND.cpuPoll]: ["cpu", "poll"],
  [TRACE_KIND.cpuIrq]: ["cpu", "irq"],
  [TRACE_KIND.cpuInvwait]: ["cpu", "iotlb_inval_wait"],
  [TRACE_KIND.inval]: ["inval", "iotlb_invalidation"],
  [TRACE_KIND.cntInflight]: ["counter", "inflight"],
  [TRACE_KIND.cntIotlbMiss]: ["counter", "iotlb_misses"],
};

/** Where a trace entry's fields are (asm/sim/abi.ts struct trace_entry). */
const TRACE_AT = Object.fromEntries(TRACE_ENTRY.fields.map((f) => [f.key, f.offset])) as Record<
  keyof TraceEntry,
  number
>;

/** The trace records the run kept, decoded. */
function readTrace(sys: System): TraceRecord[] {
  const n = w.trace_count();
  const base = w.trace_buf();
  const v = sys.view;
  const out: TraceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const p = base + TRACE_ENTRY.size * i;
    const k = TRACE_KINDS[v.getUint8(p + TRACE_AT.kind)];
    if (!k) continue;
    out.push({
      kind: k[0],
      tNs: Number(v.getBigUint64(p + TRACE_AT.tNs, true)),
      durNs: Number(v.getBigUint64(p + TRACE_AT.durNs, true)),
      track: v.getUint16(p + TRACE_AT.track, true),
      name: k[1],
      value: v.getUint32(p + TRACE_AT.value, true),
    });
  }
  return out;
}
