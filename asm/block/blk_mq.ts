// blk-mq between the bio layer (bio.ts) and the driver (nvme/pci.ts): a
// request the driver cannot take for want of resources is kept and retried,
// never failed (block/blk-mq.c, block/blk-mq-sched.c, Linux 6.18).
//
// nvme_queue_rq returns BLK_STS_RESOURCE when the request's DMA set-up cannot
// allocate what it needs on the fly: IOVA space (blk_dma_map_direct,
// dma_map_bvec: dma_mapping_error) or a PRP/SGL pool block (dma_pool_alloc
// with GFP_ATOMIC). blk-mq then:
//
// - blk_mq_try_issue_directly / blk_mq_issue_direct: puts the request at the
//   tail of its hardware queue's dispatch list (blk_mq_request_bypass_insert)
//   and runs the queue at once (blk_mq_run_hw_queue(hctx, false));
// - a queue run (__blk_mq_sched_dispatch_requests) takes the dispatch list
//   first, marks the queue SCHED_RESTART and hands the requests to the driver
//   in order (blk_mq_dispatch_rq_list); the first that fails again stops the
//   run, it and those behind it go back on the list in order, and since the
//   queue is marked for restart and the driver said BLK_STS_RESOURCE the
//   queue is run again after BLK_MQ_RESOURCE_DELAY (3 ms,
//   blk_mq_delay_run_hw_queue: kblockd_mod_delayed_work_on, which moves a
//   pending run to the new time);
// - a request of that queue freed by blk_mq_free_request runs it again now
//   (blk_mq_sched_restart → blk_mq_run_hw_queue(hctx, true)). nvme-pci
//   completes successful requests in batches (blk_mq_add_to_batch →
//   blk_mq_end_request_batch), which put their tags back without that call:
//   only a failed request (not batched) restarts the queue. The 3 ms rerun
//   is what brings a requeued request back in the usual case, whether other
//   requests of the queue are in flight or not.
//
// What blk-mq does not do: hold back later requests. A new request is issued
// straight to the driver (blk_mq_try_issue_directly does not look at the
// dispatch list; nvme's queues are many and O_DIRECT I/O is REQ_SYNC, so the
// dispatch_busy insert path is not taken), so one that can be mapped passes
// the requeued ones; one that cannot goes behind them. REQ_NOWAIT plays no
// part: only a tag allocation is NOWAIT-sensitive, so io_uring never sees
// -EAGAIN from this and the request simply completes later.
//
// The kernel retries every 3 ms for as long as it takes, forever if the
// space never comes back. dmasim stops a wait that only such futile reruns
// could end (blk_mq_stalled): the simulation's answer, not the kernel's.
// The kblockd work item's own scheduling cost is not charged (an
// assumption); each retry charges what a submission charges (blk-mq, the
// command, the mapping attempt).

import { CORES_MAX, REQUEUED_MAX } from "../sim/limits";
import { blk_alloc, blk_free } from "../sim/mem";
import {
  core_catch_up, core_time, ev_pending, ev_pending_of, ev_push, EV_BLK_REQUEUE, EV_BLK_RUN, EV_SAMPLE, res_free_seq,
} from "../sim/engine";
import { bound, fail, INV_HOOK_UNSET, INV_REQUEUE_RUN, invariant_fail, SIM_ERR_REQUEUED } from "../sim/errors";
import {
  nvme_commit_rqs, nvme_hctx, nvme_may_retry, nvme_queue_rq, nvme_set_next_rq, nvme_set_requeue, RQ_BYTES, RQ_CORE,
  RQ_CTRL, RQ_HDR, RQ_NEXT, RQ_NSEGS, RQ_POLLED, RQ_PREMAPPED, RQ_REQ, RQ_RETRIES, RQ_SLBA, RQ_WRITE,
} from "../nvme/pci";
import { BLK_STS_RESOURCE } from "../nvme/nvme_prp";
import { CTRLS_MAX, nvme_queue_core, QUEUES } from "../nvme/ctrl";

/** BLK_MQ_RESOURCE_DELAY (3 ms) in ns: with HZ=1000, msecs_to_jiffies(3) is 3 jiffies. */
export const BLK_MQ_RESOURCE_DELAY_NS: u64 = 3_000_000;

// One requeued request (one NVMe command's worth: struct request on
// hctx->dispatch or q->requeue_list): the record laid out in nvme/pci.ts
// (RQ_*), what nvme_queue_rq needs to try again, then the segments.

