// NVMe: the host driver (drivers/nvme/host/pci.c: queue_rq, commit_rqs,
// poll, completion, unmap) and the simulated controller and SSD (command
// fetch, data pointer walk through the IOMMU, media, PCIe link, CQE posting).
//
// Queues: for each controller and core, a poll queue (IORING_SETUP_IOPOLL
// rings) and an interrupt-driven queue, as nvme-pci's poll_queues. Queue
// memory is coherent DMA memory; it is modelled in the arena and the
// controller's accesses to it are not translated (only data and PRP/SGL
// list accesses are).

import { CORES_MAX, PAGE_SIZE } from "../sim/limits";
import { fail, SIM_ERR_CMDS } from "../sim/errors";
import { blk_alloc, mem_alloc } from "../sim/mem";
import {
  advance_to, charge, core_time, ev_push, EV_NVME_CQE, LAYER_BLOCK, LAYER_DMA, LAYER_IRQ, LAYER_NVME, now,
} from "../sim/engine";
import {
  cost, COST_BLK_COMPLETE, COST_BLK_MQ, COST_DMA_MAP_DIRECT, COST_DMA_UNMAP_DIRECT, COST_DOORBELL, COST_IRQ,
  COST_NVME_CMD, COST_NVME_COMPLETE,
} from "../sim/costs";
import {
  DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE, iommu_domain_create, iommu_map_sg, iommu_mode, iommu_unmap,
  iommu_walk_ns_acc, IOMMU_PASSTHROUGH,
} from "../iommu/iommu";
import { NVME_IOD_SIZE, nvme_free_data, nvme_prp_init, nvme_setup_data_ex, nvme_walk_data } from "./nvme_prp";
import { KIND_HOST, media_addr, phys_copy, phys_kind } from "../hw/physmem";
import { gpu_link_xfer, host_mem_xfer, pcie_ps_per_kb } from "../hw/gpu";
import { blk_cmd_done } from "../io_uring/rw";
import { trace_rec, TR_COMMAND, TR_COMPLETE, TR_DEVICE, TR_MAP, TR_UNMAP, tracing } from "../sim/trace";
import { wl_thread_event } from "../user/workload";

export const CTRLS_MAX: i32 = 16;
export const CMDS_MAX: u32 = 65536;
const CHUNKS_MAX: u32 = 4096;

export const nvme_cmd_read: u8 = 0x02;
export const nvme_cmd_write: u8 = 0x01;
/** NVMe generic status: LBA out of range. */
export const NVME_SC_LBA_RANGE: i32 = 0x80;
/** NVMe media error (SCT 2): unrecovered read error; Linux maps it to BLK_STS_MEDIUM, -ENODATA. */
export const NVME_SC_READ_ERROR: i32 = 0x281;
/** NVMe media error (SCT 2): write fault; Linux maps it to BLK_STS_MEDIUM. */
export const NVME_SC_WRITE_FAULT: i32 = 0x280;

// Controller (and its namespace, nsid 1) parameters and state.
let nctrls: i32 = 0;
const c_lba_shift = new StaticArray<u32>(CTRLS_MAX);
const c_lbas = new StaticArray<u64>(CTRLS_MAX);
const c_ctrl_ps = new StaticArray<u64>(CTRLS_MAX); // command processing time, picoseconds
const c_rlat_ns = new StaticArray<u64>(CTRLS_MAX);
const c_wlat_ns = new StaticArray<u64>(CTRLS_MAX);
const c_jitter_ns = new StaticArray<u64>(CTRLS_MAX);
const c_media_ps_per_kb = new StaticArray<u64>(CTRLS_MAX);
const c_channels = new StaticArray<u32>(CTRLS_MAX);
const c_chan_free = new StaticArray<usize>(CTRLS_MAX); // u64[] ps
const c_chan_rr = new StaticArray<u32>(CTRLS_MAX);
const c_link_ps_per_kb = new StaticArray<u64>(CTRLS_MAX); // ps per 1024 wire bytes
const c_mps = new StaticArray<u32>(CTRLS_MAX);
const c_mps_shift = new StaticArray<u32>(CTRLS_MAX); // MPS is a power of two
const c_tlp_ovh = new StaticArray<u32>(CTRLS_MAX);
const c_dom = new StaticArray<i32>(CTRLS_MAX);
const c_ctrl_free = new StaticArray<u64>(CTRLS_MAX); // ps
const c_link_free = new StaticArray<u64>(CTRLS_MAX); // ps
const c_rng = new StaticArray<u64>(CTRLS_MAX);
/** Media errors injected per million commands (profile devices[].media_error_ppm). */
const c_err_ppm = new StaticArray<u32>(CTRLS_MAX);
/** Counters per controller: commands, busy ps of the command processor, of the link. */
export const c_cmds = new StaticArray<u64>(CTRLS_MAX);
export const c_ctrl_busy_ps = new StaticArray<u64>(CTRLS_MAX);
export const c_link_busy_ps = new StaticArray<u64>(CTRLS_MAX);
export const c_errors = new StaticArray<u64>(CTRLS_MAX);

