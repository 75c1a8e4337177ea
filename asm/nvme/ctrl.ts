// The simulated NVMe controller and SSD (hw side of nvme-pci): doorbells,
// command fetch, the data pointer walked through the IOMMU, media channels,
// the PCIe link, and CQE posting in order per controller. The host driver
// (pci.ts) builds commands in the shared command table and queue memory
// declared here; the controller never calls the host: a posted CQE goes back
// to the event dispatcher (machine/dispatch.ts), which raises the interrupt
// or wakes the polling thread.
//
// Queues: for each controller and core, a poll queue (IORING_SETUP_IOPOLL
// rings) and an interrupt-driven queue, as nvme-pci's poll_queues. Queue
// memory is coherent DMA memory; it is modelled in the arena and the
// controller's accesses to it are not translated (only data and PRP/SGL
// list accesses are).

import { CORES_MAX } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import { ASSERTS, bound, INV_SQ_FETCH } from "../sim/errors";
import { ev_drop_top, ev_push, ev_replace_top, EV_NVME_CQE, EV_NVME_DOORBELL, EV_NVME_MEDIA, now } from "../sim/engine";
import { iommu_walk_ns_acc } from "../iommu/iommu";
import { nvme_walk_data, nvme_walk_first_kind } from "./nvme_prp";
import { KIND_HOST, media_addr, phys_copy } from "../hw/physmem";
import { gpu_link_xfer, host_mem_xfer, pcie_ps_per_kb } from "../hw/gpu";
import { trace_rec, TR_DEVICE, tracing } from "../sim/trace";

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
/** Do Not Retry, bit 14 of the status field as the host keeps it (cqe->status >> 1: NVME_STATUS_DNR). */
export const NVME_STATUS_DNR: i32 = 0x4000;

// Controller (and its namespace, nsid 1) parameters and state.
export const c_lba_shift = new StaticArray<u32>(CTRLS_MAX);
export const c_lbas = new StaticArray<u64>(CTRLS_MAX);
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
export const c_dom = new StaticArray<i32>(CTRLS_MAX);
const c_ctrl_free = new StaticArray<u64>(CTRLS_MAX); // ps
const c_link_free = new StaticArray<u64>(CTRLS_MAX); // ps
const c_rng = new StaticArray<u64>(CTRLS_MAX);
/** Media errors injected per million commands (profile devices[].media_error_ppm). */
const c_err_ppm = new StaticArray<u32>(CTRLS_MAX);
/** Whether a media error's status has DNR set (profile devices[].media_error_dnr). */
const c_err_dnr = new StaticArray<bool>(CTRLS_MAX);
/** Counters per controller: commands (the command processor's busy time follows: c_ctrl_ps each), busy ps of the link. */
export const c_cmds = new StaticArray<u64>(CTRLS_MAX);
export const c_link_busy_ps = new StaticArray<u64>(CTRLS_MAX);
export const c_errors = new StaticArray<u64>(CTRLS_MAX);

/** Entries per queue (a power of two); set by nvme_init. */
export let queue_depth: u32 = 1024;
/** Move real bytes (functional run) or timing only. */
export let functional: bool = true;

// Queues: index = (ctrl * CORES_MAX + core) * 2 + (irq ? 1 : 0).
export const QUEUES: i32 = CTRLS_MAX * CORES_MAX * 2;
export const q_sq = new StaticArray<usize>(QUEUES);
export const q_cq = new StaticArray<usize>(QUEUES);
export const q_sq_tail = new StaticArray<u32>(QUEUES); // host
export const q_sq_head = new StaticArray<u32>(QUEUES); // device
export const q_cq_tail = new StaticArray<u32>(QUEUES); // device
export const q_cq_head = new StaticArray<u32>(QUEUES); // host

