/**
 * `dmasim` and `dmasim uring` as subprocesses: t/io_uring's output shape,
 * determinism, JSON, help, and every bad-input path by exit code and message.
 */
import { check, checkBadCases, dmasim, fixture } from "./fixtures/cli/harness.ts";

// Small runs: PCIe 5.0 NAND at QD1 is ~15K IOPS, so 2 simulated seconds are ~30K I/Os.
const SMALL = ["--profile", "pcie5-nand", "-d", "1", "-s", "1", "-c", "1"];

Deno.test("dmasim uring prints t/io_uring's lines each simulated second and a summary", async () => {
  const r = await dmasim(["uring", ...SMALL, "-r", "2", "/dev/nvme0n1"]);
  check(r.code === 0, "exit 0", r);
  check(r.stderr === "", "nothing on stderr (no progress bar when stderr is not a terminal)", r);
  const lines = r.stdout.split("\n");
  check(lines.includes("polled=1, fixedbufs=1, register_files=1, buffered=0, QD=1"), "setup line", r);
  check(lines.some((l) => l.startsWith("submitter=0, file=/dev/nvme0n1")), "submitter line", r);
  const iopsLines = lines.filter((l) =>
    /^IOPS=\S+, BW=\d+(\.\d+)?(MiB|GiB)\/s, IOS\/call=-?\d+\/-?\d+$/.test(l)
  );
  check(iopsLines.length === 2, "one IOPS line per simulated second", r);
  const cpuLines = lines.filter((l) => /^ {2}CPU: core0=\d+\.\d%$/.test(l));
  check(cpuLines.length === 2, "one CPU line per second", r);
  check(lines.includes("Exiting on timeout"), "exit reason", r);
  const max = lines.find((l) => l.startsWith("Maximum IOPS="));
  check(max !== undefined && /^Maximum IOPS=\d+(\.\d+)?[KM]?$/.test(max), "Maximum IOPS line", r);
  const summary = lines.find((l) => l.startsWith("Summary: "));
  check(summary !== undefined, "summary line", r);
  const iops = Number(/IOPS=(\d+)/.exec(summary!)![1]);
  check(iops > 1000 && iops < 1e6, `plausible IOPS at QD1 on NAND: ${iops}`, r);
  check(/errors=0/.test(summary!), "no errors", r);
  check(r.stdout.includes("│ total"), "CPU-by-layer table", r);
});

Deno.test("dmasim uring gives byte-identical output for the same inputs and seed", async () => {
  const args = ["uring", "-b", "512", "--iommu", "strict", "--ios", "3000", "-t", "1", "--seed", "7"];
  const [a, b] = await Promise.all([dmasim(args), dmasim(args)]);
  check(a.code === 0 && b.code === 0, "exit 0", a);
  check(a.stdout === b.stdout, "same bytes", b);
  const c = await dmasim(["uring", ...SMALL, "-r", "1", "--json"]);
  const d = await dmasim(["uring", ...SMALL, "-r", "1", "--json"]);
  check(c.stdout === d.stdout, "same JSON bytes", d);
});

Deno.test("dmasim uring --json prints the result without wall-clock fields", async () => {
  const r = await dmasim(["uring", "-b", "512", "--ios", "2000", "--buffers", "dmabuf", "--json"]);
  check(r.code === 0, "exit 0", r);
  const j = JSON.parse(r.stdout);
  check(typeof j.iops === "number" && j.iops > 0, "iops", r);
  check(j.ios >= 2000 && j.errors === 0, "ios and errors", r);
  check(j.job.buffers === "dmabuf" && j.job.bs === 512, "job as resolved", r);
  check(typeof j.latency.percentiles["99.000000"] === "number", "fio-keyed percentiles", r);
  check(!("wallS" in j) && !("realTimeRatio" in j) && !("timing" in j), "no wall-clock fields", r);
  const t = await dmasim(["uring", "-b", "512", "--ios", "2000", "--json", "--timing"]);
  check(typeof JSON.parse(t.stdout).timing.wallS === "number", "--timing adds them", t);
});

