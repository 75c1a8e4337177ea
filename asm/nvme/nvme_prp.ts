// NVMe data pointers as nvme-pci builds them: PRP1/PRP2, PRP lists from a
// 256-byte or 4 KiB dma_pool, SGL descriptors; and the controller-side walk
// that turns a command's data pointer back into physical chunks.
//
// Host side follows drivers/nvme/host/pci.c (nvme_map_data,
// nvme_pci_setup_prps, nvme_pci_setup_sgls, nvme_pci_use_sgls); the
// controller side follows the NVMe base specification's PRP and SGL rules,
// rejecting what a real controller rejects with its generic status code.
// Everything the controller reads (list pages, SGL segments) is written into
// simulated physical memory, so the bytes can be inspected through physmem.

import { PAGE_SIZE, PAGE_SHIFT } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import * as u from "../sim/uapi";
import { charge, LAYER_NVME, res_freed } from "../sim/engine";
import { cost, COST_PRP_ENTRY, COST_PRP_LIST_ALLOC, COST_SGL_DESC } from "../sim/costs";
import { phys_alloc_host, phys_free, phys_kind, phys_read_u64, phys_write_u64, KIND_NONE } from "../hw/physmem";
import {
  iommu_map_coherent, iommu_pa_kind, iommu_translate, iommu_translate_kind, DMA_FAULT, DMA_MAPPING_ERROR,
} from "../iommu/iommu";

/** Bytes of driver-private state per command (struct nvme_iod analogue). */
export const NVME_IOD_SIZE: u32 = 128;

// Return values of nvme_setup_data.
export const BLK_STS_OK: i32 = 0;
/** Pool exhausted: the block layer requeues the request and retries later. */
export const BLK_STS_RESOURCE: i32 = 1;
export const EINVAL: i32 = 22;

// NVMe generic command status values (include/linux/nvme.h names).
// nvme_walk_data returns them negated.
export const NVME_SC_INVALID_FIELD: i32 = 0x2;
export const NVME_SC_DATA_XFER_ERROR: i32 = 0x4;
/** Also returned when the caller's chunk array is too small. */
export const NVME_SC_INTERNAL: i32 = 0x6;
/** Invalid SGL Segment descriptor (bad length, misplaced, in a last segment). */
export const NVME_SC_SGL_INVALID_LAST: i32 = 0xd;
/** Invalid number of SGL descriptors (our walk limit). */
export const NVME_SC_SGL_INVALID_COUNT: i32 = 0xe;
/** Data SGL length invalid: the descriptors do not add up to the transfer. */
export const NVME_SC_SGL_INVALID_DATA: i32 = 0xf;
export const NVME_SC_SGL_INVALID_TYPE: i32 = 0x11;
export const NVME_SC_PRP_INVALID_OFFSET: i32 = 0x13;
export const NVME_SC_SGL_INVALID_SUBTYPE: i32 = 0x17;

// Command layout (struct nvme_rw_command).
/** PSDT field of the flags byte (bits 7:6). */
export const NVME_CMD_PSDT_MASK: u8 = 0xc0;
/** PSDT 01b: SGL for data, metadata pointer is a contiguous buffer. */
export const NVME_CMD_SGL_METABUF: u8 = 1 << 6;
/** PSDT 10b: SGL for data and metadata. */
export const NVME_CMD_SGL_METASEG: u8 = 1 << 7;

// SGL descriptor types (byte 15 bits 7:4) and the address subtype.
export const NVME_SGL_FMT_DATA_DESC: u8 = 0x0;
export const NVME_SGL_FMT_BIT_BUCKET_DESC: u8 = 0x1;
export const NVME_SGL_FMT_SEG_DESC: u8 = 0x2;
export const NVME_SGL_FMT_LAST_SEG_DESC: u8 = 0x3;
export const NVME_SGL_FMT_KEYED_DATA_DESC: u8 = 0x4;
export const NVME_SGL_FMT_ADDRESS: u8 = 0x0;
export const NVME_SGL_DESC_SIZE: u32 = 16;

// Pools (dma_pool analogue): "prp list 256" and "prp list page".
export const NVME_POOL_SMALL: i32 = 0;
export const NVME_POOL_LARGE: i32 = 1;
export const NVME_POOL_NONE: i32 = -1;
export const NVME_SMALL_POOL_SIZE: u32 = 256;
export const NVME_DEVS_MAX: i32 = 16;
/** PRP entries in one list page (NVME_CTRL_PAGE_SIZE / 8). */
export const NVME_PRPS_PER_PAGE: u32 = PAGE_SIZE >> 3;
/** SGL descriptors in one 4 KiB array. */
export const NVME_SGES_PER_PAGE: u32 = PAGE_SIZE / NVME_SGL_DESC_SIZE;
/** List pages / SGL arrays per command (NVME_MAX_NR_ALLOCATIONS). */
export const NVME_MAX_NR_ALLOCATIONS: u32 = 5;
/** Sanity bound on the DMA segments of one command (a limit for loops). */
export const NVME_DATA_SEGS_MAX: u32 = 4096;
/** Descriptors the controller walks before it calls an SGL malformed. */
export const NVME_SGL_WALK_DESCS_MAX: u32 = 65536;

