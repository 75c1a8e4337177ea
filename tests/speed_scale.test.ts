// Per-event work that must not grow with the machine's size (docs/speed.md):
// a poll pass visits the poll queues its core uses, not every drive's.
import assert from "node:assert/strict";
import { runUring } from "../src/workload.ts";
import { OPTANE_P5800X } from "../src/profiles.ts";
import { w } from "../src/internal.ts";

/** The published drive `drives` times over on a machine with `cores` cores. */
function machine(cores: number, drives: number): Record<string, unknown> {
  return {
    base: OPTANE_P5800X.name,
    cpu: { ...OPTANE_P5800X.cpu, cores },
    devices: Array.from({ length: drives }, (_, i) => ({ ...OPTANE_P5800X.devices[0], name: `nvme${i}n1` })),
  };
}
const devices = (n: number) => Array.from({ length: n }, (_, i) => `nvme${i}n1`);

Deno.test("nvme_poll_queues: 16 threads on 8 drives poll one queue each, one thread on 8 drives polls 8", () => {
  runUring({
    profile: machine(16, 8),
    iommu: "lazy",
    buffers: "fixed",
    bs: 512,
    threads: 16,
    devices: devices(8),
    ios: 20_000,
  });
  assert.deepEqual(Array.from({ length: 16 }, (_, c) => w.nvme_poll_queues(c)), Array(16).fill(1));
  assert.equal(w.nvme_poll_queues(16), 0);
  runUring({
    profile: machine(1, 8),
    iommu: "lazy",
    buffers: "fixed",
    bs: 512,
    devices: devices(8),
    ios: 20_000,
  });
  assert.equal(w.nvme_poll_queues(0), 8);
});
