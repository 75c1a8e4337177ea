/**
 * `dmasim fio`: fio job files (ioengine=io_uring) on the simulated machine,
 * with fio's normal output shape and `--output-format=json` using fio's JSON
 * field names, so existing fio tooling reads it.
 *
 * Job files are parsed as fio parses them: `[global]` and job sections,
 * `key=value` and bare boolean keys, `;`/`#` comment lines, `${VAR}` from the
 * environment. Every option is either modelled or an error naming the file,
 * line and option — never silently ignored. Each job section runs on its own
 * simulated machine, one after another (as with `stonewall`), its `numjobs`
 * threads on their own cores with their own rings, reported together (as with
 * `group_reporting`).
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import {
  fixed,
  type Io,
  loadProfile,
  makeProgress,
  num2str,
  parseBool,
  parseDurationNs,
  parseEnum,
  parseIntIn,
  RunFailure,
  setupCommand,
  STDIO,
  UsageError,
  ValueError,
  writeOutputFile,
} from "./common.ts";
import { VERSION_STRING } from "./version.ts";
import type { BufferKind, RunResult, UringJob } from "./engine.ts";
import { fmtLatLine, fmtPercentileBlock, sampleStats, sortedPercentiles, toJson } from "./format.ts";
import { BUFFER_KINDS, IOMMU_MODES, runJob } from "./uring.ts";
import { deviceCapacityBytes, type IommuMode } from "../src/profile.ts";

/** One `key[=value]` line of a job file. */
export interface FioEntry {
  /** File name as given. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** Option name (lower case, as fio matches them). */
  key: string;
  /** Value after `=`, or null for a bare key. */
  value: string | null;
}

/** A section of a job file: `[global]` or a job. */
export interface FioSection {
  /** Section name. */
  name: string;
  /** File name. */
  file: string;
  /** Line of the `[name]` header. */
  line: number;
  /** Its options in order. */
  entries: FioEntry[];
}

/** How a fio option's value is parsed. */
export type FioOptKind = "bool" | "int" | "size" | "time" | "str" | "enum";

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
}

/** The fio options dmasim understands, with fio's aliases. */
export const FIO_OPTIONS: Record<string, FioOptSpec> = {
  name: { kind: "str" },
  description: { kind: "str" },
  ioengine: { kind: "str" },
  rw: { kind: "str" },
  readwrite: { kind: "str", canon: "rw" },
  bs: { kind: "size", min: 1, max: 1 << 24 },
  blocksize: { kind: "size", canon: "bs", min: 1, max: 1 << 24 },
  iodepth: { kind: "int", min: 1, max: 32768 },
  iodepth_batch_submit: { kind: "int", min: 0, max: 32768 },
  iodepth_batch: { kind: "int", canon: "iodepth_batch_submit", min: 0, max: 32768 },
  iodepth_batch_complete_min: { kind: "int", min: 0, max: 32768 },
  iodepth_batch_complete: { kind: "int", canon: "iodepth_batch_complete_min", min: 0, max: 32768 },
  numjobs: { kind: "int", min: 1, max: 64 },
  size: { kind: "size", min: 512, max: 2 ** 52 },
  runtime: { kind: "time", min: 1, max: 86_400e9 },
  timeout: { kind: "time", canon: "runtime", min: 1, max: 86_400e9 },
  time_based: { kind: "bool" },
  number_ios: { kind: "int", min: 1, max: 1e12 },
  filename: { kind: "str" },
  direct: { kind: "bool" },
  buffered: { kind: "bool" },
  fixedbufs: { kind: "bool" },
  registerfiles: { kind: "bool" },
  hipri: { kind: "bool" },
  sqthread_poll: { kind: "bool" },
  sqthread_poll_cpu: { kind: "int", min: 0, max: 4096 },
  nonvectored: { kind: "int", min: -1, max: 1 },
  force_async: { kind: "int", min: 0, max: 1 << 20 },
  nowait: { kind: "bool" },
  randrepeat: { kind: "bool" },
  randseed: { kind: "int", min: 0, max: 2 ** 32 - 1 },
  thread: { kind: "bool" },
  group_reporting: { kind: "bool" },
  stonewall: { kind: "bool" },
  wait_for_previous: { kind: "bool", canon: "stonewall" },
  new_group: { kind: "bool" },
  kb_base: { kind: "enum", values: ["1000", "1024"] },
  dmasim_buffers: { kind: "enum", values: BUFFER_KINDS },
  dmasim_dmabuf_memory: { kind: "enum", values: ["host", "gpu"] },
  dmasim_iommu: { kind: "enum", values: IOMMU_MODES },
  dmasim_profile: { kind: "str" },
  dmasim_seed: { kind: "int", min: 0, max: 2 ** 32 - 1 },
  dmasim_functional: { kind: "bool" },
};

