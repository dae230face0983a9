// Writes the generated documentation:
//   docs/plan.schema.json   from compiler/plan/schema.ts
//   docs/diagnostics.md     from compiler/diagnostics/catalog.ts, with one example per code taken from
//                           the diagnostics suite (test/compiler/diagnostics/cases/*.vpae) and compiled
//                           with the real compiler, so every example shows the exact current output.
// Run after `npm run build`: `npm run gen:docs`. test/docs.test.ts regenerates both in memory
// (generateDocs()) and fails when the committed files differ.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { planJsonSchema } from "../dist/compiler/plan/schema.js";
import { D } from "../dist/compiler/diagnostics/catalog.js";
import { DiagnosticBag } from "../dist/compiler/diagnostics/diagnostic.js";
import { renderHuman } from "../dist/compiler/diagnostics/render.js";
import { compileFile } from "../dist/compiler/program.js";
import { parseSetOverride } from "../dist/compiler/build.js";
import { readParamsFile } from "../dist/compiler/params-file.js";
import { parsePlan } from "../dist/compiler/plan-file.js";
// The minimal valid experiment the tests use, as the base of the tool-made examples.
import { MINIMAL } from "../dist/test/helpers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CASES = "test/compiler/diagnostics/cases";

/** Reads a repository file by its path relative to the root (undefined when it does not exist). */
function readRepoFile(rel) {
  try {
    return readFileSync(path.join(root, rel), "utf8");
  } catch {
    return undefined;
  }
}

/** A host over the repository, so that file names in the examples are short and machine independent. */
const repoHost = { readFile: (p) => (path.isAbsolute(p) ? undefined : readRepoFile(p)) };

const EXPECT = /^\/\/ expect: (VPAE\d{4}) (?:(\S+):)?(\d+):(\d+)(?: hint: (.+))?$/;

/** Every case: its name, its description (the first header line) and its expectations. */
function readCases() {
  const out = [];
  for (const name of readdirSync(path.join(root, CASES)).filter((f) => f.endsWith(".vpae")).sort()) {
    const text = readRepoFile(`${CASES}/${name}`);
    const header = [];
    for (const line of text.split(/\r?\n/)) {
      if (!line.startsWith("//")) break;
      header.push(line);
    }
    const expected = header
      .map((l) => EXPECT.exec(l.trimEnd()))
      .filter((m) => m !== null)
      .map((m) => ({ code: m[1], file: `${CASES}/${m[2] ?? name}`, line: Number(m[3]), col: Number(m[4]) }));
    const description = header.filter((l) => !l.startsWith("// expect:")).map((l) => l.replace(/^\/\/\s?/, "")).join(" ").trim();
    out.push({ name, description, expected });
  }
  return out;
}

/** The rendered diagnostic without the summary line ("1 error, 0 warnings"). */
function render(d, sources) {
  const text = renderHuman([d], { color: false, sources });
  return text.split("\n").filter((l, i, all) => !(i === all.length - 1 && /^\d+ errors?, \d+ warnings?$/.test(l))).join("\n").trimEnd();
}

/** A few lines of source around a position (the case header's `// expect:` lines left out). */
function excerpt(text, line) {
  const lines = text.split(/\r?\n/);
  let first = 0;
  while (first < lines.length && lines[first].startsWith("//")) first++;
  if (line - 1 < first) first = 0;
  const from = Math.max(first, line - 4);
  const to = Math.min(lines.length, line + 2);
  const shown = lines.slice(from, to);
  while (shown.length > 0 && shown[shown.length - 1].trim() === "") shown.pop();
  return [...(from > first ? ["..."] : []), ...shown, ...(to < lines.length ? ["..."] : [])].join("\n");
}

