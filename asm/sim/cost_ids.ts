// Named per-step CPU costs: their ids, the one definition. set_cost(id, ns)
// takes them (costs.ts re-exports them for the layers that charge a cost);
// tools/gen_abi.ts generates the TypeScript side (src/abi.generated.ts COST,
// keyed by the profile's costs_ns field names). Keep this file to `export
// const NAME: type = constant expression;` lines and comments.

// index COST (snake_case keys): set_cost(id, ns): per-step CPU costs, keyed by
// the profile's costs_ns field names (src/profile.ts COST_FIELDS documents each).
/** io_uring_enter syscall entry + exit. */
export const COST_ENTER: i32 = 0;
/** Fetch one SQE and io_init_req. */
export const COST_SQE: i32 = 1;
/** Issue an IORING_OP_NOP. */
export const COST_NOP: i32 = 2;
/** Post one CQE (io_req_complete_post / flush). */
export const COST_CQE: i32 = 3;
/** The program preparing one SQE. */
export const COST_APP_PREP: i32 = 4;
/** The program reading one CQE. */
export const COST_APP_REAP: i32 = 5;
/** io_prep_rw + io_rw_init_file + kiocb setup. */
export const COST_RW_PREP: i32 = 6;
/** io_import_fixed: bvec iterator over a registered buffer. */
export const COST_IMPORT_FIXED: i32 = 7;
/** Per page pinned for a plain buffer (gup fast + bvec). */
export const COST_IMPORT_USER_PAGE: i32 = 8;
/** Bio alloc + submit_bio. */
export const COST_BIO: i32 = 9;
/** Each extra bio from a split. */
export const COST_BIO_SPLIT: i32 = 10;
/** Blk-mq request alloc + dispatch. */
export const COST_BLK_MQ: i32 = 11;
/** nvme_queue_rq: build the command. */
export const COST_NVME_CMD: i32 = 12;
/** One PRP entry written. */
export const COST_PRP_ENTRY: i32 = 13;
/** dma_pool_alloc for one PRP list page. */
export const COST_PRP_LIST_ALLOC: i32 = 14;
/** One SGL descriptor written. */
export const COST_SGL_DESC: i32 = 15;
/** SQ tail doorbell MMIO write. */
export const COST_DOORBELL: i32 = 16;
/** One pass over the NVMe CQ (io_do_iopoll / nvme_poll). */
export const COST_POLL: i32 = 17;
/** Per completion: nvme_pci_complete_rq. */
export const COST_NVME_COMPLETE: i32 = 18;
/** blk_mq_end_request + bio_endio + io_uring rw complete. */
export const COST_BLK_COMPLETE: i32 = 19;
/** Interrupt entry/exit (interrupt-driven completions). */
export const COST_IRQ: i32 = 20;
/** dma_map_* with no translation (dma-direct), per command. */
export const COST_DMA_MAP_DIRECT: i32 = 21;
/** dma_unmap_* with no translation, per command. */
export const COST_DMA_UNMAP_DIRECT: i32 = 22;
/** iommu_dma_map_*: fixed part per call. */
export const COST_IOMMU_MAP: i32 = 23;
/** iommu_dma_unmap_*: fixed part per call. */
export const COST_IOMMU_UNMAP: i32 = 24;
/** IOVA from the per-CPU magazine. */
export const COST_IOVA_ALLOC_CACHE: i32 = 25;
/** IOVA from the tree: fixed part. */
export const COST_IOVA_ALLOC_TREE: i32 = 26;
/** IOVA tree: per node visited. */
export const COST_IOVA_TREE_NODE: i32 = 27;
/** IOVA back to the magazine. */
export const COST_IOVA_FREE_CACHE: i32 = 28;
/** IOVA back to the tree. */
export const COST_IOVA_FREE_TREE: i32 = 29;
/** One IOMMU PTE written (incl. cache flush). */
export const COST_PTE_WRITE: i32 = 30;
/** One IOMMU PTE cleared. */
export const COST_PTE_CLEAR: i32 = 31;
/** Allocate a page-table page. */
export const COST_PT_PAGE_ALLOC: i32 = 32;
/** Queue an IOTLB invalidation + wait descriptor. */
export const COST_INV_SUBMIT: i32 = 33;
/** Lazy: add an IOVA to the per-CPU flush queue. */
export const COST_FQ_ADD: i32 = 34;
/** Lazy: free one flush-queue entry after the flush. */
export const COST_FQ_FREE_ENTRY: i32 = 35;
/** Dma-buf: look up the live map (RCU). */
export const COST_TOKEN_LOOKUP: i32 = 36;
/** Dma-buf: take a reference on the map. */
export const COST_TOKEN_REF_GET: i32 = 37;
/** Dma-buf: drop the reference. */
export const COST_TOKEN_REF_PUT: i32 = 38;
/** Dma-buf: map creation, per 4 KiB page flattened. */
export const COST_DMABUF_MAP_PAGE: i32 = 39;
/** Dma-buf: map creation, fixed part. */
export const COST_DMABUF_MAP_BASE: i32 = 40;
/** Publish / signal a fence. */
export const COST_FENCE: i32 = 41;
/** Hand a request to an io-wq worker. */
export const COST_WORKER_PUNT: i32 = 42;
/** The workload's own per-I/O work (offset generation). */
export const COST_APP_PER_IO: i32 = 43;
/** Launch a host-to-GPU copy (bounce path). */
export const COST_GPU_COPY_LAUNCH: i32 = 44;
/** swiotlb_tbl_map_single: find and take bounce slots. */
export const COST_SWIOTLB_MAP: i32 = 45;
/** A core copying 1 KiB (swiotlb_bounce). */
export const COST_MEMCPY_KB: i32 = 46;
/** A stacking driver's clone: bio_alloc_clone + target map + submit_bio_noacct. */
export const COST_BIO_CLONE: i32 = 47;

// How many there are (set_cost ignores ids past it).
export const COST_COUNT: i32 = 48;
