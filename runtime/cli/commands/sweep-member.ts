// vpae sweep-member <sweep-dir> <index>: run one member of a prepared sweep in this process. This is
// what `vpae sweep`'s local workers and its Slurm array tasks call; a person rarely needs it, except to
// re-run one member by hand exactly as the sweep would.
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { spawnSync } from "node:child_process";
import { flag, option, parseArgs, type OptionSpec } from "../args.js";
import { BACKEND_VALUES, backendOption, type Io } from "../common.js";
import { EXIT_DIAGNOSTICS, UsageError } from "../errors.js";
import { COMPILER_VERSION } from "../../../compiler/version.js";
import type { RunListener } from "../../engine/events.js";

/** How often a task asks Slurm to requeue it before it records itself as stopped. */
const REQUEUE_ATTEMPTS = 4;

export const sweepMemberSpec: Record<string, OptionSpec> = {
  json: { help: "one JSON event per line on stdout (what the local launcher reads)" },
  log: { value: true, valueName: "FILE", help: "append plain progress lines to FILE" },
  "watch-stdin": { help: "stop cleanly (with a checkpoint) when standard input closes: the launcher is gone" },
  slurm: { help: "running as a Slurm array task: USR2 checkpoints and requeues the job, TERM checkpoints and stops" },
  backend: { value: true, valueName: BACKEND_VALUES, help: "tensor backend (default: the plan's)" },
  debug: { help: "check after every step that no tensor leaked" },
};
export const sweepMemberUsage = "vpae sweep-member <sweep-dir> <index> [--json] [--log FILE] [--watch-stdin] [--slurm] [--backend B]";
export const sweepMemberSummary =
  "Run one member of a prepared sweep (runs/sweeps/<name>/) in this process, as `vpae sweep` does: resume it, start it from a shared phase-end checkpoint, or start it afresh; a finished member is left alone.";

