/**
 * `dmasim fio` side by side with real fio 3.33 (Debian's `fio` package;
 * `.ci/run` installs it when missing): the same jobs on a file through fio
 * and on a simulated drive through dmasim must print the same JSON key
 * paths and the same normal-output lines (values aside), and fio's own
 * tools (fio2gnuplot, fio_jsonplus_clat2csv) must read dmasim's output.
 */
import { check, dmasim, withTempDir } from "./fixtures/cli/harness.ts";

/** Key paths of a JSON value; percentile, bins and option maps are one path each (their keys are values). */
function keyPaths(v: unknown, p = ""): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => keyPaths(x, `${p}/${i}`));
  if (v !== null && typeof v === "object") {
    return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) =>
      ["percentile", "bins", "job options", "global options"].includes(k)
        ? [`${p}/${k}`]
        : keyPaths(x, `${p}/${k}`)
    );
  }
  return [p];
}

async function run(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function haveFio(): Promise<void> {
  const r = await run("fio", ["--version"], "/").catch(() => null);
  check(
    r !== null && r.stdout.trim() === "fio-3.33",
    `real fio 3.33 on PATH (apt-get install -y fio): ${r?.stdout}`,
  );
}

const JOB = (file: string, body: string) =>
  `[global]\nioengine=io_uring\ndirect=1\nbs=4k\niodepth=8\nfilename=${file}\nsize=16m\nnumber_ios=1500\n\n${body}`;

const JOBS: Record<string, string> = {
  randread: "[rr]\nrw=randread\n",
  randrw: "[mix]\nrw=randrw\nrwmixread=70\n",
  numjobs2: "[two]\nrw=randread\nnumjobs=2\n",
};

/** The normal output's line shapes: each line's label (text before the first value), in order. */
function shapes(text: string): string[] {
  return text.split("\n")
    // Percentile rows and latency-bucket lines depend on the values (how many fit a line, which are non-zero).
    .filter((l) => !/^\s+\|/.test(l) && !/^\s+lat \((nsec|usec|msec)\)\s+:/.test(l))
    .map((l) =>
      l.replace(/\s+\((nsec|usec|msec)\)/, " (unit)").replace(/[=:\[(].*$/, "").replace(/\d+/g, "N")
    );
}

Deno.test("dmasim fio prints every JSON key and output line real fio 3.33 prints for the same jobs", async () => {
  await haveFio();
  await withTempDir(async (dir) => {
    const data = `${dir}/data`;
    await Deno.writeFile(data, new Uint8Array(32 << 20));
    for (const [name, body] of Object.entries(JOBS)) {
      await Deno.writeTextFile(`${dir}/${name}.fio`, JOB(data, body));
      await Deno.writeTextFile(`${dir}/${name}.sim.fio`, JOB("/dev/nvme0n1", body));
      const real = await run("fio", ["--output-format=json", `${name}.fio`], dir);
      check(real.code === 0, `real fio ran ${name}: ${real.stderr}`);
      const sim = await dmasim([
        "fio",
        "--profile",
        "pcie5-nand",
        "--output-format=json",
        `${dir}/${name}.sim.fio`,
      ]);
      check(sim.code === 0, `dmasim ran ${name}`, sim);
      const a = JSON.parse(real.stdout.slice(real.stdout.indexOf("{")));
      const b = JSON.parse(sim.stdout);
      const mine = new Set(keyPaths(b));
      const missing = keyPaths(a).filter((k) => !mine.has(k));
      check(missing.length === 0, `${name}: keys fio prints and dmasim does not: ${missing.join(", ")}`, sim);
      check(b.jobs.length === a.jobs.length, `${name}: ${a.jobs.length} job entries`, sim);
      // iodepth_batch_complete_max defaults to iodepth_batch_complete_min (1): reaps of one, fio's "4" bucket.
      const reaps = (x: { jobs: { iodepth_complete: Record<string, number> }[] }) =>
        x.jobs[0].iodepth_complete["4"];
      check(
        reaps(a) >= 99 && reaps(b) >= 99,
        `${name}: reaps of 1..4 (fio ${reaps(a)}%, dmasim ${reaps(b)}%)`,
        sim,
      );
      const realText = await run("fio", [`${name}.fio`], dir);
      const simText = await dmasim(["fio", "--profile", "pcie5-nand", `${dir}/${name}.sim.fio`]);
      const want = shapes(realText.stdout).filter((l) => !l.startsWith("  vda") && !l.startsWith("  sda"));
      const got = shapes(simText.stdout).filter((l) => !l.startsWith("  nvme"));
      const at = want.findIndex((l, i) => l !== got[i]);
      check(
        at < 0 && want.length === got.length,
        `${name}: line ${at}: fio ${JSON.stringify(want[at])}, dmasim ${
          JSON.stringify(got[at])
        }\n${realText.stdout}`,
        simText,
      );
    }
  });
});

Deno.test("fio2gnuplot draws a dmasim bandwidth log; fio_jsonplus_clat2csv reads dmasim's json+", async () => {
  await haveFio();
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/log.fio`,
      `[lg]\nioengine=io_uring\ndirect=1\nbs=4k\niodepth=8\nfilename=/dev/nvme0n1\nrw=randread\n` +
        `time_based\nruntime=200ms\nlog_avg_msec=20\nwrite_bw_log=${dir}/dm\n`,
    );
    const r = await dmasim(["fio", "--output-format=json+", "--output", `${dir}/out.json`, `${dir}/log.fio`]);
    check(r.code === 0, "dmasim ran", r);
    const log = await Deno.readTextFile(`${dir}/dm_bw.1.log`);
    const rows = log.trim().split("\n").map((l) => l.split(", ").map(Number));
    check(rows.length >= 9 && rows.every((x) => x.length === 5 && x[1] > 0 && x[2] === 0), "bw log rows", r);
    check(rows.every((x, i) => x[0] === 20 * (i + 1)), "one row per 20 ms window", r);
    const plot = await run("fio2gnuplot", ["-p", "*_bw.*log", "-g", "-k"], dir);
    check(plot.code === 0, `fio2gnuplot: ${plot.stdout}${plot.stderr}`);
    const globalFile = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".global"));
    check(globalFile !== undefined, `fio2gnuplot's .global file: ${plot.stdout}`);
    const global = await Deno.readTextFile(`${dir}/${globalFile!.name}`);
    const max = Math.max(...rows.map((x) => x[1]));
    check(global.includes(`max=${max.toFixed(2)}`), `fio2gnuplot read the values: ${global}`);
    const pngs = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".png"));
    check(pngs.length > 0, "fio2gnuplot drew PNGs (gnuplot-nox installed)");
    const csv = await run("fio_jsonplus_clat2csv", [`${dir}/out.json`, `${dir}/clat`], dir);
    check(csv.code === 0, `fio_jsonplus_clat2csv: ${csv.stderr}`);
    const out = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("clat"));
    check(
      out.length > 0 && Deno.readTextFileSync(`${dir}/${out[0].name}`).split("\n").length > 3,
      "clat CSV",
    );
  });
});

