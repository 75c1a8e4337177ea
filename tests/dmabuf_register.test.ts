// dma-buf registration (IORING_REGISTER_BUFFERS_UPDATE with
// IORING_RSRC_UPDATE_EXTENDED descriptors, series v3) and udmabuf creation:
// every error in the kernel's check order (domain.md §2), the earlier check
// winning when two apply, and the slot count returned on success.
// Each test is a short program: set up, act, check every result.
import assert from "node:assert/strict";
import {
  EBADF,
  EFAULT,
  EINVAL,
  ENXIO,
  EOPNOTSUPP,
  F_SEAL_SHRINK,
  F_SEAL_WRITE,
  getSqe,
  IO_REGBUF_TYPE_DMABUF,
  IO_REGBUF_TYPE_EMPTY,
  IO_REGBUF_TYPE_UADDR,
  IORING_RSRC_UPDATE_EXTENDED,
  ioUringQueueInit,
  O_DIRECT,
  O_RDWR,
  prepReadFixed,
  reapCqes,
  type RegbufDesc,
  registerBufferDmabuf,
  registerBuffersSparse,
  registerBuffersUpdate2,
  sqeSetData64,
  submitAndWait,
  System,
} from "../mod.ts";
import { GiB, type Machine, MiB, openDrive, sealedMemfd } from "./helpers.ts";

interface Setup extends Machine {
  db: number;
  mfd: number;
}

/** A machine with the drive open O_DIRECT, a ring, a sparse table of `slots` (0: none), a 64 KiB udmabuf. */
function setup(slots = 8): Setup {
  const sys = new System({
    profile: { base: "optane-p5800x", gpus: [{ name: "gpu0", vram_mib: 4096, p2p: "switch" }] },
  });
  const { fd, ring } = openDrive(sys, 16, 0);
  if (slots > 0) assert.equal(registerBuffersSparse(ring, slots), 0);
  const mfd = sealedMemfd(sys, 65536);
  const db = sys.udmabufCreate(mfd, 0, 65536);
  assert.ok(db >= 3, `udmabuf: ${db}`);
  return { sys, fd, ring, db, mfd };
}

/** One extended descriptor at `offset`. */
function update(s: Setup, desc: RegbufDesc, offset = 0): number {
  return registerBuffersUpdate2(s.ring, { offset, flags: IORING_RSRC_UPDATE_EXTENDED, data: [desc] });
}

function dmabufDesc(s: Setup, extra: Partial<RegbufDesc> = {}): RegbufDesc {
  return { type: IO_REGBUF_TYPE_DMABUF, dmabufFd: s.db, targetFd: s.fd, ...extra };
}

/** READ_FIXED of 512 bytes from slot `slot` at buffer address `addr`: the CQE result. */
function readSlot(s: Setup, slot: number, addr: number): number {
  const sqe = getSqe(s.ring);
  assert.ok(sqe);
  prepReadFixed(sqe, s.fd, addr, 512, 0, slot);
  sqeSetData64(sqe, 1);
  assert.equal(submitAndWait(s.ring, 1), 1);
  const cqes = reapCqes(s.ring);
  assert.equal(cqes.length, 1);
  return cqes[0].res;
}

Deno.test("registerBufferDmabuf returns 1 and the slot serves reads", () => {
  const s = setup();
  assert.equal(registerBufferDmabuf(s.ring, 5, s.db, s.fd), 1);
  assert.equal(readSlot(s, 5, 4096), 512);
  assert.equal(readSlot(s, 4, 0), -EFAULT, "a neighbouring slot stays empty");
  assert.deepEqual(s.sys.dmabufLive(), { maps: 1, tokens: 1 });
});

Deno.test("registerBuffersUpdate2 with no buffer table returns -ENXIO", () => {
  const s = setup(0);
  assert.equal(update(s, dmabufDesc(s)), -ENXIO);
  assert.equal(registerBufferDmabuf(s.ring, 0, s.db, s.fd), -ENXIO);
  assert.equal(update(s, { type: IO_REGBUF_TYPE_EMPTY }), -ENXIO);
  assert.deepEqual(s.sys.dmabufLive(), { maps: 0, tokens: 0 });
});

