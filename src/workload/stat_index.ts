/**
 * The Wasm side's run statistics by name: the indices its `stat_get` and
 * `wl_stat` take (asm/index.ts `stat_get`, asm/user/workload.ts `wl_stat`), and the
 * layout of one per-second sample. Read results by these names, not numbers.
 *
 * @module
 */

/** `stat_get(i)`: completion statistics over the measurement window. */
export const ST = {
  /** Successful I/Os measured. */
  ios: 0,
  /** Bytes they moved. */
  bytes: 1,
  /** Failed I/Os measured. */
  errors: 2,
  /** Sum of completion latencies, ns. */
  latSumNs: 3,
  /** Largest completion latency, ns. */
  latMaxNs: 4,
  /** Smallest completion latency, ns (0 with no I/O). */
  latMinNs: 5,
  /** Buckets in the latency histogram. */
  histBuckets: 6,
  /** Sum of squared completion latencies, ns². */
  latSqSum: 7,
} as const;

/** `wl_stat(i)`: the workload loop's state. */
export const WL_STAT = {
  /** I/Os completed, warm-up included. */
  ios: 0,
  /** Start of the measurement window, simulated ns. */
  t0Ns: 4,
  /** End of the measurement window, simulated ns. */
  t1Ns: 5,
  /** io_uring_enter calls when the window opened. */
  callsAtStart: 6,
  /** Per-second samples taken. */
  samples: 8,
  /** 1 while the measurement window is open. */
  measuring: 9,
  /** io_uring_enter calls when the window closed. */
  callsAtEnd: 10,
} as const;

/** `snap_get(which, i)`: the counter groups snapshotted when the window opened. */
export const SNAP = { iommu: 0, dmabuf: 1, ctrl: 2, iommuUnit: 3 } as const;

/** Per drive in the `SNAP.ctrl` group: commands, controller busy ns, link busy ns. */
export const SNAP_CTRL = { cmds: 0, busyNs: 1, linkBusyNs: 2, words: 3 } as const;

/** Per IOMMU unit in the `SNAP.iommuUnit` group, as `iommu_unit_stat(unit, i)` takes them. */
export const SNAP_IOMMU_UNIT = { busyNs: 0, commands: 1, syncs: 2, batched: 3, words: 4 } as const;

/** `nvme_window_stat(drive, i)`: the drive's occupancy and latency over the window. */
export const NVME_WINDOW = { occupancyAreaNs: 0, latencySumNs: 1, commands: 2 } as const;

/**
 * One per-second sample: 64-bit words at these indices (asm/user/workload.ts
 * `record_sample`), then per core its busy ns at `coreBusy + 2 * core` (and
 * its spin ns after it).
 */
export const SAMPLE = { tNs: 0, ios: 1, bytes: 2, calls: 3, submitted: 4, reaped: 5, coreBusy: 6 } as const;

/** `gpu_counter(i)`: 0 GPU copies, 1 bytes through host memory, then bytes over GPU g's link at `linkBytes + g`. */
export const GPU_COUNTER = { copies: 0, hostMemBytes: 1, linkBytes: 2 } as const;

/** `swiotlb_counter(i)`: shadow buffers of untrusted devices. */
export const SWIOTLB_COUNTER = { bounces: 0, copiedBytes: 1, paddingBytes: 2 } as const;

/**
 * `blk_mq_counter(i)`: requests blk-mq kept because the driver lacked DMA resources (BLK_STS_RESOURCE):
 * requeues (each BLK_STS_RESOURCE return), queue runs after BLK_MQ_RESOURCE_DELAY that found requests
 * waiting, reruns by a freed request (SCHED_RESTART), and requests waiting on dispatch lists now; then nvme's
 * retries of commands that failed without DNR (blk_mq_requeue_request onto q->requeue_list).
 */
export const BLK_MQ_COUNTER = {
  requeues: 0,
  resourceDelayRuns: 1,
  restarts: 2,
  waiting: 3,
  retries: 4,
} as const;

/** `blk_queue_limit(i)`: the block queue limits in force. */
export const QUEUE_LIMIT = { maxHwSectorsKb: 0, maxSectorsKb: 1, maxSegments: 2, dmaAlignment: 3 } as const;
