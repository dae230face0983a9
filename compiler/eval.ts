// Compile-time evaluation of expressions: arithmetic on numbers, parameters and references to other
// settings (`teacher.arch.width`), calls bound to their named parameters. Errors become diagnostics
// and the failing value becomes `undefined`, so one bad value does not hide the others.
import type { Expr, Span } from "./syntax/ast.js";
import { joinPath } from "./syntax/ast.js";
import { D, type DiagnosticBag } from "./diagnostics/diagnostic.js";
import { didYouMean } from "./diagnostics/suggest.js";
import { FUNCTIONS } from "./functions.js";
import type { ExperimentTree, FileScope, TAttr, TParam } from "./tree.js";
import { lookup, keysAt } from "./tree.js";

export type Value =
  | { t: "num"; v: number; span: Span }
  | { t: "str"; v: string; span: Span }
  | { t: "bool"; v: boolean; span: Span }
  | { t: "none"; span: Span }
  | { t: "list"; items: Value[]; span: Span }
  | { t: "sym"; name: string; span: Span }
  | { t: "call"; name: string; args: Map<string, Value>; span: Span };

export function describeValue(v: Value): string {
  switch (v.t) {
    case "num":
      return `the number ${formatNumber(v.v)}`;
    case "str":
      return `the string ${JSON.stringify(v.v)}`;
    case "bool":
      return `${v.v}`;
    case "none":
      return "none";
    case "list":
      return "a list";
    case "sym":
      return `the name '${v.name}'`;
    case "call":
      return `${v.name}(...)`;
  }
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const s = String(n);
  return s.length > 12 ? n.toPrecision(6).replace(/\.?0+e/, "e") : s;
}

/** Plain JSON form of a value (for sweep change lists and `--list`). */
export function valueToJson(v: Value): unknown {
  switch (v.t) {
    case "num":
    case "str":
    case "bool":
      return v.v;
    case "none":
      return null;
    case "list":
      return v.items.map(valueToJson);
    case "sym":
      return v.name;
    case "call":
      return { [v.name]: Object.fromEntries([...v.args].map(([k, a]) => [k, valueToJson(a)])) };
  }
}

/**
 * Evaluates expressions: literals, lists, operators and function calls. What a name refers to is the
 * subclass's business: an experiment's parameters and settings (Evaluator), or a sweep member's axis
 * values (the `where` filter in sweep.ts). `S` is what a name is resolved in.
 */
export abstract class ExprEvaluator<S> {
  constructor(protected readonly bag: DiagnosticBag) {}

  protected abstract ref(e: Extract<Expr, { kind: "ref" }>, scope: S): Value | undefined;

  expr(e: Expr, scope: S): Value | undefined {
    switch (e.kind) {
      case "number":
        return { t: "num", v: e.value, span: e.span };
      case "string":
        return { t: "str", v: e.value, span: e.span };
      case "bool":
        return { t: "bool", v: e.value, span: e.span };
      case "none":
        return { t: "none", span: e.span };
      case "paren": {
        const v = this.expr(e.inner, scope);
        return v ? { ...v, span: e.span } : undefined;
      }
      case "list": {
        const items: Value[] = [];
        let ok = true;
        for (const it of e.items) {
          const v = this.expr(it, scope);
          if (v) items.push(v);
          else ok = false;
        }
        return ok ? { t: "list", items, span: e.span } : undefined;
      }
      case "ref":
        return this.ref(e, scope);
      case "call":
        return this.call(e, scope);
      case "unary": {
        const v = this.expr(e.operand, scope);
        if (!v) return undefined;
        if (e.op === "-") {
          if (v.t !== "num") return this.typeError(`'-' needs a number, not ${describeValue(v)}`, e.span);
          return { t: "num", v: -v.v, span: e.span };
        }
        if (v.t !== "bool") return this.typeError(`'not' needs true or false, not ${describeValue(v)}`, e.span);
        return { t: "bool", v: !v.v, span: e.span };
      }
      case "binary":
        return this.binary(e, scope);
      case "where":
        this.bag.report(D.misplacedEntry, ["`where` filters the members of a sweep and can only appear in `members = ...`"], e.span);
        return undefined;
    }
  }

  protected typeError(message: string, span: Span): undefined {
    this.bag.report(D.typeMismatch, [message], span);
    return undefined;
  }