const PAGE_MASK: u64 = <u64>PAGE_SIZE - 1;
const SMALL_BLOCKS_PER_PAGE: u32 = PAGE_SIZE / NVME_SMALL_POOL_SIZE;
const BLOCK_NONE: u32 = u32.MAX_VALUE;

// Segment list entry (16 bytes): u64 dma, u32 len, u32 pad.
const SEG_SIZE: usize = 16;

// iod layout (the part of struct nvme_iod this module owns).
const IOD_SGL: usize = 0; // u8: 1 when the command uses SGL
const IOD_POOL: usize = 1; // i8: NVME_POOL_* of the allocations
const IOD_NR_ALLOC: usize = 2; // u8: list pages / SGL arrays held
const IOD_DEV: usize = 3; // u8: device the pool blocks belong to
const IOD_ENTRIES: usize = 4; // u32: PRP entries / SGL descriptors written
const IOD_HANDLE: usize = 8; // u32[5]: pool block handles
const IOD_DMA: usize = 32; // u64[5]: DMA address of each list page / array
const IOD_PA: usize = 72; // u64[5]: physical address of each
// 112 bytes used of NVME_IOD_SIZE.

// Pool tables, laid out at nvme_prp_init; pool index = dev * 2 + pool.
let devs_n: i32 = 0;
let pages_max: u32 = 0;
let pool_dom: usize = 0; // i32[]: the domain the pages are mapped in, -1 before the first page
let pool_pages: usize = 0; // u32[]: pages grown
let pool_free_n: usize = 0; // u32[]: blocks on the free stack
let pool_page_pa: usize = 0; // u64[pool][pages_max]
let pool_page_dma: usize = 0; // u64[pool][pages_max]
let pool_free: usize = 0; // u32[pool][pages_max * SMALL_BLOCKS_PER_PAGE]: free stack of handles
// Results of the last dma_pool_alloc (a second return value without GC).
let alloc_pa: u64 = 0;
let alloc_dma: u64 = 0;

export function nvme_prp_init(devs: i32, pool_pages_max: u32): void {
  assert(devs >= 0 && devs <= NVME_DEVS_MAX);
  devs_n = devs;
  pages_max = pool_pages_max;
  const pools = <usize>devs * 2;
  pool_dom = mem_alloc(pools * 4 + 4, 8);
  pool_pages = mem_alloc(pools * 4 + 4, 8);
  pool_free_n = mem_alloc(pools * 4 + 4, 8);
  pool_page_pa = mem_alloc(pools * <usize>pool_pages_max * 8 + 8, 8);
  pool_page_dma = mem_alloc(pools * <usize>pool_pages_max * 8 + 8, 8);
  pool_free = mem_alloc(pools * <usize>pool_pages_max * SMALL_BLOCKS_PER_PAGE * 4 + 4, 8);
  for (let p: usize = 0; p < pools; p++) store<i32>(pool_dom + (p << 2), -1);
  // mem_alloc hands out zeroed memory: page and free counts start at 0.
  alloc_pa = 0;
  alloc_dma = 0;
}

// ---------------------------------------------------------------------------
// dma_pool analogue

// @ts-ignore: decorator
@inline function pool_block_size(pool: i32): u32 {
  return pool == NVME_POOL_SMALL ? NVME_SMALL_POOL_SIZE : PAGE_SIZE;
}

// @ts-ignore: decorator
@inline function pool_blocks_per_page(pool: i32): u32 {
  return pool == NVME_POOL_SMALL ? SMALL_BLOCKS_PER_PAGE : 1;
}

// @ts-ignore: decorator
@inline function pool_free_stack(pi: usize): usize {
  return pool_free + pi * <usize>pages_max * SMALL_BLOCKS_PER_PAGE * 4;
}

/**
 * dma_pool_alloc: a block of `pool` for device `dev`, growing the pool by one
 * coherent page when its free list is empty. Returns the block handle (its
 * pa/dma in alloc_pa/alloc_dma) or BLOCK_NONE when the pool may not grow.
 */
function dma_pool_alloc(dev: i32, dom: i32, core: i32, pool: i32): u32 {
  assert(dev >= 0 && dev < devs_n);
  const pi = <usize>(dev * 2 + pool);
  const stack = pool_free_stack(pi);
  let free_n = load<u32>(pool_free_n + (pi << 2));
  if (free_n == 0) {
    const pages = load<u32>(pool_pages + (pi << 2));
    if (pages >= pages_max) return BLOCK_NONE;
    const pa = phys_alloc_host();
    if (pa == 0) return BLOCK_NONE;
    const dma = iommu_map_coherent(dom, pa);
    if (dma == DMA_MAPPING_ERROR) {
      phys_free(pa);
      return BLOCK_NONE;
    }
    // One device, one domain: the pool's mappings are only valid there.
    const pool_dom_was = load<i32>(pool_dom + (pi << 2));
    assert(pool_dom_was < 0 || pool_dom_was == dom);
    store<i32>(pool_dom + (pi << 2), dom);
    store<u64>(pool_page_pa + ((pi * <usize>pages_max + pages) << 3), pa);
    store<u64>(pool_page_dma + ((pi * <usize>pages_max + pages) << 3), dma);
    store<u32>(pool_pages + (pi << 2), pages + 1);
    // Push in reverse so the page's first block is handed out first.
    const per_page = pool_blocks_per_page(pool);
    for (let b: u32 = 0; b < per_page; b++) {
      store<u32>(stack + (<usize>free_n << 2), pages * per_page + (per_page - 1 - b));
      free_n++;
    }
  }
  free_n--;
  store<u32>(pool_free_n + (pi << 2), free_n);
  const handle = load<u32>(stack + (<usize>free_n << 2));
  const per_page = pool_blocks_per_page(pool);
  const page = handle / per_page;
  const off = <u64>((handle % per_page) * pool_block_size(pool));
  alloc_pa = load<u64>(pool_page_pa + ((pi * <usize>pages_max + page) << 3)) + off;
  alloc_dma = load<u64>(pool_page_dma + ((pi * <usize>pages_max + page) << 3)) + off;
  charge(core, LAYER_NVME, cost(COST_PRP_LIST_ALLOC));
  return handle;
}

