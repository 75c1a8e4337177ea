// The io_uring ring core: setup limits and rounding, NOP, user_data, links,
// drain, overflow, errors. Each test is a short program: set up, act, check.
import assert from "node:assert/strict";
import {
  cqAdvance,
  cqeSeen,
  cqReady,
  EBADF,
  ECANCELED,
  EDEADLK,
  EINVAL,
  EOPNOTSUPP,
  getSqe,
  IORING_ENTER_GETEVENTS,
  IORING_NOP_FILE,
  IORING_NOP_INJECT_RESULT,
  IORING_NOP_TW,
  IORING_OP_LAST,
  IORING_SETUP_CLAMP,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SUBMIT_ALL,
  IORING_SQ_CQ_OVERFLOW,
  IOSQE_CQE_SKIP_SUCCESS,
  IOSQE_IO_DRAIN,
  IOSQE_IO_HARDLINK,
  IOSQE_IO_LINK,
  type IoUring,
  ioUringEnter,
  ioUringQueueExit,
  ioUringQueueInit,
  ioUringQueueInitParams,
  O_DIRECT,
  O_RDWR,
  peekCqe,
  prepNop,
  prepRead,
  prepRw,
  reapCqes,
  sqeSetData64,
  sqeSetFd,
  sqeSetFlags,
  sqeSetLen,
  sqeSetOpcode,
  sqeSetOpFlags,
  sqSpaceLeft,
  submit,
  submitAndWait,
  System,
  waitCqe,
} from "../mod.ts";

function ring(entries = 8, flags = 0, sys = new System()): IoUring {
  const r = ioUringQueueInit(sys, entries, flags);
  if (typeof r === "number") throw new Error(`setup failed: ${r}`);
  return r;
}

/** Queue a NOP with user_data, optional flags and injected (negative) result. */
function nop(r: IoUring, data: bigint | number, flags = 0, inject?: number): void {
  const sqe = getSqe(r);
  assert.ok(sqe, "SQ full");
  prepNop(sqe);
  sqeSetData64(sqe, data);
  sqeSetFlags(sqe, flags);
  if (inject !== undefined) {
    sqeSetOpFlags(sqe, IORING_NOP_INJECT_RESULT);
    sqeSetLen(sqe, inject >>> 0);
  }
}

Deno.test("ioUringQueueInit rounds entries up to a power of two and sizes the CQ twice the SQ", () => {
  const sys = new System();
  for (const [n, sq] of [[1, 1], [3, 4], [8, 8], [9, 16], [1000, 1024], [32768, 32768]]) {
    const r = ioUringQueueInit(sys, n, 0);
    assert.ok(typeof r !== "number", `entries ${n}`);
    assert.equal(r.sqEntries, sq);
    assert.equal(r.cqEntries, 2 * sq);
    ioUringQueueExit(r);
  }
});

Deno.test("ioUringQueueInit rejects 0 and more than 32768 entries with -EINVAL, clamps with IORING_SETUP_CLAMP", () => {
  const sys = new System();
  assert.equal(ioUringQueueInit(sys, 0, 0), -EINVAL);
  assert.equal(ioUringQueueInit(sys, 32769, 0), -EINVAL);
  const r = ioUringQueueInit(sys, 40000, IORING_SETUP_CLAMP);
  assert.ok(typeof r !== "number");
  assert.equal(r.sqEntries, 32768);
});

Deno.test("ioUringQueueInitParams honours IORING_SETUP_CQSIZE and checks it", () => {
  const sys = new System();
  const r = ioUringQueueInitParams(sys, 8, { flags: IORING_SETUP_CQSIZE, cqEntries: 100 });
  assert.ok(typeof r !== "number");
  assert.equal(r.cqEntries, 128);
  assert.equal(ioUringQueueInitParams(sys, 8, { flags: IORING_SETUP_CQSIZE, cqEntries: 0 }), -EINVAL);
  assert.equal(ioUringQueueInitParams(sys, 16, { flags: IORING_SETUP_CQSIZE, cqEntries: 8 }), -EINVAL);
  assert.equal(ioUringQueueInitParams(sys, 8, { flags: IORING_SETUP_CQSIZE, cqEntries: 65537 }), -EINVAL);
});

