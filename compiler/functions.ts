// Every function the language can call. Arithmetic helpers are evaluated at compile time; constructors
// (distributions, schedules, heads, ...) become call values that lowering interprets by kind.

export interface ParamSpec {
  name: string;
  /** Absent: required. */
  default?: number | boolean | string | null;
}

export interface FunctionSpec {
  params: ParamSpec[];
  /** One line for docs/language.md. */
  doc: string;
  /** Accepts any number of positional arguments (min/max). */
  variadic?: boolean;
  /** Group in docs/language.md. */
  group: "arithmetic" | "distribution" | "schedule" | "backbone" | "head" | "regularizer" | "input" | "init" | "action";
}

export const FUNCTIONS: Record<string, FunctionSpec> = {
  // arithmetic (evaluated)
  min: { params: [], variadic: true, group: "arithmetic", doc: "Smallest of its arguments." },
  max: { params: [], variadic: true, group: "arithmetic", doc: "Largest of its arguments." },
  abs: { params: [{ name: "x" }], group: "arithmetic", doc: "Absolute value." },
  round: { params: [{ name: "x" }], group: "arithmetic", doc: "Nearest integer (halves away from zero)." },
  floor: { params: [{ name: "x" }], group: "arithmetic", doc: "Largest integer <= x." },
  ceil: { params: [{ name: "x" }], group: "arithmetic", doc: "Smallest integer >= x." },
  sqrt: { params: [{ name: "x" }], group: "arithmetic", doc: "Square root (x >= 0)." },
  log: { params: [{ name: "x" }], group: "arithmetic", doc: "Natural logarithm (x > 0)." },
  exp: { params: [{ name: "x" }], group: "arithmetic", doc: "e to the power x." },
  // distributions over t in (0, 1]
  uniform: { params: [{ name: "low" }, { name: "high" }], group: "distribution", doc: "t uniform in (low, high]." },
  logit_normal: { params: [{ name: "mean", default: 0 }, { name: "std", default: 1 }], group: "distribution", doc: "t = sigmoid(mean + std * n), n ~ N(0, 1)." },
  shifted: { params: [{ name: "base" }, { name: "shift" }], group: "distribution", doc: "Applies the timestep shift t' = s t / (1 + (s - 1) t) to samples of base." },
  constant: { params: [{ name: "value" }], group: "distribution", doc: "Always the same t (also: a plain number)." },
  // schedules (loss weights, learning rates)
  linear_warmup: { params: [{ name: "value" }, { name: "steps" }], group: "schedule", doc: "Rises linearly from 0 to value over the first `steps` steps of the phase." },
  cosine_warmup: { params: [{ name: "value" }, { name: "steps" }], group: "schedule", doc: "Rises from 0 to value along a half cosine over `steps` steps." },
  cosine: { params: [{ name: "value" }, { name: "final", default: 0 }, { name: "warmup", default: 0 }], group: "schedule", doc: "Linear warm-up, then cosine decay to `final` at the end of the phase." },
  // discriminator backbones
  ema: { params: [{ name: "of" }, { name: "decay" }], group: "backbone", doc: "The EMA of a role's weights (V-PAE's self-discriminator: ema(student, 0.995))." },
  copy: { params: [{ name: "of" }], group: "backbone", doc: "A trainable copy of a role, initialised from it (APT: copy(teacher))." },
  // discriminator heads
  conv: { params: [{ name: "width", default: 32 }], group: "head", doc: "Per-token MLP (1x1 convolution) on tapped features, averaged to one logit." },
  cross_attention: {
    params: [{ name: "queries", default: 4 }, { name: "width", default: 32 }, { name: "heads", default: 2 }],
    group: "head",
    doc: "Learnable queries cross-attend into the tapped features; one logit per clip.",
  },
  semantic: {
    params: [{ name: "queries", default: 4 }, { name: "width", default: 32 }, { name: "heads", default: 2 }, { name: "image", default: true }, { name: "prompt", default: true }],
    group: "head",
    doc: "V-PAE's head: queries joined with first-frame image and prompt embeddings, self-attention, then cross-attention into the features.",
  },
  // regularisers
  r1: { params: [{ name: "weight", default: 1 }], group: "regularizer", doc: "Exact R1 gradient penalty on real inputs." },
  approx_r1: { params: [{ name: "sigma", default: 0.01 }, { name: "weight", default: 1 }], group: "regularizer", doc: "Finite-difference R1: ||D(x) - D(x + sigma n)||^2 on real inputs (APT)." },
  str1: {
    params: [{ name: "sigma_spatial", default: 0.01 }, { name: "sigma_temporal", default: 0.1 }, { name: "weight", default: 1 }],
    group: "regularizer",
    doc: "V-PAE's spatio-temporal finite-difference R1: per-pixel noise (sigma_spatial) plus per-frame noise (sigma_temporal).",
  },
  // generator inputs
  noise: { params: [], group: "input", doc: "Pure Gaussian noise at t = 1 (what the student sees at inference)." },
  noised_real: { params: [{ name: "s" }], group: "input", doc: "A real clip noised to s (stability priming: noised_real(uniform(0.9, 1.0)))." },
  // initialisation
  checkpoint: { params: [{ name: "path" }], group: "init", doc: "Weights from a safetensors file, relative to the .vpae file." },
  // phase entry actions
  reset_optimizer: { params: [{ name: "role" }], group: "action", doc: "Clears a role's optimizer state when the phase starts." },
  freeze: { params: [{ name: "role" }], group: "action", doc: "Freezes a role from this phase on." },
  unfreeze: { params: [{ name: "role" }], group: "action", doc: "Lifts an earlier freeze." },
};
