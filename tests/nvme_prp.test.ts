// nvme_prp: PRP / SGL construction (nvme-pci) and the controller-side walk.
// Every property checks the bytes the controller would read (the command and
// the list pages in simulated memory) against docs/domain.md §4, then walks
// the data pointer back and compares it with the buffer.

import assert from "node:assert/strict";
import fc from "fast-check";
import { instantiateDebug } from "../src/internal.ts";
import { COST } from "../src/abi.generated.ts";

/** An instance of its own (the debug build: assertions on); these tests drive the nvme-pci layer directly. */
const w = instantiateDebug();

const PAGE = 4096;
const PAGE_N = BigInt(PAGE);
const HOST_BASE = 0x100000n; // physmem HOST_PHYS_BASE
const HOST_BYTES = 1n << 30n;
/** Data buffers live in the upper half of host RAM (list pages come from the bottom). */
const DATA_BASE = HOST_BASE + (HOST_BYTES >> 1n);
const DATA_PAGES = Number((HOST_BYTES >> 1n) / PAGE_N) - 4096;
const MAX_BYTES = 8 << 20; // NVME_MAX_BYTES
const SEGS_MAX = 4096;
const OUT_MAX = 8192;

/** Exported constants arrive as numbers (release) or WebAssembly.Global objects (debug builds). */
function k(x: unknown): number {
  return typeof x === "number" ? x : Number((x as WebAssembly.Global).value);
}
const EINVAL = k(w.EINVAL);
const BLK_STS_RESOURCE = k(w.BLK_STS_RESOURCE);
const IOD_SIZE = k(w.NVME_IOD_SIZE);
const POOL_SMALL = k(w.NVME_POOL_SMALL);
const POOL_LARGE = k(w.NVME_POOL_LARGE);
const SC_INVALID_FIELD = k(w.NVME_SC_INVALID_FIELD);
const SC_DATA_XFER_ERROR = k(w.NVME_SC_DATA_XFER_ERROR);
const SC_INTERNAL = k(w.NVME_SC_INTERNAL);
const SC_SGL_INVALID_LAST = k(w.NVME_SC_SGL_INVALID_LAST);
const SC_SGL_INVALID_DATA = k(w.NVME_SC_SGL_INVALID_DATA);
const SC_SGL_INVALID_TYPE = k(w.NVME_SC_SGL_INVALID_TYPE);
const SC_SGL_INVALID_SUBTYPE = k(w.NVME_SC_SGL_INVALID_SUBTYPE);
const SC_PRP_INVALID_OFFSET = k(w.NVME_SC_PRP_INVALID_OFFSET);

/** mem_alloc has an optional parameter: tell the varargs trampoline how many are passed. */
function alloc(bytes: number): number {
  const x = w as unknown as Record<string, unknown>;
  if (typeof x.__setArgumentsLength === "function") (x.__setArgumentsLength as (n: number) => void)(2);
  return w.mem_alloc(bytes, 64, 1);
}

const COST_PRP_ENTRY = COST.prp_entry;
const COST_PRP_LIST_ALLOC = COST.prp_list_alloc;
const COST_SGL_DESC = COST.sgl_desc;

interface Seg {
  dma: bigint;
  len: number;
}

interface Machine {
  dom: number;
  cmd: number;
  iod: number;
  segs: number;
  out: number;
}

/** The IOMMU is another module: run it in passthrough when the build exposes its setup. */
function iommu_passthrough(): number {
  const x = w as unknown as Record<string, unknown>;
  if (typeof x.iommu_init !== "function" || typeof x.iommu_domain_create !== "function") return 0;
  (x.iommu_init as (...a: number[]) => void)(2, 64, 4, 0, 0, 0, 64, 1000000);
  return (x.iommu_domain_create as (dev: number, unit: number) => number)(0, 0);
}

function machine(devs = 2, pool_pages_max = 64): Machine {
  w.mem_reset(64 << 20);
  w.engine_init(4);
  w.phys_init(HOST_BYTES, 0n, 0, 4096);
  w.set_cost(COST_PRP_ENTRY, 10);
  w.set_cost(COST_PRP_LIST_ALLOC, 100);
  w.set_cost(COST_SGL_DESC, 10);
  const dom = iommu_passthrough();
  w.nvme_prp_init(devs, pool_pages_max);
  return {
    dom,
    cmd: alloc(64),
    iod: alloc(IOD_SIZE),
    segs: alloc(16 * SEGS_MAX),
    out: alloc(16 * OUT_MAX),
  };
}

