// nvme's retry of failed commands (nvme/pci.ts nvme_complete_cmd, as
// nvme_complete_rq → nvme_decide_disposition → nvme_retry_req in
// drivers/nvme/host/core.c): a media error without DNR (devices[].media_error_dnr
// false) is requeued through blk-mq's q->requeue_list (block/blk_mq.ts
// blk_mq_requeue_request, blk_mq_requeue_work) and issued again — a fresh
// command, a fresh draw of the injected error — up to nvme.max_retries times;
// with DNR (the default) or max_retries 0 it fails at once with -ENODATA.
import assert from "node:assert/strict";
import {
  cqeSeen,
  getSqe,
  IORING_SETUP_IOPOLL,
  OPTANE_P5800X,
  prepRead,
  ProfileError,
  runUring,
  sqeSetData64,
  submit,
  System,
  waitCqe,
} from "../mod.ts";
import { MiB, openDrive, patternMismatch, writePattern } from "./helpers.ts";

const ENODATA = 61;
const READ_LATENCY_NS = 5000;

/** One drive with `ppm` media errors, DNR per `dnr`, nvme.max_retries `maxRetries` (unset: the profile's). */
function retryMachine(ppm: number, dnr: boolean | undefined, maxRetries?: number, ringFlags = 0) {
  const drive: Record<string, unknown> = {
    ...OPTANE_P5800X.devices[0],
    media_error_ppm: ppm,
    read_latency_ns: READ_LATENCY_NS,
    write_latency_ns: READ_LATENCY_NS,
    latency_jitter_ns: 0,
  };
  if (dnr !== undefined) drive.media_error_dnr = dnr;
  const sys = new System({
    profile: {
      base: "optane-p5800x",
      iommu: { mode: "strict" },
      ...(maxRetries === undefined ? {} : { nvme: { max_retries: maxRetries } }),
      devices: [drive],
    },
  });
  return openDrive(sys, 64, ringFlags);
}

/** Read `n` 4 KiB blocks (block i at i × 4 KiB) `depth` at a time: each CQE's res, the buffers, when done. */
function readBlocks(m: ReturnType<typeof retryMachine>, n: number, depth: number) {
  const res: number[] = new Array(n);
  const bufs = Array.from({ length: n }, () => m.sys.mmapAnon(4096));
  for (let base = 0; base < n; base += depth) {
    const k = Math.min(depth, n - base);
    for (let i = base; i < base + k; i++) {
      const sqe = getSqe(m.ring)!;
      prepRead(sqe, m.fd, bufs[i], 4096, i * 4096);
      sqeSetData64(sqe, i);
    }
    assert.equal(submit(m.ring), k);
    for (let j = 0; j < k; j++) {
      const [err, cqe] = waitCqe(m.ring);
      assert.equal(err, 0);
      res[Number(cqe!.userData)] = cqe!.res;
      cqeSeen(m.ring, cqe);
    }
  }
  return { res, bufs, tNs: m.sys.coreTimeNs(0) };
}

for (const [name, flags] of [["interrupts", 0], ["IOPOLL", IORING_SETUP_IOPOLL]] as const) {
  Deno.test(`nvme retry (${name}): with DNR clear and 10% media errors every read succeeds, with the right data, after ~10% retries`, () => {
    // The data is written with errors off; a second machine would not see it, so write on this one: with DNR
    // clear the writes are retried too and succeed.
    const m = retryMachine(100_000, false, undefined, flags);
    writePattern(m, 2 * MiB);
    const before = m.sys.blkMqCounters().retries;
    const n = 512;
    const { res, bufs } = readBlocks(m, n, 32);
    res.forEach((r, i) => assert.equal(r, 4096, `read ${i}`));
    bufs.forEach((b, i) => {
      const got = m.sys.readUser(b, 4096);
      assert.ok(got instanceof Uint8Array);
      assert.equal(patternMismatch(got, i * 4096), -1, `read ${i} data`);
    });
    const retries = m.sys.blkMqCounters().retries - before;
    // Each command fails with p = 0.1, a retry is a fresh draw: n·p/(1-p) ≈ 57 retries expected.
    assert.ok(retries > 30 && retries < 90, `retries ${retries}`);
    assert.equal(m.sys.nvmeRetries(0), m.sys.blkMqCounters().retries, "per controller = blk-mq's count");
    assert.equal(m.sys.blkMqCounters().waiting, 0);
  });
}

