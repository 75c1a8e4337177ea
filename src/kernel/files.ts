/**
 * fget for the control path: what a user descriptor refers to, read from the
 * fd table in Wasm (asm/fs/files.ts, the table every I/O looks descriptors up
 * in) with one call, `fd_describe`.
 *
 * @module
 */
import { w } from "../wasm.ts";
import { FDD_FILE, FDD_FLAGS, FDD_OBJ, FT_NONE } from "../uapi.generated.ts";

/** What a descriptor is (struct fd_describe). */
export interface FileDesc {
  /** FT_* (src/uapi.generated.ts): FT_BLKDEV, FT_DMABUF, FT_MEMFD, FT_STACKED, … */
  type: number;
  /** The object's index in its layer (namespace, dma-buf, memfd, stacked device, ring). */
  obj: number;
  /** O_* flags the file was opened with. */
  flags: number;
  /** The struct file identity (two opens of one device are two files). */
  file: number;
}

/** Where fd_describe writes (fixed for the life of the module). */
let area = -1;

/**
 * fget(fd): the file behind user descriptor `fd`, or null when the program
 * may not name it (not open, or a kernel-internal reference). One crossing.
 */
export function fget(view: DataView, fd: number): FileDesc | null {
  const type = w.fd_describe(fd | 0);
  if (type === FT_NONE) return null;
  if (area < 0) area = w.fd_describe_area();
  return {
    type,
    obj: view.getInt32(area + FDD_OBJ, true),
    flags: view.getUint32(area + FDD_FLAGS, true),
    file: view.getUint32(area + FDD_FILE, true),
  };
}
