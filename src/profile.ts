/**
 * Machine profiles: the JSON that describes a simulated machine (CPU cores,
 * per-step CPU costs, IOMMU, PCIe link, NVMe controllers and drives, GPUs).
 * Every field has a unit and a source, documented here and in docs/profiles.md;
 * {@link validateProfile} checks a profile against this schema and names the
 * path of any unknown or ill-typed field.
 *
 * @module
 */
import { w } from "./wasm.ts";

/** A problem with a profile, naming the field's path (e.g. `costs_ns.enter`). */
export class ProfileError extends Error {
  /** The dotted path of the bad field. */
  readonly path: string;
  /** Create the error for `path` with a message saying what was expected. */
  constructor(path: string, message: string) {
    super(`profile field ${path}: ${message}`);
    this.name = "ProfileError";
    this.path = path;
  }
}

/**
 * Per-step CPU costs in nanoseconds, in the order of asm/sim/costs.ts. Each entry:
 * name, default for the published setup (Optane P5800X, one Xeon core at
 * ~3 GHz), and what the step is.
 */
export const COST_FIELDS: ReadonlyArray<readonly [string, number, string]> = [
  ["enter", 110, "io_uring_enter syscall entry and exit (per call)"],
  ["sqe", 12, "fetch one SQE and io_init_req"],
  ["nop", 8, "issue an IORING_OP_NOP"],
  ["cqe", 8, "post one CQE"],
  ["app_prep", 5, "the program preparing one SQE (liburing io_uring_prep_*)"],
  ["app_reap", 3, "the program reading one CQE"],
  ["rw_prep", 10, "io_prep_rw, io_rw_init_file, kiocb set-up"],
  ["import_fixed", 4, "io_import_fixed: iterator over a registered buffer"],
  ["import_user_page", 45, "per page pinned for a plain (unregistered) buffer: gup-fast + bvec"],
  ["bio", 18, "bio alloc + submit_bio"],
  ["bio_split", 30, "each extra bio created by a split"],
  ["blk_mq", 22, "blk-mq request alloc + dispatch (blk_mq_submit_bio)"],
  ["nvme_cmd", 20, "nvme_queue_rq: build and copy the command"],
  ["prp_entry", 2, "write one PRP entry"],
  ["prp_list_alloc", 40, "dma_pool_alloc of one PRP list / SGL array"],
  ["sgl_desc", 3, "write one SGL descriptor"],
  ["doorbell", 40, "SQ tail doorbell MMIO write (per batch: commit_rqs)"],
  ["poll", 8, "one pass over the NVMe CQ (io_do_iopoll -> nvme_poll)"],
  ["nvme_complete", 15, "nvme_pci_complete_rq per completion"],
  ["blk_complete", 20, "blk_mq_end_request + bio_endio + io_uring rw completion"],
  ["irq", 600, "interrupt entry, handler and exit (interrupt-driven completions)"],
  ["dma_map_direct", 4, "dma-direct map (no IOMMU translation), per command"],
  ["dma_unmap_direct", 2, "dma-direct unmap, per command"],
  ["iommu_map", 70, "iommu_dma_map_*: fixed part per call"],
  ["iommu_unmap", 70, "iommu_dma_unmap_*: fixed part per call"],
  ["iova_alloc_cache", 45, "IOVA from the per-CPU rcache magazine"],
  ["iova_alloc_tree", 250, "IOVA from the rbtree: fixed part (lock, insert)"],
  ["iova_tree_node", 12, "IOVA rbtree: per node visited"],
  ["iova_free_cache", 30, "IOVA back to the per-CPU magazine"],
  ["iova_free_tree", 200, "IOVA back to the rbtree"],
  ["pte_write", 45, "write one IOMMU PTE (walk + store + flush)"],
  ["pte_clear", 40, "clear one IOMMU PTE"],
  ["pt_page_alloc", 300, "allocate and zero an IOMMU page-table page"],
  ["inv_submit", 150, "queue an IOTLB invalidation + wait descriptor (qi_submit_sync), CPU part"],
  ["fq_add", 35, "lazy mode: queue an IOVA on the per-CPU flush queue"],
  ["fq_free_entry", 20, "lazy mode: free one flush-queue entry after a flush"],
  ["token_lookup", 2, "dma-buf: RCU lookup of the token's live map"],
  ["token_ref_get", 2, "dma-buf: percpu_ref_tryget_live on the map"],
  ["token_ref_put", 2, "dma-buf: percpu_ref_put on the map"],
  ["dmabuf_map_page", 25, "dma-buf: map creation, per 4 KiB page flattened"],
  ["dmabuf_map_base", 2000, "dma-buf: map creation, fixed part (attach map, allocate map)"],
  ["fence", 150, "dma-buf: publish or signal a fence"],
  ["worker_punt", 1500, "hand a request to an io-wq worker and wake it"],
  ["app_per_io", 6, "the workload's own per-I/O work (t/io_uring: offset generation)"],
  ["gpu_copy_launch", 2500, "launch one host-to-GPU copy (cudaMemcpyAsync-style), bounce path only"],
  ["swiotlb_map", 150, "swiotlb_tbl_map_single: find and take bounce slots (untrusted devices)"],
  ["memcpy_kb", 80, "a core copying 1 KiB (swiotlb_bounce): ~12.8 GB/s, a Xeon core's memcpy"],
  ["bio_clone", 40, "dm/md: clone a bio for a member (bio_alloc_clone, target map, submit_bio_noacct)"],
];

