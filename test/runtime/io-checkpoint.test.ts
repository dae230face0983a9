// Checkpoints: the round trip of a trainer's state, the checks that make latestCheckpoint skip a
// truncated or corrupt file for the one before it, and keep-N pruning that never costs the last good one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { compileText, MINIMAL, tempDir } from "../helpers.js";
import type { Plan } from "../../compiler/plan/schema.js";
import { planHash } from "../../compiler/plan/hash.js";
import { IoError } from "../../runtime/engine/io/errors.js";
import { Rng } from "../../runtime/engine/rng.js";
import {
  checkpointFileName,
  latestCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointMeta,
  type CheckpointState,
} from "../../runtime/engine/io/checkpoint.js";
import { readManifest, updateManifest } from "../../runtime/engine/io/manifest.js";
import { openRunDir } from "../../runtime/engine/io/run-dir.js";
import { readSafetensors } from "../../runtime/engine/io/safetensors.js";

const BASE = compileText(MINIMAL).plans[0]!.plan;

/** A one-phase plan of `steps` steps that keeps `keep` checkpoints (its phase ends after the steps the tests save). */
function planWithKeep(keep: number, steps = 100): Plan {
  const p = structuredClone(BASE);
  p.checkpoint.keep = keep;
  p.phases[0]!.steps = steps;
  p.hash = planHash(p);
  return p;
}

/** A fresh run folder (closed again, so that tests may reopen it). */
function newRun(keep = 3, steps?: number): { dir: string; plan: Plan } {
  const plan = planWithKeep(keep, steps);
  const run = openRunDir(join(tempDir({}), "runs"), plan, { vpaeVersion: "0.1.0", backend: { name: "cpu", detail: "test" } });
  run.close();
  return { dir: run.dir, plan };
}

function meta(plan: Plan, step: number): CheckpointMeta {
  return {
    planHash: plan.hash,
    phaseIndex: 0,
    phaseName: "distill",
    phaseStep: step,
    globalStep: step,
    counters: { "updates/student": step, clips: step * 4 },
    wallTime: step * 0.25,
    vpaeVersion: "0.1.0",
    backend: "cpu",
    extra: { lossEma: 0.5, note: "ok" },
  };
}

function state(plan: Plan, step: number): CheckpointState {
  const rng = new Rng(plan.seed + step, "noise");
  return {
    meta: meta(plan, step),
    tensors: new Map([
      ["student/blocks.0.attn.qkv.w", { shape: [2, 3], data: rng.normals(6) }],
      ["ema:student@0.995/blocks.0.attn.qkv.w", { shape: [2, 3], data: rng.normals(6) }],
      ["fake/lora/blocks.0.a", { shape: [3, 1], data: Float32Array.from([step, -step, 0.5]) }],
      ["opt/student/m/blocks.0.attn.qkv.w", { shape: [2, 3], data: new Float32Array(6).fill(1e-3) }],
      ["opt/student/step", { shape: [], data: Int32Array.from([step]) }],
      ["d/head/bias", { shape: [0], data: new Float32Array(0) }],
    ]),
    rng: { noise: rng.state(), world: new Rng(7, "world").state() },
  };
}

function warnings(): { warn: (m: string) => void; seen: string[] } {
  const seen: string[] = [];
  return { warn: (m) => seen.push(m), seen };
}

test("a checkpoint round-trips every tensor, the RNG states and the metadata", () => {
  const { dir, plan } = newRun();
  const s = state(plan, 120);
  const saved = saveCheckpoint(dir, s);
  assert.equal(saved.file, join(dir, "checkpoints", "step-000120.safetensors"));
  assert.equal(saved.sha256, createHash("sha256").update(readFileSync(saved.file)).digest("hex"));
  const back = loadCheckpoint(saved.file);
  assert.deepEqual(back, s);
  assert.deepEqual([...back.tensors.keys()], [...s.tensors.keys()]);
  // a restored RNG continues exactly where the saved one would have
  const original = new Rng(plan.seed + 120, "noise");
  original.normals(12);
  assert.deepEqual(Rng.fromState(back.rng.noise!).normals(5), original.normals(5));
  // what is in the file: U32 rng tensors of 4 words and the metadata keys
  const raw = readSafetensors(saved.file);
  assert.deepEqual(raw.tensors.get("rng/noise")?.dtype, "U32");
  assert.deepEqual(raw.tensors.get("rng/noise")?.shape, [4]);
  assert.equal(raw.tensors.get("opt/student/step")?.dtype, "I32");
  assert.equal(raw.metadata.format, "vpae.checkpoint");
  assert.deepEqual(JSON.parse(raw.metadata.vpae!), s.meta);
  // recorded in the manifest with the file's hash
  assert.deepEqual(
    readManifest(dir).checkpoints.map((c) => [c.file, c.step, c.sha256]),
    [["checkpoints/step-000120.safetensors", 120, saved.sha256]],
  );
  assert.equal(checkpointFileName(7), "step-000007.safetensors");
  assert.equal(checkpointFileName(1234567), "step-1234567.safetensors");
});

