// nvme-pci's dma-buf map op (the series' nvme_pci_dmabuf_map/unmap): DMA-map
// a dma-buf attachment's pages once and flatten them into one device address
// per 4 KiB page, and unmap them when the map's fence signals.

import { PAGE_SHIFT, PAGE_SIZE } from "../sim/limits";
import { blk_alloc, blk_free } from "../sim/mem";
import {
  DMA_BIDIRECTIONAL, DMA_MAPPING_ERROR, iommu_map_sg_kind, iommu_mode, iommu_unmap_kind, IOMMU_PASSTHROUGH,
} from "../iommu/iommu";
import { EXP_DMABUF } from "../iommu/exposure";
import { nvme_dom } from "./pci";

/**
 * Map `n` pages (u64 physical address each at `pages`) for controller `c`,
 * writing one device address per page to `dma`. With the IOMMU on, the pages
 * get one contiguous IOVA range; in passthrough, or for VRAM reached through
 * a switch (`p2p_direct`), the addresses are physical (bus) addresses.
 * Returns the IOVA base (0: none taken), or -ENOMEM when the IOVA space is
 * exhausted (the iommu's DMA_MAPPING_ERROR is 0, which here means "no IOVA").
 */
export function nvme_dmabuf_map(c: i32, core: i32, pages: usize, n: u32, p2p_direct: bool, dma: usize): i64 {
  if (iommu_mode() == IOMMU_PASSTHROUGH || p2p_direct) {
    memory.copy(dma, pages, <usize>n * 8);
    return 0;
  }
  // dma_buf_map_attachment -> dma_map_sgtable: one segment per page; the
  // IOMMU maps them into a single contiguous IOVA range.
  const segs = blk_alloc(<usize>n * 16);
  for (let i: u32 = 0; i < n; i++) {
    store<u64>(segs + <usize>i * 16, load<u64>(pages + (<usize>i << 3)));
    store<u32>(segs + <usize>i * 16 + 8, PAGE_SIZE);
  }
  const iova = iommu_map_sg_kind(nvme_dom(c), core, segs, n, DMA_BIDIRECTIONAL, EXP_DMABUF);
  blk_free(segs, <usize>n * 16);
  if (iova == DMA_MAPPING_ERROR) return -12; // -ENOMEM
  for (let i: u32 = 0; i < n; i++) store<u64>(dma + (<usize>i << 3), iova + (<u64>i << PAGE_SHIFT));
  return <i64>iova;
}

/** Unmap a map of `n` pages at IOVA `iova` (nothing to do for bus addresses: iova 0). */
export function nvme_dmabuf_unmap(c: i32, core: i32, iova: u64, n: u32): void {
  if (iova != 0) iommu_unmap_kind(nvme_dom(c), core, iova, <u64>n << PAGE_SHIFT, DMA_BIDIRECTIONAL, EXP_DMABUF);
}
