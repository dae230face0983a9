// The webgpu backend on the adapter this machine has: in CI Mesa's llvmpipe through OpenGL ES (.ci/run
// installs it), on a GPU machine the GPU (scripts/gpu-check.sh). experiments/micro-terms.vpae, one or
// two steps of every loss kind, gives wasm's losses within a stated tolerance, leak-free, and resumes
// bit for bit; every head kind, the
// regularisers (R1's second-order gradient included) and the adversarial forms match wasm's values and
// gradients. Without an adapter the tests are skipped with the reason, unless VPAE_REQUIRE_WEBGPU=1
// (set by .ci/run) makes that a failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { checkpointTensors, runAndKillWhen, runCli, tempDir } from "../helpers.js";
import { DeviceError, checkDevice, initBackend, tf } from "../../runtime/engine/tf.js";
import { findAdapter } from "../../runtime/engine/webgpu.js";
import { applyHead, initHeadParams, type HeadShape } from "../../runtime/engine/model/heads.js";
import { HEAD_KINDS, defaultHead, makeHead } from "../../compiler/plan/heads.js";
import { approxR1, r1, str1 } from "../../runtime/engine/losses/regularizers.js";
import { discriminatorLoss, generatorLoss, mismatchLoss } from "../../runtime/engine/losses/adversarial.js";
import { ADVERSARIAL_LOSSES } from "../../compiler/plan/kinds.js";
import { LOSS_KINDS } from "../../compiler/plan/losses.js";

/** Losses of the same plan on webgpu and wasm agree to |a - b| <= ABS + REL |a| (measured on llvmpipe: micro-terms within 2.1e-5 absolute, micro-distill's 12 steps within 5.2e-5 relative). */
const ABS = 1e-4;
const REL = 1e-3;

const finding = await findAdapter(true);
const skip = finding.ok ? false : `no WebGPU adapter here: ${finding.reason}`;
if (skip && process.env["VPAE_REQUIRE_WEBGPU"] === "1") throw new Error(`VPAE_REQUIRE_WEBGPU=1, but ${skip}`);

// every loss kind in 7 steps, with a checkpoint after each
const SHORT = ["--set", "checkpoint.every=1", "--set", "checkpoint.keep=100", "--no-tui"];
const MICRO = "experiments/micro-terms.vpae";

function runDir(runs: string): string {
  return join(runs, readdirSync(runs)[0]!);
}
function losses(dir: string): { step: number; losses: Record<string, number> }[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { step: number; losses: Record<string, number> });
}
const ck = (dir: string, step: number) => join(dir, "checkpoints", `step-${String(step).padStart(6, "0")}.safetensors`);

let webgpuRun: string | undefined;

test("every loss kind on webgpu (micro-terms): leak-free, with wasm's losses within 1e-4 + 1e-3 relative", { skip }, () => {
  const gpuRuns = tempDir({});
  const g = runCli(["run", MICRO, "--runs-dir", gpuRuns, "--backend", "webgpu", "--debug", ...SHORT]);
  assert.equal(g.status, 0, g.stderr + g.stdout);
  assert.match(g.stdout, / on webgpu: /);
  assert.match(g.stdout, /run finished at step 7/);
  const wasmRuns = tempDir({});
  const w = runCli(["run", MICRO, "--runs-dir", wasmRuns, "--backend", "wasm", ...SHORT]);
  assert.equal(w.status, 0, w.stderr + w.stdout);
  webgpuRun = runDir(gpuRuns);
  const [a, b] = [losses(runDir(wasmRuns)), losses(webgpuRun)];
  assert.equal(b.length, 7);
  const kinds = new Set<string>();
  const off: string[] = [];
  for (let i = 0; i < a.length; i++) {
    for (const [k, v] of Object.entries(a[i]!.losses)) {
      kinds.add(k);
      const x = b[i]!.losses[k]!;
      if (!(Math.abs(x - v) <= ABS + REL * Math.abs(v))) off.push(`${k} at step ${a[i]!.step}: wasm ${v}, webgpu ${x}`);
    }
  }
  assert.deepEqual(off, []);
  assert.deepEqual([...kinds].sort(), [...LOSS_KINDS].sort(), "every loss kind ran");
  const manifest = JSON.parse(readFileSync(join(webgpuRun, "manifest.json"), "utf8")) as { backend: { name: string; detail: string } };
  assert.equal(manifest.backend.name, "webgpu");
  assert.match(manifest.backend.detail, /via (Vulkan|OpenGL ES)/);
});

