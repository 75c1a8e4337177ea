/**
 * Built-in machine profiles. Every value's source is in docs/profiles.md
 * (the fields and costs tables); costs default to {@link COST_FIELDS}.
 *
 * @module
 */
import { COST_FIELDS, mergeProfile, type Profile, ProfileError, validateProfile } from "./profile.ts";

const costs = Object.fromEntries(COST_FIELDS.map(([n, v]) => [n, v]));

/**
 * The published setup (domain.md §6): one core of a ~3 GHz Xeon with Intel
 * VT-d, an Optane P5800X-class drive on PCIe 4.0 x4, 512-byte LBAs.
 */
export const OPTANE_P5800X: Profile = {
  name: "optane-p5800x",
  description: "Published setup: 1 Xeon core, Intel VT-d, Optane P5800X-class drive on PCIe 4.0 x4",
  cpu: { cores: 1, ghz: 3.0 },
  memory: { host_mib: 16384, backing_mib: 256, media_mib: 256, bandwidth_mbps: 150_000 },
  costs_ns: costs,
  iommu: {
    mode: "strict",
    kind: "vtd",
    units: 1,
    iotlb_entries: 256,
    iotlb_ways: 8,
    walk_ns: 450,
    walk_cached_ns: 120,
    inval_latency_ns: 1000,
    sync_latency_ns: 150,
    cmd_ns: 20,
    range_inval: true,
    max_inval_pages: 512,
    ats: false,
    atc_inval_ns: 2000,
    fq_size: 256,
    fq_timeout_ms: 10,
    aperture_bits: 48, // VT-d with 4-level second-level tables
    dmabuf_cap_required: false, // v3 has no capability check
    dmabuf_limit_mib: 0, // and no accounting
  },
  pcie: { gen: 4, lanes: 4, max_payload_bytes: 256, tlp_overhead_bytes: 26 },
  nvme: {
    sgl_supported: true,
    sgl_threshold: 32768,
    mdts: 5,
    max_segments: 127,
    max_sectors_kb: 128,
    dma_alignment: 4,
    queue_depth: 1024,
    pool_pages_max: 4096,
    max_retries: 5,
  },
  devices: [
    {
      name: "nvme0n1",
      lba_bytes: 512,
      capacity_gib: 800,
      iops_max: 5_010_000,
      read_latency_ns: 5000,
      write_latency_ns: 5500,
      latency_jitter_ns: 1000,
      media_mbps: 800,
      channels: 128,
      media_error_ppm: 0,
      media_error_dnr: true,
      dma_mask_bits: 64, // nvme_pci_enable: dma_set_mask_and_coherent(DMA_BIT_MASK(64))
      untrusted: "no", // an internal drive
    },
  ],
  gpus: [{
    name: "gpu0",
    vram_mib: 16384,
    p2p: "switch",
    pcie_gen: 4,
    pcie_lanes: 16,
    copy_latency_ns: 2000,
  }],
};

/** A current PCIe 5.0 NAND drive (Gen5 x4, ~2.8 MIOPS 4K random read, ~60 µs reads). */
export const PCIE5_NAND: Profile = {
  ...structuredClone(OPTANE_P5800X),
  name: "pcie5-nand",
  description: "A PCIe 5.0 x4 TLC NAND drive (Gen5 class, ~2.8 MIOPS), 4 KiB LBAs, 4 cores with VT-d",
  cpu: { cores: 4, ghz: 3.0 },
  pcie: { gen: 5, lanes: 4, max_payload_bytes: 512, tlp_overhead_bytes: 26 },
  devices: [
    {
      name: "nvme0n1",
      lba_bytes: 4096,
      capacity_gib: 3840,
      iops_max: 2_800_000,
      read_latency_ns: 60000,
      write_latency_ns: 12000,
      latency_jitter_ns: 20000,
      media_mbps: 200,
      channels: 256,
      media_error_ppm: 0,
      media_error_dnr: true,
      dma_mask_bits: 64, // nvme_pci_enable: dma_set_mask_and_coherent(DMA_BIT_MASK(64))
      untrusted: "no", // an internal drive
    },
  ],
};

/**
 * A Gen4 TLC NAND data-centre drive (Samsung PM9A3-class U.2, 3.84 TB, PCIe
 * 4.0 x4) in the published Xeon with VT-d, 16 cores. Sources per value in
 * docs/profiles.md ("gen4-tlc-nand").
 */
