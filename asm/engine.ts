// The discrete-event engine: integer-nanosecond time, an event queue (binary
// min-heap in linear memory) and CPU cores as resources on which every step
// charges a named cost. Per-layer accounting lets reports split CPU time.

import { CORES_MAX, EVENTS_MAX } from "./limits";
import { fail, SIM_ERR_EVENTS } from "./errors";
import { mem_alloc } from "./mem";

/** Layers CPU time is charged to (reports split ns/IO by these). */
export const LAYER_APP: i32 = 0;
export const LAYER_URING: i32 = 1;
export const LAYER_BLOCK: i32 = 2;
export const LAYER_NVME: i32 = 3;
export const LAYER_DMA: i32 = 4; // dma-direct / IOMMU map and unmap
export const LAYER_IOMMU_WAIT: i32 = 5; // spinning for a synchronous invalidation
export const LAYER_DMABUF: i32 = 6;
export const LAYER_POLL: i32 = 7; // spinning on the completion queue
export const LAYER_IRQ: i32 = 8;
export const LAYER_SPIN: i32 = 9; // polling with nothing to find: CPU use that does no work
export const LAYERS: i32 = 10;

// Event kinds.
export const EV_NVME_CQE: u32 = 1; // a controller posts a completion (arg: command id)
export const EV_FQ_TIMER: u32 = 2; // lazy flush-queue timer (arg: core)
export const EV_THREAD: u32 = 3; // a workload thread resumes (arg: thread)
export const EV_INVALIDATE: u32 = 4; // a dma-buf exporter invalidates (arg: dmabuf)
export const EV_WORKER: u32 = 5; // an io-wq worker builds a map and issues parked requests (arg: token)
export const EV_SAMPLE: u32 = 6; // workload sampler tick

/** Time at which each core becomes free (its own clock). */
export const core_time = new StaticArray<u64>(CORES_MAX);
/** Busy nanoseconds per core, and split per layer. */
export const core_busy = new StaticArray<u64>(CORES_MAX);
export const core_layer = new StaticArray<u64>(CORES_MAX * LAYERS);
export let cores: i32 = 1;

/** The simulated "now": the time of the event being processed. */
export let now: u64 = 0;

// Event heap: parallel arrays keyed by heap slot. Ties break on a sequence
// number so equal-time events run in the order they were scheduled
// (determinism).
let ev_time: usize = 0; // u64[]
let ev_key: usize = 0; // u64[]: seq << 32 | index into payload
let ev_payload: usize = 0; // u64[]: kind << 32 | arg
let ev_count: u32 = 0;
let ev_seq: u64 = 0;
export let ev_max_seen: u32 = 0;

export function engine_init(ncores: i32): void {
  cores = ncores;
  for (let i = 0; i < CORES_MAX; i++) {
    unchecked((core_time[i] = 0));
    unchecked((core_busy[i] = 0));
  }
  for (let i = 0; i < CORES_MAX * LAYERS; i++) unchecked((core_layer[i] = 0));
  now = 0;
  ev_time = mem_alloc(<usize>EVENTS_MAX * 8);
  ev_key = mem_alloc(<usize>EVENTS_MAX * 8);
  ev_payload = mem_alloc(<usize>EVENTS_MAX * 8);
  ev_count = 0;
  ev_seq = 0;
  ev_max_seen = 0;
}

/** Charge `ns` of CPU work on `core` to `layer`: the core's clock moves on. */
// @ts-ignore: decorator
@inline export function charge(core: i32, layer: i32, ns: u64): void {
  unchecked((core_time[core] += ns));
  unchecked((core_busy[core] += ns));
  unchecked((core_layer[core * LAYERS + layer] += ns));
}

/**
 * Move a core's clock to `t`. When `busy`, the wait is spinning (polling, or
 * waiting for a synchronous IOTLB invalidation) and counts as CPU use charged
 * to `layer`; otherwise the core sleeps and the time is idle.
 */
export function advance_to(core: i32, t: u64, busy: bool, layer: i32): void {
  const c = unchecked(core_time[core]);
  if (t <= c) return;
  if (busy) {
    unchecked((core_busy[core] += t - c));
    unchecked((core_layer[core * LAYERS + layer] += t - c));
  }
  unchecked((core_time[core] = t));
}

// @ts-ignore: decorator
@inline function less(a: u32, b: u32): bool {
  const ta = load<u64>(ev_time + (<usize>a << 3));
  const tb = load<u64>(ev_time + (<usize>b << 3));
  if (ta != tb) return ta < tb;
  return load<u64>(ev_key + (<usize>a << 3)) < load<u64>(ev_key + (<usize>b << 3));
}

// @ts-ignore: decorator
@inline function swap(a: u32, b: u32): void {
  const oa = <usize>a << 3;
  const ob = <usize>b << 3;
  let t = load<u64>(ev_time + oa);
  store<u64>(ev_time + oa, load<u64>(ev_time + ob));
  store<u64>(ev_time + ob, t);
  t = load<u64>(ev_key + oa);
  store<u64>(ev_key + oa, load<u64>(ev_key + ob));
  store<u64>(ev_key + ob, t);
  t = load<u64>(ev_payload + oa);
  store<u64>(ev_payload + oa, load<u64>(ev_payload + ob));
  store<u64>(ev_payload + ob, t);
}

/** Schedule an event of `kind` with `arg` at time `t`. */
export function ev_push(t: u64, kind: u32, arg: u32): void {
  if (ev_count >= EVENTS_MAX) fail(SIM_ERR_EVENTS, <i64>EVENTS_MAX);
  let i = ev_count++;
  if (ev_count > ev_max_seen) ev_max_seen = ev_count;
  store<u64>(ev_time + (<usize>i << 3), t);
  store<u64>(ev_key + (<usize>i << 3), ev_seq++);
  store<u64>(ev_payload + (<usize>i << 3), (<u64>kind << 32) | <u64>arg);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(i, p)) break;
    swap(i, p);
    i = p;
  }
}

export function ev_empty(): bool {
  return ev_count == 0;
}

export function ev_pending(): u32 {
  return ev_count;
}

/** Time of the earliest event; u64.MAX_VALUE when none. */
export function ev_peek_time(): u64 {
  return ev_count == 0 ? u64.MAX_VALUE : load<u64>(ev_time);
}

/** Pop the earliest event; returns its payload (kind << 32 | arg), sets now. */
export function ev_pop(): u64 {
  const t = load<u64>(ev_time);
  const payload = load<u64>(ev_payload);
  ev_count--;
  if (ev_count > 0) {
    swap(0, ev_count);
    let i: u32 = 0;
    while (true) {
      const l: u32 = (i << 1) + 1;
      if (l >= ev_count) break;
      let m = l;
      const r = l + 1;
      if (r < ev_count && less(r, l)) m = r;
      if (!less(m, i)) break;
      swap(i, m);
      i = m;
    }
  }
  if (t > now) now = t;
  return payload;
}
