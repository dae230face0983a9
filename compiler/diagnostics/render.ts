// Two views of the same diagnostics: a human code frame (esbuild style) and a JSON document.
import type { Diagnostic } from "./diagnostic.js";
import { sortDiagnostics } from "./diagnostic.js";

export interface RenderOptions {
  color: boolean;
  /** File path -> source text, for code frames. */
  sources: ReadonlyMap<string, string>;
}

const ansi = {
  red: (s: string) => `\x1b[31m${s}\x1b[39m`,
  yellow: (s: string) => `\x1b[33m${s}\x1b[39m`,
  bold: (s: string) => `\x1b[1m${s}\x1b[22m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[22m`,
  cyan: (s: string) => `\x1b[36m${s}\x1b[39m`,
};

function paint(on: boolean, f: (s: string) => string, s: string): string {
  return on ? f(s) : s;
}

/** The code frame's bar, written as an escape: the bundled CLI stays ASCII, which node reads faster (scripts/bundle-cli.js). */
const BAR = "\u2502";

/**
 * Characters a code frame never prints as they are: control characters (a terminal would obey them),
 * U+FFFD from bytes that are not UTF-8, and bidirectional controls (they reorder the line on screen).
 * Each shows as one middle dot, so the caret below stays in its column.
 */
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const MASK = "\u00b7";

/** Widest source line a code frame shows; a longer line is cut to a window around the column. */
export const FRAME_WIDTH = 100;

/** The text of line `line` (1-based), found without splitting the whole text. */
function lineOf(text: string, line: number): string | undefined {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const end = text.indexOf("\n", start);
  return text.slice(start, end < 0 ? text.length : end).replace(/\r$/, "");
}

function frame(text: string, line: number, col: number, endLine: number, endCol: number, color: boolean): string[] {
  const full = lineOf(text, line);
  if (full === undefined) return [];
  const gutter = String(line).length;
  // a window of FRAME_WIDTH characters that starts a little before the column, marked "..." where cut
  const from = full.length <= FRAME_WIDTH || col - 1 < FRAME_WIDTH - 30 ? 0 : Math.max(0, Math.min(col - 1 - 20, full.length - FRAME_WIDTH));
  const to = Math.min(full.length, from + FRAME_WIDTH);
  const src = `${from > 0 ? "..." : ""}${full.slice(from, to).replace(/\t/g, " ").replace(UNPRINTABLE, MASK)}${to < full.length ? "..." : ""}`;
  const shift = from > 0 ? 3 - from : 0;
  const start = Math.max(0, col - 1 + shift);
  const width = endLine === line ? Math.max(1, endCol - col) : Math.max(1, full.length - col + 1);
  const marker = " ".repeat(start) + "^" + "~".repeat(Math.max(0, Math.min(width, src.length - start) - 1));
  return [`${" ".repeat(gutter)} ${BAR}`, `${String(line)} ${BAR} ${src}`, `${" ".repeat(gutter)} ${BAR} ${paint(color, ansi.red, marker)}`];
}

export function renderHuman(list: readonly Diagnostic[], opts: RenderOptions): string {
  const out: string[] = [];
  for (const d of sortDiagnostics(list)) {
    const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : "";
    const sev = d.severity === "error" ? paint(opts.color, ansi.red, `error[${d.code}]`) : paint(opts.color, ansi.yellow, `warning[${d.code}]`);
    out.push(`${paint(opts.color, ansi.bold, where)}${sev}: ${d.message}`);
    if (d.span) {
      const text = opts.sources.get(d.span.file);
      if (text !== undefined) out.push(...frame(text, d.span.line, d.span.col, d.span.endLine, d.span.endCol, opts.color));
    }
    if (d.hint) out.push(`  ${paint(opts.color, ansi.cyan, "hint")}: ${d.hint}`);
    for (const n of d.notes) {
      const nw = n.span ? `${n.span.file}:${n.span.line}:${n.span.col}: ` : "";
      out.push(`  ${paint(opts.color, ansi.dim, "note")}: ${nw}${n.message}`);
    }
    out.push("");
  }
  const errors = list.filter((d) => d.severity === "error").length;
  const warnings = list.length - errors;
  if (list.length > 0) out.push(`${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`);
  return out.join("\n");
}

export interface JsonDiagnostic {
  code: string;
  severity: "error" | "warning";
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  endLine: number | null;
  endColumn: number | null;
  hint: string | null;
  notes: { message: string; file: string | null; line: number | null; column: number | null }[];
}

export function toJson(d: Diagnostic): JsonDiagnostic {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.span?.file ?? null,
    line: d.span?.line ?? null,
    column: d.span?.col ?? null,
    endLine: d.span?.endLine ?? null,
    endColumn: d.span?.endCol ?? null,
    hint: d.hint ?? null,
    notes: d.notes.map((n) => ({ message: n.message, file: n.span?.file ?? null, line: n.span?.line ?? null, column: n.span?.col ?? null })),
  };
}

/** Always has a `diagnostics` array, even when empty (easier for dynamically typed consumers). */
export function renderJson(list: readonly Diagnostic[], extra: Record<string, unknown> = {}): string {
  const errors = list.filter((d) => d.severity === "error").length;
  return JSON.stringify(
    { formatVersion: 1, valid: errors === 0, errorCount: errors, warningCount: list.length - errors, ...extra, diagnostics: sortDiagnostics(list).map(toJson) },
    null,
    2,
  );
}
