// Building blocks of the DiT, written for the wasm backend (one core, XNNPACK for 2-D matMul).
//
// What is fast and slow there (measured here: Node 20, tfjs 4.22 wasm, one thread, with other jobs
// sharing the 2 cores; minima of repeated runs, so treat them as ratios):
//   - a plain 2-D matMul runs on XNNPACK; one with a transpose flag does not and is ~4x slower
//     ([1536,64]x[64,192]: 6 ms plain, 24 ms with transposeB). Default gradients use the flags, so
//     every product here has a custom gradient made of tf.transpose + plain matMuls.
//   - batched 3-D matMuls run at ~2.5 GFLOP/s whatever the flags (q k^T for 64 heads of [96, 16]:
//     15 ms for every flag combination). Attention over 96 tokens, batch 16, 4 heads of 16, forward +
//     backward of one layer:
//       heads in the batch, one batched matMul per product (chosen):   58-61 ms (forward 17 ms)
//       the same through the registry's gradients:                       57-61 ms
//       a loop of 2-D matMuls over the 64 (clip, head) pairs:            117-394 ms (per-op overhead)
//       block-diagonal heads, one 2-D matMul per clip:                   490 ms
//       block-diagonal heads, batched over clips:                        225 ms
//     These batched products are about half of a training step; nothing cheaper was found.
//   - tf.slice / tf.split / tf.unstack copy their WHOLE input to JavaScript for every piece (wasm's
//     Slice reads the tensor back), and a 4-D slice then copies 16-float rows one by one: slicing q
//     and k out of a [16, 20, 96, 16] projection cost 8 ms per slice. So the attention never slices
//     activations: it slices the small weight and runs one product per part. Concat is cheap.
//   - tf.tile is ~5x slower than a broadcasting multiply by ones; tf.gather 13 ms for [16, 96, 192];
//     tf.sum over a non-last axis transposes first (2.7 ms for [1536, 256], a ones-row matMul 0.1 ms).
//   - rank-5 transposes are slow; everything here stays at rank <= 4.
//   - wasm's Identity copies, so every tensor saved for a backward pass (customGrad's save, the
//     registry's inputsToSave) costs a copy.
import { tf } from "../tf.js";
import "./gradients.js";

type T2 = tf.Tensor2D;

type Save = (tensors: tf.Tensor[]) => void;
type GradResult<V extends tf.Tensor> = { value: V; gradFunc: (dy: V, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] };

/** tf.customGrad with the function's real argument types (tfjs types them as (Tensor | save)[]). */
function custom<A extends tf.Tensor[], V extends tf.Tensor>(f: (...args: [...A, Save]) => GradResult<V>): (...args: A) => V {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: A) => V;
}

/**
 * x^T dy for a weight gradient. Transposes cost per element on wasm, so when x is the larger of the
 * two (fc2: x [rows, 4w], dy [rows, w]) it computes (dy^T x)^T and transposes the smaller tensors.
 */
function weightGrad(x: T2, dy: T2): T2 {
  if (x.size > dy.size + x.shape[1] * dy.shape[1]) return tf.transpose(tf.matMul(tf.transpose(dy), x)) as T2;
  return tf.matMul(tf.transpose(x), dy);
}

const matMul2d = custom((a: T2, b: T2, save: Save) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b) as T2,
    gradFunc: (dy: T2, [x, w]: tf.Tensor[]) => [tf.matMul(dy, tf.transpose(w as T2)), weightGrad(x as T2, dy)],
  };
});

// The bias gradient sums dy over rows. tf.sum over axis 0 transposes first on wasm (2.7 ms for
// [1536, 256]); a product with a row of ones is one XNNPACK call (0.1 ms).
const matMul2dBias = custom((a: T2, b: T2, bias: tf.Tensor1D, save: Save) => {
  save([a, b]);
  return {
    value: tf.fused.matMul({ a, b, bias }) as T2,
    gradFunc: (dy: T2, [x, w]: tf.Tensor[]) => [
      tf.matMul(dy, tf.transpose(w as T2)),
      weightGrad(x as T2, dy),
      tf.reshape(tf.matMul(tf.ones([1, dy.shape[0]]), dy), [dy.shape[1]]),
    ],
  };
});

