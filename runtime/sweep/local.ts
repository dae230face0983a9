// The local launcher: members run as separate `vpae sweep-member` processes, `jobs` at once (wasm
// runs one thread per process, so one process per core). A member whose leading phases another
// member trains starts once that member's phase-end checkpoint exists. A failing member does not stop
// the others (unless failFast); it is retried up to `retry` times, resuming from its checkpoint.
//
// Workers get their own process group, so the terminal's Ctrl-C reaches only this process, which
// passes one SIGINT on to every worker: each stops at its next step boundary after a checkpoint. A
// second Ctrl-C passes a second one (workers exit at once). A worker whose parent dies sees its stdin
// close and stops the same way, so no training is left running unobserved.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunEvent } from "../engine/events.js";
import { logitGap, type SweepEvent } from "./events.js";
import type { MemberTable } from "./record.js";
import type { PlannedMember } from "./status.js";
import { phaseEndCheckpoint, readIndexedRun } from "./runs.js";

/** bin/vpae.js, from dist/runtime/sweep/local.js. */
export const VPAE_BIN = fileURLToPath(new URL("../../../bin/vpae.js", import.meta.url));

export interface LocalOptions {
  dir: string;
  table: MemberTable;
  planned: readonly PlannedMember[];
  /** Members to run (indices); the others are left as they are. */
  selected: ReadonlySet<number>;
  jobs: number;
  failFast: boolean;
  retry: number;
  backend?: string;
  emit: (e: SweepEvent) => void;
  /** Set by the first Ctrl-C (stop cleanly) and the second (`force`: workers exit at once). */
  control: { stopRequested: boolean; force?: boolean; onChange?: () => void };
}

export interface LocalResult {
  counts: Record<string, number>;
}

interface Worker {
  index: number;
  child: ChildProcess;
  signals: number;
  result: { status: string; exit: number; reason: string | null } | null;
  stderr: string[];
}

export function logFile(dir: string, m: { index: number; hash: string }): string {
  return join(dir, "logs", `${m.index}-${m.hash.slice(0, 12)}.log`);
}

