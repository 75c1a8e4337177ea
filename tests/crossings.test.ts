// The Wasm boundary is crossed per batch or per control event, never per
// I/O (issue 9, item 3): a t/io_uring run's crossings grow with its slices of
// events, not its I/Os; buffer registration crosses a fixed number of times
// whatever the number of iovecs or the size of the dma-buf. And the control
// path's own checks now in TypeScript (src/kernel/rsrc.ts io_buffer_validate).
import assert from "node:assert/strict";
import {
  EBADF,
  EBUSY,
  EFAULT,
  EINVAL,
  ENXIO,
  EOVERFLOW,
  headlineJob,
  registerBufferDmabuf,
  registerBuffers,
  registerBuffersSparse,
  registerFiles,
  runUring,
  System,
  unregisterFiles,
} from "../mod.ts";
import { wasmCrossings } from "../src/internal.ts";
import { MiB, openDrive, sealedMemfd } from "./helpers.ts";

/** Crossings `f` makes, and its answer. */
function crossingsOf<T>(f: () => T): [number, T] {
  const c0 = wasmCrossings();
  const r = f();
  return [wasmCrossings() - c0, r];
}

Deno.test("runUring crosses the Wasm boundary per slice of events, not per I/O", () => {
  const run = (ios: number) =>
    crossingsOf(() => runUring(headlineJob({ iommu: "passthrough", buffers: "dmabuf", ios })))[0];
  const small = run(20_000);
  const large = run(420_000);
  // 400,000 more I/Os: a handful more slices (200,000 events each), nowhere near one crossing per I/O.
  assert.ok(large - small < 400_000 / 100, `${large - small} more crossings for 400,000 more I/Os`);
});

Deno.test("registerBuffers pins every iovec in one crossing: 128 iovecs cost what 1 does", () => {
  const sys = new System();
  const cost = (n: number) => {
    const { ring } = openDrive(sys, 8, 0);
    const base = sys.mmapAnon(n * 4096);
    const iovs = Array.from({ length: n }, (_, i) => ({ iovBase: base + i * 4096, iovLen: 4096 }));
    const [c, ret] = crossingsOf(() => registerBuffers(ring, iovs));
    assert.equal(ret, 0);
    return c;
  };
  const one = cost(1);
  assert.equal(cost(128), one);
  assert.ok(one <= 3, `${one} crossings for one registration call`);
});

Deno.test("a dma-buf registration crosses a fixed few times, whatever the dma-buf's size", () => {
  const sys = new System();
  const { fd, ring } = openDrive(sys, 8, 0);
  assert.equal(registerBuffersSparse(ring, 2), 0);
  const cost = (slot: number, bytes: number) => {
    const db = sys.udmabufCreate(sealedMemfd(sys, bytes), 0, bytes);
    const [c, ret] = crossingsOf(() => registerBufferDmabuf(ring, slot, db, fd));
    assert.equal(ret, 1);
    return c;
  };
  const small = cost(0, 4096);
  assert.equal(cost(1, 32 * MiB), small);
  assert.ok(small <= 6, `${small} crossings for one dma-buf registration`);
});

Deno.test("io_buffer_validate: -EOVERFLOW when the page-rounded end wraps, -EFAULT for a NULL base with a length", () => {
  const sys = new System();
  const { ring } = openDrive(sys, 8, 0);
  // check_add_overflow(base, acct_len): 2^64 - 100 plus one page wraps.
  assert.equal(registerBuffers(ring, [{ iovBase: 2n ** 64n - 100n, iovLen: 4096 }]), -EOVERFLOW);
  assert.equal(registerBuffers(ring, [{ iovBase: 0, iovLen: 4096 }]), -EFAULT);
  // The failed registrations left no table behind: a good one goes in.
  const buf = sys.mmapAnon(4096);
  assert.equal(registerBuffers(ring, [{ iovBase: buf, iovLen: 4096 }]), 0);
});

Deno.test("io_sqe_files_register in TypeScript keeps the kernel's order: -EBUSY, -EINVAL, then each fd's -EBADF", () => {
  const sys = new System();
  const { fd, ring } = openDrive(sys, 8, 0);
  assert.equal(registerFiles(ring, []), -EINVAL);
  assert.equal(registerFiles(ring, [fd, 999]), -EBADF);
  // An io_uring cannot sit in a file table (io_is_uring_fops).
  assert.equal(registerFiles(ring, [-1, ring.ringFd]), -EBADF);
  // The failed calls left no table: this one goes in, and then a second one is -EBUSY before anything else.
  const [c, ret] = crossingsOf(() => registerFiles(ring, [fd, -1, fd]));
  assert.equal(ret, 0);
  assert.ok(c <= 4, `${c} crossings: the table's size, one fget per descriptor named, the install`);
  assert.equal(registerFiles(ring, []), -EBUSY);
  assert.equal(unregisterFiles(ring), 0);
  assert.equal(unregisterFiles(ring), -ENXIO);
});
