// dma-buf registered buffers, data correctness: a udmabuf (and a GPU VRAM
// dma-buf) registered for the drive serves READ_FIXED / WRITE_FIXED with the
// SQE addr as a byte offset into the dma-buf, at every device offset, buffer
// offset and size (through splits), with the right bytes at the right place
// and nothing else touched; in every IOMMU mode, with a plain ring and with
// COOP_TASKRUN|SINGLE_ISSUER|DEFER_TASKRUN. The media holds a known pattern
// written first with ordinary O_DIRECT writes from user memory.
// Each test is a short program: set up, act, check every result.
import assert from "node:assert/strict";
import {
  EBADF,
  EINVAL,
  getSqe,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  MFD_ALLOW_SEALING,
  O_RDWR,
  peekCqe,
  prepRead,
  prepReadFixed,
  prepWriteFixed,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  sqeSetData64,
  submitAndWait,
  System,
} from "../mod.ts";
import {
  dmabufBytes,
  KiB,
  type Machine,
  MiB,
  type Mode,
  MODES,
  openDrive,
  patternMismatch,
  randomBytes,
  runner,
  udmabuf,
  writePattern,
} from "./helpers.ts";

type Route = "switch" | "host_bridge";
const DEFER = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
const RINGS: readonly [string, number][] = [["plain ring", 0], ["COOP|SINGLE_ISSUER|DEFER ring", DEFER]];
/** Bytes of media holding the pattern. */
const PATTERN_BYTES = 4 * MiB;
/** The dma-buf: room for the largest read at the largest buffer offset. */
const DMABUF_BYTES = MiB + 32 * KiB;
const SENTINEL = 0xa5;
const GUARD = 4096;

const DEV_OFFS = [0, 3584, MiB + 512, 3 * MiB - 4096];
const BUF_OFFS = [0, 4, 2048 + 12, 3 * 4096 + 4092];
const SIZES = [512, 4 * KiB, 68 * KiB, 300 * KiB, MiB];

/** Submit one SQE per prep, wait for all; one CQE each, nothing left over. Results in order. */
const run = runner(0x7000);

/** A fresh machine in IOMMU `mode`, the drive open O_RDWR|O_DIRECT, a ring of 64 with `ringFlags`. */
function machine(mode: Mode, ringFlags = 0, route?: Route): Machine {
  const profile: Record<string, unknown> = { base: "optane-p5800x", iommu: { mode } };
  if (route) profile.gpus = [{ name: "gpu0", vram_mib: 1024, p2p: route }];
  return openDrive(new System({ profile }), 64, ringFlags);
}

/** Index of the first byte not equal to `v`, or -1. */
function notFilled(bytes: Uint8Array, v: number): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== v) return i;
  return -1;
}

/** The dma-buf (udmabuf or GPU VRAM), filled with the sentinel and registered in slot 0. */
function registered(m: Machine, kind: "udmabuf" | "gpu"): number {
  const db = kind === "gpu" ? m.sys.gpuDmabufCreate(0, DMABUF_BYTES) : udmabuf(m.sys, DMABUF_BYTES);
  assert.ok(db >= 3, `dma-buf: ${db}`);
  assert.equal(m.sys.dmabufWrite(db, 0, new Uint8Array(DMABUF_BYTES).fill(SENTINEL)), DMABUF_BYTES);
  assert.equal(registerBuffersSparse(m.ring, 4), 0);
  assert.equal(registerBufferDmabuf(m.ring, 0, db, m.fd), 1);
  return db;
}

/**
 * Every (device offset, buffer offset, size): READ_FIXED returns the full
 * size, the bytes land at the buffer offset, the sentinel around them stays.
 */
function readMatrix(m: Machine, db: number): void {
  for (const devOff of DEV_OFFS) {
    for (const bufOff of BUF_OFFS) {
      for (const len of SIZES) {
        const what = `dev ${devOff} buf ${bufOff} len ${len}`;
        assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, bufOff, len, devOff, 0)), [len], what);
        const lo = Math.max(0, bufOff - GUARD);
        const hi = Math.min(DMABUF_BYTES, bufOff + len + GUARD);
        const got = dmabufBytes(m.sys, db, lo, hi - lo);
        assert.equal(notFilled(got.subarray(0, bufOff - lo), SENTINEL), -1, `${what}: bytes before touched`);
        assert.equal(
          patternMismatch(got.subarray(bufOff - lo, bufOff - lo + len), devOff),
          -1,
          `${what}: data`,
        );
        assert.equal(
          notFilled(got.subarray(bufOff - lo + len), SENTINEL),
          -1,
          `${what}: bytes after touched`,
        );
        assert.equal(m.sys.dmabufWrite(db, lo, new Uint8Array(hi - lo).fill(SENTINEL)), hi - lo);
      }
    }
  }
}

