// IOMMU-space exhaustion (issue 14 item 3, David Howells at LSF/MM: can
// dma-bufs clog the IOMMU's address space?). A dma-buf map holds its IOVA
// range for the life of the registration; the IOVA space is the device's DMA
// mask clamped to the IOMMU's aperture, and iommu_dma_alloc_iova fills the
// 32-bit space first. An ordinary read that then finds no IOVA is not failed:
// nvme-pci returns BLK_STS_RESOURCE and blk-mq keeps it on the queue's
// dispatch list, retrying every BLK_MQ_RESOURCE_DELAY (block/blk_mq.ts).
// Each test is a short program: register, read, check.
// The policy tests check the opt-in proposal (a capability requirement and a
// per-user byte limit charged like RLIMIT_MEMLOCK).
import assert from "node:assert/strict";
import {
  cqeSeen,
  EBADF,
  EDEADLK,
  EFAULT,
  ENOMEM,
  EPERM,
  getSqe,
  IORING_SETUP_IOPOLL,
  type IoUring,
  ioUringQueueExit,
  ioUringQueueInit,
  prepRead,
  prepReadFixed,
  ProfileError,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  registerBuffersUpdate,
  sqeSetData64,
  submit,
  submitAndWait,
  System,
  unregisterBuffers,
  waitCqe,
} from "../mod.ts";
import { MiB, openDrive, patternMismatch, STEADY_DRIVE, udmabuf, writePattern } from "./helpers.ts";

const GiB = 1024 * MiB;

function machine(
  opts: {
    maskBits?: number;
    apertureBits?: number;
    capRequired?: boolean;
    limitMib?: number;
    cap?: boolean;
    ringFlags?: number;
  } = {},
) {
  const sys = new System({
    profile: {
      base: "optane-p5800x",
      iommu: {
        mode: "strict",
        aperture_bits: opts.apertureBits ?? 48,
        dmabuf_cap_required: opts.capRequired ?? false,
        dmabuf_limit_mib: opts.limitMib ?? 0,
      },
      devices: [{
        ...STEADY_DRIVE,
        dma_mask_bits: opts.maskBits ?? 64,
      }],
    },
    capSysAdmin: opts.cap ?? true,
  });
  return openDrive(sys, 64, opts.ringFlags ?? 0);
}

/** One 4 KiB READ_FIXED at offset 0 of buffer slot `slot`: its CQE res. */
function readSlot(ring: IoUring, fd: number, slot: number, devOff = 0): number {
  prepReadFixed(getSqe(ring)!, fd, 0, 4096, devOff, slot);
  assert.equal(submitAndWait(ring, 1), 1);
  const c = reapCqes(ring);
  assert.equal(c.length, 1);
  return c[0].res;
}

/** Register `db` in slots from `first` on, one read each, until a read fails; the failing slot and its error. */
function fillUntilFailure(m: ReturnType<typeof machine>, db: number, first: number, last: number) {
  for (let slot = first; slot < last; slot++) {
    // v3 registers without mapping: registration succeeds, the first I/O maps.
    assert.equal(registerBufferDmabuf(m.ring, slot, db, m.fd), 1, `slot ${slot}`);
    const res = readSlot(m.ring, m.fd, slot);
    if (res !== 4096) return { slot, res };
  }
  return { slot: last, res: 4096 };
}

Deno.test("32-bit DMA mask: 64 MiB dma-buf maps fill the 4 GiB IOVA space, then the first read of the next gets -ENOMEM", () => {
  const m = machine({ maskBits: 32 });
  const db = udmabuf(m.sys, 64 * MiB);
  assert.equal(registerBuffersSparse(m.ring, 128), 0);
  const { slot, res } = fillUntilFailure(m, db, 0, 100);
  assert.equal(res, -ENOMEM, "the map of the registration fails, reported on its I/O");
  // 4 GiB / 64 MiB = 64 size-aligned ranges, less the lowest: it holds IOVA 0,
  // which is never handed out (4 KiB reads need no PRP-list pool pages).
  assert.equal(slot, 63);
  assert.ok(m.sys.iovaInUseBytes(0) <= 4 * GiB);
  assert.ok(m.sys.iovaInUseBytes(0) >= slot * 64 * MiB);
  // 64 MiB of RAM pinned 3.9 GiB of IOVA: one buffer, registered again and again.
  assert.equal(m.sys.dmabufLive().maps, slot);
});

