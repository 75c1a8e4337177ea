/**
 * The ABI written once: the kernel uAPI values and struct layouts the data
 * path uses are defined in one place, `asm/sim/uapi.ts` (AssemblyScript, next
 * to the code that implements them). This build step generates the other side
 * from it:
 *
 * - `src/uapi.generated.ts`: every `export const` of uapi.ts as a TypeScript
 *   constant of the same name and value, and `UAPI_NAMES` in source order;
 * - `asm/sim/uapi_table.generated.ts`: `uapi_value(i)`, the i-th of those
 *   constants as the compiled module sees it (exported from asm/index.ts), so
 *   a test can prove both sides agree (tests/abi.test.ts).
 *
 * Both outputs are committed. `--check` regenerates in memory and fails when a
 * committed file differs by a byte (run by .ci/run, like release.wasm).
 *
 * Usage: deno run --allow-read --allow-write tools/gen_abi.ts [--check]
 *
 * @module
 */

/** One constant of uapi.ts or abi.ts: its name, AssemblyScript type, value, and the comment above it. */
export interface AbiConst {
  name: string;
  type: string;
  value: number;
  doc: string;
  /** The module that defines it (its file name without .ts), for the generated AssemblyScript imports. */
  module?: string;
}

/** One field of a struct: its name, AssemblyScript type, doc, and where the compiler lays it out. */
export interface AbiField {
  name: string;
  type: string;
  doc: string;
  offset: number;
  size: number;
}

/** One `@unmanaged export class` of abi.ts: a struct passed across the boundary by pointer. */
export interface AbiStruct {
  name: string;
  doc: string;
  fields: AbiField[];
  /** Bytes up to the end of the last field (AssemblyScript's offsetof<T>()). */
  size: number;
}

/** An `index NAME` section of abi.ts: its NAME_* constants as one TypeScript object. */
export interface AbiIndex {
  name: string;
  doc: string;
  snake: boolean;
  /** The section says `(messages)`: its constants' docs are also emitted as NAME_MESSAGES, value → text. */
  messages: boolean;
  consts: AbiConst[];
}

/** What a source file defines. */
export interface AbiSource {
  consts: AbiConst[];
  structs: AbiStruct[];
  indices: AbiIndex[];
}

/** Bytes of each field type a struct may hold (natural alignment: the same). */
export const FIELD_BYTES: Record<string, number> = {
  bool: 1,
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  u64: 8,
  i64: 8,
  f64: 8,
};

/**
 * Parse `file`'s text: `export const NAME: type = expr;` declarations (an
 * expression may span lines and use earlier names), evaluated in order, and
 * `@unmanaged export class name {` structs of `field: type;` lines, laid out
 * in order at natural alignment as the compiler does. Comments directly above
 * a declaration (`//` or `/** … *\/`) become its doc; a section comment
 * (`// errno`) followed by a blank line does not. A section whose comment
 * starts `index NAME` gathers its `NAME_*` constants into an {@link AbiIndex};
 * `index NAME (messages)` also makes their docs the messages `NAME_MESSAGES` maps values to.
 */
