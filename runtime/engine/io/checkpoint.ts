// Checkpoints: the whole state of a run at a step boundary, in one safetensors file
// `checkpoints/step-000120.safetensors` (the number is the global step):
//
//   tensors      every role's parameters ("student/blocks.0.attn.qkv.w", "ema:student@0.995/...",
//                "fake/blocks.0.attn.qkv.w.lora_a", "d/head.out.w"), optimizer state
//                ("opt/student/m/..."; checkpoint-keys.ts defines the names), F32 / I32 / U32 after
//                the typed array given
//   rng/<name>   each RNG stream's state, a U32 tensor of 4 words
//   metadata     "format": "vpae.checkpoint", "format_version": "1", "vpae": the CheckpointMeta as
//                JSON, "data_sha256": SHA-256 of the data section (so a file checks itself even
//                when the manifest does not list it)
//
// A save writes the file atomically, records {file, step, sha256, time} in manifest.json, then
// prunes to the newest `keep` valid checkpoints. latestCheckpoint() finds the newest checkpoint
// that passes every check, skipping (with a warning) truncated or corrupt ones.
import { existsSync, readFileSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { phaseEndSteps } from "../../../compiler/plan/steps.js";
import type { RngState } from "../rng.js";
import { fsyncDir } from "./atomic.js";
import { IoError, guard } from "./errors.js";
import { manifestPath, readManifestIfAny, updateManifest, type Manifest } from "./manifest.js";
import { readSafetensors, sha256Hex, tensorBytes, writeSafetensors, type TensorData, type WritableTensor } from "./safetensors.js";

export const CHECKPOINT_FORMAT = "vpae.checkpoint";
export const CHECKPOINT_FORMAT_VERSION = 1;
export const CHECKPOINTS_DIR = "checkpoints";
const RNG_PREFIX = "rng/";
const FILE_PATTERN = /^step-(\d{6,})\.safetensors$/;

export interface CheckpointMeta {
  planHash: string;
  phaseIndex: number;
  phaseName: string;
  /** Steps completed within the phase. */
  phaseStep: number;
  /** Steps completed over the whole run; names the file. */
  globalStep: number;
  /** The trainer's counters (optimizer updates per role, clips drawn, ...). */
  counters: Record<string, number>;
  /** Seconds of training up to this checkpoint, over every session. */
  wallTime: number;
  vpaeVersion: string;
  backend: string;
  /** Anything else JSON the trainer needs to resume exactly. */
  extra: Record<string, unknown>;
}

export interface CheckpointTensor {
  shape: number[];
  data: TensorData;
}

export interface CheckpointState {
  meta: CheckpointMeta;
  /** Parameters and optimizer state, in the order saved. Names must not start with "rng/". */
  tensors: Map<string, CheckpointTensor>;
  rng: Record<string, RngState>;
}

export interface CheckpointInfo {
  /** The path (runDir joined with the relative name). */
  file: string;
  step: number;
  sha256: string;
}

export interface SavedCheckpoint extends CheckpointInfo {
  /** Checkpoints removed by pruning (paths). */
  pruned: string[];
}

export interface LatestCheckpoint extends CheckpointInfo {
  state: CheckpointState;
}

export function checkpointFileName(step: number): string {
  return `step-${String(step).padStart(6, "0")}.safetensors`;
}

/** The relative name used in the manifest ("checkpoints/step-000120.safetensors"). */
export function checkpointRelative(step: number): string {
  return `${CHECKPOINTS_DIR}/${checkpointFileName(step)}`;
}

/** The step a checkpoint file name stands for, or null for any other name (temp files included). */
export function stepOfFileName(name: string): number | null {
  const m = FILE_PATTERN.exec(name);
  return m ? Number(m[1]) : null;
}

function dtypeOf(data: TensorData): "F32" | "I32" | "U32" | null {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof Uint32Array) return "U32";
  return null;
}

function isRngState(v: unknown): v is RngState {
  return Array.isArray(v) && v.length === 4 && v.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
}

