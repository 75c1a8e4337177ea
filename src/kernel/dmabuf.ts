/**
 * The exporters' control path: memfds (mm/memfd.c, mm/shmem.c), udmabuf
 * (drivers/dma-buf/udmabuf.c) and a GPU's VRAM exporter, as objects owning
 * their metadata — a memfd's size and seals, a dma-buf's size and exporter —
 * with each call's checks in the kernel's order. The page lists the I/O path
 * walks, and the reference counts it drops, stay in Wasm
 * (asm/dmabuf/dmabuf.ts); this module calls its primitives once it has
 * decided (`memfd_alloc`, `memfd_resize`, `memfd_pages_rw`, `udmabuf_build`,
 * `vram_dmabuf_alloc`, `dmabuf_pages_rw`).
 *
 * An object's metadata is reached only through an open descriptor (fget),
 * which holds a reference on it, so an entry whose object Wasm has since
 * released is never read; the id is given out again only by a create, which
 * writes a fresh entry.
 *
 * @module
 */
import { w } from "../wasm.ts";
import {
  EBADF,
  EFBIG,
  EINVAL,
  EPERM,
  F_SEAL_GROW,
  F_SEAL_SEAL,
  F_SEAL_SHRINK,
  F_SEAL_WRITE,
  FT_DMABUF,
  FT_MEMFD,
  MFD_ALLOW_SEALING,
  MFD_CLOEXEC,
} from "../uapi.generated.ts";
import type { DmaBufObject, KernelState, MemfdObject } from "./kernel.ts";
import { fget } from "./files.ts";

/** PAGE_SIZE, bytes. */
const PAGE_BYTES = 4096n;
/** The largest memfd (MAX_LFS_FILESIZE stands in; dmasim's simulated RAM is far smaller). */
const MEMFD_SIZE_MAX = 1n << 36n;
/** The largest VRAM dma-buf (dmasim's limit). */
const VRAM_DMABUF_SIZE_MAX = 1n << 36n;
/** udmabuf module parameter size_limit_mb (drivers/dma-buf/udmabuf.c). */
export const UDMABUF_SIZE_LIMIT_MB = 64;
/** udmabuf module parameter list_limit. */
export const UDMABUF_LIST_LIMIT = 1024;
/** UDMABUF_FLAGS_CLOEXEC (linux/udmabuf.h). */
export const UDMABUF_FLAGS_CLOEXEC = 1;
/** sizeof(struct udmabuf_create_item): u32 memfd, u32 pad, u64 offset, u64 size. */
export const UDMABUF_ITEM_SIZE = 24;

/**
 * The memfd behind `fd` and its index; -EBADF when `fd` is not open,
 * `notMemfd` when it is open but not a memfd.
 */
function memfdOf(k: KernelState, fd: number, notMemfd: number): { m: number; obj: MemfdObject } | number {
  const f = fget(k.view, fd);
  if (f === null) return -EBADF;
  if (f.type !== FT_MEMFD) return notMemfd;
  return { m: f.obj, obj: k.exporters.memfds.get(f.obj)! };
}

/** The dma-buf behind `fd` and its index (dma_buf_get), or null when `fd` is not an open dma-buf. */
export function dmaBufGet(k: KernelState, fd: number): { d: number; obj: DmaBufObject } | null {
  const f = fget(k.view, fd);
  if (f === null || f.type !== FT_DMABUF) return null;
  return { d: f.obj, obj: k.exporters.dmabufs.get(f.obj)! };
}

/**
 * memfd_create(2): -EINVAL for a flag other than MFD_CLOEXEC and
 * MFD_ALLOW_SEALING; without MFD_ALLOW_SEALING the memfd is sealed against
 * seals (F_SEAL_SEAL). The fd, or -errno.
 */
export function memfdCreate(k: KernelState, flags: number): number {
  if ((flags & ~(MFD_ALLOW_SEALING | MFD_CLOEXEC)) !== 0) return -EINVAL;
  const fd = w.memfd_alloc();
  if (fd < 0) return fd;
  const m = fget(k.view, fd)!.obj;
  k.exporters.memfds.set(m, { size: 0n, seals: (flags & MFD_ALLOW_SEALING) !== 0 ? 0 : F_SEAL_SEAL });
  return fd;
}

