// The evaluation behind every results table: three groups of scores (0-100) that mirror VBench-I2V's
// groups at toy scale, computed against the ground truth of the world. docs/metrics.md gives every
// formula and constant with its reason; keep the two in step.
//
// `generated` is the model's output for `batch`'s condition (frame 0) and prompt, shaped like
// batch.video: [n, frames, height, width, 3] in [-1, 1]. The real clip of the batch is one of the
// valid futures; where the world leaves the future open (the speed of sprite 0, the motion of other
// sprites) the scores accept every valid one.
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { meanOfGroups } from "./groups.js";
import { SpritesWorld, mod, positionAt, shapeMask, type ShapeMask } from "../world/sprites.js";
import type { ClipTruth, Rgb, World, WorldBatch } from "../world/types.js";

/** Every constant of the metrics, named as in docs/metrics.md. */
export const METRIC_CONSTANTS = {
  /** firstFrame = exp(-mse(frame 0, condition) / FIRST_FRAME_SCALE). */
  FIRST_FRAME_SCALE: 0.05,
  /** Max-abs distance within which a pixel counts as the background or as a sprite colour. */
  COLOUR_TOL: 0.15,
  /** Tracking: the similarity to sprite 0 falls to 0 at this max-abs residual off the background-sprite line. */
  TRACK_RESIDUAL: 0.4,
  /** Tracking: sprite 0 counts as found when the mean similarity under its mask reaches this. */
  FOUND_MIN: 0.25,
  /** Identity: a pixel is explained by a condition colour when its residual is at most this. */
  ID_RESIDUAL: 0.25,
  /** Identity: coverages below this (noise on the background) count as 0, rescaled above it. */
  ID_DEADZONE: 0.1,
  /** Identity: the distance from the background at which an unexplained pixel counts fully as foreign. */
  FOREIGN_FULL: 0.6,
  /** subject = exp(-patch mse / SUBJECT_SCALE). */
  SUBJECT_SCALE: 0.05,
  /** smoothness = exp(-|acceleration error|^2 / SMOOTH_SCALE) (pixels^2). */
  SMOOTH_SCALE: 2,
  /** fdScore = exp(-FD / FD_SCALE), FD on standardised features. */
  FD_SCALE: 40,
  /** Floor of the standard deviation used to standardise a feature. */
  FD_STD_FLOOR: 0.02,
} as const;

const K = METRIC_CONSTANTS;

export interface Scores {
  n: number;
  /** Mean of the three groups. */
  total: number;
  semantic: {
    score: number;
    /** Frame 0 matches the condition image. */
    firstFrame: number;
    /** The condition's sprite colours keep their amounts, and no foreign content appears. */
    identity: number;
    /** Sprite 0 moves as the prompt says: half exact positions, half direction. */
    motion: number;
  };
  temporal: {
    /** mean over clips of mean(subject, background, smoothness) x dynamic. */
    score: number;
    subject: number;
    background: number;
    smoothness: number;
    dynamic: number;
  };
  quality: {
    score: number;
    /** Frames 1..: the drawn (foreground) pixels that are a clean sprite colour. */
    sharpness: number;
    /** Frames 1..: all pixels within COLOUR_TOL of the background or a sprite colour (calibration's "sharp"; informative). */
    pixelFidelity: number;
    /** Frechet distance of hand-made clip features to the real batch (raw, lower is better). */
    fd: number;
    fdScore: number;
  };
  /** Fraction of clips whose sprite 0 was found in every frame and moved in the prompt's direction. */
  directionAccuracy: number;
  /** Fraction of frames 1.. whose tracked sprite-0 position equals that of an allowed speed. */
  motionExact: number;
  /**
   * Which of the world's futures the clips chose (informative; no group uses it). `matched`: % of clips
   * whose sprite 0 follows one allowed speed in every frame; `shares`: % of those at each speed;
   * `coverage`: the normalised entropy of those shares, 100 when the clips use every allowed speed
   * equally, 0 when they all use one (mode collapse onto one future); null when no clip matched or the
   * world allows one speed.
   */
  speeds: { matched: number; shares: Record<string, number>; coverage: number | null };
  /** Mean squared error of frame 0 against the condition (informative). */
  firstFrameMse: number;
  /** Mean squared error of the whole clip against the real clip, which is only one valid future (informative). */
  videoMse: number;
  /** Values of `generated` that were NaN or infinite; they were scored as 0 (mid grey). */
  nonFinite: number;
}

