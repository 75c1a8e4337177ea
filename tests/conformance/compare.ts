/**
 * Compare what the kernel answered with what dmasim answered, program by
 * program, line by line (setup results, every enter and register return,
 * every CQE in order, SQ flags at checkpoints, data digests). A disagreement
 * is either explained by one of the named {@link KNOWN_DIFFERENCES} (each a
 * documented choice, see docs/conformance.md) or it fails the suite.
 *
 * @module
 */
import { IOSQE_ASYNC, IOSQE_IO_DRAIN, IOSQE_IO_HARDLINK, IOSQE_IO_LINK } from "../../mod.ts";
import { expandLine, type Program } from "./program.ts";

/** A named, documented difference between dmasim and the kernel. */
export interface KnownDifference {
  /** Short name, as reports and docs/conformance.md list it. */
  name: string;
  /** What the kernel does and what dmasim does instead. */
  why: string;
  /** True when `program` exercises it (a disagreement on such a program is explained). */
  matches(program: Program): boolean;
}

/** The SQEs of a program, decoded enough to match features. */
export function sqeFields(
  program: Program,
): { opcode: number; flags: number; opFlags: number; ioprio: number; personality: number; len: number }[] {
  return program.lines.map(expandLine).filter((l) => l.startsWith("Q ")).map((l) => {
    const hex = l.split(" ")[1];
    const byte = (i: number) => parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return {
      opcode: byte(0),
      flags: byte(1),
      opFlags: (byte(28) | (byte(29) << 8) | (byte(30) << 16) | (byte(31) << 24)) >>> 0,
      ioprio: byte(2) | (byte(3) << 8),
      personality: byte(42) | (byte(43) << 8),
      len: (byte(24) | (byte(25) << 8) | (byte(26) << 16) | (byte(27) << 24)) >>> 0,
    };
  });
}

/** The setup flags of a program (its `S` line). */
export function setupFlags(program: Program): number {
  const s = program.lines.find((l) => l.startsWith("S "));
  return s ? Number(s.split(" ")[2]) : 0;
}

/**
 * Differences dmasim keeps on purpose: each names the mechanism it leaves
 * out. The list shrinks as causes are fixed; a disagreement no entry
 * explains fails the suite.
 */
export const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    name: "setup-unmodelled-flags",
    why: "IORING_SETUP_SQPOLL (a kernel submission thread), CQE_MIXED, SQE128, CQE32, NO_MMAP, R_DISABLED, " +
      "ATTACH_WQ: the kernel sets the ring up; dmasim answers -EOPNOTSUPP, after every check the kernel makes " +
      "first (so the kernel's own -EINVALs agree)",
    matches: (p) =>
      (setupFlags(p) & ((1 << 1) | (1 << 5) | (1 << 6) | (1 << 10) | (1 << 11) | (1 << 14) | (1 << 18))) !==
        0,
  },
  {
    name: "iowq-timing",
    why:
      "requests handed to io-wq (IOSQE_ASYNC, a link left open at the end of a submission) complete on a " +
      "worker thread whenever it runs: the kernel's CQE order and the CQEs visible at a checkpoint vary " +
      "with timing. dmasim completes them one task-work pass after the batch, a fixed choice",
    matches: (p) => usesIowq(p),
  },
  {
    name: "drain-release-timing",
    why: "io_queue_deferred releases a drained request once nr_req_allocated equals nr_drained; the kernel " +
      "counts requests until they are freed at the batch's flush (and its request cache), dmasim until they " +
      "complete, so a drained chain can start one task-work pass earlier in dmasim",
    matches: (p) => sqeFields(p).some((q) => (q.flags & IOSQE_IO_DRAIN) !== 0),
  },
  // ---- block-device causes (tests/conformance/block_device.test.ts), not fixed yet ----
  {
    name: "dio-memory-alignment",
    why:
      "6.18 checks only the total length against the logical block size up front (segments may be shorter) " +
      "and a direct I/O's memory alignment against dma_alignment only when the bio may need a " +
      "split (bio_split_io_at); a one-segment bio inside a page skips it. dmasim checked every request up front",
    matches: (p) =>
      hasBlockOp(p) && (dataAddresses(p).some((a) => a % 512 !== 0) ||
        p.lines.some((l) =>
          l.startsWith("V ") && l.split(" ").slice(4).some((e) => Number(e.split("/")[1]) % 4096 !== 0)
        )),
  },
];

/** The program hands a request to io-wq: IOSQE_ASYNC, or a link still open when an enter submits. */
export function usesIowq(program: Program): boolean {
  const lines = program.lines.map(expandLine);
  let lastLinked = false;
  for (const l of lines) {
    if (l.startsWith("Q ")) {
      const f = parseInt(l.slice(4, 6), 16);
      if ((f & IOSQE_ASYNC) !== 0) return true;
      lastLinked = (f & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) !== 0;
    } else if (l.startsWith("E ") && lastLinked) return true;
  }
  return false;
}

