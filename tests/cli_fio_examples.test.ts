/**
 * fio 3.33's own example job files (tests/fixtures/fio_examples/, copied
 * unchanged) run through `dmasim fio` with only `filename=` changed to a
 * simulated drive, as docs/fio.md lists them: each exits 0 and prints fio's
 * JSON with the job entries fio would print, every one with I/O done and no
 * error. ssd-test.fio (10 M I/Os, ~20 s of wall time) and fio-seq-read.fio
 * (900 s of simulated time, ~20 min) also run but are left out here for
 * time; docs/fio.md gives their results.
 */
import { check, dmasim, ROOT, withTempDir } from "./fixtures/cli/harness.ts";

const DIR = `${ROOT}/tests/fixtures/fio_examples`;

/**
 * The one change made to an example: every `filename=` names the simulated
 * drive, or, when the file has none, `filename=/dev/nvme0n1` follows the
 * first section header.
 */
export function onSimulatedDrive(text: string): string {
  const lines = text.split("\n");
  const has = lines.some((l) => /^\s*filename\s*=/.test(l));
  let added = false;
  return lines.flatMap((l) => {
    if (/^\s*filename\s*=/.test(l)) return ["filename=/dev/nvme0n1"];
    if (!has && !added && /^\s*\[.*\]/.test(l)) {
      added = true;
      return [l, "filename=/dev/nvme0n1"];
    }
    return [l];
  }).join("\n");
}

/** Each example, the profile it runs on (enough cores for its threads; 512-byte LBAs for iometer's splits) and its entries. */
const EXAMPLES: { file: string; profile: string; entries: string[] }[] = [
  { file: "aio-read.fio", profile: "pcie5-nand", entries: ["file1", "file2", "file3", "file4"] },
  { file: "backwards-read.fio", profile: "pcie5-nand", entries: ["backwards-read"] },
  { file: "dedupe-global.fio", profile: "pcie5-nand", entries: ["a", "b"] },
  { file: "exitwhat.fio", profile: "gen4-tlc-nand", entries: ["slow1", "fast1", "slow2"] },
  { file: "fixed-rate-submission.fio", profile: "pcie5-nand", entries: ["fixed-rate-submit"] },
  { file: "iometer-file-access-server.fio", profile: "optane-p5800x", entries: ["iometer"] },
  { file: "poisson-rate-submission.fio", profile: "pcie5-nand", entries: ["poisson-rate-submit"] },
  { file: "rand-zones.fio", profile: "pcie5-nand", entries: ["zones"] },
  {
    file: "tiobench-example.fio",
    profile: "pcie5-nand",
    entries: ["f1", "f2", "f3", "f4"].flatMap((f) => [f, f, f, f]),
  },
  { file: "waitfor.fio", profile: "gen4-tlc-nand", entries: ["writers", "readers", "writers2", "readers2"] },
  { file: "zipf.fio", profile: "pcie5-nand", entries: ["job"] },
  // A whole-device pass (no size=): on a 64 MiB pcie5-nand drive, 16384 random writes verified.
  { file: "basic-verify.fio", profile: `${DIR}/pcie5-nand-64mib.json`, entries: ["write-and-verify"] },
];

for (const ex of EXAMPLES) {
  Deno.test(`dmasim fio runs fio's example ${ex.file} unchanged but for filename=`, () =>
    withTempDir(async (dir) => {
      const text = await Deno.readTextFile(`${DIR}/${ex.file}`);
      await Deno.writeTextFile(`${dir}/${ex.file}`, onSimulatedDrive(text));
      const r = await dmasim([
        "fio",
        "-q",
        "--profile",
        ex.profile,
        "--output-format=json",
        `${dir}/${ex.file}`,
      ]);
      check(r.code === 0, "exit 0", r);
      const j = JSON.parse(r.stdout);
      check(j["fio version"] === "fio-3.33" && Array.isArray(j.disk_util), "fio's JSON", r);
      const names = j.jobs.map((x: { jobname: string }) => x.jobname);
      check(JSON.stringify(names) === JSON.stringify(ex.entries), `entries ${names}`, r);
      for (const x of j.jobs) {
        check(
          x.error === 0 && x.read.total_ios + x.write.total_ios > 0,
          `${x.jobname}: I/O done, no error`,
          r,
        );
      }
      if (ex.file === "basic-verify.fio") {
        const x = j.jobs[0];
        check(
          x.write.total_ios === 16384 && x.read.total_ios === 16384,
          "every block written and verified",
          r,
        );
      }
    }));
}
