// The canonical printer behind `vpae fmt`. It prints the AST, not the tokens, so the layout is decided
// here alone: two-space indentation, one entry per line, `key = value`, single spaces around binary
// operators, lists and calls on one line. Only two things survive from the source layout: where the
// user wrote parentheses (they are AST nodes) and single blank lines between entries of a block.
//
// Comments are not in the AST; the printer places them by position while it walks the tree in source
// order, taking every comment exactly once:
//   - comments on the line where an entry (or a closing `}`) ends stay after it on that line; a comment
//     that starts on the line where such a trailing comment ends joins it (the "trailing chain");
//   - comments on the line of an opening `{` stay after the `{`;
//   - other comments before an entry, before a `}` or at the end of the file get lines of their own at the
//     entry's indentation (comments that shared a line in the source keep sharing it); one blank line
//     before such a line is kept when the source had one or more;
//   - comments inside an entry (within an expression, between header words) move: `/* */` comments to
//     the end of the entry's line, before its trailing comments; `//` comments (which would swallow the
//     rest of a line) to lines of their own just before the entry.
// Every rule places a comment where the same rule would place it again, which keeps fmt idempotent.
import { parse } from "../grammar/index.js";
import type { Block, Comment, Entry, Expr, Item, Name, SourceFile, Span } from "./syntax/ast.js";
import { joinPath } from "./syntax/ast.js";
import { cstToAst, tokenSpan } from "./syntax/to-ast.js";
import { reportSyntax, textOf } from "./syntax/from-chevrotain.js";
import { reportLongExpressions } from "./syntax/limits.js";
import { DiagnosticBag, type Diagnostic } from "./diagnostics/diagnostic.js";

const INDENT = "  ";

export interface ParsedSource {
  /** Absent when the text has errors (diagnostics then says which). */
  file?: SourceFile;
  diagnostics: Diagnostic[];
}

/**
 * Parses one file for formatting: syntax only, imports are not followed. Any error (including the few
 * that the AST conversion reports, such as `[a,,b]`) leaves `file` undefined, because the AST would not
 * hold everything the text says.
 */
export function parseSource(path: string, raw: string): ParsedSource {
  const bag = new DiagnosticBag();
  const text = textOf(path, raw, bag);
  if (text === undefined) return { diagnostics: bag.items };
  const parsed = parse(text);
  reportSyntax(path, text, parsed, bag);
  // The reporters fold follow-on errors into one message; any raw error at all still means "do not print".
  if (bag.hasErrors() || parsed.lexErrors.length > 0 || parsed.parseErrors.length > 0 || parsed.tooDeep) return { diagnostics: bag.items };
  const file = cstToAst(parsed.cst, path, text, bag);
  if (bag.hasErrors() || reportLongExpressions(file, bag)) return { diagnostics: bag.items };
  file.comments = parsed.comments.map((c) => ({ text: c.image, span: tokenSpan(path, c) }));
  return { file, diagnostics: bag.items };
}

export interface FormatResult {
  /** The canonical text; absent when the input has errors. */
  text?: string;
  diagnostics: Diagnostic[];
}

/** Parses and prints `text` (named `path` in diagnostics). */
export function formatText(path: string, text: string): FormatResult {
  const parsed = parseSource(path, text);
  if (!parsed.file) return { diagnostics: parsed.diagnostics };
  return { text: formatSource(parsed.file), diagnostics: parsed.diagnostics };
}

/** The canonical text of a parsed file (its `text` and `comments` must be those it was parsed from). */
export function formatSource(file: SourceFile): string {
  return new Printer(file).print();
}

// ---- expressions ----

function argument(a: { name?: Name; value: Expr }): string {
  return a.name ? `${a.name.text} = ${formatExpr(a.value)}` : formatExpr(a.value);
}

/**
 * One expression on one line. No parentheses are added or dropped: the AST came from the same grammar,
 * so printing the operators of each node between its operands gives back the same tree.
 */
export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case "number":
    case "string":
      return e.raw;
    case "bool":
      return e.value ? "true" : "false";
    case "none":
      return "none";
    case "list":
      return `[${e.items.map(formatExpr).join(", ")}]`;
    case "ref":
      return joinPath(e.path);
    case "call":
      return `${joinPath(e.callee)}(${e.args.map(argument).join(", ")})`;
    case "unary":
      return e.op === "not" ? `not ${formatExpr(e.operand)}` : `-${formatExpr(e.operand)}`;
    case "binary":
      return `${formatExpr(e.left)} ${e.op} ${formatExpr(e.right)}`;
    case "where":
      return `${formatExpr(e.source)} where ${formatExpr(e.filter)}`;
    case "paren":
      return `(${formatExpr(e.inner)})`;
  }
}

// ---- declarations and comments ----

function isLineComment(c: Comment): boolean {
  return c.text.startsWith("//");
}

function last<T>(xs: readonly T[]): T | undefined {
  return xs[xs.length - 1];
}

