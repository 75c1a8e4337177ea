// Exposure accounting: what a device could reach through the IOMMU that it
// should not (issue 14, the LSF/MM exchange between Jason Gunthorpe and Pavel
// Begunkov on passthrough vs long-lived mappings). The IOMMU calls in here at
// map, unmap and IOTLB flush; nothing here changes what the IOMMU does.
//
// Three kinds of exposure are measured:
//  - stale translations: in lazy mode dma-iommu.c's iommu_dma_free_iova
//    queues the IOVA on a flush queue (queue_iova) instead of invalidating
//    the IOTLB, so from the unmap until the flush that covers it
//    (fq_flush_iotlb) the device may still reach the pages through a cached
//    translation. Counted per unmap kind: a per-I/O dma_unmap, or a dma-buf
//    map torn down after move_notify or unregistration.
//  - sub-page exposure: the IOMMU maps whole 4 KiB granules
//    (iommu_dma_map_page maps iova_align(size + offset)), so a 512-byte read
//    also opens the rest of its page for the life of the mapping.
//  - mapped bytes: everything reachable through live PTEs, integrated over
//    time (a dma-buf map keeps the whole registered buffer reachable for the
//    life of the registration).
// Integrals are f64 byte·ns (u64 overflows after ~10^19); windows are ns.

import * as abi from "../sim/abi";

/** IOMMU domains accounted (iommu.ts IOMMU_DOMAINS_MAX; iommu_init checks they agree). */
export const EXP_DOMAINS_MAX: i32 = 32;

// Unmap / map kinds, defined once in sim/abi.ts (EXPOSURE_KIND_*: TypeScript names them from it).
export const EXP_STREAMING: i32 = abi.EXPOSURE_KIND_STREAMING; // a per-I/O mapping (dma_map_sg / dma_unmap_sg)
export const EXP_DMABUF: i32 = abi.EXPOSURE_KIND_DMABUF; // a dma-buf map (the attachment's sg_table)
export const EXP_SHADOW: i32 = abi.EXPOSURE_KIND_SHADOW; // a per-I/O mapping of swiotlb bounce pages (untrusted device)
export const EXP_KINDS: i32 = abi.EXPOSURE_KINDS;

// Per (domain, kind): ranges waiting in a flush queue.
const pend_pages = new StaticArray<u64>(EXP_DOMAINS_MAX * EXP_KINDS);
const pend_ranges = new StaticArray<u64>(EXP_DOMAINS_MAX * EXP_KINDS);
const pend_page_t = new StaticArray<f64>(EXP_DOMAINS_MAX * EXP_KINDS); // Σ pages × t_unmap
const pend_range_t = new StaticArray<f64>(EXP_DOMAINS_MAX * EXP_KINDS); // Σ t_unmap
const pend_tmin = new StaticArray<u64>(EXP_DOMAINS_MAX * EXP_KINDS);

// Per kind totals.
const unmap_ranges = new StaticArray<u64>(EXP_KINDS);
const unmap_pages = new StaticArray<u64>(EXP_KINDS);
const stale_ranges = new StaticArray<u64>(EXP_KINDS); // deferred to a flush queue
const stale_pages = new StaticArray<u64>(EXP_KINDS);
const stale_iotlb = new StaticArray<u64>(EXP_KINDS); // of those pages, translations cached in the IOTLB at unmap
const window_max = new StaticArray<u64>(EXP_KINDS);
const window_range_ns = new StaticArray<f64>(EXP_KINDS); // Σ over flushed ranges of their window
const window_page_ns = new StaticArray<f64>(EXP_KINDS); // Σ over flushed pages of their window
const flushed_ranges = new StaticArray<u64>(EXP_KINDS);

// Mapped pages (live PTEs) per kind, and their time integral.
const mapped_now = new StaticArray<u64>(EXP_KINDS);
const mapped_max = new StaticArray<u64>(EXP_KINDS);
const mapped_page_t = new StaticArray<f64>(EXP_KINDS); // Σ unmapped pages × t_unmap − Σ mapped pages × t_map
let mapped_all_now: u64 = 0; // both kinds
let mapped_all_max: u64 = 0;

// Sub-page exposure of streaming maps.
let sub_maps: u64 = 0;
let sub_bytes: u64 = 0;
let sub_live: u64 = 0;
let sub_byte_t: f64 = 0; // Σ extra × t_unmap − Σ extra × t_map