function dv(): DataView {
  return new DataView(w.memory.buffer);
}

function total(segs: Seg[]): number {
  return segs.reduce((a, s) => a + s.len, 0);
}

/** Write the segment list, clear the command, build its data pointer. */
function setup(m: Machine, segs: Seg[], sgl = false, threshold = 0, dev = 0, len = total(segs)): number {
  const d = dv();
  for (let i = 0; i < 64; i++) d.setUint8(m.cmd + i, 0);
  segs.forEach((s, i) => {
    d.setBigUint64(m.segs + 16 * i, s.dma, true);
    d.setUint32(m.segs + 16 * i + 8, s.len, true);
    d.setUint32(m.segs + 16 * i + 12, 0, true);
  });
  return w.nvme_setup_data(dev, m.dom, 0, m.cmd, m.iod, m.segs, segs.length, len, sgl ? 1 : 0, threshold);
}

function cmd_u64(m: Machine, off: number): bigint {
  return dv().getBigUint64(m.cmd + off, true);
}

function psdt(m: Machine): number {
  return dv().getUint8(m.cmd + 1) >> 6;
}

/** Walk the command back; returns physical chunks or the (negative) status. */
function walk(m: Machine, len: number, write = false): Seg[] | number {
  const n = w.nvme_walk_data(m.dom, m.cmd, len, write ? 1 : 0, m.out, OUT_MAX);
  if (n < 0) return n;
  const d = dv();
  const chunks: Seg[] = [];
  for (let i = 0; i < n; i++) {
    chunks.push({ dma: d.getBigUint64(m.out + 16 * i, true), len: d.getUint32(m.out + 16 * i + 8, true) });
  }
  return chunks;
}

/** Merge byte ranges that touch, so two descriptions of one buffer compare equal. */
function merged(segs: Seg[]): Seg[] {
  const r: Seg[] = [];
  for (const s of segs) {
    if (s.len === 0) continue;
    const p = r[r.length - 1];
    if (p && p.dma + BigInt(p.len) === s.dma) p.len += s.len;
    else r.push({ ...s });
  }
  return r;
}

/** The 4 KiB pages the buffer covers, as PRP entries after PRP1 would name them. */
function pages_after_first(segs: Seg[]): bigint[] {
  const pages: bigint[] = [];
  for (const s of segs) {
    for (let p = s.dma & ~(PAGE_N - 1n); p < s.dma + BigInt(s.len); p += PAGE_N) pages.push(p);
  }
  return pages.slice(1);
}

/** Read the PRP list at PRP2 as the spec lays it out; checks chain pointers on the way. */
function read_prp_list(m: Machine, n: number): { entries: bigint[]; list_pages: bigint[] } {
  const entries: bigint[] = [];
  let list = cmd_u64(m, 32);
  const list_pages = [list];
  while (entries.length < n) {
    const e = w.phys_read_u64(list); // identity / passthrough: the list's DMA address is its pa
    if ((list & (PAGE_N - 1n)) === PAGE_N - 8n && n - entries.length > 1) {
      assert.equal(e & (PAGE_N - 1n), 0n, "chain pointer is page aligned");
      list = e;
      list_pages.push(list);
      continue;
    }
    entries.push(e);
    list += 8n;
  }
  return { entries, list_pages };
}

