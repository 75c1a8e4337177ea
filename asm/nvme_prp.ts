// NVMe data pointers as nvme-pci builds them: PRP1/PRP2, PRP lists from a
// 256-byte or 4 KiB dma_pool, SGL descriptors; and the controller-side walk
// that turns a command's data pointer back into physical chunks.
// INTERFACE STUB: the implementation replaces the bodies, keeping signatures.

/** Bytes of driver-private state per command (struct nvme_iod analogue). */
export const NVME_IOD_SIZE: u32 = 128;

export function nvme_prp_init(devs: i32, pool_pages_max: u32): void {}

/**
 * Build the data pointer of the 64-byte command at `cmd` for the DMA segments
 * at `segs` (16-byte entries: u64 dma, u32 len, u32 pad), total `len` bytes.
 * Returns 0, or 1 (BLK_STS_RESOURCE: pool exhausted, retry later), or
 * -EINVAL for segments a PRP cannot describe.
 */
export function nvme_setup_data(
  dev: i32, dom: i32, core: i32, cmd: usize, iod: usize, segs: usize, nsegs: u32, len: u32,
  sgl_supported: bool, sgl_threshold: u32,
): i32 { return 0; }

/** Free the PRP list pages / SGL arrays recorded in `iod`. */
export function nvme_free_data(dev: i32, iod: usize): void {}

/**
 * Controller side: walk the data pointer of the command at `cmd` for `len`
 * bytes, translating each address through the IOMMU domain `dom`, writing
 * physical chunks (16 bytes each: u64 pa, u32 len, u32 pad) to `out`, at most
 * `out_max`. Returns the chunk count, or a negative NVMe status code.
 */
export function nvme_walk_data(dom: i32, cmd: usize, len: u32, write: bool, out: usize, out_max: u32): i32 { return 0; }
