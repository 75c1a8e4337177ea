// io_uring read/write (io_uring/rw.c) down to the block layer (block/fops.c
// direct I/O, bio build and split): file checks, buffer import (user memory,
// registered buffers, dma-buf slots), O_DIRECT rules, end-of-device clamping,
// splitting into NVMe commands by the queue limits, and completion.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import { charge, core_time, LAYER_BLOCK, LAYER_URING } from "../sim/engine";
import {
  cost, COST_BIO, COST_BIO_SPLIT, COST_IMPORT_FIXED, COST_IMPORT_USER_PAGE, COST_RW_PREP,
} from "../sim/costs";
import * as u from "../sim/uapi";
import { fd_file_of, fd_flags_of, fd_obj_of, fd_type_of, fd_valid_user, FT_BLKDEV } from "../fs/files";
import {
  io_fixed_fd, io_req_complete, IOU_ISSUE_SKIP_COMPLETE, r_buf_count, REQ_F_FIXED_FILE, ring_flags, rq, RQ_ADDR,
  RQ_BUF_INDEX, RQ_DONE_BYTES, RQ_ERR, RQ_EXPECT, RQ_FD, RQ_FILE, RQ_FLAGS, RQ_LEN, RQ_OFF, RQ_OP_FLAGS, RQ_OPCODE,
  RQ_PENDING, RQ_MAP, RQ_RFD, RQ_SUBMIT_NS,
} from "./io_uring";
import { buf_entry, BF_LEN, BF_NPAGES, BF_PAGES, BF_TYPE, BF_UBUF, IO_REGBUF_TYPE_DMABUF, IO_REGBUF_TYPE_UADDR } from "./rsrc";
import { mm_range_ok, mm_read, mm_va_to_pa } from "../mm/mm";
import { media_addr, phys_copy } from "../hw/physmem";
import { nvme_capacity_bytes, nvme_lba_shift, nvme_queue_rq } from "../nvme/pci";
import { trace_rec, TR_SUBMIT, tracing } from "../sim/trace";
import { dmabuf_import, dmabuf_map_put } from "../dmabuf/dmabuf";

/** RWF_* flags dmasim accepts (they change nothing in the model). */
const RWF_SUPPORTED: u32 = 0x1 | 0x2 | 0x4 | 0x8; // HIPRI, DSYNC, SYNC, NOWAIT
const UIO_MAXIOV: u32 = 1024;
/** Largest user address (x86-64 TASK_SIZE with 4-level paging). */
const TASK_SIZE: u64 = 0x7ffffffff000;

// Queue limits (struct queue_limits) shared by the NVMe namespaces.
let max_bytes: u32 = 128 * 1024;
let max_segs: u32 = 127;
let dma_align_mask: u64 = 3;

export function rw_init(max_sectors_kb: u32, mdts: u32, max_segments: u32, dma_alignment: u32): void {
  max_bytes = max_sectors_kb * 1024;
  // NVME_MAX_BYTES: nvme-pci never builds a command over 8 MiB (its PRP list and NLB limits).
  if (max_bytes > 8 << 20) max_bytes = 8 << 20;
  if (mdts > 0) {
    const mdts_bytes: u64 = (<u64>1 << mdts) * PAGE_SIZE;
    if (<u64>max_bytes > mdts_bytes) max_bytes = <u32>mdts_bytes;
  }
  max_segs = max_segments;
  dma_align_mask = <u64>dma_alignment - 1;
  // Fresh each machine: the arena was reset under any earlier pointers.
  segs = mem_alloc(<usize>4096 * 16);
  iovs = mem_alloc(<usize>UIO_MAXIOV * 16);
  carry = mem_alloc(<usize>4096 * 16);
}

// The command being assembled (one bio after splitting -> one NVMe command).
let segs: usize = 0; // 16-byte (addr, len) entries, at most max_segs
let nsegs: u32 = 0;
let cmd_bytes: u32 = 0;
let cmd_pos: u64 = 0; // byte position on the device of the current command
let b_ctrl: i32 = 0;
let b_core: i32 = 0;
let b_polled: bool = false;
let b_write: bool = false;
let b_premapped: bool = false;
let b_req: u32 = 0;
let b_err: i32 = 0;
let b_cmds: u32 = 0;
let iovs: usize = 0; // the request's ranges: (addr u64, len u64)
let carry: usize = 0; // pieces moved to the next command by an aligned split
let b_lba_mask: u32 = 511;

