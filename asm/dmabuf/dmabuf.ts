// dma-buf exporters and the dma-buf core (drivers/dma-buf), the half the I/O
// path reads: memfds', udmabufs' and GPU VRAM buffers' page lists, each
// object's reference count (dropped on the I/O path when a token's last map
// goes), its reservation object's count of unsignalled fences, and
// exporter-side invalidation (dma_buf_move_notify) with GPU migration. The
// exporters' metadata and checks (memfd_create flags, sizes and seals,
// ftruncate, udmabuf_create's list and seal checks, the VRAM exporter's size
// checks) are the control path's, in TypeScript (src/kernel/dmabuf.ts): it
// calls the primitives below once it has decided. Importers sit
// higher (io_uring's dma-buf tokens, io_uring/dmabuf_token.ts) and are reached
// through importer ops registered at machine set-up, as
// dma_buf_attach_ops.move_notify.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { blk_alloc, blk_free } from "../sim/mem";
import { core_catch_up, ev_push, EV_INVALIDATE, now } from "../sim/engine";
import * as u from "../sim/uapi";
import { fd_install, fd_obj_of, fd_type_of, fd_valid_user, FT_DMABUF, FT_MEMFD } from "../fs/files";
import {
  phys_alloc_host, phys_alloc_vram, phys_copy, phys_free, phys_host_pages_free, phys_read, phys_vram_left, phys_write,
} from "../hw/physmem";
import { INV_HOOK_UNSET, invariant_fail } from "../sim/errors";

export const MEMFDS_MAX: i32 = 256;
export const DMABUFS_MAX: i32 = 1024;


// ---- memfds -------------------------------------------------------------------
const mf_live = new StaticArray<bool>(MEMFDS_MAX);
const mf_npages = new StaticArray<u32>(MEMFDS_MAX); // pages the memfd holds (its size rounded up)
const mf_pages = new StaticArray<usize>(MEMFDS_MAX); // u64[] pa per page
const mf_cap = new StaticArray<u32>(MEMFDS_MAX); // pages the array can hold
const mf_refs = new StaticArray<u32>(MEMFDS_MAX); // open fds + udmabufs over it

// ---- dma-bufs -----------------------------------------------------------------
const db_live = new StaticArray<bool>(DMABUFS_MAX);
const db_pages = new StaticArray<usize>(DMABUFS_MAX); // u64[] pa per page (the exporter's sg_table)
const db_npages = new StaticArray<u32>(DMABUFS_MAX);
const db_gpu = new StaticArray<i32>(DMABUFS_MAX); // -1: host pages (udmabuf)
const db_migrate = new StaticArray<bool>(DMABUFS_MAX); // a migration waits for the fences
const db_period = new StaticArray<u64>(DMABUFS_MAX); // periodic invalidation
const db_left = new StaticArray<u32>(DMABUFS_MAX);
const db_refs = new StaticArray<u32>(DMABUFS_MAX); // open fds + tokens (importers)
const db_memfds = new StaticArray<usize>(DMABUFS_MAX); // udmabuf: i32[] memfd per item (refs held)
const db_nmemfds = new StaticArray<u32>(DMABUFS_MAX);
let p2p_switch_mask: u32 = 0;
const db_fences = new StaticArray<u32>(DMABUFS_MAX); // the reservation object's unsignalled fences

export let db_migrations: u64 = 0;
export let db_migrations_failed: u64 = 0;

/**
 * The importer ops (dma_buf_attach_ops), registered once at machine set-up:
 * move_notify invalidates every importer mapping of a dma-buf; moved tells
 * importers waiting for a migration that the buffer can be mapped again.
 */
let importer_move_notify: (d: i32, core: i32) => void = importer_unset;
let importer_moved: (d: i32, core: i32) => void = importer_unset;
function importer_unset(d: i32, core: i32): void {
  invariant_fail(INV_HOOK_UNSET, 103); // machine set-up did not register the importer ops
}
/** Register the importer ops (machine set-up). */
export function dmabuf_set_importer_ops(move_notify: (d: i32, core: i32) => void, moved: (d: i32, core: i32) => void): void {
  importer_move_notify = move_notify;
  importer_moved = moved;
}