test("saving refuses what it could not restore", () => {
  const { dir, plan } = newRun();
  const reserved = state(plan, 1);
  reserved.tensors.set("rng/extra", { shape: [4], data: new Uint32Array(4) });
  assert.throws(() => saveCheckpoint(dir, reserved), (e: unknown) => e instanceof IoError && e.kind === "argument" && /reserved for RNG states/.test(e.message));
  const badRng = state(plan, 1);
  badRng.rng.noise = [1, 2, 3, -1] as unknown as [number, number, number, number];
  assert.throws(() => saveCheckpoint(dir, badRng), /not 4 unsigned 32-bit words/);
  const badMeta = state(plan, 1);
  badMeta.meta.wallTime = NaN;
  assert.throws(() => saveCheckpoint(dir, badMeta), /"wallTime" is not a number/);
  const badData = state(plan, 1);
  badData.tensors.set("x", { shape: [1], data: new Float64Array(1) as unknown as Float32Array });
  assert.throws(() => saveCheckpoint(dir, badData), /must be a Float32Array, Int32Array or Uint32Array/);
  assert.deepEqual(readdirSync(join(dir, "checkpoints")), [], "nothing written");
});

test("latestCheckpoint skips a truncated newest file for the previous one, with a warning", () => {
  const { dir, plan } = newRun(10);
  for (const step of [10, 20, 30]) saveCheckpoint(dir, state(plan, step));
  const newest = join(dir, "checkpoints", "step-000030.safetensors");
  truncateSync(newest, Math.floor(readFileSync(newest).length / 2));
  // and what an interrupted write leaves behind: a temp file, which is not a checkpoint
  writeFileSync(join(dir, "checkpoints", ".step-000040.safetensors.4242.cafebabe.tmp"), "partial");
  const w = warnings();
  const latest = latestCheckpoint(dir, w);
  assert.equal(latest?.step, 20);
  assert.deepEqual(latest?.state, state(plan, 20));
  assert.equal(w.seen.length, 1);
  assert.match(w.seen[0]!, /step-000030\.safetensors.*SHA-256 does not match.*manifest/);
  // loading the truncated file directly is an IoError naming it, never a RangeError
  assert.throws(() => loadCheckpoint(newest), (e: unknown) => e instanceof IoError && e.message.startsWith(newest));
});

test("latestCheckpoint checks the manifest hash, the file's own data hash and the step in the name", () => {
  const { dir, plan } = newRun(10);
  for (const step of [10, 20, 30, 40]) saveCheckpoint(dir, state(plan, step));
  const file = (s: number) => join(dir, "checkpoints", checkpointFileName(s));
  const flip = (path: string, fromEnd: number) => {
    const b = readFileSync(path);
    b[b.length - fromEnd] ^= 0x01;
    writeFileSync(path, b);
  };
  // 40: one flipped bit, size unchanged: the manifest's SHA-256 catches it
  flip(file(40), 3);
  // 30: flipped and also dropped from the manifest: the data hash inside the file catches it
  flip(file(30), 5);
  updateManifest(dir, (m) => {
    m.checkpoints = m.checkpoints.filter((c) => c.step !== 30);
  });
  // 20: renamed to a step it does not hold
  writeFileSync(file(25), readFileSync(file(20)));
  const w = warnings();
  assert.equal(latestCheckpoint(dir, w)?.step, 20);
  assert.equal(w.seen.length, 3, w.seen.join("\n"));
  assert.match(w.seen[0]!, /step-000040.*SHA-256 does not match/);
  assert.match(w.seen[1]!, /step-000030.*does not match the hash stored in the file/);
  assert.match(w.seen[2]!, /step-000025.*holds step 20, not the step 25/);
  // a plan hash that does not match skips everything
  assert.equal(latestCheckpoint(dir, { planHash: "0".repeat(64) }), null);
});

