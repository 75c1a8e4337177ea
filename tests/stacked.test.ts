// Stacked block devices (issue 14 item 2; Ming Lei's question at LSF/MM):
// dm-linear, dm-stripe and md raid1 over the machine's NVMe namespaces,
// opened as /dev/dm-N and /dev/mdN. Each test sets a stacked device up,
// drives I/O through it with liburing's calls, and checks what the stacking
// driver did on each member (clones, NVMe commands, bytes where the layout
// puts them) and what the program saw: linear_map and stripe_map splitting
// at target and chunk boundaries, raid1 writes cloned to every mirror and
// completing with the last, read_balance, raid1_error's Faulty bit, raid1d's
// retry of a failed read on another mirror, v3's
// -EINVAL for a dma-buf registration on a bio-based stacked queue, and the
// forwarding design from the thread, with a map per member.
import assert from "node:assert/strict";
import {
  EBUSY,
  EINVAL,
  EIO,
  ENODATA,
  ENODEV,
  getSqe,
  type IoUring,
  ioUringQueueInit,
  O_DIRECT,
  O_RDWR,
  OPTANE_P5800X,
  prepRead,
  prepReadFixed,
  prepWrite,
  prepWriteFixed,
  ProfileError,
  reapCqes,
  registerBufferDmabuf,
  registerBuffers,
  registerBuffersSparse,
  type RunResult,
  runUring,
  submitAndWait,
  System,
} from "../mod.ts";
import { dmabufBytes, KiB, MiB, type Mode, randomBytes, udmabuf } from "./helpers.ts";
import { stackedLine, stackedRow } from "../bench/stacked.ts";

const D0 = OPTANE_P5800X.devices[0];

/** `n` drives nvme0n1 … (each `over` applied) and the stacked devices `stacked`, in IOMMU `mode`. */
function machine(
  n: number,
  stacked: Record<string, unknown>[],
  mode: Mode = "strict",
  over: (k: number) => Record<string, unknown> = () => ({}),
): System {
  return new System({
    profile: {
      base: "optane-p5800x",
      iommu: { mode },
      devices: Array.from({ length: n }, (_, k) => ({ ...D0, name: `nvme${k}n1`, ...over(k) })),
      stacked,
    },
  });
}

/** A ring of 64 entries on `sys`. */
function ring(sys: System): IoUring {
  const r = ioUringQueueInit(sys, 64, 0);
  if (typeof r === "number") throw new Error(`ring ${r}`);
  return r;
}

/** open O_RDWR|O_DIRECT, checked. */
function open(sys: System, path: string, flags = O_RDWR | O_DIRECT): number {
  const fd = sys.open(path, flags);
  assert.ok(fd >= 3, `open ${path}: ${fd}`);
  return fd;
}

/** Submit what `prep` prepares (one SQE) and return its CQE's res. */
function one(r: IoUring, prep: () => void): number {
  prep();
  assert.equal(submitAndWait(r, 1), 1);
  const cqes = reapCqes(r);
  assert.equal(cqes.length, 1);
  return cqes[0].res;
}

/** `len` bytes of user memory holding `data`. */
function userBuffer(sys: System, data: Uint8Array): number {
  const va = sys.mmapAnon(data.length);
  assert.ok(va > 0);
  assert.equal(sys.writeUser(va, data), 0);
  return va;
}

/** Read `len` bytes at `off` of `path` with an O_DIRECT read into fresh memory. */
function readDev(sys: System, r: IoUring, path: string, off: number, len: number): Uint8Array {
  const fd = open(sys, path);
  const va = sys.mmapAnon(len);
  assert.equal(one(r, () => prepRead(getSqe(r)!, fd, va, len, off)), len);
  sys.close(fd);
  return sys.readUser(va, len) as Uint8Array;
}

/** Commands each drive processed since `before` (from {@link commands}). */
function commandsSince(sys: System, before: number[]): number[] {
  return before.map((b, c) => sys.deviceCommands(c) - b);
}

/** NVMe commands each of the first `n` drives processed so far. */
function commands(sys: System, n: number): number[] {
  return Array.from({ length: n }, (_, c) => sys.deviceCommands(c));
}

