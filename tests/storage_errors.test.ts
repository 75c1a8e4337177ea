// Storage data path, errors: every errno of buffer registration, fixed and
// plain I/O, file checks, O_DIRECT rules, end of device, fixed files; in the
// kernel's order where two apply; and exactly one CQE per request.
// Each test is a short program: set up, act, check every result.
import assert from "node:assert/strict";
import {
  EBADF,
  EBUSY,
  EFAULT,
  EINVAL,
  ENOSPC,
  ENXIO,
  EOPNOTSUPP,
  getSqe,
  inflightCommands,
  IORING_SETUP_IOPOLL,
  IOSQE_FIXED_FILE,
  O_DIRECT,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  OPTANE_P5800X,
  peekCqe,
  prepRead,
  prepReadFixed,
  prepReadv,
  prepWrite,
  prepWriteFixed,
  prepWritev,
  reapCqes,
  registerBuffers,
  registerBuffersSparse,
  registerBuffersUpdate,
  registerFiles,
  type Sqe,
  sqeSetData64,
  sqeSetFlags,
  submitAndWait,
  System,
  unregisterBuffers,
  unregisterFiles,
  waitCqe,
} from "../mod.ts";
import {
  GiB,
  iovecArray,
  KiB,
  type Machine as BaseMachine,
  mapBuffer,
  MiB,
  openDrive,
  submitAllAndWait,
} from "./helpers.ts";

const PAGE = 4096;

interface Machine extends BaseMachine {
  lba: number;
  size: number;
}

/** A 1 GiB drive (so its end is reachable), opened O_RDWR|O_DIRECT, and a ring. */
function machine(opts: { lba?: 512 | 4096; ringFlags?: number } = {}): Machine {
  const lba = opts.lba ?? 512;
  const sys = new System({
    profile: {
      base: "optane-p5800x",
      devices: [{ ...OPTANE_P5800X.devices[0], lba_bytes: lba, capacity_gib: 1 }],
    },
  });
  const { fd, ring } = openDrive(sys, 64, opts.ringFlags ?? 0);
  assert.equal(sys.deviceBytes(0), GiB);
  return { sys, fd, ring, lba, size: GiB };
}

/**
 * Submit one SQE per prep, wait for all, return the results in order;
 * checks each request got exactly one CQE and nothing else is pending.
 */
function run(m: Machine, ...preps: ((sqe: Sqe) => void)[]): number[] {
  preps.forEach((prep, i) => {
    const sqe = getSqe(m.ring);
    assert.ok(sqe, "SQ full");
    prep(sqe);
    sqeSetData64(sqe, 0x7000 + i);
  });
  assert.equal(submitAllAndWait(m.ring, 0), preps.length, "every SQE consumed");
  // Reap as a program does: on an IOPOLL ring io_iopoll_check returns at
  // once while the CQ holds events, so what is ready is consumed first.
  const cqes: ReturnType<typeof reapCqes> = [];
  for (let guard = 0; guard < 1000 && cqes.length < preps.length; guard++) {
    const [ret] = waitCqe(m.ring);
    assert.equal(ret, 0, `waiting: ${ret}`);
    cqes.push(...reapCqes(m.ring));
  }
  const count = new Map<number, number>();
  const res: number[] = new Array(preps.length);
  for (const c of cqes) {
    const i = Number(c.userData) - 0x7000;
    count.set(i, (count.get(i) ?? 0) + 1);
    res[i] = c.res;
  }
  for (let i = 0; i < preps.length; i++) assert.equal(count.get(i), 1, `request ${i}: exactly one CQE`);
  assert.equal(cqes.length, preps.length, "no stray CQE");
  assert.deepEqual(peekCqe(m.ring), [-11, null]);
  assert.equal(inflightCommands(m.sys).length, 0);
  return res;
}

/** One request: its result. */
function one(m: Machine, prep: (sqe: Sqe) => void): number {
  return run(m, prep)[0];
}

/** An address in the unmapped guard page after a mapping. */
function unmapped(sys: System): number {
  const va = mapBuffer(sys, PAGE);
  assert.equal(sys.userPhysAddr(va + PAGE), 0);
  return va + PAGE;
}