let sgl_supported: bool = true;
let sgl_threshold: u32 = 32768;
let queue_depth: u32 = 1024;
/** Move real bytes (functional run) or timing only. */
export let functional: bool = true;

// Queues: index = (ctrl * CORES_MAX + core) * 2 + (irq ? 1 : 0).
const QUEUES: i32 = CTRLS_MAX * CORES_MAX * 2;
const q_sq = new StaticArray<usize>(QUEUES);
const q_cq = new StaticArray<usize>(QUEUES);
const q_sq_tail = new StaticArray<u32>(QUEUES); // host
const q_sq_head = new StaticArray<u32>(QUEUES); // device
const q_cq_tail = new StaticArray<u32>(QUEUES); // device
const q_cq_head = new StaticArray<u32>(QUEUES); // host
const q_inflight = new StaticArray<u32>(QUEUES);
const q_db_pending = new StaticArray<bool>(QUEUES);
// Commands built while every SQ slot was taken (tag + 1, linked by CM_NEXT).
const q_bl_head = new StaticArray<u32>(QUEUES);
const q_bl_tail = new StaticArray<u32>(QUEUES);
// Queues with a doorbell to ring at commit_rqs, per core (small stack).
const DB_LIST_MAX: i32 = CTRLS_MAX * 2;
const db_list = new StaticArray<i32>(CORES_MAX * DB_LIST_MAX);
const db_count = new StaticArray<i32>(CORES_MAX);

/** The workload thread spinning on each core's poll queues (-1: none). */
export const core_poll_waiter = new StaticArray<i32>(CORES_MAX);

// Command table (tags). Each: 64-byte command image, driver state, iod.
const CMD_SIZE: u32 = 256;
const CM_REQ: u32 = 64; // u32
const CM_Q: u32 = 68; // i32
const CM_DMA: u32 = 72; // u64
const CM_LEN: u32 = 80; // u32 bytes
const CM_KIND: u32 = 84; // u8 mapping kind
const CM_DIR: u32 = 85; // u8
const CM_CTRL: u32 = 86; // u8
const CM_CORE: u32 = 87; // u8
const CM_STATUS: u32 = 88; // i32
const CM_LIVE: u32 = 92; // u8
const CM_DONE_NS: u32 = 104; // u64 CQE posted (trace)
const CM_NEXT: u32 = 112; // u32 next waiting command (tag + 1)
const CM_SUBMIT_NS: u32 = 96; // u64 (trace)
const CM_IOD: u32 = 128; // NVME_IOD_SIZE bytes
const MAP_NONE: u8 = 0;
const MAP_IOMMU: u8 = 1;
const MAP_DIRECT: u8 = 2;
const MAP_PREMAPPED: u8 = 3;

let cmds: usize = 0;
let cmd_free_head: u32 = 0; // tag + 1
let cmds_live: u32 = 0;
let dseg: usize = 0; // scratch: one DMA segment (16 bytes)
let chunks: usize = 0; // scratch for the controller's walk

// @ts-ignore: decorator
@inline function cm(tag: u32): usize {
  return cmds + <usize>tag * CMD_SIZE;
}

