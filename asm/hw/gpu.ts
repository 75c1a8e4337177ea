// GPUs as DMA targets and copy engines, and host memory as a shared
// resource. A peer-to-peer write into a GPU's BAR crosses that GPU's PCIe
// link; DMA to or from host RAM uses host memory bandwidth; the bounce path
// (read into host RAM, then a cudaMemcpyAsync-style host-to-device copy)
// uses the GPU's copy engine, which moves the bytes over host memory and the
// GPU's link once more. Each is a serial resource timed in picoseconds.

import { GPUS_MAX } from "./physmem";

/** Picoseconds per KiB over a PCIe link: GT/s per lane × lanes × encoding efficiency / 8. */
export function pcie_ps_per_kb(gen: i32, lanes: u32): u64 {
  // GT/s per lane (x1000) and encoding efficiency (x1000): gen1/2 8b/10b, gen3-5 128b/130b, gen6 FLIT 242/256.
  let gts: u64 = 2500;
  let eff: u64 = 800;
  if (gen == 2) gts = 5000;
  else if (gen == 3) { gts = 8000; eff = 984; }
  else if (gen == 4) { gts = 16000; eff = 984; }
  else if (gen == 5) { gts = 32000; eff = 984; }
  else if (gen >= 6) { gts = 64000; eff = 945; }
  const milli_bytes_per_ns = gts * <u64>lanes * eff / 8000; // bytes per ns, x1000
  return <u64>1024 * 1000 * 1000 / milli_bytes_per_ns;
}

const g_link_ps_per_kb = new StaticArray<u64>(GPUS_MAX);
const g_link_free = new StaticArray<u64>(GPUS_MAX); // ps
const g_copy_lat_ps = new StaticArray<u64>(GPUS_MAX);
const g_engine_free = new StaticArray<u64>(GPUS_MAX); // ps: the host-to-device copy engine
// Device-to-host copies run on a second engine (datacenter GPUs have at least
// two async copy engines, one per direction: an assumption, not a calibrated fact).
const g_engine_d2h_free = new StaticArray<u64>(GPUS_MAX); // ps
let mem_ps_per_kb: u64 = 0;
let mem_free: u64 = 0; // ps

/** Bytes moved through host memory, over each GPU's link, and copies made (results). */
export let host_mem_bytes: u64 = 0;
export const gpu_link_bytes = new StaticArray<u64>(GPUS_MAX);
export let gpu_copies: u64 = 0;

/** Host memory bandwidth in MB/s (memory.bandwidth_mbps). */
export function gpu_init(host_mem_mbps: u32): void {
  // MB/s -> ps per KiB: 1024 B / (mbps * 1e6 B/s) * 1e12 ps/s.
  mem_ps_per_kb = 1_024_000_000 / <u64>host_mem_mbps;
  mem_free = 0;
  host_mem_bytes = 0;
  gpu_copies = 0;
  for (let g = 0; g < GPUS_MAX; g++) {
    unchecked((g_link_free[g] = 0));
    unchecked((g_engine_free[g] = 0));
    unchecked((g_engine_d2h_free[g] = 0));
    unchecked((gpu_link_bytes[g] = 0));
  }
}

/** Describe GPU `g`: its link and its copy engine's per-copy set-up time. */
export function gpu_setup(g: i32, pcie_gen: i32, lanes: u32, copy_latency_ns: u32): void {
  unchecked((g_link_ps_per_kb[g] = pcie_ps_per_kb(pcie_gen, lanes)));
  unchecked((g_copy_lat_ps[g] = <u64>copy_latency_ns * 1000));
}

/** `bytes` through host memory no earlier than `t` ps; returns when they are through. */
export function host_mem_xfer(t: u64, bytes: u32): u64 {
  const s = t > mem_free ? t : mem_free;
  mem_free = s + (<u64>bytes * mem_ps_per_kb) / 1024;
  host_mem_bytes += bytes;
  return mem_free;
}

/**
 * A CPU copy's `bytes` through host memory: counted, and the time they take
 * at the memory's bandwidth returned (ns) without booking the bus (the
 * device's transfers are booked ahead in time; a copy on a core is not
 * queued behind them).
 */
export function host_mem_copy_ns(bytes: u32): u64 {
  host_mem_bytes += bytes;
  return ((<u64>bytes * mem_ps_per_kb) / 1024 + 999) / 1000;
}

/** `bytes` over GPU `g`'s link no earlier than `t` ps; returns when they are through. */
export function gpu_link_xfer(g: i32, t: u64, bytes: u32): u64 {
  const free = unchecked(g_link_free[g]);
  const s = t > free ? t : free;
  const end = s + (<u64>bytes * unchecked(g_link_ps_per_kb[g])) / 1024;
  unchecked((g_link_free[g] = end));
  unchecked((gpu_link_bytes[g] += bytes));
  return end;
}

/**
 * A host-to-device copy of `bytes` launched at `t_ns` on GPU `g`'s copy
 * engine: after the engine is free and its set-up time, the bytes are read
 * from host memory and cross the GPU's link. Returns the end, in ns.
 */
export function gpu_copy_h2d(g: i32, t_ns: u64, bytes: u32): u64 {
  const free = unchecked(g_engine_free[g]);
  let s = t_ns * 1000;
  if (s < free) s = free;
  s += unchecked(g_copy_lat_ps[g]);
  const a = host_mem_xfer(s, bytes);
  const b = gpu_link_xfer(g, s, bytes);
  const end = a > b ? a : b;
  unchecked((g_engine_free[g] = end));
  gpu_copies++;
  return (end + 999) / 1000;
}

/**
 * A device-to-host copy of `bytes` launched at `t_ns` on GPU `g` (the bounce
 * path's write side): after its engine is free and the set-up time, the
 * bytes cross the GPU's link (one resource for both directions, as the P2P
 * path books it) and are written into host memory. Returns the end, in ns.
 */
export function gpu_copy_d2h(g: i32, t_ns: u64, bytes: u32): u64 {
  const free = unchecked(g_engine_d2h_free[g]);
  let s = t_ns * 1000;
  if (s < free) s = free;
  s += unchecked(g_copy_lat_ps[g]);
  const a = gpu_link_xfer(g, s, bytes);
  const b = host_mem_xfer(s, bytes);
  const end = a > b ? a : b;
  unchecked((g_engine_d2h_free[g] = end));
  gpu_copies++;
  return (end + 999) / 1000;
}
