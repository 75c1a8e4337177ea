/**
 * The fio options dmasim knows, one entry per option: how its value parses
 * and what it sets on the job ({@link FioJobOpts}). Options fio has that
 * dmasim does not model are listed with the reason, so they are refused
 * with "not modelled" rather than a typo's "unknown option".
 *
 * @module
 */
import { parseEnum, parseIntIn, UsageError, ValueError } from "../common.ts";
import type { BufferKind } from "../engine.ts";
import type { IommuMode } from "../engine.ts";
import type { FioJobOpts, Rw } from "./job.ts";
import { parseBsList, parseBssplit, parseDirList, parseDistribution, parseRange } from "./values.ts";
import { CONTINUE_ON_ERROR, parseIgnoreError } from "./errors.ts";
import { parseVerifyPattern, VERIFY_REFUSED, VERIFY_TYPES } from "./verify.ts";

/** How a fio option's value is parsed. */
export type FioOptKind = "bool" | "int" | "size" | "sizepct" | "time" | "str" | "enum";

/** A parsed option value. */
export type FioValue = string | number | boolean;

/** A fio option dmasim understands. */
export interface FioOptSpec {
  /** Value kind (bool options may be bare keys). */
  kind: FioOptKind;
  /** Canonical name (for aliases). */
  canon?: string;
  /** Smallest value (int, size: bytes, time: ns). */
  min?: number;
  /** Largest value. */
  max?: number;
  /** Allowed values (enum). */
  values?: readonly string[];
  /** A time's unit when the value has none (fio's: seconds, or microseconds for thinktime). */
  unit?: "s" | "us";
  /** Set the value on the job; `at` is `file:line` for messages. */
  apply: (o: FioJobOpts, v: FioValue, at: string) => void;
}

const ENGINES = ["io_uring", "libaio", "psync", "sync", "pvsync", "pvsync2", "posixaio", "null"] as const;
const RWS: readonly Rw[] = ["read", "write", "randread", "randwrite", "rw", "randrw"];
const refuse = (at: string, opt: string, why: string): never => {
  throw new UsageError(`${at}: option ${opt}: not modelled: ${why}`);
};
const none = () => {};
/** Parse with `f`; a value error becomes a usage error naming the line and option. */
function parseOr<T>(at: string, opt: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ValueError) throw new UsageError(`${at}: option ${opt}: ${err.message}`);
    throw err;
  }
}
/** The longest runtime: 4 hours, inside the engine's clock (2^44 ns, about 4.9 h, asm/sim/engine.ts TIME_BITS). */
const T_MAX = 4 * 3_600e9;

/**
 * Options that only choose the bytes written (compressibility, dedupe,
 * patterns). The drive model's timing does not depend on content, so they
 * are accepted and flagged: dmasim does not generate the pattern.
 */
export const CONTENT_OPTIONS = [
  "buffer_compress_percentage",
  "buffer_compress_chunk",
  "compress_percentage",
  "compress_chunk",
  "dedupe_percentage",
  "dedupe_mode",
  "dedupe_working_set_percentage",
  "dedupe_global",
  "buffer_pattern",
  "refill_buffers",
  "scramble_buffers",
  "zero_buffers",
];

