/**
 * The simulated machine's WebAssembly module and the one gateway to it. One
 * process holds one machine instance, so one live {@link System} at a time;
 * see system.ts.
 *
 * Two builds of the same sources exist: `build/release.wasm` (committed,
 * `-O3`, assertions compiled out) and `build/debug.wasm` (`-O3`, assertions
 * on, function names kept, a failed assertion records its message, file and
 * line). The release build is imported directly (Deno 2.9 imports `.wasm`
 * natively: typed, no permission needed). The debug build is used instead when
 * the environment says `DMASIM_WASM=debug` and the process may read it: the
 * `deno task test` command sets it, so every test and fuzzer runs with
 * assertions on, while `deno task bench` and the CLI run the release build.
 *
 * Every exported function is wrapped so that a trap never reaches the caller
 * as a raw `WebAssembly.RuntimeError`: a named limit becomes a
 * {@link SimLimitError}, anything else (a named invariant, a failed assertion,
 * an out-of-bounds access) a {@link SimInvariantError}; both name the export
 * that was called.
 *
 * @module
 */
import * as release from "../build/release.wasm";
import {
  INV_COUNT,
  INV_MESSAGES,
  SIM_ABORT,
  SIM_ERR,
  SIM_ERR_MESSAGES,
  type StructLayout,
} from "./abi.generated.ts";

/** The module's exports (both builds export the same names). */
export type WasmExports = typeof release;

/** The two builds of the module. */
export type WasmBuild = "release" | "debug";

/** Names of the simulator's named errors, by code (generated from asm/sim/abi.ts, index SIM_ERR). */
export const SIM_ERROR_NAMES: Readonly<Record<number, string>> = SIM_ERR_MESSAGES;

/** The code of a broken internal invariant (SIM_ERR_INVARIANT). */
export const SIM_ERR_INVARIANT = SIM_ERR.invariant;
/** The code of a failed assertion in the debug build (SIM_ERR_ASSERT). */
export const SIM_ERR_ASSERT = SIM_ERR.assert;

/** Named invariants, by INV_* number (generated from asm/sim/abi.ts, index INV; INV_NONE is "unnamed"). */
export const SIM_INVARIANT_NAMES: readonly string[] = Array.from(
  { length: INV_COUNT },
  (_, i) => INV_MESSAGES[i],
);

/** A limit of the simulated machine was passed; the machine cannot go on. */
export class SimLimitError extends Error {
  /** The numeric code from asm/sim/errors.ts. */
  readonly code: number;
  /** The Wasm export that was running when the limit was hit ("" when unknown). */
  readonly where: string;
  /** Create the error for `code` with its detail argument. */
  constructor(code: number, arg: number, where = "") {
    super(`dmasim limit: ${SIM_ERROR_NAMES[code] ?? `error ${code}`} (${arg})`);
    this.name = "SimLimitError";
    this.code = code;
    this.where = where;
  }
}

/**
 * The simulator broke one of its own rules (a named invariant, a failed
 * assertion, or a trap with no name): a bug in dmasim, not in the caller's
 * program. The message names the export that was called and what broke.
 */
export class SimInvariantError extends Error {
  /** 9 (invariant), 11 (assertion) or 0 (a trap with no name). */
  readonly code: number;
  /** The Wasm export that was running. */
  readonly where: string;
  /** The named invariant (SIM_INVARIANT_NAMES index), 0 when none. */
  readonly invariant: number;
  /** Create the error: `what` says what broke, `where` which export ran. */
  constructor(code: number, where: string, what: string, invariant = 0, cause?: unknown) {
    super(`dmasim invariant broken in ${where}: ${what}`, { cause });
    this.name = "SimInvariantError";
    this.code = code;
    this.where = where;
    this.invariant = invariant;
  }
}

/** Read an AssemblyScript string (UTF-16, byte length in the header word before it) from linear memory. */
function asString(x: WasmExports, ptr: number): string {
  if (ptr === 0) return "";
  const buf = x.memory.buffer;
  const bytes = new Uint32Array(buf, ptr - 4, 1)[0];
  return new TextDecoder("utf-16le").decode(new Uint8Array(buf, ptr, bytes));
}

/**
 * What a trap in export `where` of instance `x` means, as an Error to throw:
 * the named limit or invariant the module recorded before trapping, or a
 * {@link SimInvariantError} for a trap with no name. Errors that are not traps
 * pass through unchanged. The recorded error is cleared once read.
 */
