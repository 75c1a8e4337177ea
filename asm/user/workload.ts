// The t/io_uring submitter loop, run inside Wasm so whole runs stay in the
// data path: each thread on its own core with its own ring, preparing SQEs
// in ring memory, calling io_uring_enter, reaping CQEs — the loop of fio's
// t/io_uring.c (submitter_uring_fn), made an event-driven state machine:
// where the program would block in io_uring_enter, the thread waits for an
// EV_THREAD wake-up (a CQE on its poll queue, or enough CQEs posted).

import { CORES_MAX } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import {
  advance_to, charge, core_busy_of, core_layer, core_poll_waiter, core_time, ev_empty, ev_push, EV_GPU_COPY, EV_SAMPLE, EV_THREAD,
  LAYER_APP,
  LAYER_SPIN, LAYERS, now,
} from "../sim/engine";
import { cost, COST_APP_PER_IO, COST_APP_PREP, COST_APP_REAP, COST_GPU_COPY_LAUNCH } from "../sim/costs";
import * as u from "../sim/uapi";
import {
  cq_ready, r_wait_min, r_wait_thread, ring_flags, ring_inflight, ring_rings, ring_sqes, RO_CQ_HEAD, RO_CQ_MASK,
  RO_CQ_TAIL, RO_CQES, RO_SQ_MASK, RO_SQ_TAIL,
} from "../io_uring/ring";
import { io_enter_submit, io_getevents_continue, io_getevents_pass } from "../io_uring/io_uring";
import { core_yielded } from "../nvme/pci";
import { nvme_window_end, nvme_window_start } from "../nvme/ctrl";
import {
  set_stats_by_app, st_errors, st_ios, st_last_ns, stats_by_app, stats_complete, stats_reset, stats_rings_end,
  stats_set_limit,
} from "../sim/stats";
import { gpu_copy_h2d } from "../hw/gpu";
import { fail, SIM_ERR_EVENTS } from "../sim/errors";
import { trace_rec, TR_CNT_INFLIGHT, TR_CNT_IOTLB_MISS, TR_CPU_ENTER, tracing } from "../sim/trace";
import { iommu_iotlb_misses } from "../iommu/iommu";

const THREADS_MAX: i32 = CORES_MAX;
const FILES_MAX: i32 = 16;
export const SAMPLES_MAX: u32 = 4096;

// Job parameters.
let nthreads: i32 = 1;
let depth: u32 = 128;
let batch_submit: u32 = 32;
let batch_complete: u32 = 32;
let bs: u32 = 4096;
let op: u8 = u.IORING_OP_READ_FIXED;
let fixed_files: bool = true;
let random: bool = true;
let range_blocks: u64 = 1; // offsets are drawn in [0, range_blocks) * bs
let buf_kind: i32 = 1; // 0 plain, 1 fixed, 2 dmabuf, 3 bounce (fixed host buffers, then a copy to GPU 0)
let warmup_ios: u64 = 0;
let target_ios: u64 = 0; // measured I/Os to stop after (0: none)
let runtime_ns: u64 = 0; // measured time to stop after (0: none)
let sample_ns: u64 = 1_000_000_000;

// Per thread.
const th_ring = new StaticArray<i32>(THREADS_MAX);
const th_nfiles = new StaticArray<i32>(THREADS_MAX);
const th_files = new StaticArray<i32>(THREADS_MAX * FILES_MAX); // fixed-file slot or fd
const th_bufidx = new StaticArray<i32>(THREADS_MAX * FILES_MAX); // dma-buf slot per file (dmabuf)
const th_buf_base = new StaticArray<u64>(THREADS_MAX); // user address / dma-buf offset base
const th_cur_file = new StaticArray<i32>(THREADS_MAX);
const th_inflight = new StaticArray<u32>(THREADS_MAX);
const th_prepped = new StaticArray<u32>(THREADS_MAX);
const th_to_wait = new StaticArray<u32>(THREADS_MAX);
const th_waiting = new StaticArray<bool>(THREADS_MAX);
const th_rng = new StaticArray<u64>(THREADS_MAX);
const th_seq = new StaticArray<u64>(THREADS_MAX); // sequential offset cursor
const th_done = new StaticArray<bool>(THREADS_MAX);
// A GETEVENTS pass yielded before a shared resource and goes on when the thread resumes.
const th_resume = new StaticArray<bool>(THREADS_MAX);
// Bounce path: copies to the GPU in flight per thread, and a wait for one to end.
const th_copying = new StaticArray<u32>(THREADS_MAX);
const th_wait_copy = new StaticArray<bool>(THREADS_MAX);
// Copies end in launch order (one copy engine): a FIFO of (end ns, submit ns, thread).
const COPIES_MAX: u32 = 65536;
let cp_ring: usize = 0; // 24-byte records
let cp_head: u32 = 0;
let cp_tail: u32 = 0;

