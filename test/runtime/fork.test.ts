// io/fork.ts on synthetic run folders (no training): a fork gets the source's records up to the phase
// end and a checkpoint rewritten for its own plan, without the roles the plans define differently; a
// source that does not share the phases, lacks the checkpoint or has a corrupt one is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromRoot, tempDir } from "../helpers.js";
import { compileFile } from "../../compiler/program.js";
import type { Plan } from "../../compiler/plan/schema.js";
import { openRunDir } from "../../runtime/engine/io/run-dir.js";
import { forkRun, sharedPhases } from "../../runtime/engine/io/fork.js";
import { checkpointRelative, loadCheckpoint, type CheckpointState } from "../../runtime/engine/io/checkpoint.js";
import { readManifest } from "../../runtime/engine/io/manifest.js";
import { readMetrics } from "../../runtime/engine/io/metrics.js";
import { IoError } from "../../runtime/engine/io/errors.js";

const members = compileFile(fromRoot("experiments", "micro-sweep.vpae")).sweeps[0]!.members.map((m) => m.plan!);
const [base, , convHead, slowPriming] = members as [Plan, Plan, Plan, Plan];
const OPTS = { vpaeVersion: "test", backend: { name: "cpu", detail: "fixture" } };

/** A source run of `plan` with 12 logged steps, evaluations at 4, 7 and 10, and a checkpoint at step 7 (the end of priming). */
function source(plan: Plan, opts: { withoutD?: boolean } = {}): string {
  const run = openRunDir(join(tempDir({}), "runs"), plan, OPTS);
  for (let step = 1; step <= 12; step++) run.appendMetrics({ step, phase: step <= 3 ? "consistency" : step <= 7 ? "priming" : "equilibrium", phaseStep: step, time: step, losses: { x: step }, stats: {} });
  for (const step of [4, 7, 10]) run.recordEval({ step, phase: "p", results: { nfe1: { nfe: 1, semantic_alignment: step } } });
  writeFileSync(join(run.dir, "samples", "s7.gif"), "GIF89a");
  run.recordSample({ file: "samples/s7.gif", step: 7, phase: "priming" });
  run.phaseStarted(0, "consistency");
  run.phaseFinished(0);
  const state: CheckpointState = {
    meta: { planHash: plan.hash, phaseIndex: 1, phaseName: "priming", phaseStep: 4, globalStep: 7, counters: { "opt/d/step": 0 }, wallTime: 3, vpaeVersion: "test", backend: "cpu", extra: { optimizers: [{ role: "student", kind: "adam" }, { role: "d", kind: "adam" }], frozen: [] } },
    tensors: new Map([
      ["student/w", { shape: [2], data: Float32Array.from([1, 2]) }],
      ["fake/lora_a", { shape: [1], data: Float32Array.from([3]) }],
      ["d/head.w", { shape: [1], data: Float32Array.from([4]) }],
      ["opt/d/m/head.w", { shape: [1], data: Float32Array.from([5]) }],
      ["ema:student@0.9/w", { shape: [2], data: Float32Array.from([6, 7]) }],
    ]),
    rng: { data: [1, 2, 3, 4] },
  };
  if (opts.withoutD) for (const name of [...state.tensors.keys()]) if (/^(opt\/)?d\//.test(name)) state.tensors.delete(name);
  run.saveCheckpoint(state);
  run.finish("finished");
  return run.dir;
}

test("a fork holds the source's records up to the phase end and a checkpoint for its own plan, without the roles defined differently", () => {
  assert.equal(sharedPhases(base, convHead), 2);
  assert.equal(sharedPhases(base, slowPriming), 1);
  const src = source(base);
  const runs = join(tempDir({}), "runs");
  const dir = forkRun(runs, convHead, src, 2, OPTS);
  const m = readManifest(dir);
  assert.equal(m.planHash, convHead.hash);
  assert.deepEqual(m.forkedFrom && { run: m.forkedFrom.run, phases: m.forkedFrom.phases, step: m.forkedFrom.step }, { run: src.split("/").pop(), phases: 2, step: 7 });
  assert.deepEqual(m.phases.map((p) => p.sharedFrom), [src.split("/").pop()]);
  assert.deepEqual(m.evals.map((e) => e.step), [4, 7]);
  assert.equal(readFileSync(join(dir, "samples", "s7.gif"), "utf8"), "GIF89a");
  assert.deepEqual(readMetrics(join(dir, "metrics.jsonl")).map((r) => r.step), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")).hash, convHead.hash);
  const ck = loadCheckpoint(join(dir, checkpointRelative(7)));
  assert.equal(ck.meta.planHash, convHead.hash);
  // the discriminator's head differs between the plans: its weights and optimizer state stay out
  assert.deepEqual([...ck.tensors.keys()].sort(), ["ema:student@0.9/w", "fake/lora_a", "student/w"]);
  assert.deepEqual((ck.meta.extra as { initialRoles: string[] }).initialRoles, ["d"]);
  assert.deepEqual((ck.meta.extra as { optimizers: { role: string }[] }).optimizers.map((o) => o.role), ["student"]);
  assert.deepEqual(ck.rng, { data: [1, 2, 3, 4] });
  assert.equal(m.checkpoints.length, 1);
});

test("a role both plans define alike but the source never built (no phase of its plan used it) starts fresh in the fork", () => {
  // csds_1 defines the discriminator as base does; a source run of base that never built d (as an
  // ablation without adversarial terms would not) holds none of its tensors
  const csds1 = members[1]!;
  assert.equal(sharedPhases(base, csds1), 2);
  const dir = forkRun(join(tempDir({}), "runs"), csds1, source(base, { withoutD: true }), 2, OPTS);
  const ck = loadCheckpoint(join(dir, checkpointRelative(7)));
  assert.deepEqual((ck.meta.extra as { initialRoles: string[] }).initialRoles, ["d"]);
  assert.deepEqual([...ck.tensors.keys()].filter((k) => k.startsWith("d/")), []);
  // with the tensors there, d is carried over as before
  const kept = loadCheckpoint(join(forkRun(join(tempDir({}), "runs"), csds1, source(base), 2, OPTS), checkpointRelative(7)));
  assert.deepEqual((kept.meta.extra as { initialRoles: string[] }).initialRoles, []);
  assert.ok(kept.tensors.has("d/head.w"));
});

test("a fork is refused when the plans do not share the phases, the checkpoint is gone or corrupt", () => {
  const src = source(base);
  const refused = (plan: Plan, phases: number, kind: string, message: RegExp) =>
    assert.throws(() => forkRun(join(tempDir({}), "runs"), plan, src, phases, OPTS), (e: unknown) => e instanceof IoError && e.kind === kind && message.test(e.message));
  refused(slowPriming, 2, "plan-mismatch", /shares 1 phase\(s\) with plan [0-9a-f]{12}, not 2/);
  refused(convHead, 3, "argument", /cannot share 3 phase\(s\) of a 3-phase plan/);
  refused(slowPriming, 1, "not-found", /no checkpoint at the end of phase consistency \(step 3\)/);
  const file = join(src, checkpointRelative(7));
  const bytes = readFileSync(file);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(file, bytes);
  refused(convHead, 2, "format", /SHA-256 does not match the one recorded in manifest\.json/);
});
