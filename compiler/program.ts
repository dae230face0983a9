// The compiler's driver: load files (and their imports) -> syntax -> scopes -> experiment trees ->
// overrides -> lowering -> semantic checks -> plan + hash + schema validation. Sweeps expand here too.
// Nothing throws for user errors: everything comes back as diagnostics.
import * as nodePath from "node:path";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { parse, parseExpression } from "../grammar/index.js";
import type { ExperimentDecl, Expr, Item, SourceFile, Span, SweepDecl } from "./syntax/ast.js";
import { joinPath } from "./syntax/ast.js";
import { cstToAst, cstToExpr, tokenSpan } from "./syntax/to-ast.js";
import { reportSyntax, textOf } from "./syntax/from-chevrotain.js";
import { reportLongExpressions } from "./syntax/limits.js";
import { D, DiagnosticBag, type Diagnostic } from "./diagnostics/diagnostic.js";
import { didYouMean } from "./diagnostics/suggest.js";
import { cloneTree, LABELED_BLOCKS, lookup, mergeEntries, setPath, treePaths, type ExperimentTree, type FileScope } from "./tree.js";
import { Evaluator, valueToJson } from "./eval.js";
import { BlockReader, type LowerContext } from "./reader.js";
import { lowerExperiment, type PlanBody } from "./lower.js";
import { checkMemory, checkPlan, locate } from "./check.js";
import type { Plan, SourceLocation } from "./plan/schema.js";
import { PLAN_FORMAT_VERSION } from "./plan/version.js";
import { phaseChain, planHash } from "./plan/hash.js";
import { validatePlan } from "./plan/validate.js";
import { COMPILER_VERSION } from "./version.js";
import { expandSweep, type SweepMember } from "./sweep.js";

export interface Host {
  readFile(path: string): string | undefined;
}

export const nodeHost: Host = {
  readFile(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
};

/** An override from the command line (`--set a.b=v`) or a `--params` file entry. */
export interface Override {
  path: string[];
  expr: Expr;
  /** Where the override was written (for messages). */
  span: Span;
  /** YAML string values may fall back to a plain string for string parameters. */
  rawString?: string;
}

export interface Declaration {
  decl: ExperimentDecl | SweepDecl;
  scope: FileScope;
}

export interface Program {
  files: Map<string, SourceFile>;
  sources: Map<string, string>;
  scopes: Map<string, Map<string, Declaration>>;
  fileScopes: Map<string, FileScope>;
}

export interface CompiledPlan {
  name: string;
  plan: Plan;
  /** Spans of the plan's values (the serialisable form is plan.sourceMap). */
  spans: Map<string, Span>;
}

export interface CompileResult {
  program: Program;
  /** One per non-template experiment of the entry file (or the one chosen). */
  plans: CompiledPlan[];
  sweeps: { name: string; members: SweepMember[] }[];
  diagnostics: Diagnostic[];
}

// ---- loading ----

/**
 * Where imports may read from: the project folder of the entry file and any folder the user allows
 * (`--import-root`), as real paths. Null where files do not come from the disk (a test's host).
 */
export interface ImportAccess {
  roots: string[];
}

/** The project folder of an entry file: the nearest folder above it with a package.json or a .git, else its own folder. */
export function projectRoot(entry: string): string {
  const start = nodePath.dirname(realOrResolved(entry));
  for (let dir = start; ; dir = nodePath.dirname(dir)) {
    if (existsSync(nodePath.join(dir, "package.json")) || existsSync(nodePath.join(dir, ".git"))) return dir;
    if (nodePath.dirname(dir) === dir) return start;
  }
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return nodePath.resolve(path);
  }
}

/** Whether an import target (that exists) lies inside one of the allowed folders, symbolic links followed. */
function insideRoots(target: string, access: ImportAccess): boolean {
  const real = realOrResolved(target);
  return access.roots.some((root) => real === root || real.startsWith(root.endsWith(nodePath.sep) ? root : root + nodePath.sep));
}

