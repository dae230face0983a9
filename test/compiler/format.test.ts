// The canonical formatter (compiler/format.ts): exact layout, comment preservation, idempotence,
// plan-hash round trips, and a property test over perturbed layouts of the fixtures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { formatExpr, formatText, parseSource } from "../../compiler/format.js";
import { compileFile, type CompileResult } from "../../compiler/program.js";
import type { Host } from "../../compiler/load.js";
import { tokenize } from "../../grammar/index.js";
import { memoryHost, MINIMAL, repoRoot, vpaeFiles } from "../helpers.js";

// ---- fixtures ----

const RICH_LIB = String.raw`/* Shared base for the fixtures.
   It is imported with an alias. */
param base_lr: number = 1e-4 // default learning rate
param width=32

template base {   // the common part
  seed = 3
  world { frames = 4  size = 8   shapes = [square, disc,] }
  teacher {
    init = checkpoint(path = "teacher" + ".safetensors")
    arch { width = width  depth = 2  heads = 2 } // small
    sampler { steps = 8 guidance = 2.5 }
  }
  student { init = teacher }
  fake_score fake { kind = lora  rank = 4 }


  phase distill {
    steps = 10
    optimizer student { lr = base_lr }
    optimizer fake { lr = base_lr * 2 }
    loss dmd { t = uniform(0.02, high = 0.98) }
    loss diffusion { /* defaults */ }
    loss regression { weight = 0.5 }
    // closing comment of distill
  }
  // closing comment of base
}
`;

const RICH_MAIN = String.raw`// Rich fixture: every construct of the language.
import "lib.vpae" as lib

param steps: int = 2 * (3 + 4) - 10 / 5 % 3 + 2 ** 3 ** 1 // precedence
param scale : number=-(1.5) * -2 + abs(-1)
param name: string = "lib/say \"hi\"\tand\\n"
param flag: bool = not (1 < 2) and 3 >= 2 or 1 != 1 or (2 <= 3 and 4 > 3) or 1 == 1

experiment rich extends lib.base {
  remove phase.distill.loss.regression
  teacher.sampler.guidance = 3 /* inline */ + 0.5 * scale
  world.wrap = flag
  teacher.init = checkpoint(name + ".safetensors")
  phase.distill.steps = steps
  phase /* header */ extra {
    steps = max(1, round(steps * scale), 1_000 / 100)
    batch = 4
    optimizer student { lr = cosine(value = 2e-6, final = 0, warmup = 2) }
    loss c_sds {
      weight = linear_warmup(value = 1.0, steps = 3) // ramp
    }
  }
  eval { every = 0  nfe = [1, 2,
    4] }
}

sweep grid over rich {
  axis steps = [10, 20]
  axis scale = [1, 2]
  axis variant {
    full {}
    short { phase.extra.steps = 3 }
    no_extra {
      remove phase.extra
    }
  }
  members = concat(product(steps, variant) where steps < 20 or variant == full, zip(steps, scale))
  seeds = [0, 1]
}
/* trailing
   block comment at end of file */
// and a line comment
`;

/** Comments in every position the formatter distinguishes (syntax only: it does not compile). */
const COMMENTS = String.raw`/* file header */ // same line

// before import
import "lib.vpae" /* a */ as /* b */ lib // after import
param p /* in */ : /* type */ number = [1, // one
  2 /* two */, 3] // three
experiment e // after header
{
  // before x
  x = 1 // after x
  /* own line */ y = 2
  block label { /* after brace */ z = 3 } // after block
  empty { } /* after empty */
  emptyc { /* c1 */ /* c2 */ }
  emptyl { // only a line comment
  }
  nested {


    // blank line above collapses
    a = (1 + /* mid */ 2) * 3
    /* multi
       line */ b = 2 /* chained
    */ /* to the next line */ c = -(-x) ** 2


    // before close
  }
  axis_like { /* x */ /* y
  */ }
}
template t extends e { remove nested.a remove /* r */ nested.b }
/* eof 1 */ /* eof 2 */
// eof 3`;

