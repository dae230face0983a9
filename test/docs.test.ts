// Generated documentation is current, and every diagnostic code is exercised by the diagnostics suite.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { fromRoot } from "./helpers.js";
import { D } from "../compiler/diagnostics/catalog.js";
import { FUNCTIONS } from "../compiler/functions.js";
import { LOSS_KINDS, languageKey, lossSettings, readsTeacher, type Setting } from "../compiler/plan/losses.js";
import { caseNames, readCase } from "./compiler/diagnostics/expectations.js";

interface GenDocs {
  generateDocs(): Map<string, string>;
}

/** scripts/gen-docs.js, loaded as a module (it writes files only when run as a script). */
async function generated(): Promise<Map<string, string>> {
  const mod = (await import(pathToFileURL(fromRoot("scripts", "gen-docs.js")).href)) as GenDocs;
  return mod.generateDocs();
}

test("docs/plan.schema.json and docs/diagnostics.md are current", async () => {
  const docs = await generated();
  assert.deepEqual([...docs.keys()].sort(), ["docs/diagnostics.md", "docs/plan.schema.json"]);
  for (const [rel, text] of docs) {
    let committed: string | undefined;
    try {
      committed = readFileSync(fromRoot(rel), "utf8");
    } catch {
      committed = undefined;
    }
    assert.ok(committed !== undefined, `${rel} is missing: run \`npm run gen:docs\``);
    assert.ok(committed === text, `${rel} is out of date: run \`npm run gen:docs\` and commit the result`);
  }
});

test("docs/diagnostics.md has a section with an explanation for every catalogued code", async () => {
  const md = (await generated()).get("docs/diagnostics.md")!;
  for (const e of Object.values(D)) {
    const at = md.indexOf(`\n### ${e.code}\n`);
    assert.ok(at >= 0, `no section for ${e.code}`);
    const next = md.indexOf("\n### ", at + 1);
    const section = md.slice(at, next < 0 ? undefined : next);
    assert.ok(section.includes(e.explanation), `${e.code}: explanation missing`);
    assert.ok(section.includes(`**Severity:** ${e.severity ?? "error"}`), `${e.code}: severity missing`);
  }
});

/** Codes that no .vpae file can produce, so the case suite cannot cover them; each with the reason. */
const NOT_FROM_VPAE: Record<string, string> = {
  VPAE2123: "vpae check reports it from the runtime's gaps (compiler/plan/support.ts), not the compiler (tested in test/cli/errors.test.ts)",
  VPAE1012: "a binary file, which cannot serve as a docs example (tested in test/cli/errors.test.ts)",
  VPAE1011: "needs an expression of over 1,000 operators, too long to show as a docs example (tested in test/cli/errors.test.ts)",
  VPAE2026: "needs a .vpae file outside the repository's project folder (tested in test/cli/errors.test.ts)",
  VPAE3002: "reading a plan file (vpae plan/run on .json), not compiling a .vpae file",
  VPAE3003: "reading a plan file of another format version",
  VPAE3004: "reading a plan file whose content was edited after compiling",
  VPAE3005: "a --params YAML file (tested in test/compiler/overrides.test.ts)",
  VPAE5001: "a file named on the command line that cannot be read (tested in test/cli/errors.test.ts)",
  VPAE5002: "the syntax of a --set option (tested in test/compiler/overrides.test.ts)",
};

test("every catalogued code has a case in the diagnostics suite, except the ones listed with a reason", () => {
  const covered = new Set(caseNames().flatMap((n) => readCase(n).expected.map((e) => e.code)));
  const codes = Object.values(D).filter((e) => !("deprecated" in e && e.deprecated)).map((e) => e.code);
  const missing = codes.filter((c) => !covered.has(c) && !(c in NOT_FROM_VPAE));
  assert.deepEqual(missing, [], `codes without a case in test/compiler/diagnostics/cases/: ${missing.join(", ")}`);
  for (const c of Object.keys(NOT_FROM_VPAE)) {
    assert.ok(codes.includes(c), `${c} is listed as not producible but is not in the catalog`);
    assert.ok(!covered.has(c), `${c} has a case after all: remove it from NOT_FROM_VPAE`);
  }
});

test("docs/language.md §9 shows every function with the parameters and defaults of compiler/functions.ts", () => {
  const md = readFileSync(fromRoot("docs", "language.md"), "utf8");
  const section = md.slice(md.indexOf("## 9. Functions"), md.indexOf("## 10."));
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(FUNCTIONS)) {
    if (spec.variadic) {
      if (!section.includes(`\`${name}(a, b, ...)\``)) missing.push(`${name}(a, b, ...)`);
      continue;
    }
    const signature = `${name}(${spec.params.map((p) => (p.default === undefined ? p.name : `${p.name} = ${String(p.default)}`)).join(", ")})`;
    if (!section.includes(`\`${signature}\``)) missing.push(signature);
  }
  assert.deepEqual(missing, []);
});

test("docs/language.md §8 lists every loss kind, and each kind's keys with the defaults of the loss table", () => {
  const md = readFileSync(fromRoot("docs", "language.md"), "utf8");
  const section = md.slice(md.indexOf("## 8. Losses"), md.indexOf("## 9."));
  const rows = section.split("\n").filter((l) => l.startsWith("| `"));
  const shown = (s: Setting): string | undefined => {
    switch (s.type) {
      case "num":
        return typeof s.default === "number" ? String(s.default) : undefined;
      case "choice":
        return s.default;
      case "times":
        return `[${s.default.join(", ")}]`;
      case "dist": {
        const d = s.default;
        return d.kind === "uniform" ? `uniform(${d.low}, ${d.high})` : d.kind === "logit_normal" ? `logit_normal(${d.mean}, ${d.std})` : undefined;
      }
      case "ref":
        return undefined; // a rule ("the only fake score"), said in words
    }
  };
  const problems: string[] = [];
  for (const kind of LOSS_KINDS) {
    const mine = rows.filter((r) => r.split("|")[1]!.includes(`\`${kind}\``));
    if (mine.length !== 2) {
      problems.push(`${kind}: ${mine.length} table rows (want one in each table)`);
      continue;
    }
    const keys = mine[1]!;
    for (const [key, s] of Object.entries(lossSettings(kind))) {
      const name = languageKey(key);
      const def = shown(s);
      const want = def === undefined ? `\`${name}\`` : `\`${name}\` (\`${def}\``;
      if (!keys.includes(want)) problems.push(`${kind}: ${want}`);
    }
  }
  assert.deepEqual(problems, []);
  // the sentence naming the kinds that need a teacher names exactly those that read it
  const sentence = section.slice(section.indexOf("(`VPAE2116`)."), section.indexOf("need a teacher."));
  const named = [...sentence.matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]!).sort();
  assert.deepEqual(named, LOSS_KINDS.filter(readsTeacher).sort());
});
