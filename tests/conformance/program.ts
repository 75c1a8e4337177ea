/**
 * io_uring programs for differential conformance testing: the text format
 * both executors read (the C runner on the real kernel, {@link runDmasim} on
 * dmasim), SQE encoding by byte offset, and a seeded generator of random
 * ring-core programs.
 *
 * The format, one step a line (a program is the lines after its `P`):
 *
 * | line | meaning | prints |
 * |---|---|---|
 * | `P name` | start a program (tears down the previous ring and buffers) | `P name` |
 * | `S entries flags cq_entries` | io_uring_setup (steps after a failed setup are skipped) | `setup ret [sq cq]` |
 * | `B k bytes seed` | user buffer k (page aligned) filled with {@link fillByte} (`z`: zeroed) | — |
 * | `V k off n ref/len …` | an iovec array of n entries at buffer k + off | — |
 * | `RB n ref/len …` | IORING_REGISTER_BUFFERS | `reg ret` |
 * | `RF n fd …` | IORING_REGISTER_FILES (`r` ring fd, `d` device fd, or a number) | `reg ret` |
 * | `Q hex addr-ref fd` | one 64-byte SQE; `addr` (offset 16) and `fd` (offset 4) patched unless `-` | — |
 * | `E to_submit min_complete flags` | io_uring_enter; a wait that never ends prints HANG | `enter ret` |
 * | `C` | read every ready CQE | `cqe user_data res flags` … |
 * | `F` | read the SQ flags word | `sqflags n` |
 * | `D k off len` | FNV-1a 32 of buffer bytes | `data hex` |
 * | `Z n` | let in-flight work finish until n CQEs of the program were read | `cqe …` |
 *
 * A ref is `k:off` (buffer k's address + off) or `-1:addr` (an absolute address).
 *
 * @module
 */
import {
  IORING_OP_READ,
  IORING_OP_READ_FIXED,
  IORING_OP_READV,
  IORING_OP_READV_FIXED,
  IORING_OP_WRITE,
  IORING_OP_WRITE_FIXED,
  IORING_OP_WRITEV,
  IORING_OP_WRITEV_FIXED,
} from "../../mod.ts";

/** One 64-byte SQE's fields (struct io_uring_sqe), by their kernel names. */
export interface SqeFields {
  opcode: number;
  flags?: number;
  ioprio?: number;
  fd?: number;
  off?: bigint | number;
  addr?: bigint | number;
  len?: number;
  op_flags?: number;
  user_data: bigint | number;
  buf_index?: number;
  personality?: number;
  file_index?: number;
}

