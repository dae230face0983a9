// Discriminator heads: small trainable networks that read hidden states tapped from a backbone (the
// EMA generator for V-PAE, the teacher, a copy of it, or the fake score) and give one logit per clip.
//
//   conv:            a per-token MLP (a 1x1 convolution) on every tapped feature, averaged to one logit
//   cross_attention: learnable queries cross-attend into the tapped tokens of all taps
//   semantic:        V-PAE's head: the queries are joined by an embedding of the first-frame image and of
//                    the prompt, mixed by self-attention, then cross-attend into the tapped tokens
import type { Head } from "../../../compiler/plan/schema.js";
import { tf } from "../tf.js";
import { headParams, type HeadDims } from "../../../compiler/plan/heads.js";
import { initParamSet, withInits } from "./dit.js";
import { layerNorm, linear, silu } from "./ops.js";
import type { ParamSet } from "./types.js";

/** What a head's parameters and inputs depend on (the one spec: compiler/plan/heads.ts). */
export type HeadShape = HeadDims;

/** Trainable head parameters, deterministic from the seed. */
export function initHeadParams(s: HeadShape, seed: number): ParamSet {
  return initParamSet(withInits(headParams(s)), seed, "head");
}

/** Multi-head attention of queries [B, Q, d] to keys/values [B, K, d]; returns [B, Q, d]. */
function multiHead(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [b, nq, d] = q.shape;
  const nk = k.shape[1];
  const dh = d / heads;
  const split = (x: tf.Tensor3D, n: number) => tf.reshape(tf.transpose(tf.reshape(x, [b, n, heads, dh]), [0, 2, 1, 3]), [b * heads, n, dh]) as tf.Tensor3D;
  const qh = split(q, nq);
  const kh = split(k, nk);
  const vh = split(v, nk);
  const scores = tf.softmax(tf.mul(tf.matMul(qh, kh, false, true), 1 / Math.sqrt(dh)));
  const o = tf.matMul(scores, vh) as tf.Tensor3D; // [b*heads, nq, dh]
  return tf.reshape(tf.transpose(tf.reshape(o, [b, heads, nq, dh]), [0, 2, 1, 3]), [b, nq, d]) as tf.Tensor3D;
}

/** What a head kind's pooling reads: the tap tokens, the condition, and the head's layers. */
interface PoolInput {
  /** All tapped tokens projected to the head width and normalised, [B, n, hw]. */
  tokens: tf.Tensor3D;
  image: tf.Tensor4D;
  prompt: tf.Tensor1D;
  param: (name: string) => tf.Variable;
  layer: (x: tf.Tensor2D, name: string) => tf.Tensor2D;
}

type Pool<K extends Head["kind"]> = (head: Extract<Head, { kind: K }>, x: PoolInput) => tf.Tensor2D;

/** Each head kind pools the tokens to one [B, hw] vector; a kind missing here is a type error. */
const POOL: { [K in Head["kind"]]: Pool<K> } = {
  // A per-token MLP (a 1x1 convolution), averaged over all tokens.
  conv: (_head, x) => {
    const [b, n, hw] = x.tokens.shape;
    const y = silu(x.layer(tf.reshape(x.tokens, [-1, hw]) as tf.Tensor2D, "mlp"));
    return tf.mean(tf.reshape(y, [b, n, hw]), 1) as tf.Tensor2D;
  },
  // Learnable queries cross-attend into the tokens.
  cross_attention: (head, x) => attendQueries(head, learnedQueries(x), x),
  // The queries are first mixed by self-attention with an embedding of the first-frame image and of the prompt.
  semantic: (head, x) => {
    const q = learnedQueries(x);
    const [b, , hw] = q.shape;
    const extra: tf.Tensor3D[] = [];
    if (head.image) extra.push(tf.expandDims(x.layer(tf.reshape(x.image, [b, -1]) as tf.Tensor2D, "image"), 1) as tf.Tensor3D);
    if (head.prompt) extra.push(tf.expandDims(tf.gather(x.param("prompt"), tf.cast(x.prompt, "int32")), 1) as tf.Tensor3D);
    const seq = layerNorm(tf.concat([q, ...extra], 1) as tf.Tensor3D);
    const m = seq.shape[1];
    const flat = tf.reshape(seq, [-1, hw]) as tf.Tensor2D;
    const proj = (p: string) => tf.reshape(x.layer(flat, `self.${p}`), [b, m, hw]) as tf.Tensor3D;
    const mixed = multiHead(proj("q"), proj("k"), proj("v"), head.heads);
    const out = tf.add(seq, tf.reshape(x.layer(tf.reshape(mixed, [-1, hw]) as tf.Tensor2D, "self.o"), [b, m, hw])) as tf.Tensor3D;
    return attendQueries(head, tf.slice(out, [0, 0, 0], [b, head.queries, hw]), x); // the queries, now aware of the image and the prompt
  },
};

