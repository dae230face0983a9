// Estimates of what a plan costs, from the plan alone: parameters and training memory per role, and
// network evaluations per generator update. Used by `vpae plan`; never by the runtime.
//
// Memory model (documented in docs/memory.md, all in bytes):
// - a frozen network holds its weights: P * w, where w = 2 (bf16) or 4 (fp32);
// - a trained network holds weights, gradients, an fp32 master copy (bf16 only) and optimizer state:
//   P * (w + w + (bf16 ? 4 : 0) + 8 for Adam/AdamW, 4 for RMSProp);
// - an EMA copy is kept in fp32: P * 4;
// - with sharding = fsdp, all of the above is split across the GPUs;
// - activations of one forward+backward pass through a DiT (per GPU, following Korthikanti et al.'s
//   per-layer count of 34 * s * b * h bytes at 2-byte precision, with flash attention): without
//   checkpointing L * 17 * s * b * h * a; with per-block checkpointing L * s * b * h * a for the stored
//   block inputs plus 17 * s * b * h * a for the block being recomputed; a = activation bytes;
//   with sequence parallelism the sequence is split across the GPUs;
// - the peak of a phase is the larger of its generator update and its critic updates (fake score,
//   discriminator), which run one after the other.
import type { Architecture, Discriminator, Phase, Plan } from "./plan/schema.js";
import { fakeScoreParameterCount } from "./plan/networks.js";
import { headParameterCount } from "./plan/heads.js";
import { lossCost, lossRefs, readsTeacher, trainedRole, type Calls } from "./plan/losses.js";

export interface RoleMemory {
  role: string;
  what: string;
  parameters: number;
  trainable: number;
  bytes: number;
}

export interface PhaseMemory {
  phase: string;
  /** Per GPU. */
  stateBytes: number;
  activationBytes: number;
  totalBytes: number;
  fits: boolean | null;
  roles: RoleMemory[];
  passes: { generator: number; critic: number };
}

export interface Hw {
  gpus: number;
  memoryGb: number | null;
  weightBytes: number;
  activationBytes: number;
  fsdp: boolean;
  checkpointing: boolean;
  sequenceParallel: boolean;
}

export function hardwareOf(plan: Pick<Plan, "hardware">): Hw {
  const h = plan.hardware;
  if (!h) return { gpus: 1, memoryGb: null, weightBytes: 4, activationBytes: 4, fsdp: false, checkpointing: false, sequenceParallel: false };
  const w = h.precision === "bf16" ? 2 : 4;
  return { gpus: h.gpus, memoryGb: h.memoryGb, weightBytes: w, activationBytes: w, fsdp: h.sharding === "fsdp", checkpointing: h.checkpointing, sequenceParallel: h.sequenceParallel };
}

export function tokensPerClip(plan: Pick<Plan, "world" | "teacher">): number {
  const p = plan.teacher?.arch.patch ?? { frames: 1, height: 1, width: 1 };
  return Math.ceil(plan.world.frames / p.frames) * Math.ceil(plan.world.height / p.height) * Math.ceil(plan.world.width / p.width);
}

function trainedBytesPerParam(hw: Hw, optimizer: string): number {
  const opt = optimizer === "rmsprop" ? 4 : 8;
  return hw.weightBytes * 2 + (hw.weightBytes === 2 ? 4 : 0) + opt;
}

/** Activation bytes of one forward+backward pass through the backbone, per GPU. */
export function passBytes(arch: Architecture, tokens: number, batchPerGpu: number, hw: Hw): number {
  const s = hw.sequenceParallel ? Math.ceil(tokens / hw.gpus) : tokens;
  const unit = s * batchPerGpu * arch.width * hw.activationBytes;
  return hw.checkpointing ? arch.depth * unit + 17 * unit : arch.depth * 17 * unit;
}

/** What the estimate reads of a plan (a plan body before hashing has it too). */
export type PlanShape = Pick<Plan, "teacher" | "student" | "fakeScores" | "discriminators" | "hardware" | "world">;

function usesTeacherWeights(plan: PlanShape, phase: Phase): boolean {
  return phase.losses.some((l) => readsTeacher(l.kind) || lossRefs(l).some((r) => r.target === "model" && r.name === "teacher")) ||
    phase.losses.some((l) => "discriminator" in l && plan.discriminators.find((d) => d.name === l.discriminator)?.backbone.kind === "teacher");
}

function discriminatorsOf(plan: PlanShape, phase: Phase): Discriminator[] {
  const names = new Set(phase.losses.flatMap((l) => ("discriminator" in l ? [l.discriminator] : [])));
  return plan.discriminators.filter((d) => names.has(d.name));
}

