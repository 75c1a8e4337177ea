/**
 * Helpers shared by the simulator's tests (tests/*.test.ts): machine set-up,
 * the submit-and-reap loop, user and dma-buf memory, data patterns and byte
 * comparisons. A module, not a test file: it declares no tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  F_SEAL_SHRINK,
  getSqe,
  inflightCommands,
  type IoUring,
  ioUringQueueInit,
  MFD_ALLOW_SEALING,
  O_DIRECT,
  O_RDWR,
  OPTANE_P5800X,
  peekCqe,
  prepWrite,
  reapCqes,
  type Sqe,
  sqeSetData64,
  submit,
  System,
  waitCqeNr,
} from "../mod.ts";

/** An IOMMU mode, as profiles name it. */
export type Mode = "strict" | "lazy" | "passthrough";

/** Every IOMMU mode, for tests run once per mode. */
export const MODES: readonly Mode[] = ["strict", "lazy", "passthrough"];

/** One KiB in bytes. */
export const KiB = 1024;
/** One MiB in bytes. */
export const MiB = 1024 * KiB;
/** One GiB in bytes. */
export const GiB = 1024 * MiB;

/**
 * One drive of the published profile's class without latency jitter, so that
 * completion times in a test follow from the mechanism alone; spread it into a
 * profile's `devices` and add the fields a test varies.
 */
export const STEADY_DRIVE = {
  name: "nvme0n1",
  lba_bytes: 512,
  capacity_gib: 400,
  iops_max: 5_010_000,
  read_latency_ns: 5000,
  write_latency_ns: 5000,
  latency_jitter_ns: 0,
  media_mbps: 7000,
  channels: 64,
} as const;

/** A simulated machine as the tests drive it: the system, the drive's fd and one ring. */
export interface Machine {
  /** The simulated system. */
  sys: System;
  /** /dev/nvme0n1, opened O_RDWR|O_DIRECT. */
  fd: number;
  /** The ring the test submits on. */
  ring: IoUring;
}

/**
 * Open /dev/nvme0n1 O_RDWR|O_DIRECT on `sys` (checking the fd) and set up a
 * ring of `entries` with `ringFlags` (throwing if that fails).
 */
export function openDrive(sys: System, entries = 64, ringFlags = 0): Machine {
  const fd = sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT);
  assert.ok(fd >= 3, `open: ${fd}`);
  const ring = ioUringQueueInit(sys, entries, ringFlags);
  if (typeof ring === "number") throw new Error(`ring: ${ring}`);
  return { sys, fd, ring };
}

/**
 * A system on the optane-p5800x profile in IOMMU `mode`, its drive formatted
 * with `lba`-byte logical blocks, and `nvme` overriding the driver settings.
 */
export function lbaSystem(mode: Mode, lba: 512 | 4096 = 512, nvme: Record<string, unknown> = {}): System {
  return new System({
    profile: {
      base: "optane-p5800x",
      iommu: { mode },
      nvme,
      devices: [{ ...OPTANE_P5800X.devices[0], lba_bytes: lba }],
    },
  });
}

/** Fills one SQE (the helper sets its user_data). */
export type Prep = (sqe: Sqe) => void;

/**
 * A `run(m, ...preps)` that submits one SQE per prep (user_data
 * `userDataBase + i`), waits for all and returns their results in order;
 * it checks every request got exactly one CQE, no CQE is left over and no
 * command is left in flight.
 */
/**
 * Submit every prepared SQE, then wait for `wait` CQEs. io_uring_enter stops
 * at an SQE that fails to initialise (unless IORING_SETUP_SUBMIT_ALL), so a
 * program submits again for the rest, as this does. Returns SQEs consumed.
 */
export function submitAllAndWait(ring: IoUring, wait: number): number {
  let total = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const r = submit(ring);
    if (r <= 0) break;
    total += r;
  }
  if (wait > 0) {
    const [ret] = waitCqeNr(ring, wait);
    assert.equal(ret, 0, `waiting for ${wait} CQEs: ${ret}`);
  }
  return total;
}

export function runner(userDataBase: number): (m: Machine, ...preps: Prep[]) => number[] {
  return (m, ...preps) => {
    preps.forEach((prep, i) => {
      const sqe = getSqe(m.ring);
      assert.ok(sqe, "SQ full");
      prep(sqe);
      sqeSetData64(sqe, userDataBase + i);
    });
    assert.equal(submitAllAndWait(m.ring, preps.length), preps.length);
    const cqes = reapCqes(m.ring);
    assert.equal(cqes.length, preps.length, "one CQE per request");
    const res: number[] = new Array(preps.length);
    const seen = new Set<number>();
    for (const c of cqes) {
      const i = Number(c.userData) - userDataBase;
      assert.ok(i >= 0 && i < preps.length && !seen.has(i), `unexpected user_data ${c.userData}`);
      seen.add(i);
      res[i] = c.res;
    }
    assert.deepEqual(peekCqe(m.ring), [-11, null], "no further CQE");
    assert.equal(inflightCommands(m.sys).length, 0, "no command left in flight");
    return res;
  };
}