/**
 * An LD_PRELOAD shim that fails every FAIL_EVERY-th pread with errno
 * FAIL_ERRNO: real fio's psync engine then sees the failed I/Os a media
 * error gives dmasim's drive (ENODATA), so both handle the same errors.
 */
const SHIM = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
static long n;
ssize_t pread64(int fd, void *b, size_t c, off_t o) {
  static ssize_t (*real)(int, void *, size_t, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pread64");
  if (++n % atol(getenv("FAIL_EVERY")) == 0) { errno = atoi(getenv("FAIL_ERRNO")); return -1; }
  return real(fd, b, c, o);
}
ssize_t pread(int fd, void *b, size_t c, off_t o) { return pread64(fd, b, c, o); }
`;

Deno.test("dmasim fio handles failed I/Os as real fio 3.33 does: stop, or continue with ignore_error", async () => {
  await haveFio();
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/shim.c`, SHIM);
    const cc = await run("cc", ["-shared", "-fPIC", "-o", "shim.so", "shim.c", "-ldl"], dir);
    check(cc.code === 0, `cc built the shim: ${cc.stderr}`);
    await Deno.writeFile(`${dir}/data`, new Uint8Array(4 << 20));
    const job = (file: string, extra: string) =>
      `[j]\nioengine=psync\nfilename=${file}\nrw=randread\nbs=4k\nsize=4m\nnumber_ios=100\n${extra}`;
    const env = { LD_PRELOAD: `${dir}/shim.so`, FAIL_EVERY: "10", FAIL_ERRNO: "61" };
    const ioErr = /^fio: io_u error on file \S+: No data available: read offset=\d+, buflen=4096$/m;
    for (const [extra, code] of [["", 1], ["ignore_error=61\n", 0]] as const) {
      await Deno.writeTextFile(`${dir}/r.fio`, job(`${dir}/data`, extra));
      await Deno.writeTextFile(
        `${dir}/s.fio`,
        job("/dev/nvme0n1", extra + "dmasim_media_error_ppm=100000\n"),
      );
      const fio = (args: string[]) =>
        new Deno.Command("fio", { args, cwd: dir, env, stdout: "piped", stderr: "piped" }).output().then((
          o,
        ) => ({
          code: o.code,
          stdout: new TextDecoder().decode(o.stdout),
          stderr: new TextDecoder().decode(o.stderr),
        }));
      const real = await fio(["--output-format=json", "r.fio"]);
      const sim = await dmasim(["fio", "-q", "--output-format=json", `${dir}/s.fio`]);
      check(real.code === code && sim.code === code, `${extra}: both exit ${code} (fio: ${real.code})`, sim);
      check(ioErr.test(real.stderr) === (code === 1), `fio's stderr: ${real.stderr}`);
      check(ioErr.test(sim.stderr) === (code === 1), "dmasim's stderr has fio's line as fio does", sim);
      // fio's thread_main line precedes the JSON on stdout when the job ended with an error.
      const pre = (s: string) => s.slice(0, s.indexOf("{")).replace(/pid=\d+/, "pid=0");
      check(
        pre(sim.stdout) === pre(real.stdout),
        `before the JSON: fio ${JSON.stringify(pre(real.stdout))}`,
        sim,
      );
      const a = JSON.parse(real.stdout.slice(real.stdout.indexOf("{")));
      const b = JSON.parse(sim.stdout.slice(sim.stdout.indexOf("{")));
      const mine = new Set(keyPaths(b));
      const missing = keyPaths(a).filter((k) => !mine.has(k));
      check(
        missing.length === 0,
        `${extra}: keys fio prints and dmasim does not: ${missing.join(", ")}`,
        sim,
      );
      check(a.jobs[0].error === 61 && b.jobs[0].error === 61, "error 61 in both", sim);
      for (const k of ["total_err", "first_error"]) {
        check((k in a.jobs[0]) === (k in b.jobs[0]), `${k} printed alike (fio: ${k in a.jobs[0]})`, sim);
      }
      if (code === 0) {
        // number_ios counts completed reads: failed ones are made up, and total_ios counts both.
        for (const x of [a, b]) {
          const r = x.jobs[0].read;
          check(r.io_bytes === 100 * 4096 && r.total_ios === 100 + x.jobs[0].total_err, "100 completed", sim);
        }
      }
      const realText = await fio(["r.fio"]);
      const simText = await dmasim(["fio", "-q", `${dir}/s.fio`]);
      const want = shapes(realText.stdout).filter((l) => !/^ {2}[vs]da/.test(l));
      const got = shapes(simText.stdout).filter((l) => !l.startsWith("  nvme"));
      const at = want.findIndex((l, i) => l !== got[i]);
      check(
        at < 0 && want.length === got.length,
        `${extra}: line ${at}: fio ${JSON.stringify(want[at])}, dmasim ${
          JSON.stringify(got[at])
        }\n${realText.stdout}`,
        simText,
      );
    }
  });
});

