/**
 * `dmasim fio` job semantics as fio runs them: jobs together on one machine
 * and stonewall between runs, numjobs entries and group_reporting, mixed
 * reads and writes, block-size splits, offsets, command-line job options,
 * stdin, include and inline comments, fio's terse and json+ outputs, and
 * the notes and refusals for what the model approximates or lacks.
 */
import { check, dmasim, ROOT, withTempDir } from "./fixtures/cli/harness.ts";

const BASE =
  "[global]\nioengine=io_uring\ndirect=1\nfilename=/dev/nvme0n1\nbs=4k\niodepth=8\nnumber_ios=800\n";

async function json(dir: string, text: string, extra: string[] = []) {
  await Deno.writeTextFile(`${dir}/j.fio`, text);
  const r = await dmasim([
    "fio",
    "--profile",
    "pcie5-nand",
    "--output-format=json",
    ...extra,
    `${dir}/j.fio`,
  ]);
  check(r.code === 0, "exit 0", r);
  return { r, j: JSON.parse(r.stdout) };
}

Deno.test("dmasim fio runs jobs together, numjobs as entries, group_reporting as one, stonewall as groups", () =>
  withTempDir(async (dir) => {
    const { r, j } = await json(
      dir,
      BASE + "[a]\nrw=randread\nnumjobs=2\n[b]\nrw=randwrite\niodepth=4\n[c]\nstonewall\nrw=read\n" +
        "numjobs=2\ngroup_reporting\n",
    );
    const names = j.jobs.map((x: { jobname: string; groupid: number }) => `${x.jobname}/${x.groupid}`);
    check(JSON.stringify(names) === JSON.stringify(["a/0", "a/0", "b/0", "c/1"]), `entries ${names}`, r);
    for (const x of j.jobs.slice(0, 3)) {
      const dir1 = x.jobname === "b" ? x.write : x.read;
      check(dir1.total_ios === 800 && dir1.io_bytes === 800 * 4096, `${x.jobname}: its own 800 I/Os`, r);
    }
    check(j.jobs[2].latency_depth === 4 && j.jobs[2].read.total_ios === 0, "b: writes at its own depth", r);
    check(
      j.jobs[3].read.total_ios === 1600 && j.jobs[3].dmasim.members.length === 2,
      "c: 2 threads as one",
      r,
    );
    // Together on one machine: a, a and b share the drive in run 0 (threads 0..2); c runs alone after.
    check(j.jobs[0].dmasim.threads === 3 && j.jobs[3].dmasim.threads === 2, "threads per run", r);
  }));

Deno.test("dmasim fio mixes reads and writes as rwmixread says, with per-direction block sizes and splits", () =>
  withTempDir(async (dir) => {
    const { r, j } = await json(
      dir,
      BASE + "number_ios=4000\n[m]\nrw=randrw\nrwmixread=70\nbs=4k,16k\n[s]\nstonewall\nrw=randread\n" +
        "bssplit=4k/25:64k/75\n",
    );
    const m = j.jobs[0];
    const share = m.read.total_ios / (m.read.total_ios + m.write.total_ios);
    check(
      Math.abs(share - 0.7) < 0.03 && m.read.total_ios + m.write.total_ios === 4000,
      `70% reads: ${share}`,
      r,
    );
    check(m.read.io_bytes === m.read.total_ios * 4096, "reads are 4k", r);
    check(m.write.io_bytes === m.write.total_ios * 16384, "writes are 16k", r);
    const s = j.jobs[1].read;
    const big = (s.io_bytes - s.total_ios * 4096) / (65536 - 4096);
    check(Math.abs(big / s.total_ios - 0.75) < 0.03, `75% of I/Os are 64k: ${big / s.total_ios}`, r);
  }));

Deno.test("dmasim fio takes job options on the command line, a job file on stdin, include and inline comments", () =>
  withTempDir(async (dir) => {
    const a = await dmasim([
      "fio",
      "--output-format=json",
      "--ioengine=io_uring",
      "--direct=1",
      "--name=cl",
      "--rw=randread",
      "--bs=4k",
      "--iodepth=4",
      "--number_ios=300",
      "--filename=/dev/nvme0n1",
    ]);
    check(a.code === 0, "exit 0", a);
    const ja = JSON.parse(a.stdout);
    check(ja.jobs[0].jobname === "cl" && ja.jobs[0].read.total_ios === 300, "command-line job", a);
    await Deno.writeTextFile(`${dir}/inc.fio`, "iodepth=2 ; two in flight\n");
    await Deno.writeTextFile(
      `${dir}/main.fio`,
      "[global]\nioengine=io_uring # the engine\ndirect=1\n[x]\ninclude inc.fio\nnumber_ios=200\n",
    );
    const b = await dmasim(["fio", "--output-format=json", `${dir}/main.fio`]);
    check(b.code === 0, "exit 0", b);
    const jb = JSON.parse(b.stdout);
    check(jb.jobs[0].latency_depth === 2 && jb.jobs[0].read.total_ios === 200, "include and comments", b);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "cli/dmasim.ts", "fio", "--output-format=json", "-"],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("[in]\nioengine=io_uring\ndirect=1\nnumber_ios=100\n"));
    await w.close();
    const o = await child.output();
    const js = JSON.parse(new TextDecoder().decode(o.stdout));
    check(
      o.code === 0 && js.jobs[0].jobname === "in" && js.jobs[0].read.total_ios === 100,
      "job file on stdin",
    );
  }));

