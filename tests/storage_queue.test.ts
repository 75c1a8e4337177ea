// What happens at the NVMe queue's limits and on media errors: a full
// submission queue makes commands wait for a slot (as requests wait for a
// blk-mq tag), and a media error completes the request with -ENODATA.
import assert from "node:assert/strict";
import {
  ENODATA,
  getSqe,
  OPTANE_P5800X,
  prepRead,
  reapCqes,
  sqeSetData64,
  strerror,
  submit,
  System,
  waitCqeNr,
} from "../mod.ts";
import { mapBuffer, MiB, openDrive } from "./helpers.ts";

Deno.test("a full NVMe submission queue makes commands wait for a slot, never fail", () => {
  // 128 reads of 2 MiB split into 16 commands each: 2048 commands for a 1024-entry queue.
  const m = openDrive(new System({ iommu: "passthrough" }), 128);
  const buf = mapBuffer(m.sys, 2 * MiB);
  for (let i = 0; i < 128; i++) {
    const sqe = getSqe(m.ring)!;
    prepRead(sqe, m.fd, buf, 2 * MiB, i * 2 * MiB);
    sqeSetData64(sqe, i);
  }
  assert.equal(submit(m.ring), 128);
  const [ret] = waitCqeNr(m.ring, 128);
  assert.equal(ret, 0);
  const cqes = reapCqes(m.ring);
  assert.equal(cqes.length, 128);
  assert.ok(cqes.every((c) => c.res === 2 * MiB), `results: ${[...new Set(cqes.map((c) => c.res))]}`);
  assert.deepEqual(
    cqes.map((c) => Number(c.userData)).sort((a, b) => a - b),
    Array.from({ length: 128 }, (_, i) => i),
  );
});

Deno.test("a media error completes the request with -ENODATA (BLK_STS_MEDIUM)", () => {
  const drive = { ...OPTANE_P5800X.devices[0], media_error_ppm: 1_000_000 };
  const m = openDrive(new System({ profile: { base: "optane-p5800x", devices: [drive] } }));
  const buf = mapBuffer(m.sys, 4096);
  prepRead(getSqe(m.ring)!, m.fd, buf, 4096, 0);
  submit(m.ring);
  const [ret, cqe] = waitCqeNr(m.ring, 1);
  assert.equal(ret, 0);
  assert.equal(cqe!.res, -ENODATA);
  assert.equal(strerror(cqe!.res), "ENODATA");
});

Deno.test("strerror names errnos given either way round", () => {
  assert.equal(strerror(-14), "EFAULT");
  assert.equal(strerror(11), "EAGAIN");
  assert.equal(strerror(-9999), "E9999");
});