test("a webgpu run killed after step 3 resumes to the uninterrupted run's weights and losses, bit for bit", { skip }, async () => {
  assert.ok(webgpuRun, "the uninterrupted run of the test above");
  const killed = tempDir({});
  await runAndKillWhen(["run", MICRO, "--runs-dir", killed, "--backend", "webgpu", ...SHORT], () => {
    const dirs = existsSync(killed) ? readdirSync(killed) : [];
    return dirs.length > 0 && existsSync(ck(join(killed, dirs[0]!), 3));
  }, "step 3", 300_000);
  const dir = runDir(killed);
  const resumed = runCli(["run", "--resume", dir, "--backend", "webgpu", "--no-tui"]);
  assert.equal(resumed.status, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, /resumed at step [3-6]/);
  assert.deepEqual(checkpointTensors(ck(dir, 7)), checkpointTensors(ck(webgpuRun, 7)));
  const steps = (d: string) => losses(d).map((r) => JSON.stringify([r.step, r.losses]));
  assert.deepEqual(steps(dir), steps(webgpuRun));
});

/** `f`'s value and its gradients with respect to the inputs it depends on, on one backend, read back ([] for one it ignores). */
async function valueAndGrads(backend: "wasm" | "webgpu", xs: Float32Array[], shapes: number[][], f: (...x: tf.Tensor[]) => tf.Scalar): Promise<number[][]> {
  await initBackend(backend);
  const vars = xs.map((x, i) => tf.tidy(() => tf.variable(tf.tensor(x, shapes[i]!))));
  const { value, grads } = tf.variableGrads(() => f(...vars), vars);
  const out = [Array.from(await value.data())];
  for (const v of vars) out.push(grads[v.name] ? Array.from(await grads[v.name]!.data()) : []);
  tf.dispose([...vars, value, ...Object.values(grads)]);
  return out;
}

function close(a: number[][], b: number[][], what: string): void {
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      const x = b[i]![j]!;
      assert.ok(Math.abs(x - v) <= ABS + REL * Math.abs(v), `${what}: output ${i}[${j}]: wasm ${v}, webgpu ${x}`);
    }),
  );
}

const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 97.1 + i * 12.9898) * 0.8);

