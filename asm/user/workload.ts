// The t/io_uring submitter loop, run inside Wasm so whole runs stay in the
// data path: each thread on its own core with its own ring, preparing SQEs
// in ring memory, calling io_uring_enter, reaping CQEs — the loop of fio's
// t/io_uring.c (submitter_uring_fn), made an event-driven state machine:
// where the program would block in io_uring_enter, the thread waits for an
// EV_THREAD wake-up (a CQE on its poll queue, or enough CQEs posted).

import { CORES_MAX } from "../sim/limits";
import { mem_alloc } from "../sim/mem";
import {
  advance_to, charge, core_busy_of, core_layer, core_poll_waiter, core_time, ev_empty, ev_push, EV_GPU_COPY, EV_SAMPLE, EV_THREAD,
  LAYER_APP,
  LAYER_SPIN, LAYERS, now,
} from "../sim/engine";
import { cost, COST_APP_PER_IO, COST_APP_PREP, COST_APP_REAP, COST_GPU_COPY_LAUNCH } from "../sim/costs";
import * as u from "../sim/uapi";
import {
  cq_ready, r_wait_min, r_wait_thread, ring_flags, ring_inflight, ring_rings, ring_sqes, RO_CQ_HEAD, RO_CQ_MASK,
  RO_CQ_TAIL, RO_CQES, RO_SQ_MASK, RO_SQ_TAIL,
} from "../io_uring/ring";
import { io_enter_submit, io_getevents_continue, io_getevents_pass } from "../io_uring/io_uring";
import { core_yielded } from "../nvme/pci";
import { nvme_window_end, nvme_window_start } from "../nvme/ctrl";
import {
  set_stats_by_app, st_errors, st_ios, st_last_ns, stats_by_app, stats_complete, stats_reset, stats_rings_end,
  stats_set_limit,
} from "../sim/stats";
import { gpu_copy_d2h, gpu_copy_h2d } from "../hw/gpu";
import { fail, SIM_ERR_EVENTS, SIM_ERR_INVARIANT } from "../sim/errors";
import { trace_rec, TR_CNT_INFLIGHT, TR_CNT_IOTLB_MISS, TR_CPU_ENTER, tracing } from "../sim/trace";
import { iommu_iotlb_misses } from "../iommu/iommu";
import {
  bs_count, bs_cum, bs_entry, bs_min, DIR_READ, DIR_WRITE, job_alloc, job_reset, job_sample, job_set, job_set_bs,
  job_stats, job_stats_set,
  JS_WORDS, jt_bcomp, jt_bsub, jt_depth, jt_end_ns, jt_issued, jt_mix, jt_off, jt_random, jt_range, jt_seq, jt_target,
  map_complete, map_submit, tag_dir, tag_get, tag_issue, tag_len, tag_prep_ns, tag_put,
  job_reset_pace, job_set_pace, job_stat_word, jt_deadline_ns, jt_error, jt_exit_group, jt_exitall,
  jt_next_us, jt_paced, jt_pending_dir, jt_quiesce_rate, jt_rate_bps, jt_ratemin_bps, jt_ratemin_iops, jt_rc_blocks,
  jt_rc_bytes, jt_rc_ns, jt_start_ns, jt_stop, jt_think_blocks, jt_think_issue, jt_think_last, jt_think_spin_us,
  jt_think_us, pace_issued, ST_BYTES, ST_IOS, jt_offmode, job_offset, job_set_offsets, job_set_zone,
  jt_bcmax, jt_deadline_rel, jt_depth_low, jt_job_id, jt_wait_job, tag_off, job_io_error, job_reset_errors,
  job_set_errors, job_set_ignore, job_reset_verify, job_set_verify, job_set_verify_pattern, jt_vtype, jt_vphase,
  jt_vinterval, jt_voffset, jt_vfatal, jt_vcheck_nr, jt_vthread, jt_vpat, jt_vpatlen, VPAT_MAX, verify_begin,
  verify_next, verify_seed, verify_log_write, vmap_take, vpiece_len, vpiece_off, vpiece_seed, vpiece_nr,
  tag_set_piece, tag_piece_of, tag_set_buf, tag_buf, jt_vcorrupt_nr, jt_vcorrupt_at, vbuf_take, vbuf_put,
  verify_drop, verify_landed, verify_backlog_next, verify_completed,
} from "./wl_job";
import { verify_check, verify_fill, vlog_reset } from "./verify";
import { mm_read, mm_write } from "../mm/mm";

import { abi_struct_check } from "../sim/errors";
import {
  BUF_KIND_BOUNCE, BUF_KIND_DMABUF, SAMPLE_BYTES, SAMPLE_CALLS, SAMPLE_CORE_BUSY, SAMPLE_CORE_WORDS, SAMPLE_IOS,
  SAMPLE_REAPED, SAMPLE_SUBMITTED, SAMPLE_T_NS, wl_config, WL_STAT_BYTES, WL_STAT_CALLS, WL_STAT_CALLS_AT_END,
  WL_STAT_CALLS_AT_START, WL_STAT_ERRORS, WL_STAT_FINISHED, WL_STAT_IOS, WL_STAT_MEASURING, WL_STAT_SAMPLES,
  WL_STAT_T0_NS, WL_STAT_T1_NS, wl_offsets_config, wl_pace_config, wl_thread_config, wl_verify_config,
} from "../sim/abi";

const THREADS_MAX: i32 = CORES_MAX;
const FILES_MAX: i32 = 16;
export const SAMPLES_MAX: u32 = 4096;

// Job parameters.
let nthreads: i32 = 1;
let bs: u32 = 4096;
let op: u8 = u.IORING_OP_READ_FIXED;
// The opcodes of a read and of a write with this buffer kind (a mixed job issues both).
let op_read: u8 = u.IORING_OP_READ_FIXED;
let op_write: u8 = u.IORING_OP_WRITE_FIXED;
// Threads that have issued their I/O count and reaped it (a run of counted jobs ends when all have).
let threads_done: i32 = 0;
let all_counted: bool = false;
// Per-thread job statistics sampled with each sample (JS_WORDS per thread and direction).
let job_samples: usize = 0;
let fixed_files: bool = true;
let buf_kind: i32 = 1; // 0 plain, 1 fixed, 2 dmabuf, 3 bounce (fixed host buffers, then a copy to GPU 0)
let warmup_ios: u64 = 0;
let target_ios: u64 = 0; // measured I/Os to stop after (0: none)
let runtime_ns: u64 = 0; // measured time to stop after (0: none)
let sample_ns: u64 = 1_000_000_000;
// fio's ramp_time: statistics start when the threads' clocks reach it (0: at the start).
let ramp_ns: u64 = 0;

// Per thread.
const th_ring = new StaticArray<i32>(THREADS_MAX);
const th_nfiles = new StaticArray<i32>(THREADS_MAX);
const th_files = new StaticArray<i32>(THREADS_MAX * FILES_MAX); // fixed-file slot or fd
const th_bufidx = new StaticArray<i32>(THREADS_MAX * FILES_MAX); // dma-buf slot per file (dmabuf)
const th_buf_base = new StaticArray<u64>(THREADS_MAX); // user address / dma-buf offset base
const th_cur_file = new StaticArray<i32>(THREADS_MAX);
const th_inflight = new StaticArray<u32>(THREADS_MAX);
const th_prepped = new StaticArray<u32>(THREADS_MAX);
const th_to_wait = new StaticArray<u32>(THREADS_MAX);
const th_waiting = new StaticArray<bool>(THREADS_MAX);
const th_rng = new StaticArray<u64>(THREADS_MAX);
const th_done = new StaticArray<bool>(THREADS_MAX);
// A GETEVENTS pass yielded before a shared resource and goes on when the thread resumes.
const th_resume = new StaticArray<bool>(THREADS_MAX);
// Bounce path: copies to the GPU in flight per thread, and a wait for one to end.
const th_copying = new StaticArray<u32>(THREADS_MAX);
const th_wait_copy = new StaticArray<bool>(THREADS_MAX);
// Copies end in launch order per direction (one copy engine each way):
// FIFOs of 32-byte records (end ns, submit ns, tag << 8 | thread, bytes,
// then for a write: its device offset and file), read copies (GPU <- host,
// after the read) and write copies (GPU -> host, before the write).
const COPIES_MAX: u32 = 65536;
const CP_BYTES: usize = 32;
let cp_ring: usize = 0;
let cp_head: u32 = 0;
let cp_tail: u32 = 0;
let dp_ring: usize = 0;
let dp_head: u32 = 0;
let dp_tail: u32 = 0;
/** The EV_GPU_COPY argument of each ring. */
const COPY_TO_GPU: u32 = 0;
const COPY_FROM_GPU: u32 = 1;
// Bounced writes whose copy from the GPU ended: SQEs written, not yet submitted.
const th_ready = new StaticArray<u32>(THREADS_MAX);
// Write copies prep_more launched in its last call (I/Os issued without an SQE yet).
let prep_copies: u32 = 0;