// An EV_BLK_RUN's argument: the queue in the low bits, the arming's number
// above them (a run moved by mod_delayed_work leaves a stale event behind).
const RUN_Q_BITS: u32 = 12;
const RUN_SEQ_MASK: u32 = (<u32>1 << (32 - RUN_Q_BITS)) - 1;

// Per hardware queue (nvme/pci.ts nvme_hctx): hctx->dispatch, the
// SCHED_RESTART bit, whether run_work is pending and the number of its
// latest arming (mod_delayed_work keeps one pending run: an event of an
// earlier arming is stale), whether the resource delay armed it, and
// res_free_seq when its head last failed.
const dl_head = new StaticArray<usize>(QUEUES);
const dl_tail = new StaticArray<usize>(QUEUES);
const sched_restart = new StaticArray<bool>(QUEUES);
const run_pending = new StaticArray<bool>(QUEUES);
const run_seq = new StaticArray<u32>(QUEUES);
const run_for_resource = new StaticArray<bool>(QUEUES);
const fail_seq = new StaticArray<u64>(QUEUES);
let requeued: u32 = 0; // requests on dispatch lists now
let cnt_requeues: u64 = 0;
let cnt_resource_runs: u64 = 0;
let cnt_restarts: u64 = 0;
let cnt_retry_requeues: u64 = 0;

// Per request queue (one per controller: its namespace's q): q->requeue_list
// (FIFO through RQ_NEXT) and whether q->requeue_work is pending. A record on
// it belongs to blk-mq, not to a command tag, until it is issued again.
const rl_head = new StaticArray<usize>(CTRLS_MAX);
const rl_tail = new StaticArray<usize>(CTRLS_MAX);
const requeue_pending = new StaticArray<bool>(CTRLS_MAX);

/**
 * The end of a command that fails on a retry (blk_mq_end_request(rq, ret)):
 * the bio layer's per-command completion, given at init (bio.ts is the
 * caller, so this is not an import).
 */
let end_cmd: (req: u32, res: i32, core: i32, c: i32, q: i32) => void = end_cmd_unset;
function end_cmd_unset(req: u32, res: i32, core: i32, c: i32, q: i32): void {
  invariant_fail(INV_HOOK_UNSET, 106); // blk_mq_init was not called
}

/**
 * A new machine: empty dispatch lists (the arena under any old records was
 * reset), nothing armed; `end` ends a command that fails on a retry.
 */
export function blk_mq_init(end: (req: u32, res: i32, core: i32, c: i32, q: i32) => void): void {
  end_cmd = end;
  assert(QUEUES <= (1 << RUN_Q_BITS), "blk-mq: queue numbers must fit an EV_BLK_RUN argument");
  for (let q = 0; q < QUEUES; q++) {
    unchecked((dl_head[q] = 0));
    unchecked((dl_tail[q] = 0));
    unchecked((sched_restart[q] = false));
    unchecked((run_pending[q] = false));
    unchecked((run_seq[q] = 0));
    unchecked((run_for_resource[q] = false));
    unchecked((fail_seq[q] = 0));
  }
  for (let c = 0; c < CTRLS_MAX; c++) {
    unchecked((rl_head[c] = 0));
    unchecked((rl_tail[c] = 0));
    unchecked((requeue_pending[c] = false));
  }
  nvme_set_requeue(blk_mq_requeue_request);
  cnt_retry_requeues = 0;
  requeued = 0;
  cnt_requeues = 0;
  cnt_resource_runs = 0;
  cnt_restarts = 0;
}

/**
 * Issue one command (blk_mq_try_issue_directly): to the driver at once; if it
 * returns BLK_STS_RESOURCE the request goes to the tail of its queue's
 * dispatch list and the queue runs now. Returns 0 (issued or kept: it
 * completes through end_io either way) or the driver's negative errno.
 */
