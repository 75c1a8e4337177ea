// Storage data path, data correctness: bytes written with IORING_OP_WRITE,
// WRITE_FIXED and WRITEV come back through READ, READ_FIXED and READV at other
// offsets, sizes and buffers; through split requests, chained PRP lists and
// SGLs; in every IOMMU mode and with 512- and 4096-byte logical blocks.
// Each test is a short program: set up, act, check every result.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  getSqe,
  inflightCommands,
  O_RDWR,
  prepRead,
  prepReadFixed,
  prepReadv,
  prepWrite,
  prepWriteFixed,
  prepWritev,
  reapCqes,
  registerBuffers,
  sqeSetData64,
  submit,
  unregisterBuffers,
  waitCqeNr,
} from "../mod.ts";
import {
  filledBuffer,
  iovecArray,
  KiB,
  lbaSystem,
  type Machine as BaseMachine,
  MiB,
  type Mode,
  MODES,
  openDrive,
  pattern,
  randomBytes,
  runner,
} from "./helpers.ts";

interface Machine extends BaseMachine {
  lba: number;
}

const LBAS: readonly (512 | 4096)[] = [512, 4096];
const run = runner(0x5000);

/** A fresh machine: one drive opened O_RDWR|O_DIRECT and one interrupt-driven ring. */
function machine(
  mode: Mode,
  lba: 512 | 4096 = 512,
  nvme: Record<string, unknown> = {},
  ringFlags = 0,
): Machine {
  return { ...openDrive(lbaSystem(mode, lba, nvme), 64, ringFlags), lba };
}

function read(m: Machine, va: number, len: number): Uint8Array {
  const out = m.sys.readUser(va, len);
  if (typeof out === "number") throw new Error(`readUser: ${out}`);
  return out;
}

function writePlain(m: Machine, devOff: number, data: Uint8Array, bufOff = 0, contiguous = false): number {
  const va = filledBuffer(m.sys, bufOff + data.length, contiguous);
  assert.equal(m.sys.writeUser(va + bufOff, data), 0);
  return run(m, (s) => prepWrite(s, m.fd, va + bufOff, data.length, devOff))[0];
}

function readPlain(m: Machine, devOff: number, len: number, bufOff = 0, contiguous = false): Uint8Array {
  const va = filledBuffer(m.sys, bufOff + len, contiguous);
  assert.equal(run(m, (s) => prepRead(s, m.fd, va + bufOff, len, devOff))[0], len);
  return read(m, va + bufOff, len);
}

/** Byte equality without node:assert's diff (which is unusable on megabytes): names the first mismatch. */
function assertBytes(got: Uint8Array, want: Uint8Array, msg = ""): void {
  assert.equal(got.length, want.length, `${msg} length`);
  let first = -1;
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (first >= 0) {
    assert.fail(
      `${msg}: ${count} of ${want.length} bytes differ, first at ${first} (got ${got[first]}, want ${
        want[first]
      })`,
    );
  }
}

