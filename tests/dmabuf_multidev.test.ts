// One dma-buf, several devices (issue 14 item 1; Ming Lei's question at
// LSF/MM). The same dma-buf is registered for several block devices, from one
// ring or several: each registration is its own attachment, token and map,
// mapped in its own device's IOMMU domain; I/O to each device goes through
// its own map; move_notify reaches every importer and a GPU exporter moves
// the memory only once all of their fences have signalled. Under load on all
// devices at once no request is lost and every byte is right.
import assert from "node:assert/strict";
import {
  EAGAIN,
  EBADF,
  getSqe,
  inflightCommands,
  type IoUring,
  ioUringQueueInit,
  O_DIRECT,
  O_RDWR,
  OPTANE_P5800X,
  prepReadFixed,
  prepWrite,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  sqeSetData64,
  submitAndWait,
  System,
} from "../mod.ts";
import { MiB, type Mode, pattern, patternMismatch, udmabuf } from "./helpers.ts";

const DEVICES = 3;
const PATTERN_BYTES = 2 * MiB;
/** Each device's pattern is offset so its bytes say which device they came from. */
const DEV_TAG = 2 ** 32;

interface Rig {
  sys: System;
  fds: number[];
  rings: IoUring[];
}

/** A machine with DEVICES drives, each holding its own pattern, and `rings` rings. */
function rig(mode: Mode, rings: number, gpu = false): Rig {
  const d0 = OPTANE_P5800X.devices[0];
  const sys = new System({
    profile: {
      base: "optane-p5800x",
      iommu: { mode },
      devices: Array.from({ length: DEVICES }, (_, k) => ({ ...d0, name: `nvme${k}n1` })),
      ...(gpu ? { gpus: [{ name: "gpu0", vram_mib: 1024, p2p: "host_bridge" }] } : {}),
    },
  });
  const fds = Array.from({ length: DEVICES }, (_, k) => {
    const fd = sys.open(`/dev/nvme${k}n1`, O_RDWR | O_DIRECT);
    assert.ok(fd >= 3);
    return fd;
  });
  const rs = Array.from({ length: rings }, () => {
    const r = ioUringQueueInit(sys, 256, 0);
    if (typeof r === "number") throw new Error(`ring ${r}`);
    return r;
  });
  // The pattern on every device, written with ordinary O_DIRECT writes.
  const va = sys.mmapAnon(MiB);
  for (let k = 0; k < DEVICES; k++) {
    for (let off = 0; off < PATTERN_BYTES; off += MiB) {
      assert.equal(sys.writeUser(va, pattern(off + k * DEV_TAG, MiB)), 0);
      prepWrite(getSqe(rs[0])!, fds[k], va, MiB, off);
      assert.equal(submitAndWait(rs[0], 1), 1);
      assert.equal(reapCqes(rs[0])[0].res, MiB);
    }
  }
  return { sys, fds, rings: rs };
}

/** Register `db` once per device: device k in slot k of ring k % rings. */
function registerAll(r: Rig, db: number): void {
  for (const ring of r.rings) assert.equal(registerBuffersSparse(ring, DEVICES), 0);
  for (let k = 0; k < DEVICES; k++) {
    assert.equal(registerBufferDmabuf(r.rings[k % r.rings.length], k, db, r.fds[k]), 1);
  }
}

