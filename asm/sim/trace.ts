// Trace records for `dmasim trace`: I/O stages, CPU work, invalidations and
// counter samples, kept in a fixed ring in linear memory while tracing is on
// (a run records at most TRACE_MAX; later ones are counted as dropped).

import { mem_alloc } from "./mem";

export const TRACE_MAX: u32 = 131072;
const REC: u32 = 32; // u64 t, u64 dur, u32 value, u16 track, u8 kind, u8 pad

// Record kinds (TypeScript maps them to names).
export const TR_SUBMIT: u8 = 1; // io stage: SQE consumed -> command queued
export const TR_MAP: u8 = 2; // io stage: DMA map
export const TR_COMMAND: u8 = 3; // io stage: command + PRP/SGL set-up
export const TR_DEVICE: u8 = 4; // io stage: controller + media + link
export const TR_COMPLETE: u8 = 5; // io stage: CQE posted -> request completed
export const TR_UNMAP: u8 = 6; // io stage: DMA unmap
export const TR_CPU_ENTER: u8 = 10; // cpu: io_uring_enter
export const TR_CPU_POLL: u8 = 11; // cpu: spinning on the CQ
export const TR_CPU_IRQ: u8 = 12; // cpu: interrupt handling
export const TR_CPU_INVWAIT: u8 = 13; // cpu: waiting for an IOTLB invalidation
export const TR_INVAL: u8 = 20; // IOMMU unit: one invalidation
export const TR_CNT_INFLIGHT: u8 = 30; // counter: requests in flight on a ring
export const TR_CNT_IOTLB_MISS: u8 = 31; // counter: IOTLB misses so far

export let tracing: bool = false;
let buf: usize = 0;
let count: u32 = 0;
let dropped: u32 = 0;

export function trace_init(): void {
  buf = 0;
  count = 0;
  dropped = 0;
  tracing = false;
}

export function trace_start(): void {
  if (buf == 0) buf = mem_alloc(<usize>TRACE_MAX * REC, 64, false); // written before read
  count = 0;
  dropped = 0;
  tracing = true;
}

export function trace_stop(): void {
  tracing = false;
}

export function trace_rec(kind: u8, t: u64, dur: u64, track: i32, value: u32): void {
  if (count >= TRACE_MAX) {
    dropped++;
    return;
  }
  const p = buf + <usize>count * REC;
  store<u64>(p, t);
  store<u64>(p + 8, dur);
  store<u32>(p + 16, value);
  store<u16>(p + 20, <u16>track);
  store<u8>(p + 22, kind);
  count++;
}

export function trace_count(): u32 {
  return count;
}
export function trace_dropped(): u32 {
  return dropped;
}
export function trace_buf(): usize {
  return buf;
}
