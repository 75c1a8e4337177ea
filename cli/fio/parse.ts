/**
 * fio job files as fio reads them: `[global]` and job sections, `key=value`
 * and bare boolean keys, `;`/`#` comments (whole lines, and after a value
 * when preceded by white space), `include FILE`, `${VAR}` from the
 * environment; and job options given on the command line
 * (`--name=j --rw=randread …`). Every option is checked against the option
 * table here so a bad line is reported with its file and line.
 *
 * @module
 */
import { UsageError } from "../common.ts";
import { checkOptionName } from "./options.ts";

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

/** One job file's sections: its `[global]` applies to its own jobs only. */
export interface FioFile {
  /** File name as given (`-` for stdin, `command line` for options). */
  file: string;
  /** Sections in order. */
  sections: FioSection[];
}

/** How the parser reads an `include`d file (relative to the including file's folder). */
export type ReadFile = (path: string) => string;

const MAX_INCLUDE_DEPTH = 8;

function expandEnv(raw: string, where: string, env: (name: string) => string | undefined): string {
  return raw.replace(/\$\{([^}]*)\}/g, (_, v: string) => {
    const val = env(v);
    if (val === undefined) throw new UsageError(`${where}: environment variable ${v} is not set`);
    return val;
  });
}

/** A line without its comment: whole-line `;`/`#`, or one after white space (fio's inline comments). */
function stripComment(raw: string): string {
  if (raw.startsWith(";") || raw.startsWith("#")) return "";
  const m = /\s[;#]/.exec(raw);
  return (m ? raw.slice(0, m.index) : raw).trim();
}

function includePath(file: string, target: string): string {
  if (target.startsWith("/") || !file.includes("/")) return target;
  return file.slice(0, file.lastIndexOf("/") + 1) + target;
}

/** Add one `key[=value]` line to the current section, checking the name. */
function addEntry(sections: FioSection[], raw: string, file: string, line: number): void {
  const where = `${file}:${line}`;
  const eq = raw.indexOf("=");
  const key = (eq < 0 ? raw : raw.slice(0, eq)).trim().toLowerCase();
  const value = eq < 0 ? null : raw.slice(eq + 1).trim();
  if (!/^[a-z_][a-z0-9_]*$/.test(key)) {
    throw new UsageError(`${where}: expected key=value, [section] or a comment, got ${JSON.stringify(raw)}`);
  }
  if (sections.length === 0) throw new UsageError(`${where}: option "${key}" before any [section]`);
  checkOptionName(key, where);
  sections[sections.length - 1].entries.push({ file, line, key, value });
}

/**
 * Parse a fio job file into sections. Unknown options are a
 * {@link UsageError} naming `file:line` and the option; options dmasim does
 * not model say "not modelled".
 *
 * @example
 * ```ts
 * import { parseJobFile } from "./parse.ts";
 * const s = parseJobFile("[global]\nioengine=io_uring\n[job1]\nrw=randread\ndirect\n", "a.fio");
 * console.log(s[1].name, s[1].entries[1]); // job1 { file: "a.fio", line: 5, key: "direct", value: null }
 * ```
 */
export function parseJobFile(
  text: string,
  file: string,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  read: ReadFile = (p) => Deno.readTextFileSync(p),
  sections: FioSection[] = [],
  depth = 0,
): FioSection[] {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const where = `${file}:${i + 1}`;
    const raw = expandEnv(stripComment(lines[i].trim()), where, env);
    if (raw === "") continue;
    const inc = /^include\s+(\S.*)$/.exec(raw);
    if (inc) {
      if (depth >= MAX_INCLUDE_DEPTH) throw new UsageError(`${where}: include nested too deep`);
      const path = includePath(file, inc[1].trim());
      let body: string;
      try {
        body = read(path);
      } catch (e) {
        throw new UsageError(`${where}: include ${path}: ${e instanceof Error ? e.message : e}`);
      }
      parseJobFile(body, path, env, read, sections, depth + 1);
      continue;
    }
    if (raw.startsWith("[")) {
      const m = /^\[([^\]]+)\]$/.exec(raw);
      if (!m || m[1].trim() === "") {
        throw new UsageError(`${where}: malformed section header ${JSON.stringify(raw)}`);
      }
      sections.push({ name: m[1].trim(), file, line: i + 1, entries: [] });
      continue;
    }
    addEntry(sections, raw, file, i + 1);
  }
  if (depth === 0 && !sections.some((s) => s.name !== "global")) {
    throw new UsageError(`${file}: no job sections`);
  }
  return sections;
}

/**
 * Job options from the command line, as fio takes them: options before the
 * first `--name` are global, each `--name=X` starts a job. Returns null when
 * there are none.
 */
export function parseArgOptions(args: string[]): FioFile | null {
  if (args.length === 0) return null;
  const file = "command line";
  const sections: FioSection[] = [{ name: "global", file, line: 0, entries: [] }];
  args.forEach((a, i) => {
    const body = a.replace(/^--/, "");
    const eq = body.indexOf("=");
    const key = (eq < 0 ? body : body.slice(0, eq)).toLowerCase();
    if (key === "name") sections.push({ name: body.slice(eq + 1), file, line: i + 1, entries: [] });
    addEntry(sections, body, `${file} option`, i + 1);
  });
  if (sections.length === 1) throw new UsageError("command line: job options need --name=JOB");
  return { file, sections };
}
