// The procedural "sprites" image-to-video world: coloured sprites moving over a dark background.
// The prompt names the direction of the first sprite; its speed (drawn from `speeds`) and the motion
// of any other sprite are not named, so one frame 0 and prompt have several valid futures.
// Everything here is plain TypeScript over Float32Arrays: generating a batch costs microseconds.
import type { World as WorldPlan } from "../../../compiler/plan/schema.js";
import { Rng } from "../rng.js";
import type { ClipTruth, Rgb, SpriteTruth, World, WorldBatch } from "./types.js";

export type SpritesSettings = Extract<WorldPlan, { kind: "sprites" }>;
export type Shape = SpriteTruth["shape"];

/** How the background varies over the frame (it never changes over time). */
export type Backdrop =
  | { kind: "flat" }
  /** base + delta * g, where g runs linearly from -1 to 1 across the frame along `angle` (radians). */
  | { kind: "gradient"; delta: Rgb; angle: number }
  /** base + amplitude * u, u uniform in [-1, 1] per pixel and channel, drawn from `seed`. */
  | { kind: "noise"; seed: number; amplitude: number };

/** The truth of a sprites clip: the contract's fields plus what is needed to draw the background again. */
export interface SpritesClipTruth extends ClipTruth {
  backdrop: Backdrop;
}

/** Background channels are drawn uniformly from this range: dark, and far from every sprite colour. */
export const BACKGROUND_RANGE: readonly [number, number] = [-0.95, -0.35];
/** Largest per-channel excursion of a gradient background from its base colour. */
export const GRADIENT_AMPLITUDE = 0.15;
/** Amplitude of the static per-pixel noise of a noise background. */
export const NOISE_AMPLITUDE = 0.1;
/** Attempts at placing a sprite where it does not overlap the ones placed before (frame 0). */
const PLACEMENT_TRIES = 20;

const DIRECTION_TABLE: readonly { name: string; v: [number, number] }[] = [
  { name: "right", v: [1, 0] },
  { name: "down", v: [0, 1] },
  { name: "left", v: [-1, 0] },
  { name: "up", v: [0, -1] },
  { name: "down-right", v: [1, 1] },
  { name: "down-left", v: [-1, 1] },
  { name: "up-left", v: [-1, -1] },
  { name: "up-right", v: [1, -1] },
];
/** Prompt index -> row of DIRECTION_TABLE. The 4-direction classes are a prefix of the 8-direction ones. */
const DIRECTION_SETS: Record<2 | 4 | 8, readonly number[]> = { 2: [0, 2], 4: [0, 1, 2, 3], 8: [0, 1, 2, 3, 4, 5, 6, 7] };

// ---------------------------------------------------------------------------------------------
// Colours

function hsvToSigned(h: number, s: number, v: number): Rgb {
  const k = (n: number) => (n + h * 6) % 6;
  const f = (n: number) => v - v * s * Math.max(0, Math.min(k(n), 4 - k(n), 1));
  return [2 * f(5) - 1, 2 * f(3) - 1, 2 * f(1) - 1];
}

/**
 * The fixed sprite palette of `k` colours in [-1, 1]^3. Every colour has value 1 (one channel at
 * +1), so it is at least 1.2 (max-abs) from any background pixel (channels <= -0.2). Up to 12 colours are fully saturated
 * hues spaced evenly (adjacent colours differ by >= 1.0 max-abs); more colours come in further rings
 * of lighter tints (saturation 1/2, 1/3, ...), with fewer hues as the saturation falls (6, 4, 3, ...)
 * so that they stay apart, offset by half a hue step.
 */