test("a valid checkpoint the manifest does not list yet (killed between the two writes) is used", () => {
  const { dir, plan } = newRun(10);
  saveCheckpoint(dir, state(plan, 10));
  saveCheckpoint(dir, state(plan, 20));
  updateManifest(dir, (m) => {
    m.checkpoints = m.checkpoints.filter((c) => c.step !== 20);
  });
  const w = warnings();
  assert.equal(latestCheckpoint(dir, w)?.step, 20);
  assert.match(w.seen.join("\n"), /not listed in manifest\.json.*data hash checks out/);
});

test("no checkpoints: latestCheckpoint is null", () => {
  const { dir } = newRun();
  assert.equal(latestCheckpoint(dir), null);
});

test("pruning keeps the newest `keep` checkpoints and updates the manifest", () => {
  const { dir, plan } = newRun(2);
  const pruned: string[][] = [];
  for (const step of [10, 20, 30, 40]) pruned.push(saveCheckpoint(dir, state(plan, step)).pruned);
  assert.deepEqual(readdirSync(join(dir, "checkpoints")).sort(), ["step-000030.safetensors", "step-000040.safetensors"]);
  assert.deepEqual(readManifest(dir).checkpoints.map((c) => c.step), [30, 40]);
  assert.deepEqual(pruned.map((p) => p.length), [0, 0, 1, 1]);
  // the default comes from plan.json; an explicit keep overrides it
  saveCheckpoint(dir, state(plan, 50), 1);
  assert.deepEqual(readdirSync(join(dir, "checkpoints")), ["step-000050.safetensors"]);
});

test("pruning never deletes the checkpoint at the end of a phase (another plan may start from it)", () => {
  const { dir, plan } = newRun(1, 10);
  for (const step of [5, 10, 15, 20]) saveCheckpoint(dir, state(plan, step));
  assert.deepEqual(readdirSync(join(dir, "checkpoints")).sort(), ["step-000010.safetensors", "step-000020.safetensors"]);
  assert.deepEqual(readManifest(dir).checkpoints.map((c) => c.step), [10, 20]);
});

test("pruning counts only valid checkpoints, so a corrupt one never costs the last good one", () => {
  const { dir, plan } = newRun(2);
  saveCheckpoint(dir, state(plan, 10));
  saveCheckpoint(dir, state(plan, 20));
  truncateSync(join(dir, "checkpoints", "step-000020.safetensors"), 100);
  saveCheckpoint(dir, state(plan, 30));
  // valid: 30 and 10 (20 is corrupt), so 10 must stay
  assert.deepEqual(readdirSync(join(dir, "checkpoints")).sort(), ["step-000010.safetensors", "step-000020.safetensors", "step-000030.safetensors"]);
  saveCheckpoint(dir, state(plan, 40));
  assert.deepEqual(readdirSync(join(dir, "checkpoints")).sort(), ["step-000030.safetensors", "step-000040.safetensors"]);
});

test("pruning never deletes the checkpoint just written, even when newer files exist", () => {
  const { dir, plan } = newRun(1);
  saveCheckpoint(dir, state(plan, 50));
  const saved = saveCheckpoint(dir, state(plan, 40));
  assert.ok(existsSync(saved.file));
  assert.ok(existsSync(join(dir, "checkpoints", "step-000050.safetensors")));
});

test("without a manifest a checkpoint still verifies itself", () => {
  const dir = tempDir({});
  const plan = planWithKeep(3);
  saveCheckpoint(dir, state(plan, 5));
  saveCheckpoint(dir, state(plan, 6));
  const b = readFileSync(join(dir, "checkpoints", "step-000006.safetensors"));
  b[b.length - 1] ^= 0x80;
  writeFileSync(join(dir, "checkpoints", "step-000006.safetensors"), b);
  assert.equal(latestCheckpoint(dir)?.step, 5);
});
