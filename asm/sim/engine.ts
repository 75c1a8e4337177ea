// The discrete-event engine: integer-nanosecond time, an event queue (binary
// min-heap in linear memory) and CPU cores as resources on which every step
// charges a named cost. Per-layer accounting lets reports split CPU time.

import { CORES_MAX, EVENTS_MAX } from "./limits";
import { fail, INV_HOOK_UNSET, invariant_fail, SIM_ERR_CLOCK, SIM_ERR_EVENTS } from "./errors";
import { mem_alloc } from "./mem";

import {
  CPU_LAYER_APP, CPU_LAYER_BLOCK, CPU_LAYER_DMA, CPU_LAYER_DMABUF, CPU_LAYER_IO_URING, CPU_LAYER_IOMMU_WAIT,
  CPU_LAYER_IRQ, CPU_LAYER_NVME, CPU_LAYER_POLL, CPU_LAYER_SPIN, CPU_LAYERS,
} from "./abi";

/** Layers CPU time is charged to (reports split ns/IO by these). */
// The layers are defined once in abi.ts (CPU_LAYER_*: TypeScript names them
// from it); these are their names here.
export const LAYER_APP: i32 = CPU_LAYER_APP;
export const LAYER_URING: i32 = CPU_LAYER_IO_URING;
export const LAYER_BLOCK: i32 = CPU_LAYER_BLOCK;
export const LAYER_NVME: i32 = CPU_LAYER_NVME;
export const LAYER_DMA: i32 = CPU_LAYER_DMA; // dma-direct / IOMMU map and unmap
export const LAYER_IOMMU_WAIT: i32 = CPU_LAYER_IOMMU_WAIT; // spinning for a synchronous invalidation
export const LAYER_DMABUF: i32 = CPU_LAYER_DMABUF;
export const LAYER_POLL: i32 = CPU_LAYER_POLL; // spinning on the completion queue
export const LAYER_IRQ: i32 = CPU_LAYER_IRQ;
export const LAYER_SPIN: i32 = CPU_LAYER_SPIN; // polling with nothing to find: CPU use that does no work
export const LAYERS: i32 = CPU_LAYERS;

// Event kinds.
export const EV_NVME_CQE: u32 = 1; // a controller posts its oldest completion (arg: controller)
export const EV_FQ_TIMER: u32 = 2; // lazy flush-queue timer (arg: core)
export const EV_THREAD: u32 = 3; // a workload thread resumes (arg: thread)
export const EV_INVALIDATE: u32 = 4; // a dma-buf exporter invalidates (arg: dmabuf)
export const EV_WORKER: u32 = 5; // an io-wq worker builds a map and issues parked requests (arg: token)
export const EV_SAMPLE: u32 = 6; // workload sampler tick
export const EV_GPU_COPY: u32 = 7; // the oldest host-to-GPU copy ends (bounce path)
export const EV_NVME_MEDIA: u32 = 8; // pending data ready within the lookahead takes its links (one for the machine; arg: 0)
export const EV_NVME_DOORBELL: u32 = 9; // a controller sees an SQ tail doorbell write (arg: queue | tail << 12)
export const EV_NVME_IRQ_CONT: u32 = 10; // an interrupt handler resumes after yielding (arg: queue)
export const EV_BLK_RUN: u32 = 11; // blk-mq's delayed run of a hardware queue (hctx->run_work; arg: queue)
export const EV_BLK_REQUEUE: u32 = 12; // blk-mq's requeue work of a request queue (q->requeue_work; arg: controller)
/** Event kinds are below this (per-kind pending counts). */
const EV_KINDS: u32 = 16;

/** Time at which each core becomes free (its own clock). */
export const core_time = new StaticArray<u64>(CORES_MAX);
/** Busy nanoseconds per core, split per layer (busy time is their sum). */
export const core_layer = new StaticArray<u64>(CORES_MAX * LAYERS);

/** Busy nanoseconds of `core`: the sum over its layers (kept derivable, not stored). */
export function core_busy_of(core: i32): u64 {
  let s: u64 = 0;
  for (let l = 0; l < LAYERS; l++) s += unchecked(core_layer[core * LAYERS + l]);
  return s;
}
export let cores: i32 = 1;

/** The simulated "now": the time of the event being processed. */
export let now: u64 = 0;

