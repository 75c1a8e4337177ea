// dmasim's WebAssembly module: one instance is one simulated machine. This
// entry lays the machine out (machine_init) and exports the data path's
// control points. TypeScript crosses this boundary per batch, never per event.

import {
  DMABUF_COUNTER_NR, GPU_COUNTER_COPIES, SIM_ABORT_FILE, SIM_ABORT_MSG, GPU_COUNTER_HOST_MEM_BYTES, GPU_COUNTER_LINK_BYTES, IOMMU_COUNTER_FAULTS,
  IOMMU_COUNTER_FQ_FLUSHES, IOMMU_COUNTER_INVALIDATIONS, IOMMU_COUNTER_IOTLB_HITS, IOMMU_COUNTER_IOTLB_MISSES,
  IOMMU_COUNTER_IOVA_CACHE_HITS, IOMMU_COUNTER_IOVA_TREE_ALLOCS, IOMMU_COUNTER_MAPS, IOMMU_COUNTER_NR,
  IOMMU_COUNTER_PTE_WRITES, IOMMU_COUNTER_STALE_HITS, IOMMU_COUNTER_UNMAPS, IOMMU_COUNTER_WALKS,
  IOMMU_UNIT_STAT_WORDS, SNAP_CTRL, SNAP_CTRL_BUSY_NS, SNAP_CTRL_CMDS, SNAP_CTRL_LINK_BUSY_NS, SNAP_CTRL_WORDS,
  SNAP_DMABUF, SNAP_IOMMU, SNAP_IOMMU_UNIT, ST_BYTES, ST_ERRORS, ST_HIST_BUCKETS, ST_IOS, ST_LAT_MAX_NS,
  ST_LAT_MIN_NS, ST_LAT_SQ_SUM, ST_LAT_SUM_NS, storage_config, SWIOTLB_COUNTER_BOUNCES, SWIOTLB_COUNTER_COPIED_BYTES,
} from "./sim/abi";
import { IOMMU_UNITS_MAX } from "./iommu/iommu";
import {
  abi_struct_check, bound, clear_error, INV_COUNT, sim_abort_file, sim_abort_line, sim_abort_msg, sim_error, sim_error_arg, sim_invariant,
  fail, SIM_ERR_MACHINE_SIZE,
} from "./sim/errors";
import { blk_reset, mem_reset, mem_used, mem_capacity } from "./sim/mem";
import {
  core_busy_of, core_layer, core_time, engine_init, ev_max_seen, ev_pending, ev_pop, ev_taken, ev_push, LAYERS, now,
} from "./sim/engine";
import { phys_init, phys_backed_pages } from "./hw/physmem";
import { files_init, fd_install, FT_BLKDEV, FT_STACKED } from "./fs/files";
import { stacked_init } from "./block/stacked";
export { stacked_setup, stacked_stat } from "./block/stacked";
import {
  iommu_init, iommu_set_p2p_bypass, iommu_maps, iommu_unmaps, iommu_invalidations, iommu_iotlb_hits, iommu_iotlb_misses, iommu_walks,
  iommu_faults, iommu_stale_hits, iommu_fq_flushes, iommu_iova_cache_hits, iommu_iova_tree_allocs, iommu_pte_writes,
  iommu_unit_stat,
} from "./iommu/iommu";
import { nvme_dom, nvme_init } from "./nvme/pci";
import { iommu_domain_set_dma_mask, iommu_hw_setup, iommu_iova_in_use, iommu_set_aperture } from "./iommu/iommu";
import { gpu_init } from "./hw/gpu";
export { gpu_setup } from "./hw/gpu";
import { gpu_copies, gpu_link_bytes, host_mem_bytes } from "./hw/gpu";

