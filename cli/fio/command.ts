/**
 * The `dmasim fio` command: job files (or `-` for stdin) and job options on
 * the command line, fio's output formats (normal, json, json+, terse, and
 * comma-separated combinations), `--output`, and fio's log files.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import {
  fixed,
  intArg,
  type Io,
  loadProfile,
  makeProgress,
  RunFailure,
  setupCommand,
  STDIO,
  UsageError,
} from "../common.ts";
import { type FioFile, parseArgOptions, parseJobFile } from "./parse.ts";
import { jobsFromFiles } from "./job.ts";
import { planRuns, runAll } from "./run.ts";
import { fioJson } from "./json.ts";
import { fioHeader, fioNormal } from "./text.ts";
import { fioTerse } from "./terse.ts";
import { checkLogOptions, fioLogs } from "./logs.ts";
import { checkOutputPath, writeOrStdout } from "./output.ts";
import { ioErrorLines, threadErrorLines, verifyLines } from "./errors.ts";

const FORMATS = ["normal", "json", "json+", "terse"] as const;
type Format = (typeof FORMATS)[number];

function parseFormats(text: string): Format[] {
  const fs = text.split(",").map((s) => s.trim());
  for (const f of fs) {
    if (!(FORMATS as readonly string[]).includes(f)) {
      throw new UsageError(
        `option --output-format: expected one of ${FORMATS.join("|")} (comma-separated), got ${
          JSON.stringify(f)
        }`,
      );
    }
  }
  return fs as Format[];
}

async function readJobFiles(files: string[]): Promise<FioFile[]> {
  const out: FioFile[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = f === "-" ? await new Response(Deno.stdin.readable).text() : await Deno.readTextFile(f);
    } catch (e) {
      throw new UsageError(`${f}: cannot read job file: ${e instanceof Error ? e.message : e}`);
    }
    out.push({ file: f, sections: parseJobFile(text, f) });
  }
  return out;
}

/** Split fio-style `--key=value` job options from job file names. */
function splitArgs(args: string[]): { files: string[]; options: string[] } {
  return { files: args.filter((a) => !a.startsWith("--")), options: args.filter((a) => a.startsWith("--")) };
}

const HELP = `
Job options may also be given as fio takes them: dmasim fio --name=j --rw=randread --bs=4k --iodepth=32 \\
  --filename=/dev/nvme0n1 --size=1g  (options before the first --name are global).
Options dmasim cannot model are refused with "not modelled" and the option's name; see docs/fio.md.

Examples:
  dmasim fio job.fio
  dmasim fio --output-format=json job.fio | jq '.jobs[] | {jobname, iops: .read.iops}'
  dmasim fio --profile pcie5-nand --output-format=normal,json a.fio b.fio
  cat job.fio | dmasim fio -`;

/**
 * The `fio` command.
 *
 * @example
 * ```ts
 * import { fioCommand } from "./command.ts";
 * await fioCommand().parseAsync(["--output-format=json", "job.fio"], { from: "user" });
 * ```
 */
export function fioCommand(io: Io = STDIO): Command {
  const cmd = new Command("fio")
    .summary("fio job files on the simulated machine, with fio 3.33's output")
    .description(
      "Run fio job files (and fio job options) on the simulated machine; output as fio 3.33 prints it.",
    )
    .argument("[jobfile...]", "fio job files (- for stdin), and --option=value job options")
    .allowUnknownOption(true)
    .option("--output-format <fmt>", "normal|json|json+|terse, or a comma-separated list", "normal")
    .option("--output <file>", "write the report to a file instead of stdout")
    .option(
      "--profile <name|file>",
      "machine profile for jobs without dmasim_profile= (default optane-p5800x)",
    )
    .option("--timing", "add the simulator's own speed (wall clock; not deterministic)")
    .option(
      "-j, --jobs <n>",
      "dmasim's: run stonewall-separated runs on up to N workers (the same output)",
      intArg("--jobs", 1, 1024),
      1,
    )
    .option("-q, --quiet", "no progress bar")
    .addHelpText("after", HELP);
  setupCommand(cmd);
  cmd.action(async (args, opts) => {
    const formats = parseFormats(opts.outputFormat);
    const { files, options } = splitArgs(args);
    const parsed = await readJobFiles(files);
    const fromArgs = parseArgOptions(options);
    if (fromArgs) parsed.push(fromArgs);
    if (parsed.length === 0) {
      throw new UsageError("missing required argument 'jobfile' (or --name=JOB options)");
    }
    const { jobs, globals } = jobsFromFiles(parsed);
    jobs.forEach(checkLogOptions);
    if (opts.profile) loadProfile(opts.profile, "option --profile");
    const plans = planRuns(jobs, opts.profile);
    if (opts.output) checkOutputPath(opts.output);
    const bar = makeProgress("fio", opts.quiet);
    let runs;
    try {
      runs = await runAll(plans, bar, opts.jobs);
    } finally {
      bar.stop();
    }
    // What the model approximates, once the run went through (an error stays one line).
    for (const n of new Set(plans.flatMap((p) => p.machine.notes))) io.err(`dmasim fio: note: ${n}\n`);
    // fio logs each fatal I/O error on stderr as it happens (io_u_log_error).
    for (const l of [...verifyLines(runs), ...ioErrorLines(runs)]) io.err(l + "\n");
    // … and a line per thread that ended with an error on stdout, before the report (thread_main's log_info).
    const ended = threadErrorLines(runs).map((l) => l + "\n").join("");
    const chunks = formats.map((f) => {
      if (f === "json" || f === "json+") return fioJson(runs, globals, f === "json+", !!opts.timing);
      if (f === "terse") return fioTerse(runs);
      return fioHeader(plans.flatMap((p) => p.groups)) + ended + "\n" + fioNormal(runs) +
        timingLines(runs, !!opts.timing);
    });
    writeOrStdout(opts.output, (formats.includes("normal") ? "" : ended) + chunks.join(""), io);
    for (const l of fioLogs(runs)) writeOrStdout(l.path, l.text, io);
    // fio exits 1 when a thread ended with an error (td->error); errors continued past do not count.
    const failed = runs.flatMap((r) => r.entries).find((e) => e.fatal);
    if (failed) throw new RunFailure(failed.errorText);
  });
  return cmd as unknown as Command;
}

function timingLines(runs: { result: { wallS: number; simIosPerWallS: number } }[], on: boolean): string {
  if (!on) return "";
  return runs.map((r, i) =>
    `dmasim speed: run ${i}: ${fixed(r.result.wallS, 3)} s wall, ${
      Math.round(r.result.simIosPerWallS)
    } simulated I/Os per wall second\n`
  ).join("");
}
