// Diagnostics by noise level: per-clip values grouped by the level each clip was drawn at.
import { test } from "node:test";
import assert from "node:assert/strict";
import { byNoiseLevel } from "../../runtime/engine/diagnostics.js";

test("discriminator gaps and accuracies, and a term's mean, per noise level", () => {
  const f = (...xs: number[]) => Float32Array.from(xs);
  const stats = byNoiseLevel([
    { key: "d/d", kind: "logits-real", values: f(2, 1, 0.5, -1), t: f(0.1, 0.2, 0.5, 0.9) },
    { key: "d/d", kind: "logits-fake", values: f(-2, 0.5, 1, -1), t: f(0.05, 0.4, 0.6, 0.95) },
    { key: "c_sds", kind: "mean", values: f(0.01, 0.03, 0.2), t: f(0.1, 0.2, 0.8) },
  ]);
  // low: real 2, 1 and fake -2: gap 1.5 - (-2) = 3.5, all three right
  assert.equal(stats["d/d/gap_t_low"], 3.5);
  assert.equal(stats["d/d/acc_t_low"], 1);
  // mid: real 0.5, fake 0.5 and 1: gap 0.5 - 0.75; right: the real one only
  assert.equal(stats["d/d/gap_t_mid"], -0.25);
  assert.equal(stats["d/d/acc_t_mid"], 1 / 3);
  // high: real -1 (wrong), fake -1 (right)
  assert.equal(stats["d/d/gap_t_high"], 0);
  assert.equal(stats["d/d/acc_t_high"], 0.5);
  assert.ok(Math.abs(stats["c_sds/t_low"]! - 0.02) < 1e-7);
  assert.ok(Math.abs(stats["c_sds/t_high"]! - 0.2) < 1e-7);
  assert.equal("c_sds/t_mid" in stats, false, "a level without clips gives no value");
});
