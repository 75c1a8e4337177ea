// Kernel uAPI constants and layouts (include/uapi/linux/io_uring.h,
// asm-generic/errno.h, fcntl.h) used by the data path: the one definition.
// tools/gen_abi.ts generates the TypeScript side (src/uapi.generated.ts) and
// uapi_table.generated.ts from this file; keep it to `export const NAME: type =
// constant expression;` lines and comments.

// errno
export const EPERM: i32 = 1;
export const EIO: i32 = 5;
export const ENXIO: i32 = 6;
export const EBADF: i32 = 9;
export const EAGAIN: i32 = 11;
export const ENOMEM: i32 = 12;
export const EFAULT: i32 = 14;
export const EBUSY: i32 = 16;
export const EINVAL: i32 = 22;
export const EFBIG: i32 = 27;
export const ENOSPC: i32 = 28;
export const EDEADLK: i32 = 35;
export const EOPNOTSUPP: i32 = 95;
export const ECANCELED: i32 = 125;

// opcodes
export const IORING_OP_NOP: u8 = 0;
export const IORING_OP_READV: u8 = 1;
export const IORING_OP_WRITEV: u8 = 2;
export const IORING_OP_READ_FIXED: u8 = 4;
export const IORING_OP_WRITE_FIXED: u8 = 5;
export const IORING_OP_READ: u8 = 22;
export const IORING_OP_WRITE: u8 = 23;
export const IORING_OP_READV_FIXED: u8 = 60;
export const IORING_OP_WRITEV_FIXED: u8 = 61;
export const IORING_OP_LAST: u8 = 63;

// sqe->flags
export const IOSQE_FIXED_FILE: u8 = 1 << 0;
export const IOSQE_IO_DRAIN: u8 = 1 << 1;
export const IOSQE_IO_LINK: u8 = 1 << 2;
export const IOSQE_IO_HARDLINK: u8 = 1 << 3;
export const IOSQE_ASYNC: u8 = 1 << 4;
export const IOSQE_BUFFER_SELECT: u8 = 1 << 5;
export const IOSQE_CQE_SKIP_SUCCESS: u8 = 1 << 6;
export const SQE_VALID_FLAGS: u8 = 0x7f;

// nop_flags
export const IORING_NOP_INJECT_RESULT: u32 = 1 << 0;
export const IORING_NOP_FILE: u32 = 1 << 1;
export const IORING_NOP_FIXED_FILE: u32 = 1 << 2;
export const IORING_NOP_FIXED_BUFFER: u32 = 1 << 3;
export const NOP_FLAGS: u32 = 0xf;

// setup flags
export const IORING_SETUP_IOPOLL: u32 = 1 << 0;
export const IORING_SETUP_SQPOLL: u32 = 1 << 1;
export const IORING_SETUP_SQ_AFF: u32 = 1 << 2;
export const IORING_SETUP_CQSIZE: u32 = 1 << 3;
export const IORING_SETUP_CLAMP: u32 = 1 << 4;
export const IORING_SETUP_SUBMIT_ALL: u32 = 1 << 7;
export const IORING_SETUP_COOP_TASKRUN: u32 = 1 << 8;
export const IORING_SETUP_TASKRUN_FLAG: u32 = 1 << 9;
export const IORING_SETUP_SINGLE_ISSUER: u32 = 1 << 12;
export const IORING_SETUP_DEFER_TASKRUN: u32 = 1 << 13;
/** Every flag the kernel (6.16) knows; bits outside are -EINVAL. */
export const IORING_SETUP_KNOWN: u32 = (1 << 18) - 1;
/**
 * The flags dmasim models; known-but-unmodelled ones (SQPOLL and SQ_AFF among
 * them: no kernel submission thread is simulated) are -EOPNOTSUPP.
 */
export const IORING_SETUP_MODELLED: u32 =
  IORING_SETUP_IOPOLL | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL |
  IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

// sq_flags
export const IORING_SQ_NEED_WAKEUP: u32 = 1 << 0;
export const IORING_SQ_CQ_OVERFLOW: u32 = 1 << 1;
export const IORING_SQ_TASKRUN: u32 = 1 << 2;

// enter flags
export const IORING_ENTER_GETEVENTS: u32 = 1 << 0;
export const IORING_ENTER_SQ_WAKEUP: u32 = 1 << 1;
export const IORING_ENTER_SQ_WAIT: u32 = 1 << 2;

// open flags (asm-generic/fcntl.h)
export const O_RDONLY: u32 = 0;
export const O_WRONLY: u32 = 1;
export const O_RDWR: u32 = 2;
export const O_ACCMODE: u32 = 3;
export const O_DIRECT: u32 = 0o40000;
export const IORING_RSRC_UPDATE_EXTENDED: u32 = 1 << 1;

// Ring memory layout: offsets into the "rings" block (struct io_rings; head
// and tail words on their own cache lines as in the kernel).
export const RO_SQ_HEAD: u32 = 0;
export const RO_SQ_TAIL: u32 = 64;
export const RO_CQ_HEAD: u32 = 128;
export const RO_CQ_TAIL: u32 = 192;
export const RO_SQ_MASK: u32 = 256;
export const RO_CQ_MASK: u32 = 260;
export const RO_SQ_ENTRIES: u32 = 264;
export const RO_CQ_ENTRIES: u32 = 268;
export const RO_SQ_DROPPED: u32 = 272;
export const RO_SQ_FLAGS: u32 = 276;
export const RO_CQ_FLAGS: u32 = 280;
export const RO_CQ_OVERFLOW: u32 = 284;
export const RO_CQES: u32 = 320;
export const SQE_SIZE: u32 = 64;
export const CQE_SIZE: u32 = 16;

// struct io_uring_sqe: field offsets
export const SQE_OPCODE: u32 = 0; // u8
export const SQE_FLAGS: u32 = 1; // u8 IOSQE_*
export const SQE_IOPRIO: u32 = 2; // u16
export const SQE_FD: u32 = 4; // i32
export const SQE_OFF: u32 = 8; // u64
export const SQE_ADDR: u32 = 16; // u64
export const SQE_LEN: u32 = 24; // u32
export const SQE_RW_FLAGS: u32 = 28; // u32 (rw_flags, nop_flags)
export const SQE_USER_DATA: u32 = 32; // u64
export const SQE_BUF_INDEX: u32 = 40; // u16
export const SQE_PERSONALITY: u32 = 42; // u16
export const SQE_FILE_INDEX: u32 = 44; // u32
export const SQE_ADDR3: u32 = 48; // u64

// struct io_uring_cqe: field offsets
export const CQE_USER_DATA: u32 = 0; // u64
export const CQE_RES: u32 = 8; // i32
export const CQE_FLAGS: u32 = 12; // u32
