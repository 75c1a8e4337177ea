// The block layer's direct-I/O path (block/fops.c __blkdev_direct_IO, bio
// build and split by the queue limits, blk-mq completion): pieces of a
// transfer are fed in as (address, length) ranges, split into NVMe commands
// at max_bytes, max_segments and the virtual boundary, and queued to the
// driver (nvme/pci.ts). Each request's commands are counted here (struct
// blkdev_dio: outstanding commands, bytes done, first error); when the last
// one completes, the request's end_io runs: a hook the layer above
// (io_uring's rw completion) registers at machine set-up, as kiocb->ki_complete.

import { PAGE_SHIFT, PAGE_SIZE, REQS_MAX } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import { charge, core_time, LAYER_BLOCK } from "../sim/engine";
import { cost, COST_BIO, COST_BIO_CLONE, COST_BIO_SPLIT } from "../sim/costs";
import { bound, INV_BIO_FEED, INV_HOOK_UNSET, invariant_fail } from "../sim/errors";
import { nvme_lba_shift, nvme_max_hw_bytes, nvme_max_segments } from "../nvme/pci";
import { blk_mq_init, blk_mq_issue, blk_mq_sched_restart } from "./blk_mq";
import { trace_rec, TR_SUBMIT, tracing } from "../sim/trace";
import {
  md_count_read_retry, md_leg_end, md_read_balance, MEMBERS_MAX, stacked_count_clone, stacked_leg_of, stacked_member,
} from "./stacked";
import { blk_alloc, blk_free } from "../sim/mem";
import { nvme_commit_rqs } from "../nvme/pci";

/**
 * Returned by blk_end when commands went to the device: the request completes
 * later through end_io (the kernel's -EIOCBQUEUED; io_uring's
 * IOU_ISSUE_SKIP_COMPLETE is this value).
 */
export const BLK_QUEUED: i32 = i32.MIN_VALUE;

// Queue limits (struct queue_limits) shared by the NVMe namespaces.
let max_bytes: u32 = 128 * 1024;
let max_hw_bytes: u32 = 128 * 1024;
let max_segs: u32 = 127;
/** The queue's DMA alignment minus one (bdev_dma_alignment): direct I/O addresses must meet it. */
export let dma_align_mask: u64 = 3;

/**
 * The queue limits (blk_validate_limits) from the profile's requests and the
 * driver's: max_sectors_kb acts as max_user_sectors (a larger value is
 * clamped to max_hw_sectors_kb, as a sysfs write is), max_segments is capped
 * at what nvme-pci allows (nvme_max_segments); fresh scratch for this machine.
 * Needs the IOMMU set up first (the driver's max_hw_sectors depends on its mode).
 */
export function blk_init(max_sectors_kb: u32, mdts: u32, max_segments: u32, dma_alignment: u32): void {
  max_hw_bytes = nvme_max_hw_bytes(mdts);
  max_bytes = <u64>max_sectors_kb * 1024 < <u64>max_hw_bytes ? max_sectors_kb * 1024 : max_hw_bytes;
  const drv_segs = nvme_max_segments(max_hw_bytes);
  max_segs = max_segments < drv_segs ? max_segments : drv_segs;
  dma_align_mask = <u64>dma_alignment - 1;
  // Fresh each machine: the arena was reset under any earlier pointers.
  segs = mem_alloc(<usize>4096 * 16);
  carry = mem_alloc(<usize>4096 * 16);
  // Kept raid1 reads of an earlier machine pointed into the old arena.
  for (let i: u32 = 0; i < REQS_MAX; i++) unchecked((dio_keep[i] = 0));
  // So did requests an earlier machine left on blk-mq dispatch lists.
  blk_mq_init(blk_cmd_done);
}

import { QUEUE_LIMIT_MAX_HW_SECTORS_KB, QUEUE_LIMIT_MAX_SECTORS_KB, QUEUE_LIMIT_MAX_SEGMENTS } from "../sim/abi";

