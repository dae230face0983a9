// Optimisers written out by hand (Adam, AdamW, RMSProp), so that their whole state is a set of named
// tensors that checkpoints save and restore exactly, and so that every update reports the gradient norm
// before clipping (a health signal the UI shows).
import { addInOrder, tf } from "./tf.js";
import type { Optimizer as OptimizerPlan } from "../../compiler/plan/schema.js";
import { scheduleValue } from "./schedule.js";

export interface StepReport {
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number | null;
  clipped: boolean;
  lr: number;
}

export class Optimizer {
  /** First and second moments (Adam) or the mean square (RMSProp), by parameter name. */
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  step = 0;

  constructor(readonly plan: OptimizerPlan) {}

  /** Forgets all state (the `reset_optimizer` entry action). */
  reset(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
    this.step = 0;
  }

  private slot(map: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable {
    let s = map.get(name);
    if (!s) {
      s = tf.variable(tf.zerosLike(like), false, undefined, "float32");
      map.set(name, s);
    }
    return s;
  }

  /**
   * Applies one update. `grads` are disposed here. `phaseStep`/`phaseSteps` drive the lr schedule.
   * With `measure` the gradient norm is read back (one sync); clipping always measures it.
   */
  async apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, phaseStep: number, phaseSteps: number, measure: boolean): Promise<StepReport> {
    const p = this.plan;
    const lr = scheduleValue(p.lr, phaseStep, phaseSteps);
    let gradNorm: number | null = null;
    let scale = 1;
    if (p.gradClip !== null || measure) {
      const sq = tf.tidy(() => addInOrder([...grads.values()].map((g) => tf.sum(tf.square(g)))));
      gradNorm = Math.sqrt((await sq.data())[0]!); // sync point: one scalar
      sq.dispose();
      if (p.gradClip !== null && gradNorm > p.gradClip) scale = p.gradClip / (gradNorm + 1e-12);
    }
    this.step += 1;
    const [b1, b2] = p.betas;
    const t = this.step;
    for (const [name, g0] of grads) {
      const w = params.get(name);
      if (!w) {
        g0.dispose();
        continue;
      }
      tf.tidy(() => {
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        if (p.kind === "rmsprop") {
          const v = this.slot(this.v, name, w);
          const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
          v.assign(v1);
          const upd = tf.div(g, tf.add(tf.sqrt(v1), p.eps));
          const decayed = p.weightDecay > 0 ? tf.mul(w, 1 - lr * p.weightDecay) : w;
          w.assign(tf.sub(decayed, tf.mul(upd, lr)));
          return;
        }
        const m = this.slot(this.m, name, w);
        const v = this.slot(this.v, name, w);
        // Adam: L2 weight decay folded into the gradient; AdamW: decoupled decay on the weights.
        const gd = p.kind === "adam" && p.weightDecay > 0 ? tf.add(g, tf.mul(w, p.weightDecay)) : g;
        const m1 = tf.add(tf.mul(m, b1), tf.mul(gd, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(gd), 1 - b2));
        m.assign(m1);
        v.assign(v1);
        const mhat = tf.div(m1, 1 - Math.pow(b1, t));
        const vhat = tf.div(v1, 1 - Math.pow(b2, t));
        const upd = tf.div(mhat, tf.add(tf.sqrt(vhat), p.eps));
        const decayed = p.kind === "adamw" && p.weightDecay > 0 ? tf.mul(w, 1 - lr * p.weightDecay) : w;
        w.assign(tf.sub(decayed, tf.mul(upd, lr)));
      });
      g0.dispose();
    }
    return { gradNorm, clipped: scale !== 1, lr };
  }

  dispose(): void {
    this.reset();
  }
}
