/**
 * `dmasim fio`: fio job files on the simulated machine with fio 3.33's
 * output. The implementation is in `cli/fio/`, one concern a file: job-file
 * parser (parse.ts), option table (options.ts) and values (values.ts), jobs
 * and groups (job.ts), the simulated machine of a run (machine.ts), running
 * (run.ts), fio's figures (report.ts, disk.ts), and the JSON (json.ts),
 * normal (text.ts) and terse (terse.ts) reports, logs (logs.ts), output
 * paths (output.ts) and the command (command.ts). See docs/fio.md.
 *
 * @module
 */
export { fioCommand } from "./fio/command.ts";
export { type FioEntry, type FioFile, type FioSection, parseJobFile } from "./fio/parse.ts";
export { FIO_OPTIONS, NOT_MODELLED } from "./fio/options.ts";
export { fioFieldSource, type FioJobOpts, jobsFromSections } from "./fio/job.ts";
export { type FioRates, fioRates } from "./fio/report.ts";
