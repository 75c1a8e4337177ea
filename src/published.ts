/**
 * The published comparison (domain.md §6; the cover letter's numbers from
 * Anuj Gupta's runs): t/io_uring's defaults with 512-byte random reads
 * (depth 128, batches of 32, polled, one thread on one core), ordinary
 * registered buffers vs a udmabuf registered as a dma-buf, under each IOMMU
 * mode, with one drive and with two drives in passthrough.
 *
 * The published figures are data shared by `deno task bench`, `dmasim bench`
 * and the tests; the simulated ones come from running the model.
 *
 * @module
 */
import { runUring } from "./workload.ts";
import type { IommuMode } from "./profile.ts";
import { OPTANE_P5800X } from "./profiles.ts";
import type { BufferKind, RunResult, UringJob } from "./workload_types.ts";

/** One row of the comparison. */
export interface PublishedRow {
  /** IOMMU mode. */
  mode: IommuMode;
  /** Buffer kind: "fixed" (registered) or "dmabuf". */
  buffers: BufferKind;
  /** Drives. */
  drives: number;
  /** Simulated IOPS. */
  simIops: number;
  /** Published IOPS. */
  publishedIops: number;
  /** (sim - published) / published, percent. */
  diffPct: number;
  /** CPU ns per I/O (work, spinning excluded). */
  cpuNsPerIo: number;
  /** p99 completion latency, ns. */
  p99Ns: number;
  /** The full result. */
  result: RunResult;
}

/** The published IOPS (cover letter of the series; two-drive figures approximate). */
export const PUBLISHED: readonly { mode: IommuMode; drives: number; fixed: number; dmabuf: number }[] = [
  { mode: "strict", drives: 1, fixed: 570_000, dmabuf: 5_010_000 },
  { mode: "lazy", drives: 1, fixed: 1_930_000, dmabuf: 5_010_000 },
  { mode: "passthrough", drives: 1, fixed: 5_010_000, dmabuf: 5_010_000 },
  { mode: "passthrough", drives: 2, fixed: 5_970_000, dmabuf: 6_130_000 },
];

/** The profile of the published setup with `drives` identical drives. */
export function publishedProfile(drives: number): Record<string, unknown> {
  const d = OPTANE_P5800X.devices[0];
  return {
    base: OPTANE_P5800X.name,
    devices: Array.from({ length: drives }, (_, i) => ({ ...d, name: `nvme${i}n1` })),
  };
}

/**
 * The published workload: t/io_uring 512 B random reads, QD128, batches of 32, polled, registered files
 * (domain.md §6's inference), seed 1 unless `extra` says otherwise.
 */
export function headlineJob(extra: Partial<UringJob>): UringJob {
  return {
    bs: 512,
    depth: 128,
    submitBatch: 32,
    completeBatch: 32,
    polled: true,
    fixedFiles: true,
    random: true,
    seed: 1,
    ...extra,
  };
}

/** Run the comparison: 8 runs of `ios` measured I/Os each. */
export function runPublishedComparison(ios = 1_000_000, seed = 1): PublishedRow[] {
  const rows: PublishedRow[] = [];
  for (const pub of PUBLISHED) {
    for (const buffers of ["fixed", "dmabuf"] as const) {
      const result = runUring(headlineJob({
        profile: publishedProfile(pub.drives),
        iommu: pub.mode,
        devices: Array.from({ length: pub.drives }, (_, i) => `nvme${i}n1`),
        buffers,
        ios,
        seed,
      }));
      const publishedIops = pub[buffers];
      rows.push({
        mode: pub.mode,
        buffers,
        drives: pub.drives,
        simIops: result.iops,
        publishedIops,
        diffPct: ((result.iops - publishedIops) / publishedIops) * 100,
        cpuNsPerIo: result.cpuNsPerIo,
        p99Ns: result.latency.percentiles["99.000000"],
        result,
      });
    }
  }
  return rows;
}
