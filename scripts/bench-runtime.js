// Runtime benchmarks (not part of `npm test`). Run after `npm run build`: `node scripts/bench-runtime.js`.
// 1. The teacher's training step as the runtime really runs it (data, noise, forward, backward, Adam,
//    EMA): a short `vpae run` of experiments/teacher.vpae per backend and model width, timed from its
//    metrics.jsonl. Backends: wasm, and webgpu where an adapter exists (a software one included);
//    widths 64 (the toy model), 256 and 512 (4 blocks, 4 heads, 96 tokens per clip).
// 2. The same step in a PyTorch CPU reference (scripts/reference/dit_torch.py) where `python3 -c
//    "import torch"` works (Debian: apt-get install python3-torch libopenblas0-pthread; without OpenBLAS
//    Debian's torch multiplies through the reference BLAS, ten times slower), one thread and all threads, at
//    the same widths, and on the GPU where torch has CUDA; every ratio is to wasm in this run (on the
//    GPU, also webgpu's time over PyTorch's).
// 3. Sampling throughput of the teacher-sized model at 1 NFE and 100 NFE (50 steps x CFG 2) on each
//    backend.
// Options: BENCH_STEPS (default 40), BENCH_WIDTHS (e.g. 64,256), BENCH_BACKENDS (e.g. wasm,webgpu),
// BENCH_JSON=FILE writes every figure as JSON, after each measurement (a benchmark stopped half-way keeps
// what it measured). Numbers depend on what else runs: use an idle machine.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const steps = Number(process.env.BENCH_STEPS ?? 40);
// the first 6 steps of a run compile kernels and are not counted: fewer than 8 would leave a median of one
if (!(Number.isInteger(steps) && steps >= 8)) {
  console.error(`BENCH_STEPS must be a whole number of at least 8 (the first 6 steps are warm-up), not ${process.env.BENCH_STEPS}`);
  process.exit(2);
}
const widths = (process.env.BENCH_WIDTHS ?? "64,256,512").split(",").map(Number);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// the load average at the start says whether the machine was quiet (the figures assume it was)
const save = () => process.env.BENCH_JSON && writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2) + "\n");
const results = { date: new Date().toISOString(), machine: `${cpus()[0]?.model ?? "unknown CPU"} x${cpus().length}, node ${process.version}`, load: loadavg()[0], steps, adapter: null, train: [], torch: [], sampling: [] };

const { findAdapter, describeAdapter } = await import(join(root, "dist/runtime/engine/webgpu.js"));
const { readMetrics } = await import(join(root, "dist/runtime/engine/io/metrics.js"));
const { readRunPlan } = await import(join(root, "dist/runtime/engine/io/run-dir.js"));
const adapter = await findAdapter(true);
const backends = (process.env.BENCH_BACKENDS ?? (adapter.ok ? "wasm,webgpu" : "wasm")).split(",");
results.adapter = adapter.ok ? describeAdapter(adapter.report) : null;
console.log(`${results.machine}; webgpu adapter: ${results.adapter ?? `none (${adapter.reason})`}`);

// 1. the runtime's own step, per backend and width
let batch = 0;
let plan;
const wasmMs = new Map();
for (const width of widths) {
  for (const backend of backends) {
    const runs = mkdtempSync(join(tmpdir(), "vpae-bench-run-"));
    const r = spawnSync(process.execPath, [join(root, "bin", "vpae.js"), "run", "experiments/teacher.vpae", "--runs-dir", runs, "--backend", backend,
      "--set", `teacher.arch.width=${width}`, "--set", `phase.pretrain.steps=${steps}`, "--set", "phase.pretrain.optimizer.teacher.lr=5e-4", "--set", "eval.every=0", "--set", "checkpoint.every=0", "--set", "eval.nfe=[1]", "--set", "eval.samples=4", "--no-tui"], { cwd: root, encoding: "utf8" });
    if (r.status !== 0) {
      rmSync(runs, { recursive: true, force: true });
      console.log(`${backend} width ${width}: failed: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`);
      continue;
    }
    const dir = join(runs, readdirSync(runs)[0]);
    const times = readMetrics(join(dir, "metrics.jsonl")).map((r) => r.time);
    const deltas = times.slice(1).map((t, i) => t - times[i]).slice(5); // skip warm-up (kernel compilation)
    const runPlan = readRunPlan(dir);
    rmSync(runs, { recursive: true, force: true }); // its checkpoint is large at width 512
    plan ??= runPlan; // section 3 samples at the first width that ran
    batch = runPlan.phases[0].batch;
    const ms = median(deltas);
    if (backend === "wasm") wasmMs.set(width, ms);
    const ratio = wasmMs.has(width) && backend !== "wasm" ? `; wasm / ${backend} = ${(wasmMs.get(width) / ms).toFixed(2)}x` : "";
    results.train.push({ backend, width, batch, msPerStep: ms, steps: deltas.length, parameters: runPlan.teacher.arch.parameters });
    save();
    console.log(`runtime ${backend}, width ${width} (${(runPlan.teacher.arch.parameters / 1e6).toFixed(2)}M parameters), batch ${batch}: median ${ms.toFixed(0)} ms per train step over ${deltas.length} steps${ratio}`);
  }
}

