// Executes a plan: phases in order, each a loop of training steps, with checkpoints, evaluation, exact
// resume, a clean stop at step boundaries and a hard stop on non-finite losses. One flat loop
// (executePlan); what one step does is step.ts (its header reads top-down), and the loss terms are
// objectives.ts.
import type { Phase, Plan } from "../../compiler/plan/schema.js";
import { runtimeGaps } from "../../compiler/plan/support.js";
import { totalSteps } from "../../compiler/plan/steps.js";
import { checkDevice, initBackend, tf, type BackendPreference } from "./tf.js";
import { Rng, deriveSeed, type RngState } from "./rng.js";
import type { RunEvent, RunListener } from "./events.js";
import { Optimizer } from "./optim.js";
import { evaluateAt, loadRoleParams } from "./inference.js";
import { ditDims } from "../../compiler/plan/networks.js";
import type { ParamSet, DitShape } from "./model/types.js";
import type { World } from "./world/types.js";
import { initParams } from "./model/dit.js";
import { Nets } from "./nets.js";
import { optimizerStepCounter, optimizerTensor, parseOptimizerTensor, roleTensor, shadowTensor } from "./io/checkpoint-keys.js";
import type { Streams } from "./objectives.js";
import { shadowsOf, trainStep } from "./step.js";
import { equilibriumReferences } from "./equilibrium.js";
import { createWorld } from "./world/sprites.js";
import { VALIDATION } from "./world/clip-sets.js";
import { writeSampleGrid } from "./inference.js";
import { openRunDir, type RunDir } from "./io/run-dir.js";
import { teacherInitFile } from "./io/plan-files.js";
import type { CheckpointState } from "./io/checkpoint.js";
import { join } from "node:path";
import { mkdirSync } from "node:fs";

/** A problem that stops a run with a message for the user (not a bug). */
/** A run that cannot go on for a reason the user can act on (not a bug): the CLI prints it and exits 1. */
export class RunError extends Error {
  readonly expected = true;
}

export interface RunControl {
  /** Set by the first Ctrl-C (or the TUI's `q`): stop at the next step boundary, after a checkpoint. */
  stopRequested: boolean;
  /** While true (the TUI's `p`), the run waits at the next step boundary. */
  paused?: boolean;
  /** Set by the TUI's `s`: evaluate and write samples at the next step boundary, then clear it. */
  sampleRequested?: boolean;
  /** Why the stop was asked for, recorded as the run's reason (default "stopped by the user"). */
  stopReason?: string;
}

export interface RunOptions {
  runsDir: string;
  resume: boolean;
  backend?: BackendPreference;
  listeners: RunListener[];
  control: RunControl;
  /** Folder the plan's relative paths (teacher checkpoint) are resolved against. */
  baseDir: string;
  /** Assert that the tensor count stays constant across steps (tests, --debug). */
  leakCheck?: boolean;
  /** vpae's version, recorded in the manifest and checkpoints. */
  vpaeVersion: string;
}

export interface RunResult {
  status: "finished" | "stopped" | "failed";
  runDir: string;
  step: number;
  reason: string | null;
}

/** What this runtime cannot run, as a readable list (empty when the plan is runnable). */
/** What this runtime cannot run in a plan, in words (compiler/plan/support.ts keeps the list). */
export function unsupported(plan: Plan): string[] {
  return runtimeGaps(plan).map((g) => g.reason);
}

interface State {
  backend: string;
  vpaeVersion: string;
  /** Seconds of training over all sessions, up to `clock` (ms). */
  wallTime: number;
  clock: number;
  plan: Plan;
  world: World;
  shape: DitShape;
  nets: Nets;
  optimizers: Map<string, Optimizer>;
  rng: Streams;
  frozen: Set<string>;
  phaseIndex: number;
  phaseStep: number;
  globalStep: number;
}

