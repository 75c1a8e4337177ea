// Storage data path, the NVMe commands it builds, inspected in flight
// (inflightCommands after submit, before waiting) against the NVMe
// specification (domain.md §4) and against the buffer they describe: PRP1/PRP2,
// PRP lists and their chaining and pools, SGL descriptors, slba/blocks, how
// split commands cover the request; and the IOMMU around them (§5).
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  getSqe,
  inflightCommands,
  type NvmeCommand,
  prepRead,
  prepReadFixed,
  prepWrite,
  prepWriteFixed,
  prepWritev,
  reapCqes,
  registerBuffers,
  type SglDescriptor,
  submit,
  submitAndWait,
  unregisterBuffers,
} from "../mod.ts";
import { w } from "../src/internal.ts";
import {
  iovecArray,
  KiB,
  lbaSystem,
  type Machine as BaseMachine,
  mapBuffer,
  MiB,
  type Mode,
  MODES,
  openDrive,
} from "./helpers.ts";

const PAGE = 4096;
const NVME_READ = 0x02;
const NVME_WRITE = 0x01;
/** The drive's IOMMU domain: the machine's first (and only) controller's. */
const DOM = 0;
const PTE_ADDR_MASK = 0x000f_ffff_ffff_f000n;

interface Machine extends BaseMachine {
  lba: number;
  mode: Mode;
}

function machine(mode: Mode, lba: 512 | 4096 = 512, nvme: Record<string, unknown> = {}): Machine {
  return { ...openDrive(lbaSystem(mode, lba, nvme), 64, 0), lba, mode };
}

/**
 * Submit one request and inspect its commands as the controller sees them:
 * `during` runs while they are in flight (the IOMMU mappings and PRP lists
 * exist only then); then wait for the single CQE.
 */
function inspect(
  m: Machine,
  prep: () => void,
  expectRes: number,
  during: (cmds: NvmeCommand[]) => void = () => {},
): NvmeCommand[] {
  prep();
  assert.equal(submit(m.ring), 1);
  const cmds = inflightCommands(m.sys);
  assert.ok(cmds.length > 0, "commands in flight after submit");
  during(cmds);
  assert.equal(submitAndWait(m.ring, 1), 0);
  const cqes = reapCqes(m.ring);
  assert.equal(cqes.length, 1, "one CQE");
  assert.equal(cqes[0].res, expectRes);
  assert.equal(inflightCommands(m.sys).length, 0);
  return cmds;
}

type During = (cmds: NvmeCommand[], dma: Chunk[]) => void;

/**
 * A request issuer: read (`write` false) or write `len` bytes at `dev` via
 * `va`, checking the commands in flight (then `during`).
 */
function ioCmds(write: boolean) {
  const prep = write ? prepWrite : prepRead;
  return (m: Machine, va: number, len: number, dev: number, during: During = () => {}): NvmeCommand[] =>
    inspect(m, () => prep(getSqe(m.ring)!, m.fd, va, len, dev), len, (cmds) => {
      during(cmds, checkCommands(m, cmds, va, len, dev, write));
    });
}

/** Read `len` bytes at `dev` into `va`, checking the commands in flight (then `during`). */
const readCmds = ioCmds(false);
/** Write `len` bytes at `dev` from `va`, checking the commands in flight (then `during`). */
const writeCmds = ioCmds(true);

/** The physical address behind a user address (must be mapped). */
function pa(m: Machine, va: number): bigint {
  const p = m.sys.userPhysAddr(va);
  assert.ok(p > 0, `unmapped ${va}`);
  return BigInt(p);
}

/** The physical address the device reaches at DMA address `dma` (checked against the IOMMU). */
function translate(m: Machine, dma: bigint, deviceWrites: boolean): bigint {
  if (m.mode === "passthrough") return dma;
  const pte = w.iommu_pte(DOM, dma);
  const perm = deviceWrites ? 2n : 1n; // PTE_WRITE for reads into memory, PTE_READ for writes from it
  assert.ok(
    (pte & perm) !== 0n,
    `IOVA ${dma.toString(16)} not mapped for the transfer (pte ${pte.toString(16)})`,
  );
  return (pte & PTE_ADDR_MASK) | (dma & 0xfffn);
}

type Chunk = [bigint, number];

