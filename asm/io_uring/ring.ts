// io_uring's ring state (io_uring/io_uring.c, the parts every other file
// of this folder builds on): rings in the kernel's layout in linear memory,
// per-ring state (struct io_ring_ctx), requests (struct io_kiocb), CQE
// posting with a never-dropping overflow list, request completion, links and
// drain. Issuing a request is io_uring.ts's (one file up); a completion that
// starts a linked or drained request reaches it through the one hook
// io_uring.ts registers at set-up (the kernel's io_issue_defs[op].issue).

import {
  CQ_ENTRIES_MAX, OVERFLOW_MAX, REQS_MAX, RINGS_MAX, SQ_ENTRIES_MAX,
} from "../sim/limits";
import {
  ASSERTS, bound, fail, INV_CHAIN_LEN, INV_DEFER_LIST, INV_HOOK_UNSET, INV_LINK_CHAIN, invariant_fail, SIM_ERR_OVERFLOW, SIM_ERR_REQS,
} from "../sim/errors";
import { blk_alloc, mem_alloc } from "../sim/mem";
import { charge, core_time, cores, ev_push, EV_THREAD, LAYER_URING, now } from "../sim/engine";
import { cost, COST_CQE, COST_WORKER_PUNT } from "../sim/costs";
import * as u from "../sim/uapi";
import { fd_install, FT_RING } from "../fs/files";
import { BLK_QUEUED } from "../block/bio";
import { stats_by_app, stats_complete, stats_ring_done } from "../sim/stats";

// ---------------------------------------------------------------------------
// Ring memory layout, struct sizes: the uAPI, defined once in sim/uapi.ts.
export {
  CQE_SIZE, RO_CQ_ENTRIES, RO_CQ_FLAGS, RO_CQ_HEAD, RO_CQ_MASK, RO_CQ_OVERFLOW, RO_CQ_TAIL, RO_CQES, RO_SQ_DROPPED,
  RO_SQ_ENTRIES, RO_SQ_FLAGS, RO_SQ_HEAD, RO_SQ_MASK, RO_SQ_TAIL, SQE_SIZE,
} from "../sim/uapi";
import {
  CQE_SIZE, RO_CQ_ENTRIES, RO_CQ_HEAD, RO_CQ_MASK, RO_CQ_TAIL, RO_CQES, RO_SQ_ENTRIES, RO_SQ_FLAGS, RO_SQ_MASK, SQE_SIZE,
} from "../sim/uapi";

// Per-ring kernel-private state (struct io_ring_ctx), structure of arrays.
export const r_live = new StaticArray<bool>(RINGS_MAX);
/**
 * A closed ring whose requests blk-mq can never issue (block/blk_mq.ts):
 * io_ring_exit_work would wait for them for ever and the ctx is never freed,
 * so its memory, registrations and slot stay; a completion that still comes
 * lands there, never in a new ring.
 */
export const r_zombie = new StaticArray<bool>(RINGS_MAX);
export const r_rings = new StaticArray<usize>(RINGS_MAX); // rings block
export const r_rings_bytes = new StaticArray<usize>(RINGS_MAX);
export const r_sqes = new StaticArray<usize>(RINGS_MAX);
export const r_sq_array = new StaticArray<usize>(RINGS_MAX);
export const r_sq_entries = new StaticArray<u32>(RINGS_MAX);
export const r_cq_entries = new StaticArray<u32>(RINGS_MAX);
export const r_flags = new StaticArray<u32>(RINGS_MAX);
export const r_core = new StaticArray<i32>(RINGS_MAX);
export const r_fd = new StaticArray<i32>(RINGS_MAX);
export const r_cached_sq_head = new StaticArray<u32>(RINGS_MAX);
export const r_ovf = new StaticArray<usize>(RINGS_MAX); // overflow FIFO (16-byte CQEs)
export const r_ovf_head = new StaticArray<u32>(RINGS_MAX);
export const r_ovf_count = new StaticArray<u32>(RINGS_MAX);
export const r_inflight = new StaticArray<u32>(RINGS_MAX);
export const r_defer_head = new StaticArray<u32>(RINGS_MAX); // req+1
export const r_defer_tail = new StaticArray<u32>(RINGS_MAX);
export const r_deferred = new StaticArray<u32>(RINGS_MAX); // requests (chain members too) in the defer list
export const r_drain_disabled = new StaticArray<bool>(RINGS_MAX); // a CQE_SKIP_SUCCESS SQE was seen
export const r_drain_next = new StaticArray<bool>(RINGS_MAX); // drain the request after the current link
export const r_link_head = new StaticArray<u32>(RINGS_MAX); // req+1 of the link being assembled
export const r_link_last = new StaticArray<u32>(RINGS_MAX);
export const r_drain_active = new StaticArray<bool>(RINGS_MAX); // ctx->drain_active
// Task work (io_req_task_work_add): a FIFO of requests per ring, run in
// passes (tctx_task_work / __io_run_local_work), see tw_run_*.
const r_tw_head = new StaticArray<u32>(RINGS_MAX); // req + 1
const r_tw_tail = new StaticArray<u32>(RINGS_MAX);
const r_tw_running = new StaticArray<bool>(RINGS_MAX);
// Completion batches (struct io_submit_state's compl_reqs): while a batch is
// open — one io_submit_sqes, one task-work pass — a completed request's next
// link member (or its failed chain) is not queued at once but when the batch
// is flushed (__io_submit_flush_completions → io_free_batch_list →
// io_queue_next), so it runs after task work that the batch's own requests
// queued meanwhile (a NOP_TW, an IOSQE_ASYNC punt).
const r_batch = new StaticArray<u32>(RINGS_MAX); // nesting depth
const r_next_head = new StaticArray<u32>(RINGS_MAX); // req + 1, linked by RQ_TW_NEXT
const r_next_tail = new StaticArray<u32>(RINGS_MAX);
/** Registered buffer table (see rsrc.ts) and registered files. */
export const r_buf_table = new StaticArray<usize>(RINGS_MAX);
export const r_buf_count = new StaticArray<u32>(RINGS_MAX);
export const r_file_table = new StaticArray<usize>(RINGS_MAX); // i32 fds
export const r_file_count = new StaticArray<u32>(RINGS_MAX);
/** A workload thread sleeping on this ring for r_wait_min CQEs (-1: none). */
export const r_wait_thread = new StaticArray<i32>(RINGS_MAX);
export const r_wait_min = new StaticArray<u32>(RINGS_MAX);

