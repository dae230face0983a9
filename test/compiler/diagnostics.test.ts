// The diagnostics suite: compiles every case in test/compiler/diagnostics/cases/ and checks that the
// multiset of (code, file, line, col) it produces equals the expectations in the case's header, warnings
// included (format: test/compiler/diagnostics/expectations.ts). Hints are checked where a case names one.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { compileFile } from "../../compiler/program.js";
import { D } from "../../compiler/diagnostics/catalog.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { caseNames, casesDir, parseExpectations, readCase } from "./diagnostics/expectations.js";

function where(d: Diagnostic): string {
  if (!d.span) return "(no position)";
  return `${path.relative(casesDir, d.span.file).split(path.sep).join("/")}:${d.span.line}:${d.span.col}`;
}

const catalog = new Map<string, { severity?: string }>(Object.values(D).map((e) => [e.code, e]));

test("the suite has at least 45 cases, each expecting catalogued codes", () => {
  const names = caseNames();
  assert.ok(names.length >= 45, `only ${names.length} cases`);
  for (const name of names) {
    const { expected } = readCase(name);
    assert.ok(expected.length > 0, `${name} lists no '// expect:' line`);
    for (const e of expected) assert.ok(catalog.has(e.code), `${name} expects ${e.code}, which is not in the catalog`);
  }
});

test("expectation headers are parsed strictly", () => {
  const text = "// what this case is about\n// expect: VPAE2101 14:11 hint: did you mean 'student'?\n// expect: VPAE2002 helpers/b.vpae:2:8\nexperiment x {}\n// expect: VPAE9999 1:1\n";
  assert.deepEqual(parseExpectations("c.vpae", text), [
    { code: "VPAE2101", where: "c.vpae:14:11", hint: "did you mean 'student'?" },
    { code: "VPAE2002", where: "helpers/b.vpae:2:8" },
  ]);
  assert.throws(() => parseExpectations("c.vpae", "// expect: VPAE2101 line 14\n"), /malformed expectation/);
});

for (const name of caseNames()) {
  test(`case ${name}`, () => {
    const { file, expected } = readCase(name);
    const got = compileFile(file).diagnostics;

    const want = expected.map((e) => `${e.code} ${e.where}`).sort();
    const have = got.map((d) => `${d.code} ${where(d)}`).sort();
    assert.deepEqual(have, want, `${name}: diagnostics differ; produced:\n${got.map((d) => `  ${d.code} ${where(d)} ${d.message}`).join("\n")}`);

    for (const d of got) {
      const entry = catalog.get(d.code);
      assert.ok(entry, `${d.code} is not in the catalog`);
      assert.equal(d.severity, entry.severity ?? "error", `${d.code} has the wrong severity`);
      assert.ok(d.message.trim().length > 0, `${d.code} at ${where(d)} has an empty message`);
      assert.doesNotMatch(d.message, /\{\d+\}/, `${d.code}: template placeholder left in "${d.message}"`);
    }
    for (const e of expected) {
      if (e.hint === undefined) continue;
      const d = got.find((x) => x.code === e.code && where(x) === e.where);
      assert.ok(d?.hint, `${name}: ${e.code} at ${e.where} has no hint (expected one containing "${e.hint}")`);
      assert.ok(d.hint.includes(e.hint), `${name}: hint "${d.hint}" does not contain "${e.hint}"`);
    }
  });
}
