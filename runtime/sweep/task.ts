// One member of a prepared sweep, in this process: what a local worker process and a Slurm array task
// run (`vpae sweep-member DIR INDEX`). It decides from the run folders, so that the same call is right
// after a kill, a requeue or a retry: a finished run of the plan is left alone; a run with a checkpoint
// is resumed; a new member whose leading phases another run has trained starts from that run's
// phase-end checkpoint (fork.ts); anything else starts from scratch. Its state changes go to the
// sweep's record.
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { existsSync } from "node:fs";
import type { RunListener } from "../engine/events.js";
import { executePlan, RunError, unsupported, type RunControl } from "../engine/runner.js";
import type { BackendPreference } from "../engine/tf.js";
import { IoError } from "../engine/io/errors.js";
import { forkRun } from "../engine/io/fork.js";
import { appendRecord, readMemberPlan, readMemberTable, type MemberEntry, type RecordLine } from "./record.js";
import { indexRuns, lastCheckpoint, phaseEndCheckpoint, readIndexedRun } from "./runs.js";

export interface TaskOptions {
  sweepDir: string;
  index: number;
  via: "local" | "slurm";
  /** Slurm: `<array job id>_<task id>`. */
  job?: string;
  log?: string;
  listeners: RunListener[];
  control: RunControl;
  backend?: BackendPreference;
  vpaeVersion: string;
  leakCheck?: boolean;
  /**
   * How long to wait for the member that trains the shared phases to get past them, while it is
   * running (Slurm array tasks start in any order; the local pool only starts a member once its
   * source is ready). 0: do not wait, train those phases here.
   */
  waitForShareMs?: number;
  /** Where progress notes go (the CLI prints them). */
  note?: (message: string) => void;
}

export interface TaskResult {
  status: "finished" | "stopped" | "failed" | "cached";
  exit: number;
  reason: string | null;
  runDir: string | null;
}

export const EXIT_STOPPED = 130;

function state(opts: TaskOptions, entry: MemberEntry, line: Omit<Extract<RecordLine, { t: "state" }>, "t" | "time" | "index" | "hash" | "via">): void {
  appendRecord(opts.sweepDir, { t: "state", time: new Date().toISOString(), index: entry.index, hash: entry.hash, via: opts.via, ...(opts.job ? { job: opts.job } : {}), ...(opts.log ? { log: opts.log } : {}), ...line });
}

/** Waits while the source run is live and has not yet written its phase-end checkpoint. */
async function waitForSource(source: string, phases: number, limitMs: number, control: RunControl): Promise<boolean> {
  const until = Date.now() + limitMs;
  for (;;) {
    const run = readIndexedRun(source);
    if (run && phaseEndCheckpoint(run, phases - 1).present) return true;
    if (!run?.live || Date.now() > until || control.stopRequested) return false;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function runMember(opts: TaskOptions): Promise<TaskResult> {
  const table = readMemberTable(opts.sweepDir);
  if (!table) throw new IoError(opts.sweepDir, "not a prepared sweep folder (no members.json)", "not-found");
  const entry = table.members.find((m) => m.index === opts.index);
  if (!entry) throw new IoError(opts.sweepDir, `the sweep has no member ${opts.index} (members 0 to ${table.members.length - 1})`, "not-found");
  const plan = readMemberPlan(opts.sweepDir, entry);
  const missing = unsupported(plan);
  if (missing.length > 0) {
    const reason = `this runtime cannot run the plan: ${missing.join("; ")}`;
    state(opts, entry, { state: "failed", exit: 1, reason, host: hostname(), pid: process.pid });
    return { status: "failed", exit: 1, reason, runDir: null };
  }
  const index = indexRuns(table.runsDir);
  const runs = index.byHash.get(plan.hash) ?? [];
  const finished = runs.find((r) => r.status === "finished");
  if (finished) {
    state(opts, entry, { state: "cached", exit: 0, step: lastCheckpoint(finished) ?? 0, reason: `already finished in ${finished.dir}` });
    return { status: "cached", exit: 0, reason: null, runDir: finished.dir };
  }
  // an existing folder of this plan (with or without a checkpoint) is resumed; a new one may fork
  const existing = runs.find((r) => r.dir === entry.runDir) ?? runs.sort((a, b) => (lastCheckpoint(b) ?? -1) - (lastCheckpoint(a) ?? -1))[0];
  const runDir = existing?.dir ?? entry.runDir;
  let from: { run: string; phases: number } | undefined;
  if (!existing && !existsSync(runDir) && entry.share) {
    const share = entry.share;
    const src = readIndexedRun(share.run);
    let ready = src !== null && phaseEndCheckpoint(src, share.phases - 1).present;
    if (!ready && src?.live && (opts.waitForShareMs ?? 0) > 0) {
      opts.note?.(`waiting for ${share.run} to finish its first ${share.phases} phase(s)`);
      ready = await waitForSource(share.run, share.phases, opts.waitForShareMs!, opts.control);
    }
    if (ready) {
      forkRun(dirname(runDir), plan, share.run, share.phases, { vpaeVersion: opts.vpaeVersion });
      from = { run: share.run, phases: share.phases };
    } else opts.note?.(`the shared phases are not available from ${share.run}: training them here`);
  }
  const resume = existsSync(runDir);
  state(opts, entry, { state: "started", host: hostname(), pid: process.pid, ...(from ? { from } : {}), ...(resume && !from && existing ? { step: lastCheckpoint(existing) ?? 0 } : {}) });
  try {
    const result = await executePlan(plan, {
      runsDir: dirname(runDir),
      resume,
      ...(opts.backend ? { backend: opts.backend } : {}),
      listeners: opts.listeners,
      control: opts.control,
      baseDir: resolve(table.cwd, dirname(plan.source.file)),
      leakCheck: opts.leakCheck ?? false,
      vpaeVersion: opts.vpaeVersion,
    });
    const exit = result.status === "finished" ? 0 : result.status === "stopped" ? EXIT_STOPPED : 1;
    state(opts, entry, { state: result.status, exit, step: result.step, ...(result.reason ? { reason: result.reason } : {}) });
    return { status: result.status, exit, reason: result.reason, runDir: result.runDir };
  } catch (err) {
    if (!(err instanceof RunError || err instanceof IoError)) throw err;
    state(opts, entry, { state: "failed", exit: 1, reason: err.message });
    return { status: "failed", exit: 1, reason: err.message, runDir };
  }
}
