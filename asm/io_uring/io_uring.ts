// io_uring's system calls (io_uring/io_uring.c): SQE consumption and
// request set-up, links at submission, issue (NOP here, read/write in
// rw.ts), io_uring_enter with its wait paths (IOPOLL and interrupt-driven),
// and teardown. The ring state they work on is ring.ts's.

import { REQS_MAX } from "../sim/limits";
import { bound, INV_CQ_WAIT, INV_EXIT_WAIT, INV_IOPOLL_WAIT } from "../sim/errors";
import { blk_free } from "../sim/mem";
import {
  advance_to, charge, core_time, ev_empty, ev_peek_time, LAYER_APP, LAYER_POLL, LAYER_SPIN, LAYER_URING, sim_step,
} from "../sim/engine";
import { cost, COST_ENTER, COST_NOP, COST_POLL, COST_SQE } from "../sim/costs";
import * as u from "../sim/uapi";
import { fd_close, fd_valid_user } from "../fs/files";
import { io_rw_issue, io_rw_prep, rw_err_async } from "./rw";
import { rsrc_release } from "./rsrc";
import { nvme_commit_rqs, nvme_poll, nvme_poll_pending } from "../nvme/pci";
import { blk_mq_stalled, events_live } from "../block/blk_mq";
import { stats_ring_submit } from "../sim/stats";
import {
  chain_len, cq_ready, CQE_SIZE, io_cqring_overflow_flush, io_defer, io_fixed_fd, io_queue_deferred,
  io_req_complete, io_req_finish, IOU_ISSUE_SKIP_COMPLETE, r_buf_count, r_buf_table, r_cached_sq_head, r_core,
  r_cq_entries, r_defer_head, r_deferred, r_drain_disabled, r_drain_next, r_fd, r_flags, r_inflight, r_link_head,
  r_link_last, r_live, r_zombie, r_ovf, r_ovf_count, r_rings, r_rings_bytes, r_sq_array, r_sq_entries, r_sqes, REQ_F_CQE_SKIP,
  REQ_F_DRAIN, REQ_F_FAIL, REQ_F_FIXED_FILE, REQ_F_FORCE_ASYNC, REQ_F_HARDLINK, REQ_F_LINK, req_alloc, req_free,
  io_batch_begin, io_batch_end, io_set_issue, io_req_tw_complete, iowq_issue, r_drain_active, set_in_enter, in_enter, tw_add, TW_IOWQ,
  tw_pending, tw_run, tw_run_all, tw_run_local, ring_live, RO_CQ_TAIL, RO_SQ_DROPPED, RO_SQ_HEAD, RO_SQ_TAIL, rq, RQ_ADDR, RQ_BUF_INDEX, RQ_FD, RQ_FLAGS, RQ_LEN, RQ_LINK,
  RQ_OFF, RQ_OP_FLAGS, RQ_OPCODE, RQ_RES, RQ_RING, RQ_SQE_FLAGS, RQ_SUBMIT_NS, RQ_USER_DATA, SQE_SIZE,
} from "./ring";
import { OVERFLOW_MAX } from "../sim/limits";

/** Register this file's issue path with ring.ts (machine set-up). */
export function io_uring_hooks(): void {
  io_set_issue(io_issue_sqe);
}

/**
 * Tear a ring down (close of the ring fd). In-flight requests are waited for
 * first, as io_ring_exit_work does, so no completion is lost.
 */