/** Example from the first case (by name) that expects only this code, else the first that expects it. */
function caseExample(code, cases) {
  const only = cases.filter((c) => c.expected.every((x) => x.code === code));
  for (const c of [...only, ...cases]) {
    const e = c.expected.find((x) => x.code === code);
    if (!e) continue;
    const result = compileFile(`${CASES}/${c.name}`, { host: repoHost });
    const d = result.diagnostics.find((x) => x.code === code && x.span?.file === e.file && x.span.line === e.line && x.span.col === e.col);
    if (!d) throw new Error(`${c.name} expects ${code} at ${e.file}:${e.line}:${e.col}, but the compiler does not report it there (run the diagnostics tests)`);
    return {
      intro: `${c.description} From [\`${c.name}\`](../${CASES}/${c.name}):`,
      input: excerpt(result.program.sources.get(e.file), e.line),
      lang: "vpae",
      output: render(d, result.program.sources),
    };
  }
  return undefined;
}


/** Examples for the codes that no .vpae file produces: made by calling the code that reports them. */
function toolExample(code) {
  const bag = new DiagnosticBag();
  const sources = new Map();
  const one = (intro, input, lang) => {
    const d = bag.items.find((x) => x.code === code);
    if (!d) throw new Error(`the example for ${code} does not produce it`);
    return { intro, input, lang, output: render(d, sources) };
  };
  switch (code) {
    case "VPAE3002": {
      // (Not a JSON syntax error: its wording comes from the JavaScript engine and differs between Node versions.)
      const text = '[{ "formatVersion": 1, "experiment": "tiny" }]\n';
      sources.set("plan.json", text);
      parsePlan("plan.json", text, bag);
      return one("`vpae plan plan.json` on a JSON file that holds a list instead of one plan:", text, "json");
    }
    case "VPAE3003": {
      const text = '{ "formatVersion": 0, "experiment": "tiny" }\n';
      sources.set("old-plan.json", text);
      parsePlan("old-plan.json", text, bag);
      return one("`vpae plan old-plan.json` on a plan written by an older vpae:", text, "json");
    }
    case "VPAE3004": {
      const compiled = compileFile("main.vpae", { host: { readFile: (p) => (p === "main.vpae" ? MINIMAL : undefined) } });
      const plan = compiled.plans[0].plan;
      plan.phases[0].steps = 20;
      const text = JSON.stringify(plan, null, 2) + "\n";
      sources.set("plan.json", text);
      parsePlan("plan.json", text, bag);
      return one("`vpae plan plan.json` after `phases[0].steps` was changed from 10 to 20 in the JSON by hand:", '  "phases": [\n    {\n      "name": "distill",\n      "steps": 20,\n      ...', "json");
    }
    case "VPAE3005": {
      const text = "lr: 2e-6\nsteps: [100, 200\nguidance: 3\n";
      sources.set("overrides.yaml", text);
      readParamsFile("overrides.yaml", text, bag);
      return one("`vpae compile exp.vpae --params overrides.yaml`, where the YAML list is not closed:", text, "yaml");
    }
    case "VPAE5001": {
      const r = compileFile("experimnets/vpae.vpae", { host: { readFile: () => undefined } });
      r.diagnostics.forEach((d) => bag.add(d));
      return one("`vpae check experimnets/vpae.vpae` with a misspelt folder (on the command line the hint says why the file cannot be read):", "vpae check experimnets/vpae.vpae", "sh");
    }
    case "VPAE5002": {
      parseSetOverride("lr 2e-6", 1, bag, sources);
      return one("`--set` with a space instead of `=` (each `--set` is shown as a one-line source `--set[N]`):", "vpae compile exp.vpae --set 'lr 2e-6'", "sh");
    }
    default:
      return undefined;
  }
}

/** Why a code has no example. */
const NO_EXAMPLE = {
  VPAE5003: "No command of this version of vpae reports this code; `vpae compile` asks for `--experiment` with a usage error instead.",
};