/** verify= types and their verify.h numbers, as real fio writes them (verify_pattern for the pattern ones). */
const VERIFY_CASES: [string, number, string][] = [
  ["crc32c", 5, ""],
  ["crc32c-intel", 5, ""],
  ["md5", 2, ""],
  ["crc64", 3, ""],
  ["crc32", 4, ""],
  ["crc16", 7, ""],
  ["crc7", 8, ""],
  ["xxhash", 15, ""],
  ["sha1", 16, ""],
  ["meta", 1, "verify_pattern=0xaa555aa5\n"],
  ["pattern", 18, "verify_pattern=0xaa555aa5\n"],
  ["crc32c", 5, "verify_interval=512\nverify_offset=64\n"],
];

Deno.test("dmasim's verify accepts every block real fio 3.33 wrote, for each type, and rejects a flipped byte", async () => {
  await haveFio();
  const { System } = await import("../src/system.ts");
  const { w } = await import("../src/wasm.ts");
  await withTempDir(async (dir) => {
    new System();
    const p = w.scratch_ptr();
    const mem = () => new Uint8Array(w.memory.buffer);
    for (const [type, num, extra] of VERIFY_CASES) {
      await Deno.writeTextFile(
        `${dir}/w.fio`,
        `[w]\nioengine=psync\nfilename=${dir}/vf\nrw=write\nbs=4k\nsize=64k\nverify=${type}\ndo_verify=0\n${extra}`,
      );
      await Deno.remove(`${dir}/vf`).catch(() => {});
      const r = await run("fio", ["w.fio"], dir);
      check(r.code === 0, `fio wrote ${type}: ${r.stderr}`);
      const data = await Deno.readFile(`${dir}/vf`);
      const interval = /verify_interval=(\d+)/.exec(extra)?.[1] ?? "4096";
      const voff = Number(/verify_offset=(\d+)/.exec(extra)?.[1] ?? 0);
      const pat = extra.includes("pattern") ? [0xaa, 0x55, 0x5a, 0xa5] : [];
      mem().set(pat, p + 8192);
      const checkBlock = (k: number, block: Uint8Array) => {
        mem().set(block, p);
        return w.verify_check(
          0,
          p,
          4096,
          num,
          Number(interval),
          voff,
          0n,
          0,
          BigInt(k * 4096),
          k,
          1,
          0,
          p + 8192,
          pat.length,
        );
      };
      for (let k = 0; k < 16; k++) {
        const block = data.slice(k * 4096, (k + 1) * 4096);
        check(checkBlock(k, block) === 0, `${type} ${extra}: fio's block ${k} verifies`);
        // In the last interval: fio's verify_io_u returns the last interval's result (an earlier bad one is
        // logged, and the block passes unless verify_fatal).
        block[4096 - Number(interval) + voff + 100] ^= 0xff;
        check(checkBlock(k, block) === 84, `${type} ${extra}: block ${k} with a flipped byte fails`);
      }
    }
  });
});