function dma_pool_free(dev: i32, pool: i32, handle: u32): void {
  const pi = <usize>(dev * 2 + pool);
  const free_n = load<u32>(pool_free_n + (pi << 2));
  assert(free_n < load<u32>(pool_pages + (pi << 2)) * pool_blocks_per_page(pool));
  store<u32>(pool_free_stack(pi) + (<usize>free_n << 2), handle);
  store<u32>(pool_free_n + (pi << 2), free_n + 1);
  // A request refused for want of a pool block (BLK_STS_RESOURCE) may get one now.
  res_freed();
}

/** Record a freshly allocated block (alloc_pa/alloc_dma) in the iod. */
function iod_push_alloc(iod: usize, handle: u32): void {
  const i = <usize>load<u8>(iod + IOD_NR_ALLOC);
  assert(i < <usize>NVME_MAX_NR_ALLOCATIONS);
  store<u32>(iod + IOD_HANDLE + (i << 2), handle);
  store<u64>(iod + IOD_DMA + (i << 3), alloc_dma);
  store<u64>(iod + IOD_PA + (i << 3), alloc_pa);
  store<u8>(iod + IOD_NR_ALLOC, <u8>(i + 1));
}

/**
 * Free the PRP list pages / SGL arrays recorded in `iod`. Inlined into the
 * completion: most commands (one or two pages) hold none.
 */
// @ts-ignore: decorator
@inline export function nvme_free_data(dev: i32, iod: usize): void {
  const n = <u32>load<u8>(iod + IOD_NR_ALLOC);
  if (n > 0) nvme_free_descriptors(dev, iod, n);
  // IOD_POOL and IOD_NR_ALLOC are adjacent bytes: one store clears both (no pool, nothing held).
  store<u16>(iod + IOD_POOL, <u16><u8><i8>NVME_POOL_NONE);
}

/** The `n` pool blocks `iod` holds go back to their pool. */
function nvme_free_descriptors(dev: i32, iod: usize, n: u32): void {
  assert(n <= NVME_MAX_NR_ALLOCATIONS);
  assert(<i32>load<u8>(iod + IOD_DEV) == dev);
  const pool = <i32>load<i8>(iod + IOD_POOL);
  assert(pool == NVME_POOL_SMALL || pool == NVME_POOL_LARGE);
  for (let i: u32 = 0; i < n; i++) dma_pool_free(dev, pool, load<u32>(iod + IOD_HANDLE + (<usize>i << 2)));
}

// ---------------------------------------------------------------------------
// Host side: nvme_map_data

// @ts-ignore: decorator
@inline function seg_dma(segs: usize, i: u32): u64 {
  return load<u64>(segs + <usize>i * SEG_SIZE);
}

// @ts-ignore: decorator
@inline function seg_len(segs: usize, i: u32): u32 {
  return load<u32>(segs + <usize>i * SEG_SIZE + 8);
}

/**
 * nvme_pci_use_sgls: SGLs pay off when segments are large on average (one
 * descriptor per segment instead of one PRP entry per page). The kernel
 * rounds the average up.
 */
export function nvme_pci_use_sgls(len: u32, nsegs: u32, sgl_supported: bool, sgl_threshold: u32): bool {
  if (!sgl_supported || sgl_threshold == 0 || nsegs == 0) return false;
  const avg_seg_size = (<u64>len + <u64>nsegs - 1) / <u64>nsegs;
  return avg_seg_size >= <u64>sgl_threshold;
}

/**
 * Build the data pointer of the 64-byte command at `cmd` for the DMA segments
 * at `segs` (16-byte entries: u64 dma, u32 len, u32 pad), total `len` bytes.
 * Returns 0, or 1 (BLK_STS_RESOURCE: pool exhausted, retry later), or
 * -EINVAL for segments a PRP cannot describe.
 */
export function nvme_setup_data(
  dev: i32, dom: i32, core: i32, cmd: usize, iod: usize, segs: usize, nsegs: u32, len: u32,
  sgl_supported: bool, sgl_threshold: u32,
): i32 {
  return nvme_setup_data_ex(dev, dom, core, cmd, iod, segs, nsegs, len, sgl_supported, sgl_threshold, nsegs);
}

/**
 * nvme_setup_data with the request's physical segment count
 * (blk_rq_nr_phys_segments) given apart from the DMA segments (`nsegs`, the
 * mapped sg_table's nents, which the IOMMU may have merged): the
 * single-segment fast paths key on the former, nvme_pci_use_sgls on the latter.
 */