// ---------------------------------------------------------------------------
// Buffer registration.

Deno.test("registerBuffers returns -EBUSY while a table exists, before checking the count", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 8 * KiB }]), 0);
  assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 4 * KiB }]), -EBUSY);
  assert.equal(registerBuffers(m.ring, []), -EBUSY, "-EBUSY is checked before the count");
  assert.equal(registerBuffersSparse(m.ring, 4), -EBUSY);
  assert.equal(unregisterBuffers(m.ring), 0);
  assert.equal(registerBuffersSparse(m.ring, 4), 0);
  assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 4 * KiB }]), -EBUSY, "a sparse table too");
});

Deno.test("registerBuffers returns -EBUSY for too many iovecs while a table exists (kernel order)", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 8 * KiB }]), 0);
  const many = Array.from({ length: 16385 }, () => ({ iovBase: va, iovLen: 4096 }));
  assert.equal(registerBuffers(m.ring, many), -EBUSY);
});

Deno.test("registerBuffers returns -EINVAL for 0 or more than 16384 iovecs, and 16384 is accepted", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.equal(registerBuffers(m.ring, []), -EINVAL);
  assert.equal(
    registerBuffers(m.ring, Array.from({ length: 16385 }, () => ({ iovBase: va, iovLen: 4096 }))),
    -EINVAL,
  );
  assert.equal(registerBuffersSparse(m.ring, 0), -EINVAL);
  assert.equal(registerBuffersSparse(m.ring, 16385), -EINVAL);
  assert.equal(unregisterBuffers(m.ring), -ENXIO, "nothing was registered");
  assert.equal(
    registerBuffers(m.ring, Array.from({ length: 16384 }, () => ({ iovBase: va, iovLen: 4096 }))),
    0,
  );
});

Deno.test("registerBuffers returns -EFAULT for a NULL base with a length, zero length, over 1 GiB, unmapped memory", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 64 * KiB);
  const bad: [string, number, number][] = [
    ["NULL base with a length", 0, 4096],
    ["zero length", va, 0],
    ["over 1 GiB", va, GiB + 1],
    ["unmapped memory", unmapped(m.sys), 4096],
    ["running into the guard page", va, 64 * KiB + 1],
  ];
  for (const [what, base, len] of bad) {
    // The bad iovec comes second: the first was pinned and must be released.
    assert.equal(
      registerBuffers(m.ring, [{ iovBase: va, iovLen: 4096 }, { iovBase: base, iovLen: len }]),
      -EFAULT,
      what,
    );
    assert.equal(unregisterBuffers(m.ring), -ENXIO, `${what}: no table is left behind`);
  }
  assert.equal(
    registerBuffers(m.ring, [{ iovBase: va, iovLen: 64 * KiB }]),
    0,
    "registration works after failures",
  );
});

Deno.test("registerBuffers: a NULL base with zero length registers an empty slot", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.equal(registerBuffers(m.ring, [{ iovBase: 0, iovLen: 0 }, { iovBase: va, iovLen: 8 * KiB }]), 0);
  assert.deepEqual(
    run(
      m,
      (s) => prepReadFixed(s, m.fd, va, 4096, 0, 0),
      (s) => prepReadFixed(s, m.fd, 0, 4096, 0, 0),
      (s) => prepReadFixed(s, m.fd, va, 4096, 0, 1),
    ),
    [-EFAULT, -EFAULT, 4096],
  );
});

Deno.test("unregisterBuffers returns -ENXIO with no table, 0 once, then -ENXIO", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.equal(unregisterBuffers(m.ring), -ENXIO);
  assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 8 * KiB }]), 0);
  assert.equal(unregisterBuffers(m.ring), 0);
  assert.equal(unregisterBuffers(m.ring), -ENXIO);
  assert.equal(one(m, (s) => prepReadFixed(s, m.fd, va, 4096, 0, 0)), -EFAULT, "the slot is gone");
});

