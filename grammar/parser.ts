// The .vpae grammar. It only recognises syntax: no semantics, no diagnostics type. Rule names follow
// docs/language.md ("Grammar"). The compiler turns the CST into an AST (compiler/syntax/to-ast.ts).
//
//   file        := item*
//   item        := importDecl | paramDecl | experimentDecl | sweepDecl
//   importDecl  := 'import' STRING ('as' NAME)?
//   paramDecl   := 'param' NAME (':' NAME)? '=' expression
//   experimentDecl := ('experiment' | 'template') NAME ('extends' qualifiedName)? block
//   sweepDecl   := 'sweep' NAME 'over' qualifiedName block
//   block       := '{' entry* '}'
//   entry       := paramDecl | removeEntry | axisEntry | attributeOrBlock
//   removeEntry := 'remove' path
//   axisEntry   := 'axis' NAME ('=' expression | block)
//   attributeOrBlock := path '=' expression | NAME NAME? block
import { CstParser, EOF, type CstNode, type IParserErrorMessageProvider, type IToken, type TokenType } from "./chevrotain.js";
import * as t from "./tokens.js";
import { skipValidations } from "./lexer.js";

/** Separates the "expected" and "found" parts of a syntax error message, so the compiler can word them. */
export const MESSAGE_SEPARATOR = "\u0000";

function label(tt: TokenType): string {
  if (tt === EOF) return "end of file";
  return typeof tt.LABEL === "string" ? tt.LABEL : tt.name;
}

export function describeToken(tok: IToken): string {
  if (tok.tokenType === EOF) return "end of file";
  if (tok.tokenType === t.Identifier) return `name '${tok.image}'`;
  return `'${tok.image}'`;
}

function alternatives(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  const shown = unique.slice(0, 6);
  const rest = unique.length > shown.length ? ", ..." : "";
  return `${shown.slice(0, -1).join(", ")}${rest} or ${shown[shown.length - 1]}`;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `${label(expected)}${MESSAGE_SEPARATOR}${describeToken(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `${MESSAGE_SEPARATOR}${describeToken(firstRedundant)}`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual }) => {
    const firsts = expectedPathsPerAlt.flatMap((alt) => alt.map((path) => (path[0] ? label(path[0]) : "")).filter(Boolean));
    return `${alternatives(firsts)}${MESSAGE_SEPARATOR}${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) => {
    const firsts = expectedIterationPaths.map((path) => (path[0] ? label(path[0]) : "")).filter(Boolean);
    return `${alternatives(firsts)}${MESSAGE_SEPARATOR}${describeToken(actual[0]!)}`;
  },
};

export class VpaeParser extends CstParser {
  constructor() {
    // nodeLocationTracking gives every CST node its range, so the AST builder never walks subtrees for spans.
    super(t.allTokens, { recoveryEnabled: true, maxLookahead: 2, errorMessageProvider: messages, skipValidations, nodeLocationTracking: "onlyOffset" });
    this.performSelfAnalysis();
  }

  public file = this.RULE("file", () => {
    this.MANY(() => this.SUBRULE(this.item));
  });

