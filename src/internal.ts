/**
 * The one internal entry for tests (and tools) that need the raw machine
 * beneath {@link System}: the Wasm exports `w` of the build in use — the
 * debug build (assertions on) under `deno task test`, which sets
 * `DMASIM_WASM=debug`; the release build otherwise — with every call guarded
 * (a trap becomes SimLimitError or SimInvariantError naming the export).
 * Not part of the public module (mod.ts): names here may change.
 *
 * @module
 */
export {
  instantiateDebug,
  SIM_ERROR_NAMES,
  SIM_INVARIANT_NAMES,
  SimInvariantError,
  SimLimitError,
  structArg,
  trapError,
  w,
  wasmBuild,
  wasmCrossings,
  wrapExports,
} from "./wasm.ts";
export type { WasmBuild, WasmExports } from "./wasm.ts";