// fio's verify: a block is filled and checked in this scratch area (the largest block size), then copied
// to or from the thread's buffer in simulated memory. Laid out by wl_start when a thread verifies.
let verify_scratch: usize = 0;
let any_verify: bool = false;

/** Totals (all I/Os, warm-up included) and state. */
export let wl_ios: u64 = 0;
export let wl_bytes: u64 = 0;
export let wl_errors: u64 = 0;
export let wl_calls: u64 = 0;
/** SQEs consumed and CQEs reaped by the threads (t/io_uring's done and reaps). */
export let wl_submitted: u64 = 0;
export let wl_reaped: u64 = 0;
export let wl_finished: bool = false;
export let wl_measuring: bool = false;
export let wl_t0: u64 = 0; // measurement start
export let wl_t1: u64 = 0; // measurement end

// Snapshots at measurement start (per core busy and per layer) for reports.
export const snap_busy = new StaticArray<u64>(CORES_MAX);
export const snap_layer = new StaticArray<u64>(CORES_MAX * LAYERS);
export let snap_calls: u64 = 0;
// And when it closes (the threads stop a little after: their last batch is not the window's).
export const snap_end_busy = new StaticArray<u64>(CORES_MAX);
export const snap_end_layer = new StaticArray<u64>(CORES_MAX * LAYERS);
export let snap_end_calls: u64 = 0;

function snap_end(): void {
  // Occupancy and in-flight areas close with the window (at wl_t1).
  nvme_window_end(wl_t1);
  stats_rings_end(wl_t1);
  for (let c = 0; c < nthreads; c++) {
    unchecked((snap_end_busy[c] = core_busy_of(c)));
    for (let l = 0; l < LAYERS; l++) unchecked((snap_end_layer[c * LAYERS + l] = unchecked(core_layer[c * LAYERS + l])));
  }
  snap_end_calls = wl_calls;
}

// Samples: t, ios, bytes, calls, then busy and spin per core.
let samples: usize = 0;
export let sample_count: u32 = 0;
// t, measured I/Os, bytes, calls, submitted, reaped, then busy and spin per core.
const SAMPLE_WORDS: u32 = <u32>SAMPLE_CORE_BUSY + <u32>SAMPLE_CORE_WORDS * <u32>CORES_MAX;

/** Lay out the workload's tables (per machine: the arena was reset). */
export function wl_init(): void {
  samples = mem_alloc(<usize>SAMPLES_MAX * SAMPLE_WORDS * 8, 8, false); // written before read
  sample_count = 0;
  cp_ring = mem_alloc(<usize>COPIES_MAX * CP_BYTES, 8, false);
  dp_ring = mem_alloc(<usize>COPIES_MAX * CP_BYTES, 8, false);
}

/**
 * The job-wide parameters of a run (struct wl_config at `cfg`, `cfg_bytes`
 * long); every thread starts with them (wl_thread_job sets a thread's own).
 */
export function wl_setup(cfg: usize, cfg_bytes: u32): void {
  abi_struct_check(cfg_bytes, offsetof<wl_config>());
  const c = changetype<wl_config>(cfg);
  const threads = c.threads, qd = c.depth, sbatch = c.submit_batch, cbatch = c.complete_batch;
  const block = c.block_bytes, opcode = c.opcode, ffiles = c.fixed_files, rnd = c.random;
  const range_b = c.range_blocks, bkind = c.buf_kind, warm = c.warmup_ios, ios = c.ios;
  const rt_ns = c.runtime_ns, smp_ns = c.sample_ns, seed = c.seed;
  nthreads = threads;
  bs = block;
  op = opcode;
  op_read = opcode == u.IORING_OP_WRITE ? u.IORING_OP_READ
    : opcode == u.IORING_OP_WRITE_FIXED ? u.IORING_OP_READ_FIXED : opcode;
  op_write = opcode == u.IORING_OP_READ ? u.IORING_OP_WRITE
    : opcode == u.IORING_OP_READ_FIXED ? u.IORING_OP_WRITE_FIXED : opcode;
  threads_done = 0;
  all_counted = false;
  job_stats_set(false);
  any_verify = false;
  vlog_reset();
  fixed_files = ffiles;
  buf_kind = bkind;
  warmup_ios = <u64>warm;
  target_ios = <u64>ios;
  runtime_ns = <u64>rt_ns;
  sample_ns = <u64>smp_ns;
  ramp_ns = 0;
  wl_ios = 0;
  wl_bytes = 0;
  wl_errors = 0;
  wl_calls = 0;
  wl_submitted = 0;
  wl_reaped = 0;
  wl_finished = false;
  wl_measuring = false;
  wl_t0 = 0;
  wl_t1 = 0;
  sample_count = 0;
  cp_head = 0;
  cp_tail = 0;
  dp_head = 0;
  dp_tail = 0;
  // The bounce path counts an I/O when its copy ends, so the workload keeps
  // the statistics itself (end to end) instead of the completion path.
  set_stats_by_app(bkind == BUF_KIND_BOUNCE);
  for (let t = 0; t < THREADS_MAX; t++) {
    unchecked((th_nfiles[t] = 0));
    unchecked((th_cur_file[t] = 0));
    unchecked((th_inflight[t] = 0));
    unchecked((th_prepped[t] = 0));
    unchecked((th_waiting[t] = false));
    unchecked((th_done[t] = false));
    unchecked((th_resume[t] = false));
    unchecked((th_copying[t] = 0));
    unchecked((th_wait_copy[t] = false));
    unchecked((th_ready[t] = 0));
    // The job-wide parameters; wl_thread_job sets a thread's own.
    const writes = opcode == u.IORING_OP_WRITE || opcode == u.IORING_OP_WRITE_FIXED;
    job_set(t, qd, sbatch, cbatch, writes ? 0 : 10000, rnd, 0, <u64>range_b * <u64>block, 0);
    job_set_bs(t, DIR_READ, 0, block, 10000);
    job_set_bs(t, DIR_WRITE, 0, block, 10000);
    job_reset(t);
    job_reset_pace(t);
    job_reset_errors(t);
    job_reset_verify(t);
    unchecked((th_rng[t] = (<u64>seed + 1) * 0x9E3779B97F4A7C15 ^ (<u64>t * 0xBF58476D1CE4E5B9 + 1)));
  }
}

/** Thread `t` uses ring `ring`, buffers from `buf_base`. */
export function wl_thread(t: i32, ring: i32, buf_base: f64): void {
  unchecked((th_ring[t] = ring));
  unchecked((th_buf_base[t] = <u64>buf_base));
}

/**
 * Thread `t` runs its own fio job (struct wl_thread_config at `cfg`,
 * `cfg_bytes` long): queue depth, submit and complete batches, reads per
 * 10000 I/Os, random or sequential offsets in [off, off + range) bytes, and
 * the I/Os it issues before it stops (0: until the run ends). The thread's
 * block sizes come from wl_thread_bs; buffers stay the job-wide `bs` apart,
 * so that is the largest block size.
 */
