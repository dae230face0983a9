// vpae sweep <file.vpae>: run every member of a sweep, locally (a pool of worker processes) or as one
// Slurm job array. Members are ordinary run folders addressed by plan hash, so finished ones are never
// run again, unfinished ones resume, and members that share leading phases train them once.
import { availableParallelism } from "node:os";
import { flag, option, options, parseArgs, type OptionSpec } from "../args.js";
import { backendOption, belowCwd, overrideOptions, type Io } from "../common.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";
import { loadSweeps, type LoadedSweep } from "../sweep-input.js";
import type { MemberRow, SweepEvent, SweepListener } from "../../sweep/events.js";
import type { MemberEntry, MemberTable } from "../../sweep/record.js";

export const sweepSpec: Record<string, OptionSpec> = {
  sweep: { value: true, repeat: true, valueName: "NAME", help: "which sweep of the file (repeatable; default: every sweep in it)" },
  "dry-run": { help: "list the members (status, shared prefixes, estimated time) and run nothing" },
  json: { help: "with --dry-run/--status: the list as JSON; otherwise one JSON event per line" },
  status: { help: "show each member's state (and the Slurm jobs' states) and exit" },
  jobs: { value: true, valueName: "N", help: "members at once (default: the number of cores)" },
  only: { value: true, repeat: true, valueName: "SEL", help: "run only failed | missing | INDEX,... | A-B | axis=value (repeatable)" },
  max: { value: true, valueName: "N", help: "refuse sweeps with more members than N (default 200)" },
  "fail-fast": { help: "stop every member when one fails" },
  "no-share": { help: "train every new member from the beginning, without starting from shared phase-end checkpoints" },
  retry: { value: true, valueName: "N", help: "re-run a failing member up to N times (from its checkpoint); also re-runs members that failed before" },
  "runs-dir": { value: true, valueName: "DIR", help: "where run folders and sweep records go (default runs)" },
  backend: { value: true, valueName: "B", help: "tensor backend of every member (default: each plan's)" },
  "no-tui": { help: "plain lines instead of the live sweep screen" },
  launcher: { value: true, valueName: "local|slurm", help: "where members run (default local)" },
  partition: { value: true, valueName: "P", help: "slurm: the partition" },
  time: { value: true, valueName: "T", help: "slurm: the time limit of each task (e.g. 30:00)" },
  "cpus-per-task": { value: true, valueName: "C", help: "slurm: cores per task (default 1: wasm runs one thread)" },
  gres: { value: true, valueName: "G", help: "slurm: generic resources per task (e.g. gpu:1)" },
  "array-parallelism": { value: true, valueName: "N", help: "slurm: tasks running at once (the %N of --array)" },
  "emit-only": { value: true, valueName: "DIR", help: "slurm: write submit.sh and job.sh to DIR and submit nothing" },
  "no-wait": { help: "slurm: return once the array is submitted instead of following it" },
  ...overrideOptions,
};
export const sweepUsage =
  "vpae sweep <file.vpae> [--sweep NAME] [--dry-run] [--status] [--jobs N] [--only SEL] [--fail-fast] [--retry N] [--json]\n" +
  "       vpae sweep <file.vpae> --launcher slurm [--partition P] [--time T] [--cpus-per-task C] [--gres G] [--array-parallelism N] [--emit-only DIR]";
export const sweepSummary =
  "Run the members of a sweep: each is an ordinary run folder addressed by its plan hash, so finished members are skipped, unfinished ones resume from their checkpoints, and members that share leading phases train them once. Ctrl-C stops every member at a checkpoint; the same command resumes.";

export const DEFAULT_MAX = 200;