/** fio options people use that dmasim does not model (a clearer error than "unknown"). */
const UNSUPPORTED = new Set([
  "offset",
  "offset_increment",
  "io_size",
  "io_limit",
  "ramp_time",
  "rate",
  "rate_iops",
  "rwmixread",
  "rwmixwrite",
  "verify",
  "fsync",
  "fdatasync",
  "norandommap",
  "random_distribution",
  "iodepth_low",
  "cpus_allowed",
  "cpumask",
  "gtod_reduce",
  "zonemode",
  "bsrange",
  "bssplit",
  "ioscheduler",
  "include",
  "loops",
  "startdelay",
  "cmdprio_percentage",
  "registerfiles_only",
  "uncached",
]);

/** The `rw=` values dmasim models. */
export const SUPPORTED_RW = ["read", "write", "randread", "randwrite"] as const;

/**
 * Parse a fio job file into sections. Unknown options are a
 * {@link UsageError} naming `file:line` and the option.
 *
 * @example
 * ```ts
 * import { parseJobFile } from "./fio.ts";
 * const s = parseJobFile("[global]\nioengine=io_uring\n[job1]\nrw=randread\ndirect\n", "a.fio");
 * console.log(s[1].name, s[1].entries[1]); // job1 { file: "a.fio", line: 5, key: "direct", value: null }
 * ```
 */
export function parseJobFile(
  text: string,
  file: string,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): FioSection[] {
  const sections: FioSection[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = `${file}:${lineNo}`;
    let raw = lines[i].trim();
    if (raw === "" || raw.startsWith(";") || raw.startsWith("#")) continue;
    raw = raw.replace(/\$\{([^}]*)\}/g, (_, v: string) => {
      const val = env(v);
      if (val === undefined) throw new UsageError(`${where}: environment variable ${v} is not set`);
      return val;
    });
    if (raw.startsWith("[")) {
      const m = /^\[([^\]]+)\]$/.exec(raw);
      if (!m || m[1].trim() === "") {
        throw new UsageError(`${where}: malformed section header ${JSON.stringify(raw)}`);
      }
      sections.push({ name: m[1].trim(), file, line: lineNo, entries: [] });
      continue;
    }
    const eq = raw.indexOf("=");
    const key = (eq < 0 ? raw : raw.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? null : raw.slice(eq + 1).trim();
    if (!/^[a-z_][a-z0-9_]*$/.test(key)) {
      throw new UsageError(
        `${where}: expected key=value, [section] or a comment, got ${JSON.stringify(raw)}`,
      );
    }
    if (sections.length === 0) throw new UsageError(`${where}: option "${key}" before any [section]`);
    if (!FIO_OPTIONS[key]) {
      if (UNSUPPORTED.has(key)) throw new UsageError(`${where}: option "${key}" is not supported by dmasim`);
      throw new UsageError(`${where}: unknown option "${key}"`);
    }
    sections[sections.length - 1].entries.push({ file, line: lineNo, key, value });
  }
  if (!sections.some((s) => s.name !== "global")) throw new UsageError(`${file}: no job sections`);
  return sections;
}

/** A job's options after parsing and checking (defaults are fio's). */
export interface FioJobOpts {
  /** Job name (section). */
  name: string;
  /** Where the section starts, for messages. */
  where: string;
  /** Options set in the job's own section, as written (for JSON "job options"). */
  own: Record<string, string>;
  /**
   * Where each option in effect was set: canonical option name → `file:line`
   * of the line that set it last (a job's own line, or its `[global]`'s).
   */
  optionWhere: Record<string, string>;
  /** ioengine= (must be io_uring). */
  ioengine: string;
  /** rw= (readwrite=). */
  rw: (typeof SUPPORTED_RW)[number];
  /** bs= (blocksize=), bytes. */
  bs: number;
  /** iodepth=. */
  iodepth: number;
  /** iodepth_batch_submit= (iodepth_batch=). */
  batchSubmit: number;
  /** iodepth_batch_complete_min= (iodepth_batch_complete=). */
  batchComplete: number;
  /** numjobs= (threads, one core each). */
  numjobs: number;
  /** size=, bytes: the offset range, and the I/O amount unless time_based. */
  size?: number;
  /** runtime= (timeout=), ns. */
  runtimeNs?: number;
  /** time_based. */
  timeBased: boolean;
  /** number_ios= (per job thread). */
  numberIos?: number;
  /** filename=, split at ':'. */
  filenames: string[];
  /** direct= (or !buffered=). */
  direct: boolean;
  /** fixedbufs. */
  fixedbufs: boolean;
  /** registerfiles. */
  registerfiles: boolean;
  /** hipri (polled completions). */
  hipri: boolean;
  /** thread (only changes the wording of `Starting N threads`). */
  thread: boolean;
  /** group_reporting (reports are always grouped per job section). */
  groupReporting: boolean;
  /** dmasim_buffers=. */
  buffers?: BufferKind;
  /** dmasim_dmabuf_memory=. */
  dmabufMemory?: "host" | "gpu";
  /** dmasim_iommu=. */
  iommu?: IommuMode;
  /** dmasim_profile=. */
  profile?: string;
  /** dmasim_seed= or randseed=. */
  seed: number;
  /** dmasim_functional=. */
  functional: boolean;
}

