// The ABI written once: asm/sim/uapi.ts defines the uAPI values and layouts;
// tools/gen_abi.ts generates the TypeScript side. Both sides agree: every
// generated constant equals the value the compiled module holds, the
// committed files are what the generator writes, and the hand-written
// constants of src/constants.ts that share a name agree too.

import assert from "node:assert/strict";
import * as gen from "../src/uapi.generated.ts";
import * as constants from "../src/constants.ts";
import { w } from "../src/internal.ts";
import { parseUapi, renderAs, renderTs } from "../tools/gen_abi.ts";

Deno.test("every generated uAPI constant equals the compiled module's value", () => {
  gen.UAPI_NAMES.forEach((name, i) => assert.equal(gen[name], w.uapi_value(i), name));
  assert.ok(Number.isNaN(w.uapi_value(gen.UAPI_NAMES.length)), "the module has no constant past the list");
  // A layout the TypeScript side relies on: the CQ ring starts after the SQ/CQ head and tail lines.
  assert.equal(gen.RO_CQES, 320);
  assert.equal(gen.SQE_SIZE, 64);
});

Deno.test("the committed generated files are what tools/gen_abi.ts writes from asm/sim/uapi.ts", async () => {
  const root = new URL("..", import.meta.url);
  const consts = parseUapi(await Deno.readTextFile(new URL("asm/sim/uapi.ts", root)));
  assert.equal(await Deno.readTextFile(new URL("src/uapi.generated.ts", root)), renderTs(consts));
  assert.equal(await Deno.readTextFile(new URL("asm/sim/uapi_table.generated.ts", root)), renderAs(consts));
});

Deno.test("src/constants.ts agrees with the ABI on every name both define", () => {
  const shared = Object.keys(constants).filter((k) => k in gen && k !== "UAPI_NAMES");
  assert.ok(shared.length >= 30, `only ${shared.length} shared names`);
  for (const k of shared) {
    assert.equal((constants as Record<string, unknown>)[k], (gen as Record<string, unknown>)[k], k);
  }
});

Deno.test("the generator refuses what it cannot evaluate, and names the line", () => {
  assert.throws(() => parseUapi("export const A: u32 = B + 1;"), /uapi\.ts:1: A uses B before it is defined/);
  assert.throws(() => parseUapi("export const A: u32 = f(1);"), /uapi\.ts:1: not a constant expression/);
  assert.deepEqual(
    parseUapi("// flags\nexport const A: u32 = 1 << 3; // bit 3\nexport const B: u32 =\n  A | 1;"),
    [
      { name: "A", type: "u32", value: 8, doc: "flags: bit 3" },
      { name: "B", type: "u32", value: 9, doc: "flags" },
    ],
  );
});
