// `vpae run` end to end through the CLI: the micro plan, exact resume after SIGKILL, Ctrl-C, NaN stops.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { checkpointTensors as tensors, fromRoot, lossesByStep, runAndKillWhen, runCli, tempDir } from "../helpers.js";
import { readSafetensors } from "../../runtime/engine/io/safetensors.js";

const MICRO = "experiments/micro.vpae";
/** A longer finetune phase, so that a run can be interrupted in the middle of it. */
const LONG = ["--set", "phase.finetune.steps=30"];

function runDirOf(runs: string): string {
  const [name] = readdirSync(runs).filter((n) => n.startsWith("micro-"));
  assert.ok(name, `no run directory in ${runs}`);
  return join(runs, name);
}

function manifest(dir: string): { status: string; reason: string | null; checkpoints: { step: number }[]; evals: unknown[]; samples: { file: string }[] } {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
}

test("vpae run executes the micro plan: run directory, metrics, checkpoints, evaluations, samples", () => {
  const runs = tempDir({});
  const r = runCli(["run", MICRO, "--runs-dir", runs, "--no-tui", "--debug"]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /run finished at step 8/);
  const dir = runDirOf(runs);
  const m = manifest(dir);
  assert.equal(m.status, "finished");
  assert.equal(lossesByStep(dir).length, 8);
  assert.ok(m.checkpoints.length >= 2 && m.checkpoints.some((c) => c.step === 8));
  assert.ok(m.evals.length >= 4);
  for (const s of m.samples) assert.ok(existsSync(join(dir, s.file)), s.file);
  assert.equal(readFileSync(join(dir, m.samples[0]!.file)).subarray(0, 6).toString("latin1"), "GIF89a");
  // the plan in the run directory is the plan that ran
  const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as { hash: string };
  assert.ok(dir.endsWith(plan.hash.slice(0, 12)));
});

test("a run killed with SIGKILL mid-phase and resumed ends bit-identical to an uninterrupted run", async () => {
  const straight = tempDir({});
  const a = runCli(["run", MICRO, "--runs-dir", straight, ...LONG]);
  assert.equal(a.status, 0, a.stderr);
  const reference = runDirOf(straight);

  const killed = tempDir({});
  // Kill as soon as the first finetune checkpoint (global step 6) exists: mid-phase.
  await runAndKillWhen(["run", MICRO, "--runs-dir", killed, ...LONG], () => {
    const dirs = existsSync(killed) ? readdirSync(killed).filter((n) => n.startsWith("micro-")) : [];
    return dirs.length > 0 && existsSync(join(killed, dirs[0]!, "checkpoints", "step-000006.safetensors"));
  }, "step 6");
  const dir = runDirOf(killed);
  assert.equal(manifest(dir).status, "running", "the killed run did not get to finish");
  const resumed = runCli(["run", "--resume", dir]);
  assert.equal(resumed.status, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, /resumed at step \d+/);
  assert.equal(manifest(dir).status, "finished");
  const last = "step-000034.safetensors";
  const want = tensors(join(reference, "checkpoints", last));
  const got = tensors(join(dir, "checkpoints", last));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, v] of want) assert.equal(got.get(k), v, `tensor ${k} differs after resume`);
  assert.deepEqual(lossesByStep(dir), lossesByStep(reference));
});

test("Ctrl-C stops at a step boundary with a checkpoint and status stopped", async () => {
  const runs = tempDir({});
  const child = spawn(process.execPath, [fromRoot("bin", "vpae.js"), "run", MICRO, "--runs-dir", runs, "--set", "phase.finetune.steps=400"], { cwd: fromRoot(), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let sent = false;
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (!sent && out.includes("finetune 1/400")) {
      sent = true; // one Ctrl-C: a second one would exit at once
      child.kill("SIGINT");
    }
  });
  const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  assert.equal(code, 130, out);
  const dir = runDirOf(runs);
  const m = manifest(dir);
  assert.equal(m.status, "stopped");
  const lastStep = lossesByStep(dir).length;
  assert.ok(m.checkpoints.some((c) => c.step === lastStep), `a checkpoint at the stop step ${lastStep}`);
  assert.ok(lastStep < 404);
});

test("a non-finite loss stops the run, names the loss and the step, and keeps the last good checkpoint", () => {
  const runs = tempDir({});
  // A learning rate of 1e30 blows the teacher up within a few steps.
  const r = runCli(["run", MICRO, "--runs-dir", runs, "--set", "phase.pretrain.optimizer.teacher.lr=1e30"]);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stderr, /loss flow_matching is (NaN|Infinity|-Infinity) at step \d+ \(phase pretrain, step \d+\)/);
  const dir = runDirOf(runs);
  const m = manifest(dir);
  assert.equal(m.status, "failed");
  for (const c of m.checkpoints) {
    const ck = readSafetensors(join(dir, "checkpoints", `step-${String(c.step).padStart(6, "0")}.safetensors`));
    for (const [name, t] of ck.tensors) for (const v of t.data) assert.ok(Number.isFinite(v), `${name} in the kept checkpoint is finite`);
  }
});

test("plans the runtime cannot run are refused with a list, not a crash", () => {
  const runs = tempDir({});
  const r = runCli(["run", "experiments/paper/vpae-wan14b.vpae", "--runs-dir", runs]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot run vpae_wan14b/);
  assert.match(r.stderr, /world kind video_latent: vpae has no data for it/);
  assert.match(r.stderr, /hardware block \(8 GPUs, bf16, sharding fsdp\)/);
  assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/);
});

test("vpae run --json prints one typed event per line", () => {
  const runs = tempDir({});
  const r = runCli(["run", MICRO, "--runs-dir", runs, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; step?: number; losses?: Record<string, number>; stats?: Record<string, number> });
  const types = new Set(events.map((e) => e.type));
  for (const t of ["run-start", "phase-start", "step", "checkpoint", "eval", "phase-end", "run-end"]) assert.ok(types.has(t), `a ${t} event`);
  const steps = events.filter((e) => e.type === "step");
  assert.equal(steps.length, 8);
  assert.ok(steps.every((e) => Number.isFinite(e.losses!["flow_matching"]) && Number.isFinite(e.stats!["grad_norm/teacher"] ?? e.stats!["grad_norm/student"])));
  assert.equal(events[events.length - 1]!.type, "run-end");
});
