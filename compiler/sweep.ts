// Sweeps: axes (values of a parameter, or named alternatives that edit the experiment), combined by
// product / zip / concat, filtered by `where`, replicated over seeds. Each member compiles to its own plan.
import type { Block, Expr, Span, SweepDecl } from "./syntax/ast.js";
import { joinPath } from "./syntax/ast.js";
import { D, type DiagnosticBag } from "./diagnostics/diagnostic.js";
import { didYouMean } from "./diagnostics/suggest.js";
import { describeValue, Evaluator, ExprEvaluator, formatNumber, valueToJson, type Value } from "./eval.js";
import { cloneTree, mergeEntries, type FileScope } from "./tree.js";
import type { Plan } from "./plan/schema.js";
import type { Program } from "./load.js";
import { applyOverrides, buildTree, type Override } from "./build.js";
import { planFromTree } from "./emit.js";

export interface SweepMember {
  index: number;
  /** `csds_weight=1,seed=0` */
  name: string;
  changes: { path: string; value: unknown }[];
  plan?: Plan;
}

type Assignment = { axis: string; label: string; value?: Value; alt?: Block };
type Member = Assignment[];

interface Axis {
  name: string;
  span: Span;
  values?: Value[];
  alts?: Block[];
}

function label(v: Value): string {
  const j = valueToJson(v);
  if (typeof j === "number") return formatNumber(j);
  return typeof j === "string" ? j : JSON.stringify(j);
}

export function valueToExpr(v: Value): Expr {
  switch (v.t) {
    case "num":
      return { kind: "number", value: v.v, raw: String(v.v), span: v.span };
    case "str":
      return { kind: "string", value: v.v, raw: JSON.stringify(v.v), span: v.span };
    case "bool":
      return { kind: "bool", value: v.v, span: v.span };
    case "none":
      return { kind: "none", span: v.span };
    case "list":
      return { kind: "list", items: v.items.map(valueToExpr), span: v.span };
    case "sym":
      return { kind: "ref", path: [{ text: v.name, span: v.span }], span: v.span };
    case "call":
      return {
        kind: "call",
        callee: [{ text: v.name, span: v.span }],
        args: [...v.args].map(([k, a]) => ({ name: { text: k, span: a.span }, value: valueToExpr(a), span: a.span })),
        span: v.span,
      };
  }
}