// ---------------------------------------------------------------------------
// Requests (struct io_kiocb), array of 128-byte structs in linear memory.
export const REQ_SIZE: u32 = 128;
export const RQ_USER_DATA: u32 = 0; // u64
export const RQ_OFF: u32 = 8; // u64 file offset
export const RQ_ADDR: u32 = 16; // u64 buffer address (or dma-buf offset)
export const RQ_LEN: u32 = 24; // u32
export const RQ_RES: u32 = 28; // i32
export const RQ_OPCODE: u32 = 32; // u8
export const RQ_SQE_FLAGS: u32 = 33; // u8
export const RQ_RING: u32 = 34; // u8
export const RQ_STATE: u32 = 35; // u8
export const RQ_FD: u32 = 36; // i32
export const RQ_BUF_INDEX: u32 = 40; // u16
export const RQ_LINK: u32 = 44; // u32 next req + 1
export const RQ_FLAGS: u32 = 48; // u32 REQ_F_*
export const RQ_PENDING: u32 = 52; // u32 commands still in flight
// 56: free (the struct file id was stored here and never read; RQ_RFD is what the path uses)
export const RQ_DONE_BYTES: u32 = 60; // u32
export const RQ_SUBMIT_NS: u32 = 64; // u64
export const RQ_TW_NEXT: u32 = 72; // u32 next task-work item (req + 1)
export const RQ_DEFER_NEXT: u32 = 76; // u32 req + 1
export const RQ_OP_FLAGS: u32 = 80; // u32 sqe op flags (rw_flags / nop_flags)
export const RQ_MAP: u32 = 84; // i32 dma-buf map held (-1 none)
export const RQ_ERR: i32 = 88; // i32 first error of a split request
export const RQ_BUF_NODE: u32 = 92; // u32 buffer slot resolved at issue
export const RQ_BUF_BASE: u32 = 96; // u64 import base
export const RQ_EXPECT: u32 = 104; // i32 expected result (short I/O fails links)
export const RQ_TW_KIND: u32 = 108; // u32 what the queued task work does (TW_*)
export const RQ_RFD: u32 = 124; // i32 the fd after fixed-file resolution

export const REQ_F_FAIL: u32 = 1 << 0;
export const REQ_F_LINK: u32 = 1 << 1;
export const REQ_F_HARDLINK: u32 = 1 << 2;
export const REQ_F_DRAIN: u32 = 1 << 3;
export const REQ_F_FORCE_ASYNC: u32 = 1 << 4;
export const REQ_F_CQE_SKIP: u32 = 1 << 5;
export const REQ_F_FIXED_FILE: u32 = 1 << 6;
export const REQ_F_POLLED: u32 = 1 << 7;
/** req_set_fail on a CQE_SKIP_SUCCESS request: its own CQE is posted, its chain's are not. */
export const REQ_F_SKIP_LINK_CQES: u32 = 1 << 8;

const ST_FREE: u8 = 0;
const ST_ALLOC: u8 = 1;

let reqs: usize = 0;
let req_free_head: u32 = 0; // req + 1
let reqs_live: u32 = 0;
export let reqs_live_max: u32 = 0;

// @ts-ignore: decorator
@inline export function rq(req: u32): usize {
  return reqs + <usize>req * REQ_SIZE;
}

export function uring_init(): void {
  reqs = mem_alloc(<usize>REQS_MAX * REQ_SIZE);
  // Free list threaded through RQ_LINK.
  for (let i: u32 = 0; i < REQS_MAX; i++) {
    store<u32>(rq(i) + RQ_LINK, i + 2 <= REQS_MAX ? i + 2 : 0);
  }
  req_free_head = 1;
  reqs_live = 0;
  reqs_live_max = 0;
  for (let r = 0; r < RINGS_MAX; r++) {
    unchecked((r_live[r] = false));
    unchecked((r_zombie[r] = false));
  }
}

