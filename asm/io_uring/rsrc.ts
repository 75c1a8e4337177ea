// Registered resources (io_uring/rsrc.c), the half every I/O reads: the
// buffer table (ordinary user buffers pinned once, and dma-buf slots bound to
// one target file through a token, dmabuf_token.ts) and the registered file
// table. Registration's argument parsing and check order
// (IORING_REGISTER_BUFFERS, _BUFFERS2, _BUFFERS_UPDATE with the series'
// 80-byte struct io_uring_regbuf descriptors, IORING_REGISTER_FILES) are the control path's, in
// TypeScript (src/kernel/rsrc.ts); it installs entries through the
// primitives below.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { blk_alloc, blk_free } from "../sim/mem";
import { mm_range_ok, mm_va_to_pa } from "../mm/mm";
import {
  fd_file_of, fd_obj_of, fd_type_of, fd_valid_user, file_ref_get, file_ref_put, FT_BLKDEV, FT_RING, FT_STACKED,
} from "../fs/files";
import { stacked_member } from "../block/stacked";
import * as u from "../sim/uapi";
import { r_buf_count, r_buf_table, r_file_count, r_file_table, ring_core, ring_live } from "./ring";
import { dmabuf_of, dmabuf_size_of } from "../dmabuf/dmabuf";
import {
  dmabuf_reg_over_limit, io_dmabuf_slot_put, token_charge, token_file, token_new,
  token_set_stacked,
} from "./dmabuf_token";

export { IORING_MAX_FIXED_FILES, IORING_MAX_REG_BUFFERS, SZ_1G } from "../sim/uapi";
import { IORING_MAX_FIXED_FILES, IORING_MAX_REG_BUFFERS, SZ_1G } from "../sim/uapi";

// Buffer table entry (struct io_mapped_ubuf + node), 64 bytes.
export const BUF_SIZE: u32 = 64;
export const BF_TYPE: u32 = 0; // u32 IO_REGBUF_TYPE_*
export const BF_UBUF: u32 = 8; // u64 user address (UADDR)
export const BF_LEN: u32 = 16; // u64 length
export const BF_PAGES: u32 = 24; // usize: u64[] page-aligned physical address per page
export const BF_NPAGES: u32 = 32; // u32
export const BF_TOKEN: u32 = 36; // i32 dma-buf token (DMABUF)
export const BF_TARGET: u32 = 40; // u32 struct file id of the target (DMABUF)


// @ts-ignore: decorator
@inline export function buf_entry(id: i32, idx: u32): usize {
  return unchecked(r_buf_table[id]) + <usize>idx * BUF_SIZE;
}

/** Empty one slot, releasing its pinned pages or dma-buf token. */
export function slot_clear(e: usize): void {
  const t = load<u32>(e + BF_TYPE);
  if (t == u.IO_REGBUF_TYPE_UADDR) {
    blk_free(load<usize>(e + BF_PAGES), <usize>load<u32>(e + BF_NPAGES) * 8);
  } else if (t == u.IO_REGBUF_TYPE_DMABUF) {
    io_dmabuf_slot_put(load<i32>(e + BF_TOKEN));
  }
  memory.fill(e, 0, BUF_SIZE);
}

/**
 * io_sqe_buffer_register's pinning half (io_pin_pages) for slot `e`: pin
 * [base, base+len), already validated by io_buffer_validate
 * (src/kernel/rsrc.ts), or empty the slot for a NULL base. 0, or -EFAULT
 * when a page is not mapped.
 */
function slot_pin(e: usize, base: u64, len: u64): i32 {
  if (base == 0) {
    // A NULL base (with no length: validated) registers an empty slot.
    slot_clear(e);
    return 0;
  }
  assert(len != 0 && len <= SZ_1G, "rsrc: pinning a buffer io_buffer_validate refuses");
  // io_pin_pages: every page must be mapped.
  if (!mm_range_ok(base, len)) return -u.EFAULT;
  const first = base & ~(<u64>PAGE_SIZE - 1);
  const n = <u32>(((base + len + PAGE_SIZE - 1) >> PAGE_SHIFT) - (first >> PAGE_SHIFT));
  const pages = blk_alloc(<usize>n * 8);
  for (let i: u32 = 0; i < n; i++) store<u64>(pages + (<usize>i << 3), mm_va_to_pa(first + (<u64>i << PAGE_SHIFT)));
  slot_clear(e);
  store<u32>(e + BF_TYPE, u.IO_REGBUF_TYPE_UADDR);
  store<u64>(e + BF_UBUF, base);
  store<u64>(e + BF_LEN, len);
  store<usize>(e + BF_PAGES, pages);
  store<u32>(e + BF_NPAGES, n);
  store<i32>(e + BF_TOKEN, -1);
  return 0;
}

