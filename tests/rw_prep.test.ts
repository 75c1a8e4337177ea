// io_prep_rw's checks run when the SQE is read: an error there fails a whole
// link at submission (io_submit_fail_init), unlike an error at issue.
import assert from "node:assert/strict";
import {
  EBADF,
  ECANCELED,
  EFAULT,
  EINVAL,
  getSqe,
  IOSQE_IO_LINK,
  prepNop,
  prepRead,
  prepReadv,
  reapCqes,
  sqeSetData64,
  sqeSetFlags,
  submit,
  submitAndWait,
  System,
} from "../mod.ts";
import { iovecArray, mapBuffer, openDrive, submitAllAndWait } from "./helpers.ts";

Deno.test("io_rw_prep rejects an invalid I/O priority class with -EINVAL, failing the link it heads", () => {
  const m = openDrive(new System());
  const buf = mapBuffer(m.sys, 4096);
  let sqe = getSqe(m.ring)!;
  prepNop(sqe);
  sqeSetFlags(sqe, IOSQE_IO_LINK);
  sqeSetData64(sqe, 1);
  sqe = getSqe(m.ring)!;
  prepRead(sqe, m.fd, buf, 4096, 0);
  m.sys.view.setUint16(sqe.ptr + 2, 5 << 13, true); // ioprio class 5 does not exist
  sqeSetFlags(sqe, IOSQE_IO_LINK);
  sqeSetData64(sqe, 2);
  sqe = getSqe(m.ring)!;
  prepNop(sqe);
  sqeSetData64(sqe, 3);
  assert.equal(submit(m.ring), 3);
  assert.deepEqual(reapCqes(m.ring).map((c) => [Number(c.userData), c.res]), [[1, -ECANCELED], [2, -EINVAL], [
    3,
    -ECANCELED,
  ]]);
});

Deno.test("io_rw_prep accepts valid I/O priorities (best effort, idle)", () => {
  const m = openDrive(new System());
  const buf = mapBuffer(m.sys, 4096);
  for (const prio of [(2 << 13) | 4, 3 << 13, 0]) {
    const sqe = getSqe(m.ring)!;
    prepRead(sqe, m.fd, buf, 4096, 0);
    m.sys.view.setUint16(sqe.ptr + 2, prio, true);
  }
  assert.equal(submitAndWait(m.ring, 3), 3);
  assert.deepEqual(reapCqes(m.ring).map((c) => c.res), [4096, 4096, 4096]);
});

Deno.test("io_rw_prep: READV with more than UIO_MAXIOV iovecs is -EINVAL, an unreadable iovec array -EFAULT", () => {
  const m = openDrive(new System());
  const buf = mapBuffer(m.sys, 4096);
  const iov = iovecArray(m.sys, [[buf, 4096]]);
  let sqe = getSqe(m.ring)!;
  prepReadv(sqe, m.fd, iov, 1025, 0);
  sqeSetData64(sqe, 1);
  sqe = getSqe(m.ring)!;
  prepReadv(sqe, m.fd, 0x1000, 1, 0);
  sqeSetData64(sqe, 2);
  sqe = getSqe(m.ring)!;
  prepRead(sqe, m.fd, 0x7ffffffff000, 4096, 0); // beyond TASK_SIZE: access_ok fails
  sqeSetData64(sqe, 3);
  sqe = getSqe(m.ring)!;
  prepReadv(sqe, 99, iov, 1, 0); // prep passes, then the bad fd
  sqeSetData64(sqe, 4);
  // Each failing SQE ends a submission; submitting again goes on with the rest.
  assert.equal(submitAllAndWait(m.ring, 4), 4);
  assert.deepEqual(reapCqes(m.ring).map((c) => [Number(c.userData), c.res]), [[1, -EINVAL], [2, -EFAULT], [
    3,
    -EFAULT,
  ], [4, -EBADF]]);
});