/** Check a PRP command against every §4 rule; returns the list-page count it used. */
function check_prp(m: Machine, segs: Seg[]): void {
  assert.equal(psdt(m), 0, "PSDT 00b: PRPs");
  assert.equal(w.nvme_cmd_uses_sgl(m.iod), 0);
  const prp1 = cmd_u64(m, 24);
  const prp2 = cmd_u64(m, 32);
  assert.equal(prp1, segs[0].dma, "PRP1 is the first byte");
  assert.equal(prp1 & 3n, 0n, "PRP1 offset is dword aligned");
  const after = pages_after_first(segs);
  let lists = 0;
  if (after.length === 0) assert.equal(prp2, 0n, "one page: PRP2 is 0");
  else if (after.length === 1) assert.equal(prp2, after[0], "two pages: PRP2 is the second page");
  else {
    const { entries, list_pages } = read_prp_list(m, after.length);
    assert.deepEqual(entries, after, "the list names every following page in order");
    for (const e of entries) assert.equal(e & (PAGE_N - 1n), 0n, "list entries are page aligned");
    lists = list_pages.length;
    assert.equal(prp2, w.nvme_cmd_list_dma(m.iod, 0));
    for (let i = 1; i < lists; i++) assert.equal(list_pages[i], w.nvme_cmd_list_dma(m.iod, i));
    const small = after.length <= 32;
    assert.equal(w.nvme_cmd_list_pool(m.iod), small ? POOL_SMALL : POOL_LARGE);
    if (small) assert.ok((prp2 & 255n) === 0n, "a small-pool list is a 256-byte block");
    else assert.equal(prp2 & (PAGE_N - 1n), 0n, "a large-pool list is a whole page");
    assert.ok(lists <= 5, "at most 5 list pages");
    // Chain shape: 511 entries + pointer per page, up to 512 in the last.
    assert.equal(lists, after.length <= 512 ? 1 : 1 + Math.ceil((after.length - 512) / 511));
  }
  assert.equal(w.nvme_cmd_prp_list_count(m.iod), lists);
  assert.equal(w.nvme_cmd_entries(m.iod), 2 + (lists > 0 ? after.length + lists - 1 : 0));
}

function check_walk(m: Machine, segs: Seg[], write = false): void {
  const chunks = walk(m, total(segs), write);
  assert.ok(typeof chunks !== "number", `walk failed with status ${chunks}`);
  assert.deepEqual(merged(chunks), merged(segs), "the walk covers exactly the buffer's bytes");
}

function free_and_check_pools(m: Machine, dev = 0): void {
  w.nvme_free_data(dev, m.iod);
  assert.equal(w.nvme_cmd_prp_list_count(m.iod), 0);
  assert.equal(w.nvme_pool_blocks_free(dev, POOL_SMALL), w.nvme_pool_pages(dev, POOL_SMALL) * 16);
  assert.equal(w.nvme_pool_blocks_free(dev, POOL_LARGE), w.nvme_pool_pages(dev, POOL_LARGE));
}

function page_addr(pfn: number): bigint {
  return DATA_BASE + BigInt(pfn) * PAGE_N;
}

/** One segment from `pfn` at `off` for `len` bytes. */
function seg(pfn: number, off: number, len: number): Seg {
  return { dma: page_addr(pfn) + BigInt(off), len };
}

/** A buffer of `n` pages (+ in-page offset), each page its own segment at random places. */
function scattered(offset: number, len: number, stride = 3): Seg[] {
  const segs: Seg[] = [];
  let left = len;
  let pfn = 0;
  let off = offset;
  while (left > 0) {
    const l = Math.min(left, PAGE - off);
    segs.push(seg(pfn, off, l));
    left -= l;
    pfn += stride;
    off = 0;
  }
  return segs;
}

// Random buffers a PRP can express: a dword-aligned start inside a page,
// page-aligned multi-page segments, a dword-multiple last length, ≤ 8 MiB.
const prp_segs = fc
  .record({
    offset: fc.integer({ min: 0, max: 1023 }).map((x) => x * 4),
    parts: fc.array(
      fc.record({
        pfn: fc.integer({ min: 0, max: DATA_PAGES - 4096 }),
        pages: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 2100 })),
      }),
      { minLength: 1, maxLength: 40 },
    ),
    cut: fc.integer({ min: 0, max: 1023 }).map((x) => x * 4),
  })
  .map(({ offset, parts, cut }) => {
    const segs: Seg[] = [];
    let bytes = 0;
    for (let i = 0; i < parts.length && bytes < MAX_BYTES; i++) {
      const off = i === 0 ? offset : 0;
      let len = parts[i].pages * PAGE - off;
      if (i === parts.length - 1) len = Math.max(4, len - cut);
      len = Math.min(len, MAX_BYTES - bytes);
      segs.push(seg(parts[i].pfn, off, len));
      bytes += len;
    }
    // A truncated middle segment becomes the last one: it may end anywhere.
    return segs;
  });

