// Kernel uAPI constants and layouts (include/uapi/linux/io_uring.h,
// asm-generic/errno.h, fcntl.h) used by the data path: the one definition.
// tools/gen_abi.ts generates the TypeScript side (src/uapi.generated.ts) and
// uapi_table.generated.ts from this file; keep it to `export const NAME: type =
// constant expression;` lines and comments.

// errno
/** Operation not permitted. */
export const EPERM: i32 = 1;
/** No such file or directory. */
export const ENOENT: i32 = 2;
/** I/O error. */
export const EIO: i32 = 5;
/** No such device or address. */
export const ENXIO: i32 = 6;
/** Bad file descriptor. */
export const EBADF: i32 = 9;
/** Try again. */
export const EAGAIN: i32 = 11;
/** Out of memory. */
export const ENOMEM: i32 = 12;
/** Bad address. */
export const EFAULT: i32 = 14;
/** Device or resource busy. */
export const EBUSY: i32 = 16;
/** No such device. */
export const ENODEV: i32 = 19;
/** Invalid argument. */
export const EINVAL: i32 = 22;
/** Too many open files. */
export const EMFILE: i32 = 24;
/** File too large. */
export const EFBIG: i32 = 27;
/** No space left on device. */
export const ENOSPC: i32 = 28;
/** Resource deadlock would occur: dmasim's answer to a wait that could never end. */
export const EDEADLK: i32 = 35;
/** No data available (a media error: BLK_STS_MEDIUM). */
export const ENODATA: i32 = 61;
/** Illegal byte sequence: fio's verify failure (EILSEQ, verify.c). */
export const EILSEQ: i32 = 84;
/** Operation not supported. */
export const EOPNOTSUPP: i32 = 95;
/** Value too large for defined data type. */
export const EOVERFLOW: i32 = 75;
/** Operation canceled. */
export const ECANCELED: i32 = 125;

// opcodes
/** Do nothing. */
export const IORING_OP_NOP: u8 = 0;
/** Vectored read. */
export const IORING_OP_READV: u8 = 1;
/** Vectored write. */
export const IORING_OP_WRITEV: u8 = 2;
/** Read into a registered buffer. */
export const IORING_OP_READ_FIXED: u8 = 4;
/** Write from a registered buffer. */
export const IORING_OP_WRITE_FIXED: u8 = 5;
/** Read. */
export const IORING_OP_READ: u8 = 22;
/** Write. */
export const IORING_OP_WRITE: u8 = 23;
/** Vectored read into a registered buffer. */
export const IORING_OP_READV_FIXED: u8 = 60;
/** Vectored write from a registered buffer. */
export const IORING_OP_WRITEV_FIXED: u8 = 61;
/** One past the last opcode (Linux 6.18, checked against the running kernel); opcodes at or above are -EINVAL. */
export const IORING_OP_LAST: u8 = 63;

// sqe->flags
/** fd is an index into the registered file table. */
export const IOSQE_FIXED_FILE: u8 = 1 << 0;
/** Issue after all earlier requests completed. */
export const IOSQE_IO_DRAIN: u8 = 1 << 1;
/** Link with the next SQE; a failure cancels the rest. */
export const IOSQE_IO_LINK: u8 = 1 << 2;
/** Link that continues past failures. */
export const IOSQE_IO_HARDLINK: u8 = 1 << 3;
/** Always go async (io-wq). */
export const IOSQE_ASYNC: u8 = 1 << 4;
/** Select a provided buffer. */
export const IOSQE_BUFFER_SELECT: u8 = 1 << 5;
/** Post no CQE when the request succeeds. */
export const IOSQE_CQE_SKIP_SUCCESS: u8 = 1 << 6;
export const SQE_VALID_FLAGS: u8 = 0x7f;

