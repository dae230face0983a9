// GIF output (gifenc under our palette and grid layout), checked by decoding it again with an
// independent reader written here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../runtime/engine/rng.js";
import { createWorld } from "../../runtime/engine/world/sprites.js";
import { encodeGif, gridFrames, gridGif, toByte, writeGridGif, type RgbImage } from "../../runtime/engine/io/pictures.js";

// ---- an independent GIF reader ----

interface DecodedGif {
  width: number;
  height: number;
  palette: Uint8Array;
  loops: number | null;
  frames: { delay: number; indices: Uint8Array; rgb: Uint8Array }[];
}

function lzwDecode(data: Uint8Array, minCodeSize: number, pixels: number): Uint8Array {
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  for (let i = 0; i < clear; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    first[i] = i;
  }
  const out: number[] = [];
  let size = minCodeSize + 1;
  let next = eoi + 1;
  let prev = -1;
  let bitPos = 0;
  const read = (): number => {
    let v = 0;
    for (let k = 0; k < size; k++, bitPos++) {
      const byte = data[bitPos >> 3];
      if (byte === undefined) throw new Error("LZW data ran out before the end code");
      v |= ((byte >> (bitPos & 7)) & 1) << k;
    }
    return v;
  };
  const emit = (code: number) => {
    const s: number[] = [];
    for (let c = code; c >= 0; c = prefix[c]!) s.push(suffix[c]!);
    for (let k = s.length - 1; k >= 0; k--) out.push(s[k]!);
  };
  for (;;) {
    const code = read();
    if (code === clear) {
      size = minCodeSize + 1;
      next = eoi + 1;
      prev = -1;
      continue;
    }
    if (code === eoi) break;
    if (prev < 0) {
      assert.ok(code < clear, "first code after a clear is a literal");
      emit(code);
      prev = code;
      continue;
    }
    assert.ok(code <= next, `code ${code} beyond the table (${next})`);
    if (next < 4096) {
      prefix[next] = prev;
      first[next] = first[prev]!;
      suffix[next] = code < next ? first[code]! : first[prev]!;
      next++;
    }
    emit(code);
    prev = code;
    if (next === 1 << size && size < 12) size++;
  }
  assert.equal(out.length, pixels, "decoded pixel count");
  return Uint8Array.from(out);
}

function decodeGif(bytes: Uint8Array): DecodedGif {
  let at = 0;
  const u8 = () => bytes[at++]!;
  const u16 = () => u8() | (u8() << 8);
  const ascii = (n: number) => String.fromCharCode(...bytes.subarray(at, (at += n)));
  assert.equal(ascii(6), "GIF89a");
  const width = u16();
  const height = u16();
  const packed = u8();
  u8();
  u8();
  assert.ok(packed & 0x80, "global colour table present");
  const tableSize = 2 << (packed & 7);
  const palette = bytes.slice(at, (at += 3 * tableSize));
  const subBlocks = (): Uint8Array => {
    const parts: number[] = [];
    for (let n = u8(); n > 0; n = u8()) for (let k = 0; k < n; k++) parts.push(u8());
    return Uint8Array.from(parts);
  };
  let loops: number | null = null;
  let delay = 0;
  const frames: DecodedGif["frames"] = [];
  for (;;) {
    const kind = u8();
    if (kind === 0x3b) break;
    if (kind === 0x21) {
      const label = u8();
      if (label === 0xff) {
        const body = subBlocks();
        const name = String.fromCharCode(...body.subarray(0, 11));
        if (name === "NETSCAPE2.0") loops = body[12]! | (body[13]! << 8);
      } else if (label === 0xf9) {
        const body = subBlocks();
        assert.equal(body.length, 4);
        delay = body[1]! | (body[2]! << 8);
      } else subBlocks();
      continue;
    }
    assert.equal(kind, 0x2c, `unexpected block 0x${kind.toString(16)} at ${at - 1}`);
    const [left, top, w, h] = [u16(), u16(), u16(), u16()];
    assert.deepEqual([left, top, w, h], [0, 0, width, height]);
    assert.equal(u8() & 0x80, 0, "no local colour table");
    const min = u8();
    const indices = lzwDecode(subBlocks(), min, w * h);
    const rgb = new Uint8Array(w * h * 3);
    for (let p = 0; p < w * h; p++) rgb.set(palette.subarray(3 * indices[p]!, 3 * indices[p]! + 3), 3 * p);
    frames.push({ delay, indices, rgb });
  }
  assert.equal(at, bytes.length, "nothing after the trailer");
  return { width, height, palette, loops, frames };
}


function randomImage(width: number, height: number, seed: number, levels = 256): RgbImage {
  const r = new Rng(seed, "img");
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor((r.int(levels) * 255) / Math.max(1, levels - 1));
  return { width, height, data };
}

test("GIF: few colours are stored exactly; frame count, size, delay and looping as asked", () => {
  const frames = [0, 1, 2, 3].map((k) => randomImage(13, 9, k, 4)); // 4 levels per channel: 64 colours
  const gif = decodeGif(encodeGif(frames, { delayMs: 120 }));
  assert.deepEqual([gif.width, gif.height, gif.frames.length, gif.loops], [13, 9, 4, 0]);
  gif.frames.forEach((f, k) => {
    assert.equal(f.delay, 12);
    assert.deepEqual(f.rgb, frames[k]!.data);
  });
});

