/**
 * Execute conformance programs (tests/conformance/program.ts's format) on
 * dmasim through its public module, printing the same lines the C runner
 * prints for the real kernel. SQEs are written into the ring's memory byte
 * by byte and the SQ tail published as a program does with the mmapped
 * rings; io_uring_enter, registration and CQ reads go through mod.ts.
 *
 * @module
 */
import {
  EDEADLK,
  IORING_ENTER_GETEVENTS,
  type IoUring,
  ioUringEnter,
  ioUringQueueExit,
  ioUringQueueInitParams,
  O_DIRECT,
  O_RDWR,
  registerBuffers,
  registerFiles,
  System,
} from "../../mod.ts";
import { expandLine, fillBuffer, fnv32, type Program } from "./program.ts";

/** The block device a block program's `d` fd refers to, modelled by dmasim. */
export interface DmasimDevice {
  /** Logical block size (512 or 4096). */
  lba_bytes: number;
  /** Capacity in bytes (a multiple of lba_bytes). */
  capacity_bytes: number;
  /** Queue limits copied from the kernel's device (sysfs), so that splits match. */
  nvme?: Record<string, unknown>;
}

/** Options of {@link runDmasim}. */
export interface DmasimRunOptions {
  /** A device for block programs (opened O_RDWR|O_DIRECT as fd `d`). */
  device?: DmasimDevice;
}

const RO_SQ_TAIL = 64;

/** Make the System a batch of programs runs on: one machine, like one kernel boot. */
export function conformanceSystem(dev?: DmasimDevice): System {
  if (!dev) return new System();
  return new System({
    profile: {
      base: "optane-p5800x",
      ...(dev.nvme ? { nvme: dev.nvme } : {}),
      devices: [{
        name: "nvme0n1",
        lba_bytes: dev.lba_bytes,
        capacity_gib: 1,
        capacity_bytes: dev.capacity_bytes,
        iops_max: 1_000_000,
        read_latency_ns: 10_000,
        write_latency_ns: 10_000,
        latency_jitter_ns: 0,
        media_mbps: 4000,
        channels: 16,
      }],
    },
  });
}

function parseRef(bufs: number[], s: string): number {
  const [k, off] = s.split(":");
  const kk = Number(k);
  const o = Number(off ?? 0);
  return kk < 0 ? o : bufs[kk] + o;
}

/**
 * Run `programs` on one simulated machine; returns each program's output
 * lines (the `P` line first), keyed in order. The machine is shared by the
 * batch as the kernel and its block device are.
 */
export function runDmasim(programs: readonly Program[], opts: DmasimRunOptions = {}): string[][] {
  const sys = conformanceSystem(opts.device);
  const devFd = opts.device ? sys.open("/dev/nvme0n1", O_RDWR | O_DIRECT) : -1;
  if (opts.device && devFd < 0) throw new Error(`dmasim: open /dev/nvme0n1: ${devFd}`);
  const out: string[][] = [];
  for (const p of programs) out.push(runOne(sys, devFd, p));
  return out;
}

