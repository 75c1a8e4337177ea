// dma-buf invalidation under load: 128 reads kept in flight (refilled as they
// complete, a few thousand in all) while the exporter invalidates the
// mapping again and again (scheduled move_notify with a short period,
// move_notify between submissions, a GPU migration). No request is lost or
// completes twice, every byte is right, and the counters add up.
// Each test is a short program: set up, act, check every result.
import assert from "node:assert/strict";
import {
  EAGAIN,
  getSqe,
  inflightCommands,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  peekCqe,
  prepReadFixed,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  sqeSetData64,
  submit,
  submitAndWait,
  System,
  waitCqeNr,
} from "../mod.ts";
import {
  type Machine,
  MiB,
  type Mode,
  openDrive,
  patternMismatch,
  udmabuf,
  writePattern,
} from "./helpers.ts";

const PATTERN_BYTES = 4 * MiB;
const QD = 128;
const IO_BYTES = 4096;
const DEFER = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

function machine(mode: Mode, ringFlags: number, route: "switch" | "host_bridge" = "switch"): Machine {
  const sys = new System({
    profile: { base: "optane-p5800x", iommu: { mode }, gpus: [{ name: "gpu0", vram_mib: 1024, p2p: route }] },
  });
  return openDrive(sys, QD, ringFlags);
}

function dmabuf(m: Machine, kind: "udmabuf" | "gpu"): number {
  const size = QD * 8192;
  let db: number;
  if (kind === "gpu") db = m.sys.gpuDmabufCreate(0, size);
  else db = udmabuf(m.sys, size);
  assert.ok(db >= 3, `dma-buf ${db}`);
  assert.equal(registerBuffersSparse(m.ring, 1), 0);
  assert.equal(registerBufferDmabuf(m.ring, 0, db, m.fd), 1);
  return db;
}

interface LoadResult {
  retries: number;
  submissions: number;
}

/**
 * Keep QD reads in flight until `total` have completed with their full size;
 * `between(i)` runs before the i-th submission. -EAGAIN (which the series
 * tells callers to expect) is reissued under a new user_data.
 */
function load(m: Machine, db: number, total: number, between: (i: number) => void): LoadResult {
  interface Io {
    slot: number;
    devOff: number;
  }
  const outstanding = new Map<bigint, Io>();
  const finished = new Set<bigint>();
  const free = Array.from({ length: QD }, (_, i) => QD - 1 - i);
  const retry: Io[] = [];
  let nextId = 1n;
  let issued = 0;
  let good = 0;
  let retries = 0;
  let round = 0;
  let x = 12345;
  while (good < total) {
    while (outstanding.size < QD && (retry.length > 0 || (issued < total && free.length > 0))) {
      let io = retry.pop();
      if (!io) {
        x = (x * 1103515245 + 12345) >>> 0;
        io = { slot: free.pop()!, devOff: ((x >>> 8) % (PATTERN_BYTES / IO_BYTES)) * IO_BYTES };
        issued++;
      }
      const sqe = getSqe(m.ring);
      assert.ok(sqe, "SQ full");
      // Buffer offsets dword aligned, not page aligned: each I/O spans two pages.
      prepReadFixed(sqe, m.fd, io.slot * 8192 + 4 * (io.slot % 1000), IO_BYTES, io.devOff, 0);
      sqeSetData64(sqe, nextId);
      outstanding.set(nextId, io);
      nextId++;
    }
    between(round++);
    assert.ok(submitAndWait(m.ring, 1) >= 0);
    for (const c of reapCqes(m.ring)) {
      const io = outstanding.get(c.userData);
      assert.ok(
        io,
        `user_data ${c.userData}: ${finished.has(c.userData) ? "completed twice" : "never submitted"}`,
      );
      outstanding.delete(c.userData);
      finished.add(c.userData);
      if (c.res === -EAGAIN) {
        retries++;
        retry.push(io);
        continue;
      }
      assert.equal(c.res, IO_BYTES, `user_data ${c.userData}`);
      const got = m.sys.dmabufRead(db, io.slot * 8192 + 4 * (io.slot % 1000), IO_BYTES);
      if (typeof got === "number") throw new Error(`dmabufRead ${got}`);
      assert.equal(patternMismatch(got, io.devOff), -1, `user_data ${c.userData} (dev ${io.devOff}): bytes`);
      free.push(io.slot);
      good++;
    }
  }
  assert.equal(outstanding.size, 0, "nothing lost");
  assert.equal(good, total);
  assert.equal(finished.size, total + retries, "one CQE per submission");
  assert.deepEqual(peekCqe(m.ring), [-11, null], "no CQE left over");
  assert.equal(inflightCommands(m.sys).length, 0);
  return { retries, submissions: Number(nextId) - 1 };
}

/** The counters must add up; returns them for the report. */
function checkCounters(m: Machine, res: LoadResult): Record<string, number> {
  const c = m.sys.dmabufCounters();
  const live = m.sys.dmabufLive();
  const summary = {
    ...c,
    live_maps: live.maps,
    iommu_unmaps: m.sys.iommuCounters().unmaps,
    retries: res.retries,
    submissions: res.submissions,
  };
  const s = JSON.stringify(summary);
  assert.ok(c.invalidations >= 1, `invalidations: ${s}`);
  assert.ok(c.remaps >= 1, `remaps: ${s}`);
  assert.equal(c.fences_signalled, c.maps_freed, `fences_signalled == maps_freed: ${s}`);
  assert.equal(c.maps_created, c.maps_freed + live.maps, `maps_created == maps_freed + live: ${s}`);
  assert.ok(live.maps <= 1, `at most the published map is left: ${s}`);
  assert.ok(c.waits >= c.remaps, `waits >= remaps: ${s}`);
  assert.equal(c.maps_created, c.remaps + 1, `every map after the first is a remap: ${s}`);
  assert.equal(c.eagain, res.retries, `every -EAGAIN counted: ${s}`);
  return summary;
}

