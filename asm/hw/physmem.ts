// Simulated physical memory. Host RAM and device memory (GPU VRAM behind a
// BAR) are physical address ranges; their bytes are backed sparsely: a page
// gets a 4 KiB backing slot in linear memory on first write, and untouched
// pages read as zeros. Timing-only runs never touch backing at all.

import { PAGE_SIZE, PAGE_SHIFT } from "../sim/limits";
import { fail, SIM_ERR_PHYS } from "../sim/errors";
import { mem_alloc } from "../sim/mem";
import { res_freed } from "../sim/engine";

/** Host RAM starts at 1 MiB (below is legacy, never handed out). */
export const HOST_PHYS_BASE: u64 = 0x100000;
/** Device memory of GPU g sits at VRAM_PHYS_BASE + g * VRAM_STRIDE. */
export const VRAM_PHYS_BASE: u64 = 0x400000000000; // 64 TiB: a typical 64-bit BAR window
export const VRAM_STRIDE: u64 = 0x10000000000; // 1 TiB per GPU
export const GPUS_MAX: i32 = 8;

export const KIND_NONE: i32 = -2;
export const KIND_HOST: i32 = -1; // otherwise: GPU index

let host_pages: u64 = 0;
let host_bump: u64 = 0; // next never-used host page index
let host_free: usize = 0; // u32[] stack of freed page indexes
let host_free_n: u64 = 0;
let vram_pages: u64 = 0;
let gpus: i32 = 0;
const vram_bump = new StaticArray<u64>(GPUS_MAX);

// Backing: open-addressed hash (linear probing) pfn+1 -> slot, slots of 4 KiB.
let back_cap: u32 = 0; // hash capacity, power of two
let back_keys: usize = 0; // u64[]: pfn + 1, 0 = empty
let back_vals: usize = 0; // u32[]: slot
let back_slots: usize = 0; // slot storage
let back_slots_max: u32 = 0;
let back_slot_bump: u32 = 0;
let back_free: usize = 0; // u32[] stack of freed slots
let back_free_n: u32 = 0;
/** A page of zeros that reads of untouched memory point at. */
let zero_page: usize = 0;

export function phys_init(host_bytes: u64, vram_bytes: u64, ngpus: i32, backing_pages: u32): void {
  host_pages = host_bytes >> PAGE_SHIFT;
  host_bump = 0;
  host_free = mem_alloc(<usize>host_pages * 4, 8, false); // a stack: only pushed entries are read
  host_free_n = 0;
  vram_pages = vram_bytes >> PAGE_SHIFT;
  gpus = ngpus;
  for (let g = 0; g < GPUS_MAX; g++) unchecked((vram_bump[g] = 0));
  back_slots_max = backing_pages;
  back_cap = 16;
  while (back_cap < backing_pages * 2) back_cap <<= 1;
  back_keys = mem_alloc(<usize>back_cap * 8, 8);
  back_vals = mem_alloc(<usize>back_cap * 4, 8);
  // Slots are zeroed one by one as they are taken (back_insert).
  back_slots = mem_alloc(<usize>backing_pages * PAGE_SIZE, PAGE_SIZE, false);
  back_slot_bump = 0;
  back_free = mem_alloc(<usize>backing_pages * 4, 8, false);
  back_free_n = 0;
  zero_page = mem_alloc(PAGE_SIZE, PAGE_SIZE);
}

/** Which memory a physical address belongs to: KIND_HOST, a GPU index, or KIND_NONE. */
export function phys_kind(pa: u64): i32 {
  if (pa >= HOST_PHYS_BASE && pa < HOST_PHYS_BASE + (host_pages << PAGE_SHIFT)) return KIND_HOST;
  if (pa >= VRAM_PHYS_BASE) {
    const g = <i32>((pa - VRAM_PHYS_BASE) / VRAM_STRIDE);
    if (g < gpus && (pa - VRAM_PHYS_BASE - <u64>g * VRAM_STRIDE) < (vram_pages << PAGE_SHIFT)) return g;
  }
  return KIND_NONE;
}

/** Allocate one 4 KiB page of host RAM; returns its physical address, 0 if none is left. */
export function phys_alloc_host(): u64 {
  let idx: u64;
  if (host_free_n > 0) {
    host_free_n--;
    idx = <u64>load<u32>(host_free + <usize>(host_free_n << 2));
  } else {
    if (host_bump >= host_pages) return 0;
    idx = host_bump++;
  }
  return HOST_PHYS_BASE + (idx << PAGE_SHIFT);
}

/** Allocate `n` physically contiguous pages of never-used host RAM; the first's address, or 0. */
export function phys_alloc_host_run(n: u32): u64 {
  if (host_bump + <u64>n > host_pages) return 0;
  const first = host_bump;
  host_bump += n;
  return HOST_PHYS_BASE + (first << PAGE_SHIFT);
}

/** Allocate one page of GPU `g`'s memory; 0 if none is left. */
export function phys_alloc_vram(g: i32): u64 {
  if (g < 0 || g >= gpus) return 0;
  const i = unchecked(vram_bump[g]);
  if (i >= vram_pages) return 0;
  unchecked((vram_bump[g] = i + 1));
  return VRAM_PHYS_BASE + <u64>g * VRAM_STRIDE + (i << PAGE_SHIFT);
}

/** Pages of GPU `g`'s memory not handed out yet. */
export function phys_vram_left(g: i32): u64 {
  if (g < 0 || g >= gpus) return 0;
  return vram_pages - unchecked(vram_bump[g]);
}