for (const mode of MODES) {
  for (const lba of LBAS) {
    Deno.test(`IORING_OP_WRITE and IORING_OP_READ round-trip a pattern (${mode}, ${lba}-byte LBAs)`, () => {
      const m = machine(mode, lba);
      const dev = 7 * 4096 + 3 * lba;
      const len = 12 * lba + 8 * KiB;
      const data = pattern(dev, len);
      assert.equal(writePlain(m, dev, data, 0x104), len);
      assertBytes(readPlain(m, dev, len, 8), data, "whole range, other buffer, other offset");
      assertBytes(
        readPlain(m, dev + lba, 3 * lba, 4092),
        data.subarray(lba, 4 * lba),
        "a sub-range read into a buffer crossing a page at a dword offset",
      );
      assertBytes(readPlain(m, dev + 2 * lba, 5 * lba, 0, true), data.subarray(2 * lba, 7 * lba));
    });

    Deno.test(`IORING_OP_WRITE_FIXED and IORING_OP_READ_FIXED round-trip at dword offsets inside registered buffers (${mode}, ${lba})`, () => {
      const m = machine(mode, lba);
      const size = 256 * KiB;
      const bufs = [filledBuffer(m.sys, size), filledBuffer(m.sys, size, true), filledBuffer(m.sys, size)];
      assert.equal(registerBuffers(m.ring, bufs.map((b) => ({ iovBase: b, iovLen: size }))), 0);
      const dev = 1 * MiB + lba;
      const len = 40 * KiB;
      const data = randomBytes(len, 0xfeed + lba);
      assert.equal(m.sys.writeUser(bufs[0] + 0xc, data), 0);
      const data2 = pattern(dev + len, 8 * lba, 3);
      assert.equal(m.sys.writeUser(bufs[1] + size - data2.length, data2), 0);
      assert.deepEqual(
        run(
          m,
          (s) => prepWriteFixed(s, m.fd, bufs[0] + 0xc, len, dev, 0),
          (s) => prepWriteFixed(s, m.fd, bufs[1] + size - data2.length, data2.length, dev + len, 1),
        ),
        [len, data2.length],
      );
      // Read back into other slots at other dword offsets, one request crossing both writes.
      assert.deepEqual(
        run(
          m,
          (s) => prepReadFixed(s, m.fd, bufs[2] + 4092, len, dev, 2),
          (s) => prepReadFixed(s, m.fd, bufs[1] + 4, 2 * lba, dev + len - lba, 1),
          (s) => prepReadFixed(s, m.fd, bufs[0] + 64 * KiB + 4, 8 * lba, dev + len, 0),
        ),
        [len, 2 * lba, 8 * lba],
      );
      assertBytes(read(m, bufs[2] + 4092, len), data);
      assertBytes(read(m, bufs[1] + 4, lba), data.subarray(len - lba));
      assertBytes(read(m, bufs[1] + 4 + lba, lba), data2.subarray(0, lba));
      assertBytes(read(m, bufs[0] + 64 * KiB + 4, 8 * lba), data2);
      // The bytes around the read landed nowhere else.
      assertBytes(read(m, bufs[2], 4092), new Uint8Array(4092).fill(0xa5));
      assertBytes(read(m, bufs[2] + 4092 + len, 64), new Uint8Array(64).fill(0xa5));
      // A plain read of the same range agrees.
      assertBytes(readPlain(m, dev, len, 16), data);
    });

    Deno.test(`IORING_OP_WRITEV and IORING_OP_READV round-trip across iovecs of mixed sizes and alignments (${mode}, ${lba})`, () => {
      const m = machine(mode, lba);
      const lens = [lba, 3 * lba, 8 * KiB + lba, 2 * lba, 16 * KiB];
      const offs = [4, 0x200, 4092, 0, 0x40c];
      const total = lens.reduce((a, b) => a + b, 0);
      const dev = 5 * MiB;
      const data = pattern(dev, total, 7);
      const bases: number[] = [];
      let pos = 0;
      lens.forEach((l, i) => {
        const b = filledBuffer(m.sys, offs[i] + l, i === 2);
        assert.equal(m.sys.writeUser(b + offs[i], data.subarray(pos, pos + l)), 0);
        bases.push(b + offs[i]);
        pos += l;
      });
      const wv = iovecArray(m.sys, lens.map((l, i) => [bases[i], l] as const));
      assert.deepEqual(run(m, (s) => prepWritev(s, m.fd, wv, lens.length, dev)), [total]);
      // Read back with a different cut: 3 iovecs.
      const rl = [2 * lba, total - 4 * lba, 2 * lba];
      const ro = [8, 12, 0];
      const rb = rl.map((l, i) => filledBuffer(m.sys, ro[i] + l) + ro[i]);
      const rv = iovecArray(m.sys, rl.map((l, i) => [rb[i], l] as const));
      assert.deepEqual(run(m, (s) => prepReadv(s, m.fd, rv, rl.length, dev)), [total]);
      const got = new Uint8Array(total);
      let at = 0;
      rl.forEach((l, i) => {
        got.set(read(m, rb[i], l), at);
        at += l;
      });
      assertBytes(got, data);
      assertBytes(readPlain(m, dev, total, 0x300), data);
    });
  }
}