class Printer {
  private readonly text: string;
  private readonly comments: Comment[];
  /** Offsets of every "\n", for line numbers. */
  private readonly newlines: number[] = [];
  /** Index of the first comment not printed yet (comments are taken in source order). */
  private cursor = 0;
  private printed = 0;
  private readonly out: string[] = [];
  /** Source offset where the last printed line ended, for blank-line decisions. */
  private lastEnd = 0;
  /** Just after a `{` or at the top of the file: no blank line may follow. */
  private atStart = true;

  constructor(private readonly file: SourceFile) {
    this.text = file.text;
    this.comments = [...file.comments].sort((a, b) => a.span.start - b.span.start);
    for (let i = this.text.indexOf("\n"); i >= 0; i = this.text.indexOf("\n", i + 1)) this.newlines.push(i);
  }

  print(): string {
    const items = this.file.items;
    items.forEach((item, i) => {
      const limit = items[i + 1]?.span.start ?? this.text.length;
      // Top-level items are always one blank line apart; among an item's leading comments the source decides.
      const leading = this.takeBefore(item.span.start);
      const separated = i > 0;
      if (separated) this.blank();
      this.ownLines(0, leading, separated);
      if ((leading.length > 0 || !separated) && this.gapIsBlank(item.span.start)) this.blank();
      this.item(item, limit);
    });
    this.ownLines(0, this.takeBefore(Infinity));
    if (this.printed !== this.comments.length) {
      throw new Error(`formatter placed ${this.printed} of ${this.comments.length} comments of ${this.file.path}`);
    }
    return this.out.length === 0 ? "" : this.out.join("\n") + "\n";
  }

  // ---- positions ----