export function io_uring_exit(id: i32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  let guard: u32 = 0;
  tw_run_all(id);
  while (unchecked(r_inflight[id]) > 0 && events_live()) {
    const t = ev_peek_time();
    const c = unchecked(r_core[id]);
    advance_to(c, t, false, LAYER_APP);
    sim_step();
    tw_run_all(id);
    bound(++guard, 100_000_000, INV_EXIT_WAIT);
  }
  if (unchecked(r_inflight[id]) > 0) {
    // Requests blk-mq can never issue (blk_mq_stalled): the kernel's exit
    // work waits for them for ever and never frees the ctx. Only the fd
    // goes; the ring's memory, registrations and slot stay (r_zombie).
    fd_close(unchecked(r_fd[id]));
    unchecked((r_live[id] = false));
    unchecked((r_zombie[id] = true));
    return 0;
  }
  rsrc_release(id);
  blk_free(unchecked(r_rings[id]), unchecked(r_rings_bytes[id]));
  blk_free(unchecked(r_sqes[id]), <usize>unchecked(r_sq_entries[id]) * SQE_SIZE);
  if (unchecked(r_ovf[id]) != 0) blk_free(unchecked(r_ovf[id]), <usize>OVERFLOW_MAX * CQE_SIZE);
  fd_close(unchecked(r_fd[id]));
  unchecked((r_live[id] = false));
  return 0;
}

/**
 * Queue a request (the head of a link when linked) of ring `id`: failure,
 * drain, io-wq, or issue. The callers are submission's, which have the ring
 * and its core.
 */
function io_queue_sqe(req: u32, id: i32, core: i32): void {
  const p = rq(req);
  const f = load<u32>(p + RQ_FLAGS);
  if ((f & REQ_F_FAIL) != 0) {
    // io_queue_sqe_fallback: a link assembled around a request that failed
    // to initialise completes its head with the error, hard link or not;
    // the rest is cancelled as task work.
    store<u32>(p + RQ_FLAGS, f & ~REQ_F_HARDLINK);
    io_req_complete(req, load<i32>(p + RQ_RES));
    return;
  }
  const drain = (f & REQ_F_DRAIN) != 0;
  if (drain || unchecked(r_drain_active[id]) || unchecked(r_defer_head[id]) != 0) {
    // io_drain_req: onto the defer list; io_queue_deferred lets it go (as
    // task work) once nothing submitted before it is outstanding.
    io_defer(id, req);
    io_queue_deferred(id);
    if (!drain && unchecked(r_defer_head[id]) == 0) unchecked((r_drain_active[id] = false));
    return;
  }
  if ((f & REQ_F_FORCE_ASYNC) != 0) {
    // IOSQE_ASYNC: handed to io-wq, so it completes after the batch's inline
    // completions. No worker thread is simulated: the punt is a task-work
    // item whose completion is one more item (see TW_IOWQ).
    tw_add(id, req, TW_IOWQ);
    return;
  }
  // Not IOSQE_ASYNC (that returned above): issued inline. The worker's
  // punt charge is ring.ts's io_queue_next, where a TW_IOWQ item issues.
  __io_issue_sqe(req, id, core);
}

/** Issue one request; complete it inline if the opcode finished (the hook ring.ts calls). */
export function io_issue_sqe(req: u32): void {
  const id = <i32>load<u8>(rq(req) + RQ_RING);
  __io_issue_sqe(req, id, unchecked(r_core[id]));
}

/** io_issue_sqe for a caller that has the request's ring `id` and its core. */
// @ts-ignore: decorator
@inline function __io_issue_sqe(req: u32, id: i32, core: i32): void {
  const p = rq(req);
  const op = load<u8>(p + RQ_OPCODE);
  let ret: i32;
  if (op == u.IORING_OP_NOP) {
    charge(core, LAYER_URING, cost(COST_NOP));
    // Any i32 is a valid injected result (INT_MIN included): a NOP always
    // completes here, never through the "completes later" return.
    const res = io_nop(req, id);
    if ((load<u32>(p + RQ_OP_FLAGS) & u.IORING_NOP_TW) != 0 || iowq_issue) io_req_tw_complete(req, res);
    else io_req_complete(req, res);
  } else {
    ret = io_rw_issue(req, id, core, op);
    if (ret != IOU_ISSUE_SKIP_COMPLETE) {
      if (rw_err_async || iowq_issue) io_req_tw_complete(req, ret);
      else io_req_complete(req, ret);
    }
  }
  // Outside a submission batch (a link's next request, a drained one) the
  // plug is not held: ring the doorbell now.
  if (!plugged) nvme_commit_rqs(core);
}

