/**
 * A small pool of Deno workers for independent simulations: every core of
 * the machine in use, results in input order, the same error a serial run
 * would report.
 *
 * One simulated machine is one Wasm instance, and a module graph holds one
 * instance (src/wasm.ts), so each worker — its own module graph — is its own
 * machine. A task is whatever the worker module's handler takes; results and
 * errors travel by structured clone, so numbers arrive bit for bit.
 *
 * How to use it (the `sweep` command does exactly this; `fio` can do the
 * same for independent groups):
 *
 * 1. Write the handler in a module that imports nothing from the CLI it need
 *    not (it is loaded once per worker).
 * 2. Write a worker module that calls {@link serveTasks} with that handler.
 * 3. Call {@link runPool} with the inputs, the worker module's URL and the
 *    same handler (run in this thread when `jobs` is 1: no worker at all).
 *
 * Semantics, identical for 1 job and for many:
 * - results come back in input order, and `onResult` sees them in input order;
 * - the error thrown is the one of the lowest-index task that failed (tasks
 *   before it are awaited, tasks after it abandoned), as a serial loop that
 *   stops at its first failure would throw it;
 * - an error thrown by `onResult` stops the pool the same way;
 * - a worker that dies (uncaught error, `self.close()`, `Deno.exit()`, a
 *   module that fails to load) fails its task with a {@link PoolWorkerError}
 *   instead of leaving the pool waiting.
 *
 * @example
 * ```ts
 * // square_worker.ts:  import { serveTasks } from "./pool.ts";
 * //                    import { square } from "./square.ts";
 * //                    serveTasks(square);
 * import { runPool } from "./pool.ts";
 * const square = (n: number) => n * n;
 * const out = await runPool([1, 2, 3], {
 *   worker: new URL("./square_worker.ts", import.meta.url),
 *   handler: square,
 *   jobs: navigator.hardwareConcurrency,
 * });
 * console.log(out); // [1, 4, 9]
 * ```
 *
 * @module
 */

/**
 * What a task runs: its input, and a callback for its progress (0..1) that
 * the pool forwards to {@link PoolOptions.onProgress}.
 */
export type TaskHandler<I, O> = (input: I, progress: (fraction: number) => void) => O | Promise<O>;

/** Progress across the pool, passed to {@link PoolOptions.onProgress}. */
export interface PoolProgress {
  /** Fraction of all the work done, 0..1 (finished tasks count 1, running ones their own fraction). */
  fraction: number;
  /** Tasks finished. */
  done: number;
  /** Tasks in all. */
  total: number;
  /** Tasks running now. */
  running: number;
  /** Workers in use (1 when the pool runs in this thread). */
  workers: number;
}

/** A constructor whose prototype a revived error gets, so `instanceof` holds after the trip. */
// deno-lint-ignore no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => Error;

/** Options of {@link runPool}. */
export interface PoolOptions<I, O> {
  /** The worker module: it calls {@link serveTasks} with the same handler as {@link handler}. */
  worker: URL;
  /** The handler, run in this thread when only one job is used. */
  handler: TaskHandler<I, O>;
  /** Workers at most (1: run in this thread). Capped by the number of inputs. */
  jobs: number;
  /** Called with each result in input order, as soon as all results before it are in. May throw to stop. */
  onResult?: (output: O, index: number) => void;
  /** Called when progress changes. */
  onProgress?: (p: PoolProgress) => void;
  /**
   * Error classes a worker's error may be revived as, by `name` (e.g.
   * `{ JobError, ProfileError }`): the revived error gets the class's
   * prototype, `name`, `message` and the original's own data properties.
   * Errors of other names are revived as plain `Error`s with the same
   * `name`, `message` and own data properties.
   */
  errorClasses?: Record<string, ErrorClass>;
  /**
   * Turn the error of task `index` (the handler's own, revived, or a
   * {@link PoolWorkerError}) into the one to throw — e.g. to name the task in
   * it. Applied the same way with one job and with many; not applied to what
   * `onResult` throws.
   */
  mapError?: (error: Error, index: number) => Error;
}

/** A worker died or could not start; its task failed with this. */
export class PoolWorkerError extends Error {
  /** Index of the task the worker was running (or was to run). */
  readonly index: number;
  /** Create the error for task `index`. */
  constructor(index: number, message: string) {
    super(`worker for task ${index} died: ${message}`);
    this.name = "PoolWorkerError";
    this.index = index;
  }
}

/** An error as it travels from a worker: its name, message and own data properties. */
export interface SerializedError {
  /** `error.name`. */
  name: string;
  /** `error.message`. */
  message: string;
  /** Own enumerable properties that are strings, numbers or booleans (e.g. `field`, `path`, `code`). */
  props: Record<string, string | number | boolean>;
  /** The worker-side stack, for DMASIM_DEBUG. */
  stack?: string;
}

/** Messages from a worker to the pool. */
type FromWorker =
  | { kind: "ready" }
  | { kind: "progress"; index: number; fraction: number }
  | { kind: "result"; index: number; output: unknown }
  | { kind: "error"; index: number; error: SerializedError }
  | { kind: "died"; message: string };

