// Tests of the IOMMU model (asm/iommu/iommu.ts): translation, permissions, strict /
// lazy / passthrough unmap policies, the IOVA allocator's magazines and its
// 32-bit-first placement, invalidation serialisation across cores.
//
// The module is instantiated on its own (the debug build: assertions on),
// not through src/wasm.ts's guarded exports: these tests drive the IOMMU layer
// directly. Exported globals of an instance are live WebAssembly.Global
// objects, though WasmExports types them as the values Deno's native Wasm
// import snapshots: read them with live().

import assert from "node:assert/strict";
import fc from "fast-check";
import { instantiateDebug, type WasmExports } from "../src/internal.ts";
import { COST, COST_COUNT } from "../src/abi.generated.ts";

const W: WasmExports = instantiateDebug();
/** The current value of exported global `g`. */
const live = (g: unknown) => (g as WebAssembly.Global).value;

const STRICT = live(W.IOMMU_STRICT) as number;
const LAZY = live(W.IOMMU_LAZY) as number;
const PASSTHROUGH = live(W.IOMMU_PASSTHROUGH) as number;
const BIDIR = live(W.DMA_BIDIRECTIONAL) as number;
const TO_DEVICE = live(W.DMA_TO_DEVICE) as number;
const FROM_DEVICE = live(W.DMA_FROM_DEVICE) as number;
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const DMA_FAULT = u64(live(W.DMA_FAULT) as bigint);
const MAPPING_ERROR = u64(live(W.DMA_MAPPING_ERROR) as bigint);
const counter = (g: unknown): bigint => live(g) as bigint;

const PAGE = 4096n;
const HOST_BASE = 0x100000n; // HOST_PHYS_BASE
const HOST_BYTES = 1n << 30n;
const BUF_BASE = HOST_BASE + (512n << 20n); // buffers well above the page-table pages
const ARENA_BYTES = 32 << 20;
const WALK_NS = 300;
const WALK_CACHED_NS = 60;
const INVAL_NS = 1000;
const COST_INV_SUBMIT = COST.inv_submit;

// Scratch memory for segment lists: one page grown past everything the
// module uses. Every machine below uses the same arena size, so mem_reset never
// allocates again and the scratch page stays ours.
let scratch = 0;

interface Machine {
  dom: number;
}

function machine(
  mode: number,
  opts: { cores?: number; fq_size?: number; iotlb?: number; ways?: number } = {},
): Machine {
  W.mem_reset(ARENA_BYTES);
  if (scratch == 0) {
    scratch = W.memory.buffer.byteLength;
    W.memory.grow(1);
  }
  W.engine_init(opts.cores ?? 2);
  W.phys_init(HOST_BYTES, 0n, 0, 1024);
  for (let id = 0; id < COST_COUNT; id++) W.set_cost(id, 10);
  W.set_cost(COST_INV_SUBMIT, 100);
  W.iommu_init(
    mode,
    opts.iotlb ?? 64,
    opts.ways ?? 4,
    WALK_NS,
    WALK_CACHED_NS,
    INVAL_NS,
    opts.fq_size ?? 256,
    10_000_000,
  );
  return { dom: W.iommu_domain_create(7, 0) };
}

function core_time(core: number): bigint {
  return new BigUint64Array(W.memory.buffer, live(W.core_time) as number, 64)[core];
}

function set_core_time(core: number, t: bigint): void {
  new BigUint64Array(W.memory.buffer, live(W.core_time) as number, 64)[core] = t;
}

interface Seg {
  pa: bigint;
  len: number;
}

/** Write a segment list (16 bytes each: u64 pa, u32 len, u32 pad) to scratch. */
function put_segs(segs: Seg[]): number {
  const view = new DataView(W.memory.buffer);
  segs.forEach((s, i) => {
    view.setBigUint64(scratch + i * 16, s.pa, true);
    view.setUint32(scratch + i * 16 + 8, s.len, true);
    view.setUint32(scratch + i * 16 + 12, 0, true);
  });
  return scratch;
}

function map(m: Machine, core: number, segs: Seg[], dir: number): bigint {
  return u64(W.iommu_map_sg(m.dom, core, put_segs(segs), segs.length, dir));
}