export function exposure_init(): void {
  for (let i = 0; i < EXP_DOMAINS_MAX * EXP_KINDS; i++) {
    unchecked((pend_pages[i] = 0));
    unchecked((pend_ranges[i] = 0));
    unchecked((pend_page_t[i] = 0));
    unchecked((pend_range_t[i] = 0));
    unchecked((pend_tmin[i] = u64.MAX_VALUE));
  }
  for (let k = 0; k < EXP_KINDS; k++) {
    unchecked((unmap_ranges[k] = 0));
    unchecked((unmap_pages[k] = 0));
    unchecked((stale_ranges[k] = 0));
    unchecked((stale_pages[k] = 0));
    unchecked((stale_iotlb[k] = 0));
    unchecked((window_max[k] = 0));
    unchecked((window_range_ns[k] = 0));
    unchecked((window_page_ns[k] = 0));
    unchecked((flushed_ranges[k] = 0));
    unchecked((mapped_now[k] = 0));
    unchecked((mapped_max[k] = 0));
    unchecked((mapped_page_t[k] = 0));
  }
  mapped_all_now = 0;
  mapped_all_max = 0;
  sub_maps = 0;
  sub_bytes = 0;
  sub_live = 0;
  sub_byte_t = 0;
}

/**
 * A mapping of `pages` granules for `bytes` bytes of data was made at `t`.
 * The bytes beyond the data in its first and last granule are reachable too.
 */
export function exp_map(kind: i32, pages: u64, bytes: u64, t: u64): void {
  const now_ = unchecked(mapped_now[kind]) + pages;
  unchecked((mapped_now[kind] = now_));
  if (now_ > unchecked(mapped_max[kind])) unchecked((mapped_max[kind] = now_));
  unchecked((mapped_page_t[kind] -= <f64>pages * <f64>t));
  mapped_all_now += pages;
  if (mapped_all_now > mapped_all_max) mapped_all_max = mapped_all_now;
  if (kind != EXP_STREAMING) return;
  const extra = (pages << 12) - bytes;
  if (extra == 0) return;
  sub_maps++;
  sub_bytes += extra;
  sub_live += extra;
  sub_byte_t -= <f64>extra * <f64>t;
}

/**
 * The PTEs of a mapping were cleared at `t`. `deferred`: the IOTLB is not
 * invalidated yet (lazy mode), so the range stays reachable until the flush;
 * `cached` of its pages had a translation in the IOTLB at that moment.
 */
export function exp_unmap(d: i32, kind: i32, pages: u64, bytes: u64, cached: u64, t: u64, deferred: bool): void {
  unchecked((unmap_ranges[kind] += 1));
  unchecked((unmap_pages[kind] += pages));
  assert(unchecked(mapped_now[kind]) >= pages);
  unchecked((mapped_now[kind] -= pages));
  mapped_all_now -= pages;
  unchecked((mapped_page_t[kind] += <f64>pages * <f64>t));
  if (kind == EXP_STREAMING) {
    const extra = (pages << 12) - bytes;
    assert(sub_live >= extra);
    sub_live -= extra;
    sub_byte_t += <f64>extra * <f64>t;
  }
  if (!deferred) return;
  unchecked((stale_ranges[kind] += 1));
  unchecked((stale_pages[kind] += pages));
  unchecked((stale_iotlb[kind] += cached));
  const i = d * EXP_KINDS + kind;
  unchecked((pend_pages[i] += pages));
  unchecked((pend_ranges[i] += 1));
  unchecked((pend_page_t[i] += <f64>pages * <f64>t));
  unchecked((pend_range_t[i] += <f64>t));
  if (t < unchecked(pend_tmin[i])) unchecked((pend_tmin[i] = t));
}

/** Domain `d`'s IOTLB was flushed, the invalidation complete at `t`: every queued range is closed. */
export function exp_flush(d: i32, t: u64): void {
  for (let k = 0; k < EXP_KINDS; k++) {
    const i = d * EXP_KINDS + k;
    const n = unchecked(pend_ranges[i]);
    if (n == 0) continue;
    const tmin = unchecked(pend_tmin[i]);
    const w: u64 = t > tmin ? t - tmin : 0;
    if (w > unchecked(window_max[k])) unchecked((window_max[k] = w));
    // Σ (t − t_unmap) over ranges and pages; a core whose clock ran ahead of
    // the flushing core's contributes nothing negative.
    const rw = <f64>n * <f64>t - unchecked(pend_range_t[i]);
    const pw = <f64>unchecked(pend_pages[i]) * <f64>t - unchecked(pend_page_t[i]);
    unchecked((window_range_ns[k] += rw > 0 ? rw : 0));
    unchecked((window_page_ns[k] += pw > 0 ? pw : 0));
    unchecked((flushed_ranges[k] += n));
    unchecked((pend_pages[i] = 0));
    unchecked((pend_ranges[i] = 0));
    unchecked((pend_page_t[i] = 0));
    unchecked((pend_range_t[i] = 0));
    unchecked((pend_tmin[i] = u64.MAX_VALUE));
  }
}

