// The loss kinds, each defined once: the settings a loss block takes (with their bounds, defaults and
// the role each names), whether it reads the frozen teacher, whom it trains, what it costs per update
// and how `vpae plan` describes it. The plan schema (one object per kind), lowering, the language's
// regularizer functions, the compiler's role checks, the memory estimate, the plan hash's role sets and
// the plan view derive from these tables; the term itself is the runtime's (`TERMS` in
// runtime/engine/objectives.ts, a Record over the same kinds). docs/contributing.md: adding a loss.
import { DISTANCES } from "./kinds.js";
import type { Distribution, Loss } from "./schema.js";

/** What a role setting names: the teacher or the student, a fake score, or a discriminator. */
export type RefTarget = "model" | "fake_score" | "discriminator";

/** What a setting's default may depend on: the experiment's roles. */
export interface RoleContext {
  /** The teacher sampler's guidance (1 without a teacher). */
  teacherGuidance: number;
  /** The teacher sampler's steps (undefined without a teacher). */
  teacherSteps: number | undefined;
  /** The teacher is trained here (init = scratch). */
  teacherFromScratch: boolean;
  fakeScores: readonly string[];
  discriminators: readonly string[];
}

/** A role the loss names (a plan string; "" when missing and reported). */
export interface RefSetting {
  readonly type: "ref";
  readonly target: RefTarget;
  readonly default: (c: RoleContext) => string | undefined;
}
/** A number; bounds are inclusive (min, max) or exclusive (above, below). */
export interface NumSetting {
  readonly type: "num";
  readonly int?: true;
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  readonly below?: number;
  readonly default: number | ((c: RoleContext) => number);
  readonly description?: string;
}
/** A distribution over t in (0, 1]. */
export interface DistSetting {
  readonly type: "dist";
  readonly default: Distribution;
}
export interface ChoiceSetting {
  readonly type: "choice";
  readonly values: readonly string[];
  readonly default: string;
}
/** Times in [0, 1], at least two, strictly descending. */
export interface TimesSetting {
  readonly type: "times";
  readonly default: readonly number[];
  readonly description: string;
}
export type Setting = RefSetting | NumSetting | DistSetting | ChoiceSetting | TimesSetting;

interface LossSpec {
  /** It evaluates the frozen teacher's weights. */
  readonly teacher: boolean;
  /** "student", or the key of the role setting naming what it trains. */
  readonly trains: "student" | "role" | "discriminator";
  /**
   * Its settings besides `weight`, in plan order. Plan keys are camelCase; the language spells each
   * in snake_case (`minT` is `min_t`).
   */
  readonly settings: Readonly<Record<string, Setting>>;
}

const onlyOne = (names: readonly string[]): string | undefined => (names.length === 1 ? names[0] : undefined);
const theFakeScore: RefSetting = { type: "ref", target: "fake_score", default: (c) => onlyOne(c.fakeScores) };
const theDiscriminator: RefSetting = { type: "ref", target: "discriminator", default: (c) => onlyOne(c.discriminators) };
const teacherGuidance: NumSetting = { type: "num", min: 0, default: (c) => c.teacherGuidance };
const logitNormal: Distribution = { kind: "logit_normal", mean: 0, std: 1 };

