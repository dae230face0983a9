// The loss terms and the draws they share. One update (step.ts) makes a `Draws` from a fresh batch
// and asks `termLoss` for each of its terms; this file says what each term computes and which random
// numbers it draws, in the order its `TERMS` entry is written.
//
// What each term computes (x = the generator's clean output, frame 0 = the condition image):
//   flow_matching  real clip noised to t, regress the velocity (teacher pre-training)
//   diffusion      the same objective for a fake score, on the generator's samples (no gradient to G)
//   vsd / dmd      re-noise x to t; the teacher's (guided) and the fake score's x0 estimates there give
//                  the gradient x0_fake - x0_real on x, i.e. -(s_real - s_fake); dmd also divides it by
//                  the clip's mean |x - x0_real| (DMD's normalisation), vsd does not
//   sid            score identity distillation on the same two estimates, with the gradient also
//                  flowing through both networks' inputs (scoreIdentity below)
//   gan_generator  the adversarial G term on D(re-noised x); the gradient reaches G through the
//                  backbone's activations (the backbone's weights are not updated by it)
//   gan_discriminator  the D term on re-noised real clips vs re-noised detached generator clips
//   gan_mismatch   re-noised real clips under a wrong prompt count as generated (a matching-aware D)
//   r1 / approx_r1 / str1  regularisers of D on re-noised real clips
//   c_sds / sds    re-noise x to t', the frozen teacher (first frame + prompt, guidance from the plan)
//                  predicts x0, x regresses to it with the teacher side stopped; the two kinds compute
//                  the same thing (the teacher is image-conditioned either way; see docs/runtime.md)
//   consistency    (phased) consistency distillation on real clips with a teacher ODE solver step
//   regression     x from noise regresses to the teacher's multi-step ODE sample from the same noise
//
// Random numbers (a resumed run repeats them exactly; the committed reference of
// test/baselines/losses/ fails when their order changes). Four streams: `data` (the batch), `time`
// (every t and t'), `noise` (every Gaussian tensor) and `drop` (condition dropout, wrong prompts).
// Within an update, after the batch: the terms in the plan's order, each drawing in the order its
// entry is written. Two draws are shared, and happen where the first term asks for them: the
// generator's input (its noise, and for noised-real input its s), drawn by the first `generated()`,
// whose clip the update's later terms reuse; and a discriminator's t and noise for real and generated
// clips (`dNoise`), shared or independent as the plan says.
import type { Loss, Phase, Plan } from "../../compiler/plan/schema.js";
import type { LossKind } from "../../compiler/plan/losses.js";
import { samplerTimesteps } from "../../compiler/plan/timesteps.js";
import { tf } from "./tf.js";
import type { Rng } from "./rng.js";
import { sampleTimes } from "./schedule.js";
import { firstFrame, frames, futureFrames, noisy, pasteFirstFrame, perClip, sampleEuler, velocityLoss } from "./flow.js";
import type { World, WorldBatch } from "./world/types.js";
import { Nets, type Condition, type DiscNet } from "./nets.js";
import { targetKey } from "./io/checkpoint-keys.js";
import { discriminatorLoss, generatorLoss, mismatchLoss } from "./losses/adversarial.js";
import { distributionMatching, scoreDistillation, stopGradient } from "./losses/distillation.js";
import { approxR1, r1, str1 } from "./losses/regularizers.js";

export interface Streams {
  data: Rng;
  time: Rng;
  noise: Rng;
  drop: Rng;
}

export interface UpdateContext {
  plan: Plan;
  phase: Phase;
  /** 0-based step of the phase (schedules). */
  phaseStep: number;
  nets: Nets;
  world: World;
  rng: Streams;
}

/**
 * Identity in value, no gradient: a new tensor on the same data that no kernel made, so the gradient
 * tape has no path through it and no backward pass runs through what produced x (a zero-gradient op
 * would still run one). No copy and no read-back: the data stays on the device.
 */
function detach<T extends tf.Tensor>(x: T): T {
  tf.backend().incRef(x.dataId); // one more tensor holds the data: it lives until both are disposed
  return tf.engine().makeTensorFromDataId(x.dataId, x.shape, x.dtype) as T;
}