export function parseAbi(src: string, file: string): AbiSource {
  const consts: AbiConst[] = [];
  const structs: AbiStruct[] = [];
  const indices: AbiIndex[] = [];
  const env = new Map<string, number>();
  const lines = src.split("\n");
  let doc: string[] = [];
  let section = "";
  let struct: AbiStruct | null = null;
  const where = (i: number) => `${file}:${i + 1}`;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") {
      doc = [];
      continue;
    }
    if (line.startsWith("// @ts-ignore")) continue;
    if (line.startsWith("//")) {
      // A line comment heads a section ("// errno", "// struct io_uring_sqe: field offsets").
      const text = line.replace(/^\/\/\s?/, "");
      const continued = lines[i - 1]?.trim().startsWith("//") && !lines[i - 1].includes("@ts-ignore");
      section = continued ? `${section} ${text}` : text;
      const ix = text.match(/^index (\w+)( \(snake_case keys\))?( \(messages\))?:?\s*(.*)$/);
      if (ix && !continued) {
        indices.push({ name: ix[1], doc: ix[4], snake: !!ix[2], messages: !!ix[3], consts: [] });
      } else if (continued && section.startsWith("index ")) indices[indices.length - 1].doc += ` ${text}`;
      continue;
    }
    if (line.startsWith("/**") || line.startsWith("*")) {
      const t = line.replace(/^\/\*\*\s?|^\*\/?\s?|\s*\*\/$/g, "").trim();
      if (t) doc.push(t);
      continue;
    }
    const cls = line.match(/^@unmanaged export class (\w+) \{$/);
    if (cls) {
      struct = {
        name: cls[1],
        doc: [section, doc.join(" ")].filter(Boolean).join(": "),
        fields: [],
        size: 0,
      };
      doc = [];
      continue;
    }
    if (struct) {
      if (line === "}") {
        if (struct.fields.length === 0) throw new Error(`${where(i)}: struct ${struct.name} has no fields`);
        structs.push(struct);
        struct = null;
        doc = [];
        continue;
      }
      const f = line.match(/^(\w+): (\w+);$/);
      if (!f) throw new Error(`${where(i)}: not a struct field: ${line}`);
      const size = FIELD_BYTES[f[2]];
      if (!size) {
        throw new Error(
          `${where(i)}: ${struct.name}.${f[1]} has type ${f[2]}, not one a struct field may have`,
        );
      }
      const offset = Math.ceil(struct.size / size) * size;
      struct.fields.push({ name: f[1], type: f[2], doc: doc.join(" "), offset, size });
      struct.size = offset + size;
      doc = [];
      continue;
    }
    const m = line.match(/^export const (\w+): (\w+) =\s*(.*)$/);
    if (!m) throw new Error(`${where(i)}: not an exported constant: ${line}`);
    const code = (l: string) => l.replace(/\s*\/\/.*$/, "").trimEnd();
    let expr = code(m[3]);
    while (!expr.endsWith(";")) {
      if (i + 1 >= lines.length) throw new Error(`${where(i)}: ${m[1]} has no closing ";"`);
      expr += " " + code(lines[++i].trim());
    }
    expr = expr.replace(/;$/, "");
    const trailing = lines[i].match(/;\s*\/\/\s*(.*)$/);
    if (trailing) doc.push(trailing[1]);
    const js = expr.replace(/\b[A-Z_][A-Z0-9_]*\b/g, (n) => {
      if (!env.has(n)) throw new Error(`${where(i)}: ${m[1]} uses ${n} before it is defined`);
      return String(env.get(n));
    });
    const ops = js.replace(/\b0[xX][0-9a-fA-F]+\b|\b0[oObB][0-7]+\b|\b\d+\b/g, "");
    if (!/^[\s()|&^~<>+\-*]*$/.test(ops)) {
      throw new Error(`${where(i)}: not a constant expression: ${expr}`);
    }
    const value = Number(new Function(`return (${js});`)());
    env.set(m[1], value);
    const c: AbiConst = {
      name: m[1],
      type: m[2],
      value,
      doc: [section, doc.join(" ")].filter(Boolean).join(": "),
      module: file.replace(/\.ts$/, ""),
    };
    consts.push(c);
    const ix = indices[indices.length - 1];
    if (ix && section.startsWith(`index ${ix.name}`) && c.name.startsWith(`${ix.name}_`)) {
      ix.consts.push({ ...c, doc: doc.join(" ") });
    }
    doc = [];
  }
  if (struct) throw new Error(`${file}: struct ${struct.name} is not closed`);
  return { consts, structs, indices };
}

/** The constants of uapi.ts (it has no structs or index sections: the kernel's layouts are offsets). */
export function parseUapi(src: string): AbiConst[] {
  const { consts, structs } = parseAbi(src, "uapi.ts");
  if (structs.length) throw new Error(`uapi.ts: struct ${structs[0].name}: kernel layouts are offsets there`);
  return consts.map(({ module: _, ...c }) => c);
}

const HEADER =
  "// Generated by tools/gen_abi.ts from asm/sim/uapi.ts: do not edit; run `deno task gen:abi`.\n";

