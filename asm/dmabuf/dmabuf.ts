// dma-buf exporters and the dma-buf core (drivers/dma-buf): memfds, udmabuf
// over memfd pages, GPU VRAM buffers; each dma-buf's reference count, its
// reservation object's count of unsignalled fences, and exporter-side
// invalidation (dma_buf_move_notify) with GPU migration. Importers sit
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
/** udmabuf module parameters (drivers/dma-buf/udmabuf.c). */
export const UDMABUF_SIZE_LIMIT_MB: u32 = 64;
export const UDMABUF_LIST_LIMIT: u32 = 1024;
export const UDMABUF_FLAGS_CLOEXEC: u32 = 1;


// ---- memfds -------------------------------------------------------------------
const mf_live = new StaticArray<bool>(MEMFDS_MAX);
const mf_size = new StaticArray<u64>(MEMFDS_MAX);
const mf_pages = new StaticArray<usize>(MEMFDS_MAX); // u64[] pa per page
const mf_cap = new StaticArray<u32>(MEMFDS_MAX); // pages the array can hold
const mf_seals = new StaticArray<u32>(MEMFDS_MAX);
const mf_refs = new StaticArray<u32>(MEMFDS_MAX); // open fds + udmabufs over it

// ---- dma-bufs -----------------------------------------------------------------
const db_live = new StaticArray<bool>(DMABUFS_MAX);
const db_size = new StaticArray<u64>(DMABUFS_MAX);
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

/** memfd_create: an fd, or -errno. Without u.MFD_ALLOW_SEALING the memfd is sealed against seals. */
export function memfd_create(flags: u32): i32 {
  if ((flags & ~(u.MFD_ALLOW_SEALING | 1)) != 0) return -u.EINVAL; // MFD_CLOEXEC | u.MFD_ALLOW_SEALING
  let id = -1;
  for (let i = 0; i < MEMFDS_MAX; i++) {
    if (!unchecked(mf_live[i])) {
      id = i;
      break;
    }
  }
  if (id < 0) return -u.ENOMEM; // dmasim's memfd table (MEMFDS_MAX) is full
  const fd = fd_install(FT_MEMFD, id, u.O_RDWR);
  if (fd < 0) return fd;
  unchecked((mf_live[id] = true));
  unchecked((mf_refs[id] = 1));
  unchecked((mf_size[id] = 0));
  unchecked((mf_pages[id] = 0));
  unchecked((mf_cap[id] = 0));
  unchecked((mf_seals[id] = (flags & u.MFD_ALLOW_SEALING) != 0 ? 0 : u.F_SEAL_SEAL));
  return fd;
}

function memfd_of(fd: i32): i32 {
  return fd_valid_user(fd) && fd_type_of(fd) == FT_MEMFD ? fd_obj_of(fd) : -1;
}

/** ftruncate on a memfd: 0 or -errno (-EPERM against a seal). */
export function memfd_truncate(fd: i32, size: u64): i32 {
  if (!fd_valid_user(fd)) return -u.EBADF;
  const m = memfd_of(fd);
  if (m < 0) return -u.EINVAL;
  const old = unchecked(mf_size[m]);
  const seals = unchecked(mf_seals[m]);
  if (size < old && (seals & u.F_SEAL_SHRINK) != 0) return -u.EPERM;
  if (size > old && (seals & u.F_SEAL_GROW) != 0) return -u.EPERM;
  if (size > (<u64>1 << 36)) return -u.EFBIG;
  const n = <u32>((size + PAGE_SIZE - 1) >> PAGE_SHIFT);
  const oldn = <u32>((old + PAGE_SIZE - 1) >> PAGE_SHIFT);
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
  // Growing past the RAM left fails whole, taking nothing.
  if (n > oldn && <u64>(n - oldn) > phys_host_pages_free()) return -u.ENOMEM;
  for (let i = oldn; i < n; i++) store<u64>(pages + (<usize>i << 3), phys_alloc_host());
  for (let i = n; i < oldn; i++) phys_free(load<u64>(pages + (<usize>i << 3)));
  unchecked((mf_size[m] = size));
  return 0;
}

