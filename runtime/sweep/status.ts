// What each member of a sweep needs before anything runs: is a run of its plan already finished
// somewhere (nothing to do), partly done (resume), failed last time, or new; which earlier run or
// member trains its leading phases (prefix sharing); and how long it should take. Read from the run
// folders and the sweep's record, never from the processes themselves.
import type { Plan } from "../../compiler/plan/schema.js";
import { canonicalJson } from "../../compiler/plan/hash.js";
import { phaseEndSteps, totalSteps } from "../../compiler/plan/steps.js";
import { runDirName } from "../engine/io/run-dir.js";
import type { RunStatus } from "../engine/io/manifest.js";
import { lastCheckpoint, phaseEndCheckpoint, type IndexedRun, type RunIndex } from "./runs.js";
import { lastStates, type RecordLine, type ShareSpec } from "./record.js";
import { resolve } from "node:path";

export interface MemberSpec {
  index: number;
  name: string;
  changes: { path: string; value: unknown }[];
  plan: Plan;
}

export type MemberState =
  | { kind: "finished"; run: IndexedRun }
  | { kind: "running"; run: IndexedRun; step: number }
  | { kind: "partial"; run: IndexedRun; step: number; status: RunStatus }
  | { kind: "failed"; run: IndexedRun | null; step: number | null; reason: string | null; exit: number | null }
  | { kind: "new" };

export interface PlannedMember {
  spec: MemberSpec;
  state: MemberState;
  /** The run folder the member trains in (an existing run of its plan, else runs/<experiment>-<hash>). */
  runDir: string;
  /** Leading phases another run or member trains (only for members that start from the beginning). */
  share: (ShareSpec & { ready: boolean; label: string }) | null;
  /** The member's plan differs from the one it had the last time the sweep ran. */
  changed: { was: string } | null;
  /** Steps the member still trains, and in total. */
  steps: { todo: number; total: number };
  /** Estimated seconds for the steps still to do (null: nothing to estimate from). */
  seconds: number | null;
  /** Where the estimate comes from: earlier runs of the same phases, or the cost model. */
  basis: "earlier runs" | "cost model" | "none" | "mixed";
}

export interface PlanOptions {
  /** Network evaluations per step of a phase (the compiler's cost model; the CLI passes it in). */
  evalsPerStep?: (plan: Plan, phase: number) => number;
  /** Member names -> plan hash at the last run of the sweep (for "changed"). */
  previous?: ReadonlyMap<string, string>;
  /** false: every new member trains from the beginning (no prefix sharing). */
  share?: boolean;
}

/** The best run of a plan: finished, then live, then the one with the newest checkpoint. */
function bestRun(runs: readonly IndexedRun[]): IndexedRun | undefined {
  const rank = (r: IndexedRun) => (r.status === "finished" ? 3 : r.live ? 2 : lastCheckpoint(r) !== null ? 1 : 0);
  return [...runs].sort((a, b) => rank(b) - rank(a) || (lastCheckpoint(b) ?? -1) - (lastCheckpoint(a) ?? -1))[0];
}

function stateOf(spec: MemberSpec, index: RunIndex, failed: Map<string, Extract<RecordLine, { t: "state" }>>): MemberState {
  const run = bestRun(index.byHash.get(spec.plan.hash) ?? []);
  const last = failed.get(spec.plan.hash);
  if (run?.status === "finished") return { kind: "finished", run };
  const step = run ? lastCheckpoint(run) : null;
  if (run?.live) return { kind: "running", run, step: step ?? 0 };
  if (last?.state === "failed" || run?.status === "failed") return { kind: "failed", run: run ?? null, step, reason: last?.reason ?? run?.reason ?? null, exit: last?.exit ?? null };
  if (run && step !== null) return { kind: "partial", run, step, status: run.status };
  return { kind: "new" };
}

/**
 * Seconds per network evaluation for a phase's setting (world, architecture, batch), measured from
 * the finished phases of earlier runs with the same setting; the median, or null when there are none.
 */
