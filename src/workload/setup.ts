/**
 * Machine set-up for a workload: the Wasm loop's parameters, then per thread
 * a ring, the files and the buffers, through the same uAPI a program uses
 * (io_uring_setup, open, register files, mmap or memfd + udmabuf or a GPU
 * dma-buf, register buffers).
 *
 * @module
 */
import { structArg, w } from "../wasm.ts";
import { BUF_KIND, WL_CONFIG } from "../abi.generated.ts";
import type { System } from "../system.ts";
import {
  F_SEAL_SHRINK,
  IORING_OP_NOP,
  IORING_OP_READ,
  IORING_OP_READ_FIXED,
  IORING_OP_WRITE,
  IORING_OP_WRITE_FIXED,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_IOPOLL,
  MFD_ALLOW_SEALING,
  O_DIRECT,
  O_RDWR,
} from "../constants.ts";
import {
  type IoUring,
  ioUringQueueInitParams,
  registerBufferDmabuf,
  registerBuffers,
  registerBuffersSparse,
  registerFiles,
} from "../liburing.ts";
import type { ResolvedJob } from "./job.ts";
import { applyThreadJobs } from "../workload_fio.ts";

/** The page size dma-bufs are made in, bytes. */
const PAGE_BYTES = 4096;

/** A set-up call the run cannot go on without failed: name it and its errno. */
function die(what: string, ret: number): never {
  throw new Error(`set-up failed: ${what} returned ${ret}`);
}

/**
 * Set up the machine `sys` for `job`: the loop's parameters, then each
 * thread's ring, files and buffers. Returns the rings' ids, by thread.
 */
export function setUpMachine(sys: System, job: ResolvedJob): number[] {
  const op = job.noop
    ? IORING_OP_NOP
    : job.buffers === "plain"
    ? (job.write ? IORING_OP_WRITE : IORING_OP_READ)
    : (job.write ? IORING_OP_WRITE_FIXED : IORING_OP_READ_FIXED);
  w.wl_setup(
    structArg(WL_CONFIG, {
      threads: job.threads,
      depth: job.depth,
      submitBatch: job.submitBatch,
      completeBatch: job.completeBatch,
      blockBytes: job.bs,
      opcode: op,
      fixedFiles: job.fixedFiles,
      random: job.random,
      rangeBlocks: Math.floor(job.rangeBytes / job.bs),
      bufKind: BUF_KIND[job.buffers],
      warmupIos: job.warmupIos,
      ios: job.ios ?? 0,
      runtimeNs: job.runtimeNs ?? 0,
      sampleNs: job.sampleNs,
      seed: job.seed,
    }),
    WL_CONFIG.size,
  );
  if (job.rampNs > 0) w.wl_set_ramp(job.rampNs);
  const threadDevs = assignFiles(job.threads, job.devNames.map((_, i) => i));
  const ringIds = Array.from({ length: job.threads }, (_, t) => setUpThread(sys, job, t, threadDevs[t]));
  if (job.fio) applyThreadJobs(job.fio, job.seed);
  return ringIds;
}

/**
 * Files to threads as t/io_uring assigns them: each file to threads_per_f
 * threads (one more for the first threads_rem files), round robin.
 */
function assignFiles(threads: number, devs: number[]): number[][] {
  const threadDevs: number[][] = Array.from({ length: threads }, () => []);
  const perF = Math.max(1, Math.floor(threads / devs.length));
  let rem = threads >= devs.length ? threads - perF * devs.length : 0;
  let j = 0;
  for (const d of devs) {
    const limit = perF + (rem > 0 ? 1 : 0);
    for (let k = 0; k < limit; k++) threadDevs[(j + k) % threads].push(d);
    rem--;
    j += limit;
  }
  return threadDevs;
}

/**
 * Thread `t`: its ring on core `t`, its files (`devs`: indices into `job.devNames`) opened (and registered), its
 * buffers, handed to the loop. Returns the ring's id.
 */
function setUpThread(sys: System, job: ResolvedJob, t: number, devs: number[]): number {
  // t/io_uring asks for a CQ the size of the SQ.
  const ring = ioUringQueueInitParams(sys, job.depth, {
    flags: (job.polled ? IORING_SETUP_IOPOLL : 0) | IORING_SETUP_CQSIZE,
    cqEntries: job.depth,
    cpu: t,
  });
  if (typeof ring === "number") die("io_uring_setup", ring);
  const r = ring as IoUring;
  const fds = devs.map((d) => {
    const fd = sys.open(job.devNames[d], O_RDWR | (job.direct ? O_DIRECT : 0));
    return fd < 0 ? die("open", fd) : fd;
  });
  if (job.fixedFiles) {
    const ret = registerFiles(r, fds);
    if (ret < 0) die("io_uring_register_files", ret);
  }
  const base = job.buffers === "dmabuf" ? setUpDmabuf(sys, job, r, fds) : setUpUserBuffers(sys, job, r);
  w.wl_thread(t, r.id, base);
  fds.forEach((fd, i) => w.wl_thread_file(t, job.fixedFiles ? i : fd, i));
  return r.id;
}

/** A buffer per SQ slot in user memory, registered unless the job uses plain buffers; returns its address. */
function setUpUserBuffers(sys: System, job: ResolvedJob, r: IoUring): number {
  const base = sys.mmapAnon(job.nbufs * job.bs);
  if (base < 0) die("mmap", base);
  if (job.buffers !== "plain") {
    const ret = registerBuffers(
      r,
      Array.from({ length: job.nbufs }, (_, i) => ({ iovBase: base + i * job.bs, iovLen: job.bs })),
    );
    if (ret < 0) die("io_uring_register_buffers", ret);
  }
  return base;
}

/**
 * One dma-buf holding a buffer per SQ slot (a udmabuf over a sealed memfd, or
 * GPU 0's VRAM), registered for each of the thread's files; SQE addresses are
 * offsets into it, so the loop's base is 0.
 */
function setUpDmabuf(sys: System, job: ResolvedJob, r: IoUring, fds: number[]): number {
  const size = Math.ceil((job.nbufs * job.bs) / PAGE_BYTES) * PAGE_BYTES;
  let dmabuf: number;
  if (job.dmabufMemory === "gpu") {
    dmabuf = sys.gpuDmabufCreate(0, size);
    if (dmabuf < 0) die("GPU dma-buf", dmabuf);
  } else {
    const mfd = sys.memfdCreate(MFD_ALLOW_SEALING);
    let r0 = sys.ftruncate(mfd, size);
    if (r0 < 0) die("ftruncate", r0);
    r0 = sys.fcntlAddSeals(mfd, F_SEAL_SHRINK);
    if (r0 < 0) die("F_ADD_SEALS", r0);
    dmabuf = sys.udmabufCreate(mfd, 0, size);
    if (dmabuf < 0) die("UDMABUF_CREATE", dmabuf);
  }
  const ret = registerBuffersSparse(r, fds.length);
  if (ret < 0) die("io_uring_register_buffers_sparse", ret);
  fds.forEach((fd, i) => {
    const rr = registerBufferDmabuf(r, i, dmabuf, fd);
    if (rr < 0) die("register dma-buf", rr);
  });
  return 0;
}
