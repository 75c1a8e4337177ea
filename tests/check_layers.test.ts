import assert from "node:assert/strict";
import { checkLayers } from "../tools/check_layers.ts";

Deno.test("layer check: downward imports within the declared order pass", () => {
  const r = checkLayers(
    new Map([
      ["sim/engine.ts", 'import { fail } from "./errors";'],
      ["sim/errors.ts", "export function fail(): void {}"],
      ["nvme/pci.ts", 'import {\n  fail,\n} from "../sim/errors";'],
      ["index.ts", 'export { fail } from "./sim/errors";\nimport { x } from "./nvme/pci";'],
    ]),
  );
  assert.deepEqual(r.violations, []);
  assert.deepEqual(r.edges.length, 4);
});

Deno.test("layer check: an upward import, a cycle and an unknown folder are each reported", () => {
  const r = checkLayers(
    new Map([
      ["sim/engine.ts", 'import { nvme_poll } from "../nvme/pci";'],
      ["nvme/pci.ts", 'import { a } from "./ctrl";'],
      ["nvme/ctrl.ts", 'import { b } from "./pci";'],
      ["misc/x.ts", ""],
    ]),
  );
  assert.deepEqual(r.violations.length, 3);
  assert.match(
    r.violations.find((v) => v.includes("upward"))!,
    /sim\/engine\.ts: upward import of nvme\/pci\.ts/,
  );
  assert.match(
    r.violations.find((v) => v.includes("cycle"))!,
    /nvme\/(pci|ctrl)\.ts -> nvme\/(ctrl|pci)\.ts -> /,
  );
  assert.match(r.violations.find((v) => v.includes("folder"))!, /misc\/x\.ts: folder "misc"/);
});
