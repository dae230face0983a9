// Model benchmark (not part of `npm test`): the teacher-sized DiT of experiments/lib/toy.vpae on wasm.
// Run after a build: `node scripts/bench-model.js [--root dist|.build-NAME] [--steps N] [--batch 8,16]
// [--position rope3d|sincos|learned] [--backend wasm|cpu|...]`.
// Prints ms per train step (forward + backward + Adam through tf.train.adam) and per forward pass
// (no gradient), minimum and median over N timed steps after 3 warm-up steps, plus the tensor count
// before and after (it must not grow). Single-threaded wasm: other processes on the machine slow it.
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const buildDir = opt("root", "dist");
const steps = Number(opt("steps", 10));
const batches = opt("batch", "8,16").split(",").map(Number);
const position = opt("position", "rope3d");
const backend = opt("backend", "wasm");

const root = fileURLToPath(new URL(`../${buildDir}/`, import.meta.url));
const { tf, initBackend } = await import(`${root}runtime/engine/tf.js`);
const { Dit, initParams, parameterCount, disposeParams } = await import(`${root}runtime/engine/model/dit.js`);

const info = await initBackend(backend);
const shape = {
  arch: {
    kind: "dit",
    width: 64,
    depth: 4,
    heads: 4,
    mlpRatio: 4,
    patch: { frames: 1, height: 2, width: 2 },
    position,
    prediction: "x0",
    textDim: 0,
    crossAttention: false,
    modulation: "per_block",
    parameters: 0,
  },
  frames: 6,
  height: 8,
  width: 8,
  channels: 3,
  promptClasses: 4,
};
const dit = new Dit(shape);
const params = initParams(shape, 1);
console.log(`backend ${info.name} (${info.detail}); DiT width 64 depth 4 heads 4, patch 1x2x2, ${dit.geometry.tokens} tokens, ${position}, ${parameterCount(params)} parameters`);

function batchOf(b, seed) {
  return tf.tidy(() => ({
    xt: tf.randomNormal([b, 6, 8, 8, 3], 0, 1, "float32", seed),
    x0: tf.randomUniform([b, 6, 8, 8, 3], -1, 1, "float32", seed + 1),
    t: tf.randomUniform([b], 0, 1, "float32", seed + 2),
    image: tf.randomUniform([b, 8, 8, 3], -1, 1, "float32", seed + 3),
    imageMask: tf.ones([b]),
    prompt: tf.tensor1d(Array.from({ length: b }, (_, i) => i % 5), "int32"),
  }));
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return `min ${s[0].toFixed(1)} ms, median ${s[Math.floor(s.length / 2)].toFixed(1)} ms`;
}

const optimizer = tf.train.adam(5e-4, 0.9, 0.99);
const vars = [...params.values()];
for (const b of batches) {
  const input = batchOf(b, 7);
  const trainStep = () => {
    const loss = optimizer.minimize(() => {
      const { out } = dit.apply(params, input);
      return tf.mean(tf.squaredDifference(out, input.x0));
    }, true, vars);
    loss.dataSync();
    loss.dispose();
  };
  const forward = () => {
    const { out } = dit.apply(params, input);
    out.dataSync();
    out.dispose();
  };
  for (const [name, fn] of [["train step", trainStep], ["forward", forward]]) {
    for (let i = 0; i < 3; i++) fn();
    const before = tf.memory().numTensors;
    const ms = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      fn();
      ms.push(performance.now() - t0);
    }
    const after = tf.memory().numTensors;
    console.log(`batch ${String(b).padStart(2)} ${name.padEnd(10)} ${stats(ms)}  (tensors ${before} -> ${after})`);
  }
  for (const t of Object.values(input)) t.dispose();
}
optimizer.dispose();
disposeParams(params);
dit.dispose();
