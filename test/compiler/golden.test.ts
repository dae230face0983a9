// Golden plans of the shipped experiments. Every experiments/**/*.vpae that declares an experiment or a
// sweep is compiled (as "experiments/...", relative to the repository root); each experiment's plan and
// each sweep's member list must equal the committed file under test/baselines/reference/:
//   <path with / replaced by __>.<experiment>.plan.json
//   <path with / replaced by __>.<sweep>.members.json      (index, name, changes and plan hash per member)
// UPDATE_BASELINES=1 npm test writes those files instead of comparing (review the diff, then commit).
// Every file under experiments/, templates included, must compile without errors or warnings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { compileFile, type CompileResult } from "../../compiler/program.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import type { Host } from "../../compiler/load.js";
import { repoRoot, vpaeFiles } from "../helpers.js";

const EXPERIMENTS = "experiments";
const REFERENCE_DIR = path.join("test", "baselines", "reference");
const PREFIX = `${EXPERIMENTS}__`;
const update = process.env.UPDATE_BASELINES === "1";

/** Reads files relative to the repository root, whatever the working directory. */
const host: Host = {
  readFile(p) {
    try {
      return readFileSync(path.resolve(repoRoot, p), "utf8");
    } catch {
      return undefined;
    }
  },
};

/** Every .vpae file under experiments/, as a posix path relative to the repository root, sorted. */
function experimentFiles(): string[] {
  return vpaeFiles(path.join(repoRoot, EXPERIMENTS)).map((f) => path.relative(repoRoot, f).split(path.sep).join("/"));
}

interface Golden {
  /** File name under test/baselines/reference/. */
  name: string;
  text: string;
}

interface Compiled {
  file: string;
  result: CompileResult;
  /** False for files that hold only templates (and imports or parameters). */
  runnable: boolean;
  goldens: Golden[];
}

function compileExperiment(file: string): Compiled {
  const result = compileFile(file, { host });
  const ast = result.program.files.get(file);
  const runnable = ast !== undefined && ast.items.some((i) => (i.kind === "experiment" && !i.template) || i.kind === "sweep");
  const stem = file.split("/").join("__");
  const goldens: Golden[] = [];
  for (const p of result.plans) goldens.push({ name: `${stem}.${p.name}.plan.json`, text: JSON.stringify(p.plan, null, 2) + "\n" });
  for (const s of result.sweeps) {
    const members = s.members.map((m) => ({ index: m.index, name: m.name, changes: m.changes, hash: m.plan?.hash ?? null }));
    goldens.push({ name: `${stem}.${s.name}.members.json`, text: JSON.stringify(members, null, 2) + "\n" });
  }
  return { file, result, runnable, goldens };
}

