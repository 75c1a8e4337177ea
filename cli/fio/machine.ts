/**
 * One run of fio jobs (the jobs between two stonewalls) as one engine job:
 * every job's `numjobs` threads on one simulated machine, each thread with
 * its own fio job (depth, batches, mix, block sizes, range, I/O count).
 * Settings of the machine itself (profile, IOMMU, buffer kind, O_DIRECT,
 * polling, registered files, drives, runtime) must agree across the run.
 *
 * @module
 */
import { type LoadedProfile, loadProfile, UsageError } from "../common.ts";
import {
  deviceCapacityBytes,
  DIST,
  type FioThreadErrors,
  type FioThreadJob,
  type FioThreadOffsets,
  type FioThreadPace,
  type IommuMode,
  type UringJob,
} from "../engine.ts";
import type { FioJobOpts } from "./job.ts";
import type { BsSplit } from "./values.ts";
import { CONTENT_OPTIONS } from "./options.ts";
import { verifies, verifyInterval } from "./verify.ts";

/** fio's bandwidth and IOPS averaging window (bwavgtime, iopsavgtime), ms. */
export const FIO_AVG_MSEC = 500;
/** Engines run through the io_uring model as an approximation (see docs/fio.md). */
const APPROXIMATED: Record<string, string> = {
  libaio:
    "libaio runs as io_uring with plain buffers and interrupts (io_submit/io_getevents costs are io_uring's)",
  posixaio: "posixaio runs as io_uring with plain buffers and interrupts",
  psync: "psync runs as io_uring at depth 1 (one pread/pwrite at a time; syscall costs are io_uring_enter's)",
  sync: "sync runs as io_uring at depth 1 (syscall costs are io_uring_enter's)",
  pvsync: "pvsync runs as io_uring at depth 1 (syscall costs are io_uring_enter's)",
  pvsync2: "pvsync2 runs as io_uring at depth 1 (syscall costs are io_uring_enter's)",
  null:
    "null runs as io_uring NOPs (IORING_OP_NOP: the ring's costs, no drive; fio's null engine has no ring " +
    "and completes each I/O at once), with the bytes counted as fio's null engine counts them",
};

/** A run's engine job, the threads' owners, and what the model approximates. */
export interface FioMachine {
  /** The engine job. */
  job: UringJob;
  /** Profile name. */
  profileName: string;
  /** IOMMU mode in effect. */
  iommu: IommuMode;
  /** For each thread: its job and its index among the job's numjobs. */
  threads: { opts: FioJobOpts; index: number }[];
  /** Lines saying what the model approximates (printed and in the JSON). */
  notes: string[];
  /** Drive capacity in bytes (the smallest of the run's drives). */
  capacityBytes: number;
}

const at = (o: FioJobOpts, key: string) => o.optionWhere[key] ?? o.where;

/** Split shares (percent) → cumulative shares per 10000. */
function cumulative(split: BsSplit): [number, number][] {
  let acc = 0;
  return split.map(([bs, pct], i) => {
    acc += pct * 100;
    return [bs, i === split.length - 1 ? 10000 : Math.min(10000, Math.round(acc))];
  });
}

/** bsrange → sizes lo, 2·lo … up to hi (at most 64), drawn uniformly (fio aligns to the smallest size). */
function rangeSplit([lo, hi]: [number, number]): [number, number][] {
  const n = Math.floor(hi / lo);
  const step = Math.ceil(n / 64);
  const sizes: number[] = [];
  for (let k = 1; k <= n; k += step) sizes.push(k * lo);
  return sizes.map((bs, i) => [bs, Math.round(((i + 1) * 10000) / sizes.length)]);
}

function dirSplits(o: FioJobOpts): { read: [number, number][]; write: [number, number][] } {
  if (o.bssplit) return { read: cumulative(o.bssplit.read), write: cumulative(o.bssplit.write) };
  if (o.bsRange) return { read: rangeSplit(o.bsRange), write: rangeSplit(o.bsRange) };
  return { read: [[o.bsRead, 10000]], write: [[o.bsWrite, 10000]] };
}

