// The video DiT (runtime/engine/model): its fast ops against tfjs references, shapes, determinism,
// conditioning, LoRA, EMA, a training step, memory discipline, and its size against the compiler's.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../runtime/engine/tf.js";
import {
  Dit,
  cloneParams,
  createLora,
  disposeLora,
  disposeParams,
  ditGeometry,
  emaUpdate,
  initParams,
  parameterCount,
  patchify,
  toX0AndVelocity,
  unpatchify,
} from "../../runtime/engine/model/dit.js";
import { adaLN, attention, attentionReference, gatedResidual, gelu, layerNorm, linear, linearReference, ropeTables, silu, withRotaryPartners } from "../../runtime/engine/model/ops.js";
import type { DitInput, DitShape, ParamSet } from "../../runtime/engine/model/types.js";
import type { Architecture } from "../../compiler/plan/schema.js";
import { compileFile } from "../../compiler/program.js";
import { fromRoot } from "../helpers.js";

before(async () => {
  await initBackend("wasm");
});

function arch(over: Partial<Architecture> = {}): Architecture {
  return {
    kind: "dit",
    width: 32,
    depth: 2,
    heads: 2,
    mlpRatio: 2,
    patch: { frames: 1, height: 2, width: 2 },
    position: "rope3d",
    prediction: "x0",
    textDim: 0,
    crossAttention: false,
    modulation: "per_block",
    parameters: 0,
    ...over,
  };
}

function smallShape(over: Partial<Architecture> = {}, frames = 3): DitShape {
  return { arch: arch(over), frames, height: 4, width: 4, channels: 3, promptClasses: 4 };
}

function inputs(shape: DitShape, b: number, seed: number, over: Partial<Record<keyof DitInput, tf.Tensor>> = {}): DitInput {
  return tf.tidy(() => ({
    xt: tf.randomNormal([b, shape.frames, shape.height, shape.width, shape.channels], 0, 1, "float32", seed) as tf.Tensor5D,
    t: tf.randomUniform([b], 0.05, 1, "float32", seed + 1) as tf.Tensor1D,
    image: tf.randomUniform([b, shape.height, shape.width, shape.channels], -1, 1, "float32", seed + 2) as tf.Tensor4D,
    imageMask: tf.ones([b]) as tf.Tensor1D,
    prompt: tf.tensor1d(Array.from({ length: b }, (_, i) => i % shape.promptClasses), "int32"),
    ...(over as Partial<DitInput>),
  }));
}

function disposeInput(x: DitInput): void {
  tf.dispose([x.xt, x.t, x.image, x.imageMask, x.prompt]);
}

/** Gives the zero-initialised parameters (adaLN, output layer) random values, so every path is live. */
function randomizeZeros(p: ParamSet, seed: number): void {
  let k = 0;
  for (const v of p.values()) {
    const isZero = tf.tidy(() => tf.max(tf.abs(v)).dataSync()[0] === 0);
    if (isZero) v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 0.1, "float32", seed + k++)));
  }
}

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const maxAbs = (a: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]!);
const relErr = (a: tf.Tensor, b: tf.Tensor): number => maxAbsDiff(a, b) / Math.max(maxAbs(b), 1e-12);

// ---- ops against references ----

test("linear's custom gradient matches tfjs's own (with and without bias)", () => {
  tf.tidy(() => {
    const x = tf.randomNormal([37, 24], 0, 1, "float32", 1) as tf.Tensor2D;
    const w = tf.randomNormal([24, 40], 0, 1, "float32", 2) as tf.Tensor2D;
    const b = tf.randomNormal([40], 0, 1, "float32", 3) as tf.Tensor1D;
    const r = tf.randomNormal([37, 40], 0, 1, "float32", 4);
    for (const withBias of [true, false]) {
      const f = (fn: typeof linear) => (xx: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) => tf.sum(tf.mul(fn(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D | undefined), r));
      assert.ok(relErr(linear(x, w, withBias ? b : undefined), linearReference(x, w, withBias ? b : undefined)) < 1e-5);
      const args = withBias ? [x, w, b] : [x, w];
      const got = tf.grads(f(linear))(args);
      const want = tf.grads(f(linearReference))(args);
      assert.equal(got.length, args.length);
      got.forEach((g, i) => assert.ok(relErr(g, want[i]!) < 1e-5, `bias ${withBias}, input ${i}: relative error ${relErr(g, want[i]!)}`));
    }
    // the weight gradient takes the other route when x is the wider operand
    const xw = tf.randomNormal([50, 64], 0, 1, "float32", 5) as tf.Tensor2D;
    const ww = tf.randomNormal([64, 8], 0, 1, "float32", 6) as tf.Tensor2D;
    const rw = tf.randomNormal([50, 8], 0, 1, "float32", 7);
    const g1 = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(linear(a as tf.Tensor2D, c as tf.Tensor2D), rw)))([xw, ww]);
    const g2 = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(linearReference(a as tf.Tensor2D, c as tf.Tensor2D), rw)))([xw, ww]);
    assert.ok(relErr(g1[1]!, g2[1]!) < 1e-5);
  });
});