export function nvme_setup_data_ex(
  dev: i32, dom: i32, core: i32, cmd: usize, iod: usize, segs: usize, nsegs: u32, len: u32,
  sgl_supported: bool, sgl_threshold: u32, phys_segs: u32,
): i32 {
  assert(dev >= 0 && dev < devs_n);
  // The iod's header — IOD_SGL 0, IOD_POOL NVME_POOL_NONE, IOD_NR_ALLOC 0,
  // IOD_DEV, IOD_ENTRIES 0 — is its first 8 bytes: one store (little-endian)
  // instead of five, each of which V8 bounds-checks.
  store<u64>(iod + IOD_SGL, (<u64><u8><i8>NVME_POOL_NONE << (<u64>IOD_POOL << 3)) | (<u64><u8>dev << (<u64>IOD_DEV << 3)));
  if (nsegs == 0 || nsegs > NVME_DATA_SEGS_MAX || len == 0) return -EINVAL;
  // The segments must describe exactly `len` bytes (the request's payload).
  let sum: u64 = 0;
  for (let i: u32 = 0; i < nsegs; i++) {
    const l = seg_len(segs, i);
    if (l == 0) return -EINVAL;
    sum += <u64>l;
  }
  if (sum != <u64>len) return -EINVAL;

  if (phys_segs == 1 && nsegs == 1) {
    // nvme_map_data's single-segment fast paths: a segment within two pages
    // is PRP1 (+ PRP2) with no list; a larger one is a single SGL data block
    // whenever SGLs are enabled at all, whatever the average-size threshold.
    const off = <u32>(seg_dma(segs, 0) & PAGE_MASK);
    if (<u64>off + <u64>len <= <u64>PAGE_SIZE * 2) return nvme_pci_setup_prps(dev, dom, core, cmd, iod, segs, nsegs, len);
    if (sgl_supported && sgl_threshold != 0) return nvme_pci_setup_sgls(dev, dom, core, cmd, iod, segs, nsegs);
    return nvme_pci_setup_prps(dev, dom, core, cmd, iod, segs, nsegs, len);
  }
  if (nvme_pci_use_sgls(len, nsegs, sgl_supported, sgl_threshold)) {
    return nvme_pci_setup_sgls(dev, dom, core, cmd, iod, segs, nsegs);
  }
  return nvme_pci_setup_prps(dev, dom, core, cmd, iod, segs, nsegs, len);
}

/**
 * Whether the segments have the shape a PRP can express (what the block
 * layer's virt_boundary_mask guarantees for nvme-pci): the first starts dword
 * aligned, every other starts on a page, every one but the last ends on one.
 * `first_dma` is the first segment's address, which the caller has read.
 */
function nvme_prp_segs_ok(segs: usize, nsegs: u32, first_dma: u64): bool {
  if ((first_dma & 3) != 0) return false;
  // Each boundary between two segments: the earlier ends on a page, the
  // later starts on one (a single segment has none: nothing more to read).
  for (let i: u32 = 0; i + 1 < nsegs; i++) {
    if (((seg_dma(segs, i) + <u64>seg_len(segs, i)) & PAGE_MASK) != 0) return false;
    if ((seg_dma(segs, i + 1) & PAGE_MASK) != 0) return false;
  }
  return true;
}

/** List pages needed for `nprps` list entries: 512 in the last, 511 + a chain pointer in the others. */
// @ts-ignore: decorator
@inline function prp_list_pages(nprps: u32): u32 {
  if (nprps <= NVME_PRPS_PER_PAGE) return 1;
  return 1 + (nprps - NVME_PRPS_PER_PAGE + NVME_PRPS_PER_PAGE - 2) / (NVME_PRPS_PER_PAGE - 1);
}

/** Give back what a failed setup allocated. */
function nvme_unwind(dev: i32, iod: usize): void {
  nvme_free_data(dev, iod);
  store<u32>(iod + IOD_ENTRIES, 0);
}