Deno.test("ioUringQueueInit accepts COOP_TASKRUN, SINGLE_ISSUER, DEFER_TASKRUN and rejects unknown flags", () => {
  const sys = new System();
  const ok = ioUringQueueInit(
    sys,
    8,
    IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
  );
  assert.ok(typeof ok !== "number");
  assert.equal(
    ioUringQueueInit(sys, 8, IORING_SETUP_DEFER_TASKRUN),
    -EINVAL,
    "DEFER_TASKRUN needs SINGLE_ISSUER",
  );
  assert.equal(ioUringQueueInit(sys, 8, 1 << 30), -EINVAL);
  assert.equal(ioUringQueueInit(sys, 8, 1 << 10), -EOPNOTSUPP, "SQE128: known to the kernel, not modelled");
  assert.equal(
    ioUringQueueInit(sys, 8, 1 << 1),
    -EOPNOTSUPP,
    "SQPOLL: no kernel submission thread is modelled",
  );
});

Deno.test("prepNop completes with 0 and returns user_data untouched, full 64 bits", () => {
  const r = ring();
  const values = [0n, 1n, 0xdeadbeefn, 0xffffffffffffffffn, 0x8000000000000001n];
  for (const v of values) nop(r, v);
  assert.equal(submit(r), values.length);
  const got = reapCqes(r);
  assert.deepEqual(got.map((c) => c.userData), values);
  assert.ok(got.every((c) => c.res === 0 && c.flags === 0));
});

Deno.test("getSqe returns null when the SQ is full and submit frees it", () => {
  const r = ring(4);
  for (let i = 0; i < 4; i++) assert.ok(getSqe(r));
  assert.equal(getSqe(r), null);
  assert.equal(sqSpaceLeft(r), 0);
  assert.equal(submit(r), 4);
  assert.equal(sqSpaceLeft(r), 4);
  assert.ok(getSqe(r));
});

Deno.test("io_uring_enter rejects an unknown opcode with -EINVAL and bad fds with -EBADF", () => {
  const r = ring();
  let sqe = getSqe(r)!;
  prepNop(sqe);
  sqeSetOpcode(sqe, IORING_OP_LAST);
  sqeSetData64(sqe, 1);
  sqe = getSqe(r)!;
  prepNop(sqe);
  sqeSetOpcode(sqe, 255);
  sqeSetData64(sqe, 2);
  sqe = getSqe(r)!;
  prepNop(sqe);
  sqeSetOpFlags(sqe, IORING_NOP_FILE);
  sqeSetFd(sqe, 77);
  sqeSetData64(sqe, 3);
  sqe = getSqe(r)!;
  prepNop(sqe);
  sqeSetOpFlags(sqe, IORING_NOP_FILE);
  sqeSetFd(sqe, r.ringFd);
  sqeSetData64(sqe, 4);
  sqe = getSqe(r)!;
  prepNop(sqe);
  sqeSetOpFlags(sqe, 1 << 20);
  sqeSetData64(sqe, 5);
  // io_submit_sqes stops at an SQE that fails to initialise (consumed, its CQE posted); the rest stay in
  // the SQ for the next io_uring_enter.
  assert.equal(submit(r), 1);
  assert.equal(submit(r), 1);
  assert.equal(submit(r), 3, "NOP_FILE's bad fd fails at issue, not at init: submission goes on past it");
  const res = reapCqes(r).map((c) => [Number(c.userData), c.res]);
  assert.deepEqual(res, [[1, -EINVAL], [2, -EINVAL], [3, -EBADF], [4, 0], [5, -EINVAL]]);
});

Deno.test("IORING_SETUP_SUBMIT_ALL: submission goes on past SQEs that fail to initialise", () => {
  const r = ring(8, IORING_SETUP_SUBMIT_ALL);
  for (let i = 0; i < 4; i++) {
    const sqe = getSqe(r)!;
    prepNop(sqe);
    if (i % 2 === 0) sqeSetOpcode(sqe, 250);
    sqeSetData64(sqe, i);
  }
  assert.equal(submit(r), 4);
  assert.deepEqual(reapCqes(r).map((c) => c.res), [-EINVAL, 0, -EINVAL, 0]);
});