/** Totals (all I/Os, warm-up included) and state. */
export let wl_ios: u64 = 0;
export let wl_bytes: u64 = 0;
export let wl_errors: u64 = 0;
export let wl_calls: u64 = 0;
/** SQEs consumed and CQEs reaped by the threads (t/io_uring's done and reaps). */
export let wl_submitted: u64 = 0;
export let wl_reaped: u64 = 0;
export let wl_finished: bool = false;
export let wl_measuring: bool = false;
export let wl_t0: u64 = 0; // measurement start
export let wl_t1: u64 = 0; // measurement end

// Snapshots at measurement start (per core busy and per layer) for reports.
export const snap_busy = new StaticArray<u64>(CORES_MAX);
export const snap_layer = new StaticArray<u64>(CORES_MAX * LAYERS);
export let snap_calls: u64 = 0;
// And when it closes (the threads stop a little after: their last batch is not the window's).
export const snap_end_busy = new StaticArray<u64>(CORES_MAX);
export const snap_end_layer = new StaticArray<u64>(CORES_MAX * LAYERS);
export let snap_end_calls: u64 = 0;

function snap_end(): void {
  // Occupancy and in-flight areas close with the window (at wl_t1).
  nvme_window_end(wl_t1);
  stats_rings_end(wl_t1);
  for (let c = 0; c < nthreads; c++) {
    unchecked((snap_end_busy[c] = core_busy_of(c)));
    for (let l = 0; l < LAYERS; l++) unchecked((snap_end_layer[c * LAYERS + l] = unchecked(core_layer[c * LAYERS + l])));
  }
  snap_end_calls = wl_calls;
}

// Samples: t, ios, bytes, calls, then busy and spin per core.
let samples: usize = 0;
export let sample_count: u32 = 0;
// t, measured I/Os, bytes, calls, submitted, reaped, then busy and spin per core.
const SAMPLE_WORDS: u32 = 6 + 2 * <u32>CORES_MAX;

/** Lay out the workload's tables (per machine: the arena was reset). */
export function wl_init(): void {
  samples = mem_alloc(<usize>SAMPLES_MAX * SAMPLE_WORDS * 8, 8, false); // written before read
  sample_count = 0;
  cp_ring = mem_alloc(<usize>COPIES_MAX * 24, 8, false);
}

export function wl_setup(
  threads: i32, qd: u32, sbatch: u32, cbatch: u32, block: u32, opcode: u8, ffiles: bool, rnd: bool,
  range_b: f64, bkind: i32, warm: f64, ios: f64, rt_ns: f64, smp_ns: f64, seed: f64,
): void {
  nthreads = threads;
  depth = qd;
  batch_submit = sbatch;
  batch_complete = cbatch;
  bs = block;
  op = opcode;
  fixed_files = ffiles;
  random = rnd;
  range_blocks = <u64>range_b;
  buf_kind = bkind;
  warmup_ios = <u64>warm;
  target_ios = <u64>ios;
  runtime_ns = <u64>rt_ns;
  sample_ns = <u64>smp_ns;
  wl_ios = 0;
  wl_bytes = 0;
  wl_errors = 0;
  wl_calls = 0;
  wl_submitted = 0;
  wl_reaped = 0;
  wl_finished = false;
  wl_measuring = false;
  wl_t0 = 0;
  wl_t1 = 0;
  sample_count = 0;
  cp_head = 0;
  cp_tail = 0;
  // The bounce path counts an I/O when its copy ends, so the workload keeps
  // the statistics itself (end to end) instead of the completion path.
  set_stats_by_app(bkind == 3);
  for (let t = 0; t < THREADS_MAX; t++) {
    unchecked((th_nfiles[t] = 0));
    unchecked((th_cur_file[t] = 0));
    unchecked((th_inflight[t] = 0));
    unchecked((th_prepped[t] = 0));
    unchecked((th_waiting[t] = false));
    unchecked((th_done[t] = false));
    unchecked((th_resume[t] = false));
    unchecked((th_copying[t] = 0));
    unchecked((th_wait_copy[t] = false));
    unchecked((th_seq[t] = 0));
    unchecked((th_rng[t] = (<u64>seed + 1) * 0x9E3779B97F4A7C15 ^ (<u64>t * 0xBF58476D1CE4E5B9 + 1)));
  }
}