export function blk_mq_issue(
  c: i32, core: i32, polled: bool, req: u32, slba: u64, bytes: u32, segs: usize, nsegs: u32, write: bool,
  premapped: bool,
): i32 {
  // A command that may be retried keeps its request's state for the retry
  // (the kernel's struct request outlives the command; dmasim's segments
  // are the bio builder's scratch, so they are copied). Only then: the
  // record costs nothing simulated, and runs without retries stay as they were.
  let r: usize = 0;
  if (nvme_may_retry(c)) {
    r = rq_build(c, core, polled, req, slba, bytes, segs, nsegs, write, premapped);
    nvme_set_next_rq(r);
  }
  const st = nvme_queue_rq(c, core, polled, req, slba, bytes, segs, nsegs, write, premapped);
  if (st == 0) return 0; // issued: the record, if any, is the command's
  if (st < 0) {
    if (r != 0) rq_free(r);
    return st;
  }
  assert(st == BLK_STS_RESOURCE, "blk-mq: a positive driver status other than BLK_STS_RESOURCE");
  cnt_requeues++; // __blk_mq_requeue_request: trace_block_rq_requeue
  const q = nvme_hctx(c, core, polled);
  if (r == 0) r = rq_build(c, core, polled, req, slba, bytes, segs, nsegs, write, premapped);
  bypass_insert(q, r);
  dispatch_list_run(q, core);
  return 0;
}

/** A request record (nvme/pci.ts RQ_*) of one command, retries 0 (nvme_setup_cmd's first preparation). */
function rq_build(
  c: i32, core: i32, polled: bool, req: u32, slba: u64, bytes: u32, segs: usize, nsegs: u32, write: bool,
  premapped: bool,
): usize {
  const r = blk_alloc(RQ_HDR + <usize>nsegs * 16);
  store<u32>(r + RQ_REQ, req);
  store<u64>(r + RQ_SLBA, slba);
  store<u32>(r + RQ_BYTES, bytes);
  store<u32>(r + RQ_NSEGS, nsegs);
  store<u8>(r + RQ_CTRL, <u8>c);
  store<u8>(r + RQ_CORE, <u8>core);
  store<u8>(r + RQ_POLLED, polled ? 1 : 0);
  store<u8>(r + RQ_WRITE, write ? 1 : 0);
  store<u8>(r + RQ_PREMAPPED, premapped ? 1 : 0);
  store<u8>(r + RQ_RETRIES, 0);
  memory.copy(r + RQ_HDR, segs, <usize>nsegs * 16);
  store<usize>(r + RQ_NEXT, 0);
  return r;
}

/** Free a request record. */
function rq_free(r: usize): void {
  blk_free(r, RQ_HDR + <usize>load<u32>(r + RQ_NSEGS) * 16);
}

/** blk_mq_request_bypass_insert(rq, 0): put request record `r` at the tail of `q`'s dispatch list. */
function bypass_insert(q: i32, r: usize): void {
  if (requeued >= REQUEUED_MAX) fail(SIM_ERR_REQUEUED, <i64>REQUEUED_MAX);
  store<usize>(r + RQ_NEXT, 0);
  const t = unchecked(dl_tail[q]);
  if (t != 0) store<usize>(t + RQ_NEXT, r);
  else unchecked((dl_head[q] = r));
  unchecked((dl_tail[q] = r));
  requeued++;
}

/** Take the head of `q`'s dispatch list off; free it unless an issued command now owns it (`keep`). */
function dispatch_pop(q: i32, keep: bool): void {
  const r = unchecked(dl_head[q]);
  assert(r != 0 && requeued > 0, "blk-mq: pop from an empty dispatch list");
  const next = load<usize>(r + RQ_NEXT);
  unchecked((dl_head[q] = next));
  if (next == 0) unchecked((dl_tail[q] = 0));
  if (!keep) rq_free(r);
  requeued--;
}

/**
 * A run of queue `q` on `core` with requests on its dispatch list
 * (__blk_mq_sched_dispatch_requests → blk_mq_dispatch_rq_list): mark it for
 * restart, give the driver the requests in order until one fails again; that
 * one and the rest stay, and the queue runs again after the resource delay.
 */
