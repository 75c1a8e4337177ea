// io_uring read/write (io_uring/rw.c): the buffer import (user memory,
// registered buffers, dma-buf slots through dmabuf_token.ts), O_DIRECT
// rules, end-of-device clamping, buffered copies, and the request's
// completion when the block layer ends it (io_rw_end_io, registered as the
// block layer's end_io at machine set-up). Splitting into NVMe commands is
// the block layer's (block/bio.ts).

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import { charge, LAYER_BLOCK, LAYER_URING } from "../sim/engine";
import { cost, COST_IMPORT_FIXED, COST_IMPORT_USER_PAGE, COST_RW_PREP } from "../sim/costs";
import * as u from "../sim/uapi";
import { bound, INV_BUFFERED_COPY } from "../sim/errors";
import { fd_file_of, fd_flags_of, fd_obj_of, fd_type_of, fd_valid_user, FT_STACKED } from "../fs/files";
import {
  io_fixed_fd, io_req_complete, IOU_ISSUE_SKIP_COMPLETE, r_buf_count, REQ_F_FIXED_FILE, ring_flags, rq, RQ_ADDR, RQ_BUF_INDEX, RQ_EXPECT,
  RQ_FD, RQ_FLAGS, RQ_LEN, RQ_OFF, RQ_RFD, RQ_SUBMIT_NS,
} from "./ring";
import { buf_entry, BF_LEN, BF_NPAGES, BF_PAGES, BF_TOKEN, BF_TYPE, BF_UBUF } from "./rsrc";
import { rw_file_checks } from "./rw_check";
import { mm_range_ok, mm_read, mm_va_to_pa } from "../mm/mm";
import { media_addr, phys_copy } from "../hw/physmem";
import { blk_begin, blk_end, blk_feed, dma_align_mask } from "../block/bio";
import {
  bdev_capacity_bytes, bdev_lba_shift, map_pos, map_run, md_in_sync, SK_RAID1, stacked_kind, stacked_map,
  stacked_member, stacked_members,
} from "../block/stacked";
import { dm_begin, dm_end, dm_feed, dm_pass } from "../block/dm";
import { dmabuf_import, dmabuf_map_put } from "./dmabuf_token";

const UIO_MAXIOV: u32 = 1024;
/** Largest user address (x86-64 TASK_SIZE with 4-level paging). */
const TASK_SIZE: u64 = 0x7ffffffff000;

let iovs: usize = 0; // the request's ranges: (addr u64, len u64)
let rw_stacked: bool = false; // the bio goes to a stacked device (dm.ts), not straight to a namespace

/** Hand one piece of the bio's memory to the block layer, or to the stacking driver. */
// @ts-ignore: decorator
@inline function feed(addr: u64, len: u32): void {
  if (rw_stacked) dm_feed(addr, len);
  else blk_feed(addr, len);
}

/** Fresh scratch for this machine (the arena was reset under any earlier pointers). */
export function rw_init(): void {
  iovs = mem_alloc(<usize>UIO_MAXIOV * u.IOVEC_SIZE);
}


/**
 * io_prep_rw: the checks the kernel makes when the SQE is read (an error here
 * fails a whole link at submission, see io_submit_fail_init): the I/O
 * priority (ioprio_check_cap), the iovec array of vectored ops
 * (import_iovec: at most UIO_MAXIOV, readable), and a plain buffer's
 * address range (access_ok). `op`, `addr` and `len` are the SQE's, as
 * io_init_req read them.
 */
export function io_rw_prep(sqe: usize, op: u8, addr: u64, len: u32): i32 {
  const ioprio = <u32>load<u16>(sqe + u.SQE_IOPRIO);
  if (ioprio != 0) {
    const prio_class = ioprio >> 13;
    const level = ioprio & 7;
    if (prio_class > 3 || (prio_class == 0 && level != 0)) return -u.EINVAL;
  }
  if (op == u.IORING_OP_READV || op == u.IORING_OP_WRITEV || op == u.IORING_OP_READV_FIXED ||
    op == u.IORING_OP_WRITEV_FIXED) {
    if (len > UIO_MAXIOV) return -u.EINVAL;
    if (!mm_range_ok(addr, <u64>len * u.IOVEC_SIZE)) return -u.EFAULT;
    if (op == u.IORING_OP_READV || op == u.IORING_OP_WRITEV) {
      // 6.18 imports a READV/WRITEV iovec array at prep (__import_iovec): a
      // length negative as ssize_t is -EINVAL, a range outside the user
      // address space -EFAULT; either fails the SQE at submission.
      mm_read(addr, iovs, len * u.IOVEC_SIZE);
      for (let i: u32 = 0; i < len; i++) {
        const b = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_BASE);
        const l = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_LEN);
        if (<i64>l < 0) return -u.EINVAL;
        if (l > 0 && (b >= TASK_SIZE || l > TASK_SIZE - b)) return -u.EFAULT;
      }
    }
  } else if (op == u.IORING_OP_READ || op == u.IORING_OP_WRITE) {
    if (len > 0 && (addr >= TASK_SIZE || addr + <u64>len > TASK_SIZE)) return -u.EFAULT;
  }
  return 0;
}