export function dmabuf_init(p2p_mask: u32): void {
  for (let i = 0; i < MEMFDS_MAX; i++) unchecked((mf_live[i] = false));
  for (let i = 0; i < DMABUFS_MAX; i++) unchecked((db_live[i] = false));
  p2p_switch_mask = p2p_mask;
  db_migrations = 0;
  db_migrations_failed = 0;
}

// ---------------------------------------------------------------------------
// memfd

/**
 * memfd_create's object, once the control path checked the flags: a memfd
 * with no pages, installed in the lowest free descriptor. The fd, or -ENOMEM
 * (dmasim's memfd table, MEMFDS_MAX, is full) or -EMFILE.
 */
export function memfd_alloc(): i32 {
  let id = -1;
  for (let i = 0; i < MEMFDS_MAX; i++) {
    if (!unchecked(mf_live[i])) {
      id = i;
      break;
    }
  }
  if (id < 0) return -u.ENOMEM;
  const fd = fd_install(FT_MEMFD, id, u.O_RDWR);
  if (fd < 0) return fd;
  unchecked((mf_live[id] = true));
  unchecked((mf_refs[id] = 1));
  unchecked((mf_npages[id] = 0));
  unchecked((mf_pages[id] = 0));
  unchecked((mf_cap[id] = 0));
  return fd;
}

/**
 * ftruncate's pages (shmem_setattr), once the control path checked the
 * descriptor, the seals and the size: memfd `m` grows to or shrinks to `n`
 * pages. Growing past the RAM left fails whole, taking nothing: 0 or -ENOMEM.
 */
export function memfd_resize(m: i32, n: u32): i32 {
  assert(unchecked(mf_live[m]), "dmabuf: resizing a dead memfd");
  const oldn = unchecked(mf_npages[m]);
  if (n > unchecked(mf_cap[m])) {
    let cap: u32 = unchecked(mf_cap[m]) == 0 ? 16 : unchecked(mf_cap[m]);
    while (cap < n) cap <<= 1;
    const np = blk_alloc(<usize>cap * 8);
    if (unchecked(mf_pages[m]) != 0) {
      memory.copy(np, unchecked(mf_pages[m]), <usize>oldn * 8);
      blk_free(unchecked(mf_pages[m]), <usize>unchecked(mf_cap[m]) * 8);
    }
    unchecked((mf_pages[m] = np));
    unchecked((mf_cap[m] = cap));
  }
  const pages = unchecked(mf_pages[m]);
  if (n > oldn && <u64>(n - oldn) > phys_host_pages_free()) return -u.ENOMEM;
  for (let i = oldn; i < n; i++) store<u64>(pages + (<usize>i << 3), phys_alloc_host());
  for (let i = n; i < oldn; i++) phys_free(load<u64>(pages + (<usize>i << 3)));
  unchecked((mf_npages[m] = n));
  return 0;
}

/** CPU copy between `scratch` and bytes [off, off+len) of memfd `m`, inside its size (the caller clamped). */
export function memfd_pages_rw(m: i32, off: u64, scratch: usize, len: u32, write: bool): void {
  assert(unchecked(mf_live[m]) && off + len <= (<u64>unchecked(mf_npages[m]) << PAGE_SHIFT), "dmabuf: memfd rw");
  pages_rw(unchecked(mf_pages[m]), off, scratch, len, write);
}

/** CPU copy between `scratch` and bytes [off, off+len) of a page list (u64 physical address per page). */
function pages_rw(pages: usize, off: u64, scratch: usize, len: u32, write: bool): void {
  let done: u32 = 0;
  while (done < len) {
    const o = off + done;
    const room = PAGE_SIZE - <u32>(o & (PAGE_SIZE - 1));
    const n = len - done < room ? len - done : room;
    const pa = load<u64>(pages + <usize>((o >> PAGE_SHIFT) << 3)) + (o & (PAGE_SIZE - 1));
    if (write) phys_write(pa, scratch + done, n);
    else phys_read(pa, scratch + done, n);
    done += n;
  }
}