test("attention (fused projection, heads in the batch, custom gradient) matches the plain reference", () => {
  tf.tidy(() => {
    const [b, n, heads, d] = [3, 10, 2, 8];
    const width = heads * d;
    const x = tf.randomNormal([b * n, 12], 0, 1, "float32", 11) as tf.Tensor2D;
    const r = tf.randomNormal([b * n, width], 0, 1, "float32", 12);
    const angles = Array.from({ length: n }, (_, i) => Array.from({ length: d / 2 }, (_, j) => 0.7 * i * (j + 1)));
    const rope = ropeTables(angles, heads);
    for (const useRope of [false, true]) {
      const w3 = tf.randomNormal([12, 3 * width], 0, 0.5, "float32", 13) as tf.Tensor2D;
      const b3 = tf.randomNormal([3 * width], 0, 0.5, "float32", 14) as tf.Tensor1D;
      const run = (fn: typeof attention) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
        const p = useRope ? withRotaryPartners(ww as tf.Tensor2D, bb as tf.Tensor1D, rope.swap) : { w: ww as tf.Tensor2D, b: bb as tf.Tensor1D };
        return fn(xx as tf.Tensor2D, p.w, p.b, b, n, heads, useRope ? rope : undefined);
      };
      assert.ok(relErr(run(attention)(x, w3, b3), run(attentionReference)(x, w3, b3)) < 1e-5, `values, rope ${useRope}`);
      const loss = (fn: typeof attention) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(run(fn)(xx, ww, bb), r));
      const got = tf.grads(loss(attention))([x, w3, b3]);
      const want = tf.grads(loss(attentionReference))([x, w3, b3]);
      got.forEach((g, i) => assert.ok(relErr(g, want[i]!) < 1e-4, `rope ${useRope}, input ${i}: relative error ${relErr(g, want[i]!)}`));
    }
    for (const t of [rope.cosQ, rope.sinQ, rope.cosK, rope.sinK, rope.swap]) t.dispose();
  });
});