/** Names of the cost fields, in asm order. */
export const COST_NAMES: readonly string[] = COST_FIELDS.map((f) => f[0]);

/** IOMMU hardware kinds: Intel VT-d, Arm SMMUv3, AMD-Vi (their invalidation queues differ). */
export type IommuKind = "vtd" | "smmuv3" | "amd-vi";

/** IOMMU modes (iommu.strict=1, iommu.strict=0, iommu=pt). */
export type IommuMode = "strict" | "lazy" | "passthrough";

/** A machine profile as validated (all fields present). */
export interface Profile {
  /** Profile name. */
  name: string;
  /** One line on what machine it describes. */
  description: string;
  /** CPU. */
  cpu: { cores: number; ghz: number };
  /** Simulated memory sizes. */
  memory: { host_mib: number; backing_mib: number; media_mib: number; bandwidth_mbps: number };
  /** Per-step CPU costs, ns. */
  costs_ns: Record<string, number>;
  /** IOMMU. */
  iommu: {
    mode: IommuMode;
    kind: IommuKind;
    units: number;
    iotlb_entries: number;
    iotlb_ways: number;
    walk_ns: number;
    walk_cached_ns: number;
    inval_latency_ns: number;
    sync_latency_ns: number;
    cmd_ns: number;
    range_inval: boolean;
    max_inval_pages: number;
    ats: boolean;
    atc_inval_ns: number;
    fq_size: number;
    fq_timeout_ms: number;
    aperture_bits: number;
    dmabuf_cap_required: boolean;
    dmabuf_limit_mib: number;
  };
  /** PCIe link of each drive. */
  pcie: { gen: number; lanes: number; max_payload_bytes: number; tlp_overhead_bytes: number };
  /** NVMe host driver and controller options. */
  nvme: {
    sgl_supported: boolean;
    sgl_threshold: number;
    mdts: number;
    max_segments: number;
    max_sectors_kb: number;
    dma_alignment: number;
    queue_depth: number;
    pool_pages_max: number;
    /**
     * nvme_core's max_retries module parameter (default 5): how often a command that failed without
     * DNR is retried before the request fails (nvme_decide_disposition).
     */
    max_retries: number;
  };
  /** The drives (one NVMe controller with one namespace each). */
  devices: DeviceProfile[];
  /** GPUs (dma-buf exporters of device memory). */
  gpus: GpuProfile[];
  /** Stacked block devices over the drives (dm-linear, dm-stripe, md raid1); none by default. */
  stacked?: StackedProfile[];
}

/**
 * A stacked block device over some of the drives, opened as `/dev/<name>`
 * (docs/lsfmm.md "Stacked devices").
 */
export interface StackedProfile {
  /** Its block device name, e.g. dm-0 or md0. */
  name: string;
  /** dm-linear (members concatenated), dm-stripe (RAID 0 in chunks) or md raid1 (mirrors). */
  kind: "linear" | "striped" | "raid1";
  /** Member drives by name (`devices[].name`), in table order. */
  members: string[];
  /** dm-stripe's chunk size, KiB (a power of two, at least 4); 0 for the other kinds. */
  chunk_kib: number;
  /**
   * Forward a dma-buf registration on this device to every member (one attachment and map each): the design
   * Pavel Begunkov described on the LSF/MM thread, not v3 (which returns -EINVAL). Default false.
   */
  dmabuf_forwarding: boolean;
}