export function nvme_pci_setup_prps(
  dev: i32, dom: i32, core: i32, cmd: usize, iod: usize, segs: usize, nsegs: u32, len: u32,
): i32 {
  const prp1 = seg_dma(segs, 0);
  if (!nvme_prp_segs_ok(segs, nsegs, prp1)) return -EINVAL;
  store<u8>(cmd + u.NVME_CMD_FLAGS_OFF, load<u8>(cmd + u.NVME_CMD_FLAGS_OFF) & ~NVME_CMD_PSDT_MASK);
  // IOD_SGL is 0 already: nvme_setup_data_ex, the only caller, wrote the header.

  const offset = <i64>(prp1 & PAGE_MASK);
  const page = <i64>PAGE_SIZE;
  let length: i64 = <i64>len - (page - offset);
  let prp2: u64 = 0;
  let entries: u32 = 2; // PRP1 and PRP2 are always written

  if (length > 0) {
    let si: u32 = 0;
    let dma_len: i64 = <i64>seg_len(segs, 0) - (page - offset);
    let dma_addr: u64;
    if (dma_len > 0) {
      dma_addr = prp1 + <u64>(page - offset);
    } else {
      // The first segment ended on its page: the next one starts a page.
      assert(dma_len == 0 && nsegs > 1);
      si = 1;
      dma_addr = seg_dma(segs, 1);
      dma_len = <i64>seg_len(segs, 1);
    }
    if (length <= page) {
      prp2 = dma_addr; // exactly two pages: PRP2 is the second page
    } else {
      const nprps = <u32>((length + page - 1) / page);
      // NVME_MAX_NR_ALLOCATIONS bounds the transfer (the 8 MiB NVME_MAX_BYTES
      // path); the block layer never sends more.
      if (prp_list_pages(nprps) > NVME_MAX_NR_ALLOCATIONS) return -EINVAL;
      const pool = nprps <= NVME_SMALL_POOL_SIZE / 8 ? NVME_POOL_SMALL : NVME_POOL_LARGE;
      store<i8>(iod + IOD_POOL, <i8>pool);
      let h = dma_pool_alloc(dev, dom, core, pool);
      if (h == BLOCK_NONE) return BLK_STS_RESOURCE;
      iod_push_alloc(iod, h);
      prp2 = alloc_dma;
      let list_pa = alloc_pa;
      let last: u64 = 0; // the entry most recently written (list_pa[i - 1])
      let i: u32 = 0;
      // Every pass writes one data entry; chaining adds at most 4 passes' worth.
      for (let guard: u32 = 0; guard <= nprps; guard++) {
        if (i == NVME_PRPS_PER_PAGE) {
          // Page full and more to come: its last slot becomes the pointer to
          // the next list page, whose first slot takes the entry moved out.
          const old_pa = list_pa;
          h = dma_pool_alloc(dev, dom, core, pool);
          if (h == BLOCK_NONE) {
            nvme_unwind(dev, iod);
            return BLK_STS_RESOURCE;
          }
          iod_push_alloc(iod, h);
          list_pa = alloc_pa;
          phys_write_u64(list_pa, last);
          phys_write_u64(old_pa + <u64>((i - 1) << 3), alloc_dma);
          entries++;
          i = 1;
        }
        phys_write_u64(list_pa + <u64>(i << 3), dma_addr);
        last = dma_addr;
        i++;
        entries++;
        dma_len -= page;
        dma_addr += <u64>page;
        length -= page;
        if (length <= 0) break;
        if (dma_len > 0) continue;
        assert(dma_len == 0 && si + 1 < nsegs); // nvme_prp_segs_ok saw to it
        si++;
        dma_addr = seg_dma(segs, si);
        dma_len = <i64>seg_len(segs, si);
      }
      assert(length <= 0);
    }
  }
  store<u64>(cmd + u.NVME_CMD_PRP1_OFF, prp1);
  store<u64>(cmd + u.NVME_CMD_PRP2_OFF, prp2);
  store<u32>(iod + IOD_ENTRIES, entries);
  charge(core, LAYER_NVME, cost(COST_PRP_ENTRY) * <u64>entries);
  return BLK_STS_OK;
}

/** Bytes 8..15 of a descriptor as one little-endian word: length, reserved, type. */
// @ts-ignore: decorator
@inline function sgl_word1(length: u32, type: u8): u64 {
  return <u64>length | (<u64>((type << 4) | NVME_SGL_FMT_ADDRESS) << 56);
}

/** nvme_pci_sgl_set_data into a descriptor at physical `pa` (an SGL array). */
function nvme_pci_sgl_set_data(pa: u64, dma: u64, length: u32): void {
  phys_write_u64(pa, dma);
  phys_write_u64(pa + 8, sgl_word1(length, NVME_SGL_FMT_DATA_DESC));
}

/**
 * nvme_pci_sgl_set_seg into a descriptor at physical `pa`: points at the
 * next array of `entries` descriptors; the final array is a Last Segment.
 */
function nvme_pci_sgl_set_seg(pa: u64, dma: u64, entries: u32, last: bool): void {
  phys_write_u64(pa, dma);
  phys_write_u64(pa + 8, sgl_word1(entries * NVME_SGL_DESC_SIZE, last ? NVME_SGL_FMT_LAST_SEG_DESC : NVME_SGL_FMT_SEG_DESC));
}

/** SGL arrays needed for `nsegs` data blocks: 256 in the last, 255 + a segment descriptor in the others. */
// @ts-ignore: decorator
@inline function sgl_arrays(nsegs: u32): u32 {
  if (nsegs <= NVME_SGES_PER_PAGE) return 1;
  return 1 + (nsegs - NVME_SGES_PER_PAGE + NVME_SGES_PER_PAGE - 2) / (NVME_SGES_PER_PAGE - 1);
}

