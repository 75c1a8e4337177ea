/**
 * fio's I/O error handling as a job file sets it and as fio reports it:
 * `continue_on_error=` and `ignore_error=` (options.c, td_error.c), the
 * `err=` texts (`td->verror`, written by `__td_verror` in fio.h as
 * `file:FILE:LINE, func=FUNC, error=STRERROR`), and the C library's
 * `strerror` texts fio prints.
 *
 * @module
 */
import { UsageError } from "../common.ts";
import type { FioRun } from "./run.ts";
import { verifyFailureLines } from "./verify.ts";

/** fio's error types (td_error.h `error_type_bit`): bits of continue_on_error. */
export const ERROR_TYPE_READ = 1;
/** Write errors. */
export const ERROR_TYPE_WRITE = 2;
/** Verify errors (EILSEQ). */
export const ERROR_TYPE_VERIFY = 4;

/** continue_on_error's values (options.c posval) → error type bits (ERROR_TYPE_ANY is 0xffff in fio). */
export const CONTINUE_ON_ERROR: Record<string, number> = {
  none: 0,
  read: ERROR_TYPE_READ,
  write: ERROR_TYPE_WRITE,
  io: ERROR_TYPE_READ | ERROR_TYPE_WRITE,
  verify: ERROR_TYPE_VERIFY,
  all: 0xffff,
  "0": 0,
  "1": 0xffff,
};

/**
 * The names `ignore_error=` accepts (options.c `str2error`: EPERM … ERANGE,
 * errnos 1 to 34 in order); any other errno must be given as a number, as
 * fio says ("Unknown error ENODATA, please use number value").
 */
const STR2ERROR = [
  "EPERM",
  "ENOENT",
  "ESRCH",
  "EINTR",
  "EIO",
  "ENXIO",
  "E2BIG",
  "ENOEXEC",
  "EBADF",
  "ECHILD",
  "EAGAIN",
  "ENOMEM",
  "EACCES",
  "EFAULT",
  "ENOTBLK",
  "EBUSY",
  "EEXIST",
  "EXDEV",
  "ENODEV",
  "ENOTDIR",
  "EISDIR",
  "EINVAL",
  "ENFILE",
  "EMFILE",
  "ENOTTY",
  "ETXTBSY",
  "EFBIG",
  "ENOSPC",
  "ESPIPE",
  "EROFS",
  "EMLINK",
  "EPIPE",
  "EDOM",
  "ERANGE",
];

/**
 * Parse `ignore_error=READ_LIST,WRITE_LIST,VERIFY_LIST` (each a `:`-separated
 * list of errno names or numbers) as options.c `str_ignore_error_cb` does:
 * a non-empty list replaces that type's default (EIO, EILSEQ) and turns on
 * continue_on_error for the type; an empty one leaves the type as it was.
 * Returns the lists (null: unchanged) and the bits to add.
 *
 * @example
 * ```ts
 * import { parseIgnoreError } from "./errors.ts";
 * parseIgnoreError(",ENOSPC", "job.fio:3"); // { lists: [null, [28], null], bits: 2 }
 * ```
 */
export function parseIgnoreError(
  text: string,
  at: string,
): { lists: [number[] | null, number[] | null, number[] | null]; bits: number } {
  const lists: [number[] | null, number[] | null, number[] | null] = [null, null, null];
  let bits = 0;
  const types = text.trim().split(",");
  if (types.length > 3) {
    throw new UsageError(
      `${at}: option ignore_error: expected at most 3 lists (read,write,verify), got ${text}`,
    );
  }
  types.forEach((list, type) => {
    const errs: number[] = [];
    // strsep stops at the first empty name, as fio's loop does.
    for (const name of list.split(":")) {
      if (name === "") break;
      let err: number;
      if (name.startsWith("E")) err = STR2ERROR.indexOf(name) + 1;
      else err = /^[+-]?\d+$/.test(name) ? Math.abs(parseInt(name, 10)) : 0;
      if (!err) {
        throw new UsageError(
          `${at}: option ignore_error: unknown error ${JSON.stringify(name)}, use its number ` +
            `(fio 3.33 knows the names ${STR2ERROR[0]} to ${STR2ERROR[STR2ERROR.length - 1]})`,
        );
      }
      if (errs.length >= IGNORE_ERRORS_MAX) {
        throw new UsageError(`${at}: option ignore_error: at most ${IGNORE_ERRORS_MAX} errors per type`);
      }
      errs.push(err);
    }
    if (errs.length > 0) {
      lists[type] = errs;
      bits |= 1 << type;
    }
  });
  return { lists, bits };
}

