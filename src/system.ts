/**
 * The simulated system: one machine (from a {@link Profile}) and its kernel.
 * It opens devices, creates dma-bufs, hands out user memory, and sets up
 * io_uring instances. One live System per process: the Wasm module is one
 * machine, so creating a System re-initialises it and retires the previous
 * System (using a retired one throws).
 *
 * @module
 */
import { structArg, w } from "./wasm.ts";
import {
  BLK_MQ_COUNTER,
  COST,
  DMABUF_COUNTER,
  IOMMU_COUNTER,
  IOMMU_KIND,
  IOMMU_MODE,
  NVME_CTRL_CONFIG,
  STACKED_KIND,
  STACKED_STAT,
  STORAGE_CONFIG,
  UNTRUSTED,
} from "./abi.generated.ts";
import { namesInOrder, QUEUE_LIMIT } from "./workload/stat_index.ts";
import { EBUSY, EFAULT, EINVAL, ENODEV, ENOENT, ENOMEM } from "./constants.ts";
import {
  checkStacked,
  COST_NAMES,
  deviceCapacityBytes,
  type Profile,
  ProfileError,
  type StackedProfile,
} from "./profile.ts";
import { resolveProfile } from "./profiles.ts";
import { type SecurityReport, securityReport } from "./security.ts";
import type { KernelState } from "./kernel/kernel.ts";
import {
  dmaBufMoveNotify,
  dmaBufRw,
  dmaBufScheduleInvalidate,
  dmaBufSize,
  memfdAddSeals,
  memfdCreate,
  memfdRw,
  memfdTruncate,
  udmabufCreate,
  vramDmabufCreate,
} from "./kernel/dmabuf.ts";

let epoch = 0;

/** Options for a {@link System}. */
export interface SystemOptions {
  /** A built-in profile name, a profile object, or `{ base, ...overrides }`. Default: "optane-p5800x". */
  profile?: string | Record<string, unknown>;
  /** Override the profile's IOMMU mode. */
  iommu?: "strict" | "lazy" | "passthrough";
  /** Move real bytes (default true); false runs timing only. */
  functional?: boolean;
  /** Seed for the devices' latency jitter (default 1). */
  seed?: number;
  /** Whether the simulated process holds CAP_SYS_ADMIN (default true: benchmarks run as root). */
  capSysAdmin?: boolean;
}

/** IOMMU modes (asm/sim/abi.ts IOMMU_MODE_*). */
const IOMMU_MODES = namesInOrder(IOMMU_MODE);

/** Names of the IOMMU counters, in the order of asm `iommu_counter`. */
export const IOMMU_COUNTERS: readonly (keyof typeof IOMMU_COUNTER)[] = namesInOrder(IOMMU_COUNTER);

/** Names of the dma-buf counters, in the order of asm `dmabuf_counter`. */
export const DMABUF_COUNTERS: readonly (keyof typeof DMABUF_COUNTER)[] = namesInOrder(DMABUF_COUNTER);

/** A stacked block device to create at run time ({@link System.createStacked}), as dmsetup or mdadm would. */
export interface StackedSpec {
  /** Block device name, opened as `/dev/<name>` (e.g. dm-0, md0). */
  name: string;
  /** dm-linear, dm-stripe (RAID 0) or md raid1. */
  kind: "linear" | "striped" | "raid1";
  /** Member drives by name, in table order. */
  members: string[];
  /** dm-stripe's chunk size in KiB (a power of two, at least 4); leave out for the other kinds. */
  chunkKib?: number;
  /** Forward dma-buf registrations to the members (the LSF/MM thread's proposal; v3 returns -EINVAL). */
  dmabufForwarding?: boolean;
}