const CASES: [string, Mode, number, "udmabuf" | "gpu", "switch" | "host_bridge"][] = [
  ["udmabuf, strict, plain ring", "strict", 0, "udmabuf", "switch"],
  ["udmabuf, lazy, DEFER ring", "lazy", DEFER, "udmabuf", "switch"],
  ["udmabuf, passthrough, DEFER ring", "passthrough", DEFER, "udmabuf", "switch"],
];

for (const [name, mode, ringFlags, kind, route] of CASES) {
  Deno.test(`dmabufScheduleInvalidate and dmabufMoveNotify under queue depth 128 lose no request and no byte (${name})`, () => {
    const m = machine(mode, ringFlags, route);
    writePattern(m, PATTERN_BYTES);
    const db = dmabuf(m, kind);
    const t0 = m.sys.coreTimeNs(0);
    assert.equal(m.sys.dmabufScheduleInvalidate(db, t0 + 5_000, 15_000, 60), 0);
    const res = load(m, db, 3000, (i) => {
      if (i % 7 === 3) assert.equal(m.sys.dmabufMoveNotify(db), 0);
    });
    const c = checkCounters(m, res);
    assert.ok(c.invalidations >= 10, `many invalidations: ${JSON.stringify(c)}`);
    console.log(`  ${name}: ${JSON.stringify(c)}`);
  });
}

for (const route of ["host_bridge", "switch"] as const) {
  Deno.test(`dmabufMoveNotify with migrate on a GPU dma-buf under queue depth 128 keeps every byte (${route})`, () => {
    const m = machine("strict", 0, route);
    writePattern(m, PATTERN_BYTES);
    const db = dmabuf(m, "gpu");
    const t0 = m.sys.coreTimeNs(0);
    assert.equal(m.sys.dmabufScheduleInvalidate(db, t0 + 7_000, 25_000, 30), 0);
    const res = load(m, db, 2500, (i) => {
      if (i % 11 === 5) assert.equal(m.sys.dmabufMoveNotify(db, { migrate: i % 2 === 1 }), 0);
    });
    const c = checkCounters(m, res);
    assert.ok(c.migrations >= 1, `migrations: ${JSON.stringify(c)}`);
    console.log(`  gpu ${route}: ${JSON.stringify(c)}`);
  });
}

Deno.test("dmabufMoveNotify with migrate: a second importer cannot map the old pages while the move waits", () => {
  const sys = new System({ iommu: "passthrough" });
  const m = openDrive(sys, 256);
  writePattern(m, 1 << 20);
  const gpu = sys.gpuDmabufCreate(0, 256 << 10);
  assert.ok(gpu > 0);
  assert.equal(registerBuffersSparse(m.ring, 2), 0);
  assert.equal(registerBufferDmabuf(m.ring, 0, gpu, m.fd), 1);
  assert.equal(registerBufferDmabuf(m.ring, 1, gpu, m.fd), 1);
  // Slot 0 builds its map and keeps reads in flight on it; slot 1 has none yet.
  for (let i = 0; i < 64; i++) prepReadFixed(getSqe(m.ring)!, m.fd, 0, 4096, 0, 0);
  submitAndWait(m.ring, 64);
  reapCqes(m.ring);
  for (let i = 0; i < 32; i++) prepReadFixed(getSqe(m.ring)!, m.fd, 4096 * i, 4096, 4096 * i, 0);
  submit(m.ring);
  const before = sys.dmabufPagePa(gpu, 40);
  assert.equal(sys.dmabufMoveNotify(gpu, { migrate: true }), 0);
  // Slot 1's reads arrive while the move waits for slot 0's fence.
  for (let i = 40; i < 60; i++) prepReadFixed(getSqe(m.ring)!, m.fd, 4096 * i, 4096, 4096 * i, 1);
  submit(m.ring);
  const [ret] = waitCqeNr(m.ring, 52);
  assert.equal(ret, 0);
  const cqes = reapCqes(m.ring);
  assert.equal(cqes.length, 52);
  assert.ok(cqes.every((c) => c.res === 4096));
  assert.equal(sys.dmabufCounters().migrations, 1);
  assert.notEqual(sys.dmabufPagePa(gpu, 40), before, "the buffer moved");
  // After the move, slot 1's map must point at the new pages: what it reads lands in the buffer.
  for (let i = 0; i < 20; i++) {
    prepReadFixed(getSqe(m.ring)!, m.fd, 4096 * (i + 40), 4096, 4096 * (i + 100), 1);
  }
  assert.equal(submitAndWait(m.ring, 20), 20);
  assert.ok(reapCqes(m.ring).every((c) => c.res === 4096));
  const got = sys.dmabufRead(gpu, 40 * 4096, 20 * 4096);
  assert.ok(got instanceof Uint8Array);
  assert.equal(patternMismatch(got, 100 * 4096), -1);
});