Deno.test("registerBuffersUpdate2 past the end of the table returns -EINVAL", () => {
  const s = setup(4);
  assert.equal(update(s, dmabufDesc(s), 4), -EINVAL);
  assert.equal(update(s, dmabufDesc(s), 0xffffffff), -EINVAL, "offset + nr wraps in 32 bits");
  const two = [dmabufDesc(s), dmabufDesc(s)];
  assert.equal(
    registerBuffersUpdate2(s.ring, { offset: 3, flags: IORING_RSRC_UPDATE_EXTENDED, data: two }),
    -EINVAL,
  );
  assert.equal(
    registerBuffersUpdate2(s.ring, { offset: 2, flags: IORING_RSRC_UPDATE_EXTENDED, data: two }),
    2,
  );
  assert.equal(s.sys.dmabufLive().tokens, 2);
});

Deno.test("registerBuffersUpdate2 rejects a descriptor type out of range with -EINVAL", () => {
  const s = setup();
  for (const type of [3, 4, 0x80000000, 0xffffffff]) {
    assert.equal(update(s, { type, dmabufFd: s.db, targetFd: s.fd }), -EINVAL, `type ${type}`);
  }
  assert.equal(s.sys.dmabufLive().tokens, 0);
});

Deno.test("registerBuffersUpdate2 rejects reserved descriptor bits (flags, __resv) with -EINVAL", () => {
  const s = setup();
  for (const flags of [1, 2, 0x80000000]) {
    assert.equal(update(s, dmabufDesc(s, { flags })), -EINVAL, `flags ${flags}`);
  }
  for (let k = 0; k < 6; k++) {
    const resv = [0, 0, 0, 0, 0, 0];
    resv[k] = 1;
    assert.equal(update(s, dmabufDesc(s, { resv })), -EINVAL, `resv[${k}]`);
    assert.equal(update(s, { type: IO_REGBUF_TYPE_EMPTY, resv }), -EINVAL, `EMPTY resv[${k}]`);
  }
  const high = [0n, 0n, 0n, 0n, 0n, 1n << 63n];
  assert.equal(update(s, dmabufDesc(s, { resv: high })), -EINVAL, "resv[5] top bit");
  assert.equal(s.sys.dmabufLive().tokens, 0);
});

Deno.test("registerBuffersUpdate2 rejects a DMABUF descriptor with uaddr or size set with -EINVAL", () => {
  const s = setup();
  const va = s.sys.mmapAnon(65536);
  assert.equal(update(s, dmabufDesc(s, { uaddr: va })), -EINVAL);
  assert.equal(update(s, dmabufDesc(s, { size: 65536 })), -EINVAL);
  assert.equal(update(s, dmabufDesc(s, { uaddr: va, size: 65536 })), -EINVAL);
  assert.equal(s.sys.dmabufLive().tokens, 0);
});

Deno.test("registerBuffersUpdate2 rejects a target_fd that is not open with -EBADF", () => {
  const s = setup();
  const closed = s.sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT);
  assert.equal(s.sys.close(closed), 0);
  for (const targetFd of [-1, closed, 999, 1 << 30]) {
    assert.equal(update(s, dmabufDesc(s, { targetFd })), -EBADF, `target ${targetFd}`);
  }
});

Deno.test("registerBuffersUpdate2 rejects a dmabuf_fd that is not a dma-buf with -EBADF", () => {
  const s = setup();
  const closed = s.sys.memfdCreate(0);
  assert.equal(s.sys.close(closed), 0);
  for (const dmabufFd of [s.mfd, s.fd, s.ring.ringFd, 0, -1, closed, 999]) {
    assert.equal(update(s, dmabufDesc(s, { dmabufFd })), -EBADF, `dmabuf_fd ${dmabufFd}`);
  }
  assert.equal(s.sys.dmabufLive().tokens, 0);
});

Deno.test("registerBuffersUpdate2 rejects a dma-buf over 1 GiB with -EINVAL and takes exactly 1 GiB", () => {
  const s = setup();
  const big = s.sys.gpuDmabufCreate(0, GiB + 4096);
  assert.ok(big >= 3, `gpu dma-buf: ${big}`);
  assert.equal(update(s, dmabufDesc(s, { dmabufFd: big })), -EINVAL);
  const one = s.sys.gpuDmabufCreate(0, GiB);
  assert.ok(one >= 3, `gpu dma-buf: ${one}`);
  assert.equal(update(s, dmabufDesc(s, { dmabufFd: one })), 1);
});

Deno.test("registerBuffersUpdate2 rejects a target that is not a block device with -EOPNOTSUPP", () => {
  const s = setup();
  for (const targetFd of [s.ring.ringFd, s.mfd, s.db, 0]) {
    assert.equal(update(s, dmabufDesc(s, { targetFd })), -EOPNOTSUPP, `target ${targetFd}`);
  }
  assert.equal(s.sys.dmabufLive().tokens, 0);
});

