// A run directory, runs/<experiment>-<plan hash, 12 chars>/:
//
//   plan.json          the exact plan the run executes (as `vpae compile` writes it)
//   manifest.json      versions, backend, times, status, phase timings, checkpoints, samples, evals
//   metrics.jsonl      one line per training step (metrics.ts)
//   checkpoints/       step-NNNNNN.safetensors (checkpoint.ts)
//   samples/           whatever the sampler writes; recorded in the manifest
//   run.lock           {pid, host, since} while a process works on the run
//
// A new run folder is built under a dot-name and renamed into place, so it either exists complete
// or not at all. Resuming checks the plan, takes the newest valid checkpoint, sets aside the newer
// files that failed verification and cuts metrics, samples and evals back to its step, so that the
// resumed run's records equal those of a run that was never interrupted.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join, resolve } from "node:path";
import { planHash } from "../../../compiler/plan/hash.js";
import type { Plan } from "../../../compiler/plan/schema.js";
import { validatePlan } from "../../../compiler/plan/validate.js";
import { phaseEndSteps } from "../../../compiler/plan/steps.js";
import { fsyncDir, writeFileAtomic } from "./atomic.js";
import { CHECKPOINTS_DIR, checkpointRelative, latestCheckpoint, listCheckpointFiles, saveCheckpoint, type CheckpointState, type LatestCheckpoint, type SavedCheckpoint } from "./checkpoint.js";
import { IoError, describeSystemError, guard, readJsonFile } from "./errors.js";
import { MANIFEST_FILE, MANIFEST_FORMAT_VERSION, readManifest, updateManifest, writeManifest, type EvalRecord, type Manifest, type RunStatus, type SampleRecord } from "./manifest.js";
import { appendMetrics, truncateMetrics, type MetricsRecord } from "./metrics.js";

export const PLAN_FILE = "plan.json";
export const METRICS_FILE = "metrics.jsonl";
export const SAMPLES_DIR = "samples";
export const LOCK_FILE = "run.lock";

export interface OpenRunOptions {
  /** Continue an existing run (the CLI's --resume) instead of creating one. */
  resume?: boolean;
  /** The running vpae's version (recorded in the manifest). */
  vpaeVersion: string;
  /** The backend, when already known (else setBackend later). */
  backend?: { name: string; detail: string } | null;
  /** Where warnings go (skipped checkpoints, truncated metrics); default: nowhere. */
  warn?: (message: string) => void;
}

/** The folder name of a plan's run: "<experiment>-<first 12 characters of the plan hash>". */
export function runDirName(plan: Pick<Plan, "experiment" | "hash">): string {
  const experiment = plan.experiment.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return `${experiment}-${plan.hash.slice(0, 12)}`;
}

function now(): string {
  return new Date().toISOString();
}

// ---- plan.json ----

/** A plan file (a run's, a sweep member's), validated against the schema and its own hash. */
export function readPlanFile(path: string, what: string): Plan {
  const valid = validatePlan(readJsonFile(path, `cannot read ${what}`));
  if (!valid.ok) throw new IoError(path, `not a valid plan: ${valid.errors.map((e) => `${e.pointer || "/"} ${e.message}`).join("; ")}`);
  if (planHash(valid.plan) !== valid.plan.hash) throw new IoError(path, "its content no longer matches its hash: the file was edited after it was written", "plan-mismatch");
  return valid.plan;
}

/** The plan stored in a run folder, validated against the schema and its own hash. */
export function readRunPlan(dir: string): Plan {
  return readPlanFile(join(dir, PLAN_FILE), "the run's plan");
}

function mismatch(dir: string, stored: string, plan: Plan): IoError {
  return new IoError(
    dir,
    `this folder holds a run of a different plan (its plan hash is ${stored.slice(0, 12)}..., this plan's is ${plan.hash.slice(0, 12)}...); ` +
      "refusing to mix them: move or delete the folder, or run the plan it was made for",
    "plan-mismatch",
  );
}

