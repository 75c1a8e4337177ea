// Object lifetimes and edge semantics found in review: buffers per SQ slot, queue sizes, slot emptying,
// drain rules, short submissions, failures kept out of IOPS, memfd / dma-buf release, VRAM exhaustion.
import assert from "node:assert/strict";
import {
  EFAULT,
  EINVAL,
  ENOMEM,
  EOPNOTSUPP,
  F_SEAL_SHRINK,
  getSqe,
  IO_REGBUF_TYPE_UADDR,
  IORING_RSRC_UPDATE_EXTENDED,
  IOSQE_CQE_SKIP_SUCCESS,
  IOSQE_IO_DRAIN,
  IOSQE_IO_LINK,
  MFD_ALLOW_SEALING,
  OPTANE_P5800X,
  prepNop,
  prepRead,
  prepReadFixed,
  ProfileError,
  reapCqes,
  registerBuffers,
  registerBuffersUpdate2,
  runUring,
  sqeSetData64,
  sqeSetFlags,
  sqeSetOpcode,
  submit,
  submitAndWait,
  System,
  waitCqeNr,
} from "../mod.ts";
import { mapBuffer, MiB, openDrive } from "./helpers.ts";

Deno.test("runUring: a depth that is not a power of two has a buffer for every SQ slot", () => {
  for (const buffers of ["plain", "fixed", "dmabuf"] as const) {
    const r = runUring({ depth: 100, bs: 512, buffers, iommu: "passthrough", ios: 5000 });
    assert.equal(r.errors, 0, buffers);
    assert.ok(Math.abs(r.iops - 5.01e6) / 5.01e6 < 0.05, `${buffers}: ${r.iops}`);
  }
});

Deno.test("a profile's NVMe queue depth must be a power of two", () => {
  assert.throws(
    () =>
      new System({ profile: { base: "optane-p5800x", nvme: { ...OPTANE_P5800X.nvme, queue_depth: 1000 } } }),
    (e) => e instanceof ProfileError && e.path === "nvme.queue_depth",
  );
});

Deno.test("an extended UADDR descriptor with no address and no size empties the slot", () => {
  const m = openDrive(new System());
  const buf = mapBuffer(m.sys, 4096);
  assert.equal(registerBuffers(m.ring, [{ iovBase: buf, iovLen: 4096 }]), 0);
  const up = { offset: 0, flags: IORING_RSRC_UPDATE_EXTENDED, data: [{ type: IO_REGBUF_TYPE_UADDR }] };
  assert.equal(registerBuffersUpdate2(m.ring, up), 1);
  prepReadFixed(getSqe(m.ring)!, m.fd, buf, 4096, 0, 0);
  assert.equal(submitAndWait(m.ring, 1), 1);
  assert.deepEqual(reapCqes(m.ring).map((c) => c.res), [-EFAULT]);
});

Deno.test("dmabufMoveNotify refuses to migrate a udmabuf (its pages are the memfd's)", () => {
  const sys = new System();
  const mfd = sys.memfdCreate(MFD_ALLOW_SEALING);
  sys.ftruncate(mfd, 65536);
  sys.fcntlAddSeals(mfd, F_SEAL_SHRINK);
  const db = sys.udmabufCreate(mfd, 0, 65536);
  assert.equal(sys.dmabufMoveNotify(db, { migrate: true }), -EINVAL);
  assert.equal(sys.dmabufMoveNotify(db), 0);
});

Deno.test("io_uring_enter returns at once when submission stopped short: no wait for events", () => {
  const m = openDrive(new System());
  const buf = mapBuffer(m.sys, 4096);
  prepRead(getSqe(m.ring)!, m.fd, buf, 4096, 0);
  const bad = getSqe(m.ring)!;
  prepNop(bad);
  sqeSetOpcode(bad, 250);
  prepNop(getSqe(m.ring)!);
  const t0 = m.sys.coreTimeNs(0);
  assert.equal(submitAndWait(m.ring, 3), 2);
  // Only the bad SQE's CQE is there: the read is still in flight, the NOP not submitted yet.
  assert.deepEqual(reapCqes(m.ring).map((c) => c.res), [-EINVAL]);
  assert.ok(m.sys.coreTimeNs(0) - t0 < 2000, "no waiting for the read");
});

Deno.test("IOSQE_CQE_SKIP_SUCCESS disables drain for the ring: a later IOSQE_IO_DRAIN is -EOPNOTSUPP", () => {
  const m = openDrive(new System());
  let sqe = getSqe(m.ring)!;
  prepNop(sqe);
  sqeSetFlags(sqe, IOSQE_CQE_SKIP_SUCCESS);
  sqe = getSqe(m.ring)!;
  prepNop(sqe);
  sqeSetFlags(sqe, IOSQE_IO_DRAIN);
  sqeSetData64(sqe, 2);
  assert.equal(submit(m.ring), 2);
  assert.deepEqual(reapCqes(m.ring).map((c) => [Number(c.userData), c.res]), [[2, -EOPNOTSUPP]]);
});