Deno.test("nvme retry: with DNR set (the default) or nvme.max_retries 0 a media error fails the read at once with -ENODATA", () => {
  for (const [dnr, maxRetries] of [[undefined, undefined], [true, 5], [false, 0]] as const) {
    const m = retryMachine(100_000, dnr, maxRetries);
    const { res } = readBlocks(m, 512, 32);
    const failed = res.filter((r) => r === -ENODATA).length;
    assert.ok(failed > 25 && failed < 80, `dnr ${dnr}, max_retries ${maxRetries}: ${failed} failed`);
    assert.equal(res.filter((r) => r !== 4096 && r !== -ENODATA).length, 0);
    assert.equal(m.sys.blkMqCounters().retries, 0);
    assert.equal(m.sys.nvmeRetries(0), 0);
  }
});

Deno.test("nvme retry: a command that fails every time ends with -ENODATA after exactly nvme.max_retries retries, each a new command", () => {
  const elapsed: number[] = [];
  for (const maxRetries of [0, 2, 5, undefined]) {
    const m = retryMachine(1_000_000, false, maxRetries);
    const t0 = m.sys.coreTimeNs(0);
    const cmds0 = m.sys.deviceCommands(0);
    const { res, tNs } = readBlocks(m, 1, 1);
    const expect = maxRetries ?? 5; // the kernel's default
    assert.deepEqual(res, [-ENODATA]);
    assert.equal(m.sys.blkMqCounters().retries, expect);
    assert.equal(m.sys.nvmeRetries(0), expect);
    // Every attempt is a new command the controller processes.
    assert.equal(m.sys.deviceCommands(0) - cmds0, expect + 1);
    elapsed.push(tNs - t0);
  }
  // Each retry costs a completion and a new submission round trip: the time grows linearly with the retries.
  const [t0r, t2r, t5r, tDefault] = elapsed;
  assert.equal(tDefault, t5r, "nvme.max_retries defaults to 5");
  assert.ok(t2r > t0r && t5r > t2r, `${elapsed}`);
  const perRetry = (t5r - t0r) / 5;
  assert.ok(Math.abs((t2r - t0r) / 2 - perRetry) < 0.2 * perRetry, `per retry ${perRetry} ns: ${elapsed}`);
});

Deno.test("nvme retry: same profile and seed, same results, retries and timing", () => {
  const run = () => {
    const drive = { ...OPTANE_P5800X.devices[0], media_error_ppm: 100_000, media_error_dnr: false };
    const r = runUring({ profile: { base: "optane-p5800x", devices: [drive] }, bs: 4096, ios: 5000 });
    return { ios: r.ios, errors: r.errors, simNs: r.simNs, block: r.block };
  };
  const a = run();
  assert.deepEqual(run(), a);
  assert.ok(a.block.retries > 300, `retries ${a.block.retries}`);
  assert.equal(a.errors, 0, "every failed command succeeded on a retry");
});

Deno.test("nvme retry: the profile fields are validated, naming the field", () => {
  const bad = (profile: Record<string, unknown>, path: string) =>
    assert.throws(
      () => new System({ profile }),
      (e: unknown) => e instanceof ProfileError && e.path === path,
    );
  bad({ base: "optane-p5800x", nvme: { max_retries: -1 } }, "nvme.max_retries");
  bad({ base: "optane-p5800x", nvme: { max_retries: 256 } }, "nvme.max_retries");
  bad(
    { base: "optane-p5800x", devices: [{ ...OPTANE_P5800X.devices[0], media_error_dnr: "yes" }] },
    "devices[0].media_error_dnr",
  );
});