/** Free a page: its backing (if any) goes back and it will read as zeros. */
export function phys_free(pa: u64): void {
  back_drop(pa >> PAGE_SHIFT);
  // A PRP pool that could not grow for want of a page may grow now.
  res_freed();
  if (phys_kind(pa) == KIND_HOST) {
    store<u32>(host_free + <usize>(host_free_n << 2), <u32>((pa - HOST_PHYS_BASE) >> PAGE_SHIFT));
    host_free_n++;
  }
  // VRAM pages are a bump region owned by the GPU exporter for the machine's life.
}

export function phys_host_pages_free(): u64 {
  return host_pages - host_bump + host_free_n;
}

// @ts-ignore: decorator
@inline function hash(key: u64): u32 {
  return <u32>((key * 0x9E3779B97F4A7C15) >> 40);
}

function back_find(pfn: u64): i32 {
  const key = pfn + 1;
  const mask = back_cap - 1;
  let i = hash(key) & mask;
  while (true) {
    const k = load<u64>(back_keys + (<usize>i << 3));
    if (k == 0) return -1;
    if (k == key) return <i32>load<u32>(back_vals + (<usize>i << 2));
    i = (i + 1) & mask;
  }
}

function back_insert(pfn: u64): u32 {
  let slot: u32;
  if (back_free_n > 0) {
    back_free_n--;
    slot = load<u32>(back_free + (<usize>back_free_n << 2));
  }
  else {
    if (back_slot_bump >= back_slots_max) fail(SIM_ERR_PHYS, <i64>back_slots_max);
    slot = back_slot_bump++;
  }
  memory.fill(back_slots + (<usize>slot << PAGE_SHIFT), 0, PAGE_SIZE);
  const key = pfn + 1;
  const mask = back_cap - 1;
  let i = hash(key) & mask;
  while (load<u64>(back_keys + (<usize>i << 3)) != 0) i = (i + 1) & mask;
  store<u64>(back_keys + (<usize>i << 3), key);
  store<u32>(back_vals + (<usize>i << 2), slot);
  return slot;
}

function back_drop(pfn: u64): void {
  const key = pfn + 1;
  const mask = back_cap - 1;
  let i = hash(key) & mask;
  while (true) {
    const k = load<u64>(back_keys + (<usize>i << 3));
    if (k == 0) return;
    if (k == key) break;
    i = (i + 1) & mask;
  }
  store<u32>(back_free + (<usize>back_free_n << 2), load<u32>(back_vals + (<usize>i << 2)));
  back_free_n++;
  // Backward-shift deletion keeps probe chains intact without tombstones.
  let j = i;
  while (true) {
    store<u64>(back_keys + (<usize>i << 3), 0);
    while (true) {
      j = (j + 1) & mask;
      const kj = load<u64>(back_keys + (<usize>j << 3));
      if (kj == 0) return;
      const home = hash(kj) & mask;
      // Move kj into the hole at i if its home is not cyclically in (i, j].
      if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) break;
    }
    store<u64>(back_keys + (<usize>i << 3), load<u64>(back_keys + (<usize>j << 3)));
    store<u32>(back_vals + (<usize>i << 2), load<u32>(back_vals + (<usize>j << 2)));
    i = j;
  }
}

/**
 * Linear-memory pointer to the byte at physical address `pa`, valid up to the
 * end of its page. For a write the page gets backing; for a read an untouched
 * page maps to the shared zero page. The caller checks phys_kind first.
 */
export function phys_ptr(pa: u64, write: bool): usize {
  const pfn = pa >> PAGE_SHIFT;
  let slot = back_find(pfn);
  if (slot < 0) {
    if (!write) return zero_page + <usize>(pa & (PAGE_SIZE - 1));
    slot = <i32>back_insert(pfn);
  }
  return back_slots + (<usize>slot << PAGE_SHIFT) + <usize>(pa & (PAGE_SIZE - 1));
}

export function phys_read_u64(pa: u64): u64 {
  return load<u64>(phys_ptr(pa, false));
}

export function phys_write_u64(pa: u64, v: u64): void {
  store<u64>(phys_ptr(pa, true), v);
}

/** Copy `len` bytes from linear memory `src` to physical `pa` (may cross pages). */
export function phys_write(pa: u64, src: usize, len: u32): void {
  while (len > 0) {
    const room = PAGE_SIZE - <u32>(pa & (PAGE_SIZE - 1));
    const n = len < room ? len : room;
    memory.copy(phys_ptr(pa, true), src, n);
    pa += n;
    src += n;
    len -= n;
  }
}

/** Copy `len` bytes from physical `pa` to linear memory `dst` (may cross pages). */
export function phys_read(pa: u64, dst: usize, len: u32): void {
  while (len > 0) {
    const room = PAGE_SIZE - <u32>(pa & (PAGE_SIZE - 1));
    const n = len < room ? len : room;
    memory.copy(dst, phys_ptr(pa, false), n);
    pa += n;
    dst += n;
    len -= n;
  }
}

/** Pages with backing in use (memory-flatness checks). */
export function phys_backed_pages(): u32 {
  return back_slot_bump - back_free_n;
}

/** Copy `len` bytes between two physical ranges (either may cross pages). */
export function phys_copy(dst: u64, src: u64, len: u32): void {
  while (len > 0) {
    const rd = PAGE_SIZE - <u32>(dst & (PAGE_SIZE - 1));
    const rs = PAGE_SIZE - <u32>(src & (PAGE_SIZE - 1));
    let n = len < rd ? len : rd;
    if (rs < n) n = rs;
    const d = phys_ptr(dst, true);
    memory.copy(d, phys_ptr(src, false), n);
    dst += n;
    src += n;
    len -= n;
  }
}

/** Media of controller `c` lives at this physical-like address (never DMA-reachable). */
export function media_addr(c: i32, byte_off: u64): u64 {
  return 0x1000000000000000 + (<u64>c << 52) + byte_off;
}
