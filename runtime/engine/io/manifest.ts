// manifest.json: what a run directory holds and how the run went. Always replaced atomically, so a
// reader sees a whole manifest even if the writer is killed mid-update.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { IoError, guard, parseJson } from "./errors.js";

export const MANIFEST_FORMAT_VERSION = 1;
export const MANIFEST_FILE = "manifest.json";

export type RunStatus = "running" | "finished" | "stopped" | "failed";

export interface ManifestCheckpoint {
  /** Relative to the run directory: "checkpoints/step-000120.safetensors". */
  file: string;
  step: number;
  /** SHA-256 (hex) of the whole file. */
  sha256: string;
  /** When it was written (ISO 8601). */
  time: string;
}

export interface ManifestPhase {
  index: number;
  name: string;
  startedAt: string;
  finishedAt: string | null;
  /** Seconds spent in the phase, summed over every session of the run. */
  seconds: number;
  /** Set when the phase was trained by another run and taken over from its phase-end checkpoint (fork.ts): that run's folder name. */
  sharedFrom?: string;
}

/** Where a run that started from another run's phase-end checkpoint (prefix sharing) came from. */
export interface ForkRecord {
  /** The source run's folder name and plan hash. */
  run: string;
  planHash: string;
  /** Phases taken over, and the global step of the checkpoint they end at. */
  phases: number;
  step: number;
  time: string;
}

export interface SampleRecord {
  /** Relative to the run directory: "samples/....". */
  file: string;
  step: number;
  phase: string;
  [key: string]: unknown;
}

export interface EvalRecord {
  step: number;
  phase: string;
  results: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ResumeRecord {
  time: string;
  /** The step of the checkpoint the run went on from (null: no valid checkpoint, started over). */
  fromStep: number | null;
  file: string | null;
  vpaeVersion: string;
}

export interface Manifest {
  formatVersion: typeof MANIFEST_FORMAT_VERSION;
  /** The vpae that created the run (resumes record theirs in `resumes`). */
  vpaeVersion: string;
  node: string;
  backend: { name: string; detail: string } | null;
  createdAt: string;
  updatedAt: string;
  experiment: string;
  planHash: string;
  status: RunStatus;
  /** Why the run stopped or failed (null while running or when finished). */
  reason: string | null;
  phases: ManifestPhase[];
  /** The checkpoints on disk, oldest first. */
  checkpoints: ManifestCheckpoint[];
  samples: SampleRecord[];
  evals: EvalRecord[];
  resumes: ResumeRecord[];
  /** Present when the run started from another run's phase-end checkpoint. */
  forkedFrom?: ForkRecord;
}

export function manifestPath(runDir: string): string {
  return join(runDir, MANIFEST_FILE);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses manifest text; `label` names the file in errors. */
export function parseManifest(text: string, label: string): Manifest {
  const value = parseJson(text, label);
  if (!isObject(value)) throw new IoError(label, "not a JSON object");
  if (value.formatVersion !== MANIFEST_FORMAT_VERSION)
    throw new IoError(label, `manifest format version ${JSON.stringify(value.formatVersion)} is not the one this vpae reads (${MANIFEST_FORMAT_VERSION})`);
  for (const key of ["vpaeVersion", "node", "createdAt", "updatedAt", "experiment", "planHash", "status"] as const)
    if (typeof value[key] !== "string") throw new IoError(label, `"${key}" is missing or not a string`);
  if (!["running", "finished", "stopped", "failed"].includes(value.status as string)) throw new IoError(label, `unknown status '${String(value.status)}'`);
  for (const key of ["phases", "checkpoints", "samples", "evals", "resumes"] as const)
    if (!Array.isArray(value[key])) throw new IoError(label, `"${key}" is missing or not a list`);
  for (const c of value.checkpoints as unknown[]) {
    if (!isObject(c) || typeof c.file !== "string" || typeof c.sha256 !== "string" || !Number.isSafeInteger(c.step))
      throw new IoError(label, `a checkpoint entry is malformed: ${JSON.stringify(c)}`);
  }
  return value as unknown as Manifest;
}

export function readManifest(runDir: string): Manifest {
  const path = manifestPath(runDir);
  return parseManifest(guard(path, "cannot read the manifest", () => readFileSync(path, "utf8")), path);
}

/** The manifest, or null where the folder has none. */
export function readManifestIfAny(runDir: string): Manifest | null {
  return existsSync(manifestPath(runDir)) ? readManifest(runDir) : null;
}

export function writeManifest(runDir: string, manifest: Manifest): void {
  writeFileAtomic(manifestPath(runDir), JSON.stringify(manifest, null, 2) + "\n");
}

/** Read, change, stamp updatedAt, write atomically. Returns the new manifest. */
export function updateManifest(runDir: string, change: (m: Manifest) => void): Manifest {
  const m = readManifest(runDir);
  change(m);
  m.updatedAt = new Date().toISOString();
  writeManifest(runDir, m);
  return m;
}
