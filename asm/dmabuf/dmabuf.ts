// dma-buf: exporters (memfd + udmabuf over host pages; GPU VRAM), and the
// importer side the series adds (lib/io_dmabuf_token.c + nvme-pci's map op):
// a token per registration, a map created for it (the attachment DMA-mapped
// once, flattened into one device address per 4 KiB page), requests taking a
// reference on the live map, and invalidation (move_notify) with fences.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { blk_alloc, blk_free } from "../sim/mem";
import {
  advance_to, charge, core_time, ev_push, EV_INVALIDATE, EV_WORKER, LAYER_DMABUF, LAYER_SPIN, LAYER_URING, now,
} from "../sim/engine";
import {
  cost, COST_DMABUF_MAP_BASE, COST_DMABUF_MAP_PAGE, COST_FENCE, COST_TOKEN_LOOKUP, COST_TOKEN_REF_GET,
  COST_TOKEN_REF_PUT, COST_WORKER_PUNT,
} from "../sim/costs";
import * as u from "../sim/uapi";
import { fd_file_of, fd_flags_of, fd_install, fd_obj_of, fd_type_of, fd_valid_user, FT_BLKDEV, FT_DMABUF, FT_MEMFD } from "../fs/files";
import {
  DMA_BIDIRECTIONAL, DMA_MAPPING_ERROR, iommu_map_sg_kind, iommu_mode, iommu_unmap_kind, IOMMU_PASSTHROUGH,
} from "../iommu/iommu";
import {
  phys_alloc_host, phys_alloc_vram, phys_copy, phys_free, phys_host_pages_free, phys_read, phys_vram_left, phys_write,
} from "../hw/physmem";
import { core_poll_waiter, nvme_commit_rqs, nvme_dom } from "../nvme/pci";
import { blk_begin, blk_end, blk_feed, rw_check_block, rw_clamped_len } from "../io_uring/rw";
import {
  buf_entry, BF_LEN, BF_TARGET, BF_TOKEN, BF_TYPE, IO_REGBUF_TYPE_DMABUF, IO_REGBUF_TYPE_EMPTY, IO_REGBUF_TYPE_UADDR,
  slot_clear, slot_set_uaddr, SZ_1G,
} from "../io_uring/rsrc";
import {
  io_req_complete, IOU_ISSUE_SKIP_COMPLETE, r_buf_count, ring_core, ring_flags, ring_live, rq, RQ_ADDR, RQ_LEN,
  RQ_FLAGS, REQ_F_FORCE_ASYNC, RQ_MAP, RQ_OFF, RQ_OP_FLAGS, RQ_OPCODE, RQ_RFD, RQ_RING,
} from "../io_uring/io_uring";
import { fail, SIM_ERR_MAPS } from "../sim/errors";
import { EXP_DMABUF } from "../iommu/exposure";

export const MEMFDS_MAX: i32 = 256;
export const DMABUFS_MAX: i32 = 1024;
export const TOKENS_MAX: i32 = 1024;
export const MAPS_MAX: i32 = 4096;
/** udmabuf module parameters (drivers/dma-buf/udmabuf.c). */
export const UDMABUF_SIZE_LIMIT_MB: u32 = 64;
export const UDMABUF_LIST_LIMIT: u32 = 1024;
export const UDMABUF_FLAGS_CLOEXEC: u32 = 1;

// memfd seals (F_SEAL_*) and memfd_create flags.
export const F_SEAL_SEAL: u32 = 1;
export const F_SEAL_SHRINK: u32 = 2;
export const F_SEAL_GROW: u32 = 4;
export const F_SEAL_WRITE: u32 = 8;
export const MFD_ALLOW_SEALING: u32 = 2;

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

