/**
 * The asm/ layering check run by `.ci/run`: every AssemblyScript file sits in
 * a folder named after a kernel subsystem, the folders have a declared order
 * (lowest first), and a file may import only files of its own folder or of a
 * folder below it. No file may be part of an import cycle, not even within
 * its folder. What travels up the stack goes through hooks registered at
 * machine set-up or through the event dispatcher (asm/machine/dispatch.ts).
 *
 * Prints the layer graph it found, then one line per violation; exits 1 on
 * any violation, an unknown folder or an import that does not resolve.
 *
 * Usage: deno run --allow-read tools/check_layers.ts [asm-dir]
 *
 * @module
 */

/** The layers of asm/, lowest first; asm/index.ts (the Wasm export surface) is above all of them. */
export const LAYERS = [
  "sim", // engine, events, costs, stats, trace, limits, errors, arena, uapi
  "hw", // physical memory, GPUs and their links
  "iommu", // IOMMU unit, IOVA allocator, dma-iommu map/unmap, flush queues
  "mm", // the simulated process's address space
  "fs", // the file descriptor table
  "dmabuf", // dma-buf core and exporters (memfd, udmabuf, VRAM)
  "nvme", // NVMe controller model, PRP/SGL, nvme-pci host driver, its dma-buf map op
  "block", // bio build, split by queue limits, per-request completion
  "io_uring", // rings, requests, submission, rw, registered resources, dma-buf tokens
  "user", // the t/io_uring program
  "machine", // the event dispatcher and hook registration
  ".", // asm/index.ts: the module's exports and machine set-up
] as const;

/** One import edge: which file imports which, by path relative to asm/. */
export interface Edge {
  from: string;
  to: string;
}

/** What the check found. */
export interface LayerReport {
  files: string[];
  edges: Edge[];
  violations: string[];
}

/** The layer (folder) of a path relative to asm/: "." for files at the top. */
export function layerOf(rel: string): string {
  const i = rel.indexOf("/");
  return i < 0 ? "." : rel.slice(0, i);
}

function normalize(parts: string[]): string {
  const out: string[] = [];
  for (const p of parts) {
    if (p === "." || p === "") continue;
    if (p === "..") out.pop();
    else out.push(p);
  }
  return out.join("/");
}

/** Relative import specifiers of one source text (`import … from "./x"`, `export … from "../y"`). */
export function importsOf(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gms)) out.push(m[1]);
  return out;
}

/** Check a set of files (path relative to asm/ -> source text) against LAYERS. */
export function checkLayers(sources: Map<string, string>): LayerReport {
  const rank = new Map<string, number>(LAYERS.map((l, i) => [l, i]));
  const files = [...sources.keys()].sort();
  const edges: Edge[] = [];
  const violations: string[] = [];
  for (const f of files) {
    if (!rank.has(layerOf(f))) violations.push(`${f}: folder "${layerOf(f)}" is not a declared layer`);
    const dir = f.split("/").slice(0, -1);
    for (const spec of importsOf(sources.get(f)!)) {
      const to = normalize([...dir, ...spec.split("/")]) + ".ts";
      if (!sources.has(to)) {
        violations.push(`${f}: import "${spec}" does not resolve to a file in asm/`);
        continue;
      }
      edges.push({ from: f, to });
      const rf = rank.get(layerOf(f)) ?? -1;
      const rt = rank.get(layerOf(to)) ?? -1;
      if (rt > rf) violations.push(`${f}: upward import of ${to} (${layerOf(f)} is below ${layerOf(to)})`);
    }
  }
  // Cycles: depth-first search over the file graph, reporting each back edge's cycle once.
  const adj = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) adj.get(e.from)!.push(e.to);
  const state = new Map<string, 0 | 1 | 2>(files.map((f) => [f, 0]));
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const t of adj.get(f)!) {
      if (state.get(t) === 1) {
        violations.push(`import cycle: ${[...stack.slice(stack.indexOf(t)), t].join(" -> ")}`);
      } else if (state.get(t) === 0) visit(t);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of files) if (state.get(f) === 0) visit(f);
  return { files, edges, violations };
}

async function readTree(root: string, rel = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(rel ? `${root}/${rel}` : root)) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) { for (const [k, v] of await readTree(root, r)) out.set(k, v); }
    else if (e.name.endsWith(".ts")) out.set(r, await Deno.readTextFile(`${root}/${r}`));
  }
  return out;
}

if (import.meta.main) {
  const root = Deno.args[0] ?? new URL("../asm", import.meta.url).pathname;
  const report = checkLayers(await readTree(root));
  console.log(`asm layers (lowest first): ${LAYERS.join(" < ")}`);
  for (const layer of LAYERS) {
    const fs = report.files.filter((f) => layerOf(f) === layer);
    if (fs.length === 0) continue;
    const below = new Set(
      report.edges.filter((e) => layerOf(e.from) === layer && layerOf(e.to) !== layer).map((e) =>
        layerOf(e.to)
      ),
    );
    console.log(
      `  ${layer.padEnd(9)} ${fs.map((f) => f.split("/").pop()).join(", ")}` +
        (below.size
          ? `  -> imports ${
            [...below].sort((a, b) => LAYERS.indexOf(a as never) - LAYERS.indexOf(b as never)).join(", ")
          }`
          : ""),
    );
  }
  for (const v of report.violations) console.log(`VIOLATION ${v}`);
  console.log(
    `${report.files.length} files, ${report.edges.length} imports: ` +
      (report.violations.length ? `${report.violations.length} violations` : "no upward import, no cycle"),
  );
  if (report.violations.length) Deno.exit(1);
}
