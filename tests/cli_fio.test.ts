/**
 * `dmasim fio` as a subprocess: fio's normal output shape, fio's JSON field
 * names, determinism, job-file features, and every bad-input path.
 */
import { check, checkBadCases, dmasim, fixture, withTempDir } from "./fixtures/cli/harness.ts";
import { num2str } from "../cli/common.ts";

const FIO_PERCENTILE_KEY = /^\d{1,3}\.\d{6}$/;

Deno.test("dmasim fio prints fio's normal output per job and the run status groups", async () => {
  const r = await dmasim(["fio", fixture("randread.fio")]);
  check(r.code === 0, "exit 0", r);
  check(r.stderr === "", "nothing on stderr", r);
  const out = r.stdout;
  check(
    out.startsWith(
      "strict-fixed: (g=0): rw=randread, bs=(R) 512B-512B, (W) 512B-512B, (T) 512B-512B, ioengine=io_uring, iodepth=128\n",
    ),
    "job line",
    r,
  );
  check(out.includes("\nStarting 2 processes\n"), "starting line", r);
  for (const [i, job] of ["strict-fixed", "strict-dmabuf"].entries()) {
    check(out.includes(`${job}: (groupid=${i}, jobs=1): err= 0: `), `${job} header`, r);
    check(out.includes(`Run status group ${i} (all jobs):`), `group ${i} footer`, r);
  }
  const reads = [
    ...out.matchAll(/^ {2}read: IOPS=(\S+), BW=(\S+)MiB\/s \((\S+)MB\/s\)\((\S+)\/(\d+)msec\)$/gm),
  ];
  check(reads.length === 2, "a read: line per job", r);
  const issued = [...out.matchAll(/issued rwts: total=(\d+),0,0,0 /g)].map((m) => Number(m[1]));
  check(issued.length === 2 && issued.every((n) => n >= 2000 && n < 2000 + 2 * 128), "issued I/Os", r);
  // fio's arithmetic: IOPS and BW over the printed whole-millisecond runtime (stat.c show_ddir_status).
  reads.forEach((m, i) => {
    const msec = Number(m[5]);
    const bytes = issued[i] * 512;
    check(msec >= 1, "runtime at least 1 msec", r);
    check(m[1] === num2str(Math.floor((1000 * issued[i]) / msec)), `IOPS = 1000 * ios / ${msec}msec`, r);
    const bw = Math.floor((1000 * bytes) / msec);
    check(`${m[2]}MiB/s` === num2str(bw, 1024, "B/s"), `BW = 1000 * bytes / ${msec}msec`, r);
    check(`${m[3]}MB/s` === num2str(bw, 1000, "B/s"), "BW in MB/s", r);
    check(m[4] === num2str(bytes, 1024, "B"), "io", r);
    check(out.includes(`, run=${msec}-${msec}msec`), "group footer's runtime", r);
    check(
      out.includes(
        `   READ: bw=${m[2]}MiB/s (${m[3]}MB/s), ${m[2]}MiB/s-${m[2]}MiB/s (${m[3]}MB/s-${m[3]}MB/s)`,
      ),
      "group footer's bandwidth is the job's",
      r,
    );
  });
  check(
    (out.match(/^ {4}clat \((nsec|usec|msec)\): min=\S+, max=\S+, avg=\S+/gm) ?? []).length === 2,
    "clat",
    r,
  );
  check((out.match(/^ {4}clat percentiles \((nsec|usec|msec)\):$/gm) ?? []).length === 2, "percentiles", r);
  check((out.match(/^ {5}\| 99\.00th=\[ *\d+\], 99\.50th=\[ *\d+\],/gm) ?? []).length === 2, "99th", r);
  check(
    (out.match(/^ {2}cpu {10}: usr=\d+\.\d\d%, sys=\d+\.\d\d%, ctx=0, majf=0, minf=0$/gm) ?? []).length === 2,
    "cpu",
    r,
  );
  check(
    (out.match(/^ {3}READ: bw=\S+ \(\S+\), \S+-\S+ \(\S+-\S+\), io=\S+ \(\S+\), run=\d+-\d+msec$/gm) ?? [])
      .length === 2,
    "READ",
    r,
  );
});