// ---------------------------------------------------------------------------
// dma-buf objects

function dmabuf_new(n: u32, gpu: i32): i32 {
  for (let i = 0; i < DMABUFS_MAX; i++) {
    if (!unchecked(db_live[i])) {
      unchecked((db_live[i] = true));
      unchecked((db_refs[i] = 1));
      unchecked((db_memfds[i] = 0));
      unchecked((db_nmemfds[i] = 0));
      unchecked((db_fences[i] = 0));
      unchecked((db_npages[i] = n));
      unchecked((db_pages[i] = blk_alloc(<usize>n * 8)));
      unchecked((db_gpu[i] = gpu));
      unchecked((db_migrate[i] = false));
      unchecked((db_period[i] = 0));
      unchecked((db_left[i] = 0));
      return i;
    }
  }
  return -1;
}

/**
 * udmabuf_create's dma-buf, once the control path made every check of the
 * list (flags, count, alignment, size limit, each memfd's seals and range):
 * `count` items (24 bytes: u32 memfd fd, u32 pad, u64 offset, u64 size) at
 * `items`, `pgcnt` pages in all. The udmabuf takes a reference on each
 * memfd and their pages in order. Its fd, or -ENOMEM (dmasim's dma-buf
 * table is full) or -EMFILE.
 */
export function udmabuf_build(items: usize, count: u32, pgcnt: u32): i32 {
  const d = dmabuf_new(pgcnt, -1);
  if (d < 0) return -u.ENOMEM;
  const dst = unchecked(db_pages[d]);
  const mfs = blk_alloc(<usize>count * 4);
  unchecked((db_memfds[d] = mfs));
  unchecked((db_nmemfds[d] = count));
  let k: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const it = items + <usize>i * 24;
    const fd = load<i32>(it);
    assert(fd_valid_user(fd) && fd_type_of(fd) == FT_MEMFD, "dmabuf: udmabuf over a descriptor not checked");
    const m = fd_obj_of(fd);
    // The udmabuf pins the memfd's pages: it holds a reference on the memfd.
    store<i32>(mfs + <usize>i * 4, m);
    unchecked((mf_refs[m] += 1));
    const first = <u32>(load<u64>(it + 8) >> PAGE_SHIFT);
    const n = <u32>(load<u64>(it + 16) >> PAGE_SHIFT);
    assert(first + n <= unchecked(mf_npages[m]) && k + n <= pgcnt, "dmabuf: udmabuf item past its memfd");
    for (let j: u32 = 0; j < n; j++) {
      store<u64>(dst + (<usize>k << 3), load<u64>(unchecked(mf_pages[m]) + (<usize>(first + j) << 3)));
      k++;
    }
  }
  const fd = fd_install(FT_DMABUF, d, u.O_RDWR);
  if (fd < 0) dmabuf_put(d);
  return fd;
}

/**
 * The VRAM exporter's dma-buf of `n` pages of GPU `gpu`'s memory, once the
 * control path checked the size. VRAM is handed out once (a bump
 * allocator): all of it must fit before any is taken. Its fd, or -ENOMEM
 * (VRAM or dmasim's dma-buf table) or -EMFILE.
 */
export function vram_dmabuf_alloc(gpu: i32, n: u32): i32 {
  if (<u64>n > phys_vram_left(gpu)) return -u.ENOMEM;
  const d = dmabuf_new(n, gpu);
  if (d < 0) return -u.ENOMEM;
  const pages = unchecked(db_pages[d]);
  for (let i: u32 = 0; i < n; i++) store<u64>(pages + (<usize>i << 3), phys_alloc_vram(gpu));
  const fd = fd_install(FT_DMABUF, d, u.O_RDWR);
  if (fd < 0) dmabuf_put(d);
  return fd;
}

