/**
 * `dmasim` behaves like a command-line tool at the edges of its streams: a
 * closed pipe (`dmasim … | head -2`) ends the run quietly.
 */
import { check, ROOT } from "./fixtures/cli/harness.ts";

/** Run dmasim with stdout piped, read `lines` lines, close the pipe and collect exit code and stderr. */
async function headOf(
  args: string[],
  lines: number,
): Promise<{ code: number; head: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "cli/dmasim.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let head = "";
  while (head.split("\n").length <= lines) {
    const { value, done } = await reader.read();
    if (done) break;
    head += dec.decode(value);
  }
  // What `head` does: stop reading and close the pipe while dmasim still has output to write.
  await reader.cancel();
  const stderr = dec.decode((await new Response(child.stderr).arrayBuffer()) as ArrayBuffer);
  const { code } = await child.status;
  return { code, head, stderr };
}

Deno.test("dmasim uring | head -2 ends quietly: exit 0, nothing on stderr", async () => {
  // The two header lines come before the run; the per-second lines and the summary after it.
  const r = await headOf(["uring", "--profile", "pcie5-nand", "-d", "1", "-r", "2"], 2);
  check(r.head.startsWith("dmasim: profile=pcie5-nand"), `header read: ${r.head}`);
  check(r.code === 0, `exit ${r.code}, stderr: ${r.stderr}`);
  check(r.stderr === "", `no "Broken pipe" text: ${JSON.stringify(r.stderr)}`);
});
