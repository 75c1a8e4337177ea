// NVMe host driver (drivers/nvme/host/pci.c): queue_rq, commit_rqs, poll,
// the interrupt handler, completion and unmap. The controller it drives is
// ctrl.ts (one layer file lower: the host writes commands into the shared
// queue memory and rings doorbells; the controller posts CQEs). What goes
// up from here is one hook, the block layer's end_io, registered at machine
// set-up (machine/dispatch.ts), as blk-mq's rq->end_io.

import { CORES_MAX, PAGE_SIZE } from "../sim/limits";
import { ASSERTS, bound, fail, INV_CQ_REAP, INV_HOOK_UNSET, invariant_fail, SIM_ERR_CMDS } from "../sim/errors";
import { blk_alloc, blk_free, mem_alloc } from "../sim/mem";
import {
  advance_to, charge, core_time, ev_push, EV_NVME_IRQ_CONT, LAYER_BLOCK, LAYER_DMA, LAYER_IRQ, LAYER_NVME, must_yield,
  now, poll_waiters_reset,
} from "../sim/engine";
import {
  cost, COST_BLK_COMPLETE, COST_BLK_MQ, COST_DMA_MAP_DIRECT, COST_DMA_UNMAP_DIRECT, COST_DOORBELL, COST_IRQ,
  COST_NVME_CMD, COST_NVME_COMPLETE,
} from "../sim/costs";
import {
  DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE, iommu_domain_create, iommu_mode,
  iommu_unmap_queues, IOMMU_PASSTHROUGH,
} from "../iommu/iommu";
import { BLK_STS_RESOURCE, NVME_IOD_SIZE, nvme_free_data, nvme_prp_init, nvme_setup_data_ex } from "./nvme_prp";
import {
  c_dom, c_lba_shift, c_lbas, cm, CM_CORE, CM_CTRL, CM_DIR, CM_DMA, CM_DONE_NS, CM_IOD, CM_KIND, CM_LEN, CM_LIVE,
  CM_NEXT, CM_Q, CM_REQ, CM_SUBMIT_NS, CMD_SIZE, CMDS_MAX, CTRLS_MAX, ring_doorbell, nvme_cmd_read, nvme_cmd_write,
  nvme_ctrl_device_setup, nvme_ctrl_init, nvme_ctrl_init_scratch, q_cq, q_cq_head, q_cq_tail, q_sq, q_sq_head,
  q_sq_tail, queue_depth, QUEUES,
} from "./ctrl";
import { NVME_STATUS_DNR, nvme_ctrl_media_errors } from "./ctrl";
import { trace_rec, TR_COMMAND, TR_COMPLETE, TR_MAP, TR_UNMAP, tracing } from "../sim/trace";
import { swiotlb_init, swiotlb_map, swiotlb_needed, swiotlb_unmap, UNTRUSTED_NO } from "../iommu/swiotlb";
import { EXP_SHADOW, EXP_STREAMING } from "../iommu/exposure";
import { iommu_domain_set_strict, iommu_map_sg_kind, iommu_unmap_kind } from "../iommu/iommu";

/**
 * The block layer's completion of one command (blk_mq_end_request -> end_io):
 * request, bytes or -errno, core, the controller (a stacking driver's
 * clone knows its member device: bio->bi_bdev) and the hardware queue it ran
 * on (blk-mq's restart of that hctx). Registered once at machine set-up.
 */
let end_rq: (req: u32, res: i32, core: i32, c: i32, q: i32) => void = nvme_end_rq_unset;
function nvme_end_rq_unset(req: u32, res: i32, core: i32, c: i32, q: i32): void {
  invariant_fail(INV_HOOK_UNSET, 105); // machine set-up did not register the block layer's end_rq
}
/** Register the block layer's per-command completion (machine set-up). */
export function nvme_set_end_rq(fn: (req: u32, res: i32, core: i32, c: i32, q: i32) => void): void {
  end_rq = fn;
}

// A blk-mq request record (struct request as blk-mq keeps it to issue it
// again: on hctx->dispatch after BLK_STS_RESOURCE, on q->requeue_list for a
// retry): what nvme_queue_rq needs, nvme_req(req)->retries, then the
// segments. Built by block/blk_mq.ts; nvme-pci reads the retry count.
/** Record field: the next record on a list (usize, 0: last). */
export const RQ_NEXT: usize = 0;
/** Record field: the request of the layer above (u32). */
export const RQ_REQ: usize = 4;
/** Record field: the starting LBA (u64). */
export const RQ_SLBA: usize = 8;
/** Record field: the command's bytes (u32). */
export const RQ_BYTES: usize = 16;
/** Record field: the number of segments that follow the header (u32). */
export const RQ_NSEGS: usize = 20;
/** Record field: the controller (u8). */
export const RQ_CTRL: usize = 24;
/** Record field: the submitting core (u8). */
export const RQ_CORE: usize = 25;
/** Record field: whether it goes to a poll queue (u8). */
export const RQ_POLLED: usize = 26;
/** Record field: whether it is a write (u8). */
export const RQ_WRITE: usize = 27;
/** Record field: whether its segments are DMA addresses of a dma-buf map (u8). */
export const RQ_PREMAPPED: usize = 28;
/** Record field: nvme_req(req)->retries (u8; nvme_setup_cmd zeroes it once: RQF_DONTPREP). */
export const RQ_RETRIES: usize = 29;
/** Record header bytes (the segments follow, 16 bytes each). */
export const RQ_HDR: usize = 32;

