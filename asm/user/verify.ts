// fio's data verification (fio 3.33 verify.c, verify.h, crc/): a written
// block carries a verify header at every verify_interval — magic 0xacca, the
// verify type, the interval's length, the block's random seed, its offset,
// the time it was prepared, the thread and the write's number, and a crc32c
// of those fields — followed by a checksum of the rest of the interval;
// reading it back checks the header field by field and then the checksum,
// in verify_header's and verify_io_u's order. The checksums are fio's own
// (table-driven CRCs with fio's polynomials, initial values and bit orders,
// MD5, SHA-1 with fio's word order, xxHash32 with seed 1). sha256, sha512
// and sha3 are not here: fio 3.33's sha256 keeps only the low byte of each
// state word, and the CLI refuses those types rather than guess.
//
// Everything here works on linear memory the caller owns (the workload's
// scratch buffer); the failures a check finds go to a small log the CLI
// reads to print fio's messages.

import * as abi from "../sim/abi";
import { fail, SIM_ERR_INVARIANT } from "../sim/errors";

export const VERIFY_NONE: i32 = 0;
export const VERIFY_HDR_ONLY: i32 = 1; // verify=meta
export const VERIFY_MD5: i32 = 2;
export const VERIFY_CRC64: i32 = 3;
export const VERIFY_CRC32: i32 = 4;
export const VERIFY_CRC32C: i32 = 5; // also verify=crc32c-intel (options.c maps both to it)
export const VERIFY_CRC16: i32 = 7;
export const VERIFY_CRC7: i32 = 8;
export const VERIFY_XXHASH: i32 = 15;
export const VERIFY_SHA1: i32 = 16;
export const VERIFY_PATTERN: i32 = 17;
export const VERIFY_PATTERN_NO_HDR: i32 = 18; // verify=pattern
export const VERIFY_NULL: i32 = 19;
/** verify.h FIO_HDR_MAGIC. */
export const FIO_HDR_MAGIC: u32 = 0xacca;
/** sizeof(struct verify_header): magic u16, type u16, len u32, rand_seed u64, offset u64, time_sec u32, time_nsec u32, thread u16, numberio u16, crc32 u32. */
export const VHDR_BYTES: u32 = 40;
/** offsetof(struct verify_header, crc32): the header's own crc32c covers the fields before it. */
const VHDR_CRC_OFF: u32 = 36;

// What a check found (log kinds), in verify_header's order, then the data checks.
export const VF_MAGIC: i32 = 1;
export const VF_LEN: i32 = 2;
export const VF_SEED: i32 = 3;
export const VF_OFFSET: i32 = 4;
export const VF_NUMBERIO: i32 = 5;
export const VF_HDR_CRC: i32 = 6;
export const VF_DATA: i32 = 7; // checksum mismatch (log_verify_failure)
export const VF_PATTERN: i32 = 8; // pattern byte mismatch (verify_io_u_pattern)

const crc32c_t = new StaticArray<u32>(256);
const crc32_t = new StaticArray<u32>(256);
const crc64_t = new StaticArray<u64>(256);
const crc16_t = new StaticArray<u16>(256);
const crc7_t = new StaticArray<u8>(256);
let tables_ready: bool = false;

/**
 * The CRC tables, generated from the polynomials fio's tables were
 * (crc/crc32c.c: reflected 0x82F63B78; crc/crc32.c: MSB-first 0x04C11DB7;
 * crc/crc64.c: reflected 0x95AC9329AC4BC9B5; crc/crc16.c: reflected 0xA001;
 * crc/crc7.c: x^7 + x^3 + 1, each entry i·x^7 mod the polynomial).
 */
function tables(): void {
  if (tables_ready) return;
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    let d = <u64>i;
    let e = i;
    for (let k = 0; k < 8; k++) {
      c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78 : c >> 1;
      d = (d & 1) != 0 ? (d >> 1) ^ 0x95AC9329AC4BC9B5 : d >> 1;
      e = (e & 1) != 0 ? (e >> 1) ^ 0xA001 : e >> 1;
    }
    unchecked((crc32c_t[i] = c));
    unchecked((crc64_t[i] = d));
    unchecked((crc16_t[i] = <u16>e));
    let m = i << 24;
    for (let k = 0; k < 8; k++) m = (m & 0x80000000) != 0 ? (m << 1) ^ 0x04C11DB7 : m << 1;
    unchecked((crc32_t[i] = m));
    let r = i << 7;
    for (let b = 14; b >= 7; b--) if ((r & (1 << b)) != 0) r ^= 0x89 << (b - 7);
    unchecked((crc7_t[i] = <u8>(r & 0x7f)));
  }
  tables_ready = true;
}

