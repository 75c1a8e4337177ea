/**
 * `dmasim uring`: fio's t/io_uring on the simulated machine — its flags, its
 * defaults, its once-a-second `IOPS=…, BW=…, IOS/call=…` lines (one per
 * simulated second) and its `Maximum IOPS=` line, plus dmasim's CPU line per
 * core, a summary and the CPU cost per I/O by layer.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import {
  boolArg,
  enumArg,
  fixed,
  fmtBwTio,
  fmtIopsTio,
  intArg,
  type Io,
  type LoadedProfile,
  loadProfile,
  makeProgress,
  makeTable,
  resolveDevices,
  RunFailure,
  setupCommand,
  STDIO,
  UsageError,
  ValueError,
} from "./common.ts";
import {
  type BufferKind,
  type IommuMode,
  ProfileError,
  type RunResult,
  runUring,
  type UringJob,
} from "./engine.ts";
import { fmtPercentileBlock, toJson } from "./format.ts";
import { parseDurationNs } from "./common.ts";

/** Buffer kinds accepted by --buffers. */
export const BUFFER_KINDS: readonly BufferKind[] = ["plain", "fixed", "dmabuf", "bounce"];
/** IOMMU modes accepted by --iommu. */
export const IOMMU_MODES: readonly IommuMode[] = ["strict", "lazy", "passthrough"];

/** The t/io_uring-style flags shared by `uring`, `trace` and `sweep` (commander attribute names). */
export interface UringFlags {
  /** -d: queue depth. */
  depth: number;
  /** -s: submit batch. */
  submitBatch: number;
  /** -c: complete batch. */
  completeBatch: number;
  /** -b: block size. */
  bs: number;
  /** -p: polled. */
  polled: boolean;
  /** -B: fixed buffers. */
  fixedBuffers: boolean;
  /** -F: registered files. */
  registerFiles: boolean;
  /** -n: threads. */
  threads: number;
  /** -R: random. */
  random: boolean;
  /** -O: O_DIRECT. */
  direct: boolean;
  /** -N: NOPs. */
  noop: boolean;
  /** -t: track latencies. */
  trackLatency: boolean;
  /** -r: runtime, ns. */
  runtime?: number;
  /** --ios: I/O count. */
  ios?: number;
  /** --buffers. */
  buffers?: BufferKind;
  /** --dmabuf-memory. */
  dmabufMemory?: "host" | "gpu";
  /** --iommu. */
  iommu?: IommuMode;
  /** --profile NAME|FILE. */
  profile?: string;
  /** --seed. */
  seed: number;
  /** --write. */
  write?: boolean;
  /** --range: offset range, bytes. */
  range?: number;
  /** --warmup: warm-up I/Os. */
  warmup?: number;
  /** --functional. */
  functional?: boolean;
  /** --quiet. */
  quiet?: boolean;
}

function runtimeArg(text: string): number {
  const ns = parseDurationNs(text, "s");
  if (ns === null || ns <= 0 || ns > 86_400e9) {
    throw new UsageError(
      `option -r: ${new ValueError("seconds > 0 (or with a unit: 500ms, 2s, 1m)", text).message}`,
    );
  }
  return ns;
}

/**
 * Add t/io_uring's flags and dmasim's own (--buffers, --iommu, --profile,
 * --seed, --ios, …) to `cmd`. `runLength` says what the run length is
 * when neither -r nor --ios is given (for the help text).
 */
