// Reads a run directory as a stream of run events, the same events a live run sends its views: `vpae
// watch` hands them to the TUI, which never reads run folders itself. The plan and manifest give the
// header, phases, evaluations and status; metrics.jsonl gives one step event per line. Polls for new
// lines and manifest changes until the run ends, so it works on a run started elsewhere (any sink).
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RunEvent } from "../events.js";
import { equilibriumReferences } from "../equilibrium.js";
import { readManifestIfAny, type Manifest } from "./manifest.js";
import { METRICS_FILE, readRunPlan } from "./run-dir.js";
import type { Plan } from "../../../compiler/plan/schema.js";
import { phaseStartStep, totalSteps } from "../../../compiler/plan/steps.js";

export interface Follower {
  /** Reads what is new and emits its events; returns false once the run has ended and all is read. */
  poll(): boolean;
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
const revive = (_k: string, v: unknown) => (typeof v === "string" && v in NON_FINITE ? NON_FINITE[v] : v);

export function followRun(runDir: string, emit: (e: RunEvent) => void): Follower {
  const plan: Plan = readRunPlan(runDir);
  const phases = plan.phases.map((p) => ({ name: p.name, steps: p.steps }));
  const total = totalSteps(phases);
  const references = equilibriumReferences(plan);
  const metricsFile = join(runDir, METRICS_FILE);
  let started = false;
  let offset = 0;
  let partial = "";
  let lastTime: number | null = null;
  let lastStep = 0;
  let evalsSeen = 0;
  let checkpointStep = 0;
  let phaseIndex = -1;
  let ended = false;

  function start(m: Manifest | null): void {
    started = true;
    const created = m ? Date.parse(m.createdAt) : Date.now();
    emit({ type: "run-start", experiment: plan.experiment, planHash: plan.hash, backend: m?.backend?.name ?? "?", backendDetail: m?.backend?.detail ?? "", runDir, resumedFrom: null, totalSteps: total, phases, references, time: created });
  }

  function readNewLines(m: Manifest | null): void {
    if (!existsSync(metricsFile)) return;
    const size = statSync(metricsFile).size;
    if (size < offset) {
      // the file was truncated (a resume dropped steps it repeats): read it again from the start
      offset = 0;
      partial = "";
    }
    if (size === offset) return;
    const fd = openSync(metricsFile, "r");
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    closeSync(fd);
    offset = size;
    const text = partial + buf.toString("utf8");
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      let r: { step: number; phase: string; phaseStep: number; time: number; losses: Record<string, number>; stats: Record<string, number>; histograms?: Record<string, number[]> };
      try {
        r = JSON.parse(line, revive);
      } catch {
        continue; // a line cut short by a kill; the runner truncates it on resume
      }
      const idx = phases.findIndex((p) => p.name === r.phase);
      if (idx !== phaseIndex && idx >= 0) {
        phaseIndex = idx;
        emit({ type: "phase-start", phase: r.phase, index: idx, steps: phases[idx]!.steps, time: r.time });
      }
      const sps = lastTime !== null && r.time > lastTime ? 1000 / (r.time - lastTime) : 0;
      lastTime = r.time;
      lastStep = r.step;
      emit({ type: "step", phase: r.phase, phaseStep: r.phaseStep - 1, phaseSteps: phases[idx]?.steps ?? r.phaseStep, step: r.step, totalSteps: total, stepsPerSecond: sps, time: r.time, losses: r.losses, stats: r.stats, ...(r.histograms ? { histograms: r.histograms } : {}) });
      if (m) readManifestEvents(m, r.step);
    }
  }

  /** Evaluations, checkpoints and phase ends up to `upTo` (the step just emitted), in step order. */
  function readManifestEvents(m: Manifest, upTo: number): void {
    for (const e of m.evals.slice(evalsSeen)) {
      if (e.step > upTo) break;
      evalsSeen++;
      for (const [key, res] of Object.entries(e.results as Record<string, Record<string, unknown>>)) {
        const nfe = Number(res["nfe"] ?? key.replace(/^nfe/, ""));
        const scores: Record<string, number> = {};
        for (const [k, v] of Object.entries(res)) if (typeof v === "number" && !["nfe", "latencyMs", "latencyPerVideoMs"].includes(k)) scores[k] = v;
        const sample = m.samples.find((s) => s.step === e.step && s.nfe === nfe);
        emit({ type: "eval", phase: e.phase, step: e.step, nfe, scores, latencyMs: Number(res["latencyMs"] ?? 0), samplePath: sample ? join(runDir, sample.file) : null, time: lastTime ?? Date.now() });
      }
    }
    for (const c of m.checkpoints) {
      if (c.step > upTo || c.step <= checkpointStep) continue;
      checkpointStep = c.step;
      emit({ type: "checkpoint", step: c.step, file: join(runDir, c.file), time: Date.parse(c.time) });
    }
    const before = phaseStartStep(phases, phaseIndex);
    for (const p of m.phases) {
      const endStep = phaseStartStep(phases, p.index + 1);
      if (p.finishedAt && endStep <= upTo && (p.index < phaseIndex || upTo >= before + phases[phaseIndex]!.steps)) emitPhaseEnd(p.index, p.name, p.seconds);
    }
  }

  const phaseEnded = new Set<number>();
  function emitPhaseEnd(index: number, name: string, seconds: number): void {
    if (phaseEnded.has(index)) return;
    phaseEnded.add(index);
    emit({ type: "phase-end", phase: name, index, seconds, time: lastTime ?? Date.now() });
  }

  return {
    poll(): boolean {
      if (ended) return false;
      const m = readManifestIfAny(runDir);
      if (!started) start(m);
      readNewLines(m);
      if (m) {
        readManifestEvents(m, lastStep);
        if (m.status !== "running") {
          ended = true;
          emit({ type: "run-end", status: m.status, reason: m.reason ?? null, step: lastStep, seconds: (Date.parse(m.updatedAt) - Date.parse(m.createdAt)) / 1000, time: Date.parse(m.updatedAt) });
          return false;
        }
      }
      return true;
    },
  };
}
