// Random programs against the uAPI: whatever SQEs a program submits — any
// opcode, flags, fd, buffer slot, address, length, offset, links and drains,
// with dma-buf invalidations in between — the machine never traps or hangs,
// and every SQE gets exactly one CQE (none for a successful CQE_SKIP_SUCCESS).
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  getSqe,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_IOPOLL,
  IORING_SETUP_SINGLE_ISSUER,
  IOSQE_CQE_SKIP_SUCCESS,
  prepRw,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  registerBuffersUpdate,
  registerFiles,
  sqeSetBufIndex,
  sqeSetData64,
  sqeSetFlags,
  sqeSetOpFlags,
  submit,
  System,
  waitCqeNr,
} from "../mod.ts";
import { MiB, openDrive, udmabuf } from "./helpers.ts";

/** Mostly valid I/O (so the data path runs), with every kind of mistake mixed in. */
const sqeArb = fc.record({
  op: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(4, 5, 22, 23) }, // READ/WRITE(_FIXED)
    { weight: 2, arbitrary: fc.constantFrom(0, 1, 2) }, // NOP, READV, WRITEV
    { weight: 1, arbitrary: fc.constantFrom(3, 60, 61, 63, 200) }, // unmodelled, vectored fixed, invalid
  ),
  // Every SQE flag but CQE_SKIP_SUCCESS, so that every SQE must produce exactly one CQE.
  flags: fc.oneof(
    { weight: 5, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x7f }).map((f) => f & ~IOSQE_CQE_SKIP_SUCCESS) },
  ),
  fdPick: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 5 }),
  }),
  addrPick: fc.integer({ min: 0, max: 4 }),
  addrOff: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 128 }).map((k) => k * 512) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 70000 }) },
  ),
  len: fc.constantFrom(0, 1, 512, 512, 4096, 4096, 4100, 65536, 300_000, 2_000_000),
  off: fc.constantFrom(0, 512, 4096, 65536, 1000, 800 * 2 ** 30 - 4096, 800 * 2 ** 30 + 512),
  bufIndex: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1) }, {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 5 }),
  }),
  opFlags: fc.constantFrom(0, 0, 0, 0, 1, 8, 0x100),
  // Three in four SQEs are made consistent (right buffer for the opcode, aligned), so data really moves.
  valid: fc.constantFrom(true, true, true, false),
  dmabufSlot: fc.boolean(),
});

Deno.test("random SQE programs: no trap, no hang, exactly one CQE per SQE", () => {
  // Results seen across all runs (errno, 0, or 1 for bytes): the programs must reach many paths.
  const tally = new Map<number, number>();
  fc.assert(
    fc.property(
      fc.array(fc.array(sqeArb, { minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 6 }),
      fc.constantFrom("strict", "lazy", "passthrough"),
      fc.boolean(),
      fc.constantFrom(
        0,
        IORING_SETUP_IOPOLL,
        IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      ),
      (batches, iommu, invalidate, ringFlags) => {
        const sys = new System({ iommu });
        const m = openDrive(sys, 64, ringFlags);
        const plain = sys.mmapAnon(MiB);
        const fixed = sys.mmapAnon(MiB);
        assert.equal(registerBuffersSparse(m.ring, 4), 0);
        assert.equal(registerBuffersUpdate(m.ring, 0, [{ iovBase: fixed, iovLen: MiB }]), 1);
        const db = udmabuf(sys, MiB);
        assert.equal(registerBufferDmabuf(m.ring, 1, db, m.fd), 1);
        assert.equal(registerFiles(m.ring, [m.fd, -1]), 0);
        const fds = [m.fd, 0, m.ring.ringFd, 99, -1, db];
        // A plain buffer, the registered one, dma-buf offset 0, a small bad address, one beyond TASK_SIZE.
        const addrs = [plain, fixed, 0, db, 0x7ffffffff000];
        let expected = 0;
        let seen = 0;
        let next = 1;
        const ids = new Set<bigint>();
        const results: number[] = [];
        for (const batch of batches) {
          for (const s of batch) {
            const sqe = getSqe(m.ring);
            if (!sqe) break;
            if (s.valid && [4, 5, 22, 23].includes(s.op)) {
              const len = s.len % 512 === 0 && s.len > 0 && s.len <= 65536 ? s.len : 4096;
              const off = (s.off % (1 << 20)) - (s.off % 512);
              const fixedOp = s.op === 4 || s.op === 5;
              const at = (s.addrOff % 65536) - (s.addrOff % 512);
              const addr = !fixedOp ? plain + at : s.dmabufSlot ? at : fixed + at;
              prepRw(s.op, sqe, m.fd, addr, len, off);
              sqeSetBufIndex(sqe, fixedOp && s.dmabufSlot ? 1 : 0);
              sqeSetFlags(sqe, s.flags & ~0x1); // registered file slot 0 is the drive too, but keep plain fds here
            } else {
              prepRw(s.op, sqe, fds[s.fdPick], addrs[s.addrPick] + s.addrOff, s.len, s.off);
              sqeSetFlags(sqe, s.flags);
              sqeSetBufIndex(sqe, s.bufIndex);
            }
            sqeSetOpFlags(sqe, s.opFlags);
            sqeSetData64(sqe, next++);
            expected++;
          }
          // io_uring_enter stops at an SQE that fails to initialise: submit again for the rest.
          for (let guard = 0; guard < 1000 && submit(m.ring) > 0; guard++);
          if (invalidate) sys.dmabufMoveNotify(db);
          for (const c of reapCqes(m.ring)) {
            assert.ok(!ids.has(c.userData), `user_data ${c.userData} completed twice`);
            ids.add(c.userData);
            results.push(c.res < 0 ? c.res : c.res > 0 ? 1 : 0);
            seen++;
          }
        }
        // Drain: everything in flight completes (waits that could never end return -EDEADLK).
        for (let guard = 0; guard < 10_000; guard++) {
          const [ret] = waitCqeNr(m.ring, 1);
          const got = reapCqes(m.ring);
          for (const c of got) {
            assert.ok(!ids.has(c.userData), `user_data ${c.userData} completed twice`);
            ids.add(c.userData);
            results.push(c.res < 0 ? c.res : c.res > 0 ? 1 : 0);
            seen++;
          }
          if (ret < 0 && got.length === 0) break;
        }
        assert.equal(m.ring.sqDropped, 0);
        assert.equal(seen, expected, `${seen} CQEs for ${expected} SQEs`);
        for (const c of results) tally.set(c, (tally.get(c) ?? 0) + 1);
        assert.ok(sys.dmabufLive().maps <= 1);
      },
    ),
    { seed: 7, numRuns: 200 },
  );
  for (const want of [1, 0, -9, -14, -22, -95, -125]) {
    assert.ok(tally.has(want), `no CQE with result ${want}`);
  }
  assert.ok((tally.get(1) ?? 0) > 300, `only ${tally.get(1)} I/Os moved data: ${JSON.stringify([...tally])}`);
});