function loadFile(path: string, host: Host, program: Program, bag: DiagnosticBag, stack: string[], access: ImportAccess | null, importSpan?: Span): SourceFile | undefined {
  // The cycle check comes first: a file on the import stack is already in `program.files` (it is
  // registered before its imports load), and returning it would hide the cycle.
  if (stack.includes(path)) {
    bag.report(D.importCycle, [[...stack.slice(stack.indexOf(path)), path].map((p) => nodePath.basename(p)).join(" -> ")], importSpan);
    return undefined;
  }
  const existing = program.files.get(path);
  if (existing) return existing;
  const raw = host.readFile(path);
  if (raw === undefined) {
    const why = host === nodeHost ? unreadableReason(path, importSpan !== undefined) : undefined;
    const extra = why ? { hint: why } : undefined;
    if (importSpan) bag.report(D.importNotFound, [`'${path}'`], importSpan, extra);
    else bag.report(D.fileNotFound, [`'${path}'`], undefined, extra);
    return undefined;
  }
  // A lone `\r` (old Mac line end) is a line break to the lexer but not to the code frames and the
  // lexer-error positions, which split on `\n`; as `\n` (same length, so offsets stay) all three agree.
  const decoded = textOf(path, raw, bag);
  if (decoded === undefined) {
    program.sources.set(path, raw); // the diagnostic's code frame shows it, with unprintable characters masked
    return undefined;
  }
  const text = decoded.includes("\r") ? decoded.replace(/\r(?!\n)/g, "\n") : decoded;
  program.sources.set(path, text);
  const file = parseCached(path, text, bag);
  if (!file) return undefined;
  program.files.set(path, file);
  const scope: FileScope = { file: path, params: new Map() };
  program.fileScopes.set(path, scope);
  const names = new Map<string, Declaration>();
  program.scopes.set(path, names);
  const declare = (name: string, d: Declaration, span: Span, what: string) => {
    if (names.has(name)) {
      bag.report(D.duplicateDeclaration, [what, `'${name}'`], span, { notes: [{ message: "first declared here", span: names.get(name)!.decl.name.span }] });
      return;
    }
    names.set(name, d);
  };
  for (const item of file.items) {
    if (item.kind === "param") {
      if (scope.params.has(item.name.text)) bag.report(D.duplicateDeclaration, ["parameter", `'${item.name.text}'`], item.name.span);
      scope.params.set(item.name.text, item);
    } else if (item.kind === "experiment" || item.kind === "sweep") {
      declare(item.name.text, { decl: item, scope }, item.name.span, item.kind === "sweep" ? "sweep" : item.template ? "template" : "experiment");
    }
  }
  for (const item of file.items) {
    if (item.kind !== "import") continue;
    const target = nodePath.isAbsolute(item.path) ? nodePath.normalize(item.path) : nodePath.normalize(nodePath.join(nodePath.dirname(path), item.path));
    // Checked before anything is read: only .vpae files, and only inside the project.
    if (!target.endsWith(".vpae")) {
      bag.report(D.importNotVpae, [`'${item.path}'`], item.pathSpan);
      continue;
    }
    if (access && existsSync(target) && !insideRoots(target, access)) {
      bag.report(D.importOutsideProject, [`'${item.path}'`, `'${access.roots[0]}'`], item.pathSpan, { hint: access.roots.length > 1 ? `allowed: ${access.roots.join(", ")}; --import-root DIR allows another folder` : "--import-root DIR allows another folder" });
      continue;
    }
    const imported = loadFile(target, host, program, bag, [...stack, path], access, item.pathSpan);
    if (!imported) continue;
    const importedNames = program.scopes.get(target)!;
    for (const [n, d] of importedNames) {
      if (d.scope.file !== target) continue; // imports are not re-exported
      const name = item.alias ? `${item.alias.text}.${n}` : n;
      declare(name, d, item.span, d.decl.kind === "sweep" ? "sweep" : (d.decl as ExperimentDecl).template ? "template" : "experiment");
    }
  }
  return file;
}

/** Why a path on disk could not be read, in words (for the hint of VPAE5001 / VPAE2001). */
export function unreadableReason(path: string, imported: boolean): string | undefined {
  try {
    if (statSync(path).isDirectory()) return "it is a directory; name a .vpae file in it";
    return undefined;
  } catch {
    return imported ? "no such file (an import path is relative to the importing file)" : `no such file (relative paths start at ${process.cwd()})`;
  }
}

/**
 * Parsed files by path, reused while their text is unchanged: `vpae check a.vpae b.vpae` and sweeps
 * parse a shared template file once. Only files that parsed without any diagnostic are kept.
 */
const parseCache = new Map<string, { text: string; file: SourceFile }>();

function parseCached(path: string, text: string, bag: DiagnosticBag): SourceFile | undefined {
  const hit = parseCache.get(path);
  if (hit && hit.text === text) return hit.file;
  const parsed = parse(text);
  const before = bag.items.length;
  const errorsBefore = bag.errorCount;
  reportSyntax(path, text, parsed, bag);
  if (bag.errorCount > errorsBefore) return undefined; // later phases would only repeat the syntax errors
  const file = cstToAst(parsed.cst, path, text, bag);
  if (reportLongExpressions(file, bag)) return undefined;
  file.comments = parsed.comments.map((c) => ({ text: c.image, span: tokenSpan(path, c) }));
  if (bag.items.length === before) parseCache.set(path, { text, file });
  return file;
}

