// The evaluation scores mean what they say: real clips (and other valid futures) score near 100,
// noise near 0, and each kind of damage costs the score that names it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SPRITES_WORLD } from "../helpers.js";
import { Rng } from "../../runtime/engine/rng.js";
import { createWorld, type SpritesClipTruth, type SpritesSettings, type SpritesWorld } from "../../runtime/engine/world/sprites.js";
import type { WorldBatch } from "../../runtime/engine/world/types.js";
import { SCORE_GROUPS, groupMean } from "../../runtime/engine/eval/groups.js";
import { METRIC_CONSTANTS, featureFd, frechetDistance, scoreClips, sqrtPsd, type Scores } from "../../runtime/engine/eval/metrics.js";

const BASE: SpritesSettings = { ...SPRITES_WORLD, evalClips: 64 };

/** The plan's toy world (experiments/lib/toy.vpae) and a larger, busier one. */
const WORLDS: Record<string, SpritesSettings> = {
  toy: { ...BASE, sprites: { min: 1, max: 1 }, spriteSize: { min: 3, max: 3 } },
  two: BASE,
  busy: { ...BASE, height: 16, width: 16, directions: 8, background: "noise", shapes: ["square", "disc", "cross", "triangle"], spriteSize: { min: 2, max: 4 } },
};

const N = 64;

function setup(name: string): { w: SpritesWorld; b: WorldBatch } {
  const w = createWorld(WORLDS[name]!, 3);
  return { w, b: w.evalBatch(N) };
}

const sizes = (b: WorldBatch) => ({ frame: b.height * b.width * 3, clip: b.frames * b.height * b.width * 3 });

/** The same clips with sprite 0 moving at `speed(t)` (and everything else unchanged). */
function withMotion(w: SpritesWorld, b: WorldBatch, velocity: (t: SpritesClipTruth) => [number, number]): Float32Array {
  const truth = (b.truth as SpritesClipTruth[]).map((t) => {
    const [vx, vy] = velocity(t);
    return { ...t, sprites: t.sprites.map((sp, j) => (j === 0 ? { ...sp, vx, vy } : sp)) };
  });
  return w.render(truth).video;
}

function atSpeed(w: SpritesWorld, b: WorldBatch, speed: (t: SpritesClipTruth) => number): Float32Array {
  return withMotion(w, b, (t) => {
    const [ux, uy] = w.directionVector(t.direction);
    const s = speed(t);
    return [ux * s, uy * s];
  });
}

function noise(b: WorldBatch, seed = 1): Float32Array {
  const r = new Rng(seed, "noise");
  return Float32Array.from(b.video, () => 2 * r.uniform() - 1);
}

/** 3x3 box blur of every frame (wrapping at the borders, which keeps every colour's total). */
function boxBlur(b: WorldBatch): Float32Array {
  const { height: h, width: w } = b;
  const out = new Float32Array(b.video.length);
  for (let fr = 0; fr < b.n * b.frames; fr++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += b.video[(fr * h * w + ((y + dy + h) % h) * w + ((x + dx + w) % w)) * 3 + c]!;
          out[(fr * h * w + y * w + x) * 3 + c] = s / 9;
        }
  return out;
}

function frozen(b: WorldBatch): Float32Array {
  const { frame, clip } = sizes(b);
  const out = new Float32Array(b.video.length);
  for (let i = 0; i < b.n; i++) for (let f = 0; f < b.frames; f++) out.set(b.video.subarray(i * clip, i * clip + frame), i * clip + f * frame);
  return out;
}

/** The mean of the futures at every allowed speed: what a generator that regresses to the mean draws. */
function averagedFutures(w: SpritesWorld, b: WorldBatch): Float32Array {
  const out = new Float32Array(b.video.length);
  for (const s of w.speeds) {
    const v = atSpeed(w, b, () => s);
    for (let q = 0; q < v.length; q++) out[q]! += v[q]! / w.speeds.length;
  }
  return out;
}

function groups(s: Scores): number[] {
  return [s.semantic.score, s.temporal.score, s.quality.score];
}

const show = (s: Scores) =>
  `sem ${s.semantic.score.toFixed(1)} (first ${s.semantic.firstFrame.toFixed(1)} id ${s.semantic.identity.toFixed(1)} motion ${s.semantic.motion.toFixed(1)}) dir ${s.directionAccuracy.toFixed(2)}; ` +
  `temp ${s.temporal.score.toFixed(1)} (subj ${s.temporal.subject.toFixed(1)} bg ${s.temporal.background.toFixed(1)} smooth ${s.temporal.smoothness.toFixed(1)} dyn ${s.temporal.dynamic.toFixed(1)}); ` +
  `qual ${s.quality.score.toFixed(1)} (sharp ${s.quality.sharpness.toFixed(1)} fd ${s.quality.fd.toFixed(2)} -> ${s.quality.fdScore.toFixed(1)})`;

