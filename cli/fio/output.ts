/**
 * Where reports and logs go: a file, or stdout for `-`, `/dev/stdout`
 * (and `/dev/stderr`), checked before a long run starts.
 *
 * @module
 */
import { checkOutputPath, type Io, writeOutputFile } from "../common.ts";

const STDOUT = new Set(["-", "/dev/stdout"]);

export { checkOutputPath };

/** Write `text` to `path` (stdout when unset, `-` or /dev/stdout; stderr for /dev/stderr). */
export function writeOrStdout(path: string | undefined, text: string, io: Io): void {
  if (path === undefined || STDOUT.has(path)) io.out(text);
  else if (path === "/dev/stderr") io.err(text);
  else writeOutputFile(path, text);
}
