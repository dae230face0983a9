// scripts/results.js turns `vpae report` over run summaries into docs/results.md: the summaries here are
// fixture run folders for real members of the campaign's sweep files (experiments/main.vpae,
// ablations.vpae, tuning.vpae, d-calibration.vpae) with known scores, so means, standard deviations,
// verdicts, the campaign's seed rule, the tuning selection, the budget rule and every row's command are
// checked against numbers worked out by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromRoot, tempDir } from "../helpers.js";
import { compileFile } from "../../compiler/program.js";
import type { Plan } from "../../compiler/plan/schema.js";
import { openRunDir } from "../../runtime/engine/io/run-dir.js";
import { updateManifest } from "../../runtime/engine/io/manifest.js";
import { writeScores } from "../../runtime/engine/io/scores.js";

/** The plan of member `name` of sweep `sweep` in `file`. */
function member(file: string, sweep: string, name: string): Plan {
  const r = compileFile(fromRoot(file));
  const m = r.sweeps.find((s) => s.name === sweep)!.members.find((x) => x.name === name);
  assert.ok(m?.plan, `${file}: ${sweep} has a member ${name}`);
  return m.plan;
}

type Score = [number, number, number];

/**
 * A finished run summary: scores per NFE (direction 90, latency 7 ms x NFE) on `clips`, training minutes,
 * a D gap log, and in-run 1-NFE evaluations whose mean score is `curve` (one per 100 steps). A plan that
 * two sweeps share (a main-table seed that is also a tuning member) has one folder: the second call adds
 * to it.
 */
function summary(out: string, plan: Plan, scores: Record<number, Score>, minutes: number, opts: { teacher?: Score; gap?: [number, number][]; clips?: string[]; curve?: number[]; speeds?: { coverage: number; matched: number }; coverage?: [number | null, number][] } = {}): string {
  let dir = join(out, `${plan.experiment}-${plan.hash.slice(0, 12)}`);
  if (!existsSync(dir)) {
    const run = openRunDir(out, plan, { vpaeVersion: "test", backend: { name: "cpu", detail: "fixture" } });
    (opts.gap ?? []).forEach(([real, fake], i) => run.appendMetrics({ step: i + 1, phase: "equilibrium", phaseStep: i + 1, time: i, losses: {}, stats: { "d/d/logit_real": real, "d/d/logit_fake": fake } }));
    run.finish("finished");
    dir = run.dir;
  }
  const run = { dir };
  updateManifest(run.dir, (m) => {
    if (opts.curve || m.evals.length === 0) m.evals = (opts.curve ?? []).map((v, i) => ({ step: 100 * (i + 1), phase: "b", results: { nfe1: { nfe: 1, semantic_alignment: v, temporal_coherence: v, frame_quality: v } } }));
    // in-run speed coverage (and the share of clips that follow one speed) at updates 200, 300, ...
    if (opts.coverage) m.evals = opts.coverage.map(([coverage, matched], i) => ({ step: 100 * (i + 2), phase: "b", results: { nfe1: { nfe: 1, semantic_alignment: 1, temporal_coherence: 1, frame_quality: 1, speed_coverage: coverage, details: { n: 32, speeds: { matched, shares: {}, coverage } } } } }));
    m.phases = [
      { index: 0, name: "a", startedAt: "", finishedAt: "", seconds: minutes * 30 },
      { index: 1, name: "b", startedAt: "", finishedAt: "", seconds: minutes * 30 },
    ];
  });
  const speeds = opts.speeds ? { speed_coverage: opts.speeds.coverage, details: { speeds: { matched: opts.speeds.matched, shares: {}, coverage: opts.speeds.coverage } } } : {};
  const rows = (s: Record<number, Score>) => Object.entries(s).map(([nfe, [sa, tc, fq]]) => ({ nfe: Number(nfe), semantic_alignment: sa, temporal_coherence: tc, frame_quality: fq, direction_accuracy: 90, latencyMs: 0, latencyPerVideoMs: Number(nfe) * 7, ...speeds }));
  for (const clips of opts.clips ?? ["validation", "test"]) {
    writeScores(run.dir, "student", clips, { clips, run: run.dir, checkpoint: "x", weights: "student", backend: "cpu", samples: 64, role: "student", results: rows(scores) });
    if (opts.teacher) writeScores(run.dir, "teacher", clips, { clips, run: run.dir, checkpoint: "x", weights: "teacher", backend: "cpu", samples: 64, role: "teacher", results: rows({ 100: opts.teacher }) });
  }
  return run.dir;
}