/** Largest number of stacked devices and of members in one (asm/block/stacked.ts STACKED_MAX, MEMBERS_MAX). */
export const STACKED_LIMITS = { devices: 8, members: 8 } as const;

/** One NVMe drive. */
export interface DeviceProfile {
  /** Block device name, e.g. nvme0n1. */
  name: string;
  /** Logical block size: 512 or 4096. */
  lba_bytes: number;
  /** Capacity in GiB. */
  capacity_gib: number;
  /**
   * Capacity in bytes when not a whole number of GiB (a multiple of
   * lba_bytes); 0 (the default) takes capacity_gib.
   */
  capacity_bytes?: number;
  /** Controller command-processing ceiling, I/Os per second. */
  iops_max: number;
  /** Media read latency, ns (mean). */
  read_latency_ns: number;
  /** Media write latency, ns (mean). */
  write_latency_ns: number;
  /** Uniform jitter added to media latency, ns (0 … jitter). */
  latency_jitter_ns: number;
  /** Media transfer rate per channel, MB/s. */
  media_mbps: number;
  /** Internal parallelism (media units working at once). */
  channels: number;
  /** Injected media errors per million commands (0: none): reads fail -ENODATA, writes too. */
  media_error_ppm: number;
  /**
   * Whether the drive sets Do Not Retry (DNR) in the status of its media errors (default true: no retry,
   * the request fails at once). false: nvme retries the command up to nvme.max_retries times.
   */
  media_error_dnr: boolean;
  /** The device's DMA mask in bits (nvme-pci sets 64); its IOVAs stay below 2^bits. */
  dma_mask_bits: number;
  /**
   * An untrusted device (pci_dev->untrusted: behind an external-facing port): "yes" bounces what does not
   * fill whole IOVA granules through swiotlb and forces strict invalidation, as the kernel does; "all"
   * bounces every request (a proposal from the LSF/MM discussion); "no" (default).
   */
  untrusted: "no" | "yes" | "all";
}

/** A drive's capacity in bytes: capacity_bytes when set, else capacity_gib GiB. */
export function deviceCapacityBytes(d: DeviceProfile): bigint {
  return (d.capacity_bytes ?? 0) > 0 ? BigInt(d.capacity_bytes!) : BigInt(d.capacity_gib) * (1n << 30n);
}

/** One GPU with device memory exported through dma-buf. */
export interface GpuProfile {
  /** Name, e.g. gpu0. */
  name: string;
  /** Device memory, MiB. */
  vram_mib: number;
  /** P2P route: through a PCIe switch (bus addresses) or the host bridge (IOMMU-mapped). */
  p2p: "switch" | "host_bridge";
  /** The GPU's PCIe generation. */
  pcie_gen: number;
  /** The GPU's link width. */
  pcie_lanes: number;
  /** Copy engine set-up per copy, ns. */
  copy_latency_ns: number;
}

/** The schema of one profile field: its type, range and what it means. */
export type FieldSpec =
  | { t: "int"; min: number; max: number; doc: string; unit?: string }
  | { t: "num"; min: number; max: number; doc: string; unit?: string }
  | { t: "str"; doc: string }
  | { t: "bool"; doc: string }
  | { t: "enum"; values: readonly string[]; doc: string }
  | { t: "strs"; doc: string };

