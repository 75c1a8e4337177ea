/**
 * The simulator's own speed, scenario by scenario (the table of issue 13):
 * the ring core's NOP rate, the headline scenario, strict mode with
 * registered buffers, and 64 cores × 8 drives in lazy mode next to 1 core ×
 * 1 drive. Each is run several times, alternating scenarios so that a busy
 * spell of a shared machine does not land on one scenario alone, and
 * reported as min / median.
 *
 * Only the public module is used: the same runs a user can make.
 *
 * @module
 */
import { headlineJob, OPTANE_P5800X, runUring, type UringJob } from "../mod.ts";
import { benchNop } from "./nop.ts";

/** One measured scenario. */
export interface SpeedScenario {
  /** What it is, for the report. */
  name: string;
  /** Its unit of work ("NOPs" or "I/Os"). */
  unit: string;
  /** Run it once: work done per wall second, and simulated time per wall time (undefined for NOPs). */
  run: () => { perWallS: number; realTime?: number };
}

/** A profile with `cores` cores and `drives` drives like the published one (built from profile fields). */
export function scaledProfile(cores: number, drives: number): Record<string, unknown> {
  const d = OPTANE_P5800X.devices[0];
  return {
    base: OPTANE_P5800X.name,
    cpu: { ...OPTANE_P5800X.cpu, cores },
    devices: Array.from({ length: drives }, (_, i) => ({ ...d, name: `nvme${i}n1` })),
  };
}

function ioScenario(name: string, job: UringJob): SpeedScenario {
  return {
    name,
    unit: "I/Os",
    run: () => {
      const r = runUring(job);
      return { perWallS: r.simIosPerWallS, realTime: r.realTimeRatio };
    },
  };
}

/** The scenarios of the speed table; `ios` measured I/Os per run (`nops` NOPs for the ring core). */
export function speedScenarios(ios = 1_000_000, nops = 2_000_000): SpeedScenario[] {
  const drives8 = Array.from({ length: 8 }, (_, i) => `nvme${i}n1`);
  return [
    {
      name: "ring core: NOPs (QD128, batches of 32)",
      unit: "NOPs",
      run: () => ({ perWallS: benchNop(nops).nopsPerS }),
    },
    ioScenario(
      "headline: 512 B random reads, QD128, polled, dma-buf, passthrough",
      headlineJob({ iommu: "passthrough", buffers: "dmabuf", ios }),
    ),
    ioScenario("strict, registered buffers", headlineJob({ iommu: "strict", buffers: "fixed", ios })),
    ioScenario(
      "lazy, registered buffers, 1 core × 1 drive",
      headlineJob({ iommu: "lazy", buffers: "fixed", ios }),
    ),
    ioScenario(
      "lazy, registered buffers, 64 cores × 8 drives",
      headlineJob({
        profile: scaledProfile(64, 8),
        iommu: "lazy",
        buffers: "fixed",
        threads: 64,
        devices: drives8,
        ios,
      }),
    ),
  ];
}

/** Min and median of some numbers. */
export function minMedian(xs: readonly number[]): { min: number; median: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2 };
}

/** Measured speed of one scenario over several runs. */
export interface SpeedResult {
  /** The scenario. */
  scenario: SpeedScenario;
  /** Work per wall second, each run. */
  perWallS: number[];
  /** Simulated time per wall time, each run (empty for NOPs). */
  realTime: number[];
}

/** Run every scenario `runs` times, round-robin (scenario order within each round). */
export function measureSpeed(scenarios: SpeedScenario[], runs: number): SpeedResult[] {
  const out: SpeedResult[] = scenarios.map((scenario) => ({ scenario, perWallS: [], realTime: [] }));
  for (let k = 0; k < runs; k++) {
    for (const r of out) {
      const m = r.scenario.run();
      r.perWallS.push(m.perWallS);
      if (m.realTime !== undefined) r.realTime.push(m.realTime);
    }
  }
  return out;
}
