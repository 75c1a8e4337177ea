/**
 * The `dmasim` command: t/io_uring and fio workloads, the published
 * comparison, parameter sweeps and Perfetto traces on the simulated machine.
 *
 * Exit codes: 0 success, 1 failed run, 2 bad usage or input (one line on
 * stderr naming the flag, field or line).
 *
 * @example
 * ```ts
 * import { main } from "./dmasim.ts";
 * const code = await main(["uring", "-b", "512", "--iommu", "strict", "--ios", "2000"]);
 * console.log(code); // 0
 * ```
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { benchCommand } from "./bench.ts";
import { enterUserCwd, EXIT_OK, type Io, runCli, setupCommand, STDIO, UsageError } from "./common.ts";
export type { Io } from "./common.ts";
import { fioCommand } from "./fio.ts";
import { sweepCommand } from "./sweep.ts";
import { traceCommand } from "./trace.ts";
import { uringCommand } from "./uring.ts";
import { VERSION } from "./version.ts";

/** Build the top-level command with its subcommands. */
export function buildProgram(io: Io = STDIO): Command {
  const program = new Command("dmasim")
    .description(
      "dmasim simulates dmabuf-backed io_uring read/write for Linux: NVMe, IOMMU and io_uring on a " +
        "simulated machine, deterministic to the byte for the same inputs and seed.",
    )
    .version(VERSION, "-V, --version", "print the version")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText(
      "after",
      `
Examples:
  dmasim uring -b 512 --iommu strict --buffers dmabuf /dev/nvme0n1
  dmasim fio job.fio --output-format=json
  dmasim bench
  dmasim sweep --param depth=1,16,128 --param iommu=strict,lazy --metric iops --x depth --out results
  dmasim trace --ios 200 -o trace.json

Exit codes: 0 ok, 1 failed run, 2 bad usage or input.`,
    );
  setupCommand(program);
  // Options after a subcommand are its own (`dmasim sweep merge … --out X` is merge's --out, not sweep's);
  // commander needs this on every level above the nested command.
  program.enablePositionalOptions();
  program.action(() => {
    throw new UsageError("missing command: uring, fio, bench, sweep or trace (see dmasim --help)");
  });
  for (
    const sub of [uringCommand(io), fioCommand(io), benchCommand(io), sweepCommand(io), traceCommand(io)]
  ) {
    sub.configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: () => {} });
    program.addCommand(sub);
  }
  return program;
}

/**
 * Run dmasim with `args` (without the program name) and return the exit code.
 *
 * @example
 * ```ts
 * import { main } from "./dmasim.ts";
 * Deno.exit(await main(Deno.args));
 * ```
 */
export async function main(args: string[], io: Io = STDIO): Promise<number> {
  // `dmasim help [command]` is `dmasim [command] --help`.
  if (args[0] === "help") args = args.length > 1 ? [args[1], "--help"] : ["--help"];
  const known = ["uring", "fio", "bench", "sweep", "trace"];
  const sub = args.find((a) => !a.startsWith("-"));
  // `dmasim sweep merge` has its own name in messages.
  const merge = sub === "sweep" && args[args.indexOf(sub) + 1] === "merge";
  const prefix = () => (sub && known.includes(sub) ? `dmasim ${sub}${merge ? " merge" : ""}` : "dmasim");
  return await runCli(prefix, async () => {
    if (sub !== undefined && !known.includes(sub) && sub !== "help") {
      throw new UsageError(`unknown command ${JSON.stringify(sub)} (commands: ${known.join(", ")})`);
    }
    await buildProgram(io).parseAsync(args, { from: "user" });
    return EXIT_OK;
  }, io);
}

if (import.meta.main) {
  enterUserCwd(new URL("../", import.meta.url).pathname); // deno.json's folder, where deno task starts
  Deno.exit(await main(Deno.args));
}
