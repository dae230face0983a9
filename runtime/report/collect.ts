// The final numbers of each member of a sweep, read from run folders: the scores `vpae eval --save`
// wrote (scores-<role>.json) or else the run's own last evaluation, the discriminators' logit gap at
// the end of training (metrics.jsonl), the training time (manifest phases), the run's status and its
// in-run curve (the mean score of each of its own evaluations, on the validation clips).
import { join } from "node:path";
import { totalSteps } from "../../compiler/plan/steps.js";
import { groupMean } from "../engine/eval/groups.js";
import { readMetrics } from "../engine/io/metrics.js";
import { readScores } from "../engine/io/scores.js";
import { VALIDATION } from "../engine/world/clip-sets.js";
import { logitGap } from "../sweep/events.js";
import type { EvalRecord } from "../engine/io/manifest.js";
import type { IndexedRun, RunIndex } from "../sweep/runs.js";

/** The score columns of a result, in table order. */
export const METRICS = ["semantic_alignment", "temporal_coherence", "frame_quality", "mean", "direction_accuracy", "speed_coverage", "latency_ms", "d_gap"] as const;
export type Metric = (typeof METRICS)[number];

export const METRIC_LABELS: Record<Metric, string> = {
  semantic_alignment: "semantic alignment",
  temporal_coherence: "temporal coherence",
  frame_quality: "frame quality",
  mean: "mean",
  direction_accuracy: "direction acc. %",
  speed_coverage: "speed coverage %",
  latency_ms: "latency (ms/video)",
  d_gap: "D gap (end)",
};

/** Logged steps the end-of-training D gap averages over. */
export const GAP_WINDOW = 50;

export interface MemberResult {
  index: number;
  name: string;
  changes: { path: string; value: unknown }[];
  hash: string;
  run: IndexedRun | null;
  status: string;
  /** Metric values (absent: not measured). */
  values: Partial<Record<Metric, number>>;
  /** Where the scores come from. */
  source: string | null;
  trainSeconds: number | null;
  /** The run's in-run curve at the report's NFE: [step, mean of the three groups], by step. */
  curve: [number, number][];
}

export interface MemberInput {
  index: number;
  name: string;
  changes: { path: string; value: unknown }[];
  hash: string;
}

/** The discriminators' mean logit gap over the last GAP_WINDOW logged steps that have one (null: none). */
export function finalGap(runDir: string): number | null {
  let records;
  try {
    records = readMetrics(join(runDir, "metrics.jsonl"));
  } catch {
    return null;
  }
  const gaps = records.map((r) => logitGap(r.stats)).filter((g): g is number => g !== null).slice(-GAP_WINDOW);
  return gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null;
}

/** One in-run evaluation's result at `nfe` (undefined: it did not sample at that NFE). */
export function evalAt(e: EvalRecord | undefined, nfe: number): Record<string, unknown> | undefined {
  return e ? Object.values(e.results as Record<string, Record<string, unknown>>).find((x) => x["nfe"] === nfe) : undefined;
}

/** A run's in-run curve: [step, mean of the three groups at `nfe`] of each evaluation that has them, by step. */
export function inRunCurve(evals: readonly EvalRecord[], nfe: number): [number, number][] {
  const out: [number, number][] = [];
  for (const e of evals) {
    const mean = groupMean(evalAt(e, nfe));
    if (mean !== null) out.push([e.step, mean]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The best run of a hash for a report: finished first, then the furthest along. */
function pick(runs: readonly IndexedRun[]): IndexedRun | null {
  return [...runs].sort((a, b) => (b.status === "finished" ? 1 : 0) - (a.status === "finished" ? 1 : 0) || (b.lastStep ?? -1) - (a.lastStep ?? -1))[0] ?? null;
}

/**
 * `clips`: the clip set's name. Scores come from scores-<role>-<clips>.json; on the validation set
 * (the one runs evaluate themselves on) a run without that file falls back to its own final evaluation.
 */
export function collectResults(members: readonly MemberInput[], index: RunIndex, opts: { nfe: number; role: string; clips: string; inRun?: boolean }): MemberResult[] {
  return members.map((m) => {
    const run = pick(index.byHash.get(m.hash) ?? []);
    const out: MemberResult = { index: m.index, name: m.name, changes: m.changes, hash: m.hash, run, status: run ? run.status : "not run", values: {}, source: null, trainSeconds: null, curve: [] };
    if (!run) return out;
    out.curve = inRunCurve(run.manifest.evals, opts.nfe);
    out.trainSeconds = run.manifest.phases.reduce((a, p) => a + (p.sharedFrom ? 0 : p.seconds), 0);
    let row: Record<string, unknown> | undefined;
    const saved = opts.inRun ? null : readScores(run.dir, opts.role, opts.clips);
    if (saved) {
      row = saved.results.find((r) => r.nfe === opts.nfe) as Record<string, unknown> | undefined;
      if (row) out.source = `scores-${opts.role}-${opts.clips}.json (${saved.samples} clips)`;
    }
    if (!row && opts.role !== "teacher" && opts.clips === VALIDATION.name) {
      // the run's own evaluation at its last step (the role it trains)
      const total = totalSteps(run.phases);
      const last = [...run.manifest.evals].reverse().find((e) => e.step === total) ?? (run.status === "finished" ? undefined : run.manifest.evals.at(-1));
      const r = evalAt(last, opts.nfe);
      if (r && last) {
        row = r;
        out.source = `final evaluation at step ${last.step}${run.status !== "finished" ? " (unfinished run)" : ""}`;
      }
    }
    if (row) {
      const num = (k: string) => (typeof row![k] === "number" ? (row![k] as number) : undefined);
      const sa = num("semantic_alignment");
      const tc = num("temporal_coherence");
      const fq = num("frame_quality");
      if (sa !== undefined) out.values.semantic_alignment = sa;
      if (tc !== undefined) out.values.temporal_coherence = tc;
      if (fq !== undefined) out.values.frame_quality = fq;
      const mean = groupMean(row);
      if (mean !== null) out.values.mean = mean;
      const dir = num("direction_accuracy");
      if (dir !== undefined) out.values.direction_accuracy = dir;
      const cov = num("speed_coverage");
      if (cov !== undefined) out.values.speed_coverage = cov;
      const lat = num("latencyPerVideoMs");
      if (lat !== undefined) out.values.latency_ms = lat;
    }
    if (opts.role !== "teacher") {
      const gap = finalGap(run.dir);
      if (gap !== null) out.values.d_gap = gap;
    }
    return out;
  });
}