/** x [n, in] @ w [in, out] (+ b [out]), with a backward pass of explicit transposes and plain matMuls. */
export function linear(x: T2, w: T2, b?: tf.Tensor1D): T2 {
  return b ? matMul2dBias(x, w, b) : matMul2d(x, w);
}

/** The same product with tfjs's own ops and gradients: the reference the fast one is tested against. */
export function linearReference(x: T2, w: T2, b?: tf.Tensor1D): T2 {
  const y = tf.matMul(x, w) as T2;
  return b ? (tf.add(y, b) as T2) : y;
}

const layerNormCore = custom((x: T2, save: Save) => {
  const d = x.shape[1];
  const mean = tf.mean(x, 1, true);
  const centred = tf.sub(x, mean);
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), 1, true), 1e-6));
  const xhat = tf.mul(centred, rstd);
  save([xhat, rstd]);
  return {
    value: xhat as T2,
    gradFunc: (dy: T2, [xh, r]: tf.Tensor[]) => {
      // dx = rstd * (dy - mean(dy) - xhat * mean(dy * xhat))
      const meanDy = tf.mean(dy, 1, true);
      const meanDyX = tf.div(tf.sum(tf.mul(dy, xh!), 1, true), d);
      return tf.mul(r!, tf.sub(tf.sub(dy, meanDy), tf.mul(xh!, meanDyX)));
    },
  };
});

/** Layer norm over the last axis, without affine parameters (adaLN supplies scale and shift). */
export function layerNorm<R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor<R> {
  const d = x.shape[x.rank - 1]!;
  return tf.reshape(layerNormCore(tf.reshape(x, [-1, d]) as T2), x.shape) as tf.Tensor<R>;
}

/**
 * adaLN modulation of a layer norm: LN(x) * (1 + scale) + shift per clip, in one op with a hand-written
 * backward (the composite took ~20 kernels per call).
 * x: [batch * tokens, width]; shift, scale: [batch, width].
 */
export function adaLN(x: T2, shift: T2, scale: T2): T2 {
  const [rows, w] = x.shape;
  const b = shift.shape[0];
  const n = rows / b;
  return adaLNCore(x, shift, scale, b, n, w);
}
function adaLNCore(x: T2, shift: T2, scale: T2, b: number, n: number, w: number): T2 {
  const f = custom((x0: T2, sh: T2, sc: T2, save: Save) => {
    const x3 = tf.reshape(x0, [b, n, w]);
    const centred = tf.sub(x3, tf.mean(x3, 2, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), 2, true), 1e-6));
    const xhat = tf.mul(centred, rstd);
    const gain = tf.add(tf.reshape(sc, [b, 1, w]), 1);
    save([xhat, rstd, gain]);
    return {
      value: tf.reshape(tf.add(tf.mul(xhat, gain), tf.reshape(sh, [b, 1, w])), [b * n, w]) as T2,
      gradFunc: (dy: T2, [xh, r, g]: tf.Tensor[]) => {
        const d3 = tf.reshape(dy, [b, n, w]);
        const dxhat = tf.mul(d3, g!);
        const dx = tf.mul(r!, tf.sub(tf.sub(dxhat, tf.mean(dxhat, 2, true)), tf.mul(xh!, tf.mean(tf.mul(dxhat, xh!), 2, true))));
        return [tf.reshape(dx, [b * n, w]), tf.sum(d3, 1), tf.sum(tf.mul(d3, xh!), 1)];
      },
    };
  });
  return f(x, shift, scale);
}

/** The residual update x + gate * y with a per-clip gate [batch, width]; x, y: [batch * tokens, width]. */
export function gatedResidual(x: T2, gate: T2, y: T2): T2 {
  const [rows, w] = x.shape;
  const b = gate.shape[0];
  const n = rows / b;
  const f = custom((x0: T2, g0: T2, y0: T2, save: Save) => {
    const g3 = tf.reshape(g0, [b, 1, w]);
    save([g3, y0]);
    return {
      value: tf.reshape(tf.add(tf.reshape(x0, [b, n, w]), tf.mul(tf.reshape(y0, [b, n, w]), g3)), [rows, w]) as T2,
      gradFunc: (dy: T2, [gg, yy]: tf.Tensor[]) => {
        const d3 = tf.reshape(dy, [b, n, w]);
        return [tf.reshape(dy, [rows, w]), tf.sum(tf.mul(d3, tf.reshape(yy!, [b, n, w])), 1), tf.reshape(tf.mul(d3, gg!), [rows, w])];
      },
    };
  });
  return f(x, gate, y);
}

