// Plan distributions and schedules, evaluated by the runtime.
import type { Distribution, Schedule } from "../../compiler/plan/schema.js";
import type { Rng } from "./rng.js";

/** One sample of a time distribution; always inside (0, 1]. */
export function sampleTime(d: Distribution, rng: Rng): number {
  const t = sampleRaw(d, rng);
  return Math.min(1, Math.max(1e-4, t));
}

function sampleRaw(d: Distribution, rng: Rng): number {
  switch (d.kind) {
    case "constant":
      return d.value;
    case "uniform":
      // (low, high]: 1 - u with u in [0, 1) lies in (0, 1]
      return d.low + (d.high - d.low) * (1 - rng.uniform());
    case "logit_normal":
      return 1 / (1 + Math.exp(-(d.mean + d.std * rng.normal())));
    case "discrete":
      return d.values[rng.int(d.values.length)]!;
    case "shifted": {
      const t = sampleRaw(d.base, rng);
      return (d.shift * t) / (1 + (d.shift - 1) * t);
    }
  }
}

export function sampleTimes(d: Distribution, n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sampleTime(d, rng);
  return out;
}

/** A schedule's value at step `step` (0-based) of a phase of `total` steps. */
export function scheduleValue(s: Schedule, step: number, total: number): number {
  switch (s.kind) {
    case "constant":
      return s.value;
    case "linear_warmup":
      return s.value * Math.min(1, (step + 1) / s.steps);
    case "cosine_warmup":
      return step + 1 >= s.steps ? s.value : s.value * 0.5 * (1 - Math.cos((Math.PI * (step + 1)) / s.steps));
    case "cosine": {
      if (step < s.warmup) return s.value * ((step + 1) / s.warmup);
      const span = Math.max(1, total - s.warmup);
      const p = Math.min(1, (step - s.warmup) / span);
      return s.final + (s.value - s.final) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
  }
}
