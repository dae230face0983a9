// The networks of a run, one per role of the plan, and the ways the loss terms read them.
//
//   teacher      the frozen DiT (or the one being trained by flow matching)
//   student      the generator, a DiT initialised from the teacher
//   fake scores  a LoRA on the teacher's weights (zero-initialised: equal to the teacher at step 0) or a
//                full trainable copy of the teacher
//   discriminators  a trainable head on features tapped from a backbone: the EMA of the student (V-PAE),
//                the frozen teacher, a trainable copy of the teacher (APT) or a fake score (DMD2)
//   shadows      EMA copies that are not roles: the phase's `ema` entries (sampled at evaluation), the
//                EMA backbones of self-discriminators, and consistency target networks
//
// Each role owns a set of variables (`owned`): what its optimizer updates and what a checkpoint saves
// under `<role>/`. A discriminator's optimizer updates only its own variables: its head and, for a
// `copy(teacher)` backbone, that copy. An EMA backbone follows the student and a fake-score backbone is
// trained by its own `diffusion` term, so neither takes gradients from the discriminator loss.
import type { Discriminator, FakeScore, Plan } from "../../compiler/plan/schema.js";
import { headDims } from "../../compiler/plan/heads.js";
import { backboneKey } from "./io/checkpoint-keys.js";
import { tf } from "./tf.js";
import { deriveSeed } from "./rng.js";
import { pasteFirstFrame, noisy, toX0 } from "./flow.js";
import { Dit, cloneParams, createLora, emaUpdate, initParams } from "./model/dit.js";
import { applyHead, initHeadParams, type HeadShape } from "./model/heads.js";
import type { DitShape, LoraAdapter, ParamSet } from "./model/types.js";

/** The condition of a batch: frame 0, the prompt, and the image mask (all ones in distillation). */
export interface Condition {
  image: tf.Tensor4D;
  prompt: tf.Tensor1D;
  /** The null prompt (class `promptClasses`) for every clip: the unconditional branch of CFG. */
  nullPrompt: tf.Tensor1D;
  mask: tf.Tensor1D;
}

export interface FakeNet {
  plan: FakeScore;
  /** The weights the network runs with: the teacher's (LoRA) or its own copy. */
  base: ParamSet;
  lora: LoraAdapter | undefined;
}

export interface DiscNet {
  plan: Discriminator;
  headShape: HeadShape;
  head: ParamSet;
  /** The trainable backbone of `copy(teacher)`. */
  copy: ParamSet | undefined;
}

/** A DiT to run: weights plus an optional LoRA. */
export interface Network {
  params: ParamSet;
  lora?: LoraAdapter;
}

export class Nets {
  readonly dit: Dit;
  readonly fakes = new Map<string, FakeNet>();
  readonly discs = new Map<string, DiscNet>();
  /** Variables each role owns (optimizer and checkpoint), by role name. */
  readonly owned = new Map<string, ParamSet>();
  /** EMA copies by key: `ema:<role>@<decay>` (phase EMA), `backbone:<disc>`, `target:<role>@<decay>`. */
  readonly shadows = new Map<string, ParamSet>();

  constructor(
    readonly plan: Plan,
    readonly shape: DitShape,
    teacher: ParamSet,
  ) {
    this.dit = new Dit(shape);
    this.owned.set("teacher", teacher);
    if (plan.student) this.owned.set("student", plan.student.init === "teacher" ? cloneParams(teacher, { trainable: true }) : initParams(shape, deriveSeed(plan.seed, "student")));
    for (const f of plan.fakeScores) {
      if (f.kind === "lora") {
        const lora = createLora(shape, f.rank, f.alpha, deriveSeed(plan.seed, `fake:${f.name}`));
        if (f.init === "teacher") throw new Error(`fake score ${f.name}: a LoRA always starts at zero (init = zero)`);
        const own: ParamSet = new Map();
        for (const [layer, { a, b }] of lora.layers) {
          own.set(`${layer}.lora_a`, a);
          own.set(`${layer}.lora_b`, b);
        }
        this.fakes.set(f.name, { plan: f, base: teacher, lora });
        this.owned.set(f.name, own);
      } else {
        const copy = cloneParams(teacher, { trainable: true });
        this.fakes.set(f.name, { plan: f, base: copy, lora: undefined });
        this.owned.set(f.name, copy);
      }
    }
    for (const d of plan.discriminators) {
      const headShape: HeadShape = headDims(d.head, d.taps.length, shape);
      const head = initHeadParams(headShape, deriveSeed(plan.seed, `head:${d.name}`));
      const own: ParamSet = new Map();
      for (const [n, v] of head) own.set(`head.${n}`, v);
      let copy: ParamSet | undefined;
      if (d.backbone.kind === "copy") {
        copy = cloneParams(teacher, { trainable: true });
        for (const [n, v] of copy) own.set(`backbone.${n}`, v);
      }
      this.discs.set(d.name, { plan: d, headShape, head, copy });
      this.owned.set(d.name, own);
    }
  }

