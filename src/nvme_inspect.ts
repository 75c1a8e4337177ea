/**
 * Inspection of NVMe commands in flight, decoded from the bytes in simulated
 * memory: the 64-byte command as the controller fetches it, its PRP lists or
 * SGL descriptors as written to the PRP pool pages.
 *
 * @module
 */
import { w } from "./wasm.ts";
// NVMe command and SGL layouts: generated from asm/sim/uapi.ts, the one definition.
import {
  NVME_CMD_CID,
  NVME_CMD_FLAGS_OFF,
  NVME_CMD_NLB,
  NVME_CMD_NSID,
  NVME_CMD_OPCODE,
  NVME_CMD_PRP1_OFF,
  NVME_CMD_PRP2_OFF,
  NVME_CMD_SGL1_OFF,
  NVME_CMD_SIZE,
  NVME_CMD_SLBA,
  NVME_SGL_ADDR,
  NVME_SGL_LENGTH,
  NVME_SGL_TYPE_BYTE,
} from "./uapi.generated.ts";
import type { System } from "./system.ts";

/** One 16-byte SGL descriptor. */
export interface SglDescriptor {
  /** Address. */
  addr: bigint;
  /** Length in bytes. */
  length: number;
  /** Type (0 data block, 2 segment, 3 last segment). */
  type: number;
  /** Subtype. */
  subtype: number;
}

/** A decoded NVMe read/write command. */
export interface NvmeCommand {
  /** Tag (command identifier). */
  cid: number;
  /** Opcode: 0x02 read, 0x01 write. */
  opcode: number;
  /** Namespace id. */
  nsid: number;
  /** Starting LBA. */
  slba: bigint;
  /** Number of logical blocks (NLB + 1). */
  blocks: number;
  /** PSDT: 0 PRP, 1 or 2 SGL. */
  psdt: number;
  /** PRP1 (or the SGL1 address). */
  prp1: bigint;
  /** PRP2. */
  prp2: bigint;
  /**
   * PRP list blocks as written in memory, each a whole pool block: 32 entries
   * (256-byte pool) or 512 (4 KiB pool); entries past the last one used are
   * whatever the block held (zero when fresh). See {@link NvmeCommand.pool}.
   */
  prpLists: bigint[][];
  /** SGL1 when psdt != 0. */
  sgl1: SglDescriptor | null;
  /** SGL descriptor arrays as written in memory, each a whole pool block (16 or 256 descriptors). */
  sglArrays: SglDescriptor[][];
  /** Which dma_pool the list blocks came from: "small" (256 B), "large" (4 KiB), or null (none). */
  pool: "small" | "large" | null;
  /** PRP entries (PRP1, PRP2 and list entries, chain pointers included) or SGL descriptors written. */
  entries: number;
  /** The raw 64 bytes. */
  raw: Uint8Array;
}

function sglAt(b: Uint8Array, off: number): SglDescriptor {
  const v = new DataView(b.buffer, b.byteOffset + off, 16);
  return {
    addr: v.getBigUint64(NVME_SGL_ADDR, true),
    length: v.getUint32(NVME_SGL_LENGTH, true),
    type: b[off + NVME_SGL_TYPE_BYTE] >> 4,
    subtype: b[off + NVME_SGL_TYPE_BYTE] & 15,
  };
}

/** Decode the command with tag `tag` (which must be in flight). */
export function decodeCommand(sys: System, tag: number): NvmeCommand {
  const img = w.nvme_cmd_image(tag);
  const raw = new Uint8Array(w.memory.buffer, img, NVME_CMD_SIZE).slice();
  const v = new DataView(raw.buffer);
  const iod = w.nvme_cmd_iod(tag);
  const nLists = w.nvme_cmd_prp_list_count(iod);
  const psdt = raw[NVME_CMD_FLAGS_OFF] >> 6;
  const cmd: NvmeCommand = {
    cid: v.getUint16(NVME_CMD_CID, true),
    opcode: raw[NVME_CMD_OPCODE],
    nsid: v.getUint32(NVME_CMD_NSID, true),
    slba: v.getBigUint64(NVME_CMD_SLBA, true),
    blocks: v.getUint16(NVME_CMD_NLB, true) + 1,
    psdt,
    prp1: v.getBigUint64(NVME_CMD_PRP1_OFF, true),
    prp2: v.getBigUint64(NVME_CMD_PRP2_OFF, true),
    prpLists: [],
    sgl1: psdt ? sglAt(raw, NVME_CMD_SGL1_OFF) : null,
    sglArrays: [],
    pool: null,
    entries: w.nvme_cmd_entries(iod),
    raw,
  };
  const pool = w.nvme_cmd_list_pool(iod);
  if (nLists > 0) cmd.pool = pool === 0 ? "small" : "large";
  // Small pool blocks are 256 bytes, large ones a page.
  const blockBytes = pool === 0 ? 256 : 4096;
  for (let i = 0; i < nLists; i++) {
    const bytes = sys.readPhys(BigInt.asUintN(64, BigInt(w.nvme_cmd_list_pa(iod, i))), blockBytes);
    if (psdt === 0) {
      const dv = new DataView(bytes.buffer);
      cmd.prpLists.push(Array.from({ length: blockBytes / 8 }, (_, k) => dv.getBigUint64(8 * k, true)));
    } else {
      cmd.sglArrays.push(Array.from({ length: blockBytes / 16 }, (_, k) => sglAt(bytes, 16 * k)));
    }
  }
  return cmd;
}

/** Every NVMe command in flight, decoded, in tag order. */
export function inflightCommands(sys: System): NvmeCommand[] {
  sys.check();
  const out: NvmeCommand[] = [];
  if (w.nvme_cmds_live() === 0) return out;
  const max = w.nvme_cmds_max();
  for (let t = 0; t < max && out.length < w.nvme_cmds_live(); t++) {
    if (w.nvme_cmd_req(t) >= 0) out.push(decodeCommand(sys, t));
  }
  return out;
}
