// Random dma-buf lifecycles: registrations, replacements, empties and
// unregistration of slots, invalidations and GPU migrations, interleaved
// with reads and writes in flight. Whatever the order, no request is lost or
// completes twice, data read back matches what the media holds, and once the
// I/O drains and the table is gone, every map and token is freed.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  getSqe,
  IO_REGBUF_TYPE_EMPTY,
  IORING_RSRC_UPDATE_EXTENDED,
  prepReadFixed,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  registerBuffersUpdate2,
  sqeSetData64,
  submit,
  System,
  unregisterBuffers,
  waitCqeNr,
} from "../mod.ts";
import { openDrive, patternMismatch, udmabuf, writePattern } from "./helpers.ts";

const step = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("read" as const),
      slot: fc.integer({ min: 0, max: 2 }),
      n: fc.integer({ min: 1, max: 24 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("register" as const),
      slot: fc.integer({ min: 0, max: 2 }),
      buf: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("empty" as const), slot: fc.integer({ min: 0, max: 2 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("invalidate" as const),
      buf: fc.integer({ min: 0, max: 2 }),
      migrate: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("reap" as const), n: fc.integer({ min: 0, max: 16 }) }),
  },
);

Deno.test("random dma-buf lifecycles lose no request and leak no map or token", () => {
  fc.assert(
    fc.property(
      fc.array(step, { minLength: 1, maxLength: 40 }),
      fc.constantFrom("strict", "lazy", "passthrough"),
      (steps, iommu) => {
        const sys = new System({ iommu });
        const m = openDrive(sys, 256);
        const media = 1 << 20;
        writePattern(m, media);
        // Two udmabufs and one GPU buffer, 256 KiB each.
        const bufs = [udmabuf(sys, 256 << 10), udmabuf(sys, 256 << 10), sys.gpuDmabufCreate(0, 256 << 10)];
        assert.ok(bufs[2] > 0);
        assert.equal(registerBuffersSparse(m.ring, 3), 0);
        // Every slot starts registered (buffer i in slot i); the steps then reshuffle them.
        const slotBuf: (number | null)[] = [...bufs];
        bufs.forEach((b, i) => assert.equal(registerBufferDmabuf(m.ring, i, b, m.fd), 1));
        const pending = new Map<bigint, { buf: number | null; off: number; dev: number; len: number }>();
        let next = 1n;
        const settle = (c: { userData: bigint; res: number }) => {
          const want = pending.get(c.userData);
          assert.ok(want, `CQE for unknown or already completed request ${c.userData}`);
          pending.delete(c.userData);
          if (want.buf === null) assert.equal(c.res, -14, "an empty slot is -EFAULT");
          else if (c.res !== -11) {
            assert.equal(c.res, want.len, `read result ${c.res}`);
            const key = `${want.buf}:${want.off}`;
            landed.set(key, [...(landed.get(key) ?? []), want.dev]);
          }
        };
        // For each (dma-buf, offset): the device offsets successfully read there.
        const landed = new Map<string, number[]>();
        for (const s of steps) {
          if (s.kind === "read") {
            for (let i = 0; i < s.n; i++) {
              const sqe = getSqe(m.ring);
              if (!sqe) break;
              const off = (i * 8192) % (200 << 10);
              const dev = ((i * 7) % 64) * 4096;
              prepReadFixed(sqe, m.fd, off, 4096, dev, s.slot);
              sqeSetData64(sqe, next);
              pending.set(next++, { buf: slotBuf[s.slot], off, dev, len: 4096 });
            }
            assert.ok(submit(m.ring) >= 0);
          } else if (s.kind === "register") {
            assert.equal(registerBufferDmabuf(m.ring, s.slot, bufs[s.buf], m.fd), 1);
            slotBuf[s.slot] = bufs[s.buf];
          } else if (s.kind === "empty") {
            const r = registerBuffersUpdate2(m.ring, {
              offset: s.slot,
              flags: IORING_RSRC_UPDATE_EXTENDED,
              data: [{ type: IO_REGBUF_TYPE_EMPTY }],
            });
            assert.equal(r, 1);
            slotBuf[s.slot] = null;
          } else if (s.kind === "invalidate") {
            assert.equal(sys.dmabufMoveNotify(bufs[s.buf], { migrate: s.migrate && s.buf === 2 }), 0);
          } else {
            for (const c of reapCqes(m.ring, s.n)) settle(c);
          }
        }
        for (let guard = 0; guard < 100_000 && pending.size > 0; guard++) {
          const [ret] = waitCqeNr(m.ring, 1);
          const got = reapCqes(m.ring);
          got.forEach(settle);
          if (ret < 0 && got.length === 0) break;
        }
        assert.equal(pending.size, 0, `${pending.size} requests never completed`);
        // Every location a read landed in holds what one of those reads brought (through migrations too):
        // a read through a map of pages the buffer no longer owns would leave it without any of them.
        for (const [key, devs] of landed) {
          const [b, off] = key.split(":").map(Number);
          const got = sys.dmabufRead(b, off, 4096);
          assert.ok(got instanceof Uint8Array);
          assert.ok(devs.some((dev) => patternMismatch(got, dev) === -1), `${key}: none of ${devs} is there`);
        }
        assert.equal(unregisterBuffers(m.ring), 0);
        assert.deepEqual(sys.dmabufLive(), { maps: 0, tokens: 0 });
      },
    ),
    { seed: 3, numRuns: 60 },
  );
});
