// io_uring's dma-buf importer (the series' lib/io_dmabuf_token.c and its
// io_uring side): a token per registration, attached to one dma-buf and one
// target file; a map created for it through the NVMe driver's map op
// (nvme/dmabuf_map.ts); requests taking a reference on the live map; and
// invalidation (move_notify) with fences, parked requests and the io-wq
// worker that remaps and reissues them.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { blk_alloc, blk_free } from "../sim/mem";
import { charge, core_catch_up, core_time, ev_push, EV_WORKER, LAYER_DMABUF, LAYER_URING } from "../sim/engine";
import {
  cost, COST_DMABUF_MAP_BASE, COST_DMABUF_MAP_PAGE, COST_FENCE, COST_TOKEN_LOOKUP, COST_TOKEN_REF_GET,
  COST_TOKEN_REF_PUT, COST_WORKER_PUNT,
} from "../sim/costs";
import * as u from "../sim/uapi";
import { nvme_commit_rqs } from "../nvme/pci";
import { nvme_dmabuf_map, nvme_dmabuf_unmap } from "../nvme/dmabuf_map";
import { blk_begin, blk_end, blk_feed } from "../block/bio";
import { stacked_member, stacked_members } from "../block/stacked";
import { dm_begin, dm_end, dm_feed, dm_pass } from "../block/dm";
import {
  db_migrations, db_migrations_failed, dmabuf_fence_add, dmabuf_fence_signal, dmabuf_fences_pending, dmabuf_get,
  dmabuf_migrate, dmabuf_migrating, dmabuf_npages, dmabuf_p2p_direct, dmabuf_pages, dmabuf_put,
} from "../dmabuf/dmabuf";
import {
  io_req_complete, IOU_ISSUE_SKIP_COMPLETE, ring_core, ring_flags, rq, RQ_ADDR, RQ_LEN, RQ_FLAGS, REQ_F_FORCE_ASYNC,
  RQ_MAP, RQ_OFF, RQ_OP_FLAGS, RQ_OPCODE, RQ_RFD, RQ_RING, RQ_SUBMIT_NS,
} from "./ring";
import { rw_check_block, rw_clamped_len } from "./rw_check";
import { ASSERTS, bound, fail, INV_DMABUF_FEED, INV_PARKED_FAIL, INV_PARKED_ISSUE, SIM_ERR_MAPS } from "../sim/errors";

export const TOKENS_MAX: i32 = 1024;
export const MAPS_MAX: i32 = 4096;

// ---- tokens (struct io_dmabuf_token) -------------------------------------------
const tk_live = new StaticArray<bool>(TOKENS_MAX);
const tk_dmabuf = new StaticArray<i32>(TOKENS_MAX);
const tk_file = new StaticArray<u32>(TOKENS_MAX); // target struct file id
const tk_ctrl = new StaticArray<i32>(TOKENS_MAX);
const tk_map = new StaticArray<i32>(TOKENS_MAX); // the published map, -1 none
const tk_slots = new StaticArray<u32>(TOKENS_MAX); // buffer-table slots holding it
const tk_maps = new StaticArray<u32>(TOKENS_MAX); // maps alive (published or dying)
const tk_fences = new StaticArray<u32>(TOKENS_MAX); // fences published, not yet signalled
const tk_seq = new StaticArray<u32>(TOKENS_MAX); // fence sequence number
const tk_wait_head = new StaticArray<u32>(TOKENS_MAX); // parked requests (req + 1)
const tk_wait_tail = new StaticArray<u32>(TOKENS_MAX);
const tk_worker = new StaticArray<bool>(TOKENS_MAX); // a worker event is pending
const tk_core = new StaticArray<i32>(TOKENS_MAX); // core the worker runs on
const tk_acct = new StaticArray<u64>(TOKENS_MAX); // bytes charged to the user's dma-buf limit
// A registration on a stacked device forwarded to its members (the LSF/MM
// thread's proposal): the stacked device's index, -1 for a namespace.
const tk_stack = new StaticArray<i32>(TOKENS_MAX);

