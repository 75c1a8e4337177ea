/**
 * Compare what the kernel answered with what dmasim answered, program by
 * program, line by line (setup results, every enter and register return,
 * every CQE in order, SQ flags at checkpoints, data digests). A disagreement
 * is either explained by one of the named {@link KNOWN_DIFFERENCES} (each a
 * documented choice, see docs/conformance.md) or it fails the suite.
 *
 * @module
 */
import { expandLine, type Program } from "./program.ts";

const IOSQE_FIXED_FILE = 1 << 0;
const IOSQE_IO_DRAIN = 1 << 1;
const IOSQE_IO_LINK = 1 << 2;
const IOSQE_IO_HARDLINK = 1 << 3;
const IOSQE_ASYNC = 1 << 4;
const IOSQE_BUFFER_SELECT = 1 << 5;
const IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

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
    name: "sqpoll-unmodelled",
    why: "IORING_SETUP_SQPOLL: the kernel starts a submission thread; dmasim has none and refuses it " +
      "(-EOPNOTSUPP)",
    matches: (p) => (setupFlags(p) & (1 << 1)) !== 0,
  },
  // ---- causes found by this suite and not fixed yet (issue 10); each entry goes when its fix lands ----
  {
    name: "link-completion-order",
    why: "the kernel queues the next link member (and a failed chain's cancellations), IOSQE_ASYNC and " +
      "drained requests as task work that runs after the batch's inline completions; dmasim posts them at once",
    matches: (p) =>
      sqeFields(p).some((q) =>
        (q.flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_ASYNC | IOSQE_IO_DRAIN)) !== 0
      ),
  },
  {
    name: "cqe-skip-failed-link",
    why: "a failed IOSQE_CQE_SKIP_SUCCESS request posts its CQE and skips its chain's (REQ_F_SKIP_LINK_CQES)",
    matches: (p) => sqeFields(p).some((q) => (q.flags & IOSQE_CQE_SKIP_SUCCESS) !== 0),
  },
  {
    name: "nop-buffer-select",
    why: "NOP with IOSQE_BUFFER_SELECT: kernel -EOPNOTSUPP (io_init_req), dmasim -EINVAL",
    matches: (p) => sqeFields(p).some((q) => (q.flags & IOSQE_BUFFER_SELECT) !== 0),
  },
  {
    name: "nop-ioprio-personality",
    why: "ioprio or personality set: kernel -EINVAL at init (submission ends there); dmasim ignored both",
    matches: (p) => sqeFields(p).some((q) => q.ioprio !== 0 || q.personality !== 0),
  },
  {
    name: "nop-tw-cqe32",
    why: "IORING_NOP_TW and IORING_NOP_CQE32 exist in 6.18; dmasim refused them",
    matches: (p) => sqeFields(p).some((q) => (q.opFlags & 0x30) !== 0),
  },
  {
    name: "inject-int-min",
    why: "an injected result of INT_MIN was dmasim's internal 'completes later' marker",
    matches: (p) => sqeFields(p).some((q) => (q.opFlags & 1) !== 0 && q.len === 0x80000000),
  },
  {
    name: "fixed-file-nop-file",
    why: "IOSQE_FIXED_FILE with IORING_NOP_FILE: the fd is a registered-file index (kernel -EBADF without " +
      "a table); dmasim looked up a normal fd",
    matches: (p) => sqeFields(p).some((q) => (q.flags & IOSQE_FIXED_FILE) !== 0 || (q.opFlags & 4) !== 0),
  },
  {
    name: "setup-flag-checks",
    why: "io_uring_setup's flag checks: TASKRUN_FLAG alone, CQE_MIXED, HYBRID_IOPOLL without IOPOLL, " +
      "NO_SQARRAY: the kernel's answers and check order",
    matches: (p) => (setupFlags(p) & ((1 << 9) | (1 << 16) | (1 << 18) | (1 << 19) | (1 << 20))) !== 0,
  },
  {
    name: "iopoll",
    why: "IOPOLL ring: waiting with nothing in flight returns 0 in the kernel (dmasim -EDEADLK); NOP_FILE " +
      "on an IOPOLL ring",
    matches: (p) => (setupFlags(p) & 1) !== 0,
  },
  {
    name: "register-ring-fd",
    why: "IORING_REGISTER_FILES with an io_uring fd: kernel -EBADF, dmasim accepted it",
    matches: (p) => p.lines.some((l) => l.startsWith("RF ") && l.split(" ").includes("r")),
  },
  // ---- block-device causes (tests/conformance/block_device.test.ts), not fixed yet ----
  {
    name: "dio-memory-alignment",
    why: "6.18 checks a direct I/O's memory alignment against dma_alignment only when the bio may need a " +
      "split (bio_split_io_at); a one-segment bio inside a page skips it. dmasim checked every request up front",
    matches: (p) => dataAddresses(p).some((a) => a % 512 !== 0),
  },
  {
    name: "rw-completion-path",
    why: "read errors found at issue complete inline; writes (kiocb_done) and bio completions post through " +
      "task work, after the inline completions of the batch. dmasim posted them in issue order",
    matches: (p) => sqeFields(p).length > 1,
  },
  {
    name: "rw-vec-import-at-prep",
    why: "6.18 imports READV/WRITEV iovecs at prep: a bad iovec array fails the SQE at init and ends the " +
      "submission; dmasim imported at issue",
    matches: (p) => sqeFields(p).some((q) => [1, 2, 60, 61].includes(q.opcode)),
  },
];

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
  return { program, agree: false, known: k?.name, diff };
}

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
