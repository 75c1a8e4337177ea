/**
 * What a device could reach that it should not: the `security` section of a
 * run's results. It answers the LSF/MM exchange (LWN, 2026-05-12: Jason
 * Gunthorpe asks why not passthrough, or unmapping after each operation;
 * Pavel Begunkov answers security) with measured figures instead of
 * opinions:
 *
 * - passthrough: no translation, every byte of memory is reachable all the
 *   time;
 * - strict: only what is mapped right now; dma_unmap returns after the IOTLB
 *   invalidation, so nothing stays reachable after an unmap;
 * - lazy: dma-iommu.c queues each unmapped IOVA on a flush queue
 *   (queue_iova) and invalidates the IOTLB later (fq_flush_iotlb: a full
 *   queue or the 10 ms timer), so unmapped pages stay reachable through stale
 *   translations until then — after a per-I/O unmap, and after a dma-buf map
 *   is torn down following move_notify;
 * - sub-page: the IOMMU maps whole 4 KiB granules, so a 512-byte read opens
 *   the other 3.5 KiB of its page for the life of the mapping;
 * - dma-buf maps: the whole registered buffer stays mapped for the life of
 *   the registration (map created at the first I/O, torn down at move_notify
 *   or unregistration);
 * - peer-to-peer through a PCIe switch: TLPs to a GPU BAR behind the same
 *   switch never reach the IOMMU, so that GPU's whole memory is reachable
 *   untranslated (the reason ACS redirects P2P to the root port).
 *
 * Figures cover the whole run from machine start (warm-up included), like
 * the dma-buf counters, up to `tEndNs`.
 *
 * @module
 */
import { w } from "./wasm.ts";
import { SWIOTLB_COUNTER } from "./workload/stat_index.ts";
import { EXPOSURE, EXPOSURE_KIND } from "./abi.generated.ts";
import type { IommuMode, Profile } from "./profile.ts";

/** Bytes per IOMMU page (the IOVA granule). */
const GRANULE = 4096;

/** Exposure after unmaps of one kind: stale translations until the IOTLB flush. */
export interface StaleExposure {
  /** Unmaps of this kind. */
  unmaps: number;
  /** Bytes unmapped (whole pages). */
  unmappedBytes: number;
  /** Unmaps whose IOTLB invalidation was deferred to a flush queue (lazy mode): still reachable after the unmap. */
  staleUnmaps: number;
  /** Bytes left reachable by them (whole pages). */
  staleBytes: number;
  /** Of those pages, translations the IOTLB held at the unmap (a device needs no page walk to use them). */
  staleIotlbEntries: number;
  /** Longest time from an unmap to the IOTLB flush that covered it, ns (open ones counted up to the end). */
  windowNsMax: number;
  /** Mean unmap-to-flush time per stale unmap, ns. */
  windowNsMean: number;
  /** Σ stale bytes × their window, byte·ns. */
  staleByteNs: number;
  /** Stale unmaps still waiting for a flush at the end of the run. */
  openAtEnd: number;
}

/** The `security` section of a run's results. */
export interface SecurityReport {
  /** The IOMMU mode of the run. */
  iommu: IommuMode;
  /** Passthrough: the device can reach all of memory (host RAM and every GPU's VRAM) all the time. */
  allMemoryReachable: boolean;
  /** All of memory, bytes: host RAM plus every GPU's VRAM. */
  memoryBytes: number;
  /** Most bytes reachable through live IOMMU mappings at once (passthrough: all of memory). */
  mappedBytesMax: number;
  /**
   * Time-weighted mean of the bytes reachable through the IOMMU: live mappings plus stale translations
   * (passthrough: all of memory). Peer-to-peer bypass is apart: {@link SecurityReport.p2pUntranslatedBytes}.
   */
  reachableBytesMean: number;
  /** VRAM of GPUs behind a PCIe switch, reachable untranslated by peer-to-peer whatever the IOMMU mode, bytes. */
  p2pUntranslatedBytes: number;
  /** Per-I/O mappings: stale after their dma_unmap. */
  staleAfterUnmap: StaleExposure;
  /** dma-buf maps: stale after the map is torn down (move_notify, unregistration). */
  staleAfterMoveNotify: StaleExposure;
  /** Bytes of a mapped page beyond the I/O's own bytes (per-I/O mappings). */
  subPage: {
    /** Mappings with bytes beyond the I/O. */
    maps: number;
    /** Σ bytes beyond the I/O over those mappings. */
    bytesBeyondIo: number;
    /** Σ those bytes × how long they were mapped, byte·ns. */
    byteNs: number;
    /** Mean time such a byte stayed mapped, ns. */
    meanWindowNs: number;
  };
  /**
   * Untrusted devices (`devices[].untrusted`): requests bounced through swiotlb shadow pages, so the
   * device reaches the I/O's bytes and zeroed padding, nothing else.
   */
  shadow: {
    /** Requests bounced. */
    bounces: number;
    /** Bytes copied between the buffers and the shadow pages (both directions). */
    copiedBytes: number;
    /** Padding bytes zeroed in shadow pages (what a plain mapping would have exposed of its pages). */
    paddingBytes: number;
  };
  /** dma-buf maps: the whole registered buffer, mapped for the registration's life. */
  dmabufMaps: {
    /** Most dma-buf bytes mapped at once. */
    bytesMax: number;
    /** Σ mapped bytes × time, byte·ns. */
    byteNs: number;
  };
}

