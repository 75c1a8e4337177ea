/**
 * The control path's own state for one simulated machine: what the kernel
 * keeps about registration policy and stacked devices that no I/O reads.
 * `System` makes one per machine and the control-path modules of this
 * folder (rsrc.ts: buffer registration) take it as their first argument.
 * What every I/O touches (the fd table, the buffer table, tokens and maps)
 * stays in Wasm and is reached through narrow primitives, one crossing per
 * control event.
 *
 * @module
 */

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
}