// Random buffers for SGLs: any dword-aligned start and length per segment.
const sgl_segs = fc
  .array(
    fc.record({
      pfn: fc.integer({ min: 0, max: DATA_PAGES - 4096 }),
      off: fc.integer({ min: 0, max: 1023 }).map((x) => x * 4),
      len: fc.oneof(
        fc.integer({ min: 1, max: 1024 }).map((x) => x * 4),
        fc.integer({ min: 1, max: 1 << 18 }).map((x) => x * 4),
      ),
    }),
    { minLength: 1, maxLength: 300 },
  )
  .chain((segs) =>
    fc.oneof(
      fc.constant(segs),
      // Occasionally past one 4 KiB array so the SGL has to chain.
      fc.integer({ min: 257, max: 1200 }).map((n) =>
        Array.from({ length: n }, (_, i) => segs[i % segs.length])
      ),
    )
  )
  .map((segs) => {
    const out: Seg[] = [];
    let bytes = 0;
    for (const s of segs) {
      const len = Math.min(s.len, 1 << 16);
      if (bytes + len > MAX_BYTES) break;
      out.push(seg(s.pfn, s.off, len));
      bytes += len;
    }
    return out;
  });

Deno.test("nvme_setup_data builds PRPs that obey every §4 rule and walk back to the buffer", () => {
  const m = machine();
  fc.assert(
    fc.property(prp_segs, fc.boolean(), (segs, write) => {
      assert.equal(setup(m, segs), 0);
      check_prp(m, segs);
      check_walk(m, segs, write);
      free_and_check_pools(m);
    }),
    { numRuns: 150 },
  );
});

Deno.test("nvme_setup_data builds SGLs with a low threshold that walk back to the buffer", () => {
  const m = machine();
  fc.assert(
    fc.property(sgl_segs, (segs) => {
      assert.equal(setup(m, segs, true, 1), 0);
      const len = total(segs);
      if (segs.length === 1 && Number(segs[0].dma & (PAGE_N - 1n)) + len <= 2 * PAGE) {
        // One segment within two pages always uses PRP.
        check_prp(m, segs);
      } else {
        assert.equal(psdt(m), 1, "PSDT 01b: SGL, contiguous metadata");
        assert.equal(w.nvme_cmd_uses_sgl(m.iod), 1);
        const type = dv().getUint8(m.cmd + 39);
        const sgl_len = dv().getUint32(m.cmd + 32, true);
        const arrays = w.nvme_cmd_prp_list_count(m.iod);
        if (segs.length === 1) {
          assert.equal(type, 0x00, "one segment: a data block in SGL1");
          assert.equal(cmd_u64(m, 24), segs[0].dma);
          assert.equal(sgl_len, len);
          assert.equal(arrays, 0);
        } else if (segs.length <= 256) {
          assert.equal(type, 0x30, "a last-segment descriptor");
          assert.equal(sgl_len, segs.length * 16);
          assert.equal(arrays, 1);
          assert.equal(
            w.nvme_cmd_list_pool(m.iod),
            segs.length <= 16 ? POOL_SMALL : POOL_LARGE,
            "16 descriptors fit the 256-byte pool",
          );
          for (let i = 0; i < segs.length; i++) {
            const pa = w.nvme_cmd_list_pa(m.iod, 0) + BigInt(16 * i);
            assert.equal(w.phys_read_u64(pa), segs[i].dma);
            assert.equal(w.phys_read_u64(pa + 8n), BigInt(segs[i].len), "data block: type 0, length");
          }
        } else {
          assert.equal(type, 0x20, "a segment descriptor when one array is not enough");
          assert.equal(sgl_len, 4096);
          assert.equal(arrays, 1 + Math.ceil((segs.length - 256) / 255));
          assert.equal(w.nvme_cmd_list_pool(m.iod), POOL_LARGE);
        }
      }
      check_walk(m, segs);
      free_and_check_pools(m);
    }),
    { numRuns: 150 },
  );
});