/**
 * io_prep_rw: the checks the kernel makes when the SQE is read (an error here
 * fails a whole link at submission, see io_submit_fail_init): the I/O
 * priority (ioprio_check_cap), the iovec array of vectored ops
 * (import_iovec: at most UIO_MAXIOV, readable), and a plain buffer's
 * address range (access_ok).
 */
export function io_rw_prep(req: u32, id: i32, sqe: usize): i32 {
  const ioprio = <u32>load<u16>(sqe + 2);
  if (ioprio != 0) {
    const prio_class = ioprio >> 13;
    const level = ioprio & 7;
    if (prio_class > 3 || (prio_class == 0 && level != 0)) return -u.EINVAL;
  }
  const p = rq(req);
  const op = load<u8>(p + RQ_OPCODE);
  const addr = load<u64>(p + RQ_ADDR);
  const len = load<u32>(p + RQ_LEN);
  if (op == u.IORING_OP_READV || op == u.IORING_OP_WRITEV || op == u.IORING_OP_READV_FIXED ||
    op == u.IORING_OP_WRITEV_FIXED) {
    if (len > UIO_MAXIOV) return -u.EINVAL;
    if (!mm_range_ok(addr, <u64>len * 16)) return -u.EFAULT;
  } else if (op == u.IORING_OP_READ || op == u.IORING_OP_WRITE) {
    if (len > 0 && (addr >= TASK_SIZE || addr + <u64>len > TASK_SIZE)) return -u.EFAULT;
  }
  return 0;
}

/**
 * A split forced by max_segments or the virtual boundary must fall on a
 * logical block (bio_split_rw_at aligns it down): the bytes past the last
 * whole block move to the next command.
 */
function flush_cmd_aligned(): void {
  const rem = cmd_bytes & b_lba_mask;
  if (rem == 0 || rem == cmd_bytes) {
    flush_cmd();
    return;
  }
  // Take `rem` bytes off the end of the segment list, keeping them in order.
  let take = rem;
  let nc: u32 = 0;
  while (take > 0 && nsegs > 0) {
    const last = segs + <usize>(nsegs - 1) * 16;
    const l = load<u32>(last + 8);
    const n = l < take ? l : take;
    // Shift carried pieces right and put this one first (it comes earlier).
    for (let k = nc; k > 0; k--) {
      store<u64>(carry + <usize>k * 16, load<u64>(carry + <usize>(k - 1) * 16));
      store<u32>(carry + <usize>k * 16 + 8, load<u32>(carry + <usize>(k - 1) * 16 + 8));
    }
    store<u64>(carry, load<u64>(last) + <u64>(l - n));
    store<u32>(carry + 8, n);
    nc++;
    if (n == l) nsegs--;
    else store<u32>(last + 8, l - n);
    take -= n;
  }
  cmd_bytes -= rem;
  flush_cmd();
  for (let k: u32 = 0; k < nc; k++) blk_feed(load<u64>(carry + <usize>k * 16), load<u32>(carry + <usize>k * 16 + 8));
}

function flush_cmd(): void {
  if (cmd_bytes == 0) return;
  if (b_err == 0) {
    const ret = nvme_queue_rq(b_ctrl, b_core, b_polled, b_req, cmd_pos >> nvme_lba_shift(b_ctrl), cmd_bytes, segs,
      nsegs, b_write, b_premapped);
    if (ret < 0) b_err = ret;
    else {
      if (b_cmds > 0) charge(b_core, LAYER_BLOCK, cost(COST_BIO_SPLIT));
      b_cmds++;
      store<u32>(rq(b_req) + RQ_PENDING, load<u32>(rq(b_req) + RQ_PENDING) + 1);
    }
  }
  cmd_pos += cmd_bytes;
  cmd_bytes = 0;
  nsegs = 0;
}

/**
 * Feed one piece of the transfer (a physical — or, premapped, DMA — address
 * range within one 4 KiB page) to the bio being built, splitting at the
 * queue limits: max_bytes, max_segments, and the virtual boundary (a PRP
 * cannot express a gap inside a page run).
 */