/** Set VPAE_SHOW_SCORES=1 to print every measured score (the figures quoted in docs/metrics.md). */
function report(label: string, s: Scores): void {
  if (process.env.VPAE_SHOW_SCORES) console.log(`${label.padEnd(22)} ${show(s)}`);
}

for (const name of Object.keys(WORLDS)) {
  test(`${name}: real clips score >= 95 on every group, with direction accuracy 1`, () => {
    const { w, b } = setup(name);
    const s = scoreClips(b.video, b, w);
    report(`${name} real`, s);
    for (const g of groups(s)) assert.ok(g >= 95, show(s));
    assert.equal(s.directionAccuracy, 1);
    assert.equal(s.motionExact, 1);
    assert.ok(s.semantic.firstFrame >= 99.9 && s.quality.fd < 1e-9, show(s));
  });

  test(`${name}: another valid future (the other speed) also scores >= 95 everywhere`, () => {
    const { w, b } = setup(name);
    const s = scoreClips(atSpeed(w, b, (t) => (t.speed === 1 ? 2 : 1)), b, w);
    report(`${name} other speed`, s);
    for (const g of groups(s)) assert.ok(g >= 95, show(s));
    assert.equal(s.directionAccuracy, 1);
    assert.ok(s.videoMse > 0.01, "the clips really differ from the real ones");
  });

  test(`${name}: uniform noise scores <= 10 on every group`, () => {
    const { w, b } = setup(name);
    const s = scoreClips(noise(b), b, w);
    report(`${name} noise`, s);
    for (const g of groups(s)) assert.ok(g <= 10, show(s));
    assert.ok(s.directionAccuracy <= 0.1, show(s));
  });

  test(`${name}: a box blur costs frame quality but keeps the direction`, () => {
    const { w, b } = setup(name);
    const real = scoreClips(b.video, b, w);
    const s = scoreClips(boxBlur(b), b, w);
    report(`${name} blurred`, s);
    assert.ok(s.quality.score <= 30 && s.quality.score <= real.quality.score - 60, show(s));
    assert.ok(s.quality.sharpness <= 10, show(s));
    assert.ok(s.directionAccuracy >= 0.85, show(s));
  });

  test(`${name}: frozen clips (frame 0 repeated) lose dynamic degree, temporal coherence and motion`, () => {
    const { w, b } = setup(name);
    const s = scoreClips(frozen(b), b, w);
    report(`${name} frozen`, s);
    assert.ok(s.temporal.dynamic <= 5 && s.temporal.score <= 10, show(s));
    assert.ok(s.semantic.motion <= 20 && s.directionAccuracy === 0, show(s));
    // What is not about motion stays: the clip is sharp and the first frame is right.
    assert.ok(s.semantic.firstFrame >= 99 && s.semantic.identity >= 95 && s.quality.sharpness >= 95, show(s));
    assert.ok(s.temporal.subject >= 95 && s.temporal.background >= 95, show(s));
  });

  test(`${name}: moving the wrong way loses the motion term and direction accuracy, nothing else`, () => {
    const { w, b } = setup(name);
    const s = scoreClips(withMotion(w, b, (t) => [-t.sprites[0]!.vx, -t.sprites[0]!.vy]), b, w);
    report(`${name} wrong direction`, s);
    assert.ok(s.directionAccuracy <= 0.05, show(s));
    assert.ok(s.semantic.motion <= 20, show(s));
    assert.ok(s.semantic.score <= 75, show(s));
    assert.ok(s.semantic.firstFrame >= 99 && s.semantic.identity >= 95, show(s));
    assert.ok(s.temporal.score >= 95 && s.quality.score >= 95, show(s));
  });

  test(`${name}: a wrong first frame loses the first-frame term`, () => {
    const { w, b } = setup(name);
    const { frame, clip } = sizes(b);
    const gen = b.video.slice();
    for (let i = 0; i < b.n; i++) gen.set(b.video.subarray(((i + 1) % b.n) * clip, ((i + 1) % b.n) * clip + frame), i * clip);
    const s = scoreClips(gen, b, w);
    report(`${name} wrong first frame`, s);
    assert.ok(s.semantic.firstFrame <= 10, show(s));
    assert.ok(s.semantic.motion >= 95 && s.directionAccuracy >= 0.95, show(s));
  });

  test(`${name}: the average of the possible futures is blurry and loses frame quality`, () => {
    const { w, b } = setup(name);
    const s = scoreClips(averagedFutures(w, b), b, w);
    report(`${name} averaged futures`, s);
    assert.ok(s.quality.score <= 50 && s.quality.sharpness <= 40, show(s));
    // It starts from the right frame and drifts the right way: only the look is wrong.
    assert.ok(s.semantic.firstFrame >= 99 && s.directionAccuracy >= 0.9, show(s));
  });
}