/** The batch of one update and the random draws its terms make, shared between terms where the method shares them. */
export class Draws {
  readonly x0: tf.Tensor5D;
  readonly cond: Condition;
  readonly n: number;
  /** The batch's prompt classes (the condition dropout of flow matching draws from them). */
  readonly prompts: Int32Array;
  readonly dims: [number, number, number, number, number];
  /** Diagnostics computed in the update (kept across the gradient scope). */
  readonly stats: Record<string, tf.Scalar> = {};
  readonly histograms: Record<string, tf.Tensor1D> = {};
  /**
   * Per-clip values to summarise by noise level after the update (diagnostics.ts): a tensor of one
   * value per clip, the noise level each clip was drawn at, and how to summarise them.
   */
  readonly byLevel: { key: string; values: tf.Tensor1D; t: Float32Array; kind: "mean" | "logits-real" | "logits-fake" }[] = [];
  private gen: tf.Tensor5D | undefined;
  private readonly owned: tf.Tensor[] = [];

  constructor(
    readonly ctx: UpdateContext,
    batch: WorldBatch,
  ) {
    const { n, frames, height, width, channels } = batch;
    this.n = n;
    this.prompts = batch.prompt;
    this.dims = [n, frames, height, width, channels];
    this.x0 = this.own(tf.tensor5d(batch.video, this.dims));
    this.cond = {
      image: this.own(firstFrame(this.x0)),
      prompt: this.own(tf.tensor1d(batch.prompt, "int32")),
      nullPrompt: this.own(tf.fill([n], ctx.world.directions, "int32") as tf.Tensor1D),
      mask: this.own(tf.ones([n]) as tf.Tensor1D),
    };
  }

  private own<T extends tf.Tensor>(t: T): T {
    this.owned.push(t);
    return t;
  }

  dispose(): void {
    tf.dispose(this.owned);
  }

  get nets(): Nets {
    return this.ctx.nets;
  }

  times(dist: Parameters<typeof sampleTimes>[0]): tf.Tensor1D {
    return this.timesWithValues(dist).t;
  }

  /** Times as a tensor and as the numbers drawn (for per-level diagnostics). */
  timesWithValues(dist: Parameters<typeof sampleTimes>[0]): { t: tf.Tensor1D; values: Float32Array } {
    const values = sampleTimes(dist, this.n, this.ctx.rng.time);
    return { t: tf.tensor1d(values), values };
  }

  noise(shape: number[] = this.dims): tf.Tensor5D {
    return tf.tensor(this.ctx.rng.noise.normals(shape.reduce((a, b) => a * b, 1)), shape as [number, number, number, number, number], "float32") as tf.Tensor5D;
  }

  /** The student's input per the phase: pure noise at t = 1, or a real clip noised to s. */
  private generatorInput(): { xt: tf.Tensor5D; t: tf.Tensor1D } {
    const input = this.ctx.phase.input;
    const eps = this.noise();
    if (input.kind === "noise") return { xt: pasteFirstFrame(eps, this.cond.image), t: tf.ones([this.n]) as tf.Tensor1D };
    const s = this.times(input.s);
    return { xt: pasteFirstFrame(noisy(this.x0, eps, s), this.cond.image), t: s };
  }

  /**
   * The generator's clean output for this update (one student evaluation from the phase's input),
   * computed once per update. Inside the student's own update it carries the gradient; in other roles'
   * updates the student's weights are not being differentiated, so it acts as data.
   */
  generated(): tf.Tensor5D {
    if (!this.gen) {
      const { xt, t } = this.generatorInput();
      const x0 = this.nets.x0({ params: this.nets.student }, xt, t, this.cond);
      this.gen = pasteFirstFrame(x0, this.cond.image);
      // diagnostics of the generator's output (the TUI's collapse and static-video alarms)
      const fut = futureFrames(this.gen);
      const [, f] = fut.shape;
      this.stats["gen/mean"] = tf.mean(fut) as tf.Scalar;
      this.stats["gen/std"] = tf.sqrt(tf.mean(tf.square(tf.sub(fut, tf.mean(fut))))) as tf.Scalar;
      if (f > 1) {
        const a = frames(this.gen, 1, f);
        const b = frames(this.gen, 0, f);
        this.stats["gen/frame_diff"] = tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar;
      }
    }
    return this.gen;
  }

