// The linear-memory arena. One machine lays its regions out once at
// machine_init; everything after that is carved from this arena or from
// per-structure free lists, never from a growing heap.

import { fail, SIM_ERR_ARENA } from "./errors";

let arena_base: usize = 0;
let arena_size: usize = 0;
let arena_top: usize = 0;
/** Everything at or above this offset is still zero from memory.grow. */
let arena_dirty: usize = 0;

/** Reserve (once per process) and reset the arena to `bytes`. */
export function mem_reset(bytes: usize): void {
  if (bytes > arena_size) {
    // The stub runtime never frees: take a fresh, larger block. The old one is
    // abandoned, which only happens when a later machine asks for more.
    arena_base = heap.alloc(bytes + 64);
    arena_base = (arena_base + 63) & ~(<usize>63);
    arena_size = bytes;
    arena_dirty = arena_base;
  }
  // Nothing is zeroed here: mem_alloc zeroes what it hands out, and only the
  // part an earlier machine may have written (below arena_dirty).
  if (arena_top > arena_dirty) arena_dirty = arena_top;
  arena_top = arena_base;
}

/**
 * Carve `bytes` aligned to `align` (a power of two) from the arena, zeroed
 * unless `zero` is false (for regions whose users clear what they take).
 */
export function mem_alloc(bytes: usize, align: usize = 64, zero: bool = true): usize {
  const p = (arena_top + align - 1) & ~(align - 1);
  if (p + bytes > arena_base + arena_size) fail(SIM_ERR_ARENA, <i64>bytes);
  arena_top = p + bytes;
  if (zero && p < arena_dirty) {
    const end = p + bytes < arena_dirty ? p + bytes : arena_dirty;
    memory.fill(p, 0, end - p);
  }
  return p;
}

/** Bytes of the arena in use (for the "memory stays flat" checks). */
export function mem_used(): usize {
  return arena_top - arena_base;
}

export function mem_capacity(): usize {
  return arena_size;
}

// Power-of-two block allocator over the arena for structures that come and go
// (rings, buffer tables): freed blocks go to a free list per order and are
// reused, so creating and destroying rings forever keeps memory flat.
const ORDER_MIN: i32 = 6; // 64 B
const ORDER_MAX: i32 = 28; // 256 MiB
const free_heads = new StaticArray<usize>(ORDER_MAX + 1);

function order_of(bytes: usize): i32 {
  let o = ORDER_MIN;
  while (o < ORDER_MAX && (<usize>1 << o) < bytes) o++;
  return o;
}

export function blk_reset(): void {
  for (let o = 0; o <= ORDER_MAX; o++) unchecked((free_heads[o] = 0));
}

/** Allocate a zeroed block of at least `bytes` (rounded to a power of two). */
export function blk_alloc(bytes: usize): usize {
  const o = order_of(bytes);
  const size = <usize>1 << o;
  let p = unchecked(free_heads[o]);
  if (p != 0) {
    unchecked((free_heads[o] = load<usize>(p)));
    memory.fill(p, 0, size);
    return p;
  }
  return mem_alloc(size, size < 4096 ? size : 4096);
}

/** Return a block from blk_alloc of the same `bytes`. */
export function blk_free(p: usize, bytes: usize): void {
  const o = order_of(bytes);
  store<usize>(p, unchecked(free_heads[o]));
  unchecked((free_heads[o] = p));
}