/** mmap `bytes` of anonymous user memory (scattered pages unless `contiguous`); checks it mapped. */
export function mapBuffer(sys: System, bytes: number, contiguous = false): number {
  const va = sys.mmapAnon(bytes, { contiguous });
  assert.ok(va > 0, `mmap ${bytes}`);
  return va;
}

/** {@link mapBuffer}, then fill it (default with 0xa5 so that untouched bytes show). */
export function filledBuffer(sys: System, bytes: number, contiguous = false, fill = 0xa5): number {
  const va = mapBuffer(sys, bytes, contiguous);
  assert.equal(sys.writeUser(va, new Uint8Array(bytes).fill(fill)), 0);
  return va;
}

/** Put an array of `[base, len]` iovecs (struct iovec, 16 bytes each) in user memory; returns its address. */
export function iovecArray(sys: System, iovs: readonly (readonly [number, number])[]): number {
  const b = new Uint8Array(16 * iovs.length);
  const v = new DataView(b.buffer);
  iovs.forEach(([base, len], i) => {
    v.setBigUint64(16 * i, BigInt(base), true);
    v.setBigUint64(16 * i + 8, BigInt(len), true);
  });
  const va = sys.mmapAnon(Math.max(16, b.length));
  assert.equal(sys.writeUser(va, b), 0);
  return va;
}

/** A memfd of `size` bytes that allows sealing, with `seals` added (none when 0). */
export function sealedMemfd(sys: System, size: number, seals = F_SEAL_SHRINK): number {
  const mfd = sys.memfdCreate(MFD_ALLOW_SEALING);
  assert.ok(mfd >= 3);
  assert.equal(sys.ftruncate(mfd, size), 0);
  if (seals) assert.equal(sys.fcntlAddSeals(mfd, seals), 0);
  return mfd;
}

/** A udmabuf of `size` bytes over a memfd sealed against shrinking. */
export function udmabuf(sys: System, size: number): number {
  const mfd = sealedMemfd(sys, size);
  const db = sys.udmabufCreate(mfd, 0, size);
  assert.ok(db >= 3, `udmabuf: ${db}`);
  return db;
}

/** `len` bytes of dma-buf `db` from `off` (throws on an error; checks the length). */
export function dmabufBytes(sys: System, db: number, off: number, len: number): Uint8Array {
  const b = sys.dmabufRead(db, off, len);
  if (typeof b === "number") throw new Error(`dmabufRead: ${b}`);
  assert.equal(b.length, len);
  return b;
}

/** Seeded pseudo-random bytes (xorshift32). */
export function randomBytes(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Each whole little-endian 64-bit word holds its own byte offset on the
 * device (`devOff` + its index), tagged with `tag` in the top byte.
 */
export function pattern(devOff: number, len: number, tag = 0): Uint8Array {
  const out = new Uint8Array(len);
  const u = new Uint32Array(out.buffer, 0, len >>> 2);
  const top = (tag & 0xff) << 24;
  for (let k = 0; 4 * k + 8 <= len; k += 2) {
    const pos = devOff + 4 * k;
    u[k] = pos >>> 0;
    u[k + 1] = (Math.floor(pos / 2 ** 32) | top) >>> 0;
  }
  return out;
}

/** The run loop of {@link writePattern}. */
const runPatternWrite = runner(0x7000);

/**
 * Put the untagged {@link pattern} on the drive's [0, `bytes`) with ordinary
 * O_DIRECT writes of 1 MiB from user memory, each completing with its full size.
 */
export function writePattern(m: Machine, bytes: number): void {
  const va = m.sys.mmapAnon(MiB);
  assert.ok(va > 0);
  for (let off = 0; off < bytes; off += MiB) {
    assert.equal(m.sys.writeUser(va, pattern(off, MiB)), 0);
    assert.deepEqual(runPatternWrite(m, (s) => prepWrite(s, m.fd, va, MiB, off)), [MiB]);
  }
}

/** Index of the first byte of `bytes` (4-aligned view) not holding the untagged pattern for `devOff`, or -1. */
export function patternMismatch(bytes: Uint8Array, devOff: number): number {
  const u = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  for (let k = 0; k < u.length; k += 2) {
    const pos = devOff + 4 * k;
    if (u[k] !== pos >>> 0 || u[k + 1] !== Math.floor(pos / 2 ** 32)) return 4 * k;
  }
  return -1;
}