/** Split chunks at 4 KiB page boundaries, then merge physically adjacent pieces. */
function normalise(chunks: readonly Chunk[]): Chunk[] {
  const out: Chunk[] = [];
  for (const [a, l] of chunks) {
    let addr = a;
    let left = l;
    while (left > 0) {
      const n = Math.min(left, PAGE - Number(addr & 0xfffn));
      const last = out[out.length - 1];
      if (last && last[0] + BigInt(last[1]) === addr) last[1] += n;
      else out.push([addr, n]);
      addr += BigInt(n);
      left -= n;
    }
  }
  return out;
}

/** Physical chunks of the user range [va, va + len). */
function userChunks(m: Machine, va: number, len: number): Chunk[] {
  const out: Chunk[] = [];
  for (let off = 0; off < len;) {
    const n = Math.min(len - off, PAGE - ((va + off) % PAGE));
    out.push([pa(m, va + off), n]);
    off += n;
  }
  return normalise(out);
}

/**
 * Walk a command's PRP data pointer as a controller does, checking every
 * domain.md §4 rule on the way. Returns the DMA chunks.
 */
function walkPrp(c: NvmeCommand, lba: number): Chunk[] {
  assert.equal(c.psdt, 0, "PRP");
  const bytes = c.blocks * lba;
  const off = Number(c.prp1 & 0xfffn);
  assert.equal(off % 4, 0, "PRP1 offset dword aligned");
  const first = Math.min(bytes, PAGE - off);
  const chunks: Chunk[] = [[c.prp1, first]];
  let left = bytes - first;
  if (left === 0) {
    assert.equal(c.prp2, 0n, "PRP2 is 0 when the transfer stays in one page");
    assert.equal(c.prpLists.length, 0);
    return chunks;
  }
  if (left <= PAGE) {
    assert.equal(c.prp2 & 0xfffn, 0n, "PRP2 (second page) page aligned");
    assert.equal(c.prpLists.length, 0, "no list for two pages");
    chunks.push([c.prp2, left]);
    return chunks;
  }
  const needed = Math.ceil(left / PAGE);
  assert.equal(c.prp2, w.nvme_cmd_list_dma(w.nvme_cmd_iod(c.cid), 0), "PRP2 points at the first list");
  assert.equal(c.prpLists.length, needed <= 512 ? 1 : 1 + Math.ceil((needed - 512) / 511), "list pages");
  assert.equal(c.prpLists[0].length, needed <= 32 ? 32 : 512, "≤ 32 entries: 256-byte pool, else 4 KiB");
  let li = 0;
  let k = 0;
  while (left > 0) {
    const list = c.prpLists[li];
    if (k === 511 && list.length === 512 && left > PAGE) {
      assert.equal(
        list[511],
        w.nvme_cmd_list_dma(w.nvme_cmd_iod(c.cid), li + 1),
        "the last entry of a full list points at the next list",
      );
      li++;
      k = 0;
      continue;
    }
    const e = list[k++];
    assert.equal(e & 0xfffn, 0n, `list entry ${li}:${k - 1} page aligned`);
    const n = Math.min(left, PAGE);
    chunks.push([e, n]);
    left -= n;
  }
  assert.equal(li, c.prpLists.length - 1, "every list page used");
  return chunks;
}

/** Walk a command's SGL: SGL1 a data block, or (last) segment descriptors to arrays of data blocks. */
function walkSgl(c: NvmeCommand, lba: number): Chunk[] {
  assert.notEqual(c.psdt, 0, "SGL");
  const bytes = c.blocks * lba;
  const d = c.sgl1!;
  assert.equal(d.subtype, 0, "address subtype");
  if (d.type === 0) {
    assert.equal(d.length, bytes, "one data block covers the transfer");
    assert.equal(c.sglArrays.length, 0);
    return [[d.addr, d.length]];
  }
  const chunks: Chunk[] = [];
  let seg: SglDescriptor = d;
  for (let ai = 0;; ai++) {
    assert.ok(seg.type === 2 || seg.type === 3, `segment descriptor type ${seg.type}`);
    assert.equal(seg.addr, w.nvme_cmd_list_dma(w.nvme_cmd_iod(c.cid), ai), "points at the next array");
    const n = seg.length / 16;
    assert.ok(Number.isInteger(n) && n >= 1);
    const arr = c.sglArrays[ai];
    let next: SglDescriptor | null = null;
    for (let i = 0; i < n; i++) {
      const e = arr[i];
      if (e.type === 2 || e.type === 3) {
        assert.equal(seg.type, 2, "only a segment (not a last segment) chains");
        assert.equal(i, n - 1, "a chaining descriptor is the array's last");
        next = e;
      } else {
        assert.equal(e.type, 0, "data block");
        assert.equal(e.subtype, 0);
        chunks.push([e.addr, e.length]);
      }
    }
    if (!next) {
      assert.equal(seg.type, 3, "the final array is a last segment");
      assert.equal(ai, c.sglArrays.length - 1);
      break;
    }
    seg = next;
  }
  assert.equal(chunks.reduce((a, [, l]) => a + l, 0), bytes, "data blocks add up to the transfer");
  return chunks;
}

