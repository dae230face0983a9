// The .vpae abstract syntax tree. Every node keeps the source range it came from, so that every later
// diagnostic (and every plan value, via the source map) can point back at the text.

export interface Span {
  file: string;
  /** 0-based character offsets, end exclusive. */
  start: number;
  end: number;
  /** 1-based line and column of `start`. */
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export interface Name {
  text: string;
  span: Span;
}

export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "**" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "and" | "or";

export type Expr =
  | { kind: "number"; value: number; raw: string; span: Span }
  | { kind: "string"; value: string; raw: string; span: Span }
  | { kind: "bool"; value: boolean; span: Span }
  | { kind: "none"; span: Span }
  | { kind: "list"; items: Expr[]; span: Span }
  | { kind: "ref"; path: Name[]; span: Span }
  | { kind: "call"; callee: Name[]; args: Argument[]; span: Span }
  | { kind: "unary"; op: "-" | "not"; operand: Expr; span: Span }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: "where"; source: Expr; filter: Expr; span: Span }
  | { kind: "paren"; inner: Expr; span: Span };

export interface Argument {
  name?: Name;
  value: Expr;
  span: Span;
}

export interface ParamDecl {
  kind: "param";
  name: Name;
  type?: Name;
  value: Expr;
  span: Span;
}

export interface Attribute {
  kind: "attribute";
  /** `a.b.c = v` has the path [a, b, c]. */
  path: Name[];
  value: Expr;
  span: Span;
}

export interface Block {
  kind: "block";
  type: Name;
  label?: Name;
  entries: Entry[];
  span: Span;
  /** Range of the closing brace, where comments before it are printed. */
  closeSpan: Span;
}

export interface RemoveEntry {
  kind: "remove";
  path: Name[];
  span: Span;
}

export interface AxisEntry {
  kind: "axis";
  name: Name;
  /** `axis lr = [1e-6, 2e-6]` */
  values?: Expr;
  /** `axis ablation { full {} no_priming { remove phase.priming } }` */
  alternatives?: Block[];
  /** Range of the closing brace of an alternatives block. */
  closeSpan?: Span;
  span: Span;
}

export type Entry = ParamDecl | Attribute | Block | RemoveEntry | AxisEntry;

export interface ImportDecl {
  kind: "import";
  path: string;
  pathSpan: Span;
  alias?: Name;
  span: Span;
}

export interface ExperimentDecl {
  kind: "experiment";
  template: boolean;
  name: Name;
  base?: Name[];
  entries: Entry[];
  span: Span;
  closeSpan: Span;
}

export interface SweepDecl {
  kind: "sweep";
  name: Name;
  target: Name[];
  entries: Entry[];
  span: Span;
  closeSpan: Span;
}

export type Item = ImportDecl | ParamDecl | ExperimentDecl | SweepDecl;

export interface Comment {
  text: string;
  span: Span;
}

export interface SourceFile {
  path: string;
  text: string;
  items: Item[];
  comments: Comment[];
}

export function joinPath(path: readonly Name[]): string {
  return path.map((n) => n.text).join(".");
}

export function spanUnion(a: Span, b: Span): Span {
  return { file: a.file, start: a.start, end: b.end, line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol };
}