/** Thread `t` uses ring `ring`, buffers from `buf_base`. */
export function wl_thread(t: i32, ring: i32, buf_base: f64): void {
  unchecked((th_ring[t] = ring));
  unchecked((th_buf_base[t] = <u64>buf_base));
}

/** Add a file to thread `t`: its fd or fixed-file slot, and (dma-buf) its buffer slot. */
export function wl_thread_file(t: i32, file: i32, buf_slot: i32): void {
  const n = unchecked(th_nfiles[t]);
  unchecked((th_files[t * FILES_MAX + n] = file));
  unchecked((th_bufidx[t * FILES_MAX + n] = buf_slot));
  unchecked((th_nfiles[t] = n + 1));
}

// @ts-ignore: decorator
@inline function rng(t: i32): u64 {
  let x = unchecked(th_rng[t]);
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  unchecked((th_rng[t] = x));
  return x * 0x2545F4914F6CDD1D;
}

/** prep_more_ios_uring: write up to `n` SQEs into the ring; returns how many. */
function prep_more(t: i32, n: u32): u32 {
  const id = unchecked(th_ring[t]);
  const rings = ring_rings(id);
  const mask = load<u32>(rings + RO_SQ_MASK);
  let tail = load<u32>(rings + RO_SQ_TAIL);
  const sqes = ring_sqes(id);
  const core = t;
  for (let i: u32 = 0; i < n; i++) {
    const idx = tail & mask;
    const sqe = sqes + <usize>idx * 64;
    let fi = unchecked(th_cur_file[t]);
    const nf = unchecked(th_nfiles[t]);
    unchecked((th_cur_file[t] = fi + 1 >= nf ? 0 : fi + 1));
    let off: u64;
    if (random) off = ((rng(t) >> 11) % range_blocks) * <u64>bs;
    else {
      off = unchecked(th_seq[t]) * <u64>bs;
      unchecked((th_seq[t] = unchecked(th_seq[t]) + 1 >= range_blocks ? 0 : unchecked(th_seq[t]) + 1));
    }
    // The buffer of SQE slot idx, as t/io_uring indexes its iovecs.
    const buf = unchecked(th_buf_base[t]) + <u64>idx * <u64>bs;
    store<u8>(sqe, op);
    store<u8>(sqe + 1, fixed_files ? u.IOSQE_FIXED_FILE : 0);
    store<u16>(sqe + 2, 0);
    store<i32>(sqe + 4, unchecked(th_files[t * FILES_MAX + fi]));
    store<u64>(sqe + 8, off);
    store<u64>(sqe + 16, buf);
    store<u32>(sqe + 24, op == u.IORING_OP_NOP ? 0 : bs);
    store<u32>(sqe + 28, 0);
    // user_data: the time the I/O was prepared (the bounce path measures end to end from it).
    store<u64>(sqe + 32, unchecked(core_time[core]));
    store<u16>(sqe + 40, <u16>(buf_kind == 2 ? unchecked(th_bufidx[t * FILES_MAX + fi]) : <i32>idx));
    store<u16>(sqe + 42, 0);
    store<u32>(sqe + 44, 0);
    store<u64>(sqe + 48, 0);
    store<u64>(sqe + 56, 0);
    tail++;
  }
  charge(core, LAYER_APP, (cost(COST_APP_PREP) + cost(COST_APP_PER_IO)) * <u64>n);
  store<u32>(rings + RO_SQ_TAIL, tail);
  return n;
}