test("results page: mean ± std over seeds, computed verdicts, the seed rule, commands and training times", () => {
  const out = tempDir({});
  // V-PAE: mean scores 62.3 / 63.3 / 64.3, so the full method's seed std of the mean is 1
  const vp: Score[] = [
    [79, 50, 58],
    [80, 50, 60],
    [81, 50, 62],
  ];
  // speed coverage: seed 0 uses both futures, seeds 1 and 2 one (the teacher's rows share the same value)
  vp.forEach((s, seed) => summary(out, member("experiments/main.vpae", "vpae_seeds", `seed=${seed}`), { 1: s, 4: [90, 60, 70] }, 10, { ...(seed === 0 ? { teacher: [92, 70, 72] as Score } : {}), speeds: { coverage: seed === 0 ? 100 : 0, matched: 40 + 5 * seed } }));
  [0, 1, 2].forEach((seed) => summary(out, member("experiments/main.vpae", "dmd2_seeds", `seed=${seed}`), { 1: [40 + seed, 30, 20] }, 20));
  // V-PAE's tuning is complete: its best member is the main table's seed 0 (vpae.vpae holds its values)
  for (const name of ["equilibrium_lr=0.00001", "equilibrium_lr=0.00003", "equilibrium_lr=0.0001", "variant=gan_weight_003"])
    summary(out, member("experiments/tuning.vpae", "vpae_tuning", `generator_updates=1000,${name},seed=0`), { 1: [50, 40, 30] }, 30, { clips: ["validation"] });
  // so is ADD's: its selected member (weight 10) is its main seed 0; DMD2's is not (below), so DMD2 gets no row
  [0, 1, 2].forEach((seed) => summary(out, member("experiments/main.vpae", "add_seeds", `seed=${seed}`), { 1: [40 + seed, 30, 20] }, 20));
  for (const lr of ["0.00001", "0.00003", "0.0001", "0.0003"])
    summary(out, member("experiments/tuning.vpae", "add_tuning", `generator_updates=1000,sds_weight=2.5,lr=${lr},seed=0`), { 1: [30, 20, 10] }, 30, { clips: ["validation"] });
  // one-seed ablations: no STR1 0.3 below the full method (within its seed noise), C-SDS 0 far below
  summary(out, member("experiments/ablations.vpae", "ablations", "variant=no_str1,seed=0"), { 1: [80, 50, 59] }, 10, { coverage: [[null, 0], [0, 6.25], [100, 50]] });
  summary(out, member("experiments/ablations.vpae", "ablations", "csds_weight=0,seed=0"), { 1: [30, 0, 0] }, 10);
  // a seed the rule does not give (C-SDS 0 is decisive at seed 0), trained anyway: listed and named on the page
  summary(out, member("experiments/ablations.vpae", "ablations", "csds_weight=0,seed=1"), { 1: [30, 0, 0] }, 10);
  // DMD2's tuning (validation only): lr 3e-5 has the best mean and is selected; its curve gains under
  // 1 point over the last 20% of the updates from step 700 on (600: +10.5 over step 400's 40)
  const curve = [10, 20, 30, 40, 50, 50.5, 50.8, 51, 51.2, 51.3];
  summary(out, member("experiments/tuning.vpae", "dmd2_tuning", "generator_updates=1000,lr=0.00001,seed=0"), { 1: [40, 30, 20] }, 30, { clips: ["validation"], curve: curve.map((v) => v - 5) });
  summary(out, member("experiments/tuning.vpae", "dmd2_tuning", "generator_updates=1000,lr=0.00003,seed=0"), { 1: [50, 40, 30] }, 30, { clips: ["validation"], curve });
  // the calibration: V-PAE's discriminator at two rates; its D gap over the last 50 logged steps is 0.25 and 1.5
  const gap = (g: number): [number, number][] => [...Array.from({ length: 20 }, () => [5, 0] as [number, number]), ...Array.from({ length: 50 }, (_, i) => [g + (i % 2) * 0.5, 0.25] as [number, number])];
  summary(out, member("experiments/d-calibration.vpae", "d_lr", "method=vpae,head_lr=0.0003,seed=0"), { 1: [80, 40, 6] }, 2, { clips: [], gap: gap(0.25) });
  summary(out, member("experiments/d-calibration.vpae", "d_lr", "method=vpae,head_lr=0.003,seed=0"), { 1: [80, 40, 6] }, 2, { clips: [], gap: gap(1.5) });

  // the campaign gives seeds 1 and 2 to the ablation within noise (no STR1), not to the decisive one
  const list = spawnSync(process.execPath, [fromRoot("scripts", "results.js"), "list", "--out", out], { encoding: "utf8" });
  assert.equal(list.status, 0, list.stderr);
  const ablation = list.stdout.split("\n").filter((l) => l.startsWith("experiments/ablations.vpae") && /no_str1|csds_weight=0/.test(l));
  assert.deepEqual(
    ablation.map((l) => l.split(/\s+/).slice(3).join(" ").replace(/ summary .*/, " summary")),
    ["variant=no_str1,seed=0 summary", "variant=no_str1,seed=1 to run", "variant=no_str1,seed=2 to run", "csds_weight=0,seed=0 summary", "csds_weight=0,seed=1 summary"],
  );

  const doc = join(out, "results.md");
  const r = spawnSync(process.execPath, [fromRoot("scripts", "results.js"), "table", "--out", out, "--doc", doc], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const md = readFileSync(doc, "utf8");
  assert.match(md, /Trained beyond the rule, to see whether a variant that beats the full method does so at other seeds too: C-SDS weight 0, seed=1\./);
  assert.match(md, /\| Teacher \(50 steps, CFG 2\) \| 100 \| 92\.0 \| 70\.0 \| 72\.0 \| \*\*78\.0\*\* \| 90\.0 \| 100\.0 \(40%\) \| — \| 700\.0 \| 1 \|/);
  assert.match(md, /\| V-PAE \| 1 \| 80\.0 ± 1\.0 \| 50\.0 ± 0\.0 \| 60\.0 ± 2\.0 \| \*\*63\.3 ± 1\.0\*\* \| 90\.0 ± 0\.0 \| 33\.3 ± 57\.7 \(45%\) \| — \| 7\.00 \| 3 \|/);
  assert.match(md, /uses both of the world's futures as evenly as the teacher \(speed coverage\): \*\*holds within seed noise\*\* \(33\.3 vs 100\.0, Δ -66\.7\)/);
  assert.match(md, /\| V-PAE \| 4 \| 90\.0 ± 0\.0 \| 60\.0 ± 0\.0 \| 70\.0 ± 0\.0 \| \*\*73\.3 ± 0\.0\*\* \|/);
  assert.match(md, /\| ADD \| 1 \| 41\.0 ± 1\.0 \| 30\.0 ± 0\.0 \| 20\.0 ± 0\.0 \| \*\*30\.3 ± 0\.3\*\* \|/);
  // DMD2's seeds ran, but its tuning has not selected a setting: no row, no claim, and the page says why
  // (three of its five members have run: its main seed 0 is also the tuning member at dmd2.vpae's lr)
  assert.doesNotMatch(md, /\| DMD2 \| 1 \|/);
  assert.doesNotMatch(md, /beats DMD2/);
  assert.match(md, /Not in the table until their setting is selected and trained: DMD2 \(its tuning sweep has 3 of 5 members\); APT \(its tuning sweep has 0 of 5 members\); PCM \(its tuning sweep has 0 of 5 members\)\./);
  // V-PAE beats ADD by far more than the error: the claim holds; it is far below the teacher
  assert.match(md, /V-PAE \(1 NFE\) beats ADD \(1 NFE\) on the mean score: \*\*holds\*\* \(63\.3 vs 30\.3, Δ 33\.0\)/);
  assert.match(md, /within 2 points of the 100-NFE teacher on the mean: \*\*does not hold\*\* \(63\.3 vs 78\.0, 14\.7 below\)/);
  assert.match(md, /at 4 NFE reaches the teacher: \*\*does not hold\*\* \(73\.3 vs 78\.0\)/);
  assert.match(md, /sharp \(frame quality ≥ 50\): \*\*holds\*\* \(60\.0\)/);
  assert.match(md, /\| no STR1 \| 80\.0 \| 50\.0 \| 59\.0 \| \*\*63\.0\*\* \| -0\.3 \| within seed noise \| — \| — \| 1 \|/);
  assert.match(md, /\| C-SDS weight 0 \| 30\.0 ± 0\.0 \| 0\.0 ± 0\.0 \| 0\.0 ± 0\.0 \| \*\*10\.0 ± 0\.0\*\* \| -53\.3 \| the part helps \| — \| — \| 2 \|/);
  assert.match(md, /Ablation "C-SDS weight 0" lowers the score: \*\*holds\*\* \(Δ -53\.3\)/);
  assert.match(md, /Ablation "no STR1" lowers the score: \*\*within seed noise\*\* \(Δ -0\.3\)/);
  // the ablations' runs that logged speed coverage in their own evaluations, update by update
  assert.match(md, /Speed coverage at each of a run's own evaluations \(1 NFE, the\n32 in-run \*\*validation\*\* clips;/);
  assert.match(md, /\| run \| update 200 \| update 300 \| update 400 \|\n\|---\|---\|---\|---\|\n\| no STR1, seed=0 \| — \(0%\) \| 0 \(6%\) \| 100 \(50%\) \|/);
  // tuning: validation scores, the selected member, where each curve stops improving; no budget until every method is tuned
  assert.match(md, /\| lr=0\.00001 \| 40\.0 \| 30\.0 \| 20\.0 \| \*\*30\.0\*\* \| 90 \| — \| 700 \| 46\.3 \(1000\) \| +\|/);
  // lr 1e-4 has not run, so nothing is selected yet: the best is marked as such
  assert.match(md, /\| lr=0\.00003 \| 50\.0 \| 40\.0 \| 30\.0 \| \*\*40\.0\*\* \| 90 \| — \| 700 \| 51\.3 \(1000\) \| best so far \|/);
  assert.match(md, /\| lr=0\.0001 \| — \| — \| — \| — \| — \| — \| — \| — \| not run \|/);
  assert.match(md, /Budget: not decided until every method's tuning sweep has run \(2 of 5\)/);
  assert.ok(existsSync(join(out, "results", "tuning-curves.svg")) && existsSync(join(out, "results", "tuning-curves.png")), "the tuning curves are drawn");
  assert.match(md, /!\[Tuning curves\]\(results\/tuning-curves\.png\)/);
  // the calibration: each discriminator's gap by rate, its best in bold
  assert.match(md, /\| discriminator of \| lr 0\.0003 \| lr 0\.003 \|\n\|---\|---\|---\|\n\| V-PAE \| 0\.25 \| \*\*1\.50\*\* \|/);
  // each run once, with the commands that make it and its training time
  const dmd = member("experiments/main.vpae", "dmd2_seeds", "seed=1").hash.slice(0, 12);
  assert.match(md, new RegExp(`\\| dmd2-${dmd} \\| dmd2_seeds 1: seed=1 \\| \`npx vpae sweep experiments/main\\.vpae --sweep dmd2_seeds --only 1\` \\+ \`npx vpae eval <run> --clips validation\\|test --save --role student --nfe 1,4 --samples 64\` \\| 20\\.0 \\| finished \\|`));
  const tuned = member("experiments/tuning.vpae", "dmd2_tuning", "generator_updates=1000,lr=0.00003,seed=0").hash.slice(0, 12);
  assert.match(md, new RegExp(`\\| dmd2-${tuned} \\| dmd2_tuning 1: generator_updates=1000,lr=0\\.00003,seed=0 \\| \`npx vpae sweep experiments/tuning\\.vpae --sweep dmd2_tuning --only 1\` \\+ \`npx vpae eval <run> --clips validation --save --role student --nfe 1,4 --samples 64\` \\| 30\\.0 \\| finished \\|`));
  const full = member("experiments/main.vpae", "vpae_seeds", "seed=0").hash.slice(0, 12);
  assert.equal((md.match(new RegExp(`\\| vpae-${full} \\|`, "g")) ?? []).length, 1, "the full method's run is listed once, though two sweeps have it");
  // each method's training time over its main-table runs
  assert.match(md, /\| method \| runs \| training time \(min\) \| shortest-longest \|\n\|---\|---\|---\|---\|\n\| V-PAE \| 3 \| 10\.0 ± 0\.0 \| 10\.0-10\.0 \|\n\| DMD2 \| 3 \| 20\.0 ± 0\.0 \| 20\.0-20\.0 \|\n\| ADD \| 3 \| 20\.0 ± 0\.0 \| 20\.0-20\.0 \|\n/);
  assert.match(md, /_Not measured yet: `node scripts\/results.js latency`\._/);
});

test("the README's quickstart scores are those of the committed summary of today's quickstart plan", () => {
  const r = spawnSync(process.execPath, [fromRoot("scripts", "results.js"), "readme", "--check"], { cwd: fromRoot(), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const readme = readFileSync(fromRoot("README.md"), "utf8");
  assert.match(readme, /<!-- quickstart scores: written by node scripts\/results\.js readme -->\nMeasured for this README \(`experiments\/results\/quickstart-[0-9a-f]{12}\/`\)/);
});

test("results.js readme --check fails when the README's quickstart scores were edited by hand", () => {
  const dir = tempDir({});
  const readme = join(dir, "README.md");
  writeFileSync(readme, readFileSync(fromRoot("README.md"), "utf8").replace(/frame quality (\d+\.\d)/, (_m, v: string) => `frame quality ${(Number(v) + 10).toFixed(1)}`));
  const r = spawnSync(process.execPath, [fromRoot("scripts", "results.js"), "readme", "--check", "--readme", readme], { cwd: fromRoot(), encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the quickstart's scores differ from its summary/);
});