export function req_alloc(): u32 {
  if (req_free_head == 0) fail(SIM_ERR_REQS, <i64>REQS_MAX);
  const req = req_free_head - 1;
  const p = rq(req);
  req_free_head = load<u32>(p + RQ_LINK);
  memory.fill(p, 0, REQ_SIZE);
  store<u8>(p + RQ_STATE, ST_ALLOC);
  store<i32>(p + RQ_MAP, -1);
  reqs_live++;
  if (reqs_live > reqs_live_max) reqs_live_max = reqs_live;
  return req;
}

export function req_free(req: u32): void {
  const p = rq(req);
  if (ASSERTS) assert(load<u8>(p + RQ_STATE) == ST_ALLOC, "io_uring: request freed twice");
  assert(reqs_live > 0, "io_uring: live request count underflow");
  store<u8>(p + RQ_STATE, ST_FREE);
  store<u32>(p + RQ_LINK, req_free_head);
  req_free_head = req + 1;
  reqs_live--;
}

export function reqs_in_use(): u32 {
  return reqs_live;
}

// ---------------------------------------------------------------------------
// Setup / teardown.

// @ts-ignore: decorator
@inline function roundup_pow2(x: u32): u32 {
  return x <= 1 ? 1 : <u32>1 << (32 - clz(x - 1));
}

/**
 * io_uring_setup: returns the ring id (>= 0) or a negative errno. Checks in
 * the kernel's order: flags (io_uring_sanitise_params), then entries
 * (io_uring_fill_params). `core` is the CPU the submitting task runs on.
 */
export function io_uring_setup(entries: u32, flags: u32, cq_entries_req: u32, core: i32): i32 {
  // io_uring_sanitise_params, in its order.
  if ((flags & ~u.IORING_SETUP_KNOWN) != 0) return -u.EINVAL;
  if ((flags & u.IORING_SETUP_REGISTERED_FD_ONLY) != 0 && (flags & u.IORING_SETUP_NO_MMAP) == 0) return -u.EINVAL;
  if ((flags & u.IORING_SETUP_SQPOLL) != 0 &&
    (flags & (u.IORING_SETUP_COOP_TASKRUN | u.IORING_SETUP_TASKRUN_FLAG | u.IORING_SETUP_DEFER_TASKRUN)) != 0) {
    return -u.EINVAL;
  }
  if ((flags & u.IORING_SETUP_TASKRUN_FLAG) != 0 &&
    (flags & (u.IORING_SETUP_COOP_TASKRUN | u.IORING_SETUP_DEFER_TASKRUN)) == 0) return -u.EINVAL;
  if ((flags & u.IORING_SETUP_HYBRID_IOPOLL) != 0 && (flags & u.IORING_SETUP_IOPOLL) == 0) return -u.EINVAL;
  if ((flags & u.IORING_SETUP_DEFER_TASKRUN) != 0 && (flags & u.IORING_SETUP_SINGLE_ISSUER) == 0) return -u.EINVAL;
  if ((flags & (u.IORING_SETUP_CQE32 | u.IORING_SETUP_CQE_MIXED)) == (u.IORING_SETUP_CQE32 | u.IORING_SETUP_CQE_MIXED)) {
    return -u.EINVAL;
  }
  if (entries == 0) return -u.EINVAL;
  if (entries > SQ_ENTRIES_MAX) {
    if ((flags & u.IORING_SETUP_CLAMP) == 0) return -u.EINVAL;
    entries = SQ_ENTRIES_MAX;
  }
  const sq_entries = roundup_pow2(entries);
  let cq_entries: u32;
  if ((flags & u.IORING_SETUP_CQSIZE) != 0) {
    if (cq_entries_req == 0) return -u.EINVAL;
    let c = cq_entries_req;
    if (c > CQ_ENTRIES_MAX) {
      if ((flags & u.IORING_SETUP_CLAMP) == 0) return -u.EINVAL;
      c = CQ_ENTRIES_MAX;
    }
    cq_entries = roundup_pow2(c);
    if (cq_entries < sq_entries) return -u.EINVAL;
  } else {
    cq_entries = 2 * sq_entries;
  }
  // io_sq_offload_create: SQ_AFF only means something with SQPOLL.
  if ((flags & u.IORING_SETUP_SQ_AFF) != 0 && (flags & u.IORING_SETUP_SQPOLL) == 0) return -u.EINVAL;
  // Known to the kernel, not modelled (after every check the kernel makes
  // before it would build the ring): dmasim's answer, not the kernel's.
  if ((flags & ~u.IORING_SETUP_MODELLED) != 0) return -u.EOPNOTSUPP;
  if (core < 0 || core >= cores) return -u.EINVAL;
  let id = -1;
  for (let r = 0; r < RINGS_MAX; r++) {
    if (!unchecked(r_live[r]) && !unchecked(r_zombie[r])) {
      id = r;
      break;
    }
  }
  if (id < 0) return -u.ENOMEM;
  const fd = fd_install(FT_RING, id, u.O_RDWR);
  if (fd < 0) return fd;
  const rings_bytes = <usize>RO_CQES + <usize>cq_entries * CQE_SIZE + <usize>sq_entries * 4;
  const rings = blk_alloc(rings_bytes);
  const sqes = blk_alloc(<usize>sq_entries * SQE_SIZE);
  unchecked((r_live[id] = true));
  unchecked((r_rings[id] = rings));
  unchecked((r_rings_bytes[id] = rings_bytes));
  unchecked((r_sqes[id] = sqes));
  unchecked((r_sq_array[id] = rings + RO_CQES + <usize>cq_entries * CQE_SIZE));
  unchecked((r_sq_entries[id] = sq_entries));
  unchecked((r_cq_entries[id] = cq_entries));
  unchecked((r_flags[id] = flags));
  unchecked((r_core[id] = core));
  unchecked((r_fd[id] = fd));
  unchecked((r_cached_sq_head[id] = 0));
  unchecked((r_ovf[id] = 0));
  unchecked((r_ovf_head[id] = 0));
  unchecked((r_ovf_count[id] = 0));
  unchecked((r_inflight[id] = 0));
  unchecked((r_defer_head[id] = 0));
  unchecked((r_defer_tail[id] = 0));
  unchecked((r_deferred[id] = 0));
  unchecked((r_drain_disabled[id] = false));
  unchecked((r_drain_next[id] = false));
  unchecked((r_link_head[id] = 0));
  unchecked((r_link_last[id] = 0));
  unchecked((r_drain_active[id] = false));
  unchecked((r_tw_head[id] = 0));
  unchecked((r_tw_tail[id] = 0));
  unchecked((r_tw_running[id] = false));
  unchecked((r_batch[id] = 0));
  unchecked((r_next_head[id] = 0));
  unchecked((r_next_tail[id] = 0));
  unchecked((r_buf_table[id] = 0));
  unchecked((r_buf_count[id] = 0));
  unchecked((r_file_table[id] = 0));
  unchecked((r_file_count[id] = 0));
  unchecked((r_wait_thread[id] = -1));
  store<u32>(rings + RO_SQ_MASK, sq_entries - 1);
  store<u32>(rings + RO_CQ_MASK, cq_entries - 1);
  store<u32>(rings + RO_SQ_ENTRIES, sq_entries);
  store<u32>(rings + RO_CQ_ENTRIES, cq_entries);
  return id;
}

