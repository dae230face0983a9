// Tokens of the .vpae language. Order matters: chevrotain tries patterns in the order of `allTokens`.
// Keywords come before `Identifier` and name it as `longer_alt`, so that `important` is one identifier
// and not the keyword `import` followed by `ant`.
//
// Every token says which characters can start it (start_chars_hint) and whether it can span lines
// (line_breaks). Without them chevrotain derives both by parsing each pattern's regular expression when
// the lexer is built, at every start of the CLI; with them the lexer works exactly the same.
import { createToken, Lexer, type ITokenConfig, type TokenType } from "./chevrotain.js";

const LETTERS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"];
const DIGITS = [..."0123456789"];

/** A token that cannot contain a line break. */
function token(config: ITokenConfig & { start_chars_hint: string[] }): TokenType {
  return createToken({ line_breaks: false, ...config });
}

// ---- trivia ----
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true, start_chars_hint: [" ", "\t", "\r", "\n"] });
// Comments are kept (group "comments") so that `vpae fmt` can put them back.
export const LineComment = token({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments", start_chars_hint: ["/"] });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
  start_chars_hint: ["/"],
});

// ---- identifiers and keywords ----
export const Identifier = token({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name", start_chars_hint: [...LETTERS, "_"] });

function keyword(word: string): TokenType {
  const name = word[0]!.toUpperCase() + word.slice(1);
  return token({ name, pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'`, start_chars_hint: [word[0]!] });
}

export const Import = keyword("import");
export const As = keyword("as");
export const Param = keyword("param");
export const Experiment = keyword("experiment");
export const Template = keyword("template");
export const Extends = keyword("extends");
export const Sweep = keyword("sweep");
export const Over = keyword("over");
export const Axis = keyword("axis");
export const Remove = keyword("remove");
export const True = keyword("true");
export const False = keyword("false");
export const None = keyword("none");
export const And = keyword("and");
export const Or = keyword("or");
export const Not = keyword("not");
export const Where = keyword("where");

export const keywords: readonly TokenType[] = [
  Import, As, Param, Experiment, Template, Extends, Sweep, Over, Axis, Remove, True, False, None, And, Or, Not, Where,
];

// ---- literals ----
// Digits may be grouped with underscores (1_000). A leading dot (.5) is accepted.
export const NumberLiteral = token({
  name: "NumberLiteral",
  pattern: /(?:\d[\d_]*(?:\.\d[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/,
  label: "a number",
  start_chars_hint: [...DIGITS, "."],
});
export const StringLiteral = token({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\n\r]|\\.)*"/,
  label: "a string",
  start_chars_hint: ['"'],
});

// ---- punctuation and operators (longer ones first) ----
export const LCurly = token({ name: "LCurly", pattern: /{/, label: "'{'", start_chars_hint: ["{"] });
export const RCurly = token({ name: "RCurly", pattern: /}/, label: "'}'", start_chars_hint: ["}"] });
export const LParen = token({ name: "LParen", pattern: /\(/, label: "'('", start_chars_hint: ["("] });
export const RParen = token({ name: "RParen", pattern: /\)/, label: "')'", start_chars_hint: [")"] });
export const LBracket = token({ name: "LBracket", pattern: /\[/, label: "'['", start_chars_hint: ["["] });
export const RBracket = token({ name: "RBracket", pattern: /]/, label: "']'", start_chars_hint: ["]"] });
export const Comma = token({ name: "Comma", pattern: /,/, label: "','", start_chars_hint: [","] });
export const Dot = token({ name: "Dot", pattern: /\./, label: "'.'", start_chars_hint: ["."] });
export const Colon = token({ name: "Colon", pattern: /:/, label: "':'", start_chars_hint: [":"] });
export const EqEq = token({ name: "EqEq", pattern: /==/, label: "'=='", start_chars_hint: ["="] });
export const NotEq = token({ name: "NotEq", pattern: /!=/, label: "'!='", start_chars_hint: ["!"] });
export const LessEq = token({ name: "LessEq", pattern: /<=/, label: "'<='", start_chars_hint: ["<"] });
export const GreaterEq = token({ name: "GreaterEq", pattern: />=/, label: "'>='", start_chars_hint: [">"] });
export const Less = token({ name: "Less", pattern: /</, label: "'<'", start_chars_hint: ["<"] });
export const Greater = token({ name: "Greater", pattern: />/, label: "'>'", start_chars_hint: [">"] });
export const Assign = token({ name: "Assign", pattern: /=/, label: "'='", start_chars_hint: ["="] });
export const Power = token({ name: "Power", pattern: /\*\*/, label: "'**'", start_chars_hint: ["*"] });
export const Plus = token({ name: "Plus", pattern: /\+/, label: "'+'", start_chars_hint: ["+"] });
export const Minus = token({ name: "Minus", pattern: /-/, label: "'-'", start_chars_hint: ["-"] });
export const Star = token({ name: "Star", pattern: /\*/, label: "'*'", start_chars_hint: ["*"] });
export const Slash = token({ name: "Slash", pattern: /\//, label: "'/'", start_chars_hint: ["/"] });
export const Percent = token({ name: "Percent", pattern: /%/, label: "'%'", start_chars_hint: ["%"] });

// NumberLiteral must precede Dot (".5"); comments must precede Slash.
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  ...keywords,
  Identifier,
  NumberLiteral,
  StringLiteral,
  LCurly, RCurly, LParen, RParen, LBracket, RBracket, Comma, Dot, Colon,
  EqEq, NotEq, LessEq, GreaterEq, Less, Greater, Assign,
  Power, Plus, Minus, Star, Slash, Percent,
];
