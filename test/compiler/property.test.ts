// Property tests: whatever the input, compileFile returns diagnostics instead of throwing, and every
// diagnostic is well formed (a catalogued code, a message, a position inside the file it names).
// Inputs: random strings, random soups of the language's tokens, random token/character mutations of a
// valid sample and of every experiments/**/*.vpae, and inputs built to break a recursive compiler (deep
// nesting, long operator chains, huge tokens, NUL, undecodable bytes, BOMs, bidi and invisible
// characters). Run counts are bounded to keep this fast (1,450 inputs); `npm run fuzz` runs 70 times as
// many (101,500; VPAE_PROPERTY_SCALE and VPAE_PROPERTY_SEED change the count and the draw).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { compileFile, type CompileResult } from "../../compiler/program.js";
import { nodeHost, type Host } from "../../compiler/load.js";
import { D } from "../../compiler/diagnostics/catalog.js";
import { tokenize } from "../../grammar/index.js";
import { fromRoot, vpaeFiles } from "../helpers.js";

const CODES = new Set<string>(Object.values(D).map((e) => e.code));

const SAMPLE = `// toy
param lr = 2e-6
param csds = 10

experiment toy {
  seed = 1
  world { frames = 6  size = 8  directions = 4 }
  teacher {
    init = checkpoint("../ckpt/teacher.safetensors")
    arch { width = 64  depth = 4  heads = 4  patch = [1, 2, 2] }
    sampler { steps = 50  guidance = 3 }
  }
  student { init = teacher  sampler { steps = 1 } }
  fake_score fake { kind = lora  rank = 8 }
  discriminator d {
    backbone = ema(student, 0.995)
    taps = [1, 3]
    head = semantic(queries = 4)
    loss = hinge
    regularizer = str1(0.01, 0.1)
    t = uniform(0.02, 0.98)
  }
  phase priming {
    steps = 500
    input = noised_real(uniform(0.9, 1.0))
    optimizer student { lr = 1e-6 }
    optimizer fake { lr = 1e-6 }
    updates { fake = 5  student = 1 }
    loss vsd { }
    loss diffusion { }
  }
  phase equilibrium {
    steps = 1000
    input = noise()
    optimizer student { lr = lr }
    optimizer d { lr = lr * 2 }
    loss gan_generator { }
    loss gan_discriminator { }
    loss c_sds { weight = csds }
  }
}

sweep abl over toy {
  axis csds = [0, 1, 10]
  axis variant {
    full {}
    no_priming { remove phase.priming }
    conv_head { discriminator.d.head = conv() }
  }
  members = concat(variant, csds) where csds != 10
  seeds = [0, 1]
}
`;