export function blk_feed(addr: u64, len: u32): void {
  let guard: u32 = 0;
  while (len > 0) {
    if (nsegs > 0) {
      const last = segs + <usize>(nsegs - 1) * 16;
      const end = load<u64>(last) + <u64>load<u32>(last + 8);
      const contiguous = end == addr;
      // Virtual boundary: a new segment must start on a page and the previous
      // one must end on a page, unless they merge.
      if (!contiguous && ((addr & (PAGE_SIZE - 1)) != 0 || (end & (PAGE_SIZE - 1)) != 0)) flush_cmd_aligned();
      else if (!contiguous && nsegs >= max_segs) flush_cmd_aligned();
    }
    const room = max_bytes - cmd_bytes;
    const n = len < room ? len : room;
    if (nsegs > 0) {
      const last = segs + <usize>(nsegs - 1) * 16;
      if (load<u64>(last) + <u64>load<u32>(last + 8) == addr) {
        store<u32>(last + 8, load<u32>(last + 8) + n);
      } else {
        const s = segs + <usize>nsegs * 16;
        store<u64>(s, addr);
        store<u32>(s + 8, n);
        nsegs++;
      }
    } else {
      store<u64>(segs, addr);
      store<u32>(segs + 8, n);
      nsegs = 1;
    }
    cmd_bytes += n;
    addr += n;
    len -= n;
    if (cmd_bytes == max_bytes) flush_cmd();
    if (++guard > 1_000_000) break;
  }
}

/** Feed a user-memory range page by page (pages were checked mapped). */
function feed_user(va: u64, len: u64): void {
  while (len > 0) {
    const room = <u64>(PAGE_SIZE - <u32>(va & (PAGE_SIZE - 1)));
    const n = len < room ? len : room;
    blk_feed(mm_va_to_pa(va), <u32>n);
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
    blk_feed(load<u64>(pages + <usize>((off >> PAGE_SHIFT) << 3)) + in_page, <u32>n);
    va += n;
    len -= n;
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
    if (write) phys_copy(media_addr(c, pos), pa, <u32>n);
    else phys_copy(pa, media_addr(c, pos), <u32>n);
    pos += n;
    va += n;
    len -= n;
    if (++guard > 1_000_000) break;
  }
}

/**
 * Issue a read or write. Returns the result to complete with now, or
 * IOU_ISSUE_SKIP_COMPLETE when commands went to the device. The checks run
 * in the kernel's order after io_rw_prep's: the file (io_assign_file),
 * a fixed buffer (io_init_rw_fixed), the file's mode and IOPOLL support
 * (io_rw_init_file), the RWF flags, then the block device's rules.
 */
export function io_rw_issue(req: u32, id: i32, core: i32): i32 {
  const p = rq(req);
  charge(core, LAYER_URING, cost(COST_RW_PREP));
  const op = load<u8>(p + RQ_OPCODE);
  const write = op == u.IORING_OP_WRITE || op == u.IORING_OP_WRITE_FIXED || op == u.IORING_OP_WRITEV ||
    op == u.IORING_OP_WRITEV_FIXED;
  const fixed = op == u.IORING_OP_READ_FIXED || op == u.IORING_OP_WRITE_FIXED || op == u.IORING_OP_READV_FIXED ||
    op == u.IORING_OP_WRITEV_FIXED;
  const vec = op == u.IORING_OP_READV || op == u.IORING_OP_WRITEV || op == u.IORING_OP_READV_FIXED ||
    op == u.IORING_OP_WRITEV_FIXED;
  const addr = load<u64>(p + RQ_ADDR);
  const len = load<u32>(p + RQ_LEN);
  let nr: u32 = 0; // ranges in iovs
  let total: u64 = 0;

  // The buffer description io_rw_prep checked: the iovec array (read again
  // here, where the kernel keeps its imported copy) or the single range.
  if (vec) {
    mm_read(addr, iovs, len * 16);
    nr = len;
    for (let i: u32 = 0; i < nr; i++) total += load<u64>(iovs + <usize>i * 16 + 8);
    if (total > 0x7ffff000) return -u.EINVAL;
  } else {
    store<u64>(iovs, addr);
    store<u64>(iovs + 8, <u64>len);
    nr = 1;
    total = len;
  }

  // io_assign_file: a registered file is the table's own reference to it.
  let fd = load<i32>(p + RQ_FD);
  if ((load<u32>(p + RQ_FLAGS) & REQ_F_FIXED_FILE) != 0) {
    fd = io_fixed_fd(id, fd);
    if (fd < 0) return -u.EBADF;
  } else if (!fd_valid_user(fd)) return -u.EBADF;
  const file = fd_file_of(fd);
  store<u32>(p + RQ_FILE, file);
  store<i32>(p + RQ_RFD, fd);

  // io_init_rw_fixed: the registered buffer.
  let e: usize = 0;
  if (fixed) {
    const idx = <u32>load<u16>(p + RQ_BUF_INDEX);
    if (idx >= unchecked(r_buf_count[id])) return -u.EFAULT;
    e = buf_entry(id, idx);
    const t = load<u32>(e + BF_TYPE);
    if (t == IO_REGBUF_TYPE_DMABUF) return dmabuf_import(req, e, file, vec);
    if (t != IO_REGBUF_TYPE_UADDR) return -u.EFAULT;
    charge(core, LAYER_URING, cost(COST_IMPORT_FIXED));
    const ub = load<u64>(e + BF_UBUF);
    const ue = ub + load<u64>(e + BF_LEN);
    for (let i: u32 = 0; i < nr; i++) {
      const a = load<u64>(iovs + <usize>i * 16);
      const l = load<u64>(iovs + <usize>i * 16 + 8);
      if (a + l < a || a < ub || a + l > ue) return -u.EFAULT;
    }
  }
  return rw_block(req, id, core, fd, write, nr, total, e);
}

