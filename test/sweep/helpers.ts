// What the sweep tests share: reading run folders and sweep records, comparing final checkpoints bit
// for bit, and a copy of the micro setting (experiments/micro-distill.vpae with its teacher) in a
// temporary folder, for sweep files that the tests write themselves.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkpointTensors, fromRoot, lossesByStep, tempDir } from "../helpers.js";

export const MICRO_SWEEP = "experiments/micro-sweep.vpae";

export interface ManifestView {
  status: string;
  reason: string | null;
  planHash: string;
  checkpoints: { step: number }[];
  forkedFrom?: { run: string; phases: number; step: number };
  phases: { index: number; sharedFrom?: string }[];
}

export function manifest(dir: string): ManifestView {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ManifestView;
}

/** The run folder of plan `hash` under `runs` or one folder below it, or null. */
export function runOf(runs: string, hash: string): string | null {
  const name = (dir: string) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()) : []);
  for (const d of name(runs)) {
    if (d.name.endsWith(`-${hash.slice(0, 12)}`)) return join(runs, d.name);
    for (const e of name(join(runs, d.name))) if (e.name.endsWith(`-${hash.slice(0, 12)}`)) return join(runs, d.name, e.name);
  }
  return null;
}

/** Asserts that two runs ended with bit-identical weights, optimizer and RNG state, and equal losses. */
export function assertSameRun(got: string, want: string, step: number, what: string): void {
  const name = `step-${String(step).padStart(6, "0")}.safetensors`;
  const a = checkpointTensors(join(got, "checkpoints", name));
  const b = checkpointTensors(join(want, "checkpoints", name));
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `${what}: the same tensors`);
  for (const [k, v] of b) assert.equal(a.get(k), v, `${what}: tensor ${k} differs`);
  assert.deepEqual(lossesByStep(got), lossesByStep(want), `${what}: the same losses at every step`);
}

export interface RecordState {
  t: string;
  index: number;
  state: string;
  exit?: number;
  reason?: string;
  from?: { member: number | null; phases: number; after: string };
}

export function record(sweepDir: string): RecordState[] {
  return readFileSync(join(sweepDir, "record.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RecordState);
}

/** The member hashes of a sweep file, from `vpae compile --list --json`. */
export function memberHashes(list: string): string[] {
  const j = JSON.parse(list) as { sweeps: { members: { hash: string }[] }[] };
  return j.sweeps[0]!.members.map((m) => m.hash);
}

/** A temporary experiments folder: lib/toy.vpae, micro-distill.vpae, the teacher, plus `files`. */
export function microCopy(files: Record<string, string>): string {
  const dir = tempDir({});
  mkdirSync(join(dir, "lib"));
  mkdirSync(join(dir, "checkpoints"));
  copyFileSync(fromRoot("experiments", "lib", "toy.vpae"), join(dir, "lib", "toy.vpae"));
  copyFileSync(fromRoot("experiments", "micro-distill.vpae"), join(dir, "micro-distill.vpae"));
  copyFileSync(fromRoot("experiments", "checkpoints", "teacher.safetensors"), join(dir, "checkpoints", "teacher.safetensors"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
