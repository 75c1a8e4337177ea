/**
 * Run program batches on both sides and compare: the glue the conformance
 * tests and the command-line entry (tests/conformance/main.ts) share.
 *
 * @module
 */
import {
  compareProgram,
  KNOWN_DIFFERENCES,
  type KnownDifference,
  sqeFields,
  type Tally,
  tally,
  timingDependentDeviceWrites,
  type Verdict,
} from "./compare.ts";
import { cqeCount, type DmasimDevice, runDmasim } from "./dmasim_exec.ts";
import { runPrograms } from "./kernel.ts";
import type { Program } from "./program.ts";

/** Options of {@link compareBatch}. */
export interface BatchOptions {
  /** Block device path for the kernel, and the matching dmasim device. */
  device?: { path: string; model: DmasimDevice };
  /** Known differences that may explain a disagreement (default: all). */
  known?: readonly KnownDifference[];
}

/**
 * Run `programs` on dmasim, then twice on the kernel (io-wq ordering varies;
 * either run may match), and compare. The kernel's programs end with
 * `Z n`, n the CQEs dmasim posted, so in-flight kernel work gets the chance
 * to finish before the last reads.
 */
export async function compareBatch(
  runner: string,
  programs: readonly Program[],
  opts: BatchOptions = {},
): Promise<{ verdicts: Verdict[]; tally: Tally; kernel: string[][]; dmasim: string[][] }> {
  const dm = runDmasim(programs, { device: opts.device?.model });
  const kprogs = programs.map((p, i) => ({
    ...p,
    lines: p.lines.map((l) => l === "Z" ? `Z ${cqeCount(dm[i])}` : l),
  }));
  const k1 = await runPrograms(runner, kprogs, opts.device?.path);
  if (k1.length !== programs.length) {
    throw new Error(`runner printed ${k1.length} programs of ${programs.length}`);
  }
  // A second kernel run only for the programs the first did not match, and
  // only without a device (block cases change the device: they run once).
  const firstVerdicts = programs.map((p, i) => compareProgram(p, [k1[i]], dm[i], []));
  const again = opts.device ? [] : firstVerdicts.flatMap((v, i) => v.agree ? [] : [i]);
  const k2: (string[] | undefined)[] = [];
  if (again.length) {
    const out = await runPrograms(runner, again.map((i) => kprogs[i]));
    again.forEach((i, j) => (k2[i] = out[j]));
  }
  const verdicts = programs.map((p, i) =>
    compareProgram(p, k2[i] ? [k1[i], k2[i]!] : [k1[i]], dm[i], opts.known ?? KNOWN_DIFFERENCES)
  );
  if (opts.device) {
    // The device is shared by the batch: once a write disagreed, later reads
    // of the device may differ in their data alone. Such a difference is
    // named after the earlier one, never counted as agreement.
    let diverged = false;
    verdicts.forEach((v, i) => {
      if (!v.agree && diverged && !v.known && onlyDataDiffers(k1[i], dm[i])) v.known = "device-diverged";
      if (!v.agree && sqeFields(v.program).some((q) => [2, 5, 23, 61].includes(q.opcode))) diverged = true;
      // Writes racing each other (or a read into their source) leave timing-dependent bytes on the device.
      if (timingDependentDeviceWrites(v.program)) diverged = true;
    });
  }
  return { verdicts, tally: tally(verdicts), kernel: k1, dmasim: dm };
}

function onlyDataDiffers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length &&
    a.every((l, i) => l === b[i] || (l.startsWith("data ") && b[i].startsWith("data ")));
}

/** One report line: programs compared, agreeing, explained by name, unexplained. */
export function report(label: string, t: Tally): string {
  const known = Object.entries(t.known).map(([k, n]) => `${k}=${n}`).join(", ");
  return `conformance ${label}: ${t.compared} programs compared, ${t.agreeing} agree, ` +
    `${t.compared - t.agreeing - t.unexplained.length} differ by named choice${
      known ? ` (${known})` : ""
    }, ` +
    `${t.unexplained.length} unexplained`;
}

/** A readable account of one disagreement: the program, the kernel's lines and dmasim's. */
export function explain(v: Verdict, kernel: readonly string[], dmasim: readonly string[]): string {
  return [
    `${v.program.name}: ${v.diff}`,
    ...v.program.lines,
    "--- kernel",
    ...kernel,
    "--- dmasim",
    ...dmasim,
  ]
    .join("\n");
}