Deno.test("registerBuffersUpdate: -ENXIO without a table, -EINVAL past its end, else the number of slots changed", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 16 * KiB);
  assert.equal(registerBuffersUpdate(m.ring, 0, [{ iovBase: va, iovLen: 4096 }]), -ENXIO);
  assert.equal(registerBuffersSparse(m.ring, 4), 0);
  assert.equal(registerBuffersUpdate(m.ring, 4, [{ iovBase: va, iovLen: 4096 }]), -EINVAL);
  assert.equal(
    registerBuffersUpdate(m.ring, 3, [{ iovBase: va, iovLen: 4096 }, { iovBase: va, iovLen: 4096 }]),
    -EINVAL,
  );
  assert.equal(
    registerBuffersUpdate(m.ring, 0xffffffff, [{ iovBase: va, iovLen: 4096 }]),
    -EINVAL,
    "no wrap",
  );
  assert.equal(
    registerBuffersUpdate(m.ring, 1, [{ iovBase: va, iovLen: 8 * KiB }, {
      iovBase: va + 8 * KiB,
      iovLen: 8 * KiB,
    }]),
    2,
  );
  assert.deepEqual(
    run(
      m,
      (s) => prepReadFixed(s, m.fd, va, 4096, 0, 0),
      (s) => prepReadFixed(s, m.fd, va, 8192, 0, 1),
      (s) => prepReadFixed(s, m.fd, va + 8 * KiB, 8192, 0, 2),
      (s) => prepReadFixed(s, m.fd, va, 4096, 0, 2),
      (s) => prepReadFixed(s, m.fd, va, 4096, 0, 3),
    ),
    [-EFAULT, 8192, 8192, -EFAULT, -EFAULT],
  );
  // Emptying a slot with a NULL base and zero length.
  assert.equal(registerBuffersUpdate(m.ring, 1, [{ iovBase: 0, iovLen: 0 }]), 1);
  assert.equal(one(m, (s) => prepReadFixed(s, m.fd, va, 4096, 0, 1)), -EFAULT);
});

Deno.test("registerBuffersUpdate stops at a bad iovec: the count done so far, or the error when none was", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 16 * KiB);
  assert.equal(registerBuffersSparse(m.ring, 4), 0);
  assert.equal(registerBuffersUpdate(m.ring, 0, [{ iovBase: 0, iovLen: 4096 }]), -EFAULT);
  assert.equal(registerBuffersUpdate(m.ring, 0, [{ iovBase: va, iovLen: 0 }]), -EFAULT);
  assert.equal(registerBuffersUpdate(m.ring, 0, [{ iovBase: unmapped(m.sys), iovLen: 4096 }]), -EFAULT);
  assert.equal(
    registerBuffersUpdate(m.ring, 0, [{ iovBase: va, iovLen: 4096 }, { iovBase: va, iovLen: GiB + 1 }, {
      iovBase: va,
      iovLen: 4096,
    }]),
    1,
  );
  assert.deepEqual(
    run(
      m,
      (s) => prepReadFixed(s, m.fd, va, 4096, 0, 0),
      (s) => prepReadFixed(s, m.fd, va, 4096, 0, 1),
      (s) => prepReadFixed(s, m.fd, va, 4096, 0, 2),
    ),
    [4096, -EFAULT, -EFAULT],
  );
});

Deno.test("registerBuffersUpdate with zero iovecs is -EINVAL (io_register_rsrc_update: !up.nr)", () => {
  const m = machine();
  assert.equal(registerBuffersUpdate(m.ring, 0, []), -EINVAL, "without a table");
  assert.equal(registerBuffersSparse(m.ring, 2), 0);
  assert.equal(registerBuffersUpdate(m.ring, 0, []), -EINVAL, "with a table");
});

// ---------------------------------------------------------------------------
// Fixed I/O.

