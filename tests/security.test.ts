// The `security` section: what a device could reach that it should not, per
// IOMMU mode and buffer kind (issue 14 item 4). Each test runs a short
// workload or program and checks the exposure figures against what the
// mechanism must produce: nothing stale in strict mode, every per-I/O unmap
// stale until a flush in lazy mode (bounded by the flush timer), whole
// granules mapped for sub-page I/O, the whole dma-buf mapped for the
// registration's life, all of memory in passthrough.
import assert from "node:assert/strict";
import {
  getSqe,
  prepReadFixed,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  runUring,
  submitAndWait,
  System,
} from "../mod.ts";
import { fmtSecurity } from "../cli/uring.ts";
import { openDrive, udmabuf } from "./helpers.ts";
import { check, dmasim } from "./fixtures/cli/harness.ts";

const IOS = 20_000;

Deno.test("security passthrough: all of memory is reachable whatever the buffers", () => {
  for (const buffers of ["fixed", "dmabuf"] as const) {
    const r = runUring({ iommu: "passthrough", buffers, bs: 512, ios: IOS });
    const s = r.security;
    const prof = new System().profile;
    const memory = (prof.memory.host_mib + prof.gpus.reduce((a, g) => a + g.vram_mib, 0)) * 2 ** 20;
    assert.equal(s.allMemoryReachable, true);
    assert.equal(s.memoryBytes, memory);
    assert.equal(s.reachableBytesMean, s.memoryBytes);
    assert.equal(s.mappedBytesMax, s.memoryBytes);
    assert.equal(s.staleAfterUnmap.unmaps, 0, "no IOMMU unmaps in passthrough");
    assert.equal(s.p2pUntranslatedBytes, 0, "p2p bypass is moot when nothing is translated");
  }
});

Deno.test("security strict: per-I/O unmaps leave nothing reachable; 512-byte reads open 3584 bytes of each page", () => {
  const r = runUring({ iommu: "strict", buffers: "fixed", bs: 512, ios: IOS });
  const s = r.security;
  assert.equal(s.allMemoryReachable, false);
  assert.ok(s.staleAfterUnmap.unmaps >= IOS, `unmaps ${s.staleAfterUnmap.unmaps}`);
  assert.equal(s.staleAfterUnmap.staleUnmaps, 0);
  assert.equal(s.staleAfterUnmap.windowNsMax, 0);
  assert.equal(s.staleAfterUnmap.staleBytes, 0);
  // Each 512-byte registered buffer sits inside one page: one granule mapped per I/O.
  const live = s.subPage.maps - s.staleAfterUnmap.unmaps;
  assert.ok(live >= 0 && live <= r.job.depth, `${live} mappings live at the end`);
  assert.equal(s.subPage.bytesBeyondIo, s.subPage.maps * (4096 - 512));
  // Mapped for about the I/O's life: the mean lies between the fastest and slowest completion.
  assert.ok(
    s.subPage.meanWindowNs > r.latency.minNs * 0.5,
    `${s.subPage.meanWindowNs} vs ${r.latency.minNs}`,
  );
  assert.ok(
    s.subPage.meanWindowNs < r.latency.maxNs * 1.5,
    `${s.subPage.meanWindowNs} vs ${r.latency.maxNs}`,
  );
  // At most one page per request in flight is mapped.
  assert.ok(s.mappedBytesMax <= r.job.depth * 4096, `mappedBytesMax ${s.mappedBytesMax}`);
  assert.ok(s.mappedBytesMax >= (r.job.depth / 2) * 4096, `mappedBytesMax ${s.mappedBytesMax}`);
});

Deno.test("security strict: 4 KiB page-aligned reads have no sub-page exposure", () => {
  const r = runUring({ iommu: "strict", buffers: "fixed", bs: 4096, ios: IOS });
  assert.equal(r.security.subPage.maps, 0);
  assert.equal(r.security.subPage.bytesBeyondIo, 0);
});

Deno.test("security lazy: every per-I/O unmap stays reachable until a flush, about one flush queue of I/O", () => {
  const r = runUring({ iommu: "lazy", buffers: "fixed", bs: 512, ios: IOS });
  const x = r.security.staleAfterUnmap;
  assert.equal(x.staleUnmaps, x.unmaps, "lazy mode defers every invalidation");
  assert.equal(x.staleBytes, x.unmappedBytes);
  assert.ok(x.windowNsMax > 0);
  assert.ok(x.windowNsMean > 0 && x.windowNsMean <= x.windowNsMax);
  assert.ok(x.staleIotlbEntries > 0 && x.staleIotlbEntries <= x.staleBytes / 4096);
  // The flush queue holds 255 entries per CPU: at ~2 M IOPS it fills in ~130 µs,
  // long before the 10 ms timer; the window is about one queue's worth of I/O.
  const perIoNs = 1e9 / r.iops;
  assert.ok(x.windowNsMax < 400 * perIoNs, `window max ${x.windowNsMax} ns, ${perIoNs} ns per I/O`);
  assert.ok(x.windowNsMax > 100 * perIoNs, `window max ${x.windowNsMax} ns, ${perIoNs} ns per I/O`);
  // Nothing from dma-buf maps in a registered-buffer run.
  assert.equal(r.security.staleAfterMoveNotify.unmaps, 0);
  assert.ok(r.security.reachableBytesMean > 0);
});

