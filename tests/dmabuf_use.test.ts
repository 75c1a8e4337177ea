// Using a dma-buf slot: the request-time errors (domain.md §2), replacing or
// emptying a slot while I/O is in flight, the NVMe commands built from the
// map's per-page addresses, and no per-I/O IOMMU mapping.
// Each test is a short program: set up, act, check every result.
import assert from "node:assert/strict";
import {
  EAGAIN,
  EBADF,
  EFAULT,
  EINVAL,
  EOPNOTSUPP,
  getSqe,
  inflightCommands,
  IO_REGBUF_TYPE_EMPTY,
  IORING_OP_READV_FIXED,
  IORING_OP_WRITEV_FIXED,
  IORING_RSRC_UPDATE_EXTENDED,
  IOSQE_FIXED_FILE,
  type NvmeCommand,
  O_DIRECT,
  O_RDWR,
  peekCqe,
  prepRead,
  prepReadFixed,
  prepReadv,
  prepWrite,
  prepWriteFixed,
  prepWritev,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  registerBuffersUpdate,
  registerBuffersUpdate2,
  registerFiles,
  RWF_NOWAIT,
  type Sqe,
  sqeSetBufIndex,
  sqeSetData64,
  sqeSetFlags,
  sqeSetOpcode,
  sqeSetOpFlags,
  submit,
  submitAndWait,
  System,
  unregisterBuffers,
  waitCqe,
} from "../mod.ts";
import { w } from "../src/internal.ts";
import {
  dmabufBytes,
  iovecArray,
  KiB,
  type Machine as BaseMachine,
  type Mode,
  openDrive,
  randomBytes,
  udmabuf,
} from "./helpers.ts";

const DB_BYTES = 1024 * KiB;

interface Machine extends BaseMachine {
  db: number;
  data: Uint8Array;
}

/**
 * A machine (IOMMU `mode`, NVMe overrides), the drive open O_DIRECT with the
 * first MiB of media holding random bytes (`data`, written with plain
 * O_DIRECT writes), and a 1 MiB udmabuf (zeroed) registered in slot 0 of 8.
 */
function machine(mode: Mode = "strict", nvme: Record<string, unknown> = {}, ringFlags = 0): Machine {
  const { sys, fd, ring } = openDrive(
    new System({ profile: { base: "optane-p5800x", iommu: { mode }, nvme } }),
    64,
    ringFlags,
  );
  const data = randomBytes(DB_BYTES, 7);
  const va = sys.mmapAnon(DB_BYTES);
  assert.equal(sys.writeUser(va, data), 0);
  const sqe = getSqe(ring)!;
  prepWrite(sqe, fd, va, DB_BYTES, 0);
  assert.equal(submitAndWait(ring, 1), 1);
  assert.deepEqual(reapCqes(ring).map((c) => c.res), [DB_BYTES]);
  const db = udmabuf(sys, DB_BYTES);
  assert.equal(registerBuffersSparse(ring, 8), 0);
  assert.equal(registerBufferDmabuf(ring, 0, db, fd), 1);
  return { sys, fd, ring, db, data };
}

/** Queue one SQE per prep with user_data i (no submit). */
function queue(m: Machine, ...preps: ((sqe: Sqe) => void)[]): void {
  preps.forEach((prep, i) => {
    const sqe = getSqe(m.ring);
    assert.ok(sqe, "SQ full");
    prep(sqe);
    sqeSetData64(sqe, i);
  });
}

/** Wait for `n` CQEs; results by user_data; each exactly once, nothing further. */
function drain(m: Machine, n: number): number[] {
  const res: number[] = new Array(n);
  let got = 0;
  while (got < n) {
    const [ret] = waitCqe(m.ring);
    assert.equal(ret, 0, "waitCqe");
    for (const c of reapCqes(m.ring)) {
      const i = Number(c.userData);
      assert.ok(i >= 0 && i < n && res[i] === undefined, `unexpected or repeated user_data ${c.userData}`);
      res[i] = c.res;
      got++;
    }
  }
  assert.deepEqual(peekCqe(m.ring), [-11, null]);
  return res;
}

function run(m: Machine, ...preps: ((sqe: Sqe) => void)[]): number[] {
  queue(m, ...preps);
  assert.equal(submit(m.ring), preps.length);
  const res = drain(m, preps.length);
  assert.equal(inflightCommands(m.sys).length, 0);
  return res;
}

// ---- request-time errors ----