Deno.test("one dma-buf registered for three devices: a token and a map per device, each in its own IOMMU domain", () => {
  const r = rig("strict", 1);
  const size = 1 * MiB;
  const db = udmabuf(r.sys, size);
  registerAll(r, db);
  assert.deepEqual(r.sys.dmabufLive(), { maps: 0, tokens: DEVICES }, "registration maps nothing yet");
  // Device k reads its own pattern into its own quarter... of one buffer.
  for (let k = 0; k < DEVICES; k++) {
    prepReadFixed(getSqe(r.rings[0])!, r.fds[k], k * 65536, 65536, 65536, k);
  }
  assert.equal(submitAndWait(r.rings[0], DEVICES), DEVICES);
  assert.ok(reapCqes(r.rings[0]).every((c) => c.res === 65536));
  assert.deepEqual(r.sys.dmabufLive(), { maps: DEVICES, tokens: DEVICES });
  for (let k = 0; k < DEVICES; k++) {
    // Each device's domain holds an IOVA range for the whole buffer.
    assert.ok(r.sys.iovaInUseBytes(k) >= size, `device ${k}: ${r.sys.iovaInUseBytes(k)}`);
    const got = r.sys.dmabufRead(db, k * 65536, 65536);
    assert.ok(got instanceof Uint8Array);
    assert.equal(patternMismatch(got, 65536 + k * DEV_TAG), -1, `device ${k}'s bytes`);
  }
  // A slot's registration is for its device only: the same slot on another device is -EBADF.
  prepReadFixed(getSqe(r.rings[0])!, r.fds[1], 0, 4096, 0, 0);
  assert.equal(submitAndWait(r.rings[0], 1), 1);
  assert.equal(reapCqes(r.rings[0])[0].res, -EBADF);
  assert.equal(r.sys.security().dmabufMaps.bytesMax, DEVICES * size, "the whole buffer once per device");
  // One move_notify reaches every importer.
  const before = r.sys.dmabufCounters().invalidations;
  assert.equal(r.sys.dmabufMoveNotify(db), 0);
  assert.equal(r.sys.dmabufCounters().invalidations - before, DEVICES);
  assert.equal(r.sys.dmabufLive().maps, 0, "no I/O in flight: every map is gone at once");
});

interface Io {
  dev: number;
  slot: number;
  bufOff: number;
  devOff: number;
}

/**
 * Keep `qd` reads in flight spread over every device (each ring submits to
 * its devices) until `total` have completed with their full size; `between(i)`
 * runs before each round. -EAGAIN is reissued. Every read's bytes are checked.
 */
function load(r: Rig, db: number, qd: number, total: number, between: (i: number) => void): number {
  const out = new Map<bigint, Io>();
  const seen = new Set<bigint>();
  const freeBuf = Array.from({ length: qd }, (_, i) => i);
  const retry: Io[] = [];
  let id = 1n;
  let issued = 0;
  let good = 0;
  let retries = 0;
  let x = 777;
  for (let round = 0; good < total; round++) {
    while (out.size < qd && (retry.length > 0 || (issued < total && freeBuf.length > 0))) {
      let io = retry.pop();
      if (!io) {
        x = (x * 1103515245 + 12345) >>> 0;
        const dev = (x >>> 4) % DEVICES;
        io = {
          dev,
          slot: dev,
          bufOff: freeBuf.pop()! * 8192,
          devOff: ((x >>> 8) % (PATTERN_BYTES / 4096)) * 4096,
        };
        issued++;
      }
      const ring = r.rings[io.dev % r.rings.length];
      const sqe = getSqe(ring);
      assert.ok(sqe);
      prepReadFixed(sqe, r.fds[io.dev], io.bufOff, 4096, io.devOff, io.slot);
      sqeSetData64(sqe, id);
      out.set(id++, io);
    }
    between(round);
    for (const ring of r.rings) {
      assert.ok(submitAndWait(ring, 0) >= 0);
    }
    // Wait on the first ring with work; the others are reaped as they come.
    const busy = r.rings.find((ring) =>
      [...out.values()].some((io) => r.rings[io.dev % r.rings.length] === ring)
    );
    if (busy) assert.ok(submitAndWait(busy, 1) >= 0);
    for (const ring of r.rings) {
      for (const c of reapCqes(ring)) {
        const io = out.get(c.userData);
        assert.ok(io, `user_data ${c.userData}: ${seen.has(c.userData) ? "completed twice" : "unknown"}`);
        out.delete(c.userData);
        seen.add(c.userData);
        if (c.res === -EAGAIN) {
          retries++;
          retry.push(io);
          continue;
        }
        assert.equal(c.res, 4096, `device ${io.dev}`);
        const got = r.sys.dmabufRead(db, io.bufOff, 4096);
        assert.ok(got instanceof Uint8Array);
        assert.equal(
          patternMismatch(got, io.devOff + io.dev * DEV_TAG),
          -1,
          `device ${io.dev} at ${io.devOff}`,
        );
        freeBuf.push(io.bufOff / 8192);
        good++;
      }
    }
  }
  assert.equal(out.size, 0, "nothing lost");
  assert.equal(inflightCommands(r.sys).length, 0);
  return retries;
}