export function nvme_init(ctrls: i32, depth: u32, sgl: bool, sgl_thr: u32, pool_pages_max: u32, func: bool): void {
  nctrls = ctrls;
  queue_depth = depth;
  sgl_supported = sgl;
  sgl_threshold = sgl_thr;
  functional = func;
  cmds = mem_alloc(<usize>CMDS_MAX * CMD_SIZE);
  for (let i: u32 = 0; i < CMDS_MAX; i++) store<u32>(cm(i) + CM_REQ, i + 2 <= CMDS_MAX ? i + 2 : 0);
  cmd_free_head = 1;
  cmds_live = 0;
  dseg = mem_alloc(16);
  chunks = mem_alloc(<usize>CHUNKS_MAX * 16);
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
  for (let c = 0; c < CORES_MAX; c++) {
    unchecked((db_count[c] = 0));
    unchecked((core_poll_waiter[c] = -1));
  }
  nvme_prp_init(ctrls, pool_pages_max);
}

/**
 * Describe controller `c` (one namespace). Link rate from PCIe generation and
 * lanes: GT/s per lane x encoding efficiency / 8 bits.
 */
export function nvme_ctrl_setup(
  c: i32, lba_bytes: u32, capacity_lbas: u64, iops_max: u32, rlat_ns: u32, wlat_ns: u32, jitter_ns: u32,
  media_mbps: u32, channels: u32, pcie_gen: i32, lanes: u32, mps: u32, tlp_ovh: u32, iommu_unit: i32, seed: u64,
  media_error_ppm: u32,
): void {
  unchecked((c_lba_shift[c] = 31 - clz(lba_bytes)));
  unchecked((c_err_ppm[c] = media_error_ppm));
  unchecked((c_lbas[c] = capacity_lbas));
  unchecked((c_ctrl_ps[c] = 1_000_000_000_000 / <u64>iops_max));
  unchecked((c_rlat_ns[c] = rlat_ns));
  unchecked((c_wlat_ns[c] = wlat_ns));
  unchecked((c_jitter_ns[c] = jitter_ns));
  // MB/s -> ps per KiB: 1024 B / (mbps * 1e6 B/s) * 1e12 ps/s.
  unchecked((c_media_ps_per_kb[c] = 1_024_000_000 / <u64>media_mbps));
  unchecked((c_channels[c] = channels));
  const chf = mem_alloc(<usize>channels * 8, 8);
  unchecked((c_chan_free[c] = chf));
  unchecked((c_chan_rr[c] = 0));
  unchecked((c_link_ps_per_kb[c] = pcie_ps_per_kb(pcie_gen, lanes)));
  unchecked((c_mps[c] = mps));
  unchecked((c_mps_shift[c] = 31 - clz(mps)));
  unchecked((c_tlp_ovh[c] = tlp_ovh));
  unchecked((c_dom[c] = iommu_domain_create(c, iommu_unit)));
  unchecked((c_ctrl_free[c] = 0));
  unchecked((c_link_free[c] = 0));
  unchecked((c_rng[c] = seed * 0x9E3779B97F4A7C15 + <u64>c + 1));
  unchecked((c_cmds[c] = 0));
  unchecked((c_ctrl_busy_ps[c] = 0));
  unchecked((c_link_busy_ps[c] = 0));
  unchecked((c_errors[c] = 0));
  unchecked((c_fifo[c] = mem_alloc(<usize>FIFO_CAP * 4, 8, false)));
  unchecked((c_fifo_head[c] = 0));
  unchecked((c_fifo_tail[c] = 0));
  unchecked((c_last_done[c] = 0));
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

// @ts-ignore: decorator
@inline function qidx(c: i32, core: i32, polled: bool): i32 {
  return (c * CORES_MAX + core) * 2 + (polled ? 0 : 1);
}

function queue_get(c: i32, core: i32, polled: bool): i32 {
  const q = qidx(c, core, polled);
  if (unchecked(q_sq[q]) == 0) {
    unchecked((q_sq[q] = blk_alloc(<usize>queue_depth * 64)));
    unchecked((q_cq[q] = blk_alloc(<usize>queue_depth * 16)));
  }
  return q;
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
 * or DMA addresses when premapped. Returns 0 or a negative errno.
 */
export function nvme_queue_rq(
  c: i32, core: i32, polled: bool, req: u32, slba: u64, bytes: u32, segs: usize, nsegs: u32, write: bool,
  premapped: bool,
): i32 {
  const q = queue_get(c, core, polled);
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
  store<u64>(p + CM_SUBMIT_NS, unchecked(core_time[core]));
  let dsegs = segs;
  let nd = nsegs;
  const t_map = unchecked(core_time[core]);
  if (premapped) {
    store<u8>(p + CM_KIND, MAP_PREMAPPED);
  } else if (iommu_mode() == IOMMU_PASSTHROUGH) {
    // dma-direct: the DMA addresses are the physical ones.
    charge(core, LAYER_DMA, cost(COST_DMA_MAP_DIRECT));
    store<u8>(p + CM_KIND, MAP_DIRECT);
  } else {
    const dma = iommu_map_sg(dom, core, segs, nsegs, dir);
    if (dma == DMA_MAPPING_ERROR) {
      cmd_free(tag);
      return -12; // -ENOMEM: IOVA space exhausted
    }
    store<u64>(dseg, dma);
    store<u32>(dseg + 8, bytes);
    dsegs = dseg;
    nd = 1;
    store<u8>(p + CM_KIND, MAP_IOMMU);
    store<u64>(p + CM_DMA, dma);
  }
  // dma-buf requests always use PRPs: the series builds them from the map's
  // per-page addresses (the map is a ready-made PRP source).
  const t_cmd = unchecked(core_time[core]);
  const st = nvme_setup_data_ex(c, dom, core, p, p + CM_IOD, dsegs, nd, bytes, sgl_supported && !premapped,
    sgl_threshold, nsegs);
  if (tracing) {
    if (!premapped) trace_rec(TR_MAP, t_map, t_cmd - t_map, c, req);
    trace_rec(TR_COMMAND, t_cmd, unchecked(core_time[core]) - t_cmd, c, req);
  }
  if (st != 0) {
    nvme_unmap(tag, core);
    cmd_free(tag);
    return st == 1 ? -11 : -5; // BLK_STS_RESOURCE -> -EAGAIN, else -EIO
  }
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
}

/** commit_rqs: ring the SQ tail doorbell of every queue this core filled. */
export function nvme_commit_rqs(core: i32): void {
  const n = unchecked(db_count[core]);
  for (let i = 0; i < n; i++) {
    const q = unchecked(db_list[core * DB_LIST_MAX + i]);
    unchecked((q_db_pending[q] = false));
    charge(core, LAYER_NVME, cost(COST_DOORBELL));
    ctrl_doorbell(q, unchecked(core_time[core]));
  }
  unchecked((db_count[core] = 0));
}

// @ts-ignore: decorator
@inline function rng_next(c: i32): u64 {
  // xorshift64*: deterministic per controller and seed.
  let x = unchecked(c_rng[c]);
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  unchecked((c_rng[c] = x));
  return x * 0x2545F4914F6CDD1D;
}

/** The controller sees new SQ entries at time `t_ns` and executes them in order. */
function ctrl_doorbell(q: i32, t_ns: u64): void {
  const c = q / (CORES_MAX * 2);
  let guard: u32 = 0;
  while (unchecked(q_sq_head[q]) != unchecked(q_sq_tail[q])) {
    const head = unchecked(q_sq_head[q]);
    const sqe = unchecked(q_sq[q]) + <usize>(head & (queue_depth - 1)) * 64;
    unchecked((q_sq_head[q] = head + 1));
    device_exec(c, sqe, t_ns);
    if (++guard > queue_depth) break;
  }
}

/**
 * Execute one command: fetch (command processor, serial at the IOPS
 * ceiling), walk its data pointer through the IOMMU (moving the bytes in a
 * functional run), media service on one of the channels, then the transfer
 * over the PCIe link; the CQE is posted when it is done.
 */
function device_exec(c: i32, sqe: usize, t_ns: u64): void {
  const tag = <u32>load<u16>(sqe + 2);
  const op = load<u8>(sqe);
  const write = op == nvme_cmd_write;
  const slba = load<u64>(sqe + 40);
  const nlb = <u64>load<u16>(sqe + 48) + 1;
  const shift = unchecked(c_lba_shift[c]);
  const bytes = <u32>(nlb << shift);
  const t_ps = t_ns * 1000;
  let start = unchecked(c_ctrl_free[c]);
  if (start < t_ps) start = t_ps;
  const ctrl_ps = unchecked(c_ctrl_ps[c]);
  unchecked((c_ctrl_free[c] = start + ctrl_ps));
  unchecked((c_ctrl_busy_ps[c] += ctrl_ps));
  unchecked((c_cmds[c] += 1));
  let status: i32 = 0;
  let done = start + ctrl_ps;
  if (slba + nlb > unchecked(c_lbas[c])) {
    status = NVME_SC_LBA_RANGE;
  } else if (unchecked(c_err_ppm[c]) != 0 && ((rng_next(c) >> 32) * 1_000_000) >> 32 < <u64>unchecked(c_err_ppm[c])) {
    // An injected media error: the command fails after the controller's work.
    status = write ? NVME_SC_WRITE_FAULT : NVME_SC_READ_ERROR;
  } else {
    iommu_walk_ns_acc = 0;
    const n = nvme_walk_data(unchecked(c_dom[c]), sqe, bytes, !write, chunks, CHUNKS_MAX);
    const walk_ps = iommu_walk_ns_acc * 1000;
    if (n < 0) {
      status = -n;
      done += walk_ps;
    } else {
      if (functional) {
        let moff = media_addr(c, slba << shift);
        for (let i = 0; i < n; i++) {
          const pa = load<u64>(chunks + <usize>i * 16);
          const len = load<u32>(chunks + <usize>i * 16 + 8);
          if (write) phys_copy(moff, pa, len);
          else phys_copy(pa, moff, len);
          moff += len;
        }
      }
      // Media: channels taken round robin (equal-size commands make this the
      // least-loaded choice); a channel is busy for the latency plus transfer.
      const ch = unchecked(c_chan_rr[c]);
      unchecked((c_chan_rr[c] = ch + 1 == unchecked(c_channels[c]) ? 0 : ch + 1));
      const chp = unchecked(c_chan_free[c]) + (<usize>ch << 3);
      let ms = load<u64>(chp);
      if (ms < done) ms = done;
      let lat_ns = write ? unchecked(c_wlat_ns[c]) : unchecked(c_rlat_ns[c]);
      const jit = unchecked(c_jitter_ns[c]);
      // Uniform in [0, jit]: the high 32 random bits scaled (no division).
      if (jit > 0) lat_ns += ((rng_next(c) >> 32) * (jit + 1)) >> 32;
      const media_done = ms + lat_ns * 1000 + (<u64>bytes * unchecked(c_media_ps_per_kb[c])) / 1024;
      store<u64>(chp, media_done);
      // Link: payload in MPS-sized TLPs plus the command fetch and the CQE.
      const mps_shift = unchecked(c_mps_shift[c]);
      const tlps = (bytes + (<u32>1 << mps_shift) - 1) >> mps_shift;
      const wire = <u64>bytes + <u64>tlps * unchecked(c_tlp_ovh[c]) + 64 + 16;
      const link_ps = wire * unchecked(c_link_ps_per_kb[c]) / 1024;
      let ls = media_done + walk_ps;
      if (ls < unchecked(c_link_free[c])) ls = unchecked(c_link_free[c]);
      unchecked((c_link_free[c] = ls + link_ps));
      unchecked((c_link_busy_ps[c] += link_ps));
      done = ls + link_ps;
      // The far end: host memory, or a GPU's link for peer-to-peer (the data
      // streams through both, so the slower sets the end).
      if (n > 0) {
        const kind = phys_kind(load<u64>(chunks));
        const far = kind == KIND_HOST ? host_mem_xfer(ls, bytes) : kind >= 0 ? gpu_link_xfer(kind, ls, bytes) : 0;
        if (far > done) done = far;
      }
    }
  }
  if (status != 0) unchecked((c_errors[c] += 1));
  store<i32>(cm(tag) + CM_STATUS, status);
  const done_ns = (done + 999) / 1000;
  store<u64>(cm(tag) + CM_DONE_NS, done_ns);
  if (tracing) trace_rec(TR_DEVICE, t_ns, done_ns - t_ns, c, load<u32>(cm(tag) + CM_REQ));
  cq_fifo_push(c, tag, done_ns);
}

// Completions leave a controller in order: every successful transfer ends on
// the link, whose free time only grows, so done times are non-decreasing per
// controller. A failed command (no transfer) is held behind earlier ones.
// A FIFO per controller with one event for its head keeps the event heap
// small (controllers + threads instead of one entry per command in flight).
const FIFO_CAP: u32 = CMDS_MAX;
const c_fifo = new StaticArray<usize>(CTRLS_MAX); // u32[] tags
const c_fifo_head = new StaticArray<u32>(CTRLS_MAX);
const c_fifo_tail = new StaticArray<u32>(CTRLS_MAX);
const c_last_done = new StaticArray<u64>(CTRLS_MAX);

function cq_fifo_push(c: i32, tag: u32, done_ns: u64): void {
  if (done_ns < unchecked(c_last_done[c])) {
    done_ns = unchecked(c_last_done[c]);
    store<u64>(cm(tag) + CM_DONE_NS, done_ns);
  }
  unchecked((c_last_done[c] = done_ns));
  const head = unchecked(c_fifo_head[c]);
  const tail = unchecked(c_fifo_tail[c]);
  store<u32>(unchecked(c_fifo[c]) + (<usize>(tail & (FIFO_CAP - 1)) << 2), tag);
  unchecked((c_fifo_tail[c] = tail + 1));
  if (head == tail) ev_push(done_ns, EV_NVME_CQE, <u32>c);
}

/** EV_NVME_CQE for controller `c`: its oldest command finished; post it, then arm the next. */
export function nvme_ctrl_event(c: u32): void {
  const ci = <i32>c;
  const head = unchecked(c_fifo_head[ci]);
  const tag = load<u32>(unchecked(c_fifo[ci]) + (<usize>(head & (FIFO_CAP - 1)) << 2));
  unchecked((c_fifo_head[ci] = head + 1));
  if (head + 1 != unchecked(c_fifo_tail[ci])) {
    const next = load<u32>(unchecked(c_fifo[ci]) + (<usize>((head + 1) & (FIFO_CAP - 1)) << 2));
    ev_push(load<u64>(cm(next) + CM_DONE_NS), EV_NVME_CQE, c);
  }
  nvme_cqe_event(tag);
}

/** EV_NVME_CQE: the controller posts the CQE; an interrupt queue raises its IRQ. */
function nvme_cqe_event(tag: u32): void {
  const p = cm(tag);
  const q = load<i32>(p + CM_Q);
  const tail = unchecked(q_cq_tail[q]);
  const e = unchecked(q_cq[q]) + <usize>(tail & (queue_depth - 1)) * 16;
  // CQE: DW0 result, DW2 SQ head + SQ id, DW3 CID + status (phase bit 0).
  const phase: u16 = <u16>((tail / queue_depth) & 1) ^ 1;
  store<u32>(e, 0);
  store<u32>(e + 4, 0);
  store<u16>(e + 8, <u16>unchecked(q_sq_head[q]));
  store<u16>(e + 10, <u16>(q & 0xffff));
  store<u16>(e + 12, <u16>tag);
  store<u16>(e + 14, <u16>(load<i32>(p + CM_STATUS) << 1) | phase);
  unchecked((q_cq_tail[q] = tail + 1));
  if ((q & 1) == 0) {
    // A workload thread spinning on this poll queue sees the CQE now.
    const core = <i32>((q >> 1) % CORES_MAX);
    const t = unchecked(core_poll_waiter[core]);
    if (t >= 0) {
      // Run it right away: the same as an EV_THREAD now, without the queue.
      unchecked((core_poll_waiter[core] = -1));
      wl_thread_event(<u32>t);
    }
  } else {
    // Interrupt: the handler runs on the queue's core once it is free.
    const core = <i32>((q >> 1) % CORES_MAX);
    advance_to(core, now, false, LAYER_IRQ);
    charge(core, LAYER_IRQ, cost(COST_IRQ));
    nvme_process_cq(q, core);
  }
}

/** nvme_process_cq: handle every CQE the controller has posted, in order. */
function nvme_process_cq(q: i32, core: i32): u32 {
  let n: u32 = 0;
  let guard: u32 = 0;
  while (unchecked(q_cq_head[q]) != unchecked(q_cq_tail[q])) {
    const head = unchecked(q_cq_head[q]);
    const e = unchecked(q_cq[q]) + <usize>(head & (queue_depth - 1)) * 16;
    unchecked((q_cq_head[q] = head + 1));
    const tag = <u32>load<u16>(e + 12);
    const status = <i32>(load<u16>(e + 14) >> 1);
    nvme_complete_cmd(tag, status, core);
    n++;
    if (++guard > queue_depth) break;
  }
  return n;
}

function nvme_unmap(tag: u32, core: i32): void {
  const p = cm(tag);
  const kind = load<u8>(p + CM_KIND);
  if (kind == MAP_IOMMU) {
    iommu_unmap(unchecked(c_dom[load<u8>(p + CM_CTRL)]), core, load<u64>(p + CM_DMA), <u64>load<u32>(p + CM_LEN),
      <i32>load<u8>(p + CM_DIR));
  } else if (kind == MAP_DIRECT) {
    charge(core, LAYER_DMA, cost(COST_DMA_UNMAP_DIRECT));
  }
  store<u8>(p + CM_KIND, MAP_NONE);
}

/** nvme_pci_complete_rq: unmap, free PRP lists, end the block request. */
function nvme_complete_cmd(tag: u32, status: i32, core: i32): void {
  const p = cm(tag);
  const t0 = unchecked(core_time[core]);
  charge(core, LAYER_NVME, cost(COST_NVME_COMPLETE));
  const t_unmap = unchecked(core_time[core]);
  const kind = load<u8>(p + CM_KIND);
  nvme_unmap(tag, core);
  if (tracing) {
    const c = <i32>load<u8>(p + CM_CTRL);
    const req = load<u32>(p + CM_REQ);
    const done = load<u64>(p + CM_DONE_NS);
    trace_rec(TR_COMPLETE, done, (t0 > done ? t0 - done : 0) + (t_unmap - t0), c, req);
    if (kind != MAP_PREMAPPED) trace_rec(TR_UNMAP, t_unmap, unchecked(core_time[core]) - t_unmap, c, req);
  }
  nvme_free_data(<i32>load<u8>(p + CM_CTRL), p + CM_IOD);
  charge(core, LAYER_BLOCK, cost(COST_BLK_COMPLETE));
  const q = load<i32>(p + CM_Q);
  unchecked((q_inflight[q] -= 1));
  const req = load<u32>(p + CM_REQ);
  const bytes = load<u32>(p + CM_LEN);
  cmd_free(tag);
  // A slot freed: the oldest command waiting for one goes in, doorbell now.
  const wait = unchecked(q_bl_head[q]);
  if (wait != 0) {
    const wp = cm(wait - 1);
    unchecked((q_bl_head[q] = load<u32>(wp + CM_NEXT)));
    if (unchecked(q_bl_head[q]) == 0) unchecked((q_bl_tail[q] = 0));
    sq_place(q, wp);
    charge(core, LAYER_NVME, cost(COST_DOORBELL));
    ctrl_doorbell(q, unchecked(core_time[core]));
  }
  // nvme_error_status: media errors are BLK_STS_MEDIUM (-ENODATA), others -EIO.
  const res = status == 0 ? <i32>bytes : (status & 0x700) == 0x200 ? -61 : -5;
  blk_cmd_done(req, res, core);
}

/** Poll this core's poll queues on every controller (io_do_iopoll). */
export function nvme_poll(core: i32): u32 {
  let n: u32 = 0;
  for (let c = 0; c < nctrls; c++) {
    const q = qidx(c, core, true);
    if (unchecked(q_cq[q]) != 0) n += nvme_process_cq(q, core);
  }
  return n;
}

/** Whether CQEs wait unprocessed on this core's poll queues. */
export function nvme_poll_pending(core: i32): bool {
  for (let c = 0; c < nctrls; c++) {
    const q = qidx(c, core, true);
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
export function nvme_ctrl_cmds(c: i32): f64 {
  return <f64>unchecked(c_cmds[c]);
}
export function nvme_ctrl_busy_ns(c: i32): f64 {
  return <f64>unchecked(c_ctrl_busy_ps[c]) / 1000;
}
export function nvme_link_busy_ns(c: i32): f64 {
  return <f64>unchecked(c_link_busy_ps[c]) / 1000;
}
export function nvme_set_functional(f: bool): void {
  functional = f;
}
// Keep the page size import meaningful to readers: PRP pages are PAGE_SIZE.
export const NVME_CTRL_PAGE_SIZE: u32 = PAGE_SIZE;
export const NVME_IOD_BYTES: u32 = NVME_IOD_SIZE;