/**
 * io_rw_init_file and the file-level checks shared by every buffer kind:
 * access mode (-EBADF), a block device (-EINVAL otherwise), IOPOLL needs
 * O_DIRECT (-EOPNOTSUPP), RWF flags (-EOPNOTSUPP). 0 when all pass.
 */
function rw_file_checks(req: u32, id: i32, fd: i32, write: bool): i32 {
  const fflags = fd_flags_of(fd);
  const acc = fflags & u.O_ACCMODE;
  if (write ? acc == u.O_RDONLY : acc == u.O_WRONLY) return -u.EBADF;
  if ((load<u32>(rq(req) + RQ_OP_FLAGS) & ~RWF_SUPPORTED) != 0) return -u.EOPNOTSUPP;
  // IOPOLL needs IOCB_DIRECT and an ->iopoll method: only O_DIRECT block devices.
  const blk = fd_type_of(fd) == FT_BLKDEV;
  const polled = (ring_flags(id) & u.IORING_SETUP_IOPOLL) != 0;
  if (polled && ((fflags & u.O_DIRECT) == 0 || !blk)) return -u.EOPNOTSUPP;
  // Files with no read_iter/write_iter dmasim models (a ring, a tty).
  if (!blk) return -u.EINVAL;
  return 0;
}

/** Length after clamping at the end of the device (set by rw_check_block). */
export let rw_clamped_len: u64 = 0;

/**
 * The block-device checks for one range whose memory address is `addr`
 * (a dma-buf offset for dma-buf slots): file checks, O_DIRECT alignment,
 * end of device. Returns 1 to go on (rw_clamped_len set), 0 to complete
 * with 0 bytes, or -errno.
 */
export function rw_check_block(req: u32, id: i32, fd: i32, write: bool, addr: u64, len: u64): i32 {
  const p = rq(req);
  const r = rw_file_checks(req, id, fd, write);
  if (r != 0) return r;
  store<i32>(p + RQ_EXPECT, <i32>len);
  const c = fd_obj_of(fd);
  const lba_mask: u64 = (<u64>1 << nvme_lba_shift(c)) - 1;
  const pos = load<u64>(p + RQ_OFF);
  // blkdev_{read,write}_iter: the end of the device first, then
  // blkdev_dio_invalid on what is left.
  const size = nvme_capacity_bytes(c);
  if (pos >= size) return write ? -u.ENOSPC : 0;
  rw_clamped_len = pos + len > size ? size - pos : len;
  if (((pos | rw_clamped_len) & lba_mask) != 0 || (addr & dma_align_mask) != 0) return -u.EINVAL;
  return 1;
}