/** The schema: section -> field -> spec (device, gpu and stacked entries: "devices[]"/"gpus[]"/"stacked[]"). */
export const PROFILE_SCHEMA: Record<string, Record<string, FieldSpec>> = {
  "": {
    name: { t: "str", doc: "profile name" },
    description: { t: "str", doc: "what machine it describes" },
  },
  cpu: {
    cores: { t: "int", min: 1, max: 128, doc: "CPU cores (one workload thread per core)" },
    ghz: { t: "num", min: 0.1, max: 10, doc: "core clock, for converting cycle counts", unit: "GHz" },
  },
  memory: {
    host_mib: { t: "int", min: 16, max: 1 << 20, doc: "host RAM address space", unit: "MiB" },
    backing_mib: {
      t: "int",
      min: 1,
      max: 2048,
      doc: "bytes of RAM/VRAM that may hold data at once",
      unit: "MiB",
    },
    media_mib: { t: "int", min: 1, max: 2048, doc: "bytes of written media data held at once", unit: "MiB" },
    bandwidth_mbps: {
      t: "int",
      min: 100,
      max: 10_000_000,
      doc: "host memory bandwidth DMA shares",
      unit: "MB/s",
    },
  },
  costs_ns: Object.fromEntries(
    COST_FIELDS.map((
      [n, , d],
    ) => [n, { t: "int", min: 0, max: 10_000_000, doc: d, unit: "ns" } as FieldSpec]),
  ),
  iommu: {
    mode: { t: "enum", values: ["strict", "lazy", "passthrough"], doc: "unmap policy" },
    kind: {
      t: "enum",
      values: ["vtd", "smmuv3", "amd-vi"],
      doc: "IOMMU hardware: how its invalidation queue works (docs/predictions.md)",
    },
    units: { t: "int", min: 1, max: 16, doc: "IOMMU units (one invalidation queue each)" },
    iotlb_entries: { t: "int", min: 1, max: 65536, doc: "IOTLB entries" },
    iotlb_ways: { t: "int", min: 1, max: 64, doc: "IOTLB associativity" },
    walk_ns: { t: "int", min: 0, max: 100000, doc: "page walk on an IOTLB miss, cold", unit: "ns" },
    walk_cached_ns: { t: "int", min: 0, max: 100000, doc: "page walk with upper levels cached", unit: "ns" },
    inval_latency_ns: {
      t: "int",
      min: 0,
      max: 1000000,
      doc: "hardware time of one IOTLB invalidation command",
      unit: "ns",
    },
    sync_latency_ns: {
      t: "int",
      min: 0,
      max: 1000000,
      doc:
        "hardware time of the wait / sync command after it (VT-d wait descriptor, CMD_SYNC, COMPLETION_WAIT)",
      unit: "ns",
    },
    cmd_ns: {
      t: "int",
      min: 1,
      max: 100000,
      doc: "SMMUv3: time the command queue takes to consume one command",
      unit: "ns",
    },
    range_inval: { t: "bool", doc: "SMMUv3: one TLBI per range (FEAT_RANGE_INV), else one per 4 KiB page" },
    max_inval_pages: {
      t: "int",
      min: 1,
      max: 1 << 30,
      doc: "largest range invalidated page-selectively; beyond it the whole domain is flushed",
    },
    ats: { t: "bool", doc: "devices use ATS: each invalidation also invalidates the device's ATC" },
    atc_inval_ns: { t: "int", min: 0, max: 1000000, doc: "an ATC invalidation's round trip", unit: "ns" },
    fq_size: { t: "int", min: 1, max: 4096, doc: "lazy per-CPU flush queue entries" },
    fq_timeout_ms: { t: "int", min: 1, max: 10000, doc: "lazy flush timer", unit: "ms" },
    aperture_bits: {
      t: "int",
      min: 39,
      max: 57,
      doc: "IOVA space: the IOMMU's address width, 39, 48 or 57 bits (3, 4 or 5 page-table levels)",
      unit: "bit",
    },
    dmabuf_cap_required: {
      t: "bool",
      doc: "dma-buf registration needs CAP_SYS_ADMIN (a proposal from the LSF/MM session; default off)",
    },
    dmabuf_limit_mib: {
      t: "int",
      min: 0,
      max: 1 << 20,
      doc: "per-user limit on registered dma-buf bytes, charged like RLIMIT_MEMLOCK (a proposal; 0: none)",
      unit: "MiB",
    },
  },
  pcie: {
    gen: { t: "int", min: 1, max: 6, doc: "PCIe generation" },
    lanes: { t: "int", min: 1, max: 16, doc: "link width" },
    max_payload_bytes: { t: "int", min: 128, max: 4096, doc: "max payload size (MPS)", unit: "B" },
    tlp_overhead_bytes: { t: "int", min: 0, max: 64, doc: "per-TLP header, framing, DLLP share", unit: "B" },
  },
  nvme: {
    sgl_supported: { t: "bool", doc: "controller supports SGLs" },
    sgl_threshold: { t: "int", min: 0, max: 1 << 30, doc: "nvme.sgl_threshold (0 disables SGL)", unit: "B" },
    mdts: { t: "int", min: 0, max: 20, doc: "MDTS (0 = no limit): max transfer 2^MDTS x 4 KiB" },
    max_segments: { t: "int", min: 1, max: 4096, doc: "queue max_segments" },
    max_sectors_kb: { t: "int", min: 4, max: 1 << 20, doc: "queue max_sectors_kb", unit: "KiB" },
    dma_alignment: { t: "int", min: 1, max: 4096, doc: "queue dma_alignment + 1", unit: "B" },
    queue_depth: { t: "int", min: 2, max: 65536, doc: "entries per NVMe I/O queue (a power of two)" },
    pool_pages_max: { t: "int", min: 1, max: 1 << 20, doc: "pages each PRP pool may grow to" },
    max_retries: {
      t: "int",
      min: 0,
      max: 255,
      doc: "nvme_core max_retries: retries of a failed command without DNR",
    },
  },
  "devices[]": {
    name: { t: "str", doc: "block device name" },
    lba_bytes: { t: "int", min: 512, max: 4096, doc: "logical block size (512 or 4096)", unit: "B" },
    capacity_gib: { t: "int", min: 1, max: 1 << 20, doc: "capacity", unit: "GiB" },
    capacity_bytes: {
      t: "int",
      min: 0,
      max: 2 ** 50,
      doc: "capacity when not whole GiB, a multiple of lba_bytes (0: capacity_gib)",
      unit: "B",
    },
    iops_max: { t: "int", min: 1000, max: 100_000_000, doc: "controller command ceiling", unit: "IOPS" },
    read_latency_ns: { t: "int", min: 0, max: 100_000_000, doc: "media read latency", unit: "ns" },
    write_latency_ns: { t: "int", min: 0, max: 100_000_000, doc: "media write latency", unit: "ns" },
    latency_jitter_ns: { t: "int", min: 0, max: 100_000_000, doc: "uniform latency jitter", unit: "ns" },
    media_mbps: { t: "int", min: 1, max: 1_000_000, doc: "media transfer rate per channel", unit: "MB/s" },
    channels: { t: "int", min: 1, max: 4096, doc: "internal parallelism" },
    media_error_ppm: { t: "int", min: 0, max: 1_000_000, doc: "injected media errors per million commands" },
    media_error_dnr: { t: "bool", doc: "media errors carry DNR (Do Not Retry): nvme does not retry them" },
    dma_mask_bits: { t: "int", min: 32, max: 64, doc: "the device's DMA mask (nvme-pci: 64)", unit: "bit" },
    untrusted: {
      t: "enum",
      values: ["no", "yes", "all"],
      doc:
        "untrusted device: yes bounces sub-granule buffers through swiotlb (strict), all bounces every request",
    },
  },
  "gpus[]": {
    name: { t: "str", doc: "GPU name" },
    vram_mib: { t: "int", min: 1, max: 1 << 20, doc: "device memory", unit: "MiB" },
    p2p: { t: "enum", values: ["switch", "host_bridge"], doc: "P2P route" },
    pcie_gen: { t: "int", min: 1, max: 6, doc: "the GPU's PCIe generation" },
    pcie_lanes: { t: "int", min: 1, max: 16, doc: "the GPU's link width" },
    copy_latency_ns: { t: "int", min: 0, max: 1_000_000, doc: "copy engine set-up per copy", unit: "ns" },
  },
  "stacked[]": {
    name: { t: "str", doc: "block device name (dm-0, md0, …), opened as /dev/NAME" },
    kind: {
      t: "enum",
      values: ["linear", "striped", "raid1"],
      doc: "dm-linear, dm-stripe (RAID 0) or md raid1",
    },
    members: { t: "strs", doc: "member drives by name, in table order" },
    chunk_kib: {
      t: "int",
      min: 0,
      max: 1 << 20,
      doc: "striped: chunk size, a power of two of at least 4 KiB; 0 otherwise",
      unit: "KiB",
    },
    dmabuf_forwarding: {
      t: "bool",
      doc: "forward a dma-buf registration to every member (a proposal from the LSF/MM thread; v3: -EINVAL)",
    },
  },
};

