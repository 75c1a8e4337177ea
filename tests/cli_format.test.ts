/**
 * The CLI's fio-compatible arithmetic and formatting, in process: latency
 * units (fio stat.c display_lat / stat.h nsec_to_usec), percentile blocks
 * (stat.c and t/io_uring show_clat_percentiles), IOPS and bandwidth over
 * fio's whole-millisecond runtime (rounded up), and where engine errors point in a job file.
 */
import { fmtLatLine, fmtPercentileBlock } from "../cli/format.ts";
import { fioFieldSource, fioRates, jobsFromSections, parseJobFile } from "../cli/fio.ts";
import { check } from "./fixtures/cli/harness.ts";

const eq = (a: unknown, b: unknown, what: string) =>
  check(
    JSON.stringify(a) === JSON.stringify(b),
    `${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`,
  );

Deno.test("fmtLatLine switches to usec only when min > 2000, max > 99999 and stdev > 1000 (as fio)", () => {
  const lat = (minNs: number, maxNs: number, stddevNs: number) =>
    fmtLatLine("clat", { minNs, maxNs, meanNs: 150_000.5, stddevNs }, "    ");
  eq(lat(130_137, 207_314, 22_632.57), "    clat (usec): min=130, max=207, avg=150.00, stdev=22.63", "usec");
  eq(
    lat(2000, 207_314, 22_632.57),
    "    clat (nsec): min=2000, max=207314, avg=150000.50, stdev=22632.57",
    "min not > 2000",
  );
  eq(
    lat(130_137, 99_999, 22_632.57),
    "    clat (nsec): min=130137, max=99999, avg=150000.50, stdev=22632.57",
    "max not > 99999",
  );
  eq(
    lat(130_137, 207_314, 1000),
    "    clat (nsec): min=130137, max=207314, avg=150000.50, stdev=1000.00",
    "stdev",
  );
  eq(
    fmtLatLine("lat", { minNs: 2_500_000, maxNs: 150_000_000, meanNs: 9e6, stddevNs: 2e6 }, ""),
    "lat (msec): min=2, max=150, avg= 9.00, stdev= 2.00",
    "msec",
  );
});

const PLIST = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];
const pct = (f: (i: number) => number) => Object.fromEntries(PLIST.map((p, i) => [p.toFixed(6), f(i)]));

Deno.test("fmtPercentileBlock: usec when the smallest > 2000 and the largest > 99999, rounded up", () => {
  const usec = fmtPercentileBlock("clat percentiles", pct((i) => 130_001 + i * 1000), "    ");
  eq(usec[0], "    clat percentiles (usec):", "unit");
  eq(
    usec[1],
    "     |  1.00th=[  131],  5.00th=[  132], 10.00th=[  133], 20.00th=[  134],",
    "(v + 999) / 1000",
  );
  eq(usec.at(-1), "     | 99.99th=[  147]", "last line");
  eq(usec.length, 6, "four a line");
  // The largest is not above 99999: nsec, even though every value is above 2000.
  const nsec = fmtPercentileBlock("clat percentiles", pct((i) => 20_889 + i * 100), "    ");
  eq(nsec[0], "    clat percentiles (nsec):", "nsec");
  eq(nsec[1], "     |  1.00th=[20889],  5.00th=[20989], 10.00th=[21089], 20.00th=[21189],", "nsec values");
  // The smallest is not above 2000: nsec, six-digit values widen the field and make three a line.
  const wide = fmtPercentileBlock("clat percentiles", pct((i) => (i === 0 ? 1500 : 150_000)), "    ");
  eq(wide[0], "    clat percentiles (nsec):", "min 1500");
  eq(wide[1], "     |  1.00th=[  1500],  5.00th=[150000], 10.00th=[150000], 20.00th=[150000],", "width 6");
  const msec = fmtPercentileBlock("clat percentiles", pct(() => 150_000_001), "    ");
  eq(msec[0], "    clat percentiles (msec):", "msec");
  eq(
    msec[1],
    "     |  1.00th=[  151],  5.00th=[  151], 10.00th=[  151], 20.00th=[  151],",
    "rounded up twice",
  );
});

