/**
 * cli/pool.ts: results in input order with one job and with many, the error
 * of the lowest failing task whatever order tasks fail in, and no hang when a
 * worker dies in any of the ways a worker can.
 */
import assert from "node:assert/strict";
import { PoolWorkerError, reviveError, runPool, serializeError } from "../cli/pool.ts";
import { TaskError, type TestTask, testTask } from "./fixtures/pool/tasks.ts";

/** What `fn` rejects with (fails if it resolves). */
async function caught(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof Error, "an Error");
    return e;
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

const WORKER = new URL("./fixtures/pool/worker.ts", import.meta.url);

function opts(jobs: number, extra: Partial<Parameters<typeof runPool<TestTask, number>>[1]> = {}) {
  return { worker: WORKER, handler: testTask, jobs, errorClasses: { TaskError }, ...extra };
}

Deno.test("runPool returns outputs and calls onResult in input order, with one job and with three", async () => {
  // Early tasks are slow, so on workers later ones finish first.
  const tasks: TestTask[] = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ n, delayMs: n <= 2 ? 60 : 0 }));
  for (const jobs of [1, 3]) {
    const seen: number[] = [];
    const fractions: number[] = [];
    const out = await runPool(
      tasks,
      opts(jobs, {
        onResult: (o, i) => seen.push(i * 1000 + o),
        onProgress: (p) => fractions.push(p.fraction),
      }),
    );
    assert.deepEqual(out, [1, 4, 9, 16, 25, 36, 49], `jobs ${jobs}`);
    assert.deepEqual(seen, [1, 1004, 2009, 3016, 4025, 5036, 6049], `onResult order, jobs ${jobs}`);
    assert.deepEqual(fractions.at(-1), 1, `progress ends at 1, jobs ${jobs}`);
    assert.ok(fractions.some((f) => f > 0 && f < 1), `progress in between, jobs ${jobs}`);
  }
});

Deno.test("runPool throws the lowest failing task's error, revived as its class, after the tasks before it", async () => {
  // Task 1 fails late, task 4 fails at once: a serial loop reports task 1.
  const tasks: TestTask[] = [
    { n: 0, delayMs: 80 },
    { n: 1, delayMs: 120, mode: "throw" },
    { n: 2 },
    { n: 3 },
    { n: 4, mode: "throw" },
    { n: 5 },
  ];
  for (const jobs of [1, 2, 4]) {
    const seen: number[] = [];
    const e = await caught(() =>
      runPool(
        tasks,
        opts(jobs, { onResult: (_o, i) => seen.push(i), mapError: (e, i) => ((e.message += ` at ${i}`), e) }),
      )
    );
    assert.ok(e instanceof TaskError, `jobs ${jobs}`);
    assert.deepEqual(e.message, "task 1 failed at 1", `jobs ${jobs}`);
    assert.deepEqual((e as TaskError).n, 1, `data property kept, jobs ${jobs}`);
    assert.deepEqual(seen, [0], `only the results before the failure are delivered, jobs ${jobs}`);
  }
});

Deno.test("runPool stops when onResult throws, with one job and with many", async () => {
  const tasks: TestTask[] = [0, 1, 2, 3, 4].map((n) => ({ n }));
  for (const jobs of [1, 3]) {
    const e = await caught(() =>
      runPool(
        tasks,
        opts(jobs, {
          onResult: (o) => {
            if (o === 4) throw new RangeError("no fours");
          },
        }),
      )
    );
    assert.ok(e instanceof RangeError && e.message === "no fours", `jobs ${jobs}: ${e}`);
  }
});

Deno.test("runPool fails the task of a worker that dies, and does not hang", async () => {
  for (const mode of ["close", "exit", "uncaught", "reject"] as const) {
    const tasks: TestTask[] = [{ n: 0 }, { n: 1, mode }, { n: 2 }, { n: 3 }];
    const e = await caught(() => runPool(tasks, opts(2)));
    assert.ok(e instanceof PoolWorkerError, `${mode}: ${e}`);
    assert.deepEqual((e as PoolWorkerError).index, 1, mode);
    assert.ok(e.message.startsWith("worker for task 1 died: "), `${mode}: ${e.message}`);
  }
});

Deno.test("runPool fails cleanly when the worker module cannot start", async () => {
  for (const bad of ["data:text/javascript,throw new Error('cannot start')"]) {
    const e = await caught(() =>
      runPool([{ n: 1 }, { n: 2 }], opts(2, { worker: new URL(bad, import.meta.url) }))
    );
    assert.ok(e instanceof PoolWorkerError, String(e));
    assert.deepEqual((e as PoolWorkerError).index, 0);
  }
});

Deno.test("serializeError and reviveError keep name, message and data properties", () => {
  const s = serializeError(new TaskError(7));
  assert.deepEqual([s.name, s.message, s.props], ["TaskError", "task 7 failed", { n: 7 }]);
  const plain = reviveError(s);
  assert.ok(!(plain instanceof TaskError) && plain instanceof Error && plain.name === "TaskError");
  const typed = reviveError(s, { TaskError });
  assert.ok(typed instanceof TaskError);
  assert.deepEqual((typed as TaskError).n, 7);
  assert.deepEqual(serializeError("text").message, "text");
});
