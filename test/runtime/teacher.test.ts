// The committed toy teacher loads into the toy experiments' architecture and still does its job.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../runtime/engine/tf.js";
import { evaluateAt, loadRoleParams } from "../../runtime/engine/inference.js";
import { createWorld } from "../../runtime/engine/world/sprites.js";
import { Dit, disposeParams } from "../../runtime/engine/model/dit.js";
import { compileFile } from "../../compiler/program.js";
import { fromRoot } from "../helpers.js";

before(async () => {
  await initBackend("wasm");
});

test("experiments/checkpoints/teacher.safetensors loads for the toy plans and follows the prompt", async () => {
  const r = compileFile("experiments/vpae.vpae");
  const plan = r.plans[0]!.plan;
  assert.ok(plan.teacher && plan.world.kind === "sprites");
  assert.equal(plan.teacher.init.kind === "checkpoint" && plan.teacher.init.path, "checkpoints/teacher.safetensors");
  const world = createWorld(plan.world, plan.seed);
  const shape = { arch: plan.teacher.arch, frames: world.frames, height: world.height, width: world.width, channels: world.channels, promptClasses: world.directions };
  const { params } = loadRoleParams(fromRoot("experiments", "checkpoints", "teacher.safetensors"), "teacher", shape, { preferEma: true });
  const model = { dit: new Dit(shape), shape, world };
  // 16 clips at 8 plain Euler steps: cheap, and enough to tell a trained teacher from an untrained one
  const { summary } = await evaluateAt(model, params, plan.teacher.sampler, world.evalBatch(16), 8, 11);
  assert.ok(summary.direction_accuracy >= 75, `direction accuracy ${summary.direction_accuracy}`);
  assert.ok(summary.semantic_alignment >= 80, `semantic alignment ${summary.semantic_alignment}`);
  disposeParams(params);
  model.dit.dispose();
});
