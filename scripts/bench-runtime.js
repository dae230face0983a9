// Runtime benchmarks (not part of `npm test`). Run after `npm run build`: `node scripts/bench-runtime.js`.
// 1. The toy teacher's training step as the runtime really runs it (data, noise, forward, backward,
//    Adam, EMA): a short `vpae run` of experiments/teacher.vpae, timed from its metrics.jsonl.
// 2. The same step in a PyTorch CPU reference (scripts/reference/dit_torch.py) where `python3 -c
//    "import torch"` works (Debian: apt-get install python3-torch), one thread and all threads; the
//    ratio to wasm (wasm is single-threaded).
// 3. Sampling throughput of the teacher-sized model at 1 NFE and 100 NFE (50 steps x CFG 3).
// Numbers depend on what else runs on the machine: run it on an idle one.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const steps = Number(process.env.BENCH_STEPS ?? 40);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. the runtime's own step
const runs = mkdtempSync(join(tmpdir(), "vpae-bench-run-"));
const r = spawnSync(process.execPath, [join(root, "bin", "vpae.js"), "run", "experiments/teacher.vpae", "--runs-dir", runs,
  "--set", `phase.pretrain.steps=${steps}`, "--set", "phase.pretrain.optimizer.teacher.lr=5e-4", "--set", "eval.every=0", "--set", "checkpoint.every=0", "--set", "eval.nfe=[1]", "--set", "eval.samples=4"], { cwd: root, encoding: "utf8" });
if (r.status !== 0) throw new Error(r.stderr);
const dir = join(runs, readdirSync(runs)[0]);
const times = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l).time);
const deltas = times.slice(1).map((t, i) => t - times[i]).slice(5); // skip warm-up
const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8"));
const batch = plan.phases[0].batch;
const wasmMs = median(deltas);
console.log(`runtime (wasm, 1 thread): teacher train step at batch ${batch}: median ${wasmMs.toFixed(0)} ms over ${deltas.length} steps (min ${Math.min(...deltas).toFixed(0)})`);

// 2. PyTorch reference
// The first python3 on PATH that imports torch (Debian's python3-torch installs for /usr/bin/python3).
const python = ["python3", "/usr/bin/python3"].find((p) => spawnSync(p, ["-c", "import torch"], { encoding: "utf8" }).status === 0);
if (!python) {
  console.log("pytorch reference: skipped (python3 cannot import torch; on Debian: apt-get install python3-torch)");
} else {
  for (const threads of [1, cpus().length]) {
    const t = spawnSync(python, [join(root, "scripts", "reference", "dit_torch.py"), String(threads), String(batch), String(Math.min(steps, 30))], { encoding: "utf8" });
    if (t.status !== 0) {
      console.log(`pytorch reference (${threads} threads) failed: ${t.stderr.split("\n").slice(-3).join(" ")}`);
      continue;
    }
    const res = JSON.parse(t.stdout.trim().split("\n").pop());
    const ms = median(res.ms_per_step);
    console.log(`pytorch ${res.torch} CPU, ${threads} thread${threads > 1 ? "s" : ""}: ${ms.toFixed(0)} ms per step (${res.params} parameters); wasm / pytorch = ${(wasmMs / ms).toFixed(2)}x`);
  }
}

// 3. sampling throughput
const { initBackend } = await import(join(root, "dist/runtime/engine/tf.js"));
const inf = await import(join(root, "dist/runtime/engine/inference.js"));
const { createWorld } = await import(join(root, "dist/runtime/engine/world/sprites.js"));
const { VALIDATION } = await import(join(root, "dist/runtime/engine/world/clip-sets.js"));
const { Dit, initParams } = await import(join(root, "dist/runtime/engine/model/dit.js"));
await initBackend("wasm");
const world = createWorld(plan.world, VALIDATION.seed);
const shape = { arch: plan.teacher.arch, frames: world.frames, height: world.height, width: world.width, channels: world.channels, promptClasses: world.directions };
const model = { dit: new Dit(shape), shape, world };
const params = initParams(shape, 1);
const clips = 16;
const evalBatch = world.evalBatch(clips);
for (const nfe of [1, plan.teacher.sampler.nfe]) {
  const res = await inf.generate(model, params, evalBatch, inf.samplerFor(nfe, plan.teacher.sampler), 7);
  console.log(`sampling at ${nfe} NFE, batch ${clips}: ${(res.latencyMs / clips).toFixed(1)} ms per video, ${((1000 * clips) / res.latencyMs).toFixed(1)} videos/s`);
}