function secondsPerEval(index: RunIndex, plan: Plan, phase: number, evalsPerStep: NonNullable<PlanOptions["evalsPerStep"]>): number | null {
  const key = (p: Plan, i: number) => canonicalJson({ world: p.world, arch: p.teacher?.arch ?? null, batch: p.phases[i]!.batch });
  const want = key(plan, phase);
  const samples: number[] = [];
  for (const r of index.runs) {
    for (const mp of r.manifest.phases) {
      if (!mp.finishedAt || mp.sharedFrom || mp.seconds <= 0 || !r.plan.phases[mp.index] || key(r.plan, mp.index) !== want) continue;
      const evals = r.plan.phases[mp.index]!.steps * evalsPerStep(r.plan, mp.index);
      if (evals > 0) samples.push(mp.seconds / evals);
    }
  }
  if (samples.length === 0) return null;
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** Seconds a finished, unshared phase with this chained hash took in an earlier run (the median), or null. */
function measuredPhase(index: RunIndex, hash: string): number | null {
  const xs: number[] = [];
  for (const { run, index: i } of index.byPhase.get(hash) ?? []) {
    const mp = run.manifest.phases.find((p) => p.index === i);
    if (mp?.finishedAt && !mp.sharedFrom && mp.seconds > 0) xs.push(mp.seconds);
  }
  if (xs.length === 0) return null;
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

/**
 * Prefix sharing for a member that starts from the beginning: the deepest k (1 <= k < phases) such
 * that an existing run has this plan's first k phases and still holds its checkpoint at their end,
 * or another member of the sweep (the lowest-index one with that prefix) will train them. An
 * existing checkpoint wins a tie (it is ready now).
 */
function findShare(spec: MemberSpec, members: readonly MemberSpec[], index: RunIndex, runDirOf: (m: MemberSpec) => string, states: Map<number, MemberState>): PlannedMember["share"] {
  const plan = spec.plan;
  const ends = phaseEndSteps(plan.phases);
  for (let k = plan.phases.length - 1; k >= 1; k--) {
    const hash = plan.phases[k - 1]!.hash;
    const existing = (index.byPhase.get(hash) ?? []).filter(({ run, index: i }) => i === k - 1 && run.planHash !== plan.hash && phaseEndCheckpoint(run, i).present);
    if (existing.length > 0) {
      const run = existing.map((e) => e.run).sort((a, b) => a.dir.localeCompare(b.dir))[0]!;
      return { member: null, run: run.dir, phases: k, step: ends[k - 1]!, ready: true, label: `run ${run.name}` };
    }
    const owner = members.find((m) => m.plan.phases.length > k - 1 && m.plan.phases[k - 1]!.hash === hash && m.plan.hash !== plan.hash);
    if (owner && owner.index < spec.index) {
      const st = states.get(owner.index);
      // an owner that itself finished or is running past that point has (or will have) the checkpoint
      if (st?.kind === "failed") continue;
      return { member: owner.index, run: runDirOf(owner), phases: k, step: ends[k - 1]!, ready: false, label: `member ${owner.index}` };
    }
  }
  return null;
}

/** Plans every member (see the top of the file). */
export function planMembers(members: readonly MemberSpec[], index: RunIndex, record: readonly RecordLine[], runsDir: string, options: PlanOptions = {}): PlannedMember[] {
  const last = lastStates(record);
  const states = new Map(members.map((m) => [m.index, stateOf(m, index, last)]));
  const runDirOf = (m: MemberSpec): string => {
    const st = states.get(m.index)!;
    return st.kind !== "new" && st.run ? st.run.dir : resolve(runsDir, runDirName(m.plan));
  };
  return members.map((spec) => {
    const state = states.get(spec.index)!;
    const total = totalSteps(spec.plan.phases);
    const done = state.kind === "finished" ? total : state.kind === "new" ? 0 : (state.step ?? 0);
    const startsFresh = state.kind === "new" || (state.kind === "failed" && state.step === null);
    const share = startsFresh && options.share !== false ? findShare(spec, members, index, runDirOf, states) : null;
    const from = Math.max(done, share?.step ?? 0);
    // estimate the steps still to do, phase by phase
    let seconds: number | null = 0;
    const bases = new Set<string>();
    let at = 0;
    spec.plan.phases.forEach((p, i) => {
      const lo = at;
      at += p.steps;
      const todo = Math.max(0, at - Math.max(lo, from));
      if (todo === 0 || seconds === null) return;
      const measured = measuredPhase(index, p.hash);
      if (measured !== null) {
        seconds += (measured * todo) / p.steps;
        bases.add("earlier runs");
        return;
      }
      const per = options.evalsPerStep ? secondsPerEval(index, spec.plan, i, options.evalsPerStep) : null;
      if (per === null) seconds = null;
      else {
        seconds += per * options.evalsPerStep!(spec.plan, i) * todo;
        bases.add("cost model");
      }
    });
    const basis: PlannedMember["basis"] = seconds === null ? "none" : bases.size > 1 ? "mixed" : ((([...bases][0] as "earlier runs" | "cost model" | undefined) ?? "earlier runs"));
    const was = options.previous?.get(spec.name);
    return {
      spec,
      state,
      runDir: runDirOf(spec),
      share,
      changed: was !== undefined && was !== spec.plan.hash ? { was } : null,
      steps: { todo: total - from, total },
      seconds,
      basis,
    };
  });
}

/** Totals for the dry run: steps to train, steps prefix sharing saves, the estimate. */
export function sweepTotals(planned: readonly PlannedMember[]): { members: number; todo: number; total: number; saved: number; seconds: number | null; finished: number } {
  let todo = 0;
  let total = 0;
  let saved = 0;
  let seconds: number | null = 0;
  let finished = 0;
  for (const m of planned) {
    todo += m.steps.todo;
    total += m.steps.total;
    if (m.share) saved += m.share.step;
    if (m.state.kind === "finished") finished++;
    else if (m.seconds === null) seconds = null;
    else if (seconds !== null) seconds += m.seconds;
  }
  return { members: planned.length, todo, total, saved, seconds, finished };
}