function runOne(sys: System, devFd: number, p: Program): string[] {
  const o: string[] = [`P ${p.name}`];
  const v = sys.view;
  let ring: IoUring | null = null;
  let tail = 0;
  const bufs: number[] = [];
  let reaped = 0;
  const fdTok = (t: string): number => t === "d" ? devFd : t === "r" ? (ring ? ring.ringFd : -1) : Number(t);
  const reap = () => {
    if (!ring) return;
    const r = ring;
    let head = v.getUint32(r.rings + 128, true);
    const t = v.getUint32(r.rings + 192, true);
    while (head !== t) {
      const c = r.rings + 320 + 16 * (head & (r.cqEntries - 1));
      o.push(`cqe ${v.getBigUint64(c, true)} ${v.getInt32(c + 8, true)} ${v.getUint32(c + 12, true)}`);
      head = (head + 1) >>> 0;
      reaped++;
    }
    v.setUint32(r.rings + 128, head, true);
  };
  try {
    for (const line of p.lines.map(expandLine)) {
      const a = line.split(" ");
      switch (a[0]) {
        case "S": {
          const r = ioUringQueueInitParams(sys, Number(a[1]), {
            flags: Number(a[2]),
            cqEntries: Number(a[3]),
          });
          if (typeof r === "number") {
            o.push(`setup ${r}`);
            return o;
          }
          ring = r;
          tail = v.getUint32(r.rings + RO_SQ_TAIL, true);
          o.push(`setup 0 ${r.sqEntries} ${r.cqEntries}`);
          break;
        }
        case "B": {
          const n = Number(a[2]);
          const va = sys.mmapAnon(n);
          if (va < 0) throw new Error(`dmasim: mmap ${n}: ${va}`);
          bufs[Number(a[1])] = va;
          sys.writeUser(va, a[3] === "z" ? new Uint8Array(n) : fillBuffer(Number(a[3]), n));
          break;
        }
        case "V": {
          const base = bufs[Number(a[1])] + Number(a[2]);
          const n = Number(a[3]);
          const b = new Uint8Array(16 * n);
          const dv = new DataView(b.buffer);
          for (let i = 0; i < n; i++) {
            const [ref, len] = a[4 + i].split("/");
            dv.setBigUint64(16 * i, BigInt(parseRef(bufs, ref)), true);
            dv.setBigUint64(16 * i + 8, BigInt(len), true);
          }
          sys.writeUser(base, b);
          break;
        }
        case "RB": {
          const n = Number(a[1]);
          const iovs = [];
          for (let i = 0; i < n; i++) {
            const [ref, len] = a[2 + i].split("/");
            iovs.push({ iovBase: parseRef(bufs, ref), iovLen: Number(len) });
          }
          o.push(`reg ${registerBuffers(ring!, iovs)}`);
          break;
        }
        case "RF": {
          const n = Number(a[1]);
          const fds = [];
          for (let i = 0; i < n; i++) fds.push(fdTok(a[2 + i]));
          o.push(`reg ${registerFiles(ring!, fds)}`);
          break;
        }
        case "Q": {
          const r = ring!;
          const s = r.sqes + 64 * (tail & (r.sqEntries - 1));
          const hex = a[1];
          for (let i = 0; i < 64; i++) v.setUint8(s + i, parseInt(hex.slice(2 * i, 2 * i + 2), 16));
          if (a[2] !== "-") v.setBigUint64(s + 16, BigInt(parseRef(bufs, a[2])), true);
          if (a[3] !== "-") v.setInt32(s + 4, fdTok(a[3]), true);
          tail = (tail + 1) >>> 0;
          v.setUint32(r.rings + RO_SQ_TAIL, tail, true);
          break;
        }
        case "E": {
          const ret = ioUringEnter(ring!, Number(a[1]), Number(a[2]), Number(a[3]));
          // The kernel sleeps forever where dmasim answers -EDEADLK (nothing
          // in flight could complete): the runner cuts that sleep short and
          // prints HANG.
          o.push(ret === -EDEADLK ? "enter HANG" : `enter ${ret}`);
          break;
        }
        case "C":
          reap();
          break;
        case "F":
          o.push(`sqflags ${ring!.sqFlags}`);
          break;
        case "D": {
          const bytes = sys.readUser(bufs[Number(a[1])] + Number(a[2]), Number(a[3]));
          if (typeof bytes === "number") throw new Error(`dmasim: readUser: ${bytes}`);
          o.push(`data ${fnv32(bytes)}`);
          break;
        }
        case "Z": {
          // Let in-flight work finish (task work, io-wq, the device): wait for
          // one more CQE at a time until none comes (-EDEADLK: nothing left
          // that could complete) — what the runner's timed waits do.
          reap();
          for (let guard = 0; guard < 100_000; guard++) {
            const before = reaped;
            const ret = ioUringEnter(ring!, 0, 1, IORING_ENTER_GETEVENTS);
            reap();
            if (ret < 0 || reaped === before) break;
          }
          break;
        }
        default:
          throw new Error(`dmasim: bad program line: ${line}`);
      }
    }
    return o;
  } finally {
    if (ring) ioUringQueueExit(ring);
  }
}

/** How many CQEs a program's output shows (the runner's `Z n` waits for that many). */
export function cqeCount(out: readonly string[]): number {
  return out.filter((l) => l.startsWith("cqe ")).length;
}