test("rotary attention scores depend on relative positions only", () => {
  tf.tidy(() => {
    // Every token carries the same content, so a score can differ only through the angles. With
    // angles linear in the position, the scores of (i, j) and (i + 1, j + 1) agree.
    const [n, heads, d] = [6, 1, 4];
    const angles = Array.from({ length: n }, (_, i) => [0.9 * i, 0.3 * i]);
    const rope = ropeTables(angles, heads);
    const x = tf.ones([n, 1]) as tf.Tensor2D;
    // q, k, v from a 1-wide input: q = k = (1, 2, 3, 4); v one-hot of the token would need n wide,
    // so read the scores through v = position: o_i = sum_j p_ij * j.
    const wq = [1, 2, 3, 4];
    const w = tf.tensor2d([[...wq, ...wq, 0, 0, 0, 0]], [1, 12]);
    const bias = tf.tensor1d([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    const xs = tf.tensor2d(Array.from({ length: n }, () => [1]));
    const p = withRotaryPartners(w, bias, rope.swap);
    // v = bias = (0, 1, 0, 0) for every token: outputs are 1 everywhere, so compare the reference's
    // internal scores instead: the score of i to j is q_i . k_j with rotated q and k.
    const qk = tf.add(tf.matMul(xs, p.w), p.b);
    const cols = (c: number) => tf.slice(qk, [0, c * d], [n, d]);
    const rot = (base: tf.Tensor, partner: tf.Tensor, cos: tf.Tensor4D, sin: tf.Tensor4D) => tf.add(tf.mul(base, tf.reshape(cos, [n, d])), tf.mul(partner, tf.reshape(sin, [n, d])));
    const q = rot(cols(0), cols(3), rope.cosQ, rope.sinQ);
    const k = rot(cols(1), cols(4), rope.cosK, rope.sinK);
    const s = tf.matMul(q, k, false, true).arraySync() as number[][];
    for (let i = 0; i + 1 < n; i++) for (let j = 0; j + 1 < n; j++) assert.ok(Math.abs(s[i]![j]! - s[i + 1]![j + 1]!) < 1e-4, `s[${i}][${j}] ${s[i]![j]} vs ${s[i + 1]![j + 1]}`);
    // and they do depend on the offset
    assert.ok(Math.abs(s[0]![0]! - s[0]![1]!) > 1e-2);
    void x;
    for (const t of [rope.cosQ, rope.sinQ, rope.cosK, rope.sinK, rope.swap]) t.dispose();
  });
});

test("adaLN, gated residual, layer norm, SiLU and GELU match their compositions (values and gradients)", () => {
  tf.tidy(() => {
    const [b, n, w] = [3, 5, 8];
    const x = tf.randomNormal([b * n, w], 0, 2, "float32", 21) as tf.Tensor2D;
    const shift = tf.randomNormal([b, w], 0, 1, "float32", 22) as tf.Tensor2D;
    const scale = tf.randomNormal([b, w], 0, 1, "float32", 23) as tf.Tensor2D;
    const y = tf.randomNormal([b * n, w], 0, 1, "float32", 24) as tf.Tensor2D;
    const r = tf.randomNormal([b * n, w], 0, 1, "float32", 25);
    const lnRef = (v: tf.Tensor) => {
      const m = tf.mean(v, -1, true);
      const c = tf.sub(v, m);
      return tf.div(c, tf.sqrt(tf.add(tf.mean(tf.square(c), -1, true), 1e-6)));
    };
    const adaRef = (v: tf.Tensor, sh: tf.Tensor, sc: tf.Tensor) =>
      tf.reshape(tf.add(tf.mul(tf.reshape(lnRef(v), [b, n, w]), tf.add(tf.reshape(sc, [b, 1, w]), 1)), tf.reshape(sh, [b, 1, w])), [b * n, w]);
    const gateRef = (v: tf.Tensor, g: tf.Tensor, yy: tf.Tensor) => tf.reshape(tf.add(tf.reshape(v, [b, n, w]), tf.mul(tf.reshape(yy, [b, n, w]), tf.reshape(g, [b, 1, w]))), [b * n, w]);
    const pairs: [string, (...a: tf.Tensor[]) => tf.Tensor, (...a: tf.Tensor[]) => tf.Tensor, tf.Tensor[]][] = [
      ["adaLN", (v, sh, sc) => adaLN(v as tf.Tensor2D, sh as tf.Tensor2D, sc as tf.Tensor2D), adaRef, [x, shift, scale]],
      ["gatedResidual", (v, g, yy) => gatedResidual(v as tf.Tensor2D, g as tf.Tensor2D, yy as tf.Tensor2D), gateRef, [x, shift, y]],
      ["layerNorm", (v) => layerNorm(v!), lnRef, [x]],
      ["silu", (v) => silu(v!), (v) => tf.mul(v!, tf.sigmoid(v!)), [x]],
      ["gelu", (v) => gelu(v!), (v) => tf.mul(tf.mul(v!, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(v!, tf.mul(tf.pow(v!, 3), 0.044715)), Math.sqrt(2 / Math.PI))))), [x]],
    ];
    for (const [name, fast, ref, args] of pairs) {
      assert.ok(relErr(fast(...args), ref(...args)) < 1e-5, `${name} values`);
      const got = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(fast(...a), r)))(args);
      const want = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(ref(...a), r)))(args);
      got.forEach((g, i) => assert.ok(relErr(g, want[i]!) < 1e-4, `${name} gradient ${i}: ${relErr(g, want[i]!)}`));
    }
  });
});