function checkMeta(meta: unknown, label: string): CheckpointMeta {
  const fail = (problem: string): never => {
    throw new IoError(label, `checkpoint metadata: ${problem}`);
  };
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return fail("not an object");
  const m = meta as Record<string, unknown>;
  for (const k of ["planHash", "phaseName", "vpaeVersion", "backend"] as const) if (typeof m[k] !== "string") fail(`"${k}" is missing or not a string`);
  for (const k of ["phaseIndex", "phaseStep", "globalStep"] as const) if (!Number.isSafeInteger(m[k]) || (m[k] as number) < 0) fail(`"${k}" is not a non-negative integer`);
  if (typeof m.wallTime !== "number" || !Number.isFinite(m.wallTime)) fail(`"wallTime" is not a number`);
  const counters = m.counters;
  if (typeof counters !== "object" || counters === null || Array.isArray(counters) || Object.values(counters).some((v) => typeof v !== "number"))
    fail(`"counters" is not an object of numbers`);
  if (typeof m.extra !== "object" || m.extra === null || Array.isArray(m.extra)) fail(`"extra" is not an object`);
  return m as unknown as CheckpointMeta;
}

/** The safetensors content of a checkpoint (shared by saving and by tests that corrupt files). */
export function checkpointTensors(state: CheckpointState, label: string): { tensors: Map<string, WritableTensor>; metadata: Record<string, string> } {
  const meta = checkMeta(JSON.parse(JSON.stringify(state.meta)) as unknown, label);
  const tensors = new Map<string, WritableTensor>();
  for (const [name, t] of state.tensors) {
    if (name.startsWith(RNG_PREFIX)) throw new IoError(label, `tensor '${name}': names starting with "${RNG_PREFIX}" are reserved for RNG states`, "argument");
    const dtype = dtypeOf(t.data);
    if (dtype === null) throw new IoError(label, `tensor '${name}': data must be a Float32Array, Int32Array or Uint32Array`, "argument");
    tensors.set(name, { dtype, shape: t.shape, data: t.data });
  }
  for (const [stream, s] of Object.entries(state.rng)) {
    if (!isRngState(s)) throw new IoError(label, `RNG state '${stream}' is not 4 unsigned 32-bit words: ${JSON.stringify(s)}`, "argument");
    tensors.set(RNG_PREFIX + stream, { dtype: "U32", shape: [4], data: Uint32Array.from(s) });
  }
  const hash = createDataHash(tensors, label);
  return {
    tensors,
    metadata: { format: CHECKPOINT_FORMAT, format_version: String(CHECKPOINT_FORMAT_VERSION), vpae: JSON.stringify(meta), data_sha256: hash },
  };
}

function createDataHash(tensors: Map<string, WritableTensor>, label: string): string {
  const chunks: Uint8Array[] = [];
  for (const [name, t] of tensors) chunks.push(tensorBytes(name, t, label));
  return sha256Hex(Buffer.concat(chunks));
}

/** Parses a checkpoint file, checking the format, the metadata and the data hash. */
export function loadCheckpointFile(file: string): { state: CheckpointState; sha256: string } {
  const content = readSafetensors(file);
  const md = content.metadata;
  if (md.format !== CHECKPOINT_FORMAT) throw new IoError(file, `not a vpae checkpoint (metadata "format" is ${JSON.stringify(md.format ?? null)})`);
  if (md.format_version !== String(CHECKPOINT_FORMAT_VERSION))
    throw new IoError(file, `checkpoint format version ${JSON.stringify(md.format_version ?? null)} is not the one this vpae reads (${CHECKPOINT_FORMAT_VERSION})`);
  if (md.data_sha256 !== content.dataSha256) throw new IoError(file, "the tensor data does not match the hash stored in the file: the checkpoint is corrupt");
  let metaJson: unknown;
  try {
    metaJson = JSON.parse(md.vpae ?? "");
  } catch {
    throw new IoError(file, `checkpoint metadata "vpae" is missing or not JSON`);
  }
  const meta = checkMeta(metaJson, file);
  const tensors = new Map<string, CheckpointTensor>();
  const rng: Record<string, RngState> = {};
  for (const [name, t] of content.tensors) {
    if (name.startsWith(RNG_PREFIX)) {
      if (t.dtype !== "U32" || t.shape.length !== 1 || t.shape[0] !== 4) throw new IoError(file, `RNG state '${name}' is not a U32 tensor of shape [4]`);
      rng[name.slice(RNG_PREFIX.length)] = [t.data[0]!, t.data[1]!, t.data[2]!, t.data[3]!];
    } else {
      if (t.dtype !== "F32" && t.dtype !== "I32" && t.dtype !== "U32") throw new IoError(file, `tensor '${name}' has dtype ${t.dtype}; checkpoints hold F32, I32 and U32 only`);
      tensors.set(name, { shape: t.shape, data: t.data });
    }
  }
  return { state: { meta, tensors, rng }, sha256: content.sha256 };
}

