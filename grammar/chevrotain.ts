// chevrotain's package entry loads its sources and lodash-es as hundreds of small ES modules (about
// 450 ms on this machine); its single-file bundle loads in about 30 ms. The CLI's cold start budget
// (`vpae check` <= 300 ms) needs the bundle, which the package ships but does not export by name.
import type * as Chevrotain from "chevrotain";

const bundle = new URL("../chevrotain.min.mjs", import.meta.resolve("chevrotain"));
const chevrotain = (await import(bundle.href)) as typeof Chevrotain;

export const { createToken, Lexer, CstParser, EOF } = chevrotain;
export type { CstNode, IToken, ITokenConfig, TokenType, ILexingError, IRecognitionException, IParserErrorMessageProvider, CstElement } from "chevrotain";