test("in a bouncing world real clips and other speeds score >= 95, noise <= 10", () => {
  const w = createWorld({ ...BASE, wrap: false, background: "gradient", height: 12, width: 12 }, 5);
  const b = w.evalBatch(N);
  const real = scoreClips(b.video, b, w);
  const other = scoreClips(atSpeed(w, b, (t) => (t.speed === 1 ? 2 : 1)), b, w);
  const nz = scoreClips(noise(b), b, w);
  report("bounce real", real);
  report("bounce other speed", other);
  report("bounce noise", nz);
  for (const g of groups(real)) assert.ok(g >= 95, show(real));
  for (const g of groups(other)) assert.ok(g >= 95, show(other));
  for (const g of groups(nz)) assert.ok(g <= 10, show(nz));
  assert.equal(real.directionAccuracy, 1);
  assert.equal(other.directionAccuracy, 1);
});

test("when 0 is an allowed speed, a still sprite is a valid future; only FD sees that every clip chose it", () => {
  const w = createWorld({ ...WORLDS.toy!, speeds: [0, 1] }, 4);
  const b = w.evalBatch(N);
  const s = scoreClips(atSpeed(w, b, () => 0), b, w);
  assert.ok(s.semantic.score >= 95 && s.temporal.score >= 95 && s.quality.sharpness >= 95, show(s));
  assert.equal(s.directionAccuracy, 1);
  // Half of the real clips move: a batch where none does is a collapsed distribution.
  assert.ok(s.quality.fdScore < 95, show(s));
  const mixed = scoreClips(atSpeed(w, b, (t) => 1 - t.speed), b, w);
  for (const g of groups(mixed)) assert.ok(g >= 95, show(mixed));
});

test("speed coverage: real clips use both futures (coverage near 100), clips that all take one speed score 0, the blurred mean matches none", () => {
  const { w, b } = setup("toy");
  const real = scoreClips(b.video, b, w).speeds;
  assert.equal(real.matched, 100);
  const share1 = (b.truth as SpritesClipTruth[]).filter((t) => t.speed === 1).length / b.n;
  assert.ok(Math.abs(real.shares["1"]! - 100 * share1) < 1e-9, JSON.stringify(real));
  assert.ok(real.coverage! > 95, JSON.stringify(real));
  // a generator that always picks the slower future: every clip valid, one future only
  const slow = scoreClips(atSpeed(w, b, () => 1), b, w);
  assert.ok(slow.semantic.score >= 95, show(slow));
  assert.deepEqual(slow.speeds, { matched: 100, shares: { "1": 100, "2": 0 }, coverage: 0 });
  // the average of the futures follows no single speed in every frame
  const blurred = scoreClips(averagedFutures(w, b), b, w).speeds;
  assert.ok(blurred.matched < 50, JSON.stringify(blurred));
});

test("the mean of the three groups is the scores' total, and a row without one of the groups has none", () => {
  const { w, b } = setup("two");
  const noisy = new Float32Array(b.video.length).map((_, i) => b.video[i]! + 0.2 * Math.sin(i));
  const s = scoreClips(noisy, b, w);
  const row = { semantic_alignment: s.semantic.score, temporal_coherence: s.temporal.score, frame_quality: s.quality.score };
  assert.deepEqual(Object.keys(row), [...SCORE_GROUPS]);
  assert.equal(groupMean(row), s.total);
  assert.ok(Math.abs(s.total - (row.semantic_alignment + row.temporal_coherence + row.frame_quality) / 3) < 1e-12);
  assert.equal(groupMean({ semantic_alignment: 1, temporal_coherence: 2 }), null);
  assert.equal(groupMean({ ...row, frame_quality: "50" }), null);
  assert.equal(groupMean(null), null);
});

test("a sprite that changes colour loses identity (and sharpness), keeps motion", () => {
  const w = createWorld(WORLDS.toy!, 3);
  const b = w.evalBatch(N);
  const truth = (b.truth as SpritesClipTruth[]).map((t) => {
    const other = w.palette.find((c) => Math.max(...c.map((v, k) => Math.abs(v - t.sprites[0]!.color[k]!))) > 0.5)!;
    return { ...t, sprites: t.sprites.map((sp) => ({ ...sp, color: [other[0], other[1], other[2]] as [number, number, number] })) };
  });
  const recoloured = w.render(truth).video;
  // Keep the real frame 0: only the later frames change colour.
  const { frame, clip } = sizes(b);
  for (let i = 0; i < b.n; i++) recoloured.set(b.video.subarray(i * clip, i * clip + frame), i * clip);
  const s = scoreClips(recoloured, b, w);
  assert.ok(s.semantic.identity <= 10, show(s));
  assert.ok(s.temporal.subject <= 10, show(s));
  assert.ok(s.semantic.firstFrame >= 99, show(s));
});

