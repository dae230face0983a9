// What the screens show, folded from run events: a pure reducer with no terminal and no tfjs, shared by
// the Ink UI (`vpae run` in a terminal, `vpae watch`) and the alarms of the plain log.
import type { RunEvent } from "../engine/events.js";

/** How many values each history keeps (the charts show the most recent ones). */
export const HISTORY = 400;

export interface PhaseView {
  name: string;
  steps: number;
  done: number;
  /** Seconds the phase took, once it ended. */
  seconds: number | null;
}

export interface EvalView {
  step: number;
  phase: string;
  nfe: number;
  scores: Record<string, number>;
  samplePath: string | null;
}

export interface RunView {
  experiment: string;
  planHash: string;
  backend: string;
  backendDetail: string;
  runDir: string;
  startedAt: number | null;
  /** Time of the latest event (elapsed time = now - startedAt while running). */
  lastTime: number | null;
  status: "waiting" | "running" | "finished" | "stopped" | "failed";
  reason: string | null;
  step: number;
  totalSteps: number;
  phases: PhaseView[];
  current: number;
  /** Smoothed steps per second of the current phase. */
  stepsPerSecond: number;
  /** Loss and statistic histories by name (most recent last). */
  losses: Map<string, number[]>;
  stats: Map<string, number[]>;
  /** The latest per-clip values (discriminator logits on real and generated clips). */
  histograms: Record<string, number[]>;
  evals: EvalView[];
  warnings: string[];
  checkpoints: number;
  lastCheckpoint: string | null;
  /** Steps seen; a watcher that attaches late sees only the tail. */
  stepsSeen: number;
  /** Equilibrium values of adversarial loss terms, by loss name. */
  references: Record<string, number>;
  /** The loss terms of the latest step (the current phase's), in their order. */
  currentLosses: string[];
}

export function emptyView(): RunView {
  return {
    experiment: "",
    planHash: "",
    backend: "",
    backendDetail: "",
    runDir: "",
    startedAt: null,
    lastTime: null,
    status: "waiting",
    reason: null,
    step: 0,
    totalSteps: 0,
    phases: [],
    current: -1,
    stepsPerSecond: 0,
    losses: new Map(),
    stats: new Map(),
    histograms: {},
    evals: [],
    warnings: [],
    checkpoints: 0,
    lastCheckpoint: null,
    stepsSeen: 0,
    references: {},
    currentLosses: [],
  };
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  let h = map.get(key);
  if (!h) map.set(key, (h = []));
  h.push(value);
  if (h.length > HISTORY) h.splice(0, h.length - HISTORY);
}

/** Folds one event into the view (in place; returns it). Phases are declared by `phases` when known. */
export function reduce(view: RunView, e: RunEvent): RunView {
  view.lastTime = e.time;
  switch (e.type) {
    case "run-start":
      view.experiment = e.experiment;
      view.planHash = e.planHash;
      view.backend = e.backend;
      view.backendDetail = e.backendDetail;
      view.runDir = e.runDir;
      view.startedAt = e.time;
      view.totalSteps = e.totalSteps;
      view.step = e.resumedFrom ?? 0;
      view.references = e.references;
      view.phases = e.phases.map((p) => ({ name: p.name, steps: p.steps, done: 0, seconds: null }));
      view.status = "running";
      break;
    case "phase-start": {
      while (view.phases.length <= e.index) view.phases.push({ name: "", steps: 0, done: 0, seconds: null });
      const p = view.phases[e.index]!;
      p.name = e.phase;
      p.steps = e.steps;
      view.current = e.index;
      view.stepsPerSecond = 0;
      break;
    }
    case "step": {
      let i = view.phases.findIndex((p) => p.name === e.phase);
      if (i < 0) {
        view.phases.push({ name: e.phase, steps: e.phaseSteps, done: 0, seconds: null });
        i = view.phases.length - 1;
      }
      const p = view.phases[i]!;
      p.steps = e.phaseSteps;
      p.done = e.phaseStep + 1;
      // earlier phases are complete once a later one steps
      for (let k = 0; k < i; k++) view.phases[k]!.done = view.phases[k]!.steps;
      view.current = i;
      view.step = e.step;
      view.totalSteps = Math.max(view.totalSteps, e.totalSteps);
      if (Number.isFinite(e.stepsPerSecond) && e.stepsPerSecond > 0) view.stepsPerSecond = view.stepsPerSecond > 0 ? 0.8 * view.stepsPerSecond + 0.2 * e.stepsPerSecond : e.stepsPerSecond;
      for (const [k, v] of Object.entries(e.losses)) push(view.losses, k, v);
      view.currentLosses = Object.keys(e.losses);
      for (const [k, v] of Object.entries(e.stats)) push(view.stats, k, v);
      if (e.histograms) Object.assign(view.histograms, e.histograms);
      view.stepsSeen++;
      break;
    }
    case "eval":
      view.evals.push({ step: e.step, phase: e.phase, nfe: e.nfe, scores: e.scores, samplePath: e.samplePath });
      if (view.evals.length > 50) view.evals.splice(0, view.evals.length - 50);
      break;
    case "checkpoint":
      view.checkpoints++;
      view.lastCheckpoint = e.file;
      break;
    case "warning":
      view.warnings.push(e.message);
      break;
    case "phase-end": {
      const p = view.phases[e.index];
      if (p) {
        p.done = p.steps;
        p.seconds = e.seconds;
      }
      break;
    }
    case "run-end":
      view.status = e.status;
      view.reason = e.reason;
      view.step = e.step;
      break;
  }
  return view;
}

/** The latest evaluation at each NFE, newest step first. */
export function latestEvals(view: RunView): EvalView[] {
  const last = view.evals.at(-1);
  if (!last) return [];
  return view.evals.filter((e) => e.step === last.step);
}

/** The terms that log a statistic ending in `suffix`: `vsd` for the key `vsd/fake_shift`. */
export function termsWith(view: RunView, suffix: string): string[] {
  return [...view.stats.keys()].filter((k) => k.endsWith(suffix)).map((k) => k.slice(0, -suffix.length));
}

/** The discriminators, named by their `d/<name>/accuracy` statistic. */
export function discriminators(view: RunView): string[] {
  return termsWith(view, "/accuracy").filter((t) => t.startsWith("d/")).map((t) => t.slice("d/".length));
}
