// Reads a sweep from its files as a stream of sweep events: the member table and record give the
// members and their state changes, each running member's run folder gives its progress (the last
// line of metrics.jsonl) and its evaluations (manifest.json). Used by `vpae watch` on a sweep and by
// the Slurm launcher, which adds what squeue says about the array's tasks.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { basename, join } from "node:path";
import { totalSteps } from "../../compiler/plan/steps.js";
import { alive, METRICS_FILE } from "../engine/io/run-dir.js";
import { readManifestIfAny } from "../engine/io/manifest.js";
import { logitGap, type MemberRow, type MemberStatus, type SweepEvent } from "./events.js";
import { readMemberTable, readRecord, type MemberTable, type RecordLine } from "./record.js";
import { indexRuns, lastCheckpoint, readIndexedRun } from "./runs.js";

/** What the queue says about a member's task (Slurm), when the follower is told. */
export type QueueState = "pending" | "running" | "done";

export interface SweepFollower {
  /** Reads what is new and emits it; false once no member runs or waits any more. */
  poll(queue?: ReadonlyMap<number, QueueState>): boolean;
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** The last complete line of a metrics log, read from its end. */
function lastMetrics(file: string): { step: number; phase: string; stats: Record<string, number>; time: number } | null {
  if (!existsSync(file)) return null;
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    const lines = buf.toString("utf8").split("\n").filter((l) => l.trim());
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        return JSON.parse(lines[i]!, (_k, v) => (typeof v === "string" && v in NON_FINITE ? NON_FINITE[v] : v));
      } catch {
        // a cut line: try the one before
      }
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The phases' step counts of a member's plan file (none when it cannot be read). */
function planPhases(dir: string, plan: string): { steps: number }[] {
  try {
    return (JSON.parse(readFileSync(join(dir, plan), "utf8")) as { phases: { steps: number }[] }).phases;
  } catch {
    return [];
  }
}

/** How long a requeued member counts as waiting although the queue does not list it as pending. */
const REQUEUE_GRACE_MS = 60_000;

const ENDED: Record<string, Exclude<MemberStatus, "new" | "pending" | "waiting" | "running">> = { finished: "finished", failed: "failed", stopped: "stopped", cached: "cached", requeued: "requeued" };

export function followSweep(dir: string, emit: (e: SweepEvent) => void, options: { launcher?: "local" | "slurm"; job?: string } = {}): SweepFollower {
  let table: MemberTable | null = null;
  let seen = 0;
  const last = new Map<number, Extract<RecordLine, { t: "state" }>>();
  const progress = new Map<number, number>();
  const evals = new Map<number, number>();
  let session: Extract<RecordLine, { t: "session" }> | null = null;

  function start(): void {
    table = readMemberTable(dir);
    if (!table) throw new Error(`${dir}: not a sweep folder (no members.json)`);
    const runs = indexRuns(table.runsDir);
    const lines = readRecord(dir);
    for (const l of lines) if (l.t === "session") session = l;
    const rows: MemberRow[] = table.members.map((m) => {
      const run = (runs.byHash.get(m.hash) ?? []).sort((a, b) => (b.status === "finished" ? 1 : 0) - (a.status === "finished" ? 1 : 0))[0];
      const total = totalSteps(run?.phases ?? planPhases(dir, m.plan));
      const status: MemberStatus = run?.status === "finished" ? "finished" : run?.live ? "running" : run?.status === "failed" ? "failed" : run ? "partial" : "new";
      return { index: m.index, name: m.name, hash: m.hash, runDir: run?.dir ?? m.runDir, status, step: run ? (status === "finished" ? total : (lastCheckpoint(run) ?? 0)) : 0, totalSteps: total, phase: null, share: null, estimate: null, scores: null, dGap: null, seconds: 0, reason: run?.reason ?? null, log: null };
    });
    emit({ type: "sweep-start", sweep: table.sweep, dir, launcher: options.launcher ?? session?.launcher ?? "local", jobs: session?.jobs ?? 1, members: rows, time: Date.now(), ...(options.job ? { job: options.job } : {}) });
  }

  function memberOf(hash: string, index: number): boolean {
    return table!.members.some((m) => m.index === index && m.hash === hash);
  }

  return {
    poll(queue?: ReadonlyMap<number, QueueState>): boolean {
      if (!table) start();
      const lines = readRecord(dir);
      for (const l of lines.slice(seen)) {
        if (l.t === "session") session = l;
        if (l.t !== "state" || !memberOf(l.hash, l.index)) continue;
        last.set(l.index, l);
        const time = Date.parse(l.time);
        if (l.state === "started") emit({ type: "member-start", index: l.index, resumedFrom: l.step ?? null, share: l.from ? `${typeof l.from.member === "number" ? `member ${l.from.member}` : basename(l.from.run)} after ${l.from.after ?? `${l.from.phases} phase(s)`}` : null, log: l.log ?? null, time });
        else if (ENDED[l.state]) emit({ type: "member-end", index: l.index, status: ENDED[l.state]!, exit: l.exit ?? null, reason: l.reason ?? null, log: l.log ?? null, time });
      }
      seen = lines.length;
      let busy = false;
      const sessionAlive = session !== null && alive(session);
      for (const m of table!.members) {
        const state = last.get(m.index)?.state;
        const q = queue?.get(m.index);
        const run = state === "started" || q === "running" ? readIndexedRun(m.runDir) : null;
        const running = (state === "started" && (run?.live ?? false)) || q === "running";
        // A requeued task can show as ended (or not at all) for a moment before Slurm lists it as pending
        // again: it counts as waiting for a minute after its requeue, whatever the queue says.
        const requeuedAt = state === "requeued" ? Date.parse(last.get(m.index)!.time) : NaN;
        const waiting =
          q === "pending" || ((state === "queued" || state === "requeued") && (q !== undefined ? q !== "done" : sessionAlive)) || Date.now() - requeuedAt < REQUEUE_GRACE_MS;
        if (running || waiting) busy = true;
        if (!run) continue;
        const r = lastMetrics(join(run.dir, METRICS_FILE));
        if (r && r.step !== progress.get(m.index)) {
          progress.set(m.index, r.step);
          const total = totalSteps(run.phases);
          emit({ type: "member-progress", index: m.index, phase: r.phase, step: r.step, totalSteps: total, stepsPerSecond: 0, dGap: logitGap(r.stats ?? {}), time: r.time });
        }
        const manifest = readManifestIfAny(run.dir);
        for (const e of (manifest?.evals ?? []).slice(evals.get(m.index) ?? 0)) {
          for (const res of Object.values(e.results as Record<string, Record<string, unknown>>)) {
            const scores: Record<string, number> = {};
            for (const [k, v] of Object.entries(res)) if (typeof v === "number" && !["nfe", "latencyMs", "latencyPerVideoMs"].includes(k)) scores[k] = v;
            emit({ type: "member-eval", index: m.index, step: e.step, nfe: Number(res["nfe"] ?? 1), scores, time: Date.now() });
          }
        }
        evals.set(m.index, manifest?.evals.length ?? 0);
      }
      return busy;
    },
  };
}