test("small pixel errors cost little, larger ones more: the scores degrade gracefully", () => {
  const { w, b } = setup("toy");
  const r = new Rng(2, "jitter");
  const jitter = (sd: number) => b.video.map((v) => Math.max(-1, Math.min(1, v + sd * r.normal())));
  const fine = scoreClips(jitter(0.02), b, w);
  const coarse = scoreClips(jitter(0.1), b, w);
  for (const g of groups(fine)) assert.ok(g >= 90, show(fine));
  assert.equal(fine.directionAccuracy, 1);
  assert.equal(coarse.directionAccuracy, 1, "tracking survives the noise");
  assert.ok(coarse.quality.score <= fine.quality.score - 30, `${show(fine)}\n${show(coarse)}`);
  assert.ok(coarse.semantic.firstFrame < fine.semantic.firstFrame && coarse.total < fine.total);
});

test("NaN or infinite outputs are counted and scored as mid grey, never as NaN scores", () => {
  const { w, b } = setup("toy");
  const s = scoreClips(new Float32Array(b.video.length).fill(NaN), b, w);
  assert.equal(s.nonFinite, b.video.length);
  for (const g of [...groups(s), s.total, s.directionAccuracy, s.quality.fd]) assert.ok(Number.isFinite(g));
  assert.ok(s.total <= 35, show(s));
});

test("scoreClips refuses a generated array of the wrong size", () => {
  const w = createWorld(WORLDS.toy!, 3);
  const b = w.evalBatch(4);
  assert.throws(() => scoreClips(new Float32Array(10), b, w), /values/);
});

// ---- the Frechet distance and its linear algebra ----

function randomSymmetric(n: number, seed: number): Float64Array {
  const r = new Rng(seed, "sym");
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      const v = r.normal();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  return a;
}

test("the PSD square root squares back to the matrix", () => {
  const n = 10;
  const m = randomSymmetric(n, 2);
  const a = new Float64Array(n * n); // m m^T is PSD
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += m[i * n + k]! * m[j * n + k]!;
  const s = sqrtPsd(a, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let sq = 0;
      for (let k = 0; k < n; k++) sq += s[i * n + k]! * s[k * n + j]!;
      assert.ok(Math.abs(sq - a[i * n + j]!) < 1e-8 * (1 + Math.abs(a[i * n + j]!)));
    }
});

test("Frechet distance: 0 for the same set, (mu1-mu2)^2 + (s1-s2)^2 in one dimension, the sum over independent axes", () => {
  const r = new Rng(3, "fd");
  const x = Array.from({ length: 200 }, () => Float64Array.of(r.normal(), r.normal()));
  assert.ok(frechetDistance(x, x, 2) < 1e-9);
  // y = 2x + 3 on axis 0, x on axis 1: FD = (mean shift)^2 + (std change)^2 on axis 0.
  const y = x.map((v) => Float64Array.of(2 * v[0]! + 3, v[1]!));
  const m = x.reduce((s, v) => s + v[0]!, 0) / x.length;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v[0]! - m) ** 2, 0) / x.length);
  const expected = (m + 3) ** 2 + sd ** 2;
  assert.ok(Math.abs(frechetDistance(x, y, 2) - expected) < 1e-6, `${frechetDistance(x, y, 2)} vs ${expected}`);
});

test("feature FD between two independent real batches is small (fdScore >= 80 at n = 64)", () => {
  for (const name of Object.keys(WORLDS)) {
    const w = createWorld(WORLDS[name]!, 3);
    const a = w.sample(N, new Rng(1, "a"));
    const b = w.sample(N, new Rng(1, "b"));
    const fd = featureFd(a.video, b.video, N, a.frames, a.height, a.width);
    assert.ok(Math.exp(-fd / METRIC_CONSTANTS.FD_SCALE) >= 0.8, `${name}: FD ${fd}`);
  }
});

test("scoring 64 clips takes well under a second", () => {
  const { w, b } = setup("busy");
  scoreClips(b.video, b, w);
  const t0 = performance.now();
  scoreClips(noise(b), b, w);
  assert.ok(performance.now() - t0 < 1000);
});