/** The TypeScript side: one constant per uapi.ts constant, and their names in order. */
export function renderTs(consts: AbiConst[]): string {
  let s = "/**\n * Kernel uAPI values and layouts, generated from asm/sim/uapi.ts (the one\n" +
    " * definition): do not edit; run `deno task gen:abi`.\n *\n * @module\n */\n";
  for (const c of consts) {
    s += `/** ${c.doc ? c.doc.replace(/\*\//g, "* /") : `${c.name} (${c.type})`} */\n`;
    s += `export const ${c.name} = ${c.value};\n`;
  }
  s += "/** Every constant above, in asm/sim/uapi.ts order (the index uapi_value takes). */\n";
  s += "export const UAPI_NAMES = [\n";
  for (const c of consts) s += `  "${c.name}",\n`;
  s += "] as const;\n";
  return s;
}

/** The AssemblyScript side: uapi_value(i), the i-th constant as compiled. */
export function renderAs(consts: AbiConst[]): string {
  let s = HEADER + "// The i-th constant of uapi.ts (in its order) as the compiled module sees it,\n" +
    "// so tests/abi.test.ts can compare it with src/uapi.generated.ts.\n\n";
  s += 'import * as u from "./uapi";\n\n';
  s +=
    "/** The value of uapi.ts constant number `i` (src/uapi.generated.ts UAPI_NAMES[i]); NaN past the end. */\n";
  s += "export function uapi_value(i: i32): f64 {\n  switch (i) {\n";
  consts.forEach((c, i) => s += `    case ${i}: return <f64>u.${c.name};\n`);
  s += "  }\n  return NaN;\n}\n";
  return s;
}

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (s: string) => camel(s).replace(/^./, (c) => c.toUpperCase());
const jsdoc = (s: string, indent = "") => `${indent}/** ${s.replace(/\*\//g, "* /")} */\n`;
/** The TypeScript type a struct field of AssemblyScript type `t` takes. */
const tsType = (t: string) => t === "bool" ? "boolean" : t === "u64" || t === "i64" ? "bigint" : "number";

/** An index section's key for constant `name` (its prefix dropped). */
export function indexKey(ix: AbiIndex, name: string): string {
  const rest = name.slice(ix.name.length + 1);
  return ix.snake ? rest.toLowerCase() : camel(rest);
}

/** dmasim's own ABI files in asm/sim/, in the order their constants are numbered. */
export const OWN_ABI_FILES = ["abi.ts", "cost_ids.ts"] as const;

/** Parse each of dmasim's own ABI files (`texts`, in OWN_ABI_FILES order) into one definition. */
export function parseOwnAbi(texts: readonly string[]): AbiSource {
  const parts = texts.map((t, i) => parseAbi(t, OWN_ABI_FILES[i]));
  return {
    consts: parts.flatMap((p) => p.consts),
    structs: parts.flatMap((p) => p.structs),
    indices: parts.flatMap((p) => p.indices),
  };
}

/**
 * The TypeScript side of abi.ts: every constant; each index section as an
 * object of names; each struct as an interface (camelCase fields) and a
 * layout (offset and type of every field) that src/wasm.ts `structArg`
 * writes by.
 */