Deno.test("fixed I/O: slot out of range, empty slot, range outside the buffer are -EFAULT; length 0 is 0", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 64 * KiB);
  assert.equal(one(m, (s) => prepReadFixed(s, m.fd, va, 4096, 0, 0)), -EFAULT, "no table at all");
  assert.equal(registerBuffersSparse(m.ring, 3), 0);
  assert.equal(registerBuffersUpdate(m.ring, 0, [{ iovBase: va + 4096, iovLen: 32 * KiB }]), 1);
  const base = va + 4096;
  const end = base + 32 * KiB;
  assert.deepEqual(
    run(
      m,
      (s) => prepReadFixed(s, m.fd, base, 4096, 0, 3), // out of range
      (s) => prepReadFixed(s, m.fd, base, 4096, 0, 0xffff),
      (s) => prepReadFixed(s, m.fd, base, 4096, 0, 1), // empty (sparse)
      (s) => prepReadFixed(s, m.fd, base - 512, 4096, 0, 0), // starts before
      (s) => prepReadFixed(s, m.fd, end - 3584, 4096, 0, 0), // ends after
      (s) => prepWriteFixed(s, m.fd, end, 512, 0, 0), // starts at the end
      (s) => prepReadFixed(s, m.fd, 0xfffffffffffffe00n, 1024, 0, 0), // wraps
      (s) => prepReadFixed(s, m.fd, base, 0, 0, 0), // length 0
      (s) => prepWriteFixed(s, m.fd, end, 0, 0, 0), // length 0 at the end
      (s) => prepReadFixed(s, m.fd, end - 4096, 4096, 0, 0), // exactly the last page
      (s) => prepWriteFixed(s, m.fd, base, 32 * KiB, 0, 0), // the whole buffer
    ),
    [-EFAULT, -EFAULT, -EFAULT, -EFAULT, -EFAULT, -EFAULT, -EFAULT, 0, 0, 4096, 32 * KiB],
  );
});

// ---------------------------------------------------------------------------
// Files.

Deno.test("I/O on a bad fd is -EBADF: never opened, closed, negative", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  const fd2 = m.sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT);
  assert.equal(m.sys.close(fd2), 0);
  assert.equal(m.sys.close(fd2), -EBADF);
  assert.deepEqual(
    run(
      m,
      (s) => prepRead(s, 999, va, 4096, 0),
      (s) => prepWrite(s, fd2, va, 4096, 0),
      (s) => prepRead(s, -1, va, 4096, 0),
      (s) => prepReadv(s, 200, iovecArray(m.sys, [[va, 4096]]), 1, 0),
    ),
    [-EBADF, -EBADF, -EBADF, -EBADF],
  );
});

Deno.test("read on an O_WRONLY fd and write on an O_RDONLY fd are -EBADF, for every opcode", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 8 * KiB }]), 0);
  const ro = m.sys.open("/dev/nvme0n1", O_RDONLY | O_DIRECT);
  const wo = m.sys.open("/dev/nvme0n1", O_WRONLY | O_DIRECT);
  const iov = iovecArray(m.sys, [[va, 4096]]);
  assert.deepEqual(
    run(
      m,
      (s) => prepRead(s, wo, va, 4096, 0),
      (s) => prepReadFixed(s, wo, va, 4096, 0, 0),
      (s) => prepReadv(s, wo, iov, 1, 0),
      (s) => prepWrite(s, ro, va, 4096, 0),
      (s) => prepWriteFixed(s, ro, va, 4096, 0, 0),
      (s) => prepWritev(s, ro, iov, 1, 0),
      (s) => prepRead(s, ro, va, 4096, 0),
      (s) => prepWrite(s, wo, va, 4096, 0),
    ),
    [-EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, 4096, 4096],
  );
});

Deno.test("kernel order: bad fd before the fixed buffer, the fixed buffer before the file mode, mode before O_DIRECT", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 8 * KiB }]), 0);
  const wo = m.sys.open("/dev/nvme0n1", O_WRONLY | O_DIRECT);
  assert.deepEqual(
    run(
      m,
      (s) => prepReadFixed(s, 999, va, 4096, 0, 5), // bad fd and bad slot
      (s) => prepReadFixed(s, wo, va, 4096, 0, 5), // wrong mode and bad slot
      (s) => prepRead(s, wo, va + 1, 100, 3), // wrong mode and misaligned
    ),
    [-EBADF, -EFAULT, -EBADF],
  );
});

Deno.test("I/O on an io_uring fd is -EINVAL", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.deepEqual(
    run(
      m,
      (s) => prepRead(s, m.ring.ringFd, va, 4096, 0),
      (s) => prepWrite(s, m.ring.ringFd, va, 4096, 0),
    ),
    [-EINVAL, -EINVAL],
  );
});