interface Geometry {
  frames: number;
  height: number;
  width: number;
  wrap: boolean;
  speeds: readonly number[] | null;
}

function geometryOf(batch: WorldBatch, world: World): Geometry {
  const sw = world instanceof SpritesWorld ? world : null;
  return { frames: batch.frames, height: batch.height, width: batch.width, wrap: sw ? sw.wrap : true, speeds: sw ? sw.speeds : null };
}

/** a in (-n/2, n/2] congruent to x mod n. */
function signedMod(x: number, n: number): number {
  const r = mod(x, n);
  return r > n / 2 ? r - n : r;
}

function maxAbs3(a0: number, a1: number, a2: number): number {
  return Math.max(Math.abs(a0), Math.abs(a1), Math.abs(a2));
}

// ---------------------------------------------------------------------------------------------
// Per-clip analysis

/** The background of a real clip per pixel: the real value where no sprite covers it in some frame. */
function backgroundMap(real: Float32Array, at: number, truth: ClipTruth, g: Geometry): Float32Array {
  const { frames, height: h, width: w } = g;
  const px = h * w;
  const bg = new Float32Array(px * 3);
  const known = new Uint8Array(px);
  const covered = new Uint8Array(px);
  let left = px;
  for (let f = 0; f < frames && left > 0; f++) {
    covered.fill(0);
    for (const sp of truth.sprites) {
      const m = shapeMask(sp.shape, sp.size);
      const x = positionAt(sp.x, sp.vx, sp.size, w, f, g.wrap);
      const y = positionAt(sp.y, sp.vy, sp.size, h, f, g.wrap);
      for (let p = 0; p < m.count; p++) covered[mod(y + m.dy[p]!, h) * w + mod(x + m.dx[p]!, w)] = 1;
    }
    const base = at + f * px * 3;
    for (let p = 0; p < px; p++) {
      if (known[p] || covered[p]) continue;
      bg[3 * p] = real[base + 3 * p]!;
      bg[3 * p + 1] = real[base + 3 * p + 1]!;
      bg[3 * p + 2] = real[base + 3 * p + 2]!;
      known[p] = 1;
      left--;
    }
  }
  for (let p = 0; p < px; p++)
    if (!known[p]) {
      bg[3 * p] = truth.background[0];
      bg[3 * p + 1] = truth.background[1];
      bg[3 * p + 2] = truth.background[2];
    }
  return bg;
}

interface Track {
  /** Signed shift of sprite 0 from its frame-0 position, per frame. */
  sx: Int32Array;
  sy: Int32Array;
  found: Uint8Array;
}

/**
 * Finds sprite 0 in each frame of a clip: the shift of its frame-0 mask that maximises the mean
 * similarity to its colour. The similarity of a pixel x over background b to colour c is
 * a * max(0, 1 - r / TRACK_RESIDUAL), with a = <x-b, c-b>/|c-b|^2 clipped to [0, 1] (the coverage,
 * which blur and averaging keep linear) and r the max-abs residual off the line from b to c (which
 * rejects other colours and noise).
 */
