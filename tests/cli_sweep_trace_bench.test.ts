/**
 * `dmasim sweep`, `dmasim trace` and `dmasim bench` as subprocesses: CSV,
 * JSON and SVG of a sweep; the trace as valid Chrome trace-event JSON whose
 * slices nest per track; the published comparison; bad input.
 */
import type { TraceEvent } from "../cli/trace.ts";
import { check, checkBadCases, dmasim, withTempDir } from "./fixtures/cli/harness.ts";

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...rows] = text.trim().split("\n").map((l) => l.split(","));
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

Deno.test("dmasim sweep writes CSV, JSON and an SVG with one line per series", () =>
  withTempDir(async (dir) => {
    const prefix = `${dir}/results`;
    const args = [
      "sweep",
      "--param",
      "depth=1,16,128",
      "--param",
      "iommu=strict,passthrough",
      "--param",
      "buffers=fixed,dmabuf",
      "--metric",
      "iops",
      "--x",
      "depth",
      "-b",
      "512",
      "--ios",
      "2000",
      "--out",
      prefix,
    ];
    const r = await dmasim(args);
    check(r.code === 0, "exit 0", r);
    check(r.stdout.includes(`wrote ${prefix}.csv, ${prefix}.json, ${prefix}.svg (12 runs)`), "summary", r);
    const rows = parseCsv(await Deno.readTextFile(`${prefix}.csv`));
    check(rows.length === 12, "3 x 2 x 2 rows", r);
    for (const k of ["depth", "iommu", "buffers", "iops", "cpu_ns_per_io", "lat_p99_ns"]) {
      check(k in rows[0], `CSV column ${k}`, r);
    }
    check(rows.every((row) => Number(row.iops) > 0), "IOPS > 0", r);
    const at = (d: string, m: string, b: string) =>
      Number(rows.find((x) => x.depth === d && x.iommu === m && x.buffers === b)!.iops);
    check(at("128", "strict", "dmabuf") > at("128", "strict", "fixed"), "dma-buf helps under strict", r);
    const j = JSON.parse(await Deno.readTextFile(`${prefix}.json`));
    check(j.x === "depth" && j.metric === "iops" && j.rows.length === 12, "JSON", r);
    check(j.params.map((p: { name: string }) => p.name).join() === "depth,iommu,buffers", "JSON params", r);
    const svg = await Deno.readTextFile(`${prefix}.svg`);
    check(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"), "an SVG document", r);
    for (const m of ["strict", "passthrough"]) {
      for (const b of ["fixed", "dmabuf"]) {
        check(svg.includes(`iommu=${m}, buffers=${b}`), `series iommu=${m}, buffers=${b} in the legend`, r);
      }
    }
    check(svg.includes(">depth<") && svg.includes(">iops<"), "axis titles", r);
    const first = await Promise.all(["csv", "json", "svg"].map((x) => Deno.readTextFile(`${prefix}.${x}`)));
    const again = await dmasim(args);
    check(again.stdout === r.stdout, "same stdout", again);
    const second = await Promise.all(["csv", "json", "svg"].map((x) => Deno.readTextFile(`${prefix}.${x}`)));
    check(first.every((text, i) => text === second[i]), "byte-identical CSV, JSON and SVG", again);
  }));

Deno.test("dmasim sweep varies profile fields by dotted path and prints CSV or JSON without --out", async () => {
  const r = await dmasim([
    "sweep",
    "--param",
    "profile.iommu.inval_latency_ns=500,2000",
    "--iommu",
    "strict",
    "-b",
    "512",
    "--ios",
    "2000",
  ]);
  check(r.code === 0, "exit 0", r);
  const rows = parseCsv(r.stdout);
  check(rows.length === 2 && rows[0]["profile.iommu.inval_latency_ns"] === "500", "CSV on stdout", r);
  check(
    Number(rows[1].cpu_ns_per_io) > Number(rows[0].cpu_ns_per_io),
    "slower invalidation costs more CPU",
    r,
  );
  const j = await dmasim(["sweep", "--param", "bs=512,4k", "--ios", "1000", "--format", "json"]);
  const parsed = JSON.parse(j.stdout);
  check(
    parsed.rows.map((x: { params: { bs: string } }) => x.params.bs).join() === "512,4096",
    "units parsed",
    j,
  );
});

Deno.test("dmasim sweep bad input exits 2 naming the parameter", async () => {
  await checkBadCases([
    { args: ["sweep"], code: 2, message: "dmasim sweep: option --param: at least one is needed" },
    {
      args: ["sweep", "--param", "color=red"],
      code: 2,
      message: 'option --param: unknown parameter "color"',
    },
    { args: ["sweep", "--param", "depth"], code: 2, message: "expected NAME=V1,V2" },
    {
      args: ["sweep", "--param", "depth=1,x"],
      code: 2,
      message: 'option --param depth: value "x": expected an integer',
    },
    { args: ["sweep", "--param", "iommu=strict,off"], code: 2, message: 'option --param iommu: value "off"' },
    {
      args: ["sweep", "--param", "profile.iommu.nope=1"],
      code: 2,
      message: "option --param profile.iommu.nope: no such profile field",
    },
    {
      args: ["sweep", "--param", "profile.iommu.inval_latency_ns=-1"],
      code: 2,
      message: "profile field iommu.inval_latency_ns: expected an integer",
    },
    {
      args: ["sweep", "--param", "depth=1,2", "--x", "bs"],
      code: 2,
      message: 'option --x: "bs" is not one of',
    },
    {
      args: ["sweep", "--param", "depth=1,2", "--metric", "speed"],
      code: 2,
      message: "option --metric: expected",
    },
    {
      args: ["sweep", "--param", "depth=1", "--param", "depth=2"],
      code: 2,
      message: "option --param depth: given twice",
    },
  ]);
});

type Ev = TraceEvent;

Deno.test("dmasim trace writes Chrome trace-event JSON whose slices nest per track", () =>
  withTempDir(async (dir) => {
    const file = `${dir}/trace.json`;
    const r = await dmasim([
      "trace",
      "-b",
      "512",
      "--iommu",
      "strict",
      "-d",
      "32",
      "-s",
      "8",
      "-c",
      "8",
      "--ios",
      "200",
      "-o",
      file,
    ]);
    check(r.code === 0, "exit 0", r);
    check(r.stdout.startsWith(`wrote ${file}: `) && r.stdout.includes(" I/O slices, "), "summary", r);
    const t = JSON.parse(await Deno.readTextFile(file));
    check(t.displayTimeUnit === "ns" && Array.isArray(t.traceEvents), "object form", r);
    const evs: Ev[] = t.traceEvents;
    for (const e of evs) {
      check(typeof e.name === "string" && typeof e.ph === "string", "name and ph", r);
      check(typeof e.ts === "number" && Number.isFinite(e.ts) && e.ts >= 0, "ts in µs", r);
      check(Number.isInteger(e.pid) && Number.isInteger(e.tid), "pid and tid", r);
      check(["M", "X", "b", "e", "C"].includes(e.ph), `phase ${e.ph}`, r);
      if (e.ph === "X") check(typeof e.dur === "number" && e.dur >= 0, "X has dur", r);
      if (e.ph === "b" || e.ph === "e") check(e.cat === "io" && Number.isInteger(e.id), "async id", r);
      if (e.ph === "C") {
        check(Object.values(e.args ?? {}).every((v) => typeof v === "number"), "counter values", r);
      }
    }
    const names = evs.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => e.args!.name);
    check(names.includes("core 0") && names.includes("IOMMU unit 0"), "thread names", r);
    const procs = evs.filter((e) => e.ph === "M" && e.name === "process_name").map((e) => e.args!.name);
    check(procs.includes("CPU") && procs.includes("nvme0n1 I/Os"), "process names", r);

    // Non-metadata events are in time order.
    const timed = evs.filter((e) => e.ph !== "M");
    check(timed.every((e, i) => i === 0 || e.ts >= timed[i - 1].ts), "sorted by ts", r);

    // Complete events nest per (pid, tid).
    const eps = 1e-9;
    const byTrack = new Map<string, Ev[]>();
    for (const e of evs.filter((e) => e.ph === "X")) {
      const k = `${e.pid}/${e.tid}`;
      byTrack.set(k, [...(byTrack.get(k) ?? []), e]);
    }
    check(byTrack.size >= 2, "CPU and IOMMU tracks", r);
    for (const [k, list] of byTrack) {
      const stack: number[] = [];
      for (const e of [...list].sort((a, b) => a.ts - b.ts || b.dur! - a.dur!)) {
        while (stack.length && e.ts >= stack[stack.length - 1] - eps) stack.pop();
        check(!stack.length || e.ts + e.dur! <= stack[stack.length - 1] + eps, `X slices nest on ${k}`, r);
        stack.push(e.ts + e.dur!);
      }
    }

    // Async slices: per (pid, id) begin/end pairs nest like a stack, an outer I/O slice around its stages.
    const open = new Map<string, Ev[]>();
    const stagesSeen = new Set<string>();
    let ios = 0;
    for (const e of evs.filter((e) => e.ph === "b" || e.ph === "e")) {
      const k = `${e.pid}/${e.id}`;
      const st = open.get(k) ?? [];
      if (e.ph === "b") {
        if (st.length === 0) ios++;
        else stagesSeen.add(e.name);
        check(st.length < 2, `async slices at most two deep on ${k}`, r);
        st.push(e);
      } else {
        const top = st.pop();
        check(top !== undefined && top.name === e.name && e.ts >= top.ts, `end matches begin on ${k}`, r);
      }
      open.set(k, st);
    }
    check([...open.values()].every((s) => s.length === 0), "every async slice ends", r);
    check(ios >= 200, `one async slice per I/O (${ios})`, r);
    for (const s of ["submit", "device"]) check(stagesSeen.has(s), `stage ${s}`, r);
    check(
      [...stagesSeen].every((s) => ["submit", "map", "command", "device", "complete", "unmap"].includes(s)),
      "stage names",
      r,
    );
    check(evs.some((e) => e.ph === "X" && e.cat === "iommu"), "strict mode: invalidations", r);
    check(evs.some((e) => e.ph === "C"), "counters", r);

    const a = await dmasim(["trace", "--ios", "100", "-o", "-"]);
    const b = await dmasim(["trace", "--ios", "100", "-o", "-"]);
    check(
      a.code === 0 && a.stdout === b.stdout && JSON.parse(a.stdout).traceEvents.length > 0,
      "deterministic",
      b,
    );
  }));

