// Executes a plan: phases in order, each a loop of update cycles, with checkpoints, evaluation, exact
// resume, a clean stop at step boundaries and a hard stop on non-finite losses. Reads like a training
// script: one flat loop, one function per kind of update.
import type { Loss, Phase, Plan } from "../../compiler/plan/schema.js";
import { trainedRole } from "../../compiler/plan/roles.js";
import { initBackend, tf, type BackendPreference } from "./tf.js";
import { Rng, deriveSeed, type RngState } from "./rng.js";
import type { RunEvent, RunListener } from "./events.js";
import { Optimizer } from "./optim.js";
import { sampleTimes, scheduleValue } from "./schedule.js";
import { firstFrame, noisy, pasteFirstFrame, velocityLoss } from "./flow.js";
import { evaluateAt, loadRoleParams } from "./inference.js";
import type { ParamSet, DitShape } from "./model/types.js";
import type { World, WorldBatch } from "./world/types.js";
import { Dit, initParams, cloneParams, emaUpdate } from "./model/dit.js";
import { createWorld } from "./world/sprites.js";
import { writeSampleGrid } from "./inference.js";
import { openRunDir, type RunDir } from "./io/run-dir.js";
import type { CheckpointState } from "./io/checkpoint.js";
import { join, resolve } from "node:path";
import { mkdirSync } from "node:fs";

/** A problem that stops a run with a message for the user (not a bug). */
export class RunError extends Error {}

export interface RunControl {
  /** Set by the first Ctrl-C (or the TUI's `q`): stop at the next step boundary, after a checkpoint. */
  stopRequested: boolean;
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

const SUPPORTED = new Set<Loss["kind"]>(["flow_matching"]);

/** What this runtime cannot run yet, as a readable list (empty when the plan is runnable). */
export function unsupported(plan: Plan): string[] {
  const out: string[] = [];
  if (plan.world.kind !== "sprites") out.push(`world kind ${plan.world.kind} (compile/plan only: vpae has no data for it)`);
  if (!plan.teacher) out.push("a plan without a teacher block");
  for (const p of plan.phases) for (const l of p.losses) if (!SUPPORTED.has(l.kind)) out.push(`loss ${l.name} (${l.kind}) in phase ${p.name}`);
  return out;
}

interface Streams {
  data: Rng;
  time: Rng;
  noise: Rng;
  drop: Rng;
}

interface State {
  backend: string;
  vpaeVersion: string;
  /** Seconds of training over all sessions, up to `clock` (ms). */
  wallTime: number;
  clock: number;
  plan: Plan;
  world: World;
  dit: Dit;
  shape: DitShape;
  params: Map<string, ParamSet>; // role -> parameters (teacher, student)
  emas: Map<string, ParamSet>; // "teacher@0.999" -> EMA copy
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
  const state = initialState(plan, opts.baseDir, `${backend.name} (${backend.detail})`, opts.vpaeVersion);
  if (run.resumedFrom) restore(state, run.resumedFrom.state);
  const totalSteps = plan.phases.reduce((a, p) => a + p.steps, 0);
  emit({ type: "run-start", experiment: plan.experiment, planHash: plan.hash, backend: backend.name, backendDetail: backend.detail, runDir: run.dir, resumedFrom: run.resumedFrom ? state.globalStep : null, totalSteps, time: Date.now() });
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
        if (opts.control.stopRequested) {
          status = "stopped";
          reason = "stopped by the user";
          checkpoint(state, run, emit);
          return finish();
        }
        const { losses, stats } = cycle(state, phase);
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
        run.appendMetrics({ step: state.globalStep, phase: phase.name, phaseStep: state.phaseStep, time: now, losses, stats });
        emit({ type: "step", phase: phase.name, phaseStep: state.phaseStep - 1, phaseSteps: phase.steps, step: state.globalStep, totalSteps, stepsPerSecond: sps, time: now, losses, stats });
        if (opts.leakCheck) {
          const n = tf.memory().numTensors;
          if (tensors >= 0 && n !== tensors) throw new Error(`tensor leak: ${tensors} -> ${n} tensors after step ${state.globalStep}`);
          tensors = n;
        }
        const atEnd = state.phaseStep === phase.steps;
        // Every phase ends with a checkpoint, also with checkpoint.every = 0.
        if (atEnd || (plan.checkpoint.every > 0 && state.phaseStep % plan.checkpoint.every === 0)) checkpoint(state, run, emit);
        if ((plan.eval.every > 0 && state.phaseStep % plan.eval.every === 0) || atEnd) evaluate(state, run, phase, emit);
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
    emit({ type: "run-end", status, reason, step: state.globalStep, seconds: (Date.now() - started) / 1000, time: Date.now() });
    return { status, runDir: run.dir, step: state.globalStep, reason };
  }
}