Deno.test("IOPOLL ring: a non-O_DIRECT fd is -EOPNOTSUPP, and so is an io_uring fd (no ->iopoll)", () => {
  const m = machine({ ringFlags: IORING_SETUP_IOPOLL });
  const va = mapBuffer(m.sys, 8 * KiB);
  const buffered = m.sys.open("/dev/nvme0n1", O_RDWR);
  assert.deepEqual(
    run(
      m,
      (s) => prepRead(s, buffered, va, 4096, 0),
      (s) => prepWrite(s, buffered, va, 4096, 0),
      (s) => prepRead(s, m.fd, va, 4096, 0),
    ),
    [-EOPNOTSUPP, -EOPNOTSUPP, 4096],
  );
  assert.equal(one(m, (s) => prepRead(s, m.ring.ringFd, va, 4096, 0)), -EOPNOTSUPP);
});

Deno.test("IOSQE_FIXED_FILE: registered indexes work, bad indexes and empty slots are -EBADF", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  const fixed = (idx: number, write = false) => (s: Sqe) => {
    (write ? prepWrite : prepRead)(s, idx, va, 4096, 0);
    sqeSetFlags(s, IOSQE_FIXED_FILE);
  };
  assert.equal(one(m, fixed(0)), -EBADF, "no file table");
  assert.equal(registerFiles(m.ring, [m.fd, -1]), 0);
  assert.deepEqual(run(m, fixed(0), fixed(0, true), fixed(1), fixed(2), fixed(-1), fixed(1 << 20)), [
    4096,
    4096,
    -EBADF,
    -EBADF,
    -EBADF,
    -EBADF,
  ]);
  assert.equal(unregisterFiles(m.ring), 0);
  assert.equal(unregisterFiles(m.ring), -ENXIO);
  assert.equal(one(m, fixed(0)), -EBADF);
});

// ---------------------------------------------------------------------------
// O_DIRECT rules.

for (const lba of [512, 4096] as const) {
  Deno.test(`O_DIRECT: misaligned offset or length is -EINVAL, a buffer not dword aligned is -EINVAL (${lba})`, () => {
    const m = machine({ lba });
    const va = mapBuffer(m.sys, 64 * KiB);
    assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 64 * KiB }]), 0);
    assert.deepEqual(
      run(
        m,
        (s) => prepRead(s, m.fd, va, lba, 512 / 2), // offset
        (s) => prepRead(s, m.fd, va, lba, lba / 2),
        (s) => prepWrite(s, m.fd, va, lba + lba / 2, 0), // length
        (s) => prepRead(s, m.fd, va, 100, 0),
        (s) => prepRead(s, m.fd, va + 2, lba, 0), // address
        (s) => prepWrite(s, m.fd, va + 1, lba, 0),
        (s) => prepReadFixed(s, m.fd, va + 6, lba, 0, 0),
        (s) => prepWriteFixed(s, m.fd, va, lba / 2, 0, 0),
        (s) => prepRead(s, m.fd, va + 4, lba, 0), // dword aligned is fine
        (s) => prepReadFixed(s, m.fd, va + 4092, lba, lba, 0),
      ),
      [-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, lba, lba],
    );
  });

  Deno.test(`O_DIRECT vectored: each iovec must be dword aligned and a whole number of blocks (${lba})`, () => {
    const m = machine({ lba });
    const va = mapBuffer(m.sys, 64 * KiB);
    const half = lba / 2;
    assert.deepEqual(
      run(
        m,
        (s) => prepReadv(s, m.fd, iovecArray(m.sys, [[va, half], [va + PAGE * 4, half]]), 2, 0),
        (s) => prepWritev(s, m.fd, iovecArray(m.sys, [[va, lba], [va + PAGE * 4 + 2, lba]]), 2, 0),
        (s) => prepReadv(s, m.fd, iovecArray(m.sys, [[va + 4, lba], [va + PAGE * 4 + 8, lba]]), 2, 0),
      ),
      [-EINVAL, -EINVAL, 2 * lba],
    );
  });
}

Deno.test("a buffered (no O_DIRECT) fd takes any offset, length and address", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  const bfd = m.sys.open("/dev/nvme0n1", O_RDWR);
  assert.deepEqual(
    run(m, (s) => prepRead(s, bfd, va + 1, 100, 3), (s) => prepWrite(s, bfd, va + 3, 777, 5)),
    [100, 777],
  );
});

