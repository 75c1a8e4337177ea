/**
 * `dmasim fio` verify as fio 3.33 does it (verify.c): a writing job puts a
 * verify header and checksum in every block, then reads its writes back and
 * checks them, with fio's messages for a bad block. The blocks carry real
 * bytes through the simulated drive (a functional run); a test hook,
 * dmasim_corrupt_write=N:BYTE, flips a byte of the N-th write after its
 * checksum, so the read-back must find it.
 */
import { check, checkBadCases, dmasim, withTempDir } from "./fixtures/cli/harness.ts";

const JOB = (extra: string) =>
  "[v]\nioengine=io_uring\ndirect=1\nfilename=/dev/nvme0n1\nrw=write\nbs=4k\nsize=256k\niodepth=8\n" + extra;

interface Dir {
  total_ios: number;
  io_bytes: number;
  runtime: number;
}
interface Out {
  code: number;
  stdout: string;
  stderr: string;
  job: { error: number; read: Dir; write: Dir; total_err?: number; first_error?: number };
}

async function run(dir: string, extra: string, args: string[] = []): Promise<Out> {
  await Deno.writeTextFile(`${dir}/v.fio`, JOB(extra));
  const r = await dmasim(["fio", "-q", "--output-format=json", ...args, `${dir}/v.fio`]);
  const json = r.stdout.indexOf("{") >= 0 ? JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) : null;
  return { ...r, job: json?.jobs[0] };
}

/** stderr without dmasim's notes. */
const fioErr = (r: Out) => r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("dmasim fio: note:"));

Deno.test("dmasim fio verify writes, reads every block back and passes, for each type", () =>
  withTempDir(async (dir) => {
    const types = [
      "crc32c",
      "crc32c-intel",
      "md5",
      "crc64",
      "crc32",
      "crc16",
      "crc7",
      "xxhash",
      "sha1",
      "meta",
      "null",
      "pattern\nverify_pattern=0xaa555aa5",
      "crc32c\nverify_interval=512\nverify_offset=64",
      "md5\nverify_pattern='dmasim'",
    ];
    for (const t of types) {
      const r = await run(dir, `verify=${t}\n`);
      check(r.code === 0 && r.job.error === 0, `verify=${t}: exit 0, no error`, r);
      check(r.job.write.total_ios === 64 && r.job.read.total_ios === 64, `${t}: 64 written, 64 read back`, r);
      check(r.job.read.io_bytes === 256 * 1024, `${t}: the read-back is in the read figures`, r);
      check(fioErr(r).length === 0, `${t}: no verify message`, r);
    }
  }));

Deno.test("dmasim fio verify's random writes take each block once (fio's random map)", () =>
  withTempDir(async (dir) => {
    // Drawn with replacement, 64 random writes over 64 blocks hit some twice: the older piece would then
    // fail its check. fio's random map (and dmasim's for verify) writes each block once per pass.
    const r = await run(dir, "rw=randwrite\nverify=crc32c\n");
    check(r.code === 0 && r.job.read.total_ios === 64, "every block verified", r);
  }));