export function ring_live(id: i32): bool {
  return id >= 0 && id < RINGS_MAX && unchecked(r_live[id]);
}
export function ring_rings(id: i32): usize {
  return unchecked(r_rings[id]);
}
export function ring_sqes(id: i32): usize {
  return unchecked(r_sqes[id]);
}
export function ring_sq_array(id: i32): usize {
  return unchecked(r_sq_array[id]);
}
export function ring_fd(id: i32): i32 {
  return unchecked(r_fd[id]);
}
export function ring_core(id: i32): i32 {
  return unchecked(r_core[id]);
}
export function ring_flags(id: i32): u32 {
  return unchecked(r_flags[id]);
}
export function ring_inflight(id: i32): u32 {
  return unchecked(r_inflight[id]);
}
export function ring_overflow_count(id: i32): u32 {
  return unchecked(r_ovf_count[id]);
}


// ---------------------------------------------------------------------------
// Completion side.

// @ts-ignore: decorator
@inline function cq_space(id: i32): u32 {
  const rings = unchecked(r_rings[id]);
  const used = load<u32>(rings + RO_CQ_TAIL) - load<u32>(rings + RO_CQ_HEAD);
  return unchecked(r_cq_entries[id]) - used;
}

/** CQEs the application can read now. */
export function cq_ready(id: i32): u32 {
  const rings = unchecked(r_rings[id]);
  return load<u32>(rings + RO_CQ_TAIL) - load<u32>(rings + RO_CQ_HEAD);
}

/** Write a CQE at `tail` of the CQ in `rings` (`entries` CQEs) and publish it. */
// @ts-ignore: decorator
@inline function cqe_store(rings: usize, tail: u32, entries: u32, user_data: u64, res: i32, cflags: u32): void {
  const e = rings + RO_CQES + <usize>(tail & (entries - 1)) * CQE_SIZE;
  store<u64>(e, user_data);
  // res and flags, the CQE's second 8 bytes, in one store (little-endian).
  store<u64>(e + 8, <u64><u32>res | (<u64>cflags << 32));
  store<u32>(rings + RO_CQ_TAIL, tail + 1);
}

function cqe_write(id: i32, user_data: u64, res: i32, cflags: u32): void {
  const rings = unchecked(r_rings[id]);
  cqe_store(rings, load<u32>(rings + RO_CQ_TAIL), unchecked(r_cq_entries[id]), user_data, res, cflags);
}

/**
 * Post a CQE (io_fill_cqe_req). While anything waits in the overflow list, new
 * CQEs join it too, so order is kept; nothing is ever dropped.
 */