/** Set while io_submit_sqes holds the block plug (doorbells batch). */
let plugged: bool = false;

function io_nop(req: u32, id: i32): i32 {
  const p = rq(req);
  const nflags = load<u32>(p + RQ_OP_FLAGS);
  let ret: i32 = (nflags & u.IORING_NOP_INJECT_RESULT) != 0 ? load<i32>(p + RQ_LEN) : 0;
  if ((nflags & u.IORING_NOP_FILE) != 0) {
    const fd = load<i32>(p + RQ_FD);
    // A registered-file index with IORING_NOP_FIXED_FILE or IOSQE_FIXED_FILE.
    const fixed = (nflags & u.IORING_NOP_FIXED_FILE) != 0 || (load<u32>(p + RQ_FLAGS) & REQ_F_FIXED_FILE) != 0;
    const ok = fixed ? io_fixed_fd(id, fd) >= 0 : fd_valid_user(fd);
    // A bad file ends the NOP there: its fixed buffer is not looked at.
    if (!ok) return -u.EBADF;
  }
  if ((nflags & u.IORING_NOP_FIXED_BUFFER) != 0) {
    const idx = <u32>load<u16>(p + RQ_BUF_INDEX);
    // io_find_buf_node: the slot must exist and hold a buffer (64-byte entries, type at 0).
    if (idx >= unchecked(r_buf_count[id]) || load<u32>(unchecked(r_buf_table[id]) + <usize>idx * 64) == 0) {
      ret = -u.EFAULT;
    }
  }
  return ret;
}


// ---------------------------------------------------------------------------
// Submission.

/**
 * io_init_req: validate the SQE and fill the request; 0 or -errno. `core`
 * is the ring's (io_submit_sqes has it: not looked up again per SQE).
 */