  disc(name: string): DiscNet {
    const d = this.nets.discs.get(name);
    if (!d) throw new Error(`discriminator ${name} is not in the plan`);
    return d;
  }

  /** t and eps for D's view of a real and a fake batch, shared or independent as the discriminator says. */
  dNoise(d: DiscNet): { tReal: tf.Tensor1D; tFake: tf.Tensor1D; epsReal: tf.Tensor5D; epsFake: tf.Tensor5D; levels: { real: Float32Array; fake: Float32Array } } {
    const real = this.timesWithValues(d.plan.t);
    const fake = d.plan.sharedT ? real : this.timesWithValues(d.plan.t);
    const epsReal = this.noise();
    const epsFake = d.plan.sharedNoise ? epsReal : this.noise();
    return { tReal: real.t, tFake: fake.t, epsReal, epsFake, levels: { real: real.values, fake: fake.values } };
  }

  /** The teacher's guided x0 estimate of x re-noised to t, as data (no gradient). */
  teacherRenoised(x: tf.Tensor5D, t: tf.Tensor1D, guidance: number): tf.Tensor5D {
    return tf.tidy(() => {
      const xt = pasteFirstFrame(noisy(detach(x), this.noise(), t), this.cond.image);
      return this.nets.x0({ params: this.nets.teacher }, xt, t, this.cond, guidance);
    });
  }
}

/** A loss term of kind K (`Loss & { kind: K }` also narrows the entries whose kind is a list, as vsd's is). */
type TermFn<K extends LossKind> = (s: Draws, l: Loss & { kind: K }) => tf.Scalar;

/**
 * The teacher's guided x0 estimate ("real score") and the fake score's at the re-noised output, with two
 * statistics: `fake_vs_teacher`, |x0_fake - x0_real|, the size of the gradient the term applies; and
 * `fake_shift`, |x0_fake - x0_teacher| against the teacher's *unguided* estimate, which is 0 while a
 * zero-initialised LoRA has not moved (the first one also holds the guidance gap, so it cannot tell).
 */
function teacherAndFake(s: Draws, l: Loss & { kind: "vsd" | "dmd" | "sid" }, xt: tf.Tensor5D, t: tf.Tensor1D): { real: tf.Tensor5D; fake: tf.Tensor5D } {
  const nets = s.nets;
  const { guided: real, conditional } = nets.x0Parts({ params: nets.teacher }, xt, t, s.cond, l.guidance);
  const fake = nets.x0(nets.fake(l.fake), xt, t, s.cond);
  const future = futureFrames(fake);
  s.stats[`${l.name}/fake_vs_teacher`] = tf.mean(tf.abs(tf.sub(future, futureFrames(real)))) as tf.Scalar;
  s.stats[`${l.name}/fake_shift`] = tf.mean(tf.abs(tf.sub(future, futureFrames(conditional)))) as tf.Scalar;
  return { real, fake };
}

const distributionMatchingTerm: TermFn<"vsd" | "dmd"> = (s, l) => {
  const x = s.generated();
  const t = s.times(l.t);
  const xt = pasteFirstFrame(noisy(detach(x), s.noise(), t), s.cond.image);
  const { real, fake } = teacherAndFake(s, l, xt, t);
  return distributionMatching(x, real, fake, l.kind === "dmd");
};

/**
 * SiD, score identity distillation (Zhou et al., ICML 2024), in x0 terms. With d = x0_teacher - x0_fake,
 * both estimated at the re-noised output: loss = (1 - alpha) d^2 + d (x0_fake - x), per element over the
 * future frames, divided per clip by mean |x - x0_teacher| (no gradient; DMD's normaliser) and averaged.
 * Unlike vsd/dmd the re-noised output is not detached: the gradient reaches the student through both
 * networks' inputs as well as through x. Zero, with zero gradient, while the fake score equals the teacher.
 */
export function scoreIdentity(x: tf.Tensor5D, real: tf.Tensor5D, fake: tf.Tensor5D, alpha: number): tf.Scalar {
  return tf.tidy(() => {
    const [fx, fr, ff] = [futureFrames(x), futureFrames(real), futureFrames(fake)];
    const b = x.shape[0];
    const d = tf.sub(fr, ff);
    const perElement = tf.add(tf.mul(1 - alpha, tf.square(d)), tf.mul(d, tf.sub(ff, fx)));
    const w = tf.add(tf.mean(tf.reshape(tf.abs(tf.sub(fx, fr)), [b, -1]), 1), 1e-6);
    const perClip = tf.mean(tf.reshape(perElement, [b, -1]), 1);
    return tf.mean(tf.div(perClip, stopGradient(w))) as tf.Scalar;
  });
}