// deno-lint-ignore no-explicit-any
export function addUringOptions(cmd: Command<any, any, any>, runLength = "1 s"): void {
  const flag01 = (flags: string, desc: string, name: string, dflt: boolean) =>
    new Option(flags, desc).argParser(boolArg(name)).default(dflt, dflt ? "1" : "0");
  cmd
    .option("-d, --depth <n>", "IO depth (queue depth per thread)", intArg("-d", 1, 32768), 128)
    .option("-s, --submit-batch <n>", "batch submit (clamped to the depth)", intArg("-s", 0, 32768), 32)
    .option("-c, --complete-batch <n>", "batch complete (clamped to the depth)", intArg("-c", 0, 32768), 32)
    .option(
      "-b, --bs <size>",
      "block size in bytes (units allowed: 512, 4k, 64k)",
      intArg("-b", 1, 1 << 24, true),
      4096,
    )
    .addOption(flag01("-p, --polled <0|1>", "polled IO (IORING_SETUP_IOPOLL)", "-p", true))
    .addOption(
      flag01("-B, --fixed-buffers <0|1>", "fixed (registered) buffers; 0: plain buffers", "-B", true),
    )
    .addOption(flag01("-F, --register-files <0|1>", "registered files", "-F", true))
    .option("-n, --threads <n>", "number of threads, one core and one ring each", intArg("-n", 1, 64), 1)
    .addOption(flag01("-R, --random <0|1>", "random offsets (0: sequential)", "-R", true))
    .addOption(flag01("-O, --direct <0|1>", "O_DIRECT", "-O", true))
    .addOption(flag01("-N, --noop <0|1>", "no-op requests only", "-N", false))
    .addOption(flag01("-t, --track-latency <0|1>", "print completion-latency percentiles", "-t", false))
    .option(
      "-r, --runtime <seconds>",
      `simulated runtime in seconds, or with a unit: 500ms, 2s (without -r or --ios: ${runLength})`,
      runtimeArg,
    )
    .option("--ios <n>", "stop after this many measured I/Os (after warm-up)", intArg("--ios", 1, 1e12))
    .option(
      "--buffers <kind>",
      "buffer kind: plain|fixed|dmabuf|bounce (overrides -B; bounce: host buffers copied to GPU 0)",
      enumArg("--buffers", BUFFER_KINDS),
    )
    .option(
      "--dmabuf-memory <where>",
      "dma-buf memory: host (udmabuf) or gpu (GPU 0's VRAM, peer-to-peer)",
      enumArg("--dmabuf-memory", ["host", "gpu"] as const),
    )
    .option(
      "--iommu <mode>",
      "IOMMU mode: strict|lazy|passthrough (default: the profile's)",
      enumArg("--iommu", IOMMU_MODES),
    )
    .option("--profile <name|file>", "machine profile: built-in name or JSON file", "optane-p5800x")
    .option("--seed <n>", "PRNG seed", intArg("--seed", 0, 2 ** 32 - 1), 1)
    .option("--write", "writes instead of reads")
    .option(
      "--range <size>",
      "offset range from the start of each device (default: whole device)",
      intArg("--range", 512, 2 ** 52, true),
    )
    .option(
      "--warmup <n>",
      "warm-up I/Os before statistics (default: depth x threads)",
      intArg("--warmup", 0, 1e9),
    )
    .option("--functional", "move real bytes (functional run) instead of timing only")
    .option("-q, --quiet", "no progress bar");
  // t/io_uring's other flags: refused by name, never taken for something else.
  for (const [flag, what] of NOT_MODELLED_FLAGS) {
    cmd.addOption(
      new Option(`${flag} <value>`, `t/io_uring's ${what}: not modelled (refused)`).argParser(() => {
        throw new UsageError(`option ${flag}: not modelled: t/io_uring's ${what}`);
      }),
    );
  }
}

/** t/io_uring flags dmasim does not model, with what they select in t/io_uring. */
const NOT_MODELLED_FLAGS: [string, string][] = [
  ["-X", "registered ring fd"],
  ["-a", "legacy aio"],
  ["-S", "synchronous preadv2 I/O"],
  ["-P", "placement on the device's NUMA home node"],
  ["-e", "-e option"],
  ["-u", "NVMe passthrough (uring_cmd)"],
  ["-T", "TSC rate"],
  ["-D", "DMA-mapped fixed buffers"],
  ["-H", "-H option"],
  ["-V", "-V option"],
];