// Command table (tags). Each: 64-byte command image, driver state, iod.
// The controller reads the image, records CM_STATUS and CM_DONE_NS, and finds
// the queue (CM_Q) to post the CQE on; the rest belongs to the host driver.
export const CMD_SIZE: u32 = 256;
export const CM_REQ: u32 = 64; // u32
export const CM_Q: u32 = 68; // i32
export const CM_DMA: u32 = 72; // u64
export const CM_LEN: u32 = 80; // u32 bytes
export const CM_KIND: u32 = 84; // u8 mapping kind
export const CM_DIR: u32 = 85; // u8
export const CM_CTRL: u32 = 86; // u8
export const CM_CORE: u32 = 87; // u8
export const CM_STATUS: u32 = 88; // i32
export const CM_LIVE: u32 = 92; // u8
export const CM_DONE_NS: u32 = 104; // u64 CQE posted (trace)
export const CM_NEXT: u32 = 112; // u32 next waiting command (tag + 1)
export const CM_FAR: u32 = 116; // i32 where the data goes: KIND_HOST, a GPU, or a KIND_XFER_* value
export const CM_FETCH_NS: u32 = 120; // u64 when the controller fetched the command
export const CM_SUBMIT_NS: u32 = 96; // u64 (trace)
export const CM_IOD: u32 = 128; // NVME_IOD_SIZE bytes

/** The command table (CMDS_MAX slots of CMD_SIZE bytes). */
export let cmds: usize = 0;
let chunks: usize = 0; // scratch for the controller's walk

// @ts-ignore: decorator
@inline export function cm(tag: u32): usize {
  return cmds + <usize>tag * CMD_SIZE;
}

/** Controller-side set-up of a fresh machine: queue depth, functional mode, the command table. */
export function nvme_ctrl_init(depth: u32, func: bool): void {
  queue_depth = depth;
  functional = func;
  cmds = mem_alloc(<usize>CMDS_MAX * CMD_SIZE);
  win_t0 = 0;
  ctrls_used = 0;
  pend_first_ps = u64.MAX_VALUE;
  pend_first_c = 0;
  pend_armed_ns = u64.MAX_VALUE;
  lookahead_ps = u64.MAX_VALUE;
  pend_last_ps = 0;
  pend_out_of_order = 0;
  media_events = 0;
}

/** The controller's walk scratch (allocated after the host's own scratch). */
export function nvme_ctrl_init_scratch(): void {
  chunks = mem_alloc(<usize>CHUNKS_MAX * 16);
}

/** nvme_pci_complete_rq's view of the device: switch functional (byte-moving) runs on or off. */
export function nvme_set_functional(f: bool): void {
  functional = f;
}

/**
 * The device half of describing controller `c` (one namespace): media,
 * channels, link rate from PCIe generation and lanes (GT/s per lane x
 * encoding efficiency / 8 bits), and the IOMMU domain its DMA goes through.
 */
export function nvme_ctrl_device_setup(
  c: i32, lba_bytes: u32, capacity_lbas: u64, iops_max: u32, rlat_ns: u32, wlat_ns: u32, jitter_ns: u32,
  media_mbps: u32, channels: u32, pcie_gen: i32, lanes: u32, mps: u32, tlp_ovh: u32, dom: i32, seed: u64,
  media_error_ppm: u32,
): void {
  unchecked((c_lba_shift[c] = 31 - clz(lba_bytes)));
  unchecked((c_err_ppm[c] = media_error_ppm));
  unchecked((c_err_dnr[c] = true));
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
  unchecked((c_dom[c] = dom));
  unchecked((c_ctrl_free[c] = 0));
  unchecked((c_link_free[c] = 0));
  unchecked((c_rng[c] = seed * 0x9E3779B97F4A7C15 + <u64>c + 1));
  unchecked((c_cmds[c] = 0));
  unchecked((c_link_busy_ps[c] = 0));
  unchecked((c_errors[c] = 0));
  unchecked((c_fifo[c] = mem_alloc(<usize>FIFO_CAP * 4, 8, false)));
  unchecked((c_fifo_head[c] = 0));
  unchecked((c_fifo_tail[c] = 0));
  unchecked((c_last_done[c] = 0));
  unchecked((c_pend[c] = mem_alloc(<usize>CMDS_MAX * PEND_ENTRY, 16, false)));
  unchecked((c_pend_head[c] = 0));
  unchecked((c_pend_tail[c] = 0));
  unchecked((c_pend_first[c] = u64.MAX_VALUE));
  if (c + 1 > ctrls_used) ctrls_used = c + 1;
  // A command is ready no sooner than the controller's work plus the shorter
  // media latency after its fetch (jitter, transfer and walks only add); the
  // machine's lookahead is the least of its controllers'.
  const min_delay_ps = unchecked(c_ctrl_ps[c]) + <u64>(rlat_ns < wlat_ns ? rlat_ns : wlat_ns) * 1000;
  if (min_delay_ps < lookahead_ps) lookahead_ps = min_delay_ps;
  unchecked((c_open[c] = 0));
  unchecked((c_open_sum[c] = 0));
  unchecked((c_closed_area[c] = 0));
  unchecked((c_lat_sum[c] = 0));
  unchecked((c_lat_n[c] = 0));
}

