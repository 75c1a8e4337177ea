// Named simulator errors. A limit overrun sets sim_error and traps; TypeScript
// reads the code back and throws an Error that names the limit.

export const SIM_OK: i32 = 0;
export const SIM_ERR_ARENA: i32 = 1; // linear-memory arena exhausted
export const SIM_ERR_EVENTS: i32 = 2; // EVENTS_MAX
export const SIM_ERR_REQS: i32 = 3; // REQS_MAX
export const SIM_ERR_OVERFLOW: i32 = 4; // OVERFLOW_MAX
export const SIM_ERR_PHYS: i32 = 5; // simulated physical memory backing exhausted
export const SIM_ERR_MEDIA: i32 = 6; // media backing exhausted
export const SIM_ERR_IOVA: i32 = 7; // IOVA space / allocator node table exhausted
export const SIM_ERR_CMDS: i32 = 8; // NVMe command table exhausted
export const SIM_ERR_INVARIANT: i32 = 9; // an internal invariant broke
export const SIM_ERR_MAPS: i32 = 10; // dma-buf map table exhausted
export const SIM_ERR_MACHINE_SIZE: i32 = 12; // the machine's memory does not fit one arena
export const SIM_ERR_CLOCK: i32 = 13; // an event past the engine's clock (2^TIME_BITS ns)
export const SIM_ERR_REQUEUED: i32 = 14; // REQUEUED_MAX: requests on blk-mq dispatch lists

/** The last named error, read by TypeScript after a trap. */
export let sim_error: i32 = SIM_OK;
/** An argument giving detail (which table, which value). */
export let sim_error_arg: i64 = 0;

/** Raise a named simulator error: record it and trap. Never returns. */
export function fail(code: i32, arg: i64 = 0): void {
  sim_error = code;
  sim_error_arg = arg;
  unreachable();
}

export function clear_error(): void {
  sim_error = SIM_OK;
  sim_error_arg = 0;
  sim_invariant = INV_NONE;
  sim_abort_msg = 0;
  sim_abort_file = 0;
  sim_abort_line = 0;
}

// ---------------------------------------------------------------------------
// Named invariants. A loop that cannot end, a list that does not terminate:
// the run stops with SIM_ERR_INVARIANT and sim_invariant says which
// (TypeScript names it: src/wasm.ts SIM_INVARIANT_NAMES, same order).

export const SIM_ERR_ASSERT: i32 = 11; // an assertion failed (debug build): sim_abort_* say where

export const INV_NONE: i32 = 0;
export const INV_LINK_CHAIN: i32 = 1; // io_fail_links walked more than REQS_MAX linked requests
export const INV_DEFER_LIST: i32 = 2; // io_queue_deferred released more than REQS_MAX requests
export const INV_EXIT_WAIT: i32 = 3; // io_uring_exit waited through 100 M events for in-flight requests
export const INV_CQ_WAIT: i32 = 4; // io_cqring_wait ran past its iteration bound
export const INV_IOPOLL_WAIT: i32 = 5; // io_iopoll_check ran past its iteration bound
export const INV_BUFFERED_COPY: i32 = 6; // a buffered copy took more than 1 M page steps
export const INV_DMABUF_FEED: i32 = 7; // a dma-buf request fed more than 2^20 pages to the block layer
export const INV_PARKED_FAIL: i32 = 8; // failing a token's parked requests walked more than 2^20 of them
export const INV_PARKED_ISSUE: i32 = 9; // issuing a token's parked requests walked more than 2^20 of them
export const INV_SQ_FETCH: i32 = 10; // the controller fetched more SQEs than the queue holds in one doorbell
export const INV_CQ_REAP: i32 = 11; // the driver reaped more CQEs than the queue holds in one pass
export const INV_BIO_FEED: i32 = 12; // one blk_feed call took more than 1 M split steps
export const INV_CHAIN_LEN: i32 = 13; // a link chain longer than REQS_MAX (chain_len)
export const INV_EVENT_KIND: i32 = 14; // the dispatcher popped an event of no known kind
export const INV_HOOK_UNSET: i32 = 15; // an upward hook was called before machine set-up registered it
export const INV_UNMAP_UNMAPPED: i32 = 16; // iommu_unmap found a PTE that was not mapped
export const INV_FREE_UNALLOCATED: i32 = 17; // free_iova of a range the IOVA tree does not hold
export const INV_ABI_STRUCT: i32 = 18; // a set-up struct of another size than the module's (sim/abi.ts)
export const INV_REQUEUE_RUN: i32 = 19; // a blk-mq queue run walked more than REQUEUED_MAX requeued requests
export const INV_TW_PASSES: i32 = 20; // task work ran more passes than there are requests (tw_run_all/local)
export const INV_COUNT: i32 = 21;

/** Which named invariant broke last (INV_*, 0 when the failure was not a named invariant). */
export let sim_invariant: i32 = INV_NONE;

/** Fail named invariant `inv` with detail `arg`: never returns. */
export function invariant_fail(inv: i32, arg: i64): void {
  sim_invariant = inv;
  fail(SIM_ERR_INVARIANT, arg);
}

/**
 * A set-up struct passed by pointer (sim/abi.ts) came with `bytes`, the size
 * its writer knows; the module's is `expected`. They differ only when the
 * TypeScript side and the module were generated from different definitions:
 * fail named invariant INV_ABI_STRUCT rather than read a wrong layout.
 */
export function abi_struct_check(bytes: u32, expected: usize): void {
  if (<usize>bytes != expected) invariant_fail(INV_ABI_STRUCT, <i64>bytes);
}

/**
 * The one loop-bound check: a loop that has run `count` times when at most
 * `max` can be right fails named invariant `inv` (never a silent break that
 * would let a run go on with half its work done).
 */
// @ts-ignore: decorator
@inline export function bound(count: u32, max: u32, inv: i32): void {
  if (count > max) invariant_fail(inv, <i64>count);
}

// Where the last assertion failed (debug build; asserts are compiled out of
// release): message and file as AssemblyScript string pointers, and the line.
export let sim_abort_msg: usize = 0;
export let sim_abort_file: usize = 0;
export let sim_abort_line: u32 = 0;

/**
 * The module's abort (asconfig.json `use: abort=…` in the debug target): a
 * failed assert(cond, "message") records where it failed, then traps.
 */
export function sim_abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  sim_abort_msg = changetype<usize>(message);
  sim_abort_file = changetype<usize>(fileName);
  sim_abort_line = line;
  sim_error = SIM_ERR_ASSERT;
  sim_error_arg = <i64>line;
  unreachable();
}
