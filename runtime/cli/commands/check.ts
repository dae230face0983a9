// vpae check <files...>: compile every experiment and sweep member, print only problems.
import { flag, parseArgs, type OptionSpec } from "../args.js";
import { compileWithFlags, jsonDiagnostics, overrideOptions, printDiagnostics, type Io } from "../common.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";
import { D, diag, type Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";
import type { CompileResult } from "../../../compiler/program.js";
import { runtimeGaps } from "../../../compiler/plan/support.js";

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
  const bugs: { file: string; error: unknown }[] = [];
  for (const file of args.positionals) {
    let compiled: Awaited<ReturnType<typeof compileWithFlags>>;
    try {
      compiled = await compileWithFlags(file, args, { checkOnly: true });
    } catch (error) {
      // a bug in vpae: the other files are still checked and reported, then it is reported as a bug
      bugs.push({ file, error });
      continue;
    }
    const { result, sources } = compiled;
    const diagnostics = [...compiled.diagnostics, ...gapWarnings(result)];
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
  if (bugs.length > 0) {
    const first = bugs[0]!;
    const why = first.error instanceof Error ? first.error.message : String(first.error);
    throw Object.assign(new Error(`checking ${bugs.map((b) => b.file).join(", ")} failed: ${why}`), { stack: first.error instanceof Error ? first.error.stack : undefined });
  }
  return errors > 0 ? EXIT_DIAGNOSTICS : EXIT_OK;
}

/** A warning for each thing the runtime cannot run in an experiment's plan (compiler/plan/support.ts). */
function gapWarnings(result: CompileResult): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of result.plans) {
    for (const g of runtimeGaps(p.plan)) {
      // the nearest pointer the source map knows: /teacher/arch/modulation, else /teacher/arch, ...
      let at = g.pointer;
      while (at && !p.spans.has(at)) at = at.slice(0, at.lastIndexOf("/"));
      out.push(diag(D.runtimeGap, [`'${p.name}'`, g.reason], p.spans.get(at)));
    }
  }
  return out;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runCheck, usage: checkUsage, summary: checkSummary, spec: checkSpec };
