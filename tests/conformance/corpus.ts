/**
 * The regression corpus: one minimal program per disagreement fixed, each
 * with the answer the kernel gave (recorded on Linux 6.18), kept in
 * tests/conformance/corpus/*.prog. A corpus file is the program's lines, a
 * line `--- kernel`, and the kernel's output lines.
 *
 * @module
 */
import type { Program } from "./program.ts";

const DIR = new URL("./corpus/", import.meta.url);

/** One corpus entry. */
export interface CorpusEntry {
  /** The program (named after its file). */
  program: Program;
  /** What the kernel printed for it. */
  kernel: string[];
}

/** Parse a corpus file's text. */
export function parseCorpus(name: string, text: string): CorpusEntry {
  const lines = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  const sep = lines.indexOf("--- kernel");
  if (sep < 0) throw new Error(`corpus ${name}: no '--- kernel' line`);
  return { program: { name, lines: lines.slice(0, sep) }, kernel: lines.slice(sep + 1) };
}

/** Every corpus entry, sorted by name. */
export function loadCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const e of Deno.readDirSync(DIR)) {
    if (!e.name.endsWith(".prog")) continue;
    const name = e.name.slice(0, -5);
    out.push(parseCorpus(name, Deno.readTextFileSync(new URL(e.name, DIR))));
  }
  return out.sort((a, b) => a.program.name.localeCompare(b.program.name));
}

/** Write a corpus entry: a comment saying what it guards, the program, and the kernel's lines. */
export function corpusText(comment: string, program: Program, kernel: readonly string[]): string {
  return [...comment.split("\n").map((l) => `# ${l}`), ...program.lines, "--- kernel", ...kernel].join("\n") +
    "\n";
}