Deno.test("dmasim fio verify finds a corrupted block and stops with EILSEQ, as fio does", () =>
  withTempDir(async (dir) => {
    const r = await run(dir, "verify=crc32c\ndmasim_corrupt_write=3:100\n");
    check(r.code === 1, "exit 1", r);
    const lines = fioErr(r);
    check(
      lines[0] ===
          "crc32c: verify failed at file /dev/nvme0n1 offset 8192, length 4096 (requested block: offset=8192, length=4096, flags=88)" &&
        /^ {7}Expected CRC: [0-9a-f]{8}$/.test(lines[1]) &&
        /^ {7}Received CRC: [0-9a-f]{8}$/.test(lines[2]) &&
        lines[1].slice(-8) !== lines[2].slice(-8),
      "fio's log_verify_failure lines",
      r,
    );
    check(
      r.stdout.startsWith(
        "fio: pid=0, err=84/file:io_u.c:2190, func=io_u_queued_complete, error=Invalid or incomplete multibyte or wide character\n",
      ),
      "thread_main's line",
      r,
    );
    check(r.job.error === 84, "error 84 (EILSEQ)", r);
    check(r.job.read.total_ios < 64 && r.job.write.total_ios === 64, "the read-back stopped", r);
    // The header's own fields, in verify_header's order (fio 3.33 prints these for the same byte flips).
    const hdr: [number, string][] = [
      [0, "verify: bad magic header ac35, wanted acca"],
      [4, "verify: bad header length 4351, wanted 4096"],
      [16, "verify: bad header offset 8447, wanted 8192"],
      [34, "verify: bad header numberio 253, wanted 2"],
      [36, "verify: bad header crc "],
    ];
    for (const [at, msg] of hdr) {
      const h = await run(dir, `verify=crc32c\ndmasim_corrupt_write=3:${at}\n`);
      check(
        h.code === 1 && fioErr(h)[0].startsWith(msg) &&
          fioErr(h)[0].endsWith(
            " at file /dev/nvme0n1 offset 8192, length 4096 (requested block: offset=8192, length=4096)",
          ),
        `byte ${at}: ${msg}`,
        h,
      );
    }
    const pat = await run(dir, "verify=pattern\nverify_pattern=0xaa555aa5\ndmasim_corrupt_write=3:100\n");
    check(
      fioErr(pat)[0] === "fio: got pattern '55', wanted 'aa'. Bad bits 8" &&
        fioErr(pat)[1] === "fio: bad pattern block offset 100" &&
        fioErr(pat)[2].startsWith("pattern: verify failed"),
      "verify_io_u_pattern's lines",
      pat,
    );
  }));

Deno.test("dmasim fio continue_on_error=verify counts a bad block and goes on; verify_fatal ends the job", () =>
  withTempDir(async (dir) => {
    const r = await run(dir, "verify=md5\ncontinue_on_error=verify\ndmasim_corrupt_write=3:100\n");
    check(r.code === 0, "exit 0: EILSEQ is non-fatal for continue_on_error=verify", r);
    check(r.job.total_err === 1 && r.job.first_error === 84 && r.job.error === 84, "counted", r);
    check(r.job.read.total_ios === 64, "every block read back", r);
    check(fioErr(r)[0].startsWith("md5: verify failed at file /dev/nvme0n1 offset 8192"), "logged", r);
    const f = await run(
      dir,
      "verify=md5\ncontinue_on_error=verify\nverify_fatal=1\ndmasim_corrupt_write=3:100\n",
    );
    check(f.code === 0 && f.job.read.total_ios < 64, "verify_fatal: the job ends at the bad block", f);
  }));

Deno.test("dmasim fio verify_backlog reads writes back in batches between writes (check_get_verify)", () =>
  withTempDir(async (dir) => {
    const psync = "ioengine=psync\niodepth=1\n";
    // Every 16 writes not yet read back, a batch of 16 reads of the oldest: the 20th write's bad block is
    // found after 32 writes and 20 reads (real fio 3.33 with the same job and a shim flipping the byte: the same).
    const r = await run(dir, psync + "verify=crc32c\nverify_backlog=16\ndmasim_corrupt_write=20:100\n");
    check(r.code === 1 && r.job.write.total_ios === 32 && r.job.read.total_ios === 20, "found mid-write", r);
    check(fioErr(r)[0].includes("verify failed at file /dev/nvme0n1 offset 77824"), "the 20th block", r);
    const all = await run(dir, psync + "verify=crc32c\ndmasim_corrupt_write=20:100\n");
    check(
      all.job.write.total_ios === 64 && all.job.read.total_ios === 20,
      "without backlog: after all writes",
      all,
    );
    const clean = await run(dir, "verify=crc32c\nverify_backlog=16\nverify_backlog_batch=4\n");
    check(
      clean.code === 0 && clean.job.read.total_ios === 64,
      "a clean run reads every block back once",
      clean,
    );
  }));

