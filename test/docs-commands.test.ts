// The examples in README.md and docs/*.md are real.
//
// Files: a fenced block whose first line is `// file: NAME` (or that follows `<!-- file: NAME -->`) is
// the file NAME; blocks of the same NAME in one page join in order (the README's tour is built
// snippet by snippet).
// Commands: every ```text block preceded by `<!-- checked: NAME -->` is run, with the other blocks of
// the same NAME in their order, in a fresh folder that holds the pages' files and whose `experiments`
// is the repository's. A `$ ` line is a shell command (`npx vpae` and `vpae` run this checkout's vpae;
// `node`, `sed` and redirections work as in a terminal); the lines below it are what the terminal
// shows, standard output and standard error together, and a line `...` stands for any lines. Only
// what varies between runs is left out: durations ("in 11.0 s") and the latency column of report
// tables. Everything else, hashes, losses, scores and paths included, must match.
// UPDATE_DOCS=1 npm test writes what the commands print into the pages instead of comparing (a `...`
// line keeps eliding the lines between the ones around it); review the diff, then commit.
// Every other `vpae` command line that a page shows is parsed with the command's own options, and
// the repository files it names must exist.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fromRoot, runCli, tempDir } from "./helpers.js";
import { canonicalJson } from "../compiler/plan/hash.js";
import { commandModule } from "../runtime/cli/main.js";
import { parseArgs } from "../runtime/cli/args.js";

interface Step {
  doc: string;
  command: string;
  expected: string[];
  /** Where the step's lines are in the page: the `$` line's offset and the end of its output. */
  at: { start: number; end: number };
}

const update = process.env["UPDATE_DOCS"] === "1";

/** The pages: the READMEs and every page of docs/ but the generated results page. */
const DOCS = [
  "README.md",
  ...readdirSync(fromRoot("docs")).filter((f) => f.endsWith(".md") && f !== "results.md").sort().map((f) => `docs/${f}`),
  "experiments/README.md",
  "experiments/checkpoints/README.md",
];

const FENCE = /(?:<!-- (checked|file|plan): ([\w./-]+) -->\n)?```(\w*)\n([\s\S]*?)```/g;

interface Pages {
  sessions: Map<string, Step[]>;
  /** doc -> file name -> text. */
  files: Map<string, Map<string, string>>;
  /** Excerpts of plans: the page, the .vpae file compiled, the excerpt. */
  excerpts: { doc: string; source: string; text: string }[];
  /** Command lines shown outside checked blocks: doc, line number, the command. */
  shown: { doc: string; line: number; command: string }[];
}