/** nvme_max_retries (nvme_core module parameter max_retries, default 5; profile nvme.max_retries). */
export let nvme_max_retries: u32 = 5;
/** Retries per controller (nvme_retry_req calls). */
const c_retries = new StaticArray<u64>(CTRLS_MAX);
/** Per command tag: its request record when the command may be retried (0: none, it cannot fail retryably). */
const cmd_rq = new StaticArray<usize>(CMDS_MAX);
/** The record of the command nvme_queue_rq is about to build (set by blk-mq just before the call). */
let next_rq: usize = 0;

/**
 * blk_mq_requeue_request + blk_mq_delay_kick_requeue_list of a record whose
 * command failed retryably (block/blk_mq.ts registers it: nvme is below block).
 */
let requeue_rq: (r: usize, c: i32, core: i32, delay_ns: u64) => void = nvme_requeue_unset;
function nvme_requeue_unset(r: usize, c: i32, core: i32, delay_ns: u64): void {
  invariant_fail(INV_HOOK_UNSET, 107); // blk_mq_init did not register the requeue
}
/** Register blk-mq's requeue of a request (machine set-up). */
export function nvme_set_requeue(fn: (r: usize, c: i32, core: i32, delay_ns: u64) => void): void {
  requeue_rq = fn;
}
/** Set nvme_max_retries (profile nvme.max_retries). */
export function nvme_set_max_retries(n: u32): void {
  nvme_max_retries = n;
}
/**
 * Whether blk-mq must keep a record of each command of controller `c` for a
 * possible retry: only on a controller that injects media errors, and only
 * if nvme retries at all. Elsewhere no command keeps one, so a failure of
 * another kind (LBA out of range, a DMA fault) is not retried there: those
 * are misuse or model faults the tests expect to see at once (an assumption;
 * the kernel would retry them too unless the controller set DNR).
 */
export function nvme_may_retry(c: i32): bool {
  return nvme_max_retries > 0 && nvme_ctrl_media_errors(c);
}
/** The record nvme_queue_rq's next command is built from (0: none); it belongs to the command if issued. */
export function nvme_set_next_rq(r: usize): void {
  next_rq = r;
}
/** Retries of controller `c` since the machine started. */
export function nvme_retries(c: i32): f64 {
  return c >= 0 && c < CTRLS_MAX ? <f64>unchecked(c_retries[c]) : 0;
}


// ---------------------------------------------------------------------------
// Queue limits as nvme-pci sets them (Linux 6.18). The block layer (one layer
// up) takes them at machine set-up and never builds a command the driver
// cannot describe.

/** NVME_MAX_BYTES: the largest command nvme-pci builds (8 MiB; NVME_MAX_KB_SZ before 6.17). */
export const NVME_MAX_BYTES: u32 = 8 << 20;
/**
 * NVME_MAX_SEGS: one SGL descriptor page of entries (NVME_CTRL_PAGE_SIZE /
 * sizeof(struct nvme_sgl_desc) = 256); the data SGL is never chained (6.17+).
 */
export const NVME_MAX_SEGS: u32 = PAGE_SIZE / 16;
/**
 * iova_rcache_range() (drivers/iommu/iova.c): PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1),
 * the largest IOVA the per-CPU caches keep, which iommu_dma_opt_mapping_size
 * returns as dma_opt_mapping_size for a device in a DMA (translated) domain.
 */
export const IOVA_RCACHE_RANGE_BYTES: u32 = PAGE_SIZE << 5;

/**
 * ctrl->max_hw_sectors in bytes: nvme_pci_alloc_dev's min(NVME_MAX_BYTES,
 * dma_opt_mapping_size) — 128 KiB behind a translating IOMMU (strict or lazy),
 * no limit in passthrough (dma-direct) — then nvme_init_ctrl_finish's MDTS
 * (2^MDTS controller pages, min_not_zero). Valid after iommu_init.
 */
export function nvme_max_hw_bytes(mdts: u32): u32 {
  let bytes: u64 = <u64>NVME_MAX_BYTES;
  if (iommu_mode() != IOMMU_PASSTHROUGH && bytes > <u64>IOVA_RCACHE_RANGE_BYTES) bytes = <u64>IOVA_RCACHE_RANGE_BYTES;
  if (mdts > 0) {
    const mdts_bytes: u64 = (<u64>1 << mdts) * <u64>PAGE_SIZE;
    if (bytes > mdts_bytes) bytes = mdts_bytes;
  }
  return <u32>bytes;
}