/** Encode an SQE as 128 hex digits, each field at its offset in struct io_uring_sqe. */
export function sqeHex(f: SqeFields): string {
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  v.setUint8(0, f.opcode);
  v.setUint8(1, f.flags ?? 0);
  v.setUint16(2, f.ioprio ?? 0, true);
  v.setInt32(4, f.fd ?? -1, true);
  v.setBigUint64(8, BigInt.asUintN(64, BigInt(f.off ?? 0)), true);
  v.setBigUint64(16, BigInt.asUintN(64, BigInt(f.addr ?? 0)), true);
  v.setUint32(24, (f.len ?? 0) >>> 0, true);
  v.setUint32(28, (f.op_flags ?? 0) >>> 0, true);
  v.setBigUint64(32, BigInt.asUintN(64, BigInt(f.user_data)), true);
  v.setUint16(40, f.buf_index ?? 0, true);
  v.setUint16(42, f.personality ?? 0, true);
  v.setUint32(44, (f.file_index ?? 0) >>> 0, true);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Byte `i` of a buffer filled with `seed` (the C runner's fill() computes the same). */
export function fillByte(seed: number, i: number): number {
  return (Math.imul(seed, 31) + Math.imul(i, 13) + Math.floor(i / 256)) & 0xff;
}

/** A buffer of `n` bytes filled as `B k n seed` fills it. */
export function fillBuffer(seed: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = fillByte(seed, i);
  return b;
}

/** FNV-1a 32 of `b`, as the runner's `D` prints it. */
export function fnv32(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** A program: its name and its lines (the `P` line is added when serialised). */
export interface Program {
  /** Unique within a batch; names the program in reports. */
  name: string;
  /** Step lines in the format above. */
  lines: string[];
}

/** Serialise programs into one runner input (with each program's `Z n` already in `lines`). */
export function serialise(programs: readonly Program[]): string {
  return programs.map((p) => [`P ${p.name}`, ...p.lines.map(expandLine)].join("\n")).join("\n") + "\n";
}

/** A small deterministic PRNG (mulberry32): same seed, same programs. */
export class Rng {
  #s: number;
  /** Seed it. */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** Uniform in [0, 2^32). */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  /** One element of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

// io_uring constants as the 6.18 uAPI numbers them (some are newer than the
// simulator's own constant module and liburing 2.3's headers).
const IORING_OP_NOP = 0;
const IOSQE_FIXED_FILE = 1 << 0;
const IOSQE_IO_DRAIN = 1 << 1;
const IOSQE_IO_LINK = 1 << 2;
const IOSQE_IO_HARDLINK = 1 << 3;
const IOSQE_ASYNC = 1 << 4;
const IOSQE_BUFFER_SELECT = 1 << 5;
const IOSQE_CQE_SKIP_SUCCESS = 1 << 6;
const IORING_NOP_INJECT_RESULT = 1 << 0;
const IORING_NOP_FILE = 1 << 1;
const IORING_NOP_FIXED_FILE = 1 << 2;
const IORING_NOP_FIXED_BUFFER = 1 << 3;
const IORING_NOP_TW = 1 << 4;
const IORING_NOP_CQE32 = 1 << 5;
const IORING_ENTER_GETEVENTS = 1;

/** Setup flag sets the generator draws from, most of them plain ring-core configurations. */
const SETUP_FLAGS: readonly number[] = [
  0,
  0,
  0,
  1 << 8, // COOP_TASKRUN
  (1 << 8) | (1 << 9), // COOP_TASKRUN | TASKRUN_FLAG
  (1 << 12) | (1 << 13), // SINGLE_ISSUER | DEFER_TASKRUN
  (1 << 12) | (1 << 13) | (1 << 9), // … | TASKRUN_FLAG
  1 << 12, // SINGLE_ISSUER
  1 << 7, // SUBMIT_ALL
  (1 << 7) | (1 << 8),
  1 << 4, // CLAMP
  1 << 0, // IOPOLL
  (1 << 0) | (1 << 12) | (1 << 13),
  1 << 9, // TASKRUN_FLAG alone
  1 << 13, // DEFER_TASKRUN alone
  (1 << 0) | (1 << 17), // IOPOLL | HYBRID_IOPOLL
  1 << 17, // HYBRID_IOPOLL alone
  (1 << 1) | (1 << 8), // SQPOLL | COOP_TASKRUN
  (1 << 1) | (1 << 9), // SQPOLL | TASKRUN_FLAG
  1 << 18, // CQE_MIXED
  1 << 16, // NO_SQARRAY
  1 << 19, // beyond 6.18's flags
  (1 << 11) | (1 << 18), // CQE32 | CQE_MIXED
  (1 << 1) | (1 << 13) | (1 << 12), // SQPOLL | DEFER_TASKRUN
  1 << 2, // SQ_AFF without SQPOLL
];

/** Options of {@link generateNopProgram}. */
export interface GenOptions {
  /** Largest number of SQEs in one program. */
  sqes_max?: number;
}

/**
 * A random ring-core program (NOPs with every SQE flag, injected results,
 * NOP_FILE / fixed files / fixed buffers, bad opcodes, ioprio/personality,
 * registrations, enters with and without waits, CQ reads and SQ-flag
 * checkpoints). Deterministic in `rng`.
 */
export function generateNopProgram(rng: Rng, name: string, opts: GenOptions = {}): Program {
  const lines: string[] = [];
  const setupFlags = rng.chance(0.75) ? rng.pick(SETUP_FLAGS.slice(0, 13)) : rng.pick(SETUP_FLAGS);
  let cqFlags = setupFlags;
  const entries = rng.chance(0.05) ? rng.pick([0, 40000, 32769]) : rng.pick([1, 2, 4, 8, 8, 16, 3, 5, 32]);
  let cq = 0;
  if (rng.chance(0.15)) {
    cqFlags |= 1 << 3; // CQSIZE
    cq = rng.pick([0, 1, 2, 4, 16, 64, 70000]);
  }
  lines.push(`S ${entries} ${cqFlags >>> 0} ${cq}`);
  const sqEntries = Math.max(1, Math.min(entries, 32768));
  let hasFiles = false;
  if (rng.chance(0.15)) {
    lines.push(`B 0 8192 ${rng.int(256)}`);
    lines.push(`RB 1 0:0/4096`);
  }
  if (rng.chance(0.15)) {
    lines.push(`RF 2 r -1`);
    hasFiles = true;
  }
  const n = 1 + rng.int(opts.sqes_max ?? 10);
  let queued = 0;
  let user = 1;
  for (let i = 0; i < n; i++) {
    let flags = 0;
    if (rng.chance(0.3)) flags |= IOSQE_IO_LINK;
    if (rng.chance(0.07)) flags |= IOSQE_IO_HARDLINK;
    if (rng.chance(0.1)) flags |= IOSQE_IO_DRAIN;
    if (rng.chance(0.1)) flags |= IOSQE_ASYNC;
    if (rng.chance(0.12)) flags |= IOSQE_CQE_SKIP_SUCCESS;
    if (rng.chance(0.03)) flags |= IOSQE_BUFFER_SELECT;
    if (rng.chance(0.04)) flags |= IOSQE_FIXED_FILE;
    let opFlags = 0;
    let len = 0;
    let fdTok = "-";
    let fd = -1;
    let bufIndex = 0;
    if (rng.chance(0.3)) {
      opFlags |= IORING_NOP_INJECT_RESULT;
      len = rng.pick([0, -5, -22, -125, -11, 7, 0x80000000 | 0, -4095]);
    }
    if (rng.chance(0.12)) {
      opFlags |= IORING_NOP_FILE;
      if (rng.chance(0.5)) fdTok = "r";
      else fd = rng.pick([-1, 77, 0, 1]);
      if (rng.chance(0.3)) opFlags |= IORING_NOP_FIXED_FILE;
    }
    if (rng.chance(0.06)) {
      opFlags |= IORING_NOP_FIXED_BUFFER;
      bufIndex = rng.pick([0, 1, 2]);
    }
    if (rng.chance(0.04)) opFlags |= IORING_NOP_TW;
    if (rng.chance(0.02)) opFlags |= IORING_NOP_CQE32;
    if (rng.chance(0.02)) opFlags |= 1 << (6 + rng.int(20));
    let opcode = IORING_OP_NOP;
    if (rng.chance(0.04)) opcode = rng.pick([63, 64, 200, 255]);
    const ioprio = rng.chance(0.03) ? 1 + rng.int(7) : 0;
    const personality = rng.chance(0.03) ? 1 + rng.int(3) : 0;
    if (hasFiles && rng.chance(0.2)) fd = rng.int(3);
    const hex = sqeHex({
      opcode,
      flags,
      ioprio,
      fd,
      len,
      op_flags: opFlags,
      user_data: user++,
      buf_index: bufIndex,
      personality,
    });
    lines.push(`Q ${hex} - ${fdTok}`);
    queued++;
    const last = i === n - 1;
    if (queued >= sqEntries || last || rng.chance(0.25)) {
      const wait = rng.chance(0.3) ? rng.int(Math.min(queued, 3) + 1) : 0;
      const getEvents = wait > 0 || rng.chance(0.3) ? IORING_ENTER_GETEVENTS : 0;
      const toSubmit = rng.chance(0.9) ? queued : rng.int(queued + 2);
      lines.push(`E ${toSubmit} ${wait} ${getEvents}`);
      queued = 0;
      if (rng.chance(0.4)) lines.push("C");
      if (rng.chance(0.3)) lines.push("F");
    }
  }
  lines.push("C", "F", "Z", "F");
  return { name, lines };
}

/** The block opcodes the device cases use. */
export const BLOCK_OPCODES: readonly number[] = [
  IORING_OP_READ,
  IORING_OP_WRITE,
  IORING_OP_READV,
  IORING_OP_WRITEV,
  IORING_OP_READ_FIXED,
  IORING_OP_WRITE_FIXED,
  IORING_OP_READV_FIXED,
  IORING_OP_WRITEV_FIXED,
];

/** Bytes of the data buffer every block case maps (buffer 0). */
export const BLOCK_BUF_BYTES = 1 << 20;

/**
 * A random block-device case for a device of `devBytes` with `lba`-byte
 * blocks: one to three READ/WRITE/READV/WRITEV and *_FIXED requests on fd
 * `d` (plain or registered buffers) with offsets and lengths around the
 * block size, the buffer's alignment and the device's end, iovec arrays with
 * zero-length, oversized and misaligned entries, buffer indices and
 * addresses inside and outside the registered buffer, optionally linked;
 * then the CQEs and a digest of the buffer (data read back).
 */
export function generateBlockProgram(rng: Rng, name: string, devBytes: number, lba: number): Program {
  const lines: string[] = [];
  lines.push(`S 8 0 0`);
  lines.push(`B 0 ${BLOCK_BUF_BYTES} ${rng.int(256)}`);
  lines.push(`B 1 65536 z`);
  // The registered buffer: all of buffer 0, or a part of it (so that
  // addresses in buffer 0 can fall outside it).
  const regOff = rng.pick([0, 0, 4096, 65536]);
  const regLen = rng.pick([BLOCK_BUF_BYTES - regOff, 65536, 8192, 4096 + 512]);
  const fixed = rng.chance(0.55);
  if (fixed) lines.push(`RB 2 0:${regOff}/${regLen} 0:0/4096`);
  const n = 1 + (rng.chance(0.3) ? rng.int(3) : 0);
  const lenOf = () =>
    rng.pick([
      lba,
      2 * lba,
      8 * lba,
      lba / 2,
      1,
      0,
      4096,
      65536,
      131072 + lba,
      3 * lba + 512,
      BLOCK_BUF_BYTES - 4096,
    ]);
  const offOf = () =>
    rng.pick([
      0,
      lba,
      64 * lba,
      1,
      lba / 2,
      devBytes - lba,
      devBytes - 2 * lba,
      devBytes,
      devBytes + lba,
      devBytes - 4096,
      (rng.int(Math.floor(devBytes / lba) - 300) + 1) * lba,
    ]);
  const alignOf = () => rng.pick([0, 0, 0, lba, 4096, 512, 4, 1, 8, 256]);
  let iovOff = 0;
  let user = 1;
  for (let i = 0; i < n; i++) {
    let opcode = rng.pick(BLOCK_OPCODES);
    if (!fixed && rng.chance(0.5)) opcode = rng.pick(BLOCK_OPCODES.slice(0, 4));
    const vectored = opcode === IORING_OP_READV || opcode === IORING_OP_WRITEV ||
      opcode === IORING_OP_READV_FIXED || opcode === IORING_OP_WRITEV_FIXED;
    const isFixed = opcode === IORING_OP_READ_FIXED || opcode === IORING_OP_WRITE_FIXED ||
      opcode === IORING_OP_READV_FIXED || opcode === IORING_OP_WRITEV_FIXED;
    let flags = 0;
    if (i < n - 1 && rng.chance(0.5)) flags |= rng.chance(0.8) ? IOSQE_IO_LINK : IOSQE_IO_HARDLINK;
    let off = offOf();
    let addrRef: string;
    let len: number;
    const bufIndex = isFixed ? rng.pick([0, 0, 0, 1, 2, 7]) : 0;
    // Addresses of data in buffer 0: inside the registered range mostly.
    const dataAddr = (l: number) => {
      // Never past the end of buffer 0: what lies beyond it in the runner's
      // address space is not the same as in dmasim's.
      const base = isFixed ? regOff : 0;
      const room = Math.max(0, BLOCK_BUF_BYTES - base - l);
      let a = base + Math.min(room, rng.pick([0, 0, lba, 4096, 8192]) + alignOf());
      if (isFixed && rng.chance(0.1)) a = rng.pick([0, regOff + regLen, regOff + regLen - 512]);
      return Math.min(a, Math.max(0, BLOCK_BUF_BYTES - l));
    };
    if (vectored) {
      const cnt = rng.chance(0.06) ? rng.pick([0, 1025, 1024]) : 1 + rng.int(5);
      const entries: string[] = [];
      let huge = false;
      for (let j = 0; j < Math.min(cnt, 6); j++) {
        let l = rng.chance(0.12) ? 0 : rng.pick([lba, 2 * lba, 4096, lba / 2, 8192, 65536]);
        if (rng.chance(0.04)) {
          l = rng.pick([0x7fffffff, 0x80000000, 2 ** 32]);
          huge = true;
        }
        const a = dataAddr(Math.min(l, 65536));
        entries.push(`0:${a}/${l}`);
      }
      // A huge iovec moves only what the device has left from `off`: keep
      // that within two blocks of its end, so that no byte is read or
      // written past buffer 0 (beyond it lies the runner's own memory).
      if (huge) off = rng.pick([devBytes - lba, devBytes - 2 * lba, devBytes, devBytes + lba]);
      // Counts past the written entries read empty iovecs (buffer 1 starts zeroed:
      // a wild iovec could let the kernel write into the runner's own memory).
      const at = iovOff;
      iovOff += 16 * Math.min(cnt, 6);
      lines.push(`V 1 ${at} ${Math.min(cnt, 6)} ${entries.join(" ")}`.trimEnd());
      addrRef = `1:${at}`;
      len = cnt;
    } else {
      len = lenOf();
      addrRef = `0:${dataAddr(len)}`;
    }
    const hex = sqeHex({ opcode, flags, fd: 0, off, len, user_data: user++, buf_index: bufIndex });
    lines.push(`Q ${hex} ${addrRef} d`);
  }
  lines.push(`E ${n} ${n} 1`, "C", "Z");
  lines.push(`D 0 0 ${BLOCK_BUF_BYTES}`);
  return { name, lines };
}

/**
 * Expand a readable SQE line (`SQE op=0 flags=0x44 ud=5 len=-5 opf=1 fd=r
 * addr=0:4096 off=0 bi=0 prio=0 pers=0`; fields default to 0, fd to -1) into
 * the `Q` line the runner reads. Corpus programs are written this way. Other
 * lines are returned unchanged.
 */
export function expandLine(line: string): string {
  if (!line.startsWith("SQE ")) return line;
  const kv = new Map(
    line.slice(4).trim().split(/\s+/).map((t) => {
      const i = t.indexOf("=");
      if (i < 0) throw new Error(`SQE field without '=': ${t} in ${line}`);
      return [t.slice(0, i), t.slice(i + 1)] as [string, string];
    }),
  );
  const known = ["op", "flags", "ud", "len", "opf", "fd", "addr", "off", "bi", "prio", "pers"];
  for (const k of kv.keys()) if (!known.includes(k)) throw new Error(`unknown SQE field ${k} in ${line}`);
  const num = (k: string, d = 0) => kv.has(k) ? Number(kv.get(k)) : d;
  const fd = kv.get("fd") ?? "-1";
  const addr = kv.get("addr") ?? "-";
  const symbolicFd = fd === "r" || fd === "d";
  const hex = sqeHex({
    opcode: num("op"),
    flags: num("flags"),
    ioprio: num("prio"),
    fd: symbolicFd ? -1 : Number(fd),
    off: BigInt(kv.get("off") ?? 0),
    len: num("len") >>> 0,
    op_flags: num("opf") >>> 0,
    user_data: BigInt(kv.get("ud") ?? 0),
    buf_index: num("bi"),
    personality: num("pers"),
  });
  return `Q ${hex} ${addr.includes(":") ? addr : "-"} ${symbolicFd ? fd : "-"}`;
}
