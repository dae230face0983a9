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
}

function run(text: string, rule: "file" | "expression"): ParseResult {
  const lexed = tokenize(text);
  const parser = parserInstance();
  parser.input = lexed.tokens;
  const cst = rule === "file" ? parser.file() : parser.expression();
  return { cst, tokens: lexed.tokens, comments: lexed.comments, lexErrors: lexed.errors, parseErrors: [...parser.errors] };
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
