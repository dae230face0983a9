import { Lexer, type ILexingError, type IToken } from "./chevrotain.js";
import { allTokens } from "./tokens.js";

/**
 * chevrotain's self-checks of the token and rule definitions cost tens of milliseconds at every start;
 * they run in the test suite (VPAE_GRAMMAR_VALIDATE=1, test/grammar) and are skipped otherwise.
 */
export const skipValidations = process.env["VPAE_GRAMMAR_VALIDATE"] !== "1";

const lexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false, skipValidations });

export interface TokenizeResult {
  tokens: IToken[];
  /** Comments, in source order (group "comments"); kept for the formatter. */
  comments: IToken[];
  errors: ILexingError[];
}

export function tokenize(text: string): TokenizeResult {
  const result = lexer.tokenize(text);
  return { tokens: result.tokens, comments: (result.groups["comments"] ?? []) as IToken[], errors: result.errors };
}
