// Registered resources (io_uring/rsrc.c): the buffer table (ordinary user
// buffers pinned once, and dma-buf slots bound to one target file through a
// token, dmabuf_token.ts), the registered file table, and buffer updates with
// the series' 80-byte struct io_uring_regbuf descriptors.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { blk_alloc, blk_free } from "../sim/mem";
import { mm_range_ok, mm_va_to_pa } from "../mm/mm";
import {
  fd_file_of, fd_flags_of, fd_obj_of, fd_type_of, fd_valid_user, file_ref_get, file_ref_put, FT_BLKDEV, FT_RING,
  FT_STACKED,
} from "../fs/files";
import { stacked_forwarding, stacked_member } from "../block/stacked";
import * as u from "../sim/uapi";
import { r_buf_count, r_buf_table, r_file_count, r_file_table, ring_core, ring_live } from "./ring";
import { dmabuf_of, dmabuf_size_of } from "../dmabuf/dmabuf";
import {
  dmabuf_reg_over_limit, dmabuf_reg_permitted, io_dmabuf_slot_put, token_charge, token_file, token_new,
  token_set_stacked,
} from "./dmabuf_token";

/** IORING_MAX_REG_BUFFERS. */
export const IORING_MAX_REG_BUFFERS: u32 = 1 << 14;
/** IORING_MAX_FIXED_FILES. */
export const IORING_MAX_FIXED_FILES: u32 = 1 << 20;
export const SZ_1G: u64 = 1 << 30;

// Buffer table entry (struct io_mapped_ubuf + node), 64 bytes.
export const BUF_SIZE: u32 = 64;
export const BF_TYPE: u32 = 0; // u32 IO_REGBUF_TYPE_*
export const BF_UBUF: u32 = 8; // u64 user address (UADDR)
export const BF_LEN: u32 = 16; // u64 length
export const BF_PAGES: u32 = 24; // usize: u64[] page-aligned physical address per page
export const BF_NPAGES: u32 = 32; // u32
export const BF_TOKEN: u32 = 36; // i32 dma-buf token (DMABUF)
export const BF_TARGET: u32 = 40; // u32 struct file id of the target (DMABUF)

export const IO_REGBUF_TYPE_EMPTY: u32 = 0;
export const IO_REGBUF_TYPE_UADDR: u32 = 1;
export const IO_REGBUF_TYPE_DMABUF: u32 = 2;

// @ts-ignore: decorator
@inline export function buf_entry(id: i32, idx: u32): usize {
  return unchecked(r_buf_table[id]) + <usize>idx * BUF_SIZE;
}

/** Empty one slot, releasing its pinned pages or dma-buf token. */
export function slot_clear(e: usize): void {
  const t = load<u32>(e + BF_TYPE);
  if (t == IO_REGBUF_TYPE_UADDR) {
    blk_free(load<usize>(e + BF_PAGES), <usize>load<u32>(e + BF_NPAGES) * 8);
  } else if (t == IO_REGBUF_TYPE_DMABUF) {
    io_dmabuf_slot_put(load<i32>(e + BF_TOKEN));
  }
  memory.fill(e, 0, BUF_SIZE);
}