  get teacher(): ParamSet {
    return this.owned.get("teacher")!;
  }

  get student(): ParamSet {
    const s = this.owned.get("student");
    if (!s) throw new Error("the plan has no student");
    return s;
  }

  /** Creates an EMA shadow of `of` (a copy of its current weights) unless it exists. */
  ensureShadow(key: string, of: ParamSet): ParamSet {
    let s = this.shadows.get(key);
    if (!s) {
      s = cloneParams(of, { trainable: false });
      this.shadows.set(key, s);
    }
    return s;
  }

  updateShadow(key: string, of: ParamSet, decay: number): void {
    emaUpdate(this.shadows.get(key)!, of, decay);
  }

  fake(name: string): Network {
    const f = this.fakes.get(name);
    if (!f) throw new Error(`fake score ${name} is not in the plan`);
    return { params: f.base, ...(f.lora ? { lora: f.lora } : {}) };
  }

  /** The network a discriminator reads its features from. */
  backbone(d: DiscNet): Network {
    const b = d.plan.backbone;
    switch (b.kind) {
      case "ema": {
        const s = this.shadows.get(backboneKey(d.plan.name));
        if (!s) throw new Error(`the EMA backbone of ${d.plan.name} was not created`);
        return { params: s };
      }
      case "teacher":
        return { params: this.teacher };
      case "copy":
        return { params: d.copy! };
      case "fake_score":
        return this.fake(b.name);
    }
  }

  /**
   * A network's x0 estimate at (x_t, t). With guidance g != 1, classifier-free guidance over the
   * prompt: x0_u + g (x0_c - x0_u), with the image kept (the teacher drops only the prompt in training).
   */
  x0(net: Network, xt: tf.Tensor5D, t: tf.Tensor1D, c: Condition, guidance = 1): tf.Tensor5D {
    return guidance === 1 ? this.x0Parts(net, xt, t, c, guidance).conditional : tf.tidy(() => this.x0Parts(net, xt, t, c, guidance).guided);
  }

  /**
   * The guided x0 estimate and the conditional one it is made from (the same tensor when guidance is
   * 1): x0 = uncond + guidance * (cond - uncond). Callers that want both pay for no extra pass.
   */
  x0Parts(net: Network, xt: tf.Tensor5D, t: tf.Tensor1D, c: Condition, guidance = 1): { guided: tf.Tensor5D; conditional: tf.Tensor5D } {
    return tf.tidy(() => {
      const run = (prompt: tf.Tensor1D) => {
        const { out } = this.dit.apply(net.params, { xt, t, image: c.image, imageMask: c.mask, prompt }, net.lora ? { lora: net.lora } : {});
        return toX0(out, xt, t, this.shape.arch.prediction);
      };
      const conditional = run(c.prompt);
      if (guidance === 1) return { guided: conditional, conditional };
      const uncond = run(c.nullPrompt);
      return { guided: tf.add(uncond, tf.mul(tf.sub(conditional, uncond), guidance)) as tf.Tensor5D, conditional };
    });
  }

  /** One logit per clip: the clean clip x is noised to t with eps (frame 0 stays the condition), the backbone is tapped, the head reads the taps. */
  discriminate(d: DiscNet, x: tf.Tensor5D, t: tf.Tensor1D, eps: tf.Tensor5D, c: Condition): tf.Tensor1D {
    return tf.tidy(() => {
      const xt = pasteFirstFrame(noisy(x, eps, t), c.image);
      const net = this.backbone(d);
      const { taps } = this.dit.apply(net.params, { xt, t, image: c.image, imageMask: c.mask, prompt: c.prompt }, { taps: d.plan.taps, ...(net.lora ? { lora: net.lora } : {}) });
      return applyHead(d.head, d.headShape, taps, c.image, c.prompt);
    });
  }

  dispose(): void {
    const seen = new Set<tf.Variable>();
    const drop = (p: ParamSet) => {
      for (const v of p.values()) if (!seen.has(v)) (seen.add(v), v.dispose());
    };
    for (const p of this.owned.values()) drop(p);
    for (const p of this.shadows.values()) drop(p);
    this.dit.dispose();
  }
}
