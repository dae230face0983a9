// THE contract between the compiler and the runtime. One definition gives both the JSON Schema
// (docs/plan.schema.json, generated) and the TypeScript types (`Static<...>`), so they cannot drift.
// Every value is resolved: the runtime never invents a default. Invariants are stated per field.
import { Type as T, type Static, type TBoolean, type TInteger, type TLiteral, type TObject, type TSchema } from "@sinclair/typebox";

import * as K from "./kinds.js";
import { HEAD_ARGS, HEAD_KINDS, type BoolArg, type HeadKind, type IntArg } from "./heads.js";
import { LOSSES, LOSS_KINDS, lossSettings, type LossKind, type Setting } from "./losses.js";
import { PLAN_FORMAT_VERSION } from "./version.js";
export { PLAN_FORMAT_VERSION };

const Int = (opts: { minimum?: number; maximum?: number; description?: string } = {}) => T.Integer(opts);
const Num = (opts: { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number; description?: string } = {}) =>
  T.Number(opts);
/** A string enum as one `enum` keyword (smaller and faster to validate than anyOf of consts). */
const Enum = <const V extends readonly string[]>(values: V, opts: { description?: string } = {}) =>
  T.Unsafe<V[number]>({ type: "string", enum: [...values], ...opts });
const Obj = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  T.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

// ---- distributions over (0, 1] and schedules ----
const BaseDistributions = [
  Obj({ kind: T.Literal("constant"), value: Num({ exclusiveMinimum: 0, maximum: 1 }) }),
  Obj({ kind: T.Literal("uniform"), low: Num({ minimum: 0, maximum: 1 }), high: Num({ exclusiveMinimum: 0, maximum: 1 }) }, "Samples t in (low, high]."),
  Obj({ kind: T.Literal("logit_normal"), mean: Num(), std: Num({ exclusiveMinimum: 0 }) }, "t = sigmoid(mean + std * n)."),
  Obj({ kind: T.Literal("discrete"), values: T.Array(Num({ exclusiveMinimum: 0, maximum: 1 }), { minItems: 1 }) }, "Uniform over the listed times."),
] as const;
export const BaseDistribution = T.Union([...BaseDistributions]);
export const DistributionSchema = T.Union([
  ...BaseDistributions,
  Obj({ kind: T.Literal("shifted"), shift: Num({ exclusiveMinimum: 0 }), base: BaseDistribution }, "t' = shift*t / (1 + (shift-1)*t) applied to a sample of base."),
]);
export type Distribution = Static<typeof DistributionSchema>;
/** Where a distribution appears, the schema refers to the one definition in $defs. */
const Distribution = T.Unsafe<Distribution>({ $ref: "#/$defs/Distribution" });

export const ScheduleSchema = T.Union([
  Obj({ kind: T.Literal("constant"), value: Num({ minimum: 0 }) }),
  Obj({ kind: T.Literal("linear_warmup"), value: Num({ minimum: 0 }), steps: Int({ minimum: 1 }) }, "Rises linearly from 0 to value over `steps` steps of the phase."),
  Obj({ kind: T.Literal("cosine_warmup"), value: Num({ minimum: 0 }), steps: Int({ minimum: 1 }) }),
  Obj(
    { kind: T.Literal("cosine"), value: Num({ minimum: 0 }), final: Num({ minimum: 0 }), warmup: Int({ minimum: 0 }) },
    "Linear warm-up over `warmup` steps, then cosine decay to `final` at the end of the phase.",
  ),
]);
export type Schedule = Static<typeof ScheduleSchema>;
const Schedule = T.Unsafe<Schedule>({ $ref: "#/$defs/Schedule" });

// ---- models ----
export const Architecture = Obj({
  kind: T.Literal("dit"),
  width: Int({ minimum: 1 }),
  depth: Int({ minimum: 1 }),
  heads: Int({ minimum: 1 }),
  mlpRatio: Num({ exclusiveMinimum: 0 }),
  patch: Obj({ frames: Int({ minimum: 1 }), height: Int({ minimum: 1 }), width: Int({ minimum: 1 }) }),
  position: Enum(K.POSITIONS),
  prediction: Enum(K.PREDICTIONS, { description: "What the network outputs; the loss is always on velocity." }),
  textDim: Int({ minimum: 0, description: "Width of prompt embeddings fed by cross-attention (0: class embedding only)." }),
  crossAttention: T.Boolean(),
  modulation: Enum(K.MODULATIONS, {
    description: "adaLN modulation: per_block (DiT: each block maps the condition to its 6 vectors) or shared (Wan2.1: one shared projection plus a table per block).",
  }),
  parameters: Int({ minimum: 0, description: "Parameter count computed by the compiler from the sizes (informative)." }),
});
export type Architecture = Static<typeof Architecture>;

