/**
 * io_uring_register's buffer registration, the control half of
 * io_uring/rsrc.c (Linux 6.18) with the dma-buf series v3: argument parsing
 * and the kernel's order of checks for IORING_REGISTER_BUFFERS,
 * IORING_REGISTER_BUFFERS2 (sparse), IORING_REGISTER_BUFFERS_UPDATE (iovecs,
 * or with IORING_RSRC_UPDATE_EXTENDED the 80-byte struct io_uring_regbuf
 * descriptors) and IORING_UNREGISTER_BUFFERS; IORING_REGISTER_FILES and
 * IORING_UNREGISTER_FILES.
 *
 * The arguments are read from the machine's memory, as the kernel copies
 * them from user memory. What every I/O reads — the buffer table, pinned
 * page lists, dma-buf tokens — stays in Wasm (asm/io_uring/rsrc.ts); this
 * module decides and then installs entries through narrow primitives
 * (`io_buffer_table_alloc`, `io_buffers_pin`, `io_buffer_pin`,
 * `io_buffer_clear`, `io_buffer_install_dmabuf`, `io_files_install`), a few
 * crossings per registration call (one more per file descriptor a call
 * names, as the kernel's fget) and none per I/O.
 *
 * @module
 */
import { w } from "../wasm.ts";
import {
  EBADF,
  EBUSY,
  EFAULT,
  EINVAL,
  ENXIO,
  EOPNOTSUPP,
  EOVERFLOW,
  EPERM,
  FT_BLKDEV,
  FT_RING,
  FT_STACKED,
  IO_REGBUF_TYPE_DMABUF,
  IO_REGBUF_TYPE_EMPTY,
  IORING_MAX_FIXED_FILES,
  IORING_MAX_REG_BUFFERS,
  IORING_RSRC_UPDATE_EXTENDED,
  IOVEC_BASE,
  IOVEC_LEN,
  IOVEC_SIZE,
  O_DIRECT,
  REGBUF_DMABUF_FD,
  REGBUF_FLAGS,
  REGBUF_RESV,
  REGBUF_RESV_WORDS,
  REGBUF_SIZE,
  REGBUF_SIZE_OFF,
  REGBUF_TARGET_FD,
  REGBUF_TYPE,
  REGBUF_UADDR,
  RSRC_UPDATE2_DATA,
  RSRC_UPDATE2_FLAGS,
  RSRC_UPDATE2_NR,
  RSRC_UPDATE2_OFFSET,
  RSRC_UPDATE2_RESV2,
  RSRC_UPDATE2_SIZE,
  SZ_1G,
} from "../uapi.generated.ts";
import type { KernelState } from "./kernel.ts";
import { fget } from "./files.ts";
import { dmaBufGet } from "./dmabuf.ts";

/** PAGE_SIZE as a BigInt, for io_buffer_validate's accounting. */
const PAGE_BYTES = 4096n;
/** ULONG_MAX: check_add_overflow's limit on 64-bit. */
const U64_MAX = (1n << 64n) - 1n;

/**
 * io_buffer_validate: may [base, base+len) be registered? A NULL base
 * registers an empty slot and must come with no length (-EFAULT); otherwise
 * the length must be 1 byte to 1 GiB (-EFAULT), and the page-rounded end must
 * not wrap (-EOVERFLOW). Whether the pages are mapped is io_pin_pages', in
 * Wasm. 0 or -errno.
 */
export function ioBufferValidate(base: bigint, len: bigint): number {
  if (base === 0n) return len === 0n ? 0 : -EFAULT;
  if (len > BigInt(SZ_1G) || len === 0n) return -EFAULT;
  const acct = (len + PAGE_BYTES - 1n) & ~(PAGE_BYTES - 1n);
  if (base + acct > U64_MAX) return -EOVERFLOW;
  return 0;
}

/** The base and length of iovec `i` of the array at `iov`. */
function iovecAt(view: DataView, iov: number, i: number): [bigint, bigint] {
  const p = iov + IOVEC_SIZE * i;
  return [view.getBigUint64(p + IOVEC_BASE, true), view.getBigUint64(p + IOVEC_LEN, true)];
}

