// The Slurm launcher: one sbatch job array, one task per member that still has work, each task
// running `vpae sweep-member <sweep-dir> $SLURM_ARRAY_TASK_ID --slurm` on the member table (JSON; no
// pickles, no generated code beyond two short shell scripts). Logs go to <sweep-dir>/%A_%a.out
// (appended across requeues). `--signal=B:USR2@90` warns a task 90 s before its time limit (or when an
// administrator preempts it with `scancel --signal=USR2 --batch`): the task writes a checkpoint,
// requeues itself with `scontrol requeue`, and resumes exactly there when it starts again.
//
// Every path and name in the scripts is single-quoted for the shell, and `%` in paths is doubled for
// Slurm's filename patterns; vpae itself submits with an argument list, never through a shell.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { followSweep, type QueueState } from "./follow.js";
import type { MemberRow, SweepEvent } from "./events.js";
import { appendRecord, readRecord, type MemberTable } from "./record.js";
import { VPAE_BIN } from "./local.js";

export interface SbatchOptions {
  partition?: string;
  time?: string;
  cpusPerTask: number;
  gres?: string;
  /** Tasks at once (the %N of --array); default: no limit. */
  parallelism?: number;
  backend?: string;
}

/** POSIX shell single quotes: safe for any string, spaces, quotes and newlines included. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `0-3,5,7-8` from a set of indices. */
export function arrayRanges(indices: readonly number[]): string {
  const xs = [...new Set(indices)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    out.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

/** The sbatch arguments (without the script) for the members `indices` of the sweep in `dir`. */
export function sbatchArgs(dir: string, table: MemberTable, indices: readonly number[], o: SbatchOptions): string[] {
  const pattern = (p: string) => p.replace(/%/g, "%%");
  return [
    "--parsable",
    `--job-name=vpae-${table.sweep}`,
    `--array=${arrayRanges(indices)}${o.parallelism ? `%${o.parallelism}` : ""}`,
    `--output=${join(pattern(dir), "%A_%a.out")}`,
    "--open-mode=append",
    "--signal=B:USR2@90",
    "--requeue",
    `--chdir=${table.cwd}`,
    `--cpus-per-task=${o.cpusPerTask}`,
    "--ntasks=1",
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.time ? [`--time=${o.time}`] : []),
    ...(o.gres ? [`--gres=${o.gres}`] : []),
  ];
}

/** job.sh: what every array task runs; `exec`, so that the task's own process receives Slurm's signals. */
export function jobScript(dir: string, table: MemberTable, o: SbatchOptions): string {
  return [
    "#!/bin/bash",
    `# vpae sweep ${table.sweep}: one member of members.json per array task (written by vpae; submit.sh submits it)`,
    `exec ${shellQuote(process.execPath)} ${shellQuote(VPAE_BIN)} sweep-member ${shellQuote(dir)} "$SLURM_ARRAY_TASK_ID" --slurm${o.backend ? ` --backend ${shellQuote(o.backend)}` : ""}`,
    "",
  ].join("\n");
}

export function submitScript(args: readonly string[], job: string): string {
  return ["#!/bin/sh", "# Submits the sweep's job array (written by vpae): sh submit.sh", `exec sbatch ${args.map(shellQuote).join(" ")} ${shellQuote(job)}`, ""].join("\n");
}

export interface SlurmOptions {
  dir: string;
  table: MemberTable;
  rows: MemberRow[];
  selected: ReadonlySet<number>;
  emit: (e: SweepEvent) => void;
  control: { stopRequested: boolean; onChange?: () => void };
  emitOnly: string | undefined;
  noWait: boolean;
  sbatch: SbatchOptions;
  io: { stdout: (s: string) => void; stderr: (s: string) => void };
  /** Seconds between squeue polls while nothing fails (default 2). */
  interval?: number;
}

/** The task states of an array job, by member index, from `squeue --json` (null: squeue failed). */
export function queueStates(job: string): Map<number, QueueState> | null {
  const r = spawnSync("squeue", ["--json", `--jobs=${job}`], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) return /Invalid job id/i.test(r.stderr ?? "") ? new Map() : null;
  let data: { jobs?: { array_job_id?: number; array_task_id?: number | null; array_task_string?: string; job_state?: string | string[] }[] };
  try {
    data = JSON.parse(r.stdout);
  } catch {
    return null;
  }
  const out = new Map<number, QueueState>();
  for (const j of data.jobs ?? []) {
    if (String(j.array_job_id) !== job) continue;
    const st = (Array.isArray(j.job_state) ? j.job_state[0] : j.job_state) ?? "";
    const q: QueueState = ["PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING", "SUSPENDED", "RESIZING"].includes(st) ? "pending" : ["RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING"].includes(st) ? "running" : "done";
    if (typeof j.array_task_id === "number") out.set(j.array_task_id, q);
    else if (j.array_task_string) {
      // the array's pending remainder: "2-3%2", "5,7-9"
      for (const part of j.array_task_string.replace(/%\d+$/, "").split(",")) {
        const [a, b = a] = part.split("-").map(Number);
        for (let i = a!; i <= b!; i++) out.set(i, q);
      }
    }
  }
  return out;
}

/** The last submitted array job of a sweep (from its record). */
export function lastJob(dir: string): string | null {
  const subs = readRecord(dir).filter((l): l is Extract<typeof l, { t: "submit" }> => l.t === "submit");
  return subs.at(-1)?.job ?? null;
}

export async function slurmStatus(dir: string): Promise<{ text: string }> {
  const job = lastJob(dir);
  if (!job) return { text: "slurm: this sweep was never submitted\n" };
  const q = queueStates(job);
  if (q === null) return { text: `slurm: job ${job}: squeue does not answer; the members' states below come from their run folders\n` };
  const by = new Map<string, number[]>();
  for (const [i, s] of q) by.set(s, [...(by.get(s) ?? []), i]);
  const parts = [...by.entries()].map(([s, is]) => `${s} ${arrayRanges(is)}`);
  return { text: `slurm: job ${job}: ${parts.length ? parts.join("; ") : "no task in the queue any more"}\n` };
}

export async function runSlurm(o: SlurmOptions): Promise<{ exit: number; counts: Record<string, number> }> {
  const indices = o.rows.filter((r) => o.selected.has(r.index) && r.status !== "finished").map((r) => r.index);
  const counts: Record<string, number> = {};
  if (indices.length === 0) {
    o.io.stdout(`sweep ${o.table.sweep}: nothing to submit, every selected member is finished\n`);
    return { exit: 0, counts };
  }
  const scriptsDir = o.emitOnly !== undefined ? resolve(o.emitOnly) : join(o.dir, "slurm");
  mkdirSync(scriptsDir, { recursive: true });
  mkdirSync(join(o.dir, "logs"), { recursive: true });
  const job = join(scriptsDir, "job.sh");
  const args = sbatchArgs(o.dir, o.table, indices, o.sbatch);
  writeFileSync(job, jobScript(o.dir, o.table, o.sbatch));
  writeFileSync(join(scriptsDir, "submit.sh"), submitScript(args, job));
  chmodSync(job, 0o755);
  chmodSync(join(scriptsDir, "submit.sh"), 0o755);
  if (o.emitOnly !== undefined) {
    o.io.stdout(`wrote ${join(scriptsDir, "submit.sh")} and ${job} (${indices.length} array task${indices.length === 1 ? "" : "s"}); submit with: sh ${shellQuote(join(scriptsDir, "submit.sh"))}\n`);
    return { exit: 0, counts };
  }
  const r = spawnSync("sbatch", [...args, job], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    const why = r.error ? (r.error as NodeJS.ErrnoException).code === "ENOENT" ? "sbatch is not installed here (is this a Slurm login node? scripts/slurm-up.sh sets up a one-node test cluster)" : r.error.message : (r.stderr || r.stdout).trim();
    o.io.stderr(`vpae sweep: sbatch failed: ${why}\n`);
    return { exit: 1, counts };
  }
  const id = r.stdout.trim().split(";")[0]!;
  const time = new Date().toISOString();
  appendRecord(o.dir, { t: "submit", time, job: id, indices, script: job });
  appendRecord(o.dir, { t: "session", time, pid: process.pid, host: hostname(), launcher: "slurm", jobs: o.sbatch.parallelism ?? indices.length });
  for (const r2 of o.rows) if (indices.includes(r2.index)) appendRecord(o.dir, { t: "state", time, index: r2.index, hash: r2.hash, state: "queued", via: "slurm", job: `${id}_${r2.index}` });
  if (o.noWait) {
    o.io.stdout(`submitted job array ${id} (${indices.length} task${indices.length === 1 ? "" : "s"}); follow it with: vpae watch ${shellQuote(o.dir)}\n`);
    return { exit: 0, counts };
  }
  return follow(o, id, indices, counts);
}

/** The last recorded state of each member of the current table. */
function lastByIndex(dir: string, table: MemberTable, indices: readonly number[]): Map<number, string> {
  const hashes = new Map(table.members.filter((m) => indices.includes(m.index)).map((m) => [m.index, m.hash]));
  const out = new Map<number, string>();
  for (const l of readRecord(dir)) if (l.t === "state" && hashes.get(l.index) === l.hash) out.set(l.index, l.state);
  return out;
}

async function follow(o: SlurmOptions, job: string, indices: readonly number[], counts: Record<string, number>): Promise<{ exit: number; counts: Record<string, number> }> {
  const started = Date.now();
  // the follower's own sweep-start is dropped: this one names the job
  const emit = (e: SweepEvent) => {
    if (e.type === "sweep-start") return;
    if (e.type === "member-end") counts[e.status] = (counts[e.status] ?? 0) + 1;
    o.emit(e);
  };
  o.emit({ type: "sweep-start", sweep: o.table.sweep, dir: o.dir, launcher: "slurm", jobs: o.sbatch.parallelism ?? o.rows.length, members: o.rows, time: started, job });
  const follower = followSweep(o.dir, emit, { launcher: "slurm", job });
  let wait = o.interval ?? 2;
  let warned = false;
  for (;;) {
    const q = queueStates(job);
    if (q === null) {
      wait = Math.min(30, wait * 2); // squeue is down or slow: back off, read the files meanwhile
      if (!warned) o.emit({ type: "note", index: null, message: "squeue does not answer; following the members' files (retrying with backoff)", time: Date.now() });
      warned = true;
    } else wait = o.interval ?? 2;
    const busy = follower.poll(q ?? undefined);
    if (!busy && q !== null && [...q.values()].every((s) => s === "done")) break;
    if (o.control.stopRequested) {
      o.io.stderr(`\nleft the sweep screen; the job array keeps running (scancel ${job} cancels it, vpae watch ${shellQuote(o.dir)} follows it again)\n`);
      return { exit: 130, counts };
    }
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
  // A task that Slurm no longer lists but that never recorded an end (killed before it could, cancelled
  // while queued, a requeue that did not happen) is failed, with a reason, so the sweep says so.
  const lost = { queued: "Slurm ended the task before it started (cancelled, or its node failed)", started: "the task ended without recording how (killed, or out of memory?)", requeued: "the task was to be requeued, but Slurm no longer lists it" } as Record<string, string>;
  for (const [index, state] of lastByIndex(o.dir, o.table, indices)) {
    const why = lost[state];
    const m = o.table.members.find((x) => x.index === index);
    if (!why || !m) continue;
    const log = join(o.dir, `${job}_${index}.out`);
    const reason = `${why}; see ${log}`;
    appendRecord(o.dir, { t: "state", time: new Date().toISOString(), index, hash: m.hash, state: "failed", via: "slurm", job: `${job}_${index}`, exit: 1, reason, log });
    emit({ type: "member-end", index, status: "failed", exit: 1, reason, log, time: Date.now() });
  }
  // every member's last state (a requeued member that finished counts once, as finished)
  const final: Record<string, number> = {};
  for (const [, l] of lastByIndex(o.dir, o.table, indices)) final[l] = (final[l] ?? 0) + 1;
  o.emit({ type: "sweep-end", counts: final, seconds: (Date.now() - started) / 1000, time: Date.now() });
  return { exit: (final["failed"] ?? 0) > 0 ? 1 : 0, counts: final };
}