Deno.test("prepReadFixed on a dma-buf slot outside the dma-buf or overflowing returns -EFAULT", () => {
  const m = machine();
  const last = DB_BYTES - 512;
  assert.deepEqual(
    run(
      m,
      (s) => prepReadFixed(s, m.fd, last, 512, 0, 0),
      (s) => prepReadFixed(s, m.fd, DB_BYTES, 512, 0, 0),
      (s) => prepReadFixed(s, m.fd, last + 4, 512, 0, 0),
      (s) => prepReadFixed(s, m.fd, 0, DB_BYTES + 512, 0, 0),
      (s) => prepReadFixed(s, m.fd, 0xffffffffffffff00n, 512, 0, 0),
      (s) => prepReadFixed(s, m.fd, 1n << 63n, 512, 0, 0),
      (s) => prepWriteFixed(s, m.fd, DB_BYTES - 4, 512, 8 * 1024 * KiB, 0),
      (s) => prepWriteFixed(s, m.fd, 0xfffffffffffffe00n, 512, 8 * 1024 * KiB, 0),
    ),
    [512, -EFAULT, -EFAULT, -EFAULT, -EFAULT, -EFAULT, -EFAULT, -EFAULT],
  );
});

Deno.test("prepReadFixed on a dma-buf slot with another file, even another open() of the same device, returns -EBADF", () => {
  const m = machine();
  const other = m.sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT);
  assert.ok(other >= 3 && other !== m.fd);
  assert.equal(registerFiles(m.ring, [m.fd, other]), 0);
  assert.deepEqual(
    run(
      m,
      (s) => prepReadFixed(s, other, 0, 512, 0, 0),
      (s) => prepWriteFixed(s, other, 0, 512, 8 * 1024 * KiB, 0),
      (s) => {
        prepReadFixed(s, 1, 0, 512, 0, 0);
        sqeSetFlags(s, IOSQE_FIXED_FILE);
      },
      (s) => {
        prepReadFixed(s, 0, 4096, 512, 0, 0);
        sqeSetFlags(s, IOSQE_FIXED_FILE);
      },
      (s) => prepReadFixed(s, m.fd, 8192, 512, 0, 0),
    ),
    [-EBADF, -EBADF, -EBADF, 512, 512],
    "the registered file of the same struct file is the target",
  );
});

Deno.test("prepReadFixed on a dma-buf slot with length 0 returns -EFAULT", () => {
  const m = machine();
  assert.deepEqual(
    run(m, (s) => prepReadFixed(s, m.fd, 0, 0, 0, 0), (s) => prepWriteFixed(s, m.fd, 4096, 0, 0, 0)),
    [-EFAULT, -EFAULT],
  );
});

Deno.test("IORING_OP_READV_FIXED and IORING_OP_WRITEV_FIXED on a dma-buf slot return -EOPNOTSUPP", () => {
  const m = machine();
  const iov = iovecArray(m.sys, [[0, 4096]]);
  assert.deepEqual(
    run(
      m,
      (s) => {
        prepReadv(s, m.fd, iov, 1, 0);
        sqeSetOpcode(s, IORING_OP_READV_FIXED);
        sqeSetBufIndex(s, 0);
      },
      (s) => {
        prepWritev(s, m.fd, iov, 1, 8 * 1024 * KiB);
        sqeSetOpcode(s, IORING_OP_WRITEV_FIXED);
        sqeSetBufIndex(s, 0);
      },
    ),
    [-EOPNOTSUPP, -EOPNOTSUPP],
  );
});

Deno.test("prepReadFixed on a dma-buf slot with a misaligned device offset, length or buffer offset returns -EINVAL", () => {
  const m = machine();
  assert.deepEqual(
    run(
      m,
      (s) => prepReadFixed(s, m.fd, 0, 512, 256, 0),
      (s) => prepReadFixed(s, m.fd, 0, 512, 1, 0),
      (s) => prepReadFixed(s, m.fd, 0, 100, 0, 0),
      (s) => prepReadFixed(s, m.fd, 0, 4096 + 4, 0, 0),
      (s) => prepReadFixed(s, m.fd, 2, 512, 0, 0),
      (s) => prepWriteFixed(s, m.fd, 0, 512, 8 * 1024 * KiB + 100, 0),
      (s) => prepReadFixed(s, m.fd, 4, 512, 512, 0),
    ),
    [-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, 512],
  );
});