/** What a stacked device is and how its members stand ({@link System.stackedInfo}). */
export interface StackedInfo {
  /** Its kind. */
  kind: StackedProfile["kind"];
  /** Member drive names, in table order. */
  members: string[];
  /** Member drives' indices in `profile.devices`. */
  memberIndices: number[];
  /** Size in bytes. */
  sizeBytes: number;
  /** Logical block size, bytes (the members' largest: blk_stack_limits). */
  lbaBytes: number;
  /** Clones (bios) the stacking driver sent to each member so far. */
  clones: number[];
  /** md raid1: each mirror's Faulty bit (set by raid1_error). */
  faulty: boolean[];
  /** md raid1: requests pending on each mirror (rdev->nr_pending). */
  pending: number[];
  /** md raid1: the last working mirror failed and was kept (MD_BROKEN). */
  broken: boolean;
  /** md raid1: reads raid1d sent to another mirror after a leg failed. */
  readRetries: number;
  /** dma-buf registrations are forwarded to the members. */
  dmabufForwarding: boolean;
}

/** Stacked device kinds (asm/sim/abi.ts STACKED_KIND_*). */
const STACKED_KINDS = namesInOrder(STACKED_KIND);

/** Options of {@link System.mmapAnon}. */
export interface MmapOptions {
  /** Physically contiguous pages (a huge-page-backed buffer); default false: scattered 4 KiB pages. */
  contiguous?: boolean;
}

/**
 * A simulated machine and kernel.
 *
 * @example
 * ```ts
 * import { System } from "../mod.ts";
 * const sys = new System({ profile: "optane-p5800x" });
 * console.log(sys.profile.devices[0].name); // nvme0n1
 * ```
 */
export class System {
  /** The validated profile this machine was built from. */
  readonly profile: Profile;
  readonly #epoch: number;
  readonly #view: DataView;
  #scratch = 0;
  /** Stacked devices, in asm index order: the profile's, then those {@link createStacked} made. */
  readonly #stacked: StackedProfile[] = [];
  readonly #kernel: KernelState;

  /**
   * The control path's state of this machine (internal: src/kernel/ takes it;
   * not part of the public API).
   */
  get kernel(): KernelState {
    this.check();
    return this.#kernel;
  }

  /** Base of the argument staging area in linear memory (internal). */
  get scratch(): number {
    return this.#scratch;
  }