/** Lines as the code-frame renderer splits them. */
function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Compiles and checks the invariants; returns a description of the first violation, if any. */
function check(entry: string, host: Host): string | undefined {
  let result: CompileResult;
  try {
    result = compileFile(entry, { host });
  } catch (err) {
    return `compileFile threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  }
  for (const d of result.diagnostics) {
    if (!CODES.has(d.code)) return `unknown code ${d.code}`;
    if (typeof d.message !== "string" || d.message.trim() === "") return `${d.code} has an empty message`;
    if (/\{\d+\}/.test(d.message)) return `${d.code}: unfilled template "${d.message}"`;
    if (!d.span) continue;
    const { file, line, col } = d.span;
    const text = result.program.sources.get(file);
    if (text === undefined) return `${d.code} points into ${file}, which is no source of this compilation`;
    const ls = lines(text);
    if (!(Number.isInteger(line) && line >= 1 && line <= ls.length)) return `${d.code} "${d.message}": line ${line} outside 1..${ls.length}`;
    const max = ls[line - 1]!.length + 1;
    if (!(Number.isInteger(col) && col >= 1 && col <= max)) return `${d.code} "${d.message}": ${line}:${col}, but the line has ${max - 1} characters`;
  }
  return undefined;
}

function checkText(text: string): string | undefined {
  return check("main.vpae", { readFile: (p) => (path.normalize(p) === "main.vpae" ? text : undefined) });
}

// ---- seeds for mutation: the sample and the experiments shipped with the repository ----

interface Seed {
  name: string;
  /** Where the text is compiled from: imports resolve next to it, on disk. */
  entry: string;
  text: string;
}

const seeds: Seed[] = [
  { name: "sample", entry: "main.vpae", text: SAMPLE },
  ...vpaeFiles(fromRoot("experiments")).map((f) => ({ name: path.relative(fromRoot(), f), entry: f, text: readFileSync(f, "utf8") })),
];

function hostFor(seed: Seed, text: string): Host {
  return { readFile: (p) => (path.normalize(p) === path.normalize(seed.entry) ? text : seed.entry === "main.vpae" ? undefined : nodeHost.readFile(p)) };
}

// ---- token vocabulary ----

const WORDS = [
  "import", "as", "param", "experiment", "template", "extends", "sweep", "over", "axis", "remove", "true", "false", "none", "and", "or", "not", "where",
  "toy", "tiny", "base", "lr", "steps", "seed", "world", "teacher", "student", "fake_score", "fake", "discriminator", "d", "phase", "loss", "optimizer",
  "updates", "ema", "arch", "sampler", "width", "depth", "heads", "patch", "init", "checkpoint", "scratch", "kind", "weight", "t", "taps", "head",
  "backbone", "members", "seeds", "product", "zip", "concat", "uniform", "logit_normal", "shifted", "linear_warmup", "cosine", "semantic", "conv",
  "str1", "r1", "vsd", "dmd", "diffusion", "c_sds", "gan_generator", "gan_discriminator", "flow_matching", "consistency", "regression", "hinge",
  "noise", "noised_real", "freeze", "unfreeze", "on_enter", "int", "number", "string", "bool", "min", "max", "log", "sqrt",
];
const LITERALS = ["0", "1", "2", "10", "0.5", ".5", "1e-4", "2e-6", "1_000", "1__0", "1_", "1e400", "3.", '"x"', '"teacher.safetensors"', '"a\\qb"', '"\\n"', '"open'];
const PUNCT = ["{", "}", "(", ")", "[", "]", ",", ".", ":", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "**", "//", "/*", "*/", "$", "#", "@", "\\", "'"];
const SPACE = [" ", " ", " ", "\n", "\n", "\t", "\r\n", "\r", "  "];

const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: fc.constantFrom(...LITERALS) },
  { weight: 4, arbitrary: fc.constantFrom(...PUNCT) },
);
const soup = fc.array(fc.tuple(token, fc.constantFrom(...SPACE)), { maxLength: 120 }).map((parts) => parts.map(([t, s]) => t + s).join(""));

// ---- mutations ----

type Mutation =
  | { op: "delete" | "duplicate"; at: number; len: number }
  | { op: "swap"; at: number; other: number; len: number }
  | { op: "insert"; at: number; what: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom("delete" as const, "duplicate" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant("swap" as const), at: fc.nat(), other: fc.nat(), len: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), what: fc.oneof(token, fc.string({ maxLength: 3 })) }),
);

/** Applies mutations to a list of pieces (tokens with their trailing text, or single characters). */
function mutate(pieces: string[], ms: Mutation[]): string {
  const p = [...pieces];
  for (const m of ms) {
    if (p.length === 0) break;
    const at = m.at % p.length;
    switch (m.op) {
      case "delete":
        p.splice(at, m.len);
        break;
      case "duplicate":
        p.splice(at, 0, ...p.slice(at, at + m.len));
        break;
      case "swap": {
        const other = m.other % p.length;
        const a = p.slice(at, at + m.len);
        const b = p.slice(other, other + m.len);
        if (a.length === b.length && Math.abs(at - other) >= m.len) {
          p.splice(at, a.length, ...b);
          p.splice(other, b.length, ...a);
        }
        break;
      }
      case "insert":
        p.splice(at, 0, m.what + " ");
        break;
    }
  }
  return p.join("");
}

/** Splits text into tokens, each carrying the text up to the next token (so joining gives the text back). */
function tokenPieces(text: string): string[] {
  const starts = tokenize(text)
    .tokens.map((t) => t.startOffset)
    .filter((o) => Number.isFinite(o));
  const cuts = [0, ...starts.filter((o) => o > 0), text.length];
  const out: string[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) if (cuts[i + 1]! > cuts[i]!) out.push(text.slice(cuts[i], cuts[i + 1]));
  return out;
}

function assertProperty<T>(arb: fc.Arbitrary<T>, run: (x: T) => string | undefined, numRuns: number): void {
  fc.assert(
    fc.property(arb, (x) => {
      const problem = run(x);
      if (problem) throw new Error(problem);
    }),
    // VPAE_PROPERTY_SEED / VPAE_PROPERTY_SCALE explore further (e.g. SCALE=20 for a long local run).
    { numRuns: Math.ceil(numRuns * Number(process.env["VPAE_PROPERTY_SCALE"] ?? 1)), seed: Number(process.env["VPAE_PROPERTY_SEED"] ?? 20260101) },
  );
}

test("the seeds themselves compile without errors", () => {
  for (const s of seeds) {
    const r = compileFile(s.entry, { host: hostFor(s, s.text) });
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`),
      [],
      s.name,
    );
  }
});