test("patchify puts each patch's pixels in one token and unpatchify inverts it (also with frame patches)", () => {
  tf.tidy(() => {
    const [b, f, h, w, c] = [2, 4, 4, 6, 3];
    const x = tf.reshape(tf.range(0, b * f * h * w * c), [b, f, h, w, c]) as tf.Tensor5D;
    const at = (bi: number, fi: number, hi: number, wi: number, ci: number) => (((bi * f + fi) * h + hi) * w + wi) * c + ci;
    for (const patch of [
      { frames: 1, height: 2, width: 3 },
      { frames: 2, height: 2, width: 2 },
    ]) {
      const y = patchify(x, patch).arraySync();
      const [gf, gh, gw] = [f / patch.frames, h / patch.height, w / patch.width];
      assert.equal(y.length, b * gf * gh * gw);
      // token (b=1, frame 1, row 1, col 0); feature (pf, ph, pw, channel) = (last, 1, 1, 2)
      const token = ((1 * gf + 1) * gh + 1) * gw + 0;
      const [pf, ph, pw] = [patch.frames - 1, 1, 1];
      const feature = ((pf * patch.height + ph) * patch.width + pw) * c + 2;
      assert.equal(y[token]![feature], at(1, 1 * patch.frames + pf, 1 * patch.height + ph, 0 * patch.width + pw, 2));
      assert.equal(maxAbsDiff(unpatchify(patchify(x, patch), b, f, h, w, patch), x), 0);
    }
  });
});

// ---- the network ----

test("output and taps have the documented shapes, for every position kind", () => {
  for (const position of ["rope3d", "sincos", "learned"] as const) {
    const shape = smallShape({ position });
    const dit = new Dit(shape);
    const params = initParams(shape, 1);
    const x = inputs(shape, 2, 5);
    const { out, taps } = dit.apply(params, x, { taps: [1, 0] });
    assert.deepEqual(out.shape, [2, 3, 4, 4, 3]);
    assert.deepEqual(
      taps.map((t) => t.shape),
      [
        [2, 12, 32],
        [2, 12, 32],
      ],
    );
    // taps come in the order asked: the second block's output differs from the first's once live
    tf.dispose([out, ...taps]);
    assert.throws(() => dit.apply(params, x, { taps: [2] }), /tap 2/);
    disposeInput(x);
    disposeParams(params);
    dit.dispose();
  }
});

test("the network starts at zero output (adaLN-Zero, zero output layer) and the parameters are deterministic in the seed", () => {
  const shape = smallShape();
  const dit = new Dit(shape);
  const a = initParams(shape, 7);
  const b = initParams(shape, 7);
  const c = initParams(shape, 8);
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [name, v] of a) assert.equal(maxAbsDiff(v, b.get(name)!), 0, name);
  assert.ok(maxAbsDiff(a.get("blocks.0.attn.qkv.w")!, c.get("blocks.0.attn.qkv.w")!) > 0.01);
  const x = inputs(shape, 2, 3);
  const out0 = dit.apply(a, x).out;
  assert.equal(maxAbs(out0), 0);
  randomizeZeros(a, 100);
  randomizeZeros(b, 100);
  const o1 = dit.apply(a, x).out;
  const o2 = dit.apply(b, x).out;
  assert.ok(maxAbs(o1) > 1e-3);
  assert.equal(maxAbsDiff(o1, o2), 0);
  tf.dispose([out0, o1, o2]);
  disposeInput(x);
  for (const p of [a, b, c]) disposeParams(p);
  dit.dispose();
});

