// io_uring (io_uring/io_uring.c, rsrc.c's table plumbing): rings in the
// kernel's layout in linear memory, SQE consumption, requests (io_kiocb),
// links, drain, CQE posting with a never-dropping overflow list, and the wait
// paths of io_uring_enter (IOPOLL and interrupt-driven).

import {
  CQ_ENTRIES_MAX, OVERFLOW_MAX, REQS_MAX, RINGS_MAX, SQ_ENTRIES_MAX,
} from "../sim/limits";
import { fail, SIM_ERR_INVARIANT, SIM_ERR_OVERFLOW, SIM_ERR_REQS } from "../sim/errors";
import { blk_alloc, blk_free, mem_alloc } from "../sim/mem";
import {
  advance_to, charge, core_time, cores, ev_empty, ev_peek_time, ev_push, EV_THREAD, LAYER_APP, LAYER_POLL,
  LAYER_SPIN, LAYER_URING, now,
} from "../sim/engine";
import { cost, COST_CQE, COST_ENTER, COST_NOP, COST_POLL, COST_SQE, COST_WORKER_PUNT } from "../sim/costs";
import * as u from "../sim/uapi";
import { fd_close, fd_file_of, fd_install, fd_valid_user, FT_RING } from "../fs/files";
import { io_rw_issue, io_rw_prep } from "./rw";
import { rsrc_release } from "./rsrc";
import { sim_step } from "../machine/dispatch";
import { nvme_commit_rqs, nvme_poll, nvme_poll_pending } from "../nvme/pci";
import { stats_by_app, stats_complete } from "../sim/stats";

// ---------------------------------------------------------------------------
// Ring memory layout (offsets into the "rings" block, like struct io_rings;
// head and tail words sit on their own cache lines as in the kernel).
export const RO_SQ_HEAD: u32 = 0;
export const RO_SQ_TAIL: u32 = 64;
export const RO_CQ_HEAD: u32 = 128;
export const RO_CQ_TAIL: u32 = 192;
export const RO_SQ_MASK: u32 = 256;
export const RO_CQ_MASK: u32 = 260;
export const RO_SQ_ENTRIES: u32 = 264;
export const RO_CQ_ENTRIES: u32 = 268;
export const RO_SQ_DROPPED: u32 = 272;
export const RO_SQ_FLAGS: u32 = 276;
export const RO_CQ_FLAGS: u32 = 280;
export const RO_CQ_OVERFLOW: u32 = 284;
export const RO_CQES: u32 = 320;
export const SQE_SIZE: u32 = 64;
export const CQE_SIZE: u32 = 16;

