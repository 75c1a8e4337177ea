// Trace records for `dmasim trace`: I/O stages, CPU work, invalidations and
// counter samples, kept in a fixed ring in linear memory while tracing is on
// (a run records at most TRACE_MAX; later ones are counted as dropped).

import { mem_alloc } from "./mem";
import * as abi from "./abi";
import { trace_entry } from "./abi";

export const TRACE_MAX: u32 = 131072;
/** Bytes between entries: struct trace_entry (abi.ts, which TypeScript reads them by). */
const REC: u32 = <u32>offsetof<trace_entry>();

// Record kinds, defined once in abi.ts (TRACE_KIND_*: TypeScript names them from it).
export const TR_SUBMIT: u8 = abi.TRACE_KIND_SUBMIT; // io stage: SQE consumed -> command queued
export const TR_MAP: u8 = abi.TRACE_KIND_MAP; // io stage: DMA map
export const TR_COMMAND: u8 = abi.TRACE_KIND_COMMAND; // io stage: command + PRP/SGL set-up
export const TR_DEVICE: u8 = abi.TRACE_KIND_DEVICE; // io stage: controller + media + link
export const TR_COMPLETE: u8 = abi.TRACE_KIND_COMPLETE; // io stage: CQE posted -> request completed
export const TR_UNMAP: u8 = abi.TRACE_KIND_UNMAP; // io stage: DMA unmap
export const TR_CPU_ENTER: u8 = abi.TRACE_KIND_CPU_ENTER; // cpu: io_uring_enter
export const TR_CPU_POLL: u8 = abi.TRACE_KIND_CPU_POLL; // cpu: spinning on the CQ
export const TR_CPU_IRQ: u8 = abi.TRACE_KIND_CPU_IRQ; // cpu: interrupt handling
export const TR_CPU_INVWAIT: u8 = abi.TRACE_KIND_CPU_INVWAIT; // cpu: waiting for an IOTLB invalidation
export const TR_INVAL: u8 = abi.TRACE_KIND_INVAL; // IOMMU unit: one invalidation
export const TR_CNT_INFLIGHT: u8 = abi.TRACE_KIND_CNT_INFLIGHT; // counter: requests in flight on a ring
export const TR_CNT_IOTLB_MISS: u8 = abi.TRACE_KIND_CNT_IOTLB_MISS; // counter: IOTLB misses so far

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
  const e = changetype<trace_entry>(buf + <usize>count * REC);
  e.t_ns = t;
  e.dur_ns = dur;
  e.value = value;
  e.track = <u16>track;
  e.kind = kind;
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
