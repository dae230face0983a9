// What every compiling command shares: overrides from flags, compiling, printing diagnostics.
import { readFileSync } from "node:fs";
import { DiagnosticBag, type Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { renderHuman, renderJson } from "../../compiler/diagnostics/render.js";
import { compileFile, type CompileResult } from "../../compiler/program.js";
import { parseSetOverride, type Override } from "../../compiler/build.js";
import { unreadableReason } from "../../compiler/load.js";
import type { OptionSpec, ParsedArgs } from "./args.js";
import type { Plan } from "../../compiler/plan/schema.js";
import { UsageError } from "./errors.js";
import { isPlanPath, parsePlan } from "../../compiler/plan-file.js";
import { option, options } from "./args.js";
import { BACKENDS, isKind, type Backend } from "../../compiler/plan/kinds.js";
import { didYouMean } from "../../compiler/diagnostics/suggest.js";

export const overrideOptions: Record<string, OptionSpec> = {
  set: { value: true, repeat: true, valueName: "PATH=VALUE", help: "override a parameter or setting (repeatable), e.g. --set lr=2e-6" },
  params: { value: true, valueName: "FILE.yaml", help: "override parameters/settings from a YAML mapping" },
  "import-root": { value: true, repeat: true, valueName: "DIR", help: "let imports read .vpae files under DIR too (default: only inside the entry file's project)" },
};

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  color: boolean;
}

/** Paths below the working folder made relative in a text (`runs/sweeps/x`, not `/home/.../runs/sweeps/x`). */
export function belowCwd(text: string): string {
  const cwd = process.cwd().replace(/\/+$/, "");
  return cwd === "" ? text : text.split(`${cwd}/`).join("");
}

export const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  color: Boolean(process.stderr.isTTY) && !process.env["NO_COLOR"] && process.env["TERM"] !== "dumb",
};

/** A file's text, or undefined when it cannot be read (reportUnreadable says why). */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** VPAE5001 for a file named on the command line, with the reason it cannot be read. */
async function reportUnreadable(bag: DiagnosticBag, path: string): Promise<void> {
  const why = unreadableReason(path, false);
  bag.report((await import("../../compiler/diagnostics/catalog.js")).D.fileNotFound, [`'${path}'`], undefined, why ? { hint: why } : undefined);
}

/** Overrides from --params (applied first) and --set (applied after, so they win). */
export async function readOverrides(args: ParsedArgs, bag: DiagnosticBag, sources: Map<string, string>): Promise<Override[]> {
  const out: Override[] = [];
  const paramsPath = option(args, "params");
  if (paramsPath !== undefined) {
    const text = readText(paramsPath);
    if (text === undefined) await reportUnreadable(bag, paramsPath);
    else {
      sources.set(paramsPath, text);
      const { readParamsFile } = await import("../../compiler/params-file.js");
      out.push(...readParamsFile(paramsPath, text, bag));
    }
  }
  options(args, "set").forEach((s, i) => {
    const o = parseSetOverride(s, i + 1, bag, sources);
    if (o) out.push(o);
  });
  return out;
}

export async function compileWithFlags(file: string, args: ParsedArgs, extra: { experiment?: string; checkOnly?: boolean } = {}): Promise<{ result: CompileResult; diagnostics: Diagnostic[]; sources: Map<string, string> }> {
  const bag = new DiagnosticBag();
  const sources = new Map<string, string>();
  const overrides = await readOverrides(args, bag, sources);
  const importRoots = options(args, "import-root");
  if (bag.hasErrors()) {
    const empty = compileFile(file, { sweeps: false, overrides: [], importRoots, ...(extra.experiment !== undefined ? { experiment: extra.experiment } : {}) });
    return { result: { ...empty, plans: [], sweeps: [] }, diagnostics: [...bag.items], sources: new Map([...sources, ...empty.program.sources]) };
  }
  const result = compileFile(file, { overrides, sources, importRoots, checkOnly: extra.checkOnly ?? false, ...(extra.experiment !== undefined ? { experiment: extra.experiment } : {}) });
  return { result, diagnostics: [...bag.items, ...result.diagnostics], sources: result.program.sources };
}

export function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>): void {
  if (diagnostics.length === 0) return;
  io.stderr(renderHuman(diagnostics, { color: io.color, sources }) + "\n");
}