Deno.test("dmasim uring -t 1 prints completion-latency percentiles", async () => {
  const r = await dmasim(["uring", "-b", "512", "--ios", "2000", "-t", "1"]);
  check(r.code === 0, "exit 0", r);
  // t/io_uring's layout: "<tid>: Latency percentiles:", then "    percentiles (unit):" and
  // show_clat_percentiles(..., precision 4): four decimals, three entries a line.
  const lines = r.stdout.split("\n");
  const at = lines.indexOf("0: Latency percentiles:");
  check(at >= 0, "title", r);
  check(/^ {4}percentiles \((nsec|usec|msec)\):$/.test(lines[at + 1]), "unit line", r);
  check(
    /^ {5}\| {2}1\.0000th=\[ *\d+\], {2}5\.0000th=\[ *\d+\], 10\.0000th=\[ *\d+\],$/.test(lines[at + 2]),
    "3 a line",
    r,
  );
  check(/^ {5}\| 99\.9500th=\[ *\d+\], 99\.9900th=\[ *\d+\]$/.test(lines[at + 7]), "last line: 99.99th", r);
  check(lines[at + 8].startsWith("Summary: "), "then dmasim's summary", r);
  const exit = lines.indexOf("Exiting on I/O count");
  check(exit >= 0 && lines[exit + 1].startsWith("Maximum IOPS=") && exit < at, "t/io_uring's order", r);
});

Deno.test("dmasim uring maps -B, --buffers, -n and the devices into the job", async () => {
  const plain = await dmasim(["uring", "-B", "0", "--ios", "2000", "--json"]);
  check(JSON.parse(plain.stdout).job.buffers === "plain", "-B0 is plain buffers", plain);
  const dmabuf = await dmasim(["uring", "-B", "0", "--buffers", "dmabuf", "--ios", "2000", "--json"]);
  check(JSON.parse(dmabuf.stdout).job.buffers === "dmabuf", "--buffers wins over -B", dmabuf);
  const lazy = await dmasim(["uring", "--profile", fixture("profile-lazy.json"), "--ios", "2000", "--json"]);
  check(JSON.parse(lazy.stdout).job.iommu === "lazy", "profile from a JSON file", lazy);
  const two = await dmasim(["uring", ...SMALL, "-n", "2", "-r", "1"]);
  check(two.code === 0, "exit 0", two);
  check(two.stdout.includes("submitter=1, file=/dev/nvme0n1"), "two submitters", two);
  check(/CPU: core0=\d+\.\d%, core1=\d+\.\d%/.test(two.stdout), "CPU line per core", two);
});

Deno.test("dmasim --help and every command's --help exit 0 with examples", async () => {
  const runs = await Promise.all(
    [[], ["uring"], ["fio"], ["bench"], ["sweep"], ["trace"]].map((a) => dmasim([...a, "--help"])),
  );
  for (const r of runs) {
    check(r.code === 0, "exit 0", r);
    check(r.stdout.startsWith("Usage: dmasim"), "usage", r);
    check(r.stdout.includes("Examples:"), "examples", r);
  }
  const v = await dmasim(["--version"]);
  check(v.code === 0 && /^\d+\.\d+\.\d+\n$/.test(v.stdout), "version", v);
});

