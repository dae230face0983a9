// vpae eval <run|checkpoint>: score generated clips against the world's ground truth at several NFE,
// with the diffusion latency per video (model time only), all in one process.
import { meanOfGroups } from "../../engine/eval/groups.js";
import { flag, option, parseArgs, type OptionSpec } from "../args.js";
import type { Io } from "../common.js";
import { clipsOption, openTrainedFromArgs, trainedOptions } from "../trained.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";

export const evalSpec: Record<string, OptionSpec> = {
  nfe: { value: true, valueName: "N,N,...", help: "network evaluations per video to test (default: the plan's eval.nfe); the model's own NFE uses its sampler (e.g. 100 = 50 steps x CFG), others that many plain Euler steps" },
  samples: { value: true, valueName: "N", help: "clips of the fixed evaluation set (default: the plan's eval.samples)" },
  json: { help: "print the results as JSON" },
  save: { help: "also write them into the run folder as scores-<role>-<clips>.json (what vpae report reads)" },
  ...clipsOption,
  ...trainedOptions,
};
export const evalUsage = "vpae eval <run|checkpoint> [--nfe 1,4,100] [--samples N] [--clips validation|test|seed=N] [--role teacher|student] [--raw] [--json] [--save]";
export const evalSummary = "Score a trained model on a fixed clip set of the world (validation by default): semantic alignment, temporal coherence and frame quality (0-100, docs/metrics.md), direction accuracy, and the diffusion latency per video for each NFE.";

export async function parseCounts(text: string | undefined, what: string, command: string): Promise<number[] | undefined> {
  if (text === undefined) return undefined;
  const list = text.split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`${what} must be positive whole numbers separated by commas, not '${text}'`, command);
  return list;
}

/** Most clips a command generates and scores at once (they are held in memory together). */
export const MAX_SAMPLES = 4096;

/** `--samples N`: one whole number of clips, from 1 to MAX_SAMPLES. */
export function parseSamples(text: string | undefined, command: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  if (text.trim() === "" || !Number.isInteger(n)) throw new UsageError(`--samples takes a whole number of clips, not '${text}'`, command);
  if (n < 1) throw new UsageError(`--samples ${text} would score no clip; give 1 or more`, command);
  if (n > MAX_SAMPLES) throw new UsageError(`--samples is at most ${MAX_SAMPLES} (the clips are generated and scored in memory at once), not ${text}`, command);
  return n;
}

export async function runEval(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("eval", argv, evalSpec);
  const nfes = await parseCounts(option(args, "nfe"), "--nfe", "eval");
  const samples = parseSamples(option(args, "samples"), "eval");
  const opened = await openTrainedFromArgs(args, io, "eval");
  if (!opened) return EXIT_DIAGNOSTICS;
  const { trained, backend, clips } = opened;
  const inf = await import("../../engine/inference.js");
  const plan = trained.plan;
  const batch = trained.model.world.evalBatch(samples ?? plan.eval.samples);
  const rows = [];
  for (const nfe of nfes ?? plan.eval.nfe) {
    rows.push((await inf.evaluateAt(trained.model, trained.params, inf.ownSampler(trained), batch, nfe, plan.seed ^ 0x5eed)).summary);
  }
  const record = { run: trained.runDir, checkpoint: trained.checkpoint, weights: trained.source, backend, clips: clips.name, samples: batch.n, results: rows };
  if (flag(args, "save")) {
    // scores belong to a run folder (vpae report reads them there); a loose weights file has none
    if (trained.runDir === null) throw new UsageError(`--save writes into a run folder, and ${trained.checkpoint} is not in one (print the scores, or --json)`, "eval");
    const { writeScores } = await import("../../engine/io/scores.js");
    const file = writeScores(trained.runDir, trained.role, clips.name, { ...record, run: trained.runDir, role: trained.role, raw: flag(args, "raw"), time: new Date().toISOString() });
    if (!flag(args, "json")) io.stderr(`wrote ${file}\n`);
  }
  if (flag(args, "json")) {
    io.stdout(JSON.stringify(record, null, 2) + "\n");
    return EXIT_OK;
  }
  io.stdout(`${plan.experiment}: ${trained.source} weights from ${trained.checkpoint}\n${batch.n} ${clips.name} clips, backend ${backend}\n\n`);
  io.stdout(`${"NFE".padStart(5)}  ${"semantic".padStart(8)}  ${"temporal".padStart(8)}  ${"quality".padStart(8)}  ${"mean".padStart(6)}  ${"direction".padStart(9)}  ${"speeds".padStart(6)}  latency/video\n`);
  for (const r of rows) {
    const mean = meanOfGroups(r.semantic_alignment, r.temporal_coherence, r.frame_quality);
    const speeds = typeof r.speed_coverage === "number" ? `${r.speed_coverage.toFixed(0)}%` : "—";
    io.stdout(`${String(r.nfe).padStart(5)}  ${r.semantic_alignment.toFixed(1).padStart(8)}  ${r.temporal_coherence.toFixed(1).padStart(8)}  ${r.frame_quality.toFixed(1).padStart(8)}  ${mean.toFixed(1).padStart(6)}  ${(r.direction_accuracy.toFixed(0) + "%").padStart(9)}  ${speeds.padStart(6)}  ${r.latencyPerVideoMs.toFixed(1)} ms\n`);
  }
  io.stdout("speeds: how evenly the clips use the world's possible speeds, 100% both equally (docs/metrics.md)\n");
  return EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runEval, usage: evalUsage, summary: evalSummary, spec: evalSpec };
