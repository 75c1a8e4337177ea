// Stacked block devices (drivers/md): dm-linear, dm-stripe and md raid1 over
// the machine's NVMe namespaces. This file holds what the stacking drivers
// know — each device's table (members, chunk size, capacity), their
// remapping (linear_map, stripe_map_sector), md raid1's per-mirror state
// (nr_pending, next_seq_sect, Faulty) with read_balance and raid1_error —
// and the generic block-device queries (size, logical block) that are a
// stacked device's own or its namespace's. The submission path that clones
// and splits bios is dm.ts (above bio.ts); completion accounting per mirror
// leg is bio.ts's (blk_cmd_done), which calls md_leg_end here.
//
// Nothing here runs for a plain namespace: an fd of type FT_BLKDEV never
// reaches this file's tables, so the unstacked path costs what it did.

import { fd_obj_of, fd_type_of, FT_STACKED } from "../fs/files";
import { nvme_capacity_bytes, nvme_lba_shift } from "../nvme/pci";
import { CTRLS_MAX } from "../nvme/ctrl";
import * as abi from "../sim/abi";

/** Stacked devices a machine may have (/dev/dm-0 …, /dev/md0 …). */
export const STACKED_MAX: i32 = 8;
/** Members of one stacked device. */
export const MEMBERS_MAX: i32 = 8;

/** dm-linear: the members concatenated, one linear target each (linear_map). */
export const SK_LINEAR: i32 = abi.STACKED_KIND_LINEAR;
/** dm-stripe: RAID 0 over the members in chunks (stripe_map). */
export const SK_STRIPED: i32 = abi.STACKED_KIND_STRIPED;
/** md raid1: every member a mirror (raid1_write_request, raid1_read_request). */
export const SK_RAID1: i32 = abi.STACKED_KIND_RAID1;

const sd_live = new StaticArray<bool>(STACKED_MAX);
const sd_kind = new StaticArray<i32>(STACKED_MAX);
const sd_n = new StaticArray<i32>(STACKED_MAX);
const sd_member = new StaticArray<i32>(STACKED_MAX * MEMBERS_MAX); // controller of member k
const sd_start = new StaticArray<u64>(STACKED_MAX * (MEMBERS_MAX + 1)); // dm-linear: target k's first byte
const sd_chunk = new StaticArray<u64>(STACKED_MAX); // dm-stripe: chunk size, bytes
const sd_cap = new StaticArray<u64>(STACKED_MAX); // bytes
const sd_lba_shift = new StaticArray<u32>(STACKED_MAX);
const sd_forward = new StaticArray<bool>(STACKED_MAX); // dma-buf registration forwarded (a proposal)
// Clones (bios handed to a member) per member, for inspection.
const sd_clones = new StaticArray<u64>(STACKED_MAX * MEMBERS_MAX);
// md raid1, per mirror (struct raid1_info / md_rdev).
const md_faulty = new StaticArray<bool>(STACKED_MAX * MEMBERS_MAX); // test_bit(Faulty, &rdev->flags)
const md_pending = new StaticArray<u32>(STACKED_MAX * MEMBERS_MAX); // atomic_t rdev->nr_pending
const md_next_seq = new StaticArray<u64>(STACKED_MAX * MEMBERS_MAX); // mirror->next_seq_sect, in bytes
const md_broken = new StaticArray<bool>(STACKED_MAX); // MD_BROKEN: the last mirror failed and was kept
const md_read_retries = new StaticArray<u64>(STACKED_MAX); // reads raid1d sent to another mirror
// The stacked device and member index a controller belongs to (a member is
// claimed by one holder only, as bd_prepare_to_claim allows), -1 if none.
const ctrl_sd = new StaticArray<i32>(CTRLS_MAX);
const ctrl_leg = new StaticArray<i32>(CTRLS_MAX);

/** A fresh machine: no stacked devices. */
export function stacked_init(): void {
  for (let s = 0; s < STACKED_MAX; s++) unchecked((sd_live[s] = false));
  for (let c = 0; c < CTRLS_MAX; c++) {
    unchecked((ctrl_sd[c] = -1));
    unchecked((ctrl_leg[c] = -1));
  }
}

/**
 * Create stacked device `s` of `kind` over the `n` controllers (i32 each) at
 * `members`, with `chunk_bytes` for dm-stripe, and whether a dma-buf
 * registration on it is forwarded to the members. Its queue limits stack as
 * blk_stack_limits does: the largest logical block; its size is the
 * members' sum (linear), n whole chunks of the smallest member (stripe: the
 * target length must divide into stripes and chunks, so the tail of each
 * member past the last whole chunk is unused) or the smallest member (raid1,
 * with the md superblock at the end: metadata 1.0, data offset 0).
 * The caller (src/system.ts) has checked the arguments; returns 0.
 */
