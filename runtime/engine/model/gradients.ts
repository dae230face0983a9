// Gradients for tfjs-core kernels.
//
// The package vpae depends on, @tensorflow/tfjs-core, ships its ops but not their gradients: those are
// registered by the @tensorflow/tfjs union package (and tfjs-node), which we do not load on wasm/cpu.
// Without them tf.grads / tf.variableGrads / optimizer.minimize fail with "gradient function not
// found for Sum". This module registers, for every kernel listed below that has no gradient yet,
// our own gradient (so it never overrides the official ones where tfjs-node brought them).
//
// The matrix products differ on purpose from the official gradients: they never pass transpose flags
// to matMul. On wasm a flagged matMul was measured ~5x slower than an explicit tf.transpose followed
// by a plain one when this module was written, and that is what every backward pass would use.
//
// Importing this module has the side effect of registering; registerModelGradients() is idempotent.
import * as tf from "@tensorflow/tfjs-core";

type T = tf.Tensor;
type Grads = Record<string, () => T> | (() => T)[];
type GradFn = (dy: T | T[], saved: T[], attrs: tf.NamedAttrMap) => Grads;

/** Sums a broadcast gradient back to the shape of the input it came from. */
function unbroadcast(g: T, shape: number[]): T {
  const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
  const summed = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(summed, shape);
}

