/**
 * Kernel uAPI values and layouts, generated from asm/sim/uapi.ts (the one
 * definition): do not edit; run `deno task gen:abi`.
 *
 * @module
 */
/** errno */
export const EPERM = 1;
/** errno */
export const EIO = 5;
/** errno */
export const ENXIO = 6;
/** errno */
export const EBADF = 9;
/** errno */
export const EAGAIN = 11;
/** errno */
export const ENOMEM = 12;
/** errno */
export const EFAULT = 14;
/** errno */
export const EBUSY = 16;
/** errno */
export const EINVAL = 22;
/** errno */
export const EFBIG = 27;
/** errno */
export const ENOSPC = 28;
/** errno */
export const EDEADLK = 35;
/** errno */
export const EOPNOTSUPP = 95;
/** errno */
export const ECANCELED = 125;
/** opcodes */
export const IORING_OP_NOP = 0;
/** opcodes */
export const IORING_OP_READV = 1;
/** opcodes */
export const IORING_OP_WRITEV = 2;
/** opcodes */
export const IORING_OP_READ_FIXED = 4;
/** opcodes */
export const IORING_OP_WRITE_FIXED = 5;
/** opcodes */
export const IORING_OP_READ = 22;
/** opcodes */
export const IORING_OP_WRITE = 23;
/** opcodes */
export const IORING_OP_READV_FIXED = 60;
/** opcodes */
export const IORING_OP_WRITEV_FIXED = 61;
/** opcodes */
export const IORING_OP_LAST = 63;
/** sqe->flags */
export const IOSQE_FIXED_FILE = 1;
/** sqe->flags */
export const IOSQE_IO_DRAIN = 2;
/** sqe->flags */
export const IOSQE_IO_LINK = 4;
/** sqe->flags */
export const IOSQE_IO_HARDLINK = 8;
/** sqe->flags */
export const IOSQE_ASYNC = 16;
/** sqe->flags */
export const IOSQE_BUFFER_SELECT = 32;
/** sqe->flags */
export const IOSQE_CQE_SKIP_SUCCESS = 64;
/** sqe->flags */
export const SQE_VALID_FLAGS = 127;
/** nop_flags */
export const IORING_NOP_INJECT_RESULT = 1;
/** nop_flags */
export const IORING_NOP_FILE = 2;
/** nop_flags */
export const IORING_NOP_FIXED_FILE = 4;
/** nop_flags */
export const IORING_NOP_FIXED_BUFFER = 8;
/** nop_flags */
export const NOP_FLAGS = 15;
/** setup flags */
export const IORING_SETUP_IOPOLL = 1;
/** setup flags */
export const IORING_SETUP_SQPOLL = 2;
/** setup flags */
export const IORING_SETUP_SQ_AFF = 4;
/** setup flags */
export const IORING_SETUP_CQSIZE = 8;
/** setup flags */
export const IORING_SETUP_CLAMP = 16;
/** setup flags */
export const IORING_SETUP_SUBMIT_ALL = 128;
/** setup flags */
export const IORING_SETUP_COOP_TASKRUN = 256;
/** setup flags */
export const IORING_SETUP_TASKRUN_FLAG = 512;
/** setup flags */
export const IORING_SETUP_SINGLE_ISSUER = 4096;
/** setup flags */
export const IORING_SETUP_DEFER_TASKRUN = 8192;
/** setup flags: Every flag the kernel (6.16) knows; bits outside are -EINVAL. */
export const IORING_SETUP_KNOWN = 262143;
/** setup flags: The flags dmasim models; known-but-unmodelled ones (SQPOLL and SQ_AFF among them: no kernel submission thread is simulated) are -EOPNOTSUPP. */
export const IORING_SETUP_MODELLED = 13209;
/** sq_flags */
export const IORING_SQ_NEED_WAKEUP = 1;
/** sq_flags */
export const IORING_SQ_CQ_OVERFLOW = 2;
/** sq_flags */
export const IORING_SQ_TASKRUN = 4;
/** enter flags */
export const IORING_ENTER_GETEVENTS = 1;
/** enter flags */
export const IORING_ENTER_SQ_WAKEUP = 2;
/** enter flags */
export const IORING_ENTER_SQ_WAIT = 4;
/** open flags (asm-generic/fcntl.h) */
export const O_RDONLY = 0;
/** open flags (asm-generic/fcntl.h) */
export const O_WRONLY = 1;
/** open flags (asm-generic/fcntl.h) */
export const O_RDWR = 2;
/** open flags (asm-generic/fcntl.h) */
export const O_ACCMODE = 3;
/** open flags (asm-generic/fcntl.h) */
export const O_DIRECT = 16384;
/** open flags (asm-generic/fcntl.h) */
export const IORING_RSRC_UPDATE_EXTENDED = 2;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_SQ_HEAD = 0;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_SQ_TAIL = 64;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_CQ_HEAD = 128;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_CQ_TAIL = 192;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_SQ_MASK = 256;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_CQ_MASK = 260;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_SQ_ENTRIES = 264;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_CQ_ENTRIES = 268;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_SQ_DROPPED = 272;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_SQ_FLAGS = 276;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_CQ_FLAGS = 280;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_CQ_OVERFLOW = 284;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const RO_CQES = 320;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const SQE_SIZE = 64;
/** Ring memory layout: offsets into the "rings" block (struct io_rings; head and tail words on their own cache lines as in the kernel). */
export const CQE_SIZE = 16;
/** struct io_uring_sqe: field offsets: u8 */
export const SQE_OPCODE = 0;
/** struct io_uring_sqe: field offsets: u8 IOSQE_* */
export const SQE_FLAGS = 1;
/** struct io_uring_sqe: field offsets: u16 */
export const SQE_IOPRIO = 2;
/** struct io_uring_sqe: field offsets: i32 */
export const SQE_FD = 4;
/** struct io_uring_sqe: field offsets: u64 */
export const SQE_OFF = 8;
/** struct io_uring_sqe: field offsets: u64 */
export const SQE_ADDR = 16;
/** struct io_uring_sqe: field offsets: u32 */
export const SQE_LEN = 24;
/** struct io_uring_sqe: field offsets: u32 (rw_flags, nop_flags) */
export const SQE_RW_FLAGS = 28;
/** struct io_uring_sqe: field offsets: u64 */
export const SQE_USER_DATA = 32;
/** struct io_uring_sqe: field offsets: u16 */
export const SQE_BUF_INDEX = 40;
/** struct io_uring_sqe: field offsets: u16 */
export const SQE_PERSONALITY = 42;
/** struct io_uring_sqe: field offsets: u32 */
export const SQE_FILE_INDEX = 44;
/** struct io_uring_sqe: field offsets: u64 */
export const SQE_ADDR3 = 48;
/** struct io_uring_cqe: field offsets: u64 */
export const CQE_USER_DATA = 0;
/** struct io_uring_cqe: field offsets: i32 */
export const CQE_RES = 8;
/** struct io_uring_cqe: field offsets: u32 */
export const CQE_FLAGS = 12;
/** Every constant above, in asm/sim/uapi.ts order (the index uapi_value takes). */
export const UAPI_NAMES = [
  "EPERM",
  "EIO",
  "ENXIO",
  "EBADF",
  "EAGAIN",
  "ENOMEM",
  "EFAULT",
  "EBUSY",
  "EINVAL",
  "EFBIG",
  "ENOSPC",
  "EDEADLK",
  "EOPNOTSUPP",
  "ECANCELED",
  "IORING_OP_NOP",
  "IORING_OP_READV",
  "IORING_OP_WRITEV",
  "IORING_OP_READ_FIXED",
  "IORING_OP_WRITE_FIXED",
  "IORING_OP_READ",
  "IORING_OP_WRITE",
  "IORING_OP_READV_FIXED",
  "IORING_OP_WRITEV_FIXED",
  "IORING_OP_LAST",
  "IOSQE_FIXED_FILE",
  "IOSQE_IO_DRAIN",
  "IOSQE_IO_LINK",
  "IOSQE_IO_HARDLINK",
  "IOSQE_ASYNC",
  "IOSQE_BUFFER_SELECT",
  "IOSQE_CQE_SKIP_SUCCESS",
  "SQE_VALID_FLAGS",
  "IORING_NOP_INJECT_RESULT",
  "IORING_NOP_FILE",
  "IORING_NOP_FIXED_FILE",
  "IORING_NOP_FIXED_BUFFER",
  "NOP_FLAGS",
  "IORING_SETUP_IOPOLL",
  "IORING_SETUP_SQPOLL",
  "IORING_SETUP_SQ_AFF",
  "IORING_SETUP_CQSIZE",
  "IORING_SETUP_CLAMP",
  "IORING_SETUP_SUBMIT_ALL",
  "IORING_SETUP_COOP_TASKRUN",
  "IORING_SETUP_TASKRUN_FLAG",
  "IORING_SETUP_SINGLE_ISSUER",
  "IORING_SETUP_DEFER_TASKRUN",
  "IORING_SETUP_KNOWN",
  "IORING_SETUP_MODELLED",
  "IORING_SQ_NEED_WAKEUP",
  "IORING_SQ_CQ_OVERFLOW",
  "IORING_SQ_TASKRUN",
  "IORING_ENTER_GETEVENTS",
  "IORING_ENTER_SQ_WAKEUP",
  "IORING_ENTER_SQ_WAIT",
  "O_RDONLY",
  "O_WRONLY",
  "O_RDWR",
  "O_ACCMODE",
  "O_DIRECT",
  "IORING_RSRC_UPDATE_EXTENDED",
  "RO_SQ_HEAD",
  "RO_SQ_TAIL",
  "RO_CQ_HEAD",
  "RO_CQ_TAIL",
  "RO_SQ_MASK",
  "RO_CQ_MASK",
  "RO_SQ_ENTRIES",
  "RO_CQ_ENTRIES",
  "RO_SQ_DROPPED",
  "RO_SQ_FLAGS",
  "RO_CQ_FLAGS",
  "RO_CQ_OVERFLOW",
  "RO_CQES",
  "SQE_SIZE",
  "CQE_SIZE",
  "SQE_OPCODE",
  "SQE_FLAGS",
  "SQE_IOPRIO",
  "SQE_FD",
  "SQE_OFF",
  "SQE_ADDR",
  "SQE_LEN",
  "SQE_RW_FLAGS",
  "SQE_USER_DATA",
  "SQE_BUF_INDEX",
  "SQE_PERSONALITY",
  "SQE_FILE_INDEX",
  "SQE_ADDR3",
  "CQE_USER_DATA",
  "CQE_RES",
  "CQE_FLAGS",
] as const;
