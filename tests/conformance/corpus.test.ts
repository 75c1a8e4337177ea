// The regression corpus (tests/conformance/corpus/*.prog): each minimal
// program must give, on dmasim, exactly what the kernel answered when it was
// recorded; where the kernel runner works, the live kernel is checked
// against the recording too.
import assert from "node:assert/strict";
import { loadCorpus } from "./corpus.ts";
import { runDmasim } from "./dmasim_exec.ts";
import { kernelRelease, kernelRunner, runPrograms } from "./kernel.ts";

const corpus = loadCorpus();

Deno.test("conformance corpus: has entries", () => {
  assert.ok(corpus.length > 0);
});

for (const { program, kernel } of corpus) {
  Deno.test(`conformance corpus: ${program.name} gives the kernel's answer on dmasim`, () => {
    const [dm] = runDmasim([program]);
    assert.deepEqual(dm.slice(1), kernel);
  });
}

Deno.test("conformance corpus: the live kernel still gives the recorded answers", async () => {
  const r = await kernelRunner();
  if (!("path" in r)) {
    console.error(`\n*** conformance corpus (live kernel) skipped: ${r.skipped} ***\n`);
    assert.notEqual(Deno.env.get("DMASIM_CONFORM_REQUIRE"), "1", `skipped: ${r.skipped}`);
    return;
  }
  const programs = corpus.map(({ program, kernel }) => ({
    ...program,
    lines: program.lines.map((l) => l === "Z" ? `Z ${kernel.filter((k) => k.startsWith("cqe ")).length}` : l),
  }));
  const out = await runPrograms(r.path, programs);
  const release = await kernelRelease();
  corpus.forEach(({ program, kernel }, i) => {
    assert.deepEqual(out[i].slice(1), kernel, `${program.name} on ${release}`);
  });
});