/** Layout only: blank lines, empty blocks, operators, nothing to move. */
const LAYOUT = String.raw`param a=1 param b = [ ] param c=f ( ) param d = g(x=1,y= [1,[2,3]] ,z=(1))
experiment x{phase p{steps=a+b*c-(d)/-e%f**g**h
loss l{}}


}
sweep s over x{axis v=[1,2]axis w{a{}b{c=1}}members=product(v,w)where v>=1and w!=a or not(v<2)seeds=[0]}`;

const MINIMAL_SWEEP = `${MINIMAL}
sweep lr over tiny {
  axis ablation {
    base {}
    longer { phase.distill.steps = 20 }
  }
  seeds = [0, 1, 2]
}
`;

interface FixtureSet {
  name: string;
  files: Record<string, string>;
  /** The entry file, compiled for the plan-hash round trip (absent: syntax-only fixture). */
  entry?: string;
}

const FIXTURES: FixtureSet[] = [
  { name: "rich", files: { "main.vpae": RICH_MAIN, "lib.vpae": RICH_LIB }, entry: "main.vpae" },
  { name: "minimal", files: { "main.vpae": MINIMAL_SWEEP }, entry: "main.vpae" },
  { name: "comments", files: { "comments.vpae": COMMENTS } },
  { name: "layout", files: { "layout.vpae": LAYOUT } },
  { name: "empty", files: { "empty.vpae": "" } },
  { name: "only-comments", files: { "only.vpae": "\n\n// one\n\n\n/* two */   // three\n" } },
];

function experimentFiles(): string[] {
  return vpaeFiles(path.join(repoRoot, "experiments"));
}

/** Every input the generic checks run on: fixture files and experiments/**\/*.vpae. */
function allInputs(): { name: string; text: string }[] {
  const inputs = FIXTURES.flatMap((f) => Object.entries(f.files).map(([n, text]) => ({ name: `${f.name}/${n}`, text })));
  for (const p of experimentFiles()) inputs.push({ name: path.relative(repoRoot, p), text: readFileSync(p, "utf8") });
  return inputs;
}

function fmt(text: string, name = "input.vpae"): string {
  const r = formatText(name, text);
  assert.equal(r.text !== undefined, true, `${name} does not format:\n${r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.message}`).join("\n")}`);
  return r.text!;
}

function commentTexts(text: string): string[] {
  return tokenize(text).comments.map((c) => c.image).sort();
}

// ---- exact layout ----

test("prints the canonical layout: indentation, one entry per line, blank lines, empty blocks", () => {
  assert.equal(
    fmt(LAYOUT),
    `param a = 1

param b = []

param c = f()

param d = g(x = 1, y = [1, [2, 3]], z = (1))

experiment x {
  phase p {
    steps = a + b * c - (d) / -e % f ** g ** h
    loss l {}
  }
}

sweep s over x {
  axis v = [1, 2]
  axis w {
    a {}
    b {
      c = 1
    }
  }
  members = product(v, w) where v >= 1 and w != a or not (v < 2)
  seeds = [0]
}
`,
  );
});

test("places every kind of comment by the documented rules", () => {
  assert.equal(
    fmt(COMMENTS),
    String.raw`/* file header */ // same line

// before import
import "lib.vpae" as lib /* a */ /* b */ // after import

// one
param p: number = [1, 2, 3] /* in */ /* type */ /* two */ // three

// after header
experiment e {
  // before x
  x = 1 // after x
  /* own line */
  y = 2
  block label { /* after brace */
    z = 3
  } // after block
  empty {} /* after empty */
  emptyc { /* c1 */ /* c2 */ }
  emptyl { // only a line comment
  }
  nested {
    // blank line above collapses
    a = (1 + 2) * 3 /* mid */
    /* multi
       line */
    b = 2 /* chained
    */ /* to the next line */
    c = -(-x) ** 2

    // before close
  }
  axis_like { /* x */ /* y
  */
  }
}