/** Fields that may be left out, with the value they then take. */
const OPTIONAL_DEFAULTS: Record<string, Record<string, unknown>> = {
  "devices[]": {
    media_error_ppm: 0,
    media_error_dnr: true,
    capacity_bytes: 0,
    dma_mask_bits: 64,
    untrusted: "no",
  },
  "gpus[]": { pcie_gen: 4, pcie_lanes: 16, copy_latency_ns: 2000 },
  memory: { bandwidth_mbps: 150_000 },
  // Profiles written before IOMMU kinds existed describe VT-d with the whole
  // invalidation in inval_latency_ns.
  iommu: {
    kind: "vtd",
    sync_latency_ns: 0,
    cmd_ns: 20,
    range_inval: true,
    max_inval_pages: 512,
    ats: false,
    atc_inval_ns: 2000,
    // And before IOVA-space limits and the dma-buf registration policy (issue 14).
    aperture_bits: 48,
    dmabuf_cap_required: false,
    dmabuf_limit_mib: 0,
  },
  // Profiles written before nvme retries were modelled: the kernel's default.
  nvme: { max_retries: 5 },
  costs_ns: { gpu_copy_launch: 2500, swiotlb_map: 150, memcpy_kb: 80, bio_clone: 40 },
  "stacked[]": { chunk_kib: 0, dmabuf_forwarding: false },
};