export function wl_thread_job(t: i32, cfg: usize, cfg_bytes: u32): void {
  abi_struct_check(cfg_bytes, offsetof<wl_thread_config>());
  const j = changetype<wl_thread_config>(cfg);
  job_set(
    t, j.depth, j.submit_batch, j.complete_batch, j.read_per_10000, j.random, <u64>j.offset_bytes,
    <u64>j.range_bytes, <u64>j.ios,
  );
  job_stats_set(true);
}

/**
 * Thread `t`'s pacing, as fio's options set it (struct wl_pace_config at
 * `cfg`, `cfg_bytes` long): startdelay, rate per direction (rate_iops × the
 * smallest block size), poisson or linear, whether it waits for its I/Os
 * before a rate sleep (inline submission), thinktime, thinktime_spin,
 * thinktime_blocks and their type (issue or complete), rate_min and
 * rate_iops_min per direction, exitall, its exit group, the poisson
 * generator's seed, when it stops issuing after its start, its fio job's id
 * and the job it waits for (wait_for).
 */
export function wl_thread_pace(t: i32, cfg: usize, cfg_bytes: u32): void {
  abi_struct_check(cfg_bytes, offsetof<wl_pace_config>());
  const p = changetype<wl_pace_config>(cfg);
  job_set_pace(
    t, <u64>p.start_delay_ns, <u64>p.rate_read_bps, <u64>p.rate_write_bps, p.poisson, p.quiesce, <u64>p.think_us,
    <u64>p.think_spin_us, <u64>p.think_blocks, p.think_issue, <u64>p.rate_min_read_bps, <u64>p.rate_min_write_bps,
    <u64>p.rate_min_read_iops, <u64>p.rate_min_write_iops, p.exitall, p.exit_group, <u64>p.seed,
    <u64>p.deadline_rel_ns, p.job_id, p.wait_job,
  );
}

/**
 * Thread `t`'s offsets beyond plain sequential or uniform (struct
 * wl_offsets_config at `cfg`, `cfg_bytes` long): bytes between sequential
 * I/Os (rw=read:N, may be negative), a new random offset every `seq_nr` I/Os
 * (rw=randread:N) or the same one again (rw_sequencer=identical), and
 * random_distribution (0 random, 1 zipf, 2 pareto, 3 normal, 4 zoned) with its
 * parameter, center (-1: none) and blocks; `seed` seeds its generator.
 */
export function wl_thread_offsets(t: i32, cfg: usize, cfg_bytes: u32): void {
  abi_struct_check(cfg_bytes, offsetof<wl_offsets_config>());
  const o = changetype<wl_offsets_config>(cfg);
  job_set_offsets(
    t, <i64>o.seq_add_bytes, <u32>o.seq_nr, o.identical, o.dist, o.dist_param, o.center, <u64>o.nranges,
    <u64>o.seed,
  );
}

/** Zoned distribution entry: for v - 1 = `v` in 0..99, thread `t`'s zone in `dir` spans `prev`..`end` percent. */
export function wl_thread_zone(t: i32, dir: i32, v: i32, prev: i32, end: i32): void {
  job_set_zone(t, dir, v, <u8>prev, <u8>end);
}

/** Thread `t`'s iodepth_low (0: iodepth) and iodepth_batch_complete_max (0: every ready CQE). */
export function wl_thread_depths(t: i32, low: u32, complete_max: u32): void {
  unchecked((jt_depth_low[t] = low));
  unchecked((jt_bcmax[t] = complete_max));
}

/**
 * Thread `t`'s error handling: fio's continue_on_error bits (1 read, 2
 * write, 4 verify) and the I/O count that failed I/Os it goes on past may
 * raise its own to (its size= limit: number_ios counts completed I/Os).
 */
export function wl_thread_errors(t: i32, coe: u32, retry_cap: f64): void {
  job_set_errors(t, coe, <u64>retry_cap);
}

/** Entry `i` of thread `t`'s ignore_error list for `type` (0 read, 1 write, 2 verify): errno `err`. */
export function wl_thread_ignore_error(t: i32, type: i32, i: i32, err: i32): void {
  job_set_ignore(t, type, i, err);
}

/**
 * Thread `t`'s fio verify (struct wl_verify_config at `cfg`, `cfg_bytes`
 * long): the type, interval and header offset, verify_fatal, do_verify,
 * whether numberio is checked, fio's thread number, the writes to log and
 * the random map's blocks. Its buffers must be plain or registered user
 * memory (the CLI refuses dma-buf and bounce with verify).
 */
export function wl_thread_verify(t: i32, cfg: usize, cfg_bytes: u32): void {
  abi_struct_check(cfg_bytes, offsetof<wl_verify_config>());
  const v = changetype<wl_verify_config>(cfg);
  job_set_verify(
    t, v.type, v.interval_bytes, v.header_offset_bytes, v.fatal, v.do_verify, v.check_numberio, v.thread_number,
    v.pieces_max, <u64>v.map_blocks, <u64>v.seed, v.buffers, v.backlog, v.backlog_batch,
  );
  any_verify = true;
}

/** Byte `i` of thread `t`'s verify_pattern (up to 64 bytes; the pattern then has i + 1). */
export function wl_thread_verify_pattern(t: i32, i: i32, b: i32): void {
  job_set_verify_pattern(t, i, <u8>b);
}

/**
 * A test hook for thread `t`'s verify: its `nr`-th write (from 1; 0: none)
 * has byte `at` flipped after its checksum is computed, so the read-back
 * must find it (dmasim_corrupt_write=).
 */
export function wl_thread_verify_corrupt(t: i32, nr: u32, at: u32): void {
  unchecked((jt_vcorrupt_nr[t] = nr));
  unchecked((jt_vcorrupt_at[t] = at));
}

/** fio's ramp_time, ns: statistics start when the threads reach it (call after wl_setup). */
export function wl_set_ramp(ns: f64): void {
  ramp_ns = <u64>ns;
}

/** Entry `i` of thread `t`'s block sizes for `dir` (0 read, 1 write): `size` bytes up to cumulative `cum` / 10000. */
export function wl_thread_bs(t: i32, dir: i32, i: i32, size: u32, cum: u32): void {
  job_set_bs(t, dir, i, size, cum);
}

/** Add a file to thread `t`: its fd or fixed-file slot, and (dma-buf) its buffer slot. */
export function wl_thread_file(t: i32, file: i32, buf_slot: i32): void {
  const n = unchecked(th_nfiles[t]);
  unchecked((th_files[t * FILES_MAX + n] = file));
  unchecked((th_bufidx[t * FILES_MAX + n] = buf_slot));
  unchecked((th_nfiles[t] = n + 1));
}

// @ts-ignore: decorator
@inline function rng(t: i32): u64 {
  let x = unchecked(th_rng[t]);
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  unchecked((th_rng[t] = x));
  return x * 0x2545F4914F6CDD1D;
}

/** The next I/O's direction, drawn from the thread's mix (no draw when there is one choice). */
// @ts-ignore: decorator
@inline function draw_dir(t: i32): i32 {
  const mix = unchecked(jt_mix[t]);
  let dir = mix == 0 ? DIR_WRITE : DIR_READ;
  if (mix > 0 && mix < 10000 && <u32>((rng(t) >> 11) % 10000) >= mix) dir = DIR_WRITE;
  return dir;
}

/**
 * prep_more_ios_uring: prepare `n` I/Os and write their SQEs into the ring;
 * returns the SQEs written. `dir0` is the first I/O's direction when pacing
 * already chose it (-1: draw). On the bounce path a write first copies its
 * data from the GPU (prep_copies counts those: their SQEs come when the copy ends).
 */
