/**
 * fio's `verify=` for dmasim's fio jobs: the types and their numbers
 * (verify.h), `verify_pattern=` parsing, what a verifying job may be (a
 * job that writes, then reads its writes back), and fio's messages for a
 * bad block (verify.c `verify_header` and `log_verify_failure`). The
 * headers and checksums themselves are written and checked in the Wasm
 * loop (asm/user/verify.ts).
 *
 * @module
 */
import { UsageError } from "../common.ts";
import type { FioJobOpts } from "./job.ts";
import { DIST, type VerifyFailureRecord } from "../engine.ts";

/** verify= names → verify.h's numbers (crc32c-intel is crc32c, as options.c maps it). */
export const VERIFY_TYPES: Record<string, number> = {
  "0": 0,
  md5: 2,
  crc64: 3,
  crc32: 4,
  "crc32c-intel": 5,
  crc32c: 5,
  crc16: 7,
  crc7: 8,
  xxhash: 15,
  sha1: 16,
  meta: 1,
  pattern: 18,
  null: 19,
};

/** verify= types fio 3.33 has and dmasim refuses (their digests are not reproduced). */
export const VERIFY_REFUSED = ["sha256", "sha512", "sha3-224", "sha3-256", "sha3-384", "sha3-512"];

/** The checksum's name in fio's `%.8s: verify failed …` line, by type number. */
const SUM_NAMES: Record<number, string> = {
  2: "md5",
  3: "crc64",
  4: "crc32",
  5: "crc32c",
  7: "crc16",
  8: "crc7",
  15: "xxhash",
  16: "sha1",
};

/** Bytes of each type's checksum after the 40-byte header (verify.c `__hdr_size`). */
const SUM_BYTES: Record<number, number> = { 1: 0, 2: 16, 3: 8, 4: 4, 5: 4, 7: 2, 8: 1, 15: 4, 16: 20, 17: 0 };
/** sizeof(struct verify_header). */
export const VHDR_BYTES = 40;
/** verify_pattern bytes a thread keeps (asm/user/wl_job.ts VPAT_MAX). */
export const VERIFY_PATTERN_MAX = 64;

/** A block's header and checksum bytes (0 for verify=pattern, which has no header; null has none either). */
export function headerBytes(type: number): number {
  if (type === 18 || type === 19) return 0;
  return VHDR_BYTES + SUM_BYTES[type];
}

/**
 * Parse `verify_pattern=` as fio's `parse_and_fill_pattern` reads the forms
 * dmasim takes: `0x` and hex digits (bytes in the order written) or a
 * quoted string. fio's decimal numbers, `%o` offsets and `|`-joined
 * patterns are refused as not modelled.
 *
 * @example
 * ```ts
 * import { parseVerifyPattern } from "./verify.ts";
 * parseVerifyPattern("0xaa555aa5", "job.fio:4"); // [0xaa, 0x55, 0x5a, 0xa5]
 * ```
 */