function checkField(path: string, spec: FieldSpec, v: unknown): void {
  switch (spec.t) {
    case "int":
      if (typeof v !== "number" || !Number.isInteger(v) || v < spec.min || v > spec.max) {
        throw new ProfileError(
          path,
          `expected an integer ${spec.min}..${spec.max}, got ${JSON.stringify(v)}`,
        );
      }
      return;
    case "num":
      if (typeof v !== "number" || !Number.isFinite(v) || v < spec.min || v > spec.max) {
        throw new ProfileError(path, `expected a number ${spec.min}..${spec.max}, got ${JSON.stringify(v)}`);
      }
      return;
    case "str":
      if (typeof v !== "string") throw new ProfileError(path, `expected a string, got ${JSON.stringify(v)}`);
      return;
    case "bool":
      if (typeof v !== "boolean") {
        throw new ProfileError(path, `expected true or false, got ${JSON.stringify(v)}`);
      }
      return;
    case "enum":
      if (typeof v !== "string" || !spec.values.includes(v)) {
        throw new ProfileError(path, `expected one of ${spec.values.join("|")}, got ${JSON.stringify(v)}`);
      }
      return;
    case "strs":
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
        throw new ProfileError(path, `expected an array of strings, got ${JSON.stringify(v)}`);
      }
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkSection(path: string, specs: Record<string, FieldSpec>, v: unknown, partial: boolean): void {
  if (!isObj(v)) throw new ProfileError(path, `expected an object, got ${JSON.stringify(v)}`);
  for (const [k, val] of Object.entries(v)) {
    const spec = specs[k];
    const p = path ? `${path}.${k}` : k;
    if (!spec) throw new ProfileError(p, "unknown field");
    checkField(p, spec, val);
  }
  if (!partial) {
    for (const k of Object.keys(specs)) {
      if (!(k in v)) throw new ProfileError(path ? `${path}.${k}` : k, "missing");
    }
  }
}

/**
 * Validate a whole profile (every field present and well typed, nothing
 * unknown). Throws {@link ProfileError} naming the first bad path.
 */
/**
 * The machine's tables and backing pages are carved from one Wasm arena of at
 * most 1 GiB (the runtime's largest block): a fixed part, 4,136 bytes per
 * backing page (the 4 KiB page and its descriptor) of `backing_mib +
 * media_mib`, and 4 bytes per page of `host_mib` — the module says how much
 * (asm/index.ts machine_arena_bytes, which machine_init enforces). Checked here
 * so that a profile asking for more gets an error naming the field.
 */
function checkArena(m: Profile["memory"]): void {
  const need = (mib: number) => w.machine_arena_bytes(m.host_mib, mib * 256);
  const max = w.machine_arena_max();
  if (need(m.backing_mib + m.media_mib) > max) {
    let room = 0;
    while (need(room + 1) <= max) room++;
    throw new ProfileError(
      "memory.backing_mib",
      `backing_mib + media_mib is ${m.backing_mib + m.media_mib} MiB; with host_mib ${m.host_mib} at most ` +
        `${room} MiB fit the simulator's 1 GiB arena`,
    );
  }
}

/**
 * Check profile `p` (parsed JSON, defaults not yet filled in) field by field and return it as a
 * {@link Profile}, its optional fields given their defaults in place. The first problem found is a
 * {@link ProfileError} naming the field: an unknown or missing field, a value of the wrong type or
 * out of range, then the checks across fields (drive and GPU counts, block and payload sizes, the
 * arena, stacked devices, the IOMMU's aperture and IOTLB geometry).
 *
 * @example
 * ```ts
 * import { PROFILES, validateProfile } from "../mod.ts";
 * const p = validateProfile(structuredClone(PROFILES["optane-p5800x"]));
 * console.log(p.devices.length); // 1
 * ```
 */
export function validateProfile(p: unknown): Profile {
  const prof = checkProfileFields(p);
  checkArena(prof.memory);
  checkProfileAcrossFields(prof);
  return prof;
}

/** The field-by-field half of {@link validateProfile}: known fields, each of its type and range. */
function checkProfileFields(p: unknown): Profile {
  if (!isObj(p)) throw new ProfileError("(root)", "expected a JSON object");
  const top = [
    "name",
    "description",
    "cpu",
    "memory",
    "costs_ns",
    "iommu",
    "pcie",
    "nvme",
    "devices",
    "gpus",
    "stacked",
  ];
  for (const k of Object.keys(p)) {
    if (!top.includes(k)) throw new ProfileError(k, "unknown field");
  }
  for (const [k, spec] of Object.entries(PROFILE_SCHEMA[""])) {
    if (!(k in p)) throw new ProfileError(k, "missing");
    checkField(k, spec, p[k]);
  }
  for (const sec of ["cpu", "memory", "costs_ns", "iommu", "pcie", "nvme"]) {
    const v = p[sec];
    if (isObj(v)) {
      for (const [k, d] of Object.entries(OPTIONAL_DEFAULTS[sec] ?? {})) if (!(k in v)) v[k] = d;
    }
    checkSection(sec, PROFILE_SCHEMA[sec], v, false);
  }
  // Profiles written before stacked devices existed have none.
  if (!("stacked" in p)) p.stacked = [];
  for (
    const [arr, sec] of [["devices", "devices[]"], ["gpus", "gpus[]"], ["stacked", "stacked[]"]] as const
  ) {
    const list = p[arr];
    if (!Array.isArray(list)) throw new ProfileError(arr, `expected an array, got ${JSON.stringify(list)}`);
    list.forEach((d, i) => {
      // Optional fields take their defaults (profiles written before they existed stay valid).
      if (isObj(d)) {
        for (const [k, v] of Object.entries(OPTIONAL_DEFAULTS[sec] ?? {})) if (!(k in d)) d[k] = v;
      }
      checkSection(`${arr}[${i}]`, PROFILE_SCHEMA[sec], d, false);
    });
  }
  return p as unknown as Profile;
}

/** The checks across fields of {@link validateProfile}, after the arena's. */
function checkProfileAcrossFields(prof: Profile): void {
  if (prof.devices.length < 1) throw new ProfileError("devices", "expected at least one drive");
  if (prof.devices.length > 16) throw new ProfileError("devices", "at most 16 drives");
  if (prof.gpus.length > 8) throw new ProfileError("gpus", "at most 8 GPUs");
  prof.devices.forEach((d, i) => {
    if (d.lba_bytes !== 512 && d.lba_bytes !== 4096) {
      throw new ProfileError(`devices[${i}].lba_bytes`, `expected 512 or 4096, got ${d.lba_bytes}`);
    }
    if ((d.capacity_bytes ?? 0) % d.lba_bytes !== 0) {
      throw new ProfileError(
        `devices[${i}].capacity_bytes`,
        `expected a multiple of lba_bytes (${d.lba_bytes}), got ${d.capacity_bytes}`,
      );
    }
  });
  if ((prof.nvme.queue_depth & (prof.nvme.queue_depth - 1)) !== 0) {
    throw new ProfileError("nvme.queue_depth", `expected a power of two, got ${prof.nvme.queue_depth}`);
  }
  if ((prof.pcie.max_payload_bytes & (prof.pcie.max_payload_bytes - 1)) !== 0) {
    throw new ProfileError(
      "pcie.max_payload_bytes",
      `expected a power of two, got ${prof.pcie.max_payload_bytes}`,
    );
  }
  prof.devices.forEach((d, i) => {
    if (d.untrusted !== "no" && prof.iommu.mode === "passthrough") {
      throw new ProfileError(
        `devices[${i}].untrusted`,
        "needs iommu.mode strict or lazy (the kernel gives an untrusted device a translating domain even " +
          "with iommu=pt; dmasim does not model domain types per device)",
      );
    }
  });
  (prof.stacked ?? []).forEach((sd, i) => {
    const err = checkStacked(sd, prof.devices, (prof.stacked ?? []).slice(0, i));
    if (err) throw new ProfileError(`stacked[${i}].${err.field}`, err.message);
  });
  if (![39, 48, 57].includes(prof.iommu.aperture_bits)) {
    throw new ProfileError("iommu.aperture_bits", `expected 39, 48 or 57, got ${prof.iommu.aperture_bits}`);
  }
  if (
    prof.iommu.iotlb_entries < prof.iommu.iotlb_ways || prof.iommu.iotlb_entries % prof.iommu.iotlb_ways !== 0
  ) {
    throw new ProfileError("iommu.iotlb_ways", "must divide iommu.iotlb_entries (and not exceed it)");
  }
}

/** Why a stacked device cannot be set up: the field at fault (below `stacked[i]`), the errno the kernel gives. */
export interface StackedProblem {
  /** The field, e.g. `members[1]` or `chunk_kib`. */
  field: string;
  /** What is wrong. */
  message: string;
  /** The kernel's answer to dmsetup / mdadm asking for it. */
  errno: "EBUSY" | "ENODEV" | "EINVAL";
}

/**
 * Check stacked device `sd` (well-typed) against the machine's `drives` and the stacked devices
 * already set up (`earlier`). Returns the first problem, or null.
 */
export function checkStacked(
  sd: StackedProfile,
  drives: readonly DeviceProfile[],
  earlier: readonly StackedProfile[],
): StackedProblem | null {
  const bad = (field: string, message: string, errno: StackedProblem["errno"] = "EINVAL") => ({
    field,
    message,
    errno,
  });
  if (earlier.length >= STACKED_LIMITS.devices) {
    return bad("name", `at most ${STACKED_LIMITS.devices} stacked devices`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(sd.name)) {
    return bad("name", `expected a device name (letters, digits, - _ .), got ${JSON.stringify(sd.name)}`);
  }
  if (drives.some((d) => d.name === sd.name) || earlier.some((e) => e.name === sd.name)) {
    return bad("name", `${JSON.stringify(sd.name)} is already a block device`, "EBUSY");
  }
  const min = sd.kind === "raid1" ? 2 : 1;
  if (sd.members.length < min || sd.members.length > STACKED_LIMITS.members) {
    return bad(
      "members",
      `expected ${min}..${STACKED_LIMITS.members} member drives, got ${sd.members.length}`,
    );
  }
  for (const [j, m] of sd.members.entries()) {
    const d = drives.find((x) => x.name === m);
    if (!d) {
      return bad(
        `members[${j}]`,
        `no drive ${JSON.stringify(m)} (drives: ${drives.map((x) => x.name).join(", ")})`,
        "ENODEV",
      );
    }
    if (sd.members.indexOf(m) !== j) return bad(`members[${j}]`, `${JSON.stringify(m)} given twice`, "EBUSY");
    const holder = earlier.find((e) => e.members.includes(m));
    if (holder) {
      return bad(
        `members[${j}]`,
        `${JSON.stringify(m)} is already a member of ${holder.name} (one holder per drive)`,
        "EBUSY",
      );
    }
    if (d.lba_bytes !== drives.find((x) => x.name === sd.members[0])!.lba_bytes) {
      return bad(`members[${j}]`, "members must share one logical block size");
    }
  }
  if (sd.kind === "striped") {
    const c = sd.chunk_kib;
    if (c < 4 || (c & (c - 1)) !== 0) {
      return bad("chunk_kib", `expected a power of two of at least 4, got ${c}`);
    }
    const smallest = Math.min(
      ...sd.members.map((m) => Number(deviceCapacityBytes(drives.find((x) => x.name === m)!))),
    );
    if (smallest < c * 1024) return bad("chunk_kib", `larger than the smallest member (${smallest} bytes)`);
  } else if (sd.chunk_kib !== 0) {
    return bad("chunk_kib", `only dm-stripe has a chunk size (kind ${sd.kind}: 0), got ${sd.chunk_kib}`);
  }
  return null;
}

/** Deep-merge `over` onto `base` (objects merge, arrays and scalars replace). */
export function mergeProfile(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeProfile(out[k], v) : structuredClone(v);
  return out;
}
