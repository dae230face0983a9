// Pictures of clips: animated GIF (a small GIF89a encoder with LZW) and PNG (zlib from node:zlib).
// Videos are Float32Arrays [n, frames, height, width, channels] in [-1, 1], as worlds and models
// produce them; `gridGif` lays clips out next to their condition frame, scaled up for tiny worlds.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { deflateSync } from "node:zlib";

/** An RGB image, 3 bytes per pixel, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Colour quantisation

/** A palette of at most 256 colours and the palette index of every pixel of every frame. */
export interface Indexed {
  palette: Uint8Array; // 3 bytes per entry
  size: number;
  indices: Uint8Array[]; // one per frame
}

/**
 * Maps frames to one shared palette. When the frames hold at most 256 distinct colours, the palette
 * is exactly those colours (lossless); otherwise median cut over the distinct colours (weighted by
 * their pixel counts) makes 256 boxes, each represented by its weighted mean, and every pixel takes
 * the nearest entry (looked up per 5-5-5-bit colour cell).
 */
export function quantise(frames: RgbImage[]): Indexed {
  const counts = new Map<number, number>();
  for (const fr of frames)
    for (let p = 0; p < fr.data.length; p += 3) {
      const key = (fr.data[p]! << 16) | (fr.data[p + 1]! << 8) | fr.data[p + 2]!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  if (counts.size <= 256) {
    const palette = new Uint8Array(256 * 3);
    const index = new Map<number, number>();
    let k = 0;
    for (const key of [...counts.keys()].sort((a, b) => a - b)) {
      palette[3 * k] = key >>> 16;
      palette[3 * k + 1] = (key >>> 8) & 255;
      palette[3 * k + 2] = key & 255;
      index.set(key, k++);
    }
    const indices = frames.map((fr) => {
      const out = new Uint8Array(fr.width * fr.height);
      for (let p = 0, q = 0; q < out.length; p += 3, q++) out[q] = index.get((fr.data[p]! << 16) | (fr.data[p + 1]! << 8) | fr.data[p + 2]!)!;
      return out;
    });
    return { palette, size: Math.max(1, k), indices };
  }
  const palette = medianCut(counts, 256);
  const size = palette.length / 3;
  const cell = new Int16Array(1 << 15).fill(-1);
  const nearest = (r: number, g: number, b: number): number => {
    const key = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
    let k = cell[key]!;
    if (k >= 0) return k;
    const cr = (r & ~7) + 4;
    const cg = (g & ~7) + 4;
    const cb = (b & ~7) + 4;
    let best = Infinity;
    for (let j = 0; j < size; j++) {
      const d = (palette[3 * j]! - cr) ** 2 + (palette[3 * j + 1]! - cg) ** 2 + (palette[3 * j + 2]! - cb) ** 2;
      if (d < best) {
        best = d;
        k = j;
      }
    }
    cell[key] = k;
    return k;
  };
  const indices = frames.map((fr) => {
    const out = new Uint8Array(fr.width * fr.height);
    for (let p = 0, q = 0; q < out.length; p += 3, q++) out[q] = nearest(fr.data[p]!, fr.data[p + 1]!, fr.data[p + 2]!);
    return out;
  });
  const padded = new Uint8Array(256 * 3);
  padded.set(palette);
  return { palette: padded, size, indices };
}

function medianCut(counts: Map<number, number>, target: number): Uint8Array {
  const n = counts.size;
  const rgb = new Uint8Array(n * 3);
  const weight = new Float64Array(n);
  let i = 0;
  for (const [key, c] of counts) {
    rgb[3 * i] = key >>> 16;
    rgb[3 * i + 1] = (key >>> 8) & 255;
    rgb[3 * i + 2] = key & 255;
    weight[i++] = c;
  }
  interface Box {
    items: number[];
    axis: number;
    range: number;
  }
  const measure = (items: number[]): Box => {
    const lo = [255, 255, 255];
    const hi = [0, 0, 0];
    for (const it of items)
      for (let c = 0; c < 3; c++) {
        const v = rgb[3 * it + c]!;
        if (v < lo[c]!) lo[c] = v;
        if (v > hi[c]!) hi[c] = v;
      }
    let axis = 0;
    for (let c = 1; c < 3; c++) if (hi[c]! - lo[c]! > hi[axis]! - lo[axis]!) axis = c;
    return { items, axis, range: hi[axis]! - lo[axis]! };
  };
  const boxes: Box[] = [measure([...Array(n).keys()])];
  while (boxes.length < target) {
    let pick = -1;
    for (let b = 0; b < boxes.length; b++) if (boxes[b]!.items.length > 1 && boxes[b]!.range > 0 && (pick < 0 || boxes[b]!.range > boxes[pick]!.range)) pick = b;
    if (pick < 0) break;
    const box = boxes[pick]!;
    const ax = box.axis;
    box.items.sort((a, b) => rgb[3 * a + ax]! - rgb[3 * b + ax]!);
    let total = 0;
    for (const it of box.items) total += weight[it]!;
    let acc = 0;
    let cut = 1;
    for (let j = 0; j < box.items.length - 1; j++) {
      acc += weight[box.items[j]!]!;
      cut = j + 1;
      if (acc >= total / 2) break;
    }
    boxes.splice(pick, 1, measure(box.items.slice(0, cut)), measure(box.items.slice(cut)));
  }
  const out = new Uint8Array(boxes.length * 3);
  boxes.forEach((box, b) => {
    let w = 0;
    const s = [0, 0, 0];
    for (const it of box.items) {
      w += weight[it]!;
      for (let c = 0; c < 3; c++) s[c]! += rgb[3 * it + c]! * weight[it]!;
    }
    for (let c = 0; c < 3; c++) out[3 * b + c] = Math.round(s[c]! / w);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// GIF89a

/** GIF LZW compression of palette indices (codes of 9 to 12 bits, LSB first, clear code at 4096). */
export function lzwEncode(indices: Uint8Array, minCodeSize: number): Uint8Array {
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  const emit = (code: number, size: number) => {
    acc |= code << bits;
    bits += size;
    while (bits >= 8) {
      out.push(acc & 255);
      acc >>>= 8;
      bits -= 8;
    }
  };
  let codeSize = minCodeSize + 1;
  let next = eoi + 1;
  const dict = new Map<number, number>();
  emit(clear, codeSize);
  if (indices.length > 0) {
    let prefix = indices[0]!;
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i]!;
      const key = (prefix << 8) | k;
      const code = dict.get(key);
      if (code !== undefined) {
        prefix = code;
        continue;
      }
      emit(prefix, codeSize);
      if (next === 4096) {
        emit(clear, codeSize);
        dict.clear();
        codeSize = minCodeSize + 1;
        next = eoi + 1;
      } else {
        if (next >= 1 << codeSize) codeSize++;
        dict.set(key, next++);
      }
      prefix = k;
    }
    emit(prefix, codeSize);
  }
  emit(eoi, codeSize);
  if (bits > 0) out.push(acc & 255);
  return Uint8Array.from(out);
}

class ByteWriter {
  private chunks: Uint8Array[] = [];
  private cur: number[] = [];
  byte(...b: number[]): void {
    for (const x of b) this.cur.push(x & 255);
  }
  u16(v: number): void {
    this.byte(v & 255, (v >>> 8) & 255);
  }
  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }
  bytes(b: Uint8Array): void {
    this.flush();
    this.chunks.push(b);
  }
  private flush(): void {
    if (this.cur.length) this.chunks.push(Uint8Array.from(this.cur));
    this.cur = [];
  }
  result(): Uint8Array {
    this.flush();
    const total = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export interface GifOptions {
  /** Time each frame is shown, in milliseconds (stored in hundredths of a second, at least 1). */
  delayMs?: number;
  /** Times to play; 0 (default) loops forever. */
  loops?: number;
}

/** An animated GIF of equally sized RGB frames, with one global 256-entry palette. */
export function encodeGif(frames: RgbImage[], options: GifOptions = {}): Uint8Array {
  if (frames.length === 0) throw new Error("encodeGif: no frames");
  const { width, height } = frames[0]!;
  if (width < 1 || height < 1 || width > 65535 || height > 65535) throw new Error(`encodeGif: bad size ${width}x${height}`);
  for (const f of frames) if (f.width !== width || f.height !== height) throw new Error("encodeGif: frames differ in size");
  const q = quantise(frames);
  const delay = Math.max(1, Math.round((options.delayMs ?? 250) / 10));
  const w = new ByteWriter();
  w.ascii("GIF89a");
  w.u16(width);
  w.u16(height);
  w.byte(0xf7, 0, 0); // global table of 2^(7+1) entries, 8-bit colour resolution; background 0; square pixels
  w.bytes(q.palette);
  w.byte(0x21, 0xff, 0x0b);
  w.ascii("NETSCAPE2.0");
  w.byte(0x03, 0x01);
  w.u16(options.loops ?? 0);
  w.byte(0x00);
  for (const idx of q.indices) {
    w.byte(0x21, 0xf9, 0x04, 0x04); // graphic control: disposal "leave in place", no transparency
    w.u16(delay);
    w.byte(0x00, 0x00);
    w.byte(0x2c);
    w.u16(0);
    w.u16(0);
    w.u16(width);
    w.u16(height);
    w.byte(0x00); // no local table, not interlaced
    w.byte(8); // LZW minimum code size
    const data = lzwEncode(idx, 8);
    for (let at = 0; at < data.length; at += 255) {
      const block = data.subarray(at, Math.min(at + 255, data.length));
      w.byte(block.length);
      w.bytes(block);
    }
    w.byte(0x00);
  }
  w.byte(0x3b);
  return w.result();
}

// ---------------------------------------------------------------------------------------------
// PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG uses it). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** An 8-bit RGB PNG (filter 0 on every row). */
export function encodePng(image: RgbImage): Uint8Array {
  const { width, height, data } = image;
  if (data.length !== width * height * 3) throw new Error("encodePng: data does not match the size");
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, filter method 0, no interlace
  const parts = [Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk("IHDR", ihdr), pngChunk("IDAT", deflateSync(raw)), pngChunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Laying out clips

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

/**
 * A still of the same clips: one line per clip and, for each video, its frames left to right
 * (frame 0 is the condition), videos separated by a double gap.
 */
export function gridStill(videos: Float32Array[], layout: GridLayout): RgbImage {
  const { scale, gap } = checkLayout(videos, layout);
  const tileW = layout.width * scale;
  const tileH = layout.height * scale;
  const blockW = layout.frames * tileW + (layout.frames - 1) * gap;
  const width = videos.length * blockW + (videos.length + 1) * 2 * gap;
  const height = layout.n * tileH + (layout.n + 1) * gap;
  const img = blankImage(width, height, layout.gapLevel ?? 160);
  for (let i = 0; i < layout.n; i++) {
    const oy = gap + i * (tileH + gap);
    videos.forEach((v, k) => {
      const ox = 2 * gap + k * (blockW + 2 * gap);
      for (let f = 0; f < layout.frames; f++) blit(img, v, layout, i, f, ox + f * (tileW + gap), oy, scale);
    });
  }
  return img;
}

export function gridPng(videos: Float32Array[], layout: GridLayout): Uint8Array {
  return encodePng(gridStill(videos, layout));
}

function writeBytes(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** Writes `gridGif` to a file (creating folders). */
export function writeGridGif(path: string, videos: Float32Array[], layout: GridLayout): void {
  writeBytes(path, gridGif(videos, layout));
}

/** Writes `gridPng` to a file (creating folders). */
export function writeGridPng(path: string, videos: Float32Array[], layout: GridLayout): void {
  writeBytes(path, gridPng(videos, layout));
}