Deno.test("nvme_setup_data chains PRP lists at 512 entries", () => {
  const m = machine();
  // 1 + 512 pages: the list is exactly full, no chain.
  let segs = scattered(0, 513 * PAGE);
  assert.equal(setup(m, segs), 0);
  check_prp(m, segs);
  assert.equal(w.nvme_cmd_prp_list_count(m.iod), 1);
  const l0 = w.nvme_cmd_list_pa(m.iod, 0);
  assert.equal(w.phys_read_u64(l0 + 511n * 8n), segs[512].dma, "slot 511 is data when 512 entries suffice");
  check_walk(m, segs);
  free_and_check_pools(m);
  // 1 + 513 pages: slot 511 points at the next page, which starts with the moved entry.
  segs = scattered(0, 514 * PAGE);
  assert.equal(setup(m, segs), 0);
  check_prp(m, segs);
  assert.equal(w.nvme_cmd_prp_list_count(m.iod), 2);
  const a = w.nvme_cmd_list_pa(m.iod, 0);
  const b = w.nvme_cmd_list_pa(m.iod, 1);
  assert.equal(w.phys_read_u64(a + 511n * 8n), w.nvme_cmd_list_dma(m.iod, 1));
  assert.equal(w.phys_read_u64(b), segs[512].dma);
  assert.equal(w.phys_read_u64(b + 8n), segs[513].dma);
  check_walk(m, segs);
  free_and_check_pools(m);
});

Deno.test("nvme_setup_data takes lists of up to 32 entries from the small pool", () => {
  const m = machine();
  for (const [entries, pool] of [[2, POOL_SMALL], [32, POOL_SMALL], [33, POOL_LARGE]]) {
    const segs = scattered(512, PAGE - 512 + entries * PAGE);
    assert.equal(setup(m, segs), 0);
    check_prp(m, segs);
    assert.equal(w.nvme_cmd_list_pool(m.iod), pool, `${entries} entries`);
    check_walk(m, segs);
    free_and_check_pools(m);
  }
  // Sixteen small lists share one pool page; the pool then grows by one page.
  const held: number[] = [];
  for (let i = 0; i < 17; i++) {
    const iod = alloc(IOD_SIZE);
    held.push(iod);
    assert.equal(setup({ ...m, iod }, scattered(0, 4 * PAGE)), 0);
  }
  assert.equal(w.nvme_pool_pages(0, POOL_SMALL), 2);
  for (const iod of held) w.nvme_free_data(0, iod);
  assert.equal(w.nvme_pool_blocks_free(0, POOL_SMALL), 32);
});

Deno.test("nvme_setup_data stops at 5 list pages per command", () => {
  const m = machine();
  // 8 MiB starting inside a page: 2048 entries after PRP1 need 5 list pages.
  let segs = scattered(4, MAX_BYTES);
  assert.equal(setup(m, segs), 0);
  check_prp(m, segs);
  assert.equal(w.nvme_cmd_prp_list_count(m.iod), 5);
  check_walk(m, segs);
  free_and_check_pools(m);
  // 2556 entries is the most 5 pages hold (4 × 511 + 512); one more is refused.
  segs = [seg(0, 0, (1 + 2556) * PAGE)];
  assert.equal(setup(m, segs), 0);
  assert.equal(w.nvme_cmd_prp_list_count(m.iod), 5);
  check_prp(m, segs);
  free_and_check_pools(m);
  segs = [seg(0, 0, (1 + 2557) * PAGE)];
  assert.equal(setup(m, segs), -EINVAL);
  assert.equal(w.nvme_cmd_prp_list_count(m.iod), 0);
  free_and_check_pools(m);
});

Deno.test("nvme_setup_data returns BLK_STS_RESOURCE when a pool may not grow, and leaks nothing", () => {
  const m = machine(1, 2);
  const big = scattered(0, 1200 * PAGE); // 1199 entries: 3 list pages
  assert.equal(setup(m, big), BLK_STS_RESOURCE);
  assert.equal(w.nvme_cmd_prp_list_count(m.iod), 0);
  free_and_check_pools(m);
  const two = scattered(0, 600 * PAGE); // 2 list pages: the whole pool
  assert.equal(setup(m, two), 0);
  const other = { ...m, iod: alloc(IOD_SIZE) };
  assert.equal(setup(other, scattered(0, 100 * PAGE)), BLK_STS_RESOURCE, "pool empty while in flight");
  w.nvme_free_data(0, m.iod);
  assert.equal(setup(other, scattered(0, 100 * PAGE)), 0, "retry after completion succeeds");
  check_walk(other, scattered(0, 100 * PAGE));
  free_and_check_pools(other);
  // SGL arrays come from the same pools.
  const many = Array.from({ length: 600 }, (_, i) => seg(2 * i, 0, PAGE));
  assert.equal(setup(m, many, true, 1), BLK_STS_RESOURCE, "3 arrays do not fit a 2-page pool");
  free_and_check_pools(m);
});

