/**
 * liburing's API in camelCase over the simulated kernel: the same names,
 * argument order and results (negative errno, never exceptions for what the
 * kernel reports as an error). SQEs are written into the ring's memory as a
 * program writes into the mmapped rings; the Wasm boundary is crossed once per
 * io_uring_enter.
 *
 * @module
 */
import { w } from "./wasm.ts";
import type { System } from "./system.ts";
import {
  ioRegisterBuffersSparse,
  ioRegisterBuffersUpdate,
  ioRegisterBuffersUpdate2,
  ioSqeBuffersRegister,
  ioSqeBuffersUnregister,
  ioSqeFilesRegister,
  ioSqeFilesUnregister,
} from "./kernel/rsrc.ts";
import {
  EAGAIN,
  EBADF,
  EINVAL,
  IO_REGBUF_TYPE_DMABUF,
  IORING_ENTER_GETEVENTS,
  IORING_OP_NOP,
  IORING_OP_READ,
  IORING_OP_READ_FIXED,
  IORING_OP_READV,
  IORING_OP_READV_FIXED,
  IORING_OP_WRITE,
  IORING_OP_WRITE_FIXED,
  IORING_OP_WRITEV,
  IORING_OP_WRITEV_FIXED,
  IORING_RSRC_UPDATE_EXTENDED,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_IOPOLL,
  IORING_SQ_CQ_OVERFLOW,
} from "./constants.ts";

// Ring and SQE/CQE layouts: generated from asm/sim/uapi.ts, the one definition.
import {
  CQE_FLAGS,
  CQE_RES,
  CQE_SIZE,
  CQE_USER_DATA,
  IOVEC_BASE,
  IOVEC_LEN,
  IOVEC_SIZE,
  REGBUF_DMABUF_FD,
  REGBUF_FLAGS,
  REGBUF_RESV,
  REGBUF_RESV_WORDS,
  REGBUF_SIZE,
  REGBUF_SIZE_OFF,
  REGBUF_TARGET_FD,
  REGBUF_TYPE,
  REGBUF_UADDR,
  RO_CQ_ENTRIES,
  RO_CQ_HEAD,
  RO_CQ_TAIL,
  RO_CQES,
  RO_SQ_DROPPED,
  RO_SQ_ENTRIES,
  RO_SQ_FLAGS,
  RO_SQ_HEAD,
  RO_SQ_TAIL,
  RSRC_UPDATE2_DATA,
  RSRC_UPDATE2_FLAGS,
  RSRC_UPDATE2_NR,
  RSRC_UPDATE2_OFFSET,
  RSRC_UPDATE2_RESV2,
  RSRC_UPDATE2_SIZE,
  RSRC_UPDATE2_TAGS,
  SQE_ADDR,
  SQE_BUF_INDEX,
  SQE_FD,
  SQE_FLAGS,
  SQE_LEN,
  SQE_OFF,
  SQE_OPCODE,
  SQE_RW_FLAGS,
  SQE_SIZE,
  SQE_USER_DATA,
} from "./uapi.generated.ts";

/** Parameters of {@link ioUringQueueInitParams} (struct io_uring_params, the parts modelled). */
export interface IoUringParams {
  /** IORING_SETUP_* flags. */
  flags?: number;
  /** CQ size with IORING_SETUP_CQSIZE. */
  cqEntries?: number;
  /** dmasim: the CPU core the submitting task runs on (default 0). */
  cpu?: number;
}

/** A completion queue entry, copied out of the CQ ring. */
export interface Cqe {
  /** The SQE's user_data, untouched. */
  userData: bigint;
  /** Result: bytes, 0, or a negative errno. */
  res: number;
  /** IORING_CQE_F_* flags. */
  flags: number;
}

/**
 * An io_uring instance (struct io_uring): the ring memory and liburing's
 * local SQ bookkeeping.
 */