// Per-ring kernel-private state (struct io_ring_ctx), structure of arrays.
const r_live = new StaticArray<bool>(RINGS_MAX);
const r_rings = new StaticArray<usize>(RINGS_MAX); // rings block
const r_rings_bytes = new StaticArray<usize>(RINGS_MAX);
const r_sqes = new StaticArray<usize>(RINGS_MAX);
const r_sq_array = new StaticArray<usize>(RINGS_MAX);
const r_sq_entries = new StaticArray<u32>(RINGS_MAX);
const r_cq_entries = new StaticArray<u32>(RINGS_MAX);
const r_flags = new StaticArray<u32>(RINGS_MAX);
const r_core = new StaticArray<i32>(RINGS_MAX);
const r_fd = new StaticArray<i32>(RINGS_MAX);
const r_cached_sq_head = new StaticArray<u32>(RINGS_MAX);
const r_ovf = new StaticArray<usize>(RINGS_MAX); // overflow FIFO (16-byte CQEs)
const r_ovf_head = new StaticArray<u32>(RINGS_MAX);
const r_ovf_count = new StaticArray<u32>(RINGS_MAX);
const r_inflight = new StaticArray<u32>(RINGS_MAX);
const r_defer_head = new StaticArray<u32>(RINGS_MAX); // req+1
const r_defer_tail = new StaticArray<u32>(RINGS_MAX);
const r_deferred = new StaticArray<u32>(RINGS_MAX); // requests (chain members too) in the defer list
const r_drain_disabled = new StaticArray<bool>(RINGS_MAX); // a CQE_SKIP_SUCCESS SQE was seen
const r_drain_next = new StaticArray<bool>(RINGS_MAX); // drain the request after the current link
const r_link_head = new StaticArray<u32>(RINGS_MAX); // req+1 of the link being assembled
const r_link_last = new StaticArray<u32>(RINGS_MAX);
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
export const RQ_FILE: u32 = 56; // u32 struct file id
export const RQ_DONE_BYTES: u32 = 60; // u32
export const RQ_SUBMIT_NS: u32 = 64; // u64
export const RQ_DEFER_NEXT: u32 = 76; // u32 req + 1
export const RQ_OP_FLAGS: u32 = 80; // u32 sqe op flags (rw_flags / nop_flags)
export const RQ_MAP: u32 = 84; // i32 dma-buf map held (-1 none)
export const RQ_ERR: i32 = 88; // i32 first error of a split request
export const RQ_BUF_NODE: u32 = 92; // u32 buffer slot resolved at issue
export const RQ_BUF_BASE: u32 = 96; // u64 import base
export const RQ_EXPECT: u32 = 104; // i32 expected result (short I/O fails links)
export const RQ_RFD: u32 = 124; // i32 the fd after fixed-file resolution

export const REQ_F_FAIL: u32 = 1 << 0;
export const REQ_F_LINK: u32 = 1 << 1;
export const REQ_F_HARDLINK: u32 = 1 << 2;
export const REQ_F_DRAIN: u32 = 1 << 3;
export const REQ_F_FORCE_ASYNC: u32 = 1 << 4;
export const REQ_F_CQE_SKIP: u32 = 1 << 5;
export const REQ_F_FIXED_FILE: u32 = 1 << 6;
export const REQ_F_POLLED: u32 = 1 << 7;

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
  for (let r = 0; r < RINGS_MAX; r++) unchecked((r_live[r] = false));
}

