/**
 * The worker behind `dmasim sweep --jobs N`: one simulated machine (its own
 * Wasm instance) that runs grid points handed to it by cli/pool.ts.
 *
 * @module
 */
import { serveTasks } from "./pool.ts";
import { runSweepPoint } from "./sweep_run.ts";

serveTasks(runSweepPoint);
