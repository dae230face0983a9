// Experiment trees: an experiment's declaration and the ones it extends merged into one tree, then
// the overrides (--set, --params, sweep axes) applied to it. The second phase of compiler/program.ts.
import { parseExpression } from "../grammar/index.js";
import type { ExperimentDecl, Expr, Span } from "./syntax/ast.js";
import { joinPath } from "./syntax/ast.js";
import { cstToExpr } from "./syntax/to-ast.js";
import { reportSyntax } from "./syntax/from-chevrotain.js";
import { reportLongExpressions } from "./syntax/limits.js";
import { D, type DiagnosticBag } from "./diagnostics/diagnostic.js";
import { didYouMean } from "./diagnostics/suggest.js";
import { cloneTree, LABELED_BLOCKS, lookup, mergeEntries, setPath, treePaths, type ExperimentTree, type FileScope } from "./tree.js";
import { findDeclaration, type Program } from "./load.js";

/** An override from the command line (`--set a.b=v`) or a `--params` file entry. */
export interface Override {
  path: string[];
  expr: Expr;
  /** Where the override was written (for messages). */
  span: Span;
  /** YAML string values may fall back to a plain string for string parameters. */
  rawString?: string;
}

// ---- experiment trees ----


export function buildTree(program: Program, decl: ExperimentDecl, scope: FileScope, bag: DiagnosticBag, chain: string[] = []): ExperimentTree | undefined {
  const key = `${scope.file}#${decl.name.text}`;
  if (chain.includes(key)) {
    // Only the loop itself: `tiny extends a`, `a extends b`, `b extends a` reports a -> b -> a.
    bag.report(D.extendsCycle, [`'${decl.name.text}'`, [...chain.slice(chain.indexOf(key)), key].map((k) => k.split("#")[1]).join(" -> ")], decl.name.span);
    return undefined;
  }
  let tree: ExperimentTree;
  if (decl.base) {
    const baseName = joinPath(decl.base);
    const base = findDeclaration(program, scope.file, baseName);
    if (!base || base.decl.kind !== "experiment") {
      const candidates = [...(program.scopes.get(scope.file)?.entries() ?? [])].filter(([, d]) => d.decl.kind === "experiment").map(([n]) => n);
      const hint = didYouMean(baseName, candidates);
      bag.report(D.unknownExperiment, [`'${baseName}'`], decl.base[0]!.span, hint ? { hint } : undefined);
      return undefined;
    }
    const baseTree = buildTree(program, base.decl, base.scope, bag, [...chain, key]);
    if (!baseTree) return undefined;
    tree = cloneTree(baseTree);
    tree.root.span = decl.span;
  } else {
    tree = { root: { kind: "block", type: "experiment", label: decl.name.text, span: decl.span, entries: new Map() }, params: new Map() };
  }
  // File-level parameters are parameters of the experiments of that file (overridable, sweepable).
  // The extending file's own parameters win over inherited ones of the same name; the body's win over both.
  for (const [name, p] of scope.params) {
    const inherited = tree.params.get(name);
    if (!inherited || inherited.scope.file !== scope.file) tree.params.set(name, { decl: p, scope, fileLevel: true });
  }
  mergeEntries(tree.root, tree.params, decl.entries, scope, bag, { topLevel: true, allowRemove: decl.base !== undefined, where: `experiment ${decl.name.text}` });
  return tree;
}

/** Applies overrides: a parameter name sets the parameter, anything else is a setting path. */
export function applyOverrides(tree: ExperimentTree, overrides: readonly Override[], scope: FileScope, bag: DiagnosticBag): void {
  for (const o of overrides) {
    const [first] = o.path;
    if (o.path.length === 1 && tree.params.has(first!)) {
      const p = tree.params.get(first!)!;
      let expr = o.expr;
      if (o.rawString !== undefined && p.decl.type?.text === "string") expr = { kind: "string", value: o.rawString, raw: JSON.stringify(o.rawString), span: o.span };
      p.override = { expr, scope, span: o.span };
      continue;
    }
    // Missing unnamed blocks are created (`--set eval.every=10`; lowering then checks every key), but
    // a named block (a phase, a loss, ...) must exist: a misspelt name would silently add a new one.
    let known = o.path.length - 1;
    while (known > 0 && !lookup(tree.root, o.path.slice(0, known))) known--;
    const createsNamed = o.path.slice(known, -1).some((seg) => LABELED_BLOCKS.has(seg));
    if (o.path.length > 1 && createsNamed) {
      const hint = didYouMean(o.path.join("."), [...treePaths(tree.root), ...tree.params.keys()]);
      bag.report(D.unknownOverride, [o.path.join("."), "no parameter or setting has this path"], o.span, hint ? { hint } : undefined);
      continue;
    }
    if (o.path.length === 1 && !tree.root.entries.has(first!)) {
      const known = [...tree.params.keys(), ...tree.root.entries.keys()];
      const hint = didYouMean(first!, known);
      // A top-level setting that is merely defaulted (seed, batch, backend) may be set.
      if (!["seed", "batch", "backend"].includes(first!)) {
        bag.report(D.unknownOverride, [first!, "no parameter or setting has this name"], o.span, hint ? { hint } : { hint: `parameters: ${[...tree.params.keys()].join(", ") || "none"}` });
        continue;
      }
    }
    const names = o.path.map((text) => ({ text, span: o.span }));
    setPath(tree.root, names, { kind: "attr", name: o.path[o.path.length - 1]!, expr: o.expr, scope, span: o.span, argEdits: new Map() }, bag);
  }
}

// ---- overrides from text ----

export function parseSetOverride(text: string, index: number, bag: DiagnosticBag, sources: Map<string, string>): Override | undefined {
  const file = `--set[${index}]`;
  sources.set(file, text);
  const eq = text.indexOf("=");
  const whole: Span = { file, start: 0, end: text.length, line: 1, col: 1, endLine: 1, endCol: text.length + 1 };
  if (eq <= 0) {
    bag.report(D.badSetSyntax, [JSON.stringify(text)], whole);
    return undefined;
  }
  const key = text.slice(0, eq).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(key)) {
    bag.report(D.badSetSyntax, [JSON.stringify(text)], whole);
    return undefined;
  }
  const valueText = text.slice(eq + 1);
  if (valueText.trim() === "") {
    bag.report(D.badSetSyntax, [JSON.stringify(text)], whole, { hint: `give a value after '=', e.g. --set ${key}=1` });
    return undefined;
  }
  const padded = " ".repeat(eq + 1) + valueText;
  const expr = parseExprText(padded, file, bag);
  if (!expr) return undefined;
  return { path: key.split("."), expr, span: whole };
}

/** Parses one expression; syntax errors become diagnostics in `file`. */
export function parseExprText(text: string, file: string, bag: DiagnosticBag): Expr | undefined {
  const parsed = parseExpression(text);
  const before = bag.errorCount;
  reportSyntax(file, text, parsed, bag);
  if (bag.errorCount > before) return undefined;
  const expr = cstToExpr(parsed.cst, file, bag, text);
  if (expr && reportLongExpressions({ items: [expr] }, bag)) return undefined;
  return expr;
}

