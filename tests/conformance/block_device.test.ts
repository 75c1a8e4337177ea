// Differential conformance of block I/O: a loop device over a sparse file
// (direct I/O, 512- and 4096-byte logical blocks) against a dmasim device of
// the same size, block size and queue limits; READ/WRITE, the vectored and
// the fixed-buffer opcodes, each case's results and the data read back.
import assert from "node:assert/strict";
import { compareBatch, explain, report } from "./harness.ts";
import { kernelRunner, makeLoopDevice } from "./kernel.ts";
import { generateBlockProgram, Rng } from "./program.ts";

const CASES = Number(Deno.env.get("DMASIM_CONFORM_BLOCK_CASES") ?? 250);

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
    const dev = await makeLoopDevice(bytes, lba);
    if (typeof dev === "string") {
      console.error(`\n*** conformance block ${lba} skipped: ${dev} ***\n`);
      assert.ok(!required, `skipped: ${dev}`);
      return;
    }
    try {
      const rng = new Rng(1000 + lba);
      const programs = Array.from(
        { length: CASES },
        (_, i) => generateBlockProgram(rng, `blk${lba}-${i}`, bytes, lba),
      );
      const { verdicts, tally, kernel, dmasim } = await compareBatch(r.path, programs, {
        device: {
          path: dev.path,
          model: { lba_bytes: lba, capacity_bytes: bytes, nvme: dev.limits },
        },
      });
      console.log(report(`block ${lba} (${dev.path}, ${bytes} bytes)`, tally));
      const dump = Deno.env.get("DMASIM_CONFORM_DUMP");
      if (dump) {
        const all = verdicts.map((v, i) => [v, i] as const).filter(([v]) => !v.agree);
        await Deno.writeTextFile(
          `${dump}.${lba}`,
          all.map(([v, i]) => explain(v, kernel[i], dmasim[i])).join("\n\n"),
        );
      }
      for (const v of verdicts) {
        if (!v.agree && !v.known) console.log(`  unexplained ${v.program.name}: ${v.diff}`);
      }
      const bad = verdicts.map((v, i) => [v, i] as const).filter(([v]) => !v.agree && !v.known);
      assert.equal(
        bad.length,
        0,
        bad.slice(0, 3).map(([v, i]) => explain(v, kernel[i], dmasim[i])).join("\n\n"),
      );
      assert.ok(tally.compared >= 200);
    } finally {
      await dev.close();
    }
  });
}