function meanBs(s: [number, number][]): number {
  let prev = 0;
  return s.reduce((a, [bs, cum]) => {
    const share = (cum - prev) / 10000;
    prev = cum;
    return a + bs * share;
  }, 0);
}

function bytesOf(v: number | string, capacity: number): number {
  return typeof v === "number" ? v : Math.floor((capacity * parseFloat(v)) / 100);
}

/**
 * The most I/Os a job without runtime=, number_ios=, size= or io_size= may
 * take to cover its drive (fio's default: the whole device): 4 Mi I/Os, a
 * few seconds of wall time; a larger drive's pass is refused as too long.
 */
export const WHOLE_DEVICE_IOS_MAX = 1 << 22;

/** One thread's fio job from its options. */
export function threadJob(o: FioJobOpts, capacity: number): FioThreadJob {
  const split = dirSplits(o);
  const offset = bytesOf(o.offset, capacity);
  const size = o.size === undefined ? capacity - offset : bytesOf(o.size, capacity);
  if (offset + size > capacity || size <= 0) {
    throw new UsageError(
      `${
        at(o, "size")
      }: job "${o.name}": option size/offset: ${offset} + ${size} bytes is beyond the drive (${capacity} bytes)`,
    );
  }
  const readPer10000 = o.rw.includes("read") ? 10000 : o.rw.includes("write") ? 0 : o.mixRead * 100;
  const avg = (meanBs(split.read) * readPer10000 + meanBs(split.write) * (10000 - readPer10000)) / 10000;
  // The size limit (issued I/Os, failed ones included) and number_ios (completed ones).
  let sizeIos = 0;
  if (!o.timeBased && o.seqAdd > 0 && !o.rw.startsWith("rand")) {
    // Holes (rw=read:N): a pass ends when the next offset is past the range (get_next_offset).
    sizeIos = Math.ceil((o.ioSize ?? size) / (avg + o.seqAdd)) * o.loops;
  } else if (!o.timeBased) {
    sizeIos = Math.ceil(((o.ioSize ?? size) * o.loops) / avg);
  }
  let ios = sizeIos;
  if (o.numberIos !== undefined) ios = sizeIos > 0 ? Math.min(sizeIos, o.numberIos) : o.numberIos;
  if (
    o.runtimeNs === undefined && o.numberIos === undefined && o.size === undefined &&
    o.ioSize === undefined &&
    ios > WHOLE_DEVICE_IOS_MAX
  ) {
    throw new UsageError(
      `${o.where}: job "${o.name}": a whole-device pass (no runtime=, number_ios=, size= or io_size=) is ${ios} ` +
        `I/Os on this ${capacity}-byte drive, more than dmasim runs that way (${WHOLE_DEVICE_IOS_MAX}): set one of them`,
    );
  }
  return {
    depth: o.iodepth,
    submitBatch: o.batchSubmit === 0 ? o.iodepth : o.batchSubmit,
    completeBatch: Math.max(1, o.batchComplete),
    readPer10000,
    random: o.rw.startsWith("rand"),
    offsetBytes: offset,
    rangeBytes: size,
    ios,
    bsRead: split.read,
    bsWrite: split.write,
    ...(offsetsOf(o, split, size) ?? {}),
    ...(o.depthLow > 0 && o.depthLow < o.iodepth ? { depthLow: o.depthLow } : {}),
    // fio's fixup_options: iodepth_batch_complete_max defaults to (and is at least) iodepth_batch_complete_min,
    // and the io_uring engine's reap takes at least one (fio_ioring_cqring_reap's do-while).
    completeMax: Math.max(o.completeMax, o.batchComplete, 1),
    ...(o.continueOnError !== 0 ? { errors: errorsOf(o, sizeIos) } : {}),
  };
}