  /** 1-based line of a source offset (lines end at "\n"). */
  private lineOf(offset: number): number {
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  private endLine(span: Span): number {
    return this.lineOf(Math.max(span.start, span.end - 1));
  }

  /** Whether the source has a blank line between the last printed thing and `start`. */
  private gapIsBlank(start: number): boolean {
    if (this.atStart) return false;
    let n = 0;
    for (let i = this.lastEnd; i < start; i++) if (this.text.charCodeAt(i) === 10) n++;
    return n >= 2;
  }

  /** The offset of the `{` that follows `from`, past whitespace and comments. */
  private braceAfter(from: number): number {
    const t = this.text;
    let i = from;
    for (;;) {
      while (i < t.length && /\s/.test(t[i]!)) i++;
      if (t.startsWith("//", i)) {
        const nl = t.indexOf("\n", i);
        i = nl < 0 ? t.length : nl;
      } else if (t.startsWith("/*", i)) {
        i = t.indexOf("*/", i + 2) + 2;
      } else break;
    }
    if (t[i] !== "{") throw new Error(`formatter expected '{' at offset ${i} of ${this.file.path}`);
    return i;
  }

  // ---- comments ----

  /** Every comment not printed yet that starts before `end`. */
  private takeBefore(end: number): Comment[] {
    const taken: Comment[] = [];
    while (this.cursor < this.comments.length && this.comments[this.cursor]!.span.start < end) taken.push(this.comments[this.cursor++]!);
    this.printed += taken.length;
    return taken;
  }

  /** Comments that continue the line `line` (each may continue the line where the previous one ends), before `limit`. */
  private chain(line: number, limit: number): Comment[] {
    const taken: Comment[] = [];
    let current = line;
    for (;;) {
      const c = this.comments[this.cursor];
      if (!c || c.span.start >= limit || this.lineOf(c.span.start) !== current) break;
      taken.push(c);
      this.cursor++;
      current = this.endLine(c.span);
    }
    this.printed += taken.length;
    return taken;
  }

  // ---- output ----

  private emit(depth: number, line: string): void {
    this.out.push(INDENT.repeat(depth) + line);
  }

  private blank(): void {
    this.out.push("");
  }

  /**
   * Comments on lines of their own (before an entry, before a `}`, at the end of the file). Comments that
   * shared a line in the source share it here too; a blank line in the source before a line is kept.
   * `separated`: a blank line has just been printed, so none is added before the first line.
   */
  private ownLines(depth: number, comments: readonly Comment[], separated = false): void {
    let line: Comment[] = [];
    const flush = () => {
      if (line.length === 0) return;
      this.emit(depth, this.withComments(line[0]!.text, line.slice(1)));
      this.lastEnd = last(line)!.span.end;
      this.atStart = false;
      line = [];
    };
    for (const c of comments) {
      const prev = last(line);
      if (prev && this.endLine(prev.span) === this.lineOf(c.span.start)) {
        line.push(c);
        continue;
      }
      flush();
      if (!separated && this.gapIsBlank(c.span.start)) this.blank();
      separated = false;
      line.push(c);
    }
    flush();
  }

  /** `code` followed by the comments that go at the end of its line. */
  private withComments(code: string, comments: readonly Comment[]): string {
    return [code, ...comments.map((c) => c.text)].join(" ");
  }

  /**
   * Comments inside a construct: `//` ones are printed now, on their own lines (the caller is about to print
   * the construct); the `/* *\/` ones are returned, to end the construct's first line.
   */
  private innerComments(depth: number, end: number): Comment[] {
    const inner = this.takeBefore(end);
    for (const c of inner) if (isLineComment(c)) this.emit(depth, c.text);
    return inner.filter((c) => !isLineComment(c));
  }

  // ---- declarations ----

  private item(item: Item, limit: number): void {
    switch (item.kind) {
      case "import": {
        const path = this.text.slice(item.pathSpan.start, item.pathSpan.end);
        this.simple(0, `import ${path}${item.alias ? ` as ${item.alias.text}` : ""}`, item.span, limit);
        return;
      }
      case "param":
        this.entry(item, 0, limit);
        return;
      case "experiment": {
        const header = `${item.template ? "template" : "experiment"} ${item.name.text}${item.base ? ` extends ${joinPath(item.base)}` : ""}`;
        const headerEnd = (item.base ? last(item.base)! : item.name).span.end;
        this.braced(0, header, headerEnd, item.entries, item.closeSpan, limit);
        return;
      }
      case "sweep":
        this.braced(0, `sweep ${item.name.text} over ${joinPath(item.target)}`, last(item.target)!.span.end, item.entries, item.closeSpan, limit);
        return;
    }
  }

  private entry(e: Entry, depth: number, limit: number): void {
    switch (e.kind) {
      case "param":
        this.simple(depth, `param ${e.name.text}${e.type ? `: ${e.type.text}` : ""} = ${formatExpr(e.value)}`, e.span, limit);
        return;
      case "attribute":
        this.simple(depth, `${joinPath(e.path)} = ${formatExpr(e.value)}`, e.span, limit);
        return;
      case "remove":
        this.simple(depth, `remove ${joinPath(e.path)}`, e.span, limit);
        return;
      case "axis":
        if (e.values) this.simple(depth, `axis ${e.name.text} = ${formatExpr(e.values)}`, e.span, limit);
        else this.braced(depth, `axis ${e.name.text}`, e.name.span.end, e.alternatives ?? [], e.closeSpan ?? e.span, limit);
        return;
      case "block":
        this.block(e, depth, limit);
        return;
    }
  }

  private block(b: Block, depth: number, limit: number): void {
    const header = b.label ? `${b.type.text} ${b.label.text}` : b.type.text;
    this.braced(depth, header, (b.label ?? b.type).span.end, b.entries, b.closeSpan, limit);
  }

  /** A one-line construct: its inner comments, then the line with its trailing comments. */
  private simple(depth: number, code: string, span: Span, limit: number): void {
    const inner = this.innerComments(depth, span.end);
    const trailing = this.chain(this.endLine(span), limit);
    this.emit(depth, this.withComments(code, [...inner, ...trailing]));
    this.lastEnd = last(trailing)?.span.end ?? span.end;
    this.atStart = false;
  }

  /** `header {`, the entries one level deeper, `}`; or `header {}` when there is nothing inside. */
  private braced(depth: number, header: string, headerEnd: number, entries: readonly Entry[], close: Span, limit: number): void {
    const brace = this.braceAfter(headerEnd);
    const inner = this.innerComments(depth, brace);
    const afterBrace = this.chain(this.lineOf(brace), entries[0]?.span.start ?? close.start);
    const commentBeforeClose = (this.comments[this.cursor]?.span.start ?? Infinity) < close.start;
    if (entries.length === 0 && !commentBeforeClose) {
      // `header {}`, or `header { /* note */ }` when the block holds nothing but one-line /* */ comments.
      const oneLine = afterBrace.length === 0 || [...inner, ...afterBrace].every((c) => !isLineComment(c) && !c.text.includes("\n"));
      if (oneLine) {
        const trailing = this.chain(this.lineOf(close.start), limit);
        const code = afterBrace.length === 0 ? `${header} {}` : this.withComments(`${header} {`, [...inner, ...afterBrace]) + " }";
        this.emit(depth, this.withComments(code, afterBrace.length === 0 ? [...inner, ...trailing] : trailing));
        this.lastEnd = last(trailing)?.span.end ?? close.end;
        this.atStart = false;
        return;
      }
    }
    this.emit(depth, this.withComments(`${header} {`, [...inner, ...afterBrace]));
    this.lastEnd = last(afterBrace)?.span.end ?? brace + 1;
    this.atStart = true;
    entries.forEach((e, i) => {
      const entryLimit = entries[i + 1]?.span.start ?? close.start;
      this.ownLines(depth + 1, this.takeBefore(e.span.start));
      if (this.gapIsBlank(e.span.start)) this.blank();
      this.entry(e, depth + 1, entryLimit);
    });
    this.ownLines(depth + 1, this.takeBefore(close.start));
    const trailing = this.chain(this.lineOf(close.start), limit);
    this.emit(depth, this.withComments("}", trailing));
    this.lastEnd = last(trailing)?.span.end ?? close.end;
    this.atStart = false;
  }
}
