// blk-mq's requeue on BLK_STS_RESOURCE (block/blk_mq.ts): an ordinary I/O
// whose DMA set-up cannot get a PRP pool block or IOVA space is kept on its
// hardware queue's dispatch list and retried — 3 ms later
// (BLK_MQ_RESOURCE_DELAY), or at once when a failed request of the queue is
// freed (SCHED_RESTART; nvme-pci completes successful requests in batches,
// which do not restart) — never failed. Each test is a short program: fill the
// resource, submit, check when and in what order the completions come.
import assert from "node:assert/strict";
import {
  type Cqe,
  cqeSeen,
  getSqe,
  IORING_SETUP_IOPOLL,
  type IoUring,
  ioUringQueueInit,
  O_DIRECT,
  O_RDWR,
  OPTANE_P5800X,
  prepRead,
  runUring,
  sqeSetData64,
  submit,
  System,
  waitCqe,
} from "../mod.ts";
import { fmtSummary } from "../cli/uring.ts";
import { KiB, MiB, openDrive, patternMismatch, STEADY_DRIVE, writePattern } from "./helpers.ts";

const READ_BYTES = 128 * KiB;
/** Blocks of the 256-byte PRP-list pool in one page: 128 KiB reads each take one. */
const SMALL_BLOCKS_PER_PAGE = 16;
const RESOURCE_DELAY_NS = 3_000_000;

/**
 * Strict IOMMU, SGLs off (a 128 KiB read maps to one IOVA range and needs a
 * PRP list from the 256-byte pool) and the pools limited to one page: 16 such
 * reads at once take every block.
 */
function poolMachine(opts: { mediaErrorPpm?: number; ringFlags?: number } = {}) {
  const sys = new System({
    profile: {
      base: "optane-p5800x",
      iommu: { mode: "strict" },
      nvme: { sgl_supported: false, pool_pages_max: 1 },
      devices: [{
        ...STEADY_DRIVE,
        media_error_ppm: opts.mediaErrorPpm ?? 0,
      }],
    },
  });
  return openDrive(sys, 64, opts.ringFlags ?? 0);
}

/** Queue a 128 KiB read tagged `tag` at device offset `tag` × 128 KiB into a fresh buffer. */
function queueRead(sys: System, ring: IoUring, fd: number, tag: number): void {
  const sqe = getSqe(ring)!;
  prepRead(sqe, fd, sys.mmapAnon(READ_BYTES), READ_BYTES, tag * READ_BYTES);
  sqeSetData64(sqe, tag);
}

/** Wait for `n` CQEs one at a time: each with the core's clock when it was seen. */
function reap(sys: System, ring: IoUring, n: number): { cqe: Cqe; tNs: number }[] {
  const out = [];
  for (let i = 0; i < n; i++) {
    const [err, cqe] = waitCqe(ring);
    assert.equal(err, 0, `CQE ${i}`);
    out.push({ cqe: cqe!, tNs: sys.coreTimeNs(0) });
    cqeSeen(ring, cqe);
  }
  return out;
}

/** 17 reads at once on a machine whose pool holds 16: the 17th is requeued. When each completed, and the counters. */
function seventeenReads(opts: { mediaErrorPpm?: number; ringFlags?: number } = {}) {
  const m = poolMachine(opts);
  const n = SMALL_BLOCKS_PER_PAGE + 1;
  for (let i = 0; i < n; i++) queueRead(m.sys, m.ring, m.fd, i);
  const t0 = m.sys.coreTimeNs(0);
  assert.equal(submit(m.ring), n);
  const afterSubmit = m.sys.blkMqCounters();
  const done = reap(m.sys, m.ring, n);
  return { m, t0, afterSubmit, done, counters: m.sys.blkMqCounters() };
}

