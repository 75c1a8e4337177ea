// The safety nets: tests run the debug build (assertions on), an assertion
// and a named invariant fire there with where they broke, and a trap in any
// call from TypeScript reaches the caller as a named error, never a raw
// WebAssembly.RuntimeError.

import assert from "node:assert/strict";
import {
  getSqe,
  MFD_ALLOW_SEALING,
  prepReadFixed,
  ProfileError,
  reapCqes,
  registerBufferDmabuf,
  registerBuffersSparse,
  SimInvariantError,
  SimLimitError,
  submit,
  System,
  unregisterBuffers,
  waitCqeNr,
} from "../mod.ts";
import { openDrive, udmabuf } from "./helpers.ts";
import { instantiateDebug, SIM_INVARIANT_NAMES, w, wasmBuild, wrapExports } from "../src/internal.ts";

/** The error `fn` throws, checked to be an instance of `cls`. */
function thrown<T>(fn: () => unknown, cls: new (...a: never[]) => T): T {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    return e;
  }
  throw new assert.AssertionError({ message: `expected ${cls.name}, nothing was thrown` });
}

Deno.test("the test task runs the debug build (DMASIM_WASM=debug), assertions on", () => {
  // deno task test sets the variable; run by hand without it, this test says so.
  assert.equal(
    Deno.env.get("DMASIM_WASM"),
    "debug",
    "run the suite with `deno task test` (DMASIM_WASM=debug)",
  );
  assert.equal(wasmBuild, "debug");
});

Deno.test("DMASIM_WASM picks the build; without permission to read it, release; a bad value is refused", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  const internal = new URL("../src/internal.ts", import.meta.url).href;
  await Deno.writeTextFile(script, `import { wasmBuild } from "${internal}";\nconsole.log(wasmBuild);\n`);
  const run = async (env: Record<string, string>, flags: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...flags, script],
      env: { ...env, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      ok: out.success,
      out: new TextDecoder().decode(out.stdout).trim(),
      err: new TextDecoder().decode(out.stderr),
    };
  };
  assert.deepEqual(await run({ DMASIM_WASM: "debug" }, ["--allow-env", "--allow-read"]), {
    ok: true,
    out: "debug",
    err: "",
  });
  assert.equal((await run({ DMASIM_WASM: "debug" }, [])).out, "release");
  const bad = await run({ DMASIM_WASM: "fast" }, ["--allow-env", "--allow-read"]);
  assert.equal(bad.ok, false);
  assert.match(bad.err, /DMASIM_WASM must be "debug" or "release", got "fast"/);
  await Deno.remove(script);
});

Deno.test("debug build: a reference-count assertion fires, naming the export, the message, file and line", () => {
  const x = wrapExports(instantiateDebug());
  const e = thrown(() => x.selftest_dmabuf_put(7), SimInvariantError);
  assert.equal(e.where, "selftest_dmabuf_put");
  assert.equal(e.code, 11);
  assert.match(
    e.message,
    /in selftest_dmabuf_put: dmabuf: dma-buf reference count underflow at asm\/dmabuf\/dmabuf\.ts:\d+$/,
  );
  assert.ok(e.cause instanceof WebAssembly.RuntimeError);
  // The record is cleared once read: the next call starts clean.
  assert.equal(x.sim_error_code(), 0);
});

Deno.test("the loop-bound helper fails with the named invariant past its bound, not at it", () => {
  const x = wrapExports(instantiateDebug());
  x.selftest_bound(5, 5);
  const e = thrown(() => x.selftest_bound(6, 5), SimInvariantError);
  assert.equal(e.invariant, 1);
  assert.equal(e.code, 9);
  assert.equal(e.message, `dmasim invariant broken in selftest_bound: ${SIM_INVARIANT_NAMES[1]} (6)`);
  assert.equal(SIM_INVARIANT_NAMES.length, x.sim_invariant_count());
});