/** GPU and host-memory counters (GPU_COUNTER_*): copies, bytes through host memory, bytes over GPU g's link at LINK_BYTES + g. */
export function gpu_counter(i: i32): f64 {
  if (i == GPU_COUNTER_COPIES) return <f64>gpu_copies;
  if (i == GPU_COUNTER_HOST_MEM_BYTES) return <f64>host_mem_bytes;
  return <f64>unchecked(gpu_link_bytes[i - GPU_COUNTER_LINK_BYTES]);
}
import { rw_init } from "./io_uring/rw";
import { blk_init } from "./block/bio";
export { blk_queue_limit } from "./block/bio";
export { blk_mq_counter } from "./block/blk_mq";
import { dmabuf_init, dmabuf_put } from "./dmabuf/dmabuf";
import { dmabuf_counter, io_dmabuf_init } from "./io_uring/dmabuf_token";
import { set_snapshot_hook, wl_init } from "./user/workload";
import { machine_hooks } from "./machine/dispatch";
import { CMDS_MAX, CTRLS_MAX, nvme_ctrl_busy_ns, nvme_ctrl_cmds, nvme_link_busy_ns } from "./nvme/ctrl";
import { mm_alloc, mm_read, mm_va_to_pa, mm_write } from "./mm/mm";
import { phys_read } from "./hw/physmem";
import { O_ACCMODE } from "./sim/uapi";
import { reqs_live_max, uring_init } from "./io_uring/ring";
import { stats_reset, stats_rings_clear } from "./sim/stats";
import { mm_init } from "./mm/mm";
import { trace_init } from "./sim/trace";
import { mem_alloc } from "./sim/mem";

export { clear_error } from "./sim/errors";
export { uapi_value } from "./sim/uapi_table.generated";
export { abi_value, abi_struct_size, abi_struct_offset, abi_struct_get } from "./sim/abi_table.generated";
export { mem_used, mem_capacity } from "./sim/mem";
export { set_cost, cost_get, COST_COUNT } from "./sim/costs";
export { LAYERS, ev_pending } from "./sim/engine";
export {
  io_uring_setup, ring_live, ring_rings, ring_sqes, ring_sq_array, ring_fd, ring_core, ring_flags, ring_inflight,
  ring_overflow_count, cq_ready, reqs_in_use,
} from "./io_uring/ring";
export { io_uring_exit, io_uring_enter, app_charge } from "./io_uring/io_uring";
export { fd_close, fd_type_of, fd_file_of, fd_describe, fd_describe_area } from "./fs/files";
export { stats_reset, hist_get, hist_lower, stats_ring_area } from "./sim/stats";
import { st_ios, st_bytes, st_errors, st_lat_sum_ns, st_lat_max_ns, st_lat_min_ns, st_lat_sq_sum, HIST_BUCKETS } from "./sim/stats";

/** Named error code of the last trap (asm/sim/errors.ts), and its detail. */
export function sim_error_code(): i32 {
  return sim_error;
}
export function sim_error_detail(): f64 {
  return <f64>sim_error_arg;
}
/** Which named invariant broke (INV_*; named by sim/abi.ts's index INV), 0 when none. */
export function sim_error_invariant(): i32 {
  return sim_invariant;
}
/** Where the last assertion failed (debug build), by SIM_ABORT_*: its message, its file (string pointers), its line. */
export function sim_abort_where(which: i32): usize {
  if (which == SIM_ABORT_MSG) return sim_abort_msg;
  if (which == SIM_ABORT_FILE) return sim_abort_file;
  return <usize>sim_abort_line; // SIM_ABORT_LINE
}
/** Named invariants there are (tests check src/wasm.ts names as many). */
export function sim_invariant_count(): i32 {
  return INV_COUNT;
}

// Test-only entry points: they break state on purpose, to prove the safety
// nets fire (tests/safety.test.ts runs them on a separate debug instance).