// nop_flags
/** NOP completes with sqe->len as its result. */
export const IORING_NOP_INJECT_RESULT: u32 = 1 << 0;
/** NOP looks up sqe->fd. */
export const IORING_NOP_FILE: u32 = 1 << 1;
/** NOP's fd is a registered file index. */
export const IORING_NOP_FIXED_FILE: u32 = 1 << 2;
/** NOP looks up sqe->buf_index in the buffer table. */
export const IORING_NOP_FIXED_BUFFER: u32 = 1 << 3;
/** Complete the NOP from task work instead of inline. */
export const IORING_NOP_TW: u32 = 1 << 4;
/** Post a 32-byte CQE (needs a CQE32 or CQE_MIXED ring: not modelled, so -EINVAL). */
export const IORING_NOP_CQE32: u32 = 1 << 5;
/** Every nop_flags bit 6.18 knows (io_uring/nop.c NOP_FLAGS). */
export const NOP_FLAGS: u32 = 0x3f;

// setup flags
/** Busy-poll for completions (polled I/O). */
export const IORING_SETUP_IOPOLL: u32 = 1 << 0;
/** A kernel thread polls the SQ. */
export const IORING_SETUP_SQPOLL: u32 = 1 << 1;
/** SQPOLL thread pinned to sq_thread_cpu. */
export const IORING_SETUP_SQ_AFF: u32 = 1 << 2;
/** cq_entries is given by the caller. */
export const IORING_SETUP_CQSIZE: u32 = 1 << 3;
/** Clamp entries to the maximum instead of failing. */
export const IORING_SETUP_CLAMP: u32 = 1 << 4;
/** Keep submitting past a failed SQE. */
export const IORING_SETUP_SUBMIT_ALL: u32 = 1 << 7;
/** Cooperative task running. */
export const IORING_SETUP_COOP_TASKRUN: u32 = 1 << 8;
/** Set IORING_SQ_TASKRUN when task work is pending. */
export const IORING_SETUP_TASKRUN_FLAG: u32 = 1 << 9;
/** Only one task submits. */
export const IORING_SETUP_SINGLE_ISSUER: u32 = 1 << 12;
/** Defer task work to io_uring_enter(GETEVENTS). */
export const IORING_SETUP_DEFER_TASKRUN: u32 = 1 << 13;
export const IORING_SETUP_SQE128: u32 = 1 << 10;
export const IORING_SETUP_CQE32: u32 = 1 << 11;
export const IORING_SETUP_NO_MMAP: u32 = 1 << 14;
export const IORING_SETUP_REGISTERED_FD_ONLY: u32 = 1 << 15;
/** The SQ has no index array: the head indexes the SQEs directly. */
export const IORING_SETUP_NO_SQARRAY: u32 = 1 << 16;
/** IOPOLL that sleeps before polling (modelled as IOPOLL); needs IORING_SETUP_IOPOLL. */
export const IORING_SETUP_HYBRID_IOPOLL: u32 = 1 << 17;
export const IORING_SETUP_CQE_MIXED: u32 = 1 << 18;
/** Every flag the kernel (6.18) knows; bits outside are -EINVAL. */
export const IORING_SETUP_KNOWN: u32 = (1 << 19) - 1;
/**
 * The flags dmasim models; known-but-unmodelled ones (SQPOLL and SQ_AFF among
 * them: no kernel submission thread is simulated) are -EOPNOTSUPP.
 */
export const IORING_SETUP_MODELLED: u32 =
  IORING_SETUP_IOPOLL | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL |
  IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
  IORING_SETUP_NO_SQARRAY | IORING_SETUP_HYBRID_IOPOLL;

// sq_flags
/** SQPOLL thread needs a wakeup. */
export const IORING_SQ_NEED_WAKEUP: u32 = 1 << 0;
/** CQEs are waiting in the overflow list. */
export const IORING_SQ_CQ_OVERFLOW: u32 = 1 << 1;
/** Task work is pending. */
export const IORING_SQ_TASKRUN: u32 = 1 << 2;

// enter flags
/** Wait for / reap completions. */
export const IORING_ENTER_GETEVENTS: u32 = 1 << 0;
export const IORING_ENTER_SQ_WAKEUP: u32 = 1 << 1;
export const IORING_ENTER_SQ_WAIT: u32 = 1 << 2;