template t extends e {
  remove nested.a
  remove nested.b /* r */
}
/* eof 1 */ /* eof 2 */
// eof 3
`,
  );
});

test("keeps blank lines between entries (at most one), never after { or before }", () => {
  const src = "experiment e {\n\n\n  a = 1\n  b = 2\n\n\n\n  c = 3\n  // note\n\n  d = 4\n\n\n}\n";
  assert.equal(fmt(src), "experiment e {\n  a = 1\n  b = 2\n\n  c = 3\n  // note\n\n  d = 4\n}\n");
});

test("separates top-level items by exactly one blank line", () => {
  assert.equal(fmt('import "a.vpae"\nimport "b.vpae" as b\n\n\n\nparam x = 1 experiment e {}'), 'import "a.vpae"\n\nimport "b.vpae" as b\n\nparam x = 1\n\nexperiment e {}\n');
  assert.equal(fmt(""), "");
  assert.equal(fmt("\n\n  \n"), "");
});

test("keeps numbers and strings as written and parentheses exactly where they were", () => {
  const cases: [string, string][] = [
    ["2e-6", "2e-6"],
    ["1_000", "1_000"],
    [".5", ".5"],
    ["1E+3", "1E+3"],
    [String.raw`"a\"b\\c\n\t"`, String.raw`"a\"b\\c\n\t"`],
    ["((1))", "((1))"],
    ["(1+2)*3", "(1 + 2) * 3"],
    ["1+(2*3)", "1 + (2 * 3)"],
    ["- - 1", "--1"],
    ["-2**2", "-2 ** 2"],
    ["2**-1", "2 ** -1"],
    ["(-2)**2", "(-2) ** 2"],
    ["not not(a)", "not not (a)"],
    ["a==b", "a == b"],
    ["not a<=b or c>d and e!=f", "not a <= b or c > d and e != f"],
    ["[a,b,]", "[a, b]"],
    ["f(1,x=[a where b],)", "f(1, x = [a where b])"],
    ["a.b.c(d.e)", "a.b.c(d.e)"],
    ["true==false or none", "true == false or none"],
    ["x where (y)", "x where (y)"],
  ];
  for (const [input, expected] of cases) {
    const out = fmt(`param p = ${input}\n`);
    assert.equal(out, `param p = ${expected}\n`, input);
    const parsed = parseSource("x.vpae", out).file!;
    const item = parsed.items[0]!;
    assert.equal(item.kind, "param");
    if (item.kind === "param") assert.equal(formatExpr(item.value), expected);
  }
});

test("edge cases of comment placement stay put on a second run", () => {
  const cases: [string, string][] = [
    // Windows line endings become "\n"; the comment keeps its text.
    ["experiment e {\r\n  x = 1 // one\r\n\r\n  y = 2\r\n}\r\n", "experiment e {\n  x = 1 // one\n\n  y = 2\n}\n"],
    // A multi-line comment inside a header goes after the `{` (or after `{}` when the block is empty).
    ["experiment e /* a\n b */ { x = 1 }", "experiment e { /* a\n b */\n  x = 1\n}\n"],
    ["experiment e { a /* x\n */ {} }", "experiment e {\n  a {} /* x\n */\n}\n"],
    ["experiment e { a /* x */ { /* y\n */ } }", "experiment e {\n  a { /* x */ /* y\n */\n  }\n}\n"],
    // A // comment inside an expression cannot stay at the end of the line when another follows it.
    ["param p = f(1, // one\n 2) // two\n", "// one\nparam p = f(1, 2) // two\n"],
    // Comments before the first entry, after `{` on its own line, and before `}` with a blank line.
    ["experiment e {\n\n  // first\n  x = 1\n\n  // last\n\n}\n", "experiment e {\n  // first\n  x = 1\n\n  // last\n}\n"],
    // A file that ends in a comment without a newline.
    ["experiment e {} // end", "experiment e {} // end\n"],
    ["// only", "// only\n"],
  ];
  for (const [input, expected] of cases) {
    const out = fmt(input);
    assert.equal(out, expected, JSON.stringify(input));
    assert.equal(fmt(out), out, JSON.stringify(input));
  }
});

test("input with syntax errors gives diagnostics and no text", () => {
  for (const bad of ["experiment e {", "param = 1", "experiment e { x = [1,,2] }", 'param s = "\\q"', "param x = 1 $", "/* open", "experiment e { axis a { x = 1 } }"]) {
    const r = formatText("bad.vpae", bad);
    assert.equal(r.text, undefined, bad);
    assert.ok(r.diagnostics.some((d) => d.severity === "error" && d.span?.file === "bad.vpae"), bad);
  }
});

// ---- every input: idempotence, comments, re-parsing ----

test("formatting is idempotent, keeps every comment and re-parses, for every fixture and experiments/ file", () => {
  const inputs = allInputs();
  assert.ok(inputs.length >= FIXTURES.length);
  for (const { name, text } of inputs) {
    const once = fmt(text, name);
    assert.equal(fmt(once, name), once, `${name}: fmt is not idempotent`);
    assert.deepEqual(commentTexts(once), commentTexts(text), `${name}: comments changed`);
    assert.ok(once === "" || (once.endsWith("\n") && !once.endsWith("\n\n")), `${name}: must end with exactly one newline`);
    assert.doesNotMatch(once, /\n\n\n/, `${name}: more than one blank line`);
    assert.doesNotMatch(once, /\{\n\n|\n\n\s*\}/, `${name}: blank line after { or before }`);
  }
});

// ---- plan hashes ----

function overlayHost(base: Host, replaced: Map<string, string>): Host {
  return { readFile: (p) => replaced.get(path.normalize(p)) ?? base.readFile(p) };
}

function hashes(r: CompileResult): unknown {
  return {
    plans: r.plans.map((p) => [p.name, p.plan.hash, p.plan.phases.map((ph) => ph.hash)]),
    sweeps: r.sweeps.map((s) => [s.name, s.members.map((m) => [m.name, m.plan?.hash ?? null])]),
    errors: r.diagnostics.filter((d) => d.severity === "error").map((d) => d.code),
  };
}

test("formatted fixtures compile to the same plan and sweep member hashes", () => {
  for (const f of FIXTURES) {
    if (!f.entry) continue;
    const host = memoryHost(f.files);
    const formatted = new Map(Object.entries(f.files).map(([n, t]) => [path.normalize(n), fmt(t, n)]));
    const before = compileFile(f.entry, { host });
    assert.deepEqual(before.diagnostics.filter((d) => d.severity === "error"), [], `${f.name} should compile`);
    assert.ok(before.plans.length + before.sweeps.length > 0);
    const after = compileFile(f.entry, { host: overlayHost(host, formatted) });
    assert.deepEqual(hashes(after), hashes(before), f.name);
  }
});

test("formatted experiments/ files compile to the same plan and sweep member hashes", () => {
  const files = experimentFiles();
  const disk: Host = { readFile: (p) => (statSync(p, { throwIfNoEntry: false })?.isFile() ? readFileSync(p, "utf8") : undefined) };
  const formatted = new Map<string, string>();
  for (const p of files) {
    const r = formatText(p, readFileSync(p, "utf8"));
    if (r.text !== undefined) formatted.set(path.normalize(p), r.text);
  }
  for (const p of files) {
    const before = compileFile(p, { host: disk });
    const after = compileFile(p, { host: overlayHost(disk, formatted) });
    assert.deepEqual(hashes(after), hashes(before), path.relative(repoRoot, p));
  }
});

// ---- property: layout and extra comments never change the result ----

interface Tok {
  start: number;
  end: number;
  image: string;
  comment: boolean;
}

function tokensOf(text: string): Tok[] {
  const lexed = tokenize(text);
  assert.deepEqual(lexed.errors, []);
  const all = [
    ...lexed.tokens.map((t) => ({ start: t.startOffset, end: t.startOffset + t.image.length, image: t.image, comment: false })),
    ...lexed.comments.map((t) => ({ start: t.startOffset, end: t.startOffset + t.image.length, image: t.image, comment: true })),
  ];
  return all.sort((a, b) => a.start - b.start);
}

const newlineCount = (s: string) => s.split("\n").length - 1;

/**
 * Whitespace with exactly `newlines` line breaks and at least one character. After a `//` comment it must
 * start with the line break: spaces there would become part of the comment.
 */
const whitespace = (newlines: number, afterLineComment: boolean): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom("", " ", "  ", "\t", "    "), { minLength: newlines + 1, maxLength: newlines + 1 }).map((parts) => {
    if (afterLineComment) parts[0] = "";
    const s = parts.join("\n");
    return s === "" ? " " : s;
  });