/** The program issues a read or write (a block-device case). */
export function hasBlockOp(program: Program): boolean {
  return sqeFields(program).some((q) => [1, 2, 4, 5, 22, 23, 60, 61].includes(q.opcode));
}

/** Buffer-relative data addresses a program's requests use (plain addr and iovec bases in buffer 0). */
export function dataAddresses(program: Program): number[] {
  const out: number[] = [];
  for (const l of program.lines) {
    const a = l.split(" ");
    if (a[0] === "Q" && a[2].startsWith("0:")) out.push(Number(a[2].slice(2)));
    if (a[0] === "V") {
      for (const e of a.slice(4)) if (e.startsWith("0:")) out.push(Number(e.slice(2).split("/")[0]));
    }
  }
  return out;
}

/** The outcome of comparing one program. */
export interface Verdict {
  /** The program. */
  program: Program;
  /** Agrees with one of the kernel runs. */
  agree: boolean;
  /** The known difference that explains a disagreement, if one does. */
  known?: string;
  /** The first differing line (kernel vs dmasim), for reports. */
  diff?: string;
}

/** The first line where `a` (kernel) and `b` (dmasim) differ, or null when equal. */
export function firstDiff(a: readonly string[], b: readonly string[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      return `line ${i}: kernel ${JSON.stringify(a[i] ?? "(end)")}, dmasim ${
        JSON.stringify(b[i] ?? "(end)")
      }`;
    }
  }
  return null;
}

/**
 * Compare one program: dmasim's output must equal one of the kernel runs
 * (io-wq makes the kernel's order vary between runs).
 */
export function compareProgram(
  program: Program,
  kernelRuns: readonly (readonly string[])[],
  dmasim: readonly string[],
  known: readonly KnownDifference[] = KNOWN_DIFFERENCES,
): Verdict {
  if (kernelRuns.some((k) => firstDiff(k, dmasim) === null)) return { program, agree: true };
  const diff = firstDiff(kernelRuns[0], dmasim) ?? "";
  const k = known.find((d) => d.matches(program));
  if (k) return { program, agree: false, known: k.name, diff };
  // The same results, only a CQE seen before a checkpoint in dmasim and after it in the kernel.
  const calls = (out: readonly string[]) => out.filter((l) => !l.startsWith("sqflags"));
  const dm = calls(dmasim);
  if (kernelRuns.some((run) => firstDiff(calls(run), dm) === null)) {
    return { program, agree: false, known: CHECKPOINT_TIMING.name, diff };
  }
  if (hasBlockOp(program)) {
    // The same lines, only block completions of one wait in another order.
    const sorted = sortCqeRuns(dmasim);
    if (kernelRuns.some((run) => firstDiff(sortCqeRuns(run), sorted) === null)) {
      return { program, agree: false, known: DEVICE_COMPLETION_ORDER.name, diff };
    }
    // The same lines but a data digest, where concurrent reads wrote the same memory.
    const noData = (out: readonly string[]) => out.filter((l) => !l.startsWith("data "));
    if (
      (overlappingConcurrentReads(program) || readWriteRace(program)) &&
      kernelRuns.some((run) => firstDiff(noData(run), noData(dmasim)) === null)
    ) {
      return { program, agree: false, known: OVERLAPPING_READS.name, diff };
    }
  }
  return { program, agree: false, diff };
}

/**
 * A difference told by the results of a block program: every line agrees once each run of consecutive CQEs
 * is sorted — requests in flight on the device together completed in another order.
 */
export const DEVICE_COMPLETION_ORDER: Omit<KnownDifference, "matches"> = {
  name: "device-completion-order",
  why: "requests in flight together on a device complete in the device's order: the loop device's (its " +
    "backing file's direct I/O) and dmasim's NVMe model (each command's own media time) differ, as two " +
    "drives would; every result agrees, only their order within one wait differs",
};

/**
 * A difference told by the results of a block program: every line agrees but a data digest, and two reads
 * submitted together wrote overlapping memory, so the bytes there are whichever DMA landed last.
 */
export const OVERLAPPING_READS: Omit<KnownDifference, "matches"> = {
  name: "overlapping-read-targets",
  why: "reads in flight together into overlapping memory (two requests, or one request's own iovecs, " +
    "split into commands), or a read in flight with a write to the same device bytes: what lands is " +
    "device timing (the kernel's loop device and dmasim's model differ); every result agrees",
};

/** Sort each maximal run of consecutive `cqe` lines. */
function sortCqeRuns(out: readonly string[]): string[] {
  const r: string[] = [];
  let run: string[] = [];
  const flush = () => {
    r.push(...run.sort());
    run = [];
  };
  for (const l of out) {
    if (l.startsWith("cqe ")) run.push(l);
    else {
      flush();
      r.push(l);
    }
  }
  flush();
  return r;
}

const READ_OPCODES = [1, 4, 22, 60]; // READV, READ_FIXED, READ, READV_FIXED
const WRITE_OPCODES = [2, 5, 23, 61]; // WRITEV, WRITE_FIXED, WRITE, WRITEV_FIXED

