/**
 * `dmasim sweep` on workers (`--jobs N`) and in shards (`--shard I/N`, then
 * `dmasim sweep merge`): the same bytes as one serial run in every output
 * format, the same one-line error and exit code, bad arguments exit 2.
 */
import { check, checkBadCases, type CliRun, dmasim, withTempDir } from "./fixtures/cli/harness.ts";
import { decodeNumber, encodeNumber, parseShard, shardIndices } from "../cli/sweep_shard.ts";

/** A 12-point grid over workload and profile parameters, short runs. */
const GRID = [
  "--param",
  "depth=1,16,128",
  "--param",
  "iommu=strict,passthrough",
  "--param",
  "profile.iommu.inval_latency_ns=500,2000",
  "-b",
  "512",
  "--ios",
  "2000",
  "--metric",
  "cpu_ns_per_io",
];

const OUTPUTS = ["csv", "json", "svg"] as const;

async function readOutputs(prefix: string): Promise<string[]> {
  return await Promise.all(OUTPUTS.map((x) => Deno.readTextFile(`${prefix}.${x}`)));
}

function sameRun(a: CliRun, b: CliRun, what: string): void {
  check(a.code === b.code, `${what}: exit ${b.code}, serially ${a.code}`, b);
  check(a.stdout === b.stdout, `${what}: same stdout`, b);
  check(a.stderr === b.stderr, `${what}: same stderr`, b);
}

Deno.test("dmasim sweep --jobs 3 writes the bytes of a serial run (CSV, JSON, SVG, stdout)", () =>
  withTempDir(async (dir) => {
    const serial = await dmasim(["sweep", ...GRID, "--jobs", "1", "--out", `${dir}/serial`]);
    check(serial.code === 0, "serial exit 0", serial);
    const parallel = await dmasim(["sweep", ...GRID, "--jobs", "3", "--out", `${dir}/parallel`]);
    check(parallel.code === 0, "parallel exit 0", parallel);
    check(
      parallel.stdout === serial.stdout.replaceAll(`${dir}/serial`, `${dir}/parallel`),
      "same table and summary",
      parallel,
    );
    const [a, b] = await Promise.all([readOutputs(`${dir}/serial`), readOutputs(`${dir}/parallel`)]);
    OUTPUTS.forEach((x, i) => check(a[i] === b[i], `same ${x} bytes`, parallel));
    check(a[0].trim().split("\n").length === 13, "12 rows", serial);
    // Without --out: CSV and JSON on stdout.
    for (const format of ["csv", "json"]) {
      const s = await dmasim(["sweep", ...GRID, "--jobs", "1", "--format", format]);
      const p = await dmasim(["sweep", ...GRID, "--jobs", "2", "--format", format]);
      check(s.code === 0 && s.stdout.length > 0, `serial ${format}`, s);
      sameRun(s, p, `stdout ${format}`);
    }
  }));

Deno.test("dmasim sweep --jobs reports the failure a serial run stops at, with its exit code", async () => {
  // threads=2 is refused by the 1-core profile (exit 2); bs=1m runs the machine out of backing memory (exit 1).
  const cases = [
    ["sweep", "--param", "threads=1,2", "--param", "depth=1,2", "-b", "512", "--ios", "1000"],
    ["sweep", "--functional", "-B", "0", "-d", "512", "--ios", "100", "--param", "bs=4k,1m"],
    ["sweep", "--param", "depth=1,2,4", "--metric", "iommu.nope", "--ios", "1000"],
  ];
  for (const args of cases) {
    const serial = await dmasim([...args, "--jobs", "1"]);
    check(serial.code !== 0 && serial.stderr.trim().split("\n").length === 1, "one line", serial);
    sameRun(serial, await dmasim([...args, "--jobs", "3"]), args.join(" "));
  }
  const limit = await dmasim([...cases[1], "--jobs", "2"]);
  check(
    limit.code === 1 && limit.stderr.includes("run failed (at bs=1048576): SimLimitError"),
    "exit 1",
    limit,
  );
  const job = await dmasim([...cases[0], "--jobs", "2"]);
  check(
    job.code === 2 && job.stderr.includes("option --param threads (at threads=2, depth=1)"),
    "exit 2",
    job,
  );
});

Deno.test("dmasim sweep bad --jobs exits 2 with one line", async () => {
  await checkBadCases([
    {
      args: ["sweep", "--param", "depth=1", "--jobs", "0"],
      code: 2,
      message: "option --jobs: expected an integer",
    },
    {
      args: ["sweep", "--param", "depth=1", "-j", "two"],
      code: 2,
      message: "option --jobs: expected an integer",
    },
  ]);
});