/**
 * Pin all of a 32-bit device's IOVA space with dma-buf maps: 64 MiB ones, then
 * 1 MiB and 4 KiB ones into what is left. The 4 KiB maps live in slots
 * `small[0]` up to `small[1]` (exclusive).
 */
function pinAllIova(m: ReturnType<typeof machine>) {
  assert.equal(registerBuffersSparse(m.ring, 1024), 0);
  let slot = 0;
  let small = [0, 0];
  for (const size of [64 * MiB, 1 * MiB, 4096]) {
    const db = udmabuf(m.sys, size);
    const r = fillUntilFailure(m, db, slot, 1024);
    assert.equal(r.res, -ENOMEM, `${size}-byte maps`);
    if (size === 4096) small = [slot, r.slot];
    slot = r.slot + 1;
  }
  assert.ok(small[1] - small[0] >= 2, "room for two 4 KiB maps to give back");
  return small;
}

/** Queue an ordinary 4 KiB read tagged `tag` of device offset 4096 into a fresh buffer; the buffer. */
function queueRead4k(m: ReturnType<typeof machine>, tag: number): number {
  const buf = m.sys.mmapAnon(4096);
  const sqe = getSqe(m.ring)!;
  prepRead(sqe, m.fd, buf, 4096, 4096);
  sqeSetData64(sqe, tag);
  return buf;
}

/** Give one 4 KiB map's IOVA back: empty its slot (strict mode unmaps at once). */
function freeSlot(m: ReturnType<typeof machine>, slot: number): void {
  assert.equal(registerBuffersUpdate(m.ring, slot, [{ iovBase: 0, iovLen: 0 }]), 1);
}

Deno.test("32-bit DMA mask, space pinned: an ordinary read waits on blk-mq's requeue list and completes once the registrations go", () => {
  const m = machine({ maskBits: 32 });
  writePattern(m, 1 * MiB);
  pinAllIova(m);
  const buf = queueRead4k(m, 1);
  assert.equal(submitAndWait(m.ring, 1), 1);
  // nvme_queue_rq found no IOVA: BLK_STS_RESOURCE, the request is kept.
  assert.equal(reapCqes(m.ring).length, 0, "no error CQE: the kernel does not fail the read");
  assert.equal(m.sys.blkMqCounters().waiting, 1);
  // Nothing in flight can free IOVA: the wait could never end.
  assert.deepEqual(waitCqe(m.ring), [-EDEADLK, null]);
  // Unregistering drops every map (strict: unmapped at once); the queue's
  // next run (BLK_MQ_RESOURCE_DELAY) maps the read.
  assert.equal(unregisterBuffers(m.ring), 0);
  assert.equal(m.sys.dmabufLive().maps, 0);
  const [err, cqe] = waitCqe(m.ring);
  assert.equal(err, 0);
  assert.equal(cqe!.res, 4096);
  assert.equal(cqe!.userData, 1n);
  const got = m.sys.readUser(buf, 4096);
  assert.ok(got instanceof Uint8Array);
  assert.equal(patternMismatch(got, 4096), -1);
  assert.equal(m.sys.blkMqCounters().waiting, 0);
});

for (const [name, ringFlags] of [["interrupts", 0], ["IOPOLL", IORING_SETUP_IOPOLL]] as const) {
  Deno.test(`32-bit DMA mask, space pinned for good (${name}): a read that can never map ends the wait with -EDEADLK, not a hang, not an error CQE`, () => {
    const m = machine({ maskBits: 32, ringFlags });
    pinAllIova(m);
    queueRead4k(m, 1);
    assert.equal(submitAndWait(m.ring, 1), 1);
    // The kernel would rerun the queue every 3 ms for ever; dmasim sees that
    // no rerun can succeed (nothing freed IOVA since the last) and says so.
    const t = m.sys.coreTimeNs(0);
    assert.deepEqual(waitCqe(m.ring), [-EDEADLK, null]);
    assert.deepEqual(waitCqe(m.ring), [-EDEADLK, null], "and again: the wait does not spin through reruns");
    assert.ok(m.sys.coreTimeNs(0) - t < 10_000_000, "no long run of futile 3 ms reruns");
    assert.equal(m.sys.blkMqCounters().waiting, 1);
  });
}