Deno.test("dmasim fio prints terse v3, json+ bins and normal,json together", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/j.fio`, BASE + "[t]\nrw=randread\n");
    const t = await dmasim(["fio", "--output-format=terse", `${dir}/j.fio`]);
    const f = t.stdout.trim().split(";");
    check(t.code === 0 && f[0] === "3" && f[1] === "fio-3.33" && f[2] === "t", "terse header fields", t);
    // 5 + 2 x 41 direction fields + 5 cpu/ctx + 7 depths + 10 lat_us + 12 lat_ms + 9 disk fields: 130, as fio 3.33
    check(f.length === 5 + 82 + 5 + 7 + 10 + 12 + 9, `terse field count ${f.length}`, t);
    check(f[5] === String(Math.floor((800 * 4096) / 1024)), "read io_kbytes", t);
    const p = await dmasim(["fio", "--output-format=json+", `${dir}/j.fio`]);
    const bins = JSON.parse(p.stdout).jobs[0].read.clat_ns.bins;
    check(
      Object.values(bins).reduce((a: number, b) => a + (b as number), 0) === 800,
      "bins count every I/O",
      p,
    );
    const both = await dmasim(["fio", "--output-format=normal,json", `${dir}/j.fio`]);
    check(both.stdout.startsWith("t: (g=0)") && both.stdout.includes('\n{\n  "fio version"'), "both", both);
  }));

Deno.test("dmasim fio flags buffered I/O and approximated engines, refuses what it does not model", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/b.fio`, "[b]\nrw=randread\nnumber_ios=200\n");
    const b = await dmasim(["fio", "--output-format=json", `${dir}/b.fio`]);
    check(b.code === 0, "fio's defaults (psync, buffered) run", b);
    check(
      /note: ioengine=psync: .*depth 1/.test(b.stderr) && /note: direct=0 \(buffered I\/O\)/.test(b.stderr),
      "notes",
      b,
    );
    const jb = JSON.parse(b.stdout);
    check(jb.jobs[0].dmasim.notes.length === 2 && jb.jobs[0].latency_depth === 1, "notes in the JSON", b);
    // The drive's figures, not a page cache's: no faster than the same job with direct=1.
    await Deno.writeTextFile(`${dir}/d.fio`, "[b]\nrw=randread\nnumber_ios=200\ndirect=1\n");
    const d = JSON.parse((await dmasim(["fio", "--output-format=json", `${dir}/d.fio`])).stdout);
    check(jb.jobs[0].read.iops <= d.jobs[0].read.iops * 1.01, "buffered is not faster than direct", b);
    await Deno.writeTextFile(`${dir}/v.fio`, "[v]\nverify_only=1\n");
    const v = await dmasim(["fio", `${dir}/v.fio`]);
    check(
      v.code === 2 && v.stderr.includes('v.fio:2: option "verify_only" is not modelled by dmasim'),
      "not modelled",
      v,
    );
    await Deno.writeTextFile(`${dir}/u.fio`, "[u]\nverfy=crc32c\n");
    const u = await dmasim(["fio", `${dir}/u.fio`]);
    check(u.code === 2 && u.stderr.includes('u.fio:2: unknown option "verfy"'), "unknown option", u);
    const o = await dmasim(["fio", "--output", `${dir}/no/such/dir/out.json`, `${dir}/d.fio`]);
    check(
      o.code === 2 && o.stderr.includes("cannot write") && o.stdout === "",
      "output path checked first",
      o,
    );
  }));

Deno.test("dmasim help, dmasim help fio, 1 core (not 1 cores), t/io_uring flags refused as not modelled", async () => {
  const h = await dmasim(["help"]);
  check(h.code === 0 && h.stdout.includes("Usage: dmasim"), "dmasim help", h);
  const f = await dmasim(["help", "fio"]);
  check(f.code === 0 && f.stdout.includes("Usage: dmasim fio"), "dmasim help fio", f);
  const n = await dmasim(["uring", "-n", "2", "--ios", "10"]);
  check(n.code === 2 && n.stderr.includes("has 1 core,") && !n.stderr.includes("1 cores"), "1 core", n);
  // t/io_uring's flags dmasim does not model are refused by name, distinct from a typo.
  for (const flag of ["-X", "-a", "-S", "-P", "-e", "-u", "-T", "-D", "-H", "-V"]) {
    const x = await dmasim(["uring", flag, "1", "--ios", "10"]);
    check(x.code === 2 && x.stderr.startsWith(`dmasim uring: option ${flag}: not modelled: `), flag, x);
  }
  const z = await dmasim(["uring", "-Z", "1"]);
  check(z.code === 2 && z.stderr.includes("unknown option") && !z.stderr.includes("not modelled"), "-Z", z);
});

Deno.test("dmasim fio --jobs 2 runs stonewall-separated runs on workers, byte for byte as one after another", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/j.fio`,
      BASE + "[a]\nrw=randread\n[b]\nstonewall\nrw=randwrite\n[c]\nstonewall\nrw=randrw\n",
    );
    const one = await dmasim(["fio", "--output-format=json", `${dir}/j.fio`]);
    const two = await dmasim(["fio", "--output-format=json", "--jobs", "2", `${dir}/j.fio`]);
    check(one.code === 0 && two.code === 0 && one.stdout === two.stdout, "same bytes with --jobs 2", two);
    await Deno.writeTextFile(`${dir}/bad.fio`, BASE + "[a]\nrw=randread\n[b]\nstonewall\nbs=1000\n");
    const bad = await dmasim(["fio", "--jobs", "2", `${dir}/bad.fio`]);
    check(
      bad.code === 2 && bad.stderr.includes('bad.fio:12: job "b": option bs:'),
      "the failing run's line",
      bad,
    );
  }));
