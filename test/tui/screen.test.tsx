// The live screen drawn from fixed event streams (ink-testing-library): header, phases, loss charts with
// their equilibrium, the discriminator panel, health, alarms, evaluation, keys; and 80x24 fits.
import { test } from "node:test";
import { readFileSync, writeFileSync } from "node:fs";
import { fromRoot } from "../helpers.js";
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import { emptyView, reduce, type RunView } from "../../runtime/tui/state.js";
import { detectAlarms } from "../../runtime/tui/alarms.js";
import { App } from "../../runtime/tui/app.js";
import { lineChart, num } from "../../runtime/tui/charts.js";

/** Per-noise-level statistics of a V-PAE equilibrium step: the discriminator's gap and C-SDS's pull. */
const LEVEL_STATS = { "d/d/gap_t_low": 0.9, "d/d/gap_t_mid": 0.5, "d/d/gap_t_high": 0.1, "c_sds/t_low": 0.004, "c_sds/t_mid": 0.02, "c_sds/t_high": 0.05 };

function game(n: number, collapse = false, levels = false): RunView {
  const v = emptyView();
  reduce(v, { type: "run-start", experiment: "vpae", planHash: "abcdef0123456789", backend: "wasm", backendDetail: "XNNPACK", runDir: "runs/vpae-abcdef012345", resumedFrom: null, totalSteps: 300, phases: [{ name: "priming", steps: 100 }, { name: "equilibrium", steps: 200 }], references: { gan_generator: 0, gan_discriminator: 2 }, time: 0 });
  reduce(v, { type: "phase-start", phase: "priming", index: 0, steps: 100, time: 0 });
  reduce(v, { type: "phase-end", phase: "priming", index: 0, seconds: 120, time: 120_000 });
  reduce(v, { type: "phase-start", phase: "equilibrium", index: 1, steps: 200, time: 120_000 });
  for (let i = 0; i < n; i++) {
    reduce(v, {
      type: "step",
      phase: "equilibrium",
      phaseStep: i,
      phaseSteps: 200,
      step: 101 + i,
      totalSteps: 300,
      stepsPerSecond: 1.25,
      time: 120_000 + i * 800,
      losses: { gan_discriminator: 2 - 0.001 * i, str1: 1e-4, gan_generator: 0.001 * i, c_sds: 0.03 },
      stats: { "d/d/logit_real": 0.4, "d/d/logit_fake": -0.3, "d/d/accuracy": 0.6, "gen/mean": -0.5, "gen/std": collapse && i > 60 ? 0.02 : 0.4, "gen/frame_diff": 0.15, "grad_norm/student": 3.5, "grad_norm/d": 0.4, "clipped/student": 0, ...(levels ? LEVEL_STATS : {}) },
      histograms: { "d/d/real": [0.5, 0.6, 0.2, 0.3], "d/d/fake": [-0.5, -0.2, -0.4, -0.1] },
    });
  }
  reduce(v, { type: "eval", phase: "equilibrium", step: 100 + n, nfe: 1, scores: { semantic_alignment: 85.7, temporal_coherence: 41.7, frame_quality: 10.3, direction_accuracy: 94 }, latencyMs: 300, samplePath: "runs/vpae-abcdef012345/samples/equilibrium-step000180-nfe1.gif", time: 200_000 });
  return v;
}

function frame(v: RunView, controls = {}, columns = 100): string {
  const { lastFrame, unmount } = render(<App view={v} alarms={detectAlarms(v)} now={v.lastTime ?? 0} controls={controls} watching={false} color={false} columns={columns} />);
  const out = lastFrame() ?? "";
  unmount();
  return out;
}

