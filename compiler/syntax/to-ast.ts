// CST (chevrotain) -> AST. Runs only on an error-free parse, so every required child is present.
import type { CstElement, CstNode, IToken } from "chevrotain";
import type { Argument, AxisEntry, BinaryOp, Block, Entry, Expr, Item, Name, ParamDecl, SourceFile, Span } from "./ast.js";
import { spanUnion } from "./ast.js";
import { D, type DiagnosticBag } from "../diagnostics/diagnostic.js";

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

export function tokenSpan(file: string, tok: IToken): Span {
  return {
    file,
    start: tok.startOffset,
    end: (tok.endOffset ?? tok.startOffset) + 1,
    line: tok.startLine ?? 1,
    col: tok.startColumn ?? 1,
    endLine: tok.endLine ?? tok.startLine ?? 1,
    endCol: (tok.endColumn ?? tok.startColumn ?? 1) + 1,
  };
}

class Converter {
  /** Offsets where each line starts, to turn node offsets into line:col. */
  private readonly lineStarts: number[];

  constructor(
    private readonly file: string,
    private readonly bag: DiagnosticBag,
    text = "",
  ) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of a 0-based offset. */
  private position(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }

  // ---- CST access helpers ----
  private nodes(c: Children, key: string): CstNode[] {
    return (c[key] ?? []).filter((x): x is CstNode => !isToken(x));
  }
  private node(c: Children, key: string): CstNode {
    return this.nodes(c, key)[0]!;
  }
  private tokens(c: Children, key: string): IToken[] {
    return (c[key] ?? []).filter(isToken);
  }
  private token(c: Children, key: string): IToken | undefined {
    return this.tokens(c, key)[0];
  }
  private name(tok: IToken): Name {
    return { text: tok.image, span: tokenSpan(this.file, tok) };
  }