/** Swaps the last two axes (an explicit transpose, so that matMul runs without flags). */
function swapLast(x: T): T {
  const r = x.rank;
  if (r === 2) return tf.transpose(x);
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

const f32 = (x: T): T => tf.cast(x, "float32");
const one = (dy: T | T[]): T => (Array.isArray(dy) ? dy[0]! : dy);
const many = (dy: T | T[]): T[] => (Array.isArray(dy) ? dy : [dy]);

/** Shape of a reduction's output with keepDims, for broadcasting its gradient back. */
function keptShape(shape: number[], axis: unknown): number[] {
  const axes = tf.util.parseAxisParam(axis as number | number[], shape);
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

const configs: [string, GradFn, { inputs?: string[]; outputs?: boolean[]; all?: boolean }][] = [
  // ---- elementwise, one input ----
  ["Abs", (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.sign(x!)) }), { inputs: ["x"] }],
  ["Neg", (dy) => ({ x: () => tf.neg(one(dy)) }), {}],
  ["Exp", (dy, [y]) => ({ x: () => tf.mul(one(dy), y!) }), { outputs: [true] }],
  ["Log", (dy, [x]) => ({ x: () => tf.div(one(dy), x!) }), { inputs: ["x"] }],
  ["Log1p", (dy, [x]) => ({ x: () => tf.div(one(dy), tf.add(x!, 1)) }), { inputs: ["x"] }],
  ["Expm1", (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.exp(x!)) }), { inputs: ["x"] }],
  ["Sqrt", (dy, [y]) => ({ x: () => tf.div(one(dy), tf.mul(y!, 2)) }), { outputs: [true] }],
  ["Rsqrt", (dy, [y]) => ({ x: () => tf.mul(one(dy), tf.mul(tf.pow(y!, 3), -0.5)) }), { outputs: [true] }],
  ["Square", (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.mul(x!, 2)) }), { inputs: ["x"] }],
  ["Reciprocal", (dy, [x]) => ({ x: () => tf.neg(tf.div(one(dy), tf.square(x!))) }), { inputs: ["x"] }],
  ["Sigmoid", (dy, [y]) => ({ x: () => tf.mul(one(dy), tf.mul(y!, tf.sub(1, y!))) }), { outputs: [true] }],
  ["Tanh", (dy, [y]) => ({ x: () => tf.mul(one(dy), tf.sub(1, tf.square(y!))) }), { outputs: [true] }],
  ["Relu", (dy, [x]) => ({ x: () => tf.mul(one(dy), f32(tf.greater(x!, 0))) }), { inputs: ["x"] }],
  ["Relu6", (dy, [x]) => ({ x: () => tf.mul(one(dy), f32(tf.logicalAnd(tf.greater(x!, 0), tf.lessEqual(x!, 6)))) }), { inputs: ["x"] }],
  [
    "LeakyRelu",
    (dy, [x], attrs) => ({ x: () => tf.where(tf.greater(x!, 0), one(dy), tf.mul(one(dy), attrs.alpha as number)) }),
    { inputs: ["x"] },
  ],
  ["Elu", (dy, [y]) => ({ x: () => tf.where(tf.greater(y!, 0), one(dy), tf.mul(one(dy), tf.add(y!, 1))) }), { outputs: [true] }],
  ["Softplus", (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.sigmoid(x!)) }), { inputs: ["x"] }],
  ["Erf", (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.mul(tf.exp(tf.neg(tf.square(x!))), 2 / Math.sqrt(Math.PI))) }), { inputs: ["x"] }],
  ["Sin", (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.cos(x!)) }), { inputs: ["x"] }],
  ["Cos", (dy, [x]) => ({ x: () => tf.neg(tf.mul(one(dy), tf.sin(x!))) }), { inputs: ["x"] }],
  ["Sign", (dy) => ({ x: () => tf.zerosLike(one(dy)) }), {}],
  ["Floor", (dy) => ({ x: () => tf.zerosLike(one(dy)) }), {}],
  ["Ceil", (dy) => ({ x: () => tf.zerosLike(one(dy)) }), {}],
  ["Round", (dy) => ({ x: () => tf.zerosLike(one(dy)) }), {}],
  ["Step", (dy) => ({ x: () => tf.zerosLike(one(dy)) }), {}],
  ["OnesLike", (dy) => ({ x: () => tf.zerosLike(one(dy)) }), {}],
  ["ZerosLike", (dy) => ({ x: () => tf.zerosLike(one(dy)) }), {}],
  ["Identity", (dy) => ({ x: () => f32(one(dy)) }), {}],
  ["Cast", (dy) => ({ x: () => f32(one(dy)) }), {}],
  [
    "ClipByValue",
    (dy, [x], attrs) => ({
      x: () => tf.mul(one(dy), f32(tf.logicalAnd(tf.greaterEqual(x!, attrs.clipValueMin as number), tf.lessEqual(x!, attrs.clipValueMax as number)))),
    }),
    { inputs: ["x"] },
  ],

  // ---- elementwise, two inputs (with broadcasting) ----
  ["Add", (dy, [a, b]) => ({ a: () => unbroadcast(one(dy), a!.shape), b: () => unbroadcast(one(dy), b!.shape) }), { inputs: ["a", "b"] }],
  ["Sub", (dy, [a, b]) => ({ a: () => unbroadcast(one(dy), a!.shape), b: () => unbroadcast(tf.neg(one(dy)), b!.shape) }), { inputs: ["a", "b"] }],
  [
    "Multiply",
    (dy, [a, b]) => ({ a: () => unbroadcast(tf.mul(one(dy), b!), a!.shape), b: () => unbroadcast(tf.mul(one(dy), a!), b!.shape) }),
    { inputs: ["a", "b"] },
  ],
  [
    "RealDiv",
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(one(dy), b!), a!.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(one(dy), a!), tf.square(b!))), b!.shape),
    }),
    { inputs: ["a", "b"] },
  ],
  [
    "SquaredDifference",
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(one(dy), tf.mul(tf.sub(a!, b!), 2)), a!.shape),
      b: () => unbroadcast(tf.mul(one(dy), tf.mul(tf.sub(b!, a!), 2)), b!.shape),
    }),
    { inputs: ["a", "b"] },
  ],
  [
    "Maximum",
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(one(dy), f32(tf.greaterEqual(a!, b!))), a!.shape),
      b: () => unbroadcast(tf.mul(one(dy), f32(tf.less(a!, b!))), b!.shape),
    }),
    { inputs: ["a", "b"] },
  ],
  [
    "Minimum",
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(one(dy), f32(tf.lessEqual(a!, b!))), a!.shape),
      b: () => unbroadcast(tf.mul(one(dy), f32(tf.greater(a!, b!))), b!.shape),
    }),
    { inputs: ["a", "b"] },
  ],
  [
    "Pow",
    (dy, [a, b, y]) => ({
      a: () => unbroadcast(tf.mul(one(dy), tf.mul(b!, tf.pow(a!, tf.sub(b!, 1)))), a!.shape),
      b: () => {
        const logA = tf.where(tf.greater(a!, 0), tf.log(tf.maximum(a!, 1e-30)), tf.zerosLike(a!));
        return unbroadcast(tf.mul(one(dy), tf.mul(y!, logA)), b!.shape);
      },
    }),
    { inputs: ["a", "b"], outputs: [true] },
  ],
  ["AddN", (dy, saved) => saved.map(() => () => f32(one(dy))), { all: true }],

  // ---- matrix product: explicit transposes, no flags ----
  [
    "BatchMatMul",
    (dy, [a, b], attrs) => {
      const g = one(dy);
      const tA = attrs.transposeA as boolean;
      const tB = attrs.transposeB as boolean;
      const mm = (x: T, y: T) => tf.matMul(x, y);
      let da: () => T;
      let db: () => T;
      if (!tA && !tB) {
        da = () => mm(g, swapLast(b!));
        db = () => mm(swapLast(a!), g);
      } else if (!tA && tB) {
        da = () => mm(g, b!);
        db = () => mm(swapLast(g), a!);
      } else if (tA && !tB) {
        da = () => mm(b!, swapLast(g));
        db = () => mm(a!, g);
      } else {
        da = () => mm(swapLast(b!), swapLast(g));
        db = () => mm(swapLast(g), swapLast(a!));
      }
      return { a: () => unbroadcast(da(), a!.shape), b: () => unbroadcast(db(), b!.shape) };
    },
    { inputs: ["a", "b"] },
  ],

  // ---- shape and data movement ----
  ["Reshape", (dy, [x]) => ({ x: () => tf.reshape(one(dy), x!.shape) }), { inputs: ["x"] }],
  ["ExpandDims", (dy, [x]) => ({ input: () => tf.reshape(one(dy), x!.shape) }), { inputs: ["input"] }],
  [
    "Transpose",
    (dy, _s, attrs) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(one(dy), inverse) };
    },
    {},
  ],
  [
    "Concat",
    (dy, saved, attrs) => {
      // One slice per input (not a split per input, which would cost n^2 for n inputs), through a
      // rank-3 view [before, axis, after]: wasm slices rank 5 element by element (~100x slower).
      const g = one(dy);
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0]!.shape)[0]!;
      const before = g.shape.slice(0, axis).reduce((a, b) => a * b, 1);
      const after = g.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      let offset = 0;
      return saved.map((t) => {
        const begin = offset;
        offset += t.shape[axis]!;
        return () => tf.reshape(tf.slice(tf.reshape(g, [before, g.shape[axis]!, after]), [0, begin, 0], [before, t.shape[axis]!, after]), t.shape);
      });
    },
    { all: true },
  ],
  [
    "Pack",
    (dy, saved, attrs) => {
      const g = one(dy);
      const axis = tf.util.parseAxisParam(attrs.axis as number, g.shape)[0]!;
      return saved.map((t, k) => () => {
        const begin = g.shape.map((_, i) => (i === axis ? k : 0));
        const size = g.shape.map((d, i) => (i === axis ? 1 : d));
        return tf.reshape(tf.slice(g, begin, size), t.shape);
      });
    },
    { all: true },
  ],
  ["Unpack", (dy, _s, attrs) => ({ value: () => tf.stack(many(dy), attrs.axis as number) }), {}],
  [
    "SplitV",
    (dy, [x], attrs) => ({ x: () => tf.concat(many(dy), tf.util.parseAxisParam(attrs.axis as number, x!.shape)[0]!) }),
    { inputs: ["x"] },
  ],
  [
    "Slice",
    (dy, [x], attrs) => ({
      x: () => {
        const [begin, size] = tf.slice_util.parseSliceParams(x!, attrs.begin as number[], attrs.size as number[]);
        const pads = x!.shape.map((d, i) => [begin[i]!, d - begin[i]! - size[i]!] as [number, number]);
        return tf.pad(one(dy), pads);
      },
    }),
    { inputs: ["x"] },
  ],
  [
    "PadV2",
    (dy, [x], attrs) => ({ x: () => tf.slice(one(dy), (attrs.paddings as [number, number][]).map((p) => p[0]), x!.shape) }),
    { inputs: ["x"] },
  ],
  [
    "Tile",
    (dy, [x], attrs) => ({
      x: () => {
        const reps = attrs.reps as number[];
        const split: number[] = [];
        reps.forEach((r, i) => split.push(r, x!.shape[i]!));
        const axes = reps.map((_, i) => 2 * i);
        return tf.reshape(tf.sum(tf.reshape(one(dy), split), axes), x!.shape);
      },
    }),
    { inputs: ["x"] },
  ],
  ["Reverse", (dy, _s, attrs) => ({ x: () => tf.reverse(one(dy), attrs.dims as number[]) }), {}],
  [
    "GatherV2",
    (dy, [x, indices], attrs) => ({
      // The scatter-add of the official gradient needs UnsortedSegmentSum, which wasm lacks; a one-hot
      // matrix product does the same sum as one 2-D matMul.
      x: () => {
        if ((attrs.batchDims as number) !== 0) throw new Error("GatherV2 gradient: batchDims > 0 is not supported");
        const shape = x!.shape;
        const axis = tf.util.parseAxisParam(attrs.axis as number, shape)[0]!;
        const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
        const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
        const k = shape[axis]!;
        const n = indices!.size;
        const g = tf.reshape(tf.transpose(tf.reshape(one(dy), [outer, n, inner]), [1, 0, 2]), [n, outer * inner]);
        const hot = tf.transpose(tf.oneHot(tf.reshape(tf.cast(indices!, "int32"), [n]), k));
        const dx = tf.matMul(hot, g);
        return tf.reshape(tf.transpose(tf.reshape(dx, [k, outer, inner]), [1, 0, 2]), shape);
      },
      indices: () => tf.zeros(indices!.shape, "float32"),
    }),
    { inputs: ["x", "indices"] },
  ],
  [
    "Select",
    (dy, [c]) => ({
      condition: () => tf.zeros(c!.shape, "float32"),
      t: () => tf.where(c!, one(dy), tf.zerosLike(one(dy))),
      e: () => tf.where(c!, tf.zerosLike(one(dy)), one(dy)),
    }),
    { inputs: ["condition"] },
  ],

  // ---- reductions ----
  [
    "Sum",
    (dy, [x], attrs) => ({ x: () => spread(one(dy), x!.shape, attrs.axis) }),
    { inputs: ["x"] },
  ],
  [
    "Mean",
    (dy, [x], attrs) => ({
      x: () => {
        const kept = keptShape(x!.shape, attrs.axis);
        const count = x!.size / kept.reduce((p, d) => p * d, 1);
        return tf.div(spread(one(dy), x!.shape, attrs.axis), count);
      },
    }),
    { inputs: ["x"] },
  ],
  ["Max", (dy, [x, y], attrs) => ({ x: () => extremumGrad(one(dy), x!, y!, attrs.reductionIndices) }), { inputs: ["x"], outputs: [true] }],
  ["Min", (dy, [x, y], attrs) => ({ x: () => extremumGrad(one(dy), x!, y!, attrs.axis) }), { inputs: ["x"], outputs: [true] }],
  [
    "Softmax",
    (dy, [y], attrs) => ({
      logits: () => {
        const g = one(dy);
        const dim = attrs.dim as number;
        return tf.mul(y!, tf.sub(g, tf.sum(tf.mul(g, y!), dim, true)));
      },
    }),
    { outputs: [true] },
  ],
];

