// metrics.jsonl: one JSON object per line, one line per training step. Lines are appended with one
// appendFileSync call each, so a killed process loses at most the line being written; the reader
// drops such a truncated last line. NaN and infinities (a diverging loss is worth seeing) are written
// as the strings "NaN", "Infinity" and "-Infinity" and read back as numbers. A run summary may keep
// the log gzip-compressed beside where it would be (metrics.jsonl.gz, as scripts/results.js stores
// them); the readers below take it when the plain file is absent.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { writeFileAtomic } from "./atomic.js";
import { IoError, guard } from "./errors.js";

export interface MetricsRecord {
  /** Global step (cycles completed over every phase). */
  step: number;
  phase: string;
  /** Step within the phase. */
  phaseStep: number;
  /** Wall-clock time of the step (ms since the epoch). */
  time: number;
  losses: Record<string, number>;
  stats: Record<string, number>;
  /** Per-clip values (discriminator logits on real and generated clips), when the step has them. */
  histograms?: Record<string, number[]>;
}

function encodeNumber(_key: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
}

export function formatMetricsLine(record: MetricsRecord): string {
  return JSON.stringify(record, encodeNumber) + "\n";
}

/** Appends one record (one write call: either the whole line lands or, if killed, a prefix of it). */
export function appendMetrics(file: string, record: MetricsRecord): void {
  const line = formatMetricsLine(record);
  guard(file, "cannot append metrics", () => appendFileSync(file, line));
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

function numbers(value: unknown, where: string, file: string): Record<string, number> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new IoError(file, `${where} is not an object`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    const n = typeof v === "string" ? NON_FINITE[v] : v;
    if (typeof n !== "number") throw new IoError(file, `${where}.${k} is not a number`);
    out[k] = n;
  }
  return out;
}

function parseRecord(line: string, file: string, lineNo: number): MetricsRecord {
  const at = `line ${lineNo}`;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    throw new IoError(file, `${at} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new IoError(file, `${at} is not a JSON object`);
  const r = v as Record<string, unknown>;
  if (!Number.isSafeInteger(r.step) || typeof r.phase !== "string" || !Number.isSafeInteger(r.phaseStep) || typeof r.time !== "number")
    throw new IoError(file, `${at} lacks step, phase, phaseStep or time`);
  return {
    step: r.step as number,
    phase: r.phase,
    phaseStep: r.phaseStep as number,
    time: r.time,
    losses: numbers(r.losses, `${at}: losses`, file),
    stats: numbers(r.stats, `${at}: stats`, file),
    ...(r.histograms !== undefined ? { histograms: lists(r.histograms, `${at}: histograms`, file) } : {}),
  };
}

function lists(value: unknown, where: string, file: string): Record<string, number[]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new IoError(file, `${where} is not an object`);
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!Array.isArray(v)) throw new IoError(file, `${where}.${k} is not a list`);
    out[k] = v.map((x, i) => {
      const n = typeof x === "string" ? NON_FINITE[x] : x;
      if (typeof n !== "number") throw new IoError(file, `${where}.${k}[${i}] is not a number`);
      return n;
    });
  }
  return out;
}

interface Lines {
  /** Complete lines (without their newline), with their records. */
  complete: { text: string; record: MetricsRecord }[];
  /** A last line without its newline that does not parse (a write cut short), if any. */
  truncated: string | null;
}

/** The log's text: the plain file, else its gzip-compressed copy (null when neither exists). */
function readLog(file: string): string | null {
  if (existsSync(file)) return guard(file, "cannot read metrics", () => readFileSync(file, "utf8"));
  const gz = `${file}.gz`;
  if (existsSync(gz)) return guard(gz, "cannot read compressed metrics", () => gunzipSync(readFileSync(gz)).toString("utf8"));
  return null;
}

function scan(file: string): Lines {
  const text = readLog(file);
  if (text === null) return { complete: [], truncated: null };
  const parts = text.split("\n");
  const last = parts.pop()!; // "" when the file ends with a newline
  const complete: Lines["complete"] = [];
  parts.forEach((line, i) => {
    if (line.trim() === "") return;
    complete.push({ text: line, record: parseRecord(line, file, i + 1) });
  });
  let truncated: string | null = null;
  if (last.trim() !== "") {
    // Unterminated: a whole record whose newline was cut off is kept; anything else was cut mid-line.
    try {
      complete.push({ text: last, record: parseRecord(last, file, parts.length + 1) });
    } catch {
      truncated = last;
    }
  }
  return { complete, truncated };
}

/**
 * Every record of the file, in order (none when it does not exist). A truncated last line (a write cut
 * short by a kill) is dropped, with a call of `warn`; a bad line elsewhere is an IoError.
 */
export function readMetrics(file: string, options: { warn?: (message: string) => void } = {}): MetricsRecord[] {
  const { complete, truncated } = scan(file);
  if (truncated !== null) options.warn?.(`${file}: ignoring a truncated last line (${truncated.length} bytes)`);
  return complete.map((c) => c.record);
}

/**
 * Keeps the records with step <= `step` (the step of the checkpoint a run resumes from) and drops the
 * rest and any truncated tail, so that the steps the resumed run repeats are logged once. Rewrites
 * the file atomically; kept lines are byte-identical. Returns how many records were kept and dropped.
 */
export function truncateMetrics(file: string, step: number): { kept: number; dropped: number } {
  const { complete } = scan(file);
  const keep = complete.filter((c) => c.record.step <= step);
  const text = keep.map((c) => c.text + "\n").join("");
  const current = existsSync(file) ? guard(file, "cannot read metrics", () => readFileSync(file, "utf8")) : null;
  if (current !== text) writeFileAtomic(file, text);
  return { kept: keep.length, dropped: complete.length - keep.length };
}