function translate(m: Machine, dma: bigint, write: boolean): bigint {
  return u64(W.iommu_translate(m.dom, dma, write ? 1 : 0));
}

const total_len = (segs: Seg[]): number => segs.reduce((a, s) => a + s.len, 0);

/** Physical address of byte `b` of the concatenated segments. */
function pa_of(segs: Seg[], b: number): bigint {
  for (const s of segs) {
    if (b < s.len) return s.pa + BigInt(b);
    b -= s.len;
  }
  throw new Error("byte out of range");
}

/** Byte offsets worth checking: every segment's first and last byte, plus a few inside. */
function probe_bytes(segs: Seg[], extra: number[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const s of segs) {
    out.push(at, at + s.len - 1);
    at += s.len;
  }
  for (const x of extra) out.push(x % at);
  return out;
}

/**
 * A random segment list as a block layer builds it: the first segment may
 * start mid-page, inner boundaries are page aligned, pages are scattered.
 */
const seg_list = fc
  .record({
    off: fc.integer({ min: 0, max: 4095 }),
    inner: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 }),
    first_pages: fc.integer({ min: 0, max: 2 }),
    last_len: fc.integer({ min: 1, max: 3 * 4096 }),
    pages: fc.array(fc.integer({ min: 0, max: 60000 }), { minLength: 5, maxLength: 5 }),
  })
  .map(({ off, inner, first_pages, last_len, pages }) => {
    const pa = (i: number) => BUF_BASE + BigInt(pages[i % pages.length]) * PAGE;
    if (inner.length == 0 && last_len % 2 == 0) {
      // A single segment of any length starting anywhere.
      return [{ pa: pa(0) + BigInt(off), len: last_len }];
    }
    const segs: Seg[] = [{ pa: pa(0) + BigInt(off), len: 4096 - off + first_pages * 4096 }];
    inner.forEach((n, i) => segs.push({ pa: pa(i + 1), len: n * 4096 }));
    segs.push({ pa: pa(4), len: last_len });
    return segs;
  });

const dir_arb = fc.constantFrom(BIDIR, TO_DEVICE, FROM_DEVICE);

/** Expect translate to fault and the fault to be recorded for device 7 with `reason`. */
function expect_fault(m: Machine, dma: bigint, write: boolean, reason: number): void {
  const before = counter(W.iommu_faults);
  assert.equal(translate(m, dma, write), DMA_FAULT);
  assert.equal(counter(W.iommu_faults), before + 1n);
  const last = W.iommu_fault_count() - 1;
  assert.equal(u64(W.iommu_fault_addr(last)), dma);
  assert.equal(W.iommu_fault_dev(last), 7);
  assert.equal(W.iommu_fault_reason(last), reason);
}

/** Check every probed byte of a live mapping: address and permissions. */
function check_mapping(m: Machine, dma: bigint, segs: Seg[], dir: number, extra: number[]): void {
  for (const b of probe_bytes(segs, extra)) {
    const at = dma + BigInt(b);
    const want = pa_of(segs, b);
    if (dir != FROM_DEVICE) assert.equal(translate(m, at, false), want);
    else expect_fault(m, at, false, 2);
    if (dir != TO_DEVICE) assert.equal(translate(m, at, true), want);
    else expect_fault(m, at, true, 2);
  }
}