/** Drop a reference on memfd `m`; the last one frees its pages. */
function memfd_put(m: i32): void {
  assert(unchecked(mf_live[m]) && unchecked(mf_refs[m]) > 0, "dmabuf: memfd reference count underflow");
  unchecked((mf_refs[m] -= 1));
  if (unchecked(mf_refs[m]) != 0) return;
  const pages = unchecked(mf_pages[m]);
  const n = unchecked(mf_npages[m]);
  for (let i: u32 = 0; i < n; i++) phys_free(load<u64>(pages + (<usize>i << 3)));
  if (pages != 0) blk_free(pages, <usize>unchecked(mf_cap[m]) * 8);
  unchecked((mf_live[m] = false));
}

/**
 * Drop a reference on dma-buf `d` (a closed fd, a detached importer); the
 * last one releases it: a udmabuf its memfds, a GPU buffer its page list
 * (VRAM itself is not handed out again: the model's VRAM is a bump allocator).
 */
export function dmabuf_put(d: i32): void {
  assert(unchecked(db_live[d]) && unchecked(db_refs[d]) > 0, "dmabuf: dma-buf reference count underflow");
  unchecked((db_refs[d] -= 1));
  if (unchecked(db_refs[d]) != 0) return;
  const mfs = unchecked(db_memfds[d]);
  const nm = unchecked(db_nmemfds[d]);
  for (let i: u32 = 0; i < nm; i++) memfd_put(load<i32>(mfs + <usize>i * 4));
  if (mfs != 0) blk_free(mfs, <usize>nm * 4);
  blk_free(unchecked(db_pages[d]), <usize>unchecked(db_npages[d]) * 8);
  unchecked((db_live[d] = false));
}

/** close(2) of a memfd or dma-buf descriptor: its reference goes (fs/files.ts, through its release hook). */
export function dmabuf_file_closed(type: u8, obj: i32): void {
  if (type == FT_MEMFD) memfd_put(obj);
  else if (type == FT_DMABUF) dmabuf_put(obj);
}

export function dmabuf_of(fd: i32): i32 {
  return fd_valid_user(fd) && fd_type_of(fd) == FT_DMABUF ? fd_obj_of(fd) : -1;
}

/** CPU access to bytes [off, off+len) of dma-buf `d` through `scratch`, inside its size (the caller clamped). */
export function dmabuf_pages_rw(d: i32, off: u64, scratch: usize, len: u32, write: bool): void {
  assert(unchecked(db_live[d]) && off + len <= dmabuf_size_of(d), "dmabuf: dma-buf rw past its size");
  pages_rw(unchecked(db_pages[d]), off, scratch, len, write);
}

/** Physical address of page `i` of a dma-buf (inspection). */
export function dmabuf_page_pa(fd: i32, i: u32): f64 {
  const d = dmabuf_of(fd);
  if (d < 0 || i >= unchecked(db_npages[d])) return 0;
  return <f64>load<u64>(unchecked(db_pages[d]) + (<usize>i << 3));
}

/** dma_buf_get on an attach: one more reference (an importer's token). */
export function dmabuf_get(d: i32): void {
  assert(unchecked(db_live[d]) && unchecked(db_refs[d]) > 0, "dmabuf: reference taken on a dead dma-buf");
  unchecked((db_refs[d] += 1));
}
/** Size in bytes of dma-buf `d` (whole pages: udmabuf and VRAM sizes are page aligned). */
export function dmabuf_size_of(d: i32): u64 {
  return <u64>unchecked(db_npages[d]) << PAGE_SHIFT;
}
/** Pages of dma-buf `d` and their list (u64 physical address per page: the exporter's sg_table). */
export function dmabuf_npages(d: i32): u32 {
  return unchecked(db_npages[d]);
}
export function dmabuf_pages(d: i32): usize {
  return unchecked(db_pages[d]);
}
/** Whether a device reaches dma-buf `d` peer to peer through a PCIe switch (bus addresses, no IOMMU). */
export function dmabuf_p2p_direct(d: i32): bool {
  const g = unchecked(db_gpu[d]);
  return g >= 0 && (p2p_switch_mask & (<u32>1 << <u32>g)) != 0;
}
/** Whether a migration of `d` waits for its fences (no mapping of the old pages may be handed out). */
export function dmabuf_migrating(d: i32): bool {
  return unchecked(db_migrate[d]);
}
/** An importer published a fence on `d`'s reservation object (its map was invalidated). */
export function dmabuf_fence_add(d: i32): void {
  unchecked((db_fences[d] += 1));
}
/** An importer's fence on `d` signalled (the dead map's last reference went). */
export function dmabuf_fence_signal(d: i32): void {
  assert(unchecked(db_fences[d]) > 0, "dmabuf: a fence signalled that was never published");
  unchecked((db_fences[d] -= 1));
}
/** Fences published on `d` and not yet signalled. */
export function dmabuf_fences_pending(d: i32): u32 {
  return unchecked(db_fences[d]);
}