/** Reads a checkpoint. Problems (missing, truncated, corrupt, foreign file) are IoErrors naming the file. */
export function loadCheckpoint(file: string): CheckpointState {
  return loadCheckpointFile(file).state;
}

function checkpointsDir(runDir: string): string {
  return join(runDir, CHECKPOINTS_DIR);
}

/** Checkpoint files in the folder, newest (highest step) first. */
export function listCheckpointFiles(runDir: string): { name: string; step: number; file: string }[] {
  const dir = checkpointsDir(runDir);
  if (!existsSync(dir)) return [];
  const names = guard(dir, "cannot list checkpoints", () => readdirSync(dir));
  return names
    .map((name) => ({ name, step: stepOfFileName(name), file: join(dir, name) }))
    .filter((e): e is { name: string; step: number; file: string } => e.step !== null)
    .sort((a, b) => b.step - a.step);
}

/**
 * Loads and verifies one checkpoint file: the SHA-256 the manifest records for it (when it does),
 * the file's own data hash, the step in its name, and (when given) the plan hash.
 */
function verify(entry: { name: string; step: number; file: string }, manifest: Manifest | null, planHash: string | undefined): LatestCheckpoint {
  const bytes = guard(entry.file, "cannot read", () => readFileSync(entry.file));
  const recorded = manifest?.checkpoints.find((c) => c.file === `${CHECKPOINTS_DIR}/${entry.name}`);
  if (recorded && recorded.sha256 !== sha256Hex(bytes))
    throw new IoError(entry.file, `its SHA-256 does not match the one recorded in manifest.json (truncated or corrupt)`);
  const { state, sha256 } = loadCheckpointFile(entry.file);
  if (state.meta.globalStep !== entry.step) throw new IoError(entry.file, `it holds step ${state.meta.globalStep}, not the step ${entry.step} of its name`);
  if (planHash !== undefined && state.meta.planHash !== planHash) throw new IoError(entry.file, `it belongs to plan ${state.meta.planHash.slice(0, 12)}, not ${planHash.slice(0, 12)}`);
  return { file: entry.file, step: entry.step, sha256, state };
}

/**
 * The newest checkpoint of the run that passes every check (see verify), with its state; null when
 * there is none. Each newer file that fails is skipped with a call of `warn` saying why.
 */
export function latestCheckpoint(runDir: string, options: { warn?: (message: string) => void; planHash?: string } = {}): LatestCheckpoint | null {
  const manifest = readManifestIfAny(runDir);
  const onDisk = listCheckpointFiles(runDir);
  for (const entry of onDisk) {
    try {
      const found = verify(entry, manifest, options.planHash);
      for (const c of manifest?.checkpoints ?? [])
        if (c.step > found.step && !onDisk.some((e) => e.step === c.step)) options.warn?.(`${join(runDir, c.file)} is listed in manifest.json but missing; skipped`);
      if (manifest && !manifest.checkpoints.some((c) => c.step === found.step))
        options.warn?.(`${found.file} is not listed in manifest.json (the run stopped between writing and recording it); its own data hash checks out, using it`);
      return found;
    } catch (err) {
      if (!(err instanceof IoError)) throw err;
      options.warn?.(`skipping checkpoint ${err.message}`);
    }
  }
  return null;
}