export function stacked_setup(s: i32, kind: i32, members: usize, n: i32, chunk_bytes: f64, forward: bool): i32 {
  assert(s >= 0 && s < STACKED_MAX && n >= 1 && n <= MEMBERS_MAX, "stacked: bad set-up");
  unchecked((sd_live[s] = true));
  unchecked((sd_kind[s] = kind));
  unchecked((sd_n[s] = n));
  unchecked((sd_chunk[s] = <u64>chunk_bytes));
  unchecked((sd_forward[s] = forward));
  unchecked((md_broken[s] = false));
  unchecked((md_read_retries[s] = 0));
  let shift: u32 = 0;
  let min_cap: u64 = u64.MAX_VALUE;
  let sum: u64 = 0;
  for (let k = 0; k < n; k++) {
    const c = load<i32>(members + <usize>k * 4);
    const i = s * MEMBERS_MAX + k;
    unchecked((sd_member[i] = c));
    unchecked((sd_clones[i] = 0));
    unchecked((md_faulty[i] = false));
    unchecked((md_pending[i] = 0));
    unchecked((md_next_seq[i] = u64.MAX_VALUE));
    unchecked((ctrl_sd[c] = s));
    unchecked((ctrl_leg[c] = k));
    if (nvme_lba_shift(c) > shift) shift = nvme_lba_shift(c);
    const cap = nvme_capacity_bytes(c);
    unchecked((sd_start[s * (MEMBERS_MAX + 1) + k] = sum));
    sum += cap;
    if (cap < min_cap) min_cap = cap;
  }
  unchecked((sd_start[s * (MEMBERS_MAX + 1) + n] = sum));
  unchecked((sd_lba_shift[s] = shift));
  let cap: u64 = sum;
  if (kind == SK_STRIPED) cap = (min_cap / <u64>chunk_bytes) * <u64>chunk_bytes * <u64>n;
  else if (kind == SK_RAID1) cap = min_cap;
  unchecked((sd_cap[s] = cap));
  return 0;
}

export function stacked_kind(s: i32): i32 {
  return unchecked(sd_kind[s]);
}
export function stacked_members(s: i32): i32 {
  return unchecked(sd_n[s]);
}
/** Controller of member `k` of stacked device `s`. */
export function stacked_member(s: i32, k: i32): i32 {
  return unchecked(sd_member[s * MEMBERS_MAX + k]);
}
export function stacked_capacity_bytes(s: i32): u64 {
  return unchecked(sd_cap[s]);
}
export function stacked_lba_shift(s: i32): u32 {
  return unchecked(sd_lba_shift[s]);
}
/** Whether a dma-buf registration on `s` is forwarded to its members (the thread's proposal). */
export function stacked_forwarding(s: i32): bool {
  return unchecked(sd_forward[s]);
}
/** The member index controller `c` is in its stacked device, -1 if it is in none. */
export function stacked_leg_of(c: i32): i32 {
  return unchecked(ctrl_leg[c]);
}

/** Count a clone to member `k` of `s`. */
export function stacked_count_clone(s: i32, k: i32): void {
  unchecked((sd_clones[s * MEMBERS_MAX + k] += 1));
}

import {
  STACKED_STAT_BROKEN, STACKED_STAT_CLONES, STACKED_STAT_FAULTY, STACKED_STAT_MEMBER, STACKED_STAT_PENDING,
  STACKED_STAT_READ_RETRIES, STACKED_STAT_SIZE_BYTES,
} from "../sim/abi";

/**
 * Inspection of member `k` of `s`: 0 clones issued to it, 1 Faulty (md
 * raid1), 2 nr_pending, 3 MD_BROKEN (the array's, any k), 4 size in bytes
 * (the device's, any k), 5 its controller, 6 reads retried on another mirror (the
 * array's, any k).
 */
