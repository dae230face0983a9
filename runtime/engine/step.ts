// One training step, top-down. runner.ts calls `trainStep` once per step of a phase:
//
//   for each entry of the phase's `updates`, in order          (e.g. `fake = 2  student = 1`)
//     skip it if the role is frozen or no loss of the phase trains it
//     repeat `count` times: `update` the role
//       1. draw a batch of real clips (the `data` stream): videos, first frames, prompts
//       2. evaluate the role's loss terms in the plan's order (objectives.ts: each term draws its
//          times and noise in the order its entry is written; the generator's sample is drawn by the
//          first term that needs it and shared by the later ones)
//       3. the gradient of the weighted sum with respect to the role's own weights, and one optimizer
//          step (learning-rate schedule, clipping)
//       4. read the losses and diagnostics back to the CPU (one read-back of them all)
//   then move every EMA copy the phase keeps one step toward its role (`shadowsOf`).
//
// Every role's update is this same function: what differs between a generator, a fake-score, a
// discriminator or a teacher update is only which terms train the role, and those are the plan's.
import type { Loss, Phase } from "../../compiler/plan/schema.js";
import { trainedRole } from "../../compiler/plan/losses.js";
import { addInOrder, checkDevice, tf } from "./tf.js";
import { scheduleValue } from "./schedule.js";
import type { Optimizer } from "./optim.js";
import type { Nets } from "./nets.js";
import type { ParamSet } from "./model/types.js";
import { backboneKey, emaKey, targetKey } from "./io/checkpoint-keys.js";
import { Draws, termLoss, type UpdateContext } from "./objectives.js";
import { byNoiseLevel } from "./diagnostics.js";

export interface StepResult {
  /** The last value of each loss term in the step. */
  losses: Record<string, number>;
  /** The last value of each diagnostic (gradient norms, learning rates, discriminator logits, ...). */
  stats: Record<string, number>;
  /** Per-clip values: each discriminator's logits on the real and the generated clips of its update. */
  histograms: Record<string, number[]>;
}

/** One step of a phase: every update of the phase's `updates`, then the EMA copies. */
export async function trainStep(ctx: UpdateContext, optimizers: ReadonlyMap<string, Optimizer>, frozen: ReadonlySet<string>): Promise<StepResult> {
  const out: StepResult = { losses: {}, stats: {}, histograms: {} };
  for (const u of ctx.phase.updates) {
    // a frozen role (the `freeze` entry action) keeps its weights bit for bit
    if (frozen.has(u.role)) continue;
    const terms = ctx.phase.losses.filter((l) => trainedRole(l) === u.role);
    if (terms.length === 0) continue;
    for (let k = 0; k < u.count; k++) {
      const r = await update(ctx, u.role, terms, optimizers.get(u.role)!);
      Object.assign(out.losses, r.losses);
      Object.assign(out.stats, r.stats);
      Object.assign(out.histograms, r.histograms);
    }
  }
  for (const s of shadowsOf(ctx.nets, ctx.phase)) ctx.nets.updateShadow(s.key, s.of, s.decay);
  return out;
}

/** One optimizer update of `role` on `terms` (steps 1-4 of the header). */
async function update(ctx: UpdateContext, role: string, terms: Loss[], opt: Optimizer): Promise<StepResult> {
  const own = ctx.nets.owned.get(role);
  if (!own) throw new Error(`role ${role} has no network`);
  // 1. the batch
  const draws = new Draws(ctx, ctx.world.sample(ctx.phase.batch, ctx.rng.data));
  const named: Record<string, tf.Scalar> = {};
  const kept: Record<string, tf.Scalar> = {};
  const keptHist: Record<string, tf.Tensor1D> = {};
  const levelValues: Draws["byLevel"] = [];
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    // 2. the terms, in plan order, and 3. the gradient of their weighted sum
    result = tf.variableGrads(() => {
      const parts = terms.map((l) => {
        const loss = termLoss(draws, l);
        named[l.name] = tf.keep(loss);
        return tf.mul(loss, scheduleValue(l.weight, ctx.phaseStep, ctx.phase.steps)) as tf.Scalar;
      });
      for (const [k, v] of Object.entries(draws.stats)) kept[k] = tf.keep(v);
      for (const [k, v] of Object.entries(draws.histograms)) keptHist[k] = tf.keep(v);
      for (const b of draws.byLevel) levelValues.push({ ...b, values: tf.keep(b.values) });
      return addInOrder(parts);
    }, [...own.values()]);
  } finally {
    draws.dispose();
  }
  result.value.dispose();
  const byName = new Map<string, tf.Tensor>();
  for (const [name, v] of own) {
    const g = result.grads[v.name];
    if (g) byName.set(name, g);
  }
  const report = await opt.apply(own, byName, ctx.phaseStep, ctx.phase.steps, true);
  // 4. the sync point: every loss, statistic and per-clip value in one read-back (on a GPU each
  // read is a synchronisation); a discriminator's logits serve a histogram and a noise level both
  const scalars = [...Object.entries(named), ...Object.entries(kept)];
  const perClip = [...new Set<tf.Tensor1D>([...Object.values(keptHist), ...levelValues.map((b) => b.values)])];
  let values: Float32Array;
  try {
    const all = tf.tidy(() => tf.concat([tf.stack(scalars.map(([, t]) => t)), ...perClip], 0));
    values = (await all.data().finally(() => all.dispose())) as Float32Array;
  } finally {
    tf.dispose([...scalars.map(([, t]) => t), ...perClip]);
  }
  checkDevice();
  const nLosses = Object.keys(named).length;
  const losses = Object.fromEntries(scalars.slice(0, nLosses).map(([k], i) => [k, values[i]!]));
  const measured = Object.fromEntries(scalars.slice(nLosses).map(([k], i) => [k, values[nLosses + i]!]));
  const stats = { ...measured, [`lr/${role}`]: report.lr, [`grad_norm/${role}`]: report.gradNorm ?? NaN, [`clipped/${role}`]: report.clipped ? 1 : 0 };
  const at = new Map<tf.Tensor1D, Float32Array>();
  let offset = scalars.length;
  for (const t of perClip) {
    at.set(t, values.subarray(offset, offset + t.size) as Float32Array);
    offset += t.size;
  }
  const histograms: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(keptHist)) histograms[k] = Array.from(at.get(t)!);
  const levels = levelValues.map((b) => ({ ...b, values: at.get(b.values)! }));
  Object.assign(stats, byNoiseLevel(levels));
  return { losses, stats, histograms };
}

/**
 * The EMA copies a phase keeps up to date after every step: its `ema` entries, the EMA backbone of
 * every discriminator its losses use (the self-discriminator follows the generator), and the target
 * network of a consistency term.
 */
export function shadowsOf(nets: Nets, phase: Phase): { key: string; of: ParamSet; decay: number }[] {
  const out = phase.ema.map((e) => ({ key: emaKey(e.role, e.decay), of: nets.owned.get(e.role)!, decay: e.decay }));
  const discs = new Set<string>();
  for (const l of phase.losses) {
    if ("discriminator" in l) discs.add(l.discriminator);
    if (l.kind === "consistency" && l.targetDecay > 0) out.push({ key: targetKey("student", l.targetDecay), of: nets.student, decay: l.targetDecay });
  }
  for (const name of discs) {
    const b = nets.discs.get(name)?.plan.backbone;
    if (b?.kind === "ema") out.push({ key: backboneKey(name), of: nets.owned.get(b.of)!, decay: b.decay });
  }
  return out.filter((s, i) => out.findIndex((x) => x.key === s.key) === i);
}