// Event heap: a binary min-heap of (key, payload) pairs in linear memory.
// The key packs time and a sequence number (time << SEQ_BITS | seq), so one
// u64 comparison orders events by time and, at equal times, by scheduling
// order (determinism). Time is therefore limited to 2^TIME_BITS ns. The
// sequence number never wraps: when it reaches 2^SEQ_BITS, the pending events
// are renumbered 0..n-1 in their order (ev_renumber), which keeps every
// comparison between pending events and those pushed later as it was, so
// events at equal times always run in push order however long the run.
const SEQ_BITS: u64 = 20;
export const TIME_BITS: u64 = 64 - SEQ_BITS; // 2^44 ns: about 4.9 hours of simulated time
let ev_key: usize = 0; // u64[]
let ev_payload: usize = 0; // u64[]: kind << 32 | arg
let ev_count: u32 = 0;
let ev_seq: u64 = 0;
export let ev_max_seen: u32 = 0;
/**
 * Events taken (run) since the machine was set up: events per I/O are the
 * simulator's own work (docs/speed.md, issue 13). One global, not a count per
 * kind: a table per kind costs a read and a write per event for counts only
 * tests read (nvme/ctrl.ts counts its media events itself).
 */
let ev_taken_n: u64 = 0;
/**
 * Pending events per kind, for the kinds in EV_COUNTED only: what is left to
 * happen (a wait that only timers could end is visible, blk_mq_stalled).
 * Counting every kind cost a read and a write of this table per push and per
 * pop on the hot path, for counts nobody reads.
 */
const ev_kind_pending = new StaticArray<u32>(EV_KINDS);
/** The kinds ev_pending_of can be asked about (a bit per kind). */
const EV_COUNTED: u32 = (1 << EV_BLK_RUN) | (1 << EV_SAMPLE);

/**
 * Count of frees of the resources a request's DMA set-up allocates on the
 * fly (IOVA ranges, PRP/SGL pool blocks, host pages): a request the driver
 * refused for want of them (BLK_STS_RESOURCE) can only succeed on a retry
 * after this has moved (block/blk_mq.ts tells a wait that could never end).
 */
export let res_free_seq: u64 = 0;
/** Something a DMA set-up allocates was freed (see res_free_seq). */
// @ts-ignore: decorator
@inline export function res_freed(): void {
  res_free_seq++;
}

export function engine_init(ncores: i32): void {
  // Renumbering leaves at most EVENTS_MAX sequence numbers taken: room for new ones.
  assert(<u64>EVENTS_MAX < (<u64>1 << SEQ_BITS), "engine: EVENTS_MAX must leave sequence numbers free");
  cores = ncores;
  for (let i = 0; i < CORES_MAX; i++) {
    unchecked((core_time[i] = 0));
  }
  for (let i = 0; i < CORES_MAX * LAYERS; i++) unchecked((core_layer[i] = 0));
  now = 0;
  ev_key = mem_alloc(<usize>EVENTS_MAX * 8, 64, false); // only slots below ev_count are read
  ev_payload = mem_alloc(<usize>EVENTS_MAX * 8, 64, false);
  ev_count = 0;
  ev_seq = 0;
  ev_max_seen = 0;
  ev_taken_n = 0;
  for (let k: u32 = 0; k < EV_KINDS; k++) unchecked((ev_kind_pending[k] = 0));
  res_free_seq = 0;
}

/** Charge `ns` of CPU work on `core` to `layer`: the core's clock moves on. */
// @ts-ignore: decorator
@inline export function charge(core: i32, layer: i32, ns: u64): void {
  unchecked((core_time[core] += ns));
  unchecked((core_layer[core * LAYERS + layer] += ns));
}

/**
 * Move a core's clock to `t`. When `busy`, the wait is spinning (polling, or
 * waiting for a synchronous IOTLB invalidation) and counts as CPU use charged
 * to `layer`; otherwise the core sleeps and the time is idle.
 */
// Inlined: a polling thread's every wake-up moves its clock.
// @ts-ignore: decorator
@inline export function advance_to(core: i32, t: u64, busy: bool, layer: i32): void {
  const c = unchecked(core_time[core]);
  if (t <= c) return;
  if (busy) unchecked((core_layer[core * LAYERS + layer] += t - c));
  unchecked((core_time[core] = t));
}

/**
 * Whether `core` must yield before it touches state other cores share (an
 * IOMMU invalidation queue, a drive): its clock has run ahead of the earliest
 * pending event, so another core may reach the resource earlier in simulated
 * time. Every other core's next action is an event (a thread resuming, a CQE
 * waking a poller, an interrupt, a timer), so a core whose clock is not later
 * than the earliest event is provably first. With one core there is nobody to
 * be first against: it never yields (the single-core runs pay nothing).
 */
