// The sprites world: deterministic from its seed, a fixed evaluation set, values in range, motion
// that follows the prompt, several futures per condition, and cheap generation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SPRITES_WORLD } from "../helpers.js";
import { Rng } from "../../runtime/engine/rng.js";
import { createWorld, positionAt, shapeMask, spritePalette, type SpritesClipTruth, type SpritesSettings } from "../../runtime/engine/world/sprites.js";
import type { WorldBatch } from "../../runtime/engine/world/types.js";

const BASE: SpritesSettings = SPRITES_WORLD;

const world = (over: Partial<SpritesSettings> = {}, seed = 7) => createWorld({ ...BASE, ...over }, seed);

function pixel(b: WorldBatch, i: number, f: number, x: number, y: number): [number, number, number] {
  const at = (((i * b.frames + f) * b.height + y) * b.width + x) * 3;
  return [b.video[at]!, b.video[at + 1]!, b.video[at + 2]!];
}

const maxAbs = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((v, k) => Math.abs(v - b[k]!)));

/** Pixels (as "x,y") whose colour equals `c` in frame f of clip i. */
function pixelsOf(b: WorldBatch, i: number, f: number, c: readonly number[]): Set<string> {
  const out = new Set<string>();
  for (let y = 0; y < b.height; y++) for (let x = 0; x < b.width; x++) if (maxAbs(pixel(b, i, f, x, y), c) < 1e-6) out.add(`${x},${y}`);
  return out;
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

test("the same seed and stream give the same batch; another stream gives another", () => {
  const w = world();
  const a = w.sample(16, new Rng(3, "data"));
  const b = world().sample(16, new Rng(3, "data"));
  assert.deepEqual(a.video, b.video);
  assert.deepEqual(a.truth, b.truth);
  assert.deepEqual(a.prompt, b.prompt);
  const c = w.sample(16, new Rng(4, "data"));
  assert.notDeepEqual(a.video, c.video);
});

test("sample draws only from the caller's stream, and successive batches differ", () => {
  const w = world();
  const r1 = new Rng(5, "data");
  const first = w.sample(8, r1);
  const second = w.sample(8, r1);
  assert.notDeepEqual(first.video, second.video);
  // Replaying the stream from its saved state reproduces the second batch.
  const r2 = new Rng(5, "data");
  w.sample(8, r2);
  r2.flush();
  const saved = r2.state();
  assert.deepEqual(w.sample(8, Rng.fromState(saved)).video, second.video);
});

test("the evaluation set is fixed: same for every instance and n, untouched by training draws, set by the seed", () => {
  const w = world();
  const e1 = w.evalBatch(32);
  w.sample(64, new Rng(1, "data"));
  const e2 = world().evalBatch(32);
  assert.deepEqual(e1.video, e2.video);
  assert.deepEqual(e1.truth, e2.truth);
  const e8 = w.evalBatch(8);
  assert.deepEqual(e8.video, e1.video.subarray(0, e8.video.length));
  const other = world({}, 8).evalBatch(32);
  assert.notDeepEqual(other.video, e1.video);
  // Not the training stream of the same seed either.
  assert.notDeepEqual(w.sample(32, new Rng(7, "world")).video, e1.video);
});

test("shapes of the batch, values in [-1, 1], prompts, counts, sizes and shapes as configured", () => {
  for (const over of [
    {},
    { background: "gradient" as const, sprites: { min: 2, max: 3 }, shapes: ["disc", "cross", "triangle"] as SpritesSettings["shapes"], height: 12, width: 16 },
    { background: "noise" as const, directions: 8 as const, spriteSize: { min: 1, max: 4 }, wrap: false },
  ]) {
    const s = { ...BASE, ...over };
    const w = createWorld(s, 2);
    const b = w.sample(64, new Rng(1, "data"));
    assert.equal(b.n, 64);
    assert.deepEqual([b.frames, b.height, b.width, b.channels], [s.frames, s.height, s.width, 3]);
    assert.equal(b.video.length, 64 * s.frames * s.height * s.width * 3);
    for (const v of b.video) assert.ok(v >= -1 && v <= 1, `value ${v} out of range`);
    for (let i = 0; i < b.n; i++) {
      const t = b.truth[i]!;
      assert.equal(b.prompt[i], t.direction);
      assert.ok(t.direction >= 0 && t.direction < s.directions);
      assert.ok(s.speeds.includes(t.speed));
      assert.ok(t.sprites.length >= s.sprites.min && t.sprites.length <= s.sprites.max);
      for (const sp of t.sprites) {
        assert.ok(s.shapes.includes(sp.shape));
        assert.ok(sp.size >= s.spriteSize.min && sp.size <= s.spriteSize.max);
        assert.ok(w.palette.some((c) => maxAbs(c, sp.color) < 1e-9), "sprite colour from the palette");
      }
      // Sprite 0's colour is unique in the clip, so it can be told apart.
      assert.ok(t.sprites.slice(1).every((sp) => maxAbs(sp.color, t.sprites[0]!.color) > 0.5));
    }
  }
});

test("sprite colours are at least 0.6 (max-abs) from every background pixel", () => {
  for (const background of ["flat", "gradient", "noise"] as const) {
    const w = world({ background, height: 12, width: 12 });
    const b = w.sample(64, new Rng(2, "data"));
    b.truth.forEach((t) => {
      const bg = w.backgroundImage(t as SpritesClipTruth);
      for (let p = 0; p < 144; p++) {
        const px = [bg[3 * p]!, bg[3 * p + 1]!, bg[3 * p + 2]!];
        for (const c of w.palette) assert.ok(maxAbs(px, c) >= 0.6, `${background}: background ${px} too close to ${c}`);
      }
    });
    // The background is visible and static: a pixel no sprite ever covers keeps its value.
    const t = b.truth[0]!;
    const bg = w.backgroundImage(t as SpritesClipTruth);
    let checked = 0;
    for (let y = 0; y < 12; y++)
      for (let x = 0; x < 12; x++) {
        const values = [0, 1, 2, 3, 4, 5].map((f) => pixel(b, 0, f, x, y));
        if (values.every((v) => maxAbs(v, [bg[3 * (y * 12 + x)]!, bg[3 * (y * 12 + x) + 1]!, bg[3 * (y * 12 + x) + 2]!]) < 1e-6)) checked++;
      }
    assert.ok(checked > 40, `${background}: only ${checked} pixels show the background throughout`);
  }
});

test("the palette is well separated and every colour is bright (one channel at +1)", () => {
  for (const k of [2, 6, 12, 18, 24]) {
    const p = spritePalette(k);
    assert.equal(p.length, k);
    let min = Infinity;
    for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) min = Math.min(min, maxAbs(p[a]!, p[b]!));
    assert.ok(min >= (k <= 12 ? 1 : k <= 18 ? 0.5 : 0.25) - 1e-9, `palette ${k}: min separation ${min}`);
    for (const c of p) assert.ok(Math.abs(Math.max(...c) - 1) < 1e-9 && Math.min(...c) >= -1);
  }
});