function typed(e: FioEntry, spec: FioOptSpec, kbBase: 1000 | 1024): string | number | boolean {
  const where = `${e.file}:${e.line}: option ${e.key}`;
  try {
    if (e.value === null) {
      if (spec.kind === "bool") return true;
      throw new UsageError(`${where}: needs a value (${e.key}=…)`);
    }
    switch (spec.kind) {
      case "bool":
        return parseBool(e.value);
      case "int":
        return parseIntIn(e.value, spec.min!, spec.max!);
      case "size":
        return parseIntIn(e.value, spec.min!, spec.max!, kbBase);
      case "time": {
        const ns = parseDurationNs(e.value, "s");
        if (ns === null || ns < spec.min! || ns > spec.max!) {
          throw new ValueError("a time like 30, 10s, 500ms, 2m (seconds if no unit)", e.value);
        }
        return ns;
      }
      case "enum":
        return parseEnum(e.value, spec.values!);
      case "str":
        return e.value;
    }
  } catch (err) {
    if (err instanceof ValueError) throw new UsageError(`${where}: ${err.message}`);
    throw err;
  }
}

/**
 * Build each job's options from the sections: `[global]` options apply to
 * the jobs after them; a job's own options override. Values are checked
 * with their line numbers.
 */
export function jobsFromSections(
  sections: FioSection[],
): { jobs: FioJobOpts[]; globals: Record<string, string> } {
  const jobs: FioJobOpts[] = [];
  let global: FioEntry[] = [];
  const globalsOut: Record<string, string> = {};
  for (const s of sections) {
    if (s.name === "global") {
      global = [...global, ...s.entries];
      for (const e of s.entries) globalsOut[e.key] = e.value ?? "1";
      continue;
    }
    const all = [...global, ...s.entries];
    const kbEntry = [...all].reverse().find((e) => e.key === "kb_base");
    const kbBase = kbEntry ? (typed(kbEntry, FIO_OPTIONS.kb_base, 1024) === "1000" ? 1000 : 1024) : 1024;
    const o: FioJobOpts = {
      name: s.name,
      where: `${s.file}:${s.line}`,
      own: Object.fromEntries(s.entries.map((e) => [e.key, e.value ?? "1"])),
      optionWhere: {},
      ioengine: "psync",
      rw: "read",
      bs: 4096,
      iodepth: 1,
      batchSubmit: 1,
      batchComplete: 1,
      numjobs: 1,
      timeBased: false,
      filenames: [],
      direct: false,
      fixedbufs: false,
      registerfiles: false,
      hipri: false,
      thread: false,
      groupReporting: false,
      seed: 1,
      functional: false,
    };
    for (const e of all) {
      const spec = FIO_OPTIONS[e.key];
      const key = spec.canon ?? e.key;
      const v = typed(e, spec, kbBase);
      const at = `${e.file}:${e.line}`;
      // Delete first so the key order is the order options took effect (the last one wins).
      delete o.optionWhere[key];
      o.optionWhere[key] = at;
      switch (key) {
        case "name":
        case "description":
        case "stonewall":
        case "new_group":
        case "kb_base":
          break; // jobs run one after another anyway; kb_base was applied above
        case "ioengine":
          o.ioengine = v as string;
          if (o.ioengine !== "io_uring") {
            throw new UsageError(
              `${at}: option ioengine: dmasim simulates io_uring only (ioengine=io_uring), got ${
                JSON.stringify(v)
              }`,
            );
          }
          break;
        case "rw": {
          const rw = v as string;
          if (rw.includes(":")) {
            throw new UsageError(
              `${at}: option rw: ${
                JSON.stringify(rw)
              }: the ':' offset modifier (rw=randread:8) is not supported by dmasim`,
            );
          }
          if (!(SUPPORTED_RW as readonly string[]).includes(rw)) {
            throw new UsageError(
              `${at}: option rw: ${JSON.stringify(v)} is not supported (dmasim: ${SUPPORTED_RW.join(", ")})`,
            );
          }
          o.rw = rw as FioJobOpts["rw"];
          break;
        }
        case "bs":
          o.bs = v as number;
          break;
        case "iodepth":
          o.iodepth = v as number;
          break;
        case "iodepth_batch_submit":
          o.batchSubmit = v as number;
          break;
        case "iodepth_batch_complete_min":
          o.batchComplete = v as number;
          break;
        case "numjobs":
          o.numjobs = v as number;
          break;
        case "size":
          o.size = v as number;
          break;
        case "runtime":
          o.runtimeNs = v as number;
          break;
        case "time_based":
          o.timeBased = v as boolean;
          break;
        case "number_ios":
          o.numberIos = v as number;
          break;
        case "filename":
          o.filenames = (v as string).split(":").filter((x) => x !== "");
          break;
        case "direct":
          o.direct = v as boolean;
          break;
        case "buffered":
          o.direct = !(v as boolean);
          break;
        case "fixedbufs":
          o.fixedbufs = v as boolean;
          break;
        case "registerfiles":
          o.registerfiles = v as boolean;
          break;
        case "hipri":
          o.hipri = v as boolean;
          break;
        case "sqthread_poll":
          if (v as boolean) {
            throw new UsageError(
              `${at}: option sqthread_poll: dmasim does not model SQPOLL (IORING_SETUP_SQPOLL); use sqthread_poll=0`,
            );
          }
          break;
        case "sqthread_poll_cpu":
          break; // refused below: it needs sqthread_poll, which is refused above
        case "nonvectored":
          if (v === 0) {
            throw new UsageError(
              `${at}: option nonvectored: dmasim models non-vectored reads and writes only; use nonvectored=1 or -1`,
            );
          }
          break;
        case "force_async":
          if (v !== 0) {
            throw new UsageError(`${at}: option force_async: dmasim does not model IOSQE_ASYNC punts; use 0`);
          }
          break;
        case "nowait":
          if (v) throw new UsageError(`${at}: option nowait: dmasim does not model RWF_NOWAIT; use nowait=0`);
          break;
        case "randrepeat":
          if (!v) {
            throw new UsageError(
              `${at}: option randrepeat: dmasim runs are always repeatable; use dmasim_seed= (or randseed=) to vary offsets`,
            );
          }
          break;
        case "randseed":
        case "dmasim_seed":
          o.seed = v as number;
          break;
        case "thread":
          o.thread = v as boolean;
          break;
        case "group_reporting":
          o.groupReporting = v as boolean;
          break;
        case "dmasim_buffers":
          o.buffers = v as BufferKind;
          break;
        case "dmasim_dmabuf_memory":
          o.dmabufMemory = v as "host" | "gpu";
          break;
        case "dmasim_iommu":
          o.iommu = v as IommuMode;
          break;
        case "dmasim_functional":
          o.functional = v as boolean;
          break;
        case "dmasim_profile":
          o.profile = v as string;
          break;
        default:
          throw new UsageError(`${at}: option ${e.key}: not handled`);
      }
    }
    if (o.optionWhere.sqthread_poll_cpu) {
      throw new UsageError(
        `${o.optionWhere.sqthread_poll_cpu}: option sqthread_poll_cpu: needs sqthread_poll, which dmasim does not model`,
      );
    }
    if (o.ioengine !== "io_uring") {
      throw new UsageError(`${o.where}: job "${o.name}": needs ioengine=io_uring (fio's default is psync)`);
    }
    if (o.runtimeNs === undefined && o.numberIos === undefined && o.size === undefined) {
      throw new UsageError(
        `${o.where}: job "${o.name}": set runtime=, number_ios= or size= (a whole-device pass is too long to simulate)`,
      );
    }
    if (o.timeBased && o.runtimeNs === undefined) {
      throw new UsageError(`${o.where}: job "${o.name}": time_based needs runtime=`);
    }
    jobs.push(o);
  }
  return { jobs, globals: globalsOut };
}

