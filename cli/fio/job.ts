/**
 * fio jobs from parsed sections: `[global]` options apply to the jobs after
 * them in the same file, a job's own options override, every value checked
 * with its line. Jobs are then put in runs and reporting groups as fio does:
 * `stonewall` (`wait_for_previous`) starts a new run and a new group,
 * `new_group` a new group within the run.
 *
 * @module
 */
import { UsageError } from "../common.ts";
import { type BufferKind, DIST, type IommuMode } from "../engine.ts";
import type { FioEntry, FioFile, FioSection } from "./parse.ts";
import { FIO_OPTIONS } from "./options.ts";
import { checkVerify } from "./verify.ts";
import { type BsSplit, type FioDistribution, typedValue } from "./values.ts";

/** The `rw=` values dmasim models. */
export type Rw = "read" | "write" | "randread" | "randwrite" | "rw" | "randrw";

/** fio's log options. */
export interface FioLogOpts {
  /** write_bw_log= prefix. */
  bw?: string;
  /** write_lat_log= prefix. */
  lat?: string;
  /** write_iops_log= prefix. */
  iops?: string;
  /** log_avg_msec=. */
  avgMsec: number;
  /** per_job_logs= (default 1). */
  perJob: boolean;
}

/** A job's options after parsing and checking (defaults are fio's). */
export interface FioJobOpts {
  /** Job name (section). */
  name: string;
  /** Where the section starts, for messages. */
  where: string;
  /** Options set in the job's own section, as written (for JSON "job options"). */
  own: Record<string, string>;
  /** Where each option in effect was set: canonical name → `file:line` of the line that set it last. */
  optionWhere: Record<string, string>;
  /** description=. */
  description?: string;
  /** ioengine= (fio's default psync). */
  ioengine: string;
  /** rw=. */
  rw: Rw;
  /** rwmixread= (percent of reads in a mixed job). */
  mixRead: number;
  /** Read and write block sizes (bs=R,W). */
  bsRead: number;
  /** Write block size. */
  bsWrite: number;
  /** bsrange=. */
  bsRange?: [number, number];
  /** bssplit=. */
  bssplit?: { read: BsSplit; write: BsSplit };
  /** kb_base. */
  kbBase: 1000 | 1024;
  /** iodepth=. */
  iodepth: number;
  /** iodepth_batch_submit=. */
  batchSubmit: number;
  /** iodepth_batch_complete_min=. */
  batchComplete: number;
  /** numjobs=. */
  numjobs: number;
  /** size= in bytes, or "N%" of the drive. */
  size?: number | string;
  /** offset= in bytes, or "N%". */
  offset: number | string;
  /** io_size= (io_limit=), bytes. */
  ioSize?: number;
  /** loops=. */
  loops: number;
  /** runtime= (timeout=), ns. */
  runtimeNs?: number;
  /** time_based. */
  timeBased: boolean;
  /** number_ios=. */
  numberIos?: number;
  /** filename=, split at ':'. */
  filenames: string[];
  /** directory= (only with a filename= naming a drive). */
  directory?: string;
  /** direct= (or !buffered=). */
  direct: boolean;
  /** fixedbufs. */
  fixedbufs: boolean;
  /** registerfiles. */
  registerfiles: boolean;
  /** hipri. */
  hipri: boolean;
  /** thread. */
  thread: boolean;
  /** group_reporting. */
  groupReporting: boolean;
  /** stonewall / wait_for_previous. */
  stonewall: boolean;
  /** new_group. */
  newGroup: boolean;
  /** Logs. */
  logs: FioLogOpts;
  /** dmasim_buffers=. */
  buffers?: BufferKind;
  /** dmasim_dmabuf_memory=. */
  dmabufMemory?: "host" | "gpu";
  /** dmasim_iommu=. */
  iommu?: IommuMode;
  /** dmasim_profile=. */
  profile?: string;
  /** randseed= / dmasim_seed=. */
  seed: number;
  /** dmasim_functional=. */
  functional: boolean;
  /** rate= per direction, bytes/s (0: none). */
  rate: [number, number];
  /** rate_iops= per direction (0: none). */
  rateIops: [number, number];
  /** rate_min= (ratemin=) per direction, bytes/s. */
  rateMin: [number, number];
  /** rate_iops_min= per direction. */
  rateIopsMin: [number, number];
  /** rate_process=. */
  rateProcess: "linear" | "poisson";
  /** io_submit_mode=. */
  submitMode: "inline" | "offload";
  /** thinktime=, us. */
  thinkUs: number;
  /** thinktime_spin=, us. */
  thinkSpinUs: number;
  /** thinktime_blocks=. */
  thinkBlocks: number;
  /** thinktime_blocks_type=issue. */
  thinkIssue: boolean;
  /** startdelay=, ns. */
  startDelayNs: number;
  /** ramp_time=, ns. */
  rampNs: number;
  /** exitall. */
  exitall: boolean;
  /** exit_what=. */
  exitWhat: "group" | "stonewall" | "all";
  /** rw=randread:N — a new random offset every N I/Os. */
  seqNr: number;
  /** rw=read:N — bytes added between sequential I/Os (negative: backwards). */
  seqAdd: number;
  /** rw_sequencer=identical. */
  identical: boolean;
  /** random_distribution=. */
  dist: FioDistribution;
  /** wait_for= (a job name). */
  waitFor?: string;
  /** iodepth_low= (0: iodepth). */
  depthLow: number;
  /** iodepth_batch_complete_max= (0: unset). */
  completeMax: number;
  /** continue_on_error= bits (1 read, 2 write, 4 verify), with those ignore_error= added. */
  continueOnError: number;
  /** ignore_error= lists per type [read, write, verify] (null: fio's default, EIO and EILSEQ). */
  ignoreError: [number[] | null, number[] | null, number[] | null];
  /** dmasim_media_error_ppm= (the drives' injected media errors per million commands; unset: the profile's). */
  mediaErrorPpm?: number;
  /** verify= as verify.h numbers it (0: none; cli/fio/verify.ts VERIFY_TYPES). */
  verify: number;
  /** verify= was given (a later verify_pattern= does not change the type). */
  verifySet: boolean;
  /** do_verify= (default 1). */
  doVerify: boolean;
  /** verify_interval=, bytes (0: fio's default, the smallest write size). */
  verifyInterval: number;
  /** verify_offset=, bytes. */
  verifyOffset: number;
  /** verify_pattern= bytes (empty: random data). */
  verifyPattern: number[];
  /** verify_fatal=. */
  verifyFatal: boolean;
  /** verify_backlog= (0: read back after all writes). */
  verifyBacklog: number;
  /** verify_backlog_batch= (0: the backlog). */
  verifyBacklogBatch: number;
  /** dmasim_corrupt_write=N:BYTE, a test hook: the N-th write's byte BYTE is flipped after its checksum. */
  corruptWrite?: [number, number];
}