for (const [mode, rings] of [["strict", 1], ["lazy", 3], ["passthrough", 2]] as const) {
  Deno.test(`one dma-buf on three devices under load, move_notify again and again: nothing lost, every byte right (${mode}, ${rings} ring(s))`, () => {
    const r = rig(mode, rings);
    const db = udmabuf(r.sys, 128 * 8192);
    registerAll(r, db);
    const t0 = r.sys.coreTimeNs(0);
    assert.equal(r.sys.dmabufScheduleInvalidate(db, t0 + 5_000, 20_000, 40), 0);
    const retries = load(r, db, 96, 2400, (i) => {
      if (i % 9 === 4) assert.equal(r.sys.dmabufMoveNotify(db), 0);
    });
    const c = r.sys.dmabufCounters();
    const live = r.sys.dmabufLive();
    // Every move_notify reaches the importers that had a map: several per event.
    assert.ok(c.invalidations > 40, JSON.stringify(c));
    assert.equal(c.fences_signalled, c.maps_freed);
    assert.equal(c.maps_created, c.maps_freed + live.maps);
    assert.ok(live.maps <= DEVICES);
    assert.equal(c.eagain, retries);
    // Every map after each device's first is a remap after an invalidation.
    assert.equal(c.maps_created, c.remaps + DEVICES, JSON.stringify(c));
  });
}

Deno.test("a GPU exporter moves a dma-buf shared by three devices only once every device's fence has signalled", () => {
  const r = rig("strict", 1, true);
  const db = r.sys.gpuDmabufCreate(0, 128 * 8192);
  assert.ok(db >= 3);
  registerAll(r, db);
  // Reads in flight on every device, then a move: it waits for all three fences.
  const ring = r.rings[0];
  for (let k = 0; k < DEVICES; k++) prepReadFixed(getSqe(ring)!, r.fds[k], k * 4096, 4096, 0, k);
  assert.equal(submitAndWait(ring, DEVICES), DEVICES);
  assert.equal(reapCqes(ring).length, DEVICES);
  for (let k = 0; k < DEVICES; k++) prepReadFixed(getSqe(ring)!, r.fds[k], k * 4096, 4096, 4096, k);
  assert.equal(submitAndWait(ring, 0), DEVICES);
  const old = r.sys.dmabufPagePa(db, 0);
  assert.equal(r.sys.dmabufMoveNotify(db, { migrate: true }), 0);
  assert.equal(r.sys.dmabufCounters().migrations, 0, "three maps still hold references");
  assert.equal(r.sys.dmabufPagePa(db, 0), old);
  assert.equal(submitAndWait(ring, DEVICES), 0);
  const cqes = reapCqes(ring);
  assert.equal(cqes.length, DEVICES);
  assert.ok(cqes.every((c) => c.res === 4096));
  assert.equal(r.sys.dmabufCounters().migrations, 1, "moved once the last fence signalled");
  assert.notEqual(r.sys.dmabufPagePa(db, 0), old);
  for (let k = 0; k < DEVICES; k++) {
    // The bytes the reads brought moved with the buffer.
    const got = r.sys.dmabufRead(db, k * 4096, 4096);
    assert.ok(got instanceof Uint8Array);
    assert.equal(patternMismatch(got, 4096 + k * DEV_TAG), -1, `device ${k}`);
  }
  // Then under load with moves again and again.
  let moves = 0;
  const pages: number[] = [];
  load(r, db, 96, 1500, (i) => {
    if (i % 13 === 6) {
      pages.push(r.sys.dmabufPagePa(db, 3));
      assert.equal(r.sys.dmabufMoveNotify(db, { migrate: true }), 0);
      moves++;
    }
  });
  const c = r.sys.dmabufCounters();
  assert.ok(moves >= 3);
  assert.ok(c.migrations >= 1 && c.migrations <= moves, JSON.stringify(c));
  assert.equal(c.migrations_failed, 0);
  assert.notEqual(r.sys.dmabufPagePa(db, 3), pages[0], "the buffer moved");
});