Deno.test("iommu_map_sg translates every mapped byte to its physical address with the direction's permissions", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(seg_list, dir_arb), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
      (maps, extra, order) => {
        const m = machine(STRICT);
        const live = maps.map(([segs, dir]) => {
          const dma = map(m, 0, segs, dir);
          assert.notEqual(dma, MAPPING_ERROR);
          // The first byte keeps its offset within the page.
          assert.equal(dma % PAGE, segs[0].pa % PAGE);
          // The leaf PTE holds the page and the direction's permission bits.
          const perms = dir == TO_DEVICE ? 1n : dir == FROM_DEVICE ? 2n : 3n;
          assert.equal(u64(W.iommu_pte(m.dom, dma)), (segs[0].pa & ~(PAGE - 1n)) | perms);
          return { dma, segs, dir };
        });
        for (const l of live) check_mapping(m, l.dma, l.segs, l.dir, extra);
        // Unmap in a random order; the rest keep translating.
        const todo = live.slice();
        for (let i = 0; todo.length > 0; i++) {
          const [l] = todo.splice(order[i % order.length] % todo.length, 1);
          W.iommu_unmap(m.dom, 0, l.dma, BigInt(total_len(l.segs)), l.dir);
          assert.equal(u64(W.iommu_pte(m.dom, l.dma)), 0n);
          for (const r of todo) check_mapping(m, r.dma, r.segs, r.dir, []);
        }
        assert.equal(W.iommu_iova_in_use(m.dom), 0n);
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("iommu_unmap strict: no access to the unmapped range succeeds and each fault is recorded", () => {
  fc.assert(
    fc.property(seg_list, dir_arb, fc.array(fc.nat(), { maxLength: 3 }), (segs, dir, extra) => {
      const m = machine(STRICT);
      const dma = map(m, 0, segs, dir);
      check_mapping(m, dma, segs, dir, extra); // warms the IOTLB
      const inv = counter(W.iommu_invalidations);
      W.iommu_unmap(m.dom, 0, dma, BigInt(total_len(segs)), dir);
      assert.equal(counter(W.iommu_invalidations), inv + 1n);
      for (const b of probe_bytes(segs, extra)) {
        expect_fault(m, dma + BigInt(b), false, 1);
        expect_fault(m, dma + BigInt(b), true, 1);
      }
      assert.equal(counter(W.iommu_stale_hits), 0n);
    }),
    { numRuns: 40 },
  );
});

Deno.test("iommu_unmap lazy: a translate before the flush hits a stale IOTLB entry, after the timer flush it faults", () => {
  fc.assert(
    fc.property(seg_list, fc.integer({ min: 0, max: 1 }), (segs, core) => {
      const m = machine(LAZY, { fq_size: 4 });
      const dma = map(m, core, segs, BIDIR);
      const len = BigInt(total_len(segs));
      const want = pa_of(segs, 0);
      assert.equal(translate(m, dma, true), want);
      const inv = counter(W.iommu_invalidations);
      W.iommu_unmap(m.dom, core, dma, len, BIDIR);
      assert.equal(counter(W.iommu_invalidations), inv); // nothing invalidated yet
      assert.equal(W.iommu_fq_len(m.dom, core), 1);
      assert.equal(u64(W.iommu_pte(m.dom, dma)), 0n);
      // The exposure window: the device still reaches the page.
      const stale = counter(W.iommu_stale_hits);
      assert.equal(translate(m, dma, true), want);
      assert.equal(counter(W.iommu_stale_hits), stale + 1n);
      assert.ok(W.iommu_iova_in_use(m.dom) > 0n); // the IOVA is not free yet
      W.iommu_fq_timer(core);
      assert.equal(counter(W.iommu_fq_flushes), 1n);
      assert.equal(counter(W.iommu_invalidations), inv + 1n);
      assert.equal(W.iommu_fq_len(m.dom, core), 0);
      assert.equal(W.iommu_iova_in_use(m.dom), 0n);
      expect_fault(m, dma, true, 1);
      expect_fault(m, dma + len - 1n, false, 1);
    }),
    { numRuns: 30 },
  );
});

Deno.test("iommu_unmap lazy: a full flush queue flushes with one invalidation, after which the range faults", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(seg_list, { minLength: 9, maxLength: 9 }),
      (fq, lists) => {
        const m = machine(LAZY, { fq_size: fq });
        // The kernel's ring keeps a slot empty: a queue of fq_size entries holds fq_size - 1 (at least 1).
        const cap = Math.max(1, fq - 1);
        const maps = lists.slice(0, cap + 1).map((segs) => ({ segs, dma: map(m, 0, segs, BIDIR) }));
        for (const { segs, dma } of maps) {
          assert.equal(translate(m, dma, false), pa_of(segs, 0));
          W.iommu_unmap(m.dom, 0, dma, BigInt(total_len(segs)), BIDIR);
        }
        // The (cap + 1)th unmap found the queue full: one flush freed the first cap.
        assert.equal(counter(W.iommu_fq_flushes), 1n);
        assert.equal(counter(W.iommu_invalidations), 1n);
        assert.equal(W.iommu_fq_len(m.dom, 0), 1);
        // The global invalidation came after the last unmap cleared its PTEs, so
        // it dropped that range's IOTLB entries too; only its IOVA stays queued.
        for (const { dma } of maps) expect_fault(m, dma, false, 1);
        assert.equal(counter(W.iommu_stale_hits), 0n);
        assert.ok(W.iommu_iova_in_use(m.dom) > 0n);
      },
    ),
    { numRuns: 30 },
  );
});

