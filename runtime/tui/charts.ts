// Text charts for the terminal: braille line charts with a dotted reference line, block histograms and
// progress bars. Pure string functions (no terminal), so tests can compare them exactly.

const BRAILLE = 0x2800;
// dot bits of a braille cell, by [column][row from the top]
const DOTS = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

export interface LineChart {
  rows: string[];
  min: number;
  max: number;
}

/**
 * A line chart `width` cells wide and `height` rows high of the last 2*width values: each cell holds two
 * samples, each row four levels. `reference` (an equilibrium value) is drawn as a dotted line when it is
 * inside the range, which always includes it.
 */
export function lineChart(values: readonly number[], width: number, height: number, reference?: number): LineChart {
  const data = values.filter(Number.isFinite).slice(-2 * width);
  const cells = Array.from({ length: height }, () => new Array<number>(width).fill(0));
  if (data.length === 0) return { rows: cells.map((r) => String.fromCharCode(...r.map((c) => BRAILLE + c))), min: 0, max: 0 };
  let min = Math.min(...data, reference ?? Infinity);
  let max = Math.max(...data, reference ?? -Infinity);
  if (max - min < 1e-12) {
    min -= 0.5;
    max += 0.5;
  }
  const levels = height * 4;
  const level = (v: number) => Math.min(levels - 1, Math.max(0, Math.round(((v - min) / (max - min)) * (levels - 1))));
  const set = (x: number, lv: number) => {
    const rowFromTop = levels - 1 - lv;
    const cell = Math.floor(x / 2);
    if (cell >= width) return;
    cells[Math.floor(rowFromTop / 4)]![cell]! |= DOTS[x % 2]![rowFromTop % 4]!;
  };
  if (reference !== undefined) for (let x = 0; x < 2 * width; x += 2) set(x, level(reference));
  const offset = 2 * width - data.length; // right-aligned: the newest value is at the right edge
  let prev: number | null = null;
  data.forEach((v, i) => {
    const lv = level(v);
    // join consecutive samples vertically so that steep moves stay visible
    const from = prev ?? lv;
    for (let l = Math.min(from, lv); l <= Math.max(from, lv); l++) set(offset + i, l);
    prev = lv;
  });
  return { rows: cells.map((r) => String.fromCharCode(...r.map((c) => BRAILLE + c))), min, max };
}

const BLOCKS = " ▁▂▃▄▅▆▇█";

/** Counts of `values` in `bins` equal bins over [lo, hi], drawn as block characters. */
export function histogram(values: readonly number[], lo: number, hi: number, bins: number): { bars: string; counts: number[] } {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo || 1)) * bins)));
    counts[b]!++;
  }
  const top = Math.max(1, ...counts);
  return { bars: counts.map((c) => BLOCKS[Math.round((c / top) * 8)]!).join(""), counts };
}

/** A progress bar `width` characters wide. */
export function progressBar(done: number, total: number, width: number): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const full = Math.floor(f * width);
  return "█".repeat(full) + (full < width ? (f * width - full >= 0.5 ? "▌" : "░") + "░".repeat(width - full - 1) : "");
}

/** 0:42, 12:05, 1:02:09 */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}

/** A number in at most `width` characters. */
export function num(x: number | undefined, digits = 3): string {
  if (x === undefined) return "—";
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(1);
  return x.toFixed(a >= 100 ? Math.min(1, digits) : digits);
}
