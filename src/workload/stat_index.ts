/**
 * The Wasm side's results by name: the indices its reader exports take
 * (`stat_get`, `wl_stat`, `snap_get`, `nvme_window_stat`, `gpu_counter`,
 * `swiotlb_counter`, `blk_queue_limit`, `iommu_unit_stat`) and the layout of
 * one per-second sample. They are defined once, in asm/sim/abi.ts, whose
 * switch statements use the same names; src/abi.generated.ts is generated
 * from it. Read results by these names, not numbers.
 *
 * @module
 */

export {
  BLK_MQ_COUNTER,
  GPU_COUNTER,
  IOMMU_UNIT_STAT,
  /** Per IOMMU unit in the `SNAP.iommuUnit` group, as `iommu_unit_stat(unit, i)` takes them. */
  IOMMU_UNIT_STAT as SNAP_IOMMU_UNIT,
  NVME_WINDOW,
  QUEUE_LIMIT,
  SAMPLE,
  SNAP,
  SNAP_CTRL,
  ST,
  SWIOTLB_COUNTER,
  WL_STAT,
} from "../abi.generated.ts";

/** The names of index object `ix` in the order of their indices (the order the Wasm side numbers them). */
export function namesInOrder<K extends string>(ix: Readonly<Record<K, number>>): readonly K[] {
  return (Object.keys(ix) as K[]).sort((a, b) => ix[a] - ix[b]);
}
