// The exporters' objects in the control path (src/kernel/dmabuf.ts): a
// memfd's size and seals and a dma-buf's size are TypeScript metadata reached
// through an open descriptor; the page lists and reference counts stay in
// Wasm. These tests check that the two halves keep agreeing.
import assert from "node:assert/strict";
import {
  EBADF,
  EINVAL,
  ENOMEM,
  EPERM,
  F_SEAL_GROW,
  F_SEAL_SHRINK,
  MFD_ALLOW_SEALING,
  System,
} from "../mod.ts";
import { MiB } from "./helpers.ts";

Deno.test("memfdCreate after a memfd was released gives fresh metadata: no seals or size carried over", () => {
  const sys = new System();
  const a = sys.memfdCreate(MFD_ALLOW_SEALING);
  assert.equal(sys.ftruncate(a, 64 << 10), 0);
  assert.equal(sys.fcntlAddSeals(a, F_SEAL_SHRINK | F_SEAL_GROW), 0);
  const db = sys.udmabufCreate(a, 0, 64 << 10);
  assert.ok(db >= 3);
  assert.equal(sys.close(a), 0);
  assert.equal(sys.close(db), 0); // the udmabuf's reference was the memfd's last: its index is free again
  const b = sys.memfdCreate(MFD_ALLOW_SEALING);
  // A fresh memfd: size 0 (a write past it copies nothing) and no seals (it grows, then shrinks).
  assert.equal(sys.memfdWrite(b, 0, new Uint8Array(16)), 0);
  assert.equal(sys.ftruncate(b, 8192), 0);
  assert.equal(sys.ftruncate(b, 4096), 0);
  // Without MFD_ALLOW_SEALING the new memfd is sealed against seals (F_SEAL_SEAL).
  const c = sys.memfdCreate(0);
  assert.equal(sys.fcntlAddSeals(c, F_SEAL_SHRINK), -EPERM);
});

Deno.test("ftruncate that runs out of RAM keeps the memfd's size: the control path records only what Wasm did", () => {
  // 16 MiB of simulated RAM.
  const sys = new System({ profile: { base: "optane-p5800x", memory: { host_mib: 16 } } });
  const m = sys.memfdCreate(MFD_ALLOW_SEALING);
  assert.equal(sys.ftruncate(m, 8192), 0);
  assert.equal(sys.ftruncate(m, 64 * MiB), -ENOMEM);
  // Still 8 KiB: a write of 16 KiB copies 8 KiB, and a udmabuf of 16 KiB over it is past its end.
  assert.equal(sys.memfdWrite(m, 0, new Uint8Array(16384)), 8192);
  assert.equal(sys.fcntlAddSeals(m, F_SEAL_SHRINK), 0);
  assert.equal(sys.udmabufCreate(m, 0, 16384), -EINVAL);
  assert.ok(sys.udmabufCreate(m, 0, 8192) >= 3);
});

Deno.test("a dma-buf's size is its exporter's: udmabuf and VRAM, -EBADF for what is not a dma-buf", () => {
  const sys = new System({
    profile: { base: "optane-p5800x", gpus: [{ name: "gpu0", vram_mib: 64, p2p: "switch" }] },
  });
  const m = sys.memfdCreate(MFD_ALLOW_SEALING);
  assert.equal(sys.ftruncate(m, 3 * 4096), 0);
  assert.equal(sys.fcntlAddSeals(m, F_SEAL_SHRINK), 0);
  const u = sys.udmabufCreateList([{ memfd: m, offset: 0, size: 4096 }, {
    memfd: m,
    offset: 8192,
    size: 4096,
  }]);
  assert.equal(sys.dmabufSize(u), 8192);
  const g = sys.gpuDmabufCreate(0, 2 * MiB);
  assert.equal(sys.dmabufSize(g), 2 * MiB);
  assert.equal(sys.dmabufSize(m), -EBADF);
  // Reads stop at the size the exporter gave.
  assert.equal((sys.dmabufRead(u, 4096, 8192) as Uint8Array).length, 4096);
  assert.equal(sys.dmabufWrite(g, 2 * MiB - 100, new Uint8Array(200)), 100);
});