test("sprite 0 moves by direction x speed every frame: its pixels are frame 0's shifted (wrap)", () => {
  for (const directions of [2, 4, 8] as const) {
    const w = world({ directions, speeds: [1, 2, 3], height: 10, width: 12, shapes: ["square", "disc", "cross", "triangle"] });
    const b = w.sample(48, new Rng(directions, "data"));
    for (let i = 0; i < b.n; i++) {
      const t = b.truth[i]!;
      const sp = t.sprites[0]!;
      const [ux, uy] = w.directionVector(t.direction);
      assert.deepEqual([sp.vx, sp.vy], [ux * t.speed, uy * t.speed]);
      const start = pixelsOf(b, i, 0, sp.color);
      assert.equal(start.size, shapeMask(sp.shape, sp.size).count, "sprite 0 is fully visible (drawn on top)");
      for (let f = 1; f < b.frames; f++) {
        const moved = new Set([...start].map((s) => s.split(",").map(Number)).map(([x, y]) => `${mod(x! + f * ux * t.speed, 12)},${mod(y! + f * uy * t.speed, 10)}`));
        assert.deepEqual(pixelsOf(b, i, f, sp.color), moved, `clip ${i} frame ${f}`);
      }
    }
  }
});

test("direction names and unit vectors: 4 = right, down, left, up; 8 adds diagonals; 2 = right, left", () => {
  const names = (d: 2 | 4 | 8) => {
    const w = world({ directions: d });
    return [...Array(d).keys()].map((k) => `${w.promptName(k)} ${w.directionVector(k).join(",")}`);
  };
  assert.deepEqual(names(4), ["right 1,0", "down 0,1", "left -1,0", "up 0,-1"]);
  assert.deepEqual(names(2), ["right 1,0", "left -1,0"]);
  const eight = names(8);
  assert.deepEqual(eight.slice(0, 4), names(4));
  assert.deepEqual(new Set(eight.slice(4)), new Set(["down-right 1,1", "down-left -1,1", "up-left -1,-1", "up-right 1,-1"]));
  assert.throws(() => world().promptName(4));
});

