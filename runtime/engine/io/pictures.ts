// Pictures of clips: animated GIFs of a grid of clips (the samples a run writes). The layout is ours;
// palettes, LZW and the GIF89a container come from gifenc. Videos are Float32Arrays
// [n, frames, height, width, channels] in [-1, 1], as worlds and models produce them.
import gifenc from "gifenc";
import { writeFileAtomic } from "./atomic.js";

/** An RGB image, 3 bytes per pixel, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface GifOptions {
  /** Time each frame is shown, in milliseconds (stored in hundredths of a second, at least 1). */
  delayMs?: number;
  /** Times to play; 0 (default) loops forever. */
  loops?: number;
}

/**
 * One palette for all frames and every pixel's index in it. Frames with at most 256 distinct colours
 * (the toy world's, nearly always) keep them exactly; otherwise gifenc's quantiser picks 256.
 */
function palettise(frames: RgbImage[]): { palette: number[][]; indices: Uint8Array[] } {
  const colours = new Map<number, number>();
  for (const fr of frames) {
    for (let p = 0; p < fr.data.length && colours.size <= 256; p += 3) {
      const key = (fr.data[p]! << 16) | (fr.data[p + 1]! << 8) | fr.data[p + 2]!;
      if (!colours.has(key)) colours.set(key, colours.size);
    }
  }
  if (colours.size <= 256) {
    const palette = [...colours.keys()].map((k) => [k >>> 16, (k >>> 8) & 255, k & 255]);
    const indices = frames.map((fr) => {
      const out = new Uint8Array(fr.width * fr.height);
      for (let p = 0, q = 0; q < out.length; p += 3, q++) out[q] = colours.get((fr.data[p]! << 16) | (fr.data[p + 1]! << 8) | fr.data[p + 2]!)!;
      return out;
    });
    return { palette, indices };
  }
  const rgba = (fr: RgbImage) => {
    const out = new Uint8Array(fr.width * fr.height * 4);
    for (let p = 0, q = 0; p < fr.data.length; p += 3, q += 4) out.set([fr.data[p]!, fr.data[p + 1]!, fr.data[p + 2]!, 255], q);
    return out;
  };
  const all = frames.map(rgba);
  const joined = new Uint8Array(all.reduce((n, a) => n + a.length, 0));
  all.reduce((at, a) => (joined.set(a, at), at + a.length), 0);
  const palette = gifenc.quantize(joined, 256);
  return { palette, indices: all.map((a) => gifenc.applyPalette(a, palette)) };
}

/** An animated GIF of equally sized RGB frames, with one global palette. */
export function encodeGif(frames: RgbImage[], options: GifOptions = {}): Uint8Array {
  if (frames.length === 0) throw new Error("encodeGif: no frames");
  const { width, height } = frames[0]!;
  if (width < 1 || height < 1 || width > 65535 || height > 65535) throw new Error(`encodeGif: bad size ${width}x${height}`);
  for (const f of frames) if (f.width !== width || f.height !== height) throw new Error("encodeGif: frames differ in size");
  const { palette, indices } = palettise(frames);
  const delay = 10 * Math.max(1, Math.round((options.delayMs ?? 250) / 10));
  const gif = gifenc.GIFEncoder();
  indices.forEach((index, k) => gif.writeFrame(index, width, height, k === 0 ? { palette, delay, repeat: options.loops ?? 0 } : { delay }));
  gif.finish();
  return gif.bytes();
}

export interface GridLayout {
  /** Clips per video array. */
  n: number;
  frames: number;
  height: number;
  width: number;
  /** 3 (RGB) or 1 (grey). */
  channels: number;
  /** Integer nearest-neighbour upscaling (default 1). */
  scale?: number;
  /** Separator width in output pixels (default 2). */
  gap?: number;
  /** Separator grey level 0-255 (default 160). */
  gapLevel?: number;
  /** Clips side by side per line of the grid (default 4, or n when smaller). */
  clipsPerLine?: number;
  /** Where the condition column's frame 0 comes from (default: videos[0]). */
  condition?: Float32Array;
  /** Frame delay for GIFs in milliseconds (default 250). */
  delayMs?: number;
}

