// The configuration tree of one experiment: its own entries merged over its `extends` chain, with the
// edits of overrides and sweep members applied. Attributes stay unevaluated expressions until lowering
// reads them, so a template's `lr * 2` sees the extending experiment's `lr`.
import type { Block, Entry, Expr, Name, ParamDecl, Span } from "./syntax/ast.js";
import { joinPath } from "./syntax/ast.js";
import { D, type DiagnosticBag } from "./diagnostics/diagnostic.js";
import { didYouMean } from "./diagnostics/suggest.js";

/** Where an expression was written: its file-level parameters. */
export interface FileScope {
  file: string;
  params: Map<string, ParamDecl>;
}

export interface TAttr {
  kind: "attr";
  name: string;
  expr: Expr;
  scope: FileScope;
  span: Span;
  /** `head.queries = 8` edits one named argument of a call without restating the call. */
  argEdits: Map<string, { expr: Expr; scope: FileScope; span: Span }>;
}

export interface TBlock {
  kind: "block";
  type: string;
  label?: string;
  span: Span;
  entries: Map<string, TNode>;
}

export type TNode = TAttr | TBlock;

export interface TParam {
  decl: ParamDecl;
  scope: FileScope;
  /** Set by --set / --params / sweep axes. */
  override?: { expr: Expr; scope: FileScope; span: Span };
  /** Declared at the top of a file rather than in an experiment body (no unused warning: other experiments of the file may use it). */
  fileLevel?: boolean;
}

export interface ExperimentTree {
  root: TBlock;
  params: Map<string, TParam>;
}

/** Block types whose blocks carry a name: `phase warmup { }`. All others must not. */
export const LABELED_BLOCKS = new Set(["phase", "discriminator", "fake_score", "loss", "optimizer"]);

export function blockKey(type: string, label?: string): string {
  return label === undefined ? type : `${type}.${label}`;
}

/**
 * A copy whose blocks can be edited without touching the original (sweeps clone the base experiment
 * for every member). Attributes are shared, not copied: nothing edits an attribute in place (setPath
 * replaces the attribute whose call arguments it edits).
 */
export function cloneNode<N extends TNode>(n: N): N {
  if (n.kind === "attr") return n;
  const entries = new Map(n.entries);
  for (const [k, v] of entries) if (v.kind === "block") entries.set(k, cloneNode(v));
  return { ...n, entries } as N;
}

export function cloneTree(t: ExperimentTree): ExperimentTree {
  const params = new Map<string, TParam>();
  for (const [k, v] of t.params) params.set(k, { ...v });
  return { root: cloneNode(t.root), params };
}

/** Finds the node at a dotted path (`phase.priming.steps`); labelled blocks take two segments. */
export function lookup(root: TBlock, path: readonly string[]): { node: TNode; parent: TBlock; key: string; rest: string[] } | undefined {
  let cur: TBlock = root;
  let i = 0;
  while (i < path.length) {
    const seg = path[i]!;
    let key = seg;
    let node = cur.entries.get(seg);
    if (!node && i + 1 < path.length) {
      key = `${seg}.${path[i + 1]}`;
      node = cur.entries.get(key);
      if (node) i++;
    }
    if (!node) return undefined;
    i++;
    if (i === path.length || node.kind === "attr") return { node, parent: cur, key, rest: path.slice(i) };
    cur = node;
  }
  return undefined;
}

/** The keys a block offers at a path, for did-you-mean. */
export function keysAt(root: TBlock, path: readonly string[]): string[] {
  const prefix = path.length === 0 ? root : lookup(root, path)?.node;
  if (!prefix || prefix.kind !== "block") return [];
  return [...prefix.entries.keys()];
}

/**
 * Merges a body (of an experiment that extends another, or of a sweep alternative) into `target`.
 * Attributes replace, blocks merge recursively, `remove` deletes, `param` (re)declares.
 */
