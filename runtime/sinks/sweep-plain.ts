// Plain lines for a sweep outside a terminal (logs, CI, pipes): one line when a member starts, a few
// while it trains (each phase, each quarter of its steps), one when it ends, with the error and the
// log path as soon as a member fails; `--json` writes the events themselves instead.
import { groupMean } from "../engine/eval/groups.js";
import type { MemberRow, SweepEvent, SweepListener } from "../sweep/events.js";

function duration(s: number): string {
  if (s < 90) return `${s.toFixed(1)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

function scoreText(scores: Record<string, number>): string {
  const m = groupMean(scores);
  const mean = m !== null ? ` mean ${m.toFixed(1)}` : "";
  return `SA ${scores["semantic_alignment"]?.toFixed(1) ?? "?"} TC ${scores["temporal_coherence"]?.toFixed(1) ?? "?"} FQ ${scores["frame_quality"]?.toFixed(1) ?? "?"}${mean}`;
}

/**
 * `shorten` rewrites the paths in a line for display (the CLI makes those below the working folder
 * relative); by default lines keep them as they are.
 */
export function sweepPlainSink(write: (line: string) => void, shorten: (text: string) => string = (t) => t): SweepListener {
  const rows = new Map<number, MemberRow>();
  const started = new Map<number, number>();
  const shown = new Map<number, { phase: string | null; quarter: number }>();
  let width = 1;
  const tag = (i: number) => `[${String(i).padStart(width)}]`;
  const name = (i: number) => rows.get(i)?.name ?? `member ${i}`;
  const out = (line: string) => write(shorten(line));
  return (e: SweepEvent) => {
    switch (e.type) {
      case "sweep-start":
        for (const m of e.members) rows.set(m.index, m);
        width = String(Math.max(0, ...e.members.map((m) => m.index))).length;
        out(`sweep ${e.sweep}: ${e.members.length} member${e.members.length === 1 ? "" : "s"}, ${e.launcher === "local" ? `${e.jobs} at a time` : `Slurm job ${e.job ?? "?"}`}; record ${e.dir}`);
        break;
      case "member-start":
        started.set(e.index, e.time);
        shown.set(e.index, { phase: null, quarter: 0 });
        out(`${tag(e.index)} started ${name(e.index)}${e.resumedFrom !== null ? `, resumed at step ${e.resumedFrom}` : ""}${e.share ? `, from ${e.share}` : ""}${e.log ? `; log ${e.log}` : ""}`);
        break;
      case "member-progress": {
        const s = shown.get(e.index) ?? { phase: null, quarter: 0 };
        const quarter = Math.floor((4 * e.step) / Math.max(1, e.totalSteps));
        if (s.phase !== e.phase || quarter > s.quarter) {
          out(`${tag(e.index)} ${e.phase}, step ${e.step}/${e.totalSteps}${e.dGap !== null ? `, D gap ${e.dGap.toFixed(2)}` : ""}`);
          shown.set(e.index, { phase: e.phase, quarter });
        }
        const row = rows.get(e.index);
        if (row) row.totalSteps = e.totalSteps;
        break;
      }
      case "member-eval":
        if (e.step === rows.get(e.index)?.totalSteps) out(`${tag(e.index)} final eval, NFE ${e.nfe}: ${scoreText(e.scores)}`);
        break;
      case "member-end": {
        const t = started.get(e.index);
        const took = t !== undefined ? ` in ${duration((e.time - t) / 1000)}` : "";
        if (e.status === "failed") out(`${tag(e.index)} FAILED ${name(e.index)}${e.exit !== null ? ` (exit ${e.exit})` : ""}: ${e.reason ?? "no reason given"}${e.log ? `\n${" ".repeat(width + 3)}log: ${e.log}` : ""}`);
        else if (e.status === "cached") out(`${tag(e.index)} ${name(e.index)}: nothing to do (${e.reason ?? "finished before"})`);
        else out(`${tag(e.index)} ${e.status} ${name(e.index)}${took}${e.reason && e.status !== "finished" ? `: ${e.reason}` : ""}`);
        break;
      }
      case "note":
        out(`${e.index !== null ? `${tag(e.index)} ` : ""}${e.message}`);
        break;
      case "sweep-end": {
        const parts = Object.entries(e.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
        out(`sweep done in ${duration(e.seconds)}: ${parts.join(", ") || "nothing to do"}`);
        break;
      }
    }
  };
}