test("the screen shows the header, the phase timeline, losses with equilibria, D, health and the evaluation", () => {
  const out = frame(game(80, false, true));
  assert.match(out, /vpae run · vpae · plan abcdef012345 · wasm \(XNNPACK\)/);
  assert.match(out, /step 180\/300 · running/);
  assert.match(out, /priming .*100\/100 .*done 2:00/);
  assert.match(out, /▶ equilibrium .* 80\/200 .* 1\.25 it\/s ETA 1:36/);
  assert.match(out, /losses \(equilibrium\)/);
  assert.match(out, /gan_discriminator.*1\.921 \(eq 2\.00\)/);
  assert.match(out, /gan_generator.*0\.079 \(eq 0\.00\)/);
  assert.match(out, /logit real 0\.40 fake -0\.30 gap 0\.70 · acc 0\.60 · str1 1\.0e-4/);
  assert.match(out, /grad student 3\.50 · d 0\.40 · non-finite 0/);
  assert.match(out, /gap by noise level t \(last 20\): low 0\.90 · mid 0\.50 · high 0\.10/);
  assert.match(out, /c_sds by noise level t' \(last 20\): low 0\.0040 · mid 0\.0200 · high 0\.0500/);
  assert.match(out, /no alarms/);
  assert.match(out, /eval @180 NFE 1: SA 85\.7 TC 41\.7 FQ 10\.3 dir 94%/);
  assert.match(out, /q stop · p pause · s samples · \? help/);
});

test("in priming the health panel says whether the fake score has moved off the teacher", () => {
  const v = emptyView();
  reduce(v, { type: "run-start", experiment: "vpae", planHash: "abcdef0123456789", backend: "wasm", backendDetail: "XNNPACK", runDir: "runs/vpae-abcdef012345", resumedFrom: null, totalSteps: 300, phases: [{ name: "priming", steps: 100 }, { name: "equilibrium", steps: 200 }], references: {}, time: 0 });
  reduce(v, { type: "phase-start", phase: "priming", index: 0, steps: 100, time: 0 });
  for (let i = 0; i < 3; i++) {
    reduce(v, { type: "step", phase: "priming", phaseStep: i, phaseSteps: 100, step: 1 + i, totalSteps: 300, stepsPerSecond: 1, time: i * 1000, losses: { vsd: 0.02, diffusion: 0.2 }, stats: { "vsd/fake_shift": 0.004 * i, "vsd/fake_vs_teacher": 0.11, "grad_norm/student": 1, "grad_norm/fake": 0.3 }, histograms: {} });
  }
  const out = frame(v);
  assert.match(out, /vsd fake score: shift from teacher 0\.0080 · gap to guided teacher 0\.1100/);
  assert.doesNotMatch(out, /by noise level t'/, "no C-SDS term in priming");
});

test("an alarm replaces 'no alarms' with its one-line explanation; pause and stop show in the key line", () => {
  const out = frame(game(120, true), { paused: true, stopping: true });
  assert.match(out, /! mode collapse: the output std fell/);
  assert.doesNotMatch(out, /no alarms/);
  assert.match(out, /stopping… PAUSED · q stop · p resume/);
});

test("at 80 columns no line is wider than the terminal, and the screen fits 24 rows", () => {
  const out = frame(game(80), {}, 80);
  const lines = out.split("\n");
  for (const l of lines) assert.ok([...l].length <= 80, `${[...l].length} columns: ${l}`);
  assert.ok(lines.length <= 24, `${lines.length} rows`);
});

test("line charts: right-aligned history, a dotted reference line inside the range", () => {
  const c = lineChart([0, 1, 2, 3], 4, 1, 0);
  assert.equal(c.rows.length, 1);
  assert.equal(c.min, 0);
  assert.equal(c.max, 3);
  // 4 values fill the right two cells; the reference (0) dots the bottom row of every cell
  const cells = [...c.rows[0]!].map((ch) => ch.codePointAt(0)! - 0x2800);
  assert.ok(cells.every((b) => (b & 0x40) !== 0), "the bottom-left dot of each cell marks the reference");
  assert.equal(cells[0]! & ~0x40, 0, "nothing else in the empty left cells");
  assert.equal(cells[1]! & ~0x40, 0, "nothing else in the empty left cells");
  assert.notEqual(cells[3]! & 0x08, 0, "the newest (and largest) value at the top of the right edge");
});

test("numbers keep the digits asked for, also at 100 and above", () => {
  assert.equal(num(94, 0), "94");
  assert.equal(num(100, 0), "100");
  assert.equal(num(123.456), "123.5");
  assert.equal(num(1.23456), "1.235");
  assert.equal(num(2e-4), "2.0e-4");
  assert.equal(num(undefined), "—");
});

test("the discriminator panel shows its logit gap by noise level, averaged over the last 20 steps", () => {
  const v = game(30);
  const step = (i: number, stats: Record<string, number>) =>
    reduce(v, { type: "step", phase: "equilibrium", phaseStep: 30 + i, phaseSteps: 200, step: 131 + i, totalSteps: 300, stepsPerSecond: 1, time: 200_000 + i, losses: {}, stats });
  // 20 steps of low-t gaps around 0.8 (0.6 and 1.0 alternating), high-t gaps of 0.1, no mid-t clip drawn
  for (let i = 0; i < 20; i++) step(i, { "d/d/gap_t_low": i % 2 ? 1 : 0.6, "d/d/gap_t_high": 0.1 });
  const f = frame(v);
  assert.match(f, /gap by noise level t \(last 20\): low 0\.80 · mid — · high 0\.10/);
  assert.doesNotMatch(frame(game(30)), /gap by noise level/, "no line without per-level statistics");
});

test("with the per-level lines (D gap and C-SDS), the screen still fits 80x24", () => {
  const v = game(80, false, true);
  const lines = frame(v, {}, 80).split("\n");
  for (const l of lines) assert.ok([...l].length <= 80, `${[...l].length} columns: ${l}`);
  assert.ok(lines.length <= 24, `${lines.length} rows`);
});

test("docs/tui.md shows the screen this fixture draws at 80 columns (UPDATE_DOCS=1 rewrites it)", () => {
  const page = fromRoot("docs", "tui.md");
  const text = readFileSync(page, "utf8");
  const m = /<!-- screen: game\(80\) at 80 columns -->\n```text\n([\s\S]*?)```/.exec(text);
  assert.ok(m, "the page marks its screen");
  const drawn = frame(game(80), {}, 80).split("\n").map((l) => l.trimEnd()).join("\n") + "\n";
  if (process.env["UPDATE_DOCS"] === "1") writeFileSync(page, text.replace(m[0], m[0].replace(m[1]!, drawn)));
  else assert.equal(m[1], drawn);
});