export function io_post_cqe(id: i32, user_data: u64, res: i32, cflags: u32): void {
  // The CQ's address, tail and size are read once for the check and the write
  // (cq_space's check and the write share them: each read is bounds-checked).
  const rings = unchecked(r_rings[id]);
  const tail = load<u32>(rings + RO_CQ_TAIL);
  const entries = unchecked(r_cq_entries[id]);
  if (unchecked(r_ovf_count[id]) == 0 && entries - (tail - load<u32>(rings + RO_CQ_HEAD)) > 0) {
    cqe_store(rings, tail, entries, user_data, res, cflags);
    // A workload thread sleeping in io_cqring_wait for enough CQEs wakes up.
    const wt = unchecked(r_wait_thread[id]);
    if (wt >= 0 && cq_ready(id) >= unchecked(r_wait_min[id])) {
      unchecked((r_wait_thread[id] = -1));
      ev_push(now, EV_THREAD, <u32>wt);
    }
    return;
  }
  if (unchecked(r_ovf[id]) == 0) unchecked((r_ovf[id] = blk_alloc(<usize>OVERFLOW_MAX * CQE_SIZE)));
  const n = unchecked(r_ovf_count[id]);
  if (n >= OVERFLOW_MAX) fail(SIM_ERR_OVERFLOW, <i64>OVERFLOW_MAX);
  const slot = (unchecked(r_ovf_head[id]) + n) & (OVERFLOW_MAX - 1);
  const p = unchecked(r_ovf[id]) + <usize>slot * CQE_SIZE;
  store<u64>(p, user_data);
  store<i32>(p + 8, res);
  store<u32>(p + 12, cflags);
  unchecked((r_ovf_count[id] = n + 1));
  store<u32>(rings + RO_SQ_FLAGS, load<u32>(rings + RO_SQ_FLAGS) | u.IORING_SQ_CQ_OVERFLOW);
}

/**
 * io_cqring_overflow_flush: move overflowed CQEs to the CQ if any wait (the
 * kernel's IO_CHECK_CQ_OVERFLOW_BIT test). Inlined: called twice per
 * GETEVENTS pass, it finds nothing to do on nearly every one.
 */
// @ts-ignore: decorator
@inline export function io_cqring_overflow_flush(id: i32): void {
  if (unchecked(r_ovf_count[id]) != 0) __io_cqring_overflow_flush(id);
}

/** __io_cqring_overflow_flush: move overflowed CQEs, in order, while there is room. */
function __io_cqring_overflow_flush(id: i32): void {
  let n = unchecked(r_ovf_count[id]);
  let head = unchecked(r_ovf_head[id]);
  const base = unchecked(r_ovf[id]);
  while (n > 0 && cq_space(id) > 0) {
    const p = base + <usize>head * CQE_SIZE;
    cqe_write(id, load<u64>(p), load<i32>(p + 8), load<u32>(p + 12));
    head = (head + 1) & (OVERFLOW_MAX - 1);
    n--;
  }
  unchecked((r_ovf_head[id] = head));
  unchecked((r_ovf_count[id] = n));
  if (n == 0) {
    const rings = unchecked(r_rings[id]);
    store<u32>(rings + RO_SQ_FLAGS, load<u32>(rings + RO_SQ_FLAGS) & ~u.IORING_SQ_CQ_OVERFLOW);
  }
}

/**
 * io_req_tw_fail_links: complete a failed chain from `first` on: each member
 * with its own error when it failed to initialise (REQ_F_FAIL), else
 * -ECANCELED; `silent` (REQ_F_SKIP_LINK_CQES on the request that failed)
 * posts none of their CQEs, otherwise each posts even with CQE_SKIP_SUCCESS.
 */
function io_fail_chain(first: u32, silent: bool): void {
  let nxt = first + 1;
  let guard: u32 = 0;
  let id: i32 = -1;
  while (nxt != 0) {
    const l = nxt - 1;
    const p = rq(l);
    id = <i32>load<u8>(p + RQ_RING);
    nxt = load<u32>(p + RQ_LINK);
    store<u32>(p + RQ_LINK, 0);
    const f = load<u32>(p + RQ_FLAGS);
    store<u32>(p + RQ_FLAGS, silent ? f | REQ_F_CQE_SKIP : f & ~REQ_F_CQE_SKIP);
    const res = (f & REQ_F_FAIL) != 0 ? load<i32>(p + RQ_RES) : -u.ECANCELED;
    io_req_finish(l, res);
    req_free(l);
    bound(++guard, REQS_MAX, INV_LINK_CHAIN);
  }
  if (id >= 0) io_queue_deferred(id);
}

/**
 * Complete a request with `res`: post its CQE, then queue what is linked
 * after it as task work (io_free_batch_list → io_queue_next: the next
 * member is issued, or a failed chain is cancelled, after the completions
 * of the current batch were posted), then release deferred (drained)
 * requests whose turn came.
 */
