// vpae compile <file>: the plan as JSON or YAML; --list shows every experiment and sweep member.
import { flag, option, parseArgs, type OptionSpec } from "../args.js";
import { compileWithFlags, jsonDiagnostics, overrideOptions, pickPlan, printDiagnostics, type Io } from "../common.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";
import { writeFileAtomic } from "../write-file.js";
import type { CompileResult } from "../../../compiler/program.js";

export const compileSpec: Record<string, OptionSpec> = {
  output: { short: "o", value: true, valueName: "FILE", help: "write the plan to FILE (atomically) instead of stdout" },
  experiment: { value: true, valueName: "NAME", help: "which experiment of the file (when it has several)" },
  member: { value: true, valueName: "NAME|INDEX", help: "compile one sweep member instead (see --list)" },
  list: { help: "list every experiment and sweep member with its changed values and plan hash" },
  format: { value: true, valueName: "json|yaml", help: "output format of the plan (default json)" },
  json: { help: "report diagnostics as JSON on stdout (with --list: the list as JSON)" },
  ...overrideOptions,
};
export const compileUsage = "vpae compile <file.vpae> [-o plan.json] [--experiment NAME] [--member M] [--list] [--format json|yaml]";
export const compileSummary = "Compile a .vpae file to its execution plan (validated against docs/plan.schema.json).";

function formatChange(c: { path: string; value: unknown }): string {
  return `${c.path}=${typeof c.value === "string" ? c.value : JSON.stringify(c.value)}`;
}

function listing(result: CompileResult): { text: string; json: unknown } {
  const rows: string[] = [];
  const json: { experiments: unknown[]; sweeps: unknown[] } = { experiments: [], sweeps: [] };
  for (const p of result.plans) {
    rows.push(`experiment ${p.name}  ${p.plan.hash.slice(0, 12)}  ${p.plan.phases.map((ph) => `${ph.name}:${ph.steps}`).join(" -> ")}`);
    json.experiments.push({ name: p.name, hash: p.plan.hash, phases: p.plan.phases.map((ph) => ({ name: ph.name, steps: ph.steps, hash: ph.hash })) });
  }
  for (const s of result.sweeps) {
    rows.push("", `sweep ${s.name} (${s.members.length} member${s.members.length === 1 ? "" : "s"})`);
    const width = String(s.members.length - 1).length;
    for (const m of s.members) {
      rows.push(`  ${String(m.index).padStart(width)}  ${m.plan ? m.plan.hash.slice(0, 12) : "(invalid)   "}  ${m.changes.map(formatChange).join("  ") || "(base)"}`);
    }
    json.sweeps.push({ name: s.name, members: s.members.map((m) => ({ index: m.index, name: m.name, changes: m.changes, hash: m.plan?.hash ?? null })) });
  }
  return { text: rows.join("\n") + "\n", json };
}

export async function runCompile(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("compile", argv, compileSpec);
  if (args.positionals.length !== 1) throw new UsageError("compile takes exactly one .vpae file", "compile");
  const format = option(args, "format") ?? "json";
  if (format !== "json" && format !== "yaml") throw new UsageError(`--format must be json or yaml, not ${format}`, "compile");
  const experiment = option(args, "experiment");
  const { result, diagnostics, sources } = await compileWithFlags(args.positionals[0]!, args, experiment !== undefined ? { experiment } : {});
  const errors = diagnostics.some((d) => d.severity === "error");
  if (flag(args, "json") && (errors || !flag(args, "list"))) io.stdout(jsonDiagnostics(diagnostics));
  else printDiagnostics(io, diagnostics, sources);
  if (errors) return EXIT_DIAGNOSTICS;
  if (flag(args, "list")) {
    const l = listing(result);
    io.stdout(flag(args, "json") ? JSON.stringify(l.json, null, 2) + "\n" : l.text);
    return EXIT_OK;
  }
  const plan = pickPlan(result, option(args, "member"), "compile");
  const text = format === "yaml" ? (await import("yaml")).stringify(plan) : JSON.stringify(plan, null, 2) + "\n";
  const out = option(args, "output");
  if (out !== undefined) {
    writeFileAtomic(out, text);
    io.stderr(`wrote ${out} (plan ${plan.hash.slice(0, 12)})\n`);
  } else if (!flag(args, "json")) io.stdout(text);
  return EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runCompile, usage: compileUsage, summary: compileSummary, spec: compileSpec };