/** The queue limits in force (QUEUE_LIMIT_*): max_hw_sectors_kb, max_sectors_kb, max_segments, dma_alignment. */
export function blk_queue_limit(which: i32): u32 {
  if (which == QUEUE_LIMIT_MAX_HW_SECTORS_KB) return max_hw_bytes >> 10;
  if (which == QUEUE_LIMIT_MAX_SECTORS_KB) return max_bytes >> 10;
  if (which == QUEUE_LIMIT_MAX_SEGMENTS) return max_segs;
  return <u32>dma_align_mask + 1; // QUEUE_LIMIT_DMA_ALIGNMENT
}

// Per request (struct blkdev_dio), indexed by the request id of the layer above.
// The three words every request uses sit together, one record per request
// (one cache line where three arrays took three: with thousands of requests
// in flight, each is a likely cache miss).
const DIO_WORDS: u32 = 3;
const dio = new StaticArray<u32>(<i32>REQS_MAX * <i32>DIO_WORDS);
/** Commands of `req` still in flight. */
// @ts-ignore: decorator
@inline function dio_pending_get(req: u32): u32 {
  return unchecked(dio[req * DIO_WORDS]);
}
// @ts-ignore: decorator
@inline function dio_pending_set(req: u32, v: u32): void {
  unchecked((dio[req * DIO_WORDS] = v));
}
/** Bytes `req`'s finished commands moved. */
// @ts-ignore: decorator
@inline function dio_done_get(req: u32): u32 {
  return unchecked(dio[req * DIO_WORDS + 1]);
}
// @ts-ignore: decorator
@inline function dio_done_set(req: u32, v: u32): void {
  unchecked((dio[req * DIO_WORDS + 1] = v));
}
/** The first error of a split request (0: none). */
// @ts-ignore: decorator
@inline function dio_err_get(req: u32): i32 {
  return <i32>unchecked(dio[req * DIO_WORDS + 2]);
}
// @ts-ignore: decorator
@inline function dio_err_set(req: u32, v: i32): void {
  unchecked((dio[req * DIO_WORDS + 2] = <u32>v));
}
// md raid1 requests (struct r1bio): the array (+ 1; 0 for every other
// request), the legs issued and those that failed (a bit per mirror),
// commands outstanding per leg, the bio's size (what a write that reached
// one mirror returns) and whether it writes.
const dio_md = new StaticArray<u8>(REQS_MAX);
const dio_legs = new StaticArray<u32>(REQS_MAX);
const dio_leg_fail = new StaticArray<u32>(REQS_MAX);
const dio_leg_ok = new StaticArray<u32>(REQS_MAX); // legs whose every command succeeded
const dio_leg_cmds = new StaticArray<u32>(REQS_MAX * MEMBERS_MAX);
const dio_len = new StaticArray<u32>(REQS_MAX);
const dio_write = new StaticArray<bool>(REQS_MAX);
// An md raid1 read keeps its bio's memory, as the r1bio keeps the master
// bio, so that raid1d can send it to another mirror when a leg fails
// (handle_read_error → raid1_read_request with the failed mirror IO_BLOCKED):
// a block per request (0: none) with a header — capacity, pieces, a
// forwarded dma-buf's tables and pages, mirrors tried, the position, polled,
// premapped — and the (raw address, length) pieces, 16 bytes each.
const dio_keep = new StaticArray<usize>(REQS_MAX);
const KP_CAP: usize = 0; // u32
const KP_N: usize = 4; // u32
const KP_TAB: usize = 8; // usize
const KP_PAGES: usize = 16; // u32
const KP_TRIED: usize = 20; // u32
const KP_POS: usize = 24; // u64
const KP_POLLED: usize = 32; // u8
const KP_PREMAPPED: usize = 33; // u8
const KP_HDR: usize = 48;

/**
 * The end_io of a request whose last command completed: request, bytes done
 * or the first error, core. Registered once at machine set-up.
 */