function trackSprite0(video: Float32Array, at: number, bg: Float32Array, truth: ClipTruth, g: Geometry): Track {
  const { frames, height: h, width: w, wrap } = g;
  const px = h * w;
  const sp = truth.sprites[0]!;
  const mask: ShapeMask = shapeMask(sp.shape, sp.size);
  const [c0, c1, c2] = sp.color;
  const sim = new Float32Array(px);
  const sx = new Int32Array(frames);
  const sy = new Int32Array(frames);
  const found = new Uint8Array(frames);
  const dxLo = wrap ? 0 : -sp.x;
  const dxHi = wrap ? w - 1 : w - sp.size - sp.x;
  const dyLo = wrap ? 0 : -sp.y;
  const dyHi = wrap ? h - 1 : h - sp.size - sp.y;
  let prevX = 0;
  let prevY = 0;
  for (let f = 0; f < frames; f++) {
    const base = at + f * px * 3;
    for (let p = 0; p < px; p++) {
      const b0 = bg[3 * p]!, b1 = bg[3 * p + 1]!, b2 = bg[3 * p + 2]!;
      const d0 = video[base + 3 * p]! - b0, d1 = video[base + 3 * p + 1]! - b1, d2 = video[base + 3 * p + 2]! - b2;
      const e0 = c0 - b0, e1 = c1 - b1, e2 = c2 - b2;
      const ee = e0 * e0 + e1 * e1 + e2 * e2;
      let a = ee > 1e-9 ? (d0 * e0 + d1 * e1 + d2 * e2) / ee : 0;
      a = a < 0 ? 0 : a > 1 ? 1 : a;
      const r = maxAbs3(d0 - a * e0, d1 - a * e1, d2 - a * e2);
      sim[p] = a * Math.max(0, 1 - r / K.TRACK_RESIDUAL);
    }
    let best = -1;
    let bestX = 0;
    let bestY = 0;
    let bestDist = Infinity;
    for (let dy = dyLo; dy <= dyHi; dy++)
      for (let dx = dxLo; dx <= dxHi; dx++) {
        let s = 0;
        for (let p = 0; p < mask.count; p++) {
          const x = sp.x + mask.dx[p]! + dx;
          const y = sp.y + mask.dy[p]! + dy;
          s += sim[(wrap ? mod(y, h) : y) * w + (wrap ? mod(x, w) : x)]!;
        }
        s /= mask.count;
        const ux = wrap ? signedMod(dx, w) : dx;
        const uy = wrap ? signedMod(dy, h) : dy;
        // Ties (a symmetric smear) go to the shift nearest the previous frame's.
        const dist = wrap
          ? Math.abs(signedMod(ux - prevX, w)) + Math.abs(signedMod(uy - prevY, h))
          : Math.abs(ux - prevX) + Math.abs(uy - prevY);
        if (s > best + 1e-9 || (Math.abs(s - best) <= 1e-9 && dist < bestDist)) {
          best = s;
          bestX = ux;
          bestY = uy;
          bestDist = dist;
        }
      }
    sx[f] = bestX;
    sy[f] = bestY;
    found[f] = best >= K.FOUND_MIN ? 1 : 0;
    prevX = bestX;
    prevY = bestY;
  }
  return { sx, sy, found };
}

/** The expected motion of sprite 0 at one speed: shifts from frame 0 and per-frame steps. */
interface Expected {
  speed: number;
  ex: Int32Array;
  ey: Int32Array;
  stepX: Int32Array;
  stepY: Int32Array;
}

function expectedMotion(truth: ClipTruth, speed: number, u: [number, number], g: Geometry): Expected {
  const sp = truth.sprites[0]!;
  const { frames, height: h, width: w, wrap } = g;
  const vx = u[0] * speed;
  const vy = u[1] * speed;
  const ex = new Int32Array(frames);
  const ey = new Int32Array(frames);
  const stepX = new Int32Array(frames);
  const stepY = new Int32Array(frames);
  const x0 = positionAt(sp.x, vx, sp.size, w, 0, wrap);
  const y0 = positionAt(sp.y, vy, sp.size, h, 0, wrap);
  let px = x0;
  let py = y0;
  for (let f = 0; f < frames; f++) {
    const x = positionAt(sp.x, vx, sp.size, w, f, wrap);
    const y = positionAt(sp.y, vy, sp.size, h, f, wrap);
    ex[f] = wrap ? signedMod(x - x0, w) : x - x0;
    ey[f] = wrap ? signedMod(y - y0, h) : y - y0;
    stepX[f] = wrap ? signedMod(x - px, w) : x - px;
    stepY[f] = wrap ? signedMod(y - py, h) : y - py;
    px = x;
    py = y;
  }
  return { speed, ex, ey, stepX, stepY };
}

interface MotionResult {
  exact: number;
  /** The allowed speed the clip's motion matches best (with exact, how well). */
  speed: number;
  direction: number;
  smoothness: number;
  dynamic: number;
}

