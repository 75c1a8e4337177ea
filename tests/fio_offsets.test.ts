/**
 * The fio job loop's offsets beyond uniform random (asm/user/wl_job.ts
 * job_offset, the function the loop calls for each I/O): fio's zipf,
 * pareto, normal and zoned random_distribution generators (lib/zipf.c,
 * lib/gauss.c, io_u.c) concentrate accesses as their formulas predict, over
 * hashed (scattered) blocks, deterministically with the seed; rw=randread:N
 * and rw=read:-N (rw_sequencer) step as fio's get_next_offset does.
 */
import assert from "node:assert/strict";
import { structArg, w } from "../src/internal.ts";
import { WL_CONFIG, WL_OFFSETS_CONFIG, WL_THREAD_CONFIG } from "../src/abi.generated.ts";
import { System } from "../src/system.ts";

const BS = 4096;
const DIST = { random: 0, zipf: 1, pareto: 2, normal: 3, zoned: 4 } as const;

/** Set up one random-read thread over `blocks` 4 KiB blocks and its offset options; draw `n` offsets. */
function draw(
  blocks: number,
  n: number,
  o: { dist?: number; param?: number; seqNr?: number; seqAdd?: number; random?: boolean; seed?: number },
  zones?: [number, number][],
): number[] {
  new System();
  const random = o.random ?? true;
  const one = { depth: 1, submitBatch: 1, completeBatch: 1, random };
  w.wl_setup(
    structArg(WL_CONFIG, {
      ...one,
      threads: 1,
      blockBytes: BS,
      opcode: 0,
      fixedFiles: false,
      rangeBlocks: blocks,
      bufKind: 1,
      warmupIos: 0,
      ios: 0,
      runtimeNs: 0,
      sampleNs: 1e9,
      seed: 1,
    }),
    WL_CONFIG.size,
  );
  w.wl_thread_job(
    0,
    structArg(WL_THREAD_CONFIG, {
      ...one,
      readPer10000: 10000,
      offsetBytes: 0,
      rangeBytes: blocks * BS,
      ios: 0,
    }),
    WL_THREAD_CONFIG.size,
  );
  w.wl_thread_bs(0, 0, 0, BS, 10000);
  w.wl_thread_offsets(
    0,
    structArg(WL_OFFSETS_CONFIG, {
      seqAddBytes: o.seqAdd ?? 0,
      seqNr: o.seqNr ?? 1,
      identical: false,
      dist: o.dist ?? 0,
      distParam: o.param ?? 0,
      center: -1,
      nranges: blocks,
      seed: o.seed ?? 1,
    }),
    WL_OFFSETS_CONFIG.size,
  );
  zones?.forEach(([prev, end], v) => w.wl_thread_zone(0, 0, v, prev, end));
  return Array.from({ length: n }, () => w.wl_job_offset_next(0, 0, BS, random ? 1 : 0));
}

/** Share of all hits that the hottest `frac` of the blocks took. */
function hotShare(offsets: number[], blocks: number, frac: number): number {
  const hits = new Array(blocks).fill(0);
  for (const off of offsets) {
    assert(off % BS === 0 && off >= 0 && off < blocks * BS, `offset ${off} aligned and in range`);
    hits[off / BS]++;
  }
  hits.sort((a, b) => b - a);
  const top = hits.slice(0, Math.round(blocks * frac)).reduce((a, b) => a + b, 0);
  return top / offsets.length;
}

Deno.test("job_offset zipf:1.2 gives the hottest 1% of blocks the share zipf's sum predicts, uniform does not", () => {
  const blocks = 1024;
  const n = 200_000;
  // P(rank ≤ k) = H(k, θ) / H(n, θ): the 10 hottest of 1024 blocks.
  const h = (k: number) => Array.from({ length: k }, (_, i) => (i + 1) ** -1.2).reduce((a, b) => a + b, 0);
  const predicted = h(10) / h(blocks);
  const zipf = hotShare(draw(blocks, n, { dist: DIST.zipf, param: 1.2 }), blocks, 0.01);
  const uniform = hotShare(draw(blocks, n, { dist: DIST.random }), blocks, 0.01);
  assert(Math.abs(zipf - predicted) < 0.03, `zipf top 1%: ${zipf} vs ${predicted}`);
  assert(uniform < 0.02, `uniform top 1%: ${uniform}`);
});