export function loadProgram(entry: string, host: Host, bag: DiagnosticBag, access: ImportAccess | null = null): Program {
  const program: Program = { files: new Map(), sources: new Map(), scopes: new Map(), fileScopes: new Map() };
  loadFile(entry, host, program, bag, [], access);
  return program;
}

// ---- experiment trees ----

function findDeclaration(program: Program, fromFile: string, name: string): Declaration | undefined {
  return program.scopes.get(fromFile)?.get(name);
}

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

// ---- lowering a tree into a plan ----

export interface PlanMeta {
  experiment: string;
  sourceFile: string;
  sweep: Plan["sweep"];
  /** Collects the parameters the experiment's expressions read. */
  usedParams?: Set<string>;
}

export function planFromTree(tree: ExperimentTree, meta: PlanMeta, bag: DiagnosticBag): CompiledPlan | undefined {
  // This plan's diagnostics are collected in a bag of its own, then handed on. The shared bag drops
  // repeats, and sweep members repeat each other's problems: counting errors there would miss a member's
  // errors and go on to check (and schema-validate) a broken plan.
  const local = new DiagnosticBag();
  try {
    return lowerToPlan(tree, meta, local);
  } finally {
    for (const d of local.items) bag.add(d);
  }
}

function lowerToPlan(tree: ExperimentTree, meta: PlanMeta, bag: DiagnosticBag): CompiledPlan | undefined {
  const before = bag.errorCount;
  for (const p of tree.params.values()) {
    const type = p.decl.type;
    if (type && !["number", "int", "bool", "string"].includes(type.text)) {
      const hint = didYouMean(type.text, ["number", "int", "bool", "string"]);
      bag.report(D.unknownChoice, [`type '${type.text}'`, "number, int, bool or string"], type.span, hint ? { hint } : undefined);
    }
  }
  const ev = new Evaluator(tree, bag);
  const ctx: LowerContext = { bag, ev, map: new Map() };
  try {
    const body = lowerExperiment(ctx, new BlockReader(ctx, tree.root, `experiment ${meta.experiment}`), meta.sourceFile);
    if (bag.errorCount > before) return undefined; // semantic checks on a half-lowered plan would mislead
    checkPlan(body, ctx.map, bag, tree.root.span, meta.experiment);
    checkMemory(body, ctx.map, bag, tree.root.span);
    return finishPlan(tree, meta, bag, before, body, ctx);
  } finally {
    for (const name of ev.usedParams) meta.usedParams?.add(name);
    // Parameters of the experiment body; file-level ones are judged over the whole file (compileFile).
    // Sweep members are exempt: an alternative may remove the only use of a parameter the base uses.
    for (const [name, p] of tree.params) {
      if (meta.sweep === null && !p.fileLevel && !ev.usedParams.has(name) && !p.override) bag.report(D.unusedParam, [`'${name}'`], p.decl.name.span);
    }
  }
}

/**
 * The keys of a plan's source map (JSON pointers) in sorted order. Sweep members mostly have the same
 * pointers in the same order: then the last sorted list is reused. (Sorting fresh pointer strings and
 * making them property names took a tenth of a large sweep's time.) The list is shared: do not change it.
 */
let lastPointers: { inOrder: string[]; sorted: string[] } = { inOrder: [], sorted: [] };
function sortedPointers(map: ReadonlyMap<string, Span>): readonly string[] {
  const last = lastPointers;
  if (map.size === last.inOrder.length) {
    let i = 0;
    let same = true;
    for (const ptr of map.keys()) {
      if (ptr !== last.inOrder[i++]) {
        same = false;
        break;
      }
    }
    if (same) return last.sorted;
  }
  const inOrder = [...map.keys()];
  lastPointers = { inOrder, sorted: [...inOrder].sort() };
  return lastPointers.sorted;
}