/** A thread's error handling: continue_on_error's bits, the ignore lists, how far failed I/Os extend its count. */
function errorsOf(o: FioJobOpts, sizeIos: number): FioThreadErrors {
  return {
    // fio's ERROR_TYPE_ANY is 0xffff; the model has three types.
    continueMask: o.continueOnError & 7,
    ignore: o.ignoreError,
    // Without a size limit (time_based) number_ios may grow without bound: the run's runtime ends it.
    retryCapIos: sizeIos > 0 ? sizeIos : Number.MAX_SAFE_INTEGER,
  };
}

/** The thread's offsets beyond plain sequential or uniform random, if its options ask for any. */
function offsetsOf(
  o: FioJobOpts,
  split: { read: [number, number][]; write: [number, number][] },
  size: number,
): { offsets: FioThreadOffsets } | undefined {
  if (o.seqAdd === 0 && o.seqNr <= 1 && o.dist.kind === DIST.random) return undefined;
  // __init_rand_distribution: blocks of the smaller of the two directions' smallest sizes.
  const unit = Math.min(...[...split.read, ...split.write].map(([b]) => b));
  const zoneTable = (zones: [number, number][]): [number, number][] => {
    const out: [number, number][] = [];
    let acc = 0;
    let at = 0;
    for (const [a, s] of zones) {
      const from = Math.round(acc);
      acc += a;
      for (let v = from; v < Math.min(100, Math.round(acc)); v++) {
        out[v] = [Math.round(at), Math.round(at + s)];
      }
      at += s;
    }
    return out;
  };
  return {
    offsets: {
      seqAdd: o.seqAdd,
      seqNr: o.seqNr,
      identical: o.identical,
      dist: o.dist.kind,
      param: o.dist.param,
      center: o.dist.center,
      nranges: Math.ceil(size / unit),
      ...(o.dist.zones ? { zones: [zoneTable(o.dist.zones[0]), zoneTable(o.dist.zones[1])] } : {}),
    },
  };
}

/** Whether a job sets any of fio's pacing options (rate*, thinktime, startdelay, exitall). */
function paced(o: FioJobOpts): boolean {
  const any = [...o.rate, ...o.rateIops, ...o.rateMin, ...o.rateIopsMin, o.thinkUs, o.startDelayNs];
  return any.some((x) => x > 0) || o.exitall || o.waitFor !== undefined;
}

/** The smallest block size of direction `d` (fio's min_bs: rate_iops × min_bs is the rate in bytes/s). */
function minBs(f: FioThreadJob, d: 0 | 1): number {
  return Math.min(...(d === 0 ? f.bsRead : f.bsWrite).map(([b]) => b));
}

/**
 * A thread's pacing from its job's options: rate (rate= wins over
 * rate_iops=, which fio turns into bytes/s with the smallest block size),
 * thinktime, startdelay, rate_min, exitall, and when it stops issuing.
 */
export function threadPace(
  o: FioJobOpts,
  f: FioThreadJob,
  exitGroup: number,
  jobId: number,
  waitJob: number,
): FioThreadPace {
  const dirRate = (d: 0 | 1) => o.rate[d] > 0 ? o.rate[d] : o.rateIops[d] * minBs(f, d);
  return {
    startDelayNs: o.startDelayNs,
    rateBps: [dirRate(0), dirRate(1)],
    poisson: o.rateProcess === "poisson",
    quiesce: o.submitMode === "inline",
    thinkUs: o.thinkUs,
    thinkSpinUs: o.thinkSpinUs,
    thinkBlocks: o.thinkBlocks,
    thinkIssue: o.thinkIssue,
    rateMinBps: o.rateMin,
    rateIopsMin: o.rateIopsMin,
    exitall: !o.exitall ? 0 : o.exitWhat === "group" ? 1 : 2,
    exitGroup,
    deadlineRelNs: o.runtimeNs === undefined ? 0 : o.rampNs + o.runtimeNs,
    jobId,
    waitJob,
  };
}