/** Messages from the pool to a worker. */
interface ToWorker {
  kind: "task";
  index: number;
  input: unknown;
  progress: boolean;
}

/** Turn what was thrown into a {@link SerializedError}. */
export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: "Error", message: String(e), props: {} };
  const props: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === "name" || k === "message" || k === "stack") continue; // carried on their own
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") props[k] = v;
  }
  return { name: e.name, message: e.message, props, stack: e.stack };
}

/** Rebuild an error from a {@link SerializedError}, as an instance of its class when `classes` names it. */
export function reviveError(s: SerializedError, classes: Record<string, ErrorClass> = {}): Error {
  const cls = Object.hasOwn(classes, s.name) ? classes[s.name] : undefined;
  const e: Error = cls ? Object.create(cls.prototype) : new Error(s.message);
  Object.defineProperty(e, "message", { value: s.message, writable: true, configurable: true });
  Object.defineProperty(e, "name", { value: s.name, writable: true, configurable: true });
  Object.assign(e, s.props);
  if (s.stack !== undefined) {
    Object.defineProperty(e, "stack", { value: s.stack, writable: true, configurable: true });
  }
  return e;
}

/**
 * Serve tasks in a worker: call this once at the top of the worker module.
 * Runs one task at a time; a thrown error is sent back as a
 * {@link SerializedError}. Uncaught errors, `self.close()` and `Deno.exit()`
 * are reported to the pool before the worker goes, so the pool never waits
 * on a dead worker.
 */
export function serveTasks<I, O>(handler: TaskHandler<I, O>): void {
  // deno-lint-ignore no-explicit-any
  const scope = globalThis as any;
  const post = (m: FromWorker) => scope.postMessage(m);
  const close = scope.close.bind(scope);
  scope.addEventListener("error", (e: ErrorEvent) => {
    e.preventDefault();
    post({ kind: "died", message: `uncaught ${e.message}` });
    close();
  });
  scope.addEventListener("unhandledrejection", (e: PromiseRejectionEvent) => {
    e.preventDefault();
    const r = e.reason;
    post({ kind: "died", message: `unhandled rejection: ${r instanceof Error ? r.message : String(r)}` });
    close();
  });
  // A worker that ends itself would otherwise vanish without a word to the pool.
  scope.close = () => {
    post({ kind: "died", message: "the worker closed itself" });
    close();
  };
  const exit = Deno.exit;
  // deno-lint-ignore no-explicit-any
  (Deno as any).exit = (code?: number) => {
    post({ kind: "died", message: `Deno.exit(${code ?? 0}) in a worker` });
    exit(code);
  };
  scope.onmessage = async (ev: MessageEvent<ToWorker>) => {
    const { index, input, progress } = ev.data;
    const report = progress ? (fraction: number) => post({ kind: "progress", index, fraction }) : () => {};
    try {
      const output = await handler(input as I, report);
      post({ kind: "result", index, output });
    } catch (e) {
      post({ kind: "error", index, error: serializeError(e) });
    }
  };
  post({ kind: "ready" });
}

/**
 * Run `handler` over `inputs` on up to `jobs` workers (or in this thread when
 * that is 1) and return the outputs in input order; see the module doc for
 * the error and ordering rules.
 */
export async function runPool<I, O>(inputs: readonly I[], opts: PoolOptions<I, O>): Promise<O[]> {
  const jobs = Math.max(1, Math.min(Math.floor(opts.jobs), inputs.length));
  if (jobs <= 1) return await runHere(inputs, opts);
  return await runOnWorkers(inputs, opts, jobs);
}

function taskError<I, O>(e: unknown, index: number, opts: PoolOptions<I, O>): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  return opts.mapError ? opts.mapError(err, index) : err;
}

async function runHere<I, O>(inputs: readonly I[], opts: PoolOptions<I, O>): Promise<O[]> {
  const out: O[] = [];
  const total = inputs.length;
  for (let i = 0; i < total; i++) {
    const progress = opts.onProgress
      ? (f: number) => opts.onProgress!({ fraction: (i + f) / total, done: i, total, running: 1, workers: 1 })
      : () => {};
    let o: O;
    try {
      o = await opts.handler(inputs[i], progress);
    } catch (e) {
      throw taskError(e, i, opts);
    }
    out.push(o);
    opts.onResult?.(o, i);
    opts.onProgress?.({ fraction: (i + 1) / total, done: i + 1, total, running: 0, workers: 1 });
  }
  return out;
}

function runOnWorkers<I, O>(inputs: readonly I[], opts: PoolOptions<I, O>, jobs: number): Promise<O[]> {
  return new Promise<O[]>((resolve, reject) => new WorkerRun(inputs, opts, jobs, resolve, reject).start());
}

/** A worker of a {@link WorkerRun}: the task it runs (null when idle) and whether it is still up. */
interface WorkerSlot {
  w: Worker;
  task: number | null;
  alive: boolean;
}

/**
 * One run of `inputs` on `jobs` workers: tasks handed out in order, results
 * delivered to `onResult` in order, and the lowest-indexed failure the one
 * reported (tasks after it are not started; those before it still finish).
 */