for (const [name, ringFlags] of [["interrupts", 0], ["IOPOLL", IORING_SETUP_IOPOLL]] as const) {
  Deno.test(`blk-mq (${name}): a read that finds the PRP pool empty is requeued, not failed, and completes after BLK_MQ_RESOURCE_DELAY`, () => {
    const { t0, afterSubmit, done, counters } = seventeenReads({ ringFlags });
    // Issued directly, then once more by the queue run: two BLK_STS_RESOURCE, one request waiting.
    assert.deepEqual(afterSubmit, { requeues: 2, resourceDelayRuns: 0, restarts: 0, waiting: 1, retries: 0 });
    for (const d of done) assert.equal(d.cqe.res, READ_BYTES, `read ${d.cqe.userData}`);
    const last = done[done.length - 1];
    assert.equal(last.cqe.userData, 16n, "the requeued read completes last");
    // The other 16 were done well within a millisecond (2 MiB over the link) and nothing else is in flight:
    // their completions are batched (no SCHED_RESTART), so only the delayed
    // run brings the 17th back, 3 ms after it was refused.
    for (const d of done.slice(0, -1)) {
      assert.ok(d.tNs - t0 < 1_000_000, `read ${d.cqe.userData} at ${d.tNs - t0} ns`);
    }
    assert.ok(last.tNs - t0 >= RESOURCE_DELAY_NS, `requeued read at ${last.tNs - t0} ns`);
    assert.ok(last.tNs - t0 < RESOURCE_DELAY_NS + 300_000, `requeued read at ${last.tNs - t0} ns`);
    assert.deepEqual(counters, { requeues: 2, resourceDelayRuns: 1, restarts: 0, waiting: 0, retries: 0 });
  });
}

Deno.test("blk-mq: a failed request frees its queue's pool block and restarts the queue at once (SCHED_RESTART)", () => {
  // Every command fails with a media error: failed requests are completed one
  // by one (not batched), and blk_mq_free_request restarts the queue.
  const { t0, done, counters } = seventeenReads({ mediaErrorPpm: 1_000_000 });
  for (const d of done) assert.equal(d.cqe.res, -61, `read ${d.cqe.userData}: -ENODATA`);
  const last = done[done.length - 1];
  assert.equal(last.cqe.userData, 16n);
  assert.ok(last.tNs - t0 < 1_000_000, `requeued read at ${last.tNs - t0} ns: well before the 3 ms delay`);
  assert.equal(counters.restarts, 1);
  assert.equal(counters.resourceDelayRuns, 0, "the restart moved the pending delayed run to now");
  assert.equal(counters.waiting, 0);
});

Deno.test("blk-mq: requeued requests are retried in order; a later one that can be mapped is not held behind them", () => {
  const m = poolMachine();
  // 16 reads take the pool; A and B (tags 16, 17) are requeued in that order;
  // C (tag 18) needs no PRP list (4 KiB: PRP1 only) and is issued at once.
  for (let i = 0; i < 18; i++) queueRead(m.sys, m.ring, m.fd, i);
  const c = getSqe(m.ring)!;
  prepRead(c, m.fd, m.sys.mmapAnon(4096), 4096, 0);
  sqeSetData64(c, 18);
  assert.equal(submit(m.ring), 19);
  assert.equal(m.sys.blkMqCounters().waiting, 2);
  const order = reap(m.sys, m.ring, 19).map((d) => Number(d.cqe.userData));
  assert.ok(order.indexOf(18) < order.indexOf(16), `C passes A: ${order}`);
  assert.ok(order.indexOf(16) < order.indexOf(17), `A before B: ${order}`);
  assert.deepEqual(order.slice(-2), [16, 17]);
});

Deno.test("blk-mq: requeue runs are deterministic (same machine, same completions to the nanosecond)", () => {
  const a = seventeenReads();
  const b = seventeenReads();
  assert.deepEqual(
    a.done.map((d) => [d.cqe.userData, d.cqe.res, d.tNs - a.t0]),
    b.done.map((d) => [d.cqe.userData, d.cqe.res, d.tNs - b.t0]),
  );
  assert.deepEqual(a.counters, b.counters);
  assert.equal(a.counters.resourceDelayRuns, 1, "a run with a requeue in it");
});

Deno.test("a new machine starts clean when the last one was left with requests requeued, at the device and kept by md raid1", () => {
  const fresh = seventeenReads();
  // The first machine: an md raid1 read and two requeued 128 KiB reads left
  // in flight (16 at the device, the pool full), nothing reaped.
  const sys1 = new System({
    profile: {
      base: "optane-p5800x",
      iommu: { mode: "strict" },
      nvme: { sgl_supported: false, pool_pages_max: 1 },
      devices: [0, 1].map((k) => ({ ...OPTANE_P5800X.devices[0], name: `nvme${k}n1` })),
      stacked: [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] }],
    },
  });
  const m1 = openDrive(sys1, 64);
  const md = sys1.open("/dev/md0", O_RDWR | O_DIRECT);
  assert.ok(md >= 3);
  for (let i = 0; i < 18; i++) queueRead(sys1, m1.ring, m1.fd, i);
  prepRead(getSqe(m1.ring)!, md, sys1.mmapAnon(4096), 4096, 0);
  assert.equal(submit(m1.ring), 19);
  assert.equal(sys1.blkMqCounters().waiting, 2);
  // The second machine runs exactly as a fresh one does.
  const again = seventeenReads();
  assert.deepEqual(again.afterSubmit, fresh.afterSubmit);
  assert.deepEqual(again.counters, fresh.counters);
  assert.deepEqual(
    again.done.map((d) => [d.cqe.userData, d.cqe.res, d.tNs - again.t0]),
    fresh.done.map((d) => [d.cqe.userData, d.cqe.res, d.tNs - fresh.t0]),
  );
});