Deno.test("IOSQE_IO_LINK: a failure completes the rest of the chain with -ECANCELED, in order", () => {
  const r = ring(16);
  nop(r, 1, IOSQE_IO_LINK);
  nop(r, 2, IOSQE_IO_LINK, -5);
  nop(r, 3, IOSQE_IO_LINK);
  nop(r, 4);
  nop(r, 5); // not part of the chain
  submit(r);
  const res = reapCqes(r).map((c) => [Number(c.userData), c.res]);
  // As Linux 6.18 answers (tests/conformance/corpus/link-fail-order.prog): the
  // next link member is issued as task work, after the batch's inline
  // completions (5) were posted; the failed chain's cancellations likewise.
  assert.deepEqual(res, [[1, 0], [5, 0], [2, -5], [3, -ECANCELED], [4, -ECANCELED]]);
});

Deno.test("IOSQE_IO_LINK: an SQE failing to initialise fails its whole chain, keeping its own error", () => {
  const r = ring(16);
  nop(r, 1, IOSQE_IO_LINK);
  const sqe = getSqe(r)!;
  prepNop(sqe);
  sqeSetOpcode(sqe, 200);
  sqeSetFlags(sqe, IOSQE_IO_LINK);
  sqeSetData64(sqe, 2);
  nop(r, 3);
  nop(r, 4);
  assert.equal(submit(r), 4);
  const res = reapCqes(r).map((c) => [Number(c.userData), c.res]);
  // Linux 6.18 (corpus link-init-fail.prog): the head completes inline, the
  // rest of the chain as task work after 4.
  assert.deepEqual(res, [[1, -ECANCELED], [4, 0], [2, -EINVAL], [3, -ECANCELED]]);
});

Deno.test("IOSQE_IO_HARDLINK: the chain goes on past a failure", () => {
  const r = ring(8);
  nop(r, 1, IOSQE_IO_HARDLINK, -22);
  nop(r, 2);
  submit(r);
  assert.deepEqual(reapCqes(r).map((c) => c.res), [-22, 0]);
});

Deno.test("IOSQE_IO_LINK left open at the end of a submission is still issued", () => {
  const r = ring(8);
  nop(r, 1, IOSQE_IO_LINK);
  nop(r, 2, IOSQE_IO_LINK);
  submit(r);
  assert.deepEqual(reapCqes(r).map((c) => Number(c.userData)), [1, 2]);
});

Deno.test("IOSQE_IO_DRAIN: a drained request completes after everything before it and before what follows", () => {
  // Request 1 completes from task work (IORING_NOP_TW), after the inline
  // ones: without drain, 2 and 3 would be posted first (the control below).
  const tw = (r: IoUring, data: number) => {
    const sqe = getSqe(r)!;
    prepNop(sqe);
    sqeSetData64(sqe, data);
    sqeSetOpFlags(sqe, IORING_NOP_TW);
  };
  const control = ring(16);
  tw(control, 1);
  nop(control, 2);
  nop(control, 3);
  submit(control);
  assert.deepEqual(reapCqes(control).map((c) => Number(c.userData)), [2, 3, 1]);
  const r = ring(16);
  tw(r, 1);
  nop(r, 2, IOSQE_IO_DRAIN);
  nop(r, 3);
  submit(r);
  assert.deepEqual(reapCqes(r).map((c) => Number(c.userData)), [1, 2, 3]);
});

Deno.test("IOSQE_IO_DRAIN: a drained request waits for a read still at the device", () => {
  const sys = new System();
  const fd = sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT);
  const buf = sys.mmapAnon(4096);
  for (const drain of [false, true]) {
    const r = ring(16, 0, sys);
    const sqe = getSqe(r)!;
    prepRead(sqe, fd, buf, 4096, 0);
    sqeSetData64(sqe, 1);
    nop(r, 2, drain ? IOSQE_IO_DRAIN : 0);
    submitAndWait(r, 2);
    assert.deepEqual(reapCqes(r).map((c) => Number(c.userData)), drain ? [1, 2] : [2, 1]);
    ioUringQueueExit(r);
  }
});

Deno.test("IOSQE_CQE_SKIP_SUCCESS posts no CQE on success but does on failure", () => {
  const r = ring(8);
  nop(r, 1, IOSQE_CQE_SKIP_SUCCESS);
  nop(r, 2, IOSQE_CQE_SKIP_SUCCESS, -5);
  nop(r, 3);
  submit(r);
  assert.deepEqual(reapCqes(r).map((c) => Number(c.userData)), [2, 3]);
});

