// Members x final metrics: seeds are a replicate axis (each group is a member's setting, aggregated
// over its seeds as mean ± std with n), only the swept values that vary are shown, and an optional
// reference group (`--baseline`) gets every other group's difference and whether it exceeds twice its
// standard error. Rendered for the terminal, Markdown, CSV and JSON.
import { METRICS, METRIC_LABELS, type Metric, type MemberResult } from "./collect.js";
import { compare, formatStat, stat, type Comparison, type Stat } from "./stats.js";

export const REPLICATE_AXIS = "seed";

export interface Group {
  /** `variant=conv_head` (the non-seed values); "base" when there are none. */
  key: string;
  values: Record<string, string>;
  members: MemberResult[];
  /** Members with measured results (the others have not run, or not finished their evaluation). */
  n: number;
  seeds: number[];
  stats: Partial<Record<Metric, Stat>>;
  /** Against the baseline group (absent for the baseline itself, or without one). */
  comparison?: Partial<Record<Metric, Comparison>>;
}

export interface ReportTable {
  axes: string[];
  /** Swept values that every member shares (an axis with one value): no column, but the heading names them. */
  fixed: Record<string, string>;
  groups: Group[];
  baseline: Group | null;
  /** Metrics that at least one member has. */
  metrics: Metric[];
}

export class ReportError extends Error {}