  /** Span of a whole CST node: from its first token to its last. */
  private span(n: CstNode): Span {
    const loc = n.location;
    if (loc && loc.endOffset !== undefined && !Number.isNaN(loc.startOffset) && !Number.isNaN(loc.endOffset)) {
      const a = this.position(loc.startOffset);
      const b = this.position(loc.endOffset);
      return { file: this.file, start: loc.startOffset, end: loc.endOffset + 1, line: a.line, col: a.col, endLine: b.line, endCol: b.col + 1 };
    }
    let first: IToken | undefined;
    let last: IToken | undefined;
    const walk = (x: CstNode) => {
      for (const list of Object.values(x.children)) {
        for (const el of list ?? []) {
          if (isToken(el)) {
            if (Number.isNaN(el.startOffset)) continue;
            if (!first || el.startOffset < first.startOffset) first = el;
            if (!last || el.startOffset > last.startOffset) last = el;
          } else walk(el);
        }
      }
    };
    walk(n);
    if (!first || !last) return { file: this.file, start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
    return spanUnion(tokenSpan(this.file, first), tokenSpan(this.file, last));
  }

  // ---- declarations ----
  convertFile(cst: CstNode, path: string, text: string): SourceFile {
    const items: Item[] = [];
    for (const item of this.nodes(cst.children, "item")) {
      const c = item.children;
      if (c["importDecl"]) {
        const n = this.node(c, "importDecl");
        const str = this.token(n.children, "StringLiteral")!;
        const alias = this.token(n.children, "Identifier");
        const decl: Item = { kind: "import", path: this.stringValue(str), pathSpan: tokenSpan(this.file, str), span: this.span(n) };
        if (alias) decl.alias = this.name(alias);
        items.push(decl);
      } else if (c["paramDecl"]) {
        items.push(this.param(this.node(c, "paramDecl")));
      } else if (c["experimentDecl"]) {
        const n = this.node(c, "experimentDecl");
        const block = this.block(this.node(n.children, "block"));
        const decl: Item = {
          kind: "experiment",
          template: this.token(n.children, "Template") !== undefined,
          name: this.name(this.token(n.children, "Identifier")!),
          entries: block.entries,
          span: this.span(n),
          closeSpan: block.closeSpan,
        };
        if (n.children["qualifiedName"]) decl.base = this.qualified(this.node(n.children, "qualifiedName"));
        items.push(decl);
      } else if (c["sweepDecl"]) {
        const n = this.node(c, "sweepDecl");
        const block = this.block(this.node(n.children, "block"));
        items.push({
          kind: "sweep",
          name: this.name(this.token(n.children, "Identifier")!),
          target: this.qualified(this.node(n.children, "qualifiedName")),
          entries: block.entries,
          span: this.span(n),
          closeSpan: block.closeSpan,
        });
      }
    }
    return { path, text, items, comments: [] };
  }

  private param(n: CstNode): ParamDecl {
    const p: ParamDecl = {
      kind: "param",
      name: this.name(this.tokens(n.children, "name")[0]!),
      value: this.expression(this.node(n.children, "expression")),
      span: this.span(n),
    };
    const type = this.tokens(n.children, "type")[0];
    if (type) p.type = this.name(type);
    return p;
  }

  private qualified(n: CstNode): Name[] {
    return this.tokens(n.children, "Identifier").sort((a, b) => a.startOffset - b.startOffset).map((t) => this.name(t));
  }

  private block(n: CstNode): { entries: Entry[]; closeSpan: Span } {
    const entries = this.nodes(n.children, "entry").map((e) => this.entry(e));
    const close = this.token(n.children, "RCurly")!;
    return { entries, closeSpan: tokenSpan(this.file, close) };
  }

  private entry(n: CstNode): Entry {
    const c = n.children;
    if (c["paramDecl"]) return this.param(this.node(c, "paramDecl"));
    if (c["removeEntry"]) {
      const r = this.node(c, "removeEntry");
      return { kind: "remove", path: this.qualified(this.node(r.children, "qualifiedName")), span: this.span(r) };
    }
    if (c["axisEntry"]) {
      const a = this.node(c, "axisEntry");
      const axis: AxisEntry = { kind: "axis", name: this.name(this.token(a.children, "Identifier")!), span: this.span(a) };
      if (a.children["expression"]) axis.values = this.expression(this.node(a.children, "expression"));
      else {
        const b = this.block(this.node(a.children, "block"));
        axis.alternatives = b.entries.filter((x): x is Block => x.kind === "block");
        axis.closeSpan = b.closeSpan;
        for (const other of b.entries.filter((x) => x.kind !== "block")) {
          this.bag.report(D.misplacedEntry, ["an axis block holds named alternatives (`name { ... }`), nothing else"], other.span);
        }
      }
      return axis;
    }
    const ab = this.node(c, "attributeOrBlock");
    const keys = this.tokens(ab.children, "key").sort((a, b) => a.startOffset - b.startOffset).map((t) => this.name(t));
    if (ab.children["block"]) {
      const b = this.block(this.node(ab.children, "block"));
      const block: Block = { kind: "block", type: keys[0]!, entries: b.entries, span: this.span(ab), closeSpan: b.closeSpan };
      const label = this.tokens(ab.children, "label")[0];
      if (label) block.label = this.name(label);
      return block;
    }
    return { kind: "attribute", path: keys, value: this.expression(this.node(ab.children, "expression")), span: this.span(ab) };
  }

  // ---- expressions ----
  expression(n: CstNode): Expr {
    const inner = this.orExpr(this.nodes(n.children, "orExpression")[0]!);
    const filter = this.nodes(n.children, "filter")[0];
    if (!filter) return inner;
    return { kind: "where", source: inner, filter: this.orExpr(filter), span: this.span(n) };
  }

  /** Left-associative chain: operands[0] op[0] operands[1] op[1] ... */
  private chain(n: CstNode, sub: (x: CstNode) => Expr): Expr {
    const operands = this.nodes(n.children, "operands").map(sub);
    const ops = this.tokens(n.children, "operators").sort((a, b) => a.startOffset - b.startOffset);
    let acc = operands[0]!;
    for (let i = 0; i < ops.length; i++) {
      const right = operands[i + 1]!;
      acc = { kind: "binary", op: ops[i]!.image as BinaryOp, left: acc, right, span: spanUnion(acc.span, right.span) };
    }
    return acc;
  }

  private orExpr = (n: CstNode): Expr => this.chain(n, this.andExpr);
  private andExpr = (n: CstNode): Expr => this.chain(n, this.notExpr);
  private notExpr = (n: CstNode): Expr => {
    const not = this.token(n.children, "Not");
    if (not) {
      const operand = this.notExpr(this.node(n.children, "notExpression"));
      return { kind: "unary", op: "not", operand, span: spanUnion(tokenSpan(this.file, not), operand.span) };
    }
    return this.chain(this.node(n.children, "comparison"), this.additive);
  };
  private additive = (n: CstNode): Expr => this.chain(n, this.multiplicative);
  private multiplicative = (n: CstNode): Expr => this.chain(n, this.unary);
  private unary = (n: CstNode): Expr => {
    const minus = this.token(n.children, "Minus");
    if (minus) {
      const operand = this.unary(this.node(n.children, "unary"));
      return { kind: "unary", op: "-", operand, span: spanUnion(tokenSpan(this.file, minus), operand.span) };
    }
    const p = this.node(n.children, "power");
    const base = this.primary(this.node(p.children, "primary"));
    if (!p.children["Power"]) return base;
    const exp = this.unary(this.node(p.children, "unary"));
    return { kind: "binary", op: "**", left: base, right: exp, span: spanUnion(base.span, exp.span) };
  };

  private primary(n: CstNode): Expr {
    const c = n.children;
    const num = this.token(c, "NumberLiteral");
    if (num) return this.number(num);
    const str = this.token(c, "StringLiteral");
    if (str) return { kind: "string", value: this.stringValue(str), raw: str.image, span: tokenSpan(this.file, str) };
    const tr = this.token(c, "True") ?? this.token(c, "False");
    if (tr) return { kind: "bool", value: tr.image === "true", span: tokenSpan(this.file, tr) };
    const none = this.token(c, "None");
    if (none) return { kind: "none", span: tokenSpan(this.file, none) };
    if (c["list"]) {
      const l = this.node(c, "list");
      this.checkCommas(l, "expression");
      return { kind: "list", items: this.nodes(l.children, "expression").map((x) => this.expression(x)), span: this.span(l) };
    }
    if (c["parenthesized"]) {
      const p = this.node(c, "parenthesized");
      return { kind: "paren", inner: this.expression(this.node(p.children, "expression")), span: this.span(p) };
    }
    const r = this.node(c, "reference");
    const path = this.qualified(this.node(r.children, "qualifiedName"));
    if (!r.children["callArguments"]) return { kind: "ref", path, span: this.span(r) };
    const argsNode = this.node(r.children, "callArguments");
    this.checkCommas(argsNode, "argument");
    const args: Argument[] = this.nodes(argsNode.children, "argument").map((a) => {
      const arg: Argument = { value: this.expression(this.node(a.children, "expression")), span: this.span(a) };
      const nm = this.tokens(a.children, "name")[0];
      if (nm) arg.name = this.name(nm);
      return arg;
    });
    return { kind: "call", callee: path, args, span: this.span(r) };
  }

  /** `[a,,b]` and `[,a]` parse (the grammar allows a trailing comma); report them here. */
  private checkCommas(n: CstNode, itemKey: string): void {
    const commas = this.tokens(n.children, "Comma");
    const items = this.nodes(n.children, itemKey);
    // Walk in source order: an element must sit between any two commas, and before the first.
    const seq: { comma: boolean; tok?: IToken; off: number }[] = [
      ...commas.map((t) => ({ comma: true, tok: t, off: t.startOffset })),
      ...items.map((x) => ({ comma: false, off: this.span(x).start })),
    ].sort((a, b) => a.off - b.off);
    let prevComma = true; // the opening bracket acts like a comma
    for (const s of seq) {
      if (s.comma && prevComma) {
        this.bag.report(D.emptyListElement, [], tokenSpan(this.file, s.tok!));
        return;
      }
      prevComma = s.comma;
    }
  }
  private number(tok: IToken): Expr {
    const raw = tok.image;
    const span = tokenSpan(this.file, tok);
    if (/__|_\.|\._|_$|_[eE]/.test(raw)) this.bag.report(D.invalidNumber, [`'${raw}'`], span);
    const value = Number(raw.replace(/_/g, ""));
    if (!Number.isFinite(value)) this.bag.report(D.nonFinite, [`'${raw}'`], span);
    // a whole number written out in digits must be exact: beyond 2^53 the nearest double differs
    else if (/^[\d_]+$/.test(raw) && !Number.isSafeInteger(value)) this.bag.report(D.inexactInteger, [`'${raw}'`, BigInt(value).toString()], span);
    return { kind: "number", value, raw, span };
  }

  private stringValue(tok: IToken): string {
    const body = tok.image.slice(1, -1);
    return body.replace(/\\(.)/g, (m, ch: string) => {
      switch (ch) {
        case "n":
          return "\n";
        case "t":
          return "\t";
        case "\\":
          return "\\";
        case '"':
          return '"';
        default:
          this.bag.report(D.invalidEscape, [`'${m}'`], tokenSpan(this.file, tok));
          return ch;
      }
    });
  }
}

export function cstToAst(cst: CstNode, path: string, text: string, bag: DiagnosticBag): SourceFile {
  return new Converter(path, bag, text).convertFile(cst, path, text);
}

export function cstToExpr(cst: CstNode, path: string, bag: DiagnosticBag, text = ""): Expr {
  return new Converter(path, bag, text).expression(cst);
}