/** Errnos per ignore_error list (asm/user/wl_job.ts IGNORE_MAX). */
export const IGNORE_ERRORS_MAX = 16;

/**
 * The C library's strerror texts (glibc 2.36, which fio 3.33 links on
 * Debian 12) for the errnos the model returns and the ones `ignore_error`
 * names; others print as glibc does for an unknown number.
 */
const STRERROR: Record<number, string> = {
  0: "Success",
  1: "Operation not permitted",
  2: "No such file or directory",
  3: "No such process",
  4: "Interrupted system call",
  5: "Input/output error",
  6: "No such device or address",
  7: "Argument list too long",
  8: "Exec format error",
  9: "Bad file descriptor",
  10: "No child processes",
  11: "Resource temporarily unavailable",
  12: "Cannot allocate memory",
  13: "Permission denied",
  14: "Bad address",
  15: "Block device required",
  16: "Device or resource busy",
  17: "File exists",
  18: "Invalid cross-device link",
  19: "No such device",
  20: "Not a directory",
  21: "Is a directory",
  22: "Invalid argument",
  23: "Too many open files in system",
  24: "Too many open files",
  25: "Inappropriate ioctl for device",
  26: "Text file busy",
  27: "File too large",
  28: "No space left on device",
  29: "Illegal seek",
  30: "Read-only file system",
  31: "Too many links",
  32: "Broken pipe",
  33: "Numerical argument out of domain",
  34: "Numerical result out of range",
  35: "Resource deadlock avoided",
  61: "No data available",
  75: "Value too large for defined data type",
  84: "Invalid or incomplete multibyte or wide character",
  95: "Operation not supported",
  125: "Operation canceled",
};

/**
 * glibc's strerror text of a positive errno.
 *
 * @example
 * ```ts
 * import { cStrerror } from "./errors.ts";
 * cStrerror(61); // "No data available"
 * ```
 */
export function cStrerror(err: number): string {
  return STRERROR[err] ?? `Unknown error ${err}`;
}

/**
 * fio's `td->verror` for an error set by `td_verror(td, err, func)` at
 * `file:line` of fio 3.33's source: io_u.c:1876 for an I/O error
 * (`__io_u_log_error`), backend.c:1131 for a rate_min not met.
 *
 * @example
 * ```ts
 * import { verror } from "./errors.ts";
 * verror(5, "io_u.c", 1876, "io_u error"); // "file:io_u.c:1876, func=io_u error, error=Input/output error"
 * ```
 */
export function verror(err: number, file: string, line: number, func: string): string {
  return `file:${file}:${line}, func=${func}, error=${cStrerror(err)}`;
}

/** The line and function of fio 3.33's `td_verror` for a failed I/O (io_u.c `__io_u_log_error`). */
export const VERROR_IO_U = { file: "io_u.c", line: 1876, func: "io_u error" } as const;
/** … and for a rate_min not met (backend.c `do_io`). */
export const VERROR_MIN_RATE = { file: "backend.c", line: 1131, func: "check_min_rate" } as const;
/** … for a verify failure reaped by an asynchronous engine (io_u.c `io_u_queued_complete`). */
export const VERROR_VERIFY_QUEUED = { file: "io_u.c", line: 2190, func: "io_u_queued_complete" } as const;
/** … and by a synchronous one (io_u.c `io_u_sync_complete`). */
export const VERROR_VERIFY_SYNC = { file: "io_u.c", line: 2152, func: "io_u_sync_complete" } as const;
/** fio's synchronous engines (FIO_SYNCIO): an I/O completes inside its queue call. */
export const SYNC_ENGINES = ["psync", "sync", "pvsync", "pvsync2"];
/** EILSEQ: fio's verify failure. */
export const EILSEQ = 84;

