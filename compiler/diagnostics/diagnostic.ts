import type { Span } from "../syntax/ast.js";
import { D, formatTemplate, type CatalogEntry } from "./catalog.js";

/** Longest hint shown whole (hints quote names, which can be arbitrarily long). */
const MAX_HINT_LENGTH = 400;

export interface Note {
  message: string;
  span?: Span;
}

/** A diagnostic is a value: produced by a phase, rendered by a view, never thrown. */
export interface Diagnostic {
  code: string;
  severity: "error" | "warning";
  message: string;
  span?: Span;
  hint?: string;
  notes: Note[];
}

export function diag(entry: CatalogEntry, args: readonly string[], span?: Span, extra?: { hint?: string; notes?: Note[] }): Diagnostic {
  const d: Diagnostic = {
    code: entry.code,
    severity: entry.severity ?? "error",
    message: formatTemplate(entry.template, args),
    notes: extra?.notes ?? [],
  };
  if (span) d.span = span;
  if (extra?.hint) d.hint = extra.hint.length > MAX_HINT_LENGTH ? `${extra.hint.slice(0, MAX_HINT_LENGTH)}...` : extra.hint;
  return d;
}

/**
 * Collects diagnostics for one compilation. Drops a repeat at the exact position of an earlier one
 * with the same code (one root cause, one message).
 */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  private seen = new Set<string>();

  add(d: Diagnostic): void {
    const key = `${d.code}@${d.span?.file ?? ""}:${d.span?.start ?? -1}:${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(d);
  }

  report(entry: CatalogEntry, args: readonly string[], span?: Span, extra?: { hint?: string; notes?: Note[] }): void {
    this.add(diag(entry, args, span, extra));
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === "error").length;
  }

  hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }
}

/** Sort for display: by file, then position; diagnostics without a place last. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => {
    const fa = a.span?.file ?? "\uffff";
    const fb = b.span?.file ?? "\uffff";
    if (fa !== fb) return fa < fb ? -1 : 1;
    return (a.span?.start ?? 0) - (b.span?.start ?? 0);
  });
}

export { D };