/** Check the commands of one request against the buffer [va, va + len) and device offset `dev`. */
function checkCommands(
  m: Machine,
  cmds: NvmeCommand[],
  va: number,
  len: number,
  dev: number,
  write: boolean,
): Chunk[] {
  const sorted = [...cmds].sort((a, b) => Number(a.slba - b.slba));
  let pos = BigInt(dev / m.lba);
  const dmaChunks: Chunk[] = [];
  const used: Chunk[] = [];
  for (const c of sorted) {
    assert.equal(c.opcode, write ? NVME_WRITE : NVME_READ);
    assert.equal(c.nsid, 1);
    assert.equal(c.slba, pos, "commands cover the range with no gap or overlap");
    pos += BigInt(c.blocks);
    const chunks = c.psdt === 0 ? walkPrp(c, m.lba) : walkSgl(c, m.lba);
    used.push(...chunks);
    for (const [a, l] of chunks) {
      // Translate page by page (the IOVA range is contiguous, the pages are not).
      for (let off = 0; off < l;) {
        const n = Math.min(l - off, PAGE - Number((a + BigInt(off)) & 0xfffn));
        dmaChunks.push([translate(m, a + BigInt(off), !write), n]);
        off += n;
      }
    }
  }
  assert.equal(pos, BigInt((dev + len) / m.lba), "the commands end where the request ends");
  assert.deepEqual(
    normalise(dmaChunks),
    userChunks(m, va, len),
    "data pointers reach exactly the buffer's bytes",
  );
  return used;
}

// ---------------------------------------------------------------------------

/** PRP-only machines for the PRP layout tests: SGL off, so the PRP rules are what is seen. */
const PRP_ONLY = { sgl_supported: false };