export function parseVerifyPattern(text: string, at: string): number[] {
  const t = text.trim();
  let bytes: number[] | null = null;
  const hex = /^0[xX]([0-9a-fA-F]+)$/.exec(t);
  if (hex && hex[1].length % 2 === 0) bytes = hex[1].match(/../g)!.map((b) => parseInt(b, 16));
  const quoted = /^(["'])(.+)\1$/.exec(t);
  if (quoted) bytes = [...new TextEncoder().encode(quoted[2])];
  if (bytes === null) {
    throw new UsageError(
      `${at}: option verify_pattern: not modelled: ${JSON.stringify(text)} ` +
        "(dmasim takes 0x and an even number of hex digits, or a quoted string)",
    );
  }
  if (bytes.length > VERIFY_PATTERN_MAX) {
    throw new UsageError(
      `${at}: option verify_pattern: at most ${VERIFY_PATTERN_MAX} bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

/** Whether a job verifies what it writes. */
export function verifies(o: FioJobOpts): boolean {
  return o.verify !== 0;
}

/**
 * Refuse what dmasim's verify does not model, naming the option and line:
 * a verifying job writes (and does not also read: fio verifies a read/write
 * mix's reads against data written before the job), is not time_based
 * (fio: "verification read phase will never start"), has one pass, plain or
 * registered buffers, no pacing, uniform offsets, and blocks larger than
 * their header.
 */
export function checkVerify(o: FioJobOpts): void {
  if (!verifies(o)) {
    if (o.corruptWrite) {
      throw new UsageError(
        `${o.optionWhere.dmasim_corrupt_write}: job "${o.name}": option dmasim_corrupt_write: needs verify=`,
      );
    }
    return;
  }
  const at = (k: string) => o.optionWhere[k] ?? o.where;
  const no = (k: string, why: string): never => {
    throw new UsageError(`${at(k)}: job "${o.name}": option ${k}: not modelled with verify: ${why}`);
  };
  if (o.rw === "read" || o.rw === "randread") {
    no(
      "rw",
      "verifying data written before the job (each run's drives start empty): write and verify in one job",
    );
  }
  if (o.rw === "rw" || o.rw === "randrw") no("rw", "a read/write mix (dmasim verifies jobs that only write)");
  if (o.timeBased) no("time_based", "the read-back would never start (fio warns the same)");
  if (o.loops > 1) no("loops", "a read-back after each pass");
  const buffers = o.buffers ?? (o.fixedbufs ? "fixed" : "plain");
  if (buffers === "dmabuf" || buffers === "bounce") {
    no("dmasim_buffers", `${buffers} buffers (fio fills and checks buffers in user memory)`);
  }
  if (o.ioengine === "null") no("ioengine", "the null engine moves no data");
  if ([...o.rate, ...o.rateIops].some((x) => x > 0)) no("rate", "pacing the read-back");
  if (o.thinkUs > 0) no("thinktime", "pacing the read-back");
  if (o.dist.kind !== DIST.random || o.seqNr > 1 || o.seqAdd !== 0) {
    no(
      o.dist.kind !== DIST.random ? "random_distribution" : "rw",
      "offsets other than uniform or sequential",
    );
  }
  const sizes = o.bssplit ? o.bssplit.write.map(([b]) => b) : o.bsRange ? o.bsRange : [o.bsWrite];
  if (o.rw === "randwrite" && new Set(sizes).size > 1) {
    no(o.bssplit ? "bssplit" : "bsrange", "random writes of several block sizes (fio: verify limited)");
  }
  const min = Math.min(...sizes);
  const interval = verifyInterval(o);
  if (o.verify !== 19 && Math.min(min, interval) <= headerBytes(o.verify)) {
    throw new UsageError(
      `${at("bs")}: job "${o.name}": option bs: ${min} bytes is too small for a ${
        headerBytes(o.verify)
      }-byte verify header (fio: Blocksize too small)`,
    );
  }
  if (o.verifyOffset > 0 && o.verifyOffset + headerBytes(o.verify) > interval) {
    throw new UsageError(
      `${at("verify_offset")}: job "${o.name}": option verify_offset: ${o.verifyOffset} + the ${
        headerBytes(o.verify)
      }-byte header is past the ${interval}-byte interval`,
    );
  }
}

/**
 * fio's verify_interval (init.c fixup_options): the smallest write size by
 * default or when larger, then a divisor of both write sizes.
 */
export function verifyInterval(o: FioJobOpts): number {
  const sizes = o.bssplit ? o.bssplit.write.map(([b]) => b) : o.bsRange ? o.bsRange : [o.bsWrite];
  const min = Math.min(...sizes);
  const max = Math.max(...sizes);
  let v = o.verifyInterval;
  if (max !== min && !v) v = min;
  if (v > min) v = min;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  if (!v || min % v || max % v) v = gcd(min, max);
  return v;
}

/** A logged verify failure as the Wasm loop records it (asm/user/verify.ts vlog): the run result's record. */
export type VerifyFailure = VerifyFailureRecord;

const hex = (b: number[]) => b.map((x) => x.toString(16).padStart(2, "0")).join("");

/**
 * fio's stderr lines for one bad block (verify.c): a header field's
 * `verify: bad … at file F offset N, length N (requested block: …)`, or the
 * checksum's `NAME: verify failed at file F offset N, length N (requested
 * block: offset=N, length=N, flags=88)` with the expected and received
 * checksums, or the pattern's lines. `flags` is the io_u's (IO_U_F_VER_LIST
 * | IO_U_F_IN_CUR_DEPTH for a write job's read-back: 0x88, as fio 3.33
 * prints it).
 *
 * @example
 * ```ts
 * import { verifyFailureLines } from "./verify.ts";
 * verifyFailureLines({ thread: 0, kind: 1, hdrNum: 0, hdrLen: 4096, got: 0n, want: 0xaccan, extra: 0,
 *   offset: 8192, len: 4096, type: 5, good: [], bad: [] }, "/dev/nvme0n1");
 * // ["verify: bad magic header 0, wanted acca at file /dev/nvme0n1 offset 8192, length 4096 (requested block: offset=8192, length=4096)"]
 * ```
 */
export function verifyFailureLines(f: VerifyFailure, file: string): string[] {
  const at = f.offset + f.hdrNum * f.hdrLen;
  const where =
    ` at file ${file} offset ${at}, length ${f.hdrLen} (requested block: offset=${f.offset}, length=${f.len})`;
  const failed = (name: string) =>
    `${name.slice(0, 8)}: verify failed at file ${file} offset ${at}, length ${f.hdrLen}` +
    ` (requested block: offset=${f.offset}, length=${f.len}, flags=88)`;
  switch (f.kind) {
    case 1:
      return [`verify: bad magic header ${f.got.toString(16)}, wanted ${f.want.toString(16)}${where}`];
    case 2:
      return [`verify: bad header length ${f.got}, wanted ${f.want}${where}`];
    case 3:
      return [`verify: bad header rand_seed ${f.got}, wanted ${f.want}${where}`];
    case 4:
      return [`verify: bad header offset ${f.got}, wanted ${f.want}${where}`];
    case 5:
      return [`verify: bad header numberio ${f.got}, wanted ${f.want}${where}`];
    case 6:
      return [`verify: bad header crc ${f.got.toString(16)}, calculated ${f.want.toString(16)}${where}`];
    case 7:
      return [
        failed(SUM_NAMES[f.type] ?? "verify"),
        `       Expected CRC: ${hex(f.good)}`,
        `       Received CRC: ${hex(f.bad)}`,
      ];
    default: {
      const bits = (Number(f.got) ^ Number(f.want)).toString(2).replaceAll("0", "").length;
      const b2 = (v: bigint) => v.toString(16).padStart(2, "0");
      return [
        `fio: got pattern '${b2(f.got)}', wanted '${b2(f.want)}'. Bad bits ${bits}`,
        `fio: bad pattern block offset ${f.extra}`,
        failed("pattern"),
      ];
    }
  }
}
