// IOMMU model (drivers/iommu): per-device domains, IOVA allocator (per-CPU
// magazines in front of a tree), 4-level page tables in simulated memory,
// a set-associative IOTLB, and the strict / lazy / passthrough unmap policies.
// INTERFACE STUB: the implementation replaces the bodies, keeping signatures.

export const IOMMU_STRICT: i32 = 0;
export const IOMMU_LAZY: i32 = 1;
export const IOMMU_PASSTHROUGH: i32 = 2;

/** DMA directions (enum dma_data_direction). */
export const DMA_BIDIRECTIONAL: i32 = 0;
export const DMA_TO_DEVICE: i32 = 1; // device reads memory (a write to storage)
export const DMA_FROM_DEVICE: i32 = 2; // device writes memory (a read from storage)

/** Returned by iommu_translate on a fault. */
export const DMA_FAULT: u64 = u64.MAX_VALUE;
/** Returned by iommu_map_* when no IOVA space is left. */
export const DMA_MAPPING_ERROR: u64 = 0;

export function iommu_init(
  mode: i32, iotlb_entries: u32, iotlb_ways: u32, walk_ns: u32, walk_cached_ns: u32,
  inval_latency_ns: u32, fq_size: u32, fq_timeout_ns: u32,
): void {}

/** Create the domain for device `dev` behind IOMMU unit `unit`; returns the domain id. */
export function iommu_domain_create(dev: i32, unit: i32): i32 { return 0; }

export function iommu_mode(): i32 { return IOMMU_PASSTHROUGH; }

/**
 * dma_map_sg for a segment list at `segs` (nsegs entries of 16 bytes: u64 pa,
 * u32 len, u32 pad) whose inner boundaries are page aligned. Charges its CPU
 * cost on `core`. Returns the DMA address of the first byte, the whole list
 * being contiguous in IOVA space; DMA_MAPPING_ERROR when out of IOVA space.
 * In passthrough the DMA address is the physical address and only one segment
 * may be passed.
 */
export function iommu_map_sg(dom: i32, core: i32, segs: usize, nsegs: u32, dir: i32): u64 { return 0; }

/** dma_unmap_sg of what iommu_map_sg returned, with the mode's invalidation policy. */
export function iommu_unmap(dom: i32, core: i32, dma: u64, len: u64, dir: i32): void {}

/** dma_alloc_coherent-style long-lived mapping of one page (PRP pools, queues). */
export function iommu_map_coherent(dom: i32, pa: u64): u64 { return pa; }

/**
 * Device-side translation of `dma` for an access of direction `write` (true:
 * the device writes memory). Returns the physical address or DMA_FAULT (the
 * fault is recorded). Adds the walk latency, if any, to iommu_walk_ns_acc.
 */
export function iommu_translate(dom: i32, dma: u64, write: bool): u64 { return dma; }

/** Lazy mode: the per-CPU flush-queue timer fired (EV_FQ_TIMER). */
export function iommu_fq_timer(core: i32): void {}