export const GEN4_TLC_NAND: Profile = {
  ...structuredClone(OPTANE_P5800X),
  name: "gen4-tlc-nand",
  description: "A PCIe 4.0 x4 TLC NAND data-centre drive (PM9A3 class, 900 K IOPS), 16 Xeon cores with VT-d",
  cpu: { cores: 16, ghz: 3.0 },
  devices: [
    {
      name: "nvme0n1",
      lba_bytes: 4096,
      capacity_gib: 3576,
      iops_max: 900_000,
      read_latency_ns: 45_000,
      write_latency_ns: 15_000,
      latency_jitter_ns: 20_000,
      media_mbps: 400,
      channels: 64,
      media_error_ppm: 0,
      media_error_dnr: true,
      dma_mask_bits: 64, // nvme_pci_enable: dma_set_mask_and_coherent(DMA_BIT_MASK(64))
      untrusted: "no", // an internal drive
    },
  ],
};

/** A PCIe 5.0 NAND drive as in {@link PCIE5_NAND}, named `name`. */
function gen5Drive(name: string) {
  return { ...structuredClone(PCIE5_NAND.devices[0]), name };
}

/**
 * A 72-core Neoverse V2 server (one NVIDIA Grace CPU) with an Arm SMMUv3 and
 * eight PCIe 5.0 x4 NAND drives. Sources per value in docs/profiles.md
 * ("grace-smmuv3").
 */
export const GRACE_SMMUV3: Profile = {
  ...structuredClone(PCIE5_NAND),
  name: "grace-smmuv3",
  description: "72 Neoverse V2 cores (one Grace CPU), Arm SMMUv3, eight PCIe 5.0 x4 TLC NAND drives",
  cpu: { cores: 72, ghz: 3.1 },
  memory: { ...OPTANE_P5800X.memory, bandwidth_mbps: 500_000 },
  iommu: { ...OPTANE_P5800X.iommu, kind: "smmuv3", units: 1 },
  devices: Array.from({ length: 8 }, (_, i) => gen5Drive(`nvme${i}n1`)),
  gpus: [],
};

/**
 * A 96-core AMD EPYC 9654 (Genoa) server with AMD-Vi and eight PCIe 5.0 x4
 * NAND drives. Sources per value in docs/profiles.md ("epyc-amdvi").
 */
export const EPYC_AMDVI: Profile = {
  ...structuredClone(PCIE5_NAND),
  name: "epyc-amdvi",
  description: "96 Zen 4 cores (EPYC 9654), AMD-Vi, eight PCIe 5.0 x4 TLC NAND drives",
  cpu: { cores: 96, ghz: 2.4 },
  memory: { ...OPTANE_P5800X.memory, bandwidth_mbps: 460_800 },
  iommu: { ...OPTANE_P5800X.iommu, kind: "amd-vi", units: 1 },
  devices: Array.from({ length: 8 }, (_, i) => gen5Drive(`nvme${i}n1`)),
  gpus: [],
};

/** Built-in profiles by name. */
export const PROFILES: Record<string, Profile> = {
  [OPTANE_P5800X.name]: OPTANE_P5800X,
  [PCIE5_NAND.name]: PCIE5_NAND,
  [GEN4_TLC_NAND.name]: GEN4_TLC_NAND,
  [GRACE_SMMUV3.name]: GRACE_SMMUV3,
  [EPYC_AMDVI.name]: EPYC_AMDVI,
};

/**
 * Resolve a profile: a built-in name, or a JSON object (full, or partial with
 * `"base": "<name>"` to override a built-in). Validated.
 *
 * @example
 * ```ts
 * import { resolveProfile } from "./profiles.ts";
 * const p = resolveProfile({ base: "optane-p5800x", iommu: { mode: "lazy" } });
 * console.log(p.iommu.mode); // "lazy"
 * ```
 */
export function resolveProfile(p: string | Record<string, unknown> = OPTANE_P5800X.name): Profile {
  if (typeof p === "string") {
    const b = PROFILES[p];
    if (!b) {
      throw new ProfileError(
        "(name)",
        `unknown profile "${p}"; built-in: ${Object.keys(PROFILES).join(", ")}`,
      );
    }
    return validateProfile(structuredClone(b));
  }
  if (typeof p.base === "string") {
    const b = PROFILES[p.base];
    if (!b) throw new ProfileError("base", `unknown profile "${p.base}"`);
    const { base: _base, ...rest } = p;
    return validateProfile(mergeProfile(b, rest));
  }
  return validateProfile(structuredClone(p));
}
