// vpae watch <run>: the live screen of a run started elsewhere (another terminal, `--no-tui`, a job
// log), by following its metrics.jsonl and manifest. Read-only: it never steers the run.
import { flag, option, parseArgs, type OptionSpec } from "../args.js";
import type { Io } from "../common.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";

export const watchSpec: Record<string, OptionSpec> = {
  "runs-dir": { value: true, valueName: "DIR", help: "where runs are looked up by name (default runs)" },
  "no-tui": { help: "plain progress lines (also when stdout is not a terminal or CI is set)" },
  interval: { value: true, valueName: "MS", help: "how often to look for new steps (default 500)" },
};
export const watchUsage = "vpae watch <run-dir|name|sweep-dir|sweep name> [--runs-dir DIR] [--no-tui] [--interval MS]";
export const watchSummary =
  "Follow a running or finished run (started anywhere, with any output) on the live screen, or as plain lines; given a sweep (its folder under runs/sweeps/, or its name), the sweep screen of every member, local or on Slurm. q or Ctrl-C leaves.";

export async function runWatch(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("watch", argv, watchSpec);
  if (args.positionals.length !== 1) throw new UsageError("watch takes one run directory or run name", "watch");
  const interval = Number(option(args, "interval") ?? 500);
  if (!Number.isFinite(interval) || interval < 10) throw new UsageError(`--interval must be a number of milliseconds >= 10, not '${option(args, "interval")}'`, "watch");
  const sweep = await sweepFolder(args.positionals[0]!, option(args, "runs-dir") ?? "runs");
  if (sweep) return watchSweep(sweep, args, io, interval);
  const { resolveRun } = await import("../../engine/io/run-dir.js");
  const { followRun } = await import("../../engine/io/follow-run.js");
  const { IoError } = await import("../../engine/io/errors.js");
  let follower;
  let dir: string;
  const listeners: ((e: import("../../engine/events.js").RunEvent) => void)[] = [];
  try {
    dir = resolveRun(args.positionals[0]!, option(args, "runs-dir") ?? "runs");
    follower = followRun(dir, (e) => listeners.forEach((l) => l(e)));
  } catch (err) {
    if (err instanceof IoError || (err instanceof Error && /run|plan/i.test(err.message))) {
      io.stderr(`vpae watch: ${err.message}\n`);
      return EXIT_DIAGNOSTICS;
    }
    throw err;
  }
  return follow(
    follower,
    args,
    interval,
    listeners,
    async () => {
      const { plainSink } = await import("../../sinks/plain.js");
      const { alarmLog } = await import("../../tui/alarm-log.js");
      return [plainSink((l) => io.stdout(l + "\n")), alarmLog((l) => io.stdout(l + "\n"))];
    },
    async (quit) => {
      const { startLive } = await import("../../tui/live.js");
      const live = startLive({ watching: true, color: !process.env["NO_COLOR"], onForceQuit: quit });
      return { listener: live.listener, close: () => live.close() };
    },
  );
}

/**
 * Polls a follower every `interval` ms: with plain lines until what it follows has ended, or on a
 * live screen that stays (a finished run or sweep too) until q or Ctrl-C.
 */
async function follow<E>(
  follower: { poll(): boolean },
  args: ReturnType<typeof parseArgs>,
  interval: number,
  listeners: ((e: E) => void)[],
  plain: () => Promise<((e: E) => void)[]>,
  screen: (quit: () => void) => Promise<{ listener: (e: E) => void; close: () => Promise<void> }>,
): Promise<number> {
  const tui = !flag(args, "no-tui") && process.stdout.isTTY === true && process.stdin.isTTY === true && !process.env["CI"];
  if (!tui) {
    listeners.push(...(await plain()));
    while (follower.poll()) await new Promise((r) => setTimeout(r, interval));
    return EXIT_OK;
  }
  let quit: () => void = () => undefined;
  const left = new Promise<void>((resolve) => (quit = resolve));
  const live = await screen(() => quit());
  listeners.push(live.listener);
  let busy = follower.poll();
  const timer = setInterval(() => {
    if (busy) busy = follower.poll();
  }, interval);
  await left;
  clearInterval(timer);
  await live.close();
  return EXIT_OK;
}

/** The sweep folder the argument names (a folder with members.json, or a sweep under <runs>/sweeps/), else null. */
async function sweepFolder(arg: string, runsDir: string): Promise<string | null> {
  const { existsSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { MEMBERS_FILE, sweepDir } = await import("../../sweep/record.js");
  if (existsSync(join(arg, MEMBERS_FILE))) return arg;
  const named = sweepDir(runsDir, arg);
  return existsSync(join(named, MEMBERS_FILE)) ? named : null;
}

async function watchSweep(dir: string, args: ReturnType<typeof parseArgs>, io: Io, interval: number): Promise<number> {
  const { followSweep } = await import("../../sweep/follow.js");
  const listeners: ((e: import("../../sweep/events.js").SweepEvent) => void)[] = [];
  const follower = followSweep(dir, (e) => listeners.forEach((l) => l(e)));
  return follow(
    follower,
    args,
    interval,
    listeners,
    async () => {
      const { sweepPlainSink } = await import("../../sinks/sweep-plain.js");
      const { belowCwd } = await import("../common.js");
      return [sweepPlainSink((l) => io.stdout(l + "\n"), belowCwd)];
    },
    async (quit) => {
      const { startSweepScreen } = await import("../../tui/sweep-live.js");
      const live = startSweepScreen({ watching: true, color: !process.env["NO_COLOR"], onStop: quit });
      return { listener: live.listener, close: () => live.close() };
    },
  );
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runWatch, usage: watchUsage, summary: watchSummary, spec: watchSpec };