export const Sampler = Obj({
  steps: Int({ minimum: 1 }),
  timesteps: T.Array(Num({ minimum: 0, maximum: 1 }), { description: "Explicit times, descending from <= 1, one more than steps (ends at 0)." }),
  shift: Num({ exclusiveMinimum: 0 }),
  guidance: Num({ minimum: 0, description: "Classifier-free guidance scale; 1 means no guidance (one call per step)." }),
  nfe: Int({ minimum: 1, description: "Network evaluations per sample: steps x (2 if guidance != 1 else 1)." }),
});
export type Sampler = Static<typeof Sampler>;

// ---- world ----
export const World = T.Union([
  Obj(
    {
      kind: T.Literal("sprites"),
      frames: Int({ minimum: 2 }),
      height: Int({ minimum: 4 }),
      width: Int({ minimum: 4 }),
      channels: T.Literal(3),
      sprites: Obj({ min: Int({ minimum: 1 }), max: Int({ minimum: 1 }) }),
      spriteSize: Obj({ min: Int({ minimum: 1 }), max: Int({ minimum: 1 }) }),
      shapes: T.Array(Enum(K.SPRITE_SHAPES), { minItems: 1 }),
      palette: T.Integer({ minimum: 2, description: "Number of distinct sprite colours." }),
      background: Enum(K.BACKGROUNDS),
      directions: T.Union([T.Literal(2), T.Literal(4), T.Literal(8)], { description: "Motion directions the prompt can name." }),
      speeds: T.Array(Int({ minimum: 0 }), { minItems: 1, description: "Pixels per frame; the prompt leaves the speed open." }),
      secondSprite: Enum(K.SECOND_SPRITE_MOTIONS, {
        description: "Motion of the second sprite, which the prompt does not name (free = random direction).",
      }),
      wrap: T.Boolean(),
      trainClips: Int({ minimum: 1, description: "Clips per epoch of the procedural stream (the stream never repeats a seed)." }),
      evalClips: Int({ minimum: 1 }),
    },
    "A procedural image-to-video world; deterministic from the experiment seed.",
  ),
  Obj(
    {
      kind: T.Literal("video_latent"),
      frames: Int({ minimum: 1 }),
      height: Int({ minimum: 1 }),
      width: Int({ minimum: 1 }),
      channels: Int({ minimum: 1 }),
      dataset: T.String({ description: "Describes the data; vpae cannot load it (compile/plan only)." }),
    },
    "Shape of an external latent video data set, for planning at paper scale; not runnable.",
  ),
]);
export type World = Static<typeof World>;

// ---- roles ----
export const Teacher = Obj({
  arch: Architecture,
  init: T.Union([Obj({ kind: T.Literal("scratch") }), Obj({ kind: T.Literal("checkpoint"), path: T.String({ minLength: 1 }) })]),
  sampler: Sampler,
  condDropout: Num({ minimum: 0, maximum: 1, description: "Probability of replacing the prompt by the null prompt in training (for CFG); the image condition is always kept." }),
});
export const Student = Obj({
  init: Enum(K.STUDENT_INITS),
  sampler: Sampler,
});
export const FakeScore = Obj({
  name: T.String(),
  kind: Enum(K.FAKE_SCORE_KINDS),
  rank: Int({ minimum: 0, description: "LoRA rank (0 for a full copy)." }),
  alpha: Num({ minimum: 0 }),
  init: Enum(K.FAKE_SCORE_INITS, { description: "zero: LoRA B matrix zero, so the fake score equals the teacher at step 0." }),
});
export const Backbone = T.Union([
  Obj({ kind: T.Literal("ema"), of: T.Literal("student"), decay: Num({ exclusiveMinimum: 0, exclusiveMaximum: 1 }) }, "V-PAE self-discriminator: reads the EMA of the generator's weights."),
  Obj({ kind: T.Literal("teacher") }, "The frozen teacher."),
  Obj({ kind: T.Literal("copy"), of: T.Literal("teacher") }, "A trainable copy initialised from the teacher (APT)."),
  Obj({ kind: T.Literal("fake_score"), name: T.String() }, "The fake-score network (DMD2)."),
]);
type ArgSchema<A> = A extends { type: "int" } ? TInteger : TBoolean;
type HeadSchema<K extends HeadKind> = TObject<{ kind: TLiteral<K> } & { -readonly [P in keyof (typeof HEAD_ARGS)[K]]: ArgSchema<(typeof HEAD_ARGS)[K][P]> }>;
type AnyHeadSchema = { [K in HeadKind]: HeadSchema<K> }[HeadKind];