/** Test only: drop a reference on dma-buf `d` that nobody holds (the refcount assertion fires). */
export function selftest_dmabuf_put(d: i32): void {
  dmabuf_put(d);
}
/** Test only: a loop that ran `count` times where `max` is the bound (the named invariant fires past it). */
export function selftest_bound(count: u32, max: u32): void {
  bound(count, max, 1);
}
/** Run statistics (ST_*) as f64 (exact below 2^53). */
export function stat_get(which: i32): f64 {
  switch (which) {
    case ST_IOS: return <f64>st_ios;
    case ST_BYTES: return <f64>st_bytes;
    case ST_ERRORS: return <f64>st_errors;
    case ST_LAT_SUM_NS: return <f64>st_lat_sum_ns;
    case ST_LAT_MAX_NS: return <f64>st_lat_max_ns;
    case ST_LAT_MIN_NS: return st_lat_min_ns == u64.MAX_VALUE ? 0 : <f64>st_lat_min_ns;
    case ST_HIST_BUCKETS: return <f64>HIST_BUCKETS;
    case ST_LAT_SQ_SUM: return st_lat_sq_sum;
  }
  return 0;
}
export { phys_backed_pages } from "./hw/physmem";
export { exposure_get } from "./iommu/exposure";
export { nvme_poll_queues, nvme_retries, nvme_set_max_retries, nvme_set_untrusted } from "./nvme/pci";
export { nvme_ctrl_set_media_error_dnr, nvme_link_out_of_order, nvme_media_events } from "./nvme/ctrl";
import { swiotlb_bounces, swiotlb_copied_bytes, swiotlb_pad_bytes } from "./iommu/swiotlb";
/** swiotlb counters (SWIOTLB_COUNTER_*): requests bounced, bytes copied, padding bytes zeroed. */
export function swiotlb_counter(i: i32): f64 {
  if (i == SWIOTLB_COUNTER_BOUNCES) return <f64>swiotlb_bounces;
  if (i == SWIOTLB_COUNTER_COPIED_BYTES) return <f64>swiotlb_copied_bytes;
  return <f64>swiotlb_pad_bytes;
}
export { dmabuf_set_policy, dmabuf_user_locked_bytes } from "./io_uring/dmabuf_token";
export {
  io_rsrc_buf_count, io_buffer_table_alloc, io_buffer_table_free, io_buffers_pin, io_buffer_pin, io_buffer_clear,
  io_buffer_install_dmabuf, io_rsrc_file_count, io_files_install, io_files_free,
} from "./io_uring/rsrc";
export {
  nvme_ctrl_setup, nvme_cmd_image, nvme_cmd_iod, nvme_cmd_req, nvme_cmds_max, nvme_cmds_live, nvme_capacity_bytes,
} from "./nvme/pci";
export {
  nvme_ctrl_cmds, nvme_ctrl_busy_ns, nvme_link_busy_ns, nvme_set_functional, nvme_window_stat,
} from "./nvme/ctrl";
export {
  memfd_alloc, memfd_resize, memfd_pages_rw, udmabuf_build, vram_dmabuf_alloc, dmabuf_pages_rw, dmabuf_page_pa,
  dma_buf_move_notify, dmabuf_schedule_invalidate,
} from "./dmabuf/dmabuf";
export { dmabuf_counter, dmabuf_maps_live, dmabuf_tokens_live } from "./io_uring/dmabuf_token";
export {
  wl_setup, wl_thread, wl_thread_file, wl_start, wl_sample_ptr, wl_sample_words, wl_snap_busy, wl_snap_layer,
  wl_stat, wl_end_busy, wl_end_layer, wl_thread_job, wl_thread_bs, wl_job_sample, wl_thread_pace, wl_set_ramp,
  wl_thread_offsets, wl_thread_zone, wl_thread_depths, wl_thread_errors, wl_thread_ignore_error, wl_thread_verify,
  wl_thread_verify_pattern, wl_thread_verify_corrupt,
} from "./user/workload";
export {
  wl_job_stat, wl_job_hist, wl_job_map, wl_job_end, wl_job_error, wl_job_offset_next, wl_job_start, wl_job_errors,
  wl_job_errlog, wl_job_verify,
} from "./user/wl_job";
export {
  wl_verify_failures, wl_verify_failure, wl_verify_failure_sum, fio_crc32c, fio_crc32, fio_crc64, fio_crc16, fio_crc7,
  fio_xxh32, fio_md5, fio_sha1, verify_check, verify_fill,
} from "./user/verify";
export { wl_run } from "./machine/dispatch";
export { trace_start, trace_stop, trace_count, trace_dropped, trace_buf } from "./sim/trace";
// Layer entry points the unit tests drive directly (tests/iommu.test.ts,
// tests/nvme_prp.test.ts).
export * from "./iommu/iommu";
export * from "./nvme/nvme_prp";
export { mem_reset, mem_alloc } from "./sim/mem";
export { engine_init, core_time } from "./sim/engine";
export { phys_init, phys_alloc_host, phys_read_u64, phys_write_u64 } from "./hw/physmem";