  private call(e: Extract<Expr, { kind: "call" }>, scope: S): Value | undefined {
    const name = joinPath(e.callee);
    const spec = FUNCTIONS[name];
    if (!spec) {
      const hint = didYouMean(name, Object.keys(FUNCTIONS));
      this.bag.report(D.unknownFunction, [`'${name}'`], e.callee[0]!.span, hint ? { hint } : undefined);
      return undefined;
    }
    const positional: Value[] = [];
    const named = new Map<string, Value>();
    let ok = true;
    for (const a of e.args) {
      const v = this.expr(a.value, scope);
      if (!v) {
        ok = false;
        continue;
      }
      if (a.name) {
        if (named.has(a.name.text)) {
          this.bag.report(D.badArguments, [`argument '${a.name.text}' is given twice`], a.span);
          ok = false;
        }
        named.set(a.name.text, v);
      } else {
        if (named.size > 0) {
          this.bag.report(D.badArguments, ["positional arguments must come before named ones"], a.span);
          ok = false;
        }
        positional.push(v);
      }
    }
    if (!ok) return undefined;
    if (spec.variadic) return this.arith(name, positional, named, e.span);
    const args = new Map<string, Value>();
    if (positional.length > spec.params.length) {
      this.bag.report(D.badArguments, [`${name}() takes ${spec.params.length} argument${spec.params.length === 1 ? "" : "s"}, got ${positional.length}`], e.span);
      return undefined;
    }
    positional.forEach((v, i) => args.set(spec.params[i]!.name, v));
    for (const [k, v] of named) {
      if (!spec.params.some((p) => p.name === k)) {
        const hint = didYouMean(k, spec.params.map((p) => p.name));
        this.bag.report(D.badArguments, [`${name}() has no argument '${k}'`], e.args.find((a) => a.name?.text === k)!.span, hint ? { hint } : undefined);
        return undefined;
      }
      if (args.has(k)) {
        this.bag.report(D.badArguments, [`argument '${k}' of ${name}() is given twice`], e.span);
        return undefined;
      }
      args.set(k, v);
    }
    for (const p of spec.params) {
      if (args.has(p.name)) continue;
      if (p.default === undefined) {
        this.bag.report(D.badArguments, [`${name}() needs argument '${p.name}'`], e.span);
        return undefined;
      }
      args.set(p.name, defaultValue(p.default, e.span));
    }
    if (spec.group === "arithmetic") return this.arith(name, [...args.values()], new Map(), e.span);
    return { t: "call", name, args, span: e.span };
  }

  private arith(name: string, args: Value[], named: Map<string, Value>, span: Span): Value | undefined {
    if (named.size > 0) {
      this.bag.report(D.badArguments, [`${name}() takes no named arguments`], span);
      return undefined;
    }
    const nums: number[] = [];
    for (const a of args) {
      if (a.t !== "num") return this.typeError(`${name}() needs numbers, not ${describeValue(a)}`, a.span);
      nums.push(a.v);
    }
    if ((name === "min" || name === "max") && nums.length === 0) {
      this.bag.report(D.badArguments, [`${name}() needs at least one argument`], span);
      return undefined;
    }
    const x = nums[0]!;
    const fns: Record<string, () => number> = {
      min: () => Math.min(...nums),
      max: () => Math.max(...nums),
      abs: () => Math.abs(x),
      round: () => Math.sign(x) * Math.round(Math.abs(x)),
      floor: () => Math.floor(x),
      ceil: () => Math.ceil(x),
      sqrt: () => Math.sqrt(x),
      log: () => Math.log(x),
      exp: () => Math.exp(x),
    };
    const r = fns[name]!();
    if (!Number.isFinite(r)) {
      this.bag.report(D.nonFinite, [`${name}(${nums.map(formatNumber).join(", ")})`], span);
      return undefined;
    }
    return { t: "num", v: r, span };
  }

  private binary(e: Extract<Expr, { kind: "binary" }>, scope: S): Value | undefined {
    const l = this.expr(e.left, scope);
    const r = this.expr(e.right, scope);
    if (!l || !r) return undefined;
    return binaryOp(e.op, l, r, e.span, this.bag);
  }}