const siluCore = custom((x: tf.Tensor, save: Save) => {
  const s = tf.sigmoid(x);
  save([x, s]);
  return {
    value: tf.mul(x, s),
    // d/dx x*s(x) = s * (1 + x * (1 - s))
    gradFunc: (dy: tf.Tensor, [xx, ss]: tf.Tensor[]) => tf.mul(dy, tf.mul(ss!, tf.add(1, tf.mul(xx!, tf.sub(1, ss!))))),
  };
});

/** x * sigmoid(x). */
export function silu<R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor<R> {
  return siluCore(x) as tf.Tensor<R>;
}

const GELU_C = Math.sqrt(2 / Math.PI);

const geluCore = custom((x: tf.Tensor, save: Save) => {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), GELU_C);
  const th = tf.tanh(inner);
  save([x, th]);
  return {
    value: tf.mul(tf.mul(x, 0.5), tf.add(th, 1)),
    // 0.5 (1 + th) + 0.5 x (1 - th^2) c (1 + 3 * 0.044715 x^2)
    gradFunc: (dy: tf.Tensor, [xx, tt]: tf.Tensor[]) => {
      const dInner = tf.mul(tf.add(tf.mul(tf.square(xx!), 3 * 0.044715), 1), GELU_C);
      const g = tf.add(tf.mul(tf.add(tt!, 1), 0.5), tf.mul(tf.mul(tf.mul(xx!, 0.5), tf.sub(1, tf.square(tt!))), dInner));
      return tf.mul(dy, g);
    },
  };
});

/** GELU, tanh approximation. */
export function gelu<R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor<R> {
  return geluCore(x) as tf.Tensor<R>;
}

// ---- attention ----

/** Rotary tables in head layout, for `attention`: see ropeTables. */
export interface RopeTables {
  /** [1, heads, tokens, headDim] each; q's tables carry 1/sqrt(headDim). */
  cosQ: tf.Tensor4D;
  sinQ: tf.Tensor4D;
  cosK: tf.Tensor4D;
  sinK: tf.Tensor4D;
  /** [2 * width, 2 * width]: signed permutation that maps q|k to their rotation partners. */
  swap: T2;
}

/**
 * Rotary tables from per-token, per-pair angles [tokens][headDim / 2] (the same for every head).
 * In every head, channel r < d/2 pairs with r + d/2 and the pair turns by angle[r]:
 *   y_r = x_r cos - x_{r+d/2} sin,   y_{r+d/2} = x_{r+d/2} cos + x_r sin.
 */
export function ropeTables(angles: number[][], heads: number): RopeTables {
  const tokens = angles.length;
  const half = angles[0]!.length;
  const d = 2 * half;
  const scale = 1 / Math.sqrt(d);
  const table = (fn: (a: number) => number, s: number) => {
    const t = new Float32Array(heads * tokens * d);
    for (let h = 0; h < heads; h++) for (let n = 0; n < tokens; n++) for (let r = 0; r < d; r++) t[(h * tokens + n) * d + r] = s * fn(angles[n]![r % half]!);
    return tf.keep(tf.tensor4d(t, [1, heads, tokens, d]));
  };
  const w2 = 2 * heads * d;
  const swap = new Float32Array(w2 * w2);
  for (let c = 0; c < w2; c++) {
    const r = c % d;
    const partner = r < half ? c + half : c - half;
    swap[partner * w2 + c] = r < half ? -1 : 1;
  }
  return {
    cosQ: table(Math.cos, scale),
    sinQ: table(Math.sin, scale),
    cosK: table(Math.cos, 1),
    sinK: table(Math.sin, 1),
    swap: tf.keep(tf.tensor2d(swap, [w2, w2])),
  };
}