/** crc32c_sw: initial ~0, reflected, no final inversion (fio stores the register as it is). */
export function fio_crc32c(p: usize, len: u32): u32 {
  tables();
  let crc: u32 = 0xFFFFFFFF;
  for (let i: u32 = 0; i < len; i++) crc = unchecked(crc32c_t[(crc ^ load<u8>(p + i)) & 0xff]) ^ (crc >> 8);
  return crc;
}

/** fio_crc32: MSB first, initial 0, no length appended. */
export function fio_crc32(p: usize, len: u32): u32 {
  tables();
  let crc: u32 = 0;
  for (let i: u32 = 0; i < len; i++) crc = (crc << 8) ^ unchecked(crc32_t[((crc >> 24) ^ load<u8>(p + i)) & 0xff]);
  return crc;
}

/** fio_crc64: reflected, initial 0. */
export function fio_crc64(p: usize, len: u32): u64 {
  tables();
  let crc: u64 = 0;
  for (let i: u32 = 0; i < len; i++) crc = unchecked(crc64_t[<u32>((crc ^ <u64>load<u8>(p + i)) & 0xff)]) ^ (crc >> 8);
  return crc;
}

/** fio_crc16: reflected 0x8005 (CRC-16/ARC), initial 0. */
export function fio_crc16(p: usize, len: u32): u16 {
  tables();
  let crc: u32 = 0;
  for (let i: u32 = 0; i < len; i++) crc = (crc >> 8) ^ <u32>unchecked(crc16_t[(crc ^ load<u8>(p + i)) & 0xff]);
  return <u16>crc;
}

/** fio_crc7: crc7_byte(crc, data) = table[(crc << 1) ^ data], initial 0. */
export function fio_crc7(p: usize, len: u32): u8 {
  tables();
  let crc: u32 = 0;
  for (let i: u32 = 0; i < len; i++) crc = <u32>unchecked(crc7_t[((crc << 1) ^ load<u8>(p + i)) & 0xff]);
  return <u8>crc;
}

// @ts-ignore: decorator
@inline function rotl(x: u32, r: u32): u32 {
  return (x << r) | (x >> (32 - r));
}

const PRIME32_1: u32 = 2654435761;
const PRIME32_2: u32 = 2246822519;
const PRIME32_3: u32 = 3266489917;
const PRIME32_4: u32 = 668265263;
const PRIME32_5: u32 = 374761393;

/** XXH32 (crc/xxhash.c) with fio's seed 1. */
export function fio_xxh32(p: usize, len: u32): u32 {
  const seed: u32 = 1;
  let i: u32 = 0;
  let h: u32;
  if (len >= 16) {
    let v1 = seed + PRIME32_1 + PRIME32_2;
    let v2 = seed + PRIME32_2;
    let v3 = seed;
    let v4 = seed - PRIME32_1;
    while (i + 16 <= len) {
      v1 = rotl(v1 + load<u32>(p + i) * PRIME32_2, 13) * PRIME32_1;
      v2 = rotl(v2 + load<u32>(p + i + 4) * PRIME32_2, 13) * PRIME32_1;
      v3 = rotl(v3 + load<u32>(p + i + 8) * PRIME32_2, 13) * PRIME32_1;
      v4 = rotl(v4 + load<u32>(p + i + 12) * PRIME32_2, 13) * PRIME32_1;
      i += 16;
    }
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
  } else h = seed + PRIME32_5;
  h += len;
  while (i + 4 <= len) {
    h = rotl(h + load<u32>(p + i) * PRIME32_3, 17) * PRIME32_4;
    i += 4;
  }
  while (i < len) {
    h = rotl(h + <u32>load<u8>(p + i) * PRIME32_5, 11) * PRIME32_1;
    i++;
  }
  h ^= h >> 15;
  h *= PRIME32_2;
  h ^= h >> 13;
  h *= PRIME32_3;
  h ^= h >> 16;
  return h;
}

// MD5 (crc/md5.c): RFC 1321, words little-endian; the digest is the four state words as stored.
const md5_k = new StaticArray<u32>(64);
const MD5_S: StaticArray<u32> = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
let md5_ready: bool = false;
const mblock = new StaticArray<u8>(64);

