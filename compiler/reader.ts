// Typed reading of a configuration block, for lowering. Every key a lowering function asks for is
// "known"; whatever remains in the block afterwards is reported as unknown, with a did-you-mean drawn
// from the known keys. Every value read is recorded in the source map under its plan pointer.
import type { Span } from "./syntax/ast.js";
import { D, type DiagnosticBag } from "./diagnostics/diagnostic.js";
import { didYouMean } from "./diagnostics/suggest.js";
import { describeValue, type Evaluator, type Value } from "./eval.js";
import type { TAttr, TBlock } from "./tree.js";

export interface LowerContext {
  bag: DiagnosticBag;
  ev: Evaluator;
  /** JSON pointer -> source span of the value that set it. */
  map: Map<string, Span>;
}

export class BlockReader {
  private known = new Set<string>();

  constructor(
    readonly ctx: LowerContext,
    readonly block: TBlock,
    /** Human name for messages: "phase priming", "teacher". */
    readonly what: string,
  ) {}

  get span(): Span {
    return this.block.span;
  }

  /** Marks a key as part of this block's vocabulary without reading it. */
  know(...keys: string[]): void {
    for (const k of keys) this.known.add(k);
  }

  attrNode(key: string): TAttr | undefined {
    this.known.add(key);
    const n = this.block.entries.get(key);
    if (!n) return undefined;
    if (n.kind !== "attr") {
      this.ctx.bag.report(D.wrongValueKind, [key, "a value (`key = ...`)", "a block"], n.span);
      return undefined;
    }
    return n;
  }

  has(key: string): boolean {
    return this.block.entries.has(key);
  }

  /** The evaluated value, or undefined if absent or broken (already reported). */
  value(key: string, pointer?: string): Value | undefined {
    const a = this.attrNode(key);
    if (!a) return undefined;
    const v = this.ctx.ev.attr(a);
    if (v && pointer !== undefined) this.ctx.map.set(pointer, a.span);
    return v;
  }

  /** A nested unlabelled block (`sampler { ... }`). */
  child(type: string): BlockReader | undefined {
    this.known.add(type);
    const n = this.block.entries.get(type);
    if (!n) return undefined;
    if (n.kind !== "block") {
      this.ctx.bag.report(D.wrongValueKind, [type, "a block `{ ... }`", "a value"], n.span);
      return undefined;
    }
    return new BlockReader(this.ctx, n, type);
  }

  /** All labelled blocks of a type (`phase NAME { ... }`), in source order. */
  labeled(type: string): { name: string; reader: BlockReader }[] {
    this.known.add(type);
    const out: { name: string; reader: BlockReader }[] = [];
    for (const n of this.block.entries.values()) {
      if (n.kind === "block" && n.type === type && n.label !== undefined) out.push({ name: n.label, reader: new BlockReader(this.ctx, n, `${type} ${n.label}`) });
    }
    return out;
  }

  /** Reports every entry nobody asked for. */
  finish(): void {
    for (const [key, n] of this.block.entries) {
      const type = n.kind === "block" ? n.type : key;
      if (this.known.has(type)) continue;
      const hint = didYouMean(type, this.known);
      const extra = hint ? { hint } : { hint: `known here: ${[...this.known].sort().join(", ")}` };
      if (n.kind === "block") this.ctx.bag.report(D.unknownBlock, [`'${type}'`, this.what], n.span, extra);
      else this.ctx.bag.report(D.unknownAttribute, [`'${key}'`, this.what], n.span, extra);
    }
  }

  // ---- typed accessors ----
  num(key: string, pointer: string, opts: NumOpts = {}): number | undefined {
    const v = this.value(key, pointer);
    if (v === undefined) {
      if (opts.default !== undefined) return opts.default;
      if (!this.has(key) && opts.required !== false) this.ctx.bag.report(D.missingAttribute, [`'${key}'`, this.what], this.block.span);
      return undefined;
    }
    return expectNumber(this.ctx, v, key, opts);
  }

  bool(key: string, pointer: string, def: boolean): boolean {
    const v = this.value(key, pointer);
    if (v === undefined) return def;
    if (v.t !== "bool") {
      this.ctx.bag.report(D.wrongValueKind, [key, "true or false", describeValue(v)], v.span);
      return def;
    }
    return v.v;
  }

  choice<T extends string>(key: string, pointer: string, choices: readonly T[], def: T | undefined): T | undefined {
    const v = this.value(key, pointer);
    if (v === undefined) {
      if (def === undefined && !this.has(key)) this.ctx.bag.report(D.missingAttribute, [`'${key}'`, this.what], this.block.span);
      return def;
    }
    return expectChoice(this.ctx, v, key, choices);
  }

  str(key: string, pointer: string, def?: string): string | undefined {
    const v = this.value(key, pointer);
    if (v === undefined) return def;
    if (v.t !== "str") {
      this.ctx.bag.report(D.wrongValueKind, [key, "a string", describeValue(v)], v.span);
      return def;
    }
    return v.v;
  }
}

export interface NumOpts {
  default?: number;
  required?: boolean;
  int?: boolean;
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Exclusive upper bound. */
  below?: number;
}

export function expectNumber(ctx: LowerContext, v: Value, key: string, opts: NumOpts = {}): number | undefined {
  if (v.t !== "num") {
    ctx.bag.report(D.wrongValueKind, [key, opts.int ? "a whole number" : "a number", describeValue(v)], v.span);
    return undefined;
  }
  const n = v.v;
  if (opts.int && !Number.isInteger(n)) {
    ctx.bag.report(D.wrongValueKind, [key, "a whole number", describeValue(v)], v.span);
    return undefined;
  }
  // 1e300 is a whole number to JavaScript, but no count or seed: whole-number settings stay exact
  if (opts.int && !Number.isSafeInteger(n)) {
    ctx.bag.report(D.outOfRange, [`${key} must be a whole number up to 2^53 (9007199254740992), not ${n}`], v.span);
    return undefined;
  }
  const bad =
    (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max) || (opts.above !== undefined && n <= opts.above) || (opts.below !== undefined && n >= opts.below);
  if (bad) {
    const parts: string[] = [];
    if (opts.above !== undefined) parts.push(`> ${opts.above}`);
    if (opts.min !== undefined) parts.push(`>= ${opts.min}`);
    if (opts.max !== undefined) parts.push(`<= ${opts.max}`);
    if (opts.below !== undefined) parts.push(`< ${opts.below}`);
    ctx.bag.report(D.outOfRange, [`${key} must be ${parts.join(" and ")}, not ${n}`], v.span);
    return undefined;
  }
  return n;
}

export function expectChoice<T extends string>(ctx: LowerContext, v: Value, key: string, choices: readonly T[]): T | undefined {
  // `none` is a keyword, so a choice named none arrives as the none value.
  const name = v.t === "sym" ? v.name : v.t === "str" ? v.v : v.t === "none" && (choices as readonly string[]).includes("none") ? "none" : undefined;
  if (name === undefined) {
    ctx.bag.report(D.wrongValueKind, [key, `one of ${choices.join(", ")}`, describeValue(v)], v.span);
    return undefined;
  }
  if (!(choices as readonly string[]).includes(name)) {
    const hint = didYouMean(name, choices);
    ctx.bag.report(D.unknownChoice, [`'${name}'`, `${key}'s choices: ${choices.join(", ")}`], v.span, hint ? { hint } : undefined);
    return undefined;
  }
  return name as T;
}