// ---- state ----

function initialState(plan: Plan, baseDir: string, backend: string, vpaeVersion: string): State {
  const world = createWorld(plan.world as Extract<Plan["world"], { kind: "sprites" }>, plan.seed);
  const teacher = plan.teacher!;
  const shape: DitShape = { arch: teacher.arch, frames: world.frames, height: world.height, width: world.width, channels: world.channels, promptClasses: world.directions };
  const params = new Map<string, ParamSet>();
  let teacherParams: ParamSet;
  if (teacher.init.kind === "checkpoint") {
    const file = resolve(baseDir, teacher.init.path);
    try {
      teacherParams = loadRoleParams(file, "teacher", shape, { preferEma: true }).params;
    } catch (err) {
      throw new RunError(`cannot load the teacher: ${err instanceof Error ? err.message : String(err)} (train one with \`vpae run experiments/teacher.vpae\`, or point teacher.init at a checkpoint)`);
    }
  } else teacherParams = initParams(shape, deriveSeed(plan.seed, "teacher"));
  params.set("teacher", teacherParams);
  if (plan.student) params.set("student", plan.student.init === "teacher" ? cloneParams(teacherParams, { trainable: true }) : initParams(shape, deriveSeed(plan.seed, "student")));
  const rng: Streams = {
    data: new Rng(plan.seed, "data"),
    time: new Rng(plan.seed, "time"),
    noise: new Rng(plan.seed, "noise"),
    drop: new Rng(plan.seed, "drop"),
  };
  return { plan, world, dit: new Dit(shape), shape, params, emas: new Map(), optimizers: new Map(), rng, frozen: new Set(), phaseIndex: 0, phaseStep: 0, globalStep: 0, backend, vpaeVersion, wallTime: 0, clock: Date.now() };
}

function emaKey(role: string, decay: number): string {
  return `${role}@${decay}`;
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
  for (const e of phase.ema) {
    const key = emaKey(e.role, e.decay);
    if (!state.emas.has(key)) state.emas.set(key, cloneParams(state.params.get(e.role)!, { trainable: false }));
  }
}

// ---- one cycle of updates ----

/** One cycle: every role's update count, then the EMA copies. Returns the last value of each loss and statistic. */
function cycle(state: State, phase: Phase): { losses: Record<string, number>; stats: Record<string, number> } {
  const losses: Record<string, number> = {};
  const stats: Record<string, number> = {};
  for (const u of phase.updates) {
    for (let k = 0; k < u.count; k++) {
      const terms = phase.losses.filter((l) => trainedRole(l) === u.role);
      const out = update(state, phase, u.role, terms);
      Object.assign(losses, out.losses);
      Object.assign(stats, out.stats);
    }
  }
  for (const e of phase.ema) emaUpdate(state.emas.get(emaKey(e.role, e.decay))!, state.params.get(e.role)!, e.decay);
  return { losses, stats };
}

