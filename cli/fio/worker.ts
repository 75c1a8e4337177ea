/**
 * The worker behind `dmasim fio --jobs N`: one simulated machine (its own
 * Wasm instance) that runs the fio runs cli/pool.ts hands it.
 *
 * @module
 */
import { serveTasks } from "../pool.ts";
import { runFioMachine } from "./run_task.ts";

serveTasks(runFioMachine);
