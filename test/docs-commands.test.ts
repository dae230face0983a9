// The command outputs the docs show are real: every ```text block preceded by `<!-- checked: NAME -->`
// is run, with the other blocks of the same NAME in their order, in a fresh folder whose `experiments`
// is the repository's, and compared with what the page shows. A line `...` stands for any lines.
// Only what varies between runs is left out: durations ("in 11.0 s") and the latency column of
// report tables. Everything else, hashes, losses, scores and paths included, must match.
// UPDATE_DOCS=1 npm test writes what the commands print into the pages instead of comparing (a `...`
// line keeps eliding the lines between the ones around it); review the diff, then commit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromRoot, runCli, tempDir } from "./helpers.js";

interface Step {
  doc: string;
  args: string[];
  expected: string[];
  /** Where the step's lines are in the page: the `$` line's offset and the end of its output. */
  at: { start: number; end: number };
}

const update = process.env["UPDATE_DOCS"] === "1";

const DOCS = ["README.md", "docs/sweeps.md"];

function sessions(): Map<string, Step[]> {
  const out = new Map<string, Step[]>();
  for (const doc of DOCS) {
    const text = readFileSync(fromRoot(doc), "utf8");
    for (const m of text.matchAll(/<!-- checked: ([\w-]+) -->\n```text\n([\s\S]*?)```/g)) {
      const steps = out.get(m[1]!) ?? [];
      let current: Step | null = null;
      let offset = m.index + m[0].indexOf("```text\n") + "```text\n".length;
      for (const line of m[2]!.replace(/\n$/, "").split("\n")) {
        if (line.startsWith("$ ")) {
          const command = line.slice(2).replace(/\s+#.*$/, "").trim();
          assert.match(command, /^npx vpae /, `${doc}: a checked block runs vpae only: ${line}`);
          current = { doc, args: command.slice("npx vpae ".length).split(/\s+/), expected: [], at: { start: offset + line.length + 1, end: offset + line.length + 1 } };
          steps.push(current);
        } else {
          assert.ok(current, `${doc}: a checked block starts with a $ command`);
          current.expected.push(line);
          current.at.end = offset + line.length + 1;
        }
        offset += line.length + 1;
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

/**
 * The page's lines for a step, from what the command printed: the printed lines, except that a `...`
 * line of the page keeps standing for the printed lines between the page's lines around it.
 */
function rewritten(expected: string[], printed: string[]): string[] {
  const gap = expected.indexOf("...");
  if (gap < 0) return printed;
  const tail = expected.length - gap - 1;
  return [...printed.slice(0, gap), "...", ...printed.slice(printed.length - tail)];
}

/** Replaces each step's output lines in its page (from the end, so that earlier offsets hold). */
function writeBack(steps: Step[], printed: Map<Step, string[]>): void {
  for (const doc of new Set(steps.map((s) => s.doc))) {
    let text = readFileSync(fromRoot(doc), "utf8");
    for (const s of steps.filter((x) => x.doc === doc).sort((a, b) => b.at.start - a.at.start)) {
      const lines = rewritten(s.expected, printed.get(s)!);
      text = text.slice(0, s.at.start) + lines.map((l) => l + "\n").join("") + text.slice(s.at.end);
    }
    writeFileSync(fromRoot(doc), text);
  }
}

for (const [name, steps] of sessions()) {
  test(`the checked commands of session '${name}' print what ${[...new Set(steps.map((s) => s.doc))].join(" and ")} ${new Set(steps.map((s) => s.doc)).size === 1 ? "shows" : "show"}`, () => {
    const dir = tempDir({});
    symlinkSync(fromRoot("experiments"), join(dir, "experiments"));
    const printed = new Map<Step, string[]>();
    for (const s of steps) {
      const r = runCli(s.args, { cwd: dir, env: { CI: "1" } });
      assert.ok(r.status === 0 || r.status === 130, `${s.doc}: vpae ${s.args.join(" ")} exited ${r.status}:\n${r.stderr}`);
      const raw = r.stdout.replace(/\n$/, "").split("\n").map((l) => l.trimEnd());
      printed.set(s, raw);
      if (update) continue;
      const actual = normalise(raw);
      const expected = normalise(s.expected);
      assert.ok(matches(expected, actual), `${s.doc}: vpae ${s.args.join(" ")} printed\n${actual.join("\n")}\n\nbut the page shows\n${expected.join("\n")}`);
    }
    if (update) writeBack(steps, printed);
  });
}