/** Expressions of an experiment: names are its parameters, file parameters and settings. */
export class Evaluator extends ExprEvaluator<FileScope> {
  private paramCache = new Map<string, Value | undefined>();
  private attrCache = new Map<TAttr, Value | undefined>();
  private stack: string[] = [];
  /** Parameters that some expression read (for the unused-parameter warning). */
  readonly usedParams = new Set<string>();

  constructor(
    private readonly tree: ExperimentTree,
    bag: DiagnosticBag,
  ) {
    super(bag);
  }

  param(name: string): Value | undefined {
    if (this.paramCache.has(name)) return this.paramCache.get(name);
    const p = this.tree.params.get(name)!;
    const v = this.guard(`parameter ${name}`, p.decl.name.span, () => this.paramValue(name, p));
    this.paramCache.set(name, v);
    return v;
  }

  private paramValue(name: string, p: TParam): Value | undefined {
    // A type error points at the value: the override's, or the declaration's `= ...` expression.
    const src = p.override ?? { expr: p.decl.value, scope: p.scope, span: p.decl.value.span };
    const v = this.expr(src.expr, src.scope);
    if (v && p.decl.type) {
      const type = p.decl.type.text;
      const ok =
        (type === "number" && v.t === "num") ||
        (type === "int" && v.t === "num" && Number.isInteger(v.v)) ||
        (type === "bool" && v.t === "bool") ||
        (type === "string" && v.t === "str") ||
        !["number", "int", "bool", "string"].includes(type);
      // An unknown type name is reported once per experiment by program.ts, read or not.
      if (!ok) {
        this.bag.report(D.paramType, [name, type, describeValue(v)], src.span, {
          notes: p.override ? [{ message: `${name} is declared here`, span: p.decl.span }] : [],
        });
        return undefined;
      }
    }
    return v;
  }

  attr(a: TAttr): Value | undefined {
    if (this.attrCache.has(a)) return this.attrCache.get(a);
    const v = this.guard(a.name, a.span, () => {
      const base = this.expr(a.expr, a.scope);
      if (!base || a.argEdits.size === 0) return base;
      if (base.t !== "call") {
        const [first] = [...a.argEdits.values()];
        this.bag.report(D.unknownOverride, [`${a.name}.${[...a.argEdits.keys()][0]}`, `${a.name} is ${describeValue(base)}, which has no arguments`], first!.span);
        return base;
      }
      const args = new Map(base.args);
      for (const [k, edit] of a.argEdits) {
        const spec = FUNCTIONS[base.name]!;
        if (!spec.params.some((p) => p.name === k)) {
          const hint = didYouMean(k, spec.params.map((p) => p.name));
          this.bag.report(D.badArguments, [`${base.name}() has no argument '${k}'`], edit.span, hint ? { hint } : undefined);
          continue;
        }
        const ev = this.expr(edit.expr, edit.scope);
        if (ev) args.set(k, ev);
      }
      return { ...base, args };
    });
    this.attrCache.set(a, v);
    return v;
  }

  private guard(key: string, span: Span, f: () => Value | undefined): Value | undefined {
    const at = this.stack.indexOf(key);
    if (at >= 0) {
      const cycle = [...this.stack.slice(at), key].join(" -> ");
      this.bag.report(D.referenceCycle, [key, cycle], span);
      return undefined;
    }
    this.stack.push(key);
    try {
      return f();
    } finally {
      this.stack.pop();
    }
  }