// ---------------------------------------------------------------------------
// End of the device.

Deno.test("reads at or past the end return 0; reads spanning it return the bytes that exist", () => {
  const m = machine();
  const data = new Uint8Array(1024).map((_, i) => (i * 13 + 1) & 0xff);
  const src = mapBuffer(m.sys, 4096);
  assert.equal(m.sys.writeUser(src, data), 0);
  assert.equal(one(m, (s) => prepWrite(s, m.fd, src, 1024, m.size - 1024)), 1024);
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 8 * KiB }]), 0);
  assert.deepEqual(
    run(
      m,
      (s) => prepRead(s, m.fd, va, 4096, m.size),
      (s) => prepRead(s, m.fd, va, 4096, m.size + 4096),
      (s) => prepReadFixed(s, m.fd, va, 4096, m.size, 0),
      (s) => prepRead(s, m.fd, va, 0, m.size),
    ),
    [0, 0, 0, 0],
  );
  assert.deepEqual(run(m, (s) => prepRead(s, m.fd, va, 4096, m.size - 1024)), [1024]);
  assert.deepEqual(m.sys.readUser(va, 1024), data);
  assert.deepEqual(run(m, (s) => prepReadFixed(s, m.fd, va + 4096, 4096, m.size - 512, 0)), [512]);
  assert.deepEqual(m.sys.readUser(va + 4096, 512), data.subarray(512));
  const iov = iovecArray(m.sys, [[va, 512], [va + 4096, 4096]]);
  assert.deepEqual(run(m, (s) => prepReadv(s, m.fd, iov, 2, m.size - 1024)), [1024]);
});

Deno.test("writes at or after the end are -ENOSPC; writes spanning it are short", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  const data = new Uint8Array(4096).map((_, i) => (i * 7 + 3) & 0xff);
  assert.equal(m.sys.writeUser(va, data), 0);
  assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 8 * KiB }]), 0);
  assert.deepEqual(
    run(
      m,
      (s) => prepWrite(s, m.fd, va, 4096, m.size),
      (s) => prepWrite(s, m.fd, va, 512, m.size + 512),
      (s) => prepWriteFixed(s, m.fd, va, 4096, m.size, 0),
      (s) => prepWrite(s, m.fd, va, 0, m.size), // nothing to write: 0 first
    ),
    [-ENOSPC, -ENOSPC, -ENOSPC, 0],
  );
  assert.deepEqual(run(m, (s) => prepWrite(s, m.fd, va, 4096, m.size - 1536)), [1536]);
  const back = mapBuffer(m.sys, 4096);
  assert.deepEqual(run(m, (s) => prepRead(s, m.fd, back, 4096, m.size - 1536)), [1536]);
  assert.deepEqual(m.sys.readUser(back, 1536), data.subarray(0, 1536));
  assert.deepEqual(run(m, (s) => prepWriteFixed(s, m.fd, va, 2048, m.size - 512, 0)), [512]);
});

Deno.test("kernel order: the end-of-device checks come before the O_DIRECT alignment checks", () => {
  // blkdev_read_iter returns 0 at or past the end and truncates a read that
  // spans it before blkdev_direct_IO checks alignment; blkdev_write_iter
  // returns -ENOSPC, and truncates, likewise.
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  assert.deepEqual(
    run(
      m,
      (s) => prepRead(s, m.fd, va, 4096, m.size + 100), // misaligned offset past the end
      (s) => prepRead(s, m.fd, va, 1000, m.size), // misaligned length at the end
      (s) => prepWrite(s, m.fd, va, 4096, m.size + 100),
      (s) => prepWrite(s, m.fd, va, 1000, m.size),
      (s) => prepRead(s, m.fd, va, 1000, m.size - 512), // truncated to one aligned block
      (s) => prepWrite(s, m.fd, va, 1000, m.size - 512),
    ),
    [0, 0, -ENOSPC, -ENOSPC, 512, 512],
  );
});

