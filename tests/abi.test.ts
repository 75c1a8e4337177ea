// The ABI written once: asm/sim/uapi.ts defines the uAPI values and layouts,
// asm/sim/abi.ts dmasim's own set-up structs and result indices;
// tools/gen_abi.ts generates the TypeScript side. Both sides agree: every
// generated constant equals the value the compiled module holds, every
// set-up struct's fields sit where the compiler laid them out and read back
// in the module as written, the committed files are what the generator
// writes, and the hand-written constants of src/constants.ts that share a
// name agree too.

import assert from "node:assert/strict";
import * as gen from "../src/uapi.generated.ts";
import * as constants from "../src/constants.ts";
import * as abi from "../src/abi.generated.ts";
import {
  instantiateDebug,
  SIM_ERROR_NAMES,
  SIM_INVARIANT_NAMES,
  SimInvariantError,
  SimLimitError,
  structArg,
  w,
  type WasmExports,
  wrapExports,
} from "../src/internal.ts";
import { System } from "../src/system.ts";
import {
  OWN_ABI_FILES,
  parseAbi,
  parseOwnAbi,
  parseUapi,
  renderAbiAs,
  renderAbiTs,
  renderAs,
  renderTs,
} from "../tools/gen_abi.ts";
import { COST_NAMES } from "../src/profile.ts";
import { LAYER_NAMES } from "../src/workload.ts";
import { DMABUF_COUNTERS, IOMMU_COUNTERS } from "../src/system.ts";

Deno.test("every generated uAPI constant equals the compiled module's value", () => {
  gen.UAPI_NAMES.forEach((name, i) => assert.equal(gen[name], w.uapi_value(i), name));
  assert.ok(Number.isNaN(w.uapi_value(gen.UAPI_NAMES.length)), "the module has no constant past the list");
  // A layout the TypeScript side relies on: the CQ ring starts after the SQ/CQ head and tail lines.
  assert.equal(gen.RO_CQES, 320);
  assert.equal(gen.SQE_SIZE, 64);
});

Deno.test("the committed generated files are what tools/gen_abi.ts writes from asm/sim/uapi.ts", async () => {
  const root = new URL("..", import.meta.url);
  const consts = parseUapi(await Deno.readTextFile(new URL("asm/sim/uapi.ts", root)));
  assert.equal(await Deno.readTextFile(new URL("src/uapi.generated.ts", root)), renderTs(consts));
  assert.equal(await Deno.readTextFile(new URL("asm/sim/uapi_table.generated.ts", root)), renderAs(consts));
  const own = parseOwnAbi(
    await Promise.all(OWN_ABI_FILES.map((f) => Deno.readTextFile(new URL(`asm/sim/${f}`, root)))),
  );
  assert.equal(await Deno.readTextFile(new URL("src/abi.generated.ts", root)), renderAbiTs(own));
  assert.equal(await Deno.readTextFile(new URL("asm/sim/abi_table.generated.ts", root)), renderAbiAs(own));
});

Deno.test("every constant of asm/sim/abi.ts equals the compiled module's value", () => {
  abi.ABI_VALUES.forEach(([name, value], i) => assert.equal(w.abi_value(i), value, name));
  assert.ok(Number.isNaN(w.abi_value(abi.ABI_VALUES.length)), "the module has no constant past the list");
});

Deno.test("every set-up struct: each field sits where the compiler laid it out, and the struct is as long", () => {
  assert.ok(abi.ABI_STRUCTS.length >= 6, `${abi.ABI_STRUCTS.length} structs`);
  abi.ABI_STRUCTS.forEach((st, s) => {
    assert.equal(w.abi_struct_size(s), st.size, `sizeof ${st.name}`);
    st.fields.forEach((f, k) => assert.equal(w.abi_struct_offset(s, k), f.offset, `${st.name}.${f.field}`));
    assert.equal(w.abi_struct_offset(s, st.fields.length), -1, `${st.name} has no field past the list`);
  });
  assert.equal(w.abi_struct_size(abi.ABI_STRUCTS.length), -1, "no struct past the list");
});