/** The fio options dmasim understands, with fio's aliases. */
export const FIO_OPTIONS: Record<string, FioOptSpec> = {
  name: { kind: "str", apply: none },
  description: { kind: "str", apply: (o, v) => o.description = v as string },
  ioengine: {
    kind: "str",
    apply: (o, v, at) => {
      const e = (v as string).replace(/^io_uring_cmd$/, "io_uring_cmd");
      if (!(ENGINES as readonly string[]).includes(e)) {
        refuse(at, "ioengine", `${JSON.stringify(v)}: dmasim runs ${ENGINES.join(", ")}`);
      }
      o.ioengine = e;
    },
  },
  rw: {
    kind: "str",
    apply: (o, v, at) => {
      const [mode, mod] = (v as string).split(/:(.*)/s);
      const rw = mode === "readwrite" ? "rw" : mode;
      if (!(RWS as readonly string[]).includes(rw)) {
        refuse(at, "rw", `${JSON.stringify(v)} (dmasim: ${RWS.join(", ")}, readwrite)`);
      }
      o.rw = rw as Rw;
      o.seqNr = 1;
      o.seqAdd = 0;
      // The ':N' modifier (str_rw_cb): I/Os per new random offset for random jobs, bytes added for sequential.
      if (mod !== undefined) {
        if (rw.startsWith("rand")) o.seqNr = parseOr(at, "rw", () => parseIntIn(mod, 1, 2 ** 31));
        else {
          const neg = mod.trim().startsWith("-");
          const b = parseOr(at, "rw", () => parseIntIn(mod.trim().replace(/^-/, ""), 0, 2 ** 52, o.kbBase));
          o.seqAdd = neg ? -b : b;
        }
      }
    },
  },
  readwrite: { kind: "str", canon: "rw", apply: (o, v, at) => FIO_OPTIONS.rw.apply(o, v, at) },
  rwmixread: { kind: "int", min: 0, max: 100, apply: (o, v) => o.mixRead = v as number },
  rwmixwrite: { kind: "int", min: 0, max: 100, apply: (o, v) => o.mixRead = 100 - (v as number) },
  bs: { kind: "str", apply: (o, v, at) => [o.bsRead, o.bsWrite] = parseBsList(v as string, at, o.kbBase) },
  blocksize: { kind: "str", canon: "bs", apply: (o, v, at) => FIO_OPTIONS.bs.apply(o, v, at) },
  bsrange: { kind: "str", apply: (o, v, at) => o.bsRange = parseRange(v as string, at, o.kbBase) },
  blocksize_range: {
    kind: "str",
    canon: "bsrange",
    apply: (o, v, at) => FIO_OPTIONS.bsrange.apply(o, v, at),
  },
  bssplit: { kind: "str", apply: (o, v, at) => o.bssplit = parseBssplit(v as string, at, o.kbBase) },
  iodepth: { kind: "int", min: 1, max: 32768, apply: (o, v) => o.iodepth = v as number },
  iodepth_batch_submit: { kind: "int", min: 0, max: 4096, apply: (o, v) => o.batchSubmit = v as number },
  iodepth_batch: {
    kind: "int",
    canon: "iodepth_batch_submit",
    min: 0,
    max: 4096,
    apply: (o, v) => o.batchSubmit = v as number,
  },
  iodepth_batch_complete_min: {
    kind: "int",
    min: 0,
    max: 4096,
    apply: (o, v) => o.batchComplete = v as number,
  },
  iodepth_batch_complete: {
    kind: "int",
    canon: "iodepth_batch_complete_min",
    min: 0,
    max: 4096,
    apply: (o, v) => o.batchComplete = v as number,
  },
  numjobs: { kind: "int", min: 1, max: 64, apply: (o, v) => o.numjobs = v as number },
  size: { kind: "sizepct", min: 1, max: 2 ** 52, apply: (o, v) => o.size = v as number | string },
  filesize: {
    kind: "sizepct",
    canon: "size",
    min: 1,
    max: 2 ** 52,
    apply: (o, v) => o.size = v as number | string,
  },
  offset: { kind: "sizepct", min: 0, max: 2 ** 52, apply: (o, v) => o.offset = v as number | string },
  io_size: { kind: "size", min: 1, max: 2 ** 52, apply: (o, v) => o.ioSize = v as number },
  io_limit: { kind: "size", canon: "io_size", min: 1, max: 2 ** 52, apply: (o, v) => o.ioSize = v as number },
  loops: { kind: "int", min: 1, max: 1e6, apply: (o, v) => o.loops = v as number },
  runtime: { kind: "time", min: 1, max: T_MAX, apply: (o, v) => o.runtimeNs = v as number },
  timeout: { kind: "time", canon: "runtime", min: 1, max: T_MAX, apply: (o, v) => o.runtimeNs = v as number },
  time_based: { kind: "bool", apply: (o, v) => o.timeBased = v as boolean },
  number_ios: { kind: "int", min: 1, max: 1e12, apply: (o, v) => o.numberIos = v as number },
  filename: { kind: "str", apply: (o, v) => o.filenames = (v as string).split(":").filter((x) => x !== "") },
  directory: { kind: "str", apply: (o, v) => o.directory = v as string },
  direct: { kind: "bool", apply: (o, v) => o.direct = v as boolean },
  buffered: { kind: "bool", apply: (o, v) => o.direct = !(v as boolean) },
  fixedbufs: { kind: "bool", apply: (o, v) => o.fixedbufs = v as boolean },
  registerfiles: { kind: "bool", apply: (o, v) => o.registerfiles = v as boolean },
  hipri: { kind: "bool", apply: (o, v) => o.hipri = v as boolean },
  sqthread_poll: {
    kind: "bool",
    apply: (_o, v, at) =>
      v ? refuse(at, "sqthread_poll", "SQPOLL (IORING_SETUP_SQPOLL); use sqthread_poll=0") : 0,
  },
  sqthread_poll_cpu: { kind: "int", min: 0, max: 4096, apply: none },
  nonvectored: {
    kind: "int",
    min: -1,
    max: 1,
    apply: (_o, v, at) =>
      v === 0 ? refuse(at, "nonvectored", "vectored reads and writes; use nonvectored=1 or -1") : 0,
  },
  force_async: {
    kind: "int",
    min: 0,
    max: 1 << 20,
    apply: (_o, v, at) => v !== 0 ? refuse(at, "force_async", "IOSQE_ASYNC punts; use 0") : 0,
  },
  nowait: { kind: "bool", apply: (_o, v, at) => v ? refuse(at, "nowait", "RWF_NOWAIT; use nowait=0") : 0 },
  randrepeat: {
    kind: "bool",
    apply: (_o, v, at) =>
      !v ? refuse(at, "randrepeat", "dmasim runs are always repeatable; vary offsets with randseed=") : 0,
  },
  norandommap: { kind: "bool", apply: none },
  random_generator: { kind: "enum", values: ["tausworthe", "lfsr", "tausworthe64"], apply: none },
  random_distribution: { kind: "str", apply: (o, v, at) => o.dist = parseDistribution(v as string, at) },
  rw_sequencer: {
    kind: "enum",
    values: ["sequential", "identical"],
    apply: (o, v) => o.identical = v === "identical",
  },
  randseed: { kind: "int", min: 0, max: 2 ** 31, apply: (o, v) => o.seed = v as number },
  thread: { kind: "bool", apply: (o, v) => o.thread = v as boolean },
  group_reporting: { kind: "bool", apply: (o, v) => o.groupReporting = v as boolean },
  stonewall: { kind: "bool", apply: (o, v) => o.stonewall = v as boolean },
  wait_for_previous: { kind: "bool", canon: "stonewall", apply: (o, v) => o.stonewall = v as boolean },
  new_group: { kind: "bool", apply: (o, v) => o.newGroup = v as boolean },
  kb_base: { kind: "enum", values: ["1000", "1024"], apply: none },
  write_bw_log: { kind: "str", apply: (o, v) => o.logs.bw = v as string },
  write_lat_log: { kind: "str", apply: (o, v) => o.logs.lat = v as string },
  write_iops_log: { kind: "str", apply: (o, v) => o.logs.iops = v as string },
  log_avg_msec: { kind: "int", min: 0, max: 3_600_000, apply: (o, v) => o.logs.avgMsec = v as number },
  per_job_logs: { kind: "bool", apply: (o, v) => o.logs.perJob = v as boolean },
  ...Object.fromEntries(CONTENT_OPTIONS.map((k) => [k, { kind: "str", apply: none } as FioOptSpec])),
  rate: { kind: "str", apply: (o, v, at) => o.rate = parseDirList(v as string, at, "rate", o.kbBase, true) },
  rate_iops: {
    kind: "str",
    apply: (o, v, at) => o.rateIops = parseDirList(v as string, at, "rate_iops", 0, false),
  },
  rate_min: {
    kind: "str",
    apply: (o, v, at) => o.rateMin = parseDirList(v as string, at, "rate_min", o.kbBase, true),
  },
  ratemin: {
    kind: "str",
    canon: "rate_min",
    apply: (o, v, at) => o.rateMin = parseDirList(v as string, at, "ratemin", o.kbBase, true),
  },
  rate_iops_min: {
    kind: "str",
    apply: (o, v, at) => o.rateIopsMin = parseDirList(v as string, at, "rate_iops_min", 0, false),
  },
  rate_process: {
    kind: "enum",
    values: ["linear", "poisson"],
    apply: (o, v) => o.rateProcess = v as "linear" | "poisson",
  },
  io_submit_mode: {
    kind: "enum",
    values: ["inline", "offload"],
    apply: (o, v) => o.submitMode = v as "inline" | "offload",
  },
  thinktime: {
    kind: "time",
    unit: "us",
    min: 0,
    max: T_MAX,
    apply: (o, v) => o.thinkUs = Math.floor((v as number) / 1e3),
  },
  thinktime_spin: {
    kind: "time",
    unit: "us",
    min: 0,
    max: T_MAX,
    apply: (o, v) => o.thinkSpinUs = Math.floor((v as number) / 1e3),
  },
  thinktime_blocks: { kind: "int", min: 1, max: 1e12, apply: (o, v) => o.thinkBlocks = v as number },
  thinktime_blocks_type: {
    kind: "enum",
    values: ["complete", "issue"],
    apply: (o, v) => o.thinkIssue = v === "issue",
  },
  startdelay: { kind: "time", min: 0, max: T_MAX, apply: (o, v) => o.startDelayNs = v as number },
  ramp_time: { kind: "time", min: 0, max: T_MAX, apply: (o, v) => o.rampNs = v as number },
  exitall: { kind: "bool", apply: (o, v) => o.exitall = v as boolean },
  wait_for: { kind: "str", apply: (o, v) => o.waitFor = v as string },
  iodepth_low: { kind: "int", min: 0, max: 32768, apply: (o, v) => o.depthLow = v as number },
  iodepth_batch_complete_max: {
    kind: "int",
    min: 0,
    max: 4096,
    apply: (o, v) => o.completeMax = v as number,
  },
  // fio 3.33 accepts threads= (its tiobench profile's option, registered globally) and a job ignores it.
  threads: { kind: "int", min: 0, max: 1 << 20, apply: none },
  exit_what: {
    kind: "enum",
    values: ["group", "stonewall", "all"],
    apply: (o, v) => o.exitWhat = v as "group" | "stonewall" | "all",
  },
  dmasim_buffers: {
    kind: "enum",
    values: ["plain", "fixed", "dmabuf", "bounce"],
    apply: (o, v) => o.buffers = v as BufferKind,
  },
  dmasim_dmabuf_memory: {
    kind: "enum",
    values: ["host", "gpu"],
    apply: (o, v) => o.dmabufMemory = v as "host" | "gpu",
  },
  dmasim_iommu: {
    kind: "enum",
    values: ["strict", "lazy", "passthrough"],
    apply: (o, v) => o.iommu = v as IommuMode,
  },
  dmasim_profile: { kind: "str", apply: (o, v) => o.profile = v as string },
  dmasim_seed: { kind: "int", min: 0, max: 2 ** 31, apply: (o, v) => o.seed = v as number },
  dmasim_functional: { kind: "bool", apply: (o, v) => o.functional = v as boolean },
  // Sets the value (options.c: FIO_OPT_STR with off1), so it replaces bits an earlier ignore_error= added.
  continue_on_error: {
    kind: "enum",
    values: Object.keys(CONTINUE_ON_ERROR),
    apply: (o, v) => o.continueOnError = CONTINUE_ON_ERROR[v as string],
  },
  ignore_error: {
    kind: "str",
    apply: (o, v, at) => {
      const r = parseIgnoreError(v as string, at);
      r.lists.forEach((l, type) => {
        if (l) o.ignoreError[type] = l;
      });
      o.continueOnError |= r.bits;
    },
  },
  error_dump: {
    kind: "bool",
    apply: (_o, v, at) =>
      v ? refuse(at, "error_dump", "logging every error, fatal or not (use error_dump=0)") : 0,
  },
  verify: {
    kind: "enum",
    values: [...Object.keys(VERIFY_TYPES), ...VERIFY_REFUSED],
    apply: (o, v, at) => {
      if (VERIFY_REFUSED.includes(v as string)) {
        refuse(
          at,
          "verify",
          `${v}: fio 3.33's sha256, sha512 and sha3 digests (dmasim verifies ${
            Object.keys(VERIFY_TYPES).join(", ")
          })`,
        );
      }
      o.verify = VERIFY_TYPES[v as string];
      o.verifySet = true;
    },
  },
  do_verify: { kind: "bool", apply: (o, v) => o.doVerify = v as boolean },
  // fio's minimum: two headers (options.c minval 2 * sizeof(struct verify_header)).
  verify_interval: { kind: "size", min: 80, max: 1 << 30, apply: (o, v) => o.verifyInterval = v as number },
  verify_offset: { kind: "size", min: 40, max: 1 << 30, apply: (o, v) => o.verifyOffset = v as number },
  verify_pattern: {
    kind: "str",
    apply: (o, v, at) => {
      o.verifyPattern = parseVerifyPattern(v as string, at);
      // str_verify_pattern_cb: a pattern without verify= is verify=pattern with headers (VERIFY_PATTERN).
      if (!o.verifySet) o.verify = 17;
    },
  },
  verify_fatal: { kind: "bool", apply: (o, v) => o.verifyFatal = v as boolean },
  verify_dump: {
    kind: "bool",
    apply: (_o, v, at) =>
      v ? refuse(at, "verify_dump", "dumping bad blocks to files (use verify_dump=0)") : 0,
  },
  verify_async: {
    kind: "int",
    min: 0,
    max: 1024,
    apply: (_o, v, at) =>
      v
        ? refuse(at, "verify_async", "verify threads (checks run in the job's thread; use verify_async=0)")
        : 0,
  },
  verify_backlog: { kind: "int", min: 0, max: 2 ** 31, apply: (o, v) => o.verifyBacklog = v as number },
  verify_backlog_batch: {
    kind: "int",
    min: 0,
    max: 2 ** 31,
    apply: (o, v) => o.verifyBacklogBatch = v as number,
  },
  verifysort: { kind: "bool", apply: none },
  verifysort_nr: { kind: "int", min: 0, max: 1 << 20, apply: none },
  dmasim_corrupt_write: {
    kind: "str",
    apply: (o, v, at) => {
      const m = /^(\d+)(?::(\d+))?$/.exec((v as string).trim());
      if (!m || Number(m[1]) < 1 || Number(m[1]) > 2 ** 31 || Number(m[2] ?? 0) >= 2 ** 30) {
        throw new UsageError(
          `${at}: option dmasim_corrupt_write: expected N[:BYTE] (the N-th write, from 1, and a byte offset in it), got ${
            JSON.stringify(v)
          }`,
        );
      }
      o.corruptWrite = [Number(m[1]), Number(m[2] ?? 100)];
    },
  },
  dmasim_media_error_ppm: {
    kind: "int",
    min: 0,
    max: 1_000_000,
    apply: (o, v) => o.mediaErrorPpm = v as number,
  },
};

