/**
 * The simulated system: one machine (from a {@link Profile}) and its kernel.
 * It opens devices, creates dma-bufs, hands out user memory, and sets up
 * io_uring instances. One live System per process: the Wasm module is one
 * machine, so creating a System re-initialises it and retires the previous
 * System (using a retired one throws).
 *
 * @module
 */
import { guard, w } from "./wasm.ts";
import { COST_NAMES, type Profile } from "./profile.ts";
import { resolveProfile } from "./profiles.ts";

let epoch = 0;

/** Options for a {@link System}. */
export interface SystemOptions {
  /** A built-in profile name, a profile object, or `{ base, ...overrides }`. Default: "optane-p5800x". */
  profile?: string | Record<string, unknown>;
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
  #view: DataView;

  /** Build a fresh machine from `opts.profile`. */
  constructor(opts: SystemOptions = {}) {
    this.profile = resolveProfile(opts.profile);
    this.#epoch = ++epoch;
    const p = this.profile;
    guard(() => {
      w.machine_init(
        p.cpu.cores,
        p.memory.host_mib,
        p.memory.backing_mib * 256,
        p.gpus.reduce((m, g) => Math.max(m, g.vram_mib), 0),
        p.gpus.length,
      );
      COST_NAMES.forEach((n, i) => w.set_cost(i, p.costs_ns[n]));
    });
    this.#view = new DataView(w.memory.buffer);
  }

  /** Throws when a newer System has replaced this one. */
  check(): void {
    if (this.#epoch !== epoch) {
      throw new Error("this System was replaced by a newer one (one simulated machine per process)");
    }
  }

  /** A DataView over the machine's linear memory (renewed if memory grew). */
  get view(): DataView {
    if (this.#view.buffer !== w.memory.buffer) this.#view = new DataView(w.memory.buffer);
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

  /** close(2) a file descriptor: 0 or -EBADF. */
  close(fd: number): number {
    this.check();
    return w.fd_close(fd);
  }
}