export function nvme_pci_setup_sgls(
  dev: i32, dom: i32, core: i32, cmd: usize, iod: usize, segs: usize, nsegs: u32,
): i32 {
  assert(nsegs >= 1);
  const sgl1 = cmd + u.NVME_CMD_SGL1_OFF;
  if (nsegs == 1) {
    store<u8>(cmd + u.NVME_CMD_FLAGS_OFF, (load<u8>(cmd + u.NVME_CMD_FLAGS_OFF) & ~NVME_CMD_PSDT_MASK) | NVME_CMD_SGL_METABUF);
    store<u8>(iod + IOD_SGL, 1);
    store<u64>(sgl1, seg_dma(segs, 0));
    store<u64>(sgl1 + 8, sgl_word1(seg_len(segs, 0), NVME_SGL_FMT_DATA_DESC));
    store<u32>(iod + IOD_ENTRIES, 1);
    charge(core, LAYER_NVME, cost(COST_SGL_DESC));
    return BLK_STS_OK;
  }
  const arrays = sgl_arrays(nsegs);
  if (arrays > NVME_MAX_NR_ALLOCATIONS) return -EINVAL;
  const pool = nsegs <= NVME_SMALL_POOL_SIZE / NVME_SGL_DESC_SIZE ? NVME_POOL_SMALL : NVME_POOL_LARGE;
  store<i8>(iod + IOD_POOL, <i8>pool);
  // Allocate every array first: a failure leaves the command untouched.
  for (let a: u32 = 0; a < arrays; a++) {
    const h = dma_pool_alloc(dev, dom, core, pool);
    if (h == BLOCK_NONE) {
      nvme_unwind(dev, iod);
      return BLK_STS_RESOURCE;
    }
    iod_push_alloc(iod, h);
  }
  store<u8>(cmd + u.NVME_CMD_FLAGS_OFF, (load<u8>(cmd + u.NVME_CMD_FLAGS_OFF) & ~NVME_CMD_PSDT_MASK) | NVME_CMD_SGL_METABUF);
  store<u8>(iod + IOD_SGL, 1);
  // SGL1 points at the first array: a Last Segment when it is the only one.
  const first_n = arrays == 1 ? nsegs : NVME_SGES_PER_PAGE;
  store<u64>(sgl1, load<u64>(iod + IOD_DMA));
  store<u64>(sgl1 + 8, sgl_word1(first_n * NVME_SGL_DESC_SIZE, arrays == 1 ? NVME_SGL_FMT_LAST_SEG_DESC : NVME_SGL_FMT_SEG_DESC));
  let descs: u32 = 1;
  let si: u32 = 0;
  for (let a: u32 = 0; a < arrays; a++) {
    const pa = load<u64>(iod + IOD_PA + (<usize>a << 3));
    const last_array = a + 1 == arrays;
    const data_n = last_array ? nsegs - si : NVME_SGES_PER_PAGE - 1;
    assert(data_n >= 1 && data_n <= NVME_SGES_PER_PAGE);
    for (let j: u32 = 0; j < data_n; j++) {
      nvme_pci_sgl_set_data(pa + <u64>(j * NVME_SGL_DESC_SIZE), seg_dma(segs, si), seg_len(segs, si));
      si++;
    }
    descs += data_n;
    if (!last_array) {
      const next_last = a + 2 == arrays;
      const next_n = next_last ? nsegs - si : NVME_SGES_PER_PAGE;
      nvme_pci_sgl_set_seg(
        pa + <u64>(data_n * NVME_SGL_DESC_SIZE), load<u64>(iod + IOD_DMA + (<usize>(a + 1) << 3)), next_n, next_last,
      );
      descs++;
    }
  }
  assert(si == nsegs);
  store<u32>(iod + IOD_ENTRIES, descs);
  charge(core, LAYER_NVME, cost(COST_SGL_DESC) * <u64>descs);
  return BLK_STS_OK;
}

// ---------------------------------------------------------------------------
// Inspection (tests, reports, the TS layer)

/** List pages (PRP) or descriptor arrays (SGL) the command holds. */
export function nvme_cmd_prp_list_count(iod: usize): u32 {
  return <u32>load<u8>(iod + IOD_NR_ALLOC);
}

/** NVME_POOL_SMALL / NVME_POOL_LARGE, or NVME_POOL_NONE without a list. */
export function nvme_cmd_list_pool(iod: usize): i32 {
  return load<u8>(iod + IOD_NR_ALLOC) == 0 ? NVME_POOL_NONE : <i32>load<i8>(iod + IOD_POOL);
}

export function nvme_cmd_list_dma(iod: usize, i: u32): u64 {
  return i < nvme_cmd_prp_list_count(iod) ? load<u64>(iod + IOD_DMA + (<usize>i << 3)) : 0;
}

export function nvme_cmd_list_pa(iod: usize, i: u32): u64 {
  return i < nvme_cmd_prp_list_count(iod) ? load<u64>(iod + IOD_PA + (<usize>i << 3)) : 0;
}

/** PRP entries (PRP1, PRP2 and list entries) or SGL descriptors written. */
export function nvme_cmd_entries(iod: usize): u32 {
  return load<u32>(iod + IOD_ENTRIES);
}

export function nvme_cmd_uses_sgl(iod: usize): bool {
  return load<u8>(iod + IOD_SGL) != 0;
}

/** Pages a device's pool has grown to. */
export function nvme_pool_pages(dev: i32, pool: i32): u32 {
  if (dev < 0 || dev >= devs_n || (pool != NVME_POOL_SMALL && pool != NVME_POOL_LARGE)) return 0;
  return load<u32>(pool_pages + (<usize>(dev * 2 + pool) << 2));
}

/** Blocks on a device's pool free list (all of them when nothing is in flight). */
export function nvme_pool_blocks_free(dev: i32, pool: i32): u32 {
  if (dev < 0 || dev >= devs_n || (pool != NVME_POOL_SMALL && pool != NVME_POOL_LARGE)) return 0;
  return load<u32>(pool_free_n + (<usize>(dev * 2 + pool) << 2));
}

// ---------------------------------------------------------------------------
// Controller side