/**
 * Whether controller `c` sets Do Not Retry on its media errors (the spec
 * leaves it to the controller: DNR says a retry of the same command is
 * expected to fail again). Set after nvme_ctrl_device_setup, which sets it.
 */
export function nvme_ctrl_set_media_error_dnr(c: i32, dnr: bool): void {
  unchecked((c_err_dnr[c] = dnr));
}

/** Whether controller `c` injects media errors (whose status nvme_decide_disposition then judges). */
export function nvme_ctrl_media_errors(c: i32): bool {
  return unchecked(c_err_ppm[c]) != 0;
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

/**
 * The SQ tail doorbell of queue `q` is written at `t_ns`. The controller is
 * shared by every core's queues, so it fetches at an event at that time
 * (EV_NVME_DOORBELL), in global time order, rather than when the writing
 * core's code runs (its clock may be ahead of other cores'). The event
 * carries the tail written, so the controller fetches only what was there.
 */
export function ring_doorbell(q: i32, t_ns: u64): void {
  ev_push(t_ns, EV_NVME_DOORBELL, <u32>q | ((unchecked(q_sq_tail[q]) & 0xffff) << DB_Q_BITS));
}
/** Bits of a doorbell event's argument that hold the queue (QUEUES ≤ 2^DB_Q_BITS). */
const DB_Q_BITS: u32 = 12;

/** EV_NVME_DOORBELL: the controller fetches queue `q`'s commands up to the tail written. */
export function nvme_doorbell_event(arg: u32): void {
  const q = <i32>(arg & ((<u32>1 << DB_Q_BITS) - 1));
  const head = unchecked(q_sq_head[q]);
  const tail = head + ((((arg >> DB_Q_BITS) & 0xffff) - head) & 0xffff);
  ctrl_doorbell(q, now, tail);
}

/** The controller sees SQ entries up to `tail` at time `t_ns` and executes them in order. */
function ctrl_doorbell(q: i32, t_ns: u64, tail: u32): void {
  const c = q / (CORES_MAX * 2);
  let guard: u32 = 0;
  while (unchecked(q_sq_head[q]) != tail) {
    const head = unchecked(q_sq_head[q]);
    const sqe = unchecked(q_sq[q]) + <usize>(head & (queue_depth - 1)) * 64;
    unchecked((q_sq_head[q] = head + 1));
    device_exec(c, sqe, t_ns);
    bound(++guard, queue_depth, INV_SQ_FETCH);
  }
}

/**
 * Execute one command: fetch (command processor, serial at the IOPS
 * ceiling), walk its data pointer through the IOMMU (moving the bytes in a
 * functional run), media service on one of the channels; the transfer over
 * the PCIe link follows when the data is ready (nvme_media_event).
 */
function device_exec(c: i32, sqe: usize, t_ns: u64): void {
  const tag = <u32>load<u16>(sqe + NVME_CMD_CID);
  const op = load<u8>(sqe + NVME_CMD_OPCODE);
  const write = op == nvme_cmd_write;
  const slba = load<u64>(sqe + NVME_CMD_SLBA);
  const nlb = <u64>load<u16>(sqe + NVME_CMD_NLB) + 1;
  const shift = unchecked(c_lba_shift[c]);
  const bytes = <u32>(nlb << shift);
  const t_ps = t_ns * 1000;
  let start = unchecked(c_ctrl_free[c]);
  if (start < t_ps) start = t_ps;
  const ctrl_ps = unchecked(c_ctrl_ps[c]);
  unchecked((c_ctrl_free[c] = start + ctrl_ps));
  // The command processor's busy time is c_cmds x c_ctrl_ps (nvme_ctrl_busy_ns).
  unchecked((c_cmds[c] += 1));
  let status: i32 = 0;
  let done = start + ctrl_ps;
  let far: i32 = KIND_XFER_NONE;
  if (slba + nlb > unchecked(c_lbas[c])) {
    status = NVME_SC_LBA_RANGE;
  } else if (unchecked(c_err_ppm[c]) != 0 && ((rng_next(c) >> 32) * 1_000_000) >> 32 < <u64>unchecked(c_err_ppm[c])) {
    // An injected media error: the command fails after the controller's work.
    status = write ? NVME_SC_WRITE_FAULT : NVME_SC_READ_ERROR;
    if (unchecked(c_err_dnr[c])) status |= NVME_STATUS_DNR;
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
      // The data is ready for the link once the media is done and the data
      // pointer walked; the link is taken at that time, in readiness order
      // (EV_NVME_MEDIA), so a slow media read holds back no other command.
      done = media_done + walk_ps;
      far = n > 0 ? nvme_walk_first_kind() : KIND_XFER_LINK_ONLY;
    }
  }
  if (status != 0) unchecked((c_errors[c] += 1));
  const p = cm(tag);
  store<i32>(p + CM_STATUS, status);
  store<i32>(p + CM_FAR, far);
  store<u64>(p + CM_FETCH_NS, t_ns);
  dev_open(c, t_ns);
  if (status != 0) {
    // No data crosses the link: the CQE follows the controller's work.
    const done_ns = (done + 999) / 1000;
    store<u64>(p + CM_DONE_NS, done_ns);
    if (tracing) trace_rec(TR_DEVICE, t_ns, done_ns - t_ns, c, load<u32>(p + CM_REQ));
    cq_fifo_push(c, tag, done_ns);
    return;
  }
  // Until the link is taken, CM_DONE_NS holds the readiness time in ps.
  store<u64>(p + CM_DONE_NS, done);
  pend_insert(c, tag, done);
  // Nothing fetched from now on, by any controller, can be ready before
  // t + lookahead: every command ready by then takes its link now, in
  // readiness order over the whole machine.
  pend_commit(t_ps + lookahead_ps);
  pend_arm(t_ps);
}

