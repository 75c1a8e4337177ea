// Exploration: run N random programs from a seed on both, print disagreements grouped.
import { generateNopProgram, Rng } from "./program.ts";
import { runDmasim, cqeCount } from "./dmasim_exec.ts";
import { kernelRunner, runPrograms } from "./kernel.ts";
import { compareProgram, KNOWN_DIFFERENCES } from "./compare.ts";
const n = Number(Deno.args[0] ?? 300);
const seed = Number(Deno.args[1] ?? 1);
const rng = new Rng(seed);
const progs = Array.from({ length: n }, (_, i) => generateNopProgram(rng, `s${seed}-${i}`));
const t0 = performance.now();
const dm = runDmasim(progs);
const t1 = performance.now();
const kprogs = progs.map((p, i) => ({ ...p, lines: p.lines.map((l) => l === "Z" ? `Z ${cqeCount(dm[i])}` : l) }));
const r = await kernelRunner();
if (!("path" in r)) throw new Error(r.skipped);
const k1 = await runPrograms(r.path, kprogs);
const t2 = performance.now();
const k2 = await runPrograms(r.path, kprogs);
let agree = 0;
for (let i = 0; i < n; i++) {
  const v = compareProgram(progs[i], [k1[i], k2[i]], dm[i], Deno.args[3] ? KNOWN_DIFFERENCES : []);
  if (v.agree || v.known) agree++;
  else if (Deno.args[2]) {
    console.log("=== " + progs[i].name + " " + v.diff);
    console.log(progs[i].lines.map((l) => {
      if (!l.startsWith("Q ")) return l;
      const h = l.split(" ")[1];
      const b = (j: number) => parseInt(h.slice(2 * j, 2 * j + 2), 16);
      const u32 = (j: number) => (b(j) | b(j + 1) << 8 | b(j + 2) << 16 | b(j + 3) << 24);
      return `Q op=${b(0)} fl=0x${b(1).toString(16)} prio=${b(2)} fd=${u32(4)} len=${u32(24)} opfl=0x${(u32(28) >>> 0).toString(16)} ud=${b(32)} bi=${b(40)} pers=${b(42)} ${l.split(" ").slice(2).join(" ")}`;
    }).join("\n"));
    console.log("--- kernel\n" + k1[i].join("\n") + "\n--- dmasim\n" + dm[i].join("\n"));
  }
}
console.log(`agree ${agree}/${n}; dmasim ${(t1 - t0).toFixed(0)} ms, kernel ${(t2 - t1).toFixed(0)} ms`);
