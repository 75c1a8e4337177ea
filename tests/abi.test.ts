// The ABI written once: asm/sim/uapi.ts defines the uAPI values and layouts;
// tools/gen_abi.ts generates the TypeScript side. Both sides agree: every
// generated constant equals the value the compiled module holds, the
// committed files are what the generator writes, and the hand-written
// constants of src/constants.ts that share a name agree too.

import assert from "node:assert/strict";
import * as gen from "../src/uapi.generated.ts";
import * as constants from "../src/constants.ts";
import { w } from "../src/internal.ts";
import { parseUapi, renderAs, renderTs } from "../tools/gen_abi.ts";

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
