/**
 * Byte-identity check for speed work (issue 13): run a fixed set of
 * simulations and write each one's result, wall-clock fields dropped, so
 * that two trees can be compared byte for byte.
 *
 *   deno run -A tools/identity.ts write DIR [--ios N]   # run every case, one JSON file per case
 *   deno run -A tools/identity.ts compare DIR_A DIR_B   # name each case that differs; exit 1 if any
 *
 * The cases cover what a speed change may break: the published comparison
 * (every IOMMU mode × buffer kind, 1 and 2 drives), 64 cores × 8 drives,
 * several cores on few drives, interrupt-driven runs, dma-buf in GPU memory,
 * bounce buffers, functional writes, traced 64 KiB reads, a timed run, a run
 * crossing an event-sequence renumbering, and both fixture fio job files.
 *
 * @module
 */
import { headlineJob, runUring, type UringJob } from "../mod.ts";
import { publishedProfile } from "../src/published.ts";
import { scaledProfile } from "../bench/speed.ts";

/** Result fields that measure the host, not the simulation. */
const WALL_FIELDS = new Set(["wallS", "simIosPerWallS", "realTimeRatio"]);

function strip(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (!WALL_FIELDS.has(k)) out[k] = v;
    }
    return out;
  }
  return value;
}

function drives(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `nvme${i}n1`);
}

/** The cases, by name: each a t/io_uring job (`ios` measured I/Os). */
export function identityCases(ios: number): Record<string, UringJob> {
  const cases: Record<string, UringJob> = {};
  for (const iommu of ["strict", "lazy", "passthrough"] as const) {
    for (const buffers of ["fixed", "dmabuf"] as const) {
      for (const n of [1, 2]) {
        cases[`pub-${iommu}-${buffers}-${n}`] = headlineJob({
          profile: publishedProfile(n),
          iommu,
          buffers,
          devices: drives(n),
          ios,
        });
      }
    }
  }
  const big = (
    c: number,
    d: number,
    iommu: "strict" | "lazy" | "passthrough",
    extra: Partial<UringJob> = {},
  ) =>
    headlineJob({
      profile: scaledProfile(c, d),
      iommu,
      buffers: "fixed",
      threads: c,
      devices: drives(d),
      ios,
      ...extra,
    });
  cases["64x8-lazy"] = big(64, 8, "lazy");
  cases["64x8-strict"] = big(64, 8, "strict");
  cases["64x8-pt-dmabuf-write"] = big(64, 8, "passthrough", { buffers: "dmabuf", write: true });
  cases["8x2-strict"] = big(8, 2, "strict");
  cases["4x3-lazy"] = big(4, 3, "lazy");
  cases["16x8-pt"] = big(16, 8, "passthrough");
  cases["1x4-lazy"] = big(1, 4, "lazy", { threads: 1 });
  cases["irq-strict-1x1"] = headlineJob({ iommu: "strict", buffers: "fixed", polled: false, ios });
  cases["irq-lazy-8x4"] = big(8, 4, "lazy", { polled: false });
  cases["irq-2x2-write"] = big(2, 2, "strict", { polled: false, write: true });
  cases["gpu-dmabuf"] = headlineJob({ iommu: "strict", buffers: "dmabuf", dmabufMemory: "gpu", ios });
  cases["bounce"] = headlineJob({ iommu: "lazy", buffers: "bounce", ios: Math.min(ios, 50_000) });
  cases["functional-write"] = headlineJob({
    iommu: "strict",
    buffers: "fixed",
    functional: true,
    write: true,
    bs: 4096,
    ios: Math.min(ios, 20_000),
  });
  cases["trace-64k-dmabuf"] = headlineJob({
    iommu: "strict",
    buffers: "dmabuf",
    bs: 65536,
    trace: true,
    ios: Math.min(ios, 5_000),
  });
  cases["timed-4x2"] = big(4, 2, "lazy", { runtimeNs: 2_000_000, ios: undefined });
  cases["renumber-headline"] = headlineJob({ iommu: "passthrough", buffers: "dmabuf", ios: 1_200_000 });
  return cases;
}

async function fioCase(file: string): Promise<string> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "cli/dmasim.ts", "fio", "--output-format=json", file],
    stdout: "piped",
    stderr: "piped",
    env: { DMASIM_WASM: Deno.env.get("DMASIM_WASM") ?? "release", DMASIM_TEST_BS: "4k" },
  });
  const out = await cmd.output();
  const text = new TextDecoder().decode(out.stdout);
  try {
    const j = JSON.parse(text);
    delete j.time;
    delete j.timestamp;
    delete j.timestamp_ms;
    return JSON.stringify(j, (k, v) => (k === "job_runtime" || k === "elapsed" ? undefined : v), 1);
  } catch {
    return `exit ${out.code}\n${text}\n${new TextDecoder().decode(out.stderr)}`;
  }
}

async function write(dir: string, ios: number, only?: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, job] of Object.entries(identityCases(ios))) {
    if (only && !name.includes(only)) continue;
    const t0 = performance.now();
    const r = runUring(job);
    await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(r, strip, 1));
    console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  for (const f of ["tests/fixtures/cli/randread.fio", "tests/fixtures/cli/numjobs.fio"]) {
    const name = `fio-${f.split("/").pop()}`;
    if (only && !name.includes(only)) continue;
    await Deno.writeTextFile(`${dir}/${name}.json`, await fioCase(f));
    console.log(`${name}: done`);
  }
}

async function compare(a: string, b: string): Promise<number> {
  let differ = 0;
  const names = new Set<string>();
  for (const d of [a, b]) for await (const e of Deno.readDir(d)) names.add(e.name);
  for (const n of [...names].sort()) {
    let x = "", y = "";
    try {
      x = await Deno.readTextFile(`${a}/${n}`);
      y = await Deno.readTextFile(`${b}/${n}`);
    } catch {
      console.log(`${n}: missing on one side`);
      differ++;
      continue;
    }
    if (x !== y) {
      differ++;
      const xl = x.split("\n"), yl = y.split("\n");
      const diffs: string[] = [];
      for (let i = 0; i < Math.max(xl.length, yl.length) && diffs.length < 6; i++) {
        if (xl[i] !== yl[i]) diffs.push(`  ${i + 1}: ${xl[i]?.trim()} -> ${yl[i]?.trim()}`);
      }
      console.log(`${n}: DIFFERS\n${diffs.join("\n")}`);
    }
  }
  console.log(`${names.size - differ} identical, ${differ} differ`);
  return differ;
}

if (import.meta.main) {
  const [cmd, ...rest] = Deno.args;
  if (cmd === "write" && rest[0]) {
    const i = rest.indexOf("--ios");
    const o = rest.indexOf("--only");
    await write(rest[0], i >= 0 ? Number(rest[i + 1]) : 100_000, o >= 0 ? rest[o + 1] : undefined);
  } else if (cmd === "compare" && rest[0] && rest[1]) {
    Deno.exit((await compare(rest[0], rest[1])) ? 1 : 0);
  } else {
    console.error("usage: tools/identity.ts write DIR [--ios N] [--only NAME] | compare DIR_A DIR_B");
    Deno.exit(2);
  }
}
