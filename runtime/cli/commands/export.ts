// vpae export <run|checkpoint> -o model.safetensors: one role's weights (its EMA by default) as a small
// standalone safetensors file, e.g. the trained toy teacher that the distillation experiments load.
import { option, parseArgs, type OptionSpec } from "../args.js";
import type { Io } from "../common.js";
import { openTrainedFromArgs, trainedOptions } from "../trained.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";

export const exportSpec: Record<string, OptionSpec> = {
  output: { short: "o", value: true, valueName: "FILE.safetensors", help: "where to write (required)" },
  ...trainedOptions,
};
export const exportUsage = "vpae export <run|checkpoint> -o FILE.safetensors [--role teacher|student] [--raw]";
export const exportSummary = "Write one role's weights (EMA by default) as `<role>/<name>` tensors, with the run's plan hash, step and source in the metadata.";

export async function runExport(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("export", argv, exportSpec);
  const out = option(args, "output");
  if (!out) throw new UsageError("export needs -o FILE.safetensors", "export");
  const opened = await openTrainedFromArgs(args, io, "export");
  if (!opened) return EXIT_DIAGNOSTICS;
  const { trained } = opened;
  const { writeSafetensors } = await import("../../engine/io/safetensors.js");
  const { mkdirSync } = await import("node:fs");
  const { dirname } = await import("node:path");
  const tensors = new Map<string, { dtype: "F32"; shape: number[]; data: Float32Array }>();
  for (const [name, v] of trained.params) tensors.set(`${trained.role}/${name}`, { dtype: "F32", shape: [...v.shape], data: (await v.data()) as Float32Array });
  mkdirSync(dirname(out), { recursive: true });
  const sha = writeSafetensors(out, tensors, {
    role: trained.role,
    weights: trained.source,
    plan_hash: trained.plan.hash,
    experiment: trained.plan.experiment,
    checkpoint: trained.checkpoint,
  });
  io.stdout(`wrote ${out}: ${trained.source} weights of ${trained.plan.experiment} (${tensors.size} tensors, sha256 ${sha.slice(0, 16)}...)\n`);
  return EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runExport, usage: exportUsage, summary: exportSummary, spec: exportSpec };