/**
 * The projection weights for `attention` with rotary embeddings: [W_q | W_k | W_v | (W_q | W_k) swap]
 * (and the same for the bias), so that one matMul gives q, k, v and the rotation partners of q and k.
 * Only small weight-sized products here; gradients flow back to w and b.
 */
export function withRotaryPartners(w: T2, b: tf.Tensor1D, swap: T2): { w: T2; b: tf.Tensor1D } {
  const [fanIn, w3] = w.shape;
  const w2 = (2 * w3) / 3;
  const wq = tf.slice(w, [0, 0], [fanIn, w2]) as T2;
  const bq = tf.reshape(tf.slice(b, [0], [w2]), [1, w2]) as T2;
  return {
    w: tf.concat([w, linear(wq, swap)], 1) as T2,
    b: tf.reshape(tf.concat([tf.reshape(b, [1, w3]), linear(bq, swap)], 1), [w3 + w2]) as tf.Tensor1D,
  };
}

/** [b, n, k*h, d] (as [b*n, k*h*d]) -> [b, k*h, n, d] */
function headsOf(x: tf.Tensor, b: number, n: number, heads: number, d: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [b, n, heads, d]), [0, 2, 1, 3]);
}
/** [b, k*h, n, d] -> [b*n, k*h*d] */
function rowsOf(x: tf.Tensor4D): T2 {
  const [b, heads, n, d] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b * n, heads * d]);
}
const swap12 = (x: tf.Tensor3D): tf.Tensor3D => tf.transpose(x, [0, 2, 1]);

const attentionCores = new Map<string, (x: T2, w: T2, bias: tf.Tensor1D) => T2>();