class WorkerRun<I, O> {
  readonly #total: number;
  readonly #results: O[];
  readonly #have: boolean[];
  readonly #fractions = new Map<number, number>(); // running task -> its progress
  readonly #workers: WorkerSlot[] = [];
  #next = 0; // next task to hand out
  #delivered = 0; // results passed to onResult, in order
  #done = 0;
  #failedAt = Infinity; // lowest index that failed
  #failure: Error | null = null;
  #settled = false;

  /** A run that settles through `resolve` (every result, in order) or `reject` (the first failure). */
  constructor(
    private readonly inputs: readonly I[],
    private readonly opts: PoolOptions<I, O>,
    private readonly jobs: number,
    private readonly resolve: (out: O[]) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.#total = inputs.length;
    this.#results = new Array(this.#total);
    this.#have = new Array(this.#total).fill(false);
  }

  /** Start the workers; each asks for a task when it is ready. */
  start(): void {
    for (let k = 0; k < this.jobs; k++) {
      let w: Worker;
      try {
        w = new Worker(this.opts.worker.href, { type: "module" });
      } catch (e) {
        const next = this.#next;
        this.#fail(
          next,
          taskError(new PoolWorkerError(next, e instanceof Error ? e.message : String(e)), next, this.opts),
        );
        this.#finish();
        return;
      }
      const s: WorkerSlot = { w, task: null, alive: true };
      this.#workers.push(s);
      w.onmessage = (ev: MessageEvent<FromWorker>) => this.#onMessage(s, ev.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault(); // keep it from taking this thread down: the task fails instead
        this.#died(s, e.message);
      };
      w.onmessageerror = () => this.#died(s, "a message from the worker could not be read");
    }
  }

  #onMessage(s: WorkerSlot, m: FromWorker): void {
    if (this.#settled || !s.alive) return;
    switch (m.kind) {
      case "ready":
        this.#dispatch(s);
        break;
      case "progress":
        if (this.#fractions.has(m.index)) this.#fractions.set(m.index, Math.max(0, Math.min(1, m.fraction)));
        this.#progress();
        break;
      case "result":
        this.#results[m.index] = m.output as O;
        this.#have[m.index] = true;
        this.#fractions.delete(m.index);
        this.#done++;
        s.task = null;
        this.#progress();
        this.#dispatch(s);
        this.#maybeFinish();
        break;
      case "error":
        this.#fractions.delete(m.index);
        this.#fail(m.index, taskError(reviveError(m.error, this.opts.errorClasses), m.index, this.opts));
        s.task = null;
        this.#dispatch(s);
        this.#maybeFinish();
        break;
      case "died":
        this.#died(s, m.message);
        break;
    }
  }

  #finish(): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const s of this.#workers) {
      s.alive = false;
      s.w.terminate();
    }
    if (this.#failure) this.reject(this.#failure);
    else this.resolve(this.#results);
  }

  #progress(): void {
    if (!this.opts.onProgress || this.#settled) return;
    let f = this.#done;
    for (const v of this.#fractions.values()) f += v;
    this.opts.onProgress({
      fraction: f / this.#total,
      done: this.#done,
      total: this.#total,
      running: this.#fractions.size,
      workers: this.jobs,
    });
  }

  #fail(index: number, e: Error): void {
    if (index < this.#failedAt) {
      this.#failedAt = index;
      this.#failure = e;
    }
  }

  /** Deliver results in order; stop at the first failure. */
  #deliver(): void {
    while (this.#delivered < this.#total && this.#delivered < this.#failedAt && this.#have[this.#delivered]) {
      try {
        this.opts.onResult?.(this.#results[this.#delivered], this.#delivered);
      } catch (e) {
        this.#fail(this.#delivered, e instanceof Error ? e : new Error(String(e)));
        break;
      }
      this.#delivered++;
    }
  }

  /** Done when every task before the failure (or every task) has an outcome. */
  #maybeFinish(): void {
    this.#deliver();
    const need = this.#failure ? this.#failedAt : this.#total;
    if (this.#delivered >= need) this.#finish();
    else if (!this.#workers.some((s) => s.alive) && !this.#settled) {
      const d = this.#delivered;
      this.#fail(d, taskError(new PoolWorkerError(d, "no worker left to run it"), d, this.opts));
      this.#finish();
    }
  }

  #dispatch(s: WorkerSlot): void {
    if (!s.alive || this.#settled) return;
    if (this.#next >= this.#total || this.#next > this.#failedAt) {
      s.task = null;
      return;
    }
    const index = this.#next++;
    s.task = index;
    this.#fractions.set(index, 0);
    const msg: ToWorker = {
      kind: "task",
      index,
      input: this.inputs[index],
      progress: !!this.opts.onProgress,
    };
    s.w.postMessage(msg);
  }

  #died(s: WorkerSlot, message: string): void {
    if (!s.alive) return;
    s.alive = false;
    s.w.terminate();
    if (s.task !== null) {
      this.#fractions.delete(s.task);
      this.#fail(s.task, taskError(new PoolWorkerError(s.task, message), s.task, this.opts));
      s.task = null;
    }
    this.#maybeFinish();
  }
}
