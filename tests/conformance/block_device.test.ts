// Differential conformance of block I/O: a loop device over a sparse file
// (direct I/O, 512- and 4096-byte logical blocks) against a dmasim device of
// the same size, block size and queue limits; READ/WRITE, the vectored and
// the fixed-buffer opcodes, each case's results and the data read back.
import assert from "node:assert/strict";
import { compareBatch, explain, report } from "./harness.ts";
import { tally, type Verdict } from "./compare.ts";
import { kernelRunner, makeLoopDevice } from "./kernel.ts";
import { generateBlockProgram, Rng } from "./program.ts";

const CASES = Number(Deno.env.get("DMASIM_CONFORM_BLOCK_CASES") ?? 250);
/** Cases per loop device and machine. */
const BATCH = 250;

/** The block cases' seed: DMASIM_CONFORM_SEED ("random" for a fresh one), else fixed per block size. */
function blockSeed(lba: number): number {
  const s = Deno.env.get("DMASIM_CONFORM_SEED");
  if (s === "random") return crypto.getRandomValues(new Uint32Array(1))[0];
  return s ? Number(s) + lba : 1000 + lba;
}

for (const lba of [512, 4096] as const) {
  Deno.test(`conformance: block I/O on a ${lba}-byte-block loop device agrees with dmasim`, async () => {
    const r = await kernelRunner();
    const required = Deno.env.get("DMASIM_CONFORM_REQUIRE") === "1";
    if (!("path" in r)) {
      console.error(`\n*** conformance block ${lba} skipped: ${r.skipped} ***\n`);
      assert.ok(!required, `skipped: ${r.skipped}`);
      return;
    }
    // Not a whole number of GiB on purpose: 16 MiB and 7 blocks.
    const bytes = 16 * 1024 * 1024 + 7 * lba;
    const seed = blockSeed(lba);
    console.log(`conformance block ${lba}: seed ${seed}, ${CASES} cases`);
    const rng = new Rng(seed);
    const programs = Array.from(
      { length: CASES },
      (_, i) => generateBlockProgram(rng, `blk${lba}-${i}`, bytes, lba),
    );
    // Batches of at most BATCH cases, each on a fresh loop device and a fresh
    // machine (a batch's programs keep their buffers, as one process would).
    const all: Verdict[] = [];
    let label = "";
    for (let b = 0; b < programs.length; b += BATCH) {
      const dev = await makeLoopDevice(bytes, lba);
      if (typeof dev === "string") {
        console.error(`\n*** conformance block ${lba} skipped: ${dev} ***\n`);
        assert.ok(!required, `skipped: ${dev}`);
        return;
      }
      label = `block ${lba} (seed ${seed}, ${dev.path}, ${bytes} bytes)`;
      try {
        const batch = programs.slice(b, b + BATCH);
        const { verdicts, kernel, dmasim } = await compareBatch(r.path, batch, {
          device: {
            path: dev.path,
            model: { lba_bytes: lba, capacity_bytes: bytes, nvme: dev.limits },
          },
        });
        all.push(...verdicts);
        const dump = Deno.env.get("DMASIM_CONFORM_DUMP");
        if (dump) {
          const bad = verdicts.map((v, i) => [v, i] as const).filter(([v]) => !v.agree);
          await Deno.writeTextFile(
            `${dump}.${lba}`,
            bad.map(([v, i]) => explain(v, kernel[i], dmasim[i])).join("\n\n"),
            { append: b > 0 },
          );
        }
        const bad = verdicts.map((v, i) => [v, i] as const).filter(([v]) => !v.agree && !v.known);
        for (const [v] of bad) console.log(`  unexplained ${v.program.name}: ${v.diff}`);
        assert.equal(
          bad.length,
          0,
          bad.slice(0, 3).map(([v, i]) => explain(v, kernel[i], dmasim[i])).join("\n\n"),
        );
      } finally {
        await dev.close();
      }
    }
    const t = tally(all);
    console.log(report(label, t));
    assert.ok(t.compared >= 200);
  });
}