Deno.test("a machine too large for the arena is a ProfileError naming the field; past the profile check, a named limit", () => {
  // backing_mib and media_mib are each within their range, but together their
  // pages do not fit the 1 GiB arena (4,136 bytes a page).
  const e = thrown(
    () => new System({ profile: { base: "optane-p5800x", memory: { backing_mib: 1024, media_mib: 256 } } }),
    ProfileError,
  );
  assert.match(
    e.message,
    /memory\.backing_mib: backing_mib \+ media_mib is 1280 MiB; with host_mib 16384 at most \d+ MiB/,
  );
  // The largest that fits is accepted.
  const room = Number(/at most (\d+) MiB/.exec(e.message)![1]);
  assert.ok(room > 800 && room < 1024, `${room}`);
  new System({ profile: { base: "optane-p5800x", memory: { backing_mib: room - 256, media_mib: 256 } } });
  // The Wasm side's own check, reached directly: a named limit, not a RuntimeError from the allocator.
  const l = thrown(() => w.machine_init(1, 16384, 1280 * 256, 0, 0), SimLimitError);
  assert.equal(l.code, 12);
  assert.match(l.message, /^dmasim limit: machine too large/);
  new System(); // a usable machine again
});

Deno.test("a limit trap inside a System method is a SimLimitError naming the export, not a RuntimeError", () => {
  // 2 MiB of backing (1 MiB RAM/VRAM + 1 MiB media): writing 4 MiB into a memfd runs out of it.
  const sys = new System({ profile: { base: "optane-p5800x", memory: { backing_mib: 1, media_mib: 1 } } });
  const mfd = sys.memfdCreate(MFD_ALLOW_SEALING);
  assert.equal(sys.ftruncate(mfd, 4 << 20), 0);
  const e = thrown(() => sys.memfdWrite(mfd, 0, new Uint8Array(4 << 20).fill(1)), SimLimitError);
  assert.equal(e.code, 5);
  assert.equal(e.where, "memfd_pages_rw");
  assert.match(e.message, /^dmasim limit: simulated physical memory backing exhausted/);
});

Deno.test("every exported function of the module in use is guarded", () => {
  const raw = instantiateDebug();
  for (const [name, v] of Object.entries(w)) {
    if (typeof v !== "function") continue;
    // A guarded export is a wrapper, never the module's own function object.
    assert.notEqual(v, (raw as unknown as Record<string, unknown>)[name], name);
    assert.ok(!String(v).includes("[native code]"), `${name} is a raw Wasm export`);
  }
});

Deno.test("a dma-buf token freed by its last map's release is not put twice (the assertion caught it)", () => {
  // Two slots hold tokens on one dma-buf; each read makes a map. Unregistering
  // frees each token from its map's release; the slot release that started it
  // used to put the dma-buf a second time, so it was freed under its open fd.
  const sys = new System();
  const m = openDrive(sys, 64);
  const buf = udmabuf(sys, 64 << 10);
  assert.equal(registerBuffersSparse(m.ring, 2), 0);
  for (const slot of [0, 1]) assert.equal(registerBufferDmabuf(m.ring, slot, buf, m.fd), 1);
  for (const slot of [0, 1]) prepReadFixed(getSqe(m.ring)!, m.fd, 0, 4096, 0, slot);
  assert.equal(submit(m.ring), 2);
  assert.equal(waitCqeNr(m.ring, 2)[0], 0);
  assert.deepEqual(reapCqes(m.ring).map((c) => c.res), [4096, 4096]);
  assert.equal(unregisterBuffers(m.ring), 0);
  assert.deepEqual(sys.dmabufLive(), { maps: 0, tokens: 0 });
  // The fd still holds the buffer: it reads, and its close is the last put.
  assert.equal(sys.dmabufSize(buf), 64 << 10);
  assert.ok(sys.dmabufRead(buf, 0, 4096) instanceof Uint8Array);
  assert.equal(sys.close(buf), 0);
});