Deno.test("prepReadFixed on a dma-buf slot with RWF_NOWAIT and no live map returns -EAGAIN", () => {
  const m = machine();
  const nowait = (s: Sqe) => {
    prepReadFixed(s, m.fd, 0, 512, 0, 0);
    sqeSetOpFlags(s, RWF_NOWAIT);
  };
  assert.deepEqual(run(m, nowait), [-EAGAIN], "no map yet");
  assert.equal(m.sys.dmabufCounters().eagain, 1);
  assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 0, 512, 0, 0)), [512], "blocking read maps");
  assert.deepEqual(run(m, nowait), [512], "live map: NOWAIT goes through");
  assert.equal(m.sys.dmabufMoveNotify(m.db), 0);
  assert.deepEqual(run(m, nowait), [-EAGAIN], "after an invalidation");
  assert.equal(m.sys.dmabufCounters().eagain, 2);
  assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 0, 512, 0, 0)), [512], "blocking read remaps");
  assert.deepEqual(dmabufBytes(m.sys, m.db, 0, 512), m.data.subarray(0, 512));
});

// ---- replacing and emptying a slot with I/O in flight ----

/** Eight 64 KiB reads into slot 0 at dma-buf offset 64 KiB × i, from media offset 64 KiB × (7 - i). */
function eightReads(m: Machine): ((sqe: Sqe) => void)[] {
  return Array.from(
    { length: 8 },
    (_, i) => (s: Sqe) => prepReadFixed(s, m.fd, 65536 * i, 65536, 65536 * (7 - i), 0),
  );
}

/** One read so that the map exists: the next reads take a reference on it at submission. */
function warm(m: Machine): void {
  assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 0, 512, 0, 0)), [512]);
  assert.equal(m.sys.dmabufLive().maps, 1);
}

function checkEight(m: Machine, db: number): void {
  for (let i = 0; i < 8; i++) {
    const want = m.data.subarray(65536 * (7 - i), 65536 * (8 - i));
    assert.deepEqual(dmabufBytes(m.sys, db, 65536 * i, 65536), want, `read ${i} bytes`);
  }
}

Deno.test("registerBuffersUpdate2 emptying a dma-buf slot with reads in flight lets them finish on their map", () => {
  for (const ringFlags of [0, (1 << 8) | (1 << 12) | (1 << 13)]) {
    const m = machine("strict", {}, ringFlags);
    warm(m);
    queue(m, ...eightReads(m));
    assert.equal(submit(m.ring), 8);
    assert.ok(inflightCommands(m.sys).length >= 8, "reads in flight on the map");
    assert.equal(
      registerBuffersUpdate2(m.ring, {
        offset: 0,
        flags: IORING_RSRC_UPDATE_EXTENDED,
        data: [{ type: IO_REGBUF_TYPE_EMPTY }],
      }),
      1,
    );
    assert.deepEqual(drain(m, 8), new Array(8).fill(65536), `ring flags ${ringFlags}`);
    checkEight(m, m.db);
    assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 0, 512, 0, 0)), [-EFAULT], "the slot is empty");
    assert.deepEqual(m.sys.dmabufLive(), { maps: 0, tokens: 0 }, "map freed, token detached");
    const c = m.sys.dmabufCounters();
    assert.equal(c.maps_created, c.maps_freed);
    assert.equal(c.fences_signalled, c.maps_freed);
  }
});

Deno.test("registerBuffersUpdate2 emptying a dma-buf slot lets reads submitted before the first map complete", () => {
  // No map yet: the reads wait for the worker to build one. They imported the
  // buffer at issue (req->buf_node holds the registration), so emptying the
  // slot afterwards must not fail them.
  const m = machine();
  queue(m, ...eightReads(m));
  assert.equal(submit(m.ring), 8);
  assert.equal(
    registerBuffersUpdate2(m.ring, {
      offset: 0,
      flags: IORING_RSRC_UPDATE_EXTENDED,
      data: [{ type: IO_REGBUF_TYPE_EMPTY }],
    }),
    1,
  );
  assert.deepEqual(drain(m, 8), new Array(8).fill(65536));
  checkEight(m, m.db);
  assert.deepEqual(m.sys.dmabufLive(), { maps: 0, tokens: 0 });
});