/**
 * Fixed part of the arena: request table, event heap, rings, tables — and,
 * per controller, the pending-readiness list's (ready, tag) entries' 12 bytes
 * beyond the tag they once held (nvme/ctrl.ts c_pend), so that every machine
 * that fitted before still fits.
 */
const ARENA_FIXED_BYTES: usize = (96 << 20) + <usize>CTRLS_MAX * <usize>CMDS_MAX * 12 + 4096;
/** The largest arena: one block of the stub runtime's heap (BLOCK_MAXSIZE, 1 GiB), less alignment slack. */
const ARENA_MAX_BYTES: u64 = (<u64>1 << 30) - 64;

/** The arena a machine of `host_mib` of RAM address space and `backing_pages` of backing needs, bytes. */
export function machine_arena_bytes(host_mib: u32, backing_pages: u32): f64 {
  return <f64>(<u64>ARENA_FIXED_BYTES + <u64>backing_pages * 4136 + (<u64>host_mib << 8) * 4);
}

/** The largest arena there can be, bytes (src/profile.ts checks a profile against it). */
export function machine_arena_max(): f64 {
  return <f64>ARENA_MAX_BYTES;
}

/**
 * Lay out a fresh machine. Every table is carved once from one arena whose
 * size follows from the limits; a later machine in the same process reuses it.
 */
export function machine_init(ncores: i32, host_mib: u32, backing_pages: u32, vram_mib: u32, ngpus: i32): void {
  clear_error();
  machine_hooks();
  const arena = <u64>machine_arena_bytes(host_mib, backing_pages);
  // One block of the runtime's heap (at most 1 GiB): src/profile.ts asks the
  // same question first, so that a profile gets a field error.
  if (arena > ARENA_MAX_BYTES) fail(SIM_ERR_MACHINE_SIZE, <i64>(arena >> 20));
  mem_reset(<usize>arena);
  blk_reset();
  engine_init(ncores);
  phys_init(<u64>host_mib << 20, <u64>vram_mib << 20, ngpus, backing_pages);
  files_init();
  uring_init();
  mm_init();
  trace_init();
  wl_init();
  stats_rings_clear();
  stats_reset(0);
  scratch = mem_alloc(SCRATCH_BYTES, 4096);
}

/** A staging area TypeScript uses to pass arguments (iovec arrays, data) in and out. */
export const SCRATCH_BYTES: usize = 1 << 20;
let scratch: usize = 0;
export function scratch_ptr(): usize {
  return scratch;
}

/**
 * Lay out the storage side from the profile (struct storage_config at `cfg`,
 * `cfg_bytes` long): host memory, IOMMU, NVMe driver and queue limits, then
 * the IOMMU's address width and invalidation hardware. Controllers are then
 * described one by one with nvme_ctrl_setup.
 */