Deno.test("nvme_setup_data rejects segments a PRP cannot express with -EINVAL", () => {
  const m = machine();
  const cases: Seg[][] = [
    [seg(0, 0, 2048), seg(5, 0, 4096)], // first ends inside its page
    [seg(0, 0, 4096), seg(5, 512, 4096)], // second starts inside its page
    [seg(0, 2, 4096)], // PRP1 not dword aligned
    [seg(0, 0, 4096), seg(5, 0, 100), seg(9, 0, 4096)], // a middle segment ends inside a page
  ];
  for (const segs of cases) {
    assert.equal(
      setup(m, segs),
      -EINVAL,
      JSON.stringify(segs, (_, v) => typeof v === "bigint" ? v.toString(16) : v),
    );
    assert.equal(w.nvme_cmd_prp_list_count(m.iod), 0);
  }
  // The segments must add up to the payload.
  assert.equal(setup(m, [seg(0, 0, 4096)], false, 0, 0, 8192), -EINVAL);
  // The same gaps are fine for SGL, which has no page rules.
  assert.equal(setup(m, cases[0], true, 1), 0);
  check_walk(m, cases[0]);
  free_and_check_pools(m);
});

Deno.test("nvme_pci_use_sgls follows the average segment size and the single-segment rules", () => {
  assert.equal(w.nvme_pci_use_sgls(65536, 2, 1, 32768), 1);
  assert.equal(w.nvme_pci_use_sgls(65535, 2, 1, 32768), 1, "the average rounds up");
  assert.equal(w.nvme_pci_use_sgls(65534, 2, 1, 32768), 0);
  assert.equal(w.nvme_pci_use_sgls(1 << 20, 2, 0, 32768), 0, "controller without SGL");
  assert.equal(w.nvme_pci_use_sgls(1 << 20, 2, 1, 0), 0, "threshold 0 disables SGL");
  const m = machine();
  assert.equal(setup(m, [seg(0, 0, 2 * PAGE)], true, 1), 0);
  assert.equal(psdt(m), 0, "one segment within two pages: PRP");
  assert.equal(setup(m, [seg(0, 8, 2 * PAGE - 8)], true, 1), 0);
  assert.equal(psdt(m), 0);
  assert.equal(setup(m, [seg(0, 8, 2 * PAGE)], true, 1), 0);
  assert.equal(psdt(m), 1, "one segment past two pages: an SGL data block");
  assert.equal(w.nvme_cmd_prp_list_count(m.iod), 0);
  assert.equal(setup(m, [seg(0, 0, 3 * PAGE)], true, 0), 0);
  assert.equal(psdt(m), 0, "threshold 0: PRP");
  free_and_check_pools(m);
  const segs = [seg(0, 0, 4 * PAGE), seg(10, 0, 4 * PAGE)];
  assert.equal(setup(m, segs, true, 32768), 0);
  assert.equal(psdt(m), 0, "16 KiB average below 32 KiB: PRP");
  free_and_check_pools(m);
  assert.equal(setup(m, segs, true, 16384), 0);
  assert.equal(psdt(m), 1);
  free_and_check_pools(m);
});

Deno.test("nvme_walk_data rejects PRP entries with an offset with PRP Offset Invalid", () => {
  const m = machine();
  const bad = -SC_PRP_INVALID_OFFSET;
  // A list entry with an offset.
  let segs = scattered(0, 8 * PAGE);
  assert.equal(setup(m, segs), 0);
  const l0 = w.nvme_cmd_list_pa(m.iod, 0);
  w.phys_write_u64(l0 + 16n, segs[3].dma + 512n);
  assert.equal(walk(m, total(segs)), bad);
  free_and_check_pools(m);
  // PRP2 as the second page with an offset.
  segs = scattered(0, 2 * PAGE);
  assert.equal(setup(m, segs), 0);
  dv().setBigUint64(m.cmd + 32, segs[1].dma + 64n, true);
  assert.equal(walk(m, total(segs)), bad);
  // PRP1 not dword aligned.
  segs = [seg(0, 0, 512)];
  assert.equal(setup(m, segs), 0);
  dv().setBigUint64(m.cmd + 24, segs[0].dma + 2n, true);
  assert.equal(walk(m, 512), bad);
  // A chain pointer with an offset.
  segs = scattered(0, 600 * PAGE);
  assert.equal(setup(m, segs), 0);
  const a = w.nvme_cmd_list_pa(m.iod, 0);
  w.phys_write_u64(a + 511n * 8n, w.nvme_cmd_list_dma(m.iod, 1) + 8n);
  assert.equal(walk(m, total(segs)), bad);
  free_and_check_pools(m);
});

