// The import direction of the layers: grammar -> compiler -> compiler/plan <- runtime <- runtime/tui, CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, dirname, normalize, relative } from "node:path";
import { repoRoot } from "./helpers.js";

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(repoRoot, dir))) {
    const p = join(dir, name);
    if (statSync(join(repoRoot, p)).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Value imports (import type is erased and allowed across layers where noted). */
function imports(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(join(repoRoot, file), "utf8");
  const out: { spec: string; typeOnly: boolean }[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;
  for (const m of text.matchAll(re)) out.push({ spec: m[3] ?? m[4]!, typeOnly: Boolean(m[2]) });
  return out;
}

function target(file: string, spec: string): string {
  return spec.startsWith(".") ? normalize(join(dirname(file), spec)).replace(/\.js$/, "") : spec;
}

const rules: { layer: string; forbid: RegExp; why: string; typesAllowed?: boolean }[] = [
  { layer: "grammar/", forbid: /^(compiler|runtime)\//, why: "the grammar only recognises syntax" },
  { layer: "compiler/", forbid: /^runtime\//, why: "the compiler never depends on the runtime" },
  { layer: "compiler/plan/", forbid: /^(grammar\/|compiler\/(?!plan\/))/, why: "the plan contract stands alone", typesAllowed: false },
  { layer: "runtime/", forbid: /^(grammar\/)/, why: "the runtime reads plans, not source text" },
  { layer: "runtime/engine/", forbid: /^(compiler\/(?!plan\/)|runtime\/(cli|tui|sinks|sweep|report)\/)/, why: "the engine knows plans, not the compiler or its front ends" },
  { layer: "runtime/sweep/", forbid: /^(compiler\/(?!plan\/)|runtime\/(cli|tui|sinks|report)\/)/, why: "sweeps run plans through the engine; the CLI and views sit above them" },
  { layer: "runtime/report/", forbid: /^(compiler\/(?!plan\/)|runtime\/(cli|tui|sinks)\/)/, why: "reports read run folders; the CLI sits above them" },
  { layer: "runtime/tui/", forbid: /^(compiler\/(?!plan\/)|runtime\/(cli|report)\/|@tensorflow)/, why: "views listen to events", typesAllowed: true },
  { layer: "runtime/tui/", forbid: /^runtime\/engine\/io\//, why: "views receive events and snapshots; reading run folders is storage's job", typesAllowed: false },
];

test("imports point the way of the layers", () => {
  const problems: string[] = [];
  for (const dir of ["grammar", "compiler", "runtime"]) {
    for (const file of sources(dir)) {
      for (const imp of imports(file)) {
        const t = target(file, imp.spec);
        for (const r of rules) {
          if (!file.startsWith(r.layer) || !r.forbid.test(t)) continue;
          if (imp.typeOnly && r.typesAllowed !== false) continue;
          problems.push(`${file} imports ${relative(".", t)}: ${r.why}`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("no import cycles among the project's modules (value imports)", () => {
  const graph = new Map<string, string[]>();
  for (const dir of ["grammar", "compiler", "runtime"]) {
    for (const file of sources(dir)) {
      const from = file.replace(/\.tsx?$/, "");
      graph.set(from, imports(file).filter((i) => !i.typeOnly && i.spec.startsWith(".")).map((i) => target(file, i.spec)));
    }
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (n: string): void => {
    state.set(n, "open");
    path.push(n);
    for (const m of graph.get(n) ?? []) {
      if (!graph.has(m)) continue;
      if (state.get(m) === "open") cycles.push([...path.slice(path.indexOf(m)), m].join(" -> "));
      else if (!state.has(m)) visit(m);
    }
    path.pop();
    state.set(n, "done");
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  assert.deepEqual(cycles, []);
});

test("the check/compile path does not load tfjs, React or Ink", () => {
  const heavy = /^(@tensorflow\/|react|ink)/;
  const offenders = [...sources("grammar"), ...sources("compiler")].filter((f) => imports(f).some((i) => heavy.test(i.spec)));
  assert.deepEqual(offenders, []);
});