export class IoUring {
  /** The system it belongs to. */
  readonly sys: System;
  /** Simulator ring id. */
  readonly id: number;
  /** The ring's file descriptor. */
  readonly ringFd: number;
  /** IORING_SETUP_* flags it was created with. */
  readonly flags: number;
  /** SQ entries (a power of two). */
  readonly sqEntries: number;
  /** CQ entries (a power of two). */
  readonly cqEntries: number;
  /** Base of the rings block in linear memory. */
  readonly rings: number;
  /** Base of the SQE array in linear memory. */
  readonly sqes: number;
  /** Base of the SQ index array. */
  readonly sqArray: number;
  /** liburing's sqe_head / sqe_tail. */
  sqeHead = 0;
  /** liburing's sqe_tail. */
  sqeTail = 0;
  /** Set once ioUringQueueExit ran. */
  closed = false;

  /** Wrap ring `id` of `sys` (use {@link ioUringQueueInit}). */
  constructor(sys: System, id: number, flags: number) {
    this.sys = sys;
    this.id = id;
    this.flags = flags;
    this.ringFd = w.ring_fd(id);
    this.rings = w.ring_rings(id);
    this.sqes = w.ring_sqes(id);
    this.sqArray = w.ring_sq_array(id);
    const v = sys.view;
    this.sqEntries = v.getUint32(this.rings + RO_SQ_ENTRIES, true);
    this.cqEntries = v.getUint32(this.rings + RO_CQ_ENTRIES, true);
    // liburing fills the SQ index array once with the identity.
    for (let i = 0; i < this.sqEntries; i++) v.setUint32(this.sqArray + 4 * i, i, true);
  }

  /** The SQ flags word (IORING_SQ_*). */
  get sqFlags(): number {
    return this.sys.view.getUint32(this.rings + RO_SQ_FLAGS, true);
  }

  /** SQ entries dropped for an invalid index. */
  get sqDropped(): number {
    return this.sys.view.getUint32(this.rings + RO_SQ_DROPPED, true);
  }
}

/** A submission queue entry slot in ring memory, returned by {@link getSqe}. */
export class Sqe {
  /** The ring it belongs to. */
  readonly ring: IoUring;
  /** Its address in linear memory. */
  readonly ptr: number;
  /** Wrap the SQE at `ptr`. */
  constructor(ring: IoUring, ptr: number) {
    this.ring = ring;
    this.ptr = ptr;
  }
}

/**
 * io_uring_queue_init: create a ring with `entries` SQ entries.
 * Returns the ring, or a negative errno (as liburing returns -errno).
 *
 * @example
 * ```ts
 * import { getSqe, ioUringQueueInit, prepNop, submitAndWait, System, waitCqe } from "../mod.ts";
 * const sys = new System();
 * const ring = ioUringQueueInit(sys, 8, 0);
 * if (typeof ring === "number") throw new Error(`setup: ${ring}`);
 * prepNop(getSqe(ring)!);
 * submitAndWait(ring, 1);
 * const [ret, cqe] = waitCqe(ring);
 * console.log(ret, cqe?.res); // 0 0
 * ```
 */
export function ioUringQueueInit(sys: System, entries: number, flags = 0): IoUring | number {
  return ioUringQueueInitParams(sys, entries, { flags });
}

/** io_uring_queue_init_params: as {@link ioUringQueueInit} with a CQ size and CPU. */
export function ioUringQueueInitParams(
  sys: System,
  entries: number,
  params: IoUringParams,
): IoUring | number {
  sys.check();
  const flags = params.flags ?? 0;
  if (!Number.isInteger(entries) || entries < 0 || entries > 0xffffffff) {
    throw new TypeError(`entries must be a u32, got ${entries}`);
  }
  const cq = (flags & IORING_SETUP_CQSIZE) ? (params.cqEntries ?? 0) : 0;
  const id = w.io_uring_setup(entries >>> 0, flags >>> 0, cq >>> 0, params.cpu ?? 0);
  if (id < 0) return id;
  return new IoUring(sys, id, flags);
}

/** io_uring_queue_exit: wait for in-flight requests, then tear the ring down. */
export function ioUringQueueExit(ring: IoUring): void {
  if (ring.closed) return;
  ring.sys.check();
  w.io_uring_exit(ring.id);
  ring.closed = true;
}