/** A thousand one-block reads, sixteen in flight, each checked as it completes. */
function thousandReads(m: Machine, db: number): void {
  const total = 1000;
  const inflight = new Map<number, { bufOff: number; devOff: number }>();
  const freeSlots = Array.from({ length: 16 }, (_, i) => i);
  const slotOf = new Map<number, number>();
  let next = 0;
  let done = 0;
  while (done < total) {
    while (freeSlots.length > 0 && next < total) {
      const slot = freeSlots.pop()!;
      const devOff = ((next * 7919) % (PATTERN_BYTES / 512)) * 512;
      const bufOff = slot * 8192 + (next * 52) % 3584;
      const sqe = getSqe(m.ring);
      assert.ok(sqe);
      prepReadFixed(sqe, m.fd, bufOff, 512, devOff, 0);
      sqeSetData64(sqe, next);
      inflight.set(next, { bufOff, devOff });
      slotOf.set(next, slot);
      next++;
    }
    assert.ok(submitAndWait(m.ring, 1) >= 0);
    for (const c of reapCqes(m.ring)) {
      const id = Number(c.userData);
      const io = inflight.get(id);
      assert.ok(io, `unexpected or repeated user_data ${id}`);
      assert.equal(c.res, 512, `read ${id}`);
      assert.equal(patternMismatch(dmabufBytes(m.sys, db, io.bufOff, 512), io.devOff), -1, `read ${id} data`);
      inflight.delete(id);
      freeSlots.push(slotOf.get(id)!);
      done++;
    }
  }
  assert.equal(inflight.size, 0);
  assert.deepEqual(peekCqe(m.ring), [-11, null]);
}

/** WRITE_FIXED of stripes from the dma-buf, read back through plain buffers. */
function stripeWrites(m: Machine, db: number, seed: number): void {
  const data = randomBytes(DMABUF_BYTES, seed);
  assert.equal(m.sys.dmabufWrite(db, 0, data), DMABUF_BYTES);
  const stripes: [number, number][] = [
    [0, 4 * KiB],
    [4, 68 * KiB],
    [2060, 300 * KiB],
    [16380, MiB],
    [0, DMABUF_BYTES],
  ];
  let devOff = 8 * MiB + 1536;
  const placed: [number, number, number][] = [];
  for (const [bufOff, len] of stripes) {
    assert.deepEqual(run(m, (s) => prepWriteFixed(s, m.fd, bufOff, len, devOff, 0)), [len], `write ${len}`);
    placed.push([bufOff, len, devOff]);
    devOff += len + 4096;
  }
  for (const [bufOff, len, off] of placed) {
    const va = m.sys.mmapAnon(len);
    assert.ok(va > 0);
    assert.deepEqual(run(m, (s) => prepRead(s, m.fd, va, len, off)), [len]);
    const back = m.sys.readUser(va, len);
    if (typeof back === "number") throw new Error(`readUser ${back}`);
    const want = data.subarray(bufOff, bufOff + len);
    const bad = back.findIndex((b, i) => b !== want[i]);
    assert.equal(bad, -1, `stripe buf ${bufOff} len ${len} at dev ${off}: first wrong byte`);
  }
  // The dma-buf itself is unchanged by writing from it.
  assert.deepEqual(dmabufBytes(m.sys, db, 0, DMABUF_BYTES), data);
}

for (const mode of MODES) {
  for (const [ringName, ringFlags] of RINGS) {
    Deno.test(`prepReadFixed on a udmabuf slot reads every offset and size into the right place (${mode}, ${ringName})`, () => {
      const m = machine(mode, ringFlags);
      writePattern(m, PATTERN_BYTES);
      const db = registered(m, "udmabuf");
      readMatrix(m, db);
      // Invalid registrations are refused and leave the slot as it was.
      const mfd = m.sys.memfdCreate(MFD_ALLOW_SEALING);
      assert.equal(registerBufferDmabuf(m.ring, 1, mfd, m.fd), -EBADF, "memfd is not a dma-buf");
      const buffered = m.sys.open("/dev/nvme0n1", O_RDWR);
      assert.equal(registerBufferDmabuf(m.ring, 1, db, buffered), -EINVAL, "target without O_DIRECT");
      assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 0, 512, 0, 1)), [-14], "slot 1 still empty");
    });

    Deno.test(`prepReadFixed on a udmabuf slot completes a thousand one-block reads sixteen at a time (${mode}, ${ringName})`, () => {
      const m = machine(mode, ringFlags);
      writePattern(m, PATTERN_BYTES);
      const db = registered(m, "udmabuf");
      thousandReads(m, db);
      const c = m.sys.dmabufCounters();
      assert.equal(c.maps_created, 1, "one map serves every request");
      assert.equal(c.invalidations, 0);
    });

    Deno.test(`prepWriteFixed from a udmabuf slot writes whole stripes that read back through plain buffers (${mode}, ${ringName})`, () => {
      const m = machine(mode, ringFlags);
      const db = registered(m, "udmabuf");
      stripeWrites(m, db, 17);
    });
  }
}

for (const route of ["switch", "host_bridge"] as const) {
  for (const mode of MODES) {
    Deno.test(`prepReadFixed and prepWriteFixed on a GPU VRAM dma-buf move the right bytes (${route}, ${mode})`, () => {
      const m = machine(mode, route === "switch" ? 0 : DEFER, route);
      writePattern(m, PATTERN_BYTES);
      const db = registered(m, "gpu");
      readMatrix(m, db);
      stripeWrites(m, db, 29);
    });
  }
}