/** fcntl(F_ADD_SEALS): 0 or -EPERM. */
export function memfd_add_seals(fd: i32, seals: u32): i32 {
  if (!fd_valid_user(fd)) return -u.EBADF;
  const m = memfd_of(fd);
  if (m < 0) return -u.EINVAL;
  if ((seals & ~(u.F_SEAL_SEAL | u.F_SEAL_SHRINK | u.F_SEAL_GROW | u.F_SEAL_WRITE)) != 0) return -u.EINVAL;
  if ((unchecked(mf_seals[m]) & u.F_SEAL_SEAL) != 0) return -u.EPERM;
  unchecked((mf_seals[m] = unchecked(mf_seals[m]) | seals));
  return 0;
}

/** pwrite/pread on a memfd through `scratch`. Returns bytes or -errno. */
export function memfd_rw(fd: i32, off: u64, scratch: usize, len: u32, write: bool): i32 {
  const m = memfd_of(fd);
  if (m < 0) return -u.EBADF;
  const size = unchecked(mf_size[m]);
  if (off >= size) return 0;
  if (off + len > size) len = <u32>(size - off);
  if (write && (unchecked(mf_seals[m]) & u.F_SEAL_WRITE) != 0) return -u.EPERM;
  pages_rw(unchecked(mf_pages[m]), off, scratch, len, write);
  return <i32>len;
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

function dmabuf_new(size: u64, gpu: i32): i32 {
  for (let i = 0; i < DMABUFS_MAX; i++) {
    if (!unchecked(db_live[i])) {
      const n = <u32>(size >> PAGE_SHIFT);
      unchecked((db_live[i] = true));
      unchecked((db_refs[i] = 1));
      unchecked((db_memfds[i] = 0));
      unchecked((db_nmemfds[i] = 0));
      unchecked((db_size[i] = size));
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
 * UDMABUF_CREATE_LIST: `count` items (24 bytes: u32 memfd, u32 pad, u64
 * offset, u64 size) at `items`. Checks as udmabuf_create: flags, count
 * against list_limit, page alignment and size_limit_mb, then each memfd's
 * seals (u.F_SEAL_SHRINK required, u.F_SEAL_WRITE refused) and range.
 * Returns the dma-buf fd, or -errno.
 */
export function udmabuf_create(items: usize, count: u32, flags: u32): i32 {
  if ((flags & ~UDMABUF_FLAGS_CLOEXEC) != 0) return -u.EINVAL;
  if (count == 0 || count > UDMABUF_LIST_LIMIT) return -u.EINVAL;
  const pglimit: u64 = (<u64>UDMABUF_SIZE_LIMIT_MB << 20) >> PAGE_SHIFT;
  let pgcnt: u64 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const it = items + <usize>i * 24;
    const off = load<u64>(it + 8);
    const size = load<u64>(it + 16);
    if ((off & (PAGE_SIZE - 1)) != 0 || (size & (PAGE_SIZE - 1)) != 0) return -u.EINVAL;
    pgcnt += size >> PAGE_SHIFT;
    if (pgcnt > pglimit) return -u.EINVAL;
  }
  if (pgcnt == 0) return -u.EINVAL;
  for (let i: u32 = 0; i < count; i++) {
    const it = items + <usize>i * 24;
    const fd = load<i32>(it);
    if (!fd_valid_user(fd) || fd_type_of(fd) != FT_MEMFD) return -u.EBADF;
    const m = fd_obj_of(fd);
    const seals = unchecked(mf_seals[m]);
    if ((seals & u.F_SEAL_SHRINK) == 0 || (seals & u.F_SEAL_WRITE) != 0) return -u.EINVAL;
    const off = load<u64>(it + 8);
    const size = load<u64>(it + 16);
    if (off + size < off || off + size > unchecked(mf_size[m])) return -u.EINVAL;
  }
  const d = dmabuf_new(pgcnt << PAGE_SHIFT, -1);
  if (d < 0) return -u.ENOMEM;
  const dst = unchecked(db_pages[d]);
  const mfs = blk_alloc(<usize>count * 4);
  unchecked((db_memfds[d] = mfs));
  unchecked((db_nmemfds[d] = count));
  let k: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const it = items + <usize>i * 24;
    const m = fd_obj_of(load<i32>(it));
    // The udmabuf pins the memfd's pages: it holds a reference on the memfd.
    store<i32>(mfs + <usize>i * 4, m);
    unchecked((mf_refs[m] += 1));
    const first = <u32>(load<u64>(it + 8) >> PAGE_SHIFT);
    const n = <u32>(load<u64>(it + 16) >> PAGE_SHIFT);
    for (let j: u32 = 0; j < n; j++) {
      store<u64>(dst + (<usize>k << 3), load<u64>(unchecked(mf_pages[m]) + (<usize>(first + j) << 3)));
      k++;
    }
  }
  const fd = fd_install(FT_DMABUF, d, u.O_RDWR);
  if (fd < 0) dmabuf_put(d);
  return fd;
}

/** A dma-buf of `size` bytes of GPU `gpu`'s memory (a VRAM exporter). Returns its fd or -errno. */
export function vram_dmabuf_create(gpu: i32, size: u64): i32 {
  if (size == 0 || (size & (PAGE_SIZE - 1)) != 0) return -u.EINVAL;
  if (size > (<u64>1 << 36)) return -u.EINVAL;
  // VRAM is handed out once (a bump allocator): check it all fits before taking any.
  if ((size >> PAGE_SHIFT) > phys_vram_left(gpu)) return -u.ENOMEM;
  const d = dmabuf_new(size, gpu);
  if (d < 0) return -u.ENOMEM;
  const pages = unchecked(db_pages[d]);
  const n = unchecked(db_npages[d]);
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
  const n = <u32>((unchecked(mf_size[m]) + PAGE_SIZE - 1) >> PAGE_SHIFT);
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

export function dmabuf_size(fd: i32): f64 {
  const d = dmabuf_of(fd);
  return d < 0 ? -9 : <f64>unchecked(db_size[d]);
}

/** CPU access to a dma-buf's bytes (for filling and checking) through `scratch`. */
export function dmabuf_rw(fd: i32, off: u64, scratch: usize, len: u32, write: bool): i32 {
  const d = dmabuf_of(fd);
  if (d < 0) return -u.EBADF;
  const size = unchecked(db_size[d]);
  if (off >= size) return 0;
  if (off + len > size) len = <u32>(size - off);
  pages_rw(unchecked(db_pages[d]), off, scratch, len, write);
  return <i32>len;
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
/** Size in bytes of dma-buf `d`. */
export function dmabuf_size_of(d: i32): u64 {
  return unchecked(db_size[d]);
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

/** Exporter-side invalidation of dma-buf fd `fd` now, on `core`. Returns 0 or -EBADF. */
export function dmabuf_invalidate(fd: i32, core: i32, migrate: bool): i32 {
  const d = dmabuf_of(fd);
  if (d < 0) return -u.EBADF;
  // Only a GPU exporter moves memory; a udmabuf's pages belong to its memfd.
  if (migrate && unchecked(db_gpu[d]) < 0) return -u.EINVAL;
  if (migrate) unchecked((db_migrate[d] = true));
  importer_move_notify(d, core);
  if (migrate && unchecked(db_migrate[d]) && dmabuf_fences_pending(d) == 0) dmabuf_migrate(d, core);
  return 0;
}

/** Schedule `count` invalidations of `fd`, the first at `t_ns`, then every `period_ns`. */
export function dmabuf_schedule_invalidate(fd: i32, t_ns: f64, period_ns: f64, count: u32): i32 {
  const d = dmabuf_of(fd);
  if (d < 0) return -u.EBADF;
  if (count == 0) return 0;
  unchecked((db_period[d] = <u64>period_ns));
  unchecked((db_left[d] = count));
  ev_push(<u64>t_ns, EV_INVALIDATE, <u32>d);
  return 0;
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