/** The plan schema of one head kind: its tag and its arguments. */
function headSchema<K extends HeadKind>(kind: K): HeadSchema<K> {
  const props: Record<string, unknown> = { kind: T.Literal(kind) };
  for (const [name, arg] of Object.entries(HEAD_ARGS[kind] as Record<string, IntArg | BoolArg>)) {
    props[name] = arg.type === "int" ? T.Integer({ minimum: 1 }) : T.Boolean({ description: arg.description });
  }
  return T.Object(props as never, { additionalProperties: false }) as unknown as HeadSchema<K>;
}

/** One object per head kind, from the head table (compiler/plan/heads.ts). */
export const Head = T.Union(HEAD_KINDS.map((k) => headSchema(k)) as AnyHeadSchema[]);
export const AdversarialLoss = Enum(K.ADVERSARIAL_LOSSES);
export const Discriminator = Obj({
  name: T.String(),
  backbone: Backbone,
  taps: T.Array(Int({ minimum: 0 }), { minItems: 1 }),
  head: Head,
  loss: AdversarialLoss,
  t: Distribution,
  sharedT: T.Boolean({ description: "Real and fake inputs are noised with the same t." }),
  sharedNoise: T.Boolean({ description: "Real and fake inputs are noised with the same eps." }),
});
export type Discriminator = Static<typeof Discriminator>;

// ---- losses (one object per kind, from the loss table: compiler/plan/losses.ts) ----
type SettingValue<S> = S extends { type: "ref" }
  ? string
  : S extends { type: "num" }
    ? number
    : S extends { type: "dist" }
      ? Distribution
      : S extends { type: "choice"; values: readonly (infer V extends string)[] }
        ? V
        : S extends { type: "times" }
          ? number[]
          : never;
type LossSettings<K extends LossKind> = (typeof LOSSES)[K]["settings"];
type LossOf<K extends LossKind> = { name: string; kind: K } & { -readonly [P in keyof LossSettings<K>]: SettingValue<LossSettings<K>[P]> } & { weight: Schedule };
type Flat<O> = { [P in keyof O]: O[P] };
/** A loss term of the plan: name, kind, the kind's settings (compiler/plan/losses.ts), weight. */
export type Loss = { [K in LossKind]: Flat<LossOf<K>> }[LossKind];

function settingSchema(s: Setting): TSchema {
  const description = "description" in s && s.description ? { description: s.description } : {};
  switch (s.type) {
    case "ref":
      return T.String();
    case "num": {
      const bounds = {
        ...(s.min !== undefined ? { minimum: s.min } : {}),
        ...(s.above !== undefined ? { exclusiveMinimum: s.above } : {}),
        ...(s.max !== undefined ? { maximum: s.max } : {}),
        ...(s.below !== undefined ? { exclusiveMaximum: s.below } : {}),
        ...description,
      };
      return s.int ? Int(bounds) : Num(bounds);
    }
    case "dist":
      return Distribution;
    case "choice":
      return Enum(s.values);
    case "times":
      return T.Array(Num({ minimum: 0, maximum: 1 }), { minItems: 2, ...description });
  }
}

/** The plan schema of one loss kind: name, tag, its settings in plan order, weight. */
function lossSchema(kind: LossKind): TSchema {
  const props: Record<string, TSchema> = { name: T.String(), kind: T.Literal(kind) };
  for (const [key, s] of Object.entries(lossSettings(kind))) props[key] = settingSchema(s);
  props["weight"] = Schedule;
  return Obj(props);
}

export const LossSchema = T.Unsafe<Loss>(T.Union(LOSS_KINDS.map((k) => lossSchema(k))));
const Loss = T.Unsafe<Loss>({ $ref: "#/$defs/Loss" });

export const Optimizer = Obj({
  role: T.String(),
  kind: Enum(K.OPTIMIZER_KINDS),
  lr: Schedule,
  betas: T.Tuple([Num({ minimum: 0, exclusiveMaximum: 1 }), Num({ minimum: 0, exclusiveMaximum: 1 })]),
  eps: Num({ exclusiveMinimum: 0 }),
  weightDecay: Num({ minimum: 0 }),
  gradClip: T.Union([Num({ exclusiveMinimum: 0 }), T.Null()], { description: "Global-norm clip; null: no clipping." }),
});
export type Optimizer = Static<typeof Optimizer>;

export const Action = Obj({ action: Enum(K.ACTIONS), role: T.String() });

