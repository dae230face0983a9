// A compact yes/no validator for the plan schema, as JavaScript source (used by gen-plan-artifacts.js).
//
// Why: ajv's generated validator reports every error and is ~330 KB of code; V8 compiles it on first use
// (~30 ms) and, with allErrors, each anyOf branch that fails allocates error objects. Compiling and
// validating dominated `vpae check` and sweeps. This validator only answers valid/invalid, in ~45 KB of
// plain functions that V8 compiles quickly; validatePlan (compiler/plan/validate.ts) asks ajv's
// validator for the errors when the answer is no.
//
// It accepts exactly what ajv (draft-07, strict: false, default options) accepts, for the keywords the
// plan schema uses; any other keyword stops the build, so the schema cannot outgrow it unnoticed. Each
// check mirrors the code ajv generates for the keyword (e.g. an integer is a number with no fraction
// that is not NaN, so Infinity passes, as with ajv).
//
// One shortcut: an anyOf whose branches are objects told apart by a required `kind` constant (a tagged
// union) jumps to the one branch whose tag matches. Only that branch can match, so the answer is the same.

const ANNOTATIONS = new Set(["$schema", "$id", "$defs", "title", "description"]);
const KNOWN = new Set([
  ...ANNOTATIONS,
  "type", "const", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
  "minItems", "maxItems", "items", "additionalItems", "properties", "required", "additionalProperties",
  "patternProperties", "anyOf", "$ref",
]);

// ajv's test for `type: "integer"`.
const IS_INTEGER = `function isInteger(x) {
  return typeof x == "number" && !(x % 1) && !isNaN(x);
}`;

// ajv's runtime helper (ajv/dist/runtime/ucs2length.js): minLength counts Unicode code points.
const UCS2LENGTH = `function ucs2length(str) {
  const len = str.length;
  let length = 0;
  let pos = 0;
  let value;
  while (pos < len) {
    length++;
    value = str.charCodeAt(pos++);
    if (value >= 0xd800 && value <= 0xdbff && pos < len) {
      value = str.charCodeAt(pos);
      if ((value & 0xfc00) === 0xdc00) pos++;
    }
  }
  return length;
}`;