test("without wrap sprites bounce inside the frame, and sprite 0's first step goes the prompt's way", () => {
  const w = world({ wrap: false, speeds: [1, 2, 3], height: 9, width: 9, sprites: { min: 2, max: 2 } });
  const b = w.sample(64, new Rng(9, "data"));
  for (let i = 0; i < b.n; i++) {
    const t = b.truth[i]!;
    for (const sp of t.sprites)
      for (let f = 0; f < b.frames; f++) {
        const x = positionAt(sp.x, sp.vx, sp.size, 9, f, false);
        const y = positionAt(sp.y, sp.vy, sp.size, 9, f, false);
        assert.ok(x >= 0 && x + sp.size <= 9 && y >= 0 && y + sp.size <= 9);
      }
    const sp = t.sprites[0]!;
    const x1 = positionAt(sp.x, sp.vx, sp.size, 9, 1, false);
    const y1 = positionAt(sp.y, sp.vy, sp.size, 9, 1, false);
    assert.deepEqual([x1 - sp.x, y1 - sp.y], [sp.vx, sp.vy], `clip ${i}: the first step is not a bounce`);
    // The drawn pixels agree with the motion rule.
    const c = sp.color;
    for (let f = 0; f < b.frames; f++) {
      const x = positionAt(sp.x, sp.vx, sp.size, 9, f, false);
      const y = positionAt(sp.y, sp.vy, sp.size, 9, f, false);
      assert.ok(maxAbs(pixel(b, i, f, x + Math.floor((sp.size - 1) / 2), y + Math.floor((sp.size - 1) / 2)), c) < 1e-6);
    }
  }
  // The reflection rule itself: 0..span and back.
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((f) => positionAt(1, 2, 3, 9, f, false)), [1, 3, 5, 5, 3, 1, 1, 3]);
});

test("second sprite: none gives one sprite; static stays put; free moves in a world direction at a world speed", () => {
  const none = world({ secondSprite: "none", sprites: { min: 2, max: 3 } }).sample(32, new Rng(1, "d"));
  assert.ok(none.truth.every((t) => t.sprites.length === 1));
  const stat = world({ secondSprite: "static", sprites: { min: 2, max: 2 } }).sample(32, new Rng(1, "d"));
  assert.ok(stat.truth.every((t) => t.sprites.length === 2 && t.sprites[1]!.vx === 0 && t.sprites[1]!.vy === 0));
  const free = world({ secondSprite: "free", sprites: { min: 2, max: 2 } }).sample(64, new Rng(1, "d"));
  const moves = new Set(free.truth.map((t) => `${t.sprites[1]!.vx},${t.sprites[1]!.vy}`));
  assert.ok(moves.size >= 6, `free second sprites move in few ways: ${[...moves].join(" ")}`);
  for (const m of moves) {
    const [vx, vy] = m.split(",").map(Number);
    assert.ok((vx === 0) !== (vy === 0) && [1, 2].includes(Math.abs(vx! + vy!)), `move ${m} not a 4-direction move at speed 1 or 2`);
  }
});

