// Tokens of the .vpae language. Order matters: chevrotain tries patterns in the order of `allTokens`.
// Keywords come before `Identifier` and name it as `longer_alt`, so that `important` is one identifier
// and not the keyword `import` followed by `ant`.
import { createToken, Lexer, type TokenType } from "./chevrotain.js";

// ---- trivia ----
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });
// Comments are kept (group "comments") so that `vpae fmt` can put them back.
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});

// ---- identifiers and keywords ----
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

function keyword(word: string): TokenType {
  const name = word[0]!.toUpperCase() + word.slice(1);
  return createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'` });
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
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /(?:\d[\d_]*(?:\.\d[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/,
  label: "a number",
});
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\n\r]|\\.)*"/,
  label: "a string",
});

// ---- punctuation and operators (longer ones first) ----
export const LCurly = createToken({ name: "LCurly", pattern: /{/, label: "'{'" });
export const RCurly = createToken({ name: "RCurly", pattern: /}/, label: "'}'" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /]/, label: "']'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "'.'" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "':'" });
export const EqEq = createToken({ name: "EqEq", pattern: /==/, label: "'=='" });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/, label: "'!='" });
export const LessEq = createToken({ name: "LessEq", pattern: /<=/, label: "'<='" });
export const GreaterEq = createToken({ name: "GreaterEq", pattern: />=/, label: "'>='" });
export const Less = createToken({ name: "Less", pattern: /</, label: "'<'" });
export const Greater = createToken({ name: "Greater", pattern: />/, label: "'>'" });
export const Assign = createToken({ name: "Assign", pattern: /=/, label: "'='" });
export const Power = createToken({ name: "Power", pattern: /\*\*/, label: "'**'" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "'-'" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "'/'" });
export const Percent = createToken({ name: "Percent", pattern: /%/, label: "'%'" });

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