function prep_more(t: i32, n: u32, dir0: i32): u32 {
  const id = unchecked(th_ring[t]);
  const rings = ring_rings(id);
  const mask = load<u32>(rings + RO_SQ_MASK);
  let tail = load<u32>(rings + RO_SQ_TAIL);
  const sqes = ring_sqes(id);
  const core = t;
  prep_copies = 0;
  // The thread's files and its job's offset parameters are set up before the
  // run and nothing in this loop changes them: read once per batch, not per
  // I/O (every Wasm load is bounds-checked). The file cursor lives in a
  // local and is stored back at the end.
  const nf = unchecked(th_nfiles[t]);
  let fi_next = unchecked(th_cur_file[t]);
  const range = unchecked(jt_range[t]);
  const offmode = unchecked(jt_offmode[t]);
  const random = unchecked(jt_random[t]);
  const off_base = unchecked(jt_off[t]);
  const verify_type = unchecked(jt_vtype[t]);
  const buf_base = unchecked(th_buf_base[t]);
  for (let i: u32 = 0; i < n; i++) {
    const idx = tail & mask;
    const sqe = sqes + <usize>idx * 64;
    const fi = fi_next;
    fi_next = fi + 1 >= nf ? 0 : fi + 1;
    let dir: i32;
    let len: u32;
    let off: u64;
    let piece: u32 = 0xFFFFFFFF;
    if (unchecked(jt_vphase[t])) {
      // fio's do_verify: read the next logged write back (get_next_verify), at its offset and length.
      piece = verify_next(t);
    } else if (verify_type != 0) {
      // verify_backlog: a batch of read-backs between writes; the read does not count toward the writes.
      piece = verify_backlog_next(t);
      if (piece != 0xFFFFFFFF) unchecked((jt_target[t] += 1));
    }
    if (piece != 0xFFFFFFFF) {
      dir = DIR_READ;
      len = vpiece_len(t, piece);
      off = vpiece_off(t, piece);
    } else {
      // Direction, block size and offset as the thread's job draws them.
      dir = i == 0 && dir0 >= 0 ? dir0 : draw_dir(t);
      len = pick_bs(t, dir);
      if (unchecked(jt_paced[t])) pace_issued(t, dir, len, bs_min(t, dir));
      if (offmode) {
        off = job_offset(t, dir, len, random);
      } else if (random) {
        const align = <u64>bs_min(t, dir);
        let b = (rng(t) >> 11) % ((range - <u64>len) / align + 1);
        // A verifying job's random writes go through fio's random map: each block once per pass.
        if (verify_type != 0) b = vmap_take(t, b);
        off = b * align;
      } else {
        const k = t * 2 + dir;
        let cur = unchecked(jt_seq[k]);
        if (cur + <u64>len > range) cur = 0;
        off = cur;
        unchecked((jt_seq[k] = cur + <u64>len));
      }
      off += off_base;
    }
    // user_data: the I/O's tag, which holds when it was prepared and its length and direction.
    // The tag keeps the length even for a NOP: fio's null engine counts the bytes it did not move.
    const tag = tag_get(t, unchecked(core_time[core]), len, dir, off);
    if (any_verify) tag_set_piece(t, tag, piece);
    if (buf_kind == BUF_KIND_BOUNCE && dir == DIR_WRITE) {
      // Bounced write: the data is on the GPU; copy it to a host buffer first.
      charge(core, LAYER_APP, cost(COST_GPU_COPY_LAUNCH));
      copy_from_gpu_launch(t, tag, len, off, fi);
      prep_copies++;
      continue;
    }
    write_sqe(t, sqe, idx, dir, fi, off, len, tag, verify_type != 0, buf_base);
    tail++;
  }
  unchecked((th_cur_file[t] = fi_next));
  charge(core, LAYER_APP, (cost(COST_APP_PREP) + cost(COST_APP_PER_IO)) * <u64>n);
  store<u32>(rings + RO_SQ_TAIL, tail);
  return n - prep_copies;
}

/**
 * fio's populate_verify_io_u for a verifying thread's write: a new seed,
 * the write logged (its numberio), the block filled with its headers and
 * checksums and copied into the I/O's buffer. A read keeps its buffer's
 * address for the check when it is reaped.
 */
function verify_prep(t: i32, tag: u32, dir: i32, buf: u64, off: u64, len: u32): void {
  tag_set_buf(t, tag, buf);
  if (dir != DIR_WRITE) return;
  const seed = verify_seed(t);
  const nr = verify_log_write(t, off, len, seed);
  // Each write is logged once, so its piece is its write number: a failed write is dropped by it.
  tag_set_piece(t, tag, nr);
  verify_fill(
    verify_scratch, len, unchecked(jt_vtype[t]), unchecked(jt_vinterval[t]), unchecked(jt_voffset[t]), seed, off,
    unchecked(core_time[t]), unchecked(jt_vthread[t]), nr, changetype<usize>(jt_vpat) + <usize>(t * VPAT_MAX),
    unchecked(jt_vpatlen[t]),
  );
  // The test hook (dmasim_corrupt_write): the block changes after its checksum, as a corruption on the way would.
  if (nr + 1 == unchecked(jt_vcorrupt_nr[t])) {
    const at = unchecked(jt_vcorrupt_at[t]) < len ? unchecked(jt_vcorrupt_at[t]) : len - 1;
    store<u8>(verify_scratch + at, load<u8>(verify_scratch + at) ^ 0xff);
  }
  if (!mm_write(buf, verify_scratch, len)) fail(SIM_ERR_INVARIANT, <i64>buf);
}

/**
 * fio's verify_io_u, when a verifying thread reaps a read of a logged
 * write: the buffer's bytes checked against the write's headers and
 * checksums; a bad block is EILSEQ, a verify error (job_io_error), and
 * verify_fatal also ends the thread (fio_mark_td_terminate).
 */
function verify_done(t: i32, tag: u32): void {
  const piece = tag_piece_of(t, tag);
  if (piece == 0xFFFFFFFF) return;
  const len = vpiece_len(t, piece);
  const off = vpiece_off(t, piece);
  if (!mm_read(tag_buf(t, tag), verify_scratch, len)) fail(SIM_ERR_INVARIANT, <i64>tag_buf(t, tag));
  const fatal = unchecked(jt_vfatal[t]);
  const ret = verify_check(
    t, verify_scratch, len, unchecked(jt_vtype[t]), unchecked(jt_vinterval[t]), unchecked(jt_voffset[t]),
    vpiece_seed(t, piece), false, off, vpiece_nr(t, piece), unchecked(jt_vcheck_nr[t]), fatal,
    changetype<usize>(jt_vpat) + <usize>(t * VPAT_MAX), unchecked(jt_vpatlen[t]),
  );
  if (ret == 0) return;
  job_io_error(t, DIR_READ, off, len, ret);
  if (fatal) {
    unchecked((jt_stop[t] = true));
    unchecked((jt_paced[t] = true));
  }
}

/**
 * One read or write SQE at `sqe` (ring slot `idx`): file `fi` of thread `t`, at `off`, `len` bytes, I/O `tag`;
 * `verifying` is whether the thread's job verifies (jt_vtype) and `buf_base` its buffers' base (th_buf_base), as
 * the caller read them. Inlined: V8's own
 * inlining of it into prep_more stops when prep_more grows, and the call costs more than the copy.
 */
// @ts-ignore: decorator
@inline function write_sqe(
  t: i32, sqe: usize, idx: u32, dir: i32, fi: i32, off: u64, len: u32, tag: u32, verifying: bool, buf_base: u64,
): void {
  const opc = dir == DIR_WRITE ? op_write : op_read;
  // The buffer of SQE slot idx, as t/io_uring indexes its iovecs; a verifying thread's I/O owns its own.
  const bi = verifying ? vbuf_take(t, tag) : idx;
  const buf = buf_base + <u64>bi * <u64>bs;
  if (verifying) verify_prep(t, tag, dir, buf, off, len);
  // io_uring_prep_rw's memset of the SQE, then the fields that are not 0:
  // ioprio, rw_flags, personality, file_index, addr3 and the pad stay as
  // the clear left them (V8 checks one bounds for the 64-byte clear, one
  // per field store).
  memory.fill(sqe, 0, u.SQE_SIZE);
  store<u8>(sqe + u.SQE_OPCODE, opc);
  if (fixed_files) store<u8>(sqe + u.SQE_FLAGS, u.IOSQE_FIXED_FILE);
  store<i32>(sqe + u.SQE_FD, unchecked(th_files[t * FILES_MAX + fi]));
  store<u64>(sqe + u.SQE_OFF, off);
  store<u64>(sqe + u.SQE_ADDR, buf);
  if (op != u.IORING_OP_NOP) store<u32>(sqe + u.SQE_LEN, len);
  store<u64>(sqe + u.SQE_USER_DATA, <u64>tag);
  store<u16>(
    sqe + u.SQE_BUF_INDEX, <u16>(buf_kind == BUF_KIND_DMABUF ? unchecked(th_bufidx[t * FILES_MAX + fi]) : <i32>bi),
  );
}

