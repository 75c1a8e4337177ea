// Differential conformance of the io_uring ring core: random programs run on
// the running kernel and on dmasim, every result compared (see
// docs/conformance.md). DMASIM_CONFORM_SEED picks the seed ("random" for a
// fresh one), DMASIM_CONFORM_PROGRAMS how many programs.
import assert from "node:assert/strict";
import { compareBatch, explain, report } from "./harness.ts";
import { kernelRelease, kernelRunner } from "./kernel.ts";
import { generateNopProgram, Rng } from "./program.ts";

function seedFromEnv(): number {
  const s = Deno.env.get("DMASIM_CONFORM_SEED");
  if (s === "random") return crypto.getRandomValues(new Uint32Array(1))[0];
  return s ? Number(s) : 20261202;
}

Deno.test("conformance: random ring-core programs agree with the running kernel", async () => {
  const r = await kernelRunner();
  if (!("path" in r)) {
    console.error(`\n*** conformance ring-core skipped: ${r.skipped} ***\n`);
    assert.notEqual(Deno.env.get("DMASIM_CONFORM_REQUIRE"), "1", `skipped: ${r.skipped}`);
    return;
  }
  const seed = seedFromEnv();
  const n = Number(Deno.env.get("DMASIM_CONFORM_PROGRAMS") ?? 1000);
  const rng = new Rng(seed);
  const programs = Array.from({ length: n }, (_, i) => generateNopProgram(rng, `seed${seed}-${i}`));
  const { verdicts, tally, kernel, dmasim } = await compareBatch(r.path, programs);
  console.log(`${report(`ring-core (seed ${seed}, kernel ${await kernelRelease()})`, tally)}`);
  const bad = verdicts.map((v, i) => [v, i] as const).filter(([v]) => !v.agree && !v.known);
  assert.equal(
    bad.length,
    0,
    bad.slice(0, 3).map(([v, i]) => explain(v, kernel[i], dmasim[i])).join("\n\n"),
  );
  assert.equal(tally.compared, n);
});