Deno.test("registerBuffersUpdate2 rejects a block device not opened O_DIRECT with -EINVAL", () => {
  const s = setup();
  const buffered = s.sys.open("/dev/nvme0n1", O_RDWR);
  assert.ok(buffered >= 3);
  assert.equal(update(s, dmabufDesc(s, { targetFd: buffered })), -EINVAL);
  assert.equal(s.sys.dmabufLive().tokens, 0);
});

Deno.test("registerBuffersUpdate2 rejects UADDR and EMPTY descriptors with dmabuf_fd or target_fd set with -EINVAL", () => {
  const s = setup();
  const va = s.sys.mmapAnon(65536);
  for (const type of [IO_REGBUF_TYPE_UADDR, IO_REGBUF_TYPE_EMPTY]) {
    const mem = type === IO_REGBUF_TYPE_UADDR ? { uaddr: va, size: 65536 } : {};
    assert.equal(update(s, { type, ...mem, dmabufFd: s.db }), -EINVAL, `type ${type} dmabuf_fd`);
    assert.equal(update(s, { type, ...mem, targetFd: s.fd }), -EINVAL, `type ${type} target_fd`);
    assert.equal(update(s, { type, ...mem, dmabufFd: -1 }), -EINVAL, `type ${type} dmabuf_fd -1`);
  }
  assert.equal(update(s, { type: IO_REGBUF_TYPE_UADDR, uaddr: va, size: 65536 }), 1, "clean UADDR works");
});

Deno.test("registerBuffersUpdate2 rejects an EMPTY descriptor with uaddr or size set with -EFAULT", () => {
  const s = setup();
  const va = s.sys.mmapAnon(65536);
  assert.equal(update(s, { type: IO_REGBUF_TYPE_EMPTY, uaddr: va }), -EFAULT);
  assert.equal(update(s, { type: IO_REGBUF_TYPE_EMPTY, size: 4096 }), -EFAULT);
  assert.equal(update(s, { type: IO_REGBUF_TYPE_EMPTY }), 1);
});

Deno.test("registerBuffersUpdate2 rejects nr_args other than 32 with -EINVAL", () => {
  const s = setup();
  for (const nrArgs of [0, 16, 31, 33, 80]) {
    assert.equal(
      registerBuffersUpdate2(
        s.ring,
        { offset: 0, flags: IORING_RSRC_UPDATE_EXTENDED, data: [dmabufDesc(s)] },
        nrArgs,
      ),
      -EINVAL,
      `nr_args ${nrArgs}`,
    );
  }
  assert.equal(s.sys.dmabufLive().tokens, 0);
});

Deno.test("registerBuffersUpdate2 rejects rsrc_update2 flags other than IORING_RSRC_UPDATE_EXTENDED with -EINVAL", () => {
  const s = setup();
  // data is left unstaged (nr 1 of nothing): the flags check comes before any descriptor is read.
  for (const flags of [1, 4, 3, 1 << 31]) {
    assert.equal(
      registerBuffersUpdate2(s.ring, { offset: 0, flags, data: [], nr: 1 }),
      -EINVAL,
      `${flags}`,
    );
  }
  assert.equal(s.sys.dmabufLive().tokens, 0);
});

Deno.test("registerBuffersUpdate2 rejects a non-zero resv2 with -EINVAL", () => {
  const s = setup();
  for (const resv2 of [1, 0x80000000]) {
    assert.equal(
      registerBuffersUpdate2(s.ring, {
        offset: 0,
        flags: IORING_RSRC_UPDATE_EXTENDED,
        data: [dmabufDesc(s)],
        resv2,
      }),
      -EINVAL,
    );
  }
  assert.equal(s.sys.dmabufLive().tokens, 0);
});

Deno.test("registerBuffersUpdate2 with nr 0 returns -EINVAL as mainline io_register_rsrc_update", () => {
  const s = setup();
  assert.equal(
    registerBuffersUpdate2(s.ring, { offset: 0, flags: IORING_RSRC_UPDATE_EXTENDED, data: [] }),
    -EINVAL,
  );
});

Deno.test("registerBuffersUpdate2 returns the number of slots updated (nr 3 gives 3)", () => {
  const s = setup();
  const va = s.sys.mmapAnon(65536);
  const data: RegbufDesc[] = [
    dmabufDesc(s),
    { type: IO_REGBUF_TYPE_UADDR, uaddr: va, size: 65536 },
    { type: IO_REGBUF_TYPE_EMPTY },
  ];
  assert.equal(registerBuffersUpdate2(s.ring, { offset: 2, flags: IORING_RSRC_UPDATE_EXTENDED, data }), 3);
  assert.equal(readSlot(s, 2, 4096), 512, "dma-buf slot");
  assert.equal(readSlot(s, 3, va), 512, "user slot");
  assert.equal(readSlot(s, 4, 0), -EFAULT, "empty slot");
});