function md5_block(h: usize, blk: usize): void {
  if (!md5_ready) {
    for (let i = 0; i < 64; i++) unchecked((md5_k[i] = <u32>(<u64>Math.floor(Math.abs(Math.sin(<f64>(i + 1))) * 4294967296.0))));
    md5_ready = true;
  }
  let a = load<u32>(h);
  let b = load<u32>(h + 4);
  let c = load<u32>(h + 8);
  let d = load<u32>(h + 12);
  for (let i: u32 = 0; i < 64; i++) {
    let f: u32;
    let g: u32;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const tmp = d;
    d = c;
    c = b;
    b = b + rotl(a + f + unchecked(md5_k[i]) + load<u32>(blk + g * 4), unchecked(MD5_S[(i >> 4) * 4 + (i & 3)]));
    a = tmp;
  }
  store<u32>(h, load<u32>(h) + a);
  store<u32>(h + 4, load<u32>(h + 4) + b);
  store<u32>(h + 8, load<u32>(h + 8) + c);
  store<u32>(h + 12, load<u32>(h + 12) + d);
}

/**
 * The Merkle–Damgård pass MD5 and SHA-1 share: every whole 64-byte block of
 * the `len` bytes at `p`, then the rest padded with 0x80, zeros and the bit
 * length (big-endian for SHA-1, little-endian for MD5) in one or two blocks.
 */
function md_blocks(out: usize, p: usize, len: u32, be_len: bool, block: (h: usize, blk: usize) => void): void {
  let i: u32 = 0;
  for (; i + 64 <= len; i += 64) block(out, p + i);
  const m = changetype<usize>(mblock);
  const rest = len - i;
  memory.copy(m, p + i, rest);
  store<u8>(m + rest, 0x80);
  if (rest + 1 > 56) {
    memory.fill(m + rest + 1, 0, 63 - rest);
    block(out, m);
    memory.fill(m, 0, 56);
  } else memory.fill(m + rest + 1, 0, 55 - rest);
  const bits = <u64>len << 3;
  store<u64>(m + 56, be_len ? bswap<u64>(bits) : bits);
  block(out, m);
}

/** MD5 of `len` bytes at `p` into the 16 bytes at `out`. */
export function fio_md5(p: usize, len: u32, out: usize): void {
  store<u32>(out, 0x67452301);
  store<u32>(out + 4, 0xefcdab89);
  store<u32>(out + 8, 0x98badcfe);
  store<u32>(out + 12, 0x10325476);
  md_blocks(out, p, len, false, md5_block);
}

// SHA-1 (crc/sha1.c): big-endian message words; fio stores H[0..4] as host (little-endian) words.
const sha_w = new StaticArray<u32>(80);

function sha1_block(h: usize, blk: usize): void {
  for (let t = 0; t < 16; t++) unchecked((sha_w[t] = bswap<u32>(load<u32>(blk + <usize>t * 4))));
  for (let t = 16; t < 80; t++) {
    unchecked((sha_w[t] = rotl(unchecked(sha_w[t - 3]) ^ unchecked(sha_w[t - 8]) ^ unchecked(sha_w[t - 14]) ^ unchecked(sha_w[t - 16]), 1)));
  }
  let a = load<u32>(h);
  let b = load<u32>(h + 4);
  let c = load<u32>(h + 8);
  let d = load<u32>(h + 12);
  let e = load<u32>(h + 16);
  for (let t = 0; t < 80; t++) {
    let f: u32;
    let k: u32;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const tmp = rotl(a, 5) + f + e + k + unchecked(sha_w[t]);
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = tmp;
  }
  store<u32>(h, load<u32>(h) + a);
  store<u32>(h + 4, load<u32>(h + 4) + b);
  store<u32>(h + 8, load<u32>(h + 8) + c);
  store<u32>(h + 12, load<u32>(h + 12) + d);
  store<u32>(h + 16, load<u32>(h + 16) + e);
}

/** fio's SHA-1 of `len` bytes at `p` into the 20 bytes at `out` (the state words, little-endian). */
export function fio_sha1(p: usize, len: u32, out: usize): void {
  store<u32>(out, 0x67452301);
  store<u32>(out + 4, 0xefcdab89);
  store<u32>(out + 8, 0x98badcfe);
  store<u32>(out + 12, 0x10325476);
  store<u32>(out + 16, 0xc3d2e1f0);
  md_blocks(out, p, len, true, sha1_block);
}