/** A value for field `k` of type `t` that a read of another width, signedness or kind would not give back. */
function probe(t: abi.FieldType, k: number): number | bigint | boolean {
  switch (t) {
    case "bool":
      return k % 2 === 0;
    case "u8":
      return 0x81 + k;
    case "i8":
      return -100 + k;
    case "u16":
      return 0x8102 + k;
    case "i16":
      return -30000 + k;
    case "u32":
      return 0x81020304 + k;
    case "i32":
      return -0x1020304 - k;
    case "f32":
      return 1.5 + k;
    case "u64":
    case "i64":
      return (1n << 52n) + 0x01020304n + BigInt(k);
    case "f64":
      return 1e15 + 0.5 + k * 1000;
  }
}

Deno.test("every set-up struct written by structArg reads back in the module field by field (size and type)", () => {
  new System();
  abi.ABI_STRUCTS.forEach((st, s) => {
    const values = Object.fromEntries(st.fields.map((f, k) => [f.key, probe(f.type, k)]));
    const ptr = structArg(st, values);
    st.fields.forEach((f, k) => {
      const v = values[f.key];
      const want = typeof v === "boolean" ? (v ? 1 : 0) : Number(v);
      assert.equal(w.abi_struct_get(s, k, ptr), want, `${st.name}.${f.field} (${f.type})`);
    });
  });
});

Deno.test("structArg refuses a value of the wrong type and names the field", () => {
  new System();
  const bad = {
    ...Object.fromEntries(abi.WL_CONFIG.fields.map((f) => [f.key, 0])),
    fixedFiles: true,
    random: 1,
  };
  assert.throws(
    () => structArg(abi.WL_CONFIG, bad as unknown as abi.WlConfig),
    /wl_config\.random: boolean expected, got number/,
  );
});

Deno.test("an export given a set-up struct of another size fails the named invariant and names the export", () => {
  const x: WasmExports = wrapExports(instantiateDebug());
  x.machine_init(1, 64, 256, 0, 0);
  const p = x.scratch_ptr();
  const calls: [string, () => void][] = [
    ["storage_init", () => x.storage_init(p, abi.STORAGE_CONFIG.size - 4)],
    ["nvme_ctrl_setup", () => x.nvme_ctrl_setup(0, p, abi.NVME_CTRL_CONFIG.size + 8)],
    ["wl_setup", () => x.wl_setup(p, 0)],
    ["wl_thread_job", () => x.wl_thread_job(0, p, 1)],
    ["wl_thread_pace", () => x.wl_thread_pace(0, p, abi.WL_OFFSETS_CONFIG.size)],
    ["wl_thread_offsets", () => x.wl_thread_offsets(0, p, abi.WL_PACE_CONFIG.size)],
  ];
  for (const [name, call] of calls) {
    let err: unknown;
    try {
      call();
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof SimInvariantError, `${name} threw ${err}`);
    assert.equal(err.where, name);
    assert.match(SIM_INVARIANT_NAMES[err.invariant], /set-up struct of another size/, name);
  }
});

