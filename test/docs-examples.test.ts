// Every ```vpae example in the docs compiles without errors. In docs/*.md each block is a complete
// file (a first line `// file: NAME` saves it under that name, so later blocks can import it); the
// README's tour is one file told in pieces, so its blocks are joined.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileFile } from "../compiler/program.js";
import { fromRoot, memoryHost } from "./helpers.js";

function blocks(markdown: string): string[] {
  return [...markdown.matchAll(/```vpae\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function compileAll(doc: string, files: { name: string; text: string }[]): void {
  const host = memoryHost(Object.fromEntries(files.map((f) => [f.name, f.text])));
  for (const f of files) {
    const r = compileFile(f.name, { host });
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(
      errors.map((d) => `${d.span?.line}:${d.span?.col} ${d.code} ${d.message}`),
      [],
      `${doc}: example ${f.name} does not compile:\n${f.text}`,
    );
  }
}

for (const doc of ["docs/language.md", "docs/plan.md"]) {
  test(`the examples in ${doc} compile`, () => {
    const found = blocks(readFileSync(fromRoot(doc), "utf8"));
    assert.ok(found.length > 0, `${doc} has no vpae examples`);
    const files = found.map((text, i) => ({ name: /^\/\/ file: (\S+)/.exec(text)?.[1] ?? `example-${i + 1}.vpae`, text }));
    compileAll(doc, files);
  });
}

test("the README's tour, put together, compiles to an experiment and a sweep", () => {
  const text = blocks(readFileSync(fromRoot("README.md"), "utf8")).join("\n");
  const host = memoryHost({ "tour.vpae": text });
  const r = compileFile("tour.vpae", { host });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
  assert.equal(r.plans.length, 1);
  assert.ok(r.sweeps.length >= 1 && r.sweeps[0]!.members.length > 1);
});