Deno.test("IORING_OP_READ of never-written media returns zeros, around and between written blocks", () => {
  for (const lba of LBAS) {
    const m = machine("strict", lba);
    const dev = 64 * MiB;
    const one = pattern(dev + 3 * lba, lba, 9);
    assert.equal(writePlain(m, dev + 3 * lba, one), lba);
    const got = readPlain(m, dev, 8 * lba, 4); // buffer pre-filled with 0xa5
    const want = new Uint8Array(8 * lba);
    want.set(one, 3 * lba);
    assertBytes(got, want);
    assertBytes(readPlain(m, 700 * 1024 * MiB, 2 * lba), new Uint8Array(2 * lba), "far away");
  }
});

Deno.test("IORING_OP_WRITE overwrites: the newest data wins, neighbours keep theirs", () => {
  const m = machine("lazy");
  const dev = 2 * MiB;
  const a = pattern(dev, 32 * KiB, 1);
  const b = pattern(dev + 4 * KiB, 8 * KiB, 2);
  assert.equal(writePlain(m, dev, a), a.length);
  assert.equal(writePlain(m, dev + 4 * KiB, b, 4), b.length);
  const want = a.slice();
  want.set(b, 4 * KiB);
  assertBytes(readPlain(m, dev, a.length), want);
});

for (const mode of MODES) {
  Deno.test(`a request larger than max_sectors_kb is split into commands and round-trips with one CQE (${mode})`, () => {
    const m = machine(mode);
    const len = 1 * MiB + 12 * KiB;
    const dev = 3 * MiB + 512;
    const data = pattern(dev, len);
    assert.equal(writePlain(m, dev, data, 4), len, "one CQE with the full count");
    assertBytes(readPlain(m, dev, len, 0x10), data);
    assertBytes(readPlain(m, dev, len, 0, true), data);
  });

  Deno.test(`a request larger than MDTS is split at MDTS and round-trips (${mode})`, () => {
    const m = machine(mode, 512, { mdts: 2 }); // 16 KiB commands
    const len = 100 * KiB;
    const dev = 8 * MiB + 1536;
    const data = randomBytes(len, 77);
    assert.equal(writePlain(m, dev, data, 0x800), len);
    assertBytes(readPlain(m, dev, len, 4), data);
  });

  Deno.test(`a transfer over more than max_segments scattered pages splits and round-trips (${mode})`, () => {
    const m = machine(mode, 512, { mdts: 0, max_sectors_kb: 8192 });
    const len = 1 * MiB;
    const dev = 16 * MiB;
    const data = pattern(dev, len, 5);
    assert.equal(writePlain(m, dev, data), len);
    assertBytes(readPlain(m, dev, len), data);
  });

  for (const lba of LBAS) {
    Deno.test(`a max_segments split of a buffer starting mid-page keeps whole blocks per command (${mode}, ${lba})`, () => {
      // 256 scattered pages from offset 4: the split after 127 segments falls
      // 4092 + 126 × 4096 bytes in, not a multiple of the block size; the block
      // layer splits at a block boundary (bio_split_alignment).
      const m = machine(mode, lba, { mdts: 0, max_sectors_kb: 8192 });
      const len = 1 * MiB;
      const dev = 20 * MiB;
      const data = pattern(dev, len, 6);
      assert.equal(writePlain(m, dev, data, 0, true), len);
      assertBytes(readPlain(m, dev, len, 4), data, "read into scattered pages from offset 4");
      const data2 = pattern(dev + len, len, 7);
      assert.equal(writePlain(m, dev + len, data2, 4), len, "write from scattered pages from offset 4");
      assertBytes(readPlain(m, dev + len, len, 0, true), data2);
    });
  }

  Deno.test(`PRP lists that chain past 512 entries carry the data (${mode})`, () => {
    // max_segments raised so one command takes every scattered page.
    const m = machine(mode, 512, { mdts: 0, max_sectors_kb: 8192, max_segments: 4096 });
    const len = 3 * MiB + 8 * KiB; // 776 pages
    const dev = 32 * MiB;
    const data = pattern(dev, len, 8);
    assert.equal(writePlain(m, dev, data, 0x40), len);
    assertBytes(readPlain(m, dev, len, 4), data);
    assertBytes(readPlain(m, dev, len), data);
  });

  Deno.test(`PRP lists that chain, from a contiguous buffer with SGL disabled, carry the data (${mode})`, () => {
    const m = machine(mode, 4096, { mdts: 0, max_sectors_kb: 8192, sgl_threshold: 0 });
    const len = 4 * MiB;
    const dev = 40 * MiB;
    const data = randomBytes(len, 4242);
    assert.equal(writePlain(m, dev, data, 8, true), len);
    assertBytes(readPlain(m, dev, len, 0, true), data);
    assertBytes(readPlain(m, dev, len), data, "scattered, page aligned");
  });

  Deno.test(`SGL data blocks (contiguous buffer, and scattered pages with a small threshold) carry the data (${mode})`, () => {
    const m = machine(mode, 512, { sgl_threshold: 4096 });
    const len = 96 * KiB;
    const dev = 48 * MiB;
    const data = pattern(dev, len, 10);
    assert.equal(writePlain(m, dev, data, 0, true), len);
    assertBytes(readPlain(m, dev, len), data, "scattered pages: one data block per page");
    assertBytes(readPlain(m, dev, len, 0x100, true), data, "one data block starting mid-page");
    const data2 = pattern(dev + len, len, 11);
    assert.equal(writePlain(m, dev + len, data2), len);
    assertBytes(readPlain(m, dev, 2 * len, 0, true), new Uint8Array([...data, ...data2]));
  });
}