Deno.test("dm-stripe splits a bio at chunk boundaries (stripe_map): clones and commands per member, bytes where the layout puts them", () => {
  const sys = machine(4, [{
    name: "dm-0",
    kind: "striped",
    members: ["nvme0n1", "nvme1n1", "nvme2n1", "nvme3n1"],
    chunk_kib: 16,
  }]);
  const r = ring(sys);
  const fd = open(sys, "/dev/dm-0");
  const data = randomBytes(256 * KiB, 7);
  const va = userBuffer(sys, data);
  assert.equal(registerBuffers(r, [{ iovBase: va, iovLen: data.length }]), 0);
  const before = commands(sys, 4);
  // 256 KiB at 8 KiB: chunks are 16 KiB, so the first clone is 8 KiB (the rest of chunk 0), then 15 whole
  // chunks, then 8 KiB of chunk 16 — 17 clones, stripe k taking chunks k, k+4, …
  assert.equal(one(r, () => prepWriteFixed(getSqe(r)!, fd, va, data.length, 8 * KiB, 0)), data.length);
  assert.deepEqual(sys.stackedInfo("dm-0")!.clones, [5, 4, 4, 4]);
  // Every clone fits in one command (16 KiB < the members' 128 KiB max_sectors): one command per clone.
  assert.deepEqual(commandsSince(sys, before), [5, 4, 4, 4]);
  // On each member, chunk c of the device lives at (c / 4) * 16 KiB + offset on stripe c % 4.
  for (let pos = 8 * KiB; pos < 8 * KiB + data.length; pos += 4 * KiB) {
    const chunk = Math.floor(pos / (16 * KiB));
    const onMember = Math.floor(chunk / 4) * 16 * KiB + (pos % (16 * KiB));
    const got = readDev(sys, r, `/dev/nvme${chunk % 4}n1`, onMember, 4 * KiB);
    assert.deepEqual(got, data.subarray(pos - 8 * KiB, pos - 8 * KiB + 4 * KiB), `byte ${pos} of dm-0`);
  }
  // And back through the stripe, with a plain buffer: the same bytes.
  assert.deepEqual(readDev(sys, r, "/dev/dm-0", 8 * KiB, data.length), data);
  // Its size: 4 members x the whole chunks of the smallest (every drive is whole chunks here).
  assert.equal(sys.stackedInfo("dm-0")!.sizeBytes, 4 * sys.deviceBytes(0));
});

Deno.test("dm-stripe: a clone larger than a member's max_sectors is split again by the member's queue", () => {
  const sys = machine(2, [{
    name: "dm-0",
    kind: "striped",
    members: ["nvme0n1", "nvme1n1"],
    chunk_kib: 512,
  }]);
  const r = ring(sys);
  const fd = open(sys, "/dev/dm-0");
  const data = randomBytes(MiB, 3);
  const va = userBuffer(sys, data);
  const before = commands(sys, 2);
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, MiB, 0)), MiB);
  // Two clones of 512 KiB, each split at 128 KiB (MDTS 5): four commands per member.
  assert.deepEqual(sys.stackedInfo("dm-0")!.clones, [1, 1]);
  assert.deepEqual(commandsSince(sys, before), [4, 4]);
  assert.deepEqual(readDev(sys, r, "/dev/nvme1n1", 0, 512 * KiB), data.subarray(512 * KiB));
  assert.deepEqual(readDev(sys, r, "/dev/dm-0", 0, MiB), data);
});

Deno.test("dm-linear remaps onto the members in order (linear_map) and splits at the target boundary", () => {
  const sys = machine(
    2,
    [{ name: "dm-0", kind: "linear", members: ["nvme0n1", "nvme1n1"] }],
    "lazy",
    (k) => ({ capacity_bytes: (k + 1) * MiB }),
  );
  assert.equal(sys.stackedInfo("dm-0")!.sizeBytes, 3 * MiB);
  const r = ring(sys);
  const fd = open(sys, "/dev/dm-0");
  const data = randomBytes(64 * KiB, 11);
  const va = userBuffer(sys, data);
  const before = commands(sys, 2);
  // 32 KiB before the end of the first target and 32 KiB after: one clone each.
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, data.length, MiB - 32 * KiB)), data.length);
  assert.deepEqual(sys.stackedInfo("dm-0")!.clones, [1, 1]);
  assert.deepEqual(commandsSince(sys, before), [1, 1]);
  assert.deepEqual(readDev(sys, r, "/dev/nvme0n1", MiB - 32 * KiB, 32 * KiB), data.subarray(0, 32 * KiB));
  assert.deepEqual(readDev(sys, r, "/dev/nvme1n1", 0, 32 * KiB), data.subarray(32 * KiB));
  // The end of the stacked device, as for any block device: a read there returns 0, a write -ENOSPC,
  // a read across it the bytes that exist.
  assert.equal(one(r, () => prepRead(getSqe(r)!, fd, va, 4096, 3 * MiB)), 0);
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, 4096, 3 * MiB)), -28);
  assert.equal(one(r, () => prepRead(getSqe(r)!, fd, va, 8192, 3 * MiB - 4096)), 4096);
});