export function io_req_complete(req: u32, res: i32): void {
  const p = rq(req);
  const id = <i32>load<u8>(p + RQ_RING);
  let failed = res < 0;
  // A short read or write fails the link (io_rw: res != expected length).
  const expect = load<i32>(p + RQ_EXPECT);
  if (!failed && expect > 0 && res != expect) failed = true;
  let f = load<u32>(p + RQ_FLAGS);
  if (failed) {
    // req_set_fail: a failing CQE_SKIP_SUCCESS request posts its own CQE and
    // none of its chain's.
    f |= REQ_F_FAIL;
    if ((f & REQ_F_CQE_SKIP) != 0) f = (f & ~REQ_F_CQE_SKIP) | REQ_F_SKIP_LINK_CQES;
    store<u32>(p + RQ_FLAGS, f);
  }
  const nxt = load<u32>(p + RQ_LINK);
  req_finish(p, id, f, res);
  // req_free threads the request onto the free list through RQ_LINK.
  req_free(req);
  if (nxt != 0) {
    if (failed && (f & REQ_F_HARDLINK) == 0) {
      io_queue_next_tw(id, nxt - 1, (f & REQ_F_SKIP_LINK_CQES) != 0 ? TW_FAIL_LINKS_SILENT : TW_FAIL_LINKS);
    } else {
      io_queue_next_tw(id, nxt - 1, TW_ISSUE);
    }
  }
  io_commit_cqring_flush(id);
}

/**
 * __io_commit_cqring_flush's drain part: requests wait in the defer list only
 * while a drain is active (ctx->drain_active), so the common completion
 * checks the list's head and calls nothing.
 */
// @ts-ignore: decorator
@inline function io_commit_cqring_flush(id: i32): void {
  if (unchecked(r_defer_head[id]) != 0) io_queue_deferred(id);
}

/** Queue a link's next member as task work: now, or at the open batch's flush. */
function io_queue_next_tw(id: i32, req: u32, kind: u32): void {
  if (unchecked(r_batch[id]) == 0) {
    tw_add(id, req, kind);
    return;
  }
  const p = rq(req);
  store<u32>(p + RQ_TW_NEXT, 0);
  store<u32>(p + RQ_TW_KIND, kind);
  const tail = unchecked(r_next_tail[id]);
  if (tail != 0) store<u32>(rq(tail - 1) + RQ_TW_NEXT, req + 1);
  else unchecked((r_next_head[id] = req + 1));
  unchecked((r_next_tail[id] = req + 1));
}

/** Open a completion batch on ring `id` (io_submit_state_start, a task-work pass). */
export function io_batch_begin(id: i32): void {
  unchecked((r_batch[id] += 1));
}

/** Close it: the outermost close flushes — queues the link members its completions released, in order. */
export function io_batch_end(id: i32): void {
  assert(unchecked(r_batch[id]) > 0, "io_uring: completion batch closed twice");
  const depth = unchecked(r_batch[id]) - 1;
  unchecked((r_batch[id] = depth));
  if (depth != 0) return;
  let item = unchecked(r_next_head[id]);
  unchecked((r_next_head[id] = 0));
  unchecked((r_next_tail[id] = 0));
  let guard: u32 = 0;
  while (item != 0) {
    const req = item - 1;
    const p = rq(req);
    item = load<u32>(p + RQ_TW_NEXT);
    tw_add(id, req, load<u32>(p + RQ_TW_KIND));
    bound(++guard, REQS_MAX, INV_LINK_CHAIN);
  }
}

/** IORING_NOP_TW: the NOP completes from task work (io_req_task_complete), not inline. */
export function io_req_tw_complete(req: u32, res: i32): void {
  store<i32>(rq(req) + RQ_RES, res);
  tw_add(<i32>load<u8>(rq(req) + RQ_RING), req, TW_COMPLETE);
}

// ---------------------------------------------------------------------------
// Task work. What the kernel does "later, in the submitting task" —
// issuing a link's next member, cancelling a failed chain, running a request
// released from the drain list or punted with IOSQE_ASYNC, completing a
// NOP_TW — is queued here and runs after the current batch's inline
// completions were posted. Without IORING_SETUP_DEFER_TASKRUN it all runs
// before io_uring_enter returns (task_work_run on the way back to user
// space); with it, only while the task waits for events (io_run_local_work),
// one pass at a time.

/** Issue the request (io_req_task_submit). */
export const TW_ISSUE: u32 = 1;
/** Complete it with RQ_RES (io_req_task_complete). */
const TW_COMPLETE: u32 = 2;
/** Cancel the chain starting at it, posting CQEs (io_req_tw_fail_links). */
const TW_FAIL_LINKS: u32 = 3;
/** Cancel the chain starting at it without CQEs (REQ_F_SKIP_LINK_CQES). */
const TW_FAIL_LINKS_SILENT: u32 = 4;
/**
 * Issue it as io-wq would: its completion arrives as a further item (an
 * io-wq worker runs beside the task; what it completes reaches the CQ after
 * the task work already queued, and under DEFER_TASKRUN only through the
 * task's next local-work pass).
 */
export const TW_IOWQ: u32 = 5;

/** Set while a TW_IOWQ item issues: inline results complete as task work. */
export let iowq_issue: bool = false;

/** Set while io_uring_enter runs on some ring: task work waits for the enter's own runs. */
export let in_enter: bool = false;

/** io_uring_enter marks its span (task work then waits for the enter's own runs). */
export function set_in_enter(v: bool): void {
  in_enter = v;
}