Deno.test("32-bit DMA mask: a requeued read comes back 3 ms after it was refused, with nothing in flight, not when IOVA is freed", () => {
  const m = machine({ maskBits: 32 });
  const small = pinAllIova(m);
  queueRead4k(m, 1);
  const t0 = m.sys.coreTimeNs(0);
  assert.equal(submitAndWait(m.ring, 1), 1);
  freeSlot(m, small[0]);
  const tFree = m.sys.coreTimeNs(0);
  const [err, cqe] = waitCqe(m.ring);
  assert.equal(err, 0);
  assert.equal(cqe!.res, 4096);
  const t = m.sys.coreTimeNs(0);
  assert.ok(tFree - t0 < 1_000_000, `the IOVA was back ${tFree - t0} ns after the refusal`);
  assert.ok(t - t0 >= 3_000_000, `completed ${t - t0} ns after submission`);
  assert.ok(t - t0 < 3_100_000, `completed ${t - t0} ns after submission`);
  assert.equal(m.sys.blkMqCounters().resourceDelayRuns, 1);
});

Deno.test("32-bit DMA mask: requeued reads are retried in order — one IOVA page back maps the first, the second waits for the next run", () => {
  const m = machine({ maskBits: 32 });
  const small = pinAllIova(m);
  queueRead4k(m, 1);
  queueRead4k(m, 2);
  assert.equal(submitAndWait(m.ring, 2), 2);
  assert.equal(m.sys.blkMqCounters().waiting, 2);
  freeSlot(m, small[0]);
  const [err1, first] = waitCqe(m.ring);
  assert.equal(err1, 0);
  assert.equal(first!.userData, 1n, "the first requeued is the first retried");
  assert.equal(first!.res, 4096);
  const t1 = m.sys.coreTimeNs(0);
  cqeSeen(m.ring, first);
  // The same run found no page for the second and armed the next; the first
  // read's own page, unmapped when it completed, serves the second then.
  const [err2, second] = waitCqe(m.ring);
  assert.equal(err2, 0);
  assert.equal(second!.userData, 2n);
  assert.equal(second!.res, 4096);
  const t2 = m.sys.coreTimeNs(0);
  assert.ok(
    t2 - t1 >= 2_900_000,
    `the second came ${t2 - t1} ns after the first: one resource-delay run later`,
  );
  assert.equal(m.sys.blkMqCounters().resourceDelayRuns, 2);
});

Deno.test("32-bit DMA mask: closing a ring whose read waits for IOVA leaves the ring behind (the ctx is never freed); the read completes there, not in a new ring", () => {
  const m = machine({ maskBits: 32 });
  // The space is pinned from a second ring, so that it can be given back after the first is closed.
  const pinner = ioUringQueueInit(m.sys, 64, 0);
  if (typeof pinner === "number") throw new Error(`ring ${pinner}`);
  pinAllIova({ ...m, ring: pinner });
  queueRead4k(m, 1);
  assert.equal(submitAndWait(m.ring, 1), 1);
  // io_ring_exit_work would wait for the read for ever: close returns, the ring stays.
  ioUringQueueExit(m.ring);
  assert.equal(m.sys.blkMqCounters().waiting, 1);
  const fresh = ioUringQueueInit(m.sys, 64, 0);
  if (typeof fresh === "number") throw new Error(`ring ${fresh}`);
  const sqe = getSqe(fresh)!;
  prepRead(sqe, m.fd, m.sys.mmapAnon(4096), 4096, 8192);
  sqeSetData64(sqe, 2);
  assert.equal(submit(fresh), 1);
  // The space comes back: both reads map, the closed ring's first (it was requeued first).
  assert.equal(unregisterBuffers(pinner), 0);
  const [err, cqe] = waitCqe(fresh);
  assert.equal(err, 0);
  assert.equal(cqe!.userData, 2n);
  assert.equal(cqe!.res, 4096);
  cqeSeen(fresh, cqe);
  assert.deepEqual(waitCqe(fresh), [-EDEADLK, null], "the closed ring's read did not land in the new ring");
  assert.equal(m.sys.blkMqCounters().waiting, 0);
});

for (const apertureBits of [48, 57]) {
  Deno.test(`64-bit DMA mask, ${apertureBits}-bit aperture: maps past 4 GiB of IOVA move above the 32-bit space and read correctly`, () => {
    const m = machine({ maskBits: 64, apertureBits });
    writePattern(m, 1 * MiB);
    const db = udmabuf(m.sys, 64 * MiB);
    assert.equal(registerBuffersSparse(m.ring, 128), 0);
    const r = fillUntilFailure(m, db, 0, 80);
    assert.equal(r.res, 4096, "no failure: the wider space takes over (pci_32bit_workaround off)");
    assert.ok(m.sys.iovaInUseBytes(0) > 4 * GiB, `${m.sys.iovaInUseBytes(0)} bytes of IOVA`);
    // The newest map lies above 4 GiB: its reads still land in the buffer.
    assert.equal(readSlot(m.ring, m.fd, 79, 8192), 4096);
    const got = m.sys.dmabufRead(db, 0, 4096);
    assert.ok(got instanceof Uint8Array);
    assert.equal(patternMismatch(got, 8192), -1);
  });
}