// ---- registration policy (a proposal from the LSF/MM session, off by default) ----
// David Howells asked whether dma-buf registration needs privilege, since
// long-lived maps can clog the IOMMU's address space; Pavel Begunkov agreed
// that some capability check is needed (LWN 2026-05-12). Keith Busch's 2022
// premapped-buffer series required CAP_SYS_ADMIN. The model offers both a
// capability requirement (checked by the control path, src/kernel/rsrc.ts)
// and a per-user byte limit charged like io_uring's RLIMIT_MEMLOCK accounting
// (__io_account_mem: -ENOMEM past the limit), kept here because a token's
// bytes are given back when its last map goes, on the I/O path.
let pol_limit_bytes: u64 = 0; // 0: no limit
/** Bytes of registered dma-bufs charged to the (one) simulated user. */
let db_user_locked_bytes: u64 = 0;

// ---- maps (struct io_dmabuf_map + the nvme map) ---------------------------------
const mp_live = new StaticArray<bool>(MAPS_MAX);
const mp_token = new StaticArray<i32>(MAPS_MAX);
const mp_refs = new StaticArray<u32>(MAPS_MAX);
const mp_dead = new StaticArray<bool>(MAPS_MAX);
const mp_dma = new StaticArray<usize>(MAPS_MAX); // u64[] device address per 4 KiB page
const mp_npages = new StaticArray<u32>(MAPS_MAX);
const mp_iova = new StaticArray<u64>(MAPS_MAX); // IOMMU range base (0: none)
// A forwarded map: one map per member, their tables one after the other in
// mp_dma, their IOVA bases in a u64 per member here (0: a namespace's map).
const mp_iovas = new StaticArray<usize>(MAPS_MAX);

/** Counters (src/system.ts DMABUF_COUNTERS). */
export let db_maps_created: u64 = 0;
export let db_maps_freed: u64 = 0;
export let db_invalidations: u64 = 0;
export let db_waits: u64 = 0;
export let db_remaps: u64 = 0;
export let db_eagain: u64 = 0;
export let db_fences_signalled: u64 = 0;

/** Requests parked on a token link through this request field. */
const RQ_WAIT_NEXT: u32 = 116;
const RQ_WAITED: u32 = 120; // u8: times the request was parked

/** Importer-side set-up of a fresh machine: no tokens, no maps, counters at zero. */
export function io_dmabuf_init(): void {
  for (let i = 0; i < TOKENS_MAX; i++) unchecked((tk_live[i] = false));
  pol_limit_bytes = 0;
  db_user_locked_bytes = 0;
  for (let i = 0; i < MAPS_MAX; i++) unchecked((mp_live[i] = false));
  db_maps_created = 0;
  db_maps_freed = 0;
  db_invalidations = 0;
  db_waits = 0;
  db_remaps = 0;
  db_eagain = 0;
  db_fences_signalled = 0;
}

// ---------------------------------------------------------------------------
// Tokens and maps

/** create_dmabuf_token: a token on dma-buf `d` for target file `file` (controller `c`); -1 when none is left. */
export function token_new(d: i32, file: u32, c: i32, core: i32): i32 {
  for (let t = 0; t < TOKENS_MAX; t++) {
    if (!unchecked(tk_live[t])) {
      unchecked((tk_live[t] = true));
      dmabuf_get(d);
      unchecked((tk_dmabuf[t] = d));
      unchecked((tk_file[t] = file));
      unchecked((tk_ctrl[t] = c));
      unchecked((tk_map[t] = -1));
      unchecked((tk_slots[t] = 1));
      unchecked((tk_maps[t] = 0));
      unchecked((tk_fences[t] = 0));
      unchecked((tk_seq[t] = 0));
      unchecked((tk_wait_head[t] = 0));
      unchecked((tk_wait_tail[t] = 0));
      unchecked((tk_worker[t] = false));
      unchecked((tk_core[t] = core));
      unchecked((tk_acct[t] = 0));
      unchecked((tk_stack[t] = -1));
      return t;
    }
  }
  return -1;
}

/**
 * Token `t` is for stacked device `s`, forwarded to its members (the
 * LSF/MM thread's design): its maps are made of one map per member.
 */
export function token_set_stacked(t: i32, s: i32): void {
  unchecked((tk_stack[t] = s));
}

