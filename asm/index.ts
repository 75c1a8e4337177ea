// dmasim's WebAssembly module: one instance is one simulated machine. This
// entry lays the machine out (machine_init) and exports the data path's
// control points. TypeScript crosses this boundary per batch, never per event.

import { clear_error, sim_error, sim_error_arg } from "./errors";
import { blk_reset, mem_reset, mem_used, mem_capacity } from "./mem";
import { core_busy, core_layer, core_time, engine_init, ev_max_seen, ev_pending, LAYERS, now } from "./engine";
import { phys_init, phys_backed_pages } from "./physmem";
import { files_init } from "./files";
import { uring_init } from "./uring";
import { stats_reset } from "./stats";

export { clear_error } from "./errors";
export { mem_used, mem_capacity } from "./mem";
export { set_cost, COST_COUNT } from "./costs";
export { LAYERS, ev_pending } from "./engine";
export {
  io_uring_setup, io_uring_exit, io_uring_enter, ring_live, ring_rings, ring_sqes, ring_sq_array, ring_fd,
  ring_core, ring_flags, ring_inflight, ring_overflow_count, cq_ready, reqs_in_use, app_charge,
} from "./uring";
export { fd_close, fd_type_of, fd_file_of } from "./files";
export { stats_reset, hist_get, hist_lower } from "./stats";
import { st_ios, st_bytes, st_errors, st_lat_sum_ns, st_lat_max_ns, st_lat_min_ns, HIST_BUCKETS } from "./stats";

/** Named error code of the last trap (asm/errors.ts), and its detail. */
export function sim_error_code(): i32 {
  return sim_error;
}
export function sim_error_detail(): f64 {
  return <f64>sim_error_arg;
}
/** Run statistics as f64 (exact below 2^53). */
export function stat_get(which: i32): f64 {
  switch (which) {
    case 0: return <f64>st_ios;
    case 1: return <f64>st_bytes;
    case 2: return <f64>st_errors;
    case 3: return <f64>st_lat_sum_ns;
    case 4: return <f64>st_lat_max_ns;
    case 5: return st_lat_min_ns == u64.MAX_VALUE ? 0 : <f64>st_lat_min_ns;
    case 6: return <f64>HIST_BUCKETS;
  }
  return 0;
}
export { phys_backed_pages } from "./physmem";
// Layer entry points the unit tests drive directly (tests/iommu.test.ts,
// tests/nvme_prp.test.ts).
export * from "./iommu";
export * from "./nvme_prp";
export { mem_reset, mem_alloc } from "./mem";
export { engine_init, core_time } from "./engine";
export { phys_init, phys_alloc_host, phys_read_u64, phys_write_u64 } from "./physmem";

/** Fixed part of the arena: request table, event heap, rings, tables. */
const ARENA_FIXED_BYTES: usize = 80 << 20;

/**
 * Lay out a fresh machine. Every table is carved once from one arena whose
 * size follows from the limits; a later machine in the same process reuses it.
 */
export function machine_init(ncores: i32, host_mib: u32, backing_pages: u32, vram_mib: u32, ngpus: i32): void {
  clear_error();
  const host_pages = <usize>host_mib << 8;
  const arena = ARENA_FIXED_BYTES + <usize>backing_pages * 4136 + host_pages * 4;
  mem_reset(arena);
  blk_reset();
  engine_init(ncores);
  phys_init(<u64>host_mib << 20, <u64>vram_mib << 20, ngpus, backing_pages);
  files_init();
  uring_init();
  stats_reset(0);
}

/** A core's clock, busy time, and busy time in one layer, as f64 ns (exact below 2^53). */
export function core_time_ns(c: i32): f64 {
  return <f64>core_time[c];
}
export function core_busy_ns(c: i32): f64 {
  return <f64>core_busy[c];
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