Deno.test("CQ overflow: nothing is dropped, IORING_SQ_CQ_OVERFLOW is set, order is kept", () => {
  const sys = new System();
  const r = ioUringQueueInitParams(sys, 8, { flags: IORING_SETUP_CQSIZE, cqEntries: 8 });
  assert.ok(typeof r !== "number");
  let next = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 8; i++) nop(r, next++);
    assert.equal(submit(r), 8);
  }
  assert.equal(cqReady(r), 8, "the CQ holds 8");
  assert.ok(r.sqFlags & IORING_SQ_CQ_OVERFLOW);
  const seen: number[] = [];
  for (let guard = 0; guard < 100 && seen.length < 40; guard++) {
    const [ret, cqe] = peekCqe(r);
    if (ret !== 0) break;
    seen.push(Number(cqe!.userData));
    cqeSeen(r, cqe);
  }
  assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => i));
  assert.equal(r.sqFlags & IORING_SQ_CQ_OVERFLOW, 0, "flag cleared once the list is empty");
});

Deno.test("CQ overflow: new completions queue behind overflowed ones", () => {
  const sys = new System();
  const r = ioUringQueueInitParams(sys, 4, { flags: IORING_SETUP_CQSIZE, cqEntries: 4 });
  assert.ok(typeof r !== "number");
  for (let i = 0; i < 4; i++) nop(r, i);
  submit(r);
  for (let i = 4; i < 6; i++) nop(r, i);
  submit(r);
  cqAdvance(r, 2); // room for two, but 4 and 5 wait in the overflow list
  for (let i = 6; i < 8; i++) nop(r, i);
  submit(r);
  ioUringEnter(r, 0, 0, IORING_ENTER_GETEVENTS);
  const got = reapCqes(r).map((c) => Number(c.userData));
  ioUringEnter(r, 0, 0, IORING_ENTER_GETEVENTS);
  got.push(...reapCqes(r).map((c) => Number(c.userData)));
  assert.deepEqual(got, [2, 3, 4, 5, 6, 7]);
});

Deno.test("waitCqe returns -EDEADLK rather than hang when nothing can complete", () => {
  const r = ring();
  assert.deepEqual(waitCqe(r), [-EDEADLK, null]);
  nop(r, 9);
  assert.equal(submitAndWait(r, 1), 1);
  const [ret, cqe] = waitCqe(r);
  assert.equal(ret, 0);
  assert.equal(cqe!.userData, 9n);
});

Deno.test("NOP processing charges CPU time on the ring's core", () => {
  const sys = new System();
  const r = ring(32, 0, sys);
  const before = sys.coreBusyNs(0);
  for (let i = 0; i < 32; i++) nop(r, i);
  submit(r);
  const c = sys.profile.costs_ns;
  const expected = c.enter + 32 * (c.sqe + c.nop + c.cqe);
  assert.equal(sys.coreBusyNs(0) - before, expected);
  assert.equal(sys.coreTimeNs(0), sys.coreBusyNs(0));
});

Deno.test("a retired System refuses to be used", () => {
  const a = new System();
  new System();
  assert.throws(() => ioUringQueueInit(a, 8, 0), /replaced/);
});

Deno.test("ioUringQueueExit frees the ring so rings can be created forever", () => {
  const sys = new System();
  for (let i = 0; i < 500; i++) {
    const r = ring(64, 0, sys);
    nop(r, i);
    submit(r);
    ioUringQueueExit(r);
  }
});

Deno.test("a ring of a retired System refuses getSqe and CQ reads instead of writing the new machine", () => {
  const a = new System();
  const old = ring(8, 0, a);
  const b = new System();
  const fresh = ring(8, 0, b);
  assert.throws(() => getSqe(old), /replaced/);
  assert.throws(() => peekCqe(old), /replaced/);
  nop(fresh, 5);
  assert.equal(submit(fresh), 1);
  assert.deepEqual(reapCqes(fresh).map((c) => c.res), [0]);
});

Deno.test("prepRw rejects ill-typed arguments with a TypeError naming them", () => {
  const r = ring();
  const sqe = getSqe(r)!;
  assert.throws(() => prepRw(4, sqe, "3" as unknown as number, 0, 512, 0), /fd must be an integer/);
  assert.throws(() => prepRw(4, sqe, 3, 0, -1, 0), /len must be a u32/);
});
