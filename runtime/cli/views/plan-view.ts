// The human views of `vpae plan`: a one-screen summary in the spirit of `terraform plan`, and the diff.
import type { Backbone, Distribution, Plan, Schedule } from "../../../compiler/plan/schema.js";
import { callsPerUpdate, estimatePhase, formatBytes, formatCount, hardwareOf, separateDiscriminatorVariant, tokensPerClip } from "../../../compiler/estimate.js";
import { fakeScoreParameterCount } from "../../../compiler/plan/networks.js";
import { headKind, headParameterCount } from "../../../compiler/plan/heads.js";
import { lossCost, lossRefs } from "../../../compiler/plan/losses.js";
import { formatValue, type PlanDiff } from "../../../compiler/plan/diff.js";

function n(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}

/** How each backbone kind is described (a kind missing here is a type error; heads describe themselves). */
const BACKBONE_TEXT: { [K in Backbone["kind"]]: (b: Extract<Backbone, { kind: K }>) => string } = {
  ema: (b) => `ema(student, ${n(b.decay)})`,
  copy: () => "copy(teacher), trained",
  teacher: () => "teacher (frozen)",
  fake_score: (b) => `fake score ${b.name}`,
};

export function formatDistribution(d: Distribution): string {
  switch (d.kind) {
    case "constant":
      return n(d.value);
    case "uniform":
      return `U(${n(d.low)}, ${n(d.high)}]`;
    case "logit_normal":
      return `logit-N(${n(d.mean)}, ${n(d.std)})`;
    case "discrete":
      return `{${d.values.map(n).join(", ")}}`;
    case "shifted":
      return `shift ${n(d.shift)} of ${formatDistribution(d.base)}`;
  }
}

export function formatSchedule(s: Schedule): string {
  switch (s.kind) {
    case "constant":
      return n(s.value);
    case "linear_warmup":
    case "cosine_warmup":
      return `${n(s.value)} (${s.kind === "linear_warmup" ? "linear" : "cosine"} warm-up ${s.steps})`;
    case "cosine":
      return `${n(s.value)}->${n(s.final)} cosine${s.warmup > 0 ? `, warm-up ${s.warmup}` : ""}`;
  }
}

function pad(s: string, w: number): string {
  return s.length >= w ? `${s} ` : s + " ".repeat(w - s.length);
}

