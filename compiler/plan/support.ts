// What the shipped runtime cannot execute: the one list that `vpae run` (and a sweep's members) refuse a
// plan by, and that `vpae check` warns with. A plan can be valid and still ask for something the
// runtime does not build (the paper-scale setting is for `vpae plan` only). Each gap names the plan
// pointer it is about, so the compiler can point at the source line.
import type { Architecture, Plan } from "./schema.js";

export interface RuntimeGap {
  /** JSON pointer into the plan. */
  pointer: string;
  reason: string;
}

export type SupportShape = Pick<Plan, "world" | "teacher" | "fakeScores" | "hardware">;

export function runtimeGaps(plan: SupportShape): RuntimeGap[] {
  const out: RuntimeGap[] = [];
  if (plan.world.kind !== "sprites") out.push({ pointer: "/world/kind", reason: `world kind ${plan.world.kind}: vpae has no data for it (compile and plan only)` });
  if (!plan.teacher) out.push({ pointer: "/teacher", reason: "a plan without a teacher: the runtime's networks take their architecture from it" });
  else out.push(...archGaps(plan.teacher.arch).map((g) => ({ ...g, pointer: `/teacher/arch${g.pointer}` })));
  plan.fakeScores.forEach((f, i) => {
    if (f.kind === "lora" && f.init === "teacher") out.push({ pointer: `/fakeScores/${i}/init`, reason: `fake score ${f.name}: a LoRA starts at zero (init = zero), it has no teacher weights of its own to start from` });
  });
  const hw = plan.hardware;
  if (hw && (hw.gpus > 1 || hw.precision !== "fp32" || hw.sharding !== "none")) {
    out.push({ pointer: "/hardware", reason: `the hardware block (${hw.gpus} GPU${hw.gpus > 1 ? "s" : ""}, ${hw.precision}, sharding ${hw.sharding}) is for vpae plan's memory estimate: the runtime trains on one device in float32` });
  }
  return out;
}

/** What the runtime's DiT cannot build of an architecture (pointers relative to the architecture). */
export function archGaps(arch: Omit<Architecture, "parameters">): RuntimeGap[] {
  const out: RuntimeGap[] = [];
  const headDim = arch.width / arch.heads;
  if (arch.position === "rope3d" && (headDim % 2 !== 0 || headDim < 6)) out.push({ pointer: "/position", reason: `rope3d needs an even head dimension of at least 6 (width ${arch.width} / ${arch.heads} heads = ${headDim})` });
  if (arch.crossAttention) out.push({ pointer: "/crossAttention", reason: "cross-attention to text embeddings is not built (the toy world's prompts are classes)" });
  else if (arch.textDim > 0) out.push({ pointer: "/textDim", reason: "text embeddings are not built (the toy world's prompts are classes)" });
  if (arch.modulation !== "per_block") out.push({ pointer: "/modulation", reason: `${arch.modulation} modulation (Wan2.1-style) is for planning: the runtime builds per-block modulation` });
  return out;
}