Deno.test("registerBufferDmabuf replacing a dma-buf slot with reads in flight keeps them on the old dma-buf", () => {
  const m = machine();
  const b = udmabuf(m.sys, DB_BYTES);
  warm(m);
  queue(m, ...eightReads(m));
  assert.equal(submit(m.ring), 8);
  assert.equal(registerBufferDmabuf(m.ring, 0, b, m.fd), 1);
  assert.deepEqual(drain(m, 8), new Array(8).fill(65536));
  checkEight(m, m.db);
  assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 4096, 4096, 0, 0)), [4096]);
  assert.deepEqual(
    dmabufBytes(m.sys, b, 4096, 4096),
    m.data.subarray(0, 4096),
    "new reads land in the new dma-buf",
  );
  assert.deepEqual(
    dmabufBytes(m.sys, m.db, 0, 4096),
    m.data.subarray(7 * 65536, 7 * 65536 + 4096),
    "old one untouched",
  );
  assert.deepEqual(m.sys.dmabufLive(), { maps: 1, tokens: 1 }, "only the new registration's map and token");
  const c = m.sys.dmabufCounters();
  assert.equal(c.maps_created, 2);
  assert.equal(c.maps_freed, 1);
  assert.equal(c.fences_signalled, 1);
});

Deno.test("registerBuffersUpdate and unregisterBuffers with dma-buf reads in flight let them finish", () => {
  const m = machine();
  const va = m.sys.mmapAnon(DB_BYTES);
  warm(m);
  queue(m, ...eightReads(m));
  assert.equal(submit(m.ring), 8);
  assert.equal(
    registerBuffersUpdate(m.ring, 0, [{ iovBase: va, iovLen: DB_BYTES }]),
    1,
    "replaced by user memory",
  );
  assert.deepEqual(drain(m, 8), new Array(8).fill(65536));
  checkEight(m, m.db);
  assert.deepEqual(m.sys.dmabufLive(), { maps: 0, tokens: 0 });

  assert.equal(registerBufferDmabuf(m.ring, 1, m.db, m.fd), 1);
  assert.equal(m.sys.dmabufWrite(m.db, 0, new Uint8Array(DB_BYTES)), DB_BYTES);
  assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 0, 512, 0, 1)), [512], "map the new registration");
  queue(m, ...eightReads(m).map((p) => (s: Sqe) => (p(s), sqeSetBufIndex(s, 1))));
  assert.equal(submit(m.ring), 8);
  assert.equal(unregisterBuffers(m.ring), 0);
  assert.deepEqual(drain(m, 8), new Array(8).fill(65536));
  checkEight(m, m.db);
  assert.deepEqual(m.sys.dmabufLive(), { maps: 0, tokens: 0 });
});

// ---- NVMe commands from the map ----

/** Submit a read (without waiting) and return its commands by LBA; then drain it. */
function commandsOf(m: Machine, addr: number, len: number, devOff: number): NvmeCommand[] {
  queue(m, (s) => prepReadFixed(s, m.fd, addr, len, devOff, 0));
  assert.equal(submit(m.ring), 1);
  const cmds = inflightCommands(m.sys).sort((a, b) => Number(a.slba - b.slba));
  assert.deepEqual(drain(m, 1), [len]);
  return cmds;
}

/** The device address of each byte of the command's data, page by page (PRP only). */
function prpPages(cmd: NvmeCommand, len: number): bigint[] {
  const first = 4096 - Number(cmd.prp1 & 0xfffn);
  const pages = [cmd.prp1];
  if (len <= first) {
    assert.equal(cmd.prp2, 0n, "one page: PRP2 is 0");
    return pages;
  }
  const n = 1 + Math.ceil((len - first) / 4096);
  if (n === 2) {
    pages.push(cmd.prp2);
    return pages;
  }
  assert.ok(cmd.prpLists.length >= 1, "a PRP list");
  assert.equal(cmd.prp2 & 3n, 0n, "list pointer dword aligned");
  for (const list of cmd.prpLists) {
    for (let i = 0; i < list.length && pages.length < n; i++) {
      if (i === list.length - 1 && pages.length < n - 1) break; // chain pointer
      pages.push(list[i]);
    }
  }
  assert.equal(pages.length, n, "entries for every page");
  return pages;
}