const scoreIdentityTerm: TermFn<"sid"> = (s, l) => {
  const x = s.generated();
  const t = s.times(l.t);
  const xt = pasteFirstFrame(noisy(x, s.noise(), t), s.cond.image);
  const { real, fake } = teacherAndFake(s, l, xt, t);
  return scoreIdentity(x, real, fake, l.alpha);
};

const regulariserTerm: TermFn<"r1" | "approx_r1" | "str1"> = (s, l) => {
  const nets = s.nets;
  const d = s.disc(l.discriminator);
  const t = s.times(d.plan.t);
  const eps = s.noise();
  const dFn = (x: tf.Tensor5D) => nets.discriminate(d, x, t, eps, s.cond);
  if (l.kind === "r1") return r1(dFn, s.x0);
  if (l.kind === "approx_r1") return approxR1(dFn, s.x0, l.sigma, s.noise());
  const [n, f, , , c] = s.dims;
  return str1(dFn, s.x0, l.sigmaSpatial, l.sigmaTemporal, s.noise(), s.noise([n, f, 1, 1, c]));
};

const scoreDistillationTerm: TermFn<"c_sds" | "sds"> = (s, l) => {
  const x = s.generated();
  const t = s.timesWithValues(l.t);
  const teacher = s.teacherRenoised(x, t.t, l.guidance);
  // the term per clip, by the noise level t' its clip was re-noised to
  s.byLevel.push({ key: l.name, values: tf.mean(tf.reshape(tf.square(tf.sub(futureFrames(x), futureFrames(teacher))), [s.n, -1]), 1) as tf.Tensor1D, t: t.values, kind: "mean" });
  return scoreDistillation(x, teacher);
};

