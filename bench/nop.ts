/**
 * NOP throughput of the ring core: simulated NOP requests per wall-clock
 * second through the full submit -> process -> complete path, at queue depth
 * 128 with batches of 32 (the program writes SQEs into ring memory, one
 * io_uring_enter per batch, CQEs read back from ring memory).
 *
 * @module
 */
import { getSqe, ioUringQueueExit, ioUringQueueInit, prepNop, reapCqes, submit, System } from "../mod.ts";

/** Result of {@link benchNop}. */
export interface NopBench {
  /** NOPs completed. */
  nops: number;
  /** Wall-clock seconds. */
  wallS: number;
  /** NOPs per wall-clock second. */
  nopsPerS: number;
}

/** Run `total` NOPs at depth 128, batches of 32. */
export function benchNop(total = 2_000_000): NopBench {
  const sys = new System();
  const ring = ioUringQueueInit(sys, 128, 0);
  if (typeof ring === "number") throw new Error(`io_uring setup failed: ${ring}`);
  let done = 0;
  let issued = 0;
  const t0 = performance.now();
  while (done < total) {
    // Keep 128 in flight, submitting in batches of 32.
    while (issued - done <= 128 - 32 && issued < total) {
      for (let i = 0; i < 32; i++) prepNop(getSqe(ring)!);
      issued += submit(ring);
    }
    done += reapCqes(ring).length;
  }
  const wallS = (performance.now() - t0) / 1000;
  ioUringQueueExit(ring);
  return { nops: done, wallS, nopsPerS: done / wallS };
}

if (import.meta.main) {
  const r = benchNop();
  console.log(
    `NOP: ${(r.nopsPerS / 1e6).toFixed(2)} M NOPs/s wall-clock (${r.nops} NOPs in ${r.wallS.toFixed(3)} s)`,
  );
}