export function expandSweep(program: Program, decl: SweepDecl, scope: FileScope, bag: DiagnosticBag, overrides: readonly Override[], entry: string, checkOnly = false): SweepMember[] | undefined {
  const before = bag.errorCount;
  const targetName = joinPath(decl.target);
  const target = program.scopes.get(scope.file)?.get(targetName);
  if (!target || target.decl.kind !== "experiment") {
    const names = [...(program.scopes.get(scope.file)?.entries() ?? [])].filter(([, d]) => d.decl.kind === "experiment").map(([n]) => n);
    const hint = didYouMean(targetName, names);
    bag.report(D.unknownExperiment, [`'${targetName}'`], decl.target[0]!.span, hint ? { hint } : undefined);
    return undefined;
  }
  const base = buildTree(program, target.decl, target.scope, bag);
  if (!base) return undefined;
  applyOverrides(base, overrides, scope, bag);
  const ev = new Evaluator(base, bag);

  const axes = new Map<string, Axis>();
  let membersExpr: Expr | undefined;
  let seeds: number[] | undefined;
  for (const e of decl.entries) {
    if (e.kind === "axis") {
      if (axes.has(e.name.text)) {
        bag.report(D.duplicateDeclaration, ["axis", `'${e.name.text}'`], e.name.span);
        continue;
      }
      if (e.values) {
        if (!base.params.has(e.name.text)) {
          const hint = didYouMean(e.name.text, base.params.keys());
          bag.report(D.axisNotParam, [`'${e.name.text}'`, targetName], e.name.span, hint ? { hint } : { hint: `parameters of ${targetName}: ${[...base.params.keys()].join(", ") || "none"}` });
          continue;
        }
        const v = ev.expr(e.values, scope);
        if (!v) continue;
        const values = v.t === "list" ? v.items : [v];
        if (values.length === 0) bag.report(D.emptySweep, [`axis ${e.name.text}`], e.span);
        reportRepeats(values.map(label), `axis ${e.name.text}`, e.span, bag);
        axes.set(e.name.text, { name: e.name.text, span: e.span, values });
      } else {
        const alts = e.alternatives ?? [];
        const seen = new Set<string>();
        for (const a of alts) {
          if (a.label) bag.report(D.badLabel, [`an alternative is written \`name { ... }\`, without a second name`], a.label.span);
          if (seen.has(a.type.text)) bag.report(D.duplicateDeclaration, ["alternative", `'${a.type.text}'`], a.type.span);
          seen.add(a.type.text);
        }
        if (alts.length === 0) bag.report(D.emptySweep, [`axis ${e.name.text}`], e.span);
        axes.set(e.name.text, { name: e.name.text, span: e.span, alts });
      }
    } else if (e.kind === "attribute" && e.path.length === 1 && e.path[0]!.text === "members") {
      membersExpr = e.value;
    } else if (e.kind === "attribute" && e.path.length === 1 && e.path[0]!.text === "seeds") {
      const v = ev.expr(e.value, scope);
      if (!v) continue;
      const items = v.t === "list" ? v.items : [v];
      seeds = [];
      for (const it of items) {
        if (it.t === "num" && Number.isSafeInteger(it.v) && it.v >= 0) seeds.push(it.v);
        else bag.report(D.wrongValueKind, ["seeds", "a list of whole numbers >= 0", describeValue(it)], it.span);
      }
      reportRepeats(seeds.map(String), "seeds", e.span, bag);
    } else if (e.kind === "attribute") {
      const hint = didYouMean(joinPath(e.path), ["members", "seeds"]);
      bag.report(D.unknownAttribute, [`'${joinPath(e.path)}'`, `sweep ${decl.name.text}`], e.span, hint ? { hint } : { hint: "a sweep holds `axis` declarations, `members = ...` and `seeds = [...]`" });
    } else {
      bag.report(D.misplacedEntry, ["a sweep holds `axis` declarations, `members = ...` and `seeds = [...]`"], e.span);
    }
  }
  if (bag.errorCount > before) return undefined;
  // counted before anything is built: a product of big axes would exhaust memory before it could be refused
  const count = (membersExpr ? countMembers(membersExpr, axes) : [...axes.values()].reduce((n, a) => n * axisSize(a), 1)) * (seeds?.length ?? 1);
  if (count > MAX_SWEEP_MEMBERS) {
    bag.report(D.tooManyMembers, [`'${decl.name.text}'`, count.toLocaleString("en-US"), MAX_SWEEP_MEMBERS.toLocaleString("en-US")], decl.name.span);
    return undefined;
  }
  let members: Member[] = membersExpr ? (combine(membersExpr, axes, bag) ?? []) : [...axes.values()].reduce<Member[]>((acc, a) => product(acc, axisMembers(a)), [[]]);
  if (bag.errorCount > before) return undefined;
  if (membersExpr) {
    const used = referencedNames(membersExpr);
    for (const a of axes.values()) if (!used.has(a.name)) bag.report(D.unusedAxis, [`'${a.name}'`], a.span);
  }
  if (seeds) members = members.flatMap((m) => seeds!.map((s) => [...m, { axis: "seed", label: String(s), value: { t: "num", v: s, span: decl.span } as Value }]));
  if (members.length === 0) {
    bag.report(D.emptySweep, [`'${decl.name.text}'`], decl.name.span);
    return undefined;
  }

  const out: SweepMember[] = [];
  for (const [index, m] of members.entries()) {
    const tree = cloneTree(base);
    const changes: { path: string; value: unknown }[] = [];
    for (const a of m) {
      if (a.alt) {
        mergeEntries(tree.root, tree.params, a.alt.entries, scope, bag, { topLevel: true, allowRemove: true, where: `alternative ${a.label}` });
        changes.push({ path: a.axis, value: a.label });
      } else if (a.axis === "seed") {
        tree.root.entries.set("seed", { kind: "attr", name: "seed", expr: valueToExpr(a.value!), scope, span: decl.span, argEdits: new Map() });
        changes.push({ path: "seed", value: valueToJson(a.value!) });
      } else {
        const p = tree.params.get(a.axis)!;
        p.override = { expr: valueToExpr(a.value!), scope, span: a.value!.span };
        changes.push({ path: a.axis, value: valueToJson(a.value!) });
      }
    }
    const name = m.map((a) => `${a.axis}=${a.label}`).join(",") || "base";
    const reported = bag.items.length;
    const compiled = planFromTree(tree, { experiment: targetName, sourceFile: entry, sweep: { name: decl.name.text, member: name, index, changes }, checkOnly }, bag);
    // A problem that only some members have points into the shared experiment: say which member (the
    // bag keeps one copy of a repeated diagnostic, so this names the first member that has it).
    for (const d of bag.items.slice(reported)) d.notes.push({ message: `in sweep ${decl.name.text}, member ${index} (${name})` });
    const member: SweepMember = { index, name, changes };
    if (compiled) member.plan = compiled.plan;
    out.push(member);
  }
  return out;
}

