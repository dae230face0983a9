// A small image-to-video diffusion transformer (DiT) for the toy worlds.
//
// Input: the noisy clip x_t [B, F, H, W, C], the time t, the condition frame and the prompt class.
//   channels   noisy video (C) + condition image broadcast to every frame (C) + a mask channel that is
//              1 on frame 0 where the image is given (Wan2.1-I2V's layout); imageMask 0 zeroes both
//   patches    1 token per patch of arch.patch (frames x height x width); reshapes and rank-4 transposes
//              (no conv: wasm lacks the conv filter gradient), then one linear layer
//   position   rope3d: rotary angles on q and k from the token's (frame, row, column);
//              sincos: a fixed 3-D sin-cos table added to the tokens; learned: a table initialised to it
//   prompt     two paths: (1) a per-(prompt, token frame) table (std 1) added to every token of that
//              frame; (2) a prompt table (std 1) added to the time embedding, which drives adaLN.
//              (In the probes run when the project started, a net that saw the prompt only through
//              adaLN learned to ignore it.)
//   time       sinusoid of 1000 t (256 dims) -> linear -> SiLU -> linear
//   blocks     pre-LN self-attention over all tokens + MLP (SiLU), each branch modulated (shift, scale)
//              and gated by adaLN-Zero: per block SiLU(cond) -> linear to 6 vectors, zero-initialised
//   output     final adaLN (shift, scale) + a zero-initialised linear layer to patch pixels, unpatchified
//              to [B, F, H, W, C]: x0 or velocity as arch.prediction says.
//
// Dit.apply is a pure function of the parameters it is given: the same instance runs the student,
// its EMA copy or the teacher, and tf.grads / tf.variableGrads can differentiate any subset.
import { tf } from "../tf.js";
import { Rng } from "../rng.js";
import type { DitInput, DitOutput, DitShape, LoraAdapter, ParamSet } from "./types.js";
import { adaLN, attention, gatedResidual, linear, ropeTables, silu, withRotaryPartners, type RopeTables } from "./ops.js";
import { archGaps } from "../../../compiler/plan/support.js";
import { TIME_DIM, ditGeometry as specGeometry, ditParams, loraParams, type DitGeometry, type ParamSpec } from "../../../compiler/plan/networks.js";

/** Base of the rotary and sin-cos frequencies (rather than 10 000: the grids here are a few tokens wide). */
const FREQ_BASE = 100;

type T2 = tf.Tensor2D;

export type { DitGeometry };

/** The geometry of a DiT the runtime can build; throws with every reason it cannot. */
export function ditGeometry(shape: DitShape): DitGeometry {
  const a = shape.arch;
  const { frames: pf, height: ph, width: pw } = a.patch;
  const problems: string[] = [];
  if (shape.frames % pf) problems.push(`frames ${shape.frames} not divisible by patch frames ${pf}`);
  if (shape.height % ph) problems.push(`height ${shape.height} not divisible by patch height ${ph}`);
  if (shape.width % pw) problems.push(`width ${shape.width} not divisible by patch width ${pw}`);
  if (a.width % a.heads) problems.push(`width ${a.width} not divisible by ${a.heads} heads`);
  problems.push(...archGaps(a).map((g) => g.reason));
  if (shape.promptClasses < 1) problems.push("promptClasses must be >= 1");
  if (problems.length) throw new Error(`DiT: ${problems.join("; ")}`);
  return specGeometry(shape);
}

// ---- parameters ----

export type Init = { kind: "zeros" } | { kind: "normal"; std: number } | { kind: "table"; values: Float32Array };

/** Specs with the runtime's initialisers: the sin-cos table (learned positions) is computed from the DiT's geometry. */
export function withInits(specs: readonly ParamSpec[], geometry?: DitGeometry): { name: string; shape: number[]; init: Init }[] {
  return specs.map((spec) => {
    if (spec.init.kind !== "sincos") return { name: spec.name, shape: [...spec.shape], init: spec.init };
    if (!geometry) throw new Error(`parameter ${spec.name} starts from the sin-cos table, which needs the DiT's geometry`);
    return { name: spec.name, shape: [...spec.shape], init: { kind: "table", values: sincosTable(geometry) } };
  });
}

