/**
 * Kernel constants, with the kernel's names and values
 * (include/uapi/linux/io_uring.h, asm-generic/errno-base.h, fcntl.h).
 *
 * @module
 */

// errno (returned negated, as the kernel does)
/** Operation not permitted. */
export const EPERM = 1;
/** No such file or directory. */
export const ENOENT = 2;
/** I/O error. */
export const EIO = 5;
/** No such device or address. */
export const ENXIO = 6;
/** Bad file descriptor. */
export const EBADF = 9;
/** Try again. */
export const EAGAIN = 11;
/** Out of memory. */
export const ENOMEM = 12;
/** Bad address. */
export const EFAULT = 14;
/** Device or resource busy. */
export const EBUSY = 16;
/** No such device. */
export const ENODEV = 19;
/** Invalid argument. */
export const EINVAL = 22;
/** Too many open files. */
export const EMFILE = 24;
/** File too large. */
export const EFBIG = 27;
/** No space left on device. */
export const ENOSPC = 28;
/** No data available (a media error: BLK_STS_MEDIUM). */
export const ENODATA = 61;
/** Value too large for defined data type. */
export const EOVERFLOW = 75;
/** Resource deadlock would occur: dmasim's answer to a wait that could never end. */
export const EDEADLK = 35;
/** Operation not supported. */
export const EOPNOTSUPP = 95;
/** Operation canceled. */
export const ECANCELED = 125;

// opcodes
/** Do nothing. */
export const IORING_OP_NOP = 0;
/** Vectored read. */
export const IORING_OP_READV = 1;
/** Vectored write. */
export const IORING_OP_WRITEV = 2;
/** Read into a registered buffer. */
export const IORING_OP_READ_FIXED = 4;
/** Write from a registered buffer. */
export const IORING_OP_WRITE_FIXED = 5;
/** Read. */
export const IORING_OP_READ = 22;
/** Write. */
export const IORING_OP_WRITE = 23;
/** Vectored read into a registered buffer. */
export const IORING_OP_READV_FIXED = 60;
/** Vectored write from a registered buffer. */
export const IORING_OP_WRITEV_FIXED = 61;
/** One past the last opcode (Linux 6.18, checked against the running kernel); opcodes at or above are -EINVAL. */
export const IORING_OP_LAST = 63;

// sqe->flags
/** fd is an index into the registered file table. */
export const IOSQE_FIXED_FILE = 1 << 0;
/** Issue after all earlier requests completed. */
export const IOSQE_IO_DRAIN = 1 << 1;
/** Link with the next SQE; a failure cancels the rest. */
export const IOSQE_IO_LINK = 1 << 2;
/** Link that continues past failures. */
export const IOSQE_IO_HARDLINK = 1 << 3;
/** Always go async (io-wq). */
export const IOSQE_ASYNC = 1 << 4;
/** Select a provided buffer. */
export const IOSQE_BUFFER_SELECT = 1 << 5;
/** Post no CQE when the request succeeds. */
export const IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

// nop flags
/** NOP completes with sqe->len as its result. */
export const IORING_NOP_INJECT_RESULT = 1 << 0;
/** NOP looks up sqe->fd. */
export const IORING_NOP_FILE = 1 << 1;
/** NOP's fd is a registered file index. */
export const IORING_NOP_FIXED_FILE = 1 << 2;
/** NOP looks up sqe->buf_index in the buffer table. */
export const IORING_NOP_FIXED_BUFFER = 1 << 3;
/** Complete the NOP from task work instead of inline. */
export const IORING_NOP_TW = 1 << 4;
/** Post a 32-byte CQE (needs a CQE32 or CQE_MIXED ring: not modelled, so -EINVAL). */
export const IORING_NOP_CQE32 = 1 << 5;

// setup flags
/** Busy-poll for completions (polled I/O). */
export const IORING_SETUP_IOPOLL = 1 << 0;
/** A kernel thread polls the SQ. */
export const IORING_SETUP_SQPOLL = 1 << 1;
/** SQPOLL thread pinned to sq_thread_cpu. */
export const IORING_SETUP_SQ_AFF = 1 << 2;
/** cq_entries is given by the caller. */
export const IORING_SETUP_CQSIZE = 1 << 3;
/** Clamp entries to the maximum instead of failing. */
export const IORING_SETUP_CLAMP = 1 << 4;
/** Keep submitting past a failed SQE. */
export const IORING_SETUP_SUBMIT_ALL = 1 << 7;
/** Cooperative task running. */
export const IORING_SETUP_COOP_TASKRUN = 1 << 8;
/** Set IORING_SQ_TASKRUN when task work is pending. */
export const IORING_SETUP_TASKRUN_FLAG = 1 << 9;
/** Only one task submits. */
export const IORING_SETUP_SINGLE_ISSUER = 1 << 12;
/** Defer task work to io_uring_enter(GETEVENTS). */
export const IORING_SETUP_DEFER_TASKRUN = 1 << 13;
/** The SQ has no index array: the head indexes the SQEs directly. */
export const IORING_SETUP_NO_SQARRAY = 1 << 16;
/** IOPOLL that sleeps before polling (modelled as IOPOLL); needs IORING_SETUP_IOPOLL. */
export const IORING_SETUP_HYBRID_IOPOLL = 1 << 17;