export function tw_add(id: i32, req: u32, kind: u32): void {
  const p = rq(req);
  store<u32>(p + RQ_TW_NEXT, 0);
  store<u32>(p + RQ_TW_KIND, kind);
  const tail = unchecked(r_tw_tail[id]);
  if (tail != 0) store<u32>(rq(tail - 1) + RQ_TW_NEXT, req + 1);
  else unchecked((r_tw_head[id] = req + 1));
  unchecked((r_tw_tail[id] = req + 1));
  if ((unchecked(r_flags[id]) & u.IORING_SETUP_TASKRUN_FLAG) != 0) sq_flags_set(id, u.IORING_SQ_TASKRUN);
  // Outside io_uring_enter (a device completion driven by a workload's
  // event loop) the task runs its work as soon as it is back: at once here.
  if (!in_enter && !unchecked(r_tw_running[id])) tw_run_all(id);
}

function sq_flags_set(id: i32, f: u32): void {
  const rings = unchecked(r_rings[id]);
  store<u32>(rings + RO_SQ_FLAGS, load<u32>(rings + RO_SQ_FLAGS) | f);
}

function sq_flags_clear(id: i32, f: u32): void {
  const rings = unchecked(r_rings[id]);
  store<u32>(rings + RO_SQ_FLAGS, load<u32>(rings + RO_SQ_FLAGS) & ~f);
}

/** Task work is queued on ring `id`. */
export function tw_pending(id: i32): bool {
  return unchecked(r_tw_head[id]) != 0;
}

/** Run the items queued now (not those they queue): one pass. Returns items run. */
function tw_run_pass(id: i32): u32 {
  let item = unchecked(r_tw_head[id]);
  unchecked((r_tw_head[id] = 0));
  unchecked((r_tw_tail[id] = 0));
  const was = unchecked(r_tw_running[id]);
  unchecked((r_tw_running[id] = true));
  io_batch_begin(id);
  let n: u32 = 0;
  while (item != 0) {
    const req = item - 1;
    const p = rq(req);
    item = load<u32>(p + RQ_TW_NEXT);
    const kind = load<u32>(p + RQ_TW_KIND);
    if (kind == TW_ISSUE) io_queue_next(req);
    else if (kind == TW_IOWQ) {
      iowq_issue = true;
      io_queue_next(req);
      iowq_issue = false;
    }
    else if (kind == TW_COMPLETE) io_req_complete(req, load<i32>(p + RQ_RES));
    else io_fail_chain(req, kind == TW_FAIL_LINKS_SILENT);
    bound(++n, REQS_MAX, INV_DEFER_LIST);
  }
  // ctx_flush_and_put: the pass's completions are flushed before the task
  // looks for more work.
  io_batch_end(id);
  unchecked((r_tw_running[id] = was));
  return n;
}

import { INV_TW_PASSES } from "../sim/errors";

/**
 * tctx_task_work: run until nothing is queued. A pass queues more only for a
 * link's next member, so there are at most REQS_MAX passes.
 */
export function tw_run_all(id: i32): void {
  let passes: u32 = 0;
  while (tw_pending(id)) {
    bound(++passes, REQS_MAX, INV_TW_PASSES);
    tw_run_pass(id);
  }
  if ((unchecked(r_flags[id]) & u.IORING_SETUP_TASKRUN_FLAG) != 0) sq_flags_clear(id, u.IORING_SQ_TASKRUN);
}

/**
 * __io_run_local_work (DEFER_TASKRUN): one pass, more while fewer than
 * `min_events` CQEs are ready; IORING_SQ_TASKRUN says whether work is left.
 */
export function tw_run_local(id: i32, min_events: u32): void {
  const taskrun_flag = (unchecked(r_flags[id]) & u.IORING_SETUP_TASKRUN_FLAG) != 0;
  if (taskrun_flag) sq_flags_clear(id, u.IORING_SQ_TASKRUN);
  let passes: u32 = 0;
  while (tw_pending(id)) {
    bound(++passes, REQS_MAX, INV_TW_PASSES);
    tw_run_pass(id);
    if (cq_ready(id) >= min_events) break;
  }
  if (taskrun_flag && tw_pending(id)) sq_flags_set(id, u.IORING_SQ_TASKRUN);
}

/** The task runs its work where io_uring_enter would: all of it, or a local pass. */
export function tw_run(id: i32, min_events: u32): void {
  if ((unchecked(r_flags[id]) & u.IORING_SETUP_DEFER_TASKRUN) != 0) tw_run_local(id, min_events);
  else tw_run_all(id);
}

/** Post the CQE and account the request's completion (does not free it). */
export function io_req_finish(req: u32, res: i32): void {
  const p = rq(req);
  req_finish(p, <i32>load<u8>(p + RQ_RING), load<u32>(p + RQ_FLAGS), res);
}

