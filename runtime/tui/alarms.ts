// The known ways a distillation game goes wrong, detected from the run view. Each alarm has a one-line
// explanation; the terminal UI shows the active ones and the plain log prints each when it fires.
// Thresholds are constants here, documented in docs/tui.md.
import { discriminators, type RunView } from "./state.js";

export interface Alarm {
  id: "non_finite" | "d_wins" | "d_useless" | "mode_collapse" | "static_video" | "mean_drift";
  /** What it names (a discriminator, a loss). */
  subject: string;
  message: string;
}

export const ALARM_LIMITS = {
  /** Steps averaged for "recent" values. */
  window: 20,
  /** Steps at the start of the adversarial history taken as the reference. */
  reference: 10,
  /** D accuracy at or above this, on average over the window, counts as winning... */
  dWinsAccuracy: 0.95,
  /** ...when the generator's adversarial loss also rose over the window by at least this much. */
  dWinsRise: 0.05,
  /** |mean real logit - mean fake logit| below this over the window: D tells nothing apart... */
  dUselessGap: 0.05,
  /** ...and it has had this many updates to learn, and samples are poor (frame quality below this). */
  dUselessSteps: 100,
  dUselessQuality: 50,
  /** Output std below this fraction of its reference: the outputs collapsed. */
  collapseRatio: 0.3,
  /** Frame-to-frame difference below this fraction of its reference: the video stopped moving. */
  staticRatio: 0.25,
  /** Output mean moved by more than this many reference stds. */
  driftStds: 1,
} as const;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function recent(h: number[] | undefined, n: number): number[] | null {
  if (!h || h.length < n) return null;
  return h.slice(-n);
}

function reference(h: number[] | undefined, n: number, after: number): number[] | null {
  if (!h || h.length < n + after) return null;
  return h.slice(0, n);
}

/** Every alarm that holds for the view now. */
export function detectAlarms(view: RunView): Alarm[] {
  const out: Alarm[] = [];
  const L = ALARM_LIMITS;
  // NaN / Inf: in the latest value of any loss or statistic
  for (const [map, kind] of [
    [view.losses, "loss"],
    [view.stats, "statistic"],
  ] as const) {
    for (const [name, h] of map) {
      const v = h.at(-1);
      if (v !== undefined && !Number.isFinite(v)) out.push({ id: "non_finite", subject: name, message: `${kind} ${name} is ${v}: the run stops at this step and keeps its last good checkpoint` });
    }
  }
  const discs = discriminators(view);
  const quality = view.evals.at(-1)?.scores["frame_quality"];
  for (const d of discs) {
    const acc = recent(view.stats.get(`d/${d}/accuracy`), L.window);
    const g = recent(view.losses.get("gan_generator"), L.window);
    if (acc && g && mean(acc) >= L.dWinsAccuracy && mean(g.slice(-L.window / 2)) - mean(g.slice(0, L.window / 2)) >= L.dWinsRise) {
      out.push({ id: "d_wins", subject: d, message: `discriminator ${d} wins: accuracy ${mean(acc).toFixed(2)} while the generator's adversarial loss climbs; it no longer gives the generator a useful gradient (lower its lr, raise its regulariser)` });
    }
    const real = view.stats.get(`d/${d}/logit_real`);
    const fake = view.stats.get(`d/${d}/logit_fake`);
    if (real && fake && real.length >= L.dUselessSteps && quality !== undefined && quality < L.dUselessQuality) {
      const gap = Math.abs(mean(real.slice(-L.window)) - mean(fake.slice(-L.window)));
      if (gap < L.dUselessGap) out.push({ id: "d_useless", subject: d, message: `discriminator ${d} is useless: real and generated clips get the same logits (gap ${gap.toFixed(3)}) while samples are poor (frame quality ${quality.toFixed(1)}); its head may need a larger lr or other taps` });
    }
  }
  // the generator's output
  const std = view.stats.get("gen/std");
  const ref = reference(std, L.reference, L.window);
  const now = recent(std, L.window);
  if (ref && now && mean(now) < L.collapseRatio * mean(ref)) {
    out.push({ id: "mode_collapse", subject: "generator", message: `mode collapse: the output std fell from ${mean(ref).toFixed(3)} to ${mean(now).toFixed(3)}; the generator makes nearly the same clip for every input` });
  }
  const diff = view.stats.get("gen/frame_diff");
  const dRef = reference(diff, L.reference, L.window);
  const dNow = recent(diff, L.window);
  if (dRef && dNow && mean(dNow) < L.staticRatio * mean(dRef)) {
    out.push({ id: "static_video", subject: "generator", message: `static video: the frame-to-frame change fell from ${mean(dRef).toFixed(3)} to ${mean(dNow).toFixed(3)}; the clips stopped moving` });
  }
  const m = view.stats.get("gen/mean");
  const mRef = reference(m, L.reference, L.window);
  const mNow = recent(m, L.window);
  if (ref && mRef && mNow && Math.abs(mean(mNow) - mean(mRef)) > L.driftStds * mean(ref)) {
    out.push({ id: "mean_drift", subject: "generator", message: `output drift: the mean moved from ${mean(mRef).toFixed(3)} to ${mean(mNow).toFixed(3)}, more than ${L.driftStds} std; colours or brightness are shifting` });
  }
  return out;
}

/** Follows alarms over time: `update` returns the ones that just started (for the plain log). */
export class AlarmWatch {
  private active = new Set<string>();

  update(view: RunView): { fired: Alarm[]; active: Alarm[] } {
    const active = detectAlarms(view);
    const keys = new Set(active.map((a) => `${a.id}:${a.subject}`));
    const fired = active.filter((a) => !this.active.has(`${a.id}:${a.subject}`));
    this.active = keys;
    return { fired, active };
  }
}