for (const mode of ["passthrough", "strict"] as const) {
  Deno.test(`inflightCommands for dma-buf reads show PRP1 with the in-page offset and PRP2 or a list of pages (${mode})`, () => {
    const m = machine(mode, { sgl_supported: false });
    const pa = (i: number) => BigInt(w.dmabuf_page_pa(m.db, i));
    assert.equal(m.sys.dmabufWrite(m.db, 0, randomBytes(DB_BYTES, 99)), DB_BYTES);
    assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 0, 512, 0, 0)), [512], "first I/O makes the map");
    const cases: [number, number, number][] = [
      [4, 512, 512], // one page
      [2 * 4096 + 1024, 4096, 4096], // two pages
      [4092, 68 * KiB, 65536 + 1536], // a list
      [4, 300 * KiB, 3 * 65536], // split at 128 KiB
    ];
    for (const [addr, len, devOff] of cases) {
      const cmds = commandsOf(m, addr, len, devOff);
      const what = `addr ${addr} len ${len}`;
      assert.equal(cmds.length, Math.ceil(len / (128 * KiB)), `${what}: commands`);
      let off = addr;
      let pos = devOff;
      for (const cmd of cmds) {
        const bytes = Math.min(128 * KiB, addr + len - off);
        assert.equal(cmd.opcode, 2);
        assert.equal(cmd.psdt, 0, `${what}: PRP`);
        assert.equal(cmd.slba, BigInt(pos / 512), `${what}: slba`);
        assert.equal(cmd.blocks, bytes / 512, `${what}: blocks`);
        assert.equal(cmd.prp1 & 0xfffn, BigInt(off % 4096), `${what}: PRP1 carries the in-page offset`);
        const pages = prpPages(cmd, bytes);
        pages.forEach((p, i) => {
          if (i > 0) assert.equal(p & 0xfffn, 0n, `${what}: entry ${i} page aligned`);
          const page = Math.floor(off / 4096) + i;
          if (mode === "passthrough") {
            const want = pa(page) + (i === 0 ? BigInt(off % 4096) : 0n);
            assert.equal(p, want, `${what}: entry ${i} is the dma-buf page's physical address`);
          }
        });
        if (mode === "passthrough") {
          // The bytes at the first device address are the dma-buf's bytes there.
          assert.deepEqual(m.sys.readPhys(cmd.prp1, 4), dmabufBytes(m.sys, m.db, off, 4));
        } else {
          pages.forEach((p, i) => {
            if (i > 0) {
              assert.equal(
                p,
                (pages[0] & ~0xfffn) + BigInt(4096 * i),
                `${what}: IOVA ${i} in the map's range`,
              );
            }
          });
        }
        off += bytes;
        pos += bytes;
      }
    }
  });
}

Deno.test("inflightCommands for dma-buf reads show PRPs built from the map even when the controller supports SGLs", () => {
  const m = machine("strict");
  assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 0, 512, 0, 0)), [512]);
  const cmds = commandsOf(m, 4092, 68 * KiB, 65536);
  assert.equal(cmds.length, 1);
  assert.equal(cmds[0].psdt, 0, "nvme-pci builds a PRP list for the dma-buf map (series v3)");
  assert.equal(cmds[0].prp1 & 0xfffn, 4092n);
});

Deno.test("iommuCounters maps stay flat with the number of dma-buf I/Os and grow with registered-buffer I/Os (strict)", () => {
  const m = machine("strict");
  assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, 0, 4096, 0, 0)), [4096]);
  const before = m.sys.iommuCounters();
  for (let round = 0; round < 10; round++) {
    const res = run(
      m,
      ...Array.from(
        { length: 20 },
        (_, i) => (s: Sqe) => prepReadFixed(s, m.fd, 8192 * i + 4, 4096, 4096 * i, 0),
      ),
    );
    assert.deepEqual(res, new Array(20).fill(4096));
  }
  const after = m.sys.iommuCounters();
  assert.equal(after.maps, before.maps, "no IOMMU map per dma-buf I/O");
  assert.equal(after.unmaps, before.unmaps, "no IOMMU unmap per dma-buf I/O");
  assert.equal(m.sys.dmabufCounters().maps_created, 1);

  const va = m.sys.mmapAnon(256 * KiB);
  assert.equal(registerBuffersUpdate(m.ring, 1, [{ iovBase: va, iovLen: 256 * KiB }]), 1);
  for (let round = 0; round < 10; round++) {
    const res = run(
      m,
      ...Array.from(
        { length: 20 },
        (_, i) => (s: Sqe) => prepReadFixed(s, m.fd, va + 8192 * i, 4096, 4096 * i, 1),
      ),
    );
    assert.deepEqual(res, new Array(20).fill(4096));
  }
  const plain = m.sys.iommuCounters();
  assert.ok(plain.maps - after.maps >= 200, `registered buffers map per I/O: ${plain.maps - after.maps}`);
  assert.ok(plain.unmaps - after.unmaps >= 200, `and unmap per I/O: ${plain.unmaps - after.unmaps}`);
  // Plain reads still go through prepRead too.
  assert.deepEqual(run(m, (s) => prepRead(s, m.fd, va, 4096, 0)), [4096]);
});
