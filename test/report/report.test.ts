// `vpae report` on fixture run folders with known scores: seeds aggregated as mean ± std with n, only
// the swept values that vary, comparisons against a reference group with the 2-SE rule, sorting, the
// four output formats, saved scores before in-run evaluations, unfinished members, and valid plots.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { MINIMAL, runCli, tempDir } from "../helpers.js";
import { compileFile } from "../../compiler/program.js";
import { openRunDir } from "../../runtime/engine/io/run-dir.js";
import { writeScores } from "../../runtime/engine/io/scores.js";
import { compare, stat } from "../../runtime/report/stats.js";

/** The minimal experiment with its student lr as a parameter, swept over two values and three seeds. */
const SOURCE = `param lr = 1e-4

${MINIMAL.replace("lr = 1e-4", "lr = lr")}
sweep grid over tiny {
  axis lr = [1e-4, 2e-4]
  seeds = [0, 1, 2]
}
`;

/** Known scores: SA 80 + 10 * (lr = 2e-4) + seed, TC 40 + seed, FQ 20 (an evaluation at step 5 has SA 30 lower); D gap 0.1 * (seed + 1). */
function fixture(source = SOURCE): { dir: string; file: string; runs: string; dirs: string[] } {
  const dir = tempDir({ "grid.vpae": source });
  const file = join(dir, "grid.vpae");
  const runs = join(dir, "runs");
  const compiled = compileFile(file);
  assert.deepEqual(compiled.diagnostics.filter((d) => d.severity === "error"), []);
  const dirs: string[] = [];
  for (const m of compiled.sweeps[0]!.members) {
    const plan = m.plan!;
    const seed = plan.seed;
    const high = m.name.startsWith("lr=0.0002");
    const run = openRunDir(runs, plan, { vpaeVersion: "test", backend: { name: "cpu", detail: "fixture" } });
    for (let step = 1; step <= 10; step++)
      run.appendMetrics({ step, phase: "distill", phaseStep: step, time: step * 1000, losses: { c_sds: 1 / step }, stats: { "d/d/logit_real": 0.1 * (seed + 1), "d/d/logit_fake": 0 } });
    const scores = { nfe: 1, semantic_alignment: 80 + (high ? 10 : 0) + seed, temporal_coherence: 40 + seed, frame_quality: 20, direction_accuracy: 75, latencyMs: 40, latencyPerVideoMs: 5 };
    run.recordEval({ step: 5, phase: "distill", results: { nfe1: { ...scores, semantic_alignment: scores.semantic_alignment - 30 } } });
    run.recordEval({ step: 10, phase: "distill", results: { nfe1: scores } });
    run.phaseStarted(0, "distill");
    run.phaseFinished(0);
    run.finish("finished");
    dirs.push(run.dir);
  }
  return { dir, file, runs, dirs };
}

test("the 2-SE rule: seeds on both sides, one seed against a spread, no spread at all", () => {
  assert.equal(compare(stat([90, 91, 92]), stat([80, 81, 82])).verdict, "higher");
  assert.equal(compare(stat([80, 83, 79]), stat([81, 80, 82])).verdict, "within noise");
  const one = compare(stat([77]), stat([80, 81, 82]));
  assert.equal(one.se, 1); // the reference's seed standard deviation
  assert.equal(one.verdict, "lower");
  assert.equal(compare(stat([1]), stat([2])).verdict, "no error bar");
});