Deno.test("buffered (no O_DIRECT) writes through dm-stripe and md raid1 land where the layout puts them", () => {
  const sys = machine(4, [
    { name: "dm-0", kind: "striped", members: ["nvme0n1", "nvme1n1"], chunk_kib: 4 },
    { name: "md0", kind: "raid1", members: ["nvme2n1", "nvme3n1"] },
  ]);
  const r = ring(sys);
  const data = randomBytes(16 * KiB, 5);
  const va = userBuffer(sys, data);
  for (const dev of ["/dev/dm-0", "/dev/md0"]) {
    const fd = open(sys, dev, O_RDWR);
    assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, data.length, 0)), data.length);
  }
  // Stripe 0 holds chunks 0 and 2, stripe 1 chunks 1 and 3.
  const s0 = readDev(sys, r, "/dev/nvme0n1", 0, 8 * KiB);
  assert.deepEqual(s0.subarray(0, 4 * KiB), data.subarray(0, 4 * KiB));
  assert.deepEqual(s0.subarray(4 * KiB), data.subarray(8 * KiB, 12 * KiB));
  assert.deepEqual(readDev(sys, r, "/dev/nvme1n1", 4 * KiB, 4 * KiB), data.subarray(12 * KiB));
  for (const m of ["/dev/nvme2n1", "/dev/nvme3n1"]) {
    assert.deepEqual(readDev(sys, r, m, 0, data.length), data);
  }
});

Deno.test("md raid1: a write is cloned to every mirror and completes when the slowest leg has", () => {
  // The third mirror writes 20x slower: the request completes only after its leg.
  const sys = machine(
    3,
    [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1", "nvme2n1"] }],
    "strict",
    (k) => (k === 2 ? { write_latency_ns: 200_000, latency_jitter_ns: 0 } : { latency_jitter_ns: 0 }),
  );
  const r = ring(sys);
  const fd = open(sys, "/dev/md0");
  const data = randomBytes(64 * KiB, 9);
  const va = userBuffer(sys, data);
  const before = commands(sys, 3);
  const t0 = sys.coreTimeNs();
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, data.length, 4 * MiB)), data.length);
  assert.ok(
    sys.coreTimeNs() - t0 >= 200_000,
    `completed after ${sys.coreTimeNs() - t0} ns, before the slow leg`,
  );
  assert.deepEqual(commandsSince(sys, before), [1, 1, 1]);
  assert.deepEqual(sys.stackedInfo("md0")!.clones, [1, 1, 1]);
  assert.deepEqual(sys.stackedInfo("md0")!.pending, [0, 0, 0]);
  for (let k = 0; k < 3; k++) {
    assert.deepEqual(readDev(sys, r, `/dev/nvme${k}n1`, 4 * MiB, data.length), data);
  }
  // A read goes to one mirror only, and returns the bytes.
  const mid = commands(sys, 3);
  assert.deepEqual(readDev(sys, r, "/dev/md0", 4 * MiB, data.length), data);
  assert.equal(commandsSince(sys, mid).reduce((a, b) => a + b), 1);
});

