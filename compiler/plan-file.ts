// Reading a plan file back (vpae plan/run on plan.json): JSON -> format version -> schema -> hash.
// A plan whose content no longer matches its hash was edited by hand and is refused: plans are
// content-addressed, and run directories are named after the hash.
import { D, DiagnosticBag } from "./diagnostics/diagnostic.js";
import type { Span } from "./syntax/ast.js";
import type { Plan } from "./plan/schema.js";
import { PLAN_FORMAT_VERSION } from "./plan/version.js";
import { validatePlan } from "./plan/validate.js";
import { phaseChain, planHash } from "./plan/hash.js";

export function isPlanPath(path: string): boolean {
  return path.endsWith(".json");
}

function wholeFile(path: string, text: string): Span {
  const lines = text.split("\n");
  return { file: path, start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: Math.max(2, (lines[0] ?? "").length + 1) };
}

/** Parses and checks a plan; problems become diagnostics (schema errors point at the .vpae source when the plan's source map knows it). */
export function parsePlan(path: string, text: string, bag: DiagnosticBag): Plan | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    bag.report(D.planUnreadable, [`'${path}'`, `not JSON (${err instanceof Error ? err.message : String(err)})`], wholeFile(path, text));
    return undefined;
  }
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    bag.report(D.planUnreadable, [`'${path}'`, "the document is not a JSON object"], wholeFile(path, text));
    return undefined;
  }
  if (version !== PLAN_FORMAT_VERSION) {
    bag.report(D.planVersion, [String(version), String(PLAN_FORMAT_VERSION)], wholeFile(path, text));
    return undefined;
  }
  const valid = validatePlan(value);
  if (!valid.ok) {
    const map = (value as { sourceMap?: Record<string, { file: string; line: number; col: number; endLine: number; endCol: number }> }).sourceMap ?? {};
    for (const e of valid.errors) {
      let p = e.pointer;
      let loc = map[p];
      while (!loc && p.includes("/")) {
        p = p.slice(0, p.lastIndexOf("/"));
        loc = map[p];
      }
      const span: Span = loc ? { file: loc.file, start: 0, end: 0, line: loc.line, col: loc.col, endLine: loc.endLine, endCol: loc.endCol } : wholeFile(path, text);
      bag.report(D.planSchema, [e.pointer || "/", e.message], span, { notes: [{ message: `in plan file ${path}` }] });
    }
    return undefined;
  }
  const plan = valid.plan;
  const chain = phaseChain(plan);
  if (planHash(plan, chain) !== plan.hash || plan.phases.some((p, i) => p.hash !== chain.phases[i])) {
    bag.report(D.planHash, [], wholeFile(path, text), { hint: "recompile the .vpae source with `vpae compile`" });
    return undefined;
  }
  return plan;
}