/** The learnable queries repeated for the batch, [B, Q, hw]. */
function learnedQueries(x: PoolInput): tf.Tensor3D {
  return tf.tile(tf.expandDims(x.param("queries"), 0), [x.tokens.shape[0], 1, 1]) as tf.Tensor3D;
}

/** Queries [B, Q, hw] cross-attend into the tokens, then a residual MLP; averaged over the queries. */
function attendQueries(head: { heads: number }, q: tf.Tensor3D, x: PoolInput): tf.Tensor2D {
  const [b, n, hw] = x.tokens.shape;
  const nq = q.shape[1];
  const qp = tf.reshape(x.layer(tf.reshape(layerNorm(q), [-1, hw]) as tf.Tensor2D, "cross.q"), [b, nq, hw]) as tf.Tensor3D;
  const flatT = tf.reshape(x.tokens, [-1, hw]) as tf.Tensor2D;
  const kp = tf.reshape(x.layer(flatT, "cross.k"), [b, n, hw]) as tf.Tensor3D;
  const vp = tf.reshape(x.layer(flatT, "cross.v"), [b, n, hw]) as tf.Tensor3D;
  const attended = multiHead(qp, kp, vp, head.heads);
  const y = tf.add(q, tf.reshape(x.layer(tf.reshape(attended, [-1, hw]) as tf.Tensor2D, "cross.o"), [b, nq, hw]));
  const z = tf.add(y, tf.reshape(silu(x.layer(tf.reshape(layerNorm(y), [-1, hw]) as tf.Tensor2D, "mlp")), [b, nq, hw]));
  return tf.mean(z, 1) as tf.Tensor2D;
}

/**
 * One logit per clip, [B]. `features`: the tapped hidden states, [B, tokens, width] each; `image`:
 * the condition frame [B, H, W, C]; `prompt`: int32 [B].
 */
export function applyHead(params: ParamSet, s: HeadShape, features: tf.Tensor3D[], image: tf.Tensor4D, prompt: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const param = (name: string) => {
      const v = params.get(name);
      if (!v) throw new Error(`discriminator head parameter ${name} is missing`);
      return v;
    };
    const layer = (x: tf.Tensor2D, name: string) => linear(x, param(`${name}.w`) as tf.Tensor2D, param(`${name}.b`) as tf.Tensor1D);
    const hw = s.head.width;
    if (features.length !== s.taps) throw new Error(`the head expects ${s.taps} tapped layers, got ${features.length}`);
    const b = features[0]!.shape[0];
    // Project every tap to the head width and put all their tokens in one sequence: [B, taps*tokens, hw].
    const projected = features.map((f, t) => tf.reshape(layer(tf.reshape(f, [-1, s.width]) as tf.Tensor2D, `tap${t}`), [b, f.shape[1], hw]));
    const tokens = layerNorm(tf.concat(projected, 1) as tf.Tensor3D);
    const pool = POOL[s.head.kind] as Pool<Head["kind"]>;
    const pooled = pool(s.head as never, { tokens, image, prompt, param, layer });
    return tf.reshape(layer(pooled, "out"), [b]) as tf.Tensor1D;
  });
}