Deno.test("md raid1 read_balance: the least-pending mirror for random reads, the same mirror for a sequential stream", () => {
  const sys = machine(2, [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] }]);
  const r = ring(sys);
  const fd = open(sys, "/dev/md0");
  const va = sys.mmapAnon(MiB);
  // Eight reads in one batch at scattered offsets: each goes to the mirror with fewer pending, so they alternate.
  let before = commands(sys, 2);
  for (let i = 0; i < 8; i++) prepRead(getSqe(r)!, fd, va + i * 4096, 4096, (i * 7919 % 97) * 65536);
  assert.equal(submitAndWait(r, 8), 8);
  assert.equal(reapCqes(r).filter((c) => c.res === 4096).length, 8);
  assert.deepEqual(commandsSince(sys, before), [4, 4]);
  // One at a time at scattered offsets: nothing is pending, so the tie goes to the first mirror.
  before = commands(sys, 2);
  for (let i = 0; i < 6; i++) {
    assert.equal(one(r, () => prepRead(getSqe(r)!, fd, va, 4096, (i * 13 + 3) * MiB)), 4096);
  }
  assert.deepEqual(commandsSince(sys, before), [6, 0]);
  // A sequential stream started on mirror 1 stays there (is_sequential; NVMe has no io_opt), even with
  // mirror 0 idle: the batch of 8 left mirror 1's next_seq_sect at the end of its last read.
  const next = [1, 3, 5, 7].map((i) => (i * 7919 % 97) * 65536 + 4096);
  before = commands(sys, 2);
  const start = next[3];
  for (let i = 0; i < 4; i++) {
    assert.equal(one(r, () => prepRead(getSqe(r)!, fd, va, 4096, start + i * 4096)), 4096);
  }
  assert.deepEqual(commandsSince(sys, before), [0, 4]);
  assert.deepEqual(sys.stackedInfo("md0")!.pending, [0, 0]);
});

Deno.test("md raid1 write error: the failed mirror is marked Faulty (raid1_error), the write succeeds, later I/O skips it", () => {
  const sys = machine(
    2,
    [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] }],
    "lazy",
    (k) => (k === 1 ? { media_error_ppm: 1_000_000 } : {}),
  );
  const r = ring(sys);
  const fd = open(sys, "/dev/md0");
  const data = randomBytes(16 * KiB, 21);
  const va = userBuffer(sys, data);
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, data.length, 0)), data.length);
  assert.deepEqual(sys.stackedInfo("md0")!.faulty, [false, true]);
  assert.equal(sys.stackedInfo("md0")!.broken, false);
  // The next write and reads go to mirror 0 only.
  const before = commands(sys, 2);
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, data.length, MiB)), data.length);
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(readDev(sys, r, "/dev/md0", i % 2 ? MiB : 0, data.length), data);
  }
  assert.deepEqual(commandsSince(sys, before), [5, 0]);
});

Deno.test("md raid1: a failed read is retried on another mirror (handle_read_error), -EIO once every mirror has failed it", () => {
  for (const fwd of [false, true]) {
    const sys = machine(
      3,
      [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1", "nvme2n1"], dmabuf_forwarding: fwd }],
      "strict",
      (k) => (k < 2 ? { media_error_ppm: 1_000_000 } : {}),
    );
    const r = ring(sys);
    // The data, written on the good mirror directly (a write through md0 would fail the bad mirrors).
    const data = randomBytes(64 * KiB, 77);
    const va = userBuffer(sys, data);
    assert.equal(
      one(r, () => prepWrite(getSqe(r)!, open(sys, "/dev/nvme2n1"), va, data.length, MiB)),
      data.length,
    );
    const fd = open(sys, "/dev/md0");
    let back: () => Uint8Array;
    if (fwd) {
      const db = udmabuf(sys, 2 * MiB);
      assert.equal(registerBuffersSparse(r, 1), 0);
      assert.equal(registerBufferDmabuf(r, 0, db, fd), 1);
      assert.equal(one(r, () => prepReadFixed(getSqe(r)!, fd, 0, data.length, MiB, 0)), data.length);
      back = () => dmabufBytes(sys, db, 0, data.length);
    } else {
      const out = sys.mmapAnon(data.length);
      assert.equal(one(r, () => prepRead(getSqe(r)!, fd, out, data.length, MiB)), data.length);
      back = () => sys.readUser(out, data.length) as Uint8Array;
    }
    // Mirror 0 first (idle, lowest), then 1, then 2, which has the data.
    assert.deepEqual(back(), data);
    const info = sys.stackedInfo("md0")!;
    assert.equal(info.readRetries, 2);
    assert.deepEqual(info.clones, [1, 1, 1]);
    assert.deepEqual(info.pending, [0, 0, 0]);
    assert.deepEqual(
      info.faulty,
      [false, false, false],
      "a read error does not fail the mirror (no fix_read_error)",
    );
  }
  // Every mirror bad: each tried once, then -EIO.
  const sys = machine(
    2,
    [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] }],
    "lazy",
    () => ({ media_error_ppm: 1_000_000 }),
  );
  const r = ring(sys);
  const before = commands(sys, 2);
  assert.equal(one(r, () => prepRead(getSqe(r)!, open(sys, "/dev/md0"), sys.mmapAnon(4096), 4096, 0)), -EIO);
  assert.deepEqual(commandsSince(sys, before), [1, 1]);
});