function req_alloc(): u32 {
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

function req_free(req: u32): void {
  const p = rq(req);
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
  if ((flags & ~u.IORING_SETUP_KNOWN) != 0) return -u.EINVAL;
  if ((flags & u.IORING_SETUP_DEFER_TASKRUN) != 0) {
    if ((flags & u.IORING_SETUP_SINGLE_ISSUER) == 0) return -u.EINVAL;
    if ((flags & u.IORING_SETUP_SQPOLL) != 0) return -u.EINVAL;
  }
  if ((flags & ~u.IORING_SETUP_MODELLED) != 0) return -u.EOPNOTSUPP;
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
  if (core < 0 || core >= cores) return -u.EINVAL;
  let id = -1;
  for (let r = 0; r < RINGS_MAX; r++) {
    if (!unchecked(r_live[r])) {
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

/**
 * Tear a ring down (close of the ring fd). In-flight requests are waited for
 * first, as io_ring_exit_work does, so no completion is lost.
 */
export function io_uring_exit(id: i32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  let guard: u32 = 0;
  while (unchecked(r_inflight[id]) > 0 && !ev_empty()) {
    const t = ev_peek_time();
    const c = unchecked(r_core[id]);
    advance_to(c, t, false, LAYER_APP);
    sim_step();
    if (++guard > 100_000_000) break;
  }
  rsrc_release(id);
  blk_free(unchecked(r_rings[id]), unchecked(r_rings_bytes[id]));
  blk_free(unchecked(r_sqes[id]), <usize>unchecked(r_sq_entries[id]) * SQE_SIZE);
  if (unchecked(r_ovf[id]) != 0) blk_free(unchecked(r_ovf[id]), <usize>OVERFLOW_MAX * CQE_SIZE);
  fd_close(unchecked(r_fd[id]));
  unchecked((r_live[id] = false));
  return 0;
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

function cqe_write(id: i32, user_data: u64, res: i32, cflags: u32): void {
  const rings = unchecked(r_rings[id]);
  const tail = load<u32>(rings + RO_CQ_TAIL);
  const p = rings + RO_CQES + <usize>(tail & (unchecked(r_cq_entries[id]) - 1)) * CQE_SIZE;
  store<u64>(p, user_data);
  store<i32>(p + 8, res);
  store<u32>(p + 12, cflags);
  store<u32>(rings + RO_CQ_TAIL, tail + 1);
}

/**
 * Post a CQE (io_fill_cqe_req). While anything waits in the overflow list, new
 * CQEs join it too, so order is kept; nothing is ever dropped.
 */
export function io_post_cqe(id: i32, user_data: u64, res: i32, cflags: u32): void {
  if (unchecked(r_ovf_count[id]) == 0 && cq_space(id) > 0) {
    cqe_write(id, user_data, res, cflags);
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
  const rings = unchecked(r_rings[id]);
  store<u32>(rings + RO_SQ_FLAGS, load<u32>(rings + RO_SQ_FLAGS) | u.IORING_SQ_CQ_OVERFLOW);
}

/** __io_cqring_overflow_flush: move overflowed CQEs, in order, while there is room. */
export function io_cqring_overflow_flush(id: i32): void {
  let n = unchecked(r_ovf_count[id]);
  if (n == 0) return;
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

/** io_fail_links: complete everything linked after `req` with -ECANCELED, or
 * with its own error when it failed to initialise (REQ_F_FAIL). */
function io_fail_links(req: u32): void {
  let nxt = load<u32>(rq(req) + RQ_LINK);
  store<u32>(rq(req) + RQ_LINK, 0);
  let guard: u32 = 0;
  while (nxt != 0) {
    const l = nxt - 1;
    const p = rq(l);
    nxt = load<u32>(p + RQ_LINK);
    store<u32>(p + RQ_LINK, 0);
    const res = (load<u32>(p + RQ_FLAGS) & REQ_F_FAIL) != 0 ? load<i32>(p + RQ_RES) : -u.ECANCELED;
    io_req_finish(l, res);
    req_free(l);
    if (++guard > REQS_MAX) fail(SIM_ERR_INVARIANT, 1);
  }
}

/**
 * Complete a request with `res`: post its CQE, then start or fail what is
 * linked after it, then release deferred (drained) requests whose turn came.
 */
export function io_req_complete(req: u32, res: i32): void {
  const p = rq(req);
  const id = <i32>load<u8>(p + RQ_RING);
  let failed = res < 0;
  // A short read or write fails the link (io_rw: res != expected length).
  const expect = load<i32>(p + RQ_EXPECT);
  if (!failed && expect > 0 && res != expect) failed = true;
  const nxt = load<u32>(p + RQ_LINK);
  const cont = nxt != 0 && (!failed || (load<u32>(p + RQ_FLAGS) & REQ_F_HARDLINK) != 0);
  io_req_finish(req, res);
  if (nxt != 0 && !cont) io_fail_links(req);
  store<u32>(p + RQ_LINK, 0);
  req_free(req);
  if (cont) io_queue_sqe_start(nxt - 1);
  io_queue_deferred(id);
}

/** Post the CQE and account the request's completion (does not free it). */
function io_req_finish(req: u32, res: i32): void {
  const p = rq(req);
  const id = <i32>load<u8>(p + RQ_RING);
  const core = unchecked(r_core[id]);
  const skip = (load<u32>(p + RQ_FLAGS) & REQ_F_CQE_SKIP) != 0 && res >= 0;
  if (!skip) {
    charge(core, LAYER_URING, cost(COST_CQE));
    io_post_cqe(id, load<u64>(p + RQ_USER_DATA), res, 0);
  }
  if (!stats_by_app) stats_complete(load<u64>(p + RQ_SUBMIT_NS), unchecked(core_time[core]), res);
  unchecked((r_inflight[id] -= 1));
}

// ---------------------------------------------------------------------------
// Drain (IOSQE_IO_DRAIN): a drained request waits until every request before
// it has completed, and everything after it waits behind it, in order.

/** Requests in a chain starting at `req` (the head and what is linked after it). */
function chain_len(req: u32): u32 {
  let n: u32 = 1;
  let nxt = load<u32>(rq(req) + RQ_LINK);
  while (nxt != 0 && n <= REQS_MAX) {
    n++;
    nxt = load<u32>(rq(nxt - 1) + RQ_LINK);
  }
  return n;
}

/**
 * Release deferred requests in order: one marked IOSQE_IO_DRAIN only once no
 * request outside the defer list is outstanding — every earlier request has
 * completed (tracked by count, so requests that complete early, such as a
 * failed link, cannot stall it); the others as soon as they reach the head.
 */
function io_queue_deferred(id: i32): void {
  let guard: u32 = 0;
  while (unchecked(r_defer_head[id]) != 0) {
    const req = unchecked(r_defer_head[id]) - 1;
    const p = rq(req);
    const drain = (load<u32>(p + RQ_FLAGS) & REQ_F_DRAIN) != 0;
    if (drain && unchecked(r_inflight[id]) != unchecked(r_deferred[id])) break;
    unchecked((r_deferred[id] -= chain_len(req)));
    unchecked((r_defer_head[id] = load<u32>(p + RQ_DEFER_NEXT)));
    if (unchecked(r_defer_head[id]) == 0) unchecked((r_defer_tail[id] = 0));
    io_queue_sqe_start(req);
    if (++guard > REQS_MAX) break;
  }
}

function io_defer(id: i32, req: u32): void {
  unchecked((r_deferred[id] += chain_len(req)));
  store<u32>(rq(req) + RQ_DEFER_NEXT, 0);
  if (unchecked(r_defer_tail[id]) != 0) store<u32>(rq(unchecked(r_defer_tail[id]) - 1) + RQ_DEFER_NEXT, req + 1);
  else unchecked((r_defer_head[id] = req + 1));
  unchecked((r_defer_tail[id] = req + 1));
}

/** Queue a request (the head of a link when linked): drain, failure, or issue. */
function io_queue_sqe(req: u32): void {
  const p = rq(req);
  const id = <i32>load<u8>(p + RQ_RING);
  if ((load<u32>(p + RQ_FLAGS) & REQ_F_FAIL) != 0) {
    // A link assembled around a request that failed to initialise: complete
    // the head with its error and the rest as io_fail_links does.
    io_req_finish(req, load<i32>(p + RQ_RES));
    io_fail_links(req);
    req_free(req);
    io_queue_deferred(id);
    return;
  }
  // Behind a non-empty defer list everything waits its turn; a drained
  // request also waits for every outstanding request submitted before it.
  const drain = (load<u32>(p + RQ_FLAGS) & REQ_F_DRAIN) != 0;
  if (unchecked(r_defer_head[id]) != 0 ||
    (drain && unchecked(r_inflight[id]) - unchecked(r_deferred[id]) != chain_len(req))) {
    io_defer(id, req);
    return;
  }
  io_queue_sqe_start(req);
}

function io_queue_sqe_start(req: u32): void {
  const p = rq(req);
  if ((load<u32>(p + RQ_FLAGS) & REQ_F_FORCE_ASYNC) != 0) {
    // IOSQE_ASYNC: punted to io-wq; the worker issues it (charged on the
    // submitting core, which is where the model runs the worker).
    const id = <i32>load<u8>(p + RQ_RING);
    charge(unchecked(r_core[id]), LAYER_URING, cost(COST_WORKER_PUNT));
  }
  io_issue_sqe(req);
}

/** Issue one request; complete it inline if the opcode finished. */
export function io_issue_sqe(req: u32): void {
  const p = rq(req);
  const id = <i32>load<u8>(p + RQ_RING);
  const core = unchecked(r_core[id]);
  const op = load<u8>(p + RQ_OPCODE);
  let ret: i32;
  if (op == u.IORING_OP_NOP) {
    charge(core, LAYER_URING, cost(COST_NOP));
    ret = io_nop(req, id);
  } else {
    ret = io_rw_issue(req, id, core);
  }
  if (ret != IOU_ISSUE_SKIP_COMPLETE) io_req_complete(req, ret);
  // Outside a submission batch (a link's next request, a drained one) the
  // plug is not held: ring the doorbell now.
  if (!plugged) nvme_commit_rqs(core);
}

/** Set while io_submit_sqes holds the block plug (doorbells batch). */
let plugged: bool = false;

/** Returned by an issue handler that completes later (from the device). */
export const IOU_ISSUE_SKIP_COMPLETE: i32 = i32.MIN_VALUE;

function io_nop(req: u32, id: i32): i32 {
  const p = rq(req);
  const nflags = load<u32>(p + RQ_OP_FLAGS);
  let ret: i32 = (nflags & u.IORING_NOP_INJECT_RESULT) != 0 ? load<i32>(p + RQ_LEN) : 0;
  if ((nflags & u.IORING_NOP_FILE) != 0) {
    const fd = load<i32>(p + RQ_FD);
    let ok: bool;
    if ((nflags & u.IORING_NOP_FIXED_FILE) != 0) ok = io_fixed_fd(id, fd) >= 0;
    else ok = fd_valid_user(fd);
    if (!ok) return -u.EBADF;
  }
  if ((nflags & u.IORING_NOP_FIXED_BUFFER) != 0) {
    const idx = <u32>load<u16>(p + RQ_BUF_INDEX);
    // io_find_buf_node: the slot must exist and hold a buffer (64-byte entries, type at 0).
    if (idx >= unchecked(r_buf_count[id]) || load<u32>(unchecked(r_buf_table[id]) + <usize>idx * 64) == 0) {
      return -u.EFAULT;
    }
  }
  return ret;
}

/** The fd behind registered file slot `slot`, or -1. */
export function io_fixed_fd(id: i32, slot: i32): i32 {
  if (slot < 0 || <u32>slot >= unchecked(r_file_count[id])) return -1;
  return load<i32>(unchecked(r_file_table[id]) + <usize>slot * 4);
}

// ---------------------------------------------------------------------------
// Submission.

/** io_init_req: validate the SQE and fill the request; 0 or -errno. */
function io_init_req(id: i32, req: u32, sqe: usize): i32 {
  const p = rq(req);
  const op = load<u8>(sqe);
  const sflags = load<u8>(sqe + 1);
  store<u8>(p + RQ_OPCODE, op);
  store<u8>(p + RQ_SQE_FLAGS, sflags);
  store<u64>(p + RQ_USER_DATA, load<u64>(sqe + 32));
  store<u8>(p + RQ_RING, <u8>id);
  store<i32>(p + RQ_FD, load<i32>(sqe + 4));
  store<u64>(p + RQ_OFF, load<u64>(sqe + 8));
  store<u64>(p + RQ_ADDR, load<u64>(sqe + 16));
  store<u32>(p + RQ_LEN, load<u32>(sqe + 24));
  store<u32>(p + RQ_OP_FLAGS, load<u32>(sqe + 28));
  store<u16>(p + RQ_BUF_INDEX, load<u16>(sqe + 40));
  store<u64>(p + RQ_SUBMIT_NS, unchecked(core_time[unchecked(r_core[id])]));
  unchecked((r_inflight[id] += 1));
  let f: u32 = 0;
  if ((sflags & u.IOSQE_IO_LINK) != 0) f |= REQ_F_LINK;
  if ((sflags & u.IOSQE_IO_HARDLINK) != 0) f |= REQ_F_LINK | REQ_F_HARDLINK;
  if ((sflags & u.IOSQE_CQE_SKIP_SUCCESS) != 0) f |= REQ_F_CQE_SKIP;
  if ((sflags & u.IOSQE_ASYNC) != 0) f |= REQ_F_FORCE_ASYNC;
  if ((sflags & u.IOSQE_FIXED_FILE) != 0) f |= REQ_F_FIXED_FILE;
  store<u32>(p + RQ_FLAGS, f);

  if (op >= u.IORING_OP_LAST) return -u.EINVAL;
  if ((sflags & ~u.SQE_VALID_FLAGS) != 0) return -u.EINVAL;
  const is_rw = op == u.IORING_OP_READ || op == u.IORING_OP_WRITE || op == u.IORING_OP_READ_FIXED ||
    op == u.IORING_OP_WRITE_FIXED || op == u.IORING_OP_READV || op == u.IORING_OP_WRITEV ||
    op == u.IORING_OP_READV_FIXED || op == u.IORING_OP_WRITEV_FIXED;
  if (op != u.IORING_OP_NOP && !is_rw) return -u.EOPNOTSUPP; // not modelled (README)
  if ((sflags & u.IOSQE_BUFFER_SELECT) != 0) {
    // NOP cannot select buffers (-EINVAL in io_init_req); provided buffer
    // rings are not modelled for reads.
    return op == u.IORING_OP_NOP ? -u.EINVAL : -u.EOPNOTSUPP;
  }
  // CQE_SKIP_SUCCESS makes drain impossible to track: it disables it for the ring.
  if ((sflags & u.IOSQE_CQE_SKIP_SUCCESS) != 0) unchecked((r_drain_disabled[id] = true));
  if ((sflags & u.IOSQE_IO_DRAIN) != 0) {
    if (unchecked(r_drain_disabled[id])) return -u.EOPNOTSUPP;
    // io_init_drain: inside a link, the head is drained and so is what follows the link.
    const head = unchecked(r_link_head[id]);
    if (head != 0) {
      store<u32>(rq(head - 1) + RQ_FLAGS, load<u32>(rq(head - 1) + RQ_FLAGS) | REQ_F_DRAIN);
      unchecked((r_drain_next[id] = true));
    } else {
      store<u32>(p + RQ_FLAGS, load<u32>(p + RQ_FLAGS) | REQ_F_DRAIN);
    }
  } else if (unchecked(r_drain_next[id]) && unchecked(r_link_head[id]) == 0) {
    unchecked((r_drain_next[id] = false));
    store<u32>(p + RQ_FLAGS, load<u32>(p + RQ_FLAGS) | REQ_F_DRAIN);
  }
  if (op == u.IORING_OP_NOP) {
    if ((load<u32>(p + RQ_OP_FLAGS) & ~u.NOP_FLAGS) != 0) return -u.EINVAL;
    return 0;
  }
  return io_rw_prep(req, id, sqe);
}

/**
 * io_submit_fail_init: keep assembling the link, marking its head failed.
 * Returns true when the failure ended submission's current chain (the
 * request was not linked onward): the caller stops submitting there.
 */
function io_submit_fail_init(id: i32, req: u32, ret: i32): bool {
  const p = rq(req);
  store<u32>(p + RQ_FLAGS, load<u32>(p + RQ_FLAGS) | REQ_F_FAIL);
  store<i32>(p + RQ_RES, ret);
  const head = unchecked(r_link_head[id]);
  if (head != 0) {
    const hp = rq(head - 1);
    if ((load<u32>(hp + RQ_FLAGS) & REQ_F_FAIL) == 0) {
      store<u32>(hp + RQ_FLAGS, load<u32>(hp + RQ_FLAGS) | REQ_F_FAIL);
      store<i32>(hp + RQ_RES, -u.ECANCELED);
    }
  }
  if ((load<u32>(p + RQ_FLAGS) & REQ_F_LINK) == 0) {
    if (head != 0) {
      store<u32>(rq(unchecked(r_link_last[id]) - 1) + RQ_LINK, req + 1);
      unchecked((r_link_head[id] = 0));
      io_queue_sqe(head - 1);
    } else {
      io_queue_sqe(req);
    }
    return true;
  }
  if (head != 0) store<u32>(rq(unchecked(r_link_last[id]) - 1) + RQ_LINK, req + 1);
  else unchecked((r_link_head[id] = req + 1));
  unchecked((r_link_last[id] = req + 1));
  return false;
}

/** io_submit_sqe: false when an SQE failed to initialise and submission should stop. */
function io_submit_sqe(id: i32, req: u32, sqe: usize): bool {
  const ret = io_init_req(id, req, sqe);
  if (ret != 0) return !io_submit_fail_init(id, req, ret);
  const p = rq(req);
  const head = unchecked(r_link_head[id]);
  if (head != 0) {
    store<u32>(rq(unchecked(r_link_last[id]) - 1) + RQ_LINK, req + 1);
    unchecked((r_link_last[id] = req + 1));
    if ((load<u32>(p + RQ_FLAGS) & REQ_F_LINK) != 0) return true;
    unchecked((r_link_head[id] = 0));
    io_queue_sqe(head - 1);
    return true;
  }
  if ((load<u32>(p + RQ_FLAGS) & REQ_F_LINK) != 0) {
    unchecked((r_link_head[id] = req + 1));
    unchecked((r_link_last[id] = req + 1));
    return true;
  }
  io_queue_sqe(req);
  return true;
}

/** io_submit_sqes: consume up to `nr` SQEs; returns how many were consumed. */
export function io_submit_sqes(id: i32, nr: u32): i32 {
  const rings = unchecked(r_rings[id]);
  const core = unchecked(r_core[id]);
  const tail = load<u32>(rings + RO_SQ_TAIL);
  let head = unchecked(r_cached_sq_head[id]);
  const avail = tail - head;
  if (avail < nr) nr = avail;
  if (nr > unchecked(r_sq_entries[id])) nr = unchecked(r_sq_entries[id]);
  const mask = unchecked(r_sq_entries[id]) - 1;
  const arr = unchecked(r_sq_array[id]);
  const sqes = unchecked(r_sqes[id]);
  let submitted: i32 = 0;
  plugged = true;
  for (let i: u32 = 0; i < nr; i++) {
    const idx = load<u32>(arr + <usize>((head & mask) << 2));
    head++;
    unchecked((r_cached_sq_head[id] = head));
    if (idx >= unchecked(r_sq_entries[id])) {
      // io_get_sqe drops an invalid index: counted in sq_dropped, and the
      // submission stops there.
      store<u32>(rings + RO_SQ_DROPPED, load<u32>(rings + RO_SQ_DROPPED) + 1);
      break;
    }
    charge(core, LAYER_URING, cost(COST_SQE));
    const req = req_alloc();
    submitted++;
    // Without IORING_SETUP_SUBMIT_ALL a failed SQE (consumed, its CQE posted)
    // ends the submission; the rest stay in the SQ for the next enter.
    if (!io_submit_sqe(id, req, sqes + <usize>idx * SQE_SIZE) &&
      (unchecked(r_flags[id]) & u.IORING_SETUP_SUBMIT_ALL) == 0) break;
  }
  // The kernel publishes the consumed head for userspace.
  store<u32>(rings + RO_SQ_HEAD, head);
  // io_submit_state_end: a link still open at the end of the batch is queued.
  const lh = unchecked(r_link_head[id]);
  if (lh != 0) {
    unchecked((r_link_head[id] = 0));
    io_queue_sqe(lh - 1);
  }
  // blk_finish_plug: commit_rqs rings each touched queue's doorbell once.
  plugged = false;
  nvme_commit_rqs(core);
  return submitted;
}

// ---------------------------------------------------------------------------
// io_uring_enter and its wait paths.

/** Iteration bound on every wait loop: far above any real run's events. */
const WAIT_GUARD: u32 = 0x7fffffff;

/**
 * io_uring_enter(fd, to_submit, min_complete, flags). Returns the number of
 * SQEs consumed, or, when none were, the wait's result (0 or -errno).
 * -EDEADLK marks a wait that could never finish (nothing in flight): the
 * kernel would sleep forever there.
 */
export function io_uring_enter(id: i32, to_submit: u32, min_complete: u32, flags: u32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  const core = unchecked(r_core[id]);
  charge(core, LAYER_URING, cost(COST_ENTER));
  let submitted: i32 = 0;
  if (to_submit > 0) {
    submitted = io_submit_sqes(id, to_submit);
    // A submission that stopped short returns at once: no waiting for events.
    if (submitted != <i32>to_submit) return submitted;
  }
  let ret2: i32 = 0;
  if ((flags & u.IORING_ENTER_GETEVENTS) != 0) {
    io_cqring_overflow_flush(id);
    if ((unchecked(r_flags[id]) & u.IORING_SETUP_IOPOLL) != 0) ret2 = io_iopoll_check(id, min_complete);
    else ret2 = io_cqring_wait(id, min_complete);
  }
  return submitted != 0 ? submitted : ret2;
}

/** Sleep until `min` CQEs are ready (interrupt-driven completions). */
function io_cqring_wait(id: i32, min: u32): i32 {
  const core = unchecked(r_core[id]);
  let guard: u32 = 0;
  while (cq_ready(id) + unchecked(r_ovf_count[id]) < min) {
    if (ev_empty()) return cq_ready(id) > 0 ? 0 : -u.EDEADLK;
    advance_to(core, ev_peek_time(), false, LAYER_APP);
    sim_step();
    io_cqring_overflow_flush(id);
    if (++guard > WAIT_GUARD) break;
  }
  return 0;
}

/**
 * io_iopoll_check: poll the completion queues, spinning, until at least
 * `min` CQEs are ready; with min == 0 poll once.
 */
function io_iopoll_check(id: i32, min: u32): i32 {
  const core = unchecked(r_core[id]);
  // The kernel never waits for more completions than the CQ holds.
  if (min > unchecked(r_cq_entries[id])) min = unchecked(r_cq_entries[id]);
  let guard: u32 = 0;
  while (true) {
    if (unchecked(r_inflight[id]) == 0) return cq_ready(id) >= min || min == 0 ? 0 : -u.EDEADLK;
    charge(core, LAYER_POLL, cost(COST_POLL));
    // Everything the device finished by now becomes visible to this pass.
    while (!ev_empty() && ev_peek_time() <= unchecked(core_time[core])) sim_step();
    nvme_poll(core);
    io_cqring_overflow_flush(id);
    if (min == 0 || cq_ready(id) >= min) break;
    if (ev_empty()) {
      if (unchecked(r_inflight[id]) > 0 && nvme_poll_pending(core)) continue;
      return cq_ready(id) > 0 ? 0 : -u.EDEADLK;
    }
    advance_to(core, ev_peek_time(), true, LAYER_SPIN);
    if (++guard > WAIT_GUARD) break;
  }
  return 0;
}


/** Charge the program's own per-SQE / per-CQE work (liburing prep, reap). */
export function app_charge(id: i32, ns: u64): void {
  charge(unchecked(r_core[id]), LAYER_APP, ns);
}

/** io_uring_enter's submission half, for workload threads (no wait). */
export function io_enter_submit(id: i32, to_submit: u32): i32 {
  charge(unchecked(r_core[id]), LAYER_URING, cost(COST_ENTER));
  return to_submit > 0 ? io_submit_sqes(id, to_submit) : 0;
}

/**
 * One non-blocking GETEVENTS pass for workload threads: flush overflow and,
 * on an IOPOLL ring with requests in flight, poll the completion queues once.
 */
export function io_getevents_pass(id: i32): void {
  io_cqring_overflow_flush(id);
  if ((unchecked(r_flags[id]) & u.IORING_SETUP_IOPOLL) != 0 && unchecked(r_inflight[id]) > 0) {
    const core = unchecked(r_core[id]);
    charge(core, LAYER_POLL, cost(COST_POLL));
    nvme_poll(core);
    io_cqring_overflow_flush(id);
  }
}