function io_init_req(id: i32, core: i32, req: u32, sqe: usize): i32 {
  const p = rq(req);
  const op = load<u8>(sqe + u.SQE_OPCODE);
  const sflags = load<u8>(sqe + u.SQE_FLAGS);
  store<u8>(p + RQ_OPCODE, op);
  store<u8>(p + RQ_SQE_FLAGS, sflags);
  store<u64>(p + RQ_USER_DATA, load<u64>(sqe + u.SQE_USER_DATA));
  store<u8>(p + RQ_RING, <u8>id);
  store<i32>(p + RQ_FD, load<i32>(sqe + u.SQE_FD));
  store<u64>(p + RQ_OFF, load<u64>(sqe + u.SQE_OFF));
  // Kept in locals too: the checks below and io_rw_prep use them (every
  // Wasm load is bounds-checked: not read back from the request).
  const addr = load<u64>(sqe + u.SQE_ADDR);
  const len = load<u32>(sqe + u.SQE_LEN);
  const op_flags = load<u32>(sqe + u.SQE_RW_FLAGS);
  store<u64>(p + RQ_ADDR, addr);
  store<u32>(p + RQ_LEN, len);
  store<u32>(p + RQ_OP_FLAGS, op_flags);
  store<u16>(p + RQ_BUF_INDEX, load<u16>(sqe + u.SQE_BUF_INDEX));
  const submit_ns = unchecked(core_time[core]);
  store<u64>(p + RQ_SUBMIT_NS, submit_ns);
  stats_ring_submit(id, submit_ns);
  unchecked((r_inflight[id] += 1));
  let f: u32 = 0;
  if ((sflags & u.IOSQE_IO_LINK) != 0) f |= REQ_F_LINK;
  if ((sflags & u.IOSQE_IO_HARDLINK) != 0) f |= REQ_F_LINK | REQ_F_HARDLINK;
  if ((sflags & u.IOSQE_CQE_SKIP_SUCCESS) != 0) f |= REQ_F_CQE_SKIP;
  if ((sflags & u.IOSQE_ASYNC) != 0) f |= REQ_F_FORCE_ASYNC;
  if ((sflags & u.IOSQE_FIXED_FILE) != 0) f |= REQ_F_FIXED_FILE;
  store<u32>(p + RQ_FLAGS, f);

  // io_init_req's checks, in its order.
  if (op >= u.IORING_OP_LAST) return -u.EINVAL;
  if ((sflags & ~u.SQE_VALID_FLAGS) != 0) return -u.EINVAL;
  const is_rw = op == u.IORING_OP_READ || op == u.IORING_OP_WRITE || op == u.IORING_OP_READ_FIXED ||
    op == u.IORING_OP_WRITE_FIXED || op == u.IORING_OP_READV || op == u.IORING_OP_WRITEV ||
    op == u.IORING_OP_READV_FIXED || op == u.IORING_OP_WRITEV_FIXED;
  if (op != u.IORING_OP_NOP && !is_rw) return -u.EOPNOTSUPP; // not modelled (README)
  if ((sflags & u.IOSQE_BUFFER_SELECT) != 0) {
    // NOP and the fixed-buffer opcodes have no buffer_select (-EOPNOTSUPP in
    // io_init_req); provided buffer rings for READ/READV are not modelled
    // (also -EOPNOTSUPP: ours).
    return -u.EOPNOTSUPP;
  }
  // CQE_SKIP_SUCCESS makes drain impossible to track: it disables it for the ring.
  if ((sflags & u.IOSQE_CQE_SKIP_SUCCESS) != 0) unchecked((r_drain_disabled[id] = true));
  if ((sflags & u.IOSQE_IO_DRAIN) != 0) {
    if (unchecked(r_drain_disabled[id])) return -u.EOPNOTSUPP;
    unchecked((r_drain_active[id] = true));
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
  // NOP has no ioprio (io_issue_def.ioprio); the read/write opcodes check
  // the priority class in their prep.
  if (op == u.IORING_OP_NOP && load<u16>(sqe + u.SQE_IOPRIO) != 0) return -u.EINVAL;
  // No personality is ever registered here: any non-zero one is unknown.
  if (load<u16>(sqe + u.SQE_PERSONALITY) != 0) return -u.EINVAL;
  if (op == u.IORING_OP_NOP) {
    if ((op_flags & ~u.NOP_FLAGS) != 0) return -u.EINVAL;
    // io_nop_prep: a 32-byte CQE needs a CQE32 or CQE_MIXED ring (neither is modelled).
    if ((op_flags & u.IORING_NOP_CQE32) != 0) return -u.EINVAL;
    return 0;
  }
  return io_rw_prep(sqe, op, addr, len);
}

/**
 * io_submit_fail_init: keep assembling the link, marking its head failed.
 * Returns true when the failure ended submission's current chain (the
 * request was not linked onward): the caller stops submitting there.
 */
function io_submit_fail_init(id: i32, core: i32, req: u32, ret: i32): bool {
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
      io_queue_sqe(head - 1, id, core);
    } else {
      io_queue_sqe(req, id, core);
    }
    return true;
  }
  if (head != 0) store<u32>(rq(unchecked(r_link_last[id]) - 1) + RQ_LINK, req + 1);
  else unchecked((r_link_head[id] = req + 1));
  unchecked((r_link_last[id] = req + 1));
  return false;
}