/** The most members a sweep may have: each is compiled and checked as a whole plan. */
export const MAX_SWEEP_MEMBERS = 10_000;

function axisSize(a: Axis): number {
  return a.values ? a.values.length : (a.alts ?? []).length;
}

/** How many members `members = e` makes at most (a `where` filter can only remove), without making them. */
function countMembers(e: Expr, axes: Map<string, Axis>): number {
  switch (e.kind) {
    case "paren":
      return countMembers(e.inner, axes);
    case "ref": {
      const a = axes.get(joinPath(e.path));
      return a ? axisSize(a) : 0;
    }
    case "call": {
      const parts = e.args.map((x) => countMembers(x.value, axes));
      const fn = joinPath(e.callee);
      if (fn === "concat") return parts.reduce((a, b) => a + b, 0);
      if (fn === "zip") return Math.max(0, ...parts);
      return parts.reduce((a, b) => a * b, 1);
    }
    case "where":
      return countMembers(e.source, axes);
    default:
      return 0;
  }
}

/** The names a members expression refers to (axes in its combinators and in its `where` filters). */
function referencedNames(e: Expr): Set<string> {
  const out = new Set<string>();
  const stack: unknown[] = [e];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== "object") continue;
    if (Array.isArray(x)) stack.push(...x);
    else {
      const node = x as { kind?: string; path?: { text: string }[] };
      if (node.kind === "ref" && node.path) out.add(node.path.map((p) => p.text).join("."));
      for (const [k, v] of Object.entries(node)) if (k !== "span" && typeof v === "object") stack.push(v);
    }
  }
  return out;
}

/** Warns once per value that an axis (or `seeds`) lists more than once. */
function reportRepeats(labels: string[], what: string, span: Span, bag: DiagnosticBag): void {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const l of labels) (seen.has(l) ? repeated : seen).add(l);
  for (const l of repeated) bag.report(D.repeatedValue, [what, l], span);
}

function axisMembers(a: Axis): Member[] {
  if (a.values) return a.values.map((v) => [{ axis: a.name, label: label(v), value: v }]);
  return (a.alts ?? []).map((b) => [{ axis: a.name, label: b.type.text, alt: b }]);
}

function product(a: Member[], b: Member[]): Member[] {
  return a.flatMap((x) => b.map((y) => [...x, ...y]));
}