export function jsonDiagnostics(diagnostics: readonly Diagnostic[], extra: Record<string, unknown> = {}): string {
  return renderJson(diagnostics, extra) + "\n";
}

/** The one plan a command works on: the file's experiment, or a sweep member (--member). */
export function pickPlan(result: CompileResult, member: string | undefined, command: string): Plan {
  if (member === undefined) {
    if (result.plans.length === 1) return result.plans[0]!.plan;
    if (result.plans.length === 0) throw new UsageError("the file declares no experiment (only templates or sweeps?); use --member to compile a sweep member", command);
    throw new UsageError(`the file declares ${result.plans.length} experiments (${result.plans.map((p) => p.name).join(", ")}); choose one with --experiment`, command);
  }
  const matches = result.sweeps.flatMap((s) => s.members.filter((m) => m.name === member || String(m.index) === member || `${s.name}/${m.name}` === member || `${s.name}/${m.index}` === member).map((m) => ({ sweep: s.name, m })));
  if (matches.length === 0) throw new UsageError(`no sweep member '${member}' (see vpae compile --list)`, command);
  if (matches.length > 1) {
    const sweeps = new Set(matches.map((x) => x.sweep));
    // one sweep with a repeated value names two members alike: only the index tells them apart
    if (sweeps.size === 1) throw new UsageError(`'${member}' names members ${matches.map((x) => x.m.index).join(" and ")} of sweep ${matches[0]!.sweep} (a value is repeated); give the index, e.g. --member ${matches[0]!.sweep}/${matches[0]!.m.index}`, command);
    throw new UsageError(`'${member}' names members of sweeps ${[...sweeps].join(" and ")}; write SWEEP/${member.replace(/^[^/]*\//, "")}, e.g. ${matches[0]!.sweep}/${member.replace(/^[^/]*\//, "")}`, command);
  }
  return matches[0]!.m.plan!;
}


export const selectOptions: Record<string, OptionSpec> = {
  experiment: { value: true, valueName: "NAME", help: "which experiment of the file (when it has several)" },
  member: { value: true, valueName: "NAME|INDEX", help: "a sweep member instead of the experiment (see vpae compile --list)" },
};

/**
 * A plan from a command-line argument: a compiled plan file (*.json, re-validated and hash-checked) or
 * a .vpae file compiled with the command's --set/--params/--experiment/--member flags.
 */
export async function planFromArgument(file: string, args: ParsedArgs, io: Io, command: string): Promise<Plan | undefined> {
  if (isPlanPath(file)) {
    const bag = new DiagnosticBag();
    const text = readText(file);
    if (text === undefined) {
      await reportUnreadable(bag, file);
      printDiagnostics(io, bag.items, new Map());
      return undefined;
    }
    const plan = parsePlan(file, text, bag);
    // Schema errors point into the .vpae source through the plan's source map: show those lines too.
    const sources = new Map([[file, text]]);
    for (const d of bag.items) {
      const f = d.span?.file;
      if (f && !sources.has(f)) {
        try {
          sources.set(f, readFileSync(f, "utf8"));
        } catch {
          // the source moved or is gone: the message still names file:line:col
        }
      }
    }
    printDiagnostics(io, bag.items, sources);
    return plan;
  }
  const experiment = option(args, "experiment");
  const { result, diagnostics, sources } = await compileWithFlags(file, args, experiment !== undefined ? { experiment } : {});
  printDiagnostics(io, diagnostics, sources);
  if (diagnostics.some((d) => d.severity === "error")) return undefined;
  return pickPlan(result, option(args, "member"), command);
}

/** `--backend`'s value names for a command's help. */
export const BACKEND_VALUES = BACKENDS.join("|");

/** The `--backend` option, checked against the plan's backend kinds (a usage error names them). */
export function backendOption(args: ParsedArgs, command: string): Backend | undefined {
  const b = option(args, "backend");
  if (b === undefined || isKind(BACKENDS, b)) return b;
  const hint = didYouMean(b, BACKENDS);
  throw new UsageError(`unknown backend '${b}': it is one of ${BACKENDS.join(", ")}${hint ? ` (${hint})` : ""}`, command);
}