// Commands whose data is not yet on the link, per controller, sorted by
// readiness (ps). Links are taken in readiness order over the whole machine,
// as soon as no command fetched later, by any controller, could be ready
// earlier (conservative lookahead: a command is ready no sooner than its
// controller's min_delay after its fetch, and lookahead_ps is the least of
// them): at each fetch, and at an EV_NVME_MEDIA event at most lookahead_ps
// after the last look while commands are pending — so that event always
// comes before any command fetched later is ready, and one event for the
// machine suffices. Host memory and each GPU's link, which every drive
// shares, are therefore booked in readiness order across drives, as a
// machine with one drive books them.
// A list per controller rather than one for the machine: each is out of
// order only within its drive's jitter, so an insertion from the tail moves
// few entries (one list for eight busy drives, whose backlogs differ, moved
// 37 entries per insertion); the lists are merged when links are taken, by
// the least head readiness (pend_first_ps), found by a scan of the heads.
// Each entry holds the readiness (ps) next to the tag, so that keeping the
// list sorted and looking at its head read the list itself, not the command
// table (with thousands of commands in flight, a command's line is a likely
// cache miss).
const c_pend = new StaticArray<usize>(CTRLS_MAX); // [CMDS_MAX] of (u64 ready ps, u32 tag, pad)
const PEND_ENTRY: usize = 16;
const c_pend_head = new StaticArray<u32>(CTRLS_MAX);
const c_pend_tail = new StaticArray<u32>(CTRLS_MAX);
/** Readiness (ps) at the head of each controller's list, u64.MAX_VALUE: empty. */
const c_pend_first = new StaticArray<u64>(CTRLS_MAX);
/** The least of c_pend_first (u64.MAX_VALUE: nothing pending) and its controller. */
let pend_first_ps: u64 = u64.MAX_VALUE;
let pend_first_c: i32 = 0;
/** Controllers described on this machine (the heads scanned). */
let ctrls_used: i32 = 0;
/** The pending EV_NVME_MEDIA's time, u64.MAX_VALUE: none. */
let pend_armed_ns: u64 = u64.MAX_VALUE;
/** The least min_delay (ps) over the machine's controllers: nothing fetched is ready sooner. */
let lookahead_ps: u64 = u64.MAX_VALUE;
/** EV_NVME_MEDIA events run since the machine was set up (nvme_media_events). */
let media_events: u64 = 0;
/** Readiness (ps) of the last command given its link (the order check below). */
let pend_last_ps: u64 = 0;
/** Commands given their link after one that was ready later (0 unless the lookahead is broken). */
let pend_out_of_order: u64 = 0;

