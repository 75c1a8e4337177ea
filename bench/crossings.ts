/**
 * Wasm boundary crossings per simulated I/O (issue 9, item 3): how often
 * TypeScript calls into the Wasm module in three scenarios. The module
 * imports nothing, so no call goes from Wasm to TypeScript; every crossing
 * is a call through the guarded exports, counted by `wasmCrossings`
 * (src/wasm.ts, reached through the one documented internal entry).
 *
 * - the headline run (t/io_uring, 512 B random reads, QD128, polled,
 *   dma-buf, passthrough): set-up, then the loop driven in slices;
 * - the ring core: NOPs at QD128 in batches of 32 through the liburing API;
 * - registration-heavy: a liburing program that, over and over, registers a
 *   dma-buf in a slot (IORING_REGISTER_BUFFERS_UPDATE with one 80-byte
 *   descriptor), reads 32 × 4 KiB through it in one batch, and empties the
 *   slot again; so each registration serves 32 I/Os.
 *
 * Run alone: `deno run --allow-read --allow-env bench/crossings.ts`.
 *
 * @module
 */
import {
  F_SEAL_SHRINK,
  getSqe,
  headlineJob,
  IO_REGBUF_TYPE_EMPTY,
  IORING_RSRC_UPDATE_EXTENDED,
  ioUringQueueExit,
  ioUringQueueInit,
  MFD_ALLOW_SEALING,
  O_DIRECT,
  O_RDWR,
  prepReadFixed,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  registerBuffersUpdate2,
  runUring,
  submitAndWait,
  System,
} from "../mod.ts";
import { wasmCrossings } from "../src/internal.ts";
import { benchNop } from "./nop.ts";

/** Crossings counted in one scenario. */
export interface CrossingCount {
  /** What ran. */
  scenario: string;
  /** I/Os (or NOPs) completed. */
  ios: number;
  /** Calls from TypeScript into Wasm, set-up included. */
  crossings: number;
  /** Control events (registrations and unregistrations) in the run; 0 where there are none to speak of. */
  controlEvents: number;
}

/** Count the crossings `run` makes; `run` returns the I/Os done and the control events. */
function counted(scenario: string, run: () => { ios: number; controlEvents: number }): CrossingCount {
  const c0 = wasmCrossings();
  const r = run();
  return { scenario, ios: r.ios, crossings: wasmCrossings() - c0, controlEvents: r.controlEvents };
}

/** The registration-heavy program: `rounds` × (register a dma-buf, 32 reads of 4 KiB, empty the slot). */
export function registrationHeavy(rounds: number): { ios: number; controlEvents: number } {
  const sys = new System({ iommu: "strict" });
  const ring = ioUringQueueInit(sys, 64, 0);
  if (typeof ring === "number") throw new Error(`io_uring_queue_init: ${ring}`);
  const fd = sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT);
  const mfd = sys.memfdCreate(MFD_ALLOW_SEALING);
  const size = 32 * 4096;
  if (sys.ftruncate(mfd, size) < 0 || sys.fcntlAddSeals(mfd, F_SEAL_SHRINK) < 0) throw new Error("memfd");
  const dmabuf = sys.udmabufCreate(mfd, 0, size);
  if (dmabuf < 0 || registerBuffersSparse(ring, 1) < 0) throw new Error("udmabuf or sparse table");
  let ios = 0;
  for (let k = 0; k < rounds; k++) {
    if (registerBufferDmabuf(ring, 0, dmabuf, fd) !== 1) throw new Error("register dma-buf");
    for (let i = 0; i < 32; i++) prepReadFixed(getSqe(ring)!, fd, i * 4096, 4096, (k * 32 + i) * 4096, 0);
    submitAndWait(ring, 32);
    for (const cqe of reapCqes(ring)) {
      if (cqe.res !== 4096) throw new Error(`read failed: ${cqe.res}`);
      ios++;
    }
    const empty = { type: IO_REGBUF_TYPE_EMPTY };
    if (
      registerBuffersUpdate2(ring, { offset: 0, flags: IORING_RSRC_UPDATE_EXTENDED, data: [empty] }) !== 1
    ) {
      throw new Error("empty slot");
    }
  }
  ioUringQueueExit(ring);
  return { ios, controlEvents: 2 * rounds };
}

/** The three scenarios, counted. */
export function countCrossings(ios = 1_000_000): CrossingCount[] {
  return [
    counted("headline: t/io_uring, dma-buf, passthrough", () => {
      const r = runUring(headlineJob({ iommu: "passthrough", buffers: "dmabuf", ios }));
      return { ios: r.ios, controlEvents: 0 };
    }),
    counted("ring core: NOPs, QD128, batches of 32", () => ({ ios: benchNop(ios).nops, controlEvents: 0 })),
    counted(
      "registration-heavy: register, 32 reads, empty the slot",
      () => registrationHeavy(Math.floor(ios / 3200)),
    ),
  ];
}

/** One line per scenario: crossings, per I/O, per control event. */
export function formatCrossings(rows: readonly CrossingCount[]): string[] {
  return rows.map((r) =>
    `  ${r.scenario}: ${r.crossings} crossings for ${r.ios} I/Os = ${
      (r.crossings / r.ios).toFixed(4)
    } per I/O` +
    (r.controlEvents > 0 ? ` (${r.controlEvents} control events)` : "")
  );
}

if (import.meta.main) {
  console.log("Wasm boundary crossings (TS → Wasm calls; the module imports nothing, so none go back):");
  for (const line of formatCrossings(countCrossings())) console.log(line);
}