Deno.test("security lazy: at queue depth 1 the 10 ms flush timer bounds the window", () => {
  const base = runUring({
    profile: { base: "optane-p5800x", iommu: { fq_timeout_ms: 1 } },
    iommu: "lazy",
    bs: 4096,
    depth: 1,
    submitBatch: 1,
    completeBatch: 1,
    ios: 400,
  });
  const x = base.security.staleAfterUnmap;
  assert.ok(x.windowNsMax >= 0.9e6, `window max ${x.windowNsMax}: the timer, not a full queue, flushes`);
  assert.ok(x.windowNsMax <= 1e6 + 50_000, `window max ${x.windowNsMax}: at most the timer plus one I/O`);
});

Deno.test("security dma-buf: the whole registered buffer is mapped, no per-I/O unmaps", () => {
  for (const iommu of ["strict", "lazy"] as const) {
    const r = runUring({ iommu, buffers: "dmabuf", bs: 512, ios: IOS });
    const s = r.security;
    assert.equal(s.staleAfterUnmap.unmaps, 0);
    assert.equal(s.subPage.maps, 0);
    assert.equal(s.dmabufMaps.bytesMax, 128 * 512, "a buffer per SQ slot: 128 × 512 bytes");
    // Mapped from the first I/O to the end of the run.
    const end = s.dmabufMaps.byteNs / s.dmabufMaps.bytesMax;
    assert.ok(end > r.simNs * 0.9, `mapped ${end} ns of a ${r.simNs} ns run`);
  }
});

function moveNotifyProgram(mode: "strict" | "lazy") {
  const sys = new System({ iommu: mode });
  const m = openDrive(sys, 64);
  const db = udmabuf(sys, 1 << 20);
  assert.equal(registerBuffersSparse(m.ring, 1), 0);
  assert.equal(registerBufferDmabuf(m.ring, 0, db, m.fd), 1);
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 16; i++) prepReadFixed(getSqe(m.ring)!, m.fd, 4096 * i, 4096, 4096 * i, 0);
    assert.equal(submitAndWait(m.ring, 16), 16);
    assert.ok(reapCqes(m.ring).every((c) => c.res === 4096));
    assert.equal(sys.dmabufMoveNotify(db), 0);
  }
  return { sys, s: sys.security() };
}

Deno.test("security move_notify: strict tears each map down at once, lazy leaves the whole buffer stale until the flush", () => {
  const strict = moveNotifyProgram("strict").s.staleAfterMoveNotify;
  assert.equal(strict.unmaps, 5, "one map per round, torn down by its move_notify");
  assert.equal(strict.unmappedBytes, 5 << 20);
  assert.equal(strict.staleUnmaps, 0);
  const { sys, s } = moveNotifyProgram("lazy");
  const lazy = s.staleAfterMoveNotify;
  assert.equal(lazy.unmaps, 5);
  assert.equal(lazy.staleUnmaps, 5);
  assert.equal(lazy.staleBytes, 5 << 20, "the whole 1 MiB buffer each time");
  // No flush happened yet (5 entries, the timer 10 ms away): all still open.
  assert.equal(lazy.openAtEnd, 5);
  assert.ok(lazy.windowNsMax > 0);
  assert.equal(sys.iommuCounters().fq_flushes, 0);
  assert.equal(s.staleAfterUnmap.unmaps, 0, "no per-I/O unmaps on a dma-buf");
  // Open windows run to the time asked about.
  const later = sys.security(sys.coreTimeNs(0) + 50e6).staleAfterMoveNotify;
  assert.ok(later.windowNsMax >= 50e6 && later.windowNsMax < 51e6, `${later.windowNsMax}`);
});

Deno.test("fmtSecurity: one line per kind of exposure, passthrough in one line", () => {
  const lazy = fmtSecurity(runUring({ iommu: "lazy", bs: 512, ios: 5000 }));
  assert.match(
    lazy[0],
    /^Security: iommu=lazy: reachable through the IOMMU .* on average, at most .* mapped/,
  );
  assert.ok(lazy.some((l) => /after unmap: \d+ of \d+ unmaps left reachable until the IOTLB flush/.test(l)));
  assert.ok(lazy.some((l) => /sub-page: .* beyond the I\/Os' own bytes/.test(l)));
  const pt = fmtSecurity(runUring({ iommu: "passthrough", bs: 512, ios: 5000 }));
  assert.equal(pt.length, 1);
  assert.match(pt[0], /all .* of memory reachable/);
});

Deno.test("dmasim uring --json has the security section; the text report its lines; sweep takes its metrics", async () => {
  const json = await dmasim(["uring", "-b", "512", "--iommu", "lazy", "--ios", "3000", "--json"]);
  check(json.code === 0, "uring --json exits 0", json);
  const r = JSON.parse(json.stdout);
  check(r.security?.staleAfterUnmap?.staleUnmaps > 0, "security.staleAfterUnmap in the JSON", json);
  const text = await dmasim(["uring", "-b", "512", "--iommu", "strict", "--ios", "3000"]);
  check(/^Security: iommu=strict: /m.test(text.stdout), "a Security line in the text report", text);
  check(/^ {2}sub-page: /m.test(text.stdout), "the sub-page line", text);
  const sweep = await dmasim([
    "sweep",
    "--param",
    "iommu=strict,lazy",
    "--metric",
    "stale_window_ns_max",
    "--ios",
    "3000",
    "-b",
    "512",
  ]);
  check(sweep.code === 0, "sweep with a security metric exits 0", sweep);
  const [head, strict, lazy] = sweep.stdout.trim().split("\n");
  const col = head.split(",").indexOf("stale_window_ns_max");
  check(col > 0, "the stale_window_ns_max column", sweep);
  check(
    Number(strict.split(",")[col]) === 0 && Number(lazy.split(",")[col]) > 0,
    "strict 0, lazy > 0",
    sweep,
  );
});