Deno.test("a read spanning the end pins only the bytes that exist: the rest of the buffer may be unmapped", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 4096); // followed by the unmapped guard page
  assert.equal(one(m, (s) => prepRead(s, m.fd, va, 8192, m.size - 4096)), 4096);
  assert.equal(one(m, (s) => prepWrite(s, m.fd, va, 8192, m.size - 4096)), 4096);
});

// ---------------------------------------------------------------------------
// Plain buffers.

Deno.test("an unmapped plain buffer is -EFAULT: wholly, partly, in an iovec, or the iovec array itself", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 8 * KiB);
  const hole = unmapped(m.sys);
  assert.deepEqual(
    run(
      m,
      (s) => prepRead(s, m.fd, hole, 4096, 0),
      (s) => prepWrite(s, m.fd, hole, 4096, 0),
      (s) => prepRead(s, m.fd, va + 4096, 8192, 0), // runs into the guard page
      (s) => prepRead(s, m.fd, 0x1000, 4096, 0),
      (s) => prepRead(s, m.fd, 0x800000000000, 4096, 0), // above TASK_SIZE
      (s) => prepReadv(s, m.fd, iovecArray(m.sys, [[va, 4096], [hole, 4096]]), 2, 0),
      (s) => prepWritev(s, m.fd, hole, 1, 0), // the iovec array is unmapped
      (s) => prepRead(s, m.fd, va, 4096, 0),
    ),
    [-EFAULT, -EFAULT, -EFAULT, -EFAULT, -EFAULT, -EFAULT, -EFAULT, 4096],
  );
});

Deno.test("kernel order: an SQE's bad buffer (prep) is reported before a bad fd (issue)", () => {
  const m = machine();
  assert.deepEqual(
    run(
      m,
      (s) => prepRead(s, 999, 0x800000000000, 4096, 0), // access_ok fails at prep
      (s) => prepReadv(s, 999, unmapped(m.sys), 1, 0), // iovec copy fails at prep
      (s) => prepReadv(s, m.fd, mapBuffer(m.sys, 4096), 1025, 0), // more than UIO_MAXIOV
    ),
    [-EFAULT, -EFAULT, -EINVAL],
  );
});

Deno.test("a batch mixing failures and successes gets exactly one CQE per request", () => {
  const m = machine();
  const va = mapBuffer(m.sys, 64 * KiB);
  const preps: ((s: Sqe) => void)[] = [];
  for (let i = 0; i < 40; i++) {
    const k = i % 5;
    if (k === 0) preps.push((s) => prepRead(s, m.fd, va, 4096, i * 4096));
    else if (k === 1) preps.push((s) => prepRead(s, 999, va, 4096, 0));
    else if (k === 2) preps.push((s) => prepRead(s, m.fd, va, 300 * KiB, 0)); // runs off the mapping
    else if (k === 3) preps.push((s) => prepWrite(s, m.fd, va, 4096, m.size));
    else preps.push((s) => prepRead(s, m.fd, va + 4, 4096, 1 * MiB));
  }
  const res = run(m, ...preps);
  assert.deepEqual(res, preps.map((_, i) => [4096, -EBADF, -EFAULT, -ENOSPC, 4096][i % 5]));
});

Deno.test("registerFiles holds the files: closing the fd afterwards leaves the slot usable, and a kernel reference is not an fd", () => {
  const sys = new System();
  const m = openDrive(sys);
  assert.equal(registerFiles(m.ring, [m.fd]), 0);
  assert.equal(sys.close(m.fd), 0);
  const buf = sys.mmapAnon(4096);
  let sqe = getSqe(m.ring)!;
  prepRead(sqe, 0, buf, 4096, 0);
  sqeSetFlags(sqe, IOSQE_FIXED_FILE);
  sqe = getSqe(m.ring)!;
  prepRead(sqe, m.fd, buf, 4096, 0); // the closed fd itself
  sqe = getSqe(m.ring)!;
  prepRead(sqe, 1024, buf, 4096, 0); // where the table's reference lives: not a descriptor of the program
  assert.equal(submitAndWait(m.ring, 3), 3);
  assert.deepEqual(reapCqes(m.ring).map((c) => c.res).sort((a, b) => a - b), [-EBADF, -EBADF, 4096]);
  assert.equal(unregisterFiles(m.ring), 0);
});