/** A job ready for the engine, with the profile it was resolved against. */
export interface BuiltJob {
  /** The job for `runUring`. */
  job: UringJob;
  /** The loaded profile. */
  loaded: LoadedProfile;
}

/**
 * Turn parsed flags and device arguments into a {@link UringJob}, checking
 * what depends on the profile (device names, threads ≤ cores). Batches
 * behave as in t/io_uring: 0 means 1, larger than the depth means the depth.
 */
export function buildUringJob(
  f: UringFlags,
  devices: readonly string[],
  defaultLength: { runtimeNs: number } | { ios: number } = { runtimeNs: 1e9 },
): BuiltJob {
  const loaded = loadProfile(f.profile, "option --profile");
  const p = loaded.profile;
  if (f.threads > p.cpu.cores) {
    throw new UsageError(
      `option -n: expected at most ${p.cpu.cores} threads (profile ${p.name} has ${p.cpu.cores} ${
        p.cpu.cores === 1 ? "core" : "cores"
      }, one per thread), got ${f.threads}`,
    );
  }
  const clamp = (v: number) => Math.min(Math.max(1, v), f.depth);
  const job: UringJob = {
    profile: loaded.spec,
    devices: resolveDevices(devices, p, "device"),
    threads: f.threads,
    depth: f.depth,
    submitBatch: clamp(f.submitBatch),
    completeBatch: clamp(f.completeBatch),
    bs: f.bs,
    polled: f.polled,
    fixedFiles: f.registerFiles,
    buffers: f.buffers ?? (f.fixedBuffers ? "fixed" : "plain"),
    direct: f.direct,
    random: f.random,
    write: f.write ?? false,
    noop: f.noop,
    seed: f.seed,
  };
  if (f.iommu) job.iommu = f.iommu;
  if (f.dmabufMemory) job.dmabufMemory = f.dmabufMemory;
  if (f.range !== undefined) job.rangeBytes = f.range;
  if (f.warmup !== undefined) job.warmupIos = f.warmup;
  if (f.functional) job.functional = true;
  if (f.ios !== undefined) job.ios = f.ios;
  if (f.runtime !== undefined) job.runtimeNs = f.runtime;
  if (f.ios === undefined && f.runtime === undefined) Object.assign(job, defaultLength);
  return { job, loaded };
}

/** How `dmasim uring` names each job field in messages (the flag that sets it). */
export const URING_FIELD_FLAGS: Record<string, string> = {
  depth: "option -d",
  submitBatch: "option -s",
  completeBatch: "option -c",
  bs: "option -b",
  polled: "option -p",
  fixedFiles: "option -F",
  buffers: "option --buffers",
  dmabufMemory: "option --dmabuf-memory",
  direct: "option -O",
  random: "option -R",
  write: "option --write",
  threads: "option -n",
  noop: "option -N",
  runtimeNs: "option -r",
  ios: "option --ios",
  warmupIos: "option --warmup",
  seed: "option --seed",
  rangeBytes: "option --range",
  devices: "device",
  profile: "option --profile",
  iommu: "option --iommu",
  functional: "option --functional",
};

/**
 * Run a job. The engine's job errors (`JobError`, naming a job field) become
 * a {@link UsageError} naming the flag through `names` (exit 2); a profile
 * error stays one (exit 2); anything else is a {@link RunFailure} (exit 1).
 */
export function runJob(
  job: UringJob,
  names: (field: string) => string = (f) => URING_FIELD_FLAGS[f] ?? f,
): RunResult {
  try {
    return runUring(job);
  } catch (e) {
    throw cliRunError(e, names);
  }
}

/**
 * The error the CLI reports for what a run threw (see {@link runJob}). Works
 * on errors revived from a worker too: a job error is recognised by its name
 * and `field`, not by its class.
 */