/** A signed value in [-1, 1] as a byte. */
export function toByte(v: number): number {
  const x = Math.round(((v + 1) / 2) * 255);
  return x < 0 ? 0 : x > 255 ? 255 : Number.isNaN(x) ? 0 : x;
}

function checkLayout(videos: Float32Array[], l: GridLayout): { scale: number; gap: number; perLine: number } {
  if (videos.length === 0) throw new Error("grid: no videos");
  if (l.channels !== 1 && l.channels !== 3) throw new Error(`grid: ${l.channels} channels (1 or 3 only)`);
  const size = l.n * l.frames * l.height * l.width * l.channels;
  for (const v of [...videos, ...(l.condition ? [l.condition] : [])]) if (v.length !== size) throw new Error(`grid: a video has ${v.length} values, the layout says ${size}`);
  const scale = l.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`grid: scale must be a positive integer, not ${scale}`);
  const gap = l.gap ?? 2;
  const perLine = Math.max(1, Math.min(l.clipsPerLine ?? 4, l.n));
  return { scale, gap, perLine };
}

/** Copies frame `f` of clip `i` of `video`, scaled, into `img` at (ox, oy). */
function blit(img: RgbImage, video: Float32Array, l: GridLayout, i: number, f: number, ox: number, oy: number, scale: number): void {
  const { height: h, width: w, channels: c } = l;
  const base = ((i * l.frames + f) * h * w) * c;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const q = base + (y * w + x) * c;
      const r = toByte(video[q]!);
      const g = c === 3 ? toByte(video[q + 1]!) : r;
      const b = c === 3 ? toByte(video[q + 2]!) : r;
      for (let sy = 0; sy < scale; sy++) {
        let at = ((oy + y * scale + sy) * img.width + ox + x * scale) * 3;
        for (let sx = 0; sx < scale; sx++, at += 3) {
          img.data[at] = r;
          img.data[at + 1] = g;
          img.data[at + 2] = b;
        }
      }
    }
}

function blankImage(width: number, height: number, level: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(level) };
}

/**
 * The frames of an animated grid: for each clip a cell [condition | video 1 | video 2 | ...], the
 * condition being frame 0 (of `layout.condition`, else of the first video) in every frame.
 * Cells fill lines of `clipsPerLine`.
 */
export function gridFrames(videos: Float32Array[], layout: GridLayout): RgbImage[] {
  const { scale, gap, perLine } = checkLayout(videos, layout);
  const tileW = layout.width * scale;
  const tileH = layout.height * scale;
  const cols = videos.length + 1;
  const cellW = cols * tileW + (cols - 1) * gap;
  const lines = Math.ceil(layout.n / perLine);
  const width = perLine * cellW + (perLine + 1) * 2 * gap;
  const height = lines * tileH + (lines + 1) * 2 * gap;
  const cond = layout.condition ?? videos[0]!;
  const out: RgbImage[] = [];
  for (let f = 0; f < layout.frames; f++) {
    const img = blankImage(width, height, layout.gapLevel ?? 160);
    for (let i = 0; i < layout.n; i++) {
      const ox = 2 * gap + (i % perLine) * (cellW + 2 * gap);
      const oy = 2 * gap + Math.floor(i / perLine) * (tileH + 2 * gap);
      blit(img, cond, layout, i, 0, ox, oy, scale);
      videos.forEach((v, k) => blit(img, v, layout, i, f, ox + (k + 1) * (tileW + gap), oy, scale));
    }
    out.push(img);
  }
  return out;
}

/** An animated GIF of `gridFrames` (looping). */
export function gridGif(videos: Float32Array[], layout: GridLayout): Uint8Array {
  return encodeGif(gridFrames(videos, layout), { delayMs: layout.delayMs ?? 250 });
}

/** Writes `gridGif` to a file atomically (creating folders). */
export function writeGridGif(path: string, videos: Float32Array[], layout: GridLayout): void {
  writeFileAtomic(path, gridGif(videos, layout));
}
