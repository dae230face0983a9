// vpae run <file.vpae|plan.json> | vpae run --resume <run-dir>: execute a plan on real tensors.
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { flag, option, parseArgs, type OptionSpec } from "../args.js";
import { BACKEND_VALUES, backendOption, overrideOptions, planFromArgument, selectOptions, type Io } from "../common.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";
import { COMPILER_VERSION } from "../../../compiler/version.js";
import { planDir } from "../../engine/io/plan-files.js";

export const runSpec: Record<string, OptionSpec> = {
  backend: { value: true, valueName: BACKEND_VALUES, help: "tensor backend (default: the plan's, normally auto)" },
  "runs-dir": { value: true, valueName: "DIR", help: "where run directories go (default runs)" },
  resume: { help: "continue the run from its last valid checkpoint (give the run directory, or the same .vpae/plan)" },
  force: { help: "train a finished run again from the start; its old folder is kept, renamed with the time it was replaced" },
  "no-tui": { help: "plain progress lines (also when stdout is not a terminal or CI is set)" },
  json: { help: "one JSON event per line on stdout" },
  debug: { help: "check after every step that no tensor leaked" },
  ...selectOptions,
  ...overrideOptions,
};
export const runUsage = "vpae run <file.vpae|plan.json> [--backend B] [--runs-dir DIR] [--resume | --force] [--no-tui] [--json]\n       vpae run --resume <run-dir>";
export const runSummary =
  "Execute a plan: train each phase in order, checkpoint, evaluate, and write everything to runs/<experiment>-<plan hash>/. Ctrl-C stops at the next step boundary after a checkpoint; a second Ctrl-C exits at once.";

const EXIT_STOPPED = 130;

export async function runRun(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("run", argv, runSpec);
  if (args.positionals.length !== 1) throw new UsageError("run takes one .vpae file, plan file or (with --resume) run directory", "run");
  const backend = backendOption(args, "run");
  let target = args.positionals[0]!;
  let runsDir = option(args, "runs-dir") ?? "runs";
  const resume = flag(args, "resume");
  // --resume runs/<name>: the run directory holds its own plan.
  if (existsSync(target) && statSync(target).isDirectory()) {
    if (!resume) throw new UsageError(`${target} is a directory: to continue that run, add --resume`, "run");
    if (!existsSync(join(target, "plan.json"))) throw new UsageError(`${target} is not a run directory (no plan.json)`, "run");
    runsDir = dirname(target);
    target = join(target, "plan.json");
  }
  const plan = await planFromArgument(target, args, io, "run");
  if (!plan) return EXIT_DIAGNOSTICS;

  const { executePlan, RunError, unsupported } = await import("../../engine/runner.js");
  const missing = unsupported(plan);
  if (missing.length > 0) {
    io.stderr(`vpae run: this runtime cannot run ${plan.experiment}:\n${missing.map((m) => `  - ${m}`).join("\n")}\n`);
    return EXIT_DIAGNOSTICS;
  }
  if (flag(args, "force") && resume) throw new UsageError("--force starts the run again and --resume continues it: choose one", "run");
  // A finished run of this very plan: nothing to do, unless --force asks to train it again.
  const { runDirName } = await import("../../engine/io/run-dir.js");
  const { readManifestIfAny } = await import("../../engine/io/manifest.js");
  const folder = join(runsDir, runDirName(plan));
  const previous = readManifestIfAny(folder);
  if (previous?.status === "finished" && !resume) {
    if (!flag(args, "force")) {
      io.stdout(`${plan.experiment}: already finished in ${folder}; nothing to do (vpae eval ${folder} scores it; --force trains it again)\n`);
      return EXIT_OK;
    }
    const { renameSync } = await import("node:fs");
    const kept = `${folder}.replaced-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(folder, kept);
    io.stderr(`the finished run was moved to ${kept}\n`);
  }
  const control: { stopRequested: boolean; paused?: boolean; sampleRequested?: boolean } = { stopRequested: false };
  const listeners = [];
  // The live screen needs a terminal; pipes, CI and --no-tui get plain lines, --json one event per line.
  const tui = !flag(args, "json") && !flag(args, "no-tui") && process.stdout.isTTY === true && process.stdin.isTTY === true && !process.env["CI"];
  let live: import("../../tui/live.js").LiveScreen | undefined;
  if (flag(args, "json")) {
    const { jsonSink } = await import("../../sinks/plain.js");
    listeners.push(jsonSink((l) => io.stdout(l + "\n")));
  } else if (tui) {
    const { startLive } = await import("../../tui/live.js");
    live = startLive({ control, color: !process.env["NO_COLOR"], onForceQuit: () => process.exit(EXIT_STOPPED) });
    listeners.push(live.listener);
  } else {
    const { plainSink } = await import("../../sinks/plain.js");
    const { alarmLog } = await import("../../tui/alarm-log.js");
    listeners.push(plainSink((l) => io.stdout(l + "\n")), alarmLog((l) => io.stdout(l + "\n")));
  }
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      control.stopRequested = true;
      io.stderr("\nstopping at the next step boundary (a checkpoint is written); press Ctrl-C again to exit at once\n");
    } else process.exit(EXIT_STOPPED); // everything already written is complete: writes are atomic
  };
  process.on("SIGINT", onSigint);
  const started = performance.now();
  try {
    const result = await executePlan(plan, {
      runsDir,
      resume,
      ...(backend !== undefined ? { backend } : {}),
      listeners,
      control,
      baseDir: planDir(plan),
      leakCheck: flag(args, "debug"),
      vpaeVersion: COMPILER_VERSION,
    });
    if (result.status === "failed") {
      io.stderr(`vpae run: ${result.reason}\n`);
      return EXIT_DIAGNOSTICS;
    }
    return result.status === "stopped" ? EXIT_STOPPED : EXIT_OK;
  } catch (err) {
    const io_ = await import("../../engine/io/errors.js");
    if (err instanceof RunError || err instanceof io_.IoError) {
      io.stderr(`vpae run: ${err.message}\n`);
      return EXIT_DIAGNOSTICS;
    }
    throw err;
  } finally {
    process.off("SIGINT", onSigint);
    if (live) {
      await live.close();
      const { ms, frames } = live.cost();
      const v = live.view;
      const total = performance.now() - started;
      io.stdout(`run ${v.status} at step ${v.step}${v.reason ? `: ${v.reason}` : ""}\n${v.runDir}\n`);
      io.stdout(`screen: ${frames} frames, ${(ms / 1000).toFixed(2)} s of rendering (${((100 * ms) / Math.max(1, total)).toFixed(2)}% of the run)\n`);
    }
  }
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runRun, usage: runUsage, summary: runSummary, spec: runSpec };
