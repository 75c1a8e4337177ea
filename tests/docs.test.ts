/**
 * The documentation, run: what README.md and docs/*.md show must be what the
 * code does, so the docs cannot rot unnoticed.
 *
 * Conventions the docs follow (and this file enforces):
 * - A ```ts block that imports from "./mod.ts" (or "../mod.ts") is a program: it is run with no
 *   permissions (the README promises `mod.ts` needs none), and must exit 0.
 * - A ```text block that is the next fenced block after a program or a ```sh block, with no heading in
 *   between, is that block's output (for ```sh: the output of its last command). Its lines must match
 *   stdout exactly; a line "…" stands for any number of lines.
 * - Every command in a ```sh block that runs dmasim (`dmasim …`, `deno task dmasim …`,
 *   `npx -y deno@2.9.6 task dmasim …`) is run as written, with deno.json's `dmasim` task permissions, in a
 *   temporary directory, and must exit 0. A pipe's later stages (`| jq …`) are not run; the output must
 *   then be JSON when the next stage is jq. Other commands (installing, `task test`, `task bench`) are
 *   not run here: bench has its own tests and `task test` is this suite.
 * - An ```ini block whose first line is "; NAME: …" or "; NAME" defines the file NAME, written into that
 *   temporary directory before the commands of that page run.
 */
import { check, type CliRun, ROOT } from "./fixtures/cli/harness.ts";

/** One fenced block of a Markdown page. */
interface Block {
  /** The fence's info string's first word (ts, sh, text, ini, …). */
  lang: string;
  /** The lines between the fences. */
  lines: string[];
  /** 1-based line of the opening fence (for messages). */
  line: number;
  /** Whether a heading stands between this block and the previous one. */
  headingBefore: boolean;
}

/** The pages whose examples are run: the README and every file under docs/. */
function pages(): string[] {
  const out = ["README.md"];
  for (const e of Deno.readDirSync(`${ROOT}docs`)) {
    if (e.isFile && e.name.endsWith(".md")) out.push(`docs/${e.name}`);
  }
  return out.sort();
}

/** Split a Markdown page into its fenced blocks. */
function blocks(md: string): Block[] {
  const lines = md.split("\n");
  const out: Block[] = [];
  let heading = false;
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]);
    if (!open) {
      if (lines[i].startsWith("#")) heading = true;
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
    out.push({ lang: open[1], lines: body, line: start + 1, headingBefore: heading });
    heading = false;
  }
  return out;
}

/** The expected output shown after block `i`, if any. */
function shownOutput(bs: Block[], i: number): string[] | undefined {
  const next = bs[i + 1];
  return next && next.lang === "text" && !next.headingBefore ? next.lines : undefined;
}

/**
 * Check `actual` against `shown`: its lines match exactly, in order, and a "…" line stands for any
 * number of lines (so a doc can show the lines that matter and elide the rest).
 */
function matchesShown(actual: string, shown: string[]): boolean {
  const got = actual.replace(/\n$/, "").split("\n").map((l) => l.trimEnd());
  const match = (p: number, g: number): boolean => {
    if (p === shown.length) return g === got.length;
    if (shown[p] === "…") {
      for (let k = g; k <= got.length; k++) if (match(p + 1, k)) return true;
      return false;
    }
    return g < got.length && got[g] === shown[p].trimEnd() && match(p + 1, g + 1);
  };
  return match(0, 0);
}

/**
 * Split a shell command line into words (single and double quotes; no expansion is needed by the docs);
 * an unquoted `|` or `>` is a word of its own.
 */