function defaults(s: FioSection, kbBase: 1000 | 1024): FioJobOpts {
  return {
    name: s.name,
    where: `${s.file}:${s.line}`,
    own: Object.fromEntries(s.entries.map((e) => [e.key, e.value ?? ""])),
    optionWhere: {},
    ioengine: "psync",
    rw: "read",
    mixRead: 50,
    bsRead: 4096,
    bsWrite: 4096,
    kbBase,
    iodepth: 1,
    batchSubmit: 1,
    batchComplete: 1,
    numjobs: 1,
    offset: 0,
    loops: 1,
    timeBased: false,
    filenames: [],
    direct: false,
    fixedbufs: false,
    registerfiles: false,
    hipri: false,
    thread: false,
    groupReporting: false,
    stonewall: false,
    newGroup: false,
    logs: { avgMsec: 0, perJob: true },
    seed: 1,
    functional: false,
    rate: [0, 0],
    rateIops: [0, 0],
    rateMin: [0, 0],
    rateIopsMin: [0, 0],
    rateProcess: "linear",
    submitMode: "inline",
    thinkUs: 0,
    thinkSpinUs: 0,
    thinkBlocks: 1,
    thinkIssue: false,
    startDelayNs: 0,
    rampNs: 0,
    exitall: false,
    exitWhat: "group",
    seqNr: 1,
    seqAdd: 0,
    identical: false,
    dist: { kind: DIST.random, param: 0, center: -1 },
    depthLow: 0,
    completeMax: 0,
    continueOnError: 0,
    ignoreError: [null, null, null],
    verify: 0,
    verifySet: false,
    doVerify: true,
    verifyInterval: 0,
    verifyOffset: 0,
    verifyPattern: [],
    verifyFatal: false,
    verifyBacklog: 0,
    verifyBacklogBatch: 0,
  };
}