/** A block size for the next I/O of `dir`: the only one, or a draw from the split. */
function pick_bs(t: i32, dir: i32): u32 {
  const n = bs_count(t, dir);
  if (n <= 1) return bs_entry(t, dir, 0);
  const r = <u32>((rng(t) >> 11) % 10000);
  let i = 0;
  while (i < n - 1 && r >= bs_cum(t, dir, i)) i++;
  return bs_entry(t, dir, i);
}

/** reap_events_uring: consume every ready CQE. */
function reap(t: i32): u32 {
  const id = unchecked(th_ring[t]);
  const rings = ring_rings(id);
  const mask = load<u32>(rings + RO_CQ_MASK);
  let head = load<u32>(rings + RO_CQ_HEAD);
  const tail = load<u32>(rings + RO_CQ_TAIL);
  let n: u32 = 0;
  let copies: u32 = 0;
  // iodepth_batch_complete_max: at most that many per reap (0: every ready CQE).
  const limit = unchecked(jt_bcmax[t]);
  while (head != tail && (limit == 0 || n < limit)) {
    const cqe = rings + RO_CQES + <usize>(head & mask) * u.CQE_SIZE;
    const res = load<i32>(cqe + u.CQE_RES);
    const tag = <u32>load<u64>(cqe + u.CQE_USER_DATA);
    const ok = !(res < 0 || (op != u.IORING_OP_NOP && <u32>res != tag_len(t, tag)));
    // fio counts an I/O when it reaps it, while the run is measured.
    const count = wl_measuring && !wl_finished;
    if (buf_kind == BUF_KIND_BOUNCE) {
      if (ok && tag_dir(t, tag) == DIR_WRITE) {
        // A bounced write is done when the drive has it.
        stats_complete(tag_prep_ns(t, tag), unchecked(core_time[t]), res);
        tag_put(t, tag, unchecked(core_time[t]), res, count);
        wl_bytes += <u64>res;
        wl_ios++;
      } else if (ok) {
        // The data is in host memory: copy it to the GPU (cudaMemcpyAsync-style).
        charge(t, LAYER_APP, cost(COST_APP_REAP) + cost(COST_GPU_COPY_LAUNCH));
        copy_launch(t, tag, <u32>res);
        copies++;
      } else {
        wl_errors++;
        if (job_stats) job_io_error(t, tag_dir(t, tag), tag_off(t, tag), tag_len(t, tag), res < 0 ? -res : u.EIO);
        stats_complete(tag_prep_ns(t, tag), unchecked(core_time[t]), res < 0 ? res : -5);
        tag_put(t, tag, unchecked(core_time[t]), res < 0 ? res : -5, count);
        wl_ios++;
      }
    } else {
      // The read's check needs its tag, which tag_put below frees; then its buffer is free.
      if (any_verify && unchecked(jt_vtype[t]) != 0) {
        const d = tag_dir(t, tag);
        if (ok && d == DIR_READ) verify_done(t, tag);
        // io_completed: a write done may be read back; a failed one leaves the verification list (unlog_io_piece).
        if (d == DIR_WRITE) {
          if (ok) verify_landed(t, tag_piece_of(t, tag));
          else verify_drop(t, tag_piece_of(t, tag));
        }
        verify_completed(t, d);
        vbuf_put(t, tag);
      }
      if (ok) wl_bytes += <u64>res;
      else {
        wl_errors++;
        // fio's io_completed: a short transfer the engine cannot finish is EIO here.
        if (job_stats) job_io_error(t, tag_dir(t, tag), tag_off(t, tag), tag_len(t, tag), res < 0 ? -res : u.EIO);
      }
      // Only fio's statistics use the completion time (tag_put): read the clock for them alone.
      const done_ns = count && job_stats ? unchecked(core_time[t]) : 0;
      tag_put(t, tag, done_ns, ok ? (op == u.IORING_OP_NOP ? <i32>tag_len(t, tag) : res) : (res < 0 ? res : -5), count);
    }
    head++;
    n++;
  }
  store<u32>(rings + RO_CQ_HEAD, head);
  wl_reaped += n;
  if (buf_kind != BUF_KIND_BOUNCE) {
    charge(t, LAYER_APP, cost(COST_APP_REAP) * <u64>n);
    wl_ios += n;
  } else charge(t, LAYER_APP, cost(COST_APP_REAP) * <u64>(n - copies));
  unchecked((th_inflight[t] -= n));
  if (n > 0 && job_stats) map_complete(t, n);
  check_progress();
  return n;
}

/** Launch a host-to-GPU copy of one read's `bytes` (I/O `tag`); it ends in engine order. */
function copy_launch(t: i32, tag: u32, bytes: u32): void {
  if (cp_tail - cp_head >= COPIES_MAX) fail(SIM_ERR_EVENTS, <i64>COPIES_MAX);
  const end = gpu_copy_h2d(0, unchecked(core_time[t]), bytes);
  const r = cp_ring + <usize>(cp_tail & (COPIES_MAX - 1)) * CP_BYTES;
  store<u64>(r, end);
  store<u64>(r + 8, tag_prep_ns(t, tag));
  store<u32>(r + 16, (tag << 8) | <u32>t);
  store<u32>(r + 20, bytes);
  if (cp_tail == cp_head) ev_push(end, EV_GPU_COPY, COPY_TO_GPU);
  cp_tail++;
  unchecked((th_copying[t] += 1));
}

/**
 * Launch a GPU-to-host copy of a bounced write's `bytes` (I/O `tag`, to
 * `off` of file `fi`); its SQE is written when the copy ends, in engine order.
 */
function copy_from_gpu_launch(t: i32, tag: u32, bytes: u32, off: u64, fi: i32): void {
  if (dp_tail - dp_head >= COPIES_MAX) fail(SIM_ERR_EVENTS, <i64>COPIES_MAX);
  const end = gpu_copy_d2h(0, unchecked(core_time[t]), bytes);
  const r = dp_ring + <usize>(dp_tail & (COPIES_MAX - 1)) * CP_BYTES;
  store<u64>(r, end);
  store<u64>(r + 8, off);
  store<u32>(r + 16, (tag << 8) | <u32>t);
  store<u32>(r + 20, bytes);
  store<u32>(r + 24, <u32>fi);
  if (dp_tail == dp_head) ev_push(end, EV_GPU_COPY, COPY_FROM_GPU);
  dp_tail++;
  unchecked((th_copying[t] += 1));
}

/** EV_GPU_COPY: the oldest copy of ring `which` ended; arm the next. */
export function wl_copy_event(which: u32): void {
  let t: i32;
  if (which == COPY_TO_GPU) {
    // A bounced read is done (its buffer free).
    const r = cp_ring + <usize>(cp_head & (COPIES_MAX - 1)) * CP_BYTES;
    const end = load<u64>(r);
    t = <i32>(load<u32>(r + 16) & 0xff);
    stats_complete(load<u64>(r + 8), end, <i32>load<u32>(r + 20));
    tag_put(t, load<u32>(r + 16) >> 8, end, <i32>load<u32>(r + 20), wl_measuring && !wl_finished);
    wl_bytes += <u64>load<u32>(r + 20);
    wl_ios++;
    cp_head++;
    if (cp_head != cp_tail) {
      ev_push(load<u64>(cp_ring + <usize>(cp_head & (COPIES_MAX - 1)) * CP_BYTES), EV_GPU_COPY, COPY_TO_GPU);
    }
    unchecked((th_copying[t] -= 1));
    check_progress();
  } else {
    // A bounced write's data reached host memory: its SQE goes into the
    // ring, submitted with the thread's next io_uring_enter.
    assert(which == COPY_FROM_GPU, "workload: unknown copy ring");
    const r = dp_ring + <usize>(dp_head & (COPIES_MAX - 1)) * CP_BYTES;
    const key = load<u32>(r + 16);
    t = <i32>(key & 0xff);
    const id = unchecked(th_ring[t]);
    const rings = ring_rings(id);
    const tail = load<u32>(rings + RO_SQ_TAIL);
    const idx = tail & load<u32>(rings + RO_SQ_MASK);
    write_sqe(t, ring_sqes(id) + <usize>idx * 64, idx, DIR_WRITE, <i32>load<u32>(r + 24), load<u64>(r + 8),
      load<u32>(r + 20), key >> 8, unchecked(jt_vtype[t]) != 0, unchecked(th_buf_base[t]));
    store<u32>(rings + RO_SQ_TAIL, tail + 1);
    unchecked((th_ready[t] += 1));
    dp_head++;
    if (dp_head != dp_tail) {
      ev_push(load<u64>(dp_ring + <usize>(dp_head & (COPIES_MAX - 1)) * CP_BYTES), EV_GPU_COPY, COPY_FROM_GPU);
    }
    unchecked((th_copying[t] -= 1));
  }
  if (unchecked(th_wait_copy[t])) {
    unchecked((th_wait_copy[t] = false));
    ev_push(now, EV_THREAD, <u32>t);
  }
}