/** Policy (proposal): would charging `bytes` more to the user pass the limit? */
export function dmabuf_reg_over_limit(bytes: u64): bool {
  return pol_limit_bytes != 0 && db_user_locked_bytes + bytes > pol_limit_bytes;
}

/** Charge token `t`'s registration of `bytes` to the user (given back when the token goes). */
export function token_charge(t: i32, bytes: u64): void {
  unchecked((tk_acct[t] += bytes));
  db_user_locked_bytes += bytes;
}

/** The registration policy's byte limit (a proposal, see above): registered dma-buf bytes per user, 0 none. */
export function dmabuf_set_policy(limit_bytes: f64): void {
  pol_limit_bytes = <u64>limit_bytes;
}

/** Bytes of registered dma-bufs charged to the user now. */
export function dmabuf_user_locked_bytes(): f64 {
  return <f64>db_user_locked_bytes;
}

/** The struct file id a token's target is. */
export function token_file(t: i32): u32 {
  return unchecked(tk_file[t]);
}

/**
 * Create token `t`'s map: the NVMe driver's map op DMA-maps the
 * attachment's sg_table once and flattens it into one device address per
 * 4 KiB page.
 */
function map_create(t: i32, core: i32): i32 {
  let m = -1;
  for (let i = 0; i < MAPS_MAX; i++) {
    if (!unchecked(mp_live[i])) {
      m = i;
      break;
    }
  }
  if (m < 0) fail(SIM_ERR_MAPS, <i64>MAPS_MAX);
  const d = unchecked(tk_dmabuf[t]);
  const n = dmabuf_npages(d);
  const s = unchecked(tk_stack[t]);
  let dma: usize = 0;
  let iova: u64 = 0;
  let iovas: usize = 0;
  if (s >= 0) {
    // Forwarded to the members: each attaches and maps the dma-buf for its
    // own device (its own IOMMU domain), one table of DMA addresses each.
    const nm = stacked_members(s);
    dma = blk_alloc(<usize>nm * <usize>n * 8);
    iovas = blk_alloc(<usize>nm * 8);
    for (let k = 0; k < nm; k++) {
      charge(core, LAYER_DMABUF, cost(COST_DMABUF_MAP_BASE) + cost(COST_DMABUF_MAP_PAGE) * <u64>n);
      const r = nvme_dmabuf_map(stacked_member(s, k), core, dmabuf_pages(d), n, dmabuf_p2p_direct(d),
        dma + <usize>k * <usize>n * 8);
      if (r < 0) {
        for (let j = 0; j < k; j++) nvme_dmabuf_unmap(stacked_member(s, j), core, load<u64>(iovas + <usize>j * 8), n);
        blk_free(dma, <usize>nm * <usize>n * 8);
        blk_free(iovas, <usize>nm * 8);
        return <i32>r;
      }
      store<u64>(iovas + <usize>k * 8, <u64>r);
    }
  } else {
    charge(core, LAYER_DMABUF, cost(COST_DMABUF_MAP_BASE) + cost(COST_DMABUF_MAP_PAGE) * <u64>n);
    dma = blk_alloc(<usize>n * 8);
    const mapped = nvme_dmabuf_map(unchecked(tk_ctrl[t]), core, dmabuf_pages(d), n, dmabuf_p2p_direct(d), dma);
    if (mapped < 0) {
      blk_free(dma, <usize>n * 8);
      return <i32>mapped;
    }
    iova = <u64>mapped;
  }
  unchecked((mp_live[m] = true));
  unchecked((mp_token[m] = t));
  unchecked((mp_refs[m] = 0));
  unchecked((mp_dead[m] = false));
  unchecked((mp_dma[m] = dma));
  unchecked((mp_npages[m] = n));
  unchecked((mp_iova[m] = iova));
  unchecked((mp_iovas[m] = iovas));
  unchecked((tk_map[t] = m));
  unchecked((tk_maps[t] += 1));
  if (db_maps_created > 0 && unchecked(tk_seq[t]) > 0) db_remaps++;
  db_maps_created++;
  return m;
}