/**
 * A new layout of `text`: every gap between two tokens gets random whitespace of the same "class" where
 * the class matters (a blank line or not; for gaps next to comments also same line or not), and optionally
 * a marker comment `/*@k*\/`. Returns the new text.
 */
function perturbed(text: string): fc.Arbitrary<string> {
  const toks = tokensOf(text);
  if (toks.length < 2) return fc.constant(text);
  const gaps = toks.slice(1).map((b, i) => {
    const a = toks[i]!;
    const n = newlineCount(text.slice(a.end, b.start));
    const cls = Math.min(n, 2);
    const codeBoth = !a.comment && !b.comment;
    const lineNeeded = a.image.startsWith("//");
    const gap: fc.Arbitrary<number> =
      cls === 2 ? fc.integer({ min: 2, max: 4 }) : codeBoth ? fc.integer({ min: 0, max: 1 }) : fc.constant(cls);
    // Code neighbours around the gap: a marker between `{` and `}` would turn `x {}` into a block with a comment.
    const prevCode = toks.slice(0, i + 1).reverse().find((t) => !t.comment);
    const nextCode = toks.slice(i + 1).find((t) => !t.comment);
    const emptyBraces = prevCode?.image === "{" && nextCode?.image === "}";
    const beforeClose = nextCode?.image === "}" && b === nextCode;
    return fc.record({ newlines: gap, insert: emptyBraces ? fc.constant(false) : fc.boolean() }).chain(({ newlines, insert }) => {
      // Before a `}` a marker must not carry a blank line: the formatter keeps blank lines before comments
      // but never before `}`, so removing the marker afterwards would leave one.
      const n1 = insert && beforeClose ? Math.min(newlines, 1) : newlines;
      const nWs = lineNeeded ? Math.max(n1, 1) : n1;
      return whitespace(nWs, lineNeeded).map((ws) => ({ ws, insert }));
    });
  });
  return fc.tuple(...gaps).map((chosen) => {
    let out = text.slice(0, toks[0]!.start) + toks[0]!.image;
    chosen.forEach(({ ws, insert }, i) => {
      out += ws;
      if (insert) out += `/*@${i}*/ `;
      out += toks[i + 1]!.image;
    });
    return out + text.slice(toks[toks.length - 1]!.end);
  });
}