export function cliRunError(e: unknown, names: (field: string) => string): Error {
  if (e instanceof UsageError || e instanceof RunFailure || e instanceof ProfileError) return e;
  if (
    e instanceof Error && e.name === "JobError" &&
    typeof (e as Error & { field?: unknown }).field === "string"
  ) {
    const field = (e as Error & { field: string }).field;
    const msg = e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
    return new UsageError(`${names(field)}: ${msg}`);
  }
  const msg = e instanceof Error ? `${e.name === "Error" ? "" : e.name + ": "}${e.message}` : String(e);
  return new RunFailure(`run failed: ${msg}`);
}

/** t/io_uring's per-second line for one sample. */
export function fmtSampleLine(s: RunResult["samples"][number], bs: number, noop: boolean): string {
  // t/io_uring: SQEs submitted per call / CQEs reaped per call, integer division.
  const rpc = s.callsPerS > 0 ? Math.floor(s.submittedPerCall + 1e-9) : -1;
  const ipc = s.callsPerS > 0 ? Math.floor(s.iosPerCall + 1e-9) : -1;
  const bw = noop ? "" : `BW=${fmtBwTio(s.bwBytesPerS, bs)}, `;
  return `IOPS=${fmtIopsTio(s.iops)}, ${bw}IOS/call=${rpc}/${ipc}`;
}

/** dmasim's CPU line: busy percentage of each core the job uses. */
export function fmtCpuLine(util: number[], threads: number): string {
  const used = util.slice(0, Math.max(threads, 1));
  return `  CPU: ${used.map((u, i) => `core${i}=${fixed(u * 100, 1)}%`).join(", ")}`;
}

function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The header t/io_uring prints before the run. */
export function fmtHeader(job: UringJob, profileName: string, iommu: string): string[] {
  const lines: string[] = [];
  const devs = job.devices ?? [];
  const sq = roundupPow2(job.depth ?? 128);
  lines.push(
    `dmasim: profile=${profileName}, iommu=${iommu}, buffers=${job.buffers}, seed=${job.seed}` +
      (job.write ? ", rw=write" : ""),
  );
  for (let t = 0; t < (job.threads ?? 1); t++) {
    lines.push(`submitter=${t}, file=/dev/${devs[t % devs.length]}, nfiles=${devs.length}, core=${t}`);
  }
  lines.push(
    `polled=${+job.polled!}, fixedbufs=${+(job.buffers !== "plain")}, register_files=${+job
      .fixedFiles!}, buffered=${+!job.direct}, QD=${job.depth}`,
  );
  lines.push(`Engine=io_uring, sq_ring=${sq}, cq_ring=${sq * 2}`);
  return lines;
}

/**
 * t/io_uring's `-t 1` block: `<tid>: Latency percentiles:`, then
 * `    percentiles (nsec):` and the percentiles with four decimals (t/io_uring
 * passes precision 4 to its show_clat_percentiles), three a line, in usec when
 * the smallest > 2000 ns and the largest > 99999 ns. dmasim has one
 * latency histogram for all threads; it is printed for "thread" 0 (t/io_uring
 * prints the submitter's Linux TID).
 */
export function fmtLatencyPercentiles(r: RunResult): string[] {
  return ["0: Latency percentiles:", ...fmtPercentileBlock("percentiles", r.latency.percentiles, "    ", 4)];
}