/**
 * The queue's max_segments (nvme_set_ctrl_limits): min_not_zero of
 * nvme_max_drv_segments — max_hw_sectors / (NVME_CTRL_PAGE_SIZE >> SECTOR_SHIFT) + 1,
 * the pages a transfer of that size can touch — and ctrl->max_segments (NVME_MAX_SEGS).
 */
export function nvme_max_segments(max_hw_bytes: u32): u32 {
  const drv = max_hw_bytes / PAGE_SIZE + 1;
  return drv < NVME_MAX_SEGS ? drv : NVME_MAX_SEGS;
}

let nctrls: i32 = 0;
let sgl_supported: bool = true;
let sgl_threshold: u32 = 32768;

const q_inflight = new StaticArray<u32>(QUEUES);
const q_db_pending = new StaticArray<bool>(QUEUES);
// Commands built while every SQ slot was taken (tag + 1, linked by CM_NEXT).
const q_bl_head = new StaticArray<u32>(QUEUES);
const q_bl_tail = new StaticArray<u32>(QUEUES);
// Queues with a doorbell to ring at commit_rqs, per core (small stack).
const DB_LIST_MAX: i32 = CTRLS_MAX * 2;
const db_list = new StaticArray<i32>(CORES_MAX * DB_LIST_MAX);
const db_count = new StaticArray<i32>(CORES_MAX);

const MAP_NONE: u8 = 0;
const MAP_IOMMU: u8 = 1;
const MAP_DIRECT: u8 = 2;
const MAP_PREMAPPED: u8 = 3;

let cmd_free_head: u32 = 0; // tag + 1
let cmds_live: u32 = 0;
let dseg: usize = 0; // scratch: one DMA segment (16 bytes)
/** Per controller: untrusted (swiotlb.ts UNTRUSTED_*). */
const c_untrusted = new StaticArray<i32>(CTRLS_MAX);
/**
 * Per command tag: its swiotlb block (0: not bounced): u32 nsegs, u32 pages,
 * u32 bytes, pad, the original segments, the shadow pages, the shadow segments.
 */
const cmd_swiotlb = new StaticArray<u32>(CMDS_MAX);

/**
 * Mark controller `c` untrusted (pci_dev->untrusted): bounce through swiotlb
 * per `mode` and give its domain strict invalidation, as
 * iommu_get_def_domain_type gives an untrusted device IOMMU_DOMAIN_DMA (no
 * flush queue) whatever the default.
 */
export function nvme_set_untrusted(c: i32, mode: i32): void {
  unchecked((c_untrusted[c] = mode));
  if (mode != UNTRUSTED_NO) iommu_domain_set_strict(unchecked(c_dom[c]));
}

export function nvme_init(ctrls: i32, depth: u32, sgl: bool, sgl_thr: u32, pool_pages_max: u32, func: bool): void {
  nctrls = ctrls;
  sgl_supported = sgl;
  sgl_threshold = sgl_thr;
  nvme_ctrl_init(depth, func);
  for (let i: u32 = 0; i < CMDS_MAX; i++) store<u32>(cm(i) + CM_REQ, i + 2 <= CMDS_MAX ? i + 2 : 0);
  cmd_free_head = 1;
  cmds_live = 0;
  dseg = mem_alloc(16);
  for (let c = 0; c < CTRLS_MAX; c++) unchecked((c_untrusted[c] = UNTRUSTED_NO));
  for (let i: u32 = 0; i < CMDS_MAX; i++) unchecked((cmd_swiotlb[i] = 0));
  for (let i: u32 = 0; i < CMDS_MAX; i++) unchecked((cmd_rq[i] = 0));
  for (let c = 0; c < CTRLS_MAX; c++) unchecked((c_retries[c] = 0));
  next_rq = 0;
  nvme_max_retries = 5;
  swiotlb_init(func);
  nvme_ctrl_init_scratch();
  for (let i = 0; i < QUEUES; i++) {
    unchecked((q_sq[i] = 0));
    unchecked((q_cq[i] = 0));
    unchecked((q_sq_tail[i] = 0));
    unchecked((q_sq_head[i] = 0));
    unchecked((q_cq_tail[i] = 0));
    unchecked((q_cq_head[i] = 0));
    unchecked((q_inflight[i] = 0));
    unchecked((q_db_pending[i] = false));
    unchecked((q_bl_head[i] = 0));
    unchecked((q_bl_tail[i] = 0));
  }
  for (let c = 0; c < CORES_MAX; c++) unchecked((db_count[c] = 0));
  for (let c = 0; c < CORES_MAX; c++) unchecked((core_pq_n[c] = 0));
  poll_waiters_reset();
  for (let c = 0; c < CORES_MAX; c++) unchecked((core_yielded[c] = false));
  nvme_prp_init(ctrls, pool_pages_max);
}