// open flags (asm-generic/fcntl.h)
/** Open for reading only. */
export const O_RDONLY: u32 = 0;
/** Open for writing only. */
export const O_WRONLY: u32 = 1;
/** Open for reading and writing. */
export const O_RDWR: u32 = 2;
/** The access-mode bits of open flags. */
export const O_ACCMODE: u32 = 3;
/** Direct I/O: bypass the page cache; DMA straight to the buffer. */
export const O_DIRECT: u32 = 0o40000;

// io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types
/** io_uring_register: register buffers. */
export const IORING_REGISTER_BUFFERS: u32 = 0;
/** io_uring_register: unregister buffers. */
export const IORING_UNREGISTER_BUFFERS: u32 = 1;
/** io_uring_register: register files. */
export const IORING_REGISTER_FILES: u32 = 2;
/** io_uring_register: unregister files. */
export const IORING_UNREGISTER_FILES: u32 = 3;
/** io_uring_register: create a sparse or tagged buffer table. */
export const IORING_REGISTER_BUFFERS2: u32 = 15;
/** io_uring_register: update buffer slots (struct io_uring_rsrc_update2). */
export const IORING_REGISTER_BUFFERS_UPDATE: u32 = 16;
/** io_uring_rsrc_register flag: a sparse table. */
export const IORING_RSRC_REGISTER_SPARSE: u32 = 1 << 0;
/** rsrc_update2 flag (dma-buf series v3): data points at io_uring_regbuf descriptors. */
export const IORING_RSRC_UPDATE_EXTENDED: u32 = 1 << 1;
/** IORING_MAX_REG_BUFFERS (io_uring/rsrc.h): slots a buffer table may have. */
export const IORING_MAX_REG_BUFFERS: u32 = 1 << 14;
/** IORING_MAX_FIXED_FILES (io_uring/rsrc.h): slots a registered file table may have. */
export const IORING_MAX_FIXED_FILES: u32 = 1 << 20;
/** SZ_1G (linux/sizes.h): io_buffer_validate's largest registered buffer, and the series' largest dma-buf. */
export const SZ_1G: u64 = 1 << 30;
/** Registered buffer descriptor type: empty slot. */
export const IO_REGBUF_TYPE_EMPTY: u32 = 0;
/** Registered buffer descriptor type: user memory. */
export const IO_REGBUF_TYPE_UADDR: u32 = 1;
/** Registered buffer descriptor type: a dma-buf for one target file. */
export const IO_REGBUF_TYPE_DMABUF: u32 = 2;

// rw_flags
/** RWF_NOWAIT: do not block (dma-buf requests with no live map get -EAGAIN). */
export const RWF_NOWAIT: u32 = 8;

// memfd_create flags and memfd seals (linux/memfd.h, linux/fcntl.h)
/** memfd_create: close on exec. */
export const MFD_CLOEXEC: u32 = 1;
/** memfd_create: allow sealing. */
export const MFD_ALLOW_SEALING: u32 = 2;
/** Seal: no more seals. */
export const F_SEAL_SEAL: u32 = 1;
/** Seal: no shrinking (udmabuf requires it). */
export const F_SEAL_SHRINK: u32 = 2;
/** Seal: no growing. */
export const F_SEAL_GROW: u32 = 4;
/** Seal: no writes (udmabuf refuses it). */
export const F_SEAL_WRITE: u32 = 8;

// dmasim's file table: what a descriptor refers to (not a kernel uAPI: the
// type word fs/files.ts keeps per descriptor, which the control path in
// TypeScript reads through fd_describe to make the kernel's fd checks)
/** A free descriptor (or one the program may not name). */
export const FT_NONE: u8 = 0;
/** stdin/stdout/stderr: valid descriptors, not block devices. */
export const FT_TTY: u8 = 1;
/** An NVMe namespace's block device (obj = namespace index). */
export const FT_BLKDEV: u8 = 2;
/** An io_uring instance (obj = ring id). */
export const FT_RING: u8 = 3;
/** A dma-buf (obj = dma-buf id). */
export const FT_DMABUF: u8 = 4;
/** A memfd (obj = memfd id). */
export const FT_MEMFD: u8 = 5;
/** Some other file (e.g. /dev/udmabuf, a regular file). */
export const FT_REG: u8 = 6;
/** A stacked block device: dm-linear, dm-stripe, md raid1 (obj = its index). */
export const FT_STACKED: u8 = 7;
// struct fd_describe (fd_describe's answer, written at its `out`): field offsets
export const FDD_OBJ: u32 = 0; // i32 the object's index in its layer
export const FDD_FLAGS: u32 = 4; // u32 O_* flags the file was opened with
export const FDD_FILE: u32 = 8; // u32 struct file identity
/** sizeof(struct fd_describe). */
export const FDD_SIZE: u32 = 12;

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
export const SQE_PAD2: u32 = 56; // u64 __pad2[1]