Deno.test("md raid1: a write no mirror completes is -EIO; the last mirror is kept, the array MD_BROKEN", () => {
  const sys = machine(
    2,
    [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] }],
    "passthrough",
    () => ({ media_error_ppm: 1_000_000 }),
  );
  const r = ring(sys);
  const fd = open(sys, "/dev/md0");
  const va = userBuffer(sys, randomBytes(4096, 1));
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, 4096, 0)), -EIO);
  const info = sys.stackedInfo("md0")!;
  assert.equal(info.faulty.filter((f) => f).length, 1, "one mirror failed, the last one kept");
  assert.equal(info.broken, true);
  // A read: the one mirror left in sync fails, no other may be tried: -EIO.
  assert.equal(one(r, () => prepRead(getSqe(r)!, fd, va, 4096, 0)), -EIO);
  assert.equal(sys.stackedInfo("md0")!.readRetries, 0);
});

Deno.test("dm-stripe and dm-linear pass a member's error up: the request fails with the first clone's error", () => {
  const sys = machine(
    2,
    [{ name: "dm-0", kind: "striped", members: ["nvme0n1", "nvme1n1"], chunk_kib: 4 }],
    "strict",
    (k) => (k === 1 ? { media_error_ppm: 1_000_000 } : {}),
  );
  const r = ring(sys);
  const fd = open(sys, "/dev/dm-0");
  const va = userBuffer(sys, randomBytes(8192, 2));
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, 4096, 0)), 4096, "chunk 0: stripe 0 only");
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, 8192, 0)), -ENODATA, "chunks 0-1: stripe 1 fails");
  assert.equal(one(r, () => prepRead(getSqe(r)!, fd, va, 4096, 4096)), -ENODATA);
  // dm-linear over the same two drives: member 0's range takes I/O, member 1's fails, and a bio split at the
  // target boundary fails with its second clone's error.
  const lin = machine(
    2,
    [{ name: "dm-1", kind: "linear", members: ["nvme0n1", "nvme1n1"], chunk_kib: 0 }],
    "strict",
    (k) => (k === 1 ? { media_error_ppm: 1_000_000 } : {}),
  );
  const lr = ring(lin);
  const lfd = open(lin, "/dev/dm-1");
  const lva = userBuffer(lin, randomBytes(8192, 3));
  const end0 = lin.deviceBytes(0);
  assert.equal(one(lr, () => prepWrite(getSqe(lr)!, lfd, lva, 4096, end0 - 4096)), 4096, "inside member 0");
  assert.equal(one(lr, () => prepWrite(getSqe(lr)!, lfd, lva, 4096, end0)), -ENODATA, "inside member 1");
  assert.equal(
    one(lr, () => prepWrite(getSqe(lr)!, lfd, lva, 8192, end0 - 4096)),
    -ENODATA,
    "across the boundary",
  );
});

Deno.test("a dma-buf registration on a stacked device is -EINVAL in v3 (a bio-based queue has no token op), in the kernel's check order", () => {
  const sys = machine(2, [{ name: "dm-0", kind: "striped", members: ["nvme0n1"], chunk_kib: 64 }]);
  const r = ring(sys);
  const db = udmabuf(sys, MiB);
  assert.equal(registerBuffersSparse(r, 4), 0);
  const fd = open(sys, "/dev/dm-0");
  assert.equal(registerBufferDmabuf(r, 0, db, fd), -EINVAL);
  // Not O_DIRECT is -EINVAL first anyway; a bad target fd -EBADF before either.
  assert.equal(registerBufferDmabuf(r, 0, db, open(sys, "/dev/dm-0", O_RDWR)), -EINVAL);
  assert.equal(registerBufferDmabuf(r, 0, db, 99), -9);
  // The member itself takes the registration.
  assert.equal(registerBufferDmabuf(r, 1, db, open(sys, "/dev/nvme0n1")), 1);
  assert.deepEqual(sys.dmabufLive(), { maps: 0, tokens: 1 });
});

/**
 * A machine with a forwarding stacked device `spec` over `n` drives, drive 1's IOMMU domain made to lay
 * out differently from the others (an unrelated dma-buf mapped there first), so that a clone carrying
 * the wrong member's map would reach the wrong IOVAs.
 */