Deno.test("dmasim fio --output-format=json uses fio's field names", async () => {
  const r = await dmasim(["fio", "--output-format=json", fixture("randread.fio")]);
  check(r.code === 0, "exit 0", r);
  const j = JSON.parse(r.stdout);
  check(j["fio version"] === "fio-3.33" && j["dmasim version"].startsWith("dmasim-"), "versions", r);
  check(j["global options"].ioengine === "io_uring", "global options", r);
  check(Array.isArray(j.jobs) && j.jobs.length === 2, "two jobs", r);
  for (const [i, job] of j.jobs.entries()) {
    check(job.jobname === ["strict-fixed", "strict-dmabuf"][i], "jobname", r);
    check(job.groupid === i && job.error === 0, "groupid, error", r);
    for (const k of ["usr_cpu", "sys_cpu", "ctx", "majf", "minf", "job_runtime", "elapsed"]) {
      check(typeof job[k] === "number", `jobs[].${k}`, r);
    }
    check(Math.abs(job.usr_cpu + job.sys_cpu - 100) < 1, "polled: the core is busy", r);
    const rd = job.read;
    for (
      const k of [
        "io_bytes",
        "io_kbytes",
        "bw_bytes",
        "bw",
        "iops",
        "runtime",
        "total_ios",
        "short_ios",
        "drop_ios",
        "bw_min",
        "bw_max",
        "bw_mean",
        "bw_samples",
        "iops_min",
        "iops_max",
        "iops_mean",
        "iops_stddev",
        "iops_samples",
      ]
    ) check(typeof rd[k] === "number", `read.${k}`, r);
    // number_ios=2000; the engine may finish the batch in flight.
    check(rd.total_ios >= 2000 && rd.total_ios < 2000 + 2 * 128, "I/O count", r);
    check(
      rd.io_bytes === rd.total_ios * 512 && rd.io_kbytes === Math.floor(rd.io_bytes / 1024),
      "I/O bytes",
      r,
    );
    // fio's JSON (stat.c add_ddir_status_json): everything over the whole-millisecond runtime.
    check(Number.isInteger(rd.runtime) && rd.runtime >= 1, "runtime: whole msec, at least 1", r);
    check(
      rd.runtime === Math.max(1, Math.ceil(Math.floor(job.dmasim.sim_ns / 1e3) / 1e3)),
      "runtime: whole microseconds rounded up to milliseconds (backend.c update_runtime)",
      r,
    );
    check(job.job_runtime === rd.runtime, "job_runtime", r);
    check(rd.iops === (1000 * rd.total_ios) / rd.runtime, "iops = 1000 * total_ios / runtime", r);
    check(
      rd.bw_bytes === Math.floor((1000 * rd.io_bytes) / rd.runtime),
      "bw_bytes = 1000 * io_bytes / runtime",
      r,
    );
    check(rd.bw === Math.floor(rd.bw_bytes / 1024), "bw is KiB/s", r);
    check(
      Math.abs(job.dmasim.bw_bytes - job.dmasim.iops * 512) / job.dmasim.bw_bytes < 1e-6,
      "dmasim's exact bw = iops x bs",
      r,
    );
    // slat as fio takes it: prep to io_uring_enter's return, one sample per I/O.
    check(rd.slat_ns.N === rd.total_ios, "slat_ns.N", r);
    check(
      0 < rd.slat_ns.min && rd.slat_ns.min <= rd.slat_ns.mean && rd.slat_ns.mean <= rd.slat_ns.max,
      "slat",
      r,
    );
    for (const k of ["min", "max", "mean", "stddev", "N"]) {
      check(typeof rd.clat_ns[k] === "number", `clat_ns.${k}`, r);
    }
    for (const k of ["min", "max", "mean"]) check(typeof rd.lat_ns[k] === "number", `lat_ns.${k}`, r);
    const pk = Object.keys(rd.clat_ns.percentile);
    check(pk.length > 0 && pk.every((k) => FIO_PERCENTILE_KEY.test(k)), "percentile keys like fio's", r);
    check("99.000000" in rd.clat_ns.percentile, "p99", r);
    const pv = pk.map((k) => rd.clat_ns.percentile[k]);
    check(pv.every((v, n) => n === 0 || v >= pv[n - 1]), "percentiles non-decreasing", r);
    // Percentiles are histogram-bucket values (as in fio): near min..max, not necessarily inside.
    check(pv[0] >= rd.clat_ns.min / 2 && pv[pv.length - 1] <= rd.clat_ns.max * 2, "near min..max", r);
    check(job.write.total_ios === 0 && job.write.iops === 0 && job.trim.io_bytes === 0, "write/trim zero", r);
    check(job.dmasim.iommu === "strict", "dmasim extras", r);
  }
  check(j.jobs[1].dmasim.buffers === "dmabuf" && j.jobs[0].dmasim.buffers === "fixed", "buffers per job", r);
  check(j.jobs[1].read.iops > j.jobs[0].read.iops, "dma-buf beats per-I/O mapping under strict", r);
});

