// `--params file.yaml`: a YAML mapping from parameter names (or setting paths, nested or dotted) to
// values. Every value keeps its YAML line:col, so a bad value is reported in the YAML file.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { Expr, Span } from "./syntax/ast.js";
import { D, type DiagnosticBag } from "./diagnostics/diagnostic.js";
import type { Override } from "./build.js";
import { parseExprText } from "./build.js";

export function readParamsFile(path: string, text: string, bag: DiagnosticBag): Override[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const spanAt = (start: number, end: number): Span => {
    const a = lc.linePos(start);
    const b = lc.linePos(end);
    return { file: path, start, end, line: a.line, col: a.col, endLine: b.line, endCol: b.col };
  };
  for (const err of doc.errors) bag.report(D.paramsFile, [yamlProblem(err.code)], spanAt(err.pos[0], err.pos[1]));
  if (doc.errors.length > 0) return [];
  const out: Override[] = [];
  const root = doc.contents;
  if (root === null) return out;
  if (!isMap(root)) {
    const r = (root as Node).range ?? [0, 0, 0];
    bag.report(D.paramsFile, ["the file must be a mapping of names to values (name: value)"], spanAt(r[0], r[1]));
    return out;
  }
  const walk = (node: Node, prefix: string[]) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = pair.key as Node;
      const kr = key.range ?? [0, 0, 0];
      const keyText = isScalar(key) ? String(key.value) : "";
      if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(keyText)) {
        bag.report(D.paramsFile, [`'${keyText}' is not a parameter name or setting path`], spanAt(kr[0], kr[1]));
        continue;
      }
      const path = [...prefix, ...keyText.split(".")];
      const value = pair.value as Node | null;
      if (value && isMap(value)) {
        walk(value, path);
        continue;
      }
      const vr = value?.range ?? kr;
      const span = spanAt(vr[0], vr[1]);
      const converted = convert(value, span, path.join("."), bag);
      if (!converted) continue;
      const o: Override = { path, expr: converted.expr, span };
      if (converted.raw !== undefined) o.rawString = converted.raw;
      out.push(o);
    }
  };
  walk(root, []);
  return out;
}

/** The YAML parser's error codes in vpae's words (its own messages name its API, not the user's file). */
const YAML_PROBLEMS: Record<string, string> = {
  MULTIPLE_DOCS: "the file holds more than one YAML document (a `---` line); --params takes one mapping",
  DUPLICATE_KEY: "this name appears twice in the mapping",
  BAD_INDENT: "the indentation does not fit the lines around it, or a [ or { is not closed",
  TAB_AS_INDENT: "a tab indents this line; YAML indents with spaces",
  MISSING_CHAR: "a closing bracket, brace or quote is missing",
  BLOCK_IN_FLOW: "a `name: value` line inside [ ] or { } (is a bracket left open?)",
  MULTILINE_IMPLICIT_KEY: "a name runs over more than one line (is a bracket or quote left open?)",
  BLOCK_AS_IMPLICIT_KEY: "a nested block where a name was expected",
  UNEXPECTED_TOKEN: "unexpected character here",
  BAD_SCALAR_START: "a value cannot start with this character (quote it)",
  BAD_DQ_ESCAPE: "invalid escape sequence in a double-quoted string",
  KEY_OVER_1024_CHARS: "a name longer than 1,024 characters",
  NON_STRING_KEY: "a name must be plain text",
};

function yamlProblem(code: string): string {
  return `not valid YAML: ${YAML_PROBLEMS[code] ?? "anchors, aliases, tags and directives are not for --params files, and the text here does not parse"}`;
}

function convert(node: Node | null, span: Span, name: string, bag: DiagnosticBag): { expr: Expr; raw?: string } | undefined {
  if (node === null || (isScalar(node) && node.value === null)) return { expr: { kind: "none", span } };
  if (isSeq(node)) {
    const items: Expr[] = [];
    for (const it of node.items) {
      const c = convert(it as Node, span, name, bag);
      if (!c) return undefined;
      items.push(c.expr);
    }
    return { expr: { kind: "list", items, span } };
  }
  if (!isScalar(node)) {
    bag.report(D.paramsFile, [`the value of ${name} must be a number, a string, true/false or a list`], span);
    return undefined;
  }
  const v = node.value;
  if (typeof v === "number") return { expr: { kind: "number", value: v, raw: String(v), span } };
  if (typeof v === "boolean") return { expr: { kind: "bool", value: v, span } };
  // A string is read as a .vpae expression (`hinge`, `uniform(0.9, 1)`); what does not parse as one
  // stays a string. Either way the YAML position is kept.
  const text = String(v);
  const quiet = new (bag.constructor as new () => DiagnosticBag)();
  const expr = parseExprText(text, span.file, quiet);
  if (expr && !quiet.hasErrors()) return { expr: respan(expr, span), raw: text };
  return { expr: { kind: "string", value: text, raw: JSON.stringify(text), span }, raw: text };
}

/** Points every node of an expression parsed from a YAML scalar at that scalar. */
function respan(e: Expr, span: Span): Expr {
  const copy = JSON.parse(JSON.stringify(e)) as Expr;
  const visit = (x: unknown) => {
    if (x && typeof x === "object") {
      const o = x as Record<string, unknown>;
      if ("file" in o && "line" in o && "col" in o) Object.assign(o, span);
      for (const v of Object.values(o)) visit(v);
    }
  };
  visit(copy);
  return copy;
}