// ---- tokens (struct io_dmabuf_token) -------------------------------------------
const tk_live = new StaticArray<bool>(TOKENS_MAX);
const tk_dmabuf = new StaticArray<i32>(TOKENS_MAX);
const tk_file = new StaticArray<u32>(TOKENS_MAX); // target struct file id
const tk_ctrl = new StaticArray<i32>(TOKENS_MAX);
const tk_map = new StaticArray<i32>(TOKENS_MAX); // the published map, -1 none
const tk_slots = new StaticArray<u32>(TOKENS_MAX); // buffer-table slots holding it
const tk_maps = new StaticArray<u32>(TOKENS_MAX); // maps alive (published or dying)
const tk_fences = new StaticArray<u32>(TOKENS_MAX); // fences published, not yet signalled
const tk_seq = new StaticArray<u32>(TOKENS_MAX); // fence sequence number
const tk_wait_head = new StaticArray<u32>(TOKENS_MAX); // parked requests (req + 1)
const tk_wait_tail = new StaticArray<u32>(TOKENS_MAX);
const tk_worker = new StaticArray<bool>(TOKENS_MAX); // a worker event is pending
const tk_core = new StaticArray<i32>(TOKENS_MAX); // core the worker runs on
const tk_acct = new StaticArray<u64>(TOKENS_MAX); // bytes charged to the user's dma-buf limit

// ---- registration policy (a proposal from the LSF/MM session, off by default) ----
// David Howells asked whether dma-buf registration needs privilege, since
// long-lived maps can clog the IOMMU's address space; Pavel Begunkov agreed
// that some capability check is needed (LWN 2026-05-12). Keith Busch's 2022
// premapped-buffer series required CAP_SYS_ADMIN. The model offers both a
// capability requirement and a per-user byte limit charged like io_uring's
// RLIMIT_MEMLOCK accounting (__io_account_mem: -ENOMEM past the limit).
let pol_cap_required: bool = false;
let pol_limit_bytes: u64 = 0; // 0: no limit
let proc_cap_sys_admin: bool = true;
/** Bytes of registered dma-bufs charged to the (one) simulated user. */
export let db_user_locked_bytes: u64 = 0;

// ---- maps (struct io_dmabuf_map + the nvme map) ---------------------------------
const mp_live = new StaticArray<bool>(MAPS_MAX);
const mp_token = new StaticArray<i32>(MAPS_MAX);
const mp_refs = new StaticArray<u32>(MAPS_MAX);
const mp_dead = new StaticArray<bool>(MAPS_MAX);
const mp_dma = new StaticArray<usize>(MAPS_MAX); // u64[] device address per 4 KiB page
const mp_npages = new StaticArray<u32>(MAPS_MAX);
const mp_iova = new StaticArray<u64>(MAPS_MAX); // IOMMU range base (0: none)

/** Counters (src/dmabuf.ts DMABUF_COUNTERS). */
export let db_maps_created: u64 = 0;
export let db_maps_freed: u64 = 0;
export let db_invalidations: u64 = 0;
export let db_waits: u64 = 0;
export let db_remaps: u64 = 0;
export let db_eagain: u64 = 0;
export let db_fences_signalled: u64 = 0;
export let db_migrations: u64 = 0;
export let db_migrations_failed: u64 = 0;

/** Requests parked on a token link through this request field. */
const RQ_WAIT_NEXT: u32 = 116;
const RQ_WAITED: u32 = 120; // u8: times the request was parked

export function dmabuf_init(p2p_mask: u32): void {
  for (let i = 0; i < MEMFDS_MAX; i++) unchecked((mf_live[i] = false));
  for (let i = 0; i < DMABUFS_MAX; i++) unchecked((db_live[i] = false));
  for (let i = 0; i < TOKENS_MAX; i++) unchecked((tk_live[i] = false));
  for (let i = 0; i < MAPS_MAX; i++) unchecked((mp_live[i] = false));
  p2p_switch_mask = p2p_mask;
  pol_cap_required = false;
  pol_limit_bytes = 0;
  proc_cap_sys_admin = true;
  db_user_locked_bytes = 0;
  db_maps_created = 0;
  db_maps_freed = 0;
  db_invalidations = 0;
  db_waits = 0;
  db_remaps = 0;
  db_eagain = 0;
  db_fences_signalled = 0;
  db_migrations = 0;
  db_migrations_failed = 0;
}

// ---------------------------------------------------------------------------
// memfd

