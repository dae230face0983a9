// Lexer and parser errors (raw chevrotain values) -> diagnostics, as Langium converts them.
import type { ILexingError, IRecognitionException, IToken } from "chevrotain";
import { MAX_NESTING, type ParseResult } from "../../grammar/index.js";
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

/** "U+00A0" */
export function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Characters that look like a space or like nothing, with what to do instead. */
const INVISIBLE: Record<string, [string, string]> = {
  "\u00a0": ["no-break space", "replace it with a plain space"],
  "\u2007": ["figure space", "replace it with a plain space"],
  "\u202f": ["narrow no-break space", "replace it with a plain space"],
  "\u3000": ["ideographic space", "replace it with a plain space"],
  "\u00ad": ["soft hyphen", "delete it"],
  "\u200b": ["zero-width space", "delete it"],
  "\u200c": ["zero-width non-joiner", "delete it"],
  "\u200d": ["zero-width joiner", "delete it"],
  "\u2060": ["word joiner", "delete it"],
  "\ufeff": ["zero-width no-break space (a byte order mark inside the file)", "delete it"],
  "\u200e": ["left-to-right mark", "delete it"],
  "\u200f": ["right-to-left mark", "delete it"],
  "\u202a": ["left-to-right embedding", "delete it"],
  "\u202b": ["right-to-left embedding", "delete it"],
  "\u202c": ["pop directional formatting", "delete it"],
  "\u202d": ["left-to-right override", "delete it"],
  "\u202e": ["right-to-left override", "delete it"],
  "\u2066": ["left-to-right isolate", "delete it"],
  "\u2067": ["right-to-left isolate", "delete it"],
  "\u2068": ["first strong isolate", "delete it"],
  "\u2069": ["pop directional isolate", "delete it"],
};

const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * The text gate, before lexing: a file that holds a NUL or a character that UTF-8 decoding could not
 * read (U+FFFD) is not text, and gets one diagnostic instead of one per byte; a leading byte order mark
 * is dropped. Returns the text to lex, or undefined when it is not text.
 */
export function textOf(file: string, raw: string, bag: DiagnosticBag): string | undefined {
  const bad = raw.search(/[\u0000\ufffd]/);
  if (bad >= 0) {
    const what = raw[bad] === "\u0000" ? "a NUL byte" : "bytes that are not UTF-8";
    bag.report(D.notText, [`${what} at line ${offsetSpan(file, raw, bad, 1).line}`], { ...offsetSpan(file, raw, bad, 1) });
    return undefined;
  }
  return raw.startsWith("\ufeff") ? raw.slice(1) : raw;
}

/** Warns of bidirectional controls inside strings and comments (elsewhere they are lexer errors). */
export function reportBidi(file: string, text: string, tokens: readonly IToken[], comments: readonly IToken[], bag: DiagnosticBag): void {
  for (const [list, where] of [
    [tokens, "string"],
    [comments, "comment"],
  ] as const) {
    for (const t of list) {
      if (where === "string" && t.tokenType.name !== "StringLiteral") continue;
      const i = t.image.search(BIDI);
      if (i >= 0) bag.report(D.bidiControl, [codePoint(t.image[i]!), where], offsetSpan(file, text, t.startOffset + i, 1));
    }
  }
}

/**
 * Where an unterminated `/*` comment starts, if any. The comment token needs its closing `*\/`; without
 * one the lexer falls back to a `/` followed directly by a `*` (or `**`) token, which no valid input has.
 */
export function unterminatedCommentStart(tokens: readonly IToken[]): number | undefined {
  for (let i = 0; i + 1 < tokens.length; i++) {
    const a = tokens[i]!;
    const b = tokens[i + 1]!;
    if (a.image === "/" && b.image.startsWith("*") && b.startOffset === a.startOffset + 1) return a.startOffset;
  }
  return undefined;
}

/**
 * Lexer errors -> diagnostics. With `tokens`, an unterminated block comment is reported too (once), and
 * lexer errors inside it (after its start) are dropped: they are text the user meant to comment out.
 */
export function reportLexErrors(file: string, text: string, errors: readonly ILexingError[], bag: DiagnosticBag, tokens?: readonly IToken[]): void {
  const cut = tokens ? unterminatedCommentStart(tokens) : undefined;
  if (cut !== undefined) bag.report(D.unterminatedComment, [], offsetSpan(file, text, cut, 2));
  for (const err of errors) {
    if (cut !== undefined && err.offset > cut) continue;
    const ch = text[err.offset] ?? "";
    if (ch === '"') bag.report(D.unterminatedString, [], offsetSpan(file, text, err.offset, 1));
    else if (ch === "/" && text[err.offset + 1] === "*") bag.report(D.unterminatedComment, [], offsetSpan(file, text, err.offset, 2));
    else if (INVISIBLE[ch] !== undefined) {
      const [name, fix] = INVISIBLE[ch]!;
      bag.report(D.invisibleCharacter, [`invisible character ${codePoint(ch)} (${name})`], offsetSpan(file, text, err.offset, 1), { hint: fix });
    } else {
      const shown = JSON.stringify(text.slice(err.offset, err.offset + Math.min(err.length, 10)));
      bag.report(D.unexpectedCharacter, [shown], offsetSpan(file, text, err.offset, err.length));
    }
  }
}