Deno.test("dmasim fio output is byte-identical for the same job file", async () => {
  const args = ["fio", "--output-format=json", fixture("randread.fio")];
  const [a, b] = await Promise.all([dmasim(args), dmasim(args)]);
  check(a.stdout === b.stdout && a.stdout.length > 0, "same JSON bytes", b);
  const [c, d] = await Promise.all([
    dmasim(["fio", fixture("randread.fio")]),
    dmasim(["fio", fixture("randread.fio")]),
  ]);
  check(c.stdout === d.stdout, "same normal output bytes", d);
});

Deno.test("dmasim fio maps numjobs, rw=randwrite, ${VAR}, dmasim_profile and --output", () =>
  withTempDir(async (dir) => {
    const out = `${dir}/out.json`;
    const r = await dmasim(["fio", "--output-format", "json", "--output", out, fixture("numjobs.fio")], {
      DMASIM_TEST_BS: "4k",
    });
    check(r.code === 0 && r.stdout === "", "exit 0, report in the file", r);
    const j = JSON.parse(await Deno.readTextFile(out));
    const job = j.jobs[0];
    check(
      job.jobname === "writers" && job.dmasim.threads === 2 && job.dmasim.profile === "pcie5-nand",
      "job",
      r,
    );
    check(
      job.write.total_ios === 2000 && job.write.io_bytes === 2000 * 4096,
      "numjobs x number_ios writes",
      r,
    );
    check(job.read.total_ios === 0, "no reads", r);
    const n = await dmasim(["fio", fixture("numjobs.fio")], { DMASIM_TEST_BS: "4k" });
    check(
      n.stdout.includes("writers: (groupid=0, jobs=2)") && n.stdout.includes("Starting 2 threads"),
      "text",
      n,
    );
    check(/^ {2}write: IOPS=/m.test(n.stdout) && /^ {2}WRITE: bw=/m.test(n.stdout), "write lines", n);
  }));

