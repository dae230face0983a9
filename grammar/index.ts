// Public surface of the grammar: raw chevrotain results, never thrown, never converted to diagnostics here.
import type { CstNode, ILexingError, IRecognitionException, IToken } from "./chevrotain.js";
import { tokenize } from "./lexer.js";
import { parserInstance } from "./parser.js";

export interface ParseResult {
  cst: CstNode;
  tokens: IToken[];
  comments: IToken[];
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
  /** The token at which the input nests deeper than MAX_NESTING (the parser did not run), if it does. */
  tooDeep?: IToken;
}

/**
 * How deep the parser may recurse: open brackets plus a run of prefix operators (`-`, `not`) or `**`
 * at one point of the input. The parser descends about a dozen rules per level, so the input is
 * refused before the parser's recursion can exhaust the stack. No sensible experiment comes near it.
 */
export const MAX_NESTING = 64;

const OPEN = new Set(["(", "[", "{"]);
const CLOSE = new Set([")", "]", "}"]);
/** Tokens after which a `-` is a binary minus (they end an operand). */
const OPERAND_END = new Set(["NumberLiteral", "StringLiteral", "Identifier", "True", "False", "None", "RParen", "RBracket", "RCurly"]);

/** The first token at which the nesting depth exceeds `limit`, if any (one pass over the tokens). */
export function nestingExceeds(tokens: readonly IToken[], limit = MAX_NESTING): IToken | undefined {
  const runs: number[] = [0]; // prefix-operator and `**` runs, one per open bracket level
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const name = t.tokenType.name;
    if (OPEN.has(t.image)) {
      runs.push(0);
    } else if (CLOSE.has(t.image)) {
      if (runs.length > 1) runs.pop();
    } else if (name === "Not" || name === "Power" || (name === "Minus" && !OPERAND_END.has(tokens[i - 1]?.tokenType.name ?? ""))) {
      runs[runs.length - 1]!++;
    } else if (name === "Comma" || name === "Assign" || name === "Colon") {
      runs[runs.length - 1] = 0;
    }
    if (runs.length - 1 + runs[runs.length - 1]! > limit) return t;
  }
  return undefined;
}

function run(text: string, rule: "file" | "expression"): ParseResult {
  const lexed = tokenize(text);
  const parser = parserInstance();
  const tooDeep = nestingExceeds(lexed.tokens);
  // Too deep to parse safely: the parser sees no tokens, and the caller reports `tooDeep`.
  parser.input = tooDeep ? [] : lexed.tokens;
  const cst = rule === "file" ? parser.file() : parser.expression();
  return { cst, tokens: lexed.tokens, comments: lexed.comments, lexErrors: lexed.errors, parseErrors: tooDeep ? [] : [...parser.errors], ...(tooDeep ? { tooDeep } : {}) };
}

/** Parse a whole .vpae file. */
export function parse(text: string): ParseResult {
  return run(text, "file");
}

/** Parse one expression (the value of `--set path=value`). */
export function parseExpression(text: string): ParseResult {
  return run(text, "expression");
}

export { tokenize } from "./lexer.js";
export * as tokens from "./tokens.js";
export type { CstNode, IToken, ILexingError, IRecognitionException };
