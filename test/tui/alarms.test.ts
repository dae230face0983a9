// Each alarm fires on its failure pattern and stays quiet on a healthy game with the same noise.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunEvent } from "../../runtime/engine/events.js";
import { emptyView, reduce, type RunView } from "../../runtime/tui/state.js";
import { ALARM_LIMITS, AlarmWatch, detectAlarms } from "../../runtime/tui/alarms.js";
import { alarmLog } from "../../runtime/tui/alarm-log.js";

type Row = { losses: Record<string, number>; stats: Record<string, number> };

/** A seeded, noisy healthy game: D near equilibrium, generator output with steady statistics. */
function healthy(i: number, noise: () => number): Row {
  return {
    losses: { gan_generator: 0.05 * noise(), gan_discriminator: 2 + 0.05 * noise(), c_sds: 0.03 },
    stats: {
      "d/d/accuracy": 0.55 + 0.05 * noise(),
      "d/d/logit_real": 0.3 + 0.05 * noise(),
      "d/d/logit_fake": -0.2 + 0.05 * noise(),
      "gen/std": 0.4 + 0.01 * noise(),
      "gen/mean": -0.5 + 0.01 * noise(),
      "gen/frame_diff": 0.15 + 0.005 * noise(),
      "grad_norm/student": 3 + i * 0,
    },
  };
}

function play(n: number, change?: (i: number, row: Row) => void, quality = 30): RunView {
  let s = 7;
  const noise = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 31 - 1);
  const view = emptyView();
  const t0 = 1_000_000;
  reduce(view, { type: "run-start", experiment: "x", planHash: "h", backend: "wasm", backendDetail: "", runDir: "/r", resumedFrom: null, totalSteps: n, phases: [{ name: "equilibrium", steps: n }], references: { gan_generator: 0, gan_discriminator: 2 }, time: t0 });
  reduce(view, { type: "eval", phase: "equilibrium", step: 0, nfe: 1, scores: { frame_quality: quality }, latencyMs: 1, samplePath: null, time: t0 });
  for (let i = 0; i < n; i++) {
    const row = healthy(i, noise);
    change?.(i, row);
    reduce(view, { type: "step", phase: "equilibrium", phaseStep: i, phaseSteps: n, step: i + 1, totalSteps: n, stepsPerSecond: 1, time: t0 + i * 1000, ...row });
  }
  return view;
}

const ids = (v: RunView) => detectAlarms(v).map((a) => a.id).sort();

test("a healthy game raises no alarm", () => {
  assert.deepEqual(ids(play(200)), []);
});

test("D wins: accuracy near 1 while the generator's adversarial loss climbs", () => {
  const v = play(200, (i, r) => {
    if (i >= 150) {
      r.stats["d/d/accuracy"] = 0.99;
      r.losses["gan_generator"] = (i - 150) * 0.05;
    }
  });
  assert.deepEqual(ids(v), ["d_wins"]);
});

test("a rising generator loss alone is not an alarm, nor a winning D whose generator holds", () => {
  assert.deepEqual(ids(play(200, (i, r) => (r.losses["gan_generator"] = i * 0.05))), []);
  assert.deepEqual(ids(play(200, (_i, r) => (r.stats["d/d/accuracy"] = 0.99))), []);
});

test("D useless: no logit gap after enough updates, while samples are poor; not when samples are good", () => {
  const flat = (_i: number, r: Row) => {
    r.stats["d/d/logit_real"] = 0.1;
    r.stats["d/d/logit_fake"] = 0.1 + 0.001 * Math.sin(_i);
  };
  assert.deepEqual(ids(play(200, flat, 20)), ["d_useless"]);
  assert.deepEqual(ids(play(200, flat, 80)), []);
  assert.deepEqual(ids(play(ALARM_LIMITS.dUselessSteps - 10, flat, 20)), [], "too early to judge");
});

test("mode collapse, static video and mean drift each fire on their own pattern", () => {
  assert.deepEqual(ids(play(200, (i, r) => i > 150 && (r.stats["gen/std"] = 0.05))), ["mode_collapse"]);
  assert.deepEqual(ids(play(200, (i, r) => i > 150 && (r.stats["gen/frame_diff"] = 0.01))), ["static_video"]);
  assert.deepEqual(ids(play(200, (i, r) => i > 150 && (r.stats["gen/mean"] = 0.2))), ["mean_drift"]);
});

test("a non-finite loss or statistic is an alarm naming it", () => {
  const v = play(50, (i, r) => i === 49 && (r.losses["c_sds"] = NaN));
  const a = detectAlarms(v);
  assert.deepEqual(a.map((x) => x.id), ["non_finite"]);
  assert.match(a[0]!.message, /loss c_sds is NaN/);
});

test("the plain log prints an alarm once when it fires, not while it stays active", () => {
  const lines: string[] = [];
  const log = alarmLog((l) => lines.push(l), 1);
  const events: RunEvent[] = [];
  const v = play(200, (i, r) => i > 150 && (r.stats["gen/std"] = 0.05));
  assert.ok(v.stepsSeen === 200);
  // replay the same pattern through the listener
  let s = 7;
  const noise = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 31 - 1);
  events.push({ type: "run-start", experiment: "x", planHash: "h", backend: "wasm", backendDetail: "", runDir: "/r", resumedFrom: null, totalSteps: 200, phases: [], references: {}, time: 0 });
  for (let i = 0; i < 200; i++) {
    const row = healthy(i, noise);
    if (i > 150) row.stats["gen/std"] = 0.05;
    events.push({ type: "step", phase: "p", phaseStep: i, phaseSteps: 200, step: i + 1, totalSteps: 200, stepsPerSecond: 1, time: i, ...row });
  }
  events.forEach(log);
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(lines[0]!, /^alarm: mode collapse/);
  const w = new AlarmWatch();
  assert.equal(w.update(v).fired.length, 1);
  assert.equal(w.update(v).fired.length, 0);
});