/** The last reference to a dead map dropped: the fence signals, the driver unmaps, the map is freed. */
function map_release(m: i32, core: i32): void {
  const t = unchecked(mp_token[m]);
  charge(core, LAYER_DMABUF, cost(COST_FENCE));
  db_fences_signalled++;
  const n = unchecked(mp_npages[m]);
  const iova = unchecked(mp_iova[m]);
  const iovas = unchecked(mp_iovas[m]);
  if (iovas != 0) {
    // A forwarded map: every member unmaps its own.
    const s = unchecked(tk_stack[t]);
    const nm = stacked_members(s);
    for (let k = 0; k < nm; k++) nvme_dmabuf_unmap(stacked_member(s, k), core, load<u64>(iovas + <usize>k * 8), n);
    blk_free(unchecked(mp_dma[m]), <usize>nm * <usize>n * 8);
    blk_free(iovas, <usize>nm * 8);
  } else {
    nvme_dmabuf_unmap(unchecked(tk_ctrl[t]), core, iova, n);
    blk_free(unchecked(mp_dma[m]), <usize>n * 8);
  }
  unchecked((mp_live[m] = false));
  db_maps_freed++;
  assert(unchecked(tk_fences[t]) > 0 && unchecked(tk_maps[t]) > 0, "dmabuf token: fence or map count underflow");
  unchecked((tk_fences[t] -= 1));
  unchecked((tk_maps[t] -= 1));
  const d = unchecked(tk_dmabuf[t]);
  dmabuf_fence_signal(d);
  if (unchecked(tk_fences[t]) == 0) {
    if (dmabuf_migrating(d) && dmabuf_fences_pending(d) == 0) dmabuf_migrate(d, core);
    if (unchecked(tk_wait_head[t]) != 0) worker_schedule(t, unchecked(core_time[core]));
  }
  token_maybe_free(t);
}

/** Invalidate token `t`'s map: unpublish it, publish its fence, kill the reference. */
function token_invalidate(t: i32, core: i32): void {
  const m = unchecked(tk_map[t]);
  if (m < 0) return;
  unchecked((tk_map[t] = -1));
  unchecked((mp_dead[m] = true));
  unchecked((tk_fences[t] += 1));
  assert(unchecked(tk_fences[t]) <= unchecked(tk_maps[t]), "dmabuf token: more fences than maps");
  dmabuf_fence_add(unchecked(tk_dmabuf[t]));
  unchecked((tk_seq[t] += 1));
  charge(core, LAYER_DMABUF, cost(COST_FENCE));
  db_invalidations++;
  if (unchecked(mp_refs[m]) == 0) map_release(m, core);
}

function token_maybe_free(t: i32): void {
  // A token already freed (map_release frees it when its last map goes, and
  // the slot release that started it then asks again) drops nothing twice.
  if (!unchecked(tk_live[t])) return;
  if (unchecked(tk_slots[t]) == 0 && unchecked(tk_maps[t]) == 0 && unchecked(tk_wait_head[t]) == 0) {
    // All fences signalled: detach from the dma-buf, and give back what the registration was charged.
    assert(unchecked(tk_fences[t]) == 0, "dmabuf token: freed with a fence unsignalled");
    unchecked((tk_live[t] = false));
    assert(db_user_locked_bytes >= unchecked(tk_acct[t]));
    db_user_locked_bytes -= unchecked(tk_acct[t]);
    unchecked((tk_acct[t] = 0));
    dmabuf_put(unchecked(tk_dmabuf[t]));
  }
}

/**
 * move_notify (the importer op the exporter calls, registered at machine
 * set-up): invalidate every token's mapping of dma-buf `d`.
 */
export function io_dmabuf_move_notify(d: i32, core: i32): void {
  for (let t = 0; t < TOKENS_MAX; t++) {
    if (unchecked(tk_live[t]) && unchecked(tk_dmabuf[t]) == d) token_invalidate(t, core);
  }
}

/** The exporter finished (or gave up) moving `d`: importers that waited for it can map it now. */
export function io_dmabuf_moved(d: i32, core: i32): void {
  for (let t = 0; t < TOKENS_MAX; t++) {
    if (unchecked(tk_live[t]) && unchecked(tk_dmabuf[t]) == d && unchecked(tk_wait_head[t]) != 0 &&
      unchecked(tk_fences[t]) == 0) {
      worker_schedule(t, unchecked(core_time[core]));
    }
  }
}

