// Prefix sharing: a new run of a plan that starts from another plan's run at the end of a phase, when
// the two plans agree on every phase up to there (their chained phase hashes are equal, so the world,
// seed, teacher, student, those phases and every role they use are the same).
//
// The new run folder gets what a run of its own plan would hold at that step: the source's metrics
// lines, evaluations and sample grids up to the step, the phases' records (marked `sharedFrom`), and
// a checkpoint rewritten for the new plan. Roles that the new plan defines differently from the
// source (say, another discriminator head), or that the source never built (it defines the role but
// no phase of its plan uses it), cannot have been trained yet, since no shared phase uses them: their
// tensors are left out and the checkpoint lists them in `initialRoles`, so that the
// runner keeps the fresh initial values it computes from the seed and the role's own definition.
// Resuming the folder (`executePlan` with resume) then ends bit-identical to a run of the plan from
// scratch (test/runtime/fork.test.ts checks every tensor).
import { tensorRole } from "./checkpoint-keys.js";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { canonicalJson } from "../../../compiler/plan/hash.js";
import type { Plan } from "../../../compiler/plan/schema.js";
import { phaseEndSteps } from "../../../compiler/plan/steps.js";
import { checkpointRelative, loadCheckpointFile, saveCheckpoint, type CheckpointState } from "./checkpoint.js";
import { IoError } from "./errors.js";
import { readManifest, updateManifest } from "./manifest.js";
import { truncateMetrics } from "./metrics.js";
import { METRICS_FILE, createRunFolder, readRunPlan, type OpenRunOptions } from "./run-dir.js";
import { sha256Hex } from "./safetensors.js";

/** How many leading phases two plans share (equal chained phase hashes). */
export function sharedPhases(a: Pick<Plan, "phases">, b: Pick<Plan, "phases">): number {
  let k = 0;
  while (k < a.phases.length && k < b.phases.length && a.phases[k]!.hash === b.phases[k]!.hash) k++;
  return k;
}

/** The fake scores and discriminators of `target` whose definitions `source` has too, unchanged. */
function sameRoles(source: Plan, target: Plan): Set<string> {
  const defs = (p: Plan) => new Map<string, string>([...p.fakeScores, ...p.discriminators].map((r) => [r.name, canonicalJson(r)]));
  const a = defs(source);
  const out = new Set<string>(["teacher", "student"]);
  for (const [name, def] of defs(target)) if (a.get(name) === def) out.add(name);
  return out;
}

/** The checkpoint of the source run at `step`, for the target plan (see the top of the file). */
function rewrite(state: CheckpointState, source: Plan, target: Plan): CheckpointState {
  // a role both plans define alike is carried over only if the source holds its tensors: a run whose
  // phases never use a discriminator (an ablation without adversarial terms) has none of its weights
  const held = new Set([...state.tensors.keys()].map((name) => tensorRole(name)));
  const keep = new Set([...sameRoles(source, target)].filter((r) => r === "teacher" || r === "student" || held.has(r)));
  const roles = new Set<string>(["teacher", "student", ...target.fakeScores.map((f) => f.name), ...target.discriminators.map((d) => d.name), ...source.fakeScores.map((f) => f.name), ...source.discriminators.map((d) => d.name)]);
  const tensors: CheckpointState["tensors"] = new Map();
  for (const [name, t] of state.tensors) {
    // `<role>/...` and `opt/<role>/...` of a role the target defines differently (or not at all) go
    const role = tensorRole(name);
    if (roles.has(role) && !keep.has(role)) continue;
    tensors.set(name, t);
  }
  const extra = { ...state.meta.extra } as { optimizers?: { role: string; kind: string }[]; initialRoles?: string[] };
  if (extra.optimizers) extra.optimizers = extra.optimizers.filter((o) => keep.has(o.role) || !roles.has(o.role));
  extra.initialRoles = [...target.fakeScores, ...target.discriminators].map((r) => r.name).filter((n) => !keep.has(n));
  return { meta: { ...state.meta, planHash: target.hash, extra }, tensors, rng: state.rng };
}

/**
 * Creates the run folder of `plan` under `runsDir` from `sourceDir` (a run of another plan) at the end
 * of its first `phases` phases, which both plans must share. The source's checkpoint at that step
 * must exist (pruning keeps phase ends). Returns the new folder; run it with resume to go on.
 */
export function forkRun(runsDir: string, plan: Plan, sourceDir: string, phases: number, options: OpenRunOptions): string {
  const source = readRunPlan(sourceDir);
  if (phases < 1 || phases >= plan.phases.length) throw new IoError(sourceDir, `cannot share ${phases} phase(s) of a ${plan.phases.length}-phase plan (1 to ${plan.phases.length - 1})`, "argument");
  const shared = sharedPhases(source, plan);
  if (shared < phases) throw new IoError(sourceDir, `its plan shares ${shared} phase(s) with plan ${plan.hash.slice(0, 12)}, not ${phases}`, "plan-mismatch");
  const step = phaseEndSteps(plan.phases)[phases - 1]!;
  const file = join(sourceDir, checkpointRelative(step));
  if (!existsSync(file)) throw new IoError(file, `no checkpoint at the end of phase ${plan.phases[phases - 1]!.name} (step ${step}) to start from`, "not-found");
  const manifest = readManifest(sourceDir);
  const recorded = manifest.checkpoints.find((c) => c.step === step);
  if (recorded && recorded.sha256 !== sha256Hex(readFileSync(file))) throw new IoError(file, "its SHA-256 does not match the one recorded in manifest.json (truncated or corrupt)");
  const { state } = loadCheckpointFile(file);
  if (state.meta.planHash !== source.hash || state.meta.globalStep !== step) throw new IoError(file, `it is not plan ${source.hash.slice(0, 12)}'s checkpoint at step ${step}`);
  const name = basename(sourceDir);
  return createRunFolder(runsDir, plan, {
    ...options,
    lock: false,
    fill: (tmp) => {
      copyFileSync(join(sourceDir, METRICS_FILE), join(tmp, METRICS_FILE));
      truncateMetrics(join(tmp, METRICS_FILE), step);
      const samples = manifest.samples.filter((s) => s.step <= step);
      for (const s of samples) {
        if (!existsSync(join(sourceDir, s.file))) continue;
        mkdirSync(dirname(join(tmp, s.file)), { recursive: true });
        copyFileSync(join(sourceDir, s.file), join(tmp, s.file));
      }
      const time = new Date().toISOString();
      updateManifest(tmp, (m) => {
        m.status = "stopped";
        m.reason = `started from ${name} at the end of phase ${plan.phases[phases - 1]!.name}`;
        m.phases = manifest.phases.filter((p) => p.index < phases).map((p) => ({ ...p, sharedFrom: p.sharedFrom ?? name }));
        m.samples = samples;
        m.evals = manifest.evals.filter((e) => e.step <= step);
        m.forkedFrom = { run: name, planHash: source.hash, phases, step, time };
      });
      saveCheckpoint(tmp, rewrite(state, source, plan));
    },
  });
}