function check_progress(): void {
  if (!wl_measuring) {
    if (ramp_ns == 0 && wl_ios >= warmup_ios) start_measuring();
    return;
  }
  if (wl_finished) return;
  const measured = st_ios + st_errors;
  if (target_ios > 0 && measured >= target_ios) {
    // The window ends with the last counted completion.
    wl_finished = true;
    wl_t1 = st_last_ns;
    snap_end();
  } else if (runtime_ns > 0 && max_core_time() >= wl_t0 + runtime_ns) {
    // The latest core clock, a scan over the threads: only a timed run needs it.
    wl_finished = true;
    wl_t1 = max_core_time();
    snap_end();
  }
}

function max_core_time(): u64 {
  let m: u64 = now;
  for (let c = 0; c < nthreads; c++) if (unchecked(core_time[c]) > m) m = unchecked(core_time[c]);
  return m;
}

function start_measuring(): void {
  wl_measuring = true;
  // The window starts at the latest core clock so no core's earlier work is counted.
  const t0 = max_core_time();
  wl_t0 = t0;
  stats_reset(t0);
  nvme_window_start(t0);
  stats_set_limit(target_ios);
  for (let c = 0; c < nthreads; c++) {
    advance_to(c, t0, (ring_flags(unchecked(th_ring[c])) & u.IORING_SETUP_IOPOLL) != 0, LAYER_SPIN);
    unchecked((snap_busy[c] = core_busy_of(c)));
    for (let l = 0; l < LAYERS; l++) unchecked((snap_layer[c * LAYERS + l] = unchecked(core_layer[c * LAYERS + l])));
  }
  snap_calls = wl_calls;
  wl_snapshot_hook();
  ev_push(t0 + sample_ns, EV_SAMPLE, 0);
  record_sample(t0);
}

/** Set by index.ts to snapshot other layers' counters (IOMMU, devices) at measurement start. */
let snapshot_fn: () => void = (): void => {};
export function set_snapshot_hook(fn: () => void): void {
  snapshot_fn = fn;
}
function wl_snapshot_hook(): void {
  snapshot_fn();
}

function record_sample(t: u64): void {
  if (sample_count >= SAMPLES_MAX) return;
  const p = samples + <usize>sample_count * SAMPLE_WORDS * 8;
  store<u64>(p + SAMPLE_T_NS * 8, t);
  store<u64>(p + SAMPLE_IOS * 8, st_ios);
  store<u64>(p + SAMPLE_BYTES * 8, wl_bytes);
  store<u64>(p + SAMPLE_CALLS * 8, wl_calls);
  store<u64>(p + SAMPLE_SUBMITTED * 8, wl_submitted);
  store<u64>(p + SAMPLE_REAPED * 8, wl_reaped);
  for (let c = 0; c < nthreads; c++) {
    const core = p + <usize>(SAMPLE_CORE_BUSY + c * SAMPLE_CORE_WORDS) * 8;
    store<u64>(core, core_busy_of(c));
    store<u64>(core + 8, unchecked(core_layer[c * LAYERS + LAYER_SPIN]));
  }
  job_sample(job_samples + <usize>sample_count * <usize>(nthreads * 2 * JS_WORDS) * 8);
  sample_count++;
}

export function wl_sample_event(): void {
  if (wl_finished) return;
  record_sample(now);
  ev_push(now + sample_ns, EV_SAMPLE, 0);
}

// What the pacing gate lets the thread do now.
const PACE_GO: i32 = 0; // prep up to pace_cap I/Os (the first in jt_pending_dir when the rate chose it)
const PACE_QUIESCE: i32 = 1; // issue nothing; wait for every I/O in flight (fio's io_u_quiesce)
const PACE_SLEPT: i32 = 2; // the thread sleeps: an EV_THREAD at its wake-up time is queued
let pace_cap: u32 = 0;

/** fio's per-ratecycle check (backend.c __check_min_rate): false when `dir`'s rate fell below its minimum. */
function min_rate_ok(t: i32, dir: i32, now_ns: u64): bool {
  const k = t * 2 + dir;
  const min_bps = unchecked(jt_ratemin_bps[k]);
  const min_iops = unchecked(jt_ratemin_iops[k]);
  if (min_bps == 0 && min_iops == 0) return true;
  const bytes = <u64>job_stat_word(t, dir, ST_BYTES);
  const blocks = <u64>job_stat_word(t, dir, ST_IOS);
  // Only directions with bytes done are checked, after a 2 s settle period from the job's start.
  if (bytes == 0 || now_ns < unchecked(jt_start_ns[t]) + 2_000_000_000) return true;
  if (unchecked(jt_rc_bytes[k]) > 0 || unchecked(jt_rc_blocks[k]) > 0) {
    const spent_ms = (now_ns - unchecked(jt_rc_ns[k])) / 1_000_000;
    // fio's ratecycle: 1000 ms.
    if (spent_ms < 1000) return true;
    if (min_bps > 0) {
      if ((bytes - unchecked(jt_rc_bytes[k])) * 1000 / spent_ms < min_bps) return false;
    } else if ((blocks - unchecked(jt_rc_blocks[k])) * 1000 / spent_ms < min_iops) return false;
  }
  unchecked((jt_rc_bytes[k] = bytes));
  unchecked((jt_rc_blocks[k] = blocks));
  unchecked((jt_rc_ns[k] = now_ns));
  return true;
}

/** A sleep ends at `ns`, or at the thread's deadline if that is sooner (fio caps sleeps at the timeout). */
// @ts-ignore: decorator
@inline function wake_by(t: i32, ns: u64): u64 {
  const d = unchecked(jt_deadline_ns[t]);
  return d > 0 && d < ns ? d : ns;
}

/**
 * The pacing gate of a paced thread, at the top of its loop with `busy`
 * I/Os in flight: stop (exitall, rate_min, its deadline), think (fio's
 * handle_thinktime: quiesce, spin, sleep), and hold I/Os back for the rate
 * (rate_ddir: the direction whose time has come, else quiesce when inline,
 * then sleep until the earliest).
 */
