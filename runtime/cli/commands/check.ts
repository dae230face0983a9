// vpae check <files...>: compile every experiment and sweep member, print only problems.
import { flag, parseArgs, type OptionSpec } from "../args.js";
import { compileWithFlags, jsonDiagnostics, overrideOptions, printDiagnostics, type Io } from "../common.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";
import type { Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";

export const checkSpec: Record<string, OptionSpec> = {
  json: { help: "print a JSON report (diagnostics array always present) instead of text" },
  ...overrideOptions,
};
export const checkUsage = "vpae check <file.vpae...> [--json] [--set PATH=VALUE] [--params FILE.yaml]";
export const checkSummary = "Parse, resolve and check .vpae files, including every sweep member. Prints nothing but problems and a summary line.";

export async function runCheck(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("check", argv, checkSpec);
  if (args.positionals.length === 0) throw new UsageError("check needs at least one .vpae file", "check");
  const all: Diagnostic[] = [];
  const files: { file: string; experiments: string[]; sweeps: { name: string; members: number }[]; errors: number }[] = [];
  for (const file of args.positionals) {
    const { result, diagnostics, sources } = await compileWithFlags(file, args);
    all.push(...diagnostics);
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    files.push({ file, experiments: result.plans.map((p) => p.name), sweeps: result.sweeps.map((s) => ({ name: s.name, members: s.members.length })), errors });
    if (!flag(args, "json")) printDiagnostics(io, diagnostics, sources);
  }
  const errors = all.filter((d) => d.severity === "error").length;
  if (flag(args, "json")) io.stdout(jsonDiagnostics(all, { files }));
  else {
    for (const f of files) {
      if (f.errors > 0) continue;
      const parts = [`${f.experiments.length} experiment${f.experiments.length === 1 ? "" : "s"}`];
      for (const s of f.sweeps) parts.push(`sweep ${s.name}: ${s.members} member${s.members === 1 ? "" : "s"}`);
      io.stdout(`ok  ${f.file} (${parts.join(", ")})\n`);
    }
  }
  return errors > 0 ? EXIT_DIAGNOSTICS : EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runCheck, usage: checkUsage, summary: checkSummary, spec: checkSpec };