/** Feed a user-memory range page by page (pages were checked mapped). */
function feed_user(va: u64, len: u64): void {
  while (len > 0) {
    const room = <u64>(PAGE_SIZE - <u32>(va & (PAGE_SIZE - 1)));
    const n = len < room ? len : room;
    feed(mm_va_to_pa(va), <u32>n);
    va += n;
    len -= n;
  }
}

/** Feed a range of a registered (UADDR) buffer from its pinned pages. */
function feed_fixed(e: usize, va: u64, len: u64): void {
  const pages = load<usize>(e + BF_PAGES);
  const first = load<u64>(e + BF_UBUF) & ~(<u64>PAGE_SIZE - 1);
  while (len > 0) {
    const off = va - first;
    const in_page = off & (PAGE_SIZE - 1);
    const room = <u64>PAGE_SIZE - in_page;
    const n = len < room ? len : room;
    feed(load<u64>(pages + <usize>((off >> PAGE_SHIFT) << 3)) + in_page, <u32>n);
    va += n;
    len -= n;
  }
}

/**
 * Buffered I/O on a stacked device: the page cache's writeback and reads go
 * through the stacking driver like any bio; modelled as copies to where its
 * map puts each byte (every mirror for a raid1 write, the first working one
 * for a read).
 */
function stacked_copy(s: i32, pos: u64, pa: u64, n: u32, write: bool): void {
  if (stacked_kind(s) == SK_RAID1) {
    const m = stacked_members(s);
    for (let k = 0; k < m; k++) {
      if (!md_in_sync(s, k)) continue;
      const c = stacked_member(s, k);
      if (write) phys_copy(media_addr(c, pos), pa, n);
      else {
        phys_copy(pa, media_addr(c, pos), n);
        return;
      }
    }
    return;
  }
  let guard: u32 = 0;
  while (n > 0) {
    const k = stacked_map(s, pos);
    const c = stacked_member(s, k);
    const part: u32 = <u64>n < map_run ? n : <u32>map_run;
    if (write) phys_copy(media_addr(c, map_pos), pa, part);
    else phys_copy(pa, media_addr(c, map_pos), part);
    pos += part;
    pa += part;
    n -= part;
    bound(++guard, 1_000_000, INV_BUFFERED_COPY);
  }
}

/** Buffered (no O_DIRECT) I/O: a synchronous copy through the page cache, modelled without caching. */
function buffered_copy(c: i32, pos: u64, va: u64, len: u64, write: bool, e: usize): void {
  let guard: u32 = 0;
  while (len > 0) {
    const room = <u64>(PAGE_SIZE - <u32>(va & (PAGE_SIZE - 1)));
    const n = len < room ? len : room;
    let pa: u64;
    if (e != 0) {
      const first = load<u64>(e + BF_UBUF) & ~(<u64>PAGE_SIZE - 1);
      const off = va - first;
      pa = load<u64>(load<usize>(e + BF_PAGES) + <usize>((off >> PAGE_SHIFT) << 3)) + (off & (PAGE_SIZE - 1));
    } else pa = mm_va_to_pa(va);
    if (rw_stacked) stacked_copy(c, pos, pa, <u32>n, write);
    else if (write) phys_copy(media_addr(c, pos), pa, <u32>n);
    else phys_copy(pa, media_addr(c, pos), <u32>n);
    pos += n;
    va += n;
    len -= n;
    bound(++guard, 1_000_000, INV_BUFFERED_COPY);
  }
}

/**
 * Issue a read or write. Returns the result to complete with now, or
 * IOU_ISSUE_SKIP_COMPLETE when commands went to the device. The checks run
 * in the kernel's order after io_rw_prep's: the file (io_assign_file),
 * a fixed buffer (io_init_rw_fixed), the file's mode and IOPOLL support
 * (io_rw_init_file), the RWF flags, then the block device's rules. `op`
 * is the request's opcode, as io_issue_sqe read it.
 */
