// Bounce buffers for untrusted devices (kernel/dma/swiotlb.c as dma-iommu.c
// uses it). A PCI device on an external-facing port is "untrusted"
// (pci_dev->untrusted); for it iommu_dma_map_page bounces any buffer that does
// not fill whole IOVA granules (dev_use_swiotlb && iova_unaligned) through a
// swiotlb slot: swiotlb_tbl_map_single takes a slot, zeroes the padding so
// the rest of the granule holds nothing of anyone's, and for DMA_TO_DEVICE
// copies the data in (swiotlb_bounce); swiotlb_tbl_unmap_single copies it back
// for DMA_FROM_DEVICE and frees the slot. The IOMMU then maps the slot, so
// the device reaches exactly the I/O's bytes.
//
// "all" is a proposal from the LSF/MM discussion (an LWN comment: safe use of
// the IOMMU needs shadow buffers and extra copies for byte-granular
// protection and against TOCTOU): every request bounces, aligned or not.
//
// dmasim bounces a request as one shadow buffer when any of its segments is
// unaligned (the kernel bounces each unaligned segment of a scatterlist
// separately, iommu_dma_map_sg_swiotlb); the copy is charged as CPU memcpy
// time (or host memory time for a read and a write of every byte, if longer)
// and counted as host memory traffic.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { charge, LAYER_DMA } from "../sim/engine";
import { cost, COST_SWIOTLB_MAP, COST_MEMCPY_KB } from "../sim/costs";
import { phys_alloc_host, phys_copy, phys_free, phys_write_u64 } from "../hw/physmem";
import { host_mem_copy_ns } from "../hw/gpu";
import { fail, SIM_ERR_PHYS } from "../sim/errors";
import * as abi from "../sim/abi";

// Defined once in sim/abi.ts (UNTRUSTED_*: TypeScript names them from it).
export const UNTRUSTED_NO: i32 = abi.UNTRUSTED_NO;
export const UNTRUSTED_KERNEL: i32 = abi.UNTRUSTED_YES; // bounce what does not fill whole granules (dma-iommu.c)
export const UNTRUSTED_ALL: i32 = abi.UNTRUSTED_ALL; // bounce every request (a proposal)

/** Counters: requests bounced, bytes copied (both directions), padding bytes zeroed. */
export let swiotlb_bounces: u64 = 0;
export let swiotlb_copied_bytes: u64 = 0;
export let swiotlb_pad_bytes: u64 = 0;

/** Whether swiotlb copies bytes (functional runs) or only charges their cost. */
let copy_bytes: bool = true;

export function swiotlb_init(functional: bool): void {
  swiotlb_bounces = 0;
  swiotlb_copied_bytes = 0;
  swiotlb_pad_bytes = 0;
  copy_bytes = functional;
}

/** iova_unaligned for a segment list: does any segment start or end inside a granule? */
export function swiotlb_needed(mode: i32, segs: usize, nsegs: u32): bool {
  if (mode == UNTRUSTED_NO) return false;
  if (mode == UNTRUSTED_ALL) return true;
  for (let i: u32 = 0; i < nsegs; i++) {
    const s = segs + (<usize>i << 4);
    const pa = load<u64>(s);
    const len = <u64>load<u32>(s, 8);
    if ((pa & <u64>(PAGE_SIZE - 1)) != 0 || (len & <u64>(PAGE_SIZE - 1)) != 0) return true;
  }
  return false;
}

/**
 * Charge a copy of `bytes` on `core`: the core's memcpy time, or the time
 * host memory takes to read and write every byte when that is longer.
 */
function copy_cost(core: i32, bytes: u32): void {
  const cpu = (cost(COST_MEMCPY_KB) * <u64>bytes + 1023) >> 10;
  const mem = host_mem_copy_ns(bytes * 2);
  charge(core, LAYER_DMA, cpu > mem ? cpu : mem);
  swiotlb_copied_bytes += <u64>bytes;
}

/**
 * swiotlb_tbl_map_single for a request's segment list: take shadow pages
 * (whole granules, the padding zeroed), copy the data in when the device is
 * to read it, and rewrite `out` as one segment per shadow page. Returns the
 * number of shadow pages; their addresses are kept in `shadow` (u64 each).
 */
export function swiotlb_map(
  core: i32, segs: usize, nsegs: u32, bytes: u32, to_device: bool, shadow: usize, out: usize,
): u32 {
  charge(core, LAYER_DMA, cost(COST_SWIOTLB_MAP));
  const pages = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
  for (let i: u32 = 0; i < pages; i++) {
    const pa = phys_alloc_host();
    if (pa == 0) fail(SIM_ERR_PHYS, -1);
    // A freshly handed-out page reads as zeros: the padding holds nothing.
    phys_write_u64(pa, 0);
    store<u64>(shadow + (<usize>i << 3), pa);
    const len: u32 = i == pages - 1 ? bytes - (i << PAGE_SHIFT) : PAGE_SIZE;
    store<u64>(out + (<usize>i << 4), pa);
    store<u32>(out + (<usize>i << 4), len, 8);
  }
  swiotlb_pad_bytes += (<u64>pages << PAGE_SHIFT) - <u64>bytes;
  if (to_device) bounce(core, segs, nsegs, shadow, true);
  swiotlb_bounces++;
  return pages;
}

/** swiotlb_tbl_unmap_single: copy the data back when the device wrote it, free the shadow pages. */
export function swiotlb_unmap(core: i32, segs: usize, nsegs: u32, from_device: bool, shadow: usize, pages: u32): void {
  if (from_device) bounce(core, segs, nsegs, shadow, false);
  for (let i: u32 = 0; i < pages; i++) phys_free(load<u64>(shadow + (<usize>i << 3)));
}

/** swiotlb_bounce: copy between the original segments and the shadow pages, in order. */
function bounce(core: i32, segs: usize, nsegs: u32, shadow: usize, to_shadow: bool): void {
  let off: u64 = 0;
  let total: u32 = 0;
  for (let i: u32 = 0; i < nsegs; i++) {
    const s = segs + (<usize>i << 4);
    let pa = load<u64>(s);
    let len = load<u32>(s, 8);
    total += len;
    while (len > 0) {
      const room = PAGE_SIZE - <u32>(off & <u64>(PAGE_SIZE - 1));
      const n = len < room ? len : room;
      const sp = load<u64>(shadow + <usize>((off >> PAGE_SHIFT) << 3)) + (off & <u64>(PAGE_SIZE - 1));
      if (copy_bytes) {
        if (to_shadow) phys_copy(sp, pa, n);
        else phys_copy(pa, sp, n);
      }
      pa += n;
      off += n;
      len -= n;
    }
  }
  copy_cost(core, total);
}
