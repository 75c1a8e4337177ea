/**
 * The control path's own state for one simulated machine: what the kernel
 * keeps about registration policy, stacked devices and the exporters'
 * objects that no I/O reads.
 * `System` makes one per machine and the control-path modules of this
 * folder (rsrc.ts: buffer registration) take it as their first argument.
 * What every I/O touches (the fd table, the buffer table, tokens and maps)
 * stays in Wasm and is reached through narrow primitives, one crossing per
 * control event.
 *
 * @module
 */

/** A memfd's metadata (struct shmem_inode_info, as far as dmasim needs it). */
export interface MemfdObject {
  /** i_size, bytes. */
  size: bigint;
  /** F_SEAL_* set on it. */
  seals: number;
}

/** A dma-buf's metadata (struct dma_buf). */
export interface DmaBufObject {
  /** Size, bytes (whole pages). */
  size: bigint;
  /** Who exports it: a udmabuf over memfd pages, or a GPU's VRAM. */
  exporter: "udmabuf" | "vram";
  /** The GPU whose VRAM it is (-1 for a udmabuf). */
  gpu: number;
}

/** The exporters' objects of one machine, by their index in Wasm. */
export interface ExporterObjects {
  /** Memfds, by memfd index. */
  readonly memfds: Map<number, MemfdObject>;
  /** dma-bufs, by dma-buf index. */
  readonly dmabufs: Map<number, DmaBufObject>;
}

/** The control path's state of one machine (internal: made by `System`). */
export interface KernelState {
  /** The machine's linear memory (laid out once, never grown: the view stays valid). */
  readonly view: DataView;
  /**
   * Policy (a proposal from the LSF/MM session, docs/lsfmm.md): dma-buf
   * registration needs CAP_SYS_ADMIN (profile `iommu.dmabuf_cap_required`).
   */
  readonly dmabufCapRequired: boolean;
  /** Whether the simulated process holds CAP_SYS_ADMIN (`SystemOptions.capSysAdmin`). */
  readonly capSysAdmin: boolean;
  /**
   * Per stacked device (asm index order), whether it forwards dma-buf
   * registrations to its members (the LSF/MM thread's proposal; v3: no).
   */
  readonly stackedForwarding: boolean[];
  /** The exporters' objects: memfds and dma-bufs with their metadata (src/kernel/dmabuf.ts). */
  readonly exporters: ExporterObjects;
}
