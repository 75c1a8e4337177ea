/**
 * The main job (`deno task bench`): dmasim's headline benchmark.
 *
 * @module
 */
import { benchNop } from "./nop.ts";

const r = benchNop();
console.log("dmasim ring core: NOP submit -> process -> complete, QD128, batches of 32");
console.log(
  `  ${(r.nopsPerS / 1e6).toFixed(2)} M NOPs/s wall-clock (${r.nops} NOPs in ${r.wallS.toFixed(3)} s)`,
);
console.log("  (Linux io_uring itself: ~15 M NOPs/s per core)");