/** The index (in the run) of the job `o` waits for, or -1; it must be an earlier job of the same run. */
function waitJobOf(o: FioJobOpts, jobs: FioJobOpts[]): number {
  if (o.waitFor === undefined) return -1;
  const i = jobs.findIndex((j) => j.name === o.waitFor);
  if (i < 0 || i >= jobs.indexOf(o)) {
    throw new UsageError(
      `${
        at(o, "wait_for")
      }: job "${o.name}": option wait_for: no earlier job "${o.waitFor}" running with it ` +
        "(jobs after a stonewall wait for the ones before anyway)",
    );
  }
  return i;
}

/** The settings every job of a run must share, by option. */
function machineKey(o: FioJobOpts): Record<string, string> {
  const uring = o.ioengine === "io_uring";
  return {
    dmasim_profile: o.profile ?? "",
    dmasim_iommu: o.iommu ?? "",
    "fixedbufs/dmasim_buffers": uring ? (o.buffers ?? (o.fixedbufs ? "fixed" : "plain")) : "plain",
    dmasim_dmabuf_memory: o.dmabufMemory ?? "",
    hipri: String(uring && o.hipri),
    registerfiles: String(uring && o.registerfiles),
    filename: o.filenames.join(":"),
    runtime: String(o.runtimeNs ?? ""),
    ramp_time: String(o.rampNs),
    time_based: String(o.timeBased),
    dmasim_functional: String(o.functional),
    log_avg_msec: String(o.logs.avgMsec),
    dmasim_seed: String(o.seed),
    ioengine: String(o.ioengine === "null"),
    dmasim_media_error_ppm: String(o.mediaErrorPpm ?? ""),
  };
}

function checkShared(jobs: FioJobOpts[]): void {
  const first = machineKey(jobs[0]);
  for (const o of jobs.slice(1)) {
    const k = machineKey(o);
    for (const opt of Object.keys(first)) {
      if (k[opt] !== first[opt]) {
        throw new UsageError(
          `${
            at(o, opt.split("/")[0])
          }: job "${o.name}": option ${opt}: not modelled: jobs running together ` +
            `(no stonewall between them) with different ${opt} (job "${jobs[0].name}" has ${
              JSON.stringify(first[opt])
            }); add stonewall`,
        );
      }
    }
  }
}

function notesOf(jobs: FioJobOpts[]): string[] {
  const notes = new Set<string>();
  for (const o of jobs) {
    if (verifies(o)) {
      notes.add(
        "verify: the blocks are filled, written, read back and checked with real bytes (a functional run), " +
          "but the checksums' CPU time is not charged (the profile has no cost for it); the random data is " +
          "dmasim's generator's, not fio's",
      );
    }
    if (APPROXIMATED[o.ioengine]) notes.add(`ioengine=${o.ioengine}: ${APPROXIMATED[o.ioengine]}`);
    const content = CONTENT_OPTIONS.filter((k) => o.optionWhere[k]);
    if (content.length > 0) {
      notes.add(
        `${content.join(", ")}: only choose the bytes written; the drive model's timing does not depend on ` +
          "content and dmasim does not generate the pattern",
      );
    }
    if (o.submitMode === "offload" && o.optionWhere.io_submit_mode) {
      notes.add(
        "io_submit_mode=offload: approximated: the job's thread submits its I/Os itself, and does not wait " +
          "for those in flight before a rate sleep (fio's offload workers are not modelled)",
      );
    }
    if (o.directory !== undefined) {
      notes.add(`directory=${o.directory} is not used: filename= names a simulated drive`);
    }
    if (!o.direct) {
      notes.add(
        "direct=0 (buffered I/O): dmasim has no page cache; the job runs as O_DIRECT I/O at the drive, " +
          "as a cold cache with neither readahead nor write-back would",
      );
    }
  }
  return [...notes];
}