export function stacked_stat(s: i32, k: i32, which: i32): f64 {
  const i = s * MEMBERS_MAX + k;
  switch (which) {
    case STACKED_STAT_CLONES: return <f64>unchecked(sd_clones[i]);
    case STACKED_STAT_FAULTY: return unchecked(md_faulty[i]) ? 1 : 0;
    case STACKED_STAT_PENDING: return <f64>unchecked(md_pending[i]);
    case STACKED_STAT_BROKEN: return unchecked(md_broken[s]) ? 1 : 0;
    case STACKED_STAT_SIZE_BYTES: return <f64>unchecked(sd_cap[s]);
    case STACKED_STAT_MEMBER: return <f64>unchecked(sd_member[i]);
    case STACKED_STAT_READ_RETRIES: return <f64>unchecked(md_read_retries[s]);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Generic block-device queries (bdev_logical_block_size, bdev_nr_bytes)

/** log2 of the logical block size of the block device behind `fd`. */
export function bdev_lba_shift(fd: i32): u32 {
  const o = fd_obj_of(fd);
  return fd_type_of(fd) == FT_STACKED ? unchecked(sd_lba_shift[o]) : nvme_lba_shift(o);
}

/** Size in bytes of the block device behind `fd`. */
export function bdev_capacity_bytes(fd: i32): u64 {
  const o = fd_obj_of(fd);
  return fd_type_of(fd) == FT_STACKED ? unchecked(sd_cap[o]) : nvme_capacity_bytes(o);
}

// ---------------------------------------------------------------------------
// dm-linear and dm-stripe remapping

/** Set by stacked_map: the byte on the member, and bytes to the next target or chunk boundary. */
export let map_pos: u64 = 0;
export let map_run: u64 = 0;

/**
 * Remap byte `pos` of dm device `s` to a member (returned, an index) and a
 * position on it (map_pos), with the bytes left before the boundary the bio
 * must be split at (map_run: max_io_len, then dm_accept_partial_bio).
 * dm-linear: linear_map_sector (lc->start + dm_target_offset), the boundary
 * is the target's end. dm-stripe: stripe_map_sector — chunk = pos / chunk
 * size, stripe = chunk % stripes, chunk /= stripes, then chunk * chunk size
 * + the offset in the chunk; the boundary is the chunk's end
 * (ti->max_io_len = chunk_size).
 */
export function stacked_map(s: i32, pos: u64): i32 {
  const n = unchecked(sd_n[s]);
  if (unchecked(sd_kind[s]) == SK_STRIPED) {
    const cb = unchecked(sd_chunk[s]);
    const chunk = pos / cb;
    const off = pos - chunk * cb;
    map_pos = (chunk / <u64>n) * cb + off;
    map_run = cb - off;
    return <i32>(chunk % <u64>n);
  }
  const b = s * (MEMBERS_MAX + 1);
  let k = 0;
  while (k < n - 1 && pos >= unchecked(sd_start[b + k + 1])) k++;
  map_pos = pos - unchecked(sd_start[b + k]);
  map_run = unchecked(sd_start[b + k + 1]) - pos;
  return k;
}

// ---------------------------------------------------------------------------
// md raid1

/** Whether mirror `k` of `s` may take I/O (not Faulty). */
export function md_in_sync(s: i32, k: i32): bool {
  return !unchecked(md_faulty[s * MEMBERS_MAX + k]);
}

/**
 * read_balance for a read of `len` bytes at `pos` (drivers/md/raid1.c,
 * choose_best_rdev, every member non-rotational): Faulty mirrors are
 * skipped; a mirror whose last read ended where this one starts
 * (is_sequential) keeps it — should_choose_next is false when the member's
 * io_opt is 0, as for NVMe namespaces reporting no NOWS — otherwise the
 * mirror with the fewest requests pending (rdev->nr_pending), the lowest
 * index on a tie. update_read_sectors then takes a pending reference and
 * records where the read ends. Mirrors with a bit in `blocked` are skipped
 * too (a retry's IO_BLOCKED mirrors). -1 when no mirror is usable.
 */
export function md_read_balance(s: i32, pos: u64, len: u64, blocked: u32): i32 {
  const n = unchecked(sd_n[s]);
  const b = s * MEMBERS_MAX;
  let best = -1;
  let min_pending: u32 = u32.MAX_VALUE;
  for (let k = 0; k < n; k++) {
    if (unchecked(md_faulty[b + k]) || (blocked & (<u32>1 << <u32>k)) != 0) continue;
    if (unchecked(md_next_seq[b + k]) == pos) {
      best = k;
      break;
    }
    const p = unchecked(md_pending[b + k]);
    if (p < min_pending) {
      min_pending = p;
      best = k;
    }
  }
  if (best >= 0) {
    unchecked((md_pending[b + best] += 1));
    unchecked((md_next_seq[b + best] = pos + len));
  }
  return best;
}

/** Count a read raid1d retried on another mirror of `s`. */
export function md_count_read_retry(s: i32): void {
  unchecked((md_read_retries[s] += 1));
}

/** raid1_write_request: a write leg to mirror `k` takes a pending reference (atomic_inc(&rdev->nr_pending)). */
export function md_write_leg(s: i32, k: i32): void {
  unchecked((md_pending[s * MEMBERS_MAX + k] += 1));
}

/**
 * A leg of a raid1 request on mirror `k` ended (raid1_end_{read,write}_request
 * → rdev_dec_pending). A failed write leg ends in md_error (raid1_error):
 * handle_write_finished's narrow_write_error cannot record bad blocks —
 * dmasim models no bad-block log — so the mirror is marked Faulty, unless it
 * is the array's last working one, which raid1_error keeps In_sync and marks
 * the array MD_BROKEN instead (fail_last_dev off).
 */
export function md_leg_end(s: i32, k: i32, failed: bool, write: bool): void {
  const i = s * MEMBERS_MAX + k;
  assert(unchecked(md_pending[i]) > 0, "md: nr_pending underflow");
  unchecked((md_pending[i] -= 1));
  if (!failed || !write || unchecked(md_faulty[i])) return;
  let working = 0;
  const n = unchecked(sd_n[s]);
  for (let m = 0; m < n; m++) if (!unchecked(md_faulty[s * MEMBERS_MAX + m])) working++;
  if (working <= 1) {
    unchecked((md_broken[s] = true));
    return;
  }
  unchecked((md_faulty[i] = true));
}