/** A slot holding token `t` was emptied, replaced or unregistered. */
export function io_dmabuf_slot_put(t: i32): void {
  if (t < 0 || !unchecked(tk_live[t])) return;
  assert(unchecked(tk_slots[t]) > 0, "dmabuf token: slot count underflow");
  unchecked((tk_slots[t] -= 1));
  if (unchecked(tk_slots[t]) == 0) {
    // Drop the map: in-flight requests keep it until they complete; then
    // its fence signals and the driver unmaps.
    token_invalidate(t, unchecked(tk_core[t]));
    token_maybe_free(t);
  }
}

// ---------------------------------------------------------------------------
// The I/O path

/**
 * Import a READ_FIXED / WRITE_FIXED on a dma-buf slot: SQE addr is a byte
 * offset into the dma-buf. Then the block-device checks, a reference on the
 * live map, and the commands built from the map's page addresses. The ring,
 * core, resolved fd, opcode, offset and length come from io_rw_issue, which
 * has just read them (not read back from the request).
 */
export function dmabuf_import(
  req: u32, id: i32, core: i32, fd: i32, op: u8, t: i32, buf_len: u64, file: u32, vec: bool, off: u64, len32: u32,
): i32 {
  if (vec) return -u.EOPNOTSUPP;
  if (op != u.IORING_OP_READ_FIXED && op != u.IORING_OP_WRITE_FIXED) return -u.EFAULT;
  if (file != unchecked(tk_file[t])) return -u.EBADF;
  const len = <u64>len32;
  if (len == 0) return -u.EFAULT;
  if (off + len < off || off + len > buf_len) return -u.EFAULT;
  charge(core, LAYER_DMABUF, cost(COST_TOKEN_LOOKUP));
  const write = op == u.IORING_OP_WRITE_FIXED;
  const ret = rw_check_block(req, id, fd, write, off, len);
  if (ret != 1) return ret; // an error, or 0 bytes at the end of the device
  return dmabuf_issue(req, t, id, core, write, false);
}

/** Issue against the live map, or park the request for the worker. */
function dmabuf_issue(req: u32, t: i32, id: i32, core: i32, write: bool, from_worker: bool): i32 {
  const p = rq(req);
  const m = unchecked(tk_map[t]);
  if (m < 0) {
    // No live map: retried from an io-wq worker that waits for the old map's
    // fence and builds a new map. IOCB_NOWAIT callers get -EAGAIN instead.
    if ((load<u32>(p + RQ_OP_FLAGS) & 0x8) != 0) {
      db_eagain++;
      return -u.EAGAIN;
    }
    if (load<u8>(p + RQ_WAITED) >= 2) {
      db_eagain++;
      return -u.EAGAIN;
    }
    store<u8>(p + RQ_WAITED, load<u8>(p + RQ_WAITED) + 1);
    // The hand-off to io-wq, unless the request is already there (a worker retry, IOSQE_ASYNC).
    if (!from_worker && (load<u32>(p + RQ_FLAGS) & REQ_F_FORCE_ASYNC) == 0) {
      charge(core, LAYER_URING, cost(COST_WORKER_PUNT));
    }
    db_waits++;
    store<u32>(p + RQ_WAIT_NEXT, 0);
    if (unchecked(tk_wait_tail[t]) != 0) store<u32>(rq(unchecked(tk_wait_tail[t]) - 1) + RQ_WAIT_NEXT, req + 1);
    else unchecked((tk_wait_head[t] = req + 1));
    unchecked((tk_wait_tail[t] = req + 1));
    if (unchecked(tk_fences[t]) == 0) worker_schedule(t, unchecked(core_time[core]));
    return IOU_ISSUE_SKIP_COMPLETE;
  }
  charge(core, LAYER_DMABUF, cost(COST_TOKEN_REF_GET));
  assert(!unchecked(mp_dead[m]), "dmabuf token: a reference taken on a dead map");
  unchecked((mp_refs[m] += 1));
  store<i32>(p + RQ_MAP, m);
  const polled = (ring_flags(id) & u.IORING_SETUP_IOPOLL) != 0;
  const c = unchecked(tk_ctrl[t]);
  let off = load<u64>(p + RQ_ADDR);
  let len = rw_clamped_len;
  const s = unchecked(tk_stack[t]);
  if (s >= 0) return dmabuf_issue_stacked(req, m, s, core, polled, write, off, len);
  blk_begin(req, c, core, polled, write, true, load<u64>(p + RQ_OFF), load<u64>(p + RQ_SUBMIT_NS));
  const dma = unchecked(mp_dma[m]);
  let guard: u32 = 0;
  while (len > 0) {
    const in_page = off & (PAGE_SIZE - 1);
    const room = <u64>PAGE_SIZE - in_page;
    const n = len < room ? len : room;
    blk_feed(load<u64>(dma + <usize>((off >> PAGE_SHIFT) << 3)) + in_page, <u32>n);
    off += n;
    len -= n;
    bound(++guard, 1 << 20, INV_DMABUF_FEED);
  }
  const r = blk_end();
  if (r != IOU_ISSUE_SKIP_COMPLETE) {
    // Nothing reached the device: drop the reference again.
    dmabuf_map_put(req, core);
  }
  return r;
}