/** io_uring_get_sqe: the next free SQE, or null when the SQ is full. */
export function getSqe(ring: IoUring): Sqe | null {
  ring.sys.check();
  if (ring.closed) throw new Error("getSqe: the ring was torn down (ioUringQueueExit)");
  const head = ring.sys.view.getUint32(ring.rings + RO_SQ_HEAD, true);
  if (ring.sqeTail - head >= ring.sqEntries) return null;
  const sqe = new Sqe(ring, ring.sqes + 64 * (ring.sqeTail & (ring.sqEntries - 1)));
  ring.sqeTail = (ring.sqeTail + 1) >>> 0;
  return sqe;
}

/** io_uring_sq_space_left. */
export function sqSpaceLeft(ring: IoUring): number {
  return ring.sqEntries - (ring.sqeTail - ring.sys.view.getUint32(ring.rings + RO_SQ_HEAD, true));
}

/** Store a u64 field: plain numbers without a BigInt round trip (the common, fast case). */
function setU64(v: DataView, p: number, x: number | bigint): void {
  if (typeof x === "number" && x >= 0 && x <= Number.MAX_SAFE_INTEGER) {
    v.setUint32(p, x >>> 0, true);
    v.setUint32(p + 4, Math.floor(x / 4294967296), true);
  } else {
    v.setBigUint64(p, BigInt.asUintN(64, BigInt(x)), true);
  }
}

/**
 * io_uring_prep_rw: fill every field of an SQE, as liburing does.
 * `addr` may be a bigint for full 64-bit values.
 */
export function prepRw(
  op: number,
  sqe: Sqe,
  fd: number,
  addr: number | bigint,
  len: number,
  offset: number | bigint,
): void {
  sqe.ring.sys.check();
  if (!Number.isInteger(fd)) throw new TypeError(`fd must be an integer, got ${typeof fd} ${String(fd)}`);
  if (!Number.isInteger(len) || len < 0 || len > 0xffffffff) {
    throw new TypeError(`len must be a u32, got ${String(len)}`);
  }
  if (typeof addr !== "bigint" && !Number.isInteger(addr)) throw new TypeError(`addr must be an integer`);
  if (typeof offset !== "bigint" && !Number.isInteger(offset)) {
    throw new TypeError(`offset must be an integer`);
  }
  const v = sqe.ring.sys.view;
  const p = sqe.ptr;
  // Every byte of the SQE is written, as liburing's io_uring_prep_rw does:
  // all of it cleared (flags, ioprio, rw_flags, user_data, buf_index,
  // personality, file_index, addr3 and the padding are 0), then the fields
  // given. Cleared as 32-bit words: SQEs are SQE_SIZE-aligned in ring memory.
  const m = wordsOf(v);
  const i = p >>> 2;
  for (let k = 0; k < SQE_SIZE >>> 2; k++) m[i + k] = 0;
  v.setUint8(p + SQE_OPCODE, op);
  v.setInt32(p + SQE_FD, fd, true);
  setU64(v, p + SQE_OFF, offset);
  setU64(v, p + SQE_ADDR, addr);
  v.setUint32(p + SQE_LEN, len >>> 0, true);
}

/** 32-bit words over the machine's memory (it never grows: one view per buffer). */
let wordsBuf: ArrayBufferLike | null = null;
let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
function wordsOf(v: DataView): Uint32Array<ArrayBufferLike> {
  if (v.buffer !== wordsBuf) {
    wordsBuf = v.buffer;
    words = new Uint32Array(v.buffer);
  }
  return words;
}

/** io_uring_prep_nop. */
export function prepNop(sqe: Sqe): void {
  prepRw(IORING_OP_NOP, sqe, -1, 0, 0, 0);
}