Deno.test("dmasim fio bad job files exit 2 naming file, line and option", () =>
  withTempDir(async (dir) => {
    const files: Record<string, string> = {
      unknown: "[global]\nioengine=io_uring\n\n[j]\nrw=randread\nfoo=1\n",
      unsupported: "[j]\nioengine=io_uring\nfsync=1\n",
      engine: "[j]\nioengine=mmap\nnumber_ios=10\n",
      rw: "[j]\nioengine=io_uring\nrw=trim\nnumber_ios=10\n",
      bs: "[j]\nioengine=io_uring\nbs=abc\nnumber_ios=10\n",
      depth: "[j]\nioengine=io_uring\niodepth=0\nnumber_ios=10\n",
      header: "[j\nioengine=io_uring\n",
      garbage: "[j]\n!!\n",
      before: "ioengine=io_uring\n[j]\n",
      nojobs: "[global]\nioengine=io_uring\n",
      sqpoll: "[j]\nioengine=io_uring\nsqthread_poll=1\nnumber_ios=10\n",
      sqpollcpu: "[global]\nsqthread_poll_cpu=1\n[j]\nioengine=io_uring\nnumber_ios=10\n",
      randrepeat: "[j]\nioengine=io_uring\nrandrepeat=0\nnumber_ios=10\n",
      bare: "[j]\nioengine=io_uring\nbs\nnumber_ios=10\n",
      env: "[j]\nioengine=io_uring\nbs=${DMASIM_UNSET_VARIABLE}\nnumber_ios=10\n",
      length: "[j]\nioengine=io_uring\nrw=randread\n",
      filename: "[j]\nioengine=io_uring\nfilename=/dev/sdb\nnumber_ios=10\n",
      numjobs: "[j]\nioengine=io_uring\nnumjobs=8\nnumber_ios=10\n",
      profile: "[j]\nioengine=io_uring\ndmasim_profile=nope\nnumber_ios=10\n",
      iommu: "[j]\nioengine=io_uring\ndmasim_iommu=off\nnumber_ios=10\n",
      align: "[j]\nioengine=io_uring\ndirect=1\nbs=1000\nnumber_ios=10\n",
      rwmod: "[j]\nioengine=io_uring\nrw=randread:x\nnumber_ios=10\n",
      dist: "[j]\nioengine=io_uring\nrandom_distribution=zipf:1\nnumber_ios=10\n",
      zonedabs: "[j]\nioengine=io_uring\nrandom_distribution=zoned_abs:50/10G:50/100G\nnumber_ios=10\n",
      globaldepth: "[global]\nioengine=io_uring\niodepth=5000\n\n[j]\nrw=randread\nnumber_ios=10\n",
    };
    for (const [k, v] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${k}.fio`, v);
    const f = (k: string) => `${dir}/${k}.fio`;
    await checkBadCases([
      {
        args: ["fio", f("unknown")],
        code: 2,
        message: `dmasim fio: ${f("unknown")}:6: unknown option "foo"`,
      },
      {
        args: ["fio", f("unsupported")],
        code: 2,
        message: `${f("unsupported")}:3: option "fsync" is not modelled by dmasim`,
      },
      {
        args: ["fio", f("engine")],
        code: 2,
        message: `${f("engine")}:2: option ioengine: not modelled: "mmap"`,
      },
      { args: ["fio", f("rw")], code: 2, message: `${f("rw")}:3: option rw: not modelled: "trim"` },
      { args: ["fio", f("bs")], code: 2, message: `${f("bs")}:3: option bs: expected a size` },
      {
        args: ["fio", f("depth")],
        code: 2,
        message: `${f("depth")}:3: option iodepth: expected an integer 1..32768`,
      },
      { args: ["fio", f("header")], code: 2, message: `${f("header")}:1: malformed section header` },
      { args: ["fio", f("garbage")], code: 2, message: `${f("garbage")}:2: expected key=value` },
      {
        args: ["fio", f("before")],
        code: 2,
        message: `${f("before")}:1: option "ioengine" before any [section]`,
      },
      { args: ["fio", f("nojobs")], code: 2, message: `${f("nojobs")}: no job sections` },
      { args: ["fio", f("sqpoll")], code: 2, message: `${f("sqpoll")}:3: option sqthread_poll:` },
      {
        args: ["fio", f("sqpollcpu")],
        code: 2,
        message: `${f("sqpollcpu")}:2: option sqthread_poll_cpu: needs sqthread_poll`,
      },
      { args: ["fio", f("randrepeat")], code: 2, message: `${f("randrepeat")}:3: option randrepeat:` },
      { args: ["fio", f("bare")], code: 2, message: `${f("bare")}:3: option bs: needs a value` },
      {
        args: ["fio", f("env")],
        code: 2,
        message: `${f("env")}:3: environment variable DMASIM_UNSET_VARIABLE`,
      },
      {
        args: ["fio", f("length")],
        code: 2,
        message: `${
          f("length")
        }:1: job "j": a whole-device pass (no runtime=, number_ios=, size= or io_size=)`,
      },
      { args: ["fio", f("filename")], code: 2, message: `${f("filename")}:3: option filename: "/dev/sdb"` },
      {
        args: ["fio", f("numjobs")],
        code: 2,
        message: `${f("numjobs")}:3: option numjobs: expected at most 1`,
      },
      { args: ["fio", f("profile")], code: 2, message: `${f("profile")}:3: option dmasim_profile: "nope"` },
      {
        args: ["fio", f("iommu")],
        code: 2,
        message: `${f("iommu")}:3: option dmasim_iommu: expected one of`,
      },
      // Engine errors name the line that set the option (bs=1000 is line 4), not the [j] header's.
      {
        args: ["fio", f("align")],
        code: 2,
        message: `${f("align")}:4: job "j": option bs: must be a multiple of`,
      },
      {
        args: ["fio", f("globaldepth")],
        code: 2,
        message: `${f("globaldepth")}:3: job "j": option iodepth: expected an integer 1..4096`,
      },
      {
        args: ["fio", f("rwmod")],
        code: 2,
        message: `${f("rwmod")}:3: option rw: expected an integer`,
      },
      {
        args: ["fio", f("dist")],
        code: 2,
        message: `${f("dist")}:3: option random_distribution: "zipf:1": zipf theta must be above 0 and not 1`,
      },
      {
        args: ["fio", f("zonedabs")],
        code: 2,
        message: `${f("zonedabs")}:3: option random_distribution: "zoned_abs:50/10G:50/100G": not modelled`,
      },
      { args: ["fio", `${dir}/missing.fio`], code: 2, message: `${dir}/missing.fio: cannot read job file` },
      {
        args: ["fio", "--output-format=xml", f("unknown")],
        code: 2,
        message: "option --output-format: expected",
      },
      { args: ["fio"], code: 2, message: "missing required argument 'jobfile'" },
    ]);
  }));

Deno.test("dmasim fio exits 1 when a job's I/Os fail", () =>
  withTempDir(async (dir) => {
    // A drive that fails 10% of its commands with a media error.
    await Deno.writeTextFile(
      `${dir}/f.fio`,
      `[bad]\nioengine=io_uring\ndirect=1\nhipri\nbs=4k\niodepth=32\nnumber_ios=1000\n` +
        `dmasim_profile=${fixture("profile-media-errors.json")}\n`,
    );
    const r = await dmasim(["fio", "--output-format=json", `${dir}/f.fio`]);
    check(r.code === 1, "exit 1", r);
    // fio's io_u error line for each failed I/O that stopped the job, then dmasim's one line.
    const lines = r.stderr.trim().split("\n");
    check(
      lines.slice(0, -1).every((l) => l.startsWith("fio: io_u error on file /dev/nvme0n1: ")),
      "fio's lines",
      r,
    );
    check(
      lines[lines.length - 1].startsWith('dmasim fio: job "bad": stopped at a failed I/O (err=61'),
      "one line",
      r,
    );
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf("{")));
    check(json.jobs[0].error === 61, "the report still comes out, with fio's error set (ENODATA)", r);
  }));

Deno.test("dmasim fio reports blk-mq's requeues and nvme's retries under jobs[].dmasim.block_counters", () =>
  withTempDir(async (dir) => {
    // One PRP list page in the pool (128 KiB reads need one each: the rest wait on blk-mq's dispatch list) and
    // 10% media errors without DNR (retried): every read still succeeds.
    await Deno.writeTextFile(
      `${dir}/p.json`,
      JSON.stringify({
        ...JSON.parse(await Deno.readTextFile(fixture("profile-media-errors.json"))),
        nvme: { sgl_supported: false, pool_pages_max: 1 },
      }).replace('"media_error_ppm":100000', '"media_error_ppm":100000,"media_error_dnr":false'),
    );
    await Deno.writeTextFile(
      `${dir}/f.fio`,
      `[j]\nioengine=io_uring\ndirect=1\nrw=randread\nbs=128k\niodepth=32\nnumber_ios=500\n` +
        `dmasim_profile=${dir}/p.json\n`,
    );
    const r = await dmasim(["fio", "--output-format=json", `${dir}/f.fio`]);
    check(r.code === 0, "exit 0: nothing failed", r);
    const job = JSON.parse(r.stdout).jobs[0];
    const b = job.dmasim.block_counters;
    check(job.error === 0 && job.read.total_ios >= 500, "every read done", r);
    check(
      b.requeues > 0,
      `requeued for want of PRP pages: ${JSON.stringify(b)}`,
      r,
    );
    check(b.retries > 0, `media errors retried: ${JSON.stringify(b)}`, r);
  }));