function dispatch_list_run(q: i32, core: i32): void {
  if (unchecked(dl_head[q]) == 0) return;
  unchecked((sched_restart[q] = true)); // blk_mq_sched_mark_restart_hctx
  let guard: u32 = 0;
  while (unchecked(dl_head[q]) != 0) {
    const r = unchecked(dl_head[q]);
    const c = <i32>load<u8>(r + RQ_CTRL);
    const req = load<u32>(r + RQ_REQ);
    const keep = nvme_may_retry(c);
    if (keep) nvme_set_next_rq(r);
    const st = nvme_queue_rq(c, <i32>load<u8>(r + RQ_CORE), load<u8>(r + RQ_POLLED) != 0, req, load<u64>(r + RQ_SLBA),
      load<u32>(r + RQ_BYTES), r + RQ_HDR, load<u32>(r + RQ_NSEGS), load<u8>(r + RQ_WRITE) != 0,
      load<u8>(r + RQ_PREMAPPED) != 0);
    if (st == BLK_STS_RESOURCE) {
      cnt_requeues++; // blk_mq_handle_dev_resource → __blk_mq_requeue_request
      unchecked((fail_seq[q] = res_free_seq));
      // SCHED_RESTART is set (above) and the driver said BLK_STS_RESOURCE.
      blk_mq_delay_run_hw_queue(q, unchecked(core_time[core]) + BLK_MQ_RESOURCE_DELAY_NS, true);
      return;
    }
    dispatch_pop(q, keep && st == 0);
    // Any other error ends the request (blk_mq_end_request(rq, ret)).
    if (st < 0) end_cmd(req, st, core, c, q);
    bound(++guard, REQUEUED_MAX, INV_REQUEUE_RUN);
  }
}

/**
 * blk_mq_delay_run_hw_queue: (re)arm `q`'s run_work to run at `t` — a pending
 * one moves there (mod_delayed_work); the event of its old arming is stale.
 */
function blk_mq_delay_run_hw_queue(q: i32, t: u64, for_resource: bool): void {
  const seq = (unchecked(run_seq[q]) + 1) & RUN_SEQ_MASK;
  unchecked((run_seq[q] = seq));
  unchecked((run_pending[q] = true));
  unchecked((run_for_resource[q] = for_resource));
  ev_push(t, EV_BLK_RUN, <u32>q | (seq << RUN_Q_BITS));
}

/**
 * EV_BLK_RUN (`arg`: queue and arming): the queue's run_work (blk_mq_run_work_fn) on a kblockd worker
 * of the queue's core: retry its dispatch list, then ring the doorbells.
 */
export function blk_mq_run_work(arg: u32): void {
  const qi = <i32>(arg & ((<u32>1 << RUN_Q_BITS) - 1));
  // Moved by a later mod_delayed_work, or already run: stale.
  if (!unchecked(run_pending[qi]) || unchecked(run_seq[qi]) != arg >> RUN_Q_BITS) return;
  unchecked((run_pending[qi] = false));
  if (unchecked(dl_head[qi]) == 0) return;
  if (unchecked(run_for_resource[qi])) cnt_resource_runs++;
  const core = nvme_queue_core(qi);
  core_catch_up(core);
  dispatch_list_run(qi, core);
  nvme_commit_rqs(core);
}

/**
 * nvme_retry_req's blk_mq_requeue_request(req, false) +
 * blk_mq_delay_kick_requeue_list(q, delay): record `r` of controller `c`'s
 * failed command (completed on `core`) goes to the tail of the request
 * queue's requeue_list, and requeue_work is armed `delay_ns` from now
 * (kblockd_mod_delayed_work_on; nvme passes 0 unless the status asks for a
 * command retry delay). The completion and unmap were charged by the driver;
 * the new submission is charged when the work issues it again.
 */
function blk_mq_requeue_request(r: usize, c: i32, core: i32, delay_ns: u64): void {
  cnt_retry_requeues++; // __blk_mq_requeue_request: trace_block_rq_requeue
  store<usize>(r + RQ_NEXT, 0);
  const t = unchecked(rl_tail[c]);
  if (t != 0) store<usize>(t + RQ_NEXT, r);
  else unchecked((rl_head[c] = r));
  unchecked((rl_tail[c] = r));
  // With a delay of 0 a pending work item is already due: mod_delayed_work
  // would not move it earlier, so one event is enough.
  if (unchecked(requeue_pending[c]) && delay_ns == 0) return;
  unchecked((requeue_pending[c] = true));
  ev_push(unchecked(core_time[core]) + delay_ns, EV_BLK_REQUEUE, <u32>c);
}

/**
 * EV_BLK_REQUEUE (controller `c`): q->requeue_work (blk_mq_requeue_work) on
 * kblockd. It takes the whole requeue_list; each request was prepared once
 * (RQF_DONTPREP: nvme_setup_cmd set it), so it goes to its hctx's dispatch
 * list (blk_mq_request_bypass_insert(rq, 0)); then the hardware queues run
 * (blk_mq_run_hw_queues(q, false)): each dispatch list is handed to the
 * driver on its queue's core and the doorbells rung. A later kick with a
 * delay is not modelled (nvme only kicks with 0 here), so the first event
 * does the work and any other is stale.
 */
