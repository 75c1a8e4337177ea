/**
 * Command-line entry of the conformance suite, for running it beyond what CI
 * runs and for recording corpus entries:
 *
 *   deno run -A tests/conformance/main.ts run [--seed N|random] [--programs N] [--show N]
 *   deno run -A tests/conformance/main.ts record <name> <program-file> [comment]
 *
 * `run` compares random ring-core programs and prints the tally (and the
 * first --show disagreements in full); `record` runs one program on the
 * kernel and writes tests/conformance/corpus/<name>.prog. Exits 2 on bad
 * usage, 1 when a disagreement is not explained.
 *
 * @module
 */
import { corpusText, parseCorpus } from "./corpus.ts";
import { compareBatch, explain, report } from "./harness.ts";
import { kernelRelease, kernelRunner, runPrograms } from "./kernel.ts";
import { generateNopProgram, Rng } from "./program.ts";
import { cqeCount, runDmasim } from "./dmasim_exec.ts";

function usage(msg: string): never {
  console.error(`conformance: ${msg}`);
  Deno.exit(2);
}

function flag(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  if (i + 1 >= args.length) usage(`${name} needs a value`);
  return args[i + 1];
}

const [cmd, ...args] = Deno.args;
const r = await kernelRunner();
if (!("path" in r)) {
  console.error(`skipped: ${r.skipped}`);
  Deno.exit(1);
}
if (cmd === "run") {
  const s = flag(args, "--seed", "random");
  const seed = s === "random" ? crypto.getRandomValues(new Uint32Array(1))[0] : Number(s);
  const n = Number(flag(args, "--programs", "1000"));
  const show = Number(flag(args, "--show", "3"));
  if (!Number.isInteger(seed) || seed < 0) usage(`--seed: expected an integer or "random", got ${s}`);
  if (!Number.isInteger(n) || n < 1) usage(`--programs: expected a positive integer`);
  const rng = new Rng(seed);
  const programs = Array.from({ length: n }, (_, i) => generateNopProgram(rng, `seed${seed}-${i}`));
  const { verdicts, tally, kernel, dmasim } = await compareBatch(r.path, programs);
  let shown = 0;
  verdicts.forEach((v, i) => {
    if (!v.agree && !v.known && shown++ < show) console.log(explain(v, kernel[i], dmasim[i]) + "\n");
  });
  console.log(report(`ring-core (seed ${seed}, kernel ${await kernelRelease()})`, tally));
  Deno.exit(tally.unexplained.length ? 1 : 0);
} else if (cmd === "try") {
  // try <program-file>: programs separated by "P name" lines, run on both, printed side by side.
  const [file] = args;
  if (!file) usage("try <program-file>");
  const programs: { name: string; lines: string[] }[] = [];
  for (const l of (await Deno.readTextFile(file)).split("\n")) {
    if (l.startsWith("P ")) programs.push({ name: l.slice(2), lines: [] });
    else if (l.trim() !== "" && !l.startsWith("#")) programs.at(-1)?.lines.push(l);
  }
  const dm = runDmasim(programs);
  const kp = programs.map((p, i) => ({
    ...p,
    lines: p.lines.map((l) => l === "Z" ? `Z ${cqeCount(dm[i])}` : l),
  }));
  const k = await runPrograms(r.path, kp);
  programs.forEach((p, i) => {
    const n = Math.max(k[i].length, dm[i].length);
    console.log(`${k[i].join("|") === dm[i].join("|") ? "SAME" : "DIFF"} ${p.name}`);
    for (let j = 1; j < n; j++) {
      const a = k[i][j] ?? "", b = dm[i][j] ?? "";
      console.log(`  ${a.padEnd(28)} ${a === b ? " " : "≠"} ${b}`);
    }
  });
} else if (cmd === "record") {
  const [name, file, comment = ""] = args;
  if (!name || !file) usage("record <name> <program-file> [comment]");
  const { program } = parseCorpus(name, (await Deno.readTextFile(file)) + "\n--- kernel\n");
  const [dm] = runDmasim([program]);
  const kprog = { ...program, lines: program.lines.map((l) => l === "Z" ? `Z ${cqeCount(dm)}` : l) };
  const [k] = await runPrograms(r.path, [kprog]);
  const out = new URL(`./corpus/${name}.prog`, import.meta.url);
  await Deno.writeTextFile(out, corpusText(comment, program, k.slice(1)));
  console.log(`kernel:\n${k.slice(1).join("\n")}\ndmasim:\n${dm.slice(1).join("\n")}`);
} else {
  usage(`unknown command ${JSON.stringify(cmd ?? "")} (run | record)`);
}