// @ts-ignore: decorator
@inline export function must_yield(core: i32): bool {
  return cores > 1 && ev_count > 0 && unchecked(core_time[core]) > load<u64>(ev_key) >> SEQ_BITS;
}

/** Schedule an event of `kind` with `arg` at time `t`. */
export function ev_push(t: u64, kind: u32, arg: u32): void {
  assert(kind < EV_KINDS, "engine: event kind out of range");
  if (ev_count >= EVENTS_MAX) fail(SIM_ERR_EVENTS, <i64>EVENTS_MAX);
  if (t >= (<u64>1 << TIME_BITS)) fail(SIM_ERR_CLOCK, <i64>t);
  if (ev_seq == (<u64>1 << SEQ_BITS)) ev_renumber();
  const key = (t << SEQ_BITS) | ev_seq;
  ev_seq++;
  const payload = (<u64>kind << 32) | <u64>arg;
  if (((EV_COUNTED >> kind) & 1) != 0) unchecked((ev_kind_pending[kind] += 1));
  // Sift up, moving parents down into the hole.
  let i = ev_count++;
  if (ev_count > ev_max_seen) ev_max_seen = ev_count;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const pk = load<u64>(ev_key + (<usize>parent << 3));
    if (pk <= key) break;
    store<u64>(ev_key + (<usize>i << 3), pk);
    store<u64>(ev_payload + (<usize>i << 3), load<u64>(ev_payload + (<usize>parent << 3)));
    i = parent;
  }
  store<u64>(ev_key + (<usize>i << 3), key);
  store<u64>(ev_payload + (<usize>i << 3), payload);
}

export function ev_empty(): bool {
  return ev_count == 0;
}

export function ev_pending(): u32 {
  return ev_count;
}

/** Pending events of `kind`, one of the kinds counted (EV_COUNTED: EV_BLK_RUN, EV_SAMPLE). */
export function ev_pending_of(kind: u32): u32 {
  assert(kind < EV_KINDS && ((EV_COUNTED >> kind) & 1) != 0, "engine: pending events of a kind not counted");
  return unchecked(ev_kind_pending[kind]);
}

/** Events taken since the machine was set up (ev_top: each event run once, by sim_step or ev_pop). */
export function ev_taken(): u64 {
  return ev_taken_n;
}

/** Time of the earliest event; u64.MAX_VALUE when none. */
export function ev_peek_time(): u64 {
  return ev_count == 0 ? u64.MAX_VALUE : load<u64>(ev_key) >> SEQ_BITS;
}

/** Pop the earliest event; returns its payload (kind << 32 | arg), sets now. */
export function ev_pop(): u64 {
  const payload = ev_top();
  ev_drop_top();
  return payload;
}

// An event's handler that schedules the next event of its own source at
// once (a controller's next CQE) can take the place of the event being run
// instead: the new key goes into the root and sifts down once, where a pop
// followed by a push moves the last entry into the root, sifts it down, and
// sifts the new entry up. The two leave the same events pending with the
// same keys (keys are unique), so every later pop and peek is as before.
// The step is: ev_top, then exactly one of ev_drop_top or ev_replace_top
// before anything else reads or changes the queue.

/** The earliest event's payload (kind << 32 | arg); sets now. It stays queued until ev_drop_top or ev_replace_top. */
// @ts-ignore: decorator
@inline export function ev_top(): u64 {
  assert(ev_count > 0, "engine: pop from an empty event queue");
  const t = load<u64>(ev_key) >> SEQ_BITS;
  if (t > now) now = t;
  ev_taken_n++;
  return load<u64>(ev_payload);
}

/** Remove the earliest event (the one ev_top returned). */
export function ev_drop_top(): void {
  const kind = <u32>(load<u64>(ev_payload) >> 32);
  if (((EV_COUNTED >> kind) & 1) != 0) unchecked((ev_kind_pending[kind] -= 1));
  const n = --ev_count;
  // Sift the last element down from the root.
  if (n > 0) sift_down(load<u64>(ev_key + (<usize>n << 3)), load<u64>(ev_payload + (<usize>n << 3)), n);
}

/**
 * Remove the earliest event (the one ev_top returned) and schedule an event
 * of `kind` with `arg` at `t`: the same as ev_drop_top then ev_push, in one
 * sift.
 */