function attentionCore(b: number, n: number, h: number, d: number, rope?: RopeTables): (x: T2, w: T2, bias: tf.Tensor1D) => T2 {
  const key = `${b},${n},${h},${d}`;
  let core = rope ? undefined : attentionCores.get(key);
  if (core) return core;
  const scale = 1 / Math.sqrt(d);
  const width = h * d;
  core = custom((x: T2, w: T2, bias: tf.Tensor1D, save: Save) => {
    // One product per column block of the weight (q, k, v[, partners of q and k]): slicing the small
    // weight is cheap, slicing the [rows, 5 * width] projection is not (wasm copies the whole input
    // for every slice).
    const fanIn = w.shape[0];
    const part = (i: number): tf.Tensor4D => {
      const wi = tf.slice(w, [0, i * width], [fanIn, width]) as T2;
      const bi = tf.slice(bias, [i * width], [width]);
      return headsOf(tf.fused.matMul({ a: x, b: wi, bias: bi }), b, n, h, d); // [b, h, n, d]
    };
    const flat = (t: tf.Tensor) => tf.reshape(t, [b * h, n, d]) as tf.Tensor3D;
    let q: tf.Tensor3D;
    let k: tf.Tensor3D;
    if (rope) {
      // q's tables carry the 1/sqrt(d) scale
      q = flat(tf.add(tf.mul(part(0), rope.cosQ), tf.mul(part(3), rope.sinQ)));
      k = flat(tf.add(tf.mul(part(1), rope.cosK), tf.mul(part(4), rope.sinK)));
    } else {
      q = flat(tf.mul(part(0), scale));
      k = flat(part(1));
    }
    const v = flat(part(2));
    const p = tf.softmax(tf.matMul(q, swap12(k))); // [b*h, n, n]
    const o = tf.matMul(p, v);
    save([x, w, q, k, v, p]);
    return {
      value: rowsOf(tf.reshape(o, [b, h, n, d])),
      gradFunc: (dy: T2, saved: tf.Tensor[]) => {
        const [x2, w2, q2, k2, v2, p2] = saved as [T2, T2, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        const dO = tf.reshape(headsOf(dy, b, n, h, d), [b * h, n, d]) as tf.Tensor3D;
        const dP = tf.matMul(dO, swap12(v2));
        const dS = tf.mul(p2, tf.sub(dP, tf.sum(tf.mul(dP, p2), -1, true))) as tf.Tensor3D;
        const dQ = tf.matMul(dS, k2); // [b*h, n, d]
        const dK = swap12(tf.matMul(swap12(q2), dS)); // (Q^T dS)^T: never a transpose of an [n, n] matrix
        const dV = swap12(tf.matMul(swap12(dO), p2)); // (dO^T P)^T
        const as4 = (t: tf.Tensor) => tf.reshape(t, [b, h, n, d]);
        const [dq, dk, dv] = [as4(dQ), as4(dK), as4(dV)];
        const parts = rope
          ? [tf.mul(dq, rope.cosQ), tf.mul(dk, rope.cosK), dv, tf.mul(dq, rope.sinQ), tf.mul(dk, rope.sinK)]
          : [tf.mul(dq, scale), dk, dv];
        const dAll = rowsOf(tf.concat(parts, 1) as tf.Tensor4D); // [rows, 3 or 5 width], the projection's gradient
        return [tf.matMul(dAll, tf.transpose(w2)), weightGrad(x2, dAll), tf.reshape(tf.matMul(tf.ones([1, dAll.shape[0]]), dAll), [dAll.shape[1]])];
      },
    };
  });
  if (!rope) attentionCores.set(key, core);
  return core;
}

/**
 * Multi-head softmax attention of every token to every token of its clip, with its input projection:
 * x [batch * tokens, in] @ w [in, 3 * width] + b = [q | k | v], each head's channels contiguous. With
 * rotary tables, w is [in, 5 * width] = [q | k | v | partners of q | partners of k] (see
 * withRotaryPartners). Returns [batch * tokens, width], before the output projection.
 *
 * Heads go into the batch of 3-D matMuls (the fastest of the layouts measured, see the top of this
 * file); the custom gradient assembles d(projection) with one concatenation and never transposes an
 * attention matrix.
 */
export function attention(x: T2, w: T2, b: tf.Tensor1D, batch: number, tokens: number, heads: number, rope?: RopeTables): T2 {
  const parts = rope ? 5 : 3;
  const width = w.shape[1] / parts;
  if (!Number.isInteger(width) || width % heads !== 0) throw new Error(`attention: ${w.shape[1]} columns do not split into ${parts} x ${heads} heads`);
  if (x.shape[0] !== batch * tokens) throw new Error(`attention: ${x.shape[0]} rows for ${batch} x ${tokens} tokens`);
  if (rope && (rope.cosQ.shape[1] !== heads || rope.cosQ.shape[2] !== tokens || rope.cosQ.shape[3] !== width / heads))
    throw new Error(`attention: rotary tables [${rope.cosQ.shape}] do not fit ${heads} heads x ${tokens} tokens`);
  return attentionCore(batch, tokens, heads, width / heads, rope)(x, w, b);
}

/** The same attention from plain tfjs ops and their registered gradients (a reference for tests). */
export function attentionReference(x: T2, w: T2, b: tf.Tensor1D, batch: number, tokens: number, heads: number, rope?: RopeTables): T2 {
  const parts = rope ? 5 : 3;
  const width = w.shape[1] / parts;
  const qkv = tf.add(tf.matMul(x, w), b);
  const d = width / heads;
  const cols = (i: number) => tf.slice(qkv, [0, i * width], [batch * tokens, width]);
  const toHeads = (x: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(x, [batch, tokens, heads, d]), [0, 2, 1, 3]), [batch * heads, tokens, d]);
  let q = toHeads(cols(0));
  let k = toHeads(cols(1));
  const v = toHeads(cols(2));
  if (rope) {
    const table = (t: tf.Tensor4D) => tf.reshape(tf.tile(t, [batch, 1, 1, 1]), [batch * heads, tokens, d]);
    q = tf.add(tf.mul(q, table(rope.cosQ)), tf.mul(toHeads(cols(3)), table(rope.sinQ)));
    k = tf.add(tf.mul(k, table(rope.cosK)), tf.mul(toHeads(cols(4)), table(rope.sinK)));
  } else {
    q = tf.mul(q, 1 / Math.sqrt(d));
  }
  const o = tf.matMul(tf.softmax(tf.matMul(q, k, false, true)), v);
  return tf.reshape(tf.transpose(tf.reshape(o, [batch, heads, tokens, d]), [0, 2, 1, 3]), [batch * tokens, width]);
}
