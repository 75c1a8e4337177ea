/**
 * `dmasim` behaves like a command-line tool at the edges of its streams and
 * permissions: a closed pipe (`dmasim … | head -2`) ends the run quietly, and
 * a permission Deno refuses is dmasim's own one line, never Deno's message.
 */
import { check, type CliRun, ROOT, withTempDir } from "./fixtures/cli/harness.ts";

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

/** Run dmasim under exactly `perms` (no -A), as an install with fewer permissions would. */
async function withPerms(perms: string[], args: string[]): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...perms, "cli/dmasim.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", FOO: "/dev/nvme0n1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function checkOwnLine(r: CliRun, message: string): void {
  check(r.code === 2, `exit ${r.code}, expected 2`, r);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  check(lines.length === 1 && lines[0].includes(message), `one line containing ${message}`, r);
  check(!/Requires|run again|--allow-all|\bat .*:\d+:\d+/.test(r.stderr), "not Deno's message, no trace", r);
}

Deno.test("a permission Deno refuses is one line of dmasim's, exit 2, never a prompt or Deno's text", () =>
  withTempDir(async (dir) => {
    const noWrite = await withPerms(
      ["--no-prompt", "--allow-read", "--allow-env"],
      ["trace", "--ios", "20", "-o", `${dir}/t.json`],
    );
    checkOwnLine(
      noWrite,
      `dmasim trace: no write access to "${dir}/t.json": dmasim was started without --allow-write`,
    );
    await Deno.writeTextFile(
      `${dir}/e.fio`,
      "[j]\nioengine=io_uring\ndirect=1\nnumber_ios=10\nfilename=${FOO}\n",
    );
    const noEnv = await withPerms(["--no-prompt", "--allow-read", "--allow-write"], ["fio", `${dir}/e.fio`]);
    checkOwnLine(noEnv, `dmasim fio: no env access to "FOO": dmasim was started without --allow-env`);
    // Without env access a usage error is still its own line (DMASIM_DEBUG is not read then).
    const bad = await withPerms(["--no-prompt", "--allow-read"], ["uring", "-d", "x"]);
    checkOwnLine(bad, "option -d");
    // `deno task dmasim` must never stop to ask: a prompt on a terminal would hang a script.
    const task = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks.dmasim as string;
    check(/^deno run --no-prompt /.test(task), `deno task dmasim runs with --no-prompt: ${task}`);
  }));

/** Run dmasim (-A) in `cwd`, killed after `limitMs` of wall time (a run that started would take hours). */
async function bounded(args: string[], limitMs: number): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "cli/dmasim.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(limitMs),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("output paths are checked before a long run starts; -, /dev/stdout and /dev/stderr work", async () => {
  // Simulated hours would take hours of wall time: only a check before the run can exit 2 in time.
  const trace = await bounded(["trace", "-r", "1h", "-o", "/nonexistent-dir/t.json"], 60_000);
  checkOwnLine(trace, "dmasim trace: cannot write /nonexistent-dir/t.json");
  const sweep = await bounded(
    ["sweep", "--param", "depth=1,2", "-r", "1h", "--metric", "iops", "--out", "/nonexistent-dir/r"],
    60_000,
  );
  checkOwnLine(sweep, "dmasim sweep: cannot write /nonexistent-dir/r.csv");
  for (const path of ["-", "/dev/stdout"]) {
    const r = await bounded(["trace", "--ios", "20", "-o", path], 60_000);
    check(r.code === 0 && JSON.parse(r.stdout).traceEvents.length > 0 && r.stderr === "", `-o ${path}`, r);
  }
  const e = await bounded(["trace", "--ios", "20", "-o", "/dev/stderr"], 60_000);
  check(e.code === 0 && e.stdout === "" && JSON.parse(e.stderr).traceEvents.length > 0, "-o /dev/stderr", e);
});

function withoutInitCwd(): Record<string, string> {
  const { INIT_CWD: _, ...env } = Deno.env.toObject();
  return env;
}

Deno.test("deno task dmasim resolves relative paths where the user stands (INIT_CWD)", () =>
  withTempDir(async (dir) => {
    const name = `rel-${crypto.randomUUID()}.json`;
    await Deno.writeTextFile(`${dir}/j.fio`, "[j]\nioengine=io_uring\ndirect=1\nnumber_ios=50\n");
    try {
      const task = (args: string[]) =>
        new Deno.Command(Deno.execPath(), {
          args: ["task", "-q", "--config", `${ROOT}deno.json`, "dmasim", ...args],
          cwd: dir,
          // As a user's shell would start it: an INIT_CWD inherited from a test runner started by
          // npx (which sets it too) would stand for another folder, and deno task keeps a set one.
          clearEnv: true,
          env: { ...withoutInitCwd(), NO_COLOR: "1" },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
      const t = await task(["trace", "--ios", "20", "-o", name]);
      check(t.code === 0, `trace exit ${t.code}: ${new TextDecoder().decode(t.stderr)}`);
      check(
        JSON.parse(await Deno.readTextFile(`${dir}/${name}`)).traceEvents.length > 0,
        "written where the user is",
      );
      const f = await task(["fio", "--output-format=json", `--output=${name}`, "j.fio"]);
      check(f.code === 0, `fio exit ${f.code}: ${new TextDecoder().decode(f.stderr)}`);
      check(
        JSON.parse(await Deno.readTextFile(`${dir}/${name}`)).jobs[0].read.total_ios === 50,
        "job file read there",
      );
    } finally {
      // Without INIT_CWD the file would land in the repository: never leave it there.
      await Deno.remove(`${ROOT}${name}`).catch(() => {});
    }
  }));

Deno.test("dmasim trace says when it stopped recording, and map and command show their time", () =>
  withTempDir(async (dir) => {
    // 20000 I/Os make more records than the model keeps (131072).
    const big = await bounded(["trace", "--ios", "20000", "-o", `${dir}/big.json`], 120_000);
    check(big.code === 0, "exit 0", big);
    check(
      /^trace: recording stopped at \d+\.\d{3} us simulated of \d+\.\d{3} us: record limit reached \(131072 records kept, \d+ later ones dropped\)/
        .test(big.stderr),
      "says when it stopped",
      big,
    );
    const bt = JSON.parse(await Deno.readTextFile(`${dir}/big.json`));
    check(bt.otherData.records_dropped > 0 && bt.otherData.records === 131072, "dropped in otherData", big);
    const small = await bounded(
      ["trace", "-b", "512", "--iommu", "strict", "--ios", "200", "-o", "-"],
      60_000,
    );
    check(small.code === 0 && small.stderr === "", "a short trace keeps everything and says nothing", small);
    // Strict IOMMU with plain buffers: the model charges iommu_map_sg and PRP set-up to every I/O.
    const open = new Map<string, number>();
    const total = new Map<number, Record<string, number>>();
    for (const e of JSON.parse(small.stdout).traceEvents) {
      if (e.cat !== "io" || !["map", "command"].includes(e.name)) continue;
      const k = `${e.id}/${e.name}`;
      if (e.ph === "b") open.set(k, e.ts);
      else {
        const t = total.get(e.id) ?? {};
        t[e.name] = (t[e.name] ?? 0) + e.ts - open.get(k)!;
        total.set(e.id, t);
      }
    }
    check(total.size >= 200, `map/command stages for every I/O (${total.size})`, small);
    const empty = [...total.entries()].filter(([, t]) => !(t.map > 0) || !(t.command > 0));
    check(empty.length === 0, `I/Os with an empty map or command stage: ${empty.length}`, small);
  }));