export const LOSSES = {
  flow_matching: {
    teacher: false,
    trains: "role",
    settings: {
      role: { type: "ref", target: "model", default: (c) => (c.teacherFromScratch ? "teacher" : "student") },
      t: { type: "dist", default: logitNormal },
      // 0.3: the second calibration probe's clamp (our choice; 0.05 gave t < 0.1 up to 400x the weight of t ~ 1)
      minT: { type: "num", above: 0, max: 1, default: 0.3, description: "With x0 prediction the v-loss is |x0_hat - x0|^2 / max(t, minT)^2: the clamp keeps nearly clean clips from dominating." },
    },
  },
  vsd: {
    teacher: true,
    trains: "student",
    settings: { fake: theFakeScore, guidance: teacherGuidance, t: { type: "dist", default: { kind: "uniform", low: 0.02, high: 0.98 } } },
  },
  dmd: {
    teacher: true,
    trains: "student",
    settings: { fake: theFakeScore, guidance: teacherGuidance, t: { type: "dist", default: { kind: "uniform", low: 0.02, high: 0.98 } } },
  },
  // SiD (score identity distillation); alpha 1.2: the SiD paper's recommended value
  sid: {
    teacher: true,
    trains: "student",
    settings: {
      fake: theFakeScore,
      guidance: teacherGuidance,
      t: { type: "dist", default: { kind: "uniform", low: 0.02, high: 0.98 } },
      alpha: { type: "num", default: 1.2, description: "Weight of the score-identity term: loss = (1 - alpha) |d|^2 + d . (x0_fake - x), d = x0_teacher - x0_fake." },
    },
  },
  diffusion: {
    teacher: true,
    trains: "role",
    settings: {
      role: theFakeScore,
      t: { type: "dist", default: logitNormal },
      // the teacher's clamp, so that a zero-initialised LoRA starts from the loss the teacher was trained on
      minT: { type: "num", above: 0, max: 1, default: 0.3, description: "As flow_matching's minT: the fake score is trained with the teacher's loss on generator samples." },
    },
  },
  gan_generator: { teacher: false, trains: "student", settings: { discriminator: theDiscriminator } },
  gan_discriminator: { teacher: false, trains: "discriminator", settings: { discriminator: theDiscriminator } },
  gan_mismatch: { teacher: false, trains: "discriminator", settings: { discriminator: theDiscriminator } },
  r1: { teacher: false, trains: "discriminator", settings: { discriminator: theDiscriminator } },
  approx_r1: {
    teacher: false,
    trains: "discriminator",
    settings: { discriminator: theDiscriminator, sigma: { type: "num", above: 0, default: 0.01 } },
  },
  str1: {
    teacher: false,
    trains: "discriminator",
    settings: {
      discriminator: theDiscriminator,
      sigmaSpatial: { type: "num", above: 0, default: 0.01 },
      sigmaTemporal: { type: "num", above: 0, default: 0.1 },
    },
  },
  // t' below 0.5 by default: re-noised further, the teacher's estimate is the blurred mean of the clip's
  // possible futures and the term pulls the student toward blur (docs/language.md, section 14)
  c_sds: {
    teacher: true,
    trains: "student",
    settings: { t: { type: "dist", default: { kind: "uniform", low: 0.02, high: 0.5 } }, guidance: { type: "num", min: 0, default: 1 } },
  },
  sds: {
    teacher: true,
    trains: "student",
    settings: { t: { type: "dist", default: { kind: "uniform", low: 0.02, high: 0.5 } }, guidance: { type: "num", min: 0, default: 1 } },
  },
  consistency: {
    teacher: true,
    trains: "student",
    settings: {
      edges: { type: "times", default: [1, 0], description: "Phase edges, descending 1 -> 0 (PCM); [1, 0] is plain CD." },
      solverSteps: { type: "num", int: true, min: 1, default: 1, description: "Teacher ODE steps per consistency step (LCM skip)." },
      guidance: teacherGuidance,
      targetDecay: { type: "num", min: 0, below: 1, default: 0.95, description: "EMA decay of the target network (0: stop-gradient of the online student)." },
      distance: { type: "choice", values: DISTANCES, default: "huber" },
    },
  },
  regression: {
    teacher: true,
    trains: "student",
    settings: {
      teacherSteps: { type: "num", int: true, min: 1, default: (c) => c.teacherSteps ?? 50 },
      guidance: teacherGuidance,
      distance: { type: "choice", values: DISTANCES, default: "l2" },
    },
  },
} as const satisfies Record<string, LossSpec>;

export type LossKind = keyof typeof LOSSES;
export const LOSS_KINDS = Object.keys(LOSSES) as LossKind[];

/** The settings of a kind, typed for any kind. */
export function lossSettings(kind: LossKind): Readonly<Record<string, Setting>> {
  return LOSSES[kind].settings;
}

