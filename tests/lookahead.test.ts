// The controllers' conservative lookahead across drives (asm/nvme/ctrl.ts,
// docs/model.md "Block layer and NVMe"): every drive's pending commands take
// their links in readiness order over the machine, up to the least min_delay
// over its drives ahead, with one EV_NVME_MEDIA event for the machine.
// Events per I/O stay flat in the number of drives, every link and host
// memory are booked in readiness order over all drives, and runs stay
// deterministic.
import assert from "node:assert/strict";
import { runUring } from "../src/workload.ts";
import { OPTANE_P5800X, PCIE5_NAND } from "../src/profiles.ts";
import type { DeviceProfile } from "../src/profile.ts";
import { w } from "../src/internal.ts";

/** `cores` cores and the given drives (each a profile device), named nvme0n1, nvme1n1, ... */
function machine(cores: number, drives: readonly DeviceProfile[]): Record<string, unknown> {
  return {
    base: OPTANE_P5800X.name,
    cpu: { ...OPTANE_P5800X.cpu, cores },
    devices: drives.map((d, i) => ({ ...d, name: `nvme${i}n1` })),
  };
}
const optane = (n: number) => Array.from({ length: n }, () => OPTANE_P5800X.devices[0]);
const names = (n: number) => Array.from({ length: n }, (_, i) => `nvme${i}n1`);

/** One polled lazy-mode run of `bs`-byte random reads, one thread per core: its events per measured I/O. */
function eventsPerIo(cores: number, drives: readonly DeviceProfile[], ios: number, bs = 512) {
  const r = runUring({
    profile: machine(cores, drives),
    iommu: "lazy",
    buffers: "fixed",
    bs,
    threads: cores,
    devices: names(drives.length),
    ios,
  });
  return {
    all: w.events_taken() / ios,
    media: w.nvme_media_events() / ios,
    outOfOrder: w.nvme_link_out_of_order(),
    result: r,
  };
}

Deno.test("lookahead: events per I/O on 2 and 8 drives stay at the 1-drive figure (about 1.13, not 2.1-2.2)", () => {
  const one = eventsPerIo(1, optane(1), 20_000);
  const two = eventsPerIo(1, optane(2), 20_000);
  const big = eventsPerIo(16, optane(8), 40_000);
  // One CQE per I/O (and the warm-up's) and a few doorbells, threads and media events.
  assert.ok(one.all > 1 && one.all < 1.2, `1 × 1: ${one.all} events per I/O`);
  // Without the lookahead across drives each command had its own media event: 2.1 per I/O.
  assert.ok(two.all < one.all * 1.05, `1 core × 2 drives: ${two.all} against ${one.all} events per I/O`);
  assert.ok(
    two.media <= one.media,
    `1 core × 2 drives: ${two.media} media events per I/O against ${one.media}`,
  );
  assert.ok(big.all < one.all * 1.1, `16 × 8: ${big.all} against ${one.all} events per I/O`);
  assert.ok(big.media < 0.1, `16 × 8: ${big.media} media events per I/O`);
});

Deno.test("lookahead: links and host memory are booked in readiness order across drives, fast and slow mixed", () => {
  // An Optane drive (5 µs reads) next to a NAND drive (60 µs, 20 µs jitter): the
  // lookahead is the Optane's; taking the NAND's would let an Optane command
  // fetched later be ready before NAND commands already given their link.
  const mixed = eventsPerIo(2, [OPTANE_P5800X.devices[0], PCIE5_NAND.devices[0]], 20_000, 4096);
  assert.equal(mixed.outOfOrder, 0);
  assert.ok(mixed.result.iops > 0);
  const big = eventsPerIo(8, optane(8), 20_000);
  assert.equal(big.outOfOrder, 0);
});

Deno.test("lookahead: a multi-drive run is deterministic", () => {
  const job = {
    profile: machine(4, optane(3)),
    iommu: "strict" as const,
    buffers: "fixed" as const,
    bs: 4096,
    threads: 4,
    devices: names(3),
    ios: 10_000,
  };
  const strip = (r: object) =>
    JSON.stringify(r, (k, v) => ["wallS", "simIosPerWallS", "realTimeRatio"].includes(k) ? undefined : v);
  const a = strip(runUring(job));
  const ea = w.events_taken();
  const b = strip(runUring(job));
  assert.equal(a, b);
  assert.equal(w.events_taken(), ea);
});
