// Diagnostics by noise level: which re-noise levels a discriminator can tell real from generated at,
// and where the C-SDS term pulls. A term's per-clip values are grouped by the noise level each clip was
// drawn at, low t < 1/3, mid 1/3 <= t < 2/3, high t >= 2/3 (a level with no clip in a step gives no
// value that step):
//
//   d/<disc>/gap_t_<level>   mean logit on real clips minus mean logit on generated clips
//   d/<disc>/acc_t_<level>   share of those clips the discriminator gets right (real > 0, generated < 0)
//   <c_sds term>/t_<level>   the term's mean per-clip value (mean squared pull toward the teacher)

export const LEVELS = [
  { name: "low", lo: 0, hi: 1 / 3 },
  { name: "mid", lo: 1 / 3, hi: 2 / 3 },
  { name: "high", lo: 2 / 3, hi: Infinity },
] as const;

export interface LevelValues {
  key: string;
  values: Float32Array;
  t: Float32Array;
  kind: "mean" | "logits-real" | "logits-fake";
}

function pick(v: LevelValues, lo: number, hi: number): number[] {
  const out: number[] = [];
  v.values.forEach((x, i) => {
    const t = v.t[i]!;
    if (t >= lo && t < hi) out.push(x);
  });
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The per-level statistics of one update's per-clip values (see the top of the file). */
export function byNoiseLevel(values: readonly LevelValues[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values.filter((x) => x.kind === "mean")) {
    for (const level of LEVELS) {
      const xs = pick(v, level.lo, level.hi);
      if (xs.length) out[`${v.key}/t_${level.name}`] = mean(xs);
    }
  }
  const discs = new Set(values.filter((x) => x.kind !== "mean").map((x) => x.key));
  for (const key of discs) {
    const real = values.find((x) => x.key === key && x.kind === "logits-real");
    const fake = values.find((x) => x.key === key && x.kind === "logits-fake");
    if (!real || !fake) continue;
    for (const level of LEVELS) {
      const r = pick(real, level.lo, level.hi);
      const f = pick(fake, level.lo, level.hi);
      if (r.length && f.length) out[`${key}/gap_t_${level.name}`] = mean(r) - mean(f);
      if (r.length + f.length) out[`${key}/acc_t_${level.name}`] = (r.filter((x) => x > 0).length + f.filter((x) => x < 0).length) / (r.length + f.length);
    }
  }
  return out;
}