for (const mode of MODES) {
  Deno.test(`inflightCommands: a one-page read has PRP1 with the in-page offset and PRP2 0 (${mode})`, () => {
    const m = machine(mode);
    const va = mapBuffer(m.sys, 2 * PAGE);
    readCmds(m, va + 0x104, 1024, 4096 * 9 + 512, (cmds) => {
      assert.equal(cmds.length, 1);
      const [c] = cmds;
      assert.equal(c.opcode, NVME_READ);
      assert.equal(c.slba, 73n);
      assert.equal(c.blocks, 2);
      assert.equal(c.psdt, 0);
      assert.equal(c.prp1 & 0xfffn, 0x104n, "PRP1 carries the offset");
      assert.equal(c.prp2, 0n);
      assert.equal(translate(m, c.prp1, true), pa(m, va + 0x104));
      if (mode === "passthrough") {
        assert.equal(c.prp1, pa(m, va + 0x104), "passthrough: the physical address");
      }
    });
  });

  Deno.test(`inflightCommands: a transfer over exactly two pages has PRP2 = the second page (${mode})`, () => {
    const m = machine(mode);
    const va = mapBuffer(m.sys, 3 * PAGE);
    for (const [off, len] of [[0x200, 4096], [0, 8192], [4092, 512]]) {
      writeCmds(m, va + off, len, 1 * MiB, (cmds) => {
        assert.equal(cmds.length, 1);
        const [c] = cmds;
        assert.equal(c.opcode, NVME_WRITE);
        assert.equal(c.slba, 2048n);
        assert.equal(c.blocks, len / 512);
        assert.equal(c.psdt, 0);
        assert.equal(c.prp1 & 0xfffn, BigInt(off));
        assert.notEqual(c.prp2, 0n);
        assert.equal(c.prp2 & 0xfffn, 0n);
        assert.equal(c.prpLists.length, 0);
        assert.equal(translate(m, c.prp2, false), pa(m, va + PAGE), "PRP2 reaches the buffer's second page");
        if (mode === "passthrough") assert.equal(c.prp2, pa(m, va + PAGE));
      });
    }
  });

  Deno.test(`inflightCommands: beyond two pages PRP2 points at a list, ≤ 32 entries from the 256-byte pool (${mode})`, () => {
    const m = machine(mode, 512, { ...PRP_ONLY, mdts: 0, max_sectors_kb: 8192 });
    const va = mapBuffer(m.sys, 40 * PAGE);
    // [buffer offset, length, list entries]; 33 pages fit one command only
    // where nvme-pci allows more than 128 KiB (passthrough).
    const cases = [[0, 3 * PAGE, 2], [4, 32 * PAGE, 32]];
    if (mode === "passthrough") cases.push([0, 33 * PAGE, 32], [4, 33 * PAGE, 33]);
    for (const [off, len, entries] of cases) {
      readCmds(m, va + off, len, 2 * MiB, (cmds) => {
        assert.equal(cmds.length, 1);
        const [c] = cmds;
        assert.equal(c.prpLists.length, 1);
        assert.equal(c.prpLists[0].length, entries <= 32 ? 32 : 512, `${entries} entries: pool`);
        assert.equal(c.prp2, w.nvme_cmd_list_dma(w.nvme_cmd_iod(c.cid), 0));
        const used = c.prpLists[0].slice(0, entries);
        used.forEach((e, i) => assert.equal(translate(m, e, true), pa(m, va + (i + 1) * PAGE), `entry ${i}`));
        if (mode === "passthrough") assert.deepEqual(used, used.map((_, i) => pa(m, va + (i + 1) * PAGE)));
      });
    }
  });

  Deno.test(`inflightCommands: nvme-pci's queue limits cap a profile's max_sectors_kb and max_segments (${mode})`, () => {
    // nvme_pci_alloc_dev: max_hw_sectors = min(NVME_MAX_BYTES, dma_opt_mapping_size),
    // 128 KiB behind a translating IOMMU (iova_rcache_range); nvme_set_ctrl_limits:
    // max_segments = min(max_hw_sectors / 8 + 1, NVME_MAX_SEGS = 256).
    const m = machine(mode, 512, { ...PRP_ONLY, mdts: 0, max_sectors_kb: 8192, max_segments: 4096 });
    const hwKiB = mode === "passthrough" ? 8192 : 128;
    const segs = mode === "passthrough" ? 256 : 33;
    assert.deepEqual(m.sys.queueLimits(), {
      max_hw_sectors_kb: hwKiB,
      max_sectors_kb: hwKiB,
      max_segments: segs,
      dma_alignment: 4,
    });
    // A contiguous 8 MiB read: commands of max_hw_sectors_kb each.
    const big = mapBuffer(m.sys, 8 * MiB, true);
    readCmds(m, big, 8 * MiB, 0, (cmds) => {
      assert.equal(cmds.length, 8192 / hwKiB);
      assert.ok(cmds.every((c) => c.blocks * 512 === hwKiB * KiB));
    });
    // 8 MiB of scattered pages (2,048 physical segments): never more than
    // max_segments per command, so nvme-pci can describe each (no -EIO).
    const scattered = mapBuffer(m.sys, 8 * MiB);
    readCmds(m, scattered, 8 * MiB, 0, (cmds) => {
      assert.equal(cmds.length, mode === "passthrough" ? 8 : 64);
      assert.ok(cmds.every((c) => c.blocks * 512 <= Math.min(hwKiB * KiB, segs * PAGE)));
    });
    // Smaller profile values stay (max_sectors_kb acts as max_user_sectors).
    const small = machine(mode, 512, { mdts: 0, max_sectors_kb: 64, max_segments: 8 });
    assert.deepEqual(small.sys.queueLimits(), {
      max_hw_sectors_kb: hwKiB,
      max_sectors_kb: 64,
      max_segments: 8,
      dma_alignment: 4,
    });
  });

  Deno.test(`inflightCommands: one physically contiguous segment over two pages is a single SGL data block (${mode})`, () => {
    const m = machine(mode);
    const va = mapBuffer(m.sys, 64 * KiB + PAGE, true);
    readCmds(m, va + 0x40, 64 * KiB, 0, (cmds) => {
      assert.equal(cmds.length, 1);
      const [c] = cmds;
      assert.equal(c.psdt, 1, "PSDT 01b");
      assert.equal(c.sgl1!.type, 0);
      assert.equal(c.sgl1!.length, 64 * KiB);
      assert.equal(c.sgl1!.addr & 0xfffn, 0x40n);
      if (mode === "passthrough") assert.equal(c.sgl1!.addr, pa(m, va + 0x40));
    });
    // Within two pages it is PRP whatever the threshold.
    readCmds(m, va + 0x40, 8 * KiB - 512, 0, ([c]) => assert.equal(c.psdt, 0));
  });

  Deno.test(`inflightCommands: sgl_threshold 0 disables SGL: a contiguous buffer gets a PRP list (${mode})`, () => {
    const m = machine(mode, 512, { sgl_threshold: 0 });
    const va = mapBuffer(m.sys, 64 * KiB, true);
    writeCmds(m, va, 64 * KiB, 4 * MiB, ([c]) => {
      assert.equal(c.psdt, 0);
      assert.equal(c.prpLists.length, 1);
    });
  });

  Deno.test(`inflightCommands: scattered pages averaging under sgl_threshold per DMA segment use PRP (${mode})`, () => {
    // nvme_map_data: the single-segment fast path is taken on *physical*
    // segments; otherwise nvme_pci_use_sgls compares the average DMA segment
    // (after IOMMU merging) with sgl_threshold (32 KiB).
    const m = machine(mode);
    const va = mapBuffer(m.sys, 16 * PAGE);
    readCmds(m, va, 3 * PAGE, 0, ([c]) => assert.equal(c.psdt, 0, "12 KiB in 3 physical pages: PRP"));
    readCmds(m, va + 4, 7 * PAGE, 0, ([c]) => assert.equal(c.psdt, 0, "28 KiB in 8 physical pages: PRP"));
    // 64 KiB: with an IOMMU one 64 KiB DMA segment (SGL), without 16 × 4 KiB (PRP).
    readCmds(m, va, 16 * PAGE, 0, ([c]) => assert.equal(c.psdt, mode === "passthrough" ? 0 : 1));
  });

  for (const lba of [512, 4096] as const) {
    Deno.test(`inflightCommands: split commands cover the request exactly within max_sectors_kb and MDTS (${mode}, ${lba})`, () => {
      let m = machine(mode, lba);
      let va = mapBuffer(m.sys, 1 * MiB + 8 * KiB);
      writeCmds(m, va + 4, 1 * MiB, 7 * MiB, (cmds) => {
        assert.equal(cmds.length, 8, "1 MiB in 128 KiB commands");
        assert.ok(cmds.every((c) => c.blocks * lba === 128 * KiB));
      });
      m = machine(mode, lba, { mdts: 3 }); // 32 KiB
      va = mapBuffer(m.sys, 256 * KiB);
      readCmds(m, va, 200 * KiB, 12 * MiB, (cmds) => {
        assert.equal(cmds.length, 7);
        assert.ok(cmds.every((c) => c.blocks * lba <= 32 * KiB));
      });
    });
  }

  Deno.test(`inflightCommands: READ_FIXED from a registered buffer points at its pinned pages (${mode})`, () => {
    const m = machine(mode);
    const va = mapBuffer(m.sys, 64 * KiB);
    assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: 64 * KiB }]), 0);
    inspect(m, () => prepReadFixed(getSqe(m.ring)!, m.fd, va + 4100, 20 * KiB, 1536, 0), 20 * KiB, (cmds) => {
      assert.equal(cmds.length, 1);
      assert.equal(cmds[0].slba, 3n);
      assert.equal(cmds[0].blocks, 40);
      checkCommands(m, cmds, va + 4100, 20 * KiB, 1536, false);
    });
    assert.equal(unregisterBuffers(m.ring), 0);
  });
}

