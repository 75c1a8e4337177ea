/**
 * The real kernel side of the conformance suite: compile the C runner with
 * gcc against liburing's headers, run program batches on the running kernel,
 * and make loop devices over temporary files for the block-device cases.
 * Every function that cannot do its job says why (a `skipped:` reason) rather
 * than pretending to have compared anything.
 *
 * @module
 */
import { type Program, serialise } from "./program.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** The runner binary, or the reason there is none. */
export type RunnerResult = { path: string } | { skipped: string };

let runnerCache: RunnerResult | null = null;

async function run(
  cmd: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  try {
    const p = new Deno.Command(cmd, {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin !== undefined) {
      const wr = p.stdin.getWriter();
      await wr.write(new TextEncoder().encode(stdin));
      await wr.close();
    }
    const r = await p.output();
    return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
  } catch (e) {
    return { code: -1, out: "", err: String(e) };
  }
}

/**
 * Compile runner.c (once per process) and check that io_uring works on this
 * kernel (a one-NOP program must complete).
 */
export async function kernelRunner(): Promise<RunnerResult> {
  if (runnerCache) return runnerCache;
  if (Deno.build.os !== "linux") return (runnerCache = { skipped: `not Linux (${Deno.build.os})` });
  const dir = await Deno.makeTempDir({ prefix: "dmasim-conform-" });
  const bin = `${dir}/runner`;
  const cc = await run("gcc", ["-O1", "-Wall", "-o", bin, `${HERE}runner.c`]);
  if (cc.code !== 0) {
    await Deno.remove(dir, { recursive: true });
    return (runnerCache = {
      skipped: `gcc could not build the runner (apt-get install -y gcc liburing-dev): ${
        cc.err.trim().split("\n")[0]
      }`,
    });
  }
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  });
  const probe = await runPrograms(bin, [{
    name: "probe",
    lines: [
      "S 4 0 0",
      "Q 0000000000000000000000000000000000000000000000000000000000000000"
        .padEnd(128, "0") + " - -",
      "E 1 1 1",
      "C",
    ],
  }]);
  if (probe.length !== 1 || !probe[0].includes("cqe 0 0 0")) {
    return (runnerCache = {
      skipped: `io_uring unavailable on this kernel: ${JSON.stringify(probe[0] ?? [])}`,
    });
  }
  return (runnerCache = { path: bin });
}

let release: string | null = null;

/** The running kernel's release (`uname -r`), for reports. */
export async function kernelRelease(): Promise<string> {
  if (release === null) {
    const r = await run("uname", ["-r"]);
    release = r.code === 0 ? r.out.trim() : "unknown";
  }
  return release;
}

/** Split runner output into per-program line lists (each starting with its `P` line). */
export function splitOutput(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("P ")) out.push([line]);
    else if (out.length) out[out.length - 1].push(line);
  }
  return out;
}

/** Run `programs` in one runner process on the real kernel; `device` is the block device path. */
export async function runPrograms(
  bin: string,
  programs: readonly Program[],
  device?: string,
): Promise<string[][]> {
  const file = await Deno.makeTempFile({ prefix: "dmasim-conform-", suffix: ".prog" });
  try {
    await Deno.writeTextFile(file, serialise(programs));
    const r = await run(bin, device ? [file, device] : [file]);
    if (r.code !== 0) throw new Error(`runner failed (${r.code}): ${r.err.trim()}`);
    return splitOutput(r.out);
  } finally {
    await Deno.remove(file);
  }
}

/** A loop device over a temporary sparse file, and how to take it down. */
export interface LoopDevice {
  /** /dev/loopN. */
  path: string;
  /** Capacity in bytes. */
  bytes: number;
  /** Logical block size. */
  lba_bytes: number;
  /** Queue limits read from sysfs, as dmasim profile nvme fields. */
  limits: { max_sectors_kb: number; max_segments: number; dma_alignment: number };
  /** Detach the loop device and delete its file. */
  close(): Promise<void>;
}

/**
 * `losetup -f --show --direct-io=on --sector-size lba` over a new sparse
 * file of `bytes`; a string says why it could not.
 */
export async function makeLoopDevice(bytes: number, lba: 512 | 4096): Promise<LoopDevice | string> {
  if (Deno.build.os !== "linux") return `not Linux`;
  const dir = await Deno.makeTempDir({ prefix: "dmasim-loop-" });
  const file = `${dir}/disk.img`;
  const f = await Deno.open(file, { create: true, write: true });
  await f.truncate(bytes);
  f.close();
  const cleanupFile = async () => {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const r = await run("losetup", ["-f", "--show", "--direct-io=on", "--sector-size", String(lba), file]);
  if (r.code !== 0) {
    await cleanupFile();
    return `losetup failed (${r.code}): ${r.err.trim().split("\n")[0] || "no loop devices"}`;
  }
  const path = r.out.trim();
  const name = path.replace("/dev/", "");
  // Through cat: Deno gives /sys only to --allow-all, and `deno task test` runs with --allow-run.
  const sys = async (k: string) => {
    const c = await run("cat", [`/sys/block/${name}/queue/${k}`]);
    if (c.code !== 0) throw new Error(c.err.trim());
    return Number(c.out.trim());
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await run("losetup", ["-d", path]);
    await cleanupFile();
  };
  try {
    const got = await sys("logical_block_size");
    if (got !== lba) {
      await close();
      return `${path}: logical_block_size ${got}, asked for ${lba}`;
    }
    const limits = {
      max_sectors_kb: await sys("max_sectors_kb"),
      max_segments: await sys("max_segments"),
      dma_alignment: (await sys("dma_alignment")) + 1,
    };
    return { path, bytes, lba_bytes: lba, limits, close };
  } catch (e) {
    await close();
    return `${path}: reading its queue limits: ${e}`;
  }
}