// ---- the lock ----

interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

function readLock(path: string): LockHolder | null {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as Partial<LockHolder>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.since === "string") return v as LockHolder;
  } catch {
    // unreadable: treated as held, see below
  }
  return null;
}

/** Whether the process of a lock (or any {pid, host}) still runs; on another host it cannot tell and says yes. */
export function alive(holder: { pid: number; host: string }): boolean {
  if (holder.host !== hostname()) return true; // cannot tell: assume it is
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function lockContent(): string {
  return JSON.stringify({ pid: process.pid, host: hostname(), since: now() }) + "\n";
}

/** Takes the run's lock, replacing a stale one (its process is gone); refuses a live one. */
function acquireLock(dir: string): void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, lockContent(), { flag: "wx" });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new IoError(path, `cannot take the run's lock: ${describeSystemError(err)}`, "io");
    }
    const holder = readLock(path);
    if (holder === null)
      throw new IoError(dir, `the run is locked by an unreadable ${LOCK_FILE}; if no vpae process works on this run, delete ${path}`, "locked");
    if (alive(holder))
      throw new IoError(
        dir,
        `the run is in use by process ${holder.pid} on ${holder.host} (since ${holder.since}); if that process is gone, delete ${path}`,
        "locked",
      );
    try {
      unlinkSync(path);
    } catch {
      // someone else removed it first; try again
    }
  }
  throw new IoError(dir, `could not take the run's lock ${path}`, "locked");
}