Deno.test("iommu_unmap strict: invalidations from 2 cores on one unit serialise", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 5000n }), fc.bigInt({ min: 0n, max: 5000n }), (t0, t1) => {
      const m = machine(STRICT);
      const segs = [{ pa: BUF_BASE, len: 4096 }];
      const a = map(m, 0, segs, TO_DEVICE);
      const b = map(m, 1, segs, TO_DEVICE);
      set_core_time(0, t0);
      set_core_time(1, t1);
      W.iommu_unmap(m.dom, 0, a, 4096n, TO_DEVICE);
      const first_done = W.iommu_unit_free_ns(0);
      assert.ok(core_time(0) >= first_done);
      W.iommu_unmap(m.dom, 1, b, 4096n, TO_DEVICE);
      // Core 1's invalidation starts only once core 0's is done.
      assert.ok(W.iommu_unit_free_ns(0) >= first_done + BigInt(INVAL_NS));
      assert.ok(core_time(1) >= core_time(0) + BigInt(INVAL_NS));
    }),
    { numRuns: 30 },
  );
});

Deno.test("iommu_unmap strict: invalidations on different units overlap", () => {
  const m = machine(STRICT);
  const other = W.iommu_domain_create(8, 1);
  const segs = [{ pa: BUF_BASE, len: 4096 }];
  const a = map(m, 0, segs, BIDIR);
  const b = u64(W.iommu_map_sg(other, 1, put_segs(segs), 1, BIDIR));
  set_core_time(0, 0n);
  set_core_time(1, 0n);
  W.iommu_unmap(m.dom, 0, a, 4096n, BIDIR);
  W.iommu_unmap(other, 1, b, 4096n, BIDIR);
  assert.equal(core_time(0), core_time(1));
  assert.ok(core_time(1) < BigInt(2 * INVAL_NS));
});

Deno.test("alloc_iova_fast hits the per-CPU magazine when an IOVA is reused", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 32 * 4096 }), fc.integer({ min: 1, max: 4 }), (len, rounds) => {
      const m = machine(STRICT);
      const segs = [{ pa: BUF_BASE, len }];
      const first = map(m, 0, segs, BIDIR);
      assert.equal(counter(W.iommu_iova_tree_allocs), 1n);
      for (let i = 0; i < rounds; i++) {
        W.iommu_unmap(m.dom, 0, first, BigInt(len), BIDIR);
        assert.equal(map(m, 0, segs, BIDIR), first);
      }
      assert.equal(counter(W.iommu_iova_cache_hits), BigInt(rounds));
      assert.equal(counter(W.iommu_iova_tree_allocs), 1n);
      // Another CPU's magazine is empty: it goes to the tree.
      map(m, 1, segs, BIDIR);
      assert.equal(counter(W.iommu_iova_tree_allocs), 2n);
    }),
    { numRuns: 30 },
  );
});

Deno.test("alloc_iova_fast bypasses the magazines above 32 pages", () => {
  const m = machine(STRICT);
  const segs = [{ pa: BUF_BASE, len: 33 * 4096 }];
  const dma = map(m, 0, segs, BIDIR);
  W.iommu_unmap(m.dom, 0, dma, 33n * 4096n, BIDIR);
  assert.equal(W.iommu_iova_in_use(m.dom), 0n);
  map(m, 0, segs, BIDIR);
  assert.equal(counter(W.iommu_iova_cache_hits), 0n);
  assert.equal(counter(W.iommu_iova_tree_allocs), 2n);
});