/** A memory range of one buffer. */
interface MemRange {
  buf: string;
  start: number;
  end: number;
}

/** One read or write of a program: its memory ranges and its device range. */
interface BlockIo {
  write: boolean;
  mem: MemRange[];
  devStart: number;
  devEnd: number;
}

/** The block I/Os of a program, grouped by the enter that submits them. */
function blockBatches(program: Program): BlockIo[][] {
  const iovs = new Map<string, MemRange[]>();
  const out: BlockIo[][] = [];
  let batch: BlockIo[] = [];
  for (const raw of program.lines) {
    const a = expandLine(raw).split(" ");
    if (a[0] === "V") {
      iovs.set(
        `${a[1]}:${a[2]}`,
        a.slice(4).map((e) => {
          const [ref, len] = e.split("/");
          const [buf, off] = ref.split(":");
          return { buf, start: Number(off), end: Number(off) + Number(len) };
        }),
      );
    } else if (a[0] === "Q") {
      const hex = a[1];
      const byte = (i: number) => parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      const op = byte(0);
      const write = WRITE_OPCODES.includes(op);
      if ((!write && !READ_OPCODES.includes(op)) || !a[2] || !a[2].includes(":")) continue;
      const len = (byte(24) | (byte(25) << 8) | (byte(26) << 16) | (byte(27) << 24)) >>> 0;
      let off = 0;
      for (let i = 7; i >= 0; i--) off = off * 256 + byte(8 + i);
      let mem: MemRange[];
      if ([1, 2, 60, 61].includes(op)) mem = iovs.get(a[2]) ?? [];
      else {
        const [buf, o] = a[2].split(":");
        mem = [{ buf, start: Number(o), end: Number(o) + len }];
      }
      const total = mem.reduce((n, m) => n + Math.max(0, m.end - m.start), 0);
      batch.push({ write, mem, devStart: off, devEnd: off + total });
    } else if (a[0] === "E") {
      out.push(batch);
      batch = [];
    }
  }
  return out;
}

const memOverlap = (x: MemRange[], y: MemRange[]) =>
  x.some((a) => y.some((b) => a.buf === b.buf && a.start < b.end && b.start < a.end));
const devOverlap = (x: BlockIo, y: BlockIo) =>
  x.devStart < y.devEnd && y.devStart < x.devEnd && x.devEnd > x.devStart && y.devEnd > y.devStart;

/**
 * What a program leaves on the device depends on timing: two writes submitted
 * together overlap on the device, or a write's source memory is a concurrent
 * read's destination. Later reads of that device may then differ in data.
 */
export function timingDependentDeviceWrites(program: Program): boolean {
  return blockBatches(program).some((b) =>
    b.some((x, i) =>
      x.write && b.some((y, j) => j !== i && (y.write ? j > i && devOverlap(x, y) : memOverlap(x.mem, y.mem)))
    )
  );
}

/** A read submitted together with a write that overlaps it on the device: old or new bytes, by timing. */
export function readWriteRace(program: Program): boolean {
  return blockBatches(program).some((b) =>
    b.some((x) => !x.write && b.some((y) => y.write && devOverlap(x, y)))
  );
}

/**
 * Reads whose destination memory overlaps while in flight together: two
 * submitted by the same enter, or one whose own iovecs overlap (by address
 * and length, or the iovecs' `k:off/len` entries).
 */
export function overlappingConcurrentReads(program: Program): boolean {
  return blockBatches(program).some((b) => {
    const reads = b.filter((x) => !x.write);
    return reads.some((x, i) =>
      x.mem.some((r, k) => x.mem.some((q, l) => l > k && memOverlap([r], [q]))) ||
      reads.some((y, j) => j > i && memOverlap(x.mem, y.mem))
    );
  });
}

/**
 * A difference told by the results, not the program: every return and every CQE agree, in order, but a
 * CQE that dmasim shows before an SQ-flags checkpoint the kernel shows after it.
 */
export const CHECKPOINT_TIMING: Omit<KnownDifference, "matches"> = {
  name: "tw-checkpoint-timing",
  why: "the kernel runs task work (link cancellations, deferred completions) when the task next returns to " +
    "user space or enters, and a signal-notified pass may land before or after the runner reads the CQ at " +
    "a checkpoint (seen to vary between runs of the same program); dmasim runs it before returning from " +
    "the enter that queued it",
};

/** Counts for a report line. */
export interface Tally {
  compared: number;
  agreeing: number;
  /** Known difference name → programs it explains. */
  known: Record<string, number>;
  /** Disagreements nothing explains. */
  unexplained: Verdict[];
}

/** Tally verdicts. */
export function tally(verdicts: readonly Verdict[]): Tally {
  const t: Tally = { compared: verdicts.length, agreeing: 0, known: {}, unexplained: [] };
  for (const v of verdicts) {
    if (v.agree) t.agreeing++;
    else if (v.known) t.known[v.known] = (t.known[v.known] ?? 0) + 1;
    else t.unexplained.push(v);
  }
  return t;
}
