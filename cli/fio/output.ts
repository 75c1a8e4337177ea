/**
 * Where reports and logs go: a file, or stdout for `-`, `/dev/stdout`
 * (and `/dev/stderr`), checked before a long run starts.
 *
 * @module
 */
import { type Io, UsageError, writeOutputFile } from "../common.ts";

const STDOUT = new Set(["-", "/dev/stdout"]);

/** Fail early (exit 2) when `path`'s folder does not exist, before simulating anything. */
export function checkOutputPath(path: string): void {
  if (STDOUT.has(path) || path === "/dev/stderr") return;
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  try {
    if (!Deno.statSync(dir).isDirectory) throw new UsageError(`cannot write ${path}: ${dir} is not a folder`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot write ${path}: ${e instanceof Error ? e.message : e}`);
  }
}

/** Write `text` to `path` (stdout when unset, `-` or /dev/stdout; stderr for /dev/stderr). */
export function writeOrStdout(path: string | undefined, text: string, io: Io): void {
  if (path === undefined || STDOUT.has(path)) io.out(text);
  else if (path === "/dev/stderr") io.err(text);
  else writeOutputFile(path, text);
}