export function renderAbiTs(src: AbiSource): string {
  let s = "/**\n * dmasim's own binary interface (set-up structs, result indices), generated from\n" +
    " * asm/sim/abi.ts (the one definition): do not edit; run `deno task gen:abi`.\n *\n * @module\n */\n\n";
  s += "/** A struct field's AssemblyScript type. */\n";
  s += `export type FieldType = ${Object.keys(FIELD_BYTES).map((t) => `"${t}"`).join(" | ")};\n`;
  s += "/** One field of a struct as the compiled module lays it out. */\n";
  s += "export interface StructField<T> {\n  /** The TypeScript name. */\n  key: keyof T & string;\n" +
    "  /** The name in asm/sim/abi.ts. */\n  field: string;\n  /** Byte offset. */\n  offset: number;\n" +
    "  /** AssemblyScript type. */\n  type: FieldType;\n}\n";
  s += "/** A struct passed to the module by pointer: its name, size in bytes and fields. */\n";
  s += "export interface StructLayout<T> {\n  /** The class name in asm/sim/abi.ts. */\n  name: string;\n" +
    "  /** Bytes. */\n  size: number;\n  /** In offset order. */\n  fields: readonly StructField<T>[];\n}\n";
  const inIndex = new Set(src.indices.flatMap((ix) => ix.consts.map((c) => c.name)));
  for (const c of src.consts) {
    if (inIndex.has(c.name)) continue;
    s += jsdoc(c.doc || `${c.name} (${c.type})`);
    s += `export const ${c.name} = ${c.value};\n`;
  }
  for (const ix of src.indices) {
    s += jsdoc(ix.doc || `index ${ix.name}`);
    s += `export const ${ix.name} = {\n`;
    for (const c of ix.consts) {
      if (c.doc) s += jsdoc(c.doc, "  ");
      s += `  ${indexKey(ix, c.name)}: ${c.value},\n`;
    }
    s += "} as const;\n";
    if (ix.messages) {
      s += jsdoc(`${ix.name}'s messages by value (each constant's doc in asm/sim/abi.ts).`);
      s += `export const ${ix.name}_MESSAGES: Readonly<Record<number, string>> = {\n`;
      for (const c of ix.consts) {
        if (!c.doc) throw new Error(`asm/sim/abi.ts: ${c.name} is in a (messages) index and has no doc`);
        const entry = `  ${c.value}: ${JSON.stringify(c.doc)},`;
        // As deno fmt lays it out (lineWidth 110): a long message on its own line.
        s += entry.length <= 110 ? `${entry}\n` : `  ${c.value}:\n    ${JSON.stringify(c.doc)},\n`;
      }
      s += "};\n";
    }
  }
  for (const st of src.structs) {
    const I = pascal(st.name);
    s += `\n${jsdoc(st.doc || `struct ${st.name}`)}`;
    s += `export interface ${I} {\n`;
    for (const f of st.fields) {
      if (f.doc) s += jsdoc(f.doc, "  ");
      s += `  ${camel(f.name)}: ${tsType(f.type)};\n`;
    }
    s += "}\n";
    s += `/** Layout of struct ${st.name}. */\n`;
    s +=
      `export const ${st.name.toUpperCase()}: StructLayout<${I}> = {\n  name: "${st.name}",\n  size: ${st.size},\n`;
    s += "  fields: [\n";
    for (const f of st.fields) {
      s += `    { key: "${camel(f.name)}", field: "${f.name}", offset: ${f.offset}, type: "${f.type}" },\n`;
    }
    s += "  ],\n};\n";
  }
  s +=
    "\n/** Every constant of asm/sim/abi.ts, in its order (the index abi_value takes), with its value. */\n";
  s += "export const ABI_VALUES: readonly (readonly [string, number])[] = [";
  s += src.consts.length
    ? `\n${src.consts.map((c) => `  ["${c.name}", ${c.value}],\n`).join("")}];\n`
    : "];\n";
  s += "/** Every index object above, by its name. */\n";
  s += "export const ABI_INDICES: Readonly<Record<string, Readonly<Record<string, number>>>> = {";
  s += src.indices.length ? `\n${src.indices.map((ix) => `  ${ix.name},\n`).join("")}};\n` : "};\n";
  s += "/** Every struct, in asm/sim/abi.ts order (the index abi_struct_* take). */\n";
  s += "// deno-lint-ignore no-explicit-any\n";
  s += "export const ABI_STRUCTS: readonly StructLayout<any>[] = [";
  s += src.structs.length
    ? `\n${src.structs.map((st) => `  ${st.name.toUpperCase()},\n`).join("")}];\n`
    : "];\n";
  return s;
}

/**
 * The compiled module's view of abi.ts, for tests/abi.test.ts: abi_value(i),
 * and per struct its size, each field's offset as the compiler laid it out,
 * and each field read back from a struct at `p`.
 */