/** Bytes of the checksum after the header (verify.c __hdr_size minus the header); -1: not a type this file knows. */
export function vhdr_priv_bytes(type: i32): i32 {
  switch (type) {
    case VERIFY_NONE:
    case VERIFY_HDR_ONLY:
    case VERIFY_NULL:
    case VERIFY_PATTERN:
      return 0;
    case VERIFY_MD5:
      return 16;
    case VERIFY_CRC64:
      return 8;
    case VERIFY_CRC32:
    case VERIFY_CRC32C:
      return 4;
    case VERIFY_CRC16:
      return 2;
    case VERIFY_CRC7:
      return 1;
    case VERIFY_XXHASH:
      return 4;
    case VERIFY_SHA1:
      return 20;
  }
  return -1;
}

/** hdr_size: the header and its checksum (0 for verify=pattern, which has no header). */
export function vhdr_size(type: i32): u32 {
  if (type == VERIFY_PATTERN_NO_HDR) return 0;
  const n = vhdr_priv_bytes(type);
  if (n < 0) fail(SIM_ERR_INVARIANT, <i64>type);
  return VHDR_BYTES + <u32>n;
}

/** The checksum of `type` of `len` bytes at `p`, written at `out` (vhdr_priv_bytes(type) bytes). */
export function vsum(type: i32, p: usize, len: u32, out: usize): void {
  switch (type) {
    case VERIFY_MD5:
      fio_md5(p, len, out);
      break;
    case VERIFY_CRC64:
      store<u64>(out, fio_crc64(p, len));
      break;
    case VERIFY_CRC32:
      store<u32>(out, fio_crc32(p, len));
      break;
    case VERIFY_CRC32C:
      store<u32>(out, fio_crc32c(p, len));
      break;
    case VERIFY_CRC16:
      store<u16>(out, fio_crc16(p, len));
      break;
    case VERIFY_CRC7:
      store<u8>(out, fio_crc7(p, len));
      break;
    case VERIFY_XXHASH:
      store<u32>(out, fio_xxh32(p, len));
      break;
    case VERIFY_SHA1:
      fio_sha1(p, len, out);
      break;
  }
}

/** Swap `n` bytes at `a` and `b` (verify.c memswp: verify_offset moves the header inside the block). */
function memswp(a: usize, b: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const x = load<u8>(a + i);
    store<u8>(a + i, load<u8>(b + i));
    store<u8>(b + i, x);
  }
}

/** get_hdr_inc: the interval when it fits the block, else the whole block. */
export function vhdr_inc(len: u32, interval: u32): u32 {
  return interval > 0 && interval <= len ? interval : len;
}

/**
 * fill_pattern_headers and populate_hdr for a block about to be written:
 * the payload (random bytes from `seed` — dmasim's generator, not fio's;
 * fio checks checksums, not the random bytes — or the `patlen`-byte pattern
 * at `pat` repeated from the block's start), then at each interval a header
 * (offset `off` + k·interval, prepared at `t_ns`, thread `thread`, write
 * number `numberio`) and the checksum of the rest of the interval, the
 * header then swapped to `voffset` when verify_offset is set.
 */
export function verify_fill(
  buf: usize, len: u32, type: i32, interval: u32, voffset: u32, seed: u64, off: u64, t_ns: u64, thread: u32,
  numberio: u32, pat: usize, patlen: u32,
): void {
  if (patlen == 0) {
    let x = seed | 1;
    let i: u32 = 0;
    for (; i + 8 <= len; i += 8) {
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      store<u64>(buf + i, x * 0x2545F4914F6CDD1D);
    }
    for (; i < len; i++) store<u8>(buf + i, <u8>(i * 131 + <u32>seed));
  } else {
    for (let i: u32 = 0; i < len; i++) store<u8>(buf + i, load<u8>(pat + i % patlen));
  }
  if (type == VERIFY_NULL) return;
  const inc = vhdr_inc(len, interval);
  const hs = vhdr_size(type);
  let k: u32 = 0;
  for (let p = buf; p < buf + len; p += inc) {
    if (type != VERIFY_PATTERN_NO_HDR) {
      store<u16>(p, <u16>FIO_HDR_MAGIC);
      store<u16>(p + 2, <u16>type);
      store<u32>(p + 4, inc);
      store<u64>(p + 8, seed);
      store<u64>(p + 16, off + <u64>k * <u64>interval);
      store<u32>(p + 24, <u32>(t_ns / 1_000_000_000));
      store<u32>(p + 28, <u32>(t_ns % 1_000_000_000));
      store<u16>(p + 32, <u16>thread);
      store<u16>(p + 34, <u16>numberio);
      store<u32>(p + VHDR_CRC_OFF, fio_crc32c(p, VHDR_CRC_OFF));
      // populate_hdr: a block smaller than its header is fio's "Blocksize too small" (refused by the CLI).
      vsum(type, p + hs, inc - hs, p + VHDR_BYTES);
      if (voffset > 0) memswp(p, p + voffset, hs);
    }
    k++;
  }
}