/** What each loss kind computes, from the update's draws (a kind without an entry is a type error). */
const TERMS: { [K in LossKind]: TermFn<K> } = {
  flow_matching: (s, l) => {
    const nets = s.nets;
    const prediction = s.nets.shape.arch.prediction;
    const t = s.times(l.t);
    const eps = s.noise();
    // condition dropout (for CFG): the prompt is replaced by the null prompt with the teacher's probability
    const drop = s.ctx.plan.teacher?.condDropout ?? 0;
    const prompt = new Int32Array(s.n);
    for (let i = 0; i < s.n; i++) prompt[i] = s.ctx.rng.drop.uniform() < drop ? s.ctx.world.directions : s.prompts[i]!;
    const xt = pasteFirstFrame(noisy(s.x0, eps, t), s.cond.image);
    const { out } = nets.dit.apply(nets.owned.get(l.role)!, { xt, t, image: s.cond.image, imageMask: s.cond.mask, prompt: tf.tensor1d(prompt, "int32") });
    return velocityLoss(out, s.x0, eps, t, prediction, l.minT);
  },
  diffusion: (s, l) => {
    const nets = s.nets;
    const prediction = s.nets.shape.arch.prediction;
    const x = detach(s.generated());
    const t = s.times(l.t);
    const eps = s.noise();
    const xt = pasteFirstFrame(noisy(x, eps, t), s.cond.image);
    const net = nets.fake(l.role);
    const { out } = nets.dit.apply(net.params, { xt, t, image: s.cond.image, imageMask: s.cond.mask, prompt: s.cond.prompt }, net.lora ? { lora: net.lora } : {});
    return velocityLoss(out, x, eps, t, prediction, l.minT);
  },
  vsd: distributionMatchingTerm,
  dmd: distributionMatchingTerm,
  sid: scoreIdentityTerm,
  gan_generator: (s, l) => {
    const nets = s.nets;
    const d = s.disc(l.discriminator);
    const { tReal, tFake, epsReal, epsFake } = s.dNoise(d);
    const fake = nets.discriminate(d, s.generated(), tFake, epsFake, s.cond);
    const real = d.plan.loss === "relativistic" ? nets.discriminate(d, s.x0, tReal, epsReal, s.cond) : undefined;
    return generatorLoss(d.plan.loss, fake, real);
  },
  gan_discriminator: (s, l) => {
    const nets = s.nets;
    const d = s.disc(l.discriminator);
    const { tReal, tFake, epsReal, epsFake, levels } = s.dNoise(d);
    const real = nets.discriminate(d, s.x0, tReal, epsReal, s.cond);
    const fake = nets.discriminate(d, detach(s.generated()), tFake, epsFake, s.cond);
    const p = `d/${d.plan.name}`;
    s.stats[`${p}/logit_real`] = tf.mean(real) as tf.Scalar;
    s.stats[`${p}/logit_fake`] = tf.mean(fake) as tf.Scalar;
    // accuracy: real logits above 0 and fake logits below 0
    s.stats[`${p}/accuracy`] = tf.div(tf.add(tf.sum(tf.cast(tf.greater(real, 0), "float32")), tf.sum(tf.cast(tf.less(fake, 0), "float32"))), 2 * s.n) as tf.Scalar;
    s.histograms[`${p}/real`] = real;
    s.histograms[`${p}/fake`] = fake;
    s.byLevel.push({ key: p, values: real, t: levels.real, kind: "logits-real" }, { key: p, values: fake, t: levels.fake, kind: "logits-fake" });
    return discriminatorLoss(d.plan.loss, real, fake);
  },
  gan_mismatch: (s, l) => {
    const nets = s.nets;
    const d = s.disc(l.discriminator);
    const t = s.times(d.plan.t);
    const eps = s.noise();
    // each clip's prompt replaced by another direction, drawn uniformly from the others
    const k = s.ctx.world.directions;
    const wrongPrompts = new Int32Array(s.n);
    for (let i = 0; i < s.n; i++) wrongPrompts[i] = (s.prompts[i]! + 1 + s.ctx.rng.drop.int(k - 1)) % k;
    const wrong = nets.discriminate(d, s.x0, t, eps, { ...s.cond, prompt: tf.tensor1d(wrongPrompts, "int32") });
    const right = d.plan.loss === "relativistic" ? nets.discriminate(d, s.x0, t, eps, s.cond) : undefined;
    const p = `d/${d.plan.name}`;
    s.stats[`${p}/logit_mismatch`] = tf.mean(wrong) as tf.Scalar;
    s.stats[`${p}/mismatch_accuracy`] = tf.mean(tf.cast(tf.less(wrong, 0), "float32")) as tf.Scalar;
    return mismatchLoss(d.plan.loss, wrong, right);
  },
  r1: regulariserTerm,
  approx_r1: regulariserTerm,
  str1: regulariserTerm,
  c_sds: scoreDistillationTerm,
  sds: scoreDistillationTerm,
  consistency: (s, l) => consistencyLoss(s, l),
  regression: (s, l) => {
    const nets = s.nets;
    const eps = s.noise();
    const timesteps = samplerTimesteps(l.teacherSteps, s.ctx.plan.teacher?.sampler.shift ?? 1);
    const target = tf.tidy(() => {
      const { video } = sampleEuler((xt, t, conditional) => nets.x0({ params: nets.teacher }, xt, t, conditional ? s.cond : { ...s.cond, prompt: s.cond.nullPrompt }), eps, s.cond.image, { timesteps, guidance: l.guidance });
      return video;
    });
    const x = nets.x0({ params: nets.student }, pasteFirstFrame(eps, s.cond.image), tf.ones([s.n]) as tf.Tensor1D, s.cond);
    return distance(x, target, l.distance);
  },
};

/** The value of one term on the update's draws. */
export function termLoss(s: Draws, l: Loss): tf.Scalar {
  return (TERMS[l.kind] as TermFn<LossKind>)(s, l as never);
}

/**
 * l2: mean squared difference over the future frames. huber: the pseudo-Huber loss of each clip's
 * difference, sqrt(|d|^2 + c^2) - c with c = 0.00054 sqrt(dim) (the constant of improved consistency
 * training), averaged over clips.
 */
