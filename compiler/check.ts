// Semantic checks on a lowered plan: roles, phases and the ranges that carry the method's meaning.
// All problems are reported at once, each at the source range that set the offending value.
import type { Span } from "./syntax/ast.js";
import { D, type DiagnosticBag } from "./diagnostics/diagnostic.js";
import type { CatalogEntry } from "./diagnostics/catalog.js";
import { didYouMean } from "./diagnostics/suggest.js";
import { formatNumber } from "./eval.js";
import type { PlanBody } from "./lower.js";
import type * as P from "./plan/schema.js";
import { LOSSES, lossRefs, readsTeacher, trainedRole } from "./plan/losses.js";
import { estimatePhase, formatBytes, hardwareOf } from "./estimate.js";

/** The span recorded for a pointer, or for its nearest recorded ancestor. */
export function locate(map: ReadonlyMap<string, Span>, pointer: string, fallback?: Span): Span | undefined {
  let p = pointer;
  for (;;) {
    const s = map.get(p);
    if (s) return s;
    if (p === "" || p === "/") return fallback;
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

/** Above this re-noise level the toy teacher's estimate is the blurred mean of a clip's futures (VPAE2124). */
const BLUR_T = 0.75;

/** The share of a time distribution's draws above x (valid distributions only; 0 for others). */
function fractionAbove(d: P.Distribution, x: number): number {
  switch (d.kind) {
    case "constant":
      return d.value > x ? 1 : 0;
    case "uniform":
      return d.high > d.low ? Math.max(0, d.high - Math.max(d.low, x)) / (d.high - d.low) : 0;
    case "discrete":
      return d.values.filter((v) => v > x).length / d.values.length;
    case "logit_normal":
      // t = sigmoid(mean + std n) > x  <=>  n > (logit(x) - mean) / std
      return 1 - normalCdf((Math.log(x / (1 - x)) - d.mean) / d.std);
    case "shifted":
      // t' = s t / (1 + (s - 1) t) is increasing in t: t' > x  <=>  t > x / (s - (s - 1) x)
      return fractionAbove(d.base, x / (d.shift - (d.shift - 1) * x));
  }
}

/** The standard normal distribution function (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export function checkPlan(body: PlanBody, map: ReadonlyMap<string, Span>, bag: DiagnosticBag, experimentSpan: Span, experiment?: string): void {
  const at = (pointer: string) => locate(map, pointer, experimentSpan);
  const report = (entry: CatalogEntry, args: string[], pointer: string, extra?: { hint?: string }) => bag.report(entry, args, at(pointer), extra);

  const fakeNames = new Set(body.fakeScores.map((f) => f.name));
  const dNames = new Set(body.discriminators.map((d) => d.name));
  const roles = new Set<string>([...(body.teacher ? ["teacher"] : []), ...(body.student ? ["student"] : []), ...fakeNames, ...dNames]);
  const allRoleNames = ["teacher", "student", ...fakeNames, ...dNames];
  for (const [i, f] of body.fakeScores.entries()) {
    if (f.name === "teacher" || f.name === "student" || dNames.has(f.name)) bag.report(D.duplicateDeclaration, ["role", `'${f.name}'`], at(`/fakeScores/${i}`));
  }
  for (const [i, d] of body.discriminators.entries()) {
    if (d.name === "teacher" || d.name === "student") bag.report(D.duplicateDeclaration, ["role", `'${d.name}'`], at(`/discriminators/${i}`));
  }
  const unknownRole = (name: string, pointer: string) => {
    const hint = didYouMean(name, allRoleNames);
    report(D.unknownRole, [`'${name}'`], pointer, hint ? { hint } : { hint: `roles here: ${[...roles].join(", ") || "none"}` });
  };

  if (body.phases.length === 0) bag.report(D.noPhases, [experiment === undefined ? "(unnamed)" : `'${experiment}'`], experimentSpan, { hint: "add `phase NAME { steps = ...  loss ... { } }`" });

  // ---- models ----
  const depth = body.teacher?.arch.depth ?? 0;
  if (body.teacher && body.student && body.student.sampler.steps > body.teacher.sampler.steps) {
    report(D.studentSteps, [String(body.student.sampler.steps), String(body.teacher.sampler.steps)], "/student/sampler/steps");
  }
  if (body.student && !body.teacher && body.student.init === "teacher") {
    report(D.missingRole, ["the student is initialised from the teacher (init = teacher), but there is no teacher block"], "/student/init");
  }

  // ---- discriminators ----
  for (const [i, d] of body.discriminators.entries()) {
    const pre = `/discriminators/${i}`;
    if (d.backbone.kind === "ema" && !(d.backbone.decay > 0 && d.backbone.decay < 1)) report(D.badDecay, [formatNumber(d.backbone.decay)], `${pre}/backbone/decay`);
    if (d.backbone.kind === "fake_score" && !fakeNames.has(d.backbone.name)) {
      const hint = didYouMean(d.backbone.name, [...fakeNames, "teacher"]);
      report(D.unknownRole, [`'${d.backbone.name}'`], `${pre}/backbone`, hint ? { hint } : { hint: "backbone = ema(student, decay) | teacher | copy(teacher) | <fake score name>" });
    }
    if ((d.backbone.kind === "ema" && !body.student) || ((d.backbone.kind === "teacher" || d.backbone.kind === "copy") && !body.teacher)) {
      report(D.missingRole, [`discriminator ${d.name}'s backbone needs the ${d.backbone.kind === "ema" ? "student" : "teacher"}`], `${pre}/backbone`);
    }
    d.taps.forEach((tap, j) => {
      if (depth > 0 && (tap < 0 || tap >= depth)) report(D.badTap, [String(tap), String(depth - 1)], `${pre}/taps/${j}`);
    });
    checkDistribution(d.t, `discriminator ${d.name}'s t`, `${pre}/t`);
  }

  // ---- phases ----
  const trainedDiscriminators = new Set<string>();
  for (const p of body.phases) {
    for (const l of p.losses) if ((l.kind === "gan_discriminator" || l.kind === "gan_mismatch") && p.trains.includes(l.discriminator)) trainedDiscriminators.add(l.discriminator);
  }
  const frozen = new Map<string, string>();
  let distillationSeen = false;
  const seenPhase = new Map<string, number>();
  for (const [i, p] of body.phases.entries()) {
    const pre = `/phases/${i}`;
    if (seenPhase.has(p.name)) report(D.duplicateDeclaration, ["phase", `'${p.name}'`], pre);
    seenPhase.set(p.name, i);
    for (const a of p.onEnter) {
      const j = p.onEnter.indexOf(a);
      if (!roles.has(a.role)) unknownRole(a.role, `${pre}/onEnter/${j}`);
      if (a.action === "freeze") frozen.set(a.role, p.name);
      if (a.action === "unfreeze") frozen.delete(a.role);
    }
    if (p.losses.length === 0) report(D.emptyPhase, [p.name], pre);
    if (p.input.kind === "noised_real") checkDistribution(p.input.s, "noised_real(s)", `${pre}/input/s`);

    const optimized = new Set(p.optimizers.map((o) => o.role));
    for (const [j, o] of p.optimizers.entries()) {
      const op = `${pre}/optimizers/${j}`;
      if (!roles.has(o.role)) unknownRole(o.role, op);
      const lr = o.lr.value;
      if (!(lr > 0)) report(D.outOfRange, [`lr must be > 0, not ${formatNumber(lr)}`], `${op}/lr`);
      if (o.lr.kind === "cosine" && o.lr.warmup >= p.steps) report(D.outOfRange, [`the lr warm-up (${o.lr.warmup} steps) must be shorter than the phase (${p.steps} steps)`], `${op}/lr`);
      o.betas.forEach((b) => {
        if (!(b >= 0 && b < 1)) report(D.outOfRange, [`betas must lie in [0, 1), not ${formatNumber(b)}`], `${op}/betas`);
      });
      if (frozen.has(o.role)) report(D.frozenRoleTrained, [o.role, frozen.get(o.role)!, p.name], op);
      if (o.role === "teacher") {
        const pretraining = body.teacher?.init.kind === "scratch" && !distillationSeen && p.losses.every((l) => l.kind === "flow_matching" && l.role === "teacher");
        if (!pretraining) report(D.teacherTrainable, [p.name], op);
      }
      if (roles.has(o.role) && !p.losses.some((l) => trainedRole(l) === o.role)) report(D.unusedOptimizer, [o.role, p.name], op);
    }
    for (const [j, u] of p.updates.entries()) {
      const up = `${pre}/updates/${j}`;
      if (!Number.isInteger(u.count) || u.count < 1) report(D.badRatio, [u.role, Number.isNaN(u.count) ? "a non-number" : formatNumber(u.count)], `${up}/count`);
      if (!optimized.has(u.role)) {
        if (!roles.has(u.role)) unknownRole(u.role, up);
        else report(D.updatesWithoutOptimizer, [u.role, p.name], up);
      }
    }
    for (const [j, e] of p.ema.entries()) {
      if (!roles.has(e.role)) unknownRole(e.role, `${pre}/ema/${j}`);
      if (!(e.decay > 0 && e.decay < 1)) report(D.badDecay, [formatNumber(e.decay)], `${pre}/ema/${j}/decay`);
    }

    for (const [j, l] of p.losses.entries()) {
      const lp = `${pre}/losses/${j}`;
      checkLoss(l, lp, p, optimized);
      if (LOSSES[l.kind].trains === "student") distillationSeen = true;
    }
  }

  function checkDistribution(d: P.Distribution, what: string, pointer: string): void {
    const bad = (why: string) => report(D.badTimestep, [what, why], pointer);
    switch (d.kind) {
      case "constant":
        if (!(d.value > 0 && d.value <= 1)) bad(`it is ${formatNumber(d.value)}`);
        break;
      case "uniform":
        if (!(d.low >= 0 && d.high <= 1)) bad(`uniform(${formatNumber(d.low)}, ${formatNumber(d.high)}) reaches outside`);
        else if (!(d.low < d.high)) bad(`uniform(${formatNumber(d.low)}, ${formatNumber(d.high)}) is empty (low must be < high)`);
        break;
      case "discrete": {
        const off = d.values.find((v) => !(v > 0 && v <= 1));
        if (off !== undefined) bad(`it lists ${formatNumber(off)}`);
        break;
      }
      case "shifted":
        checkDistribution(d.base, what, `${pointer}/base`);
        break;
      case "logit_normal":
        break;
    }
  }

  function checkLoss(l: P.Loss, lp: string, p: P.Phase, optimized: Set<string>): void {
    const w = l.weight.value;
    if (!(Number.isFinite(w) && w >= 0)) report(D.badWeight, [l.name, formatNumber(w)], `${lp}/weight`);
    const errorsBefore = bag.errorCount;
    if ("t" in l) checkDistribution(l.t, `loss ${l.name}'s t`, `${lp}/t`);
    if ((l.kind === "c_sds" || l.kind === "sds") && bag.errorCount === errorsBefore) {
      const blurred = fractionAbove(l.t, BLUR_T);
      if (blurred > 0.1) report(D.blurringScoreDistillation, [l.name, l.kind, `${Math.round(100 * blurred)}%`], `${lp}/t`);
    }
    if (readsTeacher(l.kind) && !body.teacher) report(D.missingRole, [`loss ${l.name} (${l.kind}) needs a teacher block`], lp);
    if (LOSSES[l.kind].trains === "student" && !body.student) report(D.missingRole, [`loss ${l.name} (${l.kind}) trains the student, but there is no student block`], lp);
    for (const ref of lossRefs(l)) {
      const at = `${lp}/${ref.key}`;
      if (ref.name === "") continue; // missing: reported by lowering
      if (ref.target === "discriminator") {
        if (!dNames.has(ref.name)) {
          if (roles.has(ref.name)) report(D.badRoleKind, [`${l.kind} needs a discriminator, and ${ref.name} is not one`], at);
          else unknownRole(ref.name, at);
        } else if (!ref.trained && LOSSES[l.kind].trains === "student" && !trainedDiscriminators.has(ref.name)) {
          report(D.discriminatorNeverTrained, [ref.name], lp);
        }
      } else if (!roles.has(ref.name)) unknownRole(ref.name, at);
      else if (ref.target === "model" && ref.name !== "teacher" && ref.name !== "student") {
        report(D.badRoleKind, [`${l.kind} ${ref.trained ? "trains" : "reads"} the teacher or the student, not ${ref.name}`], at);
      } else if (ref.target === "fake_score" && !fakeNames.has(ref.name)) {
        report(D.badRoleKind, [ref.trained ? `${l.kind} trains a fake score, not ${ref.name}` : `${l.kind}'s fake score must be a fake_score block, not ${ref.name}`], at);
      }
    }
    const role = trainedRole(l);
    if (role !== "" && roles.has(role) && !optimized.has(role)) report(D.roleNotActive, [l.name, role, p.name], lp, { hint: `add \`optimizer ${role} { lr = ... }\` to phase ${p.name}` });
  }
}

/** Over this estimate per GPU a size is a mistake (an error); over the hardware's memory, or 64 GiB without hardware, a warning. */
const IMPLAUSIBLE_BYTES = 2 ** 40;
const LARGE_BYTES = 64 * 2 ** 30;

/** Sizes beyond sense, found through the training-memory estimate of each phase, quoted in the message. */
export function checkMemory(body: PlanBody, map: ReadonlyMap<string, Span>, bag: DiagnosticBag, experimentSpan: Span): void {
  const hw = body.hardware ? hardwareOf(body) : null;
  for (const [i, phase] of body.phases.entries()) {
    const m = estimatePhase(body, phase);
    if (!m) continue;
    const at = locate(map, `/phases/${i}`, experimentSpan);
    const hint = { hint: "it grows with the batch, the world's frames and size, and the architecture's width and depth; `vpae plan` shows its parts" };
    if (m.totalBytes > IMPLAUSIBLE_BYTES) bag.report(D.implausibleMemory, [`'${phase.name}'`, formatBytes(m.totalBytes)], at, hint);
    else if (hw ? m.fits === false : m.totalBytes > LARGE_BYTES) bag.report(D.largeMemory, [`'${phase.name}'`, formatBytes(m.totalBytes), hw ? `, more than the ${hw.memoryGb} GB of each GPU` : ""], at, hint);
  }
}
