// The statistics every results table uses: mean and sample standard deviation over seeds, and the
// rule that says whether two means differ beyond seed noise.

export interface Stat {
  n: number;
  mean: number;
  /** Sample standard deviation (NaN for one value). */
  std: number;
}

export function stat(xs: readonly number[]): Stat {
  const n = xs.length;
  const mean = n ? xs.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { n, mean, std };
}

export type Verdict = "higher" | "lower" | "within noise" | "no error bar";

export interface Comparison {
  /** a.mean - b.mean */
  diff: number;
  /** The standard error the difference is judged against (NaN: none). */
  se: number;
  verdict: Verdict;
}

/**
 * Whether `a` differs from the reference `b` beyond seed noise: by more than twice the standard error
 * of the difference, sqrt(sa^2/na + sb^2/nb), over the groups that have more than one seed. A
 * one-seed `a` against a reference with seeds is judged against the reference's own seed standard
 * deviation (one draw from a's distribution is as noisy as one of b's). With no spread at all: no
 * error bar.
 */
export function compare(a: Stat, b: Stat): Comparison {
  const diff = a.mean - b.mean;
  let se: number;
  if (a.n === 1 && b.n > 1) se = b.std;
  else se = Math.sqrt((a.n > 1 ? a.std ** 2 / a.n : 0) + (b.n > 1 ? b.std ** 2 / b.n : 0));
  if (!(se > 0)) return { diff, se: NaN, verdict: "no error bar" };
  return { diff, se, verdict: diff > 2 * se ? "higher" : diff < -2 * se ? "lower" : "within noise" };
}

/** `47.2 ± 1.5` with seeds, `47.2` with one. */
export function formatStat(s: Stat, digits = 1): string {
  if (!Number.isFinite(s.mean)) return "-";
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}