/** A variable holding t's data; t itself is disposed (the variable keeps its own reference). */
function toVariable(t: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

/** Fresh trainable parameters, a deterministic function of (shape, seed): each has its own random stream. */
export function initParams(shape: DitShape, seed: number): ParamSet {
  return initParamSet(withInits(ditParams(shape), ditGeometry(shape)), seed, "dit");
}

/**
 * Trainable variables from specs, a deterministic function of the seed: each normal-initialised
 * parameter draws from its own stream, `<stream>:<name>` (or the name `stream` gives it), so adding a
 * parameter changes no other.
 */
export function initParamSet(specs: readonly { name: string; shape: number[]; init: Init }[], seed: number, stream: string | ((name: string) => string)): ParamSet {
  const streamOf = typeof stream === "string" ? (name: string) => `${stream}:${name}` : stream;
  const params: ParamSet = new Map();
  for (const spec of specs) {
    const size = spec.shape.reduce((p, d) => p * d, 1);
    let values: Float32Array;
    if (spec.init.kind === "zeros") values = new Float32Array(size);
    else if (spec.init.kind === "table") values = spec.init.values;
    else {
      values = new Rng(seed, streamOf(spec.name)).normals(size);
      const std = spec.init.std;
      for (let i = 0; i < size; i++) values[i]! *= std;
    }
    params.set(spec.name, toVariable(tf.tensor(values, spec.shape, "float32"), true));
  }
  return params;
}

/** A copy with its own variables (EMA weights, a frozen teacher: trainable false). */
export function cloneParams(p: ParamSet, opts: { trainable: boolean }): ParamSet {
  const out: ParamSet = new Map();
  for (const [name, v] of p) out.set(name, toVariable(tf.clone(v), opts.trainable));
  return out;
}

/** Disposes every variable of the set. */
export function disposeParams(p: ParamSet): void {
  for (const v of p.values()) v.dispose();
  p.clear();
}

/** ema <- decay * ema + (1 - decay) * params, in place, for every name of ema. */
export function emaUpdate(ema: ParamSet, params: ParamSet, decay: number): void {
  tf.tidy(() => {
    for (const [name, e] of ema) {
      const p = params.get(name);
      if (!p) throw new Error(`emaUpdate: parameter ${name} is missing from the source set`);
      e.assign(tf.add(tf.mul(e, decay), tf.mul(p, 1 - decay)));
    }
  });
}

export function parameterCount(p: ParamSet): number {
  let n = 0;
  for (const v of p.values()) n += v.size;
  return n;
}

/**
 * A LoRA adapter on every attention and MLP linear layer: W x + scale * B(A x) with scale = alpha / rank.
 * A [in, rank] is random (std 1/sqrt(in)), B [rank, out] is zero, so the adapter starts as the identity.
 */
export function createLora(shape: DitShape, rank: number, alpha: number, seed: number): LoraAdapter {
  if (!(rank >= 1)) throw new Error(`createLora: rank must be >= 1 (have ${rank})`);
  const layers: LoraAdapter["layers"] = new Map();
  // Each A draws from its own stream, named after the weight it adapts (B starts at zero).
  const set = initParamSet(withInits(loraParams(ditParams(shape), rank)), seed, (name) => `lora:${name.replace(/\.lora_[ab]$/, "")}`);
  for (const [name, a] of set) {
    if (!name.endsWith(".lora_a")) continue;
    const target = name.slice(0, -".lora_a".length);
    layers.set(target, { a, b: set.get(`${target}.lora_b`)! });
  }
  return { layers, scale: alpha / rank };
}

export function disposeLora(lora: LoraAdapter): void {
  for (const { a, b } of lora.layers.values()) {
    a.dispose();
    b.dispose();
  }
  lora.layers.clear();
}

// ---- fixed tables ----

/** Frequencies of one axis: base^(-k/n), k = 0..n-1. */
function freqs(n: number): number[] {
  return Array.from({ length: n }, (_, k) => Math.pow(FREQ_BASE, -k / n));
}

/** Token coordinates in token order (frame-major, then row, then column). */
function coords(g: DitGeometry): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let f = 0; f < g.gridF; f++) for (let h = 0; h < g.gridH; h++) for (let w = 0; w < g.gridW; w++) out.push([f, h, w]);
  return out;
}

/** Split of `total` channels (or pairs) between the frame, row and column axes (frames get the rest). */
function axisSplit(total: number, unit: number): [number, number, number] {
  const spatial = unit * Math.floor(total / 3 / unit);
  return [total - 2 * spatial, spatial, spatial];
}