/** Two drives mirrored by md raid1 (/dev/md0), strict IOMMU; the machine opens md0 and a ring of 64. */
function raid1Machine() {
  const sys = new System({
    profile: {
      base: "optane-p5800x",
      iommu: { mode: "strict" },
      devices: [0, 1].map((k) => ({ ...OPTANE_P5800X.devices[0], name: `nvme${k}n1` })),
      stacked: [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] }],
    },
  });
  const fd = sys.open("/dev/md0", O_RDWR | O_DIRECT);
  assert.ok(fd >= 3);
  const ring = ioUringQueueInit(sys, 64, 0);
  if (typeof ring === "number") throw new Error(`ring ${ring}`);
  return { sys, fd, ring };
}

Deno.test("a new machine starts clean when md raid1 reads of the last one were left in flight (their kept bios)", () => {
  const a = raid1Machine();
  const va = a.sys.mmapAnon(32 * 4096);
  for (let i = 0; i < 32; i++) prepRead(getSqe(a.ring)!, a.fd, va + i * 4096, 4096, i * 65536);
  assert.equal(submit(a.ring), 32);
  // Same request numbers, same arena layout: a kept bio of the first machine
  // must not be freed into the second's memory.
  const b = raid1Machine();
  writePattern(b, 4 * MiB);
  for (let round = 0; round < 4; round++) {
    const bufs = Array.from({ length: 32 }, () => b.sys.mmapAnon(4096));
    const offs = bufs.map((_, i) => ((i * 7919 + round * 31) % 1024) * 4096);
    bufs.forEach((buf, i) => prepRead(getSqe(b.ring)!, b.fd, buf, 4096, offs[i]));
    assert.equal(submit(b.ring), 32);
    const done = reap(b.sys, b.ring, 32);
    for (const d of done) assert.equal(d.cqe.res, 4096);
    bufs.forEach((buf, i) => {
      const got = b.sys.readUser(buf, 4096);
      assert.ok(got instanceof Uint8Array);
      assert.equal(patternMismatch(got, offs[i]), -1, `round ${round} read ${i}`);
    });
  }
});

/** A t/io_uring job of 128 KiB reads in passthrough (scattered pages: a PRP list each) on the default drive. */
function job128k(profile: Record<string, unknown>) {
  return {
    profile: { base: "optane-p5800x", iommu: { mode: "passthrough" }, ...profile },
    bs: 128 * KiB,
    depth: 32,
    ios: 2000,
    polled: false,
  };
}

Deno.test("a workload whose PRP pool is one page: requests that find it empty are requeued, the run finishes slower and its report counts them", () => {
  const base = runUring(job128k({}));
  assert.deepEqual(base.block, { requeues: 0, resourceDelayRuns: 0, restarts: 0, retries: 0 });
  assert.ok(!fmtSummary(base).some((l) => l.startsWith("blk-mq:")), "no line when nothing was requeued");
  const small = runUring(job128k({ nvme: { pool_pages_max: 1 } }));
  assert.ok(small.block.requeues > 0 && small.block.resourceDelayRuns > 0, JSON.stringify(small.block));
  assert.equal(small.block.restarts, 0, "successful completions are batched: no restart");
  // 16 lists at a time and a 3 ms wait for the others: a fraction of the drive's rate, nothing failed.
  assert.ok(small.iops < base.iops / 2, `${small.iops} vs ${base.iops} IOPS`);
  assert.equal(small.errors, 0);
  const line = fmtSummary(small).find((l) => l.startsWith("blk-mq:"));
  assert.ok(line?.includes(`requeues=${small.block.requeues}`), line);
});

Deno.test("a workload whose PRP pool can never grow (its buffers took all host memory) stops as stalled, naming the waiting requests", () => {
  // 128 reads × 128 KiB of buffers = 16 MiB, the whole host: no page is left for a PRP list.
  assert.throws(
    () => runUring({ ...job128k({ memory: { host_mib: 16 } }), depth: 128 }),
    /stalled.*128 requests wait on blk-mq dispatch lists/,
  );
});
