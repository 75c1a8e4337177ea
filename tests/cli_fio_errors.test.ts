/**
 * `dmasim fio` and failed I/Os, as fio 3.33 handles them (td_error.c,
 * backend.c break_on_this_error, io_u.c __io_u_log_error): without
 * continue_on_error a job stops at its first failed I/O, logs it, reports
 * its errno and the run exits 1; continue_on_error goes on past the types
 * it names only for the errnos fio counts as non-fatal (EIO, EILSEQ, or an
 * ignore_error= list), counting them in total_err/first_error. The errors
 * are the drive's injected media errors (-ENODATA, BLK_STS_MEDIUM), set
 * from the job file with dmasim_media_error_ppm=.
 */
import { check, checkBadCases, dmasim, withTempDir } from "./fixtures/cli/harness.ts";

/** 100 reads at depth 1 from a drive that fails 10% of its commands. */
const JOB = "[j]\nioengine=io_uring\ndirect=1\nfilename=/dev/nvme0n1\nrw=randread\nbs=4k\niodepth=1\n" +
  "number_ios=100\nsize=1g\ndmasim_media_error_ppm=100000\n";

interface Out {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> & { read: { total_ios: number } };
}

async function run(dir: string, extra: string, format = "json"): Promise<Out> {
  await Deno.writeTextFile(`${dir}/e.fio`, JOB + extra);
  const r = await dmasim(["fio", "-q", `--output-format=${format}`, `${dir}/e.fio`]);
  const at = r.stdout.indexOf("{");
  return { ...r, json: format === "json" ? JSON.parse(r.stdout.slice(at)).jobs[0] : {} as Out["json"] };
}

Deno.test("dmasim fio stops a job at its first failed I/O and exits 1, with fio's lines", () =>
  withTempDir(async (dir) => {
    const r = await run(dir, "");
    check(r.code === 1, "exit 1 (td->error)", r);
    const line =
      /^fio: io_u error on file \/dev\/nvme0n1: No data available: read offset=(\d+), buflen=4096$/m
        .exec(r.stderr);
    check(line !== null && Number(line[1]) % 4096 === 0, "fio's io_u error line on stderr", r);
    check(
      r.stdout.startsWith("fio: pid=0, err=61/file:io_u.c:1876, func=io_u error, error=No data available\n{"),
      "thread_main's line before the JSON",
      r,
    );
    check(r.json.error === 61, "error is the errno (ENODATA)", r);
    check(
      !("total_err" in r.json) && !("first_error" in r.json),
      "no total_err without continue_on_error",
      r,
    );
    // At depth 1 nothing else is in flight: the failed read is the last issued.
    check(r.json.read.total_ios < 100, "the job stopped early", r);
    const read = r.json.read as unknown as { io_bytes: number; clat_ns: { N: number } };
    check(
      read.clat_ns.N === r.json.read.total_ios - 1,
      "total_ios counts the failed one, latencies do not",
      r,
    );
    check(read.io_bytes === read.clat_ns.N * 4096, "bytes of the completed ones", r);
    const text = await run(dir, "", "normal");
    check(
      text.stdout.includes(
        "j: (groupid=0, jobs=1): err=61 (file:io_u.c:1876, func=io_u error, error=No data available): pid=0",
      ),
      "the job line carries fio's verror",
      text,
    );
    const issued = /issued rwts: total=(\d+),/.exec(text.stdout);
    check(
      issued !== null && Number(issued[1]) === r.json.read.total_ios,
      "issued as total_ios (the failed one included)",
      text,
    );
    check(!text.stdout.includes("errors    :"), "no errors line without continue_on_error", text);
  }));

Deno.test("dmasim fio continue_on_error goes on past EIO/EILSEQ only: ENODATA still stops the job", () =>
  withTempDir(async (dir) => {
    const r = await run(dir, "continue_on_error=read\n");
    check(r.code === 1, "ENODATA is not in fio's default non-fatal list: exit 1", r);
    check(r.json.error === 61 && r.json.total_err === 1 && r.json.first_error === 61, "counted once", r);
    check(r.json.read.total_ios < 100, "stopped", r);
  }));