function scoreMotion(track: Track, truth: ClipTruth, world: World, g: Geometry): MotionResult {
  const { frames, height: h, width: w, wrap } = g;
  const u = world.directionVector(truth.direction);
  const speeds = g.speeds && g.speeds.length > 0 ? g.speeds : [truth.speed];
  const candidates = [truth.speed, ...speeds.filter((s) => s !== truth.speed)].map((s) => expectedMotion(truth, s, u, g));

  // Observed steps, with frame 0 anchored at the condition's position.
  const tx = new Int32Array(frames);
  const ty = new Int32Array(frames);
  for (let f = 1; f < frames; f++) {
    const ax = f === 1 ? 0 : track.sx[f - 1]!;
    const ay = f === 1 ? 0 : track.sy[f - 1]!;
    tx[f] = wrap ? signedMod(track.sx[f]! - ax, w) : track.sx[f]! - ax;
    ty[f] = wrap ? signedMod(track.sy[f]! - ay, h) : track.sy[f]! - ay;
  }
  let allFound = true;
  for (let f = 1; f < frames; f++) if (!track.found[f]) allFound = false;

  // The allowed speed the clip matches best (ties: the real clip's speed, then the listed order).
  let best = candidates[0]!;
  let bestMatches = -1;
  for (const e of candidates) {
    let m = 0;
    for (let f = 1; f < frames; f++) {
      if (!track.found[f]) continue;
      const okX = wrap ? mod(track.sx[f]! - e.ex[f]!, w) === 0 : track.sx[f] === e.ex[f];
      const okY = wrap ? mod(track.sy[f]! - e.ey[f]!, h) === 0 : track.sy[f] === e.ey[f];
      if (okX && okY) m++;
    }
    if (m > bestMatches) {
      bestMatches = m;
      best = e;
    }
  }
  const exact = frames > 1 ? bestMatches / (frames - 1) : 1;

  // Direction: the tracked displacement summed over the steps must have the sign pattern of
  // speed * u. In a wrapping world that is every step. Without wrap only the leading run counts:
  // the steps before the expected motion first bounces, and before the tracked motion reverses on
  // an axis (its own bounce). A candidate speed whose motion bounces at the first step cannot show
  // a direction: it counts only if the clip matches it exactly.
  let direction = 0;
  if (allFound)
    for (const e of candidates) {
      let ax = 0;
      let ay = 0;
      let used = 0;
      let firstX = 0;
      let firstY = 0;
      for (let f = 1; f < frames; f++) {
        if (!wrap) {
          const bouncedX = e.speed !== 0 && u[0] !== 0 && Math.sign(e.stepX[f]!) !== Math.sign(u[0]);
          const bouncedY = e.speed !== 0 && u[1] !== 0 && Math.sign(e.stepY[f]!) !== Math.sign(u[1]);
          const sx = Math.sign(tx[f]!);
          const sy = Math.sign(ty[f]!);
          if (bouncedX || bouncedY || sx * firstX < 0 || sy * firstY < 0) break;
          if (firstX === 0) firstX = sx;
          if (firstY === 0) firstY = sy;
        }
        ax += tx[f]!;
        ay += ty[f]!;
        used++;
      }
      const ok =
        used > 0
          ? Math.sign(ax) === Math.sign(e.speed * u[0]) && Math.sign(ay) === Math.sign(e.speed * u[1])
          : e === best && bestMatches === frames - 1;
      if (ok) {
        direction = 1;
        break;
      }
    }

  // Smoothness: second differences of the tracked position against the expected ones.
  let smoothness: number;
  if (frames < 3) smoothness = frames > 1 && track.found[1] ? 1 : 0;
  else {
    let sum = 0;
    for (let f = 2; f < frames; f++) {
      const ok = track.found[f] && track.found[f - 1] && (f === 2 || track.found[f - 2]);
      if (!ok) continue;
      const dx = tx[f]! - tx[f - 1]! - (best.stepX[f]! - best.stepX[f - 1]!);
      const dy = ty[f]! - ty[f - 1]! - (best.stepY[f]! - best.stepY[f - 1]!);
      sum += Math.exp(-(dx * dx + dy * dy) / K.SMOOTH_SCALE);
    }
    smoothness = sum / (frames - 2);
  }

  // Dynamic degree: tracked path length against the path of the matched allowed speed.
  let path = 0;
  let expectedPath = 0;
  for (let f = 1; f < frames; f++) {
    if (track.found[f]) path += Math.abs(tx[f]!) + Math.abs(ty[f]!);
    expectedPath += Math.abs(best.stepX[f]!) + Math.abs(best.stepY[f]!);
  }
  const dynamic = expectedPath === 0 ? 1 : Math.min(1, path / expectedPath);
  return { exact, speed: best.speed, direction, smoothness, dynamic };
}