Deno.test("inflightCommands: PRP lists chain at 512 entries, the last entry pointing at the next list (passthrough)", () => {
  // Only without a translating IOMMU may a command exceed 128 KiB; one
  // physically contiguous segment then takes a PRP entry per page.
  const m = machine("passthrough", 512, { ...PRP_ONLY, mdts: 0, max_sectors_kb: 8192 });
  const va = mapBuffer(m.sys, 1100 * PAGE, true);
  // 1 + 512 pages: one full list, no chain.
  readCmds(m, va, 513 * PAGE, 0, ([c]) => {
    assert.equal(c.prpLists.length, 1);
    assert.equal(c.prpLists[0][511], pa(m, va + 512 * PAGE), "slot 511 is data");
  });
  // 1 + 513 pages: slot 511 chains; the next list starts with the moved entry.
  readCmds(m, va, 514 * PAGE, 0, (cmds) => {
    assert.equal(cmds.length, 1);
    const [c] = cmds;
    assert.equal(c.prpLists.length, 2);
    assert.equal(c.prpLists[0][511], w.nvme_cmd_list_dma(w.nvme_cmd_iod(c.cid), 1));
    assert.equal(c.prpLists[0][511] & 0xfffn, 0n, "list pointer page aligned");
    assert.equal(c.prpLists[1][0], pa(m, va + 512 * PAGE));
    assert.equal(c.prpLists[1][1], pa(m, va + 513 * PAGE));
  });
  // 1 + 1030 pages from offset 8: three lists.
  readCmds(m, va + 8, 1030 * PAGE, 0, ([c]) => assert.equal(c.prpLists.length, 3));
});