test("the prompt and the image change the output; imageMask 0 drops the image; the null prompt works", () => {
  const shape = smallShape();
  const dit = new Dit(shape);
  const params = initParams(shape, 2);
  randomizeZeros(params, 200);
  const x = inputs(shape, 2, 9);
  const run = (over: Partial<Record<keyof DitInput, tf.Tensor>>) => {
    const { out } = dit.apply(params, { ...x, ...over } as DitInput);
    return out;
  };
  const base = run({});
  const otherPrompt = tf.tensor1d([2, 3], "int32");
  const nullPrompt = tf.tensor1d([4, 4], "int32");
  const otherImage = tf.randomUniform([2, 4, 4, 3], -1, 1, "float32", 77);
  const noMask = tf.zeros([2]);
  const outs = {
    prompt: run({ prompt: otherPrompt }),
    nullPrompt: run({ prompt: nullPrompt }),
    image: run({ image: otherImage }),
    masked: run({ imageMask: noMask }),
    maskedOtherImage: run({ imageMask: noMask, image: otherImage }),
  };
  assert.ok(maxAbsDiff(outs.prompt, base) > 1e-3, "the prompt changes the output");
  assert.ok(maxAbsDiff(outs.nullPrompt, base) > 1e-3, "the null prompt differs from a real one");
  assert.ok(Number.isFinite(maxAbs(outs.nullPrompt)));
  assert.ok(maxAbsDiff(outs.image, base) > 1e-3, "the image changes the output");
  assert.ok(maxAbsDiff(outs.masked, base) > 1e-3, "dropping the image changes the output");
  assert.equal(maxAbsDiff(outs.masked, outs.maskedOtherImage), 0, "with imageMask 0 the image is ignored");
  // per clip: changing clip 1's prompt leaves clip 0 alone
  const mixed = tf.tensor1d([0, 3], "int32");
  const m = run({ prompt: mixed });
  assert.equal(maxAbsDiff(tf.slice(m, [0], [1]), tf.slice(base, [0], [1])), 0);
  assert.ok(maxAbsDiff(tf.slice(m, [1], [1]), tf.slice(base, [1], [1])) > 1e-3);
  tf.dispose([base, otherPrompt, nullPrompt, otherImage, noMask, mixed, m, ...Object.values(outs)]);
  disposeInput(x);
  disposeParams(params);
  dit.dispose();
});

test("a LoRA adapter with B = 0 gives exactly the base output, adapts every attention and MLP linear, and trains", () => {
  const shape = smallShape();
  const dit = new Dit(shape);
  const params = initParams(shape, 3);
  randomizeZeros(params, 300);
  const lora = createLora(shape, 4, 8, 11);
  assert.deepEqual([...lora.layers.keys()].sort(), ["attn.out", "attn.qkv", "mlp.fc1", "mlp.fc2"].flatMap((l) => [0, 1].map((i) => `blocks.${i}.${l}.w`)).sort());
  assert.equal(lora.scale, 2);
  const x = inputs(shape, 2, 4);
  const base = dit.apply(params, x).out;
  const adapted = dit.apply(params, x, { lora }).out;
  assert.equal(maxAbsDiff(base, adapted), 0);
  // the adapter's B gets a gradient (A's is zero while B is zero), and a nonzero B changes the output
  const bVars = [...lora.layers.values()].map((l) => l.b);
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(dit.apply(params, x, { lora }).out)) as tf.Scalar, bVars);
  assert.ok(Object.values(grads).some((g) => maxAbs(g) > 0));
  tf.dispose([value, ...Object.values(grads)]);
  const first = [...lora.layers.values()][0]!;
  first.b.assign(tf.tidy(() => tf.randomNormal(first.b.shape, 0, 0.1, "float32", 5)));
  const changed = dit.apply(params, x, { lora }).out;
  assert.ok(maxAbsDiff(changed, base) > 1e-4);
  tf.dispose([base, adapted, changed]);
  disposeInput(x);
  disposeLora(lora);
  disposeParams(params);
  dit.dispose();
});

test("emaUpdate computes decay * ema + (1 - decay) * params in place; cloneParams copies", () => {
  const shape = smallShape();
  const params = initParams(shape, 4);
  const ema = cloneParams(params, { trainable: false });
  const name = "blocks.0.mlp.fc1.w";
  assert.equal(ema.get(name)!.trainable, false);
  const before = ema.get(name)!.dataSync()[0]!;
  params.get(name)!.assign(tf.tidy(() => tf.add(params.get(name)!, 1)));
  assert.equal(ema.get(name)!.dataSync()[0], before, "the clone does not follow the source");
  const p0 = params.get(name)!.dataSync()[0]!;
  emaUpdate(ema, params, 0.9);
  const expected = 0.9 * before + 0.1 * p0;
  assert.ok(Math.abs(ema.get(name)!.dataSync()[0]! - expected) < 1e-6);
  // parameters that did not change stay put
  assert.ok(maxAbsDiff(ema.get("patch.w")!, params.get("patch.w")!) < 1e-6);
  disposeParams(params);
  disposeParams(ema);
});