/**
 * A GPU exporter moves the buffer: new pages, the bytes copied, once every
 * fence signalled; then the importers waiting for it are told.
 */
export function dmabuf_migrate(d: i32, core: i32): void {
  assert(unchecked(db_fences[d]) == 0, "dmabuf: migration before every fence signalled");
  unchecked((db_migrate[d] = false));
  const g = unchecked(db_gpu[d]);
  const n = unchecked(db_npages[d]);
  if (<u64>n > phys_vram_left(g)) {
    // No room to move into: the buffer stays where it is; waiting importers map it there.
    db_migrations_failed++;
    importer_moved(d, core);
    return;
  }
  const pages = unchecked(db_pages[d]);
  for (let i: u32 = 0; i < n; i++) {
    const old = load<u64>(pages + (<usize>i << 3));
    const pa = phys_alloc_vram(g);
    phys_copy(pa, old, PAGE_SIZE);
    store<u64>(pages + (<usize>i << 3), pa);
    phys_free(old);
  }
  db_migrations++;
  importer_moved(d, core);
}

/**
 * dma_buf_move_notify on dma-buf `d` now, on `core`: every importer's
 * mapping is invalidated (each publishes a fence). With `migrate` (the
 * control path decided it: a GPU exporter moving its buffer), the move waits
 * for every fence; if none is pending it happens now, else when the last one
 * signals (map_release, on the I/O path).
 */
export function dma_buf_move_notify(d: i32, core: i32, migrate: bool): void {
  assert(unchecked(db_live[d]) && (!migrate || unchecked(db_gpu[d]) >= 0), "dmabuf: move_notify not checked");
  if (migrate) unchecked((db_migrate[d] = true));
  importer_move_notify(d, core);
  if (migrate && unchecked(db_migrate[d]) && dmabuf_fences_pending(d) == 0) dmabuf_migrate(d, core);
}

/**
 * Schedule `count` (at least 1) exporter invalidations of dma-buf `d`, the
 * first at `t_ns`, then every `period_ns`: EV_INVALIDATE events in the loop.
 */
export function dmabuf_schedule_invalidate(d: i32, t_ns: f64, period_ns: f64, count: u32): void {
  assert(unchecked(db_live[d]) && count > 0, "dmabuf: invalidations scheduled without the checks");
  unchecked((db_period[d] = <u64>period_ns));
  unchecked((db_left[d] = count));
  ev_push(<u64>t_ns, EV_INVALIDATE, <u32>d);
}

/** EV_INVALIDATE: a scheduled exporter invalidation (core 0 runs the exporter). */
export function dmabuf_invalidate_event(d: u32): void {
  if (!unchecked(db_live[d]) || unchecked(db_left[d]) == 0) return;
  unchecked((db_left[d] -= 1));
  const core = 0;
  core_catch_up(core);
  importer_move_notify(<i32>d, core);
  if (unchecked(db_left[d]) > 0) ev_push(now + unchecked(db_period[d]), EV_INVALIDATE, d);
}

/** Memfds and dma-bufs alive (reference-count checks). */
export function memfds_live(): i32 {
  let n = 0;
  for (let i = 0; i < MEMFDS_MAX; i++) if (unchecked(mf_live[i])) n++;
  return n;
}
export function dmabufs_live(): i32 {
  let n = 0;
  for (let i = 0; i < DMABUFS_MAX; i++) if (unchecked(db_live[i])) n++;
  return n;
}