/**
 * __io_sqe_buffers_update (and io_sqe_buffers_register's loop) for `nr`
 * iovecs at `iov` into slots from `offset`: each validated, then pinned (base
 * 0 and length 0 empties a slot). The valid prefix goes to Wasm in one call.
 * Returns `[done, 0]` when all were installed, else `[done, error]` with the
 * error of the first one that was not.
 */
function applyIovecs(k: KernelState, id: number, offset: number, iov: number, nr: number): [number, number] {
  let valid = 0;
  let err = 0;
  for (; valid < nr; valid++) {
    const [base, len] = iovecAt(k.view, iov, valid);
    err = ioBufferValidate(base, len);
    if (err < 0) break;
  }
  const pinned = valid > 0 ? w.io_buffers_pin(id, offset, iov, valid) : 0;
  // io_pin_pages refused the next one: its memory is not mapped.
  if (pinned < valid) return [pinned, -EFAULT];
  return [valid, valid < nr ? err : 0];
}

/**
 * io_sqe_buffers_register (IORING_REGISTER_BUFFERS): `nr` iovecs at `iov`
 * become slots 0..nr-1. In the kernel's order: no ring -EBADF, a table
 * already -EBUSY, `nr` 0 or past IORING_MAX_REG_BUFFERS -EINVAL, then each
 * buffer (io_buffer_validate, io_pin_pages); on an error the table goes
 * again. 0 or -errno.
 */
export function ioSqeBuffersRegister(k: KernelState, id: number, iov: number, nr: number): number {
  const count = w.io_rsrc_buf_count(id);
  if (count < 0) return count;
  if (count !== 0) return -EBUSY;
  if (nr === 0 || nr > IORING_MAX_REG_BUFFERS) return -EINVAL;
  w.io_buffer_table_alloc(id, nr);
  const [, err] = applyIovecs(k, id, 0, iov, nr);
  if (err < 0) w.io_buffer_table_free(id);
  return err;
}

/** IORING_REGISTER_BUFFERS2 with IORING_RSRC_REGISTER_SPARSE: `nr` empty slots; 0 or -EBADF/-EBUSY/-EINVAL. */
export function ioRegisterBuffersSparse(id: number, nr: number): number {
  const count = w.io_rsrc_buf_count(id);
  if (count < 0) return count;
  if (count !== 0) return -EBUSY;
  if (nr === 0 || nr > IORING_MAX_REG_BUFFERS) return -EINVAL;
  w.io_buffer_table_alloc(id, nr);
  return 0;
}

/** io_sqe_buffers_unregister: 0, -EBADF (no ring) or -ENXIO (no table). */
export function ioSqeBuffersUnregister(id: number): number {
  const count = w.io_rsrc_buf_count(id);
  if (count < 0) return count;
  if (count === 0) return -ENXIO;
  w.io_buffer_table_free(id);
  return 0;
}

/** An update's result: the slots done, or the error when none was (__io_register_rsrc_update). */
function doneOr([done, err]: [number, number]): number {
  return err < 0 && done === 0 ? err : done;
}

/**
 * io_register_rsrc_update for buffers without IORING_RSRC_UPDATE_EXTENDED
 * (IORING_REGISTER_BUFFERS_UPDATE with iovecs): `nr` iovecs at `iov` replace
 * slots from `offset`. -EBADF (no ring), -EINVAL (`nr` 0), -ENXIO (no
 * table), -EINVAL (past its end); then the slots updated, or on an error
 * part-way the number done so far, or the error if none was.
 */
export function ioRegisterBuffersUpdate(
  k: KernelState,
  id: number,
  offset: number,
  iov: number,
  nr: number,
): number {
  const count = w.io_rsrc_buf_count(id);
  if (count < 0) return count;
  // io_register_rsrc_update: an empty update is -EINVAL before anything else.
  if (nr === 0) return -EINVAL;
  if (count === 0) return -ENXIO;
  if (offset + nr > count) return -EINVAL;
  return doneOr(applyIovecs(k, id, offset, iov, nr));
}

