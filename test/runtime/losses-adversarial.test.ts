// Adversarial losses take their textbook values at known logits and push the right way.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../runtime/engine/tf.js";
import { discriminatorLoss, generatorLoss, mismatchLoss, EQUILIBRIUM, type AdversarialKind } from "../../runtime/engine/losses/adversarial.js";

before(async () => {
  await initBackend("wasm");
});

const v = (x: tf.Scalar) => x.dataSync()[0]!;
const close = (a: number, b: number, msg: string) => assert.ok(Math.abs(a - b) < 1e-5, `${msg}: ${a} vs ${b}`);

test("at zero logits every loss takes its equilibrium value", () => {
  const z = tf.zeros([4]) as tf.Tensor1D;
  for (const kind of ["hinge", "non_saturating", "relativistic"] as AdversarialKind[]) {
    close(v(discriminatorLoss(kind, z, z)), EQUILIBRIUM[kind].d, `${kind} D`);
    close(v(generatorLoss(kind, z, z)), EQUILIBRIUM[kind].g, `${kind} G`);
  }
  z.dispose();
});

test("textbook values at known logits", () => {
  const real = tf.tensor1d([2, 0.5]);
  const fake = tf.tensor1d([-3, 0.25]);
  // hinge D: mean(relu(1 - [2, .5])) + mean(relu(1 + [-3, .25])) = (0 + .5)/2 + (0 + 1.25)/2
  close(v(discriminatorLoss("hinge", real, fake)), 0.25 + 0.625, "hinge D");
  close(v(generatorLoss("hinge", fake)), -(-3 + 0.25) / 2, "hinge G");
  const sp = (x: number) => Math.log1p(Math.exp(x));
  close(v(discriminatorLoss("non_saturating", real, fake)), (sp(-2) + sp(-0.5)) / 2 + (sp(-3) + sp(0.25)) / 2, "NS D");
  close(v(generatorLoss("non_saturating", fake)), (sp(3) + sp(-0.25)) / 2, "NS G");
  close(v(discriminatorLoss("relativistic", real, fake)), (sp(-5) + sp(-0.25)) / 2, "RpGAN D");
  close(v(generatorLoss("relativistic", fake, real)), (sp(5) + sp(0.25)) / 2, "RpGAN G");
  tf.dispose([real, fake]);
});

test("gradients push real logits up and fake logits down for D, fake logits up for G", () => {
  for (const kind of ["hinge", "non_saturating", "relativistic"] as AdversarialKind[]) {
    const real = tf.tensor1d([0.1, -0.2]);
    const fake = tf.tensor1d([0.3, -0.1]);
    const [gr, gf] = tf.grads((r: tf.Tensor, f: tf.Tensor) => discriminatorLoss(kind, r as tf.Tensor1D, f as tf.Tensor1D))([real, fake]);
    assert.ok(gr!.dataSync().every((x) => x < 0), `${kind}: D lowers its loss by raising real logits`);
    assert.ok(gf!.dataSync().every((x) => x > 0), `${kind}: D lowers its loss by lowering fake logits`);
    const [gg] = tf.grads((f: tf.Tensor) => generatorLoss(kind, f as tf.Tensor1D, real))([fake]);
    assert.ok(gg!.dataSync().every((x) => x < 0), `${kind}: G lowers its loss by raising fake logits`);
    tf.dispose([real, fake, gr!, gf!, gg!]);
  }
});

test("stable for large logits (no NaN or Infinity)", () => {
  const big = tf.tensor1d([1e4, -1e4]);
  for (const kind of ["non_saturating", "relativistic"] as AdversarialKind[]) {
    assert.ok(Number.isFinite(v(discriminatorLoss(kind, big, big))));
    assert.ok(Number.isFinite(v(generatorLoss(kind, big, big))));
  }
  big.dispose();
});

test("the matching-aware term: a real clip under a wrong prompt scores like a generated one", () => {
  const wrong = tf.tensor1d([-3, 0.25]);
  const right = tf.tensor1d([2, 0.5]);
  const sp = (x: number) => Math.log1p(Math.exp(x));
  close(v(mismatchLoss("hinge", wrong)), (0 + 1.25) / 2, "hinge: the fake half of D's term");
  close(v(mismatchLoss("non_saturating", wrong)), (sp(-3) + sp(0.25)) / 2, "NS");
  close(v(mismatchLoss("relativistic", wrong, right)), (sp(-5) + sp(-0.25)) / 2, "relativistic, against the right prompt");
  // at zero logits: half of D's equilibrium for hinge (1), ln 2 for the others
  const z = tf.zeros([3]) as tf.Tensor1D;
  close(v(mismatchLoss("hinge", z)), 1, "hinge at 0");
  close(v(mismatchLoss("non_saturating", z)), Math.LN2, "NS at 0");
  // its gradient pushes the wrong-prompt logits down
  const g = tf.grad((x: tf.Tensor) => mismatchLoss("hinge", x as tf.Tensor1D))(tf.tensor1d([0.1, -0.2]));
  assert.ok([...g.dataSync()].every((x) => x > 0), "descent lowers the logits");
  tf.dispose([wrong, right, z, g]);
});