/** Source of an ES module whose default export is `(value) => boolean`. */
export function compactValidatorCode(root) {
  const functions = []; // source of every generated function, in creation order
  const constants = []; // Sets of property names, regular expressions
  const refs = new Map(); // "#/$defs/X" -> function name
  let count = 0;
  let usesUcs2 = false;
  const name = (prefix) => `${prefix}${count++}`;
  // Equal subschemas (the base distributions, the sampler of teacher and student, ...) share one function.
  const memo = new Map();
  const once = (what, schema, make) => {
    const key = `${what} ${JSON.stringify(schema)}`;
    if (!memo.has(key)) memo.set(key, make());
    return memo.get(key);
  };
  const lit = (v) => JSON.stringify(v);

  function resolve(ref) {
    const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
    const target = m && root.$defs?.[m[1]];
    if (!target) throw new Error(`compact validator: cannot resolve $ref ${ref}`);
    return target;
  }

  function check(schema) {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw new Error(`compact validator: unexpected schema ${lit(schema)}`);
    for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`compact validator: keyword '${k}' is not supported; teach scripts/compact-validator.js (and compare with ajv) first`);
  }

  /** A boolean expression that tests the value in the variable `x` (a plain identifier). */
  function expr(schema, x) {
    check(schema);
    if (schema.$ref !== undefined) {
      if (Object.keys(schema).some((k) => k !== "$ref" && !ANNOTATIONS.has(k))) throw new Error("compact validator: $ref beside other keywords");
      if (!refs.has(schema.$ref)) {
        const fn = name("ref");
        refs.set(schema.$ref, fn);
        functions.push(`function ${fn}(x) {\n  return ${expr(resolve(schema.$ref), "x")};\n}`);
      }
      return `${refs.get(schema.$ref)}(${x})`;
    }
    const parts = [];
    if (schema.anyOf !== undefined) parts.push(`${once("anyOf", schema.anyOf, () => anyOf(schema.anyOf))}(${x})`);
    switch (schema.type) {
      case undefined:
        if (hasAny(schema, ["properties", "required", "additionalProperties", "patternProperties", "items", "minItems", "maxItems", "minLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"])) {
          throw new Error("compact validator: type-specific keywords need a `type`");
        }
        break;
      case "object":
        parts.push(`${once("object", schema, () => object(schema))}(${x})`);
        break;
      case "array":
        parts.push(`${once("array", schema, () => array(schema))}(${x})`);
        break;
      case "string":
        parts.push(`typeof ${x} == "string"`);
        if (schema.minLength !== undefined) {
          usesUcs2 = true;
          parts.push(`ucs2length(${x}) >= ${lit(schema.minLength)}`);
        }
        break;
      case "number":
      case "integer":
        parts.push(schema.type === "number" ? `typeof ${x} == "number"` : `isInteger(${x})`);
        // ajv fails `x < min || isNaN(x)`; for a number that is `!(x >= min)`.
        if (schema.minimum !== undefined) parts.push(`${x} >= ${lit(schema.minimum)}`);
        if (schema.maximum !== undefined) parts.push(`${x} <= ${lit(schema.maximum)}`);
        if (schema.exclusiveMinimum !== undefined) parts.push(`${x} > ${lit(schema.exclusiveMinimum)}`);
        if (schema.exclusiveMaximum !== undefined) parts.push(`${x} < ${lit(schema.exclusiveMaximum)}`);
        break;
      case "boolean":
        parts.push(`typeof ${x} == "boolean"`);
        break;
      case "null":
        parts.push(`${x} === null`);
        break;
      default:
        throw new Error(`compact validator: type ${lit(schema.type)} is not supported`);
    }
    if (schema.const !== undefined) {
      if (schema.const === null || typeof schema.const === "object") throw new Error("compact validator: only scalar consts are supported");
      parts.push(`${x} === ${lit(schema.const)}`);
    }
    if (schema.enum !== undefined) {
      if (schema.enum.some((v) => v === null || typeof v === "object")) throw new Error("compact validator: only scalar enum values are supported");
      parts.push(`(${schema.enum.map((v) => `${x} === ${lit(v)}`).join(" || ")})`);
    }
    return parts.length === 0 ? "true" : parts.join(" && ");
  }

  function hasAny(schema, keys) {
    return keys.some((k) => schema[k] !== undefined);
  }

  function object(schema) {
    const fn = name("object");
    const props = schema.properties ?? {};
    const required = new Set(schema.required ?? []);
    const lines = [`  if (!(d && typeof d == "object" && !Array.isArray(d))) return false;`];
    const patterns = Object.entries(schema.patternProperties ?? {}).map(([source, sub]) => {
      const re = name("pattern");
      constants.push(`const ${re} = new RegExp(${lit(source)}, "u");`);
      return { re, sub };
    });
    if (schema.additionalProperties === false) {
      const keys = name("keys");
      constants.push(`const ${keys} = new Set(${lit(Object.keys(props))});`);
      const allowed = [`${keys}.has(k)`, ...patterns.map((p) => `${p.re}.test(k)`)].join(" || ");
      lines.push(`  for (const k in d) if (!(${allowed})) return false;`);
    } else if (schema.additionalProperties !== undefined) {
      throw new Error("compact validator: only `additionalProperties: false` is supported");
    }
    for (const r of required) if (!(r in props)) lines.push(`  if (d[${lit(r)}] === undefined) return false;`);
    if (Object.keys(props).length > 0) lines.push("  let x;");
    for (const [key, sub] of Object.entries(props)) {
      const test = expr(sub, "x");
      lines.push(`  x = d[${lit(key)}];`);
      if (required.has(key)) lines.push(test === "true" ? `  if (x === undefined) return false;` : `  if (x === undefined || !(${test})) return false;`);
      else if (test !== "true") lines.push(`  if (x !== undefined && !(${test})) return false;`);
    }
    for (const { re, sub } of patterns) {
      lines.push(`  for (const k in d) if (${re}.test(k)) { const x = d[k]; if (!(${expr(sub, "x")})) return false; }`);
    }
    functions.push(`function ${fn}(d) {\n${lines.join("\n")}\n  return true;\n}`);
    return fn;
  }

  function array(schema) {
    const fn = name("array");
    const lines = [`  if (!Array.isArray(d)) return false;`];
    if (schema.minItems !== undefined) lines.push(`  if (d.length < ${lit(schema.minItems)}) return false;`);
    if (schema.maxItems !== undefined) lines.push(`  if (d.length > ${lit(schema.maxItems)}) return false;`);
    if (Array.isArray(schema.items)) {
      if (schema.additionalItems === false) lines.push(`  if (d.length > ${schema.items.length}) return false;`);
      else if (schema.additionalItems !== undefined) throw new Error("compact validator: only `additionalItems: false` is supported");
      schema.items.forEach((sub, i) => lines.push(`  if (d.length > ${i}) { const x = d[${i}]; if (!(${expr(sub, "x")})) return false; }`));
    } else if (schema.items !== undefined) {
      if (schema.additionalItems !== undefined) throw new Error("compact validator: `additionalItems` needs a list of `items`");
      lines.push(`  for (let i = 0; i < d.length; i++) { const x = d[i]; if (!(${expr(schema.items, "x")})) return false; }`);
    }
    functions.push(`function ${fn}(d) {\n${lines.join("\n")}\n  return true;\n}`);
    return fn;
  }

  /** The tag values of a branch that only matches objects with a required string `kind` constant. */
  function tags(branch) {
    const b = branch.$ref !== undefined ? resolve(branch.$ref) : branch;
    const kind = b.properties?.kind;
    if (b.type !== "object" || !b.required?.includes("kind") || !kind) return undefined;
    const values = kind.const !== undefined ? [kind.const] : kind.enum;
    return Array.isArray(values) && values.every((v) => typeof v === "string") ? values : undefined;
  }

  function anyOf(branches) {
    const fn = name("anyOf");
    const tests = branches.map((b) => expr(b, "x"));
    const tagged = branches.map(tags);
    const all = tagged.flat();
    if (tagged.every((t) => t !== undefined) && new Set(all).size === all.length) {
      const cases = tagged.flatMap((t, i) => t.map((v) => `    case ${lit(v)}: return ${tests[i]};`));
      functions.push(`function ${fn}(x) {\n  switch (x !== null && typeof x == "object" ? x.kind : undefined) {\n${cases.join("\n")}\n    default: return false;\n  }\n}`);
    } else {
      functions.push(`function ${fn}(x) {\n  return ${tests.map((t) => `(${t})`).join(" || ")};\n}`);
    }
    return fn;
  }

  const top = expr(root, "value");
  return [
    "// Generated by scripts/gen-plan-artifacts.js (scripts/compact-validator.js) from compiler/plan/schema.ts. Do not edit.",
    IS_INTEGER,
    ...(usesUcs2 ? [UCS2LENGTH] : []),
    ...constants,
    ...functions,
    `export default function isPlan(value) {\n  return ${top};\n}`,
    "",
  ].join("\n");
}
