// docs/results-notes.md reads docs/results.md: every score it quotes must be on that page, so that a
// regenerated page cannot leave the notes quoting numbers that no longer exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fromRoot } from "./helpers.js";

const notes = readFileSync(fromRoot("docs", "results-notes.md"), "utf8");
const results = readFileSync(fromRoot("docs", "results.md"), "utf8");

/** The numbers on a page written as scores are: one decimal, at least 10 (0-100 scores, ms, minutes). */
function scores(text: string): string[] {
  return [...text.matchAll(/(?<![\d.])(\d{2,}\.\d)(?![\d])/g)].map((m) => m[1]!);
}

test("every score docs/results-notes.md quotes is on docs/results.md", () => {
  const quoted = scores(notes);
  assert.ok(quoted.length >= 20, `only ${quoted.length} scores found: the pattern no longer matches the page`);
  const missing = [...new Set(quoted)].filter((x) => !new RegExp(`(?<![\\d.])${x.replace(".", "\\.")}(?![\\d])`).test(results));
  assert.deepEqual(missing, [], `quoted in results-notes.md but not on results.md: ${missing.join(", ")}`);
});

test("every run the notes name has a committed summary", () => {
  const runs = [...notes.matchAll(/`((?:vpae|dmd2|apt|pcm|add|quickstart)-[0-9a-f]{12})`/g)].map((m) => m[1]!);
  assert.ok(runs.length > 0);
  for (const r of runs) assert.ok(existsSync(fromRoot("experiments", "results", r, "manifest.json")), r);
});