let end_io: (req: u32, res: i32, core: i32) => void = end_io_unset;
function end_io_unset(req: u32, res: i32, core: i32): void {
  invariant_fail(INV_HOOK_UNSET, 101); // machine set-up did not register the block end_io
}
/** Register the completion of the layer above (machine set-up). */
export function blk_set_end_io(fn: (req: u32, res: i32, core: i32) => void): void {
  end_io = fn;
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
let b_submit_ns: u64 = 0;
let carry: usize = 0; // pieces moved to the next command by an aligned split
let b_lba_shift: u32 = 9; // the controller's, read once per bio (and clone) for every command's start LBA
let b_lba_mask: u32 = 511;
let b_bio_cmds: u32 = 0; // commands of the bio being built (a stacking driver's clone, or the whole request)
let b_leg: i32 = -1; // md raid1: the mirror the clone goes to, -1 otherwise

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
    // Kept by blk-mq when the driver lacks DMA resources: it completes later, like any issued command.
    const ret = blk_mq_issue(b_ctrl, b_core, b_polled, b_req, cmd_pos >> b_lba_shift, cmd_bytes, segs,
      nsegs, b_write, b_premapped);
    if (ret < 0) b_err = ret;
    else {
      if (b_bio_cmds > 0) charge(b_core, LAYER_BLOCK, cost(COST_BIO_SPLIT));
      b_bio_cmds++;
      dio_pending_set(b_req, dio_pending_get(b_req) + 1);
      if (b_leg >= 0) unchecked((dio_leg_cmds[b_req * MEMBERS_MAX + b_leg] += 1));
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
    bound(++guard, 1_000_000, INV_BIO_FEED);
  }
}


/**
 * Start a bio for request `req` at device byte `pos` (submit_bio); `submit_ns`
 * is when the request was submitted (for the trace).
 */
export function blk_begin(
  req: u32, c: i32, core: i32, polled: bool, write: bool, premapped: bool, pos: u64, submit_ns: u64,
): void {
  charge(core, LAYER_BLOCK, cost(COST_BIO));
  b_req = req;
  b_ctrl = c;
  b_lba_shift = nvme_lba_shift(c);
  b_lba_mask = (<u32>1 << b_lba_shift) - 1;
  b_core = core;
  b_polled = polled;
  b_write = write;
  b_premapped = premapped;
  b_err = 0;
  b_bio_cmds = 0;
  b_leg = -1;
  b_submit_ns = submit_ns;
  nsegs = 0;
  cmd_bytes = 0;
  cmd_pos = pos;
  dio_pending_set(req, 0);
  dio_done_set(req, 0);
  dio_err_set(req, 0);
  unchecked((dio_md[req] = 0));
}

/**
 * A stacking driver hands the next part of the bio begun by blk_begin to
 * controller `c` at device byte `pos`: a clone (dm's alloc_tio / md's
 * r1bio leg: bio_alloc_clone, the target's map, submit_bio_noacct) for
 * member `k` of stacked device `s`. The clone is split by the member's
 * queue limits like any bio; its commands count towards the same request.
 * For md raid1 (`mirror`), the leg's commands are counted on their own so
 * its end reaches md (md_leg_end).
 */
export function blk_clone(c: i32, pos: u64, s: i32, k: i32, mirror: bool): void {
  flush_cmd();
  charge(b_core, LAYER_BLOCK, cost(COST_BIO_CLONE));
  stacked_count_clone(s, k);
  b_ctrl = c;
  b_lba_shift = nvme_lba_shift(c);
  b_lba_mask = (<u32>1 << b_lba_shift) - 1;
  cmd_pos = pos;
  b_bio_cmds = 0;
  b_leg = -1;
  if (mirror) {
    b_leg = k;
    unchecked((dio_md[b_req] = <u8>(s + 1)));
    unchecked((dio_legs[b_req] = unchecked(dio_legs[b_req]) | (<u32>1 << <u32>k)));
    unchecked((dio_leg_cmds[b_req * MEMBERS_MAX + k] = 0));
  }
}

/**
 * md raid1 read `req` (begun by blk_begin) goes to mirror `k` first: keep
 * what a retry on another mirror needs (its pieces follow, blk_keep_piece).
 */
export function blk_mirror_read_keep(
  req: u32, pos: u64, polled: bool, premapped: bool, tab: usize, tab_pages: u32, k: i32,
): void {
  keep_free(req);
  const cap: u32 = 32;
  const b = blk_alloc(KP_HDR + <usize>cap * 16);
  store<u32>(b + KP_CAP, cap);
  store<u32>(b + KP_N, 0);
  store<usize>(b + KP_TAB, tab);
  store<u32>(b + KP_PAGES, tab_pages);
  store<u32>(b + KP_TRIED, <u32>1 << <u32>k);
  store<u64>(b + KP_POS, pos);
  store<u8>(b + KP_POLLED, polled ? 1 : 0);
  store<u8>(b + KP_PREMAPPED, premapped ? 1 : 0);
  unchecked((dio_keep[req] = b));
}