// The failures checks found, for fio's messages: VLOG_MAX records of VLOG_WORDS words (thread, kind,
// header number, header length, got, wanted, extra, block offset, block length, checksum bytes, type)
// and the expected and received checksums (VLOG_SUM bytes each). vlog_n counts every failure.
export const VLOG_MAX: i32 = abi.VERIFY_FAILURE_MAX;
const VLOG_WORDS: i32 = abi.VERIFY_FAILURE_WORDS;
const VLOG_SUM: i32 = 32;
const vlog = new StaticArray<u64>(VLOG_MAX * VLOG_WORDS);
const vlog_sum = new StaticArray<u8>(VLOG_MAX * VLOG_SUM * 2);
let vlog_n: i32 = 0;
const vsum_buf = new StaticArray<u8>(VLOG_SUM);

/** Forget the logged failures (a new run). */
export function vlog_reset(): void {
  vlog_n = 0;
}

function vlog_add(
  t: i32, kind: i32, hdr_num: u32, hdr_len: u32, got: u64, want: u64, extra: u64, off: u64, len: u32, type: i32,
  good: usize, bad: usize, sum_len: u32,
): void {
  if (vlog_n < VLOG_MAX) {
    const w = vlog_n * VLOG_WORDS;
    unchecked((vlog[w + abi.VERIFY_FAILURE_THREAD] = <u64>t));
    unchecked((vlog[w + abi.VERIFY_FAILURE_KIND] = <u64>kind));
    unchecked((vlog[w + abi.VERIFY_FAILURE_HDR_NUM] = <u64>hdr_num));
    unchecked((vlog[w + abi.VERIFY_FAILURE_HDR_LEN] = <u64>hdr_len));
    unchecked((vlog[w + abi.VERIFY_FAILURE_GOT] = got));
    unchecked((vlog[w + abi.VERIFY_FAILURE_WANT] = want));
    unchecked((vlog[w + abi.VERIFY_FAILURE_EXTRA] = extra));
    unchecked((vlog[w + abi.VERIFY_FAILURE_OFFSET] = off));
    unchecked((vlog[w + abi.VERIFY_FAILURE_LEN] = <u64>len));
    unchecked((vlog[w + abi.VERIFY_FAILURE_SUM_LEN] = <u64>sum_len));
    unchecked((vlog[w + abi.VERIFY_FAILURE_TYPE] = <u64>type));
    if (sum_len > 0) {
      const s = changetype<usize>(vlog_sum) + <usize>(vlog_n * VLOG_SUM * 2);
      memory.copy(s, good, sum_len);
      memory.copy(s + VLOG_SUM, bad, sum_len);
    }
  }
  vlog_n++;
}

/** Failures logged so far (all of them; the first VLOG_MAX are kept). */
export function wl_verify_failures(): i32 {
  return vlog_n;
}
/**
 * Word `w` of logged failure `i` (0 thread, 1 kind, 2 header number, 3
 * header length, 4 got, 5 wanted, 6 extra, 7 block offset, 8 block length,
 * 9 checksum bytes, 10 type): its low 32 bits, or its high ones (`hi`), so
 * 64-bit seeds pass exactly.
 */
export function wl_verify_failure(i: i32, w: i32, hi: bool): f64 {
  const v = unchecked(vlog[i * VLOG_WORDS + w]);
  return <f64>(hi ? v >> 32 : v & 0xFFFFFFFF);
}
/** Byte `b` of logged failure `i`'s expected (which 0) or received (1) checksum. */
export function wl_verify_failure_sum(i: i32, which: i32, b: i32): i32 {
  return <i32>unchecked(vlog_sum[i * VLOG_SUM * 2 + which * VLOG_SUM + b]);
}

