// Project files never point outside the repository: no absolute path of a machine in the pages, the
// experiments or the committed run summaries, and every relative link of a page leads to a file of
// the repository.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fromRoot, repoRoot } from "./helpers.js";

function walk(dir: string, keep: (f: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, keep, out);
    else if (keep(p)) out.push(p);
  }
  return out;
}

const pages = [fromRoot("README.md"), ...walk(fromRoot("docs"), (f) => f.endsWith(".md")), ...walk(fromRoot("experiments"), (f) => f.endsWith(".md"))];
const ABSOLUTE = /(^|["'\s(=:`])\/(work|home|root|tmp|mnt|Users|var)\/\S*/m;

test("the pages, the experiments and the committed run summaries name no absolute path of a machine", () => {
  const files = [...pages, ...walk(fromRoot("experiments"), (f) => /\.(vpae|json|yaml)$/.test(f))];
  assert.ok(files.length > 50, `${files.length} files`);
  const found = files.flatMap((f) => {
    const m = ABSOLUTE.exec(readFileSync(f, "utf8"));
    return m ? [`${relative(repoRoot, f)}: ${m[0].trim()}`] : [];
  });
  assert.deepEqual(found, []);
});

test("every relative link of a page leads to a file inside the repository", () => {
  const bad: string[] = [];
  for (const page of pages) {
    for (const m of readFileSync(page, "utf8").matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      const abs = resolve(dirname(page), target);
      if (relative(repoRoot, abs).startsWith("..") || !existsSync(abs)) bad.push(`${relative(repoRoot, page)}: ${target}`);
    }
  }
  assert.deepEqual(bad, []);
});