Deno.test("fmtPercentileBlock with t/io_uring's precision 4: three a line", () => {
  const b = fmtPercentileBlock("percentiles", pct((i) => 130_001 + i * 1000), "    ", 4);
  eq(b[0], "    percentiles (usec):", "title");
  eq(b[1], "     |  1.0000th=[  131],  5.0000th=[  132], 10.0000th=[  133],", "first line");
  eq(b.at(-1), "     | 99.9500th=[  146], 99.9900th=[  147]", "last line");
  eq(b.length, 1 + 6, "17 entries, three a line");
});

Deno.test("fioRates: fio's integer arithmetic over whole milliseconds", () => {
  // 2000 x 512 B in 3.516 ms: fio rounds the microseconds up (backend.c
  // update_runtime), prints 4msec and divides by 4.
  eq(fioRates(2000, 512, 3_516_000), {
    runtimeMs: 4,
    ioBytes: 1_024_000,
    ioKbytes: 1000,
    bwBytes: 256_000_000,
    bwKiB: 250_000,
    iops: 500_000,
    iopsInt: 500_000,
  }, "3.516 ms");
  // Exactly 3 ms stays 3; 3.000001 ms (1 ns over, still 3000 whole µs) stays 3; 3.001 ms is 4.
  eq(fioRates(1, 512, 3_000_000).runtimeMs, 3, "exact");
  eq(fioRates(1, 512, 3_000_999).runtimeMs, 3, "sub-microsecond dropped");
  eq(fioRates(1, 512, 3_001_000).runtimeMs, 4, "one microsecond over rounds up");
  // Shorter than a millisecond: runtime 1 (fio never divides by 0).
  eq(fioRates(2000, 512, 400_000).runtimeMs, 1, "at least 1 msec");
  eq(fioRates(2000, 512, 400_000).iops, 2_000_000, "iops over 1 msec");
  eq(fioRates(3, 1000, 2_999_999).ioKbytes, 2, "io_kbytes = io_bytes >> 10");
  // Large runs stay exact.
  const big = fioRates(1e9, 4096, 3_600e9 + 123);
  eq([big.runtimeMs, big.bwBytes, big.iopsInt], [3_600_000, 1_137_777_777, 277_777], "an hour");
});

Deno.test("engine errors point at the line that set the option", () => {
  const text = "[global]\nioengine=io_uring\niodepth=64\nfixedbufs\nnumber_ios=10\n" +
    "[a]\nrw=randread\nsize=1m\ndmasim_buffers=dmabuf\nbuffered=0\n" +
    "[b]\nfixedbufs=0\niodepth=8\ndirect=1\n";
  const { jobs } = jobsFromSections(parseJobFile(text, "j.fio"));
  const [a, b] = jobs;
  eq(fioFieldSource(a, "depth"), { where: "j.fio:3", name: "option iodepth" }, "from [global]");
  eq(fioFieldSource(b, "depth"), { where: "j.fio:13", name: "option iodepth" }, "the job's own wins");
  eq(fioFieldSource(a, "buffers"), { where: "j.fio:9", name: "option dmasim_buffers" }, "dmasim_buffers");
  eq(fioFieldSource(b, "buffers"), { where: "j.fio:12", name: "option fixedbufs" }, "fixedbufs");
  eq(fioFieldSource(a, "direct"), { where: "j.fio:10", name: "option buffered" }, "buffered");
  eq(fioFieldSource(b, "direct"), { where: "j.fio:14", name: "option direct" }, "direct");
  eq(fioFieldSource(a, "ios"), { where: "j.fio:8", name: "option number_ios/size" }, "both set");
  eq(fioFieldSource(b, "ios"), { where: "j.fio:5", name: "option number_ios" }, "number_ios");
  eq(fioFieldSource(a, "random"), { where: "j.fio:7", name: "option rw" }, "rw");
  eq(fioFieldSource(b, "random"), { where: "j.fio:11", name: "option rw" }, "rw default: the header");
  eq(fioFieldSource(a, "warmupIos"), { where: "j.fio:6", name: "job field warmupIos" }, "no fio option");
});
