/**
 * A workload job checked and resolved: every field of a {@link UringJob}
 * validated against the machine (in the order the CLI reports errors) and its
 * defaults filled in, t/io_uring's.
 *
 * @module
 */
import type { Profile } from "../profile.ts";
import type { System } from "../system.ts";
import type { BufferKind, UringJob } from "../workload_types.ts";
import { checkThreadJobs } from "../workload_fio.ts";

/** The longest runtime a job may ask for, ns: 4 hours, inside the engine's clock (2^44 ns, about 4.9 h). */
export const RUNTIME_MAX_NS = 4 * 3_600e9;

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

/** A udmabuf's size limit (drivers/dma-buf/udmabuf.c: `size_limit_mb`, 64 by default). */
const UDMABUF_SIZE_LIMIT_BYTES = 64 << 20;

/** I/Os a job runs when it gives neither a count nor a runtime. */
const DEFAULT_IOS = 1_000_000;

/** A job with every default filled in and every field checked. */
export interface ResolvedJob {
  /** Threads, one per core, each with its own ring. */
  threads: number;
  /** Queue depth per thread. */
  depth: number;
  /** Submit batch. */
  submitBatch: number;
  /** Complete batch. */
  completeBatch: number;
  /** Block size, bytes. */
  bs: number;
  /** Polled completions (IORING_SETUP_IOPOLL). */
  polled: boolean;
  /** Registered files. */
  fixedFiles: boolean;
  /** Buffer kind. */
  buffers: BufferKind;
  /** Where a dma-buf's memory lives. */
  dmabufMemory: "host" | "gpu";
  /** O_DIRECT. */
  direct: boolean;
  /** Random offsets. */
  random: boolean;
  /** Writes instead of reads. */
  write: boolean;
  /** NOPs instead of I/O. */
  noop: boolean;
  /** PRNG seed. */
  seed: number;
  /** The block devices opened, by name: drives or stacked devices (`profile.stacked`). */
  devNames: string[];
  /** Indices of the drives used, in `profile.devices`: the named drives, and stacked devices' members. */
  devs: number[];
  /** Offset range from the start of each device, bytes. */
  rangeBytes: number;
  /** Simulated-time limit, ns, or null. */
  runtimeNs: number | null;
  /** I/O count limit, or null. */
  ios: number | null;
  /** Warm-up I/Os before the measurement window. */
  warmupIos: number;
  /** Buffers per thread: one per SQ slot, the depth rounded up to a power of two (as t/io_uring). */
  nbufs: number;
  /** Sampling interval, simulated ns. */
  sampleNs: number;
  /** fio's ramp_time, ns (0: none). */
  rampNs: number;
  /** One fio job per thread, if any. */
  fio: UringJob["fioThreads"];
}

function intIn(field: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new JobError(field, `expected an integer ${min}..${max}, got ${v}`);
  }
  return v;
}

/**
 * Check `job` against the machine `sys` and fill in t/io_uring's defaults.
 * Throws {@link JobError} naming the first field at fault.
 */
export function resolveJob(job: UringJob, sys: System): ResolvedJob {
  const queue = resolveQueue(job, sys.profile);
  const kind = resolveKind(job, sys.profile);
  const { devNames, devs } = resolveDevices(job, sys);
  const extent = resolveExtent(job, sys, devNames, queue, kind.direct, kind.noop, kind.polled);
  const warmupIos = intIn("warmupIos", job.warmupIos ?? queue.depth * queue.threads, 0, 1e12);
  const nbufs = 2 ** Math.ceil(Math.log2(queue.depth));
  if (
    kind.buffers === "dmabuf" && kind.dmabufMemory === "host" && nbufs * queue.bs > UDMABUF_SIZE_LIMIT_BYTES
  ) {
    throw new JobError(
      "buffers",
      `a udmabuf is at most 64 MiB; a buffer per SQ slot is ${nbufs * queue.bs} bytes`,
    );
  }
  return {
    ...queue,
    ...kind,
    devNames,
    devs,
    ...extent,
    warmupIos,
    nbufs,
    sampleNs: job.sampleNs ?? 1e9,
    rampNs: resolveRamp(job),
    fio: job.fioThreads,
  };
}

/** fio's ramp_time: a whole number of ns, up to 30 days. */
function resolveRamp(job: UringJob): number {
  const r = job.rampNs ?? 0;
  if (!Number.isInteger(r) || r < 0 || r > 30 * 86_400e9) {
    throw new JobError("rampNs", `expected an integer 0..${30 * 86_400e9} ns, got ${r}`);
  }
  return r;
}