Deno.test("dmasim trace and bench bad input exits 2", async () => {
  await checkBadCases([
    { args: ["trace", "-d", "-1"], code: 2, message: "dmasim trace: option -d" },
    { args: ["trace", "--iommu", "x"], code: 2, message: "dmasim trace: option --iommu: expected one of" },
    {
      args: ["bench", "--format", "xml"],
      code: 2,
      message: "dmasim bench: option --format: expected one of",
    },
    { args: ["bench", "extra"], code: 2, message: "dmasim bench: too many arguments" },
  ]);
});

Deno.test("dmasim bench prints the published comparison as a table, CSV and JSON", async () => {
  const [t, c, j] = await Promise.all([
    dmasim(["bench", "--ios", "20000"]),
    dmasim(["bench", "--ios", "20000", "--format", "csv"]),
    dmasim(["bench", "--ios", "20000", "--format", "json"]),
  ]);
  check(t.code === 0 && c.code === 0 && j.code === 0, "exit 0", t);
  for (const m of ["strict", "lazy", "passthrough"]) check(t.stdout.includes(`│ ${m}`), `table row ${m}`, t);
  check(
    c.stdout.startsWith("mode,buffers,drives,simIops,publishedIops,diffPct,cpuNsPerIo,p99Ns\n"),
    "CSV head",
    c,
  );
  const rows = JSON.parse(j.stdout).rows;
  check(Array.isArray(rows) && rows.length > 0, "rows", j);
  for (const row of rows) {
    for (const k of ["drives", "simIops", "publishedIops", "diffPct", "cpuNsPerIo", "p99Ns"]) {
      check(typeof row[k] === "number", `rows[].${k}`, j);
    }
    check(["strict", "lazy", "passthrough"].includes(row.mode) && typeof row.buffers === "string", "mode", j);
  }
  check(c.stdout.trim().split("\n").length === rows.length + 1, "CSV has every row", c);
});