/** Removes the marker comments from formatted text: whole lines that hold only a marker, else ` /*@k*\/`. */
function withoutMarkers(formatted: string): string {
  const marker = /\/\*@\d+\*\//;
  return formatted
    .split("\n")
    .filter((line) => !new RegExp(`^\\s*(${marker.source}\\s*)+$`).test(line))
    .map((line) => {
      let l = line;
      // A marker that starts a line of comments takes the space after it, any other the space before it.
      for (let m = /^(\s*)\/\*@\d+\*\/ /.exec(l); m; m = /^(\s*)\/\*@\d+\*\/ /.exec(l)) l = m[1] + l.slice(m[0].length);
      return l.replace(/ \/\*@\d+\*\//g, "");
    })
    .join("\n");
}

test("property: any layout of a fixture (plus marker comments) formats to the fixture's canonical text", () => {
  for (const f of FIXTURES) {
    for (const [name, text] of Object.entries(f.files)) {
      const canonical = fmt(text, name);
      fc.assert(
        fc.property(perturbed(text), (variant) => {
          const out = fmt(variant, name);
          assert.deepEqual(commentTexts(out), commentTexts(variant));
          assert.equal(withoutMarkers(out), canonical);
          assert.equal(fmt(out, name), out);
        }),
        { numRuns: 60, seed: 20240611 + name.length },
      );
    }
  }
});