/** Threads, depth, batches and block size. */
function resolveQueue(job: UringJob, p: Profile) {
  const threads = intIn("threads", job.threads ?? 1, 1, p.cpu.cores);
  const depth = intIn("depth", job.depth ?? 128, 1, 4096);
  const submitBatch = intIn("submitBatch", job.submitBatch ?? 32, 1, depth);
  const completeBatch = intIn("completeBatch", job.completeBatch ?? 32, 1, depth);
  const bs = intIn("bs", job.bs ?? 4096, 1, 1 << 24);
  return { threads, depth, submitBatch, completeBatch, bs };
}

/** What kind of I/O: completions, files, buffers, direction, the seed. */
function resolveKind(job: UringJob, p: Profile) {
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
  }
  const noop = job.noop ?? false;
  const seed = intIn("seed", job.seed ?? 1, 0, 2 ** 31);
  return { polled, fixedFiles, buffers, dmabufMemory, direct, random, write, noop, seed };
}

/**
 * The block devices, by name (default: the first drive): drives or stacked devices, and the drives
 * they use as indices into `profile.devices` (a stacked device's members, each once).
 */
function resolveDevices(job: UringJob, sys: System): { devNames: string[]; devs: number[] } {
  const p = sys.profile;
  const devNames = (job.devices?.length ? job.devices : [p.devices[0].name]).map((n) =>
    n.replace(/^\/dev\//, "")
  );
  const devs: number[] = [];
  for (const n of devNames) {
    const i = sys.deviceIndex(n);
    const members = i >= 0 ? [i] : (sys.stackedInfo(n)?.memberIndices ?? []);
    if (members.length === 0) {
      const all = [...p.devices.map((d) => d.name), ...sys.stackedDevices().map((s) => s.name)];
      throw new JobError("devices", `unknown device "${n}"; profile has ${all.join(", ")}`);
    }
    for (const m of members) if (!devs.includes(m)) devs.push(m);
  }
  return { devNames, devs };
}

/** A block device's logical block size and size in bytes: a drive's, or a stacked device's. */
function blockDevice(sys: System, name: string): { lba: number; bytes: number } {
  const i = sys.deviceIndex(name);
  if (i >= 0) return { lba: sys.profile.devices[i].lba_bytes, bytes: sys.deviceBytes(i) };
  const info = sys.stackedInfo(name)!;
  return { lba: info.lbaBytes, bytes: info.sizeBytes };
}

/** Alignment against the drives, the offset range, and when the run ends. */
function resolveExtent(
  job: UringJob,
  sys: System,
  devNames: string[],
  queue: { bs: number; threads: number },
  direct: boolean,
  noop: boolean,
  polled: boolean,
) {
  const bs = queue.bs;
  const lba = Math.max(...devNames.map((n) => blockDevice(sys, n).lba));
  if (!noop && direct && bs % lba !== 0) {
    throw new JobError("bs", `must be a multiple of the ${lba}-byte LBA size with O_DIRECT`);
  }
  if (polled && !direct && !noop) throw new JobError("polled", "polled I/O needs O_DIRECT");
  const capacity = Math.min(...devNames.map((n) => blockDevice(sys, n).bytes));
  const rangeBytes = job.rangeBytes ?? capacity;
  if (!Number.isFinite(rangeBytes) || rangeBytes < bs || rangeBytes > capacity) {
    throw new JobError("rangeBytes", `expected ${bs}..${capacity} bytes, got ${rangeBytes}`);
  }
  const runtimeNs = job.runtimeNs ?? null;
  let ios = job.ios ?? null;
  const fio = job.fioThreads;
  if (fio) checkFioThreads(fio, queue.threads, capacity, lba, bs, runtimeNs);
  if (runtimeNs === null && ios === null && !fio) ios = DEFAULT_IOS;
  if (runtimeNs !== null && (!(runtimeNs > 0) || !Number.isFinite(runtimeNs))) {
    throw new JobError("runtimeNs", `expected a positive number, got ${runtimeNs}`);
  }
  // The engine's clock stops at 2^44 ns (about 4.9 h): leave room for warm-up.
  if (runtimeNs !== null && runtimeNs > RUNTIME_MAX_NS) {
    throw new JobError(
      "runtimeNs",
      `at most ${RUNTIME_MAX_NS} ns (4 hours: the engine's clock stops at 2^44 ns)`,
    );
  }
  if (ios !== null) intIn("ios", ios, 1, 1e12);
  return { rangeBytes, runtimeNs, ios };
}

/** One fio job per thread: each checked against the drives, `bs` their largest block size, each counted. */
function checkFioThreads(
  fio: NonNullable<UringJob["fioThreads"]>,
  threads: number,
  capacity: number,
  lba: number,
  bs: number,
  runtimeNs: number | null,
): void {
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