import { abi_struct_check } from "../sim/errors";
import { nvme_ctrl_config } from "../sim/abi";

/**
 * Describe controller `c` (one namespace) from struct nvme_ctrl_config at
 * `cfg` (`cfg_bytes` long): its IOMMU domain (the host's dma-iommu set-up for
 * the device), then the device itself (ctrl.ts).
 */
export function nvme_ctrl_setup(c: i32, cfg: usize, cfg_bytes: u32): void {
  abi_struct_check(cfg_bytes, offsetof<nvme_ctrl_config>());
  const d = changetype<nvme_ctrl_config>(cfg);
  nvme_ctrl_device_setup(
    c, d.lba_bytes, d.capacity_lbas, d.iops_max, d.read_latency_ns, d.write_latency_ns, d.latency_jitter_ns,
    d.media_mbps, d.channels, d.pcie_gen, d.pcie_lanes, d.max_payload_bytes, d.tlp_overhead_bytes,
    iommu_domain_create(c, d.iommu_unit), d.seed, d.media_error_ppm,
  );
}

export function nvme_dom(c: i32): i32 {
  return unchecked(c_dom[c]);
}
export function nvme_lba_shift(c: i32): u32 {
  return unchecked(c_lba_shift[c]);
}
export function nvme_capacity_bytes(c: i32): u64 {
  return unchecked(c_lbas[c]) << unchecked(c_lba_shift[c]);
}
/** nvme_capacity_bytes for a caller that has read the LBA shift (nvme_lba_shift(c)) already. */
// @ts-ignore: decorator
@inline export function nvme_capacity_bytes_shift(c: i32, lba_shift: u32): u64 {
  return unchecked(c_lbas[c]) << lba_shift;
}

// @ts-ignore: decorator
@inline function qidx(c: i32, core: i32, polled: bool): i32 {
  return (c * CORES_MAX + core) * 2 + (polled ? 0 : 1);
}

/**
 * The hardware queue (blk-mq hctx, one NVMe queue pair) a command of
 * controller `c` from `core` goes to: one per core, a poll queue or an
 * interrupt queue. Its core is nvme_queue_core of it.
 */
export function nvme_hctx(c: i32, core: i32, polled: bool): i32 {
  return qidx(c, core, polled);
}

function queue_get(c: i32, core: i32, polled: bool): i32 {
  const q = qidx(c, core, polled);
  if (unchecked(q_sq[q]) == 0) {
    unchecked((q_sq[q] = blk_alloc(<usize>queue_depth * 64)));
    unchecked((q_cq[q] = blk_alloc(<usize>queue_depth * 16)));
    if (polled) core_pq_add(core, c);
  }
  return q;
}

// Per core, the controllers that have a poll queue on it, in ascending order:
// a poll pass (nvme_poll) visits only those, so its work follows the queues a
// core uses, not the number of drives on the machine. Queues are set up on
// first use and live until the machine is reset (nvme_init).
const core_pq = new StaticArray<u8>(CORES_MAX * CTRLS_MAX);
const core_pq_n = new StaticArray<i32>(CORES_MAX);

/** Controller `c` now has a poll queue on `core`: insert it in order. */
function core_pq_add(core: i32, c: i32): void {
  let i = unchecked(core_pq_n[core]);
  assert(i < CTRLS_MAX, "nvme: more poll queues on a core than controllers");
  while (i > 0 && <i32>unchecked(core_pq[core * CTRLS_MAX + i - 1]) > c) {
    unchecked((core_pq[core * CTRLS_MAX + i] = unchecked(core_pq[core * CTRLS_MAX + i - 1])));
    i--;
  }
  unchecked((core_pq[core * CTRLS_MAX + i] = <u8>c));
  unchecked((core_pq_n[core] += 1));
}

function cmd_alloc(): u32 {
  if (cmd_free_head == 0) fail(SIM_ERR_CMDS, <i64>CMDS_MAX);
  const tag = cmd_free_head - 1;
  cmd_free_head = load<u32>(cm(tag) + CM_REQ);
  // The command and driver state; nvme_setup_data initialises the iod itself.
  memory.fill(cm(tag), 0, CM_IOD);
  store<u8>(cm(tag) + CM_LIVE, 1);
  cmds_live++;
  return tag;
}

function cmd_free(tag: u32): void {
  if (ASSERTS) assert(load<u8>(cm(tag) + CM_LIVE) == 1, "nvme: command tag freed twice");
  assert(cmds_live > 0, "nvme: live command count underflow");
  store<u8>(cm(tag) + CM_LIVE, 0);
  store<u32>(cm(tag) + CM_REQ, cmd_free_head);
  cmd_free_head = tag + 1;
  cmds_live--;
}