test("one frame 0 and prompt have several futures: the speed is drawn, not named", () => {
  const w = world({ speeds: [1, 2, 3] });
  const b = w.sample(300, new Rng(11, "data"));
  // Every direction occurs with every speed, about equally often.
  const counts = new Map<string, number>();
  for (const t of b.truth) counts.set(`${t.direction}/${t.speed}`, (counts.get(`${t.direction}/${t.speed}`) ?? 0) + 1);
  assert.equal(counts.size, 12);
  for (const c of counts.values()) assert.ok(c >= 10, `a direction/speed pair occurs only ${c} times in 300`);
  // The same clip at another speed: identical frame 0 and prompt, different later frames.
  const t = b.truth[0] as SpritesClipTruth;
  const [ux, uy] = w.directionVector(t.direction);
  const futures = [1, 2, 3].map((s) => w.render([{ ...t, speed: s, sprites: t.sprites.map((sp, j) => (j === 0 ? { ...sp, vx: ux * s, vy: uy * s } : sp)) }]));
  const frameSize = 8 * 8 * 3;
  for (const f of futures.slice(1)) {
    assert.deepEqual(f.video.subarray(0, frameSize), futures[0]!.video.subarray(0, frameSize));
    assert.deepEqual(f.prompt, futures[0]!.prompt);
    assert.notDeepEqual(f.video.subarray(frameSize, 2 * frameSize), futures[0]!.video.subarray(frameSize, 2 * frameSize));
  }
  assert.notDeepEqual(futures[1]!.video, futures[2]!.video);
});

test("shape masks: non-empty, inside their box, squares full, other shapes not squares from size 3", () => {
  for (const shape of ["square", "disc", "cross", "triangle"] as const)
    for (let s = 1; s <= 6; s++) {
      const m = shapeMask(shape, s);
      assert.ok(m.count >= 1);
      for (let p = 0; p < m.count; p++) assert.ok(m.dx[p]! >= 0 && m.dx[p]! < s && m.dy[p]! >= 0 && m.dy[p]! < s);
      if (shape === "square") assert.equal(m.count, s * s);
      else if (s >= 3) assert.ok(m.count < s * s, `${shape} ${s} is a full square`);
    }
  assert.notDeepEqual(shapeMask("triangle", 4), shapeMask("cross", 4));
});

test("bad settings are refused", () => {
  assert.throws(() => world({ spriteSize: { min: 2, max: 9 } }), /does not fit/);
  assert.throws(() => world({ sprites: { min: 3, max: 2 } }), /sprite count/);
});

/**
 * Processor time per call (user + system time of this process, not wall time: other processes on the
 * machine do not count), the fastest of 5 rounds.
 */
function timePerCall(fn: () => void, reps: number): number {
  for (let i = 0; i < 50; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    const d = process.cpuUsage(t0);
    rounds.push((d.user + d.system) / 1000 / reps);
  }
  return Math.min(...rounds);
}

test("generation is fast: 16 clips of 6x8x8 well under 1 ms, 64 clips of 6x16x16 within a few ms", () => {
  const small = world();
  const rng = new Rng(1, "t");
  const tSmall = timePerCall(() => small.sample(16, rng), 300);
  const big = world({ height: 16, width: 16, background: "noise", shapes: ["square", "disc", "cross", "triangle"] });
  const tBig = timePerCall(() => big.sample(64, rng), 60);
  assert.ok(tSmall < 1, `16 clips of 6x8x8: ${tSmall.toFixed(3)} ms`);
  assert.ok(tBig < 5, `64 clips of 6x16x16: ${tBig.toFixed(3)} ms`);
});
