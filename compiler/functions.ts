// Every function the language can call, with its parameters and their defaults (section 9 of
// docs/language.md describes them; a test checks that it shows these signatures). Arithmetic helpers
// are evaluated at compile time; constructors (distributions, schedules, heads, ...) become call values
// that lowering interprets by kind.

import { HEAD_ARGS } from "./plan/heads.js";
import { REGULARIZERS, regularizerArgs } from "./plan/losses.js";

export interface ParamSpec {
  name: string;
  /** Absent: required. */
  default?: number | boolean | string | null;
}

export interface FunctionSpec {
  params: ParamSpec[];
  /** Accepts any number of positional arguments (min/max). */
  variadic?: boolean;
  /** What kind of value a call makes (arithmetic calls are evaluated at once). */
  group: "arithmetic" | "distribution" | "schedule" | "backbone" | "head" | "regularizer" | "input" | "init" | "action";
}

export const FUNCTIONS: Record<string, FunctionSpec> = {
  // arithmetic (evaluated)
  min: { params: [], variadic: true, group: "arithmetic" },
  max: { params: [], variadic: true, group: "arithmetic" },
  abs: { params: [{ name: "x" }], group: "arithmetic" },
  round: { params: [{ name: "x" }], group: "arithmetic" },
  floor: { params: [{ name: "x" }], group: "arithmetic" },
  ceil: { params: [{ name: "x" }], group: "arithmetic" },
  sqrt: { params: [{ name: "x" }], group: "arithmetic" },
  log: { params: [{ name: "x" }], group: "arithmetic" },
  exp: { params: [{ name: "x" }], group: "arithmetic" },
  // distributions over t in (0, 1]
  uniform: { params: [{ name: "low" }, { name: "high" }], group: "distribution" },
  logit_normal: { params: [{ name: "mean", default: 0 }, { name: "std", default: 1 }], group: "distribution" },
  shifted: { params: [{ name: "base" }, { name: "shift" }], group: "distribution" },
  constant: { params: [{ name: "value" }], group: "distribution" },
  // schedules (loss weights, learning rates)
  linear_warmup: { params: [{ name: "value" }, { name: "steps" }], group: "schedule" },
  cosine_warmup: { params: [{ name: "value" }, { name: "steps" }], group: "schedule" },
  cosine: { params: [{ name: "value" }, { name: "final", default: 0 }, { name: "warmup", default: 0 }], group: "schedule" },
  // discriminator backbones
  ema: { params: [{ name: "of" }, { name: "decay" }], group: "backbone" },
  copy: { params: [{ name: "of" }], group: "backbone" },
  // discriminator heads (their arguments: compiler/plan/heads.ts)
  ...Object.fromEntries(
    Object.entries(HEAD_ARGS).map(([kind, args]) => [kind, { params: Object.entries(args).map(([name, a]) => ({ name, default: a.default })), group: "head" as const }]),
  ),
  // regularisers (their settings: the loss table, compiler/plan/losses.ts; the weight defaults to 1)
  ...Object.fromEntries(
    REGULARIZERS.map((kind) => [kind, { params: [...regularizerArgs(kind).map((a) => ({ name: a.name, default: a.default })), { name: "weight", default: 1 }], group: "regularizer" as const }]),
  ),
  // generator inputs
  noise: { params: [], group: "input" },
  noised_real: { params: [{ name: "s" }], group: "input" },
  // initialisation
  checkpoint: { params: [{ name: "path" }], group: "init" },
  // phase entry actions
  reset_optimizer: { params: [{ name: "role" }], group: "action" },
  freeze: { params: [{ name: "role" }], group: "action" },
  unfreeze: { params: [{ name: "role" }], group: "action" } };
