/**
 * Helpers shared by the `dmasim` subcommands: parsing numbers with fio's
 * units, usage errors that become one line and exit code 2, commander set-up,
 * profile loading (a built-in NAME or a JSON FILE), device names, fio-style
 * number formatting, tables and the progress bar.
 *
 * @module
 */
import { type Command, CommanderError } from "@commander-js/extra-typings";
import cliProgress from "cli-progress";
import Table from "cli-table3";
import process from "node:process";
import { type Profile, ProfileError, PROFILES, resolveProfile } from "./engine.ts";

/** Exit code of a successful run. */
export const EXIT_OK = 0;
/** Exit code of a run that failed (the engine threw, or I/Os failed). */
export const EXIT_FAILED = 1;
/** Exit code of bad usage or bad input (flag, value, job file, profile). */
export const EXIT_USAGE = 2;

/**
 * Bad usage or input: printed as one line `dmasim <command>: <message>`, exit 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./common.ts";
 * throw new UsageError('option -d: expected an integer 1..32768, got "x"');
 * ```
 */
export class UsageError extends Error {
  /** Create the error; `message` names the flag, field or line and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A run that failed (I/O errors, or the engine refused the job): one line, exit 1. */
export class RunFailure extends Error {
  /** Create the error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "RunFailure";
  }
}

/** A value that does not parse; the message says what was expected (`expected …, got "…"`). */
export class ValueError extends Error {
  /** Create the error with the expectation and the offending text. */
  constructor(expected: string, got: string) {
    super(`expected ${expected}, got ${JSON.stringify(got)}`);
    this.name = "ValueError";
  }
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?)(b?)$/i;
const SIZE_POW: Record<string, number> = { "": 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

/**
 * Parse a size with an optional unit suffix, as fio does: `4k` = 4096,
 * `1m` = 1 MiB, `1g`, `1t`, `512`, `4KB`. `kbBase` is fio's `kb_base`: with
 * 1024 (fio's default) `k`/`KB` are powers of 2 and the IEC forms (`KiB`) are
 * powers of 10 — fio's compatibility rule; with 1000 it is the other way
 * round. Outside fio job files dmasim passes `kbBase` 0: every prefix is a
 * power of 2. Returns null if the text is not a size or not a whole number
 * of bytes.
 *
 * @example
 * ```ts
 * import { parseSize } from "./common.ts";
 * parseSize("4k"); // 4096
 * parseSize("1m"); // 1048576
 * parseSize("4KiB", 1024); // 4000 (fio's kb_base=1024 rule)
 * ```
 */
export function parseSize(text: string, kbBase: 0 | 1000 | 1024 = 0): number | null {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return null;
  const [, num, prefix, iec] = m;
  const pow = SIZE_POW[prefix.toLowerCase()];
  if (iec && !prefix) return null;
  let base = 1024;
  if (kbBase === 1024 && iec) base = 1000;
  if (kbBase === 1000 && !iec) base = 1000;
  const v = Number(num) * base ** pow;
  return Number.isSafeInteger(v) ? v : null;
}

const TIME_RE = /^(\d+(?:\.\d+)?)\s*(ns|us|usec|ms|msec|s|sec|m|min|h|d)?$/i;
const TIME_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  usec: 1e3,
  ms: 1e6,
  msec: 1e6,
  s: 1e9,
  sec: 1e9,
  m: 60e9,
  min: 60e9,
  h: 3600e9,
  d: 86400e9,
};

/**
 * Parse a duration as fio does (`runtime=30`, `10s`, `500ms`, `2m`, `1h`);
 * a bare number is in `defaultUnit` (seconds for fio's runtime). Returns ns,
 * or null if it does not parse.
 *
 * @example
 * ```ts
 * import { parseDurationNs } from "./common.ts";
 * parseDurationNs("2"); // 2e9
 * parseDurationNs("250ms"); // 2.5e8
 * ```
 */
export function parseDurationNs(text: string, defaultUnit = "s"): number | null {
  const m = TIME_RE.exec(text.trim());
  if (!m) return null;
  const ns = Number(m[1]) * TIME_NS[(m[2] ?? defaultUnit).toLowerCase()];
  return Number.isFinite(ns) ? Math.round(ns) : null;
}

/**
 * Parse an integer in [min, max], with size units if `units` is set.
 * Throws {@link ValueError} saying what was expected.
 */
export function parseIntIn(
  text: string,
  min: number,
  max: number,
  units: 0 | 1000 | 1024 | false = false,
): number {
  const t = text.trim();
  const v = units === false ? (/^-?\d+$/.test(t) ? Number(t) : null) : parseSize(t, units);
  const what = units === false ? "an integer" : "a size (e.g. 512, 4k, 1m) in";
  if (v === null || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new ValueError(`${what} ${fmtRange(min, max)}`, text);
  }
  return v;
}

function fmtRange(min: number, max: number): string {
  return `${min}..${max}`;
}

/** Parse 0/1 (also true/false, yes/no, on/off); throws {@link ValueError}. */
export function parseBool(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(t)) return true;
  if (["0", "false", "no", "off"].includes(t)) return false;
  throw new ValueError("0 or 1", text);
}

/** Parse one of `values`; throws {@link ValueError}. */
export function parseEnum<T extends string>(text: string, values: readonly T[]): T {
  if ((values as readonly string[]).includes(text)) return text as T;
  throw new ValueError(`one of ${values.join("|")}`, text);
}

/** Wrap a parser into a commander argParser that throws a {@link UsageError} naming `flag`. */
export function argOf<T>(flag: string, parse: (text: string) => T): (text: string) => T {
  return (text: string) => {
    try {
      return parse(text);
    } catch (e) {
      if (e instanceof ValueError) throw new UsageError(`option ${flag}: ${e.message}`);
      throw e;
    }
  };
}

/** commander argParser: an integer in [min, max] (with size units if `units`). */
export function intArg(flag: string, min: number, max: number, units = false): (text: string) => number {
  return argOf(flag, (t) => parseIntIn(t, min, max, units ? 0 : false));
}

/** commander argParser: a 0/1 flag value. */
export function boolArg(flag: string): (text: string) => boolean {
  return argOf(flag, parseBool);
}

/** commander argParser: one of `values`. */
export function enumArg<T extends string>(flag: string, values: readonly T[]): (text: string) => T {
  return argOf(flag, (t) => parseEnum(t, values));
}

/**
 * Make a (sub)command report errors our way: no output of its own, no
 * process.exit; {@link runCli} turns the thrown CommanderError into one line
 * and exit code 2.
 */
export function setupCommand<C extends Command<never[] | unknown[], Record<string, unknown>>>(cmd: C): C {
  cmd.exitOverride();
  cmd.configureOutput({ outputError: () => {} });
  cmd.showSuggestionAfterError(true);
  cmd.helpOption("-h, --help", "show this help");
  return cmd;
}

/** The streams a command writes to (tests and the CLI use real stdout/stderr). */
export interface Io {
  /** Write normal output. */
  out: (text: string) => void;
  /** Write diagnostics. */
  err: (text: string) => void;
}

const enc = new TextEncoder();

/**
 * The reader of stdout went away (`dmasim … | head -2`): the run stops and the
 * process exits 0 without a word, as a command killed by SIGPIPE would end
 * quietly (Deno ignores SIGPIPE, so the write fails with EPIPE instead).
 */
export class StdoutClosed extends Error {
  /** Create the error (it is never printed). */
  constructor() {
    super("stdout closed");
    this.name = "StdoutClosed";
  }
}

/** Set once a write to stdout found the pipe closed; {@link runCli} then exits quietly. */
let stdoutClosed = false;

/** The process's stdout and stderr, written synchronously. */
export const STDIO: Io = {
  out: (t) => {
    if (stdoutClosed) throw new StdoutClosed();
    try {
      writeAll(Deno.stdout, enc.encode(t));
    } catch (e) {
      if (e instanceof Deno.errors.BrokenPipe) {
        stdoutClosed = true;
        throw new StdoutClosed();
      }
      throw e;
    }
  },
  err: (t) => {
    try {
      writeAll(Deno.stderr, enc.encode(t));
    } catch (e) {
      // Nobody reads stderr any more: nothing can be said, and saying it must not fail the run.
      if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    }
  },
};

function writeAll(w: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += w.writeSync(data.subarray(off));
}

/**
 * Run `fn` and map what it throws to an exit code with one line on stderr:
 * commander usage errors, {@link UsageError} and {@link ProfileError} exit 2,
 * {@link RunFailure} and any other error exit 1 — never a stack trace (set
 * DMASIM_DEBUG=1 to get one).
 */
export async function runCli(
  prefix: () => string,
  fn: () => Promise<number>,
  io: Io = STDIO,
): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    // Checked by flag, not by class: a closed pipe may surface wrapped in another error.
    if (stdoutClosed || e instanceof StdoutClosed || e instanceof Deno.errors.BrokenPipe) return EXIT_OK;
    const denied = permissionMessage(e);
    if (denied !== null) {
      io.err(`${prefix()}: ${denied}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return EXIT_OK;
      if (e.code === "commander.help") return EXIT_USAGE; // help written to stderr on missing subcommand
      const msg = e.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ");
      io.err(`${prefix()}: ${msg}\n`);
      return EXIT_USAGE;
    }
    if (envGranted("DMASIM_DEBUG") && Deno.env.get("DMASIM_DEBUG")) console.error(e);
    if (e instanceof UsageError) {
      io.err(`${prefix()}: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof ProfileError) {
      io.err(`${prefix()}: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof RunFailure) {
      io.err(`${prefix()}: ${oneLine(e.message)}\n`);
      return EXIT_FAILED;
    }
    const msg = e instanceof Error ? `${e.name === "Error" ? "" : e.name + ": "}${e.message}` : String(e);
    io.err(`${prefix()}: run failed: ${oneLine(msg)}\n`);
    return EXIT_FAILED;
  }
}

/** Whether `name` may be read without Deno prompting or refusing (querying never prompts). */
export function envGranted(name: string): boolean {
  return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
}

/**
 * dmasim's own one line for a permission Deno refused (Deno.errors.NotCapable
 * when prompting is off, PermissionDenied from the OS), or null for any other
 * error. Deno's text ("Requires write access to …, run again with the
 * --allow-write flag") is not shown as such: the user did not run Deno, they
 * ran dmasim.
 */
export function permissionMessage(e: unknown): string | null {
  if (!(e instanceof Deno.errors.NotCapable) && !(e instanceof Deno.errors.PermissionDenied)) return null;
  const m = /Requires (\w+) access to ([^,]+?),.*?(--allow-\w+)/.exec(e.message);
  if (m) return `no ${m[1]} access to ${m[2]}: dmasim was started without ${m[3]}`;
  if (e instanceof Deno.errors.PermissionDenied) return `permission denied: ${oneLine(e.message)}`;
  return "no permission: dmasim needs --allow-read, --allow-write and --allow-env";
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

/** A machine profile as the CLI loaded it: what to pass to the engine and the validated profile. */
export interface LoadedProfile {
  /** What to put in `UringJob.profile` (a built-in name or the JSON object). */
  spec: string | Record<string, unknown>;
  /** The profile, validated. */
  profile: Profile;
}

/**
 * Load a profile from a built-in NAME or a JSON FILE (full, or partial with
 * `"base": "<name>"`). Any problem is a {@link UsageError} naming `where`
 * (e.g. `option --profile`) and the field.
 *
 * @example
 * ```ts
 * import { loadProfile } from "./common.ts";
 * const { profile } = loadProfile("optane-p5800x", "option --profile");
 * console.log(profile.devices[0].name); // "nvme0n1"
 * ```
 */
export function loadProfile(nameOrFile: string | undefined, where: string): LoadedProfile {
  const name = nameOrFile ?? "optane-p5800x";
  if (PROFILES[name]) return { spec: name, profile: resolveProfile(name) };
  let text: string;
  try {
    text = Deno.readTextFileSync(name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory) {
      throw new UsageError(
        `${where}: ${JSON.stringify(name)} is neither a built-in profile (${
          Object.keys(PROFILES).join(", ")
        }) nor a readable JSON file`,
      );
    }
    throw new UsageError(`${where}: cannot read ${name}: ${e instanceof Error ? e.message : e}`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${where}: ${name}: invalid JSON: ${e instanceof Error ? e.message : e}`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new UsageError(`${where}: ${name}: expected a JSON object`);
  }
  try {
    const profile = resolveProfile(obj as Record<string, unknown>);
    return { spec: obj as Record<string, unknown>, profile };
  } catch (e) {
    if (e instanceof ProfileError) throw new UsageError(`${where}: ${name}: ${e.message}`);
    throw e;
  }
}

/**
 * Map device arguments (`nvme0n1` or `/dev/nvme0n1`, or a stacked device of the profile: `md0`) to
 * block device names. Empty means the profile's first drive. Unknown names are a {@link UsageError}.
 */
export function resolveDevices(args: readonly string[], profile: Profile, where: string): string[] {
  if (args.length === 0) return [profile.devices[0].name];
  const names = [...profile.devices.map((d) => d.name), ...(profile.stacked ?? []).map((s) => s.name)];
  const out: string[] = [];
  for (const a of args) {
    const n = a.replace(/^\/dev\//, "");
    if (!names.includes(n)) {
      throw new UsageError(
        `${where} ${
          JSON.stringify(a)
        }: no such block device in profile ${profile.name} (drives and stacked devices: ${names.join(", ")})`,
      );
    }
    if (out.includes(n)) throw new UsageError(`${where} ${JSON.stringify(a)}: given twice`);
    out.push(n);
  }
  return out;
}

/**
 * fio's num2str: at most `maxlen` significant digits with a unit prefix,
 * as in `IOPS=14.0k`, `IOPS=5010k`, `BW=54.6MiB/s`.
 *
 * @example
 * ```ts
 * import { num2str } from "./common.ts";
 * num2str(14000); // "14.0k"
 * num2str(5_010_000); // "5010k"
 * num2str(57_200_000, 1024, "B"); // "54.6MiB"
 * ```
 */
export function num2str(n: number, base: 1000 | 1024 = 1000, unit = "", maxlen = 4): string {
  const prefixes = base === 1000 ? ["", "k", "M", "G", "T", "P"] : ["", "Ki", "Mi", "Gi", "Ti", "Pi"];
  let v = n;
  let i = 0;
  if (Number.isInteger(v) && String(v).length <= maxlen) return `${v}${unit}`;
  while (Math.round(v) >= 10 ** maxlen && i < prefixes.length - 1) {
    v /= base;
    i++;
  }
  const digits = String(Math.floor(v)).length;
  const decimals = Math.max(0, maxlen - digits - 1);
  let s = v.toFixed(decimals);
  if (s.replace(".", "").replace(/^0+/, "").length > maxlen && decimals > 0) s = v.toFixed(decimals - 1);
  return `${s}${prefixes[i]}${unit}`;
}

/** t/io_uring's IOPS format: `5.01M`, `566.12K`, or the integer. */
export function fmtIopsTio(iops: number): string {
  const n = Math.floor(iops);
  if (n > 1_000_000) return `${(n / 1e6).toFixed(2)}M`;
  if (n > 100_000) return `${(n / 1e3).toFixed(2)}K`;
  return String(n);
}

/** t/io_uring's bandwidth format: MiB/s as an integer, or `x.xxGiB/s` above 2000 MiB/s. */
export function fmtBwTio(bytesPerS: number, bs: number): string {
  const iops = Math.floor(bytesPerS / bs);
  const bw = bs > 1048576 ? iops * Math.floor(bs / 1048576) : Math.floor(iops / (1048576 / bs));
  return bw > 2000 ? `${(bw / 1000).toFixed(2)}GiB/s` : `${bw}MiB/s`;
}

/** A table without colours (deterministic bytes on any stream). */
export function makeTable(head: string[], alignRight = true): Table.Table {
  return new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => (i === 0 || !alignRight ? "left" : "right")),
  });
}