Deno.test("nvme_walk_data rejects malformed SGLs with their NVMe status", () => {
  const m = machine();
  const segs = Array.from({ length: 8 }, (_, i) => seg(3 * i, 0, PAGE));
  const len = total(segs);
  const fresh = () => {
    w.nvme_free_data(0, m.iod);
    assert.equal(setup(m, segs, true, 1), 0);
    return w.nvme_cmd_list_pa(m.iod, 0);
  };
  let arr = fresh();
  assert.deepEqual(walk(m, len), merged(segs));
  // A bit bucket inside the array.
  w.phys_write_u64(arr + 3n * 16n + 8n, (0x1n << 60n) | PAGE_N);
  assert.equal(walk(m, len), -SC_SGL_INVALID_TYPE);
  // A reserved type in SGL1.
  arr = fresh();
  dv().setUint8(m.cmd + 39, 0x50);
  assert.equal(walk(m, len), -SC_SGL_INVALID_TYPE);
  // A data block with the offset subtype (fabrics only).
  arr = fresh();
  w.phys_write_u64(arr + 8n, (0x01n << 56n) | PAGE_N);
  assert.equal(walk(m, len), -SC_SGL_INVALID_SUBTYPE);
  // A segment descriptor inside the last segment.
  arr = fresh();
  w.phys_write_u64(arr + 7n * 16n + 8n, (0x2n << 60n) | 16n);
  assert.equal(walk(m, len), -SC_SGL_INVALID_LAST);
  // A last-segment length that is not a multiple of 16.
  arr = fresh();
  dv().setUint32(m.cmd + 32, 8 * 16 + 8, true);
  assert.equal(walk(m, len), -SC_SGL_INVALID_LAST);
  // Descriptors that do not add up to the transfer.
  arr = fresh();
  assert.equal(walk(m, len + 512), -SC_SGL_INVALID_DATA);
  assert.equal(walk(m, len - 512), -SC_SGL_INVALID_DATA);
  // PSDT 11b is reserved.
  dv().setUint8(m.cmd + 1, 0xc0);
  assert.equal(walk(m, len), -SC_INVALID_FIELD);
  free_and_check_pools(m);
});

Deno.test("nvme_walk_data reports a data transfer error for an address no memory answers", () => {
  const m = machine();
  const segs = [{ dma: 0x10n * (1n << 40n), len: 3 * PAGE }];
  assert.equal(setup(m, segs), 0);
  assert.equal(walk(m, 3 * PAGE), -SC_DATA_XFER_ERROR);
  free_and_check_pools(m);
  // Too small an output array is the controller's internal error, never an overrun.
  const many = scattered(0, 40 * PAGE);
  assert.equal(setup(m, many), 0);
  assert.equal(w.nvme_walk_data(m.dom, m.cmd, 40 * PAGE, 0, m.out, 4), -SC_INTERNAL);
  free_and_check_pools(m);
});

Deno.test("nvme_prp_init resets the pools of every device", () => {
  const m = machine(2, 8);
  assert.equal(setup(m, scattered(0, 100 * PAGE), false, 0, 1), 0);
  assert.equal(w.nvme_pool_pages(1, POOL_LARGE), 1);
  assert.equal(w.nvme_pool_pages(0, POOL_LARGE), 0, "pools are per device");
  w.nvme_prp_init(2, 8);
  assert.equal(w.nvme_pool_pages(1, POOL_LARGE), 0);
  assert.equal(w.nvme_pool_blocks_free(1, POOL_LARGE), 0);
});