/** A reduction's gradient broadcast back over the reduced axes (a broadcasting multiply: Tile is ~5x slower on wasm). */
function spread(dy: T, shape: number[], axis: unknown): T {
  return tf.mul(tf.reshape(dy, keptShape(shape, axis)), tf.ones(shape));
}

/** Max and Min: the gradient goes to every element equal to the extremum. */
function extremumGrad(dy: T, x: T, y: T, axis: unknown): T {
  const kept = keptShape(x.shape, axis);
  const mask = f32(tf.equal(x, tf.reshape(y, kept)));
  return tf.mul(mask, tf.reshape(dy, kept));
}

/** The kernels this module covers. */
export const GRADIENT_KERNELS: readonly string[] = configs.map((c) => c[0]);

let done = false;

/** Registers our gradient for every covered kernel that has none. Returns the kernels it registered. */
export function registerModelGradients(): string[] {
  if (done) return [];
  done = true;
  const added: string[] = [];
  for (const [kernelName, gradFunc, save] of configs) {
    if (tf.getGradient(kernelName) != null) continue;
    tf.registerGradient({
      kernelName,
      ...(save.inputs ? { inputsToSave: save.inputs } : {}),
      ...(save.outputs ? { outputsToSave: save.outputs } : {}),
      ...(save.all ? { saveAllInputs: true } : {}),
      gradFunc: gradFunc as tf.GradConfig["gradFunc"],
    });
    added.push(kernelName);
  }
  return added;
}

registerModelGradients();