function table_free(id: i32): void {
  const n = unchecked(r_buf_count[id]);
  for (let i: u32 = 0; i < n; i++) slot_clear(buf_entry(id, i));
  if (n > 0) blk_free(unchecked(r_buf_table[id]), <usize>n * BUF_SIZE);
  unchecked((r_buf_table[id] = 0));
  unchecked((r_buf_count[id] = 0));
}

// ---------------------------------------------------------------------------
// The buffer table's primitives. io_uring_register's parsing and check order
// (io_sqe_buffers_register, io_register_rsrc_update, the series' regbuf
// descriptors) live in TypeScript (src/kernel/rsrc.ts); these install what it
// decided into the table the I/O path reads. Each is one crossing per control
// event, never per I/O.

/** The ring's buffer table size (ctx->buf_table.nr): slots, 0 without a table, -EBADF for no live ring. */
export function io_rsrc_buf_count(id: i32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  return <i32>unchecked(r_buf_count[id]);
}

/** io_rsrc_data_alloc: a table of `nr` empty slots for a ring without one (the caller checked both). */
export function io_buffer_table_alloc(id: i32, nr: u32): void {
  assert(ring_live(id) && unchecked(r_buf_count[id]) == 0 && nr > 0 && nr <= IORING_MAX_REG_BUFFERS,
    "rsrc: table allocated over a table, or of a size io_uring_register refuses");
  unchecked((r_buf_table[id] = blk_alloc(<usize>nr * BUF_SIZE)));
  unchecked((r_buf_count[id] = nr));
}

/** io_sqe_buffers_unregister / io_rsrc_data_free: drop the ring's table and every slot's buffer. */
export function io_buffer_table_free(id: i32): void {
  assert(ring_live(id) && unchecked(r_buf_count[id]) != 0, "rsrc: freeing a table the ring does not have");
  table_free(id);
}

/**
 * Pin `nr` iovecs (16 bytes: base, len) at `iov` into slots `offset`..,
 * each already passed by io_buffer_validate (a NULL base empties its slot).
 * Returns how many were installed: fewer than `nr` when the next one's
 * memory is not mapped (io_pin_pages: -EFAULT for that one).
 */
export function io_buffers_pin(id: i32, offset: u32, iov: usize, nr: u32): u32 {
  assert(<u64>offset + <u64>nr <= <u64>unchecked(r_buf_count[id]), "rsrc: pinning past the table");
  for (let i: u32 = 0; i < nr; i++) {
    const p = iov + <usize>i * u.IOVEC_SIZE;
    if (slot_pin(buf_entry(id, offset + i), load<u64>(p + u.IOVEC_BASE), load<u64>(p + u.IOVEC_LEN)) < 0) return i;
  }
  return nr;
}

/**
 * Pin [base, base+len), already passed by io_buffer_validate, into slot
 * `slot` (an IO_REGBUF_TYPE_UADDR descriptor). 0, or -EFAULT when a page is
 * not mapped.
 */
export function io_buffer_pin(id: i32, slot: u32, base: u64, len: u64): i32 {
  assert(slot < unchecked(r_buf_count[id]), "rsrc: pinning past the table");
  return slot_pin(buf_entry(id, slot), base, len);
}

/** Empty slot `slot` (an IO_REGBUF_TYPE_EMPTY descriptor, or an update with base 0 and length 0). */
export function io_buffer_clear(id: i32, slot: u32): void {
  assert(slot < unchecked(r_buf_count[id]), "rsrc: clearing past the table");
  slot_clear(buf_entry(id, slot));
}