/** Where fio's td_verror for thread error `err` of a job on `ioengine` is: an I/O, verify or rate_min error. */
export function verrorOf(err: number, fromIo: boolean, ioengine: string): string {
  const v = err === EILSEQ && fromIo
    ? (SYNC_ENGINES.includes(ioengine) ? VERROR_VERIFY_SYNC : VERROR_VERIFY_QUEUED)
    : fromIo
    ? VERROR_IO_U
    : VERROR_MIN_RATE;
  return verror(err, v.file, v.line, v.func);
}

/** The file name fio prints for a thread's I/O: its job's filename= (the first, for several), or the drive. */
function fileOf(run: FioRun, t: number): string {
  const o = run.machine.threads[t].opts;
  return o.filenames[0] ?? `/dev/${run.result.job.devices?.[0] ?? "nvme0n1"}`;
}

/**
 * fio's stderr line for each failed I/O that stopped a thread
 * (io_u.c `__io_u_log_error`), threads in order, then each thread's in
 * the order they completed: `fio: io_u error on file F: STRERROR: read
 * offset=N, buflen=N`.
 */
export function ioErrorLines(runs: FioRun[]): string[] {
  return runs.flatMap((run) =>
    (run.result.fioThreads ?? []).flatMap((t, i) => {
      // A verify failure is not an io_u error: verify.c logs it (verifyLines).
      const lines = t.ioErrors.filter((e) => e.errno !== EILSEQ).map((e) =>
        `fio: io_u error on file ${fileOf(run, i)}: ${cStrerror(e.errno)}: ${
          e.dir === 0 ? "read" : "write"
        } offset=${e.offset}, buflen=${e.len}`
      );
      // dmasim keeps the first ERRLOG_MAX; say how many more fio would have printed.
      if (t.fatalErrors > t.ioErrors.length) {
        lines.push(`dmasim fio: note: ${t.fatalErrors - t.ioErrors.length} more failed I/Os not listed`);
      }
      return lines;
    })
  );
}

/**
 * fio's stdout line for each thread that ended with an error (backend.c
 * `thread_main`: `fio: pid=P, err=E/VERROR`), in the order the threads
 * ended; dmasim's threads have no pid and print 0.
 */
export function threadErrorLines(runs: FioRun[]): string[] {
  return runs.flatMap((run) => {
    const ts = (run.result.fioThreads ?? []).map((t, i) => ({ t, i })).filter(({ t }) => t.error !== 0);
    ts.sort((a, b) => (a.t.endNs ?? Infinity) - (b.t.endNs ?? Infinity));
    return ts.map(({ t, i }) =>
      `fio: pid=0, err=${t.error}/${
        verrorOf(t.error, t.fatalErrors > 0, run.machine.threads[i].opts.ioengine)
      }`
    );
  });
}

/**
 * fio's stderr lines for the bad blocks verify found (verify.c
 * `verify_header`, `log_verify_failure`, `verify_io_u_pattern`), in the
 * order found; dmasim keeps the first 64 and notes the rest.
 */
export function verifyLines(runs: FioRun[]): string[] {
  return runs.flatMap((run) => {
    const v = run.result.fioVerifyFailures;
    if (!v) return [];
    const lines = v.failures.flatMap((f) => verifyFailureLines(f, fileOf(run, f.thread)));
    if (v.total > v.failures.length) {
      lines.push(`dmasim fio: note: ${v.total - v.failures.length} more bad blocks not listed`);
    }
    return lines;
  });
}