Deno.test("iommu_map_sg hands out 32-bit IOVAs first, top-down and size-aligned", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (sizes) => {
      const m = machine(STRICT);
      let below = 1n << 32n;
      for (const pages of sizes) {
        const dma = map(m, 0, [{ pa: BUF_BASE, len: pages * 4096 }], BIDIR);
        const pfn = dma / PAGE;
        const alloc = pages <= 32 ? 1n << BigInt(Math.ceil(Math.log2(pages))) : BigInt(pages);
        const align = 1n << BigInt(Math.ceil(Math.log2(pages)));
        assert.ok(dma + alloc * PAGE <= below, "below 4 GiB and below the previous one");
        assert.equal(pfn % align, 0n, "size aligned");
        below = dma;
      }
      // The very first one sits right under the 4 GiB boundary.
    }),
    { numRuns: 30 },
  );
  const m = machine(STRICT);
  assert.equal(map(m, 0, [{ pa: BUF_BASE + 8n, len: 3 * 4096 }], BIDIR), (1n << 32n) - 4n * PAGE + 8n);
});

Deno.test("iommu_translate charges a full walk on a miss and a cached walk when the upper levels are cached", () => {
  const m = machine(STRICT);
  const segs = [{ pa: BUF_BASE, len: 8 * 4096 }];
  const dma = map(m, 0, segs, BIDIR);
  (W.iommu_walk_ns_acc as unknown as WebAssembly.Global).value = 0n;
  assert.equal(translate(m, dma, false), BUF_BASE);
  assert.equal(counter(W.iommu_walk_ns_acc), BigInt(WALK_NS));
  assert.equal(translate(m, dma + PAGE, false), BUF_BASE + PAGE);
  assert.equal(counter(W.iommu_walk_ns_acc), BigInt(WALK_NS + WALK_CACHED_NS));
  assert.equal(translate(m, dma, false), BUF_BASE); // IOTLB hit: no walk
  assert.equal(counter(W.iommu_walk_ns_acc), BigInt(WALK_NS + WALK_CACHED_NS));
  assert.equal(counter(W.iommu_iotlb_hits), 1n);
  assert.equal(counter(W.iommu_iotlb_misses), 2n);
  assert.equal(counter(W.iommu_walks), 2n);
});

Deno.test("iommu_map_coherent maps one page read/write without charging a CPU", () => {
  const m = machine(LAZY);
  const pa = BUF_BASE + 5n * PAGE;
  const dma = W.iommu_map_coherent(m.dom, pa);
  assert.notEqual(dma, MAPPING_ERROR);
  assert.equal(translate(m, dma + 100n, true), pa + 100n);
  assert.equal(translate(m, dma + 200n, false), pa + 200n);
  assert.equal(core_time(0), 0n);
  assert.equal(counter(W.iommu_pte_writes), 1n);
});

Deno.test("iommu_map_sg passthrough returns the physical address and takes one segment only", () => {
  const m = machine(PASSTHROUGH);
  assert.equal(W.iommu_mode(), PASSTHROUGH);
  const pa = BUF_BASE + 123n;
  assert.equal(map(m, 0, [{ pa, len: 100 }], TO_DEVICE), pa);
  assert.equal(core_time(0), 10n); // COST_DMA_MAP_DIRECT only
  assert.equal(
    map(m, 0, [{ pa, len: 4096 - 123 }, { pa: BUF_BASE + PAGE, len: 10 }], TO_DEVICE),
    MAPPING_ERROR,
  );
  assert.equal(translate(m, pa, false), pa);
  expect_fault(m, 0x10n, false, 1); // not memory
  W.iommu_unmap(m.dom, 0, pa, 100n, TO_DEVICE);
  assert.equal(core_time(0), 20n); // COST_DMA_UNMAP_DIRECT
  assert.equal(W.iommu_map_coherent(m.dom, pa), pa);
});

Deno.test("iommu_init fully resets state so a re-initialised machine behaves identically", () => {
  const run = () => {
    const m = machine(LAZY, { fq_size: 2 });
    const out: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const segs = [{ pa: BUF_BASE + BigInt(i) * PAGE + 16n, len: 5000 }];
      const dma = map(m, i % 2, segs, FROM_DEVICE);
      out.push(dma, translate(m, dma, true));
      W.iommu_unmap(m.dom, i % 2, dma, 5000n, FROM_DEVICE);
    }
    out.push(core_time(0), core_time(1), counter(W.iommu_fq_flushes), counter(W.iommu_maps));
    out.push(BigInt(W.iommu_fault_count()), W.iommu_iova_in_use(m.dom));
    return out;
  };
  const a = run();
  expect_fault(machine(STRICT), 0x1000n, false, 1);
  assert.deepEqual(run(), a);
});