function forwardingRig(n: number, spec: Record<string, unknown>, mode: Mode = "strict") {
  const sys = machine(n, [{ ...spec, dmabuf_forwarding: true }], mode);
  const r = ring(sys);
  assert.equal(registerBuffersSparse(r, 4), 0);
  const other = udmabuf(sys, MiB);
  const m1 = open(sys, "/dev/nvme1n1");
  assert.equal(registerBufferDmabuf(r, 3, other, m1), 1);
  const scratch = sys.mmapAnon(4096);
  assert.equal(one(r, () => prepReadFixed(getSqe(r)!, m1, 0, 4096, 0, 3)), 4096);
  const db = udmabuf(sys, 2 * MiB);
  const fd = open(sys, `/dev/${spec.name}`);
  assert.equal(registerBufferDmabuf(r, 0, db, fd), 1);
  return { sys, r, db, fd, scratch };
}

Deno.test("forwarding (the thread's proposal): a registration on dm-stripe maps the dma-buf on every member, and each clone carries its member's map", () => {
  const { sys, r, db, fd } = forwardingRig(3, {
    name: "dm-0",
    kind: "striped",
    members: ["nvme0n1", "nvme1n1", "nvme2n1"],
    chunk_kib: 32,
  });
  const iova0 = [0, 1, 2].map((c) => sys.iovaInUseBytes(c));
  const data = randomBytes(MiB, 33);
  assert.equal(sys.dmabufWrite(db, 0, data), MiB);
  // 1 MiB at byte 16 KiB of dm-0 from dma-buf offset 0: 33 clones over three members.
  assert.equal(one(r, () => prepWriteFixed(getSqe(r)!, fd, 0, MiB, 16 * KiB, 0)), MiB);
  // The first I/O built one map per member, each in its member's own IOMMU domain (2 MiB of IOVA and a
  // PRP-list page each); one io_dmabuf_map counts the requests.
  [0, 1, 2].forEach((c) => assert.ok(sys.iovaInUseBytes(c) - iova0[c] >= 2 * MiB, `member ${c}'s domain`));
  assert.deepEqual(sys.dmabufLive(), { maps: 2, tokens: 2 });
  assert.equal(sys.iommuFaults().length, 0);
  assert.deepEqual(sys.stackedInfo("dm-0")!.clones, [11, 11, 11]);
  // The bytes are on the members where stripe_map puts them, and come back through dm-0 into the dma-buf.
  const chunk = 32 * KiB;
  for (let pos = 16 * KiB; pos < 16 * KiB + MiB; pos += 16 * KiB) {
    const c = Math.floor(pos / chunk);
    const got = readDev(sys, r, `/dev/nvme${c % 3}n1`, Math.floor(c / 3) * chunk + (pos % chunk), 16 * KiB);
    assert.deepEqual(got, data.subarray(pos - 16 * KiB, pos), `byte ${pos}`);
  }
  assert.equal(one(r, () => prepReadFixed(getSqe(r)!, fd, MiB, MiB, 16 * KiB, 0)), MiB);
  assert.deepEqual(dmabufBytes(sys, db, MiB, MiB), data);
  assert.equal(sys.iommuFaults().length, 0);
  // move_notify reaches the forwarded map: every member unmaps; the next I/O remaps all of them.
  const remaps = sys.dmabufCounters().remaps;
  assert.equal(sys.dmabufMoveNotify(db), 0);
  assert.deepEqual(sys.dmabufLive(), { maps: 1, tokens: 2 });
  assert.equal(one(r, () => prepReadFixed(getSqe(r)!, fd, 0, MiB, 16 * KiB, 0)), MiB);
  assert.equal(sys.dmabufCounters().remaps, remaps + 1);
  assert.deepEqual(dmabufBytes(sys, db, 0, MiB), data);
  // The registration is for dm-0: the same slot on a member is -EBADF.
  assert.equal(one(r, () => prepReadFixed(getSqe(r)!, open(sys, "/dev/nvme0n1"), 0, 4096, 0, 0)), -9);
});

