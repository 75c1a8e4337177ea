/**
 * Micro-benchmarks (`deno task microbench`): the pieces of `deno task bench`'s
 * speed table on their own — the ring core, the headline scenario, strict and
 * lazy registered buffers, 64 cores × 8 drives — for tracking the
 * simulator's speed change by change.
 *
 * @module
 */
import { getSqe, ioUringQueueInit, prepNop, reapCqes, submit, System } from "../mod.ts";
import { speedScenarios } from "./speed.ts";

const sys = new System();
const ring = ioUringQueueInit(sys, 128, 0);
if (typeof ring === "number") throw new Error(`io_uring_setup: ${ring}`);

Deno.bench("ring: 32 NOPs prepared, submitted and reaped", { group: "ring", baseline: true }, () => {
  for (let i = 0; i < 32; i++) prepNop(getSqe(ring)!);
  submit(ring);
  reapCqes(ring);
});

// The speed table's I/O scenarios at 100k I/Os each (the ring core is the group above).
for (const s of speedScenarios(100_000).filter((s) => s.unit === "I/Os")) {
  Deno.bench(`${s.name}: 100k I/Os`, { group: "workload" }, () => {
    s.run();
  });
}
