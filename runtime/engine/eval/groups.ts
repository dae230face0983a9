// The three score groups of docs/metrics.md and their mean: the one number that tables, log lines,
// plots and selections rank by. Every place that shows or compares a mean computes it here.

/** The groups, in table order, as a score row names them. */
export const SCORE_GROUPS = ["semantic_alignment", "temporal_coherence", "frame_quality"] as const;
export type ScoreGroup = (typeof SCORE_GROUPS)[number];

/** The mean of the three group scores (0-100). */
export function meanOfGroups(semantic: number, temporal: number, quality: number): number {
  return (semantic + temporal + quality) / 3;
}

/** The mean of a score row's three groups; null when the row lacks one of them. */
export function groupMean(row: Readonly<Record<string, unknown>> | null | undefined): number | null {
  if (!row) return null;
  const [sa, tc, fq] = SCORE_GROUPS.map((k) => row[k]);
  return typeof sa === "number" && typeof tc === "number" && typeof fq === "number" ? meanOfGroups(sa, tc, fq) : null;
}
