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
  prepRead,
  sqeSetData64,
  submit,
  System,
  waitCqe,
} from "../mod.ts";
import { KiB, openDrive } from "./helpers.ts";

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
        name: "nvme0n1",
        lba_bytes: 512,
        capacity_gib: 400,
        iops_max: 5_010_000,
        read_latency_ns: 5000,
        write_latency_ns: 5000,
        latency_jitter_ns: 0,
        media_mbps: 7000,
        channels: 64,
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
    assert.deepEqual(afterSubmit, { requeues: 2, resourceDelayRuns: 0, restarts: 0, waiting: 1 });
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
    assert.deepEqual(counters, { requeues: 2, resourceDelayRuns: 1, restarts: 0, waiting: 0 });
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