/** io_rw_init_file + blkdev_{read,write}_iter + __blkdev_direct_IO. */
export function rw_block(req: u32, id: i32, core: i32, fd: i32, write: bool, nr: u32, total: u64, e: usize): i32 {
  const p = rq(req);
  const r = rw_file_checks(req, id, fd, write);
  if (r != 0) return r;
  const fflags = fd_flags_of(fd);
  const direct = (fflags & u.O_DIRECT) != 0;
  const polled = (ring_flags(id) & u.IORING_SETUP_IOPOLL) != 0;
  store<i32>(p + RQ_EXPECT, <i32>total);
  if (total == 0) return 0;
  const c = fd_obj_of(fd);
  const lba_mask: u64 = (<u64>1 << nvme_lba_shift(c)) - 1;
  let pos = load<u64>(p + RQ_OFF);
  // blkdev_{read,write}_iter: the end of the device first (0 / -ENOSPC, or a
  // shorter request), then blkdev_dio_invalid and page pinning on what is left.
  const size = nvme_capacity_bytes(c);
  if (pos >= size) return write ? -u.ENOSPC : 0;
  if (pos + total > size) total = size - pos;
  if (direct) {
    // Position and size in logical blocks; each segment's address meeting the
    // DMA alignment and its length the block size.
    if (((pos | total) & lba_mask) != 0) return -u.EINVAL;
    let left = total;
    for (let i: u32 = 0; i < nr && left > 0; i++) {
      const a = load<u64>(iovs + <usize>i * 16);
      let l = load<u64>(iovs + <usize>i * 16 + 8);
      if (l > left) l = left;
      if ((a & dma_align_mask) != 0 || (l & lba_mask) != 0) return -u.EINVAL;
      left -= l;
    }
  }
  // Pin user pages (bio_iov_iter_get_pages): those of the bytes that exist.
  if (e == 0) {
    let left = total;
    for (let i: u32 = 0; i < nr && left > 0; i++) {
      let l = load<u64>(iovs + <usize>i * 16 + 8);
      if (l > left) l = left;
      if (!mm_range_ok(load<u64>(iovs + <usize>i * 16), l)) return -u.EFAULT;
      left -= l;
    }
  }
  if (!direct) {
    // Buffered I/O: synchronous copy through the page cache (not modelled).
    let left = total;
    for (let i: u32 = 0; i < nr && left > 0; i++) {
      const a = load<u64>(iovs + <usize>i * 16);
      let l = load<u64>(iovs + <usize>i * 16 + 8);
      if (l > left) l = left;
      charge(core, LAYER_BLOCK, cost(COST_IMPORT_USER_PAGE) * ((l + PAGE_SIZE - 1) >> PAGE_SHIFT));
      buffered_copy(c, pos, a, l, write, e);
      pos += l;
      left -= l;
    }
    return <i32>total;
  }
  blk_begin(req, c, core, polled, write, false, pos);
  let left = total;
  for (let i: u32 = 0; i < nr && left > 0; i++) {
    const a = load<u64>(iovs + <usize>i * 16);
    let l = load<u64>(iovs + <usize>i * 16 + 8);
    if (l > left) l = left;
    if (e != 0) feed_fixed(e, a, l);
    else {
      charge(core, LAYER_URING, cost(COST_IMPORT_USER_PAGE) * (((a & (PAGE_SIZE - 1)) + l + PAGE_SIZE - 1) >> PAGE_SHIFT));
      feed_user(a, l);
    }
    left -= l;
  }
  return blk_end();
}

/** Start a bio for request `req` at device byte `pos` (submit_bio). */
export function blk_begin(req: u32, c: i32, core: i32, polled: bool, write: bool, premapped: bool, pos: u64): void {
  charge(core, LAYER_BLOCK, cost(COST_BIO));
  b_req = req;
  b_ctrl = c;
  b_lba_mask = (<u32>1 << nvme_lba_shift(c)) - 1;
  b_core = core;
  b_polled = polled;
  b_write = write;
  b_premapped = premapped;
  b_err = 0;
  b_cmds = 0;
  nsegs = 0;
  cmd_bytes = 0;
  cmd_pos = pos;
  const p = rq(req);
  store<u32>(p + RQ_PENDING, 0);
  store<u32>(p + RQ_DONE_BYTES, 0);
  store<i32>(p + RQ_ERR, 0);
}

/** Finish the bio: queue the last command; the result, or IOU_ISSUE_SKIP_COMPLETE. */
export function blk_end(): i32 {
  flush_cmd();
  const p = rq(b_req);
  if (tracing) {
    const t0 = load<u64>(p + RQ_SUBMIT_NS);
    trace_rec(TR_SUBMIT, t0, unchecked(core_time[b_core]) - t0, b_ctrl, b_req);
  }
  if (b_err != 0) {
    store<i32>(p + RQ_ERR, b_err);
    // Commands already queued complete first; the request then fails.
    if (load<u32>(p + RQ_PENDING) == 0) return b_err;
  }
  return IOU_ISSUE_SKIP_COMPLETE;
}

/** A command of `req` finished with `res` (bytes or -errno). */
export function blk_cmd_done(req: u32, res: i32, core: i32): void {
  const p = rq(req);
  if (res < 0) {
    if (load<i32>(p + RQ_ERR) == 0) store<i32>(p + RQ_ERR, res);
  } else {
    store<u32>(p + RQ_DONE_BYTES, load<u32>(p + RQ_DONE_BYTES) + <u32>res);
  }
  const left = load<u32>(p + RQ_PENDING) - 1;
  store<u32>(p + RQ_PENDING, left);
  if (left > 0) return;
  if (load<i32>(p + RQ_MAP) >= 0) dmabuf_map_put(req, core);
  const err = load<i32>(p + RQ_ERR);
  io_req_complete(req, err != 0 ? err : <i32>load<u32>(p + RQ_DONE_BYTES));
}