function pace_gate(t: i32, busy: u32): i32 {
  pace_cap = 0xFFFFFFFF;
  const now_ns = unchecked(core_time[t]);
  const deadline = unchecked(jt_deadline_ns[t]);
  if (deadline > 0 && now_ns >= deadline) unchecked((jt_stop[t] = true));
  if (!unchecked(jt_stop[t]) && wl_measuring && (!min_rate_ok(t, DIR_READ, now_ns) || !min_rate_ok(t, DIR_WRITE, now_ns))) {
    // td_verror(td, EIO, "check_min_rate"): the job ends with an error.
    unchecked((jt_error[t] = 5));
    unchecked((jt_stop[t] = true));
  }
  if (unchecked(jt_stop[t])) {
    pace_cap = 0;
    return PACE_GO;
  }
  const think_us = unchecked(jt_think_us[t]);
  if (think_us > 0) {
    const issued = unchecked(jt_issued[t]);
    const b = unchecked(jt_think_issue[t]) ? issued : issued - <u64>busy;
    const blocks = unchecked(jt_think_blocks[t]);
    if (b >= unchecked(jt_think_last[t]) + blocks) {
      if (busy > 0) return PACE_QUIESCE;
      unchecked((jt_think_last[t] = b));
      let spin = unchecked(jt_think_spin_us[t]);
      if (spin > think_us) spin = think_us;
      // usec_spin: the CPU is busy; usec_sleep: it is not.
      if (spin > 0) charge(t, LAYER_APP, spin * 1000);
      if (think_us > spin) {
        ev_push(wake_by(t, unchecked(core_time[t]) + (think_us - spin) * 1000), EV_THREAD, <u32>t);
        return PACE_SLEPT;
      }
    }
    if (unchecked(jt_think_issue[t])) pace_cap = <u32>(unchecked(jt_think_last[t]) + blocks - issued);
  }
  if (unchecked(jt_rate_bps[t * 2]) > 0 || unchecked(jt_rate_bps[t * 2 + 1]) > 0) {
    let dir = unchecked(jt_pending_dir[t]);
    if (dir < 0) dir = draw_dir(t);
    const start = unchecked(jt_start_ns[t]);
    const now_us = (unchecked(core_time[t]) - start) / 1000;
    const odir = dir ^ 1;
    let wake_us: u64 = 0;
    if (unchecked(jt_next_us[t * 2 + dir]) <= now_us) {
      wake_us = 0;
    } else if (unchecked(jt_mix[t]) > 0 && unchecked(jt_mix[t]) < 10000) {
      // Ahead of the rate in this direction: switch if the other is behind, else sleep the sooner.
      if (unchecked(jt_next_us[t * 2 + odir]) <= now_us) dir = odir;
      else if (unchecked(jt_next_us[t * 2 + dir]) <= unchecked(jt_next_us[t * 2 + odir])) {
        wake_us = unchecked(jt_next_us[t * 2 + dir]);
      } else {
        wake_us = unchecked(jt_next_us[t * 2 + odir]);
        dir = odir;
      }
    } else wake_us = unchecked(jt_next_us[t * 2 + dir]);
    unchecked((jt_pending_dir[t] = dir));
    if (wake_us > 0) {
      if (unchecked(jt_quiesce_rate[t]) && busy > 0) return PACE_QUIESCE;
      ev_push(wake_by(t, start + wake_us * 1000), EV_THREAD, <u32>t);
      return PACE_SLEPT;
    }
    // One I/O per pass, its direction chosen: rate_ddir runs for each io_u.
    pace_cap = 1;
  }
  return PACE_GO;
}

/**
 * Run thread `t` from where it stopped until it has to wait for completions
 * or has done one loop iteration (so cores stay close in simulated time).
 */
export function wl_thread_event(t: u32): void {
  const ti = <i32>t;
  if (unchecked(th_done[ti])) return;
  const id = unchecked(th_ring[ti]);
  const polled = (ring_flags(id) & u.IORING_SETUP_IOPOLL) != 0;
  if (unchecked(th_waiting[ti])) {
    // Woken: a CQE reached this core's poll queue, or enough CQEs were posted.
    advance_to(ti, now, polled, LAYER_SPIN);
    if (unchecked(th_resume[ti])) {
      unchecked((th_resume[ti] = false));
      io_getevents_continue(id);
    } else io_getevents_pass(id);
    if (unchecked(core_yielded[ti])) {
      yield_thread(ti);
      return;
    }
    if (cq_ready(id) < unchecked(th_to_wait[ti])) {
      wait_for(ti, id, polled);
      return;
    }
    unchecked((th_waiting[ti] = false));
    reap(ti);
    unchecked((th_prepped[ti] = 0));
  } else if (unchecked(core_time[ti]) < now) {
    advance_to(ti, now, false, LAYER_APP);
  }
  if (!wl_measuring && ramp_ns > 0 && unchecked(core_time[ti]) >= ramp_ns) start_measuring();
  if (wl_finished) {
    unchecked((th_done[ti] = true));
    return;
  }
  // One iteration of submitter_uring_fn, with the thread's own depth and batches.
  const depth = unchecked(jt_depth[ti]);
  const batch_complete = unchecked(jt_bcomp[ti]);
  let prepped = unchecked(th_prepped[ti]);
  let inflight = unchecked(th_inflight[ti]);
  // Bounced writes whose copy from the GPU ended wait in the SQ.
  const ready = unchecked(th_ready[ti]);
  // Buffers still being copied to or from the GPU are not free for new I/O.
  const busy = inflight + unchecked(th_copying[ti]) + ready;
  const target = unchecked(jt_target[ti]);
  let quiesce = false;
  let dir0: i32 = -1;
  let cap: u32 = 0xFFFFFFFF;
  if (unchecked(jt_paced[ti]) && prepped == 0) {
    const g = pace_gate(ti, busy);
    if (g == PACE_SLEPT) return;
    if (g == PACE_QUIESCE) {
      quiesce = true;
      cap = 0;
    } else {
      cap = pace_cap;
      if (unchecked(jt_stop[ti]) && busy == 0) {
        thread_finished(ti);
        return;
      }
      dir0 = unchecked(jt_pending_dir[ti]);
    }
  }
  if (prepped == 0 && busy < depth && cap > 0) {
    let to_prep = depth - busy;
    if (to_prep > unchecked(jt_bsub[ti])) to_prep = unchecked(jt_bsub[ti]);
    if (to_prep > cap) to_prep = cap;
    // A job with an I/O count issues exactly that many.
    if (target > 0 && <u64>to_prep > target - unchecked(jt_issued[ti])) {
      to_prep = <u32>(target - unchecked(jt_issued[ti]));
    }
    let issued: u32 = 0;
    if (to_prep > 0) {
      prepped = prep_more(ti, to_prep, dir0);
      issued = prepped + prep_copies;
    }
    if (issued > 0 && dir0 >= 0) unchecked((jt_pending_dir[ti] = -1));
    unchecked((jt_issued[ti] += <u64>issued));
  }
  // They go with this submission (a paced thread that slept above keeps them for later).
  prepped += ready;
  unchecked((th_ready[ti] = 0));
  if (target > 0 && prepped == 0 && busy == 0 && unchecked(jt_issued[ti]) >= target) {
    // fio's do_verify after do_io: a verifying thread reads its writes back before it ends.
    const pieces = unchecked(jt_stop[ti]) ? 0 : verify_begin(ti, unchecked(core_time[ti]));
    if (pieces > 0) {
      unchecked((jt_target[ti] = target + <u64>pieces));
      ev_push(unchecked(core_time[ti]), EV_THREAD, t);
      return;
    }
    thread_finished(ti);
    return;
  }
  inflight += prepped;
  unchecked((th_inflight[ti] = inflight));
  const to_submit = prepped;
  let to_wait: u32;
  if (quiesce) to_wait = inflight;
  else if (to_submit > 0 && inflight + to_submit <= depth) to_wait = 0;
  else {
    to_wait = inflight + to_submit;
    if (to_wait > batch_complete) to_wait = batch_complete;
    // iodepth_low: a full queue is reaped down to the low-water mark before it is filled again.
    const low = unchecked(jt_depth_low[ti]);
    if (low > 0 && inflight >= depth && inflight - low > to_wait) to_wait = inflight - low;
  }
  const t_enter = unchecked(core_time[ti]);
  const ret = io_enter_submit(id, to_submit);
  wl_calls++;
  if (ret < 0) {
    wl_errors++;
    wl_finished = true;
    wl_t1 = max_core_time();
    return;
  }
  unchecked((th_prepped[ti] = 0));
  wl_submitted += <u64>ret;
  if (ret > 0 && job_stats) {
    // fio's issue time for each submitted I/O, and its depth and batch maps (reported for fio jobs only).
    const rings = ring_rings(id);
    const mask = load<u32>(rings + RO_SQ_MASK);
    const tail = load<u32>(rings + RO_SQ_TAIL);
    const sqes = ring_sqes(id);
    for (let i: u32 = 0; i < <u32>ret; i++) {
      const sqe = sqes + <usize>((tail - to_submit + i) & mask) * u.SQE_SIZE;
      tag_issue(ti, <u32>load<u64>(sqe + u.SQE_USER_DATA), unchecked(core_time[ti]));
    }
    map_submit(ti, <u32>ret, inflight);
  }
  // t/io_uring passes IORING_ENTER_GETEVENTS only when it waits (to_wait > 0):
  // without it the kernel neither polls nor flushes, it just submits.
  if (to_wait > 0) io_getevents_pass(id);
  if (tracing) {
    trace_rec(TR_CPU_ENTER, t_enter, unchecked(core_time[ti]) - t_enter, ti, to_submit);
    trace_rec(TR_CNT_INFLIGHT, unchecked(core_time[ti]), 0, ti, ring_inflight(id));
    trace_rec(TR_CNT_IOTLB_MISS, unchecked(core_time[ti]), 0, ti, <u32>iommu_iotlb_misses);
  }
  if (to_wait > 0 && unchecked(core_yielded[ti])) {
    // The poll stopped before a shared resource: finish this GETEVENTS pass
    // at an event at this core's clock, after everything earlier.
    unchecked((th_to_wait[ti] = to_wait));
    unchecked((th_waiting[ti] = true));
    yield_thread(ti);
    return;
  }
  if (to_submit == 0 && unchecked(th_inflight[ti]) == 0 && unchecked(th_copying[ti]) > 0 && cq_ready(id) == 0) {
    // Every buffer is being copied to the GPU: sleep until a copy ends.
    unchecked((th_wait_copy[ti] = true));
    return;
  }
  if (to_wait > 0 && cq_ready(id) < to_wait) {
    unchecked((th_to_wait[ti] = to_wait));
    wait_for(ti, id, polled);
    return;
  }
  reap(ti);
  if (wl_finished) {
    unchecked((th_done[ti] = true));
    return;
  }
  // Yield: continue at this core's clock, letting other events run first.
  ev_push(unchecked(core_time[ti]), EV_THREAD, t);
}

