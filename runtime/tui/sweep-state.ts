// The sweep screen's view: one row per member, folded from sweep events (runtime/sweep/events.ts).
// Pure: the screen, `vpae watch` on a sweep and the tests all fold the same events the same way.
import type { MemberRow, SweepEvent } from "../sweep/events.js";

export interface SweepView {
  sweep: string;
  dir: string;
  launcher: "local" | "slurm";
  job: string | null;
  jobs: number;
  startedAt: number | null;
  endedAt: number | null;
  rows: MemberRow[];
  /** When each member started training in this session (ms), for its elapsed time and the ETA. */
  startedRows: Map<number, number>;
  /** Steps each member had at its start, so the rate counts this session only. */
  firstStep: Map<number, { step: number; time: number }>;
  notes: { index: number | null; message: string }[];
}

export function emptySweepView(): SweepView {
  return { sweep: "", dir: "", launcher: "local", job: null, jobs: 1, startedAt: null, endedAt: null, rows: [], startedRows: new Map(), firstStep: new Map(), notes: [] };
}

const MAX_NOTES = 6;

export function reduceSweep(v: SweepView, e: SweepEvent): void {
  const row = (i: number) => v.rows.find((r) => r.index === i);
  switch (e.type) {
    case "sweep-start":
      v.sweep = e.sweep;
      v.dir = e.dir;
      v.launcher = e.launcher;
      v.job = e.job ?? null;
      v.jobs = e.jobs;
      v.startedAt = e.time;
      v.endedAt = null;
      v.rows = e.members.map((m) => ({ ...m, status: m.status === "new" || m.status === "partial" ? "pending" : m.status }));
      break;
    case "member-start": {
      const r = row(e.index);
      if (!r) return;
      r.status = "running";
      r.log = e.log;
      if (e.resumedFrom !== null) r.step = e.resumedFrom;
      v.startedRows.set(e.index, e.time);
      v.firstStep.set(e.index, { step: r.step, time: e.time });
      break;
    }
    case "member-progress": {
      const r = row(e.index);
      if (!r) return;
      if (r.status !== "running") r.status = "running";
      r.phase = e.phase;
      r.step = e.step;
      r.totalSteps = e.totalSteps;
      if (e.dGap !== null) r.dGap = e.dGap;
      const t0 = v.startedRows.get(e.index);
      if (t0 !== undefined) r.seconds = (e.time - t0) / 1000;
      if (!v.firstStep.has(e.index)) v.firstStep.set(e.index, { step: e.step, time: e.time });
      break;
    }
    case "member-eval": {
      const r = row(e.index);
      if (!r) return;
      // the lowest NFE evaluated is the one-step score the screen shows
      const current = r.scores ? (r.scores["nfe"] ?? Infinity) : Infinity;
      if (e.nfe <= current) r.scores = { ...e.scores, nfe: e.nfe };
      break;
    }
    case "member-end": {
      const r = row(e.index);
      if (!r) return;
      r.status = e.status;
      r.reason = e.reason;
      if (e.log) r.log = e.log;
      if (e.status === "finished" || e.status === "cached") r.step = r.totalSteps;
      const t0 = v.startedRows.get(e.index);
      if (t0 !== undefined) r.seconds = (e.time - t0) / 1000;
      break;
    }
    case "note":
      v.notes.push({ index: e.index, message: e.message });
      if (v.notes.length > MAX_NOTES) v.notes.splice(0, v.notes.length - MAX_NOTES);
      break;
    case "sweep-end":
      v.endedAt = e.time;
      break;
  }
}

export function sweepCounts(v: SweepView): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of v.rows) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

/**
 * Seconds until the sweep is done: each unfinished member's remaining steps at its own rate this
 * session (or the estimate it started with), spread over the workers. Null when nothing tells.
 */
export function sweepEta(v: SweepView, now: number): number | null {
  let work = 0;
  let known = false;
  const rates: number[] = [];
  for (const r of v.rows) {
    const first = v.firstStep.get(r.index);
    if (r.status === "running" && first && r.step > first.step && now > first.time) rates.push((r.step - first.step) / ((now - first.time) / 1000));
  }
  const rate = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null;
  for (const r of v.rows) {
    if (!["running", "pending", "waiting"].includes(r.status)) continue;
    const left = r.totalSteps - r.step;
    if (rate) {
      work += left / rate;
      known = true;
    } else if (r.estimate !== null) {
      work += r.status === "running" ? r.estimate * (left / Math.max(1, r.totalSteps)) : r.estimate;
      known = true;
    }
  }
  return known ? work / Math.max(1, Math.min(v.jobs, v.rows.filter((r) => ["running", "pending", "waiting"].includes(r.status)).length)) : null;
}
