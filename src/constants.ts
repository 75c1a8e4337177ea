/**
 * Kernel constants, with the kernel's names and values
 * (include/uapi/linux/io_uring.h, asm-generic/errno-base.h, fcntl.h), and
 * {@link strerror}. The values are defined once, in `asm/sim/uapi.ts`, and
 * generated into `uapi.generated.ts` (tools/gen_abi.ts): this module
 * re-exports the ones a program uses.
 *
 * @module
 */

export {
  EAGAIN,
  EBADF,
  EBUSY,
  ECANCELED,
  EDEADLK,
  EFAULT,
  EFBIG,
  EINVAL,
  EIO,
  EMFILE,
  ENODATA,
  ENODEV,
  ENOENT,
  ENOMEM,
  ENOSPC,
  ENXIO,
  EOPNOTSUPP,
  EOVERFLOW,
  EPERM,
  F_SEAL_GROW,
  F_SEAL_SEAL,
  F_SEAL_SHRINK,
  F_SEAL_WRITE,
  IO_REGBUF_TYPE_DMABUF,
  IO_REGBUF_TYPE_EMPTY,
  IO_REGBUF_TYPE_UADDR,
  IORING_ENTER_GETEVENTS,
  IORING_NOP_CQE32,
  IORING_NOP_FILE,
  IORING_NOP_FIXED_BUFFER,
  IORING_NOP_FIXED_FILE,
  IORING_NOP_INJECT_RESULT,
  IORING_NOP_TW,
  IORING_OP_LAST,
  IORING_OP_NOP,
  IORING_OP_READ,
  IORING_OP_READ_FIXED,
  IORING_OP_READV,
  IORING_OP_READV_FIXED,
  IORING_OP_WRITE,
  IORING_OP_WRITE_FIXED,
  IORING_OP_WRITEV,
  IORING_OP_WRITEV_FIXED,
  IORING_REGISTER_BUFFERS,
  IORING_REGISTER_BUFFERS2,
  IORING_REGISTER_BUFFERS_UPDATE,
  IORING_REGISTER_FILES,
  IORING_RSRC_REGISTER_SPARSE,
  IORING_RSRC_UPDATE_EXTENDED,
  IORING_SETUP_CLAMP,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_HYBRID_IOPOLL,
  IORING_SETUP_IOPOLL,
  IORING_SETUP_NO_SQARRAY,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQ_AFF,
  IORING_SETUP_SQPOLL,
  IORING_SETUP_SUBMIT_ALL,
  IORING_SETUP_TASKRUN_FLAG,
  IORING_SQ_CQ_OVERFLOW,
  IORING_SQ_NEED_WAKEUP,
  IORING_SQ_TASKRUN,
  IORING_UNREGISTER_BUFFERS,
  IORING_UNREGISTER_FILES,
  IOSQE_ASYNC,
  IOSQE_BUFFER_SELECT,
  IOSQE_CQE_SKIP_SUCCESS,
  IOSQE_FIXED_FILE,
  IOSQE_IO_DRAIN,
  IOSQE_IO_HARDLINK,
  IOSQE_IO_LINK,
  MFD_ALLOW_SEALING,
  O_DIRECT,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  RWF_NOWAIT,
} from "./uapi.generated.ts";

import * as uapi from "./uapi.generated.ts";

/**
 * errno names by number, for {@link strerror}: every `E*` name of the generated
 * ABI (asm/sim/uapi.ts's errno section), so a new errno is named there once.
 */
const ERRNO_NAMES: Record<number, string> = Object.fromEntries(
  uapi.UAPI_NAMES.filter((n) => /^E[A-Z]+$/.test(n)).map((n) => [uapi[n], n]),
);

/**
 * The name of an errno, given as the kernel returns it (negative) or
 * positive: `strerror(-14)` is "EFAULT". Unknown numbers give "E<n>".
 *
 * @example
 * ```ts
 * import { strerror } from "./constants.ts";
 * console.log(strerror(-11)); // EAGAIN
 * ```
 */
export function strerror(err: number): string {
  const n = Math.abs(err);
  return ERRNO_NAMES[n] ?? `E${n}`;
}