/**
 * A request on a forwarded registration (the thread's proposal): the
 * stacking driver clones and splits it, and each clone carries its own
 * member's map — dm_feed turns each dma-buf offset into that member's DMA
 * address. The request holds one reference on the registration's map.
 */
function dmabuf_issue_stacked(
  req: u32, m: i32, s: i32, core: i32, polled: bool, write: bool, off0: u64, len0: u64,
): i32 {
  const p = rq(req);
  const passes = dm_begin(req, s, core, polled, write, true, load<u64>(p + RQ_OFF), <u32>len0,
    load<u64>(p + RQ_SUBMIT_NS), unchecked(mp_dma[m]), unchecked(mp_npages[m]));
  let r: i32 = passes;
  if (passes > 0) {
    for (let k = 0; k < passes; k++) {
      dm_pass(k);
      let off = off0;
      let len = len0;
      let guard: u32 = 0;
      while (len > 0) {
        const room = <u64>PAGE_SIZE - (off & (PAGE_SIZE - 1));
        const n = len < room ? len : room;
        dm_feed(off, <u32>n);
        off += n;
        len -= n;
        bound(++guard, 1 << 20, INV_DMABUF_FEED);
      }
    }
    r = dm_end();
  }
  if (r != IOU_ISSUE_SKIP_COMPLETE) dmabuf_map_put(req, core);
  return r;
}

function worker_schedule(t: i32, at: u64): void {
  if (unchecked(tk_worker[t])) return;
  unchecked((tk_worker[t] = true));
  ev_push(at + cost(COST_WORKER_PUNT), EV_WORKER, <u32>t);
}

/** EV_WORKER: the io-wq worker builds a new map and issues the parked requests. */
export function dmabuf_worker_event(t: u32): void {
  unchecked((tk_worker[t] = false));
  if (!unchecked(tk_live[t])) return;
  if (unchecked(tk_fences[t]) != 0) return; // woken again when the fence signals
  // The exporter is moving the buffer (waiting for other importers' fences):
  // no mapping of the old pages may be handed out; woken when the move is done.
  if (dmabuf_migrating(unchecked(tk_dmabuf[t]))) return;
  let head = unchecked(tk_wait_head[t]);
  if (head == 0) return;
  const core = ring_core(<i32>load<u8>(rq(head - 1) + RQ_RING));
  core_catch_up(core);
  unchecked((tk_wait_head[t] = 0));
  unchecked((tk_wait_tail[t] = 0));
  // Parked requests hold the buffer node (and so the token) even if their
  // slot was emptied meanwhile: they still get a map.
  if (unchecked(tk_map[t]) < 0) {
    const m = map_create(<i32>t, core);
    if (m < 0) {
      // Could not map: every parked request fails with the error.
      let guard: u32 = 0;
      while (head != 0) {
        const req = head - 1;
        head = load<u32>(rq(req) + RQ_WAIT_NEXT);
        io_req_complete(req, m);
        bound(++guard, 1 << 20, INV_PARKED_FAIL);
      }
      token_maybe_free(<i32>t);
      return;
    }
  }
  let guard: u32 = 0;
  while (head != 0) {
    const req = head - 1;
    head = load<u32>(rq(req) + RQ_WAIT_NEXT);
    const p = rq(req);
    const id = <i32>load<u8>(p + RQ_RING);
    const write = load<u8>(p + RQ_OPCODE) == u.IORING_OP_WRITE_FIXED;
    const c = rw_check_block(req, id, load<i32>(p + RQ_RFD), write, load<u64>(p + RQ_ADDR), <u64>load<u32>(p + RQ_LEN));
    const r = c != 1 ? c : dmabuf_issue(req, <i32>t, id, core, write, true);
    if (r != IOU_ISSUE_SKIP_COMPLETE) io_req_complete(req, r);
    bound(++guard, 1 << 20, INV_PARKED_ISSUE);
  }
  nvme_commit_rqs(core);
  // No slot holds the token any more: the map goes once these requests finish.
  if (unchecked(tk_slots[t]) == 0) token_invalidate(<i32>t, core);
  token_maybe_free(<i32>t);
}