/** Devices named by filename= (profile drive names, with or without /dev/). */
function devicesOf(o: FioJobOpts, names: string[], profileName: string): string[] {
  const devices: string[] = [];
  for (const f of o.filenames) {
    const n = f.replace(/^\/dev\//, "");
    if (!names.includes(n)) {
      throw new UsageError(
        `${at(o, "filename")}: option filename: ${
          JSON.stringify(f)
        } is not a drive of profile ${profileName} ` +
          `(drives: ${names.map((x) => "/dev/" + x).join(", ")})`,
      );
    }
    if (!devices.includes(n)) devices.push(n);
  }
  if (devices.length === 0) devices.push(names[0]);
  return devices;
}

/**
 * Build the engine job of one run from its reporting groups, in order;
 * `firstThread` is how many threads the runs before it had (fio numbers
 * threads over the whole invocation, and the number is in verify headers).
 */
export function machineOf(groups: FioJobOpts[][], profileOverride?: string, firstThread = 0): FioMachine {
  const jobs = groups.flat();
  checkShared(jobs);
  checkStartDelay(jobs);
  const o = jobs[0];
  const loaded = loadProfile(
    o.profile ?? profileOverride,
    o.profile ? `${at(o, "dmasim_profile")}: option dmasim_profile` : "option --profile",
  );
  const p = loaded.profile;
  const devices = devicesOf(o, p.devices.map((d) => d.name), p.name);
  // capacity_bytes when the profile sets it (drives that are not whole GiB), else capacity_gib.
  const capacity = Math.min(
    ...devices.map((d) => Number(deviceCapacityBytes(p.devices.find((x) => x.name === d)!))),
  );
  const threads = threadsOf(jobs, p.cpu.cores, p.name);
  const fioThreads = threads.map((t) => threadJob(t.opts, capacity));
  // Pacing for every thread when any job paces, so that each also stops at its own runtime.
  if (jobs.some(paced)) {
    threads.forEach((t, i) => {
      const group = groups.findIndex((g) => g.includes(t.opts));
      fioThreads[i].pace = threadPace(
        t.opts,
        fioThreads[i],
        group,
        jobs.indexOf(t.opts),
        waitJobOf(t.opts, jobs),
      );
    });
  }
  verifyThreads(threads, fioThreads, firstThread, p.memory.media_mib, p.name);
  // The loop lays out a buffer per SQ slot: the deepest queue's, rounded up to a power of two (job.ts nbufs).
  const nbufs = 2 ** Math.ceil(Math.log2(Math.max(...fioThreads.map((f) => f.depth))));
  for (const f of fioThreads) if (f.verify) f.verify.buffers = nbufs;
  return {
    job: uringJobOf(jobs, loaded, devices, threads.length, fioThreads),
    profileName: p.name,
    iommu: o.iommu ?? p.iommu.mode,
    threads,
    notes: notesOf(jobs),
    capacityBytes: capacity,
  };
}

/** startdelay with ramp_time is not modelled (dmasim's ramp is one window for the whole run): exit 2 naming the line. */
function checkStartDelay(jobs: FioJobOpts[]): void {
  for (const j of jobs) {
    if (j.startDelayNs > 0 && j.rampNs > 0) {
      throw new UsageError(
        `${
          at(j, "startdelay")
        }: job "${j.name}": option startdelay: not modelled: startdelay together with ` +
          "ramp_time (dmasim's ramp is one window for the whole run)",
      );
    }
  }
}

/** Every job's numjobs threads, in job order; more threads than the profile's cores is a usage error. */
function threadsOf(
  jobs: FioJobOpts[],
  cores: number,
  profileName: string,
): { opts: FioJobOpts; index: number }[] {
  const threads = jobs.flatMap((j) => Array.from({ length: j.numjobs }, (_, index) => ({ opts: j, index })));
  if (threads.length > cores) {
    const has = `${cores} ${cores === 1 ? "core" : "cores"}`;
    throw new UsageError(
      `${at(jobs[jobs.length - 1], "numjobs")}: option numjobs: expected at most ${cores} threads in a run ` +
        `(profile ${profileName} has ${has}, one per thread), got ${threads.length}`,
    );
  }
  return threads;
}

/** The machine-wide run the jobs' threads make: the first job's engine, profile and run options. */
function uringJobOf(
  jobs: FioJobOpts[],
  loaded: LoadedProfile,
  devices: string[],
  threads: number,
  fioThreads: FioThreadJob[],
): UringJob {
  const o = jobs[0];
  const p = loaded.profile;
  const uring = o.ioengine === "io_uring";
  // dmasim_media_error_ppm= sets every drive's injected media errors (the profile's devices[].media_error_ppm).
  const spec = o.mediaErrorPpm === undefined
    ? loaded.spec
    : { ...structuredClone(p), devices: p.devices.map((d) => ({ ...d, media_error_ppm: o.mediaErrorPpm })) };
  const job: UringJob = {
    profile: spec,
    devices,
    threads,
    depth: Math.max(...fioThreads.map((f) => f.depth)),
    submitBatch: 1,
    completeBatch: 1,
    bs: Math.max(...fioThreads.flatMap((f) => [...f.bsRead, ...f.bsWrite].map(([b]) => b))),
    polled: uring && o.hipri,
    fixedFiles: uring && o.registerfiles,
    buffers: uring ? (o.buffers ?? (o.fixedbufs ? "fixed" : "plain")) : "plain",
    ...(o.dmabufMemory ? { dmabufMemory: o.dmabufMemory } : {}),
    direct: true,
    random: true,
    write: fioThreads.some((f) => f.readPer10000 < 10000),
    warmupIos: 0,
    seed: o.seed,
    sampleNs: (o.logs.avgMsec || FIO_AVG_MSEC) * 1e6,
    fioThreads,
  };
  if (o.iommu) job.iommu = o.iommu;
  // Verify needs the written bytes: the run moves real data (a functional run).
  if (o.functional || jobs.some(verifies)) job.functional = true;
  if (o.runtimeNs !== undefined) {
    // With wait_for, jobs run one after another: the run may last their runtimes together.
    job.runtimeNs = jobs.some((j) => j.waitFor !== undefined)
      ? jobs.reduce((a, j) => a + j.startDelayNs + j.rampNs + (j.runtimeNs ?? 0), 0)
      : o.runtimeNs + Math.max(...jobs.map((j) => j.startDelayNs));
  }
  if (o.ioengine === "null") job.noop = true;
  if (o.rampNs > 0) job.rampNs = o.rampNs;
  return job;
}

/**
 * Each verifying thread's verify settings, and the run's written bytes
 * checked against what the drives can hold: a verifying run keeps every
 * written byte on the simulated drive (memory.media_mib of the profile).
 */
function verifyThreads(
  threads: { opts: FioJobOpts; index: number }[],
  fioThreads: FioThreadJob[],
  firstThread: number,
  mediaMib: number,
  profileName: string,
): void {
  let bytes = 0;
  threads.forEach(({ opts: o }, i) => {
    if (!verifies(o)) return;
    const f = fioThreads[i];
    const sizes = f.bsWrite.map(([b]) => b);
    const bsW = Math.min(...sizes);
    bytes += f.ios * Math.max(...sizes);
    f.verify = {
      type: o.verify,
      intervalBytes: verifyInterval(o),
      headerOffsetBytes: o.verifyOffset,
      fatal: o.verifyFatal,
      doVerify: o.doVerify,
      // verify_header checks numberio for writing jobs with one block size, not time_based.
      checkNumberio: new Set(sizes).size === 1 && !o.timeBased,
      threadNumber: firstThread + i + 1,
      pattern: o.verifyPattern,
      mapBlocks: f.random ? Math.floor((f.rangeBytes - bsW) / bsW) + 1 : 0,
      buffers: 0,
      backlog: o.verifyBacklog,
      backlogBatch: o.verifyBacklogBatch,
      ...(o.corruptWrite ? { corrupt: o.corruptWrite } : {}),
    };
  });
  if (bytes > mediaMib * 2 ** 20) {
    const o = threads.find((t) => verifies(t.opts))!.opts;
    throw new UsageError(
      `${
        at(o, "size")
      }: job "${o.name}": option size: not modelled: verifying ${bytes} written bytes in one run; dmasim keeps ` +
        `them on the simulated drive, at most memory.media_mib = ${mediaMib} MiB (profile ${profileName})`,
    );
  }
}