const RANGES = [
  ["VPAE1", "Syntax (VPAE1xxx)", "The text is not valid `.vpae` syntax. All syntax errors of a file are reported together, but nothing else in that file is checked until they are fixed."],
  ["VPAE20", "Names, values and structure (VPAE20xx)", "Names that do not resolve, values of the wrong type or kind, and blocks or settings that do not belong where they are."],
  ["VPAE21", "Method semantics (VPAE21xx)", "The file is well formed, but the experiment breaks a rule of the distillation method: roles, phases, and ranges with a meaning."],
  ["VPAE22", "Sweeps (VPAE22xx)", "Problems with `axis` declarations and with the `members` expression of a sweep."],
  ["VPAE3", "Plan files and parameter files (VPAE3xxx)", "A compiled plan that breaks its schema, a plan file that cannot be used, or a `--params` file that cannot be read."],
  ["VPAE5", "Command line (VPAE5xxx)", "Problems with the files and options given on the command line."],
];

/** `unknown role {0}` -> `unknown role ‹1›`. */
function readableTemplate(template) {
  return template.replace(/\{(\d+)\}/g, (_, i) => `‹${Number(i) + 1}›`);
}

function fence(raw, lang) {
  const text = raw.trimEnd();
  const ticks = text.includes("```") ? "````" : "```";
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

export function diagnosticsMarkdown() {
  const cases = readCases();
  const entries = Object.values(D).sort((a, b) => (a.code < b.code ? -1 : 1));
  const out = [
    "# Diagnostics",
    "",
    "<!-- Generated by `npm run gen:docs` from compiler/diagnostics/catalog.ts and the cases in",
    "     test/compiler/diagnostics/cases/. Do not edit by hand: change those and regenerate. -->",
    "",
    "Every problem `vpae` reports has a stable code, a position (`file:line:col`, where there is one) and",
    "a message; many add a `hint` (often a did-you-mean) or `note`s. `vpae check` reports all problems",
    "of a file at once; `--json` gives the same as a JSON document (`valid`, `errorCount`,",
    "`warningCount`, `diagnostics`). Errors make `vpae` exit with status 1; warnings alone do not.",
    "",
    "In the message templates below, ‹1›, ‹2›, ... stand for the details (names, values, paths) that are",
    "filled in where the problem is found. Each example is a small input and the exact output of this",
    "version of `vpae` for it; the inputs come from the test suite, so they stay correct.",
    "",
  ];
  for (const [prefix, title] of RANGES) {
    const list = entries.filter((e) => e.code.startsWith(prefix));
    if (list.length === 0) continue;
    out.push(`- [${title}](#${title.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")}): ${list.map((e) => `[${e.code}](#${e.code.toLowerCase()})`).join(", ")}`);
  }
  out.push("");
  for (const [prefix, title, intro] of RANGES) {
    const list = entries.filter((e) => e.code.startsWith(prefix));
    if (list.length === 0) continue;
    out.push(`## ${title}`, "", intro, "");
    for (const e of list) {
      out.push(`### ${e.code}`, "");
      const whole = /^\{\d+\}$/.test(e.template);
      out.push(`- **Message:** ${whole ? "written for each problem" : `\`${readableTemplate(e.template)}\``}`);
      out.push(`- **Severity:** ${e.severity ?? "error"}${e.deprecated ? " (deprecated: no longer reported)" : ""}`);
      out.push("", e.explanation, "");
      const ex = caseExample(e.code, cases) ?? toolExample(e.code);
      if (ex) {
        out.push(`**Example.** ${ex.intro}`, "", fence(ex.input, ex.lang), "", fence(ex.output, "text"), "");
      } else {
        out.push(`**Example.** ${NO_EXAMPLE[e.code] ?? "None yet."}`, "");
      }
    }
  }
  return out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

/** Every generated file: repository-relative path -> content. */
export function generateDocs() {
  return new Map([
    ["docs/plan.schema.json", JSON.stringify(planJsonSchema(), null, 2) + "\n"],
    ["docs/diagnostics.md", diagnosticsMarkdown()],
  ]);
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  for (const [rel, text] of generateDocs()) {
    writeFileSync(path.join(root, rel), text);
    console.log(`wrote ${rel}`);
  }
}