  /** Build a fresh machine from `opts.profile`. */
  constructor(opts: SystemOptions = {}) {
    const prof = resolveProfile(opts.profile);
    if (opts.iommu) {
      if (!IOMMU_MODES.includes(opts.iommu)) {
        throw new TypeError(`iommu must be strict|lazy|passthrough, got ${opts.iommu}`);
      }
      prof.iommu.mode = opts.iommu;
      const u = prof.devices.findIndex((d) => d.untrusted !== "no");
      if (opts.iommu === "passthrough" && u >= 0) {
        throw new ProfileError(
          `devices[${u}].untrusted`,
          "needs iommu.mode strict or lazy (the kernel gives an untrusted device a translating domain even " +
            "with iommu=pt; dmasim does not model domain types per device)",
        );
      }
    }
    this.profile = prof;
    this.#epoch = ++epoch;
    // One machine per process: this set-up resets the Wasm side for it.
    configureMachine(this.profile, opts.functional ?? true, BigInt(opts.seed ?? 1));
    this.#scratch = w.scratch_ptr();
    this.#view = new DataView(w.memory.buffer);
    this.#kernel = {
      view: this.#view,
      dmabufCapRequired: prof.iommu.dmabuf_cap_required,
      capSysAdmin: opts.capSysAdmin ?? true,
      stackedForwarding: [],
      exporters: { memfds: new Map(), dmabufs: new Map() },
    };
    for (const sd of prof.stacked ?? []) this.#setUpStacked(sd);
  }

  /** Lay stacked device `sd` (checked) out in Wasm as the next index. */
  #setUpStacked(sd: StackedProfile): void {
    const members = sd.members.map((m) => this.deviceIndex(m));
    members.forEach((c, k) => this.#view.setInt32(this.#scratch + 4 * k, c, true));
    w.stacked_setup(
      this.#stacked.length,
      STACKED_KIND[sd.kind],
      this.#scratch,
      members.length,
      sd.chunk_kib * 1024,
      sd.dmabuf_forwarding ? 1 : 0,
    );
    this.#stacked.push(structuredClone(sd));
    this.#kernel.stackedForwarding.push(sd.dmabuf_forwarding);
  }

  /**
   * Create a stacked block device over drives of this machine, as `dmsetup create` (dm-linear,
   * dm-stripe) or `mdadm --create` (md raid1) would; it is then opened as `/dev/<name>`. Returns 0, or
   * -EBUSY (the name is taken, or a member already has a holder: one stacked device per drive), -ENODEV
   * (no such member drive), -EINVAL (wrong member count, mixed block sizes, a bad chunk size, too many
   * devices). Throws a TypeError for arguments of the wrong types.
   *
   * @example
   * ```ts
   * import { O_DIRECT, O_RDWR, OPTANE_P5800X, System } from "../mod.ts";
   * const d0 = OPTANE_P5800X.devices[0];
   * const sys = new System({ profile: { base: "optane-p5800x", devices: [d0, { ...d0, name: "nvme1n1" }] } });
   * console.log(sys.createStacked({ name: "dm-0", kind: "striped", members: ["nvme0n1", "nvme1n1"], chunkKib: 64 }));
   * console.log(sys.open("/dev/dm-0", O_RDWR | O_DIRECT) >= 3); // 0, then true
   * ```
   */
  createStacked(spec: StackedSpec): number {
    this.check();
    if (typeof spec !== "object" || spec === null) {
      throw new TypeError("createStacked: expected a StackedSpec");
    }
    if (typeof spec.name !== "string") throw new TypeError("createStacked: name must be a string");
    if (!STACKED_KINDS.includes(spec.kind)) {
      throw new TypeError(`createStacked: kind must be linear|striped|raid1, got ${spec.kind}`);
    }
    if (!Array.isArray(spec.members) || spec.members.some((m) => typeof m !== "string")) {
      throw new TypeError("createStacked: members must be an array of drive names");
    }
    const chunk = spec.chunkKib ?? 0;
    if (!Number.isInteger(chunk) || chunk < 0) {
      throw new TypeError(`createStacked: chunkKib must be a non-negative integer, got ${spec.chunkKib}`);
    }
    const sd: StackedProfile = {
      name: spec.name,
      kind: spec.kind,
      members: [...spec.members],
      chunk_kib: chunk,
      dmabuf_forwarding: spec.dmabufForwarding ?? false,
    };
    const problem = checkStacked(sd, this.profile.devices, this.#stacked);
    if (problem) return problem.errno === "EBUSY" ? -EBUSY : problem.errno === "ENODEV" ? -ENODEV : -EINVAL;
    this.#setUpStacked(sd);
    return 0;
  }

  /** Index of stacked device `name` (`md0` or `/dev/md0`) in creation order, or -1. */
  stackedIndex(name: string): number {
    const n = name.startsWith("/dev/") ? name.slice(5) : name;
    return this.#stacked.findIndex((s) => s.name === n);
  }

  /** The stacked devices: the profile's, then those created at run time. */
  stackedDevices(): StackedProfile[] {
    return structuredClone(this.#stacked);
  }

  /**
   * A stacked device's layout and its members' state, or null if there is none of that name.
   *
   * @example
   * ```ts
   * import { OPTANE_P5800X, System } from "../mod.ts";
   * const d0 = OPTANE_P5800X.devices[0];
   * const sys = new System({
   *   profile: {
   *     base: "optane-p5800x",
   *     devices: [d0, { ...d0, name: "nvme1n1" }],
   *     stacked: [{ name: "md0", kind: "raid1", members: ["nvme0n1", "nvme1n1"] }],
   *   },
   * });
   * console.log(sys.stackedInfo("md0")?.sizeBytes === sys.deviceBytes(0)); // true
   * ```
   */
  stackedInfo(name: string): StackedInfo | null {
    this.check();
    const s = this.stackedIndex(name);
    if (s < 0) return null;
    const sd = this.#stacked[s];
    const ks = sd.members.map((_, k) => k);
    return {
      kind: sd.kind,
      members: [...sd.members],
      memberIndices: ks.map((k) => w.stacked_stat(s, k, STACKED_STAT.member)),
      sizeBytes: w.stacked_stat(s, 0, STACKED_STAT.sizeBytes),
      lbaBytes: Math.max(...sd.members.map((m) => this.profile.devices[this.deviceIndex(m)].lba_bytes)),
      clones: ks.map((k) => w.stacked_stat(s, k, STACKED_STAT.clones)),
      faulty: ks.map((k) => w.stacked_stat(s, k, STACKED_STAT.faulty) === 1),
      pending: ks.map((k) => w.stacked_stat(s, k, STACKED_STAT.pending)),
      broken: w.stacked_stat(s, 0, STACKED_STAT.broken) === 1,
      readRetries: w.stacked_stat(s, 0, STACKED_STAT.readRetries),
      dmabufForwarding: sd.dmabuf_forwarding,
    };
  }

  /** NVMe commands drive `c` has processed since the machine started. */
  deviceCommands(c = 0): number {
    this.check();
    return w.nvme_ctrl_cmds(c);
  }

  /** Throws when a newer System has replaced this one. */
  check(): void {
    if (this.#epoch !== epoch) {
      throw new Error("this System was replaced by a newer one (one simulated machine per process)");
    }
  }

  /**
   * A DataView over the machine's linear memory. The memory is laid out once
   * when the System is built and never grows after, so the view stays valid.
   */
  get view(): DataView {
    return this.#view;
  }

  /** Simulated time of `core`'s clock, ns. */
  coreTimeNs(core = 0): number {
    return w.core_time_ns(core);
  }

  /** Busy ns of `core` so far. */
  coreBusyNs(core = 0): number {
    return w.core_busy_ns(core);
  }

  /**
   * open(2) an NVMe namespace's block device (`/dev/nvme0n1` or `nvme0n1`), or a stacked device
   * (`/dev/dm-0`, `/dev/md0`: the profile's `stacked` or {@link createStacked}), with O_* flags.
   * Returns an fd or -errno (-ENOENT for an unknown device).
   *
   * @example
   * ```ts
   * import { O_DIRECT, O_RDWR, System } from "../mod.ts";
   * const sys = new System();
   * const fd = sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT);
   * console.log(fd >= 3); // true
   * ```
   */
  open(path: string, flags: number): number {
    this.check();
    const name = path.startsWith("/dev/") ? path.slice(5) : path;
    const c = this.profile.devices.findIndex((d) => d.name === name);
    if (c < 0) {
      const s = this.stackedIndex(name);
      return s < 0 ? -ENOENT : w.stacked_open(s, flags >>> 0);
    }
    return w.blkdev_open(c, flags >>> 0);
  }

  /** Index of the drive `fd`/name refers to in `profile.devices` (-1 if none). */
  deviceIndex(name: string): number {
    const n = name.startsWith("/dev/") ? name.slice(5) : name;
    return this.profile.devices.findIndex((d) => d.name === n);
  }

  /**
   * The block queue limits in force, as /sys/block/nvme0n1/queue shows them
   * (shared by every namespace of the machine): what the profile asked for,
   * clamped as blk_validate_limits and nvme-pci clamp it. Behind a translating
   * IOMMU (strict, lazy) nvme-pci caps max_hw_sectors_kb at 128
   * (dma_opt_mapping_size) and so max_segments at 33; in passthrough at 8192
   * (NVME_MAX_BYTES) and 256 (NVME_MAX_SEGS); MDTS lowers both.
   */
  queueLimits(): {
    max_hw_sectors_kb: number;
    max_sectors_kb: number;
    max_segments: number;
    dma_alignment: number;
  } {
    this.check();
    return {
      max_hw_sectors_kb: w.blk_queue_limit(QUEUE_LIMIT.maxHwSectorsKb),
      max_sectors_kb: w.blk_queue_limit(QUEUE_LIMIT.maxSectorsKb),
      max_segments: w.blk_queue_limit(QUEUE_LIMIT.maxSegments),
      dma_alignment: w.blk_queue_limit(QUEUE_LIMIT.dmaAlignment),
    };
  }

  /** Capacity of drive `c` in bytes. */
  deviceBytes(c = 0): number {
    return Number(w.nvme_capacity_bytes(c));
  }

  /**
   * mmap anonymous user memory of `length` bytes (pages of simulated RAM).
   * Returns its user address, or -ENOMEM.
   */
  mmapAnon(length: number, opts: MmapOptions = {}): number {
    this.check();
    if (!Number.isSafeInteger(length) || length <= 0) {
      throw new TypeError(`length must be a positive integer`);
    }
    const va = w.user_alloc(length, opts.contiguous ? 1 : 0);
    return va === 0 ? -ENOMEM : va;
  }

  /** copy_to_user: write `data` at user address `addr`. 0, or -EFAULT if unmapped. */
  writeUser(addr: number, data: Uint8Array): number {
    this.check();
    const chunk = 1 << 20;
    for (let off = 0; off < data.length; off += chunk) {
      const part = data.subarray(off, off + chunk);
      new Uint8Array(w.memory.buffer, this.#scratch, part.length).set(part);
      if (!w.user_write(addr + off, part.length)) return -EFAULT;
    }
    return 0;
  }

  /** copy_from_user: read `length` bytes at user address `addr`, or -EFAULT. */
  readUser(addr: number, length: number): Uint8Array | number {
    this.check();
    const out = new Uint8Array(length);
    const chunk = 1 << 20;
    for (let off = 0; off < length; off += chunk) {
      const n = Math.min(chunk, length - off);
      if (!w.user_read(addr + off, n)) return -EFAULT;
      out.set(new Uint8Array(w.memory.buffer, this.#scratch, n), off);
    }
    return out;
  }

  /** The physical address behind a user address (0 if unmapped). */
  userPhysAddr(addr: number): number {
    return w.user_pa(addr);
  }

  /** Read `length` bytes of simulated physical memory at `pa` (page cache of nothing: raw). */
  readPhys(pa: number | bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let p = Number(pa);
    for (let off = 0; off < length;) {
      const n = Math.min(4096 - (p % 4096), length - off);
      w.phys_peek(p, n);
      out.set(new Uint8Array(w.memory.buffer, this.#scratch, n), off);
      off += n;
      p += n;
    }
    return out;
  }

  /** IOMMU counters since the machine started. */
  iommuCounters(): Record<(typeof IOMMU_COUNTERS)[number], number> {
    return Object.fromEntries(IOMMU_COUNTERS.map((n) => [n, w.iommu_counter(IOMMU_COUNTER[n])])) as Record<
      (typeof IOMMU_COUNTERS)[number],
      number
    >;
  }

  /** IOMMU faults recorded (the newest 256): device, DMA address, reason. */
  iommuFaults(): { dev: number; addr: bigint; reason: "not-present" | "permission" }[] {
    const out = [];
    const n = w.iommu_fault_count();
    for (let i = 0; i < n; i++) {
      out.push({
        dev: w.iommu_fault_dev(i),
        addr: BigInt.asUintN(64, BigInt(w.iommu_fault_addr(i))),
        reason: w.iommu_fault_reason(i) === 1 ? "not-present" as const : "permission" as const,
      });
    }
    return out;
  }

  /** IOVA bytes held in drive `c`'s IOMMU domain (live mappings, and in lazy mode the flush queues). */
  iovaInUseBytes(c = 0): number {
    this.check();
    return w.nvme_iova_in_use(c) * 4096;
  }

  /**
   * blk-mq's requeues since the machine started: requests the driver could not take for want of IOVA
   * space or a PRP/SGL pool block (BLK_STS_RESOURCE), kept on their queue's dispatch list and retried
   * (see docs/lsfmm.md §2); and `retries`: commands nvme requeued after a media error without DNR
   * (nvme_retry_req → blk_mq_requeue_request; per controller: `nvmeRetries(c)`).
   */
  blkMqCounters(): {
    requeues: number;
    resourceDelayRuns: number;
    restarts: number;
    waiting: number;
    retries: number;
  } {
    this.check();
    return {
      requeues: w.blk_mq_counter(BLK_MQ_COUNTER.requeues),
      resourceDelayRuns: w.blk_mq_counter(BLK_MQ_COUNTER.resourceDelayRuns),
      restarts: w.blk_mq_counter(BLK_MQ_COUNTER.restarts),
      waiting: w.blk_mq_counter(BLK_MQ_COUNTER.waiting),
      retries: w.blk_mq_counter(BLK_MQ_COUNTER.retries),
    };
  }

  /** Retries of NVMe controller `c` (nvme_retry_req: a failed command without DNR issued again). */
  nvmeRetries(c: number): number {
    this.check();
    return w.nvme_retries(c);
  }

  /** Bytes of registered dma-bufs charged to the user (the `iommu.dmabuf_limit_mib` policy's count). */
  dmabufLockedBytes(): number {
    this.check();
    return w.dmabuf_user_locked_bytes();
  }

  /**
   * What the devices could reach that they should not, from machine start
   * up to the latest core clock (or `tEndNs`): see {@link SecurityReport}.
   *
   * @example
   * ```ts
   * import { System } from "../mod.ts";
   * const sys = new System({ iommu: "passthrough" });
   * console.log(sys.security().allMemoryReachable); // true
   * ```
   */
  security(tEndNs?: number): SecurityReport {
    this.check();
    const t = tEndNs ??
      Math.max(...Array.from({ length: this.profile.cpu.cores }, (_, c) => w.core_time_ns(c)));
    return securityReport(this.profile, t);
  }

  // ---- memfd, udmabuf and GPU dma-bufs ----

  /** memfd_create(2): an fd, or -errno. Pass MFD_ALLOW_SEALING to be able to seal it. */
  memfdCreate(flags = 0): number {
    this.check();
    return memfdCreate(this.#kernel, flags >>> 0);
  }

  /** ftruncate(2) on a memfd: 0, or -EPERM against a seal, -EINVAL if not a memfd. */
  ftruncate(fd: number, size: number): number {
    this.check();
    return memfdTruncate(this.#kernel, fd | 0, BigInt.asUintN(64, BigInt(size)));
  }

  /** fcntl(fd, F_ADD_SEALS, seals) on a memfd: 0 or -errno. */
  fcntlAddSeals(fd: number, seals: number): number {
    this.check();
    return memfdAddSeals(this.#kernel, fd | 0, seals >>> 0);
  }

  /** pwrite(2) on a memfd: bytes written or -errno. */
  memfdWrite(fd: number, offset: number, data: Uint8Array): number {
    return this.#writeChunked(
      data,
      (off, n) =>
        memfdRw(this.#kernel, fd | 0, BigInt.asUintN(64, BigInt(offset + off)), this.#scratch, n, true),
    );
  }

  /**
   * Stage `data` through the scratch area in 1 MiB pieces, calling `put(off,
   * n)` for each; stops at an error or a short write. Bytes written or -errno.
   */
  #writeChunked(data: Uint8Array, put: (off: number, n: number) => number): number {
    this.check();
    let done = 0;
    for (let off = 0; off < data.length; off += 1 << 20) {
      const part = data.subarray(off, off + (1 << 20));
      new Uint8Array(w.memory.buffer, this.#scratch, part.length).set(part);
      const r = put(off, part.length);
      if (r < 0) return r;
      done += r;
      if (r < part.length) break;
    }
    return done;
  }

  /**
   * UDMABUF_CREATE: a dma-buf over [offset, offset+size) of a sealed memfd
   * (F_SEAL_SHRINK required, F_SEAL_WRITE refused; 64 MiB size limit).
   * Returns the dma-buf fd, or -errno.
   *
   * @example
   * ```ts
   * import { F_SEAL_SHRINK, MFD_ALLOW_SEALING, System } from "../mod.ts";
   * const sys = new System();
   * const mfd = sys.memfdCreate(MFD_ALLOW_SEALING);
   * sys.ftruncate(mfd, 1 << 20);
   * sys.fcntlAddSeals(mfd, F_SEAL_SHRINK);
   * const dmabuf = sys.udmabufCreate(mfd, 0, 1 << 20);
   * console.log(dmabuf > 0); // true
   * ```
   */
  udmabufCreate(memfd: number, offset: number, size: number, flags = 0): number {
    return this.udmabufCreateList([{ memfd, offset, size }], flags);
  }

  /** UDMABUF_CREATE_LIST: one dma-buf over several memfd ranges (at most 1024). */
  udmabufCreateList(items: readonly { memfd: number; offset: number; size: number }[], flags = 0): number {
    this.check();
    if (items.length * 24 > 1 << 20) return -EINVAL;
    const v = this.view;
    items.forEach((it, i) => {
      const p = this.#scratch + 24 * i;
      v.setInt32(p, it.memfd, true);
      v.setUint32(p + 4, 0, true);
      v.setBigUint64(p + 8, BigInt(it.offset), true);
      v.setBigUint64(p + 16, BigInt(it.size), true);
    });
    return udmabufCreate(this.#kernel, this.#scratch, items.length, flags >>> 0);
  }

  /** A dma-buf of `size` bytes of GPU `gpu`'s device memory (a VRAM exporter): its fd, or -errno. */
  gpuDmabufCreate(gpu: number, size: number): number {
    this.check();
    return vramDmabufCreate(this.#kernel, gpu | 0, BigInt.asUintN(64, BigInt(size)));
  }

  /** Physical (or bus) address of page `i` of a dma-buf; 0 if out of range. */
  dmabufPagePa(fd: number, i: number): number {
    return w.dmabuf_page_pa(fd, i);
  }

  /** Size of a dma-buf in bytes, or -EBADF. */
  dmabufSize(fd: number): number {
    this.check();
    return dmaBufSize(this.#kernel, fd | 0);
  }

  /** Write bytes into a dma-buf (CPU access, for filling). Bytes written or -errno. */
  dmabufWrite(fd: number, offset: number, data: Uint8Array): number {
    return this.#writeChunked(
      data,
      (off, n) =>
        dmaBufRw(this.#kernel, fd | 0, BigInt.asUintN(64, BigInt(offset + off)), this.#scratch, n, true),
    );
  }

  /** Read bytes out of a dma-buf (CPU access, for checking), or -errno. */
  dmabufRead(fd: number, offset: number, length: number): Uint8Array | number {
    this.check();
    const out = new Uint8Array(length);
    for (let off = 0; off < length; off += 1 << 20) {
      const n = Math.min(1 << 20, length - off);
      const r = dmaBufRw(
        this.#kernel,
        fd | 0,
        BigInt.asUintN(64, BigInt(offset + off)),
        this.#scratch,
        n,
        false,
      );
      if (r < 0) return r;
      out.set(new Uint8Array(w.memory.buffer, this.#scratch, r), off);
      if (r < n) return out.subarray(0, off + r);
    }
    return out;
  }

  /**
   * The exporter invalidates every importer's mapping now (move_notify).
   * With `migrate`, a GPU exporter also moves the memory once every fence
   * has signalled. 0 or -EBADF.
   */
  dmabufMoveNotify(fd: number, opts: { migrate?: boolean; core?: number } = {}): number {
    this.check();
    return dmaBufMoveNotify(this.#kernel, fd | 0, opts.core ?? 0, !!opts.migrate);
  }

  /** Schedule `count` invalidations at simulated `atNs`, then every `periodNs`. */
  dmabufScheduleInvalidate(fd: number, atNs: number, periodNs: number, count: number): number {
    this.check();
    return dmaBufScheduleInvalidate(this.#kernel, fd | 0, atNs, periodNs, count >>> 0);
  }

  /** dma-buf counters since the machine started. */
  dmabufCounters(): Record<(typeof DMABUF_COUNTERS)[number], number> {
    return Object.fromEntries(DMABUF_COUNTERS.map((n) => [n, w.dmabuf_counter(DMABUF_COUNTER[n])])) as Record<
      (typeof DMABUF_COUNTERS)[number],
      number
    >;
  }

  /** Maps and tokens alive now. */
  dmabufLive(): { maps: number; tokens: number } {
    return { maps: w.dmabuf_maps_live(), tokens: w.dmabuf_tokens_live() };
  }

  /** close(2) a file descriptor: 0 or -EBADF. */
  close(fd: number): number {
    this.check();
    return w.fd_close(fd);
  }
}

/**
 * Lay out a fresh machine in Wasm for profile `p`: cores, memory and costs,
 * the IOMMU and NVMe host settings, the IOMMU hardware, GPUs, the dma-buf
 * layer, then each drive (`configureDrives`).
 */
function configureMachine(p: Profile, functional: boolean, seed: bigint): void {
  w.machine_init(
    p.cpu.cores,
    p.memory.host_mib,
    (p.memory.backing_mib + p.memory.media_mib) * 256,
    p.gpus.reduce((m, g) => Math.max(m, g.vram_mib), 0),
    p.gpus.length,
  );
  // Each profile cost by the id asm/sim/cost_ids.ts gives its name (a test holds the two lists equal).
  COST_NAMES.forEach((n) => w.set_cost(COST[n as keyof typeof COST], p.costs_ns[n]));
  const io = p.iommu;
  const nv = p.nvme;
  w.storage_init(
    structArg(STORAGE_CONFIG, {
      iommuMode: IOMMU_MODE[io.mode],
      iotlbEntries: io.iotlb_entries,
      iotlbWays: io.iotlb_ways,
      walkNs: io.walk_ns,
      walkCachedNs: io.walk_cached_ns,
      invalLatencyNs: io.inval_latency_ns,
      fqSize: io.fq_size,
      fqTimeoutNs: io.fq_timeout_ms * 1_000_000,
      nctrls: p.devices.length,
      queueDepth: nv.queue_depth,
      sglSupported: nv.sgl_supported,
      sglThresholdBytes: nv.sgl_threshold,
      poolPagesMax: nv.pool_pages_max,
      maxSectorsKb: nv.max_sectors_kb,
      mdts: nv.mdts,
      maxSegments: nv.max_segments,
      dmaAlignmentBytes: nv.dma_alignment,
      functional,
      hostMemMbps: p.memory.bandwidth_mbps,
      apertureBits: io.aperture_bits,
      // The profile spells AMD-Vi "amd-vi"; the module's names are identifiers.
      iommuKind: IOMMU_KIND[io.kind === "amd-vi" ? "amd_vi" : io.kind],
      syncLatencyNs: io.sync_latency_ns,
      cmdNs: io.cmd_ns,
      rangeInval: io.range_inval,
      maxInvalPages: io.max_inval_pages,
      ats: io.ats,
      atcInvalNs: io.atc_inval_ns,
    }),
    STORAGE_CONFIG.size,
  );
  p.gpus.forEach((g, i) => w.gpu_setup(i, g.pcie_gen, g.pcie_lanes, g.copy_latency_ns));
  w.dmabuf_setup(p.gpus.reduce((m, g, i) => g.p2p === "switch" ? m | (1 << i) : m, 0));
  // The registration policy's byte limit is kept in Wasm (a token's bytes are given back on the I/O path);
  // its capability requirement is the control path's (src/kernel/rsrc.ts).
  w.dmabuf_set_policy(p.iommu.dmabuf_limit_mib * 2 ** 20);
  configureDrives(p, seed);
}

/** Each NVMe drive of `p`: its controller, SSD and link, on IOMMU unit `index % units`. */
function configureDrives(p: Profile, seed: bigint): void {
  const io = p.iommu;
  p.devices.forEach((d, c) => {
    w.nvme_ctrl_setup(
      c,
      structArg(NVME_CTRL_CONFIG, {
        lbaBytes: d.lba_bytes,
        capacityLbas: deviceCapacityBytes(d) / BigInt(d.lba_bytes),
        iopsMax: d.iops_max,
        readLatencyNs: d.read_latency_ns,
        writeLatencyNs: d.write_latency_ns,
        latencyJitterNs: d.latency_jitter_ns,
        mediaMbps: d.media_mbps,
        channels: d.channels,
        pcieGen: p.pcie.gen,
        pcieLanes: p.pcie.lanes,
        maxPayloadBytes: p.pcie.max_payload_bytes,
        tlpOverheadBytes: p.pcie.tlp_overhead_bytes,
        iommuUnit: c % io.units,
        seed,
        mediaErrorPpm: d.media_error_ppm,
      }),
      NVME_CTRL_CONFIG.size,
    );
    w.nvme_set_dma_mask(c, d.dma_mask_bits);
    w.nvme_set_untrusted(c, UNTRUSTED[d.untrusted]);
    w.nvme_ctrl_set_media_error_dnr(c, d.media_error_dnr ? 1 : 0);
  });
  w.nvme_set_max_retries(p.nvme.max_retries);
}