/** memfd_create: an fd, or -errno. Without MFD_ALLOW_SEALING the memfd is sealed against seals. */
export function memfd_create(flags: u32): i32 {
  if ((flags & ~(MFD_ALLOW_SEALING | 1)) != 0) return -u.EINVAL; // MFD_CLOEXEC | MFD_ALLOW_SEALING
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
  unchecked((mf_seals[id] = (flags & MFD_ALLOW_SEALING) != 0 ? 0 : F_SEAL_SEAL));
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
  if (size < old && (seals & F_SEAL_SHRINK) != 0) return -u.EPERM;
  if (size > old && (seals & F_SEAL_GROW) != 0) return -u.EPERM;
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
  if ((seals & ~(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)) != 0) return -u.EINVAL;
  if ((unchecked(mf_seals[m]) & F_SEAL_SEAL) != 0) return -u.EPERM;
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
  if (write && (unchecked(mf_seals[m]) & F_SEAL_WRITE) != 0) return -u.EPERM;
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
 * seals (F_SEAL_SHRINK required, F_SEAL_WRITE refused) and range.
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
    if ((seals & F_SEAL_SHRINK) == 0 || (seals & F_SEAL_WRITE) != 0) return -u.EINVAL;
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
function dmabuf_put(d: i32): void {
  unchecked((db_refs[d] -= 1));
  if (unchecked(db_refs[d]) != 0) return;
  const mfs = unchecked(db_memfds[d]);
  const nm = unchecked(db_nmemfds[d]);
  for (let i: u32 = 0; i < nm; i++) memfd_put(load<i32>(mfs + <usize>i * 4));
  if (mfs != 0) blk_free(mfs, <usize>nm * 4);
  blk_free(unchecked(db_pages[d]), <usize>unchecked(db_npages[d]) * 8);
  unchecked((db_live[d] = false));
}

/** close(2) of a memfd or dma-buf descriptor: its reference goes (files.ts). */
export function dmabuf_file_closed(type: u8, obj: i32): void {
  if (type == FT_MEMFD) memfd_put(obj);
  else if (type == FT_DMABUF) dmabuf_put(obj);
}

function dmabuf_of(fd: i32): i32 {
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

// ---------------------------------------------------------------------------
// Tokens and maps

function token_new(d: i32, file: u32, c: i32, core: i32): i32 {
  for (let t = 0; t < TOKENS_MAX; t++) {
    if (!unchecked(tk_live[t])) {
      unchecked((tk_live[t] = true));
      unchecked((db_refs[d] += 1));
      unchecked((tk_dmabuf[t] = d));
      unchecked((tk_file[t] = file));
      unchecked((tk_ctrl[t] = c));
      unchecked((tk_map[t] = -1));
      unchecked((tk_slots[t] = 1));
      unchecked((tk_maps[t] = 0));
      unchecked((tk_fences[t] = 0));
      unchecked((tk_seq[t] = 0));
      unchecked((tk_wait_head[t] = 0));
      unchecked((tk_wait_tail[t] = 0));
      unchecked((tk_worker[t] = false));
      unchecked((tk_core[t] = core));
      unchecked((tk_acct[t] = 0));
      return t;
    }
  }
  return -1;
}

/**
 * The NVMe driver's map op: DMA-map the attachment's sg_table once and
 * flatten it into one device address per 4 KiB page. With the IOMMU on, the
 * pages get one contiguous IOVA range; in passthrough, or for VRAM reached
 * through a switch, the addresses are physical (bus) addresses.
 */
function map_create(t: i32, core: i32): i32 {
  let m = -1;
  for (let i = 0; i < MAPS_MAX; i++) {
    if (!unchecked(mp_live[i])) {
      m = i;
      break;
    }
  }
  if (m < 0) fail(SIM_ERR_MAPS, <i64>MAPS_MAX);
  const d = unchecked(tk_dmabuf[t]);
  const n = unchecked(db_npages[d]);
  const pages = unchecked(db_pages[d]);
  charge(core, LAYER_DMABUF, cost(COST_DMABUF_MAP_BASE) + cost(COST_DMABUF_MAP_PAGE) * <u64>n);
  const dma = blk_alloc(<usize>n * 8);
  const g = unchecked(db_gpu[d]);
  const bypass = g >= 0 && (p2p_switch_mask & (<u32>1 << <u32>g)) != 0;
  let iova: u64 = 0;
  if (iommu_mode() == IOMMU_PASSTHROUGH || bypass) {
    memory.copy(dma, pages, <usize>n * 8);
  } else {
    // dma_buf_map_attachment -> dma_map_sgtable: one segment per page; the
    // IOMMU maps them into a single contiguous IOVA range.
    const segs = blk_alloc(<usize>n * 16);
    for (let i: u32 = 0; i < n; i++) {
      store<u64>(segs + <usize>i * 16, load<u64>(pages + (<usize>i << 3)));
      store<u32>(segs + <usize>i * 16 + 8, PAGE_SIZE);
    }
    iova = iommu_map_sg_kind(nvme_dom(unchecked(tk_ctrl[t])), core, segs, n, DMA_BIDIRECTIONAL, EXP_DMABUF);
    blk_free(segs, <usize>n * 16);
    if (iova == DMA_MAPPING_ERROR) {
      blk_free(dma, <usize>n * 8);
      return -u.ENOMEM;
    }
    for (let i: u32 = 0; i < n; i++) store<u64>(dma + (<usize>i << 3), iova + (<u64>i << PAGE_SHIFT));
  }
  unchecked((mp_live[m] = true));
  unchecked((mp_token[m] = t));
  unchecked((mp_refs[m] = 0));
  unchecked((mp_dead[m] = false));
  unchecked((mp_dma[m] = dma));
  unchecked((mp_npages[m] = n));
  unchecked((mp_iova[m] = iova));
  unchecked((tk_map[t] = m));
  unchecked((tk_maps[t] += 1));
  if (db_maps_created > 0 && unchecked(tk_seq[t]) > 0) db_remaps++;
  db_maps_created++;
  return m;
}

/** The last reference to a dead map dropped: the fence signals, the driver unmaps, the map is freed. */
function map_release(m: i32, core: i32): void {
  const t = unchecked(mp_token[m]);
  charge(core, LAYER_DMABUF, cost(COST_FENCE));
  db_fences_signalled++;
  const n = unchecked(mp_npages[m]);
  const iova = unchecked(mp_iova[m]);
  if (iova != 0) {
    iommu_unmap_kind(nvme_dom(unchecked(tk_ctrl[t])), core, iova, <u64>n << PAGE_SHIFT, DMA_BIDIRECTIONAL, EXP_DMABUF);
  }
  blk_free(unchecked(mp_dma[m]), <usize>n * 8);
  unchecked((mp_live[m] = false));
  db_maps_freed++;
  unchecked((tk_fences[t] -= 1));
  unchecked((tk_maps[t] -= 1));
  const d = unchecked(tk_dmabuf[t]);
  if (unchecked(tk_fences[t]) == 0) {
    if (unchecked(db_migrate[d]) && dmabuf_fences_pending(d) == 0) migrate_now(d, core);
    if (unchecked(tk_wait_head[t]) != 0) worker_schedule(t, unchecked(core_time[core]));
  }
  token_maybe_free(t);
}

/** Invalidate token `t`'s map: unpublish it, publish its fence, kill the reference. */
function token_invalidate(t: i32, core: i32): void {
  const m = unchecked(tk_map[t]);
  if (m < 0) return;
  unchecked((tk_map[t] = -1));
  unchecked((mp_dead[m] = true));
  unchecked((tk_fences[t] += 1));
  unchecked((tk_seq[t] += 1));
  charge(core, LAYER_DMABUF, cost(COST_FENCE));
  db_invalidations++;
  if (unchecked(mp_refs[m]) == 0) map_release(m, core);
}

function token_maybe_free(t: i32): void {
  if (unchecked(tk_slots[t]) == 0 && unchecked(tk_maps[t]) == 0 && unchecked(tk_wait_head[t]) == 0) {
    // All fences signalled: detach from the dma-buf, and give back what the registration was charged.
    unchecked((tk_live[t] = false));
    assert(db_user_locked_bytes >= unchecked(tk_acct[t]));
    db_user_locked_bytes -= unchecked(tk_acct[t]);
    unchecked((tk_acct[t] = 0));
    dmabuf_put(unchecked(tk_dmabuf[t]));
  }
}

function dmabuf_fences_pending(d: i32): u32 {
  let n: u32 = 0;
  for (let t = 0; t < TOKENS_MAX; t++) {
    if (unchecked(tk_live[t]) && unchecked(tk_dmabuf[t]) == d) n += unchecked(tk_fences[t]);
  }
  return n;
}

/**
 * move_notify: the exporter invalidates every importer's mapping of dma-buf
 * `d` (dma_buf_move_notify under the reservation lock).
 */
function dmabuf_move_notify(d: i32, core: i32): void {
  for (let t = 0; t < TOKENS_MAX; t++) {
    if (unchecked(tk_live[t]) && unchecked(tk_dmabuf[t]) == d) token_invalidate(t, core);
  }
}

/** A GPU exporter moves the buffer: new pages, the bytes copied, once every fence signalled. */
function migrate_now(d: i32, core: i32): void {
  unchecked((db_migrate[d] = false));
  const g = unchecked(db_gpu[d]);
  const n = unchecked(db_npages[d]);
  if (<u64>n > phys_vram_left(g)) {
    // No room to move into: the buffer stays where it is; waiting importers map it there.
    db_migrations_failed++;
    wake_waiters(d, core);
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
  wake_waiters(d, core);
}

/** Importers of `d` that waited for a move can map it now. */
function wake_waiters(d: i32, core: i32): void {
  for (let t = 0; t < TOKENS_MAX; t++) {
    if (unchecked(tk_live[t]) && unchecked(tk_dmabuf[t]) == d && unchecked(tk_wait_head[t]) != 0 &&
      unchecked(tk_fences[t]) == 0) {
      worker_schedule(t, unchecked(core_time[core]));
    }
  }
}

/** Exporter-side invalidation of dma-buf fd `fd` now, on `core`. Returns 0 or -EBADF. */
export function dmabuf_invalidate(fd: i32, core: i32, migrate: bool): i32 {
  const d = dmabuf_of(fd);
  if (d < 0) return -u.EBADF;
  // Only a GPU exporter moves memory; a udmabuf's pages belong to its memfd.
  if (migrate && unchecked(db_gpu[d]) < 0) return -u.EINVAL;
  if (migrate) unchecked((db_migrate[d] = true));
  dmabuf_move_notify(d, core);
  if (migrate && unchecked(db_migrate[d]) && dmabuf_fences_pending(d) == 0) migrate_now(d, core);
  return 0;
}

/**
 * Bring `core`'s clock to now before work runs on it from an event: a core
 * whose thread spins on a poll queue was busy meanwhile, an idle one was not.
 */
function core_catch_up(core: i32): void {
  advance_to(core, now, core_poll_waiter[core] >= 0, LAYER_SPIN);
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
  dmabuf_move_notify(<i32>d, core);
  if (unchecked(db_left[d]) > 0) ev_push(now + unchecked(db_period[d]), EV_INVALIDATE, d);
}

// ---------------------------------------------------------------------------
// Registration (IORING_RSRC_UPDATE_EXTENDED descriptors)

/**
 * Fill buffer-table slot `e` from one 80-byte struct io_uring_regbuf
 * descriptor, with the checks of the series in its order.
 */
function regbuf_apply(id: i32, e: usize, desc: usize): i32 {
  const type = load<u32>(desc);
  const flags = load<u32>(desc + 4);
  const size = load<u64>(desc + 8);
  const uaddr = load<u64>(desc + 16);
  const dmabuf_fd = load<i32>(desc + 24);
  const target_fd = load<i32>(desc + 28);
  if (type > IO_REGBUF_TYPE_DMABUF) return -u.EINVAL;
  if (flags != 0) return -u.EINVAL;
  for (let i = 0; i < 6; i++) if (load<u64>(desc + 32 + <usize>i * 8) != 0) return -u.EINVAL;
  if (type == IO_REGBUF_TYPE_DMABUF) {
    if (uaddr != 0 || size != 0) return -u.EINVAL;
    // Policy (proposal): registration needs CAP_SYS_ADMIN.
    if (pol_cap_required && !proc_cap_sys_admin) return -u.EPERM;
    if (!fd_valid_user(target_fd)) return -u.EBADF;
    // dma_buf_get: -EBADF for an fd that is not a dma-buf.
    const d = dmabuf_of(dmabuf_fd);
    if (d < 0) return -u.EBADF;
    if (unchecked(db_size[d]) > SZ_1G) return -u.EINVAL;
    // create_dmabuf_token: only block devices implement it.
    if (fd_type_of(target_fd) != FT_BLKDEV) return -u.EOPNOTSUPP;
    if ((fd_flags_of(target_fd) & u.O_DIRECT) == 0) return -u.EINVAL;
    // Policy (proposal): the registration's bytes are charged to the user, like locked_vm.
    const bytes = unchecked(db_size[d]);
    if (pol_limit_bytes != 0 && db_user_locked_bytes + bytes > pol_limit_bytes) return -u.ENOMEM;
    const t = token_new(d, fd_file_of(target_fd), fd_obj_of(target_fd), ring_core(id));
    if (t < 0) return -u.ENOMEM;
    unchecked((tk_acct[t] = bytes));
    db_user_locked_bytes += bytes;
    slot_clear(e);
    store<u32>(e + BF_TYPE, IO_REGBUF_TYPE_DMABUF);
    store<u64>(e + BF_LEN, unchecked(db_size[d]));
    store<i32>(e + BF_TOKEN, t);
    store<u32>(e + BF_TARGET, unchecked(tk_file[t]));
    return 0;
  }
  if (dmabuf_fd != 0 || target_fd != 0) return -u.EINVAL;
  if (type == IO_REGBUF_TYPE_EMPTY) {
    if (uaddr != 0 || size != 0) return -u.EFAULT;
    slot_clear(e);
    return 0;
  }
  return slot_set_uaddr(e, uaddr, size);
}


/**
 * IORING_REGISTER_BUFFERS_UPDATE with struct io_uring_rsrc_update2 (32
 * bytes at `up`): offset, flags, data, tags, nr, resv2. Returns slots updated.
 */
export function io_register_buffers_update2(id: i32, up: usize, nr_args: u32, data: usize): i32 {
  if (!ring_live(id)) return -u.EBADF;
  if (nr_args != 32) return -u.EINVAL;
  const offset = load<u32>(up);
  const flags = load<u32>(up + 4);
  const nr = load<u32>(up + 24);
  // io_register_rsrc_update: nr, the flags word (resv before the series) and resv2.
  if (nr == 0 || load<u32>(up + 28) != 0) return -u.EINVAL;
  if ((flags & ~u.IORING_RSRC_UPDATE_EXTENDED) != 0) return -u.EINVAL;
  const count = unchecked(r_buf_count[id]);
  if (count == 0) return -u.ENXIO;
  if (<u64>offset + <u64>nr > <u64>count) return -u.EINVAL;
  let done: i32 = 0;
  for (let i: u32 = 0; i < nr; i++) {
    const e = buf_entry(id, offset + i);
    let ret: i32;
    if ((flags & u.IORING_RSRC_UPDATE_EXTENDED) != 0) {
      ret = regbuf_apply(id, e, data + <usize>i * 80);
    } else {
      const base = load<u64>(data + <usize>i * 16);
      const len = load<u64>(data + <usize>i * 16 + 8);
      if (base == 0 && len == 0) {
        slot_clear(e);
        ret = 0;
      } else ret = slot_set_uaddr(e, base, len);
    }
    if (ret < 0) return done > 0 ? done : ret;
    done++;
  }
  return done;
}

/** A slot holding a dma-buf was emptied, replaced or unregistered. */
export function dmabuf_slot_release(e: usize): void {
  const t = load<i32>(e + BF_TOKEN);
  if (t < 0 || !unchecked(tk_live[t])) return;
  unchecked((tk_slots[t] -= 1));
  if (unchecked(tk_slots[t]) == 0) {
    // Drop the map: in-flight requests keep it until they complete; then
    // its fence signals and the driver unmaps.
    token_invalidate(t, unchecked(tk_core[t]));
    token_maybe_free(t);
  }
}

// ---------------------------------------------------------------------------
// The I/O path

/**
 * Import a READ_FIXED / WRITE_FIXED on a dma-buf slot: SQE addr is a byte
 * offset into the dma-buf. Then the block-device checks, a reference on the
 * live map, and the commands built from the map's page addresses.
 */
export function dmabuf_import(req: u32, e: usize, file: u32, vec: bool): i32 {
  const p = rq(req);
  if (vec) return -u.EOPNOTSUPP;
  const op = load<u8>(p + RQ_OPCODE);
  if (op != u.IORING_OP_READ_FIXED && op != u.IORING_OP_WRITE_FIXED) return -u.EFAULT;
  const t = load<i32>(e + BF_TOKEN);
  if (file != unchecked(tk_file[t])) return -u.EBADF;
  const off = load<u64>(p + RQ_ADDR);
  const len = <u64>load<u32>(p + RQ_LEN);
  if (len == 0) return -u.EFAULT;
  if (off + len < off || off + len > load<u64>(e + BF_LEN)) return -u.EFAULT;
  const id = <i32>load<u8>(p + RQ_RING);
  const core = ring_core(id);
  charge(core, LAYER_DMABUF, cost(COST_TOKEN_LOOKUP));
  const ret = rw_check_block(req, id, load<i32>(p + RQ_RFD), op == u.IORING_OP_WRITE_FIXED, off, len);
  if (ret != 1) return ret; // an error, or 0 bytes at the end of the device
  return dmabuf_issue(req, t, core, false);
}

/** Issue against the live map, or park the request for the worker. */
function dmabuf_issue(req: u32, t: i32, core: i32, from_worker: bool): i32 {
  const p = rq(req);
  const m = unchecked(tk_map[t]);
  if (m < 0) {
    // No live map: retried from an io-wq worker that waits for the old map's
    // fence and builds a new map. IOCB_NOWAIT callers get -EAGAIN instead.
    if ((load<u32>(p + RQ_OP_FLAGS) & 0x8) != 0) {
      db_eagain++;
      return -u.EAGAIN;
    }
    if (load<u8>(p + RQ_WAITED) >= 2) {
      db_eagain++;
      return -u.EAGAIN;
    }
    store<u8>(p + RQ_WAITED, load<u8>(p + RQ_WAITED) + 1);
    // The hand-off to io-wq, unless the request is already there (a worker retry, IOSQE_ASYNC).
    if (!from_worker && (load<u32>(p + RQ_FLAGS) & REQ_F_FORCE_ASYNC) == 0) {
      charge(core, LAYER_URING, cost(COST_WORKER_PUNT));
    }
    db_waits++;
    store<u32>(p + RQ_WAIT_NEXT, 0);
    if (unchecked(tk_wait_tail[t]) != 0) store<u32>(rq(unchecked(tk_wait_tail[t]) - 1) + RQ_WAIT_NEXT, req + 1);
    else unchecked((tk_wait_head[t] = req + 1));
    unchecked((tk_wait_tail[t] = req + 1));
    if (unchecked(tk_fences[t]) == 0) worker_schedule(t, unchecked(core_time[core]));
    return IOU_ISSUE_SKIP_COMPLETE;
  }
  charge(core, LAYER_DMABUF, cost(COST_TOKEN_REF_GET));
  unchecked((mp_refs[m] += 1));
  store<i32>(p + RQ_MAP, m);
  const id = <i32>load<u8>(p + RQ_RING);
  const write = load<u8>(p + RQ_OPCODE) == u.IORING_OP_WRITE_FIXED;
  const polled = (ring_flags(id) & u.IORING_SETUP_IOPOLL) != 0;
  const c = unchecked(tk_ctrl[t]);
  let off = load<u64>(p + RQ_ADDR);
  let len = rw_clamped_len;
  blk_begin(req, c, core, polled, write, true, load<u64>(p + RQ_OFF));
  const dma = unchecked(mp_dma[m]);
  let guard: u32 = 0;
  while (len > 0) {
    const in_page = off & (PAGE_SIZE - 1);
    const room = <u64>PAGE_SIZE - in_page;
    const n = len < room ? len : room;
    blk_feed(load<u64>(dma + <usize>((off >> PAGE_SHIFT) << 3)) + in_page, <u32>n);
    off += n;
    len -= n;
    if (++guard > 1 << 20) break;
  }
  const r = blk_end();
  if (r != IOU_ISSUE_SKIP_COMPLETE) {
    // Nothing reached the device: drop the reference again.
    dmabuf_map_put(req, core);
  }
  return r;
}


function worker_schedule(t: i32, at: u64): void {
  if (unchecked(tk_worker[t])) return;
  unchecked((tk_worker[t] = true));
  ev_push(at + cost(COST_WORKER_PUNT), EV_WORKER, <u32>t);
}

/** EV_WORKER: the io-wq worker builds a new map and issues the parked requests. */
export function dmabuf_worker_event(t: u32): void {
  unchecked((tk_worker[t] = false));
  if (!unchecked(tk_live[t])) return;
  if (unchecked(tk_fences[t]) != 0) return; // woken again when the fence signals
  // The exporter is moving the buffer (waiting for other importers' fences):
  // no mapping of the old pages may be handed out; woken when the move is done.
  if (unchecked(db_migrate[unchecked(tk_dmabuf[t])])) return;
  let head = unchecked(tk_wait_head[t]);
  if (head == 0) return;
  const core = ring_core(<i32>load<u8>(rq(head - 1) + RQ_RING));
  core_catch_up(core);
  unchecked((tk_wait_head[t] = 0));
  unchecked((tk_wait_tail[t] = 0));
  // Parked requests hold the buffer node (and so the token) even if their
  // slot was emptied meanwhile: they still get a map.
  if (unchecked(tk_map[t]) < 0) {
    const m = map_create(<i32>t, core);
    if (m < 0) {
      // Could not map: every parked request fails with the error.
      let guard: u32 = 0;
      while (head != 0) {
        const req = head - 1;
        head = load<u32>(rq(req) + RQ_WAIT_NEXT);
        io_req_complete(req, m);
        if (++guard > 1 << 20) break;
      }
      token_maybe_free(<i32>t);
      return;
    }
  }
  let guard: u32 = 0;
  while (head != 0) {
    const req = head - 1;
    head = load<u32>(rq(req) + RQ_WAIT_NEXT);
    const p = rq(req);
    const id = <i32>load<u8>(p + RQ_RING);
    const c = rw_check_block(req, id, load<i32>(p + RQ_RFD), load<u8>(p + RQ_OPCODE) == u.IORING_OP_WRITE_FIXED,
      load<u64>(p + RQ_ADDR), <u64>load<u32>(p + RQ_LEN));
    const r = c != 1 ? c : dmabuf_issue(req, <i32>t, core, true);
    if (r != IOU_ISSUE_SKIP_COMPLETE) io_req_complete(req, r);
    if (++guard > 1 << 20) break;
  }
  nvme_commit_rqs(core);
  // No slot holds the token any more: the map goes once these requests finish.
  if (unchecked(tk_slots[t]) == 0) token_invalidate(<i32>t, core);
  token_maybe_free(<i32>t);
}

/** A dma-buf request completed: drop its map reference (percpu_ref_put). */
export function dmabuf_map_put(req: u32, core: i32): void {
  const p = rq(req);
  const m = load<i32>(p + RQ_MAP);
  if (m < 0) return;
  store<i32>(p + RQ_MAP, -1);
  charge(core, LAYER_DMABUF, cost(COST_TOKEN_REF_PUT));
  unchecked((mp_refs[m] -= 1));
  if (unchecked(mp_refs[m]) == 0 && unchecked(mp_dead[m])) map_release(m, core);
}

/**
 * The registration policy (a proposal, see above): CAP_SYS_ADMIN required,
 * a per-user limit on registered dma-buf bytes (0: none), and whether the
 * simulated process holds CAP_SYS_ADMIN.
 */
export function dmabuf_set_policy(cap_required: bool, limit_bytes: f64, cap_sys_admin: bool): void {
  pol_cap_required = cap_required;
  pol_limit_bytes = <u64>limit_bytes;
  proc_cap_sys_admin = cap_sys_admin;
}

/** Bytes of registered dma-bufs charged to the user now. */
export function dmabuf_user_locked_bytes(): f64 {
  return <f64>db_user_locked_bytes;
}

/** dma-buf counters by index (src/dmabuf.ts). */
export function dmabuf_counter(i: i32): f64 {
  switch (i) {
    case 0: return <f64>db_maps_created;
    case 1: return <f64>db_maps_freed;
    case 2: return <f64>db_invalidations;
    case 3: return <f64>db_waits;
    case 4: return <f64>db_remaps;
    case 5: return <f64>db_eagain;
    case 6: return <f64>db_fences_signalled;
    case 7: return <f64>db_migrations;
    case 8: return <f64>db_migrations_failed;
  }
  return 0;
}

/** Maps alive (published or dying) across all tokens; tokens alive. */
export function dmabuf_maps_live(): i32 {
  let n = 0;
  for (let i = 0; i < MAPS_MAX; i++) if (unchecked(mp_live[i])) n++;
  return n;
}
export function dmabuf_tokens_live(): i32 {
  let n = 0;
  for (let i = 0; i < TOKENS_MAX; i++) if (unchecked(tk_live[i])) n++;
  return n;
}