export function io_rw_issue(req: u32, id: i32, core: i32, op: u8): i32 {
  const p = rq(req);
  charge(core, LAYER_URING, cost(COST_RW_PREP));
  const write = op == u.IORING_OP_WRITE || op == u.IORING_OP_WRITE_FIXED || op == u.IORING_OP_WRITEV ||
    op == u.IORING_OP_WRITEV_FIXED;
  const fixed = op == u.IORING_OP_READ_FIXED || op == u.IORING_OP_WRITE_FIXED || op == u.IORING_OP_READV_FIXED ||
    op == u.IORING_OP_WRITEV_FIXED;
  const vec = op == u.IORING_OP_READV || op == u.IORING_OP_WRITEV || op == u.IORING_OP_READV_FIXED ||
    op == u.IORING_OP_WRITEV_FIXED;
  const addr = load<u64>(p + RQ_ADDR);
  const len = load<u32>(p + RQ_LEN);
  rw_err_async = false;

  // io_assign_file: a registered file is the table's own reference to it.
  let fd = load<i32>(p + RQ_FD);
  if ((load<u32>(p + RQ_FLAGS) & REQ_F_FIXED_FILE) != 0) {
    fd = io_fixed_fd(id, fd);
    if (fd < 0) return -u.EBADF;
  } else if (!fd_valid_user(fd)) return -u.EBADF;
  const file = fd_file_of(fd);
  store<i32>(p + RQ_RFD, fd);

  // io_init_rw_fixed: the registered buffer. A dma-buf slot goes its own
  // way (dmabuf_token.ts) with the values read here, before the iovec
  // scratch below is filled: it never uses it.
  let e: usize = 0;
  if (fixed) {
    const idx = <u32>load<u16>(p + RQ_BUF_INDEX);
    if (idx >= unchecked(r_buf_count[id])) return -u.EFAULT;
    e = buf_entry(id, idx);
    const t = load<u32>(e + BF_TYPE);
    if (t == u.IO_REGBUF_TYPE_DMABUF) {
      return dmabuf_import(req, id, core, fd, op, load<i32>(e + BF_TOKEN), load<u64>(e + BF_LEN), file, vec, addr, len);
    }
    if (t != u.IO_REGBUF_TYPE_UADDR) return -u.EFAULT;
  }

  // The buffer description io_rw_prep checked: the iovec array (read again
  // here, where the kernel keeps its imported copy) or the single range.
  let nr: u32 = 0; // ranges in iovs
  let total: u64 = 0;
  if (vec) {
    mm_read(addr, iovs, len * u.IOVEC_SIZE);
    nr = len;
    if (!fixed) {
      // __import_iovec: the total is capped at MAX_RW_COUNT by shortening
      // the segment that crosses it (and zeroing those after).
      for (let i: u32 = 0; i < nr; i++) {
        let l = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_LEN);
        if (l > MAX_RW_COUNT - total) {
          l = MAX_RW_COUNT - total;
          store<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_LEN, l);
        }
        total += l;
      }
    }
  } else {
    store<u64>(iovs, addr);
    store<u64>(iovs + 8, <u64>len);
    nr = 1;
    total = len;
  }

  if (fixed) {
    charge(core, LAYER_URING, cost(COST_IMPORT_FIXED));
    const ub = load<u64>(e + BF_UBUF);
    const ue = ub + load<u64>(e + BF_LEN);
    if (vec) {
      // io_estimate_bvec_size: (len >> page shift) + 2 bio_vecs per iovec,
      // allocated at once (kmalloc_array): past KMALLOC_MAX_SIZE (4 MiB of
      // 16-byte bio_vecs) it fails -ENOMEM before any range is looked at.
      let segs: u64 = 0;
      for (let i: u32 = 0; i < nr; i++) segs += (load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_LEN) >> PAGE_SHIFT) + 2;
      if (segs * 16 > (<u64>4 << 20)) return -u.ENOMEM;
    }
    for (let i: u32 = 0; i < nr; i++) {
      const a = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_BASE);
      const l = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_LEN);
      // io_vec_fill_bvec (READV_FIXED/WRITEV_FIXED): an empty iovec is -EFAULT.
      if (vec && l == 0) return -u.EFAULT;
      if (a + l < a || a < ub || a + l > ue) return -u.EFAULT;
      if (vec) total += l;
    }
    if (total > <u64>i32.MAX_VALUE) return -u.EOVERFLOW;
  }
  return rw_block(req, id, core, fd, write, nr, total, e);
}
/**
 * Set by io_rw_issue when the error it returns came from the file's
 * write_iter: io_write hands every result of the file op to kiocb_done,
 * which completes an error through ki_complete — task work, posted after the
 * batch's inline completions. A read's errors (io_read returns them) and
 * the checks before the file op complete inline.
 */
export let rw_err_async: bool = false;

/** MAX_RW_COUNT: INT_MAX rounded down to a page. */
const MAX_RW_COUNT: u64 = 0x7ffff000;