/** reap_events_uring: consume every ready CQE. */
function reap(t: i32): u32 {
  const id = unchecked(th_ring[t]);
  const rings = ring_rings(id);
  const mask = load<u32>(rings + RO_CQ_MASK);
  let head = load<u32>(rings + RO_CQ_HEAD);
  const tail = load<u32>(rings + RO_CQ_TAIL);
  let n: u32 = 0;
  let copies: u32 = 0;
  while (head != tail) {
    const cqe = rings + RO_CQES + <usize>(head & mask) * 16;
    const res = load<i32>(cqe + 8);
    const ok = !(res < 0 || (op != u.IORING_OP_NOP && <u32>res != bs));
    if (buf_kind == 3) {
      if (ok) {
        // The data is in host memory: copy it to the GPU (cudaMemcpyAsync-style).
        charge(t, LAYER_APP, cost(COST_APP_REAP) + cost(COST_GPU_COPY_LAUNCH));
        copy_launch(t, load<u64>(cqe), <u32>res);
        copies++;
      } else {
        wl_errors++;
        stats_complete(load<u64>(cqe), unchecked(core_time[t]), res < 0 ? res : -5);
        wl_ios++;
      }
    } else {
      if (ok) wl_bytes += <u64>res;
      else wl_errors++;
    }
    head++;
    n++;
  }
  store<u32>(rings + RO_CQ_HEAD, head);
  wl_reaped += n;
  if (buf_kind != 3) {
    charge(t, LAYER_APP, cost(COST_APP_REAP) * <u64>n);
    wl_ios += n;
  } else charge(t, LAYER_APP, cost(COST_APP_REAP) * <u64>(n - copies));
  unchecked((th_inflight[t] -= n));
  check_progress();
  return n;
}

/** Launch a host-to-GPU copy of one read's `bytes`; it ends in engine order. */
function copy_launch(t: i32, submit_ns: u64, bytes: u32): void {
  if (cp_tail - cp_head >= COPIES_MAX) fail(SIM_ERR_EVENTS, <i64>COPIES_MAX);
  const end = gpu_copy_h2d(0, unchecked(core_time[t]), bytes);
  const r = cp_ring + <usize>(cp_tail & (COPIES_MAX - 1)) * 24;
  store<u64>(r, end);
  store<u64>(r + 8, submit_ns);
  store<u32>(r + 16, <u32>t);
  store<u32>(r + 20, bytes);
  if (cp_tail == cp_head) ev_push(end, EV_GPU_COPY, 0);
  cp_tail++;
  unchecked((th_copying[t] += 1));
}

/** EV_GPU_COPY: the oldest copy ended: the I/O is done (its buffer free); arm the next. */
export function wl_copy_event(): void {
  const r = cp_ring + <usize>(cp_head & (COPIES_MAX - 1)) * 24;
  const end = load<u64>(r);
  const t = <i32>load<u32>(r + 16);
  stats_complete(load<u64>(r + 8), end, <i32>load<u32>(r + 20));
  wl_bytes += <u64>load<u32>(r + 20);
  wl_ios++;
  cp_head++;
  if (cp_head != cp_tail) ev_push(load<u64>(cp_ring + <usize>(cp_head & (COPIES_MAX - 1)) * 24), EV_GPU_COPY, 0);
  unchecked((th_copying[t] -= 1));
  check_progress();
  if (unchecked(th_wait_copy[t])) {
    unchecked((th_wait_copy[t] = false));
    ev_push(now, EV_THREAD, <u32>t);
  }
}

function check_progress(): void {
  if (!wl_measuring) {
    if (wl_ios >= warmup_ios) start_measuring();
    return;
  }
  if (wl_finished) return;
  const measured = st_ios + st_errors;
  const t = max_core_time();
  if (target_ios > 0 && measured >= target_ios) {
    // The window ends with the last counted completion.
    wl_finished = true;
    wl_t1 = st_last_ns;
    snap_end();
  } else if (runtime_ns > 0 && t >= wl_t0 + runtime_ns) {
    wl_finished = true;
    wl_t1 = t;
    snap_end();
  }
}

function max_core_time(): u64 {
  let m: u64 = now;
  for (let c = 0; c < nthreads; c++) if (unchecked(core_time[c]) > m) m = unchecked(core_time[c]);
  return m;
}