/**
 * ftruncate(2) on a memfd (do_truncate → shmem_setattr): -EBADF (not open),
 * -EINVAL (not a memfd), -EPERM against F_SEAL_SHRINK or F_SEAL_GROW, -EFBIG
 * past the largest size, -ENOMEM when RAM runs out (nothing taken). 0 or -errno.
 */
export function memfdTruncate(k: KernelState, fd: number, size: bigint): number {
  const mf = memfdOf(k, fd, -EINVAL);
  if (typeof mf === "number") return mf;
  const { m, obj } = mf;
  if (size < obj.size && (obj.seals & F_SEAL_SHRINK) !== 0) return -EPERM;
  if (size > obj.size && (obj.seals & F_SEAL_GROW) !== 0) return -EPERM;
  if (size > MEMFD_SIZE_MAX) return -EFBIG;
  const r = w.memfd_resize(m, Number((size + PAGE_BYTES - 1n) / PAGE_BYTES));
  if (r < 0) return r;
  obj.size = size;
  return 0;
}

/**
 * fcntl(F_ADD_SEALS) on a memfd (memfd_add_seals): -EBADF, -EINVAL (not a
 * memfd, an unknown seal), -EPERM once F_SEAL_SEAL is set. 0 or -errno.
 */
export function memfdAddSeals(k: KernelState, fd: number, seals: number): number {
  const mf = memfdOf(k, fd, -EINVAL);
  if (typeof mf === "number") return mf;
  if ((seals & ~(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)) !== 0) return -EINVAL;
  if ((mf.obj.seals & F_SEAL_SEAL) !== 0) return -EPERM;
  mf.obj.seals |= seals;
  return 0;
}

/**
 * pwrite(2)/pread(2) on a memfd through the staging area at `scratch`:
 * -EBADF (not a memfd), 0 at or past its end, the length clamped to it,
 * -EPERM for a write against F_SEAL_WRITE. Bytes copied, or -errno.
 */
export function memfdRw(
  k: KernelState,
  fd: number,
  off: bigint,
  scratch: number,
  len: number,
  write: boolean,
): number {
  const mf = memfdOf(k, fd, -EBADF);
  if (typeof mf === "number") return mf;
  const size = mf.obj.size;
  if (off >= size) return 0;
  if (off + BigInt(len) > size) len = Number(size - off);
  if (write && (mf.obj.seals & F_SEAL_WRITE) !== 0) return -EPERM;
  w.memfd_pages_rw(mf.m, off, scratch, len, write ? 1 : 0);
  return len;
}

/** One struct udmabuf_create_item, as read from memory. */
interface UdmabufItem {
  memfd: number;
  offset: bigint;
  size: bigint;
}

/** The `count` items at `items`. */
function readItems(v: DataView, items: number, count: number): UdmabufItem[] {
  return Array.from({ length: count }, (_, i) => {
    const p = items + UDMABUF_ITEM_SIZE * i;
    return {
      memfd: v.getInt32(p, true),
      offset: v.getBigUint64(p + 8, true),
      size: v.getBigUint64(p + 16, true),
    };
  });
}

/**
 * The list's own checks (udmabuf_create, before any memfd is looked at):
 * every offset and size page aligned, the pages within size_limit_mb, and
 * some pages at all. The page count, or -EINVAL.
 */
function udmabufListPages(list: readonly UdmabufItem[]): number {
  const pglimit = (BigInt(UDMABUF_SIZE_LIMIT_MB) << 20n) / PAGE_BYTES;
  let pgcnt = 0n;
  for (const it of list) {
    if (it.offset % PAGE_BYTES !== 0n || it.size % PAGE_BYTES !== 0n) return -EINVAL;
    pgcnt += it.size / PAGE_BYTES;
    if (pgcnt > pglimit) return -EINVAL;
  }
  return pgcnt === 0n ? -EINVAL : Number(pgcnt);
}

/**
 * UDMABUF_CREATE_LIST: `count` items at `items` in memory. Checks as
 * udmabuf_create: flags, count against list_limit (-EINVAL), the list's
 * alignment and size limit (-EINVAL), then each memfd: open and a memfd
 * (-EBADF), F_SEAL_SHRINK set and F_SEAL_WRITE not (-EINVAL), the range
 * inside it (-EINVAL). The dma-buf fd, or -errno.
 */
