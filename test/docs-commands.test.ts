// The command outputs the docs show are real: every ```text block preceded by `<!-- checked: NAME -->`
// is run, with the other blocks of the same NAME in their order, in a fresh folder whose `experiments`
// is the repository's, and compared with what the page shows. A line `...` stands for any lines.
// Only what varies between runs is left out: durations ("in 11.0 s") and the latency column of
// report tables. Everything else, hashes, losses, scores and paths included, must match.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fromRoot, runCli, tempDir } from "./helpers.js";

interface Step {
  doc: string;
  args: string[];
  expected: string[];
}

const DOCS = ["README.md", "docs/sweeps.md"];

function sessions(): Map<string, Step[]> {
  const out = new Map<string, Step[]>();
  for (const doc of DOCS) {
    const text = readFileSync(fromRoot(doc), "utf8");
    for (const m of text.matchAll(/<!-- checked: ([\w-]+) -->\n```text\n([\s\S]*?)```/g)) {
      const steps = out.get(m[1]!) ?? [];
      let current: Step | null = null;
      for (const line of m[2]!.replace(/\n$/, "").split("\n")) {
        if (line.startsWith("$ ")) {
          const command = line.slice(2).replace(/\s+#.*$/, "").trim();
          assert.match(command, /^npx vpae /, `${doc}: a checked block runs vpae only: ${line}`);
          current = { doc, args: command.slice("npx vpae ".length).split(/\s+/), expected: [] };
          steps.push(current);
        } else {
          assert.ok(current, `${doc}: a checked block starts with a $ command`);
          current.expected.push(line);
        }
      }
      out.set(m[1]!, steps);
    }
  }
  return out;
}

/** Durations, and the latency column of a report table, are the only things allowed to differ. */
function normalise(lines: string[]): string[] {
  const out: string[] = [];
  let latency = -1;
  for (const raw of lines) {
    const line = raw.replace(/\b\d+(\.\d+)? (s|min|h)\b/g, "<time>").trimEnd();
    if (/latency \(ms\/video\)/.test(line)) latency = line.split(/\s{2,}/).indexOf("latency (ms/video)");
    if (latency >= 0 && line.trim() !== "") {
      const cells = line.split(/\s{2,}/);
      cells.splice(latency, 1);
      out.push(cells.join(" | "));
    } else {
      if (line.trim() === "") latency = -1;
      out.push(line);
    }
  }
  return out;
}

/** `expected` (with `...` lines matching any run of lines) against `actual`. */
function matches(expected: string[], actual: string[]): boolean {
  const go = (i: number, j: number): boolean => {
    if (i === expected.length) return j === actual.length;
    if (expected[i] === "...") {
      for (let k = j; k <= actual.length; k++) if (go(i + 1, k)) return true;
      return false;
    }
    return j < actual.length && expected[i] === actual[j] && go(i + 1, j + 1);
  };
  return go(0, 0);
}

for (const [name, steps] of sessions()) {
  test(`the checked commands of session '${name}' print what ${[...new Set(steps.map((s) => s.doc))].join(" and ")} ${new Set(steps.map((s) => s.doc)).size === 1 ? "shows" : "show"}`, () => {
    const dir = tempDir({});
    symlinkSync(fromRoot("experiments"), join(dir, "experiments"));
    for (const s of steps) {
      const r = runCli(s.args, { cwd: dir, env: { CI: "1" } });
      assert.ok(r.status === 0 || r.status === 130, `${s.doc}: vpae ${s.args.join(" ")} exited ${r.status}:\n${r.stderr}`);
      const actual = normalise((r.stdout.replace(/\n$/, "")).split("\n"));
      const expected = normalise(s.expected);
      assert.ok(matches(expected, actual), `${s.doc}: vpae ${s.args.join(" ")} printed\n${actual.join("\n")}\n\nbut the page shows\n${expected.join("\n")}`);
    }
  });
}