Deno.test("forwarding on md raid1: a write goes to every mirror through each mirror's own map", () => {
  const { sys, r, db, fd } = forwardingRig(
    2,
    { name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] },
    "lazy",
  );
  const data = randomBytes(256 * KiB, 44);
  assert.equal(sys.dmabufWrite(db, 64 * KiB, data), data.length);
  assert.equal(one(r, () => prepWriteFixed(getSqe(r)!, fd, 64 * KiB, data.length, 8 * MiB, 0)), data.length);
  assert.equal(sys.iommuFaults().length, 0);
  for (const m of ["/dev/nvme0n1", "/dev/nvme1n1"]) {
    assert.deepEqual(readDev(sys, r, m, 8 * MiB, data.length), data);
  }
  assert.equal(one(r, () => prepReadFixed(getSqe(r)!, fd, MiB, data.length, 8 * MiB, 0)), data.length);
  assert.deepEqual(dmabufBytes(sys, db, MiB, data.length), data);
});

Deno.test("stacked devices from the profile: bad fields are ProfileErrors naming stacked[i].field", () => {
  const bad = (stacked: unknown[], path: string) => {
    assert.throws(() => machine(3, stacked as Record<string, unknown>[]), (e: unknown) => {
      assert.ok(e instanceof ProfileError, String(e));
      assert.equal(e.path, path, e.message);
      return true;
    });
  };
  bad(
    [{ name: "dm-0", kind: "striped", members: ["nvme0n1", "nvme9n1"], chunk_kib: 64 }],
    "stacked[0].members[1]",
  );
  bad([{ name: "dm-0", kind: "striped", members: ["nvme0n1"], chunk_kib: 48 }], "stacked[0].chunk_kib");
  bad([{ name: "dm-0", kind: "striped", members: ["nvme0n1"] }], "stacked[0].chunk_kib");
  bad(
    [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"], chunk_kib: 64 }],
    "stacked[0].chunk_kib",
  );
  bad([{ name: "md0", kind: "raid1", members: ["nvme0n1"] }], "stacked[0].members");
  bad([{ name: "md0", kind: "raid5", members: ["nvme0n1", "nvme1n1"] }], "stacked[0].kind");
  bad([{ name: "md0", kind: "raid1", members: "nvme0n1" }], "stacked[0].members");
  bad([{ name: "nvme2n1", kind: "linear", members: ["nvme0n1"] }], "stacked[0].name");
  bad([
    { name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] },
    { name: "dm-0", kind: "linear", members: ["nvme2n1", "nvme1n1"] },
  ], "stacked[1].members[1]");
  bad([{ name: "dm-0", kind: "linear", members: ["nvme0n1", "nvme0n1"] }], "stacked[0].members[1]");
  bad([{ name: "dm-0", kind: "linear", members: ["nvme0n1"], extra: 1 }], "stacked[0].extra");
});

Deno.test("System.createStacked makes a stacked device at run time, with the kernel's errors", () => {
  const sys = machine(3, []);
  assert.equal(sys.open("/dev/md0", O_RDWR | O_DIRECT), -2);
  assert.equal(sys.createStacked({ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] }), 0);
  assert.equal(sys.createStacked({ name: "md0", kind: "linear", members: ["nvme2n1"] }), -EBUSY);
  assert.equal(sys.createStacked({ name: "dm-0", kind: "linear", members: ["nvme1n1"] }), -EBUSY);
  assert.equal(sys.createStacked({ name: "dm-0", kind: "linear", members: ["nvme7n1"] }), -ENODEV);
  assert.equal(
    sys.createStacked({ name: "dm-0", kind: "striped", members: ["nvme2n1"], chunkKib: 3 }),
    -EINVAL,
  );
  assert.throws(
    () => sys.createStacked({ name: "dm-0", kind: "raid0" as "linear", members: ["nvme2n1"] }),
    TypeError,
  );
  assert.equal(sys.createStacked({ name: "dm-0", kind: "striped", members: ["nvme2n1"], chunkKib: 8 }), 0);
  const r = ring(sys);
  const data = randomBytes(32 * KiB, 8);
  const va = userBuffer(sys, data);
  const fd = open(sys, "/dev/md0");
  assert.equal(one(r, () => prepWrite(getSqe(r)!, fd, va, data.length, 0)), data.length);
  assert.deepEqual(readDev(sys, r, "/dev/nvme1n1", 0, data.length), data);
  assert.deepEqual(sys.stackedDevices().map((s) => s.name), ["md0", "dm-0"]);
});

