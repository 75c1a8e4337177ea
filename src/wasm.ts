/**
 * The simulated machine's WebAssembly module, imported directly (Deno 2.9
 * imports `.wasm` natively: typed, no permission needed). One process holds
 * one instance, so one live {@link System} at a time; see system.ts.
 *
 * @module
 */
import * as wasm from "../build/release.wasm";

/** The raw exports of build/release.wasm. Internal: use {@link System}. */
export const w = wasm;

/** Names of the simulator's named errors, by code (asm/sim/errors.ts). */
export const SIM_ERROR_NAMES: Record<number, string> = {
  1: "arena exhausted (machine memory limits too small for this run)",
  2: "event queue full (EVENTS_MAX)",
  3: "request table full (REQS_MAX)",
  4: "CQ overflow list full (OVERFLOW_MAX)",
  5: "simulated physical memory backing exhausted (memory.backing_mib)",
  6: "media backing exhausted (memory.media_mib)",
  7: "IOVA space or allocator table exhausted",
  8: "NVMe command table full",
  9: "internal invariant broken",
  10: "dma-buf map table full",
};

/** A limit of the simulated machine was passed; the machine cannot go on. */
export class SimLimitError extends Error {
  /** The numeric code from asm/sim/errors.ts. */
  readonly code: number;
  /** Create the error for `code` with its detail argument. */
  constructor(code: number, arg: number) {
    super(`dmasim limit: ${SIM_ERROR_NAMES[code] ?? `error ${code}`} (${arg})`);
    this.name = "SimLimitError";
    this.code = code;
  }
}

/**
 * Run `fn` (a call into Wasm); when the module trapped on a named limit,
 * rethrow it as a {@link SimLimitError} naming the limit.
 */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      const code = wasm.sim_error_code();
      if (code !== 0) throw new SimLimitError(code, wasm.sim_error_detail());
    }
    throw e;
  }
}
