// vpae plan <file>: what a run would do, on one screen. vpae plan --diff A B: what changed between two
// plans and which phases the change forces to re-run.
import { flag, option, parseArgs, type OptionSpec } from "../args.js";
import { overrideOptions, planFromArgument, selectOptions, type Io } from "../common.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";
import { renderDiff, renderPlanSummary } from "../views/plan-view.js";
import { diffPlans } from "../../../compiler/plan/diff.js";
import { estimatePhase, callsPerUpdate } from "../../../compiler/estimate.js";

export const planSpec: Record<string, OptionSpec> = {
  diff: { help: "compare two plans (.vpae or plan.json): vpae plan --diff A B" },
  json: { help: "print the summary (or the diff) as JSON" },
  ...selectOptions,
  ...overrideOptions,
};
export const planUsage = "vpae plan <file.vpae|plan.json> [--experiment NAME] [--member M] [--json]\n       vpae plan --diff <A> <B> [--json]";
export const planSummary =
  "Summarise a plan: world, models, roles, phases with their losses and update ratios, network calls per update, and the estimated training memory per role and phase. With --diff, list what changed between two plans and which phases must re-run.";

export async function runPlan(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("plan", argv, planSpec);
  if (flag(args, "diff")) {
    if (args.positionals.length !== 2) throw new UsageError("--diff needs exactly two files: vpae plan --diff A B", "plan");
    const [fa, fb] = args.positionals as [string, string];
    const a = await planFromArgument(fa, args, io, "plan");
    const b = await planFromArgument(fb, args, io, "plan");
    if (!a || !b) return EXIT_DIAGNOSTICS;
    const d = diffPlans(a, b);
    io.stdout(flag(args, "json") ? JSON.stringify({ from: a.hash, to: b.hash, ...d }, null, 2) + "\n" : renderDiff(a, b, d, [fa, fb]));
    return EXIT_OK;
  }
  if (args.positionals.length !== 1) throw new UsageError("plan takes one file (or --diff A B)", "plan");
  if (option(args, "member") !== undefined && args.positionals[0]!.endsWith(".json")) throw new UsageError("--member applies to .vpae files", "plan");
  const plan = await planFromArgument(args.positionals[0]!, args, io, "plan");
  if (!plan) return EXIT_DIAGNOSTICS;
  if (flag(args, "json")) {
    const phases = plan.phases.map((p) => ({ name: p.name, hash: p.hash, steps: p.steps, calls: callsPerUpdate(plan, p), memory: estimatePhase(plan, p) }));
    io.stdout(JSON.stringify({ experiment: plan.experiment, hash: plan.hash, phases }, null, 2) + "\n");
  } else io.stdout(renderPlanSummary(plan));
  return EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runPlan, usage: planUsage, summary: planSummary, spec: planSpec };