Deno.test("IOSQE_IO_DRAIN inside a link drains the link's head: it waits for what came before", () => {
  const m = openDrive(new System());
  const buf = mapBuffer(m.sys, 4096);
  let sqe = getSqe(m.ring)!;
  prepRead(sqe, m.fd, buf, 4096, 0);
  sqeSetData64(sqe, 1);
  sqe = getSqe(m.ring)!;
  prepNop(sqe);
  sqeSetFlags(sqe, IOSQE_IO_LINK);
  sqeSetData64(sqe, 2);
  sqe = getSqe(m.ring)!;
  prepNop(sqe);
  sqeSetFlags(sqe, IOSQE_IO_DRAIN);
  sqeSetData64(sqe, 3);
  assert.equal(submit(m.ring), 3);
  assert.equal(reapCqes(m.ring).length, 0, "the link waits for the read");
  waitCqeNr(m.ring, 3);
  assert.deepEqual(reapCqes(m.ring).map((c) => Number(c.userData)), [1, 2, 3]);
});

Deno.test("runUring: failed I/Os are errors, not I/Os: they do not lift IOPS or shorten latency", () => {
  const drive = { ...OPTANE_P5800X.devices[0], media_error_ppm: 500_000 };
  const r = runUring({ profile: { base: "optane-p5800x", devices: [drive] }, bs: 512, ios: 20_000 });
  assert.ok(r.errors > 5000 && r.ios > 5000, `ios ${r.ios}, errors ${r.errors}`);
  assert.ok(Math.abs(r.ios + r.errors - 20_000) < 200, "the run stops on successes and failures together");
  assert.ok(Math.abs(r.iops - r.ios / (r.simNs / 1e9)) < 1, "IOPS counts successes");
});

Deno.test("closing memfds and dma-bufs releases them: creating and closing goes on forever", () => {
  const sys = new System();
  for (let i = 0; i < 600; i++) {
    const mfd = sys.memfdCreate(MFD_ALLOW_SEALING);
    assert.ok(mfd >= 3, `memfd ${i}: ${mfd}`);
    assert.equal(sys.ftruncate(mfd, 8192), 0);
    assert.equal(sys.fcntlAddSeals(mfd, F_SEAL_SHRINK), 0);
    const db = sys.udmabufCreate(mfd, 0, 8192);
    assert.ok(db >= 3, `udmabuf ${i}: ${db}`);
    // The udmabuf keeps the memfd's pages after the memfd's fd is closed.
    assert.equal(sys.close(mfd), 0);
    assert.equal(sys.dmabufWrite(db, 0, new Uint8Array([1, 2, 3])), 3);
    assert.equal(sys.close(db), 0);
  }
  for (let i = 0; i < 1200; i++) {
    const db = sys.gpuDmabufCreate(0, 4096);
    assert.ok(db >= 3, `GPU dma-buf ${i}: ${db}`);
    assert.equal(sys.close(db), 0);
  }
});

Deno.test("a GPU dma-buf larger than what is left of VRAM fails whole, taking nothing", () => {
  const sys = new System({
    profile: { base: "optane-p5800x", gpus: [{ name: "gpu0", vram_mib: 64, p2p: "switch" }] },
  });
  assert.equal(sys.gpuDmabufCreate(0, 100 * MiB), -ENOMEM);
  assert.ok(sys.gpuDmabufCreate(0, 48 * MiB) > 0);
  assert.equal(sys.gpuDmabufCreate(0, 32 * MiB), -ENOMEM);
  assert.ok(sys.gpuDmabufCreate(0, 16 * MiB) > 0);
});

Deno.test("mmapAnon: a request larger than the RAM left fails whole; a contiguous one is physically contiguous", () => {
  const sys = new System({
    profile: { base: "optane-p5800x", memory: { ...OPTANE_P5800X.memory, host_mib: 16 } },
  });
  assert.equal(sys.mmapAnon(32 * MiB), -ENOMEM);
  assert.ok(sys.mmapAnon(4096) > 0, "nothing was taken by the failed request");
  // Free some pages (a memfd shrinking), then ask for a contiguous buffer: it must not reuse them scattered.
  const mfd = sys.memfdCreate(0);
  assert.equal(sys.ftruncate(mfd, 8 * 4096), 0);
  assert.equal(sys.ftruncate(mfd, 0), 0);
  const va = sys.mmapAnon(8 * 4096, { contiguous: true });
  assert.ok(va > 0);
  for (let i = 1; i < 8; i++) assert.equal(sys.userPhysAddr(va + i * 4096) - sys.userPhysAddr(va), i * 4096);
});