export function nvme_cmds_live(): u32 {
  return cmds_live;
}

/**
 * nvme_queue_rq for one block request: build the command, DMA-map the data
 * (unless `premapped`: a dma-buf map's addresses), set up PRP/SGL, and place
 * it in the submission queue. The doorbell rings at nvme_commit_rqs.
 * `segs` holds `nsegs` 16-byte (address, length) entries: physical addresses,
 * or DMA addresses when premapped. Returns 0, a negative errno, or
 * BLK_STS_RESOURCE (nvme_prp.ts) when the request could not get what its DMA
 * set-up allocates on the fly — IOVA space (blk_dma_map_direct /
 * dma_map_bvec: dma_mapping_error) or a PRP/SGL pool block (dma_pool_alloc
 * with GFP_ATOMIC returns NULL): nothing was kept, and blk-mq keeps the
 * request and retries it (block/blk_mq.ts).
 */
export function nvme_queue_rq(
  c: i32, core: i32, polled: bool, req: u32, slba: u64, bytes: u32, segs: usize, nsegs: u32, write: bool,
  premapped: bool,
): i32 {
  const q = queue_get(c, core, polled);
  const rq = next_rq;
  next_rq = 0;
  charge(core, LAYER_BLOCK, cost(COST_BLK_MQ));
  charge(core, LAYER_NVME, cost(COST_NVME_CMD));
  const tag = cmd_alloc();
  const p = cm(tag);
  const dom = unchecked(c_dom[c]);
  const dir = write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
  store<u8>(p, write ? nvme_cmd_write : nvme_cmd_read);
  store<u16>(p + 2, <u16>tag);
  store<u32>(p + 4, 1);
  store<u64>(p + 40, slba);
  store<u16>(p + 48, <u16>((bytes >> unchecked(c_lba_shift[c])) - 1));
  store<u32>(p + CM_REQ, req);
  store<i32>(p + CM_Q, q);
  store<u32>(p + CM_LEN, bytes);
  store<u8>(p + CM_DIR, <u8>dir);
  store<u8>(p + CM_CTRL, <u8>c);
  store<u8>(p + CM_CORE, <u8>core);
  // Nothing was charged since the command's submit time: the trace's map
  // span starts there too (one read of the core's clock).
  const t_map = unchecked(core_time[core]);
  store<u64>(p + CM_SUBMIT_NS, t_map);
  let dsegs = segs;
  let nd = nsegs;
  if (premapped) {
    store<u8>(p + CM_KIND, MAP_PREMAPPED);
  } else if (iommu_mode() == IOMMU_PASSTHROUGH) {
    // dma-direct: the DMA addresses are the physical ones.
    charge(core, LAYER_DMA, cost(COST_DMA_MAP_DIRECT));
    store<u8>(p + CM_KIND, MAP_DIRECT);
  } else {
    // An untrusted device: what does not fill whole granules goes through a bounce buffer.
    let msegs = segs;
    let mn = nsegs;
    let sh: usize = 0;
    if (swiotlb_needed(unchecked(c_untrusted[c]), segs, nsegs)) {
      const pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
      const blk_bytes: usize = <usize>16 + <usize>nsegs * 16 + <usize>pages * 24;
      sh = blk_alloc(blk_bytes);
      store<u32>(sh, nsegs);
      store<u32>(sh, pages, 4);
      store<u32>(sh, <u32>blk_bytes, 8);
      memory.copy(sh + 16, segs, <usize>nsegs * 16);
      const shadow = sh + 16 + <usize>nsegs * 16;
      const out = shadow + <usize>pages * 8;
      swiotlb_map(core, sh + 16, nsegs, bytes, write, shadow, out);
      msegs = out;
      mn = pages;
    }
    const dma = iommu_map_sg_kind(dom, core, msegs, mn, dir, sh != 0 ? EXP_SHADOW : EXP_STREAMING);
    if (dma == DMA_MAPPING_ERROR) {
      // No IOVA: blk_dma_map_direct (dma_map_bvec for one segment) sets
      // BLK_STS_RESOURCE, nvme_prep_rq undoes what it did (nvme_cleanup_cmd).
      if (sh != 0) swiotlb_release(sh, core, false);
      cmd_free(tag);
      return BLK_STS_RESOURCE;
    }
    unchecked((cmd_swiotlb[tag] = <u32>sh));
    store<u64>(dseg, dma);
    store<u32>(dseg + 8, bytes);
    dsegs = dseg;
    nd = 1;
    store<u8>(p + CM_KIND, MAP_IOMMU);
    store<u64>(p + CM_DMA, dma);
  }
  // dma-buf requests always use PRPs: the series builds them from the map's
  // per-page addresses (the map is a ready-made PRP source).
  // The clock is read for the trace only (every Wasm load is bounds-checked).
  const t_cmd = tracing ? unchecked(core_time[core]) : 0;
  const st = nvme_setup_data_ex(c, dom, core, p, p + CM_IOD, dsegs, nd, bytes, sgl_supported && !premapped,
    sgl_threshold, nsegs);
  if (tracing) {
    if (!premapped) trace_rec(TR_MAP, t_map, t_cmd - t_map, c, req);
    trace_rec(TR_COMMAND, t_cmd, unchecked(core_time[core]) - t_cmd, c, req);
  }
  if (st != 0) {
    // nvme_pci_setup_data_prp/sgl: a pool block could not be had
    // (BLK_STS_RESOURCE) or the request was malformed (BLK_STS_IOERR: -EIO);
    // either way nvme_unmap_data undoes the mapping first.
    nvme_unmap(tag, core);
    cmd_free(tag);
    return st == BLK_STS_RESOURCE ? BLK_STS_RESOURCE : -5;
  }
  // Issued: the record (if any) now belongs to the command until it ends or is requeued.
  unchecked((cmd_rq[tag] = rq));
  // One SQ slot stays empty so a full SQ is distinguishable from an empty
  // one. With every slot taken the command waits for one to free, as a
  // request waits for a blk-mq tag, and is placed when a command completes.
  if (unchecked(q_inflight[q]) >= queue_depth - 1) {
    store<u32>(p + CM_NEXT, 0);
    const bt = unchecked(q_bl_tail[q]);
    if (bt != 0) store<u32>(cm(bt - 1) + CM_NEXT, tag + 1);
    else unchecked((q_bl_head[q] = tag + 1));
    unchecked((q_bl_tail[q] = tag + 1));
    return 0;
  }
  sq_place(q, p);
  if (!unchecked(q_db_pending[q])) {
    unchecked((q_db_pending[q] = true));
    const n = unchecked(db_count[core]);
    unchecked((db_list[core * DB_LIST_MAX + n] = q));
    unchecked((db_count[core] = n + 1));
  }
  return 0;
}