function lossLabel(l: Plan["phases"][number]["losses"][number]): string {
  const w = formatSchedule(l.weight);
  const extra: string[] = [];
  for (const r of lossRefs(l)) extra.push(r.target === "fake_score" && !r.trained ? `fake score ${r.name}` : r.name);
  if ("guidance" in l && l.guidance !== 1) extra.push(`cfg ${n(l.guidance)}`);
  if ("t" in l) extra.push(`t ${formatDistribution(l.t)}`);
  const detail = lossCost(l).detail?.(l, n);
  if (detail) extra.push(detail);
  const kind = l.name === l.kind ? l.kind : `${l.name}=${l.kind}`;
  return `${kind} x${w}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

export function renderPlanSummary(plan: Plan): string {
  const out: string[] = [];
  const member = plan.sweep ? `  sweep ${plan.sweep.name} member ${plan.sweep.index} (${plan.sweep.member})` : "";
  out.push(`experiment ${plan.experiment}  plan ${plan.hash.slice(0, 12)}  from ${plan.source.file}${member}`);
  const w = plan.world;
  const tokens = tokensPerClip(plan);
  if (w.kind === "sprites") {
    const sprites = w.sprites.min === w.sprites.max ? `${w.sprites.min}` : `${w.sprites.min}-${w.sprites.max}`;
    out.push(`world     sprites: ${w.frames} frames of ${w.height}x${w.width}, ${sprites} sprite(s), ${w.directions} directions, speeds ${w.speeds.join("/")}; ${tokens} tokens/clip`);
  } else {
    out.push(`world     latent video ${w.frames}x${w.height}x${w.width}x${w.channels} (${w.dataset}); ${formatCount(tokens)} tokens/clip`);
  }
  const t = plan.teacher;
  if (t) {
    const a = t.arch;
    const init = t.init.kind === "checkpoint" ? `checkpoint ${t.init.path}` : "trained from scratch here";
    out.push(`teacher   DiT w${a.width} d${a.depth} h${a.heads} patch ${a.patch.frames}x${a.patch.height}x${a.patch.width}, ${formatCount(a.parameters)} params; ${init}`);
    out.push(`          samples with ${t.sampler.steps} steps${t.sampler.guidance !== 1 ? ` x CFG ${n(t.sampler.guidance)}` : ""} = ${t.sampler.nfe} NFE`);
  }
  if (plan.student) {
    const s = plan.student.sampler;
    const ratio = t ? ` (${n(t.sampler.nfe / s.nfe)}x fewer than the teacher)` : "";
    out.push(`student   init ${plan.student.init}; samples with ${s.steps} step${s.steps === 1 ? "" : "s"} = ${s.nfe} NFE${ratio}`);
  }
  for (const f of plan.fakeScores) {
    const count = t ? `, ${formatCount(fakeScoreParameterCount(t.arch, plan.world, f))} params` : "";
    out.push(`fake      ${f.name}: ${f.kind === "lora" ? `LoRA r${f.rank} on the teacher` : "full copy of the teacher"}, ${f.init} init${count}`);
  }
  for (const d of plan.discriminators) {
    const bb = (BACKBONE_TEXT[d.backbone.kind] as (b: Backbone) => string)(d.backbone);
    const head = headKind(d.head).describe(d.head as never);
    const hp = t ? `, head ${formatCount(headParameterCount(t.arch, plan.world, d))} params` : "";
    out.push(`disc      ${d.name}: backbone ${bb}, taps [${d.taps.join(", ")}], ${head}, ${d.loss}, t ${formatDistribution(d.t)}${hp}`);
  }
  out.push("");
  // the phase column fits the longest "N name" (at least the 16 characters the short names use)
  const phaseWidth = Math.max(16, ...plan.phases.map((p, i) => `${i + 1} ${p.name}`.length + 2));
  out.push(`${pad("phase", phaseWidth)}${pad("steps", 7)}${pad("batch", 6)}${pad("input", 20)}${pad("trains (updates/cycle)", 24)}NFE/update`);
  let generatorSamples = 0;
  let totalSteps = 0;
  plan.phases.forEach((p, i) => {
    const input = p.input.kind === "noise" ? "noise" : `real @ ${formatDistribution(p.input.s)}`;
    const trains = p.updates.map((u) => `${u.role} ${u.count}`).join(", ") || "-";
    const c = callsPerUpdate(plan, p);
    const calls = `T${c.teacher} F${c.fakeScore} D${c.discriminator}`;
    out.push(`${pad(`${i + 1} ${p.name}`, phaseWidth)}${pad(String(p.steps), 7)}${pad(String(p.batch), 6)}${pad(input, 20)}${pad(trains, 24)}${calls}`);
    out.push(`    ${p.losses.map(lossLabel).join("; ")}`);
    if (p.onEnter.length) out.push(`    on enter: ${p.onEnter.map((a) => `${a.action}(${a.role})`).join(", ")}`);
    totalSteps += p.steps;
    if (p.trains.includes("student")) generatorSamples += p.steps * p.batch * (p.updates.find((u) => u.role === "student")?.count ?? 1);
  });
  out.push(`total     ${totalSteps} steps; ${formatCount(generatorSamples)} generator samples (updates x batch); NFE/update: T teacher, F fake score, D discriminator backbone`);
  out.push(`eval      every ${plan.eval.every || "end"}; ${plan.eval.samples} samples at NFE ${plan.eval.nfe.join(", ")}; checkpoint every ${plan.checkpoint.every} steps, keep ${plan.checkpoint.keep}`);
  out.push("");
  out.push(...renderMemory(plan));
  return out.join("\n") + "\n";
}

function renderMemory(plan: Plan): string[] {
  const hw = hardwareOf(plan);
  const out: string[] = [];
  const where = plan.hardware
    ? `${hw.gpus} GPU${hw.gpus > 1 ? "s" : ""} x ${hw.memoryGb} GB, ${plan.hardware.precision}, ${plan.hardware.sharding}${hw.checkpointing ? ", activation checkpointing" : ""}${hw.sequenceParallel ? ", sequence parallel" : ""}`
    : "one device, fp32 (no hardware block)";
  out.push(`memory    estimated training memory per GPU (${where}); see docs/memory.md`);
  const rows = plan.phases.map((p) => estimatePhase(plan, p)).filter((m) => m !== null);
  if (rows.length === 0) {
    out.push("          (no teacher block: nothing to size)");
    return out;
  }
  const nameWidth = Math.max(14, ...rows.map((m) => m.phase.length + 2));
  for (const m of rows) {
    const verdict = m.fits === null ? "" : m.fits ? "  fits" : `  DOES NOT FIT in ${hw.memoryGb} GB`;
    out.push(`  ${pad(m.phase, nameWidth)}${pad(formatBytes(m.totalBytes), 10)} = states ${pad(formatBytes(m.stateBytes), 9)} + activations ${formatBytes(m.activationBytes)}${verdict}`);
    out.push(`      ${m.roles.map((r) => `${r.role} ${formatBytes(r.bytes)}`).join(", ")}`);
  }
  const alt = separateDiscriminatorVariant(plan);
  if (alt && plan.hardware) {
    const worst = alt.phases.map((p) => estimatePhase(alt, p)).filter((m) => m !== null).sort((a, b) => b.totalBytes - a.totalBytes)[0];
    if (worst) {
      const verdict = worst.fits === null ? "" : worst.fits ? "would fit" : `would NOT fit in ${hw.memoryGb} GB`;
      out.push(`  with a separately trained discriminator (copy(teacher)) instead: ${worst.phase} needs ${formatBytes(worst.totalBytes)} per GPU, ${verdict}`);
    }
  }
  return out;
}

export function renderDiff(a: Plan, b: Plan, d: PlanDiff, names: [string, string]): string {
  const out = [`plan ${a.hash.slice(0, 12)} (${names[0]}) -> ${b.hash.slice(0, 12)} (${names[1]})`];
  if (d.changes.length === 0) out.push("  no changes: the plans are identical in content");
  for (const c of d.changes) {
    if (c.op === "~") out.push(`  ~ ${c.path}: ${formatValue(c.before)} -> ${formatValue(c.after)}`);
    else if (c.op === "+") out.push(`  + ${c.path}: ${formatValue(c.after)}`);
    else out.push(`  - ${c.path}: ${formatValue(c.before)}`);
  }
  out.push("");
  if (d.rerun.length === 0) out.push("re-run: nothing; every phase of the new plan has the same hash as in the old one");
  else {
    out.push(`re-run: ${d.rerun.join(", ")} (new phase hash${d.rerun.length > 1 ? "es" : ""}: the change reaches ${d.rerun.length > 1 ? "these phases" : "this phase"})`);
    out.push(`reuse:  ${d.reusable.length ? `${d.reusable.join(", ")} (same hash: their checkpoints can be reused)` : "nothing"}`);
  }
  if (d.trainingUnchanged && d.changes.length > 0) out.push("training is unchanged: only evaluation, checkpoint, hardware or backend settings differ");
  return out.join("\n") + "\n";
}
