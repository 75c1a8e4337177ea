/**
 * Kernel uAPI values and layouts, generated from asm/sim/uapi.ts (the one
 * definition): do not edit; run `deno task gen:abi`.
 *
 * @module
 */
/** errno: Operation not permitted. */
export const EPERM = 1;
/** errno: No such file or directory. */
export const ENOENT = 2;
/** errno: I/O error. */
export const EIO = 5;
/** errno: No such device or address. */
export const ENXIO = 6;
/** errno: Bad file descriptor. */
export const EBADF = 9;
/** errno: Try again. */
export const EAGAIN = 11;
/** errno: Out of memory. */
export const ENOMEM = 12;
/** errno: Bad address. */
export const EFAULT = 14;
/** errno: Device or resource busy. */
export const EBUSY = 16;
/** errno: No such device. */
export const ENODEV = 19;
/** errno: Invalid argument. */
export const EINVAL = 22;
/** errno: Too many open files. */
export const EMFILE = 24;
/** errno: File too large. */
export const EFBIG = 27;
/** errno: No space left on device. */
export const ENOSPC = 28;
/** errno: Resource deadlock would occur: dmasim's answer to a wait that could never end. */
export const EDEADLK = 35;
/** errno: No data available (a media error: BLK_STS_MEDIUM). */
export const ENODATA = 61;
/** errno: Illegal byte sequence: fio's verify failure (EILSEQ, verify.c). */
export const EILSEQ = 84;
/** errno: Operation not supported. */
export const EOPNOTSUPP = 95;
/** errno: Value too large for defined data type. */
export const EOVERFLOW = 75;
/** errno: Operation canceled. */
export const ECANCELED = 125;
/** opcodes: Do nothing. */
export const IORING_OP_NOP = 0;
/** opcodes: Vectored read. */
export const IORING_OP_READV = 1;
/** opcodes: Vectored write. */
export const IORING_OP_WRITEV = 2;
/** opcodes: Read into a registered buffer. */
export const IORING_OP_READ_FIXED = 4;
/** opcodes: Write from a registered buffer. */
export const IORING_OP_WRITE_FIXED = 5;
/** opcodes: Read. */
export const IORING_OP_READ = 22;
/** opcodes: Write. */
export const IORING_OP_WRITE = 23;
/** opcodes: Vectored read into a registered buffer. */
export const IORING_OP_READV_FIXED = 60;
/** opcodes: Vectored write from a registered buffer. */
export const IORING_OP_WRITEV_FIXED = 61;
/** opcodes: One past the last opcode (Linux 6.18, checked against the running kernel); opcodes at or above are -EINVAL. */
export const IORING_OP_LAST = 63;
/** sqe->flags: fd is an index into the registered file table. */
export const IOSQE_FIXED_FILE = 1;
/** sqe->flags: Issue after all earlier requests completed. */
export const IOSQE_IO_DRAIN = 2;
/** sqe->flags: Link with the next SQE; a failure cancels the rest. */
export const IOSQE_IO_LINK = 4;
/** sqe->flags: Link that continues past failures. */
export const IOSQE_IO_HARDLINK = 8;
/** sqe->flags: Always go async (io-wq). */
export const IOSQE_ASYNC = 16;
/** sqe->flags: Select a provided buffer. */
export const IOSQE_BUFFER_SELECT = 32;
/** sqe->flags: Post no CQE when the request succeeds. */
export const IOSQE_CQE_SKIP_SUCCESS = 64;
/** sqe->flags */
export const SQE_VALID_FLAGS = 127;
/** nop_flags: NOP completes with sqe->len as its result. */
export const IORING_NOP_INJECT_RESULT = 1;
/** nop_flags: NOP looks up sqe->fd. */
export const IORING_NOP_FILE = 2;
/** nop_flags: NOP's fd is a registered file index. */
export const IORING_NOP_FIXED_FILE = 4;
/** nop_flags: NOP looks up sqe->buf_index in the buffer table. */
export const IORING_NOP_FIXED_BUFFER = 8;
/** nop_flags: Complete the NOP from task work instead of inline. */
export const IORING_NOP_TW = 16;
/** nop_flags: Post a 32-byte CQE (needs a CQE32 or CQE_MIXED ring: not modelled, so -EINVAL). */
export const IORING_NOP_CQE32 = 32;
/** nop_flags: Every nop_flags bit 6.18 knows (io_uring/nop.c NOP_FLAGS). */
export const NOP_FLAGS = 63;
/** setup flags: Busy-poll for completions (polled I/O). */
export const IORING_SETUP_IOPOLL = 1;
/** setup flags: A kernel thread polls the SQ. */
export const IORING_SETUP_SQPOLL = 2;
/** setup flags: SQPOLL thread pinned to sq_thread_cpu. */
export const IORING_SETUP_SQ_AFF = 4;
/** setup flags: cq_entries is given by the caller. */
export const IORING_SETUP_CQSIZE = 8;
/** setup flags: Clamp entries to the maximum instead of failing. */
export const IORING_SETUP_CLAMP = 16;
/** setup flags: Keep submitting past a failed SQE. */
export const IORING_SETUP_SUBMIT_ALL = 128;
/** setup flags: Cooperative task running. */
export const IORING_SETUP_COOP_TASKRUN = 256;
/** setup flags: Set IORING_SQ_TASKRUN when task work is pending. */
export const IORING_SETUP_TASKRUN_FLAG = 512;
/** setup flags: Only one task submits. */
export const IORING_SETUP_SINGLE_ISSUER = 4096;
/** setup flags: Defer task work to io_uring_enter(GETEVENTS). */
export const IORING_SETUP_DEFER_TASKRUN = 8192;
/** setup flags */
export const IORING_SETUP_SQE128 = 1024;
/** setup flags */
export const IORING_SETUP_CQE32 = 2048;
/** setup flags */
export const IORING_SETUP_NO_MMAP = 16384;
/** setup flags */
export const IORING_SETUP_REGISTERED_FD_ONLY = 32768;
/** setup flags: The SQ has no index array: the head indexes the SQEs directly. */
export const IORING_SETUP_NO_SQARRAY = 65536;
/** setup flags: IOPOLL that sleeps before polling (modelled as IOPOLL); needs IORING_SETUP_IOPOLL. */
export const IORING_SETUP_HYBRID_IOPOLL = 131072;
/** setup flags */
export const IORING_SETUP_CQE_MIXED = 262144;
/** setup flags: Every flag the kernel (6.18) knows; bits outside are -EINVAL. */
export const IORING_SETUP_KNOWN = 524287;
/** setup flags: The flags dmasim models; known-but-unmodelled ones (SQPOLL and SQ_AFF among them: no kernel submission thread is simulated) are -EOPNOTSUPP. */
export const IORING_SETUP_MODELLED = 209817;
/** sq_flags: SQPOLL thread needs a wakeup. */
export const IORING_SQ_NEED_WAKEUP = 1;
/** sq_flags: CQEs are waiting in the overflow list. */
export const IORING_SQ_CQ_OVERFLOW = 2;
/** sq_flags: Task work is pending. */
export const IORING_SQ_TASKRUN = 4;
/** enter flags: Wait for / reap completions. */
export const IORING_ENTER_GETEVENTS = 1;
/** enter flags */
export const IORING_ENTER_SQ_WAKEUP = 2;
/** enter flags */
export const IORING_ENTER_SQ_WAIT = 4;
/** open flags (asm-generic/fcntl.h): Open for reading only. */
export const O_RDONLY = 0;
/** open flags (asm-generic/fcntl.h): Open for writing only. */
export const O_WRONLY = 1;
/** open flags (asm-generic/fcntl.h): Open for reading and writing. */
export const O_RDWR = 2;
/** open flags (asm-generic/fcntl.h): The access-mode bits of open flags. */
export const O_ACCMODE = 3;
/** open flags (asm-generic/fcntl.h): Direct I/O: bypass the page cache; DMA straight to the buffer. */
export const O_DIRECT = 16384;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: io_uring_register: register buffers. */
export const IORING_REGISTER_BUFFERS = 0;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: io_uring_register: unregister buffers. */
export const IORING_UNREGISTER_BUFFERS = 1;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: io_uring_register: register files. */
export const IORING_REGISTER_FILES = 2;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: io_uring_register: unregister files. */
export const IORING_UNREGISTER_FILES = 3;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: io_uring_register: create a sparse or tagged buffer table. */
export const IORING_REGISTER_BUFFERS2 = 15;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: io_uring_register: update buffer slots (struct io_uring_rsrc_update2). */
export const IORING_REGISTER_BUFFERS_UPDATE = 16;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: io_uring_rsrc_register flag: a sparse table. */
export const IORING_RSRC_REGISTER_SPARSE = 1;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: rsrc_update2 flag (dma-buf series v3): data points at io_uring_regbuf descriptors. */
export const IORING_RSRC_UPDATE_EXTENDED = 2;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: IORING_MAX_REG_BUFFERS (io_uring/rsrc.h): slots a buffer table may have. */
export const IORING_MAX_REG_BUFFERS = 16384;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: IORING_MAX_FIXED_FILES (io_uring/rsrc.h): slots a registered file table may have. */
export const IORING_MAX_FIXED_FILES = 1048576;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: SZ_1G (linux/sizes.h): io_buffer_validate's largest registered buffer, and the series' largest dma-buf. */
export const SZ_1G = 1073741824;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: Registered buffer descriptor type: empty slot. */
export const IO_REGBUF_TYPE_EMPTY = 0;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: Registered buffer descriptor type: user memory. */
export const IO_REGBUF_TYPE_UADDR = 1;
/** io_uring_register opcodes, resource flags and the v3 dma-buf series' descriptor types: Registered buffer descriptor type: a dma-buf for one target file. */
export const IO_REGBUF_TYPE_DMABUF = 2;
/** rw_flags: RWF_NOWAIT: do not block (dma-buf requests with no live map get -EAGAIN). */
export const RWF_NOWAIT = 8;
/** memfd_create flags and memfd seals (linux/memfd.h, linux/fcntl.h): memfd_create: close on exec. */
export const MFD_CLOEXEC = 1;
/** memfd_create flags and memfd seals (linux/memfd.h, linux/fcntl.h): memfd_create: allow sealing. */
export const MFD_ALLOW_SEALING = 2;
/** memfd_create flags and memfd seals (linux/memfd.h, linux/fcntl.h): Seal: no more seals. */
export const F_SEAL_SEAL = 1;
/** memfd_create flags and memfd seals (linux/memfd.h, linux/fcntl.h): Seal: no shrinking (udmabuf requires it). */
export const F_SEAL_SHRINK = 2;
/** memfd_create flags and memfd seals (linux/memfd.h, linux/fcntl.h): Seal: no growing. */
export const F_SEAL_GROW = 4;
/** memfd_create flags and memfd seals (linux/memfd.h, linux/fcntl.h): Seal: no writes (udmabuf refuses it). */
export const F_SEAL_WRITE = 8;
/** dmasim's file table: what a descriptor refers to (not a kernel uAPI: the type word fs/files.ts keeps per descriptor, which the control path in TypeScript reads through fd_describe to make the kernel's fd checks): A free descriptor (or one the program may not name). */
export const FT_NONE = 0;
/** dmasim's file table: what a descriptor refers to (not a kernel uAPI: the type word fs/files.ts keeps per descriptor, which the control path in TypeScript reads through fd_describe to make the kernel's fd checks): stdin/stdout/stderr: valid descriptors, not block devices. */
export const FT_TTY = 1;
/** dmasim's file table: what a descriptor refers to (not a kernel uAPI: the type word fs/files.ts keeps per descriptor, which the control path in TypeScript reads through fd_describe to make the kernel's fd checks): An NVMe namespace's block device (obj = namespace index). */
export const FT_BLKDEV = 2;
/** dmasim's file table: what a descriptor refers to (not a kernel uAPI: the type word fs/files.ts keeps per descriptor, which the control path in TypeScript reads through fd_describe to make the kernel's fd checks): An io_uring instance (obj = ring id). */
export const FT_RING = 3;
/** dmasim's file table: what a descriptor refers to (not a kernel uAPI: the type word fs/files.ts keeps per descriptor, which the control path in TypeScript reads through fd_describe to make the kernel's fd checks): A dma-buf (obj = dma-buf id). */
export const FT_DMABUF = 4;
/** dmasim's file table: what a descriptor refers to (not a kernel uAPI: the type word fs/files.ts keeps per descriptor, which the control path in TypeScript reads through fd_describe to make the kernel's fd checks): A memfd (obj = memfd id). */
export const FT_MEMFD = 5;
/** dmasim's file table: what a descriptor refers to (not a kernel uAPI: the type word fs/files.ts keeps per descriptor, which the control path in TypeScript reads through fd_describe to make the kernel's fd checks): Some other file (e.g. /dev/udmabuf, a regular file). */
export const FT_REG = 6;
/** dmasim's file table: what a descriptor refers to (not a kernel uAPI: the type word fs/files.ts keeps per descriptor, which the control path in TypeScript reads through fd_describe to make the kernel's fd checks): A stacked block device: dm-linear, dm-stripe, md raid1 (obj = its index). */
export const FT_STACKED = 7;
/** struct fd_describe (fd_describe's answer, written at its `out`): field offsets: i32 the object's index in its layer */
export const FDD_OBJ = 0;
/** struct fd_describe (fd_describe's answer, written at its `out`): field offsets: u32 O_* flags the file was opened with */
export const FDD_FLAGS = 4;
/** struct fd_describe (fd_describe's answer, written at its `out`): field offsets: u32 struct file identity */
export const FDD_FILE = 8;
/** struct fd_describe (fd_describe's answer, written at its `out`): field offsets: sizeof(struct fd_describe). */
export const FDD_SIZE = 12;
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
/** struct io_uring_sqe: field offsets: u64 __pad2[1] */
export const SQE_PAD2 = 56;
/** struct io_uring_cqe: field offsets: u64 */
export const CQE_USER_DATA = 0;
/** struct io_uring_cqe: field offsets: i32 */
export const CQE_RES = 8;
/** struct io_uring_cqe: field offsets: u32 */
export const CQE_FLAGS = 12;
/** struct io_uring_rsrc_update2 (IORING_REGISTER_BUFFERS_UPDATE): field offsets: u32 first slot */
export const RSRC_UPDATE2_OFFSET = 0;
/** struct io_uring_rsrc_update2 (IORING_REGISTER_BUFFERS_UPDATE): field offsets: u32 (resv before the series; IORING_RSRC_UPDATE_EXTENDED) */
export const RSRC_UPDATE2_FLAGS = 4;
/** struct io_uring_rsrc_update2 (IORING_REGISTER_BUFFERS_UPDATE): field offsets: u64 iovecs or regbuf descriptors */
export const RSRC_UPDATE2_DATA = 8;
/** struct io_uring_rsrc_update2 (IORING_REGISTER_BUFFERS_UPDATE): field offsets: u64 */
export const RSRC_UPDATE2_TAGS = 16;
/** struct io_uring_rsrc_update2 (IORING_REGISTER_BUFFERS_UPDATE): field offsets: u32 */
export const RSRC_UPDATE2_NR = 24;
/** struct io_uring_rsrc_update2 (IORING_REGISTER_BUFFERS_UPDATE): field offsets: u32, must be 0 */
export const RSRC_UPDATE2_RESV2 = 28;
/** struct io_uring_rsrc_update2 (IORING_REGISTER_BUFFERS_UPDATE): field offsets: sizeof(struct io_uring_rsrc_update2): the nr_args io_uring_register requires. */
export const RSRC_UPDATE2_SIZE = 32;
/** struct io_uring_regbuf (the dma-buf series v3): field offsets: u32 IO_REGBUF_TYPE_* */
export const REGBUF_TYPE = 0;
/** struct io_uring_regbuf (the dma-buf series v3): field offsets: u32, must be 0 */
export const REGBUF_FLAGS = 4;
/** struct io_uring_regbuf (the dma-buf series v3): field offsets: u64 */
export const REGBUF_SIZE_OFF = 8;
/** struct io_uring_regbuf (the dma-buf series v3): field offsets: u64 */
export const REGBUF_UADDR = 16;
/** struct io_uring_regbuf (the dma-buf series v3): field offsets: i32 */
export const REGBUF_DMABUF_FD = 24;
/** struct io_uring_regbuf (the dma-buf series v3): field offsets: i32 */
export const REGBUF_TARGET_FD = 28;
/** struct io_uring_regbuf (the dma-buf series v3): field offsets: u64[6], must be 0 */
export const REGBUF_RESV = 32;
/** struct io_uring_regbuf (the dma-buf series v3): field offsets: Reserved words of a regbuf descriptor. */
export const REGBUF_RESV_WORDS = 6;
/** struct io_uring_regbuf (the dma-buf series v3): field offsets: sizeof(struct io_uring_regbuf). */
export const REGBUF_SIZE = 80;
/** struct iovec: field offsets: u64 */
export const IOVEC_BASE = 0;
/** struct iovec: field offsets: u64 */
export const IOVEC_LEN = 8;
/** struct iovec: field offsets: sizeof(struct iovec). */
export const IOVEC_SIZE = 16;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: u8 */
export const NVME_CMD_OPCODE = 0;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: u8: FUSE, PSDT (bits 7:6) */
export const NVME_CMD_FLAGS_OFF = 1;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: u16 command identifier */
export const NVME_CMD_CID = 2;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: u32 */
export const NVME_CMD_NSID = 4;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: u64 DPTR: PRP entry 1 */
export const NVME_CMD_PRP1_OFF = 24;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: u64 DPTR: PRP entry 2 */
export const NVME_CMD_PRP2_OFF = 32;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: 16-byte SGL descriptor (DPTR when PSDT != 0) */
export const NVME_CMD_SGL1_OFF = 24;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: u64 starting LBA */
export const NVME_CMD_SLBA = 40;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: u16 number of logical blocks, 0's based */
export const NVME_CMD_NLB = 48;
/** NVMe submission queue entry (struct nvme_rw_command, NVMe base spec 2.0 Figure 88, 97): field offsets: Size of an NVMe submission queue entry. */
export const NVME_CMD_SIZE = 64;
/** NVMe SGL descriptor (NVMe base spec 2.0 §4.1.8): field offsets: u64 */
export const NVME_SGL_ADDR = 0;
/** NVMe SGL descriptor (NVMe base spec 2.0 §4.1.8): field offsets: u32 */
export const NVME_SGL_LENGTH = 8;
/** NVMe SGL descriptor (NVMe base spec 2.0 §4.1.8): field offsets: type (bits 7:4), subtype (bits 3:0) */
export const NVME_SGL_TYPE_BYTE = 15;
/** Every constant above, in asm/sim/uapi.ts order (the index uapi_value takes). */
export const UAPI_NAMES = [
  "EPERM",
  "ENOENT",
  "EIO",
  "ENXIO",
  "EBADF",
  "EAGAIN",
  "ENOMEM",
  "EFAULT",
  "EBUSY",
  "ENODEV",
  "EINVAL",
  "EMFILE",
  "EFBIG",
  "ENOSPC",
  "EDEADLK",
  "ENODATA",
  "EILSEQ",
  "EOPNOTSUPP",
  "EOVERFLOW",
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
  "IORING_NOP_TW",
  "IORING_NOP_CQE32",
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
  "IORING_SETUP_SQE128",
  "IORING_SETUP_CQE32",
  "IORING_SETUP_NO_MMAP",
  "IORING_SETUP_REGISTERED_FD_ONLY",
  "IORING_SETUP_NO_SQARRAY",
  "IORING_SETUP_HYBRID_IOPOLL",
  "IORING_SETUP_CQE_MIXED",
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
  "IORING_REGISTER_BUFFERS",
  "IORING_UNREGISTER_BUFFERS",
  "IORING_REGISTER_FILES",
  "IORING_UNREGISTER_FILES",
  "IORING_REGISTER_BUFFERS2",
  "IORING_REGISTER_BUFFERS_UPDATE",
  "IORING_RSRC_REGISTER_SPARSE",
  "IORING_RSRC_UPDATE_EXTENDED",
  "IORING_MAX_REG_BUFFERS",
  "IORING_MAX_FIXED_FILES",
  "SZ_1G",
  "IO_REGBUF_TYPE_EMPTY",
  "IO_REGBUF_TYPE_UADDR",
  "IO_REGBUF_TYPE_DMABUF",
  "RWF_NOWAIT",
  "MFD_CLOEXEC",
  "MFD_ALLOW_SEALING",
  "F_SEAL_SEAL",
  "F_SEAL_SHRINK",
  "F_SEAL_GROW",
  "F_SEAL_WRITE",
  "FT_NONE",
  "FT_TTY",
  "FT_BLKDEV",
  "FT_RING",
  "FT_DMABUF",
  "FT_MEMFD",
  "FT_REG",
  "FT_STACKED",
  "FDD_OBJ",
  "FDD_FLAGS",
  "FDD_FILE",
  "FDD_SIZE",
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
  "SQE_PAD2",
  "CQE_USER_DATA",
  "CQE_RES",
  "CQE_FLAGS",
  "RSRC_UPDATE2_OFFSET",
  "RSRC_UPDATE2_FLAGS",
  "RSRC_UPDATE2_DATA",
  "RSRC_UPDATE2_TAGS",
  "RSRC_UPDATE2_NR",
  "RSRC_UPDATE2_RESV2",
  "RSRC_UPDATE2_SIZE",
  "REGBUF_TYPE",
  "REGBUF_FLAGS",
  "REGBUF_SIZE_OFF",
  "REGBUF_UADDR",
  "REGBUF_DMABUF_FD",
  "REGBUF_TARGET_FD",
  "REGBUF_RESV",
  "REGBUF_RESV_WORDS",
  "REGBUF_SIZE",
  "IOVEC_BASE",
  "IOVEC_LEN",
  "IOVEC_SIZE",
  "NVME_CMD_OPCODE",
  "NVME_CMD_FLAGS_OFF",
  "NVME_CMD_CID",
  "NVME_CMD_NSID",
  "NVME_CMD_PRP1_OFF",
  "NVME_CMD_PRP2_OFF",
  "NVME_CMD_SGL1_OFF",
  "NVME_CMD_SLBA",
  "NVME_CMD_NLB",
  "NVME_CMD_SIZE",
  "NVME_SGL_ADDR",
  "NVME_SGL_LENGTH",
  "NVME_SGL_TYPE_BYTE",
] as const;