/** io_submit_sqe: false when an SQE failed to initialise and submission should stop. */
function io_submit_sqe(id: i32, core: i32, req: u32, sqe: usize): bool {
  const ret = io_init_req(id, core, req, sqe);
  if (ret != 0) return !io_submit_fail_init(id, core, req, ret);
  const p = rq(req);
  const head = unchecked(r_link_head[id]);
  if (head != 0) {
    store<u32>(rq(unchecked(r_link_last[id]) - 1) + RQ_LINK, req + 1);
    unchecked((r_link_last[id] = req + 1));
    if ((load<u32>(p + RQ_FLAGS) & REQ_F_LINK) != 0) return true;
    unchecked((r_link_head[id] = 0));
    io_queue_sqe(head - 1, id, core);
    return true;
  }
  if ((load<u32>(p + RQ_FLAGS) & REQ_F_LINK) != 0) {
    unchecked((r_link_head[id] = req + 1));
    unchecked((r_link_last[id] = req + 1));
    return true;
  }
  io_queue_sqe(req, id, core);
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
  const sq_entries = unchecked(r_sq_entries[id]);
  if (nr > sq_entries) nr = sq_entries;
  const mask = sq_entries - 1;
  const arr = unchecked(r_sq_array[id]);
  const no_array = (unchecked(r_flags[id]) & u.IORING_SETUP_NO_SQARRAY) != 0;
  const sqes = unchecked(r_sqes[id]);
  let submitted: i32 = 0;
  plugged = true;
  io_batch_begin(id);
  for (let i: u32 = 0; i < nr; i++) {
    // IORING_SETUP_NO_SQARRAY: the SQ head indexes the SQEs directly.
    const idx = no_array ? head & mask : load<u32>(arr + <usize>((head & mask) << 2));
    head++;
    if (idx >= sq_entries) {
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
    if (!io_submit_sqe(id, core, req, sqes + <usize>idx * SQE_SIZE) &&
      (unchecked(r_flags[id]) & u.IORING_SETUP_SUBMIT_ALL) == 0) break;
  }
  // The consumed head, kept once for the batch (nothing the loop calls reads
  // it: the issue path never submits SQEs), and published for userspace.
  unchecked((r_cached_sq_head[id] = head));
  store<u32>(rings + RO_SQ_HEAD, head);
  // io_submit_state_end: a link still open at the end of the batch goes the
  // slow way (io_queue_sqe_fallback): to io-wq, so it completes later.
  const lh = unchecked(r_link_head[id]);
  if (lh != 0) {
    unchecked((r_link_head[id] = 0));
    const hp = rq(lh - 1);
    store<u32>(hp + RQ_FLAGS, load<u32>(hp + RQ_FLAGS) | REQ_F_FORCE_ASYNC);
    io_queue_sqe(lh - 1, id, core);
  }
  // ... then __io_submit_flush_completions: link members released by this
  // batch's completions are queued after task work its requests queued.
  io_batch_end(id);
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
 * -EDEADLK marks a wait that could never finish (nothing in flight, or only
 * requests blk-mq keeps for DMA resources nothing will free): the kernel
 * would sleep forever there.
 */
export function io_uring_enter(id: i32, to_submit: u32, min_complete: u32, flags: u32): i32 {
  if (!ring_live(id)) return -u.EBADF;
  const was = in_enter;
  set_in_enter(true);
  const ret = io_uring_enter_locked(id, to_submit, min_complete, flags);
  // Back to user space: task_work_run (not DEFER_TASKRUN's local work).
  if ((unchecked(r_flags[id]) & u.IORING_SETUP_DEFER_TASKRUN) == 0) tw_run_all(id);
  set_in_enter(was);
  return ret;
}

function io_uring_enter_locked(id: i32, to_submit: u32, min_complete: u32, flags: u32): i32 {
  const core = unchecked(r_core[id]);
  charge(core, LAYER_URING, cost(COST_ENTER));
  let submitted: i32 = 0;
  const defer = (unchecked(r_flags[id]) & u.IORING_SETUP_DEFER_TASKRUN) != 0;
  const iopoll = (unchecked(r_flags[id]) & u.IORING_SETUP_IOPOLL) != 0;
  if (to_submit > 0) {
    submitted = io_submit_sqes(id, to_submit);
    // A submission that stopped short returns at once: no waiting for events.
    if (submitted != <i32>to_submit) return submitted;
    // DEFER_TASKRUN: io_run_local_work_locked(ctx, min_complete) before the wait.
    if ((flags & u.IORING_ENTER_GETEVENTS) != 0 && defer && !iopoll) tw_run_local(id, min_complete);
  }
  let ret2: i32 = 0;
  if ((flags & u.IORING_ENTER_GETEVENTS) != 0) {
    io_cqring_overflow_flush(id);
    if (iopoll) ret2 = io_iopoll_check(id, min_complete);
    else ret2 = io_cqring_wait(id, min_complete);
  }
  return submitted != 0 ? submitted : ret2;
}

/** Sleep until `min` CQEs are ready (interrupt-driven completions), running task work. */
function io_cqring_wait(id: i32, min: u32): i32 {
  const core = unchecked(r_core[id]);
  // The kernel never waits for more completions than the CQ holds.
  if (min > unchecked(r_cq_entries[id])) min = unchecked(r_cq_entries[id]);
  tw_run(id, min);
  io_cqring_overflow_flush(id);
  let guard: u32 = 0;
  while (cq_ready(id) + unchecked(r_ovf_count[id]) < min) {
    if (tw_pending(id)) {
      tw_run(id, min);
      io_cqring_overflow_flush(id);
      continue;
    }
    if (!events_live()) return cq_ready(id) > 0 ? 0 : -u.EDEADLK;
    advance_to(core, ev_peek_time(), false, LAYER_APP);
    sim_step();
    tw_run(id, min);
    io_cqring_overflow_flush(id);
    bound(++guard, WAIT_GUARD, INV_CQ_WAIT);
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
  io_cqring_overflow_flush(id);
  // "Don't enter poll loop if we already have events pending": CQEs in the
  // CQ end the call at once, before any task work runs.
  if (cq_ready(id) > 0) return 0;
  let guard: u32 = 0;
  while (true) {
    // The iopoll list: requests at the device on polled queues.
    const polling = unchecked(r_inflight[id]) > 0 && (events_live() || nvme_poll_pending(core));
    if (!polling || tw_pending(id)) {
      // Nothing to poll, or task work first: run it once; what it posted,
      // or an empty iopoll list, ends the wait (with nothing in flight the
      // kernel returns 0 rather than sleeping).
      const tail = load<u32>(unchecked(r_rings[id]) + RO_CQ_TAIL);
      tw_run(id, min);
      io_cqring_overflow_flush(id);
      if (load<u32>(unchecked(r_rings[id]) + RO_CQ_TAIL) != tail) break;
      if (!(unchecked(r_inflight[id]) > 0 && (events_live() || nvme_poll_pending(core)))) break;
    }
    charge(core, LAYER_POLL, cost(COST_POLL));
    // Everything the device finished by now becomes visible to this pass.
    while (!ev_empty() && ev_peek_time() <= unchecked(core_time[core])) sim_step();
    nvme_poll(core);
    io_cqring_overflow_flush(id);
    if (min == 0 || cq_ready(id) >= min) break;
    if (tw_pending(id)) continue;
    if (!events_live()) {
      if (nvme_poll_pending(core)) continue;
      break;
    }
    advance_to(core, ev_peek_time(), true, LAYER_SPIN);
    bound(++guard, WAIT_GUARD, INV_IOPOLL_WAIT);
  }
  // Requests in flight that blk-mq can never issue (blk_mq_stalled): the
  // kernel would spin for ever; this wait could never end.
  if (min > 0 && cq_ready(id) == 0 && unchecked(r_inflight[id]) > 0 && blk_mq_stalled()) return -u.EDEADLK;
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
// Inlined: a polling thread runs one on every wake-up.
// @ts-ignore: decorator
@inline export function io_getevents_pass(id: i32): void {
  io_cqring_overflow_flush(id);
  if ((unchecked(r_flags[id]) & u.IORING_SETUP_IOPOLL) != 0 && unchecked(r_inflight[id]) > 0) {
    const core = unchecked(r_core[id]);
    charge(core, LAYER_POLL, cost(COST_POLL));
    nvme_poll(core);
    io_cqring_overflow_flush(id);
  }
}

/**
 * The rest of a GETEVENTS pass whose poll yielded before a shared resource
 * (nvme core_yielded): the same pass of io_do_iopoll going on, so no second
 * poll is charged.
 */
export function io_getevents_continue(id: i32): void {
  if ((unchecked(r_flags[id]) & u.IORING_SETUP_IOPOLL) != 0 && unchecked(r_inflight[id]) > 0) {
    nvme_poll(unchecked(r_core[id]));
    io_cqring_overflow_flush(id);
  }
}