/** The fixed 3-D sin-cos table [tokens, width] (each axis: sines then cosines). */
export function sincosTable(g: DitGeometry): Float32Array {
  const out = new Float32Array(g.tokens * g.width);
  const dims = axisSplit(g.width, 2);
  coords(g).forEach((c, n) => {
    let offset = 0;
    for (let axis = 0; axis < 3; axis++) {
      const fs = freqs(dims[axis]! / 2);
      fs.forEach((f, k) => {
        out[n * g.width + offset + k] = Math.sin(c[axis]! * f);
        out[n * g.width + offset + fs.length + k] = Math.cos(c[axis]! * f);
      });
      offset += dims[axis]!;
    }
  });
  return out;
}

/**
 * Rotary angles [tokens][headDim / 2]: the pairs of a head are split between frame, row and column
 * (frames get the rest), with frequencies base^(-k/n) per axis.
 */
function rotaryAngles(g: DitGeometry): number[][] {
  const pairs = axisSplit(g.headDim / 2, 1);
  const axisOf: number[] = [];
  const freqOf: number[] = [];
  pairs.forEach((n, axis) => freqs(n).forEach((f) => (axisOf.push(axis), freqOf.push(f))));
  return coords(g).map((pos) => axisOf.map((axis, j) => pos[axis]! * freqOf[j]!));
}

// ---- patches ----

/**
 * [B, F, H, W, C] -> [B * tokens, pf * ph * pw * C]: tokens in (frame, row, column) order, each
 * token's features in (patch frame, patch row, patch column, channel) order. Two rank-4 transposes.
 */
export function patchify(x: tf.Tensor5D, patch: { frames: number; height: number; width: number }): T2 {
  const [b, f, h, w, c] = x.shape;
  const { frames: pf, height: ph, width: pw } = patch;
  const gh = h / ph;
  const gw = w / pw;
  // rows: (b, f, gh, ph, gw, pw*c) -> (b, f, gh, gw, ph, pw*c)
  let y: tf.Tensor = tf.transpose(tf.reshape(x, [b * f * gh, ph, gw, pw * c]), [0, 2, 1, 3]);
  if (pf > 1) y = tf.transpose(tf.reshape(y, [b * (f / pf), pf, gh * gw, ph * pw * c]), [0, 2, 1, 3]);
  return tf.reshape(y, [b * (f / pf) * gh * gw, pf * ph * pw * c]);
}

/** The inverse of patchify. */
export function unpatchify(y: T2, batch: number, frames: number, height: number, width: number, patch: { frames: number; height: number; width: number }): tf.Tensor5D {
  const { frames: pf, height: ph, width: pw } = patch;
  const gh = height / ph;
  const gw = width / pw;
  const c = y.shape[1] / (pf * ph * pw);
  let x: tf.Tensor = y;
  if (pf > 1) x = tf.transpose(tf.reshape(x, [batch * (frames / pf), gh * gw, pf, ph * pw * c]), [0, 2, 1, 3]);
  x = tf.transpose(tf.reshape(x, [batch * frames * gh, gw, ph, pw * c]), [0, 2, 1, 3]);
  return tf.reshape(x, [batch, frames, height, width, c]);
}

// ---- the network ----

export interface ApplyOptions {
  /** Block indices (0-based) whose outputs to return, [B, tokens, width] each. */
  taps?: number[];
  lora?: LoraAdapter;
}

export class Dit {
  readonly shape: DitShape;
  readonly geometry: DitGeometry;
  private readonly consts: {
    timeFreqs: tf.Tensor2D;
    frame0: tf.Tensor2D;
    /** [1, F, 1, 1, 1] and [1, 1, H, W, 1] ones, for broadcasting the condition to every frame and pixel. */
    framesOnes: tf.Tensor;
    pixelOnes: tf.Tensor;
    sincos?: tf.Tensor2D;
    rope?: RopeTables;
  };