Deno.test("dmasim sweep --shard I/N then sweep merge writes the bytes of the unsharded run, in every format", () =>
  withTempDir(async (dir) => {
    const whole = await dmasim(["sweep", ...GRID, "--out", `${dir}/whole`]);
    check(whole.code === 0, "unsharded exit 0", whole);
    // Three shards, one of them on workers; merged in a scrambled order.
    const shards = await Promise.all(
      ["0/3", "1/3", "2/3"].map((s, i) =>
        dmasim(["sweep", ...GRID, "--shard", s, "--jobs", i === 1 ? "2" : "1", "--out", `${dir}/part`])
      ),
    );
    shards.forEach((r, i) => {
      check(r.code === 0, `shard ${i} exit 0`, r);
      check(
        r.stdout === `wrote ${dir}/part.shard-${i}-of-3.json (4 of 12 points)\n`,
        `shard ${i} summary`,
        r,
      );
    });
    const files = [2, 0, 1].map((i) => `${dir}/part.shard-${i}-of-3.json`);
    const merged = await dmasim(["sweep", "merge", ...files, "--out", `${dir}/merged`]);
    check(merged.code === 0, "merge exit 0", merged);
    check(merged.stdout === whole.stdout.replaceAll(`${dir}/whole`, `${dir}/merged`), "same table", merged);
    const [a, b] = await Promise.all([readOutputs(`${dir}/whole`), readOutputs(`${dir}/merged`)]);
    OUTPUTS.forEach((x, i) => check(a[i] === b[i], `same ${x} bytes`, merged));
    // Without --out: the CSV and JSON the unsharded run prints.
    for (const format of ["csv", "json"]) {
      const [u, m] = await Promise.all([
        dmasim(["sweep", ...GRID, "--jobs", "2", "--format", format]),
        dmasim(["sweep", "merge", ...files, "--format", format]),
      ]);
      sameRun(u, m, `merge --format ${format}`);
    }
    const csv = a[0];
    check(csv === (await dmasim(["sweep", "merge", ...files])).stdout, "CSV by default");

    // A shard file on stdout; more shards than points leaves one empty, which merges all the same.
    const tiny = ["sweep", "--param", "depth=1,2", "--ios", "500"];
    const parts = await Promise.all(["0/3", "1/3", "2/3"].map((s) => dmasim([...tiny, "--shard", s])));
    check(JSON.parse(parts[2].stdout).rows.length === 0, "shard 2 of a 2-point grid is empty", parts[2]);
    await Promise.all(parts.map((r, i) => Deno.writeTextFile(`${dir}/tiny${i}.json`, r.stdout)));
    const [tinyWhole, tinyMerged] = await Promise.all([
      dmasim([...tiny, "--format", "json"]),
      dmasim([
        "sweep",
        "merge",
        `${dir}/tiny0.json`,
        `${dir}/tiny1.json`,
        `${dir}/tiny2.json`,
        "--format",
        "json",
      ]),
    ]);
    sameRun(tinyWhole, tinyMerged, "2 points in 3 shards");

    // Shards that do not make up one sweep: exit 2, one line naming the file.
    const other = await dmasim(["sweep", "--param", "depth=1,2", "--ios", "501", "--shard", "1/3"]);
    await Deno.writeTextFile(`${dir}/other.json`, other.stdout);
    await checkBadCases([
      {
        args: ["sweep", "merge", files[0], files[1]],
        code: 2,
        message: "dmasim sweep merge: shard 1/3 missing (1 of 3)",
      },
      { args: ["sweep", "merge", ...files, files[0]], code: 2, message: "shard 2/3 given twice" },
      {
        args: ["sweep", "merge", `${dir}/tiny0.json`, `${dir}/other.json`, `${dir}/tiny2.json`],
        code: 2,
        message: `${dir}/other.json: a shard of a different sweep than ${dir}/tiny0.json`,
      },
      { args: ["sweep", "merge", `${dir}/tiny0.json`, files[1]], code: 2, message: "different sweep" },
      {
        args: ["sweep", "merge", `${dir}/whole.json`],
        code: 2,
        message: "whole.json: not a sweep shard file",
      },
      { args: ["sweep", "merge", `${dir}/whole.svg`], code: 2, message: "whole.svg: not a sweep shard file" },
      { args: ["sweep", "merge", `${dir}/nope.json`], code: 2, message: "nope.json: cannot read" },
      { args: ["sweep", "merge"], code: 2, message: "dmasim sweep merge: missing required argument" },
    ]);
  }));

Deno.test("dmasim sweep bad --shard exits 2 with one line", async () => {
  const at = (shard: string) => ["sweep", "--param", "depth=1", "--shard", shard];
  await checkBadCases([
    { args: at("/4"), code: 2, message: 'option --shard: the shard index before "/" is empty' },
    { args: at("4/4"), code: 2, message: "option --shard: expected a shard index 0..3 (0-based)" },
    { args: at("0/0"), code: 2, message: "option --shard: expected a shard count 1..10000" },
    { args: at("1/"), code: 2, message: 'option --shard: the shard count after "/" is empty' },
    { args: at("-1/4"), code: 2, message: "option --shard: expected I/N" },
    { args: at("env"), code: 2, message: "option --shard: expected I/N" },
  ]);
});

Deno.test("parseShard, shardIndices and the shard number encoding", () => {
  check(JSON.stringify(parseShard(" 3 / 8 ")) === '{"index":3,"count":8}', "parseShard");
  check(shardIndices(10, { index: 1, count: 4 }).join() === "1,5,9", "every 4th from 1");
  const all = [0, 1, 2].flatMap((i) => shardIndices(7, { index: i, count: 3 })).sort((a, b) => a - b);
  check(all.join() === "0,1,2,3,4,5,6", "the shards partition the grid");
  for (const v of [NaN, Infinity, -Infinity, -0, 0, 1.5, 2 ** 53]) {
    const back = decodeNumber(JSON.parse(JSON.stringify(encodeNumber(v))));
    check(Object.is(back, v), `${v} survives a shard file`);
  }
  check(decodeNumber("12") === undefined && decodeNumber(null) === undefined, "only numbers decode");
});