test("random strings never make compileFile throw", () => {
  assertProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: 80, unit: "binary" })), checkText, 300);
});

test("random token soups never make compileFile throw", () => {
  assertProperty(soup, checkText, 400);
});

test("random token mutations of the sample and the experiments never make compileFile throw", () => {
  const seedPieces = seeds.map((s) => ({ seed: s, pieces: tokenPieces(s.text) }));
  assertProperty(
    fc.tuple(fc.nat({ max: seedPieces.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 })),
    ([i, ms]) => {
      const { seed, pieces } = seedPieces[i]!;
      return check(seed.entry, hostFor(seed, mutate(pieces, ms)));
    },
    300,
  );
});

test("random character mutations of the sample and the experiments never make compileFile throw", () => {
  assertProperty(
    fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 })),
    ([i, ms]) => {
      const seed = seeds[i]!;
      return check(seed.entry, hostFor(seed, mutate([...seed.text], ms)));
    },
    300,
  );
});

// ---- inputs built to break a recursive compiler or flood its messages ----

/** Characters that are not plain text: NUL, undecodable bytes (U+FFFD), a BOM, no-break and zero-width spaces, bidi controls. */
const ODD = ["\u0000", "\ufffd", "\ufeff", "\u00a0", "\u200b", "\u202e", "\u2066", "\u00ad", "\u0007", "\u001b[31m"];

const CLOSERS: Record<string, string> = { "(": ")", "[": "]", "{": "}", "f(": ")" };

const adversarial: fc.Arbitrary<string> = fc.oneof(
  // brackets, blocks and prefix operators nested up to 400 deep
  fc.tuple(fc.constantFrom("(", "[", "{", "-", "not ", "2 ** ", "f("), fc.integer({ min: 1, max: 400 })).map(([open, n]) => `param x = ${open.repeat(n)}1${(CLOSERS[open] ?? "").repeat(n)}\nexperiment e { seed = x }\n`),
  // long chains of binary operators
  fc.tuple(fc.constantFrom(" + ", " * ", " - ", " and ", " == ", " ** "), fc.integer({ min: 1, max: 6000 })).map(([op, n]) => `param x = ${Array(n).fill("1").join(op)}\nexperiment e { seed = x }\n`),
  // huge tokens: names, numbers, strings
  fc.tuple(fc.constantFrom("a", "9", '"'), fc.integer({ min: 1, max: 200_000 })).map(([c, n]) => (c === '"' ? `param x = "${"s".repeat(n)}"\n` : `experiment e { seed = ${c.repeat(n)} }\n`)),
  // odd characters inserted into a valid sample
  fc.tuple(fc.array(fc.tuple(fc.nat(), fc.constantFrom(...ODD)), { minLength: 1, maxLength: 5 })).map(([ins]) => {
    const t = [...SAMPLE];
    for (const [at, ch] of ins) t.splice(at % (t.length + 1), 0, ch);
    return t.join("");
  }),
);

test("deep nesting, long chains, huge tokens and odd characters give bounded diagnostics and never make compileFile throw", () => {
  assertProperty(
    adversarial,
    (text) => {
      const problem = checkText(text);
      if (problem) return problem;
      const r = compileFile("main.vpae", { host: { readFile: (p) => (path.normalize(p) === "main.vpae" ? text : undefined) } });
      const size = r.diagnostics.reduce((n, d) => n + d.message.length + (d.hint?.length ?? 0), 0);
      return size > 20_000 ? `${r.diagnostics.length} diagnostics of ${size} characters for an input of ${text.length}` : undefined;
    },
    150,
  );
});