Deno.test("registerBuffersUpdate2 stops at the first bad descriptor and returns the slots done before it", () => {
  const s = setup();
  const data: RegbufDesc[] = [dmabufDesc(s), dmabufDesc(s, { targetFd: 999 }), dmabufDesc(s)];
  assert.equal(registerBuffersUpdate2(s.ring, { offset: 0, flags: IORING_RSRC_UPDATE_EXTENDED, data }), 1);
  assert.equal(readSlot(s, 0, 0), 512);
  assert.equal(readSlot(s, 1, 0), -EFAULT);
  assert.equal(readSlot(s, 2, 0), -EFAULT);
  assert.equal(
    registerBuffersUpdate2(s.ring, { offset: 1, flags: IORING_RSRC_UPDATE_EXTENDED, data: data.slice(1) }),
    -EBADF,
  );
});

Deno.test("registerBuffersUpdate2 reports the earlier check when two errors apply", () => {
  const s = setup(4);
  const r = ioUringQueueInit(s.sys, 16, 0);
  if (typeof r === "number") throw new Error(`ring: ${r}`);
  const noTable: Setup = { ...s, ring: r };
  const buffered = s.sys.open("/dev/nvme0n1", O_RDWR);
  const big = s.sys.gpuDmabufCreate(0, GiB + 4096);
  assert.ok(big >= 3);
  const va = s.sys.mmapAnon(4096);
  const x = IORING_RSRC_UPDATE_EXTENDED;
  const cases: [string, number, number][] = [
    // Checks on struct io_uring_rsrc_update2 come before the table lookup.
    [
      "nr_args 31 + no table",
      registerBuffersUpdate2(noTable.ring, { offset: 0, flags: x, data: [], nr: 1 }, 31),
      -EINVAL,
    ],
    [
      "resv2 + no table",
      registerBuffersUpdate2(noTable.ring, { offset: 0, flags: x, data: [], nr: 1, resv2: 1 }),
      -EINVAL,
    ],
    [
      "no table + offset past the end",
      registerBuffersUpdate2(noTable.ring, { offset: 9, flags: x, data: [dmabufDesc(noTable)] }),
      -ENXIO,
    ],
    ["no table + target not open", update(noTable, dmabufDesc(noTable, { targetFd: 999 })), -ENXIO],
    [
      "offset past the end + EMPTY with uaddr",
      update(s, { type: IO_REGBUF_TYPE_EMPTY, uaddr: va }, 4),
      -EINVAL,
    ],
    ["type out of range + target not open", update(s, { type: 3, dmabufFd: s.db, targetFd: 999 }), -EINVAL],
    ["type out of range + EMPTY-like uaddr", update(s, { type: 7, uaddr: va }), -EINVAL],
    ["reserved flags + target not open", update(s, dmabufDesc(s, { flags: 1, targetFd: 999 })), -EINVAL],
    [
      "reserved resv + EMPTY with uaddr",
      update(s, { type: IO_REGBUF_TYPE_EMPTY, uaddr: va, resv: [0, 0, 1] }),
      -EINVAL,
    ],
    ["DMABUF with uaddr + target not open", update(s, dmabufDesc(s, { uaddr: va, targetFd: 999 })), -EINVAL],
    [
      "target not open + dma-buf over 1 GiB",
      update(s, dmabufDesc(s, { dmabufFd: big, targetFd: 999 })),
      -EBADF,
    ],
    [
      "not a dma-buf + target not a block device",
      update(s, dmabufDesc(s, { dmabufFd: s.mfd, targetFd: s.ring.ringFd })),
      -EBADF,
    ],
    [
      "dma-buf over 1 GiB + target not a block device",
      update(s, dmabufDesc(s, { dmabufFd: big, targetFd: s.mfd })),
      -EINVAL,
    ],
    [
      "dma-buf over 1 GiB + not O_DIRECT",
      update(s, dmabufDesc(s, { dmabufFd: big, targetFd: buffered })),
      -EINVAL,
    ],
    [
      "not a dma-buf + not O_DIRECT",
      update(s, dmabufDesc(s, { dmabufFd: s.mfd, targetFd: buffered })),
      -EBADF,
    ],
    [
      "EMPTY with target_fd + uaddr",
      update(s, { type: IO_REGBUF_TYPE_EMPTY, targetFd: s.fd, uaddr: va }),
      -EINVAL,
    ],
  ];
  for (const [what, got, want] of cases) assert.equal(got, want, what);
  assert.equal(s.sys.dmabufLive().tokens, 0, "no failed registration left a token");
});