function count(args: ReturnType<typeof parseArgs>, name: string, min: number, fallback: number): number {
  const v = option(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number >= ${min}, not '${v}'`, "sweep");
  return n;
}

/** The member table written to the sweep folder: what every worker and Slurm task reads. */
export function memberTable(s: LoadedSweep): MemberTable {
  const members: MemberEntry[] = s.planned.map((m) => ({
    index: m.spec.index,
    name: m.spec.name,
    changes: m.spec.changes,
    hash: m.spec.plan.hash,
    plan: `plans/${m.spec.plan.hash}.json`,
    runDir: m.runDir,
    share: m.share ? { member: m.share.member, run: m.share.run, phases: m.share.phases, step: m.share.step } : null,
  }));
  return { formatVersion: 1, sweep: s.name, source: s.source, runsDir: s.runsDir, cwd: process.cwd(), updatedAt: new Date().toISOString(), members };
}

export function memberRows(s: LoadedSweep): MemberRow[] {
  return s.planned.map((m) => ({
    index: m.spec.index,
    name: m.spec.name,
    hash: m.spec.plan.hash,
    runDir: m.runDir,
    status: m.state.kind === "finished" ? "finished" : m.state.kind === "failed" ? "failed" : m.state.kind === "partial" ? "partial" : m.state.kind === "running" ? "running" : "new",
    step: m.state.kind === "finished" ? m.steps.total : m.state.kind === "new" ? 0 : (m.state.step ?? 0),
    totalSteps: m.steps.total,
    phase: null,
    share: m.share ? `${m.share.member !== null ? `member ${m.share.member}` : m.share.label} after ${m.spec.plan.phases[m.share.phases - 1]!.name}` : null,
    estimate: m.state.kind === "finished" ? 0 : m.seconds,
    scores: null,
    dGap: null,
    seconds: 0,
    reason: m.state.kind === "failed" ? m.state.reason : null,
    log: null,
  }));
}

/** Where sweep events go: the live screen in a terminal, plain lines elsewhere, JSON with --json. */
async function listenersFor(args: ReturnType<typeof parseArgs>, io: Io, onStop: () => void): Promise<{ listener: SweepListener; close: () => Promise<void>; screen: boolean }> {
  if (flag(args, "json")) return { listener: (e) => io.stdout(JSON.stringify(e) + "\n"), close: async () => undefined, screen: false };
  const tui = !flag(args, "no-tui") && process.stdout.isTTY === true && process.stdin.isTTY === true && !process.env["CI"];
  if (tui) {
    const { startSweepScreen } = await import("../../tui/sweep-live.js");
    // in raw mode Ctrl-C is a key, not a signal: the screen passes it on as one
    const screen = startSweepScreen({ color: !process.env["NO_COLOR"], onStop });
    // once the screen is gone, one plain line says how the sweep ended
    let last = "";
    const { sweepPlainSink } = await import("../../sinks/sweep-plain.js");
    const summary = sweepPlainSink((l) => (last = l), belowCwd);
    return {
      listener: (e) => {
        screen.listener(e);
        if (e.type === "sweep-end") summary(e);
      },
      close: async () => {
        await screen.close();
        if (last) io.stdout(last + "\n");
      },
      screen: true,
    };
  }
  const { sweepPlainSink } = await import("../../sinks/sweep-plain.js");
  return { listener: sweepPlainSink((l) => io.stdout(l + "\n"), belowCwd), close: async () => undefined, screen: false };
}

export async function runSweep(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("sweep", argv, sweepSpec);
  if (args.positionals.length !== 1) throw new UsageError("sweep takes one .vpae file", "sweep");
  const file = args.positionals[0]!;
  const launcher = option(args, "launcher") ?? "local";
  if (launcher !== "local" && launcher !== "slurm") throw new UsageError(`--launcher is local or slurm, not '${launcher}'`, "sweep");
  for (const o of ["partition", "time", "cpus-per-task", "gres", "array-parallelism", "emit-only", "no-wait"])
    if (args.flags.has(o) && launcher !== "slurm") throw new UsageError(`--${o} needs --launcher slurm`, "sweep");
  const jobs = count(args, "jobs", 1, availableParallelism());
  const max = count(args, "max", 1, DEFAULT_MAX);
  const retry = count(args, "retry", 0, 0);
  const backend = backendOption(args, "sweep");

  const { indexRuns } = await import("../../sweep/runs.js");
  const { IoError } = await import("../../engine/io/errors.js");
  let sweeps: LoadedSweep[] | undefined;
  try {
    sweeps = await loadSweeps(file, args, io, "sweep", indexRuns);
  } catch (err) {
    if (err instanceof IoError) {
      io.stderr(`vpae sweep: ${err.message}\n`);
      return EXIT_DIAGNOSTICS;
    }
    throw err;
  }
  if (!sweeps) return EXIT_DIAGNOSTICS;
  for (const s of sweeps) {
    if (s.members.length > max) {
      io.stderr(`vpae sweep: sweep ${s.name} has ${s.members.length} members, more than --max ${max}; check the axes (vpae sweep ${file} --dry-run --max ${s.members.length}) or raise --max\n`);
      return EXIT_DIAGNOSTICS;
    }
  }
  const { selectMembers, SelectionError } = await import("../../sweep/select.js");
  /** Members listed (what --only selects) and members run: failed ones are re-run only when asked (--only, --retry). */
  const listed = new Map<string, Set<number>>();
  const selections = new Map<string, Set<number>>();
  try {
    for (const s of sweeps) {
      const sel = selectMembers(s.planned, options(args, "only"));
      listed.set(s.name, new Set(sel));
      if (options(args, "only").length === 0 && retry === 0) for (const m of s.planned) if (m.state.kind === "failed") sel.delete(m.spec.index);
      selections.set(s.name, sel);
    }
  } catch (err) {
    if (err instanceof SelectionError) throw new UsageError(err.message, "sweep");
    throw err;
  }

  if (flag(args, "dry-run") || flag(args, "status")) {
    const { dryRunJson, renderDryRun } = await import("../views/sweep-view.js");
    if (flag(args, "status") && launcher === "slurm") {
      const { slurmStatus } = await import("../../sweep/slurm.js");
      for (const s of sweeps) io.stdout((await slurmStatus(s.dir)).text);
    }
    if (flag(args, "json")) io.stdout(JSON.stringify(sweeps.length === 1 ? dryRunJson(sweeps[0]!, listed.get(sweeps[0]!.name)!) : sweeps.map((s) => dryRunJson(s, listed.get(s.name)!)), null, 2) + "\n");
    else io.stdout(sweeps.map((s) => renderDryRun(s, listed.get(s.name)!, selections.get(s.name)!, launcher === "local" ? jobs : count(args, "array-parallelism", 1, s.members.length))).join("\n"));
    return EXIT_OK;
  }

  const { writeMemberTable, appendRecord } = await import("../../sweep/record.js");
  const control: { stopRequested: boolean; force?: boolean; onChange?: () => void } = { stopRequested: false };
  let interrupts = 0;
  let onScreen = false;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      control.stopRequested = true;
      // the live screen says so itself; text on stderr would tear it
      if (!onScreen) io.stderr("\nstopping: every running member writes a checkpoint at its next step boundary (Ctrl-C again: stop at once); run the same command to resume\n");
    } else control.force = true;
    control.onChange?.();
  };
  const out = await listenersFor(args, io, onSigint);
  onScreen = out.screen;
  process.on("SIGINT", onSigint);
  let failed = 0;
  let stopped = 0;
  try {
    for (const s of sweeps) {
      if (control.stopRequested) break;
      const table = memberTable(s);
      writeMemberTable(s.dir, table, new Map(s.members.map((m) => [m.plan.hash, m.plan])));
      const selected = selections.get(s.name)!;
      const skippedFailed = s.planned.filter((m) => m.state.kind === "failed" && !selected.has(m.spec.index));
      const started = Date.now();
      const emit = (e: SweepEvent) => out.listener(e);
      if (launcher === "slurm") {
        const { runSlurm } = await import("../../sweep/slurm.js");
        const r = await runSlurm({
          dir: s.dir,
          table,
          rows: memberRows(s),
          selected,
          emit,
          control,
          emitOnly: option(args, "emit-only"),
          noWait: flag(args, "no-wait"),
          sbatch: {
            ...(option(args, "partition") !== undefined ? { partition: option(args, "partition")! } : {}),
            ...(option(args, "time") !== undefined ? { time: option(args, "time")! } : {}),
            ...(option(args, "gres") !== undefined ? { gres: option(args, "gres")! } : {}),
            cpusPerTask: count(args, "cpus-per-task", 1, 1),
            ...(option(args, "array-parallelism") !== undefined ? { parallelism: count(args, "array-parallelism", 1, 1) } : {}),
            ...(backend !== undefined ? { backend } : {}),
          },
          io,
        });
        failed += r.counts["failed"] ?? 0;
        if (r.exit !== EXIT_OK) return r.exit;
        continue;
      }
      const { hostname } = await import("node:os");
      const now = new Date().toISOString();
      appendRecord(s.dir, { t: "session", time: now, pid: process.pid, host: hostname(), launcher: "local", jobs });
      for (const m of s.planned) if (selected.has(m.spec.index) && m.state.kind !== "finished") appendRecord(s.dir, { t: "state", time: now, index: m.spec.index, hash: m.spec.plan.hash, state: "queued", via: "local" });
      emit({ type: "sweep-start", sweep: s.name, dir: s.dir, launcher: "local", jobs, members: memberRows(s).filter((r) => selected.has(r.index) || r.status === "failed"), time: started });
      if (skippedFailed.length > 0)
        emit({ type: "note", index: null, message: `${skippedFailed.length} member${skippedFailed.length === 1 ? "" : "s"} failed before and ${skippedFailed.length === 1 ? "is" : "are"} left alone: ${skippedFailed.map((m) => m.spec.index).join(", ")} (re-run with --only failed or --retry N)`, time: Date.now() });
      const { runLocal } = await import("../../sweep/local.js");
      const r = await runLocal({ dir: s.dir, table, planned: s.planned, selected, jobs, failFast: flag(args, "fail-fast"), retry, ...(backend !== undefined ? { backend } : {}), emit, control });
      emit({ type: "sweep-end", counts: r.counts, seconds: (Date.now() - started) / 1000, time: Date.now() });
      // a member left failed from before still fails the sweep: the exit code says the sweep is not complete
      failed += (r.counts["failed"] ?? 0) + skippedFailed.length;
      stopped += (r.counts["stopped"] ?? 0) + (r.counts["skipped"] ?? 0);
    }
  } finally {
    process.off("SIGINT", onSigint);
    await out.close();
  }
  if (failed > 0) return EXIT_DIAGNOSTICS;
  if (control.stopRequested || stopped > 0) return 130;
  return EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runSweep, usage: sweepUsage, summary: sweepSummary, spec: sweepSpec };