Deno.test("IORING_OP_WRITE through a buffered (no O_DIRECT) fd and O_DIRECT reads agree, at byte offsets", () => {
  const m = machine("strict");
  const bfd = m.sys.open("/dev/nvme0n1", O_RDWR);
  assert.ok(bfd >= 3);
  const dev = 9 * MiB;
  const data = pattern(dev, 8 * KiB, 12);
  assert.equal(writePlain(m, dev, data), data.length);
  const va = filledBuffer(m.sys, 8192);
  assert.deepEqual(run(m, (s) => prepRead(s, bfd, va + 1, 1001, dev + 77)), [1001]);
  assertBytes(read(m, va + 1, 1001), data.subarray(77, 77 + 1001));
  const src = filledBuffer(m.sys, 4096);
  const bytes = randomBytes(333, 5);
  assert.equal(m.sys.writeUser(src + 3, bytes), 0);
  assert.deepEqual(run(m, (s) => prepWrite(s, bfd, src + 3, 333, dev + 1000)), [333]);
  const want = data.slice();
  want.set(bytes, 1000);
  assertBytes(readPlain(m, dev, 8 * KiB), want);
});

Deno.test("reads and writes round-trip on IORING_SETUP_IOPOLL rings", () => {
  for (const mode of MODES) {
    const m = machine(mode, 512, {}, 1 /* IORING_SETUP_IOPOLL */);
    const dev = 11 * MiB;
    const data = randomBytes(40 * KiB, 99);
    assert.equal(writePlain(m, dev, data, 4), data.length);
    assertBytes(readPlain(m, dev, data.length, 8), data);
  }
});

// ---------------------------------------------------------------------------
// Property: random transfers round-trip.

type Path = "plain" | "fixed" | "vec";
type Kind = "scattered" | "contiguous";
interface Transfer {
  mode: Mode;
  lba: 512 | 4096;
  blockOff: number;
  blocks: number;
  wPath: Path;
  wKind: Kind;
  wOff: number;
  rPath: Path;
  rKind: Kind;
  rOff: number;
  cut: number;
  seed: number;
}