/** Distinct sprite colours of a clip, sprite 0's first. */
function clipColours(truth: ClipTruth): Rgb[] {
  const out: Rgb[] = [];
  for (const sp of truth.sprites) if (!out.some((c) => maxAbs3(c[0] - sp.color[0], c[1] - sp.color[1], c[2] - sp.color[2]) < 1e-6)) out.push(sp.color);
  return out;
}

/**
 * Splits a frame into per-colour coverage ("mass", in pixels) and foreign content. Each pixel goes
 * to the condition colour whose background-to-colour line it lies closest to (max-abs residual);
 * within ID_RESIDUAL it adds its coverage (dead-zoned), otherwise it adds how far it is from the
 * background (dead-zoned at COLOUR_TOL, full at FOREIGN_FULL) to the foreign mass.
 */
function colourMasses(video: Float32Array, base: number, bg: Float32Array, colours: Rgb[], px: number, mass: Float64Array): number {
  mass.fill(0);
  let foreign = 0;
  for (let p = 0; p < px; p++) {
    const d0 = video[base + 3 * p]! - bg[3 * p]!;
    const d1 = video[base + 3 * p + 1]! - bg[3 * p + 1]!;
    const d2 = video[base + 3 * p + 2]! - bg[3 * p + 2]!;
    let bestK = -1;
    let bestR = Infinity;
    let bestA = 0;
    for (let k = 0; k < colours.length; k++) {
      const c = colours[k]!;
      const e0 = c[0] - bg[3 * p]!, e1 = c[1] - bg[3 * p + 1]!, e2 = c[2] - bg[3 * p + 2]!;
      const ee = e0 * e0 + e1 * e1 + e2 * e2;
      let a = ee > 1e-9 ? (d0 * e0 + d1 * e1 + d2 * e2) / ee : 0;
      a = a < 0 ? 0 : a > 1 ? 1 : a;
      const r = maxAbs3(d0 - a * e0, d1 - a * e1, d2 - a * e2);
      if (r < bestR) {
        bestR = r;
        bestK = k;
        bestA = a;
      }
    }
    if (bestK >= 0 && bestR <= K.ID_RESIDUAL) {
      mass[bestK] += Math.min(1, Math.max(0, (bestA - K.ID_DEADZONE) / (1 - 2 * K.ID_DEADZONE)));
    } else {
      const dist = maxAbs3(d0, d1, d2);
      foreign += Math.min(1, Math.max(0, (dist - K.COLOUR_TOL) / (K.FOREIGN_FULL - K.COLOUR_TOL)));
    }
  }
  return foreign;
}

/** Pixels within COLOUR_TOL of the background; and foreground pixels, clean or not. */
function pixelClasses(video: Float32Array, base: number, bg: Float32Array, colours: Rgb[], px: number): { bgCount: number; fg: number; clean: number } {
  let bgCount = 0;
  let fg = 0;
  let clean = 0;
  for (let p = 0; p < px; p++) {
    const x0 = video[base + 3 * p]!, x1 = video[base + 3 * p + 1]!, x2 = video[base + 3 * p + 2]!;
    if (maxAbs3(x0 - bg[3 * p]!, x1 - bg[3 * p + 1]!, x2 - bg[3 * p + 2]!) <= K.COLOUR_TOL) {
      bgCount++;
      continue;
    }
    fg++;
    for (const c of colours)
      if (maxAbs3(x0 - c[0], x1 - c[1], x2 - c[2]) <= K.COLOUR_TOL) {
        clean++;
        break;
      }
  }
  return { bgCount, fg, clean };
}

// ---------------------------------------------------------------------------------------------
// Frechet distance of hand-made clip features

export const FEATURE_NAMES: readonly string[] = [
  "mean.r", "mean.g", "mean.b", "std.r", "std.g", "std.b",
  ...["r", "g", "b"].flatMap((c) => [0, 1, 2, 3, 4].map((k) => `hist.${c}.${k}`)),
  "edge.h", "edge.v", "edge.peak", "motion.energy", "motion.peak", "saturation", "bright",
];