/** One optimizer update of `role` on the phase's loss terms that train it. */
function update(state: State, phase: Phase, role: string, terms: Loss[]): { losses: Record<string, number>; stats: Record<string, number> } {
  const params = state.params.get(role)!;
  const opt = state.optimizers.get(role)!;
  const vars = [...params.values()];
  const batch = state.world.sample(phase.batch, state.rng.data);
  const inputs = drawInputs(state, batch, terms);
  const named: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const parts: tf.Scalar[] = [];
    for (const l of terms) {
      if (l.kind !== "flow_matching") continue;
      const weight = scheduleValue(l.weight, state.phaseStep, phase.steps);
      const loss = flowMatchingLoss(state, params, inputs, l);
      named[l.name] = tf.keep(loss);
      parts.push(tf.mul(loss, weight) as tf.Scalar);
    }
    return tf.addN(parts) as tf.Scalar;
  }, vars);
  value.dispose();
  tf.dispose(inputs.tensors);
  const byName = new Map<string, tf.Tensor>();
  for (const [name, v] of params) {
    const g = grads[v.name];
    if (g) byName.set(name, g);
  }
  const report = opt.apply(params, byName, state.phaseStep, phase.steps, true);
  const losses: Record<string, number> = {};
  // sync point: the loss scalars of this update (a handful of floats)
  for (const [name, t] of Object.entries(named)) {
    losses[name] = t.dataSync()[0]!;
    t.dispose();
  }
  const stats: Record<string, number> = { [`lr/${role}`]: report.lr, [`grad_norm/${role}`]: report.gradNorm ?? NaN, [`clipped/${role}`]: report.clipped ? 1 : 0 };
  return { losses, stats };
}

interface Inputs {
  x0: tf.Tensor5D;
  eps: tf.Tensor5D;
  t: tf.Tensor1D;
  image: tf.Tensor4D;
  prompt: tf.Tensor1D;
  imageMask: tf.Tensor1D;
  tensors: tf.Tensor[];
}

/** Tensors of one batch: clips, noise, times and condition dropout, all from the run's RNG streams. */
function drawInputs(state: State, batch: WorldBatch, terms: Loss[]): Inputs {
  const { n, frames, height, width, channels } = batch;
  const dist = terms.find((l) => l.kind === "flow_matching")?.t ?? { kind: "uniform" as const, low: 0, high: 1 };
  const times = sampleTimes(dist, n, state.rng.time);
  const noise = state.rng.noise.normals(batch.video.length);
  const drop = state.plan.teacher?.condDropout ?? 0;
  const prompt = new Int32Array(n);
  for (let i = 0; i < n; i++) prompt[i] = state.rng.drop.uniform() < drop ? state.world.directions : batch.prompt[i]!;
  const x0 = tf.tensor5d(batch.video, [n, frames, height, width, channels]);
  const image = firstFrame(x0);
  const tensors = {
    x0,
    eps: tf.tensor5d(noise, [n, frames, height, width, channels]),
    t: tf.tensor1d(times),
    image,
    prompt: tf.tensor1d(prompt, "int32"),
    imageMask: tf.ones([n]) as tf.Tensor1D,
  };
  return { ...tensors, tensors: Object.values(tensors) };
}

function flowMatchingLoss(state: State, params: ParamSet, inputs: Inputs, loss: Extract<Loss, { kind: "flow_matching" }>): tf.Scalar {
  const xt = pasteFirstFrame(noisy(inputs.x0, inputs.eps, inputs.t), inputs.image);
  const { out } = state.dit.apply(params, { xt, t: inputs.t, image: inputs.image, imageMask: inputs.imageMask, prompt: inputs.prompt });
  return velocityLoss(out, inputs.x0, inputs.eps, inputs.t, state.shape.arch.prediction, loss.minT);
}

// ---- checkpoints ----