function releaseLock(dir: string): void {
  const path = join(dir, LOCK_FILE);
  const holder = readLock(path);
  if (holder && holder.pid === process.pid && holder.host === hostname()) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

// ---- the run ----

export class RunDir {
  private closed = false;
  /** Phases running in this process: index -> start time (ms). */
  private readonly running = new Map<number, number>();

  constructor(
    readonly dir: string,
    readonly plan: Plan,
    /** The checkpoint a resumed run continues from (null: a new run, or nothing valid to resume from). */
    readonly resumedFrom: LatestCheckpoint | null,
  ) {}

  get name(): string {
    return basename(this.dir);
  }
  get planFile(): string {
    return join(this.dir, PLAN_FILE);
  }
  get manifestFile(): string {
    return join(this.dir, MANIFEST_FILE);
  }
  get metricsFile(): string {
    return join(this.dir, METRICS_FILE);
  }
  get samplesDir(): string {
    return join(this.dir, SAMPLES_DIR);
  }
  get checkpointsDir(): string {
    return join(this.dir, CHECKPOINTS_DIR);
  }

  private open(): void {
    if (this.closed) throw new IoError(this.dir, "the run directory was already closed", "argument");
  }

  manifest(): Manifest {
    return readManifest(this.dir);
  }

  /** Applies a change to the manifest and writes it atomically. */
  update(change: (m: Manifest) => void): Manifest {
    this.open();
    return updateManifest(this.dir, change);
  }

  setBackend(name: string, detail: string): void {
    this.update((m) => {
      m.backend = { name, detail };
    });
  }

  /** Adds the time since phases started (or last flushed) to their `seconds`. */
  private flushPhaseTimes(m: Manifest): void {
    const t = Date.now();
    for (const [index, since] of this.running) {
      const p = m.phases.find((x) => x.index === index);
      if (p) p.seconds += (t - since) / 1000;
      this.running.set(index, t);
    }
  }

  /** Marks a phase as started (kept as is when a resumed run re-enters it). */
  phaseStarted(index: number, name: string): void {
    this.update((m) => {
      if (!m.phases.some((p) => p.index === index)) {
        m.phases.push({ index, name, startedAt: now(), finishedAt: null, seconds: 0 });
        m.phases.sort((a, b) => a.index - b.index);
      }
    });
    this.running.set(index, Date.now());
  }

  phaseFinished(index: number): void {
    this.update((m) => {
      this.flushPhaseTimes(m);
      const p = m.phases.find((x) => x.index === index);
      if (!p) throw new IoError(this.manifestFile, `phase ${index} finished but never started`, "argument");
      p.finishedAt = now();
    });
    this.running.delete(index);
  }

  appendMetrics(record: MetricsRecord): void {
    this.open();
    appendMetrics(this.metricsFile, record);
  }

  /** Saves a checkpoint, records it and prunes to plan.checkpoint.keep. */
  saveCheckpoint(state: CheckpointState): SavedCheckpoint {
    this.open();
    if (state.meta.planHash !== this.plan.hash)
      throw new IoError(this.dir, `checkpoint metadata names plan ${state.meta.planHash.slice(0, 12)}, but this run is plan ${this.plan.hash.slice(0, 12)}`, "argument");
    const saved = saveCheckpoint(this.dir, state, { keep: this.plan.checkpoint.keep, protect: phaseEndSteps(this.plan.phases) });
    this.update((m) => this.flushPhaseTimes(m));
    return saved;
  }

  recordSample(sample: SampleRecord): void {
    this.update((m) => {
      m.samples.push(sample);
    });
  }

  recordEval(result: EvalRecord): void {
    this.update((m) => {
      m.evals.push(result);
    });
  }

  /** Records how the run ended and releases the lock. */
  finish(status: Exclude<RunStatus, "running">, reason: string | null = null): void {
    this.update((m) => {
      this.flushPhaseTimes(m);
      m.status = status;
      m.reason = reason;
    });
    this.running.clear();
    this.close();
  }

  /** Releases the lock without touching the manifest (its status stays what it was: a crash looks like this). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    releaseLock(this.dir);
  }
}

// ---- opening ----

function storedHash(dir: string): string | null {
  try {
    const v = JSON.parse(readFileSync(join(dir, PLAN_FILE), "utf8")) as { hash?: unknown };
    return typeof v.hash === "string" ? v.hash : null;
  } catch {
    return null;
  }
}

function freshManifest(plan: Plan, options: OpenRunOptions): Manifest {
  const t = now();
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    vpaeVersion: options.vpaeVersion,
    node: process.version,
    backend: options.backend ?? null,
    createdAt: t,
    updatedAt: t,
    experiment: plan.experiment,
    planHash: plan.hash,
    status: "running",
    reason: null,
    phases: [],
    checkpoints: [],
    samples: [],
    evals: [],
    resumes: [],
  };
}

/**
 * Builds a run folder under a dot-name and renames it into place, so that it exists complete or not at
 * all: plan, fresh manifest, empty metrics log, and then whatever `fill` writes into it (a fork's
 * records and checkpoint). With `lock`, the new folder holds this process's lock.
 */
export function createRunFolder(runsDir: string, plan: Plan, options: OpenRunOptions & { lock: boolean; fill?: (tmp: string) => void }): string {
  const dir = resolve(runsDir, runDirName(plan));
  guard(runsDir, "cannot create the runs folder", () => mkdirSync(runsDir, { recursive: true }));
  if (existsSync(dir)) throw existing(dir, plan);
  const tmp = join(resolve(runsDir), `.${basename(dir)}.${process.pid}.${randomBytes(4).toString("hex")}.creating`);
  try {
    guard(tmp, "cannot create the run folder", () => {
      mkdirSync(join(tmp, CHECKPOINTS_DIR), { recursive: true });
      mkdirSync(join(tmp, SAMPLES_DIR));
    });
    writeFileAtomic(join(tmp, PLAN_FILE), JSON.stringify(plan, null, 2) + "\n");
    writeManifest(tmp, freshManifest(plan, options));
    writeFileAtomic(join(tmp, METRICS_FILE), "");
    options.fill?.(tmp);
    if (options.lock) guard(tmp, "cannot create the run's lock", () => writeFileSync(join(tmp, LOCK_FILE), lockContent(), { flag: "wx" }));
    try {
      renameSync(tmp, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ENOTEMPTY") throw existing(dir, plan);
      throw new IoError(dir, `cannot create the run folder: ${describeSystemError(err)}`, "io");
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  fsyncDir(resolve(runsDir));
  return dir;
}

function describeRun(dir: string): string {
  try {
    const m = readManifest(dir);
    const last = m.checkpoints.at(-1);
    return `status ${m.status}${last ? `, last checkpoint at step ${last.step}` : ", no checkpoint yet"}`;
  } catch {
    return "its manifest is unreadable";
  }
}

/** The error for "new run, but the folder exists". */
function existing(dir: string, plan: Plan): IoError {
  const stored = storedHash(dir);
  if (stored === null) return new IoError(dir, `the folder exists but is not a vpae run (no readable ${PLAN_FILE}); move or delete it`, "exists");
  if (stored !== plan.hash) return mismatch(dir, stored, plan);
  return new IoError(dir, `a run of this plan already exists (${describeRun(dir)}); use --resume to continue it, or delete the folder to start over`, "exists");
}

function resume(dir: string, plan: Plan, options: OpenRunOptions): RunDir {
  const warn = options.warn ?? (() => {});
  if (!existsSync(dir)) throw new IoError(dir, "no run to resume: the folder does not exist (start the run without --resume)", "not-found");
  const stored = storedHash(dir);
  if (stored === null) throw new IoError(dir, `cannot resume: the folder has no readable ${PLAN_FILE}`, "format");
  if (stored !== plan.hash) throw mismatch(dir, stored, plan);
  readRunPlan(dir); // the stored plan must still match its own hash
  const manifest = readManifest(dir);
  if (manifest.planHash !== plan.hash) throw mismatch(dir, manifest.planHash, plan);
  acquireLock(dir);
  try {
    const latest = latestCheckpoint(dir, { warn, planHash: plan.hash });
    const step = latest ? latest.step : -1;
    // Files newer than the checkpoint resumed from failed verification; they are set aside (not
    // deleted) so that the resumed run can write those steps again.
    for (const e of listCheckpointFiles(dir)) {
      if (e.step <= step) continue;
      const aside = `${e.file}.invalid-${Date.now()}`;
      guard(e.file, "cannot set aside an invalid checkpoint", () => renameSync(e.file, aside));
      warn(`set aside invalid checkpoint ${e.file} as ${basename(aside)}`);
    }
    fsyncDir(join(dir, CHECKPOINTS_DIR));
    const { dropped } = truncateMetrics(join(dir, METRICS_FILE), step);
    if (dropped > 0) warn(`${join(dir, METRICS_FILE)}: dropped ${dropped} record(s) after step ${Math.max(step, 0)}, which the resumed run repeats`);
    updateManifest(dir, (m) => {
      m.status = "running";
      m.reason = null;
      if (options.backend) m.backend = options.backend;
      const onDisk = new Set(listCheckpointFiles(dir).map((e) => e.step));
      m.checkpoints = m.checkpoints.filter((c) => c.step <= step && onDisk.has(c.step));
      if (latest && !m.checkpoints.some((c) => c.step === latest.step)) {
        m.checkpoints.push({ file: checkpointRelative(latest.step), step: latest.step, sha256: latest.sha256, time: now() });
        m.checkpoints.sort((a, b) => a.step - b.step);
      }
      m.samples = m.samples.filter((s) => s.step <= step);
      m.evals = m.evals.filter((e) => e.step <= step);
      if (latest) {
        const { phaseIndex, phaseStep } = latest.state.meta;
        const phaseDone = phaseStep >= (plan.phases[phaseIndex]?.steps ?? Infinity);
        m.phases = m.phases.filter((p) => p.index <= phaseIndex);
        for (const p of m.phases) if (p.index === phaseIndex && !phaseDone) p.finishedAt = null;
      } else {
        m.phases = [];
      }
      m.resumes.push({ time: now(), fromStep: latest ? latest.step : null, file: latest ? checkpointRelative(latest.step) : null, vpaeVersion: options.vpaeVersion });
    });
    return new RunDir(dir, plan, latest);
  } catch (err) {
    releaseLock(dir);
    throw err;
  }
}

/**
 * Opens the run folder of `plan` under `runsDir`. Without `resume`: creates it, refusing an existing
 * folder (a different plan's: plan-mismatch; this plan's: "use --resume"). With `resume`: checks that
 * the stored plan is this plan, takes the lock, finds the newest valid checkpoint (`resumedFrom`) and
 * cuts the records back to its step. Every problem is an IoError with a `kind`.
 */
export function openRunDir(runsDir: string, plan: Plan, options: OpenRunOptions): RunDir {
  const dir = resolve(runsDir, runDirName(plan));
  guard(runsDir, "cannot create the runs folder", () => mkdirSync(runsDir, { recursive: true }));
  if (options.resume) return resume(dir, plan, options);
  return new RunDir(createRunFolder(runsDir, plan, { ...options, lock: true }), plan, null);
}

// ---- finding runs ----

export interface RunSummary {
  name: string;
  dir: string;
  experiment: string;
  planHash: string;
  status: RunStatus;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
  /** Step of the newest recorded checkpoint (null: none). */
  lastStep: number | null;
  checkpoints: number;
  /** A live process holds the run's lock. */
  live: boolean;
}

/** The runs under `runsDir` (folders with a readable manifest), most recently updated first. */
export function listRuns(runsDir: string, options: { warn?: (message: string) => void } = {}): RunSummary[] {
  if (!existsSync(runsDir)) return [];
  const out: RunSummary[] = [];
  for (const name of guard(runsDir, "cannot list runs", () => readdirSync(runsDir))) {
    if (name.startsWith(".")) continue;
    const dir = resolve(runsDir, name);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // a dangling link or an entry removed meanwhile: not a run
    }
    if (!isDir || !existsSync(join(dir, MANIFEST_FILE))) continue;
    let m: Manifest;
    try {
      m = readManifest(dir);
    } catch (err) {
      if (!(err instanceof IoError)) throw err;
      options.warn?.(err.message);
      continue;
    }
    const holder = existsSync(join(dir, LOCK_FILE)) ? readLock(join(dir, LOCK_FILE)) : null;
    out.push({
      name,
      dir,
      experiment: m.experiment,
      planHash: m.planHash,
      status: m.status,
      reason: m.reason,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
      lastStep: m.checkpoints.at(-1)?.step ?? null,
      checkpoints: m.checkpoints.length,
      live: holder !== null && alive(holder),
    });
  }
  return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.name.localeCompare(b.name));
}

function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, MANIFEST_FILE)) && existsSync(join(dir, PLAN_FILE));
}