Deno.test("job_offset pareto:0.2 gives the hottest 1% of blocks 0.01^(1/pow) of the accesses", () => {
  const blocks = 1024;
  // pareto_next: block = (n - 1) × U^pow with pow = ln h / ln(1 - h); P(block < x·n) = x^(1/pow).
  const pow = Math.log(0.2) / Math.log(0.8);
  const predicted = 0.01 ** (1 / pow);
  const share = hotShare(draw(blocks, 200_000, { dist: DIST.pareto, param: 0.2 }), blocks, 0.01);
  assert(Math.abs(share - predicted) < 0.04, `pareto top 1%: ${share} vs ${predicted}`);
});

Deno.test("job_offset normal concentrates accesses on a band; zoned:50/5:30/15:20/ puts 50% in the first 5%", () => {
  const blocks = 1024;
  // gauss_next averages 12 uniform draws: sd ≈ n / 12, so the central 10% of blocks take ≈ 45%.
  const normal = hotShare(draw(blocks, 200_000, { dist: DIST.normal, param: 0 }), blocks, 0.1);
  assert(normal > 0.38 && normal < 0.52, `normal top 10%: ${normal}`);
  const zones: [number, number][] = [];
  for (let v = 0; v < 100; v++) zones.push(v < 50 ? [0, 5] : v < 80 ? [5, 20] : [20, 100]);
  const offs = draw(blocks, 100_000, { dist: DIST.zoned }, zones);
  const first5 = offs.filter((o) => o < 0.05 * blocks * BS).length / offs.length;
  const next15 = offs.filter((o) => o >= 0.05 * blocks * BS && o < 0.2 * blocks * BS).length / offs.length;
  assert(Math.abs(first5 - 0.5) < 0.01 && Math.abs(next15 - 0.3) < 0.01, `zoned ${first5} ${next15}`);
});

Deno.test("job_offset zipf is scattered over the range and repeats with its seed", () => {
  const a = draw(4096, 5000, { dist: DIST.zipf, param: 1.1, seed: 7 });
  const b = draw(4096, 5000, { dist: DIST.zipf, param: 1.1, seed: 7 });
  const c = draw(4096, 5000, { dist: DIST.zipf, param: 1.1, seed: 8 });
  assert.deepEqual(a, b);
  assert(a.some((x, i) => x !== c[i]), "another seed, other offsets");
  // The hot blocks are hashed (__hash_u64) and offset: not the first blocks of the range.
  const hottest = new Map<number, number>();
  for (const x of a) hottest.set(x, (hottest.get(x) ?? 0) + 1);
  const top = [...hottest.entries()].sort((p, q) => q[1] - p[1]).slice(0, 5).map(([x]) => x / BS);
  assert(top.some((x) => x > 64), `hot blocks spread: ${top}`);
});

Deno.test("job_offset rw=randread:8 draws a new offset every 8 I/Os; rw=read:-8k reads backwards", () => {
  const offs = draw(1 << 18, 64, { seqNr: 8 });
  // fio's countdown starts at N: I/Os 8, 16, … are random, the others follow on from the last.
  for (let i = 1; i < 64; i++) {
    if ((i + 1) % 8 !== 0) assert.deepEqual(offs[i], offs[i - 1] + BS, `I/O ${i} follows on`);
  }
  assert(offs[7] !== offs[6] + BS && offs[15] !== offs[14] + BS, "every 8th is random");
  const back = draw(256, 6, { seqAdd: -8192, random: false });
  // get_next_seq_offset: 0, then wrap to the end less 8k, then 4k lower each time.
  assert.deepEqual(back, [
    0,
    256 * BS - 8192,
    256 * BS - 12288,
    256 * BS - 16384,
    256 * BS - 20480,
    256 * BS - 24576,
  ]);
});