Deno.test("dmasim fio verify leaves out writes that failed (continue_on_error past media errors)", () =>
  withTempDir(async (dir) => {
    // Half the drive's commands fail (ENODATA; the block layer retries some): 32 writes must complete, the
    // failed ones are made up and leave the verification list, as fio's unlog_io_piece does.
    const r = await run(
      dir,
      "verify=crc32c\nnumber_ios=32\ndmasim_media_error_ppm=500000\ncontinue_on_error=io\nignore_error=61,61\n",
    );
    check(r.code === 0, "exit 0", r);
    check(
      r.job.write.io_bytes === 32 * 4096 && r.job.write.total_ios > 32,
      "32 writes completed, more issued",
      r,
    );
    check(r.job.read.total_ios === 32, "only the 32 completed writes are read back", r);
    check(fioErr(r).length === 0, "no verify failure: no failed write is checked", r);
    check((r.job.total_err ?? 0) > 0 && r.job.first_error === 61, "the media errors counted", r);
  }));

Deno.test("dmasim fio verify keeps a runtime per direction: writes, then the read-back", () =>
  withTempDir(async (dir) => {
    const r = await run(dir, "verify=crc32c\nsize=16m\niodepth=1\n");
    check(r.code === 0 && r.job.read.runtime > 0 && r.job.write.runtime > 0, "both directions timed", r);
    // Each phase is 4096 I/Os at depth 1: similar durations, not the whole job's for each.
    check(
      r.job.read.runtime < 0.75 * (r.job.read.runtime + r.job.write.runtime),
      "read runtime is its own",
      r,
    );
  }));

Deno.test("dmasim fio refuses verify settings it does not model, naming the option and line", () =>
  withTempDir(async (dir) => {
    const f = (name: string, extra: string) => {
      Deno.writeTextFileSync(`${dir}/${name}.fio`, JOB(extra));
      return `${dir}/${name}.fio`;
    };
    await checkBadCases([
      {
        args: ["fio", f("sha", "verify=sha256\n")],
        code: 2,
        message: "v.fio".replace("v", "sha") + ":9: option verify",
      },
      {
        args: ["fio", f("read", "rw=read\nverify=crc32c\n")],
        code: 2,
        message: "option rw: not modelled with verify",
      },
      {
        args: ["fio", f("mix", "rw=randrw\nverify=crc32c\n")],
        code: 2,
        message: "option rw: not modelled with verify: a read/write mix",
      },
      {
        args: ["fio", f("pat", "verify_pattern=%o\n")],
        code: 2,
        message: ":9: option verify_pattern: not modelled",
      },
      {
        args: ["fio", f("voff", "verify=crc32c\nverify_offset=4090\n")],
        code: 2,
        message: "option verify_offset: 4090 + the 44-byte header is past the 4096-byte interval",
      },
      {
        args: ["fio", f("int", "verify=crc32c\nverify_interval=10\n")],
        code: 2,
        message: ":10: option verify_interval",
      },
      {
        args: ["fio", f("big", "size=1g\nverify=crc32c\n")],
        code: 2,
        message: "at most memory.media_mib = 256 MiB",
      },
      {
        args: ["fio", f("dmabuf", "verify=crc32c\ndmasim_buffers=dmabuf\n")],
        code: 2,
        message: "option dmasim_buffers: not modelled with verify",
      },
      {
        args: ["fio", f("hook", "dmasim_corrupt_write=2\n")],
        code: 2,
        message: ':9: job "v": option dmasim_corrupt_write: needs verify=',
      },
      {
        args: ["fio", f("only", "verify=crc32c\nverify_only=1\n")],
        code: 2,
        message: ':10: option "verify_only" is not modelled by dmasim',
      },
    ]);
  }));
