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
}