export async function executePlan(plan: Plan, opts: RunOptions): Promise<RunResult> {
  const missing = unsupported(plan);
  if (missing.length) throw new RunError(`this runtime cannot run the plan yet: ${missing.join("; ")}`);
  const emit = (e: RunEvent) => opts.listeners.forEach((l) => l(e));
  const backend = await initBackend(opts.backend ?? plan.backend);
  const run = openRunDir(opts.runsDir, plan, {
    resume: opts.resume,
    vpaeVersion: opts.vpaeVersion,
    backend: { name: backend.name, detail: backend.detail },
    warn: (message) => emit({ type: "warning", message, time: Date.now() }),
  });
  const started = Date.now();
  let state: State;
  try {
    state = initialState(plan, opts.baseDir, `${backend.name} (${backend.detail})`, opts.vpaeVersion);
    if (run.resumedFrom) restore(state, run.resumedFrom.state);
  } catch (err) {
    // the run folder says why it never started (and its lock goes)
    run.finish("failed", err instanceof Error ? err.message : String(err));
    throw err;
  }
  const total = totalSteps(plan.phases);
  const references = equilibriumReferences(plan);
  const phases = plan.phases.map((p) => ({ name: p.name, steps: p.steps }));
  emit({ type: "run-start", experiment: plan.experiment, planHash: plan.hash, backend: backend.name, backendDetail: backend.detail, runDir: run.dir, resumedFrom: run.resumedFrom ? state.globalStep : null, totalSteps: total, phases, references, time: Date.now() });
  let status: RunResult["status"] = "finished";
  let reason: string | null = null;
  try {
    for (; state.phaseIndex < plan.phases.length; state.phaseIndex++, state.phaseStep = 0) {
      const phase = plan.phases[state.phaseIndex]!;
      const phaseStarted = Date.now();
      emit({ type: "phase-start", phase: phase.name, index: state.phaseIndex, steps: phase.steps, time: Date.now() });
      run.phaseStarted(state.phaseIndex, phase.name);
      if (state.phaseStep === 0) enterPhase(state, phase);
      ensureOptimizers(state, phase);
      let tensors = -1;
      let last = Date.now();
      for (; state.phaseStep < phase.steps; ) {
        await new Promise((r) => setImmediate(r)); // let Ctrl-C and the UI in at step boundaries
        while (opts.control.paused && !opts.control.stopRequested) await new Promise((r) => setTimeout(r, 100));
        if (opts.control.sampleRequested && state.phaseStep > 0) {
          opts.control.sampleRequested = false;
          await evaluate(state, run, phase, emit);
        }
        if (opts.control.stopRequested) {
          status = "stopped";
          reason = opts.control.stopReason ?? "stopped by the user";
          await checkpoint(state, run, emit);
          return finish();
        }
        const { losses, stats, histograms } = await trainStep({ plan, phase, phaseStep: state.phaseStep, nets: state.nets, world: state.world, rng: state.rng }, state.optimizers, state.frozen);
        for (const [name, v] of Object.entries(losses)) {
          if (!Number.isFinite(v)) {
            status = "failed";
            reason = `loss ${name} is ${v} at step ${state.globalStep + 1} (phase ${phase.name}, step ${state.phaseStep + 1}); the last good checkpoint is kept`;
            return finish();
          }
        }
        state.phaseStep++;
        state.globalStep++;
        const now = Date.now();
        const sps = 1000 / Math.max(1, now - last);
        last = now;
        run.appendMetrics({ step: state.globalStep, phase: phase.name, phaseStep: state.phaseStep, time: now, losses, stats, ...(Object.keys(histograms).length ? { histograms } : {}) });
        emit({ type: "step", phase: phase.name, phaseStep: state.phaseStep - 1, phaseSteps: phase.steps, step: state.globalStep, totalSteps: total, stepsPerSecond: sps, time: now, losses, stats, histograms });
        if (opts.leakCheck) {
          const n = tf.memory().numTensors;
          if (tensors >= 0 && n !== tensors) throw new Error(`tensor leak: ${tensors} -> ${n} tensors after step ${state.globalStep}`);
          tensors = n;
        }
        const atEnd = state.phaseStep === phase.steps;
        // Every phase ends with a checkpoint, also with checkpoint.every = 0.
        if (atEnd || (plan.checkpoint.every > 0 && state.phaseStep % plan.checkpoint.every === 0)) await checkpoint(state, run, emit);
        if ((plan.eval.every > 0 && state.phaseStep % plan.eval.every === 0) || atEnd) await evaluate(state, run, phase, emit);
      }
      run.phaseFinished(state.phaseIndex);
      emit({ type: "phase-end", phase: phase.name, index: state.phaseIndex, seconds: (Date.now() - phaseStarted) / 1000, time: Date.now() });
    }
    return finish();
  } catch (err) {
    status = "failed";
    reason = err instanceof Error ? err.message : String(err);
    finish();
    throw err;
  }

  function finish(): RunResult {
    run.finish(status, reason);
    run.close();
    for (const o of state.optimizers.values()) o.dispose();
    state.nets.dispose();
    emit({ type: "run-end", status, reason, step: state.globalStep, seconds: (Date.now() - started) / 1000, time: Date.now() });
    return { status, runDir: run.dir, step: state.globalStep, reason };
  }
}

// ---- state ----