/** Keep one piece (as the stacking driver got it, before any member's translation) of the read being built. */
export function blk_keep_piece(addr: u64, len: u32): void {
  let b = unchecked(dio_keep[b_req]);
  const n = load<u32>(b + KP_N);
  const cap = load<u32>(b + KP_CAP);
  if (n == cap) {
    const nb = blk_alloc(KP_HDR + <usize>cap * 32);
    memory.copy(nb, b, KP_HDR + <usize>cap * 16);
    store<u32>(nb + KP_CAP, cap * 2);
    blk_free(b, KP_HDR + <usize>cap * 16);
    b = nb;
    unchecked((dio_keep[b_req] = b));
  }
  store<u64>(b + KP_HDR + <usize>n * 16, addr);
  store<u32>(b + KP_HDR + <usize>n * 16 + 8, len);
  store<u32>(b + KP_N, n + 1);
}

function keep_free(req: u32): void {
  const b = unchecked(dio_keep[req]);
  if (b == 0) return;
  blk_free(b, KP_HDR + <usize>load<u32>(b + KP_CAP) * 16);
  unchecked((dio_keep[req] = 0));
}

/**
 * raid1d's retry of a read whose leg on mirror `failed` of `s` failed: the
 * next mirror read_balance picks among those not tried yet gets a new clone
 * of the kept bio, its commands queued and the doorbell rung now (on the
 * completing core: dmasim runs raid1d's work there). False when no mirror
 * is left. fix_read_error's rewrite of the bad sectors is not modelled.
 */
function mirror_read_retry(req: u32, s: i32, core: i32): bool {
  const b = unchecked(dio_keep[req]);
  if (b == 0) return false;
  const tried = load<u32>(b + KP_TRIED);
  const pos = load<u64>(b + KP_POS);
  const k = md_read_balance(s, pos, <u64>unchecked(dio_len[req]), tried);
  if (k < 0) return false;
  store<u32>(b + KP_TRIED, tried | (<u32>1 << <u32>k));
  md_count_read_retry(s);
  b_req = req;
  b_core = core;
  b_polled = load<u8>(b + KP_POLLED) != 0;
  b_write = false;
  b_premapped = load<u8>(b + KP_PREMAPPED) != 0;
  b_err = 0;
  b_bio_cmds = 0;
  b_leg = -1;
  nsegs = 0;
  cmd_bytes = 0;
  blk_clone(stacked_member(s, k), pos, s, k, true);
  const tab = load<usize>(b + KP_TAB);
  const pages = <usize>load<u32>(b + KP_PAGES);
  const n = load<u32>(b + KP_N);
  for (let i: u32 = 0; i < n; i++) {
    let a = load<u64>(b + KP_HDR + <usize>i * 16);
    if (tab != 0) {
      a = load<u64>(tab + ((<usize>k * pages + <usize>(a >> PAGE_SHIFT)) << 3)) + (a & (<u64>PAGE_SIZE - 1));
    }
    blk_feed(a, load<u32>(b + KP_HDR + <usize>i * 16 + 8));
  }
  flush_cmd();
  nvme_commit_rqs(core);
  if (unchecked(dio_leg_cmds[req * MEMBERS_MAX + <u32>k]) == 0) {
    // Nothing could be queued: the leg ends at once.
    unchecked((dio_legs[req] = unchecked(dio_legs[req]) & ~(<u32>1 << <u32>k)));
    md_leg_end(s, k, false, false);
    return false;
  }
  return true;
}

/** md raid1: request `req` (begun by blk_begin) writes or reads `len` bytes; no leg yet. */
export function blk_mirror_begin(req: u32, write: bool, len: u32): void {
  unchecked((dio_legs[req] = 0));
  unchecked((dio_leg_fail[req] = 0));
  unchecked((dio_leg_ok[req] = 0));
  unchecked((dio_len[req] = len));
  unchecked((dio_write[req] = write));
}