function start_measuring(): void {
  wl_measuring = true;
  // The window starts at the latest core clock so no core's earlier work is counted.
  const t0 = max_core_time();
  wl_t0 = t0;
  stats_reset(t0);
  nvme_window_start(t0);
  stats_set_limit(target_ios);
  for (let c = 0; c < nthreads; c++) {
    advance_to(c, t0, (ring_flags(unchecked(th_ring[c])) & u.IORING_SETUP_IOPOLL) != 0, LAYER_SPIN);
    unchecked((snap_busy[c] = core_busy_of(c)));
    for (let l = 0; l < LAYERS; l++) unchecked((snap_layer[c * LAYERS + l] = unchecked(core_layer[c * LAYERS + l])));
  }
  snap_calls = wl_calls;
  wl_snapshot_hook();
  ev_push(t0 + sample_ns, EV_SAMPLE, 0);
  record_sample(t0);
}

/** Set by index.ts to snapshot other layers' counters (IOMMU, devices) at measurement start. */
let snapshot_fn: () => void = (): void => {};
export function set_snapshot_hook(fn: () => void): void {
  snapshot_fn = fn;
}
function wl_snapshot_hook(): void {
  snapshot_fn();
}

function record_sample(t: u64): void {
  if (sample_count >= SAMPLES_MAX) return;
  const p = samples + <usize>sample_count * SAMPLE_WORDS * 8;
  store<u64>(p, t);
  store<u64>(p + 8, st_ios);
  store<u64>(p + 16, wl_bytes);
  store<u64>(p + 24, wl_calls);
  store<u64>(p + 32, wl_submitted);
  store<u64>(p + 40, wl_reaped);
  for (let c = 0; c < nthreads; c++) {
    store<u64>(p + 48 + <usize>c * 16, core_busy_of(c));
    store<u64>(p + 56 + <usize>c * 16, unchecked(core_layer[c * LAYERS + LAYER_SPIN]));
  }
  sample_count++;
}

export function wl_sample_event(): void {
  if (wl_finished) return;
  record_sample(now);
  ev_push(now + sample_ns, EV_SAMPLE, 0);
}

/**
 * Run thread `t` from where it stopped until it has to wait for completions
 * or has done one loop iteration (so cores stay close in simulated time).
 */