function snapshot(state: State): CheckpointState {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const put = (name: string, t: tf.Tensor) => tensors.set(name, { shape: [...t.shape], data: t.dataSync() as Float32Array });
  for (const [role, p] of state.params) for (const [name, v] of p) put(`${role}/${name}`, v);
  for (const [key, p] of state.emas) for (const [name, v] of p) put(`ema:${key}/${name}`, v);
  const counters: Record<string, number> = {};
  for (const [role, o] of state.optimizers) {
    counters[`opt/${role}/step`] = o.step;
    for (const [name, v] of o.m) put(`opt/${role}/m/${name}`, v);
    for (const [name, v] of o.v) put(`opt/${role}/v/${name}`, v);
  }
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
  for (const [role, p] of state.params) {
    for (const [name, v] of p) {
      const t = get(`${role}/${name}`);
      if (!t) throw new RunError(`the checkpoint has no ${role}/${name}`);
      v.assign(tf.tensor(t.data as Float32Array, t.shape));
    }
  }
  const extra = ck.meta.extra as { optimizers?: { role: string; kind: string }[]; frozen?: string[] };
  for (const name of extra.frozen ?? []) state.frozen.add(name);
  // EMA copies and optimizer state: rebuilt from the tensor names.
  const emaKeys = new Set<string>();
  for (const name of ck.tensors.keys()) if (name.startsWith("ema:")) emaKeys.add(name.slice(4, name.indexOf("/")));
  for (const key of emaKeys) {
    const role = key.slice(0, key.lastIndexOf("@"));
    const ema = cloneParams(state.params.get(role)!, { trainable: false });
    for (const [name, v] of ema) v.assign(tf.tensor(get(`ema:${key}/${name}`)!.data as Float32Array, get(`ema:${key}/${name}`)!.shape));
    state.emas.set(key, ema);
  }
  for (const o of extra.optimizers ?? []) {
    const phasePlan = state.plan.phases.flatMap((p) => p.optimizers).find((x) => x.role === o.role && x.kind === o.kind)!;
    const opt = new Optimizer(phasePlan);
    opt.step = ck.meta.counters[`opt/${o.role}/step`] ?? 0;
    for (const [name, t] of ck.tensors) {
      const m = name.match(/^opt\/([^/]+)\/(m|v)\/(.+)$/);
      if (!m || m[1] !== o.role) continue;
      (m[2] === "m" ? opt.m : opt.v).set(m[3]!, tf.variable(tf.tensor(t.data as Float32Array, t.shape), false));
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

function checkpoint(state: State, run: RunDir, emit: (e: RunEvent) => void): void {
  const now = Date.now();
  state.wallTime += (now - state.clock) / 1000;
  state.clock = now;
  const saved = run.saveCheckpoint(snapshot(state));
  emit({ type: "checkpoint", step: state.globalStep, file: saved.file, time: Date.now() });
}

// ---- evaluation ----

/** The weights that represent a role for sampling: its EMA when the phase keeps one, else the role itself. */
function samplingParams(state: State, role: string): ParamSet {
  for (const [key, p] of state.emas) if (key.startsWith(`${role}@`)) return p;
  return state.params.get(role)!;
}

function evaluate(state: State, run: RunDir, phase: Phase, emit: (e: RunEvent) => void): void {
  const plan = state.plan;
  // The model being trained: the student once a phase trains it (or the teacher is frozen), else the teacher.
  const role = plan.student && !phase.trains.includes("teacher") ? "student" : "teacher";
  const own = role === "student" ? plan.student!.sampler : plan.teacher!.sampler;
  const params = samplingParams(state, role);
  const batch = state.world.evalBatch(plan.eval.samples);
  const results: Record<string, unknown> = {};
  for (const nfe of plan.eval.nfe) {
    const { summary, video } = evaluateAt(state, params, own, batch, nfe, deriveSeed(plan.seed, `eval-noise/${state.globalStep}`));
    const rel = join("samples", `${phase.name}-step${String(state.globalStep).padStart(6, "0")}-nfe${nfe}.gif`);
    mkdirSync(run.samplesDir, { recursive: true });
    writeSampleGrid(join(run.dir, rel), batch, video, 8);
    run.recordSample({ file: rel, step: state.globalStep, phase: phase.name, nfe });
    const { details: _details, latencyMs, latencyPerVideoMs: _l, nfe: _n, ...scores } = summary;
    results[`nfe${nfe}`] = summary;
    emit({ type: "eval", phase: phase.name, step: state.globalStep, nfe, scores, latencyMs, samplePath: join(run.dir, rel), time: Date.now() });
  }
  run.recordEval({ step: state.globalStep, phase: phase.name, results });
}