Deno.test("the generator lays struct fields out at natural alignment and refuses what it cannot lay out", () => {
  const src = [
    "// struct s: a test",
    "// @ts-ignore: decorator",
    "@unmanaged export class s {",
    "  /** One byte. */",
    "  a: u8;",
    "  b: u64;",
    "  c: u16;",
    "}",
    "// index IX: an index",
    "/** First. */",
    "export const IX_FIRST_NS: i32 = 0;",
    "export const IX_SECOND: i32 = IX_FIRST_NS + 1;",
  ].join("\n");
  const got = parseAbi(src, "t.ts");
  assert.deepEqual(got.structs[0].fields.map((f) => [f.name, f.offset, f.size]), [["a", 0, 1], ["b", 8, 8], [
    "c",
    16,
    2,
  ]]);
  assert.equal(got.structs[0].size, 18);
  assert.equal(got.structs[0].fields[0].doc, "One byte.");
  assert.deepEqual(got.indices.map((ix) => [ix.name, ix.consts.map((c) => [c.name, c.value])]), [[
    "IX",
    [["IX_FIRST_NS", 0], ["IX_SECOND", 1]],
  ]]);
  assert.match(
    renderAbiTs(got),
    /export const IX = \{\n {2}\/\*\* First\. \*\/\n {2}firstNs: 0,\n {2}second: 1,\n\}/,
  );
  assert.throws(
    () => parseAbi("@unmanaged export class s {\n  a: string;\n}", "t.ts"),
    /t\.ts:2: s\.a has type string/,
  );
  assert.throws(
    () => parseAbi("@unmanaged export class s {\n  a: u32\n}", "t.ts"),
    /t\.ts:2: not a struct field/,
  );
  assert.throws(() => parseAbi("@unmanaged export class s {\n  a: u32;", "t.ts"), /struct s is not closed/);
});

Deno.test("src/constants.ts agrees with the ABI on every name both define", () => {
  const shared = Object.keys(constants).filter((k) => k in gen && k !== "UAPI_NAMES");
  assert.ok(shared.length >= 30, `only ${shared.length} shared names`);
  for (const k of shared) {
    assert.equal((constants as Record<string, unknown>)[k], (gen as Record<string, unknown>)[k], k);
  }
});

Deno.test("the generator refuses what it cannot evaluate, and names the line", () => {
  assert.throws(() => parseUapi("export const A: u32 = B + 1;"), /uapi\.ts:1: A uses B before it is defined/);
  assert.throws(() => parseUapi("export const A: u32 = f(1);"), /uapi\.ts:1: not a constant expression/);
  assert.deepEqual(
    parseUapi("// flags\nexport const A: u32 = 1 << 3; // bit 3\nexport const B: u32 =\n  A | 1;"),
    [
      { name: "A", type: "u32", value: 8, doc: "flags: bit 3" },
      { name: "B", type: "u32", value: 9, doc: "flags" },
    ],
  );
});

/**
 * The layouts and values the system's own C headers define (linux-libc-dev's
 * <linux/io_uring.h>, errno, fcntl, memfd, fs): each as a C expression. The
 * v3 dma-buf series' regbuf descriptor and the NVMe command are not in them.
 */