export function storage_init(cfg: usize, cfg_bytes: u32): void {
  abi_struct_check(cfg_bytes, offsetof<storage_config>());
  const s = changetype<storage_config>(cfg);
  gpu_init(s.host_mem_mbps);
  iommu_init(
    s.iommu_mode, s.iotlb_entries, s.iotlb_ways, s.walk_ns, s.walk_cached_ns, s.inval_latency_ns, s.fq_size,
    s.fq_timeout_ns,
  );
  nvme_init(s.nctrls, s.queue_depth, s.sgl_supported, s.sgl_threshold_bytes, s.pool_pages_max, s.functional);
  blk_init(s.max_sectors_kb, s.mdts, s.max_segments, s.dma_alignment_bytes);
  stacked_init();
  rw_init();
  // After the above, before the controllers (their domains take the aperture).
  iommu_set_aperture(s.aperture_bits);
  iommu_hw_setup(
    s.iommu_kind, s.sync_latency_ns, s.cmd_ns, s.range_inval, s.max_inval_pages, s.ats, s.atc_inval_ns,
  );
}

// Counter snapshots taken when a workload's measurement window opens.
const snap_iommu = new StaticArray<f64>(IOMMU_COUNTER_NR);
const snap_dmabuf = new StaticArray<f64>(DMABUF_COUNTER_NR);
const snap_ctrl = new StaticArray<f64>(CTRLS_MAX * SNAP_CTRL_WORDS);
const snap_unit = new StaticArray<f64>(IOMMU_UNITS_MAX * IOMMU_UNIT_STAT_WORDS);
function take_snapshot(): void {
  for (let u = 0; u < IOMMU_UNITS_MAX; u++) {
    for (let k = 0; k < IOMMU_UNIT_STAT_WORDS; k++) {
      unchecked((snap_unit[u * IOMMU_UNIT_STAT_WORDS + k] = iommu_unit_stat(u, k)));
    }
  }
  for (let i = 0; i < IOMMU_COUNTER_NR; i++) unchecked((snap_iommu[i] = iommu_counter(i)));
  for (let i = 0; i < DMABUF_COUNTER_NR; i++) unchecked((snap_dmabuf[i] = dmabuf_counter(i)));
  for (let c = 0; c < CTRLS_MAX; c++) {
    const b = c * SNAP_CTRL_WORDS;
    unchecked((snap_ctrl[b + SNAP_CTRL_CMDS] = nvme_ctrl_cmds(c)));
    unchecked((snap_ctrl[b + SNAP_CTRL_BUSY_NS] = nvme_ctrl_busy_ns(c)));
    unchecked((snap_ctrl[b + SNAP_CTRL_LINK_BUSY_NS] = nvme_link_busy_ns(c)));
  }
}
/**
 * Snapshot values by group (SNAP_*): the IOMMU and dma-buf counters (i as their
 * readers take it), per controller (i = c × SNAP_CTRL_WORDS + SNAP_CTRL_*) and
 * per invalidation queue (i = unit × IOMMU_UNIT_STAT_WORDS + IOMMU_UNIT_STAT_*).
 */
export function snap_get(which: i32, i: i32): f64 {
  if (which == SNAP_IOMMU) return unchecked(snap_iommu[i]);
  if (which == SNAP_DMABUF) return unchecked(snap_dmabuf[i]);
  if (which == SNAP_IOMMU_UNIT) return unchecked(snap_unit[i]);
  assert(which == SNAP_CTRL, "snap_get: no such group");
  return unchecked(snap_ctrl[i]);
}

/** dma_set_mask_and_coherent for NVMe controller `c`: its DMA addresses stay below 2^bits. */
export function nvme_set_dma_mask(c: i32, bits: u32): void {
  iommu_domain_set_dma_mask(nvme_dom(c), bits);
}

/** IOVA pages held in controller `c`'s domain (mappings, and lazy flush queues). */
export function nvme_iova_in_use(c: i32): f64 {
  return <f64>iommu_iova_in_use(nvme_dom(c));
}

/** dma-buf layer set-up: `p2p_switch_mask` has a bit per GPU reached through a PCIe switch. */
export function dmabuf_setup(p2p_switch_mask: u32): void {
  dmabuf_init(p2p_switch_mask);
  io_dmabuf_init();
  set_snapshot_hook(take_snapshot);
  iommu_set_p2p_bypass(p2p_switch_mask);
}

