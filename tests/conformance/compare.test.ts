// The comparison's result-based named differences accept only what they name.
import assert from "node:assert/strict";
import {
  compareProgram,
  overlappingConcurrentReads,
  readWriteRace,
  timingDependentDeviceWrites,
} from "./compare.ts";
import type { Program } from "./program.ts";

const sqe = (op: number, len: number) =>
  op.toString(16).padStart(2, "0") + "00".repeat(23) + [0, 8, 16, 24].map((s) =>
    ((len >>> s) & 0xff).toString(16).padStart(2, "0")
  ).join("") + "00".repeat(36);

const prog = (lines: string[]): Program => ({ name: "t", lines });

// Two reads into buffer 0, [0, 4096) and [2048, 6144), submitted by one enter.
const overlapping = prog([
  "S 8 0 0",
  "B 0 65536 1",
  `Q ${sqe(22, 4096)} 0:0 d`,
  `Q ${sqe(22, 4096)} 0:2048 d`,
  "E 2 2 1",
  "D 0 0 65536",
]);

Deno.test("conformance compare: overlapping reads are told by their destinations and their enter", () => {
  assert.ok(overlappingConcurrentReads(overlapping));
  // Apart, or in different enters: no overlap to name.
  assert.ok(!overlappingConcurrentReads(prog(overlapping.lines.map((l) => l.replace("0:2048", "0:4096")))));
  assert.ok(
    !overlappingConcurrentReads(
      prog([...overlapping.lines.slice(0, 3), "E 1 1 1", ...overlapping.lines.slice(3)]),
    ),
  );
  // Through an iovec array: READV with iovecs [1:0 len 512] and a READ over [0, 1024) of buffer 1.
  assert.ok(
    overlappingConcurrentReads(prog([
      "V 0 0 1 1:0/512",
      `Q ${sqe(1, 1)} 0:0 d`,
      `Q ${sqe(22, 1024)} 1:0 d`,
      "E 2 2 1",
    ])),
  );
  // One READV whose two iovecs overlap each other.
  assert.ok(
    overlappingConcurrentReads(prog(["V 1 0 2 0:8192/65536 0:8192/8192", `Q ${sqe(1, 2)} 1:0 d`, "E 1 1 1"])),
  );
  assert.ok(
    !overlappingConcurrentReads(prog(["V 1 0 2 0:0/8192 0:8192/8192", `Q ${sqe(1, 2)} 1:0 d`, "E 1 1 1"])),
  );
});

Deno.test("conformance compare: device completion order and overlapping reads explain only what they name", () => {
  const k = ["P t", "setup 0 8 16", "enter 2", "cqe 1 4096 0", "cqe 2 4096 0", "data aaaa"];
  // Reordered CQEs of one wait: named.
  const reordered = ["P t", "setup 0 8 16", "enter 2", "cqe 2 4096 0", "cqe 1 4096 0", "data aaaa"];
  assert.equal(compareProgram(overlapping, [k], reordered, []).known, "device-completion-order");
  // A different result is not an order: unexplained.
  const wrong = ["P t", "setup 0 8 16", "enter 2", "cqe 2 512 0", "cqe 1 4096 0", "data aaaa"];
  assert.equal(compareProgram(overlapping, [k], wrong, []).known, undefined);
  // Other data after overlapping reads: named; after reads that do not overlap: unexplained.
  const data = ["P t", "setup 0 8 16", "enter 2", "cqe 1 4096 0", "cqe 2 4096 0", "data bbbb"];
  assert.equal(compareProgram(overlapping, [k], data, []).known, "overlapping-read-targets");
  const apart = prog(overlapping.lines.map((l) => l.replace("0:2048", "0:4096")));
  assert.equal(compareProgram(apart, [k], data, []).known, undefined);
  // A NOP program's CQE order is the ring's, never the device's.
  const nops = prog(["S 8 0 0", `Q ${sqe(0, 0)} - -`, `Q ${sqe(0, 0)} - -`, "E 2 2 0"]);
  assert.equal(compareProgram(nops, [k], reordered, []).known, undefined);
});

/** An SQE of `op` at device offset `off`, `len` bytes. */
const sqeAt = (op: number, off: number, len: number) => {
  const h = sqe(op, len);
  const o = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
    (Math.floor(off / 2 ** (8 * i)) & 0xff).toString(16).padStart(2, "0")
  )
    .join("");
  return h.slice(0, 16) + o + h.slice(32);
};

Deno.test("conformance compare: writes whose device bytes depend on timing are told by their ranges", () => {
  const two = (a: string, b: string, e = ["E 2 2 1"]) =>
    prog(["B 0 65536 1", `Q ${a} 0:0 d`, `Q ${b} 0:8192 d`, ...e]);
  // Two writes over the same device bytes, submitted together: timing decides.
  assert.ok(timingDependentDeviceWrites(two(sqeAt(23, 0, 4096), sqeAt(23, 2048, 4096))));
  // Apart on the device, or one after the other: deterministic.
  assert.ok(!timingDependentDeviceWrites(two(sqeAt(23, 0, 4096), sqeAt(23, 4096, 4096))));
  assert.ok(
    !timingDependentDeviceWrites(
      prog([
        "B 0 65536 1",
        `Q ${sqeAt(23, 0, 4096)} 0:0 d`,
        "E 1 1 1",
        `Q ${sqeAt(23, 0, 4096)} 0:8192 d`,
        "E 1 1 1",
      ]),
    ),
  );
  // A write from memory a concurrent read fills.
  assert.ok(
    timingDependentDeviceWrites(
      prog(["B 0 65536 1", `Q ${sqeAt(22, 8192, 4096)} 0:0 d`, `Q ${sqeAt(23, 0, 4096)} 0:0 d`, "E 2 2 1"]),
    ),
  );
  // A read of device bytes a concurrent write changes.
  assert.ok(readWriteRace(two(sqeAt(22, 0, 4096), sqeAt(23, 0, 4096))));
  assert.ok(!readWriteRace(two(sqeAt(22, 0, 4096), sqeAt(23, 4096, 4096))));
});