/** Exposure kinds (asm/sim/abi.ts EXPOSURE_KIND_*): per-I/O maps, dma-buf maps, swiotlb shadow maps. */
const KIND = EXPOSURE_KIND;

/** Exposure field indices (asm/sim/abi.ts EXPOSURE_*, as exposure_get takes them). */
const F = EXPOSURE;

function stale(kind: number, t: number): StaleExposure {
  const g = (f: number) => w.exposure_get(kind, f, t);
  const staleUnmaps = g(F.staleRanges);
  return {
    unmaps: g(F.unmaps),
    unmappedBytes: g(F.unmappedPages) * GRANULE,
    staleUnmaps,
    staleBytes: g(F.stalePages) * GRANULE,
    staleIotlbEntries: g(F.staleIotlb),
    windowNsMax: g(F.windowMax),
    windowNsMean: staleUnmaps > 0 ? g(F.staleRangeNs) / staleUnmaps : 0,
    staleByteNs: g(F.stalePageNs) * GRANULE,
    openAtEnd: g(F.open),
  };
}

/**
 * The security section for the machine now built from `profile`, over
 * simulated time [0, `tEndNs`].
 *
 * @example
 * ```ts
 * import { runUring } from "../mod.ts";
 * const r = runUring({ iommu: "lazy", bs: 512, ios: 20_000 });
 * console.log(r.security.staleAfterUnmap.windowNsMax > 0); // true
 * ```
 */
export function securityReport(profile: Profile, tEndNs: number): SecurityReport {
  const t = Math.max(1, Math.round(tEndNs));
  const MiB = 1 << 20;
  const memoryBytes = profile.memory.host_mib * MiB + profile.gpus.reduce((a, g) => a + g.vram_mib * MiB, 0);
  const pt = profile.iommu.mode === "passthrough";
  const p2p = pt ? 0 : profile.gpus.reduce((a, g) => a + (g.p2p === "switch" ? g.vram_mib * MiB : 0), 0);
  const s0 = stale(KIND.streaming, t);
  const s1 = stale(KIND.dmabuf, t);
  const mappedMax = w.exposure_get(KIND.streaming, F.mappedAllMax, t) * GRANULE;
  const mappedByteNs =
    Object.values(KIND).reduce((a: number, k) => a + w.exposure_get(k, F.mappedPageNs, t), 0) *
    GRANULE;
  const subBytes = w.exposure_get(KIND.streaming, F.subBytes, t);
  const subByteNs = w.exposure_get(KIND.streaming, F.subByteNs, t);
  return {
    iommu: profile.iommu.mode,
    allMemoryReachable: pt,
    memoryBytes,
    mappedBytesMax: pt ? memoryBytes : mappedMax,
    reachableBytesMean: pt ? memoryBytes : (mappedByteNs + s0.staleByteNs + s1.staleByteNs) / t,
    p2pUntranslatedBytes: p2p,
    staleAfterUnmap: s0,
    staleAfterMoveNotify: s1,
    subPage: {
      maps: w.exposure_get(KIND.streaming, F.subMaps, t),
      bytesBeyondIo: subBytes,
      byteNs: subByteNs,
      meanWindowNs: subBytes > 0 ? subByteNs / subBytes : 0,
    },
    shadow: {
      bounces: w.swiotlb_counter(SWIOTLB_COUNTER.bounces),
      copiedBytes: w.swiotlb_counter(SWIOTLB_COUNTER.copiedBytes),
      paddingBytes: w.swiotlb_counter(SWIOTLB_COUNTER.paddingBytes),
    },
    dmabufMaps: {
      bytesMax: w.exposure_get(KIND.dmabuf, F.mappedMax, t) * GRANULE,
      byteNs: w.exposure_get(KIND.dmabuf, F.mappedPageNs, t) * GRANULE,
    },
  };
}