export function distance(x: tf.Tensor5D, target: tf.Tensor5D, kind: "l2" | "huber"): tf.Scalar {
  return tf.tidy(() => {
    const d = tf.sub(futureFrames(x), futureFrames(target));
    if (kind === "l2") return tf.mean(tf.square(d)) as tf.Scalar;
    const flat = tf.reshape(d, [d.shape[0], -1]);
    const c = 0.00054 * Math.sqrt(flat.shape[1]!);
    return tf.mean(tf.sub(tf.sqrt(tf.add(tf.sum(tf.square(flat), 1), c * c)), c)) as tf.Scalar;
  });
}

/**
 * Where the ODE through (x_t, t) with clean estimate x0 is at time s <= t (a DDIM step, which is also
 * the Euler step of the x0-parameterised flow): (1 - s) x0 + s eps_hat, eps_hat = (x_t - (1 - t) x0) / t.
 */
export function jumpTo(x0: tf.Tensor5D, xt: tf.Tensor5D, t: tf.Tensor1D, s: tf.Tensor1D): tf.Tensor5D {
  return tf.tidy(() => {
    const tt = perClip(t);
    const ss = perClip(s);
    const epsHat = tf.div(tf.sub(xt, tf.mul(tf.sub(1, tt), x0)), tf.maximum(tt, 1e-4));
    return tf.add(tf.mul(tf.sub(1, ss), x0), tf.mul(ss, epsHat)) as tf.Tensor5D;
  });
}

/**
 * Phased consistency distillation (PCM; plain CD for edges [1, 0]). Per clip: a phase [lo, hi] between
 * adjacent edges, t ~ U(lo, hi], t' = max(lo, t - solverSteps / teacherSteps). The teacher moves x_t to
 * x_t' with solverSteps guided Euler steps; the target is the target network's jump from (x_t', t') to
 * lo (or x_t' itself when t' = lo); the student's jump from (x_t, t) to lo regresses to it.
 */
function consistencyLoss(s: Draws, l: Extract<Loss, { kind: "consistency" }>): tf.Scalar {
  const nets = s.nets;
  const plan = s.ctx.plan;
  const dt = 1 / (plan.teacher?.sampler.steps ?? 50);
  const lo = new Float32Array(s.n);
  const t = new Float32Array(s.n);
  const tp = new Float32Array(s.n);
  const atEdge = new Float32Array(s.n);
  for (let i = 0; i < s.n; i++) {
    const k = s.ctx.rng.time.int(l.edges.length - 1);
    const hi = l.edges[k]!;
    lo[i] = l.edges[k + 1]!;
    t[i] = Math.max(1e-4, lo[i]! + (hi - lo[i]!) * (1 - s.ctx.rng.time.uniform()));
    tp[i] = Math.max(lo[i]!, t[i]! - l.solverSteps * dt);
    atEdge[i] = tp[i]! <= lo[i]! ? 1 : 0;
  }
  const tT = tf.tensor1d(t);
  const loT = tf.tensor1d(lo);
  const xt = pasteFirstFrame(noisy(s.x0, s.noise(), tT), s.cond.image);
  const target = tf.tidy(() => {
    // teacher: solverSteps Euler steps from t to t' (per clip), with the loss's guidance
    let x = xt;
    let cur = t;
    for (let k = 1; k <= l.solverSteps; k++) {
      const next = t.map((ti, i) => ti + ((tp[i]! - ti) * k) / l.solverSteps);
      const curT = tf.tensor1d(cur);
      const x0 = nets.x0({ params: nets.teacher }, x, curT, s.cond, l.guidance);
      x = pasteFirstFrame(jumpTo(x0, x, curT, tf.tensor1d(next)), s.cond.image);
      cur = next;
    }
    const tpT = tf.tensor1d(tp);
    const targetNet = l.targetDecay > 0 ? nets.shadows.get(targetKey("student", l.targetDecay))! : nets.student;
    const x0Target = nets.x0({ params: targetNet }, detach(x), tpT, s.cond);
    const jumped = jumpTo(x0Target, x, tpT, loT);
    const m = perClip(tf.tensor1d(atEdge));
    return detach(tf.add(tf.mul(m, x), tf.mul(tf.sub(1, m), jumped)) as tf.Tensor5D);
  });
  const pred = jumpTo(nets.x0({ params: nets.student }, xt, tT, s.cond), xt, tT, loT);
  return distance(pred, target, l.distance);
}