Deno.test("policy dmabuf_cap_required: without CAP_SYS_ADMIN registration is -EPERM, checked before the descriptors' fds", () => {
  const m = machine({ capRequired: true, cap: false });
  const db = udmabuf(m.sys, 1 * MiB);
  assert.equal(registerBuffersSparse(m.ring, 4), 0);
  assert.equal(registerBufferDmabuf(m.ring, 0, db, m.fd), -EPERM);
  assert.equal(registerBufferDmabuf(m.ring, 0, db, 999), -EPERM, "before the target fd is looked up");
  // Ordinary registered buffers are not affected.
  assert.equal(registerBuffersUpdate(m.ring, 1, [{ iovBase: m.sys.mmapAnon(4096), iovLen: 4096 }]), 1);
  const root = machine({ capRequired: true, cap: true });
  const db2 = udmabuf(root.sys, 1 * MiB);
  assert.equal(registerBuffersSparse(root.ring, 4), 0);
  assert.equal(registerBufferDmabuf(root.ring, 0, db2, root.fd), 1);
  assert.equal(
    registerBufferDmabuf(root.ring, 1, db2, 999),
    -EBADF,
    "with the capability the fds are checked",
  );
});

Deno.test("policy dmabuf_limit_mib: registrations past the per-user limit are -ENOMEM; an emptied slot gives its bytes back", () => {
  const m = machine({ limitMib: 1024 });
  const db = udmabuf(m.sys, 64 * MiB);
  assert.equal(registerBuffersSparse(m.ring, 32), 0);
  for (let slot = 0; slot < 16; slot++) assert.equal(registerBufferDmabuf(m.ring, slot, db, m.fd), 1);
  assert.equal(m.sys.dmabufLockedBytes(), 1024 * MiB);
  assert.equal(registerBufferDmabuf(m.ring, 16, db, m.fd), -ENOMEM, "the 17th 64 MiB registration");
  assert.equal(readSlot(m.ring, m.fd, 16), -EFAULT, "nothing was registered in slot 16");
  // Emptying a slot drops its token (no I/O in flight): its 64 MiB come back.
  assert.equal(registerBuffersUpdate(m.ring, 3, [{ iovBase: 0, iovLen: 0 }]), 1);
  assert.equal(m.sys.dmabufLockedBytes(), 960 * MiB);
  assert.equal(registerBufferDmabuf(m.ring, 16, db, m.fd), 1);
  assert.equal(readSlot(m.ring, m.fd, 16), 4096);
  assert.equal(unregisterBuffers(m.ring), 0);
  assert.equal(m.sys.dmabufLockedBytes(), 0);
});

Deno.test("policy off (v3): no limit, no capability needed", () => {
  const m = machine({ cap: false });
  const db = udmabuf(m.sys, 64 * MiB);
  assert.equal(registerBuffersSparse(m.ring, 40), 0);
  for (let slot = 0; slot < 40; slot++) assert.equal(registerBufferDmabuf(m.ring, slot, db, m.fd), 1);
  assert.equal(m.sys.dmabufLockedBytes(), 40 * 64 * MiB);
});

Deno.test("profile iommu.aperture_bits and devices[].dma_mask_bits are validated", () => {
  assert.throws(
    () => new System({ profile: { base: "optane-p5800x", iommu: { aperture_bits: 40 } } }),
    (e: unknown) => e instanceof ProfileError && e.path === "iommu.aperture_bits",
  );
  assert.throws(
    () => new System({ profile: { base: "optane-p5800x", iommu: { dmabuf_limit_mib: -1 } } }),
    (e: unknown) => e instanceof ProfileError && e.path === "iommu.dmabuf_limit_mib",
  );
  const ok = new System({ profile: { base: "optane-p5800x", iommu: { aperture_bits: 57 } } });
  assert.equal(ok.profile.iommu.aperture_bits, 57);
  assert.equal(ok.profile.devices[0].dma_mask_bits, 64, "the default");
});