/** Finish the bio: queue the last command; the result, or BLK_QUEUED. */
export function blk_end(): i32 {
  flush_cmd();
  if (tracing) {
    const t0 = b_submit_ns;
    trace_rec(TR_SUBMIT, t0, unchecked(core_time[b_core]) - t0, b_ctrl, b_req);
  }
  if (b_err != 0) {
    dio_err_set(b_req, b_err);
    // md raid1: a leg none of whose commands could be queued ends now.
    const md = <i32>unchecked(dio_md[b_req]);
    if (md != 0) {
      for (let k = 0; k < MEMBERS_MAX; k++) {
        const bit = (<u32>1 << <u32>k);
        if ((unchecked(dio_legs[b_req]) & bit) != 0 && unchecked(dio_leg_cmds[b_req * MEMBERS_MAX + <u32>k]) == 0) {
          unchecked((dio_legs[b_req] = unchecked(dio_legs[b_req]) & ~bit));
          md_leg_end(md - 1, k, false, unchecked(dio_write[b_req]));
        }
      }
    }
    // Commands already queued complete first; the request then fails.
    if (dio_pending_get(b_req) == 0) {
      keep_free(b_req);
      return b_err;
    }
  }
  return BLK_QUEUED;
}

/**
 * A command of `req` on controller `c`, hardware queue `q`, finished with
 * `res` (bytes or -errno); the last one ends the request.
 */
export function blk_cmd_done(req: u32, res: i32, core: i32, c: i32, q: i32): void {
  if (res < 0) {
    if (dio_err_get(req) == 0) dio_err_set(req, res);
    // A failed request is completed alone (nvme-pci batches only successful
    // ones): blk_mq_free_request → blk_mq_sched_restart of its queue.
    blk_mq_sched_restart(q, core);
  } else {
    dio_done_set(req, dio_done_get(req) + <u32>res);
  }
  assert(dio_pending_get(req) > 0, "block: a command completed for a request with none outstanding");
  const left = dio_pending_get(req) - 1;
  dio_pending_set(req, left);
  if (unchecked(dio_md[req]) != 0) {
    mirror_cmd_done(req, res, c, core);
    // A failed read leg may have been sent to another mirror.
    if (dio_pending_get(req) > 0) return;
    keep_free(req);
    // call_bio_endio: a request no leg completed is BLK_STS_IOERR, whatever
    // the legs' own errors; a write that reached one mirror succeeded
    // (R1BIO_Uptodate, set by raid1_end_write_request's first good leg).
    const ok = unchecked(dio_leg_ok[req]) != 0;
    const queued_err = dio_err_get(req);
    const res_all = ok ? <i32>unchecked(dio_len[req]) : (queued_err != 0 && unchecked(dio_leg_fail[req]) == 0 ? queued_err : -5);
    end_io(req, res_all, core);
    return;
  }
  if (left > 0) return;
  const err = dio_err_get(req);
  end_io(req, err != 0 ? err : <i32>dio_done_get(req), core);
}

/** A command of md raid1 request `req` on controller `c` ended: count it on its leg, end the leg with its last. */
function mirror_cmd_done(req: u32, res: i32, c: i32, core: i32): void {
  const k = stacked_leg_of(c);
  assert(k >= 0, "md: a command of a raid1 request on a controller in no array");
  const i = req * MEMBERS_MAX + <u32>k;
  if (res < 0) unchecked((dio_leg_fail[req] = unchecked(dio_leg_fail[req]) | (<u32>1 << <u32>k)));
  assert(unchecked(dio_leg_cmds[i]) > 0, "md: a leg's command count underflow");
  unchecked((dio_leg_cmds[i] -= 1));
  if (unchecked(dio_leg_cmds[i]) == 0) {
    if ((unchecked(dio_leg_fail[req]) & (<u32>1 << <u32>k)) == 0) {
      unchecked((dio_leg_ok[req] = unchecked(dio_leg_ok[req]) | (<u32>1 << <u32>k)));
    }
    const s = <i32>unchecked(dio_md[req]) - 1;
    const failed = (unchecked(dio_leg_fail[req]) & (<u32>1 << <u32>k)) != 0;
    md_leg_end(s, k, failed, unchecked(dio_write[req]));
    if (failed && !unchecked(dio_write[req]) && unchecked(dio_leg_ok[req]) == 0) mirror_read_retry(req, s, core);
  }
}
