// Plan validation with two validators that the build generates from the schema beside this file
// (scripts/gen-plan-artifacts.js):
// - is-plan.generated.js answers valid or not. It is small (~45 KB of plain functions) and quick to
//   compile and run: every plan that `vpae check` and sweeps produce goes through it.
// - validate-plan.generated.cjs is ajv's standalone validator, which reports every error. It is ~330 KB
//   of code that V8 would compile on first use (~30 ms), so it is loaded only for a plan that fails.
// Both accept the same plans (scripts/compact-validator.js says how).
import { createRequire } from "node:module";
import isPlan from "./is-plan.generated.js";
import type { Plan } from "./schema.js";

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}
type GeneratedValidator = ((value: unknown) => boolean) & { errors?: AjvError[] | null };

let withErrors: GeneratedValidator | undefined;
function fullValidator(): GeneratedValidator {
  withErrors ??= createRequire(import.meta.url)("./validate-plan.generated.cjs") as GeneratedValidator;
  return withErrors;
}

export interface PlanSchemaError {
  /** JSON pointer of the offending value. */
  pointer: string;
  message: string;
}

export function validatePlan(value: unknown): { ok: true; plan: Plan } | { ok: false; errors: PlanSchemaError[] } {
  if (isPlan(value)) return { ok: true, plan: value as Plan };
  const validator = fullValidator();
  if (validator(value)) return { ok: true, plan: value as Plan }; // ajv has the last word
  return { ok: false, errors: simplify(validator.errors ?? []) };
}

/** anyOf failures produce one error per branch; keep one message per pointer, skipping the anyOf summary. */
function simplify(errors: readonly AjvError[]): PlanSchemaError[] {
  const byPointer = new Map<string, string>();
  for (const e of errors) {
    if (e.keyword === "anyOf") continue;
    const extra = e.keyword === "additionalProperties" ? ` '${String(e.params["additionalProperty"])}'` : "";
    if (!byPointer.has(e.instancePath)) byPointer.set(e.instancePath, `${e.message ?? "is invalid"}${extra}`);
  }
  if (byPointer.size === 0 && errors.length > 0) byPointer.set(errors[0]!.instancePath, errors[0]!.message ?? "is invalid");
  return [...byPointer].map(([pointer, message]) => ({ pointer, message }));
}
