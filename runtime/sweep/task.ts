// One member of a prepared sweep, in this process: what a local worker process and a Slurm array task
// run (`vpae sweep-member DIR INDEX`). It decides from the run folders, so that the same call is right
// after a kill, a requeue or a retry: a finished run of the plan is left alone; a run with a checkpoint
// is resumed; a new member whose leading phases another run has trained starts from that run's
// phase-end checkpoint (fork.ts); anything else starts from scratch. Its state changes go to the
// sweep's record.
import { hostname } from "node:os";
import { dirname } from "node:path";
import { existsSync } from "node:fs";
import type { RunListener } from "../engine/events.js";
import { executePlan, RunError, unsupported, type RunControl } from "../engine/runner.js";
import type { BackendPreference } from "../engine/tf.js";
import { IoError } from "../engine/io/errors.js";
import { forkRun } from "../engine/io/fork.js";
import { planDir } from "../engine/io/plan-files.js";
import { appendRecord, lastStates, readMemberPlan, readMemberTable, readRecord, type MemberEntry, type RecordLine } from "./record.js";
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
   * How long to wait for another process: the member that trains the shared phases, until it is past
   * them, or one that trains this very plan. Slurm array tasks start in any order, so they wait; the
   * local pool starts a member only once nothing is in its way (0: do not wait).
   */
  waitMs?: number;
  /** Where progress notes go (the CLI prints them). */
  note?: (message: string) => void;
  /** Called once training is about to start: from another run's phase-end checkpoint, or resuming at a step. */
  onStart?: (start: { from: Extract<RecordLine, { t: "state" }>["from"] | null; resumeStep: number | null }) => void;
}

export interface TaskResult {
  status: "finished" | "stopped" | "failed" | "cached";
  exit: number;
  reason: string | null;
  runDir: string | null;
  /** The last step trained (stopped and finished runs). */
  step?: number;
}

export const EXIT_STOPPED = 130;

function state(opts: TaskOptions, entry: MemberEntry, line: Omit<Extract<RecordLine, { t: "state" }>, "t" | "time" | "index" | "hash" | "via">): void {
  appendRecord(opts.sweepDir, { t: "state", time: new Date().toISOString(), index: entry.index, hash: entry.hash, via: opts.via, ...(opts.job ? { job: opts.job } : {}), ...(opts.log ? { log: opts.log } : {}), ...line });
}

/** How long a Slurm task waits for a source member that has not started yet (it may never). */
const QUEUED_SOURCE_WAIT_MS = 5 * 60_000;

/**
 * Waits until the source run has its phase-end checkpoint, while that is still to come: its run is
 * live, or (for a while) its member is queued in this sweep and has not started yet.
 */
async function waitForSource(opts: TaskOptions, share: NonNullable<MemberEntry["share"]>, limitMs: number): Promise<boolean> {
  const started = Date.now();
  for (;;) {
    const run = readIndexedRun(share.run);
    if (run && phaseEndCheckpoint(run, share.phases - 1).present) return true;
    const sourceHash = share.member !== null ? readMemberTable(opts.sweepDir)?.members.find((m) => m.index === share.member)?.hash : undefined;
    const sourceState = sourceHash !== undefined ? lastStates(readRecord(opts.sweepDir)).get(sourceHash)?.state : undefined;
    const coming = run?.live === true || ((sourceState === "queued" || sourceState === "requeued") && Date.now() - started < QUEUED_SOURCE_WAIT_MS) || (sourceState === "started" && run === null);
    if (!coming || Date.now() - started > limitMs || opts.control.stopRequested) return false;
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
  let runs = indexRuns(table.runsDir).byHash.get(plan.hash) ?? [];
  // another process trains this very plan (a duplicate member, a requeued twin): wait for it, or say so
  const busy = runs.find((r) => r.live && r.status !== "finished");
  if (busy && (opts.waitMs ?? 0) > 0) {
    opts.note?.(`${busy.dir} is in use by another process: waiting for it`);
    while (readIndexedRun(busy.dir)?.live && !opts.control.stopRequested) await new Promise((r) => setTimeout(r, 2000));
    runs = indexRuns(table.runsDir).byHash.get(plan.hash) ?? [];
  }
  const finished = runs.find((r) => r.status === "finished");
  if (finished) {
    const reason = `already finished in ${finished.dir}`;
    state(opts, entry, { state: "cached", exit: 0, step: lastCheckpoint(finished) ?? 0, reason });
    return { status: "cached", exit: 0, reason, runDir: finished.dir };
  }
  // an existing folder of this plan (with or without a checkpoint) is resumed; a new one may fork
  const existing = runs.find((r) => r.dir === entry.runDir) ?? runs.sort((a, b) => (lastCheckpoint(b) ?? -1) - (lastCheckpoint(a) ?? -1))[0];
  const runDir = existing?.dir ?? entry.runDir;
  let from: Extract<RecordLine, { t: "state" }>["from"];
  if (!existing && !existsSync(runDir) && entry.share) {
    const share = entry.share;
    const source = readIndexedRun(share.run);
    let ready = source !== null && phaseEndCheckpoint(source, share.phases - 1).present;
    if (!ready && (opts.waitMs ?? 0) > 0) {
      opts.note?.(`waiting for ${share.member !== null ? `member ${share.member}` : share.run} to finish phase ${plan.phases[share.phases - 1]!.name}`);
      ready = await waitForSource(opts, share, opts.waitMs!);
    }
    try {
      if (ready) {
        forkRun(dirname(runDir), plan, share.run, share.phases, { vpaeVersion: opts.vpaeVersion });
        from = { run: share.run, member: share.member, phases: share.phases, after: plan.phases[share.phases - 1]!.name };
      } else opts.note?.(`the shared phases are not available from ${share.run}: training them here`);
    } catch (err) {
      // a source checkpoint that fails its checks costs the sharing, not the member
      if (!(err instanceof IoError)) throw err;
      opts.note?.(`cannot start from ${share.run} (${err.message}): training the shared phases here`);
    }
  }
  const resume = existsSync(runDir);
  const resumeStep = resume && !from && existing ? (lastCheckpoint(existing) ?? 0) : null;
  state(opts, entry, { state: "started", host: hostname(), pid: process.pid, ...(from ? { from } : {}), ...(resumeStep !== null ? { step: resumeStep } : {}) });
  opts.onStart?.({ from: from ?? null, resumeStep });
  try {
    const result = await executePlan(plan, {
      runsDir: dirname(runDir),
      resume,
      ...(opts.backend ? { backend: opts.backend } : {}),
      listeners: opts.listeners,
      control: opts.control,
      baseDir: planDir(plan, table.cwd),
      leakCheck: opts.leakCheck ?? false,
      vpaeVersion: opts.vpaeVersion,
    });
    const exit = result.status === "finished" ? 0 : result.status === "stopped" ? EXIT_STOPPED : 1;
    state(opts, entry, { state: result.status, exit, step: result.step, ...(result.reason ? { reason: result.reason } : {}) });
    return { status: result.status, exit, reason: result.reason, runDir: result.runDir, step: result.step };
  } catch (err) {
    if (!(err instanceof RunError || err instanceof IoError)) throw err;
    state(opts, entry, { state: "failed", exit: 1, reason: err.message });
    return { status: "failed", exit: 1, reason: err.message, runDir };
  }
}