/** dmasim's summary after t/io_uring's lines: totals, CPU cost by layer, devices. */
export function fmtSummary(r: RunResult): string[] {
  const lines: string[] = [];
  const simMs = r.simNs / 1e6;
  lines.push(
    `Summary: ${r.ios} I/Os in ${fixed(simMs, 3)} ms simulated: IOPS=${Math.round(r.iops)}, BW=${
      fixed(r.bwBytesPerS / 1048576, 1)
    }MiB/s, CPU=${fixed(r.cpuNsPerIo, 1)} ns/IO, lat avg=${
      fixed(r.latency.meanNs, 0)
    } ns, errors=${r.errors}`,
  );
  const t = makeTable(["CPU layer", "ns/IO", "share"]);
  const total = r.cpuNsPerIo || 1;
  const layers = Object.entries(r.cpuNsPerIoByLayer).filter(([, v]) => v !== 0);
  // Polling spin is CPU time but not work: the engine leaves it out of cpuNsPerIo.
  const sum = layers.reduce((a, [, v]) => a + v, 0);
  const spin = r.cpuNsPerIoByLayer.spin ?? 0;
  const spinApart = spin > 0 && Math.abs(sum - spin - r.cpuNsPerIo) < 1e-6 * Math.max(1, sum);
  for (const [k, v] of layers) {
    if (spinApart && k === "spin") continue;
    t.push([k, fixed(v, 1), `${fixed(v / total * 100, 1)}%`]);
  }
  t.push(["total", fixed(r.cpuNsPerIo, 1), "100.0%"]);
  if (spinApart) t.push(["spin (not in total)", fixed(spin, 1), ""]);
  lines.push(...t.toString().split("\n"));
  const iommu = Object.entries(r.iommu).map(([k, v]) => `${k}=${v}`).join(", ");
  if (iommu) lines.push(`IOMMU: ${iommu}`);
  // Only when a resource ran out: BLK_STS_RESOURCE requests kept and retried by blk-mq (docs/lsfmm.md §2).
  if (r.block.requeues > 0) {
    lines.push(
      `blk-mq: requeues=${r.block.requeues}, resource_delay_runs=${r.block.resourceDelayRuns}, ` +
        `restarts=${r.block.restarts} (no IOVA space or PRP pool block: kept and retried, not failed)`,
    );
  }
  // Only when a drive's media errors lack DNR: nvme retried the failed commands (nvme_retry_req).
  if (r.block.retries > 0) {
    lines.push(`nvme: retries=${r.block.retries} (media errors without DNR, issued again)`);
  }
  const dmabuf = Object.entries(r.dmabuf).map(([k, v]) => `${k}=${v}`).join(", ");
  if (dmabuf && r.job.buffers === "dmabuf") lines.push(`dma-buf: ${dmabuf}`);
  lines.push(...fmtSecurity(r));
  for (const d of r.devices) {
    lines.push(
      `Device ${d.name}: IOPS=${Math.round(d.iops)}, controller=${fixed(d.ctrlUtil * 100, 1)}%, link=${
        fixed(d.linkUtil * 100, 1)
      }%`,
    );
  }
  return lines;
}

/** Bytes with a binary unit (B, KiB, MiB, GiB, TiB), one decimal. */
function fmtBytes(b: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(b)} B` : `${fixed(b, 1)} ${units[i]}`;
}

/** A duration in ns with a readable unit. */
function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${fixed(ns / 1e6, 2)} ms`;
  if (ns >= 1e3) return `${fixed(ns / 1e3, 1)} µs`;
  return `${Math.round(ns)} ns`;
}

/**
 * The `security` section as text: what the devices could reach that they
 * should not (src/security.ts), one line per kind of exposure.
 */