const C_FACTS: [keyof typeof gen, string][] = [
  ["SQE_SIZE", "sizeof(struct io_uring_sqe)"],
  ["SQE_OPCODE", "offsetof(struct io_uring_sqe, opcode)"],
  ["SQE_FLAGS", "offsetof(struct io_uring_sqe, flags)"],
  ["SQE_IOPRIO", "offsetof(struct io_uring_sqe, ioprio)"],
  ["SQE_FD", "offsetof(struct io_uring_sqe, fd)"],
  ["SQE_OFF", "offsetof(struct io_uring_sqe, off)"],
  ["SQE_ADDR", "offsetof(struct io_uring_sqe, addr)"],
  ["SQE_LEN", "offsetof(struct io_uring_sqe, len)"],
  ["SQE_RW_FLAGS", "offsetof(struct io_uring_sqe, rw_flags)"],
  ["SQE_USER_DATA", "offsetof(struct io_uring_sqe, user_data)"],
  ["SQE_BUF_INDEX", "offsetof(struct io_uring_sqe, buf_index)"],
  ["SQE_PERSONALITY", "offsetof(struct io_uring_sqe, personality)"],
  ["SQE_FILE_INDEX", "offsetof(struct io_uring_sqe, file_index)"],
  ["SQE_ADDR3", "offsetof(struct io_uring_sqe, addr3)"],
  ["SQE_PAD2", "offsetof(struct io_uring_sqe, __pad2)"],
  ["CQE_SIZE", "sizeof(struct io_uring_cqe)"],
  ["CQE_USER_DATA", "offsetof(struct io_uring_cqe, user_data)"],
  ["CQE_RES", "offsetof(struct io_uring_cqe, res)"],
  ["CQE_FLAGS", "offsetof(struct io_uring_cqe, flags)"],
  ["RSRC_UPDATE2_SIZE", "sizeof(struct io_uring_rsrc_update2)"],
  ["RSRC_UPDATE2_OFFSET", "offsetof(struct io_uring_rsrc_update2, offset)"],
  ["RSRC_UPDATE2_FLAGS", "offsetof(struct io_uring_rsrc_update2, resv)"],
  ["RSRC_UPDATE2_DATA", "offsetof(struct io_uring_rsrc_update2, data)"],
  ["RSRC_UPDATE2_TAGS", "offsetof(struct io_uring_rsrc_update2, tags)"],
  ["RSRC_UPDATE2_NR", "offsetof(struct io_uring_rsrc_update2, nr)"],
  ["RSRC_UPDATE2_RESV2", "offsetof(struct io_uring_rsrc_update2, resv2)"],
  ["IOVEC_SIZE", "sizeof(struct iovec)"],
  ["IOVEC_BASE", "offsetof(struct iovec, iov_base)"],
  ["IOVEC_LEN", "offsetof(struct iovec, iov_len)"],
  ["IORING_OP_NOP", "IORING_OP_NOP"],
  ["IORING_OP_READV", "IORING_OP_READV"],
  ["IORING_OP_WRITEV", "IORING_OP_WRITEV"],
  ["IORING_OP_READ_FIXED", "IORING_OP_READ_FIXED"],
  ["IORING_OP_WRITE_FIXED", "IORING_OP_WRITE_FIXED"],
  ["IORING_OP_READ", "IORING_OP_READ"],
  ["IORING_OP_WRITE", "IORING_OP_WRITE"],
  ["IOSQE_FIXED_FILE", "IOSQE_FIXED_FILE"],
  ["IOSQE_IO_DRAIN", "IOSQE_IO_DRAIN"],
  ["IOSQE_IO_LINK", "IOSQE_IO_LINK"],
  ["IOSQE_IO_HARDLINK", "IOSQE_IO_HARDLINK"],
  ["IOSQE_ASYNC", "IOSQE_ASYNC"],
  ["IOSQE_BUFFER_SELECT", "IOSQE_BUFFER_SELECT"],
  ["IOSQE_CQE_SKIP_SUCCESS", "IOSQE_CQE_SKIP_SUCCESS"],
  ["IORING_SETUP_IOPOLL", "IORING_SETUP_IOPOLL"],
  ["IORING_SETUP_SQPOLL", "IORING_SETUP_SQPOLL"],
  ["IORING_SETUP_CQSIZE", "IORING_SETUP_CQSIZE"],
  ["IORING_SETUP_CLAMP", "IORING_SETUP_CLAMP"],
  ["IORING_SETUP_SUBMIT_ALL", "IORING_SETUP_SUBMIT_ALL"],
  ["IORING_SETUP_COOP_TASKRUN", "IORING_SETUP_COOP_TASKRUN"],
  ["IORING_SETUP_TASKRUN_FLAG", "IORING_SETUP_TASKRUN_FLAG"],
  ["IORING_SETUP_SQE128", "IORING_SETUP_SQE128"],
  ["IORING_SETUP_CQE32", "IORING_SETUP_CQE32"],
  ["IORING_SETUP_SINGLE_ISSUER", "IORING_SETUP_SINGLE_ISSUER"],
  ["IORING_SETUP_DEFER_TASKRUN", "IORING_SETUP_DEFER_TASKRUN"],
  ["IORING_SQ_NEED_WAKEUP", "IORING_SQ_NEED_WAKEUP"],
  ["IORING_SQ_CQ_OVERFLOW", "IORING_SQ_CQ_OVERFLOW"],
  ["IORING_SQ_TASKRUN", "IORING_SQ_TASKRUN"],
  ["IORING_ENTER_GETEVENTS", "IORING_ENTER_GETEVENTS"],
  ["IORING_REGISTER_BUFFERS", "IORING_REGISTER_BUFFERS"],
  ["IORING_UNREGISTER_BUFFERS", "IORING_UNREGISTER_BUFFERS"],
  ["IORING_REGISTER_FILES", "IORING_REGISTER_FILES"],
  ["IORING_UNREGISTER_FILES", "IORING_UNREGISTER_FILES"],
  ["IORING_REGISTER_BUFFERS2", "IORING_REGISTER_BUFFERS2"],
  ["IORING_REGISTER_BUFFERS_UPDATE", "IORING_REGISTER_BUFFERS_UPDATE"],
  ["IORING_RSRC_REGISTER_SPARSE", "IORING_RSRC_REGISTER_SPARSE"],
  ["EPERM", "EPERM"],
  ["ENOENT", "ENOENT"],
  ["EIO", "EIO"],
  ["ENXIO", "ENXIO"],
  ["EBADF", "EBADF"],
  ["EAGAIN", "EAGAIN"],
  ["ENOMEM", "ENOMEM"],
  ["EFAULT", "EFAULT"],
  ["EBUSY", "EBUSY"],
  ["ENODEV", "ENODEV"],
  ["EINVAL", "EINVAL"],
  ["EMFILE", "EMFILE"],
  ["EFBIG", "EFBIG"],
  ["ENOSPC", "ENOSPC"],
  ["EDEADLK", "EDEADLK"],
  ["ENODATA", "ENODATA"],
  ["EOVERFLOW", "EOVERFLOW"],
  ["EOPNOTSUPP", "EOPNOTSUPP"],
  ["ECANCELED", "ECANCELED"],
  ["O_RDONLY", "O_RDONLY"],
  ["O_WRONLY", "O_WRONLY"],
  ["O_RDWR", "O_RDWR"],
  ["O_ACCMODE", "O_ACCMODE"],
  ["O_DIRECT", "O_DIRECT"],
  ["MFD_CLOEXEC", "MFD_CLOEXEC"],
  ["MFD_ALLOW_SEALING", "MFD_ALLOW_SEALING"],
  ["F_SEAL_SEAL", "F_SEAL_SEAL"],
  ["F_SEAL_SHRINK", "F_SEAL_SHRINK"],
  ["F_SEAL_GROW", "F_SEAL_GROW"],
  ["F_SEAL_WRITE", "F_SEAL_WRITE"],
  ["RWF_NOWAIT", "RWF_NOWAIT"],
];