/** fio options dmasim does not model, and why (refused as "not modelled"). */
export const NOT_MODELLED: Record<string, string> = {
  offset_increment: "per-job offset steps",
  verify_only: "verifying an earlier run's data (each run's drives start empty)",
  verify_state_load: "verify state files",
  trim_percentage: "trims",
  fsync: "fsync after writes",
  fdatasync: "fdatasync after writes",
  blockalign: "offset alignment other than the smallest block size",
  ba: "offset alignment other than the smallest block size",
  cpus_allowed: "CPU affinity (each thread has its own simulated core)",
  cpumask: "CPU affinity (each thread has its own simulated core)",
  gtod_reduce: "reduced time keeping",
  zonemode: "zoned devices",
  ioscheduler: "I/O schedulers",
  cmdprio_percentage: "I/O priorities",
  cmdprio_bssplit: "I/O priorities",
  cmdprio_class: "I/O priorities",
  cmdprio: "I/O priorities",
  log_prio: "I/O priorities",
  registerfiles_only: "io_uring_cmd",
  uncached: "uncached buffered I/O",
  latency_target: "latency-target depth search",
  latency_window: "latency-target depth search",
  latency_percentile: "latency-target depth search",
  flow: "flow control between jobs",
  fill_device: "filling the device",
  create_serialize: "file creation",
  write_hist_log: "histogram logs",
  bwavgtime: "bandwidth averaging windows other than 500 ms",
  iopsavgtime: "IOPS averaging windows other than 500 ms",
  steadystate: "steady-state detection",
};

/** Check an option name: known, or refused as not modelled, or unknown. */
export function checkOptionName(key: string, where: string): void {
  if (FIO_OPTIONS[key]) return;
  if (NOT_MODELLED[key]) {
    throw new UsageError(`${where}: option "${key}" is not modelled by dmasim (${NOT_MODELLED[key]})`);
  }
  throw new UsageError(`${where}: unknown option "${key}"`);
}

/** Parse an enum value (for the table's enum options). */
export function enumValue(text: string, values: readonly string[]): string {
  return parseEnum(text, values);
}