function finishPlan(tree: ExperimentTree, meta: PlanMeta, bag: DiagnosticBag, before: number, body: PlanBody, ctx: LowerContext): CompiledPlan | undefined {
  // A plan that breaks a semantic rule is not a plan; validating it against the schema would only
  // repeat the same problem as VPAE3001 (e.g. no phases -> "/phases must not have fewer than 1 items").
  if (bag.errorCount > before) return undefined;
  const chain = phaseChain(body);
  body.phases.forEach((p, i) => (p.hash = chain.phases[i]!));
  const sourceMap: Record<string, SourceLocation> = {};
  for (const ptr of sortedPointers(ctx.map)) {
    const s = ctx.map.get(ptr)!;
    sourceMap[ptr] = { file: s.file, line: s.line, col: s.col, endLine: s.endLine, endCol: s.endCol };
  }
  const partial: Omit<Plan, "hash"> = {
    formatVersion: PLAN_FORMAT_VERSION,
    compilerVersion: COMPILER_VERSION,
    experiment: meta.experiment,
    source: { file: meta.sourceFile, experiment: meta.experiment },
    sweep: meta.sweep,
    ...body,
    sourceMap,
  };
  const plan = { ...partial, hash: planHash(partial, chain) } as Plan;
  const valid = validatePlan(plan);
  if (!valid.ok) {
    for (const e of valid.errors) bag.report(D.planSchema, [e.pointer || "/", e.message], locate(ctx.map, e.pointer, tree.root.span));
  }
  if (bag.errorCount > before) return undefined;
  return { name: meta.experiment, plan, spans: ctx.map };
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

// ---- the entry point ----

export interface CompileOptions {
  host?: Host;
  overrides?: Override[];
  /** Compile only this experiment (by name) of the entry file. */
  experiment?: string;
  /** Expand sweeps (off for `check` of big sweeps is never needed: expansion is cheap). */
  sweeps?: boolean;
  /** Extra sources to show in code frames (--set, --params). */
  sources?: Map<string, string>;
  /**
   * Folders beyond the entry file's project that imports may read (`--import-root`). Imports are
   * confined to the project whenever files come from the disk (the default host).
   */
  importRoots?: string[];
}

export function compileFile(entry: string, options: CompileOptions = {}): CompileResult {
  const bag = new DiagnosticBag();
  const host = options.host ?? nodeHost;
  const access = host === nodeHost || options.importRoots !== undefined ? { roots: [projectRoot(entry), ...(options.importRoots ?? []).map(realOrResolved)] } : null;
  const program = loadProgram(entry, host, bag, access);
  for (const [k, v] of options.sources ?? []) program.sources.set(k, v);
  const result: CompileResult = { program, plans: [], sweeps: [], diagnostics: bag.items };
  const file = program.files.get(entry);
  if (!file || bag.hasErrors()) return result;
  const scope = program.fileScopes.get(entry)!;
  const experiments = file.items.filter((i): i is ExperimentDecl => i.kind === "experiment" && !i.template);
  if (options.experiment !== undefined && !experiments.some((e) => e.name.text === options.experiment)) {
    const hint = didYouMean(options.experiment, experiments.map((e) => e.name.text));
    bag.report(D.unknownExperiment, [`'${options.experiment}'`], undefined, hint ? { hint } : { hint: `experiments in ${entry}: ${experiments.map((e) => e.name.text).join(", ") || "none"}` });
    return result;
  }
  const usedParams = new Set<string>();
  for (const decl of experiments) {
    if (options.experiment !== undefined && decl.name.text !== options.experiment) continue;
    const tree = buildTree(program, decl, scope, bag);
    if (!tree) continue;
    applyOverrides(tree, options.overrides ?? [], scope, bag);
    const compiled = planFromTree(tree, { experiment: decl.name.text, sourceFile: entry, sweep: null, usedParams }, bag);
    if (compiled) result.plans.push(compiled);
  }
  // A file-level parameter is unused when no experiment of the file reads it.
  if (options.experiment === undefined && experiments.length > 0) {
    for (const [name, p] of scope.params) {
      const overridden = (options.overrides ?? []).some((o) => o.path.length === 1 && o.path[0] === name);
      if (!usedParams.has(name) && !overridden && !sweepAxes(file).has(name)) bag.report(D.unusedParam, [`'${name}'`], p.name.span);
    }
  }
  if (options.sweeps !== false) {
    for (const item of file.items) {
      if (item.kind !== "sweep") continue;
      const members = expandSweep(program, item, scope, bag, options.overrides ?? [], entry);
      if (members) result.sweeps.push({ name: item.name.text, members });
    }
  }
  return result;
}

/** Parameters that a sweep of the file sets through an axis (they count as used). */
function sweepAxes(file: SourceFile): Set<string> {
  const out = new Set<string>();
  for (const item of file.items) if (item.kind === "sweep") for (const e of item.entries) if (e.kind === "axis" && e.values) out.add(e.name.text);
  return out;
}

export function itemsOf(file: SourceFile): Item[] {
  return file.items;
}

export { valueToJson };
