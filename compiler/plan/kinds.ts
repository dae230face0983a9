// Every closed set of names the plan uses, each defined once. The schema (schema.ts), the compiler's
// lowering and checks, the memory estimate, the runtime's registries and the CLI all derive from these
// tables; a runtime registry typed `Record<Kind, ...>` makes a kind without an implementation a type
// error. The first entry of a list is not a default: defaults live where the language documents them
// (compiler/lower.ts).

// ---- world ----
export const WORLD_KINDS = ["sprites", "video_latent"] as const;
export const SPRITE_SHAPES = ["square", "disc", "cross", "triangle"] as const;
export const BACKGROUNDS = ["flat", "gradient", "noise"] as const;
export const SECOND_SPRITE_MOTIONS = ["free", "static", "none"] as const;

// ---- networks (head kinds: heads.ts, each with its arguments and parameters) ----
export const POSITIONS = ["rope3d", "sincos", "learned"] as const;
export const PREDICTIONS = ["x0", "velocity"] as const;
export const MODULATIONS = ["per_block", "shared"] as const;
export const STUDENT_INITS = ["teacher", "scratch"] as const;
export const FAKE_SCORE_KINDS = ["lora", "copy"] as const;
export const FAKE_SCORE_INITS = ["zero", "teacher"] as const;
export const BACKBONE_KINDS = ["ema", "teacher", "copy", "fake_score"] as const;
export const ADVERSARIAL_LOSSES = ["hinge", "non_saturating", "relativistic"] as const;

// ---- training ----

// loss kinds, their settings and what they read and train: losses.ts
export const DISTANCES = ["l2", "huber"] as const;
export const OPTIMIZER_KINDS = ["adam", "adamw", "rmsprop"] as const;
export const ACTIONS = ["reset_optimizer", "freeze", "unfreeze"] as const;

// ---- machine, evaluation ----
/** Runtimes a plan can ask for; `auto` lets the runtime pick (docs/runtime.md). */
export const BACKENDS = ["auto", "tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu"] as const;
export type Backend = (typeof BACKENDS)[number];
export const PRECISIONS = ["bf16", "fp32"] as const;
export const SHARDINGS = ["none", "fsdp"] as const;
export const METRICS = ["semantic_alignment", "temporal_coherence", "frame_quality"] as const;

/** Whether `name` is one of `kinds` (narrowing). */
export function isKind<const K extends readonly string[]>(kinds: K, name: string): name is K[number] {
  return (kinds as readonly string[]).includes(name);
}