// @ts-ignore: decorator
@inline function pend_at(c: i32, i: u32): usize {
  return unchecked(c_pend[c]) + (<usize>(i & (CMDS_MAX - 1)) << 4);
}

function pend_insert(c: i32, tag: u32, ready: u64): void {
  const head = unchecked(c_pend_head[c]);
  let i = unchecked(c_pend_tail[c]);
  while (i != head) {
    const prev = pend_at(c, i - 1);
    const prev_ready = load<u64>(prev);
    if (prev_ready <= ready) break;
    const e = pend_at(c, i);
    store<u64>(e, prev_ready);
    store<u32>(e, load<u32>(prev, 8), 8);
    i--;
  }
  const e = pend_at(c, i);
  store<u64>(e, ready);
  store<u32>(e, tag, 8);
  unchecked((c_pend_tail[c] += 1));
  if (i == head) {
    unchecked((c_pend_first[c] = ready));
    if (ready < pend_first_ps) {
      pend_first_ps = ready;
      pend_first_c = c;
    }
  }
}

/** Give its link to every pending command ready by `horizon_ps`, in readiness order over every controller. */
function pend_commit(horizon_ps: u64): void {
  while (pend_first_ps <= horizon_ps) {
    const ready = pend_first_ps;
    const c = pend_first_c;
    const head = unchecked(c_pend_head[c]) + 1;
    const tag = load<u32>(pend_at(c, head - 1), 8);
    unchecked((c_pend_head[c] = head));
    unchecked((c_pend_first[c] = head == unchecked(c_pend_tail[c]) ? u64.MAX_VALUE : load<u64>(pend_at(c, head))));
    // The next head over the machine (the lowest controller on a tie).
    let first = u64.MAX_VALUE;
    let first_c: i32 = 0;
    for (let k = 0; k < ctrls_used; k++) {
      const f = unchecked(c_pend_first[k]);
      if (f < first) {
        first = f;
        first_c = k;
      }
    }
    pend_first_ps = first;
    pend_first_c = first_c;
    if (ready < pend_last_ps) pend_out_of_order++;
    pend_last_ps = ready;
    media_link(tag);
  }
}

/**
 * With commands pending and no event standing, arm one lookahead_ps after
 * `base_ps` (the time of the look just made): every pending command is ready
 * later than that, and so is any command fetched after `base_ps`.
 */
