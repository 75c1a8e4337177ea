// The stacking drivers' submission path: a bio sent to a stacked device is
// cloned and split onto its members, then each clone goes through the
// members' own queues (bio.ts: split by their limits, nvme_queue_rq).
//
// - dm-linear and dm-stripe (drivers/md/dm.c dm_submit_bio →
//   dm_split_and_process_bio → __split_and_process_bio): each pass clones
//   as much of the bio as the target takes before its boundary
//   (max_io_len: the linear target's end, the stripe's chunk end; what is
//   left is the rest of the bio, split off and resubmitted), remapped by the
//   target's map (linear_map, stripe_map) onto one member.
// - md raid1 (drivers/md/raid1.c raid1_make_request): a read goes to one
//   mirror chosen by read_balance; a write is cloned to every mirror that is
//   not Faulty (raid1_write_request), and completes when every leg has
//   (r1_bio->remaining; bio.ts counts the legs).
//
// The layer above feeds the bio's memory once per pass (dm_begin returns
// how many): the mirrors of a raid1 write each get the whole bio, as the
// clones share the original's bio_vecs. The pieces are physical addresses,
// or — for a dma-buf registration forwarded to the members (the design from
// the LSF/MM thread, not v3) — byte offsets into the dma-buf, which each
// clone turns into its own member's map's DMA addresses.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { bound, INV_BIO_FEED } from "../sim/errors";
import { blk_begin, blk_clone, blk_end, blk_feed, blk_mirror_begin, blk_mirror_read_keep, blk_keep_piece } from "./bio";
import {
  map_pos, map_run, md_in_sync, md_read_balance, md_write_leg, MEMBERS_MAX, SK_RAID1, stacked_kind, stacked_map,
  stacked_member, stacked_members,
} from "./stacked";

let d_s: i32 = 0;
let d_raid1: bool = false;
let d_write: bool = false;
let d_pos: u64 = 0; // the bio's first byte on the stacked device
let d_lpos: u64 = 0; // the stacked device's byte the next piece is for
let d_end: u64 = 0; // end of the current clone (dm: the target or chunk boundary)
let d_k: i32 = 0; // member of the current clone
let d_passes: i32 = 0;
const d_pass_k = new StaticArray<i32>(MEMBERS_MAX); // raid1: the mirror of each pass
let d_tab: usize = 0; // forwarded dma-buf: per member, a u64 DMA address per page (0: pieces are addresses)
let d_tab_pages: u32 = 0;

/**
 * Start a bio of `len` bytes at byte `pos` of stacked device `s` for request
 * `req` (submit_bio into dm or md). `tab` is a forwarded dma-buf map (for
 * each member in order, `tab_pages` DMA addresses), 0 otherwise. Returns the
 * passes the caller feeds the bio's memory for (dm_pass each, then
 * dm_feed), or -EIO when md has no mirror left to read from.
 */
export function dm_begin(
  req: u32, s: i32, core: i32, polled: bool, write: bool, premapped: bool, pos: u64, len: u32, submit_ns: u64,
  tab: usize, tab_pages: u32,
): i32 {
  d_s = s;
  d_raid1 = stacked_kind(s) == SK_RAID1;
  d_write = write;
  d_pos = pos;
  d_tab = tab;
  d_tab_pages = tab_pages;
  blk_begin(req, stacked_member(s, 0), core, polled, write, premapped, pos, submit_ns);
  if (!d_raid1) {
    d_passes = 1;
    return 1;
  }
  blk_mirror_begin(req, write, len);
  d_passes = 0;
  if (write) {
    const n = stacked_members(s);
    for (let k = 0; k < n; k++) {
      if (!md_in_sync(s, k)) continue;
      md_write_leg(s, k);
      unchecked((d_pass_k[d_passes++] = k));
    }
  } else {
    const k = md_read_balance(s, pos, <u64>len, 0);
    if (k >= 0) {
      unchecked((d_pass_k[d_passes++] = k));
      // The r1bio keeps the master bio: a failed read is retried on another mirror.
      blk_mirror_read_keep(req, pos, polled, premapped, tab, tab_pages, k);
    }
  }
  return d_passes > 0 ? d_passes : -5;
}

/** Start pass `i`: md raid1 clones the bio to its mirror now; dm clones as the pieces reach each target. */
export function dm_pass(i: i32): void {
  d_lpos = d_pos;
  d_end = d_pos;
  if (d_raid1) {
    d_k = unchecked(d_pass_k[i]);
    blk_clone(stacked_member(d_s, d_k), d_pos, d_s, d_k, true);
  }
}

/** The address a piece at `addr` has for member `k`: a forwarded map's DMA address, or itself. */
// @ts-ignore: decorator
@inline function xlate(addr: u64, k: i32): u64 {
  if (d_tab == 0) return addr;
  return load<u64>(d_tab + ((<usize>k * <usize>d_tab_pages + <usize>(addr >> PAGE_SHIFT)) << 3)) +
    (addr & (<u64>PAGE_SIZE - 1));
}

/**
 * The next piece of the bio's memory: `len` bytes at `addr` (within one
 * page). dm splits it where the target or chunk ends and clones the rest to
 * the next member; md raid1 feeds the pass's mirror.
 */
export function dm_feed(addr: u64, len: u32): void {
  if (d_raid1) {
    if (!d_write) blk_keep_piece(addr, len);
    blk_feed(xlate(addr, d_k), len);
    return;
  }
  let guard: u32 = 0;
  while (len > 0) {
    bound(++guard, 1_000_000, INV_BIO_FEED);
    if (d_lpos == d_end) {
      d_k = stacked_map(d_s, d_lpos);
      blk_clone(stacked_member(d_s, d_k), map_pos, d_s, d_k, false);
      d_end = d_lpos + map_run;
    }
    const room = d_end - d_lpos;
    const n: u32 = <u64>len < room ? len : <u32>room;
    blk_feed(xlate(addr, d_k), n);
    addr += n;
    len -= n;
    d_lpos += n;
  }
}

/** Finish the bio: the result, or BLK_QUEUED. */
export function dm_end(): i32 {
  return blk_end();
}