// Walk state: the output array and a one-page cache of the last descriptor
// page translation (list reads hit the same page many times).
let walk_out: usize = 0;
let walk_n: u32 = 0;
let walk_max: u32 = 0;
let walk_dom: i32 = 0;
let walk_write: bool = false;
let walk_rd_page: u64 = u64.MAX_VALUE; // DMA page of the cached translation
let walk_rd_pa: u64 = 0;
let walk_rd_err: i32 = 0;
/** Where the first chunk lies (phys_kind of its address), set with the first chunk: nvme_walk_first_kind. */
let walk_kind0: i32 = KIND_NONE;

/** Append a physical chunk (in memory `kind`), merging with the previous when contiguous. 0 or -status. */
function walk_emit(pa: u64, length: u32, kind: i32): i32 {
  if (length == 0) return 0;
  if (walk_n == 0) walk_kind0 = kind;
  if (walk_n > 0) {
    const prev = walk_out + <usize>(walk_n - 1) * 16;
    const plen = load<u32>(prev + 8);
    if (load<u64>(prev) + <u64>plen == pa && <u64>plen + <u64>length <= <u64>u32.MAX_VALUE) {
      store<u32>(prev + 8, plen + length);
      return 0;
    }
  }
  if (walk_n >= walk_max) return -NVME_SC_INTERNAL;
  const e = walk_out + <usize>walk_n * 16;
  store<u64>(e, pa);
  store<u32>(e + 8, length);
  store<u32>(e + 12, 0);
  walk_n++;
  return 0;
}

/** The data transfer of `length` bytes at `dma`, page by page through the IOMMU. */
function walk_xfer(dma: u64, length: u32): i32 {
  let left = length;
  for (let guard: u32 = 0; guard <= (length >> PAGE_SHIFT) + 1 && left > 0; guard++) {
    const room = PAGE_SIZE - <u32>(dma & PAGE_MASK);
    const n = left < room ? left : room;
    const pa = iommu_translate_kind(walk_dom, dma, walk_write);
    const kind = iommu_pa_kind;
    if (pa == DMA_FAULT || kind == KIND_NONE) return -NVME_SC_DATA_XFER_ERROR;
    const r = walk_emit(pa, n, kind);
    if (r < 0) return r;
    dma += <u64>n;
    left -= n;
  }
  assert(left == 0);
  return 0;
}

/** The controller reads a u64 (list entry / descriptor word) at `dma`; sets walk_rd_err on a fault. */
function walk_read_u64(dma: u64): u64 {
  const page = dma & ~PAGE_MASK;
  if (page != walk_rd_page) {
    const pa = iommu_translate(walk_dom, page, false);
    if (pa == DMA_FAULT || phys_kind(pa) == KIND_NONE) {
      walk_rd_err = -NVME_SC_DATA_XFER_ERROR;
      return 0;
    }
    walk_rd_page = page;
    walk_rd_pa = pa;
  }
  return phys_read_u64(walk_rd_pa + (dma & PAGE_MASK));
}

function nvme_walk_prps(cmd: usize, len: u32): i32 {
  const prp1 = load<u64>(cmd + u.NVME_CMD_PRP1_OFF);
  const prp2 = load<u64>(cmd + u.NVME_CMD_PRP2_OFF);
  const offset = <u32>(prp1 & PAGE_MASK);
  if ((offset & 3) != 0) return -NVME_SC_PRP_INVALID_OFFSET;
  const first = len < PAGE_SIZE - offset ? len : PAGE_SIZE - offset;
  let r = walk_xfer(prp1, first);
  if (r < 0) return r;
  let rem = len - first;
  if (rem == 0) return 0; // PRP2 is not used
  if (rem <= PAGE_SIZE) {
    // Exactly two pages: PRP2 is the second data page.
    if ((prp2 & PAGE_MASK) != 0) return -NVME_SC_PRP_INVALID_OFFSET;
    return walk_xfer(prp2, rem);
  }
  // PRP2 is a list pointer: qword aligned, and may start inside its page.
  if ((prp2 & 7) != 0) return -NVME_SC_PRP_INVALID_OFFSET;
  const nprps = (rem + PAGE_SIZE - 1) >> PAGE_SHIFT;
  let list = prp2;
  let left = nprps;
  // Each pass consumes one data entry or follows one chain pointer; a chain
  // pointer is followed at most once per data entry.
  for (let guard: u32 = 0; guard < 2 * nprps + 1 && left > 0; guard++) {
    const e = walk_read_u64(list);
    if (walk_rd_err != 0) return walk_rd_err;
    if ((list & PAGE_MASK) == PAGE_MASK - 7 && left > 1) {
      // Last slot of a list page with more entries to come: the next list.
      if ((e & PAGE_MASK) != 0) return -NVME_SC_PRP_INVALID_OFFSET;
      list = e;
      continue;
    }
    if ((e & PAGE_MASK) != 0) return -NVME_SC_PRP_INVALID_OFFSET;
    const n = rem < PAGE_SIZE ? rem : PAGE_SIZE;
    r = walk_xfer(e, n);
    if (r < 0) return r;
    rem -= n;
    left--;
    list += 8;
  }
  if (left != 0) return -NVME_SC_INVALID_FIELD;
  assert(rem == 0);
  return 0;
}