// struct io_uring_cqe: field offsets
export const CQE_USER_DATA: u32 = 0; // u64
export const CQE_RES: u32 = 8; // i32
export const CQE_FLAGS: u32 = 12; // u32

// struct io_uring_rsrc_update2 (IORING_REGISTER_BUFFERS_UPDATE): field offsets
export const RSRC_UPDATE2_OFFSET: u32 = 0; // u32 first slot
export const RSRC_UPDATE2_FLAGS: u32 = 4; // u32 (resv before the series; IORING_RSRC_UPDATE_EXTENDED)
export const RSRC_UPDATE2_DATA: u32 = 8; // u64 iovecs or regbuf descriptors
export const RSRC_UPDATE2_TAGS: u32 = 16; // u64
export const RSRC_UPDATE2_NR: u32 = 24; // u32
export const RSRC_UPDATE2_RESV2: u32 = 28; // u32, must be 0
/** sizeof(struct io_uring_rsrc_update2): the nr_args io_uring_register requires. */
export const RSRC_UPDATE2_SIZE: u32 = 32;

// struct io_uring_regbuf (the dma-buf series v3): field offsets
export const REGBUF_TYPE: u32 = 0; // u32 IO_REGBUF_TYPE_*
export const REGBUF_FLAGS: u32 = 4; // u32, must be 0
export const REGBUF_SIZE_OFF: u32 = 8; // u64
export const REGBUF_UADDR: u32 = 16; // u64
export const REGBUF_DMABUF_FD: u32 = 24; // i32
export const REGBUF_TARGET_FD: u32 = 28; // i32
export const REGBUF_RESV: u32 = 32; // u64[6], must be 0
/** Reserved words of a regbuf descriptor. */
export const REGBUF_RESV_WORDS: u32 = 6;
/** sizeof(struct io_uring_regbuf). */
export const REGBUF_SIZE: u32 = 80;

// struct iovec: field offsets
export const IOVEC_BASE: u32 = 0; // u64
export const IOVEC_LEN: u32 = 8; // u64
/** sizeof(struct iovec). */
export const IOVEC_SIZE: u32 = 16;

// NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets
export const NVME_CMD_OPCODE: u32 = 0; // u8
export const NVME_CMD_FLAGS_OFF: u32 = 1; // u8: FUSE, PSDT (bits 7:6)
export const NVME_CMD_CID: u32 = 2; // u16 command identifier
export const NVME_CMD_NSID: u32 = 4; // u32
export const NVME_CMD_PRP1_OFF: u32 = 24; // u64 DPTR: PRP entry 1
export const NVME_CMD_PRP2_OFF: u32 = 32; // u64 DPTR: PRP entry 2
export const NVME_CMD_SGL1_OFF: u32 = 24; // 16-byte SGL descriptor (DPTR when PSDT != 0)
export const NVME_CMD_SLBA: u32 = 40; // u64 starting LBA
export const NVME_CMD_NLB: u32 = 48; // u16 number of logical blocks, 0's based
/** Size of an NVMe submission queue entry. */
export const NVME_CMD_SIZE: u32 = 64;

// NVMe SGL descriptor (NVMe base spec 2.0 §4.1.8): field offsets
export const NVME_SGL_ADDR: u32 = 0; // u64
export const NVME_SGL_LENGTH: u32 = 8; // u32
export const NVME_SGL_TYPE_BYTE: u32 = 15; // type (bits 7:4), subtype (bits 3:0)