export const Phase = Obj({
  name: T.String({ minLength: 1 }),
  hash: T.String({ description: "Chained content hash: this phase and what it depends on (world, seed, teacher, student, earlier phases, the roles its losses use)." }),
  steps: Int({ minimum: 1, description: "Cycles; one cycle runs every role's `updates` count of optimizer steps." }),
  batch: Int({ minimum: 1 }),
  input: T.Union([
    Obj({ kind: T.Literal("noise") }, "Generator input is pure Gaussian noise at t = 1."),
    Obj({ kind: T.Literal("noised_real"), s: Distribution }, "Generator input is a real clip noised to s."),
  ]),
  optimizers: T.Array(Optimizer),
  updates: T.Array(Obj({ role: T.String(), count: Int({ minimum: 1 }) }), { description: "Per cycle, in execution order." }),
  losses: T.Array(Loss, { minItems: 1 }),
  ema: T.Array(Obj({ role: T.String(), decay: Num({ exclusiveMinimum: 0, exclusiveMaximum: 1 }) })),
  onEnter: T.Array(Action),
  trains: T.Array(T.String(), { description: "Roles updated in this phase (derived: roles with an optimizer)." }),
});
export type Phase = Static<typeof Phase>;

export const Hardware = Obj(
  {
    gpus: Int({ minimum: 1 }),
    memoryGb: Num({ exclusiveMinimum: 0 }),
    precision: Enum(K.PRECISIONS),
    sharding: Enum(K.SHARDINGS),
    checkpointing: T.Boolean({ description: "Activation checkpointing per transformer block." }),
    sequenceParallel: T.Boolean({ description: "The token sequence is split across the GPUs (activations divide by gpus)." }),
  },
  "Used only by `vpae plan`'s memory estimate; never by the runtime.",
);

export const SourceLocation = Obj({ file: T.String(), line: Int({ minimum: 1 }), col: Int({ minimum: 1 }), endLine: Int({ minimum: 1 }), endCol: Int({ minimum: 1 }) });
export type SourceLocation = Static<typeof SourceLocation>;

export const Plan = Obj({
  formatVersion: T.Literal(PLAN_FORMAT_VERSION),
  compilerVersion: T.String(),
  hash: T.String({
    description: "Content hash (compiler/plan/hash.ts): the chained phase hashes plus the canonical JSON of every other content field; excludes hash, compilerVersion, experiment, source, sweep and sourceMap.",
  }),
  experiment: T.String({ minLength: 1 }),
  source: Obj({ file: T.String(), experiment: T.String() }),
  sweep: T.Union([T.Null(), Obj({ name: T.String(), member: T.String(), index: Int({ minimum: 0 }), changes: T.Array(Obj({ path: T.String(), value: T.Unknown() })) })]),
  seed: Int({ minimum: 0 }),
  backend: Enum(K.BACKENDS),
  world: World,
  teacher: T.Union([Teacher, T.Null()]),
  student: T.Union([Student, T.Null()]),
  fakeScores: T.Array(FakeScore),
  discriminators: T.Array(Discriminator),
  phases: T.Array(Phase, { minItems: 1 }),
  eval: Obj({
    every: Int({ minimum: 0, description: "Evaluate every N steps of each phase and at its end; 0: only at the end of the run." }),
    samples: Int({ minimum: 1 }),
    nfe: T.Array(Int({ minimum: 1 }), { minItems: 1 }),
    metrics: T.Array(Enum(K.METRICS), { minItems: 1 }),
  }),
  checkpoint: Obj({ every: Int({ minimum: 0 }), keep: Int({ minimum: 1 }) }),
  hardware: T.Union([Hardware, T.Null()]),
  sourceMap: T.Record(T.String(), SourceLocation, { description: "JSON pointer of a plan value -> the .vpae range that set it." }),
});

export type Plan = Static<typeof Plan>;
export type Teacher = Static<typeof Teacher>;
export type Student = Static<typeof Student>;
export type FakeScore = Static<typeof FakeScore>;
export type Head = Static<typeof Head>;
export type Backbone = Static<typeof Backbone>;

/** The full JSON Schema document (written to docs/plan.schema.json). */
export function planJsonSchema(): Record<string, unknown> {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://vpae.dev/plan.schema.json",
    title: "vpae execution plan",
    ...(JSON.parse(JSON.stringify(Plan)) as Record<string, unknown>),
    $defs: {
      Distribution: JSON.parse(JSON.stringify(DistributionSchema)) as unknown,
      Schedule: JSON.parse(JSON.stringify(ScheduleSchema)) as unknown,
      Loss: JSON.parse(JSON.stringify(LossSchema)) as unknown,
    },
  };
}

// Some unions above spell their kinds as literals (one object shape per kind); these lines make the
// compiler check that they are exactly the kinds of kinds.ts and heads.ts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const kindsAgree: [
  Same<Head["kind"], HeadKind>,
  Same<Backbone["kind"], (typeof K.BACKBONE_KINDS)[number]>,
  Same<World["kind"], (typeof K.WORLD_KINDS)[number]>,
] = [true, true, true];
void kindsAgree;