Deno.test("dmasim uring bad input exits 2 with one line naming the flag", async () => {
  await checkBadCases([
    { args: [], code: 2, message: "dmasim: missing command" },
    { args: ["frobnicate"], code: 2, message: 'dmasim: unknown command "frobnicate"' },
    { args: ["uring", "--bogus"], code: 2, message: "dmasim uring: unknown option '--bogus'" },
    {
      args: ["uring", "-d", "x"],
      code: 2,
      message: 'dmasim uring: option -d: expected an integer 1..32768, got "x"',
    },
    { args: ["uring", "-d", "0"], code: 2, message: "option -d: expected an integer 1..32768" },
    { args: ["uring", "-d"], code: 2, message: "argument missing" },
    { args: ["uring", "-p", "2"], code: 2, message: 'option -p: expected 0 or 1, got "2"' },
    { args: ["uring", "-b", "1x"], code: 2, message: "option -b: expected a size" },
    { args: ["uring", "-r", "soon"], code: 2, message: "option -r: expected seconds" },
    {
      args: ["uring", "--iommu", "off"],
      code: 2,
      message: "option --iommu: expected one of strict|lazy|passthrough",
    },
    {
      args: ["uring", "--buffers", "gpu"],
      code: 2,
      message: "option --buffers: expected one of plain|fixed|dmabuf",
    },
    { args: ["uring", "-n", "2"], code: 2, message: "option -n: expected at most 1 threads" },
    {
      args: ["uring", "-d", "5000"],
      code: 2,
      message: "dmasim uring: option -d: expected an integer 1..4096",
    },
    {
      args: ["uring", "-b", "1000", "--ios", "100"],
      code: 2,
      message: "dmasim uring: option -b: must be a multiple of the 512-byte LBA size",
    },
    { args: ["uring", "-O", "0", "--ios", "100"], code: 2, message: "option -p: polled I/O needs O_DIRECT" },
    {
      args: ["uring", "/dev/sda"],
      code: 2,
      message: 'device "/dev/sda": no such block device in profile optane-p5800x',
    },
    {
      args: ["uring", "--profile", "nope"],
      code: 2,
      message: 'option --profile: "nope" is neither a built-in profile',
    },
    {
      args: ["uring", "--profile", fixture("profile-bad-field.json")],
      code: 2,
      message: "profile field iommu.inval_latency: unknown field",
    },
    { args: ["uring", "--profile", fixture("randread.fio")], code: 2, message: "invalid JSON" },
  ]);
});

Deno.test("dmasim uring exits 1 when the run's I/Os fail", async () => {
  // A drive that fails 10% of its commands with a media error.
  const r = await dmasim(["uring", "--profile", fixture("profile-media-errors.json"), "--ios", "1000"]);
  check(r.code === 1, "exit 1", r);
  check(
    r.stderr.trim().split("\n").length === 1 &&
      /^dmasim uring: \d+ of \d+ I\/Os failed$/.test(r.stderr.trim()),
    "one line",
    r,
  );
  check(/^0: \d+ IO errors$/m.test(r.stdout), "t/io_uring's error line", r);
  // Failed I/Os count toward --ios: the run stopped on the count, not on a timeout.
  check(r.stdout.includes("Exiting on I/O count\nMaximum IOPS="), "exit reason", r);
});

Deno.test("dmasim uring exits 1 with one line when the machine runs past a limit", async () => {
  // A functional run with 512 MiB of plain buffers in flight on a machine whose RAM backs 256 MiB.
  const r = await dmasim(["uring", "--functional", "-B", "0", "-b", "1m", "-d", "512", "--ios", "100"]);
  check(r.code === 1, "exit 1", r);
  check(
    r.stderr.trim().split("\n").length === 1 && r.stderr.includes("memory.backing_mib"),
    "names the limit",
    r,
  );
});

Deno.test("dmasim uring runs GPU dma-bufs (peer-to-peer) and the bounce path, and reports the copies", async () => {
  const p2p = await dmasim([
    "uring",
    "--json",
    "--buffers",
    "dmabuf",
    "--dmabuf-memory",
    "gpu",
    "--ios",
    "3000",
  ]);
  check(p2p.code === 0, "exit 0", p2p);
  const a = JSON.parse(p2p.stdout);
  const bounce = await dmasim(["uring", "--json", "--buffers", "bounce", "--ios", "3000"]);
  check(bounce.code === 0, "exit 0", bounce);
  const b = JSON.parse(bounce.stdout);
  const text = JSON.stringify([a, b]);
  check(/"gpuCopies":0/.test(JSON.stringify(a)), "no copies for P2P", p2p);
  check(/"gpuCopies":[1-9]/.test(JSON.stringify(b)), "copies for the bounce path", bounce);
  check(text.includes('"buffers":"bounce"'), "the job is echoed", bounce);
  const writes = await dmasim(["uring", "--json", "--buffers", "bounce", "--write", "--ios", "2000"]);
  check(writes.code === 0, "bounced writes run", writes);
  const wj = JSON.parse(writes.stdout);
  check(
    /"gpuCopies":[1-9]/.test(JSON.stringify(wj)) && wj.errors === 0,
    "a copy from the GPU per write",
    writes,
  );
});