export function ev_replace_top(t: u64, kind: u32, arg: u32): void {
  const top_kind = <u32>(load<u64>(ev_payload) >> 32);
  if (ev_seq == (<u64>1 << SEQ_BITS) || t >= (<u64>1 << TIME_BITS) || ((EV_COUNTED >> top_kind) & 1) != 0 ||
    ((EV_COUNTED >> kind) & 1) != 0) {
    // A renumbering, a clock overrun or a counted kind: the two steps.
    ev_drop_top();
    ev_push(t, kind, arg);
    return;
  }
  assert(kind < EV_KINDS, "engine: event kind out of range");
  const key = (t << SEQ_BITS) | ev_seq;
  ev_seq++;
  sift_down(key, (<u64>kind << 32) | <u64>arg, ev_count);
}

/** Place (key, pl) in the hole at the root of the heap's first `n` entries, sifting it down. */
// @ts-ignore: decorator
@inline function sift_down(key: u64, pl: u64, n: u32): void {
  let i: u32 = 0;
  while (true) {
    let c: u32 = (i << 1) + 1;
    if (c >= n) break;
    let ck = load<u64>(ev_key + (<usize>c << 3));
    if (c + 1 < n) {
      const rk = load<u64>(ev_key + (<usize>(c + 1) << 3));
      if (rk < ck) {
        c++;
        ck = rk;
      }
    }
    if (key <= ck) break;
    store<u64>(ev_key + (<usize>i << 3), ck);
    store<u64>(ev_payload + (<usize>i << 3), load<u64>(ev_payload + (<usize>c << 3)));
    i = c;
  }
  store<u64>(ev_key + (<usize>i << 3), key);
  store<u64>(ev_payload + (<usize>i << 3), pl);
}

/**
 * The sequence number ran out of bits: number the pending events 0..n-1 in
 * their (time, sequence) order and go on from n. Order is all that sequence
 * numbers carry, so every later comparison comes out as before. In place: a
 * heap sort (each minimum into the slot the shrinking heap gives up: largest
 * first), reversed, is an ascending array, itself a valid heap.
 */
function ev_renumber(): void {
  const total = ev_count;
  let n = total;
  while (n > 1) {
    const k0 = load<u64>(ev_key);
    const p0 = load<u64>(ev_payload);
    n--;
    sift_down(load<u64>(ev_key + (<usize>n << 3)), load<u64>(ev_payload + (<usize>n << 3)), n);
    store<u64>(ev_key + (<usize>n << 3), k0);
    store<u64>(ev_payload + (<usize>n << 3), p0);
  }
  const seq_mask: u64 = (<u64>1 << SEQ_BITS) - 1;
  for (let i: u32 = 0; i < total; i++) {
    const j = total - 1 - i;
    if (i > j) break;
    const ki = load<u64>(ev_key + (<usize>i << 3));
    const pi = load<u64>(ev_payload + (<usize>i << 3));
    const kj = load<u64>(ev_key + (<usize>j << 3));
    store<u64>(ev_key + (<usize>i << 3), (kj & ~seq_mask) | <u64>i);
    store<u64>(ev_payload + (<usize>i << 3), load<u64>(ev_payload + (<usize>j << 3)));
    store<u64>(ev_key + (<usize>j << 3), (ki & ~seq_mask) | <u64>j);
    store<u64>(ev_payload + (<usize>j << 3), pi);
  }
  ev_seq = total;
}

/** The workload thread spinning on each core's poll queues (-1: none). */
export const core_poll_waiter = new StaticArray<i32>(CORES_MAX);

/** No thread spins on any core's poll queues (the NVMe driver's set-up). */
export function poll_waiters_reset(): void {
  for (let c = 0; c < CORES_MAX; c++) unchecked((core_poll_waiter[c] = -1));
}

/**
 * Bring `core`'s clock to now before work runs on it from an event: a core
 * whose thread spins on a poll queue was busy meanwhile, an idle one was not.
 */
export function core_catch_up(core: i32): void {
  advance_to(core, now, core_poll_waiter[core] >= 0, LAYER_SPIN);
}

// One step of the simulation (pop the earliest event, run its handler) lives
// in the event dispatcher at the top (machine/dispatch.ts), which imports
// every layer. Layers that wait for time to pass (io_uring_enter's wait
// loops) call sim_step here, which reaches the dispatcher through the one hook
// it registers at machine set-up: the only upward call in the engine.
let step_hook: () => void = step_unset;
function step_unset(): void {
  invariant_fail(INV_HOOK_UNSET, 100); // machine set-up did not register the dispatcher
}
/** Register the event dispatcher's step (machine set-up). */
export function set_sim_step(fn: () => void): void {
  step_hook = fn;
}
/** Run the earliest event (through the dispatcher registered at set-up). */
export function sim_step(): void {
  step_hook();
}