// sq flags
/** SQPOLL thread needs a wakeup. */
export const IORING_SQ_NEED_WAKEUP = 1 << 0;
/** CQEs are waiting in the overflow list. */
export const IORING_SQ_CQ_OVERFLOW = 1 << 1;
/** Task work is pending. */
export const IORING_SQ_TASKRUN = 1 << 2;

// enter flags
/** Wait for / reap completions. */
export const IORING_ENTER_GETEVENTS = 1 << 0;

// register opcodes
/** io_uring_register: register buffers. */
export const IORING_REGISTER_BUFFERS = 0;
/** io_uring_register: unregister buffers. */
export const IORING_UNREGISTER_BUFFERS = 1;
/** io_uring_register: register files. */
export const IORING_REGISTER_FILES = 2;
/** io_uring_register: unregister files. */
export const IORING_UNREGISTER_FILES = 3;
/** io_uring_register: create a sparse or tagged buffer table. */
export const IORING_REGISTER_BUFFERS2 = 15;
/** io_uring_register: update buffer slots (struct io_uring_rsrc_update2). */
export const IORING_REGISTER_BUFFERS_UPDATE = 16;
/** io_uring_rsrc_register flag: a sparse table. */
export const IORING_RSRC_REGISTER_SPARSE = 1 << 0;
/** rsrc_update2 flag (dma-buf series v3): data points at io_uring_regbuf descriptors. */
export const IORING_RSRC_UPDATE_EXTENDED = 1 << 1;
/** Registered buffer descriptor type: empty slot. */
export const IO_REGBUF_TYPE_EMPTY = 0;
/** Registered buffer descriptor type: user memory. */
export const IO_REGBUF_TYPE_UADDR = 1;
/** Registered buffer descriptor type: a dma-buf for one target file. */
export const IO_REGBUF_TYPE_DMABUF = 2;

// open flags
/** Open for reading only. */
export const O_RDONLY = 0;
/** Open for writing only. */
export const O_WRONLY = 1;
/** Open for reading and writing. */
export const O_RDWR = 2;
/** Direct I/O: bypass the page cache; DMA straight to the buffer. */
export const O_DIRECT = 0o40000;

// memfd / udmabuf
/** memfd_create: allow sealing. */
export const MFD_ALLOW_SEALING = 2;
/** Seal: no more seals. */
export const F_SEAL_SEAL = 1;
/** Seal: no shrinking (udmabuf requires it). */
export const F_SEAL_SHRINK = 2;
/** Seal: no growing. */
export const F_SEAL_GROW = 4;
/** Seal: no writes (udmabuf refuses it). */
export const F_SEAL_WRITE = 8;
/** RWF_NOWAIT: do not block (dma-buf requests with no live map get -EAGAIN). */
export const RWF_NOWAIT = 8;

/** errno names by number, for {@link strerror}. */
const ERRNO_NAMES: Record<number, string> = {
  [EPERM]: "EPERM",
  [EIO]: "EIO",
  [ENXIO]: "ENXIO",
  [EBADF]: "EBADF",
  [EAGAIN]: "EAGAIN",
  [ENOMEM]: "ENOMEM",
  [EFAULT]: "EFAULT",
  [EBUSY]: "EBUSY",
  [ENODEV]: "ENODEV",
  [EINVAL]: "EINVAL",
  [EMFILE]: "EMFILE",
  [EFBIG]: "EFBIG",
  [ENOSPC]: "ENOSPC",
  [EDEADLK]: "EDEADLK",
  [EOPNOTSUPP]: "EOPNOTSUPP",
  [ECANCELED]: "ECANCELED",
  [ENODATA]: "ENODATA",
  [ENOENT]: "ENOENT",
  [EOVERFLOW]: "EOVERFLOW",
};

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
