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

function frame(text: string, line: number, col: number, endLine: number, endCol: number, color: boolean): string[] {
  const lines = text.split(/\r?\n/);
  const src = lines[line - 1];
  if (src === undefined) return [];
  const gutter = String(line).length;
  const width = endLine === line ? Math.max(1, endCol - col) : Math.max(1, src.length - col + 1);
  const marker = " ".repeat(Math.max(0, col - 1)) + "^" + "~".repeat(Math.max(0, width - 1));
  return [
    `${" ".repeat(gutter)} ${BAR}`,
    `${String(line)} ${BAR} ${src.replace(/\t/g, " ")}`,
    `${" ".repeat(gutter)} ${BAR} ${paint(color, ansi.red, marker)}`,
  ];
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