Deno.test("dmasim fio verify prints what real fio 3.33 prints: a clean pass, and a bad block's lines", async () => {
  await haveFio();
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/cshim.c`, CORRUPT_SHIM);
    const cc = await run("cc", ["-shared", "-fPIC", "-o", "cshim.so", "cshim.c", "-ldl"], dir);
    check(cc.code === 0, `cc built the shim: ${cc.stderr}`);
    const job = (engine: string, file: string, extra: string) =>
      `[v]\nioengine=${engine}\ndirect=1\nfilename=${file}\nrw=write\nbs=4k\nsize=256k\niodepth=8\nverify=crc32c\n${extra}`;
    // A clean pass through io_uring: the JSON keys and the normal output's lines.
    await Deno.writeTextFile(`${dir}/r.fio`, job("io_uring", `${dir}/vf`, ""));
    await Deno.writeTextFile(`${dir}/s.fio`, job("io_uring", "/dev/nvme0n1", ""));
    const real = await run("fio", ["--output-format=json", "r.fio"], dir);
    const sim = await dmasim(["fio", "-q", "--output-format=json", `${dir}/s.fio`]);
    check(real.code === 0 && sim.code === 0, `both pass: ${real.stderr}`, sim);
    const a = JSON.parse(real.stdout.slice(real.stdout.indexOf("{")));
    const b = JSON.parse(sim.stdout);
    const mine = new Set(keyPaths(b));
    const missing = keyPaths(a).filter((k) => !mine.has(k));
    check(missing.length === 0, `keys fio prints and dmasim does not: ${missing.join(", ")}`, sim);
    for (const x of [a, b]) {
      check(
        x.jobs[0].read.total_ios === 64 && x.jobs[0].write.total_ios === 64,
        "64 written, 64 verified",
        sim,
      );
    }
    const realText = await run("fio", ["r.fio"], dir);
    const simText = await dmasim(["fio", "-q", `${dir}/s.fio`]);
    // fio lays the file out first (a line dmasim's drive has no need for).
    const want = shapes(realText.stdout).filter((l) => !/^ {2}[vs]da/.test(l) && !/^v: Laying out/.test(l));
    const got = shapes(simText.stdout).filter((l) => !l.startsWith("  nvme"));
    const at = want.findIndex((l, i) => l !== got[i]);
    check(
      at < 0 && want.length === got.length,
      `line ${at}: fio ${JSON.stringify(want[at])}, dmasim ${JSON.stringify(got[at])}\n${realText.stdout}`,
      simText,
    );
    // A bad block: psync, the 3rd read back has byte 100 flipped (a shim in real fio, the hook in dmasim).
    // (iodepth=1: fio notes on stdout that a synchronous engine caps a deeper one.)
    await Deno.writeTextFile(`${dir}/r.fio`, job("psync", `${dir}/vf`, "").replace("iodepth=8", "iodepth=1"));
    await Deno.writeTextFile(
      `${dir}/s.fio`,
      job("psync", "/dev/nvme0n1", "dmasim_corrupt_write=3:100\n").replace("iodepth=8", "iodepth=1"),
    );
    const env = { LD_PRELOAD: `${dir}/cshim.so`, CORRUPT_NTH: "3", CORRUPT_AT: "100" };
    const bad = await new Deno.Command("fio", {
      args: ["r.fio"],
      cwd: dir,
      env,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const badOut = new TextDecoder().decode(bad.stdout);
    const badErr = new TextDecoder().decode(bad.stderr).split("\n");
    const simBad = await dmasim(["fio", "-q", `${dir}/s.fio`]);
    check(bad.code === 1 && simBad.code === 1, `both exit 1 (fio: ${bad.code})`, simBad);
    const simErr = simBad.stderr.split("\n").filter((l) => !l.startsWith("dmasim fio:"));
    check(
      simErr[0] === badErr[0].replace(`${dir}/vf`, "/dev/nvme0n1"),
      `the verify line: fio ${JSON.stringify(badErr[0])}`,
      simBad,
    );
    check(
      badErr[1].startsWith("       Expected CRC: ") && simErr[1].startsWith("       Expected CRC: ") &&
        badErr[2].startsWith("       Received CRC: ") && simErr[2].startsWith("       Received CRC: "),
      "the CRC lines",
      simBad,
    );
    const pidLine = (s: string) =>
      s.split("\n").find((l) => l.startsWith("fio: pid="))?.replace(/pid=\d+/, "pid=0");
    check(pidLine(simBad.stdout) === pidLine(badOut), `fio's thread line: ${pidLine(badOut)}`, simBad);
    // verify_backlog=16: both find the 20th block's flipped byte after 32 writes and 20 reads.
    await Deno.writeTextFile(
      `${dir}/rb.fio`,
      job("psync", `${dir}/vf`, "verify_backlog=16\n").replace("iodepth=8", "iodepth=1"),
    );
    await Deno.writeTextFile(
      `${dir}/sb.fio`,
      job("psync", "/dev/nvme0n1", "verify_backlog=16\ndmasim_corrupt_write=20:100\n").replace(
        "iodepth=8",
        "iodepth=1",
      ),
    );
    await Deno.remove(`${dir}/vf`).catch(() => {});
    const rb = await new Deno.Command("fio", {
      args: ["--output-format=json", "rb.fio"],
      cwd: dir,
      env: { ...env, CORRUPT_NTH: "20" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const rbOut = new TextDecoder().decode(rb.stdout);
    const rj = JSON.parse(rbOut.slice(rbOut.indexOf("{"))).jobs[0];
    const sb = await dmasim(["fio", "-q", "--output-format=json", `${dir}/sb.fio`]);
    const sj = JSON.parse(sb.stdout.slice(sb.stdout.indexOf("{"))).jobs[0];
    check(
      rj.error === 84 && sj.error === 84 && rj.write.total_ios === sj.write.total_ios &&
        rj.read.total_ios === sj.read.total_ios,
      `verify_backlog: fio ${rj.write.total_ios} writes, ${rj.read.total_ios} reads`,
      sb,
    );
    const want2 = shapes(badOut).filter((l) => !/^ {2}[vs]da/.test(l) && !/^v: Laying out/.test(l));
    const got2 = shapes(simBad.stdout).filter((l) => !l.startsWith("  nvme"));
    const at2 = want2.findIndex((l, i) => l !== got2[i]);
    check(
      at2 < 0 && want2.length === got2.length,
      `bad block: line ${at2}: fio ${JSON.stringify(want2[at2])}, dmasim ${
        JSON.stringify(got2[at2])
      }\n${badOut}`,
      simBad,
    );
  });
});

/** An LD_PRELOAD shim that flips byte CORRUPT_AT of the CORRUPT_NTH-th pread's data (a bad block read back). */
const CORRUPT_SHIM = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/types.h>
static long n;
ssize_t pread64(int fd, void *b, size_t c, off_t o) {
  static ssize_t (*real)(int, void *, size_t, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pread64");
  ssize_t r = real(fd, b, c, o);
  if (++n == atol(getenv("CORRUPT_NTH")) && r > 0) ((unsigned char *)b)[atol(getenv("CORRUPT_AT"))] ^= 0xff;
  return r;
}
ssize_t pread(int fd, void *b, size_t c, off_t o) { return pread64(fd, b, c, o); }
`;
