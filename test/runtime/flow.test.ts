// The flow-matching helpers and the Euler sampler against an analytic flow.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../runtime/engine/tf.js";
import { noisy, sampleEuler, toX0, velocityLoss } from "../../runtime/engine/flow.js";
import { samplerTimesteps } from "../../compiler/plan/timesteps.js";

before(async () => {
  await initBackend("wasm");
});

// Data x0 ~ N(mu, s^2) per element. Then x_t ~ N((1-t) mu, (1-t)^2 s^2 + t^2) and the exact
// E[x0 | x_t] = mu + (1-t) s^2 / ((1-t)^2 s^2 + t^2) * (x_t - (1-t) mu). The probability-flow ODE
// carries z at t = 1 to mu + s z at t = 0.
const mu = 0.3;
const s = 0.5;
function analyticX0(xt: tf.Tensor5D, t: tf.Tensor1D): tf.Tensor5D {
  return tf.tidy(() => {
    const tv = t.dataSync()[0]!;
    const gain = ((1 - tv) * s * s) / ((1 - tv) ** 2 * s * s + tv * tv);
    return tf.add(mu, tf.mul(gain, tf.sub(xt, (1 - tv) * mu))) as tf.Tensor5D;
  });
}

test("Euler steps carry noise to the data distribution as the ODE says, with first-order convergence", () => {
  const z = tf.randomNormal([2, 3, 4, 4, 3], 0, 1, "float32", 7) as tf.Tensor5D;
  const image = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
  const expected = tf.add(mu, tf.mul(s, z));
  const error = (steps: number) => {
    const { video, nfe } = sampleEuler((x, t) => analyticX0(x, t), z, image, { timesteps: samplerTimesteps(steps, 1), guidance: 1 });
    assert.equal(nfe, steps);
    // frame 0 is the condition image
    assert.equal(tf.max(tf.abs(tf.slice(video, [0, 0], [-1, 1]))).dataSync()[0], 0);
    const e = tf.max(tf.abs(tf.sub(tf.slice(video, [0, 1], [-1, -1]), tf.slice(expected, [0, 1], [-1, -1])))).dataSync()[0]!;
    video.dispose();
    return e;
  };
  const e100 = error(100);
  const e400 = error(400);
  assert.ok(e400 < 1e-2, `max error at 400 steps ${e400}`);
  assert.ok(e400 < e100 / 3, `error shrinks like 1/steps: ${e100} -> ${e400}`);
  tf.dispose([z, image, expected]);
});

test("one Euler step returns the x0 estimate at t = 1 (the data mean here); guidance doubles the NFE", () => {
  const z = tf.randomNormal([1, 2, 2, 2, 3], 0, 1, "float32", 3) as tf.Tensor5D;
  const image = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
  const one = sampleEuler((x, t) => analyticX0(x, t), z, image, { timesteps: [1, 0], guidance: 1 });
  const frame1 = tf.slice(one.video, [0, 1], [-1, 1]).dataSync();
  for (const v of frame1) assert.ok(Math.abs(v - mu) < 1e-6);
  // guidance 3 with the unconditional estimate = 0 and the conditional = mu gives 3 mu
  const g = sampleEuler((x, t, cond) => (cond ? analyticX0(x, t) : (tf.zerosLike(x) as tf.Tensor5D)), z, image, { timesteps: [1, 0], guidance: 3 });
  assert.equal(g.nfe, 2);
  assert.ok(Math.abs(tf.slice(g.video, [0, 1], [-1, 1]).dataSync()[0]! - 3 * mu) < 1e-5);
  tf.dispose([z, image, one.video, g.video]);
});

test("targets: x_t interpolates, the x0/velocity conversions agree, and the loss is zero at the truth", () => {
  const x0 = tf.randomNormal([2, 3, 2, 2, 3], 0, 1, "float32", 1) as tf.Tensor5D;
  const eps = tf.randomNormal([2, 3, 2, 2, 3], 0, 1, "float32", 2) as tf.Tensor5D;
  const t = tf.tensor1d([0.25, 1]);
  const xt = noisy(x0, eps, t);
  // at t = 1 x_t is the noise
  assert.ok(tf.max(tf.abs(tf.sub(tf.slice(xt, [1], [1]), tf.slice(eps, [1], [1])))).dataSync()[0]! < 1e-6);
  const v = tf.sub(eps, x0) as tf.Tensor5D;
  const back = toX0(v, xt, t, "velocity");
  assert.ok(tf.max(tf.abs(tf.sub(back, x0))).dataSync()[0]! < 1e-5);
  assert.equal(velocityLoss(x0, x0, eps, t, "x0", 0.3).dataSync()[0], 0);
  assert.equal(velocityLoss(v, x0, eps, t, "velocity", 0.3).dataSync()[0], 0);
  // x0 prediction: an error of 1 everywhere at t = 0.25 weighs 1 / 0.3^2 (clamped), at t = 1 weighs 1
  const off = tf.add(x0, 1) as tf.Tensor5D;
  const l = velocityLoss(off, x0, eps, t, "x0", 0.3).dataSync()[0]!;
  assert.ok(Math.abs(l - (1 / 0.09 + 1) / 2) < 1e-4, String(l));
  tf.dispose([x0, eps, t, xt, v, back, off]);
});

test("the helpers leak no tensors", () => {
  const z = tf.randomNormal([1, 3, 2, 2, 3]) as tf.Tensor5D;
  const image = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
  const run = () => sampleEuler((x, t) => analyticX0(x, t), z, image, { timesteps: samplerTimesteps(4, 3), guidance: 2 }).video.dispose();
  run();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) run();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([z, image]);
});
