/**
 * Stacked devices (docs/lsfmm.md §5): striped (dm-stripe, 32 KiB chunks) and
 * mirrored (md raid1) reads and writes across 2, 4 and 8 Optane-class
 * drives, registered buffers against a dma-buf registered on the stacked
 * device through the thread's forwarding proposal, in strict, lazy and
 * passthrough mode. t/io_uring's defaults (QD128, batches of 32, polled, one
 * thread on one core), 64 KiB random I/O, so every striped I/O is split into
 * two chunk clones and every mirrored write cloned to each mirror. Prints
 * the Markdown table of docs/lsfmm.md.
 *
 * Run: `npx -y deno@2.9.6 run --allow-read --allow-env bench/stacked.ts [ios]`
 *
 * @module
 */
import { OPTANE_P5800X, type RunResult, runUring } from "../mod.ts";

/** One row of the table: a stacked layout, a direction and an IOMMU mode, both buffer kinds. */
export interface StackedRow {
  /** dm-stripe or md raid1. */
  kind: "striped" | "raid1";
  /** Writes, else reads. */
  write: boolean;
  /** Member drives. */
  drives: number;
  /** IOMMU mode. */
  iommu: "strict" | "lazy" | "passthrough";
  /** Registered (ordinary) buffers. */
  registered: RunResult;
  /** A udmabuf registered on the stacked device, forwarded to the members. */
  dmabuf: RunResult;
}

/** Block size of every I/O, bytes. */
export const STACKED_BS = 64 * 1024;
/** dm-stripe's chunk, KiB: half an I/O, so each 64 KiB I/O (64 KiB aligned) becomes two clones. */
export const STACKED_CHUNK_KIB = 32;

/** Run one row's two jobs, `ios` measured I/Os each. */
export function stackedRow(
  kind: StackedRow["kind"],
  write: boolean,
  drives: number,
  iommu: StackedRow["iommu"],
  ios: number,
): StackedRow {
  const d0 = OPTANE_P5800X.devices[0];
  const members = Array.from({ length: drives }, (_, k) => `nvme${k}n1`);
  const run = (buffers: "fixed" | "dmabuf") =>
    runUring({
      profile: {
        base: "optane-p5800x",
        devices: members.map((name) => ({ ...d0, name })),
        stacked: [{
          name: kind === "striped" ? "dm-0" : "md0",
          kind,
          members,
          chunk_kib: kind === "striped" ? STACKED_CHUNK_KIB : 0,
          dmabuf_forwarding: true,
        }],
      },
      iommu,
      devices: [kind === "striped" ? "dm-0" : "md0"],
      bs: STACKED_BS,
      buffers,
      write,
      ios,
    });
  return { kind, write, drives, iommu, registered: run("fixed"), dmabuf: run("dmabuf") };
}

/** Every row of the table, in its order, each passed to `onRow` as it is measured. */
export function stackedRows(ios: number, onRow: (r: StackedRow) => void = () => {}): StackedRow[] {
  const rows: StackedRow[] = [];
  for (const kind of ["striped", "raid1"] as const) {
    for (const write of [false, true]) {
      for (const drives of [2, 4, 8]) {
        for (const iommu of ["strict", "lazy", "passthrough"] as const) {
          rows.push(stackedRow(kind, write, drives, iommu, ios));
          onRow(rows[rows.length - 1]);
        }
      }
    }
  }
  return rows;
}

const kiops = (x: number) => x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} K`;
const gbs = (r: RunResult) => (r.bwBytesPerS / 1e9).toFixed(1);

/** The Markdown line of one row. */
export function stackedLine(r: StackedRow): string {
  return `| ${r.kind === "striped" ? "dm-stripe" : "md raid1"} | ${
    r.write ? "write" : "read"
  } | ${r.drives} | ${r.iommu} | ` +
    `${kiops(r.registered.iops)} | ${gbs(r.registered)} | ${r.registered.cpuNsPerIo.toFixed(0)} | ` +
    `${kiops(r.dmabuf.iops)} | ${gbs(r.dmabuf)} | ${r.dmabuf.cpuNsPerIo.toFixed(0)} | ` +
    `${(r.dmabuf.iops / r.registered.iops).toFixed(2)}x |`;
}

/** The table's header lines. */
export const STACKED_HEADER = [
  "| device | I/O | drives | IOMMU | registered IOPS | GB/s | CPU ns/IO | dma-buf (forwarded) IOPS | GB/s | CPU ns/IO | dma-buf / registered |",
  "| ------ | --- | ------ | ----- | --------------- | ---- | --------- | ------------------------ | ---- | --------- | -------------------- |",
];

if (import.meta.main) {
  const ios = Number(Deno.args[0] ?? 20_000);
  console.log(STACKED_HEADER.join("\n"));
  stackedRows(ios, (r) => console.log(stackedLine(r)));
}
