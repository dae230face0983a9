// SiD (score identity distillation), the loss kind added by following docs/contributing.md's path:
// its value and gradient are the formula's, and it runs in a real priming phase.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { initBackend, tf } from "../../runtime/engine/tf.js";
import { scoreIdentity } from "../../runtime/engine/objectives.js";
import { runCli, tempDir } from "../helpers.js";

before(async () => {
  await initBackend("wasm");
});

const shape: [number, number, number, number, number] = [2, 3, 2, 2, 3];
const rand = (seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed) as tf.Tensor5D;
const PER_FRAME = 2 * 2 * 3;
const FUTURE = 2 * PER_FRAME; // frames 1 and 2 of each clip

test("SiD's value is (1 - alpha) d^2 + d (x0_fake - x) over the future frames, d = x0_teacher - x0_fake, divided per clip by mean |x - x0_teacher|", () => {
  const [x, real, fake] = [rand(1), rand(2), rand(3)];
  const alpha = 1.2;
  const [xv, rv, fv] = [x.dataSync(), real.dataSync(), fake.dataSync()];
  let want = 0;
  for (let b = 0; b < 2; b++) {
    let sum = 0;
    let w = 0;
    for (let i = 0; i < FUTURE; i++) {
      const k = b * 3 * PER_FRAME + PER_FRAME + i; // skip the condition frame
      const d = rv[k]! - fv[k]!;
      sum += (1 - alpha) * d * d + d * (fv[k]! - xv[k]!);
      w += Math.abs(xv[k]! - rv[k]!);
    }
    want += sum / FUTURE / (w / FUTURE + 1e-6) / 2;
  }
  const got = scoreIdentity(x, real, fake, alpha);
  assert.ok(Math.abs(got.dataSync()[0]! - want) < 1e-5 * Math.max(1, Math.abs(want)), `${got.dataSync()[0]} vs ${want}`);
  tf.dispose([x, real, fake, got]);
});

test("SiD is zero with zero gradient when the fake score equals the teacher, and with fixed estimates its gradient on x is -d / (count w)", () => {
  const [x, real, fake] = [rand(4), rand(5), rand(6)];
  const g0 = tf.grad((v: tf.Tensor) => scoreIdentity(v as tf.Tensor5D, real, real, 1.2))(x);
  const v0 = scoreIdentity(x, real, real, 1.2);
  assert.equal(v0.dataSync()[0], 0);
  assert.ok(g0.dataSync().every((v) => v === 0));
  // real and fake held fixed: d/dx of d (fake - x) / w is -d / w per element, over FUTURE elements and 2 clips
  const g = tf.grad((v: tf.Tensor) => scoreIdentity(v as tf.Tensor5D, real, fake, 1.2))(x);
  const [xv, rv, fv, gv] = [x.dataSync(), real.dataSync(), fake.dataSync(), g.dataSync()];
  for (let b = 0; b < 2; b++) {
    let w = 0;
    for (let i = 0; i < FUTURE; i++) w += Math.abs(xv[b * 3 * PER_FRAME + PER_FRAME + i]! - rv[b * 3 * PER_FRAME + PER_FRAME + i]!);
    w = w / FUTURE + 1e-6;
    for (let i = 0; i < 3 * PER_FRAME; i++) {
      const k = b * 3 * PER_FRAME + i;
      const want = i < PER_FRAME ? 0 : -(rv[k]! - fv[k]!) / w / FUTURE / 2;
      assert.ok(Math.abs(gv[k]! - want) < 1e-5, `element ${k}: ${gv[k]} vs ${want}`);
    }
  }
  tf.dispose([x, real, fake, g0, v0, g]);
});

test("a priming phase with sid in place of vsd trains the student and the fake score, finite and leak-free", () => {
  const runs = tempDir({});
  // steps 4-7 of micro-distill are its priming phase (2 fake updates per student update)
  const r = runCli(["run", "experiments/micro-distill.vpae", "--runs-dir", runs, "--no-tui", "--debug", "--set", "phase.priming.loss.vsd.kind=sid", "--set", "phase.equilibrium.steps=1"]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const [name] = readdirSync(runs);
  const rows = readFileSync(join(runs, name!, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { phase: string; losses: Record<string, number>; stats: Record<string, number> });
  const priming = rows.filter((x) => x.phase === "priming");
  assert.equal(priming.length, 4);
  for (const row of priming) {
    assert.ok(Number.isFinite(row.losses["vsd"]), "the sid term is logged under its block's name");
    assert.ok(row.stats["grad_norm/student"]! > 0, "the student receives a gradient");
  }
  // the fake score leaves the teacher (zero LoRA at the start), so the score-identity term is no longer zero
  assert.ok(priming.at(-1)!.stats["vsd/fake_vs_teacher"]! > 0);
  assert.ok(priming.some((row) => row.losses["vsd"] !== 0));
});
