/**
 * `deno task bench:kernel`: the real kernel's io_uring NOP rate on this
 * machine side by side with the simulator's ring core, the same workload in
 * both (queue depth 128, NOPs in batches of 32, one thread): bench/kernel_nop.c
 * built with gcc and liburing (`apt-get install gcc liburing-dev`), then
 * kernel and simulator runs alternating, min / median of each.
 * `--runs N` (default 5). Not part of the tests: it needs a C toolchain and
 * a kernel that allows io_uring.
 *
 * @module
 */
import { benchNop } from "./nop.ts";
import { minMedian } from "./speed.ts";

const runsArg = Deno.args.indexOf("--runs");
const runs = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`bench:kernel: --runs: expected a positive integer, got ${Deno.args[runsArg + 1]}`);
  Deno.exit(2);
}

const dir = await Deno.makeTempDir({ prefix: "dmasim-kernel-nop-" });
const exe = `${dir}/kernel_nop`;
try {
  const src = new URL("./kernel_nop.c", import.meta.url).pathname;
  const cc = await new Deno.Command("gcc", { args: ["-O2", "-o", exe, src, "-luring"], stderr: "piped" })
    .output()
    .catch((e) => {
      console.error(`bench:kernel: cannot run gcc (${e.message}): apt-get install -y gcc liburing-dev`);
      Deno.exit(1);
    });
  if (!cc.success) {
    console.error(
      `bench:kernel: gcc failed (apt-get install -y gcc liburing-dev?):\n${
        new TextDecoder().decode(cc.stderr)
      }`,
    );
    Deno.exit(1);
  }
  const kernel: number[] = [];
  const sim: number[] = [];
  for (let k = 0; k < runs; k++) {
    const out = await new Deno.Command(exe, { args: ["10000000"], stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success) {
      console.error(`bench:kernel: kernel_nop failed: ${new TextDecoder().decode(out.stderr).trim()}`);
      Deno.exit(1);
    }
    const [nops, secs] = text.split(" ").map(Number);
    kernel.push(nops / secs);
    sim.push(benchNop(2_000_000).nopsPerS);
  }
  const k = minMedian(kernel);
  const s = minMedian(sim);
  const m = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  console.log(
    `io_uring NOPs per wall second, QD128, batches of 32, one thread (${runs} runs each, alternating):`,
  );
  console.log(`  Linux ${Deno.osRelease()} io_uring: min ${m(k.min)}, median ${m(k.median)}`);
  console.log(`  dmasim ring core:          min ${m(s.min)}, median ${m(s.median)}`);
  console.log(`  dmasim / kernel (medians): ${(s.median / k.median).toFixed(2)}x`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
