// scores-<role>.json in a run folder: the scores `vpae eval --save` measured for the run's final
// weights (often on more clips than the run's own evaluations), which `vpae report` prefers over the
// run's last in-run evaluation. The record is `vpae eval --json`'s output plus the role and a time.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { IoError, guard } from "./errors.js";

export interface ScoreRow {
  nfe: number;
  semantic_alignment: number;
  temporal_coherence: number;
  frame_quality: number;
  direction_accuracy: number;
  latencyMs: number;
  latencyPerVideoMs: number;
  /** The per-score details of docs/metrics.md. */
  details?: unknown;
}

export interface ScoresRecord {
  run: string;
  checkpoint: string;
  weights: string;
  backend: string;
  samples: number;
  results: ScoreRow[];
  role: string;
  raw?: boolean;
  time?: string;
}

export function scoresFile(runDir: string, role: string): string {
  return join(runDir, `scores-${role}.json`);
}

export function writeScores(runDir: string, role: string, record: ScoresRecord): string {
  const file = scoresFile(runDir, role);
  writeFileAtomic(file, JSON.stringify(record, null, 2) + "\n");
  return file;
}

/** The saved scores of a role, or null where there are none. */
export function readScores(runDir: string, role: string): ScoresRecord | null {
  const file = scoresFile(runDir, role);
  if (!existsSync(file)) return null;
  let v: unknown;
  try {
    v = JSON.parse(guard(file, "cannot read the scores", () => readFileSync(file, "utf8")));
  } catch (err) {
    if (err instanceof IoError) throw err;
    throw new IoError(file, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const r = v as Partial<ScoresRecord>;
  if (typeof v !== "object" || v === null || !Array.isArray(r.results) || typeof r.samples !== "number") throw new IoError(file, "not a vpae scores record (results and samples)");
  return r as ScoresRecord;
}