export async function runLocal(opts: LocalOptions): Promise<LocalResult> {
  const entries = new Map(opts.table.members.map((m) => [m.index, m]));
  const counts: Record<string, number> = {};
  const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const queue: number[] = [];
  for (const p of opts.planned) {
    if (!opts.selected.has(p.spec.index)) continue;
    if (p.state.kind === "finished") {
      count("cached");
      opts.emit({ type: "member-end", index: p.spec.index, status: "cached", exit: 0, reason: `already finished in ${p.state.run.dir}`, log: null, time: Date.now() });
    } else queue.push(p.spec.index);
  }
  const running = new Map<number, Worker>();
  const failures = new Map<number, number>();
  let failedHard = false;
  /** Ends the current wait of the scheduling loop (a worker ended, a source reached its phase end). */
  let wake: () => void = () => undefined;
  mkdirSync(join(opts.dir, "logs"), { recursive: true });

  /** A member may start unless the sweep member that trains its shared phases is still on its way there. */
  const ready = (index: number): boolean => {
    // a member with the same plan as a running or earlier queued one waits: it will find that run finished
    const hash = entries.get(index)?.hash;
    if ([...running.keys()].some((i) => entries.get(i)?.hash === hash)) return false;
    if (queue.some((i) => i < index && entries.get(i)?.hash === hash)) return false;
    const share = entries.get(index)?.share;
    if (!share || share.member === null) return true;
    const source = share.member;
    if (!queue.includes(source) && !running.has(source)) return true; // done, failed or not selected: the task decides
    const run = readIndexedRun(share.run);
    return run !== null && phaseEndCheckpoint(run, share.phases - 1).present;
  };

  const start = (index: number): void => {
    const entry = entries.get(index)!;
    const log = logFile(opts.dir, entry);
    const args = [VPAE_BIN, "sweep-member", opts.dir, String(index), "--json", "--watch-stdin", "--log", log, ...(opts.backend ? ["--backend", opts.backend] : [])];
    const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
    const w: Worker = { index, child, signals: 0, result: null, stderr: [] };
    running.set(index, w);
    let buffer = "";
    let lastProgress = 0;
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.trim()) continue;
        let e:
          | RunEvent
          | { type: "task-start"; from: { member: number | null; run: string; after: string } | null; resumeStep: number | null }
          | { type: "task-end"; status: string; exit: number; reason: string | null }
          | { type: "note"; message: string };
        try {
          e = JSON.parse(line);
        } catch {
          continue;
        }
        const time = Date.now();
        if (e.type === "task-start") {
          const share = e.from ? `${e.from.member !== null ? `member ${e.from.member}` : `run ${basename(e.from.run)}`} after ${e.from.after}` : null;
          opts.emit({ type: "member-start", index, resumedFrom: e.resumeStep, share, log, time });
        }
        else if (e.type === "step") {
          // at most a few progress events per second per member: the screen needs no more
          if (time - lastProgress >= 250 || e.step === e.totalSteps) {
            lastProgress = time;
            opts.emit({ type: "member-progress", index, phase: e.phase, step: e.step, totalSteps: e.totalSteps, stepsPerSecond: e.stepsPerSecond, dGap: logitGap(e.stats), time });
          }
        } else if (e.type === "eval") opts.emit({ type: "member-eval", index, step: e.step, nfe: e.nfe, scores: e.scores, time });
        else if (e.type === "warning") opts.emit({ type: "note", index, message: e.message, time });
        else if (e.type === "note") opts.emit({ type: "note", index, message: e.message, time });
        else if (e.type === "task-end") w.result = { status: e.status, exit: e.exit, reason: e.reason };
        if (e.type === "phase-end" || e.type === "checkpoint") wake();
      }
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      w.stderr.push(...chunk.split("\n").filter((l) => l.trim()));
      if (w.stderr.length > 20) w.stderr.splice(0, w.stderr.length - 20);
    });
    child.stdin!.on("error", () => undefined); // the worker may be gone already
    child.on("close", (code, signal) => {
      running.delete(index);
      const exit = code ?? (signal ? 128 : 1);
      const status = w.result?.status ?? (exit === 0 ? "finished" : exit === 130 ? "stopped" : "failed");
      const reason = w.result?.reason ?? (status === "failed" ? (w.stderr.slice(-3).join(" | ") || `exit ${exit}${signal ? ` (${signal})` : ""}`) : null);
      if (status === "failed") {
        const n = (failures.get(index) ?? 0) + 1;
        failures.set(index, n);
        if (n <= opts.retry && !opts.control.stopRequested) {
          opts.emit({ type: "note", index, message: `failed (${reason}); retry ${n} of ${opts.retry}`, time: Date.now() });
          queue.unshift(index);
          wake();
          return;
        }
        failedHard = true;
        if (opts.failFast) stopAll();
      }
      count(status);
      opts.emit({ type: "member-end", index, status: status as "finished", exit, reason, log, time: Date.now() });
      wake();
    });
  };

  const signalAll = (): void => {
    for (const w of running.values()) {
      const wanted = opts.control.force ? 2 : 1;
      while (w.signals < wanted) {
        w.signals++;
        try {
          w.child.kill("SIGINT");
        } catch {
          // already gone
        }
      }
    }
  };
  const stopAll = (): void => {
    opts.control.stopRequested = true;
    signalAll();
  };
  opts.control.onChange = () => {
    signalAll();
    wake();
  };

  for (;;) {
    if (opts.control.stopRequested) signalAll();
    if (!opts.control.stopRequested && !(opts.failFast && failedHard)) {
      for (let i = 0; i < queue.length && running.size < opts.jobs; ) {
        const index = queue[i]!;
        if (ready(index)) {
          queue.splice(i, 1);
          start(index);
        } else i++;
      }
    }
    if (running.size === 0 && (queue.length === 0 || opts.control.stopRequested || (opts.failFast && failedHard))) break;
    // a queue of members that all wait for sources that no longer run: they train from scratch
    if (running.size === 0 && queue.length > 0 && !queue.some((i) => ready(i))) {
      const index = queue.shift()!;
      start(index);
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = () => undefined;
  }
  const failFast = opts.failFast && failedHard;
  for (const index of queue) {
    const status = failFast ? "skipped" : "stopped";
    count(status);
    opts.emit({ type: "member-end", index, status, exit: null, reason: failFast ? "not started after a failure (--fail-fast)" : "not started: the sweep was stopped", log: null, time: Date.now() });
  }
  return { counts };
}