/**
 * verify_io_u for a block read back by thread `t`: `buf` holds `len` bytes
 * read at `off`; the write put `seed` and `numberio` in it (`check_seed`:
 * fio takes the seed from the header itself for a job that does not both
 * read and write, so it cannot differ; `check_nr`:
 * fio checks numberio only for writing jobs with one block size, not
 * time_based). Each header is checked (verify_header: magic, length, seed,
 * offset, numberio, header crc; a failure ends the check) and then the data
 * (the checksum, or the pattern); a data failure is logged and the next
 * interval checked too unless `fatal` (verify_fatal), as fio does, and the
 * result is the last interval's. Returns 0 or EILSEQ (84).
 */
export function verify_check(
  t: i32, buf: usize, len: u32, type: i32, interval: u32, voffset: u32, seed: u64, check_seed: bool, off: u64,
  numberio: u32, check_nr: bool, fatal: bool, pat: usize, patlen: u32,
): i32 {
  if (type == VERIFY_NULL) return 0;
  const inc = vhdr_inc(len, interval);
  const hs = vhdr_size(type);
  let ret: i32 = 0;
  let k: u32 = 0;
  for (let p = buf; p < buf + len; p += inc) {
    if (ret != 0 && fatal) break;
    if (voffset > 0) memswp(p, p + voffset, hs);
    if (type != VERIFY_PATTERN_NO_HDR) {
      let kind = 0;
      let got: u64 = 0;
      let want: u64 = 0;
      const crc = fio_crc32c(p, VHDR_CRC_OFF);
      if (<u32>load<u16>(p) != FIO_HDR_MAGIC) {
        kind = VF_MAGIC;
        got = <u64>load<u16>(p);
        want = <u64>FIO_HDR_MAGIC;
      } else if (load<u32>(p + 4) != inc) {
        kind = VF_LEN;
        got = <u64>load<u32>(p + 4);
        want = <u64>inc;
      } else if (check_seed && load<u64>(p + 8) != seed) {
        kind = VF_SEED;
        got = load<u64>(p + 8);
        want = seed;
      } else if (load<u64>(p + 16) != off + <u64>k * <u64>interval) {
        kind = VF_OFFSET;
        got = load<u64>(p + 16);
        // fio prints the block's offset as the one wanted, whatever the header's number.
        want = off;
      } else if (check_nr && <u32>load<u16>(p + 34) != (numberio & 0xffff)) {
        kind = VF_NUMBERIO;
        got = <u64>load<u16>(p + 34);
        want = <u64>(numberio & 0xffff);
      } else if (load<u32>(p + VHDR_CRC_OFF) != crc) {
        kind = VF_HDR_CRC;
        got = <u64>load<u32>(p + VHDR_CRC_OFF);
        want = <u64>crc;
      }
      if (kind != 0) {
        vlog_add(t, kind, k, inc, got, want, 0, off, len, type, 0, 0, 0);
        return 84;
      }
    }
    const data = p + hs;
    const dlen = inc - hs;
    if (patlen > 0 && (type == VERIFY_HDR_ONLY || type == VERIFY_PATTERN || type == VERIFY_PATTERN_NO_HDR)) {
      // verify_io_u_pattern: the pattern continues across intervals from the block's start.
      let mod = (inc * k + hs) % patlen;
      ret = 0;
      for (let i: u32 = 0; i < dlen; i++) {
        const g = load<u8>(data + i);
        const w = load<u8>(pat + mod);
        if (g != w) {
          vlog_add(t, VF_PATTERN, k, inc, <u64>g, <u64>w, <u64>i, off, len, type, 0, 0, 0);
          ret = 84;
          break;
        }
        mod = mod + 1 == patlen ? 0 : mod + 1;
      }
    } else if (type != VERIFY_HDR_ONLY && type != VERIFY_PATTERN && type != VERIFY_PATTERN_NO_HDR) {
      const n = <u32>vhdr_priv_bytes(type);
      const sum = changetype<usize>(vsum_buf);
      vsum(type, data, dlen, sum);
      ret = memory.compare(sum, p + VHDR_BYTES, n) == 0 ? 0 : 84;
      if (ret != 0) vlog_add(t, VF_DATA, k, inc, 0, 0, 0, off, len, type, p + VHDR_BYTES, sum, n);
    } else ret = 0;
    k++;
  }
  return ret;
}
