// vpae report <sweep|file.vpae>: members x final metrics, seeds aggregated, with comparisons against a
// reference member and plots. Reads run folders only: it works on a running sweep (the unfinished
// members say so), a finished one, and on run summaries copied elsewhere (--runs-dir).
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { option, options, parseArgs, type OptionSpec } from "../args.js";
import { overrideOptions, type Io } from "../common.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";
import { loadSweeps } from "../sweep-input.js";
import type { MemberInput } from "../../report/collect.js";

export const reportSpec: Record<string, OptionSpec> = {
  sweep: { value: true, repeat: true, valueName: "NAME", help: "which sweep of the file (repeatable; default: every sweep in it)" },
  "runs-dir": { value: true, valueName: "DIR", help: "where the runs are (default runs); e.g. experiments/results for committed summaries" },
  nfe: { value: true, valueName: "N", help: "the NFE whose scores the table shows (default 1)" },
  role: { value: true, valueName: "student|teacher", help: "whose scores (default student; the teacher's come from vpae eval --role teacher --save)" },
  "in-run": { help: "use each run's own final evaluation (validation clips) even where saved scores exist" },
  clips: { value: true, valueName: "validation|test|seed=N", help: "which clip set's scores (default validation; test and others need vpae eval --clips ... --save)" },
  format: { value: true, valueName: "table|md|csv|json", help: "output format (default table)" },
  sort: { value: true, valueName: "[-]COLUMN", help: "sort by a metric or swept value; a leading - sorts descending" },
  baseline: { value: true, valueName: "MEMBER", help: "reference member (name, index or group such as variant=full): differences and whether each exceeds twice its standard error" },
  plots: { value: true, valueName: "DIR", help: "write SVG and PNG plots to DIR: metrics against each swept value, and training curves" },
  output: { short: "o", value: true, valueName: "FILE", help: "write the table to FILE instead of stdout" },
  ...overrideOptions,
};
export const reportUsage = "vpae report <sweep-dir|sweep name|file.vpae> [--format table|md|csv|json] [--baseline MEMBER] [--sort [-]COL] [--nfe N] [--plots DIR]";
export const reportSummary =
  "Tabulate a sweep's final metrics (semantic alignment, temporal coherence, frame quality, mean, direction accuracy, latency, D gap at the end) with seeds as replicates (mean ± std, n), compare with a reference member, and plot.";

interface Source {
  name: string;
  members: MemberInput[];
}

export async function runReport(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("report", argv, reportSpec);
  if (args.positionals.length !== 1) throw new UsageError("report takes one sweep folder, sweep name or .vpae file", "report");
  const target = args.positionals[0]!;
  const format = option(args, "format") ?? "table";
  if (!["table", "md", "csv", "json"].includes(format)) throw new UsageError(`--format is table, md, csv or json, not '${format}'`, "report");
  const nfeText = option(args, "nfe") ?? "1";
  const nfe = Number(nfeText);
  if (!Number.isSafeInteger(nfe) || nfe < 1) throw new UsageError(`--nfe must be a whole number >= 1, not '${nfeText}'`, "report");
  const role = option(args, "role") ?? "student";
  if (role !== "student" && role !== "teacher") throw new UsageError("--role is student or teacher", "report");
  const runsDir = resolve(option(args, "runs-dir") ?? "runs");
  const { parseClipSet, VALIDATION } = await import("../../engine/world/clip-sets.js");
  const clipsText = option(args, "clips");
  const clips = clipsText === undefined ? VALIDATION : parseClipSet(clipsText);
  if (!clips) throw new UsageError(`--clips is validation, test or seed=N, not '${clipsText}'`, "report");
  const { indexRuns } = await import("../../sweep/runs.js");
  const { IoError } = await import("../../engine/io/errors.js");
  const { readMemberTable, sweepDir } = await import("../../sweep/record.js");

  let sources: Source[];
  try {
    if (target.endsWith(".vpae")) {
      const loaded = await loadSweeps(target, args, io, "report", indexRuns);
      if (!loaded) return EXIT_DIAGNOSTICS;
      sources = loaded.map((s) => ({ name: s.name, members: s.members.map((m) => ({ index: m.index, name: m.name, changes: m.changes, hash: m.plan.hash })) }));
    } else {
      if (options(args, "sweep").length > 0) throw new UsageError("--sweep picks a sweep of a .vpae file; give the sweep folder or name alone", "report");
      const dir = existsSync(join(target, "members.json")) ? resolve(target) : sweepDir(runsDir, target);
      const table = readMemberTable(dir);
      if (!table) {
        io.stderr(`vpae report: ${target} is neither a .vpae file, a sweep folder nor a sweep under ${join(runsDir, "sweeps")}/ (run it with vpae sweep first, or pass the .vpae file)\n`);
        return EXIT_DIAGNOSTICS;
      }
      sources = [{ name: table.sweep, members: table.members }];
    }
  } catch (err) {
    if (err instanceof IoError) {
      io.stderr(`vpae report: ${err.message}\n`);
      return EXIT_DIAGNOSTICS;
    }
    throw err;
  }

  const { collectResults } = await import("../../report/collect.js");
  const { buildTable, renderCsv, renderMarkdown, renderTerminal, tableJson, ReportError } = await import("../../report/table.js");
  const index = indexRuns(runsDir);
  const parts: string[] = [];
  const json: unknown[] = [];
  for (const s of sources) {
    if (args.flags.has("in-run") && clips.name !== VALIDATION.name) throw new UsageError("--in-run reads the runs' own evaluations, which are on the validation clips", "report");
    const results = collectResults(s.members, index, { nfe, role, clips: clips.name, inRun: args.flags.has("in-run") });
    let t;
    try {
      t = buildTable(results, { ...(option(args, "baseline") !== undefined ? { baseline: option(args, "baseline")! } : {}), ...(option(args, "sort") !== undefined ? { sort: option(args, "sort")! } : {}) });
    } catch (err) {
      if (err instanceof ReportError) throw new UsageError(err.message, "report");
      throw err;
    }
    const done = results.filter((r) => r.status === "finished").length;
    const shared = Object.entries(t.fixed).map(([k, v]) => `${k}=${v}`).join(", ");
    const heading = `sweep ${s.name}${shared ? ` (every member: ${shared})` : ""}: ${results.length} members (${done} finished), ${role} at ${nfe} NFE on the ${clips.name} clips${t.baseline ? `, against ${t.baseline.key}` : ""}`;
    if (format === "json") json.push({ sweep: s.name, nfe, role, clips: clips.name, runsDir, ...(tableJson(t) as object) });
    else if (format === "csv") parts.push(renderCsv(t));
    else if (format === "md") parts.push(`**${heading}**\n\n${renderMarkdown(t)}`);
    else parts.push(`${heading}\n\n${renderTerminal(t)}`);
    const plotsDir = option(args, "plots");
    if (plotsDir !== undefined) {
      const { writePlots } = await import("../../report/plots.js");
      const files = await writePlots(t, sources.length > 1 ? join(plotsDir, s.name) : plotsDir, { nfe, title: `sweep ${s.name}` });
      io.stderr(`wrote ${files.length} plot files to ${sources.length > 1 ? join(plotsDir, s.name) : plotsDir}\n`);
    }
  }
  const text = format === "json" ? JSON.stringify(json.length === 1 ? json[0] : json, null, 2) + "\n" : parts.join("\n");
  const out = option(args, "output");
  if (out !== undefined) {
    writeFileSync(out, text);
    io.stderr(`wrote ${out}\n`);
  } else io.stdout(text);
  return EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runReport, usage: reportUsage, summary: reportSummary, spec: reportSpec };