/**
 * The `{`, `(` or `[` that is still open at the end of the token stream, if any. Braces alone cannot
 * tell which block lacks its `}` (the last `}` closes the innermost open block), so indentation decides:
 * a `}` that starts its line closes the open block whose line has the same indentation, and the blocks
 * opened inside that one were never closed.
 */
function unclosedOpener(tokens: readonly IToken[], text: string): IToken | undefined {
  const pairs: Record<string, string> = { "}": "{", ")": "(", "]": "[" };
  const lines = text.split("\n");
  const indent = (line: number | undefined) => {
    const src = lines[(line ?? 1) - 1] ?? "";
    return src.length - src.trimStart().length;
  };
  const startsLine = (tok: IToken) => (lines[(tok.startLine ?? 1) - 1] ?? "").slice(0, (tok.startColumn ?? 1) - 1).trim() === "";
  const plain: IToken[] = [];
  for (const tok of tokens) {
    if (tok.image === "{" || tok.image === "(" || tok.image === "[") plain.push(tok);
    else if (pairs[tok.image] && plain.length > 0 && plain[plain.length - 1]!.image === pairs[tok.image]) plain.pop();
  }
  if (plain.length === 0) return undefined;
  const stack: IToken[] = [];
  let skipped: IToken | undefined;
  for (const tok of tokens) {
    if (tok.image === "{" || tok.image === "(" || tok.image === "[") stack.push(tok);
    else if (pairs[tok.image] && stack.length > 0 && stack[stack.length - 1]!.image === pairs[tok.image]) {
      const top = stack[stack.length - 1]!;
      if (tok.image === "}" && startsLine(tok) && indent(top.startLine) !== (tok.startColumn ?? 1) - 1) {
        // Find the open block this `}` lines up with; everything opened above it stayed open.
        let j = stack.length - 1;
        while (j >= 0 && !(stack[j]!.image === "{" && indent(stack[j]!.startLine) === (tok.startColumn ?? 1) - 1)) j--;
        if (j >= 0 && j < stack.length - 1) {
          skipped ??= stack[j + 1];
          stack.length = j;
          continue;
        }
      }
      stack.pop();
    }
  }
  return skipped ?? plain[plain.length - 1];
}

export function reportParseErrors(
  file: string,
  text: string,
  tokens: readonly IToken[],
  errors: readonly IRecognitionException[],
  bag: DiagnosticBag,
  lexErrors: readonly ILexingError[] = [],
): void {
  let lastLine = -1;
  // The lexer drops a character it cannot read; a parse error on the same line (`seed = $ }` then
  // lacks its value) follows from it and is left out.
  const lexLines = new Set(lexErrors.map((e) => offsetSpan(file, text, e.offset, 0).line));
  // Inside an unterminated comment (reported with the lexer errors) everything is a consequence of it.
  const cut = unterminatedCommentStart(tokens);
  for (const err of errors) {
    const [expected = "", found = "something else"] = err.message.split(SEP);
    const atEof = Number.isNaN(err.token.startOffset) || found === "end of file";
    if (cut !== undefined && (atEof || err.token.startOffset >= cut)) continue;
    if (atEof) {
      const opener = unclosedOpener(tokens, text);
      if (opener) {
        const closer = opener.image === "{" ? "{" : opener.image;
        const eof = offsetSpan(file, text, text.length, 0);
        bag.report(D.missingCloseBrace, [closer], tokenSpan(file, opener), { notes: [{ message: "the file ends here", span: eof }] });
        return;
      }
    }
    const span = atEof ? offsetSpan(file, text, Math.max(0, text.trimEnd().length), 0) : tokenSpan(file, err.token);
    // One message per line: recovery can produce follow-on errors on the same line.
    if (span.line === lastLine || lexLines.has(span.line)) continue;
    lastLine = span.line;
    // `f(, x)` and `[, x]`: a comma right after an opening bracket or another comma.
    const at = atEof ? -1 : tokens.findIndex((tk) => tk.startOffset === err.token.startOffset);
    const prev = at > 0 ? tokens[at - 1]!.image : undefined;
    if (err.token.image === "," && (prev === "(" || prev === "[" || prev === ",")) bag.report(D.emptyListElement, [], span);
    else if (expected === "") bag.report(D.unexpectedInput, [found], span);
    else bag.report(D.unexpectedToken, [expected, found], span);
  }
}

/**
 * Every syntax problem of a parse as diagnostics: lexer errors, parser errors, and input nested too
 * deeply to parse (then the parser did not run, and that is the only syntax error reported).
 */
export function reportSyntax(file: string, text: string, parsed: ParseResult, bag: DiagnosticBag): void {
  reportLexErrors(file, text, parsed.lexErrors, bag, parsed.tokens);
  reportBidi(file, text, parsed.tokens, parsed.comments, bag);
  if (parsed.tooDeep) {
    bag.report(D.nestingTooDeep, [String(MAX_NESTING)], tokenSpan(file, parsed.tooDeep));
    return;
  }
  reportParseErrors(file, text, parsed.tokens, parsed.parseErrors, bag, parsed.lexErrors);
}