/**
 * A dma-buf request completed: drop its map reference (percpu_ref_put).
 * Inlined: every request's completion asks whether it holds one.
 */
// @ts-ignore: decorator
@inline export function dmabuf_map_put(req: u32, core: i32): void {
  const p = rq(req);
  const m = load<i32>(p + RQ_MAP);
  if (m >= 0) map_put(p, m, core);
}

/** Drop the reference the request at `p` holds on map `m`. */
function map_put(p: usize, m: i32, core: i32): void {
  store<i32>(p + RQ_MAP, -1);
  charge(core, LAYER_DMABUF, cost(COST_TOKEN_REF_PUT));
  const refs = unchecked(mp_refs[m]);
  if (ASSERTS) assert(unchecked(mp_live[m]) && refs > 0, "dmabuf token: map reference count underflow");
  unchecked((mp_refs[m] = refs - 1));
  if (refs == 1 && unchecked(mp_dead[m])) map_release(m, core);
}

import {
  DMABUF_COUNTER_EAGAIN, DMABUF_COUNTER_FENCES_SIGNALLED, DMABUF_COUNTER_INVALIDATIONS, DMABUF_COUNTER_MAPS_CREATED,
  DMABUF_COUNTER_MAPS_FREED, DMABUF_COUNTER_MIGRATIONS, DMABUF_COUNTER_MIGRATIONS_FAILED, DMABUF_COUNTER_REMAPS,
  DMABUF_COUNTER_WAITS,
} from "../sim/abi";

/** dma-buf counters by index (src/system.ts DMABUF_COUNTERS). */
export function dmabuf_counter(i: i32): f64 {
  switch (i) {
    case DMABUF_COUNTER_MAPS_CREATED: return <f64>db_maps_created;
    case DMABUF_COUNTER_MAPS_FREED: return <f64>db_maps_freed;
    case DMABUF_COUNTER_INVALIDATIONS: return <f64>db_invalidations;
    case DMABUF_COUNTER_WAITS: return <f64>db_waits;
    case DMABUF_COUNTER_REMAPS: return <f64>db_remaps;
    case DMABUF_COUNTER_EAGAIN: return <f64>db_eagain;
    case DMABUF_COUNTER_FENCES_SIGNALLED: return <f64>db_fences_signalled;
    case DMABUF_COUNTER_MIGRATIONS: return <f64>db_migrations;
    case DMABUF_COUNTER_MIGRATIONS_FAILED: return <f64>db_migrations_failed;
  }
  return 0;
}

/** Maps alive (published or dying) across all tokens; tokens alive. */
export function dmabuf_maps_live(): i32 {
  let n = 0;
  for (let i = 0; i < MAPS_MAX; i++) if (unchecked(mp_live[i])) n++;
  return n;
}
export function dmabuf_tokens_live(): i32 {
  let n = 0;
  for (let i = 0; i < TOKENS_MAX; i++) if (unchecked(tk_live[i])) n++;
  return n;
}