/** open(2) of NVMe namespace `ctrl`'s block device with `flags`: an fd or -errno. */
export function blkdev_open(ctrl: i32, flags: u32): i32 {
  if ((flags & O_ACCMODE) == 3) return -22;
  return fd_install(FT_BLKDEV, ctrl, flags);
}

/** open(2) of stacked device `s` (/dev/dm-N, /dev/mdN) with `flags`: an fd or -errno. */
export function stacked_open(s: i32, flags: u32): i32 {
  if ((flags & O_ACCMODE) == 3) return -22;
  return fd_install(FT_STACKED, s, flags);
}

/** IOMMU counters by index (IOMMU_COUNTER_*; src/system.ts IOMMU_COUNTERS names them). */
export function iommu_counter(i: i32): f64 {
  switch (i) {
    case IOMMU_COUNTER_MAPS: return <f64>iommu_maps;
    case IOMMU_COUNTER_UNMAPS: return <f64>iommu_unmaps;
    case IOMMU_COUNTER_INVALIDATIONS: return <f64>iommu_invalidations;
    case IOMMU_COUNTER_IOTLB_HITS: return <f64>iommu_iotlb_hits;
    case IOMMU_COUNTER_IOTLB_MISSES: return <f64>iommu_iotlb_misses;
    case IOMMU_COUNTER_WALKS: return <f64>iommu_walks;
    case IOMMU_COUNTER_FAULTS: return <f64>iommu_faults;
    case IOMMU_COUNTER_STALE_HITS: return <f64>iommu_stale_hits;
    case IOMMU_COUNTER_FQ_FLUSHES: return <f64>iommu_fq_flushes;
    case IOMMU_COUNTER_IOVA_CACHE_HITS: return <f64>iommu_iova_cache_hits;
    case IOMMU_COUNTER_IOVA_TREE_ALLOCS: return <f64>iommu_iova_tree_allocs;
    case IOMMU_COUNTER_PTE_WRITES: return <f64>iommu_pte_writes;
  }
  return 0;
}

/** mmap of anonymous user memory: a user address or 0. */
export function user_alloc(bytes: f64, contiguous: bool): f64 {
  return <f64>mm_alloc(<u64>bytes, contiguous);
}
/** copy_to_user from the scratch area; false on a fault. */
export function user_write(va: f64, len: u32): bool {
  return mm_write(<u64>va, scratch, len);
}
/** copy_from_user into the scratch area; false on a fault. */
export function user_read(va: f64, len: u32): bool {
  return mm_read(<u64>va, scratch, len);
}
/** Physical address behind a user address (0 if unmapped). */
export function user_pa(va: f64): f64 {
  return <f64>mm_va_to_pa(<u64>va);
}
/** Read `len` bytes of physical memory at `pa` into scratch (for inspection). */
export function phys_peek(pa: f64, len: u32): void {
  phys_read(<u64>pa, scratch, len);
}

/** A core's clock, busy time, and busy time in one layer, as f64 ns (exact below 2^53). */
export function core_time_ns(c: i32): f64 {
  return <f64>core_time[c];
}
export function core_busy_ns(c: i32): f64 {
  return <f64>core_busy_of(c);
}
export function core_layer_ns(c: i32, layer: i32): f64 {
  return <f64>core_layer[c * LAYERS + layer];
}
export function now_ns(): f64 {
  return <f64>now;
}
export function events_max_seen(): u32 {
  return ev_max_seen;
}
/** Events taken since the machine was set up (f64: exact below 2^53). */
export function events_taken(): f64 {
  return <f64>ev_taken();
}
/**
 * The event queue on its own (tests of its order): schedule an event of
 * `kind` with `arg` at `t_ns`, on a machine whose run is not going on.
 */
export function engine_push(t_ns: f64, kind: u32, arg: u32): void {
  ev_push(<u64>t_ns, kind, arg);
}
/** Take the earliest event off the queue without running it: its arg (tests of its order). */
export function engine_pop_arg(): u32 {
  return <u32>ev_pop();
}
/** Most requests ever in flight at once on this machine. */
export function reqs_max_seen(): u32 {
  return reqs_live_max;
}
