// The file- and block-device checks of io_uring's rw.c (io_rw_init_file)
// and block/fops.c (blkdev_{read,write}_iter, blkdev_dio_invalid), shared by
// plain and registered buffers (rw.ts) and dma-buf slots (dmabuf_token.ts).

import * as u from "../sim/uapi";
import { fd_flags_of, fd_obj_of, fd_type_of, FT_BLKDEV, FT_STACKED } from "../fs/files";
import { dma_align_mask } from "../block/bio";
import { stacked_capacity_bytes, stacked_lba_shift } from "../block/stacked";
import { nvme_capacity_bytes_shift, nvme_lba_shift } from "../nvme/pci";
import { ring_flags, rq, RQ_EXPECT, RQ_OFF, RQ_OP_FLAGS } from "./ring";

/** RWF_* flags dmasim accepts (they change nothing in the model). */
const RWF_SUPPORTED: u32 = 0x1 | 0x2 | 0x4 | 0x8; // HIPRI, DSYNC, SYNC, NOWAIT


/**
 * io_rw_init_file and the file-level checks shared by every buffer kind:
 * access mode (-EBADF), a block device (-EINVAL otherwise), IOPOLL needs
 * O_DIRECT (-EOPNOTSUPP), RWF flags (-EOPNOTSUPP). 0 when all pass.
 */
export function rw_file_checks(req: u32, id: i32, fd: i32, write: bool): i32 {
  return rw_file_checks_typed(req, id, fd, fd_type_of(fd), write);
}

/** rw_file_checks for a caller that has looked up the file's type (`type`, fd_type_of(fd)) already. */
function rw_file_checks_typed(req: u32, id: i32, fd: i32, type: u8, write: bool): i32 {
  const fflags = fd_flags_of(fd);
  const acc = fflags & u.O_ACCMODE;
  if (write ? acc == u.O_RDONLY : acc == u.O_WRONLY) return -u.EBADF;
  if ((load<u32>(rq(req) + RQ_OP_FLAGS) & ~RWF_SUPPORTED) != 0) return -u.EOPNOTSUPP;
  // IOPOLL needs IOCB_DIRECT and an ->iopoll method: only O_DIRECT block devices.
  const blk = type == FT_BLKDEV || type == FT_STACKED;
  const polled = (ring_flags(id) & u.IORING_SETUP_IOPOLL) != 0;
  if (polled && ((fflags & u.O_DIRECT) == 0 || !blk)) return -u.EOPNOTSUPP;
  // Files with no read_iter/write_iter dmasim models (a ring, a tty).
  if (!blk) return -u.EINVAL;
  return 0;
}

/** Length after clamping at the end of the device (set by rw_check_block). */
export let rw_clamped_len: u64 = 0;

/**
 * The block-device checks for one range whose memory address is `addr`
 * (a dma-buf offset for dma-buf slots): file checks, O_DIRECT alignment,
 * end of device. Returns 1 to go on (rw_clamped_len set), 0 to complete
 * with 0 bytes, or -errno. The file's type and device are looked up once
 * for all of them (bdev_lba_shift and bdev_capacity_bytes would each look
 * them up again: every Wasm load is bounds-checked).
 */
export function rw_check_block(req: u32, id: i32, fd: i32, write: bool, addr: u64, len: u64): i32 {
  const p = rq(req);
  const type = fd_type_of(fd);
  const r = rw_file_checks_typed(req, id, fd, type, write);
  if (r != 0) return r;
  store<i32>(p + RQ_EXPECT, <i32>len);
  const o = fd_obj_of(fd);
  const stacked = type == FT_STACKED;
  const lba_shift = stacked ? stacked_lba_shift(o) : nvme_lba_shift(o);
  const lba_mask: u64 = (<u64>1 << lba_shift) - 1;
  const pos = load<u64>(p + RQ_OFF);
  // blkdev_{read,write}_iter: the end of the device first, then
  // blkdev_dio_invalid on what is left.
  const size = stacked ? stacked_capacity_bytes(o) : nvme_capacity_bytes_shift(o, lba_shift);
  if (pos >= size) return write ? -u.ENOSPC : 0;
  rw_clamped_len = pos + len > size ? size - pos : len;
  if (((pos | rw_clamped_len) & lba_mask) != 0 || (addr & dma_align_mask) != 0) return -u.EINVAL;
  return 1;
}