/** A counted thread reaped its last I/O; the run ends when every thread has. */
function thread_finished(t: i32): void {
  unchecked((th_done[t] = true));
  unchecked((jt_end_ns[t] = unchecked(core_time[t])));
  threads_done++;
  // exitall (fio_terminate_threads): the others in its scope stop issuing and end when drained.
  const ex = unchecked(jt_exitall[t]);
  if (ex > 0) {
    for (let u = 0; u < nthreads; u++) {
      if (unchecked(th_done[u]) || (ex == 1 && unchecked(jt_exit_group[u]) != unchecked(jt_exit_group[t]))) continue;
      unchecked((jt_stop[u] = true));
      unchecked((jt_paced[u] = true));
      // A sleeping thread wakes now (usec_sleep checks td->terminate); one waiting for CQEs wakes with them.
      if (!unchecked(th_waiting[u])) ev_push(unchecked(core_time[t]), EV_THREAD, <u32>u);
    }
  }
  // wait_for: threads waiting for this one's job start when all of that job's threads have ended.
  const job = unchecked(jt_job_id[t]);
  let job_done = true;
  for (let u = 0; u < nthreads; u++) if (unchecked(jt_job_id[u]) == job && !unchecked(th_done[u])) job_done = false;
  if (job_done) {
    for (let u = 0; u < nthreads; u++) {
      if (unchecked(jt_wait_job[u]) != job || unchecked(th_done[u])) continue;
      const start = unchecked(core_time[t]);
      unchecked((jt_wait_job[u] = -1));
      unchecked((jt_start_ns[u] = start));
      const rel = unchecked(jt_deadline_rel[u]);
      unchecked((jt_deadline_ns[u] = rel > 0 ? start + rel : 0));
      ev_push(start, EV_THREAD, <u32>u);
    }
  }
  // Every thread has ended (counted, stopped or terminated): the run ends with the last.
  if ((all_counted || ex > 0 || any_stopped()) && threads_done == nthreads && !wl_finished) {
    wl_finished = true;
    let end: u64 = 0;
    for (let c = 0; c < nthreads; c++) if (unchecked(jt_end_ns[c]) > end) end = unchecked(jt_end_ns[c]);
    wl_t1 = end;
    snap_end();
  }
}

function any_stopped(): bool {
  for (let u = 0; u < nthreads; u++) if (unchecked(jt_stop[u])) return true;
  return false;
}

/** Continue thread `t`'s GETEVENTS pass at an event at its core's clock. */
function yield_thread(t: i32): void {
  unchecked((th_resume[t] = true));
  ev_push(unchecked(core_time[t]), EV_THREAD, <u32>t);
}

function wait_for(t: i32, id: i32, polled: bool): void {
  unchecked((th_waiting[t] = true));
  if (polled) unchecked((core_poll_waiter[t] = t));
  else {
    unchecked((r_wait_thread[id] = t));
    unchecked((r_wait_min[id] = unchecked(th_to_wait[t])));
  }
}

/** Start every thread at time 0. */
export function wl_start(): void {
  job_alloc(nthreads);
  // The largest block size (the job's bs) is filled or checked at once.
  if (any_verify) verify_scratch = mem_alloc(<usize>bs, 8, false);
  job_samples = mem_alloc(<usize>SAMPLES_MAX * <usize>(nthreads * 2 * JS_WORDS) * 8, 8, false);
  all_counted = true;
  for (let t = 0; t < nthreads; t++) if (unchecked(jt_target[t]) == 0) all_counted = false;
  // A thread with a startdelay starts when it has passed (its core idles until then).
  for (let t = 0; t < nthreads; t++) {
    // A thread waiting for another job (wait_for) starts when that job ends (thread_finished).
    if (unchecked(jt_wait_job[t]) < 0) ev_push(unchecked(core_time[t]) + unchecked(jt_start_ns[t]), EV_THREAD, <u32>t);
  }
  if (warmup_ios == 0 && ramp_ns == 0) start_measuring();
}

export function wl_sample_ptr(): usize {
  return samples;
}
export function wl_sample_words(): u32 {
  return SAMPLE_WORDS;
}
/** Job-sample word `k` (I/Os, bytes, clat sum) of (thread `t`, `dir`) in sample `i`. */
export function wl_job_sample(i: u32, t: i32, dir: i32, k: i32): f64 {
  return load<f64>(job_samples + (<usize>i * <usize>(nthreads * 2 * JS_WORDS) + <usize>((t * 2 + dir) * JS_WORDS + k)) * 8);
}
export function wl_snap_busy(c: i32): f64 {
  return <f64>unchecked(snap_busy[c]);
}
export function wl_snap_layer(c: i32, l: i32): f64 {
  return <f64>unchecked(snap_layer[c * LAYERS + l]);
}
/** Core busy time and per-layer time when the measurement window closed. */
export function wl_end_busy(c: i32): f64 {
  return <f64>unchecked(snap_end_busy[c]);
}
export function wl_end_layer(c: i32, l: i32): f64 {
  return <f64>unchecked(snap_end_layer[c * LAYERS + l]);
}
export function wl_stat(i: i32): f64 {
  switch (i) {
    case WL_STAT_IOS: return <f64>wl_ios;
    case WL_STAT_BYTES: return <f64>wl_bytes;
    case WL_STAT_ERRORS: return <f64>wl_errors;
    case WL_STAT_CALLS: return <f64>wl_calls;
    case WL_STAT_T0_NS: return <f64>wl_t0;
    case WL_STAT_T1_NS: return <f64>wl_t1;
    case WL_STAT_CALLS_AT_START: return <f64>snap_calls;
    case WL_STAT_FINISHED: return wl_finished ? 1 : 0;
    case WL_STAT_SAMPLES: return <f64>sample_count;
    case WL_STAT_MEASURING: return wl_measuring ? 1 : 0;
    case WL_STAT_CALLS_AT_END: return <f64>snap_end_calls;
  }
  return 0;
}