/** io_buffer_validate + io_sqe_buffer_register: pin [base, base+len) into slot `e`. */
export function slot_set_uaddr(e: usize, base: u64, len: u64): i32 {
  if (base == 0) {
    // A NULL base with no length registers an empty slot (io_sqe_buffer_register returns no node).
    if (len != 0) return -u.EFAULT;
    slot_clear(e);
    return 0;
  }
  if (len > SZ_1G || len == 0) return -u.EFAULT;
  const acct = (len + PAGE_SIZE - 1) & ~(<u64>PAGE_SIZE - 1);
  if (base + acct < base) return -75; // -EOVERFLOW
  // io_pin_pages: every page must be mapped.
  if (!mm_range_ok(base, len)) return -u.EFAULT;
  const first = base & ~(<u64>PAGE_SIZE - 1);
  const n = <u32>(((base + len + PAGE_SIZE - 1) >> PAGE_SHIFT) - (first >> PAGE_SHIFT));
  const pages = blk_alloc(<usize>n * 8);
  for (let i: u32 = 0; i < n; i++) store<u64>(pages + (<usize>i << 3), mm_va_to_pa(first + (<u64>i << PAGE_SHIFT)));
  slot_clear(e);
  store<u32>(e + BF_TYPE, IO_REGBUF_TYPE_UADDR);
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

/** IORING_REGISTER_BUFFERS: `nr` iovecs (16 bytes: base, len) at `iov`. */
export function io_register_buffers(id: i32, iov: usize, nr: u32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  if (unchecked(r_buf_count[id]) != 0) return -u.EBUSY;
  if (nr == 0 || nr > IORING_MAX_REG_BUFFERS) return -u.EINVAL;
  unchecked((r_buf_table[id] = blk_alloc(<usize>nr * BUF_SIZE)));
  unchecked((r_buf_count[id] = nr));
  for (let i: u32 = 0; i < nr; i++) {
    const ret = slot_set_uaddr(buf_entry(id, i), load<u64>(iov + <usize>i * 16), load<u64>(iov + <usize>i * 16 + 8));
    if (ret < 0) {
      table_free(id);
      return ret;
    }
  }
  return 0;
}

/** IORING_REGISTER_BUFFERS2 with IORING_RSRC_REGISTER_SPARSE: `nr` empty slots. */
export function io_register_buffers_sparse(id: i32, nr: u32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  if (unchecked(r_buf_count[id]) != 0) return -u.EBUSY;
  if (nr == 0 || nr > IORING_MAX_REG_BUFFERS) return -u.EINVAL;
  unchecked((r_buf_table[id] = blk_alloc(<usize>nr * BUF_SIZE)));
  unchecked((r_buf_count[id] = nr));
  return 0;
}

/**
 * IORING_REGISTER_BUFFERS_UPDATE without IORING_RSRC_UPDATE_EXTENDED: `nr`
 * iovecs replace slots from `offset`. Returns the number updated; on an error
 * part-way, the number done so far, or the error if none was.
 */
export function io_register_buffers_update(id: i32, offset: u32, iov: usize, nr: u32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  // io_register_rsrc_update: an empty update is -EINVAL before anything else.
  if (nr == 0) return -u.EINVAL;
  const count = unchecked(r_buf_count[id]);
  if (count == 0) return -u.ENXIO;
  if (<u64>offset + <u64>nr > <u64>count) return -u.EINVAL;
  let done: i32 = 0;
  for (let i: u32 = 0; i < nr; i++) {
    const base = load<u64>(iov + <usize>i * 16);
    const len = load<u64>(iov + <usize>i * 16 + 8);
    const e = buf_entry(id, offset + i);
    let ret: i32;
    if (base == 0 && len == 0) {
      slot_clear(e);
      ret = 0;
    } else {
      ret = slot_set_uaddr(e, base, len);
    }
    if (ret < 0) return done > 0 ? done : ret;
    done++;
  }
  return done;
}

/** IORING_UNREGISTER_BUFFERS. */
export function io_unregister_buffers(id: i32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  if (unchecked(r_buf_count[id]) == 0) return -u.ENXIO;
  table_free(id);
  return 0;
}

/** IORING_REGISTER_FILES: `nr` fds (i32) at `fds` (-1 = empty slot). */
export function io_register_files(id: i32, fds: usize, nr: u32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  if (unchecked(r_file_count[id]) != 0) return -u.EBUSY;
  if (nr == 0 || nr > IORING_MAX_FIXED_FILES) return -u.EINVAL;
  for (let i: u32 = 0; i < nr; i++) {
    const fd = load<i32>(fds + <usize>i * 4);
    if (fd != -1 && !fd_valid_user(fd)) return -u.EBADF;
    // io_sqe_files_register: an io_uring file cannot sit in a file table
    // (io_is_uring_fops; it could hold a reference to its own ring).
    if (fd != -1 && fd_type_of(fd) == FT_RING) return -u.EBADF;
  }
  // The table holds references to the files, not the descriptors.
  const t = blk_alloc(<usize>nr * 4);
  for (let i: u32 = 0; i < nr; i++) {
    const fd = load<i32>(fds + <usize>i * 4);
    let ref: i32 = -1;
    if (fd != -1) {
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

/** IORING_UNREGISTER_FILES. */
export function io_unregister_files(id: i32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  const n = unchecked(r_file_count[id]);
  if (n == 0) return -u.ENXIO;
  for (let i: u32 = 0; i < n; i++) file_ref_put(load<i32>(unchecked(r_file_table[id]) + <usize>i * 4));
  blk_free(unchecked(r_file_table[id]), <usize>n * 4);
  unchecked((r_file_table[id] = 0));
  unchecked((r_file_count[id] = 0));
  return 0;
}

/** A ring goes away: drop its buffer and file tables. */
export function rsrc_release(id: i32): void {
  if (unchecked(r_buf_count[id]) != 0) table_free(id);
  if (unchecked(r_file_count[id]) != 0) io_unregister_files(id);
}

// ---------------------------------------------------------------------------
// Registration (IORING_RSRC_UPDATE_EXTENDED descriptors)

/**
 * Fill buffer-table slot `e` from one 80-byte struct io_uring_regbuf
 * descriptor, with the checks of the series in its order.
 */
function regbuf_apply(id: i32, e: usize, desc: usize): i32 {
  const type = load<u32>(desc);
  const flags = load<u32>(desc + 4);
  const size = load<u64>(desc + 8);
  const uaddr = load<u64>(desc + 16);
  const dmabuf_fd = load<i32>(desc + 24);
  const target_fd = load<i32>(desc + 28);
  if (type > IO_REGBUF_TYPE_DMABUF) return -u.EINVAL;
  if (flags != 0) return -u.EINVAL;
  for (let i = 0; i < 6; i++) if (load<u64>(desc + 32 + <usize>i * 8) != 0) return -u.EINVAL;
  if (type == IO_REGBUF_TYPE_DMABUF) {
    if (uaddr != 0 || size != 0) return -u.EINVAL;
    // Policy (proposal): registration needs CAP_SYS_ADMIN.
    if (!dmabuf_reg_permitted()) return -u.EPERM;
    if (!fd_valid_user(target_fd)) return -u.EBADF;
    // dma_buf_get: -EBADF for an fd that is not a dma-buf.
    const d = dmabuf_of(dmabuf_fd);
    if (d < 0) return -u.EBADF;
    if (dmabuf_size_of(d) > SZ_1G) return -u.EINVAL;
    // create_dmabuf_token: only block devices implement it.
    const stacked = fd_type_of(target_fd) == FT_STACKED;
    if (fd_type_of(target_fd) != FT_BLKDEV && !stacked) return -u.EOPNOTSUPP;
    if ((fd_flags_of(target_fd) & u.O_DIRECT) == 0) return -u.EINVAL;
    // v3's blkdev token op forwards to the queue ("block: forward
    // create_dmabuf_token to drivers"); a bio-based dm or md queue has no
    // such op: -EINVAL. Unless the profile enables the forwarding Pavel
    // Begunkov described in the LSF/MM thread (a proposal, not v3): the
    // registration goes down to every member, one attachment and map each.
    if (stacked && !stacked_forwarding(fd_obj_of(target_fd))) return -u.EINVAL;
    // Policy (proposal): the registration's bytes are charged to the user, like locked_vm.
    if (dmabuf_reg_over_limit(dmabuf_size_of(d))) return -u.ENOMEM;
    const obj = fd_obj_of(target_fd);
    const t = token_new(d, fd_file_of(target_fd), stacked ? stacked_member(obj, 0) : obj, ring_core(id));
    if (t < 0) return -u.ENOMEM;
    if (stacked) token_set_stacked(t, obj);
    token_charge(t, dmabuf_size_of(d));
    slot_clear(e);
    store<u32>(e + BF_TYPE, IO_REGBUF_TYPE_DMABUF);
    store<u64>(e + BF_LEN, dmabuf_size_of(d));
    store<i32>(e + BF_TOKEN, t);
    store<u32>(e + BF_TARGET, token_file(t));
    return 0;
  }
  if (dmabuf_fd != 0 || target_fd != 0) return -u.EINVAL;
  if (type == IO_REGBUF_TYPE_EMPTY) {
    if (uaddr != 0 || size != 0) return -u.EFAULT;
    slot_clear(e);
    return 0;
  }
  return slot_set_uaddr(e, uaddr, size);
}


/**
 * IORING_REGISTER_BUFFERS_UPDATE with struct io_uring_rsrc_update2 (32
 * bytes at `up`): offset, flags, data, tags, nr, resv2. Returns slots updated.
 */
export function io_register_buffers_update2(id: i32, up: usize, nr_args: u32, data: usize): i32 {
  if (!ring_live(id)) return -u.EBADF;
  if (nr_args != 32) return -u.EINVAL;
  const offset = load<u32>(up);
  const flags = load<u32>(up + 4);
  const nr = load<u32>(up + 24);
  // io_register_rsrc_update: nr, the flags word (resv before the series) and resv2.
  if (nr == 0 || load<u32>(up + 28) != 0) return -u.EINVAL;
  if ((flags & ~u.IORING_RSRC_UPDATE_EXTENDED) != 0) return -u.EINVAL;
  const count = unchecked(r_buf_count[id]);
  if (count == 0) return -u.ENXIO;
  if (<u64>offset + <u64>nr > <u64>count) return -u.EINVAL;
  let done: i32 = 0;
  for (let i: u32 = 0; i < nr; i++) {
    const e = buf_entry(id, offset + i);
    let ret: i32;
    if ((flags & u.IORING_RSRC_UPDATE_EXTENDED) != 0) {
      ret = regbuf_apply(id, e, data + <usize>i * 80);
    } else {
      const base = load<u64>(data + <usize>i * 16);
      const len = load<u64>(data + <usize>i * 16 + 8);
      if (base == 0 && len == 0) {
        slot_clear(e);
        ret = 0;
      } else ret = slot_set_uaddr(e, base, len);
    }
    if (ret < 0) return done > 0 ? done : ret;
    done++;
  }
  return done;
}