/** The feature vector of one clip [F, H, W, 3]; see docs/metrics.md for each entry. */
export function clipFeatures(video: Float32Array, at: number, frames: number, h: number, w: number): Float64Array {
  const out = new Float64Array(FEATURE_NAMES.length);
  const n = frames * h * w;
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  const hist = new Float64Array(15);
  let sat = 0;
  let bright = 0;
  for (let q = 0; q < n; q++) {
    let hi = -Infinity;
    let lo = Infinity;
    for (let c = 0; c < 3; c++) {
      const v = video[at + 3 * q + c]!;
      sum[c] += v;
      sq[c] += v * v;
      const bin = Math.min(4, Math.max(0, Math.floor(((v + 1) / 2) * 5)));
      hist[c * 5 + bin] += 1;
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
    sat += (hi - lo) / 2;
    if (hi > 0.9) bright++;
  }
  for (let c = 0; c < 3; c++) {
    const m = sum[c]! / n;
    out[c] = m;
    out[3 + c] = Math.sqrt(Math.max(0, sq[c]! / n - m * m));
  }
  for (let k = 0; k < 15; k++) out[6 + k] = hist[k]! / n;
  let eh = 0;
  let ev = 0;
  let g2 = 0;
  let nh = 0;
  let nv = 0;
  for (let f = 0; f < frames; f++) {
    const base = at + f * h * w * 3;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) {
          const v = video[base + 3 * (y * w + x) + c]!;
          if (x + 1 < w) {
            const d = Math.abs(video[base + 3 * (y * w + x + 1) + c]! - v);
            eh += d;
            g2 += d * d;
            nh++;
          }
          if (y + 1 < h) {
            const d = Math.abs(video[base + 3 * ((y + 1) * w + x) + c]! - v);
            ev += d;
            g2 += d * d;
            nv++;
          }
        }
  }
  out[21] = nh ? eh / nh : 0;
  out[22] = nv ? ev / nv : 0;
  out[23] = g2 / (eh + ev + 1e-6);
  let te = 0;
  let t2 = 0;
  let nt = 0;
  const fs = h * w * 3;
  for (let f = 1; f < frames; f++)
    for (let q = 0; q < fs; q++) {
      const d = Math.abs(video[at + f * fs + q]! - video[at + (f - 1) * fs + q]!);
      te += d;
      t2 += d * d;
      nt++;
    }
  out[24] = nt ? te / nt : 0;
  out[25] = t2 / (te + 1e-6);
  out[26] = sat / n;
  out[27] = bright / n;
  return out;
}

/** A row-major n x n array as a matrix. */
function square(a: Float64Array, n: number): Matrix {
  return new Matrix(Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n))));
}

/** Eigenvalues of a symmetric matrix, made exactly symmetric first (rounding can break it). */
function symmetricEigenvalues(m: Matrix): number[] {
  return new EigenvalueDecomposition(m.add(m.transpose()).mul(0.5), { assumeSymmetric: true }).realEigenvalues;
}

/** The symmetric square root of a symmetric positive semi-definite matrix (negative eigenvalues clipped). */
export function sqrtPsd(a: Float64Array, n: number): Float64Array {
  const e = new EigenvalueDecomposition(square(a, n), { assumeSymmetric: true });
  const v = e.eigenvectorMatrix;
  const root = v.mmul(Matrix.diag(e.realEigenvalues.map((x) => Math.sqrt(Math.max(0, x))))).mmul(v.transpose());
  return Float64Array.from(root.to1DArray());
}

/**
 * Frechet distance between two Gaussians fitted to rows of features (each row d values):
 * |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2). Population covariances (divide by n).
 */
export function frechetDistance(x: Float64Array[], y: Float64Array[], d: number): number {
  const stats = (rows: Float64Array[]) => {
    const mu = new Float64Array(d);
    for (const r of rows) for (let j = 0; j < d; j++) mu[j] += r[j]! / rows.length;
    const cov = new Float64Array(d * d);
    for (const r of rows)
      for (let i = 0; i < d; i++) {
        const di = r[i]! - mu[i]!;
        for (let j = 0; j < d; j++) cov[i * d + j] += (di * (r[j]! - mu[j]!)) / rows.length;
      }
    return { mu, cov };
  };
  const a = stats(x);
  const b = stats(y);
  let dist = 0;
  for (let j = 0; j < d; j++) dist += (a.mu[j]! - b.mu[j]!) ** 2;
  let trace = 0;
  for (let j = 0; j < d; j++) trace += a.cov[j * d + j]! + b.cov[j * d + j]!;
  const ra = square(sqrtPsd(a.cov, d), d);
  let cross = 0;
  for (const v of symmetricEigenvalues(ra.mmul(square(b.cov, d)).mmul(ra))) cross += Math.sqrt(Math.max(0, v));
  return Math.max(0, dist + trace - 2 * cross);
}

