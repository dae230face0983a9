// Lexer and parser errors (raw chevrotain values) -> diagnostics, as Langium converts them.
import type { ILexingError, IRecognitionException, IToken } from "chevrotain";
import type { Span } from "./ast.js";
import { tokenSpan } from "./to-ast.js";
import { D, type DiagnosticBag } from "../diagnostics/diagnostic.js";

const SEP = "\u0000";

function offsetSpan(file: string, text: string, start: number, length: number): Span {
  let line = 1;
  let col = 1;
  for (let i = 0; i < start && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      col = 1;
    } else col++;
  }
  return { file, start, end: start + length, line, col, endLine: line, endCol: col + length };
}

export function reportLexErrors(file: string, text: string, errors: readonly ILexingError[], bag: DiagnosticBag): void {
  for (const err of errors) {
    const ch = text[err.offset] ?? "";
    if (ch === '"') bag.report(D.unterminatedString, [], offsetSpan(file, text, err.offset, 1));
    else if (ch === "/" && text[err.offset + 1] === "*") bag.report(D.unterminatedComment, [], offsetSpan(file, text, err.offset, 2));
    else {
      const shown = JSON.stringify(text.slice(err.offset, err.offset + Math.min(err.length, 10)));
      bag.report(D.unexpectedCharacter, [shown], offsetSpan(file, text, err.offset, err.length));
    }
  }
}

/** The `{`, `(` or `[` that is still open at the end of the token stream, if any. */
function unclosedOpener(tokens: readonly IToken[]): IToken | undefined {
  const pairs: Record<string, string> = { "}": "{", ")": "(", "]": "[" };
  const stack: IToken[] = [];
  for (const tok of tokens) {
    if (tok.image === "{" || tok.image === "(" || tok.image === "[") stack.push(tok);
    else if (pairs[tok.image] && stack.length > 0 && stack[stack.length - 1]!.image === pairs[tok.image]) stack.pop();
  }
  return stack[stack.length - 1];
}

export function reportParseErrors(
  file: string,
  text: string,
  tokens: readonly IToken[],
  errors: readonly IRecognitionException[],
  bag: DiagnosticBag,
): void {
  let lastLine = -1;
  for (const err of errors) {
    const [expected = "", found = "something else"] = err.message.split(SEP);
    const atEof = Number.isNaN(err.token.startOffset) || found === "end of file";
    if (atEof) {
      const opener = unclosedOpener(tokens);
      if (opener) {
        const closer = opener.image === "{" ? "{" : opener.image;
        const eof = offsetSpan(file, text, text.length, 0);
        bag.report(D.missingCloseBrace, [closer], tokenSpan(file, opener), { notes: [{ message: "the file ends here", span: eof }] });
        return;
      }
    }
    const span = atEof ? offsetSpan(file, text, Math.max(0, text.trimEnd().length), 0) : tokenSpan(file, err.token);
    // One message per line: recovery can produce follow-on errors on the same line.
    if (span.line === lastLine) continue;
    lastLine = span.line;
    if (expected === "") bag.report(D.unexpectedInput, [found], span);
    else bag.report(D.unexpectedToken, [expected, found], span);
  }
}
