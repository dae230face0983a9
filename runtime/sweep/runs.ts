// Every run under a runs folder, at any depth (runs/, runs/results/, ...; the sweeps' own folders are
// skipped), indexed by plan hash and by chained phase hash: what a sweep needs to know which members
// are already done (from this sweep, another one, or a plain `vpae run`), which can start from another
// run's phase-end checkpoint, and how long a phase took before.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Plan } from "../../compiler/plan/schema.js";
import { listRuns, PLAN_FILE, type RunSummary } from "../engine/io/run-dir.js";
import { readManifest, type Manifest } from "../engine/io/manifest.js";
import { checkpointRelative } from "../engine/io/checkpoint.js";
import { phaseEndSteps } from "../../compiler/plan/steps.js";
import { SWEEPS_DIR } from "./record.js";

export interface IndexedRun extends RunSummary {
  manifest: Manifest;
  /** The plan's chained phase hashes and step counts. */
  phases: { name: string; hash: string; steps: number }[];
  plan: Plan;
  /** Steps of the checkpoints the manifest lists. */
  checkpointSteps: Set<number>;
}

export interface RunIndex {
  runs: IndexedRun[];
  byHash: Map<string, IndexedRun[]>;
  /** Runs whose plan has this chained phase hash at position i: [run, i]. */
  byPhase: Map<string, { run: IndexedRun; index: number }[]>;
}

const MAX_DEPTH = 4;

function indexed(r: RunSummary): IndexedRun | null {
  let plan: Plan;
  let manifest: Manifest;
  try {
    plan = JSON.parse(readFileSync(join(r.dir, PLAN_FILE), "utf8")) as Plan;
    manifest = readManifest(r.dir);
  } catch {
    return null; // unreadable runs are not reused; `vpae run --resume` says what is wrong with them
  }
  if (!Array.isArray(plan.phases) || plan.hash !== r.planHash) return null;
  return { ...r, manifest, plan, phases: plan.phases.map((p) => ({ name: p.name, hash: p.hash, steps: p.steps })), checkpointSteps: new Set(manifest.checkpoints.map((c) => c.step)) };
}

/** One run folder as the index sees it (null: not a readable run). */
export function readIndexedRun(dir: string): IndexedRun | null {
  const r = listRuns(dirname(dir)).find((x) => x.dir === resolve(dir));
  return r ? indexed(r) : null;
}

function collect(dir: string, depth: number, out: IndexedRun[]): void {
  for (const r of listRuns(dir)) {
    const run = indexed(r);
    if (run) out.push(run);
  }
  if (depth >= MAX_DEPTH) return;
  const runDirs = new Set(out.map((r) => r.dir));
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    if (name.startsWith(".") || (depth === 0 && name === SWEEPS_DIR)) continue;
    const sub = join(dir, name);
    if (runDirs.has(sub)) continue;
    let isDir = false;
    try {
      isDir = statSync(sub).isDirectory() && !existsSync(join(sub, "manifest.json"));
    } catch {
      // gone meanwhile
    }
    if (isDir) collect(sub, depth + 1, out);
  }
}

export function indexRuns(runsDir: string): RunIndex {
  const runs: IndexedRun[] = [];
  if (existsSync(runsDir)) collect(runsDir, 0, runs);
  const byHash = new Map<string, IndexedRun[]>();
  const byPhase = new Map<string, { run: IndexedRun; index: number }[]>();
  for (const r of runs) {
    byHash.set(r.planHash, [...(byHash.get(r.planHash) ?? []), r]);
    r.phases.forEach((p, index) => byPhase.set(p.hash, [...(byPhase.get(p.hash) ?? []), { run: r, index }]));
  }
  return { runs, byHash, byPhase };
}

/** The checkpoint step at which phase `index` of a run ends, and whether the run still has it. */
export function phaseEndCheckpoint(run: IndexedRun, index: number): { step: number; present: boolean } {
  const step = phaseEndSteps(run.phases)[index]!;
  return { step, present: run.checkpointSteps.has(step) && existsSync(join(run.dir, checkpointRelative(step))) };
}

/** The newest checkpoint step of a run (null: none). */
export function lastCheckpoint(run: IndexedRun): number | null {
  return run.manifest.checkpoints.at(-1)?.step ?? null;
}