export function renderAbiAs(src: AbiSource): string {
  let s = HEADER.replace("uapi.ts", "abi.ts") +
    "// The compiled module's view of abi.ts (constants, struct sizes and offsets as\n" +
    "// the compiler laid them out, fields read back), so tests/abi.test.ts can compare\n" +
    "// it with src/abi.generated.ts.\n\n";
  const names = src.structs.map((st) => st.name);
  s += names.length ? `import { ${names.join(", ")} } from "./abi";\n` : "";
  for (const m of new Set(src.consts.map((c) => c.module))) s += `import * as ${m} from "./${m}";\n`;
  s +=
    "\n/** The value of abi.ts constant number `i` (src/abi.generated.ts ABI_VALUES[i]); NaN past the end. */\n";
  s += "export function abi_value(i: i32): f64 {\n  switch (i) {\n";
  src.consts.forEach((c, i) => s += `    case ${i}: return <f64>${c.module}.${c.name};\n`);
  s += "  }\n  return NaN;\n}\n\n";
  s += "/** Bytes of struct number `s` as compiled (offsetof<T>()); -1 past the end. */\n";
  s += "export function abi_struct_size(s: i32): i32 {\n  switch (s) {\n";
  names.forEach((n, i) => s += `    case ${i}: return <i32>offsetof<${n}>();\n`);
  s += "  }\n  return -1;\n}\n\n";
  s += "/** Offset of field `f` of struct `s` as compiled; -1 past the end. */\n";
  s += "export function abi_struct_offset(s: i32, f: i32): i32 {\n";
  src.structs.forEach((st, i) => {
    s += `  if (s == ${i}) {\n    switch (f) {\n`;
    st.fields.forEach((fl, k) => s += `      case ${k}: return <i32>offsetof<${st.name}>("${fl.name}");\n`);
    s += "    }\n  }\n";
  });
  s += "  return -1;\n}\n\n";
  s += "/** Field `f` of struct `s` at `p`, read as the module reads it, as f64; NaN past the end. */\n";
  s += "export function abi_struct_get(s: i32, f: i32, p: usize): f64 {\n";
  src.structs.forEach((st, i) => {
    s += `  if (s == ${i}) {\n    const c = changetype<${st.name}>(p);\n    switch (f) {\n`;
    st.fields.forEach((fl, k) => {
      const v = fl.type === "bool" ? `c.${fl.name} ? 1 : 0` : `<f64>c.${fl.name}`;
      s += `      case ${k}: return ${v};\n`;
    });
    s += "    }\n  }\n";
  });
  s += "  return NaN;\n}\n";
  return s;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url);
  const consts = parseUapi(await Deno.readTextFile(new URL("asm/sim/uapi.ts", root)));
  const abi = parseOwnAbi(
    await Promise.all(OWN_ABI_FILES.map((f) => Deno.readTextFile(new URL(`asm/sim/${f}`, root)))),
  );
  const outputs: [string, string][] = [
    ["src/uapi.generated.ts", renderTs(consts)],
    ["asm/sim/uapi_table.generated.ts", renderAs(consts)],
    ["src/abi.generated.ts", renderAbiTs(abi)],
    ["asm/sim/abi_table.generated.ts", renderAbiAs(abi)],
  ];
  const check = Deno.args.includes("--check");
  let stale = 0;
  for (const [path, text] of outputs) {
    const url = new URL(path, root);
    if (check) {
      let cur = "";
      try {
        cur = await Deno.readTextFile(url);
      } catch {
        // missing: stale
      }
      if (cur !== text) {
        console.log(
          `${path} differs from what tools/gen_abi.ts generates: run deno task gen:abi and commit it`,
        );
        stale++;
      }
    } else {
      await Deno.writeTextFile(url, text);
    }
  }
  console.log(
    `ABI: ${consts.length} constants from asm/sim/uapi.ts, ${abi.consts.length} constants and ${abi.structs.length} structs from asm/sim/${
      OWN_ABI_FILES.join(", ")
    }${check ? (stale ? "" : ", generated files current") : ", files written"}`,
  );
  if (stale) Deno.exit(1);
}