  private item = this.RULE("item", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.experimentDecl) },
      { ALT: () => this.SUBRULE(this.sweepDecl) },
    ]);
  });

  private importDecl = this.RULE("importDecl", () => {
    this.CONSUME(t.Import);
    this.CONSUME(t.StringLiteral);
    this.OPTION(() => {
      this.CONSUME(t.As);
      this.CONSUME(t.Identifier);
    });
  });

  private paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(t.Param);
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(t.Colon);
      this.CONSUME2(t.Identifier, { LABEL: "type" });
    });
    this.CONSUME(t.Assign);
    this.SUBRULE(this.expression);
  });

  private experimentDecl = this.RULE("experimentDecl", () => {
    this.OR([{ ALT: () => this.CONSUME(t.Experiment) }, { ALT: () => this.CONSUME(t.Template) }]);
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.Extends);
      this.SUBRULE(this.qualifiedName);
    });
    this.SUBRULE(this.block);
  });

  private sweepDecl = this.RULE("sweepDecl", () => {
    this.CONSUME(t.Sweep);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Over);
    this.SUBRULE(this.qualifiedName);
    this.SUBRULE(this.block);
  });

  private qualifiedName = this.RULE("qualifiedName", () => {
    this.CONSUME(t.Identifier);
    this.MANY(() => {
      this.CONSUME(t.Dot);
      this.CONSUME2(t.Identifier);
    });
  });

  private block = this.RULE("block", () => {
    this.CONSUME(t.LCurly);
    this.MANY(() => this.SUBRULE(this.entry));
    this.CONSUME(t.RCurly);
  });

  private entry = this.RULE("entry", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.removeEntry) },
      { ALT: () => this.SUBRULE(this.axisEntry) },
      { ALT: () => this.SUBRULE(this.attributeOrBlock) },
    ]);
  });

  private removeEntry = this.RULE("removeEntry", () => {
    this.CONSUME(t.Remove);
    this.SUBRULE(this.qualifiedName);
  });

  private axisEntry = this.RULE("axisEntry", () => {
    this.CONSUME(t.Axis);
    this.CONSUME(t.Identifier);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Assign);
          this.SUBRULE(this.expression);
        },
      },
      { ALT: () => this.SUBRULE(this.block) },
    ]);
  });

  // `a.b.c = expr` (an attribute, possibly through a dotted path) or `type label? { ... }` (a block).
  private attributeOrBlock = this.RULE("attributeOrBlock", () => {
    this.CONSUME(t.Identifier, { LABEL: "key" });
    this.OR([
      {
        ALT: () => {
          this.MANY(() => {
            this.CONSUME(t.Dot);
            this.CONSUME2(t.Identifier, { LABEL: "key" });
          });
          this.CONSUME(t.Assign);
          this.SUBRULE(this.expression);
        },
      },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME3(t.Identifier, { LABEL: "label" }));
          this.SUBRULE(this.block);
        },
      },
    ]);
  });

  // ---- expressions, lowest precedence first ----
  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.orExpression);
    this.OPTION(() => {
      this.CONSUME(t.Where);
      this.SUBRULE2(this.orExpression, { LABEL: "filter" });
    });
  });

  private orExpression = this.RULE("orExpression", () => {
    this.SUBRULE(this.andExpression, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(t.Or, { LABEL: "operators" });
      this.SUBRULE2(this.andExpression, { LABEL: "operands" });
    });
  });

  private andExpression = this.RULE("andExpression", () => {
    this.SUBRULE(this.notExpression, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(t.And, { LABEL: "operators" });
      this.SUBRULE2(this.notExpression, { LABEL: "operands" });
    });
  });

  private notExpression = this.RULE("notExpression", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Not);
          this.SUBRULE(this.notExpression);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  private comparison = this.RULE("comparison", () => {
    this.SUBRULE(this.additive, { LABEL: "operands" });
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(t.EqEq, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.NotEq, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.LessEq, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.GreaterEq, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.Less, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.Greater, { LABEL: "operators" }) },
      ]);
      this.SUBRULE2(this.additive, { LABEL: "operands" });
    });
  });

  private additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(t.Plus, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.Minus, { LABEL: "operators" }) },
      ]);
      this.SUBRULE2(this.multiplicative, { LABEL: "operands" });
    });
  });

  private multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(t.Star, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.Slash, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(t.Percent, { LABEL: "operators" }) },
      ]);
      this.SUBRULE2(this.unary, { LABEL: "operands" });
    });
  });

  private unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Minus);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.power) },
    ]);
  });

  // `**` is right-associative and binds tighter than unary minus on its left: -2 ** 2 == -4.
  private power = this.RULE("power", () => {
    this.SUBRULE(this.primary);
    this.OPTION(() => {
      this.CONSUME(t.Power);
      this.SUBRULE(this.unary);
    });
  });

  private primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(t.NumberLiteral) },
      { ALT: () => this.CONSUME(t.StringLiteral) },
      { ALT: () => this.CONSUME(t.True) },
      { ALT: () => this.CONSUME(t.False) },
      { ALT: () => this.CONSUME(t.None) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.parenthesized) },
      { ALT: () => this.SUBRULE(this.reference) },
    ]);
  });

  private list = this.RULE("list", () => {
    this.CONSUME(t.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(t.Comma);
        this.OPTION2(() => this.SUBRULE2(this.expression));
      });
    });
    this.CONSUME(t.RBracket);
  });

  private parenthesized = this.RULE("parenthesized", () => {
    this.CONSUME(t.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(t.RParen);
  });

  // A dotted name, optionally called: `student`, `teacher.arch.width`, `uniform(0.9, 1.0)`.
  private reference = this.RULE("reference", () => {
    this.SUBRULE(this.qualifiedName);
    this.OPTION(() => this.SUBRULE(this.callArguments));
  });

  private callArguments = this.RULE("callArguments", () => {
    this.CONSUME(t.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.argument);
      this.MANY(() => {
        this.CONSUME(t.Comma);
        this.OPTION2(() => this.SUBRULE2(this.argument));
      });
    });
    this.CONSUME(t.RParen);
  });

  private argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.CONSUME(t.Identifier, { LABEL: "name" });
      this.CONSUME(t.Assign);
    });
    this.SUBRULE(this.expression);
  });
}

/** The one parser instance (chevrotain parsers are reusable; building one runs the grammar analysis). */
let instance: VpaeParser | undefined;
export function parserInstance(): VpaeParser {
  instance ??= new VpaeParser();
  return instance;
}

export type { CstNode, IToken };