  constructor(shape: DitShape) {
    this.shape = shape;
    this.geometry = ditGeometry(shape);
    const g = this.geometry;
    const half = TIME_DIM / 2;
    const tf_ = new Float32Array(half).map((_, k) => 1000 * Math.exp((-Math.log(10000) * k) / half));
    const frame0 = new Float32Array(shape.frames);
    frame0[0] = 1;
    this.consts = {
      timeFreqs: tf.keep(tf.tensor2d(tf_, [1, half])),
      frame0: tf.keep(tf.tensor2d(frame0, [1, shape.frames])),
      framesOnes: tf.keep(tf.ones([1, shape.frames, 1, 1, 1])),
      pixelOnes: tf.keep(tf.ones([1, 1, shape.height, shape.width, 1])),
    };
    if (shape.arch.position === "sincos") this.consts.sincos = tf.keep(tf.tensor2d(sincosTable(g), [g.tokens, g.width]));
    if (shape.arch.position === "rope3d") this.consts.rope = ropeTables(rotaryAngles(g), g.heads);
  }

  /** Releases the fixed tables (the parameters belong to the caller). */
  dispose(): void {
    const c = this.consts;
    c.timeFreqs.dispose();
    c.frame0.dispose();
    c.framesOnes.dispose();
    c.pixelOnes.dispose();
    c.sincos?.dispose();
    if (c.rope) {
      for (const t of [c.rope.cosQ, c.rope.sinQ, c.rope.cosK, c.rope.sinK]) t.dispose();
      c.rope.swap.dispose();
    }
  }

