// Untrusted devices (issue 14 item 5): a PCI device behind an external-facing
// port (pci_dev->untrusted) gets a strict DMA domain, and dma-iommu.c bounces
// every buffer that does not fill whole IOVA granules through swiotlb, so
// the device reaches the I/O's bytes and zeroed padding only. "all" is the
// proposal from the LSF/MM discussion: every request bounces. Each test is a
// short program or run that checks the data, the exposure and the cost.
import assert from "node:assert/strict";
import {
  getSqe,
  OPTANE_P5800X,
  prepReadFixed,
  prepWriteFixed,
  ProfileError,
  reapCqes,
  registerBuffers,
  runUring,
  submitAndWait,
  System,
} from "../mod.ts";
import { openDrive, pattern, patternMismatch, writePattern } from "./helpers.ts";

type Untrusted = "no" | "yes" | "all";

function profile(untrusted: Untrusted, mode: "strict" | "lazy" = "strict") {
  return { base: "optane-p5800x", iommu: { mode }, devices: [{ ...OPTANE_P5800X.devices[0], untrusted }] };
}

Deno.test("untrusted yes: a 512-byte read and write go through a shadow page; the data is right, nothing beyond it exposed", () => {
  const sys = new System({ profile: profile("yes") });
  const m = openDrive(sys, 8);
  writePattern(m, 1 << 20);
  const buf = sys.mmapAnon(8192);
  assert.equal(registerBuffers(m.ring, [{ iovBase: buf, iovLen: 8192 }]), 0);
  // A read into the middle of a page: bounced, then copied back at unmap.
  prepReadFixed(getSqe(m.ring)!, m.fd, buf + 1024, 512, 65536, 0);
  assert.equal(submitAndWait(m.ring, 1), 1);
  assert.equal(reapCqes(m.ring)[0].res, 512);
  const got = sys.readUser(buf + 1024, 512);
  assert.ok(got instanceof Uint8Array);
  assert.equal(patternMismatch(got, 65536), -1);
  // A write from user memory: copied into the shadow page before the device reads it.
  assert.equal(sys.writeUser(buf + 4096, pattern(999 * 512, 512)), 0);
  prepWriteFixed(getSqe(m.ring)!, m.fd, buf + 4096, 512, 512 * 4000, 0);
  assert.equal(submitAndWait(m.ring, 1), 1);
  assert.equal(reapCqes(m.ring)[0].res, 512);
  prepReadFixed(getSqe(m.ring)!, m.fd, buf, 512, 512 * 4000, 0);
  assert.equal(submitAndWait(m.ring, 1), 1);
  assert.equal(reapCqes(m.ring)[0].res, 512);
  const back = sys.readUser(buf, 512);
  assert.ok(back instanceof Uint8Array);
  assert.equal(patternMismatch(back, 999 * 512), -1, "the written bytes reached the drive");
  const s = sys.security();
  assert.equal(s.shadow.bounces >= 3, true, `${s.shadow.bounces} bounces`);
  assert.equal(s.subPage.bytesBeyondIo, 0, "the rest of each granule is zeroed padding, not user memory");
  assert.ok(s.shadow.paddingBytes >= 3 * (4096 - 512));
});

Deno.test("untrusted yes in lazy mode: the domain is strict (no flush queue), nothing is stale after an unmap", () => {
  const r = runUring({ profile: profile("yes", "lazy"), bs: 4096, ios: 20_000 });
  assert.equal(r.security.staleAfterUnmap.staleUnmaps, 0);
  assert.equal(r.iommu.invalidations, r.iommu.unmaps, "one synchronous invalidation per unmap");
  const trusted = runUring({ profile: profile("no", "lazy"), bs: 4096, ios: 20_000 });
  assert.equal(trusted.security.staleAfterUnmap.staleUnmaps, trusted.security.staleAfterUnmap.unmaps);
  assert.ok(r.iops < trusted.iops * 0.5, `untrusted ${r.iops} vs trusted ${trusted.iops}`);
});

Deno.test("untrusted: yes bounces only sub-granule buffers, all bounces every request; each copy costs CPU", () => {
  const run = (untrusted: Untrusted, bs: number) =>
    runUring({ profile: profile(untrusted), bs, ios: 20_000 });
  const aligned = run("yes", 4096);
  assert.equal(aligned.security.shadow.bounces, 0, "4 KiB page-aligned buffers map directly");
  const plain = run("no", 4096);
  assert.equal(aligned.iops, plain.iops);
  const all = run("all", 4096);
  assert.ok(all.security.shadow.bounces >= 20_000);
  assert.equal(all.security.shadow.paddingBytes, 0);
  // Copied one way per read (into its buffer at unmap): all but the reads still in flight at the end.
  const sh = all.security.shadow;
  assert.ok(sh.copiedBytes <= sh.bounces * 4096 && sh.copiedBytes >= (sh.bounces - all.job.depth) * 4096);
  const memcpy = OPTANE_P5800X.costs_ns.memcpy_kb * 4 + OPTANE_P5800X.costs_ns.swiotlb_map;
  assert.ok(all.cpuNsPerIo - plain.cpuNsPerIo >= memcpy * 0.95, `${all.cpuNsPerIo} vs ${plain.cpuNsPerIo}`);
  const small = run("yes", 512);
  assert.ok(small.security.shadow.bounces >= 20_000, "512-byte buffers do not fill a granule");
});

Deno.test("untrusted: dma-buf maps are page-aligned and never bounce, so their gain over bounced registered buffers grows", () => {
  const fixed = runUring({ profile: profile("yes"), bs: 512, buffers: "fixed", ios: 20_000 });
  const dmabuf = runUring({ profile: profile("yes"), bs: 512, buffers: "dmabuf", ios: 20_000 });
  assert.equal(dmabuf.security.shadow.bounces, 0);
  assert.ok(fixed.security.shadow.bounces >= 20_000);
  // ... but the whole registered buffer stays reachable.
  assert.equal(dmabuf.security.dmabufMaps.bytesMax, 128 * 512);
  assert.ok(dmabuf.iops > 9 * fixed.iops, `dma-buf ${dmabuf.iops} vs bounced ${fixed.iops}`);
});

Deno.test("untrusted needs a translating IOMMU: passthrough is refused naming the field", () => {
  assert.throws(
    () => new System({ profile: profile("yes"), iommu: "passthrough" }),
    (e: unknown) => e instanceof ProfileError && e.path === "devices[0].untrusted",
  );
  assert.throws(
    () => new System({ profile: { ...profile("all"), iommu: { mode: "passthrough" } } }),
    (e: unknown) => e instanceof ProfileError && e.path === "devices[0].untrusted",
  );
});