/** A progress bar on stderr, or nothing at all (not a terminal, or quiet). */
export interface Progress {
  /** Set progress, 0..1, with an optional note shown after the bar (e.g. `3/12 points, 2 workers`). */
  update(fraction: number, detail?: string): void;
  /** Clear the bar's line before writing a line of normal output. */
  clearLine(): void;
  /** Remove the bar. */
  stop(): void;
}

/**
 * A cli-progress bar on stderr when stderr is a terminal and not `quiet`;
 * otherwise a no-op (nothing at all is written).
 */
export function makeProgress(label: string, quiet: boolean | undefined): Progress {
  const tty = (() => {
    try {
      return Deno.stderr.isTerminal();
    } catch {
      return false;
    }
  })();
  if (quiet || !tty) return { update() {}, clearLine() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | eta {eta_formatted}{detail}`,
      hideCursor: true,
      clearOnComplete: true,
      synchronousUpdate: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0, { detail: "" });
  let active = true;
  return {
    update(f, detail) {
      const value = Math.max(0, Math.min(1000, Math.round(f * 1000)));
      if (active) bar.update(value, { detail: detail ? ` | ${detail}` : "" });
    },
    clearLine() {
      if (active) process.stderr.write("\r\x1b[K");
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}

/** Format a number with a fixed count of decimals, without `-0`. */
export function fixed(n: number, decimals: number): string {
  const s = n.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/**
 * Write `data` to `path`. A path that cannot be opened (no such directory, no
 * permission) is bad input, a {@link UsageError} (exit 2); any other failure
 * a {@link RunFailure} (exit 1). Both are one line.
 */
export function writeOutputFile(path: string, data: string): void {
  try {
    Deno.writeTextFileSync(path, data);
  } catch (e) {
    const msg = `cannot write ${path}: ${e instanceof Error ? e.message : e}`;
    if (e instanceof Deno.errors.NotCapable) throw new UsageError(permissionMessage(e)!);
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(msg);
    }
    throw new RunFailure(msg);
  }
}

/** Output paths that mean a standard stream, as fio and most tools read them. */
const STDOUT_PATHS = new Set(["-", "/dev/stdout"]);

/**
 * Fail early (exit 2) when `path` cannot be written because its folder does
 * not exist or is not a folder: checked before simulating anything, so a long
 * run is not lost to a typo in the output path. `-`, `/dev/stdout` and
 * `/dev/stderr` are the streams and always pass.
 */
export function checkOutputPath(path: string): void {
  if (STDOUT_PATHS.has(path) || path === "/dev/stderr") return;
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  try {
    if (!Deno.statSync(dir).isDirectory) throw new UsageError(`cannot write ${path}: ${dir} is not a folder`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof Deno.errors.NotCapable) throw new UsageError(permissionMessage(e)!);
    throw new UsageError(`cannot write ${path}: ${e instanceof Error ? e.message : e}`);
  }
}

/** Whether `path` names stdout (`-`, `/dev/stdout`) or stderr (`/dev/stderr`) rather than a file. */
export function streamOf(path: string): "out" | "err" | null {
  return STDOUT_PATHS.has(path) ? "out" : path === "/dev/stderr" ? "err" : null;
}

/** Write `text` to `path`: stdout for `-` and `/dev/stdout`, stderr for `/dev/stderr`, else the file. */
export function writeOrStream(path: string, text: string, io: Io): void {
  const s = streamOf(path);
  if (s === "out") io.out(text);
  else if (s === "err") io.err(text);
  else writeOutputFile(path, text);
}

/**
 * Under `deno task dmasim` the process starts in deno.json's folder (`root`),
 * not where the user stands; deno task (like npm) puts the user's folder in
 * INIT_CWD. Changing to it makes every relative path — job files, profiles,
 * outputs — mean what the user meant. Nothing in dmasim depends on the start
 * folder (modules, the Wasm and workers are found by URL). Only a process that
 * starts in `root` moves: INIT_CWD is inherited by every child of an npm or
 * deno task process, so elsewhere (`deno run cli/dmasim.ts` from any folder) it
 * may be stale and the start folder is the user's. Reading INIT_CWD needs env
 * access; without it, or when unset, nothing changes.
 */
export function enterUserCwd(root: string): void {
  if (!envGranted("INIT_CWD")) return;
  const dir = Deno.env.get("INIT_CWD");
  if (!dir) return;
  try {
    if (Deno.realPathSync(Deno.cwd()) !== Deno.realPathSync(root)) return;
    Deno.chdir(dir);
  } catch {
    // The folder went away or is unreadable: relative paths then resolve against
    // deno.json's folder, as before, and any failure shows on the path itself.
  }
}