const transfer: fc.Arbitrary<Transfer> = fc.record({
  mode: fc.constantFrom(...MODES),
  lba: fc.constantFrom(512 as const, 4096 as const),
  blockOff: fc.integer({ min: 0, max: 1 << 20 }),
  blocks: fc.integer({ min: 1, max: 80 }),
  wPath: fc.constantFrom<Path>("plain", "fixed", "vec"),
  wKind: fc.constantFrom<Kind>("scattered", "contiguous"),
  wOff: fc.integer({ min: 0, max: 1023 }).map((x) => 4 * x),
  rPath: fc.constantFrom<Path>("plain", "fixed", "vec"),
  rKind: fc.constantFrom<Kind>("scattered", "contiguous"),
  rOff: fc.integer({ min: 0, max: 1023 }).map((x) => 4 * x),
  cut: fc.integer({ min: 0, max: 1000 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
});

let cached: { key: string; m: Machine } | null = null;
function machineFor(mode: Mode, lba: 512 | 4096): Machine {
  const key = `${mode}/${lba}`;
  if (cached?.key !== key) cached = { key, m: machine(mode, lba) };
  return cached.m;
}

/** Issue one transfer of `len` bytes at `dev` from/to `va` on the given path. */
function issue(
  m: Machine,
  write: boolean,
  path: Path,
  va: number,
  len: number,
  dev: number,
  cut: number,
): number {
  if (path === "fixed") {
    assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: len }]), 0);
    const res = run(m, (s) => (write ? prepWriteFixed : prepReadFixed)(s, m.fd, va, len, dev, 0))[0];
    assert.equal(unregisterBuffers(m.ring), 0);
    return res;
  }
  if (path === "vec") {
    // Two iovecs cut at a block boundary (or one when the transfer is one block).
    const blocks = len / m.lba;
    const first = blocks > 1 ? 1 + (cut % (blocks - 1)) : blocks;
    const iovs: [number, number][] = [[va, first * m.lba]];
    if (first < blocks) iovs.push([va + first * m.lba, len - first * m.lba]);
    const arr = iovecArray(m.sys, iovs);
    return run(m, (s) => (write ? prepWritev : prepReadv)(s, m.fd, arr, iovs.length, dev))[0];
  }
  return run(m, (s) => (write ? prepWrite : prepRead)(s, m.fd, va, len, dev))[0];
}

Deno.test("property: random transfers round-trip through every path, buffer kind, offset and IOMMU mode", () => {
  fc.assert(
    fc.property(transfer, (t) => {
      const m = machineFor(t.mode, t.lba);
      const len = t.blocks * t.lba;
      const dev = t.blockOff * t.lba;
      const data = randomBytes(len, t.seed);
      const wva = filledBuffer(m.sys, t.wOff + len, t.wKind === "contiguous") + t.wOff;
      assert.equal(m.sys.writeUser(wva, data), 0);
      assert.equal(issue(m, true, t.wPath, wva, len, dev, t.cut), len);
      const rva = filledBuffer(m.sys, t.rOff + len, t.rKind === "contiguous") + t.rOff;
      assert.equal(issue(m, false, t.rPath, rva, len, dev, t.cut + 1), len);
      assertBytes(read(m, rva, len), data);
    }),
    { seed: 42, numRuns: 100 },
  );
});

Deno.test("waitCqeNr after submit sees a split read's single CQE", () => {
  const m = machine("passthrough");
  const dev = 13 * MiB;
  const data = pattern(dev, 512 * KiB);
  assert.equal(writePlain(m, dev, data), data.length);
  const va = filledBuffer(m.sys, data.length);
  const sqe = getSqe(m.ring)!;
  prepRead(sqe, m.fd, va, data.length, dev);
  sqeSetData64(sqe, 77);
  assert.equal(submit(m.ring), 1);
  assert.equal(inflightCommands(m.sys).length, 4, "four 128 KiB commands");
  const [ret, cqe] = waitCqeNr(m.ring, 1);
  assert.equal(ret, 0);
  assert.deepEqual(cqe, { userData: 77n, res: data.length, flags: 0 });
  assert.equal(reapCqes(m.ring).length, 1);
  assertBytes(read(m, va, data.length), data);
});