/**
 * The folder of the run `pathOrName` names, for `vpae sample/eval <run>`: a path to a run folder, a
 * folder name under `runsDir`, or an unambiguous prefix of one, an experiment name or a plan-hash
 * prefix (at least 4 characters). An IoError lists the candidates when none or several match.
 */
export function resolveRun(pathOrName: string, runsDir = "runs"): string {
  if (isRunFolder(pathOrName)) return resolve(pathOrName);
  const inRuns = join(runsDir, pathOrName);
  if (isRunFolder(inRuns)) return resolve(inRuns);
  const runs = listRuns(runsDir);
  const key = pathOrName.replace(/[\\/]+$/, "");
  const matches = runs.filter((r) => r.experiment === key || r.name.startsWith(key) || (key.length >= 4 && r.planHash.startsWith(key)));
  if (matches.length === 1) return matches[0]!.dir;
  if (matches.length > 1)
    throw new IoError(pathOrName, `names several runs: ${matches.map((r) => r.name).join(", ")}; give the full folder name`, "not-found");
  const known = runs.map((r) => r.name);
  throw new IoError(
    pathOrName,
    `no such run (not a run folder, nor a run under ${runsDir}/)${known.length ? `; runs: ${known.slice(0, 10).join(", ")}${known.length > 10 ? ", ..." : ""}` : ""}`,
    "not-found",
  );
}