/** io_req_finish of the request at `p` on ring `id`, its flags `f` already read. */
// @ts-ignore: decorator
@inline function req_finish(p: usize, id: i32, f: u32, res: i32): void {
  const core = unchecked(r_core[id]);
  // CQE_SKIP_SUCCESS: a failure cleared the flag (req_set_fail), a silent
  // chain cancellation set it.
  if ((f & REQ_F_CQE_SKIP) == 0) {
    charge(core, LAYER_URING, cost(COST_CQE));
    io_post_cqe(id, load<u64>(p + RQ_USER_DATA), res, 0);
  }
  const submit_ns = load<u64>(p + RQ_SUBMIT_NS);
  const done_ns = unchecked(core_time[core]);
  if (!stats_by_app) stats_complete(submit_ns, done_ns, res);
  const inflight = unchecked(r_inflight[id]);
  if (ASSERTS) {
    assert(inflight > unchecked(r_deferred[id]), "io_uring: a request completed while every in-flight one was deferred");
  }
  stats_ring_done(id, submit_ns, done_ns);
  unchecked((r_inflight[id] = inflight - 1));
}

// ---------------------------------------------------------------------------
// Drain (IOSQE_IO_DRAIN): a drained request waits until every request before
// it has completed, and everything after it waits behind it, in order.

/** Requests in a chain starting at `req` (the head and what is linked after it). */
export function chain_len(req: u32): u32 {
  let n: u32 = 1;
  let nxt = load<u32>(rq(req) + RQ_LINK);
  while (nxt != 0) {
    n++;
    bound(n, REQS_MAX, INV_CHAIN_LEN);
    nxt = load<u32>(rq(nxt - 1) + RQ_LINK);
  }
  return n;
}

/**
 * io_queue_deferred: release deferred requests in order, as task work. The
 * first, and any from a drained one on, only once no request outside the
 * defer list is outstanding — every earlier request has completed (tracked by
 * count, so requests that complete early, such as a failed link, cannot stall
 * it).
 */
export function io_queue_deferred(id: i32): void {
  let guard: u32 = 0;
  let drain_seen = false;
  let first = true;
  while (unchecked(r_defer_head[id]) != 0) {
    const req = unchecked(r_defer_head[id]) - 1;
    const p = rq(req);
    // The first entry, and every entry from a drained one on, waits until
    // all outstanding requests are deferred ones (nr_req_allocated == nr_drained).
    drain_seen = drain_seen || (load<u32>(p + RQ_FLAGS) & REQ_F_DRAIN) != 0;
    if ((drain_seen || first) && unchecked(r_inflight[id]) != unchecked(r_deferred[id])) break;
    assert(unchecked(r_deferred[id]) >= chain_len(req), "io_uring: deferred count below the chain leaving the defer list");
    unchecked((r_deferred[id] -= chain_len(req)));
    unchecked((r_defer_head[id] = load<u32>(p + RQ_DEFER_NEXT)));
    if (unchecked(r_defer_head[id]) == 0) unchecked((r_defer_tail[id] = 0));
    tw_add(id, req, TW_ISSUE);
    first = false;
    bound(++guard, REQS_MAX, INV_DEFER_LIST);
  }
}

export function io_defer(id: i32, req: u32): void {
  unchecked((r_deferred[id] += chain_len(req)));
  assert(unchecked(r_deferred[id]) <= unchecked(r_inflight[id]), "io_uring: more requests deferred than in flight");
  store<u32>(rq(req) + RQ_DEFER_NEXT, 0);
  if (unchecked(r_defer_tail[id]) != 0) store<u32>(rq(unchecked(r_defer_tail[id]) - 1) + RQ_DEFER_NEXT, req + 1);
  else unchecked((r_defer_head[id] = req + 1));
  unchecked((r_defer_tail[id] = req + 1));
}


/**
 * Issue `req` (io_uring.ts's io_issue_sqe), registered once at set-up: the
 * way back up for a request a completion or the drain releases.
 */
let issue_hook: (req: u32) => void = issue_unset;
function issue_unset(req: u32): void {
  invariant_fail(INV_HOOK_UNSET, 102); // io_uring.ts did not register io_issue_sqe
}
/** Register the issue path (io_uring.ts, at machine set-up). */
export function io_set_issue(fn: (req: u32) => void): void {
  issue_hook = fn;
}

/** Start a request released by a completion (the next of a link) or by the drain. */
function io_queue_next(req: u32): void {
  const p = rq(req);
  if ((load<u32>(p + RQ_FLAGS) & REQ_F_FORCE_ASYNC) != 0) {
    // IOSQE_ASYNC: punted to io-wq; the worker issues it (charged on the
    // submitting core, which is where the model runs the worker).
    const id = <i32>load<u8>(p + RQ_RING);
    charge(unchecked(r_core[id]), LAYER_URING, cost(COST_WORKER_PUNT));
  }
  issue_hook(req);
}

/** Returned by an issue handler that completes later (from the device): the block layer's queued result. */
export const IOU_ISSUE_SKIP_COMPLETE: i32 = BLK_QUEUED;

/** The fd behind registered file slot `slot`, or -1. */
export function io_fixed_fd(id: i32, slot: i32): i32 {
  if (slot < 0 || <u32>slot >= unchecked(r_file_count[id])) return -1;
  return load<i32>(unchecked(r_file_table[id]) + <usize>slot * 4);
}