export function fmtSecurity(r: RunResult): string[] {
  const s = r.security;
  if (s.allMemoryReachable) {
    return [
      `Security: iommu=passthrough: all ${fmtBytes(s.memoryBytes)} of memory reachable (no translation)`,
    ];
  }
  const lines = [
    `Security: iommu=${s.iommu}: reachable through the IOMMU ${fmtBytes(s.reachableBytesMean)} on average, ` +
    `at most ${fmtBytes(s.mappedBytesMax)} mapped at once`,
  ];
  const stale = (what: string, x: typeof s.staleAfterUnmap) => {
    if (x.unmaps === 0) return;
    lines.push(
      x.staleUnmaps === 0
        ? `  after ${what}: ${x.unmaps} unmaps, none left reachable (invalidated before the unmap returned)`
        : `  after ${what}: ${x.staleUnmaps} of ${x.unmaps} unmaps left reachable until the IOTLB flush ` +
          `(${fmtBytes(x.staleBytes)}, ${x.staleIotlbEntries} IOTLB entries cached), window max ${
            fmtNs(x.windowNsMax)
          }, mean ${fmtNs(x.windowNsMean)}${x.openAtEnd ? `, ${x.openAtEnd} still open at the end` : ""}`,
    );
  };
  stale("unmap", s.staleAfterUnmap);
  stale("move_notify", s.staleAfterMoveNotify);
  if (s.subPage.maps > 0) {
    lines.push(
      `  sub-page: ${
        fmtBytes(s.subPage.bytesBeyondIo)
      } beyond the I/Os' own bytes in ${s.subPage.maps} mappings, ` +
        `mapped ${fmtNs(s.subPage.meanWindowNs)} on average`,
    );
  }
  if (s.shadow.bounces > 0) {
    lines.push(
      `  shadow buffers (untrusted device): ${s.shadow.bounces} requests bounced, ${
        fmtBytes(s.shadow.copiedBytes)
      } copied, ${fmtBytes(s.shadow.paddingBytes)} of padding zeroed instead of exposed`,
    );
  }
  if (s.dmabufMaps.bytesMax > 0) {
    lines.push(`  dma-buf maps: ${fmtBytes(s.dmabufMaps.bytesMax)} mapped whole for the registration's life`);
  }
  if (s.p2pUntranslatedBytes > 0) {
    lines.push(
      `  peer-to-peer: ${fmtBytes(s.p2pUntranslatedBytes)} of GPU memory behind a switch, untranslated`,
    );
  }
  return lines;
}

/** The simulator's own speed (wall clock) — only with --timing. */
export function fmtTiming(r: RunResult): string {
  return `dmasim speed: ${fixed(r.wallS, 3)} s wall, ${
    Math.round(r.simIosPerWallS)
  } simulated I/Os per wall second, simulated/wall time ${fixed(r.realTimeRatio, 4)}`;
}

/** RunResult as JSON, without wall-clock fields unless `timing` (so output is deterministic). */
export function resultJson(r: RunResult, timing: boolean): Record<string, unknown> {
  const { wallS, simIosPerWallS, realTimeRatio, trace: _trace, ...rest } = r;
  return timing ? { ...rest, timing: { wallS, simIosPerWallS, realTimeRatio } } : rest;
}

/**
 * The `uring` command.
 *
 * @example
 * ```ts
 * import { uringCommand } from "./uring.ts";
 * await uringCommand().parseAsync(["-d", "32", "-b", "512", "--ios", "2000", "nvme0n1"], { from: "user" });
 * ```
 */
export function uringCommand(io: Io = STDIO): Command {
  const cmd = new Command("uring")
    .summary("t/io_uring on the simulated machine")
    .description(
      "Run fio's t/io_uring workload on the simulated machine: each thread on its own core with its own ring, " +
        "keeping -d I/Os in flight, submitting -s and reaping -c at a time. Prints what t/io_uring prints for " +
        "each simulated second, then dmasim's summary. Devices are profile drive names (nvme0n1 or " +
        "/dev/nvme0n1); default: the profile's first drive.",
    )
    .argument("[device...]", "drives to use (profile device names)");
  addUringOptions(cmd);
  cmd
    .option("--json", "print the full result as JSON instead of the text report")
    .option("--timing", "also print the simulator's own speed (wall clock; not deterministic)")
    .addHelpText(
      "after",
      `
Examples:
  dmasim uring -b 512 --iommu strict /dev/nvme0n1             the cover letter's strict-mode run
  dmasim uring -b 512 --iommu strict --buffers dmabuf nvme0n1  the same with a dma-buf
  dmasim uring -d 32 -n 2 -r 2 --profile pcie5-nand           2 threads, 2 simulated seconds
  dmasim uring -t 1 --ios 100000 --json                        latency percentiles, JSON out
  dmasim uring --profile my-machine.json -B 0                 plain buffers on a custom profile`,
    );
  setupCommand(cmd);
  cmd.action((devices, opts) => runUringCommand(io, devices, opts as unknown as UringCommandFlags));
  return cmd as unknown as Command;
}