function pend_arm(base_ps: u64): void {
  if (pend_first_ps == u64.MAX_VALUE) return;
  if (pend_armed_ns != u64.MAX_VALUE) return;
  let t = (base_ps + lookahead_ps) / 1000;
  if (t * 1000 <= base_ps) t = base_ps / 1000 + 1; // always forward (a sub-ns delay waits for the next ns)
  pend_armed_ns = t;
  ev_push(t, EV_NVME_MEDIA, 0);
}

/** EV_NVME_MEDIA (one for the machine): pending commands ready within the lookahead take their links. */
export function nvme_media_event(): void {
  media_events++;
  if (now >= pend_armed_ns) pend_armed_ns = u64.MAX_VALUE;
  pend_commit(now * 1000 + lookahead_ps);
  pend_arm(now * 1000);
}

/**
 * Commands that took their link after one ready later than them, over the
 * machine (each link, host memory and each GPU link are booked in this
 * order, so it must stay 0: tests/lookahead.test.ts).
 */
export function nvme_link_out_of_order(): f64 {
  return <f64>pend_out_of_order;
}

/** EV_NVME_MEDIA events run since the machine was set up (the events the lookahead saves are these). */
export function nvme_media_events(): f64 {
  return <f64>media_events;
}

/** No data transfer (a failed command): the CQE is posted when the controller is done. */
const KIND_XFER_NONE: i32 = -1000;
/** A transfer with no data segment: only the command fetch and the CQE cross the link. */
const KIND_XFER_LINK_ONLY: i32 = -1001;

/**
 * Command `tag`'s data takes the PCIe link — payload in MPS-sized TLPs plus
 * the command fetch and the CQE — once ready and the link is free, and the
 * far end (host memory, or a GPU's link for peer-to-peer) streams at the
 * same time. Called in readiness order over the whole machine
 * (pend_commit), so each link, host memory and each GPU's link serve
 * commands in the order their data became ready, whatever their drive.
 */
function media_link(tag: u32): void {
  const p = cm(tag);
  const c = <i32>load<u8>(p + CM_CTRL);
  const ready = load<u64>(p + CM_DONE_NS);
  let done = ready;
  const far = load<i32>(p + CM_FAR);
  if (far != KIND_XFER_NONE) {
    const bytes = load<u32>(p + CM_LEN);
    const mps_shift = unchecked(c_mps_shift[c]);
    const tlps = (bytes + (<u32>1 << mps_shift) - 1) >> mps_shift;
    const wire = <u64>bytes + <u64>tlps * unchecked(c_tlp_ovh[c]) + 64 + 16;
    const link_ps = wire * unchecked(c_link_ps_per_kb[c]) / 1024;
    const link_free = unchecked(c_link_free[c]);
    const ls = ready > link_free ? ready : link_free;
    unchecked((c_link_free[c] = ls + link_ps));
    unchecked((c_link_busy_ps[c] += link_ps));
    done = ls + link_ps;
    const xfer = far == KIND_HOST ? host_mem_xfer(ls, bytes) : far >= 0 ? gpu_link_xfer(far, ls, bytes) : <u64>0;
    if (xfer > done) done = xfer;
  }
  const done_ns = (done + 999) / 1000;
  store<u64>(p + CM_DONE_NS, done_ns);
  if (tracing) {
    const t_ns = load<u64>(p + CM_FETCH_NS);
    trace_rec(TR_DEVICE, t_ns, done_ns - t_ns, c, load<u32>(p + CM_REQ));
  }
  cq_fifo_push(c, tag, done_ns);
}

// Time-weighted commands inside each drive (fetched, CQE not yet posted), for
// checking device occupancy against device IOPS x device latency (Little's
// law): area = closed + open x t_end - open_sum, where each open command
// contributes max(fetch, window start) to open_sum.
const c_open = new StaticArray<u64>(CTRLS_MAX);
const c_open_sum = new StaticArray<u64>(CTRLS_MAX);
const c_closed_area = new StaticArray<u64>(CTRLS_MAX);
const c_lat_sum = new StaticArray<u64>(CTRLS_MAX);
const c_lat_n = new StaticArray<u64>(CTRLS_MAX);
let win_t0: u64 = 0;
// Values when the window closed.
const c_area_end = new StaticArray<f64>(CTRLS_MAX);
const c_lat_sum_end = new StaticArray<f64>(CTRLS_MAX);
const c_lat_n_end = new StaticArray<f64>(CTRLS_MAX);