/** Turn a fio job into a {@link UringJob} on its profile (checks drives, cores and size). */
export function uringJobFromFio(
  o: FioJobOpts,
  profileOverride?: string,
): { job: UringJob; profileName: string; iommu: IommuMode } {
  const profileArg = o.profile ?? profileOverride;
  // The line that set an option, or the section header when it kept its default.
  const at = (key: string) => o.optionWhere[key] ?? o.where;
  const loaded = loadProfile(
    profileArg,
    o.profile ? `${at("dmasim_profile")}: option dmasim_profile` : "option --profile",
  );
  const p = loaded.profile;
  const names = p.devices.map((d) => d.name);
  const devices: string[] = [];
  for (const f of o.filenames) {
    const n = f.replace(/^\/dev\//, "");
    if (!names.includes(n)) {
      throw new UsageError(
        `${at("filename")}: option filename: ${
          JSON.stringify(f)
        } is not a drive of profile ${p.name} (drives: ${names.map((x) => "/dev/" + x).join(", ")})`,
      );
    }
    if (!devices.includes(n)) devices.push(n);
  }
  if (devices.length === 0) devices.push(names[0]);
  if (o.numjobs > p.cpu.cores) {
    throw new UsageError(
      `${
        at("numjobs")
      }: option numjobs: expected at most ${p.cpu.cores} (profile ${p.name} has ${p.cpu.cores} cores), got ${o.numjobs}`,
    );
  }
  const capacity = Math.min(
    ...devices.map((d) => Number(deviceCapacityBytes(p.devices.find((x) => x.name === d)!))),
  );
  if (o.size !== undefined && o.size > capacity) {
    throw new UsageError(
      `${at("size")}: option size: ${o.size} bytes is larger than the drive (${capacity} bytes)`,
    );
  }
  const clamp = (v: number) => Math.min(Math.max(1, v), o.iodepth);
  const job: UringJob = {
    profile: loaded.spec,
    devices,
    threads: o.numjobs,
    depth: o.iodepth,
    submitBatch: clamp(o.batchSubmit),
    completeBatch: clamp(o.batchComplete),
    bs: o.bs,
    polled: o.hipri,
    fixedFiles: o.registerfiles,
    buffers: o.buffers ?? (o.fixedbufs ? "fixed" : "plain"),
    ...(o.dmabufMemory ? { dmabufMemory: o.dmabufMemory } : {}),
    direct: o.direct,
    random: o.rw.startsWith("rand"),
    write: o.rw.endsWith("write"),
    seed: o.seed,
  };
  if (o.iommu) job.iommu = o.iommu;
  if (o.functional) job.functional = true;
  if (o.size !== undefined) job.rangeBytes = o.size;
  if (o.runtimeNs !== undefined) job.runtimeNs = o.runtimeNs;
  let ios = o.numberIos !== undefined ? o.numberIos * o.numjobs : undefined;
  if (!o.timeBased && o.size !== undefined) {
    const fromSize = Math.ceil(o.size / o.bs) * o.numjobs;
    ios = ios === undefined ? fromSize : Math.min(ios, fromSize);
  }
  if (o.timeBased) ios = o.numberIos !== undefined ? o.numberIos * o.numjobs : undefined;
  if (ios !== undefined) job.ios = ios;
  return { job, profileName: p.name, iommu: o.iommu ?? p.iommu.mode };
}

/** A finished job: options, job, result. */
export interface FioRun {
  /** Options. */
  opts: FioJobOpts;
  /** The engine job. */
  job: UringJob;
  /** Profile name. */
  profileName: string;
  /** IOMMU mode in effect. */
  iommu: IommuMode;
  /** Result. */
  result: RunResult;
}

function cpuSplit(r: RunResult, threads: number): { usr: number; sys: number } {
  const used = r.cpuUtil.slice(0, threads);
  const util = used.reduce((a, b) => a + b, 0) / Math.max(1, used.length);
  const total = r.cpuNsPerIo || 1;
  const app = r.cpuNsPerIoByLayer.app ?? 0;
  return { usr: util * 100 * app / total, sys: util * 100 * (total - app) / total };
}

const EIO = 5;

/** fio's figures for one direction of a finished job (stat.c, with fio's integer arithmetic). */
export interface FioRates {
  /** Runtime, whole milliseconds (whole microseconds rounded up, as fio does; at least 1). */
  runtimeMs: number;
  /** Bytes moved. */
  ioBytes: number;
  /** `io_bytes >> 10`. */
  ioKbytes: number;
  /** `1000 * io_bytes / runtime`, integer bytes/s. */
  bwBytes: number;
  /** `bw_bytes / 1024`, integer KiB/s. */
  bwKiB: number;
  /** `1000.0 * total_ios / runtime` (JSON `iops`, a double). */
  iops: number;
  /** `1000 * total_ios / runtime`, integer (the text report's `IOPS=`). */
  iopsInt: number;
}

/**
 * IOPS and bandwidth as fio derives them from the runtime it prints: whole
 * milliseconds rounded up as fio's backend.c does, so they agree with `(…/NNNmsec)` and JSON `runtime`. The
 * simulator's exact figures are under `jobs[].dmasim`.
 *
 * @example
 * ```ts
 * import { fioRates } from "./fio.ts";
 * console.log(fioRates(2000, 512, 3_516_000)); // runtimeMs 4, iops 500000, bwBytes 256000000, …
 * ```
 */
export function fioRates(ios: number, bs: number, simNs: number): FioRates {
  // backend.c update_runtime: runtime += (elapsed_us + 999) / 1000, so whole
  // milliseconds rounded up from whole microseconds.
  const runtimeMs = Math.max(1, Math.floor((Math.floor(simNs / 1e3) + 999) / 1e3));
  const ioBytes = ios * bs;
  const rt = BigInt(runtimeMs);
  const bwBytes = Number((BigInt(ioBytes) * 1000n) / rt);
  return {
    runtimeMs,
    ioBytes,
    ioKbytes: Math.floor(ioBytes / 1024),
    bwBytes,
    bwKiB: Math.floor(bwBytes / 1024),
    iops: (1000 * ios) / runtimeMs,
    iopsInt: Number((BigInt(ios) * 1000n) / rt),
  };
}

function zeroDir(): Record<string, unknown> {
  const lat = { min: 0, max: 0, mean: 0, stddev: 0, N: 0 };
  return {
    io_bytes: 0,
    io_kbytes: 0,
    bw_bytes: 0,
    bw: 0,
    iops: 0,
    runtime: 0,
    total_ios: 0,
    short_ios: 0,
    drop_ios: 0,
    slat_ns: { ...lat },
    clat_ns: { ...lat },
    lat_ns: { ...lat },
    bw_min: 0,
    bw_max: 0,
    bw_agg: 0,
    bw_mean: 0,
    bw_dev: 0,
    bw_samples: 0,
    iops_min: 0,
    iops_max: 0,
    iops_mean: 0,
    iops_stddev: 0,
    iops_samples: 0,
  };
}

function activeDir(r: RunResult): Record<string, unknown> {
  const f = fioRates(r.ios, r.job.bs, r.simNs);
  const { iops, bwKiB } = sampleStats(r.samples);
  const lat = r.latency;
  const base = { min: lat.minNs, max: lat.maxNs, mean: lat.meanNs, stddev: lat.stddevNs ?? 0, N: r.ios };
  const percentile: Record<string, number> = {};
  for (const [k, v] of sortedPercentiles(lat.percentiles)) percentile[k.toFixed(6)] = v;
  return {
    io_bytes: f.ioBytes,
    io_kbytes: f.ioKbytes,
    bw_bytes: f.bwBytes,
    bw: f.bwKiB,
    iops: f.iops,
    runtime: f.runtimeMs,
    total_ios: r.ios,
    short_ios: 0,
    drop_ios: 0,
    // No submission latency is modelled: slat is all zeros (as fio prints it with no samples).
    slat_ns: { min: 0, max: 0, mean: 0, stddev: 0, N: 0 },
    clat_ns: { ...base, percentile },
    lat_ns: { ...base },
    bw_min: Math.floor(bwKiB.min),
    bw_max: Math.floor(bwKiB.max),
    bw_agg: 100.0,
    bw_mean: bwKiB.mean,
    bw_dev: bwKiB.dev,
    bw_samples: bwKiB.n,
    iops_min: Math.floor(iops.min),
    iops_max: Math.floor(iops.max),
    iops_mean: iops.mean,
    iops_stddev: iops.dev,
    iops_samples: iops.n,
  };
}

/**
 * fio's JSON output (`--output-format=json`): fio's field names wherever fio
 * has the field; dmasim's extras under each job's `"dmasim"` key. No
 * wall-clock fields unless `timing` (then under `"dmasim"."timing"`).
 */
export function fioJson(runs: FioRun[], globals: Record<string, string>, timing = false): string {
  const jobs = runs.map((x, i) => {
    const r = x.result;
    const write = x.job.write;
    const { usr, sys } = cpuSplit(r, x.opts.numjobs);
    const dmasim: Record<string, unknown> = {
      profile: x.profileName,
      iommu: x.iommu,
      buffers: r.job.buffers,
      devices: r.devices,
      threads: r.job.threads,
      sim_ns: r.simNs,
      iops: r.iops,
      bw_bytes: r.bwBytesPerS,
      errors: r.errors,
      cpu_util: r.cpuUtil,
      cpu_ns_per_io: r.cpuNsPerIo,
      cpu_ns_per_io_by_layer: r.cpuNsPerIoByLayer,
      iommu_counters: r.iommu,
      dmabuf_counters: r.dmabuf,
      security: r.security,
      io_uring_enter_calls: r.calls,
    };
    if (timing) {
      dmasim.timing = { wallS: r.wallS, simIosPerWallS: r.simIosPerWallS, realTimeRatio: r.realTimeRatio };
    }
    return {
      jobname: x.opts.name,
      groupid: i,
      error: r.errors > 0 ? EIO : 0,
      eta: 0,
      elapsed: Math.ceil(r.simNs / 1e9),
      "job options": x.opts.own,
      read: write ? zeroDir() : activeDir(r),
      write: write ? activeDir(r) : zeroDir(),
      trim: zeroDir(),
      sync: { total_ios: 0, lat_ns: { min: 0, max: 0, mean: 0, stddev: 0, N: 0 } },
      job_runtime: fioRates(r.ios, r.job.bs, r.simNs).runtimeMs,
      usr_cpu: usr,
      sys_cpu: sys,
      ctx: 0,
      majf: 0,
      minf: 0,
      dmasim,
    };
  });
  return toJson({ "fio version": VERSION_STRING, "global options": globals, jobs });
}

function rwLabel(o: FioJobOpts, group: number): string {
  return `${o.name}: (g=${group}): rw=${o.rw}, bs=(R) ${o.bs}B-${o.bs}B, (W) ${o.bs}B-${o.bs}B, (T) ${o.bs}B-${o.bs}B, ` +
    `ioengine=${o.ioengine}, iodepth=${o.iodepth}`;
}

/** fio's header before the run: one line per job, the version, `Starting N processes`. */
export function fioHeader(jobs: FioJobOpts[]): string {
  const lines = jobs.map((o, i) => rwLabel(o, i));
  lines.push(VERSION_STRING);
  const n = jobs.reduce((a, j) => a + j.numjobs, 0);
  const threads = jobs.every((j) => j.thread);
  lines.push(
    `Starting ${n} ${threads ? (n === 1 ? "thread" : "threads") : (n === 1 ? "process" : "processes")}`,
  );
  return lines.join("\n") + "\n";
}

function bwPair(bytesPerS: number): string {
  return `${num2str(bytesPerS, 1024, "B/s")} (${num2str(bytesPerS, 1000, "B/s")})`;
}

/** fio's normal output for finished jobs: per-job blocks, then `Run status group N` lines. */
export function fioNormal(runs: FioRun[]): string {
  const out: string[] = [];
  runs.forEach((x, i) => {
    const r = x.result;
    const dir = x.job.write ? "write" : "read";
    const f = fioRates(r.ios, r.job.bs, r.simNs);
    out.push(
      `${x.opts.name}: (groupid=${i}, jobs=${x.opts.numjobs}): err=${
        String(r.errors > 0 ? EIO : 0).padStart(2)
      }: pid=0: simulated`,
    );
    out.push(
      `  ${dir}: IOPS=${num2str(f.iopsInt)}, BW=${bwPair(f.bwBytes)}(${
        num2str(f.ioBytes, 1024, "B")
      }/${f.runtimeMs}msec)`,
    );
    out.push(fmtLatLine("clat", r.latency, "    "));
    out.push(fmtLatLine(" lat", r.latency, "    "));
    out.push(...fmtPercentileBlock("clat percentiles", r.latency.percentiles, "    "));
    const { iops, bwKiB } = sampleStats(r.samples);
    if (iops.n > 0) {
      out.push(
        `   bw (  KiB/s): min=${Math.floor(bwKiB.min)}, max=${Math.floor(bwKiB.max)}, per=100.00%, avg=${
          fixed(bwKiB.mean, 2)
        }, stdev=${fixed(bwKiB.dev, 2)}, samples=${bwKiB.n}`,
      );
      out.push(
        `   iops        : min=${Math.floor(iops.min)}, max=${Math.floor(iops.max)}, avg=${
          fixed(iops.mean, 2)
        }, stdev=${fixed(iops.dev, 2)}, samples=${iops.n}`,
      );
    }
    const { usr, sys } = cpuSplit(r, x.opts.numjobs);
    out.push(`  cpu          : usr=${fixed(usr, 2)}%, sys=${fixed(sys, 2)}%, ctx=0, majf=0, minf=0`);
    out.push(
      `  dmasim       : profile=${x.profileName}, iommu=${x.iommu}, buffers=${r.job.buffers}, drives=${
        r.job.devices.join(",")
      }, cpu=${fixed(r.cpuNsPerIo, 1)}ns/IO, simulated=${fixed(r.simNs / 1e6, 3)}ms`,
    );
    const total = x.job.write ? `0,${r.ios},0,0` : `${r.ios},0,0,0`;
    out.push(`     issued rwts: total=${total} short=0,0,0,0 dropped=0,0,0,0`);
    out.push("");
  });
  runs.forEach((x, i) => {
    const r = x.result;
    // One job section is one group: its aggregate, min and max bandwidth are the same figure.
    const f = fioRates(r.ios, r.job.bs, r.simNs);
    const bw1024 = num2str(f.bwBytes, 1024, "B/s");
    const bw1000 = num2str(f.bwBytes, 1000, "B/s");
    out.push(`Run status group ${i} (all jobs):`);
    out.push(
      `  ${x.job.write ? "WRITE" : " READ"}: bw=${
        bwPair(f.bwBytes)
      }, ${bw1024}-${bw1024} (${bw1000}-${bw1000}), io=${num2str(f.ioBytes, 1024, "B")} (${
        num2str(f.ioBytes, 1000, "B")
      }), run=${f.runtimeMs}-${f.runtimeMs}msec`,
    );
    out.push("");
  });
  return out.join("\n");
}

const OUTPUT_FORMATS = ["normal", "json"] as const;

/**
 * The `fio` command.
 *
 * @example
 * ```ts
 * import { fioCommand } from "./fio.ts";
 * await fioCommand().parseAsync(["--output-format=json", "job.fio"], { from: "user" });
 * ```
 */
export function fioCommand(io: Io = STDIO): Command {
  const cmd = new Command("fio")
    .summary("fio job files (ioengine=io_uring) on the simulated machine")
    .description(
      "Run fio job files on the simulated machine. Supported options: ioengine=io_uring, rw (read, write, " +
        "randread, randwrite), bs, iodepth, iodepth_batch_submit, iodepth_batch_complete_min, numjobs, size, " +
        "runtime, time_based, number_ios, filename (profile drives, ':'-separated), direct, buffered, fixedbufs, " +
        "registerfiles, hipri, sqthread_poll=0, nonvectored, randrepeat=1, randseed, thread, group_reporting, " +
        "stonewall, kb_base, and dmasim's dmasim_buffers=plain|fixed|dmabuf|bounce, dmasim_dmabuf_memory=host|gpu, dmasim_iommu=strict|lazy|passthrough, " +
        "dmasim_profile=NAME|FILE, dmasim_seed=N, dmasim_functional=1 (move real bytes). Any other option is an error naming the file and line. " +
        "Job sections run one after another, each on a fresh simulated machine; numjobs threads are reported " +
        "together (as with group_reporting). A job needs runtime=, number_ios= or size=.",
    )
    .argument("<jobfile...>", "fio job files")
    .option("--output-format <fmt>", "normal|json", "normal")
    .option("--output <file>", "write the report to a file instead of stdout")
    .option(
      "--profile <name|file>",
      "machine profile for jobs without dmasim_profile= (default optane-p5800x)",
    )
    .option("--timing", "add the simulator's own speed (wall clock; not deterministic)")
    .option("-q, --quiet", "no progress bar")
    .addHelpText(
      "after",
      `
Example job file:
  [global]
  ioengine=io_uring
  direct=1
  fixedbufs
  registerfiles
  hipri
  bs=512
  iodepth=128
  iodepth_batch_submit=32
  iodepth_batch_complete_min=32
  number_ios=100000
  filename=/dev/nvme0n1

  [strict-fixed]
  rw=randread
  dmasim_iommu=strict

  [strict-dmabuf]
  rw=randread
  dmasim_iommu=strict
  dmasim_buffers=dmabuf

Examples:
  dmasim fio job.fio
  dmasim fio --output-format=json job.fio | jq '.jobs[] | {jobname, iops: .read.iops}'
  dmasim fio --profile pcie5-nand a.fio b.fio`,
    );
  setupCommand(cmd);
  cmd.action(async (files, opts) => {
    let format: (typeof OUTPUT_FORMATS)[number];
    try {
      format = parseEnum(opts.outputFormat, OUTPUT_FORMATS);
    } catch (e) {
      if (e instanceof ValueError) throw new UsageError(`option --output-format: ${e.message}`);
      throw e;
    }
    const sections: FioSection[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = await Deno.readTextFile(f);
      } catch (e) {
        throw new UsageError(`${f}: cannot read job file: ${e instanceof Error ? e.message : e}`);
      }
      sections.push(...parseJobFile(text, f).map((s) => ({ ...s })));
      // Each file starts afresh: its [global] applies to its own jobs only.
      sections.push({ name: "\0reset", file: f, line: 0, entries: [] });
    }
    const { jobs, globals } = jobsFromSectionsPerFile(sections);
    if (opts.profile) loadProfile(opts.profile, "option --profile");
    const built = jobs.map((o) => ({ o, ...uringJobFromFio(o, opts.profile) }));
    const runs: FioRun[] = [];
    const bar = makeProgress("fio", opts.quiet);
    const chunks: string[] = [];
    if (format === "normal") chunks.push(fioHeader(jobs));
    try {
      built.forEach((b, i) => {
        b.job.onProgress = (x) => bar.update((i + x) / built.length);
        const result = runJob(b.job, (field) => {
          const src = fioFieldSource(b.o, field);
          return `${src.where}: job "${b.o.name}": ${src.name}`;
        });
        runs.push({ opts: b.o, job: b.job, profileName: b.profileName, iommu: b.iommu, result });
      });
    } finally {
      bar.stop();
    }
    if (format === "json") chunks.push(fioJson(runs, globals, !!opts.timing));
    else {
      chunks.push("\n" + fioNormal(runs));
      if (opts.timing) {
        for (const x of runs) {
          chunks.push(
            `dmasim speed: ${x.opts.name}: ${fixed(x.result.wallS, 3)} s wall, ${
              Math.round(x.result.simIosPerWallS)
            } simulated I/Os per wall second\n`,
          );
        }
      }
    }
    const text = chunks.join("");
    if (opts.output) writeOutputFile(opts.output, text);
    else io.out(text);
    const failed = runs.filter((x) => x.result.errors > 0);
    if (failed.length > 0) {
      const x = failed[0];
      throw new RunFailure(
        `job "${x.opts.name}": ${x.result.errors} of ${x.result.ios + x.result.errors} I/Os failed`,
      );
    }
  });
  return cmd as unknown as Command;
}

/** The fio options (canonical names) that set each engine job field, for engine errors. */
const FIO_FIELD_OPTIONS: Record<string, readonly string[]> = {
  depth: ["iodepth"],
  submitBatch: ["iodepth_batch_submit"],
  completeBatch: ["iodepth_batch_complete_min"],
  bs: ["bs"],
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
  const keys = FIO_FIELD_OPTIONS[field];
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

/** {@link jobsFromSections} where a `\0reset` marker ends a file's `[global]` scope. */
function jobsFromSectionsPerFile(
  sections: FioSection[],
): { jobs: FioJobOpts[]; globals: Record<string, string> } {
  const jobs: FioJobOpts[] = [];
  const globals: Record<string, string> = {};
  let cur: FioSection[] = [];
  for (const s of sections) {
    if (s.name === "\0reset") {
      const r = jobsFromSections(cur);
      jobs.push(...r.jobs);
      Object.assign(globals, r.globals);
      cur = [];
    } else cur.push(s);
  }
  return { jobs, globals };
}
