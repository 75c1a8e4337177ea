/**
 * `dmasim sweep` on workers (`--jobs N`) and in shards (`--shard I/N`, then
 * `dmasim sweep merge`): the same bytes as one serial run in every output
 * format, the same one-line error and exit code, bad arguments exit 2.
 */
import { check, checkBadCases, type CliRun, dmasim, withTempDir } from "./fixtures/cli/harness.ts";

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