/**
 * io_register_rsrc_update with struct io_uring_rsrc_update2 at `up`
 * (IORING_REGISTER_BUFFERS_UPDATE as the v3 series extends it): -EBADF (no
 * ring), -EINVAL (`nrArgs` not its size, `nr` 0, resv2 set, an unknown flag),
 * -ENXIO (no table), -EINVAL (past its end); then each slot, from iovecs or
 * with IORING_RSRC_UPDATE_EXTENDED from regbuf descriptors
 * ({@link ioRegbufApply}). Slots updated, or as {@link ioRegisterBuffersUpdate}.
 */
export function ioRegisterBuffersUpdate2(k: KernelState, id: number, up: number, nrArgs: number): number {
  const count = w.io_rsrc_buf_count(id);
  if (count < 0) return count;
  if (nrArgs !== RSRC_UPDATE2_SIZE) return -EINVAL;
  const v = k.view;
  const offset = v.getUint32(up + RSRC_UPDATE2_OFFSET, true);
  const flags = v.getUint32(up + RSRC_UPDATE2_FLAGS, true);
  const nr = v.getUint32(up + RSRC_UPDATE2_NR, true);
  const data = Number(v.getBigUint64(up + RSRC_UPDATE2_DATA, true));
  // io_register_rsrc_update: nr, the flags word (resv before the series) and resv2.
  if (nr === 0 || v.getUint32(up + RSRC_UPDATE2_RESV2, true) !== 0) return -EINVAL;
  if ((flags & ~IORING_RSRC_UPDATE_EXTENDED) !== 0) return -EINVAL;
  if (count === 0) return -ENXIO;
  if (offset + nr > count) return -EINVAL;
  if ((flags & IORING_RSRC_UPDATE_EXTENDED) === 0) return doneOr(applyIovecs(k, id, offset, data, nr));
  let done = 0;
  for (let i = 0; i < nr; i++) {
    const ret = ioRegbufApply(k, id, offset + i, data + REGBUF_SIZE * i);
    if (ret < 0) return done > 0 ? done : ret;
    done++;
  }
  return done;
}

/** One struct io_uring_regbuf, as read from memory. */
interface Regbuf {
  type: number;
  flags: number;
  size: bigint;
  uaddr: bigint;
  dmabufFd: number;
  targetFd: number;
  resvClear: boolean;
}

/** Read the 80-byte descriptor at `p`. */
function readRegbuf(v: DataView, p: number): Regbuf {
  let resvClear = true;
  for (let i = 0; i < REGBUF_RESV_WORDS; i++) {
    if (v.getBigUint64(p + REGBUF_RESV + 8 * i, true) !== 0n) resvClear = false;
  }
  return {
    type: v.getUint32(p + REGBUF_TYPE, true),
    flags: v.getUint32(p + REGBUF_FLAGS, true),
    size: v.getBigUint64(p + REGBUF_SIZE_OFF, true),
    uaddr: v.getBigUint64(p + REGBUF_UADDR, true),
    dmabufFd: v.getInt32(p + REGBUF_DMABUF_FD, true),
    targetFd: v.getInt32(p + REGBUF_TARGET_FD, true),
    resvClear,
  };
}

/**
 * Fill slot `slot` from the regbuf descriptor at `desc`, with the series'
 * checks in its order: the type known, flags and reserved words zero
 * (-EINVAL); a dma-buf descriptor then by {@link ioRegbufDmabuf}; for the
 * others no fds (-EINVAL), an empty slot with no address or size (-EFAULT),
 * a user buffer as io_sqe_buffer_register. 0 or -errno.
 */