  /** Checks that the input fits this network; returns the batch size. */
  private check(input: DitInput): number {
    const s = this.shape;
    const [b, f, h, w, c] = input.xt.shape;
    const problems: string[] = [];
    if (f !== s.frames || h !== s.height || w !== s.width || c !== s.channels)
      problems.push(`xt is [${input.xt.shape}], expected [B, ${s.frames}, ${s.height}, ${s.width}, ${s.channels}]`);
    const expect = (name: string, t: tf.Tensor, shape: number[]) => {
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) problems.push(`${name} is [${t.shape}], expected [${shape}]`);
    };
    expect("t", input.t, [b]);
    expect("image", input.image, [b, s.height, s.width, s.channels]);
    expect("imageMask", input.imageMask, [b]);
    expect("prompt", input.prompt, [b]);
    if (problems.length) throw new Error(`Dit.apply: ${problems.join("; ")}`);
    return b;
  }

  /**
   * The network's output for x_t: x0 or velocity per arch.prediction (see toX0AndVelocity).
   * Pure in `params` (and `opts.lora`): it reads them and never writes. Intermediate tensors are
   * disposed; the caller owns `out` and the taps.
   */
  apply(params: ParamSet, input: DitInput, opts: ApplyOptions = {}): DitOutput {
    const b = this.check(input);
    const s = this.shape;
    const g = this.geometry;
    const depth = s.arch.depth;
    const taps = opts.taps ?? [];
    for (const i of taps) if (!Number.isInteger(i) || i < 0 || i >= depth) throw new Error(`Dit.apply: tap ${i} is not a block index in [0, ${depth})`);
    const lora = opts.lora;
    const P = (name: string): tf.Tensor => {
      const v = params.get(name);
      if (!v) throw new Error(`Dit.apply: parameter ${name} is missing`);
      return v;
    };
    // LoRA is merged into the weight (W + scale A B: a weight-sized product) instead of adding
    // scale (x A) B per token; the result and the gradients are the same, at a fraction of the cost.
    const weight = (name: string): T2 => {
      const w = P(`${name}.w`) as T2;
      const adapter = lora?.layers.get(`${name}.w`);
      return adapter && lora ? tf.add(w, tf.mul(linear(adapter.a as T2, adapter.b as T2), lora.scale)) : w;
    };
    const lin = (name: string, x: T2): T2 => linear(x, weight(name), P(`${name}.b`) as tf.Tensor1D);
    const n = g.tokens;
    const w = g.width;
    const rows = b * n;

    return tf.tidy(() => {
      // ---- inputs to tokens ----
      const mask = tf.cast(input.imageMask, "float32");
      const image = tf.mul(input.image, tf.reshape(mask, [b, 1, 1, 1]));
      // broadcasting multiplies rather than tf.tile (Tile is ~5x slower on wasm)
      const imageFrames = tf.mul(tf.reshape(image, [b, 1, s.height, s.width, s.channels]), this.consts.framesOnes);
      const maskFrames = tf.mul(tf.reshape(tf.matMul(tf.reshape(mask, [b, 1]), this.consts.frame0), [b, s.frames, 1, 1, 1]), this.consts.pixelOnes);
      const channels = tf.concat([input.xt, imageFrames, maskFrames], 4) as tf.Tensor5D;
      let x = lin("patch", patchify(channels, s.arch.patch)); // [rows, w]

      // ---- conditioning ----
      const prompt = tf.oneHot(tf.cast(input.prompt, "int32"), s.promptClasses + 1); // [b, K+1]
      // token path: a (prompt, token frame) embedding added to every token of that frame
      const perFrame = tf.reshape(linear(prompt as T2, P("prompt.frames") as T2), [b, g.gridF, 1, w]);
      let x4 = tf.add(tf.reshape(x, [b, g.gridF, g.gridH * g.gridW, w]), perFrame);
      if (this.consts.sincos) x4 = tf.add(x4, tf.reshape(this.consts.sincos, [1, g.gridF, g.gridH * g.gridW, w]));
      if (s.arch.position === "learned") x4 = tf.add(x4, tf.reshape(P("pos"), [1, g.gridF, g.gridH * g.gridW, w]));
      x = tf.reshape(x4, [rows, w]);
      // adaLN path: time embedding + prompt embedding
      const args = tf.matMul(tf.reshape(tf.cast(input.t, "float32"), [b, 1]), this.consts.timeFreqs);
      const temb = tf.concat([tf.cos(args), tf.sin(args)], 1) as T2;
      const time = lin("time.fc2", silu(lin("time.fc1", temb)));
      const cond = silu(tf.add(time, linear(prompt as T2, P("prompt.cond") as T2))) as T2; // [b, w]

      // ---- blocks ----
      const tapOut = new Map<number, tf.Tensor3D>();
      const modulate = (h: T2, shift: tf.Tensor, scale: tf.Tensor): T2 => adaLN(h, shift as T2, scale as T2);
      const gated = (x0: T2, gate: tf.Tensor, y: T2): T2 => gatedResidual(x0, gate as T2, y);
      for (let i = 0; i < depth; i++) {
        const mods = tf.split(lin(`blocks.${i}.adaln`, cond), 6, 1);
        // attention
        const rope = this.consts.rope;
        const proj = { w: weight(`blocks.${i}.attn.qkv`), b: P(`blocks.${i}.attn.qkv.b`) as tf.Tensor1D };
        const fused = rope ? withRotaryPartners(proj.w, proj.b, rope.swap) : proj;
        const attn = attention(modulate(x, mods[0]!, mods[1]!), fused.w, fused.b, b, n, g.heads, rope);
        x = gated(x, mods[2]!, lin(`blocks.${i}.attn.out`, attn));
        // MLP
        const hidden = silu(lin(`blocks.${i}.mlp.fc1`, modulate(x, mods[3]!, mods[4]!)));
        x = gated(x, mods[5]!, lin(`blocks.${i}.mlp.fc2`, hidden));
        if (taps.includes(i)) tapOut.set(i, tf.reshape(x, [b, n, w]));
      }

      // ---- output ----
      const [shift, scale] = tf.split(lin("final.adaln", cond), 2, 1);
      const y = lin("final.out", modulate(x, shift!, scale!)); // [rows, patch * C]
      const out = unpatchify(y, b, s.frames, s.height, s.width, s.arch.patch);
      return { out, taps: taps.map((i) => tapOut.get(i)!) };
    });
  }
}

/**
 * x0 and velocity from the network output, for x_t = (1 - t) x0 + t eps and v = eps - x0:
 *   x0 prediction:       x0 = out,             v = (x_t - x0) / max(t, minT)
 *   velocity prediction: v = out,              x0 = x_t - t v
 * t: [B]. minT bounds the division near t = 0 (the project's early probes clamped at 0.05 to 0.3).
 */
export function toX0AndVelocity(
  out: tf.Tensor5D,
  xt: tf.Tensor5D,
  t: tf.Tensor1D,
  prediction: "x0" | "velocity",
  minT = 0.05,
): { x0: tf.Tensor5D; v: tf.Tensor5D } {
  return tf.tidy(() => {
    const t5 = tf.reshape(t, [t.shape[0], 1, 1, 1, 1]);
    if (prediction === "x0") return { x0: tf.clone(out), v: tf.div(tf.sub(xt, out), tf.maximum(t5, minT)) as tf.Tensor5D };
    return { x0: tf.sub(xt, tf.mul(t5, out)) as tf.Tensor5D, v: tf.clone(out) };
  });
}
