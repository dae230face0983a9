// Discriminator heads: one logit per clip, sensitive to what each head is meant to see, trainable, leak-free.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../runtime/engine/tf.js";
import { applyHead, initHeadParams, type HeadShape } from "../../runtime/engine/model/heads.js";
import type { Head } from "../../compiler/plan/schema.js";
import { HEAD_KINDS, defaultHead, makeHead } from "../../compiler/plan/heads.js";

before(async () => {
  await initBackend("wasm");
});

/** Every head kind of compiler/plan/heads.ts at small sizes (a new kind is tested here without listing it). */
const SMALL: Record<string, number> = { queries: 3, width: 16, heads: 2 };
const HEADS: Head[] = HEAD_KINDS.map((kind) => {
  const head = defaultHead(kind);
  return makeHead(kind, (name) => SMALL[name] ?? (head as unknown as Record<string, number | boolean>)[name]!);
});

function headOf(kind: Head["kind"]): Head {
  return HEADS.find((h) => h.kind === kind)!;
}

function shapeOf(head: Head): HeadShape {
  return { head, width: 24, taps: 2, imageSize: 4 * 4 * 3, promptClasses: 4 };
}

function inputs(seed: number) {
  return {
    features: [tf.randomNormal([3, 10, 24], 0, 1, "float32", seed) as tf.Tensor3D, tf.randomNormal([3, 10, 24], 0, 1, "float32", seed + 1) as tf.Tensor3D],
    image: tf.randomUniform([3, 4, 4, 3], -1, 1, "float32", seed + 2) as tf.Tensor4D,
    prompt: tf.tensor1d([0, 2, 4], "int32"),
  };
}

test("every head gives one finite logit per clip and depends on the tapped features", () => {
  for (const head of HEADS) {
    const s = shapeOf(head);
    const p = initHeadParams(s, 1);
    const a = inputs(10);
    const b = inputs(20);
    const la = applyHead(p, s, a.features, a.image, a.prompt);
    assert.deepEqual(la.shape, [3]);
    assert.ok(la.dataSync().every(Number.isFinite));
    const lb = applyHead(p, s, b.features, a.image, a.prompt);
    assert.ok(tf.max(tf.abs(tf.sub(la, lb))).dataSync()[0]! > 1e-4, `${head.kind}: features matter`);
    tf.dispose([...a.features, a.image, a.prompt, ...b.features, b.image, b.prompt, la, lb]);
    for (const v of p.values()) v.dispose();
  }
});

test("only the semantic head sees the image and the prompt, and each switch turns its input off", () => {
  const a = inputs(30);
  const other = inputs(40);
  const differs = (head: Head, change: "image" | "prompt") => {
    const s = shapeOf(head);
    const p = initHeadParams(s, 2);
    const x = applyHead(p, s, a.features, a.image, a.prompt);
    const y = change === "image" ? applyHead(p, s, a.features, other.image, a.prompt) : applyHead(p, s, a.features, a.image, tf.tensor1d([1, 1, 1], "int32"));
    const d = tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]!;
    tf.dispose([x, y]);
    for (const v of p.values()) v.dispose();
    return d > 1e-5;
  };
  const semantic = headOf("semantic");
  assert.ok(differs(semantic, "image"));
  assert.ok(differs(semantic, "prompt"));
  assert.ok(!differs({ ...semantic, image: false } as Head, "image"));
  assert.ok(!differs({ ...semantic, prompt: false } as Head, "prompt"));
  assert.ok(!differs(headOf("cross_attention"), "image") && !differs(headOf("cross_attention"), "prompt"));
  assert.ok(!differs(headOf("conv"), "image"));
  tf.dispose([...a.features, a.image, a.prompt, ...other.features, other.image, other.prompt]);
});

test("a head learns to separate two feature distributions, without leaking tensors", () => {
  const head = headOf("semantic");
  const s = shapeOf(head);
  const p = initHeadParams(s, 3);
  const opt = tf.train.adam(1e-2);
  const real = inputs(50);
  const fake = { ...real, features: real.features.map((f) => tf.add(f, 0.5) as tf.Tensor3D) };
  const gap = () => tf.tidy(() => tf.sub(tf.mean(applyHead(p, s, real.features, real.image, real.prompt)), tf.mean(applyHead(p, s, fake.features, fake.image, fake.prompt))).dataSync()[0]!);
  const before0 = gap();
  const step = () =>
    opt.minimize(() => tf.add(tf.mean(tf.relu(tf.sub(1, applyHead(p, s, real.features, real.image, real.prompt)))), tf.mean(tf.relu(tf.add(1, applyHead(p, s, fake.features, fake.image, fake.prompt))))) as tf.Scalar, false, [...p.values()]);
  step();
  const count = tf.memory().numTensors;
  for (let i = 0; i < 30; i++) step();
  assert.equal(tf.memory().numTensors, count, "no tensor leaks across steps");
  assert.ok(gap() > before0 + 0.5, `real minus fake logit grew from ${before0} to ${gap()}`);
  tf.dispose([...real.features, real.image, real.prompt, ...fake.features]);
});