/** The language's spelling of a plan key: minT -> min_t. */
export function languageKey(planKey: string): string {
  return planKey.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Loss kinds that evaluate the frozen teacher's weights. */
export function readsTeacher(kind: LossKind): boolean {
  return LOSSES[kind].teacher;
}

/** The loss kinds a discriminator's `regularizer` can name (each is also a loss kind of its own). */
export const REGULARIZERS = ["r1", "approx_r1", "str1"] as const satisfies readonly LossKind[];

/** A regularizer's settings besides the discriminator it belongs to (the arguments of its language function, before `weight`). */
export function regularizerArgs(kind: (typeof REGULARIZERS)[number]): { key: string; name: string; default: number }[] {
  return Object.entries(lossSettings(kind)).flatMap(([key, s]) => (s.type === "num" && typeof s.default === "number" ? [{ key, name: languageKey(key), default: s.default }] : []));
}

/** The roles a loss names: each role setting's key, target and value, and whether the loss trains it. */
export function lossRefs(l: Loss): { key: string; target: RefTarget; name: string; trained: boolean }[] {
  const settings = lossSettings(l.kind);
  const values = l as unknown as Record<string, unknown>;
  return Object.entries(settings).flatMap(([key, s]) => (s.type === "ref" ? [{ key, target: s.target, name: values[key] as string, trained: LOSSES[l.kind].trains === key }] : []));
}

/** The role a loss term updates. */
export function trainedRole(l: Loss): string {
  const trains = LOSSES[l.kind].trains;
  return trains === "student" ? "student" : ((l as unknown as Record<string, string>)[trains] ?? "");
}

// ---- what a term costs, and how `vpae plan` shows it ----

/** Network evaluations of teacher-sized networks per generator update, by who makes them. */
export interface Calls {
  teacher: number;
  fakeScore: number;
  discriminator: number;
}

interface LossCost<K extends LossKind> {
  /** Teacher-sized network evaluations per generator update; `updates(role)` is a role's updates per generator update. */
  calls: (l: Extract<Loss, { kind: K }>, updates: (role: string) => number) => Partial<Calls>;
  /**
   * Forward+backward passes through a backbone-sized network: `generator` in the generator's update,
   * `critic` in the update of the role it trains. A discriminator's critic passes count only when its
   * backbone is a trained copy (a head alone is small).
   */
  backward?: { generator?: number; critic?: number };
  /** What `vpae plan` shows besides the roles, guidance, t and weight. */
  detail?: (l: Extract<Loss, { kind: K }>, n: (x: number) => string) => string;
}

/** Evaluations per guided call: classifier-free guidance evaluates twice. */
export const cfgCalls = (guidance: number): number => (guidance !== 1 ? 2 : 1);

export const LOSS_COSTS: { [K in LossKind]: LossCost<K> } = {
  flow_matching: { calls: () => ({}) },
  vsd: { calls: (l) => ({ teacher: cfgCalls(l.guidance), fakeScore: 1 }) },
  dmd: { calls: (l) => ({ teacher: cfgCalls(l.guidance), fakeScore: 1 }) },
  // its gradient reaches the student through the teacher's and the fake score's inputs
  sid: { calls: (l) => ({ teacher: cfgCalls(l.guidance), fakeScore: 1 }), backward: { generator: 2 }, detail: (l, n) => `alpha ${n(l.alpha)}` },
  diffusion: { calls: (l, updates) => ({ fakeScore: updates(l.role) }), backward: { critic: 1 } },
  gan_generator: { calls: () => ({ discriminator: 1 }), backward: { generator: 1 } },
  // real and fake
  gan_discriminator: { calls: (l, updates) => ({ discriminator: 2 * updates(l.discriminator) }), backward: { critic: 2 } },
  // real clips under a wrong prompt
  gan_mismatch: { calls: (l, updates) => ({ discriminator: updates(l.discriminator) }), backward: { critic: 2 } },
  r1: { calls: (l, updates) => ({ discriminator: updates(l.discriminator) }), backward: { critic: 3 } },
  approx_r1: { calls: (l, updates) => ({ discriminator: updates(l.discriminator) }), backward: { critic: 3 }, detail: (l, n) => `sigma ${n(l.sigma)}` },
  // spatial and temporal perturbations
  str1: { calls: (l, updates) => ({ discriminator: 2 * updates(l.discriminator) }), backward: { critic: 4 }, detail: (l, n) => `sigma ${n(l.sigmaSpatial)}/${n(l.sigmaTemporal)}` },
  c_sds: { calls: (l) => ({ teacher: cfgCalls(l.guidance) }) },
  sds: { calls: (l) => ({ teacher: cfgCalls(l.guidance) }) },
  consistency: { calls: (l) => ({ teacher: l.solverSteps * cfgCalls(l.guidance) }), detail: (l, n) => `edges ${l.edges.map(n).join("/")}` },
  regression: { calls: (l) => ({ teacher: l.teacherSteps * cfgCalls(l.guidance) }) },
};

/** The cost entry of a loss's kind, typed for any loss. */
export function lossCost(l: Loss): LossCost<LossKind> {
  return LOSS_COSTS[l.kind] as unknown as LossCost<LossKind>;
}