export function mergeEntries(
  target: TBlock,
  params: Map<string, TParam>,
  entries: readonly Entry[],
  scope: FileScope,
  bag: DiagnosticBag,
  options: { topLevel: boolean; allowRemove: boolean; where: string },
): void {
  const seen = new Map<string, Span>();
  const once = (key: string, span: Span, what: string) => {
    const prev = seen.get(key);
    if (prev) {
      bag.report(D.duplicateEntry, [what], span, { notes: [{ message: "first set here", span: prev }] });
      return false;
    }
    seen.set(key, span);
    return true;
  };
  for (const entry of entries) {
    switch (entry.kind) {
      case "param": {
        if (!options.topLevel) {
          bag.report(D.misplacedEntry, ["`param` is declared at the top of a file or an experiment, not inside a block"], entry.span);
          break;
        }
        if (!once(`param ${entry.name.text}`, entry.name.span, `parameter ${entry.name.text}`)) break;
        params.set(entry.name.text, { decl: entry, scope });
        break;
      }
      case "axis":
        bag.report(D.misplacedEntry, ["`axis` declares a sweep dimension and belongs in a `sweep` block"], entry.span);
        break;
      case "remove": {
        if (!options.allowRemove) {
          bag.report(D.misplacedEntry, ["`remove` only makes sense in an experiment that extends another, or in a sweep alternative"], entry.span);
          break;
        }
        removePath(target, entry.path, bag);
        break;
      }
      case "attribute": {
        const path = entry.path.map((n) => n.text);
        if (!once(path.join("."), entry.span, joinPath(entry.path))) break;
        setPath(target, entry.path, { kind: "attr", name: path[path.length - 1]!, expr: entry.value, scope, span: entry.span, argEdits: new Map() }, bag);
        break;
      }
      case "block": {
        const type = entry.type.text;
        const labeled = LABELED_BLOCKS.has(type);
        if (labeled && !entry.label) {
          bag.report(D.badLabel, [`a ${type} block needs a name: \`${type} NAME { ... }\``], entry.type.span);
          break;
        }
        if (!labeled && entry.label) {
          bag.report(D.badLabel, [`a ${type} block takes no name (found '${entry.label.text}')`], entry.label.span);
          break;
        }
        const key = blockKey(type, entry.label?.text);
        if (!once(key, entry.span, key.replace(".", " "))) break;
        let child = target.entries.get(key);
        if (!child || child.kind !== "block") {
          child = { kind: "block", type, span: entry.span, entries: new Map() };
          if (entry.label) child.label = entry.label.text;
          target.entries.set(key, child);
        } else {
          child.span = entry.span;
        }
        mergeBlockBody(child, entry, scope, bag, options);
        break;
      }
    }
  }
}

function mergeBlockBody(child: TBlock, entry: Block, scope: FileScope, bag: DiagnosticBag, options: { allowRemove: boolean; where: string }): void {
  mergeEntries(child, new Map(), entry.entries, scope, bag, { topLevel: false, allowRemove: options.allowRemove, where: options.where });
}

/** `a.b.c = v`: walks (creating blocks as needed) and sets the attribute, or a call argument edit. */
export function setPath(target: TBlock, path: readonly Name[], attr: TAttr, bag: DiagnosticBag): void {
  let cur = target;
  let i = 0;
  while (i < path.length - 1) {
    const seg = path[i]!.text;
    const next = path[i + 1]!.text;
    const plain = cur.entries.get(seg);
    if (plain && plain.kind === "attr") {
      // Into a call's named arguments: head.queries = 8
      const rest = path.slice(i + 1);
      if (rest.length !== 1) {
        bag.report(D.unknownOverride, [joinPath(path), `${seg} is a value, not a block`], path[i + 1]!.span);
        return;
      }
      // A copy: the attribute may be shared with the tree this one was cloned from (cloneNode).
      const argEdits = new Map(plain.argEdits).set(next, { expr: attr.expr, scope: attr.scope, span: attr.span });
      cur.entries.set(seg, { ...plain, argEdits });
      return;
    }
    if (plain && plain.kind === "block") {
      cur = plain;
      i++;
      continue;
    }
    if (LABELED_BLOCKS.has(seg) && i + 1 < path.length - 1) {
      const key = blockKey(seg, next);
      let b = cur.entries.get(key);
      if (!b || b.kind !== "block") {
        b = { kind: "block", type: seg, label: next, span: attr.span, entries: new Map() };
        cur.entries.set(key, b);
      }
      cur = b;
      i += 2;
      continue;
    }
    const b: TBlock = { kind: "block", type: seg, span: attr.span, entries: new Map() };
    cur.entries.set(seg, b);
    cur = b;
    i++;
  }
  const last = path[path.length - 1]!.text;
  const existing = cur.entries.get(last);
  if (existing && existing.kind === "block") {
    bag.report(D.wrongValueKind, [joinPath(path), "a block `{ ... }`", "a value"], attr.span);
    return;
  }
  cur.entries.set(last, attr);
}

export function removePath(target: TBlock, path: readonly Name[], bag: DiagnosticBag): void {
  const segs = path.map((n) => n.text);
  const found = lookup(target, segs);
  if (!found || found.rest.length > 0) {
    // Compare the whole path with every path the tree has: `phase.distil` is close to `phase.distill`
    // even though `phase` alone is no key (labelled blocks are stored as `phase.distill`).
    const h = didYouMean(segs.join("."), treePaths(target));
    bag.report(D.removeMissing, [joinPath(path)], spanOf(path), h ? { hint: h } : undefined);
    return;
  }
  found.parent.entries.delete(found.key);
}

/** Every path of a tree (`phase.priming`, `phase.priming.steps`, ...), for did-you-mean. */
export function treePaths(b: TBlock, prefix = ""): string[] {
  const out: string[] = [];
  for (const [k, n] of b.entries) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p);
    if (n.kind === "block") out.push(...treePaths(n, p));
  }
  return out;
}

function spanOf(path: readonly Name[]): Span {
  const a = path[0]!.span;
  const b = path[path.length - 1]!.span;
  return { ...a, end: b.end, endLine: b.endLine, endCol: b.endCol };
}