test("report aggregates seeds, shows only the swept values, compares with a baseline and sorts", () => {
  const f = fixture();
  const r = runCli(["report", f.file, "--runs-dir", f.runs, "--baseline", "lr=0.0001"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.match(lines[0]!, /^sweep grid: 6 members \(6 finished\), student at 1 NFE on the validation clips, against lr=0\.0001$/);
  const header = lines[2]!;
  assert.match(header, /^lr\s+n\s+semantic alignment\s+temporal coherence\s+frame quality\s+mean\s+direction acc\. %\s+latency \(ms\/video\)\s+D gap \(end\)\s+Δ mean\s+reading\s+status$/);
  assert.doesNotMatch(header, /seed/, "seeds are replicates, not a column");
  const low = lines.find((l) => l.startsWith("0.0001 "))!;
  const high = lines.find((l) => l.startsWith("0.0002 "))!;
  assert.match(low, /^0\.0001\s+3\s+81\.0 ± 1\.0\s+41\.0 ± 1\.0\s+20\.0 ± 0\.0\s+47\.3 ± 0\.7\s+75\.0 ± 0\.0\s+5\.00 ± 0\.00\s+0\.20 ± 0\.10\s+reference\s+finished$/);
  assert.match(high, /^0\.0002\s+3\s+91\.0 ± 1\.0 .* 50\.7 ± 0\.7 .*\+3\.3\s+higher \(beyond 2 SE\)\s+finished$/);

  const sorted = runCli(["report", f.file, "--runs-dir", f.runs, "--sort", "-mean", "--format", "md"]);
  assert.equal(sorted.status, 0, sorted.stderr);
  const rows = sorted.stdout.split("\n").filter((l) => l.startsWith("| 0."));
  assert.deepEqual(rows.map((l) => l.split(" | ")[0]), ["| 0.0002", "| 0.0001"]);
  assert.match(sorted.stdout, /^\*\*sweep grid: 6 members/);
  assert.match(sorted.stdout, /\|---\|---\|/);
});

test("CSV and JSON carry means, standard deviations, n and the verdicts", () => {
  const f = fixture();
  const csv = runCli(["report", f.file, "--runs-dir", f.runs, "--format", "csv", "--baseline", "0"]).stdout.trim().split("\n");
  const head = csv[0]!.split(",");
  const row = (lr: string) => Object.fromEntries(csv.find((l) => l.startsWith(`${lr},`))!.split(",").map((v, i) => [head[i]!, v]));
  assert.equal(row("0.0002")["n"], "3");
  assert.equal(row("0.0002")["seeds"], "0 1 2");
  assert.equal(Number(row("0.0002")["semantic_alignment_mean"]), 91);
  assert.equal(Number(row("0.0002")["semantic_alignment_std"]), 1);
  assert.equal(row("0.0002")["verdict"], "higher");
  assert.equal(row("0.0001")["verdict"], "reference");

  const j = JSON.parse(runCli(["report", f.file, "--runs-dir", f.runs, "--format", "json", "--baseline", "lr=0.0001"]).stdout) as {
    axes: string[];
    groups: { key: string; n: number; metrics: Record<string, { mean: number; std: number | null; n: number }>; comparison: Record<string, { verdict: string; diff: number }> | null; members: { name: string; source: string; curve: [number, number][] }[] }[];
  };
  assert.deepEqual(j.axes, ["lr"]);
  const g = j.groups.find((x) => x.key === "lr=0.0002")!;
  assert.equal(g.metrics["mean"]!.n, 3);
  assert.ok(Math.abs(g.comparison!["mean"]!.diff - 10 / 3) < 1e-9);
  assert.equal(g.comparison!["temporal_coherence"]!.verdict, "within noise");
  assert.equal(j.groups.find((x) => x.key === "lr=0.0001")!.comparison, null);
  // each member's in-run curve: the mean of the three groups at every evaluation, by step
  const seed1 = g.members.find((m) => m.name.endsWith("seed=1"))!;
  assert.deepEqual(seed1.curve.map(([s]) => s), [5, 10]);
  assert.ok(Math.abs(seed1.curve[0]![1] - (61 + 41 + 20) / 3) < 1e-9 && Math.abs(seed1.curve[1]![1] - (91 + 41 + 20) / 3) < 1e-9, JSON.stringify(seed1.curve));
  assert.match(g.members[0]!.source, /^final evaluation at step 10$/);
});

test("an axis with one value is no column; the heading and the JSON name it", () => {
  const f = fixture(SOURCE.replace("axis lr = [1e-4, 2e-4]", "axis lr = [2e-4]"));
  const r = runCli(["report", f.file, "--runs-dir", f.runs]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.match(lines[0]!, /^sweep grid \(every member: lr=0\.0002\): 3 members \(3 finished\), student at 1 NFE/);
  assert.match(lines[2]!, /^n\s+semantic alignment/, "no lr column");
  assert.match(lines[3]!, /^3\s+91\.0 ± 1\.0/);
  const j = JSON.parse(runCli(["report", f.file, "--runs-dir", f.runs, "--format", "json"]).stdout) as { axes: string[]; fixed: Record<string, string> };
  assert.deepEqual(j.axes, []);
  assert.deepEqual(j.fixed, { lr: "0.0002" });
  // a sweep whose axis varies names nothing in its heading
  const g = fixture();
  const two = JSON.parse(runCli(["report", g.file, "--runs-dir", g.runs, "--format", "json"]).stdout) as { fixed: Record<string, string> };
  assert.deepEqual(two.fixed, {});
});

test("saved scores (vpae eval --save) come before the run's own evaluation; a member with no run says so", () => {
  const f = fixture();
  writeScores(f.dirs[0]!, "student", "validation", { clips: "validation", run: f.dirs[0]!, checkpoint: "x", weights: "student", backend: "cpu", samples: 64, role: "student", results: [{ nfe: 1, semantic_alignment: 10, temporal_coherence: 10, frame_quality: 10, direction_accuracy: 0, latencyMs: 1, latencyPerVideoMs: 1 }] });
  rmSync(f.dirs[5]!, { recursive: true });
  const j = JSON.parse(runCli(["report", f.file, "--runs-dir", f.runs, "--format", "json"]).stdout) as { groups: { key: string; n: number; members: { index: number; status: string; source: string | null; values: Record<string, number> }[] }[] };
  const all = j.groups.flatMap((g) => g.members);
  const first = all.find((m) => m.index === 0)!;
  assert.equal(first.source, "scores-student-validation.json (64 clips)");
  assert.equal(first.values["semantic_alignment"], 10);
  // --in-run: the run's own final evaluation even where saved scores exist
  const inRun = JSON.parse(runCli(["report", f.file, "--runs-dir", f.runs, "--format", "json", "--in-run"]).stdout) as typeof j;
  assert.equal(inRun.groups.flatMap((g) => g.members).find((m) => m.index === 0)!.source, "final evaluation at step 10");
  assert.equal(runCli(["report", f.file, "--runs-dir", f.runs, "--in-run", "--clips", "test"]).status, 2);
  const missing = all.find((m) => m.index === 5)!;
  assert.equal(missing.status, "not run");
  assert.deepEqual(missing.values, {});
  const text = runCli(["report", f.file, "--runs-dir", f.runs]).stdout;
  assert.match(text, /6 members \(5 finished\)/);
  assert.match(text, /finished, not run/);
});

test("plots: metrics against each swept value and the training curves, as valid SVG and PNG", () => {
  const f = fixture();
  const plots = join(f.dir, "plots");
  const r = runCli(["report", f.file, "--runs-dir", f.runs, "--plots", plots]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /wrote 4 plot files/);
  for (const name of ["metrics-vs-lr", "curves"]) {
    const svg = readFileSync(join(plots, `${name}.svg`), "utf8");
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok(svg.trimEnd().endsWith("</svg>"));
    const png = readFileSync(join(plots, `${name}.png`));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
    assert.equal(png.subarray(12, 16).toString("latin1"), "IHDR");
    assert.ok(png.readUInt32BE(16) > 200 && png.readUInt32BE(20) > 100, "a picture of some size");
  }
  const metrics = readFileSync(join(plots, "metrics-vs-lr.svg"), "utf8");
  for (const label of ["semantic alignment", "frame quality", "D gap (end)"]) assert.ok(metrics.includes(label), label);
  assert.ok(readFileSync(join(plots, "curves.svg"), "utf8").includes("loss c_sds"));
});

test("report refuses what it cannot read with a reason", () => {
  const f = fixture();
  const cases: [string[], number, RegExp][] = [
    [["report", f.file, "--runs-dir", f.runs, "--baseline", "nope"], 2, /--baseline nope: no member or group of that name \(groups: lr=0\.0001, lr=0\.0002\)/],
    [["report", f.file, "--runs-dir", f.runs, "--sort", "speed"], 2, /--sort speed: sort by a metric/],
    [["report", "nosuch", "--runs-dir", f.runs], 1, /nosuch is neither a \.vpae file, a sweep folder nor a sweep under/],
    [["report", f.file, "--format", "xml"], 2, /--format is table, md, csv or json/],
  ];
  for (const [args, code, want] of cases) {
    const r = runCli(args);
    assert.equal(r.status, code, r.stderr);
    assert.match(r.stderr, want);
  }
  writeFileSync(join(f.dir, "empty.vpae"), "param x = 1\n");
  const none = runCli(["report", join(f.dir, "empty.vpae"), "--runs-dir", f.runs]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /declares no sweep/);
  assert.ok(existsSync(f.runs));
});
