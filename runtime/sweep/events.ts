// What a sweep tells the world: the local pool, the Slurm follower and `vpae watch` on a sweep emit
// these; the sweep screen, the plain printer and `--json` only listen.

export type MemberStatus = "new" | "pending" | "waiting" | "running" | "finished" | "cached" | "partial" | "failed" | "stopped" | "requeued" | "skipped";

export interface MemberRow {
  index: number;
  name: string;
  hash: string;
  runDir: string;
  status: MemberStatus;
  /** Global step reached and the plan's total. */
  step: number;
  totalSteps: number;
  phase: string | null;
  /** Where the leading phases come from ("member 0 after priming"), if shared. */
  share: string | null;
  /** Estimated seconds still to do at the start (null: unknown). */
  estimate: number | null;
  /** Latest 1-NFE scores (or the lowest NFE evaluated). */
  scores: Record<string, number> | null;
  /** Latest real-minus-fake logit gap of the discriminators. */
  dGap: number | null;
  /** Seconds this member has trained in this sweep session. */
  seconds: number;
  reason: string | null;
  log: string | null;
}

export type SweepEvent =
  | { type: "sweep-start"; sweep: string; dir: string; launcher: "local" | "slurm"; jobs: number; members: MemberRow[]; time: number; job?: string }
  | { type: "member-start"; index: number; resumedFrom: number | null; share: string | null; log: string | null; time: number }
  | { type: "member-progress"; index: number; phase: string; step: number; totalSteps: number; stepsPerSecond: number; dGap: number | null; time: number }
  | { type: "member-eval"; index: number; step: number; nfe: number; scores: Record<string, number>; time: number }
  | { type: "member-end"; index: number; status: Exclude<MemberStatus, "new" | "pending" | "waiting" | "running">; exit: number | null; reason: string | null; log: string | null; time: number }
  | { type: "note"; index: number | null; message: string; time: number }
  | { type: "sweep-end"; counts: Record<string, number>; seconds: number; time: number };

export type SweepListener = (e: SweepEvent) => void;

/** The discriminators' mean real-minus-fake logit in one step's statistics (null: no discriminator trained this step). */
export function logitGap(stats: Record<string, number>): number | null {
  const names = Object.keys(stats)
    .filter((k) => k.startsWith("d/") && k.endsWith("/logit_real"))
    .map((k) => k.slice(2, -"/logit_real".length));
  const gaps = names.map((n) => stats[`d/${n}/logit_real`]! - stats[`d/${n}/logit_fake`]!).filter((g) => Number.isFinite(g));
  return gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null;
}
