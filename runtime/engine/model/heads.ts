// Discriminator heads: small trainable networks that read hidden states tapped from a backbone (the
// EMA generator for V-PAE, the teacher, a copy of it, or the fake score) and give one logit per clip.
//
//   conv:            a per-token MLP (a 1x1 convolution) on every tapped feature, averaged to one logit
//   cross_attention: learnable queries cross-attend into the tapped tokens of all taps
//   semantic:        V-PAE's head: the queries are joined by an embedding of the first-frame image and of
//                    the prompt, mixed by self-attention, then cross-attend into the tapped tokens
import type { Head } from "../../../compiler/plan/schema.js";
import { tf } from "../tf.js";
import { initParamSet, type Init } from "./dit.js";
import { layerNorm, linear, silu } from "./ops.js";
import type { ParamSet } from "./types.js";

export interface HeadShape {
  head: Head;
  /** Width of the backbone's hidden states. */
  width: number;
  /** Number of tapped layers. */
  taps: number;
  /** Pixels x channels of the condition image (semantic head). */
  imageSize: number;
  /** Prompt classes; index promptClasses is the null prompt. */
  promptClasses: number;
}

type Spec = { name: string; shape: number[]; std: number | "zeros" };

function specs(s: HeadShape): Spec[] {
  const h = s.head;
  const hw = h.width;
  const out: Spec[] = [];
  const lin = (name: string, i: number, o: number, std = 1 / Math.sqrt(i)) => {
    out.push({ name: `${name}.w`, shape: [i, o], std }, { name: `${name}.b`, shape: [o], std: "zeros" });
  };
  for (let t = 0; t < s.taps; t++) lin(`tap${t}`, s.width, hw);
  if (h.kind === "conv") {
    lin("mlp", hw, hw);
  } else {
    out.push({ name: "queries", shape: [h.queries, hw], std: 1 });
    if (h.kind === "semantic") {
      if (h.image) lin("image", s.imageSize, hw);
      if (h.prompt) out.push({ name: "prompt", shape: [s.promptClasses + 1, hw], std: 1 });
      for (const p of ["q", "k", "v", "o"]) lin(`self.${p}`, hw, hw);
    }
    for (const p of ["q", "k", "v", "o"]) lin(`cross.${p}`, hw, hw);
    lin("mlp", hw, hw);
  }
  lin("out", hw, 1);
  return out;
}

/** Trainable head parameters, deterministic from the seed. */
export function initHeadParams(s: HeadShape, seed: number): ParamSet {
  const init = (std: Spec["std"]): Init => (std === "zeros" ? { kind: "zeros" } : { kind: "normal", std });
  return initParamSet(
    specs(s).map((spec) => ({ name: spec.name, shape: spec.shape, init: init(spec.std) })),
    seed,
    "head",
  );
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

/**
 * One logit per clip, [B]. `features`: the tapped hidden states, [B, tokens, width] each; `image`:
 * the condition frame [B, H, W, C]; `prompt`: int32 [B].
 */
export function applyHead(params: ParamSet, s: HeadShape, features: tf.Tensor3D[], image: tf.Tensor4D, prompt: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const P = (name: string) => {
      const v = params.get(name);
      if (!v) throw new Error(`discriminator head parameter ${name} is missing`);
      return v;
    };
    const L = (x: tf.Tensor2D, name: string) => linear(x, P(`${name}.w`) as tf.Tensor2D, P(`${name}.b`) as tf.Tensor1D);
    const h = s.head;
    const hw = h.width;
    if (features.length !== s.taps) throw new Error(`the head expects ${s.taps} tapped layers, got ${features.length}`);
    const b = features[0]!.shape[0];
    // Project every tap to the head width and put all their tokens in one sequence: [B, taps*tokens, hw].
    const projected = features.map((f, t) => tf.reshape(L(tf.reshape(f, [-1, s.width]) as tf.Tensor2D, `tap${t}`), [b, f.shape[1], hw]));
    const tokens = layerNorm(tf.concat(projected, 1) as tf.Tensor3D);
    const n = tokens.shape[1];
    let pooled: tf.Tensor2D; // [B, hw]
    if (h.kind === "conv") {
      const x = silu(L(tf.reshape(tokens, [-1, hw]) as tf.Tensor2D, "mlp"));
      pooled = tf.mean(tf.reshape(x, [b, n, hw]), 1) as tf.Tensor2D;
    } else {
      let q = tf.tile(tf.expandDims(P("queries"), 0), [b, 1, 1]) as tf.Tensor3D; // [B, Q, hw]
      if (h.kind === "semantic") {
        const extra: tf.Tensor3D[] = [];
        if (h.image) extra.push(tf.expandDims(L(tf.reshape(image, [b, -1]) as tf.Tensor2D, "image"), 1) as tf.Tensor3D);
        if (h.prompt) extra.push(tf.expandDims(tf.gather(P("prompt"), tf.cast(prompt, "int32")), 1) as tf.Tensor3D);
        const seq = layerNorm(tf.concat([q, ...extra], 1) as tf.Tensor3D);
        const m = seq.shape[1];
        const flat = tf.reshape(seq, [-1, hw]) as tf.Tensor2D;
        const proj = (p: string) => tf.reshape(L(flat, `self.${p}`), [b, m, hw]) as tf.Tensor3D;
        const mixed = multiHead(proj("q"), proj("k"), proj("v"), h.heads);
        const out = tf.add(seq, tf.reshape(L(tf.reshape(mixed, [-1, hw]) as tf.Tensor2D, "self.o"), [b, m, hw])) as tf.Tensor3D;
        q = tf.slice(out, [0, 0, 0], [b, h.queries, hw]); // the queries, now aware of the image and the prompt
      }
      const nq = q.shape[1];
      const qp = tf.reshape(L(tf.reshape(layerNorm(q), [-1, hw]) as tf.Tensor2D, "cross.q"), [b, nq, hw]) as tf.Tensor3D;
      const flatT = tf.reshape(tokens, [-1, hw]) as tf.Tensor2D;
      const kp = tf.reshape(L(flatT, "cross.k"), [b, n, hw]) as tf.Tensor3D;
      const vp = tf.reshape(L(flatT, "cross.v"), [b, n, hw]) as tf.Tensor3D;
      const attended = multiHead(qp, kp, vp, h.heads);
      const x = tf.add(q, tf.reshape(L(tf.reshape(attended, [-1, hw]) as tf.Tensor2D, "cross.o"), [b, nq, hw]));
      const y = tf.add(x, tf.reshape(silu(L(tf.reshape(layerNorm(x), [-1, hw]) as tf.Tensor2D, "mlp")), [b, nq, hw]));
      pooled = tf.mean(y, 1) as tf.Tensor2D;
    }
    return tf.reshape(L(pooled, "out"), [b]) as tf.Tensor1D;
  });
}
