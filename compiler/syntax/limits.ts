// Limits on the shape of the syntax tree that keep the compiler's recursive phases (evaluation,
// printing) within the stack. The parser's own limit (bracket nesting) is grammar/index.ts's MAX_NESTING.
import type { Expr, SourceFile } from "./ast.js";
import { D, type DiagnosticBag } from "../diagnostics/diagnostic.js";

/** How deep one expression's tree may be (`a + b + c ...` nests one level per operator). */
export const MAX_EXPRESSION_DEPTH = 1000;

const EXPR_KINDS = new Set(["number", "string", "bool", "none", "list", "ref", "call", "unary", "binary", "where", "paren"]);

/**
 * Reports every expression whose tree is deeper than MAX_EXPRESSION_DEPTH (VPAE1011), at the start of
 * the outermost expression; true when there was one. The walk keeps its own stack, so the check
 * itself cannot run out of stack, and later phases (evaluation, printing) recurse within the limit.
 */
export function reportLongExpressions(file: Pick<SourceFile, "items"> | { items: Expr[] }, bag: DiagnosticBag): boolean {
  const stack: { node: unknown; depth: number; root: Expr | null }[] = [{ node: file.items, depth: 0, root: null }];
  const reported = new Set<Expr>();
  while (stack.length > 0) {
    const { node, depth, root } = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      for (const x of node) stack.push({ node: x, depth, root });
      continue;
    }
    const isExpr = EXPR_KINDS.has((node as { kind?: string }).kind ?? "");
    const top = isExpr && root === null ? (node as Expr) : root;
    const d = isExpr ? depth + 1 : depth;
    if (top && d > MAX_EXPRESSION_DEPTH) {
      if (!reported.has(top)) bag.report(D.expressionTooLong, [String(MAX_EXPRESSION_DEPTH)], top.span);
      reported.add(top);
      continue;
    }
    for (const [k, v] of Object.entries(node)) if (k !== "span" && typeof v === "object") stack.push({ node: v, depth: d, root: top });
  }
  return reported.size > 0;
}

