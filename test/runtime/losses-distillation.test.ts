// The distillation objectives and regularisers mean what they say.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../runtime/engine/tf.js";
import { distributionMatching, scoreDistillation } from "../../runtime/engine/losses/distillation.js";
import { approxR1, r1, str1 } from "../../runtime/engine/losses/regularizers.js";
import { distance, jumpTo } from "../../runtime/engine/objectives.js";

before(async () => {
  await initBackend("wasm");
});

const shape: [number, number, number, number, number] = [2, 3, 2, 2, 3];
const rand = (seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed) as tf.Tensor5D;

test("the VSD gradient on the generator output equals -(s_real - s_fake), i.e. (x0_fake - x0_real), on frames 1..", () => {
  const x0 = rand(1);
  const real = rand(2);
  const fake = rand(3);
  const g = tf.grad((x: tf.Tensor) => distributionMatching(x as tf.Tensor5D, real, fake, false))(x0);
  // mean over the future-frame elements: d/dx of 0.5 mean (x - sg(x - grad))^2 = grad / count
  const count = 2 * 2 * 2 * 2 * 3;
  const expected = tf.div(tf.sub(fake, real), count);
  const got = tf.slice(g, [0, 1], [-1, -1]).dataSync();
  const want = tf.slice(expected, [0, 1], [-1, -1]).dataSync();
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `${v} vs ${want[i]}`));
  assert.ok(tf.slice(g, [0, 0], [-1, 1]).dataSync().every((v) => v === 0), "no gradient on the condition frame");
  tf.dispose([x0, real, fake, g, expected]);
});

test("C-SDS has zero gradient at a fixed point of the teacher, and pulls towards the teacher otherwise", () => {
  const x0 = rand(4);
  const g0 = tf.grad((x: tf.Tensor) => scoreDistillation(x as tf.Tensor5D, x0))(x0);
  assert.ok(g0.dataSync().every((v) => v === 0));
  const teacher = tf.add(x0, 1) as tf.Tensor5D;
  const g1 = tf.grad((x: tf.Tensor) => scoreDistillation(x as tf.Tensor5D, teacher))(x0);
  assert.ok(tf.slice(g1, [0, 1], [-1, -1]).dataSync().every((v) => v < 0), "moving x0 up (towards the teacher) lowers the loss");
  tf.dispose([x0, g0, teacher, g1]);
});

test("R1, approximate R1 and STR1 vanish for a constant discriminator and not for a sensitive one", () => {
  const real = rand(5);
  const noise = rand(6);
  const temporal = tf.randomNormal([2, 3, 1, 1, 3], 0, 1, "float32", 7) as tf.Tensor5D;
  const constant = (x: tf.Tensor5D) => tf.add(tf.mul(tf.sum(x, [1, 2, 3, 4]), 0), 0.7) as tf.Tensor1D;
  const sensitive = (x: tf.Tensor5D) => tf.sum(tf.square(x), [1, 2, 3, 4]) as tf.Tensor1D;
  assert.equal(r1(constant, real).dataSync()[0], 0);
  assert.equal(approxR1(constant, real, 0.01, noise).dataSync()[0], 0);
  assert.equal(str1(constant, real, 0.01, 0.1, noise, temporal).dataSync()[0], 0);
  assert.ok(r1(sensitive, real).dataSync()[0]! > 0);
  assert.ok(approxR1(sensitive, real, 0.01, noise).dataSync()[0]! > 0);
  const s = str1(sensitive, real, 0.01, 0.1, noise, temporal).dataSync()[0]!;
  assert.ok(s > 0);
  // larger temporal sigma, larger penalty
  assert.ok(str1(sensitive, real, 0.01, 0.5, noise, temporal).dataSync()[0]! > s);
  tf.dispose([real, noise, temporal]);
});

test("a consistency jump follows the straight ODE path: s = t returns x_t, s = 0 returns x0, any s lands on (1 - s) x0 + s eps", () => {
  const x0 = rand(4);
  const eps = rand(5);
  const t = tf.tensor1d([0.8, 0.3]);
  const xt = tf.add(tf.mul(tf.reshape(tf.sub(1, t), [2, 1, 1, 1, 1]), x0), tf.mul(tf.reshape(t, [2, 1, 1, 1, 1]), eps)) as tf.Tensor5D;
  const close = (a: tf.Tensor, b: tf.Tensor, what: string) => {
    const d = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
    assert.ok(d < 1e-5, `${what}: max difference ${d}`);
  };
  close(jumpTo(x0, xt, t, t), xt, "s = t");
  close(jumpTo(x0, xt, t, tf.tensor1d([0, 0])), x0, "s = 0");
  const s = tf.tensor1d([0.5, 0.1]);
  const onPath = tf.add(tf.mul(tf.reshape(tf.sub(1, s), [2, 1, 1, 1, 1]), x0), tf.mul(tf.reshape(s, [2, 1, 1, 1, 1]), eps));
  close(jumpTo(x0, xt, t, s), onPath, "s between");
  tf.dispose([x0, eps, t, xt, s, onPath]);
});

test("consistency distances: l2 is the mean square over frames 1..; huber is sqrt(|d|^2 + c^2) - c per clip, c = 0.00054 sqrt(dim)", () => {
  const zero = tf.zeros(shape) as tf.Tensor5D;
  // differences of 1 on frames 1.. of clip 0 and 2 on clip 1; frame 0 differs by 100 and must not count
  const d = tf.tensor5d(
    Array.from({ length: 2 * 3 * 2 * 2 * 3 }, (_, i) => {
      const clip = Math.floor(i / 36);
      const frame = Math.floor((i % 36) / 12);
      return frame === 0 ? 100 : clip + 1;
    }),
    shape,
  );
  const dim = 2 * 2 * 2 * 3; // future frames x pixels x channels
  assert.ok(Math.abs(distance(d, zero, "l2").dataSync()[0]! - (1 + 4) / 2) < 1e-6);
  const c = 0.00054 * Math.sqrt(dim);
  const want = (Math.sqrt(dim * 1 + c * c) - c + (Math.sqrt(dim * 4 + c * c) - c)) / 2;
  assert.ok(Math.abs(distance(d, zero, "huber").dataSync()[0]! - want) < 1e-4);
  assert.ok(Math.abs(distance(zero, zero, "huber").dataSync()[0]!) < 1e-7);
  tf.dispose([zero, d]);
});
