// Plots of a report, drawn without a browser: Vega-Lite specs compiled to Vega, rendered to SVG by a
// headless Vega view, and to PNG by resvg. Two kinds:
//   metrics-vs-<axis>   each final metric against each swept value (seed mean, error bars ± one seed
//                       standard deviation), one panel per metric
//   curves              every member's training curves overlaid: each loss term, the D logit gap, and
//                       the in-run evaluation's mean score at the report's NFE, over steps
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readMetrics } from "../engine/io/metrics.js";
import { logitGap } from "../sweep/events.js";
import { METRIC_LABELS, type Metric } from "./collect.js";
import type { ReportTable } from "./table.js";

/** Points per member and curve at most (metrics are thinned by taking every k-th step). */
const MAX_POINTS = 300;
const PLOT_METRICS: Metric[] = ["semantic_alignment", "temporal_coherence", "frame_quality", "mean", "direction_accuracy", "d_gap"];

type Spec = Record<string, unknown>;

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** One panel per metric: mean over seeds against the axis's values, with ± std error bars. */
export function metricSpec(t: ReportTable, axis: string, title: string): Spec | null {
  const rows: Record<string, unknown>[] = [];
  for (const g of t.groups) {
    const v = g.values[axis];
    if (v === undefined) continue;
    const others = t.axes.filter((a) => a !== axis && g.values[a] !== undefined).map((a) => `${a}=${g.values[a]}`).join(",") || "-";
    for (const m of PLOT_METRICS) {
      const s = g.stats[m];
      if (!s) continue;
      const sd = s.n > 1 ? s.std : 0;
      rows.push({ value: v, numeric: Number(v), metric: METRIC_LABELS[m], mean: s.mean, lo: s.mean - sd, hi: s.mean + sd, n: s.n, others });
    }
  }
  if (rows.length === 0) return null;
  const numeric = rows.every((r) => Number.isFinite(r["numeric"]));
  const positive = numeric && rows.every((r) => (r["numeric"] as number) > 0);
  const xs = rows.map((r) => r["numeric"] as number);
  const log = positive && Math.max(...xs) / Math.min(...xs) >= 10;
  const x = numeric ? { field: "numeric", type: "quantitative", title: axis, scale: log ? { type: "log" } : { zero: false } } : { field: "value", type: "nominal", title: axis, sort: null };
  // colour tells the other swept values apart, where a product of axes has any
  const color = rows.some((r) => r["others"] !== "-") ? { color: { field: "others", type: "nominal", title: "other values" } } : {};
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: rows },
    facet: { field: "metric", type: "nominal", title: null, sort: PLOT_METRICS.map((m) => METRIC_LABELS[m]) },
    columns: 3,
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 220,
      height: 150,
      layer: [
        { mark: { type: numeric ? "line" : "point", point: numeric, filled: true, size: numeric ? undefined : 60 }, encoding: { x, y: { field: "mean", type: "quantitative", title: null, scale: { zero: false } }, ...color } },
        // error bars only where there are seeds to spread
        { transform: [{ filter: "datum.hi > datum.lo" }], mark: { type: "errorbar", ticks: true }, encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, ...color } },
      ],
    },
    config: { font: "DejaVu Sans", background: "white" },
  };
}

const LEVEL_WORDS: Record<string, string> = { low: "t < 1/3", mid: "1/3 <= t < 2/3", high: "t >= 2/3" };

/** The curve a per-level or priming diagnostic of the engine (diagnostics.ts) goes in, or null. */
function diagnosticName(key: string): string | null {
  let m = /^d\/[^/]+\/gap_t_(low|mid|high)$/.exec(key);
  if (m) return `D gap at ${LEVEL_WORDS[m[1]!]}`;
  m = /^([^/]+)\/t_(low|mid|high)$/.exec(key);
  if (m) return `${m[1]} at ${LEVEL_WORDS[m[2]!]!.replace("t", "t'")}`;
  m = /^([^/]+)\/fake_vs_teacher$/.exec(key);
  if (m) return `${m[1]}: |fake - teacher| x0`;
  m = /^([^/]+)\/fake_shift$/.exec(key);
  if (m) return `${m[1]}: |fake - unguided teacher| x0`;
  return null;
}

/** Every member's losses, D gap (also by noise level), C-SDS by level, priming's fake-score distance and in-run mean score over steps. */
export function curvesSpec(t: ReportTable, nfe: number, title: string): Spec | null {
  const rows: Record<string, unknown>[] = [];
  for (const g of t.groups) {
    for (const r of g.members) {
      if (!r.run) continue;
      const member = `${r.index} ${r.name}`;
      let records;
      try {
        records = readMetrics(join(r.run.dir, "metrics.jsonl"));
      } catch {
        continue;
      }
      const every = Math.max(1, Math.ceil(records.length / MAX_POINTS));
      records.forEach((rec, i) => {
        if (i % every !== 0 && i !== records.length - 1) return;
        for (const [k, v] of Object.entries(rec.losses)) if (Number.isFinite(v)) rows.push({ member, step: rec.step, quantity: `loss ${k}`, value: v });
        const gap = logitGap(rec.stats);
        if (gap !== null) rows.push({ member, step: rec.step, quantity: "D logit gap (real - fake)", value: gap });
        for (const [k, v] of Object.entries(rec.stats)) {
          const q = diagnosticName(k);
          if (q && Number.isFinite(v)) rows.push({ member, step: rec.step, quantity: q, value: v });
        }
      });
      for (const [step, value] of r.curve) rows.push({ member, step, quantity: `${nfe}-NFE mean score`, value });
    }
  }
  if (rows.length === 0) return null;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: rows },
    facet: { field: "quantity", type: "nominal", title: null },
    columns: 2,
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 300,
      height: 160,
      // a trailing mean over 10 logged points: per-step values (a few clips each) are noisy
      transform: [{ window: [{ op: "mean", field: "value", as: "smoothed" }], frame: [-9, 0], groupby: ["member", "quantity"], sort: [{ field: "step" }] }],
      mark: { type: "line", strokeWidth: 1.2 },
      encoding: { x: { field: "step", type: "quantitative" }, y: { field: "smoothed", type: "quantitative", title: null, scale: { zero: false } }, color: { field: "member", type: "nominal" } },
    },
    config: { font: "DejaVu Sans", background: "white" },
  };
}

/** Renders a Vega-Lite spec to SVG text and PNG bytes. */
export async function render(spec: Spec): Promise<{ svg: string; png: Uint8Array }> {
  const vega = await import("vega");
  const { compile } = await import("vega-lite");
  const { Resvg } = await import("@resvg/resvg-js");
  const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: "white", font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
  return { svg, png };
}

/** Writes every plot of the table into `dir`; returns the files written. */
export async function writePlots(t: ReportTable, dir: string, opts: { nfe: number; title: string }): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  const specs: [string, Spec | null][] = [...t.axes.map((a) => [`metrics-vs-${safeName(a)}`, metricSpec(t, a, `${opts.title}: final metrics (${opts.nfe} NFE) by ${a}`)] as [string, Spec | null]), ["curves", curvesSpec(t, opts.nfe, `${opts.title}: training curves`)]];
  for (const [name, spec] of specs) {
    if (!spec) continue;
    const { svg, png } = await render(spec);
    writeFileSync(join(dir, `${name}.svg`), svg);
    writeFileSync(join(dir, `${name}.png`), png);
    out.push(join(dir, `${name}.svg`), join(dir, `${name}.png`));
  }
  return out;
}