test("every head kind, the regularisers (R1's gradient of a gradient included) and every adversarial form give wasm's values and gradients on webgpu", { skip }, async () => {
  const before = (await initBackend("webgpu"), tf.memory().numTensors);
  // heads: two tapped feature maps of 3 clips x 10 tokens x 24 channels; the gradient reaches the features
  const small: Record<string, number> = { queries: 3, width: 16, heads: 2 };
  for (const kind of HEAD_KINDS) {
    const base = defaultHead(kind) as unknown as Record<string, number | boolean>;
    const head = makeHead(kind, (name) => small[name] ?? base[name]!);
    const s: HeadShape = { head, width: 24, taps: 2, imageSize: 4 * 4 * 3, promptClasses: 4 };
    const run = async (backend: "wasm" | "webgpu") => {
      await initBackend(backend);
      // the features as variables too: gradients with respect to every parameter and to the tapped features
      const params = initHeadParams(s, 5);
      const f0 = tf.tidy(() => tf.variable(tf.tensor3d(random(720, 1), [3, 10, 24])));
      const f1 = tf.tidy(() => tf.variable(tf.tensor3d(random(720, 2), [3, 10, 24])));
      const image = tf.tensor4d(random(144, 3), [3, 4, 4, 3]);
      const prompt = tf.tensor1d([0, 2, 4], "int32");
      const vars = [...params.values(), f0, f1];
      const { value, grads } = tf.variableGrads(() => tf.sum(applyHead(params, s, [f0, f1], image, prompt)) as tf.Scalar, vars);
      const out = [Array.from(await value.data())];
      for (const v of vars) out.push(Array.from(await grads[v.name]!.data()));
      tf.dispose([value, ...Object.values(grads), image, prompt, ...vars]);
      return out;
    };
    close(await run("wasm"), await run("webgpu"), `${kind} head`);
  }
  // regularisers on a small differentiable "discriminator" of the clip: D(x) = sum(tanh(x * w)) per clip
  const shape: [number, number, number, number, number] = [2, 3, 2, 2, 3];
  const w = random(72, 7);
  const clip = random(72, 8);
  const noise = random(72, 9);
  const perFrame = random(2 * 3 * 3, 10);
  const dOf = (wt: tf.Tensor) => (x: tf.Tensor5D) => tf.sum(tf.reshape(tf.tanh(tf.mul(x, tf.reshape(wt, shape))), [2, -1]), 1) as tf.Tensor1D;
  const regs: [string, (wt: tf.Tensor, x: tf.Tensor) => tf.Scalar][] = [
    ["r1", (wt, x) => r1(dOf(wt), x as tf.Tensor5D)],
    ["approx_r1", (wt, x) => approxR1(dOf(wt), x as tf.Tensor5D, 0.01, tf.tensor(noise, shape) as tf.Tensor5D)],
    ["str1", (wt, x) => str1(dOf(wt), x as tf.Tensor5D, 0.01, 0.1, tf.tensor(noise, shape) as tf.Tensor5D, tf.tensor(perFrame, [2, 3, 1, 1, 3]) as tf.Tensor5D)],
  ];
  for (const [name, f] of regs) {
    // the gradient with respect to the discriminator's weights: what its update uses
    const g = (wt: tf.Tensor) => tf.tidy(() => f(wt, tf.tensor(clip, shape)));
    const a = await valueAndGrads("wasm", [w], [[72]], g);
    const b = await valueAndGrads("webgpu", [w], [[72]], g);
    close(a, b, name);
  }
  for (const form of ADVERSARIAL_LOSSES) {
    const logits = [random(4, 11), random(4, 12)];
    const forms: [string, (r: tf.Tensor, f: tf.Tensor) => tf.Scalar][] = [
      ["discriminator", (r, f) => discriminatorLoss(form, r as tf.Tensor1D, f as tf.Tensor1D)],
      ["generator", (r, f) => generatorLoss(form, f as tf.Tensor1D, r as tf.Tensor1D)],
      ["mismatch", (r, f) => mismatchLoss(form, f as tf.Tensor1D, r as tf.Tensor1D)],
    ];
    for (const [side, f] of forms) close(await valueAndGrads("wasm", logits, [[4], [4]], f), await valueAndGrads("webgpu", logits, [[4], [4]], f), `${form} ${side}`);
  }
  await initBackend("webgpu");
  assert.equal(tf.memory().numTensors, before, "no tensor left behind on webgpu");
});

// Last in this file: the fault it causes stays with the process's device.
test("an error the GPU reports as an event (here an invalid buffer) stops the next read-back with a one-line error", { skip }, async () => {
  await initBackend("webgpu");
  assert.doesNotThrow(() => checkDevice());
  const device = (tf.backend() as unknown as { device: { createBuffer(d: { size: number; usage: number }): unknown } }).device;
  device.createBuffer({ size: 4, usage: 0 }); // no usage: a validation error, raised as an uncaptured-error event
  const t = tf.ones([4]);
  await t.data();
  t.dispose();
  await new Promise((resolve) => setTimeout(resolve, 50)); // the event is delivered asynchronously
  assert.throws(
    () => checkDevice(),
    (e: unknown) => e instanceof DeviceError && e.expected && /^the GPU reported an error: .+; the run stops here/.test(e.message) && !e.message.includes("\n"),
  );
});