/** Copy a built command into the queue's SQ at its tail. */
function sq_place(q: i32, p: usize): void {
  const tail = unchecked(q_sq_tail[q]);
  memory.copy(unchecked(q_sq[q]) + <usize>(tail & (queue_depth - 1)) * 64, p, 64);
  unchecked((q_sq_tail[q] = tail + 1));
  unchecked((q_inflight[q] += 1));
  // One slot stays empty: a queue never holds more than depth - 1 commands.
  assert(unchecked(q_inflight[q]) <= queue_depth - 1, "nvme: queue occupancy above depth - 1");
}

/** commit_rqs: ring the SQ tail doorbell of every queue this core filled. */
export function nvme_commit_rqs(core: i32): void {
  const n = unchecked(db_count[core]);
  for (let i = 0; i < n; i++) {
    const q = unchecked(db_list[core * DB_LIST_MAX + i]);
    unchecked((q_db_pending[q] = false));
    charge(core, LAYER_NVME, cost(COST_DOORBELL));
    ring_doorbell(q, unchecked(core_time[core]));
  }
  unchecked((db_count[core] = 0));
}


/**
 * The interrupt of queue `q` (odd queues): the handler runs on the queue's
 * core once it is free, then handles every posted CQE (nvme_irq).
 */
export function nvme_irq(q: i32): void {
  const core = <i32>((q >> 1) % CORES_MAX);
  advance_to(core, now, false, LAYER_IRQ);
  charge(core, LAYER_IRQ, cost(COST_IRQ));
  nvme_process_cq(q, core);
  if (unchecked(core_yielded[core])) ev_push(unchecked(core_time[core]), EV_NVME_IRQ_CONT, <u32>q);
}

/** EV_NVME_IRQ_CONT: an interrupt handler that yielded before a shared resource goes on. */
export function nvme_irq_cont(q: u32): void {
  const qi = <i32>q;
  const core = <i32>((qi >> 1) % CORES_MAX);
  advance_to(core, now, false, LAYER_IRQ);
  nvme_process_cq(qi, core);
  if (unchecked(core_yielded[core])) ev_push(unchecked(core_time[core]), EV_NVME_IRQ_CONT, q);
}

/**
 * Set when a core stopped processing completions because the next one would
 * reach a resource other cores share (the IOMMU's invalidation queue) and the
 * core is not provably first (engine must_yield). Its caller continues at an
 * event at the core's clock; the CQEs left stay in the CQ until then.
 */
export const core_yielded = new StaticArray<bool>(CORES_MAX);