/** Which checkpoints pruning keeps: the newest `keep` valid ones, and every step in `protect`. */
export interface KeepPolicy {
  keep: number;
  /**
   * Steps that are never pruned: the ends of the plan's phases, from which another plan that shares
   * those phases can start (sweep prefix sharing, fork.ts).
   */
  protect?: readonly number[];
}

/**
 * Writes `state` as checkpoints/step-NNNNNN.safetensors (atomically), records it in manifest.json
 * (where the folder has one) and prunes old checkpoints (policy: default from plan.json, its
 * checkpoint.keep and its phase ends; no pruning without either). Pruning counts only checkpoints
 * that verify: it keeps every file from the newest down to the keep-th valid one (so a corrupt newer
 * file never costs the last good one), plus the protected steps, and deletes the other older ones; it
 * never deletes the file just written.
 */
export function saveCheckpoint(runDir: string, state: CheckpointState, policy?: KeepPolicy | number): SavedCheckpoint {
  const step = state.meta.globalStep;
  const file = join(checkpointsDir(runDir), checkpointFileName(step));
  const { tensors, metadata } = checkpointTensors(state, file);
  const sha256 = writeSafetensors(file, tensors, metadata);
  const hasManifest = existsSync(manifestPath(runDir));
  const relative = checkpointRelative(step);
  if (hasManifest) {
    updateManifest(runDir, (m) => {
      m.checkpoints = m.checkpoints.filter((c) => c.file !== relative);
      m.checkpoints.push({ file: relative, step, sha256, time: new Date().toISOString() });
      m.checkpoints.sort((a, b) => a.step - b.step);
    });
  }
  const limit = typeof policy === "number" ? { keep: policy } : (policy ?? planPolicy(runDir));
  const pruned = limit === undefined ? [] : prune(runDir, limit.keep, step, new Set(limit.protect ?? []));
  return { file, step, sha256, pruned };
}

function planPolicy(runDir: string): KeepPolicy | undefined {
  const path = join(runDir, "plan.json");
  if (!existsSync(path)) return undefined;
  const plan = guard(path, "cannot read", () => JSON.parse(readFileSync(path, "utf8")) as { checkpoint?: { keep?: unknown }; phases?: { steps: number }[] });
  const keep = plan.checkpoint?.keep;
  return typeof keep === "number" && keep >= 1 ? { keep, protect: phaseEndSteps(plan.phases ?? []) } : undefined;
}

function prune(runDir: string, keep: number, justWritten: number, protect: ReadonlySet<number>): string[] {
  if (!Number.isSafeInteger(keep) || keep < 1) throw new IoError(runDir, `cannot keep ${keep} checkpoints (at least 1)`, "argument");
  const manifest = readManifestIfAny(runDir);
  let valid = 0;
  let cutoff = -1; // files with steps below the keep-th valid one go
  for (const entry of listCheckpointFiles(runDir)) {
    let ok = entry.step === justWritten;
    if (!ok) {
      try {
        verify(entry, manifest, undefined);
        ok = true;
      } catch (err) {
        if (!(err instanceof IoError)) throw err;
      }
    }
    if (ok && ++valid === keep) {
      cutoff = entry.step;
      break;
    }
  }
  if (cutoff < 0) return [];
  const removed = listCheckpointFiles(runDir).filter((e) => e.step < cutoff && e.step !== justWritten && !protect.has(e.step));
  for (const entry of removed) guard(entry.file, "cannot delete an old checkpoint", () => unlinkSync(entry.file));
  if (removed.length > 0) {
    fsyncDir(checkpointsDir(runDir));
    if (manifest) {
      const gone = new Set(removed.map((e) => `${CHECKPOINTS_DIR}/${e.name}`));
      updateManifest(runDir, (m) => {
        m.checkpoints = m.checkpoints.filter((c) => !gone.has(c.file));
      });
    }
  }
  return removed.map((e) => e.file);
}
