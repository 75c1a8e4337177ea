// The event queue's order: earliest time first and, at equal times, the
// order events were scheduled in, however many events came before (the
// sequence number that breaks ties is renumbered, never wrapped).
import assert from "node:assert/strict";
import { System } from "../src/system.ts";
import { SimLimitError, w } from "../src/internal.ts";
import { runUring } from "../src/workload.ts";

/** Event kind the tests push (never dispatched: the test pops its events itself). */
const KIND = 3;

Deno.test("engine_pop_arg returns events by time, then by push order", () => {
  new System();
  w.engine_push(500, KIND, 1);
  w.engine_push(100, KIND, 2);
  w.engine_push(500, KIND, 3);
  w.engine_push(100, KIND, 4);
  assert.deepEqual([1, 2, 3, 4].map(() => w.engine_pop_arg()), [2, 4, 1, 3]);
});

Deno.test("engine_pop_arg keeps push order at equal times across 2^20 pushes (the sequence number's width)", () => {
  new System();
  // 1000 events first, so the one kept pending has a sequence number of about 1000.
  for (let i = 0; i < 1000; i++) {
    w.engine_push(1, KIND, 0);
    w.engine_pop_arg();
  }
  w.engine_push(1_000, KIND, 7); // pending through everything below
  // Enough pushes to take the sequence number just past 2^20: a number
  // wrapping there would give the next event at t = 1000 about 500, smaller
  // than the pending event's, and run it first.
  for (let i = 0; i < (1 << 20) - 500; i++) {
    w.engine_push(2, KIND, 0);
    assert.equal(w.engine_pop_arg(), 0);
  }
  w.engine_push(1_000, KIND, 8);
  w.engine_push(999, KIND, 6);
  assert.deepEqual([w.engine_pop_arg(), w.engine_pop_arg(), w.engine_pop_arg()], [6, 7, 8]);
});

Deno.test("engine_pop_arg keeps the order of many pending events through a renumbering", () => {
  new System();
  // 3000 events pending at 300 distinct times, ten per time, pushed in a scrambled time order.
  const expect: number[] = [];
  for (let k = 0; k < 3000; k++) {
    const t = 1_000 + ((k * 7919) % 300);
    w.engine_push(t, KIND, k);
    expect.push(k);
  }
  expect.sort((a, b) => ((a * 7919) % 300) - ((b * 7919) % 300) || a - b);
  // Push and pop earlier events past 2^20 pushes while those stay pending.
  for (let i = 0; i < (1 << 20); i++) {
    w.engine_push(10, KIND, 999_999);
    assert.equal(w.engine_pop_arg(), 999_999);
  }
  assert.deepEqual(expect.map(() => w.engine_pop_arg()), expect);
});

Deno.test("an event past the engine's clock is a named limit, and a job cannot ask for that much runtime", () => {
  new System();
  let e: unknown;
  try {
    w.engine_push(2 ** 44, KIND, 1);
  } catch (x) {
    e = x;
  }
  assert.ok(e instanceof SimLimitError, `${e}`);
  assert.equal(e.code, 13);
  assert.match(e.message, /simulated time past the engine's clock/);
  assert.throws(
    () => runUring({ bs: 4096, depth: 1, submitBatch: 1, completeBatch: 1, runtimeNs: 5 * 3_600e9 }),
    /runtimeNs: at most 14400000000000 ns \(4 hours/,
  );
});