export function estimatePhase(plan: PlanShape, phase: Phase): PhaseMemory | null {
  const t = plan.teacher;
  if (!t) return null;
  const arch = t.arch;
  const P = arch.parameters;
  const hw = hardwareOf(plan);
  const shard = (b: number) => (hw.fsdp ? b / hw.gpus : b);
  const opt = (role: string) => phase.optimizers.find((o) => o.role === role)?.kind ?? "adam";
  const roles: RoleMemory[] = [];
  const trained = new Set(phase.trains);

  const teacherTrained = trained.has("teacher");
  if (usesTeacherWeights(plan, phase) || teacherTrained) {
    roles.push({ role: "teacher", what: teacherTrained ? "trained" : "frozen", parameters: P, trainable: teacherTrained ? P : 0, bytes: shard(P * (teacherTrained ? trainedBytesPerParam(hw, opt("teacher")) : hw.weightBytes)) });
  }
  if (plan.student && (trained.has("student") || phase.losses.some((l) => trainedRole(l) === "student"))) {
    roles.push({ role: "student", what: trained.has("student") ? "trained" : "frozen", parameters: P, trainable: trained.has("student") ? P : 0, bytes: shard(P * (trained.has("student") ? trainedBytesPerParam(hw, opt("student")) : hw.weightBytes)) });
  }
  const emaDecays = new Set<number>(phase.ema.filter((e) => e.role === "student").map((e) => e.decay));
  for (const d of discriminatorsOf(plan, phase)) if (d.backbone.kind === "ema") emaDecays.add(d.backbone.decay);
  for (const decay of emaDecays) roles.push({ role: `ema(student, ${decay})`, what: "fp32 EMA copy", parameters: P, trainable: 0, bytes: shard(P * 4) });
  const fakeNames = new Set(phase.losses.flatMap((l) => lossRefs(l).flatMap((r) => (r.target === "fake_score" ? [r.name] : []))));
  for (const d of discriminatorsOf(plan, phase)) if (d.backbone.kind === "fake_score") fakeNames.add(d.backbone.name);
  for (const f of plan.fakeScores.filter((x) => fakeNames.has(x.name))) {
    const n = fakeScoreParameterCount(arch, plan.world, f);
    const isTrained = trained.has(f.name);
    const extraWeights = f.kind === "copy" ? P * hw.weightBytes : n * hw.weightBytes;
    roles.push({ role: f.name, what: f.kind === "lora" ? `LoRA r${f.rank} on the teacher` : "full copy", parameters: n, trainable: isTrained ? n : 0, bytes: shard(isTrained ? n * trainedBytesPerParam(hw, opt(f.name)) : extraWeights) });
  }
  for (const d of discriminatorsOf(plan, phase)) {
    const head = headParameterCount(arch, plan.world, d);
    const isTrained = trained.has(d.name);
    const perParam = isTrained ? trainedBytesPerParam(hw, opt(d.name)) : hw.weightBytes;
    if (d.backbone.kind === "copy") {
      roles.push({ role: d.name, what: "trainable backbone copy + head", parameters: P + head, trainable: isTrained ? P + head : 0, bytes: shard((P + head) * perParam) });
    } else {
      const shared = d.backbone.kind === "ema" ? "EMA of the student" : d.backbone.kind === "teacher" ? "the frozen teacher" : `fake score ${d.backbone.kind === "fake_score" ? d.backbone.name : ""}`;
      roles.push({ role: d.name, what: `head on ${shared}`, parameters: head, trainable: isTrained ? head : 0, bytes: shard(head * perParam) });
    }
  }
  const stateBytes = roles.reduce((a, r) => a + r.bytes, 0);

  // Passes with a backward through a backbone-sized network, per update kind.
  let generator = 0;
  let critic = 0;
  if (trained.has("student")) generator += 1;
  if (teacherTrained) generator += 1;
  for (const l of phase.losses) {
    const backward = lossCost(l).backward ?? {};
    generator += backward.generator ?? 0;
    if (!backward.critic) continue;
    const d = lossRefs(l).find((r) => r.target === "discriminator" && r.trained);
    const disc = d && plan.discriminators.find((x) => x.name === d.name);
    if (!d || (disc && disc.backbone.kind === "copy" && trained.has(disc.name))) critic = Math.max(critic, backward.critic);
  }
  const batchPerGpu = Math.max(1, Math.ceil(phase.batch / hw.gpus));
  const pass = passBytes(arch, tokensPerClip(plan), batchPerGpu, hw);
  const activationBytes = Math.max(generator, critic) * pass;
  const totalBytes = stateBytes + activationBytes;
  const fits = hw.memoryGb === null ? null : totalBytes <= hw.memoryGb * 1e9;
  return { phase: phase.name, stateBytes, activationBytes, totalBytes, fits, roles, passes: { generator, critic } };
}

/**
 * What the same phase would need if every EMA/teacher discriminator backbone were instead a separately
 * trained copy of the teacher (APT-style): the comparison that motivates V-PAE's self-discriminator.
 */
export function separateDiscriminatorVariant(plan: Plan): Plan | null {
  if (!plan.discriminators.some((d) => d.backbone.kind === "ema" || d.backbone.kind === "teacher")) return null;
  return { ...plan, discriminators: plan.discriminators.map((d) => ({ ...d, backbone: { kind: "copy", of: "teacher" } as const })) };
}

/** Network evaluations of teacher-sized networks per generator update, by who makes them. */
export function callsPerUpdate(plan: Plan, phase: Phase): Calls {
  const total: Calls = { teacher: 0, fakeScore: 0, discriminator: 0 };
  const updates = (role: string) => phase.updates.find((u) => u.role === role)?.count ?? 1;
  for (const l of phase.losses) {
    const c = lossCost(l).calls(l, updates);
    total.teacher += c.teacher ?? 0;
    total.fakeScore += c.fakeScore ?? 0;
    total.discriminator += c.discriminator ?? 0;
  }
  return total;
}

export function formatBytes(b: number): string {
  if (b >= 1e15) return `${(b / 1e12).toExponential(1).replace("e+", "e")} TB`;
  if (b >= 1e12) return `${Math.round(b / 1e9).toLocaleString("en-US")} GB`;
  if (b >= 1e9) return `${(b / 1e9).toFixed(b >= 1e11 ? 0 : 1)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(1)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${Math.round(b)} B`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