export function ioRegbufApply(k: KernelState, id: number, slot: number, desc: number): number {
  const r = readRegbuf(k.view, desc);
  if (r.type > IO_REGBUF_TYPE_DMABUF) return -EINVAL;
  if (r.flags !== 0) return -EINVAL;
  if (!r.resvClear) return -EINVAL;
  if (r.type === IO_REGBUF_TYPE_DMABUF) return ioRegbufDmabuf(k, id, slot, r);
  if (r.dmabufFd !== 0 || r.targetFd !== 0) return -EINVAL;
  if (r.type === IO_REGBUF_TYPE_EMPTY) {
    if (r.uaddr !== 0n || r.size !== 0n) return -EFAULT;
    w.io_buffer_clear(id, slot);
    return 0;
  }
  const err = ioBufferValidate(r.uaddr, r.size);
  if (err < 0) return err;
  return w.io_buffer_pin(id, slot, r.uaddr, r.size);
}

/**
 * An IO_REGBUF_TYPE_DMABUF descriptor: no address or size (-EINVAL);
 * CAP_SYS_ADMIN when the policy asks for it (-EPERM); the target an open
 * file (-EBADF); dma_buf_get of the dma-buf fd (-EBADF); at most 1 GiB
 * (-EINVAL); create_dmabuf_token, which only block devices implement
 * (-EOPNOTSUPP), for O_DIRECT files (-EINVAL), and on a stacked device only
 * when it forwards (-EINVAL); then, in Wasm, the user's byte limit and the
 * token (-ENOMEM). 0 or -errno.
 */
function ioRegbufDmabuf(k: KernelState, id: number, slot: number, r: Regbuf): number {
  if (r.uaddr !== 0n || r.size !== 0n) return -EINVAL;
  // Policy (proposal): registration needs CAP_SYS_ADMIN.
  if (k.dmabufCapRequired && !k.capSysAdmin) return -EPERM;
  const target = fget(k.view, r.targetFd);
  if (target === null) return -EBADF;
  // dma_buf_get: -EBADF for an fd that is not a dma-buf.
  const buf = dmaBufGet(k, r.dmabufFd);
  if (buf === null) return -EBADF;
  if (buf.obj.size > BigInt(SZ_1G)) return -EINVAL;
  // create_dmabuf_token: only block devices implement it.
  const stacked = target.type === FT_STACKED;
  if (target.type !== FT_BLKDEV && !stacked) return -EOPNOTSUPP;
  if ((target.flags & O_DIRECT) === 0) return -EINVAL;
  // v3's blkdev token op forwards to the queue ("block: forward
  // create_dmabuf_token to drivers"); a bio-based dm or md queue has no such
  // op: -EINVAL. Unless the profile enables the forwarding Pavel Begunkov
  // described in the LSF/MM thread (a proposal, not v3): the registration
  // goes down to every member, one attachment and map each.
  if (stacked && !k.stackedForwarding[target.obj]) return -EINVAL;
  return w.io_buffer_install_dmabuf(id, slot, r.dmabufFd, r.targetFd);
}

/**
 * io_sqe_files_register (IORING_REGISTER_FILES): `nr` descriptors (i32) at
 * `fds`, -1 an empty slot. In the kernel's order: no ring -EBADF, a table
 * already -EBUSY, `nr` 0 or past IORING_MAX_FIXED_FILES -EINVAL; each
 * descriptor open (-EBADF) and not an io_uring (-EBADF: io_is_uring_fops, it
 * could hold a reference to its own ring); then the table of file
 * references (-EMFILE when none is left). 0 or -errno.
 */
export function ioSqeFilesRegister(k: KernelState, id: number, fds: number, nr: number): number {
  const count = w.io_rsrc_file_count(id);
  if (count < 0) return count;
  if (count !== 0) return -EBUSY;
  if (nr === 0 || nr > IORING_MAX_FIXED_FILES) return -EINVAL;
  for (let i = 0; i < nr; i++) {
    const fd = k.view.getInt32(fds + 4 * i, true);
    if (fd === -1) continue;
    const f = fget(k.view, fd);
    if (f === null || f.type === FT_RING) return -EBADF;
  }
  return w.io_files_install(id, fds, nr);
}

/** io_sqe_files_unregister: 0, -EBADF (no ring) or -ENXIO (no table). */
export function ioSqeFilesUnregister(id: number): number {
  const count = w.io_rsrc_file_count(id);
  if (count < 0) return count;
  if (count === 0) return -ENXIO;
  w.io_files_free(id);
  return 0;
}
