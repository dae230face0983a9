// The kernel gradients that runtime/engine/model/gradients.ts registers (tfjs-core ships none), each
// checked against central finite differences.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../runtime/engine/tf.js";
import { GRADIENT_KERNELS, registerModelGradients } from "../../runtime/engine/model/gradients.js";

before(async () => {
  await initBackend("wasm");
  registerModelGradients();
});

/** Deterministic values in [lo, hi), kept at least `gap` away from the listed kinks. */
function values(n: number, seed: number, lo = -2, hi = 2, kinks: number[] = [], gap = 0.15): number[] {
  const out: number[] = [];
  let s = seed >>> 0;
  while (out.length < n) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
    if (kinks.every((k) => Math.abs(v - k) > gap)) out.push(v);
  }
  return out;
}
const t = (shape: number[], seed: number, lo?: number, hi?: number, kinks?: number[]) =>
  tf.tensor(values(shape.reduce((p, d) => p * d, 1), seed, lo, hi, kinks), shape, "float32");

/**
 * Compares tf.grads of sum(f(xs) * r) with central differences (step 1e-2, float32) element by element.
 */
function checkGrad(name: string, f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], xs: tf.Tensor[], tol = 2e-2): void {
  const before = tf.memory().numTensors;
  const project = (...args: tf.Tensor[]): tf.Scalar => {
    const out = f(...args);
    const outs = Array.isArray(out) ? out : [out];
    return tf.addN(outs.map((o, i) => tf.sum(tf.mul(o, tf.tensor(values(o.size, 97 + i, -1, 1), o.shape))))) as tf.Scalar;
  };
  const analytic = tf.tidy(() => tf.grads(project)(xs).map((g) => Array.from(g.dataSync())));
  const eps = 1e-2;
  xs.forEach((x, k) => {
    const base = Array.from(x.dataSync());
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number) =>
        tf.tidy(() => {
          const moved = base.slice();
          moved[i]! += delta;
          const args = xs.map((y, j) => (j === k ? tf.tensor(moved, x.shape, "float32") : y));
          return project(...args).dataSync()[0]!;
        });
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const got = analytic[k]![i]!;
      assert.ok(Math.abs(got - numeric) <= tol * (1 + Math.abs(numeric)), `${name}: d/dx${k}[${i}] analytic ${got} vs numeric ${numeric}`);
    }
  });
  assert.equal(tf.memory().numTensors, before, `${name}: the gradient left tensors behind`);
}