export async function runSweepMember(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("sweep-member", argv, sweepMemberSpec);
  const slurm = flag(args, "slurm");
  const [dir, indexText = slurm ? process.env["SLURM_ARRAY_TASK_ID"] : undefined, ...rest] = args.positionals;
  if (dir === undefined || indexText === undefined || rest.length > 0) throw new UsageError("sweep-member takes a sweep folder and a member index", "sweep-member");
  const index = Number(indexText);
  if (!Number.isSafeInteger(index) || index < 0) throw new UsageError(`the member index must be a whole number >= 0, not '${indexText}'`, "sweep-member");
  const backend = backendOption(args, "sweep-member");
  const json = flag(args, "json");
  const logPath = option(args, "log");
  const { plainSink, jsonSink } = await import("../../sinks/plain.js");
  const listeners: RunListener[] = [];
  // Under a launcher, stdout is a pipe to it: once the launcher is gone, writes fail (EPIPE) and
  // are dropped, and the member stops at its next step boundary like on a closed stdin.
  let launcherGone = false;
  const out = (line: string) => {
    if (!launcherGone) io.stdout(line);
  };
  if (json) listeners.push(jsonSink((l) => out(l + "\n")));
  if (logPath !== undefined) {
    mkdirSync(dirname(logPath), { recursive: true });
    listeners.push(plainSink((l) => appendFileSync(logPath, l + "\n")));
  }
  if (!json && logPath === undefined) listeners.push(plainSink((l) => io.stdout(l + "\n")));
  const note = (message: string) => {
    if (json) out(JSON.stringify({ type: "note", message }) + "\n");
    else io.stderr(`vpae sweep-member: ${message}\n`);
    if (logPath !== undefined) appendFileSync(logPath, `note: ${message}\n`);
  };

  const control: { stopRequested: boolean; stopReason?: string } = { stopRequested: false };
  let requeue = false;
  let interrupts = 0;
  const stop = (why: string) => () => {
    control.stopRequested = true;
    control.stopReason ??= why;
  };
  const onTerm = stop("stopped by SIGTERM (Slurm's cancel or time limit, or the launcher)");
  const onStdinEnd = stop("the sweep that started this member is gone (its stdin closed)");
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130); // everything written so far is complete
    stop("stopped by Ctrl-C")();
  };
  const onUsr2 = () => {
    requeue = true;
    stop("Slurm's warning signal (USR2): checkpointed and requeued")();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onTerm);
  if (slurm) process.on("SIGUSR2", onUsr2);
  if (flag(args, "watch-stdin")) {
    process.stdin.on("end", onStdinEnd);
    process.stdin.on("close", onStdinEnd);
    process.stdin.resume();
    process.stdout.removeAllListeners("error");
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      launcherGone = true;
      onStdinEnd();
    });
  }
  const job = slurm && process.env["SLURM_ARRAY_JOB_ID"] ? `${process.env["SLURM_ARRAY_JOB_ID"]}_${process.env["SLURM_ARRAY_TASK_ID"] ?? index}` : slurm ? process.env["SLURM_JOB_ID"] : undefined;
  const { runMember, EXIT_STOPPED } = await import("../../sweep/task.js");
  const { IoError } = await import("../../engine/io/errors.js");
  try {
    const result = await runMember({
      sweepDir: dir,
      index,
      via: slurm ? "slurm" : "local",
      ...(job ? { job } : {}),
      ...(logPath !== undefined ? { log: logPath } : {}),
      listeners,
      control,
      ...(backend ? { backend } : {}),
      vpaeVersion: COMPILER_VERSION,
      leakCheck: flag(args, "debug"),
      waitMs: slurm ? 6 * 3600_000 : 0,
      note,
      onStart: (start) => {
        if (json) out(JSON.stringify({ type: "task-start", ...start }) + "\n");
      },
    });
    let exit = result.exit;
    if (requeue && result.status === "stopped" && job) {
      // Slurm's warning signal: the checkpoint is written; put the task back in the queue, where it
      // resumes from that checkpoint (this process may be ended by Slurm as the requeue happens).
      const { appendRecord, readMemberTable } = await import("../../sweep/record.js");
      const hash = readMemberTable(dir)?.members.find((m) => m.index === index)?.hash ?? "";
      const line = { t: "state" as const, index, hash, via: "slurm" as const, job, ...(logPath !== undefined ? { log: logPath } : {}) };
      appendRecord(dir, { ...line, time: new Date().toISOString(), state: "requeued" });
      // A busy controller can refuse or time out: try a few times before giving up on the requeue.
      let why = "";
      for (let attempt = 0; attempt < REQUEUE_ATTEMPTS; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
        const r = spawnSync("scontrol", ["requeue", job], { encoding: "utf8" });
        if (r.status === 0) {
          why = "";
          break;
        }
        why = (r.stderr || r.stdout || r.error?.message || `exit ${r.status}`).trim();
        note(`scontrol requeue ${job} failed (attempt ${attempt + 1} of ${REQUEUE_ATTEMPTS}): ${why}`);
      }
      if (why) {
        // not back in the queue: say so in the record, so that the sweep does not wait for it
        const reason = `checkpointed at step ${result.step ?? "?"}, but Slurm did not requeue the task (${why}); run the sweep again to resume it`;
        appendRecord(dir, { ...line, time: new Date().toISOString(), state: "stopped", exit: EXIT_STOPPED, step: result.step, reason });
        io.stderr(`vpae sweep-member: ${reason}\n`);
        exit = EXIT_STOPPED;
      } else exit = 0;
    }
    if (json) out(JSON.stringify({ type: "task-end", status: result.status, exit, reason: result.reason, runDir: result.runDir }) + "\n");
    else if (result.status === "failed") io.stderr(`vpae sweep-member: ${result.reason}\n`);
    return exit;
  } catch (err) {
    if (err instanceof IoError) {
      io.stderr(`vpae sweep-member: ${err.message}\n`);
      if (json) out(JSON.stringify({ type: "task-end", status: "failed", exit: EXIT_DIAGNOSTICS, reason: err.message, runDir: null }) + "\n");
      return EXIT_DIAGNOSTICS;
    }
    throw err;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onTerm);
    process.off("SIGUSR2", onUsr2);
    if (flag(args, "watch-stdin")) process.stdin.destroy();
  }
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runSweepMember, usage: sweepMemberUsage, summary: sweepMemberSummary, spec: sweepMemberSpec };