/** nvme_process_cq: handle every CQE the controller has posted, in order. */
function nvme_process_cq(q: i32, core: i32): u32 {
  let n: u32 = 0;
  let guard: u32 = 0;
  unchecked((core_yielded[core] = false));
  // The queue's address and head are read once: only this loop moves the
  // head, and nothing a completion does reaches back into this queue's poll
  // (a completion only queues events and issues requests).
  const cq = unchecked(q_cq[q]);
  const mask = queue_depth - 1;
  let head = unchecked(q_cq_head[q]);
  while (head != unchecked(q_cq_tail[q])) {
    // DW3 of the CQE in one read: CID (bits 0-15), status and phase (16-31).
    const dw3 = load<u32>(cq + <usize>(head & mask) * 16 + 12);
    const tag = dw3 & 0xffff;
    // An unmap that queues an IOTLB invalidation touches the IOMMU unit every
    // core shares: only in global time order. (must_yield first: with one
    // core it is false without reading the command.)
    if (must_yield(core) && load<u8>(cm(tag) + CM_KIND) == MAP_IOMMU &&
      iommu_unmap_queues(unchecked(c_dom[load<u8>(cm(tag) + CM_CTRL)]), core)) {
      unchecked((core_yielded[core] = true));
      break;
    }
    head++;
    unchecked((q_cq_head[q] = head));
    nvme_complete_cmd(tag, <i32>(dw3 >> 17), core);
    if (ASSERTS) assert(unchecked(q_cq_head[q]) == head, "nvme: a completion moved the CQ head it is processed from");
    n++;
    bound(++guard, queue_depth, INV_CQ_REAP);
  }
  return n;
}

/** Undo the DMA mapping of command `tag`. */
function nvme_unmap(tag: u32, core: i32): void {
  const p = cm(tag);
  nvme_unmap_data(tag, load<u8>(p + CM_KIND), <i32>load<u8>(p + CM_CTRL), core);
}

/** Undo the DMA mapping of command `tag`, its mapping `kind` and controller `ctrl` already read. */
function nvme_unmap_data(tag: u32, kind: u8, ctrl: i32, core: i32): void {
  const p = cm(tag);
  if (kind == MAP_IOMMU) {
    const sh = <usize>unchecked(cmd_swiotlb[tag]);
    const dir = <i32>load<u8>(p + CM_DIR);
    iommu_unmap_kind(unchecked(c_dom[ctrl]), core, load<u64>(p + CM_DMA), <u64>load<u32>(p + CM_LEN), dir,
      sh != 0 ? EXP_SHADOW : EXP_STREAMING);
    if (sh != 0) {
      // swiotlb_tbl_unmap_single after the IOMMU unmap: copy back what the device wrote.
      swiotlb_release(sh, core, dir == DMA_FROM_DEVICE);
      unchecked((cmd_swiotlb[tag] = 0));
    }
  } else if (kind == MAP_DIRECT) {
    charge(core, LAYER_DMA, cost(COST_DMA_UNMAP_DIRECT));
  }
  store<u8>(p + CM_KIND, MAP_NONE);
}

/** Free a command's swiotlb block, copying the data back first when the device wrote it. */
function swiotlb_release(sh: usize, core: i32, from_device: bool): void {
  const nsegs = load<u32>(sh);
  const pages = load<u32>(sh, 4);
  swiotlb_unmap(core, sh + 16, nsegs, from_device, sh + 16 + <usize>nsegs * 16, pages);
  blk_free(sh, <usize>load<u32>(sh, 8));
}