export function blk_mq_requeue_work(c: i32): void {
  if (!unchecked(requeue_pending[c])) return;
  unchecked((requeue_pending[c] = false));
  let r = unchecked(rl_head[c]);
  unchecked((rl_head[c] = 0));
  unchecked((rl_tail[c] = 0));
  // Insert all first (list_splice_init, then the inserts), then run the queues.
  let first_q: i32 = -1;
  let guard: u32 = 0;
  while (r != 0) {
    const next = load<usize>(r + RQ_NEXT);
    const q = nvme_hctx(<i32>load<u8>(r + RQ_CTRL), <i32>load<u8>(r + RQ_CORE), load<u8>(r + RQ_POLLED) != 0);
    bypass_insert(q, r);
    if (first_q < 0) first_q = q;
    r = next;
    bound(++guard, REQUEUED_MAX, INV_REQUEUE_RUN);
  }
  if (first_q < 0) return;
  // blk_mq_run_hw_queues: every hctx of the queue; only those with requests waiting do anything.
  for (let q = 0; q < QUEUES; q++) {
    if (unchecked(dl_head[q]) == 0 || (q >> 1) / CORES_MAX != c) continue;
    const core = nvme_queue_core(q);
    core_catch_up(core);
    dispatch_list_run(q, core);
    nvme_commit_rqs(core);
  }
}

/**
 * blk_mq_sched_restart, from blk_mq_free_request of a request of queue `q`
 * completed on `core`: a queue marked SCHED_RESTART runs again now
 * (blk_mq_run_hw_queue(hctx, true): kblockd at once). nvme-pci's batched
 * completions (every successful one) do not come here: the caller passes
 * only the failed ones.
 */
export function blk_mq_sched_restart(q: i32, core: i32): void {
  if (!unchecked(sched_restart[q])) return;
  unchecked((sched_restart[q] = false));
  if (unchecked(dl_head[q]) == 0) return; // blk_mq_run_hw_queue: nothing pending
  cnt_restarts++;
  blk_mq_delay_run_hw_queue(q, unchecked(core_time[core]), false);
}

/**
 * Whether only futile queue reruns are left: every pending event is a queue
 * run (or the workload's sampler tick, which changes nothing) and nothing
 * a requeued request waits for was freed since its queue's last failed
 * attempt. No request can then ever complete: the kernel would rerun every
 * 3 ms forever; a wait in dmasim ends as a wait that could never end.
 */
export function blk_mq_stalled(): bool {
  const runs = ev_pending_of(EV_BLK_RUN);
  if (runs == 0 || ev_pending() != runs + ev_pending_of(EV_SAMPLE)) return false;
  for (let q = 0; q < QUEUES; q++) {
    if (unchecked(dl_head[q]) != 0 && unchecked(fail_seq[q]) != res_free_seq) return false;
  }
  for (let c = 0; c < CTRLS_MAX; c++) if (unchecked(rl_head[c]) != 0) return false;
  return true;
}

/** Whether anything is left that could still happen: an event that is not a futile queue rerun. */
export function events_live(): bool {
  return ev_pending() > 0 && !blk_mq_stalled();
}

import {
  BLK_MQ_COUNTER_REQUEUES, BLK_MQ_COUNTER_RESOURCE_DELAY_RUNS, BLK_MQ_COUNTER_RESTARTS, BLK_MQ_COUNTER_RETRIES,
  BLK_MQ_COUNTER_WAITING,
} from "../sim/abi";

/**
 * blk-mq counters: 0 requeues (BLK_STS_RESOURCE returns, each a
 * block_rq_requeue), 1 queue runs after BLK_MQ_RESOURCE_DELAY that found
 * requests waiting, 2 restarts by a freed request, 3 requests on dispatch
 * lists now, 4 retries requeued by nvme (nvme_retry_req → blk_mq_requeue_request).
 */
export function blk_mq_counter(which: i32): f64 {
  if (which == BLK_MQ_COUNTER_REQUEUES) return <f64>cnt_requeues;
  if (which == BLK_MQ_COUNTER_RESOURCE_DELAY_RUNS) return <f64>cnt_resource_runs;
  if (which == BLK_MQ_COUNTER_RESTARTS) return <f64>cnt_restarts;
  if (which == BLK_MQ_COUNTER_WAITING) return <f64>requeued;
  if (which == BLK_MQ_COUNTER_RETRIES) return <f64>cnt_retry_requeues;
  return 0;
}