function combine(e: Expr, axes: Map<string, Axis>, bag: DiagnosticBag): Member[] | undefined {
  switch (e.kind) {
    case "paren":
      return combine(e.inner, axes, bag);
    case "ref": {
      const name = joinPath(e.path);
      const axis = axes.get(name);
      if (!axis) {
        const hint = didYouMean(name, axes.keys());
        bag.report(D.unknownAxis, [`'${name}'`], e.span, hint ? { hint } : { hint: `axes: ${[...axes.keys()].join(", ") || "none"}` });
        return undefined;
      }
      return axisMembers(axis);
    }
    case "call": {
      const fn = joinPath(e.callee);
      const parts = e.args.map((a) => combine(a.value, axes, bag));
      if (parts.some((p) => p === undefined)) return undefined;
      const lists = parts as Member[][];
      if (fn === "concat") return lists.flat();
      if (fn === "product" || fn === "zip") {
        if (lists.length === 0) {
          bag.report(D.badMembers, [`${fn}() needs at least one axis`], e.span);
          return undefined;
        }
        const axesOf = lists.map((l) => new Set(l.flatMap((m) => m.map((a) => a.axis))));
        for (let i = 0; i < axesOf.length; i++) {
          for (let j = i + 1; j < axesOf.length; j++) {
            const dup = [...axesOf[i]!].find((x) => axesOf[j]!.has(x));
            if (dup) {
              bag.report(D.axisTwice, [`'${dup}'`], e.span);
              return undefined;
            }
          }
        }
        if (fn === "product") return lists.reduce<Member[]>((acc, l) => product(acc, l), [[]]);
        const n = lists[0]!.length;
        if (lists.some((l) => l.length !== n)) {
          bag.report(D.zipLengths, [lists.map((l) => String(l.length)).join(" and ")], e.span);
          return undefined;
        }
        return Array.from({ length: n }, (_, i) => lists.flatMap((l) => l[i]!));
      }
      const hint = didYouMean(fn, ["product", "zip", "concat"]);
      bag.report(D.badMembers, [`unknown combinator '${fn}' (use product, zip or concat)`], e.callee[0]!.span, hint ? { hint } : undefined);
      return undefined;
    }
    case "where": {
      const src = combine(e.source, axes, bag);
      if (!src) return undefined;
      const out: Member[] = [];
      for (const m of src) {
        const keep = filterValue(e.filter, m, axes, bag);
        if (keep === undefined) return undefined;
        if (keep) out.push(m);
      }
      return out;
    }
    default:
      bag.report(D.badMembers, ["members must combine axes with product(...), zip(...), concat(...) and `where`"], e.span);
      return undefined;
  }
}

/** Evaluates a `where` filter for one member; axes not set by the member are `none`. */
function filterValue(e: Expr, m: Member, axes: Map<string, Axis>, bag: DiagnosticBag): boolean | undefined {
  const v = evalFilter(e, m, axes, bag);
  if (v === undefined) return undefined;
  if (v.t !== "bool") {
    bag.report(D.filterNotBool, [describeValue(v)], e.span);
    return undefined;
  }
  return v.v;
}

/** A `where` filter: names are the member's axes (a label compares as a symbol); the rest is the language's expressions. */
class FilterEvaluator extends ExprEvaluator<Member> {
  constructor(
    private readonly axes: Map<string, Axis>,
    bag: DiagnosticBag,
  ) {
    super(bag);
  }

  protected ref(e: Extract<Expr, { kind: "ref" }>, m: Member): Value | undefined {
    const name = joinPath(e.path);
    const a = m.find((x) => x.axis === name);
    if (a) return a.value ?? { t: "sym", name: a.label, span: e.span };
    if (this.axes.has(name)) return { t: "none", span: e.span };
    // Other bare names compare as symbols (`ablation != no_priming`).
    if (e.path.length === 1) return { t: "sym", name, span: e.span };
    this.bag.report(D.unknownAxis, [`'${name}'`], e.span);
    return undefined;
  }
}

function evalFilter(e: Expr, m: Member, axes: Map<string, Axis>, bag: DiagnosticBag): Value | undefined {
  return new FilterEvaluator(axes, bag).expr(e, m);
}