function readPages(): Pages {
  const sessions = new Map<string, Step[]>();
  const files = new Map<string, Map<string, string>>();
  const shown: Pages["shown"] = [];
  const excerpts: Pages["excerpts"] = [];
  for (const doc of DOCS) {
    const text = readFileSync(fromRoot(doc), "utf8");
    const own = new Map<string, string>();
    files.set(doc, own);
    for (const m of text.matchAll(FENCE)) {
      const [, marker, name, lang, body] = m as unknown as [string, string | undefined, string | undefined, string, string];
      const named = marker === "file" ? name : /^\/\/ file: (\S+)/.exec(body)?.[1];
      if (named) own.set(named, (own.get(named) ?? "") + body);
      if (marker === "plan") excerpts.push({ doc, source: name!, text: body });
      if (marker !== "checked") {
        if (lang === "sh" || lang === "text" || lang === "") {
          const first = text.slice(0, m.index).split("\n").length + 1;
          body.split("\n").forEach((line, i) => {
            const c = /^(?:\$ )?((?:npx )?vpae .*)$/.exec(line)?.[1];
            if (c) shown.push({ doc, line: first + i, command: c });
          });
        }
        continue;
      }
      assert.equal(lang, "text", `${doc}: a checked block is a text block`);
      const steps = sessions.get(name!) ?? [];
      let current: Step | null = null;
      let offset = m.index + m[0].indexOf("```text\n") + "```text\n".length;
      for (const line of body.replace(/\n$/, "").split("\n")) {
        if (line.startsWith("$ ")) {
          const command = line.slice(2).replace(/\s+#\s.*$/, "").trim();
          current = { doc, command, expected: [], at: { start: offset + line.length + 1, end: offset + line.length + 1 } };
          steps.push(current);
        } else {
          assert.ok(current, `${doc}: a checked block starts with a $ command`);
          current.expected.push(line);
          current.at.end = offset + line.length + 1;
        }
        offset += line.length + 1;
      }
      sessions.set(name!, steps);
    }
  }
  return { sessions, files, shown, excerpts };
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

const pages = readPages();

/** A folder of `vpae` and `npx` commands that run this checkout's vpae, for the pages' shell lines. */
function shims(): string {
  const bin = tempDir({}, "vpae-docs-bin-");
  const vpae = `exec "${process.execPath}" "${fromRoot("bin", "vpae.js")}" "$@"`;
  writeFileSync(join(bin, "vpae"), `#!/bin/sh\n${vpae}\n`);
  writeFileSync(join(bin, "npx"), `#!/bin/sh\nif [ "$1" = vpae ]; then shift; ${vpae}; fi\necho "npx: the docs test runs only npx vpae" >&2\nexit 127\n`);
  for (const f of ["vpae", "npx"]) chmodSync(join(bin, f), 0o755);
  return bin;
}

/** What each step printed, for UPDATE_DOCS=1: written back once every session has run. */
const printedAll = new Map<Step, string[]>();
if (update) after(() => writeBack([...printedAll.keys()], printedAll));

for (const [name, steps] of pages.sessions) {
  const docs = [...new Set(steps.map((s) => s.doc))];
  test(`the checked commands of session '${name}' print what ${docs.join(" and ")} ${docs.length === 1 ? "shows" : "show"}`, () => {
    const dir = tempDir({});
    symlinkSync(fromRoot("experiments"), join(dir, "experiments"));
    for (const doc of docs) {
      for (const [file, text] of pages.files.get(doc)!) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      }
    }
    const bin = shims();
    for (const s of steps) {
      // Standard error joins standard output before the command's own redirections, as in a terminal.
      const r = spawnSync("bash", ["-c", `exec 2>&1\n${s.command}`], {
        cwd: dir,
        env: { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}`, CI: "1", NO_COLOR: "1" },
        input: "",
        encoding: "utf8",
      });
      // 0, 1 (the input has errors: pages show such answers) and 130 (stopped) are answers; 2 and 3 are not.
      assert.ok(r.status === 0 || r.status === 1 || r.status === 130, `${s.doc}: ${s.command} exited ${r.status}:\n${r.stdout}`);
      const raw = r.stdout === "" ? [] : r.stdout.replace(/\n$/, "").split("\n").map((l) => l.trimEnd());
      const actual = normalise(raw);
      const expected = normalise(s.expected);
      if (update) {
        // Only steps whose output changed are rewritten: durations and latencies keep the page's values.
        if (!matches(expected, actual)) printedAll.set(s, raw);
        continue;
      }
      assert.ok(matches(expected, actual), `${s.doc}: ${s.command} printed\n${actual.join("\n")}\n\nbut the page shows\n${expected.join("\n")}`);
    }
  });
}

test("every other vpae command line the pages show names a real command with its own options, and the repository files it names exist", async () => {
  assert.ok(pages.shown.length >= 10, `found ${pages.shown.length} command lines`);
  const problems: string[] = [];
  for (const { doc, line, command } of pages.shown) {
    const words = (command.replace(/\s+#\s.*$/, "").match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^(['"])(.*)\1$/, "$2"));
    const argv = words.slice(words[0] === "npx" ? 2 : 1);
    const stop = argv.findIndex((w) => w === ">" || w === "|" || w.startsWith(">") || w === "&&");
    const args = stop >= 0 ? argv.slice(0, stop) : argv;
    const [name, ...rest] = args;
    const where = `${doc}:${line}: ${command}`;
    if (name === undefined || name.startsWith("-")) continue; // vpae --version, vpae -V
    const c = await commandModule(name);
    if (!c) {
      problems.push(`${where}: no command '${name}'`);
      continue;
    }
    try {
      const parsed = parseArgs(name, rest, c.spec);
      for (const p of parsed.positionals) if (p.startsWith("experiments/") && !p.includes("*") && !existsSync(fromRoot(p))) problems.push(`${where}: ${p} does not exist`);
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
  }
  assert.deepEqual(problems, []);
});

/** Every (key, value) of a JSON value, at any depth, as `"key":<canonical value>` strings. */
function pairs(value: unknown, out = new Set<string>()): Set<string> {
  if (value === null || typeof value !== "object") return out;
  for (const [k, v] of Object.entries(value)) {
    out.add(`${JSON.stringify(k)}:${canonicalJson(v)}`);
    pairs(v, out);
  }
  return out;
}

for (const [i, { doc, source, text }] of pages.excerpts.entries()) {
  test(`excerpt ${i + 1}: the excerpt of ${source}'s plan in ${doc} shows values that vpae compile ${source} writes (hashes included)`, () => {
    const dir = tempDir(Object.fromEntries(pages.files.get(doc)!));
    const r = runCli(["compile", source], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const actual = pairs(JSON.parse(r.stdout));
    const missing: string[] = [];
    let checked = 0;
    for (const raw of text.split("\n")) {
      const line = raw.replace(/\s+\/\/ .*$/, "");
      // A whole object on one line is compared as a whole; otherwise each plain key: value pair.
      const whole = /^\s*("[^"]+")\s*:\s*(\{.*\})\s*,?$/.exec(line);
      if (whole) {
        try {
          const key = `${whole[1]}:${canonicalJson(JSON.parse(whole[2]!))}`;
          checked++;
          if (!actual.has(key)) missing.push(line.trim());
          continue;
        } catch {
          // not a complete object: fall through to its pairs
        }
      }
      for (const m of line.matchAll(/("[^"]+")\s*:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)(?=\s*[,}\]]|\s*$)/g)) {
        checked++;
        if (!actual.has(`${m[1]}:${canonicalJson(JSON.parse(m[2]!))}`)) missing.push(`${m[1]}: ${m[2]}`);
      }
    }
    assert.ok(checked >= 1, `${doc}: only ${checked} values found in the excerpt`);
    assert.deepEqual(missing, [], `${doc}: values the excerpt shows that the plan of ${source} does not have`);
  });
}

test("every plan hash a page shows outside the checked blocks is one that a checked block or a committed plan shows", () => {
  const VERIFIED = /<!-- (?:checked|plan|screen)[^>]*-->\n```\w*\n[\s\S]*?```/g;
  const HASH = /\b[0-9a-f]{12}(?:[0-9a-f]{52})?\b/g;
  const known = new Set<string>();
  const pagesWithHashes = DOCS;
  for (const doc of pagesWithHashes) for (const block of readFileSync(fromRoot(doc), "utf8").match(VERIFIED) ?? []) for (const h of block.match(HASH) ?? []) known.add(h.slice(0, 12));
  // the committed run summaries' plans (the README names the quickstart's)
  const results = fromRoot("experiments", "results");
  for (const d of readdirSync(results)) if (existsSync(join(results, d, "plan.json"))) known.add((JSON.parse(readFileSync(join(results, d, "plan.json"), "utf8")) as { hash: string }).hash.slice(0, 12));
  // the committed teacher's plan and the plan its run recorded
  for (const f of readdirSync(fromRoot("experiments", "checkpoints")).filter((n) => n.endsWith(".plan.json") || n.endsWith(".manifest.json"))) {
    const v = JSON.parse(readFileSync(fromRoot("experiments", "checkpoints", f), "utf8")) as { hash?: string; planHash?: string };
    known.add((v.hash ?? v.planHash ?? "").slice(0, 12));
  }
  const stale: string[] = [];
  for (const doc of pagesWithHashes) {
    const text = readFileSync(fromRoot(doc), "utf8").replace(VERIFIED, "");
    for (const h of text.match(HASH) ?? []) if (/\d/.test(h) && /[a-f]/.test(h) && !known.has(h.slice(0, 12))) stale.push(`${doc}: ${h}`);
  }
  assert.deepEqual(stale, []);
});

test("the committed teacher.plan.json is the plan vpae compile experiments/teacher.vpae writes today", () => {
  const r = runCli(["compile", "experiments/teacher.vpae"]);
  assert.equal(r.status, 0, r.stderr);
  const committed = JSON.parse(readFileSync(fromRoot("experiments", "checkpoints", "teacher.plan.json"), "utf8")) as { hash: string };
  assert.equal(committed.hash, (JSON.parse(r.stdout) as { hash: string }).hash, "recompile it: vpae compile experiments/teacher.vpae -o experiments/checkpoints/teacher.plan.json");
});