Deno.test("dmasim fio ignore_error=61 goes on, counts the errors and makes up number_ios", () =>
  withTempDir(async (dir) => {
    for (const extra of ["ignore_error=61\n", "continue_on_error=read\nignore_error=61:EIO\n"]) {
      const r = await run(dir, extra);
      check(r.code === 0, `${extra}: exit 0 (non-fatal errors clear td->error)`, r);
      check(r.stderr.split("\n").every((l) => !l.startsWith("fio:")), "no io_u error lines", r);
      check(r.stdout.startsWith("{"), "no thread error line", r);
      // number_ios counts completed I/Os (io_blocks): failed ones are made up; total_ios counts both.
      const total = r.json.total_err as number;
      const read = r.json.read as unknown as { io_bytes: number; clat_ns: { N: number } };
      check(read.clat_ns.N === 100 && read.io_bytes === 100 * 4096, "100 reads completed", r);
      check(r.json.read.total_ios === 100 + total, "total_ios = completed + failed", r);
      check(
        total > 0 && r.json.first_error === 61 && r.json.error === 61,
        "total_err, first_error, error",
        r,
      );
      const text = await run(dir, extra, "normal");
      check(text.stdout.includes("j: (groupid=0, jobs=1): err=61 (): pid=0"), "fio's empty verror", text);
      check(
        text.stdout.includes(`issued rwts: total=${100 + total},0,0,0`),
        "issued counts the failed ones",
        text,
      );
      check(
        text.stdout.includes(`     errors    : total=${total}, first_error=61/<No data available>\n`),
        "fio's errors line",
        text,
      );
      const terse = await run(dir, extra, "terse");
      check(terse.stdout.trim().endsWith(`;${total};61`), "terse appends total_err;first_error", terse);
    }
    // continue_on_error= after ignore_error= replaces its bits (options.c sets the value).
    const r = await run(dir, "ignore_error=61\ncontinue_on_error=none\n");
    check(r.code === 1 && r.json.read.total_ios < 100, "continue_on_error=none after ignore_error stops", r);
  }));

Deno.test("dmasim fio dmasim_media_error_ppm sets the drive's media errors; 0 means none", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ok.fio`, JOB.replace("100000", "0"));
    const r = await dmasim(["fio", "-q", "--output-format=json", `${dir}/ok.fio`]);
    check(r.code === 0 && JSON.parse(r.stdout).jobs[0].read.total_ios === 100, "no errors at 0 ppm", r);
  }));

Deno.test("dmasim fio refuses bad error options naming the option and line", () =>
  withTempDir(async (dir) => {
    const f = (name: string, line: string) => {
      Deno.writeTextFileSync(`${dir}/${name}.fio`, JOB + line + "\n");
      return `${dir}/${name}.fio`;
    };
    await checkBadCases([
      {
        args: ["fio", f("coe", "continue_on_error=maybe")],
        code: 2,
        message: `${dir}/coe.fio:11: option continue_on_error`,
      },
      {
        args: ["fio", f("ign", "ignore_error=ENODATA")],
        code: 2,
        message: `${dir}/ign.fio:11: option ignore_error: unknown error "ENODATA", use its number`,
      },
      {
        args: ["fio", f("ign4", "ignore_error=5,5,5,5")],
        code: 2,
        message: `${dir}/ign4.fio:11: option ignore_error: expected at most 3 lists`,
      },
      {
        args: ["fio", f("dump", "error_dump=1")],
        code: 2,
        message: `${dir}/dump.fio:11: option error_dump: not modelled`,
      },
      {
        args: ["fio", f("ppm", "dmasim_media_error_ppm=2000000")],
        code: 2,
        message: `${dir}/ppm.fio:11: option dmasim_media_error_ppm`,
      },
    ]);
  }));