/** io_uring_prep_read: read `nbytes` at file `offset` into user memory at `buf`. */
export function prepRead(
  sqe: Sqe,
  fd: number,
  buf: number | bigint,
  nbytes: number,
  offset: number | bigint,
): void {
  prepRw(IORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

/** io_uring_prep_write: write `nbytes` from user memory at `buf` to file `offset`. */
export function prepWrite(
  sqe: Sqe,
  fd: number,
  buf: number | bigint,
  nbytes: number,
  offset: number | bigint,
): void {
  prepRw(IORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

/** io_uring_prep_readv: `iovecs` is the user address of an iovec array with `nr` entries. */
export function prepReadv(
  sqe: Sqe,
  fd: number,
  iovecs: number | bigint,
  nr: number,
  offset: number | bigint,
): void {
  prepRw(IORING_OP_READV, sqe, fd, iovecs, nr, offset);
}

/** io_uring_prep_writev. */
export function prepWritev(
  sqe: Sqe,
  fd: number,
  iovecs: number | bigint,
  nr: number,
  offset: number | bigint,
): void {
  prepRw(IORING_OP_WRITEV, sqe, fd, iovecs, nr, offset);
}

/**
 * io_uring_prep_read_fixed: read into registered buffer `bufIndex`. `buf` is a
 * user address inside it, or for a dma-buf slot a byte offset into the dma-buf.
 */
export function prepReadFixed(
  sqe: Sqe,
  fd: number,
  buf: number | bigint,
  nbytes: number,
  offset: number | bigint,
  bufIndex: number,
): void {
  prepRw(IORING_OP_READ_FIXED, sqe, fd, buf, nbytes, offset);
  sqe.ring.sys.view.setUint16(sqe.ptr + SQE_BUF_INDEX, bufIndex, true);
}

/** io_uring_prep_write_fixed: write from registered buffer `bufIndex` (see {@link prepReadFixed}). */
export function prepWriteFixed(
  sqe: Sqe,
  fd: number,
  buf: number | bigint,
  nbytes: number,
  offset: number | bigint,
  bufIndex: number,
): void {
  prepRw(IORING_OP_WRITE_FIXED, sqe, fd, buf, nbytes, offset);
  sqe.ring.sys.view.setUint16(sqe.ptr + SQE_BUF_INDEX, bufIndex, true);
}

/**
 * io_uring_prep_readv_fixed: vectored read into registered buffer
 * `bufIndex`; the iovecs (at user address `iovecs`) address memory inside it.
 * On a dma-buf slot the kernel refuses it (-EOPNOTSUPP).
 */
export function prepReadvFixed(
  sqe: Sqe,
  fd: number,
  iovecs: number | bigint,
  nrVecs: number,
  offset: number | bigint,
  flags: number,
  bufIndex: number,
): void {
  prepVecFixed(IORING_OP_READV_FIXED, sqe, fd, iovecs, nrVecs, offset, flags, bufIndex);
}

/** io_uring_prep_writev_fixed: vectored write from registered buffer `bufIndex` (see {@link prepReadvFixed}). */
export function prepWritevFixed(
  sqe: Sqe,
  fd: number,
  iovecs: number | bigint,
  nrVecs: number,
  offset: number | bigint,
  flags: number,
  bufIndex: number,
): void {
  prepVecFixed(IORING_OP_WRITEV_FIXED, sqe, fd, iovecs, nrVecs, offset, flags, bufIndex);
}

function prepVecFixed(
  op: number,
  sqe: Sqe,
  fd: number,
  iovecs: number | bigint,
  nrVecs: number,
  offset: number | bigint,
  flags: number,
  bufIndex: number,
): void {
  prepRw(op, sqe, fd, iovecs, nrVecs, offset);
  sqe.ring.sys.view.setUint32(sqe.ptr + SQE_RW_FLAGS, flags >>> 0, true);
  sqe.ring.sys.view.setUint16(sqe.ptr + SQE_BUF_INDEX, bufIndex, true);
}

/** io_uring_sqe_set_data64: the value comes back in the CQE's userData. */
export function sqeSetData64(sqe: Sqe, data: bigint | number): void {
  setU64(sqe.ring.sys.view, sqe.ptr + SQE_USER_DATA, data);
}

/** io_uring_sqe_set_flags: IOSQE_* flags. */
export function sqeSetFlags(sqe: Sqe, flags: number): void {
  sqe.ring.sys.view.setUint8(sqe.ptr + SQE_FLAGS, flags);
}

/** Set an SQE's op-specific flags word (rw_flags, nop_flags, …). */
export function sqeSetOpFlags(sqe: Sqe, flags: number): void {
  sqe.ring.sys.view.setUint32(sqe.ptr + SQE_RW_FLAGS, flags >>> 0, true);
}

/** Set an SQE's buf_index. */
export function sqeSetBufIndex(sqe: Sqe, bufIndex: number): void {
  sqe.ring.sys.view.setUint16(sqe.ptr + SQE_BUF_INDEX, bufIndex, true);
}

/** Set an SQE's len field. */
export function sqeSetLen(sqe: Sqe, len: number): void {
  sqe.ring.sys.view.setUint32(sqe.ptr + SQE_LEN, len >>> 0, true);
}

/** Set an SQE's fd field. */
export function sqeSetFd(sqe: Sqe, fd: number): void {
  sqe.ring.sys.view.setInt32(sqe.ptr + SQE_FD, fd, true);
}

/** Set an SQE's opcode (e.g. to try an opcode the prep helpers do not have). */
export function sqeSetOpcode(sqe: Sqe, op: number): void {
  sqe.ring.sys.view.setUint8(sqe.ptr + SQE_OPCODE, op);
}

function flushSq(ring: IoUring): number {
  // __io_uring_flush_sq: publish the tail (the SQ index array holds the
  // identity from set-up); what is to submit is everything the kernel has
  // not consumed yet, SQEs left over from an earlier submit included.
  const v = ring.sys.view;
  if (ring.sqeHead !== ring.sqeTail) {
    v.setUint32(ring.rings + RO_SQ_TAIL, ring.sqeTail, true);
    ring.sqeHead = ring.sqeTail;
  }
  return (ring.sqeTail - v.getUint32(ring.rings + RO_SQ_HEAD, true)) >>> 0;
}

/**
 * io_uring_enter(2) on the ring: consume `toSubmit` SQEs, wait for
 * `minComplete` CQEs with IORING_ENTER_GETEVENTS. Returns SQEs consumed or -errno.
 */
export function ioUringEnter(ring: IoUring, toSubmit: number, minComplete: number, flags: number): number {
  ring.sys.check();
  if (ring.closed) return -EBADF;
  return w.io_uring_enter(ring.id, toSubmit >>> 0, minComplete >>> 0, flags >>> 0);
}

function needsFlush(ring: IoUring): boolean {
  return (ring.sqFlags & IORING_SQ_CQ_OVERFLOW) !== 0;
}

/** io_uring_submit: submit prepared SQEs; returns how many were consumed, or -errno. */
export function submit(ring: IoUring): number {
  return submitAndWait(ring, 0);
}

/** io_uring_submit_and_wait: submit, then wait for `waitNr` completions. */
export function submitAndWait(ring: IoUring, waitNr: number): number {
  const toSubmit = flushSq(ring);
  let flags = 0;
  if (waitNr > 0 || (ring.flags & IORING_SETUP_IOPOLL) || needsFlush(ring)) flags |= IORING_ENTER_GETEVENTS;
  if (toSubmit === 0 && flags === 0) return 0;
  return ioUringEnter(ring, toSubmit, waitNr, flags);
}

/** io_uring_cq_ready: CQEs ready to be read. */
export function cqReady(ring: IoUring): number {
  ring.sys.check();
  const v = ring.sys.view;
  return (v.getUint32(ring.rings + RO_CQ_TAIL, true) - v.getUint32(ring.rings + RO_CQ_HEAD, true)) >>> 0;
}

function readCqe(ring: IoUring): Cqe | null {
  const v = ring.sys.view;
  const head = v.getUint32(ring.rings + RO_CQ_HEAD, true);
  const tail = v.getUint32(ring.rings + RO_CQ_TAIL, true);
  if (head === tail) return null;
  const p = ring.rings + RO_CQES + CQE_SIZE * (head & (ring.cqEntries - 1));
  return {
    userData: v.getBigUint64(p + CQE_USER_DATA, true),
    res: v.getInt32(p + CQE_RES, true),
    flags: v.getUint32(p + CQE_FLAGS, true),
  };
}

/**
 * io_uring_peek_cqe: the next CQE without waiting. `[0, cqe]`, or
 * `[-EAGAIN, null]` when none is ready.
 */
export function peekCqe(ring: IoUring): [number, Cqe | null] {
  ring.sys.check();
  let cqe = readCqe(ring);
  if (!cqe && needsFlush(ring)) {
    ioUringEnter(ring, 0, 0, IORING_ENTER_GETEVENTS);
    cqe = readCqe(ring);
  }
  return cqe ? [0, cqe] : [-EAGAIN, null];
}

/**
 * io_uring_wait_cqe: wait for the next CQE. `[0, cqe]`, or `[-errno, null]`;
 * -EDEADLK when nothing is in flight that could ever complete (the kernel
 * would sleep forever).
 */
export function waitCqe(ring: IoUring): [number, Cqe | null] {
  return waitCqeNr(ring, 1);
}

/** io_uring_wait_cqe_nr: wait until `waitNr` CQEs are ready; returns the first. */
export function waitCqeNr(ring: IoUring, waitNr: number): [number, Cqe | null] {
  ring.sys.check();
  let cqe = readCqe(ring);
  if (cqe && cqReady(ring) >= waitNr) return [0, cqe];
  const ret = ioUringEnter(ring, 0, waitNr, IORING_ENTER_GETEVENTS);
  if (ret < 0) return [ret, null];
  cqe = readCqe(ring);
  return cqe ? [0, cqe] : [-EAGAIN, null];
}

/** io_uring_cqe_seen: mark one CQE consumed. */
export function cqeSeen(ring: IoUring, _cqe?: Cqe | null): void {
  cqAdvance(ring, 1);
}

/** io_uring_cq_advance: mark `nr` CQEs consumed. */
export function cqAdvance(ring: IoUring, nr: number): void {
  ring.sys.check();
  const v = ring.sys.view;
  v.setUint32(ring.rings + RO_CQ_HEAD, (v.getUint32(ring.rings + RO_CQ_HEAD, true) + nr) >>> 0, true);
}

/**
 * Read and consume up to `max` ready CQEs (io_uring_peek_batch_cqe +
 * io_uring_cq_advance), in order.
 */
export function reapCqes(ring: IoUring, max = Infinity): Cqe[] {
  ring.sys.check();
  const v = ring.sys.view;
  const out: Cqe[] = [];
  // The head and tail read once, the head published once at the end (as
  // io_uring_cq_advance after a peek_batch): the same ring state as one at a time.
  const head0 = v.getUint32(ring.rings + RO_CQ_HEAD, true);
  const tail = v.getUint32(ring.rings + RO_CQ_TAIL, true);
  const mask = ring.cqEntries - 1;
  let head = head0;
  while (head !== tail && out.length < max) {
    const p = ring.rings + RO_CQES + CQE_SIZE * (head & mask);
    out.push({
      userData: v.getBigUint64(p + CQE_USER_DATA, true),
      res: v.getInt32(p + CQE_RES, true),
      flags: v.getUint32(p + CQE_FLAGS, true),
    });
    head = (head + 1) >>> 0;
  }
  if (head !== head0) v.setUint32(ring.rings + RO_CQ_HEAD, head, true);
  return out;
}

/** A struct iovec: a user address and a length. */
export interface Iovec {
  /** User address (0 for an empty slot where allowed). */
  iovBase: number | bigint;
  /** Length in bytes. */
  iovLen: number | bigint;
}

/** One struct iovec at `p`. */
function writeIovec(v: DataView, p: number, iov: Iovec): void {
  v.setBigUint64(p + IOVEC_BASE, BigInt.asUintN(64, BigInt(iov.iovBase)), true);
  v.setBigUint64(p + IOVEC_LEN, BigInt.asUintN(64, BigInt(iov.iovLen)), true);
}

function stageIovecs(ring: IoUring, iovecs: readonly Iovec[]): number {
  const v = ring.sys.view;
  const base = ring.sys.scratch;
  if (iovecs.length * IOVEC_SIZE > 1 << 20) {
    throw new RangeError(`too many iovecs for one call: ${iovecs.length}`);
  }
  iovecs.forEach((iov, i) => writeIovec(v, base + IOVEC_SIZE * i, iov));
  return base;
}

/**
 * io_uring_register_buffers: register `iovecs` as fixed buffers 0..n-1.
 * 0, or -EBUSY (a table exists), -EINVAL (0 or more than 16384), -EFAULT
 * (NULL base with a length, zero length, over 1 GiB, or unmapped memory).
 *
 * @example
 * ```ts
 * import { ioUringQueueInit, registerBuffers, System } from "../mod.ts";
 * const sys = new System();
 * const ring = ioUringQueueInit(sys, 8, 0);
 * if (typeof ring === "number") throw new Error();
 * const buf = sys.mmapAnon(65536);
 * console.log(registerBuffers(ring, [{ iovBase: buf, iovLen: 65536 }])); // 0
 * ```
 */
export function registerBuffers(ring: IoUring, iovecs: readonly Iovec[]): number {
  ring.sys.check();
  // The kernel checks for an existing table before the count: stage what it
  // could read and let it decide.
  const p = stageIovecs(ring, iovecs.slice(0, 16385));
  return ioSqeBuffersRegister(ring.sys.kernel, ring.id, p, iovecs.length);
}

/** io_uring_register_buffers_sparse: a table of `nr` empty slots. */
export function registerBuffersSparse(ring: IoUring, nr: number): number {
  ring.sys.check();
  return ioRegisterBuffersSparse(ring.id, nr >>> 0);
}

/**
 * io_uring_register_buffers_update_tag (without tags): replace slots from
 * `offset` with `iovecs` (base 0 and length 0 empties a slot). Returns the
 * number of slots updated, or -errno (-ENXIO without a table, -EINVAL past
 * its end).
 */
export function registerBuffersUpdate(ring: IoUring, offset: number, iovecs: readonly Iovec[]): number {
  ring.sys.check();
  const p = stageIovecs(ring, iovecs.slice(0, 16385));
  return ioRegisterBuffersUpdate(ring.sys.kernel, ring.id, offset >>> 0, p, iovecs.length);
}

/** io_uring_unregister_buffers: 0 or -ENXIO. */
export function unregisterBuffers(ring: IoUring): number {
  ring.sys.check();
  return ioSqeBuffersUnregister(ring.id);
}

/** io_uring_register_files: register `fds` (-1 for an empty slot). */
export function registerFiles(ring: IoUring, fds: readonly number[]): number {
  ring.sys.check();
  if (fds.length * 4 > 1 << 20) return -EINVAL;
  const v = ring.sys.view;
  fds.forEach((fd, i) => v.setInt32(ring.sys.scratch + 4 * i, fd, true));
  return ioSqeFilesRegister(ring.sys.kernel, ring.id, ring.sys.scratch, fds.length);
}

/** io_uring_unregister_files: 0 or -ENXIO. */
export function unregisterFiles(ring: IoUring): number {
  ring.sys.check();
  return ioSqeFilesUnregister(ring.id);
}

/** struct io_uring_regbuf (80 bytes) of the dma-buf series v3. */
export interface RegbufDesc {
  /** IO_REGBUF_TYPE_EMPTY, _UADDR or _DMABUF. */
  type: number;
  /** Must be 0. */
  flags?: number;
  /** UADDR: length; must be 0 for DMABUF. */
  size?: number | bigint;
  /** UADDR: user address; must be 0 for DMABUF. */
  uaddr?: number | bigint;
  /** DMABUF: the dma-buf fd. */
  dmabufFd?: number;
  /** DMABUF: the file the buffer may be used with. */
  targetFd?: number;
  /** __resv[6]: must be zero. */
  resv?: readonly (number | bigint)[];
}

/** struct io_uring_rsrc_update2 (32 bytes). */
export interface RsrcUpdate2 {
  /** First slot. */
  offset: number;
  /** 0 (data: iovecs) or IORING_RSRC_UPDATE_EXTENDED (data: descriptors). */
  flags: number;
  /** The iovecs or descriptors. */
  data: readonly (Iovec | RegbufDesc)[];
  /** Entries (default data.length). */
  nr?: number;
  /** Must be 0. */
  resv2?: number;
}

/**
 * io_uring_register(IORING_REGISTER_BUFFERS_UPDATE) with struct
 * io_uring_rsrc_update2, as the v3 series extends it. `nrArgs` must equal
 * the struct's size (RSRC_UPDATE2_SIZE, 32). Returns the number of slots updated, or -errno.
 */
export function registerBuffersUpdate2(
  ring: IoUring,
  up: RsrcUpdate2,
  nrArgs: number = RSRC_UPDATE2_SIZE,
): number {
  ring.sys.check();
  const v = ring.sys.view;
  const s = ring.sys.scratch;
  const data = s + 64;
  const nr = up.nr ?? up.data.length;
  if (64 + nr * REGBUF_SIZE > 1 << 20) return -EINVAL;
  v.setUint32(s + RSRC_UPDATE2_OFFSET, up.offset >>> 0, true);
  v.setUint32(s + RSRC_UPDATE2_FLAGS, up.flags >>> 0, true);
  v.setBigUint64(s + RSRC_UPDATE2_DATA, BigInt(data), true);
  v.setBigUint64(s + RSRC_UPDATE2_TAGS, 0n, true);
  v.setUint32(s + RSRC_UPDATE2_NR, nr >>> 0, true);
  v.setUint32(s + RSRC_UPDATE2_RESV2, (up.resv2 ?? 0) >>> 0, true);
  const extended = (up.flags & IORING_RSRC_UPDATE_EXTENDED) !== 0;
  up.data.forEach((d, i) => {
    if (extended) {
      const r = d as RegbufDesc;
      const p = data + REGBUF_SIZE * i;
      v.setUint32(p + REGBUF_TYPE, r.type >>> 0, true);
      v.setUint32(p + REGBUF_FLAGS, (r.flags ?? 0) >>> 0, true);
      v.setBigUint64(p + REGBUF_SIZE_OFF, BigInt.asUintN(64, BigInt(r.size ?? 0)), true);
      v.setBigUint64(p + REGBUF_UADDR, BigInt.asUintN(64, BigInt(r.uaddr ?? 0)), true);
      v.setInt32(p + REGBUF_DMABUF_FD, r.dmabufFd ?? 0, true);
      v.setInt32(p + REGBUF_TARGET_FD, r.targetFd ?? 0, true);
      for (let k = 0; k < REGBUF_RESV_WORDS; k++) {
        v.setBigUint64(p + REGBUF_RESV + 8 * k, BigInt.asUintN(64, BigInt(r.resv?.[k] ?? 0)), true);
      }
    } else {
      writeIovec(v, data + IOVEC_SIZE * i, d as Iovec);
    }
  });
  return ioRegisterBuffersUpdate2(ring.sys.kernel, ring.id, s, nrArgs >>> 0);
}

/**
 * Register dma-buf `dmabufFd` in slot `slot` for use with `targetFd` only
 * (one IO_REGBUF_TYPE_DMABUF descriptor). Needs a buffer table
 * ({@link registerBuffersSparse}). Returns 1 (slots updated) or -errno.
 *
 * @example
 * ```ts
 * import { F_SEAL_SHRINK, ioUringQueueInit, MFD_ALLOW_SEALING, O_DIRECT, O_RDWR, registerBufferDmabuf,
 *   registerBuffersSparse, System } from "../mod.ts";
 * const sys = new System();
 * const ring = ioUringQueueInit(sys, 8, 0);
 * if (typeof ring === "number") throw new Error();
 * const fd = sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT);
 * const mfd = sys.memfdCreate(MFD_ALLOW_SEALING);
 * sys.ftruncate(mfd, 65536);
 * sys.fcntlAddSeals(mfd, F_SEAL_SHRINK);
 * const dmabuf = sys.udmabufCreate(mfd, 0, 65536);
 * registerBuffersSparse(ring, 4);
 * console.log(registerBufferDmabuf(ring, 0, dmabuf, fd)); // 1
 * ```
 */
export function registerBufferDmabuf(
  ring: IoUring,
  slot: number,
  dmabufFd: number,
  targetFd: number,
): number {
  return registerBuffersUpdate2(ring, {
    offset: slot,
    flags: IORING_RSRC_UPDATE_EXTENDED,
    data: [{ type: IO_REGBUF_TYPE_DMABUF, dmabufFd, targetFd }],
  });
}