/** FD of the clips' features, each feature standardised by the real batch's spread. */
export function featureFd(generated: Float32Array, real: Float32Array, n: number, frames: number, h: number, w: number): number {
  const d = FEATURE_NAMES.length;
  const clip = frames * h * w * 3;
  const fg: Float64Array[] = [];
  const fr: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    fg.push(clipFeatures(generated, i * clip, frames, h, w));
    fr.push(clipFeatures(real, i * clip, frames, h, w));
  }
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const r of fr) for (let j = 0; j < d; j++) mu[j] += r[j]! / n;
  for (const r of fr) for (let j = 0; j < d; j++) sd[j] += (r[j]! - mu[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]! + K.FD_STD_FLOOR ** 2);
  const standardise = (rows: Float64Array[]) => rows.map((r) => r.map((v, j) => (v - mu[j]!) / sd[j]!));
  return frechetDistance(standardise(fg), standardise(fr), d);
}

// ---------------------------------------------------------------------------------------------
// The scores

export function scoreClips(output: Float32Array, batch: WorldBatch, world: World): Scores {
  if (output.length !== batch.video.length) throw new Error(`scoreClips: generated has ${output.length} values, the batch ${batch.video.length}`);
  if (batch.channels !== 3) throw new Error("scoreClips: only RGB clips are scored");
  let nonFinite = 0;
  for (const v of output) if (!Number.isFinite(v)) nonFinite++;
  const generated = nonFinite === 0 ? output : output.map((v) => (Number.isFinite(v) ? v : 0));
  const g = geometryOf(batch, world);
  const { n, frames } = batch;
  const px = batch.height * batch.width;
  const frameSize = px * 3;
  const clipSize = frames * frameSize;
  const real = batch.video;

  let firstFrame = 0, firstFrameMse = 0, videoMse = 0, identity = 0, motion = 0, exact = 0, direction = 0;
  let subject = 0, background = 0, smoothness = 0, dynamic = 0, temporal = 0, sharpness = 0, pixelFidelity = 0;
  const speedCounts = new Map<number, number>((g.speeds ?? []).map((v) => [v, 0]));
  let matched = 0;

  for (let i = 0; i < n; i++) {
    const at = i * clipSize;
    const truth = batch.truth[i]!;
    const bg = backgroundMap(real, at, truth, g);
    const colours = clipColours(truth);

    // First frame.
    let se0 = 0;
    for (let q = 0; q < frameSize; q++) se0 += (generated[at + q]! - real[at + q]!) ** 2;
    const mse0 = se0 / frameSize;
    firstFrameMse += mse0 / n;
    firstFrame += Math.exp(-mse0 / K.FIRST_FRAME_SCALE) / n;
    let se = 0;
    for (let q = 0; q < clipSize; q++) se += (generated[at + q]! - real[at + q]!) ** 2;
    videoMse += se / clipSize / n;

    // Identity, background and sharpness, frame by frame.
    const mg = new Float64Array(colours.length);
    const mr = new Float64Array(colours.length);
    let idSum = 0;
    let bgSum = 0;
    let clean = 0;
    let fgDen = 0;
    let faithful = 0;
    for (let f = 1; f < frames; f++) {
      const base = at + f * frameSize;
      const cg = pixelClasses(generated, base, bg, colours, px);
      const cr = pixelClasses(real, base, bg, colours, px);
      clean += cg.clean;
      fgDen += Math.max(cg.fg, cr.fg, 1);
      faithful += cg.bgCount + cg.clean;
      bgSum += cr.bgCount === 0 ? 1 : Math.min(1, cg.bgCount / cr.bgCount);
      const foreign = colourMasses(generated, base, bg, colours, px, mg);
      colourMasses(real, base, bg, colours, px, mr);
      let lo = 0;
      let hi = foreign;
      for (let k = 0; k < colours.length; k++) {
        lo += Math.min(mg[k]!, mr[k]!);
        hi += Math.max(mg[k]!, mr[k]!);
      }
      idSum += hi < 1e-9 ? 1 : lo / hi;
    }
    const later = Math.max(1, frames - 1);
    identity += idSum / later / n;
    const bgClip = bgSum / later;
    sharpness += (fgDen > 0 ? clean / fgDen : 1) / n;
    pixelFidelity += (frames > 1 ? faithful / (px * (frames - 1)) : 1) / n;

    // Sprite 0: motion, subject consistency.
    const track = trackSprite0(generated, at, bg, truth, g);
    const mot = scoreMotion(track, truth, world, g);
    exact += mot.exact / n;
    if (mot.exact === 1) {
      matched++;
      speedCounts.set(mot.speed, (speedCounts.get(mot.speed) ?? 0) + 1);
    }
    direction += mot.direction / n;
    motion += (0.5 * mot.exact + 0.5 * mot.direction) / n;
    const subj = subjectConsistency(generated, at, track, truth, g);
    subject += subj / n;
    background += bgClip / n;
    smoothness += mot.smoothness / n;
    dynamic += mot.dynamic / n;
    temporal += (((subj + bgClip + mot.smoothness) / 3) * mot.dynamic) / n;
  }

  const fd = featureFd(generated, real, n, frames, batch.height, batch.width);
  const fdScore = Math.exp(-fd / K.FD_SCALE);
  const pct = (x: number) => 100 * x;
  const semanticScore = (pct(firstFrame) + pct(identity) + pct(motion)) / 3;
  const qualityScore = (pct(sharpness) + pct(fdScore)) / 2;
  return {
    n,
    total: meanOfGroups(semanticScore, pct(temporal), qualityScore),
    semantic: { score: semanticScore, firstFrame: pct(firstFrame), identity: pct(identity), motion: pct(motion) },
    temporal: { score: pct(temporal), subject: pct(subject), background: pct(background), smoothness: pct(smoothness), dynamic: pct(dynamic) },
    quality: { score: qualityScore, sharpness: pct(sharpness), pixelFidelity: pct(pixelFidelity), fd, fdScore: pct(fdScore) },
    directionAccuracy: direction,
    motionExact: exact,
    speeds: speedUse(speedCounts, matched, n),
    firstFrameMse,
    videoMse,
    nonFinite,
  };
}