Deno.test("inflightCommands: several segments with a low sgl_threshold become a last-segment descriptor to data blocks", () => {
  const m = machine("passthrough", 512, {
    sgl_threshold: 4096,
    mdts: 0,
    max_sectors_kb: 8192,
    max_segments: 4096,
  });
  // 16 scattered pages: 16 data blocks from the 256-byte pool.
  let va = mapBuffer(m.sys, 16 * PAGE);
  readCmds(m, va, 16 * PAGE, 0, ([c]) => {
    assert.equal(c.psdt, 1);
    assert.equal(c.sgl1!.type, 3);
    assert.equal(c.sgl1!.length, 16 * 16);
    assert.equal(c.sglArrays[0].length, 16, "256-byte pool block");
    c.sglArrays[0].forEach((d, i) =>
      assert.deepEqual(d, { addr: pa(m, va + i * PAGE), length: PAGE, type: 0, subtype: 0 })
    );
  });
  // 17: the page pool.
  va = mapBuffer(m.sys, 17 * PAGE);
  readCmds(m, va, 17 * PAGE, 0, ([c]) => assert.equal(c.sglArrays[0].length, 256));
  // 600: never chained (6.18 sends one descriptor page): max_segments (256)
  // splits the request so each command's data blocks fit one array.
  va = mapBuffer(m.sys, 600 * PAGE);
  readCmds(m, va, 600 * PAGE, 0, (cmds) => {
    assert.deepEqual(cmds.map((c) => c.sglArrays.map((a) => a.length)), [[256], [256], [256]]);
    assert.ok(cmds.every((c) => c.sgl1!.type === 3), "each a last-segment descriptor");
    assert.deepEqual(cmds.map((c) => c.blocks * 512 / PAGE), [256, 256, 88]);
  });
  // Two contiguous iovecs written vectored: two data blocks.
  const a = mapBuffer(m.sys, 32 * KiB, true);
  mapBuffer(m.sys, PAGE); // a physical gap so the two do not merge into one segment
  const b = mapBuffer(m.sys, 32 * KiB, true);
  const iov = iovecArray(m.sys, [[a, 32 * KiB], [b, 32 * KiB]]);
  inspect(m, () => prepWritev(getSqe(m.ring)!, m.fd, iov, 2, 0), 64 * KiB, ([c]) => {
    assert.equal(c.sgl1!.type, 3);
    assert.equal(c.sgl1!.length, 32);
    assert.deepEqual(c.sglArrays[0].slice(0, 2), [
      { addr: pa(m, a), length: 32 * KiB, type: 0, subtype: 0 },
      { addr: pa(m, b), length: 32 * KiB, type: 0, subtype: 0 },
    ]);
  });
});

Deno.test("strict: every IOVA a request used is unmapped and invalidated at completion", () => {
  const m = machine("strict", 512, PRP_ONLY);
  const va = mapBuffer(m.sys, 1 * MiB + PAGE);
  // Warm the PRP pools so that no coherent pool mapping lands in the deltas.
  readCmds(m, va + 4, 1 * MiB, 0);
  const before = m.sys.iommuCounters();
  const inUse = w.iommu_iova_in_use(DOM);
  let dma: Chunk[] = [];
  const cmds = readCmds(m, va + 4, 1 * MiB, 0, (_, d) => (dma = d));
  const after = m.sys.iommuCounters();
  assert.equal(after.maps - before.maps, cmds.length, "one map per command");
  assert.equal(after.unmaps - before.unmaps, cmds.length, "one unmap per command");
  assert.equal(after.invalidations - before.invalidations, cmds.length, "strict: each unmap invalidates");
  assert.equal(after.faults, 0);
  assert.deepEqual(m.sys.iommuFaults(), []);
  assert.equal(w.iommu_iova_in_use(DOM), inUse, "IOVA space returned");
  assert.ok(dma.length > 0);
  for (const [a] of dma) assert.equal(w.iommu_pte(DOM, a) & 3n, 0n, "PTE cleared");
});