// @ts-ignore: decorator
@inline function dev_open(c: i32, t: u64): void {
  unchecked((c_open[c] += 1));
  unchecked((c_open_sum[c] += t > win_t0 ? t : win_t0));
}

// @ts-ignore: decorator
@inline function dev_close(c: i32, fetch: u64, done: u64): void {
  const s = fetch > win_t0 ? fetch : win_t0;
  unchecked((c_open[c] -= 1));
  unchecked((c_open_sum[c] -= s));
  if (done > s) unchecked((c_closed_area[c] += done - s));
  if (fetch >= win_t0) {
    unchecked((c_lat_sum[c] += done - fetch));
    unchecked((c_lat_n[c] += 1));
  }
}

/** The measurement window opens at `t0`: occupancy and device latency count from here. */
export function nvme_window_start(t0: u64): void {
  win_t0 = t0;
  for (let c = 0; c < CTRLS_MAX; c++) {
    unchecked((c_open_sum[c] = unchecked(c_open[c]) * t0));
    unchecked((c_closed_area[c] = 0));
    unchecked((c_lat_sum[c] = 0));
    unchecked((c_lat_n[c] = 0));
  }
}

/** The window closes at `t1`: keep each drive's occupancy area and latency sums. */
export function nvme_window_end(t1: u64): void {
  for (let c = 0; c < CTRLS_MAX; c++) {
    const area = <f64>unchecked(c_closed_area[c]) + <f64>unchecked(c_open[c]) * <f64>t1 - <f64>unchecked(c_open_sum[c]);
    unchecked((c_area_end[c] = area));
    unchecked((c_lat_sum_end[c] = <f64>unchecked(c_lat_sum[c])));
    unchecked((c_lat_n_end[c] = <f64>unchecked(c_lat_n[c])));
  }
}

import { NVME_CMD_CID, NVME_CMD_NLB, NVME_CMD_OPCODE, NVME_CMD_SLBA } from "../sim/uapi";
import { NVME_WINDOW_LATENCY_SUM_NS, NVME_WINDOW_OCCUPANCY_AREA_NS } from "../sim/abi";

/** Window figures of controller `c`: 0 occupancy area (command-ns), 1 latency sum (ns), 2 commands timed. */
export function nvme_window_stat(c: i32, which: i32): f64 {
  if (which == NVME_WINDOW_OCCUPANCY_AREA_NS) return unchecked(c_area_end[c]);
  if (which == NVME_WINDOW_LATENCY_SUM_NS) return unchecked(c_lat_sum_end[c]);
  return unchecked(c_lat_n_end[c]); // NVME_WINDOW_COMMANDS
}

// CQEs leave a controller in the order the link finished their data: the link
// is taken in readiness order (EV_NVME_MEDIA events in time order) and its
// free time only grows, so done times are non-decreasing per controller (the
// far end or a failed command's earlier time is held to the previous one).
// A FIFO per controller with one event for its head keeps the event heap
// small (controllers + threads instead of one entry per command in flight).
const FIFO_CAP: u32 = CMDS_MAX;
const c_fifo = new StaticArray<usize>(CTRLS_MAX); // u32[] tags
const c_fifo_head = new StaticArray<u32>(CTRLS_MAX);
const c_fifo_tail = new StaticArray<u32>(CTRLS_MAX);
const c_last_done = new StaticArray<u64>(CTRLS_MAX);

function cq_fifo_push(c: i32, tag: u32, done_ns: u64): void {
  const last = unchecked(c_last_done[c]);
  if (done_ns < last) {
    done_ns = last;
    store<u64>(cm(tag) + CM_DONE_NS, done_ns);
  }
  unchecked((c_last_done[c] = done_ns));
  const head = unchecked(c_fifo_head[c]);
  const tail = unchecked(c_fifo_tail[c]);
  store<u32>(unchecked(c_fifo[c]) + (<usize>(tail & (FIFO_CAP - 1)) << 2), tag);
  unchecked((c_fifo_tail[c] = tail + 1));
  if (head == tail) ev_push(done_ns, EV_NVME_CQE, <u32>c);
}

