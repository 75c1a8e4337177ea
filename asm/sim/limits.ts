// Fixed limits of one simulated machine. Memory is laid out once from these at
// machine_init; running past any of them is a named error (see errors.ts), never
// a silent grow. TypeScript mirrors them in src/wasm.ts.

/** Controller/host page size (NVMe CC.MPS = 0, x86 PAGE_SIZE). */
export const PAGE_SIZE: u32 = 4096;
export const PAGE_SHIFT: u32 = 12;

/** CPU cores a machine profile may describe. */
export const CORES_MAX: i32 = 128;
/** io_uring instances alive at once. */
export const RINGS_MAX: i32 = 128;
/** Kernel limit on SQ entries (IORING_MAX_ENTRIES). */
export const SQ_ENTRIES_MAX: u32 = 32768;
/** Kernel limit on CQ entries (IORING_MAX_CQ_ENTRIES = 2 * IORING_MAX_ENTRIES). */
export const CQ_ENTRIES_MAX: u32 = 65536;
/** Overflowed CQEs held per ring before it is a named error. */
export const OVERFLOW_MAX: u32 = 65536;
/** Requests (io_kiocb) in flight across the machine. */
export const REQS_MAX: u32 = 65536;
/**
 * Block requests waiting on blk-mq dispatch lists across the machine (the
 * driver returned BLK_STS_RESOURCE: no IOVA, no PRP/SGL pool block). Each is
 * one command of a request in flight, so REQS_MAX requests split at most
 * this many ways between them before the limit is a named error.
 */
export const REQUEUED_MAX: u32 = 65536;
/** Pending events in the event queue. */
export const EVENTS_MAX: u32 = 262144;
/** File table slots: the process's descriptors, then the kernel's own file references. */
export const FDS_MAX: i32 = 4096;
/** Descriptors the simulated process can open (RLIMIT_NOFILE); slots above hold registered-file references. */
export const USER_FDS: i32 = 1024;
