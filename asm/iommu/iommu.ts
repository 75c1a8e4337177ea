// IOMMU model (drivers/iommu): per-device domains, IOVA allocator (per-CPU
// magazines in front of a tree), 4-level page tables in simulated memory,
// a set-associative IOTLB, and the strict / lazy / passthrough unmap policies.
//
// The shape follows Linux: drivers/iommu/iova.c (alloc_iova_fast,
// iova_rcache, __alloc_and_insert_iova_range), drivers/iommu/dma-iommu.c
// (iommu_dma_map_sg, iommu_dma_alloc_iova, the flush queue "fq") and the
// Intel VT-d driver (second-level page tables, the per-unit invalidation
// queue). Everything lives in linear memory laid out at set-up; the hot path
// never allocates from the GC heap.

import { trace_rec, tracing, TR_CPU_INVWAIT, TR_INVAL } from "../sim/trace";
import {
  advance_to, charge, core_time, cores, ev_push, now, EV_FQ_TIMER, LAYER_DMA, LAYER_IOMMU_WAIT, res_freed,
} from "../sim/engine";
import {
  cost, COST_DMA_MAP_DIRECT, COST_DMA_UNMAP_DIRECT, COST_FQ_ADD, COST_FQ_FREE_ENTRY, COST_INV_SUBMIT,
  COST_IOMMU_MAP, COST_IOMMU_UNMAP, COST_IOVA_ALLOC_CACHE, COST_IOVA_ALLOC_TREE, COST_IOVA_FREE_CACHE,
  COST_IOVA_FREE_TREE, COST_IOVA_TREE_NODE, COST_PT_PAGE_ALLOC, COST_PTE_CLEAR, COST_PTE_WRITE,
} from "../sim/costs";
import { phys_alloc_host, phys_kind, phys_read_u64, phys_write_u64, KIND_NONE, VRAM_PHYS_BASE } from "../hw/physmem";
import { mem_alloc } from "../sim/mem";
import { fail, INV_FREE_UNALLOCATED, INV_UNMAP_UNMAPPED, invariant_fail, SIM_ERR_IOVA, SIM_ERR_PHYS } from "../sim/errors";
import { CORES_MAX, PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import * as abi from "../sim/abi";
import { exp_flush, exp_map, exp_unmap, exposure_init, EXP_DOMAINS_MAX, EXP_STREAMING } from "./exposure";

// Modes, defined once in sim/abi.ts (IOMMU_MODE_*: TypeScript names them from it).
export const IOMMU_STRICT: i32 = abi.IOMMU_MODE_STRICT;
export const IOMMU_LAZY: i32 = abi.IOMMU_MODE_LAZY;
export const IOMMU_PASSTHROUGH: i32 = abi.IOMMU_MODE_PASSTHROUGH;

/** DMA directions (enum dma_data_direction). */
export const DMA_BIDIRECTIONAL: i32 = 0;
export const DMA_TO_DEVICE: i32 = 1; // device reads memory (a write to storage)
export const DMA_FROM_DEVICE: i32 = 2; // device writes memory (a read from storage)

/** Returned by iommu_translate on a fault. */
export const DMA_FAULT: u64 = u64.MAX_VALUE;
/** Returned by iommu_map_* when no IOVA space is left. */
export const DMA_MAPPING_ERROR: u64 = 0;

// ---------------------------------------------------------------------------
// Limits (local to the IOMMU; a named SIM_ERR_IOVA past any of them).

/** Domains (one per device). */
export const IOMMU_DOMAINS_MAX: i32 = 32;
/** IOMMU units (DMAR units); each has one invalidation queue. */
export const IOMMU_UNITS_MAX: i32 = 16;
/**
 * IOVA tree nodes shared by all domains. Nodes stay allocated while their
 * IOVA sits in a magazine or a flush queue, as in the kernel, so this covers
 * in-flight mappings (≤ REQS_MAX) plus the caches.
 */
export const IOVA_NODES_MAX: u32 = 1 << 17;
/** IOTLB entries at most. */
export const IOTLB_ENTRIES_MAX: u32 = 1 << 16;
/** Fault records kept (a ring: the newest IOMMU_FAULT_RING). */
export const IOMMU_FAULT_RING: u32 = 256;
/** Flush-queue entries per CPU at most. */
export const IOMMU_FQ_SIZE_MAX: u32 = 4096;

/** Fault reasons (VT-d fault reason, simplified). */
export const IOMMU_FAULT_NOT_PRESENT: i32 = 1;
export const IOMMU_FAULT_PERMISSION: i32 = 2;

// VT-d second-level PTE bits.
const PTE_READ: u64 = 1;
const PTE_WRITE: u64 = 2;
const PTE_PERM_MASK: u64 = 3;
const PTE_ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
/** Page-table levels: 3, 4 or 5 for a 39-, 48- or 57-bit IOVA space (iommu_set_aperture). */
let pt_levels: u32 = 4;
const PT_INDEX_BITS: u64 = 9;
const PT_INDEX_MASK: u64 = 511;

// iova.c constants.
const IOVA_RANGE_CACHE_MAX_SIZE: u32 = 6; // orders 0..5 cached: up to 32 pages
const IOVA_MAG_SIZE: u32 = 127;
const IOVA_MAG_BYTES: usize = 1024; // u32 size, pad, 127 × u64 pfns
const IOVA_DEPOT_MAGS: u32 = 32; // MAX_GLOBAL_MAGS of Linux ≤ 6.6: a small depot
const IOVA_START_PFN: u64 = 1; // IOVA 0 is never handed out (it is DMA_MAPPING_ERROR)
const DMA_32BIT_PFN: u64 = 1 << (32 - PAGE_SHIFT);
/**
 * End of the IOVA space (exclusive pfn): the domain's aperture
 * (geometry.aperture_end, from the IOMMU's address width: VT-d's 39-, 48- or
 * 57-bit AGAW, 3 to 5 page-table levels). Default 48 bits.
 */
let iova_limit_pfn: u64 = 1 << (48 - PAGE_SHIFT);
/** Per domain: strict invalidation whatever the mode (an untrusted device's IOMMU_DOMAIN_DMA). */
const dom_strict = new StaticArray<bool>(IOMMU_DOMAINS_MAX);
/** Per domain: the device's DMA limit as an exclusive pfn (dma_get_mask, clamped to the aperture). */
const dom_limit_pfn = new StaticArray<u64>(IOMMU_DOMAINS_MAX);
const IOVA_ANCHOR: u64 = u64.MAX_VALUE;

// Page-walk cache: a few fully-associative entries holding the pointer to a
// leaf table (what VT-d's PDE cache holds): a hit means only the leaf is read.
const PWC_ENTRIES: u32 = 16;

const IOTLB_STALE: u64 = 4; // in an IOTLB value: the PTE was cleared, not yet flushed

// ---------------------------------------------------------------------------
// Counters (exported globals, read by reports and tests).

export let iommu_maps: u64 = 0;
export let iommu_unmaps: u64 = 0;
export let iommu_invalidations: u64 = 0;
export let iommu_iotlb_hits: u64 = 0;
export let iommu_iotlb_misses: u64 = 0;
export let iommu_walks: u64 = 0;
export let iommu_faults: u64 = 0;
export let iommu_stale_hits: u64 = 0;
export let iommu_fq_flushes: u64 = 0;
export let iommu_iova_cache_hits: u64 = 0;
export let iommu_iova_tree_allocs: u64 = 0;
export let iommu_pte_writes: u64 = 0;
/** Page-walk latency accumulated by iommu_translate; the device reads and resets it. */
export let iommu_walk_ns_acc: u64 = 0;

/** GPUs (bit per index) whose BAR the devices reach through a switch, untranslated. */
let p2p_bypass_mask: u32 = 0;
export function iommu_set_p2p_bypass(mask: u32): void {
  p2p_bypass_mask = mask;
}

// ---------------------------------------------------------------------------
// Configuration and machine-wide state.

let mode: i32 = IOMMU_PASSTHROUGH;
let iotlb_sets: u32 = 1;
let iotlb_ways: u32 = 1;
let walk_ns: u64 = 0;
let walk_cached_ns: u64 = 0;
let inval_latency_ns: u64 = 0;
let fq_size: u32 = 256;
let fq_timeout_ns: u64 = 0;
let ncpus: i32 = 1; // cores at init: sizes the per-CPU structures
let mags_per_order: u32 = 0; // 2 per CPU + the depot
let rc_words: u32 = 0; // u32 words of rcache bookkeeping per order

/** Time at which each unit's invalidation queue is free (SMMUv3: its consumer). */
const unit_free = new StaticArray<u64>(IOMMU_UNITS_MAX);
/** SMMUv3: when the last TLBI consumed completes. */
const unit_tlbi_done = new StaticArray<u64>(IOMMU_UNITS_MAX);
/** Per unit: busy ns (union of work intervals) and its end, commands, syncs, invalidations outstanding at syncs. */
const unit_busy_ns = new StaticArray<u64>(IOMMU_UNITS_MAX);
const unit_busy_to = new StaticArray<u64>(IOMMU_UNITS_MAX);
const unit_cmds = new StaticArray<u64>(IOMMU_UNITS_MAX);
const unit_syncs = new StaticArray<u64>(IOMMU_UNITS_MAX);
const unit_batch_sum = new StaticArray<u64>(IOMMU_UNITS_MAX);
/** Lazy: a flush-queue timer is pending for this CPU. */
// dma-iommu.c's flush counters and timer, one set per domain: an entry is
// stamped with fq_flush_start_cnt when queued and may be freed once
// fq_flush_finish_cnt has passed it, whichever CPU's flush that was.
const dom_fq_start = new StaticArray<u64>(IOMMU_DOMAINS_MAX);
const dom_fq_finish = new StaticArray<u64>(IOMMU_DOMAINS_MAX);
const dom_fq_timer_on = new StaticArray<bool>(IOMMU_DOMAINS_MAX);
/** Bytes per flush-queue entry: u64 pfn, u64 pages, u64 flush counter. */
const FQ_ENTRY: usize = 24;

let domains: i32 = 0;
const dom_dev = new StaticArray<i32>(IOMMU_DOMAINS_MAX);
const dom_unit = new StaticArray<i32>(IOMMU_DOMAINS_MAX);
const dom_pt_root = new StaticArray<u64>(IOMMU_DOMAINS_MAX); // pa of the level-4 table
const dom_tree_root = new StaticArray<u32>(IOMMU_DOMAINS_MAX);
const dom_anchor = new StaticArray<u32>(IOMMU_DOMAINS_MAX);
const dom_cached = new StaticArray<u32>(IOMMU_DOMAINS_MAX); // iovad->cached_node
const dom_cached32 = new StaticArray<u32>(IOMMU_DOMAINS_MAX); // iovad->cached32_node
const dom_max32 = new StaticArray<u64>(IOMMU_DOMAINS_MAX); // iovad->max32_alloc_size
const dom_pci32 = new StaticArray<bool>(IOMMU_DOMAINS_MAX); // dev->iommu->pci_32bit_workaround
const dom_in_use = new StaticArray<u64>(IOMMU_DOMAINS_MAX); // IOVA pages held by callers / fq
const dom_mags = new StaticArray<usize>(IOMMU_DOMAINS_MAX); // magazines
const dom_rc = new StaticArray<usize>(IOMMU_DOMAINS_MAX); // rcache bookkeeping (u32 words)
const dom_fq = new StaticArray<usize>(IOMMU_DOMAINS_MAX); // per-CPU flush queues: (pfn u64, pages u64)
const dom_fq_n = new StaticArray<usize>(IOMMU_DOMAINS_MAX); // per-CPU fill counts (u32)

// IOVA tree nodes: 32 bytes each: pfn_lo u64, pfn_hi u64, left u32, right u32,
// parent u32, prio u32. Index 0 is "null". A treap (random-priority balanced
// BST) with parent links, so rb_prev/rb_next walk it as the kernel walks its
// rbtree.
let node_base: usize = 0;
let node_bump: u32 = 1;
let node_free: u32 = 0; // free list threaded through `left`
let node_live: u32 = 0;
let prio_state: u32 = 0x9e3779b9;

// IOTLB: sets × ways entries of 24 bytes: key u64 ((dom + 1) << 48 | pfn, 0 =
// empty; the pfns of a 57-bit space fit below bit 48), value u64 (pa pfn << 12
// | perms | IOTLB_STALE), LRU stamp u64.
let iotlb_base: usize = 0;
let iotlb_tick: u64 = 0;

// Page-walk cache: key u64 ((dom + 1) << 48 | pfn >> 9, 0 = empty), round robin.
let pwc_base: usize = 0;
let pwc_next: u32 = 0;

// Fault ring: 16 bytes: addr u64, dev i32, reason i32.
let fault_base: usize = 0;
let fault_total: u64 = 0;

/** Whether CPU costs are charged (off for set-up-time coherent mappings). */
let charging: bool = true;

// @ts-ignore: decorator
@inline function chg(core: i32, id: i32): void {
  if (charging) charge(core, LAYER_DMA, cost(id));
}

// ---------------------------------------------------------------------------
// Set-up.

export function iommu_init(
  mode_: i32, iotlb_entries: u32, iotlb_ways_: u32, walk_ns_: u32, walk_cached_ns_: u32,
  inval_latency_ns_: u32, fq_size_: u32, fq_timeout_ns_: u32,
): void {
  p2p_bypass_mask = 0;
  assert(mode_ >= IOMMU_STRICT && mode_ <= IOMMU_PASSTHROUGH);
  mode = mode_;
  iotlb_ways = iotlb_ways_ == 0 ? 1 : iotlb_ways_;
  if (iotlb_entries > IOTLB_ENTRIES_MAX) fail(SIM_ERR_IOVA, <i64>iotlb_entries);
  iotlb_sets = iotlb_entries / iotlb_ways;
  if (iotlb_sets == 0) iotlb_sets = 1;
  walk_ns = walk_ns_;
  walk_cached_ns = walk_cached_ns_;
  inval_latency_ns = inval_latency_ns_;
  fq_size = fq_size_ == 0 ? 1 : fq_size_;
  if (fq_size > IOMMU_FQ_SIZE_MAX) fail(SIM_ERR_IOVA, <i64>fq_size);
  fq_timeout_ns = fq_timeout_ns_;
  ncpus = cores;
  assert(ncpus >= 1 && ncpus <= CORES_MAX);
  mags_per_order = 2 * <u32>ncpus + IOVA_DEPOT_MAGS;
  rc_words = 2 + mags_per_order + IOVA_DEPOT_MAGS + 2 * <u32>ncpus;

  iommu_maps = 0;
  iommu_unmaps = 0;
  iommu_invalidations = 0;
  iommu_iotlb_hits = 0;
  iommu_iotlb_misses = 0;
  iommu_walks = 0;
  iommu_faults = 0;
  iommu_stale_hits = 0;
  iommu_fq_flushes = 0;
  iommu_iova_cache_hits = 0;
  iommu_iova_tree_allocs = 0;
  iommu_pte_writes = 0;
  iommu_walk_ns_acc = 0;
  assert(EXP_DOMAINS_MAX == IOMMU_DOMAINS_MAX);
  pt_levels = 4;
  iova_limit_pfn = <u64>1 << (48 - PAGE_SHIFT);
  exposure_init();

  for (let u = 0; u < IOMMU_UNITS_MAX; u++) {
    unchecked((unit_free[u] = 0));
    unchecked((unit_tlbi_done[u] = 0));
    unchecked((unit_busy_ns[u] = 0));
    unchecked((unit_busy_to[u] = 0));
    unchecked((unit_cmds[u] = 0));
    unchecked((unit_syncs[u] = 0));
    unchecked((unit_batch_sum[u] = 0));
    unchecked((tlbi_head[u] = 0));
    unchecked((tlbi_tail[u] = 0));
  }
  // The kind defaults to VT-d until iommu_hw_setup says otherwise.
  hw_kind = IOMMU_KIND_VTD;
  sync_latency_ns = 0;
  cmd_ns = 0;
  range_inval = true;
  max_inval_pages = 1 << 20;
  ats = false;
  atc_inval_ns = 0;
  tlbi_fifo = mem_alloc(<usize>IOMMU_UNITS_MAX * TLBI_FIFO * 8, 8, false);
  domains = 0;
  node_bump = 1;
  node_free = 0;
  node_live = 0;
  prio_state = 0x9e3779b9;
  iotlb_tick = 0;
  pwc_next = 0;
  fault_total = 0;
  charging = true;

  fault_base = mem_alloc(<usize>IOMMU_FAULT_RING * 16);
  memory.fill(fault_base, 0, <usize>IOMMU_FAULT_RING * 16);
  if (mode == IOMMU_PASSTHROUGH) {
    // No translation: no tree, IOTLB or page-walk cache to lay out.
    node_base = 0;
    iotlb_base = 0;
    pwc_base = 0;
    return;
  }
  node_base = mem_alloc(<usize>(IOVA_NODES_MAX + 1) << 5);
  const tlb_bytes = <usize>iotlb_sets * <usize>iotlb_ways * 24;
  iotlb_base = mem_alloc(tlb_bytes);
  memory.fill(iotlb_base, 0, tlb_bytes);
  pwc_base = mem_alloc(<usize>PWC_ENTRIES * 8);
  memory.fill(pwc_base, 0, <usize>PWC_ENTRIES * 8);
}

export function iommu_mode(): i32 {
  return mode;
}

/** Create the domain for device `dev` behind IOMMU unit `unit`; returns the domain id. */
export function iommu_domain_create(dev: i32, unit: i32): i32 {
  if (domains >= IOMMU_DOMAINS_MAX) fail(SIM_ERR_IOVA, <i64>IOMMU_DOMAINS_MAX);
  if (unit < 0 || unit >= IOMMU_UNITS_MAX) fail(SIM_ERR_IOVA, <i64>unit);
  const d = domains++;
  unchecked((dom_dev[d] = dev));
  unchecked((dom_unit[d] = unit));
  unchecked((dom_in_use[d] = 0));
  unchecked((dom_limit_pfn[d] = iova_limit_pfn));
  unchecked((dom_strict[d] = false));
  if (mode == IOMMU_PASSTHROUGH) return d;

  // Page table: the root (level-4) table is a real host page.
  const root = phys_alloc_host();
  if (root == 0) fail(SIM_ERR_PHYS, -1);
  phys_write_u64(root, 0); // give it backing now rather than on the first map
  unchecked((dom_pt_root[d] = root));

  // init_iova_domain: an empty tree holding only the anchor at the very top,
  // so every walk has a node to start from.
  const anchor = node_get();
  n_set_lo(anchor, IOVA_ANCHOR);
  n_set_hi(anchor, IOVA_ANCHOR);
  unchecked((dom_tree_root[d] = 0));
  tree_insert(d, anchor);
  unchecked((dom_anchor[d] = anchor));
  unchecked((dom_cached[d] = anchor));
  unchecked((dom_cached32[d] = anchor));
  unchecked((dom_max32[d] = DMA_32BIT_PFN));
  unchecked((dom_pci32[d] = true));

  // iova_rcache: per order, mags_per_order magazines; CPU c starts with
  // magazines 2c (loaded) and 2c + 1 (prev); the rest form the free pool.
  const mag_bytes = <usize>IOVA_RANGE_CACHE_MAX_SIZE * <usize>mags_per_order * IOVA_MAG_BYTES;
  const mags = mem_alloc(mag_bytes);
  memory.fill(mags, 0, mag_bytes);
  unchecked((dom_mags[d] = mags));
  const rc = mem_alloc(<usize>IOVA_RANGE_CACHE_MAX_SIZE * <usize>rc_words * 4);
  unchecked((dom_rc[d] = rc));
  for (let o: u32 = 0; o < IOVA_RANGE_CACHE_MAX_SIZE; o++) {
    const pool = mags_per_order - 2 * <u32>ncpus;
    store<u32>(rc_word(d, o, RC_FREE_N), pool);
    store<u32>(rc_word(d, o, RC_DEPOT_N), 0);
    for (let i: u32 = 0; i < pool; i++) store<u32>(rc_word(d, o, RC_FREE + i), 2 * <u32>ncpus + i);
    for (let c: u32 = 0; c < <u32>ncpus; c++) {
      store<u32>(rc_word(d, o, rc_cpu(c)), 2 * c);
      store<u32>(rc_word(d, o, rc_cpu(c) + 1), 2 * c + 1);
    }
  }

  if (mode == IOMMU_LAZY) {
    const fq_bytes = <usize>ncpus * <usize>fq_size * FQ_ENTRY;
    const fq = mem_alloc(fq_bytes);
    const fq_n = mem_alloc(<usize>ncpus * 4);
    memory.fill(fq_n, 0, <usize>ncpus * 4);
    unchecked((dom_fq[d] = fq));
    unchecked((dom_fq_n[d] = fq_n));
    unchecked((dom_fq_start[d] = 0));
    unchecked((dom_fq_finish[d] = 0));
    unchecked((dom_fq_timer_on[d] = false));
  }
  return d;
}

// ---------------------------------------------------------------------------
// IOVA tree (iova.c's rbtree of allocated ranges, here a treap).

// @ts-ignore: decorator
@inline function nd(i: u32): usize {
  return node_base + (<usize>i << 5);
}
// @ts-ignore: decorator
@inline function n_lo(i: u32): u64 { return load<u64>(nd(i)); }
// @ts-ignore: decorator
@inline function n_hi(i: u32): u64 { return load<u64>(nd(i), 8); }
// @ts-ignore: decorator
@inline function n_left(i: u32): u32 { return load<u32>(nd(i), 16); }
// @ts-ignore: decorator
@inline function n_right(i: u32): u32 { return load<u32>(nd(i), 20); }
// @ts-ignore: decorator
@inline function n_parent(i: u32): u32 { return load<u32>(nd(i), 24); }
// @ts-ignore: decorator
@inline function n_prio(i: u32): u32 { return load<u32>(nd(i), 28); }
// @ts-ignore: decorator
@inline function n_set_lo(i: u32, v: u64): void { store<u64>(nd(i), v); }
// @ts-ignore: decorator
@inline function n_set_hi(i: u32, v: u64): void { store<u64>(nd(i), v, 8); }
// @ts-ignore: decorator
@inline function n_set_left(i: u32, v: u32): void { store<u32>(nd(i), v, 16); }
// @ts-ignore: decorator
@inline function n_set_right(i: u32, v: u32): void { store<u32>(nd(i), v, 20); }
// @ts-ignore: decorator
@inline function n_set_parent(i: u32, v: u32): void { store<u32>(nd(i), v, 24); }

function node_get(): u32 {
  let i: u32;
  if (node_free != 0) {
    i = node_free;
    node_free = n_left(i);
  } else {
    if (node_bump > IOVA_NODES_MAX) fail(SIM_ERR_IOVA, <i64>IOVA_NODES_MAX);
    i = node_bump++;
  }
  node_live++;
  // Deterministic priorities (xorshift32): the same run builds the same tree.
  let x = prio_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  prio_state = x;
  store<u64>(nd(i), 0);
  store<u64>(nd(i), 0, 8);
  store<u32>(nd(i), 0, 16);
  store<u32>(nd(i), 0, 20);
  store<u32>(nd(i), 0, 24);
  store<u32>(nd(i), x, 28);
  return i;
}

function node_put(i: u32): void {
  assert(node_live > 0);
  node_live--;
  n_set_left(i, node_free);
  node_free = i;
}

/** Replace `old` by `x` in old's parent (or as the root). */
function tree_replace_child(d: i32, p: u32, old: u32, x: u32): void {
  if (p == 0) unchecked((dom_tree_root[d] = x));
  else if (n_left(p) == old) n_set_left(p, x);
  else n_set_right(p, x);
}

/** Rotate `x` above its parent, keeping in-order. */
function rotate_up(d: i32, x: u32): void {
  const p = n_parent(x);
  assert(p != 0);
  const g = n_parent(p);
  if (n_left(p) == x) {
    const b = n_right(x);
    n_set_left(p, b);
    if (b != 0) n_set_parent(b, p);
    n_set_right(x, p);
  } else {
    const b = n_left(x);
    n_set_right(p, b);
    if (b != 0) n_set_parent(b, p);
    n_set_left(x, p);
  }
  n_set_parent(p, x);
  n_set_parent(x, g);
  tree_replace_child(d, g, p, x);
}

function tree_insert(d: i32, x: u32): void {
  const key = n_lo(x);
  let p: u32 = 0;
  let n = unchecked(dom_tree_root[d]);
  let left = false;
  let guard: u32 = 0;
  while (n != 0) {
    guard++;
    assert(guard <= IOVA_NODES_MAX + 1);
    p = n;
    left = key < n_lo(n);
    n = left ? n_left(n) : n_right(n);
  }
  n_set_parent(x, p);
  if (p == 0) unchecked((dom_tree_root[d] = x));
  else if (left) n_set_left(p, x);
  else n_set_right(p, x);
  // Heap order on priorities keeps the expected depth logarithmic.
  guard = 0;
  while (n_parent(x) != 0 && n_prio(x) < n_prio(n_parent(x))) {
    guard++;
    assert(guard <= IOVA_NODES_MAX + 1);
    rotate_up(d, x);
  }
}

function tree_erase(d: i32, x: u32): void {
  let guard: u32 = 0;
  // Rotate x down until it has at most one child, then splice it out.
  while (n_left(x) != 0 && n_right(x) != 0) {
    guard++;
    assert(guard <= IOVA_NODES_MAX + 1);
    const l = n_left(x);
    const r = n_right(x);
    rotate_up(d, n_prio(l) < n_prio(r) ? l : r);
  }
  const c = n_left(x) != 0 ? n_left(x) : n_right(x);
  const p = n_parent(x);
  if (c != 0) n_set_parent(c, p);
  tree_replace_child(d, p, x, c);
}

/** rb_prev: the in-order predecessor, 0 if none. */
function tree_prev(x: u32): u32 {
  let guard: u32 = 0;
  let n = n_left(x);
  if (n != 0) {
    while (n_right(n) != 0) {
      guard++;
      assert(guard <= IOVA_NODES_MAX + 1);
      n = n_right(n);
    }
    return n;
  }
  let p = n_parent(x);
  while (p != 0 && n_left(p) == x) {
    guard++;
    assert(guard <= IOVA_NODES_MAX + 1);
    x = p;
    p = n_parent(p);
  }
  return p;
}

/** rb_next: the in-order successor, 0 if none. */
function tree_next(x: u32): u32 {
  let guard: u32 = 0;
  let n = n_right(x);
  if (n != 0) {
    while (n_left(n) != 0) {
      guard++;
      assert(guard <= IOVA_NODES_MAX + 1);
      n = n_left(n);
    }
    return n;
  }
  let p = n_parent(x);
  while (p != 0 && n_right(p) == x) {
    guard++;
    assert(guard <= IOVA_NODES_MAX + 1);
    x = p;
    p = n_parent(p);
  }
  return p;
}

let tree_visited: u32 = 0; // nodes visited by the last tree operation

/** private_find_iova: the node whose range holds `pfn`, 0 if none. */
function tree_find(d: i32, pfn: u64): u32 {
  let n = unchecked(dom_tree_root[d]);
  let guard: u32 = 0;
  while (n != 0) {
    guard++;
    assert(guard <= IOVA_NODES_MAX + 1);
    if (pfn < n_lo(n)) n = n_left(n);
    else if (pfn > n_hi(n)) n = n_right(n);
    else break;
  }
  tree_visited += guard;
  return n;
}

/** iova_find_limit: the lowest node with pfn_lo >= limit_pfn (the anchor at worst). */
function tree_find_limit(d: i32, limit_pfn: u64): u32 {
  // As in the kernel: above the 32-bit boundary the anchor is as good a
  // starting point as any.
  if (limit_pfn > DMA_32BIT_PFN) return unchecked(dom_anchor[d]);
  let n = unchecked(dom_tree_root[d]);
  let best = unchecked(dom_anchor[d]);
  let guard: u32 = 0;
  while (n != 0) {
    guard++;
    assert(guard <= IOVA_NODES_MAX + 1);
    if (n_lo(n) >= limit_pfn) {
      best = n;
      n = n_left(n);
    } else n = n_right(n);
  }
  tree_visited += guard;
  return best;
}

// @ts-ignore: decorator
@inline function fls64(x: u64): u64 {
  return 64 - clz<u64>(x);
}

/**
 * __alloc_and_insert_iova_range with size_aligned: walk the tree backwards
 * from the cached node looking for the highest size-aligned gap below
 * `limit_pfn` (exclusive). Returns the new range's pfn_lo, 0 on failure.
 */
function tree_alloc(d: i32, size: u64, limit_pfn: u64): u64 {
  const align_mask: u64 = size <= 1 ? u64.MAX_VALUE : u64.MAX_VALUE << fls64(size - 1);
  let high_pfn = limit_pfn;
  let low_pfn = IOVA_START_PFN;
  // Remember that a 32-bit request this large already failed, until a free
  // below 4 GiB (max32_alloc_size): saves pointless walks of a full space.
  if (limit_pfn <= DMA_32BIT_PFN && size >= unchecked(dom_max32[d])) return 0;
  let curr = limit_pfn <= DMA_32BIT_PFN ? unchecked(dom_cached32[d]) : unchecked(dom_cached[d]);
  const retry_pfn = n_hi(curr);
  let prev: u32 = 0;
  let new_pfn: u64 = 0;
  let retried = false;
  while (true) {
    let guard: u32 = 0;
    do {
      guard++;
      assert(guard <= IOVA_NODES_MAX + 1);
      const lo = n_lo(curr);
      if (lo < high_pfn) high_pfn = lo;
      new_pfn = (high_pfn - size) & align_mask;
      prev = curr;
      curr = tree_prev(curr);
    } while (curr != 0 && new_pfn <= n_hi(curr) && new_pfn >= low_pfn);
    tree_visited += guard;
    if (high_pfn < size || new_pfn < low_pfn) {
      // The walk started below the limit (at the cached node): the gap may be
      // above it, between the cached node and the limit. Try once from there.
      if (!retried && low_pfn == IOVA_START_PFN && retry_pfn < limit_pfn) {
        retried = true;
        high_pfn = limit_pfn;
        low_pfn = retry_pfn + 1;
        curr = tree_find_limit(d, limit_pfn);
        continue;
      }
      unchecked((dom_max32[d] = size));
      return 0;
    }
    break;
  }
  assert(new_pfn >= IOVA_START_PFN && new_pfn + size <= limit_pfn);
  const x = node_get();
  n_set_lo(x, new_pfn);
  n_set_hi(x, new_pfn + size - 1);
  tree_insert(d, x);
  // The kernel inserts starting at `prev`, one step; count that one node.
  tree_visited += 1;
  // __cached_rbnode_insert_update
  if (new_pfn + size - 1 < DMA_32BIT_PFN) unchecked((dom_cached32[d] = x));
  else unchecked((dom_cached[d] = x));
  return new_pfn;
}

/** free_iova: give the range starting at `pfn` back to the tree. */
function tree_free(d: i32, pfn: u64): void {
  const x = tree_find(d, pfn);
  if (x == 0 || n_lo(x) != pfn) invariant_fail(INV_FREE_UNALLOCATED, <i64>pfn);
  // __cached_rbnode_delete_update: move the cached nodes up past the hole so
  // the next walk finds it.
  const lo = n_lo(x);
  const hi = n_hi(x);
  const c32 = unchecked(dom_cached32[d]);
  if (x == c32 || (hi < DMA_32BIT_PFN && lo >= n_lo(c32))) unchecked((dom_cached32[d] = tree_next(x)));
  if (lo < DMA_32BIT_PFN) unchecked((dom_max32[d] = DMA_32BIT_PFN));
  const c = unchecked(dom_cached[d]);
  if (lo >= n_lo(c)) unchecked((dom_cached[d] = tree_next(x)));
  tree_erase(d, x);
  node_put(x);
}

// ---------------------------------------------------------------------------
// iova_rcache: per-CPU magazines (loaded + prev) and a depot, per order.

const RC_FREE_N: u32 = 0; // free magazines in the pool
const RC_DEPOT_N: u32 = 1; // full magazines in the depot
const RC_FREE: u32 = 2; // pool stack [mags_per_order]
// @ts-ignore: decorator
@inline function rc_depot(): u32 { return RC_FREE + mags_per_order; }
// @ts-ignore: decorator
@inline function rc_cpu(c: u32): u32 { return RC_FREE + mags_per_order + IOVA_DEPOT_MAGS + 2 * c; }
// @ts-ignore: decorator
@inline function rc_word(d: i32, order: u32, w: u32): usize {
  return unchecked(dom_rc[d]) + ((<usize>order * <usize>rc_words + <usize>w) << 2);
}
// @ts-ignore: decorator
@inline function mag_ptr(d: i32, order: u32, m: u32): usize {
  return unchecked(dom_mags[d]) + (<usize>order * <usize>mags_per_order + <usize>m) * IOVA_MAG_BYTES;
}
// @ts-ignore: decorator
@inline function mag_n(mag: usize): u32 { return load<u32>(mag); }

// @ts-ignore: decorator
@inline function order_base_2(n: u64): u32 {
  return n <= 1 ? 0 : <u32>fls64(n - 1);
}

/** iova_magazine_pop: the newest pfn whose range ends below limit_pfn (inclusive), 0 if none. */
function mag_pop(mag: usize, limit_pfn: u64): u64 {
  const n = mag_n(mag);
  if (n == 0) return 0;
  let i = n - 1;
  while (load<u64>(mag + 8 + (<usize>i << 3)) > limit_pfn) {
    if (i == 0) return 0;
    i--;
  }
  const pfn = load<u64>(mag + 8 + (<usize>i << 3));
  store<u64>(mag + 8 + (<usize>i << 3), load<u64>(mag + 8 + (<usize>(n - 1) << 3)));
  store<u32>(mag, n - 1);
  return pfn;
}

/** __iova_rcache_get; limit_pfn exclusive. Returns 0 on a miss. */
function rcache_get(d: i32, core: i32, size: u64, limit_pfn: u64): u64 {
  const order = order_base_2(size);
  if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return 0;
  const wl = rc_word(d, order, rc_cpu(<u32>core));
  const wp = wl + 4;
  let loaded = load<u32>(wl);
  if (mag_n(mag_ptr(d, order, loaded)) == 0) {
    const prev = load<u32>(wp);
    if (mag_n(mag_ptr(d, order, prev)) != 0) {
      store<u32>(wl, prev);
      store<u32>(wp, loaded);
      loaded = prev;
    } else {
      const dn = load<u32>(rc_word(d, order, RC_DEPOT_N));
      if (dn == 0) return 0;
      // iova_magazine_free(loaded); loaded = iova_depot_pop()
      const fn = load<u32>(rc_word(d, order, RC_FREE_N));
      store<u32>(rc_word(d, order, RC_FREE + fn), loaded);
      store<u32>(rc_word(d, order, RC_FREE_N), fn + 1);
      loaded = load<u32>(rc_word(d, order, rc_depot() + dn - 1));
      store<u32>(rc_word(d, order, RC_DEPOT_N), dn - 1);
      store<u32>(wl, loaded);
    }
  }
  return mag_pop(mag_ptr(d, order, loaded), limit_pfn - size);
}

/** Free every pfn of a magazine to the tree (iova_magazine_free_pfns). */
function mag_free_pfns(d: i32, core: i32, mag: usize): void {
  const n = mag_n(mag);
  for (let i: u32 = 0; i < n; i++) {
    tree_free(d, load<u64>(mag + 8 + (<usize>i << 3)));
    chg(core, COST_IOVA_FREE_TREE);
  }
  store<u32>(mag, 0);
}

/** __iova_rcache_insert; false when the size is not cached. */
function rcache_insert(d: i32, core: i32, pfn: u64, size: u64): bool {
  const order = order_base_2(size);
  if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return false;
  const wl = rc_word(d, order, rc_cpu(<u32>core));
  const wp = wl + 4;
  let loaded = load<u32>(wl);
  if (mag_n(mag_ptr(d, order, loaded)) == IOVA_MAG_SIZE) {
    const prev = load<u32>(wp);
    if (mag_n(mag_ptr(d, order, prev)) < IOVA_MAG_SIZE) {
      store<u32>(wl, prev);
      store<u32>(wp, loaded);
      loaded = prev;
    } else {
      const dn = load<u32>(rc_word(d, order, RC_DEPOT_N));
      if (dn < IOVA_DEPOT_MAGS) {
        // The full magazine goes to the depot; a fresh one is loaded.
        store<u32>(rc_word(d, order, rc_depot() + dn), loaded);
        store<u32>(rc_word(d, order, RC_DEPOT_N), dn + 1);
        const fn = load<u32>(rc_word(d, order, RC_FREE_N));
        assert(fn > 0);
        loaded = load<u32>(rc_word(d, order, RC_FREE + fn - 1));
        store<u32>(rc_word(d, order, RC_FREE_N), fn - 1);
        store<u32>(wl, loaded);
        assert(mag_n(mag_ptr(d, order, loaded)) == 0);
      } else {
        // Depot full: the loaded magazine's IOVAs go back to the tree.
        mag_free_pfns(d, core, mag_ptr(d, order, loaded));
      }
    }
  }
  const mag = mag_ptr(d, order, loaded);
  const n = mag_n(mag);
  assert(n < IOVA_MAG_SIZE);
  store<u64>(mag + 8 + (<usize>n << 3), pfn);
  store<u32>(mag, n + 1);
  return true;
}

/** free_cpu_cached_iovas + free_global_cached_iovas: empty every cache into the tree. */
function rcache_flush_all(d: i32, core: i32): void {
  for (let o: u32 = 0; o < IOVA_RANGE_CACHE_MAX_SIZE; o++) {
    for (let c: u32 = 0; c < <u32>ncpus; c++) {
      mag_free_pfns(d, core, mag_ptr(d, o, load<u32>(rc_word(d, o, rc_cpu(c)))));
      mag_free_pfns(d, core, mag_ptr(d, o, load<u32>(rc_word(d, o, rc_cpu(c) + 1))));
    }
    const dn = load<u32>(rc_word(d, o, RC_DEPOT_N));
    for (let i: u32 = 0; i < dn; i++) {
      const m = load<u32>(rc_word(d, o, rc_depot() + i));
      mag_free_pfns(d, core, mag_ptr(d, o, m));
      const fn = load<u32>(rc_word(d, o, RC_FREE_N));
      store<u32>(rc_word(d, o, RC_FREE + fn), m);
      store<u32>(rc_word(d, o, RC_FREE_N), fn + 1);
    }
    store<u32>(rc_word(d, o, RC_DEPOT_N), 0);
  }
}

/**
 * alloc_iova_fast: `size` pages below `limit_pfn` (exclusive), from the
 * calling CPU's magazine when possible, else the tree. Returns pfn or 0.
 */
function alloc_iova_fast(d: i32, core: i32, size: u64, limit_pfn: u64, flush_rcache: bool): u64 {
  // Round cacheable sizes up to a power of two, so that a freed range always
  // fits whoever takes it from the magazine of its order.
  if (size <= (<u64>1 << (IOVA_RANGE_CACHE_MAX_SIZE - 1))) size = <u64>1 << order_base_2(size);
  let pfn = rcache_get(d, core, size, limit_pfn);
  if (pfn != 0) {
    chg(core, COST_IOVA_ALLOC_CACHE);
    iommu_iova_cache_hits++;
    unchecked((dom_in_use[d] += size));
    return pfn;
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    tree_visited = 0;
    pfn = tree_alloc(d, size, limit_pfn);
    chg(core, COST_IOVA_ALLOC_TREE);
    if (charging) charge(core, LAYER_DMA, cost(COST_IOVA_TREE_NODE) * <u64>tree_visited);
    if (pfn != 0) {
      iommu_iova_tree_allocs++;
      unchecked((dom_in_use[d] += size));
      return pfn;
    }
    // Out of space: the magazines may hoard what is needed. Empty them all
    // into the tree and try once more.
    if (!flush_rcache) break;
    rcache_flush_all(d, core);
  }
  return 0;
}

/** free_iova_fast: back to the CPU's magazine, or the tree when not cacheable. */
function free_iova_fast(d: i32, core: i32, pfn: u64, size: u64): void {
  const order = order_base_2(size);
  const held: u64 = order < IOVA_RANGE_CACHE_MAX_SIZE ? <u64>1 << order : size;
  assert(unchecked(dom_in_use[d]) >= held);
  unchecked((dom_in_use[d] -= held));
  // A request blk-mq holds for want of IOVA (BLK_STS_RESOURCE) may map now.
  res_freed();
  if (rcache_insert(d, core, pfn, size)) {
    chg(core, COST_IOVA_FREE_CACHE);
    return;
  }
  tree_free(d, pfn);
  chg(core, COST_IOVA_FREE_TREE);
}

/**
 * iommu_dma_alloc_iova: the limit is the device's DMA mask clamped to the
 * domain's aperture. A PCI device whose mask reaches past 4 GiB tries below
 * 4 GiB first (a SAC address is cheaper on the bus); once that fails it
 * stops trying (pci_32bit_workaround) and takes from the whole space
 * (alloc_iova_fast with flush_rcache: the CPU caches are emptied into the
 * tree and the walk retried before giving up). A device limited to 32 bits
 * gets that one try, with the flush.
 */
function dma_alloc_iova(d: i32, core: i32, pages: u64): u64 {
  const limit = unchecked(dom_limit_pfn[d]);
  if (limit > DMA_32BIT_PFN && unchecked(dom_pci32[d])) {
    const pfn = alloc_iova_fast(d, core, pages, DMA_32BIT_PFN, false);
    if (pfn != 0) return pfn;
    unchecked((dom_pci32[d] = false));
  }
  return alloc_iova_fast(d, core, pages, limit, true);
}

/**
 * The IOMMU's address width: 39, 48 or 57 bits (3, 4 or 5 page-table
 * levels). Set before any domain is created.
 */
export function iommu_set_aperture(bits: u32): void {
  assert(domains == 0);
  assert(bits == 39 || bits == 48 || bits == 57);
  pt_levels = (bits - PAGE_SHIFT) / <u32>PT_INDEX_BITS;
  iova_limit_pfn = <u64>1 << <u64>(bits - PAGE_SHIFT);
}

/**
 * Domain `dom` invalidates synchronously on every unmap even in lazy mode:
 * iommu_get_def_domain_type gives an untrusted PCI device IOMMU_DOMAIN_DMA,
 * never the flush-queue type. Not for passthrough machines.
 */
export function iommu_domain_set_strict(dom: i32): void {
  assert(dom >= 0 && dom < domains);
  assert(mode != IOMMU_PASSTHROUGH);
  unchecked((dom_strict[dom] = true));
}

/**
 * dma_set_mask for domain `dom`'s device: its IOVAs stay below 2^bits
 * (32..64), clamped to the aperture (iommu_dma_alloc_iova's dma_limit).
 */
export function iommu_domain_set_dma_mask(dom: i32, bits: u32): void {
  assert(dom >= 0 && dom < domains);
  assert(bits >= 32 && bits <= 64);
  const want: u64 = bits - PAGE_SHIFT >= 52 ? u64.MAX_VALUE : <u64>1 << <u64>(bits - PAGE_SHIFT);
  unchecked((dom_limit_pfn[dom] = want < iova_limit_pfn ? want : iova_limit_pfn));
}

// ---------------------------------------------------------------------------
// Page table (VT-d second level): 4 levels × 512 entries in simulated memory.

/**
 * Physical address of the leaf PTE for `pfn`. With `alloc`, missing tables
 * are allocated (charged on `core` when charging); otherwise returns 0 when
 * a level is absent.
 */
function pt_leaf(d: i32, core: i32, pfn: u64, alloc: bool): u64 {
  let table = unchecked(dom_pt_root[d]);
  for (let level: u32 = pt_levels - 1; level >= 1; level--) {
    const idx = (pfn >> (PT_INDEX_BITS * <u64>level)) & PT_INDEX_MASK;
    const ea = table + (idx << 3);
    const e = phys_read_u64(ea);
    if ((e & PTE_PERM_MASK) == 0) {
      if (!alloc) return 0;
      const page = phys_alloc_host();
      if (page == 0) fail(SIM_ERR_PHYS, -1);
      // A freshly handed-out host page reads as zeros (phys_free drops backing).
      phys_write_u64(ea, page | PTE_READ | PTE_WRITE); // non-leaf entries allow both
      chg(core, COST_PT_PAGE_ALLOC);
      table = page;
    } else table = e & PTE_ADDR_MASK;
  }
  return table + ((pfn & PT_INDEX_MASK) << 3);
}

// @ts-ignore: decorator
@inline function dir_perms(dir: i32): u64 {
  // dma_info_to_prot: TO_DEVICE → the device only reads; FROM_DEVICE → only writes.
  if (dir == DMA_TO_DEVICE) return PTE_READ;
  if (dir == DMA_FROM_DEVICE) return PTE_WRITE;
  return PTE_READ | PTE_WRITE;
}

function pte_set(d: i32, core: i32, pfn: u64, pa: u64, perms: u64): void {
  const ea = pt_leaf(d, core, pfn, true);
  assert((phys_read_u64(ea) & PTE_PERM_MASK) == 0); // never map over a live PTE
  phys_write_u64(ea, (pa & PTE_ADDR_MASK) | perms);
  chg(core, COST_PTE_WRITE);
  iommu_pte_writes++;
}

// ---------------------------------------------------------------------------
// IOTLB and page-walk cache.

// @ts-ignore: decorator
@inline function tlb_key(d: i32, pfn: u64): u64 {
  return (<u64>(d + 1) << 48) | pfn;
}

// @ts-ignore: decorator
@inline function tlb_set_base(d: i32, pfn: u64): usize {
  // Consecutive pages of one domain land in consecutive sets (low pfn bits
  // index the set, as in hardware); domains are offset from each other.
  const set = <u32>((pfn + <u64>d * 0x9e3779b1) % <u64>iotlb_sets);
  return iotlb_base + <usize>set * <usize>iotlb_ways * 24;
}

/** The IOTLB entry for (d, pfn), 0 if absent. */
function tlb_find(d: i32, pfn: u64): usize {
  const key = tlb_key(d, pfn);
  const base = tlb_set_base(d, pfn);
  for (let w: u32 = 0; w < iotlb_ways; w++) {
    const e = base + <usize>w * 24;
    if (load<u64>(e) == key) return e;
  }
  return 0;
}

function tlb_insert(d: i32, pfn: u64, val: u64): void {
  const base = tlb_set_base(d, pfn);
  let victim = base;
  let oldest = u64.MAX_VALUE;
  for (let w: u32 = 0; w < iotlb_ways; w++) {
    const e = base + <usize>w * 24;
    if (load<u64>(e) == 0) {
      victim = e;
      break;
    }
    const stamp = load<u64>(e, 16);
    if (stamp < oldest) {
      oldest = stamp;
      victim = e;
    }
  }
  store<u64>(victim, tlb_key(d, pfn));
  store<u64>(victim, val, 8);
  store<u64>(victim, ++iotlb_tick, 16);
}

/** Drop every IOTLB entry of domain `d` (domain-selective invalidation). */
function tlb_drop_domain(d: i32): void {
  const n = iotlb_sets * iotlb_ways;
  const tag = <u64>(d + 1);
  for (let i: u32 = 0; i < n; i++) {
    const e = iotlb_base + <usize>i * 24;
    if (load<u64>(e) >> 48 == tag) store<u64>(e, 0);
  }
  // DSI also invalidates the paging-structure caches of the domain.
  for (let i: u32 = 0; i < PWC_ENTRIES; i++) {
    const e = pwc_base + (<usize>i << 3);
    if (load<u64>(e) >> 48 == tag) store<u64>(e, 0);
  }
}

/** Drop the IOTLB entries of [pfn, pfn + n) (page-selective invalidation). */
function tlb_drop_range(d: i32, pfn: u64, n: u64): void {
  const total = <u64>iotlb_sets * <u64>iotlb_ways;
  if (n > total) {
    // Cheaper to scan the whole IOTLB than to probe each page's set.
    const tag = <u64>(d + 1);
    for (let i: u32 = 0; i < <u32>total; i++) {
      const e = iotlb_base + <usize>i * 24;
      const k = load<u64>(e);
      if (k >> 48 == tag) {
        const p = k & ((<u64>1 << 48) - 1);
        if (p >= pfn && p < pfn + n) store<u64>(e, 0);
      }
    }
  } else {
    for (let i: u64 = 0; i < n; i++) {
      const e = tlb_find(d, pfn + i);
      if (e != 0) store<u64>(e, 0);
    }
  }
  // Page-table pages are never freed here, so the PSI carries the
  // invalidation hint and the page-walk cache stays valid.
}

/** Page-walk cache lookup/fill for the leaf table covering `pfn`: true on a hit. */
function pwc_lookup(d: i32, pfn: u64): bool {
  const key = (<u64>(d + 1) << 48) | (pfn >> PT_INDEX_BITS);
  for (let i: u32 = 0; i < PWC_ENTRIES; i++) {
    if (load<u64>(pwc_base + (<usize>i << 3)) == key) return true;
  }
  store<u64>(pwc_base + (<usize>pwc_next << 3), key);
  pwc_next = (pwc_next + 1) % PWC_ENTRIES;
  return false;
}

// ---------------------------------------------------------------------------
// Invalidation queue (one per unit, shared by all cores).

/**
 * A synchronous IOTLB invalidation of [pfn, pfn + pages) in domain `d` (or of
 * the whole domain) from `core`: the driver queues the invalidation
 * command(s) and a wait/sync command, then the CPU spins until the sync
 * completes. The unit's queue is shared by every core and reached in global
 * time order (callers yield first, engine must_yield), so it serves requests
 * first come, first served. How the hardware works through the queue is the
 * IOMMU kind's (see iommu_hw_setup). Returns whether the invalidation was
 * domain-wide.
 */
function inval_sync(d: i32, core: i32, pages: u64, domain_wide: bool): bool {
  charge(core, LAYER_DMA, cost(COST_INV_SUBMIT));
  const unit = unchecked(dom_unit[d]);
  const t = unchecked(core_time[core]);
  // Commands: one per naturally aligned range (VT-d PSI with an address mask,
  // AMD-Vi INVALIDATE_IOMMU_PAGES with S=1, SMMUv3 with range invalidation),
  // one per 4 KiB page for SMMUv3 without it; past the kind's limit the driver
  // invalidates the whole domain with one command.
  let dsi = domain_wide;
  let ninv: u64 = 1;
  if (!dsi) {
    if (pages > <u64>max_inval_pages) dsi = true;
    else if (hw_kind == IOMMU_KIND_SMMUV3 && !range_inval) ninv = pages;
  }
  const natc: u64 = ats ? 1 : 0;
  let start: u64;
  let done: u64;
  if (hw_kind != IOMMU_KIND_SMMUV3) {
    // VT-d, AMD-Vi: descriptors processed one after another in queue order;
    // the wait descriptor / COMPLETION_WAIT completes when everything before
    // it has, and the next submitter's descriptors come after it.
    start = t > unchecked(unit_free[unit]) ? t : unchecked(unit_free[unit]);
    done = start + ninv * inval_latency_ns + natc * atc_inval_ns + sync_latency_ns;
    unchecked((unit_free[unit] = done));
    unchecked((unit_batch_sum[unit] += ninv + natc));
  } else {
    // SMMUv3: the queue's consumer takes one command per cmd_ns; a TLBI's work
    // overlaps the next commands; a CMD_SYNC completes once every command
    // before it has — other CPUs' TLBIs included (one sync covers a batch).
    let c = t > unchecked(unit_free[unit]) ? t : unchecked(unit_free[unit]);
    start = c;
    for (let i: u64 = 0; i < ninv + natc; i++) {
      c += cmd_ns;
      const tdone = c + (i < ninv ? inval_latency_ns : atc_inval_ns);
      if (tdone > unchecked(unit_tlbi_done[unit])) unchecked((unit_tlbi_done[unit] = tdone));
      tlbi_fifo_push(unit, tdone);
    }
    c += cmd_ns; // the CMD_SYNC itself
    unchecked((unit_free[unit] = c));
    unchecked((unit_batch_sum[unit] += tlbi_outstanding(unit, c)));
    const after = unchecked(unit_tlbi_done[unit]) > c ? unchecked(unit_tlbi_done[unit]) : c;
    done = after + sync_latency_ns;
  }
  // Busy time: the union of the intervals during which the unit has work.
  const from = start > unchecked(unit_busy_to[unit]) ? start : unchecked(unit_busy_to[unit]);
  if (done > from) unchecked((unit_busy_ns[unit] += done - from));
  if (done > unchecked(unit_busy_to[unit])) unchecked((unit_busy_to[unit] = done));
  unchecked((unit_cmds[unit] += ninv + natc + 1));
  unchecked((unit_syncs[unit] += 1));
  if (tracing) {
    trace_rec(TR_INVAL, start, done - start, unit, core);
    trace_rec(TR_CPU_INVWAIT, t, done - t, core, 0);
  }
  advance_to(core, done, true, LAYER_IOMMU_WAIT);
  iommu_invalidations++;
  return dsi;
}

// SMMUv3: completion times of the TLBIs consumed, oldest first (they are
// non-decreasing: consumed in order, a fixed latency each), to count how many
// a CMD_SYNC waits for.
const TLBI_FIFO: u32 = 4096;
let tlbi_fifo: usize = 0; // u64[IOMMU_UNITS_MAX * TLBI_FIFO]
const tlbi_head = new StaticArray<u32>(IOMMU_UNITS_MAX);
const tlbi_tail = new StaticArray<u32>(IOMMU_UNITS_MAX);

function tlbi_fifo_push(unit: i32, tdone: u64): void {
  const tail = unchecked(tlbi_tail[unit]);
  if (tail - unchecked(tlbi_head[unit]) >= TLBI_FIFO) unchecked((tlbi_head[unit] += 1)); // keep the newest
  store<u64>(tlbi_fifo + ((<usize>unit * TLBI_FIFO + <usize>(tail & (TLBI_FIFO - 1))) << 3), tdone);
  unchecked((tlbi_tail[unit] = tail + 1));
}

/** TLBIs of `unit` not yet complete at `c` (the ones a CMD_SYNC consumed at `c` waits for). */
function tlbi_outstanding(unit: i32, c: u64): u64 {
  let head = unchecked(tlbi_head[unit]);
  const tail = unchecked(tlbi_tail[unit]);
  while (head != tail && load<u64>(tlbi_fifo + ((<usize>unit * TLBI_FIFO + <usize>(head & (TLBI_FIFO - 1))) << 3)) <= c) {
    head++;
  }
  unchecked((tlbi_head[unit] = head));
  return <u64>(tail - head);
}

// ---------------------------------------------------------------------------
// IOMMU hardware kinds (profile iommu.kind) and the invalidation queue's figures.

/** Intel VT-d: queued invalidation, descriptors processed in order (drivers/iommu/intel/dmar.c qi_submit_sync). */
export const IOMMU_KIND_VTD: i32 = abi.IOMMU_KIND_VTD;
/** Arm SMMUv3: command queue with CMD_SYNC (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c). */
export const IOMMU_KIND_SMMUV3: i32 = abi.IOMMU_KIND_SMMUV3;
/** AMD-Vi: command buffer with COMPLETION_WAIT (drivers/iommu/amd/iommu.c). */
export const IOMMU_KIND_AMD_VI: i32 = abi.IOMMU_KIND_AMD_VI;

let hw_kind: i32 = IOMMU_KIND_VTD;
let sync_latency_ns: u64 = 0;
let cmd_ns: u64 = 0;
let range_inval: bool = true;
let max_inval_pages: u32 = 1 << 20;
let ats: bool = false;
let atc_inval_ns: u64 = 0;

/**
 * Describe the IOMMU hardware (after iommu_init): its kind; the wait / sync
 * command's time; the SMMUv3 queue's time to consume one command; whether
 * SMMUv3 invalidates ranges with one command (FEAT_RANGE_INV); the largest
 * range invalidated page-selectively (VT-d's address-mask limit, SMMUv3's
 * per-page TLBI limit) before the driver flushes the whole domain; whether the
 * device's ATC must be invalidated too (ATS), and how long that takes.
 */
export function iommu_hw_setup(
  kind: i32, sync_ns_: u32, cmd_ns_: u32, range_inval_: bool, max_inval_pages_: u32, ats_: bool, atc_ns_: u32,
): void {
  assert(kind >= IOMMU_KIND_VTD && kind <= IOMMU_KIND_AMD_VI);
  hw_kind = kind;
  sync_latency_ns = sync_ns_;
  cmd_ns = cmd_ns_;
  range_inval = range_inval_;
  max_inval_pages = max_inval_pages_ == 0 ? 1 : max_inval_pages_;
  ats = ats_;
  atc_inval_ns = atc_ns_;
}

import { IOMMU_UNIT_STAT_BUSY_NS, IOMMU_UNIT_STAT_COMMANDS, IOMMU_UNIT_STAT_SYNCS } from "../sim/abi";

/** Invalidation-queue figures of `unit` (IOMMU_UNIT_STAT_*): busy ns, commands, syncs, invalidations outstanding at syncs (sum). */
export function iommu_unit_stat(unit: i32, which: i32): f64 {
  if (unit < 0 || unit >= IOMMU_UNITS_MAX) return 0;
  if (which == IOMMU_UNIT_STAT_BUSY_NS) return <f64>unchecked(unit_busy_ns[unit]);
  if (which == IOMMU_UNIT_STAT_COMMANDS) return <f64>unchecked(unit_cmds[unit]);
  if (which == IOMMU_UNIT_STAT_SYNCS) return <f64>unchecked(unit_syncs[unit]);
  return <f64>unchecked(unit_batch_sum[unit]); // IOMMU_UNIT_STAT_BATCHED
}

// ---------------------------------------------------------------------------
// Flush queue (lazy mode).

// @ts-ignore: decorator
@inline function fq_n_ptr(d: i32, core: i32): usize {
  return unchecked(dom_fq_n[d]) + (<usize>core << 2);
}
// @ts-ignore: decorator
@inline function fq_entry(d: i32, core: i32, i: u32): usize {
  return unchecked(dom_fq[d]) + (<usize>core * <usize>fq_size + <usize>i) * FQ_ENTRY;
}

/**
 * fq_flush_iotlb: one domain-wide invalidation, bracketed by the domain's
 * start and finish counters.
 */
function fq_flush_iotlb(d: i32, core: i32): void {
  unchecked((dom_fq_start[d] += 1));
  inval_sync(d, core, 0, true);
  tlb_drop_domain(d);
  // Every range queued so far is covered: its stale translations are gone.
  exp_flush(d, unchecked(core_time[core]));
  unchecked((dom_fq_finish[d] += 1));
  iommu_fq_flushes++;
}

/**
 * fq_ring_free: really free this CPU's entries that a flush has covered
 * (stamped before the finish counter); until then the device could still
 * reach their pages through stale IOTLB entries. Entries are in stamp order,
 * so the freeable ones are a prefix.
 */
function fq_ring_free(d: i32, core: i32, charge_core: i32): void {
  const p = fq_n_ptr(d, core);
  const n = load<u32>(p);
  const finish = unchecked(dom_fq_finish[d]);
  let k: u32 = 0;
  while (k < n && load<u64>(fq_entry(d, core, k), 16) < finish) {
    const e = fq_entry(d, core, k);
    chg(charge_core, COST_FQ_FREE_ENTRY);
    free_iova_fast(d, charge_core, load<u64>(e), load<u64>(e, 8));
    k++;
  }
  if (k == 0) return;
  if (k < n) memory.copy(fq_entry(d, core, 0), fq_entry(d, core, k), <usize>(n - k) * FQ_ENTRY);
  store<u32>(p, n - k);
}

/** Entries a CPU's queue holds: the kernel's ring keeps one slot empty (fq_full). */
// @ts-ignore: decorator
@inline function fq_capacity(): u32 {
  return fq_size > 1 ? fq_size - 1 : 1;
}

/** queue_iova: defer the free of [pfn, pfn + pages) until a flush covers it. */
function fq_queue(d: i32, core: i32, pfn: u64, pages: u64): void {
  const p = fq_n_ptr(d, core);
  // First free what other CPUs' flushes already covered.
  fq_ring_free(d, core, core);
  if (load<u32>(p) >= fq_capacity()) {
    fq_flush_iotlb(d, core);
    fq_ring_free(d, core, core);
  }
  const n = load<u32>(p);
  assert(n < fq_size);
  const e = fq_entry(d, core, n);
  store<u64>(e, pfn);
  store<u64>(e, pages, 8);
  store<u64>(e, unchecked(dom_fq_start[d]), 16);
  store<u32>(p, n + 1);
  chg(core, COST_FQ_ADD);
  // One timer per domain (fq_timer), armed by whichever CPU queues first.
  if (!unchecked(dom_fq_timer_on[d])) {
    unchecked((dom_fq_timer_on[d] = true));
    ev_push(unchecked(core_time[core]) + fq_timeout_ns, EV_FQ_TIMER, <u32>core);
  }
}

/**
 * Lazy mode: a flush-queue timer fired on `core` (EV_FQ_TIMER,
 * fq_flush_timeout): each domain whose timer is armed gets one invalidation,
 * then every CPU's queue is freed.
 */
export function iommu_fq_timer(core: i32): void {
  assert(core >= 0 && core < ncpus);
  if (mode != IOMMU_LAZY) return;
  // The timer runs at its expiry on this CPU; an idle core is woken then.
  advance_to(core, now, false, LAYER_DMA);
  for (let d = 0; d < domains; d++) {
    if (!unchecked(dom_fq_timer_on[d])) continue;
    unchecked((dom_fq_timer_on[d] = false));
    fq_flush_iotlb(d, core);
    for (let c = 0; c < ncpus; c++) fq_ring_free(d, c, core);
  }
}

// ---------------------------------------------------------------------------
// Map / unmap (dma-iommu.c).

/**
 * dma_map_sg for a segment list at `segs` (nsegs entries of 16 bytes: u64 pa,
 * u32 len, u32 pad) whose inner boundaries are page aligned. Charges its CPU
 * cost on `core`. Returns the DMA address of the first byte, the whole list
 * being contiguous in IOVA space; DMA_MAPPING_ERROR when out of IOVA space.
 * In passthrough the DMA address is the physical address and only one segment
 * may be passed.
 */
export function iommu_map_sg(dom: i32, core: i32, segs: usize, nsegs: u32, dir: i32): u64 {
  return iommu_map_sg_kind(dom, core, segs, nsegs, dir, EXP_STREAMING);
}

/**
 * iommu_map_sg for a mapping of exposure kind `kind` (exposure.ts: a per-I/O
 * mapping or a dma-buf map); the kind only sorts the exposure accounting.
 */
export function iommu_map_sg_kind(dom: i32, core: i32, segs: usize, nsegs: u32, dir: i32, kind: i32): u64 {
  assert(dom >= 0 && dom < domains);
  assert(core >= 0 && core < ncpus);
  if (nsegs == 0) return DMA_MAPPING_ERROR;
  if (mode == IOMMU_PASSTHROUGH) {
    if (nsegs != 1) return DMA_MAPPING_ERROR;
    charge(core, LAYER_DMA, cost(COST_DMA_MAP_DIRECT));
    iommu_maps++;
    return load<u64>(segs);
  }
  charge(core, LAYER_DMA, cost(COST_IOMMU_MAP));
  // iova_len: the sum of the page-rounded spans of the segments.
  let pages: u64 = 0;
  let bytes: u64 = 0;
  for (let i: u32 = 0; i < nsegs; i++) {
    const s = segs + (<usize>i << 4);
    const pa = load<u64>(s);
    const len = <u64>load<u32>(s, 8);
    const off = pa & <u64>(PAGE_SIZE - 1);
    bytes += len;
    assert(len > 0);
    assert(i == 0 || off == 0); // only the first segment may start mid-page
    assert(i == nsegs - 1 || ((pa + len) & <u64>(PAGE_SIZE - 1)) == 0);
    pages += (off + len + <u64>(PAGE_SIZE - 1)) >> PAGE_SHIFT;
  }
  const iova_pfn = dma_alloc_iova(dom, core, pages);
  if (iova_pfn == 0) return DMA_MAPPING_ERROR;
  const perms = dir_perms(dir);
  let cursor = iova_pfn;
  for (let i: u32 = 0; i < nsegs; i++) {
    const s = segs + (<usize>i << 4);
    const pa = load<u64>(s);
    const len = <u64>load<u32>(s, 8);
    const off = pa & <u64>(PAGE_SIZE - 1);
    const n = (off + len + <u64>(PAGE_SIZE - 1)) >> PAGE_SHIFT;
    const first = pa & ~<u64>(PAGE_SIZE - 1);
    for (let k: u64 = 0; k < n; k++) pte_set(dom, core, cursor + k, first + (k << PAGE_SHIFT), perms);
    cursor += n;
  }
  exp_map(kind, pages, bytes, unchecked(core_time[core]));
  iommu_maps++;
  return (iova_pfn << PAGE_SHIFT) | (load<u64>(segs) & <u64>(PAGE_SIZE - 1));
}

/**
 * Whether an unmap on `core` now would queue an IOTLB invalidation on the
 * unit every core shares: always in strict mode, in lazy mode when the CPU's
 * flush queue is full (the flush goes to the unit). Callers on a core whose
 * clock ran ahead yield first (engine must_yield), so the unit is reached in
 * global time order.
 */
export function iommu_unmap_queues(dom: i32, core: i32): bool {
  if (mode == IOMMU_STRICT || (mode == IOMMU_LAZY && unchecked(dom_strict[dom]))) return true;
  if (mode != IOMMU_LAZY) return false;
  return load<u32>(fq_n_ptr(dom, core)) >= fq_capacity();
}

/** dma_unmap_sg of what iommu_map_sg returned, with the mode's invalidation policy. */
export function iommu_unmap(dom: i32, core: i32, dma: u64, len: u64, dir: i32): void {
  iommu_unmap_kind(dom, core, dma, len, dir, EXP_STREAMING);
}

/** iommu_unmap of a mapping made by iommu_map_sg_kind with the same `kind`. */
export function iommu_unmap_kind(dom: i32, core: i32, dma: u64, len: u64, dir: i32, kind: i32): void {
  assert(dom >= 0 && dom < domains);
  assert(core >= 0 && core < ncpus);
  iommu_unmaps++;
  if (mode == IOMMU_PASSTHROUGH) {
    charge(core, LAYER_DMA, cost(COST_DMA_UNMAP_DIRECT));
    return;
  }
  charge(core, LAYER_DMA, cost(COST_IOMMU_UNMAP));
  const off = dma & <u64>(PAGE_SIZE - 1);
  const pfn = dma >> PAGE_SHIFT;
  const pages = (off + len + <u64>(PAGE_SIZE - 1)) >> PAGE_SHIFT;
  // iommu_unmap_fast: clear the leaf PTEs.
  const lazy = mode == IOMMU_LAZY && !unchecked(dom_strict[dom]);
  let cached: u64 = 0;
  for (let i: u64 = 0; i < pages; i++) {
    const ea = pt_leaf(dom, core, pfn + i, false);
    if (ea == 0 || (phys_read_u64(ea) & PTE_PERM_MASK) == 0) invariant_fail(INV_UNMAP_UNMAPPED, <i64>(pfn + i));
    phys_write_u64(ea, 0);
    charge(core, LAYER_DMA, cost(COST_PTE_CLEAR));
    if (lazy) {
      // No invalidation yet: the IOTLB keeps the translation. Mark it so a
      // later use by the device is counted as an exposure.
      const e = tlb_find(dom, pfn + i);
      if (e != 0) {
        store<u64>(e, load<u64>(e, 8) | IOTLB_STALE, 8);
        cached++;
      }
    }
  }
  exp_unmap(dom, kind, pages, len, cached, unchecked(core_time[core]), lazy);
  if (!lazy) {
    if (inval_sync(dom, core, pages, false)) tlb_drop_domain(dom);
    else tlb_drop_range(dom, pfn, pages);
    free_iova_fast(dom, core, pfn, pages);
  } else {
    fq_queue(dom, core, pfn, pages);
  }
}

/** dma_alloc_coherent-style long-lived mapping of one page (PRP pools, queues). */
export function iommu_map_coherent(dom: i32, pa: u64): u64 {
  assert(dom >= 0 && dom < domains);
  if (mode == IOMMU_PASSTHROUGH) return pa;
  // Done at set-up: no CPU is charged; CPU 0's magazines are consulted.
  charging = false;
  const pfn = dma_alloc_iova(dom, 0, 1);
  if (pfn != 0) pte_set(dom, 0, pfn, pa, PTE_READ | PTE_WRITE);
  charging = true;
  if (pfn == 0) return DMA_MAPPING_ERROR;
  iommu_maps++;
  return (pfn << PAGE_SHIFT) | (pa & <u64>(PAGE_SIZE - 1));
}

// ---------------------------------------------------------------------------
// Device side.

function record_fault(d: i32, dma: u64, reason: i32): u64 {
  iommu_faults++;
  const e = fault_base + <usize>(fault_total % <u64>IOMMU_FAULT_RING) * 16;
  store<u64>(e, dma);
  store<i32>(e, unchecked(dom_dev[d]), 8);
  store<i32>(e, reason, 12);
  fault_total++;
  return DMA_FAULT;
}

/** Where the address iommu_translate_kind last returned lies (phys_kind); KIND_NONE after a fault. */
export let iommu_pa_kind: i32 = KIND_NONE;

/**
 * iommu_translate for a device that also needs to know where the address
 * lies (the NVMe data-pointer walk: host memory or a GPU), set in
 * iommu_pa_kind. In passthrough the translation is that lookup itself
 * (iommu_translate's passthrough case; the peer-to-peer bypass returns the
 * same address), so it is asked once instead of twice per page.
 */
// @ts-ignore: decorator
@inline export function iommu_translate_kind(dom: i32, dma: u64, write: bool): u64 {
  if (mode == IOMMU_PASSTHROUGH) {
    assert(dom >= 0 && dom < domains);
    const k = phys_kind(dma);
    iommu_pa_kind = k;
    if (k != KIND_NONE) return dma;
    return record_fault(dom, dma, IOMMU_FAULT_NOT_PRESENT);
  }
  const pa = iommu_translate(dom, dma, write);
  iommu_pa_kind = pa == DMA_FAULT ? KIND_NONE : phys_kind(pa);
  return pa;
}

/**
 * Device-side translation of `dma` for an access of direction `write` (true:
 * the device writes memory). Returns the physical address or DMA_FAULT (the
 * fault is recorded). Adds the walk latency, if any, to iommu_walk_ns_acc.
 */
export function iommu_translate(dom: i32, dma: u64, write: bool): u64 {
  assert(dom >= 0 && dom < domains);
  // Peer-to-peer through a PCIe switch: TLPs to a GPU BAR behind the same
  // switch are routed by the switch and never reach the IOMMU.
  if (p2p_bypass_mask != 0 && dma >= VRAM_PHYS_BASE) {
    const k = phys_kind(dma);
    if (k >= 0 && (p2p_bypass_mask & (<u32>1 << <u32>k)) != 0) return dma;
  }
  if (mode == IOMMU_PASSTHROUGH) {
    if (phys_kind(dma) != KIND_NONE) return dma;
    return record_fault(dom, dma, IOMMU_FAULT_NOT_PRESENT);
  }
  const need: u64 = write ? PTE_WRITE : PTE_READ;
  const pfn = dma >> PAGE_SHIFT;
  const off = dma & <u64>(PAGE_SIZE - 1);
  if (pfn >= iova_limit_pfn) return record_fault(dom, dma, IOMMU_FAULT_NOT_PRESENT);
  const e = tlb_find(dom, pfn);
  if (e != 0) {
    iommu_iotlb_hits++;
    const val = load<u64>(e, 8);
    if ((val & need) == 0) return record_fault(dom, dma, IOMMU_FAULT_PERMISSION);
    store<u64>(e, ++iotlb_tick, 16);
    if ((val & IOTLB_STALE) != 0) iommu_stale_hits++;
    return (val & PTE_ADDR_MASK) | off;
  }
  iommu_iotlb_misses++;
  iommu_walks++;
  iommu_walk_ns_acc += pwc_lookup(dom, pfn) ? walk_cached_ns : walk_ns;
  const ea = pt_leaf(dom, -1, pfn, false);
  const pte = ea == 0 ? 0 : phys_read_u64(ea);
  if ((pte & PTE_PERM_MASK) == 0) return record_fault(dom, dma, IOMMU_FAULT_NOT_PRESENT);
  if ((pte & need) == 0) return record_fault(dom, dma, IOMMU_FAULT_PERMISSION);
  tlb_insert(dom, pfn, (pte & PTE_ADDR_MASK) | (pte & PTE_PERM_MASK));
  return (pte & PTE_ADDR_MASK) | off;
}

// ---------------------------------------------------------------------------
// Inspection (reports and tests).

/** Fault records available (the newest IOMMU_FAULT_RING); index 0 is the oldest. */
export function iommu_fault_count(): u32 {
  return fault_total < <u64>IOMMU_FAULT_RING ? <u32>fault_total : IOMMU_FAULT_RING;
}

function fault_rec(i: u32): usize {
  const n = iommu_fault_count();
  if (i >= n) return 0;
  const first = fault_total - <u64>n;
  return fault_base + <usize>((first + <u64>i) % <u64>IOMMU_FAULT_RING) * 16;
}

export function iommu_fault_dev(i: u32): i32 {
  const e = fault_rec(i);
  return e == 0 ? -1 : load<i32>(e, 8);
}

export function iommu_fault_addr(i: u32): u64 {
  const e = fault_rec(i);
  return e == 0 ? 0 : load<u64>(e);
}

export function iommu_fault_reason(i: u32): i32 {
  const e = fault_rec(i);
  return e == 0 ? 0 : load<i32>(e, 12);
}

/** The leaf PTE for `iova` in domain `dom`'s page table, 0 if absent. */
export function iommu_pte(dom: i32, iova: u64): u64 {
  if (mode == IOMMU_PASSTHROUGH || dom < 0 || dom >= domains) return 0;
  const pfn = iova >> PAGE_SHIFT;
  if (pfn >= iova_limit_pfn) return 0;
  const ea = pt_leaf(dom, -1, pfn, false);
  return ea == 0 ? 0 : phys_read_u64(ea);
}

/** IOVA pages held by mappings (and, in lazy mode, by flush queues), rounded as allocated. */
export function iommu_iova_in_use(dom: i32): u64 {
  if (dom < 0 || dom >= domains) return 0;
  return unchecked(dom_in_use[dom]);
}

/** Entries waiting in CPU `core`'s flush queue of domain `dom`. */
export function iommu_fq_len(dom: i32, core: i32): u32 {
  if (mode != IOMMU_LAZY || dom < 0 || dom >= domains || core < 0 || core >= ncpus) return 0;
  return load<u32>(fq_n_ptr(dom, core));
}

/** Time at which IOMMU unit `unit`'s invalidation queue is next free. */
export function iommu_unit_free_ns(unit: i32): u64 {
  if (unit < 0 || unit >= IOMMU_UNITS_MAX) return 0;
  return unchecked(unit_free[unit]);
}

/** IOVA tree nodes in use across all domains (anchors included). */
export function iommu_iova_nodes(): u32 {
  return node_live;
}