export function spritePalette(k: number): Rgb[] {
  const out: Rgb[] = [];
  for (let ring = 0; out.length < k; ring++) {
    const sat = 1 / (ring + 1);
    const hues = Math.min(Math.max(1, Math.round(12 * sat)), k - out.length);
    const offset = ring === 0 ? 0 : 0.5 / hues;
    for (let j = 0; j < hues; j++) out.push(hsvToSigned((j / hues + offset) % 1, sat, 1));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shapes and motion

/** Pixel offsets (dx, dy) of a shape inside its size x size box, as two parallel arrays. */
export interface ShapeMask {
  dx: Int16Array;
  dy: Int16Array;
  count: number;
}

const maskCache = new Map<string, ShapeMask>();

function inShape(shape: Shape, s: number, row: number, col: number): boolean {
  const c = (s - 1) / 2;
  switch (shape) {
    case "square":
      return true;
    case "disc":
      return (row - c) ** 2 + (col - c) ** 2 <= 0.7 * (s / 2) ** 2 + 1e-9;
    case "cross": {
      const t = Math.max(0.5, s / 6);
      return Math.abs(row - c) <= t + 1e-9 || Math.abs(col - c) <= t + 1e-9;
    }
    case "triangle":
      return Math.abs(col - c) <= ((row + 1) * (c + 0.5)) / s + 1e-9;
  }
}

/** The pixels of a sprite of this shape and size (never empty; the middle pixel is always in). */
export function shapeMask(shape: Shape, size: number): ShapeMask {
  const key = `${shape}:${size}`;
  let m = maskCache.get(key);
  if (m) return m;
  const dx: number[] = [];
  const dy: number[] = [];
  const mid = Math.floor((size - 1) / 2);
  for (let row = 0; row < size; row++)
    for (let col = 0; col < size; col++)
      if (inShape(shape, size, row, col) || (row === mid && col === mid)) {
        dx.push(col);
        dy.push(row);
      }
  m = { dx: Int16Array.from(dx), dy: Int16Array.from(dy), count: dx.length };
  maskCache.set(key, m);
  return m;
}

/** Non-negative remainder. */
export function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

/**
 * The coordinate along one axis at `frame` of a sprite that starts at `start` (top-left) and moves
 * `v` pixels per frame. With `wrap` it re-enters on the other side (result in [0, extent)); without,
 * it bounces off the borders, staying in [0, extent - size].
 */
export function positionAt(start: number, v: number, size: number, extent: number, frame: number, wrap: boolean): number {
  const q = start + frame * v;
  if (wrap) return mod(q, extent);
  const span = extent - size;
  if (span <= 0) return start;
  const m = mod(q, 2 * span);
  return m <= span ? m : 2 * span - m;
}

// ---------------------------------------------------------------------------------------------
// The world

export class SpritesWorld implements World {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly channels = 3;
  readonly directions: number;
  readonly wrap: boolean;
  /** The speeds the first sprite can have (pixels per frame); the prompt does not say which. */
  readonly speeds: readonly number[];
  readonly palette: readonly Rgb[];
  private readonly dirRows: readonly number[];
  private readonly bgScratch: Float32Array;

  constructor(
    readonly settings: SpritesSettings,
    /** Seeds the evaluation set only; training batches come from the caller's stream. */
    readonly seed: number,
  ) {
    const s = settings;
    if (s.channels !== 3) throw new Error(`sprites world: channels must be 3, not ${s.channels}`);
    if (s.sprites.min < 1 || s.sprites.max < s.sprites.min) throw new Error(`sprites world: bad sprite count range ${s.sprites.min}..${s.sprites.max}`);
    if (s.spriteSize.min < 1 || s.spriteSize.max < s.spriteSize.min) throw new Error(`sprites world: bad sprite size range ${s.spriteSize.min}..${s.spriteSize.max}`);
    if (s.spriteSize.max > Math.min(s.height, s.width))
      throw new Error(`sprites world: sprite size ${s.spriteSize.max} does not fit a ${s.height}x${s.width} frame`);
    if (s.speeds.length === 0 || s.speeds.some((v) => !Number.isInteger(v) || v < 0)) throw new Error("sprites world: speeds must be non-negative integers");
    if (s.shapes.length === 0) throw new Error("sprites world: no shapes");
    if (s.palette < 2) throw new Error("sprites world: the palette needs at least 2 colours");
    this.frames = s.frames;
    this.height = s.height;
    this.width = s.width;
    this.directions = s.directions;
    this.wrap = s.wrap;
    this.speeds = [...s.speeds];
    this.palette = spritePalette(s.palette);
    this.dirRows = DIRECTION_SETS[s.directions];
    this.bgScratch = new Float32Array(s.height * s.width * 3);
  }

  promptName(direction: number): string {
    return DIRECTION_TABLE[this.row(direction)]!.name;
  }

  directionVector(direction: number): [number, number] {
    const v = DIRECTION_TABLE[this.row(direction)]!.v;
    return [v[0], v[1]];
  }

  private row(direction: number): number {
    const r = this.dirRows[direction];
    if (r === undefined) throw new Error(`direction ${direction} is not one of the world's ${this.directions}`);
    return r;
  }

  sample(n: number, rng: Rng): WorldBatch {
    const truth: SpritesClipTruth[] = [];
    for (let i = 0; i < n; i++) truth.push(this.drawClip(rng));
    return this.render(truth);
  }

  /** Clip i comes from its own stream of the world seed, so it does not depend on n or on training draws. */
  evalBatch(n: number): WorldBatch {
    const truth: SpritesClipTruth[] = [];
    for (let i = 0; i < n; i++) truth.push(this.drawClip(new Rng(this.seed, `world-eval/${i}`)));
    return this.render(truth);
  }

  /** Draws the random content of one clip. */
  drawClip(rng: Rng): SpritesClipTruth {
    const s = this.settings;
    const direction = rng.int(this.directions);
    const speed = rng.pick(this.speeds);
    const count = s.secondSprite === "none" ? 1 : s.sprites.min + rng.int(s.sprites.max - s.sprites.min + 1);
    const [lo, hi] = BACKGROUND_RANGE;
    const background: Rgb = [lo + (hi - lo) * rng.uniform(), lo + (hi - lo) * rng.uniform(), lo + (hi - lo) * rng.uniform()];
    let backdrop: Backdrop;
    if (s.background === "gradient") {
      const a = GRADIENT_AMPLITUDE;
      backdrop = { kind: "gradient", delta: [a * (2 * rng.uniform() - 1), a * (2 * rng.uniform() - 1), a * (2 * rng.uniform() - 1)], angle: 2 * Math.PI * rng.uniform() };
    } else if (s.background === "noise") {
      backdrop = { kind: "noise", seed: rng.nextU32(), amplitude: NOISE_AMPLITUDE };
    } else {
      backdrop = { kind: "flat" };
    }

    // Colours: sprite 0 gets one; the others are drawn without replacement from the rest (cycling
    // when there are more sprites than colours), so sprite 0's colour is unique in the clip.
    const k = this.palette.length;
    const first = rng.int(k);
    const rest: number[] = [];
    for (let j = 0; j < k; j++) if (j !== first) rest.push(j);
    for (let j = rest.length - 1; j > 0; j--) {
      const r = rng.int(j + 1);
      [rest[j], rest[r]] = [rest[r]!, rest[j]!];
    }

    const occupied = new Uint8Array(this.height * this.width);
    const sprites: SpriteTruth[] = [];
    const [dirX, dirY] = this.directionVector(direction);
    for (let j = 0; j < count; j++) {
      const shape = rng.pick(s.shapes);
      const size = s.spriteSize.min + rng.int(s.spriteSize.max - s.spriteSize.min + 1);
      const mask = shapeMask(shape, size);
      // Without wrap, sprite 0 starts where its first step does not hit a wall (when the frame
      // allows), so that frame 1 already shows the prompt's direction.
      const [xLo, xHi] = this.startRange(this.width, size, j === 0 ? dirX * speed : 0);
      const [yLo, yHi] = this.startRange(this.height, size, j === 0 ? dirY * speed : 0);
      let x = 0;
      let y = 0;
      for (let attempt = 0; attempt < PLACEMENT_TRIES; attempt++) {
        x = xLo + rng.int(xHi - xLo + 1);
        y = yLo + rng.int(yHi - yLo + 1);
        if (!this.overlaps(mask, x, y, occupied)) break;
      }
      this.mark(mask, x, y, occupied);
      let vx = 0;
      let vy = 0;
      if (j === 0) {
        vx = dirX * speed;
        vy = dirY * speed;
      } else if (s.secondSprite === "free") {
        const [ux, uy] = this.directionVector(rng.int(this.directions));
        const v = rng.pick(this.speeds);
        vx = ux * v;
        vy = uy * v;
      }
      const colour = j === 0 ? first : rest[(j - 1) % rest.length]!;
      const c = this.palette[colour]!;
      sprites.push({ shape, color: [c[0], c[1], c[2]], size, x, y, vx, vy });
    }
    return { direction, speed, background, sprites, backdrop };
  }

  /** Allowed top-left coordinates [lo, hi] along one axis for a sprite whose first step is v. */
  private startRange(extent: number, size: number, v: number): [number, number] {
    if (this.wrap) return [0, extent - 1];
    const span = extent - size;
    if (v > 0 && span - v >= 0) return [0, span - v];
    if (v < 0 && span + v >= 0) return [-v, span];
    return [0, span];
  }

  private overlaps(mask: ShapeMask, x: number, y: number, occupied: Uint8Array): boolean {
    for (let p = 0; p < mask.count; p++) {
      const px = mod(x + mask.dx[p]!, this.width);
      const py = mod(y + mask.dy[p]!, this.height);
      if (occupied[py * this.width + px]) return true;
    }
    return false;
  }

  private mark(mask: ShapeMask, x: number, y: number, occupied: Uint8Array): void {
    for (let p = 0; p < mask.count; p++) occupied[mod(y + mask.dy[p]!, this.height) * this.width + mod(x + mask.dx[p]!, this.width)] = 1;
  }

  /** Draws clips from their truth into one batch. */
  render(truth: SpritesClipTruth[]): WorldBatch {
    const n = truth.length;
    const clipSize = this.frames * this.height * this.width * 3;
    const video = new Float32Array(n * clipSize);
    const prompt = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.renderClip(truth[i]!, video, i * clipSize);
      prompt[i] = truth[i]!.direction;
    }
    return { n, frames: this.frames, height: this.height, width: this.width, channels: 3, video, prompt, truth };
  }

  /** The static background image [H, W, 3] of a clip. */
  backgroundImage(truth: Pick<SpritesClipTruth, "background" | "backdrop">, out: Float32Array = new Float32Array(this.height * this.width * 3)): Float32Array {
    const { height: h, width: w } = this;
    const [r, g, b] = truth.background;
    const bd = truth.backdrop;
    if (bd.kind === "flat") {
      for (let p = 0; p < h * w; p++) {
        out[3 * p] = r;
        out[3 * p + 1] = g;
        out[3 * p + 2] = b;
      }
    } else if (bd.kind === "gradient") {
      const cos = Math.cos(bd.angle);
      const sin = Math.sin(bd.angle);
      const cx = (w - 1) / 2;
      const cy = (h - 1) / 2;
      const reach = Math.abs(cx * cos) + Math.abs(cy * sin) || 1;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const t = ((x - cx) * cos + (y - cy) * sin) / reach;
          const p = 3 * (y * w + x);
          out[p] = r + bd.delta[0] * t;
          out[p + 1] = g + bd.delta[1] * t;
          out[p + 2] = b + bd.delta[2] * t;
        }
    } else {
      const noise = new Rng(bd.seed);
      for (let p = 0; p < h * w; p++) {
        out[3 * p] = r + bd.amplitude * (2 * noise.uniform() - 1);
        out[3 * p + 1] = g + bd.amplitude * (2 * noise.uniform() - 1);
        out[3 * p + 2] = b + bd.amplitude * (2 * noise.uniform() - 1);
      }
    }
    if (bd.kind !== "flat") for (let q = 0; q < 3 * h * w; q++) if (out[q]! < -1) out[q] = -1;
    return out;
  }

  /** Writes one clip [F, H, W, 3] at `offset` of `out`. Sprite 0 is drawn last, so it is never hidden. */
  renderClip(truth: SpritesClipTruth, out: Float32Array, offset = 0): void {
    const { frames, height: h, width: w, wrap } = this;
    const bg = this.backgroundImage(truth, this.bgScratch);
    const frameSize = h * w * 3;
    const order = truth.sprites.length;
    for (let f = 0; f < frames; f++) {
      const base = offset + f * frameSize;
      out.set(bg, base);
      for (let q = 1; q <= order; q++) {
        const sp = truth.sprites[q % order]!;
        const mask = shapeMask(sp.shape, sp.size);
        const x = positionAt(sp.x, sp.vx, sp.size, w, f, wrap);
        const y = positionAt(sp.y, sp.vy, sp.size, h, f, wrap);
        const [r, g, b] = sp.color;
        for (let p = 0; p < mask.count; p++) {
          let px = x + mask.dx[p]!;
          let py = y + mask.dy[p]!;
          if (px >= w) px -= w;
          if (py >= h) py -= h;
          const at = base + 3 * (py * w + px);
          out[at] = r;
          out[at + 1] = g;
          out[at + 2] = b;
        }
      }
    }
  }
}

export function createWorld(world: SpritesSettings, seed: number): SpritesWorld {
  return new SpritesWorld(world, seed);
}