export function trapError(e: unknown, where: string, x: WasmExports): unknown {
  if (!(e instanceof WebAssembly.RuntimeError)) return e;
  const code = x.sim_error_code();
  const arg = x.sim_error_detail();
  let err: Error;
  if (code === SIM_ERR_INVARIANT) {
    const inv = x.sim_error_invariant();
    err = new SimInvariantError(
      code,
      where,
      `${SIM_INVARIANT_NAMES[inv] ?? `invariant ${inv}`} (${arg})`,
      inv,
      e,
    );
  } else if (code === SIM_ERR_ASSERT) {
    const msg = asString(x, x.sim_abort_where(SIM_ABORT.msg)) || "assertion";
    const file = asString(x, x.sim_abort_where(SIM_ABORT.file));
    err = new SimInvariantError(code, where, `${msg} at ${file}:${arg}`, 0, e);
  } else if (code !== 0) {
    err = new SimLimitError(code, arg, where);
  } else {
    err = new SimInvariantError(0, where, `trap with no name: ${e.message}`, 0, e);
  }
  x.clear_error();
  return err;
}

/** Calls from TypeScript into Wasm through wrapped exports since the process started (see {@link wasmCrossings}). */
let crossings = 0;

/**
 * How many times TypeScript has called into Wasm through a wrapped export
 * (every call through `w`) since the process started. The module imports
 * nothing, so no call ever goes the other way: this is every crossing of the
 * boundary. The bench divides it by the I/Os done (bench/crossings.ts).
 */
export function wasmCrossings(): number {
  return crossings;
}

/**
 * The exports of instance `x` with every function wrapped: a trap becomes a
 * {@link SimLimitError} or {@link SimInvariantError} naming the export (see
 * {@link trapError}), and each call is counted ({@link wasmCrossings}).
 * Memory and globals pass through.
 */
export function wrapExports(x: WasmExports): WasmExports {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(x)) {
    if (typeof v !== "function") {
      out[name] = v;
      continue;
    }
    const f = v as (...a: unknown[]) => unknown;
    out[name] = function (...a: unknown[]): unknown {
      crossings++;
      try {
        return f(...a);
      } catch (e) {
        throw trapError(e, name, x);
      }
    };
  }
  return out as WasmExports;
}

/** A fresh instance of build/debug.wasm (its own memory; for tests that need a second machine). */
export function instantiateDebug(): WasmExports {
  const bytes = Deno.readFileSync(new URL("../build/debug.wasm", import.meta.url));
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as WasmExports;
}

function selectBuild(): WasmBuild {
  // Never prompt: without permission to read it, the variable is not set for us.
  if (Deno.permissions.querySync({ name: "env", variable: "DMASIM_WASM" }).state !== "granted") {
    return "release";
  }
  const v = Deno.env.get("DMASIM_WASM");
  if (v === undefined || v === "" || v === "release") return "release";
  if (v === "debug") return "debug";
  throw new Error(`DMASIM_WASM must be "debug" or "release", got "${v}"`);
}

/** The build this process runs. */
export const wasmBuild: WasmBuild = selectBuild();

/** The raw, unwrapped exports of the build in use (for trapError; internal). */
export const raw: WasmExports = wasmBuild === "debug" ? instantiateDebug() : release;

/** The exports of the build in use, every function guarded. Internal: use {@link System}. */
export const w: WasmExports = wrapExports(raw);

/**
 * Write `values` as struct `layout` (src/abi.generated.ts, generated from
 * asm/sim/abi.ts) at the start of the module's scratch area and return its
 * address, for an export that takes `(cfg, cfg_bytes)`: the module reads the
 * struct before it uses the scratch area for anything else. Padding is
 * zeroed; a value of the wrong JavaScript type is a TypeError naming the
 * field (integers wrap and truncate as a Wasm parameter of that type would).
 */
export function structArg<T>(layout: StructLayout<T>, values: T): number {
  const ptr = w.scratch_ptr();
  const view = new DataView(w.memory.buffer, ptr, layout.size);
  new Uint8Array(w.memory.buffer, ptr, layout.size).fill(0);
  for (const f of layout.fields) {
    const v = values[f.key] as unknown;
    const want = f.type === "bool" ? "boolean" : f.type === "u64" || f.type === "i64" ? "bigint" : "number";
    const got = typeof v;
    if (got !== want) {
      throw new TypeError(`${layout.name}.${f.field}: ${want} expected, got ${got}`);
    }
    switch (f.type) {
      case "bool":
        view.setUint8(f.offset, v ? 1 : 0);
        break;
      case "u8":
      case "i8":
        view.setUint8(f.offset, v as number);
        break;
      case "u16":
      case "i16":
        view.setUint16(f.offset, v as number, true);
        break;
      case "u32":
      case "i32":
        view.setUint32(f.offset, v as number, true);
        break;
      case "f32":
        view.setFloat32(f.offset, v as number, true);
        break;
      case "u64":
      case "i64":
        view.setBigUint64(f.offset, BigInt.asUintN(64, v as bigint), true);
        break;
      case "f64":
        view.setFloat64(f.offset, v as number, true);
        break;
    }
  }
  return ptr;
}