function initialState(plan: Plan, baseDir: string, backend: string, vpaeVersion: string): State {
  // the run evaluates itself on the validation clips (tuning selects on them; the test clips stay unread)
  const world = createWorld(plan.world as Extract<Plan["world"], { kind: "sprites" }>, VALIDATION.seed);
  const teacher = plan.teacher!;
  const shape: DitShape = ditDims(teacher.arch, plan.world);
  let teacherParams: ParamSet;
  const file = teacherInitFile(plan, baseDir);
  if (file !== null) {
    try {
      teacherParams = loadRoleParams(file, "teacher", shape, { preferEma: true }).params;
    } catch (err) {
      throw new RunError(`cannot load the teacher: ${err instanceof Error ? err.message : String(err)} (train one with \`vpae run experiments/teacher.vpae\`, or point teacher.init at a checkpoint)`);
    }
  } else teacherParams = initParams(shape, deriveSeed(plan.seed, "teacher"));
  const rng: Streams = {
    data: new Rng(plan.seed, "data"),
    time: new Rng(plan.seed, "time"),
    noise: new Rng(plan.seed, "noise"),
    drop: new Rng(plan.seed, "drop"),
  };
  return { plan, world, shape, nets: new Nets(plan, shape, teacherParams), optimizers: new Map(), rng, frozen: new Set(), phaseIndex: 0, phaseStep: 0, globalStep: 0, backend, vpaeVersion, wallTime: 0, clock: Date.now() };
}

function enterPhase(state: State, phase: Phase): void {
  for (const a of phase.onEnter) {
    if (a.action === "reset_optimizer") state.optimizers.get(a.role)?.reset();
    if (a.action === "freeze") state.frozen.add(a.role);
    if (a.action === "unfreeze") state.frozen.delete(a.role);
  }
}

/** Optimizers persist across phases (their moments carry over) unless the kind changes or an entry action resets them. */
function ensureOptimizers(state: State, phase: Phase): void {
  for (const o of phase.optimizers) {
    const existing = state.optimizers.get(o.role);
    if (existing && existing.plan.kind === o.kind) {
      (existing as { plan: typeof o }).plan = o;
      continue;
    }
    existing?.dispose();
    state.optimizers.set(o.role, new Optimizer(o));
  }
  // EMA shadows start as copies of their role when the first phase that needs them begins
  for (const s of shadowsOf(state.nets, phase)) state.nets.ensureShadow(s.key, s.of);
}

// ---- checkpoints ----

async function snapshot(state: State): Promise<CheckpointState> {
  // every tensor's name, in checkpoint order; their values are read back below
  const order: [string, tf.Tensor][] = [];
  const put = (name: string, t: tf.Tensor) => order.push([name, t]);
  for (const [role, p] of state.nets.owned) for (const [name, v] of p) put(roleTensor(role, name), v);
  for (const [key, p] of state.nets.shadows) for (const [name, v] of p) put(roleTensor(key, name), v);
  const counters: Record<string, number> = {};
  for (const [role, o] of state.optimizers) {
    counters[optimizerStepCounter(role)] = o.step;
    for (const [name, v] of o.m) put(optimizerTensor(role, "m", name), v);
    for (const [name, v] of o.v) put(optimizerTensor(role, "v", name), v);
  }
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  // all reads in flight at once: on a GPU that is one wait instead of one per tensor
  const datas = await Promise.all(order.map(([, t]) => t.data()));
  order.forEach(([name, t], i) => tensors.set(name, { shape: [...t.shape], data: datas[i] as Float32Array }));
  checkDevice(); // a faulty GPU's buffers must not become a checkpoint
  const rng: Record<string, RngState> = {};
  for (const [name, r] of Object.entries(state.rng) as [string, Rng][]) {
    r.flush();
    rng[name] = r.state();
  }
  const phase = state.plan.phases[Math.min(state.phaseIndex, state.plan.phases.length - 1)]!;
  return {
    meta: {
      planHash: state.plan.hash,
      phaseIndex: state.phaseIndex,
      phaseName: phase.name,
      phaseStep: state.phaseStep,
      globalStep: state.globalStep,
      counters,
      wallTime: state.wallTime,
      vpaeVersion: state.vpaeVersion,
      backend: state.backend,
      extra: { optimizers: [...state.optimizers.entries()].map(([role, o]) => ({ role, kind: o.plan.kind })), frozen: [...state.frozen] },
    },
    tensors,
    rng,
  };
}