/** The `speeds` entry of the scores: shares of the clips that matched an allowed speed, and their normalised entropy. */
function speedUse(counts: Map<number, number>, matched: number, n: number): Scores["speeds"] {
  const shares: Record<string, number> = {};
  let entropy = 0;
  for (const [speed, c] of [...counts].sort((a, b) => a[0] - b[0])) {
    const p = matched > 0 ? c / matched : 0;
    shares[String(speed)] = 100 * p;
    if (p > 0) entropy -= p * Math.log(p);
  }
  const k = counts.size;
  return { matched: n > 0 ? (100 * matched) / n : 0, shares, coverage: matched > 0 && k > 1 ? (100 * entropy) / Math.log(k) : null };
}

/**
 * Subject consistency of one clip: sprite 0's patch (its frame-0 mask at the tracked position) in
 * each frame against the previous frame's and frame 0's: exp(-mean(mse) / SUBJECT_SCALE), 0 where
 * the sprite is lost.
 */
function subjectConsistency(video: Float32Array, at: number, track: Track, truth: ClipTruth, g: Geometry): number {
  const { frames, height: h, width: w, wrap } = g;
  const sp = truth.sprites[0]!;
  const mask = shapeMask(sp.shape, sp.size);
  const frameSize = h * w * 3;
  const patch = (f: number, sx: number, sy: number): Float32Array => {
    const out = new Float32Array(mask.count * 3);
    for (let p = 0; p < mask.count; p++) {
      let x = sp.x + mask.dx[p]! + sx;
      let y = sp.y + mask.dy[p]! + sy;
      if (wrap) {
        x = mod(x, w);
        y = mod(y, h);
      }
      const q = at + f * frameSize + 3 * (y * w + x);
      out[3 * p] = video[q]!;
      out[3 * p + 1] = video[q + 1]!;
      out[3 * p + 2] = video[q + 2]!;
    }
    return out;
  };
  const mse = (a: Float32Array, b: Float32Array) => {
    let s = 0;
    for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
    return s / a.length;
  };
  if (frames < 2) return 1;
  const first = patch(0, 0, 0);
  let prev = first;
  let sum = 0;
  for (let f = 1; f < frames; f++) {
    const cur = patch(f, track.sx[f]!, track.sy[f]!);
    if (track.found[f]) sum += Math.exp(-(0.5 * mse(cur, prev) + 0.5 * mse(cur, first)) / K.SUBJECT_SCALE);
    prev = cur;
  }
  return sum / (frames - 1);
}