/**
 * EV_NVME_CQE for controller `c`: its oldest command finished; post it, then
 * arm the next. Returns the queue the CQE went to. The event is still the
 * queue's earliest (ev_top): the controller's next CQE takes its place, or it
 * is dropped when the FIFO is empty.
 */
export function nvme_ctrl_event(c: u32): i32 {
  const ci = <i32>c;
  // The FIFO's address and indices are read once, into locals (each read of
  // linear memory costs a bounds check in V8 without its trap handler).
  const fifo = unchecked(c_fifo[ci]);
  const head = unchecked(c_fifo_head[ci]);
  const tag = load<u32>(fifo + (<usize>(head & (FIFO_CAP - 1)) << 2));
  const next = head + 1;
  unchecked((c_fifo_head[ci] = next));
  if (next != unchecked(c_fifo_tail[ci])) {
    const tag_next = load<u32>(fifo + (<usize>(next & (FIFO_CAP - 1)) << 2));
    ev_replace_top(load<u64>(cm(tag_next) + CM_DONE_NS), EV_NVME_CQE, c);
  } else {
    ev_drop_top();
  }
  return nvme_cqe_event(ci, tag);
}

/**
 * Controller `c` posts the CQE of `tag` on its completion queue (DW0 result,
 * DW2 SQ head + SQ id, DW3 CID + status and phase bit 0). Returns the queue:
 * even queues are polled (the dispatcher wakes a thread spinning on them),
 * odd ones raise their interrupt.
 */
function nvme_cqe_event(c: i32, tag: u32): i32 {
  const p = cm(tag);
  if (ASSERTS) assert(<i32>load<u8>(p + CM_CTRL) == c, "nvme: a CQE on a controller the command is not on");
  const q = load<i32>(p + CM_Q);
  const tail = unchecked(q_cq_tail[q]);
  const depth = queue_depth;
  const e = unchecked(q_cq[q]) + <usize>(tail & (depth - 1)) * 16;
  // The phase bit flips on each pass through the queue: bit log2(depth) of
  // the tail, depth being a power of two (no division).
  const phase: u32 = (tail & depth) == 0 ? 1 : 0;
  const status_phase = ((<u32>load<i32>(p + CM_STATUS) << 1) | phase) & 0xffff;
  // The 16 bytes as two 8-byte stores, little-endian as the CQE's fields:
  // DW0-DW1 0; DW2 SQ head (u16) and SQ id (u16); DW3 CID (u16) and status with phase (u16).
  store<u64>(e, 0);
  store<u64>(e + 8, <u64>(unchecked(q_sq_head[q]) & 0xffff) | (<u64>(<u32>q & 0xffff) << 16) |
    (<u64>(tag & 0xffff) << 32) | (<u64>status_phase << 48));
  unchecked((q_cq_tail[q] = tail + 1));
  dev_close(c, load<u64>(p + CM_FETCH_NS), now);
  return q;
}

/** The core a queue belongs to (its interrupt or its polling thread). */
// @ts-ignore: decorator
@inline export function nvme_queue_core(q: i32): i32 {
  return (q >> 1) % CORES_MAX;
}

export function nvme_ctrl_cmds(c: i32): f64 {
  return <f64>unchecked(c_cmds[c]);
}
/** The command processor's busy time: every command fetched took c_ctrl_ps (counted, not summed per command). */
export function nvme_ctrl_busy_ns(c: i32): f64 {
  return <f64>(unchecked(c_cmds[c]) * unchecked(c_ctrl_ps[c])) / 1000;
}
export function nvme_link_busy_ns(c: i32): f64 {
  return <f64>unchecked(c_link_busy_ps[c]) / 1000;
}