function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The JSON pointer of the first place where two JSON values differ, or undefined if they are equal. */
function firstDifference(expected: unknown, actual: unknown, at = ""): string | undefined {
  if (Object.is(expected, actual)) return undefined;
  const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  if (kind(expected) !== kind(actual) || typeof expected !== "object" || expected === null) return at || "/";
  if (Array.isArray(expected)) {
    const other = actual as unknown[];
    for (let i = 0; i < Math.max(expected.length, other.length); i++) {
      if (i >= expected.length || i >= other.length) return `${at}/${i}`;
      const d = firstDifference(expected[i], other[i], `${at}/${i}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const a = expected as Record<string, unknown>;
  const b = actual as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const here = `${at}/${pointerSegment(key)}`;
    if (!(key in a) || !(key in b)) return here;
    const d = firstDifference(a[key], b[key], here);
    if (d !== undefined) return d;
  }
  return undefined;
}

function valueAt(doc: unknown, pointer: string): string {
  let cur: unknown = doc;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object" || !(key in (cur as object))) return "(absent)";
    cur = (cur as Record<string, unknown>)[key];
  }
  const s = JSON.stringify(cur) ?? "undefined";
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** A one-line explanation of why `actual` does not match the reference text, or undefined if it does. */
function mismatch(reference: string, actual: string): string | undefined {
  if (reference === actual) return undefined;
  let expected: unknown;
  try {
    expected = JSON.parse(reference);
  } catch {
    return "the reference file is not valid JSON";
  }
  const now: unknown = JSON.parse(actual);
  const at = firstDifference(expected, now);
  if (at === undefined) return "same values, different text (key order or formatting)";
  return `first difference at ${at}: reference ${valueAt(expected, at)}, now ${valueAt(now, at)}`;
}

const compiled = experimentFiles().map(compileExperiment);

test("experiments/ holds .vpae files", () => {
  assert.ok(compiled.some((c) => c.runnable), "no experiment or sweep found under experiments/");
});

for (const c of compiled) {
  test(`${c.file} compiles without diagnostics`, () => {
    // A warning is accepted where the line it points at says so in a comment, naming its code.
    const lines = readFileSync(path.join(repoRoot, c.file), "utf8").split("\n");
    const intended = (d: Diagnostic) => d.severity === "warning" && d.span !== undefined && d.span.file.endsWith(c.file) && (lines[d.span.line - 1] ?? "").includes(`// `) && (lines[d.span.line - 1] ?? "").includes(`(${d.code})`);
    const shown = c.result.diagnostics.filter((d) => !intended(d)).map((d) => `${d.severity} ${d.code}: ${d.message}${d.span ? ` (${d.span.file}:${d.span.line}:${d.span.col})` : ""}`);
    assert.deepEqual(shown, [], `${c.file} must compile with no errors or warnings (a warning on purpose: say so on its line, naming its code)`);
  });

  if (!c.runnable) continue;
  test(`${c.file} matches its golden plans`, (t) => {
    assert.ok(c.goldens.length > 0, `${c.file} declares experiments or sweeps but compiled to none`);
    mkdirSync(path.join(repoRoot, REFERENCE_DIR), { recursive: true });
    for (const g of c.goldens) {
      const where = path.join(repoRoot, REFERENCE_DIR, g.name);
      if (update) {
        writeFileSync(where, g.text);
        t.diagnostic(`UPDATE_BASELINES=1: wrote ${REFERENCE_DIR}/${g.name}`);
        continue;
      }
      let reference: string;
      try {
        reference = readFileSync(where, "utf8");
      } catch {
        assert.fail(`${c.file}: no reference ${REFERENCE_DIR}/${g.name}; run UPDATE_BASELINES=1 npm test and commit it`);
      }
      const why = mismatch(reference, g.text);
      if (why) assert.fail(`${c.file}: ${REFERENCE_DIR}/${g.name} differs, ${why} (UPDATE_BASELINES=1 npm test accepts the change)`);
    }
  });
}

test("no reference file is left over from a removed experiment", (t) => {
  const expected = new Set(compiled.flatMap((c) => c.goldens.map((g) => g.name)));
  let present: string[] = [];
  try {
    present = readdirSync(path.join(repoRoot, REFERENCE_DIR)).filter((n) => n.startsWith(PREFIX));
  } catch {
    present = [];
  }
  const stale = present.filter((n) => !expected.has(n)).sort();
  if (update) {
    for (const n of stale) {
      unlinkSync(path.join(repoRoot, REFERENCE_DIR, n));
      t.diagnostic(`UPDATE_BASELINES=1: removed ${REFERENCE_DIR}/${n}`);
    }
    return;
  }
  assert.deepEqual(stale, [], `reference files without an experiment (UPDATE_BASELINES=1 npm test removes them): ${stale.join(", ")}`);
});

test("firstDifference names the first differing JSON path", () => {
  assert.equal(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }), "/a/1/b");
  assert.equal(firstDifference({ a: 1 }, { a: 1, c: 2 }), "/c");
  assert.equal(firstDifference([1, 2], [1]), "/1");
  assert.equal(firstDifference({ "x/y": 1 }, { "x/y": 2 }), "/x~1y");
  assert.equal(firstDifference({ a: [1] }, { a: [1] }), undefined);
  assert.equal(firstDifference(1, "1"), "/");
});