// 2. PyTorch reference
// The first python3 on PATH that imports torch (Debian's python3-torch installs for /usr/bin/python3).
const python = ["python3", "/usr/bin/python3"].find((p) => spawnSync(p, ["-c", "import torch"], { encoding: "utf8" }).status === 0);
if (!python) {
  console.log("pytorch reference: skipped (python3 cannot import torch; on Debian: apt-get install python3-torch libopenblas0-pthread)");
} else if (!batch) {
  console.log("pytorch reference: skipped (no training run finished, so the batch size is unknown)");
} else {
  /** One run of the reference: its median step time and report, or null after printing why it failed. */
  const reference = (width, threads, device) => {
    const t = spawnSync(python, [join(root, "scripts", "reference", "dit_torch.py"), String(threads), String(batch), String(Math.min(steps, 30)), String(width), device], { encoding: "utf8" });
    if (t.status !== 0) {
      console.log(`pytorch reference (width ${width}, ${device === "cuda" ? "CUDA" : `${threads} threads`}) failed: ${t.stderr.split("\n").slice(-3).join(" ")}`);
      return null;
    }
    const res = JSON.parse(t.stdout.trim().split("\n").pop());
    const ms = median(res.ms_per_step);
    results.torch.push({ width, device: res.device, threads, msPerStep: ms, torch: res.torch, blas: res.blas });
    save();
    return { ...res, ms };
  };
  for (const width of widths) {
    for (const threads of [1, cpus().length]) {
      const res = reference(width, threads, "cpu");
      if (!res) continue;
      const ratio = wasmMs.has(width) ? `; wasm / pytorch = ${(wasmMs.get(width) / res.ms).toFixed(2)}x` : "";
      console.log(`pytorch ${res.torch} CPU (BLAS: ${res.blas}), width ${width}, ${threads} thread${threads > 1 ? "s" : ""}: ${res.ms.toFixed(0)} ms per step (${res.params} parameters)${ratio}`);
    }
  }
  // on a machine with CUDA, the same step on the GPU: what a native GPU runtime reaches
  if (spawnSync(python, ["-c", "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"]).status === 0) {
    const webgpuMs = new Map(results.train.filter((r) => r.backend === "webgpu").map((r) => [r.width, r.msPerStep]));
    for (const width of widths) {
      const res = reference(width, 1, "cuda");
      if (!res) continue;
      const ratios = [wasmMs.has(width) ? `wasm / pytorch = ${(wasmMs.get(width) / res.ms).toFixed(2)}x` : "", webgpuMs.has(width) ? `webgpu / pytorch = ${(webgpuMs.get(width) / res.ms).toFixed(2)}x` : ""].filter(Boolean);
      console.log(`pytorch ${res.torch} CUDA (${res.device}), width ${width}: ${res.ms.toFixed(1)} ms per step${ratios.length ? `; ${ratios.join(", ")}` : ""}`);
    }
  }
}

// 3. sampling throughput (at the first width that ran), per backend
if (!plan) {
  console.log("sampling: skipped (no training run finished, so there is no plan to sample with)");
  save();
  process.exit(1);
}
const { initBackend } = await import(join(root, "dist/runtime/engine/tf.js"));
const inf = await import(join(root, "dist/runtime/engine/inference.js"));
const { createWorld } = await import(join(root, "dist/runtime/engine/world/sprites.js"));
const { VALIDATION } = await import(join(root, "dist/runtime/engine/world/clip-sets.js"));
const { Dit, initParams, disposeParams } = await import(join(root, "dist/runtime/engine/model/dit.js"));
const world = createWorld(plan.world, VALIDATION.seed);
const shape = { arch: plan.teacher.arch, frames: world.frames, height: world.height, width: world.width, channels: world.channels, promptClasses: world.directions };
const clips = 16;
const evalBatch = world.evalBatch(clips);
for (const backend of backends) {
  try {
    await initBackend(backend);
  } catch (err) {
    console.log(`sampling (${backend}): skipped (${err.message})`);
    continue;
  }
  const model = { dit: new Dit(shape), shape, world }; // a new model warms up on this backend
  const params = initParams(shape, 1);
  for (const nfe of [1, plan.teacher.sampler.nfe]) {
    const res = await inf.generate(model, params, evalBatch, inf.samplerFor(nfe, plan.teacher.sampler), 7);
    results.sampling.push({ backend, nfe, msPerVideo: res.latencyMs / clips });
    save();
    console.log(`sampling (${backend}) at ${nfe} NFE, batch ${clips}: ${(res.latencyMs / clips).toFixed(1)} ms per video, ${((1000 * clips) / res.latencyMs).toFixed(1)} videos/s`);
  }
  disposeParams(params);
}