export function udmabufCreate(k: KernelState, items: number, count: number, flags: number): number {
  if ((flags & ~UDMABUF_FLAGS_CLOEXEC) !== 0) return -EINVAL;
  if (count === 0 || count > UDMABUF_LIST_LIMIT) return -EINVAL;
  const list = readItems(k.view, items, count);
  const pgcnt = udmabufListPages(list);
  if (pgcnt < 0) return pgcnt;
  for (const it of list) {
    const mf = memfdOf(k, it.memfd, -EBADF);
    if (typeof mf === "number") return mf;
    if ((mf.obj.seals & F_SEAL_SHRINK) === 0 || (mf.obj.seals & F_SEAL_WRITE) !== 0) return -EINVAL;
    const end = it.offset + it.size;
    if (end >= 1n << 64n || end > mf.obj.size) return -EINVAL;
  }
  const fd = w.udmabuf_build(items, count, pgcnt);
  if (fd < 0) return fd;
  const d = fget(k.view, fd)!.obj;
  k.exporters.dmabufs.set(d, { size: BigInt(pgcnt) * PAGE_BYTES, exporter: "udmabuf", gpu: -1 });
  return fd;
}

/**
 * A dma-buf of `size` bytes of GPU `gpu`'s memory (the VRAM exporter):
 * -EINVAL for no size, a size not page aligned or past the largest; then
 * -ENOMEM when the VRAM left is too small. Its fd, or -errno.
 */
export function vramDmabufCreate(k: KernelState, gpu: number, size: bigint): number {
  if (size === 0n || size % PAGE_BYTES !== 0n) return -EINVAL;
  if (size > VRAM_DMABUF_SIZE_MAX) return -EINVAL;
  const fd = w.vram_dmabuf_alloc(gpu, Number(size / PAGE_BYTES));
  if (fd < 0) return fd;
  const d = fget(k.view, fd)!.obj;
  k.exporters.dmabufs.set(d, { size, exporter: "vram", gpu });
  return fd;
}

/** A dma-buf's size in bytes, or -EBADF when `fd` is not an open dma-buf. */
export function dmaBufSize(k: KernelState, fd: number): number {
  const db = dmaBufGet(k, fd);
  return db === null ? -EBADF : Number(db.obj.size);
}

/**
 * CPU access to a dma-buf's bytes (filling and checking) through the staging
 * area at `scratch`: -EBADF (not a dma-buf), 0 at or past its end, the length
 * clamped to it. Bytes copied, or -errno.
 */
export function dmaBufRw(
  k: KernelState,
  fd: number,
  off: bigint,
  scratch: number,
  len: number,
  write: boolean,
): number {
  const db = dmaBufGet(k, fd);
  if (db === null) return -EBADF;
  if (off >= db.obj.size) return 0;
  if (off + BigInt(len) > db.obj.size) len = Number(db.obj.size - off);
  w.dmabuf_pages_rw(db.d, off, scratch, len, write ? 1 : 0);
  return len;
}

/**
 * The exporter invalidates every importer's mapping of the dma-buf behind
 * `fd` now, on `core` (dma_buf_move_notify). With `migrate` the exporter also
 * moves the memory once every importer's fence has signalled: only a GPU's
 * VRAM exporter moves memory (a udmabuf's pages are its memfds'), so -EINVAL
 * for the others. The fan-out to the importers, their fences and the deferred
 * move run in Wasm, where the fences signal as I/Os complete. 0 or -errno.
 */
export function dmaBufMoveNotify(k: KernelState, fd: number, core: number, migrate: boolean): number {
  const db = dmaBufGet(k, fd);
  if (db === null) return -EBADF;
  if (migrate && db.obj.exporter !== "vram") return -EINVAL;
  w.dma_buf_move_notify(db.d, core, migrate ? 1 : 0);
  return 0;
}

/**
 * Schedule `count` invalidations of the dma-buf behind `fd`, the first at
 * simulated `atNs`, then every `periodNs`: events of the Wasm loop, which
 * runs each move_notify at its time. 0, or -EBADF when `fd` is not a dma-buf.
 */
export function dmaBufScheduleInvalidate(
  k: KernelState,
  fd: number,
  atNs: number,
  periodNs: number,
  count: number,
): number {
  const db = dmaBufGet(k, fd);
  if (db === null) return -EBADF;
  if (count === 0) return 0;
  w.dmabuf_schedule_invalidate(db.d, atNs, periodNs, count);
  return 0;
}