Deno.test("lazy: unmaps at completion clear the PTEs but defer the invalidation to the flush queue", () => {
  const m = machine("lazy", 512, PRP_ONLY);
  const va = mapBuffer(m.sys, 256 * KiB);
  readCmds(m, va, 256 * KiB, 0);
  const before = m.sys.iommuCounters();
  let dma: Chunk[] = [];
  const cmds = readCmds(m, va, 256 * KiB, 0, (_, d) => (dma = d));
  const after = m.sys.iommuCounters();
  assert.equal(after.unmaps - before.unmaps, cmds.length);
  assert.equal(after.invalidations - before.invalidations, 0);
  for (const [a] of dma) assert.equal(w.iommu_pte(DOM, a) & 3n, 0n);
});

// ---------------------------------------------------------------------------
// Property: every built data pointer obeys §4 and reaches exactly the buffer.

interface Shape {
  mode: Mode;
  lba: 512 | 4096;
  write: boolean;
  fixed: boolean;
  contiguous: boolean;
  off: number;
  blocks: number;
  blockOff: number;
  sglThreshold: number;
  big: boolean;
}

const shape: fc.Arbitrary<Shape> = fc.record({
  mode: fc.constantFrom(...MODES),
  lba: fc.constantFrom(512 as const, 4096 as const),
  write: fc.boolean(),
  fixed: fc.boolean(),
  contiguous: fc.boolean(),
  off: fc.integer({ min: 0, max: 1023 }).map((x) => 4 * x),
  blocks: fc.integer({ min: 1, max: 300 }),
  blockOff: fc.integer({ min: 0, max: 1 << 16 }),
  sglThreshold: fc.constantFrom(0, 4096, 32768),
  big: fc.boolean(),
});

Deno.test("property: every command's PRP/SGL obeys the NVMe rules and covers exactly the buffer's pages", () => {
  let cache: { key: string; m: Machine } | null = null;
  fc.assert(
    fc.property(shape, (s) => {
      const key = `${s.mode}/${s.lba}/${s.sglThreshold}/${s.big}`;
      if (cache?.key !== key) {
        // big: one command may take the whole transfer (chained lists).
        const nvme = s.big
          ? { sgl_threshold: s.sglThreshold, mdts: 0, max_sectors_kb: 8192, max_segments: 4096 }
          : { sgl_threshold: s.sglThreshold };
        cache = { key, m: machine(s.mode, s.lba, nvme) };
      }
      const m = cache.m;
      const blocks = s.lba === 4096 ? Math.ceil(s.blocks / 8) * (s.big ? 8 : 1) : s.blocks * (s.big ? 8 : 1);
      const len = blocks * s.lba;
      const dev = s.blockOff * s.lba;
      const va = mapBuffer(m.sys, s.off + len, s.contiguous) + s.off;
      let dma: Chunk[] = [];
      const record: During = (_, d) => (dma = d);
      if (s.fixed) {
        assert.equal(registerBuffers(m.ring, [{ iovBase: va, iovLen: len }]), 0);
        const prep = s.write ? prepWriteFixed : prepReadFixed;
        inspect(m, () => prep(getSqe(m.ring)!, m.fd, va, len, dev, 0), len, (cmds) => {
          record(cmds, checkCommands(m, cmds, va, len, dev, s.write));
        });
        assert.equal(unregisterBuffers(m.ring), 0);
      } else if (s.write) writeCmds(m, va, len, dev, record);
      else readCmds(m, va, len, dev, record);
      if (m.mode === "strict") {
        for (const [a] of dma) {
          assert.equal(w.iommu_pte(DOM, a) & 3n, 0n, "strict: unmapped after completion");
        }
        const k = m.sys.iommuCounters();
        assert.equal(k.invalidations, k.unmaps, "strict: one invalidation per unmap");
        assert.equal(k.faults, 0);
      }
    }),
    { seed: 42, numRuns: 150 },
  );
});