/**
 * Exposure figures by kind and field, at time `t` (ranges still waiting for
 * a flush count up to `t`). Fields: 0 unmaps, 1 unmapped pages, 2 deferred
 * (stale) ranges, 3 stale pages, 4 stale IOTLB entries, 5 longest stale
 * window ns, 6 Σ stale page·ns, 7 Σ stale range windows ns, 8 stale ranges
 * still open at `t`, 9 mapped pages now, 10 mapped pages at most, 11 Σ mapped
 * page·ns up to `t`; kind 0 only: 12 sub-page maps, 13 sub-page bytes, 14 Σ
 * sub-page byte·ns up to `t`; any kind: 15 mapped pages of both kinds at
 * most at once.
 */
export function exposure_get(kind: i32, field: i32, t_ns: f64): f64 {
  const t = <u64>t_ns;
  if (kind < 0 || kind >= EXP_KINDS) return 0;
  let open_max: u64 = 0;
  let open_pages: f64 = 0;
  let open_ranges: f64 = 0;
  let open_range_ns: f64 = 0;
  for (let d = 0; d < EXP_DOMAINS_MAX; d++) {
    const i = d * EXP_KINDS + kind;
    const n = unchecked(pend_ranges[i]);
    if (n == 0) continue;
    const tmin = unchecked(pend_tmin[i]);
    if (t > tmin && t - tmin > open_max) open_max = t - tmin;
    const pw = <f64>unchecked(pend_pages[i]) * <f64>t - unchecked(pend_page_t[i]);
    const rw = <f64>n * <f64>t - unchecked(pend_range_t[i]);
    open_pages += pw > 0 ? pw : 0;
    open_range_ns += rw > 0 ? rw : 0;
    open_ranges += <f64>n;
  }
  switch (field) {
    case abi.EXPOSURE_UNMAPS: return <f64>unchecked(unmap_ranges[kind]);
    case abi.EXPOSURE_UNMAPPED_PAGES: return <f64>unchecked(unmap_pages[kind]);
    case abi.EXPOSURE_STALE_RANGES: return <f64>unchecked(stale_ranges[kind]);
    case abi.EXPOSURE_STALE_PAGES: return <f64>unchecked(stale_pages[kind]);
    case abi.EXPOSURE_STALE_IOTLB: return <f64>unchecked(stale_iotlb[kind]);
    case abi.EXPOSURE_WINDOW_MAX: {
      const m = unchecked(window_max[kind]);
      return <f64>(open_max > m ? open_max : m);
    }
    case abi.EXPOSURE_STALE_PAGE_NS: return unchecked(window_page_ns[kind]) + open_pages;
    case abi.EXPOSURE_STALE_RANGE_NS: return unchecked(window_range_ns[kind]) + open_range_ns;
    case abi.EXPOSURE_OPEN: return open_ranges;
    case abi.EXPOSURE_MAPPED_NOW: return <f64>unchecked(mapped_now[kind]);
    case abi.EXPOSURE_MAPPED_MAX: return <f64>unchecked(mapped_max[kind]);
    case abi.EXPOSURE_MAPPED_PAGE_NS: return unchecked(mapped_page_t[kind]) + <f64>unchecked(mapped_now[kind]) * <f64>t;
    case abi.EXPOSURE_SUB_MAPS: return kind == EXP_STREAMING ? <f64>sub_maps : 0;
    case abi.EXPOSURE_SUB_BYTES: return kind == EXP_STREAMING ? <f64>sub_bytes : 0;
    case abi.EXPOSURE_SUB_BYTE_NS: return kind == EXP_STREAMING ? sub_byte_t + <f64>sub_live * <f64>t : 0;
    case abi.EXPOSURE_MAPPED_ALL_MAX: return <f64>mapped_all_max;
  }
  return 0;
}
