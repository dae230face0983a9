// vpae sample <run|checkpoint> --nfe N: GIF grids of generated clips beside their condition frames.
import { dirname, join } from "node:path";
import { flag, option, parseArgs, type OptionSpec } from "../args.js";
import type { Io } from "../common.js";
import { clipsOption, openTrainedFromArgs, trainedOptions } from "../trained.js";
import { EXIT_DIAGNOSTICS, EXIT_OK } from "../errors.js";
import { parseCounts, parseSamples } from "./eval.js";

export const sampleSpec: Record<string, OptionSpec> = {
  nfe: { value: true, valueName: "N", help: "network evaluations per video (default: the model's own sampler)" },
  samples: { value: true, valueName: "N", help: "clips (default 8)" },
  output: { short: "o", value: true, valueName: "FILE.gif", help: "where to write the grid (default: the run's samples/ folder)" },
  json: { help: "print what was written as JSON" },
  ...clipsOption,
  ...trainedOptions,
};
export const sampleUsage = "vpae sample <run|checkpoint> [--nfe N] [--samples N] [--clips validation|test|seed=N] [-o grid.gif] [--role teacher|student]";
export const sampleSummary = "Generate clips from a clip set's condition frames and prompts (validation by default), and write a GIF grid: condition frame, real clip, generated clip.";

export async function runSample(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("sample", argv, sampleSpec);
  const nfe = (await parseCounts(option(args, "nfe"), "--nfe", "sample"))?.[0];
  const n = parseSamples(option(args, "samples"), "sample") ?? 8;
  const opened = await openTrainedFromArgs(args, io, "sample");
  if (!opened) return EXIT_DIAGNOSTICS;
  const { trained } = opened;
  const inf = await import("../../engine/inference.js");
  const own = inf.ownSampler(trained);
  const k = nfe ?? own.nfe;
  const batch = trained.model.world.evalBatch(n);
  const { video, latencyMs } = await inf.generate(trained.model, trained.params, batch, inf.samplerFor(k, own), trained.plan.seed ^ 0x5eed);
  // by default beside the run's own samples, or beside a loose weights file
  const out = option(args, "output") ?? (trained.runDir !== null ? join(trained.runDir, "samples", `sample-${trained.role}-nfe${k}.gif`) : join(dirname(trained.checkpoint), `sample-${trained.role}-nfe${k}.gif`));
  const { mkdirSync } = await import("node:fs");
  mkdirSync(dirname(out), { recursive: true });
  inf.writeSampleGrid(out, batch, video, n);
  if (flag(args, "json")) io.stdout(JSON.stringify({ file: out, nfe: k, clips: n, weights: trained.source, latencyMs }) + "\n");
  else io.stdout(`wrote ${out}: ${n} clips at ${k} NFE (${trained.source} weights; ${(latencyMs / n).toFixed(1)} ms per video)\n`);
  return EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runSample, usage: sampleUsage, summary: sampleSummary, spec: sampleSpec };