/** One job from the global entries in effect and its section. */
function buildJob(s: FioSection, global: FioEntry[]): FioJobOpts {
  const all = [...global, ...s.entries];
  const kbEntry = [...all].reverse().find((e) => e.key === "kb_base");
  const kbBase = kbEntry && typedValue(kbEntry, FIO_OPTIONS.kb_base, 1024) === "1000" ? 1000 : 1024;
  const o = defaults(s, kbBase);
  for (const e of all) {
    const spec = FIO_OPTIONS[e.key];
    const key = spec.canon ?? e.key;
    const at = `${e.file}:${e.line}`;
    // Delete first so the key order is the order options took effect (the last one wins).
    delete o.optionWhere[key];
    o.optionWhere[key] = at;
    spec.apply(o, typedValue(e, spec, kbBase), at);
  }
  if (o.optionWhere.sqthread_poll_cpu) {
    throw new UsageError(
      `${o.optionWhere.sqthread_poll_cpu}: option sqthread_poll_cpu: needs sqthread_poll, which is not modelled (SQPOLL)`,
    );
  }
  // Synchronous engines keep one I/O in flight (fio forces iodepth=1 for them).
  if (!["io_uring", "libaio", "posixaio", "null"].includes(o.ioengine)) o.iodepth = 1;
  if (o.timeBased && o.runtimeNs === undefined) {
    throw new UsageError(`${o.where}: job "${o.name}": time_based needs runtime=`);
  }
  checkVerify(o);
  return o;
}

/**
 * Build each job's options from one file's sections. Values are checked
 * with their line numbers. `globals` are the `[global]` options as written.
 */
export function jobsFromSections(
  sections: FioSection[],
): { jobs: FioJobOpts[]; globals: Record<string, string> } {
  const jobs: FioJobOpts[] = [];
  let global: FioEntry[] = [];
  const globals: Record<string, string> = {};
  for (const s of sections) {
    if (s.name === "global") {
      global = [...global, ...s.entries];
      for (const e of s.entries) globals[e.key] = e.value ?? "";
      continue;
    }
    jobs.push(buildJob(s, global));
  }
  return { jobs, globals };
}

/** Jobs of several files, each file's `[global]` applying to its own jobs only. */
export function jobsFromFiles(files: FioFile[]): { jobs: FioJobOpts[]; globals: Record<string, string> } {
  const jobs: FioJobOpts[] = [];
  const globals: Record<string, string> = {};
  for (const f of files) {
    const r = jobsFromSections(f.sections);
    jobs.push(...r.jobs);
    Object.assign(globals, r.globals);
  }
  return { jobs, globals };
}

/** Runs (one after another, split by stonewall) of reporting groups (split by new_group) of jobs. */
export function groupJobs(jobs: FioJobOpts[]): FioJobOpts[][][] {
  const runs: FioJobOpts[][][] = [];
  jobs.forEach((o, i) => {
    if (i === 0 || o.stonewall) runs.push([[o]]);
    else if (o.newGroup) runs[runs.length - 1].push([o]);
    else {
      const run = runs[runs.length - 1];
      run[run.length - 1].push(o);
    }
  });
  return runs;
}

/** The fio options (canonical names) that set each engine job field, for engine errors. */
const FIO_FIELD_OPTIONS: Record<string, readonly string[]> = {
  depth: ["iodepth"],
  submitBatch: ["iodepth_batch_submit"],
  completeBatch: ["iodepth_batch_complete_min"],
  bs: ["bs", "bsrange", "bssplit"],
  polled: ["hipri"],
  fixedFiles: ["registerfiles"],
  buffers: ["fixedbufs", "dmasim_buffers"],
  dmabufMemory: ["dmasim_dmabuf_memory"],
  direct: ["direct", "buffered"],
  random: ["rw"],
  write: ["rw"],
  threads: ["numjobs"],
  runtimeNs: ["runtime"],
  ios: ["number_ios", "size"],
  seed: ["dmasim_seed", "randseed"],
  rangeBytes: ["size"],
  devices: ["filename"],
  profile: ["dmasim_profile"],
  iommu: ["dmasim_iommu"],
  functional: ["dmasim_functional"],
};

/**
 * Where an engine job field came from in a fio job: the `file:line` of the
 * option line that set it (the section header's line when it kept its
 * default) and how to name it (`option iodepth`).
 */
export function fioFieldSource(o: FioJobOpts, field: string): { where: string; name: string } {
  const keys = FIO_FIELD_OPTIONS[field.replace(/^fioThreads\[\d+\]\./, "")];
  if (!keys) return { where: o.where, name: `job field ${field}` };
  // optionWhere's key order is the order the options took effect: the last one set wins.
  const set = Object.keys(o.optionWhere).filter((k) => keys.includes(k));
  if (set.length === 0) return { where: o.where, name: `option ${keys.join("/")}` };
  let key = set[set.length - 1];
  // dmasim_buffers= wins over fixedbufs wherever it is set.
  if (field === "buffers" && set.includes("dmasim_buffers")) key = "dmasim_buffers";
  // The I/O count is the smaller of number_ios= and size= / bs when both are set.
  const name = field === "ios" && set.length > 1 ? keys.join("/") : key;
  return { where: o.optionWhere[key], name: `option ${name}` };
}