export function wl_thread_event(t: u32): void {
  const ti = <i32>t;
  if (unchecked(th_done[ti])) return;
  const id = unchecked(th_ring[ti]);
  const polled = (ring_flags(id) & u.IORING_SETUP_IOPOLL) != 0;
  if (unchecked(th_waiting[ti])) {
    // Woken: a CQE reached this core's poll queue, or enough CQEs were posted.
    advance_to(ti, now, polled, LAYER_SPIN);
    if (unchecked(th_resume[ti])) {
      unchecked((th_resume[ti] = false));
      io_getevents_continue(id);
    } else io_getevents_pass(id);
    if (unchecked(core_yielded[ti])) {
      yield_thread(ti);
      return;
    }
    if (cq_ready(id) < unchecked(th_to_wait[ti])) {
      wait_for(ti, id, polled);
      return;
    }
    unchecked((th_waiting[ti] = false));
    reap(ti);
    unchecked((th_prepped[ti] = 0));
  } else if (unchecked(core_time[ti]) < now) {
    advance_to(ti, now, false, LAYER_APP);
  }
  if (wl_finished) {
    unchecked((th_done[ti] = true));
    return;
  }
  // One iteration of submitter_uring_fn.
  let prepped = unchecked(th_prepped[ti]);
  let inflight = unchecked(th_inflight[ti]);
  // Buffers still being copied to the GPU are not free for new reads.
  const busy = inflight + unchecked(th_copying[ti]);
  if (prepped == 0 && busy < depth) {
    let to_prep = depth - busy;
    if (to_prep > batch_submit) to_prep = batch_submit;
    prepped = prep_more(ti, to_prep);
  }
  inflight += prepped;
  unchecked((th_inflight[ti] = inflight));
  const to_submit = prepped;
  let to_wait: u32;
  if (to_submit > 0 && inflight + to_submit <= depth) to_wait = 0;
  else {
    to_wait = inflight + to_submit;
    if (to_wait > batch_complete) to_wait = batch_complete;
  }
  const t_enter = unchecked(core_time[ti]);
  const ret = io_enter_submit(id, to_submit);
  wl_calls++;
  if (ret < 0) {
    wl_errors++;
    wl_finished = true;
    wl_t1 = max_core_time();
    return;
  }
  unchecked((th_prepped[ti] = 0));
  wl_submitted += <u64>ret;
  // t/io_uring passes IORING_ENTER_GETEVENTS only when it waits (to_wait > 0):
  // without it the kernel neither polls nor flushes, it just submits.
  if (to_wait > 0) io_getevents_pass(id);
  if (tracing) {
    trace_rec(TR_CPU_ENTER, t_enter, unchecked(core_time[ti]) - t_enter, ti, to_submit);
    trace_rec(TR_CNT_INFLIGHT, unchecked(core_time[ti]), 0, ti, ring_inflight(id));
    trace_rec(TR_CNT_IOTLB_MISS, unchecked(core_time[ti]), 0, ti, <u32>iommu_iotlb_misses);
  }
  if (to_wait > 0 && unchecked(core_yielded[ti])) {
    // The poll stopped before a shared resource: finish this GETEVENTS pass
    // at an event at this core's clock, after everything earlier.
    unchecked((th_to_wait[ti] = to_wait));
    unchecked((th_waiting[ti] = true));
    yield_thread(ti);
    return;
  }
  if (to_submit == 0 && unchecked(th_inflight[ti]) == 0 && unchecked(th_copying[ti]) > 0 && cq_ready(id) == 0) {
    // Every buffer is being copied to the GPU: sleep until a copy ends.
    unchecked((th_wait_copy[ti] = true));
    return;
  }
  if (to_wait > 0 && cq_ready(id) < to_wait) {
    unchecked((th_to_wait[ti] = to_wait));
    wait_for(ti, id, polled);
    return;
  }
  reap(ti);
  if (wl_finished) {
    unchecked((th_done[ti] = true));
    return;
  }
  // Yield: continue at this core's clock, letting other events run first.
  ev_push(unchecked(core_time[ti]), EV_THREAD, t);
}

/** Continue thread `t`'s GETEVENTS pass at an event at its core's clock. */
function yield_thread(t: i32): void {
  unchecked((th_resume[t] = true));
  ev_push(unchecked(core_time[t]), EV_THREAD, <u32>t);
}

function wait_for(t: i32, id: i32, polled: bool): void {
  unchecked((th_waiting[t] = true));
  if (polled) unchecked((core_poll_waiter[t] = t));
  else {
    unchecked((r_wait_thread[id] = t));
    unchecked((r_wait_min[id] = unchecked(th_to_wait[t])));
  }
}

/** Start every thread at time 0. */
export function wl_start(): void {
  for (let t = 0; t < nthreads; t++) ev_push(unchecked(core_time[t]), EV_THREAD, <u32>t);
  if (warmup_ios == 0) start_measuring();
}

export function wl_sample_ptr(): usize {
  return samples;
}
export function wl_sample_words(): u32 {
  return SAMPLE_WORDS;
}
export function wl_snap_busy(c: i32): f64 {
  return <f64>unchecked(snap_busy[c]);
}
export function wl_snap_layer(c: i32, l: i32): f64 {
  return <f64>unchecked(snap_layer[c * LAYERS + l]);
}
/** Core busy time and per-layer time when the measurement window closed. */
export function wl_end_busy(c: i32): f64 {
  return <f64>unchecked(snap_end_busy[c]);
}
export function wl_end_layer(c: i32, l: i32): f64 {
  return <f64>unchecked(snap_end_layer[c * LAYERS + l]);
}
export function wl_stat(i: i32): f64 {
  switch (i) {
    case 0: return <f64>wl_ios;
    case 1: return <f64>wl_bytes;
    case 2: return <f64>wl_errors;
    case 3: return <f64>wl_calls;
    case 4: return <f64>wl_t0;
    case 5: return <f64>wl_t1;
    case 6: return <f64>snap_calls;
    case 7: return wl_finished ? 1 : 0;
    case 8: return <f64>sample_count;
    case 9: return wl_measuring ? 1 : 0;
    case 10: return <f64>snap_end_calls;
  }
  return 0;
}
