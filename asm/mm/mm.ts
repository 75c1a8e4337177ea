// The simulated process's user memory: VMAs of 4 KiB pages of simulated host
// RAM. A program gets buffers at user addresses it can fill and read; DMA
// lands in the pages behind them. Pages of a scattered VMA are handed out in
// descending physical order so that, as for real user memory, neighbouring
// virtual pages are not physically contiguous; a contiguous VMA models a
// huge-page-backed buffer.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import { phys_alloc_host, phys_alloc_host_run, phys_host_pages_free, phys_read, phys_write } from "../hw/physmem";

export const VMAS_MAX: i32 = 4096;
/** User mappings start here (a typical mmap base on x86-64). */
export const USER_VA_BASE: u64 = 0x7f0000000000;

const vma_start = new StaticArray<u64>(VMAS_MAX);
const vma_pages = new StaticArray<u32>(VMAS_MAX);
const vma_pa = new StaticArray<usize>(VMAS_MAX); // u64[] physical address per page
let vmas: i32 = 0;
let va_next: u64 = USER_VA_BASE;

export function mm_init(): void {
  vmas = 0;
  va_next = USER_VA_BASE;
}

/**
 * mmap an anonymous region of `bytes` (rounded up to pages). Returns its user
 * address, or 0 when out of VMAs or host memory (ENOMEM).
 */
export function mm_alloc(bytes: u64, contiguous: bool): u64 {
  if (vmas >= VMAS_MAX || bytes == 0) return 0;
  // More than the machine has left: refused whole (ENOMEM), before anything is taken.
  if (bytes > (phys_host_pages_free() << PAGE_SHIFT)) return 0;
  const n = <u32>((bytes + PAGE_SIZE - 1) >> PAGE_SHIFT);
  let first: u64 = 0;
  if (contiguous) {
    // A physically contiguous run (a huge-page-backed buffer) comes from never-used RAM.
    first = phys_alloc_host_run(n);
    if (first == 0) return 0;
  }
  const list = mem_alloc(<usize>n * 8, 8);
  for (let i: u32 = 0; i < n; i++) {
    // Scattered: pages in descending order, as user memory rarely is contiguous.
    const pa = contiguous ? first + (<u64>i << PAGE_SHIFT) : phys_alloc_host();
    store<u64>(list + (<usize>(contiguous ? i : n - 1 - i) << 3), pa);
  }
  const va = va_next;
  unchecked((vma_start[vmas] = va));
  unchecked((vma_pages[vmas] = n));
  unchecked((vma_pa[vmas] = list));
  vmas++;
  // A guard page between mappings, as mmap leaves unmapped holes.
  va_next += (<u64>n + 1) << PAGE_SHIFT;
  return va;
}

function vma_find(va: u64): i32 {
  let lo = 0;
  let hi = vmas - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = unchecked(vma_start[mid]);
    if (va < s) hi = mid - 1;
    else if (va >= s + (<u64>unchecked(vma_pages[mid]) << PAGE_SHIFT)) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** Physical address behind user address `va`, or 0 when unmapped. */
export function mm_va_to_pa(va: u64): u64 {
  const v = vma_find(va);
  if (v < 0) return 0;
  const idx = (va - unchecked(vma_start[v])) >> PAGE_SHIFT;
  return load<u64>(unchecked(vma_pa[v]) + (<usize>idx << 3)) + (va & (PAGE_SIZE - 1));
}

/** True when [va, va + len) is wholly mapped (one VMA: mappings are separated by holes). */
export function mm_range_ok(va: u64, len: u64): bool {
  if (len == 0) return true;
  if (va + len < va) return false;
  const v = vma_find(va);
  if (v < 0) return false;
  return va + len <= unchecked(vma_start[v]) + (<u64>unchecked(vma_pages[v]) << PAGE_SHIFT);
}

/** copy_to_user: linear `src` -> user `va`; false on a fault. */
export function mm_write(va: u64, src: usize, len: u32): bool {
  if (!mm_range_ok(va, len)) return false;
  while (len > 0) {
    const room = PAGE_SIZE - <u32>(va & (PAGE_SIZE - 1));
    const n = len < room ? len : room;
    phys_write(mm_va_to_pa(va), src, n);
    va += n;
    src += n;
    len -= n;
  }
  return true;
}

/** copy_from_user: user `va` -> linear `dst`; false on a fault. */
export function mm_read(va: u64, dst: usize, len: u32): bool {
  if (!mm_range_ok(va, len)) return false;
  while (len > 0) {
    const room = PAGE_SIZE - <u32>(va & (PAGE_SIZE - 1));
    const n = len < room ? len : room;
    phys_read(mm_va_to_pa(va), dst, n);
    va += n;
    dst += n;
    len -= n;
  }
  return true;
}