Deno.test("stacked I/O is deterministic: the same program on a fresh machine gives the same times, commands and bytes", () => {
  const run = () => {
    const sys = machine(4, [
      { name: "dm-0", kind: "striped", members: ["nvme0n1", "nvme1n1"], chunk_kib: 8 },
      { name: "md0", kind: "raid1", members: ["nvme2n1", "nvme3n1"] },
    ], "lazy");
    const r = ring(sys);
    const fds = [open(sys, "/dev/dm-0"), open(sys, "/dev/md0")];
    const va = userBuffer(sys, randomBytes(MiB, 99));
    const res: number[] = [];
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 16; i++) {
        const off = ((round * 16 + i) * 7919 % 251) * 12 * KiB;
        const prep = i % 3 === 0 ? prepWrite : prepRead;
        prep(getSqe(r)!, fds[i % 2], va + (i % 8) * 64 * KiB, 36 * KiB, off);
      }
      assert.equal(submitAndWait(r, 16), 16);
      res.push(...reapCqes(r).map((c) => c.res));
    }
    const back = readDev(sys, r, "/dev/dm-0", 0, 256 * KiB);
    return JSON.stringify({
      res,
      t: sys.coreTimeNs(),
      cmds: commands(sys, 4),
      dm: sys.stackedInfo("dm-0"),
      md: sys.stackedInfo("md0"),
      back: Array.from(back.subarray(0, 4096)),
    });
  };
  const a = run();
  assert.equal(run(), a);
  assert.ok(JSON.parse(a).res.every((x: number) => x === 36 * KiB));
});

/** A table line's cells, trimmed (deno fmt pads the docs' tables). */
const cells = (line: string) => line.split("|").slice(1, -1).map((c) => c.trim());

Deno.test("docs/lsfmm.md's stacked-devices table is what bench/stacked.ts measures (two rows re-run)", () => {
  const doc = Deno.readTextFileSync(new URL("../docs/lsfmm.md", import.meta.url));
  for (
    const [kind, write, drives, iommu] of [["striped", false, 8, "strict"], [
      "raid1",
      true,
      4,
      "lazy",
    ]] as const
  ) {
    const want = cells(stackedLine(stackedRow(kind, write, drives, iommu, 20_000)));
    const got = doc.split("\n").filter((l) => l.startsWith("|")).map(cells)
      .find((c) => c.slice(0, 4).join(" ") === want.slice(0, 4).join(" "));
    assert.deepEqual(got, want, `row ${want.slice(0, 4).join(" ")}`);
  }
});

Deno.test("runUring on a stacked device: the members' counters, and the same result twice", () => {
  const job = {
    profile: {
      base: "optane-p5800x",
      devices: [0, 1, 2].map((k) => ({ ...D0, name: `nvme${k}n1` })),
      stacked: [{
        name: "md0",
        kind: "raid1",
        members: ["nvme0n1", "nvme1n1", "nvme2n1"],
        dmabuf_forwarding: true,
      }],
    },
    iommu: "lazy" as const,
    devices: ["/dev/md0"],
    bs: 16384,
    ios: 5000,
    write: true,
  };
  const strip = (r: RunResult) => JSON.stringify({ ...r, wallS: 0, simIosPerWallS: 0, realTimeRatio: 0 });
  for (const buffers of ["fixed", "dmabuf"] as const) {
    const a = runUring({ ...job, buffers });
    assert.equal(a.errors, 0);
    assert.deepEqual(a.job.devices, ["md0"]);
    // Every mirror took every write.
    assert.deepEqual(a.devices.map((d) => d.name), ["nvme0n1", "nvme1n1", "nvme2n1"]);
    for (const d of a.devices) {
      assert.ok(Math.abs(d.iops - a.iops) / a.iops < 0.02, `${d.name}: ${d.iops} vs ${a.iops}`);
    }
    assert.equal(strip(runUring({ ...job, buffers })), strip(a));
  }
});

Deno.test("md raid1 reads left in flight when a run ends leave nothing behind for the next machine", () => {
  // Every run ends with reads in flight, each keeping its pieces for a retry; the next machine's arena
  // must not see them (found by bench/stacked.ts: a stale free corrupted the 8-drive lazy row).
  const last = () => {
    const r = stackedRow("raid1", false, 8, "passthrough", 20_000);
    return stackedLine(r);
  };
  const fresh = last();
  for (const drives of [2, 4, 8]) {
    for (const iommu of ["strict", "lazy"] as const) stackedRow("raid1", false, drives, iommu, 20_000);
  }
  assert.equal(last(), fresh);
});
