// What a world gives the runtime: batches of image-to-video clips (the condition is frame 0 and the
// prompt) with the ground truth that evaluation scores against. Pure data: no tfjs here.

export type Rgb = [number, number, number];

export interface SpriteTruth {
  shape: "square" | "disc" | "cross" | "triangle";
  /** Colour in [-1, 1]^3. */
  color: Rgb;
  /** Side (or diameter) in pixels. */
  size: number;
  /** Top-left position in frame 0 (pixels, may be fractional only if the world says so). */
  x: number;
  y: number;
  /** Displacement per frame in pixels. */
  vx: number;
  vy: number;
}

export interface ClipTruth {
  /** The prompt: index of the direction the first sprite moves in. */
  direction: number;
  /** Pixels per frame of the first sprite (not named by the prompt). */
  speed: number;
  background: Rgb;
  /** sprites[0] follows the prompt; others move as the world's secondSprite rule says. */
  sprites: SpriteTruth[];
}

export interface WorldBatch {
  n: number;
  frames: number;
  height: number;
  width: number;
  channels: number;
  /** [n, frames, height, width, channels], row-major, values in [-1, 1]. */
  video: Float32Array;
  /** [n] direction index per clip; the runtime's null prompt (for CFG) is `directions`. */
  prompt: Int32Array;
  truth: ClipTruth[];
}

export interface World {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Number of prompt classes (directions). */
  readonly directions: number;
  /** A fresh batch drawn from `rng` (training data). */
  sample(n: number, rng: import("../rng.js").Rng): WorldBatch;
  /** The fixed evaluation set: clip i is the same for every run with this world and seed. */
  evalBatch(n: number): WorldBatch;
  /** Human name of a prompt ("right", "up-left", ...). */
  promptName(direction: number): string;
  /** Unit displacement (dx, dy) per frame of a direction, in pixels (x right, y down). */
  directionVector(direction: number): [number, number];
}
