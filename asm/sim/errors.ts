// Named simulator errors. A limit overrun sets sim_error and traps; TypeScript
// reads the code back and throws an Error that names the limit.

// The codes and their messages are defined once, in sim/abi.ts (index SIM_ERR,
// index INV), and re-exported here for the code that raises them.
import {
  SIM_ERR_ARENA, SIM_ERR_EVENTS, SIM_ERR_REQS, SIM_ERR_OVERFLOW, SIM_ERR_PHYS, SIM_ERR_MEDIA, SIM_ERR_IOVA,
  SIM_ERR_CMDS, SIM_ERR_INVARIANT, SIM_ERR_MAPS, SIM_ERR_ASSERT, SIM_ERR_MACHINE_SIZE, SIM_ERR_CLOCK,
  SIM_ERR_REQUEUED, INV_NONE, INV_LINK_CHAIN, INV_DEFER_LIST, INV_EXIT_WAIT, INV_CQ_WAIT, INV_IOPOLL_WAIT,
  INV_BUFFERED_COPY, INV_DMABUF_FEED, INV_PARKED_FAIL, INV_PARKED_ISSUE, INV_SQ_FETCH, INV_CQ_REAP,
  INV_BIO_FEED, INV_CHAIN_LEN, INV_EVENT_KIND, INV_HOOK_UNSET, INV_UNMAP_UNMAPPED, INV_FREE_UNALLOCATED,
  INV_ABI_STRUCT, INV_REQUEUE_RUN, INV_TW_PASSES, INV_COUNT,
} from "./abi";
export {
  SIM_ERR_ARENA, SIM_ERR_EVENTS, SIM_ERR_REQS, SIM_ERR_OVERFLOW, SIM_ERR_PHYS, SIM_ERR_MEDIA, SIM_ERR_IOVA,
  SIM_ERR_CMDS, SIM_ERR_INVARIANT, SIM_ERR_MAPS, SIM_ERR_ASSERT, SIM_ERR_MACHINE_SIZE, SIM_ERR_CLOCK,
  SIM_ERR_REQUEUED, INV_NONE, INV_LINK_CHAIN, INV_DEFER_LIST, INV_EXIT_WAIT, INV_CQ_WAIT, INV_IOPOLL_WAIT,
  INV_BUFFERED_COPY, INV_DMABUF_FEED, INV_PARKED_FAIL, INV_PARKED_ISSUE, INV_SQ_FETCH, INV_CQ_REAP,
  INV_BIO_FEED, INV_CHAIN_LEN, INV_EVENT_KIND, INV_HOOK_UNSET, INV_UNMAP_UNMAPPED, INV_FREE_UNALLOCATED,
  INV_ABI_STRUCT, INV_REQUEUE_RUN, INV_TW_PASSES, INV_COUNT,
};

export const SIM_OK: i32 = 0;

/**
 * Whether assertions are checked: in the debug build, not in release (asc
 * --noAssert). `assert(x)` under --noAssert still evaluates x and drops only
 * the trap, and binaryen keeps a read of linear memory there (a read may
 * trap), so an assertion that reads memory costs its reads, each with V8's
 * bounds check, in release too. On the hot path such an assertion is written
 * `if (ASSERTS) assert(...)`: the debug build checks it, release has none of it.
 */
export const ASSERTS: bool = !ASC_NO_ASSERT;

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
// (TypeScript names it from the generated INV_MESSAGES).

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