function label(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function buildTable(results: readonly MemberResult[], opts: { baseline?: string; sort?: string } = {}): ReportTable {
  const axisValues = new Map<string, Set<string>>();
  for (const r of results) for (const c of r.changes) if (c.path !== REPLICATE_AXIS) axisValues.set(c.path, (axisValues.get(c.path) ?? new Set()).add(label(c.value)));
  // an axis that takes one value in every member tells nothing; an axis some members lack still varies
  const axes = [...axisValues.entries()].filter(([a, vs]) => vs.size > 1 || results.some((r) => !r.changes.some((c) => c.path === a))).map(([a]) => a);
  const fixed = Object.fromEntries([...axisValues.entries()].filter(([a]) => !axes.includes(a)).map(([a, vs]) => [a, [...vs][0]!]));
  const groups = new Map<string, Group>();
  for (const r of results) {
    const values: Record<string, string> = {};
    for (const c of r.changes) if (c.path !== REPLICATE_AXIS && axes.includes(c.path)) values[c.path] = label(c.value);
    const key = Object.entries(values).map(([k, v]) => `${k}=${v}`).join(",") || "base";
    const g = groups.get(key) ?? { key, values, members: [], n: 0, seeds: [], stats: {} };
    groups.set(key, g);
    g.members.push(r);
    if (Object.keys(r.values).length === 0) continue;
    g.n++;
    const seed = r.changes.find((c) => c.path === REPLICATE_AXIS)?.value;
    if (typeof seed === "number") g.seeds.push(seed);
  }
  const metrics = METRICS.filter((m) => results.some((r) => r.values[m] !== undefined));
  for (const g of groups.values()) {
    for (const m of metrics) {
      const xs = g.members.map((r) => r.values[m]).filter((x): x is number => typeof x === "number");
      if (xs.length) g.stats[m] = stat(xs);
    }
  }
  const list = [...groups.values()];
  let baseline: Group | null = null;
  if (opts.baseline !== undefined) {
    const b = opts.baseline;
    baseline = list.find((g) => g.key === b) ?? list.find((g) => g.members.some((r) => r.name === b || String(r.index) === b)) ?? list.find((g) => Object.values(g.values).includes(b)) ?? null;
    if (!baseline) throw new ReportError(`--baseline ${b}: no member or group of that name (groups: ${list.map((g) => g.key).join(", ")})`);
    for (const g of list) {
      if (g === baseline) continue;
      g.comparison = {};
      for (const m of metrics) if (g.stats[m] && baseline.stats[m]) g.comparison[m] = compare(g.stats[m]!, baseline.stats[m]!);
    }
  }
  if (opts.sort) {
    const desc = opts.sort.startsWith("-");
    const col = desc ? opts.sort.slice(1) : opts.sort;
    const isMetric = (METRICS as readonly string[]).includes(col);
    if (!isMetric && !axes.includes(col)) throw new ReportError(`--sort ${opts.sort}: sort by a metric (${METRICS.join(", ")}) or a swept value (${axes.join(", ") || "none"}); prefix - for descending`);
    const keyOf = (g: Group): number | string => (isMetric ? (g.stats[col as Metric]?.mean ?? -Infinity) : (g.values[col] ?? ""));
    list.sort((a, b) => {
      const x = keyOf(a);
      const y = keyOf(b);
      const c = typeof x === "number" && typeof y === "number" ? x - y : Number.isFinite(Number(x)) && Number.isFinite(Number(y)) ? Number(x) - Number(y) : String(x).localeCompare(String(y));
      return desc ? -c : c;
    });
  }
  return { axes, fixed, groups: list, baseline, metrics };
}

const DIGITS: Partial<Record<Metric, number>> = { d_gap: 2, latency_ms: 2 };

function reading(c: Comparison | undefined): string {
  if (!c) return "";
  return c.verdict === "within noise" ? "within seed noise" : c.verdict === "no error bar" ? "one seed each: no error bar" : `${c.verdict} (beyond 2 SE)`;
}

/** The table as rows of cells: header first. */
export function tableCells(t: ReportTable, compareOn: Metric = "mean"): string[][] {
  const head = [...t.axes, "n", ...t.metrics.map((m) => METRIC_LABELS[m])];
  if (t.baseline) head.push(`Δ ${METRIC_LABELS[compareOn]}`, "reading");
  head.push("status");
  const rows = [head];
  for (const g of t.groups) {
    const row = [...t.axes.map((a) => g.values[a] ?? "-"), String(g.n), ...t.metrics.map((m) => (g.stats[m] ? formatStat(g.stats[m]!, DIGITS[m] ?? 1) : "-"))];
    if (t.baseline) {
      const c = g.comparison?.[compareOn];
      row.push(g === t.baseline ? "reference" : c ? (c.diff >= 0 ? "+" : "") + c.diff.toFixed(1) : "-", g === t.baseline ? "" : reading(c));
    }
    const statuses = [...new Set(g.members.map((m) => m.status))];
    row.push(statuses.join(", "));
    rows.push(row);
  }
  return rows;
}

export function renderTerminal(t: ReportTable, compareOn?: Metric): string {
  const rows = tableCells(t, compareOn);
  // numbers right-aligned, words (swept values, the reading, the status) left-aligned, headers with their column
  const words = new Set([...t.axes.map((_, i) => i), ...(t.baseline ? [rows[0]!.length - 2] : []), rows[0]!.length - 1]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (words.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

export function renderMarkdown(t: ReportTable, compareOn?: Metric): string {
  const rows = tableCells(t, compareOn);
  const esc = (c: string) => c.replace(/\|/g, "\\|");
  return [`| ${rows[0]!.map(esc).join(" | ")} |`, `|${rows[0]!.map(() => "---").join("|")}|`, ...rows.slice(1).map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n") + "\n";
}

export function renderCsv(t: ReportTable): string {
  const q = (c: string) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  const head = [...t.axes, "n", "seeds", ...t.metrics.flatMap((m) => [`${m}_mean`, `${m}_std`]), ...(t.baseline ? ["diff_mean", "se_mean", "verdict"] : []), "status"];
  const lines = [head.map(q).join(",")];
  for (const g of t.groups) {
    const c = g.comparison?.mean;
    const cells = [
      ...t.axes.map((a) => g.values[a] ?? ""),
      String(g.n),
      g.seeds.join(" "),
      ...t.metrics.flatMap((m) => [g.stats[m] ? String(g.stats[m]!.mean) : "", g.stats[m] && g.stats[m]!.n > 1 ? String(g.stats[m]!.std) : ""]),
      ...(t.baseline ? (g === t.baseline ? ["0", "", "reference"] : [c ? String(c.diff) : "", c && Number.isFinite(c.se) ? String(c.se) : "", c?.verdict ?? ""]) : []),
      [...new Set(g.members.map((m) => m.status))].join(" "),
    ];
    lines.push(cells.map(q).join(","));
  }
  return lines.join("\n") + "\n";
}

export function tableJson(t: ReportTable): unknown {
  const s = (x: Stat | undefined) => (x ? { mean: x.mean, std: x.n > 1 ? x.std : null, n: x.n } : null);
  return {
    axes: t.axes,
    fixed: t.fixed,
    metrics: t.metrics,
    baseline: t.baseline?.key ?? null,
    groups: t.groups.map((g) => ({
      key: g.key,
      values: g.values,
      seeds: g.seeds,
      n: g.n,
      metrics: Object.fromEntries(t.metrics.map((m) => [m, s(g.stats[m])])),
      comparison: g.comparison ? Object.fromEntries(Object.entries(g.comparison).map(([m, c]) => [m, { diff: c.diff, se: Number.isFinite(c.se) ? c.se : null, verdict: c.verdict }])) : null,
      members: g.members.map((r) => ({ index: r.index, name: r.name, hash: r.hash, run: r.run?.dir ?? null, status: r.status, source: r.source, trainSeconds: r.trainSeconds, values: r.values, curve: r.curve })),
    })),
  };
}