function restore(state: State, ck: CheckpointState): void {
  const get = (name: string) => ck.tensors.get(name);
  const extra = ck.meta.extra as { optimizers?: { role: string; kind: string }[]; frozen?: string[]; initialRoles?: string[] };
  // A fork's checkpoint (io/fork.ts) leaves out roles that no shared phase trained: they keep the
  // initial values the Nets constructor just gave them.
  const initial = new Set(extra.initialRoles ?? []);
  for (const [role, p] of state.nets.owned) {
    for (const [name, v] of p) {
      const t = get(roleTensor(role, name));
      if (!t && initial.has(role)) continue;
      if (!t) throw new RunError(`the checkpoint has no ${role}/${name}`);
      tf.tidy(() => v.assign(tf.tensor(t.data as Float32Array, t.shape)));
    }
  }
  for (const name of extra.frozen ?? []) state.frozen.add(name);
  // EMA shadows and optimizer state: rebuilt from the tensor names.
  for (const [full, t] of ck.tensors) {
    const s = shadowTensor(full);
    if (!s) continue;
    let shadow = state.nets.shadows.get(s.key);
    if (!shadow) state.nets.shadows.set(s.key, (shadow = new Map()));
    const value = tf.tensor(t.data as Float32Array, t.shape);
    shadow.set(s.parameter, tf.variable(value, false));
    value.dispose();
  }
  for (const o of extra.optimizers ?? []) {
    const phasePlan = state.plan.phases.flatMap((p) => p.optimizers).find((x) => x.role === o.role && x.kind === o.kind)!;
    const opt = new Optimizer(phasePlan);
    opt.step = ck.meta.counters[optimizerStepCounter(o.role)] ?? 0;
    for (const [name, t] of ck.tensors) {
      const m = parseOptimizerTensor(name);
      if (!m || m.role !== o.role) continue;
      const value = tf.tensor(t.data as Float32Array, t.shape);
      (m.moment === "m" ? opt.m : opt.v).set(m.parameter, tf.variable(value, false));
      value.dispose();
    }
    state.optimizers.set(o.role, opt);
  }
  for (const [name, s] of Object.entries(ck.rng)) {
    const r = state.rng[name as keyof Streams];
    if (r) state.rng[name as keyof Streams] = Rng.fromState(s);
  }
  state.phaseIndex = ck.meta.phaseIndex;
  state.phaseStep = ck.meta.phaseStep;
  state.globalStep = ck.meta.globalStep;
  state.wallTime = ck.meta.wallTime;
  // A checkpoint written at the end of a phase continues with the next phase.
  if (state.phaseIndex < state.plan.phases.length && state.phaseStep >= state.plan.phases[state.phaseIndex]!.steps) {
    state.phaseIndex++;
    state.phaseStep = 0;
  }
}

async function checkpoint(state: State, run: RunDir, emit: (e: RunEvent) => void): Promise<void> {
  const now = Date.now();
  state.wallTime += (now - state.clock) / 1000;
  state.clock = now;
  const saved = run.saveCheckpoint(await snapshot(state));
  emit({ type: "checkpoint", step: state.globalStep, file: saved.file, time: Date.now() });
}

// ---- evaluation ----

/** The weights that represent a role for sampling: its EMA when the phase keeps one, else the role itself. */
function samplingParams(state: State, role: string): ParamSet {
  for (const [key, p] of state.nets.shadows) if (key.startsWith(`ema:${role}@`)) return p;
  return state.nets.owned.get(role)!;
}

async function evaluate(state: State, run: RunDir, phase: Phase, emit: (e: RunEvent) => void): Promise<void> {
  const plan = state.plan;
  // The model being trained: the student once a phase trains it (or the teacher is frozen), else the teacher.
  const role = plan.student && !phase.trains.includes("teacher") ? "student" : "teacher";
  const own = role === "student" ? plan.student!.sampler : plan.teacher!.sampler;
  const params = samplingParams(state, role);
  const batch = state.world.evalBatch(plan.eval.samples);
  const results: Record<string, unknown> = {};
  for (const nfe of plan.eval.nfe) {
    const { summary, video } = await evaluateAt({ dit: state.nets.dit, shape: state.shape, world: state.world }, params, own, batch, nfe, deriveSeed(plan.seed, `eval-noise/${state.globalStep}`));
    const rel = join("samples", `${phase.name}-step${String(state.globalStep).padStart(6, "0")}-nfe${nfe}.gif`);
    mkdirSync(run.samplesDir, { recursive: true });
    writeSampleGrid(join(run.dir, rel), batch, video, 8);
    run.recordSample({ file: rel, step: state.globalStep, phase: phase.name, nfe });
    const { details: _details, latencyMs, latencyPerVideoMs: _l, nfe: _n, speed_coverage: _c, ...scores } = summary;
    results[`nfe${nfe}`] = summary;
    emit({ type: "eval", phase: phase.name, step: state.globalStep, nfe, scores, latencyMs, samplePath: join(run.dir, rel), time: Date.now() });
  }
  run.recordEval({ step: state.globalStep, phase: phase.name, results });
}