// One case per kernel: the op that runs it, and inputs away from its kinks.
const cases: Record<string, () => void> = {
  Abs: () => checkGrad("Abs", (x) => tf.abs(x), [t([2, 3], 1, -2, 2, [0])]),
  Neg: () => checkGrad("Neg", (x) => tf.neg(x), [t([5], 2)]),
  Exp: () => checkGrad("Exp", (x) => tf.exp(x), [t([5], 3)]),
  Log: () => checkGrad("Log", (x) => tf.log(x), [t([5], 4, 0.5, 3)]),
  Log1p: () => checkGrad("Log1p", (x) => tf.log1p(x), [t([5], 5, 0, 3)]),
  Expm1: () => checkGrad("Expm1", (x) => tf.expm1(x), [t([5], 6)]),
  Sqrt: () => checkGrad("Sqrt", (x) => tf.sqrt(x), [t([5], 7, 0.5, 3)]),
  Rsqrt: () => checkGrad("Rsqrt", (x) => tf.rsqrt(x), [t([5], 8, 0.5, 3)]),
  Square: () => checkGrad("Square", (x) => tf.square(x), [t([5], 9)]),
  Reciprocal: () => checkGrad("Reciprocal", (x) => tf.reciprocal(x), [t([5], 10, 0.5, 3)]),
  Sigmoid: () => checkGrad("Sigmoid", (x) => tf.sigmoid(x), [t([5], 11)]),
  Tanh: () => checkGrad("Tanh", (x) => tf.tanh(x), [t([5], 12)]),
  Relu: () => checkGrad("Relu", (x) => tf.relu(x), [t([6], 13, -2, 2, [0])]),
  Relu6: () => checkGrad("Relu6", (x) => tf.relu6(x), [t([6], 14, -2, 8, [0, 6])]),
  LeakyRelu: () => checkGrad("LeakyRelu", (x) => tf.leakyRelu(x, 0.1), [t([6], 15, -2, 2, [0])]),
  Elu: () => checkGrad("Elu", (x) => tf.elu(x), [t([6], 16, -2, 2, [0])]),
  Softplus: () => checkGrad("Softplus", (x) => tf.softplus(x), [t([5], 17)]),
  Erf: () => checkGrad("Erf", (x) => tf.erf(x), [t([5], 18)]),
  Sin: () => checkGrad("Sin", (x) => tf.sin(x), [t([5], 19)]),
  Cos: () => checkGrad("Cos", (x) => tf.cos(x), [t([5], 20)]),
  Sign: () => checkGrad("Sign", (x) => tf.mul(tf.sign(x), x), [t([5], 21, -2, 2, [0])]),
  Floor: () => checkGrad("Floor", (x) => tf.add(tf.floor(x), x), [t([5], 22, -2, 2, [-2, -1, 0, 1, 2])]),
  Ceil: () => checkGrad("Ceil", (x) => tf.add(tf.ceil(x), x), [t([5], 23, -2, 2, [-2, -1, 0, 1, 2])]),
  Round: () => checkGrad("Round", (x) => tf.add(tf.round(x), x), [t([5], 24, -2, 2, [-1.5, -0.5, 0.5, 1.5])]),
  Step: () => checkGrad("Step", (x) => tf.add(tf.step(x), x), [t([5], 25, -2, 2, [0])]),
  OnesLike: () => checkGrad("OnesLike", (x) => tf.add(tf.onesLike(x), x), [t([3], 26)]),
  ZerosLike: () => checkGrad("ZerosLike", (x) => tf.add(tf.zerosLike(x), x), [t([3], 27)]),
  Identity: () => checkGrad("Identity", (x) => tf.clone(x), [t([3], 28)]),
  // Cast passes the gradient straight through (as tfjs's own gradient does), even across a rounding
  // int cast, where finite differences would see 0.
  Cast: () =>
    tf.tidy(() => {
      const r = t([3], 29);
      const [g] = tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.cast(tf.cast(x, "int32"), "float32"), r)))([t([3], 30)]);
      assert.deepEqual(Array.from(g!.dataSync()), Array.from(r.dataSync()));
    }),
  ClipByValue: () => checkGrad("ClipByValue", (x) => tf.clipByValue(x, -1, 1), [t([8], 30, -2, 2, [-1, 1])]),
  Add: () => checkGrad("Add", (a, b) => tf.add(a!, b!), [t([2, 3], 31), t([3], 32)]),
  Sub: () => checkGrad("Sub", (a, b) => tf.sub(a!, b!), [t([2, 3], 33), t([2, 1], 34)]),
  Multiply: () => checkGrad("Multiply", (a, b) => tf.mul(a!, b!), [t([2, 3], 35), t([3], 36)]),
  RealDiv: () => checkGrad("RealDiv", (a, b) => tf.div(a!, b!), [t([2, 3], 37), t([1, 3], 38, 0.5, 2)]),
  SquaredDifference: () => checkGrad("SquaredDifference", (a, b) => tf.squaredDifference(a!, b!), [t([2, 3], 39), t([3], 40)]),
  Maximum: () => checkGrad("Maximum", (a, b) => tf.maximum(a!, b!), [t([6], 41, -2, 2, [0]), tf.zeros([6])]),
  Minimum: () => checkGrad("Minimum", (a, b) => tf.minimum(a!, b!), [t([6], 42, -2, 2, [0]), tf.zeros([6])]),
  Pow: () => checkGrad("Pow", (a, b) => tf.pow(a!, b!), [t([2, 3], 43, 0.5, 2), t([3], 44, 0.5, 2)]),
  AddN: () => checkGrad("AddN", (a, b, c) => tf.addN([a!, b!, c!]), [t([4], 45), t([4], 46), t([4], 47)]),
  BatchMatMul: () => {
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      const a = t(ta ? [2, 4, 3] : [2, 3, 4], 48);
      const b = t(tb ? [5, 4] : [4, 5], 49);
      checkGrad(`BatchMatMul ${ta} ${tb} (broadcast b)`, (x, y) => tf.matMul(x!, y!, ta, tb), [a, b]);
    }
    checkGrad("MatMul 2-D", (x, y) => tf.matMul(x!, y!), [t([3, 4], 50), t([4, 2], 51)]);
  },
  Reshape: () => checkGrad("Reshape", (x) => tf.reshape(x, [3, 2]), [t([2, 3], 52)]),
  ExpandDims: () => checkGrad("ExpandDims", (x) => tf.expandDims(x, 1), [t([2, 3], 53)]),
  Transpose: () => checkGrad("Transpose", (x) => tf.transpose(x, [2, 0, 1]), [t([2, 3, 2], 54)]),
  Concat: () => checkGrad("Concat", (a, b) => tf.concat([a!, b!], 1), [t([2, 3], 55), t([2, 2], 56)]),
  Pack: () => checkGrad("Pack", (a, b) => tf.stack([a!, b!], 1), [t([2, 3], 57), t([2, 3], 58)]),
  Unpack: () => checkGrad("Unpack", (x) => tf.unstack(x, 1), [t([2, 3], 59)]),
  SplitV: () => checkGrad("SplitV", (x) => tf.split(x, [1, 2], 1), [t([2, 3], 60)]),
  Slice: () => checkGrad("Slice", (x) => tf.slice(x, [1, 0], [1, 2]), [t([3, 3], 61)]),
  PadV2: () => checkGrad("PadV2", (x) => tf.pad(x, [[1, 0], [0, 2]], 0.5), [t([2, 2], 62)]),
  Tile: () => checkGrad("Tile", (x) => tf.tile(x, [2, 3]), [t([2, 2], 63)]),
  Reverse: () => checkGrad("Reverse", (x) => tf.reverse(x, [1]), [t([2, 3], 64)]),
  GatherV2: () => {
    const idx = tf.tensor1d([2, 0, 2], "int32");
    checkGrad("GatherV2 axis 1, repeated index", (x) => tf.gather(x, idx, 1), [t([2, 3, 2], 65)]);
    idx.dispose();
  },
  Select: () => {
    const c = tf.tensor1d([1, 0, 1, 0], "bool");
    checkGrad("Select", (a, b) => tf.where(c, a!, b!), [t([4], 66), t([4], 67)]);
    c.dispose();
  },
  Sum: () => checkGrad("Sum", (x) => tf.sum(x, 1), [t([2, 3, 2], 68)]),
  Mean: () => checkGrad("Mean", (x) => tf.mean(x, [0, 2], true), [t([2, 3, 2], 69)]),
  Max: () => checkGrad("Max", (x) => tf.max(x, 1), [tf.tensor2d([[0.1, 0.9, -0.5], [1.2, -1, 0.3]])]),
  Min: () => checkGrad("Min", (x) => tf.min(x, 0), [tf.tensor2d([[0.1, 0.9, -0.5], [1.2, -1, 0.3]])]),
  Softmax: () => checkGrad("Softmax", (x) => tf.softmax(x), [t([2, 4], 70)]),
};

test("every registered kernel gradient has a finite-difference case", () => {
  assert.deepEqual(
    GRADIENT_KERNELS.filter((k) => !(k in cases)),
    [],
  );
  // and the registry answers for them now
  for (const k of GRADIENT_KERNELS) assert.ok(tf.getGradient(k), `no gradient registered for ${k}`);
});

for (const [kernel, run] of Object.entries(cases)) {
  test(`gradient of ${kernel} matches finite differences`, () => run());
}

test("composite: the gradient of a mean-squared loss through softmax attention-like ops", () => {
  checkGrad("composite", (x, w) => tf.mean(tf.square(tf.sub(tf.softmax(tf.matMul(x!, w!)), 0.25))), [t([3, 4], 71), t([4, 4], 72)]);
});