/** The `uring` command's flags: t/io_uring's, and how to print. */
type UringCommandFlags = UringFlags & { json?: boolean; timing?: boolean };

/** Run `dmasim uring`: t/io_uring's lines each simulated second as they come, then the report. */
function runUringCommand(io: Io, devices: string[], f: UringCommandFlags): void {
  const { job, loaded } = buildUringJob(f, devices);
  const iommu = job.iommu ?? loaded.profile.iommu.mode;
  const bar = makeProgress("uring", f.quiet);
  const text = !f.json;
  let maxIops = 0;
  // The header goes out with the first output, so a job the engine refuses
  // (exit 2) prints nothing on stdout.
  let headerDone = false;
  const header = () => {
    if (text && !headerDone) io.out(fmtHeader(job, loaded.profile.name, iommu).join("\n") + "\n");
    headerDone = true;
  };
  job.onProgress = (x) => bar.update(x);
  job.onSample = (s) => {
    maxIops = Math.max(maxIops, Math.floor(s.iops));
    if (!text) return;
    header();
    bar.clearLine();
    io.out(fmtSampleLine(s, job.bs!, job.noop!) + "\n" + fmtCpuLine(s.cpuUtil, job.threads!) + "\n");
  };
  let r: RunResult;
  try {
    r = runJob(job);
  } finally {
    bar.stop();
  }
  if (f.json) {
    io.out(toJson(resultJson(r, !!f.timing)));
  } else {
    header();
    printTextEnd(io, r, job, f, maxIops);
  }
  if (r.errors > 0) throw new RunFailure(`${r.errors} of ${r.ios + r.errors} I/Os failed`);
}

/** The end of the text report: a line for a run shorter than a second, t/io_uring's last lines, the summary. */
function printTextEnd(io: Io, r: RunResult, job: UringJob, f: UringCommandFlags, maxIopsSeen: number): void {
  let maxIops = maxIopsSeen;
  if (r.samples.length === 0) {
    // Shorter than a second: one line for the whole (partial) interval.
    maxIops = Math.floor(r.iops);
    io.out(
      fmtSampleLine(
        {
          tNs: r.simNs,
          iops: r.iops,
          bwBytesPerS: r.bwBytesPerS,
          cpuUtil: r.cpuUtil,
          callsPerS: r.calls / (r.simNs / 1e9),
          iosPerCall: r.ios / Math.max(1, r.calls),
          submittedPerCall: r.ios / Math.max(1, r.calls),
        },
        job.bs!,
        job.noop!,
      ) + "\n" + fmtCpuLine(r.cpuUtil, job.threads!) + "\n",
    );
  }
  // Failed I/Os count toward --ios: the run stops once that many have completed either way.
  const reason = job.ios !== undefined && r.ios + r.errors >= job.ios ? "I/O count" : "timeout";
  // t/io_uring's order: do_finish() prints the reason and Maximum IOPS; then, per thread,
  // "<tid>: N IO errors" and (-t 1) the latency percentiles.
  io.out(`Exiting on ${reason}\n`);
  io.out(`Maximum IOPS=${fmtIopsTio(maxIops)}\n`);
  if (r.errors > 0) io.out(`0: ${r.errors} IO errors\n`);
  if (f.trackLatency) io.out(fmtLatencyPercentiles(r).join("\n") + "\n");
  io.out(fmtSummary(r).join("\n") + "\n");
  if (f.timing) io.out(fmtTiming(r) + "\n");
}