Deno.test("udmabufCreate returns a dma-buf of the memfd range, page aligned, at most 64 MiB", () => {
  const sys = new System();
  const mfd = sealedMemfd(sys, 64 * MiB + 8192);
  const db = sys.udmabufCreate(mfd, 4096, 64 * MiB);
  assert.ok(db >= 3, `64 MiB: ${db}`);
  assert.equal(sys.dmabufSize(db), 64 * MiB);
  assert.equal(sys.memfdWrite(mfd, 4096 + 100, new Uint8Array([1, 2, 3])), 3);
  assert.deepEqual(
    sys.dmabufRead(db, 100, 3),
    new Uint8Array([1, 2, 3]),
    "the dma-buf shares the memfd's pages",
  );
  assert.equal(sys.udmabufCreate(mfd, 0, 64 * MiB + 4096), -EINVAL, "over 64 MiB");
  assert.equal(
    sys.udmabufCreateList([{ memfd: mfd, offset: 0, size: 32 * MiB }, {
      memfd: mfd,
      offset: 0,
      size: 32 * MiB + 4096,
    }]),
    -EINVAL,
    "over 64 MiB in total over a list",
  );
});

Deno.test("udmabufCreate rejects a size or offset that is not page aligned with -EINVAL", () => {
  const sys = new System();
  const mfd = sealedMemfd(sys, MiB);
  assert.equal(sys.udmabufCreate(mfd, 0, 4096 + 512), -EINVAL);
  assert.equal(sys.udmabufCreate(mfd, 0, 100), -EINVAL);
  assert.equal(sys.udmabufCreate(mfd, 512, 4096), -EINVAL);
  assert.equal(sys.udmabufCreate(mfd, 4095, 8192), -EINVAL);
  assert.equal(sys.udmabufCreate(mfd, 0, 0), -EINVAL, "empty");
  assert.ok(sys.udmabufCreate(mfd, 4096, 4096) >= 3);
});

Deno.test("udmabufCreate requires F_SEAL_SHRINK and refuses F_SEAL_WRITE with -EINVAL", () => {
  const sys = new System();
  assert.equal(sys.udmabufCreate(sealedMemfd(sys, MiB, 0), 0, MiB), -EINVAL, "no seal");
  assert.equal(sys.udmabufCreate(sealedMemfd(sys, MiB, 4), 0, MiB), -EINVAL, "F_SEAL_GROW only");
  assert.equal(
    sys.udmabufCreate(sealedMemfd(sys, MiB, F_SEAL_SHRINK | F_SEAL_WRITE), 0, MiB),
    -EINVAL,
    "F_SEAL_WRITE",
  );
  assert.equal(sys.udmabufCreate(sealedMemfd(sys, MiB, F_SEAL_WRITE), 0, MiB), -EINVAL, "F_SEAL_WRITE alone");
  assert.ok(sys.udmabufCreate(sealedMemfd(sys, MiB, F_SEAL_SHRINK | 4), 0, MiB) >= 3, "SHRINK|GROW is fine");
});

Deno.test("udmabufCreate rejects an fd that is not a memfd with -EBADF", () => {
  const sys = new System();
  const fd = sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT);
  const mfd = sealedMemfd(sys, MiB);
  const db = sys.udmabufCreate(mfd, 0, MiB);
  assert.ok(db >= 3);
  for (const bad of [fd, db, 999, -1]) assert.equal(sys.udmabufCreate(bad, 0, 4096), -EBADF, `fd ${bad}`);
});

Deno.test("udmabufCreateList takes up to 1024 items and refuses more with -EINVAL", () => {
  const sys = new System();
  const mfd = sealedMemfd(sys, 4 * MiB + 4096);
  const items = Array.from({ length: 1024 }, (_, i) => ({ memfd: mfd, offset: i * 4096, size: 4096 }));
  const db = sys.udmabufCreateList(items);
  assert.ok(db >= 3, `1024 items: ${db}`);
  assert.equal(sys.dmabufSize(db), 4 * MiB);
  assert.equal(sys.udmabufCreateList([...items, { memfd: mfd, offset: 4 * MiB, size: 4096 }]), -EINVAL);
  assert.equal(sys.udmabufCreateList([]), -EINVAL);
});