test("GIF: many colours go through the quantiser with a small error", () => {
  const frames = [0, 1].map((k) => randomImage(48, 48, 10 + k)); // ~4600 distinct colours
  const gif = decodeGif(encodeGif(frames));
  let sum = 0;
  let max = 0;
  gif.frames.forEach((f, k) => {
    for (let i = 0; i < f.rgb.length; i++) {
      const d = Math.abs(f.rgb[i]! - frames[k]!.data[i]!);
      sum += d;
      max = Math.max(max, d);
    }
  });
  const mean = sum / (2 * 48 * 48 * 3);
  assert.ok(mean < 20 && max < 100, `quantisation error mean ${mean.toFixed(1)}, max ${max}`);
  // A smooth ramp (what model outputs look like) is much finer.
  const ramp: RgbImage = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) };
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) ramp.data.set([x * 4, y * 4, (x + y) * 2], 3 * (y * 64 + x));
  const back = decodeGif(encodeGif([ramp])).frames[0]!.rgb;
  let rampMax = 0;
  for (let i = 0; i < back.length; i++) rampMax = Math.max(rampMax, Math.abs(back[i]! - ramp.data[i]!));
  assert.ok(rampMax <= 24, `ramp error ${rampMax}`);
});

test("gridGif: condition column shows frame 0 throughout, videos animate, upscaled by whole pixels", () => {
  const w = createWorld(
    { kind: "sprites", frames: 4, height: 8, width: 8, channels: 3, sprites: { min: 1, max: 2 }, spriteSize: { min: 2, max: 3 }, shapes: ["square"], palette: 6, background: "flat", directions: 4, speeds: [1, 2], secondSprite: "free", wrap: true, trainClips: 10, evalClips: 5 },
    1,
  );
  const real = w.evalBatch(5);
  const other = w.sample(5, new Rng(2, "g")).video;
  const scale = 3;
  const gap = 2;
  const layout = { n: 5, frames: 4, height: 8, width: 8, channels: 3, scale, gap, clipsPerLine: 2, delayMs: 300 };
  const gif = decodeGif(gridGif([real.video, other], layout));
  const tile = 8 * scale;
  const cellW = 3 * tile + 2 * gap;
  assert.deepEqual([gif.width, gif.height], [2 * cellW + 3 * 2 * gap, 3 * tile + 4 * 2 * gap]);
  assert.equal(gif.frames.length, 4);
  assert.ok(gif.frames.every((f) => f.delay === 30));
  const videoPixel = (v: Float32Array, i: number, f: number, x: number, y: number) => [0, 1, 2].map((c) => toByte(v[(((i * 4 + f) * 8 + y) * 8 + x) * 3 + c]!));
  for (let f = 0; f < 4; f++) {
    const img = gif.frames[f]!.rgb;
    const at = (X: number, Y: number) => [...img.subarray(3 * (Y * gif.width + X), 3 * (Y * gif.width + X) + 3)];
    for (let i = 0; i < 5; i++) {
      const ox = 2 * gap + (i % 2) * (cellW + 2 * gap);
      const oy = 2 * gap + Math.floor(i / 2) * (tile + 2 * gap);
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++)
          for (let s = 0; s < scale * scale; s++) {
            const sx = s % scale;
            const sy = Math.floor(s / scale);
            assert.deepEqual(at(ox + x * scale + sx, oy + y * scale + sy), videoPixel(real.video, i, 0, x, y), "condition = frame 0");
            assert.deepEqual(at(ox + tile + gap + x * scale + sx, oy + y * scale + sy), videoPixel(real.video, i, f, x, y), "video 1 = frame f");
            assert.deepEqual(at(ox + 2 * (tile + gap) + x * scale + sx, oy + y * scale + sy), videoPixel(other, i, f, x, y), "video 2 = frame f");
          }
    }
    assert.deepEqual(at(0, 0), [160, 160, 160], "gap colour");
  }
  // The frames the GIF was made from are the same pictures.
  assert.deepEqual(gridFrames([real.video, other], layout)[2]!.data, gif.frames[2]!.rgb);
  assert.throws(() => gridGif([real.video.subarray(1)], layout), /values/);
  assert.throws(() => gridGif([real.video], { ...layout, scale: 1.5 }), /scale/);
});

test("writeGridGif writes the grid's GIF where asked, creating folders", () => {
  const v = Float32Array.from({ length: 2 * 3 * 4 * 5 * 3 }, (_, k) => ((k * 37) % 200) / 100 - 1);
  const layout = { n: 2, frames: 3, height: 4, width: 5, channels: 3, scale: 2, gap: 1 };
  const dir = mkdtempSync(join(tmpdir(), "vpae-export-"));
  writeGridGif(join(dir, "a", "grid.gif"), [v], layout);
  const gif = decodeGif(readFileSync(join(dir, "a", "grid.gif")));
  assert.equal(gif.frames.length, 3);
  assert.deepEqual(gif.frames[1]!.rgb, gridFrames([v], layout)[1]!.data);
});

test("toByte maps [-1, 1] onto 0..255 and clamps", () => {
  assert.deepEqual([-1, 0, 1, -3, 2, NaN].map(toByte), [0, 128, 255, 0, 255, 0]);
});