/** One data block descriptor: add it to the transfer. 0 or -status. */
function walk_sgl_data(addr: u64, length: u32, subtype: u32, len: u32, total: u64): i32 {
  if (subtype != NVME_SGL_FMT_ADDRESS) return -NVME_SC_SGL_INVALID_SUBTYPE;
  // Longer than the command's transfer: a PCIe controller need not accept it.
  if (total + <u64>length > <u64>len) return -NVME_SC_SGL_INVALID_DATA;
  return walk_xfer(addr, length);
}

function nvme_walk_sgls(cmd: usize, len: u32): i32 {
  const sgl1 = cmd + u.NVME_CMD_SGL1_OFF;
  let addr = load<u64>(sgl1);
  let length = load<u32>(sgl1 + 8);
  let type = <u32>load<u8>(sgl1 + 15) >> 4;
  let subtype = <u32>load<u8>(sgl1 + 15) & 0xf;
  let total: u64 = 0;
  let r: i32 = 0;
  if (type == NVME_SGL_FMT_DATA_DESC) {
    r = walk_sgl_data(addr, length, subtype, len, total);
    if (r < 0) return r;
    total += <u64>length;
  } else if (type == NVME_SGL_FMT_SEG_DESC || type == NVME_SGL_FMT_LAST_SEG_DESC) {
    let descs: u32 = 0;
    // Each pass reads one segment; the descriptor budget bounds the chain.
    for (let guard: u32 = 0; guard < NVME_SGL_WALK_DESCS_MAX; guard++) {
      if (subtype != NVME_SGL_FMT_ADDRESS) return -NVME_SC_SGL_INVALID_SUBTYPE;
      if (length == 0 || (length & (NVME_SGL_DESC_SIZE - 1)) != 0 || (addr & 7) != 0) {
        return -NVME_SC_SGL_INVALID_LAST;
      }
      const in_last = type == NVME_SGL_FMT_LAST_SEG_DESC;
      const n = length / NVME_SGL_DESC_SIZE;
      if (descs + n > NVME_SGL_WALK_DESCS_MAX) return -NVME_SC_SGL_INVALID_COUNT;
      descs += n;
      const seg = addr;
      let next = false;
      for (let j: u32 = 0; j < n; j++) {
        const d = seg + <u64>(j * NVME_SGL_DESC_SIZE);
        const d_addr = walk_read_u64(d);
        const w1 = walk_read_u64(d + 8);
        if (walk_rd_err != 0) return walk_rd_err;
        const d_len = <u32>w1;
        const d_type = <u32>(w1 >> 60);
        const d_subtype = <u32>(w1 >> 56) & 0xf;
        if (d_type == NVME_SGL_FMT_DATA_DESC) {
          r = walk_sgl_data(d_addr, d_len, d_subtype, len, total);
          if (r < 0) return r;
          total += <u64>d_len;
        } else if (d_type == NVME_SGL_FMT_SEG_DESC || d_type == NVME_SGL_FMT_LAST_SEG_DESC) {
          // Only a Segment's final slot may chain; a Last Segment never does.
          if (in_last || j + 1 != n) return -NVME_SC_SGL_INVALID_LAST;
          addr = d_addr;
          length = d_len;
          type = d_type;
          subtype = d_subtype;
          next = true;
        } else {
          // Bit bucket, keyed data block (fabrics), transport, vendor, reserved.
          return -NVME_SC_SGL_INVALID_TYPE;
        }
      }
      if (in_last) break;
      // A Segment must end by pointing at the next one.
      if (!next) return -NVME_SC_SGL_INVALID_LAST;
    }
    if (type != NVME_SGL_FMT_LAST_SEG_DESC) return -NVME_SC_SGL_INVALID_COUNT;
  } else {
    return -NVME_SC_SGL_INVALID_TYPE;
  }
  if (total != <u64>len) return -NVME_SC_SGL_INVALID_DATA;
  return 0;
}

/**
 * Controller side: walk the data pointer of the command at `cmd` for `len`
 * bytes, translating each address through the IOMMU domain `dom`, writing
 * physical chunks (16 bytes each: u64 pa, u32 len, u32 pad) to `out`, at most
 * `out_max`. Returns the chunk count, or a negative NVMe status code.
 * Physically adjacent chunks are merged.
 */
export function nvme_walk_data(dom: i32, cmd: usize, len: u32, write: bool, out: usize, out_max: u32): i32 {
  walk_out = out;
  walk_n = 0;
  walk_max = out_max;
  walk_dom = dom;
  walk_write = write;
  walk_rd_page = u64.MAX_VALUE;
  walk_rd_pa = 0;
  walk_rd_err = 0;
  walk_kind0 = KIND_NONE;
  const psdt = load<u8>(cmd + u.NVME_CMD_FLAGS_OFF) & NVME_CMD_PSDT_MASK;
  let r: i32;
  if (psdt == 0) {
    if (len == 0) return 0;
    r = nvme_walk_prps(cmd, len);
  } else if (psdt == NVME_CMD_SGL_METABUF || psdt == NVME_CMD_SGL_METASEG) {
    r = nvme_walk_sgls(cmd, len);
  } else {
    r = -NVME_SC_INVALID_FIELD; // PSDT 11b is reserved
  }
  return r < 0 ? r : <i32>walk_n;
}

/**
 * Where the first chunk of the last nvme_walk_data lies (phys_kind of its
 * physical address; KIND_NONE with no chunk): the walk already looked, so the
 * controller need not read the chunk back to ask again.
 */
export function nvme_walk_first_kind(): i32 {
  return walk_kind0;
}
