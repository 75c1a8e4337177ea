// Named per-step CPU costs, in nanoseconds, from the machine profile.
// TypeScript writes them with set_cost(id, ns), by the ids cost_ids.ts
// defines once (src/abi.generated.ts COST is generated from it and names each
// id by its profile field).

import { COST_COUNT } from "./cost_ids";
export * from "./cost_ids";

export const cost_ns = new StaticArray<u64>(COST_COUNT);

/** The cost with id `id`, ns (tests check each profile cost reaches its own id); 0 past the end. */
export function cost_get(id: i32): f64 {
  if (id < 0 || id >= COST_COUNT) return 0;
  return <f64>unchecked(cost_ns[id]);
}

export function set_cost(id: i32, ns: u32): void {
  if (id < 0 || id >= COST_COUNT) return;
  unchecked((cost_ns[id] = <u64>ns));
}

// @ts-ignore: decorator
@inline export function cost(id: i32): u64 {
  return unchecked(cost_ns[id]);
}