function shellWords(s: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'" || c === '"') {
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unbalanced quote in ${s}`);
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === " " || c === "\t" || c === "|" || c === ">") {
      if (inWord) words.push(cur);
      if (c === "|" || c === ">") words.push(c);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The commands of a ```sh block: continuation lines joined, comments and blank lines dropped. */
function shCommands(lines: string[]): string[] {
  const out: string[] = [];
  let acc = "";
  for (const raw of lines) {
    const line = raw.replace(/\s+#\s.*$/, "").replace(/^#.*$/, "");
    if (line.endsWith("\\")) {
      acc += line.slice(0, -1) + " ";
      continue;
    }
    const full = (acc + line).trim();
    acc = "";
    if (full !== "") out.push(full);
  }
  return out;
}

/** The dmasim arguments of a command line, or undefined when it does not run dmasim. */
function dmasimArgs(cmd: string): { args: string[]; pipeTo?: string; stdoutTo?: string } | undefined {
  const all = shellWords(cmd);
  const pipe = all.indexOf("|");
  const words = pipe < 0 ? all : all.slice(0, pipe);
  const at = ["dmasim", "deno task dmasim", "npx -y deno@2.9.6 task dmasim"]
    .map((p) => p.split(" "))
    .find((p) => p.every((w, i) => words[i] === w));
  if (!at) return undefined;
  let args = words.slice(at.length);
  let stdoutTo: string | undefined;
  const redirect = args.indexOf(">");
  if (redirect >= 0) {
    stdoutTo = args[redirect + 1];
    args = args.slice(0, redirect);
  }
  return { args, pipeTo: pipe < 0 ? undefined : all[pipe + 1], stdoutTo };
}

/** Run deno with `args` in `cwd` and collect its output. */
async function deno(args: string[], cwd: string): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Permissions of deno.json's `dmasim` task, which the docs' commands run under. */
function taskPermissions(): string[] {
  const cfg = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  const task: string = cfg.tasks.dmasim;
  return task.split(" ").filter((w) => w.startsWith("--allow-"));
}

/** Run at most `limit` of `jobs` at a time (the machine has two cores). */
async function pooled<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

Deno.test("the docs' module examples run with no permissions and print what the docs show", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const jobs: (() => Promise<void>)[] = [];
    for (const page of pages()) {
      const bs = blocks(Deno.readTextFileSync(`${ROOT}${page}`));
      bs.forEach((b, i) => {
        const src = b.lines.join("\n");
        if (b.lang !== "ts" || !/from "\.\.?\/mod\.ts"/.test(src)) return;
        const where = `${page}:${b.line}`;
        const file = `${dir}/example_${jobs.length}.ts`;
        const shown = shownOutput(bs, i);
        jobs.push(async () => {
          await Deno.writeTextFile(file, src.replace(/from "\.\.?\/mod\.ts"/g, `from "${ROOT}mod.ts"`));
          const r = await deno(["run", "--quiet", "--config", `${ROOT}deno.json`, file], dir);
          check(r.code === 0, `${where}: the example exits 0`, r);
          check(r.stderr === "", `${where}: nothing on stderr`, r);
          if (shown) check(matchesShown(r.stdout, shown), `${where}: prints what the page shows`, r);
        });
      });
    }
    check(jobs.length >= 2, `the README's and docs/api.md's examples are found (${jobs.length})`);
    await pooled(jobs, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every dmasim command in the docs runs as written and prints what the docs show", async () => {
  const perms = taskPermissions();
  check(perms.length > 0, "deno.json's dmasim task has permissions");
  let count = 0;
  for (const page of pages()) {
    const bs = blocks(Deno.readTextFileSync(`${ROOT}${page}`));
    const dir = await Deno.makeTempDir();
    try {
      for (const b of bs) {
        const name = b.lang === "ini" ? /^; ([\w.-]+)/.exec(b.lines[0] ?? "") : null;
        if (name) await Deno.writeTextFile(`${dir}/${name[1]}`, b.lines.join("\n") + "\n");
      }
      const jobs: (() => Promise<void>)[] = [];
      bs.forEach((b, i) => {
        if (b.lang !== "sh") return;
        const cmds = shCommands(b.lines);
        const shown = shownOutput(bs, i);
        cmds.forEach((cmd, k) => {
          const run = dmasimArgs(cmd);
          if (!run) return;
          const where = `${page}:${b.line}: ${cmd}`;
          jobs.push(async () => {
            const r = await deno(
              [
                "run",
                "--quiet",
                "--config",
                `${ROOT}deno.json`,
                ...perms,
                `${ROOT}cli/dmasim.ts`,
                ...run.args,
              ],
              dir,
            );
            check(r.code === 0, `${where}: exit 0`, r);
            if (run.pipeTo === "jq") JSON.parse(r.stdout);
            if (run.stdoutTo) await Deno.writeTextFile(`${dir}/${run.stdoutTo}`, r.stdout);
            if (shown && k === cmds.length - 1) {
              check(matchesShown(r.stdout, shown), `${where}: prints what the page shows`, r);
            }
          });
        });
      });
      count += jobs.length;
      await pooled(jobs, 2);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  check(count >= 8, `the docs' dmasim commands are found (${count})`);
});

Deno.test("the output matcher: exact lines, and … for any number of lines", () => {
  const out = "a\nb\nc\nd\n";
  check(matchesShown(out, ["a", "b", "c", "d"]), "exact");
  check(matchesShown(out, ["a", "…", "d"]), "elided middle");
  check(matchesShown(out, ["…", "c", "…"]), "one line anywhere");
  check(matchesShown(out, ["a", "b", "c", "d", "…"]), "… may match nothing");
  check(!matchesShown(out, ["a", "c", "…"]), "lines without … between them are adjacent");
  check(!matchesShown(out, ["a", "b"]), "without a trailing …, nothing may follow");
  check(!matchesShown(out, ["…", "e", "…"]), "a line that is not there");
});

Deno.test("the docs' shell parsing: continuations, comments, quotes, pipes and redirects", () => {
  const cmds = shCommands([
    "dmasim sweep --param a=1 \\",
    "             --out r   # a comment",
    "# a whole-line comment",
    "npx -y deno@2.9.6 task dmasim fio --output-format=json job.fio | jq '.jobs[] | {jobname}'",
    "deno install -g -f -n dmasim cli/dmasim.ts",
  ]);
  check(cmds.length === 3, `three commands: ${JSON.stringify(cmds)}`);
  check(JSON.stringify(dmasimArgs(cmds[0])?.args) === '["sweep","--param","a=1","--out","r"]', "joined");
  const fio = dmasimArgs(cmds[1]);
  check(fio?.pipeTo === "jq" && fio.args.join(" ") === "fio --output-format=json job.fio", "piped");
  check(dmasimArgs(cmds[2]) === undefined, "deno install does not run dmasim");
  check(dmasimArgs("dmasim sweep --ios 5 > bs.csv")?.stdoutTo === "bs.csv", "redirect");
});
