// scores-<role>-<clips>.json in a run folder: the scores `vpae eval --save` measured for the run's
// final weights on one clip set (world/clip-sets.ts), often on more clips than the run's own
// evaluations. `vpae report --clips` reads them; on the validation set it falls back to the run's
// last in-run evaluation. The record is `vpae eval --json`'s output plus the role and a time.
import { existsSync } from "node:fs";
import { basename, isAbsolute, join, relative } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { IoError, readJsonFile } from "./errors.js";

/** One NFE's scores: the three groups of docs/metrics.md (0-100), direction accuracy (%) and model time. */
export interface ScoreRow {
  nfe: number;
  semantic_alignment: number;
  temporal_coherence: number;
  frame_quality: number;
  direction_accuracy: number;
  /** How evenly the clips use the world's futures (docs/metrics.md, `speeds`); absent in older records. */
  speed_coverage?: number | null;
  /** Model time per batch (the sampling loop only), ms. */
  latencyMs: number;
  /** Model time per video, ms. */
  latencyPerVideoMs: number;
  /** The per-score details of docs/metrics.md. */
  details?: unknown;
}

export interface ScoresRecord {
  /** The run folder's name. */
  run: string;
  /** The scored weights file, relative to the run folder (the file travels with the folder). */
  checkpoint: string;
  weights: string;
  backend: string;
  /** The clip set's name (validation, test, seed-N). */
  clips: string;
  samples: number;
  results: ScoreRow[];
  role: string;
  raw?: boolean;
  time?: string;
}

export function scoresFile(runDir: string, role: string, clips: string): string {
  return join(runDir, `scores-${role}-${clips}.json`);
}

/** Writes the record with its paths relative to the run folder, so that a copied or committed folder names no other machine's paths. */
export function writeScores(runDir: string, role: string, clips: string, record: ScoresRecord): string {
  const file = scoresFile(runDir, role, clips);
  const own = { ...record, run: basename(runDir), checkpoint: isAbsolute(record.checkpoint) ? relative(runDir, record.checkpoint) : record.checkpoint };
  writeFileAtomic(file, JSON.stringify(own, null, 2) + "\n");
  return file;
}

/** The saved scores of a role on a clip set, or null where there are none. */
export function readScores(runDir: string, role: string, clips: string): ScoresRecord | null {
  const file = scoresFile(runDir, role, clips);
  if (!existsSync(file)) return null;
  const v = readJsonFile(file, "cannot read the scores");
  const r = v as Partial<ScoresRecord>;
  if (typeof v !== "object" || v === null || !Array.isArray(r.results) || typeof r.samples !== "number") throw new IoError(file, "not a vpae scores record (results and samples)");
  return r as ScoresRecord;
}