  protected ref(e: Extract<Expr, { kind: "ref" }>, scope: FileScope): Value | undefined {
    const first = e.path[0]!.text;
    if (e.path.length === 1) {
      if (this.tree.params.has(first)) {
        this.usedParams.add(first);
        const v = this.param(first);
        // A value from an override (--set, --params, a sweep axis) keeps its own position, so that a
        // bad value is reported where it was written (e.g. the YAML line), not at every use.
        if (v && this.tree.params.get(first)!.override) return v;
        return v ? { ...v, span: e.span } : undefined;
      }
      const fileParam = scope.params.get(first);
      if (fileParam) {
        const v = this.guard(`parameter ${first}`, fileParam.span, () => this.expr(fileParam.value, scope));
        return v ? { ...v, span: e.span } : undefined;
      }
      // A top-level setting of the experiment (`seed`, `batch`) can be read by its name.
      const top = this.tree.root.entries.get(first);
      if (top && top.kind === "attr") {
        const v = this.attr(top);
        return v ? { ...v, span: e.span } : undefined;
      }
      // Any other bare name is a symbol: a role, an enum value (`hinge`, `adam`).
      return { t: "sym", name: first, span: e.span };
    }
    const segs = e.path.map((n) => n.text);
    const found = lookup(this.tree.root, segs);
    if (!found) {
      const parent = segs.slice(0, -1);
      const hint = didYouMean(segs[segs.length - 1]!, keysAt(this.tree.root, parent));
      this.bag.report(D.unknownName, [`'${joinPath(e.path)}'`], e.span, hint ? { hint } : undefined);
      return undefined;
    }
    if (found.node.kind === "block") {
      this.bag.report(D.wrongValueKind, [`'${joinPath(e.path)}'`, "a value", "a block"], e.span);
      return undefined;
    }
    const v = this.attr(found.node);
    if (!v) return undefined;
    if (found.rest.length === 0) return { ...v, span: e.span };
    // Into a call's arguments: discriminator.d.t.low
    if (v.t === "call" && found.rest.length === 1 && v.args.has(found.rest[0]!)) return { ...v.args.get(found.rest[0]!)!, span: e.span };
    this.bag.report(D.unknownName, [`'${joinPath(e.path)}'`], e.span);
    return undefined;
  }
}

function defaultValue(d: number | boolean | string | null, span: Span): Value {
  if (d === null) return { t: "none", span };
  if (typeof d === "number") return { t: "num", v: d, span };
  if (typeof d === "boolean") return { t: "bool", v: d, span };
  return { t: "str", v: d, span };
}

function equal(a: Value, b: Value): boolean {
  if (a.t === "num" && b.t === "num") return a.v === b.v;
  if (a.t === "str" && b.t === "str") return a.v === b.v;
  if (a.t === "bool" && b.t === "bool") return a.v === b.v;
  if (a.t === "none" && b.t === "none") return true;
  if (a.t === "sym" && b.t === "sym") return a.name === b.name;
  if (a.t === "list" && b.t === "list") return a.items.length === b.items.length && a.items.every((x, i) => equal(x, b.items[i]!));
  return JSON.stringify(valueToJson(a)) === JSON.stringify(valueToJson(b));
}

/** Shared by expressions and sweep `where` filters. */
export function binaryOp(op: string, l: Value, r: Value, span: Span, bag: DiagnosticBag): Value | undefined {
  const fail = (msg: string) => {
    bag.report(D.typeMismatch, [msg], span);
    return undefined;
  };
  if (op === "and" || op === "or") {
    if (l.t !== "bool" || r.t !== "bool") return fail(`'${op}' needs true or false on both sides, not ${describeValue(l.t !== "bool" ? l : r)}`);
    return { t: "bool", v: op === "and" ? l.v && r.v : l.v || r.v, span };
  }
  if (op === "==" || op === "!=") {
    const eq = equal(l, r);
    return { t: "bool", v: op === "==" ? eq : !eq, span };
  }
  if (op === "+" && l.t === "str" && r.t === "str") return { t: "str", v: l.v + r.v, span };
  if (op === "+" && l.t === "list" && r.t === "list") return { t: "list", items: [...l.items, ...r.items], span };
  if (l.t !== "num" || r.t !== "num") {
    const bad = l.t !== "num" ? l : r;
    return fail(`'${op}' needs numbers, not ${describeValue(bad)}`);
  }
  const a = l.v;
  const b = r.v;
  let v: number | boolean;
  switch (op) {
    case "+": v = a + b; break;
    case "-": v = a - b; break;
    case "*": v = a * b; break;
    case "/": v = a / b; break;
    case "%": v = a % b; break;
    case "**": v = a ** b; break;
    case "<": v = a < b; break;
    case "<=": v = a <= b; break;
    case ">": v = a > b; break;
    case ">=": v = a >= b; break;
    default:
      return fail(`unknown operator ${op}`);
  }
  if (typeof v === "boolean") return { t: "bool", v, span };
  if (!Number.isFinite(v)) {
    bag.report(D.nonFinite, [`${formatNumber(a)} ${op} ${formatNumber(b)}`], span);
    return undefined;
  }
  return { t: "num", v, span };
}
