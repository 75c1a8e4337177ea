// Storage data path, completion: polled (IORING_SETUP_IOPOLL) and
// interrupt-driven rings both complete I/O, and requests in flight together
// overlap in simulated time. Each test is a short program: set up, act, check.
import assert from "node:assert/strict";
import {
  cqReady,
  getSqe,
  inflightCommands,
  IORING_SETUP_IOPOLL,
  peekCqe,
  prepRead,
  prepReadFixed,
  prepWrite,
  reapCqes,
  registerBuffers,
  sqeSetData64,
  submit,
  submitAndWait,
  System,
  waitCqe,
} from "../mod.ts";
import { KiB, type Machine, type Mode, MODES, openDrive } from "./helpers.ts";

function setup(mode: Mode, flags: number): Machine {
  return openDrive(new System({ iommu: mode }), 64, flags);
}

for (const mode of MODES) {
  for (const [kind, flags] of [["interrupt", 0], ["IOPOLL", IORING_SETUP_IOPOLL]] as const) {
    Deno.test(`a ${kind} ring completes writes and reads with their data and user_data (${mode})`, () => {
      const { sys, fd, ring } = setup(mode, flags);
      const src = sys.mmapAnon(64 * KiB);
      const data = new Uint8Array(64 * KiB).map((_, i) => (i * 31 + 7) & 0xff);
      assert.equal(sys.writeUser(src, data), 0);
      for (let i = 0; i < 4; i++) {
        const sqe = getSqe(ring)!;
        prepWrite(sqe, fd, src + i * 16 * KiB, 16 * KiB, 1024 * KiB + i * 16 * KiB);
        sqeSetData64(sqe, 100 + i);
      }
      assert.equal(submit(ring), 4);
      assert.equal(inflightCommands(sys).length, 4, "all four in flight after submit");
      assert.deepEqual(peekCqe(ring), [-11, null], "nothing completes before time passes");
      assert.equal(submitAndWait(ring, 4), 0);
      assert.equal(cqReady(ring), 4);
      const w = reapCqes(ring);
      assert.deepEqual(w.map((c) => c.userData).sort(), [100n, 101n, 102n, 103n]);
      assert.ok(w.every((c) => c.res === 16 * KiB && c.flags === 0));
      const dst = sys.mmapAnon(64 * KiB);
      assert.equal(registerBuffers(ring, [{ iovBase: dst, iovLen: 64 * KiB }]), 0);
      const sqe = getSqe(ring)!;
      prepReadFixed(sqe, fd, dst, 64 * KiB, 1024 * KiB, 0);
      sqeSetData64(sqe, 200);
      assert.equal(submit(ring), 1);
      const [ret, cqe] = waitCqe(ring);
      assert.equal(ret, 0);
      assert.deepEqual(cqe, { userData: 200n, res: 64 * KiB, flags: 0 });
      assert.deepEqual(sys.readUser(dst, 64 * KiB), data);
      assert.equal(inflightCommands(sys).length, 0);
    });

    Deno.test(`16 reads in flight finish in much less simulated time than 16 one at a time (${kind}, ${mode})`, () => {
      const { sys, fd, ring } = setup(mode, flags);
      const buf = sys.mmapAnon(16 * 4 * KiB);
      // One at a time.
      const t0 = sys.coreTimeNs(0);
      for (let i = 0; i < 16; i++) {
        prepRead(getSqe(ring)!, fd, buf + i * 4 * KiB, 4 * KiB, i * 64 * KiB);
        assert.equal(submitAndWait(ring, 1), 1);
        const c = reapCqes(ring);
        assert.equal(c.length, 1);
        assert.equal(c[0].res, 4 * KiB);
      }
      const serial = sys.coreTimeNs(0) - t0;
      // All in flight together.
      const t1 = sys.coreTimeNs(0);
      for (let i = 0; i < 16; i++) {
        prepRead(getSqe(ring)!, fd, buf + i * 4 * KiB, 4 * KiB, (16 + i) * 64 * KiB);
      }
      assert.equal(submitAndWait(ring, 16), 16);
      const c = reapCqes(ring);
      assert.equal(c.length, 16);
      assert.ok(c.every((x) => x.res === 4 * KiB));
      const parallel = sys.coreTimeNs(0) - t1;
      assert.ok(serial > 16 * 5000, `each read waits for the media (~5 µs): serial ${serial} ns`);
      assert.ok(parallel * 4 < serial, `16 in flight: ${parallel} ns vs one at a time: ${serial} ns`);
    });
  }
}

Deno.test("IOPOLL: the polled ring spends its wait polling, the interrupt ring takes interrupts", () => {
  const a = setup("passthrough", IORING_SETUP_IOPOLL);
  const buf = a.sys.mmapAnon(4 * KiB);
  prepRead(getSqe(a.ring)!, a.fd, buf, 4 * KiB, 0);
  assert.equal(submitAndWait(a.ring, 1), 1);
  assert.equal(reapCqes(a.ring)[0].res, 4 * KiB);
  const polled = a.sys.coreBusyNs(0);
  assert.ok(polled >= 5000, `a polled core is busy while it waits: ${polled} ns`);
  const b = setup("passthrough", 0);
  const buf2 = b.sys.mmapAnon(4 * KiB);
  prepRead(getSqe(b.ring)!, b.fd, buf2, 4 * KiB, 0);
  assert.equal(submitAndWait(b.ring, 1), 1);
  assert.equal(reapCqes(b.ring)[0].res, 4 * KiB);
  assert.ok(b.sys.coreBusyNs(0) < b.sys.coreTimeNs(0), "the interrupt-driven core sleeps while it waits");
  assert.ok(b.sys.coreBusyNs(0) >= b.sys.profile.costs_ns.irq, "and takes an interrupt");
});