Deno.test("the ABI agrees with the system's C headers on every layout and value they define", async () => {
  const required = Deno.env.get("DMASIM_CONFORM_REQUIRE") === "1";
  const dir = await Deno.makeTempDir({ prefix: "dmasim-abi-" });
  try {
    const src = [
      "#define _GNU_SOURCE",
      "#include <stdio.h>",
      "#include <stddef.h>",
      "#include <errno.h>",
      "#include <fcntl.h>",
      "#include <sys/mman.h>",
      "#include <sys/uio.h>",
      "#include <linux/fs.h>",
      "#include <linux/io_uring.h>",
      "int main(void) {",
      ...C_FACTS.map(([name, expr]) => `  printf("${name} %lld\\n", (long long)(${expr}));`),
      "  return 0;",
      "}",
    ].join("\n");
    await Deno.writeTextFile(`${dir}/abi.c`, src);
    let cc: Deno.CommandOutput;
    try {
      cc = await new Deno.Command("gcc", { args: ["-o", `${dir}/abi`, `${dir}/abi.c`], stderr: "piped" })
        .output();
    } catch (e) {
      console.error(`\n*** ABI header check skipped: no C compiler (${e}) ***\n`);
      assert.ok(!required, "skipped: no C compiler");
      return;
    }
    if (!cc.success) {
      const err = new TextDecoder().decode(cc.stderr);
      console.error(`\n*** ABI header check skipped: the headers do not compile:\n${err} ***\n`);
      assert.ok(!required, `skipped: ${err.split("\n")[0]}`);
      return;
    }
    const out = await new Deno.Command(`${dir}/abi`, { stdout: "piped" }).output();
    const got = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => l.split(" "));
    assert.equal(got.length, C_FACTS.length);
    for (const [name, value] of got) assert.equal(gen[name as keyof typeof gen], Number(value), name);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("strerror names every errno of the ABI, negative or positive, and falls back to E<n>", () => {
  const errnos = gen.UAPI_NAMES.filter((n) => /^E[A-Z]+$/.test(n));
  assert.ok(errnos.length >= 19, `${errnos.length} errnos`);
  for (const n of errnos) {
    assert.equal(constants.strerror(-gen[n]), n);
    assert.equal(constants.strerror(gen[n]), n);
  }
  assert.equal(constants.strerror(-14), "EFAULT");
  assert.equal(constants.strerror(-4095), "E4095");
});

Deno.test("every profile cost has an id in asm/sim/cost_ids.ts and each reaches its own id, whatever the order", () => {
  assert.deepEqual(
    [...COST_NAMES].sort(),
    Object.keys(abi.COST).sort(),
    "the profile's costs and the ids name the same",
  );
  assert.equal(Object.keys(abi.COST).length, abi.COST_COUNT);
  const costs = Object.fromEntries(COST_NAMES.map((n, i) => [n, 1000 + i]));
  new System({ profile: { base: "optane-p5800x", costs_ns: costs } });
  for (const n of COST_NAMES) assert.equal(w.cost_get(abi.COST[n as keyof typeof abi.COST]), costs[n], n);
});

Deno.test("result indices: each index object holds its asm names' values, and a reader's names never share an index", () => {
  const values = new Map(abi.ABI_VALUES);
  assert.ok(Object.keys(abi.ABI_INDICES).length >= 20, "every reader's index");
  for (const [name, ix] of Object.entries(abi.ABI_INDICES)) {
    const seen = new Map<number, string>();
    for (const [k, v] of Object.entries(ix)) {
      const asm = [...values.keys()].filter((n) => n.startsWith(`${name}_`) && values.get(n) === v);
      assert.ok(asm.length > 0, `${name}.${k} = ${v} is the value of an asm constant ${name}_*`);
      // Sizes (words, buckets) sit beside the indices they bound; indices themselves are distinct.
      if (/(words|buckets)$/i.test(k)) continue;
      assert.ok(!seen.has(v), `${name}.${k} and ${name}.${seen.get(v)} share index ${v}`);
      seen.set(v, k);
    }
  }
  assert.deepEqual(LAYER_NAMES, Object.keys(abi.CPU_LAYER), "a result's CPU layers in index order");
  assert.deepEqual(IOMMU_COUNTERS, Object.keys(abi.IOMMU_COUNTER));
  assert.deepEqual(DMABUF_COUNTERS, Object.keys(abi.DMABUF_COUNTER));
});

Deno.test("named errors and invariants: every code of asm/sim/abi.ts has its message, and errors print it", () => {
  for (const [key, code] of Object.entries(abi.SIM_ERR)) {
    assert.ok(abi.SIM_ERR_MESSAGES[code]?.length > 0, `SIM_ERR.${key} has a message`);
    assert.equal(SIM_ERROR_NAMES[code], abi.SIM_ERR_MESSAGES[code]);
  }
  assert.equal(
    Object.keys(abi.SIM_ERR_MESSAGES).length,
    Object.keys(abi.SIM_ERR).length,
    "one message per code",
  );
  // The module's count of invariants is the generated one, and every number below it has its message.
  assert.equal(w.sim_invariant_count(), abi.INV_COUNT);
  assert.equal(SIM_INVARIANT_NAMES.length, abi.INV_COUNT);
  for (let i = 0; i < abi.INV_COUNT; i++) {
    assert.ok(SIM_INVARIANT_NAMES[i]?.length > 0, `invariant ${i} has a message`);
  }
  assert.equal(
    new SimLimitError(abi.SIM_ERR.clock, 7).message,
    `dmasim limit: ${abi.SIM_ERR_MESSAGES[13]} (7)`,
  );
});