test("toX0AndVelocity converts both ways consistently with x_t = (1 - t) x0 + t eps", () => {
  tf.tidy(() => {
    const x0 = tf.randomNormal([2, 2, 2, 2, 3], 0, 1, "float32", 1) as tf.Tensor5D;
    const eps = tf.randomNormal([2, 2, 2, 2, 3], 0, 1, "float32", 2) as tf.Tensor5D;
    const t = tf.tensor1d([0.3, 0.8]);
    const tt = tf.reshape(t, [2, 1, 1, 1, 1]);
    const xt = tf.add(tf.mul(tf.sub(1, tt), x0), tf.mul(tt, eps)) as tf.Tensor5D;
    const v = tf.sub(eps, x0) as tf.Tensor5D;
    const fromX0 = toX0AndVelocity(x0, xt, t, "x0");
    const fromV = toX0AndVelocity(v, xt, t, "velocity");
    assert.ok(maxAbsDiff(fromX0.v, v) < 1e-4);
    assert.ok(maxAbsDiff(fromV.x0, x0) < 1e-5);
  });
});

test("one Adam step on a toy regression lowers the loss", () => {
  const shape = smallShape();
  const dit = new Dit(shape);
  const params = initParams(shape, 5);
  const x = inputs(shape, 4, 6);
  const target = tf.tidy(() => tf.mul(tf.sin(tf.mul(x.xt, 2)), 0.5));
  const opt = tf.train.adam(3e-3);
  const vars = [...params.values()];
  const loss = () => tf.tidy(() => tf.mean(tf.square(tf.sub(dit.apply(params, x).out, target))).dataSync()[0]!);
  const l0 = loss();
  for (let i = 0; i < 5; i++) opt.minimize(() => tf.mean(tf.square(tf.sub(dit.apply(params, x).out, target))) as tf.Scalar, true, vars)?.dispose();
  const l1 = loss();
  assert.ok(l1 < l0 * 0.98, `loss ${l0} -> ${l1}`);
  opt.dispose();
  target.dispose();
  disposeInput(x);
  disposeParams(params);
  dit.dispose();
});

test("no tensor leaks across repeated apply + gradient + dispose cycles", () => {
  for (const position of ["rope3d", "learned"] as const) {
    const shape = smallShape({ position });
    const dit = new Dit(shape);
    const params = initParams(shape, 6);
    const lora = createLora(shape, 2, 2, 1);
    const vars = [...params.values(), ...[...lora.layers.values()].flatMap((l) => [l.a, l.b])];
    const x = inputs(shape, 2, 7);
    const cycle = () => {
      const { value, grads } = tf.variableGrads(() => {
        const { out, taps } = dit.apply(params, x, { taps: [0], lora });
        return tf.add(tf.mean(tf.square(out)), tf.mean(taps[0]!)) as tf.Scalar;
      }, vars);
      tf.dispose([value, ...Object.values(grads)]);
      const xg = tf.grads((xt: tf.Tensor) => tf.sum(dit.apply(params, { ...x, xt: xt as tf.Tensor5D }).out))([x.xt]);
      tf.dispose(xg);
      const { out } = dit.apply(params, x);
      out.dispose();
    };
    cycle(); // warm up (caches of the attention cores)
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) cycle();
    assert.equal(tf.memory().numTensors, before, position);
    disposeInput(x);
    disposeLora(lora);
    disposeParams(params);
    dit.dispose();
  }
});

test("the DiT built has the parameters an independent count gives, and the plan states that count", () => {
  const compiled = compileFile(fromRoot("experiments", "teacher.vpae"));
  const plan = compiled.plans[0]!.plan;
  const world = plan.world as Extract<typeof plan.world, { kind: "sprites" }>;
  const a = plan.teacher!.arch;
  const shape: DitShape = { arch: a, frames: world.frames, height: world.height, width: world.width, channels: world.channels, promptClasses: world.directions };
  const params = initParams(shape, 0);
  const count = parameterCount(params);
  // Independent count of what dit.ts builds.
  const g = ditGeometry(shape);
  const w = a.width;
  const lin = (i: number, o: number) => i * o + o;
  const perBlock = lin(w, 6 * w) + lin(w, 3 * w) + lin(w, w) + lin(w, g.hidden) + lin(g.hidden, w);
  const expected =
    lin(g.inChannels * g.patchSize, w) + lin(256, w) + lin(w, w) + (world.directions + 1) * w * (1 + g.gridF) + a.depth * perBlock + lin(w, 2 * w) + lin(w, g.patchSize * world.channels);
  assert.equal(count, expected);
  // The compiler's count (vpae plan, memory estimates) is exact for this architecture.
  assert.equal(plan.teacher!.arch.parameters, count);
  disposeParams(params);
});
