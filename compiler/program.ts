// The compiler's driver: load files (and their imports) -> syntax -> scopes (load.ts) -> experiment
// trees -> overrides (build.ts) -> lowering -> semantic checks -> plan + hash + schema validation
// (emit.ts). Sweeps expand here too (sweep.ts).
// Nothing throws for user errors: everything comes back as diagnostics.
import type { ExperimentDecl, SourceFile } from "./syntax/ast.js";
import { D, DiagnosticBag, type Diagnostic } from "./diagnostics/diagnostic.js";
import { didYouMean } from "./diagnostics/suggest.js";
import { loadProgram, nodeHost, projectRoot, realOrResolved, type Host, type Program } from "./load.js";
import { applyOverrides, buildTree, type Override } from "./build.js";
import { planFromTree, type CompiledPlan } from "./emit.js";
import { expandSweep, type SweepMember } from "./sweep.js";

export interface CompileResult {
  program: Program;
  /** One per non-template experiment of the entry file (or the one chosen). */
  plans: CompiledPlan[];
  sweeps: { name: string; members: SweepMember[] }[];
  diagnostics: Diagnostic[];
}

// ---- the entry point ----

export interface CompileOptions {
  host?: Host;
  overrides?: Override[];
  /** Compile only this experiment (by name) of the entry file. */
  experiment?: string;
  /** Expand sweeps (off for `check` of big sweeps is never needed: expansion is cheap). */
  sweeps?: boolean;
  /** Extra sources to show in code frames (--set, --params). */
  sources?: Map<string, string>;
  /**
   * Folders beyond the entry file's project that imports may read (`--import-root`). Imports are
   * confined to the project whenever files come from the disk (the default host).
   */
  importRoots?: string[];
  /**
   * Plans for checking only: their plan and phase hashes stay empty and they carry no source map.
   * `vpae check` prints only problems; hashing every sweep member was a tenth of its time.
   */
  checkOnly?: boolean;
}

export function compileFile(entry: string, options: CompileOptions = {}): CompileResult {
  const bag = new DiagnosticBag();
  const host = options.host ?? nodeHost;
  const access = host === nodeHost || options.importRoots !== undefined ? { roots: [projectRoot(entry), ...(options.importRoots ?? []).map(realOrResolved)] } : null;
  const program = loadProgram(entry, host, bag, access);
  for (const [k, v] of options.sources ?? []) program.sources.set(k, v);
  const result: CompileResult = { program, plans: [], sweeps: [], diagnostics: bag.items };
  const file = program.files.get(entry);
  if (!file || bag.hasErrors()) return result;
  const scope = program.fileScopes.get(entry)!;
  const experiments = file.items.filter((i): i is ExperimentDecl => i.kind === "experiment" && !i.template);
  if (options.experiment !== undefined && !experiments.some((e) => e.name.text === options.experiment)) {
    const hint = didYouMean(options.experiment, experiments.map((e) => e.name.text));
    bag.report(D.unknownExperiment, [`'${options.experiment}'`], undefined, hint ? { hint } : { hint: `experiments in ${entry}: ${experiments.map((e) => e.name.text).join(", ") || "none"}` });
    return result;
  }
  const usedParams = new Set<string>();
  for (const decl of experiments) {
    if (options.experiment !== undefined && decl.name.text !== options.experiment) continue;
    const tree = buildTree(program, decl, scope, bag);
    if (!tree) continue;
    applyOverrides(tree, options.overrides ?? [], scope, bag);
    const compiled = planFromTree(tree, { experiment: decl.name.text, sourceFile: entry, sweep: null, usedParams, checkOnly: options.checkOnly ?? false }, bag);
    if (compiled) result.plans.push(compiled);
  }
  // A file-level parameter is unused when no experiment of the file reads it.
  if (options.experiment === undefined && experiments.length > 0) {
    for (const [name, p] of scope.params) {
      const overridden = (options.overrides ?? []).some((o) => o.path.length === 1 && o.path[0] === name);
      if (!usedParams.has(name) && !overridden && !sweepAxes(file).has(name)) bag.report(D.unusedParam, [`'${name}'`], p.name.span);
    }
  }
  if (options.sweeps !== false) {
    for (const item of file.items) {
      if (item.kind !== "sweep") continue;
      const members = expandSweep(program, item, scope, bag, options.overrides ?? [], entry, options.checkOnly ?? false);
      if (members) result.sweeps.push({ name: item.name.text, members });
    }
  }
  return result;
}

/** Parameters that a sweep of the file sets through an axis (they count as used). */
function sweepAxes(file: SourceFile): Set<string> {
  const out = new Set<string>();
  for (const item of file.items) if (item.kind === "sweep") for (const e of item.entries) if (e.kind === "axis" && e.values) out.add(e.name.text);
  return out;
}