/** io_rw_init_file + blkdev_{read,write}_iter + __blkdev_direct_IO. */
export function rw_block(req: u32, id: i32, core: i32, fd: i32, write: bool, nr: u32, total: u64, e: usize): i32 {
  const r = rw_file_checks(req, id, fd, write);
  if (r != 0) return r;
  const ret = rw_block_iter(req, id, core, fd, write, nr, total, e);
  if (write && ret < 0 && ret != IOU_ISSUE_SKIP_COMPLETE) rw_err_async = true;
  return ret;
}

function rw_block_iter(req: u32, id: i32, core: i32, fd: i32, write: bool, nr: u32, total: u64, e: usize): i32 {
  const p = rq(req);
  const fflags = fd_flags_of(fd);
  const direct = (fflags & u.O_DIRECT) != 0;
  const polled = (ring_flags(id) & u.IORING_SETUP_IOPOLL) != 0;
  store<i32>(p + RQ_EXPECT, <i32>total);
  if (total == 0) return 0;
  const c = fd_obj_of(fd);
  rw_stacked = fd_type_of(fd) == FT_STACKED;
  const lba_mask: u64 = (<u64>1 << bdev_lba_shift(fd)) - 1;
  let pos = load<u64>(p + RQ_OFF);
  // blkdev_{read,write}_iter: the end of the device first (0 / -ENOSPC, or a
  // shorter request), then blkdev_dio_invalid and page pinning on what is left.
  const size = bdev_capacity_bytes(fd);
  if (pos >= size) return write ? -u.ENOSPC : 0;
  if (pos + total > size) total = size - pos;
  if (direct) {
    // Position and size in logical blocks; each segment's address meeting the
    // DMA alignment and its length the block size.
    if (((pos | total) & lba_mask) != 0) return -u.EINVAL;
    let left = total;
    for (let i: u32 = 0; i < nr && left > 0; i++) {
      const a = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_BASE);
      let l = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_LEN);
      if (l > left) l = left;
      if ((a & dma_align_mask) != 0 || (l & lba_mask) != 0) return -u.EINVAL;
      left -= l;
    }
  }
  // Pin user pages (bio_iov_iter_get_pages): those of the bytes that exist.
  if (e == 0) {
    let left = total;
    for (let i: u32 = 0; i < nr && left > 0; i++) {
      let l = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_LEN);
      if (l > left) l = left;
      if (!mm_range_ok(load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_BASE), l)) return -u.EFAULT;
      left -= l;
    }
  }
  if (!direct) {
    // Buffered I/O: synchronous copy through the page cache (not modelled).
    let left = total;
    for (let i: u32 = 0; i < nr && left > 0; i++) {
      const a = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_BASE);
      let l = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_LEN);
      if (l > left) l = left;
      charge(core, LAYER_BLOCK, cost(COST_IMPORT_USER_PAGE) * ((l + PAGE_SIZE - 1) >> PAGE_SHIFT));
      buffered_copy(c, pos, a, l, write, e);
      pos += l;
      left -= l;
    }
    return <i32>total;
  }
  if (rw_stacked) {
    // submit_bio to dm or md: the bio's memory once per pass (a raid1 write's
    // clones share the original's pages, pinned once).
    const passes = dm_begin(req, c, core, polled, write, false, pos, <u32>total, load<u64>(p + RQ_SUBMIT_NS), 0, 0);
    if (passes < 0) return passes;
    for (let k = 0; k < passes; k++) {
      dm_pass(k);
      feed_iovs(core, nr, total, e, k == 0);
    }
    return dm_end();
  }
  blk_begin(req, c, core, polled, write, false, pos, load<u64>(p + RQ_SUBMIT_NS));
  feed_iovs(core, nr, total, e, true);
  return blk_end();
}

/** Feed the request's `total` bytes from its ranges (registered buffer `e`, or user memory, pinning charged when `pin`). */
function feed_iovs(core: i32, nr: u32, total: u64, e: usize, pin: bool): void {
  let left = total;
  for (let i: u32 = 0; i < nr && left > 0; i++) {
    const a = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_BASE);
    let l = load<u64>(iovs + <usize>i * u.IOVEC_SIZE + u.IOVEC_LEN);
    if (l > left) l = left;
    if (e != 0) feed_fixed(e, a, l);
    else {
      if (pin) {
        charge(core, LAYER_URING, cost(COST_IMPORT_USER_PAGE) * (((a & (PAGE_SIZE - 1)) + l + PAGE_SIZE - 1) >> PAGE_SHIFT));
      }
      feed_user(a, l);
    }
    left -= l;
  }
}


/**
 * The block layer's end_io for io_uring rw requests (kiocb->ki_complete): a
 * dma-buf request drops its map reference, then the request completes.
 */
export function io_rw_end_io(req: u32, res: i32, core: i32): void {
  dmabuf_map_put(req, core);
  io_req_complete(req, res);
}