/** nvme_pci_complete_rq: unmap, free PRP lists, end the block request. */
function nvme_complete_cmd(tag: u32, status: i32, core: i32): void {
  const p = cm(tag);
  // What the completion needs from the command, in two 8-byte reads: CM_REQ
  // and CM_Q are adjacent words, and CM_LEN is followed by the bytes
  // CM_KIND, CM_DIR and CM_CTRL.
  if (ASSERTS) {
    assert(CM_Q == CM_REQ + 4 && CM_KIND == CM_LEN + 4 && CM_CTRL == CM_LEN + 6, "nvme: command layout");
  }
  const req_q = load<u64>(p + CM_REQ);
  const req = <u32>req_q;
  const q = <i32>(req_q >> 32);
  const len_kind = load<u64>(p + CM_LEN);
  const bytes = <u32>len_kind;
  const kind = <u8>(len_kind >> 32);
  const ctrl = <i32>((len_kind >> 48) & 0xff);
  const t0 = unchecked(core_time[core]);
  charge(core, LAYER_NVME, cost(COST_NVME_COMPLETE));
  nvme_unmap_data(tag, kind, ctrl, core);
  if (tracing) {
    const t_unmap = t0 + cost(COST_NVME_COMPLETE);
    const done = load<u64>(p + CM_DONE_NS);
    trace_rec(TR_COMPLETE, done, (t0 > done ? t0 - done : 0) + (t_unmap - t0), ctrl, req);
    if (kind != MAP_PREMAPPED) trace_rec(TR_UNMAP, t_unmap, unchecked(core_time[core]) - t_unmap, ctrl, req);
  }
  nvme_free_data(ctrl, p + CM_IOD);
  // nvme_complete_rq → nvme_decide_disposition: COMPLETE on success, on DNR,
  // or once nvme_req(req)->retries reaches nvme_max_retries
  // (blk_noretry_request is false: O_DIRECT bios carry no REQ_FAILFAST_*,
  // only readahead does); otherwise RETRY. Only a command with a request
  // record (nvme_may_retry) can be retried.
  const rq = unchecked(cmd_rq[tag]);
  let retry = false;
  let retries: u32 = 0;
  if (rq != 0) {
    unchecked((cmd_rq[tag] = 0));
    retries = <u32>load<u8>(rq + RQ_RETRIES);
    retry = status != 0 && (status & NVME_STATUS_DNR) == 0 && retries < nvme_max_retries;
  }
  // A retried request is not ended (no blk_mq_end_request, bio_endio or
  // io_uring completion): blk_mq_requeue_request's own bookkeeping is not
  // charged (an assumption: no named cost; the new submission is charged).
  if (!retry) charge(core, LAYER_BLOCK, cost(COST_BLK_COMPLETE));
  const inflight = unchecked(q_inflight[q]);
  assert(inflight > 0, "nvme: queue occupancy underflow");
  unchecked((q_inflight[q] = inflight - 1));
  cmd_free(tag);
  // A slot freed: the oldest command waiting for one goes in, doorbell now.
  const wait = unchecked(q_bl_head[q]);
  if (wait != 0) {
    const wp = cm(wait - 1);
    const wait_next = load<u32>(wp + CM_NEXT);
    unchecked((q_bl_head[q] = wait_next));
    if (wait_next == 0) unchecked((q_bl_tail[q] = 0));
    sq_place(q, wp);
    charge(core, LAYER_NVME, cost(COST_DOORBELL));
    ring_doorbell(q, unchecked(core_time[core]));
  }
  if (retry) {
    // nvme_retry_req: the delay is crdt[CRD - 1] * 100 ms when the
    // status's CRD bits (0x1800) are set; the modelled controller reports
    // no CRDT and leaves them clear, so the requeue list is kicked now.
    store<u8>(rq + RQ_RETRIES, <u8>(retries + 1));
    unchecked((c_retries[ctrl] += 1));
    requeue_rq(rq, ctrl, core, 0);
    return;
  }
  if (rq != 0) blk_free(rq, RQ_HDR + <usize>load<u32>(rq + RQ_NSEGS) * 16);
  // nvme_error_status: media errors are BLK_STS_MEDIUM (-ENODATA), others -EIO.
  const res = status == 0 ? <i32>bytes : (status & 0x700) == 0x200 ? -61 : -5;
  end_rq(req, res, core, ctrl, q);
}

/** Poll this core's poll queues, controller by controller (io_do_iopoll). Inlined: a polling thread's every wake-up. */
// @ts-ignore: decorator
@inline export function nvme_poll(core: i32): u32 {
  let n: u32 = 0;
  unchecked((core_yielded[core] = false));
  const nq = unchecked(core_pq_n[core]);
  for (let i = 0; i < nq; i++) {
    const q = qidx(<i32>unchecked(core_pq[core * CTRLS_MAX + i]), core, true);
    n += nvme_process_cq(q, core);
    // Yielded before a shared resource: the caller goes on later.
    if (unchecked(core_yielded[core])) break;
  }
  return n;
}

/** Poll queues a poll pass on `core` visits (one per controller the core's rings use, set up on first use). */
export function nvme_poll_queues(core: i32): i32 {
  return core >= 0 && core < CORES_MAX ? unchecked(core_pq_n[core]) : 0;
}

/** Whether CQEs wait unprocessed on this core's poll queues. */
export function nvme_poll_pending(core: i32): bool {
  const nq = unchecked(core_pq_n[core]);
  for (let i = 0; i < nq; i++) {
    const q = qidx(<i32>unchecked(core_pq[core * CTRLS_MAX + i]), core, true);
    if (unchecked(q_cq_head[q]) != unchecked(q_cq_tail[q])) return true;
  }
  return false;
}

// Inspection (tests and users check commands against the NVMe spec).

/** Address of the command image of tag `tag` (64 bytes as the controller sees it). */
export function nvme_cmd_image(tag: u32): usize {
  return cm(tag);
}
/** Address of the iod (PRP list / SGL bookkeeping) of tag `tag`. */
export function nvme_cmd_iod(tag: u32): usize {
  return cm(tag) + CM_IOD;
}
/** Whether tag `tag` is a command in flight, and which request it serves. */
export function nvme_cmd_req(tag: u32): i32 {
  const p = cm(tag);
  return load<u8>(p + CM_LIVE) == 0 ? -1 : <i32>load<u32>(p + CM_REQ);
}
export function nvme_cmds_max(): u32 {
  return CMDS_MAX;
}
export function nvme_ctrl_count(): i32 {
  return nctrls;
}
export const NVME_IOD_BYTES: u32 = NVME_IOD_SIZE;