/**
 * Install dma-buf `dmabuf_fd` in slot `slot` for `target_fd` (a block device
 * or a stacked device that forwards; the caller made every check before
 * these): charge the user (-ENOMEM past the limit), create_dmabuf_token
 * (-ENOMEM when the token table is full), then the slot. 0 or -ENOMEM.
 */
export function io_buffer_install_dmabuf(id: i32, slot: u32, dmabuf_fd: i32, target_fd: i32): i32 {
  assert(slot < unchecked(r_buf_count[id]), "rsrc: installing past the table");
  const d = dmabuf_of(dmabuf_fd);
  const stacked = fd_type_of(target_fd) == FT_STACKED;
  assert(d >= 0 && (stacked || fd_type_of(target_fd) == FT_BLKDEV), "rsrc: install without the checks");
  // Policy (proposal): the registration's bytes are charged to the user, like locked_vm.
  if (dmabuf_reg_over_limit(dmabuf_size_of(d))) return -u.ENOMEM;
  const obj = fd_obj_of(target_fd);
  const t = token_new(d, fd_file_of(target_fd), stacked ? stacked_member(obj, 0) : obj, ring_core(id));
  if (t < 0) return -u.ENOMEM;
  if (stacked) token_set_stacked(t, obj);
  token_charge(t, dmabuf_size_of(d));
  const e = buf_entry(id, slot);
  slot_clear(e);
  store<u32>(e + BF_TYPE, u.IO_REGBUF_TYPE_DMABUF);
  store<u64>(e + BF_LEN, dmabuf_size_of(d));
  store<i32>(e + BF_TOKEN, t);
  store<u32>(e + BF_TARGET, token_file(t));
  return 0;
}

/** The ring's registered file table size: slots, 0 without a table, -EBADF for no live ring. */
export function io_rsrc_file_count(id: i32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  return <i32>unchecked(r_file_count[id]);
}

/**
 * io_sqe_files_register's table, once the control path checked the ring, the
 * count and every descriptor (src/kernel/rsrc.ts): `nr` fds (i32) at `fds`,
 * -1 an empty slot. The table holds references to the files, not the
 * descriptors. 0, or -EMFILE when no reference is left (nothing kept).
 */
export function io_files_install(id: i32, fds: usize, nr: u32): i32 {
  assert(ring_live(id) && unchecked(r_file_count[id]) == 0 && nr > 0 && nr <= IORING_MAX_FIXED_FILES,
    "rsrc: file table installed without the checks");
  const t = blk_alloc(<usize>nr * 4);
  for (let i: u32 = 0; i < nr; i++) {
    const fd = load<i32>(fds + <usize>i * 4);
    let ref: i32 = -1;
    if (fd != -1) {
      assert(fd_valid_user(fd) && fd_type_of(fd) != FT_RING, "rsrc: a file registered without the checks");
      ref = file_ref_get(fd);
      if (ref < 0) {
        for (let k: u32 = 0; k < i; k++) file_ref_put(load<i32>(t + <usize>k * 4));
        blk_free(t, <usize>nr * 4);
        return ref;
      }
    }
    store<i32>(t + <usize>i * 4, ref);
  }
  unchecked((r_file_table[id] = t));
  unchecked((r_file_count[id] = nr));
  return 0;
}

/** io_sqe_files_unregister: drop the ring's file table and its references (the caller checked it has one). */
export function io_files_free(id: i32): void {
  const n = unchecked(r_file_count[id]);
  assert(ring_live(id) && n != 0, "rsrc: freeing a file table the ring does not have");
  for (let i: u32 = 0; i < n; i++) file_ref_put(load<i32>(unchecked(r_file_table[id]) + <usize>i * 4));
  blk_free(unchecked(r_file_table[id]), <usize>n * 4);
  unchecked((r_file_table[id] = 0));
  unchecked((r_file_count[id] = 0));
}

/** A ring goes away: drop its buffer and file tables. */
export function rsrc_release(id: i32): void {
  if (unchecked(r_buf_count[id]) != 0) table_free(id);
  if (unchecked(r_file_count[id]) != 0) io_files_free(id);
}
